"""ONC RPC version 2 (RFC 5531): record marking, call/reply headers, credentials.

RFC 5531 §11 record marking cuts a TCP stream into fragments (a 4-byte header:
last-fragment bit + 31-bit length) that concatenate into records, one RPC
message per record.  §9 gives the call and reply headers, §8.2 and appendix A
the AUTH_NONE/AUTH_SYS flavors, RFC 2203 §5 the RPCSEC_GSS credential.
``RpcSession`` pairs replies with calls by xid per client (a reply carries no
program or procedure, so decoding it needs the matching call).
"""

from __future__ import annotations

import struct
from collections import Counter, OrderedDict
from typing import Callable, Container, Generic, Hashable, TypeVar

from pcapprobe.dissectors._reader import CutReader, Malformed, Reader

RPC_VERSION = 2

# msg_type (§9)
CALL = 0
REPLY = 1

# reply_stat (§9)
MSG_ACCEPTED = 0
MSG_DENIED = 1

# accept_stat (§9)
SUCCESS = 0  # RPC executed successfully
PROG_UNAVAIL = 1  # remote hasn't exported program
PROG_MISMATCH = 2  # remote can't support version #
PROC_UNAVAIL = 3  # program can't support procedure
GARBAGE_ARGS = 4  # procedure can't decode params
SYSTEM_ERR = 5  # e.g. memory allocation failure

# auth_flavor (§8.2, RFC 2203 §5)
AUTH_NONE = 0
AUTH_SYS = 1
AUTH_SHORT = 2
AUTH_DH = 3
RPCSEC_GSS = 6

# RPCSEC_GSS (RFC 2203 §5): gss_proc and service
RPCSEC_GSS_DATA = 0
RPCSEC_GSS_INIT = 1
RPCSEC_GSS_CONTINUE_INIT = 2
RPCSEC_GSS_DESTROY = 3
RPC_GSS_SVC_NONE = 1
RPC_GSS_SVC_INTEGRITY = 2
RPC_GSS_SVC_PRIVACY = 3

LAST_FRAGMENT = 0x80000000
RECORD_MARK_LEN = 4
# RFC 5531 §8.2: opaque_auth bodies are at most 400 bytes.
MAX_AUTH_BYTES = 400
# AUTH_SYS machinename<255>, gids<16> (appendix A).
MAX_MACHINE_NAME = 255
MAX_AUTH_SYS_GIDS = 16
# A fragment longer than this is taken as a framing error, not an RPC: NFS
# moves at most a few MiB per call, and a bogus length after a gap must not make
# the framer buffer the rest of the capture.
MAX_FRAGMENT = 4 * 1024 * 1024 + 1024
# Smallest message: a reply is xid, mtype, reply_stat, verifier(8), accept_stat.
MIN_MESSAGE = 24

# The fixed front of a message (§9), 8 words: xid, msg_type, then for a call
# rpcvers, prog, vers, proc and the credential's flavor and length; for a
# reply reply_stat, the verifier's flavor and length and, after an empty
# verifier, accept_stat.
_HEAD = struct.Struct(">8I")
_U32 = struct.Struct(">I")
_MARK_XID_TYPE = struct.Struct(">3I")  # a record mark, then a message's xid and msg_type


class AuthSys:
    """AUTH_SYS (authsys_parms, RFC 5531 appendix A)."""

    __slots__ = ("stamp", "machinename", "uid", "gid", "gids")

    def __init__(self, stamp: int, machinename: str, uid: int, gid: int,
                 gids: tuple[int, ...]) -> None:
        self.stamp = stamp
        self.machinename = machinename
        self.uid = uid
        self.gid = gid
        self.gids = gids


class GssCred:
    """An RPCSEC_GSS credential (rpc_gss_cred_vers_1_t, RFC 2203 §5)."""

    __slots__ = ("version", "gss_proc", "seq_num", "service", "handle")

    def __init__(self, version: int, gss_proc: int, seq_num: int, service: int,
                 handle: bytes) -> None:
        self.version = version
        self.gss_proc = gss_proc
        self.seq_num = seq_num
        self.service = service
        self.handle = handle

    @property
    def body_decodable(self) -> bool:
        """Only DATA with service "none" carries the procedure's arguments in clear."""
        return self.gss_proc == RPCSEC_GSS_DATA and self.service == RPC_GSS_SVC_NONE


