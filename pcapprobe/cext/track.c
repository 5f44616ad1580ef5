/* TcpTracker: the TCP layer of a run that tracks endpoints (a tcp probe is
 * enabled) and in which no stream application can bind, in C.
 *
 * It does what pcapprobe/flows/tcp.py TcpLayer and flows/connection.py
 * (Connection's state, ConnectionTable) do in that case, and nothing about
 * applications: one connection per incarnation of a 4-tuple, its local
 * endpoints (endpoint.c), port reuse, time-wait on the capture clock, sweeps
 * of closed and idle connections, the layer's counts.  Segments come from the
 * record scanner (scan.c, tracker_record) or from the Python IP layer
 * (TcpTracker.segment).  Connection ids, roles and the order of endpoint
 * calls are exactly the Python layer's, which the tests compare against.
 * Connections are charged to the run's state budget (pcapprobe/flows/budget.py,
 * where the eviction policy is): the tracker is one of its AgedTables, its
 * connections kept in two lists in order of last activity (embryonic ones,
 * which have carried no data, apart), from which the budget's reclaim evicts.
 */
#include "tcpcore.h"

#include <string.h>

#include "structmember.h"

/* What a connection costs, its endpoints included (bytes, measured with
 * bench/memory_bench.py; flows/connection.py CONNECTION_COST for Python's). */
#define CONN_COST 750
/* What an endpoint in time-wait costs: flows/tcp.py TIME_WAIT_COST. */
#define TW_COST 400
/* Charges and releases are handed to the budget this many bytes at a time. */
#define CHARGE_BATCH (64 * 1024)
enum { EMBRYONIC, IDLE };  /* flows/budget.py age classes: the lists */

/* ---- connections ---------------------------------------------------------- */

/* One incarnation of a 4-tuple (flows/connection.py Connection, its state). */
typedef struct Conn {
    uint8_t addr_len;
    uint8_t caddr[16], saddr[16];
    uint16_t cport, sport;
    PyObject *cstr, *sstr;     /* the addresses as text (strong) */
    int ipv6;
    EndpointObject *ep[2];     /* ep[d]: the local endpoint sending direction d (strong) */
    int64_t last_ts;
    int server_spoke, fins, reset, has_client_iss;
    int data;                  /* a segment carried data: on the IDLE list */
    uint32_t client_iss;
    struct Conn *prev, *next;  /* its list, least recently active first */
} Conn;

/* A segment's (src, sport, dst, dport). */
typedef struct {
    uint8_t addr_len;
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
} Key;

enum { SLOT_EMPTY, SLOT_LIVE, SLOT_DELETED };

/* flows[key] = (conn, direction), the key being the connection's own for that
 * direction: 16 bytes a slot, so a lookup touches little memory besides the
 * connection it finds. */
typedef struct {
    uint32_t hash;
    uint8_t state;
    uint8_t direction;
    Conn *conn;
} Slot;

#define MIN_SLOTS 64

/* One segment, wherever it came from. */
typedef struct {
    Key key;
    PyObject *src_str, *dst_str;  /* borrowed; NULL: made from the key when needed */
    int ipv6;
    const uint8_t *tcp;           /* the IP payload as captured */
    Py_ssize_t captured;
    int64_t payload_len;          /* what the IP header(s) declare */
    int64_t ts;
    /* for the Python objects and weirds: the Python IP layer's packet and
     * segment, or (scanner) the record buffer and the payload's offset in it */
    PyObject *pkt, *seg;
    PyObject *buf;
    Py_ssize_t tcp_off;
} Packet;

typedef struct {
    PyObject_HEAD
    FiringObject *fire;
    int local_all;
    int tracking;               /* some tcp probe is enabled: local ends have endpoints */
    PyObject *local_addrs;      /* frozenset of str */
    uint8_t server_ports[8192]; /* bitmap: the ports of every stream binding */
    PyObject *report, *counts;
    PyObject *tcpinfo_class, *ipinfo_class;
    Slot *slots;
    Py_ssize_t size, filled, live;
    struct { Conn *first, *last; } lists[2];  /* [EMBRYONIC], [IDLE] */
    long long nconns;           /* ConnectionTable.count */
    PyObject *budget;           /* the run's StateBudget, or None */
    long long owed;             /* bytes not yet charged (< 0: released) */
    EndpointObject **tw;        /* the time-wait queue: a ring of strong references */
    Py_ssize_t tw_cap, tw_head, tw_len;
    int64_t next_clock, next_sweep;
    /* the clocks' constants, as flows/tcp.py and flows/connection.py define them */
    int64_t time_wait_ns, closed_linger_ns, idle_timeout_ns, sweep_every_ns;
    long long next_cid;
    long long connections, midstream, reused, evicted, segments;
    Packet *current;            /* the segment being processed */
    AddrCache addr_cache;       /* the text of the addresses seen */
} TrackerObject;

static PyTypeObject TcpTracker_Type;

static PyObject *str_weird, *str_src_bytes, *str_dst_bytes, *str_src, *str_dst, *str_ipv6,
    *str_payload, *str_payload_len, *str_ts_ns, *str_frame;

static uint32_t key_hash(const Key *k)
{
    uint64_t h = 1469598103934665603ULL;  /* FNV-1a */
    for (int i = 0; i < k->addr_len; i++)
        h = (h ^ k->src[i]) * 1099511628211ULL;
    for (int i = 0; i < k->addr_len; i++)
        h = (h ^ k->dst[i]) * 1099511628211ULL;
    h = (h ^ k->sport) * 1099511628211ULL;
    h = (h ^ k->dport) * 1099511628211ULL;
    return (uint32_t)(h ^ (h >> 32));
}

