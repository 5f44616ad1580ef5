"""nfsv3 provider: decoded NFSv3 calls and replies -> op-*-start / op-*-done.

From the server's perspective: op-*-start fires on the call, op-*-done on the
reply, both with (conninfo_t, nfsv3opinfo_t, args[2]).  ``noi_curpath`` is the
path of the operation's primary file handle (Solaris: the vnode's ``v_path``;
the directory for LOOKUP/CREATE/REMOVE/RENAME...), learned from the capture by
``PathMap``: MOUNT replies give export roots, and LOOKUP, CREATE, MKDIR,
SYMLINK, MKNOD, LINK, RENAME, REMOVE/RMDIR and READDIRPLUS results name handles.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from pcapprobe.dissectors import nfs3
from pcapprobe.dissectors._reader import DissectError
from pcapprobe.dissectors.mount import MOUNTPROC_MNT, MOUNT_PROCEDURES, MountResult
from pcapprobe.dissectors.oncrpc import AUTH_SYS, AuthSys, RpcCall, RpcReply
from pcapprobe.flows.budget import IDLE, Age, StateBudget
from pcapprobe.probes.translators import io as io_translator

if TYPE_CHECKING:
    from pcapprobe.pipeline import RunContext
    from pcapprobe.probes.translators.oncrpc import Peer

Fire = Callable[[int, tuple, Hashable], None]

PROVIDER = "nfsv3"
UNKNOWN_PATH = "<unknown>"
# Solaris maps AUTH_NONE (and anything it cannot read) to nobody.
UID_NOBODY = 60001
GID_NOBODY = 60001
MAX_DEPTH = 255  # a longer chain of names is a loop
MAX_CREDS = 4096  # distinct credentials remembered
# What a named handle costs (bytes): its name, the tables' entries.
NAME_COST = 850
MAX_CACHED_PATHS = 65536  # resolved paths remembered between changes

# The handle each procedure acts on (its noi_curpath), as bytes.
PRIMARY_HANDLE: dict[int, Callable[[Any], bytes]] = {
    1: attrgetter("object.key"),
    2: attrgetter("object.key"),
    3: attrgetter("what.dir.key"),
    4: attrgetter("object.key"),
    5: attrgetter("symlink.key"),
    6: attrgetter("file.key"),
    7: attrgetter("file.key"),
    8: attrgetter("where.dir.key"),
    9: attrgetter("where.dir.key"),
    10: attrgetter("where.dir.key"),
    11: attrgetter("where.dir.key"),
    12: attrgetter("object.dir.key"),
    13: attrgetter("object.dir.key"),
    14: attrgetter("from_.dir.key"),
    15: attrgetter("file.key"),
    16: attrgetter("dir.key"),
    17: attrgetter("dir.key"),
    18: attrgetter("fsroot.key"),
    19: attrgetter("fsroot.key"),
    20: attrgetter("object.key"),
    21: attrgetter("file.key"),
}
NFSPROC3_LOOKUP = 3
NFSPROC3_READ, NFSPROC3_WRITE = 6, 7
NFSPROC3_CREATE, NFSPROC3_MKDIR, NFSPROC3_SYMLINK, NFSPROC3_MKNOD = 8, 9, 10, 11
NFSPROC3_REMOVE, NFSPROC3_RMDIR, NFSPROC3_RENAME, NFSPROC3_LINK = 12, 13, 14, 15
NFSPROC3_READDIRPLUS = 17
# Procedures whose results name handles: decoded even when no probe listens.
NAMING = frozenset({NFSPROC3_LOOKUP, NFSPROC3_CREATE, NFSPROC3_MKDIR, NFSPROC3_SYMLINK,
                    NFSPROC3_MKNOD, NFSPROC3_REMOVE, NFSPROC3_RMDIR, NFSPROC3_RENAME,
                    NFSPROC3_LINK, NFSPROC3_READDIRPLUS})
_NOT_NAMES = frozenset({"", ".", ".."})


class PathMap:
    """File handle -> path, from names seen in the capture.

    A handle is named by (parent handle, name); its path is resolved when asked,
    so a handle named under a directory whose own path is learned later still
    gets a path.  Roots (MOUNT replies, ``--nfs-paths``) carry a full path.

    The names are an ``AgedTable`` of the run's state budget (flows/budget.py),
    least recently named or resolved first (``clock``: the capture time of
    the reply being learned from).  Only leaves go: a directory with named
    children, and a root, are pinned, since forgetting one would forget every
    path under it.  A forgotten handle's path reads "<unknown>" again.
    """

    __slots__ = ("_names", "_children", "_cache", "resolved", "_leaves", "_kids", "budget",
                 "clock")

    evicts = "nfs file handle paths"

    def __init__(self, budget: StateBudget | None = None) -> None:
        self._names: dict[bytes, tuple[bytes | None, str]] = {}
        self._children: dict[tuple[bytes, str], bytes] = {}
        self._cache: dict[bytes, str] = {}
        # resolved(fh): path() of a handle asked since the last change, else
        # None (the cache's own get: a C call, for the per-operation lookup)
        self.resolved = self._cache.get
        # named handles without named children, oldest first -> their age
        self._leaves: OrderedDict[bytes, int] = OrderedDict()
        self._kids: dict[bytes, int] = {}  # handle -> names under it
        self.clock = 0
        self.budget = budget if budget is not None else StateBudget()
        self.budget.register(self)

    def root(self, fh: bytes, path: str) -> None:
        """An export root or a seeded handle: its full path."""
        old = self._names.get(fh)
        if old != (None, path):
            self._names[fh] = (None, path)
            self._cache.clear()
            if old is not None and old[0] is not None:  # a named handle is a root now
                self._leaves.pop(fh, None)
                self._orphaned(old[0])
                self.budget.release(NAME_COST)

    def name(self, fh: bytes, parent: bytes, name: str) -> None:
        """``fh`` is ``name`` in directory ``parent``."""
        if name in _NOT_NAMES or fh == parent:
            return
        self._children[(parent, name)] = fh
        old = self._names.get(fh)
        if old is not None and old[0] is None:
            return  # a root keeps its mount path
        if old != (parent, name):
            self._names[fh] = (parent, name)
            self._cache.clear()
            self._adopted(fh, old, parent)

    def link(self, fh: bytes, parent: bytes, name: str) -> None:
        """A hard link: a second name, used only if the file had none."""
        if fh in self._names:
            if name not in _NOT_NAMES:
                self._children[(parent, name)] = fh
            return
        self.name(fh, parent, name)

    def rename(self, from_dir: bytes, from_name: str, to_dir: bytes, to_name: str) -> None:
        fh = self._children.pop((from_dir, from_name), None)
        if fh is not None:
            self.name(fh, to_dir, to_name)

    def unlink(self, parent: bytes, name: str) -> None:
        """The name is gone; a handle still in use keeps its last path (v_path)."""
        self._children.pop((parent, name), None)

    def _adopted(self, fh: bytes, old: tuple[bytes | None, str] | None, parent: bytes) -> None:
        """``fh`` is now named under ``parent`` (it was ``old``): the parent is
        pinned, a previous parent may be a leaf again."""
        kids = self._kids
        if old is None:
            self.budget.charge(NAME_COST)
            if fh not in kids:
                self._leaves[fh] = self.clock
        else:
            self._orphaned(old[0])
        kids[parent] = kids.get(parent, 0) + 1
        self._leaves.pop(parent, None)

    def _orphaned(self, parent: bytes | None) -> None:
        """A name under ``parent`` is gone: without names left it is a leaf."""
        kids = self._kids
        if parent is None or parent not in kids:
            return
        kids[parent] -= 1
        if not kids[parent]:
            del kids[parent]
            entry = self._names.get(parent)
            if entry is not None and entry[0] is not None:
                self._leaves[parent] = self.clock

    def path(self, fh: bytes) -> str:
        """The path of ``fh``, UNKNOWN_PATH until the capture names it to a root
        (both remembered until a name changes)."""
        path = self._cache.get(fh)
        if path is None:
            cache = self._cache
            if len(cache) >= MAX_CACHED_PATHS:
                cache.clear()
            path = cache[fh] = self._resolve(fh)
            if fh in self._leaves:  # in use: the last to go
                self._leaves.move_to_end(fh)
                self._leaves[fh] = self.clock
        return path

    def export_of(self, fh: bytes) -> str | None:
        """The path of the root (export or seeded handle) ``fh`` was named under,
        None when the capture does not connect it to one."""
        names = self._names
        node: bytes | None = fh
        for _ in range(MAX_DEPTH):
            entry = names.get(node) if node is not None else None
            if entry is None:
                return None
            if entry[0] is None:
                return entry[1]
            node = entry[0]
        return None

    # -- AgedTable (flows/budget.py) ------------------------------------

    def oldest(self) -> Age | None:
        leaves = self._leaves
        return (IDLE, next(iter(leaves.values()))) if leaves else None

    def evict(self, upto: Age, nbytes: int) -> tuple[int, int]:
        leaves, names, children = self._leaves, self._names, self._children
        entries = 0
        while leaves and entries * NAME_COST < nbytes:
            fh, age = next(iter(leaves.items()))
            if entries and (IDLE, age) > upto:
                break
            del leaves[fh]
            parent, name = names.pop(fh)
            if children.get((parent, name)) == fh:  # type: ignore[arg-type]
                del children[(parent, name)]  # type: ignore[index]
            self._orphaned(parent)
            entries += 1
        if entries:
            self._cache.clear()
            self.budget.release(entries * NAME_COST)
        return entries, entries * NAME_COST

    def _resolve(self, fh: bytes) -> str:
        names = self._names
        parts: list[str] = []
        node: bytes | None = fh
        for _ in range(MAX_DEPTH):
            entry = names.get(node) if node is not None else None
            if entry is None:
                return UNKNOWN_PATH
            node, part = entry
            parts.append(part)
            if node is None:
                break
        else:
            return UNKNOWN_PATH
        path = parts.pop()
        for part in reversed(parts):
            path = path + part if path.endswith("/") else f"{path}/{part}"
        return path

    def load_file(self, path: str) -> int:
        """``--nfs-paths FILE``; a missing file or a bad line raises UsageError
        ``--nfs-paths FILE: line N: reason`` (never a traceback)."""
        from pcapprobe.errors import UsageError

        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except UnicodeDecodeError:
            raise UsageError(f"--nfs-paths {path}: not a text file") from None
        except OSError as exc:
            raise UsageError(f"--nfs-paths {path}: cannot open: "
                             f"{exc.strerror or exc}") from None
        try:
            return self.load(lines)
        except ValueError as exc:
            raise UsageError(f"--nfs-paths {path}: {exc}") from None

    def load(self, lines: list[str]) -> int:
        """``--nfs-paths``: lines of ``HANDLE-HEX PATH`` ('#' comments); returns count."""
        count = 0
        for number, line in enumerate(lines, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            handle, _, path = text.partition(" ")
            try:
                fh = bytes.fromhex(handle.replace(":", ""))
            except ValueError:
                raise ValueError(f"line {number}: {handle!r} is not a hex file handle") from None
            if not path.strip():
                raise ValueError(f"line {number}: no path after the handle")
            self.root(fh, path.strip())
            count += 1
        return count


class Cred:
    """cred_t: the caller's identity from AUTH_SYS."""

    __slots__ = ("cr_uid", "cr_gid", "cr_ruid", "cr_rgid", "cr_suid", "cr_sgid", "cr_ngroups")

    def __init__(self, uid: int, gid: int, ngroups: int) -> None:
        self.cr_uid = self.cr_ruid = self.cr_suid = uid
        self.cr_gid = self.cr_rgid = self.cr_sgid = gid
        self.cr_ngroups = ngroups


