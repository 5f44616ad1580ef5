"""The record scanner (pcapprobe/cext/scan.c) changes speed, never results.

Every capture is run twice, once with the scanner consuming what it can and
once with every record going through the Python layers; output, exit status
and --stats counts must be identical, and on the stream fixtures the scanner
must really have consumed records (else the comparison proves nothing).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pcapprobe
from fixtures.gen import pcapng_bytes
from pcapprobe.capture import Capture, pcap
from pcapprobe.pipeline import Pipeline
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
