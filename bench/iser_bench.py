"""iSER throughput: pcapprobe ``iscsiwho.d`` on a RoCEv2 iSER capture.

Generates a capture of N packets (default 300,000) in bench/out/ with
fixtures/gen/iser.py's builders: four initiators each connect (RDMA CM to the
iSCSI port, iSCSI login in iSER SENDs) and run 4-64 KiB READ(10)s (RDMA WRITEs
of 1 KiB-MTU packets, ACKed) and WRITE(10)s (RDMA READ requests and their
responses), each answered by a SCSI Response.  Then it measures, as packets
per second (best of three, CPU time), ``pcapprobe run CAP -s iscsiwho.d`` (the
seed script, unchanged).  Like bench/srp_bench.py it reports packets per
second: tshark has no tap that counts iSCSI events over iSER.

Run: ``.venv/bin/python bench/iser_bench.py [--packets N]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.gen import iscsi as iscsi_gen  # noqa: E402
from fixtures.gen import iser as gen  # noqa: E402
from fixtures.gen import pcap_bytes  # noqa: E402
from fixtures.gen import srp as rdma_gen  # noqa: E402
from _common import OUT, SCRIPTS, generate_apart, measure  # noqa: E402

SIZES = (4096, 8192, 16384, 32768, 65536)


def generate(packets: int, path: Path) -> int:
    """Write a capture of at least ``packets`` packets; return the exact count."""
    sent = rdma_gen.Sent()
    sessions = [gen.connect(sent, 0x0D000000 + 16 * i, 0x600 + i, 0x900 + i, 0x1000 * i,
                            0x30000 + 0x1000 * i) for i in range(4)]
    frames: list[bytes] = []
    done = [0] * len(sessions)
    step = 0
    while len(frames) < packets:
        index = step % len(sessions)
        conv, session = sessions[index]
        size = SIZES[step % len(SIZES)]
        stag, va = 0x1000 + step % 4096, 0x7F00_0000_0000 + (step << 20)
        if step % 3 == 2:
            gen.write(conv, session, iscsi_gen.cdb_rw(0x2A, step * 128, size // 512), stag, va,
                      size)
        else:
            gen.read(conv, session, iscsi_gen.cdb_rw(0x28, step * 128, size // 512), stag, va,
                     size, size)
        frames += [rdma_gen.roce_v2_frame(p) for p in conv.packets[done[index]:]]
        done[index] = len(conv.packets)
        step += 1
    records = [(rdma_gen.T0 + i * 5_000, frame) for i, frame in enumerate(frames)]
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
    capture = OUT / f"iser-{opts.packets}.pcap"
    start = time.perf_counter()
    count = generate_apart(__file__, opts.packets, capture)
    print(f"capture: {capture} ({count} packets, {capture.stat().st_size >> 20} MiB, "
          f"generated in {time.perf_counter() - start:.1f} s)")
    script = OUT / "iscsiwho.d"
    script.write_text((SCRIPTS / "iscsiwho.d").read_text())
    seconds = measure("pcapprobe", [sys.executable, "-m", "pcapprobe", "run", str(capture),
                                    "-s", str(script)])[0]
    print(f"pcapprobe -s iscsiwho.d    {seconds:7.2f} s CPU {count / seconds:10,.0f} pkt/s")


if __name__ == "__main__":
    main()
