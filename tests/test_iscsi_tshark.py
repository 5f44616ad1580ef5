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

CAPTURES = [p for p in shared_captures("iscsi", "real-peers") if "iscsi" in p.name]
# The iscsi fixture tshark can follow (its digests need the login to be seen).
OWN = [FIXTURES / "iscsi-session.pcap"]
# iscsi-tapel.pcap has a Data-In completed by a retransmission that tshark only
# reassembles when told to (pcapprobe always does); the option breaks tshark on
# the lossy cdrom capture, so it is given per capture.
TSHARK_OPTIONS = {"iscsi-tapel.pcap": ["-o", "tcp.reassemble_out_of_order:TRUE"]}
INITIATOR_PROBES = {"scsi-command", "task-command", "login-command", "text-command",
                    "logout-command", "nop-receive"}


class Collect:
    def __init__(self) -> None:
        self.firings: list[tuple[str, object, object]] = []

    def handler(self, probe: Probe):  # type: ignore[no-untyped-def]
        if probe.provider != "iscsi" or probe.name.startswith("xfer"):
            return None

        def fire(ts_ns: int, args: tuple, thread: Hashable) -> None:
            self.firings.append((probe.name, args[0], args[1]))

        return fire


def _ours(capture: Path) -> tuple[Collect, str]:
    sink = Collect()
    err = io.StringIO()
    decode_captures([str(capture)], sink, Environment(stdout=io.StringIO(), stderr=err))
    return sink, err.getvalue()


def _theirs(capture: Path) -> dict[str, list[str]]:
    names = ["iscsi.opcode", "iscsi.initiatortasktag", "iscsi.datasegmentlength",
             "iscsi.cmdsn", "iscsi.statsn", "iscsi.datasn", "iscsi.keyvalue"]
    out: dict[str, list[str]] = defaultdict(list)
    for row in fields(capture, names, "iscsi", extra=TSHARK_OPTIONS.get(capture.name)):
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
    assert Counter(name for name, _, _ in sink.firings) == expected

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


def test_malformed_pdus_are_reported_not_fatal() -> None:
    require_shared()
    lossy = [p for p in CAPTURES if p.name == "iscsi-scsi-data-cdrom.pcap"]
    if not lossy:
        pytest.skip("iscsi-scsi-data-cdrom.pcap is not in ../shared/captures/iscsi")
    sink, err = _ours(lossy[0])
    assert sink.firings and "Traceback" not in err
