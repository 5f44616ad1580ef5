"""tcp provider arguments: decoded segments and endpoint state -> probe args.

Like illumos ``tcp.d``'s translators, each struct is a view: a member is
computed when a D clause reads it, during the firing.  ``TcpsInfo`` wraps a
live ``Endpoint`` (one object per endpoint, reused by every firing), so its
members show the state at the moment of the firing.  ``tcpsinfo_t`` is the
local endpoint's state; see ``pcapprobe/flows/endpoint.py`` for how each
member is reconstructed from the capture.
"""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING

from dissectors.tcp import TcpSegment
from pcapprobe.probes.constants import TCP_STATE_STRING
from pcapprobe.probes.translators.ip import PktInfo

if TYPE_CHECKING:
    from pcapprobe.flows.endpoint import Endpoint
    from pcapprobe.pipeline import IpPacket


PKTINFO = PktInfo()


def _endpoint(name: str) -> property:
    """A tcpsinfo_t member read straight from the endpoint's state (a C-level
    getter: members are read per firing)."""
    return property(attrgetter(f"_e.{name}"))


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


class TcpsInfo:
    """tcpsinfo_t of one local endpoint (a live view, see the module docstring)."""

    __slots__ = ("_e",)
    tcps_addr = 0

    def __init__(self, endpoint: Endpoint) -> None:
        self._e = endpoint

    tcps_local = _endpoint("loopback")
    tcps_active = _endpoint("active")
    tcps_lport = _endpoint("lport")
    tcps_rport = _endpoint("rport")
    tcps_laddr = _endpoint("laddr")
    tcps_raddr = _endpoint("raddr")
    tcps_state = _endpoint("state")
    tcps_iss = _endpoint("iss")
    tcps_suna = _endpoint("suna")
    tcps_snxt = _endpoint("snxt")
    tcps_rack = _endpoint("rack")
    tcps_rnxt = _endpoint("rnxt")
    tcps_swnd = _endpoint("swnd")
    tcps_snd_ws = _endpoint("snd_ws")
    tcps_rwnd = _endpoint("rwnd")
    tcps_rcv_ws = _endpoint("rcv_ws")
    tcps_cwnd = _endpoint("cwnd")
    tcps_cwnd_ssthresh = _endpoint("ssthresh")
    tcps_sack_fack = _endpoint("sack_fack")
    tcps_sack_snxt = _endpoint("sack_snxt")
    tcps_rto = _endpoint("rto")
    tcps_mss = _endpoint("mss")
    tcps_retransmit = _endpoint("retransmit")


class TcpLsInfo:
    """tcplsinfo_t: the previous state of a state change."""

    __slots__ = ("tcps_state",)

    def __init__(self, state: int) -> None:
        self.tcps_state = state


# One per state: state-change firings allocate nothing for args[5].
TCPLSINFO = {state: TcpLsInfo(state) for state in TCP_STATE_STRING}
