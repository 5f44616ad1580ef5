"""The D engine: compile D sources into a ``Program`` that consumes firings.

``compile_program`` runs the passes in order (parse, probe matching, symbol
tables, per-clause code generation) and returns a ``Program``, which is the
pipeline's ``ProbeSink`` (docs/architecture.md "The D engine API").  Output
is written to ``out`` as it happens; notices and runtime errors go to ``err``
as dtrace(1M) writes them to stderr.
"""

from __future__ import annotations

import heapq
import sys
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from pcapprobe._fastpath import OutputHold
from pcapprobe.dlang import ast
from pcapprobe.dlang import types as ty
from pcapprobe.dlang.diagnostics import (
    D_DECL_IDRED,
    D_DECL_TYPE,
    D_NOREG,
    D_OP_INCOMPAT,
    D_PDESC_INVAL,
    D_PDESC_ZERO,
    D_PRAGMA_MALFORM,
    D_PRAGMA_OPTSET,
    DCompileError,
    error,
)
from pcapprobe.dlang.parser import parse
from pcapprobe.dlang.passes import native
from pcapprobe.dlang.passes import probes as probe_pass
from pcapprobe.dlang.passes.compile import ClauseCompiler, Env
from pcapprobe.dlang.passes.semantic import AggInfo, ArrayInfo, Inline, Symbols
from pcapprobe.dlang.runtime import builtins, context, printf, trace
from pcapprobe.dlang.runtime import printa as printa_lib
from pcapprobe.dlang.runtime.aggregations import Aggregation
from pcapprobe.dlang.source import Source, Span
from pcapprobe.probes.catalog import Probe

Fire = Callable[[int, tuple, Hashable], None]

# dtrace(1M) options: boolean ones are set by their name alone.
BOOLEAN_OPTIONS = frozenset(
    """quiet flowindent aggsortkey aggsortrev aggpercpu aggzoom defaultargs
    destructive errtags rawbytes zdefs temporal stackindent quietresize""".split()
)
VALUE_OPTIONS = frozenset(
    """aggrate aggsize bufpolicy bufresize bufsize cleanrate cpu dynvarsize
    jstackframes jstackstrsize nspec specsize stackframes strsize switchrate
    statusrate ustackframes aggsortpos aggsortkeypos version linkmode evaltime
    zone incdir define undef cpppath ctypes dtypes grabanon""".split()
)
# next_tick_ns when no profile tick is pending: later than any capture time.
NEVER = 1 << 127
# Virtual clock bound for runs without a capture that never call exit().
VIRTUAL_LIMIT_NS = 3_600 * 1_000_000_000


def option_value(name: str, value: str | bool | None) -> Any:
    """Normalize an option value; raise ValueError for an unknown name."""
    if name in BOOLEAN_OPTIONS:
        if value is None or value is True or value == "":
            return True
        if value is False:
            return False
        return str(value) not in ("0", "false", "no")
    if name in VALUE_OPTIONS:
        return value
    raise ValueError(name)


def output_type(t: ty.DType) -> printf.DType:
    """The output library's type for one of ours."""
    if t.kind == "int":
        known = printf.DTYPES.get(t.name)
        if known is not None:
            return known
        return printf.DType("int", t.size, t.signed, t.name)
    if t.kind == "string":
        return printf.STRING
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


# How long before the first packet pcapprobe's notional boot happened.
BOOT_LEAD_NS = 1_000_000


