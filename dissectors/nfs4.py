"""NFS version 4 (RFC 7530; 4.1 RFC 8881; 4.2 RFC 7862; xattrs RFC 8276): COMPOUND.

Program 100003 version 4 has two procedures, NULL and COMPOUND (RFC 7530
§16.1-2); a COMPOUND carries a tag, a minor version and a list of operations,
each an opcode and its XDR arguments, and its reply the status of the last
operation evaluated and one result per evaluated operation.  The callback
program (§16.2, RFC 8881 §20) has CB_NULL and CB_COMPOUND, shaped alike.

``NFS4_OPERATIONS`` / ``NFS4_CB_OPERATIONS`` are Wireshark's ``nfs4_op`` tables:
{opcode: Operation(name, decode_args, decode_res)}, the name being the probe
name part (``open-confirm``).  Values use illumos ``nfs4_kprot.h`` members for
the operations Solaris's provider covers (flat results: ``READ4res.data_len``,
``WRITE4res.count``; the arm a union does not hold is a zero instance, never
None) and the RFC's XDR member names for the others.  A ``bitmap4`` is one
64-bit value (words 0 and 1, as illumos keeps it).

XDR gives operations no length: an opcode the tables do not know, or a body
cut short, ends the decoding.  ``decode_compound_call`` and
``decode_compound_reply`` then return what was decoded before it with the
error, so the operations before it still fire.  A message the capture cut
(a snap length: its body is a ``CutReader``) decodes every operation whose
opcode was captured (a result: and its status), members past the captured
bytes reading as unknown (0, empty, "<unknown>"); the operations after them
are not known, which is no error.
"""

from __future__ import annotations

import struct as _struct
from collections import namedtuple
from typing import Any, Callable, NamedTuple

from pcapprobe.dissectors._reader import (UNKNOWN, CutReader, DissectError, Malformed, Reader,
                                          Truncated)

NFS_PROGRAM = 100003
NFS_V4 = 4
NFSPROC4_NULL = 0
NFSPROC4_COMPOUND = 1
CB_NULL = 0
CB_COMPOUND = 1
# RFC 5531 §7.3: transient program numbers, where NFSv4 callback programs live
# (SETCLIENTID's cb_program, CREATE_SESSION's csa_cb_program).
TRANSIENT_PROGRAMS = range(0x40000000, 0x60000000)

NFS4_OK = 0
NFS4ERR_DENIED = 10010
NFS4ERR_CLID_INUSE = 10017
NFS4ERR_TOOSMALL = 10005
NFS4ERR_LAYOUTTRYLATER = 10058
NFS4ERR_OFFLOAD_NO_REQS = 10094

NFS4_FHSIZE = 128
NFS4_OPAQUE_LIMIT = 1024
MAX_NAME = 4096
MAX_OPS = 1024  # more operations than any server accepts in one COMPOUND
MAX_DATA = 16 * 1024 * 1024
MAX_LIST = 1 << 16

# nfs_ftype4 (RFC 7530 §3.2)
NF4BLK, NF4CHR, NF4LNK = 3, 4, 5
# createmode4, opentype4, open_claim_type4 (§16.16, RFC 8881 §18.16)
UNCHECKED4, GUARDED4, EXCLUSIVE4, EXCLUSIVE4_1 = 0, 1, 2, 3
OPEN4_NOCREATE, OPEN4_CREATE = 0, 1
(CLAIM_NULL, CLAIM_PREVIOUS, CLAIM_DELEGATE_CUR, CLAIM_DELEGATE_PREV, CLAIM_FH,
 CLAIM_DELEG_CUR_FH, CLAIM_DELEG_PREV_FH) = range(7)
# open_delegation_type4
OPEN_DELEGATE_NONE, OPEN_DELEGATE_READ, OPEN_DELEGATE_WRITE, OPEN_DELEGATE_NONE_EXT = range(4)
NFS_LIMIT_SIZE, NFS_LIMIT_BLOCKS = 1, 2
RPCSEC_GSS = 6
AUTH_SYS = 1
SP4_NONE, SP4_MACH_CRED, SP4_SSV = 0, 1, 2
LAYOUTRETURN4_FILE = 1
NL4_NAME, NL4_URL, NL4_NETADDR = 1, 2, 3
NFS4_CONTENT_DATA, NFS4_CONTENT_HOLE = 0, 1

_U32 = Reader.u32
_U64 = Reader.u64


# Builds a named tuple without its Python-level __new__ (a C call): for the
# structs decoded once per operation or more.
_new = tuple.__new__


def _t(name: str, members: str) -> type:
    """A decoded XDR struct: a named tuple with the struct's member names."""
    return namedtuple(name, members)  # noqa: PYI024


# -- building blocks (RFC 7530 §2.2, nfs4_kprot.h) ----------------------------


class utf8string(NamedTuple):  # noqa: N801  (component4, linktext4, utf8str_cs)
    utf8string_len: int
    utf8string_val: str


class nfs_fh4(NamedTuple):  # noqa: N801
    nfs_fh4_len: int
    nfs_fh4_val: bytes

    @property
    def key(self) -> bytes:
        """The handle's bytes: what the file-handle -> path map is keyed by."""
        return self.nfs_fh4_val


class stateid4(NamedTuple):  # noqa: N801
    seqid: int
    other: bytes


class fattr4(NamedTuple):  # noqa: N801
    attrmask: int
    attrlist4: bytes
    attrlist4_len: int


specdata4 = _t("specdata4", "specdata1 specdata2")
nfstime4 = _t("nfstime4", "seconds nseconds")
change_info4 = _t("change_info4", "atomic before after")
clientaddr4 = _t("clientaddr4", "r_netid r_addr")
cb_client4 = _t("cb_client4", "cb_program cb_location")
nfs_client_id4 = _t("nfs_client_id4", "verifier id_len id_val")
open_owner4 = _t("open_owner4", "clientid owner_len owner_val")
lock_owner4 = open_owner4
open_to_lock_owner4 = _t("open_to_lock_owner4", "open_seqid open_stateid lock_seqid lock_owner")
exist_lock_owner4 = _t("exist_lock_owner4", "lock_stateid lock_seqid")
locker4_u = _t("locker4_u", "open_owner lock_owner")
locker4 = _t("locker4", "new_lock_owner locker4_u")
LOCK4denied = _t("LOCK4denied", "offset length locktype owner")
nfsace4 = _t("nfsace4", "type flag access_mask who")
nfs_modified_limit4 = _t("nfs_modified_limit4", "num_blocks bytes_per_block")
nfs_space_limit4_u = _t("nfs_space_limit4_u", "filesize mod_blocks")
nfs_space_limit4 = _t("nfs_space_limit4", "limitby nfs_space_limit4_u")
open_claim_delegate_cur4 = _t("open_claim_delegate_cur4", "delegate_stateid file")
open_read_delegation4 = _t("open_read_delegation4", "stateid recall permissions")
open_write_delegation4 = _t("open_write_delegation4", "stateid recall space_limit permissions")
open_delegation4_u = _t("open_delegation4_u", "read write")
open_delegation4 = _t("open_delegation4", "delegation_type open_delegation4_u")
sec_oid4 = _t("sec_oid4", "sec_oid4_len sec_oid4_val")
rpcsec_gss_info = _t("rpcsec_gss_info", "oid qop service")
secinfo4 = _t("secinfo4", "flavor flavor_info")
SETCLIENTID4resok = _t("SETCLIENTID4resok", "clientid setclientid_confirm")
ftype4_u = _t("ftype4_u", "linkdata devdata")
createhow4_u = _t("createhow4_u", "createattrs createverf")
open_claim4_u = _t("open_claim4_u", "file delegate_type delegate_cur_info file_delegate_prev")
LOCK4res_u = _t("LOCK4res_u", "lock_stateid denied")
SETCLIENTID4res_u = _t("SETCLIENTID4res_u", "resok4 client_using")

EMPTY = utf8string(0, "")
NOT_CAPTURED = utf8string(0, UNKNOWN)  # a name a snap length cut
ZERO_FH = nfs_fh4(0, b"")
ZERO_STATEID = stateid4(0, bytes(12))
ZERO_FATTR = fattr4(0, b"", 0)
ZERO_CINFO = change_info4(0, 0, 0)
ZERO_OWNER = open_owner4(0, 0, b"")
ZERO_ACE = nfsace4(0, 0, 0, EMPTY)
ZERO_DENIED = LOCK4denied(0, 0, 0, ZERO_OWNER)
ZERO_ADDR = clientaddr4("", "")
ZERO_SPACE_LIMIT = nfs_space_limit4(0, nfs_space_limit4_u(0, nfs_modified_limit4(0, 0)))
ZERO_DELEGATION = open_delegation4(0, open_delegation4_u(
    open_read_delegation4(ZERO_STATEID, 0, ZERO_ACE),
    open_write_delegation4(ZERO_STATEID, 0, ZERO_SPACE_LIMIT, ZERO_ACE)))


