"""A rich progress bar on stderr, measured in bytes through the capture files.

Built with ``redirect_stdout=False`` so D output written while the bar is live
never lands on stderr (rich's default would proxy sys.stdout through the bar).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from pcapprobe.env import Environment

T = TypeVar("T")
UPDATE_EVERY = 4096  # frames between bar updates: keep the hot loop cheap


def track(items: Iterator[T], env: Environment, total: int,
          position: Callable[[], int]) -> Iterator[T]:
    """``items``, showing ``position()`` of ``total`` bytes when enabled (and
    ``items`` itself otherwise: no extra generator in the packet loop)."""
    if not env.progress_enabled or total <= 0:
        return items
    return _tracked(items, env, total, position)


def _tracked(items: Iterator[T], env: Environment, total: int,
             position: Callable[[], int]) -> Iterator[T]:
    console = Console(file=env.stderr, stderr=True)
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), console=console, transient=True,
                  redirect_stdout=False, redirect_stderr=False) as bar:
        task = bar.add_task("reading", total=total)
        n = 0
        for item in items:
            yield item
            n += 1
            if n % UPDATE_EVERY == 0:
                bar.update(task, completed=position())