class RuntimeState:
    """The mutable state generated clause code reaches through ``ST``."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.quiet = bool(program.options.get("quiet"))
        self.header_done = False
        self.exited = False
        self.status = 0

    def record(self, write: Callable[[str], Any], prefix: str) -> None:
        if not self.header_done:
            self.header_done = True
            write(trace.probe_header())
        write(prefix)

    def exit(self, status: int) -> None:
        if not self.exited:
            self.exited = True
            self.program.next_tick_ns = -1  # the packet loop looks at once
            self.status = status & 0xFF if status >= 0 else status & 0xFF

    def setopt(self, name: str, value: str | None) -> None:
        try:
            self.program.options[name] = option_value(name, value)
        except ValueError:
            # setopt() of an unknown option only warns in dtrace(1M).
            self.program.flush()
            self.program.err.write(f"pcapprobe: couldn't set option \"{name}\" to \"{value or ''}\": Invalid option name\n")
            return
        if name == "quiet":
            self.quiet = bool(self.program.options["quiet"])

    def trunc(self, agg: Aggregation, n: int) -> None:
        # dt_trunc walks by value (dtrace_aggregate_walk_val[rev]sorted), whose
        # qsort honours aggsortrev and aggsortkeypos like printa's: under
        # aggsortrev, trunc(@, n) keeps the n *smallest* (and -n the largest).
        opts = self.program.sort_options()
        if opts.aggsortrev:
            n = -n
        agg.trunc(n, key_order=lambda k: agg.key_sort_key(k, opts.aggsortkeypos))

    def printa(self, aggs: tuple[Aggregation, ...], fmt: Any) -> str:
        return printa_lib.printa_text(aggs, fmt, self.program.sort_options())

    def fault(self, exc: BaseException, epid: int, action: int, probe: Probe, ts: int) -> None:
        self.program.fault(exc, epid, action, probe, ts)


class Program:
    """A compiled D program: the ``ProbeSink`` and the run's lifecycle."""

    def __init__(self, options: Mapping[str, Any], macro_args: Sequence[str], out: IO[str], err: IO[str] | None) -> None:
        self.options: dict[str, Any] = {}
        for name, value in options.items():
            try:
                self.options[name] = option_value(name, value)
            except ValueError:
                raise error(D_PRAGMA_OPTSET, f"failed to set -x {name}: Invalid option name", None, None) from None
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
        self.namespaces: list[dict[str, Any]] = []
        self.clock_started = False
        self.in_error = False
        self.counter = [0]  # names generated constants uniquely across clauses
        self.notices: list[str] = []  # "matched N probes", see notice_matches
        self.natives: dict[Probe, Any] = {}  # native_handler's NativeProbes (or None)

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
            "DIV": context.div,
            "MOD": context.mod,
            "STORE": context.store,
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
        }
        for name, value in vars(builtins).items():
            if callable(value) and not name.startswith("_") and not isinstance(value, type):
                names[f"SUB_{name}"] = value
        names["SUB_strtok"] = builtins.Tokenizer()
        names["SUB_rand"] = builtins.Rand()
        return names

    @staticmethod
    def trace_text(value: Any, t: ty.DType, quiet: bool) -> str:
        if t.kind in ("ptr", "null") and not isinstance(value, int):
            value = context.address(value)
        return trace.trace_text(value, output_type(t), quiet)

    @staticmethod
    def tracemem_text(data: Any, size: int, quiet: bool) -> str:
        raw = bytes(data)[: max(size, 0)] if isinstance(data, (bytes, bytearray, memoryview)) else b""
        return trace.bytes_text(raw, 0, quiet, force_raw=True)

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
        self.names["SPEC"] = context.Speculations(int(self.options.get("nspec") or 1), self.out.write)
        for program in parsed:
            before = len(self.all_enablings)
            for item in program.items:
                self.compile_item(program.source, item)
            self.notice_matches(program.source, len(self.all_enablings) - before)

    def fail(self, code: str, message: str, source: Source, span: Span | None) -> DCompileError:
        err = error(code, message, source, span)
        err.errtags = bool(self.options.get("errtags"))
        return err

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
            except ValueError:
                raise self.fail(D_PRAGMA_OPTSET, f"failed to set option '{name}': Invalid option name", program.source, item.span) from None
        self.state.quiet = bool(self.options.get("quiet"))

    def compile_item(self, source: Source, item: ast.Node) -> None:
        if isinstance(item, ast.Clause):
            self.compile_clause(source, item)
        elif isinstance(item, ast.InlineDecl):
            self.declare_inline(source, item)
        elif isinstance(item, ast.VarDecl):
            self.declare_variable(source, item)

    def env(self, source: Source) -> Env:
        def make_format(text: str, arg_types: list[ty.DType], func: str, node: ast.Node) -> Any:
            return self.make_format(source, text, arg_types, func, node)

        return Env(source, self.symbols, self.macro_args, self.options, self.names, make_format, self.make_aggregation, self.counter)

    def declare_inline(self, source: Source, item: ast.InlineDecl) -> None:
        t = ty.named(item.type.base, item.type.pointers)
        if t is None:
            raise self.fail(D_DECL_TYPE, f"undefined type name: {item.type.base}", source, item.type.span)
        if self.symbols.is_declared(item.name):
            raise self.fail(D_DECL_IDRED, f"identifier redeclared: {item.name}", source, item.span)
        compiler = ClauseCompiler(self.env(source), ast.Clause(item.span, (), None, ()), probe_pass.DTRACE_PROBES[0])
        _, vt = compiler.expr(item.value)
        if not compiler.assignable(t, vt):
            raise self.fail(D_OP_INCOMPAT, f'inline {item.name} definition uses incompatible types: "{t}" = "{vt}"', source, item.span)
        self.symbols.inlines[item.name] = Inline(t, None, item.value)

    def declare_variable(self, source: Source, item: ast.VarDecl) -> None:
        t = ty.named(item.type.base, item.type.pointers)
        if t is None:
            raise self.fail(D_DECL_TYPE, f"undefined type name: {item.type.base}", source, item.type.span)
        sym = self.symbols
        keys = []
        for k in item.key_types or ():
            kt = ty.named(k.base, k.pointers)
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
        if item.name in sym.globals or item.name in sym.arrays or item.name in sym.inlines:
            raise self.fail(D_DECL_IDRED, f"identifier redeclared: {item.name}", source, item.span)
        if item.key_types is not None:
            sym.arrays[item.name] = ArrayInfo(tuple(keys), t)
            self.names[f"A_{item.name}"] = {}
        else:
            sym.globals[item.name] = t
            self.names["G"][item.name] = "" if t.is_string else 0

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
                    code_object = compile(code.text, f"<D clause {source.name}>", "exec")
                except (RecursionError, SyntaxError, MemoryError):
                    # an expression too deep for the passes or for Python's
                    # compiler (nested parentheses): dtrace's EDT_NOREG
                    raise self.fail(D_NOREG, "Insufficient registers to generate code", source, clause.span) from None
                compiled[signature] = (code_object, code.uses_this, code.members)
            code_object, uses_this, members = compiled[signature]
            epid = len(self.all_enablings) + 1
            namespace = dict(self.names)
            namespace.update(self.probe_names(probe, epid))
            exec(code_object, namespace)  # noqa: S102 - our own generated code
            self.namespaces.append(namespace)
            enabling = Enabling(epid, probe, namespace["fire"], uses_this, members, clause, source)
            self.all_enablings.append(enabling)
            self.enablings.setdefault(probe, []).append(enabling)
            if probe in self.table.intervals and not any(p is probe for _, _, p in self.ticks):
                self.ticks.append((self.table.intervals[probe], len(self.ticks), probe))

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
            types = [output_type(t) for t in arg_types]
            if func.startswith("printa:"):
                bound = fmt.bind(types, "printa", aggregation=func.split(":", 1)[1])
            else:
                bound = fmt.bind(types, func)
        except printf.FormatError as exc:
            err = error(exc.tag, exc.message, source, node.span)
            err.errtags = bool(self.options.get("errtags"))
            raise err from None
        return bound

    def make_aggregation(self, info: AggInfo) -> Any:
        agg = Aggregation(info.name, info.func, info.params, [output_type(k) for k in info.keys], varid=info.index)
        self.aggs[info.name] = agg
        return agg.update

    def notice_matches(self, source: Source, count: int) -> None:
        """Queue dtrace's "matched N probes" notice; ``compile_program`` writes
        the queue once every program has compiled (dtrace.c exec_prog), unless
        told not to (``dtrace -e`` skips it)."""
        if self.options.get("quiet"):
            return
        what = "script" if source.kind == "script" else "description"
        name = source.name if source.kind == "script" else source.text
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
        for namespace in (self.names, *self.namespaces):
            namespace["W"] = write
        self.names["SPEC"].write = write

    def flush(self) -> None:
        """Write the held output."""
        pending = self.pending
        if pending:
            self.out.write(pending.take())

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
        self.next_tick_ns = self.ticks[0][0] if self.ticks else NEVER
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
        if self.state.exited:
            self.next_tick_ns = -1
        elif self.clock_started:
            self.next_tick_ns = ticks[0][0] if ticks else NEVER

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
        self.fire_special("END", self.now)
        self.flush()
        self.out.write("\n")
        self.out.write(printa_lib.print_unprinted(list(self.aggs.values()), self.sort_options()))
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
) -> Program:
    """Compile D sources (``-s``/``-n``, in command-line order) into a Program.

    ``options`` are dtrace's option names (``quiet``, ``zdefs`` for -Z,
    ``errtags``, ``aggsortkey``, ... as from ``-x``); raises ``DCompileError``.
    Unless quiet, dtrace's "matched N probes" notices go to ``err`` once every
    source has compiled; ``notices=False`` (``run -e``) leaves them out.
    """
    program = Program(options or {}, macro_args, out if out is not None else sys.stdout, err)
    program.compile_sources(sources)
    if notices:  # dtrace -e (compile only) prints no "matched N probes"
        program.write_notices()
    return program
