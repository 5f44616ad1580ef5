"""The seed scripts shipped with pcapprobe: the D programs printed in the
provider guides (ip, tcp, iscsi, nfsv3, nfsv4, io, srp), kept verbatim as
package data.

``pcapprobe run CAPTURE -s nfsv3io.d`` runs the shipped nfsv3io.d when no
file of that name exists (``shipped_script``); a file always wins, as in dtrace.
"""

from __future__ import annotations

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent


def shipped_script(name: str) -> Path | None:
    """The shipped script called ``name`` (a bare file name), or None."""
    if not name or name != Path(name).name or not name.endswith(".d"):
        return None
    path = DIRECTORY / name
    return path if path.is_file() else None


def shipped_scripts() -> list[Path]:
    """Every shipped script, by name."""
    return sorted(DIRECTORY.glob("*.d"))
