"""dissectors/udp.py and the udp provider on the UDP fixture."""

from __future__ import annotations

import struct

import pytest

from pcapprobe.dissectors import udp
from pcapprobe.dissectors._reader import Malformed, Truncated
from tests.conftest import FIXTURES
from tests.flows.kit import run


def test_header_and_payload_trimmed_to_length():
    raw = struct.pack(">HHHH", 53, 33000, 12, 0x1234) + b"abcd" + b"\0\0"  # 2 trailer bytes
    d = udp.decode(memoryview(raw))
    assert (d.sport, d.dport, d.length, d.checksum) == (53, 33000, 12, 0x1234)
    assert bytes(d.payload) == b"abcd"


def test_bad_headers():
    with pytest.raises(Truncated):
        udp.decode(memoryview(b"\0" * 7))
    with pytest.raises(Malformed):
        udp.decode(memoryview(struct.pack(">HHHH", 1, 2, 5, 0)))


def test_send_and_receive_from_the_local_perspective():
    sink, _ = run(FIXTURES / "udp.pcap", ("10.0.0.1",))
    sends, receives = sink.of("udp:::send"), sink.of("udp:::receive")
    assert len(sends) == 2 and len(receives) == 2
    s = sends[0][2]
    assert (s[3]["udps_laddr"], s[3]["udps_lport"], s[3]["udps_raddr"], s[3]["udps_rport"]) == (
        "10.0.0.1", 33000, "10.0.0.2", 53)
    assert (s[4]["udp_sport"], s[4]["udp_dport"], s[4]["udp_length"]) == (33000, 53, 38)
    assert s[2]["ip_plength"] == 38 and s[1]["cs_cid"] == 0
    r = receives[1][2]
    assert (r[3]["udps_laddr"], r[3]["udps_lport"], r[3]["udps_rport"]) == ("10.0.0.1", 33001, 53)
    assert r[4]["udp_length"] == 308


def test_local_all_fires_both_sides_including_ipv6():
    sink, _ = run(FIXTURES / "udp.pcap")
    assert len(sink.of("udp:::send")) == len(sink.of("udp:::receive")) == 6
    v6 = [f for f in sink.of("udp:::receive") if f[2][2]["ip_ver"] == 6]
    assert [f[2][3]["udps_laddr"] for f in v6] == ["2001:db8::2", "2001:db8::1"]
