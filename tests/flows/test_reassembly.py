"""Per-direction stream reassembly (pcapprobe/flows/reassembly.py)."""

from __future__ import annotations

import gc
import weakref

import pytest

from pcapprobe import _fastpath
from pcapprobe.flows import reassembly
from pcapprobe.flows.framing import StreamFramer
from pcapprobe.flows.reassembly import (
    MAX_HELD_BYTES,
    MAX_HELD_SEGMENTS,
    MAX_HELD_TOTAL,
    Budget,
    Reassembler,
)


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


# -- the C implementation (pcapprobe/cext/stream.c): edges the above miss ----


def test_constants_are_declared_once_in_c():
    for name in ("MAX_HELD_BYTES", "MAX_HELD_SEGMENTS", "MAX_HELD_TOTAL"):
        assert getattr(reassembly, name) == getattr(_fastpath, name)
    assert MAX_HELD_BYTES == 4 * 1024 * 1024 and MAX_HELD_SEGMENTS == 2048
    assert Budget().limit == MAX_HELD_TOTAL == 256 * 1024 * 1024
    budget = Budget(limit=7)
    budget.held = 3
    assert (budget.held, budget.limit) == (3, 7)


def test_initial_state():
    r, _ = make(seq=0x1_0000_0005)  # taken modulo 2**32
    assert (r.base, r.nxt, r.fin, r.held) == (5, 0, None, [])
    assert (r.held_bytes, r.gaps, r.gap_bytes) == (0, 0, 0)
    assert r.direction == 0 and isinstance(r.sink, Recorder)
    assert isinstance(r.budget, Budget)


def test_wraparound_with_held_segments_and_an_ack_across_it():
    r, rec = make(seq=0xFFFFFFF0)
    feed(r, 0xFFFFFFF0, b"a" * 8)
    feed(r, 0x4, b"c" * 4)  # beyond a hole that straddles the wrap
    assert r.held == [(20, b"cccc")] and r.budget.held == 4
    r.acked(0x2, 0)  # the hole's start is acknowledged...
    assert rec.events == [("data", b"a" * 8), ("gap", 10)]
    r.acked(0x8, 0)  # ...then all of it
    assert rec.events[2:] == [("gap", 2), ("data", b"cccc")]
    assert r.nxt == 24 and r.gaps == 2 and r.gap_bytes == 12 and r.budget.held == 0


def test_offsets_keep_growing_past_4_gib():
    r, rec = make(seq=1000)
    for _ in range(5):  # holes of 1 GiB, acknowledged: the stream moves on
        r.acked((1000 + r.nxt + (1 << 30)) & 0xFFFFFFFF, 0)
    assert r.nxt == 5 << 30 and r.gap_bytes == 5 << 30
    feed(r, 1000 + r.nxt, b"late")
    feed(r, 1000 + r.nxt - 2, b"tel")  # two bytes old, one new
    assert rec.stream() == b"latel" and r.nxt == (5 << 30) + 5
    feed(r, 1000 + r.nxt, b"!", fin=True)
    assert r.fin == (5 << 30) + 6


def test_acks_report_each_hole_between_held_segments():
    r, rec = make()
    feed(r, 1000, b"ab")
    feed(r, 1010, b"kl")
    feed(r, 1005, b"fg")
    assert r.held == [(5, b"fg"), (10, b"kl")] and r.held_bytes == 4
    r.acked(999, 0)  # behind the delivery point: nothing
    r.acked(1012, 0)
    assert rec.events == [("data", b"ab"), ("gap", 3), ("data", b"fg"), ("gap", 3),
                          ("data", b"kl")]
    assert r.gaps == 2 and r.gap_bytes == 6 and r.held == [] and r.held_bytes == 0


def test_ack_past_the_held_data_reports_the_hole_after_it():
    r, rec = make()
    feed(r, 1002, b"cd")
    r.acked(1008, 0)
    assert rec.events == [("gap", 2), ("data", b"cd"), ("gap", 4)]


def test_overlapping_held_segments_are_trimmed():
    r, rec = make()
    feed(r, 1004, b"efgh")
    feed(r, 1006, b"GHij")
    feed(r, 1003, b"D")
    feed(r, 1000, b"abc")
    assert rec.stream() == b"abcDefghij" and r.nxt == 10


def test_held_segment_count_is_capped():
    r, rec = make()
    for i in range(MAX_HELD_SEGMENTS):
        feed(r, 1002 + 2 * i, b"x")  # each beyond its own one-byte hole
    assert len(r.held) == MAX_HELD_SEGMENTS and rec.events == []
    feed(r, 1002 + 2 * MAX_HELD_SEGMENTS, b"y")  # one too many: the first hole goes
    assert rec.events == [("gap", 2), ("data", b"x")]
    assert len(r.held) == MAX_HELD_SEGMENTS
    assert r.held[-1] == (2 + 2 * MAX_HELD_SEGMENTS, b"y")
    assert r.held_bytes == r.budget.held == MAX_HELD_SEGMENTS
    r.close(0)
    assert rec.stream() == b"x" * MAX_HELD_SEGMENTS + b"y"
    assert r.gaps == MAX_HELD_SEGMENTS + 1 and r.held == [] and r.budget.held == 0


