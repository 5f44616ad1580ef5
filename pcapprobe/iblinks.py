"""Link handlers for ERF (197), InfiniBand (247) and IP over InfiniBand (242).

Each handler decodes its link header with ``dissectors.erf``/``infiniband`` and
hands IP to the run's ethertype table, as ``pipeline._link`` does for Ethernet;
what carries no IP (management datagrams, acknowledgements, other ERF record
types) is counted as skipped with its reason in the link layer's --stats.
"""

from __future__ import annotations

from collections.abc import Callable

from pcapprobe.dissectors import erf, ethernet, infiniband
from pcapprobe.dissectors._reader import Truncated
from pcapprobe.capture.frame import Frame
from pcapprobe.report import Counts

LinkHandler = Callable[[Frame], None]
# The run's RDMA layer (flows/rdma.py): IB packets that carry no IP.
RdmaHandler = Callable[[Frame, memoryview, infiniband.Packet], None]
EtherHandler = Callable[[Frame, memoryview, int], None]
Ethertypes = dict[int, EtherHandler]

# LINKTYPE_IPOIB (242): tcpdump.org names RFC 4391 §6, but tcpdump (print-ipoib.c)
# and Wireshark (packet-ipoib.c) both read a 40-byte pseudo-header (destination
# hardware address, zero-padded) before that 4-byte encapsulation header
IPOIB_PSEUDO_HEADER_LEN = 40


def _deliver(ethertypes: Ethertypes, counts: Counts, frame: Frame, view: memoryview,
             ethertype: int, off: int) -> None:
    handler = ethertypes.get(ethertype)
    if handler is None:
        counts[f"skipped: ethertype 0x{ethertype:04x}"] += 1
    else:
        handler(frame, view, off)


def _infiniband(ethertypes: Ethertypes, counts: Counts, frame: Frame,
                view: memoryview, off: int, rdma: RdmaHandler | None) -> None:
    """An IB packet at ``off``: IPoIB payloads go up, transport packets to the
    RDMA layer when one listens, the rest is counted."""
    pkt = infiniband.decode(view, off)
    if pkt.ethertype is not None:  # raw or IPv6 (non-IBA transport) packet
        _deliver(ethertypes, counts, frame, view, pkt.ethertype, pkt.payload)
        return
    ethertype = infiniband.ipoib_ethertype(view, pkt)
    if ethertype is None:
        if rdma is not None and pkt.transport is not None:
            rdma(frame, view, pkt)  # counted in the rdma layer's --stats
        else:
            counts[f"skipped: {infiniband.skip_reason(pkt)}"] += 1
    else:
        _deliver(ethertypes, counts, frame, view, ethertype,
                 pkt.payload + infiniband.IPOIB_HEADER_LEN)


def infiniband_handler(ethertypes: Ethertypes, counts: Counts,
                       rdma: RdmaHandler | None = None) -> LinkHandler:
    """LINKTYPE_INFINIBAND (247): packets starting at the LRH."""
    def on_frame(frame: Frame) -> None:
        _infiniband(ethertypes, counts, frame, frame.data, 0, rdma)

    return on_frame


def ipoib_handler(ethertypes: Ethertypes, counts: Counts) -> LinkHandler:
    """LINKTYPE_IPOIB (242): pseudo-header, then the RFC 4391 §6 header."""
    header_len = IPOIB_PSEUDO_HEADER_LEN + infiniband.IPOIB_HEADER_LEN

    def on_frame(frame: Frame) -> None:
        view = frame.data
        if len(view) < header_len:
            raise Truncated(header_len, len(view), "IPoIB header")
        off = IPOIB_PSEUDO_HEADER_LEN
        _deliver(ethertypes, counts, frame, view, (view[off] << 8) | view[off + 1], header_len)

    return on_frame


def erf_handler(ethertypes: Ethertypes, counts: Counts,
                rdma: RdmaHandler | None = None) -> LinkHandler:
    """LINKTYPE_ERF (197): one ERF record per pcap record, by ERF type."""
    def on_frame(frame: Frame) -> None:
        view = frame.data
        record_type, off = erf.decode(view)
        if record_type in erf.ETH_TYPES:
            ethertype, off = ethernet.decode(view, off)
            _deliver(ethertypes, counts, frame, view, ethertype, off)
        elif record_type == erf.ERF_TYPE_IPV4:
            _deliver(ethertypes, counts, frame, view, ethernet.ETHERTYPE_IPV4, off)
        elif record_type == erf.ERF_TYPE_IPV6:
            _deliver(ethertypes, counts, frame, view, ethernet.ETHERTYPE_IPV6, off)
        elif record_type == erf.ERF_TYPE_INFINIBAND:
            _infiniband(ethertypes, counts, frame, view, off, rdma)
        else:
            counts[f"skipped: {erf.type_name(record_type)}"] += 1

    return on_frame
