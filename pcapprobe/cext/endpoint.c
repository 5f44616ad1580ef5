/* Firing and Endpoint: one local TCP endpoint reconstructed from the capture,
 * its Solaris state machine and its tcpsinfo_t (see tcpcore.h).
 *
 * The only implementation of pcapprobe.flows.endpoint (its module docstring is
 * the specification: how each tcpsinfo_t member is reconstructed and the
 * state machine); an Endpoint is also the tcp provider's tcpsinfo_t argument
 * object (translators.tcp.TcpsInfo), so a firing allocates nothing for it.
 * The Python TCP layer drives endpoints through on_send/on_receive/
 * expire_time_wait; the tracker (track.c) calls endpoint_send() etc. with the
 * TcpEvent it filled.
 *
 * The arithmetic is that of the Python original, where ints are unbounded:
 * sequence numbers are uint32_t (RFC 9293 §3.4 modular comparisons), offsets
 * in the sent sequence space are int64_t (shigh only ever becomes the end of
 * one segment, which starts below 2**31), cwnd is int64_t (capped, but fast
 * recovery adds an MSS per duplicate ACK), the RTT estimate is a double
 * computed in the same order as Python did.
 * Times are int64_t ns: a pcapng time beyond that range (after 2262) is taken
 * as the nearest one within it.
 */
#include "tcpcore.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <structmember.h>

#define HALF 0x80000000u

#define MSS_DEFAULT_IPV4 536        /* RFC 9293 §3.7.1 / Solaris tcp_mss_def_ipv4 */
#define MSS_DEFAULT_IPV6 1220       /* Solaris tcp_mss_def_ipv6 (1280 - 60) */
#define TCP_MAX_LARGEWIN (65535LL << 14) /* the largest window RFC 7323 allows */
#define RTO_INITIAL_MS 1000         /* RFC 6298 §2.1 */
#define RTO_MIN_MS 1000             /* RFC 6298 §2.4 */
#define RTO_MAX_MS 60000            /* RFC 6298 §2.5 */
#define DUPACK_THRESHOLD 3          /* RFC 5681 §3.2 */
#define REORDER_DEFAULT_NS 3000000  /* Wireshark's out-of-order threshold without an RTT */

#define TCP_HEADER_MAX 60  /* data offset 15 */

/* RFC 9293 §3.2 / RFC 7323 / RFC 2018 option kinds */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WSCALE 3
#define TCPOPT_SACK_PERMITTED 4
#define TCPOPT_SACK 5
#define TCPOPT_TIMESTAMP 8
#define TCP_MAX_WINSHIFT 14  /* RFC 7323 §2.3: a larger shift count is used as 14 */

/* The probe names Firing asks its handler for, in the order of the probe enum. */
static const char *const probe_names[TCP_NPROBES] = {
    "send", "receive", "state-change", "connect-request", "connect-established",
    "connect-refused", "accept-established", "accept-refused",
};

static PyObject *str_tcp, *str_sport, *str_dport, *str_seq, *str_ack, *str_offset,
    *str_flags, *str_window, *str_datalen, *str_checksum, *str_urgent, *str_header, *str_mss,
    *str_wscale, *str_sack_permitted, *str_sack, *str_ip_ver, *str_ip_plength, *str_ip_saddr,
    *str_ip_daddr;

/* A Python time in ns, saturated to the int64_t range. */
int timestamp_from_python(PyObject *obj, int64_t *ts)
{
    int overflow;
    long long value = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (value == -1 && !overflow && PyErr_Occurred())
        return -1;
    *ts = overflow > 0 ? INT64_MAX : overflow < 0 ? INT64_MIN : value;
    return 0;
}

/* later - earlier in ns, as a double (Python converts the exact difference). */
static double ns_between(int64_t later, int64_t earlier)
{
    int64_t d;
    if (!__builtin_sub_overflow(later, earlier, &d))
        return (double)d;
    return (double)later - (double)earlier;
}

static int seq_lt(uint32_t a, uint32_t b)
{
    uint32_t d = b - a;
    return d != 0 && d < HALF;
}

/* ------------------------------------------------------------------------ */
/* Options (dissectors/tcp.py parse_options and _option)                     */

/* One option whose length fits the header: 0, or 1 when its value length is
 * wrong for its kind (unknown kinds are skipped). */
static int parse_option(TcpOpts *out, int kind, const uint8_t *value, int n)
{
    if (kind == TCPOPT_MSS && n == 2)
        out->mss = value[0] << 8 | value[1];
    else if (kind == TCPOPT_WSCALE && n == 1)
        out->wscale = value[0] < TCP_MAX_WINSHIFT ? value[0] : TCP_MAX_WINSHIFT;
    else if (kind == TCPOPT_SACK_PERMITTED && n == 0)
        out->sack_permitted = 1;
    else if (kind == TCPOPT_SACK && n % 8 == 0) {
        /* RFC 2018 §3: left/right edge pairs; the last SACK option wins */
        out->nsack = n / 8;
        for (int i = 0; i < out->nsack; i++) {
            out->sack[i][0] = be32(value + 8 * i);
            out->sack[i][1] = be32(value + 8 * i + 4);
        }
    } else if (kind == TCPOPT_TIMESTAMP && n == 8)
        ; /* well-formed; no endpoint uses it */
    else if (kind == TCPOPT_MSS || kind == TCPOPT_WSCALE || kind == TCPOPT_SACK_PERMITTED
             || kind == TCPOPT_SACK || kind == TCPOPT_TIMESTAMP)
        return 1;
    return 0;
}

/* ``len`` is what the caller has of the header (at most its data offset, so
 * at most 60 bytes: 40 option bytes hold a SACK value of at most 38 bytes,
 * i.e. TCP_MAX_SACK blocks).  A malformed list leaves ``out`` empty. */
int tcp_parse_options(const uint8_t *header, Py_ssize_t len, TcpOpts *out,
                      const char **weird, char *detail, size_t detail_size)
{
    Py_ssize_t pos = TCP_HEADER_MIN, end = len < TCP_HEADER_MAX ? len : TCP_HEADER_MAX;
    tcp_opts_clear(out);
    while (pos < end) {
        int kind = header[pos];
        if (kind == TCPOPT_EOL)
            break;
        if (kind == TCPOPT_NOP) {
            pos++;
            continue;
        }
        *weird = "tcp.bad_option";
        if (pos + 2 > end) {
            snprintf(detail, detail_size, "TCP option %d without length", kind);
            tcp_opts_clear(out);
            return 1;
        }
        int length = header[pos + 1];
        if (length < 2 || pos + length > end) {
            snprintf(detail, detail_size, "TCP option %d length %d", kind, length);
            tcp_opts_clear(out);
            return 1;
        }
        if (parse_option(out, kind, header + pos + 2, length - 2)) {
            snprintf(detail, detail_size, "TCP option %d value length %d", kind, length - 2);
            tcp_opts_clear(out);
            return 1;
        }
        pos += length;
    }
    return 0;
}

/* An int attribute of a TcpOptions, or ``absent`` when it is None. */
static int opts_int(PyObject *opts, PyObject *name, int absent, int *out)
{
    PyObject *value = PyObject_GetAttr(opts, name);
    if (value == NULL)
        return -1;
    if (value == Py_None)
        *out = absent;
    else {
        *out = (int)PyLong_AsLong(value);
        if (*out == -1 && PyErr_Occurred()) {
            Py_DECREF(value);
            return -1;
        }
    }
    Py_DECREF(value);
    return 0;
}

