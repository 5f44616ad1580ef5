"""CRC32C (Castagnoli), the iSCSI header and data digest (RFC 7143 §13.1, RFC 3385).

Reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF; the
digest travels least significant byte first (RFC 7143 §11.1 "CRC32C"), so the
four wire bytes read little-endian equal ``crc32c(data)``.
"""

from __future__ import annotations

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


def crc32c(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """The CRC32C of ``data``; pass a previous result as ``crc`` to continue it."""
    table = _TABLE
    crc ^= 0xFFFFFFFF
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF
