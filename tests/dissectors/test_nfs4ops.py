"""The C half of NFSv4 decoding (pcapprobe/cext/nfs4ops.c): the COMPOUND walk,
the tag and the SEQUENCE, PUTFH, READ and WRITE decoders, and their errors."""

from __future__ import annotations

import pytest

from pcapprobe import _fastpath
from pcapprobe.dissectors import nfs4
from pcapprobe.dissectors._reader import CutReader, DissectError, Malformed, Reader, Truncated
from fixtures.gen import nfs4 as gen
from fixtures.gen.nfs import opaque, string, u32, u64

SID = gen.stateid(7, 1)


def _call_error(ops: bytes, count: int) -> nfs4.COMPOUND4args:
    """A COMPOUND call of ``count`` operations whose bytes are ``ops``."""
    return nfs4.decode_compound_call(Reader(string("") + u32(1) + u32(count) + ops))


def _reply_error(results: bytes, count: int) -> nfs4.COMPOUND4res:
    return nfs4.decode_compound_reply(Reader(u32(0) + string("") + u32(count) + results))


def test_hot_operations_are_the_c_decoders() -> None:
    """SEQUENCE, PUTFH, READ and WRITE have one decoder each, the C one."""
    for code in (gen.SEQUENCE, gen.PUTFH, gen.READ, gen.WRITE):
        op = nfs4.NFS4_OPERATIONS[code]
        assert isinstance(op.decode_args, _fastpath.Nfs4Decoder)
        assert isinstance(op.decode_res, _fastpath.Nfs4Decoder)
    assert isinstance(nfs4.utf8, _fastpath.Nfs4Decoder)


def test_sequence_args_and_results() -> None:
    code, args, _, body = gen.sequence(9, slot=3)
    decoded = nfs4.NFS4_OPERATIONS[code].decode_args(Reader(args))
    assert type(decoded) is nfs4.SEQUENCE4args
    assert decoded == (gen.SESSION, 9, 3, 3, 0)
    res = nfs4.NFS4_OPERATIONS[code].decode_res(Reader(u32(0) + body))
    assert type(res) is nfs4.SEQUENCE4res and res == (0, gen.SESSION, 9, 3, 3, 15, 0)
    failed = nfs4.NFS4_OPERATIONS[code].decode_res(Reader(u32(10052)))
    assert failed == (10052, bytes(16), 0, 0, 0, 0, 0)  # NFS4ERR_BADSESSION: the zero arm


def test_a_decoder_reads_from_the_readers_position_and_moves_it() -> None:
    code, args, _, _ = gen.read(SID, 1 << 40, 4096, 1 << 41)
    r = Reader(b"\xff" * 8 + args + b"tail", 8)
    decoded = nfs4.NFS4_OPERATIONS[code].decode_args(r)
    assert decoded == ((7, SID[4:]), 1 << 40, 4096) and type(decoded.stateid) is nfs4.stateid4
    assert r.pos == 8 + len(args) and bytes(r.view[r.pos :]) == b"tail"


def test_write_data_is_a_view_of_the_message() -> None:
    code, args, _, _ = gen.write(SID, 512, b"abcde", stable=2)
    message = bytearray(args)
    decoded = nfs4.NFS4_OPERATIONS[code].decode_args(Reader(message))
    assert (decoded.offset, decoded.stable, decoded.data_len) == (512, 2, 5)
    assert isinstance(decoded.data_val, memoryview) and decoded.data_val == b"abcde"
    message[-8] = ord("A")  # the data (padded to 8 bytes) ends the message
    assert decoded.data_val == b"Abcde"


def test_utf8_names_and_the_empty_tag() -> None:
    assert nfs4.utf8(Reader(string(""))) == nfs4.EMPTY
    name = nfs4.utf8(Reader(opaque("résumé".encode())))
    assert type(name) is nfs4.utf8string and name == (8, "résumé")
    # not UTF-8: the bytes survive (surrogateescape)
    raw = nfs4.utf8(Reader(opaque(b"a\xffb")))
    assert raw.utf8string_len == 3
    assert raw.utf8string_val.encode("utf-8", "surrogateescape") == b"a\xffb"
    with pytest.raises(Malformed, match="utf8string length 4097 exceeds 4096") as exc:
        nfs4.utf8(Reader(u32(4097) + bytes(4100)))
    assert exc.value.weird == "xdr.too_long"


