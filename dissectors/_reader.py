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
