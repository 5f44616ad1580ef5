"""D conformance classes of issue 17, each checked from the language's definition
(the Dynamic Tracing Guide, dt_consume.c and dtrace.c), not from one program."""

from __future__ import annotations

import pytest

from tests.test_cli import pcapprobe
from tests.test_golden import run_engine

PREFIX = "  0      1                           :BEGIN"  # the non-quiet BEGIN line


def quiet(program: str) -> str:
    result = run_engine(program, ["-q"], [])
    assert result.status == 0, result.stderr
    return result.stdout


def loud(program: str) -> str:
    result = run_engine(program, [], [])
    assert result.status == 0, result.stderr
    return result.stdout


# trace() prints an integer by its D type (Oracle dt_print_trace): signed or
# unsigned at its own size; not quiet, after a space at widths 19/20 (8 bytes),
# 10 (4), 5 (2), 3 (1).
TRACE_CASES = [
    ("-1ul", "18446744073709551615", " 18446744073709551615"),
    ("(uint64_t)-2", "18446744073709551614", " 18446744073709551614"),
    ("(size_t)-1", "18446744073709551615", " 18446744073709551615"),
    ("-1L", "-1", "                  -1"),
    ("(int64_t)1 << 62", "4611686018427387904", " 4611686018427387904"),
    ("(uint32_t)-1", "4294967295", " 4294967295"),
    ("-1", "-1", "         -1"),
    ("(uint16_t)-1", "65535", " 65535"),
    ("(short)-1", "-1", "    -1"),
    ("(uint8_t)-1", "255", " 255"),
    ("(int8_t)-1", "-1", "  -1"),
    ("(char)200", "-56", " -56"),
]


@pytest.mark.parametrize(("expr", "in_quiet", "not_quiet"), TRACE_CASES)
def test_trace_prints_integers_by_type_and_size(expr: str, in_quiet: str, not_quiet: str) -> None:
    program = f"BEGIN {{ trace({expr}); exit(0); }}"
    assert quiet(program) == in_quiet + "\n"
    assert loud(program).splitlines()[1] == PREFIX + " " + not_quiet


# dtrace -l -v (dtrace.c print_probe_info): the description attributes are the
# least (dt_attr_min) of the provider's and those of the probe's non-empty fields.
BEGIN_VERBOSE = """\
   ID   PROVIDER            MODULE                          FUNCTION NAME
    1     dtrace                                                     BEGIN

\tProbe Description Attributes
\t\tIdentifier Names: Stable
\t\tData Semantics:   Stable
\t\tDependency Class: Common

\tArgument Attributes
\t\tIdentifier Names: Stable
\t\tData Semantics:   Stable
\t\tDependency Class: Common

\tArgument Types
\t\tNone

"""


def test_list_v_prints_dtrace_stability_blocks() -> None:
    assert pcapprobe("list", "-v", "-n", "BEGIN") == BEGIN_VERBOSE


@pytest.mark.parametrize("provider", ["ip", "tcp", "udp", "io", "nfsv3", "nfsv4", "iscsi", "fc", "srp"])
def test_list_v_network_probes_are_private_with_evolving_isa_arguments(provider: str) -> None:
    """A probe with a module and a function takes their Private/Unknown; the
    arguments keep the provider's Evolving/ISA (the seeds' tables)."""
    text = pcapprobe("list", "-v", "-P", provider)
    blocks = text.count("\tProbe Description Attributes\n")
    assert blocks == len([line for line in text.splitlines() if line[:5].strip().isdigit()])
    assert text.count(
        "\tProbe Description Attributes\n\t\tIdentifier Names: Private\n"
        "\t\tData Semantics:   Private\n\t\tDependency Class: Unknown\n") == blocks
    assert text.count(
        "\tArgument Attributes\n\t\tIdentifier Names: Evolving\n"
        "\t\tData Semantics:   Evolving\n\t\tDependency Class: ISA\n") == blocks


def test_stability_is_the_least_of_each_attribute() -> None:
    from pcapprobe.probes.stability import Attribute

    low = Attribute("Evolving", "Stable", "ISA") & Attribute("Stable", "Private", "Common")
    assert low == Attribute("Evolving", "Private", "ISA")
