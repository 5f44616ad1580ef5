"""iSCSI PDUs over TCP: framing, decoding, login keys, sessions and tasks (RFC 7143).

Wire format: the 48-byte Basic Header Segment (§11.2.1), Additional Header
Segments (§11.2.1.2), an optional CRC32C header digest, the data segment padded
to 4 bytes (§11.2.3) and an optional CRC32C data digest (§11.2.4); digests are
in force from the first PDU after the login phase that negotiated them
(§13.1).  Text and login data are ``key=value`` NUL-terminated pairs (§6.1)
that a C bit continues in the next PDU (§11.10.2, §11.12.2).  A session is
ISID + TSIH (§4.4.1) and may span several connections; tasks are tracked by
Initiator Task Tag (§11.2.1.8).
"""

from __future__ import annotations

import functools
import struct

from pcapprobe.dissectors import scsi
from pcapprobe.dissectors._reader import Malformed, Truncated
from pcapprobe.dissectors.crc32c import crc32c

ISCSI_PORT = 3260
BHS_LEN = 48
DIGEST_LEN = 4
UNKNOWN_NAME = "<unknown>"

ISCSI_OP_NOP_OUT = 0x00
ISCSI_OP_SCSI_CMD = 0x01
ISCSI_OP_TASK_MGT_REQ = 0x02
ISCSI_OP_LOGIN_REQ = 0x03
ISCSI_OP_TEXT_REQ = 0x04
ISCSI_OP_DATA_OUT = 0x05
ISCSI_OP_LOGOUT_REQ = 0x06
ISCSI_OP_SNACK_REQ = 0x10
ISCSI_OP_NOP_IN = 0x20
ISCSI_OP_SCSI_RSP = 0x21
ISCSI_OP_TASK_MGT_RSP = 0x22
ISCSI_OP_LOGIN_RSP = 0x23
ISCSI_OP_TEXT_RSP = 0x24
ISCSI_OP_DATA_IN = 0x25
ISCSI_OP_LOGOUT_RSP = 0x26
ISCSI_OP_R2T = 0x31
ISCSI_OP_ASYNC_MSG = 0x32
ISCSI_OP_REJECT = 0x3F

OPCODE_NAMES: dict[int, str] = {
    ISCSI_OP_NOP_OUT: "NOP-Out",
    ISCSI_OP_SCSI_CMD: "SCSI Command",
    ISCSI_OP_TASK_MGT_REQ: "Task Management Function Request",
    ISCSI_OP_LOGIN_REQ: "Login Request",
    ISCSI_OP_TEXT_REQ: "Text Request",
    ISCSI_OP_DATA_OUT: "SCSI Data-Out",
    ISCSI_OP_LOGOUT_REQ: "Logout Request",
    ISCSI_OP_SNACK_REQ: "SNACK Request",
    ISCSI_OP_NOP_IN: "NOP-In",
    ISCSI_OP_SCSI_RSP: "SCSI Response",
    ISCSI_OP_TASK_MGT_RSP: "Task Management Function Response",
    ISCSI_OP_LOGIN_RSP: "Login Response",
    ISCSI_OP_TEXT_RSP: "Text Response",
    ISCSI_OP_DATA_IN: "SCSI Data-In",
    ISCSI_OP_LOGOUT_RSP: "Logout Response",
    ISCSI_OP_R2T: "Ready To Transfer",
    ISCSI_OP_ASYNC_MSG: "Asynchronous Message",
    ISCSI_OP_REJECT: "Reject",
}
# §11.2.1.2: initiator opcodes are 0x00-0x1f, target opcodes 0x20-0x3f.
INITIATOR_OPCODES = frozenset(op for op in OPCODE_NAMES if op < 0x20)
TARGET_OPCODES = frozenset(op for op in OPCODE_NAMES if op >= 0x20)
# Only the SCSI Command may carry AHS (§11.3); these never carry data (§11.5, §11.8, §11.14).
_NO_DATA_OPCODES = frozenset({ISCSI_OP_TASK_MGT_REQ, ISCSI_OP_LOGOUT_REQ, ISCSI_OP_SNACK_REQ,
                              ISCSI_OP_TASK_MGT_RSP, ISCSI_OP_LOGOUT_RSP, ISCSI_OP_R2T})
# PDUs whose F bit is always 1 (§11.5, §11.6, §11.14 ...): a cheap resync check.
_FINAL_ALWAYS = frozenset({ISCSI_OP_NOP_OUT, ISCSI_OP_TASK_MGT_REQ, ISCSI_OP_LOGOUT_REQ,
                           ISCSI_OP_NOP_IN, ISCSI_OP_SCSI_RSP, ISCSI_OP_TASK_MGT_RSP,
                           ISCSI_OP_LOGOUT_RSP, ISCSI_OP_R2T, ISCSI_OP_ASYNC_MSG,
                           ISCSI_OP_REJECT})

