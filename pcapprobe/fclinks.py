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

from dissectors import fc, fcoe
from dissectors._reader import Malformed, Truncated
from pcapprobe.capture import linktypes
from pcapprobe.capture.frame import Frame
from pcapprobe.probes.translators.fc import FcProvider, provider as fc_provider

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
        link_counts[NOT_IP] += taken[0]
        taken[0] = 0

    layers.ethertypes[fcoe.ETHERTYPE_FCOE] = fcoe_handler(provider, taken)
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


def fcoe_handler(provider: FcProvider, taken: list[int]):  # type: ignore[no-untyped-def]
    """Ethertype 0x8906: one FC frame per FCoE PDU."""
    on_frame = provider.on_frame
    report = provider.report
    decode_fcoe = fcoe.decode
    decode_fc = fc.decode

    def on_fcoe(frame: Frame, view: memoryview, off: int) -> None:
        taken[0] += 1
        encap = decode_fcoe(view, off, _wire_end(frame, view))
        if encap.crc_ok is False:
            report.weird("fcoe.bad_crc", frame, "FCoE: FC CRC mismatch")
        on_frame(decode_fc(view, encap.start, encap.end, encap.length), frame.ts_ns, frame)

    return on_fcoe


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
