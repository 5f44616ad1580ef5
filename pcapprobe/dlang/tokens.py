"""Token kinds of the D language (libdtrace dt_lex.l) and the Token record."""

from __future__ import annotations

from enum import Enum

from pcapprobe.dlang.source import Span


class T(Enum):
    """Token kinds."""

    IDENT = "identifier"
    KEYWORD = "keyword"
    INT = "integer"
    STRING = "string"
    AGG = "aggregation"  # @name or a lone @
    MACRO = "macro"  # $1, $$1, $target ...
    PSPEC = "probe description"
    PRAGMA = "pragma"  # the text after '#pragma'
    OP = "operator"  # punctuation, text gives which
    EPRED = "end of predicate"  # the '/' that closes a predicate
    EOF = "end of input"


# Keywords of D (dt_lex.l); type keywords start declarations at top level.
KEYWORDS = frozenset(
    """auto break case char const continue counter default do double else enum
    extern float for goto if import inline int long offsetof probe provider
    register restrict return self short signed sizeof static string stringof
    struct switch this translator typedef union unsigned userland void volatile
    while xlate""".split()
)

TYPE_KEYWORDS = frozenset(
    "char short int long signed unsigned string void struct union enum const volatile".split()
)

# Longest first so that the scanner can try them in order.
OPERATORS = sorted(
    """<<= >>= -> ++ -- << >> <= >= == != && || ^^ += -= *= /= %= &= |= ^=
    + - * / % & | ^ ~ ! < > = ? : ; , . ( ) [ ] { } `""".split(),
    key=len,
    reverse=True,
)


class Token:
    """One token: kind, exact text, decoded value and span."""

    __slots__ = ("kind", "text", "value", "span")

    def __init__(self, kind: T, text: str, span: Span, value: object = None) -> None:
        self.kind = kind
        self.text = text
        self.span = span
        self.value = value

    def is_op(self, text: str) -> bool:
        return self.kind is T.OP and self.text == text

    def is_kw(self, text: str) -> bool:
        return self.kind is T.KEYWORD and self.text == text

    def __repr__(self) -> str:
        return f"Token({self.kind.name}, {self.text!r})"
