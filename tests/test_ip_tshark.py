"""Differential tests of the ip provider against tshark on every shared capture.

For each capture in ../shared/captures holding IP:
* ``ip:::receive { @[args[2]->ip_saddr] = count(); }`` with ``--local all``
  counts, per address, exactly what counting the first (outermost) IP source
  address of every frame in tshark gives;
* ``pcapprobe events`` agrees with tshark on TTL/hop limit, identification,
  protocol, lengths, flags and fragment offset of every IP packet, in order.
Every shared capture also runs through the whole pipeline without a traceback.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest

import pcapprobe
from pcapprobe.api import decode_captures
from pcapprobe.env import Environment
from pcapprobe.events import EventsSink
from tests.conftest import require_shared, require_tshark, shared_captures
from tests.tshark import fields

PROGRAM = "ip:::receive { @[args[2]->ip_saddr] = count(); }"
FIELDS = ["frame.protocols", "ip.src", "ipv6.src", "ip.ttl", "ip.id", "ip.proto", "ip.len",
          "ip.hdr_len", "ip.flags", "ip.frag_offset", "ipv6.hlim", "ipv6.nxt", "ipv6.plen"]


def _params() -> list:
    return [pytest.param(c, id=c.name) for c in shared_captures() or [Path("absent")]]


def _first(value: str) -> str:
    return value.split(",")[0]


def tshark_packets(capture: Path) -> list[tuple]:
    """One tuple per frame with IP: the outermost IP header's fields."""
    rows = fields(capture, FIELDS, "ip or ipv6")
    packets = []
    for row in rows:
        row += [""] * (len(FIELDS) - len(row))
        protocols = row[0].split(":")
        outer_v6 = "ipv6" in protocols and ("ip" not in protocols
                                            or protocols.index("ipv6") < protocols.index("ip"))
        v = dict(zip(FIELDS, (_first(x) for x in row)))
        if outer_v6:
            packets.append((v["ipv6.src"], int(v["ipv6.hlim"]), int(v["ipv6.nxt"]),
                            int(v["ipv6.plen"])))
        else:
            packets.append((v["ip.src"], int(v["ip.ttl"]), int(v["ip.id"], 16), int(v["ip.proto"]),
                            int(v["ip.len"]), int(v["ip.hdr_len"]), int(v["ip.flags"], 16),
                            int(v["ip.frag_offset"])))
    return packets


def our_packets(capture: Path) -> tuple[list[tuple], str]:
    out, err = io.StringIO(), io.StringIO()
    decode_captures([str(capture)], EventsSink(out, ["ip"]), Environment(out, err), ["all"])
    packets = []
    for line in out.getvalue().splitlines():
        event = json.loads(line)
        if event["name"] != "receive":
            continue
        ip, v4, v6 = event["args"][2], event["args"][4], event["args"][5]
        if ip["ip_ver"] == 6:
            packets.append((ip["ip_saddr"], v6["ipv6_hlim"], v6["ipv6_nexthdr"], v6["ipv6_plen"]))
        else:
            packets.append((ip["ip_saddr"], v4["ipv4_ttl"], v4["ipv4_ident"], v4["ipv4_protocol"],
                            v4["ipv4_length"], v4["ipv4_ihl"], v4["ipv4_flags"] >> 5,
                            v4["ipv4_offset"] // 8))
    return packets, err.getvalue()


@pytest.mark.parametrize("capture", _params())
def test_receive_counts_per_source_match_tshark(capture):
    require_shared()
    require_tshark()
    expected = Counter(p[0] for p in tshark_packets(capture))
    if not expected:
        pytest.skip(f"{capture.name} holds no IP")
    result = pcapprobe.run(capture, program=PROGRAM, local="all")
    assert result.status == 0, result.errors
    got = {key[0]: value for key, value in result.aggregations[""].items()}
    assert got == dict(expected)


@pytest.mark.parametrize("capture", _params())
def test_header_fields_match_tshark_packet_by_packet(capture):
    require_shared()
    require_tshark()
    expected = tshark_packets(capture)
    got, err = our_packets(capture)
    assert "Traceback" not in err
    assert got == expected


@pytest.mark.parametrize("capture", shared_captures() or [Path("absent")], ids=lambda p: p.name)
def test_every_shared_capture_runs_every_layer_without_traceback(capture):
    require_shared()
    # a D program on a non-ip probe enables every layer above IP as well
    result = pcapprobe.run(capture, program="ip:::send,tcp:::receive,udp:::receive { @ = count(); }",
                           local="auto", quiet=True)
    assert result.status == 0, result.errors
    assert "Traceback" not in result.errors
