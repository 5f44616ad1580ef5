"""Probe sinks that are not D programs: the ``events`` JSON exporter and the
firing counter behind ``pcapprobe list CAPTURE``.

The exporter walks every member of every argument struct through the catalog,
so its output always shows exactly what a D script could read.  Its schema
(README "events JSON schema"): bytes are lowercase hex strings, a missing
value is null, and an integer beyond JSON's exact range (|n| > 2**53 - 1,
which jq and JavaScript would round) is written as a decimal string.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, TextIO

from pcapprobe._fastpath import FlowIndex
from pcapprobe.capture.frame import Frame
from pcapprobe.jsonfmt import exact
from pcapprobe.probes.catalog import STRUCTS, CType, Probe

Fire = Callable[[int, tuple, Hashable], None]


def plain(value: Any, ctype: CType) -> Any:
    """A probe argument (or member) as JSON-ready data, following its declared type."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    struct = STRUCTS.get(ctype.base)
    if struct is not None and ctype.pointers <= 1 and ctype.array is None:
        return {name: plain(getattr(value, name, None), member.ctype)
                for name, member in struct.members.items()}
    if isinstance(value, int) and not isinstance(value, bool):
        return exact(value)
    if isinstance(value, (str, float, bool)):
        return value
    return str(value)


class EventsSink:
    """Writes one JSON object per firing: its time, the capture file and frame
    number of the packet being read when it fired, the probe, every argument.
    ``providers`` / ``selected`` choose the probes (-P, -n)."""

    def __init__(self, out: TextIO, providers: Iterable[str] = (),
                 selected: Callable[[Probe], bool] | None = None) -> None:
        self.out = out
        self.providers = frozenset(providers)
        self.selected = selected
        self.count = 0
        self.frame: Frame | None = None  # the frame the Python layers are on

    def watch(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        """``frames``, remembering each as the packet being read; firings
        after the last one (the end of the run) have no packet."""
        for frame in frames:
            self.frame = frame
            yield frame
        self.frame = None

    def _packet(self) -> tuple[str | None, int | None]:
        # a record the C scanner is consuming never passed through watch()
        frame = FlowIndex.consumed_frame() or self.frame
        return (None, None) if frame is None else (frame.source, frame.index)

    def handler(self, probe: Probe) -> Fire | None:
        if self.providers and probe.provider not in self.providers:
            return None
        if self.selected is not None and not self.selected(probe):
            return None
        write = self.out.write
        head = {"provider": probe.provider, "module": probe.module,
                "function": probe.function, "name": probe.name}
        types = probe.args

        def fire(ts_ns: int, args: tuple, thread: Hashable) -> None:
            self.count += 1
            source, index = self._packet()
            event = {"ts_ns": exact(ts_ns), "file": source, "frame": index, **head,
                     "args": [plain(a, t) for a, t in zip(args, types)]}
            # wire facts no D struct has (fc: exchange ids, LUN, FCP_DL, status)
            for arg in args:
                wire = getattr(arg, "wire", None)
                if wire is not None:
                    event["wire"] = wire()
            write(json.dumps(event, separators=(",", ":")) + "\n")

        return fire


class CountingSink:
    """Counts the firings of every probe (``pcapprobe list CAPTURE``)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def handler(self, probe: Probe) -> Fire | None:
        counts = self.counts
        key = probe.fullname

        def fire(ts_ns: int, args: tuple, thread: Hashable) -> None:
            counts[key] += 1

        return fire
