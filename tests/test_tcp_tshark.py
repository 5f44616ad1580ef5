"""Differential tests of the tcp provider against tshark on the real captures
in ../shared/captures (skipped when absent).

With ``--local all`` every TCP segment fires exactly one ``tcp:::send`` (at its
source), in capture order, so the i-th send lines up with tshark's i-th TCP
frame.  Checked per segment: every tcpinfo_t field, and ``tcps_retransmit``
against ``tcp.analysis.retransmission`` (which Wireshark also sets on fast and
spurious retransmissions).  One principled difference is allowed: a SYN
captured after the SYN/ACK that answers it is a retransmission for us (the
SYN/ACK proves the SYN was already sent; the state machine presumed it), while
Wireshark, reading in capture order, sees it first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import require_shared, require_tshark, shared_captures
from tests.flows.kit import run
from tests.tshark import fields

FIELDS = ["tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw",
          "tcp.hdr_len", "tcp.flags", "tcp.window_size_value", "tcp.checksum",
          "tcp.urgent_pointer", "tcp.analysis.retransmission"]
TCPINFO = ["tcp_sport", "tcp_dport", "tcp_seq", "tcp_ack", "tcp_offset", "tcp_flags",
           "tcp_window", "tcp_checksum", "tcp_urgent"]
SYN, RST, ACK = 0x02, 0x04, 0x10
# TCP carried in ICMP errors is a quoted header, not a segment
TCP_SEGMENTS = "tcp && !icmp && !icmpv6"


def tcp_captures() -> list[Path]:
    return [p for p in shared_captures() if p.parent.name in
            ("tcp", "ip", "iscsi", "nfsv3", "nfsv4", "real-peers", "format", "infiniband")]


class Segment:
    def __init__(self, row: list[str]) -> None:
        self.stream = int(row[0])
        self.header = (int(row[1]), int(row[2]), int(row[3]), int(row[4]), int(row[5]),
                       int(row[6], 16) & 0xFF, int(row[7]), int(row[8], 16), int(row[9]))
        self.sport, self.dport, self.seq, self.ack = self.header[:4]
        self.flags = self.header[5]
        self.retransmission = bool(row[10])


def tshark_segments(capture: Path) -> list[Segment]:
    return [Segment(r) for r in fields(capture, FIELDS, TCP_SEGMENTS)]


def late_syns(segments: list[Segment]) -> set[int]:
    """Indexes of SYNs captured after a SYN/ACK of their stream."""
    answered: set[int] = set()
    late = set()
    for i, s in enumerate(segments):
        if s.flags & (SYN | ACK) == SYN | ACK:
            answered.add(s.stream)
        elif s.flags & SYN and s.stream in answered:
            late.add(i)
    return late


def handshakes(segments: list[Segment]) -> tuple[int, int, int]:
    """(active opens: first SYN/ACK of each stream, with or without a captured
    SYN -- it proves one was sent; passive opens: the final ACK answering it;
    SYNs refused by RST)."""
    syn_seq: dict[int, set[int]] = {}
    for s in segments:
        if s.flags & (SYN | ACK) == SYN:
            syn_seq.setdefault(s.stream, set()).add(s.seq)
    synacks: dict[int, Segment] = {}
    finals: set[int] = set()
    refused = 0
    for s in segments:
        syns = syn_seq.get(s.stream, set())
        if s.flags & (SYN | ACK) == SYN | ACK and s.stream not in synacks:
            synacks[s.stream] = s
        elif s.flags & (SYN | ACK | RST) == ACK and s.stream in synacks \
                and s.stream not in finals:
            sa = synacks[s.stream]
            if s.sport == sa.dport and s.ack == (sa.seq + 1) & 0xFFFFFFFF:
                finals.add(s.stream)
        elif s.flags & RST and s.stream not in synacks and (s.ack - 1) & 0xFFFFFFFF in syns:
            refused += 1
            syn_seq[s.stream] = set()  # one refusal per attempt
    return len(synacks), len(finals), refused


@pytest.mark.parametrize("capture", tcp_captures(), ids=lambda p: p.name)
def test_segments_match_tshark(capture: Path):
    require_shared()
    require_tshark()
    theirs = tshark_segments(capture)
    if not theirs:
        pytest.skip(f"{capture.name} holds no TCP")
    sink, _ = run(capture, providers=("tcp",))
    sends = sink.of("tcp:::send")
    assert len(sends) == len(theirs)
    late = late_syns(theirs)
    for i, (send, seg) in enumerate(zip(sends, theirs)):
        tcpinfo, tcpsinfo = send[2][4], send[2][3]
        assert tuple(tcpinfo[m] for m in TCPINFO) == seg.header, f"segment {i}"
        expected = seg.retransmission or i in late
        assert bool(tcpsinfo["tcps_retransmit"]) == expected, f"segment {i} retransmission"

    connects, accepts, refused = handshakes(theirs)
    assert len(sink.of("tcp:::connect-established")) == connects
    assert len(sink.of("tcp:::accept-established")) == accepts
    assert len(sink.of("tcp:::connect-refused")) == refused
    assert len(sink.of("tcp:::accept-refused")) == refused


def test_the_captures_exercise_what_they_should():
    """Guards the differential test itself: the corpus has retransmissions,
    handshakes and a refused connect, so the comparisons above are not vacuous."""
    require_shared()
    require_tshark()
    by_name = {p.name: p for p in tcp_captures()}
    if "out-of-order.pcap" not in by_name or "connect-refused-rst.pcap" not in by_name:
        pytest.skip("the shared TCP captures are incomplete")
    ooo = tshark_segments(by_name["out-of-order.pcap"])
    assert sum(s.retransmission for s in ooo) > 200
    assert handshakes(tshark_segments(by_name["connect-refused-rst.pcap"]))[2] == 1
