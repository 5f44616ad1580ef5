"""iSER (RFC 7145): the iscsi provider's PDUs and transfers over an RDMA connection.

An iSER connection is an RC channel (flows/rdma.py) set up by RDMA CM: a CM
REQ whose service ID is in RDMA CM's TCP port space (IBTA Annex A11:
0x0000000001060000 | port) for the iSCSI port, with the IP addressing header
(A11.6) first in its private data.  Each SEND carries the 28-byte iSER header
(RFC 7145 §9.2) and one iSCSI control PDU, which the iscsi provider decodes
and fires exactly as over TCP (``IscsiApp``), with ``ii_transport`` "iser"
and the connection's IP addresses from the CM header.  Data moves by RDMA,
not by Data-In/Data-Out/R2T PDUs, so data-send, data-receive and
data-request never fire (the guide: they cannot be used with iSER); instead
xfer-start fires at each RDMA WRITE (Data-In, xfer_type 0) or RDMA READ
request (Data-Out, xfer_type 1) into the buffers the command's iSER header
advertised (its Read/Write STag and base offset), and xfer-done at its
completion, with the RDMA members of xferinfo_t from the RETH: xfer_raddr,
xfer_rkey (the STag), xfer_roffset (from the advertised base), xfer_len.
The target's local buffer (xfer_laddr, xfer_lkey) is not on the wire: 0.
"""

from __future__ import annotations

import ipaddress
import struct
from typing import TYPE_CHECKING

from pcapprobe.dissectors import ibcm, iscsi
from pcapprobe.dissectors._reader import DissectError, Truncated
from pcapprobe.dissectors.infiniband import Reth
from pcapprobe.flows.rdma import TARGET, Channel
from pcapprobe.probes.translators import iscsi as iscsi_translator
from pcapprobe.probes.translators.iscsi import (
    XFER_READ,
    XFER_WRITE,
    ConnectionInfo,
    IscsiApp,
    IscsiProvider,
    PduInfo,
    XferInfo,
)

if TYPE_CHECKING:
    from pcapprobe.pipeline import RunContext

TRANSPORT = "iser"
IP_CM_HEADER_LEN = 36  # A11.6: versions, IP version, source port, source/destination IP
ISER_HEADER_LEN = 28  # RFC 7145 §9.2
ISER_ISCSI_CTRL = 0x1  # opcode (flags bits 7-4): an iSCSI control-type PDU follows
ISER_WSV, ISER_RSV = 0x08, 0x04  # Write / Read STag valid
_HEADER = struct.Struct(">B3xIQIQ")
# PDUs whose data moves by RDMA under iSER: no probe of theirs fires
_DATA_OPCODES = frozenset({iscsi.ISCSI_OP_DATA_IN, iscsi.ISCSI_OP_DATA_OUT, iscsi.ISCSI_OP_R2T})


class IserPduInfo(PduInfo):
    __slots__ = ()
    ii_transport = TRANSPORT


class IserConnectionInfo(ConnectionInfo):
    __slots__ = ()
    ii_transport = TRANSPORT


class RdmaXferInfo(XferInfo):
    """xferinfo_t of one RDMA operation of an iSER task."""

    __slots__ = ("xfer_raddr", "xfer_roffset", "xfer_rkey")

    xfer_laddr = 0  # the target's own buffer: not on the wire

    def __init__(self, offset: int, length: int, xfer_type: int, raddr: int = 0,
                 roffset: int = 0, rkey: int = 0) -> None:
        super().__init__(offset, length, xfer_type)
        self.xfer_raddr = raddr
        self.xfer_roffset = roffset
        self.xfer_rkey = rkey


def iser_service(req: ibcm.CmMessage) -> bool:
    """RDMA CM to the iSCSI port: an iSER connection (RFC 7145 §5.1)."""
    return (ibcm.rdma_cm_port(req.service_id) == (ibcm.RDMA_PS_TCP, iscsi.ISCSI_PORT)
            and len(req.private_data) >= IP_CM_HEADER_LEN)


def ip_cm_addresses(private: bytes) -> tuple[str, str, bool]:
    """(source, destination, IPv6) of the RDMA CM IP addressing header (A11.6)."""
    ipv6 = private[1] >> 4 == 6
    if ipv6:
        src, dst = private[4:20], private[20:36]
    else:  # IPv4 in the last 4 bytes of each 16-byte field
        src, dst = private[16:20], private[32:36]
    return str(ipaddress.ip_address(src)), str(ipaddress.ip_address(dst)), ipv6