FLAG_FINAL = 0x80  # F bit of most PDUs (§11.2.1.3)
FLAG_CONTINUE = 0x40  # C bit of login and text PDUs (§11.10.2)
FLAG_TRANSIT = 0x80  # T bit of login PDUs (§11.12.2)
FLAG_READ = 0x40  # R bit of the SCSI Command (§11.3.1)
FLAG_WRITE = 0x20  # W bit of the SCSI Command
FLAG_STATUS = 0x01  # S bit of Data-In (§11.7.1)
FLAG_UNDERFLOW = 0x02  # U bit of SCSI Response and Data-In: residual count valid (§11.4.5)
FULL_FEATURE_PHASE = 3  # NSG value (§11.12.3)
AHS_EXTENDED_CDB = 1  # AHS type (§11.2.1.2)
TTT_RESERVED = 0xFFFFFFFF
# Task management functions (§11.5.1) and what each ends: one task (by its
# Referenced Task Tag), the tasks of the LUN, or every task of the session.
TMF_ABORT_TASK = 1
TMF_ABORT_TASK_SET = 2
TMF_CLEAR_TASK_SET = 4
TMF_LUN_RESET = 5
TMF_TARGET_WARM_RESET = 6
TMF_TARGET_COLD_RESET = 7
_TMF_LUN_SCOPE = frozenset({TMF_ABORT_TASK_SET, TMF_CLEAR_TASK_SET, TMF_LUN_RESET})
_TMF_SESSION_SCOPE = frozenset({TMF_TARGET_WARM_RESET, TMF_TARGET_COLD_RESET})
TMF_FUNCTION_COMPLETE = 0  # TMF response (§11.6.1)
LOGOUT_CLOSE_SESSION = 0  # logout reason code (§11.14.1)
MAX_PENDING_TMF = 64  # task management requests awaiting their response

# The BHS as opcode byte, flags, bytes 2-3, AHS length + DataSegmentLength word,
# bytes 8-15 (LUN or ISID/TSIH) and the eight words at 16-47; what each word
# means depends on the opcode (§11.2.1).
_BHS = struct.Struct(">BBHIQIIIIIIII")
_U32 = struct.Struct(">I")
# Initiator PDUs that carry CmdSN at byte 24, and how far after the last one a
# resynchronised PDU may be.
_CMDSN_OPCODES = frozenset({ISCSI_OP_NOP_OUT, ISCSI_OP_SCSI_CMD, ISCSI_OP_TASK_MGT_REQ,
                            ISCSI_OP_LOGIN_REQ, ISCSI_OP_TEXT_REQ, ISCSI_OP_LOGOUT_REQ})
_CMDSN_WINDOW = 1024
# Bits that must be zero in a BHS, per opcode: (flags byte, bytes 2-3), for
# the strict check after lost sync (§11.2 ff.: "reserved" fields, the fixed
# F bits aside, which _rules checks).
_RESERVED: dict[int, tuple[int, int]] = {
    ISCSI_OP_NOP_OUT: (0x7F, 0xFFFF),
    ISCSI_OP_SCSI_CMD: (0x18, 0xFFFF),
    ISCSI_OP_TASK_MGT_REQ: (0x00, 0xFFFF),
    ISCSI_OP_LOGIN_REQ: (0x30, 0x0000),
    ISCSI_OP_TEXT_REQ: (0x3F, 0xFFFF),
    ISCSI_OP_DATA_OUT: (0x7F, 0xFFFF),
    ISCSI_OP_LOGOUT_REQ: (0x7C, 0xFFFF),
    ISCSI_OP_NOP_IN: (0x7F, 0xFFFF),
    ISCSI_OP_SCSI_RSP: (0x61, 0x0000),
    ISCSI_OP_TASK_MGT_RSP: (0x7F, 0x00FF),
    ISCSI_OP_LOGIN_RSP: (0x30, 0x0000),
    ISCSI_OP_TEXT_RSP: (0x3F, 0xFFFF),
    ISCSI_OP_DATA_IN: (0x38, 0xFF00),
    ISCSI_OP_LOGOUT_RSP: (0x7F, 0x00FF),
    ISCSI_OP_R2T: (0x7F, 0xFFFF),
    ISCSI_OP_ASYNC_MSG: (0x7F, 0xFFFF),
    ISCSI_OP_REJECT: (0x7F, 0x00FF),
}
# The largest data segment a PDU may carry to resynchronise a stream when no
# login showed MaxRecvDataSegmentLength (§13.12 allows up to 2**24 - 1;
# initiators and targets offer 8 KiB to 1 MiB).
RESYNC_DATA_SEGMENT = 1 << 20
_DIGEST = struct.Struct("<I")  # CRC32C goes least significant byte first (§13.1)


