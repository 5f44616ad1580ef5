"""BSD loopback encapsulation (tcpdump.org LINKTYPE_NULL 0 and LINKTYPE_LOOP 108).

A 4-byte address family: host byte order of the capturing machine for NULL
(either order must be accepted), network order for LOOP.  AF_INET6 differs by
OS (24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS); all are accepted.
"""

from __future__ import annotations

from pcapprobe.dissectors._reader import Truncated

HEADER_LEN = 4
AF_INET = 2
AF_INET6 = frozenset((10, 24, 28, 30))
ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD


def decode(view: memoryview, off: int = 0) -> tuple[int, int]:
    """(ethertype equivalent of the address family or 0, payload offset)."""
    if len(view) - off < HEADER_LEN:
        raise Truncated(HEADER_LEN, len(view) - off, "loopback header")
    family = int.from_bytes(view[off : off + 4], "little")
    if family > 0xFFFF:  # written big-endian (LOOP, or a big-endian host)
        family = int.from_bytes(view[off : off + 4], "big")
    if family == AF_INET:
        return ETHERTYPE_IPV4, off + HEADER_LEN
    if family in AF_INET6:
        return ETHERTYPE_IPV6, off + HEADER_LEN
    return 0, off + HEADER_LEN
