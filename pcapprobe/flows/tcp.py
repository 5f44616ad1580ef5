"""The TCP layer: IP packets with protocol 6 -> connections, tcp probes, streams.

Per segment: decode the header (dissectors/tcp.py), find or start the
connection incarnation, let the sending local endpoint fire its send-side
probes and the receiving local endpoint its receive-side probes (in that
order), then feed the payload to the bound application.  Perspective is
``ctx.local``: a host that is not local has no endpoint and fires nothing;
with ``--local all`` both hosts of a connection have endpoints with their own
``cs_cid``.  The D thread of a firing is the endpoint's connection.

A run in which no application can bind (every run of the tcp, ip and udp
scripts) has all of this done in C by ``TcpTracker``
(pcapprobe/cext/track.c), fed by the record scanner and by ``on_packet``.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from pcapprobe.dissectors import tcp as tcp_dissector
from pcapprobe.dissectors._reader import DissectError
from pcapprobe.dissectors.tcp import TcpOptions, TcpSegment
from pcapprobe._fastpath import FlowIndex, TcpTracker
from pcapprobe.flows import apps
from pcapprobe.flows.budget import IDLE, Age, StateBudget
from pcapprobe.flows.connection import (
    CLOSED_LINGER_NS, IDLE_TIMEOUT_NS, NS, SWEEP_EVERY_NS, Connection, ConnectionTable, Entry,
)
from pcapprobe.flows.endpoint import Endpoint, Firing
from pcapprobe.probes.constants import TH_ACK, TH_FIN, TH_RST, TH_SYN
from pcapprobe.probes.translators.tcp import (
    PKTINFO, TCPLSINFO, CsInfo, IpInfo, TcpInfo, TcpsInfo, estimates_read,
)

if TYPE_CHECKING:
    from pcapprobe.pipeline import Fire, IpPacket, RunContext

TIME_WAIT_NS = 60 * NS  # Solaris tcp_time_wait_interval (60000 ms)
# What an endpoint in time-wait is charged to the state budget (bytes): the
# Endpoint object (384) and its queue slot.  While its connection is still in
# the table this counts the endpoint a second time; once the budget evicted
# the connection, only the queue holds it (cext/track.c TW_COST).
TIME_WAIT_COST = 400

_LOOPBACK_PREFIXES = ("127.", "::ffff:127.")
_NO_OPTIONS = TcpOptions()  # shared, never modified: what a 20-byte header carries

# Whether runs without applications track endpoints in C (TcpTracker); the
# tests turn it off to compare with the Python layer.
TRACKER = True


class TimeWait:
    """The Python layer's time-wait queue (endpoints in the order they
    entered time-wait) as an ``AgedTable`` of the run's state budget.  An
    evicted endpoint leaves time-wait firing nothing, as an evicted
    connection ends."""

    evicts = "tcp time-wait endpoints"

    def __init__(self, queue: deque[Endpoint], budget: StateBudget) -> None:
        self.queue, self.budget = queue, budget

    def oldest(self) -> Age | None:
        queue = self.queue
        return (IDLE, queue[0].tw_expiry - TIME_WAIT_NS) if queue else None

    def evict(self, upto: Age, nbytes: int) -> tuple[int, int]:
        queue = self.queue
        entries = 0
        while queue and entries * TIME_WAIT_COST < nbytes:
            if entries and (IDLE, queue[0].tw_expiry - TIME_WAIT_NS) > upto:
                break
            queue.popleft()
            entries += 1
        self.budget.release(entries * TIME_WAIT_COST)
        return entries, entries * TIME_WAIT_COST


class TrackerTimeWait:
    """The C tracker's time-wait queue as an ``AgedTable`` (cext/track.c
    ``tw_oldest``/``tw_evict``, which release through the tracker's charges)."""

    evicts = TimeWait.evicts

    def __init__(self, tracker: TcpTracker) -> None:
        self.oldest = tracker.tw_oldest
        self.evict = tracker.tw_evict


def is_loopback(local: str, remote: str) -> bool:
    """tcps_local: the peer is this host (loopback, or the same address)."""
    return local == remote or remote == "::1" or remote.startswith(_LOOPBACK_PREFIXES)