class Pdu:
    """One decoded PDU: the BHS words, the PDU's bytes and the digest verdicts.

    AHS and data segment are sliced from ``view`` when asked for: most PDUs
    are only counted, their data never looked at.
    """

    __slots__ = ("opcode", "flags", "spec", "data_len", "lun", "itt", "w20", "w24", "w28",
                 "w32", "w36", "w40", "w44", "view", "header_digest_ok", "data_digest_ok")

    opcode: int
    flags: int
    spec: int  # bytes 2-3: opcode specific (status, versions, TMF response ...)
    data_len: int
    lun: int  # bytes 8-15 as one big-endian number
    itt: int
    w20: int
    w24: int
    w28: int
    w32: int
    w36: int
    w40: int
    w44: int
    view: memoryview  # the whole PDU, digests included
    header_digest_ok: bool | None  # None: no digest on this PDU
    data_digest_ok: bool | None

    @property
    def immediate(self) -> bool:
        return bool(self.view[0] & 0x40)

    @property
    def ahs_len(self) -> int:
        """TotalAHSLength in bytes (byte 4 counts words, §11.2.1.4)."""
        return self.view[4] * 4

    @property
    def bhs(self) -> memoryview:
        return self.view[:BHS_LEN]

    @property
    def ahs(self) -> memoryview:
        return self.view[BHS_LEN : BHS_LEN + self.ahs_len]

    @property
    def data(self) -> memoryview:
        """The data segment, without its padding (§11.2.3)."""
        start = BHS_LEN + self.ahs_len + (DIGEST_LEN if self.header_digest_ok is not None else 0)
        return self.view[start : start + self.data_len]

    @property
    def name(self) -> str:
        return OPCODE_NAMES.get(self.opcode, f"opcode 0x{self.opcode:02x}")

    @property
    def final(self) -> bool:
        return bool(self.flags & FLAG_FINAL)

    @property
    def isid(self) -> bytes:
        """Login PDUs: the 6-byte Initiator Session ID (§11.12.5)."""
        return bytes(self.view[8:14])

    @property
    def tsih(self) -> int:
        """Login PDUs: the Target Session Identifying Handle (§11.12.6)."""
        return self.lun & 0xFFFF

    @property
    def cdb(self) -> bytes:
        """SCSI Command: the 16-byte CDB plus any extended-CDB AHS (§11.3.5, §11.2.1.2)."""
        cdb = bytes(self.view[32:48])
        if not self.view[4]:
            return cdb  # no AHS, the usual case
        ahs = self.ahs
        pos = 0
        while pos + 4 <= len(ahs):
            length = (ahs[pos] << 8) | ahs[pos + 1]
            if ahs[pos + 2] == AHS_EXTENDED_CDB:
                # The AHS length counts the reserved byte before the CDB bytes.
                cdb += bytes(ahs[pos + 4 : pos + 3 + length])
            pos += _padded(3 + length)
        return cdb

    @property
    def status(self) -> int:
        """SCSI Response and Data-In (S bit): the SCSI status byte (§11.4.2)."""
        return self.spec & 0xFF

    @property
    def login_status(self) -> int:
        """Login Response: status class << 8 | detail (§11.13.5)."""
        return self.w36 >> 16

    @property
    def csg(self) -> int:
        return (self.flags >> 2) & 3

    @property
    def nsg(self) -> int:
        return self.flags & 3

    def sense(self) -> scsi.Sense | None:
        """SCSI Response: the sense data behind its 2-byte SenseLength (§11.4.7)."""
        data = self.data
        if len(data) < 2:
            return None
        length = (data[0] << 8) | data[1]
        if length == 0:
            return None
        if 2 + length > len(data):
            raise Truncated(2 + length, len(data), "sense data")
        return scsi.decode_sense(data[2 : 2 + length])


def _padded(n: int) -> int:
    return (n + 3) & ~3


_HEAD = struct.Struct(">BBxxI")  # opcode byte, flags, TotalAHSLength<<24 | DataSegmentLength
_RESYNC_HEAD = struct.Struct(">BBHI")  # ... with bytes 2-3

# Per first BHS byte, what a plausible PDU with it may be and what follows its
# header: -1 not a PDU, else these bits (one table per side and digest setting).
_RULE_FINAL = 1  # the F bit must be set
_RULE_NO_DATA = 2  # no data segment
_RULE_AHS = 4  # may carry AHS
_RULE_HEADER_DIGEST = 8  # a CRC32C follows the header
_RULE_DATA_DIGEST = 16  # a CRC32C follows a data segment
_LOGIN_OPCODES = frozenset({ISCSI_OP_LOGIN_REQ, ISCSI_OP_LOGIN_RSP})
ANY_OPCODES = frozenset(OPCODE_NAMES)


@functools.cache
def _rules(opcodes: frozenset[int], header_digest: bool, data_digest: bool) -> tuple[int, ...]:
    """The framing rules of a side that sends ``opcodes``; login PDUs never
    carry digests (§13.1), whatever the session negotiated."""
    digests = ((_RULE_HEADER_DIGEST if header_digest else 0)
               | (_RULE_DATA_DIGEST if data_digest else 0))
    table = []
    for first in range(256):
        opcode = first & 0x3F
        if first & 0x80 or opcode not in opcodes or (opcode >= 0x20 and first & 0x40):
            table.append(-1)  # the top bit is reserved; only initiator PDUs have an I bit
            continue
        table.append((_RULE_FINAL if opcode in _FINAL_ALWAYS else 0)
                     | (_RULE_NO_DATA if opcode in _NO_DATA_OPCODES else 0)
                     | (_RULE_AHS if opcode == ISCSI_OP_SCSI_CMD else 0)
                     | (0 if opcode in _LOGIN_OPCODES else digests))
    return tuple(table)


