"""The C endpoint (pcapprobe/cext/endpoint.c) driven segment by segment.

Each scenario feeds scripted segments to a pair of endpoints (client and
server, as ``--local all``), records every firing with the whole tcpsinfo_t
it shows, and compares the transcript with
``endpoint_transcripts.txt``.  Those transcripts were produced by the Python
endpoint this C code replaced (pcapprobe/flows/endpoint.py before it moved to
C) and reviewed against its docstring; a difference is a change of
semantics.  The acceptability scenarios (RST, SYN and FIN in and out of the
receive window in every state, issue 11) were added with the C rules from
illumos tcp_input_data and reviewed line by line.
"""

from __future__ import annotations

import gc
import struct
import weakref
from pathlib import Path

import pytest

from pcapprobe.dissectors.tcp import TcpOptions, parse_options
from pcapprobe.flows.endpoint import Endpoint, Firing
from pcapprobe.probes.constants import TCP_STATE_STRING, TCPS_BOUND
from pcapprobe.probes.translators.tcp import (
    PKTINFO, TCPLSINFO, CsInfo, TcpInfo, TcpsInfo,
)

TRANSCRIPTS = Path(__file__).with_name("endpoint_transcripts.txt")

FLAGS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10}
MS = 1_000_000
T0 = 1_700_000_000 * 1_000_000_000
MEMBERS = ("state", "iss", "suna", "snxt", "rack", "rnxt", "swnd", "snd_ws", "rwnd",
           "rcv_ws", "cwnd", "cwnd_ssthresh", "sack_fack", "sack_snxt", "rto", "mss",
           "retransmit", "active")


def mss(n: int) -> bytes:
    return struct.pack(">BBH", 2, 4, n)


def ws(n: int) -> bytes:
    return bytes((1, 3, 3, n))


SACK_OK = bytes((1, 1, 4, 2))


def sack(*blocks: tuple[int, int]) -> bytes:
    body = b"".join(struct.pack(">II", left, right) for left, right in blocks)
    return bytes((1, 1, 5, 2 + len(body))) + body


def segment(sport: int, dport: int, flags: str, seq: int, ack: int, data: int,
            window: int, opts: bytes) -> TcpInfo:
    opts += b"\x00" * (-len(opts) % 4)
    offset = 20 + len(opts)
    bits = sum(FLAGS[f] for f in flags)
    header = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                         offset // 4 << 4, bits, window, 0, 0) + opts
    return TcpInfo(memoryview(header + b"x" * data))


class Recorder:
    """A run's TCP layer as endpoints see it: handlers that write the transcript,
    the time-wait clock and option parsing."""

    def __init__(self, packet_probes: bool = True, estimate: bool = True) -> None:
        self.lines: list[str] = []
        self.waiting: list[tuple[int, int]] = []
        self.fire = Firing(self.handler, self.time_wait, self.options, PKTINFO,
                           TCPLSINFO, CsInfo)
        self.fire.estimate = estimate
        self.ipinfo = object() if packet_probes else None

    def handler(self, name: str):
        def fire(ts: int, args: tuple, thread: object) -> None:
            ep = args[3]
            assert thread == ("tcp", args[1].cs_cid)
            if name == "state-change":
                assert args[0] is None and args[2] is None and args[4] is None
                what = f"{TCP_STATE_STRING[args[5].tcps_state]} -> "
            else:
                assert args[0] is PKTINFO and args[2] is self.ipinfo
                what = f"seq={args[4].tcp_seq} "
            values = " ".join(str(getattr(ep, "tcps_" + m)) for m in MEMBERS[1:])
            self.lines.append(f"{(ts - T0) / MS:g} cid={args[1].cs_cid} {name} {what}"
                              f"{TCP_STATE_STRING[ep.tcps_state]} {values}")
        return fire

    def client(self, midstream: bool = False, ipv6: bool = False) -> Endpoint:
        """10.0.0.1:40000 talking to 10.0.0.2:80, cid 1."""
        return TcpsInfo(self.fire, 1, "10.0.0.1", 40000, "10.0.0.2", 80, ipv6, False,
                        midstream)

    def time_wait(self, endpoint: Endpoint, ts: int) -> None:
        self.waiting.append((endpoint.tcps_lport, ts))

    @staticmethod
    def options(seg: TcpInfo) -> TcpOptions:
        return parse_options(seg.header) if seg.offset > 20 else TcpOptions()


