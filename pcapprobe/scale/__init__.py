"""Scale-out: a run partitioned by flow over local processes or Dask workers.

``feed(request, program, report, env)`` does what ``api._feed`` does (BEGIN,
every frame, the layers' end) with ``request.jobs`` workers, or returns False
to leave the run to one process: a run of one job, a small input under the
default, standard input, or a program that the analysis (``safety``) or the
workers' checks (``worker.ShareResult.doubts`` and ``parallel._doubt``)
cannot prove gives the single-process output; the last two say why in one
line when --jobs or --dask was asked for.

Every worker reads every capture and runs its partition (``partition``,
``worker``); the parent (``parallel``) merges their output pieces in frame
order, their aggregations (``Aggregation.merge``) and counts into its own
program and report, so ``api.execute`` then fires END as after a
single-process run.  docs/architecture.md "Scale-out" states the contract.
"""

from __future__ import annotations

import os
from typing import Any

from pcapprobe.errors import UsageError

AUTO = 0  # --jobs default: the number of cores, for inputs worth it
# Below this many bytes of capture an automatic run stays in one process:
# starting workers costs more than it saves (README "Scale-out": cost model).
SMALL_INPUT = 64 << 20


def default_jobs() -> int:
    return os.cpu_count() or 1


def parse_jobs(text: str | int | None) -> int:
    """--jobs N (1 and up); AUTO for the default."""
    if text is None or text == "auto":
        return AUTO
    try:
        jobs = int(text)
    except ValueError:
        raise UsageError(f"--jobs: '{text}' is not a number of workers") from None
    if jobs < 1:
        raise UsageError(f"--jobs: {jobs}: at least 1 worker")
    return jobs


def feed(request: Any, program: Any, report: Any, env: Any) -> bool:
    """Run the captures partitioned; False when the run is left to one process
    (``parallel.feed``)."""
    if request.dask is None and request.jobs == 1:
        return False
    from pcapprobe.scale import parallel

    return parallel.feed(request, program, report, env)
