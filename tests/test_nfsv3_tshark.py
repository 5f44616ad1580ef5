"""nfsv3 provider against tshark on real and generated NFS captures.

For every capture: each procedure's op-*-start / op-*-done count equals
tshark's count of NFSv3 calls / replies of that procedure, READ and WRITE byte
sums agree, and done-minus-start per (client address, client port, xid) equals
tshark's ``rpc.time``.  An xid is only unique per client (RFC 5531 §9), so the
latency key carries the client.  NFSv2 and NFSv4 traffic fires no nfsv3 probe.

Retransmissions (a principled difference from tshark's raw counts): pcapprobe
fires as a Solaris NFS server does behind its duplicate-request cache.  A call
repeated while the first one still awaits its reply (same client, same xid)
is the same request: op-*-start fires once, for the first transmission, and
the one op-*-done measures from it (as tshark's ``rpc.time`` does).  A reply
for a call that is no longer pending (a duplicate reply, or one whose call was
never seen) fires no op-*-done.  A call repeated after its reply was seen is
a new request and fires again.  tshark counts every transmission and marks the
repeats ``rpc.call.dup`` / ``rpc.reply.dup``; the oracle applies the rule above
to tshark's rows and checks that every call it folds was marked a dup by
tshark, and every reply it drops was a dup or an orphan.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest

from pcapprobe.dissectors.nfs3 import NFS3_PROCEDURES
from tests.conftest import FIXTURES, require_shared, require_tshark, shared_captures
from tests.nfs_sink import CollectingSink, Firing, collect
from tests.tshark import fields

NAMES = {proc: p.name for proc, p in NFS3_PROCEDURES.items()}
CAPTURES = [p for p in shared_captures("nfsv3", "nfsv4", "real-peers") if "nfs" in p.name]
GENERATED = sorted(FIXTURES.glob("nfsv3-*.pcap"))
ClientXid = tuple[str, int, int]      # (client address, client port, xid)


def _first(*values: str) -> str:
    return next((v.split(",")[0] for v in values if v), "")


class Oracle:
    """tshark's view of the NFSv3 calls and replies of one capture."""

    def __init__(self, capture: Path) -> None:
        rows = fields(capture, ["rpc.msgtyp", "rpc.xid", "nfs.procedure_v3", "rpc.time",
                                "nfs.count3", "rpc.call.dup", "rpc.reply.dup",
                                "ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport",
                                "udp.srcport", "tcp.dstport", "udp.dstport"],
                      "rpc.program == 100003 && rpc.programversion == 3")
        self.calls: Counter[str] = Counter()
        self.replies: Counter[str] = Counter()
        self.retransmitted_calls = self.dropped_replies = 0
        self.read_bytes = self.write_bytes = 0
        self.latency: dict[ClientXid, list[int]] = defaultdict(list)
        pending: set[ClientXid] = set()
        seen_calls: set[ClientXid] = set()
        for (msgtyp, xids, procs, times, counts, call_dup, reply_dup,
             src4, src6, dst4, dst6, tsport, usport, tdport, udport) in rows:
            src, sport = _first(src4, src6), int(_first(tsport, usport))
            dst, dport = _first(dst4, dst6), int(_first(tdport, udport))
            kinds = msgtyp.split(",")
            # tshark aggregates a frame's several RPCs with ','; the dup fields
            # cannot be aligned with them, so they are only cross-checked on
            # single-RPC frames.
            single = len(kinds) == 1
            for i, (kind, xid, proc) in enumerate(zip(kinds, xids.split(","),
                                                     procs.split(","))):
                name = NAMES[int(proc)]
                if kind == "0":
                    key = (src, sport, int(xid, 16))
                    if key in pending:
                        assert not single or call_dup, f"xid {xid}: repeat tshark calls new"
                        self.retransmitted_calls += 1
                        continue
                    pending.add(key)
                    seen_calls.add(key)
                    self.calls[name] += 1
                    continue
                key = (dst, dport, int(xid, 16))
                if key not in pending:
                    assert not single or reply_dup or key not in seen_calls, \
                        f"xid {xid}: reply dropped that tshark pairs as first"
                    self.dropped_replies += 1
                    continue
                pending.discard(key)
                self.replies[name] += 1
                if times:
                    self.latency[key].append(round(float(times.split(",")[i]) * 1e9))
                if counts and name in ("read", "write"):
                    # the reply's count3 (the result's byte count)
                    value = int(counts.split(",")[-1])
                    if name == "read":
                        self.read_bytes += value
                    else:
                        self.write_bytes += value


