"""A rich progress bar on stderr while a run reads its captures: bytes read of
the total, packets, packets/s and the time left; for standard input (no total)
a spinner with the counts.

The packet loop does not drive it.  The readers note how far they have got in
their ``ReadMeter`` every 1-4 MiB (the C scanner consumes most records without
Python seeing them), and a thread samples those meters a few times a second
and redraws; the loop pays nothing per record.  Built with
``redirect_stdout=False`` so D output written while the bar is live never
lands on stderr (rich's default would proxy sys.stdout through the bar).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from types import TracebackType

from rich.console import Console
from rich.filesize import decimal, pick_unit_and_suffix
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
from rich.text import Text

from pcapprobe.capture import Capture
from pcapprobe.env import Environment, Stderr

REFRESH_S = 0.25  # between samples and redraws
RATE_WINDOW_S = 5.0  # packets/s and bytes/s over the last few seconds
SIZE_SUFFIXES = ["bytes", "kB", "MB", "GB", "TB", "PB"]


class ReadProgress:
    """``with ReadProgress(captures, env):`` shows the bar while the body runs."""

    def __init__(self, captures: Sequence[Capture], env: Environment) -> None:
        self.captures = list(captures)
        sizes = [c.size for c in self.captures]
        # standard input, or a file whose size is unknown: no total
        self.total = sum(sizes) if all(sizes) else None
        columns = ([TextColumn("reading"), BarColumn()] if self.total
                   else [SpinnerColumn(), TextColumn("reading")])
        # a Stderr proxy's messages are printed above the bar while it is live
        self.stderr = env.stderr if isinstance(env.stderr, Stderr) else None
        self.pending = ""  # the start of a message line not yet written whole
        terminal = self.stderr.stream if self.stderr is not None else env.stderr
        self.bar = Progress(*columns, TextColumn("{task.fields[counts]}", markup=False),
                            console=Console(file=terminal, stderr=True),
                            auto_refresh=False, transient=True,
                            redirect_stdout=False, redirect_stderr=False)
        self.task = self.bar.add_task("reading", total=self.total, counts="")
        self.samples: deque[tuple[float, int, int]] = deque(
            maxlen=int(RATE_WINDOW_S / REFRESH_S) + 1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="pcapprobe-progress",
                                        daemon=True)

    def __enter__(self) -> ReadProgress:
        self.bar.start()
        self.show()
        self._thread.start()
        if self.stderr is not None:
            self.stderr.divert = self.message
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.stderr is not None:
            self.stderr.divert = None
        self._stop.set()
        self._thread.join()
        self.bar.stop()
        if self.pending and self.stderr is not None:
            self.stderr.write(self.pending)

    def message(self, text: str) -> None:
        """Print whole lines of ``text`` above the bar (rich erases the bar,
        prints them and draws it again below)."""
        lines, newline, self.pending = (self.pending + text).rpartition("\n")
        if newline:
            self.bar.console.print(Text(lines), soft_wrap=True, highlight=False)

    def _watch(self) -> None:
        while not self._stop.wait(REFRESH_S):
            self.show()

    def show(self) -> None:
        """Sample the captures' meters and redraw."""
        done = sum(c.bytes_read for c in self.captures)
        packets = sum(c.packets_read for c in self.captures)
        self.samples.append((time.monotonic(), done, packets))
        self.bar.update(self.task, completed=done,
                        counts=counts_text(done, self.total, packets, *self.rates()))
        self.bar.refresh()

    def rates(self) -> tuple[float | None, float | None]:
        """(bytes/s, packets/s) over the samples of the last RATE_WINDOW_S."""
        (t0, b0, p0), (t1, b1, p1) = self.samples[0], self.samples[-1]
        if t1 - t0 <= 0:
            return None, None
        return (b1 - b0) / (t1 - t0), (p1 - p0) / (t1 - t0)


def counts_text(done: int, total: int | None, packets: int,
                byte_rate: float | None, packet_rate: float | None) -> str:
    """``12.3/171.8 MB  1,234,567 packets  412,000 pkt/s  ETA 0:00:12`` (no
    total: ``12.3 MB  1,234,567 packets  412,000 pkt/s``)."""
    if total is None:
        size = decimal(done)
    else:
        # both in the total's unit, as rich's DownloadColumn shows them
        unit, suffix = pick_unit_and_suffix(total, SIZE_SUFFIXES, 1000)
        size = f"{done / unit:.1f}/{total / unit:.1f} {suffix}"
    text = f"{size}  {packets:,} packets"
    text += "  -- pkt/s" if packet_rate is None else f"  {packet_rate:,.0f} pkt/s"
    if total is not None:
        text += f"  ETA {_eta(total - done, byte_rate)}"
    return text


def _eta(remaining: int, byte_rate: float | None) -> str:
    if not byte_rate or byte_rate <= 0:
        return "-:--:--"
    seconds = int(max(remaining, 0) / byte_rate)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
