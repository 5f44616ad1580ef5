"""IPv4 header decoding (RFC 791 §3.1) and the IpPacket shared with IPv6.

Total length 0 is taken as "use the captured length" (TCP segmentation offload
captures); the payload is trimmed to the total length so Ethernet padding never
reaches upper layers.  Rarely read header fields are decoded lazily from
``header``.

Own struct decoders rather than dpkt: on bench/ip_bench.py's frames,
Ethernet + this decode take 0.8 µs a packet, ``dpkt.ethernet.Ethernet`` 6.7 µs
(it also parses TCP/UDP eagerly) and ``dpkt.ip.IP`` alone 4.4 µs.
"""

from __future__ import annotations

import socket
import struct

from pcapprobe.dissectors._reader import Malformed, Truncated

IPPROTO_HOPOPTS = 0
IPPROTO_ICMP = 1
IPPROTO_IGMP = 2
IPPROTO_IPV4 = 4
IPPROTO_TCP = 6
IPPROTO_EGP = 8
IPPROTO_UDP = 17
IPPROTO_IPV6 = 41
IPPROTO_ROUTING = 43
IPPROTO_FRAGMENT = 44
IPPROTO_ESP = 50
IPPROTO_AH = 51
IPPROTO_ICMPV6 = 58
IPPROTO_NONE = 59
IPPROTO_DSTOPTS = 60
IPPROTO_OSPF = 89
IPPROTO_SCTP = 132
IPPROTO_RAW = 255

IP_DF = 0x4000  # don't fragment (RFC 791 §3.1 Flags bit 1)
IP_MF = 0x2000  # more fragments (bit 2)
IP_OFFMASK = 0x1FFF  # fragment offset, 8-byte units
MIN_HEADER_LEN = 20

# the fields decode() needs: version/IHL, total length, id, flags/offset,
# protocol, addresses (TOS, TTL and checksum are read lazily from ``header``)
_HEADER = struct.Struct(">BxHHHxBxxII").unpack_from
_ADDR_CACHE: dict[int, str] = {}
_ADDR_CACHE_MAX = 1 << 16
_pack_u32 = struct.Struct(">I").pack


def addr_str(addr: int) -> str:
    """Dotted quad of a host-order IPv4 address, cached (captures reuse few)."""
    text = _ADDR_CACHE.get(addr)
    if text is None:
        if len(_ADDR_CACHE) >= _ADDR_CACHE_MAX:
            _ADDR_CACHE.clear()
        text = _ADDR_CACHE[addr] = socket.inet_ntoa(_pack_u32(addr))
    return text


