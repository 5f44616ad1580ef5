"""Probe descriptions: parsing ``provider:module:function:name`` and matching.

Fields are filled from the right as dtrace(1M) does (``BEGIN`` is the name,
``a:b`` is function and name); empty fields match anything and each field may
be a shell glob (gmatch(3C): ``*``, ``?``, ``[...]``).  ``profile`` probes are
created on demand from their names (``tick-1sec``, ``profile-97``), with the
units of the illumos profile provider (profile.c ``profile_provide``).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from pcapprobe.probes import catalog

# profile.c: suffix -> nanoseconds per unit; "hz" (and no suffix) is a rate.
PROFILE_UNITS: dict[str, int] = {
    "ns": 1, "nsec": 1,
    "us": 1_000, "usec": 1_000,
    "ms": 1_000_000, "msec": 1_000_000,
    "s": 1_000_000_000, "sec": 1_000_000_000,
    "m": 60_000_000_000, "min": 60_000_000_000,
    "h": 3_600_000_000_000, "hour": 3_600_000_000_000,
    "d": 86_400_000_000_000, "day": 86_400_000_000_000,
}
# profile.c profile_interval_min: shorter intervals create no probe.
PROFILE_MIN_NS = 200_000
_PROFILE_NAME = re.compile(r"(tick|profile)-([0-9]+)([a-z]*)")

DTRACE_PROBES = (
    catalog.Probe("dtrace", "", "", "BEGIN", ()),
    catalog.Probe("dtrace", "", "", "END", ()),
    catalog.Probe("dtrace", "", "", "ERROR", ()),
)


@dataclass(frozen=True, slots=True)
class Description:
    """One parsed probe description."""

    provider: str
    module: str
    function: str
    name: str

    def __str__(self) -> str:
        return f"{self.provider}:{self.module}:{self.function}:{self.name}"


def parse_description(text: str) -> Description | None:
    """Split a description into its four fields; None if it has too many."""
    fields = text.split(":")
    if len(fields) > 4:
        return None
    fields = [""] * (4 - len(fields)) + fields
    return Description(*fields)


def profile_interval(name: str) -> int | None:
    """Nanoseconds between firings of ``tick-N[unit]``/``profile-N[unit]``."""
    match = _PROFILE_NAME.fullmatch(name)
    if match is None:
        return None
    count, unit = int(match[2]), match[3]
    if count == 0:
        return None
    if unit in ("", "hz"):
        interval: int | None = 1_000_000_000 // count
    else:
        per = PROFILE_UNITS.get(unit)
        interval = None if per is None else count * per
    if interval is None or interval < PROFILE_MIN_NS:
        return None
    return interval


def _field_matches(pattern: str, value: str) -> bool:
    if pattern == "":
        return True
    if not any(c in pattern for c in "*?[\\"):
        return pattern == value
    return fnmatch.fnmatchcase(value, pattern.replace("[^", "[!"))


def numbered_probes() -> list[catalog.Probe]:
    """Every listed probe in ID order: ID N is element N - 1.

    The one place probe IDs come from (``run`` and ``list`` both use it):
    dtrace:::BEGIN, END and ERROR are 1-3 as in DTrace, then the catalog's
    probes in declaration order, so IDs are stable for a given catalog.
    """
    catalog.load()
    return list(DTRACE_PROBES) + catalog.all_probes()


class ProbeTable:
    """Every probe a program can enable, with DTrace-style stable IDs
    (``numbered_probes``); profile probes get the next IDs when first named.
    """

    def __init__(self) -> None:
        self.probes: list[catalog.Probe] = numbered_probes()
        self.ids: dict[catalog.Probe, int] = {p: i + 1 for i, p in enumerate(self.probes)}
        self.intervals: dict[catalog.Probe, int] = {}
        # a description is matched against every probe once per program
        # (scripts repeat descriptions: one clause per statement of a generated script)
        self.matched: dict[Description, list[catalog.Probe]] = {}

    def match(self, desc: Description) -> list[catalog.Probe]:
        """The probes a description enables, in ID order."""
        found = self.matched.get(desc)
        if found is None:
            found = self.matched[desc] = self.match_all(desc)
        return list(found)

    def match_all(self, desc: Description) -> list[catalog.Probe]:
        found = [
            p
            for p in self.probes
            if _field_matches(desc.provider, p.provider)
            and _field_matches(desc.module, p.module)
            and _field_matches(desc.function, p.function)
            and _field_matches(desc.name, p.name)
        ]
        if not found and desc.provider in ("", "profile") and desc.module == "" and desc.function == "":
            profile = self.profile_probe(desc.name)
            if profile is not None:
                found = [profile]
        return found

    def profile_probe(self, name: str) -> catalog.Probe | None:
        interval = profile_interval(name)
        if interval is None:
            return None
        probe = catalog.Probe("profile", "", "", name, ())
        if probe not in self.ids:
            self.probes.append(probe)
            self.ids[probe] = len(self.probes)
            self.intervals[probe] = interval
        return probe
