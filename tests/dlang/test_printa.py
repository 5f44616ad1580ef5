"""printa() and exit-time aggregation output, byte for byte.

Expected text is written from the rules in /work/shared/notes/d-output-rules.md
(sections 2-4 and 7), checked against the illumos dt_consume.c formats.
"""

from __future__ import annotations

import pytest

from pcapprobe.dlang.runtime.aggregations import Aggregation
from pcapprobe.dlang.runtime.printa import (
    SortOptions,
    check_printa_keys,
    key_text,
    print_unprinted,
    printa_text,
)
from pcapprobe.dlang.runtime.printf import (
    INT,
    INT64,
    SHORT,
    STRING,
    UINT,
    UINT8,
    BoundFormat,
    DType,
    FormatError,
    compile_format,
)

HEADER = "\n           value  ------------- Distribution ------------- count    \n"


def row(label: str, ats: int, count: int) -> str:
    """A histogram row with only non-negative counts: ``ats`` is the bar depth."""
    return f"{label:>16} |{'@' * ats}{' ' * (40 - ats)} {count:<9}\n"


def agg_of(func: str, entries: list[tuple[tuple[object, ...], int]],
           key_types: list[DType], params: tuple[int, ...] = (),
           varid: int = 1) -> Aggregation:
    agg = Aggregation("a", func, params, key_types, varid)
    for key, value in entries:
        agg.update(key, value, 1)
    return agg


def fmt(text: str, key_types: list[DType], func: str = "count") -> BoundFormat:
    return compile_format(text).bind(key_types, "printa", aggregation=func)


# ---------------------------------------------------------------- keys


def test_key_widths_by_type() -> None:
    assert key_text(7, INT64) == " " + " " * 15 + "7"
    assert key_text(7, INT) == "        7"
    assert key_text(7, SHORT) == "     7"
    assert key_text(7, UINT8) == "   7"
    assert key_text("tcp", STRING) == "  tcp" + " " * 47


def test_key_signedness_by_size() -> None:
    # 4-byte keys go through %d; 1- and 2-byte ones are read unsigned.
    assert key_text(4294967295, UINT) == "       -1"
    assert key_text(-1, SHORT) == " 65535"
    assert key_text(-1, DType("int", 1, True, "char")) == " 255"


def test_empty_string_key_is_a_hex_dump() -> None:
    text = key_text("", DType("string", 16, False, "string"))
    assert text == (
        "\n" + " " * 11
        + "".join(f"  {c}" for c in "0123456789abcdef")
        + "  0123456789abcdef\n"
        + "         0:" + " 00" * 16 + "  " + "." * 16 + "\n")


# ---------------------------------------------------------------- default printa


def test_default_printa_count_by_string() -> None:
    agg = agg_of("count", [(("b",), 0), (("a",), 0), (("b",), 0)], [STRING])
    pad = " " * 49
    assert printa_text([agg], None) == (
        "\n"
        f"  a{pad}                1\n"
        f"  b{pad}                2\n")
    assert agg.printed


def test_unkeyed_values() -> None:
    agg = agg_of("sum", [((), -5), ((), 2)], [])
    assert printa_text([agg], None) == "\n" + " " * 15 + "-3\n"


def test_values_of_every_scalar_function() -> None:
    values = [((), 3), ((), 4)]
    lines = {f: printa_text([agg_of(f, values, [])], None)
             for f in ("count", "sum", "avg", "min", "max", "stddev")}
    assert lines == {
        "count": "\n" + " " * 16 + "2\n",
        "sum": "\n" + " " * 16 + "7\n",
        "avg": "\n" + " " * 16 + "3\n",
        "min": "\n" + " " * 16 + "3\n",
        "max": "\n" + " " * 16 + "4\n",
        # isqrt(25 / 2 - (7 / 2)^2) = isqrt(12 - 9) in integers.
        "stddev": "\n" + " " * 16 + "1\n",
    }


def test_sort_by_value_then_key() -> None:
    agg = agg_of("sum", [((3,), 5), ((1,), 5), ((2,), 1), ((-1,), 5)], [INT])
    # Equal values sort by key compared unsigned: -1 comes last.
    assert printa_text([agg], None) == (
        "\n"
        "        2                1\n"
        "        1                5\n"
        "        3                5\n"
        "       -1                5\n")


