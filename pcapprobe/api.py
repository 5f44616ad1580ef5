"""Running pcapprobe: the Python API ``run()`` and the orchestration the CLI uses.

A run is: resolve --local (``auto`` needs a pre-pass over the captures), compile
the D sources, fire BEGIN at the first packet's time, stream every frame through
the pipeline (stopping when the program calls exit()), finish the layers, fire
END.  Only D output goes to ``env.stdout``.
"""

from __future__ import annotations

import io
import ipaddress
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO

from pcapprobe.capture import Capture, Frame, merge
from pcapprobe.env import Environment
from pcapprobe.errors import CaptureError, PcapProbeError, UsageError
from pcapprobe.pipeline import LocalHosts, NoSink, Pipeline, ProbeSink, RunContext
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


class Inputs:
    """The capture paths of a run; standard input is spooled to disk once when a
    second pass (``--local auto``) needs to read it again."""

    def __init__(self, paths: Sequence[str], env: Environment, report: Report) -> None:
        if not paths:
            raise UsageError("no capture file given")
        self.paths = list(paths)
        self.env = env
        self.report = report
        self._spool: BinaryIO | None = None

    def spool_stdin(self) -> None:
        if "-" in self.paths and self._spool is None:
            self._spool = tempfile.TemporaryFile()
            shutil.copyfileobj(self.env.stdin, self._spool)

    def captures(self, quiet: bool = False) -> list[Capture]:
        stdin = self.env.stdin
        if self._spool is not None:
            self._spool.seek(0)
            stdin = self._spool
        report = self.report

        def warn_for(name: str):  # type: ignore[no-untyped-def]
            def warn(weird: str, index: int, reason: str) -> None:
                if not quiet:
                    report.bad_input(weird, name, index, reason)
            return warn

        return [Capture(p, warn_for("<stdin>" if p == "-" else p), stdin) for p in self.paths]

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()


def resolve_local(spec: Sequence[str], inputs: Inputs, env: Environment) -> LocalHosts:
    """--local: ``all``, explicit addresses, or ``auto`` (the busiest address)."""
    spec = list(spec) or ["auto"]
    if "all" in spec:
        return LocalHosts(all_hosts=True)
    addrs = []
    for item in spec:
        if item == "auto":
            continue
        try:
            addrs.append(str(ipaddress.ip_address(item)))
        except ValueError:
            raise UsageError(f"--local: '{item}' is not an IP address, 'auto' or 'all'") from None
    if "auto" in spec and not addrs:
        busiest = infer_local(inputs)
        if busiest is None:
            env.stderr.write("pcapprobe: --local auto: no IP packets seen\n")
            return LocalHosts()
        addr, seen, total = busiest
        env.stderr.write(f"pcapprobe: --local auto: local host is {addr} "
                         f"(in {seen} of {total} IP packets; use --local to choose)\n")
        return LocalHosts([addr])
    return LocalHosts(addrs)


def infer_local(inputs: Inputs) -> tuple[str, int, int] | None:
    """(address in the most IP packets, its packet count, all IP packets)."""
    inputs.spool_stdin()
    seen: Counter[str] = Counter()
    total = 0

    def count(pkt: Any) -> None:
        nonlocal total
        total += 1
        seen[pkt.src] += 1
        if pkt.dst != pkt.src:
            seen[pkt.dst] += 1

    report = Report(io.StringIO(), quiet_weirds=True)
    pipeline = Pipeline(RunContext(NoSink(), report))
    ip = pipeline.layers.ip
    assert ip is not None
    ip.fire = count
    ip.protocols = {}
    pipeline.run(merge(inputs.captures(quiet=True)))
    if not seen:
        return None
    # ties go to the address seen first (Counter keeps insertion order)
    addr, n = max(seen.items(), key=lambda kv: kv[1])
    return addr, n, total


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
    inputs = Inputs(paths, env, report)
    try:
        hosts = resolve_local(local, inputs, env)
        ctx = RunContext(sink, report, hosts, dict(options or {}))
        pipeline = Pipeline(ctx)
        pipeline.run(stream(inputs, env))
        pipeline.finish()
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
        hosts = resolve_local(request.local, inputs, env)
        pipeline = Pipeline(RunContext(program, report, hosts, request.options))
        frames = stream(inputs, env)
        first = next(frames, None)
        program.begin(first.ts_ns if first is not None else 0)
        if first is not None and not program.exited:
            pipeline.run(chain((first,), frames), program)
        pipeline.finish()
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
            ``defines`` ({option: value} as -x), ``nfs_paths`` (file).

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
