/* FlowIndex: the pcap record scanner of the packet hot path.
 *
 * Most packets of a storage capture are data segments of a few long TCP
 * connections whose application (ONC RPC, iSCSI) is bound and where nothing
 * else listens: no ip or tcp probe, no local TCP endpoint.  For those the
 * Python layers would only decode the headers, find the connection and hand
 * the payload to its reassembler.  The scanner does exactly that, in C,
 * straight out of the reader's buffer, for every record it can; it stops at
 * the first record that needs anything more (another link type or protocol,
 * a fragment, a SYN/FIN/RST, a connection it does not know, a record the
 * capture cut short, a profile tick or flow-table sweep that is due) and the
 * Python layers take that one as usual.  The Python TCP layer decides which
 * connections are handed over (``adopt``); an entry whose connection has no
 * framer any more (closed, evicted, unbound) is dropped at its next packet.
 *
 * In a run that tracks TCP endpoints without applications (flows/tcp.py
 * TcpLayer.tracker), every record holding a whole TCP segment with a valid
 * fixed header, SYN/FIN/RST included, goes to the tracker (track.c) instead.
 *
 * When ip probes fire natively (pcapprobe/pipeline.py IpLayer.native, an
 * IpProbes of ip.c), a record's ip probes fire here before it goes on; a
 * record of an IP protocol no Python layer takes (``ip_protocols``; every
 * protocol in a run of ip probes alone) is consumed once they fired.
 *
 * The run's record selection (-f's BPF program for Ethernet, --from/--to;
 * pcapprobe/capture/select.py) is applied first: a record it leaves out is
 * skipped here, counted in ``filtered``, as the Python path drops its frame.
 *
 * Wire formats read here: pcap record header (pcapprobe/capture/pcap.py) and
 * the fixed TCP header (RFC 9293 §3.1); the link and IP headers are ip.c's
 * (ip_decode).  Anything unusual is left to dissectors/, which report it.
 *
 * When the fc provider is set (``fc``, pcapprobe/fclinks.py), the FCoE
 * records of FCP frames go to it first (fcoe.c).
 */
#include "tcpcore.h"

#include <string.h>

#include "structmember.h"

#define RECORD_HEADER_LEN 16
#define MAX_CAPLEN 0x40000
#define LINKTYPE_ETHERNET 1
#define LINKTYPE_INFINIBAND 247  /* scanned for the RC transport only */
#define IPPROTO_TCP 6
#define FLUSH_BATCH 256  /* held printf()s of tracked records written at once */

/* ---- the flow table: open addressing on (addresses, ports) ------------- */

typedef struct {
    uint8_t addr_len;  /* 4 or 16; 0 marks an empty slot */
    uint8_t src[16];
    uint8_t dst[16];
    uint16_t sport;
    uint16_t dport;
} FlowKey;

typedef struct {
    FlowKey key;
    PyObject *conn;  /* strong; NULL with key.addr_len != 0: a deleted slot */
    int direction;
} Slot;

#define MIN_SLOTS 64

/* The record being consumed (borrowed references: the scan's arguments and
 * the connection, which consume() holds; no connection for the tracker's),
 * until its frame is made. */
typedef struct {
    int active;
    PyObject *buf, *source, *ifname, *conn;
    Py_ssize_t start, caplen;
    long long index, wirelen;
    int64_t ts;
    int linktype;
    PyObject *frame;  /* a new reference once made */
} Record_context;

/* A connection a scan consumed records of, and what the Python TCP layer
 * would have set on it: its last record's time, and whether the server spoke. */
typedef struct {
    PyObject *conn;  /* strong */
    int64_t ts;
    int spoke;
} Touched;

#define MAX_TOUCHED 16

typedef struct {
    PyObject_HEAD
    Slot *slots;
    Py_ssize_t size;    /* a power of two */
    Py_ssize_t filled;  /* live and deleted slots: what probing walks over */
    Py_ssize_t live;
    PyObject *driver;      /* the D program (next_tick_ns, pending, flush) or None */
    PyObject *ip_layer;    /* while its ``fire`` is set, consumed only when its ``native``
                              (an IpProbes) is too: the records' ip probes fire here */
    PyObject *ip_probes;   /* during a scan: ip_layer.native (strong), or NULL */
    uint8_t upper[32];     /* bitmap: the IP protocols the Python layers take */
    PyObject *udp_probes;  /* a UdpProbes: UDP datagrams fire its probes here, or None */
    PyObject *on_error;    /* on_error(frame, exc) for a DissectError */
    PyObject *error_class;
    PyObject *tracker;     /* a TcpTracker taking every TCP segment, or None */
    FcScan fc;             /* the fc provider taking FCoE FCP records (fcoe.c), or None */
    PyObject *rdma;        /* an RcTransport (rdma.c) taking RoCE records, or None */
    int64_t deadline;      /* the TCP layer's next time-wait expiry or sweep */
    PyObject *bpf;         /* the -f program for Ethernet records (a BpfProgram), or None */
    int64_t ts_from, ts_to;  /* --from/--to: records in [ts_from, ts_to) are kept */
    long long frames, bytes, segments, datagrams, filtered;
    int64_t latest_ts;
    Record_context rec;
    Touched touched[MAX_TOUCHED];
    int n_touched;
} FlowIndexObject;

static uint64_t key_hash(const FlowKey *k)
{
    /* FNV-1a over the meaningful bytes */
    uint64_t h = 1469598103934665603ULL;
    const uint8_t *parts[2] = {k->src, k->dst};
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < k->addr_len; i++)
            h = (h ^ parts[p][i]) * 1099511628211ULL;
    h = (h ^ k->sport) * 1099511628211ULL;
    h = (h ^ k->dport) * 1099511628211ULL;
    return h ^ (h >> 29);
}

static int key_equal(const FlowKey *a, const FlowKey *b)
{
    return a->addr_len == b->addr_len && a->sport == b->sport && a->dport == b->dport
           && memcmp(a->src, b->src, a->addr_len) == 0
           && memcmp(a->dst, b->dst, a->addr_len) == 0;
}

/* The slot holding ``key``, or the slot where it would go (an empty one, or
 * the first deleted one on the way). */
static Slot *table_find(FlowIndexObject *self, const FlowKey *key, int *found)
{
    size_t mask = (size_t)self->size - 1;
    size_t i = (size_t)key_hash(key) & mask;
    Slot *reuse = NULL;
    for (;;) {
        Slot *slot = &self->slots[i];
        if (slot->key.addr_len == 0) {
            *found = 0;
            return reuse != NULL ? reuse : slot;
        }
        if (slot->conn == NULL) {
            if (reuse == NULL)
                reuse = slot;
        } else if (key_equal(&slot->key, key)) {
            *found = 1;
            return slot;
        }
        i = (i + 1) & mask;
    }
}

