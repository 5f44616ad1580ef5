"""IPv4/IPv6 reassembly: order, overlaps, bounds, timeouts."""

from __future__ import annotations

from pcapprobe.dissectors import ipv4, ipv6
from fixtures.gen import ipv4 as build4, ipv6 as build6, ipv6_fragment
from pcapprobe.flows.ipfrag import Reassembler

BODY = bytes(range(256)) * 8  # 2048 bytes


def frag4(off, end, more, ident=1, ts=0):
    return ipv4.decode(None, ts, memoryview(build4("1.1.1.1", "2.2.2.2", 17, BODY[off:end],
                                                   ident=ident, mf=more, offset=off)), 0)


def collector():
    weirds = []
    return Reassembler(lambda name, pkt, detail: weirds.append(name)), weirds


def test_out_of_order_fragments_reassemble_once():
    r, weirds = collector()
    assert r.add(frag4(1600, 2048, False)) is None
    assert r.add(frag4(0, 800, True)) is None
    whole = r.add(frag4(800, 1600, True, ts=5))
    assert whole is not None and bytes(whole.payload) == BODY
    assert whole.frag is None and whole.proto == 17 and whole.ts_ns == 5
    assert weirds == [] and r.pending == {}


def test_duplicate_fragment_counts_a_weird_and_first_data_wins():
    r, weirds = collector()
    r.add(frag4(0, 800, True))
    r.add(frag4(0, 800, True))
    whole = r.add(frag4(800, 2048, False))
    assert bytes(whole.payload) == BODY and weirds == ["ipfrag.overlap"]


def test_overlapping_fragments():
    r, _ = collector()
    r.add(frag4(0, 1000, True))
    whole = r.add(frag4(800, 2048, False))
    assert bytes(whole.payload) == BODY


def test_timeout_drops_incomplete_datagram():
    r, weirds = collector()
    r.add(frag4(0, 800, True, ident=9, ts=0))
    r.add(frag4(0, 800, True, ident=10, ts=31 * 10**9))
    assert weirds == ["ipfrag.timeout"] and len(r.pending) == 1
    assert r.finish() == 1


def test_pending_datagrams_are_bounded():
    weirds = []
    r = Reassembler(lambda name, pkt, detail: weirds.append(name), max_pending=4)
    for ident in range(10):
        r.add(frag4(0, 800, True, ident=ident))
    assert len(r.pending) == 4 and weirds.count("ipfrag.overflow") == 6


def test_snaplen_cut_fragment_completes_as_its_captured_front():
    r, _ = collector()
    data = build4("1.1.1.1", "2.2.2.2", 17, BODY[:800], ident=3, mf=True)[:100]
    r.add(ipv4.decode(None, 0, memoryview(data), 0))
    out = r.add(frag4(800, 2048, False, ident=3))
    # every byte was sent in a fragment seen: the bytes before the cut, and
    # the datagram's length on the wire
    assert out is not None and bytes(out.payload) == BODY[:80] and out.payload_len == 2048


def test_snaplen_cut_fragment_with_a_missing_one_never_completes():
    r, _ = collector()
    data = build4("1.1.1.1", "2.2.2.2", 17, BODY[:800], ident=3, mf=True)[:100]
    r.add(ipv4.decode(None, 0, memoryview(data), 0))
    assert r.add(frag4(1024, 2048, False, ident=3)) is None


def test_ipv6_fragments():
    r, _ = collector()
    parts = [(0, 1024, True), (1024, 2048, False)]
    out = None
    for off, end, more in parts:
        data = build6("2001:db8::1", "2001:db8::2", 44, ipv6_fragment(17, 77, off, more) + BODY[off:end])
        out = r.add(ipv6.decode(None, 0, memoryview(data), 0))
    assert out is not None and bytes(out.payload) == BODY and out.ipv6
