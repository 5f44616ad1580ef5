"""nfsv4 provider against tshark on the NFSv4 captures of ../shared and the fixtures.

Per capture: each operation's ``op-*-start`` count equals tshark's count of
that ``nfs.opcode`` in COMPOUND calls, and ``op-*-done`` its count in replies
(a reply holds the results of the operations evaluated, up to the first
failure: the stop-at-first-error rule of translators/nfsv4.py; tshark lists
the same); the callback operations likewise against ``nfs.cb.operation``.
Then per xid: the statuses (COMPOUND, then each result), READ/WRITE offsets
and counts, the names OPEN claims and the seqids of the stateids READ, WRITE,
CLOSE and OPEN carry agree with tshark's fields of the same frame.
krb5p COMPOUNDs are encrypted: tshark shows no operation, pcapprobe fires no
op probe.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest

from dissectors import nfs4
from tests.conftest import FIXTURES, require_tshark, shared_captures
from tests.nfs_sink import Firing, collect
from tests.tshark import fields

CAPTURES = [p for p in shared_captures("nfsv4", "real-peers") if "nfsv4" in p.name]
GENERATED = sorted(FIXTURES.glob("nfsv4*.pcap"))
OP_NAMES = {code: op.name for code, op in nfs4.NFS4_OPERATIONS.items()}
CB_NAMES = {code: op.name for code, op in nfs4.NFS4_CB_OPERATIONS.items()}


def _ints(text: str, base: int = 10) -> list[int]:
    return [int(v, base) for v in text.split(",") if v]


class Oracle:
    """tshark's view of one capture's NFSv4 COMPOUNDs, per xid."""

    def __init__(self, capture: Path) -> None:
        rows = fields(capture, ["rpc.msgtyp", "rpc.xid", "rpc.program", "nfs.opcode",
                                "nfs.cb.operation", "nfs.nfsstat4", "nfs.offset4", "nfs.count4",
                                "nfs.read.data_length", "nfs.write.data_length",
                                "nfs.pathname.component", "nfs.stateid.seqid"],
                      "rpc.programversion == 4 || nfs.cb.operation")
        self.calls: Counter[str] = Counter()
        self.replies: Counter[str] = Counter()
        self.frames: dict[tuple[int, int], dict[str, list]] = {}
        for (msgtyp, xid, program, opcodes, cb_ops, statuses, offsets, counts, read_len,
             write_len, names, seqids) in rows:
            if "," in msgtyp:
                pytest.fail("several RPC messages in one frame: extend the oracle")
            kind = int(msgtyp)
            table, ops = (CB_NAMES, cb_ops) if cb_ops else (OP_NAMES, opcodes)
            prefix = "cb-" if cb_ops else "op-"
            tally = self.calls if kind == 0 else self.replies
            for code in _ints(ops):
                tally[prefix + table[code]] += 1
            self.frames[(int(xid, 16), kind)] = {
                "ops": _ints(ops), "statuses": _ints(statuses), "offsets": _ints(offsets),
                "counts": _ints(counts), "read_len": _ints(read_len),
                "write_len": _ints(write_len), "names": [n for n in names.split(",") if n],
                "seqids": _ints(seqids)}


def _probe_counts(firings: list[Firing]) -> tuple[Counter[str], Counter[str]]:
    starts: Counter[str] = Counter()
    dones: Counter[str] = Counter()
    for f in firings:
        if f.name.startswith(("op-", "cb-")):
            base, _, end = f.name.rpartition("-")
            (starts if end == "start" else dones)[base] += 1
    return starts, dones


@pytest.mark.parametrize("capture", CAPTURES + GENERATED, ids=lambda p: p.name)
def test_operation_counts_match_tshark(capture: Path) -> None:
    require_tshark()
    oracle = Oracle(capture)
    firings, _ = collect(capture, "nfsv4")
    starts, dones = _probe_counts(firings)
    assert starts == oracle.calls
    assert dones == oracle.replies
    assert sum(oracle.calls.values()) > 0


def _by_xid(firings: list[Firing]) -> dict[tuple[int, int], list[Firing]]:
    """NFS program firings per (xid, 0 call / 1 reply), in order."""
    table: dict[tuple[int, int], list[Firing]] = defaultdict(list)
    for f in firings:
        if f.name.startswith("op-"):
            table[(f.args[1].noi_xid, 0 if f.name.endswith("-start") else 1)].append(f)
        elif f.name.startswith("compound-op-") and f.args[2] is not None:
            table[(f.args[1].noi_xid, 0 if f.name.endswith("-start") else 1)].append(f)
    return table


def _stateid_seqids(name: str, arg: object) -> list[int]:
    """The seqids of the stateids READ, WRITE, CLOSE (arguments) and OPEN carry."""
    if name in ("op-read-start", "op-write-start"):
        return [arg.stateid.seqid]  # type: ignore[attr-defined]
    if name == "op-close-start":
        return [arg.open_stateid.seqid]  # type: ignore[attr-defined]
    if name == "op-open-done" and arg.status == 0:  # type: ignore[attr-defined]
        return [arg.stateid.seqid]  # type: ignore[attr-defined]
    # (CLOSE4res's stateid is deprecated, RFC 8881 §18.2.4: tshark does not list it)
    return []


@pytest.mark.parametrize("capture", CAPTURES + GENERATED, ids=lambda p: p.name)
def test_events_agree_with_tshark(capture: Path) -> None:
    require_tshark()
    oracle = Oracle(capture)
    firings, _ = collect(capture, "nfsv4")
    compared = 0
    for key, group in _by_xid(firings).items():
        frame = oracle.frames[key]
        compound = group[-1] if key[1] else group[0]
        assert compound.name.startswith("compound-op-")
        ops = [f for f in group if f.name.startswith("op-")]
        assert [f.name for f in ops] == [
            f"op-{OP_NAMES[c]}-{'done' if key[1] else 'start'}" for c in frame["ops"]]
        if key[1]:  # COMPOUND status, then each result's
            # op-restorefh-done has no args[2] (as on Solaris): its status is not compared
            ours = [compound.args[2].status] + [f.args[2][0] if len(f.args) > 2 else None
                                                for f in ops]
            assert len(ours) == len(frame["statuses"])
            assert all(a is None or a == b for a, b in zip(ours, frame["statuses"])), key
        offsets, counts, read_len, write_len, seqids = [], [], [], [], []
        names: list[str] = []
        for f in ops:
            arg = f.args[2] if len(f.args) > 2 else None
            if f.name in ("op-read-start", "op-write-start"):
                offsets.append(arg.offset)
            if f.name == "op-read-start":
                counts.append(arg.count)
            if f.name == "op-write-start":
                write_len.append(arg.data_len)
            if f.name == "op-read-done" and arg.status == 0:
                read_len.append(arg.data_len)
            if f.name == "op-read-plus-done" and arg.rpr_status == 0:
                read_len.append(arg.rpr_data_len)  # the data segments' sum
            if f.name == "op-write-done" and arg.status == 0:
                counts.append(arg.count)
            if f.name == "op-open-start" and arg.claim == nfs4.CLAIM_NULL:
                names.append(arg.open_claim4_u.file.utf8string_val)
            seqids += _stateid_seqids(f.name, arg)
        # A frame's offset4/count4 lists hold every operation's: ours are among them.
        assert not Counter(offsets) - Counter(frame["offsets"]), key
        assert not Counter(counts) - Counter(frame["counts"]), key
        assert sum(read_len) == sum(frame["read_len"]), key
        assert write_len == frame["write_len"], key
        assert not Counter(names) - Counter(frame["names"]), key
        assert not Counter(seqids) - Counter(frame["seqids"]), key
        compared += 1
    assert compared > 0
