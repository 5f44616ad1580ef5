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
  default (536 IPv4, ``tcp_mss_def_ipv4``; 1220 IPv6, ``tcp_mss_def_ipv6``).
* ``cwnd``/``cwnd_ssthresh``: a Reno model (RFC 5681): initial window per
  RFC 3390, ssthresh "arbitrarily high" (the largest scaled window, Solaris's
  TCP_MAX_LARGEWIN = 65535 << 14, also the cap of cwnd); slow
  start/congestion avoidance on new ACKs; three
  duplicate ACKs halve into fast recovery; a retransmission outside fast
  recovery is a timeout (ssthresh = flight/2, cwnd = 1 MSS).
* ``rto``: RFC 6298 from RTT samples (send of new data or SYN to the ACK
  covering it, Karn's rule: never over a retransmission), 1 s initially
  (§2.1), 1 s minimum (§2.4), 60 s maximum, doubled on retransmission (§5.5);
  milliseconds, smoothed in floating point, truncated to an integer.
* ``sack_fack``/``sack_snxt``: with SACK permitted on both SYNs, the highest
  SACKed sequence and the first unSACKed one at or above suna; 0 otherwise.
* ``retransmit``: 1 on a send whose sequence space (data, SYN or FIN) lies
  below the highest sequence already sent, unless it fills a never-seen range
  (a "hole", 64 remembered at most) within the reordering threshold of the
  range's opening (Wireshark's out-of-order rule: one smoothed RTT, or 3 ms
  before any sample); a SYN captured after the SYN/ACK answering it counts as
  resent.

The implementation is in C (pcapprobe/cext/endpoint.c), so the C TCP tracker
and natively run D clauses reach endpoints without a Python call per segment:

* ``Firing(handler, time_wait, options, pktinfo, lsinfo, csinfo)``: what
  endpoints call back into.  ``handler(name)`` is asked once per tcp probe
  (None when nothing listens; the answers are the read-only attributes
  ``send``, ``receive``, ``state_change``, ``connect_request``,
  ``connect_established``, ``connect_refused``, ``accept_established``,
  ``accept_refused``); ``time_wait(endpoint, ts_ns)`` registers an endpoint
  entering time-wait; ``options(seg)`` returns the segment's
  ``dissectors.tcp.TcpOptions`` (asked at most once per segment and endpoint,
  recording weirds itself); ``pktinfo`` is args[0], ``lsinfo`` maps a state to
  its tcplsinfo_t (args[5] of state-change), ``csinfo(cid)`` makes csinfo_t.
  ``estimate`` (default True) is False when no enabled clause reads an
  estimated member (cwnd, cwnd_ssthresh, rto, sack_fack, sack_snxt): the Reno
  model and SACK parsing are then skipped (``translators.tcp.estimates_read``).
* ``Endpoint(fire, cid, laddr, lport, raddr, rport, ipv6, loopback,
  midstream)``: its own tcpsinfo_t (the read-only ``tcps_*`` members), with
  ``on_send(seg, ts_ns, ipinfo)`` / ``on_receive(seg, ts_ns, ipinfo)`` for a
  segment it sent / received (``seg`` a ``TcpSegment``, its tcpinfo_t;
  ``ipinfo`` None when no packet-level probe is enabled, and then no packet
  probe fires), ``expire_time_wait(ts_ns)``, and the attributes ``active``
  (tcps_active, set by the TCP layer for a guessed mid-stream client) and
  ``tw_expiry`` (kept by the TCP layer's time-wait queue).  Firings call
  ``handler(ts_ns, args, thread)`` with args ``(pktinfo, csinfo, ipinfo,
  endpoint, seg)``, or ``(None, csinfo, None, endpoint, None, lsinfo[old])``
  for state-change, and thread ``("tcp", cid)``.
"""

from __future__ import annotations

from pcapprobe._fastpath import Endpoint, Firing

__all__ = ["Endpoint", "Firing"]
