/* pcapprobe._fastpath: the packet hot path in C.
 *
 * stream.c: Budget, Reassembler and StreamFramer, the only implementation of
 *   TCP stream reassembly (RFC 9293 byte order, bounded holding, gaps) and PDU
 *   framing (see pcapprobe/flows/framing.py for the StreamApp contract).  Python
 *   drives them through their methods; the scanner calls them directly.
 * frame.c: Frame, what the capture readers produce.
 * scan.c: FlowIndex, which consumes the pcap records of plain in-order data
 *   segments of connections whose application is bound and nothing else listens
 *   to (no tcp probe, no local endpoint), handing their bytes straight to the
 *   connection's reassembler; in a run with a TcpTracker (tcpcore.h), every
 *   record holding a whole TCP segment goes to the tracker; native ip probes
 *   (ip.c) fire for each record first.  Every other record is left to the
 *   Python layers.
 * endpoint.c, track.c, dnative.c: the C TCP engine, see tcpcore.h.
 * rdma.c: RcTransport, the RC transport rules of InfiniBand and RoCE; the
 *   scanner hands it RoCE records.
 * bpf.c: BpfProgram, the classic BPF interpreter of capture filters (-f).
 * ip.c: the link and IP header decoder of the records the scanner takes, the
 *   address text cache, and IpProbes: ip:::send/receive fired from C.
 * fcoe.c: the FCoE records of FCP frames the scanner hands the fc provider.
 * nfs4ops.c: the NFSv4 COMPOUND operation walk and its hot operations' XDR.
 */
#ifndef PCAPPROBE_FASTPATH_H
#define PCAPPROBE_FASTPATH_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

/* Bytes [off, off + len) of owner, an object with the buffer protocol that the
 * caller keeps alive for the call; data points at the first of them.  A PDU
 * view handed to an app is memoryview(owner)[off + i : off + j], so the app
 * may keep it. */
typedef struct {
    PyObject *owner;
    const unsigned char *data;
    Py_ssize_t off;
    Py_ssize_t len;
} Span;

/* Network byte order (RFC 1700) reads. */
static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* stream.c */
extern PyTypeObject Budget_Type;
extern PyTypeObject Reassembler_Type;
extern PyTypeObject StreamFramer_Type;
int stream_add_types(PyObject *module);
/* Reassembler.segment / .acked without a Python call: 0, or -1 with an exception set. */
int reassembler_segment(PyObject *reasm, uint32_t seq, const Span *payload, int fin,
                        int64_t ts_ns);
int reassembler_acked(PyObject *reasm, uint32_t ack, int64_t ts_ns);
/* StreamFramer.mismatch */
int framer_mismatch(PyObject *framer);

/* frame.c */
extern PyTypeObject Frame_Type;
int frame_add_type(PyObject *module);
/* A Frame whose data is bytes [start, start + caplen) of owner, viewed when read. */
PyObject *frame_of_record(PyObject *owner, Py_ssize_t start, Py_ssize_t caplen,
                          long long index, int64_t ts_ns, int linktype, long long wirelen,
                          PyObject *ifname, PyObject *source);

/* The bytes and link type of a Frame (read without making its memoryview):
 * 0, or -1 with an exception set when ``frame`` is not a Frame. */
int frame_bytes(PyObject *frame, const uint8_t **data, Py_ssize_t *len, int *linktype);

/* partition.c */
int partition_add_functions(PyObject *module);

/* bpf.c */
extern PyTypeObject BpfProgram_Type;
int bpf_add_type(PyObject *module);
/* Run a BpfProgram over a packet: bytes to keep, 0 to reject (libpcap bpf_filter). */
uint32_t bpf_program_run(PyObject *program, const uint8_t *p, uint32_t wirelen, uint32_t buflen);

/* ip.c: an Ethernet record's IP header (RFC 791 §3.1, RFC 8200 §3), decoded
 * as dissectors/ethernet.py, ipv4.py and ipv6.py do for the packets the C
 * path takes; anything else (fragments, IPv6 extension headers, bad or cut
 * headers, other link types) is left to those dissectors, which report it. */