def run(script: list[tuple], packet_probes: bool = True, estimate: bool = True,
        midstream: bool = False, ipv6: bool = False) -> str:
    """Feed ``script`` to a client (10.0.0.1:40000, cid 1) and a server
    (10.0.0.2:80, cid 2); steps are (ms, "c"|"s", flags, seq, ack, data, window,
    options) for a segment sent by that side, or (ms, "expire") for the time-wait
    clock passing."""
    rec = Recorder(packet_probes, estimate)
    client = rec.client(midstream, ipv6)
    server = TcpsInfo(rec.fire, 2, "10.0.0.2", 80, "10.0.0.1", 40000, ipv6, False,
                      midstream)
    client.active = int(midstream)
    for ms_, side, *seg in script:
        ts = T0 + int(ms_ * MS)
        if side == "expire":
            client.expire_time_wait(ts)
            server.expire_time_wait(ts)
            continue
        flags, seq, ack, data, window, opts = seg + [65535, b""][len(seg) - 4:]
        sender, receiver = (client, server) if side == "c" else (server, client)
        tcp = segment(sender.tcps_lport, receiver.tcps_lport, flags, seq, ack, data,
                      window, opts)
        sender.on_send(tcp, ts, rec.ipinfo)
        receiver.on_receive(tcp, ts, rec.ipinfo)
    rec.lines.extend(f"time-wait port={port} at={(ts - T0) / MS:g}"
                     for port, ts in rec.waiting)
    final = " ".join(f"{m}={getattr(client, 'tcps_' + m)}" for m in MEMBERS)
    rec.lines.append(f"client {final}")
    return "\n".join(rec.lines) + "\n"


SYN_OPTS = mss(1460) + ws(7) + SACK_OK
SYNACK_OPTS = mss(1400) + ws(8) + SACK_OK
# client iss 1000, server iss 5000, established at 2 ms
HANDSHAKE = [
    (0, "c", "S", 1000, 0, 0, 65535, SYN_OPTS),
    (1, "s", "SA", 5000, 1001, 0, 65535, SYNACK_OPTS),
    (2, "c", "A", 1001, 5001, 0, 1024),
]


def data_run(start_ms: float, seqs: list[int], size: int = 1400) -> list[tuple]:
    return [(start_ms + i * 0.1, "c", "PA", seq, 5001, size, 1024)
            for i, seq in enumerate(seqs)]


