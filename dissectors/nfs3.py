"""NFS version 3 (RFC 1813): the 22 procedures' arguments and results.

Program 100003 version 3.  ``NFS3_PROCEDURES`` is Wireshark's ``nfs3_proc``
table: {proc: (NAME, decode_call, decode_reply)}.  Decoded values use the
RFC 1813 §2.5/§3.3 member names with Solaris's union layout (``status`` plus
``res_u.ok`` / ``res_u.fail``, ``nfs/nfs.h``), and rpcgen's shape for
variable-length opaque data (``data.data_len``, ``data.data_val``).  The arm a
result does not hold is a zero-valued instance, never None.

READ and WRITE carry the data and GETATTR is among the most frequent calls:
their bodies are checked whole when decoded, but their bulky members
(attributes, data) are built from the wire only when read.  Building them
cost more than all the rest of a message's decoding, and most D clauses read
a count or a path.
"""

from __future__ import annotations

import struct
from typing import Callable, NamedTuple

from pcapprobe.dissectors._reader import Malformed, Reader

NFS_PROGRAM = 100003
NFS_V3 = 3

NFS3_FHSIZE = 64  # §2.4
NFS3_OK = 0
NFS3ERR_NOENT = 2

# §2.5 enumerations used to pick union arms
NF3CHR = 4
NF3BLK = 3
NF3SOCK = 6
NF3FIFO = 7
UNCHECKED, GUARDED, EXCLUSIVE = 0, 1, 2  # createmode3
SET_TO_CLIENT_TIME = 2  # time_how
# Limits that keep a bogus length from being taken as a string or a list.
MAX_NAME = 4096
MAX_PATH = 65536
MAX_DIR_ENTRIES = 1 << 20


class Opaque:
    """rpcgen's shape of ``opaque x<>``: x.data_len, x.data_val (copied off
    the wire when read)."""

    __slots__ = ("data_len", "_data")

    def __init__(self, data: bytes | memoryview) -> None:
        self.data_len = len(data)
        self._data = data

    @property
    def data_val(self) -> bytes:
        return bytes(self._data)


class nfs_fh3:  # noqa: N801  RFC 1813 type names
    """nfs_fh3 (§2.4): ``data`` in rpcgen's shape, built when read."""

    __slots__ = ("key",)

    def __init__(self, key: bytes) -> None:
        self.key = key  # the handle's bytes: what the file-handle -> path map is keyed by

    @property
    def data(self) -> Opaque:
        return Opaque(self.key)


class nfstime3(NamedTuple):  # noqa: N801
    seconds: int
    nseconds: int


class specdata3(NamedTuple):  # noqa: N801
    specdata1: int
    specdata2: int


class fattr3(NamedTuple):  # noqa: N801
    type: int
    mode: int
    nlink: int
    uid: int
    gid: int
    size: int
    used: int
    rdev: specdata3
    fsid: int
    fileid: int
    atime: nfstime3
    mtime: nfstime3
    ctime: nfstime3


class post_op_attr(NamedTuple):  # noqa: N801
    attributes: int
    attr: fattr3


class wcc_attr(NamedTuple):  # noqa: N801
    size: int
    mtime: nfstime3
    ctime: nfstime3


class pre_op_attr(NamedTuple):  # noqa: N801
    attributes: int
    attr: wcc_attr


class wcc_data(NamedTuple):  # noqa: N801
    before: pre_op_attr
    after: post_op_attr


class post_op_fh3(NamedTuple):  # noqa: N801
    handle_follows: int
    handle: nfs_fh3


class diropargs3(NamedTuple):  # noqa: N801
    dir: nfs_fh3
    name: str


class set_mode3(NamedTuple):  # noqa: N801
    set_it: int
    mode: int


class set_uid3(NamedTuple):  # noqa: N801
    set_it: int
    uid: int


class set_gid3(NamedTuple):  # noqa: N801
    set_it: int
    gid: int


class set_size3(NamedTuple):  # noqa: N801
    set_it: int
    size: int


class set_atime(NamedTuple):  # noqa: N801
    set_it: int
    atime: nfstime3


class set_mtime(NamedTuple):  # noqa: N801
    set_it: int
    mtime: nfstime3


class sattr3(NamedTuple):  # noqa: N801
    mode: set_mode3
    uid: set_uid3
    gid: set_gid3
    size: set_size3
    atime: set_atime
    mtime: set_mtime


