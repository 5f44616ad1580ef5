"""srp provider firings from SRP traffic, from the target's side (COMSTAR srpt).

Member values follow illumos libdtrace ``srp.d`` and where srpt fires each
probe (srpt_stp.c, srpt_ch.c):

* login-command at the CM REQ carrying SRP_LOGIN_REQ, login-response at the
  REP (SRP_LOGIN_RSP) or REJ (SRP_LOGIN_REJ); their conninfo_t comes from the
  session: ci_local the target port's GID, ci_remote the initiator's.
  srp.d fills ``reason_code`` from bytes 4-7 of the response IU whatever its
  type, so an accepted login reports its REQUEST LIMIT DELTA there too.
* task-command at every SRP_CMD and SRP_TSK_MGMT, scsi-command at every
  SRP_CMD; task-response at every SRP_RSP, scsi-response at an SRP_RSP that
  answers an SRP_CMD.  These take conninfo_t from the channel, through the
  srp.d translator that swaps the two GIDs (ci_local is the initiator's,
  ci_remote the target's: the guide's srpwho.d sample shows target GIDs as
  REMOTE GID for them); ci_protocol is "ib".
* xfer-start at each RDMA WRITE (data-in, xfer_type 1) or RDMA READ request
  (data-out, xfer_type 0) that moves a command's data, matched to the command
  by the R_Key and address of its buffer descriptors: xfer_raddr, xfer_rkey
  and xfer_len from the RETH, xfer_roffset the offset in that descriptor,
  xfer_loffset the bytes of the command moved before; xfer-done when it
  completes (the ACK of the last WRITE packet, the last READ response) with
  xfer_len and xfer_type only, as srpt's done probe passes.  The target's
  local buffer (xfer_laddr, xfer_lkey) is not on the wire: 0.
* logout-command at the first SRP_I_LOGOUT or initiator DREQ of a channel.
* service-up at a target port's first accepted login (the first REP from its
  GID), service-down when the target disconnects (DREQ) the last channel it
  has open: the wire shows a port only by its connections.
* pi_chan_id is the target's QP number of the channel (srpt reports its
  channel handle, a kernel address); ``self->`` is per channel.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

from pcapprobe.dissectors import ibcm, scsi
from pcapprobe.dissectors import srp as iu
from pcapprobe.dissectors._reader import DissectError
from pcapprobe.dissectors.infiniband import Reth
from pcapprobe.flows.rdma import INITIATOR, TARGET, Channel
from pcapprobe.probes.translators import io as io_translator
from pcapprobe.probes.translators.conninfo import ConnInfo
from pcapprobe.probes.translators.iscsi import ScsiCmd

if TYPE_CHECKING:
    from pcapprobe.pipeline import RunContext

Fire = Callable[[int, tuple, Hashable], None]

PROVIDER = "srp"
UNKNOWN = "<unknown>"
PROBES = ("service-up", "service-down", "login-command", "login-response", "logout-command",
          "task-command", "task-response", "scsi-command", "scsi-response", "xfer-start",
          "xfer-done")
XFER_DATA_OUT, XFER_DATA_IN = 0, 1  # srpt: RDMA READ is 0, RDMA WRITE 1
MAX_TASKS = 4096  # open tasks per channel; the oldest goes first


def eui(port_id: bytes) -> str:
    """srpt's EUI_STR: an 8-byte port identifier half as ``eui.`` and upper-case hex."""
    return f"eui.{port_id.hex().upper()}"


def alias(port_id: bytes) -> str:
    """srpt's ALIAS_STR: a 16-byte port identifier as two 64-bit hex halves."""
    return f"{port_id[:8].hex()}:{port_id[8:].hex()}"


def carries_login(req: ibcm.CmMessage) -> bool:
    """An SRP login in a CM REQ (T10 SRP r16a Annex A): SRP_LOGIN_REQ's type
    and reserved bytes, on a service ID that is not RDMA CM's."""
    data = req.private_data
    return (len(data) >= iu.LOGIN_REQ_LEN and data[0] == iu.SRP_LOGIN_REQ
            and not any(data[1:8]) and ibcm.rdma_cm_port(req.service_id) is None)