SCENARIOS = {
    "handshake, RTT samples, close, time-wait": HANDSHAKE + [
        (10, "c", "PA", 1001, 5001, 1400, 1024),
        (30, "s", "A", 5001, 2401, 0, 512),
        (31, "c", "PA", 2401, 5001, 1400, 1024),
        (32, "c", "PA", 3801, 5001, 1400, 1024),
        (40, "s", "A", 5001, 3801, 0, 512),
        (45, "s", "PA", 5001, 5201, 300, 512),
        (46, "c", "FA", 5201, 5301, 0, 1024),
        (47, "s", "A", 5301, 5202, 0, 512),
        (48, "s", "FA", 5301, 5202, 0, 512),
        (49, "c", "A", 5202, 5302, 0, 1024),
        (50, "s", "A", 5302, 5202, 0, 512),
        (59_000, "expire"),
        (61_000, "expire"),
    ],
    "loss, duplicate ACKs with SACK, fast recovery": HANDSHAKE + [
        (10, "s", "A", 5001, 1001, 0, 512),
        *data_run(20, [1001, 3801, 5201, 6601, 8001]),  # 2401 lost before the capture
        (30, "s", "A", 5001, 2401, 0, 512),
        (31, "s", "A", 5001, 2401, 0, 512, sack((3801, 5201))),
        (32, "s", "A", 5001, 2401, 0, 512, sack((3801, 6601))),
        (33, "s", "A", 5001, 2401, 0, 512, sack((3801, 8001))),
        (34, "s", "A", 5001, 2401, 0, 512, sack((3801, 9401))),
        (35, "c", "PA", 2401, 5001, 1400, 1024),
        (36, "s", "A", 5001, 2401, 0, 512, sack((6601, 9401), (3801, 5201))),
        (50, "s", "A", 5001, 5201, 0, 512, sack((6601, 9401))),
        (51, "c", "PA", 5201, 5001, 1400, 1024),
        (60, "s", "A", 5001, 9401, 0, 512),
        *data_run(70, [9401, 10801, 12201]),
        (80, "s", "A", 5001, 13601, 0, 512),
    ],
    "timeout retransmission and Karn's rule": HANDSHAKE + [
        *data_run(10, [1001, 2401, 3801]),
        (500, "c", "PA", 1001, 5001, 1400, 1024),
        (1500, "c", "PA", 1001, 5001, 1400, 1024),
        (1600, "s", "A", 5001, 2401, 0, 512),
        (1700, "c", "PA", 5201, 5001, 1400, 1024),
        (1800, "s", "A", 5001, 6601, 0, 512),
    ],
    "reordering before the capture point": HANDSHAKE + [
        (10, "c", "PA", 1001, 5001, 100, 1024),
        (11, "c", "PA", 1201, 5001, 100, 1024),
        (12, "c", "PA", 1101, 5001, 100, 1024),  # fills its hole within 3 ms
        (13, "c", "PA", 1501, 5001, 100, 1024),
        (20, "c", "PA", 1301, 5001, 100, 1024),  # fills its hole late
        (21, "c", "PA", 1401, 5001, 50, 1024),  # a part of the remaining hole
        (22, "c", "PA", 1251, 5001, 300, 1024),  # half seen before
        (23, "c", "PA", 900, 5001, 50, 1024),  # before anything seen
    ],
    "long RTTs and four SACK blocks": HANDSHAKE + [
        (10, "c", "PA", 1001, 5001, 1400, 1024),
        (410.123457, "s", "A", 5001, 2401, 0, 512),
        (411, "c", "PA", 2401, 5001, 1400, 1024),
        (1311.000001, "s", "A", 5001, 3801, 0, 512),
        (1312, "c", "PA", 3801, 5001, 1400, 1024),
        (1435.456789, "s", "A", 5001, 5201, 0, 512),
        *data_run(1500, [5201, 6601, 8001, 9401, 10801, 12201, 13601, 15001, 16401]),
        (1600, "s", "A", 5001, 6601, 0, 512,
         sack((15001, 16401), (9401, 10801), (8001, 9401), (12201, 13601))),
        (1601, "s", "A", 5001, 8001, 0, 512,
         sack((9401, 10801), (12201, 16401), (6601, 9401))),
        (1602, "s", "A", 5001, 17801, 0, 512),
    ],
    "simultaneous open": [
        (0, "c", "S", 1000, 0, 0, 65535, SYN_OPTS),
        (1, "s", "S", 5000, 0, 0, 65535, SYNACK_OPTS),
        (2, "c", "SA", 1000, 5001, 0, 65535, SYN_OPTS),
        (3, "s", "SA", 5000, 1001, 0, 65535, SYNACK_OPTS),
        (4, "c", "PA", 1001, 5001, 10, 1024),
    ],
    "refused": [
        (0, "c", "S", 1000, 0, 0, 65535, mss(1460)),
        (1, "s", "RA", 0, 1001, 0, 0),
    ],
    "SYN/ACK captured first": [
        (0, "s", "SA", 5000, 1001, 0, 65535, SYNACK_OPTS),
        (1, "c", "S", 1000, 0, 0, 65535, SYN_OPTS),
        (2, "c", "A", 1001, 5001, 0, 1024),
        (3, "c", "PA", 1001, 5001, 10, 1024),
    ],
    "window scaling offered by one side only": [
        (0, "c", "S", 1000, 0, 0, 65535, mss(1460) + ws(7)),
        (1, "s", "SA", 5000, 1001, 0, 65535, mss(536) + SACK_OK),
        (2, "c", "A", 1001, 5001, 0, 1024),
    ],
    "sequence numbers wrapping": [
        (0, "c", "S", 0xFFFFFF00, 0, 0, 65535, SYN_OPTS),
        (1, "s", "SA", 0xFFFFFFF0, 0xFFFFFF01, 0, 65535, SYNACK_OPTS),
        (2, "c", "A", 0xFFFFFF01, 0xFFFFFFF1, 0, 1024),
        (3, "c", "PA", 0xFFFFFF01, 0xFFFFFFF1, 1400, 1024),
        (4, "s", "PA", 0xFFFFFFF1, 0x479, 100, 512),
        (5, "c", "FA", 0x479, 0x55, 0, 1024),
        (6, "s", "FA", 0x55, 0x47A, 0, 512),
        (7, "c", "A", 0x47A, 0x56, 0, 1024),
    ],
    "ACK of the FIN crossing the peer's FIN (closing)": HANDSHAKE + [
        (10, "c", "FA", 1001, 5001, 0, 1024),
        (10.5, "s", "FA", 5001, 1001, 0, 512),
        (11, "c", "A", 1002, 5002, 0, 1024),
        (12, "s", "A", 5002, 1002, 0, 512),
    ],
}

