"""Classic libpcap files (tcpdump.org pcap format; draft-ietf-opsawg-pcap §4-5).

Magic 0xa1b2c3d4 = microsecond, 0xa1b23c4d = nanosecond timestamps, either byte
order.  The 24-byte file header is followed by 16-byte record headers.  Records
are parsed out of large chunks so that reading costs a few operations per packet.
"""

from __future__ import annotations

import io
import mmap
import os
import stat
import sys
import struct
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO, Protocol, TypeVar

from pcapprobe.capture.frame import Frame

# What reading a damaged gzip stream raises: a cut stream (EOFError), a bad
# header or CRC (gzip.BadGzipFile, an OSError) or corrupt deflate data (zlib.error).
READ_ERRORS = (OSError, EOFError, zlib.error)
T = TypeVar("T")


class ReadFailed(Exception):
    """Reading the capture failed (READ_ERRORS): what was read stands.  Only
    the reads raise it, so an error of the output written while a capture is
    being read (by the scanner's D clauses, or a flush before a wait: ENOSPC,
    EPIPE) is never taken for a damaged capture."""


def reading(read: Callable[..., T]) -> Callable[..., T]:
    """``read``, its READ_ERRORS raised as ReadFailed."""
    def guarded(*args: int) -> T:
        try:
            return read(*args)
        except READ_ERRORS as exc:
            raise ReadFailed(str(exc)) from exc

    return guarded

MAGIC_USEC = 0xA1B2C3D4
MAGIC_NSEC = 0xA1B23C4D
FILE_HEADER_LEN = 24
RECORD_HEADER_LEN = 16
MAX_CAPLEN = 0x40000  # libpcap's MAXIMUM_SNAPLEN (262144): anything larger is corrupt
CHUNK = 1 << 20
RELEASE_EVERY = 4 << 20  # bytes of a mapped file read between releases of its pages

Warn = Callable[[str, int, str], None]


class Scanner(Protocol):
    """What may consume records before they become Frames (pcapprobe._fastpath.FlowIndex)."""

    def scan(self, buf: bytes | memoryview, pos: int, end: int, index: int, linktype: int,
             big_endian: bool, frac_ns: int, source: str) -> tuple[int, int]: ...

    def scan_pcapng(self, buf: bytes | memoryview, pos: int, end: int, index: int,
                    big_endian: bool, interfaces: tuple[tuple[int, int, int, int, str | None], ...],
                    source: str) -> tuple[int, int, int]: ...


class ScanSlot:
    """Where a run puts its Scanner once the packet loop starts (None: every
    record becomes a Frame).  The reader looks before each record."""

    __slots__ = ("scanner",)

    def __init__(self) -> None:
        self.scanner: Scanner | None = None


class ReadMeter:
    """How far a reader has got, for the progress bar.  Readers update it
    where they refill their buffer or release mapped pages (every 1 to 4 MiB)
    and when they stop, never per record: the C scanner consumes most records
    without the reader seeing them."""

    __slots__ = ("base", "offset", "records")

    def __init__(self) -> None:
        self.base = 0  # stream offset of the reader's buffer position 0
        self.offset = 0  # stream offset reached
        self.records = 0  # records read (packets, or packet blocks)

    def at(self, pos: int, records: int) -> None:
        """The reader is at buffer position ``pos``."""
        self.offset = self.base + pos
        self.records = records

    def rebase(self, pos: int, records: int) -> None:
        """The reader's buffer is about to restart at its position ``pos``."""
        self.base += pos
        self.offset = self.base
        self.records = records


def byte_order(magic: bytes) -> tuple[str, int] | None:
    """(struct byte-order prefix, ns per timestamp fraction unit) for a pcap magic."""
    for order in ("<", ">"):
        (value,) = struct.unpack(order + "I", magic)
        if value == MAGIC_USEC:
            return order, 1000
        if value == MAGIC_NSEC:
            return order, 1
    return None


def chunk_reader(f: BinaryIO, before_wait: Callable[[], None] | None
                 ) -> Callable[[int, int], bytes | memoryview]:
    """``read(want, need)``: up to ``want`` bytes, fewer than ``need`` only at
    the end of input.

    A plain file on disk is one memory map, returned whole by the first call
    (``_Mapped``); another file (a decompressor) gets one read of ``want``
    bytes.  A live pipe (``tcpdump -w - |
    pcapprobe run -``) returns what has arrived once ``need`` bytes are there,
    so packets are decoded as they come, not a megabyte at a time; and
    ``before_wait`` (which flushes the output so far) runs before a read that
    may wait for the writer.
    """
    read1 = getattr(f, "read1", None)
    if _mappable(f):
        return _Mapped(f)
    if read1 is None or f.seekable():
        read = reading(f.read)
        return lambda want, need: read(want)
    read1 = reading(read1)
    wait = before_wait or (lambda: None)

    def read_live(want: int, need: int) -> bytes:
        parts = []
        got = 0
        while got < need:
            wait()
            data = read1(want - got)
            if not data:
                break
            parts.append(data)
            got += len(data)
        return b"".join(parts)

    return read_live


