"""TCP segment header (RFC 9293 §3.1) and options (§3.2, RFC 7323, RFC 2018).

``decode`` (``TcpSegment``) reads the fixed header eagerly (one unpack: the hot
path) and leaves the options raw; ``parse_options`` decodes them only when the
flow code needs them (SYN segments, SACK blocks on ACKs).
"""

from __future__ import annotations

import struct

from pcapprobe.dissectors._reader import Malformed, Truncated

TCP_HEADER_MIN = 20

# RFC 9293 §3.1: sport, dport, seq, ack, data offset/reserved, flags, window
# (checksum and urgent pointer follow; nearly nobody reads them: not unpacked
# per segment).
_FIXED = struct.Struct(">HHIIBBH")
_unpack_fixed = _FIXED.unpack_from
_unpack_u16 = struct.Struct(">H").unpack_from

# RFC 9293 §3.2 / RFC 7323 / RFC 2018 option kinds.
TCPOPT_EOL = 0
TCPOPT_NOP = 1
TCPOPT_MSS = 2
TCPOPT_WSCALE = 3
TCPOPT_SACK_PERMITTED = 4
TCPOPT_SACK = 5
TCPOPT_TIMESTAMP = 8

# RFC 7323 §2.3: a shift count above 14 is used as 14.
TCP_MAX_WINSHIFT = 14


class TcpSegment:
    """One decoded TCP header, built from the IP payload as captured (``view``)
    and the segment length the IP header declares (``length``).

    The fixed fields are read eagerly (one unpack: the hot path); ``header`` and
    ``payload`` are views into the packet, sliced only when read (most segments
    only need the fixed fields), and the rarely read checksum and urgent
    pointer are read off the packet only when asked for.  Decoding in the
    constructor saves a call per segment; a consumer may subclass it to have
    its own argument object built directly (the tcp provider's ``TcpInfo``).
    """

    __slots__ = ("sport", "dport", "seq", "ack", "offset", "flags", "window", "datalen",
                 "_view")

    def __init__(self, view: memoryview, length: int | None = None) -> None:
        captured = len(view)
        if captured < TCP_HEADER_MIN:
            raise Truncated(TCP_HEADER_MIN, captured, "TCP header")
        self.sport, self.dport, self.seq, self.ack, off, self.flags, self.window = \
            _unpack_fixed(view)
        offset = self.offset = (off >> 4) * 4  # header length in bytes
        if offset < TCP_HEADER_MIN:
            raise Malformed(f"TCP data offset {offset} below 20", "tcp.bad_offset")
        # A snap length may cut the options: the fixed header is still good (the
        # caller sees len(header) < offset and records it), the payload is empty.
        captured -= offset
        if captured < 0:
            captured = 0
        # data bytes the segment carried on the wire
        self.datalen = captured if length is None or length - offset < captured \
            else length - offset
        self._view = view

    @property
    def checksum(self) -> int:
        return _unpack_u16(self._view, 16)[0]

    @property
    def urgent(self) -> int:
        return _unpack_u16(self._view, 18)[0]

    @property
    def header(self) -> memoryview:
        """The header with its options (shorter than ``offset`` when a snap
        length cut the options)."""
        return self._view[: self.offset]

    @property
    def payload(self) -> memoryview:
        """The data as captured (a snap length may cut it)."""
        return self._view[self.offset :]


class RawHeader:
    """A copy of the fixed header as its fields' wire bytes (big-endian byte
    arrays, RFC 9293 §3.1 order), for consumers that want the raw layout."""

    __slots__ = ("_h",)

    def __init__(self, header: bytes | memoryview) -> None:
        self._h = bytes(header[:TCP_HEADER_MIN])

    sport_bytes = property(lambda self: self._h[0:2])
    dport_bytes = property(lambda self: self._h[2:4])
    seq_bytes = property(lambda self: self._h[4:8])
    ack_bytes = property(lambda self: self._h[8:12])
    offset_reserved_bytes = property(lambda self: self._h[12:13])
    flags_bytes = property(lambda self: self._h[13:14])
    window_bytes = property(lambda self: self._h[14:16])
    checksum_bytes = property(lambda self: self._h[16:18])
    urgent_bytes = property(lambda self: self._h[18:20])


class TcpOptions:
    """The options a flow tracker uses; absent ones are ``None``/empty."""

    __slots__ = ("mss", "wscale", "sack_permitted", "sack", "timestamp")

    def __init__(self) -> None:
        self.mss: int | None = None
        self.wscale: int | None = None
        self.sack_permitted = False
        self.sack: list[tuple[int, int]] = []
        self.timestamp: tuple[int, int] | None = None


def parse_options(header: memoryview) -> TcpOptions:
    """Decode the option list of a header (RFC 9293 §3.2 layout: kind, length, value)."""
    opts = TcpOptions()
    pos = TCP_HEADER_MIN
    end = len(header)
    while pos < end:
        kind = header[pos]
        if kind == TCPOPT_EOL:
            break
        if kind == TCPOPT_NOP:
            pos += 1
            continue
        if pos + 2 > end:
            raise Malformed(f"TCP option {kind} without length", "tcp.bad_option")
        length = header[pos + 1]
        if length < 2 or pos + length > end:
            raise Malformed(f"TCP option {kind} length {length}", "tcp.bad_option")
        _option(opts, kind, header[pos + 2 : pos + length])
        pos += length
    return opts


def _option(opts: TcpOptions, kind: int, value: memoryview) -> None:
    """Record one option whose value is well-formed; unknown kinds are skipped."""
    n = len(value)
    if kind == TCPOPT_MSS and n == 2:
        opts.mss = (value[0] << 8) | value[1]
    elif kind == TCPOPT_WSCALE and n == 1:
        opts.wscale = min(value[0], TCP_MAX_WINSHIFT)
    elif kind == TCPOPT_SACK_PERMITTED and n == 0:
        opts.sack_permitted = True
    elif kind == TCPOPT_SACK and n % 8 == 0:
        # RFC 2018 §3: left/right edge pairs; an empty SACK option holds none.
        opts.sack = [struct.unpack_from(">II", value, i) for i in range(0, n, 8)]
    elif kind == TCPOPT_TIMESTAMP and n == 8:
        opts.timestamp = struct.unpack_from(">II", value)
    elif kind in (TCPOPT_MSS, TCPOPT_WSCALE, TCPOPT_SACK_PERMITTED, TCPOPT_SACK,
                  TCPOPT_TIMESTAMP):
        raise Malformed(f"TCP option {kind} value length {n}", "tcp.bad_option")
