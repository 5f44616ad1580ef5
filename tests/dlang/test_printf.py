"""printf() formats: every conversion and flag, and DTrace's compile-time errors.

Expected strings follow C printf as dt_printf.c drives it (see
/work/shared/notes/d-output-rules.md section 5).
"""

from __future__ import annotations

import time

import pytest

from pcapprobe.dlang.runtime.printf import (
    CHAR,
    INT,
    INT64,
    LONG,
    LONGLONG,
    POINTER,
    SHORT,
    STRING,
    UINT,
    UINT8,
    UINT64,
    USHORT,
    DType,
    FormatError,
    compile_format,
    escape_string,
)

DOUBLE = DType("float", 8, True, "double")


def render(fmt: str, types: list[DType], values: list[object]) -> str:
    return compile_format(fmt).bind(types).render(values)


@pytest.mark.parametrize(
    ("fmt", "dtype", "value", "expected"),
    [
        ("%d", INT, -5, "-5"),
        ("%5d|", INT, -5, "   -5|"),
        ("%-5d|", INT, -5, "-5   |"),
        ("%05d", INT, -5, "-0005"),
        # dt_printf_create: a later '0' flag clears an earlier '-'.
        ("%-05d|", INT, 42, "00042|"),
        ("%0-5d|", INT, 42, "42   |"),
        ("%+d", INT, 5, "+5"),
        ("%+d", INT, -5, "-5"),
        ("% d", INT, 5, " 5"),
        ("%+ d", INT, 5, "+5"),
        ("%i", INT, 12, "12"),
        ("%.3d", INT, 7, "007"),
        ("%8.3d|", INT, 7, "     007|"),
        ("%08.3d|", INT, 7, "     007|"),
        ("%.0d", INT, 0, "0"),  # a zero precision is not written
        ("%?d|", INT, 1, "               1|"),
        ("%'d", INT, 1234567, "1234567"),  # C locale: no grouping
        ("%d", UINT, 4294967295, "4294967295"),  # %d of unsigned is %u
        ("%d", INT64, -1, "-1"),
        ("%d", UINT64, (1 << 64) - 1, "18446744073709551615"),
        ("%d", CHAR, -1, "-1"),
        ("%d", UINT8, 255, "255"),
        ("%u", INT, -1, "4294967295"),
        ("%u", INT64, -1, "18446744073709551615"),
        ("%+u", INT, 5, "5"),  # sign flags do nothing to unsigned output
        ("%x", INT, -1, "ffffffff"),
        ("%x", CHAR, -1, "ff"),
        ("%X", INT, 255, "FF"),
        ("%#x", INT, 255, "0xff"),
        ("%#X", INT, 255, "0XFF"),
        ("%#x", INT, 0, "0"),
        ("%#010x", INT, 255, "0x000000ff"),
        ("%o", INT, 8, "10"),
        ("%#o", INT, 8, "010"),
        ("%#o", INT, 0, "0"),
        ("%hd", SHORT, -1, "-1"),
        ("%hu", USHORT, 65535, "65535"),
        ("%hx", USHORT, 65535, "ffff"),
        ("%ld", LONG, -3, "-3"),
        ("%ld", INT64, -3, "-3"),
        ("%lu", UINT64, 3, "3"),
        ("%lx", UINT64, 255, "ff"),
        ("%lld", LONGLONG, -1, "-1"),
        ("%llx", UINT64, (1 << 64) - 1, "ffffffffffffffff"),
        ("%llx", INT64, -1, "ffffffffffffffff"),
        ("%p", POINTER, 0x1234, "1234"),
        ("%#p", POINTER, 0x1234, "0x1234"),
        ("%c", INT, 65, "A"),
        ("%3c|", CHAR, 66, "  B|"),
        ("%-3c|", CHAR, 66, "B  |"),
        ("%s", STRING, "abc", "abc"),
        ("%10s|", STRING, "abc", "       abc|"),
        ("%-10s|", STRING, "abc", "abc       |"),
        ("%.2s", STRING, "abcdef", "ab"),
        ("%-6.2s|", STRING, "abcdef", "ab    |"),
        ("%05s|", STRING, "ab", "   ab|"),  # '0' does not pad strings
        ("% 05d|", INT, 42, " 0042|"),
        ("%#.3o|", INT, 8, "010|"),
        ("%#5x|", INT, 0, "    0|"),
        ("%S", STRING, 'a\tb"c\\', 'a\\tb\\"c\\\\'),
        ("%e", DOUBLE, 1.5, "1.500000e+00"),
        ("%E", DOUBLE, 1.5, "1.500000E+00"),
        ("%.2f", DOUBLE, 3.14159, "3.14"),
        ("%g", DOUBLE, 0.0001, "0.0001"),
        ("%G", DOUBLE, 1e-10, "1E-10"),
    ],
)
def test_single_conversion(fmt: str, dtype: DType, value: object,
                           expected: str) -> None:
    assert render(fmt, [dtype], [value]) == expected