MIDSTREAM = [
    (0, "c", "PA", 7000, 9000, 1000, 1024),
    (1, "s", "A", 9000, 8000, 0, 512),
    (2, "c", "PA", 8000, 9000, 1000, 1024),
    (3, "c", "PA", 8000, 9000, 1000, 1024),
    (4, "s", "PA", 9000, 9000, 500, 512),
]

# A RST from either side in each state the handshake and close reach.
CLIENT_FIN = (10, "c", "FA", 1001, 5001, 0)
RST_AFTER = {
    "listen": [(0, "c", "S", 1000, 0, 0)],
    "syn-received": HANDSHAKE[:2],
    "established": HANDSHAKE,
    "fin-wait-1": HANDSHAKE + [CLIENT_FIN],
    "fin-wait-2": HANDSHAKE + [CLIENT_FIN, (11, "s", "A", 5001, 1002, 0)],
    "closing": HANDSHAKE + [CLIENT_FIN, (10.5, "s", "FA", 5001, 1001, 0)],
    "last-ack": HANDSHAKE + [CLIENT_FIN, (11, "s", "A", 5001, 1002, 0),
                             (12, "s", "FA", 5001, 1002, 0)],
    "time-wait": HANDSHAKE + [CLIENT_FIN, (11, "s", "FA", 5001, 1002, 0),
                              (12, "c", "A", 1002, 5002, 0)],
}


# Acceptability (illumos tcp_input_data / tcp_time_wait_processing, RFC 793
# p. 69): in each state, segments from the server to the client whose
# sequence number lies before RCV.NXT (5001 or, after the server's FIN, 5002)
# or beyond RCV.NXT + RCV.WND (the window the client last advertised, scaled
# by its 7) change nothing; the same flags in the window do.
OUT_OF_WINDOW = {
    "RST one below RCV.NXT": ("R", -1),
    "RST past the window": ("R", 1),
    "SYN one below RCV.NXT (a retransmission)": ("S", -1),
    "SYN past the window": ("S", 1),
    "FIN past the window": ("FA", 1),
}
IN_WINDOW = {
    "RST at RCV.NXT": ("R", 0),
    "RST inside the window": ("R", 100),
    "RST at the window's right edge": ("R", 0),
    "SYN inside the window": ("S", 100),
}
# the client's state after each script: (script, its RCV.NXT, its last window)
SERVER_TO_CLIENT = {
    "established": (HANDSHAKE, 5001, 1024),
    "fin-wait-1": (HANDSHAKE + [CLIENT_FIN], 5001, 65535),
    "fin-wait-2": (HANDSHAKE + [CLIENT_FIN, (11, "s", "A", 5001, 1002, 0)], 5001, 65535),
    "closing": (HANDSHAKE + [CLIENT_FIN, (10.5, "s", "FA", 5001, 1001, 0)], 5002, 65535),
    "close-wait": (HANDSHAKE + [(10, "s", "FA", 5001, 1001, 0)], 5002, 1024),
    "last-ack": (HANDSHAKE + [(10, "s", "FA", 5001, 1001, 0), (11, "c", "FA", 1001, 5002, 0)],
                 5002, 65535),
    "time-wait": (RST_AFTER["time-wait"], 5002, 65535),
}


