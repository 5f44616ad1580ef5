"""One worker of a partitioned run: every capture read, one partition's packets run.

A worker compiles the program again, reads every capture of the run (the
same merged, selected stream a single-process run reads, so every frame has
the same sequence number everywhere), and hands the pipeline only the frames
of its partition (``partition.classify``).  Frames of other partitions still
run the clocks they drive in a single-process run (``SkippedClocks``).

What the worker prints is not printed: each piece is kept with its tag
(``Tag``: the frame it belongs to and the phase) and stream, spooled to a
temporary file (a local worker) or kept in memory (a Dask worker), so the
parent can merge the pieces of every worker into the single-process order.
A worker also returns its aggregations' raw state, its counts, and what it
saw that the static analysis could not rule out (``ShareResult.doubts``: any
one makes the parent run the program in one process instead).
"""

from __future__ import annotations

import io
import os
import pickle
import resource
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, BinaryIO

from pcapprobe.capture import Frame, merge
from pcapprobe.env import Environment
from pcapprobe.pipeline import Pipeline, RunContext
from pcapprobe.report import Counts, Report
from pcapprobe.scale import partition

# Phases of a frame's sequence number, in the order a single-process run
# writes them: clocks run by the packet (TICK), then the packet (FRAME), then
# whatever reading the next record prints (READ).
TICK, FRAME, READ = 0, 1, 2
PRE = (-2, 0)  # before BEGIN: --local auto, reading the first records
BEGIN = (-1, 0)  # the workers' BEGIN: the parent fires its own
FINISH = (1 << 62, 0)  # the layers' end of capture

STDOUT, STDERR, WEIRD = 1, 2, 3


class Spool:
    """The pieces a worker writes, in its order: ``(seq, phase, stream, text)``
    records (``text`` of a WEIRD piece is ``(weird name, line, the worker's
    count of that weird so far)``), pickled one
    after another.  Consecutive writes of one tag and stream are one piece."""

    def __init__(self, f: BinaryIO) -> None:
        self.file = f
        self.tag = PRE
        self._key: tuple[int, int, int] | None = None
        self._parts: list[str] = []

    def write(self, stream: int, text: Any) -> None:
        if not text:
            return
        key = (*self.tag, stream)
        if stream != WEIRD and key == self._key:
            self._parts.append(text)
            return
        self.flush()
        if stream == WEIRD:
            pickle.dump((*self.tag, WEIRD, text), self.file, pickle.HIGHEST_PROTOCOL)
            return
        self._key = key
        self._parts = [text]

    def flush(self) -> None:
        if self._key is not None:
            pickle.dump((*self._key, "".join(self._parts)), self.file, pickle.HIGHEST_PROTOCOL)
            self._key = None
            self._parts = []


class SpoolStream(io.TextIOBase):
    """A text stream writing into one stream of a Spool."""

    def __init__(self, spool: Spool, stream: int) -> None:
        self.spool = spool
        self.stream = stream

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.spool.write(self.stream, text)
        return len(text)

    def isatty(self) -> bool:
        return False


def read_pieces(source: str | bytes) -> Iterator[tuple]:
    """The records of a spool: a file path or the bytes themselves."""
    f: BinaryIO = open(source, "rb") if isinstance(source, str) else io.BytesIO(source)
    with f:
        while True:
            try:
                yield pickle.load(f)
            except EOFError:
                return


class WorkerReport(Report):
    """A Report whose bad-input lines are pieces (the parent applies the
    per-weird message limit to the merged order) and which remembers when
    each layer appeared (the --stats order)."""

    def __init__(self, spool: Spool) -> None:
        super().__init__(SpoolStream(spool, STDERR))
        self.spool = spool
        self.layer_tags: dict[str, tuple[int, int]] = {}

    def bad_input(self, name: str, source: str, index: int, detail: str) -> None:
        count = self.weirds[name] = self.weirds[name] + 1
        if self.quiet_weirds:
            return
        if self.flush_output is not None:
            self.flush_output()
        from pcapprobe.errors import printable

        where = f"packet {index}: " if index else ""
        self.spool.write(WEIRD, (name, f"pcapprobe: {printable(source)}: {where}{detail}\n", count))

    def layer(self, name: str) -> Counts:
        if name not in self.layers:
            self.layer_tags[name] = self.spool.tag
        return super().layer(name)


