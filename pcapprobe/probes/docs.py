"""Provider documentation generated from the probe catalog.

``python -m pcapprobe.probes.docs`` writes ``docs/providers.md``: per provider,
its probes with their argument types, then every argument struct once, with
each member's type, the provider document's comment and where pcapprobe takes
the value from on the wire.  ``--check`` exits 1 when the file is stale.
The README's provider table comes from ``readme_table()``.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from pcapprobe.probes import catalog

OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "providers.md"

# Document order (the seed documents' order, storage providers last).
ORDER = ("ip", "tcp", "udp", "iscsi", "nfsv3", "nfsv4", "fc", "srp", "io")

SOURCES = {
    "ip": "Solaris 11.3 DTrace guide, ip Provider",
    "tcp": "Solaris 11.3 DTrace guide, tcp Provider",
    "udp": "Solaris 11.3 DTrace guide, udp Provider",
    "iscsi": "Solaris 11.3 DTrace guide, iscsi Provider; RFC 7143",
    "nfsv3": "Solaris 11.3 DTrace guide, nfsv3 Provider; RFC 1813",
    "nfsv4": "Solaris 11.3 DTrace guide, nfsv4 Provider; RFC 7530",
    "fc": "Solaris fc Provider document; FC-BB-5 (FCoE), FCP, FC-LS",
    "srp": "Solaris 11.3 DTrace guide, srp Provider; T10 SRP, IBTA RoCE",
    "io": "Solaris 11.1 DTrace guide, io Provider",
}

# Where each member's value comes from on a capture: "struct" -> text for every
# member, or "struct.member" -> text (the member entry wins).
FROM_WIRE: dict[str, str] = {
    # shared
    "conninfo_t.ci_local": "address of the local side (`--local`); fc: port WWN; "
    "srp: HCA GID",
    "conninfo_t.ci_remote": "address of the peer; fc: port WWN; srp: HCA GID",
    "conninfo_t.ci_protocol": '"ipv4"/"ipv6" from the IP version; "fc"; "ib"',
    "scsicmd_t.ic_len": "CDB length (iSCSI BHS, FCP_CMND, SRP_CMD)",
    "scsicmd_t.ic_cdb": "CDB bytes of the command",
    "xferinfo_t": "RDMA member: 0 on iSCSI sockets; SRP: from the RDMA operation",
    "xferinfo_t.xfer_laddr": "iSCSI: 0xffffffff (iscsit.d's NULL buffer)",
    "xferinfo_t.xfer_loffset": "iSCSI: Buffer Offset of the burst (R2T / Data-In)",
    "xferinfo_t.xfer_len": "bytes of the burst (R2T Desired Data Transfer Length, "
    "immediate/unsolicited data, Data-In sequence); at done: bytes carried",
    "xferinfo_t.xfer_type": "direction: 0 read (to the initiator), 1 write",
    # ip
    "pktinfo_t.pkt_addr": "always NULL (as on Solaris)",
    "csinfo_t.cs_addr": "always NULL",
    "csinfo_t.cs_cid": "ip: 0; tcp: id of the connection incarnation",
    "csinfo_t.cs_pid": "ip: 0, tcp: -1: no process is known on a wire",
    "csinfo_t.cs_zoneid": "0: no zone is known on a wire",
    "ipinfo_t.ip_ver": "IP version field",
    "ipinfo_t.ip_plength": "IPv4 total length minus header / IPv6 payload length",
    "ipinfo_t.ip_saddr": "source address",
    "ipinfo_t.ip_daddr": "destination address",
    "ifinfo_t.if_name": 'pcapng interface name, else "<unknown>"',
    "ifinfo_t.if_local": "1 when the packet is for/from a `--local` address",
    "ifinfo_t.if_ipstack": "0",
    "ifinfo_t.if_addr": "0",
    "ipv4info_t": 'IPv4 header field of the same name ("<null>"/0 for IPv6 packets)',
    "ipv4info_t.ipv4_ihl": "IHL, in bytes",
    "ipv4info_t.ipv4_offset": "fragment offset, in bytes",
    "ipv4info_t.ipv4_protostr": 'protocol name ("TCP", "UDP", "ICMP"...)',
    "ipv4info_t.ipv4_hdr": "stable non-zero pseudo-address of the header",
    "ipv6info_t": 'IPv6 header field of the same name ("<null>"/0 for IPv4 packets)',
    "ipv6info_t.ipv6_nextstr": 'next header name ("TCP", "UDP", "ICMPV6"...)',
    "ipv6info_t.ipv6_hdr": "stable non-zero pseudo-address of the header",
    # tcp
    "tcpsinfo_t": "the local endpoint, reconstructed from the segments seen "
    "(pcapprobe/flows/endpoint.py); a live view at the firing",
    "tcpsinfo_t.tcps_addr": "0",
    "tcpsinfo_t.tcps_local": "1 for a loopback connection",
    "tcpsinfo_t.tcps_active": "1 when the local side sent the SYN",
    "tcpsinfo_t.tcps_state": "TCP state machine driven by the capture (TCPS_* values)",
    "tcplsinfo_t.tcps_state": "state before the transition",
    "tcpinfo_t": "TCP header field of the same name",
    "tcpinfo_t.tcp_offset": "data offset, in bytes",
    "tcpinfo_t.tcp_window": "window field, unscaled",
    "tcpinfo_t.tcp_hdr": "the raw TCP header (tcph_t byte arrays, wire order)",
    "tcph_t": "the TCP header bytes of the segment, in wire order",
    # udp
    "udpsinfo_t": "the local socket: addresses and ports of the datagram",
    "udpinfo_t": "UDP header field of the same name",
    # iscsi
    "iscsiinfo_t": "BHS word chosen per PDU type as iscsit.d's translators do "
    "(RFC 7143 section 11); 0 where the PDU has none",
    "iscsiinfo_t.ii_target": 'TargetName of the login ("<unknown>" mid-session)',
    "iscsiinfo_t.ii_initiator": 'InitiatorName of the login ("<unknown>" mid-session)',
    "iscsiinfo_t.ii_isid": "ISID of the session, 12 hex digits",
    "iscsiinfo_t.ii_tsih": 'TSIH of the session, "0x%04x"',
    "iscsiinfo_t.ii_transport": '"sockets" (TCP) or "iser" (RDMA CM connection)',
    "iscsiinfo_t.ii_lun": "the raw 8-byte LUN field",
    "iscsiinfo_t.ii_datalen": "DataSegmentLength",
    # nfsv3 / nfsv4
    "nfsv3opinfo_t.noi_xid": "ONC RPC xid (RFC 5531)",
    "nfsv3opinfo_t.noi_curpath": "path learned from LOOKUP/CREATE replies",
    "nfsv3opinfo_t.noi_cred": "AUTH_SYS credentials of the call",
    "nfsv4opinfo_t.noi_xid": "ONC RPC xid of the COMPOUND (RFC 5531)",
    "nfsv4opinfo_t.noi_curpath": "path of the current file handle (PUTFH/LOOKUP/OPEN)",
    "nfsv4opinfo_t.noi_cred": "AUTH_SYS credentials of the COMPOUND call",
    "nfsv4cbinfo_t.nci_curpath": "path of the callback's file handle",
    "cred_t": "AUTH_SYS credential field of the same name",
    # fc
    "fc_port_info_t": "FLOGI/PLOGI payload of the port (FC-LS); names: name server",
    "fc_xferinfo_t.fcx_len": "FCP_DATA bytes of the sequence",
    "fc_xferinfo_t.fcx_offset": "relative offset (F_CTL, parameter field)",
    "fc_xferinfo_t.fcx_flags": "0",
    # srp
    "srp_portinfo_t.pi_initiator": "SRP_LOGIN_REQ initiator port id, bytes 8-15 (eui.)",
    "srp_portinfo_t.pi_i_sid": "SRP_LOGIN_REQ initiator port id, both halves in hex",
    "srp_portinfo_t.pi_target": "SRP_LOGIN_REQ target port id, bytes 0-7 (eui.)",
    "srp_portinfo_t.pi_t_sid": "SRP_LOGIN_REQ target port id, both halves in hex",
    "srp_portinfo_t.pi_chan_id": "the target's QP number of the channel (CM REP); 0 "
    "for login, logout and service probes",
    "srp_logininfo_t": "SRP_LOGIN_REQ (in the CM REQ) / SRP_LOGIN_RSP (REP) / "
    "SRP_LOGIN_REJ (REJ) field of the same meaning",
    "srp_logininfo_t.reason_code": "bytes 4-7 of the response IU, as srp.d reads them "
    "(REJ: REASON; RSP: REQUEST LIMIT DELTA)",
    "srp_taskinfo_t": "SRP_CMD / SRP_RSP / SRP_TSK_MGMT field of the same meaning",
    "srp_taskinfo_t.ti_lun": "the raw 8-byte LUN field",
    # io
    "bufinfo_t.b_flags": "B_READ or B_WRITE of the SCSI command (with B_BUSY) or NFS "
    "call (with B_PAGEIO; B_ASYNC for an UNSTABLE write); B_ERROR on a failed done",
    "bufinfo_t.b_bcount": "CDB transfer length x the LUN's block size (READ CAPACITY, "
    "else 512); NFS READ/WRITE count",
    "bufinfo_t.b_blkno": "CDB LBA x block size / 512; NFS offset / 512",
    "bufinfo_t.b_lblkno": "as b_blkno",
    "bufinfo_t.b_resid": "done: the response's underflow residual (SCSI) or count "
    "asked minus count done (NFS); b_bcount when failed",
    "bufinfo_t.b_error": "done: EIO for a failed SCSI status, the NFS status's errno",
    "bufinfo_t.b_edev": "dev_major << 32 | dev_minor",
    "bufinfo_t.b_addr": "0 (a kernel address)",
    "bufinfo_t.b_iodone": "0 (a kernel address)",
    "bufinfo_t.b_bufsize": "0 (not on the wire)",
    "devinfo_t": 'sd<N> per (target, LUN) of an initiator, major 32, minor N << 6; '
    'nfs<N> per (server, export) of a client, major 0, minor N',
    "devinfo_t.dev_pathname": "/devices/iscsi/disk@0000<TargetName><TPGT>,<LUN>:a; "
    '"<nfs>" for NFS',
    "fileinfo_t": '"<none>" (offset -1) for block I/O; the NFS file\'s path learned '
    'from MOUNT/LOOKUP..., "<unknown>" when not learned',
    "fileinfo_t.fi_offset": "NFS READ/WRITE offset; -1 for block I/O",
    "fileinfo_t.fi_fs": '"nfs3" (the vnode ops name), "<none>" for block I/O',
    "fileinfo_t.fi_mount": "the export the file was looked up under (MOUNT), "
    '"<unknown>" when not seen',
}


def from_wire(struct: str, member: str) -> str:
    """Where a member's value comes from on a capture ("" if not documented)."""
    return FROM_WIRE.get(f"{struct}.{member}", FROM_WIRE.get(struct, ""))


