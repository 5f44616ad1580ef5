"""io provider against tshark: the initiator's block I/O and the NFS client's file I/O.

iSCSI: every READ/WRITE(6/10/12/16) SCSI Command tshark decodes is one
io:::start, in capture order, with ``b_blkno * 512 == LBA * block size`` and
``b_bcount == blocks * block size``, the block size one power of two (512 or
more) per device; every such command whose status tshark decodes (a SCSI
Response, or a Data-In with the S bit, of its ITT on its TCP stream) is one
io:::done.  NFSv3: every first transmission of a READ or WRITE call is one
io:::start with ``fi_offset`` and ``b_bcount`` tshark's offset3 and count3, and
every one answered is one io:::done.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES, require_tshark, shared_captures
from tests.nfs_sink import Firing, collect
from tests.tshark import fields

ISCSI = [p for p in shared_captures("iscsi", "real-peers") if "iscsi" in p.name]
NFS = [p for p in shared_captures("nfsv3", "real-peers") if "nfsv3" in p.name]
BLOCK_OPCODES = {0x08: "R", 0x28: "R", 0xA8: "R", 0x88: "R",
                 0x0A: "W", 0x2A: "W", 0xAA: "W", 0x8A: "W"}
WRITE_SAME = {0x41, 0x93}
B_READ = 0x40


def _values(text: str) -> list[str]:
    return [v for v in text.split(",") if v]


def _number(text: str) -> int:
    """tshark prints 64-bit LBAs as bare hex digits, shorter ones as numbers."""
    return int(text, 16) if len(text) == 16 and not text.startswith("0x") else int(text, 0)


def tshark_block_commands(capture: Path) -> tuple[list[tuple[str, int | None, int | None]], int]:
    """tshark's READ/WRITE commands in order, (R/W, LBA, blocks), and how many
    of them have a status."""
    rows = fields(capture, ["tcp.stream", "iscsi.opcode", "iscsi.initiatortasktag",
                            "iscsi.flags", "scsi_sbc.opcode", "scsi_mmc.opcode",
                            "scsi_sbc.rdwr6.lba", "scsi_sbc.rdwr10.lba", "scsi_sbc.rdwr16.lba",
                            "scsi_sbc.rdwr6.xferlen", "scsi_sbc.rdwr10.xferlen",
                            "scsi_sbc.rdwr12.xferlen"], "iscsi")
    commands: list[tuple[str, int, int]] = []
    open_tasks: dict[tuple[str, str], int] = {}
    answered = 0
    for stream, opcodes, itts, flags, sbc, mmc, *numbers in rows:
        lbas = [_values(v) for v in numbers[:3]]
        lengths = [_values(v) for v in numbers[3:]]
        ops, tags, flag_list = _values(opcodes), _values(itts), _values(flags)
        # tshark repeats a command's CDB opcode on the PDUs answering it: only
        # the frame's SCSI Command PDUs are commands
        # (and twice on a command carrying data): one per SCSI Command PDU
        n_commands = sum(int(op, 16) & 0x3F == 0x01 for op in ops)
        cdb_ops = [int(v, 16) for v in _values(sbc) + _values(mmc)][:n_commands]
        block = [op for op in cdb_ops if op in BLOCK_OPCODES or op in WRITE_SAME]
        lba_list = next((v for v in lbas if v), [])
        len_list = next((v for v in lengths if v), [])
        decoded = 0
        for op in block:
            if op in WRITE_SAME:  # tshark has no LBA field for it: order and count only
                commands.append(("W", None, None))
                continue
            if decoded >= len(lba_list) or decoded >= len(len_list):
                break  # tshark did not decode the CDB fully
            blocks = int(len_list[decoded], 0)
            if op in (0x08, 0x0A) and blocks == 0:
                blocks = 256  # SBC-3 §5.15
            commands.append((BLOCK_OPCODES[op], _number(lba_list[decoded]), blocks))
            decoded += 1
        command_tags = [tag for op, tag in zip(ops, tags) if int(op, 16) & 0x3F == 0x01]
        for tag in command_tags[: len(block)]:
            open_tasks[(stream, tag)] = 1
        for op, tag, flag in zip(ops, tags, flag_list):
            op_value, flag_value = int(op, 16), int(flag, 16)
            status = op_value == 0x21 or (op_value == 0x25 and flag_value & 0x01)
            if status and open_tasks.pop((stream, tag), None):
                answered += 1
    return commands, answered


def check_block_io(capture: Path) -> None:
    require_tshark()
    commands, answered = tshark_block_commands(capture)
    firings, _ = collect(capture, "io")
    starts = [f for f in firings if f.name == "start"]
    dones = [f for f in firings if f.name == "done"]
    assert len(starts) == len(commands), capture.name
    assert len(dones) == answered, capture.name
    sizes: dict[str, set[int]] = {}
    for firing, (rw, lba, blocks) in zip(starts, commands):
        buf, dev = firing.args[0], firing.args[1]
        assert ("R" if buf.b_flags & B_READ else "W") == rw
        if lba is None or blocks is None:
            continue
        if blocks == 0:
            assert buf.b_bcount == 0
            continue
        size, rest = divmod(buf.b_bcount, blocks)
        assert rest == 0 and size >= 512 and size & (size - 1) == 0, (capture.name, lba)
        assert buf.b_blkno * 512 == lba * size, (capture.name, lba)
        sizes.setdefault(dev.dev_statname, set()).add(size)
    assert all(len(s) == 1 for s in sizes.values()), sizes


@pytest.mark.parametrize("capture", ISCSI, ids=lambda p: p.name)
def test_iscsi_block_io_matches_tshark(capture: Path) -> None:
    check_block_io(capture)


def test_generated_block_io_matches_tshark() -> None:
    check_block_io(FIXTURES / "iscsi-blockio.pcap")


def tshark_nfs_io(capture: Path) -> tuple[list[tuple[str, int, int]], int]:
    """tshark's first transmissions of READ/WRITE calls, (R/W, offset, count), and
    how many of them a reply answered (paired by client and xid)."""
    rows = fields(capture, ["rpc.msgtyp", "nfs.procedure_v3", "rpc.xid", "rpc.call.dup",
                            "nfs.offset3", "nfs.count3", "ip.src", "ip.dst", "ipv6.src",
                            "ipv6.dst", "tcp.srcport", "tcp.dstport", "udp.srcport",
                            "udp.dstport"],
                  "rpc.program == 100003 && rpc.programversion == 3"
                  " && (nfs.procedure_v3 == 6 || nfs.procedure_v3 == 7)")
    calls, pending, answered = [], set(), 0
    for kind, procs, xids, dup, offsets, counts, *ends in rows:
        src, dst = ends[0] or ends[2], ends[1] or ends[3]
        sport, dport = ends[4] or ends[6], ends[5] or ends[7]
        if kind == "0":
            if dup:
                continue
            for proc, xid, offset, count in zip(_values(procs), _values(xids),
                                                _values(offsets), _values(counts)):
                calls.append(("R" if proc == "6" else "W", int(offset), int(count)))
                pending.add((src, sport, xid))
        else:
            for xid in _values(xids):
                if (dst, dport, xid) in pending:
                    pending.discard((dst, dport, xid))
                    answered += 1
    return calls, answered


def check_nfs_io(capture: Path) -> None:
    require_tshark()
    calls, answered = tshark_nfs_io(capture)
    firings: list[Firing] = collect(capture, "io")[0]
    starts = [(("R" if f.args[0].b_flags & B_READ else "W"), f.args[2].fi_offset,
                f.args[0].b_bcount) for f in firings if f.name == "start"]
    assert sorted(starts) == sorted(calls), capture.name
    assert sum(f.name == "done" for f in firings) == answered, capture.name
    for f in firings:
        assert f.args[0].b_blkno == f.args[2].fi_offset // 512


@pytest.mark.parametrize("capture", NFS, ids=lambda p: p.name)
def test_nfs_client_io_matches_tshark(capture: Path) -> None:
    check_nfs_io(capture)


@pytest.mark.parametrize("name", ["nfsv3-tcp.pcap", "nfsv3-udp.pcap", "nfsv3-midstream.pcap"])
def test_generated_nfs_client_io_matches_tshark(name: str) -> None:
    check_nfs_io(FIXTURES / name)


NFS4 = [p for p in shared_captures("nfsv4", "real-peers") if "nfsv4" in p.name]
NFS4_FIXTURES = sorted(FIXTURES.glob("nfsv4*.pcap"))


def tshark_nfs4_io(capture: Path) -> tuple[int, int]:
    """READ and WRITE operations in NFSv4 COMPOUND calls and in their replies."""
    rows = fields(capture, ["rpc.msgtyp", "nfs.opcode", "rpc.call.dup"],
                  "rpc.program == 100003 && rpc.programversion == 4 && nfs.opcode")
    calls = replies = 0
    for kind, opcodes, dup in rows:
        io_ops = sum(op in ("25", "38") for op in _values(opcodes))
        if kind == "0" and not dup:
            calls += io_ops
        elif kind == "1":
            replies += io_ops
    return calls, replies


@pytest.mark.parametrize("capture", NFS4 + NFS4_FIXTURES, ids=lambda p: p.name)
def test_nfsv4_client_io_matches_tshark(capture: Path) -> None:
    require_tshark()
    calls, replies = tshark_nfs4_io(capture)
    firings: list[Firing] = collect(capture, "io")[0]
    assert sum(f.name == "start" for f in firings) == calls, capture.name
    assert sum(f.name == "done" for f in firings) == replies, capture.name
    assert all(f.args[2].fi_fs == "nfs4" for f in firings)
