"""UDP datagram header (RFC 768).

``length`` is the header's own length field (header + data); the payload is
what the IP layer handed over, trimmed to that length when the field is sane.
"""

from __future__ import annotations

import struct

from pcapprobe.dissectors._reader import Malformed, Truncated

UDP_HEADER_LEN = 8

# RFC 768: source port, destination port, length, checksum.
_unpack_header = struct.Struct(">HHHH").unpack_from


class UdpDatagram:
    """One decoded UDP header with its payload (views into the packet)."""

    __slots__ = ("sport", "dport", "length", "checksum", "header", "payload")

    def __init__(self, sport: int, dport: int, length: int, checksum: int,
                 header: memoryview, payload: memoryview) -> None:
        self.sport = sport
        self.dport = dport
        self.length = length
        self.checksum = checksum
        self.header = header
        self.payload = payload


def decode(view: memoryview) -> UdpDatagram:
    """Decode the header at the start of ``view`` (the IP payload as captured)."""
    if len(view) < UDP_HEADER_LEN:
        raise Truncated(UDP_HEADER_LEN, len(view), "UDP header")
    sport, dport, length, checksum = _unpack_header(view)
    # RFC 2675 §4: a jumbogram carries length 0; otherwise the field includes
    # the header, so anything shorter is a lie.
    if 0 < length < UDP_HEADER_LEN:
        raise Malformed(f"UDP length {length} below 8", "udp.bad_length")
    end = length if length else len(view)
    return UdpDatagram(sport, dport, length, checksum, view[:UDP_HEADER_LEN],
                       view[UDP_HEADER_LEN:end])
