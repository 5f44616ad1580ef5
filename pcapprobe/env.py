"""The one place pcapprobe touches the process's streams (httpie's Environment)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import BinaryIO, TextIO


def _stdin() -> BinaryIO:
    return sys.stdin.buffer


@dataclass
class Environment:
    """stdout carries only D output; everything else goes to stderr."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    stdin: BinaryIO = field(default_factory=_stdin)
    show_progress: bool | None = None  # None: only when stderr is a terminal

    @property
    def stderr_isatty(self) -> bool:
        isatty = getattr(self.stderr, "isatty", None)
        return bool(isatty and isatty())

    @property
    def progress_enabled(self) -> bool:
        return self.stderr_isatty if self.show_progress is None else self.show_progress
