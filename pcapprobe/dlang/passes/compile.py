"""Type-check one clause against its probes' argument types and generate a
Python function for it (compiled once, run per firing; never a tree walk).

The generated function is ``fire(ts, args, thread, T=None)``.  Expressions
become Python expressions with D's semantics spelled out: integer results
are wrapped to their C type (ISO C 6.3.1.8 conversions, two's complement),
division truncates and faults on zero, associative-array elements read as
zero when absent and are deleted when zero is stored.  Type errors are
reported with libdtrace's wording (dt_parser.c ``dt_node_op1/op2``).
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field
from typing import Any, Callable

from pcapprobe.dlang import ast
from pcapprobe.dlang import options as options_lib
from pcapprobe.dlang import types as ty
from pcapprobe.dlang.diagnostics import (
    D_ADDROF_LVAL,
    D_ADDROF_VAR,
    D_AGG_FUNC,
    D_AGG_NULL,
    D_AGG_REDEF,
    D_AGG_SCALAR,
    D_ARGS_IDX,
    D_ARGS_TYPE,
    D_ARR_BADREF,
    D_CAST_INVAL,
    D_DECL_TYPE,
    D_IDENT_UNDEF,
    D_LLQUANT_FACTOREVEN,
    D_LLQUANT_FACTORNSTEPS,
    D_LLQUANT_FACTORSMALL,
    D_LLQUANT_MAGRANGE,
    D_LLQUANT_MAGTOOBIG,
    D_LQUANT_BASETYPE,
    D_LQUANT_BASEVAL,
    D_LQUANT_LIMTYPE,
    D_LQUANT_LIMVAL,
    D_LQUANT_MATCHBASE,
    D_LQUANT_MATCHLIM,
    D_LQUANT_MATCHSTEP,
    D_LQUANT_MISMATCH,
    D_LQUANT_STEPLARGE,
    D_LQUANT_STEPSMALL,
    D_LQUANT_STEPTYPE,
    D_LQUANT_STEPVAL,
    D_MACRO_UNDEF,
    D_OFFSETOF_TYPE,
    D_OP_ACT,
    D_OP_ARITH,
    D_OP_INCOMPAT,
    D_OP_INT,
    D_OP_LVAL,
    D_OP_PTR,
    D_OP_SCALAR,
    D_OP_SOU,
    D_PRED_SCALAR,
    D_PRINTA_AGGKEY,
    D_PRINTA_AGGPROTO,
    D_PROTO_ARG,
    D_PROTO_LEN,
    D_TYPE_MEMBER,
    D_UNKNOWN,
    D_XLATE_NOCONV,
    D_XLATE_NONE,
    DCompileError,
    error,
)
from pcapprobe.dlang.passes import speculation
from pcapprobe.dlang.runtime import builtins
from pcapprobe.dlang.passes.semantic import (
    BUILTIN_ARRAYS,
    BUILTIN_VARIABLES,
    AggInfo,
    ArrayInfo,
    Inline,
    Symbols,
    Translator,
)
from pcapprobe.dlang.runtime import context
from pcapprobe.dlang.source import Source
from pcapprobe.probes import catalog

_U64 = 0xFFFFFFFFFFFFFFFF
# llquantize()'s parameters: (tag stem, dt_cc.c's name), arguments #1-#4.
_LLQUANT_ARGS = (("FACTOR", "factor"), ("LOW", "low magnitude"), ("HIGH", "high magnitude"),
                 ("NSTEP", "linear steps per magnitude"))
_MASK = {1: 0xFF, 2: 0xFFFF, 4: 0xFFFFFFFF, 8: 0xFFFFFFFFFFFFFFFF}

AGG_ARITY: dict[str, tuple[int, int]] = {
    "count": (0, 0),
    "sum": (1, 1),
    "avg": (1, 1),
    "min": (1, 1),
    "max": (1, 1),
    "stddev": (1, 1),
    "quantize": (1, 2),
    "lquantize": (3, 5),
    "llquantize": (5, 6),
}

# Subroutines: name -> (argument kinds, minimum count, return type, runtime name).
# Kinds: "s" string, "i" integer, "a" address (integer, pointer or bytes).
SUBROUTINES: dict[str, tuple[str, int, ty.DType, str]] = {
    "strlen": ("s", 1, ty.SIZE_T, "strlen"),
    "strjoin": ("ss", 2, ty.STRING, "strjoin"),
    "substr": ("sii", 2, ty.STRING, "substr"),
    "strstr": ("ss", 2, ty.STRING, "strstr"),
    "strchr": ("si", 2, ty.STRING, "strchr"),
    "strrchr": ("si", 2, ty.STRING, "strrchr"),
    "index": ("ssi", 2, ty.INT, "index"),
    "rindex": ("ssi", 2, ty.INT, "rindex"),
    "strtok": ("ss", 2, ty.STRING, "strtok"),
    "lltostr": ("ii", 1, ty.STRING, "lltostr"),
    "strtoll": ("si", 1, ty.integer("long long", 8, True), "strtoll"),
    "toupper": ("s", 1, ty.STRING, "toupper"),
    "tolower": ("s", 1, ty.STRING, "tolower"),
    "basename": ("s", 1, ty.STRING, "basename"),
    "dirname": ("s", 1, ty.STRING, "dirname"),
    "cleanpath": ("s", 1, ty.STRING, "cleanpath"),
    "inet_ntoa": ("a", 1, ty.STRING, "inet_ntoa"),
    "inet_ntoa6": ("a", 1, ty.STRING, "inet_ntoa6"),
    "inet_ntop": ("ia", 2, ty.STRING, "inet_ntop"),
    "ntohs": ("i", 1, ty.integer("uint16_t", 2, False), "ntohs"),
    "htons": ("i", 1, ty.integer("uint16_t", 2, False), "htons"),
    "ntohl": ("i", 1, ty.integer("uint32_t", 4, False), "ntohl"),
    "htonl": ("i", 1, ty.integer("uint32_t", 4, False), "htonl"),
    "ntohll": ("i", 1, ty.UINT64, "ntohll"),
    "htonll": ("i", 1, ty.UINT64, "htonll"),
    "rand": ("", 0, ty.INT, "rand"),
    "speculation": ("", 0, ty.INT, "speculation"),
}

# Actions: statements that record data or act on aggregations.
DATA_ACTIONS = frozenset(
    "printf printa trace tracemem exit stack ustack jstack printm".split()
)
AGG_ACTIONS = frozenset("normalize denormalize trunc clear".split())
OTHER_ACTIONS = frozenset("setopt speculate commit discard".split())
# Destructive actions (dtrace -w): they compile, and the run refuses them.
DESTRUCTIVE_ACTIONS = frozenset("system raise stop panic breakpoint chill copyout copyoutstr".split())
ACTIONS = DATA_ACTIONS | AGG_ACTIONS | OTHER_ACTIONS | DESTRUCTIVE_ACTIONS
# (fewest, most) arguments of the actions whose count is fixed
ACTION_ARITY: dict[str, tuple[int, int]] = {
    "trace": (1, 1), "exit": (1, 1), "tracemem": (2, 3), "setopt": (1, 2), "speculate": (1, 1),
    "commit": (1, 1), "discard": (1, 1), "normalize": (2, 2), "denormalize": (1, 1), "clear": (1, 1),
    "trunc": (1, 2), "printf": (1, 1 << 16), "printa": (1, 1 << 16),
}


# Generated expressions nested deeper than this (in parentheses) are spilled
# into a temporary; Python's tokenizer stops at 200 levels.
SPILL_DEPTH = 120


def nesting(code: str) -> int:
    """The deepest parenthesis nesting of generated code (an estimate when a
    string literal holds parentheses: it only decides when to spill)."""
    depth = deepest = 0
    for c in code:
        if c in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in ")]}":
            depth -= 1
    return deepest


def mentions(node: ast.Node, name: str) -> bool:
    """Whether an expression reads the plain identifier ``name`` (a walk
    without recursion: long expressions are deep trees)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Ident) and current.name == name:
            return True
        stack.extend(_children(current))
    return False


def _children(node: ast.Node) -> list[ast.Node]:
    found: list[ast.Node] = []
    for field_name in node._fields:
        value = getattr(node, field_name)
        if isinstance(value, ast.Node):
            found.append(value)
        elif isinstance(value, tuple):
            found.extend(v for v in value if isinstance(v, ast.Node))
    return found


def wrap(code: str, t: ty.DType) -> str:
    """Code that reduces an integer to the range of ``t`` (two's complement)."""
    if t.kind not in ("int",):
        return code
    mask = _MASK[t.size]
    if not t.signed:
        return f"(({code}) & {mask})"
    half = (mask + 1) >> 1
    return f"(((({code}) + {half}) & {mask}) - {half})"


def convert(code: str, src: ty.DType, dst: ty.DType) -> str:
    """Convert an integer value of type ``src`` to type ``dst``."""
    if src.kind in ("int", "null") and dst.kind == "int":
        if src.kind == "int" and src.size <= dst.size and (src.signed == dst.signed or (not src.signed and src.size < dst.size)):
            return code
        return wrap(code, dst)
    return code


def member_code(code: str, name: str) -> str:
    """Code reading member ``name`` of ``code``: a member named like a Python
    keyword (RENAME3args ``from``) cannot follow a dot in Python."""
    if keyword.iskeyword(name):
        return f"getattr({code}, {name!r})"
    return f"{code}.{name}"


def const_wrap(value: int, t: ty.DType) -> int:
    mask = _MASK.get(t.size, _MASK[8])
    value &= mask
    if t.signed and value > mask >> 1:
        value -= mask + 1
    return value


