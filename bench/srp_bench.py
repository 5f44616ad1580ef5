"""srp provider throughput: pcapprobe ``srpwho.d`` on a RoCEv2 SRP capture.

Generates a capture of N packets (default 300,000) in bench/out/ with
fixtures/gen/srp.py's builders: four initiators each log in to the target and
run 4-64 KiB READ(10)s (RDMA WRITEs of 1 KiB-MTU packets, ACKed) and
WRITE(10)s (RDMA READ requests and their responses), each answered by an
SRP_RSP.  Then it measures, as packets per second (best of three, CPU time),
``pcapprobe run CAP -s srpwho.d`` (the seed script, unchanged).  tshark has no
SRP dissector or tap, so the figure stands against the issue's floor of
300k packets/s rather than a tshark ratio.

Run: ``.venv/bin/python bench/srp_bench.py [--packets N]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.gen import pcap_bytes  # noqa: E402
from fixtures.gen import srp as gen  # noqa: E402
from _common import OUT, SCRIPTS, generate_apart, measure  # noqa: E402

SIZES = (4096, 8192, 16384, 32768, 65536)


def generate(packets: int, path: Path) -> int:
    """Write a capture of at least ``packets`` packets; return the exact count."""
    sent = gen.Sent()
    channels = []
    for i in range(4):
        ch = gen.Conversation(sent, 0x0B000000 + 16 * i, 0x400 + i, 0x800 + i, 0x1000 * i,
                              0x20000 + 0x1000 * i)
        ch.login(0x100 + i)
        channels.append(ch)
    frames: list[bytes] = []
    done = [0] * len(channels)
    step = 0
    while len(frames) < packets:
        ch = channels[step % len(channels)]
        size = SIZES[step % len(SIZES)]
        tag = 0x1000 + step
        buf = [(0x7F00_0000_0000 + (step << 20), 0x1000 + step % 4096, size)]
        if step % 3 == 2:
            ch.command(tag, 1, gen.cdb10(0x2A, step * 128, size // 512), write_bufs=buf)
        else:
            ch.command(tag, 1, gen.cdb10(0x28, step * 128, size // 512), read_bufs=buf)
        index = step % len(channels)
        frames += [gen.roce_v2_frame(p) for p in ch.packets[done[index]:]]
        done[index] = len(ch.packets)
        step += 1
    records = [(gen.T0 + i * 5_000, frame) for i, frame in enumerate(frames)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pcap_bytes(records, nanos=True))
    return len(records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=300_000)
    parser.add_argument("--generate-only", metavar="PATH", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.generate_only:
        print(generate(opts.packets, Path(opts.generate_only)))
        return
    capture = OUT / f"srp-{opts.packets}.pcap"
    start = time.perf_counter()
    count = generate_apart(__file__, opts.packets, capture)
    print(f"capture: {capture} ({count} packets, {capture.stat().st_size >> 20} MiB, "
          f"generated in {time.perf_counter() - start:.1f} s)")
    script = OUT / "srpwho.d"
    script.write_text((SCRIPTS / "srpwho.d").read_text())
    seconds = measure("pcapprobe", [sys.executable, "-m", "pcapprobe", "run", str(capture),
                                    "-s", str(script)])[0]
    rate = count / seconds
    print(f"pcapprobe -s srpwho.d      {seconds:7.2f} s CPU {rate:10,.0f} pkt/s "
          f"(target >= 300,000 pkt/s)")


if __name__ == "__main__":
    main()
