"""Imperfect captures (issue 11): pcapprobe against tshark on derived variants.

Every NFS (v3 and v4) and iSCSI capture in ../shared/captures (real-peers
included) is cut to snap lengths 64/96/128/200, loses 1/5/20 % of its frames
at random in one direction or both, loses one direction, or loses its first
third (fixtures/gen/imperfect.py).  On each variant, per probe:

* no invention, PDU by PDU: every PDU fired (probe and ITT, or probe and
  xid) is one tshark decodes in the original capture;
* no invention, per probe: pcapprobe fires no more than tshark decodes in
  the variant -- whole PDUs (default reassembly), or PDU headers when it
  dissects segment by segment (desegmentation off: a PDU whose later
  segments were lost still shows its header there, and pcapprobe fires it
  from its header);
* NFSv4, field by field: the operations a COMPOUND call or reply fires are
  the first of those tshark lists for its xid in the original capture, and
  every status, offset, count and OPEN name they carry is one tshark shows
  there (members whose bytes were not captured read as 0 or "<unknown>");
* recall: over all probes, pcapprobe fires at least 95 % of what tshark
  decodes whole in the variant.

tshark's counts are per iSCSI opcode (``iscsi.opcode``), per NFSv3
procedure of calls and of replies tshark matched to their call
(``rpc.procedure`` of program 100003 version 3), and per NFSv4 operation
(``nfs.opcode``, ``nfs.cb.operation``) and COMPOUND.  Calls a client repeated
while they awaited their reply fire once (the server's duplicate-request
cache, README "nfsv3 notes"), so tshark's duplicates (``rpc.call.dup``/
``rpc.reply.dup``) are left out of its counts.

The work runs the way it is fastest: editcap and tshark are subprocesses,
run by a pool of worker threads (one per CPU) for every capture the session
selected, while pcapprobe decodes each variant once, for every provider, in
the test's thread; each tshark view of a file is made once per session.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import threading
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from fixtures.gen import imperfect
from pcapprobe.api import decode_captures
from pcapprobe.dissectors import nfs3, nfs4
from pcapprobe.env import Environment
from pcapprobe.probes.catalog import Probe
from pcapprobe.probes.translators.iscsi import PROBES as ISCSI_PROBES
from tests.conftest import require_shared, require_tshark, shared_captures
from tests.tshark import fcp_tasks

SERVER_PORTS = {"nfs": frozenset({2049}), "iscsi": frozenset({3260}), "fc": frozenset()}
PROTOCOLS = ("nfsv3", "nfsv4", "iscsi", "fc")
CAPTURES = (shared_captures("nfsv3", "nfsv4", "iscsi", "fc")
            + [p for p in shared_captures("real-peers") if p.name.startswith(PROTOCOLS)])
RECALL = 0.95
_TSHARK_ENV = {"HOME": "/tmp", "PATH": "/usr/bin:/bin"}
# tshark's views of a capture: "whole" (default reassembly), "segments"
# (desegmentation off), for iSCSI "ports" (port 3260 decoded as iSCSI, as
# pcapprobe binds it: tshark's heuristic misses a connection whose initiator
# side was not captured), for RPC "resync" (tshark's own search for the next
# record mark of a stream joined mid-record, off by default).
# An FC frame is a PDU: "whole" has the IUs tshark decodes whole (an
# FCP_RSP: and its FCP_CMND), "cut" also those a snap length cut.
VIEWS = {"whole": [], "segments": ["-o", "tcp.desegment_tcp_streams:FALSE"],
         "ports": ["-d", "tcp.port==3260,iscsi"], "resync": ["-o", "rpc.find_fragment_start:TRUE"],
         "cut": []}
EXTRA_VIEWS = {"iscsi": ("segments", "ports"), "nfs": ("segments", "resync"), "fc": ("cut",)}
NFS4_OPS = {code: op.name for code, op in nfs4.NFS4_OPERATIONS.items()}
NFS4_CB_OPS = {code: op.name for code, op in nfs4.NFS4_CB_OPERATIONS.items()}

Tags = Counter  # (probe, tag) -> count; probes named "provider:name"


def _kind(capture: Path) -> str:
    """"iscsi", "fc" or "nfs": how tshark's counts are read, whose ports serve."""
    for kind in ("iscsi", "fc"):
        if kind in capture.name or capture.parent.name == kind:
            return kind
    return "nfs"


