"""Cutting a reassembled TCP byte stream into whole application PDUs.

This is Wireshark's ``tcp_dissect_pdus`` and Zeek's DeliverStream/Undelivered:
an application declares how many header bytes it needs (``min_header``) and a
length function that never raises (``pdu_length``); the framer buffers, hands
over exactly one whole PDU per ``on_pdu`` call, reports holes (``on_gap``) and
resynchronises.  No dissector keeps its own reassembly buffer.

Resynchronisation: when ``pdu_length`` answers ``None`` (or a length that is
not positive or above the binding's cap) with at least ``min_header`` bytes
buffered, the stream is not at a PDU boundary.  The framer drops one byte at a
time until the length function accepts a position -- at most ``RESYNC_SCAN``
positions, then the rest of what is buffered goes too and the next segment is
tried (senders start PDUs at segment starts far more often than elsewhere, and
garbage must not cost a length call per byte).  Dropped bytes are reported with
``on_gap`` (they were never delivered), so a consumer sees the same signal for
a capture hole and for garbage it could not frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Protocol

if TYPE_CHECKING:
    from pcapprobe.flows.connection import Connection
    from pcapprobe.pipeline import RunContext

# A PDU larger than this is taken as a framing error (a bogus length after a
# gap), not buffered: it bounds the memory one direction of one connection
# can hold in the framer.
MAX_PDU = 16 * 1024 * 1024
RESYNC_SCAN = 512


class StreamApp(Protocol):
    """One application session on one TCP connection (see docs/architecture.md)."""

    min_header: int

    def pdu_length(self, view: memoryview, direction: int) -> int | None: ...

    def on_pdu(self, pdu: memoryview, direction: int, ts_ns: int) -> None: ...

    def on_gap(self, direction: int, size: int) -> None: ...

    def on_close(self) -> None: ...


@dataclass(frozen=True)
class AppBinding:
    """How a stream application is found for a connection."""

    name: str
    ports: frozenset[int]
    heuristic: Callable[[memoryview], bool] | None
    factory: Callable[["Connection"], StreamApp | None]  # None: declines the flow
    max_pdu: int = MAX_PDU
    # Whether the run enables anything the app fires; a disabled app is never
    # bound or offered a flow (its port still marks the server mid-stream).
    enabled: Callable[["RunContext"], bool] | None = None


class _Direction:
    """The bytes of one direction not yet handed over as a whole PDU."""

    __slots__ = ("buf", "need", "at_start")

    def __init__(self) -> None:
        self.buf = bytearray()
        # Bytes the current partial PDU needs in total (0: not known yet);
        # lets a big PDU accumulate without re-asking pdu_length per segment.
        self.need = 0
        # The next bytes are the very first of the stream (its SYN was seen).
        self.at_start = False


class StreamFramer:
    """Feeds one connection's in-order bytes, both directions, to one StreamApp."""

    __slots__ = ("app", "max_pdu", "_dirs", "delivered", "skipped", "mismatch")

    def __init__(self, app: StreamApp, max_pdu: int = MAX_PDU) -> None:
        self.app = app
        self.max_pdu = max_pdu
        self._dirs = (_Direction(), _Direction())
        self.delivered = 0  # PDUs handed over
        self.skipped = 0  # bytes dropped while resynchronising
        # The stream does not start with a PDU: not this app's protocol.
        self.mismatch = False

    def stream_start(self, direction: int) -> None:
        """The next bytes of ``direction`` open its stream: a stream protocol
        starts with a PDU, so if they do not frame the flow is not the app's
        (``mismatch``; nothing is delivered) instead of being resynchronised
        segment after segment."""
        self._dirs[direction].at_start = True

    @property
    def buffered(self) -> int:
        """Bytes held for incomplete PDUs (counts against the memory caps)."""
        return len(self._dirs[0].buf) + len(self._dirs[1].buf)

    def data(self, direction: int, data: bytes | memoryview, ts_ns: int) -> None:
        """In-order stream bytes of ``direction`` (0 client->server)."""
        state = self._dirs[direction]
        buf = state.buf
        if buf:
            buf += data
            if len(buf) < state.need:
                return
            # Frame from an immutable copy: the app may keep PDU views.
            whole = memoryview(bytes(buf))
            buf.clear()
            consumed = self._frame(whole, direction, ts_ns, state)
            buf += whole[consumed:]
            return
        # Nothing pending: frame straight out of the segment, copy only a tail.
        view = data if isinstance(data, memoryview) else memoryview(data)
        if state.at_start:
            state.at_start = False
            if not self._opens_stream(view, direction):
                self.mismatch = True
                return
        consumed = self._frame(view, direction, ts_ns, state)
        if consumed < len(view):
            buf += view[consumed:]

    def gap(self, direction: int, size: int) -> None:
        """``size`` bytes of ``direction`` were never captured."""
        state = self._dirs[direction]
        state.at_start = False
        lost = size + len(state.buf)
        state.buf.clear()
        state.need = 0
        self.app.on_gap(direction, lost)

    def close(self) -> None:
        """End of the connection: incomplete PDUs are dropped, the app closes."""
        for direction, state in enumerate(self._dirs):
            if state.buf:
                self.app.on_gap(direction, len(state.buf))
                state.buf.clear()
        self.app.on_close()

    def _frame(self, view: memoryview, direction: int, ts_ns: int, state: _Direction) -> int:
        """Deliver every whole PDU at the front of ``view``; return bytes used."""
        app = self.app
        min_header = app.min_header
        pdu_length = app.pdu_length
        limit = self.max_pdu
        pos = 0
        end = len(view)
        skipped = 0
        while end - pos >= min_header:
            length = pdu_length(view[pos:], direction)
            if length is None or length <= 0 or length > limit:
                if skipped >= RESYNC_SCAN:
                    skipped += end - pos
                    pos = end
                    break
                pos += 1
                skipped += 1
                continue
            if skipped:
                self._report_skip(direction, skipped)
                skipped = 0
            if end - pos < length:
                state.need = length
                return pos
            on_pdu_view = view[pos : pos + length]
            pos += length
            self.delivered += 1
            app.on_pdu(on_pdu_view, direction, ts_ns)
        if skipped:
            self._report_skip(direction, skipped)
        state.need = 0
        return pos

    def _opens_stream(self, view: memoryview, direction: int) -> bool:
        """Whether the first bytes of a stream can be a PDU (too few to tell: yes)."""
        if len(view) < self.app.min_header:
            return True
        length = self.app.pdu_length(view, direction)
        return length is not None and 0 < length <= self.max_pdu

    def _report_skip(self, direction: int, size: int) -> None:
        self.skipped += size
        self.app.on_gap(direction, size)


def feed_stream(app: StreamApp, chunks: Iterable[tuple[int, bytes | int]],
                ts_ns: int = 0, close: bool = True) -> StreamFramer:
    """Drive ``app`` through a framer without a capture (for tests).

    Each chunk is ``(direction, bytes)`` for delivered stream bytes or
    ``(direction, n)`` for a hole of ``n`` bytes.
    """
    framer = StreamFramer(app)
    for direction, chunk in chunks:
        if isinstance(chunk, int):
            framer.gap(direction, chunk)
        else:
            framer.data(direction, chunk, ts_ns)
    if close:
        framer.close()
    return framer