@dataclass(slots=True)
class Env:
    """What every clause compilation shares: symbols, options, the runtime."""

    source: Source
    symbols: Symbols
    macro_args: list[str]
    options: dict[str, Any]
    names: dict[str, Any]  # the generated code's shared globals
    make_format: Callable[[str, list[ty.DType], str, ast.Node], Any]
    make_aggregation: Callable[[AggInfo], Any]
    counter: list[int] = field(default_factory=lambda: [0])
    destructive: list[str] = field(default_factory=list)  # destructive actions used
    json: bool = False  # --format json: printf and trace write jsonfmt records
    strsize: int = options_lib.DEFAULTS["strsize"]  # strings are cut to this many bytes

    def fresh(self, prefix: str) -> str:
        self.counter[0] += 1
        return f"{prefix}{self.counter[0]}"

    def constant(self, prefix: str, value: Any) -> str:
        name = self.fresh(prefix)
        self.names[name] = value
        return name

    def fail(self, code: str, message: str, node: ast.Node) -> DCompileError:
        err = error(code, message, self.source, node.span)
        err.errtags = bool(self.options.get("errtags"))
        return err


@dataclass(slots=True)
class ClauseCode:
    """The generated source of one clause for one argument signature."""

    text: str
    uses_this: bool
    records: bool
    # per args[] index, the top-level members the clause reads through
    # ``args[N]->member`` (None: the argument is used whole, so any member)
    members: dict[int, frozenset[str] | None] = field(default_factory=dict)


