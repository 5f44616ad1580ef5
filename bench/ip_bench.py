"""ip provider throughput: pcapprobe vs a hand-written Python floor vs tshark.

Generates a 1,000,000-packet mixed capture in bench/out/ (IPv4 TCP connections
with handshake, data and teardown, IPv4 UDP, ~10% IPv6), then measures in one
run, as packets per second:

  (a) floor: a Python loop that walks the pcap records, slices the source
      address and counts it in a dict;
  (b) ``pcapprobe run CAP --local all -q -n 'ip:::receive { @[args[2]->ip_saddr] = count(); }'``;
  (c) ``tshark -q -z ip_hosts,tree``.

Run: ``.venv/bin/python bench/ip_bench.py [--packets N]``.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

from _common import OUT, command_env
PROGRAM = "ip:::receive { @[args[2]->ip_saddr] = count(); }"
TCP_FLAGS = (0x02, 0x12, 0x10, 0x18, 0x10, 0x18, 0x10, 0x11, 0x10, 0x11, 0x10)  # SYN .. last ACK
START_NS = 1_700_000_000 * 1_000_000_000


def _eth(ethertype: int) -> bytes:
    return bytes.fromhex("020000000002020000000001") + struct.pack(">H", ethertype)


def generate(path: Path, packets: int, seed: int = 1) -> None:
    """Write the mixed capture (deterministic for a given seed)."""
    rng = random.Random(seed)
    clients4 = [socket.inet_aton(f"10.1.{i // 250}.{i % 250 + 1}") for i in range(400)]
    servers4 = [socket.inet_aton(f"192.168.0.{i + 1}") for i in range(20)]
    clients6 = [socket.inet_pton(socket.AF_INET6, f"2001:db8::{i + 1:x}") for i in range(50)]
    servers6 = [socket.inet_pton(socket.AF_INET6, f"2001:db8:1::{i + 1:x}") for i in range(5)]
    eth4, eth6 = _eth(0x0800), _eth(0x86DD)
    ip4 = struct.Struct(">BBHHHBBH4s4s").pack
    ip6 = struct.Struct(">IHBB16s16s").pack
    tcph = struct.Struct(">HHIIBBHHH").pack
    udph = struct.Struct(">HHHH").pack
    rec = struct.Struct("<IIII").pack
    data = bytes(range(256)) * 6
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    ts = START_NS
    n = 0
    ident = 0
    while n < packets:
        kind = rng.random()
        v6 = kind < 0.1
        udp = 0.1 <= kind < 0.2 or (v6 and kind < 0.03)
        if v6:
            c, s = rng.choice(clients6), rng.choice(servers6)
        else:
            c, s = rng.choice(clients4), rng.choice(servers4)
        sport, dport = rng.randrange(1024, 65535), rng.choice((80, 443, 2049, 3260))
        if udp:
            segs = [(0, b""), (1, b"")]
            flags = None
        else:
            segs = [(i % 2 if i not in (0, 2) else 0, b"") for i in range(len(TCP_FLAGS))]
            flags = TCP_FLAGS
        for i, (direction, _) in enumerate(segs):
            if n >= packets:
                break
            src, dst = (c, s) if direction == 0 else (s, c)
            sp, dp = (sport, dport) if direction == 0 else (dport, sport)
            size = rng.choice((0, 64, 512, 1400)) if (udp or flags[i] & 0x08) else 0
            if udp:
                l4 = udph(sp, dp, 8 + size, 0) + data[:size]
                proto = 17
            else:
                l4 = tcph(sp, dp, 1000 + i, 2000 + i, 0x50, flags[i], 65535, 0, 0) + data[:size]
                proto = 6
            if v6:
                frame = eth6 + ip6(0x60000000, len(l4), proto, 64, src, dst) + l4
            else:
                ident = (ident + 1) & 0xFFFF
                frame = eth4 + ip4(0x45, 0, 20 + len(l4), ident, 0x4000, 64, proto, 0, src, dst) + l4
            ts += 10_000
            sec, ns = divmod(ts, 1_000_000_000)
            out.append(rec(sec, ns // 1000, len(frame), len(frame)))
            out.append(frame)
            n += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(out))


def floor(path: Path) -> tuple[int, dict[bytes, int]]:
    """(a): walk records, slice the source address, count it."""
    counts: dict[bytes, int] = {}
    rec = struct.Struct("<IIII").unpack_from
    with open(path, "rb") as f:
        buf = f.read()
    pos = 24
    n = 0
    end = len(buf)
    while pos < end:
        _, _, caplen, _ = rec(buf, pos)
        start = pos + 16
        if buf[start + 12] == 0x86:
            key = buf[start + 22 : start + 38]
        else:
            key = buf[start + 26 : start + 30]
        counts[key] = counts.get(key, 0) + 1
        pos = start + caplen
        n += 1
    return n, counts


def _cpu() -> float:
    """CPU seconds of this process and its finished children: unlike wall time,
    not inflated when other work shares the machine."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(label: str, fn) -> float:  # type: ignore[no-untyped-def]
    """CPU seconds ``fn`` took (wall time goes to stderr)."""
    t0, c0 = time.perf_counter(), _cpu()
    fn()
    elapsed, cpu = time.perf_counter() - t0, _cpu() - c0
    sys.stderr.write(f"{label}: {elapsed:.2f} s wall, {cpu:.2f} s CPU\n")
    return cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=1_000_000)
    args = parser.parse_args()
    cap = OUT / f"mixed-{args.packets}.pcap"
    if not cap.exists():
        timed("generate", lambda: generate(cap, args.packets))
    pcapprobe = [sys.executable, "-m", "pcapprobe", "run", str(cap), "--local", "all", "-q", "-n", PROGRAM]
    env = command_env()
    # fill the bytecode cache first, as installing does
    subprocess.run(pcapprobe[:4] + ["-e", "-n", PROGRAM], check=True, env=env)
    results = {}
    results["a"] = timed("(a) python floor", lambda: floor(cap))
    results["b"] = timed("(b) pcapprobe run", lambda: subprocess.run(pcapprobe, check=True, env=env,
                                                                     stdout=subprocess.DEVNULL))
    if shutil.which("tshark"):
        results["c"] = timed("(c) tshark ip_hosts", lambda: subprocess.run(
            ["tshark", "-q", "-n", "-r", str(cap), "-z", "ip_hosts,tree"], check=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    n = args.packets
    for key, label in (("a", "floor"), ("b", "pcapprobe"), ("c", "tshark")):
        if key in results:
            print(f"({key}) {label:10s} {n / results[key]:12,.0f} packets/s  ({results[key]:.2f} s CPU)")
    print(f"(b) is {results['b'] / results['a']:.2f}x slower than the floor (target <= 3)")
    if "c" in results:
        print(f"(b) is {results['c'] / results['b']:.2f}x faster than tshark (target >= 5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
