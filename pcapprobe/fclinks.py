"""The transports of Fibre Channel: FCoE and FIP (Ethertypes 0x8906/0x8914),
the FC link types 224 and 225, each handing FC-2 frames to the run's
``FcProvider`` (FCIP, over TCP, is a stream application: translators/fc.py).

LINKTYPE_FC_2 (224) records start at the Frame_Header and hold no delimiters
(the CRC is taken as absent, as Wireshark's FC dissector reads them);
LINKTYPE_FC_2_WITH_FRAME_DELIMS (225) records hold the SOF ordered set (4
bytes, K28.5 as 0xBC), the frame, its CRC and the EOF ordered set (tcpdump.org
link-type registry).  ERF defines no Fibre Channel record type, so ERF
captures carry FC only inside Ethernet (FCoE) records.
"""

from __future__ import annotations

from collections.abc import Callable

from pcapprobe.dissectors import fc, fcoe
from pcapprobe.dissectors._reader import Malformed, Truncated
from pcapprobe.capture import linktypes
from pcapprobe.capture.frame import Frame
from pcapprobe.probes.translators.fc import FcProvider, provider as fc_provider

LinkHandler = Callable[[Frame], None]
EtherHandler = Callable[[Frame, memoryview, int], None]
ETHERNET_FCOE_MIN = 14 + 2  # Ethernet header and the first FCoE bytes
ORDERED_SET_K28_5 = 0xBC
ORDERED_SET_LEN = 4
NOT_IP = "decoded, not IP"  # link-layer count of the frames FC took (pipeline.finish)


def register(layers, ctx) -> FcProvider | None:  # type: ignore[no-untyped-def]
    """Add the FC transports to a run's tables when an fc probe listens."""
    provider = fc_provider(ctx)
    if not provider.listening:
        return None
    link_counts = ctx.report.layer("link")
    taken = [0]

    def count_fc() -> None:
        link_counts[NOT_IP] += taken[0] + provider.link_frames
        taken[0] = provider.link_frames = 0

    on_fcoe = layers.ethertypes[fcoe.ETHERTYPE_FCOE] = fcoe_handler(provider, taken)
    if layers.scanner is not None:
        # the C scanner hands the provider the FCoE records of FCP frames
        layers.scanner.fc = provider
    layers.linktypes[linktypes.LINKTYPE_ETHERNET] = ethernet_handler(
        layers.linktypes[linktypes.LINKTYPE_ETHERNET], on_fcoe)
    layers.ethertypes[fcoe.ETHERTYPE_FIP] = fip_handler(provider, taken)
    layers.linktypes[linktypes.LINKTYPE_FC_2] = fc2_handler(provider, taken, False)
    layers.linktypes[linktypes.LINKTYPE_FC_2_WITH_FRAME_DELIMS] = fc2_handler(
        provider, taken, True)
    layers.finishers.append(provider.finish)
    layers.finishers.append(count_fc)
    return provider


def _wire_end(frame: Frame, view: memoryview) -> int:
    """Where the frame ended on the wire, in ``view``'s offsets."""
    return len(view) + max(frame.wirelen - len(frame.data), 0)


def fcoe_handler(provider: FcProvider, taken: list[int]) -> EtherHandler:
    """Ethertype 0x8906: one FC frame per FCoE PDU.  The FCP_DATA frames of
    whole PDUs (nearly every frame of a storage capture) skip the FcFrame."""
    on_frame = provider.on_frame
    on_data = provider.on_data
    report = provider.report
    decode_fcoe = fcoe.decode
    decode_fc = fc.decode
    bounds = fcoe.t11_frame_bounds
    header = fc.header_words
    crc_matches = fcoe.crc_matches
    data_word0 = fc.R_CTL_SOL_DATA << 24
    fcp_type = fc.TYPE_FCP

    def on_fcoe(frame: Frame, view: memoryview, off: int) -> None:
        wire_end = _wire_end(frame, view)
        whole = bounds(view, off, wire_end)
        if whole is None:  # pre-T11, cut by the capture, or a bad length
            taken[0] += 1
            encap = decode_fcoe(view, off, wire_end)
            if encap.crc_ok is False:
                report.weird("fcoe.bad_crc", frame, "FCoE: FC CRC mismatch")
            on_frame(decode_fc(view, encap.start, encap.end, encap.length), frame.ts_ns, frame)
            return
        start, crc_at = whole
        if not crc_matches(view, start, crc_at):
            report.weird("fcoe.bad_crc", frame, "FCoE: FC CRC mismatch")
        w0, w1, w2, _, df_ctl, _, ox_id, rx_id, parameter = header(view, start)
        if w0 & 0xFF000000 == data_word0 and w2 >> 24 == fcp_type and not df_ctl:
            on_data(w1 & 0xFFFFFF, w0 & 0xFFFFFF, w2 & 0xFFFFFF, ox_id, rx_id,
                    parameter, crc_at - start - fc.HEADER_LEN, frame.ts_ns)
            return
        taken[0] += 1
        on_frame(decode_fc(view, start, crc_at, crc_at - start), frame.ts_ns, frame)

    return on_fcoe


def ethernet_handler(eth: LinkHandler, on_fcoe: EtherHandler) -> LinkHandler:
    """The Ethernet link handler with untagged FCoE taken first (the generic
    path decodes tagged frames): one call less per frame of an FCoE capture."""
    def on_frame(frame: Frame) -> None:
        view = frame.data
        if len(view) > ETHERNET_FCOE_MIN and view[12] == 0x89 and view[13] == 0x06:
            on_fcoe(frame, view, 14)
        else:
            eth(frame)

    return on_frame


def fip_handler(provider: FcProvider, taken: list[int]):  # type: ignore[no-untyped-def]
    """Ethertype 0x8914: FIP, the virtual links of FCoE."""
    def on_fip(frame: Frame, view: memoryview, off: int) -> None:
        taken[0] += 1
        pkt = fcoe.decode_fip(view, off)
        data = frame.data
        macs = (bytes(data[6:12]), bytes(data[0:6])) if frame.linktype == 1 else (None, None)
        provider.on_fip(pkt, macs[0], macs[1], frame.ts_ns, frame)

    return on_fip


def fc2_handler(provider: FcProvider, taken: list[int], delimited: bool):  # type: ignore[no-untyped-def]
    """LINKTYPE_FC_2 (224) and LINKTYPE_FC_2_WITH_FRAME_DELIMS (225)."""
    on_frame = provider.on_frame

    def on_fc2(frame: Frame) -> None:
        taken[0] += 1
        view = frame.data
        wire_end = _wire_end(frame, view)
        if not delimited:
            on_frame(fc.decode(view, 0, len(view), wire_end), frame.ts_ns, frame)
            return
        start = ORDERED_SET_LEN
        length = wire_end - ORDERED_SET_LEN - fc.CRC_LEN - start
        if len(view) < start + fc.HEADER_LEN:
            raise Truncated(start + fc.HEADER_LEN, len(view), "FC SOF and frame header")
        if view[0] != ORDERED_SET_K28_5:
            raise Malformed(f"SOF ordered set starts 0x{view[0]:02x}", "fc.bad_delimiter")
        end = min(len(view), start + length)
        on_frame(fc.decode(view, start, end, length), frame.ts_ns, frame)

    return on_fc2
