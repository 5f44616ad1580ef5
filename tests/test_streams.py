"""The process's streams misbehaving: a full disk, closed descriptors, a
reader that goes away, file names with control characters, timestamps past
the 64-bit clock.  Every case is one line on stderr and a status, never a
traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.gen import hostile, pcapng_bytes
from pcapprobe.capture import Capture
from tests.conftest import FIXTURES, ROOT

TCP = FIXTURES / "tcp-handshake.pcap"
PRINTF = 'tcp:::send { printf("%d\\n", args[4]->tcp_sport); }'
FULL = Path("/dev/full")


def shell(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, shell=True, capture_output=True, text=True, cwd=ROOT)


PCAPPROBE = f"{sys.executable} -m pcapprobe"


@pytest.mark.skipif(not FULL.exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("command", [
    f"{PCAPPROBE} run {TCP} --local all -q -n '{PRINTF}' > /dev/full",
    f"{PCAPPROBE} run {TCP} --local all -q -n '{PRINTF}' -o /dev/full",
    f"{PCAPPROBE} events {TCP} --local all > /dev/full",
])
def test_a_full_disk_is_one_line_and_status_1(command):
    proc = shell(command)
    assert proc.returncode == 1
    assert proc.stderr == "pcapprobe: failed to write output: No space left on device\n"


def test_closed_standard_output_is_one_line():
    proc = shell(f"{PCAPPROBE} run {TCP} --local all -q -n '{PRINTF}' >&-")
    assert proc.returncode == 1
    assert proc.stderr == "pcapprobe: failed to write output: Bad file descriptor\n"


def test_closed_standard_output_is_no_matter_when_nothing_is_printed_there(tmp_path):
    out = tmp_path / "out.txt"
    proc = shell(f"{PCAPPROBE} run {TCP} --local all -q -n '{PRINTF}' -o {out} >&-")
    assert proc.returncode == 0 and proc.stderr == ""
    assert out.read_text().splitlines()[0] == "40000"


def test_closed_standard_input_is_one_line():
    proc = shell(f"{PCAPPROBE} run - --local all -q -n '{PRINTF}' <&-")
    assert proc.returncode == 1
    assert proc.stderr == "pcapprobe: <stdin>: cannot read: [Errno 9] Bad file descriptor\n"


def test_a_reader_going_away_on_the_tcp_tracker_path_is_quiet(tmp_path):
    # the C tracker prints from inside the capture reader's loop: an EPIPE
    # there is the output's, not a read error of the capture
    capture = tmp_path / "open.pcap"
    hostile.write(capture, hostile.packets(30_000, ("open",)))
    proc = shell(f"{PCAPPROBE} run {capture} --local all -q -n '{PRINTF}' | head -1")
    assert proc.stdout == "1024\n"
    assert proc.stderr == ""


def test_standard_input_twice_is_a_usage_error():
    proc = shell(f"{PCAPPROBE} run - - -n 'BEGIN {{ exit(0); }}' < {TCP}")
    assert proc.returncode == 2
    assert proc.stderr == "pcapprobe: standard input (-) given as a capture more than once\n"


def test_a_newline_in_a_file_name_does_not_split_the_message(tmp_path):
    missing = tmp_path / "a\nb.pcap"
    proc = subprocess.run([sys.executable, "-m", "pcapprobe", "run", str(missing), "-n",
                           "BEGIN { exit(0); }"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1] == \
        f"pcapprobe: {tmp_path}/a\\nb.pcap: No such file or directory"
    bad = tmp_path / "c\nd.pcap"
    bad.write_bytes((FIXTURES / "bad-truncated.pcap").read_bytes())
    proc = subprocess.run([sys.executable, "-m", "pcapprobe", "events", str(bad)],
                          capture_output=True, text=True, cwd=ROOT)
    assert f"pcapprobe: {tmp_path}/c\\nd.pcap: packet 6: truncated packet data" in proc.stderr


@pytest.mark.parametrize("fixture,program", [
    ("nfsv3-tcp.pcap", "nfsv3:::op-read-done { @ = count(); }"),
    ("iscsi-session.pcap", "iscsi:::scsi-command { @ = count(); }"),
])
def test_timestamps_past_2_to_the_63_ns_are_clamped_with_one_line(tmp_path, fixture, program):
    frames = [f.data.tobytes() for f in Capture(str(FIXTURES / fixture), lambda *a: None).frames()]
    top = 2**64 - 1 - len(frames) * 1000  # u64 ticks of 1 ns, past 2**63 ns
    packets = [("epb", 0, top + i * 1000, data) for i, data in enumerate(frames)]
    path = tmp_path / "future.pcapng"
    path.write_bytes(pcapng_bytes([(1, None, 9)], packets))
    proc = subprocess.run([sys.executable, "-m", "pcapprobe", "run", str(path), "-q", "-n",
                           program], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"pcapprobe: {path}: packet 1: timestamp outside the 64-bit nanosecond clock " \
           "(1677-2262); clamped" in proc.stderr
    assert int(proc.stdout.split()[-1]) > 0  # the operations still fire
