"""The UDP layer: IP packets with protocol 17 -> udp probes and datagram apps.

Fires ``udp:::send`` at a local source and ``udp:::receive`` at a local
destination (both with ``--local all``), once per reassembled datagram, then
hands the payload to the application bound in ``flows/apps.DATAGRAM_APPS``.

When no application can bind (nothing beyond ip, tcp and udp listens) and the
enabled udp probes all compile to NativeProbes, ``native`` is a UdpProbes
(cext/ip.c): the record scanner fires them for the datagrams it takes, and
only the others come here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pcapprobe._fastpath import NativeProbe, UdpProbes
from pcapprobe.dissectors import udp as udp_dissector
from pcapprobe.flows import apps
from pcapprobe.probes.translators.tcp import PKTINFO, IpInfo
from pcapprobe.probes.translators.udp import UDP_CSINFO, UdpInfo, UdpsInfo

if TYPE_CHECKING:
    from pcapprobe.flows.apps import DatagramApp
    from pcapprobe.pipeline import IpPacket, RunContext


class UdpLayer:
    """Registered in pipeline.build_layers as the handler of IP protocol 17."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.is_local = ctx.local.is_local
        self.send = ctx.native_handler("udp", "send")
        self.receive = ctx.native_handler("udp", "receive")
        self.counts = ctx.report.layer("udp")
        self.apps: dict[str, DatagramApp | None] = {}
        # Bindings not yet declined: once every app has declined (nothing
        # listens to them) datagrams are no longer matched at all.
        self.undeclined = len(apps.DATAGRAM_APPS)
        self.native = self._native(ctx)

    def _native(self, ctx: RunContext) -> UdpProbes | None:
        """The probes as the C path fires them, when that is all a datagram
        does: every datagram application fires probes of other providers."""
        handlers = (self.send, self.receive)
        if ctx.listens_beyond(("ip", "tcp", "udp")) \
                or not any(isinstance(h, NativeProbe) for h in handlers) \
                or not all(h is None or isinstance(h, NativeProbe) for h in handlers):
            return None
        return UdpProbes(self.send, self.receive, ctx.local.all, ctx.local.addrs)

    def on_packet(self, pkt: IpPacket) -> None:
        dgram = udp_dissector.decode(pkt.payload)
        ts = pkt.ts_ns
        src, dst = pkt.src, pkt.dst
        send, receive = self.send, self.receive
        if send is not None or receive is not None:
            sport, dport = dgram.sport, dgram.dport
            thread = ("udp", src, sport, dst, dport)
            info = None
            if send is not None and self.is_local(src):
                info = (IpInfo(pkt), UdpInfo(dgram))
                send(ts, (PKTINFO, UDP_CSINFO, info[0], UdpsInfo(src, sport, dst, dport),
                          info[1]), thread)
            if receive is not None and self.is_local(dst):
                if info is None:
                    info = (IpInfo(pkt), UdpInfo(dgram))
                receive(ts, (PKTINFO, UDP_CSINFO, info[0], UdpsInfo(dst, dport, src, sport),
                             info[1]), thread)
        if self.undeclined:
            self._deliver(dgram, pkt)

    def _deliver(self, dgram: udp_dissector.UdpDatagram, pkt: IpPacket) -> None:
        binding = apps.datagram_binding(dgram.sport, dgram.dport, dgram.payload)
        if binding is None:
            return
        name = binding.name
        if name in self.apps:
            app = self.apps[name]
        else:
            app = self.apps[name] = binding.factory(self.ctx)
            if app is None:
                self.undeclined -= 1
        if app is None:
            return  # declined: nothing listens to this application
        self.counts[f"datagrams: {name}"] += 1
        payload = dgram.payload
        length = dgram.length - 8 if dgram.length else pkt.payload_len - 8
        if len(payload) < length:
            # cut by a snap length: the app decodes the captured front, if it can
            front = getattr(app, "on_datagram_front", None)
            if front is not None:
                front(payload, length, (pkt.src, dgram.sport), (pkt.dst, dgram.dport),
                      pkt.ipv6, pkt.ts_ns, pkt.frame)
            return
        app.on_datagram(payload, (pkt.src, dgram.sport), (pkt.dst, dgram.dport),
                        pkt.ipv6, pkt.ts_ns, pkt.frame)
