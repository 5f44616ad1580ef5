"""pcapprobe: packet captures in, DTrace probe firings and DTrace's exact output out.

``pcapprobe.run(captures, script=None, program=None, **options)`` is the Python
API (see README "Python API").
"""

from __future__ import annotations

import sys

__version__ = "0.1.0"

NO_EXTENSION = ("pcapprobe's C extension (pcapprobe._fastpath) is not built: installing "
                "from source needs a C compiler and the Python headers (gcc and python3-dev), "
                "then reinstall; or install a binary wheel")


def _is_the_command() -> bool:
    """Whether this process is the ``pcapprobe`` command (or ``python -m pcapprobe``)."""
    argv = sys.orig_argv
    if "-m" in argv:
        return argv[argv.index("-m") + 1:][:1] == ["pcapprobe"]
    return sys.argv[0].rpartition("/")[2] == "pcapprobe"


try:
    import pcapprobe._fastpath  # noqa: F401  (every layer uses it: check once, here)
except ModuleNotFoundError as exc:
    if exc.name != "pcapprobe._fastpath":
        raise
    if _is_the_command():  # one line, as every other failure of the command
        sys.stderr.write(f"pcapprobe: {NO_EXTENSION}\n")
        raise SystemExit(1) from None
    raise ImportError(NO_EXTENSION, name=exc.name) from None


def run(captures, script=None, program=None, **options):  # type: ignore[no-untyped-def]
    """Run a D script/program over captures; see ``pcapprobe.api.run`` (its
    options are keyword-only: a misspelt one raises TypeError)."""
    from pcapprobe.api import run as _run

    return _run(captures, script, program, **options)


__all__ = ["__version__", "run"]
