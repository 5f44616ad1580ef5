"""The whole-column printing of the default layout (printa._fast_entries)
against the entry-at-a-time one (printa._general_entries) it must match
byte for byte, over generated aggregations with ties, negative and
out-of-range values, every key width, several keys and every sort option.
"""

from __future__ import annotations

import itertools
import random

import pytest

from pcapprobe.dlang.runtime.aggregations import Aggregation
from pcapprobe.dlang.runtime.printa import (
    SortOptions,
    _default_entries,
    _general_entries,
    _key_columns,
)
from pcapprobe.dlang.runtime.printf import (
    INT,
    INT64,
    POINTER,
    SHORT,
    STRING,
    UINT8,
    DType,
)

SMALL_STRING = DType("string", 6, False, "string")
SCALAR_FUNCS = ("count", "sum", "min", "max", "avg", "stddev")
OPTIONS = [SortOptions(key, rev, 0, keypos)
           for key, rev, keypos in itertools.product((False, True), (False, True),
                                                     (0, 1, 2, 5))]


def int_key(rng: random.Random) -> int:
    """Few distinct small values (so ties), negatives, and values beyond the
    key's size that compare and print like smaller ones."""
    return rng.choice([
        rng.randrange(4),
        -rng.randrange(1, 4),
        rng.randrange(1 << 8, 1 << 9),
        rng.randrange(4) + (1 << 32),
        rng.randrange(4) + (1 << 64),
        (1 << 63) + rng.randrange(3),
        rng.randrange(1 << 70),
    ])


def string_key(rng: random.Random) -> str:
    """Printable, empty, too long for SMALL_STRING, and unprintable strings."""
    return rng.choice(["a", "b", "ab", "", "abcdefgh", "tab\there", "\x7f", "é", "zz"])


def value(rng: random.Random) -> int:
    return rng.choice([rng.randrange(3), -rng.randrange(5), rng.randrange(1 << 64),
                       -(1 << 63) - rng.randrange(3)])


def generated(func: str, key_types: list[DType], seed: int,
              params: tuple[int, ...] = ()) -> Aggregation:
    rng = random.Random(seed)
    agg = Aggregation("a", func, params, key_types, 1)
    for _ in range(rng.randrange(1, 60)):
        key = tuple(string_key(rng) if t.kind == "string" else int_key(rng)
                    for t in key_types)
        agg.update(key, value(rng), rng.choice([1, 1, 2, -1]))
    return agg


KEY_TYPE_SETS = [[], [INT64], [INT], [SHORT], [UINT8], [POINTER], [STRING],
                 [SMALL_STRING], [INT, STRING], [STRING, UINT8, INT64],
                 [SHORT, SHORT, INT]]


def assert_same(agg: Aggregation) -> None:
    for options in OPTIONS:
        assert _default_entries(agg, options) == _general_entries(agg, options), options


@pytest.mark.parametrize("func", SCALAR_FUNCS)
@pytest.mark.parametrize("key_types", KEY_TYPE_SETS, ids=str)
def test_scalar_values_print_as_the_general_path(func: str,
                                                 key_types: list[DType]) -> None:
    for seed in range(8):
        agg = generated(func, key_types, seed)
        assert _key_columns(agg) is not None  # the whole-column path is taken
        assert_same(agg)


@pytest.mark.parametrize("func,params", [("quantize", ()), ("lquantize", (-2, 3)),
                                         ("llquantize", (10, 0, 3, 10))])
def test_histograms_print_as_the_general_path(func: str, params: tuple[int, ...]) -> None:
    for seed in range(4):
        agg = generated(func, [INT, STRING], seed, params)
        assert _key_columns(agg) is not None
        assert_same(agg)


@pytest.mark.parametrize("func", SCALAR_FUNCS)
def test_normalized_and_cleared_values(func: str) -> None:
    for seed in range(4):
        agg = generated(func, [INT64], seed)
        agg.normalize(3)
        assert_same(agg)
        agg.clear()
        assert_same(agg)


def test_value_ties_keep_the_general_order() -> None:
    # Equal values and keys that compare equal (-1 and 2**64 - 1 at 8 bytes,
    # 5 and 2**32 + 5 at 4 bytes) keep their insertion order, reversed
    # with aggsortrev.
    for key_types, keys in (([INT64], [-1, 7, (1 << 64) - 1, 3]),
                            ([INT], [5, 1 << 40, (1 << 32) + 5, 0])):
        agg = Aggregation("a", "count", (), key_types, 1)
        for key in keys:
            agg.update((key,), 0, 1)
        assert_same(agg)


def test_mixed_types_or_lengths_of_keys_take_the_general_path() -> None:
    agg = Aggregation("a", "count", (), [INT64], 1)
    agg.update((1,), 0, 1)
    agg.update(("x",), 0, 1)
    assert _key_columns(agg) is None
    agg = Aggregation("a", "count", (), [INT64], 1)
    agg.update((1,), 0, 1)
    agg.update((1, 2), 0, 1)
    assert _key_columns(agg) is None
    assert_same(agg)


def test_empty_aggregation_prints_nothing() -> None:
    agg = Aggregation("a", "sum", (), [INT, STRING], 1)
    assert _default_entries(agg, SortOptions()) == ""
