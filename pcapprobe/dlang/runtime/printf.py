"""D printf()/printa() format strings: parsing, prototype checks and rendering.

Follows illumos libdtrace dt_printf.c: ``dt_printf_create`` (parsing and its
error wording), ``_dtrace_conversions`` (the conversion table with each
conversion's prototype text and check), ``dt_printf_validate`` (argument
checks, D_PRINTF_* errors) and ``dt_printf_format`` / ``pfprint_*`` (output).

Use::

    fmt = compile_format("%-8s %5d\\n")          # FormatError on a bad format
    bound = fmt.bind([STRING, INT])              # FormatError on a prototype mismatch
    bound.render(["tcp", 80])                    # -> "tcp         80\\n"

``Format.conversions`` lists every conversion (``Conversion.proto`` is the
expected-argument text DTrace prints, ``Conversion.check(dtype)`` the test), so
a compiler can also run its own checks.  ``bind(..., aggregation="count")``
validates a printa() format: the argument types are then the key types and
``%@`` conversions take ``AggValue`` objects given to ``render``.

Values are Python ints already wrapped to their D type, or ``str``.  Output
is the C locale's: the ``'`` (thousands grouping) flag adds no separators.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "AggValue",
    "BoundFormat",
    "Conversion",
    "DType",
    "Format",
    "FormatError",
    "c_format",
    "compile_format",
    "escape_string",
    "to_signed",
    "to_unsigned",
    "CHAR", "SHORT", "INT", "LONG", "LONGLONG",
    "UCHAR", "USHORT", "UINT", "ULONG", "ULONGLONG",
    "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64",
    "STRING", "POINTER", "DTYPES",
]


@dataclass(frozen=True, slots=True)
class DType:
    """The D type of a printf argument, aggregation key or traced value.

    ``kind`` is ``"int"``, ``"string"``, ``"pointer"``, ``"float"``,
    ``"stack"`` or ``"other"`` (structs, arrays of non-char, ...); ``size``
    is the byte size (1, 2, 4, 8 for integers; the string size for
    strings); ``name`` is the D type name printed in error messages
    (``"uint32_t"``, ``"string"``, ``"conninfo_t *"``).  ``base`` is the C
    base type a typedef resolves to (``"unsigned long"`` for ``uint64_t``);
    it matters only to the ``%l``/``%ll`` conversions and defaults from
    size and sign.
    """

    kind: str
    size: int = 8
    signed: bool = True
    name: str = ""
    base: str = ""

    @property
    def is_int(self) -> bool:
        return self.kind == "int"

    @property
    def c_base(self) -> str:
        """The resolved C type name used by the %h/%l/%ll checks."""
        if self.base:
            return self.base
        if self.kind != "int":
            return self.name
        plain = {1: "char", 2: "short", 4: "int", 8: "long"}.get(self.size, "")
        return plain if self.signed else f"unsigned {plain}"


def _int(name: str, size: int, signed: bool, base: str) -> DType:
    return DType("int", size, signed, name, base)


CHAR = _int("char", 1, True, "char")
SHORT = _int("short", 2, True, "short")
INT = _int("int", 4, True, "int")
LONG = _int("long", 8, True, "long")
LONGLONG = _int("long long", 8, True, "long long")
UCHAR = _int("unsigned char", 1, False, "unsigned char")
USHORT = _int("unsigned short", 2, False, "unsigned short")
UINT = _int("unsigned int", 4, False, "unsigned int")
ULONG = _int("unsigned long", 8, False, "unsigned long")
ULONGLONG = _int("unsigned long long", 8, False, "unsigned long long")
# The Solaris LP64 typedefs (sys/int_types.h): int64_t is a long there.
INT8 = _int("int8_t", 1, True, "char")
INT16 = _int("int16_t", 2, True, "short")
INT32 = _int("int32_t", 4, True, "int")
INT64 = _int("int64_t", 8, True, "long")
UINT8 = _int("uint8_t", 1, False, "unsigned char")
UINT16 = _int("uint16_t", 2, False, "unsigned short")
UINT32 = _int("uint32_t", 4, False, "unsigned int")
UINT64 = _int("uint64_t", 8, False, "unsigned long")
STRING = DType("string", 256, False, "string")
POINTER = DType("pointer", 8, False, "void *")

DTYPES: dict[str, DType] = {
    t.name: t
    for t in (
        CHAR, SHORT, INT, LONG, LONGLONG, UCHAR, USHORT, UINT, ULONG,
        ULONGLONG, INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64,
        STRING,
    )
}
DTYPES.update({
    "signed char": CHAR,
    "unsigned": UINT,
    "signed": INT,
    "size_t": _int("size_t", 8, False, "unsigned long"),
    "ssize_t": _int("ssize_t", 8, True, "long"),
    "uintptr_t": _int("uintptr_t", 8, False, "unsigned long"),
    "intptr_t": _int("intptr_t", 8, True, "long"),
    "hrtime_t": _int("hrtime_t", 8, True, "long long"),
    "off_t": _int("off_t", 8, True, "long"),
    "pid_t": _int("pid_t", 4, True, "int"),
    "ipaddr_t": _int("ipaddr_t", 4, False, "unsigned int"),
})

_INT64_SIGN = 1 << 63
_MASKS = {1: 0xFF, 2: 0xFFFF, 4: 0xFFFFFFFF, 8: 0xFFFFFFFFFFFFFFFF}


def to_unsigned(value: int, size: int) -> int:
    """``value`` as the unsigned integer of ``size`` bytes with its bits."""
    return value & _MASKS[size]


def to_signed(value: int, size: int) -> int:
    """``value`` as the two's-complement signed integer of ``size`` bytes."""
    mask = _MASKS[size]
    value &= mask
    return value - mask - 1 if value > mask >> 1 else value