_U32_AT = _struct.Struct(">I").unpack_from


# The fast readers below read the view directly; past the captured end a
# CutReader's own reads give the unknown value (a plain Reader raises).


def u32(r: Reader) -> int:
    pos = r.pos
    if pos + 4 > r.end:
        if isinstance(r, CutReader):
            return r.u32()
        raise Truncated(4, r.end - pos, "u32")
    r.pos = pos + 4
    return _U32_AT(r.view, pos)[0]


def opaque(r: Reader, limit: int, what: str) -> memoryview:
    """opaque<limit> (RFC 4506 §4.10): the bytes, a view of the message;
    ``Reader.xdr_opaque`` in one bounds check."""
    pos = r.pos
    end = r.end
    if pos + 4 > end:
        if isinstance(r, CutReader):
            return r.xdr_opaque(limit, what)
        raise Truncated(4, end - pos, what)
    size = _U32_AT(r.view, pos)[0]
    if size > limit:
        raise Malformed(f"{what} length {size} exceeds {limit}", "xdr.too_long")
    start = pos + 4
    stop = start + size + (-size % 4)
    if stop > end:
        if isinstance(r, CutReader):
            return r.xdr_opaque(limit, what)
        raise Truncated(stop - start, end - start, what)
    r.pos = stop
    return r.view[start : start + size]


def fixed(layout: _struct.Struct, what: str) -> Callable[[Reader], tuple]:
    """A reader of a fixed-size run of XDR fields in one unpack (the hot
    operations' bodies: a call per field costs more than the rest of them)."""
    size = layout.size
    unpack = layout.unpack_from

    def read(r: Reader) -> tuple:
        pos = r.pos
        if pos + size > r.end:
            if isinstance(r, CutReader):
                return unpack(r.take(size, what))
            raise Truncated(size, r.end - pos, what)
        r.pos = pos + size
        return unpack(r.view, pos)

    return read


def u64(r: Reader) -> int:
    return r.u64()


def boolean(r: Reader) -> int:
    return int(r.xdr_bool())


def utf8(r: Reader) -> utf8string:
    """utf8string / component4 / linktext4 (RFC 7530 §2.2)."""
    raw = opaque(r, MAX_NAME, "utf8string")
    if not raw:
        return NOT_CAPTURED if getattr(r, "cut", False) else EMPTY  # EMPTY: the usual tag
    return _new(utf8string, (len(raw), str(raw, "utf-8", "surrogateescape")))


def string(r: Reader) -> str:
    return r.xdr_string(MAX_NAME, "string")


def opaque_bytes(r: Reader) -> bytes:
    return bytes(r.xdr_opaque(NFS4_OPAQUE_LIMIT, "opaque"))


def fh(r: Reader) -> nfs_fh4:
    data = bytes(opaque(r, NFS4_FHSIZE, "nfs_fh4"))
    return _new(nfs_fh4, (len(data), data))


_read_stateid = fixed(_struct.Struct(">I12s"), "stateid4")


def stateid(r: Reader) -> stateid4:
    return _new(stateid4, _read_stateid(r))


def fixed16(r: Reader) -> bytes:
    """sessionid4, deviceid4 (RFC 8881 §3.1): 16 opaque bytes."""
    return bytes(r.take(16, "16-byte id"))


# The operations of nearly every NFSv4.1 COMPOUND: SEQUENCE, PUTFH, READ, WRITE.
_read_sequence_args = fixed(_struct.Struct(">16s4I"), "SEQUENCE4args")
_read_sequence_ok = fixed(_struct.Struct(">16s5I"), "SEQUENCE4resok")
_read_io_args = fixed(_struct.Struct(">I12sQI"), "READ4args / WRITE4args")
_read_write_ok = fixed(_struct.Struct(">IIQ"), "WRITE4resok")


_BITMAP2 = _struct.Struct(">3I")


def bitmap(r: Reader) -> int:
    """bitmap4: uint32<>, kept as one 64-bit value of words 0 and 1 (illumos)."""
    pos = r.pos
    if pos + 12 <= r.end:  # the usual two words in one unpack
        count, word0, word1 = _BITMAP2.unpack_from(r.view, pos)
        if count == 2:
            r.pos = pos + 12
            return word0 | (word1 << 32)
    count = r.xdr_array_len(MAX_LIST, "bitmap4")
    words = [r.u32() for _ in range(count)]
    return (words[0] if count else 0) | ((words[1] << 32) if count > 1 else 0)


def fattr(r: Reader) -> fattr4:
    mask = bitmap(r)
    values = bytes(opaque(r, MAX_DATA, "attrlist4"))
    return _new(fattr4, (mask, values, len(values)))


def cinfo(r: Reader) -> change_info4:
    return change_info4(boolean(r), r.u64(), r.u64())


def owner(r: Reader) -> open_owner4:
    clientid = r.u64()
    value = opaque_bytes(r)
    return open_owner4(clientid, len(value), value)


def nfstime(r: Reader) -> nfstime4:
    return nfstime4(r.i64(), r.u32())


def ace(r: Reader) -> nfsace4:
    return nfsace4(r.u32(), r.u32(), r.u32(), utf8(r))


def clientaddr(r: Reader) -> clientaddr4:
    """netaddr4 / clientaddr4 (RFC 7530 §2.2.10): r_netid, r_addr."""
    return clientaddr4(string(r), string(r))


def array(item: Callable[[Reader], Any]) -> Callable[[Reader], tuple]:
    """A variable-length array of ``item`` (RFC 4506 §4.13)."""

    def decode(r: Reader) -> tuple:
        return tuple(item(r) for _ in range(r.xdr_array_len(MAX_LIST)))

    return decode


def struct(cls: type, *fields: Callable[[Reader], Any]) -> Callable[[Reader], Any]:
    """The decoder of a struct whose members are ``fields`` in wire order."""

    def decode(r: Reader) -> Any:
        return _new(cls, [field(r) for field in fields])

    return decode


# -- results: status, then the body only on NFS4_OK ----------------------------

def res(cls: type, *fields: Callable[[Reader], Any], zero: tuple = ()) -> Callable[[Reader], Any]:
    """The decoder of ``XXX4res``: ``status`` then, on NFS4_OK, ``fields``;
    on an error the members are ``zero`` (the union arm not held)."""

    if len(fields) == 1:
        (only,) = fields

        def decode_one(r: Reader) -> Any:
            status = u32(r)
            if status != NFS4_OK:
                return _new(cls, (status, *zero))
            return _new(cls, (status, only(r)))

        return decode_one

    def decode(r: Reader) -> Any:
        status = u32(r)
        if status != NFS4_OK:
            return cls(status, *zero)
        return cls(status, *[field(r) for field in fields])

    return decode


def status_only(name: str) -> tuple[type, Callable[[Reader], Any]]:
    cls = _t(name, "status")

    def decode(r: Reader) -> Any:
        return _new(cls, (u32(r),))

    return cls, decode


# -- the operations (RFC 7530 §16, RFC 8881 §18, RFC 7862 §15) -----------------

NoArgs = _t("NoArgs", "")
_NO_ARGS = NoArgs()


def no_args(r: Reader) -> NoArgs:
    return _NO_ARGS


ACCESS4args = _t("ACCESS4args", "access")
ACCESS4res = _t("ACCESS4res", "status supported access")
CLOSE4args = _t("CLOSE4args", "seqid open_stateid")
CLOSE4res = _t("CLOSE4res", "status open_stateid")
COMMIT4args = _t("COMMIT4args", "offset count")
COMMIT4res = _t("COMMIT4res", "status writeverf")
CREATE4args = _t("CREATE4args", "type ftype4_u objname createattrs")
CREATE4res = _t("CREATE4res", "status cinfo attrset")
DELEGPURGE4args = _t("DELEGPURGE4args", "clientid")
DELEGRETURN4args = _t("DELEGRETURN4args", "deleg_stateid")
GETATTR4args = _t("GETATTR4args", "attr_request")
GETATTR4res = _t("GETATTR4res", "status obj_attributes")
GETFH4res = _t("GETFH4res", "status object")
LINK4args = _t("LINK4args", "newname")
LINK4res = _t("LINK4res", "status cinfo")
LOCK4args = _t("LOCK4args", "locktype reclaim offset length locker")
LOCK4res = _t("LOCK4res", "status LOCK4res_u")
LOCKT4args = _t("LOCKT4args", "locktype offset length owner")
LOCKT4res = _t("LOCKT4res", "status denied")
LOCKU4args = _t("LOCKU4args", "locktype seqid lock_stateid offset length")
LOCKU4res = _t("LOCKU4res", "status lock_stateid")
LOOKUP4args = _t("LOOKUP4args", "objname")
NVERIFY4args = _t("NVERIFY4args", "obj_attributes")
OPEN4args = _t("OPEN4args", "seqid share_access share_deny owner opentype mode createhow4_u "
                            "claim open_claim4_u")
