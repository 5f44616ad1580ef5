"""The unit every capture reader produces: one captured link-layer frame.

``Frame(index, ts_ns, linktype, data, wirelen, ifname, source)``, read-only:
``index`` is the 1-based packet number within its file (what Wireshark shows
as frame.number), ``ts_ns`` the capture time in ns since the epoch, ``data``
the captured bytes (a memoryview), ``wirelen`` the length on the wire,
``ifname`` the pcapng interface name when the capture has one, ``source`` the
file name used in messages.  Implemented in C (pcapprobe/cext/frame.c): one is
made per packet.
"""

from __future__ import annotations

from pcapprobe._fastpath import Frame

__all__ = ["Frame"]