static int opts_sack(PyObject *opts, TcpOpts *out)
{
    PyObject *sack = PyObject_GetAttr(opts, str_sack);
    if (sack == NULL)
        return -1;
    PyObject *blocks = PySequence_Fast(sack, "TcpOptions.sack must be a sequence");
    Py_DECREF(sack);
    if (blocks == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(blocks);
    if (n > TCP_MAX_SACK) {
        PyErr_Format(PyExc_ValueError, "%zd SACK blocks: a TCP header holds at most %d", n,
                     TCP_MAX_SACK);
        Py_DECREF(blocks);
        return -1;
    }
    out->nsack = (int)n;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *block = PySequence_Fast_GET_ITEM(blocks, i);
        unsigned long left, right;
        if (!PyArg_ParseTuple(block, "kk", &left, &right)) {
            Py_DECREF(blocks);
            return -1;
        }
        out->sack[i][0] = (uint32_t)left;
        out->sack[i][1] = (uint32_t)right;
    }
    Py_DECREF(blocks);
    return 0;
}

/* A dissectors.tcp.TcpOptions as TcpOpts (an MSS of 0 is as good as none:
 * the endpoint ignores both alike). */
static int opts_from_python(PyObject *opts, TcpOpts *out)
{
    tcp_opts_clear(out);
    if (opts_int(opts, str_mss, 0, &out->mss) < 0
        || opts_int(opts, str_wscale, -1, &out->wscale) < 0)
        return -1;
    PyObject *permitted = PyObject_GetAttr(opts, str_sack_permitted);
    if (permitted == NULL)
        return -1;
    out->sack_permitted = PyObject_IsTrue(permitted);
    Py_DECREF(permitted);
    if (out->sack_permitted < 0)
        return -1;
    return opts_sack(opts, out);
}

static int firing_cleared(void)
{
    PyErr_SetString(PyExc_ValueError, "Firing has been cleared");
    return -1;
}

/* The event's options, parsed once however many endpoints ask. */
static const TcpOpts *event_options(FiringObject *fire, TcpEvent *ev)
{
    if (ev->opts_state)
        return &ev->opts;
    if (fire->c_options != NULL) {
        if (fire->c_options(fire->owner, ev) < 0)
            return NULL;
    } else {
        if (fire->options == NULL) {
            firing_cleared();
            return NULL;
        }
        if (ev->py_seg == NULL && ev->make_py(ev->maker, ev) < 0)
            return NULL;
        PyObject *opts = PyObject_CallOneArg(fire->options, ev->py_seg);
        if (opts == NULL)
            return NULL;
        int rc = opts_from_python(opts, &ev->opts);
        Py_DECREF(opts);
        if (rc < 0)
            return NULL;
    }
    ev->opts_state = 1;
    return &ev->opts;
}

/* ------------------------------------------------------------------------ */
/* Firing                                                                    */

static int Firing_traverse(FiringObject *self, visitproc visit, void *arg)
{
    for (int i = 0; i < TCP_NPROBES; i++)
        Py_VISIT(self->handlers[i]);
    Py_VISIT(self->time_wait);
    Py_VISIT(self->options);
    Py_VISIT(self->pktinfo);
    Py_VISIT(self->lsinfo);
    Py_VISIT(self->csinfo);
    return 0;
}

static int Firing_clear(FiringObject *self)
{
    for (int i = 0; i < TCP_NPROBES; i++)
        Py_CLEAR(self->handlers[i]);
    Py_CLEAR(self->time_wait);
    Py_CLEAR(self->options);
    Py_CLEAR(self->pktinfo);
    Py_CLEAR(self->lsinfo);
    Py_CLEAR(self->csinfo);
    return 0;
}

static void Firing_dealloc(FiringObject *self)
{
    PyObject_GC_UnTrack(self);
    Firing_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* handler(name) for every probe, in probe order; None is kept as NULL. */
static int firing_look_up_handlers(FiringObject *self, PyObject *handler)
{
    for (int i = 0; i < TCP_NPROBES; i++) {
        PyObject *fire = PyObject_CallFunction(handler, "s", probe_names[i]);
        if (fire == NULL)
            return -1;
        if (fire == Py_None)
            Py_DECREF(fire);
        else
            self->handlers[i] = fire;
    }
    return 0;
}

static PyObject *Firing_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"handler", "time_wait", "options", "pktinfo", "lsinfo", "csinfo",
                             NULL};
    PyObject *handler, *time_wait, *options, *pktinfo, *lsinfo, *csinfo;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOO!O:Firing", kwlist, &handler,
                                     &time_wait, &options, &pktinfo, &PyDict_Type, &lsinfo,
                                     &csinfo))
        return NULL;
    FiringObject *self = (FiringObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->time_wait = Py_NewRef(time_wait);
    self->options = Py_NewRef(options);
    self->pktinfo = Py_NewRef(pktinfo);
    self->lsinfo = Py_NewRef(lsinfo);
    self->csinfo = Py_NewRef(csinfo);
    self->estimate = 1;
    if (firing_look_up_handlers(self, handler) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static PyObject *Firing_get_estimate(FiringObject *self, void *closure)
{
    return PyBool_FromLong(self->estimate);
}

static int Firing_set_estimate(FiringObject *self, PyObject *value, void *closure)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete estimate");
        return -1;
    }
    int estimate = PyObject_IsTrue(value);
    if (estimate < 0)
        return -1;
    self->estimate = estimate;
    return 0;
}

static PyGetSetDef Firing_getset[] = {
    {"estimate", (getter)Firing_get_estimate, (setter)Firing_set_estimate,
     "False when no enabled clause reads an estimated member (cwnd, cwnd_ssthresh, rto, "
     "sack_fack, sack_snxt): the Reno model and SACK parsing are skipped "
     "(translators.tcp.estimates_read).",
     NULL},
    {NULL},
};

#define HANDLER_MEMBER(name, probe) \
    {name, T_OBJECT, offsetof(FiringObject, handlers) + (probe) * sizeof(PyObject *), READONLY, \
     "the handler of tcp:::" name " (None when nothing listens)"}

static PyMemberDef Firing_members[] = {
    HANDLER_MEMBER("send", TCP_SEND),
    HANDLER_MEMBER("receive", TCP_RECEIVE),
    HANDLER_MEMBER("state_change", TCP_STATE_CHANGE),
    HANDLER_MEMBER("connect_request", TCP_CONNECT_REQUEST),
    HANDLER_MEMBER("connect_established", TCP_CONNECT_ESTABLISHED),
    HANDLER_MEMBER("connect_refused", TCP_CONNECT_REFUSED),
    HANDLER_MEMBER("accept_established", TCP_ACCEPT_ESTABLISHED),
    HANDLER_MEMBER("accept_refused", TCP_ACCEPT_REFUSED),
    {NULL},
};

PyTypeObject Firing_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pcapprobe._fastpath.Firing",
    .tp_doc = "Firing(handler, time_wait, options, pktinfo, lsinfo, csinfo)\n\n"
              "What endpoints call back into: the tcp probes' handlers (handler(name), None "
              "when nothing listens), the run's time-wait clock time_wait(endpoint, ts) and "
              "option parsing options(seg) -> TcpOptions, and the constant argument objects "
              "(pktinfo_t, tcplsinfo_t per state, the csinfo_t factory csinfo(cid)).",
    .tp_basicsize = sizeof(FiringObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = Firing_new,
    .tp_traverse = (traverseproc)Firing_traverse,
    .tp_clear = (inquiry)Firing_clear,
    .tp_dealloc = (destructor)Firing_dealloc,
    .tp_members = Firing_members,
    .tp_getset = Firing_getset,
};

/* ------------------------------------------------------------------------ */
/* Firing a probe from an endpoint                                           */