SYN_SENT = [(0, "c", "S", 1000, 0, 0, 65535, SYN_OPTS)]


def acceptability() -> dict[str, str]:
    out = {}
    for state, (script, rnxt, window) in SERVER_TO_CLIENT.items():
        last = script[-1][0]
        for cases in (OUT_OF_WINDOW, IN_WINDOW):
            for what, (flags, offset) in cases.items():
                # "past the window" and "the window's right edge" count from that edge
                edge = window << 7 if "window" in what and "inside" not in what else 0
                out[f"{state}: {what}"] = run(
                    script + [(last + 1, "s", flags, rnxt + edge + offset, 1002, 0, 512)])
    # The server in SYN-RECEIVED: RCV.NXT 1001, the window of its SYN/ACK
    # (65535, never scaled); the same segments from the client.
    for cases in (OUT_OF_WINDOW, IN_WINDOW):
        for what, (flags, offset) in cases.items():
            edge = 65535 if "window" in what and "inside" not in what else 0
            out[f"syn-received: {what}"] = run(
                HANDSHAKE[:2] + [(2, "c", flags, 1001 + edge + offset, 5001, 0, 1024)])
    out["syn-sent: RST without ACK"] = run(SYN_SENT + [(1, "s", "R", 5000, 0, 0, 0)])
    out["syn-sent: RST/ACK of something not sent"] = run(
        SYN_SENT + [(1, "s", "RA", 0, 1005, 0, 0)])
    out["syn-sent: RST/ACK of the SYN"] = run(SYN_SENT + [(1, "s", "RA", 0, 1001, 0, 0)])
    out["mid-stream: RST one below RCV.NXT, then one at it"] = run(
        MIDSTREAM + [(5, "s", "R", 9499, 0, 0), (6, "c", "PA", 9000, 9500, 10, 1024),
                     (7, "s", "R", 9500, 0, 0)], midstream=True)
    return out


def transcripts() -> dict[str, str]:
    """Every scenario's transcript, by name (the sections of TRANSCRIPTS)."""
    out = {name: run(script) for name, script in SCENARIOS.items()}
    out["mid-stream"] = run(MIDSTREAM, midstream=True)
    out["IPv6 without options, no packet probes"] = run(
        [(0, "c", "S", 1, 0, 0), (1, "s", "SA", 9, 2, 0), (2, "c", "A", 2, 10, 0),
         (3, "c", "FA", 2, 10, 0), (4, "s", "FA", 10, 3, 0), (5, "c", "A", 3, 11, 0)],
        packet_probes=False, ipv6=True)
    loss = SCENARIOS["loss, duplicate ACKs with SACK, fast recovery"]
    out["estimates skipped"] = run(loss, estimate=False)
    for state, script in RST_AFTER.items():
        last = script[-1][0]
        out[f"RST by the client in {state}"] = run(
            script + [(last + 1, "c", "R", 1002, 0, 0)])
        out[f"RST/ACK by the server in {state}"] = run(
            script + [(last + 1, "s", "RA", 5002, 1002, 0)])
    out.update(acceptability())
    return out


def read_transcripts() -> dict[str, str]:
    sections: dict[str, str] = {}
    name = None
    for line in TRANSCRIPTS.read_text().splitlines(keepends=True):
        if line.startswith("== "):
            name = line[3:].rstrip("\n")
            sections[name] = ""
        elif name is not None:
            sections[name] += line
    return sections


def render_transcripts() -> str:
    return "".join(f"== {name}\n{text}" for name, text in transcripts().items())