def _length(view: memoryview, rules: tuple[int, ...]) -> int | None:
    """pdu_length() by one of the ``_rules`` tables; ``view`` holds the BHS."""
    first, flags, word = _HEAD.unpack_from(view)
    rule = rules[first]
    if rule < 0 or (rule & _RULE_FINAL and not flags & FLAG_FINAL):
        return None
    ahs_words = word >> 24
    data_len = word & 0xFFFFFF
    if (ahs_words and not rule & _RULE_AHS) or (data_len and rule & _RULE_NO_DATA):
        return None
    length = BHS_LEN + ahs_words * 4 + ((data_len + 3) & ~3)
    if rule & _RULE_HEADER_DIGEST:
        length += DIGEST_LEN
    if data_len and rule & _RULE_DATA_DIGEST:
        length += DIGEST_LEN
    return length


def pdu_length(view: memoryview, header_digest: bool, data_digest: bool) -> int | None:
    """Length of the PDU at the front of ``view`` (at least 48 bytes); never raises.

    ``None`` when the bytes are not a plausible BHS (the framer resyncs).  Login
    PDUs never carry digests (§13.1), whatever the flags say.
    """
    if len(view) < BHS_LEN:
        return None
    return _length(view, _rules(ANY_OPCODES, header_digest, data_digest))


def has_header_digest(view: memoryview) -> bool:
    """Whether the 4 bytes after the BHS are its CRC32C (mid-session detection)."""
    return len(view) >= BHS_LEN + DIGEST_LEN and _DIGEST.unpack_from(view, BHS_LEN)[0] == crc32c(
        view[:BHS_LEN])


def heuristic(view: memoryview) -> bool:
    """Whether the first payload of a flow on another port starts an iSCSI Login."""
    if len(view) < BHS_LEN or view[0] & 0x3F != ISCSI_OP_LOGIN_REQ or view[4]:
        return False
    # Version-max/min are 0 (§11.12.4); the keys start after the BHS (§11.12.11).
    if view[2] != 0 or view[3] != 0:
        return False
    keys = bytes(view[BHS_LEN : BHS_LEN + 64])
    return keys.startswith((b"InitiatorName=", b"SessionType=", b"AuthMethod=",
                            b"TargetName=", b"InitiatorAlias="))


def decode(view: memoryview, header_digest: bool, data_digest: bool,
           cls: type[Pdu] = Pdu, header_only: bool = False) -> Pdu:
    """Decode exactly one PDU and verify its digests (a mismatch is recorded, not raised).

    ``cls`` is Pdu or a subclass: a translator may have the PDU decoded
    straight into its probe argument object.  ``header_only``: ``view`` is
    the front of a PDU the capture cut, holding at least BHS and AHS; the
    rest is not looked at (no digest verdicts; ``data`` is what was captured).
    """
    size = len(view)
    if size < BHS_LEN:
        raise Truncated(BHS_LEN, size, "iSCSI BHS")
    pdu = cls()
    (first, pdu.flags, pdu.spec, word, pdu.lun, pdu.itt, pdu.w20, pdu.w24, pdu.w28, pdu.w32,
     pdu.w36, pdu.w40, pdu.w44) = _BHS.unpack_from(view)
    pdu.opcode = first & 0x3F
    data_len = pdu.data_len = word & 0xFFFFFF
    pdu.view = view
    pdu.header_digest_ok = pdu.data_digest_ok = None
    pos = BHS_LEN + (word >> 24) * 4
    if size < pos:
        raise Truncated(pos, size, "iSCSI AHS")
    if header_only:
        return pdu
    if header_digest:
        if size < pos + DIGEST_LEN:
            raise Truncated(pos + DIGEST_LEN, size, "iSCSI header digest")
        pdu.header_digest_ok = _DIGEST.unpack_from(view, pos)[0] == crc32c(view[:pos])
        pos += DIGEST_LEN
    end = pos + data_len
    if size < end:
        raise Truncated(end, size, "iSCSI data segment")
    if data_digest and data_len:
        padded = pos + _padded(data_len)
        if size < padded + DIGEST_LEN:
            raise Truncated(padded + DIGEST_LEN, size, "iSCSI data digest")
        # The digest covers the data and its padding (§11.2.4).
        pdu.data_digest_ok = _DIGEST.unpack_from(view, padded)[0] == crc32c(view[pos:padded])
    return pdu


def parse_keys(data: bytes | memoryview) -> list[tuple[str, str]]:
    """The ``key=value`` pairs of a login or text data segment (§6.1)."""
    pairs = []
    for item in bytes(data).split(b"\0"):
        if not item:
            continue
        key, sep, value = item.partition(b"=")
        if not sep:
            raise Malformed(f"text item without '=': {item[:40]!r}", "iscsi.bad_text_key")
        # UTF-8 (§6.1); other bytes kept as themselves (surrogateescape)
        pairs.append((key.decode("utf-8", "surrogateescape"),
                      value.decode("utf-8", "surrogateescape")))
    return pairs


