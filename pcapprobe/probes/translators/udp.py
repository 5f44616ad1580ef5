"""udp provider arguments (libdtrace udp.d translators): decoded datagram ->
udpsinfo_t (from the local perspective) and udpinfo_t.

UDP has no connection: ``cs_cid`` is 0, as on Solaris for an unconnected
socket, and the D thread is the 5-tuple.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pcapprobe.dissectors.udp import UdpDatagram


class UdpHa:
    """udpha_t: the raw UDP header (illumos inet/udp_impl.h), host-order fields."""

    __slots__ = ("uha_src_port", "uha_dst_port", "uha_length", "uha_checksum")

    def __init__(self, dgram: UdpDatagram) -> None:
        self.uha_src_port = dgram.sport
        self.uha_dst_port = dgram.dport
        self.uha_length = dgram.length
        self.uha_checksum = dgram.checksum


class UdpInfo:
    """udpinfo_t: the header; ``udp_length`` is the header's length field."""

    __slots__ = ("_d",)

    def __init__(self, dgram: UdpDatagram) -> None:
        self._d = dgram

    udp_sport = property(lambda self: self._d.sport)
    udp_dport = property(lambda self: self._d.dport)
    udp_length = property(lambda self: self._d.length)
    udp_checksum = property(lambda self: self._d.checksum)
    udp_hdr = property(lambda self: UdpHa(self._d))


class UdpsInfo:
    """udpsinfo_t of the local socket a datagram was sent from or delivered to."""

    __slots__ = ("udps_lport", "udps_rport", "udps_laddr", "udps_raddr")
    udps_addr = 0

    def __init__(self, laddr: str, lport: int, raddr: str, rport: int) -> None:
        self.udps_laddr = laddr
        self.udps_lport = lport
        self.udps_raddr = raddr
        self.udps_rport = rport


class UdpCsInfo:
    """csinfo_t of a datagram: no connection."""

    __slots__ = ()
    cs_addr = 0
    cs_cid = 0
    cs_pid = -1
    cs_zoneid = 0


UDP_CSINFO = UdpCsInfo()
