"""The D engine: compile D sources into a ``Program`` that consumes firings.

``compile_program`` runs the passes in order (parse, probe matching, symbol
tables, per-clause code generation) and returns a ``Program``, which is the
pipeline's ``ProbeSink`` (docs/architecture.md "The D engine API").  Output
is written to ``out`` as it happens; notices and runtime errors go to ``err``
as dtrace(1M) writes them to stderr.
"""

from __future__ import annotations

import functools
import gc
import heapq
import re
import sys
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from pcapprobe._fastpath import OutputHold
from pcapprobe.dlang import ast
from pcapprobe.dlang import options as options_lib
from pcapprobe.dlang import types as ty
from pcapprobe.dlang.diagnostics import (
    D_DECL_ARRSUB,
    D_DECL_IDRED,
    D_DECL_INCOMPLETE,
    D_DECL_TYPE,
    D_DECL_TYPERED,
    D_DECL_VOIDOBJ,
    D_EMPTY,
    D_MACRO_UNUSED,
    D_NOREG,
    D_OP_INCOMPAT,
    D_PDESC_INVAL,
    D_PDESC_ZERO,
    D_PRAGMA_MALFORM,
    D_PRAGMA_OPTSET,
    D_XLATE_MEMB,
    D_XLATE_REDECL,
    D_XLATE_SOU,
    DCompileError,
    error,
)
from pcapprobe.dlang.lexer import tokenize
from pcapprobe.dlang.parser import parse
from pcapprobe.dlang.passes import native
from pcapprobe.dlang.passes import probes as probe_pass
from pcapprobe.dlang.passes.compile import ClauseCompiler, Env, const_wrap
from pcapprobe.dlang.passes.semantic import (
    BUILTIN_ARRAYS,
    BUILTIN_VARIABLES,
    AggInfo,
    ArrayInfo,
    Inline,
    RecordType,
    Symbols,
    Translator,
)
from pcapprobe.dlang.runtime import builtins, context, printf, trace
from pcapprobe.dlang.runtime import printa as printa_lib
from pcapprobe.dlang.runtime.aggregations import AggSpace, Aggregation, record_size
from pcapprobe.dlang.source import Source, Span
from pcapprobe import jsonfmt
from pcapprobe.dlang.tokens import T
from pcapprobe.probes.catalog import Probe

Fire = Callable[[int, tuple, Hashable], None]

# Options the engine reads as on/off: on unless given as "no", "off", ...
BOOLEAN_OPTIONS = frozenset(
    """quiet flowindent aggsortkey aggsortrev aggpercpu aggzoom defaultargs
    destructive errtags rawbytes zdefs temporal stackindent quietresize
    empty argref cpp knodefs unodefs nolibs pspec verbose""".split()
)
# next_tick_ns when no profile tick is pending: later than any capture time.
NEVER = 1 << 127
# Virtual clock bound for runs without a capture that never call exit().
VIRTUAL_LIMIT_NS = 3_600 * 1_000_000_000


def option_value(name: str, value: str | bool | None) -> Any:
    """An option's value as the engine keeps it (options.parse_option; the
    on/off ones as bools); raise KeyError for an unknown name and
    BadOptionValue for a value dtrace refuses."""
    parsed = options_lib.parse_option(name, value)
    if name in BOOLEAN_OPTIONS:
        return parsed is not options_lib.UNSET and parsed is not False
    return parsed


def option_error(exc: Exception) -> str:
    """dtrace_errmsg() of a failed dtrace_setopt()."""
    return exc.message if isinstance(exc, options_lib.BadOptionValue) else "Invalid option name"


def output_type(t: ty.DType, strsize: int) -> printf.DType:
    """The output library's type for one of ours (a string's record is
    strsize bytes)."""
    if t.kind == "int":
        known = printf.DTYPES.get(t.name)
        if known is not None:
            return known
        return printf.DType("int", t.size, t.signed, t.name)
    if t.kind == "string":
        return printf.STRING if strsize == printf.STRING.size else printf.DType("string", strsize, False, "string")
    if t.kind in ("ptr", "null"):
        return printf.DType("pointer", 8, False, t.name)
    return printf.DType("other", 0, False, t.name)


@dataclass(slots=True)
class Enabling:
    """One clause compiled for one probe: an ECB in DTrace's terms."""

    epid: int
    probe: Probe
    fire: Any
    uses_this: bool
    members: dict[int, frozenset[str] | None]
    clause: ast.Clause  # what passes.native compiles again
    source: Source


# The names of the generated code that differ per enabled probe (probe_names).
PROBE_NAMES = ("_PROBE", "_EPID", "_ID", "_PROV", "_MOD", "_FUNC", "_NAME", "_PREFIX")

# How long before the first packet pcapprobe's notional boot happened.
BOOT_LEAD_NS = 1_000_000


