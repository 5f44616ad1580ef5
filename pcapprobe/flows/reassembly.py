"""In-order byte stream of one TCP direction (RFC 9293 §3.4, §3.10.7.4).

Sequence numbers are unwrapped into 64-bit stream offsets (modulo 2**32
distance from the next expected byte, RFC 9293 §3.4 comparisons), so streams
longer than 4 GiB work.  Duplicates and retransmitted bytes are trimmed (the
first copy wins, as a receiving TCP keeps what it queued first); data beyond a
hole is held, bounded per direction and in total; a hole becomes a reported
gap when the peer acknowledges past it (the bytes reached the host but not the
capture, Zeek's rule), when the FIN closes it, or when holding would exceed a
cap.

The implementation is in C (pcapprobe/cext/stream.c), so the packet scanner
reaches it without a Python call per packet: ``Budget(limit=MAX_HELD_TOTAL)``
(``held``, ``limit``) and ``Reassembler(sink, direction, first_seq, budget)``
with ``segment(seq, payload, fin, ts_ns)``, ``acked(ack, ts_ns)`` and
``close(ts_ns)``.  Held segments are copies, sorted by offset; holding is
capped at ``MAX_HELD_BYTES``/``MAX_HELD_SEGMENTS`` per direction and the
budget's limit (``MAX_HELD_TOTAL`` by default) in total.  A sink that is a
``StreamFramer`` is fed directly; any other sink gets
``data(direction, memoryview, ts_ns)`` and ``gap(direction, size)`` calls.
"""

from __future__ import annotations

from typing import Protocol

from pcapprobe._fastpath import (
    MAX_HELD_BYTES,
    MAX_HELD_SEGMENTS,
    MAX_HELD_TOTAL,
    Budget,
    Reassembler,
)

__all__ = ["MAX_HELD_BYTES", "MAX_HELD_SEGMENTS", "MAX_HELD_TOTAL", "Budget", "Reassembler",
           "StreamSink"]


class StreamSink(Protocol):
    """What the reassembler feeds: a StreamFramer (or a test recorder)."""

    def data(self, direction: int, data: bytes | memoryview, ts_ns: int) -> None: ...

    def gap(self, direction: int, size: int) -> None: ...
