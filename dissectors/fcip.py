"""FCIP: Fibre Channel over TCP/IP (RFC 3821), with the FC Frame Encapsulation
of RFC 3643.

Every encapsulated frame starts with the 28-byte encapsulation header
(RFC 3643 §3.1, RFC 3821 §5.6.1): Protocol# 1 and Version 1 with their ones
complements, the same word again, pFlags (SF: special frame, CH: changed)
and its complement, then Flags and Frame Length (10 bits, in words, the whole
encapsulated frame) with their complements, a timestamp and a CRC.  A non
special frame follows with the SOF word (SOF, SOF, -SOF, -SOF), the FC frame
with its CRC, and the EOF word.  The checks of ``pdu_length`` are the
header tests RFC 3821 §5.6.2.2 lists for finding the next header.
"""

from __future__ import annotations

from dataclasses import dataclass

from dissectors._reader import Malformed, Truncated

FCIP_PORT = 3225
HEADER_LEN = 28
MIN_HEADER = 16  # enough to check the constant words and read Frame Length
DELIMITER_LEN = 4  # SOF and EOF words
FC_CRC_LEN = 4
# RFC 3821 §5.6.2.2: 15 < Frame Length < 545 words (an FC frame of 2148 bytes + header)
MIN_FRAME_WORDS = 16
MAX_FRAME_WORDS = 544

_WORD0 = b"\x01\x01\xfe\xfe\x01\x01\xfe\xfe"  # Protocol# 1, Version 1, complements, twice
PFLAG_SPECIAL_FRAME = 0x01
PFLAG_CHANGED = 0x80


def pdu_length(view: memoryview) -> int | None:
    """The length of the encapsulated frame at the start of ``view`` (16 bytes
    at least), or None when no FCIP header starts there.  Never raises."""
    if len(view) < MIN_HEADER or view[:8] != _WORD0:
        return None
    if view[9] != 0 or view[11] != 0xFF or view[8] ^ view[10] != 0xFF:
        return None
    words = ((view[12] << 8) | view[13]) & 0x3FF
    complement = ((view[14] << 8) | view[15]) & 0x3FF
    if words ^ complement != 0x3FF or not MIN_FRAME_WORDS <= words <= MAX_FRAME_WORDS:
        return None
    return words * 4


def heuristic(view: memoryview) -> bool:
    """Whether a flow's first payload starts with an FCIP encapsulation header."""
    return pdu_length(view) is not None


@dataclass(frozen=True, slots=True)
class Encapsulated:
    """Where the FC frame lies in one encapsulated frame, and its delimiters."""

    special: bool  # an FCIP Special Frame (connection setup), no FC frame
    sof: int
    eof: int
    start: int
    end: int  # end of the FC frame (before its CRC)


def decode(pdu: memoryview) -> Encapsulated:
    """One whole encapsulated frame (as ``pdu_length`` measured it)."""
    n = len(pdu)
    if n < HEADER_LEN:
        raise Truncated(HEADER_LEN, n, "FCIP encapsulation header")
    if pdu[8] & PFLAG_SPECIAL_FRAME:
        return Encapsulated(True, 0, 0, HEADER_LEN, HEADER_LEN)
    start = HEADER_LEN + DELIMITER_LEN
    end = n - DELIMITER_LEN - FC_CRC_LEN
    if end - start < 24:
        raise Truncated(start + 24 + FC_CRC_LEN + DELIMITER_LEN, n, "FCIP FC frame")
    sof = pdu[HEADER_LEN]
    eof = pdu[n - DELIMITER_LEN]
    if (pdu[HEADER_LEN + 1] != sof or pdu[HEADER_LEN + 2] ^ sof != 0xFF
            or pdu[n - 3] != eof or pdu[n - 2] ^ eof != 0xFF):
        raise Malformed(f"FCIP SOF/EOF words 0x{sof:02x}/0x{eof:02x} with bad complements",
                        "fcip.bad_delimiter")
    return Encapsulated(False, sof, eof, start, end)
