"""iscsi provider firings from iSCSI PDUs, from the target's side (COMSTAR iscsit).

Member values follow illumos libdtrace ``iscsit.d``: one translator per PDU
type decides which BHS word is ii_cmdsn/ii_statsn/ii_datasn (a target PDU
reports ExpCmdSN as ii_cmdsn, an initiator PDU ExpStatSN as ii_statsn), ii_lun
is the raw 8-byte LUN field (0 where the PDU has none), ii_isid is 12 hex
digits and ii_tsih ``0x%04x``.  Names are "<unknown>" until a login shows them
(captures that start mid-session); a discovery session has no target name ("").

One probe per PDU, by opcode: initiator PDUs are *-command/*-receive
(data-receive = Data-Out), target PDUs *-response/*-send (data-send = Data-In,
data-request = R2T).  SNACK and Reject have no probe.

xfer-start/xfer-done on sockets, one transfer per burst (RFC 7143 §4.2.4.1):
  * write, solicited: xfer-start at the R2T (xfer_len = Desired Data Transfer
    Length, xfer_loffset = Buffer Offset), xfer-done at the Data-Out with F set
    for that Target Transfer Tag;
  * immediate data (carried by the SCSI Command): xfer-start and xfer-done
    together at the command, after scsi-command, xfer_loffset 0 and xfer_len
    the PDU's data length, xfer_type 0 -- what COMSTAR's iscsit_post_scsi_cmd
    fires (it passes XFER_BUF_TX_TO_INI for immediate data);
  * write, unsolicited Data-Out (TTT 0xffffffff): xfer-start at the first,
    xfer_len = min(FirstBurstLength, expected length) minus its offset;
    xfer-done at the Data-Out with F set;
  * read: xfer-start at the first Data-In of a sequence; xfer_len = that PDU's
    data when F ends it, else what the command still expects from that offset;
    xfer-done at the Data-In with F set.
xfer-done reports the bytes the burst actually carried.  A task that ends
without its status (ABORT TASK, ABORT/CLEAR TASK SET, LUN RESET, target
warm/cold reset, logout of the session: ``IscsiConnection.tasks_ended``) gets
an xfer-done for every transfer that had its xfer-start, at the response that
ends it, with the bytes carried so far (COMSTAR's idm completes an aborted
task's buffers, firing xfer-done), so start and done always pair.  xfer_type is 0 for a
read (to the initiator) and 1 for a write (iscsit.d's XFER_BUF_TX_TO_INI /
XFER_BUF_RX_FROM_INI); the RDMA members are 0 and xfer_laddr is 0xffffffff,
what iscsit.d gives for a NULL buffer.  args[1] of xfer probes describes the
connection only (numeric members 0), as iscsit.d's idm_conn_t translator does.
The thread of every firing is the iSCSI session.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

from pcapprobe.dissectors import iscsi, scsi
from pcapprobe.dissectors._reader import DissectError
from pcapprobe.dissectors.iscsi import (
    FLAG_FINAL,
    FLAG_STATUS,
    FLAG_UNDERFLOW,
    ISCSI_OP_DATA_IN,
    ISCSI_OP_DATA_OUT,
    ISCSI_OP_LOGIN_REQ,
    ISCSI_OP_LOGIN_RSP,
    ISCSI_OP_LOGOUT_REQ,
    ISCSI_OP_LOGOUT_RSP,
    ISCSI_OP_R2T,
    ISCSI_OP_SCSI_CMD,
    ISCSI_OP_SCSI_RSP,
    ISCSI_OP_TASK_MGT_REQ,
    ISCSI_OP_TASK_MGT_RSP,
    ISCSI_OP_TEXT_REQ,
    ISCSI_OP_TEXT_RSP,
    TTT_RESERVED,
    UNKNOWN_NAME,
    IscsiConnection,
    IscsiSession,
    Pdu,
    SessionTable,
    Task,
)
from pcapprobe.flows.budget import IDLE, Age, StateBudget
from pcapprobe.probes.translators import io as io_translator
from pcapprobe.probes.translators.conninfo import ConnInfo, from_iscsi_connection

if TYPE_CHECKING:
    from pcapprobe.flows.connection import Connection
    from pcapprobe.pipeline import RunContext

Fire = Callable[[int, tuple, Hashable], None]

PROVIDER = "iscsi"
TRANSPORT = "sockets"
XFER_READ = 0  # XFER_BUF_TX_TO_INI
XFER_WRITE = 1  # XFER_BUF_RX_FROM_INI
XFER_IMMEDIATE = XFER_READ  # the type iscsit_post_scsi_cmd gives immediate data
NULL_BUFFER = 0xFFFFFFFF
_DATA_IN_BURST = -1  # key of the read burst in Task.burst (TTTs are 32-bit unsigned)

# opcode -> probe name (target perspective).
PROBES: dict[int, str] = {
    iscsi.ISCSI_OP_NOP_OUT: "nop-receive",
    iscsi.ISCSI_OP_SCSI_CMD: "scsi-command",
    iscsi.ISCSI_OP_TASK_MGT_REQ: "task-command",
    iscsi.ISCSI_OP_LOGIN_REQ: "login-command",
    iscsi.ISCSI_OP_TEXT_REQ: "text-command",
    iscsi.ISCSI_OP_DATA_OUT: "data-receive",
    iscsi.ISCSI_OP_LOGOUT_REQ: "logout-command",
    iscsi.ISCSI_OP_NOP_IN: "nop-send",
    iscsi.ISCSI_OP_SCSI_RSP: "scsi-response",
    iscsi.ISCSI_OP_TASK_MGT_RSP: "task-response",
    iscsi.ISCSI_OP_LOGIN_RSP: "login-response",
    iscsi.ISCSI_OP_TEXT_RSP: "text-response",
    iscsi.ISCSI_OP_DATA_IN: "data-send",
    iscsi.ISCSI_OP_LOGOUT_RSP: "logout-response",
    iscsi.ISCSI_OP_R2T: "data-request",
    iscsi.ISCSI_OP_ASYNC_MSG: "async-send",
}

# iscsit.d's per-PDU translators: where ii_itt, ii_lun, ii_ttt, ii_cmdsn,
# ii_statsn, ii_datasn, ii_datalen and ii_flags come from.  A string names a
# Pdu attribute (wNN = the BHS word at byte NN), an int is a constant.
_Source = str | int
LAYOUTS: dict[int, tuple[_Source, ...]] = {
    #                             itt    lun    ttt           cmdsn  statsn datasn datalen     flags
    iscsi.ISCSI_OP_SCSI_CMD:      ("itt", "lun", TTT_RESERVED, "w24", "w28", 0,     "data_len", "flags"),
    iscsi.ISCSI_OP_SCSI_RSP:      ("itt", 0,     TTT_RESERVED, "w28", "w24", "w36", "data_len", "flags"),
    iscsi.ISCSI_OP_TASK_MGT_REQ:  ("itt", "lun", "w20",        "w24", "w28", 0,     0,          0),
    iscsi.ISCSI_OP_TASK_MGT_RSP:  ("itt", 0,     "w20",        "w28", "w24", 0,     "data_len", "flags"),
    iscsi.ISCSI_OP_LOGIN_REQ:     ("itt", 0,     TTT_RESERVED, "w24", "w28", 0,     "data_len", "flags"),
    iscsi.ISCSI_OP_LOGIN_RSP:     ("itt", 0,     TTT_RESERVED, "w28", "w24", 0,     "data_len", "flags"),
    iscsi.ISCSI_OP_LOGOUT_REQ:    ("itt", 0,     TTT_RESERVED, "w24", "w28", 0,     0,          "flags"),
    iscsi.ISCSI_OP_LOGOUT_RSP:    ("itt", 0,     TTT_RESERVED, 0,     "w24", 0,     0,          "flags"),
    iscsi.ISCSI_OP_R2T:           ("itt", 0,     "w20",        "w28", "w24", "w36", 0,          "flags"),
    iscsi.ISCSI_OP_DATA_IN:       ("itt", "lun", "w20",        "w28", "w24", "w36", "data_len", "flags"),
    iscsi.ISCSI_OP_DATA_OUT:      ("itt", "lun", "w20",        0,     "w28", "w36", "data_len", "flags"),
    iscsi.ISCSI_OP_NOP_IN:        ("itt", "lun", "w20",        "w28", "w24", 0,     "data_len", "flags"),
    iscsi.ISCSI_OP_NOP_OUT:       ("itt", "lun", "w20",        "w24", "w28", 0,     "data_len", "flags"),
    iscsi.ISCSI_OP_TEXT_REQ:      ("itt", 0,     "w20",        "w24", "w28", 0,     "data_len", "flags"),
    iscsi.ISCSI_OP_TEXT_RSP:      ("itt", 0,     "w20",        "w28", "w24", 0,     "data_len", "flags"),
    iscsi.ISCSI_OP_ASYNC_MSG:     (0,     "lun", 0,            0,     "w24", 0,     "data_len", "flags"),
}  # fmt: skip


def _member(index: int) -> property:
    def get(self: PduInfo) -> int:
        source = LAYOUTS[self.opcode][index]
        return source if isinstance(source, int) else getattr(self, source)

    return property(get)


class _SessionMembers:
    """The iscsiinfo_t members that come from the session (read when asked for)."""

    __slots__ = ()

    session: IscsiSession
    ii_transport = TRANSPORT

    @property
    def ii_target(self) -> str:
        return self.session.target_name

    @property
    def ii_initiator(self) -> str:
        return self.session.initiator_name

    @property
    def ii_isid(self) -> str:
        return self.session.isid_text

    @property
    def ii_tsih(self) -> str:
        return f"0x{self.session.tsih:04x}"


class PduInfo(_SessionMembers, Pdu):
    """iscsiinfo_t of one PDU: the decoded Pdu itself (no second object per
    firing), its numeric members where iscsit.d takes them for its opcode.
    ``session`` is set when it fires."""

    __slots__ = ("session",)

    ii_itt = _member(0)
    ii_lun = _member(1)
    ii_ttt = _member(2)
    ii_cmdsn = _member(3)
    ii_statsn = _member(4)
    ii_datasn = _member(5)
    ii_datalen = _member(6)
    ii_flags = _member(7)


class ConnectionInfo(_SessionMembers):
    """iscsiinfo_t of the connection alone (args[1] of xfer probes): numeric members 0."""

    __slots__ = ("session",)

    ii_itt = ii_lun = ii_ttt = ii_cmdsn = ii_statsn = ii_datasn = ii_datalen = ii_flags = 0

    def __init__(self, session: IscsiSession) -> None:
        self.session = session


class ScsiCmd:
    """scsicmd_t: the whole CDB (16 bytes plus any extended-CDB AHS)."""

    __slots__ = ("ic_cdb",)

    def __init__(self, cdb: bytes) -> None:
        self.ic_cdb = cdb

    @property
    def ic_len(self) -> int:
        return len(self.ic_cdb)


class XferInfo:
    """xferinfo_t of one socket transfer (RDMA members 0)."""

    __slots__ = ("xfer_loffset", "xfer_len", "xfer_type")

    xfer_laddr = NULL_BUFFER
    xfer_lkey = 0
    xfer_raddr = 0
    xfer_roffset = 0
    xfer_rkey = 0

    def __init__(self, offset: int, length: int, xfer_type: int) -> None:
        self.xfer_loffset = offset
        self.xfer_len = length
        self.xfer_type = xfer_type


class _Burst(XferInfo):
    """A transfer in progress: the xferinfo_t its xfer-start fired with, and
    the bytes seen so far (what its xfer-done reports)."""

    __slots__ = ("carried",)

    def __init__(self, offset: int, length: int, xfer_type: int) -> None:
        self.xfer_loffset = offset
        self.xfer_len = length
        self.xfer_type = xfer_type
        self.carried = 0


# What an unanswered task costs (bytes): the Task, its CDB, the table entries.
TASK_COST = 600
# Tasks are charged to the budget when their number has moved this far (a
# charge per command would cost the per-PDU path a call).
SETTLE_TASKS = 256


class OpenTasks:
    """The tasks of every session still waiting for their status, oldest
    command first: an ``AgedTable`` of the run's state budget (a one-sided
    capture or a stuck target never answers them).  An evicted task is
    forgotten by its session: its status, should it come, matches nothing."""

    evicts = "iscsi tasks"

    def __init__(self, budget: StateBudget) -> None:
        self.ages: OrderedDict[tuple[IscsiSession, int], int] = OrderedDict()
        self.charged = 0  # tasks charged to the budget
        self.budget = budget
        budget.register(self)

    def opened(self, session: IscsiSession, itt: int, ts_ns: int) -> None:
        key = (session, itt)
        ages = self.ages
        if key in ages:
            ages.move_to_end(key)  # the tag reused: the old task was replaced
        ages[key] = ts_ns
        if len(ages) > self.charged + SETTLE_TASKS:
            self._settle()

    def closed(self, session: IscsiSession, itt: int) -> None:
        ages = self.ages
        if ages.pop((session, itt), None) is not None and len(ages) < self.charged - SETTLE_TASKS:
            self._settle()

    def _settle(self) -> None:
        count = len(self.ages)
        delta, self.charged = count - self.charged, count
        self.budget.charge(delta * TASK_COST)

    def oldest(self) -> Age | None:
        return (IDLE, next(iter(self.ages.values()))) if self.ages else None

    def evict(self, upto: Age, nbytes: int) -> tuple[int, int]:
        ages = self.ages
        entries = 0
        while ages and entries * TASK_COST < nbytes:
            (session, itt), ts = next(iter(ages.items()))
            if entries and (IDLE, ts) > upto:
                break
            del ages[(session, itt)]
            session.tasks.pop(itt, None)
            entries += 1
        # what was charged for them (the count since is charged at the next settle)
        released = min(entries, self.charged) * TASK_COST
        self.charged -= released // TASK_COST
        self.budget.release(released)
        return entries, released


# What a logged-in session costs (bytes): the IscsiSession with its names and
# negotiated keys (1.8 KB deep with the 7 keys of the fixtures' logins) and its
# two table entries.
SESSION_COST = 2000


class KnownSessions:
    """The sessions whose login completed (``SessionTable``), least recently
    logged in first: an ``AgedTable`` of the run's state budget (logins with
    ever new ISIDs would fill it).  An evicted session is forgotten by the
    table; its connections keep it, a new connection of it starts its own."""

    evicts = "iscsi sessions"

    def __init__(self, table: SessionTable, budget: StateBudget) -> None:
        self.table = table
        self.ages: OrderedDict[IscsiSession, int] = OrderedDict()
        self.budget = budget
        budget.register(self)

    def logged_in(self, session: IscsiSession, ts_ns: int) -> None:
        """After a login PDU: a session the table knows was logged into now."""
        if not self.table.knows(session):
            return
        ages = self.ages
        if session in ages:
            ages.move_to_end(session)
        else:
            self.budget.charge(SESSION_COST)
        ages[session] = ts_ns

    def oldest(self) -> Age | None:
        return (IDLE, next(iter(self.ages.values()))) if self.ages else None

    def evict(self, upto: Age, nbytes: int) -> tuple[int, int]:
        ages = self.ages
        entries = 0
        while ages and entries * SESSION_COST < nbytes:
            session, ts = next(iter(ages.items()))
            if entries and (IDLE, ts) > upto:
                break
            del ages[session]
            self.table.forget(session)
            entries += 1
        self.budget.release(entries * SESSION_COST)
        return entries, entries * SESSION_COST


class IscsiProvider:
    """Per run: the session table, the open tasks and the iscsi probe handlers."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.sessions = SessionTable()
        self.known = KnownSessions(self.sessions, ctx.budget)
        self.tasks = OpenTasks(ctx.budget)
        # Indexed by opcode (6 bits), a tuple: the handler of its probe or None;
        # looked up for every PDU, so no dict.
        self.fire: tuple[Fire | None, ...] = tuple(
            ctx.handler(PROVIDER, PROBES[opcode]) if opcode in PROBES else None
            for opcode in range(64))
        self.xfer_start = ctx.handler(PROVIDER, "xfer-start")
        self.xfer_done = ctx.handler(PROVIDER, "xfer-done")
        self.xfers = self.xfer_start is not None or self.xfer_done is not None
        # The initiator's block I/O (io provider), from the same commands.
        self.io = io_translator.provider(ctx)
        self.listening = any(self.fire) or self.xfers or self.io is not None
        self.counts = ctx.report.layer("iscsi")

    def app(self, client: str, server: str, ipv6: bool,
            conn: Connection | None = None) -> IscsiApp:
        """The StreamApp of one TCP connection between ``client`` and ``server``;
        ``conn.frame`` names the packet of a weird."""
        return IscsiApp(self, client, server, ipv6, conn)


