"""The C record scanner's FCoE path (cext/fcoe.c, ``FlowIndex.fc``) changes
speed, never results: fc programs on every FC fixture and shared FC capture,
on a bench-like capture of reads and writes (tagged and untagged, one frame
with a bad CRC) and on one long enough for --local auto to choose while data
sequences are being joined, with and without the scanner: identical output,
errors and --stats, and on the generated captures the scanner must really
have taken every whole FCP frame.  Its CRC-32 is zlib's."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import pytest

import pcapprobe
from fixtures.gen import fc as gen
from fixtures.gen import pcap_bytes
from pcapprobe import _fastpath
from pcapprobe.capture.pcap import RELEASE_EVERY
from pcapprobe.pipeline import Pipeline
from pcapprobe.probes.translators.fc import AUTO_MAX_FRAMES
from tests.conftest import FIXTURES, shared_captures

FCWHO = (Path(__file__).resolve().parent.parent / "pcapprobe" / "scripts" / "fcwho.d").read_text()
EVERY = ("fc:::xfer-start, fc:::xfer-done { printf(\"%d %s %s %d %d %d\\n\", timestamp, "
         "probename, args[0]->ci_remote, args[4]->fcx_offset, args[4]->fcx_len, "
         "args[4]->fcx_flags); } fc:::scsi-command, fc:::scsi-response, fc:::abts-receive, "
         "fc:::rport-*, fc:::fabric-*, fc:::link-* { printf(\"%d %s %s\\n\", timestamp, "
         "probename, args[0]->ci_remote); }")
CAPTURES = sorted(FIXTURES.glob("fc-*.pcap")) + shared_captures("fc")


def _fcp_frames(c: gen.Conversation) -> int:
    """The FCP frames (TYPE 0x08, R_CTL 0x0X) of a conversation."""
    return sum(1 for _, f in c.frames if f[8] == 0x08 and f[0] < 0x10)


def _bench_like(path: Path) -> int:
    """Write the capture; the whole FCP frames with a good CRC in it."""
    c = gen.conversation()
    for i in range(20):
        c.write(gen.rw10(0x2A, i * 8, 8), [bytes(1024)] * 4)
        c.read(gen.rw10(0x28, i * 8, 8), [bytes(2048), bytes(2048)])
    records = [(ts, gen.fcoe(f, vlan=100 if i % 2 else None)) for i, (ts, f) in
               enumerate(c.frames)]
    ts, frame = records[-20]
    records[-20] = (ts, frame[:-9] + bytes([frame[-9] ^ 0xFF]) + frame[-8:])  # bad FC CRC
    path.write_bytes(pcap_bytes(records))
    return _fcp_frames(c) - 1


def _long(path: Path) -> int:
    """Reads of 16 data frames past the --local auto hold: its 10,000th
    frame falls inside a data sequence."""
    c = gen.conversation()
    while len(c.frames) < AUTO_MAX_FRAMES + 500:
        c.read(gen.rw10(0x28, 0, 32), [bytes(1024)] * 16)
    path.write_bytes(pcap_bytes((ts, gen.fcoe(f)) for ts, f in c.frames))
    assert c.frames[AUTO_MAX_FRAMES - 1][1][0] == 0x01  # FCP_DATA
    return _fcp_frames(c)


def _run(capture: Path, program: str, monkeypatch: pytest.MonkeyPatch, scanner: bool,
         consumed: list[int], local: str) -> pcapprobe.RunResult:
    finish = Pipeline.finish

    def counting_finish(self: Pipeline) -> None:
        if self.layers.scanner is not None:
            consumed.append(self.layers.scanner.frames)
        finish(self)

    with monkeypatch.context() as m:
        m.setattr(Pipeline, "finish", counting_finish)
        if not scanner:
            m.setattr(Pipeline, "scanner", property(lambda self: None))
        return pcapprobe.run(str(capture), program=program, local=local)


def _same(path: Path, program: str, monkeypatch: pytest.MonkeyPatch, local: str) -> int:
    """Run with and without the scanner; the records the scanner took."""
    consumed: list[int] = []
    fast = _run(path, program, monkeypatch, True, consumed, local)
    slow = _run(path, program, monkeypatch, False, [], local)
    assert (fast.output, fast.errors, fast.status, fast.stats) == \
        (slow.output, slow.errors, slow.status, slow.stats)
    assert consumed, "no scanner"
    return consumed[0]


@pytest.mark.parametrize("program", [FCWHO, EVERY], ids=["fcwho", "every"])
@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_fcoe_scanner_changes_nothing(capture: Path, program: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _same(capture, program, monkeypatch, "auto")


@pytest.mark.parametrize("program", [FCWHO, EVERY], ids=["fcwho", "every"])
@pytest.mark.parametrize("local", ["auto", "01.02.00"])
def test_fcoe_scanner_takes_every_whole_fcp_frame(program: str, local: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # --local auto holds the calls back until it has chosen; the scanner
    # takes the records all the same
    path = tmp_path / "bench.pcap"
    fcp = _bench_like(path)
    assert _same(path, program, monkeypatch, local) == fcp


def test_fcoe_scanner_across_the_local_auto_choice(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "long.pcap"
    fcp = _long(path)
    # a record across a release of mapped pages (every RELEASE_EVERY bytes) is read in Python
    assert 0 <= fcp - _same(path, EVERY, monkeypatch, "auto") <= \
        path.stat().st_size // RELEASE_EVERY


def test_crc32_is_zlibs() -> None:
    data = os.urandom(5000)
    for n in [*range(0, 200), 1023, 1024, 1025, 2072, 2073, 4999]:
        for start in (0, 1, 5, 15):
            piece = data[start:start + n]
            assert _fastpath.crc32(piece) == zlib.crc32(piece), (n, start)
            assert _fastpath.crc32(piece, 0x5A5A5A5A) == zlib.crc32(piece, 0x5A5A5A5A)
