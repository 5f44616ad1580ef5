"""ONC RPC glue: TCP record streams and UDP datagrams -> the RPC programs' translators.

One ``RpcService`` per run owns what must be shared across transports (MOUNT
over UDP names the handles NFS over TCP uses): the file-handle path map, the
xid table (keyed by the flow's thread and the xid, RFC 5531 §9: an xid is
only unique per client) and the programs' translators.  ``RpcStreamApp`` is the
StreamApp of one TCP connection (record marking, RFC 5531 §11, is the
dissector's ``RecordStream``); UDP datagrams go to ``RpcService.on_datagram``.
The service lives in ``ctx.apps`` (freed with the run).  Counters land in the report's "rpc" layer.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Protocol

from dissectors import nfs3, oncrpc
from dissectors._reader import DissectError
from dissectors.mount import MOUNT_PROGRAM
from dissectors.oncrpc import RecordStream, RpcCall, RpcReply, RpcSession
from pcapprobe.probes.translators.conninfo import ConnInfo, from_rpc_flow
from pcapprobe.probes.translators.nfsv3 import MountTracker, Nfsv3Provider, PathMap

if TYPE_CHECKING:
    from pcapprobe.flows.connection import Connection
    from pcapprobe.pipeline import RunContext

NFS_PORT = 2049
# (program, version) -> the translator's factory: one line per RPC program.
RPC_PROGRAMS: dict[tuple[int, int], Callable[[RunContext, PathMap], RpcProgram]] = {
    (nfs3.NFS_PROGRAM, nfs3.NFS_V3): Nfsv3Provider,
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
    """Who a call came from: its conninfo_t, its D thread, where to report."""

    __slots__ = ("conninfo", "thread", "service", "frame")

    def __init__(self, conninfo: ConnInfo, thread: Hashable, service: RpcService) -> None:
        self.conninfo = conninfo
        self.thread = thread
        self.service = service
        self.frame: Any = None

    def weird(self, name: str, detail: str) -> None:
        self.service.ctx.report.weird(name, self.frame, detail)


class RpcService:
    """Per run: the RPC programs, the xid table and the shared path map."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.paths = PathMap()
        seed = ctx.options.get("nfs_paths")
        if seed:
            self.paths.load_file(seed)
        self.programs = {key: factory(ctx, self.paths) for key, factory in RPC_PROGRAMS.items()}
        # MOUNT only names handles for NFS: the NFS probes decide whether RPC is decoded.
        self.listening = any(getattr(program, "listening", False)
                             for program in self.programs.values())
        self.counts = ctx.report.layer("rpc")
        self.session: RpcSession[tuple[RpcProgram, Any]] = RpcSession(self.counts)
        self._udp_peers: dict[tuple, Peer] = {}
        self._udp_servers: set[tuple[str, int]] = set()

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

    def message(self, data: memoryview, peer_of: Any, ts_ns: int, frame: Any) -> None:
        """One RPC message; ``peer_of(is_call)`` gives the Peer and the pairing key."""
        try:
            msg = oncrpc.decode_message(data)
        except DissectError as exc:
            self.ctx.report.weird(exc.weird if exc.weird.startswith("rpc.") else "rpc.bad_message",
                                  frame, f"ONC RPC: {exc}")
            return
        session = self.session
        if type(msg) is RpcCall:
            program = self.programs.get((msg.prog, msg.vers))
            peer, key = peer_of(True)
            xid_key = (key, msg.xid)
            if program is None:
                # Paired all the same, so its reply is not taken for an orphan.
                self.counts[f"calls to program {msg.prog} v{msg.vers}"] += 1
                session.call(xid_key, (_IGNORED, None))
                return
            peer.frame = frame
            if msg.flavor == oncrpc.RPCSEC_GSS and not msg.cred.body_decodable:  # type: ignore[union-attr]
                self._gss(msg, peer)
                return
            if session.is_pending(xid_key):
                session.call(xid_key, None)  # counted as a retransmission
                return
            pending = program.on_call(msg, peer, ts_ns)
            if pending is not None:
                session.call(xid_key, (program, pending))
            return
        peer, key = peer_of(False)
        if peer is None:
            return
        entry = session.reply((key, msg.xid), ts_ns)
        if entry is not None:
            peer.frame = frame
            entry[0].on_reply(msg, entry[1], ts_ns)

    def _gss(self, call: RpcCall, peer: Peer) -> None:
        """RPCSEC_GSS: context set-up is not an operation; wrapped bodies are opaque."""
        cred = call.cred
        assert isinstance(cred, oncrpc.GssCred)
        if cred.gss_proc != oncrpc.RPCSEC_GSS_DATA:
            self.counts["RPCSEC_GSS context messages"] += 1
            return
        service = "privacy" if cred.service == oncrpc.RPC_GSS_SVC_PRIVACY else "integrity"
        peer.weird("rpc.gss_body_undecodable",
                   f"ONC RPC: RPCSEC_GSS {service} body of xid 0x{call.xid:08x} not decodable")

    # UDP (RFC 5531 over datagrams: one message per datagram, no record marks)

    def on_datagram(self, payload: memoryview, src: tuple[str, int], dst: tuple[str, int],
                    ipv6: bool, ts_ns: int, frame: Any = None) -> None:
        def peer_of(is_call: bool) -> tuple[Peer | None, Hashable]:
            client, server = (src, dst) if is_call else (dst, src)
            key = (client, server)
            if is_call:
                self._udp_servers.add(server)
            elif server not in self._udp_servers:
                return None, key  # not an RPC server we know: some other UDP traffic
            peer = self._udp_peers.get(key)
            if peer is None:
                thread = ("udp", client[0], client[1], server[0], server[1])
                peer = self._udp_peers[key] = Peer(from_rpc_flow(client[0], server[0], ipv6),
                                                   thread, self)
            return peer, key

        self.message(payload, peer_of, ts_ns, frame)


