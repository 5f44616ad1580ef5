"""fc provider firings from FC-2 frames, from the COMSTAR target port's side.

Every transport (FCoE, FIP, FCIP, the FC link types; ``pcapprobe/fclinks.py``)
hands ``FcProvider.on_frame`` one FC-2 frame.  The provider keeps what the
frames teach about each N_Port (``Port``: names from FLOGI/FDISC/PLOGI/ADISC
and their LS_ACC, symbolic names from the name server, the hard address from
ADISC), the open exchanges by (originator S_ID, D_ID, OX_ID) with the RX_ID
learned from the responder, and reassembles multi-frame control sequences.

Which port is local (the COMSTAR target port): ``--local WWPN|FC_ID``; ``all``
(every N_Port); ``auto``, the default: the ports FCP_CMNDs are sent to, and
the ports whose PRLI (or its LS_ACC) declares the FCP target function, among
the first 10,000 FC frames or 5 s of capture time (those frames are held back,
then replayed), and any port an FCP_CMND reaches later.

Wire events -> probes (args[3] of rport probes: 1 when the local port sent the ELS):
  fabric-login-start / -end   FLOGI or FDISC from a local port / its LS_ACC or LS_RJT
  rport-login-start / -end    PLOGI to or from a local port / its LS_ACC or LS_RJT
  rport-logout-start / -end   LOGO to or from a local port / its LS_ACC or LS_RJT
  scsi-command / -response    FCP_CMND to a local port / its FCP_RSP
  xfer-start / xfer-done      one FCP data sequence: reads at its first FCP_DATA,
                              writes at the FCP_XFER_RDY that asks for it (or the
                              first FCP_DATA without one); done at the frame
                              with End_Sequence
  rscn-receive                RSCN to a local port, once per affected-port page
  abts-receive                ABTS from a remote port to a local port
  link-up / link-down         FIP (fclinks.py): the LS_ACC of a FLOGI/FDISC over
                              FIP / Clear Virtual Links naming the port, a LOGO
                              over FIP, or 2.5 advertisement periods without
                              an advertisement from the port's FCF
PRLI and PRLO fire nothing: COMSTAR's fct_process_prli/prlo have no probe
(illumos fct/discovery.c; README "fc: which port is local").
A reply whose request was not captured fires nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import TYPE_CHECKING

from pcapprobe.dissectors import fc, fcct, fcels, fcip, fcoe, fcp, scsi
from pcapprobe.dissectors._reader import DissectError
from pcapprobe.dissectors.fc import FcFrame, SequenceBuffer, is_well_known
from pcapprobe.flows.budget import IDLE, Age
from pcapprobe.probes.translators import io as io_translator
from pcapprobe.probes.translators.conninfo import ConnInfo, from_fc_ports

if TYPE_CHECKING:
    from pcapprobe.capture.frame import Frame
    from pcapprobe.flows.connection import Connection
    from pcapprobe.pipeline import RunContext

Fire = Callable[[int, tuple, Hashable], None]

PROVIDER = "fc"
UNKNOWN = "<unknown>"
# sys/stmf.h db_flags: the direction of a data buffer, from the target's side
DB_DIRECTION_TO_RPORT = 0x0001  # read data, to the initiator
DB_DIRECTION_FROM_RPORT = 0x0002  # write data, from the initiator

# What an open exchange costs (bytes): the Exchange, its FCP task and firing
# arguments, its table slot: peak RSS grows 770 bytes an exchange on
# fixtures/gen/hostile.py's 'fcp' kind.  The open exchanges are charged to
# the run's state budget, the longest open evicted first.
EXCHANGE_COST = 770
MAX_PORTS = 65536
AUTO_MAX_FRAMES = 10_000  # --local auto: the FC frames held back while choosing
AUTO_MAX_NS = 5_000_000_000

_FCP_DATA = fc.R_CTL_SOL_DATA
_FCP_XFER_RDY = fc.R_CTL_DATA_DESCRIPTOR
_FCP_CMND = fc.R_CTL_UNSOL_COMMAND
_FCP_RSP = fc.R_CTL_COMMAND_STATUS
_IU_NAMES = {_FCP_DATA: "FCP_DATA", _FCP_XFER_RDY: "FCP_XFER_RDY", _FCP_CMND: "FCP_CMND",
             _FCP_RSP: "FCP_RSP"}


class Port:
    """What the frames have shown about one N_Port (by its FC_ID)."""

    __slots__ = ("fc_id", "wwpn", "wwnn", "sym_node_name", "sym_port_name", "hard_address",
                 "info")

    def __init__(self, fc_id: int) -> None:
        self.fc_id = fc_id
        self.wwpn: str | None = None
        self.wwnn: str | None = None
        self.sym_node_name: str | None = None
        self.sym_port_name: str | None = None
        self.hard_address: int | None = None  # from ADISC
        self.info = PortInfo(self)


class PortInfo:
    """fc_port_info_t of a port, read from what is known when a clause reads it
    (illumos ``fc.d``: a remote port's hard address is its port id)."""

    __slots__ = ("port",)

    def __init__(self, port: Port) -> None:
        self.port = port

    @property
    def fcp_node_wwn(self) -> str:
        return self.port.wwnn or UNKNOWN

    @property
    def fcp_sym_node_name(self) -> str:
        return self.port.sym_node_name or UNKNOWN

    @property
    def fcp_sym_port_name(self) -> str:
        return self.port.sym_port_name or UNKNOWN

    @property
    def fcp_port_hard_address(self) -> int:
        hard = self.port.hard_address
        return hard if hard else self.port.fc_id


class ScsiCmd:
    """scsicmd_t of an FCP task: the CDB field (16 bytes + the additional CDB).
    ``wire`` holds the FCP facts no D struct has, for ``pcapprobe events``."""

    __slots__ = ("ic_cdb", "task", "exchange")

    def __init__(self, task: fcp.Task, exchange: Exchange) -> None:
        self.ic_cdb = task.cdb
        self.task = task
        self.exchange = exchange

    @property
    def ic_len(self) -> int:
        return len(self.ic_cdb)

    def wire(self) -> dict[str, object]:
        task, exchange = self.task, self.exchange
        facts: dict[str, object] = {
            "initiator": fc.fc_id_text(exchange.originator.fc_id),
            "target": fc.fc_id_text(exchange.responder.fc_id),
            "ox_id": task.ox_id, "rx_id": task.rx_id, "lun": task.lun,
            "fcp_dl": task.expected_len, "opcode": task.cdb[0] if task.cdb else None,
        }
        if task.status is not None:
            facts.update(status=task.status, residual=task.residual)
        return facts


class XferInfo:
    """fc_xferinfo_t of one data sequence."""

    __slots__ = ("fcx_offset", "fcx_len", "fcx_flags")

    def __init__(self, offset: int, length: int, flags: int) -> None:
        self.fcx_offset = offset
        self.fcx_len = length
        self.fcx_flags = flags


class _Burst(XferInfo):
    """A data sequence in progress: its xfer-start's fc_xferinfo_t and the
    bytes carried so far (what its xfer-done reports)."""

    __slots__ = ("carried",)

    def __init__(self, offset: int, length: int, flags: int) -> None:
        self.fcx_offset = offset
        self.fcx_len = length
        self.fcx_flags = flags
        self.carried = 0


class Exchange:
    """One open exchange: its kind (by the first frame's TYPE), what its
    request said, and the sequence being reassembled."""

    __slots__ = ("key", "originator", "responder", "opcode", "request", "task", "sequence",
                 "local", "task_args", "opened")

    def __init__(self, key: int, originator: Port, responder: Port, opened: int = 0) -> None:
        self.key = key
        self.opened = opened  # capture time of its first frame: its age in the budget
        self.originator = originator
        self.responder = responder
        self.opcode = 0  # ELS command code or CT command code
        self.request: object = None  # decoded request facts
        self.task: fcp.Task | None = None
        self.sequence: SequenceBuffer | None = None
        self.local: tuple[Port, ...] = ()  # the local ports whose start probe fired
        # the nexus and scsicmd_t of the FCP task's firings, made at its first firing
        self.task_args: tuple[Nexus, ScsiCmd] | None = None


class Nexus:
    """A local/remote port pair: its conninfo_t (rebuilt when a name is
    learned) and its D thread, the I_T nexus."""

    __slots__ = ("local", "remote", "names", "conninfo", "thread")

    def __init__(self, local: Port, remote: Port | None) -> None:
        self.local = local
        self.remote = remote
        self.names: tuple[str | None, str | None] | None = None
        self.conninfo: ConnInfo | None = None
        self.thread = ("fc", remote.fc_id if remote is not None else None, local.fc_id)

    def conn(self) -> ConnInfo:
        remote = self.remote
        names = (self.local.wwpn, remote.wwpn if remote is not None else None)
        if names != self.names or self.conninfo is None:
            self.names = names
            self.conninfo = from_fc_ports(names[0] or UNKNOWN, names[1] or UNKNOWN)
        return self.conninfo


def _key(originator: int, responder: int, ox_id: int) -> int:
    return (originator << 40) | (responder << 16) | ox_id


class LocalPorts:
    """--local for FC: explicit WWPNs / FC_IDs, ``all``, or the auto choice."""

    def __init__(self, addresses: Iterable[str], all_ports: bool) -> None:
        self.all = all_ports
        self.wwpns: set[str] = set()
        self.ids: set[int] = set()
        for addr in addresses:
            if len(addr) == 16:
                self.wwpns.add(addr)
            elif len(addr) == 8 and addr.count(".") == 2:
                self.ids.add(int(addr.replace(".", ""), 16))
        self.auto = not all_ports and not self.wwpns and not self.ids

    def is_local(self, port: Port) -> bool:
        if self.all:
            return not is_well_known(port.fc_id) and port.fc_id != 0
        return port.fc_id in self.ids or (port.wwpn is not None and port.wwpn in self.wwpns)

    def is_local_login(self, wwpn: str, port: Port) -> bool:
        """The port sending a FLOGI/FDISC (its S_ID may still be 0)."""
        return self.all or wwpn in self.wwpns or (port.fc_id != 0 and port.fc_id in self.ids)


def fc_address(text: str) -> str | None:
    """--local: a WWPN (16 hex digits, colons allowed) or an FC_ID (``ed.01.00``,
    ``0xed0100``) in its canonical text, None for anything else."""
    plain = text.lower().replace(":", "")
    if len(plain) == 16 and all(c in "0123456789abcdef" for c in plain):
        return plain
    parts = text.lower().split(".")
    digits = "".join(parts) if len(parts) == 3 and all(len(p) == 2 for p in parts) else (
        text[2:] if text.lower().startswith("0x") and 1 <= len(text) - 2 <= 6 else "")
    if not digits or any(c not in "0123456789abcdef" for c in digits.lower()):
        return None
    return fc.fc_id_text(int(digits, 16))


class FcProvider:
    """Per run: ports, exchanges and the fc probe handlers."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.report = ctx.report
        h = ctx.handler
        self.fire_scsi_command = h(PROVIDER, "scsi-command")
        self.fire_scsi_response = h(PROVIDER, "scsi-response")
        self.fire_xfer_start = h(PROVIDER, "xfer-start")
        self.fire_xfer_done = h(PROVIDER, "xfer-done")
        self.fire_login_start = h(PROVIDER, "rport-login-start")
        self.fire_login_end = h(PROVIDER, "rport-login-end")
        self.fire_logout_start = h(PROVIDER, "rport-logout-start")
        self.fire_logout_end = h(PROVIDER, "rport-logout-end")
        self.fire_fabric_start = h(PROVIDER, "fabric-login-start")
        self.fire_fabric_end = h(PROVIDER, "fabric-login-end")
        self.fire_rscn = h(PROVIDER, "rscn-receive")
        self.fire_abts = h(PROVIDER, "abts-receive")
        self.fire_link_up = h(PROVIDER, "link-up")
        self.fire_link_down = h(PROVIDER, "link-down")
        self.xfers = self.fire_xfer_start is not None or self.fire_xfer_done is not None
        # The initiators' block I/O (io provider), from the same FCP exchanges.
        self.io = io_translator.provider(ctx)
        self.listening = self.io is not None or any(
            getattr(self, name) is not None for name in vars(self) if name.startswith("fire_"))
        self.local = LocalPorts(ctx.local.addrs, ctx.local.all)
        self.ports: dict[int, Port] = {}
        self.by_wwpn: dict[str, Port] = {}
        self.node_names: dict[str, str] = {}  # WWNN -> symbolic node name
        # open exchanges, the longest open first (an AgedTable of the budget)
        self.exchanges: OrderedDict[int, Exchange] = OrderedDict()
        self.budget = ctx.budget
        ctx.budget.register(self)
        self.now = 0  # capture time of the frame being handled
        self.nexuses: dict[tuple[int, int], Nexus] = {}
        self.counts = ctx.report.layer("fc")
        self.frames = 0
        self.data_frames = 0
        self.link_frames = 0  # FCoE frames taken through on_data and on_iu
        # --local auto: frames held back until the target ports are chosen
        self.held: list[tuple[Callable[..., None], tuple]] | None = \
            [] if self.local.auto else None
        self.held_since = -1
        self.held_frames = 0
        self.links = FipLinks()

    # -- FIP: the virtual links of FCoE -------------------------------------

    def on_fip(self, pkt: fcoe.FipPacket, src: bytes | None, dst: bytes | None, ts: int,
               pframe: Frame | None) -> None:
        """A FIP frame (``src``/``dst``: its Ethernet MAC addresses)."""
        if self.held is not None:
            self._hold(self.on_fip, (pkt, src, dst, ts, pframe), ts)
            return
        self.counts[f"FIP {pkt.operation}"] += 1
        links = self.links
        if pkt.op == fcoe.FIP_DISCOVERY and pkt.subcode == fcoe.SUB_ADVERTISEMENT:
            if src is not None:
                links.advertised(src, pkt.fka_adv_period_ms, ts,
                                 bool(pkt.flags & fcoe.FLAG_SOLICITED))
        elif pkt.els is not None and pkt.els_kind != fcoe.DESC_ELP:
            self._fip_els(pkt.els, src, dst, ts, pframe)
        elif pkt.op == fcoe.FIP_CONTROL and pkt.subcode == fcoe.SUB_CLEAR_VIRTUAL_LINKS:
            for port in links.cleared(pkt, dst):
                self._link(port, False, ts)
        self._keep_alive_timeouts(ts)

    def _fip_els(self, els: memoryview, src: bytes | None, dst: bytes | None, ts: int,
                 pframe: Frame | None) -> None:
        """A FLOGI/FDISC/LOGO or its reply carried in a FIP descriptor: an FC
        frame like any other, whose accept brings the port's link up or down."""
        try:
            frame = fc.decode(els)
        except DissectError as exc:
            self._weird(exc.weird, pframe, f"FIP encapsulated ELS: {exc}")
            return
        exchange = None
        if frame.r_ctl == fc.R_CTL_ELS_REPLY:
            exchange = self._find(frame)
        self.on_frame(frame, ts, pframe)
        if exchange is None or not exchange.local or not frame.payload \
                or frame.payload[0] != fcels.ELS_ACC:
            return
        if exchange.opcode in (fcels.ELS_FLOGI, fcels.ELS_FDISC):
            port = exchange.local[0]
            self._link(port, True, ts)
            if src is not None and dst is not None:
                self.links.logged_in(port, dst, src)
        elif exchange.opcode == fcels.ELS_LOGO and exchange.responder.fc_id == fc.FC_ID_FABRIC:
            self._link(exchange.originator, False, ts)

    def _keep_alive_timeouts(self, ts: int) -> None:
        for port, deadline in self.links.expired(ts):
            self._link(port, False, deadline)

    def _link(self, port: Port, up: bool, ts: int) -> None:
        if not self.links.change(port, up, ts):
            return
        fire = self.fire_link_up if up else self.fire_link_down
        if fire is not None and self.local.is_local(port):
            nexus = self._nexus(port, None)
            fire(ts, (nexus.conn(),), nexus.thread)

    # -- the frame layer ---------------------------------------------------

    def on_frame(self, frame: FcFrame, ts: int, pframe: Frame | None) -> None:
        """One FC-2 frame from any transport (``pframe``: the capture packet)."""
        if self.held is not None:
            self._hold(self.on_frame, (frame, ts, pframe), ts)
            return
        self.frames += 1
        self.now = ts
        r_ctl = frame.r_ctl
        if frame.type == fc.TYPE_FCP and r_ctl < 0x10:
            if r_ctl == _FCP_DATA:
                self.data_frames += 1
                self._fcp_data(frame, ts)
            else:
                self._fcp(r_ctl, frame.s_id, frame.d_id, frame.f_ctl, frame.ox_id, frame.rx_id,
                          frame.payload, frame.wire_len, ts, pframe)
        elif frame.type == fc.TYPE_ELS and r_ctl in (fc.R_CTL_ELS_REQUEST, fc.R_CTL_ELS_REPLY):
            self._control(frame, ts, pframe, self._els)
        elif r_ctl & fc.R_CTL_ROUTING_MASK == fc.R_CTL_BASIC_LINK:
            self._bls(frame, ts)
        elif frame.type == fc.TYPE_CT and r_ctl in (fc.R_CTL_UNSOL_CONTROL, fc.R_CTL_SOL_CONTROL):
            self._control(frame, ts, pframe, self._ct)
        else:
            self.counts[f"skipped: R_CTL 0x{r_ctl:02x} TYPE 0x{frame.type:02x}"] += 1

    def finish(self) -> None:
        if self.held is not None:
            self._choose_local()
        counts = self.counts
        if self.data_frames:
            counts["FCP_DATA"] += self.data_frames
        counts["decoded"] += self.frames - sum(v for k, v in counts.items()
                                               if k.startswith("skipped: "))
        self.frames = self.data_frames = 0

    def _weird(self, name: str, pframe: Frame | None, detail: str) -> None:
        self.report.weird(name, pframe, detail)

    # -- --local auto ------------------------------------------------------

    def _hold(self, method: Callable[..., None], args: tuple, ts: int, frames: int = 1) -> None:
        held = self.held
        assert held is not None
        if self.held_since < 0:
            self.held_since = ts
        held.append((method, args))
        self.held_frames += frames
        if self.held_frames >= AUTO_MAX_FRAMES or ts - self.held_since >= AUTO_MAX_NS:
            self._choose_local()

    def _choose_local(self) -> None:
        """Pick the target ports of the held frames, then replay them."""
        held, self.held = self.held or [], None
        commanded = (args[2] for method, args in held
                     if method == self.on_iu and args[0] == _FCP_CMND)
        ids, wwpns = targets_of(_held_frames(held), commanded)
        self.local.ids |= ids
        self.local.wwpns |= wwpns
        for method, args in held:
            method(*args)
        if held:  # a capture without FC says nothing of FC ports
            self._announce(ids, wwpns)

    def _announce(self, ids: set[int], wwpns: set[str]) -> None:
        if not self.listening:
            return
        if not ids and not wwpns:
            self.ctx.report.stderr.write(
                "pcapprobe: --local auto: no FCP target port seen; "
                "use --local WWPN or FC_ID to choose one\n")
            return
        names = [fc.fc_id_text(i) + (f" ({self.ports[i].wwpn})" if i in self.ports
                                     and self.ports[i].wwpn else "") for i in sorted(ids)]
        names += sorted(w for w in wwpns if w not in {p.wwpn for p in self.ports.values()})
        self.ctx.report.stderr.write(
            f"pcapprobe: --local auto: local FC port(s) {', '.join(names)} "
            "(FCP targets; use --local to choose)\n")

    # -- ports and exchanges ----------------------------------------------

    def port(self, fc_id: int) -> Port:
        port = self.ports.get(fc_id)
        if port is None:
            if len(self.ports) >= MAX_PORTS:
                del self.ports[next(iter(self.ports))]
            port = self.ports[fc_id] = Port(fc_id)
        return port

    def _learn_names(self, port: Port, wwpn: bytes, wwnn: bytes) -> None:
        port.wwpn = fc.wwn_text(wwpn)
        port.wwnn = fc.wwn_text(wwnn)
        self.by_wwpn[port.wwpn] = port
        if len(self.by_wwpn) > MAX_PORTS:
            del self.by_wwpn[next(iter(self.by_wwpn))]
        name = self.node_names.get(port.wwnn)
        if name is not None:
            port.sym_node_name = name

    def _nexus(self, local: Port, remote: Port | None) -> Nexus:
        key = (local.fc_id, remote.fc_id if remote is not None else -1)
        nexus = self.nexuses.get(key)
        if nexus is None or nexus.local is not local or nexus.remote is not remote:
            if len(self.nexuses) >= MAX_PORTS:
                del self.nexuses[next(iter(self.nexuses))]
            nexus = self.nexuses[key] = Nexus(local, remote)
        return nexus

    def _open(self, frame: FcFrame) -> Exchange:
        return self._open_exchange(frame.s_id, frame.d_id, frame.ox_id)

    def _open_exchange(self, s_id: int, d_id: int, ox_id: int) -> Exchange:
        key = _key(s_id, d_id, ox_id)
        exchanges = self.exchanges
        if exchanges.pop(key, None) is None:  # else a reused OX_ID: the old exchange is over
            self.budget.charge(EXCHANGE_COST)
        exchange = exchanges[key] = Exchange(key, self.port(s_id), self.port(d_id), self.now)
        return exchange

    def _find(self, frame: FcFrame) -> Exchange | None:
        return self._find_exchange(frame.s_id, frame.d_id, frame.f_ctl, frame.ox_id)

    def _find_exchange(self, s_id: int, d_id: int, f_ctl: int, ox_id: int) -> Exchange | None:
        """The exchange of a frame (the responder's frames have its D_ID as originator)."""
        exchanges = self.exchanges
        if f_ctl & fc.F_CTL_EXCHANGE_RESPONDER:
            exchange = exchanges.get(_key(d_id, s_id, ox_id))
            if exchange is None and s_id == fc.FC_ID_FABRIC:
                # a FLOGI/FDISC was sent from S_ID 0; its LS_ACC goes to the new address
                exchange = exchanges.get(_key(0, fc.FC_ID_FABRIC, ox_id))
            return exchange
        return exchanges.get(_key(s_id, d_id, ox_id))

    def _close(self, exchange: Exchange) -> None:
        if self.exchanges.pop(exchange.key, None) is not None:
            self.budget.release(EXCHANGE_COST)

    # -- AgedTable (flows/budget.py): the open exchanges --------------------

    evicts = "fc exchanges"

    def oldest(self) -> Age | None:
        exchanges = self.exchanges
        return (IDLE, next(iter(exchanges.values())).opened) if exchanges else None

    def evict(self, upto: Age, nbytes: int) -> tuple[int, int]:
        """A target that never answers leaves every exchange open: the longest
        open go; their later frames are those of an exchange not seen."""
        exchanges = self.exchanges
        entries = 0
        while exchanges and entries * EXCHANGE_COST < nbytes:
            if entries and (IDLE, next(iter(exchanges.values())).opened) > upto:
                break
            exchanges.popitem(last=False)
            entries += 1
        self.budget.release(entries * EXCHANGE_COST)
        return entries, entries * EXCHANGE_COST

    # -- control sequences (ELS, CT) --------------------------------------

    def _control(self, frame: FcFrame, ts: int, pframe: Frame | None,
                 decode: Callable[[FcFrame, memoryview, int, Frame | None], None]) -> None:
        """A frame of an ELS or CT sequence: decoded once the sequence is whole."""
        if frame.seq_cnt == 0 and frame.end_sequence:
            payload = frame.payload
            if len(payload) != frame.wire_len:
                self.counts["skipped: control frame cut by the capture"] += 1
                return
        else:
            payload = self._sequence(frame)
            if payload is None:
                return
        try:
            decode(frame, payload, ts, pframe)
        except DissectError as exc:
            self._weird(exc.weird if exc.weird.startswith("fc") else "fc.bad_frame", pframe,
                        f"FC {fc.fc_id_text(frame.s_id)} -> {fc.fc_id_text(frame.d_id)}: {exc}")

    def _sequence(self, frame: FcFrame) -> memoryview | None:
        """Join a multi-frame sequence; its payload once End_Sequence arrives."""
        exchange = self._find(frame)
        if exchange is None:
            if frame.responder or frame.seq_cnt:
                self.counts["skipped: sequence of an exchange not seen"] += 1
                return None
            exchange = self._open(frame)
        sequence = exchange.sequence
        if sequence is None or sequence.seq_id != frame.seq_id:
            sequence = exchange.sequence = SequenceBuffer(frame)
            sequence.broken = frame.seq_cnt != 0
        whole = sequence.add(frame)
        if not frame.end_sequence:
            return None
        exchange.sequence = None
        if not whole:
            self.counts["skipped: sequence with missing frames"] += 1
            return None
        return sequence.payload()

    def _els(self, frame: FcFrame, payload: memoryview, ts: int, pframe: Frame | None) -> None:
        code = fcels.opcode(payload)
        self.counts[f"ELS {fcels.opcode_name(code)}"] += 1
        if frame.r_ctl == fc.R_CTL_ELS_REQUEST:
            self._els_request(frame, code, payload, ts)
            return
        exchange = self._find(frame)
        if exchange is None or not exchange.opcode:
            self.counts["replies without their request"] += 1
            return
        self._close(exchange)
        self._els_reply(exchange, code, payload, ts, frame.d_id)

    def _els_request(self, frame: FcFrame, code: int, payload: memoryview, ts: int) -> None:
        exchange = self.exchanges.get(_key(frame.s_id, frame.d_id, frame.ox_id))
        if exchange is None:
            exchange = self._open(frame)
        exchange.opcode = code
        sender, receiver = exchange.originator, exchange.responder
        if code in (fcels.ELS_FLOGI, fcels.ELS_FDISC):
            login = fcels.decode_login(payload)
            exchange.request = login
            port = self._login_port(sender, login)
            if self.local.is_local_login(port.wwpn or "", sender):
                exchange.local = (port,)
                self._fabric_start(port, ts)
        elif code == fcels.ELS_PLOGI:
            login = fcels.decode_login(payload)
            self._learn_names(sender, login.port_name, login.node_name)
            self._rport_start(exchange, self.fire_login_start, ts)
        elif code == fcels.ELS_LOGO:
            logo = fcels.decode_logo(payload)
            if logo.port_id == sender.fc_id and sender.wwpn is None:
                sender.wwpn = fc.wwn_text(logo.port_name)
            self._rport_start(exchange, self.fire_logout_start, ts)
        elif code == fcels.ELS_ADISC:
            adisc = fcels.decode_adisc(payload)
            sender.hard_address = adisc.hard_address
            self._learn_names(sender, adisc.port_name, adisc.node_name)
        elif code == fcels.ELS_PRLI:
            exchange.request = fcels.prli_functions(payload)
        elif code == fcels.ELS_RSCN:
            if self.fire_rscn is not None and self.local.is_local(receiver):
                self._rscn(receiver, fcels.decode_rscn(payload), ts)

    def _els_reply(self, exchange: Exchange, code: int, payload: memoryview, ts: int,
                   reply_d_id: int) -> None:
        request = exchange.opcode
        responder = exchange.responder
        accepted = code == fcels.ELS_ACC
        if request in (fcels.ELS_FLOGI, fcels.ELS_FDISC):
            login = exchange.request
            assert isinstance(login, fcels.Login)
            if accepted:
                fabric = fcels.decode_login(payload)
                self._learn_names(responder, fabric.port_name, fabric.node_name)
            if exchange.local:
                self._fabric_end(exchange, login, accepted, reply_d_id, ts)
        elif request == fcels.ELS_PLOGI:
            if accepted:
                login = fcels.decode_login(payload)
                self._learn_names(responder, login.port_name, login.node_name)
            self._rport_end(exchange, self.fire_login_end, ts)
        elif request == fcels.ELS_LOGO:
            self._rport_end(exchange, self.fire_logout_end, ts)
        elif request == fcels.ELS_ADISC and accepted:
            adisc = fcels.decode_adisc(payload)
            responder.hard_address = adisc.hard_address
            self._learn_names(responder, adisc.port_name, adisc.node_name)

    def _login_port(self, sender: Port, login: fcels.Login) -> Port:
        """The port a FLOGI/FDISC speaks for: its S_ID's, or, from S_ID 0 (no
        address yet), a port known only by the names of its login payload."""
        port = sender if sender.fc_id else Port(0)
        if port.fc_id:
            self._learn_names(port, login.port_name, login.node_name)
        else:
            port.wwpn = fc.wwn_text(login.port_name)
            port.wwnn = fc.wwn_text(login.node_name)
        return port

    def _fabric_start(self, port: Port, ts: int) -> None:
        fire = self.fire_fabric_start
        if fire is not None:
            nexus = self._nexus(port, None)
            fire(ts, (nexus.conn(),), nexus.thread)

    def _fabric_end(self, exchange: Exchange, login: fcels.Login, accepted: bool,
                    assigned: int, ts: int) -> None:
        """The LS_ACC gives the port its address: the reply's D_ID."""
        port = exchange.local[0]
        if accepted:
            port = self.port(assigned)
            self._learn_names(port, login.port_name, login.node_name)
            exchange.local = (port,)
        fire = self.fire_fabric_end
        if fire is not None:
            nexus = self._nexus(port, None)
            fire(ts, (nexus.conn(), port.info), nexus.thread)

    def _rport_start(self, exchange: Exchange, fire: Fire | None, ts: int) -> None:
        """The start probe at each local end of a PLOGI/LOGO."""
        local = tuple(p for p in (exchange.originator, exchange.responder)
                      if self.local.is_local(p))
        exchange.local = local
        if fire is None:
            return
        for port in local:
            solicited = 1 if port is exchange.originator else 0
            remote = exchange.responder if solicited else exchange.originator
            nexus = self._nexus(port, remote)
            fire(ts, (nexus.conn(), port.info, remote.info, solicited), nexus.thread)

    def _rport_end(self, exchange: Exchange, fire: Fire | None, ts: int) -> None:
        if fire is None:
            return
        for port in exchange.local:
            solicited = 1 if port is exchange.originator else 0
            remote = exchange.responder if solicited else exchange.originator
            nexus = self._nexus(port, remote)
            fire(ts, (nexus.conn(), port.info, remote.info, solicited), nexus.thread)

    def _rscn(self, receiver: Port, pages: list[int], ts: int) -> None:
        fire = self.fire_rscn
        assert fire is not None
        nexus = self._nexus(receiver, None)
        for port_id in pages:
            fire(ts, (nexus.conn(), receiver.info, port_id), nexus.thread)

    def _ct(self, frame: FcFrame, payload: memoryview, ts: int, pframe: Frame | None) -> None:
        """Name server traffic: counted; symbolic names learned."""
        iu = fcct.decode(payload)
        self.counts[f"CT {fcct.command_name(iu.code)}"] += 1
        if frame.r_ctl == fc.R_CTL_UNSOL_CONTROL:
            exchange = self.exchanges.get(_key(frame.s_id, frame.d_id, frame.ox_id))
            if exchange is None:
                exchange = self._open(frame)
            exchange.opcode = iu.code
            exchange.request = iu if iu.name_server else None
            return
        exchange = self._find(frame)
        if exchange is None or not exchange.opcode:
            self.counts["replies without their request"] += 1
            return
        self._close(exchange)
        request = exchange.request
        if iu.code == fcct.CT_ACCEPT and isinstance(request, fcct.CtIu):
            self._learn_symbolic_name(request, iu)

    def _learn_symbolic_name(self, request: fcct.CtIu, accept: fcct.CtIu) -> None:
        code = request.code
        if code == fcct.NS_RSPN_ID:
            port_id, name = fcct.registered_port_name(request.body)
            self.port(port_id).sym_port_name = name
        elif code == fcct.NS_GSPN_ID:
            self.port(fcct.queried_port_id(request.body)).sym_port_name = \
                fcct.answered_name(accept.body)
        elif code == fcct.NS_RSNN_NN:
            node, name = fcct.registered_node_name(request.body)
            self._node_name(fc.wwn_text(node), name)
        elif code == fcct.NS_GSNN_NN:
            self._node_name(fc.wwn_text(fcct.queried_node_name(request.body)),
                            fcct.answered_name(accept.body))

    def _node_name(self, wwnn: str, name: str) -> None:
        self.node_names[wwnn] = name
        if len(self.node_names) > MAX_PORTS:
            del self.node_names[next(iter(self.node_names))]
        for port in self.ports.values():
            if port.wwnn == wwnn:
                port.sym_node_name = name

    # -- BLS ---------------------------------------------------------------

    def _bls(self, frame: FcFrame, ts: int) -> None:
        r_ctl = frame.r_ctl
        self.counts[f"BLS {fcels.BLS_NAMES.get(r_ctl) or f'0x{r_ctl:02x}'}"] += 1
        if r_ctl != fc.R_CTL_ABTS:
            return
        # the aborted exchange ends (FC-LS-3 §5.3.2); its task gets no FCP_RSP
        exchange = self._find(frame)
        if exchange is not None:
            self._close(exchange)
        receiver = self.port(frame.d_id)
        fire = self.fire_abts
        if fire is not None and self.local.is_local(receiver):
            sender = self.port(frame.s_id)
            nexus = self._nexus(receiver, sender)
            fire(ts, (nexus.conn(), receiver.info, sender.info), nexus.thread)

    # -- FCP ---------------------------------------------------------------

    def on_iu(self, r_ctl: int, s_id: int, d_id: int, f_ctl: int, ox_id: int, rx_id: int,
              ts: int, payload: bytes, pframe: Frame) -> None:
        """An FCP frame other than FCP_DATA that the C record scanner found in a
        whole FCoE PDU (``FlowIndex.fc``), as header fields and the bytes
        between the frame header and the CRC (``payload``)."""
        if self.held is not None:
            self._hold(self.on_iu, (r_ctl, s_id, d_id, f_ctl, ox_id, rx_id, ts, payload, pframe),
                       ts)
            return
        self.link_frames += 1
        self.frames += 1
        self.now = ts
        carried = fc.payload_length(f_ctl, len(payload))
        self._fcp(r_ctl, s_id, d_id, f_ctl, ox_id, rx_id, payload[:carried], carried, ts, pframe)

    def _fcp(self, iu: int, s_id: int, d_id: int, f_ctl: int, ox_id: int, rx_id: int,
             payload: bytes | memoryview, carried: int, ts: int, pframe: Frame | None) -> None:
        """An FCP IU other than FCP_DATA (``carried``: its payload bytes on the
        wire, ``payload`` what was captured of them)."""
        name = _IU_NAMES.get(iu)
        if name is None:
            self.counts[f"skipped: FCP R_CTL 0x{iu:02x}"] += 1
            return
        self.counts[name] += 1
        try:
            if iu == _FCP_CMND:
                self._command(s_id, d_id, ox_id, payload, carried, ts)
            elif iu == _FCP_XFER_RDY:
                self._xfer_ready(s_id, d_id, f_ctl, ox_id, rx_id, payload, ts)
            else:
                self._response(s_id, d_id, f_ctl, ox_id, rx_id, payload, ts)
        except DissectError as exc:
            self._weird(exc.weird if exc.weird.startswith("fcp.") else "fcp.bad_iu", pframe,
                        f"{name} OX_ID 0x{ox_id:04x}: {exc}")

    def _command(self, s_id: int, d_id: int, ox_id: int, payload: bytes | memoryview,
                 carried: int, ts: int) -> None:
        if len(payload) != carried and len(payload) < fcp.CMND_LEN:
            self.counts["skipped: FCP_CMND cut by the capture"] += 1
            return
        command = fcp.decode_command(payload)
        exchange = self._open_exchange(s_id, d_id, ox_id)
        task = exchange.task = fcp.Task(ox_id, command)
        target = exchange.responder
        if self.io is not None:
            task.io = self._block_io(exchange, task, ts)
        if self.local.auto and not is_well_known(target.fc_id):
            self.local.ids.add(target.fc_id)
        if not self.local.is_local(target):
            return
        exchange.local = (target,)
        fire = self.fire_scsi_command
        if fire is not None:
            nexus, cmd = self._task_args(exchange)
            fire(ts, (nexus.conn(), target.info, cmd, exchange.originator.info), nexus.thread)

    def _task_args(self, exchange: Exchange) -> tuple[Nexus, ScsiCmd]:
        """The I_T nexus and scsicmd_t of an FCP task's firings."""
        found = exchange.task_args
        if found is None:
            assert exchange.task is not None
            found = exchange.task_args = (self._nexus(exchange.responder, exchange.originator),
                                          ScsiCmd(exchange.task, exchange))
        return found

    def _block_io(self, exchange: Exchange, task: fcp.Task, ts: int) -> object:
        """io:::start of the initiator (the exchange's originator) for a block
        command.  A port is named by its WWPN once a login shows it, else by its
        FC_ID; no Solaris path is built (the HBA's is not on the wire)."""
        assert self.io is not None
        initiator, target = exchange.originator, exchange.responder
        return self.io.scsi_command(
            initiator.wwpn or f"{initiator.fc_id:06x}", target.wwpn or target.fc_id,
            scsi.lun_number(task.lun), task.cdb, lambda: io_translator.UNKNOWN, ts)

    def _xfer_ready(self, s_id: int, d_id: int, f_ctl: int, ox_id: int, rx_id: int,
                    payload: bytes | memoryview, ts: int) -> None:
        exchange = self._find_exchange(s_id, d_id, f_ctl, ox_id)
        if exchange is None or exchange.task is None:
            return
        task = exchange.task
        task.rx_id = rx_id
        offset, length = fcp.decode_xfer_ready(payload)
        task.xfer_ready = True
        if exchange.local and self.xfers:
            task.burst = self._start(exchange, offset, length, DB_DIRECTION_FROM_RPORT, ts)

    def on_data(self, s_id: int, d_id: int, f_ctl: int, ox_id: int, rx_id: int,
                parameter: int, total: int, ts: int, frames: int = 1, more: int = 0,
                end_f_ctl: int = 0, end_total: int = 0, end_ts: int = -1) -> None:
        """An FCP_DATA frame the link layer found in a whole FCoE PDU, given as
        header fields (no FcFrame): from the FCoE handler, or from the C
        record scanner (``FlowIndex.fc``).  ``total``: the bytes between the
        frame header and the CRC.  The scanner joins the frames that follow it
        in the same sequence: ``frames`` counts them all, ``more`` is the
        data of those that do not end it; when the last one ends it
        (``end_ts`` >= 0), ``end_f_ctl``, ``end_total`` and ``end_ts`` are its
        F_CTL, bytes and time."""
        if self.held is not None:
            self._hold(self.on_data, (s_id, d_id, f_ctl, ox_id, rx_id, parameter, total, ts,
                                      frames, more, end_f_ctl, end_total, end_ts), ts, frames)
            return
        self.link_frames += frames
        self.frames += frames
        self.data_frames += frames
        if end_ts >= 0:
            more += fc.payload_length(end_f_ctl, end_total)
        self._data(s_id, d_id, f_ctl, ox_id, rx_id, parameter,
                   fc.payload_length(f_ctl, total), ts, more, end_ts)

    def _fcp_data(self, frame: FcFrame, ts: int) -> None:
        self._data(frame.s_id, frame.d_id, frame.f_ctl, frame.ox_id, frame.rx_id,
                   frame.parameter, frame.wire_len, ts)

    def _data(self, s_id: int, d_id: int, f_ctl: int, ox_id: int, rx_id: int,
              parameter: int, carried: int, ts: int, more: int = 0, end_ts: int = -1) -> None:
        """One FCP_DATA frame (``carried``: its data bytes on the wire), and
        ``more`` bytes of the frames after it in its sequence, the last of
        which ends the sequence at ``end_ts`` when that is not -1."""
        to_initiator = f_ctl & fc.F_CTL_EXCHANGE_RESPONDER
        # the exchange's originator is the initiator (FCP_CMND's S_ID)
        key = _key(d_id, s_id, ox_id) if to_initiator else _key(s_id, d_id, ox_id)
        exchange = self.exchanges.get(key)
        if exchange is None or exchange.task is None:
            return
        task = exchange.task
        task.rx_id = rx_id  # assigned by the target's first frame (FC-FS-4 §9.11)
        if to_initiator:
            task.data_in += carried + more
        else:
            task.data_out += carried + more
        if not exchange.local or not self.xfers:
            return
        burst = task.burst
        end = f_ctl & fc.F_CTL_END_SEQUENCE
        if burst is None:
            offset = parameter if f_ctl & fc.F_CTL_RELATIVE_OFFSET else 0
            length = carried if end else max(task.expected_len - offset, carried)
            flags = DB_DIRECTION_TO_RPORT if to_initiator else DB_DIRECTION_FROM_RPORT
            burst = task.burst = self._start(exchange, offset, length, flags, ts)
        burst.carried += carried + more  # type: ignore[attr-defined]
        if end or end_ts >= 0:
            task.burst = None
            self._done(exchange, burst, ts if end else end_ts)  # type: ignore[arg-type]

    def _response(self, s_id: int, d_id: int, f_ctl: int, ox_id: int, rx_id: int,
                  payload: bytes | memoryview, ts: int) -> None:
        exchange = self._find_exchange(s_id, d_id, f_ctl, ox_id)
        if exchange is None or exchange.task is None:
            self.counts["replies without their request"] += 1
            return
        self._close(exchange)
        task = exchange.task
        task.rx_id = rx_id
        rsp = fcp.decode_response(payload)
        task.status = rsp.status
        task.residual = rsp.residual
        if task.io is not None and self.io is not None:
            self.io.scsi_status(task.io, rsp.status,  # type: ignore[arg-type]
                                rsp.residual if rsp.flags & fcp.RESID_UNDER else 0, ts)
        task.burst = None  # a data sequence cut short by loss ends unreported
        fire = self.fire_scsi_response
        if exchange.local and fire is not None:
            nexus, cmd = self._task_args(exchange)
            fire(ts, (nexus.conn(), exchange.responder.info, cmd, exchange.originator.info),
                 nexus.thread)

    def _start(self, exchange: Exchange, offset: int, length: int, flags: int,
               ts: int) -> _Burst:
        burst = _Burst(offset, length, flags)
        fire = self.fire_xfer_start
        if fire is not None:
            self._fire_xfer(fire, exchange, burst, ts)
        return burst

    def _done(self, exchange: Exchange, burst: _Burst, ts: int) -> None:
        fire = self.fire_xfer_done
        if fire is not None:
            self._fire_xfer(fire, exchange, XferInfo(burst.fcx_offset, burst.carried,
                                                     burst.fcx_flags), ts)

    def _fire_xfer(self, fire: Fire, exchange: Exchange, xfer: XferInfo, ts: int) -> None:
        nexus, cmd = self._task_args(exchange)
        fire(ts, (nexus.conn(), exchange.responder.info, cmd, exchange.originator.info, xfer),
             nexus.thread)


def _held_frames(held: list[tuple[Callable[..., None], tuple]]) -> Iterator[FcFrame]:
    """The FC frames of the held calls (those FIP carries included)."""
    for _, args in held:
        first = args[0]
        if isinstance(first, FcFrame):
            yield first
        elif isinstance(first, fcoe.FipPacket) and first.els is not None:
            try:
                yield fc.decode(first.els)
            except DissectError:
                continue


def targets_of(frames: Iterable[FcFrame], commanded: Iterable[int] = ()
               ) -> tuple[set[int], set[str]]:
    """The FCP target ports of some frames: the D_IDs of FCP_CMNDs (those of
    ``commanded`` too, FCP_CMNDs given as fields) and the senders of a PRLI
    or PRLI LS_ACC with the target function bit; and the WWPNs their logins
    name (so a FLOGI from S_ID 0 is known as theirs)."""
    ids: set[int] = {d_id for d_id in commanded if not is_well_known(d_id)}
    names: dict[int, str] = {}
    requests: dict[int, tuple[int, str | None]] = {}  # exchange -> (ELS code, login WWPN)
    for frame in frames:
        r_ctl, payload = frame.r_ctl, frame.payload
        try:
            if frame.type == fc.TYPE_FCP and r_ctl == _FCP_CMND:
                if not is_well_known(frame.d_id):
                    ids.add(frame.d_id)
            elif frame.type != fc.TYPE_ELS or not payload:
                continue
            elif r_ctl == fc.R_CTL_ELS_REQUEST:
                code, wwpn = payload[0], None
                if code in fcels.LOGIN_OPCODES:
                    wwpn = fc.wwn_text(fcels.decode_login(payload).port_name)
                    if frame.s_id:
                        names[frame.s_id] = wwpn
                elif code == fcels.ELS_PRLI and \
                        fcels.prli_functions(payload) & fcels.PRLI_TARGET_FUNCTION:
                    ids.add(frame.s_id)
                requests[_key(frame.s_id, frame.d_id, frame.ox_id)] = (code, wwpn)
            elif r_ctl == fc.R_CTL_ELS_REPLY and payload[0] == fcels.ELS_ACC:
                key = _key(frame.d_id, frame.s_id, frame.ox_id)
                if key not in requests and frame.s_id == fc.FC_ID_FABRIC:
                    key = _key(0, fc.FC_ID_FABRIC, frame.ox_id)
                code, wwpn = requests.pop(key, (0, None))
                if code in (fcels.ELS_FLOGI, fcels.ELS_FDISC) and wwpn is not None:
                    names[frame.d_id] = wwpn
                elif code == fcels.ELS_PLOGI:
                    names[frame.s_id] = fc.wwn_text(fcels.decode_login(payload).port_name)
                elif code == fcels.ELS_PRLI and \
                        fcels.prli_functions(payload) & fcels.PRLI_TARGET_FUNCTION:
                    ids.add(frame.s_id)
        except DissectError:
            continue
    return ids, {names[i] for i in ids if i in names}


class FipLinks:
    """The FCoE virtual links FIP shows (FC-BB-5 §7.8.3): which port's link is
    up, its ENode and FCF MACs, and the FCFs' advertisement clocks."""

    # FC-BB-5 §7.8.6.2: an FCF is lost after 2.5 advertisement periods of silence
    TIMEOUT_PERIODS = 2.5

    def __init__(self) -> None:
        # port -> (ENode MAC, FCF MAC, when the link came up)
        self.up: dict[Port, tuple[bytes | None, bytes | None, int]] = {}
        # FCF MAC -> (last advertisement, last unsolicited one, period ns)
        self.advertisements: dict[bytes, tuple[int, int, int]] = {}

    def change(self, port: Port, up: bool, ts: int) -> bool:
        """Record a link state; False when it already was so."""
        if up == (port in self.up):
            return False
        if up:
            self.up[port] = (None, None, ts)
        else:
            del self.up[port]
        return True

    def logged_in(self, port: Port, enode: bytes, fcf: bytes) -> None:
        """The MACs of an up link (a CVL to the ENode, the FCF's keep-alive)."""
        if port in self.up:
            self.up[port] = (enode, fcf, self.up[port][2])

    def advertised(self, fcf: bytes, period_ms: int | None, ts: int, solicited: bool) -> None:
        """An advertisement from an FCF.  Its period is FKA_ADV_Period (ms), or
        the spacing of its unsolicited advertisements when that is longer
        (pre-standard FCFs give the period in seconds: 8 for 8 s)."""
        last, unsolicited, period = self.advertisements.get(fcf, (ts, -1, 0))
        if period_ms:
            period = max(period, period_ms * 1_000_000)
        if not solicited:
            if unsolicited >= 0:
                period = max(period, ts - unsolicited)
            unsolicited = ts
        self.advertisements[fcf] = (ts, unsolicited, period)

    def cleared(self, pkt: fcoe.FipPacket, enode: bytes | None) -> list[Port]:
        """The ports a Clear Virtual Links names (every VN_Port of the ENode
        when it names none)."""
        if pkt.vx_ports:
            names = {fc.wwn_text(vx.port_name) for vx in pkt.vx_ports}
            ids = {vx.port_id for vx in pkt.vx_ports}
            return [p for p in self.up if p.wwpn in names or p.fc_id in ids]
        return [p for p, (mac, _, _) in self.up.items() if mac is not None and mac == enode]

    def expired(self, ts: int) -> list[tuple[Port, int]]:
        """Ports whose FCF fell silent: (port, when its keep-alive timer ran
        out, counted from its last advertisement or the link's coming up)."""
        lost = []
        for port, (_, fcf, since) in self.up.items():
            heard = self.advertisements.get(fcf) if fcf is not None else None
            if heard is None or not heard[2]:
                continue
            deadline = max(heard[0], since) + int(heard[2] * self.TIMEOUT_PERIODS)
            if ts > deadline:
                lost.append((port, deadline))
        return lost


class FcipApp:
    """The StreamApp of one FCIP connection (RFC 3821): each encapsulated
    frame's FC frame goes to the run's provider."""

    min_header = fcip.MIN_HEADER

    def __init__(self, provider: FcProvider, conn: Connection | None = None) -> None:
        self.provider = provider
        self.conn = conn

    def pdu_length(self, view: memoryview, direction: int) -> int | None:
        return fcip.pdu_length(view)

    def on_pdu(self, pdu: memoryview, direction: int, ts_ns: int) -> None:
        pframe = self.conn.frame if self.conn is not None else None
        provider = self.provider
        try:
            encap = fcip.decode(pdu)
            if encap.special:
                provider.counts["FCIP special frames"] += 1
                return
            frame = fc.decode(pdu, encap.start, encap.end)
        except DissectError as exc:
            provider.report.weird(exc.weird if exc.weird.startswith(("fc", "fcip")) else
                                  "fcip.bad_frame", pframe, f"FCIP: {exc}")
            return
        provider.on_frame(frame, ts_ns, pframe)

    def on_gap(self, direction: int, size: int) -> None:
        """Frames lost with the gap: their sequences fail reassembly on their own."""

    def on_close(self) -> None:
        """Nothing pending: exchanges outlive the tunnel's connections."""


def provider(ctx: RunContext) -> FcProvider:
    """The run's FcProvider, created on first use and kept in ``ctx.apps``."""
    found = ctx.apps.get(PROVIDER)
    if found is None:
        found = ctx.apps[PROVIDER] = FcProvider(ctx)
    return found


def fcip_enabled(ctx: RunContext) -> bool:
    """AppBinding.enabled: some fc probe is enabled in this run."""
    return provider(ctx).listening


def fcip_stream_app(conn: Connection) -> FcipApp | None:
    """AppBinding factory: the FCIP StreamApp of one TCP connection."""
    found = provider(conn.ctx)
    return FcipApp(found, conn) if found.listening else None
