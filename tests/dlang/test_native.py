"""NativeProbe (passes/native.py + cext/dnative.c) against the Python handler.

Each program is compiled twice; the Python handler of one and the
NativeProbe (called from Python, members read by getattr) of the other get
the same firings, and everything they produce must be identical: output,
errors, aggregations and END's output.
"""

from __future__ import annotations

import io
import random
from types import SimpleNamespace
from typing import Any

import pytest

from pcapprobe import api
from pcapprobe.dlang import DCompileError, Source, compile_program
from pcapprobe.env import Environment
from pcapprobe.probes import catalog
from pcapprobe.scripts import DIRECTORY
from tests.conftest import FIXTURES, shared_file

TCPIO = DIRECTORY / "tcpio.d"
Firing = tuple[catalog.Probe, int, tuple]


class Recorder:
    """A sink that records every tcp firing, each argument object copied
    member by member at the moment of the firing."""

    def __init__(self) -> None:
        self.firings: list[Firing] = []

    def handler(self, probe: catalog.Probe) -> Any:
        if probe.provider != "tcp":
            return None
        structs = [catalog.STRUCTS.get(c.base) for c in probe.args]

        def record(ts: int, args: tuple, thread: Any) -> None:
            copies = tuple(None if arg is None or struct is None else snapshot(arg, struct)
                           for arg, struct in zip(args, structs))
            self.firings.append((probe, ts, copies))

        return record


def snapshot(arg: Any, struct: Any) -> SimpleNamespace:
    return SimpleNamespace(**{name: getattr(arg, name) for name in struct.members if name != "tcp_hdr"})


def recorded(*names: str) -> list[Firing]:
    recorder = Recorder()
    env = Environment(io.StringIO(), io.StringIO(), io.BytesIO(), show_progress=False)
    api.decode_captures([str(FIXTURES / n) for n in names], recorder, env, local=("all",))
    return recorder.firings


TCP_CAPTURES = ("tcp-handshake.pcap", "tcp-halfclose.pcap", "tcp-refused.pcap", "tcp-midstream.pcap",
                "tcp-ipv6.pcap")


@pytest.fixture(scope="module")
def tcp_firings() -> list[Firing]:
    catalog.load()
    firings = [f for name in TCP_CAPTURES for f in recorded(name)]
    assert {p.name for p, _, _ in firings} >= {"send", "receive", "state-change", "connect-request",
                                                "accept-established", "connect-established"}
    return firings


def tcp_probe(name: str) -> catalog.Probe:
    catalog.load()
    return catalog.PROVIDERS["tcp"][name]


def run_both(text: str, firings: list[Firing], quiet: bool = True, expect_native: bool = True,
             macro_args: tuple[str, ...] = ()) -> str:
    """Run ``text`` on ``firings`` through the Python handlers and through the
    NativeProbes; assert identical results and return the output."""
    results = []
    for native in (False, True):
        out, err = io.StringIO(), io.StringIO()
        program: Any = compile_program([Source("x.d", text)], {"quiet": quiet}, list(macro_args), out, err,
                                       notices=False)
        program.begin(firings[0][1] if firings else 0)
        handlers = {}
        for probe, ts, args in firings:
            if probe not in handlers:
                handlers[probe] = program.native_handler(probe) if native else None
                if native and expect_native and program.handler(probe) is not None:
                    assert handlers[probe] is not None, f"{probe.fullname} declined"
                if handlers[probe] is None:  # declined: the Python handler runs
                    handlers[probe] = program.handler(probe)
            fire = handlers[probe]
            if fire is not None:
                fire(ts, args, ("tcp", 1))
        aggregations = program.aggregations()
        status = program.end()
        results.append((out.getvalue(), err.getvalue(), aggregations, status))
    assert results[1][0] == results[0][0]
    assert results[1][1:] == results[0][1:]
    return results[0][0]


# Real programs ----------------------------------------------------------------


def test_tcpio_d(tcp_firings: list[Firing]) -> None:
    output = run_both(TCPIO.read_text(), tcp_firings)
    assert "->" in output and "<-" in output and "SYN|" in output


