"""Per-program runtime state and the helpers generated clause code calls.

Generated code keeps D's storage in plain dicts for speed: globals in ``G``
(name -> value), each associative array in its own dict (key -> value, a
missing key reads as zero), thread-local ``self->`` variables in ``S`` keyed
by ``(thread, name)`` where a thread is the connection or session the
firing belongs to, and clause-local ``this->`` variables in a dict ``T`` made
per firing and shared by the clauses of that firing.
"""

from __future__ import annotations

from typing import Any

_U64 = (1 << 64) - 1

# dtrace.h DTRACEFLT_*: fault codes passed to the ERROR probe as arg4.
FAULT_CODES = {
    "invalid address": 1,
    "invalid alignment": 2,
    "illegal operation": 3,
    "divide-by-zero": 4,
    "out of scratch space": 5,
}


class DFault(Exception):
    """A D runtime fault (dtrace_faultstr wording), raised inside a clause."""

    def __init__(self, kind: str, address: int | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.address = address

    def text(self) -> str:
        if self.address is not None:
            return f"{self.kind} (0x{self.address:x})"
        return self.kind


def div(a: int, b: int) -> int:
    """C division: truncates toward zero; division by zero faults."""
    if b == 0:
        raise DFault("divide-by-zero")
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def mod(a: int, b: int) -> int:
    """C remainder: has the sign of the dividend."""
    if b == 0:
        raise DFault("divide-by-zero")
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def store(container: dict, key: Any, value: Any) -> Any:
    """Assignment as an expression: store and yield the value."""
    container[key] = value
    return value


def store_or_delete(container: dict, key: Any, value: Any) -> Any:
    """Assigning zero (or "") to an associative element deletes it."""
    if value:
        container[key] = value
    else:
        container.pop(key, None)
    return value


def address(value: object) -> int:
    """arg0..arg9 of an argument: ints are themselves, NULL is 0, objects a
    stable non-zero pseudo-address (the catalog's argument convention)."""
    if isinstance(value, int):
        return value
    if value is None:
        return 0
    return (id(value) & 0xFFFFFFFFFFF8) | 0x1000


def execname(thread: object) -> str:
    """``execname`` of a firing: the wire shows no process.  Network and target
    probes fire in the kernel's interrupt and taskq threads (``sched``); the io
    provider's firings run on a host object named after the initiator's or
    NFS client's address (pcapprobe.probes.translators.io.Host)."""
    return getattr(thread, "execname", "sched")


def arg(args: tuple, n: int) -> int:
    if n < len(args):
        return address(args[n])
    return 0


def byte_at(data: object, index: int) -> int:
    """Index a uint8_t array member; out of range reads fault as DTrace's would."""
    try:
        return data[index]  # type: ignore[index]
    except (IndexError, TypeError):
        raise DFault("invalid address", index) from None


class Speculations:
    """speculation()/speculate()/commit()/discard() buffers (nspec of them)."""

    def __init__(self, count: int, write: Any) -> None:
        self.count = count
        self.write = write
        self.buffers: dict[int, list[str] | None] = {}

    def speculation(self) -> int:
        for sid in range(1, self.count + 1):
            if sid not in self.buffers:
                self.buffers[sid] = []
                return sid
        return 0

    def writer(self, sid: int) -> Any:
        buffer = self.buffers.get(sid)
        if buffer is None:
            # An inactive speculation silently drops the data (DTrace counts
            # it as a drop).
            return _discard_text
        return buffer.append

    def commit(self, sid: int) -> None:
        buffer = self.buffers.pop(sid, None)
        if buffer:
            self.write("".join(buffer))

    def discard(self, sid: int) -> None:
        self.buffers.pop(sid, None)


def _discard_text(text: str) -> None:
    del text


def post(container: dict, key: Any, delta: int, mask: int, signed: bool) -> int:
    """x++ / x--: store the wrapped new value, yield the old one."""
    old = container.get(key, 0)
    new = (old + delta) & mask
    if signed and new > mask >> 1:
        new -= mask + 1
    container[key] = new
    return old


def post_or_delete(container: dict, key: Any, delta: int, mask: int, signed: bool) -> int:
    old = post(container, key, delta, mask, signed)
    if not container[key]:
        del container[key]
    return old
