"""Endace Extensible Record Format record headers (tcpdump.org LINKTYPE_ERF 197).

Endace "ERF Types Reference Guide" (EDM11-01), Generic ERF header: a 16-byte header (8-byte
little-endian fixed-point timestamp, type, flags, rlen, lctr/color, wlen, the
last three big-endian), then, when bit 7 of the type byte is set, 8-byte
extension headers, each with bit 7 of its first byte set if another follows.
ETH-family records (type 2 and its color variants) put a 1-byte offset and a
1-byte pad before the Ethernet frame.
In a pcap record the packet time is the pcap record's: the ERF timestamp is
ignored, as are rlen padding and the loss counter.
"""

from __future__ import annotations

from pcapprobe.dissectors._reader import Malformed, Reader, Truncated

HEADER_LEN = 16
EXT_HEADER_LEN = 8
ETH_PAD_LEN = 2  # offset + pad bytes before an ETH record's frame
MAX_EXT_HEADERS = 16  # more is not a real record

ERF_TYPE_ETH = 2
ERF_TYPE_COLOR_ETH = 11  # ETH with a color field in place of lctr
ERF_TYPE_DSM_COLOR_ETH = 16  # ETH with DSM color
ERF_TYPE_COLOR_HASH_ETH = 20
ERF_TYPE_INFINIBAND = 21  # an InfiniBand packet starting at its LRH
ERF_TYPE_IPV4 = 22  # bare IPv4 datagram
ERF_TYPE_IPV6 = 23  # bare IPv6 datagram

# record type names for skip reasons
TYPE_NAMES = {
    1: "HDLC_POS", ERF_TYPE_ETH: "ETH", 3: "ATM", 4: "AAL5", 5: "MC_HDLC", 6: "MC_RAW",
    7: "MC_ATM", 8: "MC_RAW_CHANNEL", 9: "MC_AAL5", 10: "COLOR_HDLC_POS",
    ERF_TYPE_COLOR_ETH: "COLOR_ETH", 12: "MC_AAL2", 13: "IP_COUNTER",
    14: "TCP_FLOW_COUNTER", 15: "DSM_COLOR_HDLC_POS", ERF_TYPE_DSM_COLOR_ETH: "DSM_COLOR_ETH",
    17: "COLOR_MC_HDLC_POS", 18: "AAL2", 19: "COLOR_HASH_POS",
    ERF_TYPE_COLOR_HASH_ETH: "COLOR_HASH_ETH", ERF_TYPE_INFINIBAND: "INFINIBAND",
    ERF_TYPE_IPV4: "IPV4", ERF_TYPE_IPV6: "IPV6", 24: "RAW_LINK",
    25: "INFINIBAND_LINK",  # IB link packets (flow control), no transport
    27: "META",  # provenance metadata, no packet
    48: "PAD",  # padding record, no packet
}

ETH_TYPES = frozenset((ERF_TYPE_ETH, ERF_TYPE_COLOR_ETH, ERF_TYPE_DSM_COLOR_ETH,
                       ERF_TYPE_COLOR_HASH_ETH))

_TYPE_MASK = 0x7F
_EXT_PRESENT = 0x80  # type byte and each extension header's first byte


def decode(view: memoryview, off: int = 0) -> tuple[int, int]:
    """(ERF record type, offset of the record's packet bytes).

    For ETH-family types the offset is past the 2-byte pad, at the Ethernet
    header; for IPV4/IPV6 at the IP header; for INFINIBAND at the LRH.
    """
    r = Reader(view, off)
    if r.remaining < HEADER_LEN:
        raise Truncated(HEADER_LEN, r.remaining, "ERF header")
    r.skip(8)  # timestamp: the pcap record's is used
    type_byte = r.u8()
    r.skip(1)  # flags
    rlen = r.u16()
    r.skip(4)  # lctr/color, wlen
    more = type_byte & _EXT_PRESENT
    headers = 0
    while more:
        headers += 1
        if headers > MAX_EXT_HEADERS:
            raise Malformed("more than 16 ERF extension headers", "erf.too_many_ext_headers")
        more = r.u8() & _EXT_PRESENT
        r.skip(EXT_HEADER_LEN - 1, "ERF extension header")
    record_type = type_byte & _TYPE_MASK
    if record_type in ETH_TYPES:
        r.skip(ETH_PAD_LEN, "ERF Ethernet pad")
    if rlen < r.pos - off:
        raise Malformed(f"ERF rlen {rlen} shorter than its headers", "erf.bad_rlen")
    return record_type, r.pos


def type_name(record_type: int) -> str:
    """``ERF type 24 (RAW_LINK)`` style label for skip reasons."""
    label = TYPE_NAMES.get(record_type)
    return f"ERF type {record_type} ({label})" if label else f"ERF type {record_type}"
