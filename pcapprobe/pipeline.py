"""The layers of a run: frames -> link layer -> IP (+ reassembly) -> upper layers.

Every dispatch table is a plain dict filled by hand in ``build_layers()``: adding
a link type, an ethertype or an IP protocol is one line there (see
docs/architecture.md "IP layer").  ``DissectError`` is caught once per frame in
``Pipeline.feed`` and becomes a named weird; anything else is a bug and escapes.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Hashable, Iterable, Iterator, Sized
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from pcapprobe.dissectors import ethernet, null, sll
from pcapprobe.dissectors._reader import Truncated
from pcapprobe.dissectors._reader import DissectError
from pcapprobe.dissectors.ipv4 import IpPacket
from pcapprobe.dissectors.ipv4 import decode as decode_ipv4
from pcapprobe.dissectors.ipv6 import decode as decode_ipv6
from pcapprobe import iblinks
from pcapprobe._fastpath import FlowIndex
from pcapprobe.capture import linktypes
from pcapprobe.capture.frame import Frame
from pcapprobe.flows.budget import StateBudget
from pcapprobe.flows.ipfrag import Reassembler
from pcapprobe.probes import catalog
from pcapprobe.probes.catalog import Probe
from pcapprobe.probes.constants import IPPROTO_TCP, IPPROTO_UDP
from pcapprobe.probes.translators.ip import IpTranslator
from pcapprobe.report import Counts, Report

__all__ = ["IpPacket", "LocalHosts", "Layers", "Pipeline", "RunContext", "build_layers"]

Fire = Callable[[int, tuple, Hashable], None]
LinkHandler = Callable[[Frame], None]
EtherHandler = Callable[[Frame, memoryview, int], None]
IpHandler = Callable[[IpPacket], None]


class ProbeSink(Protocol):
    def handler(self, probe: Probe) -> Fire | None: ...


class Driver(Protocol):
    """What the packet loop needs from a D program (docs/architecture.md
    "The D engine API")."""

    exited: bool
    next_tick_ns: int  # advance() is due once a frame's time reaches it
    pending: Sized  # the output held while output is held (true when any); flush() writes it

    def advance(self, ts_ns: int) -> None: ...
    def hold_output(self, hold: bool = True) -> None: ...
    def flush(self) -> None: ...


class NoSink:
    """A sink that listens to nothing (pre-passes, decoding-only runs)."""

    def handler(self, probe: Probe) -> Fire | None:
        return None


class LocalHosts:
    """--local: which addresses are "this host" (``all``: every address).
    ``explicit``: the user named them (not inferred by ``auto``)."""

    def __init__(self, addrs: Iterable[str] = (), all_hosts: bool = False,
                 explicit: bool = False) -> None:
        self.all = all_hosts
        self.addrs = frozenset(addrs)
        self.explicit = explicit

    def is_local(self, addr: str) -> bool:
        return self.all or addr in self.addrs

    def __repr__(self) -> str:
        return "LocalHosts(all)" if self.all else f"LocalHosts({sorted(self.addrs)})"


@dataclass
class RunContext:
    """What every layer gets: the sink's handlers, the report, perspective, options."""

    sink: ProbeSink
    report: Report
    local: LocalHosts = field(default_factory=lambda: LocalHosts(all_hosts=True))
    options: dict[str, Any] = field(default_factory=dict)
    # Per-run state of the applications (e.g. "oncrpc", "iscsi"), freed with the run.
    apps: dict[str, Any] = field(default_factory=dict)
    # The one memory budget of every protocol-state table (flows/budget.py).
    budget: StateBudget = field(init=False)

    def __post_init__(self) -> None:
        size = self.options.get("state_size")
        self.budget = StateBudget() if size is None else StateBudget(size)

    def handler(self, provider: str, name: str) -> Fire | None:
        """The sink's handler for catalog probe provider:::name, or None."""
        catalog.load()
        probe = catalog.PROVIDERS.get(provider, {}).get(name)
        if probe is None:
            raise KeyError(f"{provider}:::{name} is not in the probe catalog")
        return self.sink.handler(probe)

    def native_handler(self, provider: str, name: str) -> Fire | None:
        """The handler of provider:::name as a NativeProbe (its clauses run in
        C, and it is callable as the handler is) when the sink has one; else
        the sink's handler, or None."""
        fire = self.handler(provider, name)
        native = getattr(self.sink, "native_handler", None)
        if fire is None or native is None:
            return fire
        probe = native(catalog.PROVIDERS[provider][name])
        return fire if probe is None else probe

    def listens_beyond(self, providers: Iterable[str]) -> bool:
        """Whether the sink has a handler for any probe outside ``providers``."""
        skip = frozenset(providers)
        return any(self.sink.handler(p) is not None
                   for p in catalog.all_probes() if p.provider not in skip)


