"""Scale-out: wall time of --jobs 1, --jobs 2 and --dask local on a capture set.

Generates (once, in bench/out/) an NFSv3 capture of N packets (default
4,000,000) from 64 clients, split into 16 rotated files, and runs
``pcapprobe run DIR`` with one aggregating NFS program (partition-safe) as
``--jobs 1``, ``--jobs 2`` and ``--dask local --jobs 2``; prints each run's
wall time, the speedups over --jobs 1, the CPU seconds of all processes, each
worker's peak RSS (pcapprobe writes it where PCAPPROBE_SCALE_TRACE says), and
the load average before and after (the machine may be shared: wall-clock
speedups are only meaningful on idle cores, so the CPU figures are printed too:
the ideal speedup is the single run's CPU over the busiest worker's).
The outputs of the three runs must be identical.

Run: ``.venv/bin/python bench/scale_bench.py [--packets N] [--files 16] [--repeat 1]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import OUT, command_env  # noqa: E402

PROGRAM = ("nfsv3:::op-read-done, nfsv3:::op-write-done, nfsv3:::op-getattr-done "
           "{ @ops[probename, args[0]->ci_remote] = count(); "
           "@lat[probename] = quantize(args[1]->noi_xid & 0xffff); }")


def generate(packets: int, files: int, directory: Path) -> None:
    from fixtures.gen import nfs_capture_set

    nfs_capture_set.write_set(directory, files, packets, clients=64)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(label: str, directory: Path, flags: list[str]) -> tuple[float, float, list[dict], str]:
    """(wall seconds, CPU seconds of every process, the workers' records, stdout)."""
    trace = Path(tempfile.mkstemp(prefix="scale-trace-")[1])
    env = dict(command_env(), PCAPPROBE_SCALE_TRACE=str(trace))
    cmd = [sys.executable, "-m", "pcapprobe", "run", "-q", "--local", "all", *flags,
           "-n", PROGRAM, str(directory)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{label} failed: {done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    workers = [json.loads(line) for line in trace.read_text().splitlines()]
    trace.unlink()
    return wall, cpu, workers, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=4_000_000)
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best counts")
    parser.add_argument("--no-dask", action="store_true")
    opts = parser.parse_args()
    directory = OUT / f"scale-{opts.packets}-{opts.files}"
    if not (directory / "done").exists():
        print(f"generating {opts.packets} packets in {opts.files} files under {directory}")
        generate(opts.packets, opts.files, directory)
        (directory / "done").write_text("")
    size = sum(p.stat().st_size for p in directory.glob("*.pcap"))
    print(f"capture set: {directory} ({opts.files} files, {size >> 20} MiB)")
    configs = [("--jobs 1", ["--jobs", "1"]), ("--jobs 2", ["--jobs", "2"])]
    if not opts.no_dask:
        configs.append(("--dask local --jobs 2", ["--dask", "local", "--jobs", "2"]))
    results = {}
    outputs = set()
    for label, flags in configs:
        best = None
        for _ in range(opts.repeat):
            load_before = load()
            wall, cpu, workers, out = run(label, directory, flags)
            outputs.add(out)
            if best is None or wall < best[0]:
                best = (wall, cpu, workers, load_before, load())
        results[label] = best
        wall, cpu, workers, lb, la = best
        rss = ", ".join(f"{w['peak_rss_kib'] >> 10} MiB" for w in workers) or "-"
        busiest = max((w["cpu_seconds"] for w in workers), default=cpu)
        results[label] = (*best, busiest)
        print(f"{label:22} {wall:8.1f} s wall {cpu:8.1f} s CPU (all processes), busiest worker "
              f"{busiest:6.1f} s CPU, worker peak RSS: {rss}; load {lb} -> {la}")
    one, one_cpu = results["--jobs 1"][0], results["--jobs 1"][1]
    for label, (wall, *_rest, busiest) in results.items():
        if label != "--jobs 1":
            print(f"speedup {label}: {one / wall:.2f}x wall; on idle cores at most "
                  f"{one_cpu / busiest:.2f}x (--jobs 1 CPU / busiest worker's CPU)")
    print("outputs identical" if len(outputs) == 1 else "OUTPUTS DIFFER")


if __name__ == "__main__":
    main()
