"""Running pcapprobe: the Python API ``run()`` and the orchestration the CLI uses.

A run is: compile the D sources, resolve --local (``auto`` looks at a bounded
prefix of the capture, only when an ip/tcp/udp probe is enabled), fire BEGIN at
the first packet's time, stream every frame through the pipeline (stopping when
the program calls exit()), finish the layers, fire END.  Every capture is read
once.  Only D output goes to ``env.stdout``.
"""

from __future__ import annotations

import io
import ipaddress
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from pcapprobe.capture import Capture, Frame, merge
from pcapprobe.env import Environment
from pcapprobe.errors import CaptureError, PcapProbeError, UsageError
from pcapprobe.pipeline import LocalHosts, NoSink, Pipeline, ProbeSink, RunContext
from pcapprobe.probes import catalog
from pcapprobe.report import Report
from pcapprobe.status import ExitStatus


@dataclass
class RunResult:
    """What ``pcapprobe.run()`` returns."""

    output: str
    status: int
    aggregations: dict[str, dict[tuple, Any]] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    errors: str = ""


def check_stdin_once(paths: Sequence[str]) -> None:
    """Standard input can be read once: ``run - -`` is a usage error."""
    if list(paths).count("-") > 1:
        raise UsageError("standard input (-) given as a capture more than once")


class Inputs:
    """The capture paths of a run (each one is read once, standard input too)."""

    def __init__(self, paths: Sequence[str], env: Environment, report: Report) -> None:
        if not paths:
            raise UsageError("no capture file given")
        check_stdin_once(paths)
        self.paths = list(paths)
        self.env = env
        self.report = report
        self._captures: list[Capture] = []

    def captures(self, quiet: bool = False) -> list[Capture]:
        stdin = self.env.stdin
        report = self.report

        def warn_for(name: str):  # type: ignore[no-untyped-def]
            def warn(weird: str, index: int, reason: str) -> None:
                if not quiet:
                    report.bad_input(weird, name, index, reason)
            return warn

        flush = self.env.stdout.flush
        self._captures = [Capture(p, warn_for("<stdin>" if p == "-" else p), stdin, flush)
                          for p in self.paths]
        return self._captures

    def accelerate(self, pipeline: Pipeline) -> None:
        """Let the pipeline's scanner consume records from here on; only for a
        single capture (a merge must see every frame to order them)."""
        if len(self._captures) == 1:
            self._captures[0].scan_slot.scanner = pipeline.scanner

    def close(self) -> None:
        """Nothing to release: captures close themselves at their end."""


# --local auto looks at most at this prefix of the (merged) capture, whichever
# limit comes first; only those frames are held in memory.
INFER_MAX_PACKETS = 10_000  # IP packets
INFER_MAX_NS = 5_000_000_000  # capture time from the first frame
LOCAL_PROVIDERS = ("ip", "tcp", "udp")  # the only providers --local changes


def local_matters(sink: ProbeSink) -> bool:
    """Whether an enabled probe depends on --local (iscsi, nfsv3, ... take the
    server's point of view from the protocol itself)."""
    return any(sink.handler(p) is not None for p in catalog.all_probes()
               if p.provider in LOCAL_PROVIDERS)


def parse_local(spec: Sequence[str]) -> tuple[bool, list[str]]:
    """(``all`` given, the explicit addresses normalised); validates the spec."""
    spec = list(spec) or ["auto"]
    addrs = []
    for item in spec:
        if item in ("auto", "all"):
            continue
        try:
            addrs.append(str(ipaddress.ip_address(item)))
        except ValueError:
            raise UsageError(f"--local: '{item}' is not an IP address, 'auto' or 'all'") from None
    return "all" in spec, addrs


def resolve_local(spec: Sequence[str], frames: Iterator[Frame], sink: ProbeSink,
                  env: Environment) -> tuple[LocalHosts, Iterator[Frame]]:
    """--local: ``all``, explicit addresses, or ``auto`` (the busiest address of
    a bounded prefix).  Returns the hosts and the frames to run on (the
    inspected prefix replayed, then the rest, still streaming)."""
    all_hosts, addrs = parse_local(spec)
    if all_hosts:
        return LocalHosts(all_hosts=True), frames
    if addrs:
        return LocalHosts(addrs, explicit=True), frames
    if not local_matters(sink):
        return LocalHosts(), frames
    prefix, busiest = infer_local(frames)
    if busiest is None:
        env.stderr.write("pcapprobe: --local auto: no IP packets seen\n")
        return LocalHosts(), chain(prefix, frames)
    addr, seen, total = busiest
    which = f"the first {total}" if total >= INFER_MAX_PACKETS else str(total)
    env.stderr.write(f"pcapprobe: --local auto: local host is {addr} "
                     f"(in {seen} of {which} IP packets; use --local to choose)\n")
    return LocalHosts([addr]), chain(prefix, frames)


