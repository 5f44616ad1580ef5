"""Probe sinks that are not D programs: the ``events`` JSON exporter and the
firing counter behind ``pcapprobe list CAPTURE``.

The exporter walks every member of every argument struct through the catalog,
so its output always shows exactly what a D script could read.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TextIO

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
    if isinstance(value, (int, str, float, bool)):
        return value
    return str(value)


class EventsSink:
    """Writes one JSON object per firing: ts_ns, provider, probe and every argument."""

    def __init__(self, out: TextIO, providers: Iterable[str] = ()) -> None:
        self.out = out
        self.providers = frozenset(providers)
        self.count = 0

    def handler(self, probe: Probe) -> Fire | None:
        if self.providers and probe.provider not in self.providers:
            return None
        write = self.out.write
        head = {"provider": probe.provider, "module": probe.module,
                "function": probe.function, "name": probe.name}
        types = probe.args

        def fire(ts_ns: int, args: tuple, thread: Hashable) -> None:
            self.count += 1
            event = {"ts_ns": ts_ns, **head,
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
