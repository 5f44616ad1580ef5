"""fc provider throughput: pcapprobe ``fcwho.d`` vs tshark's SCSI SRT tap over FCP.

Generates an FCoE capture of N frames (default 300,000) in bench/out/: four
initiators log in to one target (FLOGI, PLOGI, PRLI; fixtures/gen/fc.py's frame
builders) and run a mix of 4-64 KiB READ(10)s and WRITE(10)s, each data
sequence cut into 2 KiB FCP_DATA frames, writes asked for by one
FCP_XFER_RDY per command.  Then it measures in one run, as frames per
second, ``pcapprobe run CAP -s fcwho.d`` (the seed script, unchanged) and
``tshark -q -z scsi,srt,0`` (the SCSI service-response-time tap, fed by FCP:
tshark has no FC-specific tap), and prints the ratio.

The C record scanner (pcapprobe/cext/fcoe.c) takes every FCP frame of this
capture and hands the fc provider its fields without a Python Frame: one call
per data sequence, one per FCP_CMND, FCP_XFER_RDY and FCP_RSP; the logins go
through the Python link handler.

Run: ``.venv/bin/python bench/fc_bench.py [--packets N] [--profile]``.
"""

from __future__ import annotations

import argparse
import shutil
import struct
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.gen import fc as gen  # noqa: E402
from fixtures.gen import pcap_bytes  # noqa: E402
from _common import OUT, SCRIPTS, generate_apart, measure, profile  # noqa: E402

SIZES = (4096, 8192, 16384, 32768, 65536, 8192)
FRAME_DATA = 2048
ZERO = bytes(FRAME_DATA)


def _initiator(n: int) -> tuple[int, bytes]:
    return 0x010100 + n, bytes.fromhex(f"100000000000{n:04x}")


def _exchange(c: gen.Conversation, initiator: int, ox: int, write: bool, size: int,
              lba: int) -> None:
    target = gen.T_ID
    rx = 0x8000 | (ox & 0x7FFF)
    opcode = 0x2A if write else 0x28
    c.add(gen.fc_frame(0x06, target, initiator, 0x08, gen.REQUEST, ox,
                       payload=gen.cmnd(gen.rw10(opcode, lba, size // 512), size, not write,
                                        write, lun=1)), 30)
    if write:
        c.add(gen.fc_frame(0x05, initiator, target, 0x08,
                           gen.F_RESPONDER | gen.F_END_SEQ | gen.F_SEQ_INIT, ox, rx,
                           struct.pack(">III", 0, size, 0), seq_id=1), 20)
    frames = size // FRAME_DATA
    for i in range(frames):
        last = gen.F_END_SEQ | gen.F_SEQ_INIT if i == frames - 1 else 0
        if write:
            c.add(gen.fc_frame(0x01, target, initiator, 0x08, gen.F_REL_OFF | last, ox, rx, ZERO,
                               seq_id=2, seq_cnt=i, parameter=i * FRAME_DATA), 2)
        else:
            c.add(gen.fc_frame(0x01, initiator, target, 0x08,
                               gen.F_RESPONDER | gen.F_REL_OFF | last, ox, rx, ZERO, seq_id=1,
                               seq_cnt=i, parameter=i * FRAME_DATA), 2)
    c.add(gen.fc_frame(0x07, initiator, target, 0x08, gen.REPLY, ox, rx, gen.rsp(0)), 20)


def generate(packets: int, path: Path) -> int:
    """Write a capture of at least ``packets`` frames; return the exact count."""
    c = gen.Conversation()
    c.els(0, gen.FABRIC, gen.login(0x04, gen.T_WWPN, gen.T_WWNN),
          gen.login(0x02, gen.FABRIC_WWPN, gen.FABRIC_WWNN), reply_d_id=gen.T_ID)
    for n in range(4):
        fc_id, wwpn = _initiator(n)
        c.els(fc_id, gen.T_ID, gen.login(0x03, wwpn, wwpn), gen.login(0x02, gen.T_WWPN,
                                                                      gen.T_WWNN))
        c.els(fc_id, gen.T_ID, gen.prli(0x20, 0x20), gen.prli(0x02, 0x10))
    step = 0
    while len(c.frames) < packets:
        initiator = _initiator(step % 4)[0]
        _exchange(c, initiator, step & 0xFFFF, step % 3 == 2, SIZES[step % len(SIZES)],
                  (step * 128) % (1 << 20))
        step += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pcap_bytes((ts, gen.fcoe(frame, vlan=None)) for ts, frame in c.frames))
    return len(c.frames)


def pcapprobe_cmd(capture: Path, script: Path) -> list[str]:
    return [sys.executable, "-m", "pcapprobe", "run", str(capture), "-s", str(script)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=300_000)
    parser.add_argument("--profile", action="store_true", help="cProfile pcapprobe instead")
    parser.add_argument("--generate-only", metavar="PATH", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.generate_only:
        print(generate(opts.packets, Path(opts.generate_only)))
        return
    capture = OUT / f"fc-{opts.packets}.pcap"
    start = time.perf_counter()
    count = generate_apart(__file__, opts.packets, capture)
    print(f"capture: {capture} ({count} frames, {capture.stat().st_size >> 20} MiB, "
          f"generated in {time.perf_counter() - start:.1f} s)")
    script = OUT / "fcwho.d"
    script.write_text((SCRIPTS / "fcwho.d").read_text())
    if opts.profile:
        profile(["run", str(capture), "-s", str(script)])
        return
    seconds = measure("pcapprobe", pcapprobe_cmd(capture, script))[0]
    rate = count / seconds
    print(f"pcapprobe -s fcwho.d       {seconds:7.2f} s CPU {rate:10,.0f} frames/s")
    if shutil.which("tshark") is None:
        print("tshark not found: no ratio")
        return
    tseconds = measure("tshark", ["tshark", "-r", str(capture), "-q", "-z", "scsi,srt,0"])[0]
    trate = count / tseconds
    print(f"tshark -q -z scsi,srt,0    {tseconds:7.2f} s CPU {trate:10,.0f} frames/s")
    print(f"ratio: pcapprobe is {rate / trate:.2f}x tshark (target >= 3x)")


if __name__ == "__main__":
    main()