class IpLayer:
    """IPv4/IPv6: fire ip probes per packet, reassemble, dispatch by protocol."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.protocols: dict[int, IpHandler] = {}
        # the set's own __contains__: a C call per packet, not a Python method
        translator = IpTranslator(ctx.native_handler("ip", "send"),
                                  ctx.native_handler("ip", "receive"),
                                  ctx.local.addrs.__contains__, ctx.local.all)
        # the same probes fired by the scanner from C (cext/ip.c), when all native
        self.native = translator.native(ctx.local.addrs)
        self.fire: IpHandler | None = None
        self.ipv4_class = self.ipv6_class = IpPacket
        if translator.enabled:
            # the bound method: calling the object itself costs twice as much
            self.fire = translator.__call__
            # packets are decoded straight into the translator's argument objects
            self.ipv4_class, self.ipv6_class = translator.ipv4_class, translator.ipv6_class
        self.frags = Reassembler(self._weird, budget=ctx.budget)
        self.counts = ctx.report.layer("ip")
        self.frag_counts: Counts | None = None  # created at the first fragment

    def _weird(self, name: str, pkt: IpPacket, detail: str) -> None:
        self.ctx.report.weird(name, pkt.frame, detail)

    def on_ipv4(self, frame: Frame, view: memoryview, off: int) -> None:
        self._deliver(decode_ipv4(frame, frame.ts_ns, view, off, self.ipv4_class))

    def on_ipv6(self, frame: Frame, view: memoryview, off: int) -> None:
        self._deliver(decode_ipv6(frame, frame.ts_ns, view, off, self.ipv6_class))

    def _deliver(self, pkt: IpPacket) -> None:
        """Fire the ip probes, then hand the (reassembled) datagram up."""
        if self.fire is not None:
            self.fire(pkt)
        if pkt.frag is not None:
            self._fragment(pkt)
            return
        handler = self.protocols.get(pkt.proto)
        if handler is not None:
            handler(pkt)

    def ethernet_handler(self, slow: LinkHandler) -> LinkHandler:
        """The Ethernet link handler: untagged IPv4, nearly every frame of most
        captures, is decoded and delivered here in one call (``_deliver``
        inlined); everything else goes to ``slow``.  Saves two calls a packet
        (bench/ip_bench.py: ~3% of the per-packet time)."""
        ip = self
        cls = self.ipv4_class
        header_len = ethernet.HEADER_LEN

        def on_frame(frame: Frame) -> None:
            view = frame.data
            # ethertype 0x0800 at offset 12
            if len(view) > header_len and view[12] == 8 and view[13] == 0:
                pkt = decode_ipv4(frame, frame.ts_ns, view, header_len, cls)
                fire = ip.fire
                if fire is not None:
                    fire(pkt)
                if pkt.frag is not None:
                    ip._fragment(pkt)
                    return
                handler = ip.protocols.get(pkt.proto)
                if handler is not None:
                    handler(pkt)
            else:
                slow(frame)

        return on_frame

    def watch_addresses(self, addrs: Iterable[str]) -> set[str]:
        """The addresses of ``addrs`` no packet has come from or gone to yet; the
        set shrinks as the run goes on.  The check costs a call per packet only
        until every address has been seen (``--local ADDR`` that matches nothing)."""
        missing = set(addrs)
        fire, native = self.fire, self.native

        def watch(pkt: IpPacket) -> None:
            if pkt.src in missing or pkt.dst in missing:
                missing.discard(pkt.src)
                missing.discard(pkt.dst)
                if not missing:
                    self.fire, self.native = fire, native
            if fire is not None:
                fire(pkt)

        if missing:
            # every packet comes here (the scanner takes none) until all are seen
            self.fire, self.native = watch, None
        return missing

    def _fragment(self, pkt: IpPacket) -> None:
        counts = self.frag_counts
        if counts is None:
            counts = self.frag_counts = self.ctx.report.layer("fragments")
        counts["decoded"] += 1
        whole = self.frags.add(pkt)
        if whole is None:
            return
        counts["datagrams reassembled"] += 1
        handler = self.protocols.get(whole.proto)
        if handler is not None:
            handler(whole)

    def on_raw(self, frame: Frame, view: memoryview, off: int) -> None:
        """Bare IP (raw link types, MPLS): the version nibble decides."""
        if off >= len(view):
            raise Truncated(1, 0, "IP header")
        version = view[off] >> 4
        if version == 4:
            self.on_ipv4(frame, view, off)
        elif version == 6:
            self.on_ipv6(frame, view, off)
        else:
            self.counts[f"skipped: IP version {version}"] += 1

    def finish(self) -> None:
        left = self.frags.finish()
        if left:
            self.ctx.report.weirds["ipfrag.incomplete"] += left
            self.ctx.report.layer("fragments")["skipped: datagram incomplete"] += left


@dataclass
class Layers:
    """The dispatch tables of one run."""

    linktypes: dict[int, LinkHandler] = field(default_factory=dict)
    ethertypes: dict[int, EtherHandler] = field(default_factory=dict)
    finishers: list[Callable[[], None]] = field(default_factory=list)
    ip: IpLayer | None = None
    # consumes the records of plain data segments ahead of the layers (flows/tcp.py)
    scanner: FlowIndex | None = None


def _link(decode: Callable[[memoryview, int], tuple[int, int]], layers: Layers,
          counts: Counts) -> LinkHandler:
    """A link-layer handler: decode the header, dispatch by ethertype."""
    ethertypes = layers.ethertypes

    def on_frame(frame: Frame) -> None:
        view = frame.data
        ethertype, off = decode(view, 0)
        handler = ethertypes.get(ethertype)
        if handler is None:
            counts[f"skipped: ethertype 0x{ethertype:04x}"] += 1
        else:
            handler(frame, view, off)

    return on_frame


def _rdma_layer(ctx: RunContext) -> Any:
    """The run's RDMA layer (InfiniBand, RoCE) when a protocol over it listens."""
    if not ctx.listens_beyond(("ip", "tcp", "udp")):
        return None
    from pcapprobe.flows.rdma import RdmaLayer  # its applications cost start-up time

    return RdmaLayer.of(ctx)