/* csinfo and the D thread ("tcp", cid) of a Python firing, made once. */
static int endpoint_python_args(EndpointObject *ep)
{
    if (ep->thread != NULL)
        return 0;
    PyObject *cid = PyLong_FromLongLong(ep->cid);
    if (cid == NULL)
        return -1;
    PyObject *csinfo = PyObject_CallOneArg(ep->fire->csinfo, cid);
    if (csinfo == NULL) {
        Py_DECREF(cid);
        return -1;
    }
    PyObject *thread = PyTuple_Pack(2, str_tcp, cid);
    Py_DECREF(cid);
    if (thread == NULL) {
        Py_DECREF(csinfo);
        return -1;
    }
    ep->csinfo = csinfo;
    ep->thread = thread;
    return 0;
}

/* handler(ts, args, thread); steals ``args``. */
static int call_python(PyObject *handler, int64_t ts, PyObject *args, PyObject *thread)
{
    if (args == NULL)
        return -1;
    PyObject *ts_obj = PyLong_FromLongLong(ts);
    if (ts_obj == NULL) {
        Py_DECREF(args);
        return -1;
    }
    PyObject *argv[3] = {ts_obj, args, thread};
    PyObject *result = PyObject_Vectorcall(handler, argv, 3, NULL);
    Py_DECREF(ts_obj);
    Py_DECREF(args);
    if (result == NULL)
        return -1;
    Py_DECREF(result);
    return 0;
}

