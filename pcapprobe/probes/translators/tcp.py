"""tcp provider arguments: decoded segments and endpoint state -> probe args.

Like illumos ``tcp.d``'s translators, each struct is a view: a member is
computed when a D clause reads it, during the firing.  ``TcpsInfo`` wraps a
live ``Endpoint`` (one object per endpoint, reused by every firing), so its
members show the state at the moment of the firing.  ``tcpsinfo_t`` is the
local endpoint's state; see ``pcapprobe/flows/endpoint.py`` for how each
member is reconstructed from the capture.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pcapprobe.probes.constants import TCP_STATE_STRING
from pcapprobe.probes.translators.ip import PktInfo

if TYPE_CHECKING:
    from dissectors.tcp import TcpSegment
    from pcapprobe.flows.endpoint import Endpoint
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
    """ipinfo_t as the tcp and udp providers see it (the whole datagram).

    ``ip_plength`` is the upper-layer length declared by the IP header(s), i.e.
    after IPv6 extension headers and after fragment reassembly.
    """

    __slots__ = ("ip_ver", "ip_plength", "ip_saddr", "ip_daddr")

    def __init__(self, pkt: IpPacket) -> None:
        self.ip_ver = 6 if pkt.ipv6 else 4
        self.ip_plength = pkt.payload_len
        self.ip_saddr = pkt.src
        self.ip_daddr = pkt.dst


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


class TcpInfo:
    """tcpinfo_t: the segment's header; window unscaled, offset in bytes."""

    __slots__ = ("_s",)

    def __init__(self, seg: TcpSegment) -> None:
        self._s = seg

    tcp_sport = property(lambda self: self._s.sport)
    tcp_dport = property(lambda self: self._s.dport)
    tcp_seq = property(lambda self: self._s.seq)
    tcp_ack = property(lambda self: self._s.ack)
    tcp_offset = property(lambda self: self._s.offset)
    tcp_flags = property(lambda self: self._s.flags)
    tcp_window = property(lambda self: self._s.window)
    tcp_checksum = property(lambda self: self._s.checksum)
    tcp_urgent = property(lambda self: self._s.urgent)

    @property
    def tcp_hdr(self) -> TcpHdr:
        # Copied: the packet buffer does not outlive the firing.
        return TcpHdr(bytes(self._s.header))


class TcpsInfo:
    """tcpsinfo_t of one local endpoint (a live view, see the module docstring)."""

    __slots__ = ("_e",)
    tcps_addr = 0

    def __init__(self, endpoint: Endpoint) -> None:
        self._e = endpoint

    tcps_local = property(lambda self: self._e.loopback)
    tcps_active = property(lambda self: int(self._e.active))
    tcps_lport = property(lambda self: self._e.lport)
    tcps_rport = property(lambda self: self._e.rport)
    tcps_laddr = property(lambda self: self._e.laddr)
    tcps_raddr = property(lambda self: self._e.raddr)
    tcps_state = property(lambda self: self._e.state)
    tcps_iss = property(lambda self: self._e.iss)
    tcps_suna = property(lambda self: self._e.suna)
    tcps_snxt = property(lambda self: self._e.snxt)
    tcps_rack = property(lambda self: self._e.rack)
    tcps_rnxt = property(lambda self: self._e.rnxt)
    tcps_swnd = property(lambda self: self._e.swnd)
    tcps_snd_ws = property(lambda self: self._e.snd_ws)
    tcps_rwnd = property(lambda self: self._e.rwnd)
    tcps_rcv_ws = property(lambda self: self._e.rcv_ws)
    tcps_cwnd = property(lambda self: self._e.cwnd)
    tcps_cwnd_ssthresh = property(lambda self: self._e.ssthresh)
    tcps_sack_fack = property(lambda self: self._e.sack_fack)
    tcps_sack_snxt = property(lambda self: self._e.sack_snxt)
    tcps_rto = property(lambda self: self._e.rto)
    tcps_mss = property(lambda self: self._e.mss)
    tcps_retransmit = property(lambda self: self._e.retransmit)


class TcpLsInfo:
    """tcplsinfo_t: the previous state of a state change."""

    __slots__ = ("tcps_state",)

    def __init__(self, state: int) -> None:
        self.tcps_state = state


# One per state: state-change firings allocate nothing for args[5].
TCPLSINFO = {state: TcpLsInfo(state) for state in TCP_STATE_STRING}
