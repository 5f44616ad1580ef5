"""NFSv4 COMPOUND (RFC 7530 §16, RFC 8881 §18, RFC 7862 §15) from hand-built bytes."""

from __future__ import annotations

import pytest

from pcapprobe.dissectors import nfs4
from pcapprobe.dissectors._reader import DissectError, Reader
from fixtures.gen import nfs4 as gen
from pcapprobe.probes import catalog


def _call(ops: list[gen.Op], minor: int = 0) -> nfs4.COMPOUND4args:
    args, _ = gen.compound_bodies(ops, minor, tag="t")
    r = Reader(args)
    decoded = nfs4.decode_compound_call(r)
    assert r.remaining == 0 and decoded.error is None
    return decoded


def _reply(ops: list[gen.Op], minor: int = 0) -> nfs4.COMPOUND4res:
    _, res = gen.compound_bodies(ops, minor, tag="t")
    r = Reader(res)
    decoded = nfs4.decode_compound_reply(r)
    assert r.remaining == 0 and decoded.error is None
    return decoded


def test_read_write_and_their_results() -> None:
    sid = gen.stateid(7, 1)
    ops = [gen.putfh(b"\x01" * 28), gen.read(sid, 4096, 8192, 5000),
           gen.write(sid, 65536, b"x" * 10)]
    call = _call(ops)
    assert (call.tag.utf8string_val, call.minorversion, call.array_len) == ("t", 0, 3)
    putfh, read, write = (op.args for op in call.array)
    assert putfh.object.nfs_fh4_val == b"\x01" * 28 and putfh.object.nfs_fh4_len == 28
    assert (read.stateid.seqid, read.offset, read.count) == (7, 4096, 8192)
    assert (write.offset, write.stable, write.data_len, write.data_val) == (65536, 0, 10, b"x" * 10)
    res = _reply(ops)
    assert res.status == 0 and [r.resop for r in res.array] == [22, 25, 38]
    read_res, write_res = res.array[1].res, res.array[2].res
    assert (read_res.status, read_res.eof, read_res.data_len) == (0, 1, 904)
    assert read_res.data_val == bytes((4096 + i) & 0xFF for i in range(904))
    assert (write_res.count, write_res.committed, write_res.writeverf) == (
        10, 0, int.from_bytes(gen.VERIFIER, "big"))


def test_open_claims_and_delegations() -> None:
    sid = gen.stateid(1, 2)
    call = _call([gen.open_(1, "nawk", sid, create=True, delegation=gen.read_delegation(sid))])
    args = call.array[0].args
    assert (args.opentype, args.mode, args.claim) == (1, 0, nfs4.CLAIM_NULL)
    assert args.open_claim4_u.file.utf8string_val == "nawk"
    assert args.owner.owner_val == b"open-owner"
    res = _reply([gen.open_(1, "nawk", sid, delegation=gen.read_delegation(sid))]).array[0].res
    assert res.stateid.seqid == 1 and res.rflags == 4
    assert res.delegation.delegation_type == nfs4.OPEN_DELEGATE_READ
    assert res.delegation.open_delegation4_u.read.permissions.who.utf8string_val == "EVERYONE@"
    assert res.delegation.open_delegation4_u.write.stateid.seqid == 0  # the arm not held
    fh_claim = _call([gen.open_(2, None, sid, claim_fh=True)], minor=1).array[0].args
    assert fh_claim.claim == nfs4.CLAIM_FH and fh_claim.open_claim4_u.file.utf8string_val == ""


def test_failing_result_has_zero_arms_and_stops_the_reply() -> None:
    ops = [gen.putfh(b"f" * 28), gen.lookup("missing", gen.NFS4ERR_NOENT), gen.getfh(b"x"),
           gen.getattr_()]
    assert _call(ops).array_len == 4
    res = _reply(ops)
    assert res.status == gen.NFS4ERR_NOENT and res.array_len == 2
    assert [r.status for r in res.array] == [0, gen.NFS4ERR_NOENT]


def test_sessions_and_layouts() -> None:
    call = _call([gen.sequence(9, slot=3)], minor=1).array[0].args
    assert (call.sa_sessionid, call.sa_sequenceid, call.sa_slotid) == (gen.SESSION, 9, 3)
    res = _reply([gen.sequence(9, slot=3)], minor=1).array[0].res
    assert (res.sr_status, res.sr_target_highest_slotid) == (0, 15)


def test_callback_compound() -> None:
    sid = gen.stateid(1, 2)
    args, res = gen.compound_bodies([(gen.CB_RECALL, sid + gen.u32(1) + gen.opaque(b"h" * 8),
                                      0, b"")], cb_ident=5)
    call = nfs4.decode_cb_compound_call(Reader(args))
    assert (call.callback_ident, call.array_len) == (5, 1)
    recall = call.array[0].args
    assert (recall.stateid.seqid, recall.truncate, recall.fh.nfs_fh4_val) == (1, 1, b"h" * 8)
    assert nfs4.decode_cb_compound_reply(Reader(res)).array[0].res.status == 0


