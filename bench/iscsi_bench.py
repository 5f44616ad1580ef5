"""iscsi provider throughput: pcapprobe ``iscsiwho.d`` vs tshark's SCSI SRT tap.

Generates an iSCSI capture of N packets (default 300,000) in bench/out/: four
initiators each log in (fixtures/gen/iscsi.py's login and PDU builders) and then
run a mix of 4-64 KiB READ(10)s (8 KiB Data-In PDUs, some with phase-collapsed
status) and WRITE(10)s (8 KiB immediate data, the rest by R2T and 8 KiB Data-Out
PDUs), with a NOP ping now and then; PDUs of one direction share segments and
span them (fixtures/gen/nfs.py's struct-packed TCP writer, MSS 1448).  Then it
measures in one run, as packets per second, ``pcapprobe run CAP -s iscsiwho.d``
and ``-s iotime.d`` (the seed scripts, unchanged, copied into bench/out/: the
target's view and the initiators' block I/O) and
``tshark -q -z scsi,srt,0`` (tshark has no iSCSI tap; scsi,srt is the SCSI
service-response-time tap fed by iSCSI), and prints the ratio.

Run: ``.venv/bin/python bench/iscsi_bench.py [--packets N] [--profile]``;
``--profile`` runs pcapprobe in-process under cProfile and prints the top
functions by internal time.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.gen import iscsi as gen  # noqa: E402
from fixtures.gen import nfs as wire_gen  # noqa: E402
from _common import OUT, SCRIPTS, generate_apart, measure, profile  # noqa: E402

TARGET = "192.0.2.20"
SIZES = (4096, 8192, 16384, 32768, 65536, 8192)
PER_PDU = 8192
ZERO = bytes(65536)


def read(s: gen.Session, lba: int, size: int, collapse: bool) -> list[tuple[int, bytes]]:
    """READ(10) of ``size`` bytes: 8 KiB Data-In PDUs, the status in the last
    (``collapse``) or in a separate SCSI Response."""
    itt = s.next_itt()
    out = [(0, s.command(itt, gen.cdb_rw(0x28, lba, size // 512), 0xC0, size, lun_=1))]
    for sn, off in enumerate(range(0, size, PER_PDU)):
        last = off + PER_PDU >= size
        out.append((1, s.data_in(itt, ZERO[: min(PER_PDU, size - off)], sn, off, last,
                                 last and collapse, 1)))
    if not collapse:
        out.append((1, s.response(itt)))
    return out


def write(s: gen.Session, lba: int, size: int) -> list[tuple[int, bytes]]:
    """WRITE(10): up to 8 KiB immediate data, the rest solicited by one R2T per
    64 KiB burst and sent as 8 KiB Data-Out PDUs."""
    itt = s.next_itt()
    immediate = min(size, PER_PDU)
    out = [(0, s.command(itt, gen.cdb_rw(0x2A, lba, size // 512), 0xA0, size, lun_=1,
                         data=ZERO[:immediate]))]
    offset, r2tsn, ttt = immediate, 0, 0x1000 + (itt & 0xFFFF)
    while offset < size:
        length = min(65536, size - offset)
        out.append((1, s.r2t(itt, ttt, r2tsn, offset, length)))
        for sn, off in enumerate(range(offset, offset + length, PER_PDU)):
            end = min(off + PER_PDU, offset + length)
            out.append((0, s.data_out(itt, ttt, ZERO[: end - off], sn, off,
                                      end == offset + length)))
        offset += length
        r2tsn += 1
        ttt += 1
    out.append((1, s.response(itt)))
    return out


def send(conn: wire_gen.Conn, exchanges: list[tuple[int, bytes]]) -> None:
    """Consecutive PDUs of one direction share one write (and so segments)."""
    i = 0
    while i < len(exchanges):
        direction = exchanges[i][0]
        parts = []
        while i < len(exchanges) and exchanges[i][0] == direction:
            parts.append(exchanges[i][1])
            i += 1
        conn.send(direction, b"".join(parts))
        conn.wire.tick(40_000 if direction == 0 else 15_000)


def generate(packets: int, path: Path) -> int:
    """Write a capture of at least ``packets`` packets; return the exact count."""
    wire = wire_gen.Wire()
    conns = []
    sessions = []
    for i in range(4):
        conn = wire.connect((f"192.0.2.{101 + i}", 50000 + i), (TARGET, 3260))
        s = gen.Session(itt=0x1000 * (i + 1))
        send(conn, gen.login(s))
        conns.append(conn)
        sessions.append(s)
    step = 0
    while len(wire.records) < packets:
        conn, s = conns[step % 4], sessions[step % 4]
        size = SIZES[step % len(SIZES)]
        lba = (step * 128) % (1 << 20)
        if step % 3 == 2:
            exchanges = write(s, lba, size)
        else:
            exchanges = read(s, lba, size, collapse=step % 2 == 1)
        if step % 50 == 0:
            exchanges += s.nop_ping()
        send(conn, exchanges)
        step += 1
    for conn, s in zip(conns, sessions):
        send(conn, s.logout())
        conn.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(wire.pcap())
    return len(wire.records)


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
    capture = OUT / f"iscsi-{opts.packets}.pcap"
    start = time.perf_counter()
    count = generate_apart(__file__, opts.packets, capture)
    print(f"capture: {capture} ({count} packets, {capture.stat().st_size >> 20} MiB, "
          f"generated in {time.perf_counter() - start:.1f} s)")
    scripts = []
    for name in ("iscsiwho.d", "iotime.d"):
        script = OUT / name
        script.write_text((SCRIPTS / name).read_text())
        scripts.append(script)
    if opts.profile:
        profile(["run", str(capture), "-s", str(scripts[0])])
        return
    rates = {}
    for script in scripts:
        seconds = measure("pcapprobe", pcapprobe_cmd(capture, script))[0]
        rates[script.name] = count / seconds
        print(f"pcapprobe -s {script.name:13} {seconds:7.2f} s CPU {count / seconds:10,.0f} pkt/s")
    if shutil.which("tshark") is None:
        print("tshark not found: no ratio")
        return
    tseconds = measure("tshark", ["tshark", "-r", str(capture), "-q", "-z", "scsi,srt,0"])[0]
    trate = count / tseconds
    print(f"tshark -q -z scsi,srt,0    {tseconds:7.2f} s CPU {trate:10,.0f} pkt/s")
    for name, rate in rates.items():
        print(f"ratio: pcapprobe -s {name} is {rate / trate:.2f}x tshark (target >= 3x)")


if __name__ == "__main__":
    main()
