"""tcp provider arguments: decoded segments and endpoint state -> probe args.

Like illumos ``tcp.d``'s translators, each struct is a view: a member is
read when a D clause reads it, during the firing.  The decoded segment is its
own ``tcpinfo_t`` (``TcpInfo``) and a live local endpoint its own
``tcpsinfo_t`` (``TcpsInfo``, reused by every firing of the endpoint), so
members show the state at the moment of the firing.  See
``pcapprobe/flows/endpoint.py`` for how each tcpsinfo_t member is
reconstructed from the capture.
"""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING

from dissectors.tcp import TcpSegment
from pcapprobe.flows.endpoint import Endpoint
from pcapprobe.probes.constants import TCP_STATE_STRING
from pcapprobe.probes.translators.ip import PktInfo

if TYPE_CHECKING:
    from pcapprobe.pipeline import IpPacket


PKTINFO = PktInfo()


class CsInfo:
    """csinfo_t of one connection incarnation (one endpoint of it)."""

    __slots__ = ("cs_cid",)
    cs_addr = 0
    cs_pid = -1  # as the ip provider: no process is known on a wire
    cs_zoneid = 0

    def __init__(self, cid: int) -> None:
        self.cs_cid = cid


class IpInfo:
    """ipinfo_t as the tcp and udp providers see it (the whole datagram), a
    view of the packet.

    ``ip_plength`` is the upper-layer length declared by the IP header(s), i.e.
    after IPv6 extension headers and after fragment reassembly.
    """

    __slots__ = ("_p",)

    def __init__(self, pkt: IpPacket) -> None:
        self._p = pkt

    ip_plength = property(attrgetter("_p.payload_len"))
    ip_saddr = property(attrgetter("_p.src"))
    ip_daddr = property(attrgetter("_p.dst"))

    @property
    def ip_ver(self) -> int:
        return 6 if self._p.ipv6 else 4


class TcpHdr:
    """tcph_t: the raw header as byte arrays in wire order (illumos inet/tcp.h)."""

    __slots__ = ("_h",)

    def __init__(self, header: bytes) -> None:
        self._h = header

    th_lport = property(lambda self: self._h[0:2])
    th_fport = property(lambda self: self._h[2:4])
    th_seq = property(lambda self: self._h[4:8])
    th_ack = property(lambda self: self._h[8:12])
    th_offset_and_rsrvd = property(lambda self: self._h[12:13])
    th_flags = property(lambda self: self._h[13:14])
    th_win = property(lambda self: self._h[14:16])
    th_sum = property(lambda self: self._h[16:18])
    th_urp = property(lambda self: self._h[18:20])


class TcpInfo(TcpSegment):
    """tcpinfo_t: the decoded segment is its own argument object (the tcp layer
    decodes into this class), so a firing allocates nothing for it; window
    unscaled, offset in bytes."""

    __slots__ = ()
    # the segment's own slots, read as fast as any attribute
    tcp_sport = TcpSegment.sport
    tcp_dport = TcpSegment.dport
    tcp_seq = TcpSegment.seq
    tcp_ack = TcpSegment.ack
    tcp_offset = TcpSegment.offset
    tcp_flags = TcpSegment.flags
    tcp_window = TcpSegment.window
    tcp_checksum = TcpSegment.checksum
    tcp_urgent = TcpSegment.urgent

    @property
    def tcp_hdr(self) -> TcpHdr:
        # Copied: the packet buffer does not outlive the firing.
        return TcpHdr(bytes(self.header))


class TcpsInfo(Endpoint):
    """tcpsinfo_t: a local endpoint is its own argument object (the tcp layer
    creates its endpoints as this class), so members read its live state at
    the moment of the firing and a firing allocates nothing for it."""

    __slots__ = ()
    tcps_addr = 0
    # the endpoint's own slots (and snxt, computed), read as fast as any attribute
    tcps_local = Endpoint.loopback
    tcps_active = Endpoint.active
    tcps_lport = Endpoint.lport
    tcps_rport = Endpoint.rport
    tcps_laddr = Endpoint.laddr
    tcps_raddr = Endpoint.raddr
    tcps_state = Endpoint.state
    tcps_iss = Endpoint.iss
    tcps_suna = Endpoint.suna
    tcps_snxt = Endpoint.snxt
    tcps_rack = Endpoint.rack
    tcps_rnxt = Endpoint.rnxt
    tcps_swnd = Endpoint.swnd
    tcps_snd_ws = Endpoint.snd_ws
    tcps_rwnd = Endpoint.rwnd
    tcps_rcv_ws = Endpoint.rcv_ws
    tcps_cwnd = Endpoint.cwnd
    tcps_cwnd_ssthresh = Endpoint.ssthresh
    tcps_sack_fack = Endpoint.sack_fack
    tcps_sack_snxt = Endpoint.sack_snxt
    tcps_rto = Endpoint.rto
    tcps_mss = Endpoint.mss
    tcps_retransmit = Endpoint.retransmit


class TcpLsInfo:
    """tcplsinfo_t: the previous state of a state change."""

    __slots__ = ("tcps_state",)

    def __init__(self, state: int) -> None:
        self.tcps_state = state


# One per state: state-change firings allocate nothing for args[5].
TCPLSINFO = {state: TcpLsInfo(state) for state in TCP_STATE_STRING}
