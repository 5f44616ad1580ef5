"""pcapprobe: packet captures in, DTrace probe firings and DTrace's exact output out.

``pcapprobe.run(captures, script=None, program=None, **options)`` is the Python
API (see README "Python API").
"""

from __future__ import annotations

__version__ = "0.1.0"


def run(captures, script=None, program=None, **options):  # type: ignore[no-untyped-def]
    """Run a D script/program over captures; see ``pcapprobe.api.run``."""
    from pcapprobe.api import run as _run

    return _run(captures, script=script, program=program, **options)


__all__ = ["__version__", "run"]