class RpcCall:
    """A call header; ``body`` is a Reader positioned at the procedure's arguments.

    The credential is decoded on first use (``cred``): most callers only need it
    once per distinct ``cred_body``.
    """

    __slots__ = ("xid", "prog", "vers", "proc", "flavor", "cred_body", "body", "_cred")

    # Only the front of the message was captured: ``body`` is a CutReader
    # (members past the captured bytes read as unknown).
    cut = False

    def __init__(self, xid: int, prog: int, vers: int, proc: int, flavor: int,
                 cred_body: bytes, body: Reader) -> None:
        self.xid = xid
        self.prog = prog
        self.vers = vers
        self.proc = proc
        self.flavor = flavor
        self.cred_body = cred_body
        self.body = body
        self._cred: AuthSys | GssCred | None | bool = False

    @property
    def cred(self) -> AuthSys | GssCred | None:
        """The decoded AUTH_SYS or RPCSEC_GSS credential (None for other flavors)."""
        cred = self._cred
        if cred is False:
            cred = self._cred = decode_cred(self.flavor, self.cred_body)
        return cred  # type: ignore[return-value]


class RpcReply:
    """A reply header; ``body`` is positioned at the results (accepted SUCCESS only)."""

    __slots__ = ("xid", "reply_stat", "accept_stat", "body", "success")

    cut = False  # as RpcCall.cut

    def __init__(self, xid: int, reply_stat: int, accept_stat: int, body: Reader) -> None:
        self.xid = xid
        self.reply_stat = reply_stat
        self.accept_stat = accept_stat
        self.body = body
        self.success = reply_stat == MSG_ACCEPTED and accept_stat == SUCCESS


def fragment_length(view: memoryview) -> int | None:
    """Record-marking framing (§11): the length of the fragment at the front of
    ``view`` including its 4-byte mark, or None when it cannot be one.  Never raises.
    """
    if len(view) < RECORD_MARK_LEN:
        return None
    size = _U32.unpack_from(view)[0] & ~LAST_FRAGMENT
    if size == 0 or size > MAX_FRAGMENT:
        return None
    return size + RECORD_MARK_LEN


def is_last_fragment(view: memoryview) -> bool:
    """The last-fragment bit of a record mark."""
    return view[0] & 0x80 != 0


def looks_like_call(view: memoryview, programs: frozenset[int] | None = None) -> bool:
    """Cheap heuristic: an RPC v2 call (of one of ``programs``).  Never raises."""
    if len(view) < 24:
        return False
    if int.from_bytes(view[4:8], "big") != CALL or int.from_bytes(view[8:12], "big") != RPC_VERSION:
        return False
    return programs is None or int.from_bytes(view[12:16], "big") in programs


def looks_like_reply(view: memoryview) -> bool:
    """Cheap heuristic: an accepted RPC reply with a sane verifier.  Never raises."""
    if len(view) < MIN_MESSAGE:
        return False
    words = [int.from_bytes(view[i : i + 4], "big") for i in range(4, 24, 4)]
    mtype, reply_stat, flavor, verf_len, _ = words
    return (mtype == REPLY and reply_stat == MSG_ACCEPTED and flavor <= RPCSEC_GSS
            and verf_len <= MAX_AUTH_BYTES)


def looks_like_record(view: memoryview, programs: frozenset[int] | None = None) -> bool:
    """Heuristic for a TCP flow: a record mark followed by an RPC v2 call."""
    return fragment_length(view) is not None and looks_like_call(view[4:], programs)


def _opaque_auth(r: Reader) -> tuple[int, Reader]:
    flavor = r.u32()
    length = r.u32()
    if length > MAX_AUTH_BYTES:
        raise Malformed(f"auth body of {length} bytes", "rpc.bad_auth_length")
    body = Reader(r.xdr_fixed(length, "auth body"))
    return flavor, body


