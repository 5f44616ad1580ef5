"""Compiler passes, run in order by ``pcapprobe.dlang.engine``.

``probes`` expands probe descriptions against the catalog, ``semantic`` keeps
the program-wide symbol tables (variables, inlines, aggregations), ``compile``
type-checks each clause against its probes' argument types and generates one
Python function per clause.
"""
