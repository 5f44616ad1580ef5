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
    def stdout_isatty(self) -> bool:
        isatty = getattr(self.stdout, "isatty", None)
        return bool(isatty and isatty())

    @property
    def progress_enabled(self) -> bool:
        """By default a bar only when stderr is a terminal that D output, going
        elsewhere, cannot be interleaved with (a bar redraw would garble it)."""
        if self.show_progress is not None:
            return self.show_progress
        return self.stderr_isatty and not self.stdout_isatty