@dataclass
class Share:
    """One worker's part of a run (picklable: it travels to the worker)."""

    request: Any  # api.RunRequest
    index: int
    count: int
    in_memory: bool = False  # a Dask worker: pieces come back as bytes
    check_paths: bool = False  # the program reads NFS paths (safety.reads_paths)


@dataclass
class ShareResult:
    index: int
    pieces: str | bytes
    aggregations: dict[str, dict]
    frames: int
    bytes: int
    layers: list[tuple[str, tuple[int, int], dict[str, int]]]
    weirds: dict[str, int]
    firings: dict[str, int]
    first_ts: int | None
    latest: int
    unseen: set[str] | None
    doubts: list[str] = field(default_factory=list)
    sessions: set = field(default_factory=set)
    paths: Any = None  # PathEvents, when the program reads NFS paths
    peak_rss_kb: int = 0
    cpu_seconds: float = 0.0


class SkippedClocks:
    """The clocks a frame runs before its own processing, in a single-process
    run, whoever's the frame is: the TCP layer's (time-wait ends, sweeps) on
    every TCP segment; the fragment timeout on every fragment (a doubt when
    it would fire at another partition's fragment)."""

    def __init__(self, pipeline: Pipeline, program: Any, doubts: list[str]) -> None:
        self.program = program
        layers = pipeline.layers
        # the TCP layer's module is imported only by a run that has one
        tcp_module = sys.modules.get("pcapprobe.flows.tcp")
        self.tcp = None if tcp_module is None else next(
            (f.__self__ for f in layers.finishers
             if isinstance(getattr(f, "__self__", None), tcp_module.TcpLayer)), None)
        self.frags = layers.ip.frags if layers.ip is not None else None
        self.doubts = doubts

    def tick(self, kind: int, ts: int) -> None:
        self._tick(kind, ts)
        if self.program.pending:
            self.program.flush()  # what the clocks fired, tagged with this frame

    def _tick(self, kind: int, ts: int) -> None:
        tcp = self.tcp
        if kind == partition.TCP and tcp is not None:
            if tcp.tracker is not None:
                tcp.tracker.clock(ts)
            elif ts >= tcp.next_clock:
                tcp._run_clocks(ts)
        elif kind in (partition.FRAGMENT, partition.TCP_FRAGMENT):
            if kind == partition.TCP_FRAGMENT and tcp is not None:
                self.doubts.append("a TCP segment of another partition came in IP fragments")
            frags = self.frags
            if frags is not None and frags.pending:
                oldest = next(iter(frags.pending.values()))
                if oldest.started < ts - frags.timeout_ns:
                    # the single run reports it amid this fragment's own
                    # firings, which are another worker's
                    self.doubts.append("an IP fragment timed out at another partition's packet")


def own_frames(frames: Iterator[Frame], share: Share, spool: Spool, clocks: SkippedClocks,
               seen: list[int]) -> Iterator[Frame]:
    """The frames of this worker's partition, tagging the spool with each
    frame's sequence number; ``seen[0]`` the latest time of any frame."""
    index, count = share.index, share.count
    partition_of = partition.partition_of
    python_tcp = clocks.tcp if clocks.tcp is not None and clocks.tcp.tracker is None else None
    seq = -1
    latest = -1
    try:
        for frame in frames:
            seq += 1
            ts = frame.ts_ns
            if ts > latest:
                latest = ts
            part, kind = partition_of(frame, count)
            if part == index:
                if kind == partition.TCP:
                    # the clocks first, as the TCP layer runs them: what they
                    # fire is told apart from what the segment fires
                    spool.tag = (seq, TICK)
                    clocks.tick(kind, ts)
                spool.tag = (seq, FRAME)
                yield frame
            elif kind and (kind != partition.TCP or python_tcp is None
                           or ts >= python_tcp.next_clock):
                # (a Python TCP layer's clock has nothing due before next_clock)
                spool.tag = (seq, TICK)
                clocks.tick(kind, ts)
            spool.tag = (seq, READ)
    finally:
        seen[0] = latest