class PortInfo:
    """srp_portinfo_t of a session (pi_chan_id 0) or of a channel."""

    __slots__ = ("pi_initiator", "pi_i_sid", "pi_target", "pi_t_sid", "pi_chan_id")

    def __init__(self, initiator_id: bytes, target_id: bytes, chan_id: int) -> None:
        self.pi_initiator = eui(initiator_id[8:]) if initiator_id else UNKNOWN
        self.pi_i_sid = alias(initiator_id) if initiator_id else UNKNOWN
        self.pi_target = eui(target_id[:8]) if target_id else UNKNOWN
        self.pi_t_sid = alias(target_id) if target_id else UNKNOWN
        self.pi_chan_id = chan_id


class LoginInfo:
    """srp_logininfo_t of a login IU."""

    __slots__ = ("li_task_tag", "li_max_it_iu_len", "li_max_ti_iu_len", "li_request_limit",
                 "reason_code")

    def __init__(self, login: iu.Login) -> None:
        self.li_task_tag = login.tag
        self.li_max_it_iu_len = login.max_it_iu_len
        self.li_max_ti_iu_len = login.max_ti_iu_len
        response = login.type != iu.SRP_LOGIN_REQ
        self.li_request_limit = login.word4 if response else 0
        self.reason_code = login.word4 if response else 0


class TaskInfo:
    """srp_taskinfo_t: of a command, of a response, or of a task (xfer probes)."""

    __slots__ = ("ti_task_tag", "ti_lun", "ti_function", "ti_req_limit_delta", "ti_flag",
                 "ti_do_resid_cnt", "ti_di_resid_cnt", "ti_status")

    def __init__(self, tag: int, lun: int, function: int = 0, delta: int = 0, flags: int = 0,
                 do_resid: int = 0, di_resid: int = 0, status: int = 0) -> None:
        self.ti_task_tag = tag
        self.ti_lun = lun
        self.ti_function = function
        self.ti_req_limit_delta = delta
        self.ti_flag = flags
        self.ti_do_resid_cnt = do_resid
        self.ti_di_resid_cnt = di_resid
        self.ti_status = status


class XferInfo:
    """xferinfo_t of one RDMA operation (the target's local buffer: 0)."""

    __slots__ = ("xfer_loffset", "xfer_raddr", "xfer_roffset", "xfer_rkey", "xfer_len",
                 "xfer_type")

    xfer_laddr = 0
    xfer_lkey = 0

    def __init__(self, loffset: int, raddr: int, roffset: int, rkey: int, length: int,
                 xfer_type: int) -> None:
        self.xfer_loffset = loffset
        self.xfer_raddr = raddr
        self.xfer_roffset = roffset
        self.xfer_rkey = rkey
        self.xfer_len = length
        self.xfer_type = xfer_type


class Task:
    """An SRP_CMD or SRP_TSK_MGMT awaiting its SRP_RSP."""

    __slots__ = ("tag", "lun", "function", "scsi", "buffers", "moved", "io")

    def __init__(self, tag: int, lun: int, function: int, scsi_cmd: bool,
                 buffers: list[iu.Descriptor]) -> None:
        self.tag = tag
        self.lun = lun
        self.function = function
        self.scsi = scsi_cmd
        self.buffers = buffers
        self.moved = [0, 0]  # bytes of data-out, data-in moved so far
        self.io: io_translator.Request | None = None  # the initiator's block I/O


class Session:
    """What one channel's probes share: its argument structs and open tasks."""

    __slots__ = ("session_conn", "channel_conn", "session_port", "channel_port", "tasks",
                 "logged_out", "initiator_id", "target_id")

    def __init__(self, channel: Channel, login: iu.Login) -> None:
        initiator_gid, target_gid = channel.gids
        self.session_conn = ConnInfo(target_gid, initiator_gid, "ib")
        self.channel_conn = ConnInfo(initiator_gid, target_gid, "ib")  # srp.d's swap
        self.session_port = PortInfo(login.initiator_port_id, login.target_port_id, 0)
        self.channel_port = self.session_port
        self.tasks: dict[int, Task] = {}
        self.logged_out = False
        self.initiator_id = login.initiator_port_id
        self.target_id = login.target_port_id


