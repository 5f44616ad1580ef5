"""Bounds-checked reading of wire bytes: the one way dissectors touch a packet.

Every dissector reads through ``Reader`` so that a short or inconsistent packet
raises ``Truncated`` or ``Malformed`` (both ``DissectError``), never IndexError or
struct.error.  XDR helpers follow RFC 4506 (§4.1 integers, §4.10 variable-length
opaque data padded to 4 bytes, §4.11 strings, §4.13 variable-length arrays).
"""

from __future__ import annotations

import struct

_U16_BE = struct.Struct(">H").unpack_from
_U16_LE = struct.Struct("<H").unpack_from
_U32_BE = struct.Struct(">I").unpack_from
_U32_LE = struct.Struct("<I").unpack_from
_U64_BE = struct.Struct(">Q").unpack_from
_U64_LE = struct.Struct("<Q").unpack_from
_I32_BE = struct.Struct(">i").unpack_from
_I64_BE = struct.Struct(">q").unpack_from


class DissectError(Exception):
    """A packet could not be decoded; the pipeline records it as a named weird."""

    weird = "dissect.error"


class Truncated(DissectError):
    """The packet ended before a field the header promised."""

    weird = "dissect.truncated"

    def __init__(self, needed: int, available: int, what: str = "") -> None:
        self.needed = needed
        self.available = available
        self.what = what
        subject = what or "data"
        super().__init__(f"{subject} truncated: {available} of {needed} bytes")


class Malformed(DissectError):
    """A field holds a value the specification does not allow."""

    weird = "dissect.malformed"

    def __init__(self, reason: str, weird: str | None = None) -> None:
        if weird is not None:
            self.weird = weird
        super().__init__(reason)


class Reader:
    """A cursor over a memoryview; every read is bounds-checked.

    ``pos`` is the offset of the next byte to read; ``remaining`` what is left.
    Reads without a prefix are big-endian (network order); ``le_*`` little-endian.
    """

    __slots__ = ("view", "pos", "end")

    def __init__(self, data: bytes | bytearray | memoryview, pos: int = 0) -> None:
        self.view = data if isinstance(data, memoryview) else memoryview(data)
        self.pos = pos
        self.end = len(self.view)

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def _need(self, n: int, what: str = "") -> int:
        pos = self.pos
        if n < 0:
            raise Malformed(f"negative length {n}" + (f" for {what}" if what else ""))
        if pos + n > self.end:
            raise Truncated(n, self.end - pos, what)
        self.pos = pos + n
        return pos

    def u8(self) -> int:
        return self.view[self._need(1, "u8")]

    def u16(self) -> int:
        return _U16_BE(self.view, self._need(2, "u16"))[0]

    def le_u16(self) -> int:
        return _U16_LE(self.view, self._need(2, "u16"))[0]

    def u24(self) -> int:
        p = self._need(3, "u24")
        v = self.view
        return (v[p] << 16) | (v[p + 1] << 8) | v[p + 2]

    def le_u24(self) -> int:
        p = self._need(3, "u24")
        v = self.view
        return (v[p + 2] << 16) | (v[p + 1] << 8) | v[p]

    def u32(self) -> int:
        return _U32_BE(self.view, self._need(4, "u32"))[0]

    def le_u32(self) -> int:
        return _U32_LE(self.view, self._need(4, "u32"))[0]

    def i32(self) -> int:
        return _I32_BE(self.view, self._need(4, "i32"))[0]

    def u64(self) -> int:
        return _U64_BE(self.view, self._need(8, "u64"))[0]

    def le_u64(self) -> int:
        return _U64_LE(self.view, self._need(8, "u64"))[0]

    def i64(self) -> int:
        return _I64_BE(self.view, self._need(8, "i64"))[0]

    def take(self, n: int, what: str = "") -> memoryview:
        """The next ``n`` bytes as a memoryview (no copy)."""
        p = self._need(n, what)
        return self.view[p : p + n]

    def skip(self, n: int, what: str = "") -> None:
        self._need(n, what)

    def peek(self, n: int) -> memoryview:
        """The next ``n`` bytes without moving; Truncated if fewer are left."""
        if self.pos + n > self.end:
            raise Truncated(n, self.end - self.pos)
        return self.view[self.pos : self.pos + n]

    def rest(self) -> memoryview:
        """Everything left; the cursor moves to the end."""
        p = self.pos
        self.pos = self.end
        return self.view[p : self.end]

    def align(self, boundary: int) -> None:
        """Skip padding up to the next multiple of ``boundary`` from the start."""
        pad = -self.pos % boundary
        if pad:
            self._need(pad, "padding")

    def sub(self, n: int, what: str = "") -> Reader:
        """A Reader over the next ``n`` bytes; this cursor moves past them."""
        return Reader(self.take(n, what))

    # XDR (RFC 4506): big-endian 4-byte units.

    def xdr_u32(self) -> int:
        return self.u32()

    def xdr_u64(self) -> int:
        return self.u64()

    def xdr_bool(self) -> bool:
        value = self.u32()
        if value > 1:
            raise Malformed(f"XDR boolean {value}", "xdr.bad_bool")
        return value == 1

    def xdr_fixed(self, n: int, what: str = "opaque") -> memoryview:
        """Fixed-length opaque data, padded to 4 bytes (RFC 4506 §4.9)."""
        data = self.take(n, what)
        self.skip(-n % 4, "XDR padding")
        return data

    def xdr_opaque(self, limit: int | None = None, what: str = "opaque") -> memoryview:
        """Variable-length opaque<>: length then data padded to 4 (RFC 4506 §4.10)."""
        n = self.u32()
        if limit is not None and n > limit:
            raise Malformed(f"{what} length {n} exceeds {limit}", "xdr.too_long")
        return self.xdr_fixed(n, what)

    def xdr_string(self, limit: int | None = None, what: str = "string") -> str:
        """string<>: opaque bytes decoded as UTF-8, invalid bytes escaped (§4.11)."""
        return str(self.xdr_opaque(limit, what), "utf-8", "surrogateescape")

    def xdr_array_len(self, limit: int | None = None, what: str = "array") -> int:
        """The count of a variable-length array (§4.13), checked against what's left."""
        n = self.u32()
        if (limit is not None and n > limit) or n * 4 > self.remaining:
            raise Malformed(f"{what} count {n} too large", "xdr.too_long")
        return n


