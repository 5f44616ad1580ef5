"""io provider: which SCSI commands and NFS calls are I/O, how bufinfo_t,
devinfo_t and fileinfo_t are filled, and what the wire cannot show."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

import pcapprobe
from pcapprobe.probes.translators.io import (
    EIO,
    _block_command,
    _block_length,
    _is_read_capacity,
    nfs_errno,
)
from tests.conftest import FIXTURES
from tests.nfs_sink import collect

BLOCKIO = FIXTURES / "iscsi-blockio.pcap"


def cdb16(opcode: int, lba: int, blocks: int) -> bytes:
    return struct.pack(">BBQIBB", opcode, 0, lba, blocks, 0, 0)


@pytest.mark.parametrize(("cdb", "expected"), [
    (bytes([0x08, 0x01, 0x02, 0x03, 0x00, 0x00]), (0x10203, 256, False)),  # 0 blocks: 256
    (bytes([0x0A, 0x00, 0x00, 0x07, 0x04, 0x00]), (7, 4, True)),
    (struct.pack(">BBIBHB", 0x28, 0, 1234, 0, 16, 0), (1234, 16, False)),
    (struct.pack(">BBIIBB", 0xAA, 0, 99, 3, 0, 0), (99, 3, True)),
    (cdb16(0x88, 1 << 40, 8), (1 << 40, 8, False)),
    (cdb16(0x93, 1000, 16), (1000, 16, True)),  # WRITE SAME(16)
    (struct.pack(">BBIBHB", 0x41, 0, 5, 0, 2, 0), (5, 2, True)),  # WRITE SAME(10)
    (struct.pack(">BBQBBBBBB", 0x89, 0, 77, 0, 0, 0, 1, 0, 0), (77, 1, True)),  # COMPARE AND WRITE
    (bytes([0x7F, 0, 0, 0, 0, 0, 0, 24, 0x00, 0x09, 0, 0]) + struct.pack(">Q", 42)
     + bytes(8) + struct.pack(">I", 5), (42, 5, False)),  # READ(32)
    (bytes([0x7F, 0, 0, 0, 0, 0, 0, 24, 0x00, 0x0B, 0, 0]) + struct.pack(">Q", 43)
     + bytes(8) + struct.pack(">I", 6), (43, 6, True)),  # WRITE(32)
])
def test_block_commands(cdb: bytes, expected: tuple[int, int, bool]) -> None:
    assert _block_command(cdb) == expected


@pytest.mark.parametrize("cdb", [
    bytes([0x35]) + bytes(9),  # SYNCHRONIZE CACHE: sd's uscsi path, no io probe
    bytes([0x42]) + bytes(9),  # UNMAP: DKIOCFREE, no io probe
    struct.pack(">BBIBHB", 0x2F, 0, 1, 0, 1, 0),  # VERIFY(10)
    bytes([0x12, 0, 0, 0, 36, 0]),  # INQUIRY
    bytes([0x28, 0, 0, 0]),  # truncated READ(10)
    b"",
])
def test_commands_that_are_not_io(cdb: bytes) -> None:
    assert _block_command(cdb) is None


def test_read_capacity_block_length() -> None:
    rc10 = bytes([0x25]) + bytes(9)
    rc16 = bytes([0x9E, 0x10]) + bytes(14)
    assert _is_read_capacity(rc10) and _is_read_capacity(rc16)
    assert not _is_read_capacity(bytes([0x9E, 0x11]) + bytes(14))
    assert _block_length(rc10, struct.pack(">II", 100, 4096), 0) == 4096
    assert _block_length(rc16, struct.pack(">QI", 100, 520 * 8), 0) is None  # not 512-aligned
    assert _block_length(rc16, struct.pack(">QI", 100, 512), 0) == 512
    assert _block_length(rc10, struct.pack(">I", 2048), 4) == 2048  # a later Data-In
    assert _block_length(rc10, struct.pack(">II", 100, 0), 0) is None
    assert _block_length(rc10, b"\x00\x00", 0) is None  # cut short


def test_nfs_errors_map_as_solaris_geterrno3() -> None:
    assert nfs_errno(5) == EIO and nfs_errno(13) == 13 and nfs_errno(28) == 28
    assert nfs_errno(70) == 151  # NFS3ERR_STALE: ESTALE
    assert nfs_errno(10008) == EIO  # NFS3ERR_JUKEBOX


def _run(capture: Path, program: str, **options: object) -> str:
    result = pcapprobe.run(str(capture), program=program, quiet=True, **options)
    assert result.status == 0, result.errors
    return result.output


def test_local_selects_the_initiator() -> None:
    program = "io:::start { @ = count(); }"
    assert _run(BLOCKIO, program, local="10.0.0.1").strip() == "7"
    assert _run(BLOCKIO, program, local="10.0.0.2").strip() == ""  # the target issues no I/O
    assert _run(BLOCKIO, program).strip() == "7"


def test_execname_is_the_host_for_io_and_sched_elsewhere() -> None:
    out = _run(BLOCKIO, 'io:::start { @[execname, pid] = count(); } '
               'iscsi:::scsi-command { @[execname, pid] = count(); }')
    assert out.split() == ["10.0.0.1", "0", "7", "sched", "0", "10"]


def test_done_keeps_the_start_device_and_block() -> None:
    firings, _ = collect(BLOCKIO, "io")
    starts = [(f.args[0].b_edev, f.args[0].b_blkno) for f in firings if f.name == "start"]
    dones = [(f.args[0].b_edev, f.args[0].b_blkno) for f in firings if f.name == "done"]
    assert starts == dones


def test_a_session_seen_without_its_login() -> None:
    firings, _ = collect(FIXTURES / "iscsi-midsession.pcap", "io")
    assert [f.name for f in firings] == ["start", "done", "start", "done"]
    device = firings[0].args[1]
    assert (device.dev_statname, device.dev_pathname) == ("sd0", "<unknown>")
    assert firings[1].args[0].b_bcount == 8 * 512  # no READ CAPACITY: 512-byte blocks


def test_unknown_nfs_paths() -> None:
    """Mid-stream NFS without --nfs-paths: the file's path and mount are unknown."""
    firings, _ = collect(FIXTURES / "nfsv3-midstream.pcap", "io")
    file = firings[0].args[2]
    assert (file.fi_name, file.fi_dirname, file.fi_pathname, file.fi_mount, file.fi_fs) == (
        "<unknown>", "<unknown>", "<unknown>", "<unknown>", "nfs3")
    seeded, _ = collect(FIXTURES / "nfsv3-midstream.pcap", "io",
                        nfs_paths=str(FIXTURES / "nfsv3-midstream.paths"))
    file = seeded[0].args[2]
    assert (file.fi_name, file.fi_dirname, file.fi_mount) == ("ecpg", "/export/stuff/bin",
                                                              "/export/stuff")


@pytest.mark.skipif(shutil.which("editcap") is None, reason="editcap is not installed")
@pytest.mark.parametrize("snaplen", [96, 128, 200])
def test_truncated_frames_invent_no_io(tmp_path: Path, snaplen: int) -> None:
    cut = tmp_path / f"cut-{snaplen}.pcap"
    subprocess.run(["editcap", "-s", str(snaplen), str(BLOCKIO), str(cut)], check=True,
                   capture_output=True)
    whole = {(f.name, f.args[0].b_blkno, f.args[0].b_bcount) for f in collect(BLOCKIO, "io")[0]}
    for firing in collect(cut, "io")[0]:
        assert (firing.name, firing.args[0].b_blkno, firing.args[0].b_bcount) in whole