def test_tcpio_d_not_quiet_prints_the_record_prefix(tcp_firings: list[Firing]) -> None:
    text = TCPIO.read_text().replace("#pragma D option quiet", "")
    output = run_both(text, tcp_firings, quiet=False)
    assert "CPU     ID" in output and "send" in output


def one_liners() -> list[str]:
    lines = shared_file("seed-scripts/ONE-LINERS.txt").read_text().splitlines()
    return [line for line in lines if line.startswith("tcp:::")]


def test_the_tcp_one_liners(tcp_firings: list[Firing]) -> None:
    programs = one_liners()
    assert len(programs) >= 5
    for text in programs:
        run_both(text, tcp_firings)


def test_seed_tcpio_d(tcp_firings: list[Firing]) -> None:
    run_both(shared_file("seed-scripts/tcp/tcpio.d").read_text(), tcp_firings)


@pytest.mark.parametrize("text", [
    "tcp:::receive { @[args[4]->tcp_dport] = count(); }",
    "tcp:::receive { @ = count(); }",
    "tcp:::send { @bytes[args[2]->ip_daddr, args[4]->tcp_dport] = sum(args[2]->ip_plength - args[4]->tcp_offset); }",
    "tcp:::send { @[probename] = max(args[3]->tcps_snxt - args[3]->tcps_suna); @m = min(args[4]->tcp_window); }",
    "tcp:::send, tcp:::receive { @a[probefunc] = avg(args[2]->ip_plength); @s = stddev(args[4]->tcp_seq); }",
    "tcp:::receive { @q = quantize(args[2]->ip_plength, 3); @l = lquantize(args[4]->tcp_offset, 0, 60, 4); }",
    "tcp:::send { @ll = llquantize(args[4]->tcp_window, 10, 0, 6, 20, args[4]->tcp_flags); }",
    "tcp:::state-change { @[args[5]->tcps_state, args[3]->tcps_state] = count(); }",
    "tcp:::state-change /args[3]->tcps_state == TCP_STATE_ESTABLISHED/ { printf(\"%d %s %s\\n\", args[1]->cs_cid, args[3]->tcps_laddr, args[3]->tcps_raddr); }",
    "tcp:::accept-established, tcp:::connect-established { printf(\"%-6d %5u %s:%d\\n\", args[3]->tcps_active, args[3]->tcps_mss, args[3]->tcps_raddr, args[3]->tcps_rport); }",
    "tcp:::send /args[3]->tcps_retransmit/ { printf(\"retransmit %u\\n\", args[4]->tcp_seq); }",
    "tcp:::send, tcp:::receive { printf(\"%s:%s:%s:%s %d %d %s %s\\n\", probeprov, probemod, probefunc, probename, epid, id, execname, zonename); }",
    "tcp:::send, tcp:::receive { printf(\"%u %u %u %u %d %d %u %u\\n\", args[3]->tcps_iss, args[3]->tcps_rack, args[3]->tcps_rnxt, args[3]->tcps_swnd, args[3]->tcps_snd_ws, args[3]->tcps_rcv_ws, args[3]->tcps_rwnd, args[3]->tcps_cwnd); }",
    "tcp:::send, tcp:::receive { printf(\"%u %u %u %u %d %d %u %u %u\\n\", args[3]->tcps_cwnd_ssthresh, args[3]->tcps_sack_fack, args[3]->tcps_sack_snxt, args[3]->tcps_rto, args[3]->tcps_local, args[1]->cs_pid, args[1]->cs_zoneid, args[1]->cs_addr, args[3]->tcps_addr); }",
    "tcp:::send, tcp:::receive { printf(\"%x %X %o %d %d %d\\n\", args[4]->tcp_ack, args[4]->tcp_checksum, args[4]->tcp_urgent, args[2]->ip_ver, args[4]->tcp_sport, args[3]->tcps_lport); }",
    "tcp:::send, tcp:::receive { printf(\"%hd %hu %lu %llx %i %-+8.3i\\n\", (short)args[4]->tcp_ack, args[4]->tcp_window, args[1]->cs_cid, (unsigned long long)args[4]->tcp_seq, args[3]->tcps_state, -args[4]->tcp_sport); }",
    "tcp:::send { this->t = timestamp; this->w = walltimestamp; } tcp:::send { printf(\"%d %d %d\\n\", this->t, this->w - this->t, cpu); }",
    "tcp:::receive /args[2]->ip_saddr < args[2]->ip_daddr || args[2]->ip_saddr == \"10.0.0.1\"/ { printf(\"%s\\n\", args[2]->ip_saddr >= \"10.0.0.2\" ? \"hi\" : \"lo\"); }",
    "tcp:::receive /!(args[4]->tcp_flags & TH_ACK) && args[4]->tcp_flags != 0/ { printf(\"%%no ack%% %s\\n\", args[3]->tcps_laddr); }",
    "tcp:::send { }",
    "tcp:::send { this->a = args[4]->tcp_seq; this->a += 7; this->a -= args[4]->tcp_ack; this->a *= 3; this->a /= 2; this->a %= 1000; this->a &= 0xfff; this->a |= 1; this->a ^= 5; this->a <<= 3; this->a >>= 1; printf(\"%d\\n\", this->a); }",
    "tcp:::send { this->s = (short)args[4]->tcp_sport; this->s >>= 2; this->s <<= 20; this->s /= args[4]->tcp_urgent; this->u = args[4]->tcp_seq; this->u >>= 3; this->u += -1; printf(\"%d %u\\n\", this->s, this->u); }",
    "tcp:::send { this->x = (int8_t)args[4]->tcp_sport; this->x *= 2; printf(\"%d\\n\", this->x); }",
    "tcp:::send { printf(\"%d %d %d\\n\", args[4]->tcp_flags ^^ 0, 1 ^^ 1, args[2]->ip_saddr != \"\" ^^ 0); }",
    "tcp:::send { printf(\"%d %d %u %d\\n\", args[4]->tcp_seq / 1000, args[3]->tcps_state % 4, args[1]->cs_cid / 3, -7 / args[4]->tcp_offset); }",
    "tcp:::send { printf(\"%d %d\\n\", (long)0x8000000000000000 / -1, (long)0x8000000000000000 % -1); }",
    "tcp:::send, tcp:::receive { printf(\"a\\n\"); printf(\"%d\\n\", args[4]->tcp_ack / (args[4]->tcp_flags & 0)); printf(\"b\\n\"); } tcp:::send { printf(\"%d\\n\", 5 % args[4]->tcp_urgent); }",
    # a wrapped operand of *, - and unary operators keeps its parentheses
    "tcp:::send { printf(\"%d %d %d %d %d\\n\", (args[4]->tcp_sport + 1) * 2, 2 * (args[4]->tcp_sport + 1), 2 - (args[4]->tcp_sport + 1), -((int8_t)args[4]->tcp_sport), ~((short)args[4]->tcp_sport)); }",
    "tcp:::send { this->x = 5; this->x *= (int8_t)args[4]->tcp_sport; printf(\"%d\\n\", this->x); }",
    "tcp:::send { this->x = 5; this->x -= (int8_t)args[4]->tcp_sport; printf(\"%d\\n\", this->x); }",
    "tcp:::send { this->x = 1; }",
    # integer globals (ipio.d) and string this-> variables (ipproto.d)
    "tcp:::send { x = 1; }",
    "tcp:::send { last = timestamp; } tcp:::receive { this->e = (timestamp - last) / 1000; printf(\"%d\\n\", this->e); last = timestamp; }",
    "tcp:::send { n += args[4]->tcp_sport; n -= 70000; n *= 3; printf(\"%d\\n\", n); }",
    "tcp:::send { u = (unsigned long long)args[4]->tcp_seq << 40; printf(\"%u %d\\n\", u, u > 5); }",
    "tcp:::send { this->s = args[2]->ip_saddr; }",
    # one-key integer associative arrays and tcp_state_string[] (tcpstate.d)
    "tcp:::send { printf(\"%s\\n\", tcp_state_string[args[3]->tcps_state]); }",
    "tcp:::send { a[args[4]->tcp_sport] = 1; }",
    "int last[int]; tcp:::state-change /last[args[1]->cs_cid]/ { printf(\"%d %s %s\\n\", (timestamp - last[args[1]->cs_cid]) / 1000, tcp_state_string[args[5]->tcps_state], tcp_state_string[args[3]->tcps_state]); last[args[1]->cs_cid] = timestamp; } tcp:::state-change /last[args[1]->cs_cid] == 0/ { last[args[1]->cs_cid] = timestamp; }",
    "tcp:::send { n[args[2]->ip_daddr] += args[4]->tcp_sport; n[args[2]->ip_daddr] -= 1000; printf(\"%d %s\\n\", n[args[2]->ip_daddr], tcp_state_string[-9]); } tcp:::receive /n[args[2]->ip_saddr] > 5/ { n[args[2]->ip_saddr] = 0; }",
    "tcp:::send { this->s = args[4]->tcp_flags & TH_ACK ? args[2]->ip_saddr : \"none\"; @[this->s, args[2]->ip_daddr] = count(); printf(\"%s\\n\", this->s); } tcp:::send /this->s != \"\"/ { printf(\"%-20s|\\n\", this->s); }",
])
def test_programs_in_the_subset(text: str, tcp_firings: list[Firing]) -> None:
    run_both(text, tcp_firings)
    run_both(text, tcp_firings, quiet=False)


