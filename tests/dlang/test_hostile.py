"""Hostile D programs: names that are Python words, deep nesting, huge
literals and widths, speculation misuse end in DTrace's words, never a
Python traceback (issue 20)."""

from __future__ import annotations

import builtins
import io
import keyword

import pytest

import pcapprobe
from pcapprobe.dlang import DCompileError, Source, compile_program
from tests.conftest import FIXTURES


def run_d(text: str, **options: object) -> tuple[str, str]:
    """Compile ``text`` as a script, run BEGIN and END without a capture."""
    out, err = io.StringIO(), io.StringIO()
    program = compile_program([Source("x.d", text)], {"quiet": True, **options}, [], out, err)
    program.run_without_capture()
    program.end()
    return out.getvalue(), err.getvalue()


def compile_error(text: str, **options: object) -> str:
    with pytest.raises(DCompileError) as info:
        compile_program([Source("x.d", text)], options, [], io.StringIO(), io.StringIO())
    return info.value.render()


PYTHON_WORDS = sorted(
    {*keyword.kwlist, *keyword.softkwlist, *(n for n in dir(builtins) if not n.startswith("_"))}
    # and the names the generated clause code itself uses
    | {"G", "S", "T", "W", "ST", "AGG", "SPEC", "w", "ts", "thread", "fire", "e", "A_x", "AU_1", "DIV"}
)
D_KEYWORDS = {"if", "else", "for", "while", "return", "break", "continue", "import", "in", "int",
              "float", "self", "this", "sizeof", "inline", "string", "char", "short", "long", "char",
              "double", "signed", "unsigned", "struct", "union", "enum", "const", "volatile",
              "switch", "case", "default", "goto", "extern", "static", "register", "auto",
              "typedef", "stringof", "translator", "provider", "probe", "offsetof", "xlate",
              "userland", "void", "do", "restrict", "errno", "id", "args"}


@pytest.mark.parametrize("name", [n for n in PYTHON_WORDS if n not in D_KEYWORDS])
def test_variables_named_like_python_keywords_and_builtins_work(name: str) -> None:
    out, err = run_d(
        f"BEGIN {{ {name} = 1; a_{name}[{name}] = 2; self->{name} = 3; this->{name} = 4;"
        f" @{name}[{name}] = sum(this->{name}); {name}_x[\"k\"] = {name} + a_{name}[1] + self->{name};"
        f" printf(\"%d %d %d\\n\", {name}, self->{name}, {name}_x[\"k\"]); printa(@{name}); exit(0); }}"
    )
    assert (out, err) == ("1 3 6\n\n        1                4\n\n", "")


def test_struct_members_named_like_python_keywords_compile_and_read() -> None:
    # RENAME3args.from, LINK3args.link: "from" is a Python keyword
    result = pcapprobe.run(
        FIXTURES / "nfsv3-tcp.pcap",
        program='nfsv3:::op-rename-start { printf("%s -> %s\\n", args[2]->from.name, args[2]->to.name); }'
                'nfsv3:::op-link-start { printf("link %s\\n", args[2]->link.name); }',
        quiet=True,
    )
    assert (result.output, result.status) == ("link words-link\nfifo -> pipe\n\n", 0)


def test_right_nested_conditionals_are_refused_as_too_deep() -> None:
    text = "BEGIN { x = " + "1 ? 2 : " * 1000 + "3; }"
    assert compile_error(text) == (
        'pcapprobe: failed to compile script x.d: line 1: syntax error near "2": expression nested too deeply'
    )


def test_a_chain_of_a_thousand_constant_inlines_folds() -> None:
    lines = ["inline int a0 = 1;"] + [f"inline int a{i} = a{i - 1} + 1;" for i in range(1, 1000)]
    out, err = run_d("\n".join(lines) + '\nBEGIN { printf("%d\\n", a999); exit(0); }')
    assert (out, err) == ("1000\n\n", "")


def test_a_chain_of_a_thousand_runtime_inlines_is_dtrace_noreg() -> None:
    lines = ["inline int a0 = timestamp;"] + [f"inline int a{i} = a{i - 1} + 1;" for i in range(1, 1000)]
    message = compile_error("\n".join(lines) + '\nBEGIN { printf("%d\\n", a999); }')
    assert message.startswith("pcapprobe: failed to compile script x.d: line ")
    assert message.endswith(": Insufficient registers to generate code")


def test_folded_inlines_keep_c_semantics() -> None:
    out, _ = run_d('inline int y = -(1 << 62) * 4 + 3; inline unsigned char c = 255 + 2;'
                   'inline string s = "a"; BEGIN { printf("%d %d %s\\n", y, c, s); exit(0); }')
    assert out == "3 1 a\n\n"