class SrpProvider:
    """Per run: the srp handlers and the target ports seen (rdma.Upper)."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.fire: dict[str, Fire | None] = {name: ctx.handler(PROVIDER, name) for name in PROBES}
        self.io = io_translator.provider(ctx)  # the initiators' block I/O, from the same IUs
        self.listening = any(self.fire.values()) or self.io is not None
        self.sessions: dict[Channel, Session] = {}
        self.ports: dict[str, int] = {}  # target port GID -> channels open
        self.counts = ctx.report.layer("srp")

    def _fire(self, name: str, ts_ns: int, args: tuple, thread: Hashable) -> None:
        fire = self.fire[name]
        if fire is not None:
            fire(ts_ns, args, thread)

    def _weird(self, exc: DissectError, what: str) -> None:
        self.ctx.report.weird(exc.weird, None, f"SRP {what}: {exc}")

    # connection management -------------------------------------------------

    def on_connect(self, channel: Channel, req: ibcm.CmMessage, ts_ns: int) -> None:
        try:
            login = iu.decode_login(memoryview(req.private_data))
        except DissectError as exc:
            self._weird(exc, "login request")
            return
        session = self.sessions[channel] = Session(channel, login)
        self._fire("login-command", ts_ns, (session.session_conn, session.session_port,
                                            LoginInfo(login)), channel)

    def on_accept(self, channel: Channel, rep: ibcm.CmMessage, ts_ns: int) -> None:
        session = self.sessions.get(channel)
        if session is None:
            return
        session.channel_port = PortInfo(session.initiator_id, session.target_id,
                                        channel.qpns[TARGET])
        self._login_response(channel, session, rep, ts_ns)
        target_gid = channel.gids[TARGET]
        opened = self.ports.get(target_gid, 0)
        if target_gid not in self.ports:
            up = PortInfo(b"", session.target_id, 0)
            self._fire("service-up", ts_ns, (ConnInfo(target_gid, UNKNOWN, "ib"), up), channel)
        self.ports[target_gid] = opened + 1

    def on_reject(self, channel: Channel, rej: ibcm.CmMessage, ts_ns: int) -> None:
        session = self.sessions.pop(channel, None)
        if session is not None:
            self._login_response(channel, session, rej, ts_ns)

    def _login_response(self, channel: Channel, session: Session, msg: ibcm.CmMessage,
                        ts_ns: int) -> None:
        try:
            login = iu.decode_login(memoryview(msg.private_data))
        except DissectError as exc:
            self._weird(exc, "login response")
            return
        self._fire("login-response", ts_ns, (session.session_conn, session.session_port,
                                             LoginInfo(login)), channel)

    def on_disconnect(self, channel: Channel, sender: int, ts_ns: int) -> None:
        session = self.sessions.pop(channel, None)
        if session is None:
            return
        if sender == INITIATOR:
            self._logout(channel, session, ts_ns)
        target_gid = channel.gids[TARGET]
        left = self.ports.get(target_gid, 1) - 1
        self.ports[target_gid] = left
        if sender == TARGET and left == 0:
            down = PortInfo(b"", session.target_id, 0)
            self._fire("service-down", ts_ns, (ConnInfo(target_gid, UNKNOWN, "ib"), down),
                       channel)

    def _logout(self, channel: Channel, session: Session, ts_ns: int) -> None:
        if not session.logged_out:
            session.logged_out = True
            self._fire("logout-command", ts_ns, (session.session_conn, session.session_port),
                       channel)

    # information units -----------------------------------------------------------

    def on_message(self, channel: Channel, sender: int, data: bytes, ts_ns: int) -> None:
        session = self.sessions.get(channel)
        if session is None:
            return
        try:
            unit = iu.decode(memoryview(data))
        except DissectError as exc:
            self._weird(exc, "IU")
            return
        self.counts[iu.NAMES.get(data[0], "other IUs")] += 1
        if isinstance(unit, iu.Command) and sender == INITIATOR:
            self._command(channel, session, unit, ts_ns)
        elif isinstance(unit, iu.TaskManagement) and sender == INITIATOR:
            self._open(session, Task(unit.tag, unit.lun, unit.function, False, []))
            info = TaskInfo(unit.tag, unit.lun, unit.function)
            self._fire("task-command", ts_ns, (session.channel_conn, session.channel_port, info),
                       channel)
        elif isinstance(unit, iu.Response) and sender == TARGET:
            self._response(channel, session, unit, ts_ns)
        elif isinstance(unit, iu.Logout) and unit.type == iu.SRP_I_LOGOUT:
            self._logout(channel, session, ts_ns)

    def _open(self, session: Session, task: Task) -> None:
        tasks = session.tasks
        if len(tasks) >= MAX_TASKS:
            del tasks[next(iter(tasks))]
            self.counts["tasks forgotten unanswered"] += 1
        tasks[task.tag] = task

    def _command(self, channel: Channel, session: Session, cmd: iu.Command, ts_ns: int) -> None:
        task = Task(cmd.tag, cmd.lun, 0, True, cmd.data_out + cmd.data_in)
        self._open(session, task)
        if self.io is not None:
            # no Solaris driver names SRP disks
            task.io = self.io.scsi_command(channel.gids[INITIATOR], channel.gids[TARGET],
                                           scsi.lun_number(cmd.lun), cmd.cdb,
                                           lambda: io_translator.UNKNOWN, ts_ns)
        info = TaskInfo(cmd.tag, cmd.lun)
        conn, port = session.channel_conn, session.channel_port
        self._fire("task-command", ts_ns, (conn, port, info), channel)
        self._fire("scsi-command", ts_ns, (conn, port, ScsiCmd(cmd.cdb), info), channel)

    def _response(self, channel: Channel, session: Session, rsp: iu.Response,
                  ts_ns: int) -> None:
        task = session.tasks.pop(rsp.tag, None)
        lun, function = (task.lun, task.function) if task is not None else (0, 0)
        if task is not None and task.io is not None and self.io is not None:
            resid = rsp.data_in_residual if rsp.flags & iu.RSP_DIUNDER else (
                rsp.data_out_residual if rsp.flags & iu.RSP_DOUNDER else 0)
            self.io.scsi_status(task.io, rsp.status, resid, ts_ns)
        info = TaskInfo(rsp.tag, lun, function, rsp.req_limit_delta, rsp.flags,
                        rsp.data_out_residual, rsp.data_in_residual, rsp.status)
        conn, port = session.channel_conn, session.channel_port
        self._fire("task-response", ts_ns, (conn, port, info), channel)
        if task is None or task.scsi:
            self._fire("scsi-response", ts_ns, (conn, port, info), channel)

    # data ------------------------------------------------------------------------

    def on_rdma(self, channel: Channel, sender: int, read: bool, reth: Reth,
                ts_ns: int) -> object | None:
        """An RDMA READ request or WRITE from the target: the xfer of a command."""
        session = self.sessions.get(channel)
        if session is None or sender != TARGET:
            return None
        for task in session.tasks.values():
            for buffer in task.buffers:
                offset = reth.va - buffer.va
                if buffer.key == reth.r_key and 0 <= offset < max(buffer.length, 1):
                    direction = XFER_DATA_OUT if read else XFER_DATA_IN
                    moved = task.moved[direction]
                    task.moved[direction] = moved + reth.dma_len
                    xfer = XferInfo(moved, reth.va, offset, reth.r_key, reth.dma_len, direction)
                    args = (session.channel_conn, session.channel_port, xfer,
                            TaskInfo(task.tag, task.lun))
                    self._fire("xfer-start", ts_ns, args, channel)
                    return args
        self.counts["RDMA operations matching no command"] += 1
        return None

    def on_rdma_done(self, channel: Channel, token: object, ts_ns: int) -> None:
        conn, port, xfer, info = token  # type: ignore[misc]
        done = XferInfo(0, 0, 0, 0, xfer.xfer_len, xfer.xfer_type)
        self._fire("xfer-done", ts_ns, (conn, port, done, info), channel)


def factory(ctx: RunContext) -> SrpProvider | None:
    """rdma.UPPER factory: the srp provider when one of its probes is enabled."""
    provider = SrpProvider(ctx)
    return provider if provider.listening else None

