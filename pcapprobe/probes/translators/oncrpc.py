"""ONC RPC glue: TCP record streams and UDP datagrams -> the RPC programs' translators.

One ``RpcService`` per run owns what must be shared across transports (MOUNT
over UDP names the handles NFS over TCP uses): the file-handle path map, the
xid table (keyed by the caller and the xid, RFC 5531 §9: an xid is only
unique per client) and the programs' translators.  ``RpcStreamApp`` is the
StreamApp of one TCP connection (record marking, RFC 5531 §11, is the
dissector's ``RecordStream``); UDP datagrams go to ``RpcService.on_datagram``.
The service lives in ``ctx.apps`` (freed with the run).  Counters land in the report's "rpc" layer.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Protocol

from pcapprobe.dissectors import nfs3, nfs4, oncrpc
from pcapprobe.dissectors._reader import DissectError, Reader
from pcapprobe.dissectors.mount import MOUNT_PROGRAM
from pcapprobe.dissectors.oncrpc import (
    RecordStream,
    RpcCall,
    RpcReply,
    RpcSession,
    decode_front,
    decode_message,
)
from pcapprobe.flows.budget import IDLE, Age, StateBudget
from pcapprobe.probes.translators.conninfo import ConnInfo, from_rpc_flow
from pcapprobe.probes.translators.nfsv3 import MountTracker, Nfsv3Provider, PathMap
from pcapprobe.probes.translators.nfsv4 import Nfsv4Provider

if TYPE_CHECKING:
    from pcapprobe.flows.connection import Connection
    from pcapprobe.pipeline import RunContext
    from pcapprobe.report import Report

NFS_PORT = 2049
# What a UDP client/server pair costs (bytes): its Peer, conninfo_t, thread.
UDP_PEER_COST = 900
# What a call awaiting its reply costs (bytes): its xid table slot and what
# its program keeps for the reply (the NFSv3 op-*-start arguments): peak RSS
# grows 450 bytes a call on fixtures/gen/hostile.py's one-sided NFS READs.
PENDING_CALL_COST = 450
# (program, version) -> the translator's factory: one line per RPC program.
RPC_PROGRAMS: dict[tuple[int, int], Callable[[RunContext, PathMap], RpcProgram]] = {
    (nfs3.NFS_PROGRAM, nfs3.NFS_V3): Nfsv3Provider,
    (nfs4.NFS_PROGRAM, nfs4.NFS_V4): Nfsv4Provider,
    (MOUNT_PROGRAM, 1): lambda ctx, paths: MountTracker(ctx, paths, 1),
    (MOUNT_PROGRAM, 2): lambda ctx, paths: MountTracker(ctx, paths, 2),
    (MOUNT_PROGRAM, 3): lambda ctx, paths: MountTracker(ctx, paths, 3),
}
# Programs recognised by the heuristics (a call to one pins the flow to RPC).
PROGRAMS = frozenset(program for program, _ in RPC_PROGRAMS)


class RpcProgram(Protocol):
    """A program's translator: a call returns what its reply needs (None: forget it)."""

    def on_call(self, call: RpcCall, peer: Peer, ts_ns: int) -> object | None: ...

    def on_reply(self, reply: RpcReply, pending: Any, ts_ns: int) -> None: ...


class Peer:
    """Who a call came from: its conninfo_t, its D thread, where to report.

    ``origin.frame`` is the packet being decoded (the TCP ``Connection``, or the
    service for UDP), read only when there is something to report.
    """

    __slots__ = ("conninfo", "thread", "report", "origin")

    def __init__(self, conninfo: ConnInfo, thread: Hashable, report: Report, origin: Any) -> None:
        self.conninfo = conninfo
        self.thread = thread
        self.report = report
        self.origin = origin

    def weird(self, name: str, detail: str) -> None:
        self.report.weird(name, self.origin.frame, detail)


class _NoConnection:
    """The origin of a stream app made without a Connection (tests): no packet."""

    frame = None