def build_layers(ctx: RunContext) -> Layers:
    """Every table of the run, written out by hand: one line per protocol."""
    layers = Layers()
    link_counts = ctx.report.layer("link")
    ip = layers.ip = IpLayer(ctx)

    layers.ethertypes[ethernet.ETHERTYPE_IPV4] = ip.on_ipv4
    layers.ethertypes[ethernet.ETHERTYPE_IPV6] = ip.on_ipv6

    layers.linktypes[linktypes.LINKTYPE_ETHERNET] = ip.ethernet_handler(
        _link(ethernet.decode, layers, link_counts))
    layers.linktypes[linktypes.LINKTYPE_LINUX_SLL] = _link(sll.decode_v1, layers, link_counts)
    layers.linktypes[linktypes.LINKTYPE_LINUX_SLL2] = _link(sll.decode_v2, layers, link_counts)
    layers.linktypes[linktypes.LINKTYPE_NULL] = _link(null.decode, layers, link_counts)
    layers.linktypes[linktypes.LINKTYPE_LOOP] = _link(null.decode, layers, link_counts)
    rdma = _rdma_layer(ctx)
    if rdma is not None:
        layers.ethertypes[ethernet.ETHERTYPE_ROCE] = rdma.on_roce_v1
    rdma_packets = rdma.on_ib_packet if rdma is not None else None
    layers.linktypes[linktypes.LINKTYPE_ERF] = iblinks.erf_handler(
        layers.ethertypes, link_counts, rdma_packets)
    layers.linktypes[linktypes.LINKTYPE_INFINIBAND] = iblinks.infiniband_handler(
        layers.ethertypes, link_counts, rdma_packets)
    layers.linktypes[linktypes.LINKTYPE_IPOIB] = iblinks.ipoib_handler(
        layers.ethertypes, link_counts)
    for raw in (linktypes.LINKTYPE_RAW, linktypes.LINKTYPE_RAW_OPENBSD,
                linktypes.LINKTYPE_RAW_BSD, linktypes.LINKTYPE_IPV4, linktypes.LINKTYPE_IPV6):
        layers.linktypes[raw] = _raw_ip(ip)

    # everything above IP is left out when only ip probes listen: an ip-only
    # script must not pay for connection tracking
    if ctx.listens_beyond(("ip",)):
        # imported here: the TCP/UDP stack and its applications are a fifth of
        # the start-up time of an ip-only run
        from pcapprobe.flows.tcp import TcpLayer
        from pcapprobe.flows.udp import UdpLayer

        tcp = TcpLayer(ctx)
        udp = UdpLayer(ctx)
        ip.protocols[IPPROTO_TCP] = _counted(tcp.on_packet, "tcp", ctx.report, layers)
        ip.protocols[IPPROTO_UDP] = _counted(udp.on_packet, "udp", ctx.report, layers)
        layers.finishers.append(tcp.finish)
        layers.scanner = tcp.index
        if tcp.index is not None:
            tcp.index.udp_probes = udp.native
        from pcapprobe import fclinks  # FCoE, FIP, FC link types, when fc probes listen

        fclinks.register(layers, ctx)
        if rdma is not None:
            layers.finishers.append(rdma.finish)
            # the scanner hands it RoCE records (udp probes must see RoCEv2)
            if tcp.index is not None and udp.send is None and udp.receive is None:
                tcp.index.rdma = rdma.rc

    elif ip.native is not None:
        # ip probes alone, fired from C: the scanner takes every record it can
        layers.scanner = FlowIndex(DissectError)
    layers.finishers.insert(0, ip.finish)
    return layers


