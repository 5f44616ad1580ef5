"""Peak memory on hostile captures: the state budget (--state-size) at work.

Generates (into bench/out/, streaming: fixtures/gen/hostile.py) captures of
1M and 4M packets mixing a SYN scan, never-closed connections, one-sided
NFS and iSCSI, NFS/UDP from many client ports, endless new file handles and
overlapping fragments, and measures pcapprobe's peak RSS on each with every
provider enabled, then with each provider alone.  Targets: under 256 MB at
4M packets, and less than 1.3x growth from 1M to 4M.

Run: ``nice .venv/bin/python bench/memory_bench.py [--sizes 1000000 4000000]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, _run_once  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SERVER = "192.0.2.10"
ALL = "ip:::,tcp:::,udp:::,iscsi:::,nfsv3:::,nfsv4:::,fc:::,srp:::,io:::"
PROVIDERS = ("ip", "tcp", "udp", "iscsi", "nfsv3")  # the ones a capture fires
TARGET_MB = 256
TARGET_GROWTH = 1.3


def capture(packets: int) -> Path:
    path = OUT / f"hostile-{packets}.pcap"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "fixtures.gen.hostile", str(path), str(packets)],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return path


def program(probes: str) -> str:
    # an aggregation with few keys: the D state stays small, the protocol
    # state is what is measured
    return f"{probes} {{ @[probeprov, probename] = count(); }}"


def peak_mb(path: Path, probes: str) -> float:
    cmd = [sys.executable, "-m", "pcapprobe", "run", str(path), "--local", SERVER, "-q",
           "-n", program(probes)]
    label = f"{path.name} {probes}"
    _, rss_kib = _run_once(label, cmd)
    sys.stderr.write(f"{label}: peak {rss_kib / 1024:.0f} MB\n")
    return rss_kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 4_000_000])
    parser.add_argument("--only", nargs="*", help="probe sets to run (all, ip, tcp, ...)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="runs at once (each peak is its own process's)")
    opts = parser.parse_args()
    sets = {"all": ALL, **{p: f"{p}:::" for p in PROVIDERS}}
    if opts.only:
        sets = {k: v for k, v in sets.items() if k in opts.only}
    paths = [capture(size) for size in opts.sizes]
    with ThreadPoolExecutor(opts.jobs) as pool:
        peaks = {(name, path): pool.submit(peak_mb, path, probes)
                 for path in paths for name, probes in sets.items()}
    rows = {name: [peaks[name, path].result() for path in paths] for name in sets}
    head = " | ".join(f"{size // 1_000_000}M packets" for size in opts.sizes)
    print(f"| providers | {head} | growth |")
    print("|---|" + "---|" * (len(opts.sizes) + 1))
    for name, peaks in rows.items():
        growth = f"{peaks[-1] / peaks[0]:.2f}x" if len(peaks) > 1 else ""
        cells = " | ".join(f"{mb:.0f} MB" for mb in peaks)
        print(f"| {name} | {cells} | {growth} |")
    worst = max(peaks[-1] for peaks in rows.values())
    print(f"largest peak {worst:.0f} MB (target < {TARGET_MB} MB at the largest size)")


if __name__ == "__main__":
    main()