NOBODY = Cred(UID_NOBODY, GID_NOBODY, 0)


class Credentials:
    """cred_t of each caller, remembered by its raw AUTH_SYS credential (a
    client repeats it); at most MAX_CREDS of them.  Any other flavor
    (AUTH_NONE; RPCSEC_GSS, whose principal the wire does not map to a uid)
    is nobody, as Solaris maps an identity it cannot read."""

    __slots__ = ("_creds",)

    def __init__(self) -> None:
        self._creds: dict[bytes, Cred] = {}

    def of(self, call: RpcCall) -> Cred:
        """The cred_t of a call."""
        if call.flavor != AUTH_SYS:
            return NOBODY
        return self._creds.get(call.cred_body) or self._new(call)

    def _new(self, call: RpcCall) -> Cred:
        try:
            auth = call.cred
        except DissectError:
            auth = None
        cred = NOBODY if not isinstance(auth, AuthSys) else Cred(auth.uid, auth.gid,
                                                                  len(auth.gids))
        if len(self._creds) < MAX_CREDS:
            self._creds[call.cred_body] = cred
        return cred


class OpInfo:
    """nfsv3opinfo_t of one operation; it also keeps what the reply needs."""

    __slots__ = ("noi_curpath", "noi_cred", "noi_xid", "proc", "fh", "args", "peer", "io")

    def __init__(self, curpath: str, cred: Cred, xid: int, proc: int, fh: bytes | None,
                 args: Any, peer: Peer) -> None:
        self.noi_curpath = curpath
        self.noi_cred = cred
        self.noi_xid = xid
        self.proc = proc
        self.fh = fh  # None for NULL, which acts on no file
        self.args = args  # kept only for the procedures whose results name handles
        self.peer = peer
        self.io: io_translator.Request | None = None  # the client's READ/WRITE (io provider)