OPEN4res = _t("OPEN4res", "status stateid cinfo rflags attrset delegation")
OPENATTR4args = _t("OPENATTR4args", "createdir")
OPEN_CONFIRM4args = _t("OPEN_CONFIRM4args", "open_stateid seqid")
OPEN_CONFIRM4res = _t("OPEN_CONFIRM4res", "status open_stateid")
OPEN_DOWNGRADE4args = _t("OPEN_DOWNGRADE4args", "open_stateid seqid share_access share_deny")
OPEN_DOWNGRADE4res = _t("OPEN_DOWNGRADE4res", "status open_stateid")
PUTFH4args = _t("PUTFH4args", "object")
READ4args = _t("READ4args", "stateid offset count")
READDIR4args = _t("READDIR4args", "cookie cookieverf dircount maxcount attr_request")
READDIR4res = _t("READDIR4res", "status cookieverf data_len")
READLINK4res = _t("READLINK4res", "status link")
RELEASE_LOCKOWNER4args = _t("RELEASE_LOCKOWNER4args", "lock_owner")
REMOVE4args = _t("REMOVE4args", "target")
REMOVE4res = _t("REMOVE4res", "status cinfo")
RENAME4args = _t("RENAME4args", "oldname newname")
RENAME4res = _t("RENAME4res", "status source_cinfo target_cinfo")
RENEW4args = _t("RENEW4args", "clientid")
SECINFO4args = _t("SECINFO4args", "name")
SECINFO4res = _t("SECINFO4res", "status SECINFO4resok_len SECINFO4resok_val")
SETATTR4args = _t("SETATTR4args", "stateid obj_attributes")
SETATTR4res = _t("SETATTR4res", "status attrsset")
SETCLIENTID4args = _t("SETCLIENTID4args", "client callback callback_ident")
SETCLIENTID4res = _t("SETCLIENTID4res", "status SETCLIENTID4res_u")
SETCLIENTID_CONFIRM4args = _t("SETCLIENTID_CONFIRM4args", "clientid setclientid_confirm")
VERIFY4args = _t("VERIFY4args", "obj_attributes")
WRITE4args = _t("WRITE4args", "stateid offset stable data_len data_val")
WRITE4res = _t("WRITE4res", "status count committed writeverf")


class READ4res(NamedTuple):
    """READ4res: the data stays a view of the message (copied when read)."""

    status: int
    eof: int
    data_len: int
    data: memoryview | bytes

    @property
    def data_val(self) -> bytes:
        return bytes(self.data)


def create_args(r: Reader) -> Any:
    kind = r.u32()
    link, dev = EMPTY, specdata4(0, 0)
    if kind == NF4LNK:
        link = utf8(r)
    elif kind in (NF4BLK, NF4CHR):
        dev = specdata4(r.u32(), r.u32())
    return CREATE4args(kind, ftype4_u(link, dev), utf8(r), fattr(r))


def locker(r: Reader) -> Any:
    if r.xdr_bool():
        new = open_to_lock_owner4(r.u32(), stateid(r), r.u32(), owner(r))
        return locker4(1, locker4_u(new, exist_lock_owner4(ZERO_STATEID, 0)))
    exist = exist_lock_owner4(stateid(r), r.u32())
    return locker4(0, locker4_u(open_to_lock_owner4(0, ZERO_STATEID, 0, ZERO_OWNER), exist))


def denied(r: Reader) -> Any:
    return LOCK4denied(r.u64(), r.u64(), r.u32(), owner(r))


def lock_res(r: Reader) -> Any:
    status = r.u32()
    if status == NFS4_OK:
        return LOCK4res(status, LOCK4res_u(stateid(r), ZERO_DENIED))
    if status == NFS4ERR_DENIED:
        return LOCK4res(status, LOCK4res_u(ZERO_STATEID, denied(r)))
    return LOCK4res(status, LOCK4res_u(ZERO_STATEID, ZERO_DENIED))


def lockt_res(r: Reader) -> Any:
    status = r.u32()
    return LOCKT4res(status, denied(r) if status == NFS4ERR_DENIED else ZERO_DENIED)


def open_args(r: Reader) -> Any:
    seqid, access, deny, who = r.u32(), r.u32(), r.u32(), owner(r)
    opentype = r.u32()
    mode, attrs, verf = 0, ZERO_FATTR, 0
    if opentype == OPEN4_CREATE:
        mode = r.u32()
        if mode in (UNCHECKED4, GUARDED4):
            attrs = fattr(r)
        elif mode == EXCLUSIVE4:
            verf = r.u64()
        elif mode == EXCLUSIVE4_1:  # creatverfattr (RFC 8881 §18.16.1)
            verf = r.u64()
            attrs = fattr(r)
        else:
            raise Malformed(f"createmode4 {mode}", "nfs4.bad_createmode")
    claim = r.u32()
    name = prev = EMPTY
    deleg_type = 0
    cur = open_claim_delegate_cur4(ZERO_STATEID, EMPTY)
    if claim == CLAIM_NULL:
        name = utf8(r)
    elif claim == CLAIM_PREVIOUS:
        deleg_type = r.u32()
    elif claim == CLAIM_DELEGATE_CUR:
        cur = open_claim_delegate_cur4(stateid(r), utf8(r))
    elif claim == CLAIM_DELEGATE_PREV:
        prev = utf8(r)
    elif claim == CLAIM_DELEG_CUR_FH:
        cur = open_claim_delegate_cur4(stateid(r), EMPTY)
    elif claim not in (CLAIM_FH, CLAIM_DELEG_PREV_FH):
        raise Malformed(f"open_claim_type4 {claim}", "nfs4.bad_claim")
    return OPEN4args(seqid, access, deny, who, opentype, mode, createhow4_u(attrs, verf),
                     claim, open_claim4_u(name, deleg_type, cur, prev))


def space_limit(r: Reader) -> Any:
    how = r.u32()
    if how == NFS_LIMIT_SIZE:
        return nfs_space_limit4(how, nfs_space_limit4_u(r.u64(), nfs_modified_limit4(0, 0)))
    if how == NFS_LIMIT_BLOCKS:
        return nfs_space_limit4(how, nfs_space_limit4_u(0, nfs_modified_limit4(r.u32(), r.u32())))
    raise Malformed(f"limit_by4 {how}", "nfs4.bad_limit")


def delegation(r: Reader) -> Any:
    """open_delegation4 (RFC 7530 §16.16.2; NONE_EXT: RFC 8881 §18.16.2)."""
    kind = r.u32()
    zero = ZERO_DELEGATION.open_delegation4_u
    if kind == OPEN_DELEGATE_READ:
        read = open_read_delegation4(stateid(r), boolean(r), ace(r))
        return open_delegation4(kind, open_delegation4_u(read, zero.write))
    if kind == OPEN_DELEGATE_WRITE:
        write = open_write_delegation4(stateid(r), boolean(r), space_limit(r), ace(r))
        return open_delegation4(kind, open_delegation4_u(zero.read, write))
    if kind == OPEN_DELEGATE_NONE_EXT:
        why = r.u32()
        if why in (1, 2):  # WND4_CONTENTION, WND4_RESOURCE carry a boolean
            r.u32()
    elif kind != OPEN_DELEGATE_NONE:
        raise Malformed(f"open_delegation_type4 {kind}", "nfs4.bad_delegation")
    return open_delegation4(kind, zero)


def secinfo_list(r: Reader) -> tuple[int, tuple]:
    items = []
    for _ in range(r.xdr_array_len(MAX_LIST, "secinfo4")):
        flavor = r.u32()
        if flavor == RPCSEC_GSS:
            oid = opaque_bytes(r)
            info = rpcsec_gss_info(sec_oid4(len(oid), oid), r.u32(), r.u32())
        else:
            info = rpcsec_gss_info(sec_oid4(0, b""), 0, 0)
        items.append(secinfo4(flavor, info))
    return len(items), tuple(items)


def secinfo_res(r: Reader) -> Any:
    status = r.u32()
    if status != NFS4_OK:
        return SECINFO4res(status, 0, ())
    return SECINFO4res(status, *secinfo_list(r))


def read_args(r: Reader) -> Any:
    seqid, other, offset, count = _read_io_args(r)
    return _new(READ4args, (_new(stateid4, (seqid, other)), offset, count))


def read_res(r: Reader) -> Any:
    status = u32(r)
    if status != NFS4_OK:
        return READ4res(status, 0, 0, b"")
    eof = boolean(r)
    data = opaque(r, MAX_DATA, "READ4resok.data")
    return _new(READ4res, (status, eof, len(data), data))


def readdir_res(r: Reader) -> Any:
    """READDIR4res; ``data_len`` is the size of the encoded dirlist4 (entries, eof)."""
    status = r.u32()
    if status != NFS4_OK:
        return READDIR4res(status, 0, 0)
    verf = r.u64()
    start = r.pos
    while r.xdr_bool():  # entry4: cookie, name, attrs, then the next's presence
        r.u64()
        r.xdr_opaque(MAX_NAME, "entry4.name")
        fattr(r)
    r.u32()  # eof
    return READDIR4res(status, verf, r.pos - start)