def test_python_and_c_decoders_interleave() -> None:
    """A LOOKUP (Python) between C-decoded operations: each reads where the last ended."""
    ops = [gen.sequence(1), gen.putrootfh(), gen.lookup("export"), gen.putfh(b"h" * 20),
           gen.read(SID, 0, 10, 100), gen.getattr_(100), gen.write(SID, 0, b"xyz")]
    args, res = gen.compound_bodies(ops, 1, tag="tag")
    r = Reader(args)
    call = nfs4.decode_compound_call(r)
    assert r.remaining == 0 and call.error is None and call.tag == (3, "tag")
    assert [op.argop for op in call.array] == [code for code, _, _, _ in ops]
    assert call.array[2].args.objname.utf8string_val == "export"
    assert call.array[3].args.object == (20, b"h" * 20)
    reply = nfs4.decode_compound_reply(Reader(res))
    assert reply.error is None and len(reply.array) == 7 and reply.array[4].res.data_len == 10


@pytest.mark.parametrize(("ops", "count", "error", "weird", "decoded"), [
    (u32(gen.SEQUENCE) + bytes(20), 1, "SEQUENCE4args truncated: 20 of 32 bytes",
     "dissect.truncated", 0),
    (u32(gen.SEQUENCE) + bytes(28) + u32(2), 1, "XDR boolean 2", "xdr.bad_bool", 0),
    (u32(gen.PUTFH) + u32(129) + bytes(132), 1, "nfs_fh4 length 129 exceeds 128",
     "xdr.too_long", 0),
    (u32(gen.PUTROOTFH) + u32(gen.READ) + bytes(27), 2,
     "READ4args / WRITE4args truncated: 27 of 28 bytes", "dissect.truncated", 1),
    (u32(gen.WRITE) + SID + u64(0) + u32(0) + u32(10) + b"short", 1,
     "WRITE4args.data truncated: 5 of 12 bytes", "dissect.truncated", 0),
    (u32(gen.PUTROOTFH) + u32(99), 2, "unknown operation 99", "nfs4.bad_opcode", 1),
    (u32(gen.PUTROOTFH) + b"\x00\x00", 2, "operation number truncated: 2 of 4 bytes",
     "dissect.truncated", 1),
])
def test_call_errors_keep_the_operations_before_them(ops: bytes, count: int, error: str,
                                                     weird: str, decoded: int) -> None:
    call = _call_error(ops, count)
    assert isinstance(call.error, DissectError) and str(call.error) == error
    assert call.error.weird == weird
    assert call.array_len == count and len(call.array) == decoded


@pytest.mark.parametrize(("results", "error", "weird"), [
    (u32(gen.READ) + u32(0) + u32(2) + opaque(b"x"), "XDR boolean 2", "xdr.bad_bool"),
    (u32(gen.READ) + u32(0) + u32(1) + u32(8) + b"1234", "READ4resok.data truncated: 4 of 8 bytes",
     "dissect.truncated"),
    (u32(gen.WRITE) + u32(0) + u32(1), "WRITE4resok truncated: 4 of 16 bytes",
     "dissect.truncated"),
    (u32(gen.SEQUENCE) + u32(0) + bytes(16), "SEQUENCE4resok truncated: 16 of 36 bytes",
     "dissect.truncated"),
    (u32(gen.PUTFH), "u32 truncated: 0 of 4 bytes", "dissect.truncated"),
])
def test_reply_errors(results: bytes, error: str, weird: str) -> None:
    reply = _reply_error(results, 1)
    assert str(reply.error) == error and reply.error.weird == weird and reply.array == ()


