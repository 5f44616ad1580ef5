"""JSON as pcapprobe writes it (``events``, ``run --format json``): one object
per line, and integers a JSON reader cannot hold exactly written as strings.

JSON numbers are read as IEEE doubles by jq, JavaScript and most dashboards:
beyond +-(2**53 - 1) they are rounded silently.  Such an integer (a
nanosecond timestamp, a 64-bit counter) is written as its decimal string.
"""

from __future__ import annotations

import json
from typing import Any

MAX_EXACT = (1 << 53) - 1  # the largest integer a double holds exactly


def exact(value: int) -> int | str:
    """An integer as JSON: itself, or its decimal string beyond +-(2**53 - 1)."""
    return value if -MAX_EXACT <= value <= MAX_EXACT else str(value)


def line(obj: Any) -> str:
    """One JSON object and its newline (``", "`` / ``": "`` separators, ASCII)."""
    return json.dumps(obj) + "\n"


def record(kind: str, data: Any) -> str:
    """A ``--format json`` record, bpftrace's ``{"type": ..., "data": ...}``."""
    return line({"type": kind, "data": data})


def printf_record(text: str) -> str:
    """What one printf() (or printa() line of text) wrote."""
    return record("printf", text)


def value_record(value: Any) -> str:
    """What one trace() or tracemem() traced: a number (exact), a string,
    bytes as lowercase hex, or null."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = exact(value)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).hex()
    elif value is not None and not isinstance(value, (str, float, bool)):
        value = str(value)
    return record("value", value)
