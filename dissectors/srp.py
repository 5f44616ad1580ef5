"""SCSI RDMA Protocol information units (T10 SRP r16a §5; the layouts Linux's
``scsi/srp.h`` and illumos's ``srp.h`` declare).

SRP_LOGIN_REQ/RSP/REJ travel in the private data of the IB CM REQ/REP/REJ
(r16a §5.1, Annex A) and every other IU in an RC SEND.  Data moves by RDMA:
the target RDMA WRITEs data-in to, and RDMA READs data-out from, the buffers
an SRP_CMD's descriptors name (direct, or an indirect table of them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dissectors._reader import Malformed, Reader, Truncated

SRP_LOGIN_REQ, SRP_TSK_MGMT, SRP_CMD, SRP_I_LOGOUT = 0x00, 0x01, 0x02, 0x03
SRP_LOGIN_RSP, SRP_RSP, SRP_LOGIN_REJ = 0xC0, 0xC1, 0xC2
SRP_T_LOGOUT, SRP_CRED_REQ, SRP_AER_REQ = 0x80, 0x81, 0x82
SRP_CRED_RSP, SRP_AER_RSP = 0x41, 0x42
NAMES = {SRP_LOGIN_REQ: "SRP_LOGIN_REQ", SRP_TSK_MGMT: "SRP_TSK_MGMT", SRP_CMD: "SRP_CMD",
         SRP_I_LOGOUT: "SRP_I_LOGOUT", SRP_LOGIN_RSP: "SRP_LOGIN_RSP", SRP_RSP: "SRP_RSP",
         SRP_LOGIN_REJ: "SRP_LOGIN_REJ", SRP_T_LOGOUT: "SRP_T_LOGOUT",
         SRP_CRED_REQ: "SRP_CRED_REQ", SRP_AER_REQ: "SRP_AER_REQ",
         SRP_CRED_RSP: "SRP_CRED_RSP", SRP_AER_RSP: "SRP_AER_RSP"}
LOGIN_REQ_LEN, LOGIN_RSP_LEN, LOGIN_REJ_LEN = 64, 52, 32
CMD_HEADER_LEN = 48  # through the 16-byte CDB (r16a §5.6.1)
RSP_HEADER_LEN = 36
TSK_MGMT_LEN = 48
DESC_DIRECT, DESC_INDIRECT = 1, 2  # buffer descriptor formats (r16a §5.6.2)
DIRECT_DESC_LEN = 16  # VA (8), R_Key (4), length (4)
# SRP_RSP flags (r16a §5.9): residual counts of each direction
RSP_DOOVER, RSP_DOUNDER, RSP_DIOVER, RSP_DIUNDER = 0x04, 0x08, 0x10, 0x20


@dataclass(slots=True)
class Login:
    """SRP_LOGIN_REQ, SRP_LOGIN_RSP or SRP_LOGIN_REJ."""

    type: int
    tag: int
    max_it_iu_len: int = 0  # REQ: requested; RSP: granted
    max_ti_iu_len: int = 0  # RSP
    word4: int = 0  # RSP: REQUEST LIMIT DELTA; REJ: REASON (the same bytes 4-7)
    initiator_port_id: bytes = b""  # REQ
    target_port_id: bytes = b""  # REQ


@dataclass(slots=True)
class Descriptor:
    """A memory buffer of the initiator (r16a §5.6.2.2): VA, R_Key, length."""

    va: int
    key: int
    length: int


@dataclass(slots=True)
class Command:
    """SRP_CMD (r16a §5.6)."""

    tag: int
    lun: int  # the 8-byte LUN field as one number
    task_attribute: int
    cdb: bytes
    data_out: list[Descriptor] = field(default_factory=list)
    data_in: list[Descriptor] = field(default_factory=list)


@dataclass(slots=True)
class TaskManagement:
    """SRP_TSK_MGMT (r16a §5.7)."""

    tag: int
    lun: int
    function: int
    task_tag: int


@dataclass(slots=True)
class Response:
    """SRP_RSP (r16a §5.9)."""

    tag: int
    req_limit_delta: int
    flags: int
    status: int
    data_out_residual: int
    data_in_residual: int


@dataclass(slots=True)
class Logout:
    """SRP_I_LOGOUT / SRP_T_LOGOUT (r16a §5.4, §5.5)."""

    type: int
    tag: int
    reason: int = 0


def iu_type(view: memoryview) -> int | None:
    return view[0] if len(view) else None


def decode_login(view: memoryview) -> Login:
    """An SRP_LOGIN_* IU (from CM private data)."""
    r = Reader(view)
    kind = r.u8() if r.remaining else -1
    if kind == SRP_LOGIN_REQ:
        need, what = LOGIN_REQ_LEN, "SRP_LOGIN_REQ"
    elif kind == SRP_LOGIN_RSP:
        need, what = LOGIN_RSP_LEN, "SRP_LOGIN_RSP"
    elif kind == SRP_LOGIN_REJ:
        need, what = LOGIN_REJ_LEN, "SRP_LOGIN_REJ"
    else:
        raise Malformed(f"SRP login IU type 0x{kind & 0xFF:02x}", "srp.bad_login")
    if len(view) < need:
        raise Truncated(need, len(view), what)
    r = Reader(view, 4)
    word4 = r.u32()
    tag = r.u64()
    if kind == SRP_LOGIN_REQ:
        return Login(kind, tag, r.u32(), 0, 0, bytes(view[32:48]), bytes(view[48:64]))
    if kind == SRP_LOGIN_RSP:
        return Login(kind, tag, r.u32(), r.u32(), word4)
    return Login(kind, tag, word4=word4)


def decode(view: memoryview) -> Command | TaskManagement | Response | Logout | None:
    """An IU of an RC SEND; None for the credit and event IUs (no probe)."""
    kind = iu_type(view)
    if kind == SRP_CMD:
        return _command(view)
    if kind == SRP_RSP:
        r = Reader(view)
        if r.remaining < RSP_HEADER_LEN:
            raise Truncated(RSP_HEADER_LEN, r.remaining, "SRP_RSP")
        r.skip(4)
        delta, tag = r.u32(), r.u64()
        r.skip(2)
        flags, status = r.u8(), r.u8()
        return Response(tag, delta, flags, status, r.u32(), r.u32())
    if kind == SRP_TSK_MGMT:
        if len(view) < TSK_MGMT_LEN:
            raise Truncated(TSK_MGMT_LEN, len(view), "SRP_TSK_MGMT")
        r = Reader(view, 8)
        tag = r.u64()
        r.skip(4)
        lun = r.u64()
        r.skip(2)
        function = r.u8()
        r.skip(1)
        return TaskManagement(tag, lun, function, r.u64())
    if kind in (SRP_I_LOGOUT, SRP_T_LOGOUT):
        if len(view) < 16:
            raise Truncated(16, len(view), NAMES[kind])
        r = Reader(view, 4)
        reason = r.u32()
        return Logout(kind, r.u64(), reason if kind == SRP_T_LOGOUT else 0)
    if kind in (SRP_CRED_REQ, SRP_AER_REQ, SRP_CRED_RSP, SRP_AER_RSP):
        return None
    raise Malformed(f"SRP IU type 0x{(kind or 0):02x}", "srp.bad_iu")


def _command(view: memoryview) -> Command:
    if len(view) < CMD_HEADER_LEN:
        raise Truncated(CMD_HEADER_LEN, len(view), "SRP_CMD")
    r = Reader(view, 5)
    formats, out_count, in_count = r.u8(), r.u8(), r.u8()
    tag = r.u64()
    r.skip(4)
    lun = r.u64()
    r.skip(1)
    attribute = r.u8() & 0x07
    r.skip(1)
    add_cdb = (r.u8() >> 2) * 4  # ADDITIONAL CDB LENGTH counts 4-byte words (bits 7-2)
    cdb = bytes(r.take(16 + add_cdb, "SRP_CMD CDB"))
    cmd = Command(tag, lun, attribute, cdb)
    out_format, in_format = formats >> 4, formats & 0x0F
    if out_format:
        cmd.data_out = _descriptors(r, out_format, out_count, in_count if in_format else 0)
    if in_format:
        cmd.data_in = _descriptors(r, in_format, in_count, 0)
    return cmd


def _descriptors(r: Reader, fmt: int, count: int, following: int) -> list[Descriptor]:
    """One direction's buffers: a direct descriptor, or an indirect table whose
    descriptors travel in the IU (r16a §5.6.2.3) when they fit."""
    if fmt == DESC_DIRECT:
        return [_direct(r)]
    if fmt != DESC_INDIRECT:
        raise Malformed(f"SRP_CMD buffer descriptor format {fmt}", "srp.bad_descriptor")
    table = _direct(r)  # where the full table sits in the initiator's memory
    r.skip(4)  # TOTAL LENGTH of the data
    listed = table.length // DIRECT_DESC_LEN
    return [_direct(r) for _ in range(min(listed, count or listed))]


def _direct(r: Reader) -> Descriptor:
    d = r.sub(DIRECT_DESC_LEN, "SRP buffer descriptor")
    return Descriptor(d.u64(), d.u32(), d.u32())
