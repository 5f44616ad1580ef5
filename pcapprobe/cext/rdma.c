/* RcTransport: the Reliable Connected transport of InfiniBand and RoCE, the
 * only implementation of its rules (IBTA Vol. 1 ch. 9).
 *
 * The Python RDMA layer (pcapprobe/flows/rdma.py) keeps connection
 * management: a CM REQ/REP pair binds two queue pairs to a channel (``bind``).
 * From then on every RC packet sent to one of them comes here, either from the
 * record scanner (scan.c: RoCEv2 and RoCEv1 records, LINKTYPE_INFINIBAND
 * records; headers read here) or from the Python layers with the headers
 * dissectors/infiniband.py decoded (``packet``: ERF records, anything the
 * scanner leaves):
 *
 * * request packets are sequenced per direction by PSN as the responder does
 *   (§9.7.4.1.1): a PSN behind the expected one (within half the PSN space) is
 *   a retransmission and is dropped, one ahead is loss; an RDMA READ request
 *   takes as many PSNs as its response has packets;
 * * SEND First/Middle/Last/Only are reassembled per direction; a gap drops the
 *   message in progress, so a gap never produces a message;
 * * an RDMA WRITE's first packet and an RDMA READ request go to the upper
 *   protocol (``on_rdma``), and their completion (the ACK covering the WRITE's
 *   last PSN, §9.7.5.1; the READ's last response packet) to ``on_rdma_done``.
 *
 * The upper protocol (SRP, iSER) gets one call per whole message and one per
 * RDMA transfer.  The ICRC is not checked (as the Python layers never did).
 */
#include "fastpath.h"

#include <string.h>

#include "structmember.h"

#define PSN_MASK 0xFFFFFFu
#define QPN_MASK 0xFFFFFFu
#define PSN_WINDOW (1u << 23)  /* half the PSN space: ahead, or behind (§9.7.4.1.1) */
#define LINKTYPE_INFINIBAND 247
#define LRH_LEN 8
#define LNH_IBA_LOCAL 2   /* LRH then BTH */
#define LNH_IBA_GLOBAL 3  /* LRH, GRH, then BTH */
#define BTH_LEN 12
#define GRH_LEN 40
#define ICRC_LEN 4
#define UDP_HEADER_LEN 8
#define ETHERTYPE_ROCE 0x8915
#define IPPROTO_UDP 17
#define IB_QP1 1  /* GSI: CM MADs, the Python layer's */
#define MAX_CHANNELS 4096  /* channels remembered; the oldest closed ones go first */
#define MAX_EXCLUDED 8
/* a SEND message longer than this is dropped (SRP IUs and iSER PDUs are far
 * smaller); it bounds what one direction holds */
#define MAX_MESSAGE (16 << 20)
#define KEPT_BUFFER (64 << 10)

/* BTH operations of RC (§9.2 Table 38) */
enum {
    SEND_FIRST = 0x00, SEND_MIDDLE, SEND_LAST, SEND_LAST_IMM, SEND_ONLY, SEND_ONLY_IMM,
    WRITE_FIRST, WRITE_MIDDLE, WRITE_LAST, WRITE_LAST_IMM, WRITE_ONLY, WRITE_ONLY_IMM,
    READ_REQUEST, READ_RESPONSE_FIRST, READ_RESPONSE_MIDDLE, READ_RESPONSE_LAST,
    READ_RESPONSE_ONLY, ACKNOWLEDGE, SEND_LAST_INV = 0x16, SEND_ONLY_INV = 0x17,
};

#define BIT(op) (1u << (op))
static const uint32_t SEND_STARTS = BIT(SEND_FIRST) | BIT(SEND_ONLY) | BIT(SEND_ONLY_IMM)
                                    | BIT(SEND_ONLY_INV);
static const uint32_t SEND_ENDS = BIT(SEND_LAST) | BIT(SEND_LAST_IMM) | BIT(SEND_LAST_INV)
                                  | BIT(SEND_ONLY) | BIT(SEND_ONLY_IMM) | BIT(SEND_ONLY_INV);
static const uint32_t SENDS = BIT(SEND_FIRST) | BIT(SEND_MIDDLE) | BIT(SEND_LAST)
                              | BIT(SEND_LAST_IMM) | BIT(SEND_ONLY) | BIT(SEND_ONLY_IMM)
                              | BIT(SEND_LAST_INV) | BIT(SEND_ONLY_INV);
static const uint32_t WRITE_STARTS = BIT(WRITE_FIRST) | BIT(WRITE_ONLY) | BIT(WRITE_ONLY_IMM);
static const uint32_t WRITES = BIT(WRITE_FIRST) | BIT(WRITE_MIDDLE) | BIT(WRITE_LAST)
                               | BIT(WRITE_LAST_IMM) | BIT(WRITE_ONLY) | BIT(WRITE_ONLY_IMM);
static const uint32_t READ_RESPONSE_ENDS = BIT(READ_RESPONSE_LAST) | BIT(READ_RESPONSE_ONLY);
/* the operations whose first extended header is a RETH, or an AETH */
static const uint32_t WITH_RETH = BIT(WRITE_FIRST) | BIT(WRITE_ONLY) | BIT(WRITE_ONLY_IMM)
                                  | BIT(READ_REQUEST);
