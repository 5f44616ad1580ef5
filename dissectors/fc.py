"""Fibre Channel FC-2 frame header and sequence reassembly (FC-FS-4 §9-§12).

The 24-byte frame header (FC-FS-4 §9.1): R_CTL, D_ID, CS_CTL/Priority, S_ID,
TYPE, F_CTL, SEQ_ID, DF_CTL, SEQ_CNT, OX_ID, RX_ID and the Parameter field;
then any optional headers DF_CTL announces (§11: ESP, network, association,
device headers), then the payload.  Every transport (FCoE, FCIP, the FC
link types) hands this module the frame between its SOF and its CRC.

A sequence (§12) is the frames of one exchange with the same SEQ_ID, counted by
SEQ_CNT, ended by F_CTL End_Sequence; ``SequenceBuffer`` joins the payloads of
a multi-frame information unit (ELS, CT, FCP_CMND, FCP_RSP) and drops one
whose frames did not all arrive.
"""

from __future__ import annotations

import struct

from dissectors._reader import Malformed, Truncated

HEADER_LEN = 24
CRC_LEN = 4

# R_CTL routing (high nibble) and information category (low nibble), §9.3.
R_CTL_ROUTING_MASK = 0xF0
R_CTL_DEVICE_DATA = 0x00  # FC-4 device data (FCP, CT)
R_CTL_EXTENDED_LINK = 0x20  # Extended Link Services
R_CTL_BASIC_LINK = 0x80  # Basic Link Services
R_CTL_ELS_REQUEST = 0x22
R_CTL_ELS_REPLY = 0x23
R_CTL_UNSOL_CONTROL = 0x02  # CT request
R_CTL_SOL_CONTROL = 0x03  # CT response
R_CTL_SOL_DATA = 0x01  # FCP_DATA
R_CTL_DATA_DESCRIPTOR = 0x05  # FCP_XFER_RDY
R_CTL_UNSOL_COMMAND = 0x06  # FCP_CMND
R_CTL_COMMAND_STATUS = 0x07  # FCP_RSP
R_CTL_ABTS = 0x81
R_CTL_BA_ACC = 0x84
R_CTL_BA_RJT = 0x85

# TYPE (§9.6, FC-FS-4 Table 32).
TYPE_BLS = 0x00
TYPE_ELS = 0x01
TYPE_FCP = 0x08
TYPE_CT = 0x20  # Fibre Channel Services (FC-GS)

# F_CTL bits (§9.8).
F_CTL_EXCHANGE_RESPONDER = 0x800000  # Exchange Context: 1 = sent by the responder
F_CTL_SEQUENCE_RECIPIENT = 0x400000
F_CTL_FIRST_SEQUENCE = 0x200000
F_CTL_LAST_SEQUENCE = 0x100000
F_CTL_END_SEQUENCE = 0x080000
F_CTL_SEQUENCE_INITIATIVE = 0x010000
F_CTL_RELATIVE_OFFSET = 0x000008  # the Parameter field is a relative offset
F_CTL_FILL_BYTES = 0x000003  # pad bytes at the end of the payload

# DF_CTL optional headers (§11.1) and their lengths.
DF_CTL_ESP = 0x40
DF_CTL_NETWORK = 0x20  # 16 bytes
DF_CTL_ASSOCIATION = 0x10  # 32 bytes
DF_CTL_DEVICE_MASK = 0x03  # device header: 0, 16, 32 or 64 bytes
_DEVICE_HEADER_LEN = (0, 16, 32, 64)

RX_ID_UNASSIGNED = 0xFFFF

# Well-known addresses (FC-FS-4 §7.3 Table 31).
FC_ID_FABRIC = 0xFFFFFE  # F_Port controller (FLOGI/FDISC)
FC_ID_CONTROLLER = 0xFFFFFD  # fabric controller (SCR, RSCN)
FC_ID_NAME_SERVER = 0xFFFFFC  # directory server
WELL_KNOWN_MIN = 0xFFFFF0

MAX_SEQUENCE = 64 * 1024  # the largest control IU reassembled (a GPN_FT accept is ~8 KiB)

_HEADER = struct.Struct(">I I I BBH HH I")
# (R_CTL|D_ID, CS_CTL|S_ID, TYPE|F_CTL, SEQ_ID, DF_CTL, SEQ_CNT, OX_ID, RX_ID, Parameter)
header_words = _HEADER.unpack_from


def is_well_known(fc_id: int) -> bool:
    """Whether an address is a fabric service, never an N_Port (§7.3)."""
    return fc_id >= WELL_KNOWN_MIN


def fc_id_text(fc_id: int) -> str:
    """``ed.01.00``, the notation tshark and switch CLIs use."""
    return f"{fc_id >> 16:02x}.{(fc_id >> 8) & 0xFF:02x}.{fc_id & 0xFF:02x}"