static void slot_delete(FlowIndexObject *self, Slot *slot)
{
    Py_CLEAR(slot->conn);
    self->live--;
}

static PyObject *str_framer, *str_reasm, *str_last_ts, *str_server_spoke, *str_frame,
    *str_unbind, *str_fire, *str_next_tick_ns, *str_pending, *str_flush, *str_native;

/* Whether a connection still has its application bound: a closed, evicted or
 * unbound one has no framer.  -1 on error. */
static int conn_streaming(PyObject *conn)
{
    PyObject *framer = PyObject_GetAttr(conn, str_framer);
    if (framer == NULL)
        return -1;
    int streaming = framer != Py_None;
    Py_DECREF(framer);
    return streaming;
}

/* Rebuild the table at ``size`` slots, leaving deleted slots and connections
 * that stopped streaming behind (this is what bounds the table: the TCP
 * layer's table, which the state budget bounds, holds every live one). */
static int table_rebuild(FlowIndexObject *self, Py_ssize_t size)
{
    Slot *old = self->slots;
    Py_ssize_t old_size = self->size;
    Slot *slots = PyMem_Calloc((size_t)size, sizeof(Slot));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->slots = slots;
    self->size = size;
    self->filled = self->live = 0;
    int status = 0;
    for (Py_ssize_t i = 0; i < old_size; i++) {
        Slot *slot = &old[i];
        if (slot->conn == NULL)
            continue;
        int streaming = status == 0 ? conn_streaming(slot->conn) : 0;
        if (streaming < 0)
            status = -1;
        if (streaming > 0) {
            int found;
            Slot *to = table_find(self, &slot->key, &found);
            *to = *slot;
            self->filled++;
            self->live++;
        } else {
            Py_DECREF(slot->conn);
        }
    }
    PyMem_Free(old);
    return status;
}

static int table_put(FlowIndexObject *self, const FlowKey *key, PyObject *conn, int direction)
{
    if ((self->filled + 1) * 2 > self->size) {
        /* Deleted slots and connections that stopped streaming (closed, or
         * evicted by the state budget) go first; only the rest may grow it. */
        if (table_rebuild(self, self->size) < 0)
            return -1;
        Py_ssize_t size = self->size;
        while ((self->live + 1) * 4 > size)
            size *= 2;
        if (size != self->size && table_rebuild(self, size) < 0)
            return -1;
    }
    int found;
    Slot *slot = table_find(self, key, &found);
    if (found) {
        Py_SETREF(slot->conn, Py_NewRef(conn));
    } else {
        if (slot->key.addr_len == 0)
            self->filled++;
        slot->key = *key;
        slot->conn = Py_NewRef(conn);
        self->live++;
    }
    slot->direction = direction;
    return 0;
}

/* ---- the record being consumed, materialised only when Python looks ---- */

/* The record a thread's scan is consuming: before_python() finds it through
 * a thread-local pointer (another thread's run may scan while this one's
 * Python callback runs). */
static _Thread_local Record_context *consuming;

static PyObject *frame_of_consumed(const Record_context *rec)
{
    return frame_of_record(rec->buf, rec->start, rec->caplen, rec->index, rec->ts,
                           rec->linktype, rec->wirelen, rec->ifname, rec->source);
}

int before_python(void)
{
    Record_context *rec = consuming;
    if (rec == NULL || !rec->active || rec->frame != NULL)
        return 0;
    rec->frame = frame_of_consumed(rec);
    if (rec->frame == NULL)
        return -1;
    return rec->conn == NULL ? 0 : PyObject_SetAttr(rec->conn, str_frame, rec->frame);
}

PyObject *scanned_frame(void)
{
    Record_context *rec = consuming;
    if (rec == NULL || !rec->active) {
        PyErr_SetString(PyExc_SystemError, "no record is being consumed");
        return NULL;
    }
    return before_python() < 0 ? NULL : rec->frame;
}

static PyObject *FlowIndex_consumed_frame(PyObject *unused, PyObject *noargs)
{
    Record_context *rec = consuming;
    if (rec == NULL || !rec->active)
        Py_RETURN_NONE;
    PyObject *frame = scanned_frame();
    return frame == NULL ? NULL : Py_NewRef(frame);
}

/* ---- decoding one record ------------------------------------------------ */

static inline uint32_t file32(const uint8_t *p, int big_endian)
{
    return big_endian ? be32(p)
                      : ((uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]);
}

/* A TCP segment: its key, header, and where it and its payload are within
 * the frame. */
typedef struct {
    FlowKey key;
    TcpSeg tcp;
    Py_ssize_t tcp_off, tcp_len;
    Py_ssize_t payload_off, payload_len;
} Segment;

/* Fill ``seg`` from the TCP segment of a decoded IP packet; 0 when it is not
 * a whole TCP segment with a valid fixed header (the Python layers take it). */
static int decode_segment(const uint8_t *p, const IpHdr *ip, Segment *seg)
{
    if (ip->proto != IPPROTO_TCP || !ip->whole)
        return 0;
    Py_ssize_t tcp_off = ip->payload_off, tcp_len = ip->plength;
    if (tcp_len < TCP_HEADER_MIN)
        return 0;
    tcp_decode(p + tcp_off, tcp_len, tcp_len, &seg->tcp);
    Py_ssize_t hlen = seg->tcp.offset;
    if (hlen < TCP_HEADER_MIN || hlen > tcp_len)
        return 0;
    memset(&seg->key, 0, sizeof seg->key);
    seg->key.addr_len = (uint8_t)ip->addr_len;
    memcpy(seg->key.src, ip->src, ip->addr_len);
    memcpy(seg->key.dst, ip->dst, ip->addr_len);
    seg->key.sport = seg->tcp.sport;
    seg->key.dport = seg->tcp.dport;
    seg->tcp_off = tcp_off;
    seg->tcp_len = tcp_len;
    seg->payload_off = tcp_off + hlen;
    seg->payload_len = tcp_len - hlen;
    return 1;
}

/* ---- consuming one segment ---------------------------------------------- */

/* conn.reasm[direction] as a C Reassembler (borrowed), or NULL when that
 * direction has no reassembler yet (the Python layer starts it). */
static PyObject *reassembler_of(PyObject *reasm_list, int direction)
{
    if (!PyList_Check(reasm_list) || PyList_GET_SIZE(reasm_list) != 2)
        return NULL;
    PyObject *reasm = PyList_GET_ITEM(reasm_list, direction);
    return Py_IS_TYPE(reasm, &Reassembler_Type) ? reasm : NULL;
}