/* Whether ``key`` is the connection's key for ``direction``. */
static int conn_has_key(const Conn *c, int direction, const Key *key)
{
    uint16_t sport = direction ? c->sport : c->cport, dport = direction ? c->cport : c->sport;
    return c->addr_len == key->addr_len && key->sport == sport && key->dport == dport
           && memcmp(key->src, direction ? c->saddr : c->caddr, key->addr_len) == 0
           && memcmp(key->dst, direction ? c->caddr : c->saddr, key->addr_len) == 0;
}

/* The live slot of ``key`` (*found = 1), or where it would go: an empty slot,
 * or the first deleted one on the way (*found = 0). */
static Slot *table_find(TrackerObject *self, const Key *key, uint32_t hash, int *found)
{
    size_t mask = (size_t)self->size - 1;
    size_t i = hash & mask;
    Slot *reuse = NULL;
    for (;;) {
        Slot *slot = &self->slots[i];
        if (slot->state == SLOT_EMPTY) {
            *found = 0;
            return reuse != NULL ? reuse : slot;
        }
        if (slot->state == SLOT_DELETED) {
            if (reuse == NULL)
                reuse = slot;
        } else if (slot->hash == hash && conn_has_key(slot->conn, slot->direction, key)) {
            *found = 1;
            return slot;
        }
        i = (i + 1) & mask;
    }
}

static int table_resize(TrackerObject *self, Py_ssize_t size)
{
    Slot *slots = PyMem_Calloc((size_t)size, sizeof(Slot));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Slot *old = self->slots;
    Py_ssize_t old_size = self->size;
    self->slots = slots;
    self->size = size;
    self->filled = self->live;
    size_t mask = (size_t)size - 1;
    for (Py_ssize_t i = 0; i < old_size; i++) {
        if (old[i].state != SLOT_LIVE)
            continue;
        size_t j = old[i].hash & mask;
        while (slots[j].state != SLOT_EMPTY)
            j = (j + 1) & mask;
        slots[j] = old[i];
    }
    PyMem_Free(old);
    return 0;
}

/* flows[key] = (conn, direction): a key already there is overwritten (a
 * connection from a host port to itself has one key for both directions). */
static int table_put(TrackerObject *self, const Key *key, Conn *conn, int direction)
{
    if ((self->filled + 1) * 2 > self->size) {
        Py_ssize_t size = self->size;
        while ((self->live + 1) * 4 > size)
            size *= 2;
        if (table_resize(self, size) < 0)
            return -1;
    }
    uint32_t hash = key_hash(key);
    int found;
    Slot *slot = table_find(self, key, hash, &found);
    if (!found) {
        if (slot->state == SLOT_EMPTY)
            self->filled++;
        self->live++;
        slot->state = SLOT_LIVE;
        slot->hash = hash;
    }
    slot->conn = conn;
    slot->direction = (uint8_t)direction;
    return 0;
}

static void table_pop(TrackerObject *self, const Key *key)
{
    int found;
    Slot *slot = table_find(self, key, key_hash(key), &found);
    if (found) {
        slot->state = SLOT_DELETED;
        slot->conn = NULL;
        self->live--;
    }
}

static void conn_keys(const Conn *c, Key *k0, Key *k1)
{
    memset(k0, 0, sizeof *k0);
    memset(k1, 0, sizeof *k1);
    k0->addr_len = k1->addr_len = c->addr_len;
    memcpy(k0->src, c->caddr, c->addr_len);
    memcpy(k0->dst, c->saddr, c->addr_len);
    memcpy(k1->src, c->saddr, c->addr_len);
    memcpy(k1->dst, c->caddr, c->addr_len);
    k0->sport = k1->dport = c->cport;
    k0->dport = k1->sport = c->sport;
}

/* Whether the connection's direction-0 entry is in the table: the Python
 * table finds its connections there (a host port talking to itself has only
 * the direction-1 entry, so it is never swept). */
static int conn_listed(const Conn *c)
{
    return !(c->cport == c->sport && memcmp(c->caddr, c->saddr, c->addr_len) == 0);
}

static void conn_free(Conn *c)
{
    for (int d = 0; d < 2; d++)
        Py_XDECREF(c->ep[d]);
    Py_XDECREF(c->cstr);
    Py_XDECREF(c->sstr);
    PyMem_Free(c);
}

static void list_unlink(TrackerObject *self, Conn *c)
{
    int l = c->data ? IDLE : EMBRYONIC;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        self->lists[l].first = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        self->lists[l].last = c->prev;
}

static void list_append(TrackerObject *self, Conn *c)
{
    int l = c->data ? IDLE : EMBRYONIC;
    c->next = NULL;
    c->prev = self->lists[l].last;
    if (c->prev != NULL)
        c->prev->next = c;
    else
        self->lists[l].first = c;
    self->lists[l].last = c;
}

/* A segment of ``c``: it is the most recently active of its list (which is
 * IDLE once it carried data). */
static void conn_touch(TrackerObject *self, Conn *c, int data)
{
    if (self->lists[c->data ? IDLE : EMBRYONIC].last == c && (c->data || !data))
        return;
    list_unlink(self, c);
    c->data |= data;
    list_append(self, c);
}

/* ConnectionTable.remove, and the connection goes (its cost released). */
static void conn_remove(TrackerObject *self, Conn *c)
{
    Key k0, k1;
    conn_keys(c, &k0, &k1);
    table_pop(self, &k0);
    table_pop(self, &k1);
    self->nconns--;
    self->owed -= CONN_COST;
    list_unlink(self, c);
    conn_free(c);
}

/* Hand what is owed to the budget: budget.charge(owed), which may reclaim
 * (and so call evict()).  -1 with an exception set. */
