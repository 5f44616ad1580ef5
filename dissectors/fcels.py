"""Fibre Channel Extended and Basic Link Services (FC-LS-3 §4, §5).

ELS requests and replies carry their command code in the first payload byte
(FC-LS-3 Table 12); a reply is LS_ACC (0x02) or LS_RJT (0x01) and names its
request only through the exchange.  Decoded here: the Login payload of FLOGI,
FDISC and PLOGI and of their LS_ACC (§6.6-6.8: the N_Port_Name and Node_Name
after the Common Service Parameters), LOGO (§4.2.22), ADISC (§4.2.2), RSCN
pages (§4.2.29), PRLI/PRLO service parameter pages (§4.2.28, FCP-4 §6.3), and
the BLS payloads of BA_ACC / BA_RJT (§5.3).
"""

from __future__ import annotations

from dataclasses import dataclass

from dissectors._reader import Malformed, Reader, Truncated

ELS_LS_RJT = 0x01
ELS_ACC = 0x02
ELS_PLOGI = 0x03
ELS_FLOGI = 0x04
ELS_LOGO = 0x05
ELS_PRLI = 0x20
ELS_PRLO = 0x21
ELS_ADISC = 0x52
ELS_FDISC = 0x51
ELS_RSCN = 0x61
ELS_SCR = 0x62

OPCODE_NAMES: dict[int, str] = {
    ELS_LS_RJT: "LS_RJT", ELS_ACC: "ACC", ELS_PLOGI: "PLOGI", ELS_FLOGI: "FLOGI",
    ELS_LOGO: "LOGO", 0x06: "ABTX", 0x07: "RCS", 0x08: "RES", 0x09: "RSS", 0x0A: "RSI",
    0x0B: "ESTS", 0x0C: "ESTC", 0x0D: "ADVC", 0x0E: "RTV", 0x0F: "RLS", 0x10: "ECHO",
    0x11: "TEST", 0x12: "RRQ", 0x13: "REC", 0x14: "SRR", ELS_PRLI: "PRLI", ELS_PRLO: "PRLO",
    0x22: "SCN", 0x23: "TPLS", 0x24: "TPRLO", 0x25: "LCLM", 0x30: "GAID", 0x31: "FACT",
    0x32: "FDACDT", 0x33: "NACT", 0x34: "NDACT", 0x40: "QoSR", 0x41: "RVCS", 0x50: "PDISC",
    ELS_FDISC: "FDISC", ELS_ADISC: "ADISC", 0x53: "RNC", 0x54: "FARP_REQ", 0x55: "FARP_REPLY",
    0x56: "RPS", 0x57: "RPL", 0x58: "RPBC", 0x60: "FAN", ELS_RSCN: "RSCN", ELS_SCR: "SCR",
    0x63: "RNFT", 0x68: "CSR", 0x69: "CSU", 0x70: "LINIT", 0x72: "LSTS", 0x77: "RNID",
    0x78: "RLIR", 0x79: "LIRR", 0x7A: "SRL", 0x7B: "SBRP", 0x7C: "RPSC", 0x7D: "QSA",
    0x7E: "EVFP", 0x7F: "LKA", 0x90: "AUTH_ELS",
}

LOGIN_OPCODES = frozenset({ELS_PLOGI, ELS_FLOGI, ELS_FDISC})

# Login payload (FC-LS-3 §6.6.1): command word, 16 bytes of Common Service
# Parameters, then N_Port_Name and Node_Name.
LOGIN_PORT_NAME_AT = 20
LOGIN_NODE_NAME_AT = 28

# FCP service parameter page, word 3 (FCP-4 Table 20).
PRLI_TYPE_FCP = 0x08
PRLI_INITIATOR_FUNCTION = 0x20
PRLI_TARGET_FUNCTION = 0x10


def opcode_name(opcode: int) -> str:
    return OPCODE_NAMES.get(opcode) or f"0x{opcode:02x}"


def opcode(payload: memoryview) -> int:
    """The ELS command code (first payload byte)."""
    if not payload:
        raise Truncated(1, 0, "ELS command code")
    return payload[0]


@dataclass(frozen=True, slots=True)
class Login:
    """The names a FLOGI/FDISC/PLOGI request or its LS_ACC carries."""

    port_name: bytes
    node_name: bytes


def decode_login(payload: memoryview) -> Login:
    r = Reader(payload, LOGIN_PORT_NAME_AT)
    return Login(bytes(r.take(8, "login N_Port_Name")), bytes(r.take(8, "login Node_Name")))


@dataclass(frozen=True, slots=True)
class Logo:
    """LOGO: the N_Port_ID and N_Port_Name of the port logging out (§4.2.22)."""

    port_id: int
    port_name: bytes


def decode_logo(payload: memoryview) -> Logo:
    r = Reader(payload, 4)
    port_id = r.u32() & 0xFFFFFF
    return Logo(port_id, bytes(r.take(8, "LOGO N_Port_Name")))


@dataclass(frozen=True, slots=True)
class Adisc:
    """ADISC and its LS_ACC: hard address, names and N_Port_ID (§4.2.2)."""

    hard_address: int
    port_name: bytes
    node_name: bytes
    port_id: int


def decode_adisc(payload: memoryview) -> Adisc:
    r = Reader(payload, 4)
    hard = r.u32() & 0xFFFFFF
    port_name = bytes(r.take(8, "ADISC N_Port_Name"))
    node_name = bytes(r.take(8, "ADISC Node_Name"))
    return Adisc(hard, port_name, node_name, r.u32() & 0xFFFFFF)


def decode_rscn(payload: memoryview) -> list[int]:
    """The affected N_Port_ID / area / domain of every RSCN page (§4.2.29):
    page length (4) and payload length, then 4-byte pages."""
    r = Reader(payload, 1)
    page_len = r.u8()
    length = r.u16()
    if page_len != 4:
        raise Malformed(f"RSCN page length {page_len}", "fcels.bad_rscn")
    if length < 4 or length % 4 or length > len(payload):
        raise Malformed(f"RSCN payload length {length} of {len(payload)}", "fcels.bad_rscn")
    pages = Reader(payload[4:length])
    return [pages.u32() & 0xFFFFFF for _ in range((length - 4) // 4)]


def prli_functions(payload: memoryview) -> int:
    """The FCP service parameter bits (initiator/target function) of a PRLI
    or its LS_ACC (FC-LS-3 §4.2.28, FCP-4 §6.3); 0 when no FCP page."""
    r = Reader(payload, 1)
    page_len = r.u8()
    length = r.u16()
    if page_len < 16 or length > len(payload) or (length - 4) % page_len:
        raise Malformed(f"PRLI page length {page_len}, payload {length}", "fcels.bad_prli")
    for at in range(4, length, page_len):
        if payload[at] == PRLI_TYPE_FCP:
            return Reader(payload, at + 12).u32() & (PRLI_INITIATOR_FUNCTION | PRLI_TARGET_FUNCTION)
    return 0


# BLS (FC-LS-3 §5.3).
BLS_NAMES = {0x81: "ABTS", 0x84: "BA_ACC", 0x85: "BA_RJT"}


@dataclass(frozen=True, slots=True)
class BaAcc:
    """BA_ACC payload: the exchange the abort applied to."""

    ox_id: int
    rx_id: int


def decode_ba_acc(payload: memoryview) -> BaAcc:
    r = Reader(payload, 4)
    return BaAcc(r.u16(), r.u16())