class RpcService:
    """Per run: the RPC programs, the xid table and the shared path map.

    The xid table's keys are ints: a caller's key (one per TCP connection and
    call direction, one per UDP client/server pair, from ``caller_key``) or'ed
    with the xid, which is cheaper to build and hash per message than a tuple.

    The UDP client/server pairs are an ``AgedTable`` of the run's state budget
    (flows/budget.py), least recently heard first: clients calling from ever
    new ports would fill it.  An evicted pair that calls again is a new
    caller (the replies of its earlier calls then match nothing).
    """

    evicts = "nfs/udp clients"

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.paths = PathMap(ctx.budget)
        seed = ctx.options.get("nfs_paths")
        if seed:
            self.paths.load_file(seed)
        self.programs = {key: factory(ctx, self.paths) for key, factory in RPC_PROGRAMS.items()}
        # MOUNT only names handles for NFS: the NFS probes decide whether RPC is decoded.
        self.listening = any(getattr(program, "listening", False)
                             for program in self.programs.values())
        self.counts = ctx.report.layer("rpc")
        self.calls = AwaitingReply(self.counts, ctx.budget)
        self.session = self.calls.session
        self._callers = 0
        # (client, server) -> (Peer, caller key, last datagram's time)
        self._udp_peers: OrderedDict[tuple, tuple[Peer, int, int]] = OrderedDict()
        self.budget = ctx.budget
        ctx.budget.register(self)
        self._udp_servers: set[tuple[str, int]] = set()
        self.frame: Any = None  # of the datagram being decoded

    @classmethod
    def of(cls, ctx: RunContext) -> RpcService:
        """The run's one service (TCP and UDP bindings are created separately),
        kept in ``ctx.apps``: it goes when the run does."""
        service = ctx.apps.get("oncrpc")
        if service is None:
            service = ctx.apps["oncrpc"] = cls(ctx)
        return service

    def app(self, client: tuple[str, int], server: tuple[str, int], ipv6: bool,
            thread: Hashable, conn: Connection | None = None) -> RpcStreamApp:
        """The StreamApp of one TCP connection (``client`` sent the SYN);
        ``conn.frame`` names the packet of a weird."""
        return RpcStreamApp(self, client, server, ipv6, thread, conn)

    def caller_key(self) -> int:
        """A new caller's part of the xid table keys (xids are 32 bits)."""
        self._callers += 1
        return self._callers << 32

    def peer(self, client: str, server: str, ipv6: bool, thread: Hashable, origin: Any) -> Peer:
        """The Peer of calls from ``client`` to ``server``."""
        return Peer(from_rpc_flow(client, server, ipv6), thread, self.ctx.report, origin)

    def bad_message(self, exc: DissectError, frame: Any) -> None:
        self.ctx.report.weird(exc.weird if exc.weird.startswith("rpc.") else "rpc.bad_message",
                              frame, f"ONC RPC: {exc}")

    def call(self, call: RpcCall, peer: Peer, key: int, ts_ns: int) -> None:
        """A call from ``peer`` (``key``: its caller key)."""
        program = self.programs.get((call.prog, call.vers))
        xid_key = key | call.xid
        if program is None:
            # Paired all the same, so its reply is not taken for an orphan.
            self.counts[f"calls to program {call.prog} v{call.vers}"] += 1
            self.calls.add(xid_key, (_IGNORED, None, ts_ns))
            return
        if call.flavor == oncrpc.RPCSEC_GSS and not call.cred.body_decodable:  # type: ignore[union-attr]
            program = self._gss(call, peer, program)
            if program is None:
                return
        if self.session.is_pending(xid_key):
            self.session.call(xid_key, None)  # counted as a retransmission
            return
        pending = program.on_call(call, peer, ts_ns)
        if pending is not None:
            self.calls.add(xid_key, (program, pending, ts_ns))

    def add_program(self, prog: int, vers: int, program: RpcProgram) -> None:
        """A program learned from the traffic (an NFSv4 callback program)."""
        self.programs[(prog, vers)] = program

    def reply(self, reply: RpcReply, key: int, ts_ns: int) -> None:
        """A reply to the caller of ``key``."""
        entry = self.calls.answer(key | reply.xid, ts_ns)
        if entry is not None:
            entry[0].on_reply(reply, entry[1], ts_ns)

    def _gss(self, call: RpcCall, peer: Peer, program: RpcProgram) -> RpcProgram | None:
        """RPCSEC_GSS DATA with integrity or privacy (RFC 2203 §5.3.2): the
        program to hand the call to, None when there is nothing to decode.
        Context set-up is not an operation.  Integrity (krb5i) wraps the
        arguments and results in clear: unwrapped here.  Privacy (krb5p)
        encrypts them: only a program with ``on_private_call`` takes those."""
        cred = call.cred
        assert isinstance(cred, oncrpc.GssCred)
        if cred.gss_proc != oncrpc.RPCSEC_GSS_DATA:
            self.counts["RPCSEC_GSS context messages"] += 1
            return None
        if cred.service == oncrpc.RPC_GSS_SVC_INTEGRITY:
            self.counts["RPCSEC_GSS integrity calls"] += 1
            try:
                call.body = oncrpc.unwrap_integrity(call.body)
            except DissectError as exc:
                self.bad_message(exc, peer.origin.frame)
                return None
            return _Integrity(program)
        if hasattr(program, "on_private_call"):
            self.counts["RPCSEC_GSS privacy calls"] += 1
            return _Private(program)
        peer.weird("rpc.gss_body_undecodable",
                   f"ONC RPC: RPCSEC_GSS privacy body of xid 0x{call.xid:08x} not decodable")
        return None

    # UDP (RFC 5531 over datagrams: one message per datagram, no record marks)

    def on_datagram(self, payload: memoryview, src: tuple[str, int], dst: tuple[str, int],
                    ipv6: bool, ts_ns: int, frame: Any = None) -> None:
        self.frame = frame
        try:
            msg = decode_message(payload)
        except DissectError as exc:
            self.bad_message(exc, frame)
            return
        self._datagram_message(msg, src, dst, ipv6, ts_ns)

    def on_datagram_front(self, front: memoryview, length: int, src: tuple[str, int],
                          dst: tuple[str, int], ipv6: bool, ts_ns: int, frame: Any = None) -> None:
        """A datagram a snap length cut: its message's header, when all captured."""
        self.frame = frame
        try:
            msg = decode_front(front, length)
        except DissectError as exc:
            self.bad_message(exc, frame)
            return
        if msg is None:
            self.counts["messages cut inside their header"] += 1
            return
        self.counts["messages cut after their header"] += 1
        self._datagram_message(msg, src, dst, ipv6, ts_ns)

    def _datagram_message(self, msg: RpcCall | RpcReply, src: tuple[str, int],
                          dst: tuple[str, int], ipv6: bool, ts_ns: int) -> None:
        if isinstance(msg, RpcReply):
            if src not in self._udp_servers:
                return  # not an RPC server we know: some other UDP traffic
            self.reply(msg, self._udp_caller(dst, src, ipv6, ts_ns)[1], ts_ns)
            return
        self._udp_servers.add(dst)
        peer, key, _ = self._udp_caller(src, dst, ipv6, ts_ns)
        self.call(msg, peer, key, ts_ns)

    def _udp_caller(self, client: tuple[str, int], server: tuple[str, int],
                    ipv6: bool, ts_ns: int) -> tuple[Peer, int, int]:
        """The Peer and caller key of a UDP client/server pair, heard now."""
        pair = (client, server)
        peers = self._udp_peers
        caller = peers.pop(pair, None)
        if caller is None:
            thread = ("udp", client[0], client[1], server[0], server[1])
            caller = (self.peer(client[0], server[0], ipv6, thread, self), self.caller_key(), 0)
            self.budget.charge(UDP_PEER_COST)
        caller = peers[pair] = caller[:2] + (ts_ns,)
        return caller

    # -- AgedTable (flows/budget.py) ------------------------------------

    def oldest(self) -> Age | None:
        peers = self._udp_peers
        return (IDLE, next(iter(peers.values()))[2]) if peers else None

    def evict(self, upto: Age, nbytes: int) -> tuple[int, int]:
        peers = self._udp_peers
        entries = 0
        while peers and entries * UDP_PEER_COST < nbytes:
            if entries and (IDLE, next(iter(peers.values()))[2]) > upto:
                break
            peers.popitem(last=False)
            entries += 1
        self.budget.release(entries * UDP_PEER_COST)
        return entries, entries * UDP_PEER_COST


