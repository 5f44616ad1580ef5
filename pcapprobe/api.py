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
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from pcapprobe import interrupts
from pcapprobe.capture import GZIP_MAGIC, PCAPNG_MAGIC, Capture, Frame, merge
from pcapprobe.capture.pcap import byte_order
from pcapprobe.capture.select import Selection
from pcapprobe.env import Environment
from pcapprobe.errors import CaptureError, PcapProbeError, UsageError
from pcapprobe.pipeline import LocalHosts, NoSink, Pipeline, ProbeSink, RunContext
from pcapprobe.probes import catalog
from pcapprobe.report import Report
from pcapprobe.scripts import shipped_script
from pcapprobe.status import ExitStatus


@dataclass
class RunResult:
    """What ``pcapprobe.run()`` returns.

    Attributes:
        output: everything the D program printed, exactly what ``pcapprobe
            run`` prints on standard output.
        status: the exit status as a plain ``int``: 0, the value given to D's
            ``exit()``, 1 for a compile error or an unreadable capture, 2 for a
            usage error (the values of ``pcapprobe.status.ExitStatus``).
        aggregations: each aggregation's final values, ``{name: {key tuple:
            value}}`` (the unnamed ``@`` is ``""``, a key-less one's key ``()``);
            count, sum, avg, min, max and stddev are ints, as D computes them,
            and quantize, lquantize and llquantize ``{bucket: count}``.
        stats: the per-layer counts that ``--stats`` prints (``"layers"``:
            decoded/skipped per layer and why, ``"weirds"``, ``"firings"``,
            ``"frames"``, ``"bytes"``); empty when the run did not start.
        errors: everything written to standard error (D errors, bad-input
            lines, the ``--local auto`` choice).
    """

    output: str
    status: int
    aggregations: dict[str, dict[tuple, Any]] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    errors: str = ""

    def __post_init__(self) -> None:
        self.status = int(self.status)  # an ExitStatus member becomes its value


def check_stdin_once(paths: Sequence[str]) -> None:
    """Standard input can be read once: ``run - -`` is a usage error."""
    if list(paths).count("-") > 1:
        raise UsageError("standard input (-) given as a capture more than once")


class Inputs:
    """The capture paths of a run (each one is read once, standard input too;
    a directory stands for the captures in it) and the records selected."""

    def __init__(self, paths: Sequence[str], env: Environment, report: Report,
                 selection: Selection | None = None) -> None:
        if not paths:
            raise UsageError("no capture file given")
        check_stdin_once(paths)
        self.paths = expand_directories(paths)
        self.env = env
        self.report = report
        self.selection = selection or Selection()
        self._captures: list[Capture] = []
        self._scanner: Any = None

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

    @property
    def opened(self) -> list[Capture]:
        """The captures ``captures()`` opened."""
        return self._captures

    def accelerate(self, pipeline: Pipeline) -> None:
        """Let the pipeline's scanner consume records from here on; only for a
        single capture (a merge must see every frame to order them), and with
        the run's record selection."""
        scanner = pipeline.scanner
        if len(self._captures) == 1 and scanner is not None \
                and self.selection.configure(scanner):
            self._captures[0].scan_slot.scanner = scanner
            self._scanner = scanner

    def close(self) -> None:
        """Count the records left out (captures close themselves at their end)."""
        scanned = self._scanner.filtered if self._scanner is not None else 0
        self.selection.report_to(self.report, scanned)


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
        from pcapprobe.probes.translators.fc import fc_address

        # a WWPN or FC_ID chooses the local FC port (21:00:...:64, 8 groups of 2
        # digits, is a WWPN even though it also reads as an IPv6 address)
        fc_port = fc_address(item)
        if fc_port is not None:
            addrs.append(fc_port)
            continue
        try:
            addrs.append(str(ipaddress.ip_address(item)))
        except ValueError:
            raise UsageError(f"--local: '{item}' is not an IP address, a WWPN, an FC_ID, "
                             "'auto' or 'all'") from None
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
    env.stderr.write(f"pcapprobe: --local auto: {addr} ({seen} of {which} IP packets)\n")
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


