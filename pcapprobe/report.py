"""Run counters, named weirds and the one-line bad-input messages.

Every piece of input pcapprobe cannot use is reported once on stderr as
``pcapprobe: FILE: packet N: REASON`` (grep-friendly), counted under a stable
dotted weird name, and processing continues.  ``--stats`` prints the counters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any, TextIO

from pcapprobe.errors import printable

MAX_MESSAGES_PER_WEIRD = 20  # after that a weird is only counted


class Counts(dict[str, int]):
    """Named counts; a name never counted reads 0.  Not collections.Counter:
    its ``__delitem__`` sends every store through a Python-level slot, twice
    the cost of a dict store, and layers count on the per-message path."""

    __slots__ = ()

    def __missing__(self, key: str) -> int:
        return 0


@dataclass
class Report:
    """Counters of a run; ``return_code`` policy: errors that stop the run are
    reported by the CLI, bad packets never change the exit status."""

    stderr: TextIO
    frames: int = 0
    bytes: int = 0
    weirds: Counts = field(default_factory=Counts)
    layers: dict[str, Counts] = field(default_factory=dict)
    firings: Counts = field(default_factory=Counts)
    quiet_weirds: bool = False
    # writes the D output held for the current frame (set by the pipeline)
    flush_output: Callable[[], None] | None = None

    def weird(self, name: str, frame: Any, detail: str) -> None:
        """Count a named weird; print its message (the first few of each name)."""
        source = getattr(frame, "source", "?")
        index = getattr(frame, "index", 0)
        self.bad_input(name, source, index, detail)

    def bad_input(self, name: str, source: str, index: int, detail: str) -> None:
        count = self.weirds[name] = self.weirds[name] + 1
        if self.quiet_weirds:
            return
        if self.flush_output is not None:
            self.flush_output()
        if count <= MAX_MESSAGES_PER_WEIRD:
            where = f"packet {index}: " if index else ""
            self.stderr.write(f"pcapprobe: {printable(source)}: {where}{detail}\n")
        elif count == MAX_MESSAGES_PER_WEIRD + 1:
            self.stderr.write(f"pcapprobe: further '{name}' messages suppressed\n")

    def notice(self, text: str) -> None:
        """One ``pcapprobe: TEXT`` line about the run as a whole (not a packet)."""
        if self.flush_output is not None:
            self.flush_output()
        self.stderr.write(f"pcapprobe: {text}\n")

    def layer(self, name: str) -> Counts:
        """The counter of one layer (decoded / skipped-for-reason)."""
        counter = self.layers.get(name)
        if counter is None:
            counter = self.layers[name] = Counts()
        return counter

    def as_dict(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "bytes": self.bytes,
            "layers": {k: dict(v) for k, v in self.layers.items() if v},
            "weirds": dict(self.weirds),
            "firings": dict(self.firings),
        }

    def __str__(self) -> str:
        """The --stats text: per layer, packets decoded and skipped, then one
        indented line per skip reason and per other counter::

            link: 7 decoded, 1 skipped
              skipped: ethertype 0x0806: 1
        """
        lines = [f"frames: {self.frames} ({self.bytes} bytes)"]
        for layer, counter in self.layers.items():
            skipped = {k: v for k, v in counter.items() if k.startswith("skipped: ")}
            if "decoded" in counter or skipped:
                lines.append(f"{layer}: {counter.get('decoded', 0)} decoded, "
                             f"{sum(skipped.values())} skipped")
            elif counter:
                lines.append(f"{layer}:")  # an application's own counters only
            else:
                continue
            lines.extend(f"  {k}: {v}" for k, v in sorted(skipped.items()))
            lines.extend(f"  {k}: {v}" for k, v in sorted(counter.items())
                         if k != "decoded" and k not in skipped)
        if self.firings:
            lines.append("firings: " + ", ".join(f"{k} {v}" for k, v in sorted(self.firings.items())))
        if self.weirds:
            lines.append("weirds: " + ", ".join(f"{k} {v}" for k, v in sorted(self.weirds.items())))
        return "\n".join(lines)
