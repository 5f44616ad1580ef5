"""The fc provider against tshark on every FC capture in ../shared/captures
and on the FCoE, FIP and link-type fixtures.

Per capture: the FC layer's counts of FCP_CMND / FCP_XFER_RDY / FCP_DATA /
FCP_RSP (by R_CTL of TYPE 0x08 frames), of every ELS command and reply
(``fcels.opcode``) and of the BLS frames equal tshark's; with ``--local all``
each scsi-command and scsi-response agrees with tshark's FCP_CMND / FCP_RSP
of the same exchange on LUN, OX_ID, RX_ID, FCP_DL, CDB opcode, status and
residual.  Then truncated (``editcap -s``) and lossy (frames deleted) variants
of every capture: nothing fires that the whole capture does not fire.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections import Counter
from collections.abc import Hashable
from pathlib import Path

import pytest

from pcapprobe.dissectors import fcels
from pcapprobe.api import decode_captures
from pcapprobe.env import Environment
from pcapprobe.probes.catalog import Probe
from pcapprobe.report import Report
from tests.conftest import FIXTURES, require_tshark, shared_captures
from tests.tshark import fcp_tasks, fields

CAPTURES = shared_captures("fc")
# tshark reads FCoE, FIP and LINKTYPE_FC_2(_WITH_FRAME_DELIMS) fixtures frame by frame
OWN = [FIXTURES / f"fc-{name}.pcap" for name in ("fcoe", "fip", "link224", "link225")]
FCP_IUS = {"0x01": "FCP_DATA", "0x05": "FCP_XFER_RDY", "0x06": "FCP_CMND", "0x07": "FCP_RSP"}
BLS = {"0x81": "BLS ABTS", "0x84": "BLS BA_ACC", "0x85": "BLS BA_RJT"}


class Collect:
    """Every fc firing: (probe name, the wire facts of its SCSI task, or None)."""

    def __init__(self) -> None:
        self.firings: list[tuple[str, tuple]] = []

    def handler(self, probe: Probe):  # type: ignore[no-untyped-def]
        if probe.provider != "fc":
            return None

        def fire(ts_ns: int, args: tuple, thread: Hashable) -> None:
            wire = next((a.wire() for a in args if hasattr(a, "wire")), None)
            # without a task: the port ids (names may be learned or not)
            key = tuple(sorted(wire.items())) if wire else tuple(
                a if isinstance(a, int) else getattr(a, "fcp_port_hard_address", None)
                for a in args[1:])
            self.firings.append((probe.name, key))

        return fire


def _ours(capture: Path, local: str = "all") -> tuple[Collect, Report, str]:
    sink = Collect()
    err = io.StringIO()
    report = decode_captures([str(capture)], sink, Environment(stdout=io.StringIO(), stderr=err),
                             [local])
    return sink, report, err.getvalue()


def _params() -> list[Path]:
    return CAPTURES + OWN


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


@pytest.mark.parametrize("capture", _params(), ids=_ids(_params()))
def test_counts_match_tshark(capture: Path) -> None:
    require_tshark()
    _, report, err = _ours(capture)
    ours = Counter({k: v for k, v in report.layers.get("fc", {}).items()
                    if k.startswith(("FCP_", "ELS ", "BLS "))})
    theirs: Counter[str] = Counter()
    rows = fields(capture, ["fc.r_ctl", "fc.type", "fcels.opcode", "data.data"], "fc")
    for r_ctl, type_, opcodes, data in rows:
        if type_ == "0x08" and r_ctl in FCP_IUS:
            theirs[FCP_IUS[r_ctl]] += 1
        elif r_ctl in BLS:
            theirs[BLS[r_ctl]] += 1
        elif r_ctl in ("0x22", "0x23") and not opcodes and data:
            # tshark matches an LS_ACC to its request by (S_ID, D_ID): the LS_ACC
            # of an NPIV FDISC (sent from S_ID 0) is "No record of Exchange"
            opcodes = "0x" + data[:2]
        for opcode in filter(None, opcodes.split(",")):
            theirs[f"ELS {fcels.opcode_name(int(opcode, 16))}"] += 1
    assert ours == theirs, err
    assert "Traceback" not in err


@pytest.mark.parametrize("capture", _params(), ids=_ids(_params()))
def test_scsi_events_match_tshark(capture: Path) -> None:
    require_tshark()
    sink, _, err = _ours(capture)
    theirs = fcp_tasks(capture)
    seen = 0
    for name, key in sink.firings:
        if name not in ("scsi-command", "scsi-response"):
            continue
        wire = dict(key)
        task = theirs.get((wire["initiator"], wire["ox_id"]))
        assert task is not None, (name, wire)
        # FCP_LUN's first level (SAM-5 §4.7: single-level peripheral or flat
        # addressing), which tshark's fcp.lun shows
        assert (wire["lun"] >> 48) & 0x3FFF == task["lun"], (name, wire, task)
        assert wire["fcp_dl"] == task["fcp_dl"]
        if task["opcode"] is not None:
            assert wire["opcode"] == task["opcode"], (name, wire, task)
        if name == "scsi-response":
            for member in ("rx_id", "status", "residual"):
                assert wire[member] == task[member], (name, member, wire, task)
        seen += 1
    assert seen == sum(1 + ("status" in t) for t in theirs.values()), err


def _variant(tmp_path: Path, capture: Path, how: str) -> Path:
    editcap = shutil.which("editcap")
    if editcap is None:
        pytest.skip("editcap is not installed (apt-get install wireshark-common)")
    out = tmp_path / f"{how}-{capture.name}"
    if how.startswith("snap"):
        args = ["-s", how[4:]]
    else:  # delete every Nth frame, starting with the Nth
        step = int(how[4:])
        args = []
        count = len(fields(capture, ["frame.number"]))
        deleted = [str(n) for n in range(step, count + 1, step)]
        subprocess.run([editcap, str(capture), str(out), *deleted], check=True,
                       capture_output=True)
        return out
    subprocess.run([editcap, *args, str(capture), str(out)], check=True, capture_output=True)
    return out


VARIANTS = ["snap60", "snap80", "snap120", "drop2", "drop3", "drop5"]


@pytest.mark.parametrize("how", VARIANTS)
@pytest.mark.parametrize("capture", _params(), ids=_ids(_params()))
def test_cut_and_lossy_variants_invent_nothing(capture: Path, how: str, tmp_path: Path) -> None:
    require_tshark()
    full, _, _ = _ours(capture)
    cut, _, err = _ours(_variant(tmp_path, capture, how))
    assert "Traceback" not in err
    invented = Counter(cut.firings) - Counter(full.firings)
    assert not invented, list(invented.elements())
