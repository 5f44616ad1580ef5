"""Imperfect captures (issue 11): pcapprobe against tshark on derived variants.

Every NFS and iSCSI capture in ../shared/captures (real-peers included) is
cut to snap lengths 96/128/200, loses 1/5/20 % of its frames at random in
one direction or both, loses one direction, or loses its first third
(fixtures/gen/imperfect.py).  On each variant, per probe:

* no invention: pcapprobe fires no more than tshark decodes -- whole PDUs
  (default reassembly), or PDU headers when it dissects segment by segment
  (desegmentation off: a PDU whose later segments were lost still shows its
  header there, and pcapprobe fires it from its header);
* recall: pcapprobe fires at least 95 % of what tshark decodes whole.

tshark's counts are per iSCSI opcode (``iscsi.opcode``) and per NFSv3
procedure of calls and of replies tshark matched to their call
(``rpc.procedure`` of program 100003 version 3).  Calls a client repeated while they awaited their
reply fire once (the server's duplicate-request cache, README "nfsv3
notes"), so tshark's duplicates (``rpc.call.dup``/``rpc.reply.dup``) are
left out of its counts.  tshark output is cached per variant for the run.
"""

from __future__ import annotations

import io
import subprocess
from collections import Counter
from collections.abc import Hashable
from pathlib import Path

import pytest

from dissectors import nfs3
from fixtures.gen import imperfect
from pcapprobe.api import decode_captures
from pcapprobe.env import Environment
from pcapprobe.probes.catalog import Probe
from pcapprobe.probes.translators.iscsi import PROBES as ISCSI_PROBES
from tests.conftest import require_shared, require_tshark, shared_captures

NFS_PORTS = frozenset({2049})
ISCSI_PORTS = frozenset({3260})
CAPTURES = ([p for p in shared_captures("nfsv3", "iscsi")]
            + [p for p in shared_captures("real-peers") if p.name.startswith(("nfsv3", "iscsi"))])
RECALL = 0.95
SEGMENT_BY_SEGMENT = ["-o", "tcp.desegment_tcp_streams:FALSE"]
_TSHARK_ENV = {"HOME": "/tmp", "PATH": "/usr/bin:/bin"}
_cache: dict[tuple[str, bool], Counter[str]] = {}


def _is_iscsi(capture: Path) -> bool:
    return "iscsi" in capture.name or capture.parent.name == "iscsi"


class Counting:
    """Counts nfsv3 and iscsi firings per probe (xfer probes have no opcode)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def handler(self, probe: Probe):  # type: ignore[no-untyped-def]
        if probe.provider not in ("nfsv3", "iscsi") or probe.name.startswith("xfer"):
            return None
        name = probe.name
        counts = self.counts

        def fire(ts_ns: int, args: tuple, thread: Hashable) -> None:
            counts[name] += 1

        return fire


def ours(path: Path) -> tuple[Counter[str], str]:
    sink = Counting()
    err = io.StringIO()
    decode_captures([str(path)], sink, Environment(stdout=io.StringIO(), stderr=err))
    return sink.counts, err.getvalue()


def theirs(path: Path, iscsi: bool, segments: bool = False) -> Counter[str]:
    """tshark's per-probe counts of a variant (cached for the run)."""
    key = (str(path), segments)
    if key not in _cache:
        _cache[key] = _tshark_iscsi(path, segments) if iscsi else _tshark_nfs(path, segments)
    return _cache[key]


def _tshark(path: Path, filter_: str, names: list[str], segments: bool) -> list[list[str]]:
    cmd = ["tshark", "-r", str(path), "-n", "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=,", "-Y", filter_]
    for name in names:
        cmd += ["-e", name]
    cmd += SEGMENT_BY_SEGMENT if segments else []
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         env=_TSHARK_ENV).stdout
    return [line.split("\t") for line in out.splitlines()]


def _tshark_iscsi(path: Path, segments: bool) -> Counter[str]:
    counts: Counter[str] = Counter()
    for (ops,) in _tshark(path, "iscsi", ["iscsi.opcode"], segments):
        for op in ops.split(","):
            name = ISCSI_PROBES.get(int(op, 16)) if op else None
            if name is not None:
                counts[name] += 1
    return counts


def _tshark_nfs(path: Path, segments: bool) -> Counter[str]:
    counts: Counter[str] = Counter()
    # rpc.procedure: tshark names it in a call cut inside the NFS arguments,
    # and in a reply it matched to its call
    rows = _tshark(path, "rpc.program == 100003 && rpc.programversion == 3",
                   ["rpc.msgtyp", "rpc.procedure", "rpc.call.dup", "rpc.reply.dup"], segments)
    for mtypes, procs, call_dup, reply_dup in rows:
        for mtype, proc in zip(mtypes.split(","), procs.split(",")):
            procedure = nfs3.NFS3_PROCEDURES.get(int(proc)) if proc.isdigit() else None
            if procedure is None or (call_dup if mtype == "0" else reply_dup):
                continue
            counts[f"op-{procedure.name}-{'start' if mtype == '0' else 'done'}"] += 1
    return counts


def check(path: Path, iscsi: bool) -> None:
    fired, errors = ours(path)
    assert "Traceback" not in errors
    whole = theirs(path, iscsi)
    over = fired - whole
    if over:  # PDUs tshark could not reassemble: their headers, segment by segment
        seen = theirs(path, iscsi, segments=True)
        invented = {name: n for name, n in over.items() if fired[name] > max(whole[name],
                                                                             seen[name])}
        assert not invented, f"fired more than tshark decodes: {invented}"
    missed = {name: (fired[name], n) for name, n in whole.items() if fired[name] < RECALL * n}
    assert not missed, f"fewer than {RECALL:.0%} of tshark's (fired, tshark): {missed}"


@pytest.fixture(scope="module")
def variant_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("imperfect")


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_variants_never_invent_and_recall_95_percent(capture: Path, variant_dir: Path) -> None:
    require_shared()
    require_tshark()
    iscsi = _is_iscsi(capture)
    made = imperfect.variants(capture, variant_dir / capture.stem,
                              ISCSI_PORTS if iscsi else NFS_PORTS)
    assert len(made) == 3 + 9 + 2 + 1
    failures = []
    for variant in made:
        try:
            check(variant.path, iscsi)
        except AssertionError as exc:
            failures.append(f"{variant.name}: {exc}".splitlines()[0])
    assert not failures, "\n".join(failures)


def test_long_lossy_iscsi_session_stays_in_step(tmp_path: Path) -> None:
    """Thousands of READs after lost segments: every one fires, none invented."""
    require_tshark()
    pytest.importorskip("scapy")
    path = imperfect.long_lossy_iscsi(tmp_path, commands=3000)
    fired, _ = ours(path)
    assert fired["scsi-command"] == 3000
    assert fired["scsi-response"] == 3000
    # 3000 Data-In: the one whose header was lost is not invented; the one
    # with a hole in its data fires from its header
    assert fired["data-send"] == 2999
    assert set(fired) <= {"scsi-command", "scsi-response", "data-send", "login-command",
                          "login-response"}
    check(path, iscsi=True)
