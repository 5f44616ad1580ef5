"""The parent of a partitioned run: start the shares, check, merge (see pcapprobe.scale)."""

from __future__ import annotations

import dataclasses
import heapq
import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from pcapprobe.errors import PcapProbeError
from pcapprobe.report import MAX_MESSAGES_PER_WEIRD, Counts, Report
from pcapprobe.scale import AUTO, SMALL_INPUT, default_jobs
from pcapprobe.scale.worker import (
    FINISH, PRE, STDERR, STDOUT, TICK, WEIRD, Share, ShareResult, read_pieces, run_share,
)


def feed(request: Any, program: Any, report: Report, env: Any) -> bool:
    """Run the captures partitioned; False when the run is left to one process."""
    from pcapprobe.api import expand_directories
    from pcapprobe.scale import safety  # the D compiler's passes: only for a run

    jobs, dask = request.jobs, request.dask
    if dask is None and jobs == 1:
        return False
    if "-" in request.captures:
        if jobs != AUTO or dask is not None:
            env.stderr.write("pcapprobe: running in one process: standard input is read once\n")
        return False
    paths = expand_directories(request.captures)
    asked = jobs != AUTO or dask is not None  # else the default: it promises nothing
    if not asked:
        # one file is read by the C scanner in one process (several are
        # merged in Python): partitions pay off only for several (README
        # "Scale-out": cost model)
        jobs = default_jobs()
        if jobs == 1 or len(paths) < 2 or sum(_size(p) for p in paths) < SMALL_INPUT:
            return False
    reason = None if request.jobs_unsafe else safety.why_unsafe(program)
    if reason is not None:
        if asked:
            env.stderr.write(f"pcapprobe: running in one process: {reason}\n")
        return False
    executor = DaskShares(dask, jobs) if dask is not None else LocalShares(jobs, program)
    count = executor.count
    # the request travels to the workers: without the cluster's client
    shipped = dataclasses.replace(request, dask=None)
    shares = [Share(shipped, i, count, in_memory=executor.remote,
                    check_paths=safety.reads_paths(program)) for i in range(count)]
    try:
        results = executor.run(shares)
    except PcapProbeError:
        return False  # the one-process run reports it where it happens
    try:
        doubt = None if request.jobs_unsafe else _doubt(results)
        if doubt is not None:
            env.stderr.write(f"pcapprobe: ran again in one process: {doubt}\n")
            return False
        _replay(results, program, report, env, request.local)
        _trace_workers(results)
    finally:
        for result in results:
            if isinstance(result.pieces, str):
                os.unlink(result.pieces)
    return True


def _trace_workers(results: list[ShareResult]) -> None:
    """bench/scale_bench.py: each worker's frames and peak RSS, as JSON lines
    appended to the file PCAPPROBE_SCALE_TRACE names (when it does)."""
    path = os.environ.get("PCAPPROBE_SCALE_TRACE")
    if not path:
        return
    import json

    with open(path, "a", encoding="utf-8") as f:
        for result in results:
            f.write(json.dumps({"worker": result.index, "frames": result.frames,
                                "peak_rss_kib": result.peak_rss_kb,
                                "cpu_seconds": result.cpu_seconds}) + "\n")


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


# -- executors ---------------------------------------------------------------


class LocalShares:
    """The shares on this machine's cores: one process each."""

    remote = False

    def __init__(self, jobs: int, program: Any) -> None:
        self.count = jobs
        self.program = program

    def run(self, shares: Sequence[Share]) -> list[ShareResult]:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # fork is the cheapest start (the program is compiled, the modules
        # imported); with other threads running a forked child could inherit
        # a held lock, so then a fork server starts them
        method = "fork" if threading.active_count() == 1 else "forkserver"
        if method == "fork":
            _import_layers(self.program)
        context = multiprocessing.get_context(method)
        with ProcessPoolExecutor(len(shares), mp_context=context) as pool:
            futures = [pool.submit(run_share, share) for share in shares]
            failed = next((f.exception() for f in futures if f.exception() is not None), None)
        if failed is not None:
            for future in futures:  # the spools of the workers that finished
                if future.exception() is None:
                    os.unlink(future.result().pieces)
            raise failed
        return [future.result() for future in futures]


