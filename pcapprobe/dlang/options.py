"""dtrace(1M) options: names, how each value is parsed and checked, and the
defaults of Solaris (libdtrace dt_options.c; the buffer defaults of dtrace.c
and of the dtrace kernel module).

Each option has dt_options.c's parser: a *flag* takes no value (dt_opt_cflags:
``-x zdefs=1`` is an invalid value), a *runtime* option an integer or a
yes/no word (dt_opt_runtime), a *size* option bytes with an optional k/m/g/t
suffix (dt_opt_size), a *rate* option a frequency or a period (dt_opt_rate),
a *word* option one of a few words.  A value dtrace refuses raises
``BadOptionValue``; an unknown name ``KeyError``.  A value is stored parsed:
True for flags, ``UNSET`` or an int for runtime options (what dtrace keeps in
dt_options[]), bytes for sizes, nanoseconds for rates, the word for words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NANOSEC = 1_000_000_000
# dt_options[] for an option given as "no", "off", "" ... (DTRACEOPT_UNSET)
UNSET = None


class BadOptionValue(ValueError):
    """dtrace's EDT_BADOPTVAL."""

    message = "Invalid value for specified option"


def _flag(value: str | None) -> Any:
    if value is not None:
        raise BadOptionValue()
    return True


_YES = ("yes", "enable", "enabled", "true", "on", "set")
_NO = ("no", "disable", "disabled", "false", "off", "unset")


def _strtoull(text: str) -> tuple[int, str]:
    """strtoull(text, &end, 0) as dtrace_optval_t (int64) holds it, and the
    text after the number; a number past 2**64 (ERANGE) reads as -1."""
    match = re.match(r"\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)", text)
    if match is None:
        return 0, text
    sign, digits = match.groups()
    if len(digits) > 24:
        return -1, text[match.end():]
    value = int(digits, 16 if digits[:2] in ("0x", "0X") else 8 if digits.startswith("0") else 10)
    if value >= 1 << 64:
        return -1, text[match.end():]
    if sign == "-":
        value = -value & _U64  # strtoull negates in unsigned arithmetic
    return _signed(value), text[match.end():]


_U64 = (1 << 64) - 1


def _signed(value: int) -> int:
    value &= _U64
    return value - (1 << 64) if value >= 1 << 63 else value


def _number(text: str) -> int:
    """A whole string strtoull accepts, as a non-negative dtrace_optval_t."""
    number, rest = _strtoull(text)
    if rest or number < 0:
        raise BadOptionValue()
    return number


def _runtime(value: str | None) -> Any:
    if value is None:
        return 0
    if value == "" or value.lower() in _NO:
        return UNSET
    if value.lower() in _YES:
        return 1
    return _number(value)


_SIZE_SUFFIX = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def _size(value: str | None) -> int:
    if value is None:
        return 0
    mul = _SIZE_SUFFIX.get(value[-1:].lower(), 1)
    number, rest = _strtoull(value[:-1] if mul > 1 else value)
    total = _signed(number * mul)
    if rest or number < 0 or total < 0:
        raise BadOptionValue()
    return total


_RATE_SUFFIX = {
    "ns": 1, "nsec": 1, "us": 1_000, "usec": 1_000, "ms": 1_000_000, "msec": 1_000_000,
    "s": NANOSEC, "sec": NANOSEC, "m": 60 * NANOSEC, "min": 60 * NANOSEC,
    "h": 3600 * NANOSEC, "hour": 3600 * NANOSEC, "d": 86400 * NANOSEC, "day": 86400 * NANOSEC,
    "hz": 0,
}


def _rate(value: str | None) -> int:
    if value is None:
        return 0
    number, rest = _strtoull(value)
    mul = _RATE_SUFFIX.get(rest.lower(), 1 if rest == "" else None)
    if mul is None or number < 0:
        raise BadOptionValue()
    if mul == 0:  # a frequency: the period of it
        return NANOSEC // number if number else 0
    return _signed(number * mul)


def _words(*allowed: str) -> Any:
    def parse(value: str | None) -> str:
        if value is None or value not in allowed:
            raise BadOptionValue()
        return value
    return parse


def _text(value: str | None) -> str:
    if value is None:
        raise BadOptionValue()
    return value


# name -> parser (dt_options.c _dtrace_ctoptions, _dtrace_rtoptions, _dtrace_drtoptions)
PARSERS = {
    **{name: _flag for name in (
        "argref cpp cpphdrs defaultargs empty errtags knodefs kdefs nolibs pspec strip udefs"
        " unodefs verbose zdefs aggpercpu core debug lazyload").split()},
    **{name: _runtime for name in (
        "cpu destructive grabanon jstackframes nspec stackframes ustackframes temporal agghist"
        " aggpack aggsortkey aggsortkeypos aggsortpos aggsortrev aggzoom flowindent quiet"
        " rawbytes stackindent quietresize").split()},
    **{name: _size for name in "aggsize bufsize dynvarsize jstackstrsize specsize strsize".split()},
    **{name: _rate for name in "aggrate cleanrate statusrate switchrate".split()},
    "bufpolicy": _words("ring", "fill", "switch"),
    "bufresize": _words("auto", "manual"),
    "linkmode": _words("kernel", "primary", "dynamic", "static"),
    "evaltime": _words("exec", "preinit", "postinit", "main"),
    "stdc": _words("a", "c", "s", "t"),
    **{name: _text for name in "amin cpppath ctypes dtypes define incdir undef ldpath libdir"
                               " syslibdir version zone encoding droptags late".split()},
}

# Solaris's defaults: dtrace(1M) sets bufsize and aggsize to 4m (dtrace.c);
# the rest are the dtrace module's (dtrace.c dtrace_*_default, dtrace_dstate_defsize).
DEFAULTS: dict[str, int] = {
    "bufsize": 4 << 20,
    "aggsize": 4 << 20,
    "dynvarsize": 1 << 20,
    "specsize": 32 << 10,
    "nspec": 1,
    "strsize": 256,
    "cleanrate": 9_900_990,   # 101 Hz
    "statusrate": NANOSEC,    # 1 Hz
    "switchrate": NANOSEC,    # 1 Hz
    "aggrate": NANOSEC,       # 1 Hz
}


def parse_option(name: str, value: str | bool | None) -> Any:
    """An option's value as dtrace stores it; ``value`` is the text after
    ``=`` (None when there was no ``=``; True/False from the Python API)."""
    parse = PARSERS[name]  # KeyError: not an option
    if value is True:
        value = None
    elif value is False:
        if parse is _flag:
            return False
        value = "no"
    return parse(value)


@dataclass(frozen=True, slots=True)
class Limits:
    """The buffer bounds a run enforces, from the options (docs/d-grammar.md
    "Options, limits and drops")."""

    bufsize: int
    aggsize: int
    dynvarsize: int
    specsize: int
    nspec: int
    strsize: int
    statusrate: int
    switchrate: int

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> Limits:
        def get(name: str) -> int:
            value = options.get(name)
            return DEFAULTS[name] if value is None or isinstance(value, bool) else int(value)

        return cls(get("bufsize"), get("aggsize"), get("dynvarsize"), get("specsize"), get("nspec"),
                   get("strsize"), get("statusrate") or NANOSEC, get("switchrate") or NANOSEC)
