"""Linux "cooked" capture headers (tcpdump.org LINKTYPE_LINUX_SLL 113 and
LINKTYPE_LINUX_SLL2 276; see the pcap-linktype pages for sll and sll2).

SLL v1 is 16 bytes with the protocol type last (offset 14); SLL v2 is 20 bytes
with the protocol type first (offset 0).  Protocol types >= 0x0600 are EtherTypes.
"""

from __future__ import annotations

import struct

from pcapprobe.dissectors._reader import Truncated

SLL_HEADER_LEN = 16
SLL2_HEADER_LEN = 20
SLL_PACKET_OUTGOING = 4  # sll_pkttype: sent by us

_U16 = struct.Struct(">H").unpack_from


def decode_v1(view: memoryview, off: int = 0) -> tuple[int, int]:
    """(protocol type, payload offset) of an SLL v1 frame."""
    if len(view) - off < SLL_HEADER_LEN:
        raise Truncated(SLL_HEADER_LEN, len(view) - off, "SLL header")
    return _U16(view, off + 14)[0], off + SLL_HEADER_LEN


def decode_v2(view: memoryview, off: int = 0) -> tuple[int, int]:
    """(protocol type, payload offset) of an SLL v2 frame."""
    if len(view) - off < SLL2_HEADER_LEN:
        raise Truncated(SLL2_HEADER_LEN, len(view) - off, "SLL2 header")
    return _U16(view, off)[0], off + SLL2_HEADER_LEN
