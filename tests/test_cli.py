"""The pcapprobe command in-process: events, list, --local, bad input, exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from pcapprobe.cli import main
from pcapprobe.env import Environment
from tests.conftest import FIXTURES, ROOT


class Result(str):
    stderr: str
    status: int


def pcapprobe(*args: str, stdin: bytes = b"") -> Result:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(out, err, io.BufferedReader(io.BytesIO(stdin)), show_progress=False)
    status = main(list(args), env)
    result = Result(out.getvalue())
    result.stderr, result.status = err.getvalue(), status
    return result


def events(*args: str) -> list[dict]:
    """ip firings only: other providers have their own tests."""
    result = pcapprobe("events", "-P", "ip", *args)
    assert result.status == 0, result.stderr
    return [json.loads(line) for line in result.splitlines()]


def test_events_every_member_of_ipv4_and_ipv6_packets():
    evs = events(str(FIXTURES / "ip-mixed.pcap"), "--local", "all")
    assert len(evs) == 38 and [e["name"] for e in evs[:2]] == ["send", "receive"]
    first = evs[0]["args"]
    assert first[2] == {"ip_ver": 4, "ip_plength": 20, "ip_saddr": "192.0.2.10",
                        "ip_daddr": "198.51.100.7"}
    v4 = first[4]
    assert (v4["ipv4_ihl"], v4["ipv4_length"], v4["ipv4_ident"], v4["ipv4_flags"]) == (20, 40, 0x1001, 0x40)
    assert (v4["ipv4_protocol"], v4["ipv4_protostr"], v4["ipv4_ttl"]) == (6, "TCP", 64)
    assert first[5]["ipv6_saddr"] == "<null>" and first[5]["ipv6_nexthdr"] == 0
    assert first[3] == {"if_name": "<unknown>", "if_local": 0, "if_ipstack": 0, "if_addr": 0}
    by_frame = evs[::2]
    assert [e["args"][4]["ipv4_protostr"] for e in by_frame[8:13]] == ["UDP", "UDP", "ICMP", "ICMP", "IGMP"]
    assert by_frame[10]["args"][4]["ipv4_ihl"] == 24
    assert by_frame[18]["args"][4]["ipv4_protostr"] == "99"
    v6 = by_frame[13]["args"]
    assert v6[4]["ipv4_saddr"] == "<null>" and v6[2]["ip_ver"] == 6
    assert (v6[5]["ipv6_tclass"], v6[5]["ipv6_flow"], v6[5]["ipv6_nextstr"]) == (0x28, 0xBEEF, "TCP")
    assert v6[5]["ipv6_src"] == "20010db8000000000000000000000010"
    assert by_frame[16]["args"][5]["ipv6_nextstr"] == "ICMPV6"
    assert by_frame[17]["args"][5]["ipv6_nextstr"] == "IP"  # hop-by-hop first
    assert by_frame[17]["args"][2]["ip_plength"] == 19


def test_local_auto_picks_busiest_address_and_ignores_other_hosts():
    result = pcapprobe("events", "-P", "ip", str(FIXTURES / "ip-mixed.pcap"))
    assert "local host is 192.0.2.10 (in 14 of 19 IP packets" in result.stderr
    evs = [json.loads(line) for line in result.splitlines()]
    assert len(evs) == 14  # the IPv6 packets touch no local address
    for e in evs:
        ip = e["args"][2]
        local = ip["ip_saddr"] if e["name"] == "send" else ip["ip_daddr"]
        assert local == "192.0.2.10"


def test_local_explicit_addresses_fire_both_directions():
    evs = events(str(FIXTURES / "ip-mixed.pcap"), "--local", "2001:db8::10", "--local", "198.51.100.7")
    names = [(e["name"], e["args"][2]["ip_saddr"]) for e in evs]
    assert ("send", "2001:db8::10") in names and ("receive", "2001:db8:0:1::7") in names
    assert ("receive", "192.0.2.10") in names
    assert len(evs) == 10 + 5  # 8 TCP, IGMP, proto 99 with 198.51.100.7; 5 IPv6 packets


def test_fragments_fire_per_fragment():
    evs = events(str(FIXTURES / "ip-frag.pcap"), "--local", "all")
    recv = [e["args"] for e in evs if e["name"] == "receive"]
    assert [a[4]["ipv4_offset"] for a in recv[:3]] == [0, 1600, 800]
    assert [a[4]["ipv4_flags"] for a in recv[:3]] == [0x20, 0, 0x20]
    assert (recv[3][5]["ipv6_nexthdr"], recv[3][5]["ipv6_nextstr"]) == (44, "44")
    assert len(recv) == 6  # 3 + 2 + 1 fragments, no extra firing for reassembled datagrams


@pytest.mark.parametrize("name", ["fmt-pcapng-le.pcapng", "fmt-pcapng-be.pcapng"])
def test_interface_names_from_pcapng(name):
    evs = events(str(FIXTURES / name), "--local", "all")
    names = {(e["args"][3]["if_name"], e["args"][3]["if_local"]) for e in evs}
    assert names == {("eth0", 0), ("lo0", 1), ("<unknown>", 0)}


@pytest.mark.parametrize("name", ["link-vlan-mpls.pcap", "link-sll.pcap", "link-sll2.pcap",
                                  "link-null.pcap", "link-loop.pcap", "link-raw.pcap",
                                  "fmt-gzip.pcap.gz", "fmt-pcap-ns-be.pcap"])
def test_every_link_type_and_format_fires_the_same(name):
    reference = events(str(FIXTURES / "ip-mixed.pcap"), "--local", "all")
    got = events(str(FIXTURES / name), "--local", "all")
    strip = lambda evs: [(e["name"], e["args"][2], e["args"][4]["ipv4_ident"]) for e in evs]  # noqa: E731
    assert strip(got) == strip(reference)


def test_stdin_and_merge():
    data = (FIXTURES / "ip-mixed.pcap").read_bytes()
    result = pcapprobe("events", "-P", "ip", "-", "--local", "all", stdin=data)
    assert result.status == 0 and len(result.splitlines()) == 38
    merged = events(str(FIXTURES / "merge-b.pcap"), str(FIXTURES / "merge-a.pcap"), "--local", "all")
    assert [int(e["ts_ns"]) for e in merged] == sorted(int(e["ts_ns"]) for e in merged)
    assert len(merged) == 38


def test_stdin_with_local_auto_is_read_once():
    data = (FIXTURES / "ip-mixed.pcap").read_bytes()
    result = pcapprobe("events", "-P", "ip", "-", stdin=data)
    assert result.status == 0 and len(result.splitlines()) == 14


def test_local_auto_looks_at_a_bounded_prefix_then_streams(monkeypatch):
    from pcapprobe import api

    monkeypatch.setattr(api, "INFER_MAX_PACKETS", 4)
    pulled = []
    real = api.stream

    def counting_stream(inputs, env):
        for frame in real(inputs, env):
            pulled.append(frame.index)
            yield frame

    monkeypatch.setattr(api, "stream", counting_stream)
    seen_at_first_firing = []
    from pcapprobe.events import EventsSink

    class Sink(EventsSink):
        def handler(self, probe):
            fire = super().handler(probe)
            if fire is None:
                return None

            def first(ts, args, thread):
                if not seen_at_first_firing:
                    seen_at_first_firing.append(len(pulled))
                fire(ts, args, thread)
            return first

    err = io.StringIO()
    env = Environment(io.StringIO(), err, io.BytesIO(), show_progress=False)
    api.decode_captures([str(FIXTURES / "ip-mixed.pcap")], Sink(env.stdout, ["ip"]), env)
    assert "local host is 192.0.2.10 (in 4 of the first 4 IP packets" in err.getvalue()
    assert seen_at_first_firing == [4]  # fired after the prefix, not after the whole file
    assert len(pulled) == 19  # every frame read once


def test_local_auto_is_silent_when_no_enabled_probe_depends_on_it():
    result = pcapprobe("events", "-P", "nfsv3", str(FIXTURES / "ip-mixed.pcap"))
    assert result.status == 0 and result.stderr == ""
    run = pcapprobe("run", str(FIXTURES / "ip-mixed.pcap"), "-q", "-n", "iscsi:::scsi-command {}")
    assert run.status == 0 and run.stderr == ""


def test_local_address_that_matches_nothing_is_warned():
    result = pcapprobe("run", str(FIXTURES / "ip-mixed.pcap"), "--local", "10.9.9.9",
                       "--local", "192.0.2.10", "-q", "-n", "ip:::send {}")
    assert result.status == 0
    assert result.stderr == "pcapprobe: --local 10.9.9.9: no packet to or from this address\n"


def test_directory_or_missing_capture_is_not_a_macro_argument(tmp_path):
    (tmp_path / "notes.txt").write_text("not a capture\n")
    result = pcapprobe("run", str(tmp_path), "-q", "-n", "BEGIN { exit(0); }")
    assert (result.status, result.stderr) == (
        1, f"pcapprobe: {tmp_path}: no capture files in this directory\n")
    for name in ("captures/today.pcap", "today.pcapng", "x.cap", "y.gz", "dir/file"):
        missing = pcapprobe("run", name, "-q", "-n", "BEGIN { exit(0); }")
        assert (missing.status, missing.stderr) == (
            1, f"pcapprobe: {name}: No such file or directory\n"), name
    macro = pcapprobe("run", str(FIXTURES / "ip-mixed.pcap"), "10.0.0.1", "-q", "--local", "all",
                      "-n", "BEGIN { printf(\"%s\\n\", $$1); exit(0); }")
    assert macro.status == 0 and macro.startswith("10.0.0.1\n")


def test_nfs_paths_errors_exit_2_with_one_line(tmp_path):
    missing = pcapprobe("run", str(FIXTURES / "ip-mixed.pcap"), "--nfs-paths", "nope.txt",
                        "-n", "BEGIN { exit(0); }")
    assert missing.status == 2
    assert missing.stderr == ("pcapprobe: --nfs-paths nope.txt: cannot open: "
                              "No such file or directory\n")
    bad = tmp_path / "p"
    bad.write_text("0a0b\n")
    result = pcapprobe("run", str(FIXTURES / "ip-mixed.pcap"), "--nfs-paths", str(bad),
                       "-n", "BEGIN { exit(0); }")
    assert result.status == 2
    assert result.stderr == f"pcapprobe: --nfs-paths {bad}: line 1: no path after the handle\n"


def test_stats_text_on_stderr():
    result = pcapprobe("run", str(FIXTURES / "ip-frag.pcap"), "--local", "all", "--stats", "-q",
                       "-n", "udp:::receive {}")
    assert result.status == 0
    assert result.stderr.splitlines() == [
        "frames: 6 (4176 bytes)",
        "link: 6 decoded, 0 skipped",
        "ip: 6 decoded, 0 skipped",
        "tcp: 0 decoded, 0 skipped",
        "udp: 2 decoded, 0 skipped",
        "fragments: 6 decoded, 1 skipped",
        "  skipped: datagram incomplete: 1",
        "  datagrams reassembled: 2",
        "weirds: ipfrag.incomplete 1",
    ]


class ClosedPipe(io.StringIO):
    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("args", [
    ("events", str(FIXTURES / "ip-mixed.pcap"), "--local", "all"),
    ("run", str(FIXTURES / "ip-mixed.pcap"), "--local", "all", "-q", "-n", "ip:::send { trace(1); }"),
])
def test_broken_pipe_exits_0_quietly(args):
    err = io.StringIO()
    env = Environment(ClosedPipe(), err, io.BytesIO(), show_progress=False)
    assert main(list(args), env) == 0
    assert err.getvalue() == ""


def test_broken_pipe_in_a_real_pipeline():
    proc = subprocess.run(
        f"{sys.executable} -m pcapprobe events {FIXTURES / 'ip-mixed.pcap'} --local all | head -1",
        shell=True, capture_output=True, text=True, cwd=ROOT)
    assert proc.stdout.count("\n") == 1
    assert proc.stderr == ""


@pytest.mark.parametrize("name,lines", [
    ("bad-truncated.pcap", ["pcapprobe: */bad-truncated.pcap: packet 6: truncated packet data*"]),
    ("bad-short-packets.pcap", ["*packet 1: Ethernet header truncated: 10 of 14 bytes",
                                "*packet 2: IPv4 header truncated: 3 of 20 bytes",
                                "*packet 4: IPv6 header truncated: 21 of 40 bytes",
                                "*packet 5: IPv4 header with version 5"]),
    ("bad-unknown-linktype.pcap", ["*packet 1: unsupported link type 147; its packets are skipped"]),
    ("bad-block.pcapng", ["*packet 3: block type 0x00000006 has impossible length 7; rest of file skipped"]),
])
def test_bad_input_is_one_line_per_problem_and_processing_continues(name, lines):
    import fnmatch

    result = pcapprobe("events", str(FIXTURES / name), "--local", "all")
    assert result.status == 0
    err = result.stderr.splitlines()
    for pattern in lines:
        assert any(fnmatch.fnmatch(line, pattern) for line in err), (pattern, err)
    assert "Traceback" not in result.stderr


def test_not_a_capture_is_an_error_exit():
    result = pcapprobe("events", str(FIXTURES / "bad-garbage.pcap"))
    assert result.status == 1
    assert result.stderr.strip().endswith("not a pcap or pcapng file (magic 0b30557a)")
    missing = pcapprobe("events", "nope.pcap")
    assert missing.status == 1 and missing.stderr == "pcapprobe: nope.pcap: No such file or directory\n"


def test_usage_errors_exit_2():
    assert pcapprobe("events").status == 2
    assert pcapprobe("frobnicate").status == 2
    bad_local = pcapprobe("events", str(FIXTURES / "ip-mixed.pcap"), "--local", "nohost")
    assert bad_local.status == 2 and "'nohost' is not an IP address" in bad_local.stderr
    assert pcapprobe("events", str(FIXTURES / "ip-mixed.pcap"), "-P", "nosuch").status == 2


def test_list_like_dtrace_l():
    result = pcapprobe("list", "-P", "ip")
    assert result.splitlines()[0] == "   ID   PROVIDER            MODULE                          FUNCTION NAME"
    assert result.splitlines()[1].endswith("ip                ip                         ip_output send")
    verbose = pcapprobe("list", "-n", "ip:::receive", "-v")
    assert "\t\targs[5]: ipv6info_t *" in verbose and "send" not in verbose
    assert pcapprobe("list", "-n", "nosuch:::probe").status == 1


def test_list_with_captures_counts_firings():
    result = pcapprobe("list", "-P", "ip", "--local", "all", str(FIXTURES / "ip-mixed.pcap"))
    rows = result.splitlines()
    assert rows[0].endswith("COUNT")
    assert rows[1].split()[-1] == "19" and rows[2].split()[-1] == "19"


def test_console_script_runs_without_traceback():
    proc = subprocess.run([sys.executable, "-m", "pcapprobe", "events",
                           str(FIXTURES / "bad-garbage.pcap")], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_when_d_output_is_not_on_the_same_terminal() -> None:
    from pcapprobe.env import Environment

    assert Environment(io.StringIO(), _Tty(), io.BytesIO()).progress_enabled
    assert not Environment(_Tty(), _Tty(), io.BytesIO()).progress_enabled
    assert not Environment(io.StringIO(), io.StringIO(), io.BytesIO()).progress_enabled
