"""What the TCP streams of applications lost: counted when a stream closes,
told once per capture at the end of the run (issue 11).

Per capture file (the file of the connection's last packet): payload bytes a
snap length cut (``Reassembler.cut_bytes``), bytes lost in holes
(``gap_bytes`` minus those), bytes dropped while out of sync, resyncs and
PDUs handed over from their captured front (``StreamFramer``), and the
connections that carried data one way only.  ``--stats`` shows the totals
under "streams" and one line per connection that lost anything (the first
``MAX_DETAILED``); the end-of-run notice is one line per capture that lost
payload or saw one direction only, on stderr.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pcapprobe.flows.connection import Connection
    from pcapprobe.pipeline import RunContext
    from pcapprobe.report import Report

MAX_DETAILED = 50  # connections listed one by one in --stats
_NOT_CAPTURED = ("bytes cut by the snap length", "bytes lost in gaps")


class StreamLosses:
    __slots__ = ("by_source", "detailed", "more")

    def __init__(self) -> None:
        self.by_source: dict[str, Counter[str]] = {}
        self.detailed: list[tuple[str, int]] = []
        self.more = 0

    @classmethod
    def of(cls, ctx: RunContext) -> StreamLosses:
        """The run's accumulator, kept in ``ctx.apps`` (it goes with the run)."""
        losses = ctx.apps.get("stream losses")
        if losses is None:
            losses = ctx.apps["stream losses"] = cls()
        return losses

    def finish(self, report: Report) -> None:
        """End of the run: --stats counters and the notices on stderr."""
        self.add_stats(report)
        notices = self.notices()
        if notices and report.flush_output is not None:
            report.flush_output()
        for line in notices:
            report.stderr.write(line + "\n")

    def closed(self, conn: Connection, framer: object) -> None:
        """One application stream ended: add what its directions lost."""
        counts: Counter[str] = Counter()
        spoke = [False, False]
        for direction, reasm in enumerate(conn.reasm):
            if reasm is None:
                continue
            spoke[direction] = reasm.nxt > 0
            counts["bytes cut by the snap length"] += reasm.cut_bytes
            counts["bytes lost in gaps"] += reasm.gap_bytes - reasm.cut_bytes
        counts["bytes skipped to find PDUs"] += framer.skipped  # type: ignore[attr-defined]
        counts["resyncs"] += framer.resyncs  # type: ignore[attr-defined]
        counts["PDUs from their captured front"] += framer.partial  # type: ignore[attr-defined]
        if spoke[0] != spoke[1]:
            counts["connections seen one way only"] += 1
        counts = +counts
        if not counts:
            return
        source = getattr(conn.frame, "source", None) or "?"
        self.by_source.setdefault(source, Counter()).update(counts)
        if len(self.detailed) < MAX_DETAILED:
            (caddr, cport), (saddr, sport) = conn.client, conn.server
            what = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())
                             if k not in _NOT_CAPTURED)
            missing = sum(counts[k] for k in _NOT_CAPTURED)
            self.detailed.append((f"{caddr}:{cport} -> {saddr}:{sport} ({what}), "
                                  "bytes not captured", missing))
        else:
            self.more += 1

    def add_stats(self, report: Report) -> None:
        """Totals under the "streams" layer of --stats, then one line per connection."""
        layer = report.layer("streams")
        for counts in self.by_source.values():
            for key, value in counts.items():
                layer[key] += value
        for line, missing in self.detailed:
            layer[f"connection {line}"] = missing
        if self.more:
            layer["connections not listed"] = self.more

    def notices(self) -> list[str]:
        """The end-of-run lines: one per capture whose results the losses change."""
        lines = []
        for source, counts in self.by_source.items():
            parts = []
            cut, lost = counts["bytes cut by the snap length"], counts["bytes lost in gaps"]
            if cut:
                parts.append(f"{_size(cut)} of TCP payload not captured (snap length): "
                             f"{counts['PDUs from their captured front']} PDUs decoded from "
                             "their headers, members past the captured bytes read as 0 "
                             'or "<unknown>"')
            if lost or counts["bytes skipped to find PDUs"]:
                parts.append(f"{_size(lost)} of TCP payload lost in gaps, "
                             f"{_size(counts['bytes skipped to find PDUs'])} skipped to find "
                             f"PDU boundaries again ({counts['resyncs']} resyncs): PDUs whose "
                             "header was lost are not reported")
            if counts["connections seen one way only"]:
                parts.append(f"{counts['connections seen one way only']} connections seen one "
                             "way only: what answers their requests does not fire")
            if parts:
                lines.append(f"pcapprobe: {source}: " + "; ".join(parts))
        return lines


def _size(n: int) -> str:
    """Bytes as people read them: 6.6 MB, 12.0 kB, 512 bytes."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:.1f} kB"
    return f"{n} bytes"
