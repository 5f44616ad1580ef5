"""IPv4 header decoding and the IpPacket fields the ip provider reads."""

from __future__ import annotations

import pytest

from pcapprobe.dissectors import ipv4
from pcapprobe.dissectors._reader import DissectError, Malformed, Truncated
from fixtures.gen import ipv4 as build

PAYLOAD = b"0123456789"


def decode(data: bytes) -> ipv4.IpPacket:
    return ipv4.decode(None, 0, memoryview(data), 0)


def test_fields():
    pkt = decode(build("10.0.0.1", "10.0.0.2", 6, PAYLOAD, ident=0xBEEF, ttl=17, tos=0x20, df=True))
    assert (pkt.src, pkt.dst, pkt.proto, pkt.ipv6) == ("10.0.0.1", "10.0.0.2", 6, False)
    assert bytes(pkt.payload) == PAYLOAD and pkt.payload_len == 10 and pkt.plength == 10
    assert (pkt.ident, pkt.ttl, pkt.tos, pkt.flags, pkt.frag_offset) == (0xBEEF, 17, 0x20, 0x40, 0)
    assert pkt.total_length == 30 and pkt.ihl == 20 and pkt.frag is None
    assert pkt.checksum != 0 and pkt.version == 4


def test_options_and_ethernet_padding_are_excluded_from_payload():
    data = build("1.2.3.4", "5.6.7.8", 17, PAYLOAD, options=b"\x01\x01\x01\x00") + b"\0" * 6
    pkt = decode(data)
    assert pkt.ihl == 24 and bytes(pkt.payload) == PAYLOAD and pkt.plength == 10


def test_fragment_fields():
    pkt = decode(build("1.2.3.4", "5.6.7.8", 17, PAYLOAD, ident=7, mf=True, offset=1480))
    assert pkt.frag == (7, 1480, True)
    assert pkt.flags == 0x20 and pkt.frag_offset == 1480


def test_snaplen_cut_payload_keeps_declared_length():
    pkt = decode(build("1.2.3.4", "5.6.7.8", 6, b"x" * 100)[:60])
    assert len(pkt.payload) == 40 and pkt.payload_len == 100 and pkt.plength == 100


def test_zero_total_length_means_captured_length():
    pkt = decode(build("1.2.3.4", "5.6.7.8", 6, PAYLOAD, total=0))
    assert bytes(pkt.payload) == PAYLOAD


@pytest.mark.parametrize("mutate,weird", [
    (lambda b: b"\x55" + b[1:], "ipv4.bad_version"),
    (lambda b: b"\x44" + b[1:], "ipv4.bad_header_length"),
    (lambda b: b[:2] + b"\x00\x10" + b[4:], "ipv4.bad_total_length"),
])
def test_malformed(mutate, weird):
    with pytest.raises(Malformed) as exc:
        decode(mutate(build("1.2.3.4", "5.6.7.8", 6, PAYLOAD)))
    assert exc.value.weird == weird


def test_truncation_sweep():
    data = build("1.2.3.4", "5.6.7.8", 6, PAYLOAD, options=b"\x01" * 8)
    for i in range(28):
        with pytest.raises(Truncated):
            decode(data[:i])
    for i in range(28, len(data)):
        try:
            decode(data[:i])
        except DissectError:
            pytest.fail(f"header complete at {i} bytes")


class Tagged(ipv4.IpPacket):
    __slots__ = ()


def test_decodes_into_the_given_class_and_reassembly_keeps_it():
    data = build("1.2.3.4", "5.6.7.8", 17, PAYLOAD, mf=True)
    pkt = ipv4.decode(None, 0, memoryview(data), 0, Tagged)
    assert type(pkt) is Tagged and type(pkt.reassembled(b"whole")) is Tagged
