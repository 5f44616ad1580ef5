"""Imperfect captures (issue 11): pcapprobe against tshark on derived variants.

Every NFS and iSCSI capture in ../shared/captures (real-peers included) is
cut to snap lengths 96/128/200, loses 1/5/20 % of its frames at random in
one direction or both, loses one direction, or loses its first third
(fixtures/gen/imperfect.py).  On each variant, per probe:

* no invention, PDU by PDU: every PDU fired (probe and ITT, or probe and
  xid) is one tshark decodes in the original capture;
* no invention, per probe: pcapprobe fires no more than tshark decodes in
  the variant -- whole PDUs (default reassembly), or PDU headers when it
  dissects segment by segment (desegmentation off: a PDU whose later
  segments were lost still shows its header there, and pcapprobe fires it
  from its header);
* recall: over all probes, pcapprobe fires at least 95 % of what tshark
  decodes whole in the variant.

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

from pcapprobe.dissectors import nfs3
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
_cache: dict[tuple[str, str], Counter[tuple[str, int]]] = {}


def _is_iscsi(capture: Path) -> bool:
    return "iscsi" in capture.name or capture.parent.name == "iscsi"


class Counting:
    """Counts nfsv3 and iscsi firings per probe (xfer probes have no opcode),
    and per (probe, tag): the ITT of an iSCSI PDU, the xid of an RPC message."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.tags: Counter[tuple[str, int]] = Counter()

    def handler(self, probe: Probe):  # type: ignore[no-untyped-def]
        if probe.provider not in ("nfsv3", "iscsi") or probe.name.startswith("xfer"):
            return None
        name = probe.name
        counts, tags = self.counts, self.tags
        member = "ii_itt" if probe.provider == "iscsi" else "noi_xid"

        def fire(ts_ns: int, args: tuple, thread: Hashable) -> None:
            counts[name] += 1
            tags[(name, getattr(args[1], member))] += 1

        return fire


def ours(path: Path) -> tuple[Counting, str]:
    sink = Counting()
    err = io.StringIO()
    decode_captures([str(path)], sink, Environment(stdout=io.StringIO(), stderr=err))
    return sink, err.getvalue()


# tshark's views of a capture: "whole" (default reassembly), "segments"
# (desegmentation off) and, for iSCSI, "ports" (port 3260 decoded as iSCSI,
# as pcapprobe binds it: tshark's heuristic misses a connection whose
# initiator side was not captured).
VIEWS = {"whole": [], "segments": SEGMENT_BY_SEGMENT, "ports": ["-d", "tcp.port==3260,iscsi"]}


def theirs(path: Path, iscsi: bool, view: str = "whole") -> Counter[tuple[str, int]]:
    """tshark's (probe, tag) counts of a capture (cached for the run)."""
    key = (str(path), view)
    if key not in _cache:
        extra = VIEWS[view]
        _cache[key] = _tshark_iscsi(path, extra) if iscsi else _tshark_nfs(path, extra)
    return _cache[key]


def everything(path: Path, iscsi: bool) -> Counter[tuple[str, int]]:
    """Every PDU tshark decodes in any of its views of a capture."""
    tags = theirs(path, iscsi).copy()
    for view in ("segments", "ports") if iscsi else ("segments",):
        tags |= theirs(path, iscsi, view)
    return tags


def _some(counts: Counter) -> str:
    shown = dict(list(counts.items())[:5])
    return f"{shown}{' ...' if len(counts) > 5 else ''} ({sum(counts.values())} in all)"