def test_unknown_opcode_keeps_what_came_before() -> None:
    args, _ = gen.compound_bodies([gen.putfh(b"f" * 28), (9999, b"", 0, b""), gen.getattr_()])
    call = nfs4.decode_compound_call(Reader(args))
    assert [op.argop for op in call.array] == [22]
    assert isinstance(call.error, DissectError) and call.error.weird == "nfs4.bad_opcode"


def test_truncation_sweep() -> None:
    """Every prefix of a call and a reply decodes to whole operations and an error,
    or raises DissectError (header cut); nothing else."""
    sid = gen.stateid(1, 1)
    ops = [gen.sequence(1), gen.putfh(b"f" * 28), gen.open_(1, "n", sid, create=True,
                                                           delegation=gen.write_delegation(sid)),
           gen.getfh(b"g" * 28), gen.read(sid, 0, 100, 100), gen.write(sid, 0, b"abc"),
           gen.getattr_(10)]
    args, res = gen.compound_bodies(ops, 1)
    for data, decode in ((args, nfs4.decode_compound_call), (res, nfs4.decode_compound_reply)):
        for cut in range(len(data)):
            try:
                decoded = decode(Reader(data[:cut]))
            except DissectError:
                continue
            assert decoded.error is not None and len(decoded.array) < len(ops)


def test_tables_match_the_catalog() -> None:
    """Every operation has its -start/-done probes; extensions are marked so."""
    catalog.load()
    probes = catalog.PROVIDERS["nfsv4"]
    for table, prefix in ((nfs4.NFS4_OPERATIONS, "op-"), (nfs4.NFS4_CB_OPERATIONS, "cb-")):
        for op in table.values():
            for end in ("start", "done"):
                probe = probes[f"{prefix}{op.name}-{end}"]
                assert probe.extension == (not op.solaris), probe.name
    solaris = {p.name for p in probes.values() if not p.extension}
    assert len(solaris) == 2 + 2 * 37 + 2 + 4  # compound, 37 ops, compound-cb, recall, getattr


@pytest.mark.parametrize("code", sorted(nfs4.NFS4_OPERATIONS))
def test_every_decoded_struct_has_the_declared_members(code: int) -> None:
    """A zero-status result of every operation carries each declared member."""
    catalog.load()
    op = nfs4.NFS4_OPERATIONS[code]
    probe = catalog.PROVIDERS["nfsv4"][f"op-{op.name}-done"]
    if len(probe.args) < 3:
        pytest.skip(f"op-{op.name}-done has no args[2]")
    res = op.decode_res(Reader(bytes(4096)))
    struct = catalog.STRUCTS[probe.args[2].base]
    for member in struct.members:
        assert hasattr(res, member), f"{struct.name}.{member}"


@pytest.mark.parametrize("code", sorted(nfs4.NFS4_OPERATIONS))
def test_every_decoded_argument_has_the_declared_members(code: int) -> None:
    """All-zero arguments of every operation carry each declared member."""
    catalog.load()
    op = nfs4.NFS4_OPERATIONS[code]
    probe = catalog.PROVIDERS["nfsv4"][f"op-{op.name}-start"]
    if len(probe.args) < 3:
        pytest.skip(f"op-{op.name}-start has no args[2]")
    # zero is no netloc_type4: COPY_NOTIFY's destination is an NL4_NAME
    data = bytes(16) + gen.u32(nfs4.NL4_NAME) + bytes(4096) if code == 61 else bytes(4096)
    args = op.decode_args(Reader(data))
    for member in catalog.STRUCTS[probe.args[2].base].members:
        assert hasattr(args, member), f"{probe.args[2].base}.{member}"


def test_a_cut_message_decodes_what_was_captured() -> None:
    """A snap length cut the message (CutReader): every operation whose opcode
    was captured is decoded (a result: with its status), members past the
    cut read as unknown, the operations after it are not known, no error."""
    from pcapprobe.dissectors._reader import UNKNOWN, CutReader

    sid = gen.stateid(7, 1)
    ops = [gen.putfh(b"\x01" * 28), gen.read(sid, 4096, 8192, 5000), gen.getattr_()]
    args, res = gen.compound_bodies(ops, 0, tag="t")
    read_at = 4 + 4 + 4 + 4 + 4 + 4 + 28  # tag "t", minor, count, PUTFH and its fh
    call = nfs4.decode_compound_call(CutReader.of(args[:read_at + 4 + 10], len(args)))
    assert [op.argop for op in call.array] == [22, 25] and call.error is None
    read = call.array[1].args
    assert (read.stateid.seqid, read.offset, read.count) == (0, 0, 0)  # stateid cut inside
    header = nfs4.decode_compound_call(CutReader.of(args[:4], len(args)))  # tag cut
    assert (header.tag.utf8string_val, header.array) == (UNKNOWN, ())
    # a reply: PUTFH's result (opcode, status), READ's opcode only: one result
    reply = nfs4.decode_compound_reply(CutReader.of(res[:4 + 8 + 4 + 8 + 4], len(res)))
    assert [r.resop for r in reply.array] == [22] and reply.error is None
