"""The C record scanner's FCoE path (cext/scan.c ``fc_data``) changes speed,
never results: fc programs on every FC fixture and shared FC capture, and on a
bench-like capture of reads and writes (tagged and untagged, one frame with a
bad CRC), with and without the scanner: identical output, errors and --stats,
and on the generated capture the scanner must really have taken records."""

from __future__ import annotations

from pathlib import Path

import pytest

import pcapprobe
from fixtures.gen import fc as gen
from fixtures.gen import pcap_bytes
from pcapprobe.pipeline import Pipeline
from tests.conftest import FIXTURES, shared_captures

FCWHO = (Path(__file__).resolve().parent.parent / "pcapprobe" / "scripts" / "fcwho.d").read_text()
EVERY = ("fc:::xfer-start, fc:::xfer-done { printf(\"%d %s %s %d %d %d\\n\", timestamp, "
         "probename, args[0]->ci_remote, args[4]->fcx_offset, args[4]->fcx_len, "
         "args[4]->fcx_flags); } fc:::scsi-command, fc:::scsi-response, fc:::abts-receive, "
         "fc:::rport-*, fc:::fabric-*, fc:::link-* { printf(\"%d %s %s\\n\", timestamp, "
         "probename, args[0]->ci_remote); }")
CAPTURES = sorted(FIXTURES.glob("fc-*.pcap")) + shared_captures("fc")


def _bench_like(path: Path) -> Path:
    c = gen.conversation()
    for i in range(20):
        c.write(gen.rw10(0x2A, i * 8, 8), [bytes(1024)] * 4)
        c.read(gen.rw10(0x28, i * 8, 8), [bytes(2048), bytes(2048)])
    records = [(ts, gen.fcoe(f, vlan=100 if i % 2 else None)) for i, (ts, f) in
               enumerate(c.frames)]
    ts, frame = records[-20]
    records[-20] = (ts, frame[:-9] + bytes([frame[-9] ^ 0xFF]) + frame[-8:])  # bad FC CRC
    path.write_bytes(pcap_bytes(records))
    return path


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


@pytest.mark.parametrize("program", [FCWHO, EVERY], ids=["fcwho", "every"])
@pytest.mark.parametrize("capture", CAPTURES + [None], ids=lambda p: p.name if p else "bench")
def test_fcoe_scanner_changes_nothing(capture: Path | None, program: str, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = capture or _bench_like(tmp_path / "bench.pcap")
    # --local auto holds the first 10,000 FC frames back (none reach the
    # scanner in a small capture); the target's FC_ID does not
    local = "auto" if capture else "01.02.00"
    consumed: list[int] = []
    fast = _run(path, program, monkeypatch, True, consumed, local)
    slow = _run(path, program, monkeypatch, False, [], local)
    assert (fast.output, fast.errors, fast.status, fast.stats) == \
        (slow.output, slow.errors, slow.status, slow.stats)
    if capture is None:
        assert consumed and consumed[0] > 100, consumed
        assert "FC CRC mismatch" in fast.errors