def setattr_res(r: Reader) -> Any:
    return SETATTR4res(r.u32(), bitmap(r))  # attrsset is there whatever the status


def setclientid_args(r: Reader) -> Any:
    verifier = r.u64()
    ident = opaque_bytes(r)
    client = nfs_client_id4(verifier, len(ident), ident)
    callback = cb_client4(r.u32(), clientaddr(r))
    return SETCLIENTID4args(client, callback, r.u32())


def setclientid_res(r: Reader) -> Any:
    status = r.u32()
    ok, using = SETCLIENTID4resok(0, 0), ZERO_ADDR
    if status == NFS4_OK:
        ok = SETCLIENTID4resok(r.u64(), r.u64())
    elif status == NFS4ERR_CLID_INUSE:
        using = clientaddr(r)
    return SETCLIENTID4res(status, SETCLIENTID4res_u(ok, using))


def write_args(r: Reader) -> Any:
    seqid, other, offset, stable = _read_io_args(r)
    data = opaque(r, MAX_DATA, "WRITE4args.data")
    return _new(WRITE4args, (_new(stateid4, (seqid, other)), offset, stable, len(data), data))


def write_res(r: Reader) -> Any:
    status = u32(r)
    if status != NFS4_OK:
        return WRITE4res(status, 0, 0, 0)
    return _new(WRITE4res, (status, *_read_write_ok(r)))


def sequence_args(r: Reader) -> Any:
    args = _new(SEQUENCE4args, _read_sequence_args(r))
    if args.sa_cachethis > 1:
        raise Malformed(f"XDR boolean {args.sa_cachethis}", "xdr.bad_bool")
    return args


def sequence_res(r: Reader) -> Any:
    status = u32(r)
    if status != NFS4_OK:
        return SEQUENCE4res(status, *_ZERO_SEQUENCE)
    return _new(SEQUENCE4res, (status, *_read_sequence_ok(r)))


def putfh_args(r: Reader) -> Any:
    return _new(PUTFH4args, (fh(r),))


# -- NFSv4.1 (RFC 8881 §18.33-58) ----------------------------------------------

channel_attrs4 = _t("channel_attrs4", "ca_headerpadsize ca_maxrequestsize ca_maxresponsesize "
                                      "ca_maxresponsesize_cached ca_maxoperations ca_maxrequests "
                                      "ca_rdma_ird_len")
callback_sec_parms4 = _t("callback_sec_parms4", "cb_secflavor")
client_owner4 = _t("client_owner4", "co_verifier co_ownerid_len co_ownerid")
server_owner4 = _t("server_owner4", "so_minor_id so_major_id_len so_major_id")
nfs_impl_id4 = _t("nfs_impl_id4", "nii_domain nii_name nii_date")
state_protect_ops4 = _t("state_protect_ops4", "spo_must_enforce spo_must_allow")
layout_content4 = _t("layout_content4", "loc_type loc_body_len")
layout4 = _t("layout4", "lo_offset lo_length lo_iomode lo_content")

BACKCHANNEL_CTL4args = _t("BACKCHANNEL_CTL4args", "bca_cb_program bca_sec_parms_len")
BIND_CONN_TO_SESSION4args = _t("BIND_CONN_TO_SESSION4args",
                               "bctsa_sessid bctsa_dir bctsa_use_conn_in_rdma_mode")
BIND_CONN_TO_SESSION4res = _t("BIND_CONN_TO_SESSION4res",
                              "bctsr_status bctsr_sessid bctsr_dir bctsr_use_conn_in_rdma_mode")
EXCHANGE_ID4args = _t("EXCHANGE_ID4args", "eia_clientowner eia_flags eia_state_protect "
                                          "eia_client_impl_id_len eia_client_impl_id")
EXCHANGE_ID4res = _t("EXCHANGE_ID4res", "eir_status eir_clientid eir_sequenceid eir_flags "
                                        "eir_state_protect eir_server_owner eir_server_scope_len "
                                        "eir_server_impl_id_len eir_server_impl_id")
CREATE_SESSION4args = _t("CREATE_SESSION4args", "csa_clientid csa_sequence csa_flags "
                                                "csa_fore_chan_attrs csa_back_chan_attrs "
                                                "csa_cb_program csa_sec_parms_len")
CREATE_SESSION4res = _t("CREATE_SESSION4res", "csr_status csr_sessionid csr_sequence csr_flags "
                                              "csr_fore_chan_attrs csr_back_chan_attrs")
DESTROY_SESSION4args = _t("DESTROY_SESSION4args", "dsa_sessionid")
FREE_STATEID4args = _t("FREE_STATEID4args", "fsa_stateid")
GET_DIR_DELEGATION4args = _t("GET_DIR_DELEGATION4args",
                             "gdda_signal_deleg_avail gdda_notification_types "
                             "gdda_child_attr_delay gdda_dir_attr_delay "
                             "gdda_child_attributes gdda_dir_attributes")
GET_DIR_DELEGATION4res = _t("GET_DIR_DELEGATION4res",
                            "gddr_status gddrnf_status gddr_cookieverf gddr_stateid "
                            "gddr_notification gddr_child_attributes gddr_dir_attributes "
                            "gddrnf_will_signal_deleg_avail")
GETDEVICEINFO4args = _t("GETDEVICEINFO4args", "gdia_device_id gdia_layout_type gdia_maxcount "
                                              "gdia_notify_types")
GETDEVICEINFO4res = _t("GETDEVICEINFO4res", "gdir_status gdir_layout_type gdir_addr_body_len "
                                            "gdir_notification gdir_mincount")
GETDEVICELIST4args = _t("GETDEVICELIST4args", "gdla_layout_type gdla_maxdevices gdla_cookie "
                                              "gdla_cookieverf")
GETDEVICELIST4res = _t("GETDEVICELIST4res", "gdlr_status gdlr_cookie gdlr_cookieverf "
                                            "gdlr_deviceid_list_len gdlr_eof")
LAYOUTCOMMIT4args = _t("LAYOUTCOMMIT4args", "loca_offset loca_length loca_reclaim loca_stateid "
                                            "loca_last_write_offset_changed loca_last_write_offset "
                                            "loca_time_modify_changed loca_time_modify "
                                            "loca_layoutupdate_type loca_layoutupdate_len")
LAYOUTCOMMIT4res = _t("LAYOUTCOMMIT4res", "locr_status locr_sizechanged locr_newsize")
LAYOUTGET4args = _t("LAYOUTGET4args", "loga_signal_layout_avail loga_layout_type loga_iomode "
                                      "loga_offset loga_length loga_minlength loga_stateid "
                                      "loga_maxcount")
LAYOUTGET4res = _t("LAYOUTGET4res", "logr_status logr_return_on_close logr_stateid "
                                    "logr_layout_len logr_layout logr_will_signal_layout_avail")
LAYOUTRETURN4args = _t("LAYOUTRETURN4args", "lora_reclaim lora_layout_type lora_iomode "
                                            "lora_layoutreturn_type lrf_offset lrf_length "
                                            "lrf_stateid lrf_body_len")
LAYOUTRETURN4res = _t("LAYOUTRETURN4res", "lorr_status lrs_present lrs_stateid")
SECINFO_NO_NAME4args = _t("SECINFO_NO_NAME4args", "style")
SEQUENCE4args = _t("SEQUENCE4args", "sa_sessionid sa_sequenceid sa_slotid sa_highest_slotid "
                                    "sa_cachethis")
SEQUENCE4res = _t("SEQUENCE4res", "sr_status sr_sessionid sr_sequenceid sr_slotid "
                                  "sr_highest_slotid sr_target_highest_slotid sr_status_flags")
SET_SSV4args = _t("SET_SSV4args", "ssa_ssv_len ssa_digest_len")
SET_SSV4res = _t("SET_SSV4res", "ssr_status ssr_digest_len")
TEST_STATEID4args = _t("TEST_STATEID4args", "ts_stateids_len ts_stateids")
TEST_STATEID4res = _t("TEST_STATEID4res", "tsr_status tsr_status_codes_len tsr_status_codes")
WANT_DELEGATION4args = _t("WANT_DELEGATION4args", "wda_want wda_claim wda_delegate_type")
WANT_DELEGATION4res = _t("WANT_DELEGATION4res", "wdr_status wdr_delegation")
DESTROY_CLIENTID4args = _t("DESTROY_CLIENTID4args", "dca_clientid")
RECLAIM_COMPLETE4args = _t("RECLAIM_COMPLETE4args", "rca_one_fs")


