"""nfsv4 provider: NFSv4 COMPOUNDs and callbacks -> compound-*, op-*, cb-* probes.

From the server's perspective, as nfsv3: the call fires ``compound-op-start``
then each operation's ``op-<name>-start`` in order, at the call's timestamp;
the reply fires each result's ``op-<name>-done`` in order, then
``compound-op-done``, at the reply's timestamp.

Stop at the first error.  Solaris's ``rfs4_compound`` runs the operations in
order and stops after the first whose status is not NFS4_OK; each
``rfs4_op_*`` fires its own start and done, so the operations after the
failing one fire neither.  The reply carries exactly the results of the
operations evaluated (RFC 7530 §15.2), so ``-done`` fires for those and no
more.  A capture shows the call before anyone knows which operation will
fail, so every operation of the call fires ``-start`` (what tshark counts in
calls); the operations the server never evaluated are the ones with a
``-start`` and no ``-done``.

``noi_curpath`` is the path of the current filehandle at that operation, the
server's ``cs->vp``: PUTFH (the handle's path from the ``PathMap`` shared with
nfsv3 and ``--nfs-paths``), PUTROOTFH ("/"), LOOKUP, LOOKUPP, OPEN by name,
CREATE (the directory at ``-start``, the object at ``-done``), SAVEFH and
RESTOREFH; GETFH results name handles in the map, RENAME, REMOVE and LINK
update it.  ``compound-op-start`` has no current filehandle yet
("<unknown>"); ``compound-op-done`` has the last one.

NFSv4.1/4.2 operations Solaris has no probe for fire pcapprobe's extension
probes (``op-sequence-start``...).  Callbacks (CB_COMPOUND on the program a
SETCLIENTID, CREATE_SESSION or BACKCHANNEL_CTL named, on a callback connection
or the 4.1 backchannel) fire ``compound-cb-*``, ``cb-recall-*`` and
``cb-getattr-*``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

from pcapprobe.dissectors import nfs4
from pcapprobe.dissectors._reader import DissectError
from pcapprobe.dissectors.oncrpc import RpcCall, RpcReply
from pcapprobe.probes import catalog
from pcapprobe.probes.translators import io as io_translator
from pcapprobe.probes.translators.conninfo import ConnInfo
from pcapprobe.probes.translators.nfsv3 import UNKNOWN_PATH, Cred, Credentials, PathMap

if TYPE_CHECKING:
    from pcapprobe.pipeline import RunContext
    from pcapprobe.probes.translators.oncrpc import Peer

Fire = Callable[[int, tuple, Hashable], None]

PROVIDER = "nfsv4"
ROOT_PATH = "/"
CALLBACK_VERSION = 1  # RFC 7530 §16.2, RFC 8881 §20: NFS_CB version 1


class OpInfo:
    """nfsv4opinfo_t."""

    __slots__ = ("noi_curpath", "noi_cred", "noi_xid")

    def __init__(self, curpath: str, cred: Cred, xid: int) -> None:
        self.noi_curpath = curpath
        self.noi_cred = cred
        self.noi_xid = xid


class CbInfo:
    """nfsv4cbinfo_t."""

    __slots__ = ("nci_curpath",)

    def __init__(self, curpath: str) -> None:
        self.nci_curpath = curpath


class CurrentFh:
    """The current (or saved) filehandle of a COMPOUND: its bytes when known,
    its path, and the (directory handle, name) it was reached by."""

    __slots__ = ("fh", "path", "parent", "name")

    def __init__(self, fh: bytes | None, path: str, parent: bytes | None = None,
                 name: str | None = None) -> None:
        self.fh = fh
        self.path = path
        self.parent = parent
        self.name = name


NO_FH = CurrentFh(None, UNKNOWN_PATH)


def child_path(directory: str, name: str) -> str:
    """The path of ``name`` in ``directory`` (unknown under an unknown one)."""
    if directory == UNKNOWN_PATH:
        return UNKNOWN_PATH
    return directory + name if directory.endswith("/") else f"{directory}/{name}"


def parent_path(path: str) -> str:
    """The directory LOOKUPP goes to ("/" is its own parent)."""
    if path == UNKNOWN_PATH or path == ROOT_PATH:
        return path
    return path.rsplit("/", 1)[0] or ROOT_PATH


def _opened_name(args: Any) -> str | None:
    """The name an OPEN makes current (CLAIM_FH and the like open the current file)."""
    claim = args.claim
    union = args.open_claim4_u
    if claim == nfs4.CLAIM_NULL:
        return union.file.utf8string_val
    if claim == nfs4.CLAIM_DELEGATE_CUR:
        return union.delegate_cur_info.file.utf8string_val
    if claim == nfs4.CLAIM_DELEGATE_PREV:
        return union.file_delegate_prev.utf8string_val
    return None


class Compound:
    """One COMPOUND's current and saved filehandles, moved operation by
    operation as the server does (``_MOVES``: each move gets the operation's
    arguments and, from a reply, its successful result, which may also name
    handles in the map)."""

    __slots__ = ("paths", "current", "saved")

    def __init__(self, paths: PathMap) -> None:
        self.paths = paths
        self.current = NO_FH
        self.saved = NO_FH

    def path(self) -> str:
        current = self.current
        if current.fh is not None:
            paths = self.paths
            known = paths.resolved(current.fh) or paths.path(current.fh)
            if known != UNKNOWN_PATH:
                return known
        return current.path

    def _child(self, name: str) -> CurrentFh:
        current = self.current
        return CurrentFh(None, child_path(self.path(), name), current.fh, name)

    def _putfh(self, args: Any, res: Any) -> None:
        key = args.object.nfs_fh4_val
        self.current = CurrentFh(key, self.paths.path(key))

    def _putrootfh(self, args: Any, res: Any) -> None:
        self.current = CurrentFh(None, ROOT_PATH)

    def _no_fh(self, args: Any, res: Any) -> None:
        """PUTPUBFH, OPENATTR: a handle whose path the capture does not give."""
        self.current = NO_FH

    def _lookup(self, args: Any, res: Any) -> None:
        """LOOKUP, CREATE: the named object."""
        self.current = self._child(args.objname.utf8string_val)

    def _open(self, args: Any, res: Any) -> None:
        name = _opened_name(args)
        if name is not None:
            self.current = self._child(name)

    def _lookupp(self, args: Any, res: Any) -> None:
        self.current = CurrentFh(None, parent_path(self.path()))

    def _savefh(self, args: Any, res: Any) -> None:
        self.saved = self.current

    def _restorefh(self, args: Any, res: Any) -> None:
        self.current = self.saved

    def _getfh(self, args: Any, res: Any) -> None:
        """A GETFH result names the current handle in the map (RFC 7530 §16.8)."""
        if res is None:
            return
        current = self.current
        key = res.object.nfs_fh4_val
        if current.parent is not None and current.name is not None:
            self.paths.name(key, current.parent, current.name)
        elif current.fh is None and current.path != UNKNOWN_PATH:
            self.paths.root(key, current.path)
        self.current = CurrentFh(key, current.path, current.parent, current.name)

    def _remove(self, args: Any, res: Any) -> None:
        if res is not None and self.current.fh is not None:
            self.paths.unlink(self.current.fh, args.target.utf8string_val)

    def _rename(self, args: Any, res: Any) -> None:
        """RENAME: the saved handle is the source directory (RFC 7530 §16.26)."""
        if res is not None and self.current.fh is not None and self.saved.fh is not None:
            self.paths.rename(self.saved.fh, args.oldname.utf8string_val, self.current.fh,
                              args.newname.utf8string_val)

    def _link(self, args: Any, res: Any) -> None:
        """LINK: the saved handle is the file, the current one the directory (§16.9)."""
        if res is not None and self.current.fh is not None and self.saved.fh is not None:
            self.paths.link(self.saved.fh, self.current.fh, args.newname.utf8string_val)


# How each operation moves the current filehandle or names handles.
_MOVES: dict[int, Callable[[Compound, Any, Any], None]] = {
    nfs4.OP_PUTFH: Compound._putfh,
    nfs4.OP_PUTROOTFH: Compound._putrootfh,
    nfs4.OP_PUTPUBFH: Compound._no_fh,
    nfs4.OP_OPENATTR: Compound._no_fh,
    nfs4.OP_LOOKUP: Compound._lookup,
    nfs4.OP_CREATE: Compound._lookup,
    nfs4.OP_OPEN: Compound._open,
    nfs4.OP_LOOKUPP: Compound._lookupp,
    nfs4.OP_SAVEFH: Compound._savefh,
    nfs4.OP_RESTOREFH: Compound._restorefh,
    nfs4.OP_GETFH: Compound._getfh,
    nfs4.OP_REMOVE: Compound._remove,
    nfs4.OP_RENAME: Compound._rename,
    nfs4.OP_LINK: Compound._link,
}


class Pending:
    """What a COMPOUND's reply needs from its call."""

    __slots__ = ("ops", "cred", "xid", "peer", "cut")

    def __init__(self, ops: list[tuple[int, Any]], cred: Cred, xid: int, peer: Peer,
                 cut: bool = False) -> None:
        self.ops = ops  # (opcode, arguments the reply's walk needs, else None)
        self.cred = cred
        self.xid = xid
        self.peer = peer
        self.cut = cut  # the capture cut the call: its later operations are not known