static int attr_int64(PyObject *obj, PyObject *name, int64_t *out)
{
    PyObject *value = PyObject_GetAttr(obj, name);
    if (value == NULL)
        return -1;
    *out = PyLong_AsLongLong(value);
    Py_DECREF(value);
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

/* The datagram of a Python IpInfo (ipinfo_t members), for one firing. */
static int ip_from_python(PyObject *ipinfo, IpDgram *ip)
{
    int64_t version;
    if (attr_int64(ipinfo, str_ip_ver, &version) < 0
        || attr_int64(ipinfo, str_ip_plength, &ip->plength) < 0)
        return -1;
    ip->ipv6 = version == 6;
    ip->saddr = PyObject_GetAttr(ipinfo, str_ip_saddr);
    if (ip->saddr == NULL)
        return -1;
    ip->daddr = PyObject_GetAttr(ipinfo, str_ip_daddr);
    if (ip->daddr == NULL) {
        Py_CLEAR(ip->saddr);
        return -1;
    }
    return 0;
}

/* What a native program reads that the Python TCP layer's event lacks (no
 * endpoint needs them): the ports, checksum, urgent pointer and raw header of
 * the segment; ``header`` holds the header's buffer until released. */
static int header_from_python(TcpEvent *ev, Py_buffer *header)
{
    int64_t sport, dport, checksum, urgent;
    if (attr_int64(ev->py_seg, str_sport, &sport) < 0
        || attr_int64(ev->py_seg, str_dport, &dport) < 0
        || attr_int64(ev->py_seg, str_checksum, &checksum) < 0
        || attr_int64(ev->py_seg, str_urgent, &urgent) < 0)
        return -1;
    PyObject *view = PyObject_GetAttr(ev->py_seg, str_header);
    if (view == NULL)
        return -1;
    int rc = PyObject_GetBuffer(view, header, PyBUF_SIMPLE);
    Py_DECREF(view);
    if (rc < 0)
        return -1;
    ev->seg.sport = (uint16_t)sport;
    ev->seg.dport = (uint16_t)dport;
    ev->seg.checksum = (uint16_t)checksum;
    ev->seg.urgent = (uint16_t)urgent;
    ev->seg.header = header->buf;
    ev->seg.header_len = header->len;
    return 0;
}

void tcp_decode(const uint8_t *h, Py_ssize_t captured, int64_t declared, TcpSeg *seg)
{
    seg->sport = be16(h);
    seg->dport = be16(h + 2);
    seg->seq = be32(h + 4);
    seg->ack = be32(h + 8);
    seg->offset = (h[12] >> 4) * 4;
    seg->flags = h[13];
    seg->window = be16(h + 14);
    seg->checksum = be16(h + 16);
    seg->urgent = be16(h + 18);
    Py_ssize_t data = captured - seg->offset;
    if (data < 0)
        data = 0;
    int64_t declared_data = declared - seg->offset;
    seg->datalen = (uint32_t)(declared_data < data ? data : declared_data);
    seg->header = h;
    seg->header_len = captured < seg->offset ? captured : seg->offset;
}

/* A native program fired from the Python TCP layer sees the event as the
 * tracker fills it: datagram and whole header (ev->ip is NULL again after). */
static int native_fire_python_event(PyObject *probe, EndpointObject *ep, TcpEvent *ev,
                                    int64_t ts)
{
    IpDgram ip = {0};
    Py_buffer header;
    if (ip_from_python(ev->py_ipinfo, &ip) < 0)
        return -1;
    int rc = header_from_python(ev, &header);
    if (rc == 0) {
        ev->ip = &ip;
        rc = native_fire(probe, &(NativeArgs){ts, ep, ev, -1, ev->ip, NULL, NULL});
        ev->ip = NULL;
        ev->seg.header = NULL;
        ev->seg.header_len = 0;
        PyBuffer_Release(&header);
    }
    Py_DECREF(ip.saddr);
    Py_DECREF(ip.daddr);
    return rc;
}

/* A packet probe (send, receive, connect-*, accept-*): fires only when the
 * event has its datagram (a packet-level probe is enabled). */
static int fire_packet(EndpointObject *ep, int probe, TcpEvent *ev, int64_t ts)
{
    PyObject *handler = ep->fire->handlers[probe];
    if (handler == NULL)
        return 0;
    if (ev->ip == NULL && (ev->py_ipinfo == NULL || ev->py_ipinfo == Py_None))
        return 0;
    if (Py_IS_TYPE(handler, &NativeProbe_Type)) {
        if (ev->ip == NULL)
            return native_fire_python_event(handler, ep, ev, ts);
        return native_fire(handler, &(NativeArgs){ts, ep, ev, -1, ev->ip, NULL, NULL});
    }
    if (ev->py_seg == NULL && ev->make_py(ev->maker, ev) < 0)
        return -1;
    if (endpoint_python_args(ep) < 0)
        return -1;
    return call_python(handler, ts,
                       PyTuple_Pack(5, ep->fire->pktinfo, ep->csinfo, ev->py_ipinfo,
                                    (PyObject *)ep, ev->py_seg),
                       ep->thread);
}

static int fire_state_change(EndpointObject *ep, int old, int64_t ts)
{
    PyObject *handler = ep->fire->handlers[TCP_STATE_CHANGE];
    if (handler == NULL)
        return 0;
    if (Py_IS_TYPE(handler, &NativeProbe_Type))
        return native_fire(handler, &(NativeArgs){ts, ep, NULL, old, NULL, NULL, NULL});
    if (endpoint_python_args(ep) < 0)
        return -1;
    PyObject *key = PyLong_FromLong(old);
    if (key == NULL)
        return -1;
    PyObject *lsinfo = PyDict_GetItemWithError(ep->fire->lsinfo, key);
    if (lsinfo == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetObject(PyExc_KeyError, key);
        Py_DECREF(key);
        return -1;
    }
    Py_DECREF(key);
    return call_python(handler, ts,
                       PyTuple_Pack(6, Py_None, ep->csinfo, Py_None, (PyObject *)ep, Py_None,
                                    lsinfo),
                       ep->thread);
}

static int enter_time_wait(EndpointObject *ep, int64_t ts)
{
    FiringObject *fire = ep->fire;
    if (fire->c_time_wait != NULL)
        return fire->c_time_wait(fire->owner, ep, ts);
    if (fire->time_wait == NULL)
        return firing_cleared();
    PyObject *ts_obj = PyLong_FromLongLong(ts);
    if (ts_obj == NULL)
        return -1;
    PyObject *argv[2] = {(PyObject *)ep, ts_obj};
    PyObject *result = PyObject_Vectorcall(fire->time_wait, argv, 2, NULL);
    Py_DECREF(ts_obj);
    if (result == NULL)
        return -1;
    Py_DECREF(result);
    return 0;
}

static int set_state(EndpointObject *ep, int new, int64_t ts)
{
    int old = ep->state;
    ep->state = new;
    if (fire_state_change(ep, old, ts) < 0)
        return -1;
    if (new == TCPS_TIME_WAIT)
        return enter_time_wait(ep, ts);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Derived members and the Reno model                                        */

uint32_t endpoint_snxt(const EndpointObject *ep)
{
    return (uint32_t)((int64_t)ep->sbase + ep->shigh);
}

/* snxt - suna: sequence space sent and not yet acknowledged. */
static uint32_t flight(const EndpointObject *ep)
{
    return (uint32_t)((int64_t)ep->sbase + ep->shigh - ep->suna);
}

static int64_t initial_cwnd(const EndpointObject *ep)
{
    int64_t mss = ep->mss, twice = 2 * mss > 4380 ? 2 * mss : 4380;
    return 4 * mss < twice ? 4 * mss : twice; /* RFC 3390 §1 */
}

/* ssthresh after a loss: max(flight // 2, 2 * mss), RFC 5681 eq. (4). */
static int64_t loss_ssthresh(const EndpointObject *ep)
{
    int64_t half = flight(ep) / 2;
    return half > 2 * (int64_t)ep->mss ? half : 2 * (int64_t)ep->mss;
}

/* mss: the smaller MSS option of the two SYNs, else the one seen, else the default. */
static void update_mss(EndpointObject *ep)
{
    int mine = ep->has_my_opts ? ep->my_opts.mss : 0;
    int peer = ep->has_peer_opts ? ep->peer_opts.mss : 0;
    int offer = mine && peer ? (mine < peer ? mine : peer) : (mine ? mine : peer);
    if (offer)
        ep->mss = offer;
}

/* Window scaling and SACK are on only when both SYNs offered them. */
static void negotiate(EndpointObject *ep)
{
    if (!ep->has_my_opts || !ep->has_peer_opts)
        return;
    if (ep->my_opts.wscale >= 0 && ep->peer_opts.wscale >= 0) {
        ep->snd_ws = ep->peer_opts.wscale;
        ep->rcv_ws = ep->my_opts.wscale;
    }
    ep->sack_ok = ep->my_opts.sack_permitted && ep->peer_opts.sack_permitted;
    ep->cwnd = initial_cwnd(ep);
}

/* RFC 6298 §2.2/§2.3 smoothing (milliseconds; K = 4, alpha 1/8, beta 1/4). */
static void rtt_sample(EndpointObject *ep, double r)
{
    if (ep->srtt == 0.0) {
        ep->srtt = r;
        ep->rttvar = r / 2;
    } else {
        ep->rttvar = 0.75 * ep->rttvar + 0.25 * fabs(ep->srtt - r);
        ep->srtt = 0.875 * ep->srtt + 0.125 * r;
    }
    double var = 4 * ep->rttvar;
    double rto = ep->srtt + (var > 1.0 ? var : 1.0);
    /* Python's max(rto, 1000) and min(..., 60000) keep rto unless the bound
     * compares strictly beyond it */
    double bounded = RTO_MIN_MS > rto ? RTO_MIN_MS : rto;
    bounded = RTO_MAX_MS < bounded ? RTO_MAX_MS : bounded;
    ep->rto = (int64_t)bounded;
}

/* RTT sample, Reno window growth and recovery exit for a new cumulative ACK. */
static void new_ack(EndpointObject *ep, uint32_t ack, int64_t ts)
{
    uint32_t acked = ack - ep->suna;
    ep->suna = ack;
    ep->dupacks = 0;
    if (ep->has_timed_end && !seq_lt(ack, ep->timed_end)) {
        rtt_sample(ep, ns_between(ts, ep->timed_ts) / 1e6);
        ep->has_timed_end = 0;
    }
    if (ep->state < TCPS_ESTABLISHED || !ep->fire->estimate)
        return;
    int64_t mss = ep->mss;
    if (ep->has_recover) {
        if (!seq_lt(ack, ep->recover)) {
            ep->has_recover = 0;
            ep->cwnd = ep->ssthresh;
        }
        return;
    }
    if (ep->cwnd < ep->ssthresh)
        ep->cwnd += (int64_t)acked < mss ? (int64_t)acked : mss; /* RFC 5681 eq. (2) */
    else {
        int64_t grow = mss * mss / ep->cwnd; /* RFC 5681 eq. (3) */
        ep->cwnd += grow > 1 ? grow : 1;
    }
    if (ep->cwnd > TCP_MAX_LARGEWIN)
        ep->cwnd = TCP_MAX_LARGEWIN;
}

static void dupack(EndpointObject *ep)
{
    ep->dupacks++;
    if (ep->has_recover)
        ep->cwnd += ep->mss; /* RFC 5681 §3.2 step 4 */
    else if (ep->dupacks == DUPACK_THRESHOLD) {
        ep->ssthresh = loss_ssthresh(ep);
        ep->cwnd = ep->ssthresh + 3 * (int64_t)ep->mss;
        ep->recover = endpoint_snxt(ep);
        ep->has_recover = 1;
    }
}

/* Karn's rule and the Reno reaction to a retransmission by this endpoint. */
static void on_retransmit(EndpointObject *ep)
{
    ep->has_timed_end = 0;
    if (ep->has_recover || !ep->fire->estimate)
        return; /* the fast retransmission of RFC 5681 §3.2 */
    ep->rto = ep->rto * 2 < RTO_MAX_MS ? ep->rto * 2 : RTO_MAX_MS;
    if (ep->state >= TCPS_ESTABLISHED) {
        ep->ssthresh = loss_ssthresh(ep);
        ep->cwnd = ep->mss;
    }
}

/* sack_fack/sack_snxt from the SACK blocks of a received ACK. */
static int sack(EndpointObject *ep, TcpEvent *ev)
{
    const TcpOpts *opts = event_options(ep->fire, ev);
    if (opts == NULL)
        return -1;
    uint32_t suna = ep->suna;
    /* the blocks by distance from suna, in a stable sort (Python's sorted) */
    int n = opts->nsack, order[TCP_MAX_SACK];
    for (int i = 0; i < n; i++) {
        int j = i;
        for (; j > 0 && opts->sack[order[j - 1]][0] - suna > opts->sack[i][0] - suna; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    uint32_t fack = seq_lt(suna, ep->sack_fack) ? ep->sack_fack : suna, nxt = suna;
    for (int k = 0; k < n; k++) {
        uint32_t left = opts->sack[order[k]][0], right = opts->sack[order[k]][1];
        if (seq_lt(fack, right))
            fack = right;
        if (!seq_lt(nxt, left) && seq_lt(nxt, right))
            nxt = right;
    }
    ep->sack_fack = fack;
    ep->sack_snxt = nxt;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The sent sequence space: [0, shigh) from sbase, minus the holes           */

/* Room for n holes: a few at first, doubled as needed (most connections that
 * open a hole have one at a time; filling the middle of a hole splits it, so
 * the list may outgrow TCP_MAX_HOLES between two sends). */
static Py_ssize_t holes_capacity(int n)
{
    Py_ssize_t cap = 4;
    while (cap < n)
        cap *= 2;
    return cap;
}

static int holes_reserve(EndpointObject *ep, int n)
{
    if (ep->holes != NULL && n <= holes_capacity(ep->nholes))
        return 0;
    TcpHole *holes = PyMem_Realloc(ep->holes, holes_capacity(n) * sizeof(TcpHole));
    if (holes == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    ep->holes = holes;
    return 0;
}

static int open_hole(EndpointObject *ep, int64_t lo, int64_t hi, int64_t ts)
{
    if (holes_reserve(ep, ep->nholes + 1) < 0)
        return -1;
    ep->holes[ep->nholes++] = (TcpHole){lo, hi, ts};
    if (ep->nholes > TCP_MAX_HOLES) {
        memmove(ep->holes, ep->holes + 1, (ep->nholes - 1) * sizeof(TcpHole));
        ep->nholes--;
    }
    return 0;
}

/* How late a hole may fill and still be reordering: one RTT, or the default
 * before any sample.  Whether a hole opened at ``opened`` fills late at ``ts``. */
static int fills_late(const EndpointObject *ep, int64_t ts, int64_t opened)
{
    int64_t waited;
    if (__builtin_sub_overflow(ts, opened, &waited))
        return ts > opened;
    if (ep->srtt == 0.0)
        return waited >= REORDER_DEFAULT_NS;
    double rtt_ns = ep->srtt * 1e6;
    if (rtt_ns >= 0x1p63 || rtt_ns <= -0x1p63) /* beyond what waited can be */
        return rtt_ns < 0;
    return waited >= (int64_t)rtt_ns;
}

/* Remove [start, end) from the holes: 1 unless all of it was in them and came
 * soon enough to be reordering, 0, or -1 with an exception set. */
static int fill_holes(EndpointObject *ep, int64_t start, int64_t end, int64_t ts)
{
    int64_t seen_before = end - start;
    int late = 0, n = ep->nholes, kept = 0;
    TcpHole *out = NULL;
    if (n > 0) {
        /* at most one hole splits in two: [start, end) is one range */
        out = PyMem_Malloc((n + 1) * sizeof(TcpHole));
        if (out == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    for (int i = 0; i < n; i++) {
        TcpHole hole = ep->holes[i];
        if (hole.hi <= start || hole.lo >= end) {
            out[kept++] = hole;
            continue;
        }
        seen_before -= (hole.hi < end ? hole.hi : end) - (hole.lo > start ? hole.lo : start);
        late = late || fills_late(ep, ts, hole.opened);
        if (hole.lo < start)
            out[kept++] = (TcpHole){hole.lo, start, hole.opened};
        if (hole.hi > end)
            out[kept++] = (TcpHole){end, hole.hi, hole.opened};
    }
    if (n > 0) {
        if (holes_reserve(ep, kept) < 0) {
            PyMem_Free(out);
            return -1;
        }
        memcpy(ep->holes, out, kept * sizeof(TcpHole));
        PyMem_Free(out);
    }
    ep->nholes = kept;
    if (kept == 0) {  /* the memory of tens of thousands of filled holes adds up */
        PyMem_Free(ep->holes);
        ep->holes = NULL;
    }
    return seen_before > 0 || late;
}

/* Record ``length`` (> 0) bytes of sent sequence space: 1 when any of it was
 * sent before, 0, or -1 with an exception set.  A sender sends in order, so a
 * segment below the highest one sent is a retransmission even when the
 * capture missed the original -- unless it fills a hole within the
 * reordering threshold of the hole's opening (network reordering before the
 * capture point, Wireshark's out-of-order rule). */
static int sent(EndpointObject *ep, uint32_t seq, int64_t length, int64_t ts)
{
    int64_t start = (int32_t)(seq - ep->sbase);
    if (start < 0)
        return 1; /* before anything seen: data before the capture */
    int64_t end = start + length, shigh = ep->shigh;
    if (start >= shigh) {
        if (start > shigh && open_hole(ep, shigh, start, ts) < 0)
            return -1;
        ep->shigh = end;
        return 0;
    }
    if (end > shigh)
        ep->shigh = end;
    return fill_holes(ep, start, end < shigh ? end : shigh, ts);
}

/* ------------------------------------------------------------------------ */
/* Sends                                                                     */

/* The first segment seen from this endpoint (mid-stream) starts its sent
 * sequence space. */
static void start_send_space(EndpointObject *ep, uint32_t seq)
{
    ep->snd_known = 1;
    ep->sbase = seq;
    ep->shigh = 0;
    if (!ep->suna)
        ep->suna = seq;
}

static int my_options(EndpointObject *ep, TcpEvent *ev)
{
    if (ep->has_my_opts)
        return 0;
    const TcpOpts *opts = event_options(ep->fire, ev);
    if (opts == NULL)
        return -1;
    ep->my_opts = *opts;
    ep->has_my_opts = 1;
    update_mss(ep);
    return 0;
}

/* State changes (and connect-request) a SYN or SYN/ACK causes, before its send. */
static int send_syn(EndpointObject *ep, TcpEvent *ev, int64_t ts)
{
    int state = ep->state;
    if (my_options(ep, ev) < 0)
        return -1;
    if (!ep->snd_known) {
        ep->iss = ep->suna = ep->sbase = ev->seg.seq;
        ep->shigh = 0;
        ep->snd_known = 1;
    }
    if (ev->seg.flags & TH_ACK) {
        if (state == TCPS_LISTEN || state == TCPS_IDLE) { /* idle: the SYN was not captured */
            ep->state = TCPS_LISTEN;
            negotiate(ep);
            return set_state(ep, TCPS_SYN_RCVD, ts);
        }
        return 0;
    }
    if (state != TCPS_IDLE && state != TCPS_LISTEN)
        return 0;
    /* A bare SYN is an active open; after the peer's SYN was received
     * (presumed listening) it is the second half of a simultaneous open. */
    ep->state = TCPS_IDLE;
    ep->active = 1;
    if (set_state(ep, TCPS_BOUND, ts) < 0 || set_state(ep, TCPS_SYN_SENT, ts) < 0
        || fire_packet(ep, TCP_CONNECT_REQUEST, ev, ts) < 0)
        return -1;
    if (state == TCPS_LISTEN) {
        negotiate(ep);
        return set_state(ep, TCPS_SYN_RCVD, ts);
    }
    return 0;
}

static int send_rst(EndpointObject *ep, TcpEvent *ev, int64_t ts)
{
    int state = ep->state;
    ep->retransmit = 0;
    if (state == TCPS_LISTEN) {
        if (fire_packet(ep, TCP_ACCEPT_REFUSED, ev, ts) < 0)
            return -1;
        ep->state = state = TCPS_CLOSED;
    }
    if (fire_packet(ep, TCP_SEND, ev, ts) < 0)
        return -1;
    if (state != TCPS_CLOSED && state != TCPS_IDLE && state != TCPS_TIME_WAIT)
        return set_state(ep, TCPS_CLOSED, ts);
    return 0;
}

/* The sequence space a send occupies: retransmission, RTT timing. */
static int record_sent(EndpointObject *ep, uint32_t seq, int64_t length, int64_t ts)
{
    if (!length) { /* a bare ACK occupies no sequence space: nothing to record or time */
        ep->retransmit = 0;
        return 0;
    }
    int resent = sent(ep, seq, length, ts);
    if (resent < 0)
        return -1;
    ep->retransmit = resent;
    if (resent)
        on_retransmit(ep);
    else if (!ep->has_timed_end) {
        ep->timed_end = (uint32_t)(seq + length);
        ep->has_timed_end = 1;
        ep->timed_ts = ts;
    }
    return 0;
}

int endpoint_send(EndpointObject *ep, TcpEvent *ev, int64_t ts)
{
    const TcpSeg *seg = &ev->seg;
    int flags = seg->flags, state = ep->state;
    if (flags & TH_RST)
        return send_rst(ep, ev, ts);
    uint32_t seq = seg->seq;
    int64_t length = seg->datalen;
    if (flags & TH_SYN) {
        if (send_syn(ep, ev, ts) < 0)
            return -1;
        length++;
    }
    if (flags & TH_FIN)
        length++;
    if (!ep->snd_known)
        start_send_space(ep, seq);
    if (record_sent(ep, seq, length, ts) < 0)
        return -1;
    if (flags & TH_ACK && (!ep->rack || seq_lt(ep->rack, seg->ack)))
        ep->rack = seg->ack;
    ep->rwnd = seg->window;
    ep->rwnd_known = 1;
    if (flags & TH_FIN && !ep->has_fin_end) {
        ep->fin_end = (uint32_t)(seq + length);
        ep->has_fin_end = 1;
        if (state == TCPS_ESTABLISHED || state == TCPS_SYN_RCVD) {
            if (set_state(ep, TCPS_FIN_WAIT_1, ts) < 0)
                return -1;
        } else if (state == TCPS_CLOSE_WAIT && set_state(ep, TCPS_LAST_ACK, ts) < 0)
            return -1;
    }
    if (fire_packet(ep, TCP_SEND, ev, ts) < 0)
        return -1;
    ep->retransmit = 0;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Receives                                                                  */

static int establish(EndpointObject *ep, TcpEvent *ev, int64_t ts)
{
    new_ack(ep, ev->seg.ack, ts);
    if (set_state(ep, TCPS_ESTABLISHED, ts) < 0)
        return -1;
    if (ep->sack_ok)
        ep->sack_fack = ep->sack_snxt = ep->suna;
    return fire_packet(ep, ep->active ? TCP_CONNECT_ESTABLISHED : TCP_ACCEPT_ESTABLISHED, ev, ts);
}

static int peer_options(EndpointObject *ep, TcpEvent *ev)
{
    if (ep->has_peer_opts)
        return 0;
    const TcpOpts *opts = event_options(ep->fire, ev);
    if (opts == NULL)
        return -1;
    ep->peer_opts = *opts;
    ep->has_peer_opts = 1;
    update_mss(ep);
    ep->rcv_known = 1;
    ep->rnxt = ev->seg.seq + 1;
    ep->rack = ep->rnxt;
    return 0;
}

static int receive_syn(EndpointObject *ep, TcpEvent *ev, int64_t ts)
{
    int state = ep->state;
    if (peer_options(ep, ev) < 0)
        return -1;
    if (!(ev->seg.flags & TH_ACK)) {
        if (state == TCPS_SYN_SENT) {
            negotiate(ep);
            return set_state(ep, TCPS_SYN_RCVD, ts); /* simultaneous open */
        }
        return 0;
    }
    if (state == TCPS_IDLE) {
        /* SYN/ACK seen before (or without) our SYN: the SYN is presumed. */
        ep->active = 1;
        ep->iss = ep->suna = ep->sbase = ev->seg.ack - 1;
        ep->shigh = 1;
        ep->snd_known = 1;
        if (set_state(ep, TCPS_BOUND, ts) < 0 || set_state(ep, TCPS_SYN_SENT, ts) < 0)
            return -1;
        state = TCPS_SYN_SENT;
    }
    if (state == TCPS_SYN_SENT && ev->seg.ack == ep->iss + 1) {
        negotiate(ep);
        return establish(ep, ev, ts);
    }
    return 0;
}

/* FIN_WAIT_2/TIME_WAIT/CLOSED once our FIN is acknowledged. */
static int fin_acked(EndpointObject *ep, int state, uint32_t ack, int64_t ts)
{
    if (!ep->has_fin_end || seq_lt(ack, ep->fin_end))
        return 0;
    if (state == TCPS_FIN_WAIT_1)
        return set_state(ep, TCPS_FIN_WAIT_2, ts);
    if (state == TCPS_CLOSING)
        return set_state(ep, TCPS_TIME_WAIT, ts);
    if (state == TCPS_LAST_ACK)
        return set_state(ep, TCPS_CLOSED, ts);
    return 0;
}

static int receive_ack(EndpointObject *ep, TcpEvent *ev, int64_t ts)
{
    const TcpSeg *seg = &ev->seg;
    uint32_t ack = seg->ack;
    int state = ep->state;
    if (state == TCPS_SYN_RCVD) {
        if (!seq_lt(ep->iss, ack))
            return 0;
        if (establish(ep, ev, ts) < 0)
            return -1;
        state = ep->state;
    } else {
        uint32_t suna = ep->suna, in_flight = flight(ep), advance = ack - suna;
        if (advance != 0 && advance <= in_flight)
            new_ack(ep, ack, ts);
        else if (ack == suna && in_flight && !seg->datalen && seg->window == ep->swnd
                 && ep->fire->estimate)
            dupack(ep);
    }
    ep->swnd = seg->window;
    if (ep->sack_ok && seg->offset > TCP_HEADER_MIN && ep->fire->estimate && sack(ep, ev) < 0)
        return -1;
    return fin_acked(ep, state, ack, ts);
}

/* States in which both sequence spaces are synchronised (RFC 793 §3.4). */
static int synchronized(int state)
{
    return state >= TCPS_SYN_RCVD;
}

/* Acceptability of a segment in a synchronised state, as illumos
 * tcp_input_data (and tcp_time_wait_processing) trims it against the
 * receive window [RCV.NXT, RCV.NXT + RCV.WND] (RFC 793 p. 69): -1 when
 * nothing of it is left (wholly old, or wholly beyond the window: an RST is
 * then dropped, a SYN or FIN ignored, its ACK still counts), 0 when its
 * right edge was cut (a FIN there is dropped), 1 when it fits.  A zero-length
 * segment fits anywhere from RCV.NXT to the window's right edge.  Without
 * RCV.NXT, or our window and its scale (the capture joined mid-stream, or
 * we never sent), the edge that is not known is not checked. */
static int window_fit(const EndpointObject *ep, const TcpSeg *seg)
{
    /* RCV.NXT: as tracked, else what we acknowledged (a SYN/ACK captured
     * before the SYN it answers) */
    uint32_t nxt = ep->rcv_known ? ep->rnxt : ep->rack;
    if (!ep->rcv_known && !ep->rack)
        return 1;
    int64_t gap = (int32_t)(seg->seq - nxt);
    int64_t len = seg->datalen;
    int64_t right = gap + len;
    if (gap < 0) {
        len += gap;
        if (len < 0 || (len == 0 && !(seg->flags & TH_FIN)))
            return -1;
    }
    if (ep->rwnd_known && ep->has_peer_opts) {
        /* In SYN-RECEIVED the window we advertised came in our SYN/ACK,
         * which is never scaled (RFC 7323 §2.2). */
        int shift = ep->state == TCPS_SYN_RCVD ? 0 : ep->rcv_ws;
        int64_t rgap = ((int64_t)ep->rwnd << shift) - right;
        if (rgap < 0)
            return len + rgap <= 0 ? -1 : 0;
    }
    return 1;
}

/* SYN-SENT: an RST counts only with an ACK of our SYN (illumos drops any
 * other: RFC 793 p. 66-67). */
static int rst_acceptable_in_syn_sent(const EndpointObject *ep, const TcpSeg *seg)
{
    return seg->flags & TH_ACK && seg->ack == ep->iss + 1;
}

static int receive_rst(EndpointObject *ep, TcpEvent *ev, int state, int64_t ts)
{
    if (state == TCPS_SYN_SENT) {
        if (!rst_acceptable_in_syn_sent(ep, &ev->seg))
            return 0;
        if (fire_packet(ep, TCP_CONNECT_REFUSED, ev, ts) < 0)
            return -1;
        if (set_state(ep, TCPS_BOUND, ts) < 0 || set_state(ep, TCPS_IDLE, ts) < 0)
            return -1;
        return set_state(ep, TCPS_CLOSED, ts);
    }
    if (state == TCPS_LISTEN)
        ep->state = TCPS_CLOSED;
    else if (synchronized(state))
        return set_state(ep, TCPS_CLOSED, ts); /* tcp_clean_death, TIME-WAIT too */
    return 0;
}

static int receive_fin(EndpointObject *ep, int state, uint32_t end, int64_t ts)
{
    if (ep->has_peer_fin_end)
        return 0;
    ep->peer_fin_end = ep->rnxt = end + 1;
    ep->has_peer_fin_end = 1;
    if (state == TCPS_ESTABLISHED || state == TCPS_SYN_RCVD)
        return set_state(ep, TCPS_CLOSE_WAIT, ts);
    if (state == TCPS_FIN_WAIT_1)
        return set_state(ep, TCPS_CLOSING, ts);
    if (state == TCPS_FIN_WAIT_2)
        return set_state(ep, TCPS_TIME_WAIT, ts);
    return 0;
}

int endpoint_receive(EndpointObject *ep, TcpEvent *ev, int64_t ts)
{
    const TcpSeg *seg = &ev->seg;
    int flags = seg->flags, state = ep->state;
    if (state == TCPS_IDLE && flags & TH_SYN && !(flags & TH_ACK))
        ep->state = state = TCPS_LISTEN; /* a listener: no connection state yet */
    if (fire_packet(ep, TCP_RECEIVE, ev, ts) < 0)
        return -1;
    /* RST, SYN and FIN count only where illumos accepts them (window_fit). */
    int fit = synchronized(state) ? window_fit(ep, seg) : 1;
    if (flags & TH_RST)
        return fit < 0 ? 0 : receive_rst(ep, ev, state, ts);
    if (flags & TH_SYN && synchronized(state) && fit >= 0)
        return set_state(ep, TCPS_CLOSED, ts); /* answered by RST, tcp_clean_death */
    uint32_t end = seg->seq + seg->datalen;
    if (flags & TH_SYN) {
        if (receive_syn(ep, ev, ts) < 0)
            return -1;
        state = ep->state;
        end++;
    } else if (!ep->rcv_known) {
        ep->rcv_known = 1;
        ep->rnxt = ep->rack = seg->seq;
    }
    if (!ep->snd_known && flags & TH_ACK) {
        /* Mid-stream: the peer's ACK tells where our sequence space stands. */
        ep->snd_known = 1;
        ep->suna = ep->sbase = seg->ack;
    }
    if (seq_lt(ep->rnxt, end))
        ep->rnxt = end;
    if (flags & TH_ACK) {
        if (receive_ack(ep, ev, ts) < 0)
            return -1;
        state = ep->state;
    }
    if (flags & TH_FIN && fit > 0)
        return receive_fin(ep, state, end, ts);
    return 0;
}

/* 2*MSL passed on the capture clock (called by the connection table). */
int endpoint_expire_time_wait(EndpointObject *ep, int64_t ts)
{
    if (ep->state == TCPS_TIME_WAIT)
        return set_state(ep, TCPS_CLOSED, ts);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Endpoint, the Python type                                                 */

EndpointObject *endpoint_new(FiringObject *fire, long long cid, PyObject *laddr, int lport,
                             PyObject *raddr, int rport, int ipv6, int loopback, int midstream)
{
    EndpointObject *ep = (EndpointObject *)Endpoint_Type.tp_alloc(&Endpoint_Type, 0);
    if (ep == NULL)
        return NULL;
    ep->fire = (FiringObject *)Py_NewRef(fire);
    ep->cid = cid;
    ep->laddr = Py_NewRef(laddr);
    ep->raddr = Py_NewRef(raddr);
    ep->lport = lport;
    ep->rport = rport;
    ep->ipv6 = ipv6;
    ep->mss = ipv6 ? MSS_DEFAULT_IPV6 : MSS_DEFAULT_IPV4;
    ep->loopback = loopback;
    ep->state = midstream ? TCPS_ESTABLISHED : TCPS_IDLE;
    ep->ssthresh = TCP_MAX_LARGEWIN;
    ep->rto = RTO_INITIAL_MS;
    if (midstream)
        ep->cwnd = initial_cwnd(ep);
    /* everything else starts at 0 (unknown, absent) */
    return ep;
}

static PyObject *Endpoint_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"fire", "cid", "laddr", "lport", "raddr", "rport", "ipv6",
                             "loopback", "midstream", NULL};
    PyObject *fire, *laddr, *raddr;
    long long cid;
    int lport, rport, ipv6, loopback, midstream;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!LUiUippp:Endpoint", kwlist, &Firing_Type,
                                     &fire, &cid, &laddr, &lport, &raddr, &rport, &ipv6,
                                     &loopback, &midstream))
        return NULL;
    return (PyObject *)endpoint_new((FiringObject *)fire, cid, laddr, lport, raddr, rport, ipv6,
                                    loopback, midstream);
}

static int Endpoint_traverse(EndpointObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->fire);
    Py_VISIT(self->csinfo);
    Py_VISIT(self->thread);
    return 0;
}

static int Endpoint_clear(EndpointObject *self)
{
    Py_CLEAR(self->fire);
    Py_CLEAR(self->csinfo);
    Py_CLEAR(self->thread);
    return 0;
}

static void Endpoint_dealloc(EndpointObject *self)
{
    PyObject_GC_UnTrack(self);
    Endpoint_clear(self);
    Py_CLEAR(self->laddr);
    Py_CLEAR(self->raddr);
    PyMem_Free(self->holes);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Whether the Python methods may drive this endpoint: not once it or its
 * Firing was cleared by the garbage collector, and not on a TcpTracker's
 * Firing, whose hooks work only for the segment the tracker is processing. */
static int endpoint_check(EndpointObject *self)
{
    if (self->fire == NULL || self->fire->csinfo == NULL) {
        PyErr_SetString(PyExc_ValueError, "Endpoint has been cleared");
        return -1;
    }
    if (self->fire->owner != NULL) {
        PyErr_SetString(PyExc_ValueError, "the endpoints of a TcpTracker are driven by it");
        return -1;
    }
    return 0;
}

static int seg_u32(PyObject *seg, PyObject *name, uint32_t *out)
{
    PyObject *value = PyObject_GetAttr(seg, name);
    if (value == NULL)
        return -1;
    unsigned long v = PyLong_AsUnsignedLong(value);
    Py_DECREF(value);
    if (v == (unsigned long)-1 && PyErr_Occurred())
        return -1;
    if (v > UINT32_MAX) {
        PyErr_Format(PyExc_OverflowError, "TCP %U %lu out of range", name, v);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

/* A TcpEvent of the Python TCP layer: the fixed fields of a TcpInfo an
 * endpoint uses (the options are asked of fire.options when needed, the rest
 * is read for native programs only). */
static int event_from_python(TcpEvent *ev, PyObject *seg, PyObject *ipinfo)
{
    uint32_t window, offset, flags;
    memset(ev, 0, sizeof *ev);
    if (seg_u32(seg, str_seq, &ev->seg.seq) < 0 || seg_u32(seg, str_ack, &ev->seg.ack) < 0
        || seg_u32(seg, str_offset, &offset) < 0 || seg_u32(seg, str_flags, &flags) < 0
        || seg_u32(seg, str_window, &window) < 0
        || seg_u32(seg, str_datalen, &ev->seg.datalen) < 0)
        return -1;
    ev->seg.window = (uint16_t)window;
    ev->seg.offset = (int)offset;
    ev->seg.flags = (uint8_t)flags;
    ev->py_seg = seg;
    ev->py_ipinfo = ipinfo;
    return 0;
}

typedef int (*SegmentStep)(EndpointObject *, TcpEvent *, int64_t);

/* on_send/on_receive(seg, ts_ns, ipinfo) */
static PyObject *endpoint_segment_method(EndpointObject *self, PyObject *const *args,
                                         Py_ssize_t nargs, const char *name, SegmentStep step)
{
    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError, "%s() takes 3 arguments (%zd given)", name, nargs);
        return NULL;
    }
    int64_t ts;
    TcpEvent ev;
    if (timestamp_from_python(args[1], &ts) < 0 || endpoint_check(self) < 0
        || event_from_python(&ev, args[0], args[2]) < 0
        || step(self, &ev, ts) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *Endpoint_on_send(EndpointObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return endpoint_segment_method(self, args, nargs, "on_send", endpoint_send);
}

static PyObject *Endpoint_on_receive(EndpointObject *self, PyObject *const *args,
                                     Py_ssize_t nargs)
{
    return endpoint_segment_method(self, args, nargs, "on_receive", endpoint_receive);
}

static PyObject *Endpoint_expire_time_wait(EndpointObject *self, PyObject *ts_obj)
{
    int64_t ts;
    if (timestamp_from_python(ts_obj, &ts) < 0 || endpoint_check(self) < 0
        || endpoint_expire_time_wait(self, ts) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef Endpoint_methods[] = {
    {"on_send", (PyCFunction)(void (*)(void))Endpoint_on_send, METH_FASTCALL,
     "on_send(seg, ts_ns, ipinfo): a segment this endpoint sent (decoded as its tcpinfo_t); "
     "ipinfo is None when no packet-level probe is enabled."},
    {"on_receive", (PyCFunction)(void (*)(void))Endpoint_on_receive, METH_FASTCALL,
     "on_receive(seg, ts_ns, ipinfo): a segment the peer sent to this endpoint."},
    {"expire_time_wait", (PyCFunction)Endpoint_expire_time_wait, METH_O,
     "expire_time_wait(ts_ns): 2*MSL passed on the capture clock (time-wait -> closed)."},
    {NULL},
};

static PyObject *Endpoint_get_snxt(EndpointObject *self, void *closure)
{
    return PyLong_FromUnsignedLong(endpoint_snxt(self));
}

static PyObject *Endpoint_get_addr(EndpointObject *self, void *closure)
{
    return PyLong_FromLong(0); /* no kernel tcp_t behind a capture */
}

static PyObject *Endpoint_get_tw_expiry(EndpointObject *self, void *closure)
{
    return PyLong_FromLongLong(self->tw_expiry);
}

static int Endpoint_set_tw_expiry(EndpointObject *self, PyObject *value, void *closure)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete tw_expiry");
        return -1;
    }
    return timestamp_from_python(value, &self->tw_expiry);
}

static PyGetSetDef Endpoint_getset[] = {
    {"tw_expiry", (getter)Endpoint_get_tw_expiry, (setter)Endpoint_set_tw_expiry,
     "when time-wait ends (ns, saturated to 64 bits), kept by the TCP layer's time-wait queue",
     NULL},
    {"tcps_addr", (getter)Endpoint_get_addr, NULL, "uintptr_t tcps_addr: 0", NULL},
    {"tcps_snxt", (getter)Endpoint_get_snxt, NULL, "uint32_t tcps_snxt", NULL},
    {NULL},
};

#define TCPS(name, type, field) \
    {"tcps_" name, type, offsetof(EndpointObject, field), READONLY, "tcpsinfo_t tcps_" name}

static PyMemberDef Endpoint_members[] = {
    TCPS("local", T_INT, loopback),
    TCPS("active", T_INT, active),
    TCPS("lport", T_INT, lport),
    TCPS("rport", T_INT, rport),
    TCPS("laddr", T_OBJECT, laddr),
    TCPS("raddr", T_OBJECT, raddr),
    TCPS("state", T_INT, state),
    TCPS("iss", T_UINT, iss),
    TCPS("suna", T_UINT, suna),
    TCPS("rack", T_UINT, rack),
    TCPS("rnxt", T_UINT, rnxt),
    TCPS("swnd", T_UINT, swnd),
    TCPS("snd_ws", T_INT, snd_ws),
    TCPS("rwnd", T_UINT, rwnd),
    TCPS("rcv_ws", T_INT, rcv_ws),
    TCPS("cwnd", T_LONGLONG, cwnd),
    TCPS("cwnd_ssthresh", T_LONGLONG, ssthresh),
    TCPS("sack_fack", T_UINT, sack_fack),
    TCPS("sack_snxt", T_UINT, sack_snxt),
    TCPS("rto", T_LONGLONG, rto),
    TCPS("mss", T_INT, mss),
    TCPS("retransmit", T_INT, retransmit),
    {"active", T_INT, offsetof(EndpointObject, active), 0,
     "tcps_active, set by the TCP layer for the client it guessed mid-stream"},
    {NULL},
};

PyTypeObject Endpoint_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pcapprobe._fastpath.Endpoint",
    .tp_doc = "Endpoint(fire, cid, laddr, lport, raddr, rport, ipv6, loopback, midstream)\n\n"
              "The TCP of one local host on one connection incarnation, and its own "
              "tcpsinfo_t argument object (tcps_* members: the live state at the firing).",
    .tp_basicsize = sizeof(EndpointObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = Endpoint_new,
    .tp_traverse = (traverseproc)Endpoint_traverse,
    .tp_clear = (inquiry)Endpoint_clear,
    .tp_dealloc = (destructor)Endpoint_dealloc,
    .tp_methods = Endpoint_methods,
    .tp_members = Endpoint_members,
    .tp_getset = Endpoint_getset,
};

static int intern_name(PyObject **slot, const char *text)
{
    *slot = PyUnicode_InternFromString(text);
    return *slot == NULL ? -1 : 0;
}

int endpoint_add_types(PyObject *module)
{
    if (intern_name(&str_tcp, "tcp") < 0 || intern_name(&str_sport, "sport") < 0
        || intern_name(&str_dport, "dport") < 0 || intern_name(&str_seq, "seq") < 0
        || intern_name(&str_ack, "ack") < 0 || intern_name(&str_offset, "offset") < 0
        || intern_name(&str_flags, "flags") < 0 || intern_name(&str_window, "window") < 0
        || intern_name(&str_datalen, "datalen") < 0 || intern_name(&str_checksum, "checksum") < 0
        || intern_name(&str_urgent, "urgent") < 0 || intern_name(&str_header, "header") < 0
        || intern_name(&str_ip_ver, "ip_ver") < 0 || intern_name(&str_ip_plength, "ip_plength") < 0
        || intern_name(&str_ip_saddr, "ip_saddr") < 0 || intern_name(&str_ip_daddr, "ip_daddr") < 0
        || intern_name(&str_mss, "mss") < 0
        || intern_name(&str_wscale, "wscale") < 0
        || intern_name(&str_sack_permitted, "sack_permitted") < 0
        || intern_name(&str_sack, "sack") < 0)
        return -1;
    if (PyModule_AddType(module, &Firing_Type) < 0
        || PyModule_AddType(module, &Endpoint_Type) < 0)
        return -1;
    return 0;
}