def sec_parms(r: Reader) -> int:
    """callback_sec_parms4<> (RFC 8881 §18.36): how many, each skipped."""
    count = r.xdr_array_len(MAX_LIST, "callback_sec_parms4")
    for _ in range(count):
        flavor = r.u32()
        if flavor == AUTH_SYS:
            r.u32()
            r.xdr_opaque(255, "machinename")
            r.u32()
            r.u32()
            for _ in range(r.xdr_array_len(16, "gids")):
                r.u32()
        elif flavor == RPCSEC_GSS:  # gss_cb_handles4
            r.u32()
            r.xdr_opaque(NFS4_OPAQUE_LIMIT)
            r.xdr_opaque(NFS4_OPAQUE_LIMIT)
        elif flavor != 0:
            raise Malformed(f"callback security flavor {flavor}", "nfs4.bad_flavor")
    return count


def channel_attrs(r: Reader) -> Any:
    values = [r.u32() for _ in range(6)]
    ird = r.xdr_array_len(1, "ca_rdma_ird")
    for _ in range(ird):
        r.u32()
    return channel_attrs4(*values, ird)


def impl_ids(r: Reader) -> tuple[int, Any]:
    count = r.xdr_array_len(1, "nfs_impl_id4")
    if not count:
        return 0, nfs_impl_id4(EMPTY, EMPTY, nfstime4(0, 0))
    return 1, nfs_impl_id4(utf8(r), utf8(r), nfstime(r))


def state_protect_ops(r: Reader) -> Any:
    return state_protect_ops4(bitmap(r), bitmap(r))


def exchange_id_args(r: Reader) -> Any:
    verifier = r.u64()
    ident = opaque_bytes(r)
    flags, how = r.u32(), r.u32()
    if how == SP4_MACH_CRED:
        state_protect_ops(r)
    elif how == SP4_SSV:  # ssv_sp_parms4
        state_protect_ops(r)
        array(opaque_bytes)(r)
        array(opaque_bytes)(r)
        r.u32()
        r.u32()
    elif how != SP4_NONE:
        raise Malformed(f"state_protect_how4 {how}", "nfs4.bad_state_protect")
    return EXCHANGE_ID4args(client_owner4(verifier, len(ident), ident), flags, how,
                            *impl_ids(r))


def exchange_id_res(r: Reader) -> Any:
    status = r.u32()
    if status != NFS4_OK:
        return EXCHANGE_ID4res(status, 0, 0, 0, 0, server_owner4(0, 0, b""), 0,
                               *impl_ids(Reader(bytes(4))))
    clientid, seq, flags, how = r.u64(), r.u32(), r.u32(), r.u32()
    if how == SP4_MACH_CRED:
        state_protect_ops(r)
    elif how == SP4_SSV:  # ssv_prot_info4
        state_protect_ops(r)
        for _ in range(4):
            r.u32()
        array(opaque_bytes)(r)
    elif how != SP4_NONE:
        raise Malformed(f"state_protect_how4 {how}", "nfs4.bad_state_protect")
    minor = r.u64()
    major = opaque_bytes(r)
    scope = opaque_bytes(r)
    return EXCHANGE_ID4res(status, clientid, seq, flags, how,
                           server_owner4(minor, len(major), major), len(scope), *impl_ids(r))


def create_session_args(r: Reader) -> Any:
    return CREATE_SESSION4args(r.u64(), r.u32(), r.u32(), channel_attrs(r), channel_attrs(r),
                               r.u32(), sec_parms(r))


_ZERO_CHANNEL = channel_attrs4(0, 0, 0, 0, 0, 0, 0)


def layout_content(r: Reader) -> Any:
    kind = r.u32()
    return layout_content4(kind, len(r.xdr_opaque(MAX_DATA, "layout body")))


def layout(r: Reader) -> Any:
    return layout4(r.u64(), r.u64(), r.u32(), layout_content(r))


def getdeviceinfo_res(r: Reader) -> Any:
    status = r.u32()
    if status == NFS4_OK:
        kind = r.u32()
        body = r.xdr_opaque(MAX_DATA, "da_addr_body")
        return GETDEVICEINFO4res(status, kind, len(body), bitmap(r), 0)
    if status == NFS4ERR_TOOSMALL:
        return GETDEVICEINFO4res(status, 0, 0, 0, r.u32())
    return GETDEVICEINFO4res(status, 0, 0, 0, 0)


def getdevicelist_res(r: Reader) -> Any:
    status = r.u32()
    if status != NFS4_OK:
        return GETDEVICELIST4res(status, 0, 0, 0, 0)
    cookie, verf = r.u64(), r.u64()
    ids = array(fixed16)(r)
    return GETDEVICELIST4res(status, cookie, verf, len(ids), boolean(r))


def layoutcommit_args(r: Reader) -> Any:
    offset, length, reclaim, sid = r.u64(), r.u64(), boolean(r), stateid(r)
    new_offset = boolean(r)
    last = r.u64() if new_offset else 0
    new_time = boolean(r)
    when = nfstime(r) if new_time else nfstime4(0, 0)
    kind = r.u32()
    body = r.xdr_opaque(MAX_DATA, "lou_body")
    return LAYOUTCOMMIT4args(offset, length, reclaim, sid, new_offset, last, new_time, when,
                             kind, len(body))


def layoutcommit_res(r: Reader) -> Any:
    status = r.u32()
    if status != NFS4_OK:
        return LAYOUTCOMMIT4res(status, 0, 0)
    changed = boolean(r)
    return LAYOUTCOMMIT4res(status, changed, r.u64() if changed else 0)


_ZERO_LAYOUT = layout4(0, 0, 0, layout_content4(0, 0))


def layoutget_res(r: Reader) -> Any:
    status = r.u32()
    if status == NFS4_OK:
        roc, sid = boolean(r), stateid(r)
        layouts = array(layout)(r)
        return LAYOUTGET4res(status, roc, sid, len(layouts),
                             layouts[0] if layouts else _ZERO_LAYOUT, 0)
    if status == NFS4ERR_LAYOUTTRYLATER:
        return LAYOUTGET4res(status, 0, ZERO_STATEID, 0, _ZERO_LAYOUT, boolean(r))
    return LAYOUTGET4res(status, 0, ZERO_STATEID, 0, _ZERO_LAYOUT, 0)


def layoutreturn_args(r: Reader) -> Any:
    reclaim, kind, iomode, how = boolean(r), r.u32(), r.u32(), r.u32()
    if how == LAYOUTRETURN4_FILE:
        offset, length, sid = r.u64(), r.u64(), stateid(r)
        body = r.xdr_opaque(MAX_DATA, "lrf_body")
        return LAYOUTRETURN4args(reclaim, kind, iomode, how, offset, length, sid, len(body))
    return LAYOUTRETURN4args(reclaim, kind, iomode, how, 0, 0, ZERO_STATEID, 0)


def layoutreturn_res(r: Reader) -> Any:
    status = r.u32()
    if status != NFS4_OK:
        return LAYOUTRETURN4res(status, 0, ZERO_STATEID)
    present = boolean(r)
    return LAYOUTRETURN4res(status, present, stateid(r) if present else ZERO_STATEID)


def get_dir_delegation_res(r: Reader) -> Any:
    status = r.u32()
    if status != NFS4_OK:
        return GET_DIR_DELEGATION4res(status, 0, 0, ZERO_STATEID, 0, 0, 0, 0)
    gdd = r.u32()
    if gdd == 0:  # GDD4_OK
        return GET_DIR_DELEGATION4res(status, gdd, r.u64(), stateid(r), bitmap(r), bitmap(r),
                                      bitmap(r), 0)
    return GET_DIR_DELEGATION4res(status, gdd, 0, ZERO_STATEID, 0, 0, 0, boolean(r))


def test_stateid_res(r: Reader) -> Any:
    status = r.u32()
    if status != NFS4_OK:
        return TEST_STATEID4res(status, 0, ())
    codes = array(u32)(r)
    return TEST_STATEID4res(status, len(codes), codes)


def want_delegation_args(r: Reader) -> Any:
    want, claim = r.u32(), r.u32()
    kind = r.u32() if claim == CLAIM_PREVIOUS else 0
    return WANT_DELEGATION4args(want, claim, kind)


def set_ssv_args(r: Reader) -> Any:
    return SET_SSV4args(len(r.xdr_opaque(MAX_DATA)), len(r.xdr_opaque(MAX_DATA)))


def test_stateid_args(r: Reader) -> Any:
    ids = array(stateid)(r)
    return TEST_STATEID4args(len(ids), ids)


# -- NFSv4.2 (RFC 7862 §15) and extended attributes (RFC 8276 §8.4) -----------

write_response4 = _t("write_response4", "wr_callback_id_len wr_count wr_committed wr_writeverf")
netloc4 = _t("netloc4", "nl_type nl_name nl_netid nl_addr")

ALLOCATE4args = _t("ALLOCATE4args", "aa_stateid aa_offset aa_length")
COPY4args = _t("COPY4args", "ca_src_stateid ca_dst_stateid ca_src_offset ca_dst_offset ca_count "
                            "ca_consecutive ca_synchronous ca_source_server_len")
