"""ONC RPC: record marking, call/reply headers, credentials, xid pairing."""

from __future__ import annotations

import io
from collections import Counter

import pytest

from pcapprobe.dissectors import oncrpc
from pcapprobe.dissectors._reader import DissectError
from fixtures.gen import nfs as gen
from pcapprobe.flows.framing import StreamFramer
from pcapprobe.pipeline import LocalHosts, RunContext
from pcapprobe.probes.translators.oncrpc import RpcService
from pcapprobe.report import Report
from tests.nfs_sink import CollectingSink

FH = b"\x01" * 32


def test_call_header_and_auth_sys() -> None:
    msg = gen.rpc_call(0x1234, 100003, 3, 6, b"ARGS",
                       gen.auth_sys(501, 20, "host.example", (20, 30, 40)))
    call = oncrpc.decode_message(msg)
    assert isinstance(call, oncrpc.RpcCall)
    assert (call.xid, call.prog, call.vers, call.proc) == (0x1234, 100003, 3, 6)
    assert call.flavor == oncrpc.AUTH_SYS
    assert isinstance(call.cred, oncrpc.AuthSys)
    assert (call.cred.uid, call.cred.gid, call.cred.gids) == (501, 20, (20, 30, 40))
    assert call.cred.machinename == "host.example"
    assert bytes(call.body.rest()) == b"ARGS"


def test_reply_header() -> None:
    reply = oncrpc.decode_message(gen.rpc_reply(7, b"RES"))
    assert isinstance(reply, oncrpc.RpcReply)
    assert reply.xid == 7 and reply.success
    assert bytes(reply.body.rest()) == b"RES"
    denied = oncrpc.decode_message(gen.u32(8) + gen.u32(1) + gen.u32(1) + gen.u32(1))
    assert isinstance(denied, oncrpc.RpcReply) and not denied.success
    garbage = oncrpc.decode_message(gen.rpc_reply(9, accept_stat=oncrpc.GARBAGE_ARGS))
    assert isinstance(garbage, oncrpc.RpcReply) and not garbage.success


def test_rpcsec_gss_credential() -> None:
    cred = gen.u32(oncrpc.RPCSEC_GSS) + gen.opaque(
        gen.u32(1) + gen.u32(oncrpc.RPCSEC_GSS_DATA) + gen.u32(5)
        + gen.u32(oncrpc.RPC_GSS_SVC_PRIVACY) + gen.opaque(b"ctx"))
    call = oncrpc.decode_message(gen.rpc_call(1, 100003, 3, 6, b"\xde\xad", cred))
    assert isinstance(call, oncrpc.RpcCall) and isinstance(call.cred, oncrpc.GssCred)
    assert call.cred.service == oncrpc.RPC_GSS_SVC_PRIVACY and call.cred.handle == b"ctx"
    assert not call.cred.body_decodable


@pytest.mark.parametrize("msg, weird", [
    (gen.u32(1) + gen.u32(5), "rpc.bad_msg_type"),
    (gen.u32(1) + gen.u32(0) + gen.u32(3) + bytes(12) + gen.AUTH_NONE * 2, "rpc.bad_version"),
    (gen.u32(1) + gen.u32(0) + gen.u32(2) + bytes(12) + gen.u32(1) + gen.u32(401),
     "rpc.bad_auth_length"),
])
def test_malformed_headers_are_named(msg: bytes, weird: str) -> None:
    with pytest.raises(DissectError) as exc:
        oncrpc.decode_message(msg)
    assert exc.value.weird == weird


def test_truncation_sweep() -> None:
    msg = gen.rpc_call(1, 100003, 3, 1, gen.opaque(FH), gen.auth_sys(0, 0, "m", (1, 2)))
    for n in range(len(msg) - len(gen.opaque(FH))):
        with pytest.raises(DissectError):
            oncrpc.decode_message(msg[:n])


def test_fragment_length_and_assembly() -> None:
    msg = gen.rpc_call(1, 100003, 3, 0)
    stream = gen.record(msg, fragments=3)
    records = oncrpc.RecordStream()
    out = []
    view = memoryview(stream)
    while view:
        n = oncrpc.fragment_length(view)
        assert n is not None
        whole = records.record(view[:n], 0)
        if whole is not None:
            out.append(bytes(whole))
        view = view[n:]
    assert out == [msg]
    assert oncrpc.fragment_length(memoryview(b"\x80\x00")) is None
    assert oncrpc.fragment_length(memoryview(b"\x80\x00\x00\x00")) is None  # empty fragment
    assert oncrpc.fragment_length(memoryview(b"\xff\xff\xff\xff")) is None  # absurd length