class TcpLayer:
    """Registered in pipeline.build_layers as the handler of IP protocol 6."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.report = ctx.report
        self.counts = ctx.report.layer("tcp")
        self.is_local = ctx.local.is_local
        self.bindings = apps.enabled_stream_apps(ctx)
        self.heuristics = tuple(b for b in self.bindings if b.heuristic is not None)
        # Without applications the layer runs in C (TcpTracker) when it tracks
        # endpoints, and so do the D clauses the native subset covers.
        in_c = TRACKER and not self.bindings
        self.fire = Firing(lambda name: _handler(ctx, name, in_c), self._enter_time_wait,
                           self._options, PKTINFO, TCPLSINFO, CsInfo)
        fire = self.fire
        fire.estimate = estimates_read(ctx)
        # ipinfo_t/tcpinfo_t are built only when a packet-level probe listens.
        self.packet_probes = any((fire.send, fire.receive, fire.connect_request,
                                  fire.connect_established, fire.connect_refused,
                                  fire.accept_established, fire.accept_refused))
        # Endpoint state is only ever seen through tcp probes: without one
        # enabled, connections carry no endpoints (cids are numbered the same).
        self.tracking = self.packet_probes or fire.state_change is not None
        self.table = ConnectionTable(self._evicted, ctx.budget)
        self.flows = self.table.flows
        self.queues = self.table.queues
        # Without applications the connections are C's, endpoints or not
        self.tracker = self._tracker() if in_c else None
        # Connections without endpoints have their plain data segments taken
        # by the scanner (pcapprobe/cext/scan.c) once an application is bound;
        # with the tracker, it takes every segment it can decode.
        self.index = None if self.tracking and self.tracker is None else FlowIndex(DissectError)
        if self.tracker is not None:
            self.index.tracker = self.tracker
        elif self.index is not None:
            self.index.deadline = self.table.next_sweep
        self.budget = ctx.budget.reassembly
        self.time_wait: deque[Endpoint] = deque()
        # Time-wait lasts a minute of capture time: closing connections at a
        # high rate (the budget evicting them meanwhile) would fill the queue.
        ctx.budget.register(TrackerTimeWait(self.tracker) if self.tracker is not None
                            else TimeWait(self.time_wait, ctx.budget))
        # The earliest of the time-wait and sweep deadlines: one test a packet.
        self.next_clock = 0
        self.next_cid = 1
        self._pkt: IpPacket | None = None
        self._opts_seg: TcpSegment | None = None
        self._opts = _NO_OPTIONS

    def _tracker(self) -> TcpTracker:
        """The C layer of this run; roles mid-stream come from the server ports
        of every stream binding, enabled or not (as ``_guess_roles``)."""
        ports = frozenset().union(*(binding.ports for binding in apps.STREAM_APPS))
        local = self.ctx.local
        timeouts = (TIME_WAIT_NS, CLOSED_LINGER_NS, IDLE_TIMEOUT_NS, SWEEP_EVERY_NS)
        tracker = TcpTracker(self.fire, local.all, local.addrs, ports, self.report,
                             self.counts, TcpInfo, IpInfo, timeouts, self.ctx.budget)
        self.ctx.budget.register(tracker)
        return tracker

    # -- the per-packet path ---------------------------------------------

    def on_packet(self, pkt: IpPacket) -> None:
        seg = TcpInfo(pkt.payload, pkt.payload_len)
        if self.tracker is not None:
            self.tracker.segment(pkt, seg)
            return
        ts = pkt.ts_ns
        if ts >= self.next_clock:
            self._run_clocks(ts)
        flags = seg.flags
        entry = self.flows.get((pkt.src, seg.sport, pkt.dst, seg.dport))
        if entry is None:
            entry = self._new(pkt, seg, ts)
        elif flags & TH_SYN and not flags & TH_ACK \
                and self._new_incarnation(entry[0], entry[1], seg):
            self._retire(entry[0], ts)
            entry = self._new(pkt, seg, ts)
        conn, direction, sender, receiver = entry
        conn.last_ts = ts
        if conn.data or not seg.datalen:
            queue = self.queues[conn.data]
            queue[conn] = ts
            queue.move_to_end(conn)  # the most recently active
        else:
            self.table.carried(conn, ts)
        if direction:
            conn.server_spoke = True
        if sender is not None or receiver is not None:
            ipinfo = IpInfo(pkt) if self.packet_probes else None
            self._pkt = pkt  # for the weirds of option parsing
            if sender is not None:
                sender.on_send(seg, ts, ipinfo)
            if receiver is not None:
                receiver.on_receive(seg, ts, ipinfo)
        if flags & (TH_FIN | TH_RST):
            if flags & TH_RST:
                conn.reset = True
            else:
                conn.fins |= 1 << direction
        if conn.framer is not None:
            conn.frame = pkt.frame
            conn.stream(direction, seg, ts)
        elif conn.tries and not flags & TH_RST and self._try_heuristics(conn, pkt, seg):
            conn.frame = pkt.frame
            conn.stream(direction, seg, ts)

    def _try_heuristics(self, conn: Connection, pkt: IpPacket, seg: TcpSegment) -> bool:
        """Offer a payload of a flow without application to the heuristics;
        True once an application is bound."""
        payload = seg.payload
        if not payload:
            return False
        conn.tries -= 1
        binding = apps.stream_by_heuristic(payload, self.heuristics)
        if binding is None:
            return False
        conn.bind(binding)
        self._hand_over(conn, pkt, seg)
        return conn.framer is not None

    # -- connections -----------------------------------------------------

    def _new(self, pkt: IpPacket, seg: TcpSegment, ts: int) -> Entry:
        """Start a connection at this segment; decide who is the client.  The
        table entry for the segment's direction."""
        src = (pkt.src, seg.sport)
        dst = (pkt.dst, seg.dport)
        flags = seg.flags
        syn = flags & TH_SYN
        if syn and not flags & TH_ACK:
            client, server = src, dst
        elif syn:
            client, server = dst, src
        else:
            client, server = _guess_roles(src, dst)
        conn = Connection(self.ctx, client, server, pkt.ipv6, self.next_cid, self.budget)
        conn.last_ts = ts  # its age in the table (flows/budget.py)
        midstream = not syn
        local_hosts = 0
        for d, (local, remote) in enumerate(((client, server), (server, client))):
            if self.is_local(local[0]):
                local_hosts += 1
                if self.tracking:
                    endpoint = conn.endpoints[d] = TcpsInfo(
                        self.fire, self.next_cid, local[0], local[1], remote[0], remote[1],
                        pkt.ipv6, is_loopback(local[0], remote[0]), midstream)
                    endpoint.active = int(midstream and d == 0)  # the guessed client
                self.next_cid += 1
        if not local_hosts:
            self.next_cid += 1
        if syn and not flags & TH_ACK:
            conn.client_iss = seg.seq
        binding = apps.stream_by_port(client[1], server[1])
        if binding is not None and binding in self.bindings:
            conn.bind(binding)
            self._hand_over(conn, pkt, seg)
        elif binding is not None or not self.heuristics:
            conn.tries = 0  # a disabled app's port, or nothing to try
        entries = self.table.add(conn)
        self.counts["connections"] += 1
        if midstream:
            self.counts["connections mid-stream"] += 1
        return entries[0 if src == client else 1]

    def _hand_over(self, conn: Connection, pkt: IpPacket, seg: TcpSegment) -> None:
        """A connection with its application bound: the scanner may take its
        plain data segments from now on (``pkt`` is one of them)."""
        if self.index is not None and conn.framer is not None:
            direction = 0 if (pkt.src, seg.sport) == conn.client else 1
            self.index.adopt(pkt.src_bytes, seg.sport, pkt.dst_bytes, seg.dport, conn,
                             direction)

    @staticmethod
    def _new_incarnation(conn: Connection, direction: int, seg: TcpSegment) -> bool:
        """A SYN on a known 4-tuple: retransmission, simultaneous open, or reuse?"""
        if direction == 0:
            return conn.client_iss is not None and seg.seq != conn.client_iss or conn.closed
        # The server's own SYN is a simultaneous open while it has said nothing else.
        return conn.server_spoke or conn.closed or conn.client_iss is None

    def _retire(self, conn: Connection, ts: int) -> None:
        """A new incarnation replaces ``conn``: a time-wait endpoint is reused (closed)."""
        self.table.remove(conn)
        for endpoint in conn.endpoints:
            if endpoint is not None:
                endpoint.expire_time_wait(ts)
        conn.close_stream(ts)
        self.counts["connections reused"] += 1

    def _evicted(self, conn: Connection, ts: int) -> None:
        conn.close_stream(ts)
        conn.reasm = [None, None]  # the scanner may still hold the connection
        self.counts["connections evicted"] += 1

    # -- clocks and hooks ------------------------------------------------

    def _run_clocks(self, ts: int) -> None:
        """Expire time-waits and sweep the table when their time has come."""
        time_wait = self.time_wait
        if time_wait and time_wait[0].tw_expiry <= ts:
            self._expire(ts)
        table = self.table
        if ts >= table.next_sweep:
            table.sweep(ts)
            if self.index is not None:
                self.index.deadline = table.next_sweep
        self.next_clock = min(time_wait[0].tw_expiry, table.next_sweep) if time_wait \
            else table.next_sweep

    def _enter_time_wait(self, endpoint: Endpoint, ts: int) -> None:
        expiry = endpoint.tw_expiry = ts + TIME_WAIT_NS
        if not self.time_wait and expiry < self.next_clock:
            self.next_clock = expiry  # the new head of the queue
        self.time_wait.append(endpoint)
        self.ctx.budget.charge(TIME_WAIT_COST)

    def _expire(self, now: int) -> None:
        queue = self.time_wait
        expired = 0
        while queue and queue[0].tw_expiry <= now:
            endpoint = queue.popleft()
            expired += 1
            endpoint.expire_time_wait(endpoint.tw_expiry)
        self.ctx.budget.release(expired * TIME_WAIT_COST)

    def _options(self, seg: TcpSegment) -> TcpOptions:
        """Options of the segment being processed, parsed once however many
        endpoints ask (with --local all both ends read a SYN's)."""
        if seg is not self._opts_seg:
            self._opts = _NO_OPTIONS if seg.offset == 20 else self._parse_options(seg)
            self._opts_seg = seg
        return self._opts

    def _parse_options(self, seg: TcpSegment) -> TcpOptions:
        """A bad option list is a weird, not fatal: the segment has no options."""
        frame = self._pkt.frame if self._pkt is not None else None
        header = seg.header
        if len(header) < seg.offset:
            self.report.weird("tcp.options_truncated", frame,
                              f"TCP header of {seg.offset} bytes cut at {len(header)}")
            return TcpOptions()
        try:
            return tcp_dissector.parse_options(header)
        except DissectError as exc:
            self.report.weird(exc.weird, frame, str(exc))
            return TcpOptions()

    def finish(self) -> None:
        """End of capture: applications see their streams close; no probe fires
        (DTrace would not have seen these connections end)."""
        if self.tracker is not None:
            self.tracker.finish()
        for conn in self.table.drain():
            conn.close_stream(conn.last_ts)
        losses = self.ctx.apps.get("stream losses")
        if losses is not None:
            losses.finish(self.report)


def _handler(ctx: RunContext, name: str, native: bool) -> Fire | None:
    """The sink's handler of tcp probe ``name``; with ``native``, the clauses
    compiled to a NativeProbe (run in C) when the sink has them."""
    return ctx.native_handler("tcp", name) if native else ctx.handler("tcp", name)


def _guess_roles(src: tuple[str, int], dst: tuple[str, int]) -> tuple[tuple[str, int],
                                                                       tuple[str, int]]:
    """Mid-stream (client, server): an application's bound port marks the server,
    else the lower port (services listen low, clients use ephemeral ports)."""
    binding = apps.stream_by_port(src[1], dst[1])
    if binding is not None:
        return (src, dst) if dst[1] in binding.ports else (dst, src)
    return (src, dst) if dst[1] <= src[1] else (dst, src)