@dataclass
class Facts:
    """What one NFSv4 COMPOUND call or reply says: its operations in order,
    and the statuses, offsets, counts and names it carries."""

    ops: list[str] = field(default_factory=list)
    values: dict[str, set] = field(default_factory=lambda: defaultdict(set))


@dataclass
class View:
    """One tshark view of one file: (probe, tag) counts, and NFSv4 facts per
    (xid, 0 call / 1 reply)."""

    tags: Tags = field(default_factory=Counter)
    nfs4: dict[tuple[int, int], Facts] = field(default_factory=dict)


# ---------------------------------------------------------------- pcapprobe


class Firings:
    """A sink for every provider checked here: (probe, tag) counts -- the ITT
    of an iSCSI PDU, the xid of an RPC message (0 for NFSv4 callbacks, whose
    probes carry none), the OX_ID of an FCP IU -- the NFSv4 facts per
    (xid, call/reply) and the FCP facts of each SCSI task.  Transfer probes
    (xfer-*) have no opcode of their own and are left out, as are FC's link
    and login probes."""

    def __init__(self) -> None:
        self.tags: Tags = Counter()
        self.nfs4: dict[tuple[int, int], Facts] = defaultdict(Facts)
        self.fcp: list[tuple[str, dict]] = []

    def handler(self, probe: Probe) -> Callable[[int, tuple, Hashable], None] | None:
        provider = probe.provider
        if provider not in PROTOCOLS or probe.name.startswith("xfer") \
                or (provider == "fc" and not probe.name.startswith("scsi-")):
            return None
        name = f"{provider}:{probe.name}"
        tags = self.tags
        if provider == "fc":
            fcp = self.fcp

            def fire(ts_ns: int, args: tuple, thread: Hashable) -> None:
                wire = next(a.wire() for a in args if hasattr(a, "wire"))
                tags[(name, wire["ox_id"])] += 1
                fcp.append((probe.name, wire))
        elif provider == "iscsi":
            def fire(ts_ns: int, args: tuple, thread: Hashable) -> None:
                tags[(name, args[1].ii_itt)] += 1
        elif provider == "nfsv3":
            def fire(ts_ns: int, args: tuple, thread: Hashable) -> None:
                tags[(name, args[1].noi_xid)] += 1
        elif probe.name.startswith(("cb-", "compound-cb-")):
            def fire(ts_ns: int, args: tuple, thread: Hashable) -> None:
                tags[(name, 0)] += 1
        else:
            nfs4_facts, kind = self.nfs4, int(probe.name.endswith("-done"))

            def fire(ts_ns: int, args: tuple, thread: Hashable) -> None:
                xid = args[1].noi_xid
                tags[(name, xid)] += 1
                facts = nfs4_facts[(xid, kind)]
                arg = args[2] if len(args) > 2 else None
                if probe.name.startswith("op-"):
                    facts.ops.append(probe.name.rpartition("-")[0][3:])
                for member, value in _nfs4_values(probe.name, arg):
                    facts.values[member].add(value)

        return fire


def _nfs4_values(name: str, arg: Any) -> Iterator[tuple[str, object]]:
    """The members of one NFSv4 firing compared with tshark's fields."""
    if arg is None:
        return
    if name == "compound-op-done":
        yield "status", arg.status
    elif name.startswith("op-") and name.endswith("-done"):
        yield "status", arg[0]
    if name in ("op-read-start", "op-write-start"):
        yield "offset", arg.offset
    if name == "op-read-start" or (name == "op-write-done" and arg.status == 0):
        yield "count", arg.count
    if name == "op-open-start" and arg.claim == nfs4.CLAIM_NULL:
        yield "name", arg.open_claim4_u.file.utf8string_val


def ours(path: Path, kind: str) -> tuple[Firings, str]:
    """Decode one file once for every provider checked; its stderr.  FC
    probes fire at the target port, which ``--local all`` takes every port
    for (as tests/test_fc_tshark.py)."""
    sink = Firings()
    err = io.StringIO()
    decode_captures([str(path)], sink, Environment(stdout=io.StringIO(), stderr=err),
                    local=("all",) if kind == "fc" else ("auto",))
    return sink, err.getvalue()


# ------------------------------------------------------------------- tshark


