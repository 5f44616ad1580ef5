"""D value types as the engine's passes see them.

Built from the probe catalog's ``CType``s (the provider documents' C
declarations) and from D's own rules: integer constants, the usual arithmetic
conversions of C (ISO C 6.3.1.8) and the types of D's built-in variables
(libdtrace dt_open.c ``_dtrace_globals``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pcapprobe.probes import catalog


@dataclass(frozen=True, slots=True)
class DType:
    """kind: int, string, ptr (to ``target``), struct, null, void or agg."""

    kind: str
    name: str
    size: int = 0
    signed: bool = True
    target: DType | None = None  # pointee or array element
    struct: str | None = None  # catalog struct name for kind struct / ptr to struct

    @property
    def is_int(self) -> bool:
        return self.kind == "int"

    @property
    def is_string(self) -> bool:
        return self.kind == "string"

    @property
    def is_scalar(self) -> bool:
        return self.kind in ("int", "ptr", "null")

    def __str__(self) -> str:
        return self.name


def integer(name: str, size: int, signed: bool) -> DType:
    return DType("int", name, size, signed)


INT = integer("int", 4, True)
UINT = integer("unsigned int", 4, False)
LONG = integer("long", 8, True)
ULONG = integer("unsigned long", 8, False)
INT64 = integer("int64_t", 8, True)
UINT64 = integer("uint64_t", 8, False)
UINT8 = integer("uint8_t", 1, False)
SIZE_T = integer("size_t", 8, False)
CHAR = integer("char", 1, True)
STRING = DType("string", "string")
NULL = DType("null", "void *", 8, False)
VOID = DType("void", "void")

_KEYWORD_INTEGERS: dict[str, tuple[int, bool]] = {
    "signed": (4, True),
    "signed int": (4, True),
    "long int": (8, True),
    "unsigned long int": (8, False),
    "signed long": (8, True),
    "short int": (2, True),
    "unsigned short int": (2, False),
    "signed short": (2, True),
    "long long int": (8, True),
    "unsigned long long int": (8, False),
    "processorid_t": (4, True),
    "id_t": (4, True),
    # Solaris <sys/types.h> integer typedefs, in the kernel's CTF as D sees them
    "uchar_t": (1, False),
    "ushort_t": (2, False),
    "ulong_t": (8, False),
    "longlong_t": (8, True),
    "u_longlong_t": (8, False),
    "u_char": (1, False),
    "u_short": (2, False),
    "u_int": (4, False),
    "u_long": (8, False),
    "uint_t": (4, False),
    "pri_t": (2, True),
    "projid_t": (4, True),
    "taskid_t": (4, True),
    "ctid_t": (4, True),
    "major_t": (4, False),
    "minor_t": (4, False),
    "mode_t": (4, False),
    "nlink_t": (4, False),
    "key_t": (4, True),
    "ptrdiff_t": (8, True),
    "time_t": (8, True),
    "clock_t": (8, True),
    "daddr_t": (8, True),
    "ino_t": (8, False),
    "blkcnt_t": (8, True),
    "useconds_t": (4, False),
    "suseconds_t": (8, True),
}


def named(base: str, pointers: int = 0) -> DType | None:
    """The type for a type name written in D (a cast, declaration or catalog)."""
    base = " ".join(base.split())
    if base.startswith("struct ") or base.startswith("union "):
        tag = base.split(" ", 1)[1]
        base = tag if tag in catalog.STRUCTS else tag + "_t"
    inner: DType | None
    if base == "string":
        inner = STRING
    elif base == "void":
        inner = VOID
    elif base in catalog.INTEGER_TYPES:
        size, signed = catalog.INTEGER_TYPES[base]
        inner = integer(base, size, signed)
    elif base in _KEYWORD_INTEGERS:
        size, signed = _KEYWORD_INTEGERS[base]
        inner = integer(base, size, signed)
    elif base in catalog.STRUCTS:
        inner = DType("struct", base, struct=base)
    else:
        return None
    for _ in range(pointers):
        inner = pointer_to(inner)
    return inner


def pointer_to(target: DType) -> DType:
    return DType("ptr", f"{target.name} *", 8, False, target, target.struct)


def from_ctype(ctype: catalog.CType) -> DType:
    """Convert a catalog member or argument type."""
    result = named(ctype.base, ctype.pointers)
    if result is None:
        result = VOID
    if ctype.array is not None:
        result = DType("ptr", f"{result.name} [{ctype.array}]", 8, False, result, result.struct)
    return result


def type_names() -> frozenset[str]:
    """Every single-word type name the lexer and parser must treat as a type."""
    catalog.load()
    words = set(catalog.INTEGER_TYPES) | set(catalog.STRUCTS) | set(_KEYWORD_INTEGERS)
    return frozenset(w for w in words if " " not in w)


def constant_type(value: int, suffix: str, non_decimal: bool) -> DType:
    """ISO C 6.4.4.1: the first type of the list that can hold the constant."""
    unsigned = "u" in suffix
    wide = "l" in suffix
    candidates: list[DType] = []
    if not wide:
        candidates += [UINT] if unsigned else ([INT, UINT] if non_decimal else [INT])
    candidates += [ULONG] if unsigned else [LONG, ULONG]
    for t in candidates:
        limit = 1 << (t.size * 8 - (1 if t.signed else 0))
        if value < limit:
            return t
    return ULONG


def promote(t: DType) -> DType:
    """Integer promotion: anything narrower than int becomes int."""
    if t.kind == "int" and t.size < 4:
        return INT
    if t.kind in ("ptr", "null"):
        return ULONG
    return t


def arithmetic(a: DType, b: DType) -> DType:
    """The usual arithmetic conversions of two integer operands."""
    a, b = promote(a), promote(b)
    if a.size == b.size:
        return b if a.signed else a
    # A wider signed type holds every value of a narrower unsigned one.
    return a if a.size > b.size else b

def same_storage(a: DType, b: DType) -> bool:
    return a.kind == b.kind and (a.kind != "int" or (a.size == b.size and a.signed == b.signed))