def decode_auth_sys(r: Reader) -> AuthSys:
    """authsys_parms (RFC 5531 appendix A)."""
    stamp = r.u32()
    machinename = r.xdr_string(MAX_MACHINE_NAME, "machinename")
    uid = r.u32()
    gid = r.u32()
    count = r.xdr_array_len(MAX_AUTH_SYS_GIDS, "gids")
    gids = tuple(r.u32() for _ in range(count))
    return AuthSys(stamp, machinename, uid, gid, gids)


def decode_gss_cred(r: Reader) -> GssCred:
    """rpc_gss_cred_vers_1_t (RFC 2203 §5)."""
    version = r.u32()
    gss_proc = r.u32()
    seq_num = r.u32()
    service = r.u32()
    handle = bytes(r.xdr_opaque(MAX_AUTH_BYTES, "gss handle"))
    return GssCred(version, gss_proc, seq_num, service, handle)


def decode_cred(flavor: int, body: bytes) -> AuthSys | GssCred | None:
    """A credential body of the flavors pcapprobe reads."""
    if flavor == AUTH_SYS:
        return decode_auth_sys(Reader(body))
    if flavor == RPCSEC_GSS:
        return decode_gss_cred(Reader(body))
    return None


def unwrap_integrity(body: Reader) -> Reader:
    """rpc_gss_integ_data (RFC 2203 §5.3.2.2): the arguments or results inside
    ``databody_integ``, after its sequence number (the checksum is not checked)."""
    data = Reader(body.xdr_opaque(MAX_FRAGMENT, "databody_integ"))
    data.u32()  # seq_num, the credential's
    return data


def decode_message(message: bytes | memoryview) -> RpcCall | RpcReply:
    """One whole RPC message (one record, or one UDP datagram)."""
    # Fast path: a call (not RPCSEC_GSS) or an accepted reply with an empty
    # verifier (what servers send), the fixed part in one unpack.  Anything
    # else (short, bad version, oversized auth, GSS, denied) takes the
    # field-by-field decode, which names the fault.
    size = len(message)
    if size >= _HEAD.size:
        xid, mtype, w2, w3, w4, w5, flavor, cred_len = _HEAD.unpack_from(message)
        if mtype == REPLY:
            if w2 == MSG_ACCEPTED and w4 == 0:  # reply_stat, verifier length
                return RpcReply(xid, MSG_ACCEPTED, w5, Reader(message, 24))
        elif (mtype == CALL and w2 == RPC_VERSION and cred_len <= MAX_AUTH_BYTES
              and flavor != RPCSEC_GSS):
            # XDR pads opaque data to 4 bytes (RFC 4506 §4.10)
            verf = 32 + cred_len + (-cred_len % 4)
            if verf + 8 <= size:
                verf_len = _U32.unpack_from(message, verf + 4)[0]
                body = verf + 8 + verf_len + (-verf_len % 4)
                if verf_len <= MAX_AUTH_BYTES and body <= size:
                    # w3, w4, w5: prog, vers, proc
                    return RpcCall(xid, w3, w4, w5, flavor, bytes(message[32 : 32 + cred_len]),
                                   Reader(message, body))
    return _decode_message(message)


class _CutCall(RpcCall):
    __slots__ = ()
    cut = True


class _CutReply(RpcReply):
    __slots__ = ()
    cut = True


# A message's header up to the procedure (a call) or accept_stat (a reply
# with an empty verifier): less than this captured and nothing is decoded.
CALL_HEADER = 24


