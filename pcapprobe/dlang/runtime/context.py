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


def bounded(index: int, count: int, size: int) -> int:
    """An index of a scalar array (``int a[5]``): outside it the access is
    an invalid address, reported as its byte offset from the array."""
    if 0 <= index < count:
        return index
    raise DFault("invalid address", (index * size) & 0xFFFFFFFFFFFFFFFF)


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


class DynSpace:
    """The dynamic variable space (dynvarsize): associative array elements
    and thread-local (self->) variables.  DTrace cuts it into equal chunks,
    each the size of the largest dynamic variable the program has
    (dtrace_dstate_init), so it holds ``limit`` variables of any kind; a
    new one past that is a dynamic variable drop (``on_drop``)."""

    def __init__(self, limit: int, on_drop: Any) -> None:
        self.limit = limit
        self.live = 0
        self.on_drop = on_drop

    def admit(self) -> bool:
        if self.live < self.limit:
            self.live += 1
            return True
        self.on_drop()
        return False


# sizeof (dtrace_dynvar_t) without its key array (hash value, next, data
# pointer, the tuple's key count), and each dtrace_key_t
_DYNVAR_BYTES = 32
_DYNVAR_KEY_BYTES = 16


def dynvar_size(key_kinds: Any, value_kind: str, strsize: int) -> int:
    """One dynamic variable's chunk: its dtrace_dynvar_t, a key per index
    plus the variable's own id (strings keep their data after the keys),
    and the value (a string strsize bytes, else 8)."""
    keys = list(key_kinds)
    data = sum(strsize for kind in keys if kind == "string")
    value = strsize if value_kind == "string" else 8
    return _DYNVAR_BYTES + _DYNVAR_KEY_BYTES * (len(keys) + 1) + data + value


def store_or_delete(container: dict, key: Any, value: Any, space: DynSpace) -> Any:
    """Assigning zero (or "") to an associative element deletes it; a new
    element needs room in the dynamic variable space."""
    if value:
        if key in container or space.admit():
            container[key] = value
    elif container.pop(key, None) is not None:
        space.live -= 1
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
    """speculation()/speculate()/commit()/discard(): ``count`` buffers (nspec)
    of ``size`` bytes (specsize) each.  speculation() with every buffer in
    use returns 0 and counts a failed speculation; text that no longer fits
    its buffer is a speculative drop (``on_drop(kind)``).  The text of a
    record stands for its size: pcapprobe speculates formatted output."""

    def __init__(self, count: int, write: Any, size: int = 32 << 10, on_drop: Any = None) -> None:
        self.count = count
        self.write = write
        self.size = size
        self.on_drop = on_drop or _ignore_drop
        self.buffers: dict[int, list[str]] = {}
        self.used: dict[int, int] = {}

    def speculation(self) -> int:
        for sid in range(1, self.count + 1):
            if sid not in self.buffers:
                self.buffers[sid] = []
                self.used[sid] = 0
                return sid
        self.on_drop("unavailable")
        return 0

    def writer(self, sid: int) -> Any:
        buffer = self.buffers.get(sid)
        if buffer is None:
            # An inactive speculation silently drops the data.
            return _discard_text
        used, size = self.used, self.size

        def append(text: str) -> None:
            if used[sid] + len(text) > size:
                self.on_drop("speculative")
                return
            used[sid] += len(text)
            buffer.append(text)

        return append

    def commit(self, sid: int) -> None:
        buffer = self.buffers.pop(sid, None)
        self.used.pop(sid, None)
        if buffer:
            self.write("".join(buffer))

    def discard(self, sid: int) -> None:
        self.buffers.pop(sid, None)
        self.used.pop(sid, None)


def _ignore_drop(kind: str) -> None:
    del kind


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


def post_or_delete(container: dict, key: Any, delta: int, mask: int, signed: bool, space: DynSpace) -> int:
    if key not in container and not space.admit():
        return 0  # dropped: nothing stored, it reads as zero
    old = post(container, key, delta, mask, signed)
    if not container[key]:
        del container[key]
        space.live -= 1
    return old


class Drops:
    """What the buffers had no room for, counted until reported (dtrace's
    dtrace_status_t drop counters and per-CPU buffer drops), in the order
    and words dtrace(1M) reports them (dt_handle.c _dt_droptab, then
    dt_handle_cpudrop for aggregation and principal buffers)."""

    # kind -> (words, suffix, per CPU)
    KINDS = {
        "dynamic": ("dynamic variable drop", "", False),
        "speculative": ("speculative drop", "", False),
        "unavailable": ("failed speculation", " (no speculative buffer available)", False),
        "aggregation": ("aggregation drop", "", True),
        "principal": ("drop", "", True),
    }

    def __init__(self) -> None:
        self.counts = dict.fromkeys(self.KINDS, 0)
        self.pending = False

    def add(self, kind: str, n: int = 1) -> None:
        self.counts[kind] += n
        self.pending = True

    def lines(self) -> list[str]:
        """The messages for what was dropped since the last report."""
        out = []
        for kind, (words, suffix, per_cpu) in self.KINDS.items():
            n = self.counts[kind]
            if n:
                where = " on CPU 0" if per_cpu else ""
                out.append(f"{n} {words}{'s' if n > 1 else ''}{suffix}{where}\n")
                self.counts[kind] = 0
        self.pending = False
        return out


def bad_address(pointer: object) -> Any:
    """Reading through a pointer to a program-declared struct: there is no
    memory behind it, so DTrace's load would fault at that address."""
    raise DFault("invalid address", pointer if isinstance(pointer, int) else 0)


class Field:
    """Where a member of a program-declared struct or union lives in its
    value: byte offset, size, and how the bytes read (``kind``: "int",
    "string" for a char array, "record" for a nested struct or union)."""

    __slots__ = ("offset", "size", "kind", "signed")

    def __init__(self, offset: int, size: int, kind: str, signed: bool) -> None:
        self.offset, self.size, self.kind, self.signed = offset, size, kind, signed

    def __repr__(self) -> str:
        return f"Field({self.offset}, {self.size}, {self.kind!r}, {self.signed})"


class Record(bytearray):
    """The value of a struct or union the program declares: its bytes in
    the C layout (little-endian, as on x86), so a union's members overlap
    and a copy or an associative array key is the bytes (D compares and
    hashes struct keys by value).  Indexed by a ``Field``."""

    __slots__ = ()

    def __getitem__(self, key: Any) -> Any:
        if not isinstance(key, Field):
            return bytearray.__getitem__(self, key)
        raw = bytes(self[key.offset:key.offset + key.size])
        if key.kind == "int":
            return int.from_bytes(raw, "little", signed=key.signed)
        if key.kind == "string":
            return raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        return Record(raw)

    def __setitem__(self, key: Any, value: Any) -> None:
        if not isinstance(key, Field):
            bytearray.__setitem__(self, key, value)
            return
        if key.kind == "int":
            raw = (value & ((1 << (8 * key.size)) - 1)).to_bytes(key.size, "little")
        elif key.kind == "string":
            raw = value.encode("utf-8", "surrogateescape")[: key.size - 1].ljust(key.size, b"\0")
        else:
            raw = bytes(value)
        bytearray.__setitem__(self, slice(key.offset, key.offset + key.size), raw)

    def get(self, key: Field, default: Any = None) -> Any:
        return self[key]

    def copy(self) -> Record:
        return Record(self)


def translate(size: int, fields: tuple[tuple[Field, Any], ...]) -> Record:
    """xlate<struct s>(e): a struct value with each translated member set."""
    value = Record(size)
    for field, member in fields:
        value[field] = member
    return value