_NULL_CALL = object()  # NFSPROC4_NULL: no probe
_NOT_CAPTURED = object()  # the arguments of an operation past a cut call's captured bytes


def _handler(ctx: RunContext, name: str) -> Fire | None:
    """The handler of one probe; a probe without args[2] (op-restorefh-*,
    op-illegal-start) is handed the first two arguments only."""
    fire = ctx.handler(PROVIDER, name)
    if fire is None or len(catalog.PROVIDERS[PROVIDER][name].args) > 2:
        return fire
    whole = fire

    def fire_two(ts_ns: int, args: tuple, thread: Hashable) -> None:
        whole(ts_ns, args[:2], thread)

    return fire_two


def _handlers(ctx: RunContext, table: dict[int, nfs4.Operation], prefix: str,
              suffix: str) -> dict[int, Fire | None]:
    return {code: _handler(ctx, f"{prefix}{op.name}-{suffix}") for code, op in table.items()}


class Nfsv4Provider:
    """Per run: the nfsv4 probes' handlers, program 100003 version 4."""

    def __init__(self, ctx: RunContext, paths: PathMap) -> None:
        self.ctx = ctx
        self.paths = paths
        self.compound_start = ctx.handler(PROVIDER, "compound-op-start")
        self.compound_done = ctx.handler(PROVIDER, "compound-op-done")
        self.start = _handlers(ctx, nfs4.NFS4_OPERATIONS, "op-", "start")
        self.done = _handlers(ctx, nfs4.NFS4_OPERATIONS, "op-", "done")
        self.callback = CallbackProgram(ctx, paths)
        self.listening = (self.compound_start is not None or self.compound_done is not None
                          or any(self.start.values()) or any(self.done.values())
                          or self.callback.listening)
        # The client's file I/O (io provider), from READ and WRITE operations.
        self.io = io_translator.provider(ctx)
        self.listening = self.listening or self.io is not None
        self.creds = Credentials()
        self.counts = ctx.report.layer("nfsv4")
        self._private_noticed = False

    def on_call(self, call: RpcCall, peer: Peer, ts_ns: int) -> object | None:
        if call.proc == nfs4.NFSPROC4_NULL or not self.listening:
            return _NULL_CALL  # (paired, so the reply is not taken for an orphan)
        if call.proc != nfs4.NFSPROC4_COMPOUND:
            peer.weird("nfs4.bad_procedure", f"NFSv4 call with procedure {call.proc}")
            return None
        self.counts["compounds"] += 1
        try:
            args = nfs4.decode_compound_call(call.body)
        except DissectError as exc:
            peer.weird("nfs4.bad_call", f"NFSv4 COMPOUND call: {exc}")
            return None
        cred = self.creds.of(call)
        conninfo, thread = peer.conninfo, peer.thread
        if self.compound_start is not None:
            self.compound_start(ts_ns, (conninfo, OpInfo(UNKNOWN_PATH, cred, call.xid), args),
                                thread)
        compound = Compound(self.paths)
        start = self.start
        # What the reply needs: the opcodes, and the arguments of the operations
        # that move the filehandle (not READ/WRITE data: the table holds them).
        kept = []
        for opcode, op_args in args.array:
            fire = start[opcode]
            if fire is not None:
                fire(ts_ns, (conninfo, OpInfo(compound.path(), cred, call.xid), op_args), thread)
            move = _MOVES.get(opcode)
            if move is not None:
                move(compound, op_args, None)
                kept.append((opcode, op_args))
                continue
            if opcode in _IO_OPS and self.io is not None:
                kept.append((opcode, self._client_io(peer, compound, opcode, op_args, ts_ns)))
                continue
            kept.append((opcode, None))
            if opcode in _CALLBACK_SETUP:
                self._callback_program(opcode, op_args)
        if args.error is not None and not call.cut:
            peer.weird(args.error.weird if args.error.weird.startswith("nfs4.") else
                       "nfs4.bad_call", f"NFSv4 COMPOUND call: {args.error}")
        return Pending(kept, cred, call.xid, peer, call.cut)

    def _client_io(self, peer: Peer, compound: Compound, opcode: int, args: Any,
                   ts_ns: int) -> io_translator.Request | None:
        """io:::start of the client's READ or WRITE on the current filehandle."""
        assert self.io is not None
        write = opcode == nfs4.OP_WRITE
        fh = compound.current.fh
        conninfo = peer.conninfo
        return self.io.nfs_call(conninfo.ci_remote, conninfo.ci_local,
                                self.paths.export_of(fh) if fh is not None else None,
                                compound.path(), args.offset,
                                args.data_len if write else args.count, write,
                                args.stable if write else 0, ts_ns, fs=NFS4_FS)

    def _client_io_done(self, request: Any, opcode: int, result: Any, ts_ns: int) -> None:
        if isinstance(request, io_translator.Request) and self.io is not None:
            count = result.count if opcode == nfs4.OP_WRITE else result.data_len
            self.io.nfs_reply(request, result[0], count if result[0] == nfs4.NFS4_OK else 0,
                              ts_ns)

    def on_reply(self, reply: RpcReply, pending: Any, ts_ns: int) -> None:
        if pending is _NULL_CALL:
            return
        if not reply.success:
            self.counts["replies: RPC error"] += 1
            for opcode, request in pending.ops:  # the client's RPC layer fails them: EIO
                if isinstance(request, io_translator.Request) and self.io is not None:
                    self.io.nfs_reply(request, io_translator.EIO, 0, ts_ns)
            return
        peer = pending.peer
        try:
            res = nfs4.decode_compound_reply(reply.body)
        except DissectError as exc:
            peer.weird("nfs4.bad_reply", f"NFSv4 COMPOUND reply: {exc}")
            return
        calls = pending.ops
        compound = Compound(self.paths)
        conninfo, thread, cred, xid = peer.conninfo, peer.thread, pending.cred, pending.xid
        done = self.done
        if len(res.array) > len(calls) and not pending.cut:
            peer.weird("nfs4.reply_mismatch",
                       f"NFSv4 COMPOUND reply: {len(res.array)} results to {len(calls)} operations")
            return
        for index, (opcode, result) in enumerate(res.array):
            if index < len(calls):
                call_opcode, op_args = calls[index]
                if call_opcode != opcode:
                    peer.weird("nfs4.reply_mismatch",
                               f"NFSv4 COMPOUND reply: result of operation {opcode} to "
                               f"{call_opcode}")
                    return
            else:
                op_args = _NOT_CAPTURED  # past what the cut call showed
            if result[0] == nfs4.NFS4_OK:
                move = _MOVES.get(opcode)
                if op_args is _NOT_CAPTURED:
                    if move is not None:  # where it moved the handle is not known
                        compound.current = NO_FH
                elif move is not None:
                    move(compound, op_args, result)
            if opcode in _IO_OPS:
                self._client_io_done(op_args, opcode, result, ts_ns)
            fire = done[opcode]
            if fire is not None:
                fire(ts_ns, (conninfo, OpInfo(compound.path(), cred, xid), result), thread)
        if res.error is not None and not reply.cut:
            peer.weird(res.error.weird if res.error.weird.startswith("nfs4.") else
                       "nfs4.bad_reply", f"NFSv4 COMPOUND reply: {res.error}")
        if self.compound_done is not None:
            self.compound_done(ts_ns, (conninfo, OpInfo(compound.path(), cred, xid), res), thread)

    # RPCSEC_GSS privacy (krb5p): arguments and results are encrypted.

    def on_private_call(self, call: RpcCall, peer: Peer, ts_ns: int) -> object | None:
        """A krb5p call: compound-op-start with no COMPOUND4args (NULL), no op probes."""
        if call.proc != nfs4.NFSPROC4_COMPOUND:
            return _NULL_CALL
        self.counts["compounds"] += 1
        self.counts["krb5p compounds (operations encrypted)"] += 1
        if not self._private_noticed:
            self._private_noticed = True
            peer.weird("nfs4.gss_privacy",
                       "NFSv4: RPCSEC_GSS privacy (krb5p): operations are encrypted, only "
                       "compound-op-start/done fire for them (see --stats)")
        cred = self.creds.of(call)
        if self.compound_start is not None:
            self.compound_start(ts_ns, (peer.conninfo, OpInfo(UNKNOWN_PATH, cred, call.xid),
                                        None), peer.thread)
        return Pending([], cred, call.xid, peer)  # krb5p: the operations are encrypted

    def on_private_reply(self, reply: RpcReply, pending: Any, ts_ns: int) -> None:
        if pending is _NULL_CALL or not reply.success or self.compound_done is None:
            return
        peer = pending.peer
        self.compound_done(ts_ns, (peer.conninfo, OpInfo(UNKNOWN_PATH, pending.cred,
                                                         pending.xid), None), peer.thread)

    def _callback_program(self, opcode: int, args: Any) -> None:
        """SETCLIENTID (4.0), CREATE_SESSION and BACKCHANNEL_CTL (4.1) name the
        program the server's callbacks will call."""
        if opcode == nfs4.OP_SETCLIENTID:
            program = args.callback.cb_program
        elif opcode == nfs4.OP_CREATE_SESSION:
            program = args.csa_cb_program
        else:
            program = args.bca_cb_program
        self.ctx.apps["oncrpc"].add_program(program, CALLBACK_VERSION, self.callback)


