"""What every bench shares: running a command and measuring its CPU time and
peak RSS (best of three runs), and generating a capture in a child process.

CPU time is inflated far less than wall time when other work shares the
machine; wall time goes to stderr for reference.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
# the seed scripts, verbatim (the golden tests run the same copies)
SCRIPTS = Path(__file__).resolve().parent.parent / "pcapprobe" / "scripts"


def command_env() -> dict[str, str]:
    """The measured commands' environment: pcapprobe runs from cached bytecode,
    as an installed copy does (pip writes .pyc files).  An inherited
    PYTHONDONTWRITEBYTECODE would make every start recompile the sources, which
    no user pays; the cache lives in bench/out/."""
    env = dict(os.environ, HOME="/tmp", PYTHONPYCACHEPREFIX=str(OUT / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


# Every command runs this many times and its least CPU time counts: other work
# on a shared machine only ever adds time, to pcapprobe and tshark alike.
REPEAT = 3


def measure(label: str, cmd: list[str], repeat: int = REPEAT) -> tuple[float, int]:
    """The least CPU seconds of ``repeat`` runs of a command (output discarded)
    and its largest peak RSS (KiB)."""
    best, peak = float("inf"), 0
    for _ in range(repeat):
        cpu, rss = _run_once(label, cmd)
        best, peak = min(best, cpu), max(peak, rss)
    return best, peak


def _run_once(label: str, cmd: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=command_env())
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"failed ({status}): {' '.join(cmd)}")
    cpu = usage.ru_utime + usage.ru_stime
    sys.stderr.write(f"{label}: {cpu:.2f} s CPU, {elapsed:.2f} s wall\n")
    return cpu, usage.ru_maxrss


def generate_apart(bench: str, packets: int, path: Path) -> int:
    """Run ``bench --generate-only`` in a child process (a forked child's peak
    RSS counts the parent's pages, so the measuring process must stay small);
    returns the packet count it prints last."""
    out = subprocess.run([sys.executable, bench, "--packets", str(packets),
                          "--generate-only", str(path)], check=True, capture_output=True,
                         text=True).stdout
    return int(out.split()[-1])


def profile(argv: list[str]) -> None:
    """``pcapprobe ARGV`` in-process under cProfile; the top functions by internal time."""
    import cProfile
    import io
    import pstats

    from pcapprobe.cli import main as cli_main
    from pcapprobe.env import Environment

    env = Environment(io.StringIO(), io.StringIO(), io.BytesIO(), False)
    prof = cProfile.Profile()
    prof.enable()
    cli_main(argv, env)
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(30)


def rpc_bench_main(bench: str, description: str, generate: Callable[[int, Path], int],
                   name: str, server: str, scripts: tuple[str, ...], tap: str, big_script: str) -> None:
    """The NFS benches' command line: generate the capture apart, run each
    seed script and ``tshark -q -z tap`` (best of three, CPU), print the
    ratios, then peak RSS on a capture four times longer (unless --no-4x)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--packets", type=int, default=300_000)
    parser.add_argument("--no-4x", action="store_true", help="skip the 4x memory run")
    parser.add_argument("--generate-only", metavar="PATH", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.generate_only:
        print(generate(opts.packets, Path(opts.generate_only)))
        return

    def pcapprobe(capture: Path, script: str) -> list[str]:
        return ["nice", sys.executable, "-m", "pcapprobe", "run", str(capture), "--local", server,
                "-s", str(SCRIPTS / script)]

    capture = OUT / f"{name}-{opts.packets}.pcap"
    count = generate_apart(bench, opts.packets, capture)
    print(f"capture: {capture} ({count} packets, {capture.stat().st_size >> 20} MiB)")
    rates = {}
    for script in scripts:
        seconds, rss = measure(f"pcapprobe {script}", pcapprobe(capture, script))
        rates[script] = count / seconds
        print(f"pcapprobe -s {script:14} {seconds:7.2f} s CPU {count / seconds:10,.0f} pkt/s "
              f"peak RSS {rss >> 10} MiB")
    if shutil.which("tshark"):
        seconds, rss = measure("tshark", ["nice", "tshark", "-r", str(capture), "-q", "-z", tap])
        print(f"tshark -z {tap} {seconds:7.2f} s CPU {count / seconds:10,.0f} pkt/s "
              f"peak RSS {rss >> 10} MiB")
        for script, rate in rates.items():
            print(f"ratio {script}: {rate / (count / seconds):.2f}x tshark")
    if not opts.no_4x:
        big = OUT / f"{name}-{opts.packets * 4}.pcap"
        big_count = generate_apart(bench, opts.packets * 4, big)
        seconds, rss = measure("pcapprobe 4x", pcapprobe(big, big_script))
        print(f"4x ({big_count} packets) {big_script} {seconds:7.2f} s CPU "
              f"{big_count / seconds:10,.0f} pkt/s peak RSS {rss >> 10} MiB")
        big.unlink()