def expand_directories(paths: Sequence[str]) -> list[str]:
    """Each directory replaced by the captures in it and in its subdirectories:
    the regular files that start with a pcap, pcapng or gzip magic number,
    sorted by name at each level (hidden files and directories, and other
    files, are not read).  A directory without any is an error."""
    expanded: list[str] = []
    for path in paths:
        if path == "-" or not os.path.isdir(path):
            expanded.append(path)
            continue
        found = [name for name in _files_under(path) if _is_capture_file(name)]
        if not found:
            raise CaptureError(f"{path}: no capture files in this directory")
        expanded.extend(found)
    return expanded


def _files_under(path: str) -> list[str]:
    """The files under a directory, depth first, each level sorted by name."""
    try:
        names = sorted(os.listdir(path))
    except OSError as exc:
        raise CaptureError(f"{path}: {exc.strerror or exc}") from None
    found: list[str] = []
    for name in names:
        if name.startswith("."):
            continue
        full = os.path.join(path, name)
        if os.path.isdir(full):
            found.extend(_files_under(full))
        else:
            found.append(full)
    return found


def _is_capture_file(path: str) -> bool:
    if not os.path.isfile(path):
        return False
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError:
        return False
    return magic[:2] == GZIP_MAGIC or magic == PCAPNG_MAGIC or (
        len(magic) == 4 and byte_order(magic) is not None)


def stream(inputs: Inputs) -> Iterator[Frame]:
    """Every selected frame of every input, merged by time."""
    return inputs.selection.apply(merge(inputs.captures()))


def reading_progress(inputs: Inputs, env: Environment) -> AbstractContextManager[object]:
    """A progress bar on stderr while the body reads the inputs ``stream``
    opened, when ``env`` wants one (stderr a terminal, stdout not)."""
    if not env.progress_enabled:
        # without a bar, rich (a sixth of the start-up time) is never imported
        return nullcontext()
    from pcapprobe.progress import ReadProgress

    return ReadProgress(inputs.opened, env)


def decode_captures(paths: Sequence[str], sink: ProbeSink, env: Environment,
                    local: Sequence[str] = ("auto",), options: dict[str, Any] | None = None,
                    report: Report | None = None, selection: Selection | None = None,
                    watch: Callable[[Iterator[Frame]], Iterator[Frame]] | None = None) -> Report:
    """Feed captures to a non-D sink (events, list counts); returns the report.
    ``watch`` wraps the frames the layers take (EventsSink.watch)."""
    report = report or Report(env.stderr)
    parse_local(local)
    if selection is not None:
        selection.check()
    inputs = Inputs(paths, env, report, selection)
    try:
        hosts, frames = resolve_local(local, stream(inputs), sink, env)
        ctx = RunContext(sink, report, hosts, dict(options or {}))
        pipeline = Pipeline(ctx)
        unseen = _watch_local(pipeline, hosts, sink)
        inputs.accelerate(pipeline)
        with reading_progress(inputs, env):
            pipeline.run(frames if watch is None else watch(frames))
        pipeline.finish()
        _warn_unseen(local, unseen, env)
    finally:
        inputs.close()
    return report


OUTPUT_FORMATS = ("text", "json")


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
    selection: Selection | None = None  # -f, --from, --to
    output_format: str = "text"  # --format: "text" (dtrace's) or "json"
    interruptible: bool = False  # SIGINT/SIGTERM end the run as in dtrace (the CLI)
    cpp: bool = False  # -C: run the C preprocessor on every program
    cpp_args: list[str] = field(default_factory=list)  # -D/-U/-I/-H for it
    jobs: int = 1  # --jobs: workers partitioned by flow (0: the cores, pcapprobe/scale)
    dask: Any = None  # --dask: "local", a scheduler address, or a distributed.Client
    jobs_unsafe: bool = False  # -x jobs_unsafe: partition even a program not proven safe


@dataclass
class Outcome:
    status: int
    aggregations: dict[str, dict[tuple, Any]] = field(default_factory=dict)
    report: Report | None = None