class AwaitingReply:
    """The xid table's calls awaiting their reply, an ``AgedTable`` of the
    run's state budget (flows/budget.py), the longest waiting first: a
    one-sided capture (a mirror that sees only the clients, a dead server)
    never answers them.  A forgotten call's reply counts as one without a
    call, and its *-done probe does not fire (DTrace would have seen it; the
    capture's reader asked for a bounded memory).  Each entry is kept as
    ``(program, pending, capture time of the call)``."""

    evicts = "rpc calls awaiting a reply"

    def __init__(self, counts: Counter[str], budget: StateBudget) -> None:
        self.session: RpcSession[tuple[Any, Any, int]] = RpcSession(counts, max_pending=None)
        self.budget = budget
        budget.register(self)

    def add(self, key: int, entry: tuple[Any, Any, int]) -> None:
        if self.session.call(key, entry):
            self.budget.charge(PENDING_CALL_COST)

    def answer(self, key: int, ts_ns: int) -> tuple[Any, Any, int] | None:
        entry = self.session.reply(key, ts_ns)
        if entry is not None:
            self.budget.release(PENDING_CALL_COST)
        return entry

    # -- AgedTable (flows/budget.py) ------------------------------------

    def oldest(self) -> Age | None:
        entry = self.session.oldest()
        return None if entry is None else (IDLE, entry[2])

    def evict(self, upto: Age, nbytes: int) -> tuple[int, int]:
        session = self.session
        entries = 0
        while session.unanswered and entries * PENDING_CALL_COST < nbytes:
            if entries and (IDLE, session.oldest()[2]) > upto:  # type: ignore[index]
                break
            session.forget_oldest()
            entries += 1
        self.budget.release(entries * PENDING_CALL_COST)
        return entries, entries * PENDING_CALL_COST


