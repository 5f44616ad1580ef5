"""In-order byte stream of one TCP direction (RFC 9293 §3.4, §3.10.7.4).

Sequence numbers are unwrapped into 64-bit stream offsets (modulo 2**32
distance from the next expected byte, RFC 9293 §3.4 comparisons), so streams
longer than 4 GiB work.  Duplicates and retransmitted bytes are trimmed (the
first copy wins, as a receiving TCP keeps what it queued first); data beyond a
hole is held, bounded per direction and in total; a hole becomes a reported
gap when the peer acknowledges past it (the bytes reached the host but not the
capture, Zeek's rule), when the FIN closes it, or when holding would exceed a
cap.
"""

from __future__ import annotations

from bisect import insort
from typing import Protocol

# Bytes and segments held beyond a hole in one direction before the hole is
# given up as a gap: enough for a few windows of a 10 GbE flow.
MAX_HELD_BYTES = 4 * 1024 * 1024
MAX_HELD_SEGMENTS = 2048
# All directions of all connections together.
MAX_HELD_TOTAL = 256 * 1024 * 1024

_MOD = 1 << 32
_HALF = 1 << 31


class StreamSink(Protocol):
    """What the reassembler feeds: a StreamFramer (or a test recorder)."""

    def data(self, direction: int, data: bytes | memoryview, ts_ns: int) -> None: ...

    def gap(self, direction: int, size: int) -> None: ...


class Budget:
    """Held bytes across every reassembler of a run (the total memory cap)."""

    __slots__ = ("held", "limit")

    def __init__(self, limit: int = MAX_HELD_TOTAL) -> None:
        self.held = 0
        self.limit = limit


class Reassembler:
    """Turns the segments of one direction into ``sink.data``/``sink.gap`` calls."""

    __slots__ = ("sink", "direction", "budget", "base", "nxt", "fin", "held", "held_bytes",
                 "gaps", "gap_bytes")

    def __init__(self, sink: StreamSink, direction: int, first_seq: int, budget: Budget) -> None:
        self.sink = sink
        self.direction = direction
        self.budget = budget
        self.base = first_seq  # sequence number of stream offset 0
        self.nxt = 0  # stream offset of the next byte to deliver
        self.fin: int | None = None  # stream offset of the FIN, once seen
        self.held: list[tuple[int, bytes]] = []  # (offset, data), sorted
        self.held_bytes = 0
        self.gaps = 0
        self.gap_bytes = 0

    def segment(self, seq: int, payload: memoryview, fin: bool, ts_ns: int) -> None:
        """One captured segment of this direction (payload may be empty)."""
        nxt = self.nxt
        # the stream offset of seq: the one nearest the delivery point (inline: per segment)
        start = nxt + ((seq - self.base - nxt + _HALF) % _MOD - _HALF)
        n = len(payload)
        if fin and self.fin is None:
            self.fin = start + n
        if not n:
            return
        if start > nxt:
            self._hold(start, payload, ts_ns)
            return
        if start + n <= nxt:
            return  # every byte already delivered
        self.nxt = start + n
        # in order (the usual case): the segment's own view, no new slice
        self.sink.data(self.direction, payload if start == nxt else payload[nxt - start:], ts_ns)
        if self.held:
            self._drain(ts_ns)

    def acked(self, ack: int, ts_ns: int) -> None:
        """The peer acknowledged up to ``ack``: bytes before it were sent."""
        nxt = self.nxt
        target = nxt + ((ack - self.base - nxt + _HALF) % _MOD - _HALF)  # as in segment()
        if self.fin is not None and target > self.fin:
            target = self.fin
        if target > nxt:
            self._skip_to(target, ts_ns)

    def close(self, ts_ns: int) -> None:
        """End of the connection: whatever is held is delivered after its hole."""
        if self.held:
            last_offset, last = self.held[-1]
            self._skip_to(last_offset + len(last), ts_ns)

    def _hold(self, start: int, payload: memoryview, ts_ns: int) -> None:
        budget = self.budget
        if (self.held_bytes + len(payload) > MAX_HELD_BYTES
                or len(self.held) >= MAX_HELD_SEGMENTS
                or budget.held + len(payload) > budget.limit):
            # Give the hole up: it will never be filled within our bounds.
            first = self.held[0][0] if self.held else start
            self._skip_to(min(first, start), ts_ns)
            self.segment(self.base + start, payload, False, ts_ns)
            return
        insort(self.held, (start, bytes(payload)))
        self.held_bytes += len(payload)
        budget.held += len(payload)

    def _skip_to(self, target: int, ts_ns: int) -> None:
        """Report the hole(s) up to ``target``, delivering held data on the way."""
        while self.held and self.held[0][0] <= target:
            start = self.held[0][0]
            if start > self.nxt:
                self._gap(start - self.nxt)
            self._drain(ts_ns)
        if target > self.nxt:
            self._gap(target - self.nxt)

    def _gap(self, size: int) -> None:
        self.nxt += size
        self.gaps += 1
        self.gap_bytes += size
        self.sink.gap(self.direction, size)

    def _drain(self, ts_ns: int) -> None:
        """Deliver held segments that now touch the delivery point."""
        held = self.held
        while held and held[0][0] <= self.nxt:
            start, data = held.pop(0)
            self.held_bytes -= len(data)
            self.budget.held -= len(data)
            end = start + len(data)
            if end > self.nxt:
                cut = self.nxt - start
                self.nxt = end
                self.sink.data(self.direction, memoryview(data)[cut:], ts_ns)
