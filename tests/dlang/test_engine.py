"""The engine API (docs/architecture.md), runtime behaviour, seeds and fuzzing."""

from __future__ import annotations

import io
import random
from pathlib import Path
from types import SimpleNamespace

import pytest

from pcapprobe.dlang import DCompileError, Source, compile_program
from pcapprobe.dlang.lexer import tokenize
from pcapprobe.probes import catalog
from tests.conftest import SEED_SCRIPTS

IP_RECEIVE = ("ip", "receive")


def compiled(text: str, **options: object) -> tuple[object, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    program = compile_program([Source("x.d", text)], options, [], out, err)
    return program, out, err


def ip_args(saddr: str = "10.0.0.1", plength: int = 100, ver: int = 4) -> tuple:
    info = SimpleNamespace(ip_ver=ver, ip_plength=plength, ip_saddr=saddr, ip_daddr="10.0.0.9")
    iface = SimpleNamespace(if_name="eth0", if_local=1, if_ipstack=0, if_addr=0)
    return (None, SimpleNamespace(cs_addr=0, cs_cid=7, cs_pid=0, cs_zoneid=0), info, iface, None, None)


def receive() -> catalog.Probe:
    catalog.load()
    return catalog.PROVIDERS["ip"]["receive"]


def test_handler_is_none_for_probes_nobody_enables() -> None:
    program, _, _ = compiled("ip:::receive { @ = count(); }", quiet=True)
    assert program.handler(catalog.PROVIDERS["ip"]["send"]) is None  # type: ignore[attr-defined]
    assert program.handler(receive()) is not None  # type: ignore[attr-defined]


def test_keyed_count_and_aggregations_snapshot() -> None:
    program, out, _ = compiled("ip:::receive { @hosts[args[2]->ip_saddr] = count(); }", quiet=True)
    fire = program.handler(receive())  # type: ignore[attr-defined]
    for addr in ("10.0.0.1", "10.0.0.2", "10.0.0.1"):
        fire(1, ip_args(addr), ("t", 1))
    assert program.aggregations() == {"hosts": {("10.0.0.1",): 2, ("10.0.0.2",): 1}}  # type: ignore[attr-defined]
    assert program.end() == 0  # type: ignore[attr-defined]
    assert out.getvalue() == "\n  10.0.0.2                                                          1\n  10.0.0.1                                                          2\n"


def test_printf_output_appears_as_it_happens() -> None:
    program, out, _ = compiled('ip:::receive { printf("%s %d\\n", args[3]->if_name, args[2]->ip_plength); }', quiet=True)
    fire = program.handler(receive())  # type: ignore[attr-defined]
    fire(1, ip_args(plength=60), ("t", 1))
    assert out.getvalue() == "eth0 60\n"


def test_self_variables_are_per_thread() -> None:
    text = """
    ip:::receive /self->seen/ { printf("again %d\\n", self->seen); }
    ip:::receive /!self->seen/ { self->seen = args[2]->ip_plength; }
    """
    program, out, _ = compiled(text, quiet=True)
    fire = program.handler(receive())  # type: ignore[attr-defined]
    fire(1, ip_args(plength=5), "conn-a")
    fire(2, ip_args(plength=6), "conn-b")
    fire(3, ip_args(plength=7), "conn-a")
    assert out.getvalue() == "again 5\n"


def test_ticks_fire_on_the_capture_clock() -> None:
    text = ('profile:::tick-1sec { printf("tick %d\\n", timestamp); } '
            'ip:::receive { printf("pkt %d %d\\n", timestamp, walltimestamp); }')
    program, out, _ = compiled(text, quiet=True)
    fire = program.handler(receive())  # type: ignore[attr-defined]
    base = 1_700_000_000_000_000_000
    program.begin(base)  # type: ignore[attr-defined]
    for ts in (base + 500_000_000, base + 2_500_000_000):
        program.advance(ts)  # type: ignore[attr-defined]
        fire(ts, ip_args(), "t")
    # timestamp counts from a notional boot 1 ms before BEGIN (the first
    # packet); walltimestamp is capture time
    assert out.getvalue().split("\n")[:4] == [
        f"pkt 501000000 {base + 500_000_000}", "tick 1001000000", "tick 2001000000",
        f"pkt 2501000000 {base + 2_500_000_000}"]


def test_exit_stops_and_sets_status() -> None:
    program, out, _ = compiled("ip:::receive /++n == 2/ { exit(4); } END { printf(\"n=%d\\n\", n); }", quiet=True, zdefs=False)
    fire = program.handler(receive())  # type: ignore[attr-defined]
    program.begin(0)  # type: ignore[attr-defined]
    fire(1, ip_args(), "t")
    assert not program.exited  # type: ignore[attr-defined]
    fire(2, ip_args(), "t")
    assert program.exited  # type: ignore[attr-defined]
    assert program.end() == 4  # type: ignore[attr-defined]
    assert out.getvalue() == "n=2\n\n"


def test_null_pointer_fault_fires_error_and_continues() -> None:
    text = 'ip:::receive { printf("%d\\n", args[4]->ipv4_ttl); } ERROR { printf("ERROR %d %d\\n", arg1, arg4); }'
    program, out, err = compiled(text, quiet=True)
    fire = program.handler(receive())  # type: ignore[attr-defined]
    fire(1, ip_args(), "t")
    assert out.getvalue() == "ERROR 1 1\n"
    assert err.getvalue() == (
        "pcapprobe: error on enabled probe ID 1 (ID 5: ip:ip:ip_input:receive): invalid address (0x0) in action #1\n")


def test_non_quiet_lines_use_stable_probe_ids() -> None:
    program, out, err = compiled('ip:::receive { printf("x"); }')
    fire = program.handler(receive())  # type: ignore[attr-defined]
    fire(1, ip_args(), "t")
    probe_id = 1 + [p.fullname for p in program.table.probes].index("ip:ip:ip_input:receive")  # type: ignore[attr-defined]
    assert out.getvalue() == f"CPU     ID                    FUNCTION:NAME\n  0 {probe_id:6d} {'ip_input:receive':>32} x\n"
    assert err.getvalue() == "pcapprobe: script 'x.d' matched 1 probe\n"


def test_clause_local_variables_shared_within_one_firing_only() -> None:
    text = """
    ip:::receive { this->n = args[2]->ip_plength; }
    ip:::receive { printf("%d\\n", this->n); }
    """
    program, out, _ = compiled(text, quiet=True)
    fire = program.handler(receive())  # type: ignore[attr-defined]
    fire(1, ip_args(plength=11), "t")
    fire(2, ip_args(plength=12), "t")
    assert out.getvalue() == "11\n12\n"


def test_bytes_members_are_indexable() -> None:
    text = 'ip:::receive { printf("%x %x\\n", args[5]->ipv6_src[0], args[5]->ipv6_src[15]); }'
    program, out, _ = compiled(text, quiet=True)
    fire = program.handler(receive())  # type: ignore[attr-defined]
    v6 = SimpleNamespace(ipv6_src=bytes([0xFE, 0x80] + [0] * 13 + [1]))
    args = list(ip_args())
    args[5] = v6
    fire(1, tuple(args), "t")
    assert out.getvalue() == "fe 1\n"


def test_nested_member_chains_through_nfsv3_args() -> None:
    catalog.load()
    text = "nfsv3:::op-read-done { @ = sum(args[2]->res_u.ok.data.data_len); }"
    program, _, _ = compiled(text, quiet=True)
    fire = program.handler(catalog.PROVIDERS["nfsv3"]["op-read-done"])  # type: ignore[attr-defined]
    res = SimpleNamespace(res_u=SimpleNamespace(ok=SimpleNamespace(data=SimpleNamespace(data_len=4096))))
    fire(1, (None, None, res), "t")
    fire(2, (None, None, res), "t")
    assert program.aggregations() == {"": {(): 8192}}  # type: ignore[attr-defined]


def seed_files() -> list[Path]:
    return sorted(SEED_SCRIPTS.glob("*/*.d")) if SEED_SCRIPTS.is_dir() else []


def one_liners() -> list[str]:
    path = SEED_SCRIPTS / "ONE-LINERS.txt"
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


_PROTO_S = ("incompatible with conversion #{} prototype:\n\tconversion: %s\n"
            "\t prototype: char [] or string (or use stringof)\n\t  argument: uint32_t\n")
# Solaris rejects these two guide scripts (`%s` on uint32_t): so does pcapprobe.
PRINTF_TYPE_ERRORS = {
    "iscsixfer.d": "line 13: printa( ) argument #3 is " + _PROTO_S.format(2),
    "iscsixfersnoop.d": "line 14: printf( ) argument #3 is " + _PROTO_S.format(3),
}


def test_every_seed_script_and_one_liner_compiles() -> None:
    if not seed_files():
        pytest.skip("../shared/seed-scripts is absent")
    catalog.load()
    failed: list[str] = []
    for path in seed_files():
        provider = path.parent.name
        assert provider in catalog.PROVIDERS, f"{path}: provider {provider} is not declared"
        if path.name in PRINTF_TYPE_ERRORS:  # %s on uint32_t xfer_type / xfer_len, as in Solaris
            with pytest.raises(DCompileError) as info:
                compile_program([Source(str(path), path.read_text())], {}, [], io.StringIO(), io.StringIO())
            assert info.value.render() == (
                f"pcapprobe: failed to compile script {path}: {PRINTF_TYPE_ERRORS[path.name]}".rstrip("\n"))
            failed.append(path.name)
            continue
        compile_program([Source(str(path), path.read_text())], {}, [], io.StringIO(), io.StringIO())
    for line in one_liners():
        if "http*" in line:
            with pytest.raises(DCompileError, match=r"probe description http\*::: does not match any probes"):
                compile_program([Source("-n", line, "program")], {}, [], io.StringIO(), io.StringIO())
            compile_program([Source("-n", line, "program")], {"zdefs": True}, [], io.StringIO(), io.StringIO())
        else:
            compile_program([Source("-n", line, "program")], {}, [], io.StringIO(), io.StringIO())
    assert sorted(failed) == sorted(PRINTF_TYPE_ERRORS)


def try_program(text: str) -> None:
    """Compile and, if that works, run a program without a capture; only
    DCompileError may escape."""
    out, err = io.StringIO(), io.StringIO()
    try:
        program = compile_program([Source("f.d", text)], {"quiet": True}, [], out, err)
    except DCompileError as exc:
        exc.render(caret=True)
        return
    program.run_without_capture(limit_ns=3_000_000_000)
    program.end()
    fire = program.handler(receive())
    if fire is not None:
        fire(1, ip_args(), "t")
        fire(2, (None, None, None, None, None, None), "t")


FUZZ_TOKENS = """BEGIN END ip:::receive profile:::tick-1sec { } ( ) [ ] ; , / = == + - * % ++ --
-> . ? : && || ! ~ << >> @ @a x y self this args arg0 0 1 0x10 "s" 'c' printf trace count
sum quantize lquantize printa exit trunc normalize strlen strjoin substr #pragma int string
inline $1 $$1 sizeof stringof ip_saddr ip_plength ^^ > < <= >= += | & ^""".split()


def test_fuzz_token_soups_never_raise_anything_else() -> None:
    rng = random.Random(1234)
    for _ in range(1500):
        soup = " ".join(rng.choice(FUZZ_TOKENS) for _ in range(rng.randint(1, 25)))
        try_program(soup)


def test_fuzz_mutated_seed_scripts() -> None:
    texts = [p.read_text() for p in seed_files()] or ['BEGIN { printf("%d\\n", 1); exit(0); }']
    texts.append("BEGIN { x = 1; y = x / 2; @a[x] = sum(y); printa(@a); exit(0); }")
    rng = random.Random(99)
    for _ in range(800):
        text = rng.choice(texts)
        try:
            tokens = tokenize(Source("m.d", text))
        except DCompileError:
            continue
        cut = rng.randrange(len(tokens))
        mutation = rng.choice(("drop", "dup", "swap", "junk"))
        pieces = [t.text for t in tokens]
        if mutation == "drop":
            del pieces[cut]
        elif mutation == "dup":
            pieces.insert(cut, pieces[cut])
        elif mutation == "swap" and cut + 1 < len(pieces):
            pieces[cut], pieces[cut + 1] = pieces[cut + 1], pieces[cut]
        else:
            pieces.insert(cut, rng.choice(FUZZ_TOKENS))
        try_program("\n".join(pieces))


# Non-ASCII letters and digits, other scripts, symbols, whitespace that is not
# D's, lone surrogates (undecodable bytes from a script file) and every ASCII
# control character: each must give a DCompileError, never a traceback.
FUZZ_CHARS = ("é ß Ж λ 名 ² ٣ ⅷ ﬁ \u00a0 \u2028 \u200b \u0301 😀 \udcc3 \udcff \ud800 "
              "« » ¿ ¡ € µ Å ı İ").split() + [chr(c) for c in range(32) if c not in (9, 10)] + ["\x7f"]


def test_fuzz_non_ascii_and_control_characters() -> None:
    texts = [p.read_text() for p in seed_files()[:6]]
    texts += ["BEGIN { x = 1; y = x / 2; @a[x] = sum(y); printa(@a); exit(0); }",
              'ip:::receive /args[2]->ip_plength > 1/ { printf("%s\\n", args[2]->ip_saddr); }',
              "#pragma D option quiet\nBEGIN { self->t = $1; }"]
    rng = random.Random(2024)
    for ch in FUZZ_CHARS:
        for _ in range(12):
            text = rng.choice(texts)
            cut = rng.randrange(len(text) + 1)
            try_program(text[:cut] + ch + text[cut:])
        for context in ("{}", "BEGIN {{ {} = 1; }}", "BEGIN {{ x{} = 1; }}", "BEGIN {{ x = 1{}; }}",
                        "{}:::BEGIN", "BEGIN /{}/ {{ }}", "BEGIN {{ $${} }}", "#pragma D option {}",
                        "BEGIN {{ @{}[1] = count(); }}", "BEGIN {{ x = '{}'; }}", "BEGIN {{ x = \"{}\"; }}"):
            try_program(context.format(ch))
            if "'" in context or '"' in context or ch in "\v\f\r":
                continue  # literals take any character; \v \f \r are D white space
            with pytest.raises(DCompileError):
                compile_program([Source("-n", context.format(ch), "program")], {}, [], io.StringIO(), io.StringIO())


def cli_run(*argv: str) -> tuple[int, str, str]:
    from pcapprobe.cli import main
    from pcapprobe.env import Environment

    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), Environment(out, err, io.StringIO(), False))
    return status, out.getvalue(), err.getvalue()


