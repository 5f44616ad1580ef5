"""The udp provider (Solaris 11.3 DTrace guide, "udp Provider").

Struct text copied from the guide, with one repair: the guide's struct listing
spells the local port ``upds_lport`` while its member table, Solaris's own
udp.d and every script use ``udps_lport``; the working name is declared.
``udpha_t`` (what ``udp_hdr`` points at) is not printed in the guide and is
declared as illumos ``inet/udp_impl.h`` has it.
"""

from pcapprobe.probes.catalog import declare, provider

declare(
    """
typedef struct udpahdr_s {
        uint16_t uha_src_port;          /* source port */
        uint16_t uha_dst_port;          /* destination port */
        uint16_t uha_length;            /* UDP length */
        uint16_t uha_checksum;          /* UDP checksum */
} udpha_t;

typedef struct udpsinfo {
        uintptr_t       udps_addr;
        uint16_t        udps_lport;     /* local port */
        uint16_t        udps_rport;     /* remote port */
        string          udps_laddr;     /* local address, as a string */
        string          udps_raddr;     /* remote address, as a string */
} udpsinfo_t;

typedef struct udpinfo {
        uint16_t udp_sport;             /* source port */
        uint16_t udp_dport;             /* destination port */
        uint16_t udp_length;            /* total length */
        uint16_t udp_checksum;          /* headers + data checksum */
        udpha_t *udp_hdr;               /* raw UDP header */
} udpinfo_t;
"""
)

UDP_ARGS = "pktinfo_t *, csinfo_t *, ipinfo_t *, udpsinfo_t *, udpinfo_t *"

provider(
    "udp",
    [
        ("udp", "udp_send", "send", UDP_ARGS),
        ("udp", "udp_input", "receive", UDP_ARGS),
    ],
    doc="UDP datagrams sent and received by the local host(s).",
)
