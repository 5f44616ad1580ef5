"""``pcapprobe events``: the JSON schema (README "events JSON schema"), the packet
that fired each event, and probe selection with -n."""

from __future__ import annotations

import json

import pytest

from pcapprobe.capture import Capture
from pcapprobe.jsonfmt import MAX_EXACT, exact
from tests import tshark
from tests.conftest import FIXTURES, require_tshark
from tests.test_cli import pcapprobe

KEYS = ["ts_ns", "file", "frame", "provider", "module", "function", "name", "args"]


def events(*args: str) -> list[dict]:
    result = pcapprobe("events", *args)
    assert result.status == 0, result.stderr
    return [json.loads(line) for line in result.splitlines()]


def test_every_event_has_the_documented_keys_in_order() -> None:
    path = str(FIXTURES / "nfsv3-tcp.pcap")
    for event in events(path, "--local", "all"):
        assert list(event) == KEYS
        assert isinstance(event["ts_ns"], str) and int(event["ts_ns"]) > MAX_EXACT
        assert event["file"] == path and isinstance(event["frame"], int)


@pytest.mark.parametrize("value, written", [
    (0, 0), (MAX_EXACT, MAX_EXACT), (-MAX_EXACT, -MAX_EXACT), (MAX_EXACT + 1, str(MAX_EXACT + 1)),
    (-(MAX_EXACT + 1), str(-(MAX_EXACT + 1))), (2**64 - 1, "18446744073709551615"),
])
def test_integers_beyond_2_53_are_strings(value: int, written: int | str) -> None:
    assert exact(value) == written


def test_nfs_events_name_the_frame_of_their_rpc_message() -> None:
    """The frame of every op-*-start / op-*-done is the frame tshark shows the
    call / reply in, whether the C scanner consumed the record (nfsv3 only)
    or the Python layers took it (with ip probes enabled too)."""
    require_tshark()
    path = FIXTURES / "nfsv3-tcp.pcap"
    calls: dict[int, int] = {}
    replies: dict[int, int] = {}
    # a frame may end several RPC messages; a repeated one fires once, for its
    # first transmission (README, nfsv3 notes)
    for frame, xids, types in tshark.fields(path, ["frame.number", "rpc.xid", "rpc.msgtyp"],
                                            "nfs"):
        for xid, msgtyp in zip(xids.split(","), types.split(",")):
            (calls if msgtyp == "0" else replies).setdefault(int(xid, 16), int(frame))
    for extra in ((), ("-P", "ip")):
        got = [e for e in events(str(path), "-P", "nfsv3", *extra, "--local", "all")
               if e["provider"] == "nfsv3"]
        assert got
        for event in got:
            table = calls if event["name"].endswith("-start") else replies
            assert event["frame"] == table[event["args"][1]["noi_xid"]], event["name"]


def test_frames_of_a_merge_name_their_files() -> None:
    a, b = str(FIXTURES / "merge-a.pcap"), str(FIXTURES / "merge-b.pcap")
    got = events(a, b, "-P", "ip", "--local", "all")
    assert {e["file"] for e in got} == {a, b}
    for name in (a, b):
        frames = [e["frame"] for e in got if e["file"] == name and e["name"] == "send"]
        assert frames == sorted(frames) and frames[0] == 1


def test_n_selects_probes_as_list_does() -> None:
    path = str(FIXTURES / "nfsv3-tcp.pcap")
    everything = events(path, "--local", "all")
    for description in ("op-read-*", "nfsv3:::op-read-done", "tcp::*:state-change", "receive"):
        listed = pcapprobe("list", "-n", description).splitlines()[1:]
        names = {tuple(line.split()[1:]) for line in listed}
        want = [e for e in everything
                if (e["provider"], e["module"], e["function"], e["name"]) in names
                or (e["provider"], e["name"]) in {(n[0], n[-1]) for n in names}]
        got = events(path, "--local", "all", "-n", description)
        assert got == want and got, description
    both = events(path, "--local", "all", "-n", "op-read-start", "-n", "op-write-start")
    assert {e["name"] for e in both} == {"op-read-start", "op-write-start"}


def test_n_that_matches_no_probe_is_an_error() -> None:
    result = pcapprobe("events", str(FIXTURES / "nfsv3-tcp.pcap"), "-n", "op-raed-start")
    assert (result.status, result.stderr, result) == (
        1, "pcapprobe: failed to match op-raed-start: No probe matches description\n", "")


def test_events_take_the_record_selection() -> None:
    """--from: no event comes from a packet before it (-f and --to: test_select)."""
    path = FIXTURES / "nfsv3-tcp.pcap"
    first = next(iter(Capture(str(path), lambda *a: None).frames())).ts_ns
    late = events(str(path), "-P", "nfsv3", "--from", "+5ms")
    every = events(str(path), "-P", "nfsv3")
    assert all(int(e["ts_ns"]) >= first + 5_000_000 for e in late)
    assert 0 < len(late) < len(every)


@pytest.mark.parametrize("name", ["tcp-retrans.pcap", "tcp-handshake.pcap", "tcp-reuse.pcap"])
def test_tcp_events_name_the_same_frames_on_every_path(name: str) -> None:
    """tcp alone (the scanner hands segments to the C layers) and tcp with ip
    (every packet through the Python layers): the same events, frame for frame."""
    path = str(FIXTURES / name)
    alone = events(path, "-P", "tcp", "--local", "all")
    with_ip = [e for e in events(path, "-P", "tcp", "-P", "ip", "--local", "all")
               if e["provider"] == "tcp"]
    assert alone == with_ip and all(isinstance(e["frame"], int) for e in alone)
