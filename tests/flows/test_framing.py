"""StreamFramer: whole PDUs, gaps and resynchronisation (pcapprobe/flows/framing.py)."""

from __future__ import annotations

import struct

from pcapprobe.flows.framing import feed_stream


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


def test_gap_drops_the_partial_pdu_and_resyncs():
    app = LengthPrefixed()
    first = pdu(b"lost-in-the-middle")
    feed_stream(app, [(0, first[:5]), (0, 10), (0, first[15:] + pdu(b"next"))])
    # the 5 buffered bytes and the 10-byte hole are one gap; then the tail of
    # the broken PDU is skipped byte by byte until a PDU starts
    assert app.gaps[0] == (0, 15)
    assert app.pdus == [(0, pdu(b"next"))]
    assert sum(size for _, size in app.gaps[1:]) == len(first) - 15


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


def test_garbage_costs_a_bounded_scan_then_waits_for_the_next_segment():
    calls = []

    class Counting(LengthPrefixed):
        def pdu_length(self, view, direction):
            calls.append(1)
            return super().pdu_length(view, direction)

    app = Counting()
    feed_stream(app, [(0, b"\x00" * 5000), (0, pdu(b"ok"))])
    assert app.pdus == [(0, pdu(b"ok"))]
    assert sum(size for _, size in app.gaps) == 5000
    assert len(calls) < 600
