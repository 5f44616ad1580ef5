"""nfsv4 provider throughput and memory: pcapprobe vs tshark's RPC SRT tap.

Generates an NFSv4.1-over-TCP capture of N packets (default 300,000) in
bench/out/ (EXCHANGE_ID, CREATE_SESSION, LOOKUPs, then SEQUENCE+PUTFH+READ,
SEQUENCE+PUTFH+WRITE and SEQUENCE+PUTFH+GETATTR COMPOUNDs of 4-32 KiB from
four clients), then measures in one run, as packets per second:
``pcapprobe run CAP -s nfsv4rwtime.d`` and ``-s nfsv4io.d`` (the seed scripts,
unchanged) and ``tshark -q -z rpc,srt,100003,4``; and pcapprobe's peak RSS on
the capture and on one 4x its size (memory must stay flat).  Rates are per
CPU second of each command, best of three (the machine may be shared).

Run: ``.venv/bin/python bench/nfs4_bench.py [--packets N] [--no-4x]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.gen import nfs as wire_gen  # noqa: E402
from fixtures.gen import nfs4 as gen  # noqa: E402
from _common import rpc_bench_main  # noqa: E402

SIZES = (4096, 8192, 8192, 16384, 32768)
FILE_SIZE = 1 << 20


def generate(packets: int, path: Path) -> int:
    """Write a capture of at least ``packets`` packets; return the exact count."""
    wire = wire_gen.Wire()
    fs = gen.Fs()
    x = gen.Xids(0x10000)
    conns = [wire.connect((f"192.0.2.{100 + i}", 900 + i), (wire_gen.SERVER, wire_gen.NFS_PORT))
             for i in range(4)]
    names = [f"file{i}" for i in range(8)]
    files = [fs.add(f"/export/{name}", FILE_SIZE) for name in names]
    for i, conn in enumerate(conns):
        lookups = [gen.compound(x(), [gen.sequence(1), gen.putrootfh(), gen.lookup("export"),
                                      gen.lookup(names[j]), gen.getfh(files[j])], minor=1)
                   for j in range(i, 8, 4)]
        gen.exchange(conn, lookups)
    sid = gen.stateid(1, 7)
    step = 0
    while len(wire.records) < packets:
        conn = conns[step % 4]
        fh = files[step % 8]
        size = SIZES[step % len(SIZES)]
        offset = (step * 4096) % FILE_SIZE
        if step % 10 == 9:
            op = gen.getattr_(FILE_SIZE)
        elif step % 3 == 2:
            op = gen.write(sid, offset, bytes(size))
        else:
            op = gen.read(sid, offset, size, FILE_SIZE)
        pair = gen.compound(x(), [gen.sequence(step + 2, slot=step % 16), gen.putfh(fh), op],
                            minor=1)
        gen.exchange(conn, [pair], latency_ns=60_000 + (step % 13) * 90_000)
        step += 1
    for conn in conns:
        conn.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(wire.pcap())
    return len(wire.records)


def main() -> None:
    rpc_bench_main(__file__, __doc__.splitlines()[0], generate, "nfs4", wire_gen.SERVER,
                   ("nfsv4rwtime.d", "nfsv4io.d"), "rpc,srt,100003,4", "nfsv4io.d")


if __name__ == "__main__":
    main()