class Result:
    """Every XXX3res: ``status`` and the union ``res_u`` of the arms ``ok`` and
    ``fail``, the one not taken all zeros.  A result is its own ``res_u``: the
    union is read once per result, not worth an object."""

    __slots__ = ("status", "ok", "fail")

    def __init__(self, status: int, ok: object, fail: object) -> None:
        self.status = status
        self.ok = ok
        self.fail = fail

    @property
    def res_u(self) -> Result:
        return self


_FATTR3 = struct.Struct(">5I2Q2I2Q6I")
_WCC_ATTR = struct.Struct(">Q4I")
_U32 = struct.Struct(">I")
# READ3args after the handle (§3.3.6): offset, count.
_READ_ARGS_TAIL = struct.Struct(">QI")
# READ3resok with attributes (§3.3.6): attributes_follow, (fattr3), count, eof,
# then the data's length.
_READ_OK_HEAD = struct.Struct(">I84x3I")
# WRITE3args after the handle (§3.3.7): offset, count, stable, the data's length.
_WRITE_ARGS_TAIL = struct.Struct(">Q3I")
# WRITE3resok with both wcc attributes: attributes_follow, (wcc_attr),
# attributes_follow, (fattr3), count, committed, verf.
_WRITE_OK = struct.Struct(">I24xI84x2I8s")
ZERO_TIME = nfstime3(0, 0)
ZERO_FH = nfs_fh3(b"")
ZERO_FATTR = fattr3(0, 0, 0, 0, 0, 0, 0, specdata3(0, 0), 0, 0, ZERO_TIME, ZERO_TIME, ZERO_TIME)
NO_POST_OP_ATTR = post_op_attr(0, ZERO_FATTR)
NO_PRE_OP_ATTR = pre_op_attr(0, wcc_attr(0, ZERO_TIME, ZERO_TIME))
ZERO_WCC = wcc_data(NO_PRE_OP_ATTR, NO_POST_OP_ATTR)
NO_POST_OP_FH = post_op_fh3(0, ZERO_FH)
ZERO_SATTR = sattr3(set_mode3(0, 0), set_uid3(0, 0), set_gid3(0, 0), set_size3(0, 0),
                    set_atime(0, ZERO_TIME), set_mtime(0, ZERO_TIME))


# Basic data types (§2.5, §2.6)

def fh3(r: Reader) -> nfs_fh3:
    pos = r.pos
    if pos + 4 <= r.end:
        # Fast path: a whole handle of whole XDR units (what servers send).
        size = _U32.unpack_from(r.view, pos)[0]
        end = pos + 4 + size
        if size <= NFS3_FHSIZE and not size & 3 and end <= r.end:
            r.pos = end
            return nfs_fh3(bytes(r.view[pos + 4 : end]))
    return nfs_fh3(bytes(r.xdr_opaque(NFS3_FHSIZE, "nfs_fh3")))


def filename3(r: Reader) -> str:
    return r.xdr_string(MAX_NAME, "filename3")


def nfspath3(r: Reader) -> str:
    return r.xdr_string(MAX_PATH, "nfspath3")


def time3(r: Reader) -> nfstime3:
    return nfstime3(r.u32(), r.u32())


def attr3(r: Reader) -> fattr3:
    return _fattr3(_FATTR3.unpack(r.take(84, "fattr3")))


def _fattr3(v: tuple[int, ...]) -> fattr3:
    """fattr3 from its 17 unpacked words (_FATTR3's layout)."""
    return fattr3(v[0], v[1], v[2], v[3], v[4], v[5], v[6], specdata3(v[7], v[8]), v[9],
                  v[10], nfstime3(v[11], v[12]), nfstime3(v[13], v[14]), nfstime3(v[15], v[16]))


def post_attr(r: Reader) -> post_op_attr:
    if r.xdr_bool():
        return post_op_attr(1, attr3(r))
    return NO_POST_OP_ATTR


def pre_attr(r: Reader) -> pre_op_attr:
    if r.xdr_bool():
        v = _WCC_ATTR.unpack(r.take(24, "wcc_attr"))
        return pre_op_attr(1, wcc_attr(v[0], nfstime3(v[1], v[2]), nfstime3(v[3], v[4])))
    return NO_PRE_OP_ATTR


def wcc(r: Reader) -> wcc_data:
    return wcc_data(pre_attr(r), post_attr(r))


