"""Linux cooked capture v1 and v2 headers."""

from __future__ import annotations

import struct

import pytest

from pcapprobe.dissectors import sll
from pcapprobe.dissectors._reader import Truncated

V1 = struct.pack(">HHH8sH", 4, 1, 6, b"\x02\0\0\0\0\x01\0\0", 0x86DD)
V2 = struct.pack(">HHIHBB8s", 0x0800, 0, 2, 1, 0, 6, b"\x02\0\0\0\0\x01\0\0")


def test_v1_protocol_is_last():
    assert sll.decode_v1(memoryview(V1 + b"\x60")) == (0x86DD, 16)


def test_v2_protocol_is_first():
    assert sll.decode_v2(memoryview(V2 + b"\x45")) == (0x0800, 20)


@pytest.mark.parametrize("decode,header", [(sll.decode_v1, V1), (sll.decode_v2, V2)])
def test_truncation_sweep(decode, header):
    for i in range(len(header)):
        with pytest.raises(Truncated):
            decode(memoryview(header[:i]))
