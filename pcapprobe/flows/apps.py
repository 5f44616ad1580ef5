"""The registration lists of the application layers carried over TCP, UDP and RDMA.

Each application adds one line here (explicit lists, no auto-import):
``STREAM_APPS`` for TCP (``AppBinding``, see ``flows/framing.py``),
``DATAGRAM_APPS`` for UDP (``DatagramBinding``) and ``RDMA_APPS`` for RDMA
connections (``flows/rdma.py``).  Matching order: the bound
server port first, then each heuristic on the first payload of the flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Protocol

from pcapprobe.dissectors import fcip, iscsi
from pcapprobe.flows import rdma
from pcapprobe.flows.framing import AppBinding
from pcapprobe.probes.translators import fc as fc_translator
from pcapprobe.probes.translators import iscsi as iscsi_translator
from pcapprobe.probes.translators import iser
from pcapprobe.probes.translators import oncrpc
from pcapprobe.probes.translators import srp as srp_translator

if TYPE_CHECKING:
    from pcapprobe.capture.frame import Frame
    from pcapprobe.pipeline import RunContext


class DatagramApp(Protocol):
    """An application fed one call per (reassembled) UDP datagram; ``frame`` is
    the packet that completed it (for the file and packet number of a weird)."""

    def on_datagram(self, payload: memoryview, src: tuple[str, int], dst: tuple[str, int],
                    ipv6: bool, ts_ns: int, frame: Frame) -> None: ...


@dataclass(frozen=True)
class DatagramBinding:
    """How a UDP application is found: ports on either side, or a heuristic.

    ``factory`` is called once per run, the first time a datagram matches; it
    may return None to decline (nothing listens to what the app would fire).
    """

    name: str
    ports: frozenset[int]
    heuristic: Callable[[memoryview], bool] | None
    factory: Callable[["RunContext"], DatagramApp | None]


STREAM_APPS: list[AppBinding] = [
    AppBinding("iscsi", frozenset({iscsi.ISCSI_PORT}), iscsi.heuristic, iscsi_translator.stream_app,
               enabled=iscsi_translator.enabled),
    AppBinding("oncrpc", frozenset({oncrpc.NFS_PORT}), oncrpc.stream_heuristic, oncrpc.stream_app,
               enabled=oncrpc.enabled),
    AppBinding("fcip", frozenset({fcip.FCIP_PORT}), fcip.heuristic, fc_translator.fcip_stream_app,
               enabled=fc_translator.fcip_enabled),
]

DATAGRAM_APPS: list[DatagramBinding] = [
    DatagramBinding("oncrpc", frozenset({oncrpc.NFS_PORT}), oncrpc.datagram_heuristic,
                    oncrpc.datagram_app),
    DatagramBinding(rdma.ROCE_APP, frozenset({rdma.ROCE_V2_PORT}), None, rdma.roce_app),
]

# Protocols over RDMA connections, recognised by the CM REQ's private data.
RDMA_APPS: list[rdma.UpperBinding] = [
    ("srp", srp_translator.carries_login, srp_translator.factory),
    ("iser", iser.iser_service, iser.factory),
]


def stream_by_port(client_port: int, server_port: int) -> AppBinding | None:
    """The binding whose ports hold the server's port (or, failing that, the client's)."""
    for binding in STREAM_APPS:
        if server_port in binding.ports:
            return binding
    for binding in STREAM_APPS:
        if client_port in binding.ports:
            return binding
    return None


def enabled_stream_apps(ctx: RunContext) -> tuple[AppBinding, ...]:
    """The stream bindings a run can use (see ``AppBinding.enabled``)."""
    return tuple(b for b in STREAM_APPS if b.enabled is None or b.enabled(ctx))


def stream_by_heuristic(payload: memoryview,
                        bindings: Iterable[AppBinding]) -> AppBinding | None:
    """The first of ``bindings`` whose heuristic accepts the first payload of a flow."""
    for binding in bindings:
        if binding.heuristic is not None and binding.heuristic(payload):
            return binding
    return None


def datagram_binding(sport: int, dport: int, payload: memoryview) -> DatagramBinding | None:
    """The binding for one datagram: destination port, source port, heuristics."""
    for binding in DATAGRAM_APPS:
        if dport in binding.ports or sport in binding.ports:
            return binding
    for binding in DATAGRAM_APPS:
        if binding.heuristic is not None and binding.heuristic(payload):
            return binding
    return None
