"""InfiniBand packet headers and IP over InfiniBand.

IBTA Vol. 1 §7.7 LRH (LNH: 0 raw, 1 IPv6, 2 BTH, 3 GRH + BTH), §8.3 GRH,
§9.2 BTH (opcode table), §9.3 extended transport headers (RDETH, DETH, RETH,
AtomicETH, AETH, AtomicAckETH, ImmDt, IETH; XRCETH from Annex A14), ch. 5 raw
packets (RWH), ch. 13 QP0/QP1 (SMI/GSI MADs).  RFC 4391 §6 IPoIB encapsulation
header (EtherType + 2 reserved bytes), also used by IPoIB-CM over RC/UC (RFC 4755).
``decode_transport`` (BTH + extended headers) is shared with RoCE (BTH over UDP 4791).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pcapprobe.dissectors._reader import Malformed, Reader, Truncated

LRH_LEN = 8
GRH_LEN = 40
BTH_LEN = 12
RWH_LEN = 4
IPOIB_HEADER_LEN = 4  # RFC 4391 §6
ICRC_LEN = 4  # counted in LRH PktLen (§7.7.7); VCRC (2) is not

LNH_RAW = 0  # raw header (RWH: EtherType) follows the LRH
LNH_IPV6 = 1  # "IP non-IBA transport": an IPv6 header follows the LRH
LNH_IBA_LOCAL = 2  # BTH follows
LNH_IBA_GLOBAL = 3  # GRH then BTH

# BTH OpCode: transport in bits 7-5, operation in bits 4-0 (§9.2.1, Table 38)
IB_TRANSPORT_RC = 0x00
IB_TRANSPORT_UC = 0x20
IB_TRANSPORT_RD = 0x40
IB_TRANSPORT_UD = 0x60
IB_TRANSPORT_CNP = 0x80  # RoCEv2 congestion notification (RoCEv2, Annex A17)
IB_TRANSPORT_XRC = 0xA0
TRANSPORT_NAMES = {IB_TRANSPORT_RC: "RC", IB_TRANSPORT_UC: "UC", IB_TRANSPORT_RD: "RD",
                   IB_TRANSPORT_UD: "UD", IB_TRANSPORT_CNP: "CNP", IB_TRANSPORT_XRC: "XRC"}

IB_SEND_ONLY = 0x04
IB_SEND_ONLY_IMM = 0x05
IB_QP0 = 0  # SMI: subnet management packets
IB_QP1 = 1  # GSI: general services MADs (CM, SA, ...)
CNP_RESERVED_LEN = 16  # 16 reserved bytes after the BTH of a CNP

# Extended transport header lengths (§9.3, XRCETH Annex A14)
RDETH_LEN = 4
DETH_LEN = 8
XRCETH_LEN = 4
RETH_LEN = 16
ATOMIC_ETH_LEN = 28
AETH_LEN = 4
ATOMIC_ACK_ETH_LEN = 8
IMMDT_LEN = 4
IETH_LEN = 4

# operation -> (name, headers after the transport-specific ones), §9.2 Table 38
OPERATIONS: dict[int, tuple[str, tuple[str, ...]]] = {
    0x00: ("SEND_FIRST", ()),
    0x01: ("SEND_MIDDLE", ()),
    0x02: ("SEND_LAST", ()),
    0x03: ("SEND_LAST_IMM", ("immdt",)),
    0x04: ("SEND_ONLY", ()),
    0x05: ("SEND_ONLY_IMM", ("immdt",)),
    0x06: ("RDMA_WRITE_FIRST", ("reth",)),
    0x07: ("RDMA_WRITE_MIDDLE", ()),
    0x08: ("RDMA_WRITE_LAST", ()),
    0x09: ("RDMA_WRITE_LAST_IMM", ("immdt",)),
    0x0A: ("RDMA_WRITE_ONLY", ("reth",)),
    0x0B: ("RDMA_WRITE_ONLY_IMM", ("reth", "immdt")),
    0x0C: ("RDMA_READ_REQUEST", ("reth",)),
    0x0D: ("RDMA_READ_RESPONSE_FIRST", ("aeth",)),
    0x0E: ("RDMA_READ_RESPONSE_MIDDLE", ()),
    0x0F: ("RDMA_READ_RESPONSE_LAST", ("aeth",)),
    0x10: ("RDMA_READ_RESPONSE_ONLY", ("aeth",)),
    0x11: ("ACKNOWLEDGE", ("aeth",)),
    0x12: ("ATOMIC_ACKNOWLEDGE", ("aeth", "atomic_ack")),
    0x13: ("CMP_SWAP", ("atomic",)),
    0x14: ("FETCH_ADD", ("atomic",)),
    0x16: ("SEND_LAST_INVALIDATE", ("ieth",)),
    0x17: ("SEND_ONLY_INVALIDATE", ("ieth",)),
}
# operations each transport allows (§9.2 Table 38; UD: SEND only)
_ALLOWED = {
    IB_TRANSPORT_RC: frozenset(OPERATIONS),
    IB_TRANSPORT_XRC: frozenset(OPERATIONS),
    IB_TRANSPORT_UC: frozenset((*range(0x00, 0x0C), 0x16, 0x17)),
    IB_TRANSPORT_RD: frozenset(range(0x00, 0x15)),
    IB_TRANSPORT_UD: frozenset((IB_SEND_ONLY, IB_SEND_ONLY_IMM)),
}
_HEADER_LENS = {"reth": RETH_LEN, "aeth": AETH_LEN, "immdt": IMMDT_LEN, "ieth": IETH_LEN,
                "atomic": ATOMIC_ETH_LEN, "atomic_ack": ATOMIC_ACK_ETH_LEN}
IPOIB_ETHERTYPES = frozenset((0x0800, 0x86DD, 0x0806))  # IPv4, IPv6, ARP (RFC 4391 §6)


@dataclass(slots=True)
class Lrh:
    """Local Route Header (§7.7)."""

    vl: int
    lver: int
    sl: int
    lnh: int
    dlid: int
    pkt_len: int  # 4-byte words from the LRH through the ICRC
    slid: int


@dataclass(slots=True)
class Grh:
    """Global Route Header (§8.3), IPv6-shaped; next_header 0x1B = IBA transport."""

    ip_ver: int
    tclass: int
    flow_label: int
    pay_len: int
    next_header: int
    hop_limit: int
    sgid: bytes
    dgid: bytes


@dataclass(slots=True)
class Bth:
    """Base Transport Header (§9.2)."""

    opcode: int
    se: bool
    m: bool
    pad_cnt: int
    tver: int
    p_key: int
    dest_qp: int
    a: bool
    psn: int

    @property
    def transport(self) -> int:
        return self.opcode & 0xE0

    @property
    def operation(self) -> int:
        return self.opcode & 0x1F

    @property
    def name(self) -> str:
        """``RC SEND_ONLY`` style: transport and operation names."""
        if self.transport == IB_TRANSPORT_CNP:
            return "CNP"
        return f"{TRANSPORT_NAMES[self.transport]} {OPERATIONS[self.operation][0]}"


@dataclass(slots=True)
class Reth:
    """RDMA Extended Transport Header (§9.3)."""

    va: int
    r_key: int
    dma_len: int


@dataclass(slots=True)
class Aeth:
    """ACK Extended Transport Header (§9.3): syndrome and MSN."""

    syndrome: int
    msn: int


@dataclass(slots=True)
class Transport:
    """BTH and the extended headers its opcode brings; ``None`` when absent."""

    bth: Bth
    rdeth_ee_context: int | None = None  # RDETH, RD only
    q_key: int | None = None  # DETH, RD and UD
    src_qp: int | None = None  # DETH
    xrc_srq: int | None = None  # XRCETH
    reth: Reth | None = None
    aeth: Aeth | None = None
    immdt: int | None = None  # ImmDt
    r_key_invalidate: int | None = None  # IETH


@dataclass(slots=True)
class Packet:
    """One InfiniBand packet as far as IPoIB needs: routing, transport, payload."""

    lrh: Lrh
    grh: Grh | None
    transport: Transport | None
    payload: int  # offset of the bytes after the headers
    end: int  # offset after the payload (pad bytes and ICRC excluded)
    ethertype: int | None = None  # raw (RWH) / IPv6 (LNH 1) packets


def decode_lrh(r: Reader) -> Lrh:
    """The 8-byte LRH at the reader's position."""
    if r.remaining < LRH_LEN:
        raise Truncated(LRH_LEN, r.remaining, "InfiniBand LRH")
    b0, b1, dlid, pkt_len, slid = r.u8(), r.u8(), r.u16(), r.u16(), r.u16()
    return Lrh(b0 >> 4, b0 & 0x0F, b1 >> 4, b1 & 0x03, dlid, pkt_len & 0x07FF, slid)