# A call nobody listens to and that names nothing: paired for the stats only.
_UNWATCHED = object()


class Nfsv3Provider:
    """Per run: the handlers of the 44 probes, the path map, the credentials."""

    def __init__(self, ctx: RunContext, paths: PathMap) -> None:
        self.ctx = ctx
        self.paths = paths
        names = {proc: p.name for proc, p in nfs3.NFS3_PROCEDURES.items()}
        self.start: dict[int, Fire | None] = {
            proc: ctx.handler(PROVIDER, f"op-{name}-start") for proc, name in names.items()}
        self.done: dict[int, Fire | None] = {
            proc: ctx.handler(PROVIDER, f"op-{name}-done") for proc, name in names.items()}
        # The client's file I/O (io provider), from READ and WRITE.
        self.io = io_translator.provider(ctx)
        io_procs = (NFSPROC3_READ, NFSPROC3_WRITE) if self.io is not None else ()
        # Per procedure, what a call needs: None when nobody listens and it
        # names nothing, else (procedure, its primary handle, start handler,
        # whether its result names handles).
        self._calls: list[tuple[nfs3.Procedure, Callable[[Any], bytes] | None, Fire | None,
                                bool] | None] = [
            (procedure, PRIMARY_HANDLE.get(proc), self.start[proc], proc in NAMING)
            if self.start[proc] or self.done[proc] or proc in NAMING or proc in io_procs
            else None
            for proc, procedure in nfs3.NFS3_PROCEDURES.items()]
        # Without a single handler the RPC layer has nothing to decode for.
        self.listening = (any(self.start.values()) or any(self.done.values())
                          or self.io is not None)
        self.creds = Credentials()
        self.counts = ctx.report.layer("nfsv3")

    def on_call(self, call: RpcCall, peer: Peer, ts_ns: int) -> object | None:
        proc = call.proc
        try:
            watched = self._calls[proc]
        except IndexError:
            peer.weird("nfs3.bad_procedure", f"NFSv3 call with procedure {proc}")
            return None
        self.counts["calls"] += 1
        if watched is None:
            return _UNWATCHED
        procedure, handle_of, fire, names = watched
        try:
            args = procedure.decode_call(call.body)
        except DissectError as exc:
            peer.weird("nfs3.bad_call", f"NFSv3 {procedure.name.upper()} call: {exc}")
            return None
        cred = self.creds.of(call)
        if handle_of is None:  # NULL: no file, no args[2]
            op = OpInfo(UNKNOWN_PATH, cred, call.xid, proc, None, None, peer)
            fired: tuple = (peer.conninfo, op)
        else:
            fh = handle_of(args)
            paths = self.paths
            # Arguments cut by the capture name nothing (their names read "<unknown>").
            op = OpInfo(paths.resolved(fh) or paths.path(fh), cred, call.xid, proc, fh,
                        args if names and not call.cut else None, peer)
            fired = (peer.conninfo, op, args)
        if fire is not None:
            fire(ts_ns, fired, peer.thread)
        if self.io is not None and proc in (NFSPROC3_READ, NFSPROC3_WRITE):
            op.io = self._client_io(op, args, peer, ts_ns)
        return op

    def _client_io(self, op: OpInfo, args: Any, peer: Peer,
                   ts_ns: int) -> io_translator.Request | None:
        """io:::start of the client's READ or WRITE (the io provider's view)."""
        assert self.io is not None and op.fh is not None
        write = op.proc == NFSPROC3_WRITE
        conninfo = peer.conninfo
        return self.io.nfs_call(conninfo.ci_remote, conninfo.ci_local,
                                self.paths.export_of(op.fh), op.noi_curpath, args.offset,
                                args.count, write, args.stable if write else 0, ts_ns)

    def on_reply(self, reply: RpcReply, op: Any, ts_ns: int) -> None:
        self.counts["replies"] += 1
        if op is _UNWATCHED:
            return
        if not reply.success:
            self.counts["replies: RPC error"] += 1
            if op.io is not None:  # the client's RPC layer fails the I/O with EIO
                self.io.nfs_reply(op.io, io_translator.EIO, 0, ts_ns)  # type: ignore[union-attr]
            return
        proc = op.proc
        procedure = nfs3.NFS3_PROCEDURES[proc]
        try:
            res = procedure.decode_reply(reply.body)
        except DissectError as exc:
            op.peer.weird("nfs3.bad_reply", f"NFSv3 {procedure.name.upper()} reply: {exc}")
            return
        if op.io is not None:
            self.io.nfs_reply(op.io, res.status,  # type: ignore[union-attr]
                              res.res_u.ok.count if res.status == nfs3.NFS3_OK else 0, ts_ns)
        if op.args is not None and res.status == nfs3.NFS3_OK and not reply.cut:
            self._learn(proc, op.args, res.res_u.ok, ts_ns)
        fire = self.done[proc]
        if fire is None:
            return
        peer = op.peer
        if op.fh is None:  # NULL
            fire(ts_ns, (peer.conninfo, op), peer.thread)
            return
        paths = self.paths
        path = paths.resolved(op.fh) or paths.path(op.fh)
        if path != op.noi_curpath:
            # Named by a reply in between: the start keeps the opinfo it fired with.
            op = OpInfo(path, op.noi_cred, op.noi_xid, proc, op.fh, None, peer)
        fire(ts_ns, (peer.conninfo, op, res), peer.thread)

    def _learn(self, proc: int, args: Any, ok: Any, ts_ns: int) -> None:
        """Names carried by a successful result (RFC 1813 §3.3.3, 8-15, 17)."""
        paths = self.paths
        paths.clock = ts_ns
        if proc == NFSPROC3_LOOKUP:
            paths.name(ok.object.key, args.what.dir.key, args.what.name)
        elif proc in (NFSPROC3_CREATE, NFSPROC3_MKDIR, NFSPROC3_SYMLINK, NFSPROC3_MKNOD):
            if ok.obj.handle_follows:
                paths.name(ok.obj.handle.key, args.where.dir.key, args.where.name)
        elif proc in (NFSPROC3_REMOVE, NFSPROC3_RMDIR):
            paths.unlink(args.object.dir.key, args.object.name)
        elif proc == NFSPROC3_RENAME:
            source = args.from_
            paths.rename(source.dir.key, source.name, args.to.dir.key, args.to.name)
        elif proc == NFSPROC3_LINK:
            paths.link(args.file.key, args.link.dir.key, args.link.name)
        elif proc == NFSPROC3_READDIRPLUS:
            parent = args.dir.key
            for entry in nfs3.iter_entries(ok.reply.entries):
                if entry.name_handle.handle_follows:
                    paths.name(entry.name_handle.handle.key, parent, entry.name)


