"""trace() output and the non-quiet probe line, as Solaris dtrace(1M) prints them.

Sources: illumos lib/libdtrace/common/dt_consume.c (``dt_consume_cpu``: the
trace() record formats; ``dt_print_bytes``: strings versus hex dumps) and
cmd/dtrace/dtrace.c (``chew``: the ``CPU ID FUNCTION:NAME`` header and the
per-firing prefix).  Integers follow Oracle's ``dt_print_trace``
(dtrace-utils dt_consume.c), which prints by the value's D type: signed or
unsigned, at its size (``trace(-1ul)`` prints 18446744073709551615,
``trace((int8_t)-1)`` prints -1); illumos printed by size only, through
``%lld`` and ``%d``.  Issue 17: where they differ, Oracle's Solaris 11 wins.
"""

from __future__ import annotations

from pcapprobe.dlang.runtime.printf import DType, to_signed, to_unsigned

__all__ = [
    "FIRING_END",
    "bytes_text",
    "probe_header",
    "probe_prefix",
    "string_bytes",
    "utf8_bytes",
    "trace_text",
]

FIRING_END = "\n"  # chew() ends every non-quiet firing that traced data


def probe_header() -> str:
    """The header printed before the first non-quiet firing line."""
    return "%3s %6s %32s\n" % ("CPU", "ID", "FUNCTION:NAME")


def probe_prefix(cpu: int, probe_id: int, function: str, name: str) -> str:
    """The start of a non-quiet firing's line: ``%3d %6d %32s ``."""
    return "%3d %6d %32s " % (cpu, probe_id, f"{function}:{name}")


def string_bytes(text: str, size: int) -> bytes:
    """A D string as its fixed-size, NUL-padded record of ``size`` bytes.

    The bytes are the string's UTF-8, as they were on the wire: wire bytes
    that are not UTF-8 were decoded with surrogateescape (U+DC80-U+DCFF) and
    go back to the original byte (``utf8_bytes``).  A string of ``size``
    bytes (strsize: longer ones were cut where they were loaded) fills the
    record without a NUL, as dtrace_probe stores it.
    """
    raw = utf8_bytes(text)[:size]
    return raw + b"\0" * (size - len(raw))


def utf8_bytes(text: str) -> bytes:
    """The bytes a D string stands for: UTF-8, a surrogateescape'd wire byte
    as itself (any other lone surrogate, from D source, passed through)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _printable(byte: int) -> bool:
    # isprint() or isspace() in the C locale, plus backspace and bell.
    return 0x20 <= byte <= 0x7E or byte in (9, 10, 11, 12, 13, 8, 7)


def bytes_text(data: bytes, width: int, quiet: bool, force_raw: bool = False) -> str:
    """dt_print_bytes: a printable NUL-terminated record prints as a string,
    anything else (including the empty string) as a hex dump."""
    if not data:
        return ""
    if not force_raw:
        nul = data.find(b"\0")
        head = data if nul < 0 else data[:nul]
        if all(_printable(b) for b in head):
            text = head.decode("latin-1")
            if nul < 0:
                return "  " + text.ljust(abs(width))
            if nul > 0 and not data[nul:].strip(b"\0"):
                if quiet:
                    return text
                return " " + (" " if width < 0 else "") + (
                    text.ljust(-width) if width < 0 else text.rjust(width))
    return _raw_dump(data)


def _raw_dump(data: bytes) -> str:
    """dt_print_bytes' raw form: offset, 16 hex bytes, then the ASCII column."""
    margin = " " * 5
    out = ["\n", margin, "      "]
    out.extend("  " + "0123456789abcdef"[i] for i in range(16))
    out.append("  0123456789abcdef\n")
    for offset in range(0, len(data), 16):
        chunk = data[offset:offset + 16]
        out.append(f"{margin}{offset:5x}:")
        out.extend(f" {b:02x}" for b in chunk)
        out.append("   " * (16 - len(chunk)))
        out.append("  ")
        out.append("".join(chr(b) if 0x20 <= b <= 0x7E else "." for b in chunk))
        out.append("\n")
    return "".join(out)


# dt_print_trace's non-quiet widths by record size: (signed, unsigned).
_TRACE_WIDTHS = {8: (19, 20), 4: (10, 10), 2: (5, 5), 1: (3, 3)}


def trace_text(value: int | str, dtype: DType, quiet: bool) -> str:
    """What trace(value) prints: a string as dt_print_bytes prints it, an
    integer as its type's C conversion (``%ld``/``%lu``, ``%d``/``%u``,
    ``%hd``/``%hu``, ``%hhd``/``%hhu``), after one space and at the width
    of _TRACE_WIDTHS when not quiet."""
    if isinstance(value, str):
        return bytes_text(string_bytes(value, dtype.size), -33, quiet)
    size = dtype.size if dtype.size in _TRACE_WIDTHS else 8
    number = to_signed(value, size) if dtype.signed else to_unsigned(value, size)
    if quiet:
        return f"{number}"
    return f" {number:{_TRACE_WIDTHS[size][0 if dtype.signed else 1]}d}"