/* conn.last_ts and conn.server_spoke are read only by the Python TCP layer,
 * never while a scan runs: they are written once per scan (write_back), not
 * once per record. */
static int write_back(FlowIndexObject *self)
{
    int status = 0;
    for (int i = 0; i < self->n_touched; i++) {
        Touched *t = &self->touched[i];
        if (status == 0) {
            PyObject *ts = PyLong_FromLongLong(t->ts);
            if (ts == NULL || PyObject_SetAttr(t->conn, str_last_ts, ts) < 0
                || (t->spoke && PyObject_SetAttr(t->conn, str_server_spoke, Py_True) < 0))
                status = -1;
            Py_XDECREF(ts);
        }
        Py_CLEAR(t->conn);
    }
    self->n_touched = 0;
    return status;
}

static int touch(FlowIndexObject *self, PyObject *conn, int64_t ts, int direction)
{
    for (int i = 0; i < self->n_touched; i++) {
        Touched *t = &self->touched[i];
        if (t->conn == conn) {
            t->ts = ts;
            t->spoke |= direction;
            return 0;
        }
    }
    if (self->n_touched == MAX_TOUCHED && write_back(self) < 0)
        return -1;
    self->touched[self->n_touched++] = (Touched){Py_NewRef(conn), ts, direction};
    return 0;
}

/* What Connection.stream does with a data segment: its bytes to this
 * direction's reassembler, its ACK to the other's.  0, or -1 with an
 * exception set. */
static int stream_segment(FlowIndexObject *self, PyObject *conn, PyObject *framer,
                          PyObject *reasm_list, PyObject *reasm, int direction,
                          const Segment *seg, PyObject *buf, const uint8_t *frame,
                          Py_ssize_t frame_off, int64_t ts)
{
    if (touch(self, conn, ts, direction) < 0)
        return -1;
    Span payload = {buf, frame + seg->payload_off, frame_off + seg->payload_off,
                    seg->payload_len};
    /* The ACK first: what it acknowledges was sent before this segment's
     * bytes (a gap it gives up may hold PDUs this segment answers). */
    if (seg->tcp.flags & TH_ACK) {
        PyObject *other = reassembler_of(reasm_list, 1 - direction);
        if (other != NULL && reassembler_acked(other, seg->tcp.ack, ts) < 0)
            return -1;
    }
    if (reassembler_segment(reasm, seg->tcp.seq, &payload, 0, ts) < 0)
        return -1;
    int mismatch = framer_mismatch(framer);
    if (mismatch < 0)
        return -1;
    if (mismatch) {
        PyObject *ts_obj = before_python() < 0 ? NULL : PyLong_FromLongLong(ts);
        if (ts_obj == NULL)
            return -1;
        PyObject *r = PyObject_CallMethodOneArg(conn, str_unbind, ts_obj);
        Py_DECREF(ts_obj);
        Py_XDECREF(r);
        return r == NULL ? -1 : 0;
    }
    return 0;
}

/* A DissectError from an application is a weird about this frame (as the
 * Python packet loop reports it); anything else propagates.  0 when handled. */