class MountTracker:
    """MOUNT v1/v3: a successful MNT names the root handle of an export."""

    def __init__(self, ctx: RunContext, paths: PathMap, version: int) -> None:
        self.paths = paths
        self.procedures = MOUNT_PROCEDURES[version]
        self.counts = ctx.report.layer("mount")

    def on_call(self, call: RpcCall, peer: Peer, ts_ns: int) -> object | None:
        procedure = self.procedures.get(call.proc)
        if procedure is None:
            peer.weird("mount.bad_procedure", f"MOUNT call with procedure {call.proc}")
            return None
        self.counts[procedure.name] += 1
        if call.proc != MOUNTPROC_MNT or call.cut:  # a cut path names nothing
            return _UNWATCHED
        try:
            return procedure.decode_call(call.body)
        except DissectError as exc:
            peer.weird("mount.bad_call", f"MOUNT MNT call: {exc}")
            return None

    def on_reply(self, reply: RpcReply, dirpath: Any, ts_ns: int) -> None:
        if dirpath is _UNWATCHED or not reply.success or reply.cut:
            return
        try:
            result = self.procedures[MOUNTPROC_MNT].decode_reply(reply.body)
        except DissectError:
            self.counts["bad MNT replies"] += 1
            return
        assert isinstance(result, MountResult)
        if result.status == 0:
            self.paths.root(result.fhandle, dirpath)