static int settle(TrackerObject *self)
{
    long long owed = self->owed;
    if (owed == 0 || self->budget == NULL || self->budget == Py_None)
        return 0;
    self->owed = 0;
    if (before_python() < 0)  /* the budget's reclaim is Python code */
        return -1;
    PyObject *n = PyLong_FromLongLong(owed);
    PyObject *r = n == NULL ? NULL : PyObject_CallMethod(self->budget, "charge", "O", n);
    Py_XDECREF(n);
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

/* ---- clocks --------------------------------------------------------------- */

static int tw_push(TrackerObject *self, EndpointObject *ep)
{
    if (self->tw_len == self->tw_cap) {
        Py_ssize_t cap = self->tw_cap ? self->tw_cap * 2 : 64;
        EndpointObject **ring = PyMem_Malloc((size_t)cap * sizeof *ring);
        if (ring == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t i = 0; i < self->tw_len; i++)
            ring[i] = self->tw[(self->tw_head + i) % self->tw_cap];
        PyMem_Free(self->tw);
        self->tw = ring;
        self->tw_cap = cap;
        self->tw_head = 0;
    }
    self->tw[(self->tw_head + self->tw_len) % self->tw_cap] = (EndpointObject *)Py_NewRef(ep);
    self->tw_len++;
    return 0;
}

/* Firing's c_time_wait: TcpLayer._enter_time_wait. */
static int enter_time_wait(void *owner, EndpointObject *ep, int64_t ts)
{
    TrackerObject *self = owner;
    int64_t expiry = ep->tw_expiry = ns_add(ts, self->time_wait_ns);
    if (self->tw_len == 0 && expiry < self->next_clock)
        self->next_clock = expiry;  /* the new head of the queue */
    if (tw_push(self, ep) < 0)
        return -1;
    self->owed += TW_COST;  /* charged between segments, as connections */
    return 0;
}

/* The head of the time-wait queue leaves it (a strong reference returned). */
static EndpointObject *tw_pop(TrackerObject *self)
{
    EndpointObject *ep = self->tw[self->tw_head];
    self->tw_head = (self->tw_head + 1) % self->tw_cap;
    self->tw_len--;
    self->owed -= TW_COST;
    return ep;
}

static int expire_time_waits(TrackerObject *self, int64_t now)
{
    while (self->tw_len && self->tw[self->tw_head]->tw_expiry <= now) {
        EndpointObject *ep = tw_pop(self);
        int status = endpoint_expire_time_wait(ep, ep->tw_expiry);
        Py_DECREF(ep);
        if (status < 0)
            return -1;
    }
    return 0;
}

/* ConnectionTable.sweep: closed connections past their linger and idle ones
 * past the timeout go. */
static int sweep(TrackerObject *self, int64_t now)
{
    self->next_sweep = ns_add(now, self->sweep_every_ns);
    int64_t idle_limit = ns_add(now, -self->idle_timeout_ns);
    int64_t closed_limit = ns_add(now, -self->closed_linger_ns);
    for (int l = 0; l < 2; l++) {
        Conn *next;
        for (Conn *c = self->lists[l].first; c != NULL; c = next) {
            next = c->next;
            int closed = c->reset || c->fins == 3;
            if (conn_listed(c)
                && (c->last_ts < idle_limit || (closed && c->last_ts < closed_limit))) {
                conn_remove(self, c);
                self->evicted++;
            }
        }
    }
    return 0;
}

/* TcpLayer._run_clocks */
static int run_clocks(TrackerObject *self, int64_t ts)
{
    if (self->tw_len && self->tw[self->tw_head]->tw_expiry <= ts
        && expire_time_waits(self, ts) < 0)
        return -1;
    if (ts >= self->next_sweep && sweep(self, ts) < 0)
        return -1;
    self->next_clock = self->next_sweep;
    if (self->tw_len && self->tw[self->tw_head]->tw_expiry < self->next_clock)
        self->next_clock = self->tw[self->tw_head]->tw_expiry;
    return 0;
}

/* ---- the segment being processed ------------------------------------------ */

/* The Frame of the current segment, borrowed (weirds name it). */
static PyObject *current_frame(TrackerObject *self, PyObject **owned)
{
    *owned = NULL;
    if (self->current->pkt == NULL)
        return scanned_frame();
    *owned = PyObject_GetAttr(self->current->pkt, str_frame);
    return *owned;
}

static int weird(TrackerObject *self, const char *name, const char *detail)
{
    PyObject *owned;
    PyObject *frame = current_frame(self, &owned);
    if (frame == NULL)
        return -1;
    PyObject *name_obj = PyUnicode_FromString(name);
    PyObject *detail_obj = name_obj == NULL ? NULL : PyUnicode_FromString(detail);
    PyObject *r = detail_obj == NULL ? NULL
                  : PyObject_CallMethodObjArgs(self->report, str_weird, name_obj, frame,
                                               detail_obj, NULL);
    Py_XDECREF(name_obj);
    Py_XDECREF(detail_obj);
    Py_XDECREF(owned);
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

/* Firing's c_options: TcpLayer._options / _parse_options. */
static int segment_options(void *owner, TcpEvent *ev)
{
    TrackerObject *self = owner;
    const TcpSeg *seg = &ev->seg;
    tcp_opts_clear(&ev->opts);
    ev->opts_state = 1;
    if (seg->offset == TCP_HEADER_MIN)
        return 0;
    char detail[200];
    if (seg->header_len < seg->offset) {
        snprintf(detail, sizeof detail, "TCP header of %d bytes cut at %zd", seg->offset,
                 seg->header_len);
        return weird(self, "tcp.options_truncated", detail);
    }
    const char *name = NULL;
    if (tcp_parse_options(seg->header, seg->header_len, &ev->opts, &name, detail,
                          sizeof detail))
        return weird(self, name, detail);  /* and no options, as parsed */
    return 0;
}

/* ---- Datagram: what IpInfo reads for a segment the scanner took ----------- */

typedef struct {
    PyObject_HEAD
    PyObject *src, *dst, *ipv6;
    long long payload_len;
} DatagramObject;

static void Datagram_dealloc(DatagramObject *self)
{
    Py_XDECREF(self->src);
    Py_XDECREF(self->dst);
    Py_XDECREF(self->ipv6);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMemberDef Datagram_members[] = {
    {"src", T_OBJECT, offsetof(DatagramObject, src), READONLY, "source address"},
    {"dst", T_OBJECT, offsetof(DatagramObject, dst), READONLY, "destination address"},
    {"ipv6", T_OBJECT, offsetof(DatagramObject, ipv6), READONLY, "True for IPv6"},
    {"payload_len", T_LONGLONG, offsetof(DatagramObject, payload_len), READONLY,
     "upper-layer length the IP header declares"},
    {NULL},
};

static PyTypeObject Datagram_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pcapprobe._fastpath.TrackedDatagram",
    .tp_doc = "The IP datagram of a segment the scanner took, as IpInfo reads it\n"
              "(the attributes of an IpPacket that IpInfo uses).",
    .tp_basicsize = sizeof(DatagramObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = (destructor)Datagram_dealloc,
    .tp_members = Datagram_members,
};

static PyObject *datagram_new(const IpDgram *ip)
{
    DatagramObject *self = PyObject_New(DatagramObject, &Datagram_Type);
    if (self == NULL)
        return NULL;
    self->src = Py_NewRef(ip->saddr);
    self->dst = Py_NewRef(ip->daddr);
    self->ipv6 = Py_NewRef(ip->ipv6 ? Py_True : Py_False);
    self->payload_len = ip->plength;
    return (PyObject *)self;
}

/* TcpEvent.make_py: the segment's tcpinfo_t (TcpInfo) and ipinfo_t (IpInfo)
 * for a Python handler. */
static int make_py(void *maker, TcpEvent *ev)
{
    TrackerObject *self = maker;
    Packet *p = self->current;
    PyObject *seg = NULL, *ip = NULL;
    if (p->pkt != NULL) {
        seg = Py_NewRef(p->seg);
        ip = Py_NewRef(p->pkt);
    } else {
        PyObject *view = PyMemoryView_FromObject(p->buf);
        PyObject *payload = view == NULL ? NULL
                            : PySequence_GetSlice(view, p->tcp_off, p->tcp_off + p->captured);
        Py_XDECREF(view);
        if (payload == NULL)
            return -1;
        seg = PyObject_CallFunction(self->tcpinfo_class, "OL", payload,
                                    (long long)p->payload_len);
        Py_DECREF(payload);
        if (seg == NULL)
            return -1;
        ip = datagram_new(ev->ip);
        if (ip == NULL) {
            Py_DECREF(seg);
            return -1;
        }
    }
    PyObject *ipinfo = PyObject_CallOneArg(self->ipinfo_class, ip);
    Py_DECREF(ip);
    if (ipinfo == NULL) {
        Py_DECREF(seg);
        return -1;
    }
    ev->py_seg = seg;
    ev->py_ipinfo = ipinfo;
    return 0;
}

/* ---- new connections ------------------------------------------------------ */

static int is_local(TrackerObject *self, PyObject *addr)
{
    return self->local_all ? 1 : PySet_Contains(self->local_addrs, addr);
}

/* flows/tcp.py is_loopback */
static int is_loopback(PyObject *local, PyObject *remote)
{
    int same = PyUnicode_Compare(local, remote);
    if (same == -1 && PyErr_Occurred())
        return -1;
    if (same == 0 || PyUnicode_CompareWithASCIIString(remote, "::1") == 0)
        return 1;
    const char *text = PyUnicode_AsUTF8(remote);
    if (text == NULL)
        return -1;
    return strncmp(text, "127.", 4) == 0 || strncmp(text, "::ffff:127.", 11) == 0;
}

static int server_port(const TrackerObject *self, uint16_t port)
{
    return self->server_ports[port >> 3] >> (port & 7) & 1;
}

/* TcpLayer._new: whether the segment's source is the client.  A SYN says;
 * mid-stream, _guess_roles: an application's bound port marks the server,
 * else the lower port. */
static int source_is_client(const TrackerObject *self, const TcpSeg *seg)
{
    if (seg->flags & TH_SYN)
        return !(seg->flags & TH_ACK);
    if (server_port(self, seg->dport))
        return 1;
    if (server_port(self, seg->sport))
        return 0;
    return seg->dport <= seg->sport;
}

/* A connection between the packet's two ends, client first; no endpoints
 * yet.  NULL with an exception set. */
static Conn *conn_alloc(TrackerObject *self, const Packet *p, const TcpSeg *seg,
                        int src_is_client)
{
    Conn *c = PyMem_Calloc(1, sizeof *c);
    if (c == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    PyObject *src = p->src_str ? Py_NewRef(p->src_str)
                    : addr_text(&self->addr_cache, p->key.src, p->key.addr_len);
    PyObject *dst = src == NULL ? NULL
                    : p->dst_str ? Py_NewRef(p->dst_str)
                    : addr_text(&self->addr_cache, p->key.dst, p->key.addr_len);
    c->addr_len = p->key.addr_len;
    memcpy(c->caddr, src_is_client ? p->key.src : p->key.dst, c->addr_len);
    memcpy(c->saddr, src_is_client ? p->key.dst : p->key.src, c->addr_len);
    c->cport = src_is_client ? seg->sport : seg->dport;
    c->sport = src_is_client ? seg->dport : seg->sport;
    c->cstr = src_is_client ? src : dst;
    c->sstr = src_is_client ? dst : src;
    c->ipv6 = p->ipv6;
    if (src == NULL || dst == NULL) {
        conn_free(c);
        return NULL;
    }
    return c;
}

/* An endpoint for each end of the connection on a local host, each with its
 * own cid (a connection with no local end still uses one).  -1 with an
 * exception set. */
static int add_local_endpoints(TrackerObject *self, Conn *c, int midstream)
{
    int local_hosts = 0;
    for (int d = 0; d < 2; d++) {
        PyObject *local = d ? c->sstr : c->cstr, *remote = d ? c->cstr : c->sstr;
        int lport = d ? c->sport : c->cport, rport = d ? c->cport : c->sport;
        int here = is_local(self, local);
        int loopback = here > 0 ? is_loopback(local, remote) : 0;
        if (here < 0 || loopback < 0)
            return -1;
        if (!here)
            continue;
        local_hosts++;
        if (!self->tracking) {  /* no tcp probe: endpoints are never seen */
            self->next_cid++;
            continue;
        }
        EndpointObject *ep = endpoint_new(self->fire, self->next_cid, local, lport, remote,
                                          rport, c->ipv6, loopback, midstream);
        if (ep == NULL)
            return -1;
        ep->active = midstream && d == 0;  /* the guessed client */
        c->ep[d] = ep;
        self->next_cid++;
    }
    if (!local_hosts)
        self->next_cid++;
    return 0;
}

/* ConnectionTable.add: both directions' entries, and the connection last in
 * creation order.  -1 with an exception set, nothing entered. */
static int conn_enter(TrackerObject *self, Conn *c)
{
    Key k0, k1;
    conn_keys(c, &k0, &k1);
    if (table_put(self, &k0, c, 0) < 0 || table_put(self, &k1, c, 1) < 0) {
        table_pop(self, &k0);
        return -1;
    }
    list_append(self, c);
    self->nconns++;
    self->owed += CONN_COST;
    return 0;
}

/* TcpLayer._new: a connection starting at this segment, entered in the
 * table; *direction is the segment's.  NULL with an exception set. */
static Conn *conn_new(TrackerObject *self, const Packet *p, const TcpSeg *seg, int *direction)
{
    int syn = seg->flags & TH_SYN, ack = seg->flags & TH_ACK;
    int src_is_client = source_is_client(self, seg);
    Conn *c = conn_alloc(self, p, seg, src_is_client);
    if (c == NULL)
        return NULL;
    int midstream = !syn;
    c->last_ts = p->ts;
    if (add_local_endpoints(self, c, midstream) < 0) {
        conn_free(c);
        return NULL;
    }
    if (syn && !ack) {
        c->has_client_iss = 1;
        c->client_iss = seg->seq;
    }
    if (conn_enter(self, c) < 0) {
        conn_free(c);
        return NULL;
    }
    self->connections++;
    self->midstream += midstream;
    /* the segment's entry: direction 0 when its source is the client (a
     * host port talking to itself is its own client) */
    *direction = src_is_client || !conn_listed(c) ? 0 : 1;
    return c;
}

/* TcpLayer._new_incarnation: a SYN on a known 4-tuple starts a new one? */
static int new_incarnation(const Conn *c, int direction, const TcpSeg *seg)
{
    int closed = c->reset || c->fins == 3;
    if (direction == 0)
        return (c->has_client_iss && seg->seq != c->client_iss) || closed;
    /* the server's own SYN is a simultaneous open while it has said nothing else */
    return c->server_spoke || closed || !c->has_client_iss;
}

/* TcpLayer._retire: a time-wait endpoint is reused (closed). */
static int retire(TrackerObject *self, Conn *c, int64_t ts)
{
    EndpointObject *eps[2] = {c->ep[0], c->ep[1]};
    for (int d = 0; d < 2; d++)
        Py_XINCREF(eps[d]);
    conn_remove(self, c);
    int status = 0;
    for (int d = 0; d < 2; d++) {
        if (eps[d] != NULL && status == 0)
            status = endpoint_expire_time_wait(eps[d], ts);
        Py_XDECREF(eps[d]);
    }
    self->reused++;
    return status;
}

/* ---- one segment ---------------------------------------------------------- */

/* TcpLayer.on_packet without applications.  0, or -1 with an exception set. */
static int track_segment(TrackerObject *self, Packet *p)
{
    TcpEvent ev;
    memset(&ev, 0, sizeof ev);
    tcp_decode(p->tcp, p->captured, p->payload_len, &ev.seg);
    int64_t ts = p->ts;
    if (ts >= self->next_clock && run_clocks(self, ts) < 0)
        return -1;
    uint8_t flags = ev.seg.flags;
    p->key.sport = ev.seg.sport;
    p->key.dport = ev.seg.dport;
    int found;
    Slot *slot = table_find(self, &p->key, key_hash(&p->key), &found);
    Conn *c;
    int direction;
    if (!found) {
        c = conn_new(self, p, &ev.seg, &direction);
    } else {
        c = slot->conn;
        direction = slot->direction;
        if ((flags & TH_SYN) && !(flags & TH_ACK) && new_incarnation(c, direction, &ev.seg)) {
            if (retire(self, c, ts) < 0)
                return -1;
            c = conn_new(self, p, &ev.seg, &direction);
        }
    }
    if (c == NULL)
        return -1;
    self->segments++;
    c->last_ts = ts;
    conn_touch(self, c, ev.seg.datalen != 0);
    if (direction)
        c->server_spoke = 1;
    EndpointObject *sender = c->ep[direction], *receiver = c->ep[1 - direction];
    int status = 0;
    if (sender != NULL || receiver != NULL) {
        IpDgram ip = {p->ipv6, p->payload_len, direction ? c->sstr : c->cstr,
                      direction ? c->cstr : c->sstr};
        ev.ip = &ip;
        ev.make_py = make_py;
        ev.maker = self;
        /* the endpoints stay alive whatever the handlers do to the table */
        Py_XINCREF(sender);
        Py_XINCREF(receiver);
        self->current = p;
        if (sender != NULL)
            status = endpoint_send(sender, &ev, ts);
        if (receiver != NULL && status == 0)
            status = endpoint_receive(receiver, &ev, ts);
        self->current = NULL;
        Py_XDECREF(sender);
        Py_XDECREF(receiver);
        Py_CLEAR(ev.py_seg);
        Py_CLEAR(ev.py_ipinfo);
        if (status < 0)
            return -1;
    }
    if (flags & TH_RST)
        c->reset = 1;
    else if (flags & TH_FIN)
        c->fins |= 1 << direction;
    /* charged between segments: a reclaim never sees one half done */
    return self->owed >= CHARGE_BATCH ? settle(self) : 0;
}

int tracker_record(PyObject *tracker, int addr_len, const uint8_t *src, const uint8_t *dst,
                   PyObject *buf, const uint8_t *tcp, Py_ssize_t tcp_off, Py_ssize_t tcp_len,
                   int64_t ts)
{
    if (!Py_IS_TYPE(tracker, &TcpTracker_Type)) {
        PyErr_SetString(PyExc_TypeError, "FlowIndex.tracker must be a TcpTracker");
        return -1;
    }
    Packet p;
    memset(&p.key, 0, sizeof p.key);
    p.key.addr_len = (uint8_t)addr_len;
    memcpy(p.key.src, src, addr_len);
    memcpy(p.key.dst, dst, addr_len);
    p.src_str = p.dst_str = NULL;
    p.ipv6 = addr_len == 16;
    p.tcp = tcp;
    p.captured = tcp_len;
    p.payload_len = tcp_len;
    p.ts = ts;
    p.pkt = p.seg = NULL;
    p.buf = buf;
    p.tcp_off = tcp_off;
    return track_segment((TrackerObject *)tracker, &p);
}

/* ---- the TcpTracker type -------------------------------------------------- */

static int bytes_key(PyObject *obj, uint8_t *out, int *len)
{
    char *data;
    Py_ssize_t n;
    if (PyBytes_AsStringAndSize(obj, &data, &n) < 0)
        return -1;
    if (n != 4 && n != 16) {
        PyErr_SetString(PyExc_ValueError, "an address is 4 or 16 bytes");
        return -1;
    }
    memcpy(out, data, n);
    *len = (int)n;
    return 0;
}

static PyObject *Tracker_segment(TrackerObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "segment(pkt, seg)");
        return NULL;
    }
    PyObject *pkt = args[0];
    PyObject *names[] = {str_src_bytes, str_dst_bytes, str_src, str_dst, str_ipv6, str_payload,
                         str_payload_len, str_ts_ns};
    PyObject *v[8] = {NULL};
    PyObject *result = NULL;
    for (int i = 0; i < 8; i++)
        if ((v[i] = PyObject_GetAttr(pkt, names[i])) == NULL)
            goto done;
    Packet p;
    memset(&p.key, 0, sizeof p.key);
    int src_len, dst_len;
    if (bytes_key(v[0], p.key.src, &src_len) < 0 || bytes_key(v[1], p.key.dst, &dst_len) < 0)
        goto done;
    p.key.addr_len = (uint8_t)src_len;
    p.src_str = v[2];
    p.dst_str = v[3];
    p.ipv6 = PyObject_IsTrue(v[4]);
    p.payload_len = PyLong_AsLongLong(v[6]);
    if (p.ipv6 < 0 || PyErr_Occurred() || timestamp_from_python(v[7], &p.ts) < 0)
        goto done;
    Py_buffer payload;
    if (PyObject_GetBuffer(v[5], &payload, PyBUF_SIMPLE) < 0)
        goto done;
    p.tcp = payload.buf;
    p.captured = payload.len;
    p.pkt = pkt;
    p.seg = args[1];
    p.buf = NULL;
    p.tcp_off = 0;
    if (src_len != dst_len || p.captured < TCP_HEADER_MIN || (p.tcp[12] >> 4) * 4 < TCP_HEADER_MIN)
        PyErr_SetString(PyExc_ValueError, "segment() takes a decoded TCP segment");
    else if (track_segment(self, &p) == 0)
        result = Py_NewRef(Py_None);
    PyBuffer_Release(&payload);
done:
    for (int i = 0; i < 8; i++)
        Py_XDECREF(v[i]);
    return result;
}

static int add_count(PyObject *counts, const char *name, long long n)
{
    if (n == 0)
        return 0;
    PyObject *key = PyUnicode_FromString(name);
    if (key == NULL)
        return -1;
    PyObject *old = PyObject_GetItem(counts, key);
    PyObject *sum = NULL;
    if (old != NULL) {
        PyObject *add = PyLong_FromLongLong(n);
        sum = add == NULL ? NULL : PyNumber_Add(old, add);
        Py_XDECREF(add);
    }
    int status = sum == NULL ? -1 : PyObject_SetItem(counts, key, sum);
    Py_XDECREF(sum);
    Py_XDECREF(old);
    Py_DECREF(key);
    return status;
}

static void forget_all(TrackerObject *self)
{
    for (int l = 0; l < 2; l++) {
        Conn *next;
        for (Conn *c = self->lists[l].first; c != NULL; c = next) {
            next = c->next;
            conn_free(c);
            self->owed -= CONN_COST;
        }
        self->lists[l].first = self->lists[l].last = NULL;
    }
    self->nconns = 0;
    memset(self->slots, 0, (size_t)self->size * sizeof(Slot));
    self->filled = self->live = 0;
    for (Py_ssize_t i = 0; i < self->tw_len; i++)
        Py_DECREF(self->tw[(self->tw_head + i) % self->tw_cap]);
    self->tw_len = self->tw_head = 0;
}

/* TcpLayer.finish: connections still open fire nothing more; the layer's
 * counts go to the report. */
static PyObject *Tracker_finish(TrackerObject *self, PyObject *unused)
{
    forget_all(self);
    if (settle(self) < 0)
        return NULL;
    long long *fields[] = {&self->connections, &self->midstream, &self->reused, &self->evicted};
    const char *names[] = {"connections", "connections mid-stream", "connections reused",
                           "connections evicted"};
    for (int i = 0; i < 4; i++) {
        if (add_count(self->counts, names[i], *fields[i]) < 0)
            return NULL;
        *fields[i] = 0;
    }
    Py_RETURN_NONE;
}

static void release_firing(TrackerObject *self)
{
    if (self->fire != NULL && self->fire->owner == self) {
        self->fire->owner = NULL;
        self->fire->c_time_wait = NULL;
        self->fire->c_options = NULL;
    }
}

static PyObject *Tracker_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *fire, *local_addrs, *ports, *report, *counts, *tcpinfo, *ipinfo;
    PyObject *budget = Py_None;
    int local_all;
    long long clocks[4];
    static char *kwlist[] = {"fire", "local_all", "local_addrs", "server_ports", "report",
                             "counts", "tcpinfo", "ipinfo", "timeouts", "budget", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!pO!OOOOO(LLLL)|O:TcpTracker", kwlist,
                                     &Firing_Type, &fire, &local_all, &PyFrozenSet_Type,
                                     &local_addrs, &ports, &report, &counts, &tcpinfo, &ipinfo,
                                     &clocks[0], &clocks[1], &clocks[2], &clocks[3], &budget))
        return NULL;
    TrackerObject *self = (TrackerObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->slots = PyMem_Calloc(MIN_SLOTS, sizeof(Slot));
    if (self->slots == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    self->size = MIN_SLOTS;
    PyObject *iter = PyObject_GetIter(ports), *item;
    if (iter == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    while ((item = PyIter_Next(iter)) != NULL) {
        long port = PyLong_AsLong(item);
        Py_DECREF(item);
        if (port < 0 || port > 0xFFFF) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "a port is 0..65535");
            break;
        }
        self->server_ports[port >> 3] |= (uint8_t)(1 << (port & 7));
    }
    Py_DECREF(iter);
    if (PyErr_Occurred()) {
        Py_DECREF(self);
        return NULL;
    }
    self->fire = (FiringObject *)Py_NewRef(fire);
    self->local_all = local_all;
    for (int probe = 0; probe < TCP_NPROBES; probe++)
        self->tracking |= self->fire->handlers[probe] != NULL;
    self->local_addrs = Py_NewRef(local_addrs);
    self->report = Py_NewRef(report);
    self->counts = Py_NewRef(counts);
    self->tcpinfo_class = Py_NewRef(tcpinfo);
    self->ipinfo_class = Py_NewRef(ipinfo);
    self->budget = Py_NewRef(budget);
    self->next_cid = 1;
    self->time_wait_ns = clocks[0];
    self->closed_linger_ns = clocks[1];
    self->idle_timeout_ns = clocks[2];
    self->sweep_every_ns = clocks[3];
    self->fire->owner = self;
    self->fire->c_time_wait = enter_time_wait;
    self->fire->c_options = segment_options;
    return (PyObject *)self;
}

static int Tracker_traverse(TrackerObject *self, visitproc visit, void *arg)
{
    for (int l = 0; l < 2; l++)
        for (Conn *c = self->lists[l].first; c != NULL; c = c->next)
            for (int d = 0; d < 2; d++)
                Py_VISIT(c->ep[d]);
    Py_VISIT(self->budget);
    for (Py_ssize_t i = 0; i < self->tw_len; i++)
        Py_VISIT(self->tw[(self->tw_head + i) % self->tw_cap]);
    Py_VISIT(self->fire);
    Py_VISIT(self->local_addrs);
    Py_VISIT(self->report);
    Py_VISIT(self->counts);
    Py_VISIT(self->tcpinfo_class);
    Py_VISIT(self->ipinfo_class);
    return 0;
}

static int Tracker_clear(TrackerObject *self)
{
    if (self->slots != NULL)
        forget_all(self);
    release_firing(self);
    Py_CLEAR(self->fire);
    Py_CLEAR(self->local_addrs);
    Py_CLEAR(self->report);
    Py_CLEAR(self->counts);
    Py_CLEAR(self->tcpinfo_class);
    Py_CLEAR(self->ipinfo_class);
    Py_CLEAR(self->budget);
    addr_cache_clear(&self->addr_cache);
    return 0;
}

static void Tracker_dealloc(TrackerObject *self)
{
    PyObject_GC_UnTrack(self);
    Tracker_clear(self);
    PyMem_Free(self->slots);
    PyMem_Free(self->tw);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* AgedTable.oldest (flows/budget.py): (class, last activity) of the
 * connection that would be evicted first, or None. */
static PyObject *Tracker_oldest(TrackerObject *self, PyObject *unused)
{
    for (int l = 0; l < 2; l++)
        if (self->lists[l].first != NULL)
            return Py_BuildValue("(iL)", l, (long long)self->lists[l].first->last_ts);
    Py_RETURN_NONE;
}

/* AgedTable.evict(upto, nbytes): the least recently active connections go,
 * embryonic ones first, as the Python table's (ConnectionTable.evict).
 * Nothing fires: DTrace would not have seen them end. */
static PyObject *Tracker_evict(TrackerObject *self, PyObject *args)
{
    int upto_class;
    long long upto_ts, nbytes;
    if (!PyArg_ParseTuple(args, "(iL)L:evict", &upto_class, &upto_ts, &nbytes))
        return NULL;
    long long entries = 0, released = 0;
    while (released < nbytes) {
        int l = self->lists[EMBRYONIC].first != NULL ? EMBRYONIC : IDLE;
        Conn *c = self->lists[l].first;
        if (c == NULL)
            break;
        if (entries && (l > upto_class || (l == upto_class && c->last_ts > upto_ts)))
            break;
        conn_remove(self, c);
        self->evicted++;
        entries++;
        released += CONN_COST;
    }
    if (settle(self) < 0)
        return NULL;
    return Py_BuildValue("(LL)", entries, released);
}

/* The time-wait queue's AgedTable (flows/tcp.py TrackerTimeWait): the
 * endpoint that entered it first, aged by that time. */
static PyObject *Tracker_tw_oldest(TrackerObject *self, PyObject *unused)
{
    if (self->tw_len == 0)
        Py_RETURN_NONE;
    return Py_BuildValue("(iL)", IDLE, (long long)ns_add(self->tw[self->tw_head]->tw_expiry, -self->time_wait_ns));
}

/* tw_evict(upto, nbytes): endpoints leave time-wait in the order they
 * entered it, without firing (DTrace would have seen them close). */
static PyObject *Tracker_tw_evict(TrackerObject *self, PyObject *args)
{
    int upto_class;
    long long upto_ts, nbytes;
    if (!PyArg_ParseTuple(args, "(iL)L:tw_evict", &upto_class, &upto_ts, &nbytes))
        return NULL;
    long long entries = 0;
    while (self->tw_len && entries * TW_COST < nbytes) {
        int64_t entered = ns_add(self->tw[self->tw_head]->tw_expiry, -self->time_wait_ns);
        if (entries && (IDLE > upto_class || (IDLE == upto_class && entered > upto_ts)))
            break;
        Py_DECREF(tw_pop(self));
        entries++;
    }
    if (settle(self) < 0)
        return NULL;
    return Py_BuildValue("(LL)", entries, entries * TW_COST);
}

static PyObject *Tracker_get_evicts(TrackerObject *self, void *unused)
{
    return PyUnicode_FromString("tcp connections");
}

static PyGetSetDef Tracker_getset[] = {
    {"evicts", (getter)Tracker_get_evicts, NULL, "what its evictions are called", NULL},
    {NULL},
};

/* clock(ts): a TCP segment of another partition passed (pcapprobe/scale):
 * time-waits and sweeps run when the whole capture's clock says so. */
static PyObject *Tracker_clock(TrackerObject *self, PyObject *arg)
{
    long long ts = PyLong_AsLongLong(arg);
    if (ts == -1 && PyErr_Occurred())
        return NULL;
    if (ts >= self->next_clock && run_clocks(self, ts) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyMemberDef Tracker_members[] = {
    {"segments", T_LONGLONG, offsetof(TrackerObject, segments), READONLY,
     "segments tracked (from the scanner and from Python)"},
    {NULL},
};

static PyMethodDef Tracker_methods[] = {
    {"segment", (PyCFunction)(void (*)(void))Tracker_segment, METH_FASTCALL,
     "segment(pkt, seg): one TCP segment from the Python IP layer (pkt an IpPacket,\n"
     "seg its decoded TcpInfo)."},
    {"oldest", (PyCFunction)Tracker_oldest, METH_NOARGS,
     "oldest(): the age key of the connection to go first (flows/budget.py AgedTable)."},
    {"evict", (PyCFunction)Tracker_evict, METH_VARARGS,
     "evict(upto, nbytes): evict connections, least recently active first."},
    {"tw_oldest", (PyCFunction)Tracker_tw_oldest, METH_NOARGS,
     "tw_oldest(): the age key of the endpoint longest in time-wait."},
    {"tw_evict", (PyCFunction)Tracker_tw_evict, METH_VARARGS,
     "tw_evict(upto, nbytes): endpoints leave time-wait, first in first, firing nothing."},
    {"clock", (PyCFunction)Tracker_clock, METH_O,
     "clock(ts): run the time-wait and sweep clocks to ts (a segment another worker takes)."},
    {"finish", (PyCFunction)Tracker_finish, METH_NOARGS,
     "finish(): end of capture (nothing fires); the layer's counts go to the report."},
    {NULL},
};

static PyTypeObject TcpTracker_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pcapprobe._fastpath.TcpTracker",
    .tp_doc = "TcpTracker(fire, local_all, local_addrs, server_ports, report, counts,\n"
              "tcpinfo, ipinfo, timeouts, budget=None): the TCP layer of a run without stream\n"
              "applications; timeouts: (time-wait, closed linger, idle, sweep interval) in ns.",
    .tp_basicsize = sizeof(TrackerObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = Tracker_new,
    .tp_dealloc = (destructor)Tracker_dealloc,
    .tp_traverse = (traverseproc)Tracker_traverse,
    .tp_clear = (inquiry)Tracker_clear,
    .tp_methods = Tracker_methods,
    .tp_members = Tracker_members,
    .tp_getset = Tracker_getset,
};

int track_add_types(PyObject *module)
{
    struct { PyObject **var; const char *text; } names[] = {
        {&str_weird, "weird"}, {&str_src_bytes, "src_bytes"}, {&str_dst_bytes, "dst_bytes"},
        {&str_src, "src"}, {&str_dst, "dst"}, {&str_ipv6, "ipv6"}, {&str_payload, "payload"},
        {&str_payload_len, "payload_len"}, {&str_ts_ns, "ts_ns"}, {&str_frame, "frame"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        *names[i].var = PyUnicode_InternFromString(names[i].text);
        if (*names[i].var == NULL)
            return -1;
    }
    if (PyType_Ready(&TcpTracker_Type) < 0 || PyType_Ready(&Datagram_Type) < 0)
        return -1;
    return PyModule_AddObjectRef(module, "TcpTracker", (PyObject *)&TcpTracker_Type);
}