class IserApp(IscsiApp):
    """The iSCSI side of one iSER connection."""

    pdu_class = IserPduInfo

    def __init__(self, provider: IscsiProvider, initiator: str, target: str,
                 ipv6: bool) -> None:
        super().__init__(provider, initiator, target, ipv6)
        self.fire = tuple(None if opcode in _DATA_OPCODES else fire
                          for opcode, fire in enumerate(provider.fire))
        self.xfers = False  # no Data-In/Data-Out bursts: the RDMA operations are the transfers
        # STag -> (ITT, base offset, xfer_type) of the buffers commands advertise
        self.buffers: dict[int, tuple[int, int, int]] = {}
        self.moved: dict[int, int] = {}  # bytes moved per ITT

    def on_send(self, data: bytes, sender: int, ts_ns: int) -> None:
        """One SEND: the iSER header, then an iSCSI PDU."""
        if len(data) < ISER_HEADER_LEN:
            self._weird("iser.truncated", str(Truncated(ISER_HEADER_LEN, len(data), "iSER header")))
            return
        flags, wstag, wbase, rstag, rbase = _HEADER.unpack_from(data)
        if flags >> 4 != ISER_ISCSI_CTRL:
            return  # iSER Hello/HelloReply: no iSCSI PDU
        view = memoryview(data)[ISER_HEADER_LEN:]
        if len(view) >= iscsi.BHS_LEN and view[0] & 0x3F == iscsi.ISCSI_OP_SCSI_CMD:
            itt = struct.unpack_from(">I", view, 16)[0]
            if flags & ISER_RSV:
                self.buffers[rstag] = (itt, rbase, XFER_READ)
            if flags & ISER_WSV:
                self.buffers[wstag] = (itt, wbase, XFER_WRITE)
            self.moved[itt] = 0
        self.on_pdu(view, sender, ts_ns)

    def on_rdma(self, read: bool, reth: Reth, ts_ns: int) -> object | None:
        found = self.buffers.get(reth.r_key)
        if found is None:
            return None
        itt, base, xfer_type = found
        if xfer_type != (XFER_WRITE if read else XFER_READ):
            return None
        moved = self.moved.get(itt, 0)
        self.moved[itt] = moved + reth.dma_len
        xfer = RdmaXferInfo(moved, reth.dma_len, xfer_type, reth.va, reth.va - base, reth.r_key)
        args = (self.conninfo, IserConnectionInfo(self.state.session), xfer)
        fire = self.provider.xfer_start
        if fire is not None:
            fire(ts_ns, args, self.state.session)
        return args

    def on_rdma_done(self, token: object, ts_ns: int) -> None:
        fire = self.provider.xfer_done
        if fire is not None:
            fire(ts_ns, token, self.state.session)  # type: ignore[arg-type]


class IserUpper:
    """rdma.Upper: iSER connections, each an IserApp of the run's iscsi provider."""

    def __init__(self, ctx: RunContext) -> None:
        self.provider = iscsi_translator.provider_of(ctx)
        self.listening = self.provider.listening
        self.apps: dict[Channel, IserApp] = {}
        self.report = ctx.report

    def on_connect(self, channel: Channel, req: ibcm.CmMessage, ts_ns: int) -> None:
        initiator, target, ipv6 = ip_cm_addresses(req.private_data)
        self.apps[channel] = IserApp(self.provider, initiator, target, ipv6)

    def on_accept(self, channel: Channel, rep: ibcm.CmMessage, ts_ns: int) -> None:
        pass  # the login happens in SENDs

    def on_reject(self, channel: Channel, rej: ibcm.CmMessage, ts_ns: int) -> None:
        self.apps.pop(channel, None)

    def on_message(self, channel: Channel, sender: int, data: bytes, ts_ns: int) -> None:
        app = self.apps.get(channel)
        if app is not None:
            try:
                app.on_send(data, sender, ts_ns)
            except DissectError as exc:
                self.report.weird(exc.weird, None, f"iSER: {exc}")

    def on_rdma(self, channel: Channel, sender: int, read: bool, reth: Reth,
                ts_ns: int) -> object | None:
        app = self.apps.get(channel)
        if app is None or sender != TARGET:
            return None
        token = app.on_rdma(read, reth, ts_ns)
        return None if token is None else (app, token)

    def on_rdma_done(self, channel: Channel, token: object, ts_ns: int) -> None:
        app, args = token  # type: ignore[misc]
        app.on_rdma_done(args, ts_ns)

    def on_disconnect(self, channel: Channel, sender: int, ts_ns: int) -> None:
        self.apps.pop(channel, None)


def factory(ctx: RunContext) -> IserUpper | None:
    """flows/apps.RDMA_APPS factory: iSER when an iscsi probe is enabled."""
    upper = IserUpper(ctx)
    return upper if upper.listening else None

