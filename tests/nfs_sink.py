"""A ProbeSink that records nfsv3 firings, and a helper to decode a capture with it."""

from __future__ import annotations

import io
from collections.abc import Hashable
from pathlib import Path
from typing import Any, Callable

from pcapprobe.api import decode_captures
from pcapprobe.env import Environment
from pcapprobe.probes.catalog import Probe
from pcapprobe.report import Report


class Firing:
    __slots__ = ("name", "ts", "args", "thread")

    def __init__(self, name: str, ts: int, args: tuple, thread: Hashable) -> None:
        self.name = name
        self.ts = ts
        self.args = args
        self.thread = thread


class CollectingSink:
    """Listens to every probe of ``provider``; keeps every firing in order."""

    def __init__(self, provider: str = "nfsv3") -> None:
        self.provider = provider
        self.firings: list[Firing] = []

    def handler(self, probe: Probe) -> Callable[[int, tuple, Hashable], None] | None:
        if probe.provider != self.provider:
            return None
        name = probe.name
        firings = self.firings

        def fire(ts: int, args: tuple, thread: Hashable) -> None:
            firings.append(Firing(name, ts, args, thread))

        return fire


def collect(capture: Path, provider: str = "nfsv3", **options: Any) -> tuple[list[Firing], Report]:
    sink = CollectingSink(provider)
    err = io.StringIO()
    env = Environment(stdout=io.StringIO(), stderr=err, stdin=io.BytesIO(), show_progress=False)
    report = decode_captures([str(capture)], sink, env, local=("all",), options=options)
    return sink.firings, report
