"""D aggregations: count sum avg min max stddev quantize lquantize llquantize.

Semantics follow the illumos kernel (uts/common/dtrace/dtrace.c:
``dtrace_aggregate_*``) and consumer (lib/libdtrace/common/dt_aggregate.c
for sorting and clearing, dt_consume.c for normalize/trunc, printing and
``dt_stddev``).

Hot path: the compiler fetches ``agg.update`` once and calls
``update(key, value, incr)`` per firing.  ``key`` is always a tuple (``()``
for ``@x = count()``, ``(k,)`` for one key); ``value`` is the aggregated
expression (ignored by count) and ``incr`` the optional increment of the
quantizing functions.  ``agg.data`` is the plain dict behind it.

State per key: count/sum/min/max an int; avg ``[n, sum]``; stddev
``[n, sum, sum of squares]``; the quantizing functions a dict bin -> count.
Sums are kept unbounded and wrapped to 64 bits when read, which is what the
kernel's wrapping ``uint64_t`` arithmetic gives.

``snapshot()`` gives plain data: key tuple -> value, where avg and stddev
are the integers DTrace prints (unnormalized) and a histogram is a dict
from row label to count (``< base`` rows keyed by the base minus one).
llquantize parameters must already be valid (factor >= 2, low < high,
factor <= nsteps, nsteps a multiple of factor): the compiler checks them.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from pcapprobe.dlang.runtime.context import DFault
from pcapprobe.dlang.runtime.printf import DType, c_format, to_signed, to_unsigned

__all__ = [
    "AGG_FUNCTIONS",
    "AggDatum",
    "Aggregation",
    "llquantize_bins",
    "lquantize_levels",
]

AGG_FUNCTIONS = ("count", "sum", "avg", "min", "max", "stddev", "quantize",
                 "lquantize", "llquantize")

_U64 = (1 << 64) - 1
_U128 = (1 << 128) - 1
_INT64_MAX = (1 << 63) - 1
_SIGN64 = 1 << 63
_QUANTIZE_ZERO = 63  # DTRACE_QUANTIZE_ZEROBUCKET
_QUANTIZE_NBUCKETS = 127
_HEADER = "\n%16s %41s %-9s\n" % ("value", "------------- Distribution -------------",
                                  "count")

Update = Callable[[tuple[Any, ...], int, int], None]
# called before a new key is stored: False when the aggregation buffer is full
Admit = Callable[[], bool]


def _always() -> bool:
    return True


class AggSpace:
    """The aggregation buffer, ``aggsize`` bytes shared by every aggregation
    of a run: a new key takes its record's bytes (``record_size``) or, when
    they no longer fit, is dropped and counted (``on_drop``).  The space of
    keys trunc() removes comes back."""

    def __init__(self, size: int, on_drop: Callable[[], None]) -> None:
        self.left = size
        self.on_drop = on_drop

    def admitter(self, record: int) -> Admit:
        def admit() -> bool:
            if self.left >= record:
                self.left -= record
                return True
            self.on_drop()
            return False

        return admit


# dtrace_aggkey_t: the hash chain entry of each key in the aggregation buffer
_AGGKEY_BYTES = 40


def record_size(func: str, params: Sequence[int], key_types: Sequence[DType], strsize: int) -> int:
    """The bytes one key of an aggregation takes in the kernel's aggregation
    buffer: its dtrace_aggkey_t, the aggregation id (padded to 8), each key
    (an integer 8 bytes, a string strsize bytes) and the value (dtrace.c
    dtrace_aggregate_*: 8 bytes, avg 16, stddev 32, quantize 127 buckets,
    lquantize levels + 2 buckets and its encoded parameters, llquantize its
    buckets and parameters)."""
    keys = sum(strsize if t.kind == "string" else 8 for t in key_types)
    kind = _KINDS[func](params)
    if isinstance(kind, _Quantize):
        value = 127 * 8
    elif isinstance(kind, _Lquantize):
        value = (kind.levels + 2) * 8 + 8
    elif isinstance(kind, _Llquantize):
        value = len(kind.labels) * 8 + 8
    else:
        value = {"avg": 16, "stddev": 32}.get(func, 8)
    return _AGGKEY_BYTES + 8 + keys + value


def _cdiv(a: int, b: int) -> int:
    """C integer division, truncating toward zero."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _udiv_signed(value: int, normal: int) -> int:
    """``(long long)x / normal`` with an unsigned normal: the C conversions make it
    an unsigned division, printed back as signed (dt_print_datum, quantline)."""
    return to_signed(to_unsigned(value, 8) // normal, 8)


def quantize_bucket(value: int) -> int:
    """Bucket index of ``value`` (dtrace_aggregate_quantize)."""
    if value > 0:
        if value > _INT64_MAX:
            value -= 1 << 64
        else:
            index = 63 + value.bit_length()
            return 126 if index > 126 else index
    if value < 0:
        index = 63 - (-value).bit_length()
        return 0 if index < 0 else index
    return _QUANTIZE_ZERO


def quantize_bucket_value(index: int) -> int:
    """DTRACE_QUANTIZE_BUCKETVAL: the row label of bucket ``index``."""
    if index < _QUANTIZE_ZERO:
        return -(1 << (62 - index))
    if index == _QUANTIZE_ZERO:
        return 0
    return 1 << (index - 64)


def quantize_bounds(index: int) -> tuple[int, int]:
    """The values quantize bucket ``index`` holds: [2**k, 2**(k+1) - 1] above
    zero, [-(2**(k+1) - 1), -2**k] below, the extremes up to int64's ends."""
    value = quantize_bucket_value(index)
    if index == _QUANTIZE_ZERO:
        return 0, 0
    if value > 0:
        return value, _INT64_MAX if index == _QUANTIZE_NBUCKETS - 1 else 2 * value - 1
    return -_INT64_MAX - 1 if index == 0 else 2 * value + 1, value


def lquantize_levels(base: int, limit: int, step: int) -> int:
    """Number of in-range lquantize bins, (limit - base) / step."""
    return (limit - base) // step


def llquantize_bins(factor: int, low: int, high: int, nsteps: int) -> int:
    """Total number of llquantize bins, underflow and overflow included."""
    base = 1
    this = factor ** (low + 1)
    for _ in range(low, high + 1):
        nbuckets = min(this, nsteps)
        base += nbuckets - nbuckets // factor
        this *= factor
    return base + 1


def llquantize_bucket(factor: int, low: int, high: int, nsteps: int,
                      value: int) -> int:
    """Bin of ``value`` (dtrace_aggregate_llquantize_bucket)."""
    this = factor ** low
    if value < this:
        return 0
    last = this
    this *= factor
    base = 1
    for _ in range(low, high + 1):
        nbuckets = min(this, nsteps)
        if value < this:
            return base + (value - last) // (this // nbuckets)
        base += nbuckets - nbuckets // factor
        last = this
        this *= factor
    return base


# ----------------------------------------------------------------------
# Histogram output (dt_consume.c dt_print_quantize, dt_print_lquantize,
# dt_print_llquantize, dt_print_quantline)


def _quantline(val: int, normal: int, total: int, positives: bool,
               negatives: bool) -> str:
    """One histogram bar and count."""
    shown = _udiv_signed(val, normal)
    if not negatives or not positives:
        length = 40
    else:
        length = 20
    # (uint)(|val| * len / total + 0.5), done exactly in integers.
    depth = (2 * abs(val) * length + total) // (2 * total) if total else 0
    if not negatives:
        if not positives:
            depth = 0
        return f"|{'@' * depth}{' ' * (40 - depth)} {shown:<9d}\n"
    if not positives:
        return f"{' ' * (40 - depth)}{'@' * depth}| {shown:<9d}\n"
    if val <= 0:
        return f"{' ' * (20 - depth)}{'@' * depth}|{' ' * 20} {shown:<9d}\n"
    return f"{' ' * 20}|{'@' * depth}{' ' * (20 - depth)} {shown:<9d}\n"


def _rows_range(counts: dict[int, int], nbins: int, empty: tuple[int, int]
                ) -> tuple[int, int]:
    """First and last bin shown: one zero bin around the non-zero ones."""
    nonzero = [i for i, c in counts.items() if c != 0]
    if not nonzero:
        return empty
    first, last = min(nonzero), max(nonzero)
    return max(first - 1, 0), min(last + 1, nbins - 1)


def _histogram(rows: list[tuple[str, int]], normal: int) -> str:
    """Header plus one line per (label, count) row."""
    total = sum(abs(c) for _, c in rows)
    positives = any(c > 0 for _, c in rows)
    negatives = any(c < 0 for _, c in rows)
    out = [_HEADER]
    for label, count in rows:
        out.append(f"{label:>16} ")
        out.append(_quantline(count, normal, total, positives, negatives))
    return "".join(out)


def quantize_text(counts: dict[int, int], normal: int = 1) -> str:
    """The quantize() histogram, starting with its blank line."""
    first, last = _rows_range(counts, _QUANTIZE_NBUCKETS,
                              (_QUANTIZE_ZERO - 1, _QUANTIZE_ZERO + 1))
    rows = [(str(quantize_bucket_value(i)), counts.get(i, 0))
            for i in range(first, last + 1)]
    return _histogram(rows, normal)


def lquantize_text(counts: dict[int, int], base: int, step: int, levels: int,
                   normal: int = 1) -> str:
    """The lquantize() histogram: bin 0 is "< base", bin levels+1 the overflow."""
    first, last = _rows_range(counts, levels + 2, (0, 2))
    rows = []
    for i in range(first, last + 1):
        if i == 0:
            label = f"< {base}"
        elif i == levels + 1:
            label = f">= {base + levels * step}"
        else:
            label = str(base + (i - 1) * step)
        rows.append((label, counts.get(i, 0)))
    return _histogram(rows, normal)


def _llquantize_labels(factor: int, low: int, high: int, nsteps: int) -> list[str]:
    """Row labels of every llquantize bin, as dt_print_llquantize steps them."""
    value = factor ** low
    labels = [f"< {value}"]
    next_value = value * factor
    step = next_value // nsteps if next_value > nsteps else 1
    order = low
    while order <= high:
        labels.append(str(value))
        value += step
        if value < next_value:
            continue
        # DTrace asserts the steps land on the next power exactly; stop
        # there even when odd parameters would overshoot it.
        value = next_value
        next_value = value * factor
        step = next_value // nsteps if next_value > nsteps else 1
        order += 1
    labels.append(f">= {value}")
    return labels


def llquantize_text(counts: dict[int, int], factor: int, low: int, high: int,
                    nsteps: int, normal: int = 1) -> str:
    """The llquantize() histogram (illumos layout: non-negative bins only)."""
    labels = _llquantize_labels(factor, low, high, nsteps)
    first, last = _rows_range(counts, len(labels), (0, 1))
    rows = [(labels[i], counts.get(i, 0)) for i in range(first, last + 1)]
    return _histogram(rows, normal)


# ----------------------------------------------------------------------
# stddev (dt_consume.c dt_stddev)


def stddev_value(state: Sequence[int], normal: int = 1) -> int:
    """The integer standard deviation DTrace prints for ``[n, sum, sumsq]``."""
    n, total, squares = state
    if n == 0:
        return 0
    avg_of_squares = (squares & _U128) // normal // normal // n
    norm_avg = abs(_cdiv(_cdiv(to_signed(total, 8), normal), n))
    diff = (avg_of_squares - norm_avg * norm_avg) & _U128
    return math.isqrt(diff) & _U64


# ----------------------------------------------------------------------
# The aggregating functions


class _Kind(ABC):
    """Behaviour of one aggregating function; subclasses per function."""

    name = ""
    histogram = False

    def __init__(self, params: Sequence[int]) -> None:
        self.params = tuple(params)

    @abstractmethod
    def updater(self, data: dict[tuple[Any, ...], Any], admit: Admit) -> Update:
        """The per-firing update function bound to ``data``."""

    def zero(self) -> Any:
        """The state of an entry with no data (also what clear() leaves)."""
        return 0

    def sort_value(self, state: Any) -> Any:
        """Ordering of values (dt_aggregate_valcmp)."""
        return to_signed(state, 8)

    def number(self, state: Any, normal: int, signed: bool) -> int:
        """The integer a %@ conversion prints (pfprint_dint with normal)."""
        if signed:
            return _cdiv(to_signed(state, 8), normal)
        return to_unsigned(state, 8) // normal

    def value_text(self, state: Any, normal: int) -> str:
        """The value column of the default output (dt_print_datum)."""
        return f" {_udiv_signed(state, normal):16d}"

    def sort_values(self, states: list[Any]) -> list[Any]:
        """``sort_value`` of every state, for sorting a whole aggregation."""
        sort_value = self.sort_value
        return [sort_value(state) for state in states]

    def value_column(self, states: list[Any], normal: int) -> tuple[str, list[Any]]:
        """The value column of every state as a %-format and its arguments:
        ``fmt % arg`` is ``value_text(state, normal)``."""
        value_text = self.value_text
        return "%s", [value_text(state, normal) for state in states]

    def snapshot(self, state: Any) -> Any:
        return to_signed(state, 8)

    def json_value(self, state: Any, normal: int) -> Any:
        """The value ``--format json`` writes: the number the default output
        prints; a histogram's list of buckets (``_buckets``)."""
        return _udiv_signed(state, normal)


def _buckets(counts: dict[int, int], normal: int,
             bounds: Callable[[int], tuple[int | None, int | None]]) -> list[dict[str, int]]:
    """bpftrace's histogram buckets from the first non-empty one to the last:
    ``{"min": lo, "max": hi, "count": n}``, no "min" in the underflow bucket
    and no "max" in the overflow one.  ``bounds(bin)`` gives (lo, hi)."""
    nonzero = [i for i, c in counts.items() if c]
    if not nonzero:
        return []
    rows = []
    for index in range(min(nonzero), max(nonzero) + 1):
        lo, hi = bounds(index)
        row = {} if lo is None else {"min": lo}
        if hi is not None:
            row["max"] = hi
        row["count"] = _udiv_signed(counts.get(index, 0), normal)
        rows.append(row)
    return rows


def _signed64(values: list[int]) -> list[int]:
    """Each value as int64 (to_signed at 8 bytes), without a call per value
    when they all are in range already (the usual case)."""
    if not values or (min(values) >= -_SIGN64 and max(values) < _SIGN64):
        return values
    return [((v & _U64) ^ _SIGN64) - _SIGN64 for v in values]


class _Int64(_Kind):
    """count, sum, min, max: one integer per key, compared as int64."""

    def sort_values(self, states: list[Any]) -> list[Any]:
        return _signed64(states)

    def value_column(self, states: list[Any], normal: int) -> tuple[str, list[Any]]:
        if normal == 1:
            return " %16d", _signed64(states)
        # _udiv_signed of each state.
        return " %16d", [(((s & _U64) // normal) ^ _SIGN64) - _SIGN64 for s in states]


class _Count(_Int64):
    name = "count"

    def updater(self, data: dict[tuple[Any, ...], Any], admit: Admit) -> Update:
        get = data.get

        def update(key: tuple[Any, ...], value: int = 0, incr: int = 1) -> None:
            old = get(key)
            if old is not None:
                data[key] = old + 1
            elif admit():
                data[key] = 1

        return update

    def snapshot(self, state: Any) -> Any:
        return to_unsigned(state, 8)


class _Sum(_Int64):
    name = "sum"

    def updater(self, data: dict[tuple[Any, ...], Any], admit: Admit) -> Update:
        get = data.get

        def update(key: tuple[Any, ...], value: int = 0, incr: int = 1) -> None:
            old = get(key)
            if old is not None:
                data[key] = old + value
            elif admit():
                data[key] = value

        return update


class _Extreme(_Int64):
    """min() and max(): keep the value that ``wins`` against the one held."""

    wins: Callable[[int, int], bool]  # min: int.__lt__, max: int.__gt__

    def updater(self, data: dict[tuple[Any, ...], Any], admit: Admit) -> Update:
        get = data.get
        wins = self.wins

        def update(key: tuple[Any, ...], value: int = 0, incr: int = 1) -> None:
            if value > _INT64_MAX:
                value -= 1 << 64
            old = get(key)
            if old is None:
                if admit():
                    data[key] = value
            elif wins(value, old):
                data[key] = value

        return update


class _Min(_Extreme):
    name = "min"
    wins = staticmethod(int.__lt__)


class _Max(_Extreme):
    name = "max"
    wins = staticmethod(int.__gt__)


class _Avg(_Kind):
    name = "avg"

    def updater(self, data: dict[tuple[Any, ...], Any], admit: Admit) -> Update:
        get = data.get

        def update(key: tuple[Any, ...], value: int = 0, incr: int = 1) -> None:
            state = get(key)
            if state is None:
                if admit():
                    data[key] = [1, value]
            else:
                state[0] += 1
                state[1] += value

        return update

    def zero(self) -> Any:
        return [0, 0]

    def sort_value(self, state: Any) -> Any:
        n, total = state
        return _cdiv(to_signed(total, 8), n) if n else 0

    def number(self, state: Any, normal: int, signed: bool) -> int:
        # pfprint_average divides as uint64_t whatever the conversion.
        n, total = state
        value = to_unsigned(total, 8) // normal // n if n else 0
        return to_signed(value, 8) if signed else value

    def value_text(self, state: Any, normal: int) -> str:
        return f" {self.json_value(state, normal):16d}"

    def json_value(self, state: Any, normal: int) -> Any:
        n, total = state
        return _cdiv(_cdiv(to_signed(total, 8), normal), n) if n else 0

    def sort_values(self, states: list[Any]) -> list[Any]:
        # sort_value of each: n is a count (never negative), so C's
        # truncating division is floor division of the magnitude.
        if states and min(n for n, _ in states) > 0:
            totals = [total for _, total in states]
            if min(totals) >= 0 and max(totals) < _SIGN64:
                return [total // n for n, total in states]
        averages = []
        for n, total in states:
            if not n:
                averages.append(0)
                continue
            total = ((total & _U64) ^ _SIGN64) - _SIGN64
            averages.append(total // n if total >= 0 else -(-total // n))
        return averages

    def value_column(self, states: list[Any], normal: int) -> tuple[str, list[Any]]:
        if normal == 1:
            return " %16d", self.sort_values(states)
        return super().value_column(states, normal)

    def snapshot(self, state: Any) -> Any:
        return self.sort_value(state)


class _Stddev(_Kind):
    name = "stddev"

    def updater(self, data: dict[tuple[Any, ...], Any], admit: Admit) -> Update:
        get = data.get

        def update(key: tuple[Any, ...], value: int = 0, incr: int = 1) -> None:
            value = to_signed(value, 8)
            state = get(key)
            if state is None:
                if admit():
                    data[key] = [1, value, value * value]
            else:
                state[0] += 1
                state[1] += value
                state[2] += value * value

        return update

    def zero(self) -> Any:
        return [0, 0, 0]

    def sort_value(self, state: Any) -> Any:
        return stddev_value(state)

    def number(self, state: Any, normal: int, signed: bool) -> int:
        value = stddev_value(state, normal)
        return to_signed(value, 8) if signed else value

    def value_text(self, state: Any, normal: int) -> str:
        return f" {stddev_value(state, normal):16d}"

    def json_value(self, state: Any, normal: int) -> Any:
        return stddev_value(state, normal)

    def snapshot(self, state: Any) -> Any:
        return stddev_value(state)


class _Quantize(_Kind):
    name = "quantize"
    histogram = True

    def updater(self, data: dict[tuple[Any, ...], Any], admit: Admit) -> Update:
        get = data.get
        bucket = quantize_bucket

        def update(key: tuple[Any, ...], value: int = 0, incr: int = 1) -> None:
            row = get(key)
            if row is None:
                if not admit():
                    return
                row = data[key] = {}
            index = bucket(value)
            row[index] = row.get(index, 0) + incr

        return update

    def zero(self) -> Any:
        return {}

    def sort_value(self, state: Any) -> Any:
        # dt_aggregate_quantizedcmp: weighted sum, then the zero bucket.
        total = sum(quantize_bucket_value(i) * c for i, c in state.items())
        return (total, state.get(_QUANTIZE_ZERO, 0))

    def value_text(self, state: Any, normal: int) -> str:
        return quantize_text(state, normal)

    def json_value(self, state: Any, normal: int) -> Any:
        return _buckets(state, normal, quantize_bounds)

    def snapshot(self, state: Any) -> Any:
        return {quantize_bucket_value(i): c for i, c in sorted(state.items()) if c}


class _Lquantize(_Kind):
    name = "lquantize"
    histogram = True

    def __init__(self, params: Sequence[int]) -> None:
        base, limit, *rest = params
        step = rest[0] if rest else 1
        super().__init__((base, limit, step))
        self.base, self.step = base, step
        self.levels = lquantize_levels(base, limit, step)

    def updater(self, data: dict[tuple[Any, ...], Any], admit: Admit) -> Update:
        get = data.get
        base, step, levels = self.base, self.step, self.levels

        def update(key: tuple[Any, ...], value: int = 0, incr: int = 1) -> None:
            row = get(key)
            if row is None:
                if not admit():
                    return
                row = data[key] = {}
            if not -0x80000000 <= value <= 0x7FFFFFFF:
                value = to_signed(value, 4)  # the kernel compares an int32_t
            if value < base:
                index = 0
            else:
                index = (value - base) // step + 1
                if index > levels:
                    index = levels + 1
            row[index] = row.get(index, 0) + incr

        return update

    def zero(self) -> Any:
        return {}

    def _bin_value(self, index: int) -> int:
        """The value dt_aggregate_lquantizedsum weighs bin ``index`` by."""
        if index == 0:
            return self.base - 1
        if index == self.levels + 1:
            return self.base + self.levels * self.step + 1
        return self.base + (index - 1) * self.step

    def sort_value(self, state: Any) -> Any:
        total = sum(self._bin_value(i) * c for i, c in state.items())
        zero = 0
        for index in state:
            if self._bin_value(index) == 0:
                zero = state[index]
        return (total, zero)

    def value_text(self, state: Any, normal: int) -> str:
        return lquantize_text(state, self.base, self.step, self.levels, normal)

    def _bounds(self, index: int) -> tuple[int | None, int | None]:
        if index == 0:
            return None, self.base - 1
        low = self.base + (index - 1) * self.step
        return (low, None) if index == self.levels + 1 else (low, low + self.step - 1)

    def json_value(self, state: Any, normal: int) -> Any:
        return _buckets(state, normal, self._bounds)

    def _label_value(self, index: int) -> int:
        """Snapshot key of bin ``index``: its row label, "< base" as base - 1."""
        if index == self.levels + 1:
            return self.base + self.levels * self.step
        return self._bin_value(index)

    def snapshot(self, state: Any) -> Any:
        return {self._label_value(i): c for i, c in sorted(state.items()) if c}


class _Llquantize(_Kind):
    name = "llquantize"
    histogram = True

    def __init__(self, params: Sequence[int]) -> None:
        super().__init__(params)
        self.factor, self.low, self.high, self.nsteps = params[:4]
        self.labels = _llquantize_labels(*self.params[:4])

    def updater(self, data: dict[tuple[Any, ...], Any], admit: Admit) -> Update:
        get = data.get
        factor, low, high, nsteps = self.factor, self.low, self.high, self.nsteps

        def update(key: tuple[Any, ...], value: int = 0, incr: int = 1) -> None:
            row = get(key)
            if row is None:
                if not admit():
                    return
                row = data[key] = {}
            if value > _INT64_MAX:
                value -= 1 << 64
            index = llquantize_bucket(factor, low, high, nsteps, value)
            row[index] = row.get(index, 0) + incr

        return update

    def zero(self) -> Any:
        return {}

    def _bin_value(self, index: int) -> int:
        label = self.labels[index]
        if label.startswith("< "):
            return int(label[2:]) - 1
        if label.startswith(">= "):
            return int(label[3:])
        return int(label)

    def sort_value(self, state: Any) -> Any:
        total = sum(self._bin_value(i) * c for i, c in state.items())
        return (total, state.get(0, 0))

    def value_text(self, state: Any, normal: int) -> str:
        return llquantize_text(state, self.factor, self.low, self.high,
                               self.nsteps, normal)

    def _bounds(self, index: int) -> tuple[int | None, int | None]:
        if index == 0:
            return None, self._bin_value(0)
        if index == len(self.labels) - 1:
            return self._bin_value(index), None
        return self._bin_value(index), self._bin_value(index + 1) - 1

    def json_value(self, state: Any, normal: int) -> Any:
        return _buckets(state, normal, self._bounds)

    def snapshot(self, state: Any) -> Any:
        return {self._bin_value(i): c for i, c in sorted(state.items()) if c}


_KINDS: dict[str, type[_Kind]] = {
    k.name: k for k in (_Count, _Sum, _Avg, _Min, _Max, _Stddev, _Quantize,
                        _Lquantize, _Llquantize)
}


class Aggregation:
    """One aggregation variable (``@name``; ``""`` for the anonymous ``@``).

    ``params`` are the constant arguments after the value: ``(base, limit[,
    step])`` for lquantize, ``(factor, low, high, nsteps)`` for llquantize.
    ``key_types`` are the D types of the key tuple (they decide the key
    column widths and sort order).  ``varid`` orders aggregations in the
    exit-time output (the compiler numbers them in order of appearance);
    equal ids keep the order they are given in.
    """

    def __init__(self, name: str, func: str, params: Sequence[int] = (),
                 key_types: Sequence[DType] = (), varid: int = 0, space: AggSpace | None = None,
                 record: int = 0) -> None:
        if func not in _KINDS:
            raise ValueError(f"unknown aggregating function {func!r}")
        self.name = name
        self.func = func
        self.kind = _KINDS[func](params)
        self.params = self.kind.params
        self.key_types = tuple(key_types)
        self.varid = varid
        self.data: dict[tuple[Any, ...], Any] = {}
        self.normal = 1
        self.printed = False
        # the buffer a new key takes ``record`` bytes of (None: unbounded)
        self.space, self.record = space, record
        self.admit = space.admitter(record) if space is not None else _always
        self.update: Update = self.kind.updater(self.data, self.admit)

    def add(self, key: tuple[Any, ...] = (), value: int = 0, incr: int = 1) -> None:
        """Aggregate one value under ``key`` (prefer the bound ``update``)."""
        self.update(key, value, incr)

    def normalize(self, normal: int) -> None:
        """normalize(): later output divides values by ``normal``.  A zero
        normal faults here, as the printing that would divide by it (dtrace
        stores it and its consumer divides by zero when printing): the
        aggregation keeps its normal, so the END print cannot fail."""
        if not to_unsigned(normal, 8):
            raise DFault("divide-by-zero")
        self.normal = to_unsigned(normal, 8)

    def denormalize(self) -> None:
        """denormalize(): back to unnormalized output."""
        self.normal = 1

    def clear(self) -> None:
        """clear(): zero every value, keeping the keys (bzero in dt_aggwalk_rval)."""
        for key in self.data:
            self.data[key] = self.kind.zero()

    def trunc(self, n: int = 0,
              key_order: Callable[[tuple[Any, ...]], Any] | None = None) -> None:
        """trunc(): keep the ``n`` largest entries (the ``-n`` smallest if negative).

        Unkeyed aggregations are untouched (dt_trunc_agg skips them).
        """
        if () in self.data:
            return
        order = self.sorted_keys(key_order)
        if n >= 0:
            keep = set(order[max(len(order) - n, 0):]) if n else set()
        else:
            keep = set(order[:-n])
        removed = [k for k in self.data if k not in keep]
        for key in removed:
            del self.data[key]
        if self.space is not None:
            self.space.left += len(removed) * self.record

    def sorted_keys(self, key_order: Callable[[tuple[Any, ...]], Any] | None = None
                    ) -> list[tuple[Any, ...]]:
        """Keys ordered by value, then key (ascending)."""
        sort_value = self.kind.sort_value
        order = key_order or self.key_sort_key
        return sorted(self.data, key=lambda k: (sort_value(self.data[k]), order(k)))

    def key_sort_key(self, key: tuple[Any, ...], keypos: int = 0) -> tuple[Any, ...]:
        """dt_aggregate_keycmp order: integers unsigned at their size, strings
        bytewise, starting at key position ``keypos`` and wrapping."""
        n = len(key)
        if keypos >= n:
            keypos = 0
        parts = []
        for i in range(n):
            pos = (i + keypos) % n
            value = key[pos]
            ktype = self.key_types[pos] if pos < len(self.key_types) else None
            if isinstance(value, int):
                size = ktype.size if ktype is not None and ktype.kind == "int" else 8
                parts.append(to_unsigned(value, size if size in (1, 2, 4, 8) else 8))
            else:
                parts.append(value)
        return tuple(parts)

    def datum(self, key: tuple[Any, ...]) -> AggDatum:
        """The printa datum for ``key``: zero-filled if the key is absent."""
        state = self.data.get(key)
        if state is None:
            return AggDatum(self.kind, self.kind.zero(), 1)
        return AggDatum(self.kind, state, self.normal)

    def merge(self, data: dict[tuple[Any, ...], Any]) -> None:
        """Add the ``data`` of this aggregation from a run over other firings
        (``MERGE``); a key new here takes its record's space."""
        merge = MERGE[self.func]
        mine = self.data
        for key, state in data.items():
            old = mine.get(key)
            if old is None:
                if self.space is not None:
                    self.space.left -= self.record
                mine[key] = merge(self.kind.zero(), state) if isinstance(state, (list, dict)) \
                    else state
            else:
                mine[key] = merge(old, state)

    def snapshot(self) -> dict[tuple[Any, ...], Any]:
        """Plain data: key -> value (avg: the average; histograms: bin -> count)."""
        snap = self.kind.snapshot
        return {key: snap(state) for key, state in self.data.items()}


def _merge_rows(a: dict[int, int], b: dict[int, int]) -> dict[int, int]:
    row = dict(a)
    for index, count in b.items():
        row[index] = row.get(index, 0) + count
    return row


# How two states of one key add up (runs over parts of the same firings:
# pcapprobe/scale): sums and counts add, extremes compare, avg's [n, sum] and
# stddev's [n, sum, sum of squares] add member by member, histograms bucket
# by bucket.  Sums stay unbounded, so the 64-bit wrap on reading is the same.
MERGE: dict[str, Callable[[Any, Any], Any]] = {
    "count": int.__add__,
    "sum": int.__add__,
    "min": min,
    "max": max,
    "avg": lambda a, b: [x + y for x, y in zip(a, b)],
    "stddev": lambda a, b: [x + y for x, y in zip(a, b)],
    "quantize": _merge_rows,
    "lquantize": _merge_rows,
    "llquantize": _merge_rows,
}


class AggDatum:
    """One aggregation's state for one key, as printa() prints it."""

    __slots__ = ("kind", "state", "normal")

    def __init__(self, kind: _Kind, state: Any, normal: int) -> None:
        self.kind = kind
        self.state = state
        self.normal = normal

    def value_text(self) -> str:
        """The default-output value column (or histogram)."""
        return self.kind.value_text(self.state, self.normal)

    def printa_text(self, cflags: str, width: int, prec: int, conv: str,
                    signed: bool) -> str:
        """Render for a ``%@`` conversion (dt_printf_format with DT_PFCONV_AGG)."""
        if self.kind.histogram:
            return self.kind.value_text(self.state, self.normal)
        number = self.kind.number(self.state, self.normal, signed)
        return c_format(cflags, width, prec, conv, number)
