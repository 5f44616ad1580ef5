"""The state budget (flows/budget.py): one policy, every table under it.

The hostile captures come from fixtures/gen/hostile.py, one kind at a time,
run with ``--state-size 1m`` so that a few thousand entries fill it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from fixtures.gen import hostile
from fixtures.gen import ipv4 as build4
from pcapprobe.dissectors import ipv4
from pcapprobe.cli import main
from pcapprobe.env import Environment
from pcapprobe.flows import tcp as tcp_layer
from pcapprobe.flows.budget import EMBRYONIC, IDLE, LOW_WATER, StateBudget, parse_size
from pcapprobe.flows.ipfrag import DATAGRAM_COST, PIECE_COST, Reassembler
from pcapprobe.probes.translators.nfsv3 import NAME_COST, UNKNOWN_PATH, PathMap
from pcapprobe.probes.translators.fc import EXCHANGE_COST
from pcapprobe.probes.translators.oncrpc import PENDING_CALL_COST

SERVER = hostile.SERVER


class FakeTable:
    """Entries of one cost, each an age key, oldest first."""

    def __init__(self, budget: StateBudget, name: str, ages: list[tuple[int, int]],
                 cost: int) -> None:
        self.evicts, self.ages, self.cost, self.budget = name, list(ages), cost, budget
        self.gone: list[tuple[int, int]] = []
        budget.register(self)
        budget.charge(cost * len(ages))

    def oldest(self):
        return self.ages[0] if self.ages else None

    def evict(self, upto, nbytes):
        n = 0
        while self.ages and n * self.cost < nbytes and (not n or self.ages[0] <= upto):
            self.gone.append(self.ages.pop(0))
            n += 1
        self.budget.release(n * self.cost)
        return n, n * self.cost


def test_reclaim_takes_embryonic_first_then_the_longest_idle_of_any_table():
    budget = StateBudget(4 * 1024 * 1024)
    budget.limit = 1000
    conns = FakeTable(budget, "conns", [(IDLE, 5), (EMBRYONIC, 50), (IDLE, 60)], 100)
    conns.ages.sort()
    tasks = FakeTable(budget, "tasks", [(IDLE, 1), (IDLE, 7), (IDLE, 8)], 100)
    budget.charge(600)  # 1200 > 1000: down to 875
    assert conns.gone == [(EMBRYONIC, 50), (IDLE, 5)]
    assert tasks.gone == [(IDLE, 1), (IDLE, 7)]
    assert budget.used <= budget.limit * LOW_WATER
    assert budget.evicted == {"conns": 2, "tasks": 2}


def test_sizes_are_written_as_dtrace_writes_them():
    assert parse_size("64m") == 64 << 20 and parse_size("512K") == 512 << 10
    assert parse_size("1g") == 1 << 30 and parse_size("4096") == 4096
    with pytest.raises(ValueError):
        parse_size("lots")


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(out, err, io.BufferedReader(io.BytesIO(b"")), show_progress=False)
    status = main(["run", *args], env)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("value,message", [
    ("lots", "pcapprobe: --state-size: 'lots' is not a size (bytes, or a number with k, m or g)"),
    ("64k", "pcapprobe: --state-size: 64k is below the minimum, 1m"),
])
def test_state_size_usage_errors(value, message):
    status, _, err = run("--state-size", value, "-n", "BEGIN { exit(0); }")
    assert status == 2 and err == message + "\n"


@pytest.fixture(scope="module")
def captures(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("hostile")
    paths = {}
    for kind, count in (("scan", 12_000), ("iscsi", 6_000), ("udp", 12_000),
                        ("names", 12_000), ("open", 9_000), ("nfs", 6_000), ("nfs-4x", 24_000),
                        ("closing", 24_000), ("fcp", 6_000), ("fcp-4x", 24_000),
                        ("logins", 12_000)):
        paths[kind] = out / f"{kind}.pcap"
        hostile.write(paths[kind], hostile.packets(count, (kind.split("-")[0],)))
    return paths


def evictions(err: str) -> dict[str, int]:
    """The 'state' layer of --stats."""
    lines = err.splitlines()
    start = lines.index("state:") + 1 if "state:" in lines else len(lines)
    found = {}
    for line in lines[start:]:
        if not line.startswith("  evicted: "):
            break
        name, _, n = line[len("  evicted: "):].rpartition(": ")
        found[name] = int(n)
    return found


@pytest.mark.parametrize("kind,probes,table", [
    ("scan", "tcp:::", "tcp connections"),  # the C tracker
    ("scan", "tcp:::,nfsv3:::,iscsi:::", "tcp connections"),  # the Python layer
    ("iscsi", "iscsi:::", "iscsi tasks"),
    ("udp", "nfsv3:::", "nfs/udp clients"),
    ("names", "nfsv3:::", "nfs file handle paths"),
    ("nfs", "nfsv3:::", "rpc calls awaiting a reply"),
    ("logins", "iscsi:::", "iscsi sessions"),
    ("closing", "tcp:::", "tcp time-wait endpoints"),  # the C tracker
    ("closing", "tcp:::,nfsv3:::,iscsi:::", "tcp time-wait endpoints"),  # the Python layer
])
def test_each_table_is_evicted_and_reported(captures, kind, probes, table):
    status, out, err = run(str(captures[kind]), "--local", SERVER, "--state-size", "1m", "-q",
                           "--stats", "-n", f"{probes} {{ @ = count(); }}")
    assert status == 0, err
    counted = evictions(err)
    assert counted.get(table, 0) > 0, err
    notices = [line for line in err.splitlines() if "--state-size" in line]
    # the notice names every table that evicted (closing connections: their
    # time-wait endpoints and the connections), as --stats counts them
    prefix = "pcapprobe: protocol state reached --state-size 1m: evicted the longest idle: "
    assert len(notices) == 1 and notices[0].startswith(prefix), err
    assert set(notices[0][len(prefix):].split(", ")) == {f"{n} {name}" for name, n in counted.items()}
    assert int(out.split()[-1]) > 0  # processing went on


def stat(err: str, layer: str, name: str) -> int:
    """One counter of --stats."""
    lines = err.splitlines()
    start = lines.index(f"{layer}:") + 1
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        if line.startswith(f"  {name}: "):
            return int(line.rpartition(": ")[2])
    raise AssertionError(f"no {layer} {name!r} in {err}")


def test_unanswered_rpc_calls_stay_within_the_budget_however_many(captures):
    """One-sided NFS: 6,000 then 24,000 calls never answered; the table
    holds the same bounded number at the end of both."""
    held = []
    for kind in ("nfs", "nfs-4x"):
        status, _, err = run(str(captures[kind]), "--local", SERVER, "--state-size", "1m",
                             "-q", "--stats", "-n", "nfsv3::: { @ = count(); }")
        assert status == 0, err
        held.append(stat(err, "rpc", "calls awaiting a reply"))
    budget = StateBudget(parse_size("1m"))
    assert all(0 < n <= budget.limit // PENDING_CALL_COST for n in held)
    assert held[1] <= held[0] * 1.1  # flat: four times the calls, no more held


def test_open_fc_exchanges_stay_within_the_budget_however_many(captures):
    """FCP commands never answered: evicted the longest open first, and four
    times the commands leave no more open."""
    held = []
    for kind in ("fcp", "fcp-4x"):
        status, out, err = run(str(captures[kind]), "--local", "all", "--state-size", "1m", "-q",
                               "--stats", "-n", "fc:::scsi-command { @ = count(); }")
        assert status == 0, err
        assert evictions(err).get("fc exchanges", 0) > 0, err
        assert int(out.split()[-1]) == {"fcp": 6_000, "fcp-4x": 24_000}[kind]  # each one fired
        held.append(evictions(err)["fc exchanges"])
    opened = (6_000, 24_000)
    still_open = [n - evicted for n, evicted in zip(opened, held)]
    assert all(0 < n <= StateBudget(parse_size("1m")).limit // EXCHANGE_COST for n in still_open)
    assert still_open[1] <= still_open[0] * 1.1


def test_a_default_budget_evicts_nothing_from_small_captures(captures):
    status, _, err = run(str(captures["scan"]), "--local", SERVER, "-q", "--stats", "-n",
                         "tcp::: { @ = count(); }")
    assert status == 0 and "state:" not in err and "--state-size" not in err


@pytest.mark.parametrize("in_c", [True, False])
def test_embryonic_connections_go_before_older_ones_that_carried_data(tmp_path, in_c, monkeypatch):
    """One connection with data, then a SYN flood that fills the budget, then
    the first connection's next segment: it was kept (not a new mid-stream
    connection)."""
    monkeypatch.setattr(tcp_layer, "TRACKER", in_c)
    opened = list(hostile.packets(3, ("open",)))  # SYN, SYN/ACK, ACK + data
    syns = [(ts + 1_000_000, frame) for ts, frame in hostile.packets(16_000, ("scan",))]
    later = syns[-1][0] + 1000, _next_segment(opened[-1][1])
    path = tmp_path / "flood.pcap"
    hostile.write(path, iter([*opened, *syns, later]))
    status, _, err = run(str(path), "--local", SERVER, "--state-size", "1m", "-q", "--stats",
                         "-n", "tcp:::receive { @ = count(); }")
    assert status == 0, err
    assert evictions(err)["tcp connections"] > 0
    assert "connections mid-stream" not in err


def _next_segment(frame: bytes) -> bytes:
    """The same segment again, 6 bytes further on (the next data)."""
    pkt = ipv4.decode(None, 0, memoryview(frame), 14)
    tcp = bytes(pkt.payload)
    seq = int.from_bytes(tcp[4:8], "big") + len(tcp) - 20
    tcp = tcp[:4] + seq.to_bytes(4, "big") + tcp[8:]
    return frame[:14] + build4(pkt.src, pkt.dst, 6, tcp)


def test_overlapping_fragments_hold_one_datagram_of_bytes_at_most():
    r = Reassembler(lambda *a: None)
    for n in range(2000):  # each 1200 bytes, 8 further on: 2.4 MB sent
        frame = build4("10.0.0.1", "10.0.0.2", 17, bytes(1200), ident=7, mf=True, offset=n * 8)
        r.add(ipv4.decode(None, 0, memoryview(frame), 0))
    entry = next(iter(r.pending.values()))
    assert entry.cost == DATAGRAM_COST + PIECE_COST + 1200 + 1999 * 8
    assert len(entry.pieces) == 1  # each fragment's new bytes extend the one piece
    assert entry.starts == [0] and entry.ends == [1200 + 1999 * 8]


def test_fragments_are_evicted_by_the_budget():
    budget = StateBudget(1 << 20)
    r = Reassembler(lambda *a: None, budget=budget)
    for ident in range(400):  # 400 datagrams of 8 KB: 3.2 MB
        frame = build4("10.0.0.1", "10.0.0.2", 17, bytes(8000), ident=ident, mf=True)
        r.add(ipv4.decode(None, ident, memoryview(frame), 0))
    assert budget.used <= budget.limit
    assert budget.evicted["fragmented datagrams"] > 0
    assert len(r.pending) < 400 and (False, "10.0.0.1", "10.0.0.2", 17, 399) in r.pending


def test_path_map_forgets_the_longest_unused_leaves_and_pins_directories():
    budget = StateBudget(1 << 20)
    paths = PathMap(budget)
    root, docs = b"root", b"docs"
    paths.root(root, "/export")
    paths.name(docs, root, "docs")
    paths.name(b"early", docs, "early")
    paths.name(b"used", docs, "used")
    per_entry = NAME_COST
    for n in range(budget.limit // per_entry + 100):
        paths.clock = n
        paths.name(b"f%d" % n, b"dir%d" % (n % 10), "x")
        if n % 100 == 0:
            assert paths.path(b"used") == "/export/docs/used"  # in use: kept
    assert budget.evicted["nfs file handle paths"] > 0
    assert paths.path(b"early") == UNKNOWN_PATH  # forgotten
    assert paths.path(b"used") == "/export/docs/used"
    assert paths.path(docs) == "/export/docs"  # a directory with names under it: pinned