def test_macro_arguments_sizeof_and_inlines(tcp_firings: list[Firing]) -> None:
    text = ('inline int LIMIT = 3 + 4; tcp:::send /args[4]->tcp_sport > $1/ '
            '{ printf("%s %d %d %d %s\\n", $$2, $1, sizeof (int), LIMIT, $$0); }')
    output = run_both(text, tcp_firings, macro_args=("1024", "tag"))
    assert "tag 1024 4 7 x.d" in output


def test_quiet_set_at_run_time_is_seen(tcp_firings: list[Firing]) -> None:
    text = ('BEGIN { setopt("quiet"); } tcp:::send { printf("%d\\n", args[4]->tcp_sport); } '
            'tcp:::receive { printf("%d\\n", args[4]->tcp_dport); } '
            'tcp:::receive /args[4]->tcp_flags & TH_FIN/ { setopt("quiet", "no"); }')
    output = run_both(text, tcp_firings, quiet=False, expect_native=False)  # receive declines
    assert "tcp_input:receive" in output and "tcp_output:send" in output
    program: Any = compile_program([Source("x.d", text)], {}, [], io.StringIO(), io.StringIO(), notices=False)
    assert program.native_handler(tcp_probe("send")) is not None


def test_this_variables_are_shared_by_the_clauses_of_a_firing_and_reset_per_firing(
        tcp_firings: list[Firing]) -> None:
    text = ("tcp:::send { this->n = this->n + args[4]->tcp_sport; } "
            "tcp:::send, tcp:::receive { this->m = this->m + 1; printf(\"%d %d\\n\", this->n, this->m); }")
    run_both(text, tcp_firings)


