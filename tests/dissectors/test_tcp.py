"""dissectors/tcp.py: header fields and options."""

from __future__ import annotations

import struct

import pytest

from pcapprobe.dissectors import tcp
from pcapprobe.dissectors._reader import Malformed, Truncated


def header(flags: int = 0x12, options: bytes = b"", payload: bytes = b"") -> bytes:
    offset = (20 + len(options)) // 4
    return struct.pack(">HHIIBBHHH", 40000, 22, 0xDEADBEEF, 7, offset << 4, flags, 65535,
                       0xABCD, 3) + options + payload


def test_fixed_fields_and_payload():
    seg = tcp.TcpSegment(memoryview(header(payload=b"data")))
    assert (seg.sport, seg.dport, seg.seq, seg.ack) == (40000, 22, 0xDEADBEEF, 7)
    assert (seg.offset, seg.flags, seg.window, seg.checksum, seg.urgent) == (20, 0x12, 65535,
                                                                             0xABCD, 3)
    assert bytes(seg.payload) == b"data" and len(seg.header) == 20


def test_options():
    opts = (b"\x02\x04\x05\xb4" b"\x01\x03\x03\x0f" b"\x04\x02" b"\x08\x0a" + struct.pack(
        ">II", 11, 22) + b"\x01\x01" b"\x05\x0a" + struct.pack(">II", 100, 200) + b"\x00\x00")
    seg = tcp.TcpSegment(memoryview(header(options=opts)))
    parsed = tcp.parse_options(seg.header)
    assert parsed.mss == 1460
    assert parsed.wscale == 14  # RFC 7323 §2.3: 15 is used as 14
    assert parsed.sack_permitted and parsed.timestamp == (11, 22)
    assert parsed.sack == [(100, 200)]


def test_empty_sack_option_is_no_blocks():
    seg = tcp.TcpSegment(memoryview(header(options=b"\x05\x02\x01\x01")))
    assert tcp.parse_options(seg.header).sack == []


@pytest.mark.parametrize("opts", [b"\x02\x00\x00\x00", b"\x02\x09\x00\x00", b"\x03\x02\x00\x00",
                                  b"\x01\x01\x01\x08"])
def test_bad_options_are_malformed(opts):
    seg = tcp.TcpSegment(memoryview(header(options=opts)))
    with pytest.raises(Malformed) as err:
        tcp.parse_options(seg.header)
    assert err.value.weird == "tcp.bad_option"


def test_short_and_inconsistent_headers():
    with pytest.raises(Truncated):
        tcp.TcpSegment(memoryview(header()[:19]))
    bad = bytearray(header())
    bad[12] = 4 << 4
    with pytest.raises(Malformed):
        tcp.TcpSegment(memoryview(bytes(bad)))
    bad[12] = 8 << 4  # 32-byte header cut to 20 by the snap length
    seg = tcp.TcpSegment(memoryview(bytes(bad)))
    assert seg.offset == 32 and len(seg.header) == 20 and len(seg.payload) == 0


def test_raw_header_and_tcph_t_byte_arrays() -> None:
    from pcapprobe.dissectors.tcp import RawHeader
    from pcapprobe.probes.translators.tcp import TcpHdr

    raw = bytes(range(20)) + b"\x01\x01\x01\x01"  # options are not part of it
    assert RawHeader(memoryview(raw)).window_bytes == b"\x0e\x0f"
    hdr = TcpHdr(memoryview(raw))
    assert (hdr.th_lport, hdr.th_seq, hdr.th_flags, hdr.th_urp) == (
        b"\x00\x01", b"\x04\x05\x06\x07", b"\x0d", b"\x12\x13")
