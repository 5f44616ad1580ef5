"""SCSI CDB, status and sense decoding (SBC-3 §5, SPC-4 §4.5)."""

from __future__ import annotations

import pytest

from pcapprobe.dissectors import scsi
from pcapprobe.dissectors._reader import DissectError


@pytest.mark.parametrize(
    ("cdb", "lba", "blocks"),
    [
        (bytes([0x08, 0x1F, 0xFF, 0xFE, 0x00, 0]), 0x1FFFFE, 256),  # READ(6): 0 means 256
        (bytes([0x0A, 0xE0, 0x00, 0x10, 0x08, 0]), 0x10, 8),  # WRITE(6): top LBA bits ignored
        (bytes([0x28, 0, 0, 0, 1, 0, 0, 0x01, 0x00, 0]), 0x100, 0x100),
        (bytes([0x2A, 0, 0xDE, 0xAD, 0xBE, 0xEF, 0, 0, 0x80, 0]), 0xDEADBEEF, 0x80),
        (bytes([0xA8, 0, 0, 0, 0, 7, 0, 1, 0, 0, 0, 0]), 7, 0x10000),
        (bytes([0x8A, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0]), 1 << 32, 0x20),
    ],
)
def test_block_io_fields(cdb: bytes, lba: int, blocks: int) -> None:
    io = scsi.block_io(cdb)
    assert io is not None and (io.lba, io.blocks) == (lba, blocks)
    assert io.is_read == (cdb[0] in (0x08, 0x28, 0xA8, 0x88))
    assert io.is_write == (cdb[0] in (0x0A, 0x2A, 0xAA, 0x8A))


def test_non_block_commands_have_no_lba() -> None:
    assert scsi.block_io(bytes([0x12, 0, 0, 0, 36, 0])) is None
    assert scsi.block_io(b"") is None


def test_names_and_lengths() -> None:
    assert scsi.opcode_name(0x28) == "READ(10)"
    assert scsi.opcode_name(0xC7) == "0xc7"
    assert scsi.status_name(2) == "CHECK CONDITION"
    assert [scsi.cdb_length(bytes([op]) + bytes(15)) for op in (0x00, 0x28, 0x55, 0x88, 0xA0)] \
        == [6, 10, 10, 16, 12]
    variable = bytes([0x7F, 0, 0, 0, 0, 0, 0, 0x18]) + bytes(24)
    assert scsi.cdb_length(variable) == 32


def test_fixed_and_descriptor_sense() -> None:
    fixed = bytes([0xF0, 0, 0x06, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x29, 0x01, 0, 0, 0, 0])
    sense = scsi.decode_sense(fixed)
    assert (sense.response_code, sense.key, sense.asc, sense.ascq) == (0x70, 6, 0x29, 1)
    assert sense.key_name == "UNIT ATTENTION"
    desc = scsi.decode_sense(bytes([0x72, 0x05, 0x24, 0x00, 0, 0, 0, 0]))
    assert (desc.key, desc.asc, desc.ascq, desc.key_name) == (5, 0x24, 0, "ILLEGAL REQUEST")
    with pytest.raises(DissectError):
        scsi.decode_sense(bytes([0x10, 0, 0]))


def test_truncation_sweep() -> None:
    cdb = bytes([0x88]) + bytes(15)
    sense = bytes([0x70, 0, 0x03]) + bytes(15)
    for i in range(len(cdb)):
        try:
            scsi.block_io(cdb[:i])
        except DissectError:
            pass
    for i in range(len(sense)):
        try:
            scsi.decode_sense(sense[:i])
        except DissectError:
            pass


def test_lun_number_is_the_first_level_of_the_lun_field() -> None:
    assert scsi.lun_number(0x0001_0000_0000_0000) == 1  # peripheral addressing
    assert scsi.lun_number(0x4123_0000_0000_0000) == 0x123  # flat addressing
    assert scsi.lun_number(0) == 0
