"""printa() and the exit-time printing of aggregations, in Solaris's layout.

Sources (illumos lib/libdtrace/common): dt_consume.c ``dt_print_datum``,
``dt_print_aggs``, ``dt_print_agg`` (key and value columns, the entry
newline, the leading newline of a default printa); dt_aggregate.c
``dt_aggregate_varvalcmp``, ``dt_aggregate_varkeycmp``,
``dt_aggregate_keycmp``, ``dt_aggregate_bundlecmp`` and
``dtrace_aggregate_walk_joined`` (sort orders, the aggsort* options, and the
union of keys of a multi-aggregation printa, absent keys reading as zero);
dt_printf.c ``dtrace_fprinta`` (formatted printa).

Use::

    printa_text([agg], None, options)        # printa(@a)
    printa_text([a, b], bound_fmt, options)  # printa("%s %@d %@d\\n", @a, @b)
    print_unprinted(all_aggs, options)       # what dtrace prints at exit

Each marks the aggregations it printed entries of as printed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pcapprobe.dlang.runtime.aggregations import AggDatum, Aggregation
from pcapprobe.dlang.runtime.printf import (
    DType,
    FormatError,
    to_signed,
    to_unsigned,
)
from pcapprobe.dlang.runtime.trace import bytes_text, string_bytes
from pcapprobe.jsonfmt import exact, record

__all__ = [
    "Renderer",
    "SortOptions",
    "check_printa_keys",
    "key_text",
    "print_unprinted",
    "printa_text",
]


class Renderer(Protocol):
    """A bound printa() format (printf.BoundFormat or a wrapper of one)."""

    def render(self, values: Sequence[Any], aggs: Sequence[AggDatum]) -> str:
        """The text for one key tuple and its aggregations' data."""
        ...


@dataclass(frozen=True, slots=True)
class SortOptions:
    """The aggsort* options (``#pragma D option aggsortkey`` etc.)."""

    aggsortkey: bool = False
    aggsortrev: bool = False
    aggsortpos: int = 0
    aggsortkeypos: int = 0


_DEFAULT = SortOptions()


def _keys_compatible(left: DType, right: DType) -> bool:
    """dt_node_is_argcompat: any two integers, any two strings, else same type."""
    if left.kind == right.kind and left.kind in ("int", "string", "pointer", "stack"):
        return True
    return left.kind == right.kind and left.name == right.name


def check_printa_keys(aggs: Sequence[tuple[str, Sequence[DType]]]) -> None:
    """Check that printa()'s aggregations share a key signature.

    ``aggs`` are (name without ``@``, key types) in printa argument order;
    raises FormatError worded as dt_printa_validate words it.
    """
    first_name, first_keys = aggs[0]
    for name, keys in aggs[1:]:
        if len(keys) != len(first_keys):
            raise FormatError(
                f"printa( ): @{first_name} and @{name} do not have matching key "
                f"signatures: @{first_name} has {len(first_keys)} "
                f"key{'' if len(first_keys) == 1 else 's'}, @{name} has "
                f"{len(keys)} key{'' if len(keys) == 1 else 's'}",
                "D_PRINTA_AGGKEY")
        for argn, (left, right) in enumerate(zip(first_keys, keys), start=1):
            if not _keys_compatible(left, right):
                raise FormatError(
                    f"printa( ): @{name}[ ] key #{argn} is incompatible with "
                    f"@{first_name}:\n{first_name:>9} key #{argn}: {left.name}\n"
                    f"{name:>9} key #{argn}: {right.name}",
                    "D_PRINTA_AGGPROTO")


def key_text(value: Any, dtype: DType | None) -> str:
    """One key column of the default output (dt_print_datum, normal 1).

    The record size decides the format: 8 bytes `` %16lld``, 4 bytes
    `` %8d`` (so an unsigned 32-bit key prints signed), 2 and 1 bytes
    `` %5d``/`` %3d`` of the unsigned value; strings ``"  %-50s"`` or a
    hex dump when empty or unprintable.
    """
    if isinstance(value, str):
        size = dtype.size if dtype is not None else 256
        return bytes_text(string_bytes(value, size), -50, quiet=False)
    size = dtype.size if dtype is not None and dtype.kind == "int" else 8
    if size == 4:
        return f" {to_signed(value, 4):8d}"
    if size == 2:
        return f" {to_unsigned(value, 2):5d}"
    if size == 1:
        return f" {to_unsigned(value, 1):3d}"
    return f" {to_signed(value, 8):16d}"


