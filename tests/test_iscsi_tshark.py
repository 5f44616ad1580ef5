"""The iscsi provider against tshark on every iSCSI capture in ../shared/captures.

Per capture: each probe fires once per PDU of the matching opcode (target
perspective), and ITT, DataSegmentLength, CmdSN, StatSN and DataSN agree with
tshark's fields value for value; initiator/target names equal the login keys.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from collections.abc import Hashable
from pathlib import Path

import pytest

from pcapprobe.api import decode_captures
from pcapprobe.env import Environment
from pcapprobe.probes.catalog import Probe
from pcapprobe.probes.translators.iscsi import PROBES
from tests.conftest import FIXTURES, require_shared, require_tshark, shared_captures
from tests.tshark import fields

# Every capture under captures/iscsi (whatever its name: scsi-osd-example-001
# is iSCSI too) plus the iSCSI captures of real-peers/.
CAPTURES = shared_captures("iscsi") + [p for p in shared_captures("real-peers")
                                       if p.name.startswith("iscsi")]
# The iscsi fixture tshark can follow (its digests need the login to be seen).
OWN = [FIXTURES / "iscsi-session.pcap"]
# iscsi-tapel.pcap has a Data-In completed by a retransmission that tshark only
# reassembles when told to (pcapprobe always does); the option breaks tshark on
# the lossy cdrom capture, so it is given per capture.
TSHARK_OPTIONS = {"iscsi-tapel.pcap": ["-o", "tcp.reassemble_out_of_order:TRUE"]}
# Captures that lost segments (the cdrom one lost the second segment of most
# Data-In PDUs): tshark decodes only whole PDUs, pcapprobe also fires those
# whose header was captured (docs: README "Imperfect captures").  There every
# firing must be a PDU tshark shows when it dissects segment by segment
# (desegmentation off: every header at a segment start), and at least every
# PDU it decodes whole must fire.
LOSSY = {"iscsi-scsi-data-cdrom.pcap"}
SEGMENT_BY_SEGMENT = ["-o", "tcp.desegment_tcp_streams:FALSE"]
INITIATOR_PROBES = {"scsi-command", "task-command", "login-command", "text-command",
                    "logout-command", "nop-receive"}


class Collect:
    def __init__(self) -> None:
        self.firings: list[tuple[str, object, object]] = []
        self.cdbs: list[bytes] = []     # each scsi-command's whole CDB (ic_cdb[0 .. ic_len-1])

    def handler(self, probe: Probe):  # type: ignore[no-untyped-def]
        if probe.provider != "iscsi" or probe.name.startswith("xfer"):
            return None

        def fire(ts_ns: int, args: tuple, thread: Hashable) -> None:
            self.firings.append((probe.name, args[0], args[1]))
            if probe.name == "scsi-command":
                self.cdbs.append(bytes(args[2].ic_cdb[i] for i in range(args[2].ic_len)))

        return fire


def _ours(capture: Path) -> tuple[Collect, str]:
    sink = Collect()
    err = io.StringIO()
    decode_captures([str(capture)], sink, Environment(stdout=io.StringIO(), stderr=err))
    return sink, err.getvalue()


def _theirs(capture: Path, extra: list[str] | None = None) -> dict[str, list[str]]:
    names = ["iscsi.opcode", "iscsi.initiatortasktag", "iscsi.datasegmentlength",
             "iscsi.cmdsn", "iscsi.statsn", "iscsi.datasn", "iscsi.keyvalue"]
    out: dict[str, list[str]] = defaultdict(list)
    extra = (extra or []) + TSHARK_OPTIONS.get(capture.name, [])
    for row in fields(capture, names, "iscsi", extra=extra):
        for name, value in zip(names, row):
            out[name] += [v for v in value.split(",") if v]
    return out


def _params() -> list[Path]:
    return CAPTURES + [p for p in OWN if p.exists()]


@pytest.mark.parametrize("capture", _params(), ids=lambda p: p.name)
def test_probes_match_tshark(capture: Path) -> None:
    require_shared()
    require_tshark()
    sink, _ = _ours(capture)
    theirs = _theirs(capture)
    ops = [int(v, 16) for v in theirs["iscsi.opcode"]]
    expected = Counter(PROBES[op] for op in ops if op in PROBES)
    fired = Counter(name for name, _, _ in sink.firings)
    if capture.name in LOSSY:
        _within_segment_view(capture, sink, fired, expected)
        return
    assert fired == expected

    # Values are compared as multisets per probe: tshark lists a frame's fields
    # per field, not per PDU, so a frame holding several PDUs cannot be zipped.
    itts: dict[str | None, Counter[int]] = defaultdict(Counter)
    for op, itt in zip(ops, theirs["iscsi.initiatortasktag"]):
        itts[PROBES.get(op)][int(itt, 16)] += 1
    for name in expected:
        assert Counter(i.ii_itt for n, _, i in sink.firings if n == name) == itts[name], name
    # COMSTAR reports a data length of 0 for logout and TMF requests (iscsit.d);
    # their DataSegmentLength is 0 by RFC 7143 anyway.
    assert sum(i.ii_datalen for _, _, i in sink.firings) \
        == sum(int(v) for v in theirs["iscsi.datasegmentlength"])
    assert Counter(i.ii_cmdsn for n, _, i in sink.firings if n in INITIATOR_PROBES) \
        == Counter(int(v) for v in theirs["iscsi.cmdsn"])
    assert Counter(i.ii_statsn for n, _, i in sink.firings if n not in INITIATOR_PROBES
                   and n != "data-receive") == Counter(int(v) for v in theirs["iscsi.statsn"])
    assert Counter(i.ii_datasn for n, _, i in sink.firings if n in ("data-send", "data-receive")) \
        == Counter(int(v) for v in theirs["iscsi.datasn"])


def _within_segment_view(capture: Path, sink: Collect, fired: Counter[str],
                         whole: Counter[str]) -> None:
    """A lossy capture: every PDU fired is one tshark sees segment by segment
    (same probe, ITT, DataSN), and every PDU it decodes whole fired."""
    theirs = _theirs(capture, SEGMENT_BY_SEGMENT)
    ops = [int(v, 16) for v in theirs["iscsi.opcode"]]
    seen = Counter(PROBES[op] for op in ops if op in PROBES)
    assert not fired - seen and not whole - fired
    itts = Counter((PROBES.get(op), int(itt, 16))
                   for op, itt in zip(ops, theirs["iscsi.initiatortasktag"]))
    assert not Counter((n, i.ii_itt) for n, _, i in sink.firings) - itts


@pytest.mark.parametrize("capture", _params(), ids=lambda p: p.name)
def test_names_match_login_keys(capture: Path) -> None:
    require_shared()
    require_tshark()
    sink, _ = _ours(capture)
    keys = [kv.split("=", 1) for kv in _theirs(capture)["iscsi.keyvalue"] if "=" in kv]
    initiators = {v for k, v in keys if k == "InitiatorName"}
    seen = {i.ii_initiator for n, _, i in sink.firings if n == "scsi-command"}
    assert seen <= initiators | {"<unknown>"} and (not initiators or seen - {"<unknown>"})
    targets = {v for k, v in keys if k == "TargetName"}
    seen_targets = {i.ii_target for n, _, i in sink.firings if n == "scsi-command"}
    assert seen_targets <= targets | {"<unknown>"}
    for _, conn, info in sink.firings:
        assert info.ii_transport == "sockets" and conn.ci_protocol == "ipv4"


def _malformed_frames(capture: Path) -> list[int]:
    return [int(r[0]) for r in fields(capture, ["frame.number"], "_ws.malformed && iscsi")]


@pytest.mark.parametrize("capture", _params(), ids=lambda p: p.name)
def test_cdbs_match_tshark(capture: Path) -> None:
    """ic_len/ic_cdb cover the whole CDB, including RFC 7143 extended CDBs.

    The OSD capture sends 200-byte variable-length CDBs (opcode 0x7f): 16 bytes
    in the BHS and 184 in an Extended-CDB AHS, some behind a Bidirectional
    Read Data Length AHS.  tshark does not export the BHS part as a field, so
    the BHS part is checked by length and the AHS part byte for byte.
    """
    require_shared()
    require_tshark()
    sink, _ = _ours(capture)
    rows = fields(capture, ["iscsi.ahs.type", "iscsi.ahs.extended_cdb"], "iscsi.opcode == 0x01")
    expected: Counter[bytes] = Counter()
    for types, ext in rows:
        # a frame may hold several SCSI commands: at most one extended CDB each
        kinds = [t for t in types.split(",") if t]
        exts = [bytes.fromhex(e) for e in ext.split(",") if e]
        assert kinds.count("1") == len(exts)
        expected.update(exts)
    ours = Counter(cdb[16:] for cdb in sink.cdbs if len(cdb) > 16)
    assert ours == expected
    assert all(len(cdb) >= 16 for cdb in sink.cdbs)     # the BHS always holds 16 CDB bytes
    if capture.name == "scsi-osd-example-001.pcap":
        assert Counter(len(c) for c in sink.cdbs if c[0] == 0x7F) == {200: sum(expected.values())}


def test_malformed_pdus_are_reported_not_fatal() -> None:
    """Captures whose iSCSI frames tshark marks [Malformed Packet] decode fully.

    tshark's flags on these captures come from the SCSI payload dissectors it
    runs on Data-In/Data-Out segments (a Mode Sense(10) response on the cdrom
    capture, OSD Command Request Data on the OSD capture); pcapprobe does not
    parse SCSI payloads, and their iSCSI framing is intact, so every PDU still
    fires (the per-opcode counts are checked against tshark above), nothing is
    reported as a bad iSCSI PDU and nothing crashes.
    """
    require_shared()
    require_tshark()
    flagged = {p.name: _malformed_frames(p) for p in _params()}
    flagged = {k: v for k, v in flagged.items() if v}
    assert set(flagged) >= {"iscsi-scsi-data-cdrom.pcap", "scsi-osd-example-001.pcap"}
    for capture in _params():
        if capture.name not in flagged:
            continue
        sink, err = _ours(capture)
        assert sink.firings, capture.name
        assert "Traceback" not in err
        assert not [n for n in flagged[capture.name] if f": packet {n}:" in err], err
