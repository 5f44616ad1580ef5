"""Ethernet, 802.1Q/802.1ad tags, MPLS, BSD loopback: hand-built frames."""

from __future__ import annotations

import struct

import pytest

from pcapprobe.dissectors import ethernet, null
from pcapprobe.dissectors._reader import DissectError, Malformed, Truncated
from fixtures.gen import ethernet as build_eth

IP = b"\x45" + bytes(19)


def test_plain_ipv4():
    assert ethernet.decode(memoryview(build_eth(IP))) == (0x0800, 14)


def test_qinq_then_8021q():
    frame = build_eth(IP, 0x86DD, vlans=[(0x88A8, 100), (0x8100, 20)])
    assert ethernet.decode(memoryview(frame)) == (0x86DD, 22)


def test_mpls_stack_payload_guessed_from_version_nibble():
    labels = struct.pack(">II", 1000 << 12, (2000 << 12) | 0x100 | 64)
    assert ethernet.decode(memoryview(build_eth(labels + IP, 0x8847))) == (0x0800, 22)
    six = b"\x60" + bytes(39)
    assert ethernet.decode(memoryview(build_eth(labels + six, 0x8847))) == (0x86DD, 22)
    assert ethernet.decode(memoryview(build_eth(labels + b"\x00" * 4, 0x8847)))[0] == 0


def test_8023_length_field_is_not_an_ethertype():
    ethertype, _ = ethernet.decode(memoryview(build_eth(b"\xaa\xaa\x03", 0x0026)))
    assert ethertype < ethernet.ETHERTYPE_MIN


def test_mpls_without_bottom_of_stack_is_malformed():
    labels = struct.pack(">I", 1000 << 12) * 20
    with pytest.raises(Malformed):
        ethernet.decode(memoryview(build_eth(labels, 0x8847)))


def test_truncation_sweep():
    labels = struct.pack(">II", 1000 << 12, (2000 << 12) | 0x100 | 64)
    frame = build_eth(labels + IP, 0x8847, vlans=[(0x8100, 5)])
    for i in range(len(frame) - len(IP)):
        with pytest.raises(Truncated):
            ethernet.decode(memoryview(frame[:i]))


@pytest.mark.parametrize("header,expected", [
    (struct.pack("<I", 2), 0x0800), (struct.pack(">I", 2), 0x0800),
    (struct.pack("<I", 30), 0x86DD), (struct.pack(">I", 24), 0x86DD),
    (struct.pack("<I", 28), 0x86DD), (struct.pack("<I", 7), 0),
])
def test_bsd_loopback_families_in_either_byte_order(header, expected):
    assert null.decode(memoryview(header + IP)) == (expected, 4)


def test_loopback_too_short():
    with pytest.raises(DissectError):
        null.decode(memoryview(b"\x02\x00"))
