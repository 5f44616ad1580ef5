"""The D syntax tree: frozen, slotted node classes, each with its ``Span``.

Grouped as libdtrace's grammar groups them (dt_grammar.y): top-level items
(clauses, declarations, pragmas), statements, and expressions.

A node class lists its fields as annotations, after the ``span`` every node
has (a default makes a field optional).  Nodes are immutable and compare and
hash by value.  Not dataclasses: generating their methods for 27 classes was
a tenth of pcapprobe's start-up; ``_NodeType`` builds the slots once and the
methods are shared.
"""

from __future__ import annotations

from typing import Any

from pcapprobe.dlang.source import Source, Span


class _NodeType(type):
    """Turns a node class's annotations (but the class-level ``_`` ones) into
    ``__slots__``, ``_fields`` (its own after its base's) and ``_defaults``."""

    def __new__(mcs, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> _NodeType:
        own = tuple(f for f in ns.get("__annotations__", {}) if not f.startswith("_"))
        defaults = {f: ns.pop(f) for f in own if f in ns}
        ns["__slots__"] = own
        cls = super().__new__(mcs, name, bases, ns)
        cls._fields = getattr(cls, "_fields", ()) + own
        cls._defaults = {**getattr(cls, "_defaults", {}), **defaults}
        return cls


class Node(metaclass=_NodeType):
    span: Span

    _fields: tuple[str, ...]
    _defaults: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = self._fields
        if len(args) == len(fields) and not kwargs:  # the parser's way: every field, in order
            for name, value in zip(fields, args):
                object.__setattr__(self, name, value)
            return
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__} takes {len(fields)} fields, got {len(args)}")
        for name, value in zip(fields, args):
            object.__setattr__(self, name, value)
        for name in fields[len(args):]:
            if name in kwargs:
                value = kwargs.pop(name)
            elif name in self._defaults:
                value = self._defaults[name]
            else:
                raise TypeError(f"{type(self).__name__} needs its field {name!r}")
            object.__setattr__(self, name, value)
        if kwargs:
            raise TypeError(f"{type(self).__name__} has no field {next(iter(kwargs))!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: nodes are immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: nodes are immutable")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f) for f in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self),) + self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__qualname__}({fields})"


# Expressions -----------------------------------------------------------------


class IntLit(Node):
    value: int
    suffix: str = ""
    non_decimal: bool = False  # hex and octal constants may take unsigned types


class StrLit(Node):
    value: str


class Ident(Node):
    name: str


class MacroArg(Node):
    name: str  # "1".."9", "target", ...
    as_string: bool  # $$1


class AggName(Node):
    name: str  # without '@'; "" for the anonymous '@'


class VarRef(Node):
    scope: str  # "self" or "this"
    name: str


class Unary(Node):
    op: str  # - + ! ~ * &
    operand: Node


class IncDec(Node):
    op: str  # ++ or --
    prefix: bool
    operand: Node


class Binary(Node):
    op: str
    left: Node
    right: Node


class Assign(Node):
    op: str  # = += -= ...
    target: Node
    value: Node


class Ternary(Node):
    cond: Node
    then: Node
    other: Node


class Call(Node):
    name: str
    args: tuple[Node, ...]


class Index(Node):
    base: Node
    indexes: tuple[Node, ...]


class Member(Node):
    base: Node
    name: str
    arrow: bool


class TypeName(Node):
    base: str
    pointers: int = 0


class Cast(Node):
    type: TypeName
    operand: Node


class Sizeof(Node):
    type: TypeName | None
    operand: Node | None


class Stringof(Node):
    operand: Node


class Offsetof(Node):
    type: TypeName
    member: str


class Xlate(Node):
    """xlate < TYPE > ( operand ): the translator from the operand's type."""

    type: TypeName
    operand: Node


# Statements ------------------------------------------------------------------


class ExprStmt(Node):
    expr: Node


class AggStmt(Node):
    name: str
    keys: tuple[Node, ...]
    func: str
    args: tuple[Node, ...]
    func_span: Span


# Top level -------------------------------------------------------------------


class ProbeDesc(Node):
    text: str


class Clause(Node):
    probes: tuple[ProbeDesc, ...]
    predicate: Node | None
    body: tuple[Node, ...] | None  # None: no action block at all


class Pragma(Node):
    words: tuple[str, ...]


class InlineDecl(Node):
    type: TypeName
    name: str
    value: Node
    params: tuple[tuple[TypeName, str], ...] | None = None  # inline int f[int x] = x + 1;


class VarDecl(Node):
    type: TypeName
    scope: str  # "global", "self" or "this"
    name: str
    key_types: tuple[TypeName, ...] | None  # associative array key types
    dimension: Node | None = None  # int a[5]: a scalar array's element count


class EnumDecl(Node):
    """enum [tag] { NAME [= constant], ... }: its enumerators' values, each
    reported at the token that follows it (where dt_grammar.y reduces it)."""

    tag: str
    names: tuple[str, ...]
    values: tuple[int, ...]
    spans: tuple[Span, ...]


class MemberDecl(Node):
    type: TypeName
    name: str
    dimension: Node | None = None  # char name[16]


class StructDecl(Node):
    """struct|union [tag] { TYPE NAME [N]; ... }"""

    kind: str  # "struct" or "union"
    tag: str
    members: tuple[MemberDecl, ...]


class TranslatorDecl(Node):
    """translator OUT < IN NAME > { member = expr; ... };"""

    output: TypeName
    input: TypeName
    param: str
    members: tuple[tuple[str, Node, Span], ...]


class TypedefDecl(Node):
    """typedef TYPE NAME; (TYPE may be an enum defined in place)."""

    type: TypeName
    name: str


class Program(Node):
    source: Source
    items: tuple[Node, ...]