def run_share(share: Share) -> ShareResult:
    """Run one partition (a process of the pool, or a Dask task)."""
    if share.in_memory:
        f: BinaryIO = io.BytesIO()
        path = None
    else:
        fd, path = tempfile.mkstemp(prefix="pcapprobe-share-", suffix=".spool")
        f = os.fdopen(fd, "wb")
    spool = Spool(f)
    try:
        result = _run(share, spool)
    except BaseException:
        f.close()
        if path is not None:
            os.unlink(path)
        raise
    spool.flush()
    if path is None:
        result.pieces = f.getvalue()  # type: ignore[attr-defined]
    else:
        f.close()
        result.pieces = path
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result.peak_rss_kb = usage.ru_maxrss
    if result.paths is not None:
        result.paths.spool = None  # not sent back
    result.cpu_seconds = usage.ru_utime + usage.ru_stime
    return result


def _run(share: Share, spool: Spool) -> ShareResult:
    from pcapprobe import api
    from pcapprobe.dlang import compile_program

    request = share.request
    out, err = SpoolStream(spool, STDOUT), SpoolStream(spool, STDERR)
    program = compile_program(api.load_sources(request.sources, request, io.StringIO()),
                              request.dopts, request.macro_args, out, err, notices=False,
                              json=request.output_format == "json")
    # dtrace's column header goes before the first record of the whole run:
    # the parent writes it (scale._replay)
    program.state.header_done = True
    count = share.count
    # Each worker's share of the bounded spaces: a worker that stays within
    # it proves the single-process run would not have dropped or evicted
    # (the others stay within theirs at the same packet).
    program.names["DYN"].limit //= count
    program.agg_space.left //= count
    doubts: list[str] = []
    _count_drops(program, doubts)
    options = dict(request.options)
    from pcapprobe.flows.budget import DEFAULT_STATE_SIZE

    options["state_size"] = options.get("state_size", DEFAULT_STATE_SIZE) // count
    report = WorkerReport(spool)
    env = Environment(stdout=out, stderr=err, stdin=io.BytesIO(), show_progress=False)
    inputs = api.Inputs(request.captures, env, report, request.selection)
    seen = [-1]
    first_ts = None
    # only worker 0 reports what reading the captures finds (every worker reads them)
    frames = inputs.selection.apply(merge(inputs.captures(quiet=share.index != 0)))
    hosts, frames = api.resolve_local(request.local, frames, program, env)
    ctx = RunContext(program, report, hosts, options)
    watch = _watch_paths(ctx, spool) if share.check_paths else None
    pipeline = Pipeline(ctx)
    unseen = api._watch_local(pipeline, hosts, program)
    first = next(frames, None)
    spool.tag = BEGIN
    program.begin(first.ts_ns if first is not None else 0)
    if first is not None:
        first_ts = first.ts_ns
        seen[0] = first_ts
        if not program.exited:
            clocks = SkippedClocks(pipeline, program, doubts)
            pipeline.run(own_frames(chain((first,), frames), share, spool, clocks, seen), program)
    spool.tag = FINISH
    pipeline.finish()
    if share.index == 0:
        inputs.close()
    _check_bounds(ctx, doubts)
    aggregations = {name: agg.data for name, agg in program.aggs.items()}
    provider = ctx.apps.get("iscsi")
    sessions = set(provider.sessions._by_key) if provider is not None else set()
    return ShareResult(
        share.index, "", aggregations, report.frames, report.bytes,
        [(name, report.layer_tags.get(name, PRE), dict(counts))
         for name, counts in report.layers.items()],
        dict(report.weirds), dict(report.firings), first_ts, seen[0],
        set(unseen) if hosts.explicit else None, doubts, sessions, watch)