_IO_OPS = frozenset({nfs4.OP_READ, nfs4.OP_WRITE})  # the io provider's file I/O
NFS4_FS = "nfs4"  # the vnode ops name of Solaris's NFSv4 client (fileinfo_t.fi_fs)
_CALLBACK_SETUP = frozenset({nfs4.OP_SETCLIENTID, nfs4.OP_CREATE_SESSION,
                             nfs4.OP_BACKCHANNEL_CTL})


class CallbackProgram:
    """The NFSv4 callback program: the server calls, the client replies."""

    def __init__(self, ctx: RunContext, paths: PathMap) -> None:
        self.paths = paths
        self.compound_start = ctx.handler(PROVIDER, "compound-cb-start")
        self.compound_done = ctx.handler(PROVIDER, "compound-cb-done")
        self.start = _handlers(ctx, nfs4.NFS4_CB_OPERATIONS, "cb-", "start")
        self.done = _handlers(ctx, nfs4.NFS4_CB_OPERATIONS, "cb-", "done")
        self.listening = (self.compound_start is not None or self.compound_done is not None
                          or any(self.start.values()) or any(self.done.values()))
        self.counts = ctx.report.layer("nfsv4")

    @staticmethod
    def _server_view(peer: Peer) -> ConnInfo:
        """The caller of a callback is the NFS server: it is ci_local."""
        info = peer.conninfo
        return ConnInfo(info.ci_remote, info.ci_local, info.ci_protocol)

    def _cbinfo(self, args: Any) -> CbInfo:
        fh = getattr(args, "fh", None)
        return CbInfo(UNKNOWN_PATH if fh is None else self.paths.path(fh.nfs_fh4_val))

    def on_call(self, call: RpcCall, peer: Peer, ts_ns: int) -> object | None:
        if call.proc == nfs4.CB_NULL:
            return _NULL_CALL
        if call.proc != nfs4.CB_COMPOUND:
            peer.weird("nfs4.bad_procedure", f"NFSv4 callback with procedure {call.proc}")
            return None
        self.counts["callback compounds"] += 1
        try:
            args = nfs4.decode_cb_compound_call(call.body)
        except DissectError as exc:
            peer.weird("nfs4.bad_callback", f"NFSv4 CB_COMPOUND call: {exc}")
            return None
        conninfo = self._server_view(peer)
        if self.compound_start is not None:
            self.compound_start(ts_ns, (conninfo, None, args), peer.thread)
        for op in args.array:
            fire = self.start[op.argop]
            if fire is not None:
                fire(ts_ns, (conninfo, self._cbinfo(op.args), op.args), peer.thread)
        if args.error is not None:
            peer.weird("nfs4.bad_callback", f"NFSv4 CB_COMPOUND call: {args.error}")
        return (args, conninfo, peer)

    def on_reply(self, reply: RpcReply, pending: Any, ts_ns: int) -> None:
        if pending is _NULL_CALL or not reply.success:
            return
        args, conninfo, peer = pending
        try:
            res = nfs4.decode_cb_compound_reply(reply.body)
        except DissectError as exc:
            peer.weird("nfs4.bad_callback", f"NFSv4 CB_COMPOUND reply: {exc}")
            return
        for index, result in enumerate(res.array):
            if index >= len(args.array) or args.array[index].argop != result.resop:
                peer.weird("nfs4.reply_mismatch",
                           f"NFSv4 CB_COMPOUND reply: result {index + 1} is operation "
                           f"{result.resop}, not the call's")
                return
            fire = self.done[result.resop]
            if fire is not None:
                fire(ts_ns, (conninfo, self._cbinfo(args.array[index].args), result.res),
                     peer.thread)
        if self.compound_done is not None:
            self.compound_done(ts_ns, (conninfo, None, res), peer.thread)