class ClauseCompiler:
    """Generates the Python function for one clause."""

    def __init__(self, env: Env, clause: ast.Clause, probe: catalog.Probe) -> None:
        self.env = env
        self.sym = env.symbols
        # a translator's parameter while its members compile: name -> (code, type)
        self.bindings: dict[str, tuple[str, ty.DType]] = {}
        self.clause = clause
        self.probe = probe
        self.arg_types = tuple(ty.from_ctype(c) for c in probe.args)
        self.lines: list[str] = []
        self.indent = 2
        self.uses_this = False
        self.temps = 0
        self.members: dict[int, set[str] | None] = {}
        self.member_base = False  # args_index() is compiling the base of ``->``

    # Emission -----------------------------------------------------------

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.indent + line)

    def temp(self) -> str:
        self.temps += 1
        return f"_t{self.temps}"

    def fail(self, code: str, message: str, node: ast.Node) -> DCompileError:
        return self.env.fail(code, message, node)

    # Clause ---------------------------------------------------------------

    def compile(self) -> ClauseCode:
        body = self.clause.body or ()
        speculation.check_order(body, ACTIONS, self.fail)
        records = not body or any(self.records_data(s) for s in body)
        # dt_cook_clause cooks the actions before the predicate, so that an
        # action may declare what the predicate reads (/x == 0/ { x++; }); when
        # the actions fail on an unknown identifier, the predicate goes first
        # (/i++ < 10/ { trace(i); }), and its error then stands.
        predicate = self.clause.predicate
        try:
            actions = self.compile_lines(lambda: self.actions(body, records))
        except DCompileError as exc:
            if predicate is None or exc.diagnostic.code != D_IDENT_UNDEF:
                raise
            tested = self.compile_lines(lambda: self.predicate(predicate))
            actions = self.compile_lines(lambda: self.actions(body, records))
        else:
            tested = self.compile_lines(lambda: self.predicate(predicate)) if predicate is not None else []
        self.lines = tested + actions
        head = ["def fire(ts, args, thread, T=None):"]
        if self.uses_this:
            head.append("    if T is None: T = {}")
        head.append("    try:")
        if len(self.lines) == 0:
            self.emit("pass")
        tail = [
            "    except FAULTS as e:",
            "        ST.fault(e, _EPID, _a, _PROBE, ts)",
        ]
        text = "\n".join(head + self.lines + tail) + "\n"
        members = {n: None if names is None else frozenset(names) for n, names in self.members.items()}
        return ClauseCode(text, self.uses_this, records, members)

    def compile_lines(self, generate: Callable[[], None]) -> list[str]:
        """The lines ``generate`` emits, kept apart from any emitted before."""
        saved, self.lines = self.lines, []
        try:
            generate()
            return self.lines
        finally:
            self.lines = saved

    def predicate(self, predicate: ast.Node) -> None:
        self.emit("_a = 0")
        code, t = self.expr(predicate)
        if not self.is_scalar(t):
            raise self.fail(D_PRED_SCALAR, "predicate result must be of scalar type", predicate)
        self.emit(f"if not ({code}):")
        self.emit("    return")

    def actions(self, body: tuple[ast.Node, ...], records: bool) -> None:
        if records:
            self.emit("w = W")
            speculates = any(self.is_call(s, "speculate") for s in body)
            if not speculates:
                self.emit("if not ST.quiet: ST.record(w, _PREFIX)")
        for number, statement in enumerate(body, 1):
            self.emit(f"_a = {number}")
            self.statement(statement)
            if records and self.is_call(statement, "speculate"):
                self.emit("if not ST.quiet: ST.record(w, _PREFIX)")
        if records:
            self.emit("if not ST.quiet: w('\\n')")

    @staticmethod
    def is_call(statement: ast.Node, name: str) -> bool:
        return (
            isinstance(statement, ast.ExprStmt)
            and isinstance(statement.expr, ast.Call)
            and statement.expr.name == name
        )

    @staticmethod
    def records_data(statement: ast.Node) -> bool:
        """Whether a statement stores data: dtrace_ecb_resize gives a clause
        whose actions all store nothing no record, so non-quiet dtrace prints
        no line for it.  An expression statement (x = 1, i++) is a DIFEXPR of
        void type (dt_compile_exp); aggregations store elsewhere."""
        if not isinstance(statement, ast.ExprStmt) or not isinstance(statement.expr, ast.Call):
            return False
        name = statement.expr.name
        return name in ACTIONS and name not in AGG_ACTIONS and name != "setopt"

    # Statements --------------------------------------------------------------

    def statement(self, node: ast.Node) -> None:
        if isinstance(node, ast.AggStmt):
            self.aggregate(node)
            return
        assert isinstance(node, ast.ExprStmt)
        expr = node.expr
        if isinstance(expr, ast.Call) and expr.name in ACTIONS:
            self.action(expr)
        elif isinstance(expr, ast.Assign):
            self.assign(expr, statement=True)
        else:
            code, _ = self.expr(expr)
            self.emit(code)

    def aggregate(self, node: ast.AggStmt) -> None:
        if node.func not in AGG_ARITY:
            if node.func in SUBROUTINES or node.func in ACTIONS:
                raise self.fail(D_AGG_FUNC, f"@{node.name} must be assigned the result of an aggregating function", node)
            raise self.fail(D_IDENT_UNDEF, f"failed to resolve {node.func}: Unknown function", node)
        low, high = AGG_ARITY[node.func]
        if not low <= len(node.args) <= high:
            raise self.fail(D_PROTO_LEN, self.arity_message(node.func, len(node.args), low, high), node)
        keys = [self.expr(k) for k in node.keys]
        for (code, t), k in zip(keys, node.keys):
            if t.kind not in ("int", "string", "null", "ptr"):
                raise self.fail(D_OP_SCALAR, f"@{node.name}[ ] key #{node.keys.index(k) + 1} is not of scalar type", k)
        key_types = tuple(ty.INT64 if t.kind == "null" else t for _, t in keys)
        value_code, incr_code = "0", "1"
        params: list[int] = []
        if node.func != "count":
            value_code, vt = self.expr(node.args[0])
            if not vt.is_scalar:
                raise self.fail(D_PROTO_ARG, f"{node.func}( ) argument #1 is incompatible with prototype:\n\tprototype: int\n\t argument: {vt}", node.args[0])
        if node.func == "llquantize":
            params = self.llquantize_params(node)
        elif node.func == "lquantize":
            params = self.lquantize_params(node)
        optional_incr = {"quantize": 1, "lquantize": 4, "llquantize": 5}.get(node.func)
        if optional_incr is not None and len(node.args) > optional_incr:
            incr_code, it = self.expr(node.args[optional_incr])
            if not self.is_scalar(it):
                raise self.fail(D_PROTO_ARG, f"{node.func}( ) increment value (argument #{optional_incr + 1}) "
                                "must be of scalar type", node)
        info = self.sym.aggs.get(node.name)
        if info is None:
            info = AggInfo(node.name, node.func, tuple(params), key_types, len(self.sym.aggs) + 1)
            try:
                update = self.env.make_aggregation(info)
            except ValueError as exc:
                raise self.fail(D_PROTO_ARG, str(exc), node) from None
            self.sym.aggs[node.name] = info
            self.env.names[f"AU_{info.index}"] = update
            agg = self.env.names["AGG"].get(node.name)
            if agg is not None:
                self.env.names[f"AD_{info.index}"] = agg.data
                self.env.names[f"AA_{info.index}"] = agg.admit
        elif info.func == node.func == "llquantize" and info.params != tuple(params):
            i, (expected, found) = next((i, pair) for i, pair in enumerate(zip(info.params, params))
                                        if pair[0] != pair[1])
            raise self.fail(f"D_LLQUANT_{_LLQUANT_ARGS[i][0]}MATCH", f"llquantize( ) {_LLQUANT_ARGS[i][1]} "
                            f"(argument #{i + 1}) doesn't match previous declaration: "
                            f"expected {expected}, found {found}", node)
        elif info.func != node.func or info.params != tuple(params) or len(info.keys) != len(key_types):
            raise self.fail(D_AGG_REDEF, f"aggregation redefined: @{node.name}", node)
        else:
            for k, (old, new) in enumerate(zip(info.keys, key_types)):
                if old.kind != new.kind and not (old.kind == "int" and new.kind == "null"):
                    raise self.fail(D_AGG_REDEF, f"aggregation redefined: @{node.name}\n\t key #{k + 1} types do not match", node)
        key = "(" + "".join(
            f"{convert(c, t, old) if old.kind == 'int' else c}, " for (c, t), old in zip(keys, info.keys)
        ) + ")"
        if info.func in ("count", "sum") and f"AD_{info.index}" in self.env.names:
            # count()/sum() inline: the update of _Count/_Sum.updater without a call
            # (a new key only when the aggregation buffer has room: AA_ asks it)
            k, old = self.temp(), self.temp()
            data = f"AD_{info.index}"
            self.emit(f"{k} = {key}")
            value = "1" if info.func == "count" else value_code
            if value != "1":
                v = self.temp()
                self.emit(f"{v} = {value}")
                value = v
            self.emit(f"{old} = {data}.get({k})")
            self.emit(f"if {old} is not None: {data}[{k}] = {old} + {value}")
            self.emit(f"elif AA_{info.index}(): {data}[{k}] = {value}")
            return
        self.emit(f"AU_{info.index}({key}, {value_code}, {incr_code})")

    def llquantize_params(self, node: ast.AggStmt) -> list[int]:
        """llquantize()'s factor, low, high and steps, checked in the order and
        words of dt_cc.c dt_compile_agg (arguments numbered from the factor)."""
        values: list[int] = []
        for i, (tag, what) in enumerate(_LLQUANT_ARGS):
            param = node.args[1 + i]
            value = self.const_eval(param)
            if value is None:
                raise self.fail(f"D_LLQUANT_{tag}TYPE", f"llquantize( ) argument #{i + 1} ({what}) "
                                "must be an integer constant", param)
            if value & _U64 > 0xFFFF:
                raise self.fail(f"D_LLQUANT_{tag}VAL", f"llquantize( ) argument #{i + 1} ({what}) "
                                "must be an unsigned 16-bit quantity", param)
            values.append(value)
        factor, low, high, nsteps = values
        if factor < 2:
            raise self.fail(D_LLQUANT_FACTORSMALL, "llquantize( ) factor (argument #1) must be two or more", node)
        if low >= high:
            raise self.fail(D_LLQUANT_MAGRANGE, "llquantize( ) high magnitude (argument #3) must be "
                            "greater than low magnitude (argument #2)", node)
        # Oracle Solaris 11's rule (docs/d-grammar.md): fewer steps than the
        # factor are accepted when they divide it evenly; more steps must be
        # a multiple of the factor and divide the width of the lowest
        # magnitude, factor^(low+1), or factor^2 when low is 0.
        if nsteps < factor:
            if factor % nsteps:
                raise self.fail(D_LLQUANT_FACTORNSTEPS, "llquantize( ) number of linear steps per magnitude "
                                "(argument #4) must evenly divide the factor (argument #1) when it is less "
                                "than the factor", node)
        elif nsteps % factor or factor ** (max(low, 1) + 1) % nsteps:
            raise self.fail(D_LLQUANT_FACTOREVEN, "llquantize( ) factor (argument #1) must evenly divide "
                            "the number of steps per magnitude (argument #4), and the number of steps "
                            "per magnitude must evenly divide a power of the factor", node)
        order = 1
        for _ in range(high + 2):
            if (order * factor) & _U64 > order:
                order *= factor
                continue
            raise self.fail(D_LLQUANT_MAGTOOBIG, f"llquantize( ) factor ({factor}) raised to power of "
                            f"high magnitude ({high}) plus 1 overflows 64-bits", node)
        return values

    def lquantize_params(self, node: ast.AggStmt) -> list[int]:
        """lquantize()'s base, limit and step, checked in the order and words
        of dt_cc.c dt_compile_agg (arguments numbered from the base)."""
        base_node, limit_node = node.args[1], node.args[2]
        base = self.const_eval(base_node)
        if base is None:
            raise self.fail(D_LQUANT_BASETYPE, "lquantize( ) argument #1 must be an integer constant", base_node)
        base = const_wrap(base, ty.INT64)
        if not -(1 << 31) <= base < 1 << 31:
            raise self.fail(D_LQUANT_BASEVAL, "lquantize( ) argument #1 must be a 32-bit quantity", base_node)
        limit = self.const_eval(limit_node)
        if limit is None:
            raise self.fail(D_LQUANT_LIMTYPE, "lquantize( ) argument #2 must be an integer constant", limit_node)
        limit = const_wrap(limit, ty.INT64)
        if not -(1 << 31) <= limit < 1 << 31:
            raise self.fail(D_LQUANT_LIMVAL, "lquantize( ) argument #2 must be a 32-bit quantity", limit_node)
        if limit < base:
            raise self.fail(D_LQUANT_MISMATCH, "lquantize( ) base (argument #1) must be less than limit "
                            "(argument #2)", node)
        step = 1
        if len(node.args) > 3:
            step_node = node.args[3]
            value = self.const_eval(step_node)
            # dt_node_is_posconst: non-zero, and positive when signed
            if value is None or value == 0 or const_wrap(value, self.expr(step_node)[1]) <= 0:
                raise self.fail(D_LQUANT_STEPTYPE, "lquantize( ) argument #3 must be a non-zero positive "
                                "integer constant", step_node)
            step = value & _U64
            if step > 0xFFFF:
                raise self.fail(D_LQUANT_STEPVAL, "lquantize( ) argument #3 must be a 16-bit quantity", step_node)
        levels = (limit - base) // step
        if levels == 0:
            raise self.fail(D_LQUANT_STEPLARGE, "lquantize( ) step (argument #3) too large: must have at "
                            "least one quantization level", node)
        if levels > 0xFFFF:
            raise self.fail(D_LQUANT_STEPSMALL, "lquantize( ) step (argument #3) too small: number of "
                            "quantization levels must be a 16-bit quantity", node)
        info = self.sym.aggs.get(node.name)
        if info is not None and info.func == "lquantize" and info.params != (base, limit, step):
            obase, olimit, ostep = info.params
            olevels = (olimit - obase) // ostep
            if obase != base:
                raise self.fail(D_LQUANT_MATCHBASE, "lquantize( ) base (argument #1) doesn't match previous "
                                f"declaration: expected {obase}, found {base}", node)
            if olevels * ostep != levels * step:
                raise self.fail(D_LQUANT_MATCHLIM, "lquantize( ) limit (argument #2) doesn't match previous "
                                f"declaration: expected {obase + olevels * ostep}, found {base + levels * step}",
                                node)
            raise self.fail(D_LQUANT_MATCHSTEP, "lquantize( ) step (argument #3) doesn't match previous "
                            f"declaration: expected {ostep}, found {step}", node)
        return [base, limit, step]

    @staticmethod
    def arity_message(name: str, given: int, low: int, high: int) -> str:
        expected = str(low) if low == high else f"{low}-{high}"
        if given > high:
            expected = str(high) if low == high else f"at most {high}"
        elif low != high:
            expected = f"at least {low}"
        return f"{name}( ) prototype mismatch: {given} arg{'s' if given != 1 else ''} passed, {expected} expected"

    # Actions --------------------------------------------------------------------

    def agg_arg(self, node: ast.Node, action: str, position: int) -> AggInfo:
        if not isinstance(node, ast.AggName):
            raise self.fail(D_PROTO_ARG, f"{action}( ) argument #{position} is incompatible with prototype:\n\tprototype: aggregation\n\t argument: {self.type_name_of(node)}", node)
        info = self.sym.aggs.get(node.name)
        if info is None:
            raise self.fail(D_AGG_NULL, f"undefined aggregation: @{node.name}", node)
        return info

    def type_name_of(self, node: ast.Node) -> str:
        try:
            return str(self.expr(node)[1])
        except DCompileError:
            return "unknown"

    def check_count(self, call: ast.Call, low: int, high: int) -> None:
        if not low <= len(call.args) <= high:
            raise self.fail(D_PROTO_LEN, self.arity_message(call.name, len(call.args), low, high), call)

    def action(self, call: ast.Call) -> None:
        name, args = call.name, call.args
        if name in ("printf", "printa"):
            self.print_action(call)
        elif name == "trace":
            self.check_count(call, 1, 1)
            code, t = self.expr(args[0])
            if self.env.json:
                self.emit(f"w(JSON_VALUE({code}))")
            else:
                self.emit(f"w(TRACE({code}, {self.env.constant('TY', t)}, ST.quiet))")
        elif name == "tracemem":
            self.check_count(call, 2, 3)
            code, _ = self.expr(args[0])
            size, _ = self.expr(args[1])
            if self.env.json:
                self.emit(f"w(JSON_VALUE(TRACEMEM_BYTES({code}, {size})))")
            else:
                self.emit(f"w(TRACEMEM({code}, {size}, ST.quiet))")
        elif name == "exit":
            self.check_count(call, 1, 1)
            code, t = self.expr(args[0])
            self.require_int(t, args[0], "exit", 1)
            self.emit(f"ST.exit({code})")
        elif name in ("stack", "ustack", "jstack", "printm"):
            # No kernel stacks exist on a capture: the records are empty.
            for arg in args:
                self.expr(arg)
        elif name in AGG_ACTIONS:
            self.agg_action(call)
        elif name == "setopt":
            self.check_count(call, 1, 2)
            codes = [self.expr(a) for a in args]
            for (_, t), a in zip(codes, args):
                if not t.is_string:
                    raise self.fail(D_PROTO_ARG, f"setopt( ) argument #{args.index(a) + 1} is incompatible with prototype:\n\tprototype: string\n\t argument: {t}", a)
            value = codes[1][0] if len(codes) > 1 else "None"
            self.emit(f"ST.setopt({codes[0][0]}, {value})")
        elif name in DESTRUCTIVE_ACTIONS:
            for arg in args:
                self.expr(arg)
            self.env.destructive.append(name)
        elif name in ("speculate", "commit", "discard"):
            self.check_count(call, 1, 1)
            code, t = self.expr(args[0])
            self.require_int(t, args[0], name, 1)
            if name == "speculate":
                self.emit(f"w = SPEC.writer({code})")
            else:
                self.emit(f"SPEC.{name}({code})")

    def agg_action(self, call: ast.Call) -> None:
        name, args = call.name, call.args
        if name in ("normalize",):
            self.check_count(call, 2, 2)
        elif name == "trunc":
            self.check_count(call, 1, 2)
        else:
            self.check_count(call, 1, 1)
        info = self.agg_arg(args[0], name, 1)
        agg = f"AGG[{info.name!r}]"
        if name == "normalize":
            code, t = self.expr(args[1])
            self.require_int(t, args[1], name, 2)
            self.emit(f"{agg}.normalize({code})")
        elif name == "denormalize":
            self.emit(f"{agg}.denormalize()")
        elif name == "clear":
            self.emit(f"{agg}.clear()")
        else:
            count = "0"
            if len(args) > 1:
                count, t = self.expr(args[1])
                self.require_int(t, args[1], name, 2)
            self.emit(f"ST.trunc({agg}, {count})")

    def print_action(self, call: ast.Call) -> None:
        name, args = call.name, call.args
        if name == "printa":
            if not args:
                raise self.fail(D_PROTO_LEN, "printa( ) prototype mismatch: 0 args passed, at least 1 expected", call)
            fmt_node = args[0] if isinstance(args[0], ast.StrLit) else None
            aggs = args[1:] if fmt_node is not None else args
            if fmt_node is not None and not aggs:
                raise self.fail(D_PROTO_LEN, "printa( ) prototype mismatch: 1 arg passed, at least 2 expected", call)
            # dt_action_printa: each aggregation in turn, the format checked
            # against the first one's keys, the others' keys against the first's
            infos: list[AggInfo] = []
            fmt = "None"
            bound = None
            for i, a in enumerate(aggs, 2 if fmt_node else 1):
                infos.append(self.agg_arg(a, "printa", i))
                if len(infos) > 1:
                    self.printa_validate(infos[0], infos[-1], call)
                elif fmt_node is not None:
                    bound = self.env.make_format(fmt_node.value, list(infos[0].keys), "printa:" + infos[0].func,
                                                 fmt_node)
            if bound is not None:
                if bound.static_size() > bound.limit:
                    self.emit("ST.drop()")  # its widths alone overflow bufsize
                    return
                fmt = self.env.constant("PF", bound)
            names = "".join(f"AGG[{i.name!r}], " for i in infos)
            self.emit_dropping(f"w(ST.printa(({names}), {fmt}))")
            return
        if not args:
            raise self.fail(D_PROTO_LEN, "printf( ) prototype mismatch: 0 args passed, at least 1 expected", call)
        if not isinstance(args[0], ast.StrLit):
            _, t = self.expr(args[0])
            raise self.fail(D_PROTO_ARG, f"printf( ) argument #1 is incompatible with prototype:\n\tprototype: string constant\n\t argument: {t}", args[0])
        values = [self.expr(a) for a in args[1:]]
        bound = self.env.make_format(args[0].value, [t for _, t in values], "printf", args[0])
        if bound.static_size() > bound.limit:
            # its widths alone make more text than bufsize: every firing's
            # record is dropped (the arguments are still evaluated: they may fault)
            self.emit(f"({''.join(f'{c}, ' for c, _ in values)})")
            self.emit("ST.drop()")
            return
        python = getattr(bound, "python", None)
        if python is not None:
            # The whole format is one Python %-pattern built here, once: the
            # call site renders with a single ``%`` and no runtime dispatch.
            pattern, kinds = python
            if not kinds:
                self.emit_printf(repr(pattern.replace('%%', '%')))
                return
            codes = [self.reduced(code, kind, size) for (code, _), (kind, size) in zip(values, kinds)]
            fmt = self.env.constant("PF", pattern)
            self.emit_printf(f"{fmt} % ({''.join(f'{c}, ' for c in codes)})")
            return
        fmt = self.env.constant("PF", bound)
        tuple_code = "(" + "".join(f"{c}, " for c, _ in values) + ")"
        self.emit_printf(f"{fmt}.render({tuple_code})")

    def emit_printf(self, text_code: str) -> None:
        """Write what a printf() made: its text, or under --format json its
        record; one whose ``*`` widths ask for more than bufsize is dropped."""
        self.emit_dropping(f"w(JSON_PRINTF({text_code}))" if self.env.json else f"w({text_code})")

    def emit_dropping(self, statement: str) -> None:
        """A printf()/printa() whose ``*`` widths may ask for more than
        bufsize: its record is dropped and counted, the clause goes on."""
        self.emit("try:")
        self.emit(f"    {statement}")
        self.emit("except DROPPED:")
        self.emit("    ST.drop()")

    def printa_validate(self, first: AggInfo, other: AggInfo, call: ast.Call) -> None:
        """dt_printa_validate: aggregations printed together have the same
        number of keys, of compatible types (integers with integers)."""
        lkeys, rkeys = first.keys, other.keys
        if len(lkeys) != len(rkeys):
            def keys(n: int) -> str:
                return f"{n} key{'' if n == 1 else 's'}"
            raise self.fail(D_PRINTA_AGGKEY, f"printa( ): @{first.name} and @{other.name} do not have matching "
                            f"key signatures: @{first.name} has {keys(len(lkeys))}, @{other.name} has "
                            f"{keys(len(rkeys))}", call)
        for n, (lt, rt) in enumerate(zip(lkeys, rkeys), 1):
            if lt.kind == rt.kind or {lt.kind, rt.kind} <= {"int", "null"}:
                continue
            raise self.fail(D_PRINTA_AGGPROTO, f"printa( ): @{other.name}[ ] key #{n} is incompatible with "
                            f"@{first.name}:\n{'@' + first.name:>9} key #{n}: {lt}\n"
                            f"{'@' + other.name:>9} key #{n}: {rt}", call)

    @staticmethod
    def reduced(code: str, kind: str, size: int) -> str:
        """``code`` reduced as printf's ``kind`` conversion needs it (see
        ``printf._python_spec``); integer literals are reduced here."""
        if kind == "str":
            return code
        t = ty.integer("int", size, kind == "signed")
        try:
            return str(const_wrap(int(code), t))
        except ValueError:
            return wrap(code, t)

    def require_int(self, t: ty.DType, node: ast.Node, func: str, position: int) -> None:
        if t.kind not in ("int", "null"):
            raise self.fail(D_PROTO_ARG, f"{func}( ) argument #{position} is incompatible with prototype:\n\tprototype: int\n\t argument: {t}", node)

    @staticmethod
    def is_scalar(t: ty.DType) -> bool:
        """dt_node_is_scalar: an integer or a pointer; a D string is a char
        array, so it is not a scalar."""
        return t.kind in ("int", "ptr", "null")

    # Expressions ----------------------------------------------------------

    def expr(self, node: ast.Node) -> tuple[str, ty.DType]:
        method = getattr(self, "x_" + type(node).__name__, None)
        if method is None:
            raise self.fail(D_OP_SCALAR, "invalid expression", node)
        code, t = method(node)
        if len(code) > SPILL_DEPTH and nesting(code) > SPILL_DEPTH:
            # DTrace spills registers for long expressions; Python's parser
            # refuses 200 nested parentheses: a deep subexpression is computed
            # into a temporary first
            spilled = self.temp()
            self.emit(f"{spilled} = {code}")
            return spilled, t
        return code, t

    def conditional_expr(self, node: ast.Node) -> tuple[str, ty.DType]:
        """An operand evaluated only under a condition (&&, ||, ?:): anything
        it spills goes into a local function called where it is needed."""
        saved, self.lines = self.lines, []
        try:
            code, t = self.expr(node)
            spills = self.lines
        finally:
            self.lines = saved
        if not spills:
            return code, t
        helper = self.temp()
        self.emit(f"def {helper}():")
        self.lines.extend("    " + line for line in spills)
        self.emit(f"    return {code}")
        return f"{helper}()", t

    def x_IntLit(self, node: ast.IntLit) -> tuple[str, ty.DType]:
        t = ty.constant_type(node.value, node.suffix, node.non_decimal)
        return repr(const_wrap(node.value, t)), t

    def x_StrLit(self, node: ast.StrLit) -> tuple[str, ty.DType]:
        return repr(builtins.cut(node.value, self.env.strsize)), ty.STRING

    def cut(self, code: str) -> str:
        """Code reading a string from outside D (a probe argument) as DTrace
        loads it, cut to strsize bytes: a short one is kept without a call."""
        temp = self.temp()
        return f"({temp} if len({temp} := {code}) <= {builtins.cut_limit(self.env.strsize)} else CUT({temp}))"

    def x_MacroArg(self, node: ast.MacroArg) -> tuple[str, ty.DType]:
        name = node.name
        if name.isdigit():
            n = int(name)
            if n == 0:
                value: str | None = self.env.source.name
            elif n <= len(self.env.macro_args):
                value = self.env.macro_args[n - 1]
            elif self.env.options.get("defaultargs"):
                value = None
            else:
                raise self.fail(D_MACRO_UNDEF, f"macro argument ${'$' if node.as_string else ''}{n} is not defined", node)
        else:
            value = "0"  # $pid, $target, $uid...: no process exists on a capture
        if node.as_string:
            return repr(builtins.cut(value or "", self.env.strsize)), ty.STRING
        if value is None:
            return "0", ty.INT
        try:
            number = int(value, 0)
        except ValueError:
            return self.x_Ident(ast.Ident(node.span, value))
        return self.x_IntLit(ast.IntLit(node.span, number & _MASK[8], "", False))

    def x_Ident(self, node: ast.Ident) -> tuple[str, ty.DType]:
        name = node.name
        if name in self.bindings:
            return self.bindings[name]
        sym = self.sym
        if name in sym.inlines:
            return self.inline_value(sym.inlines[name], node)
        if name in BUILTIN_VARIABLES:
            return self.builtin(name), BUILTIN_VARIABLES[name]
        if name in sym.globals:
            return f"G[{name!r}]", sym.globals[name]
        if name == "args":
            raise self.fail(D_ARGS_TYPE, "args[ ] may not be referenced without a subscript", node)
        if name in sym.arrays or name in BUILTIN_ARRAYS:
            raise self.fail(D_OP_SCALAR, f"{name}[ ] must be referenced with a subscript", node)
        raise self.fail(D_IDENT_UNDEF, f"failed to resolve {name}: Unknown variable name", node)

    def inline_value(self, inline: Inline, node: ast.Node | None = None) -> tuple[str, ty.DType]:
        if inline.params is not None:
            raise self.fail(D_OP_SCALAR, f"{getattr(node, 'name', '')}[ ] must be referenced with a subscript", node)  # type: ignore[arg-type]
        if inline.node is not None:
            code, t = self.expr(inline.node)
            if inline.type.kind == "int" and t.kind == "int":
                return convert(code, t, inline.type), inline.type
            return code, inline.type
        return repr(inline.value), inline.type

    def inline_array_value(self, inline: Inline, node: ast.Index) -> tuple[str, ty.DType]:
        """``f[a, b]`` of ``inline T f[T1 x, T2 y] = expr``: expr with the
        subscripts bound to the parameters, converted to T."""
        params = inline.params or ()
        if len(node.indexes) != len(params):
            count = len(node.indexes)
            raise self.fail(D_PROTO_LEN, f"{self.base_name(node)}[ ] prototype mismatch: {count} arg"
                            f"{'s' if count != 1 else ''} passed, {len(params)} expected", node)
        bound = {}
        for arg, (pt, param) in zip(node.indexes, params):
            code, t = self.expr(arg)
            bound[param] = (convert(code, t, pt) if pt.kind == "int" and t.kind == "int" else code, pt)
        saved, self.bindings = self.bindings, {**self.bindings, **bound}
        try:
            code, t = self.expr(inline.node)  # type: ignore[arg-type]
        finally:
            self.bindings = saved
        return (convert(code, t, inline.type) if inline.type.kind == "int" and t.kind == "int" else code), inline.type

    def builtin(self, name: str) -> str:
        if name == "walltimestamp":
            return "ts"  # ns since the epoch, from capture time
        if name in ("timestamp", "vtimestamp"):
            # ns since the run's origin T0[0] (the first packet; 0 without a
            # capture); a packet stamped before the first reads 0, never less.
            return "(ts - T0[0] if ts > T0[0] else 0)"
        if name.startswith("arg") and name[3:].isdigit():
            return f"ARG(args, {name[3:]})"
        return {
            "probeprov": "_PROV",
            "probemod": "_MOD",
            "probefunc": "_FUNC",
            "probename": "_NAME",
            "epid": "_EPID",
            "id": "_ID",
            "execname": "EXECNAME(thread)",
            "zonename": "'global'",
        }.get(name, "0")

    def x_VarRef(self, node: ast.VarRef) -> tuple[str, ty.DType]:
        # Unlike globals, a self-> or this-> variable read before any
        # assignment is implicitly an int (dt_parser.c dt_xcook_ident).
        if node.scope == "self":
            if node.name in self.sym.self_arrays:
                raise self.fail(D_OP_SCALAR, f"{node.name}[ ] must be referenced with a subscript", node)
            t = self.sym.self_vars.setdefault(node.name, ty.INT)
            return f"S.get((thread, {node.name!r}), {self.zero(t)})", t
        t = self.sym.this_vars.setdefault(node.name, ty.INT)
        self.uses_this = True
        return f"T.get({node.name!r}, {self.zero(t)})", t

    @staticmethod
    def zero(t: ty.DType) -> str:
        if t.kind == "struct":
            return f"RECORD({t.size})"
        if t.is_string:
            return "''"
        if t.kind == "ptr":
            return "None"
        return "0"

    def x_AggName(self, node: ast.AggName) -> tuple[str, ty.DType]:
        raise self.fail(D_AGG_SCALAR, f"aggregation @{node.name} may not be used in an expression", node)

    def x_Index(self, node: ast.Index) -> tuple[str, ty.DType]:
        base = node.base
        if isinstance(base, ast.Ident):
            name = base.name
            if name == "args" and name not in self.sym.arrays:
                return self.args_index(node)
            if name in BUILTIN_ARRAYS and name not in self.sym.arrays:
                key_t, value_t, table, default = BUILTIN_ARRAYS[name]
                if len(node.indexes) != 1:
                    raise self.fail(D_PROTO_LEN, f"{name}[ ] prototype mismatch: {len(node.indexes)} args passed, 1 expected", node)
                code, t = self.expr(node.indexes[0])
                self.require_int(t, node.indexes[0], name + "[ ]", 1)
                tname = self.env.constant("TBL", table)
                return f"{tname}.get({convert(code, t, key_t)}, {default!r})", value_t
            inline = self.sym.inlines.get(name)
            if inline is not None and inline.params is not None:
                return self.inline_array_value(inline, node)
            info = self.sym.arrays.get(name)
            if info is None:
                if name in self.sym.globals or name in self.sym.inlines or name in BUILTIN_VARIABLES:
                    return self.pointer_index(node)
                raise self.fail(D_IDENT_UNDEF, f"failed to resolve {name}: Unknown variable name", base)
            key = self.array_key(node, info)
            return f"A_{name}.get({key}, {self.zero(info.value)})", info.value
        if isinstance(base, ast.VarRef) and base.scope == "self" and base.name not in self.sym.self_vars:
            info = self.self_array(node, None)
            key = self.self_array_key(node, info)
            return f"S.get({key}, {self.zero(info.value)})", info.value
        return self.pointer_index(node)

    def self_array(self, node: ast.Index, value_type: ty.DType | None) -> ArrayInfo:
        """The thread-local associative array ``self->name[...]``; like a
        self-> scalar, it is implicitly ``int`` when read before any assignment."""
        name = node.base.name  # type: ignore[attr-defined]
        info = self.sym.self_arrays.get(name)
        if info is None:
            key_types = tuple(self.storage_type(self.expr(i)[1], i) for i in node.indexes)
            value = self.storage_type(value_type, node) if value_type is not None else ty.INT
            info = self.sym.self_arrays[name] = ArrayInfo(key_types, value)
        return info

    def self_array_key(self, node: ast.Index, info: ArrayInfo) -> str:
        """S's key for one element: (thread, name, key, ...)."""
        name = node.base.name  # type: ignore[attr-defined]
        return f"(thread, {name!r}, {', '.join(self.array_key_parts(node, info))})"

    def args_index(self, node: ast.Index) -> tuple[str, ty.DType]:
        direct, self.member_base = self.member_base, False
        if len(node.indexes) != 1:
            raise self.fail(D_PROTO_LEN, f"args[ ] prototype mismatch: {len(node.indexes)} args passed, 1 expected", node)
        n = self.const_eval(node.indexes[0])
        if n is None:
            raise self.fail(D_ARGS_TYPE, "args[ ] may not be indexed by a non-constant expression", node)
        if n < 0 or n >= len(self.arg_types):
            raise self.fail(D_ARGS_IDX, f"index {n} is out of range for {self.probe_name()} args[ ]", node)
        t = self.arg_types[n]
        if t.kind == "void":
            raise self.fail(D_ARGS_TYPE, f"args[{n}] is not available for {self.probe_name()}", node)
        if direct:
            self.members.setdefault(n, set())
        else:
            self.members[n] = None  # used whole: any member may be read
        if t.is_string:
            return self.cut(f"args[{n}]"), t
        return f"args[{n}]", t

    def probe_name(self) -> str:
        p = self.probe
        return f"{p.provider}:{p.module}:{p.function}:{p.name}"

    def pointer_index(self, node: ast.Index) -> tuple[str, ty.DType]:
        code, t = self.expr(node.base)
        if t.kind != "ptr" or t.target is None or len(node.indexes) != 1:
            raise self.fail(D_OP_SCALAR, "[ ] may only be applied to an array, pointer or associative array", node)
        index, it = self.expr(node.indexes[0])
        self.require_int(it, node.indexes[0], "[ ]", 1)
        return f"BYTE({code}, {index})", t.target

    def array_key(self, node: ast.Index, info: ArrayInfo) -> str:
        if info.bound is not None and len(node.indexes) != 1:
            raise self.fail(D_ARR_BADREF, f"cannot access scalar {self.base_name(node)} as an associative array", node)
        parts = self.array_key_parts(node, info)
        if info.bound is not None:
            # int a[5]: an index outside 0..4 reaches outside the variable
            return f"BOUNDED({parts[0]}, {info.bound}, {self.size_of(info.value)})"
        return parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ")"

    def array_key_parts(self, node: ast.Index, info: ArrayInfo) -> list[str]:
        if len(node.indexes) != len(info.keys):
            raise self.fail(D_PROTO_LEN, f"{self.base_name(node)}[ ] prototype mismatch: {len(node.indexes)} arg{'s' if len(node.indexes) != 1 else ''} passed, {len(info.keys)} expected", node)
        parts = []
        for i, (index, kt) in enumerate(zip(node.indexes, info.keys), 1):
            code, t = self.expr(index)
            if kt.kind == "int" and t.kind in ("int", "null"):
                code = convert(code, t, kt)
            elif (kt.kind != t.kind or (kt.kind == "struct" and kt.name != t.name)) \
                    and not (kt.kind == "ptr" and t.kind == "null"):
                raise self.fail(D_PROTO_ARG, f"{self.base_name(node)}[ ] argument #{i} is incompatible with prototype:\n\tprototype: {kt}\n\t argument: {t}", index)
            if kt.kind == "struct":
                code = f"bytes({code})"  # keyed by the members' values (the bytes), not the variable
            parts.append(code)
        return parts

    @staticmethod
    def base_name(node: ast.Index) -> str:
        if isinstance(node.base, ast.VarRef):
            return f"{node.base.scope}->{node.base.name}"
        return node.base.name if isinstance(node.base, ast.Ident) else "array"

    def translator(self, node: ast.Xlate) -> tuple[Translator, str, ty.DType]:
        """dt_xlator_lookup for xlate<T>(e): a translator to T (or what T
        points to) from e's type exactly, else from a compatible one."""
        out = self.sym.named(node.type.base, node.type.pointers)
        if out is None:
            raise self.fail(D_DECL_TYPE, f"undefined type name: {node.type.base}", node.type)
        target = out.target if out.kind == "ptr" and out.target is not None else out
        code, t = self.expr(node.operand)
        found = self.sym.translators.get((t.name, target.name))
        if found is None:
            for (_, output), candidate in self.sym.translators.items():
                if output == target.name and (candidate.input.kind == t.kind or
                                              {candidate.input.kind, t.kind} <= {"ptr", "null"}):
                    found = candidate
                    break
        if found is None:
            raise self.fail(D_XLATE_NONE, f'cannot translate from "{t}" to "{out}"', node)
        return found, code, t

    def translated_member(self, found: Translator, code: str, t: ty.DType, name: str,
                          node: ast.Node) -> tuple[str, ty.DType]:
        """One member of a translation: its expression with the operand bound
        to the translator's parameter, converted to the member's type."""
        expr = found.members.get(name)
        if expr is None:
            raise self.fail(D_XLATE_NOCONV, f"translator does not define conversion for member: {name}", node)
        mt = self.sym.records[found.output.struct].members[name][0]  # type: ignore[index]
        saved = self.bindings
        self.bindings = {found.param: (code, t)}
        try:
            value, vt = self.expr(expr)
        finally:
            self.bindings = saved
        return (convert(value, vt, mt) if mt.kind == "int" and vt.kind in ("int", "null") else value), mt

    def x_Xlate(self, node: ast.Xlate) -> tuple[str, ty.DType]:
        """A whole translation: a struct value with every member it defines."""
        found, code, t = self.translator(node)
        record = self.sym.records[found.output.struct]  # type: ignore[index]
        fields = []
        for name in found.members:
            value, _ = self.translated_member(found, code, t, name, node)
            member = ast.Member(node.span, node, name, False)
            fields.append(f"({self.record_field(found.output, member)[0]}, {value})")
        out = self.sym.named(node.type.base, node.type.pointers)
        return f"XLATE({record.size}, ({', '.join(fields)},))" if fields else f"RECORD({record.size})", out  # type: ignore[return-value]

    def x_Member(self, node: ast.Member) -> tuple[str, ty.DType]:
        base = node.base
        if isinstance(base, ast.Xlate):  # xlate<T>(e).m: only that member's expression
            found, code, t = self.translator(base)
            if node.name not in self.sym.records[found.output.struct].members:  # type: ignore[index]
                raise self.fail(D_TYPE_MEMBER, f"{node.name} is not a member of {found.output}", node)
            return self.translated_member(found, code, t, node.name, node)
        arg = None
        if (node.arrow and isinstance(base, ast.Index) and isinstance(base.base, ast.Ident)
                and base.base.name == "args" and len(base.indexes) == 1):
            arg = self.const_eval(base.indexes[0])
            self.member_base = True
        try:
            code, t = self.expr(base)
        finally:
            self.member_base = False
        if arg is not None:
            names = self.members.get(arg)
            if names is not None:
                names.add(node.name)
        if not node.arrow and t.kind == "struct" and t.struct in self.sym.records:
            field, mt = self.record_field(t, node)
            return f"{code}[{field}]", mt
        # dt_cook_op2 DT_TOK_PTR/DT_TOK_DOT, in its order and words
        if node.arrow:
            if t.kind not in ("ptr", "null"):
                raise self.fail(D_OP_PTR, "operator -> must be applied to a pointer", node)
            if t.struct is None or (t.target is not None and t.target.kind != "struct"):
                target = t.target.name if t.target is not None else "void"
                raise self.fail(D_OP_SOU, f'operator -> cannot be applied to pointer to type "{target}"; '
                                "must be applied to a struct or union pointer", node)
            if t.struct in self.sym.records:
                # no memory a pointer could point into: reading through it faults
                return f"BADADDR({code})", self.record_member(t, node)[0]
        elif t.kind != "struct":
            raise self.fail(D_OP_SOU, f'operator . cannot be applied to type "{t}"; '
                            "must be applied to a struct or union", node)
        struct = catalog.STRUCTS[t.struct]  # type: ignore[index]
        member = struct.member(node.name)
        if member is None:
            # the providers' arguments are translated (ip.d, tcp.d, ...): a
            # member no translator defines is D_XLATE_NOCONV
            raise self.fail(D_XLATE_NOCONV, f"translator does not define conversion for member: {node.name}", node)
        t = ty.from_ctype(member.ctype)
        if t.is_string:
            return self.cut(member_code(code, node.name)), t
        return member_code(code, node.name), t

    def record_member(self, t: ty.DType, node: ast.Member) -> tuple[ty.DType, int, int]:
        """(type, offset, size) of a member of a program-declared struct or union."""
        record = self.sym.records[t.struct]  # type: ignore[index]
        member = record.members.get(node.name)
        if member is None:
            raise self.fail(D_TYPE_MEMBER, f"{node.name} is not a member of {record.name}", node)
        return member

    def record_field(self, t: ty.DType, node: ast.Member, base: int = 0) -> tuple[str, ty.DType]:
        """The Field constant that reads or writes member ``node`` of a value
        of record type ``t`` found ``base`` bytes into its root variable."""
        mt, offset, size = self.record_member(t, node)
        kind = "string" if mt.is_string else ("int" if mt.kind in ("int", "ptr") else "record")
        field = context.Field(base + offset, size, kind, mt.kind == "int" and mt.signed)
        return self.env.constant("F", field), mt

    def record_lvalue(self, target: ast.Member) -> tuple[str, str, ty.DType, bool]:
        """A member of a struct or union variable (``a.b.c = v``): the root
        variable's value, written in place at the member's offset."""
        chain: list[ast.Member] = []
        node: ast.Node = target
        while isinstance(node, ast.Member) and not node.arrow:
            chain.insert(0, node)
            node = node.base
        if isinstance(node, ast.Ident) and node.name in self.sym.globals:
            container, t = f"G[{node.name!r}]", self.sym.globals[node.name]
        elif isinstance(node, ast.VarRef) and node.scope == "this" and node.name in self.sym.this_vars:
            self.uses_this = True
            t = self.sym.this_vars[node.name]
            container = f"T.setdefault({node.name!r}, {self.zero(t)})"
        else:
            raise self.fail(D_OP_LVAL, "operator = requires a modifiable lvalue as an operand", target)
        offset = 0
        for link in chain:
            if t.kind != "struct" or t.struct not in self.sym.records:
                raise self.fail(D_OP_SOU, f'operator . cannot be applied to type "{t}"; '
                                "must be applied to a struct or union", link)
            if link is chain[-1]:
                field, mt = self.record_field(t, link, offset)
                return container, field, mt, False
            t, at, _ = self.record_member(t, link)
            offset += at
        raise AssertionError("a member chain ends in a member")

    def check_address_of(self, operand: ast.Node, node: ast.Node) -> None:
        """dt_cook_op1 DT_TOK_ADDROF: a D variable (global, self->, this->,
        associative array element, built-in, aggregation) and anything inside
        one have no address; nor has a value that is not an lvalue."""
        sym = self.sym
        if isinstance(operand, ast.Ident) and operand.name not in sym.inlines or \
                isinstance(operand, (ast.VarRef, ast.AggName)) or \
                isinstance(operand, ast.Index) and isinstance(operand.base, (ast.Ident, ast.VarRef)) and (
                    isinstance(operand.base, ast.VarRef) or operand.base.name in sym.arrays
                    or operand.base.name in BUILTIN_ARRAYS or operand.base.name == "args"):
            raise self.fail(D_ADDROF_VAR, "cannot take address of dynamic variable", node)
        root = operand
        while isinstance(root, ast.Member) and not root.arrow:
            root = root.base
        if root is not operand and isinstance(root, (ast.Ident, ast.VarRef)):
            raise self.fail(D_ADDROF_VAR, "cannot take address of dynamic object", node)
        lvalue = isinstance(operand, (ast.Member, ast.Index)) or (
            isinstance(operand, ast.Unary) and operand.op == "*")
        if not lvalue:
            raise self.fail(D_ADDROF_LVAL, "unacceptable operand for unary & operator", node)

    def x_Unary(self, node: ast.Unary) -> tuple[str, ty.DType]:
        code, t = self.expr(node.operand)
        op = node.op
        if op == "&":  # the operand is cooked first, so its own errors come first
            self.check_address_of(node.operand, node)
        if op == "!":
            if not self.is_scalar(t):
                raise self.fail(D_OP_SCALAR, "operator ! requires an operand of scalar type", node)
            return f"(0 if {code} else 1)", ty.INT
        if op == "*":
            if t.kind != "ptr" or t.target is None:
                raise self.fail(D_OP_SCALAR, "operator * requires an operand of pointer type", node)
            if t.target.kind == "struct":
                return code, t.target
            return f"BYTE({code}, 0)", t.target
        if op == "&":
            return code, ty.pointer_to(t)
        if t.kind not in ("int",):
            kind = D_OP_INT if op == "~" else D_OP_ARITH
            what = "integral" if op == "~" else "arithmetic"
            raise self.fail(kind, f"operator {op} requires an operand of {what} type", node)
        rt = ty.promote(t)
        if op == "+":
            return code, rt
        if op == "-":
            return wrap(f"-{code}", rt), rt
        return wrap(f"~{code}", rt), rt

    def x_Cast(self, node: ast.Cast) -> tuple[str, ty.DType]:
        target = self.sym.named(node.type.base, node.type.pointers)
        if target is None:
            raise self.fail(D_DECL_TYPE, f"undefined type name: {node.type.base}", node.type)
        code, t = self.expr(node.operand)
        if target.kind == "int":
            if t.kind == "ptr":
                return wrap(f"ADDR({code})", target), target
            if t.kind not in ("int", "null"):
                raise self.fail(D_CAST_INVAL, f"invalid cast expression: {t} to {target}", node)
            return convert(code, t, target), target
        if target.kind == "ptr":
            if t.kind in ("ptr", "null"):
                return code, target
            if t.kind == "int":  # an address: dt_node_is_castable allows integer to pointer
                return convert(code, t, ty.UINT64), target
            raise self.fail(D_CAST_INVAL, f"invalid cast expression: {t} to {target}", node)
        if target.kind == "string" and t.kind == "string":
            return code, t
        if target.kind == "struct" and t.kind == "struct" and target.name == t.name:
            return code, target  # to the same type (ctf_type_compat)
        raise self.fail(D_CAST_INVAL, f"invalid cast expression: {t} to {target}", node)

    def x_Sizeof(self, node: ast.Sizeof) -> tuple[str, ty.DType]:
        if node.type is not None:
            t = self.sym.named(node.type.base, node.type.pointers)
            if t is None:
                raise self.fail(D_DECL_TYPE, f"undefined type name: {node.type.base}", node.type)
        else:
            assert node.operand is not None
            _, t = self.expr(node.operand)
        return repr(self.size_of(t)), ty.SIZE_T

    def x_Offsetof(self, node: ast.Offsetof) -> tuple[str, ty.DType]:
        """offsetof(struct s, m): the byte offset of m, a size_t constant."""
        t = self.sym.named(node.type.base, node.type.pointers)
        record = self.sym.records.get(t.struct or "") if t is not None and t.kind == "struct" else None
        if record is None:
            raise self.fail(D_OFFSETOF_TYPE, "offsetof operand must be a struct or union type", node)
        member = record.members.get(node.member)
        if member is None:
            raise self.fail(D_UNKNOWN, f"failed to determine offset of {node.member}: Member name not found", node)
        return repr(member[1]), ty.SIZE_T

    def size_of(self, t: ty.DType) -> int:
        return self.layout(t)[0]

    def layout(self, t: ty.DType) -> tuple[int, int]:
        """(size, alignment) with the LP64 C layout rules."""
        if t.kind in ("int", "ptr", "null"):
            size = t.size or 8
            return size, size
        if t.is_string:
            return self.env.strsize, 1  # a string is strsize bytes
        record = self.sym.records.get(t.struct or "") if t.kind == "struct" else None
        if record is not None:
            return record.size, record.align
        if t.kind in ("string", "other") and t.target is not None:  # an array member
            return t.size, self.layout(t.target)[1]
        if t.kind == "struct" and t.struct in catalog.STRUCTS:
            struct = catalog.STRUCTS[t.struct]
            offset, align = 0, 1
            for member in struct.members.values():
                size, malign = self.layout(ty.from_ctype(member.ctype))
                align = max(align, malign)
                if struct.union:
                    offset = max(offset, size)
                else:
                    offset = (offset + malign - 1) // malign * malign + size
            return (offset + align - 1) // align * align, align
        return 0, 1

    def x_Stringof(self, node: ast.Stringof) -> tuple[str, ty.DType]:
        code, t = self.expr(node.operand)
        if t.is_string:
            return code, t
        if t.kind not in ("int", "ptr", "null"):
            raise self.fail(D_OP_SCALAR, "stringof( ) operand must be of scalar type", node)
        return f"STRINGOF({code})", ty.STRING

    def x_Ternary(self, node: ast.Ternary) -> tuple[str, ty.DType]:
        cond, ct = self.expr(node.cond)
        for branch in (node.then, node.other):
            if isinstance(branch, ast.Call) and branch.name in ACTIONS:
                # dt_cook_op3: the action is cooked (its prototype checked) first
                low, high = ACTION_ARITY.get(branch.name, (0, 1 << 16))
                self.check_count(branch, low, high)
        if any(isinstance(b, ast.Call) and b.name in ACTIONS for b in (node.then, node.other)):
            raise self.fail(D_OP_ACT, "action cannot be used in a conditional context", node)
        a, at = self.conditional_expr(node.then)
        b, bt = self.conditional_expr(node.other)
        if not self.is_scalar(ct):
            raise self.fail(D_OP_SCALAR, "operator ?: expression must be of scalar type", node)
        if at.kind == "int" and bt.kind == "int":
            rt = ty.arithmetic(at, bt)
            return f"({convert(a, at, rt)} if {cond} else {convert(b, bt, rt)})", rt
        if at.kind == bt.kind or {at.kind, bt.kind} <= {"ptr", "null"} or {at.kind, bt.kind} == {"int", "null"}:
            return f"({a} if {cond} else {b})", at if at.kind != "null" else bt
        raise self.fail(D_OP_INCOMPAT, f'operands have incompatible types: "{at}" : "{bt}"', node)

    def x_Binary(self, node: ast.Binary) -> tuple[str, ty.DType]:
        op = node.op
        a, at = self.expr(node.left)
        b, bt = self.conditional_expr(node.right) if op in ("&&", "||") else self.expr(node.right)
        if op in ("&&", "||", "^^"):
            if not self.is_scalar(at) or not self.is_scalar(bt):
                raise self.fail(D_OP_SCALAR, f"operator {op} requires operands of scalar type", node)
            if op == "&&":
                return f"(1 if ({a}) and ({b}) else 0)", ty.INT
            if op == "||":
                return f"(1 if ({a}) or ({b}) else 0)", ty.INT
            return f"(1 if (not ({a})) != (not ({b})) else 0)", ty.INT
        if op in ("==", "!=", "<", "<=", ">", ">="):
            return self.comparison(node, a, at, b, bt)
        ints = ("int", "null")
        if at.kind not in ints or bt.kind not in ints:
            if op in ("&", "|", "^", "<<", ">>", "%"):
                raise self.fail(D_OP_INT, f"operator {op} requires operands of integral type", node)
            raise self.fail(D_OP_ARITH, f"operator {op} requires operands of arithmetic type", node)
        if op in ("<<", ">>"):
            rt = ty.promote(at if at.kind == "int" else ty.INT)
            if op == "<<":
                return wrap(f"{a} << ({b} & 63)", rt), rt
            return f"({a} >> ({b} & 63))", rt
        rt = ty.arithmetic(at if at.kind == "int" else ty.LONG, bt if bt.kind == "int" else ty.LONG)
        a, b = convert(a, at, rt), convert(b, bt, rt)
        if op == "/":
            return wrap(f"DIV({a}, {b})", rt), rt
        if op == "%":
            return f"MOD({a}, {b})", rt
        if op in ("&", "|", "^"):
            # Both operands are already in range for rt: no wrap needed.
            return f"({a} {op} {b})", rt
        return wrap(f"{a} {op} {b}", rt), rt

    def comparison(self, node: ast.Binary, a: str, at: ty.DType, b: str, bt: ty.DType) -> tuple[str, ty.DType]:
        op = node.op
        kinds = {at.kind, bt.kind}
        if at.kind == "int" and bt.kind == "int":
            rt = ty.arithmetic(at, bt)
            a = a if at.signed == rt.signed else convert(a, at, rt)
            b = b if bt.signed == rt.signed else convert(b, bt, rt)
            return f"(1 if {a} {op} {b} else 0)", ty.INT
        if kinds == {"string"}:
            return f"(1 if {a} {op} {b} else 0)", ty.INT
        if "null" in kinds and op in ("==", "!="):
            other = b if at.kind == "null" else a
            test = f"not {other}" if op == "==" else f"{other}"
            return f"(1 if {test} else 0)", ty.INT
        if kinds <= {"ptr", "null"} and op in ("==", "!="):
            return f"(1 if {a} {'is' if op == '==' else 'is not'} {b} else 0)", ty.INT
        if kinds <= {"int", "null"}:
            return f"(1 if {a} {op} {b} else 0)", ty.INT
        raise self.fail(D_OP_INCOMPAT, f'operands have incompatible types: "{at}" {op} "{bt}"', node)

    def x_Call(self, node: ast.Call) -> tuple[str, ty.DType]:
        name = node.name
        if name in ACTIONS:
            raise self.fail(D_PROTO_ARG, f"{name}( ) may not be used in an expression", node)
        if name in AGG_ARITY:
            raise self.fail(D_AGG_FUNC, f"{name}( ) may only be used as the value of an aggregation", node)
        spec = SUBROUTINES.get(name)
        if spec is None:
            raise self.fail(D_IDENT_UNDEF, f"failed to resolve {name}: Unknown function", node)
        kinds, minimum, result, runtime = spec
        self.check_count(node, minimum, len(kinds))
        codes = []
        for i, (arg, kind) in enumerate(zip(node.args, kinds), 1):
            code, t = self.expr(arg)
            if kind == "s" and t.kind == "null":
                code = "None"  # strtok(NULL, ...) continues the previous string
            ok = (
                (kind == "s" and t.kind in ("string", "null"))
                or (kind == "i" and t.kind in ("int", "null"))
                or (kind == "a" and t.kind in ("int", "ptr", "null"))
            )
            if not ok:
                proto = {"s": "string", "i": "int", "a": "void *"}[kind]
                raise self.fail(D_PROTO_ARG, f"{name}( ) argument #{i} is incompatible with prototype:\n\tprototype: {proto}\n\t argument: {t}", arg)
            codes.append(code)
        if name == "speculation":
            return "SPEC.speculation()", result
        return f"SUB_{runtime}({', '.join(codes)})", result

    # Assignment --------------------------------------------------------------

    def x_Assign(self, node: ast.Assign) -> tuple[str, ty.DType]:
        return self.assign(node, statement=False)

    def x_IncDec(self, node: ast.IncDec) -> tuple[str, ty.DType]:
        op = "+=" if node.op == "++" else "-="
        # x++ declares an undeclared x (dt_cook_op1 cooks its operand with
        # create = B_TRUE) and gives a variable so created int64_t
        container, key, t, deletes = self.lvalue(node.operand, ty.INT64, node)
        if t.kind != "int":
            # dt_cook_op1: ++ and -- take any scalar (a string is none)
            raise self.fail(D_OP_SCALAR, f"operator {node.op} requires operand of scalar type", node)
        if node.prefix:
            return self.assign(ast.Assign(node.span, op, node.operand, ast.IntLit(node.span, 1)), statement=False)
        delta = 1 if node.op == "++" else -1
        if deletes:
            return f"POSTDEL({container}, {key}, {delta}, {_MASK[t.size]}, {t.signed}, DYN)", t
        return f"POST({container}, {key}, {delta}, {_MASK[t.size]}, {t.signed})", t

    def lvalue(self, target: ast.Node, value_type: ty.DType | None, node: ast.Node) -> tuple[str, str, ty.DType, bool]:
        """Resolve an assignable expression; declare it on first assignment.

        Returns (container code, key code, type, assigning zero deletes).
        """
        sym = self.sym
        if isinstance(target, ast.Ident):
            name = target.name
            if name in sym.inlines or name in BUILTIN_VARIABLES or name in sym.arrays:
                raise self.fail(D_OP_LVAL, f"operator {node.op if isinstance(node, (ast.Assign, ast.IncDec)) else '='} requires a writable variable as its left-hand operand", target)
            if name not in sym.globals:
                if value_type is None:
                    raise self.fail(D_IDENT_UNDEF, f"failed to resolve {name}: Unknown variable name", target)
                sym.globals[name] = self.storage_type(value_type, target)
                self.env.names["G"][name] = (
                    context.Record(value_type.size) if value_type.kind == "struct"
                    else "" if value_type.is_string else (None if value_type.kind == "ptr" else 0))
            return "G", repr(name), sym.globals[name], False
        if isinstance(target, ast.VarRef):
            if target.scope == "self" and target.name in sym.self_arrays:
                raise self.fail(D_OP_SCALAR, f"{target.name}[ ] must be referenced with a subscript", target)
            table = sym.self_vars if target.scope == "self" else sym.this_vars
            if target.name not in table:
                # read before any assignment (as by ++ or +=) it is an int,
                # as when it is read (dt_xcook_ident)
                table[target.name] = ty.INT if value_type is None else self.storage_type(value_type, target)
            if target.scope == "self":
                return "S", f"(thread, {target.name!r})", table[target.name], True
            self.uses_this = True
            return "T", repr(target.name), table[target.name], False
        if isinstance(target, ast.Index) and isinstance(target.base, ast.Ident):
            name = target.base.name
            if name == "args" or name in BUILTIN_ARRAYS or name in sym.globals or name in sym.inlines:
                raise self.fail(D_OP_LVAL, "operator = requires a writable variable as its left-hand operand", target)
            info = sym.arrays.get(name)
            if info is None:
                if value_type is None:
                    raise self.fail(D_IDENT_UNDEF, f"failed to resolve {name}: Unknown variable name", target.base)
                key_types = tuple(self.storage_type(self.expr(i)[1], i) for i in target.indexes)
                info = ArrayInfo(key_types, self.storage_type(value_type, target))
                sym.arrays[name] = info
                self.env.names[f"A_{name}"] = {}
            key = self.array_key(target, info)
            return f"A_{name}", key, info.value, True
        if isinstance(target, ast.Index) and isinstance(target.base, ast.VarRef) and target.base.scope == "self" \
                and target.base.name not in sym.self_vars:
            info = self.self_array(target, value_type)
            return "S", self.self_array_key(target, info), info.value, True
        if isinstance(target, ast.Member) and not target.arrow:
            return self.record_lvalue(target)
        raise self.fail(D_OP_LVAL, f"operator {getattr(node, 'op', '=')} requires a modifiable lvalue as an operand", target)

    def storage_type(self, t: ty.DType, node: ast.Node) -> ty.DType:
        if t.kind == "null":
            return ty.integer("uintptr_t", 8, False)
        if t.kind == "void" or (t.kind == "struct" and t.struct not in self.sym.records):
            raise self.fail(D_OP_SCALAR, f"variables of type {t} may not be assigned", node)
        return t

    def assign(self, node: ast.Assign, statement: bool) -> tuple[str, ty.DType]:
        target = node.target
        if (isinstance(target, ast.Ident) and target.name not in self.sym.globals
                and not self.sym.is_declared(target.name) and mentions(node.value, target.name)):
            # dt_cook_op2 creates the variable before cooking the right-hand
            # side; once that side has read it (x = x + 1), it keeps the int
            # type a created variable has
            self.lvalue(target, ty.INT, node)
        value, vt = self.expr(node.value)
        # a compound assignment (x += e) declares x as an int, the type
        # dt_xcook_ident gives a variable it creates; only '=' takes e's type
        declared = vt if node.op == "=" else ty.INT
        container, key, t, deletes = self.lvalue(node.target, declared, node)
        if node.op != "=":
            op = node.op[:-1]
            current = self.current(container, key, t)
            if t.kind != "int" or vt.kind not in ("int", "null"):
                raise self.fail(D_OP_ARITH, f"operator {node.op} requires operands of arithmetic type", node)
            rt = ty.arithmetic(t, vt if vt.kind == "int" else ty.LONG)
            a, b = convert(current, t, rt), convert(value, vt, rt)
            if op == "/":
                combined = f"DIV({a}, {b})"
            elif op == "%":
                combined = f"MOD({a}, {b})"
            elif op in ("<<", ">>"):
                combined = f"({a} {op} ({b} & 63))"
            else:
                combined = f"({a} {op} {b})"
            value, vt = wrap(combined, t), t
        elif not self.assignable(t, vt):
            raise self.fail(D_OP_INCOMPAT, f'operands have incompatible types: "{t}" = "{vt}"', node)
        value = convert(value, vt, t) if t.kind == "int" else value
        if t.kind == "struct":
            value = f"RECORD({value})"  # a struct is assigned by value
        if t.is_string and vt.kind == "null":
            value = "''"  # a NULL string reads as the empty string (and deletes an element)
        if statement:
            if deletes:
                # a dynamic variable: a new one only when dynvarsize has room
                # for it (DYN counts the drop), zero frees it
                tmp, k = self.temp(), self.temp()
                self.emit(f"{tmp} = {value}")
                self.emit(f"{k} = {key}")
                self.emit(f"if {tmp}:")
                self.emit(f"    if {k} in {container} or DYN.admit(): {container}[{k}] = {tmp}")
                self.emit(f"elif {container}.pop({k}, None) is not None: DYN.live -= 1")
            else:
                self.emit(f"{container}[{key}] = {value}")
            return "", t
        if deletes:
            return f"STOREDEL({container}, {key}, {value}, DYN)", t
        return f"STORE({container}, {key}, {value})", t

    def current(self, container: str, key: str, t: ty.DType) -> str:
        if container == "G":
            return f"G[{key}]"
        return f"{container}.get({key}, {self.zero(t)})"

    @staticmethod
    def assignable(dst: ty.DType, src: ty.DType) -> bool:
        if dst.kind == "int":
            return src.kind in ("int", "null")
        if dst.kind == "string":
            # NULL is a (void *)0, pointer-compatible with a char array
            return src.kind in ("string", "null")
        if dst.kind == "ptr":
            return src.kind in ("ptr", "null")
        if dst.kind == "struct":
            return src.kind == "struct" and src.name == dst.name
        return dst.kind == src.kind

    # Constants ----------------------------------------------------------------

    def const_eval(self, node: ast.Node) -> int | None:
        """The value of an integer constant expression, or None."""
        if isinstance(node, ast.IntLit):
            return node.value
        if isinstance(node, ast.Ident):
            inline = self.sym.inlines.get(node.name)
            if inline is None:
                return None
            if inline.node is not None:
                return self.const_eval(inline.node)
            return inline.value if isinstance(inline.value, int) else None
        if isinstance(node, ast.MacroArg) and not node.as_string:
            try:
                code, t = self.x_MacroArg(node)
                return int(code)
            except (ValueError, DCompileError):
                return None
        if isinstance(node, ast.Unary) and node.op in "-+~":
            inner = self.const_eval(node.operand)
            if inner is None:
                return None
            return {"-": -inner, "+": inner, "~": ~inner}[node.op]
        if isinstance(node, ast.Binary):
            a, b = self.const_eval(node.left), self.const_eval(node.right)
            if a is None or b is None:
                return None
            try:
                return {
                    "+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                    "/": lambda: int(a / b), "%": lambda: a % b, "<<": lambda: a << b,
                    ">>": lambda: a >> b, "&": lambda: a & b, "|": lambda: a | b,
                    "^": lambda: a ^ b,
                }[node.op]()
            except (KeyError, ZeroDivisionError, ValueError):
                return None
        return None
