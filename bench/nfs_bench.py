"""nfsv3 provider throughput and memory: pcapprobe vs tshark's RPC SRT tap.

Generates an NFSv3-over-TCP capture of N packets (default 300,000) in bench/out/
(MOUNT, LOOKUPs, then a mix of 4-32 KiB READs and WRITEs from four clients,
several RPCs per segment at times), then measures in one run, as packets per
second: ``pcapprobe run CAP -s nfsv3io.d`` and ``-s nfsv3rwtime.d`` (the seed
scripts, unchanged) and ``tshark -q -z rpc,srt,100003,3``; and pcapprobe's peak
RSS on the capture and on one 4x its size (memory must stay flat).  Rates are
per CPU second of each command (the machine may be shared).

Run: ``.venv/bin/python bench/nfs_bench.py [--packets N] [--no-4x]``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.gen import nfs as gen  # noqa: E402
from _common import OUT, SCRIPTS, generate_apart, measure  # noqa: E402

SIZES = (4096, 8192, 8192, 16384, 32768)


def generate(packets: int, path: Path) -> int:
    """Write a capture of at least ``packets`` packets; return the exact count."""
    wire = gen.Wire()
    fs = gen.Server()
    rpc = gen.Rpc()
    gen.udp_exchange(wire, (gen.CLIENT, 800), (gen.SERVER, gen.MOUNT_PORT),
                     [rpc.mount(1, fs.mnt("/export"))])
    files = [fs.add(fs.root_fh, f"file{i}", size=1 << 20) for i in range(8)]
    conns = [wire.connect((f"192.0.2.{100 + i}", 900 + i), (gen.SERVER, gen.NFS_PORT))
             for i in range(4)]
    for i, conn in enumerate(conns):
        gen.exchange(conn, [rpc.nfs(gen.LOOKUP, fs.lookup(fs.root_fh, f"file{j}"))
                            for j in range(i, 8, 4)], batch=2)
    n = 0
    step = 0
    while len(wire.records) < packets:
        conn = conns[step % 4]
        fh = files[step % 8]
        size = SIZES[step % len(SIZES)]
        offset = (step * 4096) % (1 << 20)
        if step % 3 == 2:
            pair = rpc.nfs(gen.WRITE, fs.write(fh, offset, bytes(size)))
        else:
            pair = rpc.nfs(gen.READ, fs.read(fh, offset, size))
        if step % 10 == 0:
            gen.exchange(conn, [pair, rpc.nfs(gen.GETATTR, fs.getattr(fh))], batch=2,
                         latency_ns=60_000 + (step % 7) * 40_000)
        else:
            gen.exchange(conn, [pair], latency_ns=60_000 + (step % 13) * 90_000)
        step += 1
        n += 1
    for conn in conns:
        conn.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(wire.pcap())
    return len(wire.records)


def pcapprobe(capture: Path, script: str) -> list[str]:
    return [sys.executable, "-m", "pcapprobe", "run", str(capture), "--local", gen.SERVER,
            "-s", str(SCRIPTS / script)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=300_000)
    parser.add_argument("--no-4x", action="store_true", help="skip the 4x memory run")
    parser.add_argument("--generate-only", metavar="PATH", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.generate_only:
        print(generate(opts.packets, Path(opts.generate_only)))
        return
    capture = OUT / f"nfs-{opts.packets}.pcap"
    count = generate_apart(__file__, opts.packets, capture)
    print(f"capture: {capture} ({count} packets, {capture.stat().st_size >> 20} MiB)")
    rates = {}
    for script in ("nfsv3io.d", "nfsv3rwtime.d"):
        seconds, rss = measure(f"pcapprobe {script}", pcapprobe(capture, script))
        rates[script] = count / seconds
        print(f"pcapprobe -s {script:14} {seconds:7.2f} s CPU {count / seconds:10,.0f} pkt/s "
              f"peak RSS {rss >> 10} MiB")
    if shutil.which("tshark"):
        seconds, rss = measure("tshark", ["tshark", "-r", str(capture), "-q", "-z", "rpc,srt,100003,3"])
        print(f"tshark -z rpc,srt,100003,3 {seconds:7.2f} s CPU {count / seconds:10,.0f} pkt/s "
              f"peak RSS {rss >> 10} MiB")
        for script, rate in rates.items():
            print(f"ratio {script}: {rate / (count / seconds):.2f}x tshark")
    if not opts.no_4x:
        big = OUT / f"nfs-{opts.packets * 4}.pcap"
        big_count = generate_apart(__file__, opts.packets * 4, big)
        seconds, rss = measure("pcapprobe 4x", pcapprobe(big, "nfsv3io.d"))
        print(f"4x ({big_count} packets) nfsv3io.d {seconds:7.2f} s CPU "
              f"{big_count / seconds:10,.0f} pkt/s peak RSS {rss >> 10} MiB")
        big.unlink()


if __name__ == "__main__":
    main()
