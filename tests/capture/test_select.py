"""Record selection: -f (libpcap-compiled BPF, run by pcapprobe's C interpreter)
and --from/--to, on the Python path and in the C record scanner.

The oracles are tcpdump (``tcpdump -r FILE EXPR`` packet counts, and its
filtered copy of a capture) and editcap (-A/-B), each skipped when absent;
the interpreter is also compared with libpcap's own ``bpf_filter``.
"""

from __future__ import annotations

import ctypes
import random
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

import pcapprobe
from pcapprobe._fastpath import BpfProgram
from pcapprobe.capture import Capture
from pcapprobe.capture import bpf
from pcapprobe.capture.bpf import LibpcapMissing, _libpcap, compile_insns
from pcapprobe.capture.select import Selection, parse_time
from pcapprobe.errors import UsageError
from tests.conftest import FIXTURES, ROOT, shared_captures

EXPRESSIONS = [
    "tcp port 2049", "udp", "ip6", "not tcp", "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0",
    "host 192.0.2.75", "ip[6:2] & 0x1fff != 0 or ip[6] & 0x20 != 0", "vlan", "len > 200",
    "tcp and (tcp[12] >> 4) > 5", "ether broadcast", "portrange 3000-3300", "icmp or arp",
]
ETHERNET_FIXTURES = ["nfsv3-tcp.pcap", "nfsv3-udp.pcap", "iscsi-session.pcap", "ip-mixed.pcap",
                     "ip-frag.pcap", "tcp-ipv6.pcap", "link-vlan-mpls.pcap", "tcp-retrans.pcap"]
NFS_ONLY = "nfsv3:::op-*-start, nfsv3:::op-*-done { @[probename] = count(); }"
IP_PROGRAM = "ip:::send { @[args[2]->ip_daddr, args[2]->ip_plength] = count(); }"


def _libpcap_loads() -> bool:
    try:
        _libpcap()
    except LibpcapMissing:
        return False
    return True


needs_libpcap = pytest.mark.skipif(not _libpcap_loads(),
                                   reason="libpcap is not installed (apt-get install libpcap0.8)")


def _tcpdump() -> str:
    path = shutil.which("tcpdump")
    if path is None:
        pytest.skip("tcpdump is not installed (apt-get install tcpdump)")
    return path


def tcpdump_count(path: Path, expr: str) -> int:
    """The packets ``tcpdump -r PATH EXPR`` selects (counted in its -w output:
    it prints some packets on several lines)."""
    out = subprocess.run([_tcpdump(), "-r", str(path), "-w", "-", expr], capture_output=True,
                         check=True).stdout
    order = "<" if out[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    pos, count = 24, 0
    while pos + 16 <= len(out):
        pos += 16 + struct.unpack_from(order + "I", out, pos + 8)[0]
        count += 1
    return count


def frames_read(path: Path, program: str, **options: object) -> pcapprobe.RunResult:
    result = pcapprobe.run(str(path), program=program, local="all", quiet=True, **options)
    assert result.status == 0, result.errors
    return result


# ---- the interpreter ---------------------------------------------------------


def _libpcap_bpf_filter():  # type: ignore[no-untyped-def]
    lib = _libpcap()
    lib.bpf_filter.restype = ctypes.c_uint
    lib.bpf_filter.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint, ctypes.c_uint]
    return lib.bpf_filter


def _frames(path: Path) -> list[tuple[bytes, int]]:
    capture = Capture(str(path), lambda *a: None)
    return [(bytes(f.data), f.wirelen) for f in capture.frames()]


@needs_libpcap
@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_interpreter_agrees_with_libpcaps_bpf_filter(expr: str) -> None:
    """Same verdict as libpcap's bpf_filter on every fixture frame, and on
    each frame cut short at every length (loads past the captured bytes)."""
    bpf_filter = _libpcap_bpf_filter()
    insns = compile_insns(expr, 1)
    raw = b"".join(struct.pack("=HBBI", *i) for i in insns)
    program = BpfProgram(insns)
    packets = [p for name in ETHERNET_FIXTURES if "pcapng" not in name
               for p in _frames(FIXTURES / name)]
    cuts = [(data[:n], wire) for data, wire in packets[:40] for n in range(0, len(data), 7)]
    for data, wire in packets + cuts:
        assert program.run(data, wire) == bpf_filter(raw, data, wire, len(data)), (expr, data)