COPY4res = _t("COPY4res", "cr_status cr_response cr_consecutive cr_synchronous")
COPY_NOTIFY4args = _t("COPY_NOTIFY4args", "cna_src_stateid cna_destination_server")
COPY_NOTIFY4res = _t("COPY_NOTIFY4res", "cnr_status cnr_lease_time cnr_stateid "
                                        "cnr_source_server_len")
DEALLOCATE4args = _t("DEALLOCATE4args", "da_stateid da_offset da_length")
IO_ADVISE4args = _t("IO_ADVISE4args", "iaa_stateid iaa_offset iaa_count iaa_hints")
IO_ADVISE4res = _t("IO_ADVISE4res", "ior_status ior_hints")
LAYOUTERROR4args = _t("LAYOUTERROR4args", "lea_offset lea_length lea_stateid lea_errors_len")
LAYOUTSTATS4args = _t("LAYOUTSTATS4args", "lsa_offset lsa_length lsa_stateid lsa_read_count "
                                          "lsa_read_bytes lsa_write_count lsa_write_bytes "
                                          "lsa_deviceid lsa_layoutupdate_type "
                                          "lsa_layoutupdate_len")
OFFLOAD_CANCEL4args = _t("OFFLOAD_CANCEL4args", "oca_stateid")
OFFLOAD_STATUS4args = _t("OFFLOAD_STATUS4args", "osa_stateid")
OFFLOAD_STATUS4res = _t("OFFLOAD_STATUS4res", "osr_status osr_count osr_complete_len "
                                              "osr_complete")
READ_PLUS4args = _t("READ_PLUS4args", "rpa_stateid rpa_offset rpa_count")
READ_PLUS4res = _t("READ_PLUS4res", "rpr_status rpr_eof rpr_contents_len rpr_data_len "
                                    "rpr_hole_len")
SEEK4args = _t("SEEK4args", "sa_stateid sa_offset sa_what")
SEEK4res = _t("SEEK4res", "sr_status sr_eof sr_offset")
WRITE_SAME4args = _t("WRITE_SAME4args", "wsa_stateid wsa_stable wsa_offset wsa_block_size "
                                        "wsa_block_count wsa_reloff_blocknum wsa_block_num "
                                        "wsa_reloff_pattern wsa_pattern_len")
WRITE_SAME4res = _t("WRITE_SAME4res", "wsr_status wsr_resok4")
CLONE4args = _t("CLONE4args", "cl_src_stateid cl_dst_stateid cl_src_offset cl_dst_offset "
                              "cl_count")
GETXATTR4args = _t("GETXATTR4args", "gxa_name")
GETXATTR4res = _t("GETXATTR4res", "gxr_status gxr_value_len")
SETXATTR4args = _t("SETXATTR4args", "sxa_option sxa_key sxa_value_len")
SETXATTR4res = _t("SETXATTR4res", "sxr_status sxr_info")
LISTXATTRS4args = _t("LISTXATTRS4args", "lxa_cookie lxa_maxcount")
LISTXATTRS4res = _t("LISTXATTRS4res", "lxr_status lxr_cookie lxr_names_len lxr_eof")
REMOVEXATTR4args = _t("REMOVEXATTR4args", "rxa_name")
REMOVEXATTR4res = _t("REMOVEXATTR4res", "rxr_status rxr_info")

_ZERO_WRITE_RESPONSE = write_response4(0, 0, 0, 0)
_ZERO_NETLOC = netloc4(0, EMPTY, "", "")


def netloc(r: Reader) -> Any:
    kind = r.u32()
    if kind in (NL4_NAME, NL4_URL):
        return netloc4(kind, utf8(r), "", "")
    if kind == NL4_NETADDR:
        return netloc4(kind, EMPTY, string(r), string(r))
    raise Malformed(f"netloc_type4 {kind}", "nfs4.bad_netloc")


def write_response(r: Reader) -> Any:
    ids = array(stateid)(r)
    if len(ids) > 1:
        raise Malformed("wr_callback_id has more than one stateid", "nfs4.bad_write_response")
    return write_response4(len(ids), r.u64(), r.u32(), r.u64())


def copy_res(r: Reader) -> Any:
    status = r.u32()
    if status == NFS4_OK:
        return COPY4res(status, write_response(r), boolean(r), boolean(r))
    if status == NFS4ERR_OFFLOAD_NO_REQS:
        return COPY4res(status, _ZERO_WRITE_RESPONSE, boolean(r), boolean(r))
    return COPY4res(status, _ZERO_WRITE_RESPONSE, 0, 0)


def copy_notify_res(r: Reader) -> Any:
    status = r.u32()
    if status != NFS4_OK:
        return COPY_NOTIFY4res(status, nfstime4(0, 0), ZERO_STATEID, 0)
    return COPY_NOTIFY4res(status, nfstime(r), stateid(r), len(array(netloc)(r)))


def offload_status_res(r: Reader) -> Any:
    status = r.u32()
    if status != NFS4_OK:
        return OFFLOAD_STATUS4res(status, 0, 0, 0)
    count = r.u64()
    complete = array(u32)(r)
    if len(complete) > 1:
        raise Malformed("osr_complete has more than one status", "nfs4.bad_offload_status")
    return OFFLOAD_STATUS4res(status, count, len(complete), complete[0] if complete else 0)


def read_plus_res(r: Reader) -> Any:
    status = r.u32()
    if status != NFS4_OK:
        return READ_PLUS4res(status, 0, 0, 0, 0)
    eof = boolean(r)
    count = r.xdr_array_len(MAX_LIST, "read_plus_content")
    data = hole = 0
    for _ in range(count):
        kind = r.u32()
        if kind == NFS4_CONTENT_DATA:
            r.u64()
            data += len(r.xdr_opaque(MAX_DATA, "rpc_data"))
        elif kind == NFS4_CONTENT_HOLE:
            r.u64()
            hole += r.u64()
        else:
            raise Malformed(f"data_content4 {kind}", "nfs4.bad_content")
    return READ_PLUS4res(status, eof, count, data, hole)


def layoutstats_args(r: Reader) -> Any:
    offset, length, sid = r.u64(), r.u64(), stateid(r)
    counts = [r.u64() for _ in range(4)]
    device = fixed16(r)
    kind = r.u32()
    body = r.xdr_opaque(MAX_DATA, "lou_body")
    return LAYOUTSTATS4args(offset, length, sid, *counts, device, kind, len(body))


def layouterror_args(r: Reader) -> Any:
    offset, length, sid = r.u64(), r.u64(), stateid(r)
    count = r.xdr_array_len(MAX_LIST, "device_error4")
    for _ in range(count):
        fixed16(r)
        r.u32()
        r.u32()
    return LAYOUTERROR4args(offset, length, sid, count)


def write_same_args(r: Reader) -> Any:
    sid, stable = stateid(r), r.u32()
    values = [r.u64(), r.u64(), r.u64(), r.u64(), r.u32(), r.u64()]
    pattern = r.xdr_opaque(MAX_DATA, "adb_pattern")
    return WRITE_SAME4args(sid, stable, *values, len(pattern))


def listxattrs_res(r: Reader) -> Any:
    status = r.u32()
    if status != NFS4_OK:
        return LISTXATTRS4res(status, 0, 0, 0)
    cookie = r.u64()
    names = array(opaque_bytes)(r)
    return LISTXATTRS4res(status, cookie, len(names), boolean(r))


def _length_of_opaque(r: Reader) -> int:
    return len(r.xdr_opaque(MAX_DATA))


class Operation(NamedTuple):
    """One row of the operation table; ``solaris``: Solaris's provider has the probes."""

    name: str
    decode_args: Callable[[Reader], Any]
    decode_res: Callable[[Reader], Any]
    solaris: bool = True


def _status(name: str) -> Callable[[Reader], Any]:
    return status_only(name)[1]


def _ext(name: str, args: Callable[[Reader], Any], result: Callable[[Reader], Any]) -> Operation:
    return Operation(name, args, result, solaris=False)


_STATEID_ARGS = {name: struct(_t(name, member), stateid) for name, member in (
    ("FREE_STATEID4args", "fsa_stateid"), ("OFFLOAD_CANCEL4args", "oca_stateid"),
    ("OFFLOAD_STATUS4args", "osa_stateid"))}
_ZERO_SEQUENCE = (bytes(16), 0, 0, 0, 0, 0)
_ZERO_SESSION = (bytes(16), 0, 0, _ZERO_CHANNEL, _ZERO_CHANNEL)

