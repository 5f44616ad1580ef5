"""NFSv3 (RFC 1813): every procedure's arguments and results, from encoded bytes."""

from __future__ import annotations

import pytest

from pcapprobe.dissectors import nfs3
from pcapprobe.dissectors._reader import DissectError, Reader
from fixtures.gen import nfs as gen


@pytest.fixture()
def fs() -> gen.Server:
    server = gen.Server()
    server.add(server.root_fh, "stuff", gen.NF3DIR)
    return server


def decode(proc: int, pair: tuple[bytes, bytes]) -> tuple[object, nfs3.Result]:
    procedure = nfs3.NFS3_PROCEDURES[proc]
    call_r, reply_r = Reader(pair[0]), Reader(pair[1])
    args = procedure.decode_call(call_r)
    res = procedure.decode_reply(reply_r)
    assert call_r.remaining == 0 and reply_r.remaining == 0
    return args, res  # type: ignore[return-value]


def test_table_has_all_22_procedures() -> None:
    assert sorted(nfs3.NFS3_PROCEDURES) == list(range(22))
    assert nfs3.NFS3_PROCEDURES[6].name == "read"
    assert nfs3.NFS3_PROCEDURES[17].name == "readdirplus"


def test_read(fs: gen.Server) -> None:
    f = fs.add(fs.root_fh, "f", size=5000)
    args, res = decode(gen.READ, fs.read(f, 4096, 8192))
    assert isinstance(args, nfs3.READ3args)
    assert (args.offset, args.count, args.file.data.data_val) == (4096, 8192, f)
    assert res.status == 0
    ok = res.res_u.ok
    assert ok.count == ok.data.data_len == 904 and ok.eof == 1
    assert ok.data.data_val == bytes((4096 + i) & 0xFF for i in range(904))
    assert ok.file_attributes.attributes == 1 and ok.file_attributes.attr.size == 5000
    assert res.res_u.fail.file_attributes.attributes == 0  # the arm not taken is zero


def test_write(fs: gen.Server) -> None:
    f = fs.add(fs.root_fh, "w")
    args, res = decode(gen.WRITE, fs.write(f, 65536, b"x" * 10055, stable=2))
    assert isinstance(args, nfs3.WRITE3args)
    assert (args.offset, args.count, args.stable, args.data.data_len) == (65536, 10055, 2, 10055)
    ok = res.res_u.ok
    assert (ok.count, ok.committed, ok.verf) == (10055, 2, b"verifier")
    assert ok.file_wcc.after.attr.size == 65536 + 10055


def test_io_results_read_the_wire_when_asked(fs: gen.Server) -> None:
    """READ, WRITE and GETATTR bodies are checked when decoded, their bulky
    members built when read: the same values whichever layout the server sent."""
    f = fs.add(fs.root_fh, "lazy", size=100)
    read = nfs3.NFS3_PROCEDURES[gen.READ].decode_reply
    with_attrs = read(Reader(fs.read(f, 0, 10)[1])).res_u.ok
    without = read(Reader(gen.u32(0) + gen.post_op(None) + gen.u32(10) + gen.u32(0)
                          + gen.opaque(bytes(range(10))))).res_u.ok
    assert with_attrs.data.data_val == without.data.data_val == bytes(range(10))
    assert (with_attrs.count, without.count, without.data.data_len) == (10, 10, 10)
    assert with_attrs.file_attributes.attr.size == 100
    assert without.file_attributes == nfs3.NO_POST_OP_ATTR
    write = nfs3.NFS3_PROCEDURES[gen.WRITE].decode_reply
    ok = write(Reader(gen.u32(0) + gen.wcc() + gen.u32(5) + gen.u32(1) + b"verifier")).res_u.ok
    assert (ok.count, ok.committed, ok.verf) == (5, 1, b"verifier")
    assert ok.file_wcc == nfs3.ZERO_WCC
    args = nfs3.write_call(Reader(fs.write(f, 0, b"abcde")[0]))
    assert (args.data.data_len, args.data.data_val) == (5, b"abcde")


def test_zero_arms_of_io_results(fs: gen.Server) -> None:
    """The arm a failed READ, WRITE or GETATTR does not hold reads as zeros."""
    noent = gen.u32(nfs3.NFS3ERR_NOENT)
    res = nfs3.read_reply(Reader(noent + gen.post_op(None)))
    assert res.res_u.ok.file_attributes == nfs3.NO_POST_OP_ATTR
    ok = res.res_u.ok
    assert (ok.count, ok.data.data_len, ok.data.data_val) == (0, 0, b"")
    res = nfs3.write_reply(Reader(noent + gen.wcc()))
    assert res.res_u.ok.file_wcc == nfs3.ZERO_WCC and res.res_u.ok.verf == bytes(8)
    res = nfs3.getattr_reply(Reader(noent))
    assert res.res_u.ok.obj_attributes == nfs3.ZERO_FATTR


def test_lookup_ok_and_fail(fs: gen.Server) -> None:
    stuff = fs.names[(fs.root_fh, "stuff")]
    args, res = decode(gen.LOOKUP, fs.lookup(fs.root_fh, "stuff"))
    assert isinstance(args, nfs3.LOOKUP3args)
    assert args.what.name == "stuff" and args.what.dir.key == fs.root_fh
    assert res.status == 0 and res.res_u.ok.object.key == stuff
    assert res.res_u.ok.obj_attributes.attr.type == gen.NF3DIR
    _, res = decode(gen.LOOKUP, fs.lookup(fs.root_fh, "missing"))
    assert res.status == nfs3.NFS3ERR_NOENT
    assert res.res_u.fail.dir_attributes.attributes == 1
    assert res.res_u.ok.object.data.data_len == 0