def test_budget_is_shared_and_given_back():
    budget = Budget(limit=10)
    r1, rec1 = make(budget=budget)
    r2, rec2 = make(budget=budget)
    feed(r1, 1002, b"aaaa")
    feed(r2, 1002, b"bbbb")
    assert budget.held == 8 and r1.held_bytes == r2.held_bytes == 4
    # Over the total: r2's first hole is given up (not r1's), which makes room.
    feed(r2, 1010, b"cccc")
    assert rec1.events == [] and rec2.events == [("gap", 2), ("data", b"bbbb")]
    assert r2.held == [(10, b"cccc")] and budget.held == 8
    feed(r1, 1000, b"zz")
    assert rec1.stream() == b"zzaaaa" and budget.held == 4
    r2.close(0)
    assert budget.held == 0 and r2.held_bytes == 0


def test_close_delivers_every_held_segment():
    r, rec = make()
    feed(r, 1002, b"cd")
    feed(r, 1006, b"gh")
    r.close(0)
    assert rec.events == [("gap", 2), ("data", b"cd"), ("gap", 2), ("data", b"gh")]
    r.close(0)  # nothing held: nothing more
    assert len(rec.events) == 4


def test_fin_is_the_offset_after_the_last_byte():
    r, rec = make()
    feed(r, 1000, b"")
    assert r.fin is None
    feed(r, 1004, b"ef", fin=True)  # beyond a hole: still known
    assert r.fin == 6
    feed(r, 1000, b"abcd", fin=True)  # a later FIN does not move it
    assert r.fin == 6 and rec.stream() == b"abcdef"


def test_python_sink_gets_the_payload_in_order_and_views_otherwise():
    got = []

    class Sink:
        def data(self, direction, data, ts_ns):
            got.append((direction, data, ts_ns))

        def gap(self, direction, size):
            got.append((direction, size))

    r = Reassembler(Sink(), 1, 1000, Budget())
    payload = bytearray(b"abcd")
    r.segment(1000, payload, False, 5)
    r.segment(1002, b"cdef", False, 6)
    r.segment(1008, b"ij", False, 7)
    r.acked(1010, 8)
    assert got[0] == (1, payload, 5) and got[0][1] is payload
    assert isinstance(got[1][1], memoryview) and bytes(got[1][1]) == b"ef"
    assert got[2] == (1, 2) and bytes(got[3][1]) == b"ij" and got[3][2] == 8


def test_exceptions_from_the_sink_propagate():
    class Failing(Recorder):
        def data(self, direction, data, ts_ns):
            super().data(direction, data, ts_ns)
            raise RuntimeError("sink")

    r = Reassembler(Failing(), 0, 1000, Budget())
    with pytest.raises(RuntimeError, match="sink"):
        r.segment(1000, b"ab", False, 0)
    assert r.nxt == 2  # the bytes count as delivered, as they were handed on
    r.segment(1004, b"ef", False, 0)
    with pytest.raises(RuntimeError):
        r.acked(1006, 0)
    assert r.held == [] and r.budget.held == 0


def test_feeds_a_framer_without_python_in_between():
    class App:
        min_header = 1

        def __init__(self):
            self.events = []

        def pdu_length(self, view, direction):
            return 4

        def on_pdu(self, pdu, direction, ts_ns):
            self.events.append(("pdu", direction, bytes(pdu), ts_ns))

        def on_gap(self, direction, size):
            self.events.append(("gap", direction, size))

        def on_close(self):
            self.events.append(("close",))

    app = App()
    framer = StreamFramer(app)
    budget = Budget()
    r = Reassembler(framer, 1, 500, budget)
    assert r.sink is framer
    r.segment(506, b"ghij", False, 2)
    r.segment(500, b"abcdef", False, 3)
    r.segment(514, b"opqr", False, 4)
    r.acked(518, 5)
    r.close(6)
    framer.close()
    assert app.events == [("pdu", 1, b"abcd", 3), ("pdu", 1, b"efgh", 3), ("gap", 1, 6),
                          ("pdu", 1, b"opqr", 5), ("close",)]


def test_payloads_are_any_buffer_and_held_as_copies():
    r, rec = make()
    data = bytearray(b"xyz")
    r.segment(1002, memoryview(data)[1:], False, 0)
    data[:] = b"___"  # the held copy does not change
    r.segment(1000, bytearray(b"ab"), False, 0)
    assert rec.stream() == b"abyz"
    with pytest.raises(TypeError):
        r.segment(1004, "text", False, 0)
    with pytest.raises(TypeError):
        Reassembler(Recorder(), 0, 0, object())


def test_reference_cycles_through_the_sink_are_collected():
    class App:
        min_header = 1

    app = App()
    framer = StreamFramer(app)
    app.reasm = Reassembler(framer, 0, 0, Budget())  # app -> reasm -> framer -> app
    app.reasm.segment(5, b"held", False, 0)
    alive = weakref.ref(app)
    del app, framer
    gc.collect()
    assert alive() is None