def _count_drops(program: Any, doubts: list[str]) -> None:
    """Any drop (dynamic variables, aggregations, output) is a doubt: the
    single-process run's drops need not be the sum of the workers'."""
    drop = program.drop

    def counted(kind: str, n: int = 1) -> None:
        doubts.append(f"the D program had a {kind} drop")
        program.drop = drop  # once is enough
        drop(kind, n)

    program.drop = counted


def _check_bounds(ctx: RunContext, doubts: list[str]) -> None:
    """Whether this worker stayed within its share of the state budget."""
    if any(ctx.budget.evicted.values()):
        doubts.append("protocol state reached its share of --state-size")
    if ctx.budget.reassembly.refused:
        doubts.append("reassembly reached its share of --state-size")


_PATHS_LOCK = threading.Lock()


class PathEvents:
    """What one worker's NFS path map did, frame by frame: each handle's
    namings ``named[fh] = [(seq, (parent, name) or (None, root path)), ...]``
    (when the name changed), the frames at which a path walk read a handle
    (``resolved[fh] = [seq, ...]``) and the names a RENAME did not find here
    (``missed``).  ``parallel.paths_doubt`` replays them across workers."""

    def __init__(self, spool: Spool) -> None:
        self.spool = spool
        self.named: dict[bytes, list[tuple[int, tuple]]] = {}
        self.resolved: dict[bytes, list[int]] = {}
        self.missed: set[tuple[bytes, str]] = set()

    def name(self, fh: bytes, value: tuple) -> None:
        self.named.setdefault(fh, []).append((self.spool.tag[0], value))

    def read(self, fh: bytes) -> None:
        seqs = self.resolved.setdefault(fh, [])
        seq = self.spool.tag[0]
        if not seqs or seqs[-1] != seq:
            seqs.append(seq)


def _watch_paths(ctx: RunContext, spool: Spool) -> PathEvents:
    """The run's NFS path map, made one that records its PathEvents."""
    from pcapprobe.probes.translators import nfsv3, oncrpc

    events = PathEvents(spool)

    class WatchedPathMap(nfsv3.PathMap):
        def __init__(self, budget: Any = None) -> None:
            super().__init__(budget)
            self.loading = True  # --nfs-paths: every worker loads the same

        def root(self, fh: bytes, path: str) -> None:
            changed = self._names.get(fh) != (None, path)
            super().root(fh, path)
            if changed and not self.loading:
                events.name(fh, (None, path))

        def name(self, fh: bytes, parent: bytes, name: str) -> None:
            before = self._names.get(fh)
            super().name(fh, parent, name)
            after = self._names.get(fh)
            if after != before:
                events.name(fh, after)

        def rename(self, from_dir: bytes, from_name: str, to_dir: bytes, to_name: str) -> None:
            if (from_dir, from_name) not in self._children:
                events.missed.add((from_dir, from_name))
            super().rename(from_dir, from_name, to_dir, to_name)

        def path(self, fh: bytes) -> str:
            self._walked(fh)
            return super().path(fh)

        def export_of(self, fh: bytes) -> str | None:
            self._walked(fh)
            return super().export_of(fh)

        def _walked(self, fh: bytes) -> None:
            """Every handle a path of ``fh`` depends on, up to the first
            this map does not name (another worker may)."""
            names, node = self._names, fh
            for _ in range(nfsv3.MAX_DEPTH):
                events.read(node)
                entry = names.get(node)
                if entry is None or entry[0] is None:
                    return
                node = entry[0]

    with _PATHS_LOCK:
        saved = oncrpc.PathMap
        oncrpc.PathMap = WatchedPathMap  # type: ignore[misc]
        try:
            service = oncrpc.RpcService.of(ctx)
        finally:
            oncrpc.PathMap = saved  # type: ignore[misc]
    service.paths.loading = False
    return events
