"""tcp provider throughput: tcpio.d-style printf and a keyed tcp:::receive count,
against ``tshark -q -z conv,tcp`` on the same capture, in one run.

Reuses bench/ip_bench.py's 1,000,000-packet mixed capture (generated into
bench/out/ when missing) and measures, as packets per second:

  (a) ``pcapprobe run CAP --local all -q -s tcpio.d`` (a printf per segment);
  (b) ``pcapprobe run CAP --local all -q -n 'tcp:::receive { @[args[4]->tcp_dport] = count(); }'``;
  (c) ``tshark -q -n -z conv,tcp``.

Rates are per CPU second of each command (the machine may be shared).

Run: ``.venv/bin/python bench/tcp_bench.py [--packets N]``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, SCRIPTS, measure  # noqa: E402
from ip_bench import generate  # noqa: E402

COUNT = "tcp:::receive { @[args[4]->tcp_dport] = count(); }"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=1_000_000)
    args = parser.parse_args()
    cap = OUT / f"mixed-{args.packets}.pcap"
    if not cap.exists():
        generate(cap, args.packets)
    run = [sys.executable, "-m", "pcapprobe", "run", str(cap), "--local", "all", "-q"]
    results = {
        "a": measure("(a) tcpio.d", run + ["-s", str(SCRIPTS / "tcpio.d")])[0],
        "b": measure("(b) tcp:::receive count", run + ["-n", COUNT])[0],
    }
    if shutil.which("tshark"):
        results["c"] = measure("(c) tshark conv,tcp", ["tshark", "-q", "-n", "-r", str(cap),
                                                       "-z", "conv,tcp"])[0]
    n = args.packets
    for key, label in (("a", "tcpio.d"), ("b", "count"), ("c", "tshark")):
        if key in results:
            print(f"({key}) {label:8s} {n / results[key]:12,.0f} packets/s  ({results[key]:.2f} s CPU)")
    if "c" in results:
        for key in ("a", "b"):
            print(f"({key}) is {results['c'] / results[key]:.2f}x the speed of tshark (target >= 3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
