"""tshark as the independent oracle: run `tshark -T fields` and parse its rows."""

from __future__ import annotations

import subprocess
from pathlib import Path


def fields(capture: Path, names: list[str], display_filter: str = "",
           extra: list[str] | None = None) -> list[list[str]]:
    """One row per frame matching the filter: the value of each field (may be '')."""
    cmd = ["tshark", "-r", str(capture), "-n", "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    for name in names:
        cmd += ["-e", name]
    if display_filter:
        cmd += ["-Y", display_filter]
    cmd += extra or []
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         env={"HOME": "/tmp", "PATH": "/usr/bin:/bin"}).stdout
    return [line.split("\t") for line in out.splitlines()]
