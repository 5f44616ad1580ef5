"""FCoE encapsulation and the FCoE Initialization Protocol (FC-BB-5 §7.8, §7.8.3).

FCoE (Ethertype 0x8906, FC-BB-5 §7.8.1): a 14-byte header (version in the top
nibble, reserved bytes, SOF in byte 13), the FC frame, then a trailer of the FC
CRC (CRC-32 of the frame, least significant byte first), the EOF byte and 3
reserved bytes; the frame length comes from the Ethernet length, as tshark's
FCoE dissector takes it.  Frames of the pre-T11 draft (before August 2007, byte 1
non-zero) have a 2-byte header holding version, length in words and SOF, and a
5-byte trailer (CRC, EOF).

FIP (Ethertype 0x8914, FC-BB-5 §7.8.3): version, protocol code, subcode,
descriptor list length (words) and flags, then type/length(words)
descriptors.  Decoded: discovery solicitation/advertisement, link service
request/reply (FLOGI, FDISC, LOGO carried as an FC frame in a descriptor),
keep-alive, Clear Virtual Links (with its Vx_Port identification descriptors),
VLAN request/notification.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from dissectors._reader import Malformed, Reader, Truncated

ETHERTYPE_FCOE = 0x8906
ETHERTYPE_FIP = 0x8914

HEADER_LEN = 14
TRAILER_LEN = 8
PRE_T11_HEADER_LEN = 2
PRE_T11_TRAILER_LEN = 5

SOF_NAMES = {0x28: "SOFf", 0x2D: "SOFi2", 0x35: "SOFn2", 0x2E: "SOFi3", 0x36: "SOFn3",
             0x29: "SOFi4", 0x31: "SOFn4", 0x39: "SOFc4"}
EOF_NAMES = {0x41: "EOFn", 0x42: "EOFt", 0x44: "EOFrt", 0x46: "EOFdt", 0x49: "EOFni",
             0x4E: "EOFdti", 0x4F: "EOFrti", 0x50: "EOFa"}


@dataclass(frozen=True, slots=True)
class Encapsulation:
    """Where the FC frame lies in the Ethernet payload, and its delimiters."""

    version: int
    sof: int
    eof: int | None  # None: cut by the capture
    start: int  # offset of the FC frame header
    end: int  # end of the captured FC frame bytes (<= start + length)
    length: int  # FC frame length on the wire (header + payload, no CRC)
    crc_ok: bool | None  # None: the CRC was not captured


def decode(view: memoryview, off: int, wire_end: int) -> Encapsulation:
    """The FCoE PDU at ``view[off:]``; ``wire_end`` is where the Ethernet frame
    ended on the wire (past the captured bytes when snaplen cut it)."""
    end = len(view)
    if end - off < 2:
        raise Truncated(2, max(end - off, 0), "FCoE header")
    if view[off + 1]:
        # pre-T11: 2 version bits, 10 length bits (words, with the CRC), 4 SOF bits
        word = (view[off] << 8) | view[off + 1]
        version = word >> 14
        length = ((word & 0x3FF0) >> 2) - 4
        sof = word & 0x0F
        sof |= 0x30 if sof < 8 else 0x20
        start = off + PRE_T11_HEADER_LEN
    else:
        if end - off < HEADER_LEN:
            raise Truncated(HEADER_LEN, end - off, "FCoE header")
        version = view[off] >> 4
        sof = view[off + HEADER_LEN - 1]
        start = off + HEADER_LEN
        length = wire_end - start - TRAILER_LEN
    if length < 24 or length % 4:
        raise Malformed(f"FCoE frame length {length}", "fcoe.bad_length")
    crc_at = start + length
    if crc_at > wire_end:
        raise Malformed(f"FCoE frame length {length} past the Ethernet frame", "fcoe.bad_length")
    crc_ok = crc_matches(view, start, crc_at) if crc_at + 4 <= end else None
    eof = view[crc_at + 4] if crc_at + 5 <= end else None
    return Encapsulation(version, sof, eof, start, min(end, crc_at), length, crc_ok)


def crc_matches(view: memoryview, start: int, crc_at: int) -> bool:
    """The FC CRC (CRC-32 of the frame) travels least significant byte first."""
    return zlib.crc32(view[start:crc_at]) == int.from_bytes(view[crc_at:crc_at + 4], "little")


def t11_frame_bounds(view: memoryview, off: int, wire_end: int) -> tuple[int, int] | None:
    """(start, CRC offset) of the FC frame of a whole, captured T11 FCoE PDU
    with a valid length, else None (``decode`` then says what is wrong)."""
    start = off + HEADER_LEN
    crc_at = wire_end - TRAILER_LEN
    if wire_end > len(view) or view[off + 1] or crc_at - start < 24 or (crc_at - start) % 4:
        return None
    return start, crc_at


# FIP protocol codes and subcodes (FC-BB-5 Table 43).
FIP_DISCOVERY = 0x0001
FIP_LINK_SERVICE = 0x0002
FIP_CONTROL = 0x0003
FIP_VLAN = 0x0004
SUB_SOLICITATION = 0x01
SUB_ADVERTISEMENT = 0x02
SUB_LS_REQUEST = 0x01
SUB_LS_REPLY = 0x02
SUB_KEEP_ALIVE = 0x01
SUB_CLEAR_VIRTUAL_LINKS = 0x02
SUB_VLAN_REQUEST = 0x01
SUB_VLAN_NOTIFICATION = 0x02

# Descriptor types (FC-BB-5 Table 44).
DESC_PRIORITY = 1
DESC_MAC = 2
DESC_FC_MAP = 3
DESC_NAME = 4
DESC_FABRIC = 5
DESC_MAX_FCOE_SIZE = 6
DESC_FLOGI = 7
DESC_FDISC = 8
DESC_LOGO = 9
DESC_ELP = 10
DESC_VX_PORT = 11
DESC_FKA_ADV_PERIOD = 12
DESC_VENDOR = 13
DESC_VLAN = 14
ENCAPSULATED_ELS = frozenset({DESC_FLOGI, DESC_FDISC, DESC_LOGO, DESC_ELP})

FIP_HEADER_LEN = 10
FLAG_FP = 0x8000  # fabric-provided MAC address
FLAG_SP = 0x4000  # server-provided MAC address
FLAG_AVAILABLE = 0x0004
FLAG_SOLICITED = 0x0002
FLAG_FPORT = 0x0001

OPERATION_NAMES = {
    (FIP_DISCOVERY, SUB_SOLICITATION): "Solicitation",
    (FIP_DISCOVERY, SUB_ADVERTISEMENT): "Advertisement",
    (FIP_LINK_SERVICE, SUB_LS_REQUEST): "Link Service Request",
    (FIP_LINK_SERVICE, SUB_LS_REPLY): "Link Service Reply",
    (FIP_CONTROL, SUB_KEEP_ALIVE): "Keep Alive",
    (FIP_CONTROL, SUB_CLEAR_VIRTUAL_LINKS): "Clear Virtual Links",
    (FIP_VLAN, SUB_VLAN_REQUEST): "VLAN Request",
    (FIP_VLAN, SUB_VLAN_NOTIFICATION): "VLAN Notification",
}


@dataclass(frozen=True, slots=True)
class VxPort:
    """A Vx_Port identification descriptor: the VN_Port a CVL clears."""

    mac: bytes
    port_id: int
    port_name: bytes


@dataclass(slots=True)
class FipPacket:
    """The FIP fields the fc provider uses; descriptors cut by the capture are absent."""

    op: int
    subcode: int
    flags: int
    mac: bytes | None = None  # MAC address descriptor (the sender's FCF/ENode MAC)
    name: bytes | None = None  # switch or node name
    fka_adv_period_ms: int | None = None
    els: memoryview | None = None  # the encapsulated FC frame (FLOGI/FDISC/LOGO/ELP)
    els_kind: int | None = None
    vx_ports: list[VxPort] = field(default_factory=list)
    truncated: bool = False  # the capture cut the descriptor list

    @property
    def operation(self) -> str:
        return OPERATION_NAMES.get((self.op, self.subcode)) or \
            f"operation 0x{self.op:04x}/0x{self.subcode:02x}"


def decode_fip(view: memoryview, off: int = 0) -> FipPacket:
    r = Reader(view, off)
    if r.remaining < FIP_HEADER_LEN:
        raise Truncated(FIP_HEADER_LEN, r.remaining, "FIP header")
    version = r.u8() >> 4
    if version != 1:
        raise Malformed(f"FIP version {version}", "fip.bad_version")
    r.skip(1)
    op = r.u16()
    r.skip(1)
    subcode = r.u8()
    words = r.u16()
    pkt = FipPacket(op, subcode, r.u16())
    end = r.pos + words * 4
    if end > r.end:
        pkt.truncated = True
        end = r.end
    while end - r.pos >= 2:
        kind = r.u8()
        size = r.u8() * 4
        if size < 4:
            raise Malformed(f"FIP descriptor {kind} of {size} bytes", "fip.bad_descriptor")
        if r.pos - 2 + size > end:
            pkt.truncated = True
            break
        _descriptor(pkt, kind, r.sub(size - 2))
    return pkt


def _descriptor(pkt: FipPacket, kind: int, r: Reader) -> None:
    if kind == DESC_MAC:
        pkt.mac = bytes(r.take(6, "FIP MAC descriptor"))
    elif kind == DESC_NAME:
        r.skip(2)
        pkt.name = bytes(r.take(8, "FIP name descriptor"))
    elif kind == DESC_FKA_ADV_PERIOD:
        r.skip(2)
        pkt.fka_adv_period_ms = r.u32()
    elif kind in ENCAPSULATED_ELS:
        r.skip(2)
        pkt.els = r.rest()
        pkt.els_kind = kind
    elif kind == DESC_VX_PORT:
        mac = bytes(r.take(6, "Vx_Port MAC"))
        r.skip(1)
        port_id = r.u24()
        pkt.vx_ports.append(VxPort(mac, port_id, bytes(r.take(8, "Vx_Port name"))))
