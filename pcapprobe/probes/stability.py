"""Provider stability attributes, as ``dtrace -l -v`` prints them.

Each provider declares five attributes (provider, module, function, name,
arguments), each a name stability, a data stability and a dependency class
(``dtrace_pattr_t``).  The seeds' stability tables give ip, tcp and udp in
full and io up to its arguments' class; the rest, and io's argument class,
come from illumos: dtrace.c ``dtrace_provider_attr`` (dtrace), profile.c
``profile_attr``, sdt_subr.c ``stab_attr`` (ip tcp udp io nfsv3 nfsv4),
``iscsi_attr`` (iscsi) and ``fc_attr`` (fc srp).
"""

from __future__ import annotations

from dataclasses import dataclass

from pcapprobe.probes.catalog import Probe

# sys/dtrace.h DTRACE_STABILITY_* and DTRACE_CLASS_*, in increasing order
# (dtrace_stability_name and dtrace_class_name print these words).
STABILITIES = ("Internal", "Private", "Obsolete", "External", "Unstable", "Evolving",
               "Stable", "Standard")
CLASSES = ("Unknown", "CPU", "Platform", "Group", "ISA", "Common")


@dataclass(frozen=True, slots=True)
class Attribute:
    """One dtrace_attribute_t: name stability, data stability, dependency class."""

    names: str
    data: str
    dependency: str

    def __and__(self, other: Attribute) -> Attribute:
        """dt_attr_min: the lesser of each of the three, separately."""
        return Attribute(
            min(self.names, other.names, key=STABILITIES.index),
            min(self.data, other.data, key=STABILITIES.index),
            min(self.dependency, other.dependency, key=CLASSES.index),
        )


@dataclass(frozen=True, slots=True)
class ProviderAttributes:
    """One dtrace_pattr_t."""

    provider: Attribute
    module: Attribute
    function: Attribute
    name: Attribute
    args: Attribute


def _pattr(*rows: tuple[str, str, str]) -> ProviderAttributes:
    return ProviderAttributes(*(Attribute(*row) for row in rows))


_PRIVATE = ("Private", "Private", "Unknown")
_EVOLVING_ISA = ("Evolving", "Evolving", "ISA")
_STABLE_COMMON = ("Stable", "Stable", "Common")
_EVOLVING_COMMON = ("Evolving", "Evolving", "Common")

_DTRACE = _pattr(_STABLE_COMMON, _PRIVATE, _PRIVATE, _STABLE_COMMON, _STABLE_COMMON)
_PROFILE = _pattr(_EVOLVING_COMMON, ("Unstable", "Unstable", "Unknown"), _PRIVATE,
                  _EVOLVING_COMMON, _EVOLVING_COMMON)
_SDT_STABLE = _pattr(_EVOLVING_ISA, _PRIVATE, _PRIVATE, _EVOLVING_ISA, _EVOLVING_ISA)
_SDT_PRIVATE_NAMES = _pattr(_EVOLVING_ISA, _PRIVATE, _PRIVATE, ("Private", "Private", "ISA"),
                            _EVOLVING_ISA)

PROVIDER_ATTRIBUTES: dict[str, ProviderAttributes] = {
    "dtrace": _DTRACE,
    "profile": _PROFILE,
    "ip": _SDT_STABLE,
    "tcp": _SDT_STABLE,
    "udp": _SDT_STABLE,
    "io": _SDT_STABLE,
    "nfsv3": _SDT_STABLE,
    "nfsv4": _SDT_STABLE,
    "iscsi": _SDT_PRIVATE_NAMES,
    "fc": _SDT_PRIVATE_NAMES,
    "srp": _SDT_PRIVATE_NAMES,
}


def probe_attributes(probe: Probe) -> tuple[Attribute, Attribute]:
    """dt_probe_info for a listed probe: the description attributes are the
    least of the provider's and those of each field the probe has (an empty
    module or function counts as unspecified); then the argument attributes."""
    pattr = PROVIDER_ATTRIBUTES[probe.provider]
    attr = pattr.provider
    if probe.module:
        attr = attr & pattr.module
    if probe.function:
        attr = attr & pattr.function
    return attr & pattr.name, pattr.args


def attribute_block(title: str, attr: Attribute) -> str:
    """One block of dtrace.c print_probe_info."""
    return (f"\n\t{title}\n"
            f"\t\tIdentifier Names: {attr.names}\n"
            f"\t\tData Semantics:   {attr.data}\n"
            f"\t\tDependency Class: {attr.dependency}\n")
