"""The D syntax tree: frozen, slotted node classes, each with its ``Span``.

Grouped as libdtrace's grammar groups them (dt_grammar.y): top-level items
(clauses, declarations, pragmas), statements, and expressions.
"""

from __future__ import annotations

from dataclasses import dataclass

from pcapprobe.dlang.source import Source, Span


@dataclass(frozen=True, slots=True)
class Node:
    span: Span


# Expressions -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntLit(Node):
    value: int
    suffix: str = ""
    non_decimal: bool = False  # hex and octal constants may take unsigned types


@dataclass(frozen=True, slots=True)
class StrLit(Node):
    value: str


@dataclass(frozen=True, slots=True)
class Ident(Node):
    name: str


@dataclass(frozen=True, slots=True)
class MacroArg(Node):
    name: str  # "1".."9", "target", ...
    as_string: bool  # $$1


@dataclass(frozen=True, slots=True)
class AggName(Node):
    name: str  # without '@'; "" for the anonymous '@'


@dataclass(frozen=True, slots=True)
class VarRef(Node):
    scope: str  # "self" or "this"
    name: str


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str  # - + ! ~ * &
    operand: Node


@dataclass(frozen=True, slots=True)
class IncDec(Node):
    op: str  # ++ or --
    prefix: bool
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Assign(Node):
    op: str  # = += -= ...
    target: Node
    value: Node


@dataclass(frozen=True, slots=True)
class Ternary(Node):
    cond: Node
    then: Node
    other: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Index(Node):
    base: Node
    indexes: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Member(Node):
    base: Node
    name: str
    arrow: bool


@dataclass(frozen=True, slots=True)
class TypeName(Node):
    base: str
    pointers: int = 0


@dataclass(frozen=True, slots=True)
class Cast(Node):
    type: TypeName
    operand: Node


@dataclass(frozen=True, slots=True)
class Sizeof(Node):
    type: TypeName | None
    operand: Node | None


@dataclass(frozen=True, slots=True)
class Stringof(Node):
    operand: Node


# Statements ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExprStmt(Node):
    expr: Node


@dataclass(frozen=True, slots=True)
class AggStmt(Node):
    name: str
    keys: tuple[Node, ...]
    func: str
    args: tuple[Node, ...]
    func_span: Span


# Top level -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProbeDesc(Node):
    text: str


@dataclass(frozen=True, slots=True)
class Clause(Node):
    probes: tuple[ProbeDesc, ...]
    predicate: Node | None
    body: tuple[Node, ...] | None  # None: no action block at all


@dataclass(frozen=True, slots=True)
class Pragma(Node):
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InlineDecl(Node):
    type: TypeName
    name: str
    value: Node


@dataclass(frozen=True, slots=True)
class VarDecl(Node):
    type: TypeName
    scope: str  # "global", "self" or "this"
    name: str
    key_types: tuple[TypeName, ...] | None  # associative array key types


@dataclass(frozen=True, slots=True)
class Program(Node):
    source: Source
    items: tuple[Node, ...]
