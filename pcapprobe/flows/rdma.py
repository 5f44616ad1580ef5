"""RDMA reliable connections: CM binds queue pairs, RC packets become messages.

IBTA Vol. 1 ch. 9 (RC transport) and ch. 12 (CM), for native InfiniBand
(link type 247, ERF InfiniBand records) and RoCE (v2: BTH over UDP 4791;
v1: GRH and BTH over Ethernet type 0x8915).  One ``RdmaLayer`` per run takes
every transport packet:

* CM MADs to QP1 (REQ, REP, REJ, RTU, DREQ) open, bind and close a
  ``Channel``: the requester's and the responder's QPs, starting PSNs, path
  MTU and GIDs, and the upper protocol the REQ's private data names
  (``flows/apps.RDMA_APPS``).
* Every other RC packet goes to the C RC transport (pcapprobe/cext/rdma.c,
  ``RcTransport``), the one place of its rules: PSN sequencing per direction
  (retransmissions dropped, a gap never produces a message), SEND message
  reassembly, and RDMA WRITE and READ requests and their completion, which it
  hands to the channel's upper protocol.  The record scanner gives it whole
  RoCE records directly; the packets the Python layers decode (native
  InfiniBand, ERF, what the scanner leaves) come through ``on_transport``.

A connection whose CM exchange the capture missed is not decoded: nothing
tells which protocol its SENDs carry (counted in --stats).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from pcapprobe._fastpath import RcTransport
from pcapprobe.dissectors import ibcm, infiniband
from pcapprobe.dissectors._reader import DissectError, Reader
from pcapprobe.dissectors.infiniband import Reth

if TYPE_CHECKING:
    from pcapprobe.capture.frame import Frame
    from pcapprobe.pipeline import RunContext

ROCE_V2_PORT = 4791
ROCE_APP = "roce"  # the datagram binding's name (its --stats count)
INITIATOR, TARGET = 0, 1  # a direction: who sends (the CM requester is the initiator)
MAX_CHANNELS = 4096  # pending connection requests remembered (RcTransport bounds the rest)


class Upper(Protocol):
    """What an upper protocol (SRP, iSER) gets from its channel."""

    def on_connect(self, channel: Channel, req: ibcm.CmMessage, ts_ns: int) -> None: ...
    def on_accept(self, channel: Channel, rep: ibcm.CmMessage, ts_ns: int) -> None: ...
    def on_reject(self, channel: Channel, rej: ibcm.CmMessage, ts_ns: int) -> None: ...
    def on_message(self, channel: Channel, sender: int, data: bytes, ts_ns: int) -> None: ...
    def on_rdma(self, channel: Channel, sender: int, read: bool, reth: Reth,
                ts_ns: int) -> object | None: ...
    def on_rdma_done(self, channel: Channel, token: object, ts_ns: int) -> None: ...
    def on_disconnect(self, channel: Channel, sender: int, ts_ns: int) -> None: ...


UpperBinding = tuple[str, Callable[[ibcm.CmMessage], bool], Callable[["RunContext"], Upper | None]]


def gid_text(gid: bytes) -> str:
    """A GID as Solaris's srpt prints it: two 64-bit halves in hex."""
    return f"{gid[:8].hex()}:{gid[8:].hex()}" if len(gid) == 16 else "<unknown>"


def node_key(kind: bytes, address: bytes) -> bytes:
    """What RcTransport finds a channel's end by: b"I" and an IP address (RoCEv2),
    b"G" and a GID (RoCEv1), b"L" and a LID (native InfiniBand)."""
    return kind + address


def _ip_node(address: str, ipv6: bool) -> bytes:
    return node_key(b"I", socket.inet_pton(socket.AF_INET6 if ipv6 else socket.AF_INET, address))


