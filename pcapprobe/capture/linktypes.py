"""Link-layer header type numbers (tcpdump.org "LINKTYPE_" registry).

The readers only carry the number; decoding is chosen by the pipeline's
``build_layers()`` table, so supporting a new link type (FC 224/225, ERF 197,
InfiniBand 247) never touches the readers.  This table only names them.
"""

from __future__ import annotations

LINKTYPE_NULL = 0  # BSD loopback: 4-byte address family in host byte order
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW_OPENBSD = 12  # DLT_RAW on OpenBSD: bare IPv4/IPv6
LINKTYPE_RAW_BSD = 14  # DLT_RAW on BSD/OS
LINKTYPE_RAW = 101  # bare IPv4/IPv6, version from the first nibble
LINKTYPE_LOOP = 108  # OpenBSD loopback: address family in network byte order
LINKTYPE_LINUX_SLL = 113
LINKTYPE_ERF = 197
LINKTYPE_FC_2 = 224
LINKTYPE_FC_2_WITH_FRAME_DELIMS = 225
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_IPOIB = 242  # IP over InfiniBand (RFC 4391 §6 header after a pseudo-header)
LINKTYPE_INFINIBAND = 247
LINKTYPE_LINUX_SLL2 = 276

NAMES: dict[int, str] = {
    LINKTYPE_NULL: "NULL",
    LINKTYPE_ETHERNET: "ETHERNET",
    LINKTYPE_RAW_OPENBSD: "RAW",
    LINKTYPE_RAW_BSD: "RAW",
    LINKTYPE_RAW: "RAW",
    LINKTYPE_LOOP: "LOOP",
    LINKTYPE_LINUX_SLL: "LINUX_SLL",
    LINKTYPE_ERF: "ERF",
    LINKTYPE_FC_2: "FC_2",
    LINKTYPE_FC_2_WITH_FRAME_DELIMS: "FC_2_WITH_FRAME_DELIMS",
    LINKTYPE_IPV4: "IPV4",
    LINKTYPE_IPV6: "IPV6",
    LINKTYPE_IPOIB: "IPOIB",
    LINKTYPE_INFINIBAND: "INFINIBAND",
    LINKTYPE_LINUX_SLL2: "LINUX_SLL2",
}


def register(number: int, name: str) -> None:
    """Name a link type that a later layer decodes."""
    NAMES.setdefault(number, name)


def name(number: int) -> str:
    """``LINKTYPE_ETHERNET (1)`` style label for messages."""
    return f"LINKTYPE_{NAMES[number]} ({number})" if number in NAMES else f"link type {number}"
