"""CRC32C (Castagnoli), the iSCSI header and data digest (RFC 7143 §13.1, RFC 3385).

Reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF; the
digest travels least significant byte first (RFC 7143 §11.1 "CRC32C"), so the
four wire bytes read little-endian equal ``crc32c(data)``.  The C extension of
google-crc32c is used when it imports; ``crc32c_python`` is the table-driven
fallback (and the reference the tests hold the C path to).
"""

from __future__ import annotations

import warnings

_POLY = 0x82F63B78


def _make_table() -> tuple[int, ...]:
    table = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()


def crc32c_python(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """The CRC32C of ``data`` in pure Python; ``crc`` continues a previous result."""
    table = _TABLE
    crc ^= 0xFFFFFFFF
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _load_c() -> object | None:
    try:
        with warnings.catch_warnings():
            # google-crc32c warns (RuntimeWarning) when it falls back to Python.
            warnings.simplefilter("ignore")
            import google_crc32c
    except ImportError:
        return None
    return google_crc32c if getattr(google_crc32c, "implementation", "") == "c" else None


_C = _load_c()
IMPLEMENTATION = "c" if _C is not None else "python"

if _C is not None:
    _c_value = _C.value  # type: ignore[attr-defined]
    _c_extend = _C.extend  # type: ignore[attr-defined]

    def crc32c(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
        """The CRC32C of ``data``; pass a previous result as ``crc`` to continue it."""
        # The extension takes only read-only bytes objects, not memoryviews.
        if type(data) is not bytes:
            data = bytes(data)
        return int(_c_extend(crc, data) if crc else _c_value(data))

else:
    crc32c = crc32c_python