def test_aggsortkey_aggsortrev_and_keypos() -> None:
    entries = [(("b", 1), 9), (("a", 2), 1), (("c", 0), 5)]
    agg = agg_of("sum", entries, [STRING, INT])
    pad = " " * 49

    def lines(options: SortOptions) -> list[str]:
        return printa_text([agg], None, options).splitlines()[1:]

    assert lines(SortOptions(aggsortkey=True)) == [
        f"  a{pad}        2                1",
        f"  b{pad}        1                9",
        f"  c{pad}        0                5"]
    assert lines(SortOptions(aggsortrev=True)) == [
        f"  b{pad}        1                9",
        f"  c{pad}        0                5",
        f"  a{pad}        2                1"]
    assert lines(SortOptions(aggsortkey=True, aggsortkeypos=1)) == [
        f"  c{pad}        0                5",
        f"  b{pad}        1                9",
        f"  a{pad}        2                1"]


def test_normalize_divides_printed_values() -> None:
    agg = agg_of("sum", [(("x",), 10), (("y",), 7)], [STRING])
    agg.normalize(3)
    pad = " " * 49
    assert printa_text([agg], None) == (
        "\n"
        f"  y{pad}                2\n"
        f"  x{pad}                3\n")
    agg.denormalize()
    assert printa_text([agg], None).splitlines()[2].endswith(" 10")


def test_normalize_negative_sum_is_unsigned_division() -> None:
    # dt_print_datum: (long long)value / (uint64_t)normal divides unsigned.
    agg = agg_of("sum", [((), -10)], [])
    agg.normalize(3)
    assert printa_text([agg], None) == "\n 6148914691236517202\n"


def test_normalize_avg_divides_sum_first() -> None:
    agg = agg_of("avg", [((), 10), ((), 21)], [])
    agg.normalize(4)
    assert printa_text([agg], None) == "\n" + " " * 16 + "3\n"


# ---------------------------------------------------------------- histograms


def test_quantize_histogram() -> None:
    agg = agg_of("quantize", [((), 1), ((), 2), ((), 3)], [])
    assert printa_text([agg], None) == (
        "\n" + HEADER
        + "               0 |                                         0        \n"
        + "               1 |@@@@@@@@@@@@@                            1        \n"
        + "               2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@              2        \n"
        + "               4 |                                         0        \n"
        + "\n")


def test_quantize_zero_rows_between_and_negative_values() -> None:
    agg = agg_of("quantize", [((), -5), ((), 0), ((), 1000)], [])
    expected = HEADER + row("-8", 0, 0) + row("-4", 13, 1)
    expected += row("-2", 0, 0) + row("-1", 0, 0) + row("0", 13, 1)
    for label in ("1", "2", "4", "8", "16", "32", "64", "128", "256"):
        expected += row(label, 0, 0)
    expected += row("512", 13, 1) + row("1024", 0, 0)
    assert agg.datum(()).value_text() == expected


def test_quantize_huge_values_clamp_to_end_buckets() -> None:
    agg = agg_of("quantize", [((), (1 << 63) - 1), ((), -(1 << 63))], [])
    labels = [-(1 << k) for k in range(62, -1, -1)] + [0]
    labels += [1 << k for k in range(63)]
    rows = [row(str(label), 0, 0) for label in labels]
    rows[0] = row("-4611686018427387904", 20, 1)
    rows[-1] = row("4611686018427387904", 20, 1)
    assert len(rows) == 127
    assert agg.datum(()).value_text() == HEADER + "".join(rows)


def test_quantize_negative_counts_only() -> None:
    agg = Aggregation("q", "quantize")
    agg.update((), 3, -2)
    assert agg.datum(()).value_text() == (
        HEADER
        + "               1                                         | 0        \n"
        + "               2 @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@| -2       \n"
        + "               4                                         | 0        \n")


def test_quantize_mixed_sign_counts_use_half_bars() -> None:
    agg = Aggregation("q", "quantize")
    agg.update((), 1, -3)
    agg.update((), 2, 1)
    blank = " " * 20
    assert agg.datum(()).value_text() == (
        HEADER
        + f"               0 {blank}|{blank} 0        \n"
        + f"               1 {' ' * 5}{'@' * 15}|{blank} -3       \n"
        + f"               2 {blank}|{'@' * 5}{' ' * 15} 1        \n"
        + f"               4 {blank}|{blank} 0        \n")


