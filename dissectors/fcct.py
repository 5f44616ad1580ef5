"""Fibre Channel Common Transport and the directory Name Server (FC-GS-7 §4, §5.2).

A CT_IU (§4.3) starts with a 16-byte preamble: revision, IN_ID, GS_Type (0xFC
directory service), GS_Subtype (0x02 name server), options, then the
command/response code (0x8001 reject, 0x8002 accept), max/residual size and
the reject reason.  Name server commands are counted by code; four carry the
symbolic names the fc provider reports (§5.2.5): RSNN_NN (register a node's
name), RSPN_ID (a port's), and the accepts of GSNN_NN / GSPN_ID (query them).
"""

from __future__ import annotations

from dataclasses import dataclass

from dissectors._reader import Reader, Truncated

PREAMBLE_LEN = 16
GS_TYPE_DIRECTORY = 0xFC
GS_SUBTYPE_NAME_SERVER = 0x02
CT_REJECT = 0x8001
CT_ACCEPT = 0x8002

NS_GSPN_ID = 0x0118
NS_GSNN_NN = 0x0139
NS_RSPN_ID = 0x0218
NS_RSNN_NN = 0x0239

NS_NAMES: dict[int, str] = {
    0x0100: "GA_NXT", 0x0101: "GID_A", 0x0112: "GPN_ID", 0x0113: "GNN_ID", 0x0114: "GCS_ID",
    0x0117: "GFT_ID", NS_GSPN_ID: "GSPN_ID", 0x011A: "GPT_ID", 0x011B: "GIPP_ID",
    0x011F: "GFF_ID", 0x0121: "GID_PN", 0x0131: "GID_NN", 0x0135: "GIP_NN", 0x0136: "GIPA_NN",
    NS_GSNN_NN: "GSNN_NN", 0x0153: "GNN_IP", 0x0156: "GIPA_IP", 0x0171: "GID_FT",
    0x0172: "GPN_FT", 0x0173: "GNN_FT", 0x01A1: "GID_PT", 0x01B1: "GID_IPP", 0x01C1: "GPN_IPP",
    0x0212: "RPN_ID", 0x0213: "RNN_ID", 0x0214: "RCS_ID", 0x0217: "RFT_ID", NS_RSPN_ID: "RSPN_ID",
    0x021A: "RPT_ID", 0x021B: "RIPP_ID", 0x021F: "RFF_ID", 0x0235: "RIP_NN", 0x0236: "RIPA_NN",
    NS_RSNN_NN: "RSNN_NN", 0x0300: "DA_ID",
    CT_REJECT: "RJT", CT_ACCEPT: "ACC",
}


def command_name(code: int) -> str:
    return NS_NAMES.get(code) or f"0x{code:04x}"


@dataclass(frozen=True, slots=True)
class CtIu:
    """The preamble fields of a CT_IU and a view of what follows it."""

    gs_type: int
    gs_subtype: int
    code: int  # command code (request) or CT_ACCEPT / CT_REJECT (response)
    body: memoryview

    @property
    def name_server(self) -> bool:
        return self.gs_type == GS_TYPE_DIRECTORY and self.gs_subtype == GS_SUBTYPE_NAME_SERVER


def decode(payload: memoryview) -> CtIu:
    if len(payload) < PREAMBLE_LEN:
        raise Truncated(PREAMBLE_LEN, len(payload), "CT_IU preamble")
    r = Reader(payload, 4)
    gs_type = r.u8()
    gs_subtype = r.u8()
    r.skip(2)
    return CtIu(gs_type, gs_subtype, r.u16(), payload[PREAMBLE_LEN:])


def _symbolic_name(r: Reader, what: str) -> str:
    """A length byte then that many bytes of name (FC-GS-7 §5.2.3.9)."""
    n = r.u8()
    return bytes(r.take(n, what)).split(b"\0", 1)[0].decode("utf-8", "replace")


def registered_port_name(body: memoryview) -> tuple[int, str]:
    """RSPN_ID: (port id, symbolic port name)."""
    r = Reader(body)
    port_id = r.u32() & 0xFFFFFF
    return port_id, _symbolic_name(r, "RSPN_ID symbolic name")


def registered_node_name(body: memoryview) -> tuple[bytes, str]:
    """RSNN_NN: (node name, symbolic node name)."""
    r = Reader(body)
    node = bytes(r.take(8, "RSNN_NN node name"))
    return node, _symbolic_name(r, "RSNN_NN symbolic name")


def queried_port_id(body: memoryview) -> int:
    """GSPN_ID request: the port id asked about."""
    return Reader(body).u32() & 0xFFFFFF


def queried_node_name(body: memoryview) -> bytes:
    """GSNN_NN request: the node name asked about."""
    return bytes(Reader(body).take(8, "GSNN_NN node name"))


def answered_name(body: memoryview) -> str:
    """The accept of GSPN_ID / GSNN_NN: the symbolic name."""
    return _symbolic_name(Reader(body), "symbolic name")
