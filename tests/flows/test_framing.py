"""StreamFramer: whole PDUs, gaps and resynchronisation (pcapprobe/flows/framing.py)."""

from __future__ import annotations

import gc
import struct
import weakref

import pytest

from pcapprobe import _fastpath
from pcapprobe.flows import framing
from pcapprobe.flows.framing import MAX_PDU, StreamFramer, feed_stream


class LengthPrefixed:
    """A toy protocol: 0xAB, 2-byte body length, body."""

    min_header = 3

    def __init__(self) -> None:
        self.pdus: list[tuple[int, bytes]] = []
        self.gaps: list[tuple[int, int]] = []
        self.closed = False

    def pdu_length(self, view: memoryview, direction: int) -> int | None:
        if view[0] != 0xAB:
            return None
        return 3 + struct.unpack_from(">H", view, 1)[0]

    def on_pdu(self, pdu: memoryview, direction: int, ts_ns: int) -> None:
        self.pdus.append((direction, bytes(pdu)))

    def on_gap(self, direction: int, size: int) -> None:
        self.gaps.append((direction, size))

    def on_close(self) -> None:
        self.closed = True


class Partial(LengthPrefixed):
    """Takes the fronts of PDUs the capture cut, too."""

    def __init__(self) -> None:
        super().__init__()
        self.partials: list[tuple[int, bytes, int]] = []

    def on_partial(self, front: memoryview, length: int, direction: int, ts_ns: int) -> None:
        self.partials.append((direction, bytes(front), length))


def pdu(body: bytes) -> bytes:
    return b"\xab" + struct.pack(">H", len(body)) + body


def test_pdus_split_and_joined_across_segments():
    app = LengthPrefixed()
    stream = pdu(b"one") + pdu(b"two") + pdu(b"x" * 1000)
    chunks = [(0, stream[i:i + 7]) for i in range(0, len(stream), 7)]
    framer = feed_stream(app, chunks)
    assert [p for _, p in app.pdus] == [pdu(b"one"), pdu(b"two"), pdu(b"x" * 1000)]
    assert framer.delivered == 3 and app.closed and app.gaps == []


def test_directions_are_framed_separately():
    app = LengthPrefixed()
    feed_stream(app, [(0, pdu(b"a")[:2]), (1, pdu(b"b")), (0, pdu(b"a")[2:])])
    assert app.pdus == [(1, pdu(b"b")), (0, pdu(b"a"))]


def test_gap_inside_a_pdu_body_keeps_sync():
    app = Partial()
    first = pdu(b"lost-in-the-middle")
    framer = feed_stream(app, [(0, first[:5]), (0, 10), (0, first[15:] + pdu(b"next"))])
    # the hole lay inside the first PDU (its length known): its front is
    # handed over as partial, and the next PDU is framed in step
    assert app.partials == [(0, first[:5], len(first))]
    assert app.pdus == [(0, pdu(b"next"))] and app.gaps == [(0, 10)]
    assert (framer.partial, framer.resyncs, framer.skipped) == (1, 0, 0)


def test_gaps_ending_a_pdu_exactly_keep_sync_many_times():
    app = Partial()
    stream = []
    for i in range(1000):  # header-only PDUs: a snap length cut every body
        body = bytes([i % 256]) * 50
        stream += [(1, pdu(body)[:8]), (1, 45)]
    framer = feed_stream(app, stream)
    assert len(app.partials) == 1000 and framer.resyncs == 0 and app.pdus == []
    assert all(length == 53 for _, _, length in app.partials)


def test_gap_over_a_boundary_resyncs_at_segment_starts_only():
    app = Partial()
    first = pdu(b"x" * 20)
    framer = feed_stream(app, [(0, first[:5]), (0, 30),
                               (0, b"junk" + pdu(b"inside")),  # no PDU at its start
                               (0, pdu(b"ok") + pdu(b"ok2"))])
    assert app.partials == [(0, first[:5], len(first))]
    assert app.pdus == [(0, pdu(b"ok")), (0, pdu(b"ok2"))]
    assert framer.resyncs == 1 and framer.skipped == 4 + len(pdu(b"inside"))