static const uint32_t WITH_AETH = BIT(READ_RESPONSE_FIRST) | BIT(READ_RESPONSE_LAST)
                                  | BIT(READ_RESPONSE_ONLY) | BIT(ACKNOWLEDGE) | BIT(0x12);

/* A node: what a channel's end is found by.  kind 'I' an IP address (RoCEv2),
 * 'G' a GID (RoCEv1), 'L' a LID (native InfiniBand); rdma.py writes the same
 * bytes (node_key). */
typedef struct {
    uint8_t kind, len;
    uint8_t addr[16];
    uint32_t qpn;
} QpKey;

typedef struct {
    uint32_t expected;        /* the next request PSN */
    int assembling;           /* a SEND message is in progress */
    unsigned char *message;   /* its bytes so far */
    Py_ssize_t length, capacity;
} Sequence;

typedef struct {
    uint32_t psn;      /* a READ's first PSN; a WRITE's last */
    uint32_t packets;  /* a READ's response packets; 0 for a WRITE */
    PyObject *token;              /* what on_rdma returned (strong) */
} Transfer;

typedef struct {
    Transfer *items;
    Py_ssize_t n, capacity;
} Transfers;

typedef struct {
    PyObject *channel;  /* the Python Channel (strong) */
    PyObject *on_message, *on_rdma, *on_rdma_done;  /* its upper's methods (strong) */
    uint32_t mtu;
    Sequence sequences[2];  /* by sender: 0 initiator, 1 target */
    Transfers writes;       /* RDMA WRITEs awaiting their ACK */
    Transfers reads;        /* RDMA READs awaiting their last response */
    int refs;               /* table entries naming this channel */
    unsigned traversed;     /* the GC traversal that last visited it */
} RcChannel;

typedef struct {
    QpKey key;
    RcChannel *channel;  /* NULL: a dead entry, gone at the next compaction */
    int receiver;        /* which end of the channel this QP is */
} Entry;

typedef struct {
    PyObject_HEAD
    Entry *entries;          /* in the order they were bound */
    Py_ssize_t n, capacity, live;
    Py_ssize_t *index;       /* open addressing: entry number + 1, 0 empty */
    Py_ssize_t index_size;   /* a power of two, at least twice the entries */
    PyObject *reth_class;    /* dissectors.infiniband.Reth */
    int8_t header_len[32];   /* RC operation -> extended header bytes, -1 undefined */
    uint16_t port;           /* RoCEv2's UDP port */
    uint16_t excluded[MAX_EXCLUDED];  /* UDP ports an earlier datagram binding owns */
    int n_excluded;
    int called;              /* an upper's method ran for the current packet */
    unsigned traversal;      /* GC traversals so far: each channel is visited once */
    long long retransmitted, gaps, dropped_sends, oversized, unknown, datagrams;
} RcTransportObject;

/* ---- the QP table ---------------------------------------------------------- */

static uint64_t key_hash(const QpKey *k)
{
    uint64_t h = 1469598103934665603ULL;
    h = (h ^ k->kind) * 1099511628211ULL;
    for (int i = 0; i < k->len; i++)
        h = (h ^ k->addr[i]) * 1099511628211ULL;
    h = (h ^ k->qpn) * 1099511628211ULL;
    return h ^ (h >> 29);
}

static int key_equal(const QpKey *a, const QpKey *b)
{
    return a->qpn == b->qpn && a->kind == b->kind && a->len == b->len
           && memcmp(a->addr, b->addr, a->len) == 0;
}

static Entry *table_find(RcTransportObject *self, const QpKey *key)
{
    if (self->index == NULL)
        return NULL;
    Py_ssize_t mask = self->index_size - 1;
    for (Py_ssize_t i = (Py_ssize_t)(key_hash(key) & (uint64_t)mask);; i = (i + 1) & mask) {
        Py_ssize_t at = self->index[i];
        if (at == 0)
            return NULL;
        Entry *e = &self->entries[at - 1];
        if (e->channel != NULL && key_equal(&e->key, key))
            return e;
    }
}

static void index_put(RcTransportObject *self, Py_ssize_t at)
{
    Py_ssize_t mask = self->index_size - 1;
    Py_ssize_t i = (Py_ssize_t)(key_hash(&self->entries[at].key) & (uint64_t)mask);
    while (self->index[i] != 0)
        i = (i + 1) & mask;
    self->index[i] = at + 1;
}

static void transfers_clear(Transfers *t)
{
    for (Py_ssize_t i = 0; i < t->n; i++)
        Py_DECREF(t->items[i].token);
    PyMem_Free(t->items);
    *t = (Transfers){0};
}

static void channel_free(RcChannel *ch)
{
    Py_XDECREF(ch->channel);
    Py_XDECREF(ch->on_message);
    Py_XDECREF(ch->on_rdma);
    Py_XDECREF(ch->on_rdma_done);
    for (int i = 0; i < 2; i++)
        PyMem_Free(ch->sequences[i].message);
    transfers_clear(&ch->writes);
    transfers_clear(&ch->reads);
    PyMem_Free(ch);
}

static void entry_kill(Entry *e)
{
    RcChannel *ch = e->channel;
    e->channel = NULL;
    if (ch != NULL && --ch->refs == 0)
        channel_free(ch);
}

