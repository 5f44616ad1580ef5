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
the capture clock, and every connection is charged to the run's state budget
(flows/budget.py), which evicts the longest idle as the table fills: the table
is an ``AgedTable``, embryonic connections (no data yet) in their own queue.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Callable, Iterator

from pcapprobe.flows.budget import EMBRYONIC, IDLE, Age, StateBudget
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
# What a connection costs (bytes, measured with bench/memory_bench.py): the
# object, its table entries and tuples, its local endpoints; an application's
# framer and reassemblers come on top.
CONNECTION_COST = 2000
STREAM_COST = 1700
# Heuristics are offered this many payload-carrying segments before a flow is
# pinned to "no application".
HEURISTIC_TRIES = 2


_NO_STREAM = (None, None)  # the reassemblers of a flow without application


class Connection:
    """One incarnation of a TCP 4-tuple (see docs/architecture.md, StreamApp)."""

    __slots__ = ("client", "server", "ipv6", "cid", "thread", "ctx", "endpoints",
                 "client_iss", "server_spoke", "last_ts", "fins", "reset", "binding",
                 "framer", "reasm", "tries", "budget", "frame", "data", "cost")

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
        self.data = False  # a segment carried data (else the connection is embryonic)
        self.cost = CONNECTION_COST  # charged to the state budget
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

    def carried_data(self) -> bool:
        """Whether any data was seen (segments the scanner streamed included)."""
        if not self.data:
            self.data = any(r is not None and (r.nxt or r.held_bytes) for r in self.reasm)
        return self.data

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
    """Every live connection, with incarnations and eviction on the capture
    clock and by the state budget (an ``AgedTable``).

    The age queues map each connection to its last activity, least recent
    first: the TCP layer moves a connection to the end of its queue at each
    of its segments (``carried`` moves it out of the embryonic queue).  The
    scanner only sets ``last_ts``: a connection whose segments it took is
    requeued when it reaches the head.
    """

    evicts = "tcp connections"

    def __init__(self, on_evict: Callable[[Connection, int], None],
                 budget: StateBudget | None = None) -> None:
        self.flows: dict[tuple[str, int, str, int], Entry] = {}
        self.count = 0
        self.next_sweep = 0
        self.on_evict = on_evict
        self.budget = budget if budget is not None else StateBudget()
        self.queues: tuple[OrderedDict[Connection, int], OrderedDict[Connection, int]] = (
            OrderedDict(), OrderedDict())  # [EMBRYONIC], [IDLE]
        self.budget.register(self)

    def add(self, conn: Connection) -> tuple[Entry, Entry]:
        """Enter ``conn`` (its endpoints made); its entries for direction 0 and 1."""
        (caddr, cport), (saddr, sport) = conn.client, conn.server
        client, server = conn.endpoints
        entries = (conn, 0, client, server), (conn, 1, server, client)
        self.flows[(caddr, cport, saddr, sport)] = entries[0]
        self.flows[(saddr, sport, caddr, cport)] = entries[1]
        self.count += 1
        self.queues[EMBRYONIC][conn] = conn.last_ts
        if conn.framer is not None:
            conn.cost += STREAM_COST
        self.budget.charge(conn.cost)
        return entries

    def remove(self, conn: Connection) -> None:
        (caddr, cport), (saddr, sport) = conn.client, conn.server
        entry = self.flows.pop((caddr, cport, saddr, sport), None)
        if entry is not None and entry[0] is conn:
            self.count -= 1
        self.flows.pop((saddr, sport, caddr, cport), None)
        for queue in self.queues:
            if queue.pop(conn, None) is not None:
                self.budget.release(conn.cost)

    def carried(self, conn: Connection, ts: int) -> None:
        """``conn``'s first segment with data: it is embryonic no more."""
        conn.data = True
        self.queues[EMBRYONIC].pop(conn, None)
        self.queues[IDLE][conn] = ts

    # -- AgedTable (flows/budget.py) ------------------------------------

    def oldest(self) -> Age | None:
        for age_class, queue in enumerate(self.queues):
            while queue:
                conn, queued = next(iter(queue.items()))
                if conn.last_ts == queued and (age_class == IDLE or not conn.carried_data()):
                    return age_class, queued
                # active since it was queued, or no longer embryonic: requeue
                del queue[conn]
                self.queues[IDLE if conn.carried_data() else EMBRYONIC][conn] = conn.last_ts
        return None

    def evict(self, upto: Age, nbytes: int) -> tuple[int, int]:
        entries = released = 0
        while released < nbytes:
            age = self.oldest()
            if age is None or (entries and age > upto):
                break
            conn = next(iter(self.queues[age[0]]))
            released += conn.cost
            entries += 1
            self.remove(conn)
            self.on_evict(conn, conn.last_ts)
        return entries, released

    def sweep(self, now: int) -> None:
        """Evict closed connections past their linger and idle ones past the timeout."""
        self.next_sweep = now + SWEEP_EVERY_NS
        idle_limit = now - IDLE_TIMEOUT_NS
        closed_limit = now - CLOSED_LINGER_NS
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
        for queue in self.queues:
            for conn in queue:
                self.budget.release(conn.cost)
            queue.clear()
        return conns

    def _connections(self) -> Iterator[Connection]:
        """Each connection once (from its direction-0 entry)."""
        return (conn for conn, direction, _, _ in self.flows.values() if not direction)