def test_gap_at_a_boundary_or_in_a_header_loses_sync():
    app = Partial()
    framer = feed_stream(app, [(0, pdu(b"a")), (0, 7), (0, pdu(b"b")),
                               (1, pdu(b"c")[:2]), (1, 5), (1, pdu(b"d"))])
    assert app.pdus == [(0, pdu(b"a")), (0, pdu(b"b")), (1, pdu(b"d"))]
    assert app.partials == [] and framer.resyncs == 2


def test_strict_check_decides_resync():
    class Strict(Partial):
        def resync_length(self, view, direction):
            # only PDUs whose body starts with "!" after a loss
            length = self.pdu_length(view, direction)
            return length if length and len(view) > 3 and view[3] == ord("!") else None

    app = Strict()
    framer = feed_stream(app, [(0, 3), (0, pdu(b"plain")), (0, pdu(b"!sure") + pdu(b"then"))])
    assert app.pdus == [(0, pdu(b"!sure")), (0, pdu(b"then"))] and framer.resyncs == 1


def test_joined_flow_starts_out_of_sync():
    app = LengthPrefixed()
    framer = StreamFramer(app)
    framer.joined(0)
    framer.data(0, b"\x00" + pdu(b"a"), 0)  # not a PDU at the segment start
    framer.data(0, pdu(b"b"), 0)
    assert app.pdus == [(0, pdu(b"b"))] and app.gaps == [(0, 1 + len(pdu(b"a")))]


def test_incomplete_pdu_at_close_is_a_gap():
    app = LengthPrefixed()
    feed_stream(app, [(1, pdu(b"abcdef")[:4])])
    assert app.pdus == [] and app.gaps == [(1, 4)] and app.closed


def test_kept_pdu_views_stay_valid():
    kept = []

    class Keeper(LengthPrefixed):
        def on_pdu(self, pdu_view, direction, ts_ns):
            kept.append(pdu_view)

    feed_stream(Keeper(), [(0, pdu(b"abc")[:2]), (0, pdu(b"abc")[2:] + pdu(b"de")[:1]),
                           (0, pdu(b"de")[1:])])
    assert [bytes(v) for v in kept] == [pdu(b"abc"), pdu(b"de")]


def test_garbage_costs_one_length_call_per_segment():
    calls = []

    class Counting(LengthPrefixed):
        def pdu_length(self, view, direction):
            calls.append(1)
            return super().pdu_length(view, direction)

    app = Counting()
    feed_stream(app, [(0, b"\x00" * 5000), (0, pdu(b"ok"))])
    assert app.pdus == [(0, pdu(b"ok"))]
    assert sum(size for _, size in app.gaps) == 5000
    assert len(calls) == 3  # the garbage, the PDU's resync, then its framing


# -- the C implementation (pcapprobe/cext/stream.c): edges the above miss ----


