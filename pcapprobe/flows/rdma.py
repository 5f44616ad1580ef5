"""RDMA reliable connections: CM binds queue pairs, RC packets become messages.

IBTA Vol. 1 ch. 9 (RC transport) and ch. 12 (CM), for native InfiniBand
(link type 247, ERF InfiniBand records) and RoCE (v2: BTH over UDP 4791;
v1: GRH and BTH over Ethernet type 0x8915).  One ``RdmaLayer`` per run takes
every transport packet:

* CM MADs to QP1 (REQ, REP, REJ, RTU, DREQ) open, bind and close a
  ``Channel``: the requester's and the responder's QPs, starting PSNs, path
  MTU and GIDs, and the upper protocol the REQ's private data names
  (``flows/apps.RDMA_APPS``).
* RC request packets are sequenced per direction by PSN, as the responder
  does (§9.7.4): a repeated PSN is a retransmission and is dropped, a jump is
  loss; a SEND message is delivered only when its FIRST..LAST arrived
  without a hole, so a gap never produces a message.  An RDMA READ request
  takes as many PSNs as its response has packets (DMA length / path MTU).
* RDMA WRITE and READ requests, and their completion (the ACK covering the
  last WRITE packet, the last READ response packet), go to the upper
  protocol, which matches them to its commands by R_Key and address.

A connection whose CM exchange the capture missed is not decoded: nothing
tells which protocol its SENDs carry (counted in --stats).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from pcapprobe.dissectors import ibcm, infiniband
from pcapprobe.dissectors._reader import DissectError, Reader
from pcapprobe.dissectors.infiniband import Reth

if TYPE_CHECKING:
    from pcapprobe.capture.frame import Frame
    from pcapprobe.pipeline import RunContext

PSN_MASK = 0xFFFFFF
PSN_WINDOW = 1 << 23  # half the PSN space: ahead of the expected PSN, or behind (§9.7.4.1.1)
ROCE_V2_PORT = 4791
# BTH operations (§9.2 Table 38)
SEND_FIRST, SEND_MIDDLE, SEND_LAST, SEND_LAST_IMM = 0x00, 0x01, 0x02, 0x03
SEND_ONLY, SEND_ONLY_IMM, SEND_LAST_INV, SEND_ONLY_INV = 0x04, 0x05, 0x16, 0x17
WRITE_FIRST, WRITE_MIDDLE, WRITE_LAST, WRITE_LAST_IMM = 0x06, 0x07, 0x08, 0x09
WRITE_ONLY, WRITE_ONLY_IMM = 0x0A, 0x0B
READ_REQUEST, READ_RESPONSE_FIRST, READ_RESPONSE_MIDDLE = 0x0C, 0x0D, 0x0E
READ_RESPONSE_LAST, READ_RESPONSE_ONLY, ACKNOWLEDGE = 0x0F, 0x10, 0x11
_SEND_STARTS = frozenset((SEND_FIRST, SEND_ONLY, SEND_ONLY_IMM, SEND_ONLY_INV))
_SEND_ENDS = frozenset((SEND_LAST, SEND_LAST_IMM, SEND_LAST_INV, SEND_ONLY, SEND_ONLY_IMM,
                        SEND_ONLY_INV))
_SENDS = _SEND_STARTS | _SEND_ENDS | {SEND_MIDDLE}
_WRITE_STARTS = frozenset((WRITE_FIRST, WRITE_ONLY, WRITE_ONLY_IMM))
_WRITE_ENDS = frozenset((WRITE_LAST, WRITE_LAST_IMM, WRITE_ONLY, WRITE_ONLY_IMM))
_WRITES = _WRITE_STARTS | _WRITE_ENDS | {WRITE_MIDDLE}
_READ_RESPONSE_ENDS = frozenset((READ_RESPONSE_LAST, READ_RESPONSE_ONLY))
INITIATOR, TARGET = 0, 1  # a direction: who sends (the CM requester is the initiator)
MAX_CHANNELS = 4096  # channels remembered; the oldest closed ones go first


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


class Sequence:
    """The request PSNs of one direction, as the responder checks them."""

    __slots__ = ("expected", "message")

    def __init__(self, first_psn: int) -> None:
        self.expected: int | None = first_psn
        self.message: bytearray | None = None  # a SEND being reassembled

    def accept(self, psn: int, count: int = 1) -> int | None:
        """None for a retransmission (seen already), else the PSNs skipped
        before ``psn`` (0 in order); a gap drops a message in progress."""
        expected = self.expected
        ahead = 0
        if expected is not None:
            ahead = (psn - expected) & PSN_MASK
            if ahead >= PSN_WINDOW:
                return None
            if ahead:
                self.message = None
        self.expected = (psn + count) & PSN_MASK
        return ahead


class Channel:
    """One RC connection between an initiator's QP and a target's QP."""

    __slots__ = ("nodes", "qpns", "gids", "mtu", "sequences", "upper", "writes", "reads",
                 "closed")

    def __init__(self, req: ibcm.CmMessage, initiator: str, target: str) -> None:
        self.nodes = (initiator, target)
        self.qpns = [req.local_qpn, 0]
        self.gids = (gid_text(req.local_gid), gid_text(req.remote_gid))
        self.mtu = req.mtu or 4096
        self.sequences = [Sequence(req.starting_psn), Sequence(0)]
        self.upper: Upper | None = None
        # RDMA WRITEs awaiting their ACK: (last PSN, token); READs awaiting
        # their last response: (first PSN, packets, token)
        self.writes: list[tuple[int, object]] = []
        self.reads: list[tuple[int, int, object]] = []
        self.closed = False


class RdmaLayer:
    """Per run: the channels, found by the QP a packet is sent to."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.counts = ctx.report.layer("rdma")
        from pcapprobe.flows.apps import RDMA_APPS  # the registration list imports this module

        self.uppers = [(name, test, factory(ctx)) for name, test, factory in RDMA_APPS]
        self.listening = any(upper is not None for _, _, upper in self.uppers)
        self.pending: dict[tuple[str, int], Channel] = {}  # by (initiator, comm ID)
        self.by_qp: dict[tuple[str, int], tuple[Channel, int]] = {}

    @classmethod
    def of(cls, ctx: RunContext) -> RdmaLayer | None:
        """The run's layer when an upper protocol listens (kept in ``ctx.apps``)."""
        layer = ctx.apps.get("rdma")
        if layer is None:
            layer = ctx.apps["rdma"] = cls(ctx)
        return layer if layer.listening else None

    # transports ------------------------------------------------------------

    def on_datagram(self, payload: memoryview, src: tuple[str, int], dst: tuple[str, int],
                    ipv6: bool, ts_ns: int, frame: Frame) -> None:
        """RoCEv2: a BTH in a UDP datagram to port 4791 (the ICRC ends it)."""
        self._guarded(frame, payload, 0, len(payload) - infiniband.ICRC_LEN, src[0], dst[0], ts_ns)

    def on_ib_packet(self, frame: Frame, view: memoryview, pkt: infiniband.Packet) -> None:
        """Native InfiniBand: nodes are LIDs (a GID only routes between subnets)."""
        if pkt.transport is not None:
            self.on_transport(pkt.transport, view, pkt.payload, pkt.end, f"lid:{pkt.lrh.slid}",
                              f"lid:{pkt.lrh.dlid}", frame.ts_ns, frame)

    def on_roce_v1(self, frame: Frame, view: memoryview, off: int) -> None:
        """RoCEv1: a GRH (nodes are its GIDs) then the BTH, in Ethernet type 0x8915."""
        try:
            grh = infiniband.decode_grh(Reader(view, off))
        except DissectError as exc:
            self.ctx.report.weird(exc.weird, frame, f"RoCE: {exc}")
            return
        self._guarded(frame, view, off + infiniband.GRH_LEN, len(view) - infiniband.ICRC_LEN,
                      gid_text(grh.sgid), gid_text(grh.dgid), frame.ts_ns)

    def _guarded(self, frame: Frame, view: memoryview, off: int, end: int, src: str, dst: str,
                 ts_ns: int) -> None:
        try:
            transport, payload = infiniband.decode_transport(view, off)
        except DissectError as exc:
            self.ctx.report.weird(exc.weird, frame, f"RoCE: {exc}")
            return
        end = max(payload, end - transport.bth.pad_cnt)
        self.on_transport(transport, view, payload, end, src, dst, ts_ns, frame)

    # the RC layer ------------------------------------------------------------

    def on_transport(self, t: infiniband.Transport, view: memoryview, payload: int, end: int,
                     src: str, dst: str, ts_ns: int, frame: Any) -> None:
        bth = t.bth
        if bth.dest_qp == infiniband.IB_QP1:
            if ibcm.is_cm(view, payload):
                self._cm(view, payload, src, dst, ts_ns, frame)
            return
        if bth.transport != infiniband.IB_TRANSPORT_RC:
            return
        found = self.by_qp.get((dst, bth.dest_qp))
        if found is None:
            self.counts["RC packets of connections not seen being set up"] += 1
            return
        channel, receiver = found
        sender = 1 - receiver
        op = bth.operation
        if op == ACKNOWLEDGE:
            self._acked(channel, t, ts_ns)
        elif op in _READ_RESPONSE_ENDS:
            self._read_done(channel, bth.psn, ts_ns)
        elif op in _SENDS:
            self._send(channel, sender, op, bth.psn, bytes(view[payload:end]), ts_ns)
        elif op in _WRITES:
            self._write(channel, sender, op, t, ts_ns)
        elif op == READ_REQUEST and t.reth is not None:
            self._read(channel, sender, t, ts_ns)

    def _in_sequence(self, seq: Sequence, psn: int, count: int = 1) -> bool:
        """Whether a request packet is new (retransmissions and gaps counted)."""
        skipped = seq.accept(psn, count)
        if skipped is None:
            self.counts["RC packets retransmitted"] += 1
            return False
        if skipped:
            self.counts["RC PSN gaps (packets lost)"] += 1
        return True

    def _send(self, channel: Channel, sender: int, op: int, psn: int, data: bytes,
              ts_ns: int) -> None:
        seq = channel.sequences[sender]
        if not self._in_sequence(seq, psn):
            return
        if op in _SEND_STARTS:
            seq.message = bytearray()
        if seq.message is None:
            self.counts["RC SEND packets after a gap (dropped)"] += 1
            return
        seq.message += data
        if op in _SEND_ENDS:
            message, seq.message = bytes(seq.message), None
            if channel.upper is not None:
                channel.upper.on_message(channel, sender, message, ts_ns)

    def _write(self, channel: Channel, sender: int, op: int, t: infiniband.Transport,
               ts_ns: int) -> None:
        if not self._in_sequence(channel.sequences[sender], t.bth.psn):
            return
        if op in _WRITE_STARTS and t.reth is not None and channel.upper is not None:
            token = channel.upper.on_rdma(channel, sender, False, t.reth, ts_ns)
            if token is not None:
                packets = max(1, -(-t.reth.dma_len // channel.mtu))
                channel.writes.append(((t.bth.psn + packets - 1) & PSN_MASK, token))

    def _read(self, channel: Channel, sender: int, t: infiniband.Transport, ts_ns: int) -> None:
        reth = t.reth
        assert reth is not None
        packets = max(1, -(-reth.dma_len // channel.mtu))
        if not self._in_sequence(channel.sequences[sender], t.bth.psn, packets):
            return
        if channel.upper is not None:
            token = channel.upper.on_rdma(channel, sender, True, reth, ts_ns)
            if token is not None:
                channel.reads.append((t.bth.psn, packets, token))

    def _acked(self, channel: Channel, t: infiniband.Transport, ts_ns: int) -> None:
        """An ACK (AETH syndrome 0b000xxxxx, §9.7.5.1) completes every WRITE up to its PSN."""
        if t.aeth is None or t.aeth.syndrome >> 5 or not channel.writes:
            return
        acked = t.bth.psn
        done = [w for w in channel.writes if (acked - w[0]) & PSN_MASK < PSN_WINDOW]
        if done and channel.upper is not None:
            channel.writes = [w for w in channel.writes if w not in done]
            for _, token in done:
                channel.upper.on_rdma_done(channel, token, ts_ns)

    def _read_done(self, channel: Channel, psn: int, ts_ns: int) -> None:
        for i, (first, packets, token) in enumerate(channel.reads):
            if (psn - first) & PSN_MASK < packets:
                del channel.reads[i]
                if channel.upper is not None:
                    channel.upper.on_rdma_done(channel, token, ts_ns)
                return

    # connection management ------------------------------------------------------

    def _cm(self, view: memoryview, off: int, src: str, dst: str, ts_ns: int, frame: Any) -> None:
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
            found = self.by_qp.get((dst, msg.remote_qpn))
            if found is not None and not found[0].closed:
                channel, receiver = found
                channel.closed = True
                if channel.upper is not None:
                    channel.upper.on_disconnect(channel, 1 - receiver, ts_ns)

    def _request(self, req: ibcm.CmMessage, src: str, dst: str, ts_ns: int) -> None:
        if (src, req.local_comm_id) in self.pending:
            return  # a retried REQ
        for name, test, upper in self.uppers:
            if upper is not None and test(req):
                channel = Channel(req, src, dst)
                channel.upper = upper
                self._forget_old()
                self.pending[(src, req.local_comm_id)] = channel
                self.counts[f"connections: {name}"] += 1
                upper.on_connect(channel, req, ts_ns)
                return

    def _reply(self, channel: Channel, rep: ibcm.CmMessage, ts_ns: int) -> None:
        if channel.qpns[TARGET]:
            return  # a repeated REP
        channel.qpns[TARGET] = rep.local_qpn
        channel.sequences[TARGET] = Sequence(rep.starting_psn)
        initiator, target = channel.nodes
        self.by_qp[(target, rep.local_qpn)] = (channel, TARGET)
        self.by_qp[(initiator, channel.qpns[INITIATOR])] = (channel, INITIATOR)
        if channel.upper is not None:
            channel.upper.on_accept(channel, rep, ts_ns)

    def _forget_old(self) -> None:
        """Bound the tables: the oldest pending REQs and closed channels go."""
        if len(self.pending) >= MAX_CHANNELS:
            del self.pending[next(iter(self.pending))]
        if len(self.by_qp) >= 2 * MAX_CHANNELS:
            for key in [k for k, (ch, _) in self.by_qp.items() if ch.closed]:
                del self.by_qp[key]
            while len(self.by_qp) >= 2 * MAX_CHANNELS:
                del self.by_qp[next(iter(self.by_qp))]


def roce_app(ctx: RunContext) -> RdmaLayer | None:
    """DatagramBinding factory of RoCEv2 (UDP 4791)."""
    return RdmaLayer.of(ctx)