class FormatError(Exception):
    """A format string or printf prototype error, worded as DTrace words it.

    ``tag`` is the D error tag shown under ``-x errtags`` (D_UNKNOWN for
    the parse errors, which DTrace reports through yywarn()).
    """

    def __init__(self, message: str, tag: str) -> None:
        super().__init__(message)
        self.message = message
        self.tag = tag


class AggValue(Protocol):
    """One aggregation's datum for a printa ``%@`` conversion."""

    def printa_text(self, cflags: str, width: int, prec: int, conv: str,
                    signed: bool) -> str:
        """Render this datum as C conversion ``conv`` (``d``, ``u``, ``x``...)."""
        ...


# ----------------------------------------------------------------------
# Prototype checks (dt_printf.c pfcheck_*)


def _check_addr(t: DType) -> bool:
    return t.kind in ("pointer", "int")


def _check_uaddr(t: DType) -> bool:
    # Without -p/-c there is no target process: only _usymaddr passes.
    return t.kind == "usymaddr"


def _check_kaddr(t: DType) -> bool:
    return t.kind in ("pointer", "int", "symaddr")


def _check_stack(t: DType) -> bool:
    return t.kind == "stack"


def _check_time(t: DType) -> bool:
    return t.kind == "int" and t.size == 8


def _check_str(t: DType) -> bool:
    return t.kind in ("string", "chararray")


def _check_wstr(t: DType) -> bool:
    return t.kind == "wchararray"


def _check_csi(t: DType) -> bool:
    return t.kind == "int" and t.size <= 4


def _check_fp(t: DType) -> bool:
    return t.kind == "float"


def _check_xint(t: DType) -> bool:
    return t.kind == "int"


def _check_xshort(t: DType) -> bool:
    return t.kind == "int" and t.c_base in ("short", "signed short", "unsigned short")


def _check_xlong(t: DType) -> bool:
    return t.kind == "int" and t.c_base in ("long", "signed long", "unsigned long")


def _check_xlonglong(t: DType) -> bool:
    if t.kind != "int":
        return False
    # %llx also takes [u]int64_t, which are longs in LP64 (pfcheck_xlonglong).
    return t.c_base in ("long long", "signed long long", "unsigned long long") or (
        t.name in ("int64_t", "uint64_t")
    )


def _check_type(size: int, signed: bool, kind: str = "int") -> Callable[[DType], bool]:
    """ctf_type_compat() on integers: same size, sign and char-ness."""

    def check(t: DType) -> bool:
        if t.kind != kind or t.size != size:
            return False
        if kind == "float":
            return True
        is_char = t.c_base in ("char", "signed char", "unsigned char")
        return t.signed == signed and not is_char

    return check


def _check_void(t: DType) -> bool:
    return t.kind == "void"


@dataclass(frozen=True, slots=True)
class _ConvDef:
    """One row of ``_dtrace_conversions``: name, output conversion, prototype."""

    name: str
    ofmt: str
    proto: str
    check: Callable[[DType], bool]
    printer: str