def decode_front(front: bytes | memoryview, length: int) -> RpcCall | RpcReply | None:
    """A message of ``length`` bytes of which only ``front`` was captured
    (a snap length, or a hole inside it): its header, and a body that reads
    as unknown past the captured bytes (``CutReader``); ``cut`` is True.

    None when the header was not all captured (nothing may be made of it): a
    call needs xid through procedure, a reply xid through accept_stat.  A
    call's credential that was not all captured reads as AUTH_NONE (no
    identity), its arguments as unknown.  Raises Malformed as
    ``decode_message`` does for a header that is not RPC.
    """
    if len(front) < CALL_HEADER:
        return None
    r = CutReader.of(front, length)
    xid = r.u32()
    mtype = r.u32()
    if mtype == CALL:
        rpcvers = r.u32()
        if rpcvers != RPC_VERSION:
            raise Malformed(f"RPC version {rpcvers}", "rpc.bad_version")
        prog, vers, proc = r.u32(), r.u32(), r.u32()
        flavor, cred_body = _opaque_auth(r)
        _opaque_auth(r)
        if r.cut:
            flavor, cred_body = AUTH_NONE, Reader(b"")
        return _CutCall(xid, prog, vers, proc, flavor, bytes(cred_body.view), r)
    if mtype == REPLY:
        reply_stat = r.u32()
        if reply_stat == MSG_DENIED:
            return _CutReply(xid, reply_stat, 0, r)
        if reply_stat != MSG_ACCEPTED:
            raise Malformed(f"reply_stat {reply_stat}", "rpc.bad_reply_stat")
        _opaque_auth(r)
        accept_stat = r.u32()
        if r.cut:
            return None  # the verifier or accept_stat was not captured
        return _CutReply(xid, reply_stat, accept_stat, r)
    raise Malformed(f"msg_type {mtype}", "rpc.bad_msg_type")


def _decode_message(message: bytes | memoryview) -> RpcCall | RpcReply:
    """``decode_message`` field by field (every fault raised where it is found)."""
    r = Reader(message)
    xid = r.u32()
    mtype = r.u32()
    if mtype == CALL:
        rpcvers = r.u32()
        if rpcvers != RPC_VERSION:
            raise Malformed(f"RPC version {rpcvers}", "rpc.bad_version")
        prog = r.u32()
        vers = r.u32()
        proc = r.u32()
        flavor, cred_body = _opaque_auth(r)
        _opaque_auth(r)  # the verifier says nothing about the caller
        call = RpcCall(xid, prog, vers, proc, flavor, bytes(cred_body.view), r)
        if flavor == RPCSEC_GSS:
            call.cred  # noqa: B018  a GSS call is read by its credential: check it now
        return call
    if mtype == REPLY:
        reply_stat = r.u32()
        if reply_stat == MSG_ACCEPTED:
            _opaque_auth(r)
            return RpcReply(xid, reply_stat, r.u32(), r)
        if reply_stat == MSG_DENIED:
            return RpcReply(xid, reply_stat, 0, r)
        raise Malformed(f"reply_stat {reply_stat}", "rpc.bad_reply_stat")
    raise Malformed(f"msg_type {mtype}", "rpc.bad_msg_type")