def infer_local(frames: Iterator[Frame]) -> tuple[list[Frame], tuple[str, int, int] | None]:
    """Read a bounded prefix of ``frames`` (INFER_MAX_PACKETS IP packets or
    INFER_MAX_NS of capture time): (its frames, (address in the most IP
    packets, its packet count, IP packets looked at) or None)."""
    seen: Counter[str] = Counter()
    total = 0
    prefix: list[Frame] = []

    def count(pkt: Any) -> None:
        nonlocal total
        total += 1
        seen[pkt.src] += 1
        if pkt.dst != pkt.src:
            seen[pkt.dst] += 1

    def bounded() -> Iterator[Frame]:
        first_ts: int | None = None
        for frame in frames:
            prefix.append(frame)
            if first_ts is None:
                first_ts = frame.ts_ns
            elif frame.ts_ns - first_ts >= INFER_MAX_NS:
                return
            yield frame
            if total >= INFER_MAX_PACKETS:
                return

    report = Report(io.StringIO(), quiet_weirds=True)
    pipeline = Pipeline(RunContext(NoSink(), report))
    ip = pipeline.layers.ip
    assert ip is not None
    ip.fire = count
    ip.protocols = {}
    pipeline.run(bounded())
    if not seen:
        return prefix, None
    # ties go to the address seen first (Counter keeps insertion order)
    addr, n = max(seen.items(), key=lambda kv: kv[1])
    return prefix, (addr, n, total)


def _watch_local(pipeline: Pipeline, hosts: LocalHosts, sink: ProbeSink) -> set[str]:
    """The explicit --local addresses still unseen (shrinks during the run)."""
    if hosts.all or not hosts.addrs or pipeline.layers.ip is None or not local_matters(sink):
        return set()
    return pipeline.layers.ip.watch_addresses(hosts.addrs)


def _warn_unseen(spec: Sequence[str], unseen: set[str], env: Environment) -> None:
    for addr in parse_local(spec)[1]:
        if addr in unseen:
            env.stderr.write(f"pcapprobe: --local {addr}: no packet to or from this address\n")


def stream(inputs: Inputs, env: Environment) -> Iterator[Frame]:
    """Every frame of every input, merged by time, with a progress bar on a TTY."""
    captures = inputs.captures()
    if not env.progress_enabled:
        # without a bar, rich (a sixth of the start-up time) is never imported
        return merge(captures)
    from pcapprobe.progress import track

    total = sum(c.size for c in captures)
    return track(merge(captures), env, total, lambda: sum(c.bytes_read for c in captures))


def decode_captures(paths: Sequence[str], sink: ProbeSink, env: Environment,
                    local: Sequence[str] = ("auto",), options: dict[str, Any] | None = None,
                    report: Report | None = None) -> Report:
    """Feed captures to a non-D sink (events, list counts); returns the report."""
    report = report or Report(env.stderr)
    parse_local(local)
    inputs = Inputs(paths, env, report)
    try:
        hosts, frames = resolve_local(local, stream(inputs, env), sink, env)
        ctx = RunContext(sink, report, hosts, dict(options or {}))
        pipeline = Pipeline(ctx)
        unseen = _watch_local(pipeline, hosts, sink)
        inputs.accelerate(pipeline)
        pipeline.run(frames)
        pipeline.finish()
        _warn_unseen(local, unseen, env)
    finally:
        inputs.close()
    return report


@dataclass
class RunRequest:
    """Everything ``pcapprobe run`` was asked to do."""

    captures: list[str]
    sources: list[tuple[str, str]]  # ("script", path) or ("program", text)
    macro_args: list[str] = field(default_factory=list)
    dopts: dict[str, str | bool] = field(default_factory=dict)  # -q / -Z / -x
    local: list[str] = field(default_factory=lambda: ["auto"])
    compile_only: bool = False
    stats: bool = False
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    status: int
    aggregations: dict[str, dict[tuple, Any]] = field(default_factory=dict)
    report: Report | None = None


def load_sources(sources: Iterable[tuple[str, str]]) -> list[Any]:
    """D sources as the engine's ``Source`` objects (scripts read from disk)."""
    from pcapprobe.dlang import Source

    loaded = []
    for kind, value in sources:
        if kind == "script":
            try:
                text = Path(value).read_text(encoding="utf-8", errors="surrogateescape")
            except OSError as exc:
                raise PcapProbeError(f"failed to open {value}: {exc.strerror or exc}") from None
            loaded.append(Source(value, text, kind="script"))
        else:
            loaded.append(Source("-n", value, kind="program"))
    return loaded


