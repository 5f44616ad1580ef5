"""The record scanner (pcapprobe/cext/scan.c) changes speed, never results.

Every capture is run twice, once with the scanner consuming what it can and
once with every record going through the Python layers; output, exit status
and --stats counts must be identical, and on the stream fixtures the scanner
must really have consumed records (else the comparison proves nothing).
"""

from __future__ import annotations

import struct
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import pcapprobe
from fixtures.gen import pcap_bytes, pcapng_bytes
from pcapprobe.capture import Capture, pcap
from pcapprobe.dissectors._reader import Malformed
from pcapprobe.flows.tcp import TcpLayer
from pcapprobe.pipeline import Pipeline
from pcapprobe.probes.translators.oncrpc import RpcStreamApp
from tests.conftest import FIXTURES, shared_captures

PCAPS = FIXTURES

NFS = ("nfsv3:::op-*-start, nfsv3:::op-*-done { printf(\"%d %s %s %d %s\\n\", timestamp, "
       "probename, args[0]->ci_remote, args[1]->noi_xid, args[1]->noi_curpath); }")
ISCSI = ("iscsi::: { printf(\"%d %s %s %d %d %d %d\\n\", timestamp, probename, "
         "args[0]->ci_remote, args[1]->ii_itt, args[1]->ii_datalen, args[1]->ii_cmdsn, "
         "args[1]->ii_statsn); }")
PROGRAMS = {"nfs": NFS, "iscsi": ISCSI}
# the fixtures whose connections the scanner must take segments of
STREAM_FIXTURES = {"nfsv3-tcp.pcap": "nfs", "nfsv3-midstream.pcap": "nfs",
                   "iscsi-session.pcap": "iscsi", "iscsi-digests.pcap": "iscsi",
                   "iscsi-midsession.pcap": "iscsi"}

CAPTURES = sorted(PCAPS.glob("*.pcap*")) + [
    p for p in shared_captures("nfsv3", "iscsi", "real-peers", "tcp", "format")
    if p.suffix in (".pcap", ".pcapng")]


