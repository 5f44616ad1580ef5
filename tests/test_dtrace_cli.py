"""dtrace(1M) command-line behaviour of ``pcapprobe run``: macro arguments
after ``--`` and unreferenced ones, the C preprocessor (-C -D -U -I -H, a
``#!/usr/sbin/dtrace -Cs`` line), -w, -F/-S, ``run -l``, and ``list -v``."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import pcapprobe


def script(tmp_path: Path, text: str, name: str = "x.d") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# Macro arguments -------------------------------------------------------------

def test_after_dashes_every_argument_is_a_macro_argument(tmp_path: Path) -> None:
    # an NFS path filter contains '/' but is not a capture
    x = script(tmp_path, 'BEGIN { printf("%s %s\\n", $$1, $$2); exit(0); }')
    result = pcapprobe("run", "-q", "-s", x, "--", "/export/home", "a.pcap")
    assert (result, result.stderr, result.status) == ("/export/home a.pcap\n\n", "", 0)


def test_without_dashes_a_path_is_still_a_capture(tmp_path: Path) -> None:
    x = script(tmp_path, 'BEGIN { exit(0); }')
    result = pcapprobe("run", "-q", "-s", x, "/export/home")
    assert result.status == 1 and "/export/home: No such file or directory" in result.stderr


def test_an_unreferenced_last_argument_is_an_error(tmp_path: Path) -> None:
    # dt_compile checks the last argument: a misspelt capture name is caught
    x = script(tmp_path, 'BEGIN { printf("%d\\n", $1); exit(0); }\n')
    result = pcapprobe("run", "-q", "-s", x, "-x", "errtags", "1", "capture-typo")
    assert result.status == 1 and result == ""
    assert result.stderr == (f"pcapprobe: failed to compile script {x}: [D_MACRO_UNUSED] line 2: "
                             "extraneous argument 'capture-typo' ($2 is not referenced)\n")


def test_each_program_must_reference_the_last_argument(tmp_path: Path) -> None:
    result = pcapprobe("run", "-q", "-n", "BEGIN { exit(0); }", "foo")
    assert result.stderr == ("pcapprobe: invalid probe specifier BEGIN { exit(0); }: "
                             "extraneous argument 'foo' ($1 is not referenced)\n")
    x = script(tmp_path, 'BEGIN { printf("%s\\n", $$2); exit(0); }')
    assert pcapprobe("run", "-q", "-s", x, "a", "b") == "b\n\n"  # $1 unused: only the last counts
    assert pcapprobe("run", "-q", "-x", "argref", "-n", "BEGIN { exit(0); }", "foo").status == 0


# The C preprocessor -----------------------------------------------------------

HEADER = "#define LIMIT 3\ninline int SCALE = 10;\n"
SCRIPT = ('#include "limits.h"\n#define TWICE(x) ((x) * 2)\n\n'
          'BEGIN\n{\n\tprintf("%d %d %d\\n", TWICE(LIMIT), SCALE, __SUNW_D);\n\texit(0);\n}\n')


def test_include_and_define_with_dash_C(tmp_path: Path) -> None:
    script(tmp_path, HEADER, "limits.h")
    x = script(tmp_path, SCRIPT)
    result = pcapprobe("run", "-q", "-C", "-s", x)
    assert (result, result.stderr, result.status) == ("6 10 1\n\n", "", 0)
    # without -C the directive is D's error, as in dtrace
    plain = pcapprobe("run", "-q", "-s", x)
    assert plain.status == 1 and "invalid control directive: #include" in plain.stderr


def test_dash_Cs_in_the_interpreter_line_is_honoured(tmp_path: Path) -> None:
    script(tmp_path, HEADER, "limits.h")
    x = script(tmp_path, "#!/usr/sbin/dtrace -Cs\n" + SCRIPT)
    assert pcapprobe("run", "-q", "-s", x) == "6 10 1\n\n"


def test_D_U_I_and_predefined_macros(tmp_path: Path) -> None:
    (tmp_path / "inc").mkdir()
    script(tmp_path / "inc", "#define FROM_I 5\n", "extra.h")
    text = ('#include <extra.h>\nBEGIN { printf("%d %d %x\\n", FROM_I + N, DROPPED, __SUNW_D_VERSION); exit(0); }\n'
            "#ifdef __linux__\n#error host macros leak\n#endif\n")
    x = script(tmp_path, text)
    result = pcapprobe("run", "-q", "-C", f"-I{tmp_path / 'inc'}", "-D", "N=2", "-DDROPPED=1", "-UDROPPED",
                       "-D", "DROPPED=4", "-s", x)
    assert (result, result.stderr) == ("7 4 100d000\n\n", "")


def test_errors_name_the_script_lines_across_includes(tmp_path: Path) -> None:
    script(tmp_path, "#define A 1\n#define B 2\n#define C 3\n", "abc.h")
    x = script(tmp_path, '#include "abc.h"\n\nBEGIN\n{\n\tx = A + nosuch;\n}\n')
    result = pcapprobe("run", "-C", "-s", x)
    assert result.stderr == (f"pcapprobe: failed to compile script {x}: line 5: "
                             "failed to resolve nosuch: Unknown variable name\n")


def test_preprocessor_failure_is_dtraces_message(tmp_path: Path) -> None:
    result = pcapprobe("run", "-C", "-n", '#include "missing.h"')
    assert result.status == 1
    assert result.stderr.endswith("pcapprobe: invalid probe specifier #include \"missing.h\": "
                                  "Preprocessor failed to process input program\n")
    absent = pcapprobe("run", "-C", "-x", "cpppath=/nonexistent/cpp", "-n", "BEGIN")
    assert absent.status == 1 and "-C needs a C preprocessor" in absent.stderr


# -w, -S, -l -------------------------------------------------------------------

def test_destructive_actions_need_dash_w() -> None:
    result = pcapprobe("run", "-n", 'BEGIN { system("date"); exit(0); }')
    assert result.status == 1
    assert result.stderr == ("pcapprobe: description 'BEGIN ' matched 1 probe\n"
                             "pcapprobe: could not enable tracing: Destructive actions not allowed\n")
    chill = pcapprobe("run", "-q", "-w", "-n", 'BEGIN { chill(100); printf("ok\\n"); exit(0); }')
    assert (chill, chill.status) == ("ok\n\n", 0)
    refused = pcapprobe("run", "-w", "-n", "BEGIN { raise(9); }")
    assert refused.status == 1 and "raise( ) has nothing to act on in a capture" in refused.stderr


def test_dash_S_says_there_is_no_intermediate_code() -> None:
    assert pcapprobe("run", "-S", "-n", "BEGIN").status == 2


def test_run_dash_l_lists_what_the_program_matches() -> None:
    result = pcapprobe("run", "-l", "-n", "BEGIN, END { }")
    lines = result.splitlines()
    assert lines[0].split() == ["ID", "PROVIDER", "MODULE", "FUNCTION", "NAME"]
    assert [line.split()[1:] for line in lines[1:]] == [["dtrace", "BEGIN"], ["dtrace", "END"]]
    everything = pcapprobe("run", "-l")
    assert everything == pcapprobe("list")