def test_compile_only_prints_no_matched_notice() -> None:
    # dtrace.c exec_prog: under -e (g_exec == 0) only dtrace_program_info runs.
    assert cli_run("run", "-e", "-n", "BEGIN { x = 1; }") == (0, "", "")
    assert cli_run("run", "-e", "-n", "BEGIN", "-n", "END") == (0, "", "")


def test_matched_notices_follow_the_whole_compilation() -> None:
    # dtrace compiles every -n/-s first, then exec_prog()s each: a later
    # program's error means no notice for an earlier one.
    status, _, err = cli_run("run", "-n", "BEGIN { exit(0); }", "-n", "BEGIN { x = nosuch; }")
    assert (status, err) == (1, "pcapprobe: invalid probe specifier BEGIN { x = nosuch; }: "
                                "failed to resolve nosuch: Unknown variable name\n")
    status, _, err = cli_run("run", "-n", "BEGIN { exit(0); }", "-n", "END")
    assert err == ("pcapprobe: description 'BEGIN ' matched 1 probe\n"
                   "pcapprobe: description 'END' matched 1 probe\n")


def test_list_and_run_share_probe_ids() -> None:
    from pcapprobe.dlang.passes.probes import ProbeTable, numbered_probes

    probes = numbered_probes()
    assert [p.fullname for p in probes[:3]] == ["dtrace:::BEGIN", "dtrace:::END", "dtrace:::ERROR"]
    assert ProbeTable().ids == {p: i for i, p in enumerate(probes, 1)}
    status, out, _ = cli_run("list", "-n", "tcp:::state-change")
    assert status == 0
    listed = int(out.splitlines()[1].split()[0])
    status, out, _ = cli_run("run", "-n", "tcp:::state-change { }", "-n", "BEGIN { exit(0); }")
    state_change = next(p for p in probes if (p.provider, p.name) == ("tcp", "state-change"))
    assert listed == ProbeTable().ids[state_change]
    # the non-quiet BEGIN line of that run carries ID 1, as `list -n BEGIN` does
    assert out.splitlines()[1].split()[:2] == ["0", "1"]


