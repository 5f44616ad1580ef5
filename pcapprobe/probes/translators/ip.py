"""ip:::send and ip:::receive (Solaris 11.3 DTrace guide, "ip Provider";
member semantics follow libdtrace's ip.d translators).

The argument objects are the decoded packets themselves (``IpPacket``
subclasses whose members are computed lazily), so a script that reads only
``ip_saddr`` pays for one slot read and no extra object.  For an IPv4 packet
the ipv6info_t members are "<null>"/0/NULL and the reverse.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from pcapprobe._fastpath import IpProbes, NativeProbe
from pcapprobe.dissectors.ipv4 import IpPacket

Fire = Callable[[int, tuple, Hashable], None]

# next level protocol names, as ip.d's ipv4_protostr / ipv6_nextstr ternaries;
# anything else is printed as its number (lltostr)
PROTOCOL_NAMES: dict[int, str] = {
    0: "IP",
    1: "ICMP",
    2: "IGMP",
    6: "TCP",
    8: "EGP",
    17: "UDP",
    41: "IPV6",
    43: "ROUTE",
    50: "ESP",
    51: "AH",
    58: "ICMPV6",
    89: "OSPF",
    132: "SCTP",
    255: "RAW",
}
NULL_STR = "<null>"
UNKNOWN_IF = "<unknown>"
# raw-header "pointers": stable, non-zero, deterministic per packet
HDR_POINTER_BASE = 0xFFFFFE0000000000
LOOPBACK_LINKTYPES = frozenset((0, 108))


def protocol_name(proto: int) -> str:
    return PROTOCOL_NAMES.get(proto) or str(proto)


def interface_info(name: str | None, linktype: int) -> IfInfo:
    """ifinfo_t of a capture interface (its name, or None) and link type."""
    loop = linktype in LOOPBACK_LINKTYPES or (name or "").startswith("lo")
    return IfInfo(name or UNKNOWN_IF, 1 if loop else 0)


class PktInfo:
    """pktinfo_t: pkt_addr is always NULL (the document says so)."""

    __slots__ = ()
    pkt_addr = 0


class CsInfo:
    """csinfo_t for ip probes: no connection state at the IP layer."""

    __slots__ = ()
    cs_addr = 0
    cs_cid = 0
    cs_pid = -1
    cs_zoneid = 0


class IfInfo:
    """ifinfo_t of one capture interface."""

    __slots__ = ("if_name", "if_local", "if_ipstack", "if_addr")

    def __init__(self, name: str, local: int) -> None:
        self.if_name = name
        self.if_local = local
        self.if_ipstack = 0
        self.if_addr = 0


class IpInfo(IpPacket):
    """ipinfo_t: the decoded packet is its own argument object (the pipeline
    decodes into these classes), so a firing allocates nothing but its tuples.
    ip_plength excludes the IP header (ip.d)."""

    __slots__ = ()
    # the packet's own slots, read as fast as any attribute
    ip_plength = IpPacket.plength
    ip_saddr = IpPacket.src
    ip_daddr = IpPacket.dst


def _hdr_pointer(pkt: IpPacket) -> int:
    return HDR_POINTER_BASE + (getattr(pkt.frame, "index", 0) << 12)


class Ipv4Info(IpInfo):
    """An IPv4 packet as its ipinfo_t and ipv4info_t (one object per firing)."""

    __slots__ = ()
    ip_ver = ipv4_ver = 4
    # members that are IpPacket fields as they are
    ipv4_ihl = IpPacket.ihl
    ipv4_tos = IpPacket.tos
    ipv4_length = IpPacket.total_length
    ipv4_ident = IpPacket.ident
    ipv4_flags = IpPacket.flags
    ipv4_offset = IpPacket.frag_offset
    ipv4_ttl = IpPacket.ttl
    ipv4_protocol = IpPacket.nexthdr
    ipv4_checksum = IpPacket.checksum
    ipv4_saddr = IpPacket.src
    ipv4_daddr = IpPacket.dst

    @property
    def ipv4_protostr(self) -> str:
        return protocol_name(self.nexthdr)

    # ipaddr_t holds the address in network byte order in memory; read as an
    # integer on x86 (little-endian), as Solaris x86 DTrace prints it
    @property
    def ipv4_src(self) -> int:
        return int.from_bytes(self.src_bytes, "little")

    @property
    def ipv4_dst(self) -> int:
        return int.from_bytes(self.dst_bytes, "little")

    @property
    def ipv4_hdr(self) -> int:
        return _hdr_pointer(self)


class NullIpv4Info:
    """ipv4info_t of an IPv6 packet: every member "<null>" or 0."""

    __slots__ = ()
    ipv4_ver = ipv4_ihl = ipv4_tos = ipv4_length = ipv4_ident = ipv4_flags = 0
    ipv4_offset = ipv4_ttl = ipv4_protocol = ipv4_checksum = ipv4_src = ipv4_dst = 0
    ipv4_hdr = 0
    ipv4_protostr = ipv4_saddr = ipv4_daddr = NULL_STR


class Ipv6Info(IpInfo):
    """An IPv6 packet as its ipinfo_t and ipv6info_t (fixed header fields, RFC
    8200 §3)."""

    __slots__ = ()
    ip_ver = ipv6_ver = 6
    # members that are IpPacket fields as they are
    ipv6_tclass = IpPacket.tos
    ipv6_nexthdr = IpPacket.nexthdr
    ipv6_hlim = IpPacket.ttl
    ipv6_plen = IpPacket.plength
    ipv6_saddr = IpPacket.src
    ipv6_daddr = IpPacket.dst
    ipv6_flow = IpPacket.flow_label
    ipv6_src = IpPacket.src_bytes
    ipv6_dst = IpPacket.dst_bytes

    @property
    def ipv6_nextstr(self) -> str:
        return protocol_name(self.nexthdr)

    @property
    def ipv6_hdr(self) -> int:
        return _hdr_pointer(self)


class NullIpv6Info:
    """ipv6info_t of an IPv4 packet."""

    __slots__ = ()
    ipv6_ver = ipv6_tclass = ipv6_flow = ipv6_plen = ipv6_nexthdr = ipv6_hlim = 0
    ipv6_hdr = 0
    ipv6_src = ipv6_dst = None
    ipv6_nextstr = ipv6_saddr = ipv6_daddr = NULL_STR


PKTINFO = PktInfo()
CSINFO = CsInfo()
NULL_IPV4 = NullIpv4Info()
NULL_IPV6 = NullIpv6Info()


class IpTranslator:
    """Fires ip:::send at a local source and ip:::receive at a local destination.

    The packets it is given must have been decoded as ``ipv4_class`` /
    ``ipv6_class``: they are their own argument objects.
    """

    ipv4_class = Ipv4Info
    ipv6_class = Ipv6Info

    def __init__(self, send: Fire | None, receive: Fire | None,
                 is_local: Callable[[str], bool], all_local: bool) -> None:
        self.send = send
        self.receive = receive
        self.is_local = is_local
        self.all_local = all_local
        self._ifinfo: dict[tuple[str | None, int], IfInfo] = {}
        self._last: tuple[object, int, IfInfo] = (None, -2, IfInfo(UNKNOWN_IF, 0))

    @property
    def enabled(self) -> bool:
        return self.send is not None or self.receive is not None

    def interface(self, pkt: IpPacket) -> IfInfo:
        frame = pkt.frame
        name = getattr(frame, "ifname", None)
        linktype = getattr(frame, "linktype", -1)
        key = (name, linktype)
        info = self._ifinfo.get(key)
        if info is None:
            info = self._ifinfo[key] = interface_info(name, linktype)
        self._last = (name, linktype, info)
        return info

    def native(self, local_addrs: frozenset[str]) -> IpProbes | None:
        """The probes as the C path fires them (cext/ip.c), when every enabled
        one is a NativeProbe; else None (they fire only from here)."""
        handlers = (self.send, self.receive)
        if not any(isinstance(h, NativeProbe) for h in handlers) \
                or not all(h is None or isinstance(h, NativeProbe) for h in handlers):
            return None
        return IpProbes(self.send, self.receive, self.all_local, local_addrs,
                        tuple(protocol_name(n) for n in range(256)), interface_info,
                        NULL_STR, HDR_POINTER_BASE)

    def __call__(self, pkt: IpPacket) -> None:
        if self.all_local:
            send = self.send
            receive = self.receive
        else:
            send = self.send if self.is_local(pkt.src) else None
            receive = self.receive if self.is_local(pkt.dst) else None
            if send is None and receive is None:
                return
        frame = pkt.frame
        last_name, last_linktype, ifinfo = self._last
        if last_name is not frame.ifname or last_linktype != frame.linktype:  # type: ignore[attr-defined]
            ifinfo = self.interface(pkt)
        # pkt was decoded as an Ipv4Info / Ipv6Info (ipv4_class, ipv6_class)
        if pkt.ipv6:
            args = (PKTINFO, CSINFO, pkt, ifinfo, NULL_IPV4, pkt)
        else:
            args = (PKTINFO, CSINFO, pkt, ifinfo, pkt, NULL_IPV6)
        thread = (pkt.src, pkt.dst, pkt.proto)
        if send is not None:
            send(pkt.ts_ns, args, thread)
        if receive is not None:
            receive(pkt.ts_ns, args, thread)