class Task:
    """One SCSI task of a session, by Initiator Task Tag."""

    __slots__ = ("itt", "lun", "cdb", "expected_len", "flags", "r2ts", "data_in", "data_out",
                 "status", "burst", "io")

    def __init__(self, command: Pdu) -> None:
        self.itt = command.itt
        self.lun = command.lun
        self.cdb = command.cdb
        self.expected_len = command.w20  # Expected Data Transfer Length (§11.3.4)
        self.flags = command.flags
        self.r2ts = 0  # R2Ts the target sent
        self.data_in = 0  # bytes of Data-In
        self.data_out = command.data_len  # bytes of immediate data and Data-Out
        self.status: int | None = None
        # The data burst in progress, kept by the translator (xfer-start/xfer-done).
        self.burst: object = None
        # The initiator's I/O request of the io provider, if the command is one.
        self.io: object = None

    @property
    def read(self) -> bool:
        return bool(self.flags & FLAG_READ)

    @property
    def write(self) -> bool:
        return bool(self.flags & FLAG_WRITE)

    @property
    def opcode_name(self) -> str:
        return scsi.opcode_name(self.cdb[0]) if self.cdb else "?"


# Login keys whose value is negotiated, and their defaults (§13).
NEGOTIATED_DEFAULTS: dict[str, str] = {
    "HeaderDigest": "None",
    "DataDigest": "None",
    "MaxBurstLength": "262144",
    "FirstBurstLength": "65536",
    "InitialR2T": "Yes",
    "ImmediateData": "Yes",
    "MaxRecvDataSegmentLength": "8192",
}
_NOT_NEGOTIATED = ("Reject", "Irrelevant", "NotUnderstood")


class IscsiSession:
    """Session state: names, ISID/TSIH, negotiated keys and the task table."""

    __slots__ = ("initiator_name", "target_name", "session_type", "isid", "tsih",
                 "params", "tasks", "connections", "declared_data_segment", "__weakref__")

    def __init__(self) -> None:
        self.initiator_name = UNKNOWN_NAME
        self.target_name = UNKNOWN_NAME
        self.session_type = "Normal"
        self.isid: bytes | None = None
        self.tsih = 0
        self.params: dict[str, str] = {}
        self.tasks: dict[int, Task] = {}
        self.connections = 0
        # The largest MaxRecvDataSegmentLength either side declared (§13.12), 0 before.
        self.declared_data_segment = 0

    @property
    def isid_text(self) -> str:
        return self.isid.hex() if self.isid is not None else UNKNOWN_NAME

    def param_int(self, key: str) -> int:
        value = self.params.get(key, NEGOTIATED_DEFAULTS[key])
        return int(value, 0) if value.isdigit() else int(NEGOTIATED_DEFAULTS[key])

    def param_yes(self, key: str) -> bool:
        return self.params.get(key, NEGOTIATED_DEFAULTS[key]) == "Yes"

    def learn_keys(self, pairs: list[tuple[str, str]], login: bool) -> None:
        """Record names, session type and negotiated values from login/text keys.

        Names come from login keys only: a SendTargets text answer lists
        TargetNames that are not this session's (§12.3).
        """
        declared = []
        for key, value in pairs:
            if key == "MaxRecvDataSegmentLength" and value.isdigit():
                declared.append(int(value))
            if key in NEGOTIATED_DEFAULTS:
                # An offer lists choices; the answer is a single value (§6.2).
                if "," in value:
                    continue
                if value in _NOT_NEGOTIATED:
                    self.params.pop(key, None)
                else:
                    self.params[key] = value
            elif not login:
                continue
            elif key == "InitiatorName":
                self.initiator_name = value
            elif key == "TargetName":
                self.target_name = value
            elif key == "SessionType":
                self.session_type = value
                if value == "Discovery" and self.target_name == UNKNOWN_NAME:
                    self.target_name = ""  # a discovery session names no target
        if declared:
            self.declared_data_segment = max(self.declared_data_segment, *declared)

    @property
    def data_segment_limit(self) -> int:
        """No PDU of the session carries a longer data segment, so no
        resynchronisation candidate may."""
        return self.declared_data_segment or RESYNC_DATA_SEGMENT


class SessionTable:
    """Every session of a run by (initiator, target, ISID, TSIH): connections join them."""

    __slots__ = ("_by_key",)

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str, bytes, int], IscsiSession] = {}

    def established(self, session: IscsiSession) -> IscsiSession:
        """The session a connection's completed login belongs to (§4.4.1, §6.3.1)."""
        assert session.isid is not None
        key = (session.initiator_name, session.target_name, session.isid, session.tsih)
        known = self._by_key.get(key)
        if known is None or known is session:
            self._by_key[key] = session
            return session
        # A new connection of a known session (same ISID, non-zero TSIH): merge.
        known.connections += 1
        known.params.update(session.params)
        return known

    def knows(self, session: IscsiSession) -> bool:
        """Whether ``session`` is the table's (its login completed)."""
        if session.isid is None:
            return False
        key = (session.initiator_name, session.target_name, session.isid, session.tsih)
        return self._by_key.get(key) is session

    def forget(self, session: IscsiSession) -> None:
        """Drop a session (its owner bounds the table): a later connection of
        it starts a session of its own."""
        key = (session.initiator_name, session.target_name, session.isid, session.tsih)
        if self._by_key.get(key) is session:  # type: ignore[arg-type]
            del self._by_key[key]  # type: ignore[arg-type]


