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

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.gen import nfs as wire_gen  # noqa: E402
from fixtures.gen import nfs4 as gen  # noqa: E402
from _common import OUT, SCRIPTS, generate_apart, measure  # noqa: E402

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


def pcapprobe(capture: Path, script: str) -> list[str]:
    return ["nice", sys.executable, "-m", "pcapprobe", "run", str(capture), "--local",
            wire_gen.SERVER, "-s", str(SCRIPTS / script)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=300_000)
    parser.add_argument("--no-4x", action="store_true", help="skip the 4x memory run")
    parser.add_argument("--generate-only", metavar="PATH", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.generate_only:
        print(generate(opts.packets, Path(opts.generate_only)))
        return
    capture = OUT / f"nfs4-{opts.packets}.pcap"
    count = generate_apart(__file__, opts.packets, capture)
    print(f"capture: {capture} ({count} packets, {capture.stat().st_size >> 20} MiB)")
    rates = {}
    for script in ("nfsv4rwtime.d", "nfsv4io.d"):
        seconds, rss = measure(f"pcapprobe {script}", pcapprobe(capture, script))
        rates[script] = count / seconds
        print(f"pcapprobe -s {script:14} {seconds:7.2f} s CPU {count / seconds:10,.0f} pkt/s "
              f"peak RSS {rss >> 10} MiB")
    if shutil.which("tshark"):
        seconds, rss = measure("tshark", ["nice", "tshark", "-r", str(capture), "-q", "-z",
                                          "rpc,srt,100003,4"])
        print(f"tshark -z rpc,srt,100003,4 {seconds:7.2f} s CPU {count / seconds:10,.0f} pkt/s "
              f"peak RSS {rss >> 10} MiB")
        for script, rate in rates.items():
            print(f"ratio {script}: {rate / (count / seconds):.2f}x tshark")
    if not opts.no_4x:
        big = OUT / f"nfs4-{opts.packets * 4}.pcap"
        big_count = generate_apart(__file__, opts.packets * 4, big)
        seconds, rss = measure("pcapprobe 4x", pcapprobe(big, "nfsv4io.d"))
        print(f"4x ({big_count} packets) nfsv4io.d {seconds:7.2f} s CPU "
              f"{big_count / seconds:10,.0f} pkt/s peak RSS {rss >> 10} MiB")
        big.unlink()


if __name__ == "__main__":
    main()
