/* The C TCP engine: what endpoint.c (the tcpsinfo_t state machine), track.c
 * (the connection table of a run without stream applications) and dnative.c
 * (D clauses run natively) share.
 *
 * endpoint.c: Firing and Endpoint, the only implementation of a local TCP
 *   endpoint (pcapprobe/flows/endpoint.py keeps the contract in its docstring).
 *   The Python TCP layer drives endpoints through their methods (on_send,
 *   on_receive, expire_time_wait), the tracker through endpoint_send() etc.
 * track.c: TcpTracker, the TCP layer of a run that tracks endpoints (a tcp
 *   probe is enabled) and in which no stream application can bind:
 *   connections, incarnations, time-wait and sweeps, fed by the record
 *   scanner and by the Python IP layer.  Handlers that are NativeProbes run
 *   without Python; others get Python argument objects made on demand.
 * dnative.c: NativeProbe, the clauses of one probe compiled
 *   (pcapprobe/dlang/passes/native.py) to a program run without Python.
 */
#ifndef PCAPPROBE_TCPCORE_H
#define PCAPPROBE_TCPCORE_H

#include "fastpath.h"

#include <string.h>

/* RFC 9293 §3.1: the fixed header's length and the flags the flow code reads */
#define TCP_HEADER_MIN 20
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

/* a + b in ns, saturated: capture times near the ends of int64 (a pcapng
 * may declare any offset and resolution) never wrap around */
static inline int64_t ns_add(int64_t a, int64_t b)
{
    int64_t sum;
    if (__builtin_add_overflow(a, b, &sum))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return sum;
}

/* The tcp provider's probes, in this order wherever a table is kept per probe. */
enum {
    TCP_SEND,
    TCP_RECEIVE,
    TCP_STATE_CHANGE,
    TCP_CONNECT_REQUEST,
    TCP_CONNECT_ESTABLISHED,
    TCP_CONNECT_REFUSED,
    TCP_ACCEPT_ESTABLISHED,
    TCP_ACCEPT_REFUSED,
    TCP_NPROBES
};

/* Solaris tcps_state values (pcapprobe/probes/constants.py). */
enum {
    TCPS_CLOSED = -6, TCPS_IDLE = -5, TCPS_BOUND = -4, TCPS_LISTEN = -3,
    TCPS_SYN_SENT = -2, TCPS_SYN_RCVD = -1, TCPS_ESTABLISHED = 0, TCPS_CLOSE_WAIT = 1,
    TCPS_FIN_WAIT_1 = 2, TCPS_CLOSING = 3, TCPS_LAST_ACK = 4, TCPS_FIN_WAIT_2 = 5,
    TCPS_TIME_WAIT = 6
};

/* The fixed TCP header (RFC 9293 §3.1), decoded; the options stay raw. */
typedef struct {
    uint16_t sport, dport, window, checksum, urgent;
    uint32_t seq, ack;
    uint32_t datalen;       /* data bytes the segment carried on the wire */
    uint8_t flags;
    int offset;             /* header length in bytes */
    const uint8_t *header;  /* the header as captured, options included ... */
    Py_ssize_t header_len;  /* ... which a snap length may cut below offset */
} TcpSeg;

/* The fixed header at h, as dissectors/tcp.py TcpSegment decodes it: the C
 * path's one TCP header decoder (endpoint.c).  ``captured`` bytes of the
 * segment are there (at least 20), the IP header(s) declare ``declared``. */
void tcp_decode(const uint8_t *h, Py_ssize_t captured, int64_t declared, TcpSeg *seg);

/* The IP datagram of a segment, as tcp/udp probes see it (ipinfo_t). */
typedef struct {
    int ipv6;
    int64_t plength;          /* upper-layer length the IP header(s) declare */
    PyObject *saddr, *daddr;  /* str, borrowed for the firing */
} IpDgram;

/* The options an endpoint uses (dissectors/tcp.py TcpOptions). */
#define TCP_MAX_SACK 4  /* 40 option bytes hold at most four SACK blocks */
typedef struct {
    int mss;           /* 0: absent */
    int wscale;        /* -1: absent; else min(value, 14) */
    int sack_permitted;
    int nsack;
    uint32_t sack[TCP_MAX_SACK][2];
} TcpOpts;

static inline void tcp_opts_clear(TcpOpts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->wscale = -1;
}

