"""srp provider over the RDMA layer: IU and CM decoding, the generated SRP
fixtures checked against tshark (IB/RoCE/CM layers) and against the generator's
own record, every probe's members, and captures that must fire nothing."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from pcapprobe.dissectors import ibcm, srp
from pcapprobe.dissectors._reader import DissectError
from fixtures.gen import srp as gen
from pcapprobe.api import decode_captures
from pcapprobe.env import Environment
from tests.conftest import FIXTURES, require_tshark, shared_captures
from tests.nfs_sink import CollectingSink
from tests.tshark import fields

LINKS = ["rocev2", "rocev1", "ib", "ib-erf"]
TSHARK_LINKS = ["rocev2", "rocev1", "ib-erf"]  # tshark reads no LINKTYPE_INFINIBAND


def firings(capture: Path) -> list:
    sink = CollectingSink("srp")
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.BytesIO(),
                      show_progress=False)
    decode_captures([str(capture)], sink, env, local=("all",))
    return sink.firings


# -- dissectors ------------------------------------------------------------------

def test_login_ius() -> None:
    req = srp.decode_login(memoryview(gen.login_req(0x52, 8260)))
    assert (req.type, req.tag, req.max_it_iu_len) == (srp.SRP_LOGIN_REQ, 0x52, 8260)
    assert (req.initiator_port_id, req.target_port_id) == (gen.INITIATOR_PORT_ID,
                                                           gen.TARGET_PORT_ID)
    rsp = srp.decode_login(memoryview(gen.login_rsp(7, delta=32, max_it=100, max_ti=200)))
    assert (rsp.tag, rsp.word4, rsp.max_it_iu_len, rsp.max_ti_iu_len) == (7, 32, 100, 200)
    rej = srp.decode_login(memoryview(gen.login_rej(9, 0x00010006)))
    assert (rej.type, rej.tag, rej.word4) == (srp.SRP_LOGIN_REJ, 9, 0x00010006)


def test_command_with_direct_and_indirect_descriptors() -> None:
    cmd = srp.decode(memoryview(gen.srp_cmd(5, 3, gen.cdb10(0x28, 1, 8),
                                            data_in=[(0x1000, 0x77, 4096)])))
    assert isinstance(cmd, srp.Command)
    assert (cmd.tag, cmd.lun >> 48, cmd.cdb[0], cmd.data_out) == (5, 3, 0x28, [])
    assert cmd.data_in == [srp.Descriptor(0x1000, 0x77, 4096)]
    bufs = [(0x2000, 0x1, 512), (0x3000, 0x2, 1024)]
    cmd = srp.decode(memoryview(gen.srp_cmd(6, 0, gen.cdb10(0x2A, 0, 3), data_out=bufs)))
    assert [(d.va, d.key, d.length) for d in cmd.data_out] == bufs and not cmd.data_in


def test_response_task_management_and_logout() -> None:
    rsp = srp.decode(memoryview(gen.srp_rsp(9, status=2, flags=0x20, di_resid=512,
                                            delta=4, sense=gen.SENSE_MEDIUM)))
    assert (rsp.tag, rsp.status, rsp.flags & 0x20, rsp.data_in_residual,
            rsp.req_limit_delta) == (9, 2, 0x20, 512, 4)
    tm = srp.decode(memoryview(gen.srp_tsk_mgmt(10, 2, 0x01, 9)))
    assert (tm.tag, tm.lun >> 48, tm.function, tm.task_tag) == (10, 2, 1, 9)
    out = srp.decode(memoryview(gen.srp_i_logout(11)))
    assert (out.type, out.tag) == (srp.SRP_I_LOGOUT, 11)


@pytest.mark.parametrize("unit", [gen.login_req(1), gen.srp_cmd(1, 0, b"\x28" * 10),
                                  gen.srp_rsp(1), gen.srp_tsk_mgmt(1, 0, 1, 2)])
def test_truncation_raises_only_dissect_errors(unit: bytes) -> None:
    decode = srp.decode_login if unit[0] in (0x00, 0xC0, 0xC2) else srp.decode
    for cut in range(len(unit)):
        try:
            decode(memoryview(unit[:cut]))
        except DissectError:
            pass


def test_cm_messages_round_trip() -> None:
    req = gen.mad(0x0010, 1, gen.cm_req(0x11, 0x123, 0x456, bytes(range(16)),
                                         bytes(range(16, 32)), gen.login_req(3)))
    msg = ibcm.decode(memoryview(req))
    assert (msg.name, msg.local_comm_id, msg.service_id, msg.local_qpn, msg.starting_psn,
            msg.mtu) == ("REQ", 0x11, gen.SERVICE_ID, 0x123, 0x456, 1024)
    assert (msg.local_gid, msg.remote_gid) == (bytes(range(16)), bytes(range(16, 32)))
    assert msg.private_data[:64] == gen.login_req(3)
    rep = ibcm.decode(memoryview(gen.mad(0x0013, 2, gen.cm_rep(0x22, 0x11, 0x789, 0xABC, b"x"))))
    assert (rep.remote_comm_id, rep.local_qpn, rep.starting_psn) == (0x11, 0x789, 0xABC)
    for cut in range(len(req)):
        try:
            ibcm.decode(memoryview(req[:cut]))
        except DissectError:
            pass


def test_a_real_cm_request_agrees_with_tshark() -> None:
    """The IPoIB-CM REQ/REP of the real ERF capture: fields as tshark decodes them,
    and no srp probe (its private data is no SRP login)."""
    capture = next((p for p in shared_captures("infiniband") if "erf" in p.name), None)
    if capture is None:
        pytest.skip("../shared/captures is absent: the real CM exchange is there")
    require_tshark()
    rows = fields(capture, ["infiniband.cm.req.localqpn", "infiniband.cm.req.startpsn",
                            "infiniband.cm.req.serviceid", "infiniband.cm.rep.localqpn"],
                  "infiniband.cm.req.localqpn || infiniband.cm.rep.localqpn")
    from scapy.utils import RawPcapReader

    from pcapprobe.dissectors import erf, infiniband
    msgs = []
    with RawPcapReader(str(capture)) as reader:
        for data, _ in reader:
            view = memoryview(data)
            _, off = erf.decode(view)
            pkt = infiniband.decode(view, off)
            if pkt.transport is not None and pkt.transport.bth.dest_qp == 1 and \
                    ibcm.is_cm(view, pkt.payload):
                msgs.append(ibcm.decode(view, pkt.payload))
    req = next(m for m in msgs if m.name == "REQ")
    rep = next(m for m in msgs if m.name == "REP")
    assert int(rows[0][0], 16) == req.local_qpn and int(rows[0][2], 16) == req.service_id
    assert int(rows[0][1], 16) == req.starting_psn
    assert int(rows[1][3], 16) == rep.local_qpn
    assert firings(capture) == []


# -- the generated captures ---------------------------------------------------------

@pytest.mark.parametrize("link", TSHARK_LINKS)
def test_generated_packets_agree_with_tshark(link: str) -> None:
    """Every packet's BTH, RETH and CM fields, as tshark reads them, are what
    the generator built."""
    require_tshark()
    packets, _ = gen.session(gids=gen.IB_GIDS if link.startswith("ib") else gen.ROCE_GIDS)
    rows = fields(FIXTURES / f"srp-{link}.pcap",
                  ["infiniband.bth.opcode", "infiniband.bth.destqp", "infiniband.bth.psn",
                   "infiniband.reth.va", "infiniband.reth.r_key", "infiniband.reth.dmalen",
                   "infiniband.cm.req.localqpn", "infiniband.cm.rep.localqpn"])
    assert len(rows) == len(packets)
    for row, pkt in zip(rows, packets):
        opcode, qp, psn, va, rkey, dmalen, req_qpn, rep_qpn = row
        assert (int(opcode), int(qp, 16), int(psn)) == (pkt.opcode, pkt.dest_qp, pkt.psn)
        if va:
            assert struct.pack(">QII", int(va, 16), int(rkey, 16), int(dmalen)) == pkt.ext
        if req_qpn:
            assert int(req_qpn, 16) == struct.unpack_from(">I", pkt.payload, 24 + 32)[0] >> 8
        if rep_qpn:
            assert int(rep_qpn, 16) == struct.unpack_from(">I", pkt.payload, 24 + 12)[0] >> 8


@pytest.mark.parametrize("link", LINKS)
def test_events_agree_with_what_the_generator_sent(link: str) -> None:
    _, sent = gen.session()
    fired = firings(FIXTURES / f"srp-{link}.pcap")
    commands = [(f.args[2].ti_task_tag, f.args[2].ti_lun >> 48, f.args[2].ti_function)
                for f in fired if f.name == "task-command"]
    expected = [(c["tag"], c["lun"], 1 if c["opcode"] == -1 else 0) for c in sent.commands]
    assert commands == expected
    cdbs = [f.args[2].ic_cdb[0] for f in fired if f.name == "scsi-command"]
    assert cdbs == [c["opcode"] for c in sent.commands if c["opcode"] != -1]
    starts = [(f.args[3].ti_task_tag, f.args[2].xfer_type == 0, f.args[2].xfer_raddr,
               f.args[2].xfer_rkey, f.args[2].xfer_len) for f in fired if f.name == "xfer-start"]
    assert starts == [(r["tag"], r["read"], r["va"], r["rkey"], r["length"]) for r in sent.rdma]
    dones = [(f.args[3].ti_task_tag, f.args[2].xfer_len) for f in fired if f.name == "xfer-done"]
    assert dones == [(r["tag"], r["length"]) for r in sent.rdma]
    logins = [f.args[2].li_task_tag for f in fired if f.name == "login-command"]
    assert logins == [login["tag"] for login in sent.logins]


def test_members_of_the_responses() -> None:
    fired = firings(FIXTURES / "srp-rocev2.pcap")
    rsp = {f.args[2].ti_task_tag: f.args[2] for f in fired if f.name == "scsi-response"}
    assert (rsp[3].ti_flag, rsp[3].ti_di_resid_cnt, rsp[3].ti_status) == (0x20, 512, 0)
    assert (rsp[5].ti_status, rsp[5].ti_lun >> 48, rsp[5].ti_req_limit_delta) == (2, 1, 1)
    task = [f.args[2] for f in fired if f.name == "task-response"]
    assert [t.ti_task_tag for t in task if t.ti_function == 1] == [6]
    login = [f.args[2] for f in fired if f.name == "login-response"]
    assert [(li.li_request_limit, li.reason_code) for li in login] == [
        (0x00010006, 0x00010006), (32, 32), (32, 32)]  # srp.d reads bytes 4-7 for both
    conn = next(f.args[0] for f in fired if f.name == "scsi-command")
    assert (conn.ci_local, conn.ci_remote) == ("0000000000000000:0000ffffc0a8320a",
                                               "0000000000000000:0000ffffc0a83214")
    names = [f.name for f in fired]
    assert names.count("logout-command") == 1 and names.count("service-up") == 1
    assert names[-1] == "service-down"


def test_loss_and_retransmission_invent_nothing() -> None:
    """The lossy capture: a lost SRP_CMD fires no command and no transfer, a
    retransmitted one fires once; its response (which the target did send) fires."""
    fired = firings(FIXTURES / "srp-rocev2-lossy.pcap")
    tags = [f.args[3].ti_task_tag for f in fired if f.name == "scsi-command"]
    assert tags == [1, 2, 3, 4, 5, 8]
    assert 7 not in [f.args[3].ti_task_tag for f in fired if f.name.startswith("xfer")]


@pytest.mark.skipif(shutil.which("editcap") is None, reason="editcap is not installed")
@pytest.mark.parametrize("snaplen", [60, 80, 120])
def test_truncated_frames_invent_nothing(tmp_path: Path, snaplen: int) -> None:
    whole = {(f.name, f.args[-1].__class__.__name__)
             for f in firings(FIXTURES / "srp-rocev2.pcap")}
    cut = tmp_path / "cut.pcap"
    subprocess.run(["editcap", "-s", str(snaplen), str(FIXTURES / "srp-rocev2.pcap"), str(cut)],
                   check=True, capture_output=True)
    for f in firings(cut):
        assert (f.name, f.args[-1].__class__.__name__) in whole


@pytest.mark.parametrize("capture", shared_captures("infiniband"), ids=lambda p: p.name)
def test_real_rdma_captures_fire_no_srp(capture: Path) -> None:
    assert firings(capture) == []


def test_the_generator_icrc_is_that_of_real_rocev2_packets() -> None:
    """The ICRC the generator writes (tshark does not check it) reproduces the
    ICRC of every RoCEv2 packet of the real capture."""
    capture = next((p for p in shared_captures("infiniband") if "rocev2" in p.name), None)
    if capture is None:
        pytest.skip("../shared/captures is absent: the real RoCEv2 packets are there")
    from scapy.utils import RawPcapReader
    checked = 0
    with RawPcapReader(str(capture)) as reader:
        for data, _ in reader:
            if data[12:14] != b"\x08\x00" or data[23] != 17 or data[36:38] != b"\x12\xb7":
                continue  # not IPv4 UDP to 4791
            total = struct.unpack_from(">H", data, 16)[0]
            body = data[42 : 14 + total]
            assert gen.roce_v2_icrc(data[14:34], data[34:42], body[:-4]) == body[-4:]
            checked += 1
    assert checked > 100


def test_generator_is_deterministic() -> None:
    for link in LINKS:
        assert gen.capture(link) == (FIXTURES / f"srp-{link}.pcap").read_bytes()
    assert gen.capture("rocev2", lossy=True) == (FIXTURES / "srp-rocev2-lossy.pcap").read_bytes()


def test_loss_and_retransmission_are_counted() -> None:
    import pcapprobe
    result = pcapprobe.run(str(FIXTURES / "srp-rocev2-lossy.pcap"),
                           program="srp:::scsi-command {}", quiet=True)
    rdma = result.stats["layers"]["rdma"]
    assert rdma["RC PSN gaps (packets lost)"] == 1
    assert rdma["RC packets retransmitted"] == 1


def test_packets_the_rdma_layer_takes_are_not_counted_skipped() -> None:
    import pcapprobe
    link = pcapprobe.run(str(FIXTURES / "srp-ib.pcap"), program="srp:::scsi-command {}",
                         quiet=True).stats["layers"]["link"]
    assert not [k for k in link if k.startswith("skipped")]
    link = pcapprobe.run(str(FIXTURES / "srp-ib.pcap"), program="ip:::send {}",
                         quiet=True).stats["layers"]["link"]
    assert link["skipped: InfiniBand RC SEND_ONLY"] == 15  # no RDMA layer without srp/iscsi probes
