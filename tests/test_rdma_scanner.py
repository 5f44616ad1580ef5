"""The record scanner's RDMA path (cext/scan.c hands RoCE and InfiniBand
records to cext/rdma.c) changes speed, never results: the srp and iscsi
programs on every SRP/iSER fixture, the shared InfiniBand captures and a
hostile capture (multi-packet SENDs, duplicated, lost, reordered, truncated
and undefined packets, VLAN tags), with and without the scanner: identical
output, errors and --stats, and on the generated captures the scanner must
really have taken records."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

import pcapprobe
from fixtures.gen import pcap_bytes, pcapng_bytes
from fixtures.gen import srp as gen
from pcapprobe.pipeline import Pipeline
from tests.conftest import FIXTURES, shared_captures

SCRIPTS = Path(__file__).resolve().parent.parent / "pcapprobe" / "scripts"
EVERY_SRP = ("srp:::xfer-start, srp:::xfer-done { "
             "printf(\"%d %s %s %x %x %d %d %x\\n\", timestamp, probename, args[0]->ci_remote, "
             "args[2]->xfer_raddr, args[2]->xfer_rkey, "
             "args[2]->xfer_len, args[2]->xfer_type, args[3]->ti_task_tag); } "
             "srp:::scsi-command, srp:::scsi-response, "
             "srp:::login-*, srp:::logout-command, srp:::task-*, srp:::service-* "
             "{ printf(\"%d %s %s\\n\", timestamp, probename, args[0]->ci_remote); }")
PROGRAMS = {
    "srpwho": (SCRIPTS / "srpwho.d").read_text(),
    "srpsnoop": (SCRIPTS / "srpsnoop.d").read_text(),
    "every-srp": EVERY_SRP,
    "iscsiwho": (SCRIPTS / "iscsiwho.d").read_text(),
    "every-iser": "iscsi:::xfer-start, iscsi:::xfer-done { printf(\"%d %s %x %x %d %d\\n\", "
                  "timestamp, probename, args[2]->xfer_raddr, args[2]->xfer_rkey, "
                  "args[2]->xfer_len, args[2]->xfer_type); } iscsi:::*-command, "
                  "iscsi:::*-response { printf(\"%d %s %s\\n\", timestamp, probename, "
                  "args[1]->ii_transport); }",
}
CAPTURES = (sorted(FIXTURES.glob("srp-*.pcap")) + sorted(FIXTURES.glob("iser-*.pcap"))
            + shared_captures("infiniband"))
LINKS = {"rocev2": gen.roce_v2_frame, "rocev1": gen.roce_v1_frame, "ib": gen.ib_frame}


def _vlan(frame: bytes) -> bytes:
    return frame[:12] + struct.pack(">HH", 0x8100, 100) + frame[12:]


def _hostile(path: Path, link: str, pcapng: bool = False) -> Path:
    """Two channels of reads and writes (SRP_CMDs of two SENDs among them),
    then damage: a duplicated RDMA WRITE packet, a lost SEND, two packets
    swapped, frames cut short, an undefined opcode; every other RoCE frame
    VLAN-tagged."""
    sent = gen.Sent()
    gids = gen.IB_GIDS if link == "ib" else gen.ROCE_GIDS
    channels = [gen.Conversation(sent, 0x0B000000 + 16 * i, 0x400 + i, 0x800 + i,
                                 0xFFFFF0 + i, 0x20000 * i, gids) for i in range(2)]
    for i, ch in enumerate(channels):
        ch.login(0x100 + i)
    for step in range(24):
        ch = channels[step % 2]
        size = (1024, 4096, 9000)[step % 3]
        bufs = [(0x7F00_0000_0000 + (step << 20) + 0x10000 * j, 0x100 + step, size)
                for j in range(1 if step % 4 else 70)]  # 70 descriptors: a two-packet IU
        cdb = gen.cdb10(0x2A if step % 3 == 2 else 0x28, step * 64, size // 512)
        if step % 3 == 2:
            ch.command(0x1000 + step, 1, cdb, write_bufs=bufs)
        else:
            ch.command(0x1000 + step, 1, cdb, read_bufs=bufs)
    packets = [p for ch in channels for p in ch.packets]
    frame_of = LINKS[link]
    frames = [frame_of(p) for p in packets]
    writes = [i for i, p in enumerate(packets) if p.opcode == gen.WRITE_MIDDLE]
    frames.insert(writes[3] + 1, frames[writes[3]])  # retransmitted
    sends = [i for i, p in enumerate(packets) if p.opcode == gen.SEND_FIRST]
    del frames[sends[1]]  # lost: its LAST must not make a message
    frames[writes[10]], frames[writes[10] + 1] = frames[writes[10] + 1], frames[writes[10]]
    for i in writes[20:24]:
        frames[i] = frames[i][: 60 + 10 * (i % 4)]
    undefined = writes[30]
    at = 14 + 20 + 8 if link == "rocev2" else 14 + 40 if link == "rocev1" else 8
    frames[undefined] = frames[undefined][:at] + b"\x15" + frames[undefined][at + 1:]
    if link != "ib":
        frames = [_vlan(f) if i % 2 else f for i, f in enumerate(frames)]
    linktype = 247 if link == "ib" else 1
    times = [gen.T0 + i * gen.STEP_NS for i in range(len(frames))]
    if pcapng:
        path.write_bytes(pcapng_bytes([(linktype, "ib0", 9)],
                                      [("epb", 0, ts, f) for ts, f in zip(times, frames)]))
    else:
        path.write_bytes(pcap_bytes(list(zip(times, frames)), linktype=linktype, nanos=True))
    return path


def _run(capture: Path, program: str, monkeypatch: pytest.MonkeyPatch, scanner: bool,
         consumed: list[int], **options: str) -> pcapprobe.RunResult:
    finish = Pipeline.finish

    def counting_finish(self: Pipeline) -> None:
        if self.layers.scanner is not None:
            consumed.append(self.layers.scanner.frames)
        finish(self)

    with monkeypatch.context() as m:
        m.setattr(Pipeline, "finish", counting_finish)
        if not scanner:
            m.setattr(Pipeline, "scanner", property(lambda self: None))
        return pcapprobe.run(str(capture), program=program, **options)


def _same(path: Path, program: str, monkeypatch: pytest.MonkeyPatch, **options: str) -> int:
    consumed: list[int] = []
    fast = _run(path, program, monkeypatch, True, consumed, **options)
    slow = _run(path, program, monkeypatch, False, [], **options)
    assert fast.status == 0, fast.errors
    assert (fast.output, fast.errors, fast.status, fast.stats) == \
        (slow.output, slow.errors, slow.status, slow.stats)
    return consumed[0] if consumed else 0


@pytest.mark.parametrize("program", sorted(PROGRAMS))
@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_rdma_scanner_changes_nothing(capture: Path, program: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _same(capture, PROGRAMS[program], monkeypatch)


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
@pytest.mark.parametrize("program", ["srpsnoop", "every-srp"])
@pytest.mark.parametrize("link", sorted(LINKS))
def test_rdma_scanner_on_a_hostile_capture(link: str, program: str, fmt: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = _hostile(tmp_path / f"{link}.{fmt}", link, fmt == "pcapng")
    assert _same(path, PROGRAMS[program], monkeypatch) > 500
    stats = pcapprobe.run(str(path), program=PROGRAMS[program]).stats["layers"]["rdma"]
    assert stats["RC packets retransmitted"] >= 2  # the copy, and the swapped packet's pair
    assert stats["RC PSN gaps (packets lost)"] >= 2
    assert stats["RC SEND packets after a gap (dropped)"] == 1


@pytest.mark.parametrize("link", sorted(LINKS))
def test_record_selection_comes_first(link: str, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """-f (compiled for Ethernet: InfiniBand records go to the Python layers)
    and --from/--to select the same records on both paths."""
    path = _hostile(tmp_path / f"{link}.pcap", link)
    _same(path, PROGRAMS["every-srp"], monkeypatch, filter="greater 300")
    _same(path, PROGRAMS["every-srp"], monkeypatch, time_from="+2ms", time_to="+30ms")


def test_the_scanner_leaves_roce_to_udp_probes(monkeypatch: pytest.MonkeyPatch) -> None:
    """With udp probes listening, RoCEv2 datagrams go through the UDP layer."""
    program = ("udp:::receive { @[probename] = count(); } "
               "srp:::scsi-command { @[probename] = count(); }")
    consumed: list[int] = []
    result = _run(FIXTURES / "srp-rocev2.pcap", program, monkeypatch, True, consumed)
    assert consumed == [0]
    assert "scsi-command" in result.output