def test_quantize_all_zero_shows_around_zero() -> None:
    agg = Aggregation("q", "quantize")
    agg.update((), 1, 1)
    agg.update((), 1, -1)
    assert agg.datum(()).value_text() == (
        HEADER + row("-1", 0, 0) + row("0", 0, 0) + row("1", 0, 0))


def test_quantize_normalized_counts_keep_raw_bars() -> None:
    agg = Aggregation("q", "quantize")
    agg.update((), 1, 7)
    agg.update((), 2, 3)
    agg.normalize(2)
    assert agg.datum(()).value_text() == (
        HEADER + row("0", 0, 0) + row("1", 28, 3) + row("2", 12, 1)
        + row("4", 0, 0))


def test_lquantize_histogram() -> None:
    agg = agg_of("lquantize", [((), -1), ((), 5), ((), 100)], [], (0, 10, 2))
    assert agg.datum(()).value_text() == (
        HEADER + row("< 0", 13, 1) + row("0", 0, 0) + row("2", 0, 0)
        + row("4", 13, 1) + row("6", 0, 0) + row("8", 0, 0) + row(">= 10", 13, 1))


def test_lquantize_rows_and_empty() -> None:
    agg = agg_of("lquantize", [((), 50)], [], (0, 100, 10))
    assert agg.datum(()).value_text() == (
        HEADER + row("40", 0, 0) + row("50", 40, 1) + row("60", 0, 0))
    empty = Aggregation("e", "lquantize", (0, 100, 10))
    empty.update((), 50, 1)
    empty.clear()
    assert empty.datum(()).value_text() == (
        HEADER + row("< 0", 0, 0) + row("0", 0, 0) + row("10", 0, 0))


def test_llquantize_histogram() -> None:
    agg = agg_of("llquantize", [((), 320)], [], (10, 0, 5, 10))
    assert agg.datum(()).value_text() == (
        HEADER + row("200", 0, 0) + row("300", 40, 1) + row("400", 0, 0))
    low = agg_of("llquantize", [((), 0)], [], (10, 1, 3, 10))
    assert low.datum(()).value_text() == (
        HEADER + row("< 10", 40, 1) + row("10", 0, 0))
    top = agg_of("llquantize", [((), 10**9)], [], (10, 0, 2, 10))
    assert top.datum(()).value_text() == (
        HEADER + row("900", 0, 0) + row(">= 1000", 40, 1))


def test_keyed_histograms_have_blank_line_after() -> None:
    agg = agg_of("quantize", [(("k",), 1)], [STRING])
    expected = ("\n  k" + " " * 49 + HEADER
                + row("0", 0, 0) + row("1", 40, 1) + row("2", 0, 0) + "\n")
    assert printa_text([agg], None) == expected


# ---------------------------------------------------------------- formatted printa


def test_formatted_printa() -> None:
    agg = agg_of("count", [(("b",), 0), (("a",), 0), (("b",), 0)], [STRING])
    out = printa_text([agg], fmt("%-4s|%@5d|\n", [STRING]))
    assert out == "a   |    1|\nb   |    2|\n"


def test_formatted_printa_without_value_conversion() -> None:
    agg = agg_of("count", [(("a",), 0)], [STRING])
    assert printa_text([agg], fmt("key %s\n", [STRING])) == "key a\n"


def test_formatted_printa_avg_is_unsigned_division() -> None:
    agg = agg_of("avg", [((), -10), ((), 0)], [])
    assert printa_text([agg], fmt("%@d\n", [], "avg")) == "9223372036854775803\n"


def test_formatted_printa_hex_of_negative_sum() -> None:
    agg = agg_of("sum", [((), -1)], [])
    assert printa_text([agg], fmt("%@x %@d\n", [], "sum")) == "ffffffffffffffff -1\n"


def test_formatted_printa_histogram() -> None:
    agg = agg_of("quantize", [((), 1)], [])
    out = printa_text([agg], fmt("@c = %@d\n", [], "quantize"))
    assert out == "@c = " + HEADER + row("0", 0, 0) + row("1", 40, 1) + row(
        "2", 0, 0) + "\n"


def test_multi_aggregation_printa_with_missing_keys() -> None:
    a = agg_of("count", [(("x",), 0), (("y",), 0), (("y",), 0)], [STRING], varid=1)
    b = agg_of("sum", [(("y",), 10), (("w",), 5)], [STRING], varid=2)
    out = printa_text([a, b], fmt("%s %@d %@d\n", [STRING]))
    assert out == "w 0 5\nx 1 0\ny 2 10\n"
    pad = " " * 49
    assert printa_text([a, b], None) == (
        "\n"
        f"  w{pad}                0                5\n"
        f"  x{pad}                1                0\n"
        f"  y{pad}                2               10\n")


