"""Which worker takes a packet: a hash of its host pair.

The partition key of an IP packet is its canonical (unordered) pair of
addresses, not the 5-tuple: every fragment of a datagram has it (a later
fragment carries no ports), and so do the flows that share protocol state
between two hosts (MOUNT then NFS on other connections, the connections of an
iSCSI session, RPC over UDP and TCP).  A frame without IP (ARP, FCoE,
InfiniBand, link types the key does not read) goes to partition 0: each such
transport is then wholly seen, in order, by one worker.

``classify(frame)`` also says whether the packet is an unfragmented TCP
segment or a fragment: a worker that skips it still runs the clocks those
drive in a single-process run (TCP time-wait and sweeps, fragment timeouts;
worker.SkippedClocks), so every clock event happens at the same packet.

The link decoders are the dissectors' own (one rule, one place).
"""

from __future__ import annotations

from zlib import crc32

from pcapprobe.capture import linktypes
from pcapprobe.dissectors import ethernet, ipv6, null, sll
from pcapprobe.dissectors._reader import DissectError

OTHER, TCP, FRAGMENT, TCP_FRAGMENT = 0, 1, 2, 3
IPPROTO_TCP = 6

_LINKS = {
    linktypes.LINKTYPE_ETHERNET: ethernet.decode,
    linktypes.LINKTYPE_LINUX_SLL: sll.decode_v1,
    linktypes.LINKTYPE_LINUX_SLL2: sll.decode_v2,
    linktypes.LINKTYPE_NULL: null.decode,
    linktypes.LINKTYPE_LOOP: null.decode,
}
_RAW = frozenset({linktypes.LINKTYPE_RAW, linktypes.LINKTYPE_RAW_OPENBSD,
                  linktypes.LINKTYPE_RAW_BSD, linktypes.LINKTYPE_IPV4,
                  linktypes.LINKTYPE_IPV6})
# IPv6 next headers read without the dissector: TCP, UDP, ICMPv6
_IPV6_PLAIN = frozenset({6, 17, 58})
_IP_ETHERTYPES = frozenset({ethernet.ETHERTYPE_IPV4, ethernet.ETHERTYPE_IPV6})


def ip_offset(view: memoryview, linktype: int) -> int:
    """Where the IP header of a frame starts, or -1 (not IP, or unreadable)."""
    if linktype in _RAW:
        return 0
    decode = _LINKS.get(linktype)
    if decode is None:
        return -1
    try:
        ethertype, off = decode(view, 0)
    except DissectError:
        return -1
    return off if ethertype in _IP_ETHERTYPES else -1


def classify(view: memoryview, linktype: int, count: int) -> tuple[int, int]:
    """(partition in [0, count), kind: OTHER, TCP, FRAGMENT or TCP_FRAGMENT)."""
    off = ip_offset(view, linktype)
    if off < 0 or len(view) <= off:
        return 0, OTHER
    version = view[off] >> 4
    if version == 4 and len(view) >= off + 20:
        a, b = view[off + 12:off + 16], view[off + 16:off + 20]
        frag = (view[off + 6] & 0x3F) | view[off + 7] or view[off + 6] & 0x20
        ihl = (view[off] & 0x0F) * 4
        # a segment the TCP layer takes: a whole header behind a valid IP header
        tcp = view[off + 9] == IPPROTO_TCP and ihl >= 20 and len(view) >= off + ihl + 20
    elif version == 6 and len(view) >= off + 40:
        a, b = view[off + 8:off + 24], view[off + 24:off + 40]
        nxt = view[off + 6]
        frag = False
        if nxt not in _IPV6_PLAIN:
            # extension headers: the dissector walks them (one rule, one place)
            try:
                pkt = ipv6.decode(None, 0, view, off)
            except DissectError:
                return crc32(_pair(a, b)) % count, OTHER
            nxt, frag = pkt.proto, pkt.frag is not None
        tcp = nxt == IPPROTO_TCP
    else:
        return 0, OTHER
    part = crc32(_pair(a, b)) % count
    if frag:
        return part, TCP_FRAGMENT if tcp else FRAGMENT
    return part, TCP if tcp else OTHER


def _pair(a: memoryview, b: memoryview) -> bytes:
    """The two addresses in a canonical order (either direction hashes alike)."""
    x, y = bytes(a), bytes(b)
    return x + y if x <= y else y + x