@pytest.mark.parametrize("digits", [21, 4301, 5000])
def test_huge_decimal_literal_is_dtrace_overflow(digits: int) -> None:
    literal = "9" * digits
    assert compile_error(f"BEGIN {{ x = {literal}; }}") == (
        f"pcapprobe: failed to compile script x.d: line 1: integer constant {literal} results in overflow"
    )


def test_normalize_by_zero_faults_at_normalize_and_end_prints() -> None:
    out, err = run_d("BEGIN { @a = count(); normalize(@a, 0); } BEGIN { exit(0); }")
    assert err == "pcapprobe: error on enabled probe ID 1 (ID 1: dtrace:::BEGIN): divide-by-zero in action #2\n"
    assert out == "\n                1\n"


# Options: validated as dt_options.c validates them ------------------------

def cli(*args: str) -> tuple[str, str, int]:
    from pcapprobe.cli import main
    from pcapprobe.env import Environment

    out, err = io.StringIO(), io.StringIO()
    status = main(list(args), Environment(out, err, io.BufferedReader(io.BytesIO(b"")), show_progress=False))
    return out.getvalue(), err.getvalue(), status


@pytest.mark.parametrize("option", ["strsize=abc", "bufsize=-1", "switchrate=fast", "bufsize=4x",
                                    "aggsize=99999999999999999999999", "dynvarsize=1q", "bufpolicy",
                                    "bufresize=never", "zdefs=1", "quiet=maybe", "nspec=-2"])
def test_bad_option_values_are_dtrace_errors(option: str) -> None:
    name = option.partition("=")[0]
    assert cli("run", "-x", option, "-n", "BEGIN { exit(0); }") == (
        "", f"pcapprobe: failed to set -x {name}: Invalid value for specified option\n", 1)


@pytest.mark.parametrize("option", ["bufsize=8m", "aggsize=0x100000", "dynvarsize=2M", "specsize=64k",
                                    "nspec=4", "strsize=512", "switchrate=10hz", "statusrate=500ms",
                                    "cleanrate=50hz", "bufsize", "strsize=", "quiet=yes", "bufpolicy=fill"])
def test_good_option_values_are_accepted(option: str) -> None:
    assert cli("run", "-q", "-x", option, "-n", 'BEGIN { printf("ok\\n"); exit(0); }') == ("ok\n\n", "", 0)


def test_bad_option_value_in_a_pragma_and_in_setopt() -> None:
    assert compile_error("#pragma D option strsize=abc\nBEGIN { exit(0); }") == (
        "pcapprobe: failed to compile script x.d: line 1: failed to set option 'strsize': "
        "Invalid value for specified option")
    _, err = run_d('BEGIN { setopt("switchrate", "fast"); exit(0); }')
    assert err == 'pcapprobe: couldn\'t set option "switchrate" to "fast": Invalid value for specified option\n'


def test_quiet_no_turns_quiet_off_as_dtrace_reads_it() -> None:
    out, err, status = cli("run", "-x", "quiet=no", "-n", "BEGIN { exit(0); }")
    assert status == 0 and out.startswith("CPU     ID")


# printf()/printa() widths: C ints, and never more text than bufsize -------

@pytest.mark.parametrize("conversion", ["%999999999d", "%2147483648d", "%-2147483648d",
                                        "%99999999999999999999d", "%.999999999d"])
def test_widths_beyond_bufsize_drop_the_record_and_the_clause_goes_on(conversion: str) -> None:
    out, err = run_d(f'BEGIN {{ printf("[{conversion}]\\n", 7); printf("next\\n"); exit(0); }}')
    assert (out, err) == ("next\n\n", "pcapprobe: 1 drop on CPU 0\n")


def test_widths_wrap_as_c_ints_as_dt_printf_create_reads_them() -> None:
    # 4294967301 is 5, -4294967291 is -5 (left-justified), 5,000 nines are -1
    out, err = run_d('BEGIN { printf("[%4294967301d][%-4294967291d][%' + "9" * 5000 + 'd]\\n", 7, 8, 9);'
                     ' exit(0); }')
    assert (out, err) == ("[    7][8    ][9]\n\n", "")


def test_precision_truncating_a_string_is_not_a_drop() -> None:
    out, err = run_d('BEGIN { printf("[%.999999999s]\\n", "abc"); exit(0); }')
    assert (out, err) == ("[abc]\n\n", "")


def test_dynamic_and_printa_widths_beyond_bufsize_drop() -> None:
    out, err = run_d('BEGIN { @a = count(); printa("%@999999999d\\n", @a); printa("%@5d|\\n", @a);'
                     ' printf("[%*d]\\n", 99999999, 7); printf("[%*d]\\n", -2147483648, 7);'
                     ' printf("[%*d]\\n", -3, 7); exit(0); }')
    assert (out, err) == ("    1|\n[7  ]\n\n", "pcapprobe: 3 drops on CPU 0\n")


