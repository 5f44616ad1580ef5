"""Ctrl-C (SIGINT) and SIGTERM during a run, sent to a real ``pcapprobe run``.

dtrace(1M) stops tracing on the first one, writes a newline, fires END, prints
the aggregations and exits 0 (dtrace.c intr()); pcapprobe stops reading its
captures.  The capture is generated and streamed on standard input without
end, so the run is still reading when the signal comes.
"""

from __future__ import annotations

import io
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from fixtures.gen import ethernet, ipv4, pcap_bytes, udp
from pcapprobe.dlang import Source, compile_program
from pcapprobe.interrupts import RETRY_SECONDS, Interrupted, Interrupts, inside_firing
from pcapprobe.probes import catalog

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ('ip:::receive { @packets = count(); @bytes = sum(args[2]->ip_plength); } '
           'END { printf("end after %d\\n", 1); }')


def endless_capture(stdin, written: list[int], stop: threading.Event) -> None:
    """Write a pcap header, then UDP packets 1 ms apart until told to stop or
    the reader goes away."""
    frame = ethernet(ipv4("192.0.2.1", "192.0.2.2", 17, udp(5000, 6000, b"x" * 32)))
    try:
        stdin.write(pcap_bytes([]))
        ts = 1_000_000_000
        while not stop.is_set():
            chunk = b"".join(pcap_bytes([(ts + i * 1_000_000, frame)])[24:] for i in range(500))
            stdin.write(chunk)
            stdin.flush()
            ts += 500 * 1_000_000
            written[0] += 500
    except (BrokenPipeError, OSError, ValueError):
        pass


@pytest.mark.parametrize("signo", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_reading_fires_end_prints_aggregations_exits_0(signo: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pcapprobe", "run", "-", "--local", "all", "-q", "-n", PROGRAM],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    written = [0]
    stop = threading.Event()
    writer = threading.Thread(target=endless_capture, args=(proc.stdin, written, stop), daemon=True)
    writer.start()
    try:
        while written[0] < 30_000 and proc.poll() is None:
            writer.join(0.05)
        assert proc.poll() is None, "the run ended before the signal"
        proc.send_signal(signo)
        status = proc.wait(timeout=60)
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
        writer.join(10)
        out_bytes, err_bytes = proc.communicate()  # also closes the pipes
    out, err = out_bytes.decode(), err_bytes.decode()
    assert status == 0, err
    assert "Traceback" not in err
    # the interrupt's newline, END's output, then the aggregations as at exit
    match = re.fullmatch(r"\nend after 1\n\n +(\d+)\n +(\d+)\n", out)
    assert match, repr(out)
    packets, plength = int(match.group(1)), int(match.group(2))
    assert 0 < packets <= written[0]
    assert plength == packets * 40  # every counted packet was whole: 8 + 32 bytes of UDP


def test_a_second_signal_interrupts_end_too() -> None:
    # the first signal interrupts the reading; once END runs only a second one
    # ("impatient") does
    state = Interrupts()
    with pytest.raises(Interrupted):
        state.handle(signal.SIGINT, None)
    state.reading = False
    with pytest.raises(Interrupted):
        state.handle(signal.SIGINT, None)
    late = Interrupts()
    late.reading = False
    late.handle(signal.SIGINT, None)  # a first signal while END runs: nothing to stop
    assert late.interrupted


def frames_of_a_firing() -> list[FrameType]:
    """Every Python frame a real firing of two clauses of one probe runs in
    (the clauses, the function running both, the runtime under them)."""
    text = "tcp:::send { @a = count(); } tcp:::send { @b = count(); }"
    program: Any = compile_program([Source("x.d", text)], {"quiet": True}, [], io.StringIO(),
                                   io.StringIO(), notices=False)
    program.begin(0)
    fire = program.handler(catalog.PROVIDERS["tcp"]["send"])
    frames: list[FrameType] = []

    def record(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            frames.append(frame)

    sys.setprofile(record)
    try:
        fire(0, (), 0)
    finally:
        sys.setprofile(None)
    return frames


def test_a_signal_inside_a_firing_waits_for_the_firing_to_end(monkeypatch: pytest.MonkeyPatch) -> None:
    catalog.load()
    frames = frames_of_a_firing()
    assert len(frames) >= 3  # the function running both clauses, and each clause
    assert all(inside_firing(frame) for frame in frames)
    assert not inside_firing(sys._getframe())
    armed: list[float] = []
    monkeypatch.setattr(signal, "setitimer", lambda which, seconds: armed.append(seconds))
    state = Interrupts()
    state.handle(signal.SIGINT, frames[-1])  # between two actions of a clause
    assert state.interrupted and armed == [RETRY_SECONDS]
    with pytest.raises(Interrupted):  # the retry, once the firing has ended
        state.interrupt_when_safe(signal.SIGALRM, sys._getframe())


def test_a_second_signal_does_not_wait_for_the_firing() -> None:
    catalog.load()
    state = Interrupts()
    state.count = 1
    with pytest.raises(Interrupted):
        state.handle(signal.SIGINT, frames_of_a_firing()[-1])
