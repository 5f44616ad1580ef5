"""D program sources and positions inside them.

A ``Source`` is one ``-s FILE`` or ``-n PROGRAM`` text; a ``Span`` is a pair of
character offsets into it.  Line numbers count every physical line, comments
and ``#!`` lines included, as dtrace(1M) reports them.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Span:
    """Half-open character range [start, end) in one source."""

    start: int
    end: int

    def join(self, other: Span) -> Span:
        """The smallest span covering both."""
        return Span(min(self.start, other.start), max(self.end, other.end))


@dataclass(slots=True)
class Source:
    """A D program text: ``kind`` is "script" (``-s``) or "program" (``-n``)."""

    name: str
    text: str
    kind: str = "script"
    # after the C preprocessor (dlang/cpp.py): the line each physical line
    # came from, which is the one errors report
    line_map: tuple[int, ...] = ()
    _lines: list[int] = field(default_factory=list, repr=False)

    def line_starts(self) -> list[int]:
        """Offsets at which each line begins."""
        if not self._lines:
            self._lines = [0] + [i + 1 for i, c in enumerate(self.text) if c == "\n"]
        return self._lines

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and 0-based column of a character offset."""
        starts = self.line_starts()
        index = bisect.bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index]

    def reported_line(self, offset: int) -> int:
        """The line an error at ``offset`` reports (the original script's)."""
        line = self.line_col(offset)[0]
        return self.line_map[line - 1] if 0 < line <= len(self.line_map) else line

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline."""
        starts = self.line_starts()
        begin = starts[line - 1]
        end = self.text.find("\n", begin)
        return self.text[begin : end if end >= 0 else len(self.text)]

    def caret(self, span: Span) -> str:
        """The span's line followed by a ``^~~`` underline (tabs expanded)."""
        line, col = self.line_col(span.start)
        text = self.line_text(line)
        prefix = text[:col].expandtabs()
        width = max(1, min(span.end, span.start + len(text) - col) - span.start)
        return f"{text.expandtabs()}\n{' ' * len(prefix)}^{'~' * (width - 1)}"
