"""strsize: every string D stores or produces is cut to strsize bytes, as
DTrace's fixed-size string buffers cut it (issue 20), in the Python clause
code and in the native tcp programs alike."""

from __future__ import annotations

import io

import pytest

import pcapprobe
from pcapprobe.dlang import Source, compile_program
from pcapprobe.dlang.runtime.builtins import cut
from tests.conftest import FIXTURES
from tests.dlang.test_native import run_both, tcp_firings  # noqa: F401 - the fixture


def run_d(text: str, **options: object) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    program = compile_program([Source("x.d", text)], {"quiet": True, **options}, [], out, err)
    program.run_without_capture()
    program.end()
    return out.getvalue(), err.getvalue()


def test_cut_keeps_the_first_strsize_bytes() -> None:
    assert cut("abcdefgh", 4) == "abcd"
    assert cut("abc", 4) == "abc"
    assert cut("abcd", 4) == "abcd"  # a full buffer needs no NUL
    assert cut("\xe9\xe9", 3) == "\xe9\udcc3"  # a cut inside UTF-8 keeps the byte before it
    assert cut("\udce9" * 5, 3) == "\udce9" * 3  # wire bytes that were not UTF-8 are one byte each


@pytest.mark.parametrize("how", ["option", "pragma"])
def test_literals_variables_and_string_functions_are_cut(how: str) -> None:
    text = ('BEGIN { x = "abcdefghijkl"; self->y = x; a[x] = 1;'
            ' printf("%s|%s|%d|%d|%s\\n", x, self->y, strlen(x), a["abcdefghXYZ"], substr("0123456789ab", 2)); exit(0); }')
    if how == "pragma":
        out, err = run_d("#pragma D option strsize=8\n" + text)
    else:
        out, err = run_d(text, strsize="8")
    # "abcdefghXYZ" is "abcdefgh" too: the same element of a[]
    assert (out, err) == ("abcdefgh|abcdefgh|8|1|234567\n\n", "")


def test_default_strsize_is_256() -> None:
    out, _ = run_d('BEGIN { printf("%d\\n", strlen("%s")); exit(0); }'.replace('"%s"', '"' + "x" * 300 + '"'))
    assert out == "256\n\n"


def test_aggregation_keys_are_cut() -> None:
    out, err = run_d('BEGIN { @["abcdefgh-1"] = count(); @["abcdefgh-2"] = count(); exit(0); }', strsize="8")
    assert (out, err) == ("\n  abcdefgh                                                          2\n", "")


def test_trace_of_a_full_buffer_prints_all_of_it() -> None:
    assert run_d('BEGIN { trace("abcdefghij"); exit(0); }', strsize="8")[0].startswith("  abcdefgh")


def test_strjoin_past_strsize_faults_and_the_run_goes_on() -> None:
    out, err = run_d('BEGIN { printf("%s\\n", strjoin("abc", "def")); printf("%s\\n", strjoin("abcd", "efgh"));'
                     ' } END { printf("end\\n"); }', strsize="8")
    assert out == "abcdef\nend\n\n"  # the second strjoin needs 9 bytes with its NUL
    assert "out of scratch space in action #2" in err


def test_probe_argument_strings_are_cut() -> None:
    program = 'nfsv3:::op-lookup-done { printf("%s\\n", args[1]->noi_curpath); }'
    whole = pcapprobe.run(FIXTURES / "nfsv3-tcp.pcap", program=program, quiet=True).output.splitlines()
    cut_ = pcapprobe.run(FIXTURES / "nfsv3-tcp.pcap", program=program, quiet=True,
                         defines={"strsize": "6"}).output.splitlines()
    assert any(len(line) > 6 for line in whole)  # the fixture has paths to cut
    assert cut_ == [line[:6] for line in whole]


def test_native_programs_cut_literals_and_keep_addresses_whole_when_they_fit(tcp_firings: list) -> None:  # noqa: F811
    text = ('#pragma D option strsize=64\n'
            'tcp:::receive { printf("%s %s\\n", args[2]->ip_saddr, "' + "z" * 80 + '"); }')
    out = run_both(text, tcp_firings)  # native: addresses are never longer than 45 bytes
    lines = out.rstrip("\n").splitlines()
    assert lines and all(line.endswith(" " + "z" * 64) and "z" * 65 not in line for line in lines)


def test_native_programs_decline_member_strings_strsize_would_cut(tcp_firings: list) -> None:  # noqa: F811
    text = ('#pragma D option strsize=5\n'
            'tcp:::receive { @[args[2]->ip_saddr, "abcdefgh"] = count(); }')
    out = run_both(text, tcp_firings, expect_native=False)  # the Python handler cuts
    keys = [line.split()[:2] for line in out.splitlines() if line.strip()]
    assert keys and all(len(a) <= 5 and b == "abcde" for a, b in keys)
