"""Compile the enabled clauses of one probe to a ``NativeProbe`` (cext/dnative.c):
a tree program the C code runs per firing without calling Python for
printf(), ``this->`` assignments and count()/sum().

A subset of D only; a clause using anything else makes the whole probe
decline (``compile_probe`` returns None) and keep its Python handler.  The
semantics are those of the code ``compile.py`` generates from the same
checked AST: every ``wrap``/``convert`` there is a "wrap" node here (see the
program format in dnative.c's opening comment), so integers are the same
64-bit patterns of values in range for their D type.
"""

from __future__ import annotations

import re
from ast import literal_eval
from typing import TYPE_CHECKING, Any

from pcapprobe._fastpath import NATIVE_MEMBERS, NativeProbe
from pcapprobe.dlang import ast
from pcapprobe.dlang import types as ty
from pcapprobe.dlang.passes.compile import AGG_ARITY, ClauseCompiler, const_wrap
from pcapprobe.dlang.passes.semantic import BUILTIN_ARRAYS, BUILTIN_VARIABLES
from pcapprobe.dlang.runtime.builtins import cut
from pcapprobe.probes import catalog

if TYPE_CHECKING:
    from pcapprobe.dlang.engine import Enabling, Program

Tree = tuple[Any, ...]

# The Python %-pattern of a BoundFormat (printf._python_spec): conversions
# have flags, a width, a precision and no length modifier.
_PATTERN = re.compile(r"%%|%([-0+ #]*)(\d*)(?:\.(\d+))?([sdxXo])")


# The native members' strings are addresses: at most an IPv6 address with an
# IPv4 tail (INET6_ADDRSTRLEN - 1 characters), never cut unless strsize is
# smaller, when the probe keeps its Python handler (which cuts).
LONGEST_MEMBER_STRING = 45


class Decline(Exception):
    """The clause uses D outside the native subset."""


def compile_probe(program: Program, probe: catalog.Probe, enablings: list[Enabling]) -> Any:
    """The NativeProbe running ``enablings`` (all of ``probe``'s), or None."""
    this_slots: dict[str, int] = {}
    try:
        clauses = tuple(
            ClauseTranslator(program, probe, enabling, this_slots).clause()
            for enabling in enablings
        )
    except Decline:
        return None
    # ST.quiet changes at run time only through setopt()
    changes = any(_calls(e.clause, "setopt") for e in program.all_enablings)
    quiet = None if changes else program.state.quiet
    return NativeProbe(probe, program.state, program.names, clauses, len(this_slots), quiet)


def _calls(node: Any, name: str) -> bool:
    """Whether ``name``() is called anywhere in the AST ``node``."""
    if isinstance(node, ast.Call) and node.name == name:
        return True
    if isinstance(node, (tuple, list)):
        return any(_calls(item, name) for item in node)
    if isinstance(node, ast.Node):
        return any(_calls(getattr(node, f), name) for f in node._fields)
    return False


def _wrap(tree: Tree, t: ty.DType) -> Tree:
    """compile.wrap: reduce to the range of ``t``."""
    if t.kind != "int":
        return tree
    return ("wrap", t.size, int(t.signed), tree)


def _convert(tree: Tree, src: ty.DType, dst: ty.DType) -> Tree:
    """compile.convert: an integer of type ``src`` as type ``dst``."""
    if src.kind in ("int", "null") and dst.kind == "int":
        if src.kind == "int" and src.size <= dst.size and (
            src.signed == dst.signed or (not src.signed and src.size < dst.size)
        ):
            return tree
        return _wrap(tree, dst)
    return tree


def _kind(t: ty.DType) -> str:
    """How a value of ``t`` becomes a Python object: "s", "i" or "u"."""
    if t.is_string:
        return "s"
    if t.kind == "int":
        return "i" if t.signed else "u"
    if t.kind == "null":
        return "u"
    raise Decline(f"value of type {t}")


