"""printer.py: AST -> canonical D, checked by identity round trips
(tests/dlang/identity.d: one program per line, parse -> print == input)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pcapprobe.dlang import Source, ast
from pcapprobe.dlang import types as ty
from pcapprobe.dlang.parser import parse
from pcapprobe.dlang.printer import to_text
from tests.conftest import SEED_SCRIPTS

IDENTITY = Path(__file__).with_name("identity.d")


def reprint(text: str) -> str:
    return to_text(parse(Source("-n", text, "program"), ty.type_names()))


@pytest.mark.parametrize("line", [line for line in IDENTITY.read_text().splitlines() if line.strip()])
def test_identity_round_trip(line: str) -> None:
    assert reprint(line) == line


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("BEGIN{x=1+(2*3);}", "BEGIN { x = 1 + 2 * 3; }"),
        ("BEGIN { x = ((a)); y = (a - b) - c; z = a - (b - c) }", "BEGIN { x = a; y = a - b - c; z = a - (b - c); }"),
        ("BEGIN { x = 'a'; y = 010; z = 00; w = -(-1); v = 1UL; }",
         "BEGIN { x = 97; y = 0x8; z = 0; w = - -1; v = 1ul; }"),
        ("#pragma D option quiet\nBEGIN { }", "#pragma D option quiet\nBEGIN { }"),
        ("/* c */ BEGIN // x\n{ trace(1) }", "BEGIN { trace(1); }"),
    ],
)
def test_canonical_form(text: str, canonical: str) -> None:
    printed = reprint(text)
    assert printed.rstrip("\n") == canonical
    assert reprint(printed) == printed  # the canonical form is a fixed point


def shape(node: object) -> object:
    """A node tree without spans or sources, for comparing parses."""
    if isinstance(node, tuple):
        return tuple(shape(n) for n in node)
    if isinstance(node, ast.Node):
        return (type(node).__name__,) + tuple(
            shape(getattr(node, f)) for f in node._fields if f not in ("span", "func_span", "source"))
    return node


def test_seed_scripts_print_to_equivalent_programs() -> None:
    scripts = sorted(SEED_SCRIPTS.glob("*/*.d")) if SEED_SCRIPTS.is_dir() else []
    if not scripts:
        pytest.skip("../shared/seed-scripts is absent")
    for path in scripts:
        tree = parse(Source(str(path), path.read_text()), ty.type_names())
        printed = to_text(tree)
        again = parse(Source(str(path), printed), ty.type_names())
        assert shape(again) == shape(tree), path
        assert to_text(again) == printed, path