def post_fh(r: Reader) -> post_op_fh3:
    if r.xdr_bool():
        return post_op_fh3(1, fh3(r))
    return NO_POST_OP_FH


def dirop(r: Reader) -> diropargs3:
    return diropargs3(fh3(r), filename3(r))


def sattr(r: Reader) -> sattr3:
    """sattr3 (§2.6): each member is a discriminated union on set_it."""
    mode = set_mode3(1, r.u32()) if r.xdr_bool() else set_mode3(0, 0)
    uid = set_uid3(1, r.u32()) if r.xdr_bool() else set_uid3(0, 0)
    gid = set_gid3(1, r.u32()) if r.xdr_bool() else set_gid3(0, 0)
    size = set_size3(1, r.u64()) if r.xdr_bool() else set_size3(0, 0)
    how = r.u32()
    atime = set_atime(how, time3(r) if how == SET_TO_CLIENT_TIME else ZERO_TIME)
    how = r.u32()
    mtime = set_mtime(how, time3(r) if how == SET_TO_CLIENT_TIME else ZERO_TIME)
    return sattr3(mode, uid, gid, size, atime, mtime)


# The argument and result structures, in procedure order (§3.3.x).

class GETATTR3args(NamedTuple):
    object: nfs_fh3


class GETATTR3resok:
    """GETATTR3resok (§3.3.1): ``obj_attributes`` built when read."""

    __slots__ = ("_view", "_pos")

    def __init__(self, view: memoryview, pos: int) -> None:
        self._view = view
        self._pos = pos  # of the fattr3, checked whole

    @property
    def obj_attributes(self) -> fattr3:
        return attr3(Reader(self._view, self._pos))


class GETATTR3resfail(NamedTuple):
    """GETATTR has no failure body; an empty struct keeps ``res_u.fail`` valid."""


class SETATTR3args(NamedTuple):
    object: nfs_fh3
    new_attributes: sattr3
    guard: sattrguard3


class sattrguard3(NamedTuple):  # noqa: N801
    check: int
    obj_ctime: nfstime3


class SETATTR3resok(NamedTuple):
    obj_wcc: wcc_data


class LOOKUP3args(NamedTuple):
    what: diropargs3


class LOOKUP3resok(NamedTuple):
    object: nfs_fh3
    obj_attributes: post_op_attr
    dir_attributes: post_op_attr


class LOOKUP3resfail(NamedTuple):
    dir_attributes: post_op_attr


class ACCESS3args(NamedTuple):
    object: nfs_fh3
    access: int


class ACCESS3resok(NamedTuple):
    obj_attributes: post_op_attr
    access: int


class ObjAttrFail(NamedTuple):
    """resfail of ACCESS, FSSTAT, FSINFO, PATHCONF: the object's attributes."""

    obj_attributes: post_op_attr


class READLINK3args(NamedTuple):
    symlink: nfs_fh3


class READLINK3resok(NamedTuple):
    symlink_attributes: post_op_attr
    data: str


class READLINK3resfail(NamedTuple):
    symlink_attributes: post_op_attr


class READ3args:
    """READ3args (§3.3.6)."""

    __slots__ = ("file", "offset", "count")

    def __init__(self, file: nfs_fh3, offset: int, count: int) -> None:
        self.file = file
        self.offset = offset
        self.count = count


class READ3resok:
    """READ3resok (§3.3.6): ``file_attributes`` and ``data`` built when read."""

    __slots__ = ("_view", "_pos", "count", "eof", "_data")

    def __init__(self, view: memoryview, pos: int, count: int, eof: int,
                 data: bytes | memoryview) -> None:
        self._view = view
        self._pos = pos  # of the post_op_attr, checked whole
        self.count = count
        self.eof = eof
        self._data = data

    @property
    def file_attributes(self) -> post_op_attr:
        return post_attr(Reader(self._view, self._pos))

    @property
    def data(self) -> Opaque:
        return Opaque(self._data)


class READ3resfail(NamedTuple):
    file_attributes: post_op_attr


class WRITE3args:
    """WRITE3args (§3.3.7): ``data`` built when read."""

    __slots__ = ("file", "offset", "count", "stable", "_data")

    def __init__(self, file: nfs_fh3, offset: int, count: int, stable: int,
                 data: bytes | memoryview) -> None:
        self.file = file
        self.offset = offset
        self.count = count
        self.stable = stable
        self._data = data

    @property
    def data(self) -> Opaque:
        return Opaque(self._data)