def _tshark(path: Path, filter_: str, names: list[str], extra: list[str]) -> list[list[str]]:
    cmd = ["tshark", "-r", str(path), "-n", "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=,", "-Y", filter_, *extra]
    for name in names:
        cmd += ["-e", name]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         env=_TSHARK_ENV).stdout
    return [line.split("\t") for line in out.splitlines()]


def tshark_view(path: Path, kind: str, view: str) -> View:
    if kind == "fc":
        return _tshark_fc(path, whole=view == "whole")
    return (_tshark_iscsi if kind == "iscsi" else _tshark_nfs)(path, VIEWS[view])


def _tshark_fc(path: Path, whole: bool) -> View:
    result = View()
    rows = _tshark(path, "fc.type == 0x08 && (fc.r_ctl == 0x06 || fc.r_ctl == 0x07)",
                   ["fc.r_ctl", "fc.s_id", "fc.d_id", "fc.ox_id", "fcp.dl", "fcp.status"], [])
    commands = set()  # (initiator, OX_ID) of FCP_CMNDs captured whole
    for r_ctl, s_id, d_id, ox, dl, status in rows:
        ox_id = int(ox, 16)
        if r_ctl == "0x06":
            if dl:
                commands.add((s_id, ox_id))
            if dl or not whole:
                result.tags[("fc:scsi-command", ox_id)] += 1
        elif not whole or (status and (d_id, ox_id) in commands):
            result.tags[("fc:scsi-response", ox_id)] += 1
    return result


def _tshark_iscsi(path: Path, extra: list[str]) -> View:
    result = View()
    for ops, itts in _tshark(path, "iscsi", ["iscsi.opcode", "iscsi.initiatortasktag"], extra):
        for op, itt in zip(ops.split(","), itts.split(",")):
            name = ISCSI_PROBES.get(int(op, 16)) if op else None
            if name is not None:
                result.tags[(f"iscsi:{name}", int(itt, 16))] += 1
    return result


_NFS_FIELDS = ["rpc.msgtyp", "rpc.xid", "rpc.program", "rpc.programversion", "rpc.procedure",
               "rpc.call.dup", "rpc.reply.dup", "nfs.opcode", "nfs.cb.operation",
               "nfs.nfsstat4", "nfs.offset4", "nfs.count4", "nfs.pathname.component"]


def _tshark_nfs(path: Path, extra: list[str]) -> View:
    result = View()
    for row in _tshark(path, "rpc.program == 100003 || nfs.cb.operation", _NFS_FIELDS, extra):
        (mtypes, xids, programs, versions, procs, call_dup, reply_dup, opcodes, cb_ops,
         *values) = row
        if cb_ops:
            _nfs4_callback(result, mtypes, cb_ops)
            continue
        messages = list(zip(mtypes.split(","), xids.split(","), programs.split(","),
                            versions.split(","), procs.split(",")))
        for mtype, xid, program, version, proc in messages:
            if program != "100003" or not proc.isdigit() \
                    or (call_dup if mtype == "0" else reply_dup):
                continue
            if version == "3":
                procedure = nfs3.NFS3_PROCEDURES.get(int(proc))
                if procedure is not None:
                    end = "start" if mtype == "0" else "done"
                    result.tags[(f"nfsv3:op-{procedure.name}-{end}", int(xid, 16))] += 1
            elif version == "4" and proc == "1":
                if len(messages) > 1:
                    pytest.fail(f"{path.name}: several NFSv4 messages in one frame: "
                                "extend the oracle")
                _nfs4_compound(result, int(mtype), int(xid, 16), opcodes, values)
    return result


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v]


def _nfs4_compound(result: View, kind: int, xid: int, opcodes: str, values: list[str]) -> None:
    end = "done" if kind else "start"
    result.tags[(f"nfsv4:compound-op-{end}", xid)] += 1
    facts = result.nfs4[(xid, kind)] = Facts()
    statuses, offsets, counts, names = values
    codes = _ints(opcodes)
    if kind:  # a result whose status was not captured says nothing (nor fires)
        codes = codes[:len(_ints(statuses)) - 1]
    for code in codes:
        facts.ops.append(NFS4_OPS[code])
        result.tags[(f"nfsv4:op-{NFS4_OPS[code]}-{end}", xid)] += 1
    facts.values["status"].update(_ints(statuses))
    facts.values["offset"].update(_ints(offsets))
    facts.values["count"].update(_ints(counts))
    facts.values["name"].update(n for n in names.split(",") if n)


