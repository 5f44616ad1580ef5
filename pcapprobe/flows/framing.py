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

``StreamFramer(app, max_pdu=MAX_PDU)`` is implemented in C
(pcapprobe/cext/stream.c), fed directly by the C reassembler: ``data``,
``gap``, ``stream_start``, ``close``; ``delivered``, ``skipped``,
``mismatch``, ``buffered``.  A PDU lying within one delivered chunk is a view
of that chunk's object; one assembled from several chunks is a view of an
immutable copy, so an app may keep its PDU views.  ``min_header`` is read at
each framing; the length function's answer counts only if it is an ``int``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Protocol

# MAX_PDU: a PDU larger than this is taken as a framing error (a bogus length
# after a gap), not buffered: it bounds the memory one direction of one
# connection can hold in the framer.  RESYNC_SCAN: positions tried while
# resynchronising.  Both are declared in pcapprobe/cext/stream.c.
from pcapprobe._fastpath import MAX_PDU, RESYNC_SCAN, StreamFramer

if TYPE_CHECKING:
    from pcapprobe.flows.connection import Connection
    from pcapprobe.pipeline import RunContext

__all__ = ["MAX_PDU", "RESYNC_SCAN", "AppBinding", "StreamApp", "StreamFramer", "feed_stream"]


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