class WRITE3resok:
    """WRITE3resok (§3.3.7): ``file_wcc`` built when read."""

    __slots__ = ("_view", "_pos", "count", "committed", "verf")

    def __init__(self, view: memoryview, pos: int, count: int, committed: int,
                 verf: bytes) -> None:
        self._view = view
        self._pos = pos  # of the wcc_data, checked whole
        self.count = count
        self.committed = committed
        self.verf = verf

    @property
    def file_wcc(self) -> wcc_data:
        return wcc(Reader(self._view, self._pos))


class FileWccFail(NamedTuple):
    """resfail of WRITE and COMMIT."""

    file_wcc: wcc_data


class createhow3_u(NamedTuple):  # noqa: N801
    obj_attributes: sattr3
    verf: bytes


class createhow3(NamedTuple):  # noqa: N801
    mode: int
    createhow3_u: createhow3_u


class CREATE3args(NamedTuple):
    where: diropargs3
    how: createhow3


class NewObjResok(NamedTuple):
    """resok of CREATE, MKDIR, SYMLINK, MKNOD (§3.3.8-11)."""

    obj: post_op_fh3
    obj_attributes: post_op_attr
    dir_wcc: wcc_data


class DirWccFail(NamedTuple):
    """resfail of CREATE, MKDIR, SYMLINK, MKNOD, REMOVE, RMDIR."""

    dir_wcc: wcc_data


class MKDIR3args(NamedTuple):
    where: diropargs3
    attributes: sattr3


class symlinkdata3(NamedTuple):  # noqa: N801
    symlink_attributes: sattr3
    symlink_data: str


class SYMLINK3args(NamedTuple):
    where: diropargs3
    symlink: symlinkdata3


class devicedata3(NamedTuple):  # noqa: N801
    dev_attributes: sattr3
    spec: specdata3


class mknoddata3_u(NamedTuple):  # noqa: N801
    device: devicedata3
    pipe_attributes: sattr3


class mknoddata3(NamedTuple):  # noqa: N801
    type: int
    mknoddata3_u: mknoddata3_u


class MKNOD3args(NamedTuple):
    where: diropargs3
    what: mknoddata3


class REMOVE3args(NamedTuple):
    object: diropargs3


class DirWccResok(NamedTuple):
    """resok of REMOVE and RMDIR."""

    dir_wcc: wcc_data


class RENAME3args(NamedTuple):
    from_: diropargs3
    to: diropargs3


# RFC 1813 names the source ``from``, a Python keyword: expose it under that name.
setattr(RENAME3args, "from", property(lambda self: self[0], doc="source directory and name"))


class RENAME3wcc(NamedTuple):
    """resok and resfail of RENAME."""

    fromdir_wcc: wcc_data
    todir_wcc: wcc_data


class LINK3args(NamedTuple):
    file: nfs_fh3
    link: diropargs3


class LINK3wcc(NamedTuple):
    """resok and resfail of LINK."""

    file_attributes: post_op_attr
    linkdir_wcc: wcc_data


class READDIR3args(NamedTuple):
    dir: nfs_fh3
    cookie: int
    cookieverf: bytes
    count: int


class entry3(NamedTuple):  # noqa: N801
    fileid: int
    name: str
    cookie: int
    nextentry: entry3 | None


class dirlist3(NamedTuple):  # noqa: N801
    entries: entry3 | None
    eof: int


class READDIR3resok(NamedTuple):
    dir_attributes: post_op_attr
    cookieverf: bytes
    reply: dirlist3


class DirAttrFail(NamedTuple):
    """resfail of READDIR and READDIRPLUS."""

    dir_attributes: post_op_attr


class READDIRPLUS3args(NamedTuple):
    dir: nfs_fh3
    cookie: int
    cookieverf: bytes
    dircount: int
    maxcount: int


class entryplus3(NamedTuple):  # noqa: N801
    fileid: int
    name: str
    cookie: int
    name_attributes: post_op_attr
    name_handle: post_op_fh3
    nextentry: entryplus3 | None


class dirlistplus3(NamedTuple):  # noqa: N801
    entries: entryplus3 | None
    eof: int


class READDIRPLUS3resok(NamedTuple):
    dir_attributes: post_op_attr
    cookieverf: bytes
    reply: dirlistplus3


class FsRootArgs(NamedTuple):
    """FSSTAT3args, FSINFO3args (§3.3.18-19)."""

    fsroot: nfs_fh3


