"""SCSI command descriptor blocks, status and sense data, shared by iSCSI, FCP and SRP.

Opcodes and CDB layouts from SPC-4 §4.2.5 (group codes, CDB lengths) and §6,
SBC-3 §5 (READ/WRITE 6/10/12/16, VERIFY, SYNCHRONIZE CACHE), SAM-5 §5.3 (status)
and SPC-4 §4.5 (sense data, fixed and descriptor formats).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pcapprobe.dissectors._reader import Malformed, Truncated

# SPC-4 §4.2.5.1: the top three opcode bits (the group code) give the CDB length.
CDB_LENGTH_BY_GROUP = (6, 10, 10, None, 16, 12, None, None)  # 3: variable, 6/7: vendor

SCSI_OP_TEST_UNIT_READY = 0x00
SCSI_OP_READ_6 = 0x08
SCSI_OP_WRITE_6 = 0x0A
SCSI_OP_READ_10 = 0x28
SCSI_OP_WRITE_10 = 0x2A
SCSI_OP_READ_12 = 0xA8
SCSI_OP_WRITE_12 = 0xAA
SCSI_OP_READ_16 = 0x88
SCSI_OP_WRITE_16 = 0x8A
SCSI_OP_VARIABLE_LENGTH = 0x7F

OPCODE_NAMES: dict[int, str] = {
    0x00: "TEST UNIT READY",
    0x01: "REZERO UNIT",  # SSC: REWIND
    0x03: "REQUEST SENSE",
    0x04: "FORMAT UNIT",
    0x05: "READ BLOCK LIMITS",
    0x07: "REASSIGN BLOCKS",  # SMC: INITIALIZE ELEMENT STATUS
    0x08: "READ(6)",
    0x0A: "WRITE(6)",
    0x0B: "SEEK(6)",
    0x10: "WRITE FILEMARKS(6)",
    0x11: "SPACE(6)",
    0x12: "INQUIRY",
    0x15: "MODE SELECT(6)",
    0x16: "RESERVE(6)",
    0x17: "RELEASE(6)",
    0x19: "ERASE(6)",
    0x1A: "MODE SENSE(6)",
    0x1B: "START STOP UNIT",  # SSC: LOAD UNLOAD
    0x1C: "RECEIVE DIAGNOSTIC RESULTS",
    0x1D: "SEND DIAGNOSTIC",
    0x1E: "PREVENT ALLOW MEDIUM REMOVAL",
    0x23: "READ FORMAT CAPACITIES",
    0x25: "READ CAPACITY(10)",
    0x28: "READ(10)",
    0x2A: "WRITE(10)",
    0x2B: "SEEK(10)",  # SSC: LOCATE(10)
    0x2E: "WRITE AND VERIFY(10)",
    0x2F: "VERIFY(10)",
    0x34: "PRE-FETCH(10)",  # SSC: READ POSITION
    0x35: "SYNCHRONIZE CACHE(10)",
    0x37: "READ DEFECT DATA(10)",
    0x3B: "WRITE BUFFER",
    0x3C: "READ BUFFER",
    0x41: "WRITE SAME(10)",
    0x42: "UNMAP",  # MMC: READ SUB-CHANNEL
    0x43: "READ TOC/PMA/ATIP",
    0x46: "GET CONFIGURATION",
    0x4A: "GET EVENT STATUS NOTIFICATION",
    0x4C: "LOG SELECT",
    0x4D: "LOG SENSE",
    0x51: "READ DISC INFORMATION",
    0x55: "MODE SELECT(10)",
    0x56: "RESERVE(10)",
    0x57: "RELEASE(10)",
    0x5A: "MODE SENSE(10)",
    0x5E: "PERSISTENT RESERVE IN",
    0x5F: "PERSISTENT RESERVE OUT",
    0x7F: "VARIABLE LENGTH",  # OSD and other service actions in an extended CDB
    0x83: "EXTENDED COPY",
    0x84: "RECEIVE COPY RESULTS",
    0x88: "READ(16)",
    0x89: "COMPARE AND WRITE",
    0x8A: "WRITE(16)",
    0x8E: "WRITE AND VERIFY(16)",
    0x8F: "VERIFY(16)",
    0x91: "SYNCHRONIZE CACHE(16)",
    0x93: "WRITE SAME(16)",
    0x9E: "SERVICE ACTION IN(16)",  # READ CAPACITY(16) is service action 0x10
    0xA0: "REPORT LUNS",
    0xA3: "MAINTENANCE IN",  # REPORT TARGET PORT GROUPS, ...
    0xA5: "MOVE MEDIUM",
    0xA8: "READ(12)",
    0xAA: "WRITE(12)",
    0xAF: "VERIFY(12)",
    0xB8: "READ ELEMENT STATUS",
    0xBE: "READ CD",
}

# SBC-3 §5: (LBA offset, LBA size, length offset, length size) of the block commands.
_RW_FIELDS: dict[int, tuple[int, int, int, int]] = {
    0x28: (2, 4, 7, 2),  # READ(10)
    0x2A: (2, 4, 7, 2),  # WRITE(10)
    0x2E: (2, 4, 7, 2),  # WRITE AND VERIFY(10)
    0x2F: (2, 4, 7, 2),  # VERIFY(10)
    0xA8: (2, 4, 6, 4),  # READ(12)
    0xAA: (2, 4, 6, 4),  # WRITE(12)
    0xAF: (2, 4, 6, 4),  # VERIFY(12)
    0x88: (2, 8, 10, 4),  # READ(16)
    0x8A: (2, 8, 10, 4),  # WRITE(16)
    0x8E: (2, 8, 10, 4),  # WRITE AND VERIFY(16)
    0x8F: (2, 8, 10, 4),  # VERIFY(16)
}
READ_OPCODES = frozenset({SCSI_OP_READ_6, SCSI_OP_READ_10, SCSI_OP_READ_12, SCSI_OP_READ_16})
WRITE_OPCODES = frozenset(
    {SCSI_OP_WRITE_6, SCSI_OP_WRITE_10, SCSI_OP_WRITE_12, SCSI_OP_WRITE_16}
)

# SAM-5 §5.3.1 status codes.
STATUS_NAMES: dict[int, str] = {
    0x00: "GOOD",
    0x02: "CHECK CONDITION",
    0x04: "CONDITION MET",
    0x08: "BUSY",
    0x18: "RESERVATION CONFLICT",
    0x28: "TASK SET FULL",
    0x30: "ACA ACTIVE",
    0x40: "TASK ABORTED",
}

# SPC-4 §4.5.6 sense keys.
SENSE_KEY_NAMES = (
    "NO SENSE", "RECOVERED ERROR", "NOT READY", "MEDIUM ERROR",
    "HARDWARE ERROR", "ILLEGAL REQUEST", "UNIT ATTENTION", "DATA PROTECT",
    "BLANK CHECK", "VENDOR SPECIFIC", "COPY ABORTED", "ABORTED COMMAND",
    "RESERVED", "VOLUME OVERFLOW", "MISCOMPARE", "COMPLETED",
)


def lun_number(field: int) -> int:
    """The LUN of an 8-byte LUN field read as one big-endian number: its first
    level, peripheral or flat addressing (SAM-5 §4.7.3, the 14 bits after the
    address method)."""
    return (field >> 48) & 0x3FFF


def opcode_name(opcode: int) -> str:
    """The T10 name of a CDB opcode, or ``"0xNN"`` for one not in the table."""
    return OPCODE_NAMES.get(opcode) or f"0x{opcode:02x}"


def status_name(status: int) -> str:
    """The SAM name of a SCSI status byte."""
    return STATUS_NAMES.get(status) or f"0x{status:02x}"


def cdb_length(cdb: bytes | memoryview) -> int:
    """The length the opcode's group code gives (SPC-4 §4.2.5.1); variable CDBs
    (0x7F) carry it in byte 7 (§4.2.3)."""
    if not cdb:
        raise Truncated(1, 0, "CDB opcode")
    opcode = cdb[0]
    if opcode == SCSI_OP_VARIABLE_LENGTH:
        if len(cdb) < 8:
            raise Truncated(8, len(cdb), "variable-length CDB")
        return 8 + cdb[7]
    return CDB_LENGTH_BY_GROUP[opcode >> 5] or len(cdb)


@dataclass(frozen=True, slots=True)
class BlockIo:
    """LBA and transfer length (in logical blocks) of a READ/WRITE-family CDB."""

    opcode: int
    lba: int
    blocks: int

    @property
    def is_read(self) -> bool:
        return self.opcode in READ_OPCODES

    @property
    def is_write(self) -> bool:
        return self.opcode in WRITE_OPCODES


def block_io(cdb: bytes | memoryview) -> BlockIo | None:
    """LBA and transfer length of a block command, ``None`` for other opcodes."""
    if not cdb:
        return None
    opcode = cdb[0]
    if opcode in (SCSI_OP_READ_6, SCSI_OP_WRITE_6):
        if len(cdb) < 6:
            raise Truncated(6, len(cdb), "READ/WRITE(6) CDB")
        # SBC-3 §5.15: a 21-bit LBA; a transfer length of 0 means 256 blocks.
        lba = ((cdb[1] & 0x1F) << 16) | (cdb[2] << 8) | cdb[3]
        return BlockIo(opcode, lba, cdb[4] or 256)
    fields = _RW_FIELDS.get(opcode)
    if fields is None:
        return None
    lba_at, lba_size, len_at, len_size = fields
    if len(cdb) < len_at + len_size:
        raise Truncated(len_at + len_size, len(cdb), f"{opcode_name(opcode)} CDB")
    lba = int.from_bytes(cdb[lba_at : lba_at + lba_size], "big")
    return BlockIo(opcode, lba, int.from_bytes(cdb[len_at : len_at + len_size], "big"))


@dataclass(frozen=True, slots=True)
class Sense:
    """The decoded essentials of sense data: key, ASC and ASCQ."""

    response_code: int
    key: int
    asc: int
    ascq: int

    @property
    def key_name(self) -> str:
        return SENSE_KEY_NAMES[self.key]


_FIXED_ASC = struct.Struct(">BB")


def decode_sense(data: bytes | memoryview) -> Sense:
    """Decode fixed (0x70/0x71) or descriptor (0x72/0x73) sense data (SPC-4 §4.5)."""
    if not data:
        raise Truncated(1, 0, "sense response code")
    code = data[0] & 0x7F
    if code in (0x70, 0x71):
        # Fixed format: key in byte 2, ASC/ASCQ in bytes 12-13; the additional
        # length (byte 7) may stop short of them, which leaves them zero.
        if len(data) < 3:
            raise Truncated(3, len(data), "fixed sense key")
        asc, ascq = _FIXED_ASC.unpack_from(data, 12) if len(data) >= 14 else (0, 0)
        return Sense(code, data[2] & 0x0F, asc, ascq)
    if code in (0x72, 0x73):
        if len(data) < 4:
            raise Truncated(4, len(data), "descriptor sense header")
        return Sense(code, data[1] & 0x0F, data[2], data[3])
    raise Malformed(f"sense response code 0x{code:02x}", "scsi.bad_sense_code")