def _import_layers(program: Any) -> None:
    """Import what the program's layers import (translators, applications)
    once, here, rather than in every forked worker."""
    import io

    from pcapprobe.pipeline import RunContext, build_layers

    build_layers(RunContext(program, Report(io.StringIO())))


CONNECT_TIMEOUT = "10s"  # --dask ADDRESS: how long to wait for the scheduler


class DaskShares:
    """The shares as tasks of a dask.distributed cluster: ``local`` (a
    LocalCluster of ``jobs`` processes), a scheduler address, or a Client."""

    remote = True

    def __init__(self, dask: Any, jobs: int) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise PcapProbeError("--dask needs dask.distributed: pip install "
                                 "'pcapprobe[dask]'") from None
        self._own: list[Any] = []
        if isinstance(dask, str):
            if dask == "local":
                cluster = LocalCluster(n_workers=jobs if jobs != AUTO else default_jobs(),
                                       threads_per_worker=1, processes=True,
                                       dashboard_address=None)
                self._own.append(cluster)
                client = Client(cluster)
            else:
                try:
                    client = Client(dask, timeout=CONNECT_TIMEOUT)
                except (OSError, TimeoutError) as exc:
                    raise PcapProbeError(f"--dask {dask}: cannot reach the scheduler: "
                                         f"{exc}") from None
            self._own.insert(0, client)
        else:
            client = dask  # a Client the caller made (the Python API)
        self.client = client
        workers = len(client.scheduler_info().get("workers", {})) or 1
        self.count = jobs if jobs not in (AUTO, 1) else workers

    def run(self, shares: Sequence[Share]) -> list[ShareResult]:
        try:
            futures = self.client.map(run_share, list(shares), pure=False)
            return list(self.client.gather(futures))
        finally:
            for owned in self._own:
                owned.close()


# -- merging -----------------------------------------------------------------


def _doubt(results: list[ShareResult]) -> str | None:
    """Why the merged result might not be the single-process one, or None."""
    for result in results:
        if result.doubts:
            return result.doubts[0]
    seen: dict[Any, int] = {}
    for result in results:
        for key in result.sessions:
            if seen.setdefault(key, result.index) != result.index:
                return "an iSCSI session has connections in two partitions"
    if any(r.paths is not None for r in results) and paths_doubt([r.paths for r in results]):
        return "an NFS path was learned in one partition and used in another"
    # clocks run by one frame in two workers: their firings interleave in
    # the single run by expiry, which the pieces do not keep
    ticking: dict[int, int] = {}
    finishing = set()
    for result in results:
        for seq, phase, _stream, _text in read_pieces(result.pieces):
            if seq == FINISH[0]:
                finishing.add(result.index)
            elif seq >= 0 and phase == TICK \
                    and ticking.setdefault(seq, result.index) != result.index:
                return "clocks of two partitions fired at the same packet"
    if len(finishing) > 1:
        return "two partitions printed at the end of the capture"
    weirds = _merged_counts(r.weirds for r in results)
    lines = _weird_lines(results)
    alone = _counted_alone(results)
    for name, total in weirds.items():
        if total > MAX_MESSAGES_PER_WEIRD and lines.get(name, 0) != total and name not in alone:
            return f"'{name}' was counted without a message past its message limit"
    return None


def paths_doubt(events: list[Any]) -> bool:
    """Whether some worker resolved a handle while the namings of every
    worker so far (the single run's path map) differed from its own."""
    import bisect

    handles = set().union(*(e.named for e in events))
    for fh in handles:
        every = sorted((seq, w, value) for w, e in enumerate(events)
                       for seq, value in e.named.get(fh, ()))
        every_seqs = [seq for seq, _w, _v in every]
        for w, e in enumerate(events):
            own = [(seq, value) for seq, value in e.named.get(fh, ())]
            own_seqs = [seq for seq, _v in own]
            for seq in e.resolved.get(fh, ()):
                i = bisect.bisect_left(every_seqs, seq)
                j = bisect.bisect_left(own_seqs, seq)
                run_value = every[i - 1][2] if i else None
                own_value = own[j - 1][1] if j else None
                if run_value != own_value:
                    return True
    for w, e in enumerate(events):
        for key in e.missed:
            if any(value == key for o, other in enumerate(events) if o != w
                   for namings in other.named.values() for _seq, value in namings):
                return True
    return False


