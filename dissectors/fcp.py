"""Fibre Channel Protocol for SCSI information units (FCP-4 §9).

FCP_CMND (§9.2): FCP_LUN, command reference number, task attribute, task
management flags, ADDITIONAL FCP_CDB LENGTH (in words) with RDDATA/WRDATA,
the CDB (16 bytes plus the additional length) and FCP_DL.  FCP_XFER_RDY
(§9.3): FCP_DATA_RO and FCP_BURST_LEN.  FCP_RSP (§9.5): status flags
(FCP_RSP_LEN_VALID, FCP_SNS_LEN_VALID, FCP_RESID_OVER/UNDER), SCSI status,
FCP_RESID, then the response information and the sense data.  FCP_DATA
carries its relative offset in the frame header's Parameter field.
The SCSI side (CDB lengths, status and sense) is ``dissectors.scsi``'s.
"""

from __future__ import annotations

import struct

from dissectors import fc, scsi
from dissectors._reader import Malformed, Truncated

CMND_LEN = 32  # with a 16-byte CDB and no additional CDB
XFER_RDY_LEN = 12
RSP_LEN = 24

# FCP_CMND byte 11 (§9.2.1).
RDDATA = 0x02
WRDATA = 0x01
TASK_ATTRIBUTE_MASK = 0x07

# FCP_RSP flags (§9.5.8).
RSP_LEN_VALID = 0x01
SNS_LEN_VALID = 0x02
RESID_OVER = 0x04
RESID_UNDER = 0x08
CONFIRM_REQUESTED = 0x10

_CMND_HEAD = struct.Struct(">8sBBBB")
_XFER_RDY = struct.Struct(">II")
_RSP = struct.Struct(">8xHBBIII")


class Command:
    """A decoded FCP_CMND."""

    __slots__ = ("lun", "crn", "task_attribute", "task_management", "flags", "cdb", "dl")

    lun: bytes
    crn: int
    task_attribute: int
    task_management: int
    flags: int  # RDDATA / WRDATA
    cdb: bytes
    dl: int  # FCP_DL: bytes the initiator expects to move

    @property
    def lun_int(self) -> int:
        """FCP_LUN as one 64-bit number (the raw 8 bytes, as iscsiinfo_t's ii_lun)."""
        return int.from_bytes(self.lun, "big")


def decode_command(payload: memoryview) -> Command:
    n = len(payload)
    if n < CMND_LEN:
        raise Truncated(CMND_LEN, n, "FCP_CMND")
    lun, crn, attribute, management, byte11 = _CMND_HEAD.unpack_from(payload, 0)
    additional = (byte11 >> 2) * 4
    cdb_end = 12 + 16 + additional
    if n < cdb_end + 4:
        raise Truncated(cdb_end + 4, n, "FCP_CMND additional CDB")
    cmd = Command()
    cmd.lun = lun
    cmd.crn = crn
    cmd.task_attribute = attribute & TASK_ATTRIBUTE_MASK
    cmd.task_management = management
    cmd.flags = byte11 & (RDDATA | WRDATA)
    cmd.cdb = bytes(payload[12:cdb_end])
    cmd.dl = struct.unpack_from(">I", payload, cdb_end)[0]
    return cmd


def decode_xfer_ready(payload: memoryview) -> tuple[int, int]:
    """(FCP_DATA_RO, FCP_BURST_LEN)."""
    if len(payload) < 8:
        raise Truncated(8, len(payload), "FCP_XFER_RDY")
    ro, burst = _XFER_RDY.unpack_from(payload, 0)
    return ro, burst


class Response:
    """A decoded FCP_RSP."""

    __slots__ = ("retry_delay", "flags", "status", "resid", "sense_len", "response_len",
                 "response_code", "sense")

    retry_delay: int
    flags: int
    status: int
    resid: int  # FCP_RESID, meaningful when RESID_OVER or RESID_UNDER is set
    sense_len: int
    response_len: int
    response_code: int | None  # RSP_CODE of the response information (§9.5.11)
    sense: scsi.Sense | None

    @property
    def residual(self) -> int:
        """The residual count when the flags declare one, else 0."""
        return self.resid if self.flags & (RESID_OVER | RESID_UNDER) else 0


def decode_response(payload: memoryview) -> Response:
    n = len(payload)
    if n < RSP_LEN:
        raise Truncated(RSP_LEN, n, "FCP_RSP")
    rsp = Response()
    (rsp.retry_delay, rsp.flags, rsp.status, rsp.resid, sense_len,
     response_len) = _RSP.unpack_from(payload, 0)
    rsp.sense_len = sense_len if rsp.flags & SNS_LEN_VALID else 0
    rsp.response_len = response_len if rsp.flags & RSP_LEN_VALID else 0
    if rsp.flags & RESID_OVER and rsp.flags & RESID_UNDER:
        raise Malformed("FCP_RSP with both RESID_OVER and RESID_UNDER", "fcp.bad_residual")
    end = RSP_LEN + rsp.response_len
    if n < end + rsp.sense_len:
        raise Truncated(end + rsp.sense_len, n, "FCP_RSP response and sense")
    rsp.response_code = payload[RSP_LEN + 3] if rsp.response_len >= 4 else None
    rsp.sense = scsi.decode_sense(payload[end:end + rsp.sense_len]) if rsp.sense_len else None
    return rsp


class Task:
    """One SCSI task of an I_T nexus: an FCP exchange from FCP_CMND to FCP_RSP.

    The same members as ``dissectors.iscsi.Task`` where the transports agree
    (lun, cdb, expected_len, read/write, status, data_in/data_out), so a
    consumer of SCSI tasks (the io provider) reads either one.
    """

    __slots__ = ("ox_id", "rx_id", "lun", "cdb", "expected_len", "flags", "data_in",
                 "data_out", "status", "residual", "burst", "xfer_ready", "io")

    def __init__(self, ox_id: int, command: Command) -> None:
        self.ox_id = ox_id
        self.rx_id = fc.RX_ID_UNASSIGNED  # until the target answers
        self.lun = command.lun_int
        self.cdb = command.cdb
        self.expected_len = command.dl
        self.flags = command.flags
        self.data_in = 0  # bytes of FCP_DATA from the target
        self.data_out = 0  # bytes of FCP_DATA from the initiator
        self.status: int | None = None
        self.residual = 0
        # The data sequence in progress, kept by the translator (xfer-start/xfer-done).
        self.burst: object = None
        self.xfer_ready = False  # an FCP_XFER_RDY was seen for this write
        # The initiator's I/O request of the io provider, if the command is one.
        self.io: object = None

    @property
    def read(self) -> bool:
        return bool(self.flags & RDDATA)

    @property
    def write(self) -> bool:
        return bool(self.flags & WRDATA)

    @property
    def opcode_name(self) -> str:
        return scsi.opcode_name(self.cdb[0]) if self.cdb else "?"
