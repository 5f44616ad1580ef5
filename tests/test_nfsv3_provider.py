"""nfsv3 provider on the generated fixtures: arguments, paths, credentials, stats."""

from __future__ import annotations

import pytest

from pcapprobe.probes.translators.nfsv3 import UNKNOWN_PATH, PathMap
from tests.conftest import FIXTURES, ROOT
from tests.nfs_sink import collect


def test_path_map_names_late_and_follows_renames() -> None:
    paths = PathMap()
    paths.name(b"F", b"D", "file")  # named before its directory is known
    assert paths.path(b"F") == UNKNOWN_PATH
    paths.name(b"D", b"R", "dir")
    paths.root(b"R", "/export")
    assert paths.path(b"F") == "/export/dir/file"
    paths.rename(b"D", "file", b"R", "moved")
    assert paths.path(b"F") == "/export/moved"
    paths.unlink(b"R", "moved")
    assert paths.path(b"F") == "/export/moved"  # an open handle keeps its last path
    paths.name(b"R", b"X", "..")  # dot names never rename
    assert paths.path(b"R") == "/export"
    root = PathMap()
    root.root(b"/", "/")
    root.name(b"A", b"/", "a")
    assert root.path(b"A") == "/a"


def test_path_map_seed_file() -> None:
    paths = PathMap()
    assert paths.load(["# comment", "", "0a0b /export/x"]) == 1
    assert paths.path(b"\x0a\x0b") == "/export/x"
    with pytest.raises(ValueError, match="line 1"):
        paths.load(["zz /p"])


def test_tcp_fixture_firings() -> None:
    firings, report = collect(FIXTURES / "nfsv3-tcp.pcap")
    by_name: dict[str, list] = {}
    for f in firings:
        by_name.setdefault(f.name, []).append(f)
    assert len(by_name) == 44  # every probe fires
    null = by_name["op-null-start"][0]
    assert len(null.args) == 2
    read = by_name["op-read-start"][1]
    assert (read.args[2].offset, read.args[2].count) == (4096, 28672)
    assert read.args[1].noi_curpath == "/export/stuff/bin/ghex2"
    assert read.args[1].noi_cred.cr_uid == 1000 and read.args[1].noi_cred.cr_gid == 100
    assert read.args[0].ci_local == "192.0.2.10" and read.args[0].ci_protocol == "ipv4"
    write = by_name["op-write-done"][2]
    assert write.args[2].res_u.ok.count == 10055
    assert write.args[1].noi_curpath == "/export/stuff/words12"
    # A handle first seen in a SYMLINK reply is named by it.
    assert by_name["op-readlink-start"][0].args[1].noi_curpath == "/export/stuff/work/link"
    failed = [f.args[2] for f in by_name["op-lookup-done"] if f.args[2].status != 0]
    assert [res.status for res in failed] == [2]  # NFS3ERR_NOENT
    assert failed[0].res_u.ok.object.data.data_len == 0
    # The last GETATTR is never answered: a start without a done, counted.
    assert len(by_name["op-getattr-start"]) == len(by_name["op-getattr-done"]) + 1
    assert report.layers["rpc"]["calls awaiting a reply"] == 1
    v6 = by_name["op-read-start"][-1]
    assert v6.args[0].ci_protocol == "ipv6" and v6.args[0].ci_remote == "2001:db8::75"
    assert v6.args[1].noi_cred.cr_uid == 0
    assert v6.thread != read.thread


def test_midstream_paths_need_a_seed() -> None:
    plain, _ = collect(FIXTURES / "nfsv3-midstream.pcap")
    seeded, _ = collect(FIXTURES / "nfsv3-midstream.pcap",
                        nfs_paths=str(FIXTURES / "nfsv3-midstream.paths"))
    reads = [f.args[1].noi_curpath for f in plain if f.name == "op-read-start"]
    assert reads == [UNKNOWN_PATH] * 4
    reads = [f.args[1].noi_curpath for f in seeded if f.name == "op-read-start"]
    assert reads == ["/export/stuff/bin/ecpg"] * 3 + ["/export/stuff/bin/echo"]


def test_udp_retransmission_fires_once() -> None:
    firings, report = collect(FIXTURES / "nfsv3-udp.pcap")
    getattrs = [f for f in firings if f.name == "op-getattr-start"]
    assert len(getattrs) == 1
    assert report.layers["rpc"]["retransmitted calls"] == 1
    reads = [f for f in firings if f.name == "op-read-done"]
    assert [f.args[2].res_u.ok.data.data_len for f in reads] == [32768, 32768, 70000 - 65536]


def test_seeded_paths_resolve_in_the_goldens() -> None:
    """Without --nfs-paths the midstream capture's paths are unknown; with it, known
    (tests/golden/nfsv3.t)."""
    outputs = ROOT / "tests" / "golden" / "outputs"
    assert "<unknown>" in (outputs / "nfsv3-midstream-nfsv3rwsnoop.txt").read_text()
    seeded = (outputs / "nfsv3-midstream-nfsv3rwsnoop-seeded.txt").read_text()
    assert "/export/stuff/bin/ecpg" in seeded and "<unknown>" not in seeded
