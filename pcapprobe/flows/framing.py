"""Cutting a reassembled TCP byte stream into whole application PDUs.

This is Wireshark's ``tcp_dissect_pdus`` and Zeek's DeliverStream/Undelivered:
an application declares how many header bytes it needs (``min_header``) and a
length function that never raises (``pdu_length``); the framer buffers, hands
over exactly one whole PDU per ``on_pdu`` call, reports holes (``on_gap``) and
resynchronises.  No dissector keeps its own reassembly buffer.

Gaps (a lost segment, or the tail a snap length cut off a segment: the
reassembler reports both as ``gap``): while the framer knows the length of
the PDU it is in (its header was framed), missing bytes wholly inside that
PDU are passed over and the stream stays in sync; the PDU ends "holed" and
its captured front goes to ``on_partial(front, length, direction, ts_ns)``
(apps without it get nothing; the app decides whether the header was all
captured: one partly seen fires nothing).  A gap at a PDU boundary, inside a
header, or past the end of the PDU it began in loses sync: the next PDU is
looked for only at segment starts (senders start PDUs there, as Wireshark
assumes), accepted only if the app's strict check ``resync_length`` (else
``pdu_length``) passes, and everything before it is dropped.  A flow joined
mid-stream (``joined``) starts out of sync.  Where a PDU must start in sync
and ``pdu_length`` refuses, sync is lost too.  Dropped bytes are reported
with ``on_gap`` (counted in ``skipped``), like the missing ones, so an app
sees one signal for both; ``resyncs`` counts the times sync came back and
``partial`` the holed PDUs handed over.

``StreamFramer(app, max_pdu=MAX_PDU)`` is implemented in C
(pcapprobe/cext/stream.c), fed directly by the C reassembler: ``data``,
``gap``, ``stream_start``, ``joined``, ``close``; ``delivered``,
``skipped``, ``resyncs``, ``partial``, ``mismatch``, ``buffered``.  A PDU lying within one delivered chunk is a view
of that chunk's object; one assembled from several chunks is a view of an
immutable copy, so an app may keep its PDU views.  ``min_header`` is read at
each framing; the length function's answer counts only if it is an ``int``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Protocol

# MAX_PDU: a PDU larger than this is taken as a framing error (a bogus length
# after a gap), not buffered: it bounds the memory one direction of one
# connection can hold in the framer (declared in pcapprobe/cext/stream.c).
from pcapprobe._fastpath import MAX_PDU, StreamFramer

if TYPE_CHECKING:
    from pcapprobe.flows.connection import Connection
    from pcapprobe.pipeline import RunContext

__all__ = ["MAX_PDU", "AppBinding", "StreamApp", "StreamFramer", "feed_stream"]


class StreamApp(Protocol):
    """One application session on one TCP connection (see docs/architecture.md)."""

    min_header: int

    def pdu_length(self, view: memoryview, direction: int) -> int | None: ...

    def on_pdu(self, pdu: memoryview, direction: int, ts_ns: int) -> None: ...

    def on_gap(self, direction: int, size: int) -> None: ...

    def on_close(self) -> None: ...

    # Optional:
    #   resync_length(view, direction) -> int | None: pdu_length's strict form,
    #     asked at a segment start while out of sync (never raises);
    #   on_partial(front, length, direction, ts_ns): a PDU of ``length`` bytes
    #     of which only ``front`` (its first bytes) was captured.


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
