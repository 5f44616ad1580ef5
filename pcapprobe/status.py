"""Exit statuses, as dtrace(1M) uses them."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """What ``pcapprobe`` returns to the shell (a D ``exit(n)`` returns n)."""

    SUCCESS = 0  # ran to the end (or exit(0))
    ERROR = 1  # compile error, unreadable capture, failed run
    USAGE = 2  # bad command line
