"""The C RC transport (pcapprobe/cext/rdma.c ``RcTransport``): PSN order,
retransmissions, gaps, out-of-order packets, SEND reassembly, RDMA WRITE and
READ completion, unknown QPs and its bounded tables, driven through
``packet()`` as the Python layers do (the scanner's path is checked against
this one in tests/test_rdma_scanner.py)."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

import pytest

from pcapprobe._fastpath import RcTransport
from pcapprobe.dissectors import infiniband
from pcapprobe.dissectors.infiniband import Reth

SEND_FIRST, SEND_MIDDLE, SEND_LAST, SEND_LAST_IMM, SEND_ONLY = 0x00, 0x01, 0x02, 0x03, 0x04
SEND_LAST_INV, SEND_ONLY_INV = 0x16, 0x17
WRITE_FIRST, WRITE_MIDDLE, WRITE_LAST, WRITE_ONLY = 0x06, 0x07, 0x08, 0x0A
READ_REQUEST, READ_FIRST, READ_LAST = 0x0C, 0x0D, 0x0F
ACK = 0x11
INITIATOR = b"I" + bytes([192, 168, 0, 1])
TARGET = b"I" + bytes([192, 168, 0, 2])
IQPN, TQPN, IPSN, TPSN, MTU = 0x11, 0x22, 100, 5000, 1024
NO_AETH = -1


@dataclass
class Upper:
    """Records what the transport hands over; ``follow`` decides whether an
    RDMA transfer is tracked (a token) or not (None)."""

    follow: bool = True
    calls: list[tuple] = field(default_factory=list)

    def on_message(self, channel: object, sender: int, data: bytes, ts: int) -> None:
        self.calls.append(("message", sender, data, ts))

    def on_rdma(self, channel: object, sender: int, read: bool, reth: Reth,
                ts: int) -> object | None:
        self.calls.append(("rdma", sender, read, (reth.va, reth.r_key, reth.dma_len), ts))
        return ("token", reth.r_key) if self.follow else None

    def on_rdma_done(self, channel: object, token: object, ts: int) -> None:
        self.calls.append(("done", token, ts))


@dataclass
class Channel:
    upper: Upper
    closed: bool = False


def transport() -> RcTransport:
    return RcTransport(Reth, infiniband.rc_header_lengths(), 4791, ())


def bound(follow: bool = True) -> tuple[RcTransport, Upper]:
    rc = transport()
    upper = Upper(follow)
    rc.bind(Channel(upper), INITIATOR, IQPN, IPSN, TARGET, TQPN, TPSN, MTU)
    return rc, upper


def to_target(rc: RcTransport, opcode: int, psn: int, data: bytes = b"", reth: Reth | None = None,
              syndrome: int = NO_AETH, ts: int = 1) -> None:
    rc.packet(TARGET, TQPN, opcode, psn & 0xFFFFFF, data, reth, syndrome, ts)


def to_initiator(rc: RcTransport, opcode: int, psn: int, data: bytes = b"",
                 reth: Reth | None = None, syndrome: int = NO_AETH, ts: int = 1) -> None:
    rc.packet(INITIATOR, IQPN, opcode, psn & 0xFFFFFF, data, reth, syndrome, ts)


def messages(upper: Upper) -> list[tuple[int, bytes]]:
    return [(c[1], c[2]) for c in upper.calls if c[0] == "message"]


# -- SEND messages ------------------------------------------------------------------

def test_a_multi_packet_send_is_one_message() -> None:
    rc, upper = bound()
    to_target(rc, SEND_FIRST, IPSN, b"ab")
    to_target(rc, SEND_MIDDLE, IPSN + 1, b"cd")
    assert upper.calls == []
    to_target(rc, SEND_LAST, IPSN + 2, b"ef", ts=7)
    assert upper.calls == [("message", 0, b"abcdef", 7)]
    to_initiator(rc, SEND_ONLY, TPSN, b"rsp")
    assert messages(upper)[-1] == (1, b"rsp")
    assert rc.counts() == {}


@pytest.mark.parametrize("last", [SEND_LAST, SEND_LAST_IMM, SEND_LAST_INV])
def test_every_last_kind_ends_a_message(last: int) -> None:
    rc, upper = bound()
    to_target(rc, SEND_FIRST, IPSN, b"x")
    to_target(rc, last, IPSN + 1, b"y")
    to_target(rc, SEND_ONLY_INV, IPSN + 2, b"z")
    assert messages(upper) == [(0, b"xy"), (0, b"z")]


def test_a_retransmitted_packet_is_dropped_and_counted() -> None:
    rc, upper = bound()
    to_target(rc, SEND_FIRST, IPSN, b"ab")
    to_target(rc, SEND_FIRST, IPSN, b"ab")  # the requester sent it again
    to_target(rc, SEND_LAST, IPSN + 1, b"cd")
    to_target(rc, SEND_LAST, IPSN + 1, b"cd")
    assert messages(upper) == [(0, b"abcd")]
    assert rc.counts() == {"RC packets retransmitted": 2}


def test_a_gap_never_produces_a_message() -> None:
    rc, upper = bound()
    to_target(rc, SEND_FIRST, IPSN, b"ab")
    to_target(rc, SEND_LAST, IPSN + 2, b"ef")  # IPSN + 1 lost
    to_target(rc, SEND_MIDDLE, IPSN + 3, b"gh")
    assert upper.calls == []
    to_target(rc, SEND_ONLY, IPSN + 4, b"ok")
    assert messages(upper) == [(0, b"ok")]
    assert rc.counts() == {"RC PSN gaps (packets lost)": 1,
                           "RC SEND packets after a gap (dropped)": 2}


def test_a_late_packet_after_a_gap_is_not_delivered_twice() -> None:
    """Out of order: PSN n+2 before n+1.  The responder has moved past n+1, so
    the late packet counts as a retransmission (§9.7.4.1.1) and is dropped."""
    rc, upper = bound()
    to_target(rc, SEND_ONLY, IPSN, b"1")
    to_target(rc, SEND_ONLY, IPSN + 2, b"3")
    to_target(rc, SEND_ONLY, IPSN + 1, b"2")
    assert messages(upper) == [(0, b"1"), (0, b"3")]
    assert rc.counts() == {"RC PSN gaps (packets lost)": 1, "RC packets retransmitted": 1}


def test_psns_wrap_around() -> None:
    rc = transport()
    upper = Upper()
    rc.bind(Channel(upper), INITIATOR, IQPN, 0xFFFFFE, TARGET, TQPN, 0, MTU)
    to_target(rc, SEND_FIRST, 0xFFFFFE, b"a")
    to_target(rc, SEND_MIDDLE, 0xFFFFFF, b"b")
    to_target(rc, SEND_LAST, 0, b"c")
    to_target(rc, SEND_ONLY, 0xFFFFFF, b"old")  # behind: a retransmission
    assert messages(upper) == [(0, b"abc")]
    assert rc.counts() == {"RC packets retransmitted": 1}


def test_an_oversized_message_is_dropped() -> None:
    rc, upper = bound()
    chunk = bytes(1 << 20)
    to_target(rc, SEND_FIRST, IPSN, chunk)
    for i in range(1, 17):
        to_target(rc, SEND_MIDDLE, IPSN + i, chunk)
    to_target(rc, SEND_LAST, IPSN + 17, b"end")
    assert upper.calls == []
    assert rc.counts() == {"RC SEND messages over 16 MiB (dropped)": 1,
                           "RC SEND packets after a gap (dropped)": 1}


# -- RDMA WRITE and READ --------------------------------------------------------------

def test_a_write_completes_at_the_ack_of_its_last_packet() -> None:
    rc, upper = bound()
    reth = Reth(0x7F0000001000, 0x1234, 3000)  # three packets at MTU 1024
    to_initiator(rc, WRITE_FIRST, TPSN, bytes(1024), reth, ts=1)
    to_initiator(rc, WRITE_MIDDLE, TPSN + 1, bytes(1024), ts=2)
    to_target(rc, ACK, TPSN + 1, syndrome=0)  # not yet: the last PSN is TPSN + 2
    to_initiator(rc, WRITE_LAST, TPSN + 2, bytes(952), ts=3)
    to_target(rc, ACK, TPSN + 2, syndrome=0x60 | 1)  # a NAK completes nothing
    assert upper.calls == [("rdma", 1, False, (0x7F0000001000, 0x1234, 3000), 1)]
    to_target(rc, ACK, TPSN + 2, syndrome=0x1F, ts=9)
    assert upper.calls[-1] == ("done", ("token", 0x1234), 9)
    to_target(rc, ACK, TPSN + 2, syndrome=0, ts=10)  # nothing left to complete
    assert len(upper.calls) == 2


def test_a_transfer_the_upper_does_not_follow_is_not_kept() -> None:
    rc, upper = bound(follow=False)
    to_initiator(rc, WRITE_ONLY, TPSN, bytes(10), Reth(1, 2, 10))
    to_target(rc, ACK, TPSN, syndrome=0)
    assert [c[0] for c in upper.calls] == ["rdma"]


def test_a_read_request_takes_a_psn_per_response_packet() -> None:
    rc, upper = bound()
    to_initiator(rc, READ_REQUEST, TPSN, reth=Reth(0x5000, 0x77, 2500), ts=1)
    to_initiator(rc, READ_REQUEST, TPSN, reth=Reth(0x5000, 0x77, 2500), ts=2)  # again
    to_target(rc, READ_FIRST, TPSN, bytes(1024), syndrome=0)
    to_target(rc, READ_LAST, TPSN + 2, bytes(452), syndrome=0, ts=5)
    to_initiator(rc, SEND_ONLY, TPSN + 3, b"rsp")  # in order: the READ took 3 PSNs
    assert upper.calls == [("rdma", 1, True, (0x5000, 0x77, 2500), 1),
                           ("done", ("token", 0x77), 5), ("message", 1, b"rsp", 1)]
    assert rc.counts() == {"RC packets retransmitted": 1}


def test_a_lost_write_packet_still_completes_nothing_it_did_not_start() -> None:
    rc, upper = bound()
    to_initiator(rc, WRITE_MIDDLE, TPSN + 1, bytes(1024))  # its FIRST was lost
    to_target(rc, ACK, TPSN + 3, syndrome=0)
    assert upper.calls == []
    assert rc.counts() == {"RC PSN gaps (packets lost)": 1}


# -- the QP table ---------------------------------------------------------------------

def test_unknown_qps_are_counted() -> None:
    rc, upper = bound()
    rc.packet(TARGET, TQPN + 1, SEND_ONLY, 0, b"x", None, NO_AETH, 1)
    rc.packet(b"G" + TARGET[1:] + bytes(12), TQPN, SEND_ONLY, 0, b"x", None, NO_AETH, 1)
    assert upper.calls == []
    assert rc.counts() == {"RC packets of connections not seen being set up": 2}


def test_find_names_the_channel_and_the_receiver() -> None:
    rc = transport()
    channel = Channel(Upper())
    rc.bind(channel, INITIATOR, IQPN, IPSN, TARGET, TQPN, TPSN, MTU)
    assert rc.find(TARGET, TQPN) == (channel, 1)
    assert rc.find(INITIATOR, IQPN) == (channel, 0)
    assert rc.find(TARGET, IQPN) is None
    newer = Channel(Upper())  # the target's QP reused by a new connection
    rc.bind(newer, b"I" + bytes(4), 9, 0, TARGET, TQPN, 0, MTU)
    assert rc.find(TARGET, TQPN) == (newer, 1)
    assert rc.find(INITIATOR, IQPN) == (channel, 0)


def test_channels_only_the_transport_holds_survive_garbage_collection() -> None:
    rc = transport()
    rc.bind(Channel(Upper()), INITIATOR, IQPN, IPSN, TARGET, TQPN, TPSN, MTU)
    to_initiator(rc, WRITE_ONLY, TPSN, bytes(8), Reth(1, 2, 8))  # a token held in C
    gc.collect()
    channel, receiver = rc.find(TARGET, TQPN)
    to_target(rc, ACK, TPSN, syndrome=0)
    assert receiver == 1
    assert [c[0] for c in channel.upper.calls] == ["rdma", "done"]


def test_the_table_is_bounded_closed_channels_first() -> None:
    rc = transport()
    channels = [Channel(Upper()) for _ in range(4098)]
    channels[0].closed = True

    def bind(i: int) -> None:
        rc.bind(channels[i], INITIATOR, 2 * i + 2, 0, TARGET, 2 * i + 3, 0, MTU)

    for i in range(4096):  # 8192 QPs: full
        bind(i)
    assert rc.find(TARGET, 3) is not None
    bind(4096)  # the closed channel goes
    assert rc.find(TARGET, 3) is None and rc.find(TARGET, 5) is not None
    bind(4097)  # then the oldest
    assert rc.find(TARGET, 5) is None and rc.find(INITIATOR, 4) is None
    assert rc.find(TARGET, 2 * 4097 + 3) == (channels[4097], 1)


def test_only_rc_packets_not_to_qp1_are_taken() -> None:
    rc, _ = bound()
    with pytest.raises(ValueError):
        rc.packet(TARGET, 1, SEND_ONLY, 0, b"", None, NO_AETH, 1)
    with pytest.raises(ValueError):
        rc.packet(TARGET, TQPN, 0x64, 0, b"", None, NO_AETH, 1)  # UD SEND Only
