"""The unit every capture reader produces: one captured link-layer frame."""

from __future__ import annotations


class Frame:
    """One captured frame.

    ``index`` is the 1-based packet number within its file (what Wireshark shows
    as frame.number), ``source`` the file name used in messages, ``ifname`` the
    pcapng interface name when the capture has one.
    """

    __slots__ = ("index", "ts_ns", "linktype", "data", "wirelen", "ifname", "source")

    def __init__(
        self,
        index: int,
        ts_ns: int,
        linktype: int,
        data: memoryview,
        wirelen: int,
        ifname: str | None,
        source: str,
    ) -> None:
        self.index = index
        self.ts_ns = ts_ns
        self.linktype = linktype
        self.data = data
        self.wirelen = wirelen
        self.ifname = ifname
        self.source = source

    def __repr__(self) -> str:
        return (
            f"Frame({self.source}#{self.index} ts={self.ts_ns} lt={self.linktype} "
            f"caplen={len(self.data)} len={self.wirelen})"
        )