class RecordStream:
    """Record marking over one TCP connection, both directions (§11): the
    framing half of a stream application (``min_header``/``pdu_length``/
    ``resync_length`` as the framing contract asks) and the fragments ->
    records step.

    ``pdu_length`` accepts a fragment mark where an RPC message can start: a
    record's first fragment opens with xid and msg_type.  ``resync_length``
    is the strict check at a segment start after sync was lost (any 4 bytes
    can pass for a mark): the last fragment of a record of sane length
    holding a whole RPC v2 call to one of ``versions`` (program, version),
    or a reply whose xid ``outstanding(direction, xid)`` says a call awaits.
    Never raises.

    Most records are a single fragment, which passes through without a copy.
    """

    __slots__ = ("programs", "versions", "outstanding", "_parts", "_cut")

    min_header = RECORD_MARK_LEN

    def __init__(self, programs: frozenset[int] | None = None,
                 versions: Container[tuple[int, int]] | None = None,
                 outstanding: Callable[[int, int], bool] | None = None) -> None:
        self.programs = programs
        self.versions = versions
        self.outstanding = outstanding
        # per direction: the fragments of the record being assembled
        self._parts: tuple[list[bytes], list[bytes]] = ([], [])
        # per direction: a fragment of the record was cut; the rest of it is dropped
        self._cut = [False, False]

    def pdu_length(self, view: memoryview, direction: int) -> int | None:
        if self._parts[direction] or self._cut[direction]:
            return fragment_length(view)  # a later fragment of the record: any mark will do
        if len(view) < 12:  # msg_type not in yet
            return fragment_length(view)
        # A record's first fragment (asked once per RPC message): the mark,
        # then the message's xid and msg_type.
        mark, _, mtype = _MARK_XID_TYPE.unpack_from(view)
        size = mark & ~LAST_FRAGMENT
        if 0 < size <= MAX_FRAGMENT and mtype <= REPLY:
            return size + RECORD_MARK_LEN
        return None

    def resync_length(self, view: memoryview, direction: int) -> int | None:
        length = fragment_length(view)
        if length is None or length < RECORD_MARK_LEN + MIN_MESSAGE or not view[0] & 0x80 \
                or len(view) < RECORD_MARK_LEN + MIN_MESSAGE:
            return None
        xid, mtype, w2, prog, vers = struct.unpack_from(">5I", view, RECORD_MARK_LEN)
        if mtype == CALL:
            if w2 != RPC_VERSION or self.versions is None or (prog, vers) not in self.versions:
                return None
        elif mtype != REPLY or w2 > MSG_DENIED or self.outstanding is None \
                or not self.outstanding(direction, xid):
            return None
        self._parts[direction].clear()
        self._cut[direction] = False
        return length

    def record(self, fragment: memoryview, direction: int) -> memoryview | None:
        """One whole fragment with its mark (as framed); the complete record
        (one RPC message) once its last fragment is in, else None."""
        parts = self._parts[direction]
        last = fragment[0] & 0x80
        if self._cut[direction]:
            self._cut[direction] = not last
            return None
        if last and not parts:
            return fragment[RECORD_MARK_LEN:]
        parts.append(bytes(fragment[RECORD_MARK_LEN:]))
        if not last:
            return None
        record = b"".join(parts)
        parts.clear()
        return memoryview(record)

    def record_front(self, front: memoryview, length: int,
                     direction: int) -> tuple[bytes | memoryview, int] | None:
        """A fragment of ``length`` bytes of which only ``front`` was
        captured: the captured front of its record's message and the
        message's length as far as known, when this fragment holds the
        record's start or follows whole ones; None when the record's start
        was itself cut.  The rest of the record is dropped."""
        parts = self._parts[direction]
        last = front[0] & 0x80 if front else 0
        was_cut = self._cut[direction]
        self._cut[direction] = not last
        if was_cut:
            return None
        size = length - RECORD_MARK_LEN
        if not parts:
            return front[RECORD_MARK_LEN:], size
        known = sum(len(part) for part in parts)
        parts.append(bytes(front[RECORD_MARK_LEN:]))
        message = b"".join(parts)
        parts.clear()
        return message, known + size

    def close(self) -> None:
        self._parts[0].clear()
        self._parts[1].clear()


T = TypeVar("T")
# How long an answered xid is remembered (capture time after its reply), so a
# second reply within it counts as a duplicate rather than as an orphan.
DUPLICATE_WINDOW_NS = 10_000_000_000
MAX_ANSWERED = 65536  # answered xids remembered at most
_NEVER = 1 << 127