class FSSTAT3resok(NamedTuple):
    obj_attributes: post_op_attr
    tbytes: int
    fbytes: int
    abytes: int
    tfiles: int
    ffiles: int
    afiles: int
    invarsec: int


class FSINFO3resok(NamedTuple):
    obj_attributes: post_op_attr
    rtmax: int
    rtpref: int
    rtmult: int
    wtmax: int
    wtpref: int
    wtmult: int
    dtpref: int
    maxfilesize: int
    time_delta: nfstime3
    properties: int


class PATHCONF3resok(NamedTuple):
    obj_attributes: post_op_attr
    linkmax: int
    name_max: int
    no_trunc: int
    chown_restricted: int
    case_insensitive: int
    case_preserving: int


class COMMIT3args(NamedTuple):
    file: nfs_fh3
    offset: int
    count: int


class COMMIT3resok(NamedTuple):
    file_wcc: wcc_data
    verf: bytes


# Zero arms (the union member a result does not hold).

# The zero arms of the results built when read read an all-zero body.
_ZERO_BODY = memoryview(bytes(84))
_ZERO_OK: dict[type, object] = {
    GETATTR3resok: GETATTR3resok(_ZERO_BODY, 0),
    SETATTR3resok: SETATTR3resok(ZERO_WCC),
    LOOKUP3resok: LOOKUP3resok(ZERO_FH, NO_POST_OP_ATTR, NO_POST_OP_ATTR),
    ACCESS3resok: ACCESS3resok(NO_POST_OP_ATTR, 0),
    READLINK3resok: READLINK3resok(NO_POST_OP_ATTR, ""),
    READ3resok: READ3resok(_ZERO_BODY, 0, 0, 0, b""),
    WRITE3resok: WRITE3resok(_ZERO_BODY, 0, 0, 0, bytes(8)),
    NewObjResok: NewObjResok(NO_POST_OP_FH, NO_POST_OP_ATTR, ZERO_WCC),
    DirWccResok: DirWccResok(ZERO_WCC),
    RENAME3wcc: RENAME3wcc(ZERO_WCC, ZERO_WCC),
    LINK3wcc: LINK3wcc(NO_POST_OP_ATTR, ZERO_WCC),
    READDIR3resok: READDIR3resok(NO_POST_OP_ATTR, bytes(8), dirlist3(None, 0)),
    READDIRPLUS3resok: READDIRPLUS3resok(NO_POST_OP_ATTR, bytes(8), dirlistplus3(None, 0)),
    FSSTAT3resok: FSSTAT3resok(NO_POST_OP_ATTR, 0, 0, 0, 0, 0, 0, 0),
    FSINFO3resok: FSINFO3resok(NO_POST_OP_ATTR, 0, 0, 0, 0, 0, 0, 0, 0, ZERO_TIME, 0),
    PATHCONF3resok: PATHCONF3resok(NO_POST_OP_ATTR, 0, 0, 0, 0, 0, 0),
    COMMIT3resok: COMMIT3resok(ZERO_WCC, bytes(8)),
}
_ZERO_FAIL: dict[type, object] = {
    GETATTR3resfail: GETATTR3resfail(),
    SETATTR3resok: SETATTR3resok(ZERO_WCC),
    LOOKUP3resfail: LOOKUP3resfail(NO_POST_OP_ATTR),
    ObjAttrFail: ObjAttrFail(NO_POST_OP_ATTR),
    READLINK3resfail: READLINK3resfail(NO_POST_OP_ATTR),
    READ3resfail: READ3resfail(NO_POST_OP_ATTR),
    FileWccFail: FileWccFail(ZERO_WCC),
    DirWccFail: DirWccFail(ZERO_WCC),
    RENAME3wcc: RENAME3wcc(ZERO_WCC, ZERO_WCC),
    LINK3wcc: LINK3wcc(NO_POST_OP_ATTR, ZERO_WCC),
    DirAttrFail: DirAttrFail(NO_POST_OP_ATTR),
}


def _res(ok_type: type, ok: Callable[[Reader], object], fail_type: type,
         fail: Callable[[Reader], object]) -> Callable[[Reader], Result]:
    """The decoder of an XXX3res whose arms ``ok`` and ``fail`` decode."""
    zero_ok = _ZERO_OK[ok_type]
    zero_fail = _ZERO_FAIL[fail_type]

    def decode(r: Reader) -> Result:
        pos = r.pos
        if pos + 4 <= r.end:
            r.pos = pos + 4
            status = _U32.unpack_from(r.view, pos)[0]
        else:
            status = r.u32()  # Truncated
        if status == NFS3_OK:
            return Result(status, ok(r), zero_fail)
        return Result(status, zero_ok, fail(r))

    return decode