/* Drop the dead entries and index the rest again, with room for ``more``. */
static int table_rebuild(RcTransportObject *self, Py_ssize_t more)
{
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < self->n; i++)
        if (self->entries[i].channel != NULL)
            self->entries[n++] = self->entries[i];
    self->n = self->live = n;
    if (n + more > self->capacity) {
        Py_ssize_t capacity = (n + more) * 2;
        Entry *entries = PyMem_Realloc(self->entries, capacity * sizeof(Entry));
        if (entries == NULL)
            return -1;
        self->entries = entries;
        self->capacity = capacity;
    }
    Py_ssize_t size = 16;
    while (size < 2 * self->capacity)
        size *= 2;
    if (size != self->index_size) {
        Py_ssize_t *index = PyMem_Calloc(size, sizeof(Py_ssize_t));
        if (index == NULL)
            return -1;
        PyMem_Free(self->index);
        self->index = index;
        self->index_size = size;
    } else {
        memset(self->index, 0, size * sizeof(Py_ssize_t));
    }
    for (Py_ssize_t i = 0; i < n; i++)
        index_put(self, i);
    return 0;
}

/* Whether a channel was closed (its DREQ seen): the Python Channel says. */
static int channel_closed(RcChannel *ch)
{
    PyObject *closed = PyObject_GetAttrString(ch->channel, "closed");
    if (closed == NULL)
        return -1;
    int result = PyObject_IsTrue(closed);
    Py_DECREF(closed);
    return result;
}

/* Bound the table before two entries are added: the entries of closed
 * channels go first, then the oldest. */
static int table_bound(RcTransportObject *self)
{
    if (self->live + 2 <= 2 * MAX_CHANNELS)
        return 0;
    for (Py_ssize_t i = 0; i < self->n; i++) {
        Entry *e = &self->entries[i];
        if (e->channel == NULL)
            continue;
        int closed = channel_closed(e->channel);
        if (closed < 0)
            return -1;
        if (closed) {
            entry_kill(e);
            self->live--;
        }
    }
    for (Py_ssize_t i = 0; i < self->n && self->live + 2 > 2 * MAX_CHANNELS; i++)
        if (self->entries[i].channel != NULL) {
            entry_kill(&self->entries[i]);
            self->live--;
        }
    return 0;
}

/* Node bytes (kind, then the address) and a QPN as a key; 0, or -1 with an
 * exception set. */
static int key_of(PyObject *node, unsigned long qpn, QpKey *key)
{
    char *bytes;
    Py_ssize_t len;
    if (PyBytes_AsStringAndSize(node, &bytes, &len) < 0)
        return -1;
    if (len < 2 || len > 17) {
        PyErr_SetString(PyExc_ValueError, "a node is a kind byte and 1 to 16 address bytes");
        return -1;
    }
    memset(key, 0, sizeof *key);
    key->kind = (uint8_t)bytes[0];
    key->len = (uint8_t)(len - 1);
    memcpy(key->addr, bytes + 1, len - 1);
    key->qpn = (uint32_t)(qpn & QPN_MASK);
    return 0;
}

/* ---- the RC rules ------------------------------------------------------------ */

/* An RETH: its fields, and the Reth object the upper gets (made when needed). */
typedef struct {
    int present;
    uint64_t va;
    uint32_t r_key, dma_len;
    PyObject *object;  /* borrowed, or NULL until made (then strong, see reth_release) */
    int made;
} RethFields;

static PyObject *reth_object(RcTransportObject *self, RethFields *reth)
{
    if (reth->object == NULL) {
        reth->object = PyObject_CallFunction(self->reth_class, "KII",
                                             (unsigned long long)reth->va,
                                             (unsigned int)reth->r_key,
                                             (unsigned int)reth->dma_len);
        reth->made = reth->object != NULL;
    }
    return reth->object;
}

static void reth_release(RethFields *reth)
{
    if (reth->made)
        Py_CLEAR(reth->object);
}

/* No message in progress; a large buffer goes (a direction between messages
 * holds at most KEPT_BUFFER bytes). */
static void sequence_idle(Sequence *seq)
{
    seq->assembling = 0;
    seq->length = 0;
    if (seq->capacity > KEPT_BUFFER) {
        PyMem_Free(seq->message);
        seq->message = NULL;
        seq->capacity = 0;
    }
}

/* Whether a request packet is new; retransmissions and gaps counted.  A gap
 * drops the message in progress. */
static int in_sequence(RcTransportObject *self, Sequence *seq, uint32_t psn, uint32_t count)
{
    uint32_t ahead = (psn - seq->expected) & PSN_MASK;
    if (ahead >= PSN_WINDOW) {
        self->retransmitted++;
        return 0;
    }
    if (ahead) {
        self->gaps++;
        sequence_idle(seq);
    }
    seq->expected = (psn + count) & PSN_MASK;
    return 1;
}

/* How many packets carry a transfer of dma_len bytes at the channel's MTU. */
static uint32_t packets_of(const RcChannel *ch, uint32_t dma_len)
{
    uint32_t packets = (uint32_t)(((uint64_t)dma_len + ch->mtu - 1) / ch->mtu);
    return packets ? packets : 1;
}

