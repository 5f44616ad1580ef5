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

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.gen import nfs as gen  # noqa: E402
from _common import rpc_bench_main  # noqa: E402

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


def main() -> None:
    rpc_bench_main(__file__, __doc__.splitlines()[0], generate, "nfs", gen.SERVER,
                   ("nfsv3io.d", "nfsv3rwtime.d"), "rpc,srt,100003,3", "nfsv3io.d")


if __name__ == "__main__":
    main()