class _Ignored:
    """A program nobody translates: its replies are paired and dropped."""

    def on_call(self, call: RpcCall, peer: Peer, ts_ns: int) -> object | None:
        return None

    def on_reply(self, reply: RpcReply, pending: Any, ts_ns: int) -> None:
        return None


_IGNORED = _Ignored()


class RpcStreamApp:
    """ONC RPC over one TCP connection: the dissector's record framing
    (``RecordStream``) -> RPC messages -> the service."""

    min_header = oncrpc.RECORD_MARK_LEN

    def __init__(self, service: RpcService, client: tuple[str, int], server: tuple[str, int],
                 ipv6: bool, thread: Hashable, conn: Connection | None = None) -> None:
        self.service = service
        self.conn = conn
        self.framing = RecordStream(PROGRAMS)
        self.pdu_length = self.framing.pdu_length
        # A call travels client -> server; if the first call arrives the other way
        # (a capture that began mid-connection) the roles swap.
        self.peers = (Peer(from_rpc_flow(client[0], server[0], ipv6), thread, service),
                      Peer(from_rpc_flow(server[0], client[0], ipv6), thread, service))
        # The xid table key of each call direction, shared by every call (the
        # table forgets an answered xid once its duplicate window has passed).
        self.keys = ((thread, 0), (thread, 1))
        self._direction = 0  # of the PDU being decoded (for _peer_of)
        self._peer_of = self.peer_of  # bound once, not per PDU

    def peer_of(self, is_call: bool) -> tuple[Peer, Hashable]:
        """The Peer and xid table key of the message being decoded."""
        # Calls may travel both ways (callbacks): the xid table is per direction.
        call_direction = self._direction if is_call else 1 - self._direction
        return self.peers[call_direction], self.keys[call_direction]

    def on_pdu(self, pdu: memoryview, direction: int, ts_ns: int) -> None:
        record = self.framing.record(pdu, direction)
        if record is None:
            return
        self._direction = direction
        conn = self.conn
        self.service.message(record, self._peer_of, ts_ns, conn.frame if conn is not None else None)

    def on_gap(self, direction: int, size: int) -> None:
        self.framing.lost(direction)
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
    """A TCP flow on another port that opens with a record-marked call we decode."""
    return oncrpc.looks_like_record(payload, PROGRAMS)


def datagram_heuristic(payload: memoryview) -> bool:
    """A datagram that is a call we decode, or any RPC reply (kept only when
    its server was seen answering calls)."""
    return oncrpc.looks_like_call(payload, PROGRAMS) or oncrpc.looks_like_reply(payload)
