"""AST -> canonical D text (the inverse of ``parser.parse``).

The canonical form is what ``tests/dlang/identity.d`` holds: one space around
binary and assignment operators, ``, `` between arguments, the fewest
parentheses that keep the tree (C precedence, ``parser.Precedence``), every
statement ended by ``;`` and bodies written ``{ s1; s2; }`` (``{ }`` when empty).
Integer constants print in decimal, or in hex when written non-decimal
(octal or hex) and non-zero; suffixes in lower case; character constants
print as their value.  Parsing the printed text gives
the same tree back, which the identity round-trip test checks.
"""

from __future__ import annotations

from collections.abc import Callable

from pcapprobe.dlang import ast
from pcapprobe.dlang.parser import BINARY_PRECEDENCE

# Binding strength, loosest first; binary operators sit between TERNARY and
# UNARY at TERNARY + their Precedence.
ASSIGN = 1
TERNARY = 2
UNARY = TERNARY + max(BINARY_PRECEDENCE.values()) + 1
POSTFIX = UNARY + 1
PRIMARY = POSTFIX + 1

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\a": "\\a",
            "\b": "\\b", "\f": "\\f", "\v": "\\v"}


def to_text(node: ast.Node) -> str:
    """Canonical D text for a program, top-level item, statement or expression."""
    if isinstance(node, ast.Program):
        return program_text(node)
    handler = _ITEMS.get(type(node))
    if handler is not None:
        return handler(node)
    return expr_text(node)


def program_text(program: ast.Program) -> str:
    """Items separated by one space; a ``#pragma`` keeps a line of its own."""
    out = ""
    for item in program.items:
        text = to_text(item)
        if isinstance(item, ast.Pragma):
            out += ("\n" if out and not out.endswith("\n") else "") + text + "\n"
        else:
            out += (" " if out and not out.endswith("\n") else "") + text
    return out


def type_text(t: ast.TypeName) -> str:
    return t.base + (" " + "*" * t.pointers if t.pointers else "")


def _declared(t: ast.TypeName, name: str) -> str:
    return f"{t.base} {'*' * t.pointers}{name}"


def _clause(node: ast.Clause) -> str:
    text = ", ".join(p.text for p in node.probes)
    if node.predicate is not None:
        text += f" /{expr_text(node.predicate)}/"
    if node.body is not None:
        text += " {" + "".join(f" {to_text(s)};" for s in node.body) + " }"
    return text


def _agg(node: ast.AggStmt) -> str:
    keys = f"[{_args(node.keys)}]" if node.keys else ""
    return f"@{node.name}{keys} = {node.func}({_args(node.args)})"


def _var_decl(node: ast.VarDecl) -> str:
    scope = "" if node.scope == "global" else node.scope + " "
    keys = "" if node.key_types is None else "[" + ", ".join(type_text(k) for k in node.key_types) + "]"
    if node.dimension is not None:
        keys = f"[{expr_text(node.dimension)}]"
    return f"{scope}{_declared(node.type, node.name)}{keys};"


def _enum(node: ast.EnumDecl) -> str:
    tag = f" {node.tag}" if node.tag else ""
    members = ", ".join(f"{n} = {v}" for n, v in zip(node.names, node.values))
    return f"enum{tag} {{ {members} }};"


def _record(node: ast.StructDecl) -> str:
    members = "".join(f" {_declared(m.type, m.name)}{f'[{expr_text(m.dimension)}]' if m.dimension else ''};"
                      for m in node.members)
    return f"{node.kind} {node.tag} {{{members} }};"


def _translator(node: ast.TranslatorDecl) -> str:
    members = "".join(f" {name} = {expr_text(value)};" for name, value, _ in node.members)
    return f"translator {type_text(node.output)} < {_declared(node.input, node.param)} > {{{members} }};"


_ITEMS: dict[type, Callable] = {
    ast.StructDecl: _record,
    ast.TranslatorDecl: _translator,
    ast.EnumDecl: _enum,
    ast.TypedefDecl: lambda n: f"typedef {_declared(n.type, n.name)};",
    ast.Clause: _clause,
    ast.Pragma: lambda n: "#pragma " + " ".join(n.words),
    ast.InlineDecl: lambda n: f"inline {_declared(n.type, n.name)}"
                              + (f"[{', '.join(_declared(t, p) for t, p in n.params)}]" if n.params is not None else "")
                              + f" = {expr_text(n.value)};",
    ast.VarDecl: _var_decl,
    ast.ExprStmt: lambda n: expr_text(n.expr),
    ast.AggStmt: _agg,
    ast.ProbeDesc: lambda n: n.text,
    ast.TypeName: type_text,
}