static int call_upper(RcTransportObject *self, PyObject *method, PyObject **args, size_t n,
                      PyObject **result)
{
    self->called = 1;
    if (before_python() < 0)
        return -1;
    PyObject *r = PyObject_Vectorcall(method, args, n, NULL);
    if (r == NULL)
        return -1;
    if (result != NULL)
        *result = r;
    else
        Py_DECREF(r);
    return 0;
}

static int deliver(RcTransportObject *self, RcChannel *ch, int sender, PyObject *message,
                   int64_t ts)
{
    PyObject *who = PyLong_FromLong(sender), *when = PyLong_FromLongLong(ts);
    int status = -1;
    if (who != NULL && when != NULL) {
        PyObject *args[4] = {ch->channel, who, message, when};
        status = call_upper(self, ch->on_message, args, 4, NULL);
    }
    Py_XDECREF(who);
    Py_XDECREF(when);
    return status;
}

static int rc_send(RcTransportObject *self, RcChannel *ch, int sender, int op, uint32_t psn,
                   const uint8_t *data, Py_ssize_t len, int64_t ts)
{
    Sequence *seq = &ch->sequences[sender];
    if (!in_sequence(self, seq, psn, 1))
        return 0;
    int starts = (SEND_STARTS & BIT(op)) != 0, ends = (SEND_ENDS & BIT(op)) != 0;
    if (starts) {
        seq->assembling = 1;
        seq->length = 0;
    }
    if (!seq->assembling) {
        self->dropped_sends++;
        return 0;
    }
    PyObject *message;
    if (starts && ends) {
        message = PyBytes_FromStringAndSize((const char *)data, len);
    } else {
        if (seq->length + len > MAX_MESSAGE) {
            self->oversized++;
            sequence_idle(seq);
            return 0;
        }
        if (seq->length + len > seq->capacity) {
            Py_ssize_t capacity = (seq->length + len) * 2;
            unsigned char *grown = PyMem_Realloc(seq->message, capacity);
            if (grown == NULL) {
                PyErr_NoMemory();
                return -1;
            }
            seq->message = grown;
            seq->capacity = capacity;
        }
        memcpy(seq->message + seq->length, data, len);
        seq->length += len;
        if (!ends)
            return 0;
        message = PyBytes_FromStringAndSize((const char *)seq->message, seq->length);
        sequence_idle(seq);
    }
    if (message == NULL)
        return -1;
    int status = deliver(self, ch, sender, message, ts);
    Py_DECREF(message);
    return status;
}

static int transfers_add(Transfers *t, uint32_t psn, uint32_t packets, PyObject *token)
{
    if (t->n == t->capacity) {
        Py_ssize_t capacity = t->capacity ? t->capacity * 2 : 4;
        Transfer *items = PyMem_Realloc(t->items, capacity * sizeof(Transfer));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        t->items = items;
        t->capacity = capacity;
    }
    t->items[t->n++] = (Transfer){psn, packets, token};  /* the reference moves in */
    return 0;
}

/* on_rdma for a WRITE's first packet or a READ request: the token it returned
 * (None: the upper does not follow this transfer), NULL on error. */
static PyObject *rdma_started(RcTransportObject *self, RcChannel *ch, int sender, int read,
                              RethFields *reth, int64_t ts)
{
    PyObject *object = reth_object(self, reth);
    if (object == NULL)
        return NULL;
    PyObject *who = PyLong_FromLong(sender), *when = PyLong_FromLongLong(ts);
    PyObject *token = NULL;
    if (who != NULL && when != NULL) {
        PyObject *args[5] = {ch->channel, who, read ? Py_True : Py_False, object, when};
        if (call_upper(self, ch->on_rdma, args, 5, &token) < 0)
            token = NULL;
    }
    Py_XDECREF(who);
    Py_XDECREF(when);
    return token;
}

static int rdma_finished(RcTransportObject *self, RcChannel *ch, PyObject *token, int64_t ts)
{
    PyObject *when = PyLong_FromLongLong(ts);
    if (when == NULL)
        return -1;
    PyObject *args[3] = {ch->channel, token, when};
    int status = call_upper(self, ch->on_rdma_done, args, 3, NULL);
    Py_DECREF(when);
    return status;
}

static int rc_write(RcTransportObject *self, RcChannel *ch, int sender, int op, uint32_t psn,
                    RethFields *reth, int64_t ts)
{
    if (!in_sequence(self, &ch->sequences[sender], psn, 1))
        return 0;
    if (!(WRITE_STARTS & BIT(op)) || !reth->present)
        return 0;
    PyObject *token = rdma_started(self, ch, sender, 0, reth, ts);
    if (token == NULL)
        return -1;
    if (token == Py_None) {
        Py_DECREF(token);
        return 0;
    }
    uint32_t last = (psn + packets_of(ch, reth->dma_len) - 1) & PSN_MASK;
    if (transfers_add(&ch->writes, last, 0, token) < 0) {
        Py_DECREF(token);
        return -1;
    }
    return 0;
}