# RFC 7530 §16, RFC 8881 §18, RFC 7862 §15, RFC 8276 §8.4: {opcode: Operation}
NFS4_OPERATIONS: dict[int, Operation] = {
    3: Operation("access", struct(ACCESS4args, u32), res(ACCESS4res, u32, u32, zero=(0, 0))),
    4: Operation("close", struct(CLOSE4args, u32, stateid),
                 res(CLOSE4res, stateid, zero=(ZERO_STATEID,))),
    5: Operation("commit", struct(COMMIT4args, u64, u32), res(COMMIT4res, u64, zero=(0,))),
    6: Operation("create", create_args, res(CREATE4res, cinfo, bitmap, zero=(ZERO_CINFO, 0))),
    7: Operation("delegpurge", struct(DELEGPURGE4args, u64), _status("DELEGPURGE4res")),
    8: Operation("delegreturn", struct(DELEGRETURN4args, stateid), _status("DELEGRETURN4res")),
    9: Operation("getattr", struct(GETATTR4args, bitmap),
                 res(GETATTR4res, fattr, zero=(ZERO_FATTR,))),
    10: Operation("getfh", no_args, res(GETFH4res, fh, zero=(ZERO_FH,))),
    11: Operation("link", struct(LINK4args, utf8), res(LINK4res, cinfo, zero=(ZERO_CINFO,))),
    12: Operation("lock", struct(LOCK4args, u32, boolean, u64, u64, locker), lock_res),
    13: Operation("lockt", struct(LOCKT4args, u32, u64, u64, owner), lockt_res),
    14: Operation("locku", struct(LOCKU4args, u32, u32, stateid, u64, u64),
                  res(LOCKU4res, stateid, zero=(ZERO_STATEID,))),
    15: Operation("lookup", struct(LOOKUP4args, utf8), _status("LOOKUP4res")),
    16: Operation("lookupp", no_args, _status("LOOKUPP4res")),
    17: Operation("nverify", struct(NVERIFY4args, fattr), _status("NVERIFY4res")),
    18: Operation("open", open_args,
                  res(OPEN4res, stateid, cinfo, u32, bitmap, delegation,
                      zero=(ZERO_STATEID, ZERO_CINFO, 0, 0, ZERO_DELEGATION))),
    19: Operation("openattr", struct(OPENATTR4args, boolean), _status("OPENATTR4res")),
    20: Operation("open-confirm", struct(OPEN_CONFIRM4args, stateid, u32),
                  res(OPEN_CONFIRM4res, stateid, zero=(ZERO_STATEID,))),
    21: Operation("open-downgrade", struct(OPEN_DOWNGRADE4args, stateid, u32, u32, u32),
                  res(OPEN_DOWNGRADE4res, stateid, zero=(ZERO_STATEID,))),
    22: Operation("putfh", putfh_args, _status("PUTFH4res")),
    23: Operation("putpubfh", no_args, _status("PUTPUBFH4res")),
    24: Operation("putrootfh", no_args, _status("PUTROOTFH4res")),
    25: Operation("read", read_args, read_res),
    26: Operation("readdir", struct(READDIR4args, u64, u64, u32, u32, bitmap), readdir_res),
    27: Operation("readlink", no_args, res(READLINK4res, utf8, zero=(EMPTY,))),
    28: Operation("remove", struct(REMOVE4args, utf8), res(REMOVE4res, cinfo, zero=(ZERO_CINFO,))),
    29: Operation("rename", struct(RENAME4args, utf8, utf8),
                  res(RENAME4res, cinfo, cinfo, zero=(ZERO_CINFO, ZERO_CINFO))),
    30: Operation("renew", struct(RENEW4args, u64), _status("RENEW4res")),
    31: Operation("restorefh", no_args, _status("RESTOREFH4res")),
    32: Operation("savefh", no_args, _status("SAVEFH4res")),
    33: Operation("secinfo", struct(SECINFO4args, utf8), secinfo_res),
    34: Operation("setattr", struct(SETATTR4args, stateid, fattr), setattr_res),
    35: Operation("setclientid", setclientid_args, setclientid_res),
    36: Operation("setclientid-confirm", struct(SETCLIENTID_CONFIRM4args, u64, u64),
                  _status("SETCLIENTID_CONFIRM4res")),
    37: Operation("verify", struct(VERIFY4args, fattr), _status("VERIFY4res")),
    38: Operation("write", write_args, write_res),
    39: Operation("release-lockowner", struct(RELEASE_LOCKOWNER4args, owner),
                  _status("RELEASE_LOCKOWNER4res")),
    # NFSv4.1 (RFC 8881 §18.33-58)
    40: _ext("backchannel-ctl", struct(BACKCHANNEL_CTL4args, u32, sec_parms),
             _status("BACKCHANNEL_CTL4res")),
    41: _ext("bind-conn-to-session", struct(BIND_CONN_TO_SESSION4args, fixed16, u32, boolean),
             res(BIND_CONN_TO_SESSION4res, fixed16, u32, boolean, zero=(bytes(16), 0, 0))),
    42: _ext("exchange-id", exchange_id_args, exchange_id_res),
    43: _ext("create-session", create_session_args,
             res(CREATE_SESSION4res, fixed16, u32, u32, channel_attrs, channel_attrs,
                 zero=_ZERO_SESSION)),
    44: _ext("destroy-session", struct(DESTROY_SESSION4args, fixed16),
             _status("DESTROY_SESSION4res")),
    45: _ext("free-stateid", _STATEID_ARGS["FREE_STATEID4args"], _status("FREE_STATEID4res")),
    46: _ext("get-dir-delegation",
             struct(GET_DIR_DELEGATION4args, boolean, bitmap, nfstime, nfstime, bitmap, bitmap),
             get_dir_delegation_res),
    47: _ext("getdeviceinfo", struct(GETDEVICEINFO4args, fixed16, u32, u32, bitmap),
             getdeviceinfo_res),
    48: _ext("getdevicelist", struct(GETDEVICELIST4args, u32, u32, u64, u64), getdevicelist_res),
    49: _ext("layoutcommit", layoutcommit_args, layoutcommit_res),
    50: _ext("layoutget",
             struct(LAYOUTGET4args, boolean, u32, u32, u64, u64, u64, stateid, u32),
             layoutget_res),
    51: _ext("layoutreturn", layoutreturn_args, layoutreturn_res),
    52: _ext("secinfo-no-name", struct(SECINFO_NO_NAME4args, u32), secinfo_res),
    53: _ext("sequence", sequence_args, sequence_res),
    54: _ext("set-ssv", set_ssv_args, res(SET_SSV4res, _length_of_opaque, zero=(0,))),
    55: _ext("test-stateid", test_stateid_args, test_stateid_res),
    56: _ext("want-delegation", want_delegation_args,
             res(WANT_DELEGATION4res, delegation, zero=(ZERO_DELEGATION,))),
    57: _ext("destroy-clientid", struct(DESTROY_CLIENTID4args, u64),
             _status("DESTROY_CLIENTID4res")),
    58: _ext("reclaim-complete", struct(RECLAIM_COMPLETE4args, boolean),
             _status("RECLAIM_COMPLETE4res")),
    # NFSv4.2 (RFC 7862 §15.1-15.12), extended attributes (RFC 8276 §8.4)
    59: _ext("allocate", struct(ALLOCATE4args, stateid, u64, u64), _status("ALLOCATE4res")),
    60: _ext("copy", struct(COPY4args, stateid, stateid, u64, u64, u64, boolean, boolean,
                          lambda r: len(array(netloc)(r))), copy_res),
    61: _ext("copy-notify", struct(COPY_NOTIFY4args, stateid, netloc), copy_notify_res),
    62: _ext("deallocate", struct(DEALLOCATE4args, stateid, u64, u64),
             _status("DEALLOCATE4res")),
    63: _ext("io-advise", struct(IO_ADVISE4args, stateid, u64, u64, bitmap),
             res(IO_ADVISE4res, bitmap, zero=(0,))),
    64: _ext("layouterror", layouterror_args, _status("LAYOUTERROR4res")),
    65: _ext("layoutstats", layoutstats_args, _status("LAYOUTSTATS4res")),
    66: _ext("offload-cancel", _STATEID_ARGS["OFFLOAD_CANCEL4args"],
             _status("OFFLOAD_CANCEL4res")),
    67: _ext("offload-status", _STATEID_ARGS["OFFLOAD_STATUS4args"], offload_status_res),
    68: _ext("read-plus", struct(READ_PLUS4args, stateid, u64, u32), read_plus_res),
    69: _ext("seek", struct(SEEK4args, stateid, u64, u32),
             res(SEEK4res, boolean, u64, zero=(0, 0))),
    70: _ext("write-same", write_same_args,
             res(WRITE_SAME4res, write_response, zero=(_ZERO_WRITE_RESPONSE,))),
    71: _ext("clone", struct(CLONE4args, stateid, stateid, u64, u64, u64), _status("CLONE4res")),
    72: _ext("getxattr", struct(GETXATTR4args, utf8),
             res(GETXATTR4res, _length_of_opaque, zero=(0,))),
    73: _ext("setxattr", struct(SETXATTR4args, u32, utf8, _length_of_opaque),
             res(SETXATTR4res, cinfo, zero=(ZERO_CINFO,))),
    74: _ext("listxattrs", struct(LISTXATTRS4args, u64, u32), listxattrs_res),
    75: _ext("removexattr", struct(REMOVEXATTR4args, utf8),
             res(REMOVEXATTR4res, cinfo, zero=(ZERO_CINFO,))),
    10044: _ext("illegal", no_args, _status("ILLEGAL4res")),
}
OP_PUTFH, OP_PUTPUBFH, OP_PUTROOTFH = 22, 23, 24
OP_LOOKUP, OP_LOOKUPP, OP_OPEN, OP_CREATE, OP_GETFH = 15, 16, 18, 6, 10
OP_SAVEFH, OP_RESTOREFH, OP_RENAME, OP_REMOVE, OP_LINK = 32, 31, 29, 28, 11
OP_SETCLIENTID, OP_CREATE_SESSION, OP_BACKCHANNEL_CTL = 35, 43, 40
OP_OPENATTR = 19
OP_READ, OP_WRITE = 25, 38


