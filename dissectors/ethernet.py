"""Ethernet II / IEEE 802.3 framing with 802.1Q, 802.1ad (QinQ) tags and MPLS.

IEEE 802.3 §3.2.6 (Length/Type: values >= 0x0600 are EtherTypes), IEEE 802.1Q
§9.6 (4-byte tag: TPID + TCI), RFC 3032 §2.1 (MPLS label stack entry: S bit ends
the stack; the payload type is not signalled, RFC 4385 §2 uses the first nibble).
"""

from __future__ import annotations

import struct

from pcapprobe.dissectors._reader import Malformed, Truncated

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_ARP = 0x0806
ETHERTYPE_VLAN = 0x8100  # 802.1Q C-tag
ETHERTYPE_IPV6 = 0x86DD
ETHERTYPE_MPLS = 0x8847
ETHERTYPE_MPLS_MCAST = 0x8848
ETHERTYPE_QINQ = 0x88A8  # 802.1ad S-tag
ETHERTYPE_QINQ_OLD = 0x9100  # pre-standard QinQ
ETHERTYPE_FCOE = 0x8906
ETHERTYPE_ROCE = 0x8915  # RoCE v1
ETHERTYPE_MIN = 0x0600  # below this the field is an 802.3 length (LLC follows)

HEADER_LEN = 14
MAX_TAGS = 8  # deeper stacks are not real traffic

_U16 = struct.Struct(">H").unpack_from
_U32 = struct.Struct(">I").unpack_from
_TAGS = frozenset((ETHERTYPE_VLAN, ETHERTYPE_QINQ, ETHERTYPE_QINQ_OLD))
_MPLS = frozenset((ETHERTYPE_MPLS, ETHERTYPE_MPLS_MCAST))


def decode(view: memoryview, off: int = 0) -> tuple[int, int]:
    """(ethertype, payload offset) after any VLAN tags and MPLS labels.

    An 802.3 length field comes back as the (small) length value, which no
    ethertype table holds; MPLS payloads come back as IPv4/IPv6 by their version
    nibble, or 0 when unknown.
    """
    end = len(view)
    if end - off < HEADER_LEN:
        raise Truncated(HEADER_LEN, end - off, "Ethernet header")
    ethertype = _U16(view, off + 12)[0]
    off += HEADER_LEN
    if ethertype == ETHERTYPE_IPV4 or ethertype == ETHERTYPE_IPV6:
        return ethertype, off
    tags = 0
    while ethertype in _TAGS:
        tags += 1
        if tags > MAX_TAGS:
            raise Malformed("more than 8 VLAN tags", "eth.too_many_tags")
        if end - off < 4:
            raise Truncated(4, end - off, "802.1Q tag")
        ethertype = _U16(view, off + 2)[0]
        off += 4
    if ethertype in _MPLS:
        return _mpls(view, off)
    return ethertype, off


def _mpls(view: memoryview, off: int) -> tuple[int, int]:
    end = len(view)
    for _ in range(MAX_TAGS * 2):
        if end - off < 4:
            raise Truncated(4, end - off, "MPLS label")
        entry = _U32(view, off)[0]
        off += 4
        if entry & 0x100:  # bottom of stack (RFC 3032 §2.1)
            if off >= end:
                raise Truncated(1, 0, "MPLS payload")
            version = view[off] >> 4
            if version == 4:
                return ETHERTYPE_IPV4, off
            if version == 6:
                return ETHERTYPE_IPV6, off
            return 0, off
    raise Malformed("MPLS label stack without bottom", "mpls.no_bottom")
