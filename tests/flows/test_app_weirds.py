"""Weirds raised by stream and datagram applications name the file and packet
(the frame whose segment completed the PDU / the datagram), and per-run
application state is freed with the run."""

from __future__ import annotations

import gc
import io

import pcapprobe
from fixtures.gen import pcap_bytes
from fixtures.gen.nfs import TCP_ACK, TCP_PSH, Wire, record, rpc_call, u32
from pcapprobe.probes.translators.iscsi import IscsiProvider
from pcapprobe.probes.translators.oncrpc import RpcService
from tests.conftest import FIXTURES

CLIENT = ("10.1.0.1", 901)
SERVER = ("10.1.0.2", 2049)


def _bad_version_call(xid: int) -> bytes:
    call = bytearray(rpc_call(xid, 100003, 3, 0))
    call[8:12] = u32(3)  # rpcvers 3: rpc.bad_version
    return bytes(call)


def _errors(path, program: str) -> str:
    return pcapprobe.run(path, program=program, local="all").errors


def test_iscsi_digest_weird_names_file_and_packet():
    errors = _errors(FIXTURES / "iscsi-digests.pcap", "iscsi:::data-send {}")
    assert (f"pcapprobe: {FIXTURES / 'iscsi-digests.pcap'}: packet 68: "
            "iSCSI SCSI Data-In: data digest mismatch\n"
            in errors)


def test_rpc_tcp_weird_names_the_packet_completing_the_record(tmp_path):
    wire = Wire()
    conn = wire.connect(CLIENT, SERVER)  # packets 1-3
    data = record(_bad_version_call(7))
    conn.segment(0, TCP_PSH | TCP_ACK, data[:10])  # packet 4
    conn.segment(0, TCP_PSH | TCP_ACK, data[10:])  # packet 5 completes the record
    path = tmp_path / "rpc-bad.pcap"
    path.write_bytes(wire.pcap())
    errors = _errors(path, "nfsv3:::op-null-start {}")
    assert f"pcapprobe: {path}: packet 5: ONC RPC: RPC version 3\n" in errors


def test_rpc_udp_weird_names_the_datagram(tmp_path):
    wire = Wire()
    wire.udp(CLIENT, SERVER, rpc_call(1, 100003, 3, 0))
    wire.udp(CLIENT, SERVER, _bad_version_call(2))
    path = tmp_path / "rpc-udp-bad.pcap"
    path.write_bytes(wire.pcap())
    errors = _errors(path, "nfsv3:::op-null-start {}")
    assert f"pcapprobe: {path}: packet 2: ONC RPC: RPC version 3\n" in errors


def _alive(cls: type) -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is cls)


def test_run_state_is_freed_with_the_run():
    for _ in range(3):
        pcapprobe.run(FIXTURES / "nfsv3-tcp.pcap", program="nfsv3:::op-read-start {}",
                      local="all")
        pcapprobe.run(FIXTURES / "iscsi-session.pcap", program="iscsi:::data-send {}",
                      local="all")
    assert _alive(RpcService) == 0
    assert _alive(IscsiProvider) == 0
