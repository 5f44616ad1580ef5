"""D engine benchmark: pre-built firings through ``Program.handler``.

Measures firings per second for three clauses on ``ip:::receive`` (issue 3):
a ``count()`` keyed by a string member, a ``quantize``, and a ``printf``
(written to an in-memory stream).  No capture is read: the argument objects
are built once, so only the engine's per-firing cost is measured.

    .venv/bin/python bench/engine_bench.py [--firings N]
"""

from __future__ import annotations

import argparse
import io
import time

from pcapprobe.dlang import Source, compile_program
from pcapprobe.probes import catalog

PROGRAMS = {
    "count keyed by ip_saddr": "ip:::receive { @[args[2]->ip_saddr] = count(); }",
    "quantize ip_plength": "ip:::receive { @ = quantize(args[2]->ip_plength); }",
    "printf": 'ip:::receive { printf("%s -> %s %d\\n", args[2]->ip_saddr, args[2]->ip_daddr, args[2]->ip_plength); }',
}


class IpInfo:
    """A stand-in for the ip translator's ipinfo_t object."""

    __slots__ = ("ip_ver", "ip_plength", "ip_saddr", "ip_daddr")

    def __init__(self, n: int) -> None:
        self.ip_ver = 4
        self.ip_plength = (n * 37) % 1500
        self.ip_saddr = f"10.0.{n % 7}.{n % 251}"
        self.ip_daddr = "192.0.2.1"


def firings(count: int) -> list[tuple[int, tuple, tuple]]:
    infos = [IpInfo(n) for n in range(1024)]
    return [(n, (None, None, infos[n % 1024], None, None, None), ("flow", n % 16)) for n in range(count)]


def measure(program_text: str, batch: list[tuple[int, tuple, tuple]]) -> float:
    catalog.load()
    out = io.StringIO()
    program = compile_program([Source("-n", program_text, "program")], {"quiet": True}, [], out, io.StringIO())
    fire = program.handler(catalog.PROVIDERS["ip"]["receive"])
    assert fire is not None
    start = time.perf_counter()
    for ts, args, thread in batch:
        fire(ts, args, thread)
    elapsed = time.perf_counter() - start
    return len(batch) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firings", type=int, default=1_000_000)
    args = parser.parse_args()
    batch = firings(args.firings)
    for name, text in PROGRAMS.items():
        rate = measure(text, batch)
        print(f"{name:28s} {rate:12,.0f} firings/s")


if __name__ == "__main__":
    main()
