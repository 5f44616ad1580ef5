"""The fc provider on hand-made captures: what fires for the wire events the
goldens do not cover (FIP keep-alive timeout, multi-frame ELS sequences, lost
frames of a sequence, the --local choices)."""

from __future__ import annotations

import io
import struct
from collections.abc import Hashable
from pathlib import Path

import pytest

from fixtures.gen import fc as gen
from fixtures.gen import pcap_bytes
from pcapprobe.api import decode_captures, parse_local
from pcapprobe.env import Environment
from pcapprobe.errors import UsageError
from pcapprobe.probes.catalog import Probe
from pcapprobe.probes.translators.fc import fc_address


class Firings:
    def __init__(self) -> None:
        self.seen: list[tuple[int, str, tuple]] = []

    def handler(self, probe: Probe):  # type: ignore[no-untyped-def]
        if probe.provider != "fc":
            return None

        def fire(ts: int, args: tuple, thread: Hashable) -> None:
            self.seen.append((ts, probe.name, args))

        return fire

    def names(self) -> list[str]:
        return [name for _, name, _ in self.seen]


def _run(tmp_path: Path, records: list[tuple[int, bytes]], local: str = "auto",
         linktype: int = 1) -> tuple[Firings, str]:
    path = tmp_path / "x.pcap"
    path.write_bytes(pcap_bytes(records, linktype=linktype))
    sink = Firings()
    err = io.StringIO()
    decode_captures([str(path)], sink, Environment(io.StringIO(), err), [local])
    return sink, err.getvalue()


def _fip_login(c: gen.Conversation) -> list[tuple[int, bytes]]:
    period = gen.fip_descriptor(12, bytes(2) + struct.pack(">I", 8000))
    flogi = gen.fc_frame(0x22, gen.FABRIC, 0, 0x01, gen.REQUEST, 1,
                         payload=gen.login(0x04, gen.T_WWPN, gen.T_WWNN))
    acc = gen.fc_frame(0x23, gen.T_ID, gen.FABRIC, 0x01, gen.REPLY, 1, 0x7001,
                       gen.login(0x02, gen.FABRIC_WWPN, gen.FABRIC_WWNN))
    return [(c.ts, gen.fip(1, 2, period, 0x8005)),
            (c.ts + 1_000, gen.fip(2, 1, gen.fip_descriptor(7, bytes(2) + flogi),
                                   src=gen.ENODE_MAC, dst=gen.FCF_MAC)),
            (c.ts + 2_000, gen.fip(2, 2, gen.fip_descriptor(7, bytes(2) + acc)))]


def test_keep_alive_timeout_brings_the_link_down(tmp_path: Path) -> None:
    c = gen.Conversation()
    records = _fip_login(c)
    # the FCF advertises every 8 s; 2.5 periods (20 s) pass with only the ENode's keep-alives
    for second in (10, 19, 21):
        records.append((c.ts + second * 1_000_000_000,
                        gen.fip(3, 1, gen.fip_descriptor(2, gen.ENODE_MAC),
                                src=gen.ENODE_MAC, dst=gen.FCF_MAC)))
    sink, _ = _run(tmp_path, records, local=gen.T_WWPN.hex())
    assert sink.names() == ["fabric-login-start", "fabric-login-end", "link-up", "link-down"]
    down_ts = sink.seen[-1][0]
    # 2.5 x 8 s after the link came up (its FLOGI LS_ACC, just after the advertisement)
    assert down_ts == c.ts + 2_000 + 20_000_000_000


def test_pre_standard_period_in_seconds_is_read_from_the_advertisements(tmp_path: Path) -> None:
    # FKA_ADV_Period 8 (seconds, as 2008 FCFs sent it) and advertisements 8 s
    # apart: 20 ms of silence is no timeout; 2.5 x 8 s is
    c = gen.Conversation()
    period = gen.fip_descriptor(12, bytes(2) + struct.pack(">I", 8))
    records = [(c.ts - 8_000_000_000, gen.fip(1, 2, period, 0x8005))] + _fip_login(c)
    records[1] = (c.ts, gen.fip(1, 2, period, 0x8005))
    for second in (1, 19, 21):
        records.append((c.ts + second * 1_000_000_000,
                        gen.fip(3, 1, gen.fip_descriptor(2, gen.ENODE_MAC),
                                src=gen.ENODE_MAC, dst=gen.FCF_MAC)))
    sink, _ = _run(tmp_path, records, local=gen.T_WWPN.hex())
    assert sink.names()[-1] == "link-down"
    assert sink.seen[-1][0] == c.ts + 2_000 + 20_000_000_000


def test_advertisements_keep_the_link_up(tmp_path: Path) -> None:
    c = gen.Conversation()
    records = _fip_login(c)
    period = gen.fip_descriptor(12, bytes(2) + struct.pack(">I", 8000))
    for second in range(8, 60, 8):
        records.append((c.ts + second * 1_000_000_000, gen.fip(1, 2, period, 0x8005)))
    sink, _ = _run(tmp_path, records, local=gen.T_WWPN.hex())
    assert "link-down" not in sink.names()


