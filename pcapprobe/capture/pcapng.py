"""pcapng files (draft-ietf-opsawg-pcapng §4 blocks).

Handled: Section Header Block (§4.1, either byte order, several sections),
Interface Description Block (§4.2: link type, ``if_name`` §4.2 option 2,
``if_tsresol`` option 9, ``if_tsoffset`` option 14), Enhanced Packet Block (§4.3),
Simple Packet Block (§4.4), obsolete Packet Block (Appendix A).  Every other
block type is skipped by its length, as §3.1 asks.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable, Iterator
from typing import BinaryIO

from pcapprobe.capture.frame import Frame
from pcapprobe.capture.pcap import (
    CHUNK, RELEASE_EVERY, ReadFailed, ReadMeter, ScanSlot, Warn, chunk_reader,
)

BLOCK_SHB = 0x0A0D0D0A
BLOCK_IDB = 0x00000001
BLOCK_OPB = 0x00000002  # obsolete Packet Block
BLOCK_SPB = 0x00000003
BLOCK_EPB = 0x00000006
BYTE_ORDER_MAGIC = 0x1A2B3C4D
OPT_END = 0
OPT_IF_NAME = 2
OPT_IF_TSRESOL = 9
OPT_IF_TSOFFSET = 14
# What every layer keeps time in (int64 nanoseconds, as DTrace's timestamps;
# the C tracker and the scanner saturate at the same bounds).
MAX_TS_NS = 2**63 - 1
MIN_TS_NS = -(2**63)
MAX_BLOCK = 1 << 24  # larger blocks are treated as corruption


class Interface:
    """What an IDB says about the packets that name it."""

    __slots__ = ("linktype", "snaplen", "name", "num", "den", "offset_ns")

    def __init__(self, linktype: int, snaplen: int) -> None:
        self.linktype = linktype
        self.snaplen = snaplen
        self.name: str | None = None
        self.num = 1000  # default resolution 10^-6 s: ticks * num // den = ns
        self.den = 1
        self.offset_ns = 0

    def set_tsresol(self, value: int) -> None:
        # high bit set: negative power of 2, else negative power of 10 (§4.2)
        if value & 0x80:
            self.num, self.den = 1_000_000_000, 1 << (value & 0x7F)
        elif value <= 9:
            self.num, self.den = 10 ** (9 - value), 1
        else:
            self.num, self.den = 1, 10 ** (value - 9)

    def ts_ns(self, ticks: int) -> int:
        """Nanoseconds since the epoch (64-bit ticks may pass 2**63 ns)."""
        return ticks * self.num // self.den + self.offset_ns


def _options(body: bytes, pos: int, order: str) -> Iterator[tuple[int, bytes]]:
    """(code, value) pairs of an options list (§3.5), each padded to 4 bytes."""
    head = struct.Struct(order + "HH").unpack_from
    while pos + 4 <= len(body):
        code, length = head(body, pos)
        if code == OPT_END:
            return
        value = body[pos + 4 : pos + 4 + length]
        yield code, value
        pos += 4 + length + (-length % 4)


def _interface(body: bytes, order: str) -> Interface:
    linktype, _, snaplen = struct.unpack_from(order + "HHI", body, 0)
    iface = Interface(linktype, snaplen)
    for code, value in _options(body, 8, order):
        if code == OPT_IF_NAME:
            iface.name = value.split(b"\0", 1)[0].decode("utf-8", "replace")
        elif code == OPT_IF_TSRESOL and value:
            iface.set_tsresol(value[0])
        elif code == OPT_IF_TSOFFSET and len(value) >= 8:
            iface.offset_ns = struct.unpack_from(order + "q", value)[0] * 1_000_000_000
    return iface


def read_pcapng(f: BinaryIO, source: str, warn: Warn,
                close: Callable[[], None] = lambda: None,
                before_wait: Callable[[], None] | None = None,
                slot: ScanSlot | None = None, meter: ReadMeter | None = None) -> Iterator[Frame]:
    """Yield every packet block of a pcapng file, in file order.

    Blocks are parsed out of the reader's chunks (a plain file: one memory
    map); a live pipe returns what has arrived, so its blocks are decoded as
    they come, and ``before_wait`` (which flushes the output so far) runs
    before a read that may wait.  Enhanced Packet Blocks ``slot``'s scanner
    consumes are not yielded (their numbers are used).  ``meter`` follows the
    reading (offsets count from the start of the file).
    """
    read = chunk_reader(f, before_wait)
    slot = slot or ScanSlot()
    meter = meter or ReadMeter()
    buflen = pos = index = 0
    try:
        order = "<"
        interfaces: list[Interface] = []
        table: tuple[tuple[int, int, int, int, str | None], ...] = ()  # for the scanner
        last_ts = 0
        buf: bytes | memoryview = b""
        done_with = getattr(read, "done_with", None)
        release_at = RELEASE_EVERY if done_with is not None else sys.maxsize
        while True:
            if pos >= release_at:
                done_with(pos)  # type: ignore[misc]  # set with release_at
                release_at = pos + RELEASE_EVERY
                meter.at(pos, index)
            if buflen - pos < 12:
                meter.rebase(pos, index)
                buf = bytes(buf[pos:]) + read(CHUNK, 12 - (buflen - pos))
                buflen = len(buf)
                pos = 0
                if buflen < 12:
                    if buflen:
                        warn("capture.truncated", index + 1, "truncated block header at end of file")
                    return
            scanner = slot.scanner
            if scanner is not None and table:
                scanned, index, ts = scanner.scan_pcapng(buf, pos, min(buflen, release_at), index,
                                                         order == ">", table, source)
                if scanned != pos:
                    pos = scanned
                    last_ts = ts
                    continue
            head = bytes(buf[pos : pos + 12])
            if head[:4] == b"\x0a\x0d\x0d\x0a":
                magic = head[8:12]
                if magic == b"\x4d\x3c\x2b\x1a":
                    order = "<"
                elif magic == b"\x1a\x2b\x3c\x4d":
                    order = ">"
                else:
                    warn("capture.bad_block", index + 1, "section header with bad byte-order magic; rest of file skipped")
                    return
                interfaces = []
                table = ()
            btype, blen = struct.unpack_from(order + "II", head)
            if blen < 12 or blen % 4 or blen > MAX_BLOCK:
                warn("capture.bad_block", index + 1,
                     f"block type 0x{btype:08x} has impossible length {blen}; rest of file skipped")
                return
            if buflen - pos < blen:
                meter.rebase(pos, index)
                buf = bytes(buf[pos:]) + read(max(CHUNK, blen), blen - (buflen - pos))
                buflen = len(buf)
                pos = 0
                if buflen < blen:
                    warn("capture.truncated", index + 1, f"truncated block (type 0x{btype:08x}) at end of file")
                    return
            body = memoryview(buf)[pos + 8 : pos + blen - 4]
            pos += blen
            if btype == BLOCK_SHB:
                continue
            if btype == BLOCK_IDB:
                if len(body) < 8:
                    warn("capture.bad_block", index + 1, "interface description block too short")
                    continue
                interfaces.append(_interface(bytes(body), order))
                table = tuple((i.linktype, i.num, i.den, i.offset_ns, i.name) for i in interfaces)
                continue
            if btype not in (BLOCK_EPB, BLOCK_SPB, BLOCK_OPB):
                continue
            index += 1
            if btype == BLOCK_SPB:
                if not interfaces or len(body) < 4:
                    warn("capture.bad_block", index, "simple packet block without an interface")
                    continue
                iface = interfaces[0]
                wirelen = struct.unpack_from(order + "I", body)[0]
                caplen = min(wirelen, len(body) - 4, iface.snaplen or wirelen)
                # SPBs carry no timestamp (§4.4): keep the timeline monotonic
                ts = last_ts
                data_at = 4
            else:
                if len(body) < 20:
                    warn("capture.bad_block", index, "packet block too short")
                    continue
                if btype == BLOCK_EPB:
                    ifid, hi, lo, caplen, wirelen = struct.unpack_from(order + "IIIII", body)
                else:
                    ifid, _drops, hi, lo, caplen, wirelen = struct.unpack_from(order + "HHIIII", body)
                if ifid >= len(interfaces):
                    warn("capture.bad_block", index, f"packet names interface {ifid}, which was never described")
                    continue
                iface = interfaces[ifid]
                if caplen > len(body) - 20:
                    warn("capture.bad_block", index, f"captured length {caplen} exceeds its block")
                    continue
                ts = iface.ts_ns((hi << 32) | lo)
                if not MIN_TS_NS <= ts <= MAX_TS_NS:
                    warn("capture.bad_timestamp", index,
                         "timestamp outside the 64-bit nanosecond clock (1677-2262); clamped")
                    ts = min(max(ts, MIN_TS_NS), MAX_TS_NS)
                data_at = 20
            last_ts = ts
            yield Frame(index, ts, iface.linktype, body[data_at : data_at + caplen],
                        wirelen, iface.name, source)
    except ReadFailed as exc:  # a damaged gzip stream; what was read stands
        warn("capture.bad_compression", 0, f"read error: {exc}")
    finally:
        meter.at(pos, index)
        close()
