"""D subroutines that make sense without a kernel (illumos dtrace.c
``dtrace_dif_subr``): string handling, byte order and address formatting.

Each takes and returns plain Python values (``int``/``str``/``bytes``); the
compile pass checks argument types, so these functions trust their inputs.
"""

from __future__ import annotations

import ipaddress
import posixpath
import random

from pcapprobe.dlang.runtime.context import DFault
from pcapprobe.dlang.runtime.trace import utf8_bytes

AF_INET = 2
AF_INET6 = 26  # Solaris's value


def cut(s: str, size: int) -> str:
    """A string as DTrace holds it: its first ``size`` (strsize) bytes.

    Every string DTrace stores or produces lives in a strsize-byte buffer
    (dtrace_strcpy copies up to that many bytes, the NUL only when there is
    room), so a probe argument, a literal or a variable longer than that is
    seen, compared, stored and printed as its first strsize bytes.  A cut
    inside a UTF-8 sequence keeps the bytes before it (surrogateescape), as
    the buffer does."""
    if s.isascii():
        return s[:size]
    raw = utf8_bytes(s)
    return s if len(raw) <= size else raw[:size].decode("utf-8", "surrogateescape")


def cut_limit(size: int) -> int:
    """The longest string that never needs ``cut`` to ``size`` bytes without
    looking at it: a character takes at most 4 bytes of UTF-8."""
    return size // 4


def strlen(s: str) -> int:
    return len(s)


def strjoin(a: str, b: str, size: int) -> str:
    """DIF_SUBR_STRJOIN: the two strings and their NUL must fit strsize
    bytes of scratch, else the clause faults."""
    joined = a + b
    if (len(joined) if joined.isascii() else len(utf8_bytes(joined))) >= size:
        raise DFault("out of scratch space")
    return joined


def substr(s: str, index: int, length: int | None = None, *, size: int) -> str:
    """dtrace_dif_subr DIF_SUBR_SUBSTR, step for step: a negative index counts
    from the end (a start before the string eats into the count), a negative
    count leaves that many characters off the end; no count means strsize."""
    size = len(s)
    index = _int64(index)
    remaining = size if length is None else _int64(length)
    if index < 0:
        index += size
        if index < 0 and index + remaining > 0:
            remaining += index
            index = 0
    if index >= size or index < 0:
        remaining = 0
    elif remaining < 0:
        remaining += size - index
    elif index + remaining > size:
        remaining = size - index
    return s[index:index + remaining] if remaining > 0 else ""


def _int64(value: int) -> int:
    value &= 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value >> 63 else value


def strstr(s: str, sub: str) -> str:
    found = s.find(sub)
    return "" if found < 0 else s[found:]


def strchr(s: str, c: int) -> str:
    found = s.find(chr(c & 0xFF))
    return "" if found < 0 else s[found:]


def strrchr(s: str, c: int) -> str:
    found = s.rfind(chr(c & 0xFF))
    return "" if found < 0 else s[found:]


def index(s: str, sub: str, start: int = 0) -> int:
    if start < 0:
        start = 0
    return s.find(sub, start) if start <= len(s) else -1


def rindex(s: str, sub: str, start: int | None = None) -> int:
    if start is None:
        return s.rfind(sub)
    if start < 0:
        return -1
    return s.rfind(sub, 0, start + len(sub))


class Tokenizer:
    """strtok(3C) state, kept per program as DTrace keeps it per CPU."""

    def __init__(self) -> None:
        self.rest: str | None = None

    def __call__(self, s: str | None, delims: str) -> str:
        text = self.rest if not s else s
        if text is None:
            return ""
        start = 0
        while start < len(text) and text[start] in delims:
            start += 1
        if start == len(text):
            self.rest = None
            return ""
        end = start
        while end < len(text) and text[end] not in delims:
            end += 1
        self.rest = text[end + 1 :] if end < len(text) else None
        return text[start:end]


def lltostr(value: int, base: int = 10) -> str:
    if base == 10:
        return str(value)
    if base < 2 or base > 36:
        raise DFault("illegal operation")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    value &= (1 << 64) - 1
    out = ""
    while True:
        out = digits[value % base] + out
        value //= base
        if value == 0:
            break
    return {16: "0x", 8: "0"}.get(base, "") + out


def strtoll(s: str, base: int = 10) -> int:
    text = s.strip()
    try:
        return int(text, base if base else 0)
    except ValueError:
        return 0


def toupper(s: str) -> str:
    return s.upper()


def tolower(s: str) -> str:
    return s.lower()


def basename(s: str) -> str:
    """dirname(1)/basename(1) semantics, which DTrace follows ("/" stays "/")."""
    if s == "":
        return "."
    stripped = s.rstrip("/")
    if stripped == "":
        return "/"
    return stripped.rsplit("/", 1)[-1]


def dirname(s: str) -> str:
    stripped = s.rstrip("/")
    if stripped == "":
        return "/" if s else "."
    if "/" not in stripped:
        return "."
    head = stripped.rsplit("/", 1)[0].rstrip("/")
    return head or "/"


def cleanpath(s: str) -> str:
    if s == "":
        return ""
    cleaned = posixpath.normpath(s)
    return "/" + cleaned.lstrip("/") if s.startswith("/") else cleaned


def _swap(value: int, size: int) -> int:
    return int.from_bytes((value & ((1 << (8 * size)) - 1)).to_bytes(size, "little"), "big")


def ntohs(v: int) -> int:
    return _swap(v, 2)


def ntohl(v: int) -> int:
    return _swap(v, 4)


def ntohll(v: int) -> int:
    return _swap(v, 8)


htons, htonl, htonll = ntohs, ntohl, ntohll


def _addr_bytes(addr: object, size: int) -> bytes:
    if isinstance(addr, (bytes, bytearray, memoryview)):
        data = bytes(addr)
        if len(data) < size:
            raise DFault("invalid address")
        return data[:size]
    if isinstance(addr, int):
        return (addr & ((1 << (8 * size)) - 1)).to_bytes(size, "big")
    raise DFault("invalid address")


def inet_ntoa(addr: object) -> str:
    return str(ipaddress.IPv4Address(_addr_bytes(addr, 4)))


def inet_ntoa6(addr: object) -> str:
    data = _addr_bytes(addr, 16)
    v6 = ipaddress.IPv6Address(data)
    if v6.ipv4_mapped is not None:
        return f"::ffff:{v6.ipv4_mapped}"
    return str(v6)


def inet_ntop(family: int, addr: object) -> str:
    if family == AF_INET:
        return inet_ntoa(addr)
    if family == AF_INET6:
        return inet_ntoa6(addr)
    raise DFault("illegal operation")


class Rand:
    """rand(): DTrace's generator is unspecified; ours is seeded so runs repeat."""

    def __init__(self) -> None:
        self.gen = random.Random(0)

    def __call__(self) -> int:
        return self.gen.getrandbits(31)


def stringof(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        # wire bytes: UTF-8, anything else kept byte for byte (surrogateescape)
        return bytes(value).split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    if isinstance(value, int):
        return str(value)
    return ""