static int report_dissect_error(FlowIndexObject *self)
{
    if (self->on_error == Py_None || !PyErr_ExceptionMatches(self->error_class))
        return -1;
    PyObject *type, *exc, *tb;
    PyErr_Fetch(&type, &exc, &tb);
    PyErr_NormalizeException(&type, &exc, &tb);
    if (tb != NULL)
        PyException_SetTraceback(exc, tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
    if (before_python() < 0) {
        Py_DECREF(exc);
        return -1;
    }
    PyObject *r = PyObject_CallFunctionObjArgs(self->on_error, self->rec.frame, exc, NULL);
    Py_DECREF(exc);
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

/* An int as an int64_t, saturated when it does not fit (the engine's
 * "never" is 2**127): 1 when it fits, 0 when saturated, -1 with an
 * exception set when it is not an int. */
static int int64_of(PyObject *v, int64_t *out)
{
    int overflow;
    long long value = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (value == -1 && PyErr_Occurred())
        return -1;
    *out = overflow > 0 ? INT64_MAX : overflow < 0 ? INT64_MIN : value;
    return overflow == 0;
}

/* The D program's next_tick_ns (ticks and exit() stop the scanner), or the
 * largest time when no program drives the run.  -1 with an exception set. */
static int next_tick(FlowIndexObject *self, int64_t *tick)
{
    if (self->driver == Py_None) {
        *tick = INT64_MAX;
        return 0;
    }
    PyObject *v = PyObject_GetAttr(self->driver, str_next_tick_ns);
    if (v == NULL)
        return -1;
    int status = int64_of(v, tick);
    Py_DECREF(v);
    return status < 0 ? -1 : 0;
}

/* Output the D program held while the record was consumed goes out now, as
 * the Python packet loop flushes after every frame.  ``pending`` is the
 * program's held output (an OutputHold, or any sized container; NULL without
 * a program); held_output() the number of writes held, -1 on error. */
static Py_ssize_t held_output(PyObject *pending)
{
    if (pending == NULL)
        return 0;
    return PyList_CheckExact(pending) ? PyList_GET_SIZE(pending) : PyObject_Length(pending);
}

static int flush_output(FlowIndexObject *self, PyObject *pending)
{
    Py_ssize_t held = held_output(pending);
    if (held <= 0)
        return held < 0 ? -1 : 0;
    PyObject *r = PyObject_CallMethodNoArgs(self->driver, str_flush);
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

/* Whether records can be consumed while the IP layer is as it is: 1 when it
 * fires no probe, or fires them natively (self->ip_probes is then its
 * IpProbes); 0 when every packet must go through it; -1 on error. */
static int ip_probes_of(FlowIndexObject *self)
{
    self->ip_probes = NULL;
    if (self->ip_layer == Py_None)
        return 1;
    PyObject *fire = PyObject_GetAttr(self->ip_layer, str_fire);
    if (fire == NULL)
        return -1;
    int fires = fire != Py_None;
    Py_DECREF(fire);
    if (!fires)
        return 1;
    PyObject *native = PyObject_GetAttr(self->ip_layer, str_native);
    if (native == NULL)
        return -1;
    if (!Py_IS_TYPE(native, &IpProbes_Type)) {
        Py_DECREF(native);
        return 0;
    }
    self->ip_probes = native;
    return 1;
}

/* Whether the Python layers take IP protocol ``proto`` (ip_protocols). */
static inline int upper_takes(const FlowIndexObject *self, int proto)
{
    return self->upper[proto >> 3] >> (proto & 7) & 1;
}

/* Fire the record's ip probes, when they fire here: 0, or -1 on error. */
static int fire_ip(FlowIndexObject *self, const IpHdr *ip)
{
    if (self->ip_probes == NULL)
        return 0;
    return ip_probes_fire(self->ip_probes, ip, self->rec.ts, self->rec.index,
                          self->rec.ifname, self->rec.linktype);
}

/* Consume one record whose segment belongs to ``slot``: CONSUMED (or
 * CONSUMED_IN_ERROR: an application raised a DissectError, reported as a
 * weird), 0 when the Python layers must take it, -1 on error. */
enum { CONSUMED = 1, CONSUMED_IN_ERROR = 2 };

static int consume(FlowIndexObject *self, Slot *slot, const Segment *seg, PyObject *buf,
                   const uint8_t *frame, Py_ssize_t frame_off, int64_t ts, const IpHdr *ip)
{
    PyObject *conn = slot->conn;
    PyObject *framer = PyObject_GetAttr(conn, str_framer);
    if (framer == NULL)
        return -1;
    if (framer == Py_None) {  /* the connection is over: the Python layers decide */
        Py_DECREF(framer);
        slot_delete(self, slot);
        return 0;
    }
    PyObject *reasm_list = PyObject_GetAttr(conn, str_reasm);
    if (reasm_list == NULL) {
        Py_DECREF(framer);
        return -1;
    }
    int direction = slot->direction;
    PyObject *reasm = reassembler_of(reasm_list, direction);
    int status = 0;
    if (reasm == NULL) {
        status = 0;
    } else {
        Py_INCREF(conn);
        self->rec.conn = conn;
        self->rec.active = 1;
        if (fire_ip(self, ip) < 0)
            status = -1;
        else if (stream_segment(self, conn, framer, reasm_list, reasm, direction, seg, buf,
                                frame, frame_off, ts) == 0)
            status = CONSUMED;
        else if (report_dissect_error(self) == 0)
            status = CONSUMED_IN_ERROR;
        else
            status = -1;
        Py_DECREF(conn);
    }
    Py_DECREF(reasm_list);
    Py_DECREF(framer);
    return status;
}

static void record_done(Record_context *rec)
{
    rec->active = 0;
    Py_CLEAR(rec->frame);
}

/* ---- the FlowIndex type ------------------------------------------------- */

/* One record offered to the scanner: the frame is bytes [off, off + caplen)
 * of the reader's buffer. */
typedef struct {
    const uint8_t *frame;
    Py_ssize_t off, caplen;
    long long wirelen;
    int64_t ts;
} Record;

/* A scan over one buffer: what stays the same from record to record. */
typedef struct {
    Py_buffer whole;
    const uint8_t *data;
    Py_ssize_t end;
    int64_t tick;
    Record_context *outer;  /* what this thread was consuming before */
    PyObject *pending;      /* the D program's held output, or NULL */
} Scan;

/* Start a scan of buf[pos:end]; 1 when records may be consumed, 0 when none
 * can be (ip probes fire in Python), -1 on error.  On 1, scan_end() must follow. */
static int scan_begin(FlowIndexObject *self, Scan *scan, PyObject *buf, Py_ssize_t pos,
                      Py_ssize_t end, PyObject *source)
{
    int can = ip_probes_of(self);
    if (can <= 0)
        return can;
    scan->pending = NULL;
    if (next_tick(self, &scan->tick) < 0
        || (self->driver != Py_None
            && (scan->pending = PyObject_GetAttr(self->driver, str_pending)) == NULL)) {
        Py_CLEAR(self->ip_probes);
        return -1;
    }
    /* buf (bytes, or a view of the mapped file) is never written: PDU views
     * into it that apps keep stay valid and unchanged */
    if (PyObject_GetBuffer(buf, &scan->whole, PyBUF_SIMPLE) < 0) {
        Py_CLEAR(scan->pending);
        Py_CLEAR(self->ip_probes);
        return -1;
    }
    scan->data = (const uint8_t *)scan->whole.buf;
    scan->end = end > scan->whole.len || pos < 0 ? pos : end;
    self->rec.buf = buf;
    self->rec.source = source;
    self->rec.ifname = Py_None;
    scan->outer = consuming;
    consuming = &self->rec;
    return 1;
}

/* 0, or -1 with an exception set (one already set is kept). */
static int scan_end(FlowIndexObject *self, Scan *scan)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    /* the Python layers take the next record: the batch of data frames goes
     * first (after an error the run stops: it is dropped) */
    int flushed = 0;
    if (type == NULL)
        flushed = fc_scan_flush(&self->fc);
    self->fc.batch.pending = 0;
    consuming = scan->outer;
    self->rec.buf = self->rec.source = self->rec.ifname = self->rec.conn = NULL;
    PyBuffer_Release(&scan->whole);
    /* before the reader may block on its next read */
    int status = flushed < 0 || write_back(self) < 0 || flush_output(self, scan->pending) < 0
                     ? -1 : 0;
    Py_CLEAR(scan->pending);
    Py_CLEAR(self->ip_probes);
    if (type != NULL) {
        PyErr_Clear();
        PyErr_Restore(type, value, tb);
    }
    return status;
}

/* The tracker takes the segment (after the ip probes fired): CONSUMED, or -1
 * on error. */
static int track(FlowIndexObject *self, const Segment *seg, const Record *rec,
                 const IpHdr *ip)
{
    self->rec.active = 1;
    self->rec.conn = NULL;
    if (fire_ip(self, ip) < 0
        || tracker_record(self->tracker, seg->key.addr_len, seg->key.src, seg->key.dst,
                          self->rec.buf, rec->frame + seg->tcp_off, rec->off + seg->tcp_off,
                          seg->tcp_len, rec->ts) < 0)
        return -1;
    return CONSUMED;
}

/* Whether records of a link type are scanned: Ethernet, and InfiniBand for
 * the RC transport. */
static int scanned_linktype(FlowIndexObject *self, long linktype)
{
    return linktype == LINKTYPE_ETHERNET
           || (linktype == LINKTYPE_INFINIBAND && self->rdma != Py_None);
}

/* Whether the run's record selection (--from/--to, -f) keeps a record. */
static int selected(FlowIndexObject *self, const Record *rec)
{
    if (rec->ts < self->ts_from || rec->ts >= self->ts_to)
        return 0;
    if (self->bpf == Py_None || self->rec.linktype != LINKTYPE_ETHERNET)
        return 1;  /* the Python layers apply -f to other link types */
    uint32_t wirelen = rec->wirelen < 0 ? 0 : rec->wirelen > UINT32_MAX ? UINT32_MAX
                                                                       : (uint32_t)rec->wirelen;
    return bpf_program_run(self->bpf, rec->frame, wirelen, (uint32_t)rec->caplen) != 0;
}

/* A RoCE or InfiniBand record for the RC transport (rdma.c): 1 consumed, 0
 * not one, -1 on error. */
static int rdma_record(FlowIndexObject *self, Scan *scan, const Record *rec, long long index)
{
    self->rec.index = index;
    self->rec.ts = rec->ts;
    self->rec.start = rec->off;
    self->rec.caplen = rec->caplen;
    self->rec.wirelen = rec->wirelen;
    self->rec.active = 1;
    self->rec.conn = NULL;
    int called = 0;
    int taken = rc_record(self->rdma, self->rec.linktype, rec->frame, rec->caplen, rec->ts,
                          &called);
    if (taken < 0 && report_dissect_error(self) == 0)
        taken = 1;
    record_done(&self->rec);
    if (taken <= 0)
        return taken;
    self->frames++;
    self->bytes += rec->wirelen;
    if (rec->ts > self->latest_ts)
        self->latest_ts = rec->ts;
    /* D clauses may have run: their output, and the next tick */
    if (called && (flush_output(self, scan->pending) < 0 || next_tick(self, &scan->tick) < 0))
        return -1;
    return 1;
}

/* Consume one record if it can be: 1 consumed (or left out by the record
 * selection), 0 left to the Python layers, -1 on error.  ``index`` is its
 * packet number. */
static int scan_record(FlowIndexObject *self, Scan *scan, const Record *rec, long long index)
{
    /* Ctrl-C is noticed within a few thousand records even when no Python
     * code runs between them */
    if (((self->frames + self->filtered) & 4095) == 0 && PyErr_CheckSignals() < 0)
        return -1;
    if (!selected(self, rec)) {
        self->filtered++;
        return 1;
    }
    if (rec->ts >= scan->tick)
        return 0;
    if (self->rec.linktype == LINKTYPE_INFINIBAND) {  /* a pcapng section may mix link types */
        if (self->bpf != Py_None)  /* -f is compiled for Ethernet */
            return 0;
        return fc_scan_flush(&self->fc) < 0 ? -1 : rdma_record(self, scan, rec, index);
    }
    /* the TCP layer's clocks (``deadline``) run on TCP packets only: FC
     * records do not wait for them */
    if (self->fc.on_data != NULL) {
        self->rec.index = index;
        self->rec.ts = rec->ts;
        self->rec.start = rec->off;
        self->rec.caplen = rec->caplen;
        self->rec.wirelen = rec->wirelen;
        self->rec.active = 1;
        self->rec.conn = NULL;
        int fc = fc_scan_record(&self->fc, rec->frame, rec->caplen, rec->wirelen, rec->ts);
        record_done(&self->rec);
        if (fc < 0)
            return -1;
        if (fc > 0) {
            self->frames++;
            self->bytes += rec->wirelen;
            if (rec->ts > self->latest_ts)
                self->latest_ts = rec->ts;
            /* D clauses may have run: their output, and the next tick */
            return flush_output(self, scan->pending) < 0 || next_tick(self, &scan->tick) < 0
                       ? -1 : 1;
        }
        /* whatever happens to this record happens after the batch */
        if (fc_scan_flush(&self->fc) < 0)
            return -1;
    }
    if (self->rdma != Py_None) {
        int taken = rdma_record(self, scan, rec, index);
        if (taken != 0)
            return taken;
    }
    if (rec->ts >= self->deadline)
        return 0;
    IpHdr ip;
    if (!ip_decode(rec->frame, rec->caplen, &ip))
        return 0;
    int tracked = self->tracker != Py_None, tcp = upper_takes(self, IPPROTO_TCP)
                                                  && ip.proto == IPPROTO_TCP;
    Segment seg;
    Slot *slot = NULL;
    if (tcp) {
        if (!decode_segment(rec->frame, &ip, &seg))
            return 0;
        if (!tracked) {
            if (seg.tcp.flags & (TH_SYN | TH_FIN | TH_RST))
                return 0;
            int found;
            slot = table_find(self, &seg.key, &found);
            if (!found)
                return 0;
        }
    }
    UdpArgs udp;
    int datagram = !tcp && self->udp_probes != Py_None && udp_decode(rec->frame, &ip, &udp);
    if (!tcp && !datagram && upper_takes(self, ip.proto))
        return 0;
    self->rec.index = index;
    self->rec.ts = rec->ts;
    self->rec.start = rec->off;
    self->rec.caplen = rec->caplen;
    self->rec.wirelen = rec->wirelen;
    int consumed;
    if (!tcp) {  /* its ip probes, then its udp probes: nothing else takes it */
        self->rec.active = 1;
        self->rec.conn = NULL;
        consumed = fire_ip(self, &ip) < 0
                   || (datagram && udp_probes_fire(self->udp_probes, &ip, &udp, rec->ts) < 0)
                   ? -1 : CONSUMED;
        self->datagrams += datagram && consumed > 0;
    } else if (tracked) {
        consumed = track(self, &seg, rec, &ip);
    } else {
        consumed = consume(self, slot, &seg, self->rec.buf, rec->frame, rec->off, rec->ts, &ip);
    }
    int called_python = self->rec.frame != NULL;
    record_done(&self->rec);
    if (consumed <= 0)
        return consumed;
    self->frames++;
    self->bytes += rec->wirelen;
    if (tcp && consumed == CONSUMED)  /* as the Python TCP layer counts what it decoded */
        self->segments++;
    if (rec->ts > self->latest_ts)
        self->latest_ts = rec->ts;
    if (tracked || self->ip_probes != NULL || datagram) {
        /* native D clauses write output and may exit() without a Python
         * call; their output goes out in batches (records of one buffer are
         * read without blocking, and whatever writes to stderr flushes the
         * held output first) */
        Py_ssize_t held = held_output(scan->pending);
        if (held < 0 || ((held >= FLUSH_BATCH || output_hold_full(scan->pending))
                         && flush_output(self, scan->pending) < 0))
            return -1;
        return next_tick(self, &scan->tick) < 0 ? -1 : 1;
    }
    if (called_python
        && (flush_output(self, scan->pending) < 0 || next_tick(self, &scan->tick) < 0))
        return -1;
    return 1;
}

static PyObject *FlowIndex_scan(FlowIndexObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 8) {
        PyErr_SetString(PyExc_TypeError,
                        "scan(buf, pos, end, index, linktype, big_endian, frac_ns, source)");
        return NULL;
    }
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    Py_ssize_t end = PyLong_AsSsize_t(args[2]);
    long long index = PyLong_AsLongLong(args[3]);
    long linktype = PyLong_AsLong(args[4]);
    int big_endian = PyObject_IsTrue(args[5]);
    long long frac_ns = PyLong_AsLongLong(args[6]);
    if (PyErr_Occurred())
        return NULL;
    Scan scan;
    int status = scanned_linktype(self, linktype)
                     ? scan_begin(self, &scan, args[0], pos, end, args[7]) : 0;
    if (status < 0)
        return NULL;
    if (status > 0) {
        self->rec.linktype = (int)linktype;
        while (scan.end - pos >= RECORD_HEADER_LEN) {
            const uint8_t *head = scan.data + pos;
            uint32_t caplen = file32(head + 8, big_endian);
            if (caplen > MAX_CAPLEN || (Py_ssize_t)caplen > scan.end - pos - RECORD_HEADER_LEN)
                break;
            Record rec = {head + RECORD_HEADER_LEN, pos + RECORD_HEADER_LEN, caplen,
                          file32(head + 12, big_endian),
                          (int64_t)file32(head, big_endian) * 1000000000LL
                              + (int64_t)file32(head + 4, big_endian) * frac_ns};
            status = scan_record(self, &scan, &rec, index + 1);
            if (status <= 0)
                break;
            index++;
            pos += RECORD_HEADER_LEN + caplen;
        }
        if (scan_end(self, &scan) < 0 || status < 0)
            return NULL;
    }
    return Py_BuildValue("nL", pos, index);
}

/* ---- pcapng: Enhanced Packet Blocks (draft-ietf-opsawg-pcapng §4.3) ------ */

#define BLOCK_EPB 6
#define EPB_FIXED_LEN 32  /* block header 8, fields 20, trailing length 4 */
#define MAX_BLOCK (1 << 24)
#define MAX_INTERFACES 64

/* What an IDB says (pcapprobe/capture/pcapng.py Interface): ticks * num / den
 * + offset_ns is the time in ns. */
typedef struct {
    long linktype;  /* -1: not scanned */
    int64_t num, den, offset_ns;
    PyObject *name;  /* borrowed from the caller's table */
} Interface;

/* The reader's interface table: a tuple of (linktype, num, den, offset_ns,
 * name) tuples.  Returns how many were read (at most MAX_INTERFACES), -1 on
 * error. */
static Py_ssize_t interfaces_of(PyObject *table, Interface *ifaces)
{
    if (!PyTuple_Check(table)) {
        PyErr_SetString(PyExc_TypeError, "interfaces must be a tuple");
        return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(table);
    if (n > MAX_INTERFACES)
        n = MAX_INTERFACES;
    for (Py_ssize_t i = 0; i < n; i++) {
        Interface *iface = &ifaces[i];
        PyObject *num, *den, *offset;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(table, i), "lOOOO", &iface->linktype, &num, &den,
                              &offset, &iface->name))
            return -1;
        int fits = int64_of(num, &iface->num) + int64_of(den, &iface->den)
                   + int64_of(offset, &iface->offset_ns);
        if (PyErr_Occurred())
            return -1;
        if (fits < 3 || iface->num <= 0 || iface->den <= 0)
            iface->linktype = -1;  /* times beyond 64 bits: its blocks go to Python */
    }
    return n;
}