@needs_libpcap
def test_interpreter_alu_and_memory_against_libpcap() -> None:
    """Instructions tcpdump's expressions rarely use: every ALU operation with
    constants and X, scratch memory, JSET, TXA, return A, on random packets."""
    bpf_filter = _libpcap_bpf_filter()
    rng = random.Random(12)
    alu = [0x04, 0x14, 0x24, 0x34, 0x44, 0x54, 0x64, 0x74, 0x94, 0xA4]
    for _ in range(300):
        op = rng.choice(alu)
        shift = op in (0x64, 0x74)  # a constant shift of 32 or more is refused
        k = rng.choice([1, 3, 7, 31] if shift else [1, 3, 7, 31, 0xFFFF, 0x80000000])
        insns = [(0x20, 0, 0, rng.randrange(0, 20)),  # ld [k]
                 (0x02, 0, 0, 5),                       # st M[5]
                 (0x01, 0, 0, rng.randrange(0, 40)),    # ldx #k
                 (op, 0, 0, k),                         # alu A op k
                 (op | 0x08, 0, 0, 0),                  # alu A op X
                 (0x84, 0, 0, 0),                       # neg
                 (0x45, 0, 1, 0x10),                    # jset #0x10
                 (0x61, 0, 0, 5),                       # ldx M[5]
                 (0x87, 0, 0, 0),                       # txa
                 (0x50, 0, 0, rng.randrange(0, 30)),    # ldb [x + k]
                 (0x16, 0, 0, 0)]                       # ret a
        raw = b"".join(struct.pack("=HBBI", *i) for i in insns)
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 64)))
        assert BpfProgram(insns).run(data, len(data)) == bpf_filter(raw, data, len(data), len(data))