def test_bufsize_sets_the_bound() -> None:
    text = 'BEGIN { printf("%5000d\\n", 1); exit(0); }'
    assert run_d(text, bufsize="4k") == ("\n", "pcapprobe: 1 drop on CPU 0\n")
    assert run_d(text, bufsize="8k")[0] == " " * 4999 + "1\n\n"


def test_drops_are_reported_once_per_status_interval_and_processing_continues() -> None:
    result = pcapprobe.run(FIXTURES / "tcp-retrans.pcap", program='tcp:::send { printf("%9999999d", 1); }'
                           ' END { printf("end\\n"); }', local="all", quiet=True)
    assert result.status == 0 and result.output == "end\n\n"
    lines = result.errors.splitlines()
    assert lines and all(line.endswith(" on CPU 0") and line.startswith("pcapprobe: ") for line in lines)
    sends = pcapprobe.run(FIXTURES / "tcp-retrans.pcap", program="tcp:::send { @ = count(); }", local="all")
    assert sum(int(line.split()[1]) for line in lines) == sends.aggregations[""][()]


# aggsize: the aggregation buffer --------------------------------------------

def test_aggsize_bounds_the_keys_and_reports_aggregation_drops() -> None:
    # a count() keyed by one int takes 40 + 8 + 8 + 8 = 64 bytes: 16k hold 256 keys
    out, err = run_d('BEGIN { i = 0; } profile:::tick-1ms { @[i++] = count(); }'
                     ' profile:::tick-1s { printf("%d keys\\n", i); exit(0); } END { trunc(@, 2); }',
                     aggsize="16k")
    assert out == "1000 keys\n\n      254                1\n      255                1\n"
    assert err == "pcapprobe: 744 aggregation drops on CPU 0\n"


@pytest.mark.parametrize("func", ["count()", "sum(i)", "avg(i)", "min(i)", "max(i)", "stddev(i)",
                                  "quantize(i)", "lquantize(i, 0, 10)", "llquantize(i, 10, 0, 6, 20)"])
def test_every_aggregating_function_respects_aggsize(func: str) -> None:
    _, err = run_d(f'BEGIN {{ i = 0; }} profile:::tick-1ms {{ @[i++] = {func}; }} profile:::tick-1s {{ exit(0); }}',
                   aggsize="4k")
    assert err.startswith("pcapprobe: ") and err.endswith(" aggregation drops on CPU 0\n")


def test_trunc_gives_the_space_back() -> None:
    out, err = run_d('BEGIN { i = 0; } profile:::tick-1ms { @[i++] = count(); trunc(@, 1); }'
                     ' profile:::tick-1s { exit(0); }', aggsize="128")
    assert (out, err) == ("\n      999                1\n", "")


def test_native_count_and_sum_respect_aggsize_and_processing_goes_on() -> None:
    program = ("tcp:::receive { @[args[4]->tcp_seq] = count(); } tcp:::send { @s[args[4]->tcp_seq] = sum(1); }"
               ' END { printf("end\\n"); }')
    full = pcapprobe.run(FIXTURES / "tcp-retrans.pcap", program=program, local="all", quiet=True)
    small = pcapprobe.run(FIXTURES / "tcp-retrans.pcap", program=program, local="all", quiet=True,
                          defines={"aggsize": "200"})
    # 200 bytes hold three 64-byte keys; every firing of another key drops
    assert sum(len(v) for v in small.aggregations.values()) == 3 and small.output.startswith("end\n")
    lines = small.errors.splitlines()
    assert all(line.startswith("pcapprobe: ") and "aggregation drop" in line for line in lines)
    kept_firings = sum(sum(v.values()) for v in small.aggregations.values())
    all_firings = sum(sum(v.values()) for v in full.aggregations.values())
    assert sum(int(line.split()[1]) for line in lines) == all_firings - kept_firings


# dynvarsize: associative arrays and self-> variables ---------------------

def test_dynvarsize_bounds_dynamic_variables_in_chunks_of_the_largest() -> None:
    # the largest is self->x[int] (32 + 3 keys * 16 + 8 = 88 bytes): 8k hold 93
    out, err = run_d('BEGIN { i = 0; } profile:::tick-1ms { a[i++] = 1; self->x[i] = 2; }'
                     ' profile:::tick-1s { printf("%d %d\\n", a[5], a[900]); exit(0); }', dynvarsize="8k")
    assert (out, err) == ("1 0\n\n", "pcapprobe: 1907 dynamic variable drops\n")


def test_zeroed_dynamic_variables_free_their_space() -> None:
    out, err = run_d('int b[int]; BEGIN { i = 0; } profile:::tick-1ms { a[i] = 1; self->t = timestamp; a[i] = 0;'
                     ' b[i]++; b[i]--; self->t = 0; i++; } profile:::tick-1s { printf("%d\\n", i); exit(0); }',
                     dynvarsize="200")
    assert (out, err) == ("1000\n\n", "")