_XINT = "char, short, int, long, or long long"
_CSI = "char, short, or int"
_FP = "float, double, or long double"
_ADDR = "pointer or integer"
_UADDR = "pointer or integer (with -p/-c) or _usymaddr (without -p/-c)"
_CSTR = "char [] or string (or use stringof)"
_WSTR = "wchar_t []"

_CONVERSIONS: dict[str, _ConvDef] = {
    c.name: c
    for c in (
        _ConvDef("a", "s", _ADDR, _check_kaddr, "addr"),
        _ConvDef("A", "s", _UADDR, _check_uaddr, "addr"),
        _ConvDef("c", "c", _CSI, _check_csi, "sint"),
        _ConvDef("C", "s", _CSI, _check_csi, "echr"),
        _ConvDef("d", "d", _XINT, _check_xint, "dint"),
        _ConvDef("e", "e", _FP, _check_fp, "fp"),
        _ConvDef("E", "E", _FP, _check_fp, "fp"),
        _ConvDef("f", "f", _FP, _check_fp, "fp"),
        _ConvDef("g", "g", _FP, _check_fp, "fp"),
        _ConvDef("G", "G", _FP, _check_fp, "fp"),
        _ConvDef("hd", "d", "short", _check_type(2, True), "sint"),
        _ConvDef("hi", "i", "short", _check_type(2, True), "sint"),
        _ConvDef("ho", "o", "unsigned short", _check_type(2, False), "uint"),
        _ConvDef("hu", "u", "unsigned short", _check_type(2, False), "uint"),
        _ConvDef("hx", "x", "short", _check_xshort, "uint"),
        _ConvDef("hX", "X", "short", _check_xshort, "uint"),
        _ConvDef("i", "i", _XINT, _check_xint, "dint"),
        _ConvDef("k", "s", "stack", _check_stack, "stack"),
        _ConvDef("lc", "lc", "int", _check_type(4, True), "sint"),
        _ConvDef("ld", "d", "long", _check_type(8, True), "sint"),
        _ConvDef("li", "i", "long", _check_type(8, True), "sint"),
        _ConvDef("lo", "o", "unsigned long", _check_type(8, False), "uint"),
        _ConvDef("lu", "u", "unsigned long", _check_type(8, False), "uint"),
        _ConvDef("ls", "ls", _WSTR, _check_wstr, "wstr"),
        _ConvDef("lx", "x", "long", _check_xlong, "uint"),
        _ConvDef("lX", "X", "long", _check_xlong, "uint"),
        _ConvDef("lld", "d", "long long", _check_type(8, True), "sint"),
        _ConvDef("lli", "i", "long long", _check_type(8, True), "sint"),
        _ConvDef("llo", "o", "unsigned long long", _check_type(8, False), "uint"),
        _ConvDef("llu", "u", "unsigned long long", _check_type(8, False), "uint"),
        _ConvDef("llx", "x", "long long", _check_xlonglong, "uint"),
        _ConvDef("llX", "X", "long long", _check_xlonglong, "uint"),
        _ConvDef("Le", "e", "long double", _check_type(16, True, "float"), "fp"),
        _ConvDef("LE", "E", "long double", _check_type(16, True, "float"), "fp"),
        _ConvDef("Lf", "f", "long double", _check_type(16, True, "float"), "fp"),
        _ConvDef("Lg", "g", "long double", _check_type(16, True, "float"), "fp"),
        _ConvDef("LG", "G", "long double", _check_type(16, True, "float"), "fp"),
        _ConvDef("o", "o", _XINT, _check_xint, "uint"),
        _ConvDef("p", "x", _ADDR, _check_addr, "uint"),
        _ConvDef("s", "s", _CSTR, _check_str, "cstr"),
        _ConvDef("S", "s", _CSTR, _check_str, "estr"),
        _ConvDef("T", "s", "int64_t", _check_time, "time822"),
        _ConvDef("u", "u", _XINT, _check_xint, "uint"),
        _ConvDef("wc", "wc", "int", _check_type(4, True), "sint"),
        _ConvDef("ws", "ws", _WSTR, _check_wstr, "wstr"),
        _ConvDef("x", "x", _XINT, _check_xint, "uint"),
        _ConvDef("X", "X", _XINT, _check_xint, "uint"),
        _ConvDef("Y", "s", "int64_t", _check_time, "time"),
        _ConvDef("%", "%", "void", _check_void, "pct"),
    )
}


