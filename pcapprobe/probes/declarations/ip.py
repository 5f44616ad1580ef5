"""The ip provider (Solaris 11.3 DTrace guide, "ip Provider")."""

from pcapprobe.probes.catalog import provider

IP_ARGS = "pktinfo_t *, csinfo_t *, ipinfo_t *, ifinfo_t *, ipv4info_t *, ipv6info_t *"

provider(
    "ip",
    [
        ("ip", "ip_output", "send", IP_ARGS),
        ("ip", "ip_input", "receive", IP_ARGS),
    ],
    doc="IP packets sent and received by the local host(s).",
)