typedef struct {
    int addr_len;             /* 4 or 16 */
    const uint8_t *hdr;       /* the fixed IP header; addresses inside it */
    const uint8_t *src, *dst;
    Py_ssize_t ip_off;        /* offset of the IP header in the frame */
    Py_ssize_t payload_off;   /* offset of the upper layer in the frame */
    Py_ssize_t captured;      /* upper-layer bytes captured (trimmed to the IP length) */
    int64_t plength;          /* upper-layer length as dissectors/ decode it (ip_plength) */
    int proto;                /* next header (IPv6: the first one, not an extension) */
    int whole;                /* the IP length is declared (not 0) and wholly captured */
} IpHdr;

/* 1 when frame[0:caplen] is Ethernet (up to two 802.1Q/802.1ad tags) holding
 * an unfragmented IPv4 packet, or an IPv6 packet without extension headers,
 * whose header the dissectors decode without a weird; else 0. */
int ip_decode(const uint8_t *frame, Py_ssize_t caplen, IpHdr *out);

/* The offset of an Ethernet frame's payload past up to two VLAN tags
 * (802.1Q, 802.1ad, pre-standard 0x9100, as dissectors/ethernet.py), its
 * ethertype in *ethertype; -1 when the header or a tag is cut. */
Py_ssize_t eth_payload(const uint8_t *frame, Py_ssize_t caplen, uint16_t *ethertype);

/* Address texts (dotted quad, RFC 5952), remembered per run: a capture has
 * few hosts and many packets. */
#define ADDR_CACHE 64
typedef struct {
    struct {
        uint8_t addr_len;
        uint8_t addr[16];
        PyObject *text;  /* strong; NULL: empty */
    } entries[ADDR_CACHE];
} AddrCache;

/* The text of an address (a new reference), or NULL with an exception set. */
PyObject *addr_text(AddrCache *cache, const uint8_t *addr, int addr_len);
void addr_cache_clear(AddrCache *cache);

/* rdma.c */
extern PyTypeObject RcTransport_Type;
int rdma_add_type(PyObject *module);
/* An Ethernet record carrying RoCEv2 or RoCEv1, or a LINKTYPE_INFINIBAND
 * record, for an RcTransport: 1 taken, 0 left to the Python layers, -1 on
 * error; *called is set when Python ran. */
int rc_record(PyObject *transport, int linktype, const uint8_t *p, Py_ssize_t caplen,
              int64_t ts, int *called);

/* fcoe.c: FCoE records of FCP frames for the fc provider (its on_data and on_iu). */
typedef struct {
    int pending;
    long long s_id, d_id, f_ctl, ox_id, rx_id, parameter, total, ts, frames, more;
    long long end_f_ctl, end_total, end_ts;  /* the frame ending the sequence (end_ts -1: none) */
    int seq_id;
} FcBatch;  /* consecutive FCP_DATA frames of one sequence, the first's fields */

typedef struct {
    PyObject *provider;          /* NULL: the scanner takes no FCoE record */
    PyObject *on_data, *on_iu;   /* its methods */
    FcBatch batch;
} FcScan;

int fcoe_add_functions(PyObject *module);
void fc_scan_init(FcScan *fc);
int fc_scan_set(FcScan *fc, PyObject *provider);  /* 0, or -1 with an exception set */
int fc_scan_traverse(FcScan *fc, visitproc visit, void *arg);
void fc_scan_clear(FcScan *fc);
/* A record for the provider: 1 taken, 0 not an FCoE FCP record it takes, -1 on error. */
int fc_scan_record(FcScan *fc, const uint8_t *p, Py_ssize_t caplen, long long wirelen,
                   int64_t ts);
/* Hand over the pending batch of data frames: 0, or -1 with an exception set. */
int fc_scan_flush(FcScan *fc);

/* nfs4ops.c */
int nfs4_add_functions(PyObject *module);

/* scan.c */
int scan_add_types(PyObject *module);
/* Called by stream.c before every call into Python code (an app's methods, a
 * Python sink): when the scanner is consuming a record, the record becomes a
 * Frame object first and its connection's ``frame`` is set, so whatever the
 * app reports names the right packet.  0, or -1 with an exception set. */
int before_python(void);

#endif
