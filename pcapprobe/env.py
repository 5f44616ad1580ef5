"""The one place pcapprobe touches the process's streams (httpie's Environment)."""

from __future__ import annotations

import errno
import io
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TextIO


class ClosedInput(io.RawIOBase):
    """Standard input when the process has none (``<&-``): reading it fails
    as reading a closed descriptor does."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: object) -> int:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))


class ClosedOutput(io.TextIOBase):
    """Standard output when the process has none (``>&-``): writing to it
    fails as writing to a closed descriptor does (a run that prints nothing,
    or writes to ``-o FILE``, does not mind)."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))


def _stdin() -> BinaryIO:
    if sys.stdin is None:
        return io.BufferedReader(ClosedInput())
    return sys.stdin.buffer


class Stderr:
    """The process's stderr as pcapprobe writes to it.  While a progress bar
    is live it sets ``divert`` and the run's messages (bad input, D errors)
    go through it, printed above the bar instead of into its line."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.divert: Callable[[str], object] | None = None

    def write(self, text: str) -> int:
        if self.divert is None:
            return self.stream.write(text)
        self.divert(text)
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding...
        return getattr(self.stream, name)


def _stdout() -> TextIO:
    return sys.stdout if sys.stdout is not None else ClosedOutput()


@dataclass
class Environment:
    """stdout carries only D output; everything else goes to stderr."""

    stdout: TextIO = field(default_factory=_stdout)
    stderr: TextIO = field(default_factory=lambda: Stderr(sys.stderr))  # type: ignore[arg-type]
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