class _WithTcp(CollectingSink):
    """nfsv3 firings, plus each TCP thread's client (address, port) from tcp:::send."""

    def __init__(self) -> None:
        super().__init__("nfsv3")
        self.clients: dict[object, tuple[str, int]] = {}

    def handler(self, probe):  # type: ignore[no-untyped-def]
        if probe.provider == "tcp" and probe.name == "send":
            clients = self.clients

            def fire(ts: int, args: tuple, thread: object) -> None:
                t = args[3]
                clients[thread] = ((t.tcps_laddr, t.tcps_lport) if t.tcps_active
                                   else (t.tcps_raddr, t.tcps_rport))
            return fire
        return super().handler(probe)


def _ours(capture: Path) -> tuple[list[Firing], dict[object, tuple[str, int]]]:
    import io

    from pcapprobe.api import decode_captures
    from pcapprobe.env import Environment
    sink = _WithTcp()
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.BytesIO(),
                      show_progress=False)
    decode_captures([str(capture)], sink, env, local=("all",))
    return sink.firings, sink.clients


def _client(thread: object, clients: dict[object, tuple[str, int]]) -> tuple[str, int]:
    if thread[0] == "udp":       # type: ignore[index]
        return thread[1], thread[2]   # type: ignore[index]
    return clients[thread]


def check(capture: Path) -> None:
    require_tshark()
    oracle = Oracle(capture)
    firings, clients = _ours(capture)
    starts: Counter[str] = Counter()
    dones: Counter[str] = Counter()
    started: dict[tuple, int] = {}
    read_bytes = write_bytes = 0
    latency: dict[ClientXid, list[int]] = defaultdict(list)
    for f in firings:
        op = f.name[3:].rsplit("-", 1)[0]
        xid = f.args[1].noi_xid
        if f.name.endswith("-start"):
            starts[op] += 1
            started[(f.thread, xid)] = f.ts
            continue
        dones[op] += 1
        latency[(*_client(f.thread, clients), xid)].append(f.ts - started[(f.thread, xid)])
        if op == "read":
            read_bytes += f.args[2].res_u.ok.data.data_len
        elif op == "write":
            write_bytes += f.args[2].res_u.ok.count
    assert starts == oracle.calls
    assert dones == oracle.replies
    assert read_bytes == oracle.read_bytes
    assert write_bytes == oracle.write_bytes
    assert {k: latency[k] for k in oracle.latency} == oracle.latency
    # every reply counted answers a call seen in the capture: tshark timed it
    assert sum(map(len, oracle.latency.values())) == sum(oracle.replies.values())


def test_retransmitted_call_fires_start_once() -> None:
    """nfsv3-udp.pcap sends GETATTR xid 0x5008, again 1.1 s later, then one reply
    100 us after that (fixtures/gen/nfs.py udp_capture)."""
    require_tshark()
    capture = FIXTURES / "nfsv3-udp.pcap"
    oracle = Oracle(capture)
    assert oracle.retransmitted_calls == 1
    firings, _ = collect(capture)
    getattr = [f for f in firings if f.args[1].noi_xid == 0x5008]
    assert [f.name for f in getattr] == ["op-getattr-start", "op-getattr-done"]
    # latency from the first transmission, as tshark's rpc.time: 1.100104 s
    assert getattr[1].ts - getattr[0].ts == 1_100_104_000
    assert oracle.latency[("192.0.2.76", 1023, 0x5008)] == [1_100_104_000]


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
