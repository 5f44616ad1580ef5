"""D compile cost: CPU seconds and peak RSS of ``pcapprobe run -e`` (compile
only) on generated scripts of 250 KB, 500 KB and 1 MB, each clause a
predicate and four statements (an aggregation, a self-> and an array store, a
printf()).  Linear cost means the per-KB figures stay flat.

    .venv/bin/python bench/compile_bench.py [--sizes 250,500,1000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, measure  # noqa: E402


def script(size: int) -> str:
    """At least ``size`` bytes of D: many small clauses on one probe."""
    clauses, total, i = [], 0, 0
    while total < size:
        clause = (f"ip:::receive /args[2]->ip_plength > {i}/ {{ @c{i % 50}[args[2]->ip_saddr] = count();"
                  f" self->x{i % 20} = timestamp; a[{i}] = args[2]->ip_plength + {i};"
                  f' printf("%s %d\\n", args[2]->ip_daddr, a[{i}]); }}\n')
        clauses.append(clause)
        total += len(clause)
        i += 1
    return "".join(clauses)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,500,1000", help="script sizes in KB")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    print(f"{'script':>10} {'CPU s':>8} {'ms/KB':>7} {'peak RSS':>10}")
    for kb in (int(s) for s in args.sizes.split(",")):
        path = OUT / f"compile-{kb}k.d"
        path.write_text(script(kb * 1000))
        cpu, rss = measure(f"{kb} KB", [sys.executable, "-m", "pcapprobe", "run", "-e", "-s", str(path)])
        print(f"{kb:>7} KB {cpu:8.2f} {cpu * 1000 / kb:7.2f} {rss / 1024:8.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
