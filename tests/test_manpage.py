"""man/pcapprobe.1 is what ``python -m pcapprobe.manpage`` generates from the
click commands, and it renders cleanly."""

from __future__ import annotations

import shutil
import subprocess

import click
import pytest

from pcapprobe.cli import cli
from pcapprobe.manpage import escape, render
from tests.conftest import ROOT

PAGE = ROOT / "man" / "pcapprobe.1"


def test_the_committed_page_is_current() -> None:
    assert PAGE.read_text(encoding="utf-8") == render(), (
        "man/pcapprobe.1 is stale: run python -m pcapprobe.manpage man/pcapprobe.1")


def test_every_command_and_option_is_on_the_page() -> None:
    page = render()
    for name, command in cli.commands.items():
        assert f".SS pcapprobe {name}" in page
        for param in command.params:
            if isinstance(param, click.Option):
                for opt in param.opts:
                    assert escape(opt) in page, (name, opt)


def test_the_page_renders_without_warnings() -> None:
    groff = shutil.which("groff")
    if groff is None:
        pytest.skip("groff is not installed (apt-get install groff-base)")
    result = subprocess.run([groff, "-man", "-ww", "-z", str(PAGE)], capture_output=True,
                            text=True)
    assert (result.returncode, result.stderr) == (0, "")


def test_escape_keeps_roff_text_literal() -> None:
    assert escape("a-b \\n") == "a\\-b \\en"
    assert escape(".x\n'y") == "\\&.x\n\\&'y"