# Per-procedure decoders (§3.3.0 - §3.3.21).

def void(r: Reader) -> None:
    return None


def getattr_call(r: Reader) -> GETATTR3args:
    return GETATTR3args(fh3(r))


def setattr_call(r: Reader) -> SETATTR3args:
    obj = fh3(r)
    attrs = sattr(r)
    check = r.xdr_bool()
    return SETATTR3args(obj, attrs, sattrguard3(int(check), time3(r) if check else ZERO_TIME))


def lookup_call(r: Reader) -> LOOKUP3args:
    return LOOKUP3args(dirop(r))


def access_call(r: Reader) -> ACCESS3args:
    return ACCESS3args(fh3(r), r.u32())


def readlink_call(r: Reader) -> READLINK3args:
    return READLINK3args(fh3(r))


def read_call(r: Reader) -> READ3args:
    file = fh3(r)
    pos = r.pos
    if pos + _READ_ARGS_TAIL.size <= r.end:
        r.pos = pos + _READ_ARGS_TAIL.size
        offset, count = _READ_ARGS_TAIL.unpack_from(r.view, pos)
        return READ3args(file, offset, count)
    return READ3args(file, r.u64(), r.u32())


def write_call(r: Reader) -> WRITE3args:
    file = fh3(r)
    pos = r.pos
    if pos + _WRITE_ARGS_TAIL.size <= r.end:
        # Fast path: the fixed members in one unpack.
        offset, count, stable, size = _WRITE_ARGS_TAIL.unpack_from(r.view, pos)
        start = pos + _WRITE_ARGS_TAIL.size
        end = start + size + (-size % 4)  # XDR pads opaque data to 4 bytes (RFC 4506 §4.10)
        if end <= r.end:
            r.pos = end
            return WRITE3args(file, offset, count, stable, r.view[start : start + size])
    return WRITE3args(file, r.u64(), r.u32(), r.u32(), r.xdr_opaque(None, "write data"))


def create_call(r: Reader) -> CREATE3args:
    where = dirop(r)
    mode = r.u32()
    if mode == EXCLUSIVE:
        how = createhow3_u(ZERO_SATTR, bytes(r.take(8, "createverf3")))
    elif mode in (UNCHECKED, GUARDED):
        how = createhow3_u(sattr(r), bytes(8))
    else:
        raise Malformed(f"createmode3 {mode}", "nfs3.bad_createmode")
    return CREATE3args(where, createhow3(mode, how))


def mkdir_call(r: Reader) -> MKDIR3args:
    return MKDIR3args(dirop(r), sattr(r))


def symlink_call(r: Reader) -> SYMLINK3args:
    where = dirop(r)
    return SYMLINK3args(where, symlinkdata3(sattr(r), nfspath3(r)))


def mknod_call(r: Reader) -> MKNOD3args:
    where = dirop(r)
    ftype = r.u32()
    device = devicedata3(ZERO_SATTR, specdata3(0, 0))
    pipe = ZERO_SATTR
    if ftype in (NF3CHR, NF3BLK):
        device = devicedata3(sattr(r), specdata3(r.u32(), r.u32()))
    elif ftype in (NF3SOCK, NF3FIFO):
        pipe = sattr(r)
    return MKNOD3args(where, mknoddata3(ftype, mknoddata3_u(device, pipe)))


def remove_call(r: Reader) -> REMOVE3args:
    return REMOVE3args(dirop(r))


def rename_call(r: Reader) -> RENAME3args:
    return RENAME3args(dirop(r), dirop(r))


def link_call(r: Reader) -> LINK3args:
    return LINK3args(fh3(r), dirop(r))


def readdir_call(r: Reader) -> READDIR3args:
    return READDIR3args(fh3(r), r.u64(), bytes(r.take(8, "cookieverf3")), r.u32())


def readdirplus_call(r: Reader) -> READDIRPLUS3args:
    return READDIRPLUS3args(fh3(r), r.u64(), bytes(r.take(8, "cookieverf3")), r.u32(), r.u32())


def fsroot_call(r: Reader) -> FsRootArgs:
    return FsRootArgs(fh3(r))


