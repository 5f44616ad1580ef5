"""iscsi provider firings from PDU streams, through the TCP framer (target perspective)."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Hashable

from fixtures.gen.iscsi import INITIATOR, INITIATOR_IQN, TARGET, TARGET_IQN, Session, login
from pcapprobe.flows.framing import feed_stream
from pcapprobe.pipeline import RunContext
from pcapprobe.probes.catalog import Probe
from pcapprobe.probes.translators.iscsi import IscsiProvider
from pcapprobe.report import Report


class Collect:
    """A ProbeSink that records (probe name, args, thread) of every iscsi firing."""

    def __init__(self, only: set[str] | None = None) -> None:
        self.only = only
        self.firings: list[tuple[str, tuple, Hashable]] = []

    def handler(self, probe: Probe):  # type: ignore[no-untyped-def]
        if probe.provider != "iscsi" or (self.only is not None and probe.name not in self.only):
            return None

        def fire(ts_ns: int, args: tuple, thread: Hashable) -> None:
            self.firings.append((probe.name, args, thread))

        return fire


def _run(exchanges: list[tuple[int, bytes]], only: set[str] | None = None,
         chunk: int = 0) -> tuple[Collect, Report]:
    sink = Collect(only)
    report = Report(stderr=io.StringIO())
    provider = IscsiProvider(RunContext(sink, report))
    app = provider.app(INITIATOR, TARGET, False)
    stream: list[tuple[int, bytes | int]] = []
    for direction, raw in exchanges:
        step = chunk or len(raw)
        stream += [(direction, raw[i : i + step]) for i in range(0, len(raw), step)]
    feed_stream(app, stream)
    return sink, report


def _session_exchanges() -> list[tuple[int, bytes]]:
    s = Session()
    out = login(s)
    out += s.read_exchange(lba=0, blocks=48, per_pdu=8192)
    out += s.write_exchange(lba=8, blocks=64, immediate=8192, burst=16384, per_pdu=8192)
    return out + s.nop_ping() + s.abort_task(5) + s.logout()


def test_one_probe_per_pdu_from_the_target_side() -> None:
    sink, report = _run(_session_exchanges(), chunk=100)  # PDUs split across segments
    counts = Counter(name for name, _, _ in sink.firings if not name.startswith("xfer"))
    assert counts == {"login-command": 3, "login-response": 3, "scsi-command": 2,
                      "data-send": 3, "scsi-response": 2, "data-request": 2,
                      "data-receive": 3, "nop-receive": 1, "nop-send": 1, "task-command": 1,
                      "task-response": 1, "logout-command": 1, "logout-response": 1}
    assert not report.weirds
    conn = sink.firings[0][1][0]
    assert (conn.ci_local, conn.ci_remote, conn.ci_protocol) == (TARGET, INITIATOR, "ipv4")


def test_iscsiinfo_members_follow_iscsit_d() -> None:
    sink, _ = _run(_session_exchanges())
    by_name: dict[str, list] = {}
    for name, args, _ in sink.firings:
        by_name.setdefault(name, []).append(args)
    cmd_conn, cmd, cdb = by_name["scsi-command"][0]
    assert (cmd.ii_initiator, cmd.ii_target) == (INITIATOR_IQN, TARGET_IQN)
    assert (cmd.ii_isid, cmd.ii_tsih, cmd.ii_transport) == ("400001370000", "0x0101", "sockets")
    assert (cmd.ii_lun, cmd.ii_ttt, cmd.ii_cmdsn, cmd.ii_datasn) == (1 << 48, 0xFFFFFFFF, 1, 0)
    assert cdb.ic_len == 16 and cdb.ic_cdb[0] == 0x28
    first_in = by_name["data-send"][0][1]
    assert (first_in.ii_datalen, first_in.ii_datasn, first_in.ii_statsn) == (8192, 0, 0)  # StatSN only with S
    rsp = by_name["scsi-response"][0][1]
    assert (rsp.ii_lun, rsp.ii_cmdsn, rsp.ii_statsn) == (0, 2, 0x101)
    r2t = by_name["data-request"][1][1]
    assert (r2t.ii_datasn, r2t.ii_datalen, r2t.ii_ttt) == (1, 0, 0x1000 + 0x12 + 1)
    assert sum(a[1].ii_datalen for a in by_name["data-receive"]) == 24576


def test_xfer_bursts() -> None:
    sink, _ = _run(_session_exchanges(), only={"xfer-start", "xfer-done"})
    starts = [(a[2].xfer_type, a[2].xfer_loffset, a[2].xfer_len) for n, a, _ in sink.firings
              if n == "xfer-start"]
    dones = [(a[2].xfer_type, a[2].xfer_loffset, a[2].xfer_len) for n, a, _ in sink.firings
             if n == "xfer-done"]
    # read of 24 KiB in one sequence; write: 8 KiB immediate then two 16 KiB R2T bursts
    assert starts == [(0, 0, 24576), (1, 0, 8192), (1, 8192, 16384), (1, 24576, 8192)]
    assert dones == starts
    info = sink.firings[0][1][1]
    assert (info.ii_itt, info.ii_datalen, info.ii_initiator) == (0, 0, INITIATOR_IQN)


def test_digest_mismatch_is_reported_and_still_fired() -> None:
    s = Session()
    out = login(s, digests="CRC32C")
    s.hd = s.dd = True
    exchanges = out + s.read_exchange(lba=0, blocks=1, per_pdu=512)
    direction, raw = exchanges[-2]  # the Data-In: corrupt its data digest
    exchanges[-2] = (direction, raw[:-1] + bytes([raw[-1] ^ 1]))
    sink, report = _run(exchanges, only={"data-send"})
    assert len(sink.firings) == 1 and report.weirds == {"iscsi.data_digest_mismatch": 1}


def test_midsession_names_are_unknown_and_gap_resyncs() -> None:
    s = Session(itt=0x40)
    exchanges = s.read_exchange(lba=0, blocks=8, per_pdu=1024)
    sink = Collect()
    provider = IscsiProvider(RunContext(sink, Report(stderr=io.StringIO())))
    app = provider.app(INITIATOR, TARGET, False)
    framer = feed_stream(app, [(0, b"\x00garbage")] + exchanges[:2] + [(1, 500)]
                         + exchanges[3:])
    names = [n for n, _, _ in sink.firings]
    assert names.count("scsi-command") == 1 and names.count("scsi-response") == 1
    assert names.count("data-send") == 3  # the Data-In lost in the gap is not invented
    info = sink.firings[0][1][1]
    assert (info.ii_initiator, info.ii_target, info.ii_isid) == ("<unknown>",) * 3
    assert framer.skipped > 0