class Counting(LengthPrefixed):
    """Records pdu_length calls too, and keeps every PDU view it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[bytes] = []
        self.views: list[memoryview] = []

    def pdu_length(self, view, direction):
        self.calls.append(bytes(view))
        return super().pdu_length(view, direction)

    def on_pdu(self, pdu_view, direction, ts_ns):
        self.views.append(pdu_view)
        super().on_pdu(pdu_view, direction, ts_ns)


def test_constants_are_declared_once_in_c():
    assert framing.MAX_PDU == _fastpath.MAX_PDU == 16 * 1024 * 1024
    framer = StreamFramer(LengthPrefixed())
    assert framer.max_pdu == MAX_PDU
    assert StreamFramer(LengthPrefixed(), 99).max_pdu == 99
    assert (framer.delivered, framer.skipped) == (0, 0)
    assert not framer.mismatch and framer.buffered == 0


def test_no_pdu_where_one_must_start_drops_the_rest_of_the_segment():
    app = LengthPrefixed()
    framer = feed_stream(app, [(0, pdu(b"ok") + b"junk!" + pdu(b"lost")), (0, pdu(b"ok2"))])
    assert app.pdus == [(0, pdu(b"ok")), (0, pdu(b"ok2"))]
    assert app.gaps == [(0, 5 + len(pdu(b"lost")))] and framer.skipped == 5 + len(pdu(b"lost"))
    assert framer.buffered == 0 and framer.resyncs == 1


def test_lengths_out_of_range_or_not_ints_are_no_pdu():
    class Odd(LengthPrefixed):
        answers = [0, -3, 1 << 70, "12", 17.0, None]

        def pdu_length(self, view, direction):
            if self.answers:
                return self.answers.pop(0)
            return super().pdu_length(view, direction)

    app = Odd()
    framer = StreamFramer(app, max_pdu=1000)
    for _ in range(6):  # each answer refuses a segment, which is dropped
        framer.data(1, pdu(b"z"), 0)
    framer.data(1, pdu(b"x" * 2000)[:3] + b"more", 0)  # 2003 > max_pdu
    framer.data(1, pdu(b"y"), 0)
    assert app.pdus == [(1, pdu(b"y"))] and framer.skipped == 6 * 4 + 7 == sum(
        size for _, size in app.gaps)


def test_stream_start_that_does_not_frame_is_a_mismatch():
    app = Counting()
    framer = StreamFramer(app)
    framer.stream_start(0)
    framer.data(0, b"GET / HTTP/1.1\r\n", 0)
    assert framer.mismatch and app.pdus == [] and app.gaps == []
    assert framer.buffered == 0
    assert len(app.calls) == 1
    framer.mismatch = False  # writable; at_start was used up
    framer.data(0, b"\x00" + pdu(b"a"), 0)  # no PDU where one must start: dropped
    framer.data(0, pdu(b"a"), 0)
    assert not framer.mismatch and app.pdus == [(0, pdu(b"a"))] and app.gaps == [(0, 5)]


def test_stream_start_needs_min_header_bytes_to_judge():
    app = Counting()
    framer = StreamFramer(app)
    framer.stream_start(1)
    framer.data(1, b"\x00\x00", 0)  # too few to tell: taken as opening the stream
    framer.data(1, b"\x00" + pdu(b"b"), 0)  # they do not frame: dropped
    framer.data(1, pdu(b"b"), 0)
    assert not framer.mismatch and app.pdus == [(1, pdu(b"b"))] and app.gaps == [(1, 7)]


def test_stream_start_of_one_direction_only_and_a_gap_clears_it():
    app = LengthPrefixed()
    framer = StreamFramer(app)
    framer.stream_start(0)
    framer.stream_start(1)
    framer.data(1, pdu(b"fine"), 0)
    framer.gap(0, 3)  # the opening bytes were lost: resynchronise instead
    framer.data(0, pdu(b"z"), 0)
    assert not framer.mismatch and app.pdus == [(1, pdu(b"fine")), (0, pdu(b"z"))]
    with pytest.raises(IndexError):
        framer.stream_start(2)


def test_a_pdu_spanning_many_data_calls_asks_its_length_once():
    app = Counting()
    big = pdu(bytes(range(256)) * 20)
    framer = StreamFramer(app)
    for i in range(len(big)):
        framer.data(0, big[i:i + 1], 7)
        if i < len(big) - 1:
            assert framer.buffered == i + 1
    assert app.pdus == [(0, big)] and framer.delivered == 1 and framer.buffered == 0
    assert len(app.calls) == 2  # once at min_header bytes, once to frame it whole


def test_kept_views_of_one_segment_are_views_of_it():
    app = Counting()
    segment = pdu(b"one") + pdu(b"two") + pdu(b"thr")[:4]
    framer = StreamFramer(app)
    framer.data(0, segment, 1)
    framer.data(0, pdu(b"thr")[4:] + pdu(b"four"), 2)
    framer.data(0, bytearray(pdu(b"five")), 3)
    first, second, third, fourth, fifth = app.views
    assert first.obj is segment and second.obj is segment  # no copy
    # framed from one copy
    assert isinstance(third.obj, bytes) and third.obj is fourth.obj
    assert isinstance(fifth.obj, bytearray)
    assert [bytes(v) for v in app.views] == [
        pdu(b"one"), pdu(b"two"), pdu(b"thr"), pdu(b"four"), pdu(b"five")]
    assert all(v.readonly for v in app.views[:4])


def test_exceptions_from_the_app_propagate():
    class Failing(LengthPrefixed):
        def on_pdu(self, pdu_view, direction, ts_ns):
            super().on_pdu(pdu_view, direction, ts_ns)
            raise ValueError(bytes(pdu_view))

    app = Failing()
    framer = StreamFramer(app)
    with pytest.raises(ValueError):
        framer.data(0, pdu(b"a") + pdu(b"b"), 0)
    assert framer.delivered == 1 and app.pdus == [(0, pdu(b"a"))]
    assert framer.buffered == 0  # the segment's rest is dropped with the exception

    class BadLength(LengthPrefixed):
        def pdu_length(self, view, direction):
            raise KeyError("length")

    framer = StreamFramer(BadLength())
    with pytest.raises(KeyError):
        framer.data(0, pdu(b"a"), 0)
    framer.data(0, b"x", 0)  # fewer than min_header: no call
    with pytest.raises(KeyError):
        framer.data(0, b"yz", 0)
    assert framer.buffered == 0


def test_exceptions_propagate_through_the_reassembler():
    from pcapprobe.flows.reassembly import Budget, Reassembler

    class Failing(LengthPrefixed):
        def on_gap(self, direction, size):
            raise ValueError(size)

    framer = StreamFramer(Failing())
    r = Reassembler(framer, 0, 0, Budget())
    r.segment(0, pdu(b"a")[:2], False, 0)
    with pytest.raises(ValueError):
        r.acked(10, 0)
    assert r.gaps == 1 and framer.buffered == 0


def test_the_app_may_call_back_into_its_framer():
    class Reentrant(LengthPrefixed):
        def on_pdu(self, pdu_view, direction, ts_ns):
            super().on_pdu(pdu_view, direction, ts_ns)
            body = bytes(pdu_view[3:])
            if body == b"gap":
                self.framer.gap(1 - direction, 1)
            elif body == b"more":
                self.framer.data(direction, pdu(b"inner")[:2], ts_ns)
            elif body == b"close":
                self.framer.close()

    app = Reentrant()
    framer = app.framer = StreamFramer(app)
    framer.data(1, pdu(b"part")[:2], 0)
    framer.data(0, pdu(b"gap") + pdu(b"more") + pdu(b"tail")[:4], 0)
    assert app.gaps == [(1, 3)]  # direction 1's 2 buffered bytes and its 1-byte hole
    # the re-entrant bytes were buffered first, the segment's tail after them
    assert framer.buffered == 2 + 4
    framer.gap(0, 0)  # nothing was lost: no change
    framer.data(1, pdu(b"close"), 0)  # direction 1 resyncs on it; the app closes the framer
    assert app.gaps == [(1, 3), (0, 6)] and app.closed
    assert app.pdus == [(0, pdu(b"gap")), (0, pdu(b"more")), (1, pdu(b"close"))]


def test_close_reports_what_each_direction_buffered_then_closes():
    order = []

    class Ordered(LengthPrefixed):
        def on_gap(self, direction, size):
            order.append(("gap", direction, size))

        def on_close(self):
            order.append(("close",))

    framer = StreamFramer(Ordered())
    framer.data(1, b"\xab\x00", 0)
    framer.data(0, b"\xab\x00\x09abc", 0)
    assert framer.buffered == 8
    framer.close()
    assert order == [("gap", 0, 6), ("gap", 1, 2), ("close",)] and framer.buffered == 0


def test_min_header_is_read_at_each_framing():
    app = Counting()
    framer = StreamFramer(app)
    app.min_header = 10
    framer.data(0, pdu(b"abc"), 0)  # 6 bytes: fewer than min_header, buffered
    assert app.calls == [] and framer.buffered == 6
    app.min_header = 3
    framer.data(0, b"", 0)
    assert app.pdus == [(0, pdu(b"abc"))]


def test_reference_cycles_through_the_app_are_collected():
    app = LengthPrefixed()
    app.framer = StreamFramer(app)
    app.framer.data(0, b"\xab", 0)
    alive = weakref.ref(app)
    del app
    gc.collect()
    assert alive() is None