def test_error_results_carry_the_zero_arm() -> None:
    results = (u32(gen.PUTFH) + u32(0) + u32(gen.READ) + u32(10011))  # NFS4ERR_EXPIRED
    reply = _reply_error(results, 2)
    assert reply.error is None
    assert reply.array[0].res == (0,) and type(reply.array[0].res) is nfs4.PUTFH4res
    assert reply.array[1].res == (10011, 0, 0, b"")
    write = _reply_error(u32(gen.WRITE) + u32(10011), 1).array[0].res
    assert write == (10011, 0, 0, 0) and type(write) is nfs4.WRITE4res


def test_too_many_operations() -> None:
    call = _call_error(b"", nfs4.MAX_OPS + 1)
    assert call.array == () and call.array_len == nfs4.MAX_OPS + 1
    assert call.error.weird == "nfs4.too_many_ops" and str(call.error) == "1025 operations"


@pytest.mark.parametrize("data", [b"", string("t"), string("t") + u32(1)])
def test_a_cut_header_raises(data: bytes) -> None:
    with pytest.raises(Truncated):
        nfs4.decode_compound_call(Reader(data))


def test_an_error_that_is_not_a_dissect_error_propagates() -> None:
    def broken(r: Reader) -> None:
        raise ValueError("a bug, not a packet")

    with pytest.raises(ValueError, match="a bug"):
        _fastpath.nfs4_compound("tu", nfs4.COMPOUND4args, nfs4.ArgOp, 4, {3: broken},
                                Reader(string("") + u32(0) + u32(1) + u32(3)))


def test_callback_compound() -> None:
    code, args, status, body = gen.status_op(gen.CB_RECALL, SID + u32(1) + opaque(b"fh"))
    call_bytes, _ = gen.compound_bodies([(code, args, status, body)], 1, tag="cb", cb_ident=5)
    call = nfs4.decode_cb_compound_call(Reader(call_bytes))
    assert (call.tag.utf8string_val, call.minorversion, call.callback_ident) == ("cb", 1, 5)
    assert call.array[0].args.fh.nfs_fh4_val == b"fh" and call.error is None


def test_a_cut_reader_reads_unknown_members_past_the_captured_bytes() -> None:
    """On a CutReader the C decoders read as CutReader's own reads do: the
    first field not captured and all after it unknown (0, empty), its bytes
    zeroed, the reader's end and cut set; nothing raises."""
    code, args, _, _ = gen.write(SID, 512, b"abcde", stable=2)
    write = nfs4.NFS4_OPERATIONS[code].decode_args
    r = CutReader.of(args[:34], len(args))  # stateid, offset, stable, data length; 2 bytes
    assert write(r) == ((7, SID[4:]), 512, 2, 0, b"") and (r.cut, r.end, r.pos) == (True, 32, 32)
    assert bytes(r.view[32:34]) == bytes(2)  # the captured part from the cut field on, zeroed
    r = CutReader.of(args[:20], len(args))  # stateid, offset and stable are read as one field
    assert write(r) == ((0, bytes(12)), 0, 0, 0, b"") and (r.end, r.pos) == (0, 0)
    r = CutReader.of(args[:-3], len(args))  # only the data's padding was not captured
    assert write(r).data_val == b"abcde" and r.cut
    assert nfs4.utf8(CutReader.of(string("name")[:6], 8)) == nfs4.NOT_CAPTURED
    assert nfs4.utf8(CutReader.of(string(""), 8)) == nfs4.EMPTY  # captured, and empty


def test_a_cut_walk_stops_at_the_first_operation_not_known() -> None:
    """A call's operation is known when its opcode was captured, a result
    when its opcode and status were; the walk stops there with no error."""
    _, res = gen.compound_bodies([gen.putfh(b"\x01" * 8), gen.getattr_()], 0)
    head = 4 + 4 + 4 + 8  # status, tag "", count, PUTFH's result
    for captured, results in ((head + 4, [22]), (head + 8, [22, 9])):
        reply = nfs4.decode_compound_reply(CutReader.of(res[:captured], len(res)))
        assert [op.resop for op in reply.array] == results and reply.error is None
    truncated = nfs4.decode_compound_reply(Reader(res[: head + 4]))
    assert isinstance(truncated.error, Truncated)  # a plain Reader: the message is short