def _nfs4_callback(result: View, mtypes: str, cb_ops: str) -> None:
    end = "done" if mtypes == "1" else "start"
    result.tags[(f"nfsv4:compound-cb-{end}", 0)] += 1
    for code in _ints(cb_ops):
        result.tags[(f"nfsv4:cb-{NFS4_CB_OPS[code]}-{end}", 0)] += 1


# ------------------------------------------------------------ the work pool


class Workshop:
    """Variants and tshark views, each made once per session by a pool of
    worker threads (their subprocesses run while the tests decode)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2)
        self._lock = threading.Lock()
        self._views: dict[tuple[Path, str], Future[View]] = {}
        self._variants: dict[Path, Future[list[imperfect.Variant]]] = {}
        self._fcp: dict[Path, Future[dict]] = {}

    def view(self, path: Path, kind: str, view: str = "whole") -> Future[View]:
        with self._lock:
            key = (path, view)
            if key not in self._views:
                self._views[key] = self.pool.submit(tshark_view, path, kind, view)
            return self._views[key]

    def fcp(self, capture: Path) -> Future[dict]:
        """tshark's FCP facts of an original capture, per (initiator, OX_ID)."""
        with self._lock:
            if capture not in self._fcp:
                self._fcp[capture] = self.pool.submit(fcp_tasks, capture)
            return self._fcp[capture]

    def variants(self, capture: Path) -> Future[list[imperfect.Variant]]:
        with self._lock:
            if capture not in self._variants:
                self._variants[capture] = self.pool.submit(self._derive, capture)
            return self._variants[capture]

    def _derive(self, capture: Path) -> list[imperfect.Variant]:
        kind = _kind(capture)
        made = imperfect.variants(capture, self.root / capture.stem, SERVER_PORTS[kind])
        for variant in made:  # queued, not awaited: a worker never waits on the pool
            self.view(variant.path, kind)
        return made

    def prefetch(self, captures: Iterable[Path]) -> None:
        """Queue all the work the selected tests will need, capture by capture."""
        for capture in captures:
            kind = _kind(capture)
            self.variants(capture)
            for view in ("whole", *EXTRA_VIEWS[kind]):
                self.view(capture, kind, view)
            if kind == "fc":
                self.fcp(capture)

    def everything(self, path: Path, kind: str) -> Tags:
        """Every PDU tshark decodes in any of its views of a file."""
        tags = self.view(path, kind).result().tags.copy()
        for view in EXTRA_VIEWS[kind]:
            tags |= self.view(path, kind, view).result().tags
        return tags

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


@pytest.fixture(scope="module")
def workshop(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workshop]:
    shop = Workshop(tmp_path_factory.mktemp("imperfect"))
    if CAPTURES and shutil.which("tshark") and shutil.which("editcap"):
        selected = [item.callspec.params["capture"] for item in request.session.items
                    if item.module is request.module and hasattr(item, "callspec")
                    and "capture" in item.callspec.params]
        shop.prefetch(selected)
    yield shop
    shop.close()


# ------------------------------------------------------------------- checks


def _some(counts: Counter) -> str:
    shown = dict(list(counts.items())[:5])
    return f"{shown}{' ...' if len(counts) > 5 else ''} ({sum(counts.values())} in all)"


def per_probe(tags: Tags) -> Counter[str]:
    counts: Counter[str] = Counter()
    for (name, _), n in tags.items():
        counts[name] += n
    return counts


def check(shop: Workshop, path: Path, kind: str, original: Path) -> None:
    sink, errors = ours(path, kind)
    assert "Traceback" not in errors
    fired = per_probe(sink.tags)
    # No invention, PDU by PDU: each one fired is one tshark decodes in the
    # capture the variant was cut from (same probe, same ITT, xid or OX_ID),
    # field by field for NFSv4 and FCP.
    unknown = sink.tags - shop.everything(original, kind)
    assert not unknown, f"PDUs not in the original capture: {_some(unknown)}"
    if kind == "fc":
        _check_fcp_facts(sink, shop.fcp(original).result())
    else:
        _check_nfs4_facts(sink, shop.view(original, kind).result())
    # ... and per probe against tshark's views of the variant itself.
    whole = per_probe(shop.view(path, kind).result().tags)
    if fired - whole:
        bound = per_probe(shop.everything(path, kind)) | whole
        invented = {name: (n, bound[name]) for name, n in fired.items() if n > bound[name]}
        assert not invented, f"fired more than tshark decodes (fired, tshark): {invented}"
    # Recall over every probe of the variant.
    found = sum(min(fired[name], n) for name, n in whole.items())
    total = sum(whole.values())
    missed = {name: (fired[name], n) for name, n in whole.items() if fired[name] < n}
    assert found >= RECALL * total, \
        f"{found} of tshark's {total} (< {RECALL:.0%}); (fired, tshark): {missed}"