UNKNOWN = "<unknown>"


class CutReader(Reader):
    """A Reader over a message of which only a front was captured (a snap
    length, or a hole inside it): ``view`` spans the whole declared length,
    zero past ``captured``.  A field that lies wholly in the captured bytes
    reads as on the wire; the first one that does not, and every field after
    it, reads as unknown: integers 0, opaque data empty, strings "<unknown>"
    -- never a value made of some captured and some missing bytes.  From that
    first field on the bytes of ``view`` are zeroed, so members decoded later
    from the same view (lazily) read as unknown too.

    ``end`` is the captured end, so fast paths that check ``pos + n <= end``
    fall back to the field reads below; ``cut`` tells whether any field was
    past it.  Nothing raises Truncated.
    """

    __slots__ = ("cut", "_buffer", "_length")

    def __init__(self, buffer: bytearray, captured: int, pos: int = 0) -> None:
        super().__init__(memoryview(buffer), pos)
        self._buffer = buffer
        self._length = len(buffer)
        self.end = min(captured, self._length)
        self.cut = False

    @classmethod
    def of(cls, front: bytes | memoryview, length: int, pos: int = 0) -> CutReader:
        """A reader over a message of ``length`` bytes whose ``front`` was captured."""
        buffer = bytearray(max(length, len(front)))
        buffer[: len(front)] = front
        return cls(buffer, len(front), pos)

    def _need(self, n: int, what: str = "") -> int:
        pos = self.pos
        if n < 0:
            raise Malformed(f"negative length {n}" + (f" for {what}" if what else ""))
        if self.cut or pos + n > self.end:
            self._cut_at(pos)
            return -1
        self.pos = pos + n
        return pos

    def _cut_at(self, pos: int) -> None:
        """The field at ``pos`` was not captured: it and all after are unknown."""
        if not self.cut:
            self.cut = True
            if pos < self.end:
                self._buffer[pos : self.end] = bytes(self.end - pos)
            self.end = pos
        self.pos = self.end

    def u8(self) -> int:
        p = self._need(1, "u8")
        return 0 if p < 0 else self.view[p]

    def u16(self) -> int:
        p = self._need(2, "u16")
        return 0 if p < 0 else _U16_BE(self.view, p)[0]

    def u32(self) -> int:
        p = self._need(4, "u32")
        return 0 if p < 0 else _U32_BE(self.view, p)[0]

    def i32(self) -> int:
        p = self._need(4, "i32")
        return 0 if p < 0 else _I32_BE(self.view, p)[0]

    def u64(self) -> int:
        p = self._need(8, "u64")
        return 0 if p < 0 else _U64_BE(self.view, p)[0]

    def i64(self) -> int:
        p = self._need(8, "i64")
        return 0 if p < 0 else _I64_BE(self.view, p)[0]

    def take(self, n: int, what: str = "") -> memoryview:
        """The next ``n`` bytes, or ``n`` zero bytes once cut (fixed-size
        members keep their size)."""
        p = self._need(n, what)
        return memoryview(bytes(n)) if p < 0 else self.view[p : p + n]

    def peek(self, n: int) -> memoryview:
        if self.cut or self.pos + n > self.end:
            return memoryview(bytes(n))
        return self.view[self.pos : self.pos + n]

    def xdr_opaque(self, limit: int | None = None, what: str = "opaque") -> memoryview:
        n = self.u32()
        if limit is not None and n > limit:
            raise Malformed(f"{what} length {n} exceeds {limit}", "xdr.too_long")
        data = self.take(n, what)
        if self.cut:
            return data[:0]
        self.skip(-n % 4, "XDR padding")
        return data

    def xdr_string(self, limit: int | None = None, what: str = "string") -> str:
        data = self.xdr_opaque(limit, what)
        return UNKNOWN if self.cut else str(data, "utf-8", "surrogateescape")

    def xdr_array_len(self, limit: int | None = None, what: str = "array") -> int:
        n = self.u32()
        if self.cut:
            return 0
        if (limit is not None and n > limit) or n * 4 > self._length - self.pos:
            raise Malformed(f"{what} count {n} too large", "xdr.too_long")
        return n
