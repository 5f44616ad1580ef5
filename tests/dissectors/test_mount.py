"""MOUNT v1/v3: MNT replies carry export root handles."""

from __future__ import annotations

import pytest

from pcapprobe.dissectors import mount
from pcapprobe.dissectors._reader import DissectError, Reader
from fixtures.gen import nfs as gen


def test_mnt_v3() -> None:
    fs = gen.Server()
    call, reply = fs.mnt("/export")
    v3 = mount.MOUNT_PROCEDURES[3][mount.MOUNTPROC_MNT]
    assert v3.decode_call(Reader(call)) == "/export"
    result = v3.decode_reply(Reader(reply))
    assert result == mount.MountResult(0, fs.root_fh, (1,))


def test_mnt_v1_fixed_handle_and_errors() -> None:
    v1 = mount.MOUNT_PROCEDURES[1][mount.MOUNTPROC_MNT]
    assert v1.decode_reply(Reader(gen.u32(0) + b"H" * 32)) == mount.MountResult(0, b"H" * 32, ())
    assert v1.decode_reply(Reader(gen.u32(13))).status == 13  # EACCES: no handle
    with pytest.raises(DissectError):
        v1.decode_reply(Reader(gen.u32(0) + b"H" * 31))


def test_export_list() -> None:
    body = (gen.u32(1) + gen.string("/export") + gen.u32(1) + gen.string("*") + gen.u32(0)
            + gen.u32(1) + gen.string("/home") + gen.u32(0) + gen.u32(0))
    assert mount.export_reply(Reader(body)) == ["/export", "/home"]
    with pytest.raises(DissectError):
        mount.export_reply(Reader(body[:-4]))


def test_dirpath_limit() -> None:
    with pytest.raises(DissectError):
        mount.dirpath(Reader(gen.string("x" * 1025)))
