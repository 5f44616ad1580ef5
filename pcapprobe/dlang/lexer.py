"""Hand-written scanner for D (after libdtrace dt_lex.l).

D's lexer is stateful: at the top level a clause starts with probe
descriptions (``nfsv3:::op-*``, which are not C tokens), and inside a
predicate a ``/`` followed by ``{``, ``;``, ``/`` or the end of input closes the
predicate instead of dividing (dt_lex.l's ``DT_TOK_EPRED`` lookahead).
"""

from __future__ import annotations

import re

from pcapprobe.dlang.diagnostics import D_CHR_OFLOW, D_SYNTAX, DCompileError, error
from pcapprobe.dlang.source import Source, Span
from pcapprobe.dlang.tokens import KEYWORDS, OPERATORS, T, Token

# dt_lex.l RGX_PSPEC: a probe description field set, globs included.
_PSPEC = re.compile(r"[-$:a-zA-Z_.?*\\\[\]!][-$:0-9a-zA-Z_.`?*\\\[\]!]*")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"(0[xX][0-9A-Fa-f]+|[0-9]+)([uUlL]*)([A-Za-z0-9_.]*)")
_MACRO = re.compile(r"\$(\$?)([0-9]+|[A-Za-z_][A-Za-z0-9_]*)")
# the longest operator first (OPERATORS is sorted so)
_OPERATOR = re.compile("|".join(re.escape(op) for op in OPERATORS))
_WS = re.compile(r"(?:[ \t\r\f\v\n]+|/\*.*?\*/|//[^\n]*)*", re.S)
# Operators that change the scanner's state (predicate, clause and probe
# description boundaries; "/" also starts comments): scan_operator's alone.
_STATEFUL_OPS = frozenset("/{},;")
# The common case in one match: spacing, then an identifier or an operator
# that changes no state (group 1 or 2), else nothing (scan_one decides).
_PLAIN = re.compile(_WS.pattern + r"(?:([A-Za-z_][A-Za-z0-9_]*)|("
                    + "|".join(re.escape(op) for op in OPERATORS if op not in _STATEFUL_OPS) + "))?",
                    re.S)
_ESCAPES = {
    "n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
    "\\": "\\", "'": "'", '"': '"', "?": "?",
}


