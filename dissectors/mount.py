"""MOUNT protocol versions 1 and 3 (RFC 1094 appendix A, RFC 1813 §5).

Program 100005.  pcapprobe reads it for one thing: MNT replies hand out the
root file handle of an export, which anchors every NFSv3 path (``noi_curpath``).
EXPORT replies list the exported directories.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from pcapprobe.dissectors._reader import Malformed, Reader

MOUNT_PROGRAM = 100005
MNTPATHLEN = 1024  # RFC 1813 §5.1
FHSIZE = 32  # MOUNT v1 handles are NFSv2's fixed 32 bytes (RFC 1094 §2.3.3)
FHSIZE3 = 64
MNT3_OK = 0
MAX_EXPORTS = 65536

MOUNTPROC_NULL = 0
MOUNTPROC_MNT = 1
MOUNTPROC_DUMP = 2
MOUNTPROC_UMNT = 3
MOUNTPROC_UMNTALL = 4
MOUNTPROC_EXPORT = 5


class MountResult(NamedTuple):
    """A MNT reply: status and, on success, the export's root handle."""

    status: int
    fhandle: bytes
    auth_flavors: tuple[int, ...]


def dirpath(r: Reader) -> str:
    return r.xdr_string(MNTPATHLEN, "dirpath")


def mnt_reply_v3(r: Reader) -> MountResult:
    """mountres3 (RFC 1813 §5.2.1)."""
    status = r.u32()
    if status != MNT3_OK:
        return MountResult(status, b"", ())
    fhandle = bytes(r.xdr_opaque(FHSIZE3, "fhandle3"))
    count = r.xdr_array_len(None, "auth_flavors")
    return MountResult(status, fhandle, tuple(r.u32() for _ in range(count)))


def mnt_reply_v1(r: Reader) -> MountResult:
    """fhstatus (RFC 1094 appendix A.2.1): a fixed 32-byte handle."""
    status = r.u32()
    if status != 0:
        return MountResult(status, b"", ())
    return MountResult(status, bytes(r.take(FHSIZE, "fhandle")), ())


def export_reply(r: Reader) -> list[str]:
    """exports: a linked list of (dirpath, groups) (RFC 1813 §5.2.5)."""
    paths: list[str] = []
    while r.xdr_bool():
        if len(paths) >= MAX_EXPORTS:
            raise Malformed("export list too long", "mount.bad_exports")
        paths.append(dirpath(r))
        while r.xdr_bool():
            r.xdr_string(255, "group name")
    return paths


def void(r: Reader) -> None:
    return None


class Procedure(NamedTuple):
    name: str
    decode_call: Callable[[Reader], object]
    decode_reply: Callable[[Reader], object]


def procedures(version: int) -> dict[int, Procedure]:
    """MOUNT's procedure table for version 1 or 3 (2 is 1 plus PATHCONF)."""
    mnt_reply = mnt_reply_v3 if version == 3 else mnt_reply_v1
    return {
        MOUNTPROC_NULL: Procedure("null", void, void),
        MOUNTPROC_MNT: Procedure("mnt", dirpath, mnt_reply),
        MOUNTPROC_DUMP: Procedure("dump", void, void),
        MOUNTPROC_UMNT: Procedure("umnt", dirpath, void),
        MOUNTPROC_UMNTALL: Procedure("umntall", void, void),
        MOUNTPROC_EXPORT: Procedure("export", void, export_reply),
    }


MOUNT_PROCEDURES: dict[int, dict[int, Procedure]] = {v: procedures(v) for v in (1, 2, 3)}