class IpPacket:
    """One decoded IPv4 or IPv6 packet (see docs/architecture.md "IP layer").

    ``frag`` is None for a whole datagram, else (ident, offset in bytes, more
    fragments).  ``frame`` is whatever the caller passed in (the capture Frame).
    ``header`` and ``payload`` are sliced only when someone reads them.
    """

    __slots__ = ("frame", "ts_ns", "ipv6", "src", "dst", "proto", "payload_len",
                 "plength", "frag", "_view", "_off", "_hlen", "_pstart", "_pend", "_payload")

    def __init__(self, frame: object, ts_ns: int, ipv6: bool, src: str, dst: str,
                 proto: int, view: memoryview, off: int, hlen: int, pstart: int, pend: int,
                 payload_len: int, plength: int, frag: tuple[int, int, bool] | None) -> None:
        self.frame = frame
        self.ts_ns = ts_ns
        self.ipv6 = ipv6
        self.src = src
        self.dst = dst
        self.proto = proto
        self._view = view
        self._off = off
        self._hlen = hlen
        self._pstart = pstart
        self._pend = pend
        self._payload: memoryview | None = None
        self.payload_len = payload_len
        self.plength = plength
        self.frag = frag

    @property
    def header(self) -> memoryview:
        """The fixed IP header (IPv4 with options; IPv6 the 40-byte header)."""
        return self._view[self._off : self._off + self._hlen]

    @property
    def payload(self) -> memoryview:
        """Upper-layer bytes as captured (trimmed to the IP length)."""
        payload = self._payload
        if payload is None:
            payload = self._payload = self._view[self._pstart : self._pend]
        return payload

    def reassembled(self, payload: bytes, length: int | None = None) -> IpPacket:
        """The same packet carrying a whole reassembled datagram payload
        (``length`` on the wire, when a snap length cut its fragments)."""
        whole = type(self)(self.frame, self.ts_ns, self.ipv6, self.src, self.dst, self.proto,
                           self._view, self._off, self._hlen, 0, 0,
                           len(payload) if length is None else length, self.plength, None)
        whole._payload = memoryview(payload)
        return whole

    @property
    def version(self) -> int:
        return 6 if self.ipv6 else 4

    @property
    def ttl(self) -> int:
        """TTL (IPv4) or hop limit (IPv6)."""
        return self.header[7] if self.ipv6 else self.header[8]

    @property
    def tos(self) -> int:
        """Type of service (IPv4) or traffic class (IPv6)."""
        if self.ipv6:
            return (struct.unpack_from(">I", self.header)[0] >> 20) & 0xFF
        return self.header[1]

    @property
    def ident(self) -> int:
        if self.ipv6:
            return self.frag[0] if self.frag else 0
        return struct.unpack_from(">H", self.header, 4)[0]

    @property
    def flags(self) -> int:
        """IPv4 flag bits shifted into a byte: DF 0x40, MF 0x20 (Solaris ip.d)."""
        if self.ipv6:
            return 0
        return (struct.unpack_from(">H", self.header, 6)[0] & 0xE000) >> 8

    @property
    def frag_offset(self) -> int:
        """Fragment offset in bytes."""
        if self.ipv6:
            return self.frag[1] if self.frag else 0
        return (struct.unpack_from(">H", self.header, 6)[0] & IP_OFFMASK) << 3

    @property
    def total_length(self) -> int:
        if self.ipv6:
            return 40 + self.plength
        return struct.unpack_from(">H", self.header, 2)[0]

    @property
    def ihl(self) -> int:
        return 40 if self.ipv6 else (self.header[0] & 0xF) << 2

    @property
    def checksum(self) -> int:
        return 0 if self.ipv6 else struct.unpack_from(">H", self.header, 10)[0]

    @property
    def nexthdr(self) -> int:
        """The protocol named by the fixed header (IPv6: first next header)."""
        return self.header[6] if self.ipv6 else self.header[9]

    @property
    def src_bytes(self) -> bytes:
        """The source address as it is on the wire (4 or 16 bytes)."""
        return bytes(self.header[8:24] if self.ipv6 else self.header[12:16])

    @property
    def dst_bytes(self) -> bytes:
        """The destination address as it is on the wire (4 or 16 bytes)."""
        return bytes(self.header[24:40] if self.ipv6 else self.header[16:20])

    @property
    def flow_label(self) -> int:
        """IPv6 flow label (RFC 8200 §3); 0 for IPv4."""
        return struct.unpack_from(">I", self.header)[0] & 0xFFFFF if self.ipv6 else 0


def _header_length(vhl: int, avail: int) -> int:
    """IHL in bytes of a header that is not plain version 4 without options."""
    if vhl >> 4 != 4:
        raise Malformed(f"IPv4 header with version {vhl >> 4}", "ipv4.bad_version")
    ihl = (vhl & 0xF) << 2
    if ihl < MIN_HEADER_LEN:
        raise Malformed(f"IPv4 header length {ihl} < 20", "ipv4.bad_header_length")
    if avail < ihl:
        raise Truncated(ihl, avail, "IPv4 options")
    return ihl


def decode(frame: object, ts_ns: int, view: memoryview, off: int,
           cls: type[IpPacket] = IpPacket) -> IpPacket:
    """Decode the IPv4 header at ``off`` into a ``cls``; raises Truncated / Malformed.

    ``cls`` lets a consumer have its own IpPacket subclass built directly
    (the ip translator's argument objects) instead of wrapping this one.
    """
    avail = len(view) - off
    if avail < MIN_HEADER_LEN:
        raise Truncated(MIN_HEADER_LEN, avail, "IPv4 header")
    vhl, total, ident, fo, proto, src, dst = _HEADER(view, off)
    ihl = MIN_HEADER_LEN if vhl == 0x45 else _header_length(vhl, avail)
    if total == 0:
        total = avail  # TSO: length left for the NIC to fill in
    elif total < ihl:
        raise Malformed(f"IPv4 total length {total} < header length {ihl}", "ipv4.bad_total_length")
    end = off + total if total <= avail else len(view)
    frag = None
    if fo & (IP_MF | IP_OFFMASK):
        frag = (ident, (fo & IP_OFFMASK) << 3, bool(fo & IP_MF))
    cache = _ADDR_CACHE
    s = cache.get(src) or addr_str(src)
    d = cache.get(dst) or addr_str(dst)
    return cls(frame, ts_ns, False, s, d, proto, view, off, ihl, off + ihl, end,
               total - ihl, total - ihl, frag)