def test_dynamic_drops_in_expressions_and_increments() -> None:
    out, err = run_d('int b[int]; BEGIN { i = 0; } profile:::tick-1ms { x = (a[i] = 1) + b[i]++; i++; }'
                     ' profile:::tick-1s { exit(0); }', dynvarsize="200")
    assert out == "\n" and err == "pcapprobe: 1998 dynamic variable drops\n"


# nspec and specsize ---------------------------------------------------------

def test_specsize_drops_what_no_longer_fits_and_nspec_bounds_speculations() -> None:
    out, err = run_d('BEGIN { a = speculation(); b = speculation(); printf("%d %d\\n", a, b); }'
                     ' BEGIN { speculate(a); printf("%s\\n", "0123456789"); }'
                     ' BEGIN { speculate(a); printf("%s\\n", "abc"); } BEGIN { commit(a); } BEGIN { exit(0); }',
                     specsize="12")
    assert out == "1 0\n0123456789\n\n"
    assert err == ("pcapprobe: 1 speculative drop\n"
                   "pcapprobe: 1 failed speculation (no speculative buffer available)\n")
    out, err = run_d('BEGIN { a = speculation(); b = speculation(); printf("%d %d\\n", a, b); exit(0); }',
                     nspec="2")
    assert (out, err) == ("1 2\n\n", "")


# Speculation misuse: dt_cc.c dt_stmt_append's errors ---------------------

@pytest.mark.parametrize("body, tag, message", [
    ('printf("x"); speculate(1);', "D_SPEC_DREC", "speculate( ) may not follow data-recording action(s)"),
    ('@a = count(); speculate(1);', "D_SPEC_DREC", "speculate( ) may not follow data-recording action(s)"),
    ("speculate(1); @a = count();", "D_AGG_SPEC", "aggregating actions may not follow speculate( )"),
    ("speculate(1); speculate(2);", "D_SPEC_SPEC", "speculate( ) may not follow speculate( )"),
    ("commit(1); speculate(1);", "D_SPEC_COMM", "speculate( ) may not follow commit( )"),
    ("speculate(1); exit(0);", "D_EXIT_SPEC", "exit( ) may not follow speculate( )"),
    ('printf("x"); commit(1);', "D_COMM_DREC", "commit( ) may not follow data-recording action(s)"),
    ("commit(1); commit(2);", "D_COMM_COMM", "commit( ) may not follow commit( )"),
    ("commit(1); @a = count();", "D_AGG_COMM", "aggregating actions may not follow commit( )"),
    ('commit(1); printf("x");', "D_DREC_COMM", "data-recording actions may not follow commit( )"),
])
def test_speculation_misuse_is_refused_as_dtrace_refuses_it(body: str, tag: str, message: str) -> None:
    assert compile_error(f"BEGIN\n{{\n\tx = 1;\n\t{body}\n}}", errtags=True) == (
        f"pcapprobe: failed to compile script x.d: [{tag}] line 4: {message}")


@pytest.mark.parametrize("body", ['x = speculation(); speculate(x); printf("a"); trace(1);',
                                  "commit(1); discard(2);", "discard(1); printf(\"x\");",
                                  "speculate(1); discard(1);", "x = 1; commit(x); y = 2;"])
def test_speculation_orders_dtrace_accepts(body: str) -> None:
    compile_program([Source("x.d", f"BEGIN {{ {body} }}")], {}, [], io.StringIO(), io.StringIO())


# Compile cost: proportional to the script ---------------------------------

def test_clauses_share_one_namespace_and_descriptions_match_once() -> None:
    # one namespace copy per clause (holding every earlier clause's
    # constants) made compiling n clauses cost n**2 time and memory
    text = "".join(f'ip:::receive /args[2]->ip_plength > {i}/ {{ printf("%d\\n", {i}); a[{i}] = 1; }}\n'
                   for i in range(200))
    program = compile_program([Source("x.d", text)], {}, [], io.StringIO(), io.StringIO())
    fires = [e.fire for e in program.all_enablings]  # type: ignore[attr-defined]
    assert len(fires) == 200 and all(f.__globals__ is program.names for f in fires)  # type: ignore[attr-defined]
    assert len(program.table.matched) == 1  # type: ignore[attr-defined]


def test_sizeof_string_is_strsize() -> None:
    assert run_d('BEGIN { printf("%d\\n", sizeof(string)); exit(0); }', strsize="512")[0] == "512\n\n"
    assert run_d('BEGIN { printf("%d\\n", sizeof(string)); exit(0); }')[0] == "256\n\n"