/* One segment as the endpoints of its connection see it. */
typedef struct TcpEventS {
    TcpSeg seg;
    const IpDgram *ip;    /* tracker: the datagram; Python path: NULL, except during
                           * native_fire (endpoint.c fills it from the IpInfo) */
    PyObject *py_seg;     /* Python path: the TcpInfo object (args[4]); tracker: NULL */
    PyObject *py_ipinfo;  /* Python path: the IpInfo object or None; tracker: NULL */
    int opts_state;       /* 0 not parsed yet, 1 parsed into opts */
    TcpOpts opts;
    /* tracker: makes py_seg and py_ipinfo when a Python handler is about to
     * be called (endpoint.c calls it first when py_seg is NULL); 0 or -1 */
    int (*make_py)(void *maker, struct TcpEventS *ev);
    void *maker;
} TcpEvent;

struct EndpointObject;

/* What endpoints call back into (one per run's TCP layer).  The Python TCP
 * layer makes it with Firing(handler, time_wait, options, pktinfo, lsinfo,
 * csinfo) as flows/endpoint.py documents; the tracker fills the C hooks. */
typedef struct FiringObject {
    PyObject_HEAD
    /* per probe: None/NULL when nothing listens, a NativeProbe, or a Python
     * callable fire(ts, args, thread) */
    PyObject *handlers[TCP_NPROBES];
    PyObject *time_wait;  /* Python path: time_wait(endpoint, ts) */
    PyObject *options;    /* Python path: options(seg) -> TcpOptions */
    PyObject *pktinfo;    /* args[0] */
    PyObject *lsinfo;     /* dict: state -> tcplsinfo_t object (args[5]) */
    PyObject *csinfo;     /* csinfo factory: csinfo(cid) */
    int estimate;         /* 0: no clause reads an estimated member (skip Reno, SACK) */
    /* Set by the tracker instead of the Python callables above: */
    void *owner;
    int (*c_time_wait)(void *owner, struct EndpointObject *ep, int64_t ts);
    /* fills ev->opts (reporting a malformed list as a weird); 0 or -1 */
    int (*c_options)(void *owner, TcpEvent *ev);
} FiringObject;

/* A hole in the sent sequence space: [lo, hi) never seen, since ``opened``. */
typedef struct {
    int64_t lo, hi, opened;
} TcpHole;

#define TCP_MAX_HOLES 64

/* One local endpoint: its tcpsinfo_t.  Field meanings as flows/endpoint.py. */
typedef struct EndpointObject {
    PyObject_HEAD
    FiringObject *fire;
    long long cid;
    PyObject *csinfo;   /* made on first use (fire->csinfo(cid)) */
    PyObject *thread;   /* ("tcp", cid), made on first use */
    PyObject *laddr, *raddr;  /* str */
    int lport, rport;
    int ipv6, loopback, active, state;
    uint32_t iss, suna, rack, rnxt;
    uint32_t swnd, rwnd;
    int snd_ws, rcv_ws;
    int64_t cwnd, ssthresh;
    int sack_ok;
    uint32_t sack_fack, sack_snxt;
    int64_t rto;
    double srtt, rttvar;
    int retransmit;
    uint32_t sbase;
    int64_t shigh;
    TcpHole *holes;  /* NULL until the first hole */
    int nholes;
    int snd_known, rcv_known;
    int has_fin_end, has_peer_fin_end;
    uint32_t fin_end, peer_fin_end;
    int has_my_opts, has_peer_opts;
    TcpOpts my_opts, peer_opts;
    int has_timed_end;
    uint32_t timed_end;
    int64_t timed_ts;
    int dupacks;
    int has_recover;
    uint32_t recover;
    int64_t tw_expiry;
    int mss;
    int rwnd_known; /* rwnd is the window we last advertised (we sent) */
} EndpointObject;

/* endpoint.c */
extern PyTypeObject Firing_Type;
extern PyTypeObject Endpoint_Type;
int endpoint_add_types(PyObject *module);
/* A Python int time in ns as an int64_t, saturated (Python's are unbounded);
 * 0, or -1 with an exception set when it is not an int. */
int timestamp_from_python(PyObject *obj, int64_t *ts);
/* A new endpoint (a new reference), as Endpoint(fire, cid, laddr, lport,
 * raddr, rport, ipv6, loopback, midstream) makes it. */
EndpointObject *endpoint_new(FiringObject *fire, long long cid, PyObject *laddr, int lport,
                             PyObject *raddr, int rport, int ipv6, int loopback, int midstream);
