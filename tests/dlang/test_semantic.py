"""Types and scopes: catalog-typed args[], member signedness, probe matching."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from pcapprobe.dlang import DCompileError, Source, compile_program
from pcapprobe.dlang import types as ty
from pcapprobe.dlang.passes.probes import ProbeTable, parse_description, profile_interval
from pcapprobe.probes import catalog


def run_ip(program: str, ipinfo: object, quiet: bool = True) -> str:
    out = io.StringIO()
    prog = compile_program([Source("-n", program, "program")], {"quiet": quiet}, [], out, io.StringIO())
    fire = prog.handler(catalog.PROVIDERS["ip"]["receive"])
    assert fire is not None
    fire(1_000, (None, None, ipinfo, None, None, None), ("flow", 1))
    return out.getvalue()


def test_member_types_come_from_the_catalog() -> None:
    info = SimpleNamespace(ip_ver=4, ip_plength=65535, ip_saddr="10.0.0.1", ip_daddr="10.0.0.2")
    # uint16_t + 1 is int arithmetic (promotion), so no 16-bit wrap.
    assert run_ip('ip:::receive { printf("%d %s\\n", args[2]->ip_plength + 1, args[2]->ip_saddr); }', info) == "65536 10.0.0.1\n"
    # Assigned to a uint16_t-typed variable, it wraps.
    text = 'ip:::receive { x = args[2]->ip_plength; x++; printf("%d\\n", x); }'
    assert run_ip(text, info) == "0\n"


def test_signed_member_conversions() -> None:
    info = SimpleNamespace(ip_ver=4, ip_plength=1, ip_saddr="a", ip_daddr="b")
    assert run_ip('ip:::receive { printf("%d\\n", args[2]->ip_plength - 2 < 0); }', info) == "1\n"
    assert run_ip('ip:::receive { printf("%d\\n", args[2]->ip_plength - 2u < 0); }', info) == "0\n"


def test_unknown_member_and_wrong_operator() -> None:
    with pytest.raises(DCompileError, match="translator does not define conversion for member: ip_sadr"):
        compile_program([Source("-n", "ip:::receive { trace(args[2]->ip_sadr); }", "program")], {}, [], io.StringIO(), io.StringIO())
    with pytest.raises(DCompileError, match=r'operator \. cannot be applied to type "ipinfo_t \*"; must be applied to a struct or union'):
        compile_program([Source("-n", "ip:::receive { trace(args[2].ip_saddr); }", "program")], {}, [], io.StringIO(), io.StringIO())


def test_variable_types_fixed_by_first_assignment() -> None:
    with pytest.raises(DCompileError, match='operands have incompatible types: "string" = "int"'):
        compile_program([Source("x.d", 'BEGIN { s = "a"; } END { s = 1; }')], {}, [], io.StringIO(), io.StringIO())


def test_use_before_definition_is_an_error() -> None:
    with pytest.raises(DCompileError, match="failed to resolve later: Unknown variable name"):
        compile_program([Source("x.d", "BEGIN { x = later; } END { later = 1; }")], {}, [], io.StringIO(), io.StringIO())


def test_constant_types() -> None:
    assert ty.constant_type(1, "", False) == ty.INT
    assert ty.constant_type(1 << 31, "", False) == ty.LONG
    assert ty.constant_type(1 << 31, "", True) == ty.UINT
    assert ty.constant_type(1 << 63, "", False) == ty.ULONG
    assert ty.constant_type(1, "ul", False) == ty.ULONG


def test_arithmetic_conversions() -> None:
    u8 = ty.integer("uint8_t", 1, False)
    assert ty.arithmetic(u8, u8) == ty.INT
    assert ty.arithmetic(ty.INT, ty.UINT) == ty.UINT
    assert ty.arithmetic(ty.UINT, ty.LONG) == ty.LONG
    assert ty.arithmetic(ty.LONG, ty.UINT64) == ty.UINT64


def test_probe_descriptions() -> None:
    table = ProbeTable()
    names = lambda text: [p.name for p in table.match(parse_description(text))]  # noqa: E731
    assert names("BEGIN") == ["BEGIN"]
    assert names("dtrace:::END") == ["END"]
    assert names("ip:::") == ["send", "receive"]
    assert names("ip::ip_input:") == ["receive"]
    assert names("ip:::[r]*") == ["receive"]
    assert names("i?:::se*") == ["send"]
    assert names("nosuch:::") == []
    assert parse_description("a:b:c:d:e") is None


@pytest.mark.parametrize(
    ("name", "ns"),
    [("tick-1sec", 10**9), ("tick-10ms", 10**7), ("tick-5s", 5 * 10**9), ("tick-1000", 10**6),
     ("profile-97", 10**9 // 97), ("tick-2min", 120 * 10**9), ("tick-1h", 3600 * 10**9),
     ("tick-1day", 86400 * 10**9), ("tick-500usec", 500_000), ("tick-100hz", 10**7),
     ("tick-1ns", None), ("tick-0", None), ("tick-1fortnight", None), ("tock-1", None)],
)
def test_profile_intervals(name: str, ns: int | None) -> None:
    assert profile_interval(name) == ns


def test_profile_probe_ids_are_stable() -> None:
    table = ProbeTable()
    first = table.match(parse_description("profile:::tick-1sec"))[0]
    again = table.match(parse_description("tick-1sec"))[0]
    assert first is again
    assert table.ids[first] > len(catalog.all_probes())
    assert table.ids[table.match(parse_description("BEGIN"))[0]] == 1
