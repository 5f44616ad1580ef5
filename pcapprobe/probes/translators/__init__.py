"""Translators: decoded packets and flow state -> probe argument objects, fired
through the sink (the Python side of libdtrace's ``translator`` blocks).

They never parse bytes: they read fields that dissectors decoded.
"""