/* on_send / on_receive / expire_time_wait: 0, or -1 with an exception set. */
int endpoint_send(EndpointObject *ep, TcpEvent *ev, int64_t ts);
int endpoint_receive(EndpointObject *ep, TcpEvent *ev, int64_t ts);
int endpoint_expire_time_wait(EndpointObject *ep, int64_t ts);
/* snxt as D reads it */
uint32_t endpoint_snxt(const EndpointObject *ep);
/* Parse an option list (dissectors/tcp.py parse_options): 0, or 1 when it is
 * malformed (``weird``/``detail`` say why, as the dissector's Malformed). */
int tcp_parse_options(const uint8_t *header, Py_ssize_t len, TcpOpts *out,
                      const char **weird, char *detail, size_t detail_size);

/* dnative.c */
extern PyTypeObject NativeProbe_Type;
int native_add_types(PyObject *module);

/* What an ip firing adds (ifinfo_t, ipv4info_t, ipv6info_t): the packet's
 * fixed header and what ip.c looked up for it (translators/ip.py's rules). */
typedef struct {
    const IpHdr *h;
    PyObject *protostr;   /* borrowed: the next level protocol's name */
    PyObject *if_name;    /* borrowed */
    int if_local;
    int64_t hdr_addr;     /* the ipv4_hdr / ipv6_hdr pseudo-pointer */
    PyObject *null_str;   /* borrowed: string members of the other version's struct */
} IpArgs;

/* What a udp firing adds (udpsinfo_t, udpinfo_t): the header (RFC 768) and
 * the perspective of the local socket. */
typedef struct {
    uint16_t sport, dport, length, checksum;
    int receive;          /* udpsinfo_t of the destination (receive) or the source (send) */
} UdpArgs;

/* The arguments of a firing, for a native program. */
typedef struct {
    int64_t ts;
    EndpointObject *ep;   /* tcp: args[1] (cs_cid is ep->cid) and args[3]; ip: NULL */
    const TcpEvent *ev;   /* tcp: args[2] and args[4]; NULL for state-change and ip */
    int old_state;        /* args[5]->tcps_state of state-change */
    const IpDgram *ip;    /* ipinfo_t: tcp packet probes and ip; else NULL */
    const IpArgs *ipa;    /* ip probes: args[3..5]; else NULL */
    const UdpArgs *udp;   /* udp probes: args[3..4]; else NULL */
} NativeArgs;

/* Run the program of a NativeProbe for one firing: 0, or -1 with an exception set. */
int native_fire(PyObject *probe, const NativeArgs *args);

/* ip.c */
extern PyTypeObject IpProbes_Type;
int ip_add_types(PyObject *module);
/* Fire the run's ip probes (an IpProbes) for one record the scanner takes:
 * ``ifname`` is its interface's name or None.  0, or -1 with an exception set. */
int ip_probes_fire(PyObject *probes, const IpHdr *h, int64_t ts, long long index,
                   PyObject *ifname, int linktype);
extern PyTypeObject UdpProbes_Type;
/* The UDP header of a decoded IP packet (RFC 768): 1, or 0 when it is not
 * UDP or dissectors/udp.py would report the header (Python takes it). */
int udp_decode(const uint8_t *frame, const IpHdr *h, UdpArgs *out);
/* Fire the run's udp probes (a UdpProbes) for a datagram the scanner takes:
 * 0, or -1 with an exception set. */
int udp_probes_fire(PyObject *probes, const IpHdr *h, const UdpArgs *udp, int64_t ts);

/* Whether ``pending`` (the D program's held output) is an OutputHold holding
 * its ``limit`` (bufsize) of text or more. */
int output_hold_full(PyObject *pending);

/* track.c */
int track_add_types(PyObject *module);
/* A TcpTracker takes the segment at buf[tcp_off:tcp_off + tcp_len] (tcp
 * points at it: a valid fixed header, the whole segment captured) of the
 * record the scanner is consuming.  0, or -1 with an exception set. */
int tracker_record(PyObject *tracker, int addr_len, const uint8_t *src, const uint8_t *dst,
                   PyObject *buf, const uint8_t *tcp, Py_ssize_t tcp_off, Py_ssize_t tcp_len,
                   int64_t ts);

/* scan.c: the Frame of the record being consumed (made now; borrowed), or
 * NULL with an exception set. */
PyObject *scanned_frame(void);

#endif