def load_sources(sources: Iterable[tuple[str, str]], request: RunRequest | None = None,
                 err: Any = None) -> list[Any]:
    """D sources as the engine's ``Source`` objects (scripts read from disk, or
    shipped with pcapprobe: pcapprobe/scripts), preprocessed under -C or a
    ``#!/usr/sbin/dtrace -Cs`` line."""
    from pcapprobe.dlang import Source
    from pcapprobe.dlang import cpp

    loaded = []
    for kind, value in sources:
        if kind == "script":
            # a file of that name wins; else a seed script shipped by that name
            path = Path(value)
            if not path.exists():
                path = shipped_script(value) or path
            try:
                text = path.read_text(encoding="utf-8", errors="surrogateescape")
            except OSError as exc:
                raise PcapProbeError(f"failed to open {value}: {exc.strerror or exc}") from None
            loaded.append(Source(value, text, kind="script"))
        else:
            loaded.append(Source("-n", value, kind="program"))
    if request is None:
        return loaded
    cpppath = request.dopts.get("cpppath")
    return [cpp.preprocess(source, request.cpp_args, str(cpppath) if cpppath else None, err)
            if request.cpp or (source.kind == "script" and cpp.wants_cpp(source.text)) else source
            for source in loaded]


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
    if request.selection is not None:
        request.selection.check()  # a bad -f is a usage error, before compiling
    try:
        program = compile_program(load_sources(request.sources, request, env.stderr), request.dopts,
                                  request.macro_args, env.stdout, env.stderr,
                                  notices=not request.compile_only,
                                  json=request.output_format == "json")
    except DCompileError as exc:
        env.stderr.write(exc.render().rstrip("\n") + "\n")
        return Outcome(ExitStatus.ERROR)
    if request.compile_only:
        return Outcome(ExitStatus.SUCCESS)
    refused = program.enable_error()
    if refused is not None:
        env.stderr.write(f"pcapprobe: {refused}\n")
        return Outcome(ExitStatus.ERROR)
    report = Report(env.stderr)
    with interrupts.catching(request.interruptible) as signals:
        try:
            if request.captures:
                from pcapprobe import scale

                if not scale.feed(request, program, report, env):
                    _feed(request, program, report, env)
            else:
                # like dtrace with no capture: BEGIN, timers on a virtual clock, exit()
                program.run_without_capture()
        except interrupts.Interrupted:
            _interrupted(program, env)
        signals.reading = False
        try:
            status = program.end()
        except interrupts.Interrupted:
            # a second Ctrl-C: dtrace is "impatient" and prints no aggregations
            program.flush()
            return Outcome(ExitStatus.SUCCESS, program.aggregations(), report)
    aggregations = program.aggregations()
    if request.stats:
        env.stderr.write(str(report) + "\n")
    return Outcome(int(status), aggregations, report)


def matched_probes(request: RunRequest, env: Environment) -> list[catalog.Probe]:
    """``run -l``: the probes the programs enable (dtrace -l -n/-s)."""
    from pcapprobe.dlang import DCompileError, compile_program

    try:
        program = compile_program(load_sources(request.sources, request, env.stderr),
                                  {**request.dopts, "zdefs": True}, request.macro_args,
                                  io.StringIO(), env.stderr, notices=False)
    except DCompileError as exc:
        raise PcapProbeError(exc.render().removeprefix("pcapprobe: ")) from None
    return list(program.enablings)


def _interrupted(program: Any, env: Environment) -> None:
    """Ctrl-C stopped the reading: what was held is written, then the newline
    dtrace.c writes when it notices an interrupt (quiet or not)."""
    if not program.clock_started:
        program.begin(0)  # interrupted before the first packet: BEGIN still fires first
    program.hold_output(False)
    env.stdout.write("\n")