# -- the callback program (RFC 7530 §16.2, RFC 8881 §20) ----------------------

CB_GETATTR4args = _t("CB_GETATTR4args", "fh attr_request")
CB_GETATTR4res = _t("CB_GETATTR4res", "status obj_attributes")
CB_RECALL4args = _t("CB_RECALL4args", "stateid truncate fh")
referring_call_list4 = _t("referring_call_list4", "rcl_sessionid rcl_referring_calls_len")
CB_SEQUENCE4args = _t("CB_SEQUENCE4args", "csa_sessionid csa_sequenceid csa_slotid "
                                          "csa_highest_slotid csa_cachethis "
                                          "csa_referring_call_lists_len")
CB_SEQUENCE4res = _t("CB_SEQUENCE4res", "csr_status csr_sessionid csr_sequenceid csr_slotid "
                                        "csr_highest_slotid csr_target_highest_slotid")
CB_LAYOUTRECALL4args = _t("CB_LAYOUTRECALL4args", "clora_type clora_iomode clora_changed "
                                                  "clora_recall_type")
CB_RECALL_ANY4args = _t("CB_RECALL_ANY4args", "craa_objects_to_keep craa_type_mask")
CB_RECALL_SLOT4args = _t("CB_RECALL_SLOT4args", "rsa_target_highest_slotid")
LAYOUTRECALL4_FILE = 1


def cb_sequence_args(r: Reader) -> Any:
    values = [fixed16(r), r.u32(), r.u32(), r.u32(), boolean(r)]
    lists = r.xdr_array_len(MAX_LIST, "referring_call_list4")
    for _ in range(lists):
        fixed16(r)
        for _ in range(r.xdr_array_len(MAX_LIST, "referring_call4")):
            r.u32()
            r.u32()
    return CB_SEQUENCE4args(*values, lists)


def cb_layoutrecall_args(r: Reader) -> Any:
    kind, iomode, changed, how = r.u32(), r.u32(), boolean(r), r.u32()
    if how == LAYOUTRECALL4_FILE:  # layoutrecall_file4: fh, offset, length, stateid
        fh(r)
        r.u64()
        r.u64()
        stateid(r)
    elif how == 2:  # LAYOUTRECALL4_FSID: fsid4
        r.u64()
        r.u64()
    return CB_LAYOUTRECALL4args(kind, iomode, changed, how)


NFS4_CB_OPERATIONS: dict[int, Operation] = {
    3: Operation("getattr", struct(CB_GETATTR4args, fh, bitmap),
                 res(CB_GETATTR4res, fattr, zero=(ZERO_FATTR,))),
    4: Operation("recall", struct(CB_RECALL4args, stateid, boolean, fh), _status("CB_RECALL4res")),
    5: _ext("layoutrecall", cb_layoutrecall_args, _status("CB_LAYOUTRECALL4res")),
    8: _ext("recall-any", struct(CB_RECALL_ANY4args, u32, bitmap), _status("CB_RECALL_ANY4res")),
    10: _ext("recall-slot", struct(CB_RECALL_SLOT4args, u32), _status("CB_RECALL_SLOT4res")),
    11: _ext("sequence", cb_sequence_args,
             res(CB_SEQUENCE4res, fixed16, u32, u32, u32, u32, zero=(b"", 0, 0, 0, 0))),
    10044: _ext("illegal", no_args, _status("CB_ILLEGAL4res")),
}


# -- COMPOUND and CB_COMPOUND ---------------------------------------------------

class ArgOp(NamedTuple):
    """nfs_argop4 / nfs_cb_argop4: the opcode (``argop``) and the decoded arguments."""

    argop: int
    args: Any


class ResOp(NamedTuple):
    """nfs_resop4 / nfs_cb_resop4: the opcode (``resop``) and the decoded result."""

    resop: int
    res: Any

    @property
    def status(self) -> int:
        return self.res[0]


class COMPOUND4args(NamedTuple):
    tag: utf8string
    minorversion: int
    array_len: int
    array: tuple[ArgOp, ...]
    error: DissectError | None  # what stopped the decoding (the ops before it are whole)


class COMPOUND4res(NamedTuple):
    status: int
    tag: utf8string
    array_len: int
    array: tuple[ResOp, ...]
    error: DissectError | None


class CB_COMPOUND4args(NamedTuple):  # noqa: N801
    tag: utf8string
    minorversion: int
    callback_ident: int
    array_len: int
    array: tuple[ArgOp, ...]
    error: DissectError | None


def _ops(r: Reader, decoders: dict[int, Callable[[Reader], Any]], kind: type
         ) -> tuple[int, list, DissectError | None]:
    """The operations of a COMPOUND call or reply (``decoders`` by opcode, each
    kept as a ``kind``: ArgOp or ResOp) and what stopped them."""
    count = u32(r)
    if count > MAX_OPS:
        return count, [], Malformed(f"{count} operations", "nfs4.too_many_ops")
    ops: list = []
    view, end = r.view, r.end
    # cut: the operations past the captured bytes are not known (a result
    # whose status was not captured says nothing either)
    cut = isinstance(r, CutReader)
    first = 8 if kind is ResOp else 4
    try:
        for _ in range(count):
            pos = r.pos
            if cut and (r.cut or pos + first > r.end):
                break
            if pos + 4 > end:
                raise Truncated(4, end - pos, "operation number")
            opcode = _U32_AT(view, pos)[0]
            r.pos = pos + 4
            decode = decoders.get(opcode)
            if decode is None:
                raise Malformed(f"unknown operation {opcode}", "nfs4.bad_opcode")
            ops.append(_new(kind, (opcode, decode(r))))
    except DissectError as exc:
        return count, ops, exc
    return count, ops, None


def _decoders(table: dict[int, Operation], args: bool) -> dict[int, Callable[[Reader], Any]]:
    return {code: op.decode_args if args else op.decode_res for code, op in table.items()}


_CALL_DECODERS = _decoders(NFS4_OPERATIONS, True)
_REPLY_DECODERS = _decoders(NFS4_OPERATIONS, False)
_CB_CALL_DECODERS = _decoders(NFS4_CB_OPERATIONS, True)
_CB_REPLY_DECODERS = _decoders(NFS4_CB_OPERATIONS, False)


def decode_compound_call(r: Reader) -> COMPOUND4args:
    """COMPOUND4args (RFC 7530 §16.2.1); raises only when the header is cut."""
    tag = utf8(r)
    minor = u32(r)
    count, ops, error = _ops(r, _CALL_DECODERS, ArgOp)
    return COMPOUND4args(tag, minor, count, tuple(ops), error)


def decode_compound_reply(r: Reader, decoders: dict[int, Callable[[Reader], Any]] | None = None
                          ) -> COMPOUND4res:
    """COMPOUND4res (RFC 7530 §16.2.2); raises only when the header is cut."""
    status = u32(r)
    tag = utf8(r)
    count, ops, error = _ops(r, _REPLY_DECODERS if decoders is None else decoders, ResOp)
    return COMPOUND4res(status, tag, count, tuple(ops), error)


def decode_cb_compound_call(r: Reader) -> CB_COMPOUND4args:
    """CB_COMPOUND4args (RFC 7530 §16.2.3 of the callback program)."""
    tag = utf8(r)
    minor, ident = r.u32(), r.u32()
    count, ops, error = _ops(r, _CB_CALL_DECODERS, ArgOp)
    return CB_COMPOUND4args(tag, minor, ident, count, tuple(ops), error)


def decode_cb_compound_reply(r: Reader) -> COMPOUND4res:
    return decode_compound_reply(r, _CB_REPLY_DECODERS)


def looks_like_callback(view: memoryview) -> bool:
    """Cheap heuristic for a TCP flow: a record-marked CB_NULL or CB_COMPOUND call
    to a transient program (RFC 5531 §7.3), version 1.  Never raises."""
    if len(view) < 28:
        return False
    words = [int.from_bytes(view[i : i + 4], "big") for i in range(4, 28, 4)]
    _, mtype, rpcvers, prog, vers, proc = words
    return (mtype == 0 and rpcvers == 2 and prog in TRANSIENT_PROGRAMS and vers == 1
            and proc in (CB_NULL, CB_COMPOUND))
