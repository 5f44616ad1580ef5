"""The progress bar: the readers' meters, its text, and the bar itself as a
terminal shows it (pcapprobe run / events with stderr on a pseudo-terminal).
"""

from __future__ import annotations

import gzip
import os
import pty
import re
import selectors
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest

from fixtures import gen
from pcapprobe.capture import Capture
from pcapprobe.capture.pcap import RELEASE_EVERY
from pcapprobe.progress import counts_text
from tests.conftest import ROOT

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
WITH_TOTAL = re.compile(r"reading .*?([\d.]+)/([\d.]+) MB  ([\d,]+) packets  ([\d,]+|--) pkt/s  "
                        r"ETA (\d+:\d\d:\d\d|-:--:--)")
NO_TOTAL = re.compile(r"reading ([\d.]+ (?:bytes|kB|MB))  ([\d,]+) packets  ([\d,]+|--) pkt/s$")
# self-> is outside the native D subset: the clause runs in Python for every
# packet, so the run lasts long enough for the bar to be redrawn several times
# (the native one-liner reads these captures in a fraction of a second)
IP_COUNT = "ip:::receive { @[args[2]->ip_saddr] = count(); self->seen = 1; }"


def write_capture(path: Path, packets: int, start_ns: int = 0) -> int:
    """A pcap of ``packets`` UDP and TCP frames between 64 hosts; its size."""
    frames = []
    for i in range(256):
        src, dst = f"10.0.{i % 64}.1", f"10.1.{i % 7}.2"
        if i % 2:
            seg = gen.udp(5000 + i, 53, bytes(40 + i % 50))
            frames.append(gen.ethernet(gen.ipv4(src, dst, 17, seg, ident=i)))
        else:
            seg = gen.tcp(40000 + i, 80, i, 1, gen.TCP_ACK, bytes(i % 90))
            frames.append(gen.ethernet(gen.ipv4(src, dst, 6, seg, ident=i)))
    record = struct.Struct("<IIII").pack
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for n in range(packets):
        ts = start_ns + n * 10_000
        data = frames[n % len(frames)]
        out.append(record(ts // 1_000_000_000, ts % 1_000_000_000 // 1000, len(data), len(data)))
        out.append(data)
    body = b"".join(out)
    path.write_bytes(body)
    return len(body)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 32 MB: a few seconds of an ip one-liner, many bar redraws."""
    path = tmp_path_factory.mktemp("progress") / "big.pcap"
    write_capture(path, 400_000)
    return path


# The readers' meters ----------------------------------------------------------


def _meter_readings(capture: Capture) -> tuple[list[tuple[int, int]], int]:
    """(bytes_read, packets_read) every 2,000 frames while reading, and the frames."""
    readings = []
    n = 0
    for n, _ in enumerate(capture.frames(), 1):
        if n % 2000 == 0:
            readings.append((capture.bytes_read, capture.packets_read))
    return readings, n


@pytest.mark.parametrize("compress", [False, True], ids=["mapped", "gzip"])
def test_the_meter_follows_the_reader(tmp_path: Path, compress: bool) -> None:
    path = tmp_path / "c.pcap"
    size = write_capture(path, 150_000)
    assert size > 2 * RELEASE_EVERY
    if compress:
        data = path.read_bytes()
        path = tmp_path / "c.pcap.gz"
        path.write_bytes(gzip.compress(data, compresslevel=1, mtime=0))
        size = path.stat().st_size
    capture = Capture(str(path), lambda *a: None)
    assert capture.size == size
    readings, frames = _meter_readings(capture)
    inside = [r for r in readings if 0 < r[0] < size]
    assert len({b for b, _ in inside}) >= 2, readings  # moved while reading
    assert [b for b, _ in readings] == sorted(b for b, _ in readings)
    assert [p for _, p in readings] == sorted(p for _, p in readings)
    assert all(p <= 2000 * (i + 1) for i, (_, p) in enumerate(readings))
    assert (capture.bytes_read, capture.packets_read) == (size, frames) == (size, 150_000)


def test_the_meter_of_standard_input_counts_bytes_without_a_total(tmp_path: Path) -> None:
    path = tmp_path / "c.pcap"
    size = write_capture(path, 60_000)
    read_end, write_end = os.pipe()
    writer = threading.Thread(target=_write_all, args=(write_end, path.read_bytes()))
    writer.start()
    with os.fdopen(read_end, "rb") as pipe:
        capture = Capture("-", lambda *a: None, stdin=pipe)
        assert capture.size == 0
        readings, frames = _meter_readings(capture)
    writer.join()
    assert len({b for b, _ in readings if 0 < b < size}) >= 2, readings
    assert (capture.bytes_read, capture.packets_read) == (size, frames)


def _write_all(fd: int, data: bytes) -> None:
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def test_counts_text() -> None:
    assert counts_text(12_345_678, 171_800_000, 1_234_567, 4e6, 412_000.4) == (
        "12.3/171.8 MB  1,234,567 packets  412,000 pkt/s  ETA 0:00:39")
    assert counts_text(0, 999, 0, None, None) == "0.0/999.0 bytes  0 packets  -- pkt/s  ETA -:--:--"
    assert counts_text(12_345_678, None, 7, 1.0, 2.0) == "12.3 MB  7 packets  2 pkt/s"


# The bar on a terminal ----------------------------------------------------------


def on_terminal(args: list[str], feed: Callable[[BinaryIO, Callable[[], str]], None] | None = None,
                timeout: float = 120) -> tuple[int, str, str]:
    """Run pcapprobe with stderr on a pseudo-terminal and stdout in a pipe (so the
    bar shows); (status, stdout, the terminal's text).  ``feed(stdin, shown)``
    writes standard input from a thread, ``shown()`` returning what the terminal
    has shown so far."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "pcapprobe", *args], cwd=ROOT,
                            stdin=subprocess.PIPE if feed else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    assert proc.stdout is not None
    out_fd = proc.stdout.fileno()
    received = {master: bytearray(), out_fd: bytearray()}
    open_fds = [master, out_fd]

    def shown() -> str:
        return bytes(received[master]).decode("utf-8", "replace")

    feeder = None
    if feed is not None:
        stdin = proc.stdin
        assert stdin is not None

        def feed_and_close() -> None:
            try:
                with stdin:
                    feed(stdin, shown)
            except BrokenPipeError:  # pcapprobe is gone: the test's assertions say why
                pass

        feeder = threading.Thread(target=feed_and_close, daemon=True)
        feeder.start()
    deadline = time.monotonic() + timeout
    # a selector, not select(): a long test session may hold descriptors past 1024
    watch = selectors.DefaultSelector()
    for fd in open_fds:
        watch.register(fd, selectors.EVENT_READ)
    try:
        while open_fds and time.monotonic() < deadline:
            for key, _ in watch.select(0.05):
                fd = key.fd
                try:
                    data = os.read(fd, 1 << 16)
                except OSError:  # the terminal's other end closed (Linux: EIO)
                    data = b""
                received[fd].extend(data)
                if not data:
                    open_fds.remove(fd)
                    watch.unregister(fd)
        status = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        if feeder is not None:
            feeder.join(timeout=5)
    finally:
        watch.close()
        proc.kill()
        proc.wait()
        os.close(master)
        proc.stdout.close()
    return status, received[out_fd].decode(), shown()


def redraws(text: str) -> list[str]:
    """Each state the bar line was drawn in, without colours."""
    return [ANSI.sub("", part).strip() for part in re.split(r"\r|\x1b\[2K|\n", text)
            if ANSI.sub("", part).strip()]


def test_run_shows_the_bar_advance_with_packets_per_second_and_eta(big: Path) -> None:
    status, out, shown = on_terminal(["run", str(big), "--local", "all", "-q", "-n", IP_COUNT])
    assert status == 0 and "10.0.0.1" in out
    states = [m.groups() for m in map(WITH_TOTAL.search, redraws(shown)) if m]
    total = big.stat().st_size / 1e6
    assert states and all(float(t) == round(total, 1) for _, t, _, _, _ in states)
    done = [float(d) for d, *_ in states]
    assert done == sorted(done)
    assert len({d for d in done if 0 < d < total}) >= 2, states  # it moved
    assert any(rate != "--" for *_, rate, _ in states)
    assert any(eta != "-:--:--" for *_, eta in states)
    packets = [int(p.replace(",", "")) for _, _, p, _, _ in states]
    assert packets == sorted(packets) and 0 < max(packets) <= 400_000
    assert shown.rstrip().endswith("\x1b[2K")  # transient: erased at the end


def test_several_files_show_one_bar_over_their_total(tmp_path: Path) -> None:
    a, b = tmp_path / "a.pcap", tmp_path / "b.pcap"
    size = write_capture(a, 120_000) + write_capture(b, 120_000, start_ns=5_000)
    status, out, shown = on_terminal(["run", str(a), str(b), "--local", "all", "-q",
                                      "-n", IP_COUNT])
    assert status == 0
    states = [m.groups() for m in map(WITH_TOTAL.search, redraws(shown)) if m]
    assert states and {t for _, t, _, _, _ in states} == {f"{size / 1e6:.1f}"}
    done = [float(d) for d, *_ in states]
    assert done == sorted(done) and any(0 < d < size / 1e6 for d in done), states


def test_events_on_standard_input_show_a_spinner_with_counts(tmp_path: Path) -> None:
    """No total: bytes and packets so far.  The test writes half the capture,
    waits to see it counted, then writes the rest: the bar's moving does not
    depend on the machine's speed."""
    path = tmp_path / "c.pcap"
    write_capture(path, 10_000)
    data = path.read_bytes()
    half = len(data) // 2
    counted_half: list[int] = []

    def feed(stdin: BinaryIO, shown: Callable[[], str]) -> None:
        stdin.write(data[:half])
        stdin.flush()
        deadline = time.monotonic() + 60
        while not counted_half and time.monotonic() < deadline:
            counts = [int(m.group(2).replace(",", ""))
                      for m in map(NO_TOTAL.search, redraws(shown())) if m]
            if counts and counts[-1] > 0:
                counted_half.append(counts[-1])
            time.sleep(0.05)
        stdin.write(data[half:])

    status, out, shown = on_terminal(["events", "-", "-P", "udp", "--local", "all"], feed)
    assert status == 0 and len(out.splitlines()) == 10_000  # send and receive per UDP packet
    assert counted_half and counted_half[0] < 10_000, shown[-2000:]
    packets = [int(m.group(2).replace(",", ""))
               for m in map(NO_TOTAL.search, redraws(shown)) if m]
    assert packets == sorted(packets) and packets[-1] > counted_half[0]
    assert "ETA" not in shown and re.search("[\u2800-\u28ff]", shown)  # the spinner