static int rc_read(RcTransportObject *self, RcChannel *ch, int sender, uint32_t psn,
                   RethFields *reth, int64_t ts)
{
    uint32_t packets = packets_of(ch, reth->dma_len);
    if (!in_sequence(self, &ch->sequences[sender], psn, packets))
        return 0;
    PyObject *token = rdma_started(self, ch, sender, 1, reth, ts);
    if (token == NULL)
        return -1;
    if (token == Py_None) {
        Py_DECREF(token);
        return 0;
    }
    if (transfers_add(&ch->reads, psn, packets, token) < 0) {
        Py_DECREF(token);
        return -1;
    }
    return 0;
}

/* An ACK (AETH syndrome 0b000xxxxx, §9.7.5.1) completes every WRITE up to its PSN. */
static int rc_acked(RcTransportObject *self, RcChannel *ch, uint32_t psn, int syndrome,
                    int64_t ts)
{
    if (syndrome < 0 || syndrome >> 5 || ch->writes.n == 0)
        return 0;
    Transfers done = {0};
    Transfers *w = &ch->writes;
    Py_ssize_t kept = 0;
    int status = 0;
    for (Py_ssize_t i = 0; i < w->n; i++) {
        if (((psn - w->items[i].psn) & PSN_MASK) < PSN_WINDOW) {
            if (status == 0 && transfers_add(&done, 0, 0, w->items[i].token) == 0)
                continue;
            status = -1;
        }
        w->items[kept++] = w->items[i];
    }
    w->n = kept;
    for (Py_ssize_t i = 0; i < done.n && status == 0; i++)
        status = rdma_finished(self, ch, done.items[i].token, ts);
    transfers_clear(&done);
    return status;
}

static int rc_read_done(RcTransportObject *self, RcChannel *ch, uint32_t psn, int64_t ts)
{
    Transfers *r = &ch->reads;
    for (Py_ssize_t i = 0; i < r->n; i++) {
        if (((psn - r->items[i].psn) & PSN_MASK) < r->items[i].packets) {
            PyObject *token = r->items[i].token;
            memmove(r->items + i, r->items + i + 1, (r->n - i - 1) * sizeof(Transfer));
            r->n--;
            int status = rdma_finished(self, ch, token, ts);
            Py_DECREF(token);
            return status;
        }
    }
    return 0;
}

/* One RC packet (not to QP1) sent to ``key``: 0, or -1 with an exception set. */
static int rc_packet(RcTransportObject *self, const QpKey *key, int op, uint32_t psn,
                     const uint8_t *data, Py_ssize_t len, RethFields *reth, int syndrome,
                     int64_t ts)
{
    Entry *entry = table_find(self, key);
    if (entry == NULL) {
        self->unknown++;
        return 0;
    }
    RcChannel *ch = entry->channel;
    int sender = 1 - entry->receiver;
    uint32_t bit = BIT(op);
    int status = 0;
    ch->refs++;  /* an upper's call may not free it under us */
    if (op == ACKNOWLEDGE)
        status = rc_acked(self, ch, psn, syndrome, ts);
    else if (READ_RESPONSE_ENDS & bit)
        status = rc_read_done(self, ch, psn, ts);
    else if (SENDS & bit)
        status = rc_send(self, ch, sender, op, psn, data, len, ts);
    else if (WRITES & bit)
        status = rc_write(self, ch, sender, op, psn, reth, ts);
    else if (op == READ_REQUEST && reth->present)
        status = rc_read(self, ch, sender, psn, reth, ts);
    if (--ch->refs == 0)
        channel_free(ch);
    return status;
}

/* ---- records from the scanner ---------------------------------------------------- */

/* A BTH at p[off]: its headers must lie within p[:end], its payload ends at
 * ``data_end`` less the pad bytes (the ICRC is not payload).  1 taken, 0 left
 * to the Python layers (not RC, QP1, an opcode or headers
 * dissectors/infiniband.py reports), -1 on error. */
static int rc_bth(RcTransportObject *self, QpKey *dst, const uint8_t *p, Py_ssize_t off,
                  Py_ssize_t end, Py_ssize_t data_end, int64_t ts)
{
    if (end - off < BTH_LEN)
        return 0;
    const uint8_t *bth = p + off;
    int opcode = bth[0];
    if (opcode >> 5 != 0)  /* not RC */
        return 0;
    int op = opcode & 0x1F, headers = self->header_len[op];
    uint32_t qpn = be32(bth + 4) & QPN_MASK;
    Py_ssize_t payload = off + BTH_LEN + headers;
    if (headers < 0 || qpn == IB_QP1 || payload > end)
        return 0;
    const uint8_t *ext = bth + BTH_LEN;
    RethFields reth = {0};
    int syndrome = -1;
    if (WITH_RETH & BIT(op)) {
        reth.present = 1;
        reth.va = (uint64_t)be32(ext) << 32 | be32(ext + 4);
        reth.r_key = be32(ext + 8);
        reth.dma_len = be32(ext + 12);
    } else if (WITH_AETH & BIT(op)) {
        syndrome = ext[0];
    }
    data_end -= (bth[1] >> 4) & 0x03;  /* PadCnt */
    if (data_end < payload)
        data_end = payload;
    dst->qpn = qpn;
    int status = rc_packet(self, dst, op, be32(bth + 8) & PSN_MASK, p + payload,
                           data_end - payload, &reth, syndrome, ts);
    reth_release(&reth);
    return status < 0 ? -1 : 1;
}

/* A RoCEv2 UDP datagram at p[off] of ``len`` bytes (its IP payload): its
 * BTH, when the datagram is whole and the roce binding's. */