def _check_nfs4_facts(sink: Firings, original: View) -> None:
    """NFSv4 field by field against the original capture: the operations
    fired are the first tshark lists, and every value is one it shows (or
    0 / "<unknown>" for an offset, count or name whose bytes were cut)."""
    for key, facts in sink.nfs4.items():
        theirs = original.nfs4.get(key)
        assert theirs is not None, f"NFSv4 xid {key[0]:#x}: no such COMPOUND in the original"
        assert facts.ops == theirs.ops[:len(facts.ops)], \
            f"NFSv4 xid {key[0]:#x}: operations {facts.ops}, tshark {theirs.ops}"
        for member, values in facts.values.items():
            unknown = set() if member == "status" else {0, "<unknown>"}
            invented = values - theirs.values[member] - unknown
            assert not invented, \
                f"NFSv4 xid {key[0]:#x}: {member} {sorted(map(str, invented))} " \
                f"not in tshark's {sorted(map(str, theirs.values[member]))}"


def _check_fcp_facts(sink: Firings, tasks: dict[tuple[str, int], dict[str, object]]) -> None:
    """FCP field by field against the original capture (as
    tests/test_fc_tshark.py on whole captures): the LUN, FCP_DL and CDB
    opcode of each command, and the RX_ID, status and residual of each
    response, are tshark's for that initiator and OX_ID."""
    for name, wire in sink.fcp:
        task = tasks.get((wire["initiator"], wire["ox_id"]))
        assert task is not None, f"FCP {name} {wire}: no such exchange in the original"
        assert (wire["lun"] >> 48) & 0x3FFF == task["lun"], (name, wire, task)
        assert wire["fcp_dl"] == task["fcp_dl"], (name, wire, task)
        if task["opcode"] is not None:
            assert wire["opcode"] == task["opcode"], (name, wire, task)
        if name == "scsi-response":
            for member in ("rx_id", "status", "residual"):
                assert wire[member] == task.get(member), (name, member, wire, task)


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_variants_never_invent_and_recall_95_percent(capture: Path, workshop: Workshop) -> None:
    require_shared()
    require_tshark()
    kind = _kind(capture)
    made = workshop.variants(capture).result()
    assert len(made) == len(imperfect.SNAPLENS) + 9 + 2 + 1
    failures = []
    for variant in made:
        try:
            check(workshop, variant.path, kind, capture)
        except AssertionError as exc:
            failures.append(f"{variant.name}: {exc}".splitlines()[0])
    assert not failures, "\n".join(failures)


def test_long_lossy_iscsi_session_stays_in_step(tmp_path: Path, workshop: Workshop) -> None:
    """Thousands of READs after lost segments: every one fires, none invented."""
    require_tshark()
    path = imperfect.long_lossy_iscsi(tmp_path, commands=3000)
    sink, _ = ours(path, "iscsi")
    fired = Counter({name.partition(":")[2]: n for name, n in per_probe(sink.tags).items()})
    assert fired["scsi-command"] == 3000
    assert fired["scsi-response"] == 3000
    # 3000 Data-In: the one whose header was lost is not invented; the one
    # with a hole in its data fires from its header
    assert fired["data-send"] == 2999
    assert set(fired) <= {"scsi-command", "scsi-response", "data-send", "login-command",
                          "login-response"}
    # tshark decodes no more (segment by segment) and no fewer whole; the
    # Data-In with a hole in its data is one it cannot reassemble
    whole = per_probe(workshop.view(path, "iscsi").result().tags)
    seen = per_probe(workshop.everything(path, "iscsi"))
    ours_named = per_probe(sink.tags)
    assert not whole - ours_named and not ours_named - (seen | whole)
    assert fired["data-send"] == whole["iscsi:data-send"] + 1