static PyObject *FlowIndex_scan_pcapng(FlowIndexObject *self, PyObject *const *args,
                                       Py_ssize_t nargs)
{
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError,
                        "scan_pcapng(buf, pos, end, index, big_endian, interfaces, source)");
        return NULL;
    }
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    Py_ssize_t end = PyLong_AsSsize_t(args[2]);
    long long index = PyLong_AsLongLong(args[3]);
    int big_endian = PyObject_IsTrue(args[4]);
    if (PyErr_Occurred())
        return NULL;
    Interface ifaces[MAX_INTERFACES];
    Py_ssize_t n_ifaces = interfaces_of(args[5], ifaces);
    if (n_ifaces < 0)
        return NULL;
    int64_t last_ts = -1;
    Scan scan;
    int status = scan_begin(self, &scan, args[0], pos, end, args[6]);
    if (status < 0)
        return NULL;
    if (status > 0) {
        while (scan.end - pos >= EPB_FIXED_LEN) {
            const uint8_t *block = scan.data + pos;
            uint32_t blen = file32(block + 4, big_endian);
            if (file32(block, big_endian) != BLOCK_EPB || blen < EPB_FIXED_LEN || blen % 4
                || blen > MAX_BLOCK || (Py_ssize_t)blen > scan.end - pos)
                break;
            uint32_t ifid = file32(block + 8, big_endian);
            uint32_t caplen = file32(block + 20, big_endian);
            if (ifid >= n_ifaces || caplen > blen - EPB_FIXED_LEN
                || !scanned_linktype(self, ifaces[ifid].linktype))
                break;
            const Interface *iface = &ifaces[ifid];
            uint64_t ticks = (uint64_t)file32(block + 12, big_endian) << 32
                             | file32(block + 16, big_endian);
            __int128 ns = (__int128)ticks * iface->num / iface->den + iface->offset_ns;
            if (ns >= INT64_MAX)
                break;
            Record rec = {block + 28, pos + 28, caplen, file32(block + 24, big_endian),
                          (int64_t)ns};
            self->rec.linktype = (int)iface->linktype;
            self->rec.ifname = iface->name;
            status = scan_record(self, &scan, &rec, index + 1);
            if (status <= 0)
                break;
            index++;
            last_ts = rec.ts;
            pos += blen;
        }
        if (scan_end(self, &scan) < 0 || status < 0)
            return NULL;
    }
    return Py_BuildValue("nLL", pos, index, (long long)last_ts);
}