EXPECTED = read_transcripts()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scenario_transcript(name: str) -> None:
    assert transcripts()[name] == EXPECTED[name]


def test_every_scenario_has_a_transcript() -> None:
    assert sorted(transcripts()) == sorted(EXPECTED)


def test_holes_beyond_the_limit_forget_the_oldest() -> None:
    # 70 holes opened (each segment skips 100 bytes), then the oldest and the
    # newest are filled at once: the oldest was forgotten (a retransmission),
    # the newest is reordering (within 3 ms of its opening).
    rec = Recorder()
    client = rec.client(midstream=True)
    retransmits = []
    for i in range(71):
        tcp = segment(40000, 80, "PA", 1000 + 200 * i, 1, 100, 1024, b"")
        client.on_send(tcp, T0 + i * 10 * MS, rec.ipinfo)
    for seq, at in ((1100, 710), (1000 + 200 * 70 - 100, 701)):
        client.on_send(segment(40000, 80, "PA", seq, 1, 100, 1024, b""), T0 + at * MS,
                       rec.ipinfo)
        retransmits.append(int(rec.lines[-1].split()[-2]))
    assert retransmits == [1, 0]


def test_filling_the_middle_of_holes_outgrows_the_limit() -> None:
    # Splitting a hole adds one: the list is not capped between two sends.
    rec = Recorder()
    client = rec.client(midstream=True)
    for i in range(64):
        client.on_send(segment(40000, 80, "PA", 1000 * i, 1, 10, 1024, b""), T0,
                       rec.ipinfo)
    for i in range(63):  # each hole [1000 i + 10, 1000 (i+1)) split around 1000 i + 500
        client.on_send(segment(40000, 80, "PA", 1000 * i + 500, 1, 10, 1024, b""), T0,
                       rec.ipinfo)
        assert rec.lines[-1].split()[-2] == "0"
    # every piece of every split hole is still known: refilling is reordering
    for i in range(63):
        client.on_send(segment(40000, 80, "PA", 1000 * i + 10, 1, 490, 1024, b""), T0,
                       rec.ipinfo)
        assert rec.lines[-1].split()[-2] == "0"


def test_types_and_members() -> None:
    assert TcpsInfo is Endpoint
    rec = Recorder()
    ep = Endpoint(rec.fire, 7, "::1", 1, "::1", 2, True, True, False)
    members = (ep.tcps_addr, ep.tcps_local, ep.tcps_laddr, ep.tcps_mss)
    assert members == (0, 1, "::1", 1220)
    assert type(ep.tcps_snxt) is int and type(ep.tcps_laddr) is str
    with pytest.raises(AttributeError):
        ep.tcps_state = 0
    ep.tw_expiry = 1 << 70  # a pcapng time beyond 64 bits: saturated
    assert ep.tw_expiry == (1 << 63) - 1
    assert rec.fire.estimate is True and rec.fire.send is not None
    assert Firing(lambda name: None, print, print, None, {}, CsInfo).receive is None


def test_handler_errors_propagate() -> None:
    def boom(ts: int, args: tuple, thread: object) -> None:
        raise RuntimeError("handler")

    fire = Firing(lambda name: boom if name == "state-change" else None,
                  lambda ep, ts: None, Recorder.options, PKTINFO, TCPLSINFO, CsInfo)
    ep = TcpsInfo(fire, 1, "10.0.0.1", 40000, "10.0.0.2", 80, False, False, False)
    with pytest.raises(RuntimeError, match="handler"):
        ep.on_send(segment(40000, 80, "S", 1, 0, 0, 65535, b""), T0, None)
    assert ep.tcps_state == TCPS_BOUND  # the state changed, then its firing failed


def test_endpoints_and_firings_are_collected_in_cycles() -> None:
    rec = Recorder()
    ep = rec.client()
    ep.on_send(segment(40000, 80, "S", 1, 0, 0, 65535, b""), T0, rec.ipinfo)
    rec.endpoint = ep  # recorder -> endpoint -> firing -> recorder's bound methods
    gone = weakref.ref(rec)
    del rec, ep
    gc.collect()
    assert gone() is None
