"""Fibre Channel dissectors: FC-2 header and sequences, ELS/BLS, CT name
server, FCP IUs, FCoE/FIP and FCIP encapsulations, each with a truncation
sweep (every prefix raises only DissectError)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

import pytest

from dissectors import fc, fcct, fcels, fcip, fcoe, fcp
from dissectors._reader import DissectError
from fixtures.gen import fc as gen


def _sweep(decode: Callable[[memoryview], object], data: bytes) -> None:
    """Every cut of ``data`` decodes or raises DissectError, nothing else."""
    for n in range(len(data)):
        try:
            decode(memoryview(data[:n]))
        except DissectError:
            pass


# -- FC-2 ------------------------------------------------------------------

def test_frame_header_fields() -> None:
    raw = gen.fc_frame(0x06, 0x010200, 0x010100, 0x08, gen.REQUEST, 0x1234, 0x5678,
                       b"\x01\x02\x03", seq_id=7, seq_cnt=9, parameter=0xCAFE)
    frame = fc.decode(memoryview(raw))
    assert (frame.r_ctl, frame.d_id, frame.s_id, frame.type) == (0x06, 0x010200, 0x010100, 8)
    assert (frame.seq_id, frame.seq_cnt, frame.ox_id, frame.rx_id) == (7, 9, 0x1234, 0x5678)
    assert frame.parameter == 0xCAFE and frame.end_sequence and not frame.responder
    # one fill byte pads the 3-byte payload to a word (F_CTL bits 1-0)
    assert frame.f_ctl & fc.F_CTL_FILL_BYTES == 1
    assert bytes(frame.payload) == b"\x01\x02\x03" and frame.wire_len == 3


def test_optional_headers_are_skipped() -> None:
    raw = bytearray(gen.fc_frame(0x22, 1, 2, 0x01, gen.REQUEST, 1, payload=bytes(16) + b"ELS!"))
    raw[13] = fc.DF_CTL_NETWORK
    frame = fc.decode(memoryview(bytes(raw)))
    assert bytes(frame.payload) == b"ELS!"


def test_frame_cut_by_the_capture_keeps_its_wire_length() -> None:
    raw = gen.fc_frame(0x01, 1, 2, 0x08, 0, 1, payload=bytes(2048))
    frame = fc.decode(memoryview(raw[:100]), 0, 100, len(raw))
    assert frame.wire_len == 2048 and len(frame.payload) == 76


def test_fc_header_truncation_sweep() -> None:
    _sweep(fc.decode, gen.fc_frame(0x22, 1, 2, 0x01, gen.REQUEST, 1, payload=bytes(8)))


def test_sequence_reassembly_and_loss() -> None:
    frames = [fc.decode(memoryview(gen.fc_frame(0x23, 1, 2, 0x01, 0x800000 | (
        fc.F_CTL_END_SEQUENCE if i == 2 else 0), 1, payload=bytes([i]) * 4, seq_id=3,
        seq_cnt=i))) for i in range(3)]
    whole = fc.SequenceBuffer(frames[0])
    assert all(whole.add(f) for f in frames)
    assert bytes(whole.payload()) == b"\0" * 4 + b"\1" * 4 + b"\2" * 4
    lossy = fc.SequenceBuffer(frames[0])
    assert lossy.add(frames[0]) and not lossy.add(frames[2]) and lossy.broken


# -- ELS, BLS --------------------------------------------------------------

def test_login_names() -> None:
    login = fcels.decode_login(memoryview(gen.login(0x03, gen.I_WWPN, gen.I_WWNN)))
    assert (login.port_name, login.node_name) == (gen.I_WWPN, gen.I_WWNN)
    assert fc.wwn_text(login.port_name) == "10000000c953e162"
    _sweep(fcels.decode_login, gen.login(0x03, gen.I_WWPN, gen.I_WWNN))


def test_logo_adisc_rscn_prli() -> None:
    logo = fcels.decode_logo(memoryview(bytes([5, 0, 0, 0]) + struct.pack(">I", 0x010100)
                                        + gen.I_WWPN))
    assert (logo.port_id, logo.port_name) == (0x010100, gen.I_WWPN)
    adisc_raw = bytes([0x52, 0, 0, 0]) + struct.pack(">I", 0x0000EF) + gen.I_WWPN + gen.I_WWNN \
        + struct.pack(">I", 0x010100)
    adisc = fcels.decode_adisc(memoryview(adisc_raw))
    assert (adisc.hard_address, adisc.port_id) == (0xEF, 0x010100)
    rscn = bytes([0x61, 4, 0, 12]) + struct.pack(">II", 0x010300, 0x00020000)
    assert fcels.decode_rscn(memoryview(rscn)) == [0x010300, 0x020000]
    assert fcels.prli_functions(memoryview(gen.prli(0x02, 0x10))) & fcels.PRLI_TARGET_FUNCTION
    assert not fcels.prli_functions(memoryview(gen.prli(0x20, 0x20))) & \
        fcels.PRLI_TARGET_FUNCTION
    for decode, data in ((fcels.decode_logo, bytes(16)), (fcels.decode_adisc, adisc_raw),
                         (fcels.decode_rscn, rscn), (fcels.prli_functions, gen.prli(0x20, 0x20))):
        _sweep(decode, data)


def test_rscn_with_bad_lengths_is_malformed() -> None:
    with pytest.raises(DissectError):
        fcels.decode_rscn(memoryview(bytes([0x61, 8, 0, 8, 0, 1, 2, 3])))
    with pytest.raises(DissectError):
        fcels.decode_rscn(memoryview(bytes([0x61, 4, 0, 40, 0, 1, 2, 3])))


def test_opcode_names_follow_fc_ls() -> None:
    assert [fcels.opcode_name(op) for op in (1, 2, 3, 4, 5, 0x20, 0x51, 0x52, 0x61, 0x62)] == \
        ["LS_RJT", "ACC", "PLOGI", "FLOGI", "LOGO", "PRLI", "FDISC", "ADISC", "RSCN", "SCR"]


def test_ba_acc() -> None:
    acc = fcels.decode_ba_acc(memoryview(bytes([0x80, 0, 0, 0]) + struct.pack(">HH", 5, 6)))
    assert (acc.ox_id, acc.rx_id) == (5, 6)


# -- CT name server --------------------------------------------------------

def test_name_server_symbolic_names() -> None:
    name = b"COMSTAR"
    iu = fcct.decode(memoryview(gen.ct(0x0218, struct.pack(">I", 0x010200) + bytes([7]) + name)))
    assert iu.name_server and iu.code == fcct.NS_RSPN_ID
    assert fcct.registered_port_name(iu.body) == (0x010200, "COMSTAR")
    iu = fcct.decode(memoryview(gen.ct(0x0239, gen.T_WWNN + bytes([4]) + b"host")))
    assert fcct.registered_node_name(iu.body) == (gen.T_WWNN, "host")
    accept = fcct.decode(memoryview(gen.ct(0x8002, bytes([3]) + b"abc\0")))
    assert accept.code == fcct.CT_ACCEPT and fcct.answered_name(accept.body) == "abc"
    assert fcct.command_name(0x0171) == "GID_FT"
    _sweep(fcct.decode, gen.ct(0x0218, bytes(8)))
    _sweep(fcct.answered_name, bytes([9]) + b"name12345")


# -- FCP -------------------------------------------------------------------

def test_fcp_cmnd() -> None:
    cdb = gen.rw10(0x2A, 64, 12)
    cmd = fcp.decode_command(memoryview(gen.cmnd(cdb, 6144, False, True, lun=0x000A)))
    assert cmd.lun_int >> 48 == 0x0A and cmd.flags == fcp.WRDATA and cmd.dl == 6144
    assert cmd.cdb[:10] == cdb and len(cmd.cdb) == 16
    task = fcp.Task(0x10, cmd)
    assert task.write and not task.read and task.opcode_name == "WRITE(10)"
    _sweep(fcp.decode_command, gen.cmnd(cdb, 6144, False, True))


def test_fcp_cmnd_additional_cdb() -> None:
    raw = bytearray(gen.cmnd(bytes([0x7F]) + bytes(15), 0, False, False))
    raw[11] |= 2 << 2  # two more CDB words
    raw = raw[:28] + bytes(8) + raw[28:]
    assert len(fcp.decode_command(memoryview(bytes(raw))).cdb) == 24


def test_fcp_xfer_rdy_and_rsp() -> None:
    assert fcp.decode_xfer_ready(memoryview(struct.pack(">III", 2048, 4096, 0))) == (2048, 4096)
    rsp = fcp.decode_response(memoryview(gen.rsp(2, 60, gen.SENSE_UA)))
    assert rsp.status == 2 and rsp.residual == 60 and rsp.sense is not None
    assert rsp.sense.key_name == "UNIT ATTENTION"
    no_flags = bytearray(gen.rsp(0))
    no_flags[12:16] = struct.pack(">I", 77)  # FCP_RESID without RESID_UNDER/OVER: not one
    assert fcp.decode_response(memoryview(bytes(no_flags))).residual == 0
    _sweep(fcp.decode_xfer_ready, struct.pack(">III", 1, 2, 3))
    _sweep(fcp.decode_response, gen.rsp(2, 60, gen.SENSE_UA))


# -- FCoE, FIP ---------------------------------------------------------------

def test_fcoe_encapsulation_and_crc() -> None:
    inner = gen.fc_frame(0x22, 0xFFFFFE, 0, 0x01, gen.REQUEST, 1,
                         payload=gen.login(4, gen.T_WWPN, gen.T_WWNN))
    eth = gen.fcoe(inner, vlan=None)
    view = memoryview(eth)
    encap = fcoe.decode(view, 14, len(eth))
    assert (encap.version, encap.sof, encap.eof, encap.crc_ok) == (0, 0x2E, 0x42, True)
    assert bytes(view[encap.start:encap.end]) == inner
    bad = bytearray(eth)
    bad[40] ^= 1
    assert fcoe.decode(memoryview(bytes(bad)), 14, len(bad)).crc_ok is False
    cut = fcoe.decode(memoryview(eth[:80]), 14, len(eth))
    assert cut.crc_ok is None and cut.eof is None and cut.length == len(inner)
    _sweep(lambda v: fcoe.decode(v, 14, len(eth)), eth)


def test_fcoe_pre_t11_header() -> None:
    inner = gen.fc_frame(0x06, 1, 2, 0x08, gen.REQUEST, 1, payload=bytes(32))
    words = (len(inner) + 4) // 4
    head = struct.pack(">H", (words << 4) | 0x0E)  # SOFi3 nibble
    pdu = head + inner + struct.pack("<I", zlib.crc32(inner)) + b"\x42"
    encap = fcoe.decode(memoryview(pdu), 0, len(pdu))
    assert (encap.sof, encap.eof, encap.length, encap.crc_ok) == (0x2E, 0x42, len(inner), True)


def test_fip_descriptors() -> None:
    vx = gen.fip_descriptor(11, gen.ENODE_MAC + b"\x00" + (0x010200).to_bytes(3, "big")
                            + gen.T_WWPN)
    eth = gen.fip(3, 2, gen.fip_descriptor(2, gen.FCF_MAC) + vx)
    pkt = fcoe.decode_fip(memoryview(eth), 14)
    assert pkt.operation == "Clear Virtual Links" and pkt.mac == gen.FCF_MAC
    assert pkt.vx_ports == [fcoe.VxPort(gen.ENODE_MAC, 0x010200, gen.T_WWPN)]
    flogi = gen.fc_frame(0x22, 0xFFFFFE, 0, 0x01, gen.REQUEST, 1,
                         payload=gen.login(4, gen.T_WWPN, gen.T_WWNN))
    ls = fcoe.decode_fip(memoryview(gen.fip(2, 1, gen.fip_descriptor(7, bytes(2) + flogi))), 14)
    assert ls.els_kind == fcoe.DESC_FLOGI and bytes(ls.els) == flogi
    adv = fcoe.decode_fip(memoryview(gen.fip(1, 2, gen.fip_descriptor(12, bytes(2) + struct.pack(
        ">I", 8000)))), 14)
    assert adv.operation == "Advertisement" and adv.fka_adv_period_ms == 8000
    # a capture cut inside the descriptor list: what is whole is kept
    cut = fcoe.decode_fip(memoryview(eth[:14 + 10 + 8 + 4]), 14)
    assert cut.truncated and cut.mac == gen.FCF_MAC and not cut.vx_ports
    _sweep(lambda v: fcoe.decode_fip(v, 14), eth)


# -- FCIP --------------------------------------------------------------------

def test_fcip_framing() -> None:
    inner = gen.fc_frame(0x06, 1, 2, 0x08, gen.REQUEST, 1, payload=bytes(32))
    pdu = gen.fcip_pdu(inner)
    view = memoryview(pdu)
    assert fcip.pdu_length(view) == len(pdu) and fcip.heuristic(view)
    encap = fcip.decode(view)
    assert not encap.special and bytes(view[encap.start:encap.end]) == inner
    assert fcip.pdu_length(memoryview(b"\x02" + pdu[1:])) is None  # Protocol# is 1
    bad = bytearray(pdu)
    bad[15] ^= 1  # Frame Length complement
    assert fcip.pdu_length(memoryview(bytes(bad))) is None
    for n in range(len(pdu)):  # never raises
        fcip.pdu_length(view[:n])
    _sweep(fcip.decode, pdu)