@dataclass(slots=True)
class Conversion:
    """One ``%`` conversion of a format, as ``dt_printf_create`` parses it."""

    index: int  # 1-based conversion number used in messages
    name: str  # dictionary name: "d", "llx", "%", ...
    ofmt: str  # output conversion character(s)
    proto: str  # expected argument text for messages
    check: Callable[[DType], bool]
    printer: str
    alt: bool = False
    zpad: bool = False
    left: bool = False
    spos: bool = False
    group: bool = False
    space: bool = False
    agg: bool = False
    dyn_width: bool = False
    dyn_prec: bool = False
    width: int = 0
    prec: int = 0

    @property
    def cflags(self) -> str:
        """The C flags in the order dt_printf_format writes them."""
        return "".join(
            c for c, on in (
                ("#", self.alt), ("0", self.zpad), ("-", self.left),
                ("+", self.spos), ("'", self.group), (" ", self.space),
            ) if on
        )


@dataclass(slots=True)
class Format:
    """A parsed D format string: literal text interleaved with conversions."""

    text: str
    pieces: list[str | Conversion] = field(default_factory=list)

    @property
    def conversions(self) -> list[Conversion]:
        return [p for p in self.pieces if isinstance(p, Conversion)]

    def bind(self, arg_types: Sequence[DType], func: str = "printf", *,
             aggregation: str | None = None, foff: int = 1) -> BoundFormat:
        """Validate the arguments as ``dt_printf_validate`` does; return a renderer.

        ``func`` names the action in messages (``printf``, ``printa``,
        ``sprintf``...).  For printa pass the aggregating function name as
        ``aggregation`` and the key types as ``arg_types``: then fewer
        conversions than keys is allowed, as in DTrace.
        """
        return BoundFormat(self, _validate(self, list(arg_types), func,
                                           aggregation, foff))

    def render(self, values: Sequence[Any], types: Sequence[DType]) -> str:
        """Convenience: bind to ``types`` and render ``values`` once."""
        return self.bind(types).render(values)


def compile_format(fmt: str) -> Format:
    """Parse ``fmt`` as ``dt_printf_create`` does; raise FormatError if bad."""
    result = Format(fmt)
    pos = 0
    count = 0
    while True:
        pct = fmt.find("%", pos)
        if pct < 0:
            break
        count += 1
        if pct > pos:
            result.pieces.append(fmt[pos:pct])
        conv, pos = _parse_conversion(fmt, pct, count)
        result.pieces.append(conv)
    if pos < len(fmt):
        result.pieces.append(fmt[pos:])
    return result


def c_int(digits: str) -> int:
    """Decimal digits read into a 32-bit C int as dt_printf_create reads a
    width or precision (``n = n * 10 + c - '0'``): it wraps, so
    2147483648 is -2147483648 and 20 digits are some int, never a bignum."""
    n = 0
    for d in digits:
        n = (n * 10 + ord(d) - 48) & 0xFFFFFFFF
    return to_signed(n, 4)


class RecordDropped(Exception):
    """One record's text would exceed bufsize: dropped and counted, as a
    record the principal buffer has no room for."""


# A width whose ABS() is still negative (INT_MIN): C printf fails on it
# (EOVERFLOW), so no bufsize can hold its text.
_UNPRINTABLE = 1 << 62


def conversion_size(conv: Conversion, width: int, prec: int) -> int:
    """The most text a conversion's width and precision call for (a
    precision pads digits only for numbers; it truncates strings)."""
    if width == -(1 << 31):
        return _UNPRINTABLE
    size = abs(width)
    if prec > 0 and conv.ofmt and conv.ofmt in "diouxXeEfFgGaA":
        size = max(size, prec)
    return size


def _parse_error(message: str) -> FormatError:
    return FormatError(message, "D_UNKNOWN")


