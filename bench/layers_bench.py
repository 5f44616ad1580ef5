"""Every ip, tcp and udp seed script and one-liner against tshark's taps, in one run.

Reuses bench/ip_bench.py's 1,000,000-packet mixed capture (generated into
bench/out/ when missing).  Each pcapprobe command runs with ``--local all -q``;
its rate is compared with the tap of its layer: ``tshark -q -z ip_hosts,tree``
(ip), ``-z conv,tcp`` (tcp), ``-z conv,udp`` (udp).  Rates are per CPU second,
best of three (bench/_common.py).

Run: ``.venv/bin/python bench/layers_bench.py [--packets N] [--only ip|tcp|udp]``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, SCRIPTS, measure  # noqa: E402
from ip_bench import generate  # noqa: E402

TAPS = {"ip": "ip_hosts,tree", "tcp": "conv,tcp", "udp": "conv,udp"}
SEED_SCRIPTS = {"ip": ("ipio.d", "ipproto.d"), "tcp": ("tcpio.d", "tcpstate.d"), "udp": ()}
ONE_LINER_TEXT = {
    "ip": ("ip:::receive { @[args[2]->ip_saddr] = count(); }",
           "ip:::send { @[args[2]->ip_daddr] = quantize(args[2]->ip_plength); }"),
    "tcp": ("tcp:::accept-established { @[args[3]->tcps_raddr] = count(); }",
            "tcp:::accept-established { @[args[3]->tcps_lport] = count(); }",
            "tcp:::accept-established { @[args[3]->tcps_raddr, args[3]->tcps_lport] = count(); }",
            "tcp:::accept-refused { @[args[2]->ip_daddr, args[4]->tcp_sport] = count(); }",
            "tcp:::receive { @[args[2]->ip_saddr] = count(); }",
            "tcp:::receive { @[args[4]->tcp_dport] = count(); }",
            "tcp:::send { @[args[2]->ip_daddr] = quantize(args[2]->ip_plength); }"),
    "udp": ("udp:::receive { @[args[2]->ip_saddr] = count(); }",
            "udp:::receive { @[args[4]->udp_dport] = count(); }",
            "udp:::send { @[args[2]->ip_daddr] = quantize(args[2]->ip_plength); }"),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=1_000_000)
    parser.add_argument("--only", choices=sorted(TAPS))
    args = parser.parse_args()
    cap = OUT / f"mixed-{args.packets}.pcap"
    if not cap.exists():
        generate(cap, args.packets)
    run = [sys.executable, "-m", "pcapprobe", "run", str(cap), "--local", "all", "-q"]
    n = args.packets
    for layer in [args.only] if args.only else sorted(TAPS):
        tshark = None
        if shutil.which("tshark"):
            tshark = measure(f"tshark {TAPS[layer]}", ["tshark", "-q", "-n", "-r", str(cap),
                                                       "-z", TAPS[layer]])[0]
        commands = [(name, ["-s", str(SCRIPTS / name)]) for name in SEED_SCRIPTS[layer]]
        commands += [(text, ["-n", text]) for text in ONE_LINER_TEXT[layer]]
        for label, extra in commands:
            cpu = measure(label, run + extra)[0]
            ratio = f"  {tshark / cpu:.2f}x tshark" if tshark else ""
            print(f"{layer:3s} {label:90s} {n / cpu:12,.0f} packets/s ({cpu:.2f} s CPU){ratio}",
                  flush=True)
        if tshark:
            print(f"{layer:3s} {'tshark -z ' + TAPS[layer]:90s} {n / tshark:12,.0f} packets/s "
                  f"({tshark:.2f} s CPU)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