class IscsiConnection:
    """One TCP connection's iSCSI state: digests, login phase, text continuation."""

    __slots__ = ("session", "header_digest", "data_digest", "in_login", "_pending",
                 "target_dir", "last_cmdsn", "last_itt", "_sides", "_framing", "_tmf",
                 "_logout_reason", "_digest_guessed")

    def __init__(self) -> None:
        self.session = IscsiSession()
        self.session.connections = 1
        # None until known: the login negotiated them, or the stream proved
        # them.  Only on_login and _detect change them, and both reframe.
        self.header_digest: bool | None = None
        self.data_digest: bool | None = None
        self.in_login = False
        self._pending: dict[int, bytearray] = {}  # opcode -> continued key text
        self.target_dir: int | None = None  # stream direction the target sends on
        # The opcodes each direction may carry (either, until target_dir is known).
        self._sides = (ANY_OPCODES, ANY_OPCODES)
        # ITT of the last PDU each side sent: [initiator, target]
        self.last_itt: list[int | None] = [None, None]
        # ITT -> (function, referenced task tag, LUN) of TMF requests in flight
        self._tmf: dict[int, tuple[int, int, int]] = {}
        self._logout_reason: int | None = None
        self.last_cmdsn: int | None = None
        # Per direction: the last PDU carried data framed while the data
        # digest was unknown (taken as absent): the next bytes may be its digest.
        self._digest_guessed = [False, False]
        self._reframe()

    def _reframe(self) -> None:
        """Choose the rules pdu_length() frames each direction by straight
        away: none (the careful path) while the digests are unknown.  Called
        whenever the digests or the sides change."""
        hdig, ddig = self.header_digest, self.data_digest
        known = hdig is not None and ddig is not None
        self._framing: tuple[tuple[int, ...] | None, ...] = tuple(
            _rules(side, hdig, ddig) if known else None for side in self._sides)

    def pdu_length(self, view: memoryview, direction: int) -> int | None:
        """The framer's length function, honouring (or detecting) digests."""
        rules = self._framing[direction]
        if rules is None:
            return self._careful_length(view, direction)
        return _length(view, rules)

    def resync_length(self, view: memoryview, direction: int) -> int | None:
        """The strict check at a segment start after sync was lost (or when
        the capture began mid-session): a valid opcode for the side, reserved
        bits zero, AHS only on a command, a data segment within what the
        login allowed, a header digest that verifies when digests are in
        force, and a PDU that fits the session (``_resumes``: the ITT of an
        open task, a CmdSN near the last one)."""
        side = self._sides[direction]
        first, flags, spec, word = _RESYNC_HEAD.unpack_from(view)
        reserved = _RESERVED.get(first & 0x3F)
        rule = _rules(side, False, False)[first]
        if rule < 0 or reserved is None or flags & reserved[0] or spec & reserved[1] \
                or (word >> 24 and not rule & _RULE_AHS) \
                or word & 0xFFFFFF > self.session.data_segment_limit:
            return None
        if not self._resumes(view):
            # Nothing from the other side to check against (one direction
            # captured, or it has not spoken yet): a PDU must then also end
            # exactly where its segment does.
            if self.last_itt[first & 0x3F < 0x20] is not None or self.session.tasks:
                return None
            length = self._careful_length(view, direction)
            return length if length == len(view) else None
        if self.header_digest and first & 0x3F not in _LOGIN_OPCODES \
                and not self._header_digest_holds(view, word >> 24):
            return None
        return self._careful_length(view, direction)

    def _header_digest_holds(self, view: memoryview, ahs_words: int) -> bool:
        """Whether a candidate's header digest verifies.  A command whose
        extended CDB (AHS) runs past the bytes at hand has its digest there
        too (a snap length cut the segment): its CmdSN next to the last one
        (``_resumes``) is then the check, as the header itself is all there
        is (tshark decodes it without the digest)."""
        end = BHS_LEN + ahs_words * 4
        if len(view) >= end + DIGEST_LEN:
            return _DIGEST.unpack_from(view, end)[0] == crc32c(view[:end])
        return (ahs_words > 0 and view[0] & 0x3F == ISCSI_OP_SCSI_CMD
                and self.last_cmdsn is not None
                and (_U32.unpack_from(view, 24)[0] - self.last_cmdsn) & 0xFFFFFFFF
                < _CMDSN_WINDOW)

    def _careful_length(self, view: memoryview, direction: int) -> int | None:
        """pdu_length() while the digests are unknown."""
        side = self._sides[direction]
        hdig = self.header_digest
        ddig = self.data_digest
        if hdig is None or ddig is None:
            if ddig is None and self._digest_guessed[direction] \
                    and self._digest_follows(view, direction):
                return DIGEST_LEN
            return self._detect(view, side)
        return _length(view, _rules(side, hdig, ddig))

    def _digest_follows(self, view: memoryview, direction: int) -> bool:
        """Whether ``view`` starts with the data digest of the PDU before it,
        framed as if there were none: no PDU starts here, one that passes the
        strict check starts 4 bytes on.  The data digest is then proven and
        its 4 bytes are framed apart (``on_pdu`` passes over a PDU that
        short).  A data segment is rarely captured whole with its digest when
        the snap length cuts it, or the sender puts the digest in a segment
        of its own (Linux does): this is how the stream shows it then."""
        self._digest_guessed[direction] = False
        if self.resync_length(view, direction) is not None \
                or self.resync_length(view[DIGEST_LEN:], direction) is None:
            return False
        self.data_digest = True
        self._reframe()
        return True

    def _detect(self, view: memoryview, side: frozenset[int]) -> int | None:
        """pdu_length() while the digests are unknown (a capture without the login)."""
        if _rules(side, False, False)[view[0]] < 0:
            return None
        if view[0] & 0x3F in _LOGIN_OPCODES:
            return _length(view, _rules(side, False, False))
        hdig = self.header_digest
        if hdig is None:
            # Mid-session: a header digest shows as the BHS's CRC32C after it.
            # With only the BHS at hand, waiting for 4 more bytes could hold a
            # command behind its own response; guess "none" without pinning it.
            hdig = has_header_digest(view)
            if hdig:
                self.header_digest = True
                self._reframe()
        ddig = self.data_digest
        if ddig is None:
            # Mid-session: verify a data digest once the bytes to check it are
            # here; until then guess "none" (again, never hold a PDU back).
            ddig = False
            length = _length(view, _rules(side, hdig, True))
            data_len = (view[5] << 16) | (view[6] << 8) | view[7]
            if length is not None and data_len and len(view) >= length:
                start = BHS_LEN + view[4] * 4 + (DIGEST_LEN if hdig else 0)
                end = start + _padded(data_len)
                ddig = self.data_digest = (
                    _DIGEST.unpack_from(view, end)[0] == crc32c(view[start:end]))
                self._reframe()
        return _length(view, _rules(side, hdig, ddig))

    def _resumes(self, view: memoryview) -> bool:
        """After lost bytes, a candidate BHS must also fit the session's state:
        a task tag in flight (a SCSI task, or the tag of the other side's last
        PDU: a response to a request, a Data-Out to an R2T whose command was
        not captured), or a CmdSN (an initiator's) or ExpCmdSN (a target's)
        close to the last CmdSN (§3.2.2.1); with no
        state yet, only a command or a login request (what opens a stream).
        Data segments (disk blocks) are full of byte runs that pass the plain
        checks."""
        opcode = view[0] & 0x3F
        itt = _U32.unpack_from(view, 16)[0]
        if itt in self.session.tasks or itt == self.last_itt[opcode < 0x20]:
            return True
        if opcode in _CMDSN_OPCODES and self.last_cmdsn is not None:
            return (_U32.unpack_from(view, 24)[0] - self.last_cmdsn) & 0xFFFFFFFF < _CMDSN_WINDOW
        if opcode in TARGET_OPCODES and self.last_cmdsn is not None:
            # every target PDU carries ExpCmdSN (word 28): next to the last CmdSN
            distance = (_U32.unpack_from(view, 28)[0] - self.last_cmdsn) & 0xFFFFFFFF
            return (distance + _CMDSN_WINDOW) & 0xFFFFFFFF < 2 * _CMDSN_WINDOW
        return opcode in (ISCSI_OP_SCSI_CMD, ISCSI_OP_LOGIN_REQ) and self.last_cmdsn is None

    def decode(self, view: memoryview, direction: int, cls: type[Pdu] = Pdu) -> Pdu:
        """Decode one framed PDU (into a ``cls``) with this connection's digest settings."""
        pdu = decode(view, self.header_digest is True, self.data_digest is True, cls)
        self._seen(pdu, direction)
        return pdu

    def decode_front(self, front: memoryview, direction: int,
                     cls: type[Pdu] = Pdu) -> Pdu | None:
        """A PDU of which only ``front`` was captured (a snap length, or a hole
        in its data segment): decoded from its header when the BHS was all
        captured (AHS bytes past the captured ones read as 0), else None (a
        BHS partly seen says nothing)."""
        if len(front) < BHS_LEN:
            return None
        header = BHS_LEN + front[4] * 4
        if len(front) < header:
            # AHS bytes not captured read as 0 (an extended CDB's tail)
            front = memoryview(bytes(front) + bytes(header - len(front)))
        pdu = decode(front, False, False, cls, header_only=True)
        self._seen(pdu, direction)
        return pdu

    def _seen(self, pdu: Pdu, direction: int) -> None:
        """What a decoded PDU tells about the connection: the last CmdSN, and
        (from the first one) which direction the target sends on."""
        opcode = pdu.opcode
        if opcode in _CMDSN_OPCODES:
            self.last_cmdsn = pdu.w24
        if self.data_digest is None:
            self._digest_guessed[direction] = (pdu.data_len > 0
                                               and opcode not in _LOGIN_OPCODES)
        self.last_itt[opcode >= 0x20] = pdu.itt
        if self.target_dir is None:
            target = self.target_dir = direction if opcode in TARGET_OPCODES else 1 - direction
            self._sides = ((TARGET_OPCODES, INITIATOR_OPCODES) if target == 0
                           else (INITIATOR_OPCODES, TARGET_OPCODES))
            self._reframe()

    def login_or_text(self, pdu: Pdu) -> list[tuple[str, str]] | None:
        """Collect key text across continued PDUs; the pairs once a C=0 PDU ends it."""
        opcode = pdu.opcode
        pending = self._pending.get(opcode)
        if pdu.flags & FLAG_CONTINUE:
            self._pending.setdefault(opcode, bytearray()).extend(pdu.data)
            return None
        if pending is not None:
            del self._pending[opcode]
            pending.extend(pdu.data)
            return parse_keys(pending)
        return parse_keys(pdu.data)

    def on_login(self, pdu: Pdu, pairs: list[tuple[str, str]] | None,
                 table: SessionTable, keys_cut: bool = False) -> None:
        """Apply a login PDU: ISID/TSIH, keys, and the switch to full feature phase."""
        session = self.session
        self.in_login = True
        # Digests stay as they were (unknown mid-capture): login PDUs never
        # carry any (§13.1), and only the response that ends the login says
        # what the session negotiated; if it is not captured, the stream shows.
        if session.isid is None:
            session.isid = pdu.isid
        if pairs:
            session.learn_keys(pairs, login=True)
        if pdu.tsih:
            session.tsih = pdu.tsih
        if (pdu.opcode == ISCSI_OP_LOGIN_RSP and pdu.flags & FLAG_TRANSIT
                and pdu.nsg == FULL_FEATURE_PHASE and pdu.login_status == 0):
            self.in_login = False
            if keys_cut:  # what was negotiated is not known: the stream will show
                self.header_digest = self.data_digest = None
            else:
                self.header_digest = session.params.get("HeaderDigest") == "CRC32C"
                self.data_digest = session.params.get("DataDigest") == "CRC32C"
            self.session = table.established(session)
        self._reframe()

    def track(self, pdu: Pdu) -> Task | None:
        """Update the task table for a SCSI-phase PDU; the task it belongs to.

        The PDU that carries a task's status ends it: the task is forgotten
        (the object returned stays valid for the caller).
        """
        tasks = self.session.tasks
        opcode = pdu.opcode
        if opcode == ISCSI_OP_SCSI_CMD:
            task = tasks[pdu.itt] = Task(pdu)
            return task
        task = tasks.get(pdu.itt)
        if task is None:
            return None
        if opcode == ISCSI_OP_DATA_IN:
            task.data_in += pdu.data_len
            if pdu.flags & FLAG_STATUS:
                task.status = pdu.status
                del tasks[pdu.itt]
        elif opcode == ISCSI_OP_DATA_OUT:
            task.data_out += pdu.data_len
        elif opcode == ISCSI_OP_R2T:
            task.r2ts += 1
        elif opcode == ISCSI_OP_SCSI_RSP:
            task.status = pdu.status
            del tasks[pdu.itt]
        return task

    def tasks_ended(self, pdu: Pdu) -> list[Task]:
        """The tasks a task management or logout PDU ends, taken out of the
        session's table: a TMF response "function complete" ends what its
        request named (ABORT TASK: the referenced task; ABORT/CLEAR TASK SET,
        LUN RESET: the LUN's tasks; TARGET WARM/COLD RESET: every task), a
        logout response closing the session (or its only connection) ends
        every task.  No response comes for them (COMSTAR aborts them)."""
        opcode = pdu.opcode
        if opcode == ISCSI_OP_TASK_MGT_REQ:
            tmf = self._tmf
            if len(tmf) >= MAX_PENDING_TMF:
                del tmf[next(iter(tmf))]
            tmf[pdu.itt] = (pdu.flags & 0x7F, pdu.w20, pdu.lun)
            return []
        if opcode == ISCSI_OP_LOGOUT_REQ:
            self._logout_reason = pdu.flags & 0x7F
            return []
        tasks = self.session.tasks
        if opcode == ISCSI_OP_TASK_MGT_RSP:
            request = self._tmf.pop(pdu.itt, None)
            if request is None or pdu.spec >> 8 != TMF_FUNCTION_COMPLETE:
                return []
            function, referenced, lun = request
            if function == TMF_ABORT_TASK:
                ended = [itt for itt in (referenced,) if itt in tasks]
            elif function in _TMF_LUN_SCOPE:
                ended = [itt for itt, task in tasks.items() if task.lun == lun]
            elif function in _TMF_SESSION_SCOPE:
                ended = list(tasks)
            else:
                return []
        elif opcode == ISCSI_OP_LOGOUT_RSP and pdu.spec >> 8 == 0:
            reason, self._logout_reason = self._logout_reason, None
            if reason != LOGOUT_CLOSE_SESSION and self.session.connections > 1:
                return []  # the session's other connections carry on
            ended = list(tasks)
        else:
            return []
        return [tasks.pop(itt) for itt in ended]

    def lost(self, direction: int) -> None:
        """Bytes were lost: key text continued across the hole cannot be trusted."""
        self._pending.clear()

    def keys_cut(self, pdu: Pdu, table: SessionTable) -> None:
        """A login or text PDU whose key text the capture cut: no key is
        learned from it (nor from what it continued); a login still moves
        the connection on (ISID, TSIH, the switch to full feature phase)."""
        self._pending.pop(pdu.opcode, None)
        if pdu.opcode in _LOGIN_OPCODES:
            self.on_login(pdu, None, table, keys_cut=True)
