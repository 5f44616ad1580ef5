"""Structs shared by the network and application providers (libdtrace net.d, ip.d).

Text copied from the ip provider section of the Solaris 11.3 DTrace guide.
"""

from pcapprobe.probes.catalog import declare

declare(
    """
typedef struct conninfo {
        string ci_local;        /* local host address */
        string ci_remote;       /* remote host address */
        string ci_protocol;     /* protocol ("ipv4", "ipv6", "ib") */
} conninfo_t;

typedef struct pktinfo {
        uintptr_t pkt_addr;             /* currently always NULL */
} pktinfo_t;

typedef struct csinfo {
        uintptr_t cs_addr;              /* currently always NULL */
        uint64_t cs_cid;                /* connection ID */
        pid_t cs_pid;                   /* associated PID */
        zoneid_t cs_zoneid;             /* associated zoneid */
} csinfo_t;

typedef struct ipinfo {
        uint8_t ip_ver;                 /* IP version (4, 6) */
        uint16_t ip_plength;            /* payload length */
        string ip_saddr;                /* source address */
        string ip_daddr;                /* destination address */
} ipinfo_t;

typedef struct ifinfo {
        string if_name;                /* interface name */
        int8_t if_local;               /* is delivered locally */
        netstackid_t if_ipstack;       /* ipstack ID */
        uintptr_t if_addr;             /* pointer to raw ill_t */
} ifinfo_t;

typedef struct ipv4info {
        uint8_t ipv4_ver;               /* IP version (4) */
        uint8_t ipv4_ihl;               /* header length, bytes */
        uint8_t ipv4_tos;               /* type of service field */
        uint16_t ipv4_length;           /* length (header + payload) */
        uint16_t ipv4_ident;            /* identification */
        uint8_t ipv4_flags;             /* IP flags */
        uint16_t ipv4_offset;           /* fragment offset */
        uint8_t ipv4_ttl;               /* time to live */
        uint8_t ipv4_protocol;          /* next level protocol */
        string ipv4_protostr;           /* next level protocol, as a string */
        uint16_t ipv4_checksum;         /* header checksum */
        ipaddr_t ipv4_src;              /* source address */
        ipaddr_t ipv4_dst;              /* destination address */
        string ipv4_saddr;              /* source address, string */
        string ipv4_daddr;              /* destination address, string */
        uintptr_t ipv4_hdr;             /* pointer to raw header */
} ipv4info_t;

typedef struct ipv6info {
        uint8_t ipv6_ver;               /* IP version (6) */
        uint8_t ipv6_tclass;            /* traffic class */
        uint32_t ipv6_flow;             /* flow label */
        uint16_t ipv6_plen;             /* payload length */
        uint8_t ipv6_nexthdr;           /* next header protocol */
        string ipv6_nextstr;            /* next header protocol, as a string*/
        uint8_t ipv6_hlim;              /* hop limit */
        uint8_t *ipv6_src;              /* source address (in6_addr_t *) */
        uint8_t *ipv6_dst;              /* destination address (in6_addr_t *) */
        string ipv6_saddr;              /* source address, string */
        string ipv6_daddr;              /* destination address, string */
        uintptr_t ipv6_hdr;             /* pointer to raw header */
} ipv6info_t;
"""
)