def test_heuristics() -> None:
    call = memoryview(gen.rpc_call(1, 100003, 3, 0))
    assert oncrpc.looks_like_call(call, frozenset({100003}))
    assert not oncrpc.looks_like_call(call, frozenset({100005}))
    assert oncrpc.looks_like_record(memoryview(gen.record(bytes(call))), frozenset({100003}))
    assert oncrpc.looks_like_reply(memoryview(gen.rpc_reply(1)))
    for junk in (b"", b"GET / HTTP/1.1\r\n\r\n" * 2, bytes(40)):
        assert not oncrpc.looks_like_call(memoryview(junk))
        assert not oncrpc.looks_like_record(memoryview(junk))


def test_session_counts_retransmissions_duplicates_and_orphans() -> None:
    counts: Counter[str] = Counter()
    session: oncrpc.RpcSession[str] = oncrpc.RpcSession(counts)
    assert session.call(("c", 1), "first")
    assert not session.call(("c", 1), "again")
    assert session.reply(("c", 1)) == "first"
    assert session.reply(("c", 1)) is None
    assert session.reply(("c", 2)) is None
    session.call(("c", 3), "never answered")
    assert counts == Counter({"calls": 3, "retransmitted calls": 1, "replies": 3,
                              "duplicate replies": 1, "replies without a call": 1,
                              "calls awaiting a reply": 1})
    assert session.unanswered == 1


def _service() -> tuple[RpcService, CollectingSink, Report]:
    sink = CollectingSink()
    report = Report(io.StringIO())
    ctx = RunContext(sink, report, LocalHosts(all_hosts=True), {})
    return RpcService(ctx), sink, report


def _framer(service: RpcService) -> StreamFramer:
    app = service.app(("192.0.2.75", 1000), ("192.0.2.10", 2049), False, ("tcp", 1))
    return StreamFramer(app)


def _pairs(n: int) -> list[tuple[bytes, bytes]]:
    fs = gen.Server()
    rpc = gen.Rpc()
    return [rpc.nfs(gen.GETATTR, fs.getattr(fs.root_fh)) for _ in range(n)]


def test_stream_several_records_per_segment_and_spanning() -> None:
    service, sink, _ = _service()
    framer = _framer(service)
    pairs = _pairs(6)
    calls = b"".join(gen.record(c, fragments=1 + i % 3) for i, (c, _) in enumerate(pairs))
    replies = b"".join(gen.record(r) for _, r in pairs)
    for off in range(0, len(calls), 37):  # segments that cut records anywhere
        framer.data(0, calls[off : off + 37], 1)
    framer.data(1, replies, 2)  # all replies in one segment
    names = [f.name for f in sink.firings]
    assert names == ["op-getattr-start"] * 6 + ["op-getattr-done"] * 6
    assert [f.args[1].noi_xid for f in sink.firings[6:]] == [0x1001 + i for i in range(6)]
    assert sink.firings[0].args[0].ci_local == "192.0.2.10"
    assert sink.firings[0].args[0].ci_remote == "192.0.2.75"


def test_gap_inside_a_call_keeps_sync_and_fires_its_header() -> None:
    service, sink, _ = _service()
    framer = _framer(service)
    pairs = _pairs(3)
    first, second, third = (gen.record(c) for c, _ in pairs)
    framer.data(0, first + second[:60], 1)
    framer.gap(0, 20)  # bytes inside the second call were never captured
    framer.data(0, second[80:] + third, 2)
    for _, reply in pairs:
        framer.data(1, gen.record(reply), 3)
    starts = [f for f in sink.firings if f.name.endswith("start")]
    dones = [f.args[1].noi_xid for f in sink.firings if f.name.endswith("done")]
    assert [f.args[1].noi_xid for f in starts] == dones == [0x1001, 0x1002, 0x1003]
    # the handle lay past the hole: unknown, never a handle made of zeros
    assert starts[1].args[2].object.key == b"" and starts[1].args[1].noi_curpath == "<unknown>"
    assert starts[0].args[2].object.key != b""
    assert framer.partial == 1 and framer.resyncs == 0
    assert service.counts["messages cut after their header"] == 1


