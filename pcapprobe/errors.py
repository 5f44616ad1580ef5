"""Errors that end a run (or one input file) with a message instead of a traceback."""

from __future__ import annotations


class PcapProbeError(Exception):
    """Base of every error the CLI turns into one ``pcapprobe: ...`` line."""


class CaptureError(PcapProbeError):
    """A capture file cannot be opened or is not a capture at all."""


class UsageError(PcapProbeError):
    """The command line (or API call) asks for something impossible."""


def printable(text: str) -> str:
    """``text`` with control characters escaped as C writes them (``\\n``,
    ``\\t``, ``\\ooo``), as ``ls -b`` shows a file name: a newline in a name
    must not split a one-line message."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\v": "\\v", "\f": "\\f",
            "\a": "\\a", "\b": "\\b"}


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if ord(ch) < 256:
        return f"\\{ord(ch):03o}"
    return ch.encode("unicode_escape").decode("ascii")  # \\uXXXX, a lone surrogate too