def test_list_shows_the_dtrace_provider() -> None:
    status, out, _ = cli_run("list", "-n", "BEGIN")
    assert status == 0
    assert out == ("   ID   PROVIDER            MODULE                          FUNCTION NAME\n"
                   "    1     dtrace                                                     BEGIN\n")
    status, out, _ = cli_run("list", "-P", "dtrace")
    assert [line.split() for line in out.splitlines()[1:]] == [["1", "dtrace", "BEGIN"], ["2", "dtrace", "END"],
                                                                ["3", "dtrace", "ERROR"]]
    status, out, _ = cli_run("list")
    rows = out.splitlines()[1:]
    assert [int(r.split()[0]) for r in rows] == list(range(1, len(rows) + 1))


def test_members_read_per_probe_and_argument() -> None:
    from pcapprobe.probes import catalog

    catalog.load()
    receive_, send_ = catalog.PROVIDERS["tcp"]["receive"], catalog.PROVIDERS["tcp"]["send"]
    program, _, _ = compiled("tcp:::receive /args[3]->tcps_cwnd/ { @[args[4]->tcp_dport] = count(); trace(arg3); }", quiet=True)
    assert program.members_read(receive_) == {"tcps_cwnd", "tcp_dport"}  # type: ignore[attr-defined]
    assert program.members_read(receive_, 4) == {"tcp_dport"}  # type: ignore[attr-defined]
    assert program.members_read(send_) == frozenset()  # type: ignore[attr-defined]
    # args[3] used whole: any member may be read
    program, _, _ = compiled("tcp:::receive { trace(args[3] == NULL); @[args[4]->tcp_dport] = count(); }", quiet=True)
    assert program.members_read(receive_) is None  # type: ignore[attr-defined]
    assert program.members_read(receive_, 4) == {"tcp_dport"}  # type: ignore[attr-defined]


