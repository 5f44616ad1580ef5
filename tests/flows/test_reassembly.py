"""Per-direction stream reassembly (pcapprobe/flows/reassembly.py)."""

from __future__ import annotations

from pcapprobe.flows.reassembly import MAX_HELD_BYTES, Budget, Reassembler


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def data(self, direction: int, data, ts_ns: int) -> None:
        self.events.append(("data", bytes(data)))

    def gap(self, direction: int, size: int) -> None:
        self.events.append(("gap", size))

    def stream(self) -> bytes:
        return b"".join(v for k, v in self.events if k == "data")


def make(seq: int = 1000, budget: Budget | None = None) -> tuple[Reassembler, Recorder]:
    rec = Recorder()
    return Reassembler(rec, 0, seq, budget or Budget()), rec


def feed(r: Reassembler, seq: int, data: bytes, fin: bool = False) -> None:
    r.segment(seq & 0xFFFFFFFF, memoryview(data), fin, 0)


def test_in_order_duplicates_and_overlaps_are_trimmed():
    r, rec = make()
    feed(r, 1000, b"abcd")
    feed(r, 1000, b"abcd")  # duplicate
    feed(r, 1002, b"CDef")  # overlap: first copy wins
    feed(r, 1006, b"gh")
    assert rec.stream() == b"abcdefgh"
    assert all(k == "data" for k, _ in rec.events)


def test_out_of_order_is_held_until_the_hole_fills():
    r, rec = make()
    feed(r, 1004, b"efgh")
    feed(r, 1010, b"kl")
    assert rec.events == []
    feed(r, 1000, b"abcd")
    feed(r, 1008, b"ij")
    assert rec.stream() == b"abcdefghijkl"
    assert r.held == [] and r.budget.held == 0


def test_ack_past_a_hole_reports_a_gap_and_delivers_what_follows():
    r, rec = make()
    feed(r, 1000, b"ab")
    feed(r, 1005, b"fg")
    r.acked(1007, 0)
    assert rec.events == [("data", b"ab"), ("gap", 3), ("data", b"fg")]


def test_ack_never_passes_the_fin():
    r, rec = make()
    feed(r, 1000, b"ab", fin=True)
    r.acked(1003, 0)  # the FIN's sequence number is no data
    assert rec.events == [("data", b"ab")]


def test_sequence_wraparound():
    r, rec = make(seq=0xFFFFFFFE)
    feed(r, 0xFFFFFFFE, b"ab")
    feed(r, 0x100000000 + 2, b"ef")
    feed(r, 0x100000000, b"cd")
    assert rec.stream() == b"abcdef"


def test_holding_is_bounded_per_direction():
    r, rec = make()
    chunk = b"x" * 65536
    seq = 2000  # a hole of 1000 bytes that never fills
    for _ in range(MAX_HELD_BYTES // len(chunk) + 2):
        feed(r, seq, chunk)
        seq += len(chunk)
    assert ("gap", 1000) in rec.events
    assert r.held_bytes <= MAX_HELD_BYTES


def test_total_budget_gives_up_holes():
    budget = Budget(limit=100)
    r, rec = make(budget=budget)
    feed(r, 1010, b"y" * 60)
    feed(r, 1100, b"z" * 60)  # would exceed the total cap: the first hole goes
    assert rec.events[0] == ("gap", 10)
    assert budget.held <= 100


def test_close_delivers_held_data_after_its_hole():
    r, rec = make()
    feed(r, 1003, b"de")
    r.close(0)
    assert rec.events == [("gap", 3), ("data", b"de")]
