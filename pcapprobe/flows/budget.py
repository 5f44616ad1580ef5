"""One memory budget for the protocol state of a run (``--state-size``).

A capture's size does not bound what the tables of a run hold: a SYN scan
opens a connection per packet, a one-sided mirror leaves every iSCSI task and
RPC call unanswered, LOOKUP replies name new file handles forever.  Every
table whose entries come from the traffic (TCP connections, in Python and in
the C tracker, and their endpoints in time-wait; iSCSI sessions and tasks; RPC calls
awaiting their reply; open FC exchanges; NFS-over-UDP callers; the
file-handle path map; IP fragments) charges the run's one ``StateBudget`` an estimated cost per
entry, and the reassemblers' held bytes have a share of it (a
``reassembly.Budget``, which gives up a hole as a gap when full).

The eviction policy is here and nowhere else (``StateBudget.reclaim``): when
the tables' charges pass their share, the entry idle the longest goes first,
whichever table holds it -- embryonic TCP connections (no byte of data yet:
scans, floods, unanswered SYNs) before anything else, as a SYN-cookie-era
stack drops half-open connections first -- until the tables are down to
``LOW_WATER`` of their share.  Each table only keeps its entries in that
order (``AgedTable``) and says what an eviction means for it.  Evictions are
counted per table (``--stats``, layer "state") and reported once at the end
of the run on stderr.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from pcapprobe.flows.reassembly import Budget

if TYPE_CHECKING:
    from pcapprobe.report import Report

MiB = 1024 * 1024
# With every provider enabled, a 4M-packet hostile capture (bench/memory_bench.py)
# then peaks under 256 MB of RSS: the interpreter, the D program and the
# capture's mapped pages take the rest.
DEFAULT_STATE_SIZE = 128 * MiB
MIN_STATE_SIZE = 1 * MiB
REASSEMBLY_SHARE = 4  # the reassemblers may hold 1/4 of the budget
LOW_WATER = 7 / 8  # a reclaim evicts down to this fraction of the tables' share

# Age classes, the first element of an age key: lower goes first.
EMBRYONIC = 0  # a TCP connection that has carried no data
IDLE = 1  # everything else, by its last activity
NEVER = (IDLE + 1, 0)  # an age key greater than any entry's

Age = tuple[int, int]  # (class, capture time of the last activity, ns)


class AgedTable(Protocol):
    """A table charged to the budget, its entries in age order."""

    evicts: str  # what its entries are called in the reports ("tcp connections")

    def oldest(self) -> Age | None:
        """The age key of the entry that would go first; None when empty."""
        ...

    def evict(self, upto: Age, nbytes: int) -> tuple[int, int]:
        """Evict entries in age order, at least one, then while their age key
        is <= ``upto`` and fewer than ``nbytes`` were released: (entries, bytes
        released).  The table releases the bytes from the budget itself."""
        ...


class StateBudget:
    """The run's budget: ``used`` bytes charged by the tables, ``limit`` their
    share of ``size``, ``reassembly`` the reassemblers' share."""

    __slots__ = ("size", "limit", "used", "reassembly", "tables", "evicted", "_reclaiming")

    def __init__(self, size: int = DEFAULT_STATE_SIZE) -> None:
        self.size = size
        self.reassembly = Budget(limit=size // REASSEMBLY_SHARE)
        self.limit = size - self.reassembly.limit
        self.used = 0
        self.tables: list[AgedTable] = []
        self.evicted: dict[str, int] = {}
        self._reclaiming = False

    def register(self, table: AgedTable) -> None:
        self.tables.append(table)

    def charge(self, nbytes: int) -> None:
        """A table took ``nbytes`` more; over the limit, reclaim."""
        self.used += nbytes
        if self.used > self.limit and not self._reclaiming:
            self.reclaim()

    def release(self, nbytes: int) -> None:
        self.used -= nbytes

    def reclaim(self) -> None:
        """Evict the oldest entries of all tables down to LOW_WATER."""
        self._reclaiming = True  # evictions may charge (an app's close)
        try:
            target = int(self.limit * LOW_WATER)
            while self.used > target:
                heads = sorted((age, i) for i, table in enumerate(self.tables)
                               if (age := table.oldest()) is not None)
                if not heads:
                    return
                table = self.tables[heads[0][1]]
                upto = heads[1][0] if len(heads) > 1 else NEVER
                entries, _ = table.evict(upto, self.used - target)
                self.evicted[table.evicts] = self.evicted.get(table.evicts, 0) + entries
        finally:
            self._reclaiming = False

    def report(self, report: Report) -> None:
        """End of run: the evictions in the stats, and one line on stderr."""
        evicted = {name: n for name, n in self.evicted.items() if n}
        if not evicted:
            return
        counts = report.layer("state")
        for name, n in evicted.items():
            counts[f"evicted: {name}"] += n
        what = ", ".join(f"{n} {name}" for name, n in evicted.items())
        report.notice(f"protocol state reached --state-size {format_size(self.size)}: "
                      f"evicted the longest idle: {what}")


def parse_size(text: str) -> int:
    """A size as dtrace writes them (``64m``, ``512k``, ``1g``, bytes)."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    body = text.strip().lower()
    scale = units.get(body[-1:], 1)
    if scale != 1:
        body = body[:-1]
    if not body.isdigit():
        raise ValueError(f"'{text}' is not a size (bytes, or a number with k, m or g)")
    return int(body) * scale


def format_size(size: int) -> str:
    for suffix, scale in (("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10)):
        if size % scale == 0:
            return f"{size // scale}{suffix}"
    return str(size)
