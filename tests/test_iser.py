"""iSER (RFC 7145): the iscsi provider over an RDMA connection, on the generated
RoCEv2 fixture: the IB layers as tshark reads them, the RDMA transfers against
the generator's record, and the iscsi probes with ii_transport "iser"."""

from __future__ import annotations

import io
import struct

from fixtures.gen import iser as gen
from pcapprobe.api import decode_captures
from pcapprobe.env import Environment
from pcapprobe.probes.translators import iser
from dissectors import ibcm
from tests.conftest import FIXTURES, require_tshark
from tests.nfs_sink import CollectingSink
from tests.tshark import fields

CAPTURE = FIXTURES / "iser-rocev2.pcap"


def firings() -> list:
    sink = CollectingSink("iscsi")
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.BytesIO(),
                      show_progress=False)
    decode_captures([str(CAPTURE)], sink, env, local=("all",))
    return sink.firings


def test_the_fixture_is_current() -> None:
    assert gen.capture() == CAPTURE.read_bytes()


def test_packets_agree_with_tshark() -> None:
    require_tshark()
    packets, _ = gen.session()
    rows = fields(CAPTURE, ["infiniband.bth.opcode", "infiniband.bth.destqp", "infiniband.bth.psn",
                           "infiniband.reth.va", "infiniband.reth.r_key", "infiniband.reth.dmalen",
                           "infiniband.cm.req.serviceid"])
    assert len(rows) == len(packets)
    for (opcode, qp, psn, va, rkey, dmalen, service), pkt in zip(rows, packets):
        assert (int(opcode), int(qp, 16), int(psn)) == (pkt.opcode, pkt.dest_qp, pkt.psn)
        if va:
            assert struct.pack(">QII", int(va, 16), int(rkey, 16), int(dmalen)) == pkt.ext
        if service:
            assert int(service, 16) == gen.SERVICE_ID


def test_rdma_transfers_match_what_the_target_did() -> None:
    _, rdma = gen.session()
    fired = firings()
    starts = [(f.args[2].xfer_raddr, f.args[2].xfer_rkey, f.args[2].xfer_len,
               f.args[2].xfer_type) for f in fired if f.name == "xfer-start"]
    assert starts == [(r["va"], r["rkey"], r["length"], 1 if r["read"] else 0) for r in rdma]
    assert [f.args[2].xfer_len for f in fired if f.name == "xfer-done"] == [
        r["length"] for r in rdma]


def test_iscsi_probes_over_iser() -> None:
    fired = firings()
    names = [f.name for f in fired]
    assert not {"data-send", "data-receive", "data-request"} & set(names)
    assert names.count("scsi-command") == names.count("scsi-response") == 3
    assert {f.args[1].ii_transport for f in fired} == {"iser"}
    conn = fired[0].args[0]
    assert (conn.ci_local, conn.ci_remote, conn.ci_protocol) == ("192.168.50.20",
                                                                 "192.168.50.10", "ipv4")
    assert {f.args[1].ii_target for f in fired if f.name == "scsi-command"} == {
        "iqn.2024-01.org.pcapprobe:disk1"}


def test_only_rdma_cm_to_the_iscsi_port_is_iser() -> None:
    def req(service_id: int, private: bytes = bytes(40)) -> ibcm.CmMessage:
        return ibcm.CmMessage(ibcm.CM_REQ, 1, 0, service_id=service_id, private_data=private)
    assert iser.iser_service(req(0x0000000001060CBC))
    assert not iser.iser_service(req(0x0000000001060CBD))  # another port
    assert not iser.iser_service(req(0x0002C90300D4E5F6))  # an SRP target's ID_EXT
    assert not iser.iser_service(req(0x0000000001060CBC, bytes(8)))  # no IP CM header