def _providers() -> list[str]:
    catalog.load()
    known = [p for p in ORDER if p in catalog.PROVIDERS]
    return known + sorted(set(catalog.PROVIDERS) - set(known))


def _structs_of(probes: list[catalog.Probe]) -> list[str]:
    """Structs reachable from the probes' arguments, in first-use order."""
    seen: list[str] = []

    def visit(base: str) -> None:
        struct = catalog.STRUCTS.get(base)
        if struct is None or base in seen:
            return
        seen.append(base)
        for member in struct.members.values():
            visit(member.ctype.base)

    for probe in probes:
        for ctype in probe.args:
            visit(ctype.base)
    return seen


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render() -> str:
    """The whole of docs/providers.md."""
    out = [
        "# Providers",
        "",
        "Generated from the probe catalog (`pcapprobe/probes/declarations/`) by",
        "`python -m pcapprobe.probes.docs`; do not edit by hand.",
        "",
        "Each struct is listed once, under the first provider that uses it.",
        '"From the wire" says where pcapprobe takes each value from on a capture.',
        "",
    ]
    documented: set[str] = set()
    for name in _providers():
        probes = list(catalog.PROVIDERS[name].values())
        out += [f"## {name}", ""]
        if probes and probes[0].doc:
            out += [probes[0].doc, ""]
        if name in SOURCES:
            out += [f"Source: {SOURCES[name]}.", ""]
        out += ["| probe | arguments |", "|---|---|"]
        for probe in probes:
            args = ", ".join(f"args[{i}]: `{a}`" for i, a in enumerate(probe.args))
            mark = "pcapprobe extension (not in Solaris): " if probe.extension else ""
            out.append(f"| `{name}:{probe.module}:{probe.function}:{probe.name}` "
                       f"| {mark}{args or '(none)'} |")
        out.append("")
        for struct_name in _structs_of(probes):
            if struct_name in documented:
                continue
            documented.add(struct_name)
            struct = catalog.STRUCTS[struct_name]
            kind = "union" if struct.union else "struct"
            out += [f"### {struct_name}", ""]
            if not struct.members:
                out += [f"Empty {kind} (the operation has no arguments).", ""]
                continue
            out += ["| member | type | description | from the wire |",
                    "|---|---|---|---|"]
            for member in struct.members.values():
                wire = from_wire(struct_name, member.name)
                out.append(f"| `{member.name}` | `{member.ctype}` "
                           f"| {_cell(member.doc)} | {_cell(wire)} |")
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def readme_table() -> str:
    """The README's provider table: each provider and its probe names."""
    rows = ["| provider | probes |", "|---|---|"]
    for name in _providers():
        probes = catalog.PROVIDERS[name]
        names = list(probes)
        if len(names) > 12:
            shown = ", ".join(f"`{n}`" for n in names[:4])
            listed = f"{shown}, ... ({len(names)} probes)"
        else:
            listed = ", ".join(f"`{n}`" for n in names)
        rows.append(f"| `{name}` | {listed} |")
    return "\n".join(rows) + "\n"


