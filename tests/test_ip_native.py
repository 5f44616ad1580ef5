"""The ip provider fired from C (cext/ip.c) against tshark on every shared capture.

A D program whose clauses are native (run by the scanner for the records it
takes, by the Python IP layer for the others) prints the members of every
ip:::receive firing; per packet, in order, they must be what tshark decodes
from the outermost IP header (tests/test_ip_tshark.py reads the same fields
through ``pcapprobe events``), and the other version's struct must read as
"<null>"/0.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from socket import inet_aton

import pytest

import pcapprobe
from pcapprobe.dlang import Source, compile_program
from pcapprobe.probes import catalog
from pcapprobe.probes.translators.ip import protocol_name
from tests.conftest import require_shared, require_tshark, shared_captures
from tests.test_ip_tshark import tshark_packets
from tests.tshark import fields

PROGRAM = r"""
ip:::receive /args[2]->ip_ver == 4/
{
    printf("4 %s %d %d %d %d %d %d %d %s %d %u %s %s %d %d\n", args[2]->ip_saddr,
        args[4]->ipv4_ttl, args[4]->ipv4_ident, args[4]->ipv4_protocol, args[4]->ipv4_length,
        args[4]->ipv4_ihl, args[4]->ipv4_flags >> 5, args[4]->ipv4_offset / 8,
        args[4]->ipv4_protostr, args[2]->ip_plength, args[4]->ipv4_src,
        args[4]->ipv4_saddr, args[5]->ipv6_saddr, args[5]->ipv6_plen, args[0]->pkt_addr);
}
ip:::receive /args[2]->ip_ver == 6/
{
    printf("6 %s %d %d %d %s %s %s %d %d\n", args[2]->ip_saddr, args[5]->ipv6_hlim,
        args[5]->ipv6_nexthdr, args[5]->ipv6_plen, args[5]->ipv6_nextstr, args[5]->ipv6_saddr,
        args[4]->ipv4_protostr, args[4]->ipv4_ttl, args[1]->cs_cid);
}
"""


def _params() -> list:
    return [pytest.param(c, id=c.name) for c in shared_captures() or [Path("absent")]]


def test_the_program_is_native() -> None:
    program = compile_program([Source("x.d", PROGRAM)], {"quiet": True}, [], io.StringIO(),
                              io.StringIO(), notices=False)
    catalog.load()
    assert program.native_handler(catalog.PROVIDERS["ip"]["receive"]) is not None


def _expected(row: tuple) -> str:
    if len(row) == 4:  # IPv6: source, hop limit, next header, payload length
        src, hlim, nxt, plen = row
        return f"6 {src} {hlim} {nxt} {plen} {protocol_name(nxt)} {src} <null> 0 0"
    src, ttl, ident, proto, length, ihl, flags, offset = row
    raw = struct.unpack("<I", inet_aton(src))[0]
    return (f"4 {src} {ttl} {ident} {proto} {length} {ihl} {flags} {offset} "
            f"{protocol_name(proto)} {length - ihl} {raw} {src} <null> 0 0")


@pytest.mark.parametrize("capture", _params())
def test_native_members_match_tshark_packet_by_packet(capture: Path) -> None:
    require_shared()
    require_tshark()
    expected = [_expected(p) for p in tshark_packets(capture)]
    if not expected:
        pytest.skip(f"{capture.name} holds no IP")
    result = pcapprobe.run(capture, program=PROGRAM, local="all", quiet=True)
    assert "Traceback" not in result.errors
    assert [line for line in result.output.splitlines() if line] == expected


UDP_PROGRAM = r"""
udp:::receive
{
    printf("%s %d %d %d %d %s %s %d %d %d\n", args[2]->ip_saddr, args[4]->udp_sport,
        args[4]->udp_dport, args[4]->udp_length, args[4]->udp_checksum, args[3]->udps_laddr,
        args[3]->udps_raddr, args[3]->udps_lport, args[3]->udps_rport, args[1]->cs_cid);
}
udp:::send
{
    printf("send %s %s %d %d\n", args[3]->udps_laddr, args[3]->udps_raddr, args[3]->udps_lport,
        args[3]->udps_rport);
}
"""
UDP_FIELDS = ["ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "udp.srcport", "udp.dstport",
              "udp.length", "udp.checksum", "ip.flags.mf", "ip.frag_offset"]


def tshark_datagrams(capture: Path) -> list[str]:
    """Per UDP datagram tshark decodes (not one an ICMP error quotes): what
    UDP_PROGRAM prints for it (send fires first)."""
    lines = []
    for row in fields(capture, UDP_FIELDS, "udp and not icmp and not icmpv6"):
        row += [""] * (len(UDP_FIELDS) - len(row))
        v = [value.split(",")[0] for value in row]
        src, dst = v[0] or v[1], v[2] or v[3]
        sport, dport, length, checksum = (int(x, 0) for x in v[4:8])
        lines.append(f"send {src} {dst} {sport} {dport}")
        lines.append(f"{src} {sport} {dport} {length} {checksum} {dst} {src} {dport} {sport} 0")
    return lines


@pytest.mark.parametrize("capture", _params())
def test_native_udp_members_match_tshark_datagram_by_datagram(capture: Path) -> None:
    require_shared()
    require_tshark()
    expected = tshark_datagrams(capture)
    if not expected:
        pytest.skip(f"{capture.name} holds no UDP")
    result = pcapprobe.run(capture, program=UDP_PROGRAM, local="all", quiet=True)
    assert "Traceback" not in result.errors
    assert [line for line in result.output.splitlines() if line] == expected
