"""Ctrl-C and SIGTERM during a run, as dtrace(1M) handles them (dtrace.c intr()).

The first SIGINT or SIGTERM stops reading the captures: the run then fires END
and prints the aggregations as at exit(), after the newline dtrace writes
when it notices the interrupt, and exits 0.  A second one while END runs or
the aggregations print ("impatient") stops at once without printing them.
The C scanner notices a signal within 4096 records (scan.c).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


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
        if self.reading or self.count > 1:
            raise Interrupted()

    @property
    def interrupted(self) -> bool:
        return self.count > 0


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
    try:
        yield state
    finally:
        for signo, handler in previous.items():
            signal.signal(signo, handler)
