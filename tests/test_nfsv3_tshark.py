"""nfsv3 provider against tshark on real and generated NFS captures.

For every capture: each procedure's op-*-start / op-*-done count equals
tshark's count of NFSv3 calls / replies of that procedure, READ and WRITE byte
sums agree, and done-minus-start per xid equals tshark's ``rpc.time``.  NFSv2
and NFSv4 traffic fires no nfsv3 probe.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from dissectors.nfs3 import NFS3_PROCEDURES
from tests.conftest import FIXTURES, require_shared, require_tshark, shared_captures
from tests.nfs_sink import collect
from tests.tshark import fields

NAMES = {proc: p.name for proc, p in NFS3_PROCEDURES.items()}
CAPTURES = ([p for p in shared_captures("nfsv3", "nfsv4", "real-peers") if "nfs" in p.name]
            or [Path("../shared/captures/absent")])
GENERATED = sorted(FIXTURES.glob("nfsv3-*.pcap"))


class Oracle:
    """tshark's view of the NFSv3 calls and replies of one capture."""

    def __init__(self, capture: Path) -> None:
        rows = fields(capture, ["rpc.msgtyp", "rpc.xid", "nfs.procedure_v3", "rpc.time",
                                "nfs.count3", "rpc.call.dup", "rpc.reply.dup"],
                      "rpc.program == 100003 && rpc.programversion == 3")
        self.calls: Counter[str] = Counter()
        self.replies: Counter[str] = Counter()
        self.read_bytes = self.write_bytes = 0
        self.latency: dict[int, int] = {}
        for msgtyp, xids, procs, times, counts, call_dup, reply_dup in rows:
            if call_dup or reply_dup:
                continue  # a retransmission (one RPC per frame on these captures)
            # One frame may carry several RPCs: tshark aggregates with ','.
            for i, (kind, xid, proc) in enumerate(zip(msgtyp.split(","), xids.split(","),
                                                     procs.split(","))):
                name = NAMES[int(proc)]
                if kind == "0":
                    self.calls[name] += 1
                    continue
                self.replies[name] += 1
                if times:
                    self.latency[int(xid, 16)] = round(float(times.split(",")[i]) * 1e9)
                if counts and name in ("read", "write"):
                    # the reply's count3 (the result's byte count)
                    value = int(counts.split(",")[-1])
                    if name == "read":
                        self.read_bytes += value
                    else:
                        self.write_bytes += value


def check(capture: Path) -> None:
    require_tshark()
    oracle = Oracle(capture)
    firings, _ = collect(capture)
    starts: Counter[str] = Counter()
    dones: Counter[str] = Counter()
    started: dict[tuple, int] = {}
    read_bytes = write_bytes = 0
    latency: dict[int, int] = {}
    for f in firings:
        op = f.name[3:].rsplit("-", 1)[0]
        xid = f.args[1].noi_xid
        if f.name.endswith("-start"):
            starts[op] += 1
            started[(f.thread, xid)] = f.ts
            continue
        dones[op] += 1
        latency[xid] = f.ts - started[(f.thread, xid)]
        if op == "read":
            read_bytes += f.args[2].res_u.ok.data.data_len
        elif op == "write":
            write_bytes += f.args[2].res_u.ok.count
    assert starts == oracle.calls
    assert dones == oracle.replies
    assert read_bytes == oracle.read_bytes
    assert write_bytes == oracle.write_bytes
    assert {x: latency[x] for x in oracle.latency} == oracle.latency


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_shared_captures_match_tshark(capture: Path) -> None:
    require_shared()
    check(capture)


@pytest.mark.parametrize("capture", GENERATED, ids=lambda p: p.name)
def test_generated_captures_match_tshark(capture: Path) -> None:
    check(capture)


@pytest.mark.parametrize("name", ["nfsv2-udp-negative.pcap", "nfsv4.1_pnfs.pcap",
                                  "nfsv4-ganesha-libnfs.pcap", "pb-nfs_v4-readdir.pcap"])
def test_other_nfs_versions_fire_nothing(name: str) -> None:
    require_shared()
    found = [p for p in shared_captures() if p.name == name]
    if not found:
        pytest.skip(f"{name} is not in ../shared/captures")
    firings, _ = collect(found[0])
    assert firings == []