class RpcSession(Generic[T]):
    """Pairs replies with calls by (client, xid) (Zeek's RPC_Interpreter call map).

    ``T`` is whatever the caller keeps about a pending call.  A reply takes its
    call out of the table; the xid then stays remembered so a second reply is
    counted as a duplicate, not as a reply without a call.  ``counts`` (a
    Counter) is kept up to date as messages arrive.

    Both tables are bounded, with O(1) eviction (``OrderedDict``: a plain
    dict's ``next(iter(d))`` scans the holes its deletions leave at the front,
    which made every eviction cost up to tens of thousands of slot visits):

    * pending calls: at most ``max_pending`` (None: no count, the owner
      bounds the table with ``forget_oldest``), the oldest forgotten first
      (its reply then counts as one without a call);
    * answered xids: dropped once ``duplicate_window_ns`` of capture time has
      passed since the reply (by the ``ts_ns`` given to ``reply``), and never
      more than ``MAX_ANSWERED`` of them.  The table only tells a duplicate
      reply from an orphan (a counter); no probe depends on it.  A call
      repeated after its reply is a new request either way.
    """

    __slots__ = ("_pending", "_answered", "counts", "max_pending", "duplicate_window_ns",
                 "_next_expiry", "is_pending")

    def __init__(self, counts: Counter[str] | None = None, max_pending: int | None = 65536,
                 duplicate_window_ns: int = DUPLICATE_WINDOW_NS) -> None:
        self._pending: OrderedDict[Hashable, T] = OrderedDict()
        # answered key -> capture time of its reply, oldest reply first
        self._answered: OrderedDict[Hashable, int] = OrderedDict()
        self.counts: Counter[str] = Counter() if counts is None else counts
        self.max_pending = max_pending
        self.duplicate_window_ns = duplicate_window_ns
        self._next_expiry = _NEVER  # when the oldest answered xid leaves the window
        # is_pending(key): whether a call still waits for its reply (the
        # table's own __contains__: a C call per message, not a Python method)
        self.is_pending = self._pending.__contains__

    def call(self, key: Hashable, state: T) -> bool:
        """Record a call; False when it retransmits one still pending."""
        counts = self.counts
        counts["calls"] += 1
        pending = self._pending
        if key in pending:
            counts["retransmitted calls"] += 1
            return False
        if self.max_pending is not None and len(pending) >= self.max_pending:
            pending.popitem(last=False)  # the oldest call
            counts["calls forgotten (table full)"] += 1
        pending[key] = state
        counts["calls awaiting a reply"] = len(pending)
        return True

    def reply(self, key: Hashable, ts_ns: int = 0) -> T | None:
        """The pending call a reply answers, or None (duplicate or unknown).
        ``ts_ns``: the reply's capture time (ages the answered xids)."""
        counts = self.counts
        counts["replies"] += 1
        answered = self._answered
        if ts_ns >= self._next_expiry:
            self._expire(ts_ns)
        pending = self._pending
        state = pending.pop(key, None)
        if state is not None:
            counts["calls awaiting a reply"] = len(pending)
            if key in answered:  # answered before: a call repeated after its reply
                del answered[key]
            elif len(answered) >= MAX_ANSWERED:
                answered.popitem(last=False)
            if not answered:
                self._next_expiry = ts_ns + self.duplicate_window_ns
            answered[key] = ts_ns
            return state
        if key in answered:
            counts["duplicate replies"] += 1
        else:
            counts["replies without a call"] += 1
        return None

    def _expire(self, now_ns: int) -> None:
        """Forget the answered xids whose reply is older than the duplicate
        window (replies come in capture order; a clock going backwards only
        delays expiry, the count bound still holds)."""
        answered = self._answered
        cutoff = now_ns - self.duplicate_window_ns
        while answered:
            key, ts = answered.popitem(last=False)
            if ts > cutoff:
                answered[key] = ts
                answered.move_to_end(key, last=False)
                self._next_expiry = ts + self.duplicate_window_ns
                return
        self._next_expiry = _NEVER

    def oldest(self) -> T | None:
        """What is kept about the call waiting longest for its reply."""
        pending = self._pending
        return next(iter(pending.values())) if pending else None

    def forget_oldest(self) -> T:
        """Forget the call waiting longest (its reply will be one without a call)."""
        pending = self._pending
        state = pending.popitem(last=False)[1]
        self.counts["calls awaiting a reply"] = len(pending)
        return state

    @property
    def remembered(self) -> int:
        """Answered xids still remembered (to tell duplicate replies)."""
        return len(self._answered)

    @property
    def unanswered(self) -> int:
        """Calls still waiting for a reply."""
        return len(self._pending)
