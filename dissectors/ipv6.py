"""IPv6 header and extension-header chain (RFC 8200 §3, §4.3-4.6; RFC 4302 §2 AH).

The walk stops at the first header that is not an extension header (the upper
layer), at ESP (encrypted) or at No Next Header.  A Fragment header (§4.5) yields
``frag`` = (identification, offset in bytes, M flag); an "atomic fragment"
(offset 0, M 0) is a whole datagram.
"""

from __future__ import annotations

import socket
import struct

from pcapprobe.dissectors._reader import Malformed, Truncated
from pcapprobe.dissectors.ipv4 import (
    IPPROTO_AH,
    IPPROTO_DSTOPTS,
    IPPROTO_FRAGMENT,
    IPPROTO_HOPOPTS,
    IPPROTO_ROUTING,
    IpPacket,
)

HEADER_LEN = 40
IPPROTO_MOBILITY = 135
MAX_EXTENSIONS = 16
_GENERIC_EXT = frozenset((IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS, IPPROTO_MOBILITY))

_HEADER = struct.Struct(">IHBB").unpack_from
_FRAG = struct.Struct(">BBHI").unpack_from
_ADDR_CACHE: dict[bytes, str] = {}
_ADDR_CACHE_MAX = 1 << 16


def addr_str(raw: bytes) -> str:
    """RFC 5952 text of a 16-byte address (lower case, longest zero run ::)."""
    text = _ADDR_CACHE.get(raw)
    if text is None:
        if len(_ADDR_CACHE) >= _ADDR_CACHE_MAX:
            _ADDR_CACHE.clear()
        text = _ADDR_CACHE[raw] = socket.inet_ntop(socket.AF_INET6, raw)
    return text


def decode(frame: object, ts_ns: int, view: memoryview, off: int,
           cls: type[IpPacket] = IpPacket) -> IpPacket:
    """Decode the IPv6 header and extension headers at ``off`` into a ``cls``
    (see ``dissectors.ipv4.decode``)."""
    avail = len(view) - off
    if avail < HEADER_LEN:
        raise Truncated(HEADER_LEN, avail, "IPv6 header")
    vcf, plen, nxt, _hlim = _HEADER(view, off)
    if vcf >> 28 != 6:
        raise Malformed(f"IPv6 header with version {vcf >> 28}", "ipv6.bad_version")
    if plen == 0:
        plen = avail - HEADER_LEN  # jumbogram or TSO: trust the capture
    end = off + HEADER_LEN + plen
    if end > len(view):
        end = len(view)
    pos = off + HEADER_LEN
    frag = None
    for _ in range(MAX_EXTENSIONS):
        if nxt in _GENERIC_EXT or nxt == IPPROTO_AH:
            if end - pos < 2:
                raise Truncated(2, end - pos, "IPv6 extension header")
            # AH counts 4-byte units minus 2 (RFC 4302 §2.2); others 8-byte minus 1
            size = (view[pos + 1] + 2) * 4 if nxt == IPPROTO_AH else (view[pos + 1] + 1) * 8
            nxt = view[pos]
            pos += size
        elif nxt == IPPROTO_FRAGMENT:
            if end - pos < 8:
                raise Truncated(8, end - pos, "IPv6 fragment header")
            nxt, _, offlg, ident = _FRAG(view, pos)
            if offlg & 0xFFF9:
                frag = (ident, offlg & 0xFFF8, bool(offlg & 1))
            pos += 8
        else:
            break
    else:
        raise Malformed("IPv6 extension header chain too long", "ipv6.too_many_extensions")
    if pos > end:
        raise Truncated(pos - off, end - off, "IPv6 extension headers")
    src = addr_str(bytes(view[off + 8 : off + 24]))
    dst = addr_str(bytes(view[off + 24 : off + 40]))
    return cls(frame, ts_ns, True, src, dst, nxt, view, off, HEADER_LEN, pos, end,
               off + HEADER_LEN + plen - pos, plen, frag)
