"""Compile error rendering in dtrace(1M)'s forms."""

from __future__ import annotations

import io

import pytest

from pcapprobe.dlang import DCompileError, Source, compile_program


def failure(text: str, kind: str = "script", **options: object) -> DCompileError:
    name = "x.d" if kind == "script" else "-n"
    with pytest.raises(DCompileError) as info:
        compile_program([Source(name, text, kind)], options, [], io.StringIO(), io.StringIO())
    return info.value


def test_script_error_names_file_and_line() -> None:
    err = failure("/* line 1 */\n\nBEGIN\n{\n\tx = nosuch;\n}\n")
    assert err.render() == "pcapprobe: failed to compile script x.d: line 5: failed to resolve nosuch: Unknown variable name"


def test_errtags() -> None:
    err = failure("BEGIN { x = nosuch; }", errtags=True)
    assert err.render() == "pcapprobe: failed to compile script x.d: [D_IDENT_UNDEF] line 1: failed to resolve nosuch: Unknown variable name"


def test_program_error_quotes_the_program() -> None:
    err = failure("tcp:::recieve { }", kind="program")
    assert err.render() == "pcapprobe: invalid probe specifier tcp:::recieve { }: probe description tcp:::recieve does not match any probes"


def test_caret_line() -> None:
    err = failure("BEGIN\n{\n\tx = 1 + nosuch;\n}")
    assert err.render(caret=True).splitlines()[1:] == ["        x = 1 + nosuch;", "                ^~~~~~"]


def test_pragma_option_error() -> None:
    err = failure("#pragma D option nope\nBEGIN { }")
    assert err.render() == "pcapprobe: failed to compile script x.d: line 1: failed to set option 'nope': Invalid option name"


def test_command_line_option_error() -> None:
    with pytest.raises(DCompileError) as info:
        compile_program([Source("x.d", "BEGIN { }")], {"nope": True}, [], io.StringIO(), io.StringIO())
    assert info.value.render() == "pcapprobe: failed to set -x nope: Invalid option name"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("BEGIN { x = 1; x = \"s\"; }", 'operands have incompatible types: "int" = "string"'),
        ("BEGIN { printf(\"%d %d\\n\", 1); }", "printf( ) prototype mismatch: conversion #2 (%d) is missing a corresponding value argument"),
        ("BEGIN { @a = count(); @a = sum(1); }", "aggregation redefined: @a"),
        ("BEGIN { x = strlen(1); }", "strlen( ) argument #1 is incompatible with prototype:\n\tprototype: string\n\t argument: int"),
        ("BEGIN { x = 1 + \"a\"; }", "operator + requires operands of arithmetic type"),
        ("BEGIN { x = ~\"a\"; }", "operator ~ requires an operand of integral type"),
        ("BEGIN { 1 = 2; }", "operator = requires a modifiable lvalue as an operand"),
        ("BEGIN { @a = lquantize(1, 10, 0); }", "lquantize( ) base (argument #1) must be less than limit (argument #2)"),
        ("BEGIN { printa(@nope); }", "undefined aggregation: @nope"),
        ("BEGIN { @a = count(); x = @a; }", "aggregation @a may not be used in an expression"),
        ("BEGIN { x = args[0]; }", "index 0 is out of range for dtrace:::BEGIN args[ ]"),
        ("BEGIN { x = (foo_t)1; }", 'syntax error near "1"'),
    ],
)
def test_messages(text: str, message: str) -> None:
    assert failure(text).diagnostic.message == message


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("BEGIN{ x = y + ; }", "D_SYNTAX"),  # parser
        ("BEGIN { x = 1 \x01 2; }", "D_SYNTAX"),  # lexer
        ("BEGIN { x = \"abc", "D_SYNTAX"),
        ("#pragma D option nope\nBEGIN { }", "D_PRAGMA_OPTSET"),  # pragma pass
        ("tcp:::recieve { }", "D_PDESC_ZERO"),  # probe matching
        ("BEGIN { x = nosuch; }", "D_IDENT_UNDEF"),  # clause compiler
        ('BEGIN { printf("%s", 1); }', "D_PRINTF_ARG_TYPE"),  # formats
        ("BEGIN { @ = llquantize(1, 10, 0, 5, 3); }", "D_LLQUANT_FACTORNSTEPS"),
        ("int x; long x;", "D_DECL_IDRED"),  # declarations
    ],
)
def test_errtags_on_every_error_path(text: str, tag: str) -> None:
    # dtrace -x errtags: "[D_TAG] " precedes the message for every compile error.
    err = failure(text, kind="program", errtags=True)
    assert f": [{tag}] " in err.render()
    assert f"[{tag}]" not in failure(text, kind="program").render()
