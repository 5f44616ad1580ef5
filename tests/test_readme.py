"""The README's example commands print what the README shows.

Checked: the ``$ pcapprobe ...`` blocks of the sections "Filters and output
formats", "events JSON schema" and "Examples by provider" (indented code
blocks: the command, then its standard output).  Each runs in a shell from
the repository root with this interpreter's pcapprobe first on PATH.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SECTIONS = ("## Filters and output formats", "## events JSON schema", "## Examples by provider")


def examples() -> list[tuple[str, str]]:
    """(command, expected stdout) of each example block."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for title in SECTIONS:
        start = text.index(title)
        end = text.find("\n## ", start + len(title))
        body = text[start:end]
        for block in re.findall(r"(?:^    .*\n|^\n)+", body, re.M):
            lines = [line[4:] for line in block.strip("\n").split("\n")]
            if lines and lines[0].startswith("$ pcapprobe "):
                found.append((lines[0][2:], "\n".join(lines[1:]) + "\n"))
    return found


EXAMPLES = examples()


def test_every_section_has_examples() -> None:
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("command, expected", EXAMPLES, ids=[c[:60] for c, _ in EXAMPLES])
def test_readme_example(command: str, expected: str) -> None:
    if "| jq" in command and shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    if " -f " in command:
        from pcapprobe.capture.bpf import LibpcapMissing, _libpcap

        try:
            _libpcap()
        except LibpcapMissing:
            pytest.skip("libpcap is not installed (apt-get install libpcap0.8)")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    # a code block cannot end in blank lines: trailing ones are not compared
    assert result.stdout.rstrip("\n") == expected.rstrip("\n"), result.stderr