def wwn_text(wwn: bytes | memoryview) -> str:
    """A Name_Identifier as COMSTAR's fct_wwn_to_str prints it: 16 hex digits."""
    return bytes(wwn).hex()


class FcFrame:
    """One FC-2 frame: the header fields and a view of the payload."""

    __slots__ = ("r_ctl", "d_id", "s_id", "type", "f_ctl", "seq_id", "df_ctl", "seq_cnt",
                 "ox_id", "rx_id", "parameter", "payload", "wire_len")

    r_ctl: int
    d_id: int
    s_id: int
    type: int
    f_ctl: int
    seq_id: int
    df_ctl: int
    seq_cnt: int
    ox_id: int
    rx_id: int
    parameter: int
    payload: memoryview
    wire_len: int  # payload bytes the frame carried on the wire (>= len(payload) when cut)

    @property
    def responder(self) -> bool:
        """Sent by the exchange's responder (F_CTL Exchange Context)."""
        return bool(self.f_ctl & F_CTL_EXCHANGE_RESPONDER)

    @property
    def end_sequence(self) -> bool:
        return bool(self.f_ctl & F_CTL_END_SEQUENCE)

    @property
    def last_sequence(self) -> bool:
        return bool(self.f_ctl & F_CTL_LAST_SEQUENCE)


def decode(view: memoryview, off: int = 0, end: int | None = None,
           wire_len: int | None = None) -> FcFrame:
    """The frame in ``view[off:end]`` (header + payload, no CRC).

    ``wire_len`` is the length of that frame on the wire when the capture cut
    it short (snaplen); the payload is then what was captured.
    """
    end = len(view) if end is None else end
    if end - off < HEADER_LEN:
        raise Truncated(HEADER_LEN, max(end - off, 0), "FC frame header")
    w0, w1, w2, seq_id, df_ctl, seq_cnt, ox_id, rx_id, parameter = _HEADER.unpack_from(view, off)
    frame = FcFrame()
    frame.r_ctl = w0 >> 24
    frame.d_id = w0 & 0xFFFFFF
    frame.s_id = w1 & 0xFFFFFF
    frame.type = w2 >> 24
    f_ctl = frame.f_ctl = w2 & 0xFFFFFF
    frame.seq_id = seq_id
    frame.df_ctl = df_ctl
    frame.seq_cnt = seq_cnt
    frame.ox_id = ox_id
    frame.rx_id = rx_id
    frame.parameter = parameter
    start = off + HEADER_LEN
    if df_ctl:
        start += optional_headers_len(df_ctl)
        if start > end:
            raise Truncated(start - off, end - off, "FC optional headers")
    total = (wire_len if wire_len is not None else end - off) - (start - off)
    frame.wire_len = payload_length(f_ctl, total)
    frame.payload = view[start:min(end, start + frame.wire_len)]
    return frame


def payload_length(f_ctl: int, total: int) -> int:
    """The payload bytes of a frame whose header is followed by ``total`` bytes:
    fill bytes pad the last frame of a sequence to a word (§9.8 Fill Data Bytes)."""
    fill = f_ctl & F_CTL_FILL_BYTES if f_ctl & F_CTL_END_SEQUENCE else 0
    if fill > total:
        raise Malformed(f"{fill} fill bytes in a {total}-byte payload", "fc.bad_fill")
    return total - fill


def optional_headers_len(df_ctl: int) -> int:
    """Bytes of optional headers between the frame header and the payload (§11)."""
    if df_ctl & DF_CTL_ESP:
        raise Malformed("ESP header (encrypted payload)", "fc.esp_header")
    n = _DEVICE_HEADER_LEN[df_ctl & DF_CTL_DEVICE_MASK]
    if df_ctl & DF_CTL_NETWORK:
        n += 16
    if df_ctl & DF_CTL_ASSOCIATION:
        n += 32
    return n


class SequenceBuffer:
    """The payload of one sequence being reassembled, frame by frame (§12)."""

    __slots__ = ("seq_id", "next_cnt", "parts", "size", "broken")

    def __init__(self, frame: FcFrame) -> None:
        self.seq_id = frame.seq_id
        self.next_cnt = frame.seq_cnt
        self.parts: list[bytes] = []
        self.size = 0
        # a sequence whose first frame was not seen cannot be decoded
        self.broken = False

    def add(self, frame: FcFrame) -> bool:
        """Append a frame; False (and broken from then on) when a frame is
        missing, cut by the capture or the IU grows past MAX_SEQUENCE."""
        if self.broken:
            return False
        payload = frame.payload
        if (frame.seq_cnt != self.next_cnt or len(payload) != frame.wire_len
                or self.size + len(payload) > MAX_SEQUENCE):
            self.broken = True
            self.parts = []
            return False
        self.next_cnt = (frame.seq_cnt + 1) & 0xFFFF
        self.parts.append(bytes(payload))
        self.size += len(payload)
        return True

    def payload(self) -> memoryview:
        return memoryview(b"".join(self.parts))