def decode_grh(r: Reader) -> Grh:
    """The 40-byte GRH at the reader's position."""
    if r.remaining < GRH_LEN:
        raise Truncated(GRH_LEN, r.remaining, "InfiniBand GRH")
    word = r.u32()
    pay_len, next_header, hop_limit = r.u16(), r.u8(), r.u8()
    sgid, dgid = bytes(r.take(16)), bytes(r.take(16))
    return Grh(word >> 28, (word >> 20) & 0xFF, word & 0xFFFFF, pay_len, next_header,
               hop_limit, sgid, dgid)


_BTH = struct.Struct(">BBHII")


def decode_bth(r: Reader) -> Bth:
    """The 12-byte BTH at the reader's position (one unpack: RDMA data moves
    in many small packets)."""
    if r.remaining < BTH_LEN:
        raise Truncated(BTH_LEN, r.remaining, "InfiniBand BTH")
    opcode, flags, p_key, dest_qp, apsn = _BTH.unpack_from(r.view, r.pos)
    r.pos += BTH_LEN
    return Bth(opcode, bool(flags & 0x80), bool(flags & 0x40), (flags >> 4) & 0x03,
               flags & 0x0F, p_key, dest_qp & 0xFFFFFF, bool(apsn >> 31), apsn & 0xFFFFFF)