def _args(nodes: tuple[ast.Node, ...]) -> str:
    return ", ".join(expr_text(n) for n in nodes)


def _string(value: str) -> str:
    out = []
    for c in value:
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif c < " " or c == "\x7f":
            out.append(f"\\{ord(c):03o}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _level(node: ast.Node) -> int:
    if isinstance(node, ast.Assign):
        return ASSIGN
    if isinstance(node, ast.Ternary):
        return TERNARY
    if isinstance(node, ast.Binary):
        return TERNARY + BINARY_PRECEDENCE[node.op]
    if isinstance(node, (ast.Unary, ast.Cast, ast.Sizeof, ast.Stringof)):
        return UNARY
    if isinstance(node, ast.IncDec):
        return UNARY if node.prefix else POSTFIX
    if isinstance(node, (ast.Call, ast.Index, ast.Member)):
        return POSTFIX
    return PRIMARY


def expr_text(node: ast.Node, min_level: int = ASSIGN) -> str:
    """``node`` as an expression, parenthesized if it binds looser than
    ``min_level``."""
    text = _expr(node)
    return f"({text})" if _level(node) < min_level else text


def _expr(node: ast.Node) -> str:  # noqa: PLR0911, PLR0912 - one case per node kind
    if isinstance(node, ast.IntLit):
        digits = f"0x{node.value:x}" if node.non_decimal and node.value else str(node.value)
        return digits + node.suffix
    if isinstance(node, ast.StrLit):
        return _string(node.value)
    if isinstance(node, ast.Ident):
        return node.name
    if isinstance(node, ast.MacroArg):
        return ("$$" if node.as_string else "$") + node.name
    if isinstance(node, ast.AggName):
        return "@" + node.name
    if isinstance(node, ast.VarRef):
        return f"{node.scope}->{node.name}"
    if isinstance(node, ast.Assign):
        return f"{expr_text(node.target, UNARY)} {node.op} {expr_text(node.value, ASSIGN)}"
    if isinstance(node, ast.Ternary):
        return (f"{expr_text(node.cond, TERNARY + 1)} ? {expr_text(node.then, ASSIGN)} : "
                f"{expr_text(node.other, TERNARY)}")
    if isinstance(node, ast.Binary):
        level = _level(node)
        return f"{expr_text(node.left, level)} {node.op} {expr_text(node.right, level + 1)}"
    if isinstance(node, ast.Unary):
        operand = expr_text(node.operand, UNARY)
        # "- -x", "& &x": never glue two one-character operators into -- or &&
        gap = " " if operand[:1] == node.op and node.op in "-+&" else ""
        return node.op + gap + operand
    if isinstance(node, ast.IncDec):
        if node.prefix:
            return node.op + expr_text(node.operand, UNARY)
        return expr_text(node.operand, POSTFIX) + node.op
    if isinstance(node, ast.Cast):
        return f"({type_text(node.type)}){expr_text(node.operand, UNARY)}"
    if isinstance(node, ast.Sizeof):
        if node.type is not None:
            return f"sizeof ({type_text(node.type)})"
        return f"sizeof ({expr_text(node.operand)})"  # type: ignore[arg-type]
    if isinstance(node, ast.Stringof):
        return f"stringof({expr_text(node.operand)})"
    if isinstance(node, ast.Offsetof):
        return f"offsetof({type_text(node.type)}, {node.member})"
    if isinstance(node, ast.Xlate):
        return f"xlate<{type_text(node.type)}>({expr_text(node.operand)})"
    if isinstance(node, ast.Call):
        return f"{node.name}({_args(node.args)})"
    if isinstance(node, ast.Index):
        return f"{expr_text(node.base, POSTFIX)}[{_args(node.indexes)}]"
    if isinstance(node, ast.Member):
        return f"{expr_text(node.base, POSTFIX)}{'->' if node.arrow else '.'}{node.name}"
    raise TypeError(f"no D text for {type(node).__name__}")