class ClauseTranslator:
    """One enabling (clause x probe) as a NativeProbe clause tuple."""

    def __init__(self, program: Program, probe: catalog.Probe, enabling: Enabling,
                 this_slots: dict[str, int]) -> None:
        self.program = program
        self.probe = probe
        self.enabling = enabling
        self.source = enabling.source
        self.clause_node = enabling.clause
        # for const_eval, macro arguments and types: the same compiler state
        self.py = ClauseCompiler(program.env(enabling.source), enabling.clause, probe)
        self.sym = program.symbols
        self.this_slots = this_slots

    def clause(self) -> Tree:
        node = self.clause_node
        body = node.body or ()
        records = not body or any(ClauseCompiler.records_data(s) for s in body)
        predicate = None
        if node.predicate is not None:
            predicate, _ = self.scalar(node.predicate)
        statements = tuple(self.statement(n, s) for n, s in enumerate(body, 1))
        prefix = self.program.probe_names(self.probe, self.enabling.epid)["_PREFIX"]
        return (self.enabling.epid, predicate, int(records), prefix, statements)

    # Statements -------------------------------------------------------------

    def statement(self, action: int, node: ast.Node) -> Tree:
        if isinstance(node, ast.AggStmt):
            return self.aggregate(action, node)
        if isinstance(node, ast.ExprStmt):
            expr = node.expr
            if isinstance(expr, ast.Call) and expr.name == "printf":
                return self.printf(action, expr)
            if (isinstance(expr, ast.Assign) and isinstance(expr.target, ast.VarRef)
                    and expr.target.scope == "this"):
                return self.assign_this(action, expr)
            if (isinstance(expr, ast.Assign) and isinstance(expr.target, ast.Ident)
                    and expr.target.name in self.sym.globals):
                return self.assign_global(action, expr)
            if isinstance(expr, ast.Assign) and isinstance(expr.target, ast.Index):
                return self.assign_element(action, expr)
        raise Decline(type(node).__name__)

    def assign_this(self, action: int, node: ast.Assign) -> Tree:
        """compile.assign of ``this->name = value`` (or ``op=``)."""
        value, vt = self.expr(node.value)
        name = node.target.name  # type: ignore[attr-defined]
        t = self.sym.this_vars[name]
        slot = self.this_slot(name)
        if t.is_string and vt.is_string and node.op == "=":
            return ("sthis", action, slot, value)
        if t.kind != "int" or vt.kind not in ("int", "null"):
            raise Decline("this-> of a non-integer type")
        return ("this", action, slot, self.assigned(node.op, ("this", slot), t, value, vt))

    def assign_global(self, action: int, node: ast.Assign) -> Tree:
        """compile.assign of ``name = value`` (or ``op=``) to an integer global."""
        value, vt = self.expr(node.value)
        name = node.target.name  # type: ignore[attr-defined]
        t = self.sym.globals[name]
        if t.kind != "int" or vt.kind not in ("int", "null"):
            raise Decline("global of a non-integer type")
        value = self.assigned(node.op, ("global", name), t, value, vt)
        return ("global", action, name, int(t.signed), value)

    def assign_element(self, action: int, node: ast.Assign) -> Tree:
        """compile.assign of ``name[key] = value`` (or ``op=``), a statement,
        to an integer associative array with one key."""
        target = node.target
        assert isinstance(target, ast.Index)
        value, vt = self.expr(node.value)
        data, key, t = self.element(target)
        if vt.kind not in ("int", "null"):
            raise Decline("array element of a non-integer type")
        value = self.assigned(node.op, ("aget", data, key[0], key[1]), t, value, vt)
        return ("aset", action, data, key, int(t.signed), value)

    def element(self, node: ast.Index) -> tuple[Any, tuple[str, Tree], ty.DType]:
        """The dict, key and value type of an element of an integer global
        associative array with one key (compile.array_key)."""
        base = node.base
        if not isinstance(base, ast.Ident) or base.name == "args" or len(node.indexes) != 1:
            raise Decline("element of something other than a one-key array")
        info = self.sym.arrays.get(base.name)
        if info is None or info.bound is not None or len(info.keys) != 1 \
                or info.value.kind != "int":
            raise Decline(f"array {base.name}")
        tree, t = self.expr(node.indexes[0])
        kt = info.keys[0]
        if kt.kind == "int" and t.kind in ("int", "null"):
            key = (_kind(kt), _convert(tree, t, kt))
        elif kt.is_string and t.is_string:
            key = ("s", tree)
        else:
            raise Decline("array key")
        return self.names(f"A_{base.name}"), key, info.value

    def x_Index(self, node: ast.Index) -> tuple[Tree, ty.DType]:
        base = node.base
        if isinstance(base, ast.Ident) and base.name in BUILTIN_ARRAYS \
                and base.name not in self.sym.arrays and len(node.indexes) == 1:
            key_t, value_t, table, default = BUILTIN_ARRAYS[base.name]
            tree, t = self.expr(node.indexes[0])
            if t.kind not in ("int", "null") or not value_t.is_string:
                raise Decline("builtin array")
            return ("table", table, _convert(tree, t, key_t), ("str", default)), value_t
        data, key, t = self.element(node)
        return ("aget", data, key[0], key[1]), t

    def assigned(self, op: str, current: Tree, t: ty.DType, value: Tree, vt: ty.DType) -> Tree:
        """The value an integer variable of type ``t`` holds after ``op``
        (``=`` or a compound assignment) with ``value``."""
        if op != "=":
            rt = ty.arithmetic(t, vt if vt.kind == "int" else ty.LONG)
            a, b = _convert(current, t, rt), _convert(value, vt, rt)
            value, vt = _wrap(self.combined(op[:-1], rt, a, b), t), t
        return _convert(value, vt, t)

    @staticmethod
    def combined(op: str, rt: ty.DType, a: Tree, b: Tree) -> Tree:
        """``(a op b)`` of a compound assignment, operands already of type ``rt``."""
        if op in ("/", "%", ">>"):
            return ({"/": "div", "%": "mod", ">>": "shr"}[op], int(rt.signed), a, b)
        return ({"+": "add", "-": "sub", "*": "mul", "&": "and", "|": "or", "^": "xor",
                 "<<": "shl"}[op], a, b)

    def this_slot(self, name: str) -> int:
        return self.this_slots.setdefault(name, len(self.this_slots))

    def aggregate(self, action: int, node: ast.AggStmt) -> Tree:
        info = self.sym.aggs[node.name]
        if node.func not in AGG_ARITY:
            raise Decline(node.func)
        keys = []
        for key, declared in zip(node.keys, info.keys):
            tree, t = self.expr(key)
            if declared.kind == "int":
                tree = _convert(tree, t, declared)
            keys.append((_kind(t if declared.kind != "int" else declared), tree))
        if node.func == "count":
            return ("count", action, self.names(f"AD_{info.index}"), tuple(keys), self.names(f"AA_{info.index}"))
        value, vt = self.expr(node.args[0])
        value_pair = (_kind(vt), value)
        if node.func == "sum":
            return ("sum", action, self.names(f"AD_{info.index}"), tuple(keys), value_pair,
                    self.names(f"AA_{info.index}"))
        incr_at = {"quantize": 1, "lquantize": 4, "llquantize": 5}.get(node.func)
        incr_pair: tuple[str, Tree] = ("i", ("int", 1))
        if incr_at is not None and len(node.args) > incr_at:
            incr, it = self.expr(node.args[incr_at])
            incr_pair = (_kind(it), incr)
        return ("agg", action, self.names(f"AU_{info.index}"), tuple(keys), value_pair, incr_pair)

    def names(self, name: str) -> Any:
        if name not in self.program.names:
            raise Decline(name)
        return self.program.names[name]

    def printf(self, action: int, call: ast.Call) -> Tree:
        fmt_node = call.args[0]
        assert isinstance(fmt_node, ast.StrLit)
        values = [self.expr(a) for a in call.args[1:]]
        types = [t for _, t in values]
        bound = self.program.make_format(self.source, fmt_node.value, types, "printf", fmt_node)
        if bound.python is None:
            raise Decline("printf conversion without a Python pattern")
        if bound.static_size() > bound.limit:
            raise Decline("printf widths beyond bufsize: the record drops")
        pattern, kinds = bound.python
        pieces: list[Any] = []
        position = 0
        args = iter(zip(values, kinds))
        for match in _PATTERN.finditer(pattern):
            if match.start() > position:
                pieces.append(self.literal(pattern[position:match.start()]))
            position = match.end()
            if match.group(0) == "%%":
                pieces.append("%")
                continue
            flags, width, precision, conv = match.groups()
            (tree, t), (kind, size) = next(args)
            if kind == "str":
                if not t.is_string:
                    raise Decline("%s of a non-string")
                flags = "-" if "-" in flags else ""  # Python's %s ignores the others
            else:
                if t.kind not in ("int", "null"):
                    raise Decline("integer conversion of a non-integer")
                # compile.reduced: wrapped to the conversion's size and sign
                reduced = ty.integer("int", size, kind == "signed")
                if tree[0] == "int":
                    tree = ("int", const_wrap(tree[1], reduced))
                else:
                    tree = _wrap(tree, reduced)
                if kind == "unsigned" and conv == "d":
                    conv = "u"
            prec = int(precision) if precision else -1
            pieces.append(("conv", flags, int(width or 0), prec, conv, tree))
        if position < len(pattern):
            pieces.append(self.literal(pattern[position:]))
        return ("printf", action, tuple(pieces))

    @staticmethod
    def literal(text: str) -> str:
        if "%" in text:  # a conversion _PATTERN does not know
            raise Decline("printf conversion")
        return text

    # Expressions ------------------------------------------------------------

    def scalar(self, node: ast.Node) -> tuple[Tree, ty.DType]:
        """An expression in a boolean context (integer or string truth)."""
        tree, t = self.expr(node)
        if t.kind not in ("int", "null", "string"):
            raise Decline(f"truth of {t}")
        return tree, t

    def expr(self, node: ast.Node) -> tuple[Tree, ty.DType]:
        method = getattr(self, "x_" + type(node).__name__, None)
        if method is None:
            raise Decline(type(node).__name__)
        return method(node)  # type: ignore[no-any-return]

    def x_IntLit(self, node: ast.IntLit) -> tuple[Tree, ty.DType]:
        t = ty.constant_type(node.value, node.suffix, node.non_decimal)
        return ("int", const_wrap(node.value, t)), t

    def x_StrLit(self, node: ast.StrLit) -> tuple[Tree, ty.DType]:
        return ("str", cut(node.value, self.py.env.strsize)), ty.STRING

    def x_MacroArg(self, node: ast.MacroArg) -> tuple[Tree, ty.DType]:
        code, t = self.py.x_MacroArg(node)
        if t.is_string and node.as_string:
            return ("str", literal_eval(code)), t  # a repr() of the str
        try:
            return ("int", int(code)), t
        except ValueError:
            raise Decline("macro argument naming a variable") from None

    def x_Ident(self, node: ast.Ident) -> tuple[Tree, ty.DType]:
        name = node.name
        inline = self.sym.inlines.get(name)
        if inline is not None:
            if inline.node is not None:
                tree, t = self.expr(inline.node)
                if inline.type.kind == "int" and t.kind == "int":
                    return _convert(tree, t, inline.type), inline.type
                return tree, inline.type
            if isinstance(inline.value, str):
                return ("str", inline.value), inline.type
            if isinstance(inline.value, int):
                return ("int", inline.value), inline.type
            raise Decline(f"inline {name}")
        if name in BUILTIN_VARIABLES:
            return self.builtin(name), BUILTIN_VARIABLES[name]
        t = self.sym.globals.get(name)
        if t is not None and t.kind == "int":
            return ("global", name), t
        raise Decline(f"identifier {name}")

    def builtin(self, name: str) -> Tree:
        probe = self.probe
        if name == "walltimestamp":
            return ("walltimestamp",)
        if name in ("timestamp", "vtimestamp"):
            return ("timestamp",)
        if name == "execname" and probe.provider == "io":
            raise Decline("execname of an io firing (its host)")
        strings = {"probeprov": probe.provider, "probemod": probe.module,
                   "probefunc": probe.function, "probename": probe.name,
                   "execname": "sched", "zonename": "global"}
        if name in strings:
            return ("str", cut(strings[name], self.py.env.strsize))
        if name == "epid":
            return ("int", self.enabling.epid)
        if name == "id":
            return ("int", self.program.table.ids[probe])
        if name.startswith("arg"):
            raise Decline(name)
        return ("int", 0)  # cpu, pid, uid...: as compile.py's builtin()

    def x_VarRef(self, node: ast.VarRef) -> tuple[Tree, ty.DType]:
        if node.scope != "this":
            raise Decline("self->")
        t = self.sym.this_vars.setdefault(node.name, ty.INT)
        if t.is_string:
            return ("sthis", self.this_slot(node.name)), t
        if t.kind != "int":
            raise Decline("this-> of a non-integer type")
        return ("this", self.this_slot(node.name)), t

    def x_Member(self, node: ast.Member) -> tuple[Tree, ty.DType]:
        base = node.base
        if not (node.arrow and isinstance(base, ast.Index) and isinstance(base.base, ast.Ident)
                and base.base.name == "args" and len(base.indexes) == 1):
            raise Decline("member of something other than args[N]")
        n = self.py.const_eval(base.indexes[0])
        assert n is not None
        struct = ty.from_ctype(self.probe.args[n]).struct
        if struct is None or node.name not in NATIVE_MEMBERS.get(struct, ()):
            raise Decline(f"member {node.name}")
        member = catalog.STRUCTS[struct].member(node.name)
        assert member is not None
        t = ty.from_ctype(member.ctype)
        if not (t.is_string or (t.kind == "int" and t.size in (1, 2, 4, 8))):
            raise Decline(f"member {node.name} of type {t}")
        if t.is_string and self.py.env.strsize < LONGEST_MEMBER_STRING:
            raise Decline(f"member {node.name} may be longer than strsize: compile.py cuts it")
        return ("member", n, struct, node.name, _kind(t)), t

    def x_Unary(self, node: ast.Unary) -> tuple[Tree, ty.DType]:
        op = node.op
        if op == "!":
            tree, _ = self.scalar(node.operand)
            return ("not", tree), ty.INT
        tree, t = self.expr(node.operand)
        if op not in "+-~" or t.kind != "int":
            raise Decline(f"unary {op}")
        rt = ty.promote(t)
        if op == "+":
            return tree, rt
        return _wrap(("neg" if op == "-" else "inv", tree), rt), rt

    def x_Cast(self, node: ast.Cast) -> tuple[Tree, ty.DType]:
        target = self.py.sym.named(node.type.base, node.type.pointers)
        tree, t = self.expr(node.operand)
        if target is None or target.kind != "int" or t.kind not in ("int", "null"):
            raise Decline("cast")
        return _convert(tree, t, target), target

    def x_Sizeof(self, node: ast.Sizeof) -> tuple[Tree, ty.DType]:
        code, t = self.py.x_Sizeof(node)
        return ("int", int(code)), t

    def x_Ternary(self, node: ast.Ternary) -> tuple[Tree, ty.DType]:
        cond, _ = self.scalar(node.cond)
        a, at = self.expr(node.then)
        b, bt = self.expr(node.other)
        if at.kind == "int" and bt.kind == "int":
            rt = ty.arithmetic(at, bt)
            return ("cond", cond, _convert(a, at, rt), _convert(b, bt, rt)), rt
        if at.is_string and bt.is_string:
            return ("cond", cond, a, b), at
        raise Decline("ternary arms")

    def x_Binary(self, node: ast.Binary) -> tuple[Tree, ty.DType]:
        op = node.op
        if op in ("&&", "||", "^^"):
            a, _ = self.scalar(node.left)
            b, _ = self.scalar(node.right)
            return ({"&&": "land", "||": "lor", "^^": "lxor"}[op], a, b), ty.INT
        a, at = self.expr(node.left)
        b, bt = self.expr(node.right)
        if op in ("==", "!=", "<", "<=", ">", ">="):
            return self.comparison(op, a, at, b, bt), ty.INT
        if at.kind not in ("int", "null") or bt.kind not in ("int", "null"):
            raise Decline(f"operator {op}")
        if op in ("<<", ">>"):
            rt = ty.promote(at if at.kind == "int" else ty.INT)
            if op == "<<":
                return _wrap(("shl", a, b), rt), rt
            # Python's >> of the operand's value: arithmetic when it may be negative
            return ("shr", int(at.kind == "int" and at.signed), a, b), rt
        rt = ty.arithmetic(at if at.kind == "int" else ty.LONG, bt if bt.kind == "int" else ty.LONG)
        a, b = _convert(a, at, rt), _convert(b, bt, rt)
        if op == "/":  # DIV and MOD fault on a zero divisor as the Python code does
            return _wrap(("div", int(rt.signed), a, b), rt), rt
        if op == "%":
            return ("mod", int(rt.signed), a, b), rt
        name = {"+": "add", "-": "sub", "*": "mul", "&": "and", "|": "or", "^": "xor"}[op]
        if op in ("&", "|", "^"):
            return (name, a, b), rt
        return _wrap((name, a, b), rt), rt

    def comparison(self, op: str, a: Tree, at: ty.DType, b: Tree, bt: ty.DType) -> Tree:
        """compile.comparison for integers and strings."""
        if at.kind == "int" and bt.kind == "int":
            rt = ty.arithmetic(at, bt)
            a = a if at.signed == rt.signed else _convert(a, at, rt)
            b = b if bt.signed == rt.signed else _convert(b, bt, rt)
            return ("cmp", op, int(rt.signed), a, b)
        if at.is_string and bt.is_string:
            return ("scmp", op, a, b)
        raise Decline(f"comparison of {at} and {bt}")
