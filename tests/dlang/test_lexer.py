"""The D scanner: tokens, probe descriptions, predicates, literals, comments."""

from __future__ import annotations

import pytest

from pcapprobe.dlang import DCompileError, Source
from pcapprobe.dlang.lexer import tokenize
from pcapprobe.dlang.tokens import T


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.kind.name, t.text) for t in tokenize(Source("x.d", text), frozenset({"uint8_t"}))][:-1]


def test_probe_descriptions_and_predicate_delimiters() -> None:
    assert kinds("nfsv3:::op-* /x / 2 == 1/ { }") == [
        ("PSPEC", "nfsv3:::op-*"), ("OP", "/"), ("IDENT", "x"), ("OP", "/"),
        ("INT", "2"), ("OP", "=="), ("INT", "1"), ("EPRED", "/"), ("OP", "{"), ("OP", "}"),
    ]


def test_several_descriptions_and_globs() -> None:
    toks = kinds("iscsi*:::, srp:::login-[cr]*,\nBEGIN{}")
    assert [t for t in toks if t[0] == "PSPEC"] == [
        ("PSPEC", "iscsi*:::"), ("PSPEC", "srp:::login-[cr]*"), ("PSPEC", "BEGIN")]


def test_declarations_are_not_probe_descriptions() -> None:
    toks = kinds("int last[int];\nuint8_t small;\ninline int X = 1;\nBEGIN {}")
    assert ("PSPEC", "BEGIN") in toks
    assert ("PSPEC", "small") not in toks and ("IDENT", "small") in toks


def test_literals() -> None:
    toks = tokenize(Source("x", 'BEGIN { x = 0x1F + 017 + 10ull + \'A\' + "a\\tb\\101"; }'))
    values = [t.value for t in toks if t.kind in (T.INT, T.STRING)]
    assert values == [(31, "", True), (15, "", True), (10, "ull", False), (65, "", False), "a\tbA"]


def test_comments_interpreter_line_and_pragmas() -> None:
    toks = kinds("#!/usr/sbin/dtrace -s\n/* c */ // c++\n#pragma D option quiet\nBEGIN {}")
    assert toks[0] == ("PRAGMA", "#pragma D option quiet")
    assert toks[1] == ("PSPEC", "BEGIN")


def test_aggregations_macros_and_arrows() -> None:
    toks = kinds("BEGIN { @a[self->x] = count(); @ = sum($1 + $$2); }")
    assert ("AGG", "@a") in toks and ("AGG", "@") in toks
    assert ("MACRO", "$1") in toks and ("MACRO", "$$2") in toks
    assert ("KEYWORD", "self") in toks and ("OP", "->") in toks


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('BEGIN { x = "abc', "end-of-file encountered before matching \" in literal"),
        ('BEGIN { x = "a\nb"; }', "newline encountered in string literal"),
        ("BEGIN { } /* open", "end-of-file encountered before matching */"),
        ("BEGIN { x = 09; }", "invalid digit in octal constant: 09"),
        # dt_lex.l: `<S0>.  yyerror("syntax error near \"%c\"\n", yytext[0])` --
        # the raw first byte, so a control character is shown as itself and a
        # non-ASCII character as the first byte of its UTF-8 encoding (here in
        # surrogateescape form, written to stderr as that byte).
        ("BEGIN { x = 1 \x01 2; }", 'syntax error near "\x01"'),
        ("BEGIN { \u00e9 = 1; }", 'syntax error near "\udcc3"'),
        ("BEGIN { x\u00e9 = 1; }", 'syntax error near "\udcc3"'),
        ("BEGIN { x = \u00b2; }", 'syntax error near "\udcc2"'),
        ("BEGIN { x = \u0663; }", 'syntax error near "\udcd9"'),
        ("BEGIN { x = $a\u00e9; }", 'syntax error near "\udcc3"'),
        ("\u00e9:::x { }", 'syntax error near "\udcc3"'),
        ("BEGIN\x02 { }", 'syntax error near "\x02"'),
        ("BEGIN { x = 1; }\x7f", 'syntax error near "\x7f"'),
        ("BEGIN { x = \udcff; }", 'syntax error near "\udcff"'),
        ("#include <x.h>\nBEGIN { }", "invalid control directive: #include"),
    ],
)
def test_lexical_errors(text: str, message: str) -> None:
    with pytest.raises(DCompileError) as info:
        tokenize(Source("x.d", text))
    assert info.value.diagnostic.message == message
