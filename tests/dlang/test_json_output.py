"""``run --format json``: D output as bpftrace -f json's records, one per line
(README "Filters and output formats")."""

from __future__ import annotations

import json

import pytest

import pcapprobe
from pcapprobe.scripts import DIRECTORY
from tests.conftest import FIXTURES


def records(program: str, captures: list[str] | None = None, **options: object) -> list[dict]:
    result = pcapprobe.run(captures or [], program=program, format="json", **options)
    assert result.status == 0, result.errors
    return [json.loads(line) for line in result.output.splitlines()]


def test_printf_is_a_record_with_its_text() -> None:
    got = records('BEGIN { printf("a %d\\tb \\"%s\\"\\n", 5, "x"); '
                  'printf("no newline"); exit(0); }')
    assert got == [{"type": "printf", "data": 'a 5\tb "x"\n'},
                   {"type": "printf", "data": "no newline"}]


def test_the_lines_are_bpftraces_spelling() -> None:
    result = pcapprobe.run([], program='BEGIN { printf("test %d", 5); exit(0); }', format="json")
    assert result.output == '{"type": "printf", "data": "test 5"}\n'


def test_end_prints_every_unprinted_aggregation_as_a_map() -> None:
    got = records("""BEGIN {
        @c = count(); @c = count();
        @k["b", 2] = sum(7); @k["a", 1] = sum(3);
        @avg = avg(3); @avg = avg(4);
        @sd = stddev(2); @sd = stddev(4);
        @lo[1] = min(-5); @hi[1] = max(9);
        @big = sum(9007199254740993);
        @empty[1] = count(); clear(@empty); trunc(@empty);
        exit(0);
    }""")
    assert got == [
        {"type": "map", "data": {"@c": 2}},
        {"type": "map", "data": {"@k": {"a,1": 3, "b,2": 7}}},  # in dtrace's order: by value
        {"type": "map", "data": {"@avg": 3}},
        {"type": "map", "data": {"@sd": 1}},
        {"type": "map", "data": {"@lo": {"1": -5}}},
        {"type": "map", "data": {"@hi": {"1": 9}}},
        {"type": "map", "data": {"@big": "9007199254740993"}},  # beyond 2**53: a string
    ]


def test_quantize_buckets_from_the_first_to_the_last_non_empty() -> None:
    got = records("""BEGIN {
        @q = quantize(0); @q = quantize(1); @q = quantize(5); @q = quantize(-3);
        @q = quantize(9223372036854775807);
        @e = quantize(3);
        exit(0);
    }""")
    buckets = got[0]["data"]["@q"]
    assert buckets[0] == {"min": -3, "max": -2, "count": 1}
    assert buckets[1:5] == [{"min": -1, "max": -1, "count": 0}, {"min": 0, "max": 0, "count": 1},
                            {"min": 1, "max": 1, "count": 1}, {"min": 2, "max": 3, "count": 0}]
    assert buckets[5] == {"min": 4, "max": 7, "count": 1}
    assert buckets[-1] == {"min": "4611686018427387904", "max": "9223372036854775807",
                           "count": 1}  # beyond 2**53: strings
    assert got[1] == {"type": "hist", "data": {"@e": [{"min": 2, "max": 3, "count": 1}]}}


def test_lquantize_and_llquantize_have_open_ended_buckets() -> None:
    got = records("""BEGIN {
        @l = lquantize(-1, 0, 100, 10); @l = lquantize(55, 0, 100, 10);
        @l = lquantize(1000, 0, 100, 10);
        @ll = llquantize(5, 10, 0, 2, 10); @ll = llquantize(250, 10, 0, 2, 10);
        exit(0);
    }""")
    lq = got[0]["data"]["@l"]
    assert lq[0] == {"max": -1, "count": 1}
    assert lq[6] == {"min": 50, "max": 59, "count": 1}
    assert lq[-1] == {"min": 100, "count": 1} and len(lq) == 12
    ll = got[1]["data"]["@ll"]
    assert ll[0] == {"min": 5, "max": 5, "count": 1}
    assert ll[-1] == {"min": 200, "max": 299, "count": 1}
    assert all(a["max"] + 1 == b["min"] for a, b in zip(ll, ll[1:]))


def test_printa_writes_records_and_end_does_not_repeat_them() -> None:
    got = records("""BEGIN {
        @a["x"] = count(); @b["x"] = sum(4);
        printa("%s %@d %@d\\n", @a, @b);
        @c = count();
        exit(0);
    }""")
    assert got == [{"type": "map", "data": {"@a": {"x": 1}}},
                   {"type": "map", "data": {"@b": {"x": 4}}},
                   {"type": "map", "data": {"@c": 1}}]


def test_normalize_divides_as_the_text_output_does() -> None:
    got = records("BEGIN { @s[1] = sum(1000); @q = quantize(4); @q = quantize(4); "
                  "normalize(@s, 10); normalize(@q, 2); exit(0); }")
    assert got == [{"type": "map", "data": {"@s": {"1": 100}}},
                   {"type": "hist", "data": {"@q": [{"min": 4, "max": 7, "count": 1}]}}]


def test_trace_is_a_value_and_records_carry_no_probe_columns() -> None:
    got = records('BEGIN { trace(42); trace("s"); setopt("quiet", "0"); trace(1); exit(0); }')
    assert got == [{"type": "value", "data": 42}, {"type": "value", "data": "s"},
                   {"type": "value", "data": 1}]


@pytest.mark.parametrize("script, capture", [
    ("nfsv3rwtime.d", "nfsv3-tcp.pcap"), ("nfsv3io.d", "nfsv3-tcp.pcap"),
    ("iscsiwho.d", "iscsi-session.pcap"), ("ipproto.d", "ip-mixed.pcap"),
    ("tcpio.d", "tcp-handshake.pcap"), ("tcpstate.d", "tcp-handshake.pcap"),
])
def test_seed_scripts_json_holds_what_the_text_output_holds(script: str, capture: str) -> None:
    """The same printf text; every map entry and value the text output shows
    (normalized as printed); histogram counts that add up as the run's."""
    path = str(FIXTURES / capture)
    text = pcapprobe.run(path, script=DIRECTORY / script, local="all")
    result = pcapprobe.run(path, script=DIRECTORY / script, local="all", format="json")
    assert result.status == text.status == 0, result.errors
    got = [json.loads(line) for line in result.output.splitlines()]
    printed = "".join(r["data"] for r in got if r["type"] == "printf")
    assert all(line in text.output for line in printed.splitlines() if line.strip())
    assert result.aggregations == text.aggregations
    for rec in got:
        if rec["type"] == "map":
            ((name, data),) = rec["data"].items()
            entries = data.items() if isinstance(data, dict) else [("", data)]
            shown = [set(line.split()) for line in text.output.splitlines()]
            for key, value in entries:
                # a line of the text output (printa may join aggregations) shows both
                want = {*key.split(","), str(value)} if key else {str(value)}
                assert any(want <= words for words in shown), (name, key, value)
        elif rec["type"] == "hist":
            ((name, data),) = rec["data"].items()
            counts = text.aggregations[name[1:]]
            buckets = data.values() if isinstance(data, dict) else [data]
            assert sorted(sum(b["count"] for b in bs) for bs in buckets) == sorted(
                sum(c.values()) for c in counts.values())


def test_the_api_refuses_an_unknown_format_as_a_usage_error() -> None:
    result = pcapprobe.run([], program="BEGIN { exit(0); }", format="xml")
    assert (result.status, result.errors) == (
        2, "pcapprobe: format: 'xml' is not one of text, json\n")