def _feed(request: RunRequest, program: Any, report: Report, env: Environment) -> None:
    """BEGIN at the first packet's time, then every frame until exit()."""
    inputs = Inputs(request.captures, env, report, request.selection)
    try:
        hosts, frames = resolve_local(request.local, stream(inputs), program, env)
        pipeline = Pipeline(RunContext(program, report, hosts, request.options))
        unseen = _watch_local(pipeline, hosts, program)
        first = next(frames, None)
        program.begin(first.ts_ns if first is not None else 0)
        if first is not None and not program.exited:
            inputs.accelerate(pipeline)  # after BEGIN: nothing may fire before it
            with reading_progress(inputs, env):
                pipeline.run(chain((first,), frames), program)
        pipeline.finish()
        _warn_unseen(request.local, unseen, env)
    finally:
        inputs.close()


def run(captures: str | Path | Sequence[str | Path], script: str | Path | None = None,
        program: str | None = None, *, local: str | Sequence[str] = "auto",
        args: Sequence[object] = (), quiet: bool = False, zdefs: bool = False,
        defines: dict[str, str | bool] | None = None,
        nfs_paths: str | Path | None = None, filter: str | None = None,  # noqa: A002
        time_from: str | None = None, time_to: str | None = None,
        format: str = "text", jobs: int = 1, dask: Any = None) -> RunResult:  # noqa: A002
    """Run a D script or program over captures and return what it printed.

    The options are keyword-only, so a misspelt one is a TypeError.

    Args:
        captures: one capture path or a list of them (merged by timestamp).
        script: path of a D script (like ``dtrace -s``).
        program: D program text (like ``dtrace -n``).
        local: "auto", "all", an address or a list of addresses (``--local``).
        args: the macro arguments $1..$9.
        quiet: ``-q``.
        zdefs: ``-Z``.
        defines: D options, ``{option: value}`` as ``-x option=value``
            (``True`` for a flag).
        nfs_paths: a file of ``filehandle path`` lines (``--nfs-paths``).
        filter: a capture filter in tcpdump's syntax (``-f``).
        time_from: ``--from`` (an absolute time or an offset from the first packet).
        time_to: ``--to``.
        format: "text" or "json" (``--format``).
        jobs: workers, each taking the flows of one partition (``--jobs``;
            0 for the number of cores); the output is the same.
        dask: run the partitions on Dask (``--dask``): "local", a scheduler
            address, or a ``distributed.Client``.
        state_size: bytes of protocol state (``--state-size``).

    Returns:
        A RunResult (its docstring describes the fields).
    """
    if isinstance(captures, (str, Path)):
        captures = [captures]
    sources: list[tuple[str, str]] = []
    if script is not None:
        sources.append(("script", str(script)))
    if program is not None:
        sources.append(("program", program))
    dopts: dict[str, str | bool] = dict(defines or {})
    if quiet:
        dopts["quiet"] = True
    if zdefs:
        dopts["zdefs"] = True
    jobs_unsafe = bool(dopts.pop("jobs_unsafe", False))
    bpf, output_format = filter, format
    request = RunRequest(
        captures=[str(c) for c in captures],
        sources=sources,
        macro_args=[str(a) for a in args],
        dopts=dopts,
        local=[local] if isinstance(local, str) else list(local),
        options={"nfs_paths": str(nfs_paths)} if nfs_paths is not None else {},
        output_format=output_format,
        jobs=jobs, dask=dask, jobs_unsafe=jobs_unsafe,
    )
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, stdin=io.BytesIO(), show_progress=False)
    try:
        if output_format not in OUTPUT_FORMATS:
            raise UsageError(f"format: '{output_format}' is not one of "
                             f"{', '.join(OUTPUT_FORMATS)}")
        request.selection = Selection(bpf, time_from, time_to)
        outcome = execute(request, env)
    except PcapProbeError as exc:
        err.write(f"pcapprobe: {exc}\n")
        status = ExitStatus.USAGE if isinstance(exc, UsageError) else ExitStatus.ERROR
        return RunResult(out.getvalue(), status, errors=err.getvalue())
    stats = outcome.report.as_dict() if outcome.report is not None else {}
    return RunResult(out.getvalue(), outcome.status, outcome.aggregations, stats, err.getvalue())


__all__ = ["RunResult", "run", "CaptureError"]