README = OUTPUT.parents[1] / "README.md"
_TABLE_RE = re.compile(r"^\| provider \| probes \|\n(?:\|.*\n?)*", re.M)


def update_readme(text: str) -> str:
    """README text with the table of its "## Providers" section regenerated."""
    head, sep, rest = text.partition("## Providers")
    if not sep:
        raise ValueError("README.md has no '## Providers' section")
    section, nxt, tail = rest.partition("\n## ")
    if _TABLE_RE.search(section):
        section = _TABLE_RE.sub(lambda _: readme_table(), section, count=1)
    else:
        section = section.rstrip("\n") + "\n\n" + readme_table()
    return head + sep + section + nxt + tail


def main(argv: list[str] | None = None) -> int:
    """Write docs/providers.md, or with --check report whether it is stale."""
    parser = argparse.ArgumentParser(prog="python -m pcapprobe.probes.docs")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if docs/providers.md is not up to date")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="file to write")
    parser.add_argument("--readme", type=Path, nargs="?", const=README, default=None,
                        help="also regenerate README.md's provider table")
    args = parser.parse_args(argv)
    if args.readme is not None and not args.check:
        args.readme.write_text(update_readme(args.readme.read_text()))
    text = render()
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            sys.stderr.write(f"{args.output} is stale: "
                             "run python -m pcapprobe.probes.docs\n")
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
