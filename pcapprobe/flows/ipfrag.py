"""IPv4 and IPv6 fragment reassembly (RFC 791 §3.2 "Fragmentation and
Reassembly", RFC 8200 §4.5), bounded in datagrams and bytes, timed out on
capture time.

Datagrams are keyed by (version, source, destination, protocol, identification).
Overlapping data keeps the bytes that arrived first (RFC 5722 would drop the
datagram; captures of old stacks contain benign overlaps, so we keep going; a
fragment that brings no new byte counts a weird): only the bytes not held yet
are kept, so a datagram holds at most its 64 KiB however its fragments
overlap.  The datagrams being reassembled are charged to the run's state
budget (flows/budget.py), the oldest evicted first.  Fragments cut short by
the snap length still complete a datagram when every byte was sent in a
fragment seen: it then carries the captured bytes up to the first hole, its
length on the wire declared (the upper layers read the rest as unknown).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable

from pcapprobe.dissectors.ipv4 import IpPacket
from pcapprobe.flows.budget import IDLE, Age, StateBudget

TIMEOUT_NS = 30 * 1_000_000_000  # Linux ipfrag_time default
MAX_PENDING = 1024  # datagrams being reassembled at once
MAX_DATAGRAM = 65535 + 40  # IPv4 total length limit; IPv6 without jumbograms
DATAGRAM_COST = 600  # a datagram's entry, before the bytes it holds
PIECE_COST = 120  # a piece's entries, before its bytes

Weird = Callable[[str, IpPacket, str], None]


class _Pending:
    """One datagram: its pieces, disjoint, and the byte ranges they cover
    (``starts``/``ends``: sorted, merged where they touch).  New bytes that
    start where a piece ends extend it (``tails``: piece end -> its start),
    so fragments overlapping their predecessors make one piece, not one
    per fragment."""

    __slots__ = ("first", "pieces", "tails", "starts", "ends", "total", "started", "cut",
                 "cost")

    def __init__(self, started: int) -> None:
        self.first: IpPacket | None = None
        self.pieces: dict[int, bytearray] = {}
        self.tails: dict[int, int] = {}
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.total = -1
        self.started = started
        # fragment offset -> its end on the wire, of the fragments a snap length cut
        self.cut: dict[int, int] = {}
        self.cost = DATAGRAM_COST

    def keep(self, offset: int, data: memoryview) -> int:
        """Keep the bytes of ``data`` (at ``offset``) not held yet; how many
        (``cost`` grows by them and by any new piece)."""
        starts, ends = self.starts, self.ends
        end = offset + len(data)
        i = bisect_left(ends, offset)  # the first range reaching offset
        j = i
        pos = offset
        kept = 0
        while j < len(starts) and starts[j] <= end:
            if starts[j] > pos:
                kept += self._store(pos, data[pos - offset : starts[j] - offset])
            pos = max(pos, ends[j])
            j += 1
        if pos < end:
            kept += self._store(pos, data[pos - offset :])
        # ranges i..j-1 touch [offset, end): one range now
        low = min(offset, starts[i]) if i < j else offset
        high = max(end, ends[j - 1]) if i < j else end
        starts[i:j] = [low]
        ends[i:j] = [high]
        return kept

    def _store(self, pos: int, chunk: memoryview) -> int:
        start = self.tails.pop(pos, None)
        if start is None:
            start = pos
            self.pieces[pos] = bytearray(chunk)
            self.cost += PIECE_COST
        else:
            self.pieces[start] += chunk
        self.tails[pos + len(chunk)] = start
        self.cost += len(chunk)
        return len(chunk)

    def whole(self) -> bytes | None:
        """The datagram once every byte was sent in a fragment seen: all of it,
        or (fragments cut by a snap length) the captured bytes up to the first hole."""
        if not self.cut:
            if self.starts != [0] or self.ends[0] < self.total:
                return None
            data = b"".join(self.pieces[off] for off in sorted(self.pieces))
            return data[: self.total]
        covered = 0  # sent on the wire in the fragments seen
        for start, end in sorted([*zip(self.starts, self.ends), *self.cut.items()]):
            if start > covered:
                return None
            covered = max(covered, end)
        if covered < self.total:
            return None
        front = self.ends[0] if self.starts and self.starts[0] == 0 else 0
        data = b"".join(self.pieces[off] for off in sorted(self.pieces) if off < front)
        return data[: min(front, self.total)]


class Reassembler:
    """Collects fragments; ``add()`` returns the whole datagram once complete.
    An ``AgedTable`` of the state budget: the datagrams, oldest first."""

    evicts = "fragmented datagrams"

    def __init__(self, weird: Weird, timeout_ns: int = TIMEOUT_NS,
                 max_pending: int = MAX_PENDING, budget: StateBudget | None = None) -> None:
        self.weird = weird
        self.timeout_ns = timeout_ns
        self.max_pending = max_pending
        self.pending: OrderedDict[tuple, _Pending] = OrderedDict()
        self.completed = 0
        self.budget = budget if budget is not None else StateBudget()
        self.budget.register(self)

    def add(self, pkt: IpPacket) -> IpPacket | None:
        """Add one fragment (``pkt.frag`` not None)."""
        assert pkt.frag is not None
        ident, offset, more = pkt.frag
        self._expire(pkt)
        key = (pkt.ipv6, pkt.src, pkt.dst, pkt.proto, ident)
        entry = self.pending.get(key)
        if entry is None:
            if len(self.pending) >= self.max_pending:
                _, oldest = self._pop_oldest()
                self._drop(oldest, pkt, "ipfrag.overflow", "too many datagrams in reassembly; oldest dropped")
            entry = self.pending[key] = _Pending(pkt.ts_ns)
            self.budget.charge(entry.cost)
        data = pkt.payload
        end = offset + max(len(data), pkt.payload_len)
        if len(data) < pkt.payload_len:
            entry.cut[offset] = end  # by the snap length: its tail never comes
        if end > MAX_DATAGRAM:
            self._forget(key)
            self.weird("ipfrag.too_large", pkt, f"fragment ends at byte {end}, beyond the largest datagram")
            return None
        if offset == 0:
            entry.first = pkt
        if not more:
            entry.total = end
        cost = entry.cost
        kept = entry.keep(offset, data)
        if kept:
            self.budget.charge(entry.cost - cost)
        elif data:
            self.weird("ipfrag.overlap", pkt, f"duplicate fragment at offset {offset}")
        if entry.total < 0 or entry.first is None:
            return None
        whole = entry.whole()
        if whole is None or self.pending.get(key) is not entry:  # evicted meanwhile
            return None
        self._forget(key)
        self.completed += 1
        # the datagram takes the time of the fragment that completed it
        first = entry.first
        # cut fragments: the captured front, its length on the wire declared
        out = first.reassembled(whole, entry.total if entry.cut else None)
        out.ts_ns = pkt.ts_ns
        out.frame = pkt.frame
        return out

    def _forget(self, key: tuple) -> None:
        self.budget.release(self.pending.pop(key).cost)

    def _pop_oldest(self) -> tuple[tuple, _Pending]:
        key, entry = self.pending.popitem(last=False)
        self.budget.release(entry.cost)
        return key, entry

    # -- AgedTable (flows/budget.py) ------------------------------------

    def oldest(self) -> Age | None:
        if not self.pending:
            return None
        return IDLE, next(iter(self.pending.values())).started

    def evict(self, upto: Age, nbytes: int) -> tuple[int, int]:
        entries = released = 0
        while self.pending and released < nbytes:
            if entries and (IDLE, next(iter(self.pending.values())).started) > upto:
                break
            _, entry = self._pop_oldest()
            released += entry.cost
            entries += 1
        return entries, released

    def _expire(self, now: IpPacket) -> None:
        limit = now.ts_ns - self.timeout_ns
        while self.pending:
            key, entry = next(iter(self.pending.items()))
            if entry.started >= limit:
                return
            self._forget(key)
            self._drop(entry, now, "ipfrag.timeout", "datagram incomplete after 30 s; fragments dropped")

    def _drop(self, entry: _Pending, at: IpPacket, weird: str, reason: str) -> None:
        self.weird(weird, entry.first or at, reason)

    def finish(self) -> int:
        """Forget incomplete datagrams at end of capture; returns how many."""
        left = len(self.pending)
        while self.pending:
            self._pop_oldest()
        return left