def commit_call(r: Reader) -> COMMIT3args:
    return COMMIT3args(fh3(r), r.u64(), r.u32())


def _obj_attr_fail(r: Reader) -> ObjAttrFail:
    return ObjAttrFail(post_attr(r))


def _dir_wcc_fail(r: Reader) -> DirWccFail:
    return DirWccFail(wcc(r))


def _file_wcc_fail(r: Reader) -> FileWccFail:
    return FileWccFail(wcc(r))


def _new_obj(r: Reader) -> NewObjResok:
    return NewObjResok(post_fh(r), post_attr(r), wcc(r))


def _getattr_ok(r: Reader) -> GETATTR3resok:
    pos = r.pos
    r.skip(84, "fattr3")
    return GETATTR3resok(r.view, pos)


def _read_ok(r: Reader) -> READ3resok:
    view = r.view
    pos = r.pos
    if pos + _READ_OK_HEAD.size <= r.end:
        # Fast path: attributes present; count, eof and the data length in one unpack.
        attributes, count, eof, size = _READ_OK_HEAD.unpack_from(view, pos)
        start = pos + _READ_OK_HEAD.size
        end = start + size + (-size % 4)  # XDR pads opaque data to 4 bytes (RFC 4506 §4.10)
        if attributes == 1 and end <= r.end:
            r.pos = end
            return READ3resok(view, pos, count, eof, view[start : start + size])
    post_attr(r)  # checked here, built again when read
    return READ3resok(view, pos, r.u32(), r.u32(), r.xdr_opaque(None, "read data"))


def _write_ok(r: Reader) -> WRITE3resok:
    view = r.view
    pos = r.pos
    if pos + _WRITE_OK.size <= r.end:
        # Fast path: both wcc attributes present, the rest in one unpack.
        before, after, count, committed, verf = _WRITE_OK.unpack_from(view, pos)
        if before == 1 and after == 1:
            r.pos = pos + _WRITE_OK.size
            return WRITE3resok(view, pos, count, committed, verf)
    wcc(r)  # checked here, built again when read
    return WRITE3resok(view, pos, r.u32(), r.u32(), bytes(r.take(8, "writeverf3")))


def _entries(r: Reader) -> entry3 | None:
    items = []
    while r.xdr_bool():
        if len(items) >= MAX_DIR_ENTRIES:
            raise Malformed("directory listing too long", "nfs3.bad_dirlist")
        items.append((r.u64(), filename3(r), r.u64()))
    head = None
    for fileid, name, cookie in reversed(items):
        head = entry3(fileid, name, cookie, head)
    return head


def _entries_plus(r: Reader) -> entryplus3 | None:
    items = []
    while r.xdr_bool():
        if len(items) >= MAX_DIR_ENTRIES:
            raise Malformed("directory listing too long", "nfs3.bad_dirlist")
        items.append((r.u64(), filename3(r), r.u64(), post_attr(r), post_fh(r)))
    head = None
    for fileid, name, cookie, attrs, handle in reversed(items):
        head = entryplus3(fileid, name, cookie, attrs, handle, head)
    return head


def _readdir_ok(r: Reader) -> READDIR3resok:
    attrs = post_attr(r)
    verf = bytes(r.take(8, "cookieverf3"))
    entries = _entries(r)
    return READDIR3resok(attrs, verf, dirlist3(entries, int(r.xdr_bool())))


def _readdirplus_ok(r: Reader) -> READDIRPLUS3resok:
    attrs = post_attr(r)
    verf = bytes(r.take(8, "cookieverf3"))
    entries = _entries_plus(r)
    return READDIRPLUS3resok(attrs, verf, dirlistplus3(entries, int(r.xdr_bool())))


def iter_entries(entry: entry3 | entryplus3 | None):  # type: ignore[no-untyped-def]
    """Walk a directory listing's linked entries."""
    while entry is not None:
        yield entry
        entry = entry.nextentry


getattr_reply = _res(GETATTR3resok, _getattr_ok,
                     GETATTR3resfail, lambda r: GETATTR3resfail())
setattr_reply = _res(SETATTR3resok, lambda r: SETATTR3resok(wcc(r)),
                     SETATTR3resok, lambda r: SETATTR3resok(wcc(r)))
lookup_reply = _res(LOOKUP3resok, lambda r: LOOKUP3resok(fh3(r), post_attr(r), post_attr(r)),
                    LOOKUP3resfail, lambda r: LOOKUP3resfail(post_attr(r)))