class _Ignored:
    """A program nobody translates: its replies are paired and dropped."""

    def on_call(self, call: RpcCall, peer: Peer, ts_ns: int) -> object | None:
        return None

    def on_reply(self, reply: RpcReply, pending: Any, ts_ns: int) -> None:
        return None


_IGNORED = _Ignored()


class _Integrity:
    """A program's calls and replies under RPCSEC_GSS integrity: the reply's
    results are unwrapped before the program reads them."""

    __slots__ = ("program",)

    def __init__(self, program: RpcProgram) -> None:
        self.program = program

    def on_call(self, call: RpcCall, peer: Peer, ts_ns: int) -> object | None:
        return self.program.on_call(call, peer, ts_ns)

    def on_reply(self, reply: RpcReply, pending: Any, ts_ns: int) -> None:
        if reply.success:
            try:
                reply.body = oncrpc.unwrap_integrity(reply.body)
            except DissectError:
                reply.body = Reader(b"")  # the program reports the cut results
        self.program.on_reply(reply, pending, ts_ns)


class _Private:
    """A program's calls and replies under RPCSEC_GSS privacy (encrypted)."""

    __slots__ = ("program",)

    def __init__(self, program: Any) -> None:
        self.program = program

    def on_call(self, call: RpcCall, peer: Peer, ts_ns: int) -> object | None:
        return self.program.on_private_call(call, peer, ts_ns)

    def on_reply(self, reply: RpcReply, pending: Any, ts_ns: int) -> None:
        self.program.on_private_reply(reply, pending, ts_ns)


