"""Golden tests: bpftrace-style ``tests/golden/*.t`` cases, diffed verbatim.

A case is a block of directives::

    NAME printf flags              (starts a case)
    ARGS -q -x aggsortkey 42       (optional: dtrace flags, then $1.. macro args)
    PCAP fixtures/pcaps/x.pcap     (optional; "shared:captures/..." for ../shared)
    PROG BEGIN { exit(0); }        (or "PROG <<END", lines, "END")
    SCRIPT tcpstate.d              (instead of PROG: pcapprobe/scripts/tcpstate.d)
    EXPECT text | EXPECT <<END ... END | EXPECT_FILE name.txt (tests/golden/outputs)
    STDERR <<END ... END           (optional: exact stderr)
    EXIT 0                         (optional, default 0)
    XFAIL reason                   (optional: a known bug elsewhere; xfails only on mismatch)

PROG is a ``-s`` script named ``prog.d`` unless ARGS has ``-n``; SCRIPT runs a
seed script shipped verbatim in ``pcapprobe/scripts/`` under its own name.  Cases with
PCAP run the real CLI in-process (``pcapprobe.cli.main``); cases without run
the engine with no capture (BEGIN, virtual-clock ticks until exit(), END).
``pytest --update-goldens`` rewrites EXPECT blocks and EXPECT_FILE outputs.
"""

from __future__ import annotations

import io
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pcapprobe.scripts import DIRECTORY
from tests.conftest import ROOT, SHARED

GOLDEN = Path(__file__).resolve().parent / "golden"
OUTPUTS = GOLDEN / "outputs"
SCRIPTS = DIRECTORY  # the shipped seed scripts
DIRECTIVES = ("NAME", "ARGS", "PCAP", "PROG", "SCRIPT", "EXPECT", "EXPECT_FILE", "STDERR", "EXIT", "XFAIL")


@dataclass
class Case:
    file: Path
    name: str
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.file.stem}:{self.name}"


def parse_cases(path: Path) -> list[Case]:
    """Parse one .t file into cases."""
    lines = path.read_text(encoding="utf-8").split("\n")
    cases: list[Case] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word not in DIRECTIVES:
            raise ValueError(f"{path.name}:{i}: unknown directive {word!r}")
        if rest.startswith("<<"):
            end = rest[2:].strip()
            block: list[str] = []
            while i < len(lines) and lines[i] != end:
                block.append(lines[i])
                i += 1
            if i >= len(lines):
                raise ValueError(f"{path.name}: unterminated <<{end}")
            i += 1
            value = "\n".join(block) + ("\n" if block else "")
        else:
            value = rest + ("\n" if word in ("EXPECT", "STDERR") else "")
        if word == "NAME":
            cases.append(Case(path, rest.strip()))
        elif not cases:
            raise ValueError(f"{path.name}:{i}: {word} before NAME")
        elif word == "SCRIPT":
            cases[-1].fields["SCRIPT"] = rest.strip()
            cases[-1].fields["PROG"] = (SCRIPTS / rest.strip()).read_text(encoding="utf-8")
        else:
            cases[-1].fields[word] = value
    return cases


def all_cases() -> list[Case]:
    return [case for path in sorted(GOLDEN.glob("*.t")) for case in parse_cases(path)]


@dataclass
class Result:
    stdout: str
    stderr: str
    status: int


def split_args(text: str) -> tuple[list[str], list[str]]:
    """(dtrace flags, macro args) from an ARGS line."""
    words = shlex.split(text)
    flags: list[str] = []
    i = 0
    while i < len(words) and words[i].startswith("-"):
        flags.append(words[i])
        if words[i] in ("-x", "--local", "--nfs-paths") and i + 1 < len(words):
            flags.append(words[i + 1])
            i += 1
        i += 1
    return flags, words[i:]


def run_engine(program_text: str, flags: list[str], macro_args: list[str],
               script_name: str = "prog.d") -> Result:
    """No capture: the engine directly, as ``pcapprobe run -s prog.d`` would."""
    from pcapprobe.dlang import DCompileError, Source, compile_program

    options: dict[str, object] = {}
    kind = "script"
    compile_only = False
    i = 0
    while i < len(flags):
        flag = flags[i]
        if flag == "-q":
            options["quiet"] = True
        elif flag == "-Z":
            options["zdefs"] = True
        elif flag == "-n":
            kind = "program"
        elif flag == "-e":
            compile_only = True
        elif flag == "-x":
            name, eq, value = flags[i + 1].partition("=")
            options[name] = value if eq else True
            i += 1
        i += 1
    out, err = io.StringIO(), io.StringIO()
    source = Source(script_name if kind == "script" else "-n", program_text, kind)
    try:
        program = compile_program([source], options, macro_args, out, err)
    except DCompileError as exc:
        err.write(exc.render() + "\n")
        return Result(out.getvalue(), err.getvalue(), 1)
    if compile_only:
        return Result(out.getvalue(), err.getvalue(), 0)
    program.run_without_capture()
    status = program.end()
    return Result(out.getvalue(), err.getvalue(), status)


