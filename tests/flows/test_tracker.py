"""The C TCP layer (TcpTracker, pcapprobe/cext/track.c) changes speed, never results.

Every capture with TCP is run through the tracker (fed by the record scanner
and by the Python IP layer) and through the Python TcpLayer; stdout, stderr,
exit status and --stats must be identical, for the tcp seed scripts, the tcp
one-liners and programs printing every member of every argument of every tcp
probe, with every host local, the default perspective and one host local.
Each comparison also checks that the tracker really took the segments.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import fixtures.gen as gen
import pcapprobe
from fixtures.gen import pcap_bytes
from pcapprobe._fastpath import NativeProbe
from pcapprobe.flows import tcp
from pcapprobe.flows.endpoint import Endpoint, Firing
from pcapprobe.flows.tcp import TcpLayer
from pcapprobe.probes.translators.tcp import PKTINFO, TCPLSINFO, CsInfo, IpInfo, TcpInfo
from pcapprobe.report import Report
from pcapprobe.scripts import DIRECTORY
from tests.conftest import FIXTURES, SEED_SCRIPTS, shared_captures
from tests.flows.test_scanner import SHAPES, _as_pcapng, _records, assert_threads_match_lone_runs
from tests.test_cli import pcapprobe as cli

SCRIPTS = DIRECTORY  # the shipped seed scripts

CONN = "args[1]->cs_cid, args[1]->cs_pid, args[1]->cs_zoneid"
TCPS = ("args[3]->tcps_local, args[3]->tcps_active, args[3]->tcps_lport, "
        "args[3]->tcps_rport, args[3]->tcps_laddr, args[3]->tcps_raddr, args[3]->tcps_state, "
        "args[3]->tcps_iss, args[3]->tcps_suna, args[3]->tcps_snxt, args[3]->tcps_rack, "
        "args[3]->tcps_rnxt, args[3]->tcps_swnd, args[3]->tcps_snd_ws, args[3]->tcps_rwnd, "
        "args[3]->tcps_rcv_ws, args[3]->tcps_cwnd, args[3]->tcps_cwnd_ssthresh, "
        "args[3]->tcps_sack_fack, args[3]->tcps_sack_snxt, args[3]->tcps_rto, "
        "args[3]->tcps_mss, args[3]->tcps_retransmit")
TCPS_FMT = "%d %d %d %d %s %s %d %u %u %u %u %u %u %u %u %u %u %u %u %u %u %u %d"
IP = "args[2]->ip_ver, args[2]->ip_plength, args[2]->ip_saddr, args[2]->ip_daddr"
SEG = ("args[4]->tcp_sport, args[4]->tcp_dport, args[4]->tcp_seq, args[4]->tcp_ack, "
       "args[4]->tcp_offset, args[4]->tcp_flags, args[4]->tcp_window, args[4]->tcp_checksum, "
       "args[4]->tcp_urgent, args[4]->tcp_hdr->th_flags[0], args[4]->tcp_hdr->th_win[1]")
PACKET_PROBES = ("tcp:::send, tcp:::receive, tcp:::connect-request, tcp:::connect-established, "
                 "tcp:::connect-refused, tcp:::accept-established, tcp:::accept-refused")
# every member of every argument of every tcp probe, and the thread of each firing
EVERY_MEMBER = (
    f"{PACKET_PROBES} {{ self->n++; printf(\"%d %s %d | %d %d %d | %d %d %s %s | "
    f"{TCPS_FMT} | %d %d %u %u %d %d %d %d %d %d %d\\n\", timestamp, probename, self->n, "
    f"{CONN}, {IP}, {TCPS}, {SEG}); }} "
    f"tcp:::state-change {{ self->n++; printf(\"%d %s %d | %d %d %d | {TCPS_FMT} | %s\\n\", "
    f"timestamp, probename, self->n, {CONN}, {TCPS}, "
    f"tcp_state_string[args[5]->tcps_state]); }}"
)
# the members the native programs compute without the estimates (no Reno, no SACK)
NO_ESTIMATES = (
    f"tcp:::send, tcp:::receive {{ printf(\"%d %s %d %s %s %d %d %u %u %u %u %d\\n\", "
    "timestamp, probename, args[1]->cs_cid, args[2]->ip_saddr, args[3]->tcps_raddr, "
    "args[3]->tcps_state, args[4]->tcp_dport, args[3]->tcps_snxt, args[3]->tcps_rack, "
    "args[3]->tcps_swnd, args[4]->tcp_seq, args[3]->tcps_retransmit); }"
    " tcp:::state-change { @[args[1]->cs_cid, args[5]->tcps_state, args[3]->tcps_state] ="
    " count(); }"
)
COUNT_DPORT = "tcp:::receive { @[args[4]->tcp_dport] = count(); }"
EXIT_EARLY = ("tcp:::receive /++n == 7/ { printf(\"%d\\n\", timestamp); exit(0); } "
              "tcp:::send { printf(\"%s %d\\n\", probename, args[1]->cs_cid); }")
TICKS = ("profile:::tick-1ms { @ticks = count(); } "
         "tcp:::state-change { printf(\"%d %s\\n\", timestamp, "
         "tcp_state_string[args[3]->tcps_state]); }")


def _one_liners() -> list[str]:
    path = SEED_SCRIPTS / "ONE-LINERS.txt"
    if not path.is_file():
        return []
    return [line for line in path.read_text().splitlines() if line.startswith("tcp:")]


FIXTURE_CAPTURES = sorted(FIXTURES.glob("*.pcap*"))
CAPTURES = FIXTURE_CAPTURES + shared_captures("tcp", "real-peers", "nfsv3", "iscsi", "format",
                                              "ip")
# the captures of mostly TCP, for the checks that do not need every capture
TCP_CAPTURES = [p for p in CAPTURES if p.name.startswith("tcp-")
                or p.parent.name in ("tcp", "real-peers")]
PROGRAMS = {"every-member": EVERY_MEMBER, "no-estimates": NO_ESTIMATES,
            "count-dport": COUNT_DPORT}
SCRIPT_FILES = {"tcpio.d": SCRIPTS / "tcpio.d", "tcpstate.d": SCRIPTS / "tcpstate.d"}


@pytest.fixture
def tracked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of segments the tracker took in each run of the test."""
    counts: list[int] = []
    finish = TcpLayer.finish

    def counting_finish(self: TcpLayer) -> None:
        if self.tracker is not None:
            counts.append(self.tracker.segments)
        finish(self)

    monkeypatch.setattr(TcpLayer, "finish", counting_finish)
    return counts