class RpcStreamApp:
    """ONC RPC over one TCP connection: the dissector's record framing
    (``RecordStream``) -> RPC messages -> the service."""

    min_header = oncrpc.RECORD_MARK_LEN

    def __init__(self, service: RpcService, client: tuple[str, int], server: tuple[str, int],
                 ipv6: bool, thread: Hashable, conn: Connection | None = None) -> None:
        self.service = service
        self.origin = conn if conn is not None else _NoConnection
        # the programs the service decodes, those learned from the traffic too
        self.framing = RecordStream(PROGRAMS, service.programs, self._outstanding)
        self.pdu_length = self.framing.pdu_length
        self.resync_length = self.framing.resync_length
        # Calls may travel both ways (callbacks): peers and caller keys per call
        # direction.  A call travels client -> server; if the first call arrives
        # the other way (a capture that began mid-connection) the roles swap.
        self.peers = (service.peer(client[0], server[0], ipv6, thread, self.origin),
                      service.peer(server[0], client[0], ipv6, thread, self.origin))
        self.keys = (service.caller_key(), service.caller_key())

    def _outstanding(self, direction: int, xid: int) -> bool:
        """Whether a reply travelling in ``direction`` answers a call awaiting it."""
        return self.service.session.is_pending(self.keys[1 - direction] | xid)

    def on_pdu(self, pdu: memoryview, direction: int, ts_ns: int) -> None:
        record = self.framing.record(pdu, direction)
        if record is None:
            return
        try:
            msg = decode_message(record)
        except DissectError as exc:
            self.service.bad_message(exc, self.origin.frame)
            return
        self._message(msg, direction, ts_ns)

    def on_partial(self, front: memoryview, length: int, direction: int, ts_ns: int) -> None:
        """A fragment the capture cut (snap length, or a hole in its body):
        its message's header, when all captured, with arguments or results
        unknown past the captured bytes."""
        counts = self.service.counts
        got = self.framing.record_front(front, length, direction)
        msg = None
        if got is not None:
            try:
                msg = decode_front(*got)
            except DissectError as exc:
                self.service.bad_message(exc, self.origin.frame)
                return
        if msg is None:
            counts["messages cut inside their header"] += 1
            return
        counts["messages cut after their header"] += 1
        self._message(msg, direction, ts_ns)

    def _message(self, msg: RpcCall | RpcReply, direction: int, ts_ns: int) -> None:
        if isinstance(msg, RpcReply):
            self.service.reply(msg, self.keys[1 - direction], ts_ns)
        else:
            self.service.call(msg, self.peers[direction], self.keys[direction], ts_ns)

    def on_gap(self, direction: int, size: int) -> None:
        self.service.counts["bytes lost in gaps"] += size

    def on_close(self) -> None:
        self.framing.close()


def enabled(ctx: RunContext) -> bool:
    """AppBinding.enabled: some RPC program's probe is enabled in this run."""
    return RpcService.of(ctx).listening


def stream_app(conn: Connection) -> RpcStreamApp | None:
    """AppBinding factory: the ONC RPC StreamApp of one TCP connection (None when
    no RPC program's probe is enabled: the flow is then neither framed nor decoded)."""
    service = RpcService.of(conn.ctx)
    if not service.listening:
        return None
    return service.app(conn.client, conn.server, conn.ipv6, conn.thread, conn)


def datagram_app(ctx: RunContext) -> RpcService | None:
    """DatagramBinding factory: the run's RPC service takes UDP datagrams itself
    (None when no RPC program's probe is enabled)."""
    service = RpcService.of(ctx)
    return service if service.listening else None


def stream_heuristic(payload: memoryview) -> bool:
    """A TCP flow on another port that opens with a record-marked call we
    decode, or with an NFSv4 callback (the program a client named is only
    known to the run: the service decides whether to read it)."""
    return oncrpc.looks_like_record(payload, PROGRAMS) or nfs4.looks_like_callback(payload)


def datagram_heuristic(payload: memoryview) -> bool:
    """A datagram that is a call we decode, or any RPC reply (kept only when
    its server was seen answering calls)."""
    return oncrpc.looks_like_call(payload, PROGRAMS) or oncrpc.looks_like_reply(payload)
