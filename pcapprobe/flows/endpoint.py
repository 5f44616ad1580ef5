"""One local TCP endpoint reconstructed from the capture: Solaris state machine
and the tcpsinfo_t variables (RFC 9293 §3.3.2 state diagram, §3.10 event
processing; illumos ``tcp_input.c`` order of probes).

Each local host of a connection has its own ``Endpoint``: it sees its own
segments as sends and the peer's as receives.  States and transitions are the
Solaris ones the tcpstate.d example shows:

* active open: idle -> bound -> syn-sent (on the SYN) -> established (on the
  SYN/ACK); refused: syn-sent -> bound -> idle -> closed on the RST (the
  socket is presumed closed at once, so all three fire at the RST's time);
* passive open: the listener's SYN is received in listen; listen ->
  syn-received fires when the SYN/ACK is sent (only then is it known that
  something listens), -> established on the final ACK; a SYN answered by
  RST/ACK fires accept-refused and no state change (Solaris has no
  connection for it);
* close: fin-wait-1, fin-wait-2, closing, time-wait (-> closed when the
  capture clock passes 2*MSL), close-wait, last-ack -> closed; RST in any
  synchronised state -> closed (ignored in time-wait, RFC 1337).

Mid-stream: an endpoint first seen after its handshake starts in established
without a state-change firing; iss is 0 (unknown), windows are unscaled, mss
is the default.

Reconstructed tcpsinfo_t members:

* ``suna``: highest ACK received; ``snxt``: highest sequence sent + 1;
  ``rack``: highest ACK sent; ``rnxt``: highest sequence received + 1.
* ``swnd``/``rwnd``: last window field received/sent, unscaled, with
  ``snd_ws``/``rcv_ws`` the peer's/own shift when both SYNs carried the option
  (RFC 7323 §2.2), as the guide defines them (``swnd << snd_ws``).
* ``mss``: the smaller of both MSS options, else the one seen, else Solaris's
  default (536 IPv4, 1220 IPv6).
* ``cwnd``/``cwnd_ssthresh``: a Reno model (RFC 5681): initial window per
  RFC 3390, ssthresh "arbitrarily high" (the largest scaled window, Solaris's
  TCP_MAX_LARGEWIN); slow start/congestion avoidance on new ACKs; three
  duplicate ACKs halve into fast recovery; a retransmission outside fast
  recovery is a timeout (ssthresh = flight/2, cwnd = 1 MSS).
* ``rto``: RFC 6298 from RTT samples (send of new data or SYN to the ACK
  covering it, Karn's rule: never over a retransmission), 1 s minimum (§2.4),
  60 s maximum, doubled on retransmission (§5.5).
* ``sack_fack``/``sack_snxt``: with SACK permitted on both SYNs, the highest
  SACKed sequence and the first unSACKed one at or above suna; 0 otherwise.
* ``retransmit``: 1 on a send whose sequence space (data, SYN or FIN) lies
  below the highest sequence already sent (see ``_sent`` for the reordering
  exception); a SYN captured after the SYN/ACK answering it counts as resent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Hashable

from dissectors.tcp import TcpSegment
from pcapprobe.probes.constants import (
    TCPS_BOUND, TCPS_CLOSE_WAIT, TCPS_CLOSED, TCPS_CLOSING, TCPS_ESTABLISHED,
    TCPS_FIN_WAIT_1, TCPS_FIN_WAIT_2, TCPS_IDLE, TCPS_LAST_ACK, TCPS_LISTEN,
    TCPS_SYN_RCVD, TCPS_SYN_SENT, TCPS_TIME_WAIT, TH_ACK, TH_FIN, TH_RST, TH_SYN,
)

if TYPE_CHECKING:
    from dissectors.tcp import TcpOptions
    from pcapprobe.probes.translators.tcp import IpInfo

Fire = Callable[[int, tuple, Hashable], None]

MASK = 0xFFFFFFFF
HALF = 1 << 31

MSS_DEFAULT_IPV4 = 536  # RFC 9293 §3.7.1 / Solaris tcp_mss_def_ipv4
MSS_DEFAULT_IPV6 = 1220  # Solaris tcp_mss_def_ipv6 (1280 - 60)
TCP_MAX_LARGEWIN = 65535 << 14  # the largest window RFC 7323 allows
RTO_INITIAL_MS = 1000  # RFC 6298 §2.1
RTO_MIN_MS = 1000  # RFC 6298 §2.4
RTO_MAX_MS = 60000  # RFC 6298 §2.5
DUPACK_THRESHOLD = 3  # RFC 5681 §3.2
MAX_HOLES = 64  # never-seen ranges remembered for retransmission detection
REORDER_DEFAULT_NS = 3_000_000  # Wireshark's out-of-order threshold without an RTT


def seq_lt(a: int, b: int) -> bool:
    """RFC 9293 §3.4 modular comparison a < b."""
    return 0 < ((b - a) & MASK) < HALF


class Firing:
    """What endpoints call back into: the tcp probes' handlers (None when nothing
    listens), the time-wait clock and option parsing of the run, and the
    constant argument objects (pktinfo_t, tcplsinfo_t per state, the csinfo_t
    class) from the translators."""

    __slots__ = ("send", "receive", "state_change", "connect_request", "connect_established",
                 "connect_refused", "accept_established", "accept_refused", "time_wait",
                 "options", "pktinfo", "lsinfo", "csinfo", "estimate")

    def __init__(self, handler: Callable[[str], Fire | None],
                 time_wait: Callable[["Endpoint", int], None],
                 options: Callable[[TcpSegment], "TcpOptions"],
                 pktinfo: object, lsinfo: dict[int, object],
                 csinfo: Callable[[int], object]) -> None:
        self.pktinfo = pktinfo
        self.lsinfo = lsinfo
        self.csinfo = csinfo
        self.send = handler("send")
        self.receive = handler("receive")
        self.state_change = handler("state-change")
        self.connect_request = handler("connect-request")
        self.connect_established = handler("connect-established")
        self.connect_refused = handler("connect-refused")
        self.accept_established = handler("accept-established")
        self.accept_refused = handler("accept-refused")
        self.time_wait = time_wait  # registers an endpoint entering time-wait
        self.options = options  # parses a segment's options, recording weirds
        # False when no enabled clause reads an estimated member (cwnd,
        # cwnd_ssthresh, rto, sack_fack, sack_snxt): the Reno model and SACK
        # parsing are skipped (translators.tcp.estimates_read)
        self.estimate = True


class Endpoint:
    """The TCP of one local host on one connection incarnation (created as its
    tcpsinfo_t, ``translators.tcp.TcpsInfo``, which is a subclass)."""

    __slots__ = (
        "fire", "cid", "csinfo", "thread", "laddr", "lport", "raddr", "rport",
        "loopback", "ipv6", "active", "state", "iss", "suna", "rack", "rnxt", "swnd",
        "snd_ws", "rwnd", "rcv_ws", "cwnd", "ssthresh", "sack_ok", "sack_fack", "sack_snxt",
        "rto", "srtt", "rttvar", "retransmit", "sbase", "shigh", "holes", "snd_known",
        "rcv_known", "fin_end", "peer_fin_end", "my_opts", "peer_opts", "timed_end",
        "timed_ts", "dupacks", "recover", "tw_expiry", "mss",
    )

    def __init__(self, fire: Firing, cid: int, laddr: str, lport: int, raddr: str, rport: int,
                 ipv6: bool, loopback: bool, midstream: bool) -> None:
        self.fire = fire
        self.cid = cid
        self.csinfo = fire.csinfo(cid)
        self.thread = ("tcp", cid)
        self.laddr = laddr
        self.lport = lport
        self.raddr = raddr
        self.rport = rport
        self.ipv6 = ipv6
        self.mss = MSS_DEFAULT_IPV6 if ipv6 else MSS_DEFAULT_IPV4
        self.loopback = int(loopback)
        self.active = 0  # tcps_active as D reads it
        self.state = TCPS_ESTABLISHED if midstream else TCPS_IDLE
        self.iss = 0
        self.suna = 0
        self.rack = 0
        self.rnxt = 0
        self.swnd = 0
        self.snd_ws = 0
        self.rwnd = 0
        self.rcv_ws = 0
        self.cwnd = 0
        self.ssthresh = TCP_MAX_LARGEWIN
        self.sack_ok = False
        self.sack_fack = 0
        self.sack_snxt = 0
        self.rto = RTO_INITIAL_MS
        self.srtt = 0.0
        self.rttvar = 0.0
        self.retransmit = 0
        # Sent sequence space as offsets from ``sbase``: [0, shigh) minus holes.
        self.sbase = 0
        self.shigh = 0
        # (start, end, opened at); a list once there is a hole (most
        # connections never have one: no list for them)
        self.holes: list[tuple[int, int, int]] | tuple[()] = ()
        self.snd_known = False
        self.rcv_known = False
        self.fin_end: int | None = None  # our FIN's sequence + 1
        self.peer_fin_end: int | None = None
        self.my_opts: TcpOptions | None = None
        self.peer_opts: TcpOptions | None = None
        self.timed_end: int | None = None  # RTT timing: sequence whose ACK ends it
        self.timed_ts = 0
        self.dupacks = 0
        self.recover: int | None = None  # fast recovery until this sequence is acked
        self.tw_expiry = 0
        if midstream:
            self.cwnd = self._initial_cwnd()

    # -- derived members -------------------------------------------------

    @property
    def snxt(self) -> int:
        return (self.sbase + self.shigh) & MASK

    def _update_mss(self) -> None:
        """mss: the smaller MSS option of the two SYNs, else the default."""
        mine = self.my_opts.mss if self.my_opts is not None else None
        peer = self.peer_opts.mss if self.peer_opts is not None else None
        offer = min(mine, peer) if mine and peer else mine or peer
        if offer:
            self.mss = offer

    def _initial_cwnd(self) -> int:
        mss = self.mss
        return min(4 * mss, max(2 * mss, 4380))  # RFC 3390 §1

    # -- firing ----------------------------------------------------------

    def set_state(self, new: int, ts_ns: int) -> None:
        old = self.state
        self.state = new
        fire = self.fire.state_change
        if fire is not None:
            fire(ts_ns, (None, self.csinfo, None, self, None, self.fire.lsinfo[old]), self.thread)
        if new == TCPS_TIME_WAIT:
            self.fire.time_wait(self, ts_ns)

    def _event(self, fire: Fire | None, seg: TcpSegment, ts_ns: int,
               ipinfo: IpInfo | None) -> None:
        if fire is not None and ipinfo is not None:
            fire(ts_ns, (self.fire.pktinfo, self.csinfo, ipinfo, self, seg), self.thread)

    # -- sends -----------------------------------------------------------

    def on_send(self, seg: TcpSegment, ts_ns: int, ipinfo: IpInfo | None) -> None:
        """A segment this endpoint sent (decoded as its tcpinfo_t); ``ipinfo`` is
        None when no packet-level probe is enabled."""
        flags = seg.flags
        fire = self.fire
        state = self.state
        if flags & TH_RST:
            self.retransmit = 0
            if state == TCPS_LISTEN:
                self._event(fire.accept_refused, seg, ts_ns, ipinfo)
                self.state = TCPS_CLOSED
                state = TCPS_CLOSED
            self._event(fire.send, seg, ts_ns, ipinfo)
            if state not in (TCPS_CLOSED, TCPS_IDLE, TCPS_TIME_WAIT):
                self._closed(ts_ns)
            return
        seq = seg.seq
        length = seg.datalen
        if flags & (TH_SYN | TH_FIN):
            if flags & TH_SYN:
                self._send_syn(seg, ts_ns, ipinfo)
                length += 1
            if flags & TH_FIN:
                length += 1
        if not self.snd_known:
            self._start_send_space(seq)
        # a bare ACK occupies no sequence space: nothing to record or time
        if length:
            self.retransmit = self._sent(seq, length, ts_ns)
            if self.retransmit:
                self._on_retransmit()
            elif self.timed_end is None:
                self.timed_end = (seq + length) & MASK
                self.timed_ts = ts_ns
        else:
            self.retransmit = 0
        if flags & TH_ACK:
            ack = seg.ack
            rack = self.rack
            if not rack or 0 < ((ack - rack) & MASK) < HALF:
                self.rack = ack
        self.rwnd = seg.window
        if flags & TH_FIN and self.fin_end is None:
            self.fin_end = (seq + length) & MASK
            if state in (TCPS_ESTABLISHED, TCPS_SYN_RCVD):
                self.set_state(TCPS_FIN_WAIT_1, ts_ns)
            elif state == TCPS_CLOSE_WAIT:
                self.set_state(TCPS_LAST_ACK, ts_ns)
        send = fire.send
        if send is not None and ipinfo is not None:
            send(ts_ns, (fire.pktinfo, self.csinfo, ipinfo, self, seg), self.thread)
        self.retransmit = 0

    def _send_syn(self, seg: TcpSegment, ts_ns: int, ipinfo: IpInfo | None) -> None:
        """State changes (and connect-request) a SYN or SYN/ACK causes, before its send."""
        state = self.state
        if self.my_opts is None:
            self.my_opts = self.fire.options(seg)
            self._update_mss()
        if not self.snd_known:
            self.iss = seg.seq
            self.suna = seg.seq
            self.sbase = seg.seq
            self.shigh = 0
            self.snd_known = True
        if seg.flags & TH_ACK:
            if state in (TCPS_LISTEN, TCPS_IDLE):  # idle: the SYN was not captured
                self.state = TCPS_LISTEN
                self._negotiate()
                self.set_state(TCPS_SYN_RCVD, ts_ns)
            return
        if state in (TCPS_IDLE, TCPS_LISTEN):
            # A bare SYN is an active open; after the peer's SYN was received
            # (presumed listening) it is the second half of a simultaneous open.
            self.state = TCPS_IDLE
            self.active = 1
            self.set_state(TCPS_BOUND, ts_ns)
            self.set_state(TCPS_SYN_SENT, ts_ns)
            self._event(self.fire.connect_request, seg, ts_ns, ipinfo)
            if state == TCPS_LISTEN:
                self._negotiate()
                self.set_state(TCPS_SYN_RCVD, ts_ns)

    def _start_send_space(self, seq: int) -> None:
        """The first segment seen from this endpoint (mid-stream) starts its
        sent sequence space."""
        self.snd_known = True
        self.sbase = seq
        self.shigh = 0
        if not self.suna:
            self.suna = seq

    def _sent(self, seq: int, length: int, ts_ns: int) -> int:
        """Record ``length`` (> 0) bytes of sent sequence space; 1 when any of it
        was sent before.

        A sender sends in order, so a segment below the highest one sent is a
        retransmission even when the capture missed the original -- unless it
        fills a hole within the reordering threshold of the hole's opening
        (network reordering before the capture point, Wireshark's
        out-of-order rule: one RTT, or 3 ms before any sample)."""
        start = ((seq - self.sbase + HALF) & MASK) - HALF
        if start < 0:
            # Before anything seen: treat as resent (data before the capture).
            return 1
        end = start + length
        shigh = self.shigh
        if start >= shigh:
            if start > shigh:
                holes = self.holes
                if not isinstance(holes, list):
                    holes = self.holes = []
                holes.append((shigh, start, ts_ns))
                if len(holes) > MAX_HOLES:
                    del holes[0]
            self.shigh = end
            return 0
        if end > shigh:
            self.shigh = end
        return self._fill_holes(start, min(end, shigh), ts_ns)

    def _fill_holes(self, start: int, end: int, ts_ns: int) -> int:
        """Remove [start, end) from the never-seen ranges; 1 unless all of it
        was in them and came soon enough to be reordering."""
        seen_before = end - start
        late = False
        kept = []
        for hole in self.holes:
            lo, hi, opened = hole
            if hi <= start or lo >= end:
                kept.append(hole)
                continue
            seen_before -= min(hi, end) - max(lo, start)
            late = late or ts_ns - opened >= self._reorder_ns()
            if lo < start:
                kept.append((lo, start, opened))
            if hi > end:
                kept.append((end, hi, opened))
        self.holes = kept
        return 1 if seen_before > 0 or late else 0

    def _reorder_ns(self) -> int:
        """How late a hole may fill and still be reordering: one RTT, or the
        default before any sample."""
        return int(self.srtt * 1e6) if self.srtt else REORDER_DEFAULT_NS

    def _on_retransmit(self) -> None:
        """Karn's rule and the Reno reaction to a retransmission by this endpoint."""
        self.timed_end = None
        if self.recover is not None or not self.fire.estimate:
            return  # the fast retransmission of RFC 5681 §3.2
        self.rto = min(self.rto * 2, RTO_MAX_MS)
        if self.state >= TCPS_ESTABLISHED:
            mss = self.mss
            self.ssthresh = max(self._flight() // 2, 2 * mss)
            self.cwnd = mss

    def _flight(self) -> int:
        """snxt - suna: sequence space sent and not yet acknowledged."""
        return (self.sbase + self.shigh - self.suna) & MASK

    # -- receives --------------------------------------------------------

    def on_receive(self, seg: TcpSegment, ts_ns: int, ipinfo: IpInfo | None) -> None:
        """A segment the peer sent to this endpoint."""
        flags = seg.flags
        fire = self.fire
        state = self.state
        if state == TCPS_IDLE and flags & TH_SYN and not flags & TH_ACK:
            self.state = state = TCPS_LISTEN  # a listener: no connection state yet
        receive = fire.receive
        if receive is not None and ipinfo is not None:
            receive(ts_ns, (fire.pktinfo, self.csinfo, ipinfo, self, seg), self.thread)
        if flags & TH_RST:
            if state == TCPS_SYN_SENT:
                if flags & TH_ACK:
                    self._event(fire.connect_refused, seg, ts_ns, ipinfo)
                self.set_state(TCPS_BOUND, ts_ns)
                self.set_state(TCPS_IDLE, ts_ns)
                self.set_state(TCPS_CLOSED, ts_ns)
            elif state == TCPS_LISTEN:
                self.state = TCPS_CLOSED
            elif state not in (TCPS_CLOSED, TCPS_IDLE, TCPS_TIME_WAIT):
                self._closed(ts_ns)
            return
        seq = seg.seq
        end = seq + seg.datalen
        if flags & TH_SYN:
            self._receive_syn(seg, ts_ns, ipinfo)
            state = self.state
            end += 1
        elif not self.rcv_known:
            self.rcv_known = True
            self.rnxt = seq
            self.rack = seq
        if not self.snd_known and flags & TH_ACK:
            # Mid-stream: the peer's ACK tells where our sequence space stands.
            self.snd_known = True
            self.suna = self.sbase = seg.ack
        end &= MASK
        if 0 < ((end - self.rnxt) & MASK) < HALF:
            self.rnxt = end
        if flags & TH_ACK:
            self._receive_ack(seg, ts_ns, ipinfo)
            state = self.state
        if flags & TH_FIN:
            fin_end = (end + 1) & MASK
            if self.peer_fin_end is None:
                self.peer_fin_end = fin_end
                self.rnxt = fin_end
                if state in (TCPS_ESTABLISHED, TCPS_SYN_RCVD):
                    self.set_state(TCPS_CLOSE_WAIT, ts_ns)
                elif state == TCPS_FIN_WAIT_1:
                    self.set_state(TCPS_CLOSING, ts_ns)
                elif state == TCPS_FIN_WAIT_2:
                    self.set_state(TCPS_TIME_WAIT, ts_ns)

    def _receive_syn(self, seg: TcpSegment, ts_ns: int, ipinfo: IpInfo | None) -> None:
        state = self.state
        if self.peer_opts is None:
            self.peer_opts = self.fire.options(seg)
            self._update_mss()
            self.rcv_known = True
            self.rnxt = (seg.seq + 1) & MASK
            self.rack = self.rnxt
        if not seg.flags & TH_ACK:
            if state == TCPS_SYN_SENT:
                self._negotiate()
                self.set_state(TCPS_SYN_RCVD, ts_ns)  # simultaneous open
            return
        if state == TCPS_IDLE:
            # SYN/ACK seen before (or without) our SYN: the SYN is presumed.
            self.active = 1
            self.iss = (seg.ack - 1) & MASK
            self.suna = self.iss
            self.sbase = self.iss
            self.shigh = 1
            self.snd_known = True
            self.set_state(TCPS_BOUND, ts_ns)
            self.set_state(TCPS_SYN_SENT, ts_ns)
            state = TCPS_SYN_SENT
        if state == TCPS_SYN_SENT and seg.ack == ((self.iss + 1) & MASK):
            self._negotiate()
            self._establish(seg, ts_ns, ipinfo)

    def _negotiate(self) -> None:
        """Window scaling and SACK are on only when both SYNs offered them."""
        mine, peer = self.my_opts, self.peer_opts
        if mine is None or peer is None:
            return
        if mine.wscale is not None and peer.wscale is not None:
            self.snd_ws = peer.wscale
            self.rcv_ws = mine.wscale
        self.sack_ok = mine.sack_permitted and peer.sack_permitted
        self.cwnd = self._initial_cwnd()

    def _establish(self, seg: TcpSegment, ts_ns: int, ipinfo: IpInfo | None) -> None:
        self._new_ack(seg.ack, ts_ns)
        self.set_state(TCPS_ESTABLISHED, ts_ns)
        if self.sack_ok:
            self.sack_fack = self.sack_snxt = self.suna
        fire = self.fire.connect_established if self.active else self.fire.accept_established
        self._event(fire, seg, ts_ns, ipinfo)

    def _receive_ack(self, seg: TcpSegment, ts_ns: int, ipinfo: IpInfo | None) -> None:
        ack = seg.ack
        window = seg.window
        state = self.state
        if state == TCPS_SYN_RCVD:
            if not seq_lt(self.iss, ack):
                return
            self._establish(seg, ts_ns, ipinfo)
            state = self.state
        else:
            suna = self.suna
            # _flight(), inlined: this runs for every ACK received
            flight = (self.sbase + self.shigh - suna) & MASK
            if 0 < ((ack - suna) & MASK) <= flight:
                self._new_ack(ack, ts_ns)
            elif ack == suna and flight and not seg.datalen and window == self.swnd \
                    and self.fire.estimate:
                self._dupack()
        self.swnd = window
        if self.sack_ok and seg.offset > 20 and self.fire.estimate:
            self._sack(seg)
        fin_end = self.fin_end
        if fin_end is not None and not seq_lt(ack, fin_end):
            if state == TCPS_FIN_WAIT_1:
                self.set_state(TCPS_FIN_WAIT_2, ts_ns)
            elif state == TCPS_CLOSING:
                self.set_state(TCPS_TIME_WAIT, ts_ns)
            elif state == TCPS_LAST_ACK:
                self.set_state(TCPS_CLOSED, ts_ns)

    def _new_ack(self, ack: int, ts_ns: int) -> None:
        """RTT sample, Reno window growth and recovery exit for a new cumulative ACK."""
        acked = (ack - self.suna) & MASK
        self.suna = ack
        self.dupacks = 0
        timed = self.timed_end
        if timed is not None and not seq_lt(ack, timed):
            self._rtt_sample((ts_ns - self.timed_ts) / 1e6)
            self.timed_end = None
        if self.state < TCPS_ESTABLISHED or not self.fire.estimate:
            return
        mss = self.mss
        if self.recover is not None:
            if not seq_lt(ack, self.recover):
                self.recover = None
                self.cwnd = self.ssthresh
            return
        if self.cwnd < self.ssthresh:
            self.cwnd += min(acked, mss)  # RFC 5681 eq. (2)
        else:
            self.cwnd += max(1, mss * mss // self.cwnd)  # RFC 5681 eq. (3)
        if self.cwnd > TCP_MAX_LARGEWIN:
            self.cwnd = TCP_MAX_LARGEWIN

    def _dupack(self) -> None:
        self.dupacks += 1
        mss = self.mss
        if self.recover is not None:
            self.cwnd += mss  # RFC 5681 §3.2 step 4
        elif self.dupacks == DUPACK_THRESHOLD:
            self.ssthresh = max(self._flight() // 2, 2 * mss)  # eq. (4)
            self.cwnd = self.ssthresh + 3 * mss
            self.recover = self.snxt

    def _rtt_sample(self, r: float) -> None:
        """RFC 6298 §2.2/§2.3 smoothing (milliseconds; K = 4, alpha 1/8, beta 1/4)."""
        if self.srtt == 0.0:
            self.srtt = r
            self.rttvar = r / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - r)
            self.srtt = 0.875 * self.srtt + 0.125 * r
        rto = self.srtt + max(1.0, 4 * self.rttvar)
        self.rto = int(min(max(rto, RTO_MIN_MS), RTO_MAX_MS))

    def _sack(self, seg: TcpSegment) -> None:
        blocks = self.fire.options(seg).sack
        suna = self.suna
        fack = self.sack_fack if seq_lt(suna, self.sack_fack) else suna
        nxt = suna
        for left, right in sorted(blocks, key=lambda b: (b[0] - suna) & MASK):
            if seq_lt(fack, right):
                fack = right
            if not seq_lt(nxt, left) and seq_lt(nxt, right):
                nxt = right
        self.sack_fack = fack
        self.sack_snxt = nxt

    # -- closing ---------------------------------------------------------

    def _closed(self, ts_ns: int) -> None:
        self.set_state(TCPS_CLOSED, ts_ns)

    def expire_time_wait(self, ts_ns: int) -> None:
        """2*MSL passed on the capture clock (called by the connection table)."""
        if self.state == TCPS_TIME_WAIT:
            self.set_state(TCPS_CLOSED, ts_ns)

