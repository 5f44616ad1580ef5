"""Ctrl-C and SIGTERM during a run, as dtrace(1M) handles them (dtrace.c intr()).

The first SIGINT or SIGTERM stops reading the captures: the run then fires END
and prints the aggregations as at exit(), after the newline dtrace writes
when it notices the interrupt, and exits 0.  A second one while END runs or
the aggregations print ("impatient") stops at once without printing them.
The C scanner notices a signal within 4096 records (scan.c).

A probe firing is atomic, as in the kernel, where the clauses of one firing
run with interrupts disabled: a first signal that lands inside a D clause
(``count()`` done, the ``sum()`` beside it not yet) waits for the firing to
end, checked again a millisecond later by SIGALRM, so no aggregation counts
a firing its neighbour missed.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)
RETRY_SECONDS = 0.001
# the code of the clauses (engine.compile_clause's file name) and of the
# function that runs several clauses of one firing (engine.Program.handler)
CLAUSE_FILE_PREFIX = "<D clause "
FIRING_QUALNAME = "Program.handler.<locals>.fire_all"


class Interrupted(BaseException):
    """Raised by the signal handler where the run happens to be.

    A BaseException, like KeyboardInterrupt, so no ``except Exception`` on
    the way swallows it."""


class Interrupts:
    """How many signals came, and whether one now interrupts the run."""

    def __init__(self) -> None:
        self.count = 0
        self.reading = True  # False once the run has moved on to END

    def handle(self, signo: int, frame: FrameType | None) -> None:
        self.count += 1
        self.interrupt_when_safe(signo, frame)

    def interrupt_when_safe(self, signo: int, frame: FrameType | None) -> None:
        """Raise Interrupted now, or once the firing under way has ended (a
        second signal is impatient and does not wait)."""
        if not (self.reading or self.count > 1):
            return
        if self.count == 1 and inside_firing(frame):
            signal.setitimer(signal.ITIMER_REAL, RETRY_SECONDS)
            return
        raise Interrupted()

    @property
    def interrupted(self) -> bool:
        return self.count > 0


def inside_firing(frame: FrameType | None) -> bool:
    """Whether ``frame`` or a caller of it runs D clauses."""
    while frame is not None:
        code = frame.f_code
        if code.co_filename.startswith(CLAUSE_FILE_PREFIX) or code.co_qualname == FIRING_QUALNAME:
            return True
        frame = frame.f_back
    return False


@contextmanager
def catching(enabled: bool = True) -> Iterator[Interrupts]:
    """Install the handlers for the duration of a run (only in the main
    thread, where Python delivers signals; a library caller's own handlers
    are restored afterwards)."""
    state = Interrupts()
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield state
        return
    previous = {signo: signal.signal(signo, state.handle) for signo in SIGNALS}
    previous[signal.SIGALRM] = signal.signal(signal.SIGALRM, state.interrupt_when_safe)
    try:
        yield state
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for signo, handler in previous.items():
            signal.signal(signo, handler)