def _mappable(f: BinaryIO) -> bool:
    """A plain file on disk (not standard input, not a decompressor)."""
    if not isinstance(f, io.BufferedReader) or not isinstance(f.raw, io.FileIO):
        return False
    try:
        return stat.S_ISREG(os.fstat(f.fileno()).st_mode)
    except OSError:
        return False


class _Mapped:
    """``read`` over the rest of a plain file as one memory map: frames are
    views into the page cache and no chunk is copied (reading 1 MiB chunks
    into fresh buffers cost more in page faults than the copies did)."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.map: mmap.mmap | None = None
        self.start = 0  # file offset of buffer position 0

    def __call__(self, want: int, need: int) -> bytes | memoryview:
        if self.map is not None:
            return b""
        f = self.f
        self.start = f.tell()
        try:
            self.map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # an empty rest, or a file that cannot be mapped
            return reading(f.read)()
        self.map.madvise(mmap.MADV_SEQUENTIAL)
        return memoryview(self.map)[self.start:]

    def done_with(self, pos: int) -> None:
        """The pages before buffer position ``pos`` leave this process's
        resident memory (peak RSS stays flat however big the file); a view an
        application kept still reads them, from the page cache."""
        if self.map is not None:
            end = (self.start + pos) // mmap.PAGESIZE * mmap.PAGESIZE
            if end:
                self.map.madvise(mmap.MADV_DONTNEED, 0, end)


def read_pcap(f: BinaryIO, source: str, warn: Warn,
              close: Callable[[], None] = lambda: None,
              before_wait: Callable[[], None] | None = None,
              slot: ScanSlot | None = None, meter: ReadMeter | None = None) -> Iterator[Frame]:
    """Yield every record of a classic pcap file; stop cleanly at a bad record.
    Records ``slot``'s scanner consumes are not yielded (their numbers are used);
    ``meter`` follows the reading (offsets count from the start of the file)."""
    read = chunk_reader(f, before_wait)
    meter = meter or ReadMeter()
    pos = index = 0
    try:
        header = reading(f.read)(FILE_HEADER_LEN)
        meter.base = len(header)
        found = byte_order(header[:4])
        if found is None or len(header) < FILE_HEADER_LEN:
            warn("capture.truncated_header", 0, "truncated pcap file header")
            return
        order, frac_ns = found
        # linktype: low 16 bits; upper bits may carry FCS length (pcap §4 LinkType)
        linktype = struct.unpack_from(order + "I", header, 20)[0] & 0xFFFF
        record = struct.Struct(order + "IIII").unpack_from
        big_endian = order == ">"
        slot = slot or ScanSlot()
        buf = read(CHUNK, RECORD_HEADER_LEN)
        view = memoryview(buf)
        buflen = len(buf)
        done_with = getattr(read, "done_with", None)
        release_at = RELEASE_EVERY if done_with is not None else sys.maxsize
        while True:
            if pos >= release_at:
                done_with(pos)  # type: ignore[misc]  # set with release_at
                release_at = pos + RELEASE_EVERY
                meter.at(pos, index)
            # refill when the next record header or its data runs past the chunk
            if buflen - pos < RECORD_HEADER_LEN:
                meter.rebase(pos, index)
                buf = bytes(buf[pos:]) + read(CHUNK, RECORD_HEADER_LEN - (buflen - pos))
                view = memoryview(buf)
                buflen = len(buf)
                pos = 0
                if buflen < RECORD_HEADER_LEN:
                    if buflen:
                        warn("capture.truncated", index + 1, "truncated record header at end of file")
                    return
            scanner = slot.scanner
            if scanner is not None:
                # up to the next release of mapped pages at most
                scanned, index = scanner.scan(buf, pos, min(buflen, release_at), index,
                                              linktype, big_endian, frac_ns, source)
                if scanned != pos:
                    pos = scanned
                    continue
            sec, frac, caplen, wirelen = record(buf, pos)
            index += 1
            start = pos + RECORD_HEADER_LEN
            end = start + caplen
            if end > buflen:
                if caplen > MAX_CAPLEN:
                    warn("capture.bad_record", index,
                         f"record length {caplen} is not plausible; rest of file skipped")
                    return
                meter.rebase(pos, index - 1)
                buf = bytes(buf[pos:]) + read(max(CHUNK, end - pos), end - buflen)
                view = memoryview(buf)
                buflen = len(buf)
                pos = 0
                start = RECORD_HEADER_LEN
                end = start + caplen
                if end > buflen:
                    warn("capture.truncated", index,
                         f"truncated packet data: record says {caplen} bytes, file has {buflen - start}")
                    return
            elif caplen > MAX_CAPLEN:
                warn("capture.bad_record", index, f"record length {caplen} is not plausible; rest of file skipped")
                return
            yield Frame(index, sec * 1_000_000_000 + frac * frac_ns, linktype,
                        view[start:end], wirelen, None, source)
            pos = end
    except ReadFailed as exc:  # a damaged gzip stream; what was read stands
        warn("capture.bad_compression", 0, f"read error: {exc}")
    finally:
        meter.at(pos, index)
        close()