class Lexer:
    """Turns one ``Source`` into a list of tokens (ending with ``T.EOF``)."""

    def __init__(self, source: Source, type_names: set[str] | frozenset[str] = frozenset()) -> None:
        self.source = source
        self.text = source.text
        self.pos = 0
        # a typedef adds its name, as dt_lex.l asks the parser's scope whether
        # an identifier names a type (the caller may share this set)
        self.type_names = type_names if isinstance(type_names, set) else set(type_names)
        self.tokens: list[Token] = []
        self.depth = 0
        self.expect_pspec = True
        self.in_pred = False
        self.in_typedef = False  # between a top-level 'typedef' and its ';'
        self.decl_brace = False  # the top-level '{' opened a struct/union/enum body

    def fail(self, message: str, start: int, end: int | None = None) -> DCompileError:
        return error(D_SYNTAX, message, self.source, Span(start, end if end is not None else start + 1))

    def tokenize(self) -> list[Token]:
        """Scan the whole source."""
        text = self.text
        if text.startswith("#!"):
            # The interpreter line of an executable script is ignored.
            newline = text.find("\n")
            self.pos = len(text) if newline < 0 else newline
        # Identifiers and plain operators are most of any script: they are
        # scanned here in one regular-expression match each; everything else
        # (and identifiers where a probe description may start) by scan_one.
        plain, tokens, type_names = _PLAIN.match, self.tokens, self.type_names
        ident_kind, keyword_kind, op_kind = T.IDENT, T.KEYWORD, T.OP
        end = len(text)
        while True:
            match = plain(text, self.pos)
            word, op = match.group(1, 2)
            anywhere = self.depth or not self.expect_pspec or self.in_pred  # no probe description here
            if word is not None and anywhere:
                start, self.pos = match.start(1), match.end()
                if word in KEYWORDS:
                    tokens.append(Token(keyword_kind, word, Span(start, self.pos)))
                    if not self.depth:
                        self.expect_pspec = False
                else:
                    tokens.append(Token(ident_kind, word, Span(start, self.pos)))
                    if not self.depth and word in type_names:
                        self.expect_pspec = False
                continue
            if op is not None and anywhere:
                start, self.pos = match.start(2), match.end()
                tokens.append(Token(op_kind, op, Span(start, self.pos)))
                continue
            self.pos = pos = match.start(1 if word is not None else 2) if word or op else match.end()
            if pos >= end:
                self.emit(T.EOF, "", pos, pos)
                return tokens
            c = text[pos]
            if c in _STATEFUL_OPS:
                if text.startswith("/*", pos):
                    raise self.fail("end-of-file encountered before matching */", pos, pos + 2)
                if anywhere:
                    self.scan_operator(c)
                    continue
            elif "0" <= c <= "9":
                self.scan_number()
                continue
            self.scan_one()

    def emit(self, kind: T, text: str, start: int, end: int, value: object = None) -> Token:
        token = Token(kind, text, Span(start, end), value)
        self.tokens.append(token)
        self.pos = end
        return token

    def at_line_start(self) -> bool:
        line_begin = self.text.rfind("\n", 0, self.pos) + 1
        return self.text[line_begin : self.pos].strip() == ""

    def scan_one(self) -> None:
        text, pos = self.text, self.pos
        c = text[pos]
        if c == "#" and self.at_line_start():
            self.scan_directive()
            return
        if self.depth == 0 and self.expect_pspec and not self.in_pred:
            match = _PSPEC.match(text, pos)
            if match and not self.starts_declaration(match.group()):
                self.emit(T.PSPEC, match.group(), pos, match.end())
                self.expect_pspec = False
                return
        if c.isascii() and (c.isalpha() or c == "_"):
            word = _IDENT.match(text, pos).group()
            kind = T.KEYWORD if word in KEYWORDS else T.IDENT
            self.emit(kind, word, pos, pos + len(word))
            if self.depth == 0 and (kind is T.KEYWORD or word in self.type_names):
                self.expect_pspec = False
                self.in_typedef = self.in_typedef or word == "typedef"
            return
        if "0" <= c <= "9":
            self.scan_number()
            return
        if c == '"':
            self.scan_string()
            return
        if c == "'":
            self.scan_char()
            return
        if c == "@":
            match = _IDENT.match(text, pos + 1)
            name = match.group() if match else ""
            self.emit(T.AGG, "@" + name, pos, pos + 1 + len(name), name)
            return
        if c == "$":
            self.scan_macro()
            return
        match = _OPERATOR.match(text, pos)
        if match is not None:
            self.scan_operator(match.group())
            return
        raise self.fail(f'syntax error near "{first_byte(c)}"', pos)

    def starts_declaration(self, word: str) -> bool:
        ident = _IDENT.match(word)
        return bool(ident) and ident.group() == word and (word in KEYWORDS or word in self.type_names)

    def scan_operator(self, op: str) -> None:
        start = self.pos
        if op == "/" and self.in_pred:
            rest = _WS.match(self.text, start + 1).end()
            if rest >= len(self.text) or self.text[rest] in "{;/":
                self.emit(T.EPRED, "/", start, start + 1)
                self.in_pred = False
                return
        self.emit(T.OP, op, start, start + len(op))
        previous = self.tokens[-2].kind if len(self.tokens) > 1 else None
        if self.depth == 0 and not self.in_pred:
            if op == "/" and previous is T.PSPEC:
                self.in_pred = True
            elif op == "," and previous is T.PSPEC:
                self.expect_pspec = True
            elif op == ";":
                self.expect_pspec = True
                if self.in_typedef:
                    self.declare_typedef_name()
        if op == "{":
            if self.depth == 0:
                self.decl_brace = self.opens_type_body()
            self.depth += 1
            self.in_pred = False
        elif op == "}":
            self.depth = max(0, self.depth - 1)
            if self.depth == 0:
                # after a struct/union/enum body the declaration goes on
                self.expect_pspec = not self.decl_brace
                self.decl_brace = False

    def opens_type_body(self) -> bool:
        """Whether the '{' just emitted follows 'struct', 'union' or 'enum'
        and an optional tag: a type's body, not a clause's."""
        before = self.tokens[-3:-1]
        if before and before[-1].kind is T.IDENT:
            before = before[:-1]
        return bool(before) and before[-1].kind is T.KEYWORD and before[-1].text in ("struct", "union", "enum")

    def declare_typedef_name(self) -> None:
        """At a typedef's ';': its declarator's name (before any [N]) is a type name."""
        self.in_typedef = False
        i = len(self.tokens) - 2
        while i > 0 and self.tokens[i].is_op("]"):
            while i > 0 and not self.tokens[i].is_op("["):
                i -= 1
            i -= 1
        if self.tokens[i].kind is T.IDENT:
            self.type_names.add(self.tokens[i].text)

    def scan_directive(self) -> None:
        start = self.pos
        end = self.text.find("\n", start)
        end = len(self.text) if end < 0 else end
        line = self.text[start:end]
        body = line[1:].strip()
        if body.startswith("pragma"):
            self.emit(T.PRAGMA, line, start, end, body[len("pragma") :].strip())
            self.expect_pspec = self.depth == 0
            return
        if body == "" or body[0].isdigit() or body.startswith("line"):
            # cpp line markers ("# 12 "x.d"") carry no meaning for us.
            self.pos = end
            return
        directive = body.split()[0]
        raise self.fail(f"invalid control directive: #{directive}", start, end)

    def scan_number(self) -> None:
        start = self.pos
        match = _NUMBER.match(self.text, start)
        digits, suffix, junk = match.group(1), match.group(2), match.group(3)
        if junk or len(suffix) > 3:
            raise self.fail(f'syntax error near "{match.group()}"', start, match.end())
        if digits.lower().startswith("0x"):
            value = int(digits, 16)
        elif digits.startswith("0") and len(digits) > 1:
            if any(d in "89" for d in digits):
                raise self.fail(f"invalid digit in octal constant: {digits}", start, match.end())
            value = int(digits, 8)
        elif len(digits) > 20:
            # more digits than 2**64 has: overflow, found before int() (whose
            # digit limit would refuse a 4,301-digit literal with ValueError)
            value = 1 << 64
        else:
            value = int(digits)
        if value >= 1 << 64:
            raise self.fail(f"integer constant {digits} results in overflow", start, match.end())
        self.emit(T.INT, match.group(), start, match.end(), (value, suffix.lower(), digits[0] == "0"))

    def read_escaped(self, quote: str) -> tuple[str, int]:
        """A literal's value: its bytes (source characters as UTF-8, escapes
        as the byte they name, as C compiles them) read back as a D string
        is held, UTF-8 with other bytes kept as themselves (surrogateescape),
        so "\303\251" is the same string as "\u00e9" typed in the source."""
        text, i = self.text, self.pos + 1
        out: list[str | bytes] = []
        while True:
            if i >= len(text):
                raise self.fail(f"end-of-file encountered before matching {quote} in literal", self.pos)
            c = text[i]
            if c == quote:
                raw = b"".join(_literal_bytes(part) for part in out)
                return raw.decode("utf-8", "surrogateescape"), i + 1
            if c == "\n":
                raise self.fail("newline encountered in string literal", self.pos, i)
            if c == "\\" and i + 1 < len(text):
                n = text[i + 1]
                if n in _ESCAPES:
                    out.append(_ESCAPES[n])
                    i += 2
                elif n in "01234567":
                    octal = re.match(r"[0-7]{1,3}", text[i + 1 :]).group()
                    out.append(bytes((int(octal, 8) & 0xFF,)))
                    i += 1 + len(octal)
                elif n == "x":
                    hexa = re.match(r"[0-9A-Fa-f]{0,2}", text[i + 2 :]).group()
                    out.append(bytes((int(hexa or "0", 16),)))
                    i += 2 + len(hexa)
                elif n == "\n":
                    i += 2
                else:
                    out.append(n)
                    i += 2
                continue
            out.append(c)
            i += 1

    def scan_string(self) -> None:
        start = self.pos
        value, end = self.read_escaped('"')
        self.emit(T.STRING, self.text[start:end], start, end, value)

    def scan_char(self) -> None:
        start = self.pos
        value, end = self.read_escaped("'")
        if not value:
            raise self.fail("empty character constant", start, end)
        raw = _literal_bytes(value)
        if len(raw) > 8:
            # dt_lex.l: the bytes must fit the 64-bit integer token
            raise error(D_CHR_OFLOW, "character constant is too long", self.source, Span(start, end))
        number = 0
        for ch in raw:
            number = (number << 8) | ch
        self.emit(T.INT, self.text[start:end], start, end, (number, "", False))

    def scan_macro(self) -> None:
        start = self.pos
        match = _MACRO.match(self.text, start)
        if match is None:
            raise self.fail('syntax error near "$"', start)
        self.emit(T.MACRO, match.group(), start, match.end(), (bool(match.group(1)), match.group(2)))


def _literal_bytes(part: str | bytes) -> bytes:
    """A piece of a literal as bytes: an escape's byte, or source text as UTF-8."""
    if isinstance(part, bytes):
        return part
    try:
        return part.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate outside U+DC80-U+DCFF
        return part.encode("utf-8", "surrogatepass")


def first_byte(c: str) -> str:
    """What dt_lex.l's ``"%c", yytext[0]`` prints for the character ``c``.

    lex reads bytes: an unexpected character is reported as its raw first
    byte.  A non-ASCII character's first UTF-8 byte (0x80-0xff) is returned
    in surrogateescape form (U+DC80-U+DCFF), which a stream with
    ``errors="surrogateescape"`` writes as that byte.
    """
    if c.isascii():
        return c
    try:
        raw = c.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate outside U+DC80-U+DCFF
        raw = c.encode("utf-8", "surrogatepass")
    return chr(0xDC00 + raw[0])


def tokenize(source: Source, type_names: frozenset[str] = frozenset()) -> list[Token]:
    """Scan a source into tokens; raises ``DCompileError`` on bad input."""
    return Lexer(source, type_names).tokenize()
