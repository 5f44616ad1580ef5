"""Capture input: pcap / pcapng / gzip / stdin, detected by magic, merged by time.

``Capture(path, warn)`` opens one file (``-`` is standard input); ``frames()``
streams its ``Frame`` objects.  ``merge()`` interleaves several captures into one
timeline (rotated capture sets) without reading any of them ahead.
"""

from __future__ import annotations

import gzip
import heapq
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from pcapprobe.capture.frame import Frame
from pcapprobe.capture.pcap import READ_ERRORS, ScanSlot, Warn, byte_order, read_pcap
from pcapprobe.capture.pcapng import read_pcapng
from pcapprobe.errors import CaptureError

__all__ = ["Capture", "Frame", "merge"]

GZIP_MAGIC = b"\x1f\x8b"
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"


class Capture:
    """One capture file; ``warn(weird, packet_no, reason)`` receives bad-input reports."""

    def __init__(self, path: str, warn: Warn, stdin: BinaryIO | None = None,
                 before_wait: Callable[[], None] | None = None) -> None:
        self.path = path
        self.before_wait = before_wait  # flushes output before a live pipe waits
        self.name = "<stdin>" if path == "-" else path
        self.warn = warn
        self._stdin = stdin
        self.size = 0 if path == "-" else _size(path)
        self._raw: BinaryIO | None = None
        self.scan_slot = ScanSlot()

    @property
    def bytes_read(self) -> int:
        """How far into the (compressed) file reading has got, for progress."""
        if self._raw is None or self._raw.closed or self.path == "-":
            return 0
        return self._raw.tell()

    def frames(self) -> Iterator[Frame]:
        """Stream the file's frames; a file that is not a capture raises CaptureError
        (at once, not at the first frame)."""
        raw = self._open()
        self._raw = raw
        try:
            stream = _buffered(raw)
            if stream.peek(2)[:2] == GZIP_MAGIC:
                stream = _buffered(gzip.GzipFile(fileobj=stream, mode="rb"))
            magic = stream.peek(4)[:4]
        except READ_ERRORS as exc:
            self._close(raw)
            raise CaptureError(f"{self.name}: cannot read: {exc}") from None
        if magic == PCAPNG_MAGIC:
            reader = read_pcapng(stream, self.name, self.warn, lambda: self._close(raw),
                                 self.before_wait, self.scan_slot)
        elif len(magic) == 4 and byte_order(magic) is not None:
            reader = read_pcap(stream, self.name, self.warn, lambda: self._close(raw),
                               self.before_wait, self.scan_slot)
        else:
            self._close(raw)
            if not magic:
                raise CaptureError(f"{self.name}: empty file")
            raise CaptureError(f"{self.name}: not a pcap or pcapng file (magic {magic.hex()})")
        return reader

    def _close(self, raw: BinaryIO) -> None:
        if raw is not self._stdin:
            raw.close()

    def _open(self) -> BinaryIO:
        if self.path == "-":
            return self._stdin if self._stdin is not None else sys.stdin.buffer
        try:
            return open(self.path, "rb")
        except OSError as exc:
            raise CaptureError(f"{self.path}: {exc.strerror or exc}") from None


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _buffered(f: BinaryIO) -> BinaryIO:
    """A stream with peek(); wrapping is avoided because closing a wrapper
    would close standard input or the spooled copy of it."""
    if hasattr(f, "peek"):
        return f
    return io.BufferedReader(f, 1 << 16)  # type: ignore[arg-type, return-value]


def _frame_time(frame: Frame) -> int:
    return frame.ts_ns


def merge(captures: Iterable[Capture]) -> Iterator[Frame]:
    """Frames of every capture in timestamp order (stable: file order on ties)."""
    streams = [c.frames() for c in captures]
    if len(streams) == 1:
        return streams[0]
    return heapq.merge(*streams, key=_frame_time)
