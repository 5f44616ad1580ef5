"""Test helpers for the tcp/udp layers: run a capture through the real pipeline
into a sink that records every firing (no D engine needed)."""

from __future__ import annotations

import io
from pathlib import Path

from pcapprobe.capture import Capture
from pcapprobe.pipeline import LocalHosts, Pipeline, RunContext
from pcapprobe.probes.catalog import Probe
from pcapprobe.probes.constants import TCP_STATE_STRING
from pcapprobe.report import Report


class Collector:
    """A ProbeSink listening to the given providers; ``firings`` in order."""

    def __init__(self, providers: tuple[str, ...] = ("tcp", "udp")) -> None:
        self.providers = providers
        self.firings: list[tuple[str, int, tuple, object]] = []

    def handler(self, probe: Probe):
        if probe.provider not in self.providers:
            return None
        name = f"{probe.provider}:::{probe.name}"

        def fire(ts_ns: int, args: tuple, thread: object) -> None:
            self.firings.append((name, ts_ns, snapshot(probe, args), thread))

        return fire

    def names(self) -> list[str]:
        return [f[0] for f in self.firings]

    def of(self, name: str) -> list[tuple[str, int, tuple, object]]:
        return [f for f in self.firings if f[0] == name]

    def states(self) -> list[tuple[int, str, str]]:
        """(cs_cid, old, new) of every state-change, in order."""
        return [(a[1]["cs_cid"], TCP_STATE_STRING[a[5]["tcps_state"]],
                 TCP_STATE_STRING[a[3]["tcps_state"]])
                for n, _, a, _ in self.firings if n == "tcp:::state-change"]


def snapshot(probe: Probe, args: tuple) -> tuple:
    """Every member of every struct argument, read during the firing (as D does)."""
    from pcapprobe.probes.catalog import STRUCTS

    out = []
    for value, ctype in zip(args, probe.args):
        struct = STRUCTS.get(ctype.base)
        if value is None or struct is None:
            out.append(value)
        else:
            out.append({m: getattr(value, m) for m in struct.members
                        if not STRUCTS.get(struct.members[m].ctype.base)})
    return tuple(out)


def run(path: Path | str, local: tuple[str, ...] | None = None,
        providers: tuple[str, ...] = ("tcp", "udp")) -> tuple[Collector, Report]:
    """Feed a capture through the pipeline; ``local=None`` means ``--local all``."""
    sink = Collector(providers)
    report = Report(io.StringIO())
    hosts = LocalHosts(all_hosts=True) if local is None else LocalHosts(local)
    ctx = RunContext(sink, report, hosts)
    pipeline = Pipeline(ctx)
    capture = Capture(str(path), lambda *a: None)
    pipeline.run(capture.frames())
    pipeline.finish()
    return sink, report