def _run(capture: Path, monkeypatch: pytest.MonkeyPatch, tracker: bool, *,
         program: str | None = None, script: Path | None = None,
         local: str = "all") -> pcapprobe.RunResult:
    with monkeypatch.context() as m:
        m.setattr(tcp, "TRACKER", tracker)
        return pcapprobe.run(str(capture), script=script, program=program, local=local)


def _same(capture: Path, monkeypatch: pytest.MonkeyPatch,
          **how: object) -> pcapprobe.RunResult:
    """The tracker's run (the first), compared with the Python layer's."""
    fast = _run(capture, monkeypatch, True, **how)  # type: ignore[arg-type]
    slow = _run(capture, monkeypatch, False, **how)  # type: ignore[arg-type]
    assert fast.output == slow.output
    assert fast.errors == slow.errors
    assert fast.status == slow.status
    assert fast.stats == slow.stats
    return fast


def _decoded(result: pcapprobe.RunResult) -> int:
    return result.stats.get("layers", {}).get("tcp", {}).get("decoded", 0)


def _first_sender(capture: Path) -> str | None:
    """The source address of the capture's first TCP segment."""
    result = pcapprobe.run(str(capture), local="all", quiet=True, program=(
        "int done; tcp:::send /!done/ { printf(\"%s\", args[2]->ip_saddr); done = 1; }"))
    return result.output or None


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_programs_with_every_host_local(capture: Path, name: str, tracked: list[int],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _same(capture, monkeypatch, program=PROGRAMS[name])
    if _decoded(fast):  # every segment went through the tracker
        assert tracked[0] == _decoded(fast)


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
@pytest.mark.parametrize("script", sorted(SCRIPT_FILES))
def test_seed_scripts(capture: Path, script: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _same(capture, monkeypatch, script=SCRIPT_FILES[script])


@pytest.mark.parametrize("capture", TCP_CAPTURES, ids=lambda p: p.name)
@pytest.mark.parametrize("local", ["auto", "first-sender"])
def test_other_perspectives(capture: Path, local: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if local == "first-sender":
        sender = _first_sender(capture)
        if sender is None:
            pytest.skip("no TCP segment")
        local = sender
    _same(capture, monkeypatch, program=EVERY_MEMBER, local=local)


@pytest.mark.parametrize("capture", TCP_CAPTURES, ids=lambda p: p.name)
@pytest.mark.parametrize("line", _one_liners())
def test_one_liners(capture: Path, line: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _same(capture, monkeypatch, program=line)


def test_the_tracker_takes_every_segment(tracked: list[int],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The scanner hands SYNs, FINs and RSTs to the tracker too."""
    fast = _run(FIXTURES / "tcp-reuse.pcap", monkeypatch, True, program=COUNT_DPORT)
    assert tracked == [_decoded(fast)] and tracked[0] > 0


@pytest.mark.parametrize("program", [EXIT_EARLY, TICKS], ids=["exit", "ticks"])
@pytest.mark.parametrize("capture", ["tcp-reuse.pcap", "tcp-retrans.pcap", "iscsi-session.pcap"])
def test_exit_and_ticks_stop_the_scan(capture: str, program: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _same(FIXTURES / capture, monkeypatch, program=program)


def test_events_dump_every_member(tracked: list[int],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """``pcapprobe events -P tcp``: a sink without members_read gets everything."""
    for capture in FIXTURE_CAPTURES:
        with monkeypatch.context() as m:
            m.setattr(tcp, "TRACKER", False)
            slow = cli("events", "-P", "tcp", str(capture), "--local", "all")
        fast = cli("events", "-P", "tcp", str(capture), "--local", "all")
        assert (fast, fast.stderr, fast.status) == (slow, slow.stderr, slow.status)
        assert all(json.loads(line) for line in fast.splitlines())
    assert any(tracked)


def test_merged_captures(tracked: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Several captures are merged frame by frame: every segment comes from
    the Python IP layer."""
    captures = [str(FIXTURES / "tcp-retrans.pcap"), str(FIXTURES / "tcp-reuse.pcap")]
    results = []
    for tracker in (True, False):
        with monkeypatch.context() as m:
            m.setattr(tcp, "TRACKER", tracker)
            results.append(pcapprobe.run(captures, program=EVERY_MEMBER, local="all"))
    fast, slow = results
    assert (fast.output, fast.errors, fast.stats) == (slow.output, slow.errors, slow.stats)
    assert tracked == [_decoded(fast)] and tracked[0] > 0


# --- the same connections in other shapes ------------------------------------

SHAPED = ["tcp-handshake.pcap", "tcp-retrans.pcap", "tcp-reuse.pcap", "tcp-wscale.pcap",
          "nfsv3-tcp.pcap", "iscsi-session.pcap"]


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("name", SHAPED)
def test_other_shapes(name: str, shape: str, tmp_path: Path, tracked: list[int],
                      monkeypatch: pytest.MonkeyPatch) -> None:
    capture = tmp_path / f"{shape}.pcap"
    capture.write_bytes(pcap_bytes(SHAPES[shape](_records(FIXTURES / name)), nanos=True))
    _same(capture, monkeypatch, program=EVERY_MEMBER)
    assert tracked[0] > 0


@pytest.mark.parametrize("name", SHAPED)
def test_pcapng(name: str, tmp_path: Path, tracked: list[int],
                monkeypatch: pytest.MonkeyPatch) -> None:
    capture = _as_pcapng(FIXTURES / name, tmp_path / "c.pcapng", big_endian=False)
    _same(capture, monkeypatch, program=EVERY_MEMBER)
    assert tracked[0] > 0


@pytest.mark.parametrize("name", SHAPED)
def test_records_across_read_chunks(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from pcapprobe.capture import pcap

    monkeypatch.setattr(pcap, "CHUNK", 300)
    _same(FIXTURES / name, monkeypatch, program=EVERY_MEMBER)


def _bad_option_records() -> list[tuple[int, bytes]]:
    """tcp-wscale.pcap with a malformed option list in its first packet."""
    records = _records(FIXTURES / "tcp-wscale.pcap")
    ts, frame = records[0]
    ihl = (frame[14] & 0xF) * 4
    tcp_at = 14 + ihl
    assert frame[tcp_at + 12] >> 4 > 5  # the SYN has options
    bad = bytearray(frame)
    bad[tcp_at + 20] = 2  # MSS ...
    bad[tcp_at + 21] = 1  # ... of length 1
    records[0] = (ts, bytes(bad))
    return records


@pytest.mark.parametrize("name", ["every-member", "no-estimates"])
def test_bad_options_are_weirds_naming_their_packet(name: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A malformed option list in a record the scanner took: the same weird,
    naming the same packet, as on the Python path (Python and native clauses)."""
    capture = tmp_path / "bad-option.pcap"
    capture.write_bytes(pcap_bytes(_bad_option_records(), nanos=True))
    fast = _same(capture, monkeypatch, program=PROGRAMS[name])
    assert "packet 1: TCP option 2 length 1" in fast.errors


# --- connection table and clocks on a made-up capture -------------------------

S = 1_000_000_000
SYN, FIN, RST, ACK, PSH = 0x02, 0x01, 0x04, 0x10, 0x08


def _segment(src: str, sport: int, dst: str, dport: int, seq: int, ack: int, flags: int,
             payload: bytes = b"", options: bytes = b"") -> bytes:
    header = gen.tcp(sport, dport, seq, ack, flags, payload)
    if options:
        offset = (20 + len(options)) // 4 << 4
        header = header[:12] + bytes([offset]) + header[13:20] + options + header[20:]
    if ":" in src:
        return gen.ethernet(gen.ipv6(src, dst, 6, header), ethertype=0x86DD)
    return gen.ethernet(gen.ipv4(src, dst, 6, header))


def _conversation(a: str, ap: int, b: str, bp: int, iss: int = 1000) -> list[bytes]:
    """Handshake, a request and its answer, a's close then b's (a ends in time-wait)."""
    mss_wscale = b"\x02\x04\x05\xb4\x01\x03\x03\x07"
    mss_eol = b"\x02\x04\x05\x78\x00\x00\x00\x00"
    return [
        _segment(a, ap, b, bp, iss, 0, SYN, options=mss_wscale),
        _segment(b, bp, a, ap, 5000, iss + 1, SYN | ACK, options=mss_eol),
        _segment(a, ap, b, bp, iss + 1, 5001, ACK),
        _segment(a, ap, b, bp, iss + 1, 5001, PSH | ACK, b"hello"),
        _segment(b, bp, a, ap, 5001, iss + 6, PSH | ACK, b"world!"),
        _segment(a, ap, b, bp, iss + 6, 5007, FIN | ACK),
        _segment(b, bp, a, ap, 5007, iss + 7, FIN | ACK),
        _segment(a, ap, b, bp, iss + 7, 5008, ACK),
    ]


def _made_up() -> list[tuple[int, bytes]]:
    """Connections that exercise the table: time-wait expiry, port reuse, a
    host port talking to itself, equal ports mid-stream, a bound app's port
    mid-stream, loopback, IPv6, idle and closed eviction, a SYN/ACK first, a
    fragmented segment and a header cut inside its options."""
    t = 1_700_000_000 * S
    out: list[tuple[int, bytes]] = []

    def add(frames: list[bytes], step: int = S // 100) -> None:
        nonlocal t
        for frame in frames:
            t += step
            out.append((t, frame))

    add(_conversation("10.0.0.1", 40000, "10.0.0.2", 80))
    add(_conversation("10.0.0.1", 40000, "10.0.0.2", 80, iss=9000))  # reuse in time-wait
    add([_segment("10.0.0.3", 5000, "10.0.0.4", 5000, 1, 1, ACK, b"x"),
         _segment("10.0.0.4", 5000, "10.0.0.3", 5000, 1, 2, ACK, b"y"),
         _segment("10.0.0.5", 2049, "10.0.0.6", 111, 7, 7, ACK, b"z"),
         _segment("10.0.0.6", 111, "10.0.0.5", 2049, 7, 8, ACK)])
    add(_conversation("10.0.0.7", 7000, "10.0.0.7", 7000))  # a port talking to itself
    add([_segment("10.0.0.7", 7001, "10.0.0.7", 7001, 50, 11, SYN | ACK),
         _segment("10.0.0.7", 7001, "10.0.0.7", 7001, 11, 51, ACK)])
    add(_conversation("127.0.0.1", 41000, "127.0.0.1", 22))
    add(_conversation("fd00::1", 42000, "::1", 443))
    add(_conversation("fd00::1", 42001, "fd00::2", 443))
    add([_segment("10.0.0.9", 443, "10.0.0.8", 43000, 50, 11, SYN | ACK),
         _segment("10.0.0.8", 43000, "10.0.0.9", 443, 11, 51, ACK)])
    add(_conversation("10.0.0.1", 40001, "10.0.0.2", 80), step=61 * S)  # time-waits expire
    # a segment in two fragments (reassembled by the Python IP layer)
    whole = gen.tcp(40002, 80, 77, 0, SYN, b"f" * 40)
    add([gen.ethernet(gen.ipv4("10.0.0.1", "10.0.0.2", 6, whole[:24], ident=9, mf=True)),
         gen.ethernet(gen.ipv4("10.0.0.1", "10.0.0.2", 6, whole[24:], ident=9, offset=24))])
    # a SYN whose options the snap length cut (left to the Python layers)
    cut = _segment("10.0.0.1", 40003, "10.0.0.2", 80, 5, 0, SYN, options=b"\x02\x04\x05\xb4")
    add([cut[:14 + 20 + 22]])
    add(_conversation("10.0.0.1", 40004, "10.0.0.2", 80), step=200 * S)  # closed ones go
    add([_segment("10.0.0.12", 6000, "10.0.0.13", 80, 1, 1, ACK, b"a")])
    add([_segment("10.0.0.12", 6000, "10.0.0.13", 80, 2, 1, ACK, b"b"),  # idle: evicted
         _segment("10.0.0.3", 5000, "10.0.0.4", 5000, 2, 2, ACK, b"late")], step=3700 * S)
    add(_conversation("10.0.0.3", 5000, "10.0.0.4", 5000, iss=3))
    return out


@pytest.fixture(scope="module")
def made_up(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tracker") / "made-up.pcap"
    path.write_bytes(gen.pcap_bytes(_made_up(), nanos=True))
    return path


@pytest.mark.parametrize("local", ["all", "auto", "10.0.0.1", "10.0.0.4", "fd00::1",
                                   "10.0.0.7", "127.0.0.1"])
@pytest.mark.parametrize("name", ["every-member", "tcpstate.d"])
def test_made_up_connections(made_up: Path, name: str, local: str, tracked: list[int],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    how = {"script": SCRIPT_FILES[name]} if name in SCRIPT_FILES else {"program": EVERY_MEMBER}
    fast = _same(made_up, monkeypatch, local=local, **how)  # type: ignore[arg-type]
    assert tracked[0] == _decoded(fast)
    if local == "all":
        counts = fast.stats["layers"]["tcp"]
        assert counts["connections reused"] and counts["connections evicted"]
        assert counts["connections mid-stream"] and "tcp.options_truncated" in fast.stats["weirds"]


def test_tracked_runs_use_native_clauses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tracker's endpoints run the bench's clauses in C; the Python layer
    (the reference) calls the Python ones."""
    layers: list[TcpLayer] = []
    init = TcpLayer.__init__

    def keeping(self: TcpLayer, ctx: object) -> None:
        init(self, ctx)  # type: ignore[arg-type]
        layers.append(self)

    monkeypatch.setattr(TcpLayer, "__init__", keeping)
    _same(FIXTURES / "tcp-reuse.pcap", monkeypatch, program=COUNT_DPORT)
    fast, slow = layers
    assert isinstance(fast.fire.receive, NativeProbe)
    assert not isinstance(slow.fire.receive, NativeProbe) and slow.tracker is None


def test_runs_in_threads_keep_their_own_records(tmp_path: Path) -> None:
    """Runs in other threads scan while this one's Python handlers and weirds
    run: each still names its own packets and matches a lone run."""
    bad = tmp_path / "bad-option.pcap"
    bad.write_bytes(pcap_bytes(_bad_option_records(), nanos=True))
    jobs = [(c, p) for c in (bad, FIXTURES / "tcp-retrans.pcap", FIXTURES / "tcp-reuse.pcap")
            for p in (EVERY_MEMBER, NO_ESTIMATES)] * 2
    assert_threads_match_lone_runs(jobs)


def _late_capture(start: int, tmp_path: Path) -> Path:
    a, b = "10.0.0.1", "10.0.0.2"
    packets = [_segment(a, 1000, b, 80, 100, 0, gen.TCP_SYN),
               _segment(b, 80, a, 1000, 500, 101, gen.TCP_SYN | gen.TCP_ACK),
               _segment(a, 1000, b, 80, 101, 501, gen.TCP_ACK),
               _segment(a, 1000, b, 80, 101, 501, gen.TCP_FIN | gen.TCP_ACK),
               _segment(b, 80, a, 1000, 501, 102, gen.TCP_FIN | gen.TCP_ACK),
               _segment(a, 1000, b, 80, 102, 502, gen.TCP_ACK),
               _segment("10.0.0.3", 5, "10.0.0.4", 6, 1, 1, gen.TCP_ACK)]
    path = tmp_path / "late.pcapng"
    path.write_bytes(gen.pcapng_bytes([(1, None, 9)], [
        ("epb", 0, start + i * 10**6, frame) for i, frame in enumerate(packets)]))
    return path


STATES = ("tcp:::state-change { printf(\"%s -> %s\\n\", tcp_state_string[args[5]->tcps_state], "
          "tcp_state_string[args[3]->tcps_state]); }")


def test_deadlines_past_the_end_of_int64_saturate(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A pcapng may declare times anywhere: a time-wait expiry past 2**63 ns
    saturates instead of wrapping (a wrapped one would close the endpoint at
    the next packet)."""
    fast = _same(_late_capture((1 << 63) - 30 * 10**9, tmp_path), monkeypatch,
                 local="10.0.0.1", program=STATES)
    assert "state-fin-wait-2 -> state-time-wait" in fast.output
    assert "state-time-wait -> state-closed" not in fast.output


def test_times_past_the_end_of_int64_are_clamped(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Times from 2**63 ns on (after the year 2262) are taken as the last
    int64 one, as the endpoints take them: the run completes."""
    with monkeypatch.context() as m:
        m.setattr(tcp, "TRACKER", True)
        result = pcapprobe.run(str(_late_capture((1 << 63) + 10**9, tmp_path)),
                               program=STATES, local="10.0.0.1")
    assert result.status == 0 and "Error" not in result.errors
    assert "state-fin-wait-2 -> state-time-wait" in result.output


def test_a_trackers_endpoints_are_not_driven_from_python() -> None:
    """The tracker's option and time-wait hooks work only for the segment it
    is processing: the Python methods refuse its Firing's endpoints."""
    fire = Firing(lambda name: None, lambda endpoint, ts: None, lambda seg: None, PKTINFO,
                  TCPLSINFO, CsInfo)
    report = Report(io.StringIO())
    tracker = tcp.TcpTracker(fire, True, frozenset(), frozenset(), report, report.layer("tcp"),
                             TcpInfo, IpInfo, (tcp.TIME_WAIT_NS, 0, 0, 0))
    endpoint = Endpoint(fire, 1, "10.0.0.1", 1, "10.0.0.2", 2, False, False, False)
    syn = gen.tcp(1, 2, 100, 0, gen.TCP_SYN)
    with pytest.raises(ValueError, match="TcpTracker"):
        endpoint.on_send(TcpInfo(memoryview(syn), len(syn)), 0, None)
    assert tracker.segments == 0


def test_addresses_as_text(tmp_path: Path, tracked: list[int],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    # every octet width, and more hosts than the tracker remembers the text of
    octets = [0, 9, 10, 99, 100, 255]
    hosts = [f"{a}.{b}.{c}.{d}" for a in octets for b in octets[::-1] for c, d in [(1, 200)]]
    hosts += [f"192.168.{i}.{255 - i}" for i in range(40)]
    frames: list[tuple[int, bytes]] = []
    for i, host in enumerate(hosts):
        for frame in _conversation(host, 30000 + i, hosts[(i * 7) % len(hosts)], 80):
            frames.append((1_700_000_000 * S + len(frames) * S // 100, frame))
    path = tmp_path / "addresses.pcap"
    path.write_bytes(gen.pcap_bytes(frames, nanos=True))
    program = ('tcp:::send, tcp:::receive { printf("%s %s %s %s\\n", args[3]->tcps_laddr, '
               'args[3]->tcps_raddr, args[2]->ip_saddr, args[2]->ip_daddr); }')
    fast = _same(path, monkeypatch, program=program)
    assert tracked[0] == _decoded(fast) > 0
    assert "0.255.1.200 " in fast.output and "255.0.1.200 " in fast.output