def test_text_and_percent() -> None:
    assert render("100%% of %s\n", [STRING], ["x"]) == "100% of x\n"
    assert render("no conversions\n", [], []) == "no conversions\n"


def test_dynamic_width_and_precision() -> None:
    assert render("%*d|", [INT, INT], [5, 42]) == "   42|"
    assert render("%-*d|", [INT, INT], [5, 42]) == "42   |"
    assert render("%*d|", [INT, INT], [-5, 42]) == "42   |"
    assert render("%.*s|", [INT, STRING], [2, "abcdef"]) == "ab|"
    assert render("%*.*s|", [INT, INT, STRING], [6, 3, "abcdef"]) == "   abc|"


def test_several_conversions() -> None:
    out = render("%s:%d %-4x|%5s\n", [STRING, INT, INT, STRING],
                 ["tcp", 80, 255, "ok"])
    assert out == "tcp:80 ff  |   ok\n"


def test_time_conversion() -> None:
    # the suite runs in UTC (tests/conftest.py)
    assert render("%Y", [INT64], [0]) == "1970 Jan  1 00:00:00"
    ns = 1_700_000_000 * 1_000_000_000 + 999
    assert render("[%Y]", [UINT64], [ns]) == "[2023 Nov 14 22:13:20]"


def test_escape_string() -> None:
    assert escape_string("\a\b\f\n\r\t\v") == "\\a\\b\\f\\n\\r\\t\\v"
    assert escape_string("\x01x") == "\\1x"
    assert escape_string("ab\0cd") == "ab"
    # A high byte is a negative char, printed with %o as an unsigned int.
    assert escape_string("\xe9") == "\\37777777751"


def test_conversions_expose_prototypes() -> None:
    convs = compile_format("%d %s %-*lld %@u").conversions
    assert [c.name for c in convs] == ["d", "s", "lld", "u"]
    assert convs[0].proto == "char, short, int, long, or long long"
    assert convs[1].proto == "char [] or string (or use stringof)"
    assert convs[2].dyn_width and convs[2].left
    assert convs[3].agg
    assert convs[0].check(INT) and not convs[0].check(STRING)
    assert convs[1].check(STRING) and not convs[1].check(INT)


def error_of(fmt: str, types: list[DType], **kwargs: object) -> FormatError:
    with pytest.raises(FormatError) as info:
        compile_format(fmt).bind(types, **kwargs)  # type: ignore[arg-type]
    return info.value


def test_argument_type_mismatch_wording() -> None:
    err = error_of("%d\n", [STRING])
    assert err.tag == "D_PRINTF_ARG_TYPE"
    assert err.message == (
        "printf( ) argument #2 is incompatible with conversion #1 prototype:\n"
        "\tconversion: %d\n"
        "\t prototype: char, short, int, long, or long long\n"
        "\t  argument: string")


