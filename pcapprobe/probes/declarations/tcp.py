"""The tcp provider (Solaris 11.3 DTrace guide, "tcp Provider").

Struct text copied from the guide.  Two repairs, both to Solaris's own tcp.d:
the guide prints ``uintptr tcps_addr`` (the kernel type is ``uintptr_t``), and
``tcph_t`` -- the raw header ``tcp_hdr`` points at -- is not printed in the
guide, so it is declared as illumos ``inet/tcp.h`` has it (byte arrays in wire
order).
"""

from pcapprobe.probes.catalog import declare, provider

declare(
    """
typedef struct tcphdr_s {
        uint8_t th_lport[2];            /* source port */
        uint8_t th_fport[2];            /* destination port */
        uint8_t th_seq[4];              /* sequence number */
        uint8_t th_ack[4];              /* acknowledgement number */
        uint8_t th_offset_and_rsrvd[1]; /* offset to the packet data */
        uint8_t th_flags[1];            /* flags */
        uint8_t th_win[2];              /* window */
        uint8_t th_sum[2];              /* checksum */
        uint8_t th_urp[2];              /* urgent pointer */
} tcph_t;

typedef struct tcpsinfo {
        uintptr_t tcps_addr;
        int tcps_local;       /* is delivered locally, boolean */
        int tcps_active;       /* active open (from here), boolean */
        uint16_t tcps_lport;      /* local port */
        uint16_t tcps_rport;      /* remote port */
        string tcps_laddr;              /* local address, as a string */
        string tcps_raddr;              /* remote address, as a string */
        int32_t tcps_state;/* TCP state. Use inline tcp_state_string[]to convert to string */
        uint32_t tcps_iss;     /* initial sequence # sent */
        uint32_t tcps_suna;     /* sequence # sent but unacked */
        uint32_t tcps_snxt;     /* next sequence # to send */
        uint32_t tcps_rack;     /* sequence # acked */
        uint32_t tcps_rnxt;     /* next sequence # expected */
        uint32_t tcps_swnd;     /* send window size */
        uint32_t tcps_snd_ws;   /* send window scaling */
        uint32_t tcps_rwnd;     /* receive window size */
        uint32_t tcps_rcv_ws;   /* receive window scaling */
        uint32_t tcps_cwnd;             /* congestion window */
        uint32_t tcps_cwnd_ssthresh;    /* threshold for congestion avoidance */
        uint32_t tcps_sack_fack;        /* SACK sequence # acked */
        uint32_t tcps_sack_snxt;        /* next SACK seq # for retransmission */
        uint32_t tcps_rto;              /* round-trip timeout, msec */
        uint32_t tcps_mss;              /* max segment size */
        int tcps_retransmit;            /* retransmit send event, boolean */
} tcpsinfo_t;

typedef struct tcplsinfo {
        int32_t tcps_state;              /* TCP state */
} tcplsinfo_t;

typedef struct tcpinfo {
        uint16_t tcp_sport;             /* source port */
        uint16_t tcp_dport;             /* destination port */
        uint32_t tcp_seq;               /* sequence number */
        uint32_t tcp_ack;               /* acknowledgment number */
        uint8_t tcp_offset;             /* data offset, in bytes */
        uint8_t tcp_flags;              /* flags */
        uint16_t tcp_window;            /* window size */
        uint16_t tcp_checksum;          /* checksum */
        uint16_t tcp_urgent;            /* urgent data pointer */
        tcph_t *tcp_hdr;                /* raw TCP header */
} tcpinfo_t;
"""
)

TCP_ARGS = "pktinfo_t *, csinfo_t *, ipinfo_t *, tcpsinfo_t *, tcpinfo_t *"

provider(
    "tcp",
    [
        ("tcp", "tcp_output", "send", TCP_ARGS),
        ("tcp", "tcp_input", "receive", TCP_ARGS),
        ("tcp", "tcp_set_state", "state-change",
         "void, csinfo_t *, void, tcpsinfo_t *, void, tcplsinfo_t *"),
        ("tcp", "tcp_connect", "connect-request", TCP_ARGS),
        ("tcp", "tcp_input", "connect-established", TCP_ARGS),
        ("tcp", "tcp_input", "connect-refused", TCP_ARGS),
        ("tcp", "tcp_input", "accept-established", TCP_ARGS),
        ("tcp", "tcp_output", "accept-refused", TCP_ARGS),
    ],
    doc="TCP segments sent and received, state changes and connection events of the local host(s).",
)
