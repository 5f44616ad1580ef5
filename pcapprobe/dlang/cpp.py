"""dtrace -C: the C preprocessor run on a D program before it is compiled.

DTrace runs the system's cpp (libdtrace dt_cc.c dt_preproc) with its own
predefined macros (dt_open.c); so does pcapprobe, with ``cpp`` (or the
``-x cpppath`` program), because a C compiler is already needed to build
pcapprobe, and GNU cpp implements the whole of C's preprocessor (a pure
Python one such as pcpp would be one more dependency for the same job,
and slower).  ``-undef`` drops the host's own predefined macros, so a
script sees the same macros on every host: DTrace's, those of the Solaris
machine whose traffic is traced (amd64, LP64), and the -D/-U given.
``__STDC__`` stays GNU cpp's 1 (dtrace -Xc), not dtrace's default 0 (-Xa):
GNU cpp warns on every run when it is redefined.

The line markers cpp writes are kept: the D lexer skips them, and the
``Source`` maps each output line back to the line it came from, so errors
name the lines of the script, as dt_lex.l's ``#line`` handling does.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from pcapprobe.dlang.source import Source
from pcapprobe.errors import PcapProbeError

# DT_VERSION_NUMBER(1, 13, 0): the D version of Oracle Solaris 11's DTrace.
D_VERSION = (1 << 24) | (13 << 12)
# dt_open.c and dt_preproc's -D arguments (and the amd64 kernel's model).
PREDEFINED = (
    "-D__sun", "-D__unix", "-D__SVR4", "-D__SUNW_D=1", "-D__SUNW_D_64",
    "-D__SunOS_5_11", f"-D__SUNW_D_VERSION=0x{D_VERSION:08x}",
    "-D__x86", "-D__amd64", "-D_LP64", "-D__LP64",
)
_MARKER = re.compile(r"#\s*(?:line\s+)?(\d+)(?:\s|$)")
_SHEBANG_FLAGS = re.compile(r"#!\S*\s+(.*)")


class CppError(PcapProbeError):
    """The preprocessor could not be run, or failed on the program."""


def wants_cpp(text: str) -> bool:
    """Whether a script's ``#!`` line asks dtrace for -C (``#!/usr/sbin/dtrace -Cs``)."""
    if not text.startswith("#!"):
        return False
    match = _SHEBANG_FLAGS.match(text.split("\n", 1)[0])
    if match is None:
        return False
    return any(word.startswith("-") and not word.startswith("--") and "C" in word[1:]
               for word in match.group(1).split())


def preprocess(source: Source, args: Sequence[str] = (), cpppath: str | None = None,
               err: IO[str] | None = None) -> Source:
    """``source`` after cpp, with its line map; ``args`` are -D/-U/-I/-H in
    command-line order.  cpp's own messages go to ``err`` (stderr)."""
    program = cpppath or "cpp"
    found = shutil.which(program)
    if found is None:
        raise CppError(f"-C needs a C preprocessor: '{program}' was not found "
                       "(install cpp or gcc, or give -x cpppath=PATH)")
    text = source.text
    if text.startswith("#!"):
        # dt_preproc starts cpp after the interpreter line, keeping its newline
        newline = text.find("\n")
        text = "" if newline < 0 else text[newline:]
    command = [found, "-undef", *PREDEFINED]
    if source.kind == "script":
        # quoted #include names are looked for beside the script, as if cpp
        # read the script itself (it reads it from standard input)
        command.append(f"-iquote{Path(source.name).parent or '.'}")
    command += [*args, "-"]
    try:
        done = subprocess.run(command, input=text.encode("utf-8", "surrogateescape"),
                              capture_output=True, check=False)
    except OSError as exc:
        raise CppError(f"failed to run {program}: {exc.strerror or exc}") from None
    messages = done.stderr.decode("utf-8", "replace")
    if messages and err is not None:
        err.write(messages)
    if done.returncode != 0:
        what = f"failed to compile script {source.name}" if source.kind == "script" else \
            f"invalid probe specifier {source.text}"
        raise CppError(f"{what}: Preprocessor failed to process input program")
    output = done.stdout.decode("utf-8", "surrogateescape")
    return Source(source.name, output, source.kind, line_map=tuple(line_numbers(output)))


def line_numbers(output: str) -> list[int]:
    """The line each line of cpp's output came from: a marker ``# N "file"``
    says the next line is line N."""
    numbers: list[int] = []
    current = 1
    for line in output.split("\n"):
        numbers.append(current)
        marker = _MARKER.match(line)
        current = int(marker.group(1)) if marker else current + 1
    return numbers
