"""tshark as the independent oracle: run `tshark -T fields` and parse its rows."""

from __future__ import annotations

import subprocess
from pathlib import Path


def fields(capture: Path, names: list[str], display_filter: str = "",
           extra: list[str] | None = None) -> list[list[str]]:
    """One row per frame matching the filter: the value of each field (may be '')."""
    cmd = ["tshark", "-r", str(capture), "-n", "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    for name in names:
        cmd += ["-e", name]
    if display_filter:
        cmd += ["-Y", display_filter]
    cmd += extra or []
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         env={"HOME": "/tmp", "PATH": "/usr/bin:/bin"}).stdout
    return [line.split("\t") for line in out.splitlines()]


def fcp_tasks(capture: Path) -> dict[tuple[str, int], dict[str, object]]:
    """tshark's FCP_CMND and FCP_RSP facts by (S_ID of the command, OX_ID)."""
    rows = fields(capture, ["fc.r_ctl", "fc.s_id", "fc.d_id", "fc.ox_id", "fc.rx_id", "fcp.lun",
                            "fcp.dl", "scsi_sbc.opcode", "scsi.spc.opcode", "fcp.status",
                            "fcp.rspflags", "fcp.resid"], "fc.type == 0x08 && fcp")
    tasks: dict[tuple[str, int], dict[str, object]] = {}
    for r_ctl, s_id, d_id, ox, rx, lun, dl, sbc, spc, status, flags, resid in rows:
        if r_ctl == "0x06":
            opcode = sbc or spc
            tasks[(s_id, int(ox, 16))] = {
                "lun": int(lun, 16), "fcp_dl": int(dl),
                "opcode": int(opcode, 16) if opcode else None}
        elif r_ctl == "0x07" and (d_id, int(ox, 16)) in tasks:
            task = tasks[(d_id, int(ox, 16))]
            under_or_over = int(flags, 16) & 0x0C if flags else 0
            task.update(rx_id=int(rx, 16), status=int(status, 16),
                        residual=int(resid) if under_or_over else 0)
    return tasks