def test_gap_over_a_boundary_resyncs_at_a_segment_start_only() -> None:
    service, sink, _ = _service()
    framer = _framer(service)
    pairs = _pairs(4)
    first, second, third, fourth = (gen.record(c) for c, _ in pairs)
    framer.data(0, first + second[:30], 1)
    framer.gap(0, len(second))  # the end of the second call and the start of the third
    framer.data(0, third[30:] + fourth, 2)  # a segment starting inside the third call
    framer.data(0, fourth, 3)  # a segment starting with a call: sync again
    assert framer.resyncs == 1 and framer.skipped == len(third) - 30 + len(fourth)
    starts = [f.args[1].noi_xid for f in sink.firings if f.name.endswith("start")]
    assert starts == [0x1001, 0x1002, 0x1004]  # the second's header was whole


def test_reply_resyncs_only_when_its_xid_is_outstanding() -> None:
    service, sink, _ = _service()
    framer = _framer(service)
    framer.joined(0)
    framer.joined(1)
    (c1, r1), (c2, r2) = _pairs(2)
    framer.data(1, gen.record(r1), 1)  # a reply to a call never seen: not a boundary we trust
    framer.data(0, gen.record(c2), 2)  # a call: in sync
    framer.data(1, gen.record(r2), 3)  # the reply to it: in sync
    assert [f.name for f in sink.firings] == ["op-getattr-start", "op-getattr-done"]
    assert framer.resyncs == 2


def test_gss_privacy_is_reported_not_misparsed() -> None:
    service, sink, report = _service()
    cred = gen.u32(oncrpc.RPCSEC_GSS) + gen.opaque(
        gen.u32(1) + gen.u32(0) + gen.u32(5) + gen.u32(oncrpc.RPC_GSS_SVC_PRIVACY)
        + gen.opaque(b"ctx"))
    framer = _framer(service)
    framer.data(0, gen.record(gen.rpc_call(5, 100003, 3, 6, b"\x00" * 40, cred)), 1)
    framer.data(1, gen.record(gen.rpc_reply(5, b"\x00" * 40)), 2)
    assert sink.firings == []
    assert report.weirds["rpc.gss_body_undecodable"] == 1
    assert service.counts["replies without a call"] == 1


def test_gss_integrity_bodies_are_unwrapped() -> None:
    """krb5i (RFC 2203 §5.3.2.2): the call's arguments and the reply's results
    inside rpc_gss_integ_data are read as in the clear."""
    from fixtures.gen import nfs4 as gen4

    service, sink, report = _service()
    fs = gen.Server()
    f = fs.add(fs.root_fh, "f", size=5000)
    args, results = fs.read(f, 0, 4096)
    cred = gen.u32(oncrpc.RPCSEC_GSS) + gen.opaque(
        gen.u32(1) + gen.u32(0) + gen.u32(9) + gen.u32(oncrpc.RPC_GSS_SVC_INTEGRITY)
        + gen.opaque(b"ctx"))
    framer = _framer(service)
    framer.data(0, gen.record(gen.rpc_call(9, 100003, 3, 6, gen4.integ(9, args), cred)), 1)
    framer.data(1, gen.record(gen.rpc_reply(9, gen4.integ(9, results))), 2)
    assert [firing.name for firing in sink.firings] == ["op-read-start", "op-read-done"]
    assert sink.firings[1].args[2].res_u.ok.count == 4096
    assert service.counts["RPCSEC_GSS integrity calls"] == 1 and not report.weirds


