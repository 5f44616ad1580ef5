"""What a run reads: directories of captures, and the seed scripts shipped with
pcapprobe (``-s nfsv3io.d`` with no such file here)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from pcapprobe.scripts import DIRECTORY, shipped_script, shipped_scripts
from tests.conftest import FIXTURES, SEED_SCRIPTS
from tests.test_cli import pcapprobe

IP_COUNT = ("-q", "--local", "all", "-n",
            "ip:::send { @[args[2]->ip_saddr, args[2]->ip_daddr] = count(); } "
            "END { printf(\"%d\\n\", timestamp); }")


def test_a_directory_reads_every_capture_in_it_merged_by_time(tmp_path: Path) -> None:
    """Sorted by name, merged by timestamp: the same as naming the files;
    subdirectories are read too; files that are not captures and hidden
    files and directories are not read."""
    shutil.copy(FIXTURES / "merge-b.pcap", tmp_path / "a-second.pcap")
    with open(FIXTURES / "merge-a.pcap", "rb") as f, gzip.open(tmp_path / "b.gz", "wb") as gz:
        gz.write(f.read())
    (tmp_path / "README").write_text("rotated captures\n")
    shutil.copy(FIXTURES / "ip-mixed.pcap", tmp_path / ".hidden.pcap")
    (tmp_path / "sub").mkdir()
    shutil.copy(FIXTURES / "ip-mixed.pcap", tmp_path / "sub" / "deeper.pcap")
    (tmp_path / ".snapshot").mkdir()
    shutil.copy(FIXTURES / "udp.pcap", tmp_path / ".snapshot" / "old.pcap")
    named = pcapprobe("run", str(FIXTURES / "merge-b.pcap"), str(FIXTURES / "merge-a.pcap"),
                      str(FIXTURES / "ip-mixed.pcap"), *IP_COUNT)
    assert named.status == 0, named.stderr
    listed = pcapprobe("run", str(tmp_path), *IP_COUNT)
    assert (listed.status, listed.stderr) == (0, "")
    assert listed == named


def test_a_directory_beside_files_and_in_events(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "merge-a.pcap", tmp_path / "x.pcap")
    both = pcapprobe("events", "-P", "ip", "--local", "all", str(tmp_path),
                     str(FIXTURES / "merge-b.pcap"))
    assert both.status == 0, both.stderr
    files = pcapprobe("events", "-P", "ip", "--local", "all", str(FIXTURES / "merge-a.pcap"),
                      str(FIXTURES / "merge-b.pcap"))
    assert both.replace(str(tmp_path / "x.pcap"), str(FIXTURES / "merge-a.pcap")) == files


def test_a_directory_without_captures_is_an_error(tmp_path: Path) -> None:
    result = pcapprobe("list", str(tmp_path))
    assert (result.status, result.stderr) == (
        1, f"pcapprobe: {tmp_path}: no capture files in this directory\n")


# ---- shipped seed scripts -----------------------------------------------------


def test_the_shipped_scripts_are_the_seed_scripts_of_every_provider_that_fires() -> None:
    names = {p.name for p in shipped_scripts()}
    assert {"ipio.d", "ipproto.d", "tcpio.d", "tcpstate.d", "iscsiwho.d", "nfsv3io.d",
            "nfsv3rwtime.d"} <= names
    if SEED_SCRIPTS.is_dir():
        for script in shipped_scripts():
            (seed,) = SEED_SCRIPTS.rglob(script.name)
            assert script.read_bytes() == seed.read_bytes()


def test_s_finds_a_shipped_script_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    by_name = pcapprobe("run", str(FIXTURES / "nfsv3-tcp.pcap"), "-s", "nfsv3io.d")
    by_path = pcapprobe("run", str(FIXTURES / "nfsv3-tcp.pcap"), "-s",
                        str(DIRECTORY / "nfsv3io.d"))
    assert (by_name.status, by_name.stderr) == (0, by_path.stderr.replace(
        str(DIRECTORY / "nfsv3io.d"), "nfsv3io.d"))
    assert by_name == by_path and "192.0.2.75" in by_name


def test_a_file_in_the_current_directory_wins(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nfsv3io.d").write_text("BEGIN { printf(\"mine\\n\"); exit(0); }\n")
    result = pcapprobe("run", "-q", "-s", "nfsv3io.d")
    assert (result.status, result) == (0, "mine\n\n")  # END adds its empty line, as dtrace


@pytest.mark.parametrize("name", ["nope.d", "../scripts/nfsv3io.d", "nfsv3io", "__init__.py"])
def test_only_a_bare_shipped_name_is_looked_up(name: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert shipped_script(name) is None
    result = pcapprobe("run", "-s", name)
    assert (result.status, result.stderr) == (
        1, f"pcapprobe: failed to open {name}: No such file or directory\n")