static int rc_udp(RcTransportObject *self, QpKey *dst, const uint8_t *p, Py_ssize_t off,
                  Py_ssize_t len, int64_t ts)
{
    if (len < UDP_HEADER_LEN || be16(p + off + 2) != self->port || be16(p + off + 4) != len)
        return 0;
    uint16_t sport = be16(p + off);
    for (int i = 0; i < self->n_excluded; i++)
        if (self->excluded[i] == sport)
            return 0;
    int status = rc_bth(self, dst, p, off + UDP_HEADER_LEN, off + len, off + len - ICRC_LEN, ts);
    if (status > 0)
        self->datagrams++;
    return status;
}

/* A LINKTYPE_INFINIBAND record: the LRH (§7.7; PktLen counts the words up
 * to the ICRC), a GRH when LNH says so, then the BTH; nodes are LIDs. */
static int rc_infiniband(RcTransportObject *self, const uint8_t *p, Py_ssize_t caplen,
                         int64_t ts)
{
    if (caplen < LRH_LEN)
        return 0;
    int lnh = p[1] & 0x03;
    Py_ssize_t end = (Py_ssize_t)(be16(p + 4) & 0x07FF) * 4 - ICRC_LEN;
    if (end > caplen)
        end = caplen;
    Py_ssize_t off = LRH_LEN + (lnh == LNH_IBA_GLOBAL ? GRH_LEN : 0);
    if ((lnh != LNH_IBA_LOCAL && lnh != LNH_IBA_GLOBAL) || end < LRH_LEN || caplen <= off)
        return 0;
    /* a SEND Only may be IPoIB in connected mode (RFC 4755): the Python
     * layers test its payload for that first */
    if (p[off] == SEND_ONLY)
        return 0;
    QpKey dst;
    memset(&dst, 0, sizeof dst);
    dst.kind = 'L';
    dst.len = 2;
    memcpy(dst.addr, p + 2, 2);  /* DLID */
    return rc_bth(self, &dst, p, off, caplen, end, ts);
}

int rc_record(PyObject *transport, int linktype, const uint8_t *p, Py_ssize_t caplen,
              int64_t ts, int *called)
{
    RcTransportObject *self = (RcTransportObject *)transport;
    self->called = 0;
    if (linktype == LINKTYPE_INFINIBAND) {
        int status = rc_infiniband(self, p, caplen, ts);
        *called = self->called;
        return status;
    }
    uint16_t type;
    Py_ssize_t off = eth_payload(p, caplen, &type);
    if (off < 0)
        return 0;
    QpKey dst;
    memset(&dst, 0, sizeof dst);
    int status = 0;
    if (type == ETHERTYPE_ROCE) {
        /* GRH, then the BTH; the ICRC ends the captured frame */
        if (caplen - off < GRH_LEN)
            return 0;
        dst.kind = 'G';
        dst.len = 16;
        memcpy(dst.addr, p + off + 24, 16);
        status = rc_bth(self, &dst, p, off + GRH_LEN, caplen, caplen - ICRC_LEN, ts);
    } else {
        /* RoCEv2: a whole unfragmented UDP datagram (ip.c decodes the IP
         * header); anything else is the Python layers' */
        IpHdr iph;
        if (!ip_decode(p, caplen, &iph) || iph.proto != IPPROTO_UDP || !iph.whole)
            return 0;
        dst.kind = 'I';
        dst.len = iph.addr_len;
        memcpy(dst.addr, iph.dst, iph.addr_len);
        status = rc_udp(self, &dst, p, iph.payload_off, iph.plength, ts);
    }
    *called = self->called;
    return status;
}

/* ---- the RcTransport type ------------------------------------------------------- */

static PyObject *RcTransport_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *reth_class, *header_lens, *excluded;
    unsigned short port;
    static char *kwlist[] = {"reth_class", "header_lengths", "port", "excluded_ports", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOHO:RcTransport", kwlist, &reth_class,
                                     &header_lens, &port, &excluded))
        return NULL;
    PyObject *lens = PySequence_Fast(header_lens, "header_lengths must be a sequence");
    if (lens == NULL)
        return NULL;
    PyObject *ports = PySequence_Fast(excluded, "excluded_ports must be a sequence");
    if (ports == NULL) {
        Py_DECREF(lens);
        return NULL;
    }
    RcTransportObject *self = NULL;
    if (PySequence_Fast_GET_SIZE(lens) != 32 || PySequence_Fast_GET_SIZE(ports) > MAX_EXCLUDED) {
        PyErr_SetString(PyExc_ValueError, "32 header lengths and at most 8 excluded ports");
        goto done;
    }
    self = (RcTransportObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        goto done;
    self->reth_class = Py_NewRef(reth_class);
    self->port = port;
    for (int i = 0; i < 32; i++) {
        long n = PyLong_AsLong(PySequence_Fast_GET_ITEM(lens, i));
        self->header_len[i] = (int8_t)(n < 0 || n > 64 ? -1 : n);
    }
    self->n_excluded = (int)PySequence_Fast_GET_SIZE(ports);
    for (int i = 0; i < self->n_excluded; i++)
        self->excluded[i] = (uint16_t)PyLong_AsLong(PySequence_Fast_GET_ITEM(ports, i));
    if (PyErr_Occurred())
        Py_CLEAR(self);
done:
    Py_DECREF(lens);
    Py_DECREF(ports);
    return (PyObject *)self;
}

