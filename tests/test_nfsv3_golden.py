"""Every seed nfsv3 script, unchanged, on the generated NFSv3 fixtures.

Expected outputs live in tests/golden/outputs/nfsv3-*.txt; rewrite them with
``PCAPPROBE_UPDATE_GOLDENS=1 pytest tests/test_nfsv3_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pcapprobe.api import run
from tests.conftest import FIXTURES, ROOT, SEED_SCRIPTS

OUTPUTS = ROOT / "tests" / "golden" / "outputs"
SCRIPTS = ["nfsv3fileio.d", "nfsv3io.d", "nfsv3ops.d", "nfsv3rwsnoop.d", "nfsv3rwtime.d"]
CASES = [(capture, script, {}) for capture in ("nfsv3-tcp", "nfsv3-udp", "nfsv3-midstream")
         for script in SCRIPTS]
# The capture that starts after the mount, with the root handle seeded.
CASES += [("nfsv3-midstream", script, {"nfs_paths": str(FIXTURES / "nfsv3-midstream.paths")})
          for script in ("nfsv3fileio.d", "nfsv3rwsnoop.d")]


def _name(capture: str, script: str, options: dict[str, str]) -> str:
    return f"{capture}-{script[:-2]}{'-seeded' if options else ''}"


@pytest.mark.parametrize("capture, script, options", CASES,
                         ids=[_name(*case) for case in CASES])
def test_seed_script_output(capture: str, script: str, options: dict[str, str]) -> None:
    path = SEED_SCRIPTS / "nfsv3" / script
    if not path.is_file():
        pytest.skip(f"{path} is absent: the seed scripts live in ../shared")
    result = run(FIXTURES / f"{capture}.pcap", script=path, local="all", **options)
    assert result.status == 0, result.errors
    golden = OUTPUTS / f"{_name(capture, script, options)}.txt"
    if os.environ.get("PCAPPROBE_UPDATE_GOLDENS"):
        golden.write_text(result.output)
    assert result.output == golden.read_text()


def test_seeded_paths_resolve() -> None:
    """Without the seed the midstream capture's paths are unknown; with it, known."""
    assert "<unknown>" in (OUTPUTS / "nfsv3-midstream-nfsv3rwsnoop.txt").read_text()
    seeded = (OUTPUTS / "nfsv3-midstream-nfsv3rwsnoop-seeded.txt").read_text()
    assert "/export/stuff/bin/ecpg" in seeded and "<unknown>" not in seeded


def test_goldens_are_all_used() -> None:
    expected = {f"{_name(*case)}.txt" for case in CASES}
    assert {p.name for p in OUTPUTS.glob("nfsv3-*.txt")} <= expected
    assert isinstance(Path, type)