def decode_transport(view: memoryview, off: int = 0) -> tuple[Transport, int]:
    """BTH plus the extended headers its opcode calls for; (headers, payload offset).

    Raises ``Malformed`` (``ib.bad_opcode``) for an opcode its transport does
    not define.
    """
    r = Reader(view, off)
    bth = decode_bth(r)
    t = Transport(bth)
    transport, operation = bth.transport, bth.operation
    if bth.opcode == IB_TRANSPORT_CNP | 0x01:
        r.skip(CNP_RESERVED_LEN, "CNP reserved bytes")
        return t, r.pos
    if operation not in _ALLOWED.get(transport, ()):
        raise Malformed(f"InfiniBand opcode 0x{bth.opcode:02x} not defined", "ib.bad_opcode")
    if transport == IB_TRANSPORT_RD:
        t.rdeth_ee_context = r.sub(RDETH_LEN, "RDETH").u32() & 0xFFFFFF
    if transport in (IB_TRANSPORT_RD, IB_TRANSPORT_UD):
        h = r.sub(DETH_LEN, "DETH")
        t.q_key, t.src_qp = h.u32(), h.u32() & 0xFFFFFF
    if transport == IB_TRANSPORT_XRC:
        t.xrc_srq = r.sub(XRCETH_LEN, "XRCETH").u32() & 0xFFFFFF
    for header in OPERATIONS[operation][1]:
        _extended(r, t, header)
    return t, r.pos


def rc_header_lengths() -> list[int]:
    """Bytes of extended headers after the BTH of each RC operation 0..31 (-1:
    undefined), for the C RC transport (pcapprobe/cext/rdma.c)."""
    allowed = _ALLOWED[IB_TRANSPORT_RC]
    return [sum(_HEADER_LENS[h] for h in OPERATIONS[op][1]) if op in allowed else -1
            for op in range(32)]


