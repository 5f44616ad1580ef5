"""The nfsv4 provider on the generated fixtures: order, timing, stop at the first
error, current-filehandle paths, callbacks, RPCSEC_GSS, extensions."""

from __future__ import annotations

from click.testing import CliRunner

from pcapprobe.cli import cli
from tests.conftest import FIXTURES
from tests.nfs_sink import Firing, collect

V40 = FIXTURES / "nfsv4-tcp.pcap"
V41 = FIXTURES / "nfsv4.1-sessions.pcap"
MIDSTREAM = FIXTURES / "nfsv4-midstream.pcap"


def _xid(firings: list[Firing], xid: int) -> list[Firing]:
    return [f for f in firings if f.name.startswith(("op-", "compound-op-"))
            and f.args[1].noi_xid == xid]


def _xid_of(firings: list[Firing], probe: str, tag: str) -> int:
    return next(f.args[1].noi_xid for f in firings
                if f.name == probe and f.args[2].tag.utf8string_val == tag)


def test_order_and_timing_of_one_compound() -> None:
    firings, _ = collect(V40, "nfsv4")
    group = _xid(firings, _xid_of(firings, "compound-op-start", "open"))
    assert [f.name for f in group] == [
        "compound-op-start", "op-putfh-start", "op-open-start", "op-getfh-start",
        "op-getattr-start", "op-putfh-done", "op-open-done", "op-getfh-done",
        "op-getattr-done", "compound-op-done"]
    call_ts, reply_ts = group[0].ts, group[-1].ts
    assert all(f.ts == call_ts for f in group[:5]) and all(f.ts == reply_ts for f in group[5:])
    assert reply_ts - call_ts == 92_000  # the fixture's latency after the call's frame
    paths = [f.args[1].noi_curpath for f in group]
    # OPEN starts in the directory and is done on the file; compound-op-start has no fh
    assert paths == ["<unknown>", "<unknown>", "/export/stuff/bin", "/export/stuff/bin/nawk",
                     "/export/stuff/bin/nawk", "/export/stuff/bin", "/export/stuff/bin/nawk",
                     "/export/stuff/bin/nawk", "/export/stuff/bin/nawk",
                     "/export/stuff/bin/nawk"]


def test_a_compound_stops_at_its_first_error() -> None:
    firings, _ = collect(V40, "nfsv4")
    group = _xid(firings, _xid_of(firings, "compound-op-start", "fails"))
    assert [f.name for f in group] == [
        "compound-op-start", "op-putfh-start", "op-lookup-start", "op-getfh-start",
        "op-getattr-start", "op-putfh-done", "op-lookup-done", "compound-op-done"]
    assert group[6].args[2].status == 2 and group[-1].args[2].status == 2
    assert group[6].args[1].noi_curpath == "/export/stuff/bin"  # a failed LOOKUP stays put


def test_renames_and_links_update_the_map() -> None:
    firings, _ = collect(V40, "nfsv4")
    rename = next(f for f in firings if f.name == "op-rename-done")
    assert rename.args[1].noi_curpath == "/export/stuff/work"
    readlink = next(f for f in firings if f.name == "op-readlink-start")
    assert readlink.args[1].noi_curpath == "/export/stuff/work/link"
    lookupp = next(f for f in firings if f.name == "op-lookupp-done")
    assert lookupp.args[1].noi_curpath == "/export/stuff"


def test_callbacks_on_their_own_connection_and_on_the_backchannel() -> None:
    recall = ["compound-cb-start", "cb-recall-start", "cb-recall-done", "compound-cb-done"]
    getattr_ = [name.replace("recall", "getattr") for name in recall]
    for capture, client, path, names in (
            (V40, "192.0.2.75", "/export/stuff/bin/nawk", getattr_ + recall),
            (V41, "192.0.2.76", "/export/vol1/data.bin", recall)):
        firings, _ = collect(capture, "nfsv4")
        cb = [f for f in firings if f.name.startswith(("cb-recall", "cb-getattr", "compound-cb"))]
        assert [f.name for f in cb] == names
        cb = cb[-4:]
        assert {(f.args[0].ci_local, f.args[0].ci_remote) for f in cb} == {("192.0.2.10",
                                                                            client)}
        assert cb[1].args[1].nci_curpath == path and cb[0].args[1] is None
        assert cb[1].args[2].stateid.seqid == 1


def test_rpcsec_gss_integrity_is_decoded_privacy_is_counted() -> None:
    firings, report = collect(V40, "nfsv4")
    private = [f for f in firings if f.name.startswith("compound-op-") and f.args[2] is None]
    assert [f.name for f in private] == ["compound-op-start", "compound-op-done"]
    assert not [f for f in _xid(firings, private[0].args[1].noi_xid) if f.name.startswith("op-")]
    integrity_read = [f for f in firings if f.name == "op-read-done"
                      and f.args[1].noi_cred.cr_uid == 60001]
    assert len(integrity_read) == 1 and integrity_read[0].args[2].data_len == 8192
    assert report.layers["nfsv4"]["krb5p compounds (operations encrypted)"] == 1
    assert report.weirds["nfs4.gss_privacy"] == 1


def test_midstream_paths_come_from_the_seed() -> None:
    seeded, _ = collect(MIDSTREAM, "nfsv4", nfs_paths=str(FIXTURES / "nfsv4-midstream.paths"))
    bare, _ = collect(MIDSTREAM, "nfsv4")
    reads = [f.args[1].noi_curpath for f in seeded if f.name == "op-read-start"]
    assert reads == ["/export/stuff/bin/ecpg"] * 3
    assert {f.args[1].noi_curpath for f in bare if f.name == "op-read-start"} == {"<unknown>"}


def test_extensions_are_marked_in_list_v() -> None:
    result = CliRunner().invoke(cli, ["list", "-v", "-n", "nfsv4:::op-sequence-start"],
                                catch_exceptions=False)
    assert "pcapprobe extension (not a Solaris probe)" in result.output
    result = CliRunner().invoke(cli, ["list", "-v", "-n", "nfsv4:::op-read-start"],
                                catch_exceptions=False)
    assert "extension" not in result.output


def test_list_capture_counts_the_probes_that_fire() -> None:
    result = CliRunner().invoke(cli, ["list", "-P", "nfsv4", str(V41)], catch_exceptions=False)
    rows = [line.split() for line in result.stdout.splitlines()]
    lines = {row[4]: int(row[5]) for row in rows if row[0].isdigit()}
    assert lines["op-sequence-start"] == 19 and lines["op-layoutget-done"] == 1
