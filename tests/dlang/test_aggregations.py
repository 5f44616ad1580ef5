"""Aggregating functions: kernel semantics, normalize/trunc/clear, snapshots."""

from __future__ import annotations

import pytest

from pcapprobe.dlang.runtime.aggregations import (
    Aggregation,
    llquantize_bins,
    llquantize_bucket,
    quantize_bucket,
    quantize_bucket_value,
    stddev_value,
)
from pcapprobe.dlang.runtime.printf import INT, STRING

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


def fill(func: str, values: list[int], params: tuple[int, ...] = ()) -> Aggregation:
    agg = Aggregation("a", func, params)
    for v in values:
        agg.update((), v, 1)
    return agg


def test_count_sum_min_max() -> None:
    assert fill("count", [5, 6, 7]).snapshot() == {(): 3}
    assert fill("sum", [5, -6, 7]).snapshot() == {(): 6}
    assert fill("min", [5, -6, 7]).snapshot() == {(): -6}
    assert fill("max", [5, -6, 7]).snapshot() == {(): 7}


def test_sum_wraps_at_64_bits() -> None:
    assert fill("sum", [INT64_MAX, 1]).snapshot() == {(): INT64_MIN}


def test_min_max_compare_uint64_as_int64() -> None:
    # A uint64_t 2^64-1 is -1 to the kernel's int64_t comparison.
    assert fill("max", [(1 << 64) - 1, 0]).snapshot() == {(): 0}
    assert fill("min", [(1 << 64) - 1, 0]).snapshot() == {(): -1}


def test_avg_truncates_toward_zero() -> None:
    assert fill("avg", [1, 2]).snapshot() == {(): 1}
    assert fill("avg", [-1, -2]).snapshot() == {(): -1}


def test_stddev_matches_dtrace_example() -> None:
    # aggs/tst.stddev: 5000000000, 5000000100, ..., 5000000900 prints 287.
    agg = fill("stddev", list(range(5_000_000_000, 5_000_001_000, 100)))
    assert agg.snapshot() == {(): 287}
    assert stddev_value([0, 0, 0]) == 0
    assert fill("stddev", [-2, 2]).snapshot() == {(): 2}


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (0, 0), (1, 1), (2, 2), (3, 2), (4, 4), (1023, 512), (1024, 1024),
        (-1, -1), (-2, -2), (-3, -2), (-4, -4),
        (1 << 62, 1 << 62), (INT64_MAX, 1 << 62),
        (-(1 << 62), -(1 << 62)), (INT64_MIN, -(1 << 62)),
        ((1 << 64) - 1, -1),  # a uint64_t value is bucketed as int64_t
    ],
)
def test_quantize_buckets(value: int, label: int) -> None:
    assert quantize_bucket_value(quantize_bucket(value)) == label


def test_quantize_increment_and_snapshot() -> None:
    agg = Aggregation("q", "quantize", key_types=[STRING])
    agg.update(("a",), 5, 3)
    agg.update(("a",), 6, -1)
    agg.update(("a",), 0, 1)
    assert agg.snapshot() == {("a",): {0: 1, 4: 2}}


def test_lquantize_bins() -> None:
    agg = fill("lquantize", [-1, 0, 9, 10, 99, 100, 1000], (0, 100, 10))
    # "< base" is keyed base - 1, ">= limit" by the limit.
    assert agg.snapshot() == {(): {-1: 1, 0: 2, 10: 1, 90: 1, 100: 2}}


def test_lquantize_default_step_and_int32_truncation() -> None:
    agg = fill("lquantize", [(1 << 32) + 3], (0, 10))
    assert agg.snapshot() == {(): {3: 1}}