def _extended(r: Reader, t: Transport, header: str) -> None:
    if header == "reth":
        h = r.sub(RETH_LEN, "RETH")
        t.reth = Reth(h.u64(), h.u32(), h.u32())
    elif header == "aeth":
        word = r.sub(AETH_LEN, "AETH").u32()
        t.aeth = Aeth(word >> 24, word & 0xFFFFFF)
    elif header == "immdt":
        t.immdt = r.sub(IMMDT_LEN, "ImmDt").u32()
    elif header == "ieth":
        t.r_key_invalidate = r.sub(IETH_LEN, "IETH").u32()
    elif header == "atomic":
        r.skip(ATOMIC_ETH_LEN, "AtomicETH")
    else:  # "atomic_ack"
        r.skip(ATOMIC_ACK_ETH_LEN, "AtomicAckETH")


def decode(view: memoryview, off: int = 0) -> Packet:
    """An InfiniBand packet starting at its LRH (ICRC/VCRC may follow the payload)."""
    r = Reader(view, off)
    lrh = decode_lrh(r)
    # PktLen covers LRH..ICRC; a capture may hold less (snaplen), never trust more
    end = min(len(view), off + lrh.pkt_len * 4 - ICRC_LEN)
    if end < off + LRH_LEN:
        raise Malformed(f"InfiniBand PktLen {lrh.pkt_len} shorter than the LRH",
                        "ib.bad_pkt_len")
    if lrh.lnh == LNH_RAW:
        if r.remaining < RWH_LEN:
            raise Truncated(RWH_LEN, r.remaining, "InfiniBand raw header")
        r.skip(2)  # reserved
        ethertype = r.u16()
        return Packet(lrh, None, None, r.pos, end, ethertype)
    if lrh.lnh == LNH_IPV6:
        return Packet(lrh, None, None, r.pos, end, 0x86DD)
    grh = decode_grh(r) if lrh.lnh == LNH_IBA_GLOBAL else None
    transport, payload = decode_transport(view, r.pos)
    end = max(payload, end - transport.bth.pad_cnt)
    return Packet(lrh, grh, transport, payload, end)


def ipoib_ethertype(view: memoryview, pkt: Packet) -> int | None:
    """The EtherType of an IPoIB SEND-only payload, or None if it is not IPoIB.

    IPoIB travels in UD SEND-only packets (RFC 4391) and, in connected mode,
    RC/UC SEND-only packets (RFC 4755), never to QP0/QP1 (MADs).  QPNs are
    assigned at run time, so like Wireshark the 4-byte header itself is the
    test: reserved bytes zero and an IPv4/IPv6/ARP EtherType.
    """
    t = pkt.transport
    if t is None or t.bth.operation != IB_SEND_ONLY or t.bth.dest_qp in (IB_QP0, IB_QP1):
        return None
    if t.bth.transport not in (IB_TRANSPORT_UD, IB_TRANSPORT_RC, IB_TRANSPORT_UC):
        return None
    if pkt.end - pkt.payload < IPOIB_HEADER_LEN:
        return None
    ethertype = (view[pkt.payload] << 8) | view[pkt.payload + 1]
    if view[pkt.payload + 2] or view[pkt.payload + 3] or ethertype not in IPOIB_ETHERTYPES:
        return None
    return ethertype


def skip_reason(pkt: Packet) -> str:
    """Why a non-IP packet carries nothing for the IP layer (a --stats reason)."""
    t = pkt.transport
    if t is None:
        return "InfiniBand raw packet"
    if t.bth.dest_qp == IB_QP0:
        return f"InfiniBand {t.bth.name} to QP0 (SMP)"
    if t.bth.dest_qp == IB_QP1:
        return f"InfiniBand {t.bth.name} to QP1 (MAD)"
    return f"InfiniBand {t.bth.name}"
