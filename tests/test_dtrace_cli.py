"""dtrace(1M) command-line behaviour of ``pcapprobe run``: macro arguments
after ``--`` and unreferenced ones, the C preprocessor (-C -D -U -I -H, a
``#!/usr/sbin/dtrace -Cs`` line), -w, -F/-S, ``run -l``, and ``list -v``."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import pcapprobe


def script(tmp_path: Path, text: str, name: str = "x.d") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# Macro arguments -------------------------------------------------------------

def test_after_dashes_every_argument_is_a_macro_argument(tmp_path: Path) -> None:
    # an NFS path filter contains '/' but is not a capture
    x = script(tmp_path, 'BEGIN { printf("%s %s\\n", $$1, $$2); exit(0); }')
    result = pcapprobe("run", "-q", "-s", x, "--", "/export/home", "a.pcap")
    assert (result, result.stderr, result.status) == ("/export/home a.pcap\n\n", "", 0)


def test_without_dashes_a_path_is_still_a_capture(tmp_path: Path) -> None:
    x = script(tmp_path, 'BEGIN { exit(0); }')
    result = pcapprobe("run", "-q", "-s", x, "/export/home")
    assert result.status == 1 and "/export/home: No such file or directory" in result.stderr


def test_an_unreferenced_last_argument_is_an_error(tmp_path: Path) -> None:
    # dt_compile checks the last argument: a misspelt capture name is caught
    x = script(tmp_path, 'BEGIN { printf("%d\\n", $1); exit(0); }\n')
    result = pcapprobe("run", "-q", "-s", x, "-x", "errtags", "1", "capture-typo")
    assert result.status == 1 and result == ""
    assert result.stderr == (f"pcapprobe: failed to compile script {x}: [D_MACRO_UNUSED] line 2: "
                             "extraneous argument 'capture-typo' ($2 is not referenced)\n")


def test_each_program_must_reference_the_last_argument(tmp_path: Path) -> None:
    result = pcapprobe("run", "-q", "-n", "BEGIN { exit(0); }", "foo")
    assert result.stderr == ("pcapprobe: invalid probe specifier BEGIN { exit(0); }: "
                             "extraneous argument 'foo' ($1 is not referenced)\n")
    x = script(tmp_path, 'BEGIN { printf("%s\\n", $$2); exit(0); }')
    assert pcapprobe("run", "-q", "-s", x, "a", "b") == "b\n\n"  # $1 unused: only the last counts
    assert pcapprobe("run", "-q", "-x", "argref", "-n", "BEGIN { exit(0); }", "foo").status == 0
