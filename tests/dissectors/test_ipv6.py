"""IPv6 header and extension-header chain."""

from __future__ import annotations

import struct

import pytest

from pcapprobe.dissectors import ipv6
from pcapprobe.dissectors._reader import DissectError, Malformed, Truncated
from pcapprobe.dissectors.ipv4 import IpPacket
from fixtures.gen import ipv6 as build, ipv6_fragment

SRC, DST = "2001:db8::1", "fe80::214:4fff:fe3b:76c8"


def decode(data: bytes) -> IpPacket:
    return ipv6.decode(None, 0, memoryview(data), 0)


def test_fixed_header_fields():
    pkt = decode(build(SRC, DST, 17, b"datagram", hlim=9, tclass=0xB8, flow=0x12345))
    assert (pkt.src, pkt.dst, pkt.proto, pkt.ipv6) == (SRC, DST, 17, True)
    assert (pkt.ttl, pkt.tos, pkt.plength, pkt.nexthdr) == (9, 0xB8, 8, 17)
    assert bytes(pkt.payload) == b"datagram" and pkt.frag is None


def test_extension_chain_hop_by_hop_routing_dest_then_tcp():
    hbh = bytes([43, 0, 1, 4, 0, 0, 0, 0])
    rh = bytes([60, 0, 0, 0, 0, 0, 0, 0])
    dst = bytes([6, 1]) + bytes(14)
    ah = bytes([6, 1]) + bytes(10)  # AH: (1 + 2) * 4 = 12 bytes
    pkt = decode(build(SRC, DST, 0, hbh + rh + dst + b"TCP!"))
    assert pkt.proto == 6 and bytes(pkt.payload) == b"TCP!" and pkt.nexthdr == 0
    assert pkt.payload_len == 4 and pkt.plength == 36
    pkt = decode(build(SRC, DST, 51, ah + b"x"))
    assert pkt.proto == 6 and bytes(pkt.payload) == b"x"


def test_fragment_header():
    pkt = decode(build(SRC, DST, 44, ipv6_fragment(17, 0xABCDEF, 1000, True) + b"frag"))
    assert pkt.frag == (0xABCDEF, 1000, True) and pkt.proto == 17
    assert pkt.ident == 0xABCDEF and pkt.frag_offset == 1000
    atomic = decode(build(SRC, DST, 44, ipv6_fragment(17, 5, 0, False) + b"whole"))
    assert atomic.frag is None and bytes(atomic.payload) == b"whole"


def test_bad_version():
    data = bytearray(build(SRC, DST, 17, b""))
    data[0] = 0x40
    with pytest.raises(Malformed):
        decode(bytes(data))


def test_endless_extension_chain_is_malformed():
    chain = bytes([0, 0]) + bytes(6)
    with pytest.raises(DissectError):
        decode(build(SRC, DST, 0, chain * 20))


def test_truncation_sweep():
    data = build(SRC, DST, 44, ipv6_fragment(17, 1, 8, True) + b"abc")
    for i in range(48):
        with pytest.raises(Truncated):
            decode(data[:i])


def test_plen_beyond_capture_keeps_declared_length():
    data = build(SRC, DST, 17, b"x" * 50)
    data = data[:4] + struct.pack(">H", 50) + data[6:]
    pkt = decode(data[:60])
    assert len(pkt.payload) == 20 and pkt.payload_len == 50
