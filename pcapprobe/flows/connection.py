"""TCP connections of a run: one ``Connection`` per incarnation of a 4-tuple.

A connection knows its client (the SYN's sender; mid-stream, the side not on
a bound application port, else the side with the higher port), its local
endpoints (``flows/endpoint.py``) and, when an application is bound, one
reassembler per direction feeding a ``StreamFramer``.

The table is a dict from (src, sport, dst, dport) to an ``Entry``, the tuple
(connection, direction, sending endpoint, receiving endpoint) -- the local
endpoints, or None -- both orientations entered, so a packet costs one
lookup.  A SYN that is neither a retransmission of the client's SYN nor the
server's half of a simultaneous open starts a new incarnation (port reuse).
Closed connections linger ``CLOSED_LINGER_NS`` (late RSTs and retransmitted
FINs still find them), idle ones are evicted after ``IDLE_TIMEOUT_NS``, both on
the capture clock, and the table is capped at ``MAX_CONNECTIONS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterator

from pcapprobe.flows.framing import StreamFramer
from pcapprobe.flows.losses import StreamLosses
from pcapprobe.probes.constants import TH_ACK, TH_FIN, TH_RST, TH_SYN
from pcapprobe.flows.reassembly import Budget, Reassembler

if TYPE_CHECKING:
    from pcapprobe.dissectors.tcp import TcpSegment
    from pcapprobe.capture.frame import Frame
    from pcapprobe.flows.endpoint import Endpoint
    from pcapprobe.flows.framing import AppBinding
    from pcapprobe.pipeline import RunContext

NS = 1_000_000_000
CLOSED_LINGER_NS = 120 * NS  # 2*MSL: what a peer may still send after the close
IDLE_TIMEOUT_NS = 3600 * NS  # idle established connections (NFS mounts idle long)
SWEEP_EVERY_NS = 30 * NS
MAX_CONNECTIONS = 500_000
# Heuristics are offered this many payload-carrying segments before a flow is
# pinned to "no application".
HEURISTIC_TRIES = 2


_NO_STREAM = (None, None)  # the reassemblers of a flow without application


class Connection:
    """One incarnation of a TCP 4-tuple (see docs/architecture.md, StreamApp)."""

    __slots__ = ("client", "server", "ipv6", "cid", "thread", "ctx", "endpoints",
                 "client_iss", "server_spoke", "last_ts", "fins", "reset", "binding",
                 "framer", "reasm", "tries", "budget", "frame")

    def __init__(self, ctx: RunContext, client: tuple[str, int], server: tuple[str, int],
                 ipv6: bool, cid: int, budget: Budget) -> None:
        self.ctx = ctx
        self.client = client
        self.server = server
        self.ipv6 = ipv6
        self.cid = cid
        self.thread = ("tcp", cid)
        # endpoints[d]: the local endpoint that sends direction d (or None).
        self.endpoints: list[Endpoint | None] = [None, None]
        self.client_iss: int | None = None
        self.server_spoke = False
        self.last_ts = 0
        self.fins = 0  # bit d: a FIN was seen in direction d
        self.reset = False
        self.binding: AppBinding | None = None
        self.framer: StreamFramer | None = None
        self.reasm: list[Reassembler | None] = [None, None]
        self.tries = HEURISTIC_TRIES
        self.budget = budget
        # The frame whose segment is being streamed: a PDU handed to the app
        # was completed by it (set per delivered segment, for apps' weirds).
        self.frame: Frame | None = None

    @property
    def closed(self) -> bool:
        return self.reset or self.fins == 3

    def bind(self, binding: AppBinding) -> None:
        """Pin an application to this connection (a factory returning None
        declines: nothing listens to what it would produce)."""
        self.tries = 0
        app = binding.factory(self)
        if app is not None:
            self.binding = binding
            self.framer = StreamFramer(app, binding.max_pdu)
            self.reasm = [None, None]

    def stream(self, direction: int, seg: TcpSegment, ts_ns: int) -> None:
        """Feed one segment's bytes (and its ACK of the other direction) to the
        bound app (``framer`` is set); a RST or the last FIN closes the stream."""
        flags = seg.flags
        if flags & TH_RST:
            self.close_stream(ts_ns)
            return
        seq = seg.seq
        if flags & TH_SYN:
            seq = (seq + 1) & 0xFFFFFFFF
        reasm = self.reasm[direction]
        if reasm is None:
            reasm = self._start_direction(direction, seq, flags & TH_SYN != 0)
        if flags & TH_ACK:
            # first: what it acknowledges was sent before this segment's bytes
            # (a gap it gives up may hold PDUs this segment answers)
            other = self.reasm[1 - direction]
            if other is not None:
                other.acked(seg.ack, ts_ns)
        # datalen: the data on the wire, of which a snap length may have cut a tail
        reasm.segment(seq, seg.payload, flags & TH_FIN != 0, ts_ns, seg.datalen)
        if self.framer.mismatch:  # type: ignore[union-attr]  # set while streaming
            self._unbind(ts_ns)
            return
        if self.reset or self.fins == 3:
            self.close_stream(ts_ns)

    def _start_direction(self, direction: int, seq: int, syn: bool) -> Reassembler:
        """The reassembler of a direction, from its first segment's sequence
        (after the SYN, the start of the stream)."""
        framer = self.framer
        assert framer is not None  # only called while an app is bound
        if syn:
            framer.stream_start(direction)
        else:
            framer.joined(direction)
        reasm = Reassembler(framer, direction, seq, self.budget)
        self.reasm[direction] = reasm  # type: ignore[index]  # a list while bound
        return reasm

    def _unbind(self, ts_ns: int) -> None:
        """The stream did not open with a PDU of the bound app: the flow is
        pinned to no application from here on."""
        binding = self.binding
        self.close_stream(ts_ns)
        self.binding = None
        self.reasm = _NO_STREAM
        if binding is not None:
            self.ctx.report.layer("tcp")[f"flows not {binding.name}"] += 1

    def close_stream(self, ts_ns: int) -> None:
        """The connection is over for the application: flush and close it."""
        framer = self.framer
        if framer is None:
            return
        # detached first: should closing raise, the connection streams no more
        # (the scanner takes a connection with a framer for a streaming one)
        self.framer = None
        for reasm in self.reasm:
            if reasm is not None:
                reasm.close(ts_ns)
        framer.close()
        StreamLosses.of(self.ctx).closed(self, framer)


# What a segment's 4-tuple finds: everything the per-segment path needs without
# further lookups (a connection's endpoints never change): the connection, the
# direction, the sending and the receiving local endpoint.  A plain tuple: two
# are made per connection.
Entry = tuple["Connection", int, "Endpoint | None", "Endpoint | None"]


class ConnectionTable:
    """Every live connection, with incarnations and eviction on the capture clock."""

    def __init__(self, on_evict: Callable[[Connection, int], None]) -> None:
        self.flows: dict[tuple[str, int, str, int], Entry] = {}
        self.count = 0
        self.next_sweep = 0
        self.on_evict = on_evict

    def add(self, conn: Connection) -> tuple[Entry, Entry]:
        """Enter ``conn`` (its endpoints made); its entries for direction 0 and 1."""
        (caddr, cport), (saddr, sport) = conn.client, conn.server
        client, server = conn.endpoints
        entries = (conn, 0, client, server), (conn, 1, server, client)
        self.flows[(caddr, cport, saddr, sport)] = entries[0]
        self.flows[(saddr, sport, caddr, cport)] = entries[1]
        self.count += 1
        return entries

    def remove(self, conn: Connection) -> None:
        (caddr, cport), (saddr, sport) = conn.client, conn.server
        entry = self.flows.pop((caddr, cport, saddr, sport), None)
        if entry is not None and entry[0] is conn:
            self.count -= 1
        self.flows.pop((saddr, sport, caddr, cport), None)

    def sweep(self, now: int) -> None:
        """Evict closed connections past their linger and idle ones past the timeout."""
        self.next_sweep = now + SWEEP_EVERY_NS
        idle_limit = now - IDLE_TIMEOUT_NS
        closed_limit = now - CLOSED_LINGER_NS
        if self.count > MAX_CONNECTIONS:
            # Over the cap: keep the most recently active half.
            times = sorted(conn.last_ts for conn in self._connections())
            idle_limit = max(idle_limit, times[len(times) // 2])
        stale = [conn for conn in self._connections()
                 if conn.last_ts < idle_limit
                 or (conn.closed and conn.last_ts < closed_limit)]
        for conn in stale:
            self.remove(conn)
            self.on_evict(conn, now)

    def drain(self) -> list[Connection]:
        """Every connection left (end of capture); the table is emptied."""
        conns = list(self._connections())
        self.flows.clear()
        self.count = 0
        return conns

    def _connections(self) -> Iterator[Connection]:
        """Each connection once (from its direction-0 entry)."""
        return (conn for conn, direction, _, _ in self.flows.values() if not direction)