def test_llquantize_bins() -> None:
    assert llquantize_bins(10, 0, 2, 10) == 29
    assert llquantize_bucket(10, 0, 2, 10, 0) == 0
    assert llquantize_bucket(10, 0, 2, 10, 1) == 1
    assert llquantize_bucket(10, 0, 2, 10, 9) == 9
    assert llquantize_bucket(10, 0, 2, 10, 55) == 14
    assert llquantize_bucket(10, 0, 2, 10, 999) == 27
    assert llquantize_bucket(10, 0, 2, 10, 1000) == 28
    agg = fill("llquantize", [0, 55, 5000], (10, 0, 2, 10))
    assert agg.snapshot() == {(): {0: 1, 50: 1, 1000: 1}}


def test_llquantize_coarse_steps() -> None:
    # factor 10, 20 steps: [100, 1000) in 18 bins 50 wide, [1000, 10000) in
    # 18 bins 500 wide (dtrace_aggregate_llquantize_bucket; checked by hand).
    assert llquantize_bins(10, 2, 3, 20) == 38
    assert llquantize_bucket(10, 2, 3, 20, 99) == 0
    assert llquantize_bucket(10, 2, 3, 20, 320) == 5
    assert llquantize_bucket(10, 2, 3, 20, 999) == 18
    assert llquantize_bucket(10, 2, 3, 20, 1499) == 19
    assert llquantize_bucket(10, 2, 3, 20, 10_000) == 37
    agg = fill("llquantize", [320, 1499, 10**6], (10, 2, 3, 20))
    assert agg.snapshot() == {(): {300: 1, 1000: 1, 10_000: 1}}
    # factor 2, 4 steps: < 1 | 1 | 2 3 | 4 6 | 8 12 | >= 16
    assert [llquantize_bucket(2, 0, 3, 4, v) for v in (0, 1, 2, 3, 5, 7, 13, 16)] == [0, 1, 2, 3, 4, 5, 7, 8]


def test_normalize_and_denormalize_keep_data() -> None:
    agg = fill("sum", [10])
    agg.normalize(3)
    assert agg.normal == 3
    assert agg.snapshot() == {(): 10}
    agg.denormalize()
    assert agg.normal == 1


def keyed_sums(n: int) -> Aggregation:
    agg = Aggregation("t", "sum", key_types=[INT])
    for i in range(n):
        agg.update((i,), i, 1)
    return agg


def test_trunc_keeps_largest() -> None:
    agg = keyed_sums(100)
    agg.trunc(10)
    assert sorted(k[0] for k in agg.data) == list(range(90, 100))


def test_trunc_negative_keeps_smallest() -> None:
    agg = keyed_sums(100)
    agg.trunc(-3)
    assert sorted(k[0] for k in agg.data) == [0, 1, 2]


def test_trunc_more_than_present_and_zero() -> None:
    agg = keyed_sums(5)
    agg.trunc(50)
    assert len(agg.data) == 5
    agg.trunc()
    assert agg.data == {}


def test_trunc_leaves_unkeyed_aggregation() -> None:
    agg = fill("count", [1, 2])
    agg.trunc(0)
    assert agg.snapshot() == {(): 2}


def test_clear_zeroes_values_and_keeps_keys() -> None:
    agg = Aggregation("c", "avg", key_types=[STRING])
    agg.update(("x",), 4, 1)
    agg.clear()
    assert agg.snapshot() == {("x",): 0}
    agg.update(("x",), 6, 1)
    assert agg.snapshot() == {("x",): 6}


def test_clear_min_is_bzero() -> None:
    # dt_aggwalk_rval bzero()es the value, so a cleared min() reads 0 and
    # positive values never lower it again.
    agg = fill("min", [5])
    agg.clear()
    agg.update((), 7, 1)
    assert agg.snapshot() == {(): 0}


def test_keys_of_any_tuple() -> None:
    agg = Aggregation("k", "count", key_types=[STRING, INT, STRING])
    agg.add(("a", 1, "b"))
    agg.add(("a", 1, "b"))
    agg.add(("a", 2, "b"))
    assert agg.snapshot() == {("a", 1, "b"): 2, ("a", 2, "b"): 1}


def test_unknown_function_rejected() -> None:
    with pytest.raises(ValueError):
        Aggregation("x", "median")