def run_cli(case: Case, flags: list[str], macro_args: list[str], tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Result:
    """With a capture: the real CLI in-process."""
    pcap_text = case.fields["PCAP"].strip()
    if pcap_text.startswith("shared:"):
        pcap = SHARED / pcap_text[len("shared:"):]
        if not pcap.exists():
            pytest.skip(f"{pcap} is absent: this golden case needs ../shared")
    else:
        pcap = ROOT / pcap_text
        assert pcap.exists(), f"fixture {pcap_text} is missing"
    from pcapprobe.cli import main
    from pcapprobe.env import Environment
    monkeypatch.chdir(tmp_path)
    # an option's file, like the capture, is named relative to the repository
    flags = [str(ROOT / f) if prev == "--nfs-paths" else f
             for prev, f in zip(["", *flags], flags)]
    argv = ["run", str(pcap)]
    if "-n" in flags:
        argv += [f for f in flags if f != "-n"] + ["-n", case.fields["PROG"]]
    else:
        script = case.fields.get("SCRIPT", "prog.d")
        (tmp_path / script).write_text(case.fields["PROG"], encoding="utf-8")
        argv += flags + ["-s", script]
    argv += macro_args
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, Environment(out, err, io.BytesIO(), False))
    return Result(out.getvalue(), err.getvalue(), int(status))


def update_case(case: Case, result: Result) -> None:
    """Rewrite this case's EXPECT (or EXPECT_FILE) and STDERR blocks."""
    if "EXPECT_FILE" in case.fields:
        (OUTPUTS / case.fields["EXPECT_FILE"].strip()).write_text(result.stdout, encoding="utf-8")
    else:
        rewrite_block(case, "EXPECT", result.stdout)
    if "STDERR" in case.fields:
        rewrite_block(case, "STDERR", result.stderr)


def rewrite_block(case: Case, directive: str, text: str) -> None:
    lines = case.file.read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if line == f"NAME {case.name}")
    i = start + 1
    while i < len(lines) and not lines[i].startswith("NAME "):
        word, _, rest = lines[i].partition(" ")
        if word == directive:
            end = i + 1
            if rest.startswith("<<"):
                terminator = rest[2:].strip()
                while lines[end] != terminator:
                    end += 1
                end += 1
            body = text[:-1] if text.endswith("\n") else text
            lines[i:end] = [f"{directive} <<EOT", *(body.split("\n") if text else []), "EOT"]
            break
        i += 1
    case.file.write_text("\n".join(lines), encoding="utf-8")


CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                request: pytest.FixtureRequest) -> None:
    flags, macro_args = split_args(case.fields.get("ARGS", ""))
    if "PCAP" in case.fields:
        result = run_cli(case, flags, macro_args, tmp_path, monkeypatch)
    else:
        result = run_engine(case.fields["PROG"], flags, macro_args,
                            case.fields.get("SCRIPT", "prog.d"))
    if request.config.getoption("--update-goldens") and "XFAIL" not in case.fields:
        update_case(case, result)
        assert result.status == int(case.fields.get("EXIT", "0").strip() or 0), result.stderr
        return
    if "EXPECT_FILE" in case.fields:
        expected = (OUTPUTS / case.fields["EXPECT_FILE"].strip()).read_text(encoding="utf-8")
    else:
        expected = case.fields.get("EXPECT", "")
    if "XFAIL" in case.fields and result.stdout != expected:
        pytest.xfail(case.fields["XFAIL"])
    assert result.stdout == expected, f"stderr was:\n{result.stderr}"
    if "STDERR" in case.fields:
        assert result.stderr == case.fields["STDERR"]
    assert result.status == int(case.fields.get("EXIT", "0").strip() or 0), result.stderr


def test_golden_files_parse() -> None:
    assert CASES, "no golden cases found"
    names = [c.id for c in CASES]
    assert len(names) == len(set(names)), "duplicate golden case names"


def test_golden_scripts_are_the_seed_scripts_unchanged() -> None:
    """pcapprobe/scripts/ ships seed scripts verbatim (goldens run them without ../shared)."""
    seeds = SHARED / "seed-scripts"
    if not seeds.is_dir():
        pytest.skip("../shared/seed-scripts is absent: nothing to compare the copies with")
    for script in sorted(SCRIPTS.glob("*.d")):
        (seed,) = seeds.rglob(script.name)
        assert script.read_bytes() == seed.read_bytes(), script.name
    # Every nfsv4 seed script has its copy (and goldens in nfsv4.t).
    for seed in sorted((seeds / "nfsv4").glob("*.d")):
        assert (SCRIPTS / seed.name).is_file(), f"{seed.name} is not in pcapprobe/scripts"


def test_every_output_file_is_expected_by_a_case() -> None:
    used = {c.fields["EXPECT_FILE"].strip() for c in CASES if "EXPECT_FILE" in c.fields}
    assert {p.name for p in OUTPUTS.iterdir()} == used