def per_probe(tags: Counter[tuple[str, int]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for (name, _), n in tags.items():
        counts[name] += n
    return counts


def _tshark(path: Path, filter_: str, names: list[str], extra: list[str]) -> list[list[str]]:
    cmd = ["tshark", "-r", str(path), "-n", "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=,", "-Y", filter_, *extra]
    for name in names:
        cmd += ["-e", name]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         env=_TSHARK_ENV).stdout
    return [line.split("\t") for line in out.splitlines()]


def _tshark_iscsi(path: Path, extra: list[str]) -> Counter[tuple[str, int]]:
    tags: Counter[tuple[str, int]] = Counter()
    for ops, itts in _tshark(path, "iscsi", ["iscsi.opcode", "iscsi.initiatortasktag"], extra):
        for op, itt in zip(ops.split(","), itts.split(",")):
            name = ISCSI_PROBES.get(int(op, 16)) if op else None
            if name is not None:
                tags[(name, int(itt, 16))] += 1
    return tags


def _tshark_nfs(path: Path, extra: list[str]) -> Counter[tuple[str, int]]:
    tags: Counter[tuple[str, int]] = Counter()
    # rpc.procedure: tshark names it in a call cut inside the NFS arguments,
    # and in a reply it matched to its call
    rows = _tshark(path, "rpc.program == 100003 && rpc.programversion == 3",
                   ["rpc.msgtyp", "rpc.procedure", "rpc.xid", "rpc.call.dup", "rpc.reply.dup"],
                   extra)
    for mtypes, procs, xids, call_dup, reply_dup in rows:
        for mtype, proc, xid in zip(mtypes.split(","), procs.split(","), xids.split(",")):
            procedure = nfs3.NFS3_PROCEDURES.get(int(proc)) if proc.isdigit() else None
            if procedure is None or (call_dup if mtype == "0" else reply_dup):
                continue
            name = f"op-{procedure.name}-{'start' if mtype == '0' else 'done'}"
            tags[(name, int(xid, 16))] += 1
    return tags


# Variants where recall falls short for a reason documented in the README
# ("Imperfect captures"): only the no-invention checks hold there.
RECALL_LIMITS = {
    # header and data digests negotiated in a login whose keys the snap
    # length cut: the data digest shows only once a whole data segment and
    # its digest are captured, which never happens at 128 bytes, so PDUs with
    # data are framed 4 bytes short and sync is found again per segment
    "scsi-osd-example-001.snap128": "data digest not detectable at this snap length",
}


def check(path: Path, iscsi: bool, original: Path) -> None:
    sink, errors = ours(path)
    assert "Traceback" not in errors
    fired = sink.counts
    # No invention, PDU by PDU: each one fired is one tshark decodes in the
    # capture the variant was cut from (same probe, same ITT or xid).
    unknown = sink.tags - everything(original, iscsi)
    assert not unknown, f"PDUs not in the original capture: {_some(unknown)}"
    # ... and per probe against tshark's views of the variant itself.
    whole = per_probe(theirs(path, iscsi))
    if fired - whole:
        bound = per_probe(everything(path, iscsi)) | whole
        invented = {name: (n, bound[name]) for name, n in fired.items() if n > bound[name]}
        assert not invented, f"fired more than tshark decodes (fired, tshark): {invented}"
    # Recall over every probe of the variant.
    if path.stem in RECALL_LIMITS:
        return
    found = sum(min(fired[name], n) for name, n in whole.items())
    total = sum(whole.values())
    missed = {name: (fired[name], n) for name, n in whole.items() if fired[name] < n}
    assert found >= RECALL * total, \
        f"{found} of tshark's {total} (< {RECALL:.0%}); (fired, tshark): {missed}"


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
            check(variant.path, iscsi, capture)
        except AssertionError as exc:
            failures.append(f"{variant.name}: {exc}".splitlines()[0])
    assert not failures, "\n".join(failures)


def test_long_lossy_iscsi_session_stays_in_step(tmp_path: Path) -> None:
    """Thousands of READs after lost segments: every one fires, none invented."""
    require_tshark()
    pytest.importorskip("scapy")
    path = imperfect.long_lossy_iscsi(tmp_path, commands=3000)
    sink, _ = ours(path)
    fired = sink.counts
    assert fired["scsi-command"] == 3000
    assert fired["scsi-response"] == 3000
    # 3000 Data-In: the one whose header was lost is not invented; the one
    # with a hole in its data fires from its header
    assert fired["data-send"] == 2999
    assert set(fired) <= {"scsi-command", "scsi-response", "data-send", "login-command",
                          "login-response"}
    # tshark decodes no more (segment by segment) and no fewer whole; the
    # Data-In with a hole in its data is one it cannot reassemble
    whole, seen = per_probe(theirs(path, True)), per_probe(everything(path, True))
    assert not whole - fired and not fired - (seen | whole)
    assert fired["data-send"] == whole["data-send"] + 1