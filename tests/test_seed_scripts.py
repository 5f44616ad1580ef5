"""Every seed D script and one-liner compiles with ``pcapprobe run -e``.

The seed scripts (../shared/seed-scripts) are the users' reference programs:
each must compile unchanged -- except iscsixfer.d and iscsixfersnoop.d, which
Solaris DTrace itself rejects (`%s` on the uint32_t xfer_type/xfer_len) and
which therefore give DTrace's exact compile error, exit status 1.  The ``iscsi*:::, http*:::, cifs:::`` one-liner
names providers that do not exist, so -- as with DTrace -- it fails without -Z
with DTrace's wording and compiles with -Z.
"""

from __future__ import annotations


import pytest

from tests import seed_scripts

PROGRAMS = seed_scripts.seed_programs()
NO_MATCH = "probe description http*::: does not match any probes"


def _cli():  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from pcapprobe.cli import cli

    return CliRunner(), cli


def _compile(  # type: ignore[no-untyped-def]
        program: seed_scripts.SeedProgram, *flags: str):
    runner, cli = _cli()
    if program.kind == "script":
        source = ["-s", str(seed_scripts.program_path(program))]
    else:
        source = ["-n", program.text]
    args = ["run", "-e", *flags, *source]
    return runner.invoke(cli, args, obj={"argv": args[1:]}, catch_exceptions=False)


def _needs_z(program: seed_scripts.SeedProgram) -> bool:
    return "http*:::" in program.text


# The seed declares xferinfo_t.xfer_type uint32_t, and Solaris DTrace rejects
# `%s` on an integer (dt_printf.c: dt_printf_validate, D_PRINTF_ARG_TYPE): these
# two guide scripts fail to compile there, so they fail here, with its message.
# (iscsixfersnoop.d also passes one argument too many, but the type check of
# conversion #3 -- "%%" is conversion #2 -- comes first.)
_PROTO_S = ("incompatible with conversion #{conv} prototype:\n\tconversion: %s\n"
            "\t prototype: char [] or string (or use stringof)\n\t  argument: uint32_t\n")
TYPE_ERRORS = {
    "iscsi/iscsixfer.d": "line 13: printa( ) argument #3 is " + _PROTO_S.format(conv=2),
    "iscsi/iscsixfersnoop.d": "line 14: printf( ) argument #3 is " + _PROTO_S.format(conv=3),
}


@pytest.mark.parametrize("program", [p for p in PROGRAMS if p.name in TYPE_ERRORS],
                         ids=lambda p: p.name)
def test_seed_program_type_error(program: seed_scripts.SeedProgram) -> None:
    result = _compile(program)
    assert result.exit_code == 1
    path = seed_scripts.program_path(program)
    assert result.stderr == f"pcapprobe: failed to compile script {path}: {TYPE_ERRORS[program.name]}"
    assert result.stdout == ""


def test_exactly_the_two_xfer_scripts_fail() -> None:
    if not seed_scripts.SEED_SCRIPTS.is_dir():
        pytest.skip("../shared/seed-scripts is absent")
    assert sorted(p.name for p in PROGRAMS if p.name in TYPE_ERRORS) == sorted(TYPE_ERRORS)


@pytest.mark.parametrize(
    "program", [p for p in PROGRAMS if not _needs_z(p) and p.name not in TYPE_ERRORS],
    ids=lambda p: p.name)
def test_seed_program_compiles(program: seed_scripts.SeedProgram) -> None:
    result = _compile(program)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""


def test_seed_programs_are_present() -> None:
    if not seed_scripts.SEED_SCRIPTS.is_dir():
        pytest.skip("../shared/seed-scripts is absent")
    assert sum(map(_needs_z, PROGRAMS)) == 1
    assert len(PROGRAMS) >= 40


@pytest.mark.parametrize("program", [p for p in PROGRAMS if _needs_z(p)],
                         ids=lambda p: p.name)
def test_unmatched_providers_need_z(program: seed_scripts.SeedProgram) -> None:
    without = _compile(program)
    assert without.exit_code == 1
    assert NO_MATCH in without.stderr
    assert without.stdout == ""
    with_z = _compile(program, "-Z")
    assert with_z.exit_code == 0, with_z.stderr