def test_naming_procedures(fs: gen.Server) -> None:
    root = fs.root_fh
    args, res = decode(gen.CREATE, fs.create(root, "new"))
    assert args.where.name == "new" and args.how.mode == nfs3.UNCHECKED  # type: ignore[attr-defined]
    assert args.how.createhow3_u.obj_attributes.mode.mode == 0o644  # type: ignore[attr-defined]
    assert res.res_u.ok.obj.handle_follows == 1
    assert res.res_u.ok.obj.handle.key == fs.names[(root, "new")]
    args, res = decode(gen.MKDIR, fs.mkdir(root, "d"))
    assert args.attributes.mode.set_it == 1  # type: ignore[attr-defined]
    d = fs.names[(root, "d")]
    args, _ = decode(gen.SYMLINK, fs.symlink(d, "l", "../new"))
    assert args.symlink.symlink_data == "../new"  # type: ignore[attr-defined]
    args, _ = decode(gen.MKNOD, fs.mknod(d, "p"))
    assert args.what.type == gen.NF3FIFO  # type: ignore[attr-defined]
    args, res = decode(gen.LINK, fs.link(fs.names[(root, "new")], d, "hard"))
    assert args.link.name == "hard"  # type: ignore[attr-defined]
    args, res = decode(gen.RENAME, fs.rename(d, "p", root, "q"))
    assert getattr(args, "from").name == "p" and args.to.name == "q"  # type: ignore[attr-defined]
    assert res.res_u.ok.fromdir_wcc.before.attributes == 1
    args, res = decode(gen.REMOVE, fs.remove(root, "q"))
    assert args.object.name == "q" and res.status == 0  # type: ignore[attr-defined]
    _, res = decode(gen.RMDIR, fs.remove(root, "gone"))
    assert res.status == nfs3.NFS3ERR_NOENT


def test_directory_listings(fs: gen.Server) -> None:
    root = fs.root_fh
    fs.add(root, "b")
    _, res = decode(gen.READDIR, fs.readdir(root))
    assert [e.name for e in nfs3.iter_entries(res.res_u.ok.reply.entries)] == ["b", "stuff"]
    assert res.res_u.ok.reply.eof == 1
    args, res = decode(gen.READDIRPLUS, fs.readdirplus(root))
    assert args.maxcount == 32768  # type: ignore[attr-defined]
    entries = list(nfs3.iter_entries(res.res_u.ok.reply.entries))
    assert [e.name_handle.handle.key for e in entries] == [fs.names[(root, "b")],
                                                         fs.names[(root, "stuff")]]


def test_attribute_procedures(fs: gen.Server) -> None:
    root = fs.root_fh
    _, res = decode(gen.GETATTR, fs.getattr(root))
    assert res.res_u.ok.obj_attributes.fileid == 1
    args, res = decode(gen.SETATTR, fs.setattr(root, 0o600))
    assert args.new_attributes.mode.mode == 0o600 and args.guard.check == 0  # type: ignore[attr-defined]
    args, res = decode(gen.ACCESS, fs.access(root, 0x3))
    assert args.access == 3 and res.res_u.ok.access == 3  # type: ignore[attr-defined]
    _, res = decode(gen.FSSTAT, fs.fsstat(root))
    assert res.res_u.ok.tbytes == 1 << 30 and res.res_u.ok.afiles == 1000
    _, res = decode(gen.FSINFO, fs.fsinfo(root))
    assert res.res_u.ok.rtmax == 32768 and res.res_u.ok.properties == 0x1B
    _, res = decode(gen.PATHCONF, fs.pathconf(root))
    assert res.res_u.ok.name_max == 255
    args, res = decode(gen.COMMIT, fs.commit(root, 0, 0))
    assert res.res_u.ok.verf == b"verifier"
    _, res = decode(gen.READLINK, fs.readlink(root, "target"))
    assert res.res_u.ok.data == "target"


def test_truncated_calls_and_replies_raise_dissect_errors(fs: gen.Server) -> None:
    f = fs.add(fs.root_fh, "t", size=100)
    for proc, pair in ((gen.READ, fs.read(f, 0, 100)), (gen.WRITE, fs.write(f, 0, b"x" * 9)),
                       (gen.GETATTR, fs.getattr(f)), (gen.LOOKUP, fs.lookup(fs.root_fh, "t")),
                       (gen.READDIRPLUS, fs.readdirplus(fs.root_fh)),
                       (gen.CREATE, fs.create(fs.root_fh, "c")),
                       (gen.SETATTR, fs.setattr(f, 0o600))):
        procedure = nfs3.NFS3_PROCEDURES[proc]
        call, reply = pair
        for n in range(len(call)):
            with pytest.raises(DissectError):
                procedure.decode_call(Reader(call[:n]))
        for n in range(len(reply)):
            with pytest.raises(DissectError):
                procedure.decode_reply(Reader(reply[:n]))


def test_oversized_handle_is_malformed() -> None:
    with pytest.raises(DissectError) as exc:
        nfs3.getattr_call(Reader(gen.opaque(bytes(65))))
    assert exc.value.weird == "xdr.too_long"