def test_next_tick_ns_tells_when_advance_is_due() -> None:
    program, out, _ = compiled('profile:::tick-1sec { printf("tick\\n"); } ip:::receive /0/ {}', quiet=True)
    program.begin(5_000_000_000)  # type: ignore[attr-defined]
    assert program.next_tick_ns == 6_000_000_000  # type: ignore[attr-defined]
    program.advance(7_500_000_000)  # type: ignore[attr-defined]
    assert out.getvalue() == "tick\ntick\n"
    assert program.next_tick_ns == 8_000_000_000  # type: ignore[attr-defined]


def test_long_expressions_are_spilled_not_refused() -> None:
    # DTrace spills registers for a long expression; the generated Python
    # would nest more than 200 parentheses, so deep operands go to temporaries
    program, out, _ = compiled("BEGIN { x = 1" + " + 1" * 400 + '; printf("%d\\n", x); exit(0); }', quiet=True)
    program.run_without_capture()  # type: ignore[attr-defined]
    assert out.getvalue() == "401\n"


def test_spilling_keeps_conditional_operands_conditional() -> None:
    # the right operand of && is evaluated only when the left is true, however
    # long: a division by zero in it must not fault
    text = ("BEGIN { z = 0; x = 0 && (1" + " + z" * 400 + " + 1 / z); y = 1 ? 2 : (1" + " + z" * 400
            + ' + 1 / z); printf("%d %d\\n", x, y); exit(0); }')
    program, out, err = compiled(text, quiet=True)
    program.run_without_capture()  # type: ignore[attr-defined]
    assert (out.getvalue(), err.getvalue()) == ("0 2\n", "")