class Channel:
    """One RC connection between an initiator's QP and a target's QP."""

    __slots__ = ("nodes", "qpns", "gids", "mtu", "starting_psn", "upper", "closed")

    def __init__(self, req: ibcm.CmMessage, initiator: bytes, target: bytes) -> None:
        self.nodes = (initiator, target)
        self.qpns = [req.local_qpn, 0]
        self.gids = (gid_text(req.local_gid), gid_text(req.remote_gid))
        self.mtu = req.mtu or 4096
        self.starting_psn = req.starting_psn  # the initiator's first request PSN
        self.upper: Upper | None = None
        self.closed = False


class RdmaLayer:
    """Per run: the channels being set up, and the RC transport of the bound ones."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.counts = ctx.report.layer("rdma")
        from pcapprobe.flows.apps import DATAGRAM_APPS, RDMA_APPS  # they import this module

        self.uppers = [(name, test, factory(ctx)) for name, test, factory in RDMA_APPS]
        self.listening = any(upper is not None for _, _, upper in self.uppers)
        self.pending: dict[tuple[bytes, int], Channel] = {}  # by (initiator, comm ID)
        self.rc = RcTransport(Reth, infiniband.rc_header_lengths(), ROCE_V2_PORT,
                              _ports_before(DATAGRAM_APPS))

    @classmethod
    def of(cls, ctx: RunContext) -> RdmaLayer | None:
        """The run's layer when an upper protocol listens (kept in ``ctx.apps``)."""
        layer = ctx.apps.get("rdma")
        if layer is None:
            layer = ctx.apps["rdma"] = cls(ctx)
        return layer if layer.listening else None

    def finish(self) -> None:
        """The RC transport's counts go to --stats; the RoCEv2 datagrams the
        scanner gave it straight are the UDP layer's too."""
        for name, n in self.rc.counts().items():
            self.counts[name] += n
        if self.rc.datagrams:
            udp = self.ctx.report.layer("udp")
            udp["decoded"] += self.rc.datagrams
            udp[f"datagrams: {ROCE_APP}"] += self.rc.datagrams

    # transports ------------------------------------------------------------

    def on_datagram(self, payload: memoryview, src: tuple[str, int], dst: tuple[str, int],
                    ipv6: bool, ts_ns: int, frame: Frame) -> None:
        """RoCEv2: a BTH in a UDP datagram to port 4791 (the ICRC ends it)."""
        self._guarded(frame, payload, 0, len(payload) - infiniband.ICRC_LEN,
                      _ip_node(src[0], ipv6), _ip_node(dst[0], ipv6), ts_ns)

    def on_ib_packet(self, frame: Frame, view: memoryview, pkt: infiniband.Packet) -> None:
        """Native InfiniBand: nodes are LIDs (a GID only routes between subnets)."""
        if pkt.transport is not None:
            self.on_transport(pkt.transport, view, pkt.payload, pkt.end,
                              node_key(b"L", pkt.lrh.slid.to_bytes(2, "big")),
                              node_key(b"L", pkt.lrh.dlid.to_bytes(2, "big")), frame.ts_ns, frame)

    def on_roce_v1(self, frame: Frame, view: memoryview, off: int) -> None:
        """RoCEv1: a GRH (nodes are its GIDs) then the BTH, in Ethernet type 0x8915."""
        try:
            grh = infiniband.decode_grh(Reader(view, off))
        except DissectError as exc:
            self.ctx.report.weird(exc.weird, frame, f"RoCE: {exc}")
            return
        self._guarded(frame, view, off + infiniband.GRH_LEN, len(view) - infiniband.ICRC_LEN,
                      node_key(b"G", grh.sgid), node_key(b"G", grh.dgid), frame.ts_ns)

    def _guarded(self, frame: Frame, view: memoryview, off: int, end: int, src: bytes, dst: bytes,
                 ts_ns: int) -> None:
        try:
            transport, payload = infiniband.decode_transport(view, off)
        except DissectError as exc:
            self.ctx.report.weird(exc.weird, frame, f"RoCE: {exc}")
            return
        end = max(payload, end - transport.bth.pad_cnt)
        self.on_transport(transport, view, payload, end, src, dst, ts_ns, frame)

    def on_transport(self, t: infiniband.Transport, view: memoryview, payload: int, end: int,
                     src: bytes, dst: bytes, ts_ns: int, frame: Any) -> None:
        bth = t.bth
        if bth.dest_qp == infiniband.IB_QP1:
            if ibcm.is_cm(view, payload):
                self._cm(view, payload, src, dst, ts_ns, frame)
        elif bth.transport == infiniband.IB_TRANSPORT_RC:
            self.rc.packet(dst, bth.dest_qp, bth.opcode, bth.psn, view[payload:end], t.reth,
                           -1 if t.aeth is None else t.aeth.syndrome, ts_ns)

    # connection management ------------------------------------------------------

    def _cm(self, view: memoryview, off: int, src: bytes, dst: bytes, ts_ns: int,
            frame: Any) -> None:
        try:
            msg = ibcm.decode(view, off)
        except DissectError as exc:
            self.ctx.report.weird(exc.weird, frame, f"IB CM: {exc}")
            return
        self.counts[f"CM {msg.name}"] += 1
        if msg.attribute == ibcm.CM_REQ:
            self._request(msg, src, dst, ts_ns)
        elif msg.attribute in (ibcm.CM_REP, ibcm.CM_REJ):
            # the responder names the requester's communication ID as remote
            channel = self.pending.get((dst, msg.remote_comm_id))
            if channel is None:
                return
            if msg.attribute == ibcm.CM_REJ:
                del self.pending[(dst, msg.remote_comm_id)]
                if channel.upper is not None:
                    channel.upper.on_reject(channel, msg, ts_ns)
                return
            self._reply(channel, msg, ts_ns)
        elif msg.attribute == ibcm.CM_DREQ:
            found = self.rc.find(dst, msg.remote_qpn)
            if found is not None and not found[0].closed:
                channel, receiver = found
                channel.closed = True
                if channel.upper is not None:
                    channel.upper.on_disconnect(channel, 1 - receiver, ts_ns)

    def _request(self, req: ibcm.CmMessage, src: bytes, dst: bytes, ts_ns: int) -> None:
        if (src, req.local_comm_id) in self.pending:
            return  # a retried REQ
        for name, test, upper in self.uppers:
            if upper is not None and test(req):
                channel = Channel(req, src, dst)
                channel.upper = upper
                if len(self.pending) >= MAX_CHANNELS:  # the oldest goes
                    del self.pending[next(iter(self.pending))]
                self.pending[(src, req.local_comm_id)] = channel
                self.counts[f"connections: {name}"] += 1
                upper.on_connect(channel, req, ts_ns)
                return

    def _reply(self, channel: Channel, rep: ibcm.CmMessage, ts_ns: int) -> None:
        if channel.qpns[TARGET]:
            return  # a repeated REP
        channel.qpns[TARGET] = rep.local_qpn
        initiator, target = channel.nodes
        self.rc.bind(channel, initiator, channel.qpns[INITIATOR], channel.starting_psn, target,
                     rep.local_qpn, rep.starting_psn, channel.mtu)
        if channel.upper is not None:
            channel.upper.on_accept(channel, rep, ts_ns)


def _ports_before(bindings: list[Any]) -> tuple[int, ...]:
    """The UDP ports of the datagram bindings matched before RoCEv2's: a
    datagram from one of them is theirs (apps.datagram_binding)."""
    ports: list[int] = []
    for binding in bindings:
        if binding.name == ROCE_APP:
            break
        ports += binding.ports
    return tuple(ports)


def roce_app(ctx: RunContext) -> RdmaLayer | None:
    """DatagramBinding factory of RoCEv2 (UDP 4791)."""
    return RdmaLayer.of(ctx)