def test_multi_aggregation_extra_value_conversion_repeats_last() -> None:
    a = agg_of("count", [(("x",), 0)], [STRING], varid=1)
    b = agg_of("sum", [(("x",), 7)], [STRING], varid=2)
    assert printa_text([a, b], fmt("%s %@d %@d %@d\n", [STRING])) == "x 1 7 7\n"


def test_multi_aggregation_aggsortpos() -> None:
    a = agg_of("sum", [(("p",), 1), (("q",), 2)], [STRING], varid=1)
    b = agg_of("sum", [(("p",), 20), (("q",), 10)], [STRING], varid=2)
    line = fmt("%s ", [STRING], "sum")
    assert printa_text([a, b], line) == "p q "
    assert printa_text([a, b], line, SortOptions(aggsortpos=1)) == "q p "
    assert printa_text([a, b], line, SortOptions(aggsortkey=True,
                                                 aggsortrev=True)) == "q p "


# ---------------------------------------------------------------- exit output


def test_print_unprinted_in_variable_order_without_blank_lines() -> None:
    second = agg_of("count", [((1,), 0)], [INT], varid=2)
    first = agg_of("sum", [((), 42)], [], varid=1)
    printed = agg_of("count", [((), 0)], [], varid=3)
    printa_text([printed], None)
    assert print_unprinted([second, first, printed]) == (
        "               42\n"
        "        1                1\n")


def test_two_unkeyed_histograms_at_exit() -> None:
    a = agg_of("quantize", [((), 1)], [], varid=1)
    b = agg_of("quantize", [((), 2)], [], varid=2)
    hist_a = HEADER + row("0", 0, 0) + row("1", 40, 1) + row("2", 0, 0)
    hist_b = HEADER + row("1", 0, 0) + row("2", 40, 1) + row("4", 0, 0)
    assert print_unprinted([a, b]) == hist_a + "\n" + hist_b + "\n"


def test_empty_aggregation_prints_nothing_and_stays_unprinted() -> None:
    agg = Aggregation("e", "count", (), [STRING])
    assert printa_text([agg], None) == "\n"
    assert not agg.printed
    assert print_unprinted([agg]) == ""


def test_cleared_aggregation_prints_zeros() -> None:
    agg = agg_of("count", [(("a",), 0)], [STRING])
    agg.clear()
    assert printa_text([agg], None) == "\n  a" + " " * 49 + " " * 16 + "0\n"


def test_truncated_aggregation_output() -> None:
    agg = Aggregation("t", "sum", (), [INT])
    for i in range(10):
        agg.update((i,), i, 1)
    agg.trunc(2)
    assert printa_text([agg], None) == (
        "\n        8                8\n        9                9\n")
    agg.trunc(-1)
    assert printa_text([agg], None) == "\n        8                8\n"


# ---------------------------------------------------------------- key signatures


def test_printa_key_signatures() -> None:
    check_printa_keys([("a", [STRING, INT]), ("b", [STRING, SHORT])])
    with pytest.raises(FormatError) as info:
        check_printa_keys([("a", [STRING]), ("b", [STRING, INT])])
    assert (info.value.tag, info.value.message) == (
        "D_PRINTA_AGGKEY",
        "printa( ): @a and @b do not have matching key signatures: "
        "@a has 1 key, @b has 2 keys")
    with pytest.raises(FormatError) as info:
        check_printa_keys([("a", [STRING, INT]), ("bb", [STRING, STRING])])
    assert (info.value.tag, info.value.message) == (
        "D_PRINTA_AGGPROTO",
        "printa( ): @bb[ ] key #2 is incompatible with @a:\n"
        "        a key #2: int\n"
        "       bb key #2: string")


def test_joined_printa_marks_every_aggregation_printed() -> None:
    a = agg_of("count", [(("x",), 0)], [STRING], varid=1)
    b = Aggregation("b", "sum", (), [STRING], varid=2)
    printa_text([a, b], None)
    assert a.printed and b.printed
    b.update(("y",), 1, 1)
    assert print_unprinted([a, b]) == ""
