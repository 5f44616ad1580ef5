"""iSCSI framing, PDU decoding, digests, login keys and task tracking (RFC 7143)."""

from __future__ import annotations

import struct

import pytest

from pcapprobe.dissectors import iscsi
from pcapprobe.dissectors._reader import DissectError
from fixtures.gen.iscsi import (
    INITIATOR_IQN,
    TARGET_IQN,
    Session,
    cdb_rw,
    keys,
    login,
    lun,
    pdu,
)


def test_bhs_fields_of_a_scsi_command() -> None:
    raw = pdu(0x01, flags=0xC1, w8=lun(3), itt=0x1234, words=(4096, 7, 9),
              cdb=cdb_rw(0x28, 0x10, 8), immediate=True)
    assert iscsi.pdu_length(memoryview(raw), False, False) == 48
    p = iscsi.decode(memoryview(raw), False, False)
    assert (p.opcode, p.immediate, p.flags, p.itt) == (1, True, 0xC1, 0x1234)
    assert (p.lun, p.w20, p.w24, p.w28) == (3 << 48, 4096, 7, 9)
    assert p.cdb[:10] == cdb_rw(0x28, 0x10, 8) and len(p.cdb) == 16
    assert p.header_digest_ok is None and p.data_digest_ok is None


def test_extended_cdb_ahs_lengthens_the_cdb() -> None:
    extra = bytes(range(16))
    ahs = struct.pack(">HBB", len(extra) + 1, iscsi.AHS_EXTENDED_CDB, 0) + extra
    ahs += bytes(-len(ahs) % 4)
    raw = pdu(0x01, w8=lun(0), itt=1, words=(0, 1, 1), cdb=bytes([0x7F]) + bytes(15), ahs=ahs)
    p = iscsi.decode(memoryview(raw), False, False)
    assert p.ahs_len == len(ahs) and p.cdb == bytes([0x7F]) + bytes(15) + extra


def test_data_is_padded_and_digests_verified() -> None:
    data = b"abcde"  # 5 bytes: 3 of padding
    raw = pdu(0x25, flags=0x81, itt=2, data=data, hdigest=True, ddigest=True)
    assert len(raw) == 48 + 4 + 8 + 4
    assert iscsi.pdu_length(memoryview(raw), True, True) == len(raw)
    p = iscsi.decode(memoryview(raw), True, True)
    assert bytes(p.data) == data and p.header_digest_ok and p.data_digest_ok
    bad = bytearray(raw)
    bad[20] ^= 0xFF  # corrupt the header after its digest was computed
    bad[-1] ^= 0xFF
    p = iscsi.decode(memoryview(bytes(bad)), True, True)
    assert p.header_digest_ok is False and p.data_digest_ok is False and bytes(p.data) == data


@pytest.mark.parametrize("garbage", [b"\x80" + bytes(47), b"\x3e" + bytes(47),
                                     b"\x31\x80\x00\x00\x00\x00\x00\x04" + bytes(40),
                                     b"\x06\x80\x00\x00\x01" + bytes(43), b"short"])
def test_implausible_headers_ask_for_resync(garbage: bytes) -> None:
    assert iscsi.pdu_length(memoryview(garbage), False, False) is None


def test_heuristic_wants_a_login_with_keys() -> None:
    login_pdu = login(Session())[0][1]
    assert iscsi.heuristic(memoryview(login_pdu))
    assert not iscsi.heuristic(memoryview(b"GET / HTTP/1.1\r\n" + bytes(64)))
    assert not iscsi.heuristic(memoryview(login_pdu[:20]))


def test_parse_keys() -> None:
    assert iscsi.parse_keys(keys("A=1", "B=x=y")) == [("A", "1"), ("B", "x=y")]
    with pytest.raises(DissectError):
        iscsi.parse_keys(b"novalue\0")


def test_truncation_sweep_raises_only_dissect_errors() -> None:
    raw = pdu(0x01, w8=lun(0), itt=1, words=(512, 1, 1), cdb=cdb_rw(0x2A, 0, 1),
              data=bytes(512), hdigest=True, ddigest=True)
    for i in range(len(raw)):
        view = memoryview(raw[:i])
        iscsi.pdu_length(view, True, True)
        with pytest.raises(DissectError):
            iscsi.decode(view, True, True)


def _run(conn: iscsi.IscsiConnection, table: iscsi.SessionTable,
         exchanges: list[tuple[int, bytes]]) -> list[iscsi.Pdu]:
    seen = []
    for direction, raw in exchanges:
        view = memoryview(raw)
        assert conn.pdu_length(view, direction) == len(raw)
        p = conn.decode(view, direction)
        if p.opcode in (iscsi.ISCSI_OP_LOGIN_REQ, iscsi.ISCSI_OP_LOGIN_RSP):
            conn.on_login(p, conn.login_or_text(p), table)
        else:
            conn.track(p)
        seen.append(p)
    return seen


def test_login_collects_continued_keys_and_enables_digests() -> None:
    conn, table, s = iscsi.IscsiConnection(), iscsi.SessionTable(), Session()
    _run(conn, table, login(s, digests="CRC32C"))
    session = conn.session
    assert (session.initiator_name, session.target_name) == (INITIATOR_IQN, TARGET_IQN)
    assert session.isid_text == "400001370000" and session.tsih == 0x0101
    assert session.params["MaxBurstLength"] == "65536"  # learnt from the continued PDUs
    assert conn.header_digest and conn.data_digest and not conn.in_login


def test_second_connection_joins_the_session() -> None:
    table = iscsi.SessionTable()
    first, second = iscsi.IscsiConnection(), iscsi.IscsiConnection()
    _run(first, table, login(Session()))
    _run(second, table, login(Session(), tsih=0x0101, split=False))
    assert second.session is first.session and first.session.connections == 2


