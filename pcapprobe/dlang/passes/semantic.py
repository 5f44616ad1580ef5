"""Program-wide symbols: variables, inlines and aggregations, in program order.

D resolves identifiers in the order the program is written (libdtrace
dt_cc.c compiles clause after clause): a variable's type is fixed by its
declaration or by its first assignment, and using a name before that is
"failed to resolve NAME: Unknown variable name".  Built-in inlines come from
``pcapprobe.probes.constants`` (libdtrace's tcp.d, ip.d and io.d).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pcapprobe.dlang import ast
from pcapprobe.dlang import types as ty
from pcapprobe.probes import constants

# Built-in variables (libdtrace dt_open.c): name -> type.
BUILTIN_VARIABLES: dict[str, ty.DType] = {
    "timestamp": ty.UINT64,
    "vtimestamp": ty.UINT64,
    "walltimestamp": ty.INT64,
    "cpu": ty.integer("processorid_t", 4, True),
    "pid": ty.integer("pid_t", 4, True),
    "ppid": ty.integer("pid_t", 4, True),
    "tid": ty.integer("id_t", 4, True),
    "uid": ty.integer("uid_t", 4, False),
    "gid": ty.integer("gid_t", 4, False),
    "errno": ty.INT,
    "epid": ty.integer("uint_t", 4, False),
    "id": ty.integer("uint_t", 4, False),
    "ipl": ty.integer("uint_t", 4, False),
    "execname": ty.STRING,
    "zonename": ty.STRING,
    "probeprov": ty.STRING,
    "probemod": ty.STRING,
    "probefunc": ty.STRING,
    "probename": ty.STRING,
    **{f"arg{i}": ty.INT64 for i in range(10)},
}


@dataclass(slots=True)
class Inline:
    """A constant known at compile time: a built-in or an ``inline`` declaration."""

    type: ty.DType
    value: int | str | None = None
    node: ast.Node | None = None
    params: tuple[tuple[ty.DType, str], ...] | None = None  # an inline array's parameters


def builtin_inlines() -> dict[str, Inline]:
    """TCP_STATE_*, TH_*, IPPROTO_*, B_* and NULL."""
    table: dict[str, Inline] = {"NULL": Inline(ty.NULL, 0)}
    int32 = ty.integer("int32_t", 4, True)
    uint8 = ty.integer("uint8_t", 1, False)
    short = ty.integer("short", 2, True)
    for name, value in constants.TCP_STATES.items():
        table[name] = Inline(int32, value)
    for name, value in constants.TCP_FLAGS.items():
        table[name] = Inline(uint8, value)
    for name, value in constants.IPPROTO.items():
        table[name] = Inline(short, value)
    for name, value in constants.B_FLAGS.items():
        table[name] = Inline(ty.INT, value)
    return table


# Built-in inline arrays: name -> (key type, value type, table, default).
BUILTIN_ARRAYS: dict[str, tuple[ty.DType, ty.DType, dict[int, str], str]] = {
    "tcp_state_string": (
        ty.integer("int32_t", 4, True),
        ty.STRING,
        constants.TCP_STATE_STRING,
        constants.TCP_STATE_UNKNOWN_STRING,
    ),
}


@dataclass(slots=True)
class ArrayInfo:
    keys: tuple[ty.DType, ...]
    value: ty.DType
    bound: int | None = None  # int a[5]: indexes 0..4 only (a scalar array)


@dataclass(slots=True)
class AggInfo:
    """An aggregation's function, parameters and key types (fixed at first use)."""

    name: str
    func: str
    params: tuple[int, ...]
    keys: tuple[ty.DType, ...]
    index: int


@dataclass(slots=True)
class RecordType:
    """A struct or union the program declares: each member's type and byte
    offset, laid out as C lays them out (LP64)."""

    name: str  # "struct tag" / "union tag"
    members: dict[str, tuple[ty.DType, int, int]]  # name -> (type, offset, size)
    size: int
    align: int


@dataclass(slots=True)
class Translator:
    """translator OUT < IN param > { member = expr; ... }"""

    input: ty.DType
    output: ty.DType
    param: str
    members: dict[str, ast.Node]


@dataclass(slots=True)
class Symbols:
    """Every name the program has declared so far."""

    globals: dict[str, ty.DType] = field(default_factory=dict)
    arrays: dict[str, ArrayInfo] = field(default_factory=dict)
    self_vars: dict[str, ty.DType] = field(default_factory=dict)
    self_arrays: dict[str, ArrayInfo] = field(default_factory=dict)  # self->a[k]
    this_vars: dict[str, ty.DType] = field(default_factory=dict)
    inlines: dict[str, Inline] = field(default_factory=builtin_inlines)
    aggs: dict[str, AggInfo] = field(default_factory=dict)
    types: dict[str, ty.DType] = field(default_factory=dict)  # typedef names, enum/struct/union tags
    records: dict[str, RecordType] = field(default_factory=dict)  # by type name
    translators: dict[tuple[str, str], Translator] = field(default_factory=dict)  # (input, output) names

    def named(self, base: str, pointers: int = 0) -> ty.DType | None:
        """The type a type name written in the program stands for: one it
        declared (typedef, enum), else a built-in or catalog one."""
        declared = self.types.get(" ".join(base.split()))
        if declared is None:
            return ty.named(base, pointers)
        for _ in range(pointers):
            declared = ty.pointer_to(declared)
        return declared

    def is_declared(self, name: str) -> bool:
        return (
            name in self.globals
            or name in self.arrays
            or name in self.inlines
            or name in BUILTIN_VARIABLES
            or name in BUILTIN_ARRAYS
        )