static PyObject *key_from_args(PyObject *src, PyObject *sport, PyObject *dst, PyObject *dport,
                               FlowKey *key)
{
    Py_buffer s, d;
    memset(key, 0, sizeof *key);
    if (PyObject_GetBuffer(src, &s, PyBUF_SIMPLE) < 0)
        return NULL;
    if (PyObject_GetBuffer(dst, &d, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&s);
        return NULL;
    }
    int ok = s.len == d.len && (s.len == 4 || s.len == 16);
    if (ok) {
        key->addr_len = (uint8_t)s.len;
        memcpy(key->src, s.buf, s.len);
        memcpy(key->dst, d.buf, d.len);
    }
    PyBuffer_Release(&s);
    PyBuffer_Release(&d);
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "addresses must both be 4 or 16 bytes");
        return NULL;
    }
    long sp = PyLong_AsLong(sport), dp = PyLong_AsLong(dport);
    if (PyErr_Occurred())
        return NULL;
    key->sport = (uint16_t)sp;
    key->dport = (uint16_t)dp;
    return Py_None;
}

static PyObject *FlowIndex_adopt(FlowIndexObject *self, PyObject *args)
{
    PyObject *src, *sport, *dst, *dport, *conn;
    int direction;
    if (!PyArg_ParseTuple(args, "OOOOOi:adopt", &src, &sport, &dst, &dport, &conn, &direction))
        return NULL;
    FlowKey key, reverse;
    if (key_from_args(src, sport, dst, dport, &key) == NULL
        || key_from_args(dst, dport, src, sport, &reverse) == NULL)
        return NULL;
    if (table_put(self, &key, conn, direction != 0) < 0
        || table_put(self, &reverse, conn, direction == 0) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *FlowIndex_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *error_class;
    static char *kwlist[] = {"error_class", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:FlowIndex", kwlist, &error_class))
        return NULL;
    FlowIndexObject *self = (FlowIndexObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->slots = PyMem_Calloc(MIN_SLOTS, sizeof(Slot));
    if (self->slots == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    self->size = MIN_SLOTS;
    self->error_class = Py_NewRef(error_class);
    self->driver = Py_NewRef(Py_None);
    self->ip_layer = Py_NewRef(Py_None);
    self->on_error = Py_NewRef(Py_None);
    self->tracker = Py_NewRef(Py_None);
    self->udp_probes = Py_NewRef(Py_None);
    fc_scan_init(&self->fc);
    self->rdma = Py_NewRef(Py_None);
    self->bpf = Py_NewRef(Py_None);
    memset(self->upper, 0xFF, sizeof self->upper);  /* until told: Python takes them all */
    self->ts_from = INT64_MIN;
    self->ts_to = INT64_MAX;
    self->deadline = INT64_MAX;
    self->latest_ts = -1;
    return (PyObject *)self;
}

static int FlowIndex_traverse(FlowIndexObject *self, visitproc visit, void *arg)
{
    for (Py_ssize_t i = 0; i < self->size; i++)
        Py_VISIT(self->slots[i].conn);
    for (int i = 0; i < self->n_touched; i++)
        Py_VISIT(self->touched[i].conn);
    Py_VISIT(self->driver);
    Py_VISIT(self->ip_layer);
    Py_VISIT(self->ip_probes);
    Py_VISIT(self->on_error);
    Py_VISIT(self->error_class);
    Py_VISIT(self->tracker);
    Py_VISIT(self->udp_probes);
    int visited = fc_scan_traverse(&self->fc, visit, arg);
    if (visited)
        return visited;
    Py_VISIT(self->rdma);
    Py_VISIT(self->bpf);
    return 0;
}

static int FlowIndex_clear(FlowIndexObject *self)
{
    for (Py_ssize_t i = 0; i < self->size; i++)
        Py_CLEAR(self->slots[i].conn);
    for (int i = 0; i < self->n_touched; i++)
        Py_CLEAR(self->touched[i].conn);
    self->n_touched = 0;
    self->live = 0;
    Py_CLEAR(self->driver);
    Py_CLEAR(self->ip_layer);
    Py_CLEAR(self->ip_probes);
    Py_CLEAR(self->on_error);
    Py_CLEAR(self->error_class);
    Py_CLEAR(self->tracker);
    Py_CLEAR(self->udp_probes);
    fc_scan_clear(&self->fc);
    Py_CLEAR(self->rdma);
    Py_CLEAR(self->bpf);
    return 0;
}

static void FlowIndex_dealloc(FlowIndexObject *self)
{
    PyObject_GC_UnTrack(self);
    FlowIndex_clear(self);
    PyMem_Free(self->slots);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The settable references: a Python value, None allowed. */
static int set_ref(PyObject **field, PyObject *value)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete this attribute");
        return -1;
    }
    Py_XSETREF(*field, Py_NewRef(value));
    return 0;
}

#define REF_PROPERTY(name)                                                          \
    static PyObject *get_##name(FlowIndexObject *self, void *c)                     \
    {                                                                               \
        return Py_NewRef(self->name);                                               \
    }                                                                               \
    static int set_##name(FlowIndexObject *self, PyObject *v, void *c)              \
    {                                                                               \
        return set_ref(&self->name, v);                                             \
    }

REF_PROPERTY(driver)
REF_PROPERTY(ip_layer)
REF_PROPERTY(on_error)
REF_PROPERTY(tracker)
REF_PROPERTY(udp_probes)
REF_PROPERTY(rdma)

static PyObject *get_fc(FlowIndexObject *self, void *c)
{
    return Py_NewRef(self->fc.provider ? self->fc.provider : Py_None);
}

static int set_fc(FlowIndexObject *self, PyObject *v, void *c)
{
    if (v == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete fc");
        return -1;
    }
    return fc_scan_set(&self->fc, v);
}

static PyObject *get_deadline(FlowIndexObject *self, void *c)
{
    return PyLong_FromLongLong(self->deadline);
}

static int set_deadline(FlowIndexObject *self, PyObject *v, void *c)
{
    if (v == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete deadline");
        return -1;
    }
    return int64_of(v, &self->deadline) < 0 ? -1 : 0;
}

static PyObject *get_bpf(FlowIndexObject *self, void *c)
{
    return Py_NewRef(self->bpf);
}

static int set_bpf(FlowIndexObject *self, PyObject *v, void *c)
{
    if (v != NULL && v != Py_None && !PyObject_TypeCheck(v, &BpfProgram_Type)) {
        PyErr_SetString(PyExc_TypeError, "bpf must be a BpfProgram or None");
        return -1;
    }
    return set_ref(&self->bpf, v);
}

/* A window bound: an int (saturated to 64 bits) or None (unbounded). */
static int window_bound(PyObject *v, int64_t unbounded, int64_t *out)
{
    if (v == Py_None) {
        *out = unbounded;
        return 0;
    }
    return int64_of(v, out) < 0 ? -1 : 0;
}

static PyObject *get_window(FlowIndexObject *self, void *c)
{
    return Py_BuildValue("LL", (long long)self->ts_from, (long long)self->ts_to);
}

static int set_window(FlowIndexObject *self, PyObject *v, void *c)
{
    PyObject *lo, *hi;
    if (v == NULL || !PyArg_ParseTuple(v, "OO:window", &lo, &hi)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_AttributeError, "cannot delete window");
        return -1;
    }
    int64_t from, to;
    if (window_bound(lo, INT64_MIN, &from) < 0 || window_bound(hi, INT64_MAX, &to) < 0)
        return -1;
    self->ts_from = from;
    self->ts_to = to;
    return 0;
}

static PyObject *get_ip_protocols(FlowIndexObject *self, void *c)
{
    PyObject *set = PyFrozenSet_New(NULL);
    for (int proto = 0; set != NULL && proto < 256; proto++) {
        if (!upper_takes(self, proto))
            continue;
        PyObject *n = PyLong_FromLong(proto);
        if (n == NULL || PySet_Add(set, n) < 0)
            Py_CLEAR(set);
        Py_XDECREF(n);
    }
    return set;
}

static int set_ip_protocols(FlowIndexObject *self, PyObject *v, void *c)
{
    PyObject *iter = v == NULL ? NULL : PyObject_GetIter(v), *item;
    if (iter == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_AttributeError, "cannot delete ip_protocols");
        return -1;
    }
    uint8_t upper[32] = {0};
    while ((item = PyIter_Next(iter)) != NULL) {
        long proto = PyLong_AsLong(item);
        Py_DECREF(item);
        if (proto < 0 || proto > 255) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "an IP protocol is 0..255");
            break;
        }
        upper[proto >> 3] |= (uint8_t)(1 << (proto & 7));
    }
    Py_DECREF(iter);
    if (PyErr_Occurred())
        return -1;
    memcpy(self->upper, upper, sizeof upper);
    return 0;
}

