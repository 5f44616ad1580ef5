"""Applications bound to TCP connections and UDP datagrams through the pipeline."""

from __future__ import annotations

import pytest

from pcapprobe.flows import apps
from pcapprobe.flows.apps import DatagramBinding
from pcapprobe.flows.framing import AppBinding
from tests.conftest import FIXTURES
from tests.flows.kit import run


class Bytes:
    """A StreamApp taking every 20 bytes as a PDU; records everything."""

    min_header = 1
    instances: list["Bytes"] = []

    def __init__(self, conn) -> None:
        self.conn = conn
        self.pdus: list[tuple[int, bytes]] = []
        self.gaps: list[tuple[int, int]] = []
        self.closed = False
        Bytes.instances.append(self)

    def pdu_length(self, view, direction):
        return 20

    def on_pdu(self, pdu, direction, ts_ns):
        self.pdus.append((direction, bytes(pdu)))

    def on_gap(self, direction, size):
        self.gaps.append((direction, size))

    def on_close(self):
        self.closed = True


@pytest.fixture
def bound(monkeypatch):
    Bytes.instances = []
    monkeypatch.setattr(apps, "STREAM_APPS", [
        AppBinding("bytes", frozenset({2049}), None, Bytes)])
    return Bytes.instances


def test_port_binding_gets_both_directions_in_order(bound):
    run(FIXTURES / "tcp-halfclose.pcap", ("192.0.2.99",))  # no local host: apps still run
    (app,) = bound
    assert app.conn.client == ("10.0.0.1", 40030) and app.conn.server == ("10.0.0.2", 2049)
    assert app.pdus[:2] == [(0, b"q" * 20), (0, b"q" * 20)]
    assert [d for d, _ in app.pdus].count(1) == 30  # 3 x 200 bytes
    assert app.gaps == [] and app.closed


def test_midstream_binding_by_port_resolves_roles(bound):
    run(FIXTURES / "tcp-midstream.pcap")
    (app,) = bound
    assert app.conn.server == ("10.0.0.2", 2049)
    assert b"".join(p for d, p in app.pdus if d == 0) == b"m" * 100
    assert b"".join(p for d, p in app.pdus if d == 1) == b"n" * 60


class Refuser(Bytes):
    """A StreamApp whose length function never accepts a position."""

    def pdu_length(self, view, direction):
        return None


def test_stream_not_opening_with_a_pdu_unbinds_the_flow(monkeypatch):
    # The SYN was captured, so the first bytes open the stream: a protocol that
    # cannot frame them is not on this flow (no resynchronisation per segment).
    Bytes.instances = []
    monkeypatch.setattr(apps, "STREAM_APPS", [
        AppBinding("refuser", frozenset({2049}), None, Refuser)])
    _, report = run(FIXTURES / "tcp-halfclose.pcap", ("192.0.2.99",))
    (app,) = Bytes.instances
    assert app.pdus == [] and app.gaps == [] and app.closed
    assert app.conn.framer is None and app.conn.binding is None
    assert report.layer("tcp")["flows not refuser"] == 1


def test_midstream_flow_resynchronises_instead(monkeypatch):
    # Without the SYN the first bytes seen may be inside a PDU: keep trying.
    Bytes.instances = []
    monkeypatch.setattr(apps, "STREAM_APPS", [
        AppBinding("refuser", frozenset({2049}), None, Refuser)])
    _, report = run(FIXTURES / "tcp-midstream.pcap")
    (app,) = Bytes.instances
    assert app.gaps and app.closed
    assert report.layer("tcp")["flows not refuser"] == 0


def test_heuristic_binding(monkeypatch):
    Bytes.instances = []
    monkeypatch.setattr(apps, "STREAM_APPS", [
        AppBinding("ssh", frozenset(), lambda v: bytes(v[:4]) == b"SSH-", Bytes)])
    run(FIXTURES / "tcp-handshake.pcap")
    (app,) = Bytes.instances
    # 16 client bytes never make a 20-byte PDU; the server's 116 make five
    assert app.pdus[0] == (1, b"SSH-2.0-server\r\nxxxx") and len(app.pdus) == 5
    assert app.gaps == [(0, 16), (1, 16)]


def test_datagram_apps_get_each_payload(monkeypatch):
    seen = []

    class Dns:
        def __init__(self, ctx):
            pass

        def on_datagram(self, payload, src, dst, ipv6, ts_ns, frame):
            seen.append((bytes(payload[:1]), src, dst, ipv6))

    monkeypatch.setattr(apps, "DATAGRAM_APPS", [DatagramBinding("dns", frozenset({53}), None, Dns)])
    run(FIXTURES / "udp.pcap")
    assert seen == [(b"q", ("10.0.0.1", 33000), ("10.0.0.2", 53), False),
                    (b"r", ("10.0.0.2", 53), ("10.0.0.1", 33000), False),
                    (b"q", ("10.0.0.1", 33001), ("10.0.0.2", 53), False),
                    (b"r", ("10.0.0.2", 53), ("10.0.0.1", 33001), False)]