def test_task_tracking_counts_r2ts_and_data() -> None:
    conn, table, s = iscsi.IscsiConnection(), iscsi.SessionTable(), Session()
    _run(conn, table, login(s))
    exchanges = s.write_exchange(lba=8, blocks=64, immediate=8192, burst=16384, per_pdu=8192)
    task = None
    for direction, raw in exchanges[:-1]:
        task = conn.track(conn.decode(memoryview(raw), direction))
    assert task is not None
    assert (task.r2ts, task.data_out, task.expected_len, task.write) == (2, 32768, 32768, True)
    assert task.opcode_name == "WRITE(10)" and task.lun == 1 << 48


def test_the_pdu_carrying_the_status_ends_its_task() -> None:
    conn, table, s = iscsi.IscsiConnection(), iscsi.SessionTable(), Session()
    _run(conn, table, login(s))
    tasks = conn.session.tasks
    read = s.read_exchange(lba=0, blocks=16, per_pdu=4096)  # Data-In x2, then a Response
    inquiry = s.simple(bytes([0x12, 0, 0, 0, 36, 0]) + bytes(10), bytes(36))  # status in Data-In
    seen = [conn.track(conn.decode(memoryview(raw), d)) for d, raw in read + inquiry]
    assert all(task is not None for task in seen) and not tasks
    assert seen[0] is seen[3] and seen[3].status == 0 and seen[0].data_in == 8192
    assert seen[4] is seen[5] and seen[5].status == 0 and seen[4].read


def test_login_pdus_never_take_digests() -> None:
    login_pdu = login(Session())[0][1]
    view = memoryview(login_pdu + bytes(8))
    assert iscsi.pdu_length(view, True, True) == iscsi.pdu_length(view, False, False) \
        == len(login_pdu)


def test_pdu_views_its_bytes() -> None:
    raw = pdu(0x25, flags=0x81, itt=2, data=b"abcde", hdigest=True, ddigest=True)
    p = iscsi.decode(memoryview(raw), True, True)
    assert bytes(p.bhs) == raw[:48] and not p.ahs and bytes(p.data) == b"abcde"
    assert p.view.obj is raw  # sliced when asked for, never copied


def test_midsession_digests_are_detected() -> None:
    conn = iscsi.IscsiConnection()
    s = Session(hdigest=True, ddigest=True)
    raw = s.read_exchange(lba=0, blocks=1, per_pdu=512)[1][1]
    assert conn.pdu_length(memoryview(raw[:48]), 1) == 48 + 512  # a guess, not pinned
    assert conn.header_digest is None and conn.data_digest is None
    assert conn.pdu_length(memoryview(raw), 1) == len(raw)
    assert conn.header_digest and conn.data_digest
    plain = Session().read_exchange(lba=0, blocks=1, per_pdu=512)[1][1]
    fresh = iscsi.IscsiConnection()
    assert fresh.pdu_length(memoryview(plain + bytes(8)), 1) == len(plain)
    assert fresh.header_digest is None and fresh.data_digest is False


def test_crc32c_check_value_and_both_implementations_agree() -> None:
    import random

    from pcapprobe.dissectors import crc32c as crc

    # RFC 3720 §B.4 test vectors and the standard check value.
    assert crc.crc32c_python(b"123456789") == 0xE3069283
    assert crc.crc32c_python(bytes(32)) == 0x8A9136AA
    assert crc.crc32c_python(b"\xff" * 32) == 0x62A8AB43
    assert crc.crc32c_python(bytes(range(32))) == 0x46DD794E
    rng = random.Random(7)
    samples = [b"", b"a", bytes(range(256)), rng.randbytes(8192 + 3), rng.randbytes(48)]
    for data in samples:
        expected = crc.crc32c_python(data)
        assert crc.crc32c(data) == expected
        assert crc.crc32c(memoryview(data)) == expected
        assert crc.crc32c(bytearray(data)) == expected
        half = len(data) // 2
        assert crc.crc32c(data[half:], crc.crc32c(data[:half])) == expected
        assert crc.crc32c_python(data[half:], crc.crc32c_python(data[:half])) == expected


def test_crc32c_uses_the_c_extension_when_installed() -> None:
    pytest.importorskip("google_crc32c")
    from pcapprobe.dissectors import crc32c as crc

    assert crc.IMPLEMENTATION == "c"
    assert crc.crc32c is not crc.crc32c_python


@pytest.mark.parametrize("ddigest", [True, False])
def test_data_digest_framed_apart_is_proven_by_the_next_pdu(ddigest: bool) -> None:
    """Mid-session, a Data-In whose data digest comes in a later segment is
    framed as if there were none; the next bytes then show it: no PDU starts
    there and one that passes the strict checks starts 4 bytes on."""
    conn = iscsi.IscsiConnection()
    s = Session(hdigest=True, ddigest=ddigest)
    (_, command), (_, data_in), (_, response) = s.read_exchange(lba=0, blocks=1, per_pdu=512)
    assert conn.pdu_length(memoryview(command), 0) == len(command)
    conn.decode(memoryview(command), 0)
    framed = conn.pdu_length(memoryview(data_in[:52]), 1)
    assert framed == 48 + 4 + 512  # the guess: no data digest
    conn.decode(memoryview(data_in[:framed]), 1)
    rest = memoryview(data_in[framed:] + response)
    if ddigest:
        assert conn.pdu_length(rest, 1) == 4 and conn.data_digest
        rest = rest[4:]
    assert conn.pdu_length(rest, 1) == len(response)
    assert conn.data_digest is (True if ddigest else None)