@pytest.mark.parametrize("insns, why", [
    ([], "0 instructions"),
    ([(0x28, 0, 0, 12)], "does not end in a return"),
    ([(0x15, 1, 0, 1), (0x06, 0, 0, 0)], "jump past the end"),
    ([(0x05, 0, 0, 1), (0x06, 0, 0, 0)], "jump past the end"),
    ([(0x60, 0, 0, 16), (0x06, 0, 0, 0)], "scratch memory index out of range"),
    ([(0x34, 0, 0, 0), (0x06, 0, 0, 0)], "division by zero"),
    ([(0x64, 0, 0, 32), (0x06, 0, 0, 0)], "shift by 32 or more"),
    ([(0x8C, 0, 0, 0), (0x06, 0, 0, 0)], "unknown opcode"),
    ([(0x0E, 0, 0, 0)], "unknown opcode"),
    ([(0xFF, 0, 0, 0), (0x06, 0, 0, 0)], "unknown opcode"),
])
def test_invalid_programs_are_refused(insns: list[tuple[int, int, int, int]], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        BpfProgram(insns)


def test_division_by_x_zero_and_loads_beyond_the_data_reject() -> None:
    div_x = BpfProgram([(0x01, 0, 0, 0), (0x3C, 0, 0, 0), (0x06, 0, 0, 1)])  # ldx #0; div x
    assert div_x.run(b"abcd", 4) == 0
    load = BpfProgram([(0x20, 0, 0, 2), (0x06, 0, 0, 1)])  # ld [2]: 4 bytes
    assert load.run(b"abcdef", 6) == 1
    assert load.run(b"abcde", 5) == 0


# ---- -f against tcpdump ---------------------------------------------------------


@needs_libpcap
@pytest.mark.parametrize("name", ETHERNET_FIXTURES)
@pytest.mark.parametrize("expr", ["tcp port 2049", "udp", "not tcp", "host 192.0.2.75",
                                  "tcp[tcpflags] & tcp-syn != 0", "ip6", "vlan"])
def test_frames_read_are_the_packets_tcpdump_selects(name: str, expr: str) -> None:
    """Both paths: an ip program (every frame through Python) and an nfsv3-only
    program (the C scanner consumes the data segments it can)."""
    path = FIXTURES / name
    want = tcpdump_count(path, expr)
    for program in (IP_PROGRAM, NFS_ONLY):
        result = frames_read(path, program, filter=expr)
        assert result.stats["frames"] == want, (program, result.stats)
        left_out = result.stats["layers"]["selection"]["records left out (-f, --from, --to)"]
        assert left_out + want == len(_frames(path))


@needs_libpcap
def test_pcapng_records_match_tcpdump(tmp_path: Path) -> None:
    """The scanner's pcapng path (Enhanced Packet Blocks) selects the same."""
    editcap = shutil.which("editcap")
    if editcap is None:
        pytest.skip("editcap is not installed (apt-get install tshark)")
    path = tmp_path / "nfsv3-tcp.pcapng"
    subprocess.run([editcap, "-F", "pcapng", str(FIXTURES / "nfsv3-tcp.pcap"), str(path)],
                   check=True)
    for expr in ("tcp port 2049", "src host 192.0.2.75", "len > 1000"):
        want = tcpdump_count(path, expr)
        for program in (IP_PROGRAM, NFS_ONLY):
            assert frames_read(path, program, filter=expr).stats["frames"] == want


@needs_libpcap
@pytest.mark.parametrize("path", shared_captures("nfsv3", "iscsi", "tcp", "ip"),
                         ids=lambda p: p.name)
def test_shared_captures_frames_match_tcpdump(path: Path) -> None:
    for expr in ("tcp", "udp or icmp", "tcp[tcpflags] & (tcp-fin|tcp-rst) != 0", "len > 500"):
        want = tcpdump_count(path, expr)
        for program in (IP_PROGRAM, NFS_ONLY):
            assert frames_read(path, program, filter=expr).stats["frames"] == want, expr


@needs_libpcap
@pytest.mark.parametrize("name, script", [
    ("nfsv3-tcp.pcap", "nfsv3io.d"), ("iscsi-session.pcap", "iscsiwho.d"),
    ("tcp-retrans.pcap", "tcpio.d"),
])
def test_a_filtered_run_prints_what_the_tcpdump_filtered_capture_does(
        tmp_path: Path, name: str, script: str) -> None:
    """-f EXPR on a capture == the same script on ``tcpdump -w`` of EXPR."""
    expr = "src host 192.0.2.75 or tcp[tcpflags] & tcp-syn != 0"
    copy = tmp_path / name
    subprocess.run([_tcpdump(), "-r", str(FIXTURES / name), "-w", str(copy), expr],
                   capture_output=True, check=True)
    scripts = ROOT / "pcapprobe" / "scripts"
    filtered = pcapprobe.run(str(FIXTURES / name), script=scripts / script, local="all",
                             filter=expr)
    prefiltered = pcapprobe.run(str(copy), script=scripts / script, local="all")
    assert filtered.output == prefiltered.output
    assert filtered.stats["frames"] == prefiltered.stats["frames"]


@needs_libpcap
def test_filter_per_link_type_over_several_files(tmp_path: Path) -> None:
    """Raw IP, Linux cooked and Ethernet captures in one run: each compiled for
    its own link type; a link type where nothing can match reads nothing."""
    paths = [FIXTURES / n for n in ("link-raw-ipv4.pcap", "link-sll.pcap", "ip-mixed.pcap",
                                    "link-raw-ipv6.pcap")]
    expr = "ip and udp"
    want = sum(tcpdump_count(p, expr) for p in paths[:3])
    result = pcapprobe.run([str(p) for p in paths], program=IP_PROGRAM, local="all",
                           filter=expr)
    assert result.status == 0, result.errors
    assert result.stats["frames"] == want


@needs_libpcap
def test_bad_expression_is_one_line_and_exit_2() -> None:
    from pcapprobe.cli import main
    import io
    from pcapprobe.env import Environment

    out, err = io.StringIO(), io.StringIO()
    status = main(["run", str(FIXTURES / "udp.pcap"), "-n", "BEGIN { exit(0); }",
                   "-f", "tcp prot 80"], Environment(out, err, io.BytesIO(), False))
    assert status == 2
    assert err.getvalue() == ("pcapprobe: -f tcp prot 80: can't parse filter expression: "
                              "syntax error\n")
    assert out.getvalue() == ""


# ---- --from / --to ------------------------------------------------------------


@pytest.mark.parametrize("text, want", [
    ("+5s", (True, 5_000_000_000)), ("+1m30s", (True, 90_000_000_000)),
    ("+250ms", (True, 250_000_000)), ("+1.5", (True, 1_500_000_000)),
    ("+2h1us", (True, 7_200_000_001_000)), ("1700000000.000000001", (False, 1700000000000000001)),
    ("2023-11-14T22:13:20Z", (False, 1700000000000000000)),
    ("2023-11-14T22:13:20.123456789", (False, 1700000000123456789)),
    ("2023-11-14T23:13:20+01:00", (False, 1700000000000000000)),
    ("2023-11-14 22:13:20.5", (False, 1700000000500000000)),
])
def test_times(text: str, want: tuple[bool, int]) -> None:
    assert parse_time("--from", text) == want


@pytest.mark.parametrize("text", ["+5x", "+", "yesterday", "+1m30", "2023-13-01", "-5s"])
def test_bad_times_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match=re.escape(f"--from {text}: not a time")):
        parse_time("--from", text)