static PyObject *get_latest_ts(FlowIndexObject *self, void *c)
{
    return PyLong_FromLongLong(self->latest_ts);
}

static PyGetSetDef FlowIndex_getset[] = {
    {"driver", (getter)get_driver, (setter)set_driver,
     "the D program: its next_tick_ns stops the scan; its held output is flushed per record"},
    {"ip_layer", (getter)get_ip_layer, (setter)set_ip_layer,
     "records are consumed only while this object's fire is None"},
    {"on_error", (getter)get_on_error, (setter)set_on_error,
     "on_error(frame, exc): a DissectError raised while a record was consumed"},
    {"tracker", (getter)get_tracker, (setter)set_tracker,
     "a TcpTracker that takes every TCP segment the scanner can decode, or None"},
    {"udp_probes", (getter)get_udp_probes, (setter)set_udp_probes,
     "a UdpProbes: the datagrams of UDP records fire its probes and are consumed, or None"},
    {"fc", (getter)get_fc, (setter)set_fc,
     "the fc provider: its on_data and on_iu take the FCoE records of FCP frames; or None"},
    {"rdma", (getter)get_rdma, (setter)set_rdma,
     "an RcTransport that takes the RoCE records it can (rdma.c), or None"},
    {"deadline", (getter)get_deadline, (setter)set_deadline,
     "records at or after this time (ns) are left to the Python layers"},
    {"latest_ts", (getter)get_latest_ts, NULL, "the latest time of a consumed record (-1: none)"},
    {"ip_protocols", (getter)get_ip_protocols, (setter)set_ip_protocols,
     "the IP protocols the Python layers take (TCP: unless this scanner takes the segment);\n"
     "a record of any other one is consumed once its ip probes fired"},
    {"bpf", (getter)get_bpf, (setter)set_bpf,
     "a BpfProgram: Ethernet records it rejects are skipped (-f); None keeps every record"},
    {"window", (getter)get_window, (setter)set_window,
     "(from_ns, to_ns): records outside [from_ns, to_ns) are skipped; None: unbounded"},
    {NULL},
};

