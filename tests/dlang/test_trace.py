"""trace() records (Oracle dt_print_trace) and the non-quiet probe line (dtrace.c)."""

from __future__ import annotations

import pytest

from pcapprobe.dlang.runtime.printf import (
    CHAR,
    INT,
    INT64,
    SHORT,
    STRING,
    UINT,
    UINT8,
    UINT64,
    DType,
)
from pcapprobe.dlang.runtime.trace import (
    FIRING_END,
    bytes_text,
    probe_header,
    probe_prefix,
    string_bytes,
    trace_text,
)


def test_probe_header_and_prefix() -> None:
    assert probe_header() == "CPU     ID                    FUNCTION:NAME\n"
    assert probe_prefix(0, 1, "", "BEGIN") == (
        "  0      1" + " " * 27 + ":BEGIN ")
    assert probe_prefix(3, 71234, "tcp_input", "receive") == (
        "  3  71234" + " " * 16 + "tcp_input:receive ")
    assert FIRING_END == "\n"


@pytest.mark.parametrize(
    ("value", "dtype", "quiet", "expected"),
    [
        (42, INT64, False, " " + " " * 17 + "42"),
        (-1, INT64, False, " " + " " * 17 + "-1"),
        ((1 << 64) - 1, UINT64, False, " 18446744073709551615"),
        (42, INT, False, "         42"),
        (4294967295, UINT, False, " 4294967295"),
        (-1, SHORT, False, "    -1"),
        (-1, CHAR, False, "  -1"),
        (7, UINT8, False, "   7"),
        (42, INT64, True, "42"),
        (-1, INT, True, "-1"),
        (-1, CHAR, True, "-1"),
        ((1 << 64) - 1, UINT64, True, "18446744073709551615"),
    ],
)
def test_trace_integers(value: int, dtype: DType, quiet: bool, expected: str) -> None:
    assert trace_text(value, dtype, quiet) == expected


def test_trace_strings() -> None:
    assert trace_text("hello", STRING, quiet=True) == "hello"
    assert trace_text("hello", STRING, quiet=False) == "  hello" + " " * 28


def test_trace_empty_string_is_a_hex_dump() -> None:
    small = DType("string", 20, False, "string")
    assert trace_text("", small, quiet=True) == (
        "\n" + " " * 11 + "".join(f"  {c}" for c in "0123456789abcdef")
        + "  0123456789abcdef\n"
        + "         0:" + " 00" * 16 + "  " + "." * 16 + "\n"
        + "        10:" + " 00" * 4 + "   " * 12 + "  " + "...." + "\n")


def test_unprintable_string_is_a_hex_dump() -> None:
    data = b"ab\x01" + b"\0" * 13
    assert bytes_text(data, -33, quiet=True) == (
        "\n" + " " * 11 + "".join(f"  {c}" for c in "0123456789abcdef")
        + "  0123456789abcdef\n"
        + "         0: 61 62 01" + " 00" * 13 + "  ab" + "." * 14 + "\n")


def test_string_bytes_pads_and_truncates() -> None:
    assert string_bytes("abc", 6) == b"abc\0\0\0"
    assert string_bytes("abcdefgh", 4) == b"abcd"  # a full record has no NUL (dtrace_probe)
    assert string_bytes("\xe9", 3) == b"\xc3\xa9\0"  # é as UTF-8, as the wire had it
    assert string_bytes("\udce9", 3) == b"\xe9\0\0"  # a wire byte that was not UTF-8


def test_whitespace_counts_as_printable() -> None:
    assert trace_text("a\tb\n", STRING, quiet=True) == "a\tb\n"