def test_record_stream_framing_lives_in_the_dissector() -> None:
    stream = oncrpc.RecordStream(frozenset({100003}), frozenset({(100003, 3)}),
                                 lambda direction, xid: xid == 7)
    call = gen.record(gen.rpc_call(9, 100003, 3, 0))
    view = memoryview(call)
    assert stream.min_header == oncrpc.RECORD_MARK_LEN
    assert stream.pdu_length(view, 0) == len(call)
    assert stream.pdu_length(memoryview(call[:4] + b"\x00" * 4 + b"\x00\x00\x00\x07"), 0) is None
    # the strict check: a mark alone is not enough, a whole known call or an
    # awaited reply must follow
    assert stream.resync_length(memoryview(call[:4] + b"\x00" * 20), 0) is None
    assert stream.resync_length(view, 0) == len(call)
    other = gen.record(gen.rpc_call(9, 100003, 4, 0))
    assert stream.resync_length(memoryview(other), 0) is None
    for xid, expected in ((7, True), (8, False)):
        reply = memoryview(gen.record(gen.rpc_reply(xid, b"")))
        assert (stream.resync_length(reply, 1) is not None) is expected
    record = stream.record(view, 0)
    assert record is not None and oncrpc.decode_message(record).xid == 9


def test_decode_front_reads_unknown_past_the_captured_bytes() -> None:
    call = gen.rpc_call(9, 100003, 3, 6, b"\x00" * 40)
    assert oncrpc.decode_front(call[:20], len(call)) is None  # the procedure was cut
    msg = oncrpc.decode_front(call[:26], len(call))
    assert isinstance(msg, oncrpc.RpcCall) and msg.cut and (msg.xid, msg.proc) == (9, 6)
    assert msg.flavor == oncrpc.AUTH_NONE and msg.body.u32() == 0 and msg.body.cut
    whole = oncrpc.decode_front(call, len(call))
    assert isinstance(whole, oncrpc.RpcCall) and whole.body.u32() == 0 and not whole.body.cut
    reply = gen.rpc_reply(5, b"\x00\x00\x00\x01" * 4)
    assert oncrpc.decode_front(reply[:23], len(reply)) is None  # accept_stat cut
    cut = oncrpc.decode_front(reply[:30], len(reply))
    assert isinstance(cut, oncrpc.RpcReply) and cut.success and cut.cut
    # a field partly captured is unknown, and so is everything after it
    assert cut.body.u64() == 0 and cut.body.u32() == 0


def test_session_tables_stay_bounded() -> None:
    """Answered xids leave after the duplicate window (capture time); pending
    calls and answered xids never exceed the cap, and eviction stays O(1)."""
    counts: Counter[str] = Counter()
    session: oncrpc.RpcSession[int] = oncrpc.RpcSession(
        counts, max_pending=1000, duplicate_window_ns=1_000_000_000)
    ms = 1_000_000
    for xid in range(200_000):  # one call and its reply every millisecond
        assert session.call(("c", xid), xid)
        assert session.reply(("c", xid), xid * ms) == xid
        assert session.remembered <= 1000
    assert session.unanswered == 0
    # 1 s window at 1000 replies/s: the cap, not the window, is what bounds here.
    assert session.remembered == 1000
    # A duplicate of a recent reply is still known; one long gone is an orphan.
    assert session.reply(("c", 199_999), 200_000 * ms) is None
    assert counts["duplicate replies"] == 1
    assert session.reply(("c", 5), 200_000 * ms) is None
    assert counts["replies without a call"] == 1
    # Time-based expiry: a slow stream keeps only the window's replies.
    slow: oncrpc.RpcSession[int] = oncrpc.RpcSession(
        Counter(), max_pending=1000, duplicate_window_ns=1_000_000_000)
    for xid in range(10_000):
        slow.call(("c", xid), xid)
        slow.reply(("c", xid), xid * 10 * ms)  # 100 replies/s
        assert slow.remembered <= 101
    # Unanswered calls: the oldest is forgotten once the table is full.
    for xid in range(5000):
        slow.call(("d", xid), xid)
    assert slow.unanswered == 1000
    assert slow.reply(("d", 0), 10**11) is None
    assert slow.reply(("d", 4999), 10**11) == 4999


def test_service_xid_table_bounded_by_capture_time() -> None:
    """Many calls/replies through the translator: the xid table stays small."""
    service, sink, _ = _service()
    framer = _framer(service)
    ts = 0
    for call, reply in _pairs(30_000):
        ts += 1_000_000  # 1000 RPCs per second of capture time
        framer.data(0, gen.record(call), ts)
        framer.data(1, gen.record(reply), ts + 100_000)
        assert service.session.remembered <= 10_001  # the 10 s duplicate window
    assert service.session.unanswered == 0
    assert service.counts["replies"] == 30_000
    assert len(sink.firings) == 60_000
