"""D inline constants of the network providers, as plain data.

Names and values are Solaris's (illumos ``usr/src/lib/libdtrace/common/tcp.d``,
``ip.d`` and ``uts/common/inet/tcp.h``); users' scripts depend on them, so
nothing here is renamed.  The D engine turns these tables into inlines; the
flow code uses the same ``TCPS_*`` numbers for ``tcps_state``.
"""

# Solaris TCP states (inet/tcp.h): negative values are the states before a
# connection is synchronised, so ``tcps_state >= TCPS_ESTABLISHED`` means
# "synchronised" exactly as in the kernel.
TCPS_CLOSED = -6
TCPS_IDLE = -5
TCPS_BOUND = -4
TCPS_LISTEN = -3
TCPS_SYN_SENT = -2
TCPS_SYN_RCVD = -1
TCPS_ESTABLISHED = 0
TCPS_CLOSE_WAIT = 1
TCPS_FIN_WAIT_1 = 2
TCPS_CLOSING = 3
TCPS_LAST_ACK = 4
TCPS_FIN_WAIT_2 = 5
TCPS_TIME_WAIT = 6

# tcp.d: inline int32_t TCP_STATE_* = TCPS_*.
TCP_STATES: dict[str, int] = {
    "TCP_STATE_CLOSED": TCPS_CLOSED,
    "TCP_STATE_IDLE": TCPS_IDLE,
    "TCP_STATE_BOUND": TCPS_BOUND,
    "TCP_STATE_LISTEN": TCPS_LISTEN,
    "TCP_STATE_SYN_SENT": TCPS_SYN_SENT,
    "TCP_STATE_SYN_RECEIVED": TCPS_SYN_RCVD,
    "TCP_STATE_ESTABLISHED": TCPS_ESTABLISHED,
    "TCP_STATE_CLOSE_WAIT": TCPS_CLOSE_WAIT,
    "TCP_STATE_FIN_WAIT_1": TCPS_FIN_WAIT_1,
    "TCP_STATE_CLOSING": TCPS_CLOSING,
    "TCP_STATE_LAST_ACK": TCPS_LAST_ACK,
    "TCP_STATE_FIN_WAIT_2": TCPS_FIN_WAIT_2,
    "TCP_STATE_TIME_WAIT": TCPS_TIME_WAIT,
}

# tcp.d: inline string tcp_state_string[int32_t] -- state value -> name;
# any other index gives TCP_STATE_UNKNOWN_STRING.
TCP_STATE_STRING: dict[int, str] = {
    TCPS_CLOSED: "state-closed",
    TCPS_IDLE: "state-idle",
    TCPS_BOUND: "state-bound",
    TCPS_LISTEN: "state-listen",
    TCPS_SYN_SENT: "state-syn-sent",
    TCPS_SYN_RCVD: "state-syn-received",
    TCPS_ESTABLISHED: "state-established",
    TCPS_CLOSE_WAIT: "state-close-wait",
    TCPS_FIN_WAIT_1: "state-fin-wait-1",
    TCPS_CLOSING: "state-closing",
    TCPS_LAST_ACK: "state-last-ack",
    TCPS_FIN_WAIT_2: "state-fin-wait-2",
    TCPS_TIME_WAIT: "state-time-wait",
}
TCP_STATE_UNKNOWN_STRING = "<unknown>"

# tcp.d: inline uint8_t TH_* (tcp_flags bits, RFC 793 and RFC 3168).
TH_FIN = 0x01
TH_SYN = 0x02
TH_RST = 0x04
TH_PUSH = 0x08
TH_ACK = 0x10
TH_URG = 0x20
TH_ECE = 0x40
TH_CWR = 0x80
TCP_FLAGS: dict[str, int] = {
    "TH_FIN": TH_FIN,
    "TH_SYN": TH_SYN,
    "TH_RST": TH_RST,
    "TH_PUSH": TH_PUSH,
    "TH_ACK": TH_ACK,
    "TH_URG": TH_URG,
    "TH_ECE": TH_ECE,
    "TH_CWR": TH_CWR,
}

# ip.d: inline short IPPROTO_* (netinet/in.h values).
IPPROTO: dict[str, int] = {
    "IPPROTO_IP": 0,
    "IPPROTO_HOPOPTS": 0,
    "IPPROTO_ICMP": 1,
    "IPPROTO_IGMP": 2,
    "IPPROTO_GGP": 3,
    "IPPROTO_ENCAP": 4,
    "IPPROTO_TCP": 6,
    "IPPROTO_EGP": 8,
    "IPPROTO_PUP": 12,
    "IPPROTO_UDP": 17,
    "IPPROTO_IDP": 22,
    "IPPROTO_IPV6": 41,
    "IPPROTO_ROUTING": 43,
    "IPPROTO_FRAGMENT": 44,
    "IPPROTO_RSVP": 46,
    "IPPROTO_ESP": 50,
    "IPPROTO_AH": 51,
    "IPPROTO_ICMPV6": 58,
    "IPPROTO_NONE": 59,
    "IPPROTO_DSTOPTS": 60,
    "IPPROTO_HELLO": 63,
    "IPPROTO_ND": 77,
    "IPPROTO_EON": 80,
    "IPPROTO_OSPF": 89,
    "IPPROTO_PIM": 103,
    "IPPROTO_SCTP": 132,
    "IPPROTO_RAW": 255,
}
IPPROTO_TCP = IPPROTO["IPPROTO_TCP"]
IPPROTO_UDP = IPPROTO["IPPROTO_UDP"]

# io.d: inline int B_* (b_flags bits of bufinfo_t, Solaris sys/buf.h values).
B_FLAGS: dict[str, int] = {
    "B_BUSY": 0x000001,  # not on the av_forw/back list
    "B_DONE": 0x000002,  # transfer finished
    "B_ERROR": 0x000004,  # transfer aborted; b_error holds the code
    "B_PAGEIO": 0x000010,  # paged I/O request
    "B_PHYS": 0x000020,  # physical (direct) I/O to user memory
    "B_READ": 0x000040,  # read from the device (else write)
    "B_WRITE": 0x000100,  # non-read pseudo-flag
    "B_ASYNC": 0x000400,  # not waited upon
}
B_READ = B_FLAGS["B_READ"]
B_WRITE = B_FLAGS["B_WRITE"]