def test_from_not_before_to_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--from \\+5s is not before --to \\+2s"):
        Selection(time_from="+5s", time_to="+2s")


def _editcap_count(path: Path, tmp_path: Path, start: str, stop: str) -> int:
    editcap = shutil.which("editcap")
    if editcap is None:
        pytest.skip("editcap is not installed (apt-get install tshark)")
    out = tmp_path / "window.pcapng"
    subprocess.run([editcap, "-F", "pcapng", "-A", start, "-B", stop, str(path), str(out)],
                   capture_output=True, check=True)
    return len(_frames(out))


@pytest.mark.parametrize("name", ["nfsv3-tcp.pcap", "iscsi-session.pcap", "tcp-retrans.pcap",
                                  "fmt-pcapng-le.pcapng"])
def test_window_keeps_what_editcap_keeps(name: str, tmp_path: Path) -> None:
    """Absolute and relative bounds, both paths, against editcap -A/-B."""
    path = FIXTURES / name
    times = sorted({ts for ts in (f.ts_ns for f in Capture(str(path), lambda *a: None).frames())})
    first = times[0]
    lo, hi = times[len(times) // 4], times[3 * len(times) // 4]
    start, stop = (f"{t // 10**9}.{t % 10**9:09d}" for t in (lo, hi))
    want = _editcap_count(path, tmp_path, start, stop)
    assert 0 < want < len(times) or len(times) < 4
    bounds = [(start, stop), (f"+{lo - first}ns", f"+{hi - first}ns")]
    for time_from, time_to in bounds:
        for program in (IP_PROGRAM, NFS_ONLY):
            result = frames_read(path, program, time_from=time_from, time_to=time_to)
            assert result.stats["frames"] == want, (time_from, time_to, program)


@needs_libpcap
def test_window_and_filter_together_and_begin_at_the_first_selected_packet() -> None:
    path = FIXTURES / "nfsv3-tcp.pcap"
    result = pcapprobe.run(str(path), program="BEGIN { printf(\"%d\\n\", walltimestamp); }",
                           quiet=True, time_from="+5ms", filter="tcp")
    frames = [f for f in Capture(str(path), lambda *a: None).frames()]
    first = frames[0].ts_ns
    # IPv4 (ethertype 0x0800) carrying TCP (protocol 6 at byte 23)
    kept = [f.ts_ns for f in frames if f.ts_ns >= first + 5_000_000
            and bytes(f.data[12:14]) == b"\x08\x00" and f.data[23] == 6]
    assert result.status == 0, result.errors
    assert result.output.strip() == str(kept[0])


@needs_libpcap
def test_the_c_scanner_leaves_records_out_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """With an nfsv3-only program the scanner consumes the data segments: the
    records it leaves out never reach Python (and are counted all the same)."""
    from pcapprobe import api

    seen: list[tuple[int, int]] = []
    close = api.Inputs.close

    def spy(self: api.Inputs) -> None:
        seen.append((self._scanner.filtered if self._scanner is not None else -1,
                     self.selection.left_out))
        close(self)

    monkeypatch.setattr(api.Inputs, "close", spy)
    path = FIXTURES / "nfsv3-tcp.pcap"
    result = frames_read(path, NFS_ONLY, filter="src host 192.0.2.75", time_to="+20ms")
    (scanned, python), = seen
    assert scanned > 0
    left_out = result.stats["layers"]["selection"]["records left out (-f, --from, --to)"]
    assert scanned + python == left_out == len(_frames(path)) - result.stats["frames"]


def test_without_libpcap_f_is_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from pcapprobe.cli import main
    from pcapprobe.env import Environment

    monkeypatch.setattr(bpf, "LIBRARY_NAMES", ("libpcap-absent.so",))
    monkeypatch.setattr(bpf.ctypes.util, "find_library", lambda name: None)
    bpf._libpcap.cache_clear()
    try:
        out, err = io.StringIO(), io.StringIO()
        status = main(["run", str(FIXTURES / "udp.pcap"), "-n", "BEGIN { exit(0); }",
                       "-f", "udp"], Environment(out, err, io.BytesIO(), False))
    finally:
        bpf._libpcap.cache_clear()
    assert status == 1
    assert err.getvalue() == ("pcapprobe: -f: libpcap is needed to compile capture filters and "
                              "was not found (Debian/Ubuntu: apt install libpcap0.8; Fedora: "
                              "libpcap)\n")


def test_an_expression_only_other_link_types_take_is_not_refused_at_start(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """check() refuses an expression at once only when no common link type
    takes it; one that only Ethernet refuses waits for an Ethernet packet."""
    real = bpf.compile_filter

    def no_ethernet(expr: str, linktype: int) -> BpfProgram:
        if linktype == 1:
            raise bpf.FilterError(f"-f {expr}: not on Ethernet")
        return real(expr, linktype)

    monkeypatch.setattr(bpf, "compile_filter", no_ethernet)
    Selection("ip").check()
    with pytest.raises(bpf.FilterError, match="-f bogus expr: not on Ethernet"):
        Selection("bogus expr").check()


@needs_libpcap
def test_stdin_gzip_and_list_take_the_selection(tmp_path: Path) -> None:
    """The selection on standard input and a gzip file (Python path: no memory
    map), and in ``list CAPTURE``'s counts."""
    import gzip

    from tests.test_cli import pcapprobe as cli

    path = FIXTURES / "nfsv3-tcp.pcap"
    packed = tmp_path / "nfsv3-tcp.pcap.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    want = tcpdump_count(path, "src host 192.0.2.75")
    args = ["-n", NFS_ONLY, "-q", "--stats", "-f", "src host 192.0.2.75", "--from", "+0s"]
    for source, stdin in (("-", path.read_bytes()), (str(packed), b"")):
        result = cli("run", source, *args, stdin=stdin)
        assert result.status == 0, result.stderr
        assert f"frames: {want} " in result.stderr
    listed = cli("list", str(path), "-n", "tcp:::receive", "--local", "all", "-f", "udp")
    assert listed.status == 0 and listed.splitlines()[1].split()[-1] == "0"
    every = cli("list", str(path), "-n", "tcp:::receive", "--local", "all")
    assert int(every.splitlines()[1].split()[-1]) > 0
