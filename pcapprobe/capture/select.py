"""Record selection: which capture records a run reads at all (``-f``, ``--from``, ``--to``).

A record left out never becomes a packet: it is not decoded, fires nothing,
does not move the D clock and is not counted as a frame.  Records are
selected in two places with the same rules: frames on the Python path
(``Selection.apply``), and in the C record scanner for the records it
consumes (``Selection.configure``: the same BpfProgram and time window).

Time window: ``--from T`` keeps records at or after T, ``--to T`` those
before T (editcap's -A/-B).  T is epoch seconds (``1700000000.25``), an
ISO-8601 time (``2024-03-01T12:00:05.5Z``; without a zone, UTC) or an offset
from the first record read (``+5s``, ``+1m30s``, ``+250ms``; units h, m, s,
ms, us, ns; a bare ``+5`` is seconds).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import chain
from typing import Any

from pcapprobe._fastpath import BpfProgram
from pcapprobe.capture import linktypes
from pcapprobe.capture.frame import Frame
from pcapprobe.errors import UsageError
from pcapprobe.report import Report

__all__ = ["Selection", "parse_time"]

NS = {"h": 3_600_000_000_000, "m": 60_000_000_000, "s": 1_000_000_000,
      "ms": 1_000_000, "us": 1_000, "ns": 1}
_OFFSET_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|us|ns|m|s)")
_EPOCH = re.compile(r"\d+(?:\.\d+)?")
_FRACTION = re.compile(r"(T\d\d:\d\d:\d\d|\s\d\d:\d\d:\d\d)\.(\d+)")
# libpcap's link types whose DLT_ number differs (pcap-common.c linktype_to_dlt):
# bare IP is DLT_RAW, 12 where libpcap is built on anything but OpenBSD.
DLT_OF_LINKTYPE = {linktypes.LINKTYPE_RAW: 12, linktypes.LINKTYPE_RAW_BSD: 12}
# libpcap refuses an expression that can match nothing on a link type (IPv6
# raw and "ip host X"); over several captures that only means "none of these".
REJECTS_ALL = "expression rejects all packets"
REJECT_ALL = BpfProgram([(0x06, 0, 0, 0)])  # ret #0
# An expression that compiles for none of these (nor Ethernet) is refused at once.
CHECK_LINKTYPES = (linktypes.LINKTYPE_LINUX_SLL, linktypes.LINKTYPE_LINUX_SLL2,
                   linktypes.LINKTYPE_RAW, linktypes.LINKTYPE_NULL)


def parse_time(option: str, text: str) -> tuple[bool, int]:
    """(relative, ns): ``+OFFSET`` from the first record, or absolute ns since
    the epoch.  UsageError naming ``option`` when ``text`` is neither."""
    spec = text.strip()
    try:
        if spec.startswith("+"):
            return True, _offset_ns(spec[1:])
        if _EPOCH.fullmatch(spec):
            return False, _decimal_ns(spec, NS["s"])
        return False, _iso_ns(spec)
    except ValueError:
        raise UsageError(f"{option} {text}: not a time (epoch seconds, ISO-8601 such as "
                         "2024-03-01T12:00:05Z, or an offset such as +5s or +1m30s)") from None


def _decimal_ns(number: str, unit_ns: int) -> int:
    """``number`` (digits, maybe a fraction) units in ns, exactly (rounded down)."""
    whole, _, fraction = number.partition(".")
    return int(whole) * unit_ns + int(fraction or "0") * unit_ns // 10 ** len(fraction)


def _offset_ns(spec: str) -> int:
    if _EPOCH.fullmatch(spec):
        return _decimal_ns(spec, NS["s"])
    parts = _OFFSET_PART.findall(spec)
    if not parts or "".join(n + u for n, u in parts) != spec:
        raise ValueError(spec)
    return sum(_decimal_ns(n, NS[u]) for n, u in parts)


def _iso_ns(spec: str) -> int:
    """ISO-8601 to ns since the epoch; digits of the second beyond the 6
    datetime keeps are kept too; no zone means UTC (capture files are)."""
    import datetime as dt  # only when a time is given

    fraction = 0
    match = _FRACTION.search(spec)
    if match is not None:
        fraction = _decimal_ns("0." + match.group(2), NS["s"])
        spec = spec[:match.end(1)] + spec[match.end():]
    when = dt.datetime.fromisoformat(spec.replace("z", "Z"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    delta = when - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * NS["s"] + delta.microseconds * 1000 + fraction


class Selection:
    """The records a run reads: a capture filter and a time window."""

    def __init__(self, bpf: str | None = None, time_from: str | None = None,
                 time_to: str | None = None) -> None:
        self.expr = bpf
        self._from = parse_time("--from", time_from) if time_from is not None else None
        self._to = parse_time("--to", time_to) if time_to is not None else None
        if (self._from is not None and self._to is not None and self._from[0] == self._to[0]
                and self._from[1] >= self._to[1]):
            raise UsageError(f"--from {time_from} is not before --to {time_to}")
        self._programs: dict[int, BpfProgram] = {}
        self.window: tuple[int | None, int | None] = (None, None)  # resolved by apply()
        self.left_out = 0  # frames the Python path left out

    def __getstate__(self) -> dict:
        """Pickled (for a worker of a partitioned run, pcapprobe/scale) without
        the compiled filters: each process compiles its own."""
        state = dict(self.__dict__)
        state["_programs"] = {}
        return state

    @property
    def active(self) -> bool:
        return self.expr is not None or self._from is not None or self._to is not None

    def program(self, linktype: int) -> BpfProgram:
        """The filter compiled for one link type (once); FilterError from libpcap."""
        program = self._programs.get(linktype)
        if program is None:
            # ctypes and libpcap are loaded only when -f is given
            from pcapprobe.capture.bpf import FilterError, compile_filter

            assert self.expr is not None
            try:
                program = compile_filter(self.expr, DLT_OF_LINKTYPE.get(linktype, linktype))
            except FilterError as exc:
                if not str(exc).endswith(REJECTS_ALL):
                    raise
                program = REJECT_ALL
            self._programs[linktype] = program
        return program

    def check(self) -> None:
        """Compile the expression now, so that a syntax error is reported
        before anything runs: it must compile for one of the common link
        types (Ethernet first; each link type met compiles it again)."""
        if self.expr is None:
            return
        from pcapprobe.capture.bpf import FilterError

        try:
            self.program(linktypes.LINKTYPE_ETHERNET)
        except FilterError as ethernet_error:
            for linktype in CHECK_LINKTYPES:
                try:
                    self.program(linktype)
                    return
                except FilterError:
                    continue
            raise ethernet_error from None

    def _resolve(self, first_ts: int) -> None:
        def bound(spec: tuple[bool, int] | None) -> int | None:
            if spec is None:
                return None
            relative, ns = spec
            return first_ts + ns if relative else ns

        self.window = (bound(self._from), bound(self._to))

    def apply(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        """The selected frames.  The first record is read at once when a bound
        is an offset from it (so the window is known before anything else
        reads, the C scanner included)."""
        if not self.active:
            return frames
        relative = any(b is not None and b[0] for b in (self._from, self._to))
        if relative:
            first = next(frames, None)
            if first is None:
                return iter(())
            self._resolve(first.ts_ns)
            frames = chain((first,), frames)
        else:
            self._resolve(0)
        return self._selected(frames)

    def _selected(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        lo, hi = self.window
        lo = -(1 << 127) if lo is None else lo
        hi = 1 << 127 if hi is None else hi
        filtering = self.expr is not None
        programs = self._programs
        for frame in frames:
            ts = frame.ts_ns
            if ts < lo or ts >= hi:
                self.left_out += 1
                continue
            if filtering:
                program = programs.get(frame.linktype) or self.program(frame.linktype)
                if not program.run(frame.data, frame.wirelen):
                    self.left_out += 1
                    continue
            yield frame

    def configure(self, scanner: Any) -> bool:
        """Give the C scanner the same selection (its records are Ethernet);
        False when it cannot take it (the expression does not compile for
        Ethernet: the Python path then reports that at the first such frame)."""
        if self.expr is not None:
            from pcapprobe.capture.bpf import FilterError

            try:
                scanner.bpf = self.program(linktypes.LINKTYPE_ETHERNET)
            except FilterError:
                return False
        scanner.window = self.window
        return True

    def report_to(self, report: Report, scanned: int = 0) -> None:
        """Count the records left out (``--stats``)."""
        if self.active:
            report.layer("selection")["records left out (-f, --from, --to)"] += (
                self.left_out + scanned)
            self.left_out = 0