static PyMemberDef FlowIndex_members[] = {
    {"frames", T_LONGLONG, offsetof(FlowIndexObject, frames), READONLY, "records consumed"},
    {"bytes", T_LONGLONG, offsetof(FlowIndexObject, bytes), READONLY,
     "their wire length in bytes"},
    {"segments", T_LONGLONG, offsetof(FlowIndexObject, segments), READONLY,
     "TCP segments among them (all of them)"},
    {"datagrams", T_LONGLONG, offsetof(FlowIndexObject, datagrams), READONLY,
     "UDP datagrams among them"},
    {"filtered", T_LONGLONG, offsetof(FlowIndexObject, filtered), READONLY,
     "records skipped by the record selection (bpf, window)"},
    {NULL},
};

static PyMethodDef FlowIndex_methods[] = {
    {"scan", (PyCFunction)(void (*)(void))FlowIndex_scan, METH_FASTCALL,
     "scan(buf, pos, end, index, linktype, big_endian, frac_ns, source) -> (pos, index):\n"
     "consume the pcap records of buf[pos:end] from pos on while they can be; return\n"
     "where the first record left to the Python layers starts and the packet number\n"
     "of the record before it."},
    {"scan_pcapng", (PyCFunction)(void (*)(void))FlowIndex_scan_pcapng, METH_FASTCALL,
     "scan_pcapng(buf, pos, end, index, big_endian, interfaces, source)\n"
     "-> (pos, index, last_ts): the same over the Enhanced Packet Blocks of a pcapng\n"
     "section; interfaces: a tuple of (linktype, num, den, offset_ns, name), one per\n"
     "IDB; last_ts: the time of the last block consumed (-1: none)."},
    {"consumed_frame", (PyCFunction)FlowIndex_consumed_frame, METH_NOARGS | METH_STATIC,
     "consumed_frame() -> Frame or None: the record this thread's scan is consuming\n"
     "(whose firings a sink is receiving), as a Frame; None outside a scan."},
    {"adopt", (PyCFunction)FlowIndex_adopt, METH_VARARGS,
     "adopt(src, sport, dst, dport, conn, direction): segments from src:sport to dst:dport\n"
     "(wire address bytes) are direction ``direction`` of conn, the reverse the other."},
    {NULL},
};

static PyTypeObject FlowIndex_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pcapprobe._fastpath.FlowIndex",
    .tp_doc = "FlowIndex(error_class): the connections whose plain data\n"
              "segments the scanner hands straight to their reassemblers.",
    .tp_basicsize = sizeof(FlowIndexObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = FlowIndex_new,
    .tp_dealloc = (destructor)FlowIndex_dealloc,
    .tp_traverse = (traverseproc)FlowIndex_traverse,
    .tp_clear = (inquiry)FlowIndex_clear,
    .tp_methods = FlowIndex_methods,
    .tp_members = FlowIndex_members,
    .tp_getset = FlowIndex_getset,
};

int scan_add_types(PyObject *module)
{
    struct { PyObject **var; const char *text; } names[] = {
        {&str_framer, "framer"}, {&str_reasm, "reasm"}, {&str_last_ts, "last_ts"},
        {&str_server_spoke, "server_spoke"}, {&str_frame, "frame"}, {&str_unbind, "_unbind"},
        {&str_fire, "fire"}, {&str_next_tick_ns, "next_tick_ns"}, {&str_pending, "pending"},
        {&str_flush, "flush"}, {&str_native, "native"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        *names[i].var = PyUnicode_InternFromString(names[i].text);
        if (*names[i].var == NULL)
            return -1;
    }
    if (PyType_Ready(&FlowIndex_Type) < 0)
        return -1;
    return PyModule_AddObjectRef(module, "FlowIndex", (PyObject *)&FlowIndex_Type);
}