def _parse_conversion(fmt: str, pct: int, count: int) -> tuple[Conversion, int]:
    """Parse one conversion starting at ``fmt[pct] == '%'``; return it and the end."""
    flags: dict[str, bool] = {}
    width = prec = 0
    dot = digits = 0
    name = ""
    p = pct + 1
    while True:
        c = fmt[p] if p < len(fmt) else "\0"
        if c.isdigit() and c.isascii():
            if dot == 0 and digits == 0 and c == "0":
                flags["zpad"] = True
                flags["left"] = False
                p += 1
                continue
            start = p
            while p < len(fmt) and fmt[p].isdigit() and fmt[p].isascii():
                p += 1
            # dt_printf_create reads the digits into a C int (n = n * 10 + d)
            number = c_int(fmt[start:p])
            if dot:
                prec = number  # a negative precision is no precision
            elif number < 0:
                # dt_printf_format: a negative width left-justifies ABS(width)
                width = _UNPRINTABLE if number == -(1 << 31) else -number
                flags["left"] = True
                flags["zpad"] = False
            else:
                width = number
            digits += 1
            continue
        p += 1
        if c == "#":
            flags["alt"] = True
        elif c == "*":
            key = "dyn_prec" if dot else "dyn_width"
            if flags.get(key):
                # dt_printf_create always says "precision" here: its ternary
                # tests the (non-zero) flag value, not which flag it is.
                raise _parse_error(
                    f"format conversion #{count} has more than one '*' "
                    "specified for the output precision")
            flags[key] = True
        elif c == "+":
            flags["spos"] = True
        elif c == "-":
            flags["left"] = True
            flags["zpad"] = False
        elif c == ".":
            if dot:
                raise _parse_error(
                    f"format conversion #{count} has more than one '.' specified")
            dot = 1
            digits = 0
        elif c == "?":
            width = 16  # LP64
        elif c == "@":
            flags["agg"] = True
        elif c == "'":
            flags["group"] = True
        elif c == " ":
            flags["space"] = True
        elif c == "$":
            raise _parse_error(
                f"format conversion #{count} uses unsupported positional "
                "format (%n$)")
        elif c == "%" and fmt[p - 2] != "%":
            raise _parse_error(
                f"format conversion #{count} cannot be combined with other "
                "format flags: %%")
        elif c == "\0":
            raise _parse_error(
                f"format conversion #{count} name expected before end of "
                "format string")
        elif c in "hlLw":
            if len(name) < 6:
                name += c
        else:
            name += c
            break
    spec = _CONVERSIONS.get(name)
    if spec is None:
        raise _parse_error(f"format conversion #{count} is undefined: %{name}")
    conv = Conversion(count, spec.name, spec.ofmt, spec.proto, spec.check,
                      spec.printer, width=width, prec=prec, **flags)
    return conv, p


# ----------------------------------------------------------------------
# Validation (dt_printf_validate)


def _type_name(t: DType) -> str:
    return t.name or t.kind


def _validate(fmt: Format, args: list[DType], func: str,
              aggregation: str | None, foff: int) -> list[_Plan]:
    """Check ``args`` against ``fmt``; return a print plan per conversion."""
    if fmt.text == "":
        raise FormatError(f"{func}( ) format string is empty", "D_PRINTF_FMT_EMPTY")
    agg_type = UINT64 if aggregation == "count" else INT64
    plans: list[_Plan] = []
    j = 0
    for conv in fmt.conversions:
        if conv.printer == "pct":
            plans.append(_Plan(conv, None))
            continue
        dyns = (["*"] if conv.dyn_width else []) + ([".*"] if conv.dyn_prec else [])
        for dyn in dyns:
            if j >= len(args):
                raise FormatError(
                    f"{func}( ) prototype mismatch: conversion #{conv.index} "
                    f"(%{conv.name}) is missing a corresponding \"{dyn}\" argument",
                    "D_PRINTF_DYN_PROTO")
            if not args[j].is_int:
                raise FormatError(
                    f"{func}( ) argument #{j + foff + 1} is incompatible with "
                    f"conversion #{conv.index} prototype:\n"
                    f"\tconversion: % {dyn} {conv.name}\n"
                    f"\t prototype: int\n\t  argument: {_type_name(args[j])}",
                    "D_PRINTF_DYN_TYPE")
            j += 1
        if conv.agg:
            if aggregation is None:
                raise FormatError(
                    f"%@ conversion requires an aggregation and is not for use "
                    f"with {func}( )", "D_PRINTF_AGG_CONV")
            vname, vtype = "aggregating action", agg_type
        elif j >= len(args):
            raise FormatError(
                f"{func}( ) prototype mismatch: conversion #{conv.index} "
                f"(%{conv.name}) is missing a corresponding value argument",
                "D_PRINTF_ARG_PROTO")
        else:
            vname, vtype = f"argument #{j + foff + 1}", args[j]
            j += 1
        if not conv.check(vtype):
            raise FormatError(
                f"{func}( ) {vname} is incompatible with conversion "
                f"#{conv.index} prototype:\n\tconversion: %{conv.name}\n"
                f"\t prototype: {conv.proto}\n\t  argument: {_type_name(vtype)}",
                "D_PRINTF_ARG_TYPE")
        plans.append(_Plan(conv, vtype))
    if aggregation is None and j < len(args):
        raise FormatError(
            f"{func}( ) prototype mismatch: only {j} arguments required by "
            "this format string", "D_PRINTF_ARG_EXTRA")
    return plans


