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

from pcapprobe.dissectors.tcp import RawHeader, TcpSegment
from pcapprobe.flows.endpoint import Endpoint
from pcapprobe.probes import catalog
from pcapprobe.probes.constants import TCP_STATE_STRING
from pcapprobe.probes.translators.ip import PktInfo

if TYPE_CHECKING:
    from pcapprobe.pipeline import IpPacket, RunContext


PKTINFO = PktInfo()

# tcpsinfo_t members flows/endpoint.py estimates rather than reads off the
# segments (Reno cwnd/ssthresh, RFC 6298 rto, SACK scoreboard)
ESTIMATED = frozenset({"tcps_cwnd", "tcps_cwnd_ssthresh", "tcps_rto", "tcps_sack_fack", "tcps_sack_snxt"})


def estimates_read(ctx: RunContext) -> bool:
    """Whether any enabled tcp clause may read an ESTIMATED member of its
    tcpsinfo_t (args[3] of every tcp probe); True for sinks that cannot say
    (``pcapprobe events``) and when a clause uses args[3] whole."""
    members_read = getattr(ctx.sink, "members_read", None)
    if members_read is None:
        return True
    catalog.load()
    for probe in catalog.PROVIDERS["tcp"].values():
        read = members_read(probe, 3)
        if read is None or read & ESTIMATED:
            return True
    return False


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


class TcpHdr(RawHeader):
    """tcph_t: the raw header as byte arrays in wire order (illumos inet/tcp.h)."""

    __slots__ = ()

    th_lport = RawHeader.sport_bytes
    th_fport = RawHeader.dport_bytes
    th_seq = RawHeader.seq_bytes
    th_ack = RawHeader.ack_bytes
    th_offset_and_rsrvd = RawHeader.offset_reserved_bytes
    th_flags = RawHeader.flags_bytes
    th_win = RawHeader.window_bytes
    th_sum = RawHeader.checksum_bytes
    th_urp = RawHeader.urgent_bytes


class TcpInfo(TcpSegment):
    """tcpinfo_t: the decoded segment is its own argument object (the tcp layer
    decodes into this class), so a firing allocates nothing for it; window
    unscaled, offset in bytes."""

    __slots__ = ()
    # the segment's own slots (checksum and urgent read off the packet), read
    # as fast as any attribute
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
        return TcpHdr(self.header)


# tcpsinfo_t: a local endpoint is its own argument object (the tcp layer creates
# its endpoints as this type), so members read its live state at the moment of
# the firing and a firing allocates nothing for it.  Its read-only members are
# tcps_addr (0), tcps_local, tcps_active, tcps_lport, tcps_rport, tcps_laddr,
# tcps_raddr, tcps_state, tcps_iss, tcps_suna, tcps_snxt, tcps_rack, tcps_rnxt,
# tcps_swnd, tcps_snd_ws, tcps_rwnd, tcps_rcv_ws, tcps_cwnd, tcps_cwnd_ssthresh,
# tcps_sack_fack, tcps_sack_snxt, tcps_rto, tcps_mss and tcps_retransmit
# (pcapprobe/cext/endpoint.c).
TcpsInfo = Endpoint


class TcpLsInfo:
    """tcplsinfo_t: the previous state of a state change."""

    __slots__ = ("tcps_state",)

    def __init__(self, state: int) -> None:
        self.tcps_state = state


# One per state: state-change firings allocate nothing for args[5].
TCPLSINFO = {state: TcpLsInfo(state) for state in TCP_STATE_STRING}