def _counted(handler: IpHandler, layer: str, report: Report, layers: Layers) -> IpHandler:
    """``handler`` counting the packets it took without a DissectError as the
    layer's "decoded" (an int per packet; the count is updated at finish)."""
    n = 0

    def on_packet(pkt: IpPacket) -> None:
        nonlocal n
        handler(pkt)
        n += 1

    def flush() -> None:
        nonlocal n
        report.layer(layer)["decoded"] += n  # 0 too: the layer listened
        n = 0

    report.layer(layer)
    layers.finishers.append(flush)
    return on_packet


# Where a DissectError escaped to the packet loop: the dissector module that
# raised it names the layer whose --stats counts the packet as skipped.
_ERROR_LAYERS = {
    "pcapprobe.dissectors.ethernet": "link", "pcapprobe.dissectors.sll": "link", "pcapprobe.dissectors.null": "link",
    "pcapprobe.dissectors.erf": "link", "pcapprobe.dissectors.infiniband": "link", "pcapprobe.iblinks": "link",
    "pcapprobe.dissectors.ipv4": "ip", "pcapprobe.dissectors.ipv6": "ip", "pcapprobe.pipeline": "ip",
    "pcapprobe.dissectors.tcp": "tcp", "pcapprobe.dissectors.udp": "udp", "pcapprobe.dissectors.oncrpc": "rpc",
}


def _error_layer(exc: DissectError, outer: str = "link") -> str:
    """The layer a DissectError came from (the innermost decoding module)."""
    layer = outer
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module in _ERROR_LAYERS:
            layer = _ERROR_LAYERS[module]
        elif module.startswith(("pcapprobe.dissectors.", "pcapprobe.flows.", "pcapprobe.probes.")) \
                and not module.startswith("pcapprobe.dissectors._"):
            layer = module.rpartition(".")[2]
        tb = tb.tb_next
    return layer


def skip_reason(exc: DissectError) -> str:
    """A stable, short reason for --stats (no byte counts): "IPv4 header
    truncated", "ipv4.bad_version"."""
    if isinstance(exc, Truncated):
        return f"{exc.what or 'data'} truncated"
    return exc.weird if exc.weird != DissectError.weird else str(exc)


def _no_flush() -> None:
    pass


def _raw_ip(ip: IpLayer) -> LinkHandler:
    def on_frame(frame: Frame) -> None:
        ip.on_raw(frame, frame.data, 0)

    return on_frame


# Garbage collector thresholds during a run.  Per packet a run allocates a few
# objects that die at once, but flow state (connections, reassembly buffers,
# sessions) lives long: at the default threshold (700, 10, 10) the collector
# traverses that state again and again, a fifth of a TCP run's time
# (bench/tcp_bench.py's tcp:::receive count, 1M packets: ~10 s -> ~8 s CPU).
# Reference cycles are rare on the packet path, so memory stays bounded.
GC_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def _collector_tuned() -> Iterator[None]:
    """The one place that sets the garbage collector policy of a run."""
    saved = gc.get_threshold()
    # what exists before the first packet (modules, the compiled D program,
    # the tables) lives the whole run: no collection needs to look at it
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*saved)
        gc.unfreeze()