def _entry_order(agg: Aggregation, options: SortOptions) -> list[tuple[Any, ...]]:
    """Keys of one aggregation in dtrace_aggregate_walk_sorted order."""
    keypos = options.aggsortkeypos

    def keykey(key: tuple[Any, ...]) -> tuple[Any, ...]:
        return agg.key_sort_key(key, keypos)

    if options.aggsortkey:
        order = sorted(agg.data, key=keykey)
    else:
        order = agg.sorted_keys(keykey)
    # aggsortrev flips every comparison (DT_LESSTHAN/DT_GREATERTHAN).
    return order[::-1] if options.aggsortrev else order


def _joined_order(aggs: Sequence[Aggregation], options: SortOptions
                  ) -> list[tuple[Any, ...]]:
    """Union of keys ordered as dt_aggregate_bundlecmp orders bundles."""
    keys: dict[tuple[Any, ...], None] = {}
    for agg in aggs:
        keys.update(dict.fromkeys(agg.data))
    first = aggs[0]
    sortpos = options.aggsortpos if 0 <= options.aggsortpos < len(aggs) else 0
    rotated = list(aggs[sortpos:]) + list(aggs[:sortpos])

    def values(key: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(agg.kind.sort_value(agg.datum(key).state) for agg in rotated)

    def bundle_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
        keyorder = first.key_sort_key(key, options.aggsortkeypos)
        if options.aggsortkey:
            return (keyorder, values(key))
        return (values(key), keyorder)

    order = sorted(keys, key=bundle_key)
    return order[::-1] if options.aggsortrev else order


def _default_entry(aggs: Sequence[Aggregation], key: tuple[Any, ...]) -> str:
    """Keys, then each aggregation's value, then the entry newline."""
    types = aggs[0].key_types
    parts = [key_text(k, types[i] if i < len(types) else None)
             for i, k in enumerate(key)]
    parts.extend(agg.datum(key).value_text() for agg in aggs)
    parts.append("\n")
    return "".join(parts)


def _general_entries(agg: Aggregation, options: SortOptions) -> str:
    """Every entry of ``agg`` in the default layout, one key at a time."""
    return "".join(_default_entry([agg], key) for key in _entry_order(agg, options))


_MASK = {1: 0xFF, 2: 0xFFFF, 4: 0xFFFFFFFF, 8: (1 << 64) - 1}


def _int_column(values: list[int], dtype: DType) -> tuple[str, list[int], list[int]]:
    """key_text's format, its arguments and key_sort_key's part for an
    integer key column, as whole columns (the widths of key_text)."""
    size = dtype.size if dtype.kind == "int" and dtype.size in _MASK else 8
    mask = _MASK[size]
    fmt = {1: " %3d", 2: " %5d", 4: " %8d"}.get(size, " %16d")
    # 1 and 2-byte keys print unsigned, 4 and 8-byte ones signed.
    sign = (mask + 1) >> 1 if size >= 4 else mask + 1
    if not values or (min(values) >= 0 and max(values) < sign):
        return fmt, values, values  # each value is its own printed and sort form
    unsigned = [v & mask for v in values]
    if size < 4:
        return fmt, unsigned, unsigned
    return fmt, [(v ^ sign) - sign for v in unsigned], unsigned


def _string_column(values: list[str], dtype: DType) -> tuple[str, list[str], list[str]]:
    """key_text of a string key column: the plain padded text for a short
    printable ASCII string, key_text itself for anything else."""
    size = dtype.size
    texts = ["  " + v.ljust(50) if 0 < len(v) < size and v.isascii() and v.isprintable()
             else key_text(v, dtype) for v in values]
    return "%s", texts, values


def _key_columns(agg: Aggregation) -> list[tuple[str, list[Any], list[Any]]] | None:
    """Per key position: its %-format, the format's argument and the sort
    part of every entry (in ``agg.data`` order); None unless every key has
    one record per key type and every position holds only ints or only
    strings, which is what _fast_entries handles."""
    types = agg.key_types
    if set(map(len, agg.data)) - {len(types)}:
        return None
    columns = []
    for pos, values in enumerate(zip(*agg.data)):
        held = set(map(type, values))
        if held == {int}:
            columns.append(_int_column(list(values), types[pos]))
        elif held == {str}:
            columns.append(_string_column(list(values), types[pos]))
        else:
            return None
    return columns


def _fast_entries(agg: Aggregation, columns: list[tuple[str, list[Any], list[Any]]],
                  options: SortOptions) -> str:
    """_general_entries by whole columns: the sort keys and lines of all
    entries are built first, then the entry indexes are sorted (stably, so
    entries that compare equal keep the order of ``agg.data`` as sorted()
    keeps them)."""
    states = list(agg.data.values())
    value_fmt, value_args = agg.kind.value_column(states, agg.normal)
    line_fmt = "".join(fmt for fmt, _, _ in columns) + value_fmt + "\n"
    rows = zip(*(args for _, args, _ in columns), value_args)
    lines = [line_fmt % row for row in rows]
    nkeys = len(columns)
    keypos = options.aggsortkeypos if options.aggsortkeypos < nkeys else 0
    sort_parts = [columns[(i + keypos) % nkeys][2] for i in range(nkeys)]
    if not options.aggsortkey:
        sort_parts.insert(0, agg.kind.sort_values(states))
    order = list(range(len(lines)))
    # One stable sort per part, least significant first, orders as one sort
    # by the tuple of parts would; one type per sort keeps each comparison
    # cheap.
    for part in reversed(sort_parts):
        order.sort(key=part.__getitem__)
    if options.aggsortrev:
        order.reverse()
    return "".join([lines[i] for i in order])


def _default_entries(agg: Aggregation, options: SortOptions) -> str:
    """Every entry of ``agg`` in the default layout and walk order."""
    columns = _key_columns(agg)
    if columns is None:
        return _general_entries(agg, options)
    return _fast_entries(agg, columns, options)


def _mark_printed(aggs: Sequence[Aggregation], printed_any: bool) -> None:
    # DTRACE_AGD_PRINTED is set while visiting entries, on every aggregation
    # of the bundle (absent ones through their zero-filled data): a printa
    # that printed nothing leaves them to be printed at exit.
    if printed_any:
        for agg in aggs:
            agg.printed = True


def printa_text(aggs: Sequence[Aggregation], fmt: Renderer | None,
                options: SortOptions = _DEFAULT) -> str:
    """The output of ``printa(@a)``, ``printa(@a, @b)`` or ``printa(fmt, ...)``.

    ``fmt`` must be bound with the first aggregation's key types and
    ``aggregation=`` its function (see printf.Format.bind).
    """
    if len(aggs) == 1 and fmt is None:
        _mark_printed(aggs, bool(aggs[0].data))
        return "\n" + _default_entries(aggs[0], options)
    if len(aggs) == 1:
        keys = _entry_order(aggs[0], options)
    else:
        keys = _joined_order(aggs, options)
    if fmt is None:
        out = ["\n"]
        out.extend(_default_entry(aggs, key) for key in keys)
    else:
        out = [fmt.render(key, [agg.datum(key) for agg in aggs]) for key in keys]
    _mark_printed(aggs, bool(keys))
    return "".join(out)


def print_unprinted(aggs: Sequence[Aggregation], options: SortOptions = _DEFAULT
                    ) -> str:
    """What dtrace prints at exit: every never-printed aggregation, in
    variable order, with no blank line between them (dtrace_aggregate_print)."""
    pending = sorted((a for a in aggs if not a.printed), key=lambda a: a.varid,
                     reverse=options.aggsortrev)
    return "".join([_default_entries(agg, options) for agg in pending])


# ----------------------------------------------------------------------
# --format json: bpftrace -f json's records, one per aggregation


def _key_json(key: tuple[Any, ...], types: Sequence[DType]) -> str:
    """An entry's key as bpftrace writes it: the key values joined by ","
    (integers as the default output prints them, strings as they are)."""
    parts = []
    for i, value in enumerate(key):
        parts.append(value if isinstance(value, str) else key_text(
            value, types[i] if i < len(types) else None).strip())
    return ",".join(parts)


def _value_json(value: Any) -> Any:
    if isinstance(value, int):
        return exact(value)
    if isinstance(value, list):
        return [{k: exact(v) for k, v in bucket.items()} for bucket in value]
    return value


def aggregation_json(agg: Aggregation, options: SortOptions = _DEFAULT) -> str:
    """One aggregation as a record: ``{"type": "map", "data": {"@name":
    {"key": value, ...}}}`` ("hist" for the quantizations, whose values are
    bucket lists); an aggregation with only the empty key holds its value
    directly.  Entries come in the order the default output prints them."""
    kind = agg.kind
    values = {}
    for key in _entry_order(agg, options):
        datum = agg.datum(key)
        values[key] = _value_json(kind.json_value(datum.state, datum.normal))
    data: Any
    if list(values) == [()]:
        data = values[()]
    else:
        data = {_key_json(key, agg.key_types): value for key, value in values.items()}
    return record("hist" if kind.histogram else "map", {"@" + agg.name: data})


def printa_json(aggs: Sequence[Aggregation], options: SortOptions = _DEFAULT) -> str:
    """``printa`` under --format json: one record per aggregation named (a
    format string only shapes text output)."""
    _mark_printed(aggs, any(agg.data for agg in aggs))
    return "".join(aggregation_json(agg, options) for agg in aggs)


def unprinted_json(aggs: Sequence[Aggregation], options: SortOptions = _DEFAULT) -> str:
    """``print_unprinted`` under --format json: a record per never-printed
    aggregation that holds data, in variable order."""
    pending = sorted((a for a in aggs if not a.printed and a.data), key=lambda a: a.varid,
                     reverse=options.aggsortrev)
    return "".join(aggregation_json(agg, options) for agg in pending)
