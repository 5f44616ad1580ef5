"""Shared test fixtures: paths to the repo's fixtures and to ../shared captures."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "pcaps"
SHARED = ROOT.parent / "shared"
SHARED_CAPTURES = SHARED / "captures"
SEED_SCRIPTS = SHARED / "seed-scripts"


def shared_captures(*subdirs: str) -> list[Path]:
    """The real captures under ../shared/captures (empty when absent)."""
    if not SHARED_CAPTURES.is_dir():
        return []
    dirs = [SHARED_CAPTURES / s for s in subdirs] if subdirs else [SHARED_CAPTURES]
    found: list[Path] = []
    for d in dirs:
        found.extend(sorted(p for p in d.rglob("*") if p.suffix in (".pcap", ".pcapng", ".gz")))
    return found


def require_shared() -> None:
    """Skip the calling test when ../shared is not beside the checkout."""
    if not SHARED_CAPTURES.is_dir():
        pytest.skip("../shared/captures is absent: real-capture tests need the shared folder")


def shared_file(relative: str) -> Path:
    """``../shared/RELATIVE``, or skip the calling test when it is absent (a fresh
    clone has no ../shared)."""
    path = SHARED / relative
    if not path.is_file():
        pytest.skip(f"../shared/{relative} is absent: this test reads the shared folder")
    return path


def require_tshark() -> str:
    """Skip the calling test when tshark is not installed; return its path."""
    path = shutil.which("tshark")
    if path is None:
        pytest.skip("tshark is not installed (apt-get install tshark)")
    return path


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--update-goldens`` rewrites tests/golden expectations (test_golden.py)."""
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite the expected outputs of tests/golden/*.t")


@pytest.fixture(autouse=True, scope="session")
def utc_time_zone() -> None:
    """%Y and walltimestamp goldens are written in UTC, whatever TZ says."""
    os.environ["TZ"] = "UTC"
    time.tzset()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests parametrized over ../shared's captures or seed scripts have no cases
    when it is absent; say so instead of pytest's "got empty parameter set"."""
    if SHARED_CAPTURES.is_dir():
        return
    absent = pytest.mark.skip(
        reason="../shared is absent: this test runs on its real captures and seed scripts")
    for item in items:
        empty = any(str(mark.kwargs.get("reason", "")).startswith("got empty parameter set")
                    for mark in item.iter_markers("skip"))
        if empty:
            item.add_marker(absent, append=False)