def execute(request: RunRequest, env: Environment) -> Outcome:
    """Compile and run a D program over captures; errors become messages + status."""
    from pcapprobe.dlang import DCompileError, compile_program

    if not request.sources:
        raise UsageError("no D program given (use -s SCRIPT or -n PROGRAM)")
    parse_local(request.local)
    check_stdin_once(request.captures)
    nfs_paths = request.options.get("nfs_paths")
    if nfs_paths:
        # checked before anything runs: a bad file is a usage error, exit 2
        from pcapprobe.probes.translators.nfsv3 import PathMap

        PathMap().load_file(str(nfs_paths))
    try:
        program = compile_program(load_sources(request.sources), request.dopts,
                                  request.macro_args, env.stdout, env.stderr,
                                  notices=not request.compile_only)
    except DCompileError as exc:
        env.stderr.write(exc.render().rstrip("\n") + "\n")
        return Outcome(ExitStatus.ERROR)
    if request.compile_only:
        return Outcome(ExitStatus.SUCCESS)
    report = Report(env.stderr)
    if request.captures:
        _feed(request, program, report, env)
    else:
        # like dtrace with no capture: BEGIN, timers on a virtual clock, exit()
        program.run_without_capture()
    status = program.end()
    aggregations = program.aggregations()
    if request.stats:
        env.stderr.write(str(report) + "\n")
    return Outcome(int(status), aggregations, report)


def _feed(request: RunRequest, program: Any, report: Report, env: Environment) -> None:
    """BEGIN at the first packet's time, then every frame until exit()."""
    inputs = Inputs(request.captures, env, report)
    try:
        hosts, frames = resolve_local(request.local, stream(inputs, env), program, env)
        pipeline = Pipeline(RunContext(program, report, hosts, request.options))
        unseen = _watch_local(pipeline, hosts, program)
        first = next(frames, None)
        program.begin(first.ts_ns if first is not None else 0)
        if first is not None and not program.exited:
            inputs.accelerate(pipeline)  # after BEGIN: nothing may fire before it
            pipeline.run(chain((first,), frames), program)
        pipeline.finish()
        _warn_unseen(request.local, unseen, env)
    finally:
        inputs.close()


def run(captures: str | Path | Sequence[str | Path], script: str | Path | None = None,
        program: str | None = None, **options: Any) -> RunResult:
    """Run a D script or program over captures and return what it printed.

    Args:
        captures: one capture path or a list of them (merged by timestamp).
        script: path of a D script (like ``dtrace -s``).
        program: D program text (like ``dtrace -n``).
        **options: ``local`` ("auto", "all", an address or a list of addresses),
            ``args`` (macro arguments $1..), ``quiet`` (-q), ``zdefs`` (-Z),
            ``defines`` ({option: value} as -x), ``nfs_paths`` (file),
            ``state_size`` (bytes of protocol state, as --state-size).

    Returns:
        RunResult with ``output`` (stdout text), ``status`` (exit status),
        ``aggregations`` ({name: {key tuple: value}}), ``stats`` and ``errors``.
    """
    if isinstance(captures, (str, Path)):
        captures = [captures]
    sources: list[tuple[str, str]] = []
    if script is not None:
        sources.append(("script", str(script)))
    if program is not None:
        sources.append(("program", program))
    local = options.pop("local", "auto")
    dopts: dict[str, str | bool] = dict(options.pop("defines", {}) or {})
    if options.pop("quiet", False):
        dopts["quiet"] = True
    if options.pop("zdefs", False):
        dopts["zdefs"] = True
    request = RunRequest(
        captures=[str(c) for c in captures],
        sources=sources,
        macro_args=[str(a) for a in options.pop("args", ())],
        dopts=dopts,
        local=[local] if isinstance(local, str) else list(local),
        options=options,
    )
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, stdin=io.BytesIO(), show_progress=False)
    try:
        outcome = execute(request, env)
    except PcapProbeError as exc:
        err.write(f"pcapprobe: {exc}\n")
        status = ExitStatus.USAGE if isinstance(exc, UsageError) else ExitStatus.ERROR
        return RunResult(out.getvalue(), int(status), errors=err.getvalue())
    stats = outcome.report.as_dict() if outcome.report is not None else {}
    return RunResult(out.getvalue(), outcome.status, outcome.aggregations, stats, err.getvalue())


__all__ = ["RunResult", "run", "CaptureError"]