class Pipeline:
    """Feeds frames through the layers of ``build_layers(ctx)``."""

    def __init__(self, ctx: RunContext, layers: Layers | None = None) -> None:
        self.ctx = ctx
        self.layers = layers if layers is not None else build_layers(ctx)
        self.report = ctx.report
        self._linktypes = self.layers.linktypes
        self._link_counts = ctx.report.layer("link")
        self._ip_counts = ctx.report.layer("ip")
        self._unknown_seen: set[tuple[str, int]] = set()
        self._frames = 0  # frames handed to the link layer, for its "decoded"

    def _unknown_linktype(self, frame: Frame) -> None:
        name = linktypes.name(frame.linktype)
        self._link_counts[f"skipped: {name}"] += 1
        key = (frame.source, frame.linktype)
        if key in self._unknown_seen:
            self.report.weirds["link.unknown_linktype"] += 1
            return
        self._unknown_seen.add(key)
        self.report.weird("link.unknown_linktype", frame,
                          f"unsupported {name}; its packets are skipped")

    @property
    def scanner(self) -> FlowIndex | None:
        """What may consume capture records before they become Frames (see
        ``pcapprobe.capture.pcap.ScanSlot``); it counts what it consumed."""
        return self.layers.scanner

    def run(self, frames: Iterable[Frame], driver: Driver | None = None) -> None:
        """Feed every frame.  ``driver`` (the D program) is advanced to each
        frame's time first and stops the run once it has exited."""
        scanner = self.layers.scanner
        if scanner is not None:
            scanner.driver = driver
            scanner.ip_layer = self.layers.ip
            scanner.ip_protocols = frozenset(self.layers.ip.protocols) \
                if self.layers.ip is not None else frozenset(range(256))
            scanner.on_error = self._scanned_error
        with _collector_tuned():
            self._run(frames, driver)

    def _dissect_error(self, frame: Frame, exc: DissectError, outer: str = "link") -> None:
        """A frame the layers could not decode: a weird, counted where it failed
        (``outer``: the layer when no module on the traceback names one)."""
        self.report.weird(exc.weird, frame, str(exc))
        self.report.layer(_error_layer(exc, outer))[f"skipped: {skip_reason(exc)}"] += 1

    def _scanned_error(self, frame: Frame, exc: DissectError) -> None:
        """A DissectError while the scanner streamed a segment: its traceback
        starts in the application, below the connection the Python path
        would have passed through (flows/connection.py)."""
        self._dissect_error(frame, exc, "connection")

    def _run(self, frames: Iterable[Frame], driver: Driver | None) -> None:
        get = self._linktypes.get
        dissect_error = self._dissect_error
        if driver is not None:
            driver.hold_output()
            pending, flush = driver.pending, driver.flush
            # a message about a packet follows the D output that came before it
            self.report.flush_output = flush
        else:
            pending, flush = [], _no_flush
        n = 0
        size = 0
        latest = -1  # the latest frame time (END's timestamp)
        try:
            # the per-packet hot loop: keep it flat
            for frame in frames:
                ts = frame.ts_ns
                if driver is not None and ts >= driver.next_tick_ns:
                    driver.advance(ts)
                    if driver.exited:
                        break
                if ts > latest:
                    latest = ts
                n += 1
                size += frame.wirelen
                handler = get(frame.linktype)
                if handler is None:
                    self._unknown_linktype(frame)
                else:
                    try:
                        handler(frame)
                    except DissectError as exc:
                        dissect_error(frame, exc)
                # this frame's D output, written before the next read may block
                if pending:
                    flush()
        finally:
            scanner = self.layers.scanner
            if scanner is not None:
                latest = max(latest, scanner.latest_ts)
            if driver is not None:
                if latest >= 0:
                    driver.advance(latest)  # no tick is due: just the clock
                driver.hold_output(False)
            self.report.frames += n
            self.report.bytes += size
            self._frames += n

    def finish(self) -> None:
        for finish in self.layers.finishers:
            finish()
        self.ctx.budget.report(self.report)
        scanner = self.layers.scanner
        if scanner is not None:
            # every record the scanner consumed was a whole TCP segment
            self.report.frames += scanner.frames
            self.report.bytes += scanner.bytes
            self._frames += scanner.frames
            if scanner.segments:
                self.report.layer("tcp")["decoded"] += scanner.segments
            if scanner.datagrams:
                self.report.layer("udp")["decoded"] += scanner.datagrams
        # Every frame the link layer did not skip went up to IP, and every IP
        # packet IP did not skip was decoded: no count on the per-packet path.
        link, ip = self._link_counts, self._ip_counts
        link_decoded = self._frames - _skipped(link)
        link["decoded"] += link_decoded
        # frames a non-IP layer took (FC) are the link's, not IP's
        ip["decoded"] += link_decoded - _skipped(ip) - link.get("decoded, not IP", 0)
        self._frames = 0


def _skipped(counts: Counts) -> int:
    return sum(v for k, v in counts.items() if k.startswith("skipped: "))
