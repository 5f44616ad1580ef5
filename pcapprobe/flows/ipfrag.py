"""IPv4 and IPv6 fragment reassembly (RFC 791 §3.2 "Fragmentation and
Reassembly", RFC 8200 §4.5), bounded in datagrams and bytes, timed out on
capture time.

Datagrams are keyed by (version, source, destination, protocol, identification).
Overlapping data keeps the bytes that arrived first (RFC 5722 would drop the
datagram; captures of old stacks contain benign overlaps, so we keep going and
count a weird).  Fragments cut short by the snap length cannot be reassembled.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from pcapprobe.dissectors.ipv4 import IpPacket

TIMEOUT_NS = 30 * 1_000_000_000  # Linux ipfrag_time default
MAX_PENDING = 1024  # datagrams being reassembled at once
MAX_DATAGRAM = 65535 + 40  # IPv4 total length limit; IPv6 without jumbograms

Weird = Callable[[str, IpPacket, str], None]


class _Pending:
    __slots__ = ("first", "pieces", "total", "started", "cut")

    def __init__(self, started: int) -> None:
        self.first: IpPacket | None = None
        self.pieces: dict[int, bytes] = {}
        self.total = -1
        self.started = started
        # offset -> length on the wire, of the fragments a snap length cut
        self.cut: dict[int, int] = {}


class Reassembler:
    """Collects fragments; ``add()`` returns the whole datagram once complete."""

    def __init__(self, weird: Weird, timeout_ns: int = TIMEOUT_NS,
                 max_pending: int = MAX_PENDING) -> None:
        self.weird = weird
        self.timeout_ns = timeout_ns
        self.max_pending = max_pending
        self.pending: OrderedDict[tuple, _Pending] = OrderedDict()
        self.completed = 0

    def add(self, pkt: IpPacket) -> IpPacket | None:
        """Add one fragment (``pkt.frag`` not None)."""
        assert pkt.frag is not None
        ident, offset, more = pkt.frag
        self._expire(pkt)
        key = (pkt.ipv6, pkt.src, pkt.dst, pkt.proto, ident)
        entry = self.pending.get(key)
        if entry is None:
            if len(self.pending) >= self.max_pending:
                _, oldest = self.pending.popitem(last=False)
                self._drop(oldest, pkt, "ipfrag.overflow", "too many datagrams in reassembly; oldest dropped")
            entry = self.pending[key] = _Pending(pkt.ts_ns)
        data = pkt.payload
        if len(data) < pkt.payload_len:
            entry.cut[offset] = pkt.payload_len  # by the snap length: its tail never comes
        end = offset + max(len(data), pkt.payload_len)
        if end > MAX_DATAGRAM:
            del self.pending[key]
            self.weird("ipfrag.too_large", pkt, f"fragment ends at byte {end}, beyond the largest datagram")
            return None
        if offset == 0:
            entry.first = pkt
        if not more:
            entry.total = end
        if offset in entry.pieces:
            self.weird("ipfrag.overlap", pkt, f"duplicate fragment at offset {offset}")
        else:
            entry.pieces[offset] = bytes(data)
        if entry.total < 0 or entry.first is None:
            return None
        whole = self._assemble(entry)
        if whole is None:
            return None
        del self.pending[key]
        self.completed += 1
        # the datagram takes the time of the fragment that completed it
        first = entry.first
        # cut fragments: the captured front, its length on the wire declared
        out = first.reassembled(whole, entry.total)
        out.ts_ns = pkt.ts_ns
        out.frame = pkt.frame
        return out

    def _assemble(self, entry: _Pending) -> bytes | None:
        """The datagram once every byte was sent in a fragment seen: all of
        it, or (fragments cut by a snap length) the bytes up to the first cut."""
        buf = bytearray(entry.total)
        covered = 0  # sent in the fragments seen
        captured = -1  # end of the captured front, once a cut was met
        for offset in sorted(entry.pieces):
            if offset > covered:
                return None
            piece = entry.pieces[offset]
            end = min(offset + len(piece), entry.total)
            if end > covered and captured < 0:
                buf[covered:end] = piece[covered - offset : end - offset]
            if offset in entry.cut and captured < 0:
                captured = end
            covered = max(covered, min(offset + entry.cut.get(offset, len(piece)), entry.total))
        if covered < entry.total:
            return None
        return bytes(buf if captured < 0 else buf[:captured])

    def _expire(self, now: IpPacket) -> None:
        limit = now.ts_ns - self.timeout_ns
        while self.pending:
            key, entry = next(iter(self.pending.items()))
            if entry.started >= limit:
                return
            del self.pending[key]
            self._drop(entry, now, "ipfrag.timeout", "datagram incomplete after 30 s; fragments dropped")

    def _drop(self, entry: _Pending, at: IpPacket, weird: str, reason: str) -> None:
        self.weird(weird, entry.first or at, reason)

    def finish(self) -> int:
        """Forget incomplete datagrams at end of capture; returns how many."""
        left = len(self.pending)
        self.pending.clear()
        return left