/* Every reference once: a channel is named by up to two entries. */
static int RcTransport_traverse(RcTransportObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->reth_class);
    unsigned traversal = ++self->traversal;
    for (Py_ssize_t i = 0; i < self->n; i++) {
        RcChannel *ch = self->entries[i].channel;
        if (ch == NULL || ch->traversed == traversal)
            continue;
        ch->traversed = traversal;
        Py_VISIT(ch->channel);
        Py_VISIT(ch->on_message);
        Py_VISIT(ch->on_rdma);
        Py_VISIT(ch->on_rdma_done);
        for (Py_ssize_t j = 0; j < ch->writes.n; j++)
            Py_VISIT(ch->writes.items[j].token);
        for (Py_ssize_t j = 0; j < ch->reads.n; j++)
            Py_VISIT(ch->reads.items[j].token);
    }
    return 0;
}

static int RcTransport_clear(RcTransportObject *self)
{
    Py_CLEAR(self->reth_class);
    for (Py_ssize_t i = 0; i < self->n; i++)
        entry_kill(&self->entries[i]);
    self->n = self->live = 0;
    if (self->index != NULL)
        memset(self->index, 0, self->index_size * sizeof(Py_ssize_t));
    return 0;
}

static void RcTransport_dealloc(RcTransportObject *self)
{
    PyObject_GC_UnTrack(self);
    RcTransport_clear(self);
    PyMem_Free(self->entries);
    PyMem_Free(self->index);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int bind_entry(RcTransportObject *self, const QpKey *key, RcChannel *ch, int receiver)
{
    Entry *old = table_find(self, key);
    if (old != NULL) {  /* the QP now belongs to the new channel */
        entry_kill(old);
        self->live--;
    }
    self->entries[self->n] = (Entry){*key, ch, receiver};
    ch->refs++;
    self->n++;
    self->live++;
    return 0;
}

static PyObject *RcTransport_bind(RcTransportObject *self, PyObject *args)
{
    PyObject *channel, *initiator, *target;
    unsigned long qpn_i, psn_i, qpn_t, psn_t, mtu;
    if (!PyArg_ParseTuple(args, "OOkkOkkk:bind", &channel, &initiator, &qpn_i, &psn_i, &target,
                          &qpn_t, &psn_t, &mtu))
        return NULL;
    QpKey keys[2];
    if (key_of(initiator, qpn_i, &keys[0]) < 0 || key_of(target, qpn_t, &keys[1]) < 0)
        return NULL;
    if (mtu == 0) {
        PyErr_SetString(PyExc_ValueError, "the path MTU must be positive");
        return NULL;
    }
    PyObject *upper = PyObject_GetAttrString(channel, "upper");
    if (upper == NULL)
        return NULL;
    RcChannel *ch = PyMem_Calloc(1, sizeof(RcChannel));
    if (ch == NULL) {
        Py_DECREF(upper);
        return PyErr_NoMemory();
    }
    ch->channel = Py_NewRef(channel);
    ch->on_message = PyObject_GetAttrString(upper, "on_message");
    ch->on_rdma = ch->on_message ? PyObject_GetAttrString(upper, "on_rdma") : NULL;
    ch->on_rdma_done = ch->on_rdma ? PyObject_GetAttrString(upper, "on_rdma_done") : NULL;
    Py_DECREF(upper);
    ch->mtu = (uint32_t)mtu;
    ch->sequences[0].expected = (uint32_t)(psn_i & PSN_MASK);
    ch->sequences[1].expected = (uint32_t)(psn_t & PSN_MASK);
    ch->refs = 1;  /* ours until both entries hold it */
    if (ch->on_rdma_done == NULL || table_bound(self) < 0 || table_rebuild(self, 2) < 0) {
        channel_free(ch);
        return NULL;
    }
    /* the responder's QP first: it receives the requests */
    bind_entry(self, &keys[1], ch, 1);
    bind_entry(self, &keys[0], ch, 0);
    if (--ch->refs == 0)
        channel_free(ch);
    if (table_rebuild(self, 0) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *RcTransport_find(RcTransportObject *self, PyObject *args)
{
    PyObject *node;
    unsigned long qpn;
    if (!PyArg_ParseTuple(args, "Ok:find", &node, &qpn))
        return NULL;
    QpKey key;
    if (key_of(node, qpn, &key) < 0)
        return NULL;
    Entry *e = table_find(self, &key);
    if (e == NULL)
        Py_RETURN_NONE;
    return Py_BuildValue("Oi", e->channel->channel, e->receiver);
}

static PyObject *RcTransport_packet(RcTransportObject *self, PyObject *const *args,
                                    Py_ssize_t nargs)
{
    if (nargs != 8) {
        PyErr_SetString(PyExc_TypeError,
                        "packet(dst, dest_qp, opcode, psn, payload, reth, aeth_syndrome, ts)");
        return NULL;
    }
    unsigned long qpn = PyLong_AsUnsignedLong(args[1]);
    long opcode = PyLong_AsLong(args[2]);
    unsigned long psn = PyLong_AsUnsignedLong(args[3]);
    long syndrome = PyLong_AsLong(args[6]);
    long long ts = PyLong_AsLongLong(args[7]);
    if (PyErr_Occurred())
        return NULL;
    if (opcode >> 5 != 0 || (qpn & QPN_MASK) == IB_QP1) {
        PyErr_SetString(PyExc_ValueError, "an RC packet not to QP1");
        return NULL;
    }
    QpKey key;
    if (key_of(args[0], qpn, &key) < 0)
        return NULL;
    RethFields reth = {0};
    if (args[5] != Py_None) {
        PyObject *va = PyObject_GetAttrString(args[5], "va");
        PyObject *r_key = va ? PyObject_GetAttrString(args[5], "r_key") : NULL;
        PyObject *dma_len = r_key ? PyObject_GetAttrString(args[5], "dma_len") : NULL;
        if (dma_len != NULL) {
            reth.va = PyLong_AsUnsignedLongLong(va);
            reth.r_key = (uint32_t)PyLong_AsUnsignedLong(r_key);
            reth.dma_len = (uint32_t)PyLong_AsUnsignedLong(dma_len);
        }
        Py_XDECREF(va);
        Py_XDECREF(r_key);
        Py_XDECREF(dma_len);
        if (dma_len == NULL || PyErr_Occurred())
            return NULL;
        reth.present = 1;
        reth.object = args[5];
    }
    Py_buffer payload;
    if (PyObject_GetBuffer(args[4], &payload, PyBUF_SIMPLE) < 0)
        return NULL;
    int status = rc_packet(self, &key, (int)opcode, (uint32_t)(psn & PSN_MASK), payload.buf,
                           payload.len, &reth, (int)syndrome, ts);
    PyBuffer_Release(&payload);
    if (status < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* The --stats counts of the RC rules: only those that happened. */
static PyObject *RcTransport_counts(RcTransportObject *self, PyObject *noargs)
{
    PyObject *counts = PyDict_New();
    if (counts == NULL)
        return NULL;
    const struct { const char *name; long long n; } all[] = {
        {"RC packets retransmitted", self->retransmitted},
        {"RC PSN gaps (packets lost)", self->gaps},
        {"RC SEND packets after a gap (dropped)", self->dropped_sends},
        {"RC SEND messages over 16 MiB (dropped)", self->oversized},
        {"RC packets of connections not seen being set up", self->unknown},
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (all[i].n == 0)
            continue;
        PyObject *n = PyLong_FromLongLong(all[i].n);
        if (n == NULL || PyDict_SetItemString(counts, all[i].name, n) < 0) {
            Py_XDECREF(n);
            Py_DECREF(counts);
            return NULL;
        }
        Py_DECREF(n);
    }
    return counts;
}

static PyMemberDef RcTransport_members[] = {
    {"datagrams", T_LONGLONG, offsetof(RcTransportObject, datagrams), READONLY,
     "RoCEv2 datagrams taken from the scanner (the UDP layer counts them as its own)"},
    {NULL},
};

static PyMethodDef RcTransport_methods[] = {
    {"bind", (PyCFunction)RcTransport_bind, METH_VARARGS,
     "bind(channel, initiator, qpn, psn, target, qpn, psn, mtu): the two QPs of an RC\n"
     "connection (nodes: a kind byte b'I', b'G' or b'L' and the address bytes), their\n"
     "first request PSNs and the path MTU; channel.upper takes the messages and transfers."},
    {"find", (PyCFunction)RcTransport_find, METH_VARARGS,
     "find(node, qpn) -> (channel, receiver) or None: the channel a QP belongs to."},
    {"packet", (PyCFunction)(void (*)(void))RcTransport_packet, METH_FASTCALL,
     "packet(dst, dest_qp, opcode, psn, payload, reth, aeth_syndrome, ts): one RC packet\n"
     "(not to QP1) whose headers the Python layers decoded (reth: a Reth or None;\n"
     "aeth_syndrome: -1 without an AETH)."},
    {"counts", (PyCFunction)RcTransport_counts, METH_NOARGS,
     "counts() -> {name: n}: retransmissions, gaps, dropped packets, unknown connections."},
    {NULL},
};

PyTypeObject RcTransport_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pcapprobe._fastpath.RcTransport",
    .tp_doc = "RcTransport(reth_class, header_lengths, port, excluded_ports): the RC\n"
              "transport rules of InfiniBand and RoCE (see pcapprobe/cext/rdma.c); the\n"
              "scanner's RoCEv2 datagrams go to UDP ``port`` and come from none of\n"
              "``excluded_ports``; header_lengths: the extended header bytes of each RC\n"
              "operation (-1: undefined).",
    .tp_basicsize = sizeof(RcTransportObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = RcTransport_new,
    .tp_dealloc = (destructor)RcTransport_dealloc,
    .tp_traverse = (traverseproc)RcTransport_traverse,
    .tp_clear = (inquiry)RcTransport_clear,
    .tp_methods = RcTransport_methods,
    .tp_members = RcTransport_members,
};

int rdma_add_type(PyObject *module)
{
    if (PyType_Ready(&RcTransport_Type) < 0)
        return -1;
    return PyModule_AddObjectRef(module, "RcTransport", (PyObject *)&RcTransport_Type);
}