class IscsiApp:
    """The StreamApp of one connection: frames, decodes, tracks and fires."""

    min_header = iscsi.BHS_LEN
    pdu_class: type[PduInfo] = PduInfo  # iscsiinfo_t of the transport's PDUs

    def __init__(self, provider: IscsiProvider, client: str, server: str, ipv6: bool,
                 conn: Connection | None = None) -> None:
        self.provider = provider
        self.conn = conn
        self.state = IscsiConnection()
        self.addresses = (client, server)
        self.ipv6 = ipv6
        self.conninfo: ConnInfo | None = None
        self.connection_info: ConnectionInfo | None = None  # args[1] of xfer probes
        self.pdu_length = self.state.pdu_length
        self.resync_length = self.state.resync_length
        # The provider's, read for every PDU: one attribute away, not two.
        self.fire = provider.fire
        self.xfers = provider.xfers
        self.io = provider.io
        self.tpgt: int | None = None  # TargetPortalGroupTag of the login (device paths)

    def _weird(self, name: str, detail: str) -> None:
        # The packet named is the one whose segment completed the PDU.
        conn = self.conn
        self.provider.ctx.report.weird(name, conn.frame if conn is not None else None, detail)

    def on_pdu(self, view: memoryview, direction: int, ts_ns: int) -> None:
        if len(view) < iscsi.BHS_LEN:
            return  # the data digest of the PDU before (IscsiConnection._digest_follows)
        try:
            pdu = self.state.decode(view, direction, self.pdu_class)
        except DissectError as exc:
            self._weird(exc.weird if exc.weird.startswith("iscsi.") else "iscsi.bad_pdu",
                        f"iSCSI: {exc}")
            return
        if pdu.header_digest_ok is False or pdu.data_digest_ok is False:
            self._digest_mismatch(pdu)
        self._fire(pdu, direction, ts_ns, True)

    def on_partial(self, front: memoryview, length: int, direction: int, ts_ns: int) -> None:
        """A PDU the capture cut (snap length, or a hole in its data segment):
        fired from its header when its BHS was captured; counts come
        from the header (DataSegmentLength), never from the bytes seen."""
        pdu = self.state.decode_front(front, direction, self.pdu_class)
        counts = self.provider.counts
        if pdu is None:
            counts["PDUs cut inside their header"] += 1
            return
        counts["PDUs cut after their header"] += 1
        self._fire(pdu, direction, ts_ns, False)

    def _fire(self, pdu: PduInfo, direction: int, ts_ns: int, whole: bool) -> None:
        """Track and fire one decoded PDU (``whole``: its data segment too)."""
        state = self.state
        opcode = pdu.opcode
        conninfo = self.conninfo
        if conninfo is None:
            conninfo = self._connected(opcode, direction)
        if opcode in _KEY_OPCODES:
            if whole:
                self._keys(pdu)
            else:
                state.keys_cut(pdu, self.provider.sessions)
            if opcode == ISCSI_OP_LOGIN_RSP:
                self.provider.known.logged_in(state.session, ts_ns)
        task = state.track(pdu) if opcode in _TASK_OPCODES else None
        if task is not None:
            if opcode == ISCSI_OP_SCSI_CMD:
                self.provider.tasks.opened(state.session, pdu.itt, ts_ns)
            elif task.status is not None:  # the PDU that ended it
                self.provider.tasks.closed(state.session, pdu.itt)
        fire = self.fire[opcode]
        if fire is not None:
            session = pdu.session = state.session
            if opcode == ISCSI_OP_SCSI_CMD:
                assert task is not None  # track() opens a task for every command
                fire(ts_ns, (conninfo, pdu, ScsiCmd(task.cdb)), session)
            else:
                fire(ts_ns, (conninfo, pdu), session)
        if task is not None:
            if self.xfers:
                self._transfer(pdu, task, ts_ns)
            if self.io is not None:
                self._block_io(pdu, task, conninfo, ts_ns)
        elif opcode in _TASK_END_OPCODES:
            for ended in state.tasks_ended(pdu):
                self._abort_transfers(ended, ts_ns)

    def _digest_mismatch(self, pdu: Pdu) -> None:
        if pdu.header_digest_ok is False:
            self._weird("iscsi.header_digest_mismatch", f"iSCSI {pdu.name}: header digest mismatch")
        if pdu.data_digest_ok is False:
            self._weird("iscsi.data_digest_mismatch", f"iSCSI {pdu.name}: data digest mismatch")

    def _connected(self, opcode: int, direction: int) -> ConnInfo:
        """conninfo_t, once the first PDU shows which side is the target."""
        initiator_sent = opcode < 0x20
        target = self.addresses[1 - direction if initiator_sent else direction]
        initiator = self.addresses[direction if initiator_sent else 1 - direction]
        conninfo = self.conninfo = from_iscsi_connection(initiator, target, self.ipv6)
        return conninfo

    def _keys(self, pdu: Pdu) -> None:
        """Login and text PDUs: collect their keys into the session."""
        state = self.state
        try:
            if pdu.opcode in (ISCSI_OP_LOGIN_REQ, ISCSI_OP_LOGIN_RSP):
                pairs = state.login_or_text(pdu)
                state.on_login(pdu, pairs, self.provider.sessions)
                self._portal_group(pairs)
            else:
                pairs = state.login_or_text(pdu)
                if pairs:
                    state.session.learn_keys(pairs, login=False)
        except DissectError as exc:
            self._weird(exc.weird, f"iSCSI {pdu.name}: {exc}")

    def _portal_group(self, pairs: list[tuple[str, str]] | None) -> None:
        """TargetPortalGroupTag, which Solaris's initiator puts in device paths."""
        for key, value in pairs or ():
            if key == "TargetPortalGroupTag" and value.isdigit():
                self.tpgt = int(value)

    def _block_io(self, pdu: Pdu, task: Task, conninfo: ConnInfo, ts_ns: int) -> None:
        """io:::start/done of the initiator for the block commands of the session."""
        io = self.io
        assert io is not None
        opcode = pdu.opcode
        if opcode == ISCSI_OP_SCSI_CMD:
            session = self.state.session
            target = session.target_name
            lun = scsi.lun_number(task.lun)
            task.io = io.scsi_command(
                conninfo.ci_remote, target if target != UNKNOWN_NAME else conninfo.ci_local,
                lun, task.cdb, lambda: self._device_path(target, lun), ts_ns)
            return
        request = task.io
        if request is None:
            return
        if opcode == ISCSI_OP_DATA_IN:
            io.scsi_data_in(request, task.cdb, pdu.data, pdu.w40)  # type: ignore[arg-type]
            if not pdu.flags & FLAG_STATUS:
                return
            status = pdu.status
        elif opcode == ISCSI_OP_SCSI_RSP:
            # A non-zero iSCSI Response (§11.4.3) is a target failure: no SCSI status.
            status = pdu.status if pdu.spec >> 8 == 0 else -1
        else:
            return
        residual = pdu.w44 if pdu.flags & FLAG_UNDERFLOW else 0
        io.scsi_status(request, status, residual, ts_ns)  # type: ignore[arg-type]

    def _device_path(self, target: str, lun: int) -> str:
        """dev_pathname as Solaris's iSCSI initiator names its disks:
        ``/devices/iscsi/disk@0000<TargetName><TPGT>,<LUN>:a`` (':' escaped)."""
        if target == UNKNOWN_NAME or self.tpgt is None:
            return io_translator.UNKNOWN
        name = target.replace("%", "%25").replace(":", "%3A")
        return f"/devices/iscsi/disk@0000{name}{self.tpgt:04X},{lun:X}:a"

    def _transfer(self, pdu: Pdu, task: Task, ts_ns: int) -> None:
        """xfer-start/xfer-done for the burst this PDU starts, continues or ends."""
        bursts: dict[int, _Burst] | None = task.burst  # type: ignore[assignment]
        if bursts is None:
            bursts = task.burst = {}
        opcode = pdu.opcode
        final = pdu.flags & FLAG_FINAL
        if opcode == ISCSI_OP_DATA_IN:
            key = _DATA_IN_BURST
            burst = bursts.get(key)
            if burst is None:
                length = pdu.data_len if final else max(task.expected_len - pdu.w40, pdu.data_len)
                burst = bursts[key] = self._start(pdu.w40, length, XFER_READ, ts_ns)
        elif opcode == ISCSI_OP_DATA_OUT:
            key = pdu.w20
            burst = bursts.get(key)
            if burst is None:
                if key == TTT_RESERVED:
                    length = min(self.state.session.param_int("FirstBurstLength"),
                                 task.expected_len) - pdu.w40
                else:  # its R2T was not captured
                    length = task.expected_len - pdu.w40
                length = pdu.data_len if final else max(length, pdu.data_len)
                burst = bursts[key] = self._start(pdu.w40, length, XFER_WRITE, ts_ns)
        elif opcode == ISCSI_OP_SCSI_CMD:
            if pdu.data_len:  # immediate data: one transfer, done at once
                burst = self._start(0, pdu.data_len, XFER_IMMEDIATE, ts_ns)
                burst.carried = pdu.data_len
                self._done(burst, ts_ns)
            return
        elif opcode == ISCSI_OP_R2T:
            # Desired Data Transfer Length (word 44) at Buffer Offset (word 40).
            bursts[pdu.w20] = self._start(pdu.w40, pdu.w44, XFER_WRITE, ts_ns)
            return
        else:
            return
        burst.carried += pdu.data_len
        if final:
            del bursts[key]
            self._done(burst, ts_ns)

    def _abort_transfers(self, task: Task, ts_ns: int) -> None:
        """A task ended without its status: each transfer still open is done."""
        bursts: dict[int, _Burst] | None = task.burst  # type: ignore[assignment]
        if bursts:
            for burst in bursts.values():
                self._done(burst, ts_ns)
            bursts.clear()

    def _connection_info(self) -> ConnectionInfo:
        """args[1] of xfer probes, one per connection and session."""
        info = self.connection_info
        session = self.state.session
        if info is None or info.session is not session:
            info = self.connection_info = ConnectionInfo(session)
        return info

    def _start(self, offset: int, length: int, xfer_type: int, ts_ns: int) -> _Burst:
        burst = _Burst(offset, length, xfer_type)
        fire = self.provider.xfer_start
        if fire is not None:
            fire(ts_ns, (self.conninfo, self._connection_info(), burst), self.state.session)
        return burst

    def _done(self, burst: _Burst, ts_ns: int) -> None:
        fire = self.provider.xfer_done
        if fire is not None:
            xfer = XferInfo(burst.xfer_loffset, burst.carried, burst.xfer_type)
            fire(ts_ns, (self.conninfo, self._connection_info(), xfer), self.state.session)

    def on_gap(self, direction: int, size: int) -> None:
        self.state.lost(direction)
        self.provider.counts["bytes lost in gaps"] += size

    def on_close(self) -> None:
        """Nothing pending: the session outlives its connections (§6.3)."""