# Generated expressions ---------------------------------------------------------

EXTREMES = SimpleNamespace(
    ip=SimpleNamespace(ip_ver=6, ip_plength=65535, ip_saddr="fe80::1", ip_daddr="ff02::1:ff00:1"),
    cs=SimpleNamespace(cs_addr=0, cs_cid=(1 << 64) - 1, cs_pid=-1, cs_zoneid=0),
    tcps=SimpleNamespace(tcps_state=-6, tcps_snxt=0xFFFFFFFF, tcps_suna=0x80000000, tcps_lport=65535,
                         tcps_rport=0, tcps_laddr="héllo", tcps_raddr="", tcps_active=1,
                         tcps_retransmit=0, tcps_mss=1460),
    tcp=SimpleNamespace(tcp_sport=65535, tcp_dport=1, tcp_seq=0xFFFFFFFF, tcp_ack=0x7FFFFFFF,
                        tcp_offset=60, tcp_flags=0xFF, tcp_window=0, tcp_checksum=0x8000, tcp_urgent=7),
)

INT_LEAVES = ["args[4]->tcp_sport", "args[4]->tcp_seq", "args[4]->tcp_flags", "args[3]->tcps_state",
              "args[1]->cs_cid", "args[2]->ip_plength", "args[3]->tcps_snxt", "args[3]->tcps_suna",
              "args[4]->tcp_offset", "args[1]->cs_pid", "this->a", "this->b", "cpu", "TH_SYN",
              "TCP_STATE_CLOSED", "0", "1", "-1", "7", "255", "256", "65535", "0x7fffffff",
              "0xffffffff", "2147483648", "0x8000000000000000", "0xffffffffffffffff",
              "9223372036854775807", "-2147483648", "1u", "3ul", "-5l"]