@dataclass(slots=True)
class _Plan:
    """A validated conversion and the type of the value it prints."""

    conv: Conversion
    vtype: DType | None


# ----------------------------------------------------------------------
# C printf for one conversion


def c_format(cflags: str, width: int, prec: int, conv: str, value: Any) -> str:
    """Format one value as C printf ``%<cflags><width>.<prec><conv>`` would.

    ``width`` 0 means none, and ``prec`` 0 means none (DTrace never writes
    ``.0``); a negative ``width`` left-justifies.  Integer conversions take
    Python ints already in the range of the C type; ``u``, ``o``, ``x`` and
    ``X`` take non-negative ones.
    """
    if width < 0:
        cflags += "-"
        width = -width
    if conv in "diuoxX":
        return _c_int(cflags, width, prec, conv, int(value))
    if conv == "c":
        return _pad(chr(int(value) & 0xFF), cflags, width)
    if conv in "eEfgG":
        pyflags = cflags.replace("'", "")
        spec = "%" + pyflags + (str(width) if width else "") + (
            f".{prec}" if prec > 0 else "") + conv
        return spec % float(value)
    text = str(value)
    if prec > 0:
        text = text[:prec]
    return _pad(text, cflags, width)


def _pad(text: str, cflags: str, width: int) -> str:
    if len(text) >= width:
        return text
    return text.ljust(width) if "-" in cflags else text.rjust(width)


_DIGITS = {"d": "d", "i": "d", "u": "d", "o": "o", "x": "x", "X": "X"}


def _c_int(cflags: str, width: int, prec: int, conv: str, value: int) -> str:
    negative = value < 0
    digits = format(-value if negative else value, _DIGITS[conv])
    if prec > 0 and len(digits) < prec:
        digits = "0" * (prec - len(digits)) + digits
    prefix = ""
    if negative:
        prefix = "-"
    elif conv in "di":
        if "+" in cflags:
            prefix = "+"
        elif " " in cflags:
            prefix = " "
    if "#" in cflags:
        if conv == "o" and not digits.startswith("0"):
            digits = "0" + digits
        elif conv in "xX" and value != 0:
            prefix += "0" + conv
    body = prefix + digits
    if len(body) >= width:
        return body
    if "-" in cflags:
        return body.ljust(width)
    if "0" in cflags and prec <= 0:
        return prefix + "0" * (width - len(body)) + digits
    return body.rjust(width)


# ----------------------------------------------------------------------
# Rendering (dt_printf_format and the pfprint_* functions)

_ESCAPES = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t",
            11: "\\v", 34: '\\"', 92: "\\\\"}


def escape_string(text: str) -> str:
    """C-escape a string as dt_string.c ``strchr2esc`` does (for %S, %C)."""
    out = []
    for ch in text:
        code = ord(ch)
        if code == 0:
            break
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        else:
            # A signed char promoted to int and printed with %o.
            byte = code & 0xFF
            out.append("\\" + format(to_unsigned(to_signed(byte, 1), 4), "o"))
    return "".join(out)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
           "Oct", "Nov", "Dec")