access_reply = _res(ACCESS3resok, lambda r: ACCESS3resok(post_attr(r), r.u32()),
                    ObjAttrFail, _obj_attr_fail)
readlink_reply = _res(READLINK3resok, lambda r: READLINK3resok(post_attr(r), nfspath3(r)),
                      READLINK3resfail, lambda r: READLINK3resfail(post_attr(r)))
read_reply = _res(READ3resok, _read_ok, READ3resfail, lambda r: READ3resfail(post_attr(r)))
write_reply = _res(WRITE3resok, _write_ok, FileWccFail, _file_wcc_fail)
new_obj_reply = _res(NewObjResok, _new_obj, DirWccFail, _dir_wcc_fail)
remove_reply = _res(DirWccResok, lambda r: DirWccResok(wcc(r)), DirWccFail, _dir_wcc_fail)
rename_reply = _res(RENAME3wcc, lambda r: RENAME3wcc(wcc(r), wcc(r)),
                    RENAME3wcc, lambda r: RENAME3wcc(wcc(r), wcc(r)))
link_reply = _res(LINK3wcc, lambda r: LINK3wcc(post_attr(r), wcc(r)),
                  LINK3wcc, lambda r: LINK3wcc(post_attr(r), wcc(r)))
readdir_reply = _res(READDIR3resok, _readdir_ok, DirAttrFail, lambda r: DirAttrFail(post_attr(r)))
readdirplus_reply = _res(READDIRPLUS3resok, _readdirplus_ok,
                         DirAttrFail, lambda r: DirAttrFail(post_attr(r)))
fsstat_reply = _res(FSSTAT3resok,
                    lambda r: FSSTAT3resok(post_attr(r), r.u64(), r.u64(), r.u64(), r.u64(),
                                           r.u64(), r.u64(), r.u32()),
                    ObjAttrFail, _obj_attr_fail)
fsinfo_reply = _res(FSINFO3resok,
                    lambda r: FSINFO3resok(post_attr(r), r.u32(), r.u32(), r.u32(), r.u32(),
                                           r.u32(), r.u32(), r.u32(), r.u64(), time3(r), r.u32()),
                    ObjAttrFail, _obj_attr_fail)
pathconf_reply = _res(PATHCONF3resok,
                      lambda r: PATHCONF3resok(post_attr(r), r.u32(), r.u32(), r.u32(), r.u32(),
                                               r.u32(), r.u32()),
                      ObjAttrFail, _obj_attr_fail)
commit_reply = _res(COMMIT3resok, lambda r: COMMIT3resok(wcc(r), bytes(r.take(8, "writeverf3"))),
                    FileWccFail, _file_wcc_fail)


class Procedure(NamedTuple):
    name: str
    decode_call: Callable[[Reader], object]
    decode_reply: Callable[[Reader], object]


# RFC 1813 §3.3: {proc: (NAME, decode_call, decode_reply)}
NFS3_PROCEDURES: dict[int, Procedure] = {
    0: Procedure("null", void, void),
    1: Procedure("getattr", getattr_call, getattr_reply),
    2: Procedure("setattr", setattr_call, setattr_reply),
    3: Procedure("lookup", lookup_call, lookup_reply),
    4: Procedure("access", access_call, access_reply),
    5: Procedure("readlink", readlink_call, readlink_reply),
    6: Procedure("read", read_call, read_reply),
    7: Procedure("write", write_call, write_reply),
    8: Procedure("create", create_call, new_obj_reply),
    9: Procedure("mkdir", mkdir_call, new_obj_reply),
    10: Procedure("symlink", symlink_call, new_obj_reply),
    11: Procedure("mknod", mknod_call, new_obj_reply),
    12: Procedure("remove", remove_call, remove_reply),
    13: Procedure("rmdir", remove_call, remove_reply),
    14: Procedure("rename", rename_call, rename_reply),
    15: Procedure("link", link_call, link_reply),
    16: Procedure("readdir", readdir_call, readdir_reply),
    17: Procedure("readdirplus", readdirplus_call, readdirplus_reply),
    18: Procedure("fsstat", fsroot_call, fsstat_reply),
    19: Procedure("fsinfo", fsroot_call, fsinfo_reply),
    20: Procedure("pathconf", getattr_call, pathconf_reply),
    21: Procedure("commit", commit_call, commit_reply),
}