_TASK_OPCODES = frozenset({ISCSI_OP_SCSI_CMD, ISCSI_OP_SCSI_RSP, ISCSI_OP_DATA_IN,
                           ISCSI_OP_DATA_OUT, ISCSI_OP_R2T})
# PDUs that may end tasks without their status (IscsiConnection.tasks_ended).
_TASK_END_OPCODES = frozenset({ISCSI_OP_TASK_MGT_REQ, ISCSI_OP_TASK_MGT_RSP,
                               ISCSI_OP_LOGOUT_REQ, ISCSI_OP_LOGOUT_RSP})
_KEY_OPCODES = frozenset({ISCSI_OP_LOGIN_REQ, ISCSI_OP_LOGIN_RSP, ISCSI_OP_TEXT_REQ,
                          ISCSI_OP_TEXT_RSP})


def provider_of(ctx: RunContext) -> IscsiProvider:
    """The run's IscsiProvider (session table, handlers), created on first use
    and kept in ``ctx.apps``: it goes when the run does."""
    provider = ctx.apps.get(PROVIDER)
    if provider is None:
        provider = ctx.apps[PROVIDER] = IscsiProvider(ctx)
    return provider


def enabled(ctx: RunContext) -> bool:
    """AppBinding.enabled: some iscsi probe is enabled in this run."""
    return provider_of(ctx).listening


def stream_app(conn: Connection) -> IscsiApp | None:
    """AppBinding factory: the iSCSI StreamApp of one TCP connection (None when
    no iscsi probe is enabled: the flow is then neither framed nor decoded)."""
    provider = provider_of(conn.ctx)
    if not provider.listening:
        return None
    return provider.app(conn.client[0], conn.server[0], conn.ipv6, conn)
