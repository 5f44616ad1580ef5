"""InfiniBand LRH/GRH/BTH/extended transport headers, IPoIB, and links 247/242."""

from __future__ import annotations

import struct

import pytest

import pcapprobe
from pcapprobe.dissectors import infiniband as ib
from pcapprobe.dissectors._reader import DissectError, Malformed
from fixtures.gen import ETH_IPV4, PCAPS, ipv4
from fixtures.gen.infiniband import (
    RC_ACK,
    RC_SEND_ONLY,
    UD_SEND_ONLY,
    deth,
    ib_packet,
    ib_packets,
    ipoib,
)

DATAGRAM = ipv4("10.1.0.1", "10.1.0.2", 1, bytes(9))
PROGRAM = "ip:::receive { @[args[2]->ip_saddr] = count(); }"


def decode(packet: bytes) -> ib.Packet:
    return ib.decode(memoryview(packet))


def test_ud_send_only_with_grh_and_deth():
    pkt = decode(ib_packet(UD_SEND_ONLY, 0xFFFFFF, deth(0x48), ipoib(ETH_IPV4, DATAGRAM),
                           dlid=0xC000, slid=7, global_route=True))
    assert (pkt.lrh.lnh, pkt.lrh.dlid, pkt.lrh.slid) == (ib.LNH_IBA_GLOBAL, 0xC000, 7)
    assert pkt.grh is not None and pkt.grh.next_header == 0x1B and pkt.grh.ip_ver == 6
    t = pkt.transport
    assert t is not None and t.bth.name == "UD SEND_ONLY"
    assert (t.bth.dest_qp, t.bth.m, t.q_key, t.src_qp) == (0xFFFFFF, True, 0xB1B, 0x48)
    assert pkt.payload == 8 + 40 + 12 + 8
    # the payload ends before the pad bytes and the ICRC
    assert pkt.end - pkt.payload == 4 + len(DATAGRAM)
    assert ib.ipoib_ethertype(memoryview(ib_packets()[2]), decode(ib_packets()[2])) == ETH_IPV4


def test_ipoib_connected_mode_over_rc_send_only():
    packet = ib_packet(RC_SEND_ONLY, 0x870408, b"", ipoib(ETH_IPV4, DATAGRAM))
    pkt = decode(packet)
    assert pkt.grh is None and pkt.payload == 8 + 12
    assert ib.ipoib_ethertype(memoryview(packet), pkt) == ETH_IPV4


def test_rc_acknowledge_carries_an_aeth_and_no_ip():
    pkt = decode(ib_packet(RC_ACK, 5, struct.pack(">I", 0x1F000123), b""))
    assert pkt.transport is not None and pkt.transport.aeth == ib.Aeth(0x1F, 0x123)
    assert ib.ipoib_ethertype(memoryview(b""), pkt) is None
    assert ib.skip_reason(pkt) == "InfiniBand RC ACKNOWLEDGE"


@pytest.mark.parametrize("qp,reason", [(0, "InfiniBand UD SEND_ONLY to QP0 (SMP)"),
                                       (1, "InfiniBand UD SEND_ONLY to QP1 (MAD)")])
def test_management_datagrams_are_not_ipoib(qp, reason):
    # even a MAD whose first bytes look like an IPoIB header
    packet = ib_packet(UD_SEND_ONLY, qp, deth(qp, 0), ipoib(ETH_IPV4, bytes(252)))
    pkt = decode(packet)
    assert ib.ipoib_ethertype(memoryview(packet), pkt) is None
    assert ib.skip_reason(pkt) == reason


def test_nonzero_reserved_bytes_are_not_ipoib():
    packet = ib_packet(UD_SEND_ONLY, 0x49, deth(0x48), b"\x08\x00\x00\x01" + DATAGRAM)
    assert ib.ipoib_ethertype(memoryview(packet), decode(packet)) is None


def test_reth_and_immediate_data_follow_the_bth():
    reth = struct.pack(">QII", 0x1000, 0xABCD, 64)
    t, off = ib.decode_transport(memoryview(
        struct.pack(">BBHII", 0x0B, 0, 0xFFFF, 9, 0x80000001) + reth + b"\0\0\0\x2a" + bytes(64)))
    assert t.bth.name == "RC RDMA_WRITE_ONLY_IMM" and t.bth.a and t.bth.psn == 1
    assert t.reth == ib.Reth(0x1000, 0xABCD, 64) and t.immdt == 42 and off == 12 + 16 + 4


def test_opcode_its_transport_does_not_define_is_malformed():
    bth = struct.pack(">BBHII", 0x6A, 0, 0xFFFF, 9, 1)  # UD RDMA_WRITE_ONLY
    with pytest.raises(Malformed) as info:
        ib.decode_transport(memoryview(bth + bytes(40)))
    assert info.value.weird == "ib.bad_opcode"


def test_raw_packet_carries_an_ethertype():
    lrh = struct.pack(">BBHHH", 0, ib.LNH_RAW, 1, 8, 2)
    packet = lrh + struct.pack(">HH", 0, 0x0800) + DATAGRAM
    pkt = decode(packet + bytes(6))
    assert (pkt.ethertype, pkt.payload, pkt.transport) == (0x0800, 12, None)


def test_pkt_len_shorter_than_the_lrh_is_malformed():
    with pytest.raises(Malformed):
        decode(struct.pack(">BBHHH", 0, 2, 1, 2, 2) + bytes(20))


def test_truncation_sweep():
    for packet in ib_packets():
        for i in range(len(packet)):
            try:
                pkt = ib.decode(memoryview(packet[:i]))
            except DissectError:
                continue
            ib.ipoib_ethertype(memoryview(packet[:i]), pkt)


@pytest.mark.parametrize("name,expected", [
    ("link-infiniband.pcap", {"10.1.0.1": 2, "10.1.0.2": 1, "fe80::2:c903:0:a": 1}),
    ("link-ipoib.pcap", {"10.1.0.1": 1, "fe80::2:c903:0:b": 1}),
])
def test_link_types_247_and_242(name, expected):
    result = pcapprobe.run(PCAPS / name, program=PROGRAM, local="all")
    assert result.status == 0, result.errors
    assert {key[0]: value for key, value in result.aggregations[""].items()} == expected
    assert result.stats["weirds"] == {}