def _merged_counts(counts: Iterator[dict[str, int]]) -> Counts:
    merged = Counts()
    for c in counts:
        for name, n in c.items():
            merged[name] += n
    return merged


def _weird_lines(results: list[ShareResult]) -> Counts:
    lines = Counts()
    for seq, _phase, stream, text in _pieces(results):
        if stream == WEIRD:
            lines[text[0]] += 1
    return lines


def _counted_alone(results: list[ShareResult]) -> set[str]:
    """The weirds only one worker counted: its own count is the run's."""
    owners: dict[str, set[int]] = {}
    for result in results:
        for name, n in result.weirds.items():
            if n:
                owners.setdefault(name, set()).add(result.index)
    return {name for name, who in owners.items() if len(who) == 1}


def _pieces(results: list[ShareResult]) -> Iterator[tuple]:
    """Every worker's pieces in single-process order: worker 0's before the
    first frame (each worker read the same records; only its reading is
    reported), then all frames' by (sequence, phase), then the end's."""
    first = results[0]
    for piece in read_pieces(first.pieces):
        if piece[0] == PRE[0]:
            yield piece
    streams = [(p for p in read_pieces(r.pieces) if p[0] >= 0) for r in results]
    yield from heapq.merge(*streams, key=lambda p: (p[0], p[1]))


def _replay(results: list[ShareResult], program: Any, report: Report, env: Any,
            local: Sequence[str]) -> None:
    """Write the merged output, fire BEGIN where it fires, merge the state."""
    out, err = env.stdout, env.stderr
    messages = Counts()
    alone = _counted_alone(results)

    def weird(name: str, line: str, counted: int) -> None:
        # a weird one worker counted alone has that worker's count; others
        # count their messages in the merged order
        count = messages[name] = counted if name in alone else messages[name] + 1
        if count <= MAX_MESSAGES_PER_WEIRD:
            err.write(line)
        elif count == MAX_MESSAGES_PER_WEIRD + 1:
            err.write(f"pcapprobe: further '{name}' messages suppressed\n")

    state = program.state
    first_ts = next((r.first_ts for r in results if r.first_ts is not None), None)
    begun = False
    for seq, _phase, stream, text in _pieces(results):
        if not begun and seq >= 0:
            program.begin(first_ts if first_ts is not None else 0)
            begun = True
        if stream == STDOUT:
            if seq >= 0 and not state.header_done and not state.quiet:
                state.record(out.write, "")  # the header, before the first record
            out.write(text)
        elif stream == STDERR:
            err.write(text)
        else:
            weird(*text)
    if not begun:
        program.begin(first_ts if first_ts is not None else 0)
    for name, agg in program.aggs.items():
        for result in results:
            data = result.aggregations.get(name)
            if data:
                agg.merge(data)
    latest = max(r.latest for r in results)
    if latest >= 0 and not program.exited:
        program.advance(latest)
    _merge_report(results, report)
    unseen = [r.unseen for r in results if r.unseen is not None]
    if unseen:
        still = set.intersection(*unseen)
        from pcapprobe.api import _warn_unseen

        _warn_unseen(local, still, env)


def _merge_report(results: list[ShareResult], report: Report) -> None:
    layers = sorted(((tag, result.index, i, name, counts)
                     for result in results
                     for i, (name, tag, counts) in enumerate(result.layers)),
                    key=lambda item: item[:3])
    for _tag, _index, _i, name, counts in layers:
        layer = report.layer(name)
        for key, n in counts.items():
            layer[key] += n
    for result in results:
        report.frames += result.frames
        report.bytes += result.bytes
        for key, n in result.weirds.items():
            report.weirds[key] += n
        for key, n in result.firings.items():
            report.firings[key] += n