CASTS = ["int8_t", "uint8_t", "char", "short", "unsigned short", "int", "unsigned", "long",
         "uint64_t", "int64_t", "uint32_t", "int16_t"]
BINARY = ["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "==", "!=", "<", "<=", ">", ">=", "&&", "||",
          "^^"]
COMPOUND = ["+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="]
STR_LEAVES = ['args[2]->ip_saddr', 'args[2]->ip_daddr', 'args[3]->tcps_laddr', 'args[3]->tcps_raddr',
              '"10.0.0.1"', '""', '"é€"', "probename"]


def int_expr(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(INT_LEAVES)
    choice = rng.random()
    if choice < 0.15:
        return f"{rng.choice('-~!')}({int_expr(rng, depth - 1)})"
    if choice < 0.3:
        return f"({rng.choice(CASTS)})({int_expr(rng, depth - 1)})"
    if choice < 0.4:
        return f"({int_expr(rng, depth - 1)} ? {int_expr(rng, depth - 1)} : {int_expr(rng, depth - 1)})"
    if choice < 0.45:
        return f"({str_expr(rng, depth - 1)} {rng.choice(['==', '!=', '<', '>='])} {str_expr(rng, depth - 1)})"
    return f"({int_expr(rng, depth - 1)} {rng.choice(BINARY)} {int_expr(rng, depth - 1)})"


def str_expr(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.6:
        return rng.choice(STR_LEAVES)
    return f"({int_expr(rng, depth - 1)} ? {str_expr(rng, depth - 1)} : {str_expr(rng, depth - 1)})"


def int_conversion(rng: random.Random) -> str:
    flags = "".join(rng.sample("-0+ ", rng.randint(0, 2)))
    width = rng.choice(["", "1", "5", "12", "25"])
    precision = rng.choice(["", "", ".3", ".12"]) if "0" not in flags else ""  # else declined
    return f"%{flags}{width}{precision}{rng.choice('duxXo')}"  # %i of unsigned: declined


def str_conversion(rng: random.Random) -> str:
    flags = rng.choice(["", "-", "0", "+", " ", "-0"])
    precision = rng.choice(["", ".0", ".1", ".4"]) if "0" not in flags else ""  # else declined
    return f"%{flags}{rng.choice(['', '3', '10'])}{precision}s"


def battery(seed: int) -> str:
    """Generated statements (those the native subset takes) in one clause."""
    rng = random.Random(seed)
    head = "tcp:::send, tcp:::receive"
    setup = "this->a = args[4]->tcp_seq - args[4]->tcp_ack; this->b = (char)args[4]->tcp_dport;"
    statements = []
    for _ in range(25):
        if rng.random() < 0.15:
            statements.append(f"this->{rng.choice('ab')} {rng.choice(COMPOUND)} {int_expr(rng, 2)};")
        elif rng.random() < 0.75:
            statements.append(f'printf("[{int_conversion(rng)}]\\n", {int_expr(rng, 3)});')
        else:
            statements.append(f'printf("<{str_conversion(rng)}>\\n", {str_expr(rng, 2)});')
    if rng.random() < 0.5:
        statements.append(f"@k[{int_expr(rng, 2)}, {str_expr(rng, 1)}] = count();")
        statements.append(f"@s[{int_expr(rng, 1)}] = sum({int_expr(rng, 2)});")
    taken = [s for s in statements if native_compiles(f"{head} {{ {setup} {s} }}")]
    return f"{head} /{int_expr(rng, 2)} || 1/ {{ {setup} {' '.join(taken)} }}"


def native_compiles(text: str) -> bool:
    try:
        program: Any = compile_program([Source("x.d", text)], {"quiet": True}, [], io.StringIO(),
                                       io.StringIO(), notices=False)
    except DCompileError:  # a generated printf may not type-check (%d of a string...)
        return False
    return program.native_handler(tcp_probe("send")) is not None


def extreme_firings() -> list[Firing]:
    e = EXTREMES
    return [(tcp_probe(name), 10**9 + i, (None, e.cs, e.ip, e.tcps, e.tcp))
            for i, name in enumerate(["send", "receive"])]


@pytest.mark.parametrize("seed", range(40))
def test_generated_expressions(seed: int, tcp_firings: list[Firing]) -> None:
    text = battery(seed)
    if not native_compiles(text):  # the predicate
        pytest.skip("predicate outside the subset")
    assert text.count("printf") >= 10
    run_both(text, tcp_firings[:40] + extreme_firings())


# printf conversions -------------------------------------------------------------

INT_VALUES = ["args[4]->tcp_seq", "args[3]->tcps_state", "args[1]->cs_cid", "args[1]->cs_pid",
              "args[4]->tcp_window", "(long)args[3]->tcps_state", "(long)0x8000000000000000",
              "(int8_t)args[4]->tcp_flags", "(uint16_t)args[3]->tcps_state"]
SIGNED_VALUES = ["args[3]->tcps_state", "args[1]->cs_pid", "(long)0x8000000000000000", "(int)args[4]->tcp_window"]
STRINGS = ["", "abc", "héllo", "€uro€", "\U0001F600x", "\udcff!", "a%d%%"]


def member_firings() -> list[Firing]:
    """send firings whose members take extreme values and odd strings."""
    e = EXTREMES
    firings = []
    for i, (text, (state, seq, window)) in enumerate(zip(
            STRINGS, [(-6, 0xFFFFFFFF, 0), (0, 0, 65535), (6, 1, 1), (-1, 0x80000000, 7),
                      (1, 12345, 0x8000), (-2, 99, 100), (3, 4, 5)])):
        tcps = SimpleNamespace(**{**vars(e.tcps), "tcps_state": state, "tcps_laddr": text,
                                  "tcps_raddr": STRINGS[-1 - i]})
        tcp = SimpleNamespace(**{**vars(e.tcp), "tcp_seq": seq, "tcp_window": window})
        cs = SimpleNamespace(cs_addr=0, cs_cid=[0, 1, (1 << 64) - 1, 1 << 63][i % 4], cs_pid=[-1, 0, 5][i % 3],
                             cs_zoneid=0)
        firings.append((tcp_probe("send"), 10**9 + i, (None, cs, e.ip, tcps, tcp)))
    return firings


def conversions(convs: str, flag_sets: list[str], widths: list[str], precisions: list[str]) -> list[str]:
    return [f"%{flags}{width}{precision}{conv}" for conv in convs for flags in flag_sets
            for width in widths for precision in precisions
            if not ("0" in flags and precision)]  # zero padding with a precision: declined


FLAG_SETS = ["", "-", "0", "+", " ", "-0", "+0", " 0", "-+", "- ", "+ ", "-+ 0"]


@pytest.mark.parametrize("conv", list("diuxXo"))
def test_integer_conversions(conv: str) -> None:
    values = SIGNED_VALUES if conv == "i" else INT_VALUES  # %i of an unsigned: declined
    specs = conversions(conv, FLAG_SETS, ["", "1", "7", "22"], ["", ".1", ".5", ".21"])
    statements = [f'printf("[{spec}]\\n", {value});' for spec in specs for value in values]
    run_both(f"tcp:::send {{ {' '.join(statements)} }}", member_firings())


def test_string_conversions() -> None:
    specs = conversions("s", ["", "-", "0", "+", " ", "#", "-0"], ["", "1", "8"], ["", ".1", ".2", ".10"])
    statements = [f'printf("<{spec}|{spec}>\\n", args[3]->tcps_laddr, args[3]->tcps_raddr);'
                  for spec in specs]
    output = run_both(f"tcp:::send {{ {' '.join(statements)} }}", member_firings())
    assert "héllo" in output and "\udcff" in output


def test_literal_text_outside_ascii() -> None:
    output = run_both('tcp:::send { printf("é€ %s ☺ %d%%\\n", args[3]->tcps_laddr, args[4]->tcp_window); }',
                      member_firings())
    assert output.startswith("é€  ☺ 0%\n")


def test_a_program_and_its_native_probes_are_collected() -> None:
    import gc
    import weakref

    program: Any = compile_program([Source("x.d", TCPIO.read_text())], {}, [], io.StringIO(), io.StringIO(),
                                   notices=False)
    assert program.native_handler(tcp_probe("send")) is not None
    gone = weakref.ref(program)
    del program
    gc.collect()
    assert gone() is None


def test_firings_leak_no_references() -> None:
    import sys

    firings = member_firings()
    text = ('tcp:::send { printf("%s %s %d\\n", args[3]->tcps_laddr, args[4]->tcp_flags ? "x" : "y", '
            'args[4]->tcp_seq); @[args[3]->tcps_raddr, args[4]->tcp_window] = count(); '
            '@s[args[3]->tcps_laddr] = sum(args[4]->tcp_seq); @q = quantize(args[4]->tcp_window); }')
    program: Any = compile_program([Source("x.d", text)], {"quiet": True}, [], io.StringIO(), io.StringIO(),
                                   notices=False)
    fire = program.native_handler(tcp_probe("send"))
    watched = [firings[1][2][3].tcps_laddr, firings[1][2][3].tcps_raddr]
    for _, ts, args in firings:
        fire(ts, args, None)
    before = [sys.getrefcount(x) for x in watched]
    for _ in range(1000):
        for _, ts, args in firings:
            fire(ts, args, None)
    assert [sys.getrefcount(x) for x in watched] == before


# Faults --------------------------------------------------------------------------


def test_a_fault_reading_a_member_is_reported_as_the_python_clause_does() -> None:
    e = EXTREMES
    firings = [(tcp_probe("send"), 10**9, (None, e.cs, None, e.tcps, e.tcp)),
               (tcp_probe("send"), 10**9 + 1, (None, e.cs, e.ip, e.tcps, e.tcp))]
    text = ('tcp:::send { printf("a%d\\n", args[4]->tcp_sport); printf("b%s\\n", args[2]->ip_saddr); } '
            'tcp:::send { printf("c%d\\n", args[4]->tcp_dport); } '
            'tcp:::send /args[2]->ip_ver == 4/ { printf("d\\n"); }')
    output = run_both(text, firings)
    assert output.startswith("a65535\nc1\na65535\nbfe80::1\nc1\n")
    err = io.StringIO()
    program: Any = compile_program([Source("x.d", text)], {"quiet": True}, [], io.StringIO(), err, notices=False)
    program.native_handler(tcp_probe("send"))(*firings[0][1:], None)
    assert err.getvalue() == (
        "pcapprobe: error on enabled probe ID 1 (ID 6: tcp:tcp:tcp_output:send): invalid address (0x0) in action #2\n"
        "pcapprobe: error on enabled probe ID 3 (ID 6: tcp:tcp:tcp_output:send): invalid address (0x0) in predicate\n")


# Declined programs --------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "tcp:::send { self->x = 1; }",
    "tcp:::send { a[args[4]->tcp_sport, 1] = 1; }",
    "tcp:::send { a[args[4]->tcp_sport] = \"x\"; }",
    "tcp:::send { printf(\"%c\\n\", args[4]->tcp_flags); }",
    "tcp:::send { printf(\"%#x\\n\", args[4]->tcp_flags); }",
    "tcp:::send { printf(\"%*d\\n\", 5, args[4]->tcp_flags); }",
    "tcp:::send { printf(\"%Y\\n\", walltimestamp); }",
    "tcp:::send { trace(args[4]->tcp_flags); }",
    "tcp:::send { exit(0); }",
    "tcp:::send { @ = count(); printa(@); }",
    "tcp:::send { printf(\"%s\\n\", strjoin(args[2]->ip_saddr, \"x\")); }",
    "tcp:::send { printf(\"%d\\n\", arg0); }",
    "tcp:::send { printf(\"%d\\n\", args[4]->tcp_hdr->th_flags[0]); }",
    "tcp:::send { this->x++; }",
    "tcp:::send { printf(\"%d\\n\", this->x += 2); }",
    "tcp:::send { printf(\"%d\\n\", args[3] == NULL); }",
    "tcp:::send { @[args[3]] = count(); }",
    "tcp:::send { printf(\"%d\\n\", args[4]->tcp_flags); } tcp:::send { self->y = 1; }",
])
def test_outside_the_subset_is_declined_and_the_python_handler_still_runs(
        text: str, tcp_firings: list[Firing]) -> None:
    out = io.StringIO()
    program: Any = compile_program([Source("x.d", text)], {"quiet": True}, [], out, io.StringIO(),
                                   notices=False)
    send = tcp_probe("send")
    assert program.native_handler(send) is None
    assert program.native_handler(send) is None  # cached
    handler = program.handler(send)
    assert handler is not None
    probe, ts, args = next(f for f in tcp_firings if f[0] is send)
    handler(ts, args, ("tcp", 1))


