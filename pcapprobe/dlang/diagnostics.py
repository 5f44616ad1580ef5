"""D compile diagnostics, worded and tagged as libdtrace words them.

Tags are the ``D_*`` names of libdtrace's dt_errtags.h; they are printed only
under ``-x errtags``.  ``DCompileError.render()`` gives dtrace(1M)'s line:
``pcapprobe: failed to compile script x.d: [D_TAG] line N: message`` for
``-s`` scripts and ``pcapprobe: invalid probe specifier TEXT: ...`` for ``-n``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pcapprobe.dlang.source import Source, Span

# Stable diagnostic codes (libdtrace dt_errtags.h names) used by the engine.
D_SYNTAX = "D_SYNTAX"  # lexical or grammar error
D_IDENT_UNDEF = "D_IDENT_UNDEF"  # unknown variable or function
D_PDESC_ZERO = "D_PDESC_ZERO"  # probe description matches no probes
D_PDESC_INVAL = "D_PDESC_INVAL"  # malformed probe description
D_TYPE_MEMBER = "D_TYPE_MEMBER"  # no such member of a struct or union
D_XLATE_NOCONV = "D_XLATE_NOCONV"  # a member the argument's translator does not define
D_OP_PTR = "D_OP_PTR"  # -> applied to a non-pointer
D_OP_SOU = "D_OP_SOU"  # . or -> applied to something not a struct or union
D_OP_INCOMPAT = "D_OP_INCOMPAT"  # operand types do not go together
D_OP_ARITH = "D_OP_ARITH"  # arithmetic operator on a non-arithmetic operand
D_OP_INT = "D_OP_INT"  # integer operator on a non-integer operand
D_OP_LVAL = "D_OP_LVAL"  # assignment to something that is not an lvalue
D_OP_SCALAR = "D_OP_SCALAR"  # condition is not a scalar
D_ARGS_IDX = "D_ARGS_IDX"  # args[N] out of range
D_ARGS_TYPE = "D_ARGS_TYPE"  # args[] not available
D_PROTO_LEN = "D_PROTO_LEN"  # wrong number of arguments to a function
D_PROTO_ARG = "D_PROTO_ARG"  # argument of the wrong type
D_AGG_REDEF = "D_AGG_REDEF"  # aggregation used with two functions
D_AGG_FUNC = "D_AGG_FUNC"  # aggregation assigned a non-aggregating function
D_AGG_SCALAR = "D_AGG_SCALAR"  # aggregation used in an expression
D_AGG_NULL = "D_AGG_NULL"  # undefined aggregation in printa
D_PRINTF_FMT = "D_PRINTF_FMT"  # bad printf format
D_PRINTF_ARG_PROTO = "D_PRINTF_ARG_PROTO"  # printf argument count mismatch
D_PRINTF_ARG_TYPE = "D_PRINTF_ARG_TYPE"  # printf argument of the wrong type
D_PRAGMA_OPTSET = "D_PRAGMA_OPTSET"  # bad #pragma D option
D_PRAGMA_MALFORM = "D_PRAGMA_MALFORM"  # malformed #pragma
D_MACRO_UNDEF = "D_MACRO_UNDEF"  # $N not given on the command line
D_DECL_IDRED = "D_DECL_IDRED"  # identifier redeclared
D_DECL_TYPE = "D_DECL_TYPE"  # unknown type name
D_CAST_INVAL = "D_CAST_INVAL"  # invalid cast
D_SIZEOF_TYPE = "D_SIZEOF_TYPE"  # sizeof of an unsized type
D_ACT_SPEC = "D_ACT_SPEC"  # destructive action after speculate()
# the order of a clause's speculation actions (dt_cc.c dt_stmt_append)
D_SPEC_SPEC = "D_SPEC_SPEC"  # speculate() after speculate()
D_SPEC_COMM = "D_SPEC_COMM"  # speculate() after commit()
D_SPEC_DREC = "D_SPEC_DREC"  # speculate() after data-recording actions
D_AGG_SPEC = "D_AGG_SPEC"  # aggregation after speculate()
D_EXIT_SPEC = "D_EXIT_SPEC"  # exit() after speculate()
D_COMM_COMM = "D_COMM_COMM"  # commit() after commit()
D_COMM_DREC = "D_COMM_DREC"  # commit() after data-recording actions
D_AGG_COMM = "D_AGG_COMM"  # aggregation after commit()
D_DREC_COMM = "D_DREC_COMM"  # data-recording action after commit()
D_TYPE_ERR = "D_TYPE_ERR"  # unknown type
D_NOREG = "D_NOREG"  # expression too complex to generate code for (EDT_NOREG)
# llquantize() parameters (dt_cc.c dt_compile_agg), per argument #1-#4:
# D_LLQUANT_{FACTOR,LOW,HIGH,NSTEP}{TYPE,VAL,MATCH}.
D_LLQUANT_FACTORSMALL = "D_LLQUANT_FACTORSMALL"  # factor < 2
D_LLQUANT_MAGRANGE = "D_LLQUANT_MAGRANGE"  # high magnitude <= low magnitude
D_LLQUANT_FACTORNSTEPS = "D_LLQUANT_FACTORNSTEPS"  # steps < factor
D_LLQUANT_FACTOREVEN = "D_LLQUANT_FACTOREVEN"  # steps and factor do not divide
D_LLQUANT_MAGTOOBIG = "D_LLQUANT_MAGTOOBIG"  # factor^(high+1) overflows
# Conformance (issue 17): compile-time errors dt_parser.c/dt_cc.c report.
D_PRED_SCALAR = "D_PRED_SCALAR"  # predicate of a non-scalar type (a string)
D_DIV_ZERO = "D_DIV_ZERO"  # / or % by a constant zero
D_LQUANT_BASEVAL = "D_LQUANT_BASEVAL"  # lquantize() base out of int32 range
D_LQUANT_LIMVAL = "D_LQUANT_LIMVAL"  # lquantize() limit out of int32 range
D_LQUANT_STEPVAL = "D_LQUANT_STEPVAL"  # lquantize() step not a positive uint16
D_LQUANT_STEPLARGE = "D_LQUANT_STEPLARGE"  # lquantize() step wider than the range
D_LQUANT_STEPSMALL = "D_LQUANT_STEPSMALL"  # lquantize() step gives too many levels
D_LQUANT_BASETYPE = "D_LQUANT_BASETYPE"  # lquantize() base not a constant
D_LQUANT_LIMTYPE = "D_LQUANT_LIMTYPE"  # lquantize() limit not a constant
D_LQUANT_STEPTYPE = "D_LQUANT_STEPTYPE"  # lquantize() step not a positive constant
D_LQUANT_MISMATCH = "D_LQUANT_MISMATCH"  # lquantize() limit below base
D_LQUANT_MATCHBASE = "D_LQUANT_MATCHBASE"  # lquantize() base differs from before
D_LQUANT_MATCHLIM = "D_LQUANT_MATCHLIM"  # lquantize() limit differs from before
D_LQUANT_MATCHSTEP = "D_LQUANT_MATCHSTEP"  # lquantize() step differs from before
D_PRINTA_AGGKEY = "D_PRINTA_AGGKEY"  # printa format's keys differ from the aggregation's
D_PRINTA_AGGPROTO = "D_PRINTA_AGGPROTO"  # printa aggregations with different keys
D_EMPTY = "D_EMPTY"  # a program with no clause
D_CHR_OFLOW = "D_CHR_OFLOW"  # character constant too long
D_MACRO_UNUSED = "D_MACRO_UNUSED"  # extra macro argument never referenced
D_DECL_ARRSUB = "D_DECL_ARRSUB"  # array dimension not a positive constant
D_ARR_BADREF = "D_ARR_BADREF"  # a scalar array indexed by a tuple
D_OP_ACT = "D_OP_ACT"  # an action as an operand of ?:
D_DECL_ENCONST = "D_DECL_ENCONST"  # an enumerator's value not an integer constant
D_DECL_ENOFLOW = "D_DECL_ENOFLOW"  # an enumerator's value outside an int
D_DECL_TYPERED = "D_DECL_TYPERED"  # a type tag declared twice
D_DECL_INCOMPLETE = "D_DECL_INCOMPLETE"  # a member of a type not (yet) defined
D_DECL_VOIDOBJ = "D_DECL_VOIDOBJ"  # a void member
D_DECL_COMBO = "D_DECL_COMBO"  # two type specifiers (a struct body without its ';')
D_UNKNOWN = "D_UNKNOWN"  # an error without its own tag
D_OFFSETOF_TYPE = "D_OFFSETOF_TYPE"  # offsetof of something not a struct or union
D_XLATE_SOU = "D_XLATE_SOU"  # a translator's output not a struct or union
D_XLATE_REDECL = "D_XLATE_REDECL"  # a translator declared twice
D_XLATE_MEMB = "D_XLATE_MEMB"  # a translator member its output does not have
D_XLATE_NONE = "D_XLATE_NONE"  # xlate with no translator for the operand
D_ADDROF_VAR = "D_ADDROF_VAR"  # & of a D variable or something inside one
D_ADDROF_LVAL = "D_ADDROF_LVAL"  # & of something that is not an lvalue


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One compile error at a position in a source."""

    code: str
    message: str
    source: Source | None
    span: Span | None

    @property
    def line(self) -> int:
        if self.source is None or self.span is None:
            return 0
        return self.source.reported_line(self.span.start)


class DCompileError(Exception):
    """A D program failed to compile; ``render()`` is dtrace(1M)'s message."""

    def __init__(self, diagnostic: Diagnostic, errtags: bool = False) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic
        self.errtags = errtags

    def render(self, caret: bool = False) -> str:
        """The one-line message, optionally followed by the caret lines."""
        d = self.diagnostic
        tag = f"[{d.code}] " if self.errtags else ""
        src = d.source
        if src is None:
            text = f"pcapprobe: {tag}{d.message}"
        elif src.kind == "program":
            # dtrace -n reports the whole program text, never a line number.
            text = f"pcapprobe: invalid probe specifier {src.text}: {tag}{d.message}"
        else:
            text = f"pcapprobe: failed to compile script {src.name}: {tag}line {d.line}: {d.message}"
        if caret and src is not None and d.span is not None and src.text:
            text += "\n" + src.caret(d.span)
        return text

    def __str__(self) -> str:
        return self.render()


def error(code: str, message: str, source: Source | None, span: Span | None) -> DCompileError:
    """Build (not raise) a compile error."""
    return DCompileError(Diagnostic(code, message, source, span))
