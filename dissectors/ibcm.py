"""InfiniBand Communication Management MADs (IBTA Vol. 1 ch. 12).

CM messages travel as GSI MADs (§13.4: 24-byte common MAD header, management
class 0x07) to QP1, in UD SEND-only packets.  §12.6 gives each message's
layout after the MAD header; only what binds a queue pair to a connection is
decoded: communication IDs, service ID, QPNs, starting PSNs, the primary
path's port GIDs and the private data an upper protocol (SRP, iSER) carries.
"""

from __future__ import annotations

from dataclasses import dataclass

from pcapprobe.dissectors._reader import Malformed, Reader, Truncated

MAD_HEADER_LEN = 24  # §13.4.2
MGMT_CLASS_CM = 0x07
CM_REQ, CM_MRA, CM_REJ, CM_REP, CM_RTU = 0x0010, 0x0011, 0x0012, 0x0013, 0x0014
CM_DREQ, CM_DREP = 0x0015, 0x0016
NAMES = {CM_REQ: "REQ", CM_MRA: "MRA", CM_REJ: "REJ", CM_REP: "REP", CM_RTU: "RTU",
         CM_DREQ: "DREQ", CM_DREP: "DREP"}
# Where each message's private data starts and how long it is (§12.6.5-12.6.11).
PRIVATE_DATA = {CM_REQ: (140, 92), CM_REJ: (84, 148), CM_REP: (36, 196), CM_RTU: (8, 224),
                CM_DREQ: (12, 220), CM_DREP: (8, 224)}


# RDMA CM service IDs (IBTA Annex A11.2): 0x0000000001 (40 bits) | port space
# (8 bits) | port (16 bits)
RDMA_CM_PREFIX = 0x0000000001
RDMA_PS_TCP = 0x06


def rdma_cm_port(service_id: int) -> tuple[int, int] | None:
    """(port space, port) of an RDMA CM service ID, None for any other service."""
    if service_id >> 24 != RDMA_CM_PREFIX:
        return None
    return (service_id >> 16) & 0xFF, service_id & 0xFFFF


# Path Packet Payload MTU codes (§9.6.6, IBA MTU enumeration)
_MTU = {1: 256, 2: 512, 3: 1024, 4: 2048, 5: 4096}


@dataclass(slots=True)
class CmMessage:
    """One CM message: what binds the QPs of a connection, and the private data."""

    attribute: int
    local_comm_id: int
    remote_comm_id: int  # 0 in a REQ
    service_id: int = 0  # REQ
    local_qpn: int = 0  # REQ, REP: the sender's QP
    starting_psn: int = 0  # REQ, REP: the first PSN the sender will send
    local_gid: bytes = b""  # REQ: primary path, the requester's port
    remote_gid: bytes = b""  # REQ: primary path, the responder's port
    mtu: int = 0  # REQ: path MTU in bytes (the payload of a full RC packet)
    remote_qpn: int = 0  # DREQ: the QP of the receiver
    reason: int = 0  # REJ
    private_data: bytes = b""

    @property
    def name(self) -> str:
        return NAMES.get(self.attribute, f"attribute 0x{self.attribute:04x}")


def is_cm(view: memoryview, off: int) -> bool:
    """A MAD of the CM class (base version 1) starts at ``off``."""
    return len(view) >= off + MAD_HEADER_LEN and view[off] == 1 and view[off + 1] == MGMT_CLASS_CM


def decode(view: memoryview, off: int = 0) -> CmMessage:
    """The CM message in the MAD at ``off``; private data cut by the capture is
    returned as far as it was captured."""
    r = Reader(view, off)
    if r.remaining < MAD_HEADER_LEN:
        raise Truncated(MAD_HEADER_LEN, r.remaining, "CM MAD header")
    header = r.sub(MAD_HEADER_LEN, "MAD header")
    base, mgmt_class = header.u8(), header.u8()
    if base != 1 or mgmt_class != MGMT_CLASS_CM:
        raise Malformed(f"MAD class 0x{mgmt_class:02x} version {base} is not CM", "ibcm.not_cm")
    header.skip(14)  # class version, method, status, class specific, transaction ID
    attribute = header.u16()
    if r.remaining < 8:
        raise Truncated(8, r.remaining, f"CM {NAMES.get(attribute, 'message')}")
    body = r.pos
    msg = CmMessage(attribute, r.u32(), r.u32())
    if attribute == CM_REQ:
        _req(Reader(view, body), msg)
    elif attribute == CM_REP:
        q = Reader(view, body + 12)
        msg.local_qpn = q.u32() >> 8
        q.skip(4)
        msg.starting_psn = q.u32() >> 8
    elif attribute == CM_REJ:
        msg.reason = Reader(view, body + 10).u16()
    elif attribute == CM_DREQ:
        msg.remote_qpn = Reader(view, body + 8).u32() >> 8
    place = PRIVATE_DATA.get(attribute)
    if place is not None:
        start, size = body + place[0], place[1]
        msg.private_data = bytes(view[start : min(start + size, len(view))])
    return msg


def _req(r: Reader, msg: CmMessage) -> None:
    r.skip(8)  # communication IDs (read already)
    msg.service_id = r.u64()
    r.skip(16)  # local CA GUID, reserved, local Q_Key
    msg.local_qpn = r.u32() >> 8
    r.skip(8)  # local EECN, remote EECN and flags
    msg.starting_psn = r.u32() >> 8
    r.skip(2)  # P_Key
    msg.mtu = _MTU.get(r.u8() >> 4, 0)
    r.skip(5)  # retries, primary local and remote LIDs
    msg.local_gid = bytes(r.take(16, "REQ primary local port GID"))
    msg.remote_gid = bytes(r.take(16, "REQ primary remote port GID"))