def test_multi_frame_els_is_reassembled_and_a_lost_frame_drops_it(tmp_path: Path) -> None:
    # an RSCN of 3 pages sent as 2 frames (SEQ_CNT 0, 1), then one whose second
    # frame is missing: the first fires three rscn-receive, the second nothing
    c = gen.Conversation()
    pages = struct.pack(">III", 0x010300, 0x010400, 0x010500)
    payload = bytes([0x61, 4, 0, 16]) + pages
    for ox, frames in ((0x51, (0, 1)), (0x52, (0,))):
        for cnt in frames:
            part = payload[:8] if cnt == 0 else payload[8:]
            end = gen.F_END_SEQ | gen.F_SEQ_INIT if cnt == 1 else 0
            c.add(gen.fc_frame(0x22, gen.T_ID, gen.CONTROLLER, 0x01, gen.F_FIRST_SEQ | end, ox,
                               payload=part, seq_cnt=cnt))
    c.add(gen.fc_frame(0x22, gen.T_ID, gen.CONTROLLER, 0x01, gen.F_FIRST_SEQ | gen.F_END_SEQ,
                       0x52, payload=payload[8:], seq_cnt=2))
    sink, _ = _run(tmp_path, c.frames, local="01.02.00", linktype=224)
    assert [args[2] for _, name, args in sink.seen if name == "rscn-receive"] == \
        [0x010300, 0x010400, 0x010500]


def test_auto_choice_is_the_fcp_target_and_is_reported(tmp_path: Path) -> None:
    frames = gen.conversation().frames
    sink, err = _run(tmp_path, [(ts, gen.fcoe(f)) for ts, f in frames])
    assert "local FC port(s) 01.02.00 (2100001b3286c264)" in err
    assert sink.names().count("scsi-command") == 6
    # the initiator's own logins are not the target's: only T's fire
    assert all(args[0].ci_local == "2100001b3286c264" for _, name, args in sink.seen
               if name.startswith("rport-"))


def test_local_all_fires_at_both_ends_of_a_login(tmp_path: Path) -> None:
    c = gen.Conversation()
    c.els(gen.I_ID, gen.T_ID, gen.login(0x03, gen.I_WWPN, gen.I_WWNN),
          gen.login(0x02, gen.T_WWPN, gen.T_WWNN))
    sink, _ = _run(tmp_path, c.frames, local="all", linktype=224)
    solicited = sorted((name, args[0].ci_local, args[3]) for _, name, args in sink.seen)
    assert solicited == [
        ("rport-login-end", "10000000c953e162", 1), ("rport-login-end", "2100001b3286c264", 0),
        ("rport-login-start", "10000000c953e162", 1),
        ("rport-login-start", "<unknown>", 0),  # T's WWPN comes with its LS_ACC
    ]


def test_prli_and_prlo_fire_no_rport_probe(tmp_path: Path) -> None:
    # COMSTAR fires rport-login-* only in fct_process_plogi and rport-logout-*
    # only in fct_process_logo; fct_process_prli and fct_process_prlo (PRLO
    # and TPRLO) have no probe (illumos discovery.c).  The PRLI is read all
    # the same: its LS_ACC's target function is what makes T the local port.
    c = gen.Conversation()
    prlo = bytes([0x21, 0x10, 0, 20, 0x08, 0, 0, 0]) + bytes(12)  # FC-LS-3 §4.2.29
    prlo_acc = bytes([0x02, 0x10, 0, 20, 0x08, 0, 0x01, 0]) + bytes(12)  # response code 1
    c.els(gen.I_ID, gen.T_ID, gen.login(0x03, gen.I_WWPN, gen.I_WWNN),
          gen.login(0x02, gen.T_WWPN, gen.T_WWNN))
    c.els(gen.I_ID, gen.T_ID, gen.prli(0x20, 0x20), gen.prli(0x02, 0x10))
    c.els(gen.I_ID, gen.T_ID, prlo, prlo_acc)
    c.els(gen.T_ID, gen.I_ID, gen.prli(0x20, 0x10), gen.prli(0x02, 0x20))  # T solicits one
    c.els(gen.T_ID, gen.I_ID, prlo, prlo_acc)
    c.els(gen.I_ID, gen.T_ID, bytes([0x05, 0, 0, 0]) + struct.pack(">I", gen.I_ID) + gen.I_WWPN,
          bytes([0x02, 0, 0, 0]))
    sink, err = _run(tmp_path, c.frames, linktype=224)
    assert "local FC port(s) 01.02.00 (2100001b3286c264)" in err
    assert [(name, args[0].ci_remote, args[3]) for _, name, args in sink.seen] == [
        ("rport-login-start", "10000000c953e162", 0), ("rport-login-end", "10000000c953e162", 0),
        ("rport-logout-start", "10000000c953e162", 0),
        ("rport-logout-end", "10000000c953e162", 0)]


@pytest.mark.parametrize(("text", "canonical"), [
    ("21:00:00:1b:32:86:c2:64", "2100001b3286c264"), ("2100001B3286C264", "2100001b3286c264"),
    ("ed.01.00", "ed.01.00"), ("0xed0100", "ed.01.00"), ("0x1", "00.00.01"),
    ("10.0.0.1", None), ("ed.1.00", None), ("0xzz", None), ("fe80::1", None),
])
def test_local_fc_addresses(text: str, canonical: str | None) -> None:
    assert fc_address(text) == canonical


def test_parse_local_takes_ip_wwpn_and_fc_id() -> None:
    assert parse_local(["10.0.0.1", "21:00:00:1b:32:86:c2:64", "ed.00.00"]) == \
        (False, ["10.0.0.1", "2100001b3286c264", "ed.00.00"])
    with pytest.raises(UsageError, match="not an IP address, a WWPN, an FC_ID"):
        parse_local(["nohost"])