def test_probes_that_are_not_enabled_have_no_native_handler() -> None:
    program: Any = compile_program([Source("x.d", "tcp:::send { @ = count(); }")], {"quiet": True}, [],
                                   io.StringIO(), io.StringIO(), notices=False)
    assert program.native_handler(tcp_probe("receive")) is None
    assert program.native_handler(tcp_probe("send")) is program.native_handler(tcp_probe("send"))


def test_the_engine_handler_is_unchanged() -> None:
    program: Any = compile_program([Source("x.d", "tcp:::send { @ = count(); }")], {"quiet": True}, [],
                                   io.StringIO(), io.StringIO(), notices=False)
    assert type(program.handler(tcp_probe("send"))).__name__ == "function"


# Output and writer ---------------------------------------------------------------


def test_held_output_keeps_python_and_native_writes_in_order(tcp_firings: list[Firing]) -> None:
    out = io.StringIO()
    program: Any = compile_program([Source("x.d", TCPIO.read_text())], {}, [], out, io.StringIO(),
                                   notices=False)
    send = tcp_probe("send")
    probe, ts, args = next(f for f in tcp_firings if f[0] is send)
    fire = program.native_handler(send)
    fire(ts, args, ("tcp", 1))  # not held: straight to out
    line = out.getvalue()
    program.hold_output(True)
    program.pending.write("\u00e9\n")
    fire(ts, args, ("tcp", 1))
    fire(ts, args, ("tcp", 1))
    program.pending.write("b")
    fire(ts, args, ("tcp", 1))
    assert len(program.pending) == 5
    program.hold_output(False)
    assert out.getvalue() == line + "\u00e9\n" + line + line + "b" + line
    assert len(program.pending) == 0
    with pytest.raises(TypeError):
        program.pending.write(b"bytes")


def test_held_output_goes_to_pending_in_one_piece(tcp_firings: list[Firing]) -> None:
    program: Any = compile_program([Source("x.d", TCPIO.read_text())], {}, [], io.StringIO(),
                                   io.StringIO(), notices=False)
    send = tcp_probe("send")
    probe, ts, args = next(f for f in tcp_firings if f[0] is send)
    program.hold_output(True)
    program.native_handler(send)(ts, args, ("tcp", 1))
    assert len(program.pending) == 1
    text = program.pending.take()
    assert text.startswith("   0 ") and text.endswith(")\n") and text.count("\n") == 1
    assert len(program.pending) == 0 and program.pending.take() == ""