@pytest.mark.parametrize(
    ("fmt", "types", "message"),
    [
        ("%s %s", [STRING, INT],
         "printf( ) argument #3 is incompatible with conversion #2 prototype:\n"
         "\tconversion: %s\n\t prototype: char [] or string (or use stringof)\n"
         "\t  argument: int"),
        ("%ld", [INT],
         "printf( ) argument #2 is incompatible with conversion #1 prototype:\n"
         "\tconversion: %ld\n\t prototype: long\n\t  argument: int"),
        ("%e", [INT],
         "printf( ) argument #2 is incompatible with conversion #1 prototype:\n"
         "\tconversion: %e\n\t prototype: float, double, or long double\n"
         "\t  argument: int"),
        ("%c", [INT64],
         "printf( ) argument #2 is incompatible with conversion #1 prototype:\n"
         "\tconversion: %c\n\t prototype: char, short, or int\n"
         "\t  argument: int64_t"),
        ("%*d", [STRING, INT],
         "printf( ) argument #2 is incompatible with conversion #1 prototype:\n"
         "\tconversion: % * d\n\t prototype: int\n\t  argument: string"),
    ],
)
def test_prototype_errors(fmt: str, types: list[DType], message: str) -> None:
    assert error_of(fmt, types).message == message


def test_argument_count_errors() -> None:
    err = error_of("%d %d\n", [INT])
    assert (err.tag, err.message) == (
        "D_PRINTF_ARG_PROTO",
        "printf( ) prototype mismatch: conversion #2 (%d) is missing a "
        "corresponding value argument")
    err = error_of("%d\n", [INT, INT, INT])
    assert (err.tag, err.message) == (
        "D_PRINTF_ARG_EXTRA",
        "printf( ) prototype mismatch: only 1 arguments required by this "
        "format string")
    err = error_of("%*d", [])
    assert err.message == (
        'printf( ) prototype mismatch: conversion #1 (%d) is missing a '
        'corresponding "*" argument')


def test_empty_format_and_agg_conversion_in_printf() -> None:
    assert error_of("", []).message == "printf( ) format string is empty"
    assert error_of("%@d", []).message == (
        "%@ conversion requires an aggregation and is not for use with printf( )")


@pytest.mark.parametrize(
    ("fmt", "message"),
    [
        ("%z", "format conversion #1 is undefined: %z"),
        ("%d %hhd", "format conversion #2 is undefined: %hhd"),
        ("abc %", "format conversion #1 name expected before end of format string"),
        ("%..d", "format conversion #1 has more than one '.' specified"),
        ("%**d", "format conversion #1 has more than one '*' specified for "
                 "the output precision"),
        ("%1$d", "format conversion #1 uses unsupported positional format (%n$)"),
        ("%-%", "format conversion #1 cannot be combined with other format "
                "flags: %%"),
    ],
)
def test_parse_errors(fmt: str, message: str) -> None:
    with pytest.raises(FormatError) as info:
        compile_format(fmt)
    assert info.value.message == message


def test_printa_validation_allows_unprinted_keys() -> None:
    bound = compile_format("%s\n").bind([STRING, INT], "printa", aggregation="count")
    assert bound.render(["k", 3]) == "k\n"
    with pytest.raises(FormatError) as info:
        compile_format("%s %d %d %@d").bind([STRING, INT], "printa",
                                            aggregation="sum")
    assert info.value.message == (
        "printa( ) prototype mismatch: conversion #3 (%d) is missing a "
        "corresponding value argument")
    with pytest.raises(FormatError) as info:
        compile_format("%@s").bind([], "printa", aggregation="count")
    assert info.value.message == (
        "printa( ) aggregating action is incompatible with conversion #1 "
        "prototype:\n\tconversion: %s\n\t prototype: char [] or string (or use "
        "stringof)\n\t  argument: uint64_t")