class RuntimeState:
    """The mutable state generated clause code reaches through ``ST``."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.sync_quiet()
        self.header_done = False
        self.exited = False
        self.cooldown = False  # END is firing
        self.status = 0

    def sync_quiet(self) -> None:
        """``quiet`` from the options; JSON records carry no probe columns, so
        --format json is always quiet."""
        self.quiet = bool(self.program.options.get("quiet")) or self.program.json

    def record(self, write: Callable[[str], Any], prefix: str) -> None:
        if not self.header_done:
            self.header_done = True
            write(trace.probe_header())
        write(prefix)

    def exit(self, status: int) -> None:
        if self.cooldown:
            # dtrace_probe: an exit() in END (COOLDOWN) sets the status anew
            self.status = status & 0xFF
            return
        if not self.exited:
            self.exited = True
            self.program.next_tick_ns = -1  # the packet loop looks at once
            self.status = status & 0xFF if status >= 0 else status & 0xFF

    def drop(self, kind: str = "principal", n: int = 1) -> None:
        """Count what a buffer had no room for; reported at the next status time."""
        self.program.drop(kind, n)

    def setopt(self, name: str, value: str | None) -> None:
        try:
            self.program.options[name] = option_value(name, value)
        except (KeyError, ValueError) as exc:
            # setopt() of an unknown option or a bad value only warns in dtrace(1M).
            self.program.flush()
            self.program.err.write(f"pcapprobe: couldn't set option \"{name}\" to \"{value or ''}\": {option_error(exc)}\n")
            return
        if name == "quiet":
            self.sync_quiet()

    def trunc(self, agg: Aggregation, n: int) -> None:
        # dt_trunc walks by value (dtrace_aggregate_walk_val[rev]sorted), whose
        # qsort honours aggsortrev and aggsortkeypos like printa's: under
        # aggsortrev, trunc(@, n) keeps the n *smallest* (and -n the largest).
        opts = self.program.sort_options()
        if opts.aggsortrev:
            n = -n
        agg.trunc(n, key_order=lambda k: agg.key_sort_key(k, opts.aggsortkeypos))

    def printa(self, aggs: tuple[Aggregation, ...], fmt: Any) -> str:
        if self.program.json:
            return printa_lib.printa_json(aggs, self.program.sort_options())
        return printa_lib.printa_text(aggs, fmt, self.program.sort_options())

    def fault(self, exc: BaseException, epid: int, action: int, probe: Probe, ts: int) -> None:
        self.program.fault(exc, epid, action, probe, ts)


class Program:
    """A compiled D program: the ``ProbeSink`` and the run's lifecycle."""

    def __init__(self, options: Mapping[str, Any], macro_args: Sequence[str], out: IO[str],
                 err: IO[str] | None, json: bool = False) -> None:
        self.json = json  # --format json: output as jsonfmt records
        self.options: dict[str, Any] = {}
        for name, value in options.items():
            try:
                self.options[name] = option_value(name, value)
            except (KeyError, ValueError) as exc:
                raise error(D_PRAGMA_OPTSET, f"failed to set -x {name}: {option_error(exc)}", None, None) from None
        self.macro_args = list(macro_args)
        self.out = out
        self.err = err if err is not None else sys.stderr
        self.table = probe_pass.ProbeTable()
        self.symbols = Symbols()
        self.enablings: dict[Probe, list[Enabling]] = {}
        self.all_enablings: list[Enabling] = []
        self.aggs: dict[str, Aggregation] = {}
        self.state = RuntimeState(self)
        # timestamp's origin (DTrace counts from boot; pcapprobe from a "boot"
        # one millisecond before the first packet (or before 0 on the virtual clock),
        # so no firing sees timestamp 0, which D arrays would read as unset):
        # a one-item list the clauses read.
        self.origin = [0]
        self.now = 0  # the latest time seen: END's timestamp
        self.names: dict[str, Any] = self.runtime_names()
        self.ticks: list[tuple[int, int, Probe]] = []
        # capture time at or after which advance() has something to do (a
        # profile tick is due, or exit() ran): the packet loop compares each
        # frame's time with it instead of calling advance() per frame
        self.next_tick_ns = 0
        # output held between flush()es while the pipeline feeds a batch of
        # frames (see hold_output): the generated code's W is its write, and
        # native programs append their text to it without making a str
        self.pending = OutputHold()
        self.clock_started = False
        self.in_error = False
        self.counter = [0]  # names generated constants uniquely across clauses
        self.notices: list[str] = []  # "matched N probes", see notice_matches
        self.natives: dict[Probe, Any] = {}  # native_handler's NativeProbes (or None)
        self.destructive: list[str] = []  # destructive actions the clauses use
        self.limits = options_lib.Limits.of(self.options)
        self.drops = context.Drops()
        self.drop_due = NEVER  # capture time of the next drop report (statusrate)

    # Compilation -------------------------------------------------------

    def runtime_names(self) -> dict[str, Any]:
        names: dict[str, Any] = {
            "ST": self.state,
            "T0": self.origin,
            "G": {},
            "S": {},
            "AGG": self.aggs,
            "W": self.out.write,
            "SPEC": context.Speculations(1, self.out.write),
            "FAULTS": (context.DFault, AttributeError, IndexError, TypeError, ZeroDivisionError),
            "DROPPED": printf.RecordDropped,
            "DYN": context.DynSpace(0, lambda: self.drop("dynamic")),
            "DIV": context.div,
            "BOUNDED": context.bounded,
            "MOD": context.mod,
            "STORE": context.store,
            "RECORD": context.Record,
            "BADADDR": context.bad_address,
            "XLATE": context.translate,
            "FIELD": context.Field,
            "STOREDEL": context.store_or_delete,
            "POST": context.post,
            "POSTDEL": context.post_or_delete,
            "ARG": context.arg,
            "EXECNAME": context.execname,
            "ADDR": context.address,
            "BYTE": context.byte_at,
            "STRINGOF": builtins.stringof,
            "TRACE": self.trace_text,
            "TRACEMEM": self.tracemem_text,
            "TRACEMEM_BYTES": self.tracemem_bytes,
            "JSON_PRINTF": jsonfmt.printf_record,
            "JSON_VALUE": jsonfmt.value_record,
        }
        for name, value in vars(builtins).items():
            if callable(value) and not name.startswith("_") and not isinstance(value, type):
                names[f"SUB_{name}"] = value
        names["SUB_strtok"] = builtins.Tokenizer()
        names["SUB_rand"] = builtins.Rand()
        return names

    def trace_text(self, value: Any, t: ty.DType, quiet: bool) -> str:
        if isinstance(value, context.Record):  # a struct or union: its bytes, as a hex dump
            return trace.bytes_text(bytes(value), 0, quiet, force_raw=True)
        if t.kind in ("ptr", "null") and not isinstance(value, int):
            value = context.address(value)
        return trace.trace_text(value, output_type(t, self.limits.strsize), quiet)

    @staticmethod
    def tracemem_bytes(data: Any, size: int) -> bytes:
        """The bytes tracemem(data, size) shows."""
        return bytes(data)[: max(size, 0)] if isinstance(data, (bytes, bytearray, memoryview)) else b""

    @staticmethod
    def tracemem_text(data: Any, size: int, quiet: bool) -> str:
        return trace.bytes_text(Program.tracemem_bytes(data, size), 0, quiet, force_raw=True)

    def compile_sources(self, sources: Sequence[Source]) -> None:
        try:
            self._compile_sources(sources)
        except DCompileError as exc:
            # Every error path (lexer, parser, pragmas, probes, clauses,
            # formats) is tagged under -x errtags, as dtrace does.
            exc.errtags = exc.errtags or bool(self.options.get("errtags"))
            raise

    def _compile_sources(self, sources: Sequence[Source]) -> None:
        type_names = ty.type_names()
        parsed = [parse(source, type_names) for source in sources]
        for program in parsed:
            self.compile_pragmas(program)
        self.limits = options_lib.Limits.of(self.options)
        self.pending.limit = self.limits.bufsize
        self.agg_space = AggSpace(self.limits.aggsize, lambda: self.drop("aggregation"))
        self.names["SPEC"] = context.Speculations(self.limits.nspec, self.out.write, self.limits.specsize, self.drop)
        self.bind_strsize(self.limits.strsize)
        for program in parsed:
            self.check_macro_arguments(program.source)
            before = len(self.all_enablings)
            for item in program.items:
                self.compile_item(program.source, item)
            self.check_not_empty(program)  # after its declarations, as dt_compile
            self.notice_matches(program.source, len(self.all_enablings) - before)
        self.names["DYN"].limit = self.dynamic_variables()

    def bind_strsize(self, strsize: int) -> None:
        """What cuts strings to strsize at run time (compile.py's CUT), and
        the subroutines whose results strsize bounds."""
        self.names["CUT"] = functools.partial(builtins.cut, size=strsize)
        self.names["SUB_strjoin"] = functools.partial(builtins.strjoin, size=strsize)
        self.names["SUB_substr"] = functools.partial(builtins.substr, size=strsize)

    def dynamic_variables(self) -> int:
        """How many dynamic variables dynvarsize holds: as many chunks as
        fit, each the size of the program's largest dynamic variable."""
        sym, strsize = self.symbols, self.limits.strsize
        sizes = [context.dynvar_size(["int"], t.kind, strsize) for t in sym.self_vars.values()]
        sizes += [context.dynvar_size(["int", *(k.kind for k in a.keys)], a.value.kind, strsize)
                  for a in sym.self_arrays.values()]
        sizes += [context.dynvar_size([k.kind for k in a.keys], a.value.kind, strsize) for a in sym.arrays.values()]
        return self.limits.dynvarsize // max(sizes, default=1)

    def fail(self, code: str, message: str, source: Source, span: Span | None) -> DCompileError:
        err = error(code, message, source, span)
        err.errtags = bool(self.options.get("errtags"))
        return err

    def check_macro_arguments(self, source: Source) -> None:
        """dt_compile: the last macro argument must be referenced ($N or $$N)
        by every program compiled with it, unless -x argref (D_MACRO_UNUSED);
        a misspelt capture name would otherwise run on no traffic."""
        count = len(self.macro_args)
        if count == 0 or self.options.get("argref"):
            return
        last = str(count)
        for token in tokenize(source, ty.type_names()):
            if token.kind is T.MACRO and token.value[1] == last:  # type: ignore[index]
                return
            if token.kind is T.PSPEC and re.search(rf"\$\$?{last}(?![0-9])", token.text):
                return
        end = len(source.text)
        raise self.fail(D_MACRO_UNUSED, f"extraneous argument '{self.macro_args[-1]}' (${last} is not referenced)",
                        source, Span(end, end))

    def check_not_empty(self, program: ast.Program) -> None:
        """dt_compile: a translation unit without a clause or an inline (only
        comments, pragmas or declarations) is D_EMPTY, unless -x empty."""
        if self.options.get("empty"):
            return
        if any(isinstance(item, (ast.Clause, ast.InlineDecl)) for item in program.items):
            return
        source = program.source
        end = len(source.text)
        raise self.fail(D_EMPTY, "empty D program translation unit", source, Span(end, end))

    def compile_pragmas(self, program: ast.Program) -> None:
        for item in program.items:
            if not isinstance(item, ast.Pragma):
                continue
            words = item.words
            if len(words) >= 1 and words[0] != "D":
                continue  # "#pragma ident" and other non-D pragmas are ignored
            if len(words) < 2:
                raise self.fail(D_PRAGMA_MALFORM, "malformed #pragma D directive", program.source, item.span)
            if words[1] != "option":
                continue  # depends_on, attributes, binding: no meaning here
            if len(words) != 3:
                raise self.fail(D_PRAGMA_MALFORM, "#pragma D option requires exactly one argument", program.source, item.span)
            name, _, value = words[2].partition("=")
            try:
                self.options[name] = option_value(name, value if "=" in words[2] else None)
            except (KeyError, ValueError) as exc:
                raise self.fail(D_PRAGMA_OPTSET, f"failed to set option '{name}': {option_error(exc)}", program.source, item.span) from None
        self.state.sync_quiet()

    def compile_item(self, source: Source, item: ast.Node) -> None:
        if isinstance(item, ast.Clause):
            self.compile_clause(source, item)
        elif isinstance(item, ast.InlineDecl):
            self.declare_inline(source, item)
        elif isinstance(item, ast.VarDecl):
            self.declare_variable(source, item)
        elif isinstance(item, ast.EnumDecl):
            self.declare_enum(source, item)
        elif isinstance(item, ast.TypedefDecl):
            self.declare_typedef(source, item)
        elif isinstance(item, ast.StructDecl):
            self.declare_record(source, item)
        elif isinstance(item, ast.TranslatorDecl):
            self.declare_translator(source, item)

    def declare_translator(self, source: Source, item: ast.TranslatorDecl) -> None:
        """dt_node_xlator: the output must be a struct or union, the pair
        new, each member one of the output's; the members' expressions are
        compiled now (with the input bound to the parameter) for their errors."""
        sym = self.symbols
        output = sym.named(item.output.base, item.output.pointers)
        if output is None and item.output.base.split()[0] in ("struct", "union"):
            raise self.fail(D_XLATE_SOU, f"incomplete struct/union/enum {item.output.base}", source, item.output.span)
        if output is None:
            raise self.fail(D_DECL_TYPE, f"undefined type name: {item.output.base}", source, item.output.span)
        input_type = sym.named(item.input.base, item.input.pointers)
        if input_type is None:
            raise self.fail(D_DECL_TYPE, f"undefined type name: {item.input.base}", source, item.input.span)
        key = (input_type.name, output.name)
        if key in sym.translators:
            raise self.fail(D_XLATE_REDECL, f"translator from {input_type} to {output} has already been declared",
                            source, item.span)
        record = sym.records.get(output.struct or "") if output.kind == "struct" else None
        if record is None:
            raise self.fail(D_XLATE_SOU, "translator output type must be a struct or union", source, item.span)
        compiler = ClauseCompiler(self.env(source), ast.Clause(item.span, (), None, ()), probe_pass.DTRACE_PROBES[0])
        compiler.bindings[item.param] = ("None", input_type)
        members: dict[str, ast.Node] = {}
        for name, expr, span in item.members:
            if name not in record.members:
                raise self.fail(D_XLATE_MEMB, f"translator member {name} is not a member of {output}", source, span)
            compiler.expr(expr)
            members[name] = expr
        sym.translators[key] = Translator(input_type, output, item.param, members)

    def declare_record(self, source: Source, item: ast.StructDecl) -> None:
        """dt_decl_member and ctf_add_struct/union: the members in order at
        C's LP64 offsets (a union's all at 0); a char array member is a
        string of that many bytes."""
        name = f"{item.kind} {item.tag}"
        sym = self.symbols
        if name in sym.records:
            raise self.fail(D_DECL_TYPERED, f"type redeclared: {name}", source, item.span)
        compiler = ClauseCompiler(self.env(source), ast.Clause(item.span, (), None, ()), probe_pass.DTRACE_PROBES[0])
        members: dict[str, tuple[ty.DType, int, int]] = {}
        offset = size = 0
        align = 1
        for member in item.members:
            t = sym.named(member.type.base, member.type.pointers)
            if t is None:
                raise self.fail(D_DECL_INCOMPLETE, f"incomplete struct/union/enum {member.type.base}: {member.name}",
                                source, member.span)
            if t.kind == "void":
                raise self.fail(D_DECL_VOIDOBJ, f"cannot have void member: {member.name}", source, member.span)
            msize, malign = compiler.layout(t)
            if member.dimension is not None:
                count = compiler.const_eval(member.dimension)
                if count is None or count <= 0:
                    raise self.fail(D_DECL_ARRSUB, "positive integral constant expression or tuple signature "
                                    "expected as array declaration subscript", source, member.span)
                msize *= count
                char = t.kind == "int" and t.size == 1
                t = ty.DType("string" if char else "other", f"{t.name} [{count}]", msize, target=t)
            if member.name in members:
                raise self.fail(D_DECL_IDRED, f"identifier redeclared: {member.name}", source, member.span)
            at = 0 if item.kind == "union" else (offset + malign - 1) // malign * malign
            members[member.name] = (t, at, msize)
            offset = at + msize
            size = max(size, offset)
            align = max(align, malign)
        size = (size + align - 1) // align * align
        sym.records[name] = RecordType(name, members, size, align)
        sym.types[name] = ty.DType("struct", name, size, False, struct=name)

    def declare_enum(self, source: Source, item: ast.EnumDecl) -> None:
        """dt_decl_enum/dt_decl_enumerator: the tag names a 4-byte signed
        integer type; each enumerator is a constant of it, a new identifier."""
        sym = self.symbols
        t = ty.INT
        if item.tag:
            t = ty.integer(f"enum {item.tag}", 4, True)
            if t.name in sym.types:
                raise self.fail(D_DECL_TYPERED, f"type redeclared: {t.name}", source, item.span)
            sym.types[t.name] = t
        for name, value, span in zip(item.names, item.values, item.spans):
            if sym.is_declared(name):
                raise self.fail(D_DECL_IDRED, f"identifier redeclared: {name}", source, span)
            sym.inlines[name] = Inline(t, value)

    def declare_typedef(self, source: Source, item: ast.TypedefDecl) -> None:
        """dt_node_decl for typedef: a new name for a known type."""
        t = self.symbols.named(item.type.base, item.type.pointers)
        if t is None:
            raise self.fail(D_DECL_TYPE, f"undefined type name: {item.type.base}", source, item.type.span)
        if item.name in self.symbols.types or ty.named(item.name) is not None:
            raise self.fail(D_DECL_IDRED, f"typedef redeclared: {item.name}", source, item.span)
        self.symbols.types[item.name] = t

    def env(self, source: Source) -> Env:
        def make_format(text: str, arg_types: list[ty.DType], func: str, node: ast.Node) -> Any:
            return self.make_format(source, text, arg_types, func, node)

        return Env(source, self.symbols, self.macro_args, self.options, self.names, make_format,
                   self.make_aggregation, self.counter, self.destructive, json=self.json,
                   strsize=self.limits.strsize)

    def declare_inline(self, source: Source, item: ast.InlineDecl) -> None:
        t = self.symbols.named(item.type.base, item.type.pointers)
        if t is None:
            raise self.fail(D_DECL_TYPE, f"undefined type name: {item.type.base}", source, item.type.span)
        if self.symbols.is_declared(item.name):
            # dt_node_inline: "previous" names the identifier's kind, then
            # "inline" when it is one (else nothing, after the space)
            sym = self.symbols
            kind = "array" if item.name in sym.arrays or item.name in BUILTIN_ARRAYS else "scalar"
            what = "inline" if item.name in sym.inlines else ""
            raise self.fail(D_DECL_IDRED, f"identifier redefined: {item.name}\n\t current: inline definition\n"
                            f"\tprevious: {kind} {what}", source, item.span)
        compiler = ClauseCompiler(self.env(source), ast.Clause(item.span, (), None, ()), probe_pass.DTRACE_PROBES[0])
        params = None
        if item.params is not None:
            params = []
            for param_type, param in item.params:
                pt = self.symbols.named(param_type.base, param_type.pointers)
                if pt is None:
                    raise self.fail(D_DECL_TYPE, f"undefined type name: {param_type.base}", source, param_type.span)
                params.append((pt, param))
                compiler.bindings[param] = (compiler.zero(pt), pt)
        try:
            code, vt = compiler.expr(item.value)
        except RecursionError:
            raise self.fail(D_NOREG, "Insufficient registers to generate code", source, item.span) from None
        if not compiler.assignable(t, vt):
            raise self.fail(D_OP_INCOMPAT, f'inline {item.name} definition uses incompatible types: "{t}" = "{vt}"', source, item.span)
        if params is not None:  # an inline array: its expression, once per use
            self.symbols.inlines[item.name] = Inline(t, None, item.value, tuple(params))
            return
        value = self.constant_value(item.value, code, t)
        self.symbols.inlines[item.name] = Inline(t, value, item.value if value is None else None)

    def constant_value(self, node: ast.Node, code: str, t: ty.DType) -> int | str | None:
        """The value of an inline whose definition is a constant expression
        (literals, other constant inlines, operators), computed once with
        the code clauses would run: an inline naming it then costs one level,
        so a chain of 1,000 inlines compiles like one.  None otherwise."""
        if not self.is_constant(node) or t.kind not in ("int", "string"):
            return None
        try:
            value = eval(code, dict(self.names))  # noqa: S307 - our own generated code
        except (context.DFault, ArithmeticError):
            return None  # e.g. 1 / 0: left to fault where it is used
        if t.kind == "int" and isinstance(value, int):
            return const_wrap(value, t)
        return value if t.kind == "string" and isinstance(value, str) else None

    def is_constant(self, node: ast.Node) -> bool:
        if isinstance(node, (ast.IntLit, ast.StrLit, ast.Sizeof)):
            return True
        if isinstance(node, ast.Ident):
            inline = self.symbols.inlines.get(node.name)
            return inline is not None and inline.value is not None
        if isinstance(node, ast.Unary):
            return node.op not in ("*", "&") and self.is_constant(node.operand)
        if isinstance(node, ast.Cast):
            return self.is_constant(node.operand)
        if isinstance(node, ast.Binary):
            return self.is_constant(node.left) and self.is_constant(node.right)
        if isinstance(node, ast.Ternary):
            return self.is_constant(node.cond) and self.is_constant(node.then) and self.is_constant(node.other)
        return False

    def declare_variable(self, source: Source, item: ast.VarDecl) -> None:
        t = self.symbols.named(item.type.base, item.type.pointers)
        if t is None:
            raise self.fail(D_DECL_TYPE, f"undefined type name: {item.type.base}", source, item.type.span)
        sym = self.symbols
        keys = []
        for k in item.key_types or ():
            kt = self.symbols.named(k.base, k.pointers)
            if kt is None:
                raise self.fail(D_DECL_TYPE, f"undefined type name: {k.base}", source, k.span)
            keys.append(kt)
        if item.scope == "self" and item.key_types is not None:
            if item.name in sym.self_vars or item.name in sym.self_arrays:
                raise self.fail(D_DECL_IDRED, f"identifier redeclared: {item.name}", source, item.span)
            sym.self_arrays[item.name] = ArrayInfo(tuple(keys), t)
            return
        if item.scope != "global":
            table = sym.self_vars if item.scope == "self" else sym.this_vars
            table[item.name] = t
            return
        if item.name in BUILTIN_VARIABLES or item.name in BUILTIN_ARRAYS:
            raise self.fail(D_DECL_IDRED, f"built-in identifier redeclared: {item.name}", source, item.span)
        previous = self.previous_declaration(item.name)
        current = ("array" if item.key_types is not None or item.dimension is not None else "scalar", t)
        if previous is not None:
            # dt_node_decl: the same declaration again is accepted
            if previous[0] == current[0] and str(previous[1]) == str(t) and (
                    item.key_types is None or tuple(map(str, sym.arrays[item.name].keys)) == tuple(map(str, keys))):
                return
            raise self.fail(D_DECL_IDRED, f"identifier redeclared: {item.name}\n\t current: {current[0]} {t}\n"
                            f"\tprevious: {previous[0]} {previous[1]}", source, item.span)
        if item.dimension is not None:
            size = self.array_dimension(source, item)
            sym.arrays[item.name] = ArrayInfo((ty.INT64,), t, size)
            self.names[f"A_{item.name}"] = {}
        elif item.key_types is not None:
            sym.arrays[item.name] = ArrayInfo(tuple(keys), t)
            self.names[f"A_{item.name}"] = {}
        else:
            sym.globals[item.name] = t
            record = sym.records.get(t.struct or "") if t.kind == "struct" and not item.type.pointers else None
            self.names["G"][item.name] = context.Record(record.size) if record else ("" if t.is_string else 0)

    def array_dimension(self, source: Source, item: ast.VarDecl) -> int:
        """The element count of ``int a[N];``: a positive integer constant."""
        compiler = ClauseCompiler(self.env(source), ast.Clause(item.span, (), None, ()), probe_pass.DTRACE_PROBES[0])
        size = compiler.const_eval(item.dimension) if item.dimension is not None else None
        if size is None or size <= 0:
            raise self.fail(D_DECL_ARRSUB, f"positive integral constant expression or tuple signature expected as "
                            f"array declaration subscript", source, item.span)
        return size

    def previous_declaration(self, name: str) -> tuple[str, ty.DType] | None:
        """(identifier kind, type) of a global name declared before, if any."""
        sym = self.symbols
        if name in sym.globals:
            return "scalar", sym.globals[name]
        if name in sym.arrays:
            return "array", sym.arrays[name].value
        if name in sym.inlines:
            return "scalar", sym.inlines[name].type
        return None

    def compile_clause(self, source: Source, clause: ast.Clause) -> None:
        matched: list[Probe] = []
        for desc_node in clause.probes:
            desc = probe_pass.parse_description(desc_node.text)
            if desc is None:
                raise self.fail(D_PDESC_INVAL, f"invalid probe description \"{desc_node.text}\": Overspecified probe description", source, desc_node.span)
            found = self.table.match(desc)
            if not found and not self.options.get("zdefs"):
                raise self.fail(D_PDESC_ZERO, f"probe description {desc} does not match any probes", source, desc_node.span)
            matched.extend(p for p in found if p not in matched)
        env = self.env(source)
        compiled: dict[tuple, tuple[Any, bool, dict[int, frozenset[str] | None]]] = {}
        for probe in matched:
            signature = probe.args
            if signature not in compiled:
                try:
                    code = ClauseCompiler(env, clause, probe).compile()
                    code_object = compile(self.factory_text(code.text), f"<D clause {source.name}>", "exec")
                except (RecursionError, SyntaxError, MemoryError):
                    # an expression too deep for the passes or for Python's
                    # compiler (nested parentheses): dtrace's EDT_NOREG
                    raise self.fail(D_NOREG, "Insufficient registers to generate code", source, clause.span) from None
                exec(code_object, self.names)  # noqa: S102 - our own generated code
                compiled[signature] = (self.names.pop("make_fire"), code.uses_this, code.members)
            make_fire, uses_this, members = compiled[signature]
            epid = len(self.all_enablings) + 1
            enabling = Enabling(epid, probe, make_fire(**self.probe_names(probe, epid)), uses_this, members,
                                clause, source)
            self.all_enablings.append(enabling)
            self.enablings.setdefault(probe, []).append(enabling)
            if probe in self.table.intervals and not any(p is probe for _, _, p in self.ticks):
                self.ticks.append((self.table.intervals[probe], len(self.ticks), probe))

    @staticmethod
    def factory_text(fire_text: str) -> str:
        """A clause's ``fire`` inside a function of what differs per enabled
        probe, run once per probe: every clause shares the program's
        namespace (one per clause made compiling n clauses cost n**2)."""
        body = "".join("    " + line + "\n" for line in fire_text.rstrip("\n").split("\n"))
        return f"def make_fire({', '.join(PROBE_NAMES)}):\n{body}    return fire\n"

    def probe_names(self, probe: Probe, epid: int) -> dict[str, Any]:
        probe_id = self.table.ids[probe]
        return {
            "_PROBE": probe,
            "_EPID": epid,
            "_ID": probe_id,
            "_PROV": probe.provider,
            "_MOD": probe.module,
            "_FUNC": probe.function,
            "_NAME": probe.name,
            "_PREFIX": trace.probe_prefix(0, probe_id, probe.function, probe.name),
        }

    def make_format(self, source: Source, text: str, arg_types: list[ty.DType], func: str, node: ast.Node) -> Any:
        try:
            fmt = printf.compile_format(text)
            # No leniency: an integer under %s is D_PRINTF_ARG_TYPE and an extra
            # printf() argument D_PRINTF_ARG_EXTRA, as in Solaris (so the guide's
            # iscsixfer.d and iscsixfersnoop.d fail to compile, as they do there).
            types = [output_type(t, self.limits.strsize) for t in arg_types]
            if func.startswith("printa:"):
                bound = fmt.bind(types, "printa", aggregation=func.split(":", 1)[1])
            else:
                bound = fmt.bind(types, func)
            bound.limit = self.limits.bufsize
        except printf.FormatError as exc:
            err = error(exc.tag, exc.message, source, node.span)
            err.errtags = bool(self.options.get("errtags"))
            raise err from None
        return bound

    def make_aggregation(self, info: AggInfo) -> Any:
        key_types = [output_type(k, self.limits.strsize) for k in info.keys]
        record = record_size(info.func, info.params, key_types, self.limits.strsize)
        agg = Aggregation(info.name, info.func, info.params, key_types, varid=info.index,
                          space=self.agg_space, record=record)
        self.aggs[info.name] = agg
        return agg.update

    def notice_matches(self, source: Source, count: int) -> None:
        """Queue dtrace's "matched N probes" notice; ``compile_program`` writes
        the queue once every program has compiled (dtrace.c exec_prog), unless
        told not to (``dtrace -e`` skips it)."""
        if self.options.get("quiet"):
            return
        what = "script" if source.kind == "script" else "description"
        # dtrace.c compile_str crops a -n program at its first '{', '/' or ';'
        name = source.name if source.kind == "script" else re.split(r"[{/;]", source.text, maxsplit=1)[0]
        self.notices.append(f"pcapprobe: {what} '{name}' matched {count} probe{'s' if count != 1 else ''}\n")

    def write_notices(self) -> None:
        for notice in self.notices:
            self.err.write(notice)
        self.notices.clear()

    # Runtime ------------------------------------------------------------

    def handler(self, probe: Probe) -> Fire | None:
        """ProbeSink: the function to call per firing of ``probe``, or None."""
        enablings = self.enablings.get(probe)
        if not enablings:
            return None
        if len(enablings) == 1:
            return enablings[0].fire  # type: ignore[no-any-return]
        fires = tuple(e.fire for e in enablings)
        shared = any(e.uses_this for e in enablings)

        def fire_all(ts: int, args: tuple, thread: Hashable) -> None:
            this: dict[str, Any] | None = {} if shared else None
            for fire in fires:
                fire(ts, args, thread, this)

        return fire_all

    def native_handler(self, probe: Probe) -> Any:
        """The enabled clauses of ``probe`` as one ``NativeProbe`` (run in C,
        also callable as the handler is), or None when the probe is not
        enabled or some clause uses D outside the native subset
        (passes/native.py)."""
        if probe not in self.natives:
            enablings = self.enablings.get(probe)
            if self.json:  # native programs print text; JSON records are made here
                enablings = None
            self.natives[probe] = native.compile_probe(self, probe, enablings) if enablings else None
        return self.natives[probe]

    def members_read(self, probe: Probe, arg: int | None = None) -> frozenset[str] | None:
        """The members the enabled clauses of ``probe`` read through
        ``args[N]->member`` (top-level members, of args[``arg``] only when
        given); None when unknown, i.e. some clause uses the argument whole
        (passes, compares or dereferences ``args[N]`` itself), so a provider
        must fill in everything.  Empty when the probe is not enabled."""
        names: set[str] = set()
        for enabling in self.enablings.get(probe, ()):
            for n, read in enabling.members.items():
                if arg is not None and n != arg:
                    continue
                if read is None:
                    return None
                names |= read
        return frozenset(names)

    @property
    def exited(self) -> bool:
        return self.state.exited

    def hold_output(self, hold: bool = True) -> None:
        """While held, D output collects in ``pending`` until ``flush()`` (the
        pipeline flushes after each frame), saving a write per printf();
        releasing flushes.  Anything the engine writes to stderr flushes first,
        so the two streams stay in order."""
        write = self.pending.write if hold else self.out.write
        if not hold:
            self.flush()
        self.names["W"] = write
        self.names["SPEC"].write = write

    def flush(self) -> None:
        """Write the held output."""
        pending = self.pending
        if pending:
            self.out.write(pending.take())

    def enable_error(self) -> str | None:
        """Why tracing cannot be enabled (dtrace_go), or None.  A destructive
        action needs -w (EDT_DESTRUCTIVE); with it, only chill() has a meaning
        on a capture (it delays nothing): the others have no process, kernel
        or shell to act on."""
        if not self.destructive:
            return None
        if not self.options.get("destructive"):
            return "could not enable tracing: Destructive actions not allowed"
        refused = [name for name in self.destructive if name != "chill"]
        if refused:
            return f"could not enable tracing: {refused[0]}( ) has nothing to act on in a capture"
        return None

    def fire_special(self, name: str, ts: int, args: tuple = ()) -> None:
        probe = next(p for p in probe_pass.DTRACE_PROBES if p.name == name)
        fire = self.handler(probe)
        if fire is not None:
            fire(ts, args, None)

    def begin(self, ts_ns: int) -> None:
        """Fire BEGIN and start the profile clocks at ``ts_ns``."""
        self.origin[0] = ts_ns - BOOT_LEAD_NS
        self.now = ts_ns
        self.ticks = [(ts_ns + interval, order, probe) for interval, order, probe in self.ticks]
        self.intervals = {probe: self.table.intervals[probe] for _, _, probe in self.ticks}
        heapq.heapify(self.ticks)
        self.clock_started = True
        self.drop_due = ts_ns + self.limits.statusrate
        self.next_tick_ns = self.next_deadline()
        self.fire_special("BEGIN", ts_ns)
        if self.state.exited:
            self.next_tick_ns = -1

    def advance(self, ts_ns: int) -> None:
        """Fire every profile tick due at or before ``ts_ns``, in time order."""
        ticks = self.ticks
        while ticks and ticks[0][0] <= ts_ns and not self.state.exited:
            when, order, probe = ticks[0]
            self.now = when
            heapq.heapreplace(ticks, (when + self.intervals[probe], order, probe))
            fire = self.handler(probe)
            if fire is not None:
                fire(when, (), None)
        if ts_ns > self.now and not self.state.exited:
            self.now = ts_ns
        if self.drops.pending and ts_ns >= self.drop_due:
            self.report_drops()
            rate = self.limits.statusrate
            self.drop_due = ts_ns + rate - (ts_ns - self.drop_due) % rate
        if self.state.exited:
            self.next_tick_ns = -1
        elif self.clock_started:
            self.next_tick_ns = self.next_deadline()

    def next_deadline(self) -> int:
        """The capture time advance() next has something to do at: a profile
        tick, or reporting drops at the next status time."""
        tick = self.ticks[0][0] if self.ticks else NEVER
        return min(tick, self.drop_due) if self.drops.pending else tick

    def drop(self, kind: str, n: int = 1) -> None:
        """Count a drop; dtrace reports drops at its status interval
        (statusrate, 1 Hz of capture time here), then at the end."""
        self.drops.add(kind, n)
        if self.next_tick_ns > self.drop_due:
            self.next_tick_ns = self.drop_due

    def report_drops(self) -> None:
        lines = self.drops.lines()
        if lines:
            self.flush()
            self.err.write("".join(f"pcapprobe: {line}" for line in lines))

    def run_without_capture(self, limit_ns: int = VIRTUAL_LIMIT_NS) -> None:
        """``run -s x.d`` with no capture: BEGIN, then ticks on a virtual clock
        from 0 until exit() (bounded by ``limit_ns``)."""
        self.begin(0)
        if self.state.exited:
            return
        if self.ticks:
            self.advance(limit_ns)
        if not self.state.exited:
            seconds = limit_ns // 1_000_000_000
            self.flush()
            self.err.write(
                f"pcapprobe: no capture given and exit() was not called: stopped after {seconds} s of virtual time\n"
            )

    def end(self) -> int:
        """Fire END, print the aggregations not yet printed; the exit status."""
        self.state.cooldown = True
        self.report_drops()
        self.fire_special("END", self.now)
        self.flush()
        self.report_drops()
        aggs = list(self.aggs.values())
        if self.json:
            self.out.write(printa_lib.unprinted_json(aggs, self.sort_options()))
            return self.state.status
        self.out.write("\n")
        self.out.write(printa_lib.print_unprinted(aggs, self.sort_options()))
        return self.state.status

    def sort_options(self) -> printa_lib.SortOptions:
        opts = self.options

        def number(name: str) -> int:
            try:
                return int(opts.get(name) or 0)
            except ValueError:
                return 0

        return printa_lib.SortOptions(
            bool(opts.get("aggsortkey")), bool(opts.get("aggsortrev")), number("aggsortpos"), number("aggsortkeypos")
        )

    def aggregations(self) -> dict[str, dict[tuple, object]]:
        return {name: agg.snapshot() for name, agg in self.aggs.items()}

    def fault(self, exc: BaseException, epid: int, action: int, probe: Probe, ts: int) -> None:
        """dt_handle_err's message, then the ERROR probe (never recursively)."""
        if isinstance(exc, context.DFault):
            fault = exc
        elif isinstance(exc, ZeroDivisionError):
            fault = context.DFault("divide-by-zero")
        else:
            fault = context.DFault("invalid address", 0)
        where = "predicate" if action == 0 else f"action #{action}"
        probe_id = self.table.ids[probe]
        self.flush()
        self.err.write(
            f"pcapprobe: error on enabled probe ID {epid} (ID {probe_id}: {probe.fullname}): "
            f"{fault.text()} in {where}\n"
        )
        if self.in_error:
            return
        self.in_error = True
        try:
            code = context.FAULT_CODES.get(fault.kind, 0)
            self.fire_special("ERROR", ts, (0, epid, action, -1, code, fault.address or 0))
        finally:
            self.in_error = False


def compile_program(
    sources: Sequence[Source],
    options: Mapping[str, Any] | None = None,
    macro_args: Sequence[str] = (),
    out: IO[str] | None = None,
    err: IO[str] | None = None,
    *,
    notices: bool = True,
    json: bool = False,
) -> Program:
    """Compile D sources (``-s``/``-n``, in command-line order) into a Program.

    ``options`` are dtrace's option names (``quiet``, ``zdefs`` for -Z,
    ``errtags``, ``aggsortkey``, ... as from ``-x``); raises ``DCompileError``.
    Unless quiet, dtrace's "matched N probes" notices go to ``err`` once every
    source has compiled; ``notices=False`` (``run -e``) leaves them out.
    ``json``: output as ``--format json`` records (README "Filters and
    output formats").
    """
    program = Program(options or {}, macro_args, out if out is not None else sys.stdout, err,
                      json)
    # Compiling makes many objects that live as long as the program (tokens,
    # AST, code): the cyclic collector would traverse them again and again
    # (a fifth of the time of a 1 MB script) and finds no garbage among them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        program.compile_sources(sources)
    finally:
        if collecting:
            gc.enable()
    if notices:  # dtrace -e (compile only) prints no "matched N probes"
        program.write_notices()
    return program
