"""The IP layer of the pipeline: the Ethernet/IPv4 shortcut, the ip argument
objects and the garbage collector policy of a run."""

from __future__ import annotations

import gc
import io
from collections.abc import Hashable
from typing import Any

from fixtures.gen import ETH_IPV6, ethernet, ipv4, ipv6, udp
from pcapprobe.capture.frame import Frame
from pcapprobe.pipeline import GC_THRESHOLDS, LocalHosts, Pipeline, RunContext
from pcapprobe.probes import catalog
from pcapprobe.probes.catalog import Probe
from pcapprobe.probes.translators.ip import NULL_IPV4, NULL_IPV6
from pcapprobe.report import Report

VLAN = 0x8100
UDP = udp(1000, 2000, b"hello")


class Recorder:
    """A sink that keeps every ip:::receive firing."""

    def __init__(self) -> None:
        self.fired: list[tuple[int, tuple, Hashable]] = []

    def handler(self, probe: Probe) -> Any:
        if (probe.provider, probe.name) != ("ip", "receive"):
            return None
        return lambda ts, args, thread: self.fired.append((ts, args, thread))


def feed(*frames: bytes, local: LocalHosts | None = None) -> Recorder:
    catalog.load()
    sink = Recorder()
    pipeline = Pipeline(RunContext(sink, Report(io.StringIO()), local or LocalHosts(all_hosts=True)))
    pipeline.run(Frame(i, 1000 * i, 1, memoryview(data), len(data), None, "t.pcap")
                 for i, data in enumerate(frames, 1))
    pipeline.finish()
    return sink


def test_untagged_and_vlan_tagged_ipv4_fire_alike():
    packet = ipv4("10.0.0.1", "10.0.0.2", 17, UDP, ident=9, ttl=33)
    sink = feed(ethernet(packet), ethernet(packet, vlans=[(VLAN, 5)]))
    (ts1, plain, thread1), (ts2, tagged, thread2) = sink.fired
    assert (ts1, ts2) == (1000, 2000) and thread1 == thread2 == ("10.0.0.1", "10.0.0.2", 17)
    for args in (plain, tagged):
        assert args[2].ip_saddr == "10.0.0.1" and args[2].ip_daddr == "10.0.0.2"
        assert (args[4].ipv4_ttl, args[4].ipv4_ident, args[4].ipv4_protostr) == (33, 9, "UDP")


def test_the_packet_is_its_own_ipinfo_and_ipv4info():
    (_, args, _), = feed(ethernet(ipv4("10.0.0.1", "10.0.0.2", 6, b""))).fired
    assert args[2] is args[4] and args[5] is NULL_IPV6
    assert args[2].ip_ver == 4 and args[2].ip_plength == 0 and args[5].ipv6_saddr == "<null>"


def test_ipv6_packet_is_its_own_ipinfo_and_ipv6info():
    (_, args, _), = feed(ethernet(ipv6("2001:db8::1", "2001:db8::2", 17, UDP), ETH_IPV6)).fired
    assert args[2] is args[5] and args[4] is NULL_IPV4
    assert (args[2].ip_ver, args[5].ipv6_saddr, args[5].ipv6_plen) == (6, "2001:db8::1", len(UDP))


def test_local_addresses_decide_what_fires():
    frames = (ethernet(ipv4("10.0.0.1", "10.0.0.2", 17, UDP)),
              ethernet(ipv4("10.0.0.2", "10.0.0.1", 17, UDP)))
    sink = feed(*frames, local=LocalHosts(["10.0.0.1"]))
    assert [args[2].ip_daddr for _, args, _ in sink.fired] == ["10.0.0.1"]


def test_frame_too_short_for_ethertype_is_a_weird_not_a_crash():
    report = Report(io.StringIO(), quiet_weirds=True)
    pipeline = Pipeline(RunContext(Recorder(), report))
    pipeline.run([Frame(1, 0, 1, memoryview(b"\x02" * 13), 13, None, "t.pcap")])
    assert sum(report.weirds.values()) == 1


def test_collector_policy_applies_during_the_run_only():
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    seen = []

    class Spy(Recorder):
        def handler(self, probe: Probe) -> Any:
            if (probe.provider, probe.name) != ("ip", "receive"):
                return None
            return lambda ts, args, thread: seen.append(gc.get_threshold())

    pipeline = Pipeline(RunContext(Spy(), Report(io.StringIO())))
    data = ethernet(ipv4("10.0.0.1", "10.0.0.2", 17, UDP))
    pipeline.run([Frame(1, 0, 1, memoryview(data), len(data), None, "t.pcap")])
    assert seen == [GC_THRESHOLDS]
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen


class _Terminal(io.StringIO):
    """One stream standing for a terminal that shows stdout and stderr."""


def test_a_packets_message_follows_the_d_output_before_it(tmp_path):
    from fixtures.gen import pcap_bytes, tcp
    from pcapprobe import api
    from pcapprobe.env import Environment

    whole = ethernet(ipv4("192.0.2.1", "192.0.2.2", 6, tcp(1000, 80, 1, 0, 0x02)))
    # the IPv4 header is fine (ip:::receive fires), the TCP header is cut short
    cut = ethernet(ipv4("192.0.2.1", "192.0.2.2", 6, tcp(1000, 80, 1, 0, 0x02)[:12]))
    capture = tmp_path / "cut.pcap"
    capture.write_bytes(pcap_bytes([(1_000_000_000, whole), (2_000_000_000, cut)]))
    screen = _Terminal()
    # tcp:::receive makes the TCP layer decode (and report) the cut header
    program = 'ip:::receive { printf("recv %d\\n", args[2]->ip_plength); } tcp:::receive {}'
    request = api.RunRequest(captures=[str(capture)], sources=[("program", program)],
                             dopts={"quiet": True}, local=["all"])
    api.execute(request, Environment(screen, screen, io.BytesIO(), show_progress=False))
    lines = screen.getvalue().splitlines()
    assert lines[:2] == ["recv 20", "recv 12"]
    assert lines[2].startswith(f"pcapprobe: {capture}: packet 2: TCP header")