@pytest.fixture
def scanned(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of records the scanner consumed in each run of the test."""
    counts: list[int] = []
    finish = Pipeline.finish

    def counting_finish(self: Pipeline) -> None:
        if self.layers.scanner is not None:
            counts.append(self.layers.scanner.frames)
        finish(self)

    monkeypatch.setattr(Pipeline, "finish", counting_finish)
    return counts


def _run(capture: Path, program: str, monkeypatch: pytest.MonkeyPatch,
         scanner: bool) -> pcapprobe.RunResult:
    with monkeypatch.context() as m:
        if not scanner:
            m.setattr(Pipeline, "scanner", property(lambda self: None))
        return pcapprobe.run(str(capture), program=program, local="all")


def _same(capture: Path, program: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _run(capture, program, monkeypatch, scanner=True)
    slow = _run(capture, program, monkeypatch, scanner=False)
    assert fast.output == slow.output
    assert fast.errors == slow.errors
    assert fast.status == slow.status
    assert fast.stats == slow.stats


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
@pytest.mark.parametrize("app", sorted(PROGRAMS))
def test_scanner_changes_nothing(capture: Path, app: str,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _same(capture, PROGRAMS[app], monkeypatch)


@pytest.mark.parametrize("name", sorted(STREAM_FIXTURES))
def test_scanner_takes_stream_segments(name: str, scanned: list[int],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _run(PCAPS / name, PROGRAMS[STREAM_FIXTURES[name]], monkeypatch, scanner=True)
    assert scanned and scanned[-1] > 0


@pytest.mark.parametrize("name", sorted(STREAM_FIXTURES))
def test_records_across_read_chunks(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Records cut by the reader's chunk boundary are taken by the Python reader."""
    monkeypatch.setattr(pcap, "CHUNK", 300)
    _same(PCAPS / name, PROGRAMS[STREAM_FIXTURES[name]], monkeypatch)


def test_exit_stops_the_scanner(monkeypatch: pytest.MonkeyPatch) -> None:
    """exit() in a clause fired from a scanned record: no later record fires."""
    program = ("nfsv3:::op-*-done /++n == 3/ { printf(\"%d\\n\", timestamp); exit(0); } "
               "nfsv3:::op-*-done { printf(\"%s\\n\", probename); }")
    _same(PCAPS / "nfsv3-tcp.pcap", program, monkeypatch)


def test_ticks_between_scanned_records(monkeypatch: pytest.MonkeyPatch) -> None:
    program = ("profile:::tick-1ms { @ticks = count(); } "
               "iscsi:::data-send { printf(\"%d %d\\n\", timestamp, args[1]->ii_datalen); }")
    _same(PCAPS / "iscsi-session.pcap", program, monkeypatch)


def _as_pcapng(capture: Path, out: Path, big_endian: bool) -> Path:
    """The same packets as a pcapng file (nanosecond interface "eth0")."""
    frames = list(Capture(str(capture), lambda *args: None).frames())
    packets = [("epb", 0, f.ts_ns, bytes(f.data)) for f in frames]
    out.write_bytes(pcapng_bytes([(frames[0].linktype, "eth0", 9)], packets, big_endian))
    return out


@pytest.mark.parametrize("big_endian", [False, True], ids=["le", "be"])
@pytest.mark.parametrize("name", sorted(STREAM_FIXTURES))
def test_pcapng_blocks_are_scanned(name: str, big_endian: bool, tmp_path: Path,
                                   scanned: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    capture = _as_pcapng(PCAPS / name, tmp_path / "c.pcapng", big_endian)
    program = PROGRAMS[STREAM_FIXTURES[name]]
    _same(capture, program, monkeypatch)
    assert scanned[0] > 0
    # and as pcap: the same output
    assert _run(capture, program, monkeypatch, True).output == \
        _run(PCAPS / name, program, monkeypatch, True).output


# --- the same streams in other shapes: each decoded by the scanner or left to
# the Python layers, always with the Python layers' results -------------------

def _records(capture: Path) -> list[tuple[int, bytes]]:
    return [(f.ts_ns, bytes(f.data)) for f in Capture(str(capture), lambda *a: None).frames()]


def _ipv4(frame: bytes) -> tuple[bytes, bytes, bytes] | None:
    """(Ethernet header, IPv4 header, rest) of an untagged IPv4 frame."""
    if frame[12:14] != b"\x08\x00":
        return None
    ihl = (frame[14] & 0xF) * 4
    return frame[:14], frame[14:14 + ihl], frame[14 + ihl:]


def _vlan(frame: bytes, i: int) -> bytes:
    tags = b"\x81\x00\x00\x64" if i % 2 else b"\x88\xa8\x00\x0a\x81\x00\x00\x64"
    return frame[:12] + tags + frame[12:]


def _as_ipv6(frame: bytes, i: int) -> bytes:
    parts = _ipv4(frame)
    if parts is None:
        return frame
    eth, ip, rest = parts
    total = struct.unpack(">H", ip[2:4])[0]
    payload = rest[: total - len(ip)]
    src, dst = (b"\xfd" + b"\0" * 11 + ip[12:16]), (b"\xfd" + b"\0" * 11 + ip[16:20])
    header = struct.pack(">IHBB", 6 << 28, len(payload), ip[9], 64) + src + dst
    return eth[:12] + b"\x86\xdd" + header + payload


def _ip_options_and_padding(frame: bytes, i: int) -> bytes:
    parts = _ipv4(frame)
    if parts is None:
        return frame
    eth, ip, rest = parts
    total = struct.unpack(">H", ip[2:4])[0] + 4
    ip = bytes([0x40 | (len(ip) + 4) // 4]) + ip[1:2] + struct.pack(">H", total) + ip[4:] \
        + b"\x01\x01\x01\x00"
    return eth + ip + rest + b"\0" * (i % 5)  # Ethernet padding after the datagram


def _disorder(records: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    """Swap some neighbouring packets, repeat some, lose one: held segments,
    retransmissions and a gap for the reassemblers (times stay in order)."""
    out = list(records)
    for i in range(5, len(out) - 1, 9):
        (t1, a), (t2, b) = out[i], out[i + 1]
        out[i], out[i + 1] = (t1, b), (t2, a)
    out = [r for i, r in enumerate(out) for _ in range(2 if i % 11 == 7 else 1)]
    del out[len(out) * 2 // 3]
    return out


SHAPES = {
    "vlan": lambda records: [(t, _vlan(f, i)) for i, (t, f) in enumerate(records)],
    "ipv6": lambda records: [(t, _as_ipv6(f, i)) for i, (t, f) in enumerate(records)],
    "ip-options-padding": lambda records: [(t, _ip_options_and_padding(f, i))
                                           for i, (t, f) in enumerate(records)],
    "disorder": _disorder,
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("name", ["nfsv3-tcp.pcap", "iscsi-session.pcap", "iscsi-digests.pcap"])
def test_other_shapes_of_the_same_streams(name: str, shape: str, tmp_path: Path,
                                          scanned: list[int],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    capture = tmp_path / f"{shape}.pcap"
    capture.write_bytes(pcap_bytes(SHAPES[shape](_records(PCAPS / name)), nanos=True))
    _same(capture, PROGRAMS[STREAM_FIXTURES[name]], monkeypatch)
    assert scanned[0] > 0


def test_runs_in_threads_keep_their_own_records() -> None:
    """Scans of runs in other threads interleave with this run's Python
    callbacks: each run still names its own packets and matches a lone run."""
    jobs = [(PCAPS / name, PROGRAMS[app]) for name, app in sorted(STREAM_FIXTURES.items())] * 2
    assert_threads_match_lone_runs(jobs)


def assert_threads_match_lone_runs(jobs: list[tuple[Path, str]]) -> None:
    """Each (capture, program) run in its own thread, all at once, gives what
    it gives run alone."""
    alone = [pcapprobe.run(str(c), program=p, local="all") for c, p in jobs]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns inside every callback
    try:
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            together = list(pool.map(lambda job: pcapprobe.run(str(job[0]), program=job[1],
                                                               local="all"), jobs))
    finally:
        sys.setswitchinterval(interval)
    for one, other in zip(alone, together):
        assert (one.output, one.errors, one.stats) == (other.output, other.errors, other.stats)


def test_dissect_error_in_a_scanned_segment(monkeypatch: pytest.MonkeyPatch) -> None:
    """An application's DissectError on a record the scanner consumed is
    reported and counted as the Python layers report and count it."""
    on_pdu = RpcStreamApp.on_pdu

    def failing(self: RpcStreamApp, pdu: memoryview, direction: int, ts_ns: int) -> None:
        if zlib.crc32(pdu) % 5 == 0:  # the same PDUs in both runs
            raise Malformed("injected", "test.injected")
        on_pdu(self, pdu, direction, ts_ns)

    monkeypatch.setattr(RpcStreamApp, "on_pdu", failing)
    _same(PCAPS / "nfsv3-tcp.pcap", NFS, monkeypatch)


def test_pcapng_interface_times_beyond_64_bits(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """An interface whose time resolution cannot be computed in 64 bits is
    left to the Python reader; the others are still scanned."""
    frames = list(Capture(str(PCAPS / "nfsv3-tcp.pcap"), lambda *a: None).frames())
    packets = [("epb", 0, f.ts_ns, bytes(f.data)) for f in frames]
    capture = tmp_path / "two-interfaces.pcapng"
    capture.write_bytes(pcapng_bytes([(1, "eth0", 9), (1, "odd", 0xC0)], packets))
    _same(capture, NFS, monkeypatch)


@pytest.mark.parametrize("name", sorted(STREAM_FIXTURES))
def test_connections_end_with_the_same_state(name: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """What the TCP layer reads of a connection between packets (its last
    packet's time, whether the server spoke) is the same after records the
    scanner consumed as after the Python layers."""
    seen: list[list[tuple[int, int, bool]]] = []
    finish = TcpLayer.finish

    def recording_finish(self: TcpLayer) -> None:
        seen.append(sorted((c.cid, c.last_ts, c.server_spoke)
                           for c, direction, _, _ in self.table.flows.values() if not direction))
        finish(self)

    monkeypatch.setattr(TcpLayer, "finish", recording_finish)
    _same(PCAPS / name, PROGRAMS[STREAM_FIXTURES[name]], monkeypatch)
    assert len(seen) == 2 and seen[0] and seen[0] == seen[1]