def _time_text(ns: int) -> str:
    """pfprint_time: ctime(3C) rearranged to "1973 Dec  3 17:20:00"."""
    tm = time.localtime(to_signed(ns, 8) // 1_000_000_000)
    return (f"{tm.tm_year} {_MONTHS[tm.tm_mon - 1]} {tm.tm_mday:2d} "
            f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}")


def _time822_text(ns: int) -> str:
    """pfprint_time822: strftime "%a, %d %b %G %T %Z"."""
    return time.strftime("%a, %d %b %G %T %Z",
                         time.localtime(to_signed(ns, 8) // 1_000_000_000))


class BoundFormat:
    """A format validated against argument types, ready to render values.

    Binding turns each conversion into an op once, so rendering a firing's
    printf() does no format interpretation: literal text, a per-conversion
    formatting function, or (for ``*`` widths and ``%@``) the general path.
    """

    __slots__ = ("format", "_ops", "python", "limit")

    def __init__(self, fmt: Format, plans: list[_Plan]) -> None:
        self.format = fmt
        # the most text one rendering may make (bufsize); more is RecordDropped
        self.limit = _UNPRINTABLE
        by_conv = {id(p.conv): p for p in plans}
        self._ops: list[tuple[int, Any]] = []
        self.python = _python_format(fmt, by_conv)
        for piece in fmt.pieces:
            if isinstance(piece, str):
                self._ops.append((_LITERAL, piece))
            elif piece.printer == "pct":
                self._ops.append((_LITERAL, "%"))
            elif piece.dyn_width or piece.dyn_prec or piece.agg:
                self._ops.append((_GENERAL, by_conv[id(piece)]))
            else:
                self._ops.append((_VALUE, _value_formatter(by_conv[id(piece)])))

    def render(self, values: Sequence[Any],
               aggs: Sequence[AggValue] = ()) -> str:
        """Render ``values`` (the printf arguments, or the printa keys).

        ``aggs`` are the printa aggregations' data for this key, in the
        order of the printa() arguments; a ``%@`` past the last one
        repeats the last one (dt_printf_format ``curagg``).
        """
        out: list[str] = []
        pos = 0
        curagg = 0
        for kind, item in self._ops:
            if kind == _LITERAL:
                out.append(item)
            elif kind == _VALUE:
                out.append(item(values[pos]))
                pos += 1
            else:
                text, pos, curagg = _render_general(item, values, pos, aggs, curagg, self.limit)
                out.append(text)
        return "".join(out)

    def static_size(self) -> int:
        """The text the fixed widths and precisions alone call for: when it
        exceeds ``limit`` every rendering is a dropped record."""
        return sum(conversion_size(piece, piece.width, piece.prec) for piece in self.format.pieces
                   if isinstance(piece, Conversion))


_LITERAL, _VALUE, _GENERAL = range(3)


def _python_format(fmt: Format, by_conv: dict[int, _Plan]) -> tuple[str, list[tuple[str, int]]] | None:
    """The whole format as one Python ``%`` pattern and, per value, how the
    value must be reduced first (see ``_python_spec``); None if some
    conversion has no exact Python equivalent.  Lets a compiled printf()
    call site render with a single ``pattern % (values...)``."""
    parts: list[str] = []
    kinds: list[tuple[str, int]] = []
    for piece in fmt.pieces:
        if isinstance(piece, str):
            parts.append(piece.replace("%", "%%"))
        elif piece.printer == "pct":
            parts.append("%%")
        else:
            plan = by_conv.get(id(piece))
            spec = _python_spec(plan) if plan is not None else None
            if spec is None:
                return None
            parts.append(spec[0])
            kinds.append((spec[1], spec[2]))
    return "".join(parts), kinds


def _render_general(plan: _Plan, values: Sequence[Any], pos: int,
                    aggs: Sequence[AggValue], curagg: int, limit: int) -> tuple[str, int, int]:
    """A conversion with ``*`` width/precision or ``%@``; returns the text and
    the next value and aggregation positions.  Raises RecordDropped rather
    than make more than ``limit`` characters of padding or digits."""
    conv = plan.conv
    width, prec = conv.width, conv.prec
    if conv.dyn_width:
        width = to_signed(int(values[pos]), 4)
        pos += 1
    if conv.dyn_prec:
        prec = to_signed(int(values[pos]), 4)
        pos += 1
    if conversion_size(conv, width, prec) > limit:
        raise RecordDropped()
    if not conv.agg:
        text = _render_value(conv, plan.vtype, width, prec, values[pos])
        return text, pos + 1, curagg
    agg = aggs[curagg]
    signed = conv.printer == "sint" or (
        conv.printer == "dint" and plan.vtype is not None and plan.vtype.signed)
    text = agg.printa_text(conv.cflags, width, prec, _agg_conv_char(conv, signed),
                           signed)
    return text, pos, min(curagg + 1, len(aggs) - 1)


def _python_spec(plan: _Plan) -> tuple[str, str, int] | None:
    """``(pattern, kind, size)`` when Python's ``%`` operator prints this
    conversion exactly as C does, given the value reduced per ``kind``:
    ``"signed"`` (``to_signed(value, size)``), ``"unsigned"``
    (``to_unsigned(value, size)``) or ``"str"`` (as is).  None otherwise
    (``#``, zero padding with a precision, ``*`` widths, ``%@``, ...)."""
    conv, vtype = plan.conv, plan.vtype
    if conv.dyn_width or conv.dyn_prec or conv.agg:
        return None
    printer = conv.printer
    if printer == "dint":
        printer = "sint" if vtype is not None and vtype.signed else "uint"
    flags = conv.cflags.replace("'", "")
    simple = "#" not in flags and not ("0" in flags and conv.prec > 0)
    spec = "%" + flags + (str(conv.width) if conv.width else "") + (
        f".{conv.prec}" if conv.prec > 0 else "")
    size = vtype.size if vtype is not None and vtype.kind == "int" else 8
    if size not in _MASKS:
        return None
    if simple and printer == "sint" and conv.ofmt in ("d", "i"):
        return spec + "d", "signed", size
    if simple and printer == "uint" and conv.ofmt in ("d", "u", "x", "X", "o"):
        return spec.replace("+", "").replace(" ", "") + (
            "d" if conv.ofmt in ("d", "u") else conv.ofmt), "unsigned", size
    if printer == "cstr":
        return spec + "s", "str", 0
    return None


def _value_formatter(plan: _Plan) -> Callable[[Any], str]:
    """A one-argument formatter for a conversion with a fixed width and precision.

    Python's ``%`` operator agrees with C for the flag sets used here; the
    rest (``#``, zero padding with a precision) takes the general C path.
    """
    conv, vtype = plan.conv, plan.vtype
    python = _python_spec(plan)
    if python is not None:
        pattern, kind, size = python
        if kind == "signed":

            def signed(value: Any) -> str:
                return pattern % to_signed(value, size)

            return signed
        if kind == "unsigned":
            mask = _MASKS[size]

            def unsigned(value: Any) -> str:
                return pattern % (value & mask)

            return unsigned

        def string(value: Any) -> str:
            return pattern % (value,)

        return string

    def general(value: Any) -> str:
        return _render_value(conv, vtype, conv.width, conv.prec, value)

    return general


def _agg_conv_char(conv: Conversion, signed: bool) -> str:
    """The C conversion a %@ conversion prints its integer with."""
    if conv.printer == "dint":
        return "d" if signed else "u"
    return {"i": "d", "lc": "c", "wc": "c"}.get(conv.ofmt, conv.ofmt)


def _render_value(conv: Conversion, vtype: DType | None, width: int, prec: int,
                  value: Any) -> str:
    """Print one non-aggregation value with its validated conversion."""
    cflags = conv.cflags
    printer = conv.printer
    size = vtype.size if vtype is not None and vtype.kind == "int" else 8
    if printer == "dint":
        printer = "sint" if vtype is not None and vtype.signed else "uint"
    if printer == "sint":
        # %i is printed as %d, and the wide %lc/%wc as a plain %c.
        conv_char = {"i": "d", "lc": "c", "wc": "c"}.get(conv.ofmt, conv.ofmt)
        number = to_signed(int(value), size)
        return c_format(cflags, width, prec, conv_char, number)
    if printer == "uint":
        conv_char = "u" if conv.ofmt == "d" else conv.ofmt
        return c_format(cflags, width, prec, conv_char,
                        to_unsigned(int(value), size))
    if printer == "cstr":
        return c_format(cflags, width, prec, "s", value)
    if printer == "estr":
        return c_format(cflags, width, prec, "s", escape_string(str(value)))
    if printer == "echr":
        text = escape_string(chr(int(value) & 0xFF))
        return c_format(cflags, width, prec, "s", text)
    if printer == "addr":
        # No symbol tables: dtrace_addr2str falls back to the raw address.
        text = value if isinstance(value, str) else format(
            to_unsigned(int(value), 8), "#x")
        return c_format(cflags, width, prec, "s", text)
    if printer == "time":
        return c_format(cflags, width, prec, "s", _time_text(int(value)))
    if printer == "time822":
        return c_format(cflags, width, prec, "s", _time822_text(int(value)))
    if printer == "fp":
        return c_format(cflags, width, prec, conv.ofmt, value)
    return c_format(cflags, width, prec, "s", value)
