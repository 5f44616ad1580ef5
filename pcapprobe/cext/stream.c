/* TCP stream reassembly and PDU framing: Budget, Reassembler, StreamFramer.
 *
 * The only implementation of pcapprobe.flows.reassembly and
 * pcapprobe.flows.framing (their module docstrings are the specification).
 * Python drives these types through their methods; the scanner (scan.c) calls
 * reassembler_segment/reassembler_acked directly, and a Reassembler whose sink
 * is a StreamFramer hands it bytes without a Python call.
 *
 * Bytes travel as Spans (owner, off, len): a PDU lying within one segment is
 * handed to the app as memoryview(owner)[off + i : off + j]; PDUs assembled
 * from several segments are framed out of an immutable bytes copy, so an app
 * may keep every view it is given.
 *
 * Every call into Python code (an app's methods, a Python sink) is preceded by
 * before_python() (scan.c).  Calls may re-enter the same objects, so no raw
 * pointer into a framer buffer or into the held array is kept across them.
 */
#include "fastpath.h"
#include <structmember.h>
#include <string.h>

/* Bytes and segments held beyond a hole in one direction before the hole is
 * given up as a gap: enough for a few windows of a 10 GbE flow. */
#define MAX_HELD_BYTES (4LL * 1024 * 1024)
#define MAX_HELD_SEGMENTS 2048
/* All directions of all connections together (a Budget's default limit). */
#define MAX_HELD_TOTAL (256LL * 1024 * 1024)
/* A PDU larger than this is taken as a framing error (a bogus length after a
 * gap), not buffered: it bounds what one direction holds in the framer. */
#define MAX_PDU (16LL * 1024 * 1024)

static PyObject *str_data, *str_gap, *str_pdu_length, *str_on_pdu, *str_on_gap,
    *str_on_close, *str_min_header, *str_resync_length, *str_on_partial;

typedef struct {
    PyObject_HEAD
    Py_ssize_t held;
    Py_ssize_t limit;
    Py_ssize_t refused;  /* segments not held because of this cap (pcapprobe/scale) */
} BudgetObject;

/* One segment held beyond a hole: its stream offset and a bytes copy. */
typedef struct {
    long long off;
    PyObject *data;
} Held;

typedef struct {
    PyObject_HEAD
    PyObject *sink;
    BudgetObject *budget;
    long direction;
    unsigned int base; /* sequence number of stream offset 0 (mod 2**32) */
    long long nxt;     /* stream offset of the next byte to deliver */
    long long fin;     /* stream offset of the FIN, when has_fin */
    int has_fin;
    /* held[head:end], sorted as Python sorts (offset, bytes) tuples */
    Held *held;
    Py_ssize_t head, end, cap;
    long long held_bytes, gaps, gap_bytes;
    long long cut_bytes; /* of gap_bytes: cut from captured segments (snap length) */
} ReassemblerObject;

/* The bytes of one direction not yet handed over as a whole PDU.  They
 * accumulate in a bytes object that Python never sees until it is handed over
 * whole (shrunk to its length): the immutable copy a PDU assembled from
 * several chunks is framed out of, made without copying the bytes again. */
typedef struct {
    PyObject *acc; /* NULL, or a bytes object with room for at least len bytes */
    Py_ssize_t len;
    /* Bytes the current partial PDU needs in total (0: not known yet); lets a
     * big PDU accumulate without re-asking pdu_length per segment. */
    Py_ssize_t need;
    /* The next bytes are the very first of the stream (its SYN was seen). */
    int at_start;
    /* Where the next byte lies in the PDU sequence is not known (a gap
     * swallowed a boundary, or the capture began mid-stream): PDUs are looked
     * for only at segment starts, with the app's strict check. */
    int lost_sync;
    /* The current PDU lost bytes inside its body: acc holds its captured
     * front (len bytes of need), and rest more bytes of it are still to pass,
     * dropped, before it ends and the next PDU starts. */
    int holed;
    Py_ssize_t rest;
    long long ts_ns; /* of the last bytes seen: a PDU that a gap completes */
} Direction;

typedef struct {
    PyObject_HEAD
    PyObject *app;
    Py_ssize_t max_pdu;
    Py_ssize_t delivered; /* PDUs handed over */
    Py_ssize_t skipped;   /* bytes dropped while out of sync */
    Py_ssize_t resyncs;   /* times sync was found again at a segment start */
    Py_ssize_t partial;   /* PDUs delivered with bytes missing (on_partial) */
    char mismatch;        /* the stream does not start with a PDU of the app */
    char has_partial;     /* the app takes on_partial */
    PyObject *resync_name; /* the app's strict check: resync_length, else pdu_length */
    Direction dirs[2];
} FramerObject;

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

/* memoryview(owner)[off : off + len], clamped to the owner's bytes.  The
 * usual 1-D byte buffer is narrowed in place (one allocation per view instead
 * of three: view, slice object, sliced view); the view is fresh, nobody else
 * has seen it. */
static PyObject *span_view(PyObject *owner, Py_ssize_t off, Py_ssize_t len)
{
    if (off < 0)
        off = 0;
    PyObject *view = PyMemoryView_FromObject(owner);
    if (view == NULL)
        return NULL;
    Py_buffer *b = PyMemoryView_GET_BUFFER(view);
    if (b->ndim == 1 && b->itemsize == 1 && b->strides != NULL && b->strides[0] == 1
        && b->suboffsets == NULL && b->shape != NULL) {
        if (off > b->len)
            off = b->len;
        if (len < 0)
            len = 0;
        if (len > b->len - off)
            len = b->len - off;
        b->buf = (char *)b->buf + off;
        b->len = len;
        b->shape[0] = len;
        return view;
    }
    /* Anything else: as Python would slice a byte view of it. */
    PyObject *bytes_view = PyObject_CallMethod(view, "cast", "s", "B");
    Py_DECREF(view);
    if (bytes_view == NULL)
        return NULL;
    if (len < 0)
        len = 0;
    PyObject *sliced = PySequence_GetSlice(bytes_view, off, off + len);
    Py_DECREF(bytes_view);
    return sliced;
}

/* obj.name(*args) after before_python(); a new reference or NULL.  args[0]
 * is obj.  obj is kept alive for the call whatever the callee does. */
static PyObject *call_python(PyObject *name, PyObject *const *args, size_t nargs)
{
    if (before_python() < 0)
        return NULL;
    PyObject *obj = args[0];
    Py_INCREF(obj);
    PyObject *result = PyObject_VectorcallMethod(name, args, nargs, NULL);
    Py_DECREF(obj);
    return result;
}

/* As call_python, the result discarded: 0 or -1. */
static int call_python_void(PyObject *name, PyObject *const *args, size_t nargs)
{
    PyObject *result = call_python(name, args, nargs);
    if (result == NULL)
        return -1;
    Py_DECREF(result);
    return 0;
}

/* obj.name(direction, size) */
static int call_direction_size(PyObject *obj, PyObject *name, long direction, long long size)
{
    PyObject *d = PyLong_FromLong(direction);
    PyObject *n = PyLong_FromLongLong(size);
    int rc = -1;
    if (d != NULL && n != NULL) {
        PyObject *args[3] = {obj, d, n};
        rc = call_python_void(name, args, 3);
    }
    Py_XDECREF(d);
    Py_XDECREF(n);
    return rc;
}

/* obj.name(direction, view, ts_ns); steals nothing. */
static int call_direction_view_ts(PyObject *obj, PyObject *name, long direction,
                                  PyObject *view, long long ts_ns)
{
    PyObject *d = PyLong_FromLong(direction);
    PyObject *ts = PyLong_FromLongLong(ts_ns);
    int rc = -1;
    if (d != NULL && ts != NULL) {
        PyObject *args[4] = {obj, d, view, ts};
        rc = call_python_void(name, args, 4);
    }
    Py_XDECREF(d);
    Py_XDECREF(ts);
    return rc;
}

/* A positional argument of a METH_FASTCALL method as a C integer. */
static int arg_long(PyObject *arg, long *out)
{
    *out = PyLong_AsLong(arg);
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

static int arg_longlong(PyObject *arg, long long *out)
{
    *out = PyLong_AsLongLong(arg);
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

/* A sequence number: any int, taken modulo 2**32. */
static int arg_seq(PyObject *arg, uint32_t *out)
{
    unsigned long long v = PyLong_AsUnsignedLongLongMask(arg);
    if (v == (unsigned long long)-1 && PyErr_Occurred())
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int check_nargs(const char *name, Py_ssize_t nargs, Py_ssize_t expected)
{
    if (nargs == expected)
        return 0;
    PyErr_Format(PyExc_TypeError, "%s() takes exactly %zd positional arguments (%zd given)",
                 name, expected, nargs);
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Budget                                                                    */

static PyObject *Budget_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"limit", NULL};
    Py_ssize_t limit = (Py_ssize_t)MAX_HELD_TOTAL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|n:Budget", kwlist, &limit))
        return NULL;
    BudgetObject *self = (BudgetObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->held = 0;
    self->limit = limit;
    return (PyObject *)self;
}

static PyMemberDef Budget_members[] = {
    {"held", T_PYSSIZET, offsetof(BudgetObject, held), 0,
     "bytes held by every reassembler using this budget"},
    {"limit", T_PYSSIZET, offsetof(BudgetObject, limit), 0, "the cap on held"},
    {"refused", T_PYSSIZET, offsetof(BudgetObject, refused), READONLY,
     "segments a reassembler did not hold because of this cap"},
    {NULL},
};

PyTypeObject Budget_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pcapprobe._fastpath.Budget",
    .tp_doc = "Budget(limit=MAX_HELD_TOTAL)\n\n"
              "Held bytes across every reassembler of a run (the total memory cap).",
    .tp_basicsize = sizeof(BudgetObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_new = Budget_new,
    .tp_members = Budget_members,
};

/* ------------------------------------------------------------------------ */
/* StreamFramer: the C side, called by Reassembler and by the Python methods */

static int framer_check(FramerObject *self)
{
    if (self->app != NULL)
        return 0;
    PyErr_SetString(PyExc_ValueError, "StreamFramer has been cleared");
    return -1;
}

static Direction *framer_dir(FramerObject *self, long direction)
{
    if (direction == 0 || direction == 1)
        return &self->dirs[direction];
    PyErr_Format(PyExc_IndexError, "direction %ld is not 0 or 1", direction);
    return NULL;
}

/* A partial PDU of known length up to this size gets its whole length at
 * once: growing by doubling copied a typical 32 KiB NFS READ reply three
 * times over.  Larger claims grow as bytes arrive (a bogus length must not
 * cost memory). */
#define RESERVE_WHOLE_PDU (256 * 1024)

/* Room for want bytes in st->acc (want > its size).  Growth doubles, but a
 * partial PDU of known length gets no more than it needs, and the chunk that
 * completes it exactly what it brings (the buffer is framed at once). */
static int buf_grow(Direction *st, Py_ssize_t want)
{
    Py_ssize_t cap = st->acc != NULL ? PyBytes_GET_SIZE(st->acc) : 0;
    cap = cap > PY_SSIZE_T_MAX / 2 ? want : cap * 2;
    if (cap < want)
        cap = want;
    if (cap < 256)
        cap = 256;
    if (st->need >= want && st->need <= RESERVE_WHOLE_PDU)
        cap = st->need;
    else if (st->need >= want && cap > st->need)
        cap = st->need;
    else if (st->need > 0 && st->need < want)
        cap = want;
    if (st->acc == NULL) {
        st->acc = PyBytes_FromStringAndSize(NULL, cap);
        return st->acc == NULL ? -1 : 0;
    }
    if (_PyBytes_Resize(&st->acc, cap) < 0) {
        st->len = 0; /* the buffer is gone with the failed resize */
        return -1;
    }
    return 0;
}

static int buf_append(Direction *st, const unsigned char *data, Py_ssize_t n)
{
    if (n <= 0)
        return 0;
    if (n > PY_SSIZE_T_MAX - st->len) {
        PyErr_NoMemory();
        return -1;
    }
    if ((st->acc == NULL || st->len + n > PyBytes_GET_SIZE(st->acc))
        && buf_grow(st, st->len + n) < 0)
        return -1;
    memcpy(PyBytes_AS_STRING(st->acc) + st->len, data, n);
    st->len += n;
    return 0;
}

/* The buffered bytes as a bytes object of their length (a new reference);
 * the buffer is left empty. */
static PyObject *buf_take(Direction *st)
{
    PyObject *whole = st->acc;
    Py_ssize_t len = st->len;
    st->acc = NULL;
    st->len = 0;
    if (whole == NULL)
        return PyBytes_FromStringAndSize(NULL, 0);
    if (PyBytes_GET_SIZE(whole) != len && _PyBytes_Resize(&whole, len) < 0)
        return NULL;
    return whole;
}

static void buf_clear(Direction *st)
{
    st->len = 0;
    Py_CLEAR(st->acc);
}

/* app.min_header, read at each framing as the Python read it. */
static int app_min_header(FramerObject *self, Py_ssize_t *out)
{
    PyObject *value = PyObject_GetAttr(self->app, str_min_header);
    if (value == NULL)
        return -1;
    *out = PyLong_AsSsize_t(value);
    Py_DECREF(value);
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

/* app.pdu_length(memoryview of span[pos:], direction): 1 with *length set
 * when it is a PDU length within (0, limit]; 0 when not (None, out of range,
 * not an int); -1 on an exception. */
static int app_length(FramerObject *self, PyObject *name, long direction, const Span *s,
                      Py_ssize_t pos, Py_ssize_t limit, Py_ssize_t *length)
{
    PyObject *view = span_view(s->owner, s->off + pos, s->len - pos);
    if (view == NULL)
        return -1;
    PyObject *d = PyLong_FromLong(direction);
    if (d == NULL) {
        Py_DECREF(view);
        return -1;
    }
    PyObject *args[3] = {self->app, view, d};
    PyObject *result = call_python(name, args, 3);
    Py_DECREF(view);
    Py_DECREF(d);
    if (result == NULL)
        return -1;
    int valid = 0;
    if (PyLong_Check(result)) {
        int overflow;
        long long n = PyLong_AsLongLongAndOverflow(result, &overflow);
        if (n == -1 && PyErr_Occurred()) {
            Py_DECREF(result);
            return -1;
        }
        if (!overflow && n > 0 && n <= limit) {
            *length = (Py_ssize_t)n;
            valid = 1;
        }
    }
    Py_DECREF(result);
    return valid;
}

static int app_pdu_length(FramerObject *self, long direction, const Span *s, Py_ssize_t pos,
                          Py_ssize_t limit, Py_ssize_t *length)
{
    return app_length(self, str_pdu_length, direction, s, pos, limit, length);
}

static int app_on_gap(FramerObject *self, long direction, long long size)
{
    return call_direction_size(self->app, str_on_gap, direction, size);
}

/* app.on_pdu(pdu, direction, ts_ns) */
static int app_on_pdu(FramerObject *self, PyObject *pdu, long direction, long long ts_ns)
{
    PyObject *d = PyLong_FromLong(direction);
    PyObject *ts = PyLong_FromLongLong(ts_ns);
    int rc = -1;
    if (d != NULL && ts != NULL) {
        PyObject *args[4] = {self->app, pdu, d, ts};
        rc = call_python_void(str_on_pdu, args, 4);
    }
    Py_XDECREF(d);
    Py_XDECREF(ts);
    return rc;
}

/* Bytes dropped while out of sync are reported as a gap. */
static int framer_report_skip(FramerObject *self, long direction, Py_ssize_t size)
{
    self->skipped += size;
    return app_on_gap(self, direction, size);
}

/* Deliver every whole PDU at the front of s; return the bytes used, or -1.
 * Bytes that do not frame where a PDU must start mean the stream is out of
 * sync: the rest of s is dropped and the next segment start is tried. */
static Py_ssize_t framer_frame(FramerObject *self, long direction, const Span *s,
                               long long ts_ns)
{
    Py_ssize_t min_header;
    if (app_min_header(self, &min_header) < 0)
        return -1;
    Py_ssize_t limit = self->max_pdu;
    Py_ssize_t pos = 0, end = s->len;
    Direction *st = &self->dirs[direction];
    while (end - pos >= min_header) {
        Py_ssize_t length;
        int valid = app_pdu_length(self, direction, s, pos, limit, &length);
        if (valid < 0)
            return -1;
        if (!valid) {
            st->lost_sync = 1;
            st->need = 0;
            return framer_report_skip(self, direction, end - pos) < 0 ? -1 : end;
        }
        if (end - pos < length) {
            st->need = length;
            return pos;
        }
        PyObject *pdu = span_view(s->owner, s->off + pos, length);
        if (pdu == NULL)
            return -1;
        pos += length;
        self->delivered++;
        int rc = app_on_pdu(self, pdu, direction, ts_ns);
        Py_DECREF(pdu);
        if (rc < 0)
            return -1;
    }
    st->need = 0;
    return pos;
}

/* Out of sync: whether a PDU starts at the front of s (a segment start), by
 * the app's strict check.  1: in sync again; 0: s is dropped; -1. */
static int framer_resync(FramerObject *self, long direction, const Span *s)
{
    Py_ssize_t min_header, length;
    if (app_min_header(self, &min_header) < 0)
        return -1;
    int valid = 0;
    if (s->len >= min_header) {
        valid = app_length(self, self->resync_name, direction, s, 0, self->max_pdu, &length);
        if (valid < 0)
            return -1;
    }
    if (!valid)
        return framer_report_skip(self, direction, s->len) < 0 ? -1 : 0;
    self->dirs[direction].lost_sync = 0;
    self->resyncs++;
    return 1;
}

/* The holed PDU of direction has ended: its captured front goes to
 * app.on_partial(front, length, direction, ts_ns) (the app decides whether
 * the header is all there).  For an app without on_partial the front is
 * dropped and added to *lost, the bytes its next on_gap reports. */
static int framer_deliver_partial(FramerObject *self, long direction, long long *lost)
{
    Direction *st = &self->dirs[direction];
    Py_ssize_t length = st->need;
    st->holed = 0;
    st->rest = 0;
    st->need = 0;
    if (!self->has_partial) {
        *lost += st->len;
        buf_clear(st);
        return 0;
    }
    PyObject *front = buf_take(st);
    if (front == NULL)
        return -1;
    PyObject *view = span_view(front, 0, PyBytes_GET_SIZE(front));
    Py_DECREF(front);
    PyObject *n = PyLong_FromSsize_t(length);
    PyObject *d = PyLong_FromLong(direction);
    PyObject *ts = PyLong_FromLongLong(st->ts_ns);
    int rc = -1;
    if (view != NULL && n != NULL && d != NULL && ts != NULL) {
        self->partial++;
        PyObject *args[5] = {self->app, view, n, d, ts};
        rc = call_python_void(str_on_partial, args, 5);
    }
    Py_XDECREF(view);
    Py_XDECREF(n);
    Py_XDECREF(d);
    Py_XDECREF(ts);
    return rc;
}

/* Whether the first bytes of a stream can be a PDU (too few to tell: yes). */
static int framer_opens_stream(FramerObject *self, long direction, const Span *s)
{
    Py_ssize_t min_header, length;
    if (app_min_header(self, &min_header) < 0)
        return -1;
    if (s->len < min_header)
        return 1;
    return app_pdu_length(self, direction, s, 0, self->max_pdu, &length);
}

/* Frame what the buffer of direction holds (a partial PDU now complete, or
 * more): from an immutable copy, since the app may keep PDU views. */
static int framer_frame_buffered(FramerObject *self, long direction, long long ts_ns)
{
    Direction *st = &self->dirs[direction];
    PyObject *whole = buf_take(st);
    if (whole == NULL)
        return -1;
    Span s = {whole, (const unsigned char *)PyBytes_AS_STRING(whole), 0,
              PyBytes_GET_SIZE(whole)};
    Py_ssize_t used = framer_frame(self, direction, &s, ts_ns);
    int rc = 0;
    if (used < 0)
        rc = -1;
    else if (used < s.len)
        rc = buf_append(st, s.data + used, s.len - used);
    Py_DECREF(whole);
    return rc;
}

/* In-order stream bytes of direction (0 client->server): one segment, or
 * its part not delivered before. */
static int framer_data(FramerObject *self, long direction, const Span *s, long long ts_ns)
{
    if (framer_check(self) < 0)
        return -1;
    Direction *st = framer_dir(self, direction);
    if (st == NULL)
        return -1;
    st->ts_ns = ts_ns;
    Span rest = *s;
    if (st->holed) {
        /* Bytes of a PDU past its hole: they end it, or pass. */
        Py_ssize_t take = rest.len < st->rest ? rest.len : st->rest;
        st->rest -= take;
        if (st->rest > 0)
            return 0;
        long long dropped = 0;
        if (framer_deliver_partial(self, direction, &dropped) < 0
            || (dropped && app_on_gap(self, direction, dropped) < 0))
            return -1;
        rest.data += take;
        rest.off += take;
        rest.len -= take;
        if (rest.len == 0)
            return 0;
    } else if (st->len) {
        /* A partial PDU is pending: accumulate until it can be whole. */
        if (buf_append(st, s->data, s->len) < 0)
            return -1;
        if (st->len < st->need)
            return 0;
        return framer_frame_buffered(self, direction, ts_ns);
    } else if (st->lost_sync) {
        int found = framer_resync(self, direction, &rest);
        if (found <= 0)
            return found;
    }
    /* Nothing pending: frame straight out of the segment, copy only a tail. */
    if (st->at_start) {
        st->at_start = 0;
        int opens = framer_opens_stream(self, direction, &rest);
        if (opens < 0)
            return -1;
        if (!opens) {
            self->mismatch = 1;
            return 0;
        }
    }
    Py_ssize_t used = framer_frame(self, direction, &rest, ts_ns);
    if (used < 0)
        return -1;
    if (used < rest.len)
        return buf_append(st, rest.data + used, rest.len - used);
    return 0;
}

/* size bytes of direction were never captured.  Wholly inside the body of a
 * PDU whose length is known, they are passed over and the stream stays in
 * sync (the PDU ends holed); otherwise the next PDU boundary is lost. */
static int framer_gap(FramerObject *self, long direction, long long size)
{
    if (framer_check(self) < 0)
        return -1;
    Direction *st = framer_dir(self, direction);
    if (st == NULL)
        return -1;
    if (size <= 0)
        return 0; /* nothing was lost */
    st->at_start = 0;
    long long lost = size;
    if (!st->holed && st->len && st->need > st->len) {
        st->holed = 1;
        st->rest = st->need - st->len;
    }
    if (st->holed) {
        if (size < st->rest) {
            st->rest -= (Py_ssize_t)size;
            return app_on_gap(self, direction, lost);
        }
        int swallowed = size > st->rest;
        if (framer_deliver_partial(self, direction, &lost) < 0)
            return -1;
        if (swallowed)
            st->lost_sync = 1;
        return app_on_gap(self, direction, lost);
    }
    /* At a boundary, or inside a header: the next PDU start is gone. */
    lost += st->len;
    buf_clear(st);
    st->need = 0;
    st->lost_sync = 1;
    return app_on_gap(self, direction, lost);
}

/* End of the connection: incomplete PDUs are dropped, the app closes. */
static int framer_close(FramerObject *self)
{
    if (framer_check(self) < 0)
        return -1;
    for (long direction = 0; direction < 2; direction++) {
        Direction *st = &self->dirs[direction];
        if (st->len) {
            if (app_on_gap(self, direction, st->len) < 0)
                return -1;
            buf_clear(st);
        }
        st->holed = 0;
        st->need = 0;
    }
    PyObject *args[1] = {self->app};
    return call_python_void(str_on_close, args, 1);
}

int framer_mismatch(PyObject *framer)
{
    if (PyObject_TypeCheck(framer, &StreamFramer_Type))
        return ((FramerObject *)framer)->mismatch != 0;
    PyObject *value = PyObject_GetAttrString(framer, "mismatch");
    if (value == NULL)
        return -1;
    int rc = PyObject_IsTrue(value);
    Py_DECREF(value);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* StreamFramer: the Python type                                            */

/* Whether the app has the optional method name: 1, 0, or -1 on an error. */
static int app_has(PyObject *app, PyObject *name)
{
    PyObject *value = PyObject_GetAttr(app, name);
    if (value != NULL) {
        Py_DECREF(value);
        return 1;
    }
    if (!PyErr_ExceptionMatches(PyExc_AttributeError))
        return -1;
    PyErr_Clear();
    return 0;
}

static PyObject *Framer_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"app", "max_pdu", NULL};
    PyObject *app;
    Py_ssize_t max_pdu = (Py_ssize_t)MAX_PDU;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|n:StreamFramer", kwlist, &app, &max_pdu))
        return NULL;
    FramerObject *self = (FramerObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    Py_INCREF(app);
    self->app = app;
    self->max_pdu = max_pdu;
    int has = app_has(app, str_on_partial);
    int strict = has < 0 ? -1 : app_has(app, str_resync_length);
    if (strict < 0) {
        Py_DECREF(self);
        return NULL;
    }
    self->has_partial = (char)has;
    self->resync_name = strict ? str_resync_length : str_pdu_length;
    return (PyObject *)self;
}

static int Framer_traverse(FramerObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->app);
    return 0;
}

static int Framer_clear(FramerObject *self)
{
    Py_CLEAR(self->app);
    return 0;
}

static void Framer_dealloc(FramerObject *self)
{
    PyObject_GC_UnTrack(self);
    Framer_clear(self);
    for (int d = 0; d < 2; d++)
        buf_clear(&self->dirs[d]);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The arguments of data(): a Span over a buffer the caller releases. */
static PyObject *Framer_py_data(FramerObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    long direction;
    long long ts_ns;
    if (check_nargs("data", nargs, 3) < 0 || arg_long(args[0], &direction) < 0
        || arg_longlong(args[2], &ts_ns) < 0)
        return NULL;
    Py_buffer buffer;
    if (PyObject_GetBuffer(args[1], &buffer, PyBUF_SIMPLE) < 0)
        return NULL;
    Span s = {args[1], buffer.buf, 0, buffer.len};
    int rc = framer_data(self, direction, &s, ts_ns);
    PyBuffer_Release(&buffer);
    if (rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *Framer_py_gap(FramerObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    long direction;
    long long size;
    if (check_nargs("gap", nargs, 2) < 0 || arg_long(args[0], &direction) < 0
        || arg_longlong(args[1], &size) < 0 || framer_gap(self, direction, size) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *Framer_py_stream_start(FramerObject *self, PyObject *arg)
{
    long direction;
    if (arg_long(arg, &direction) < 0)
        return NULL;
    Direction *st = framer_dir(self, direction);
    if (st == NULL)
        return NULL;
    st->at_start = 1;
    st->lost_sync = 0;
    Py_RETURN_NONE;
}

static PyObject *Framer_py_joined(FramerObject *self, PyObject *arg)
{
    long direction;
    if (arg_long(arg, &direction) < 0)
        return NULL;
    Direction *st = framer_dir(self, direction);
    if (st == NULL)
        return NULL;
    st->lost_sync = 1;
    Py_RETURN_NONE;
}

static PyObject *Framer_py_close(FramerObject *self, PyObject *unused)
{
    if (framer_close(self) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *Framer_get_buffered(FramerObject *self, void *closure)
{
    return PyLong_FromSsize_t(self->dirs[0].len + self->dirs[1].len);
}

static PyMethodDef Framer_methods[] = {
    {"data", (PyCFunction)(void (*)(void))Framer_py_data, METH_FASTCALL,
     "data(direction, data, ts_ns)\n--\n\nIn-order stream bytes of direction "
     "(0 client->server)."},
    {"gap", (PyCFunction)(void (*)(void))Framer_py_gap, METH_FASTCALL,
     "gap(direction, size)\n--\n\nsize bytes of direction were never captured."},
    {"stream_start", (PyCFunction)Framer_py_stream_start, METH_O,
     "stream_start(direction)\n--\n\nThe next bytes of direction open its stream: a "
     "stream protocol starts with a PDU, so if they do not frame the flow is not the "
     "app's (mismatch; nothing is delivered) instead of being resynchronised segment "
     "after segment."},
    {"joined", (PyCFunction)Framer_py_joined, METH_O,
     "joined(direction)\n--\n\nThe next bytes of direction are not known to start a PDU "
     "(the capture began mid-stream): the first PDU is looked for at segment starts, "
     "with the app's strict check, as after a lost boundary."},
    {"close", (PyCFunction)Framer_py_close, METH_NOARGS,
     "close()\n--\n\nEnd of the connection: incomplete PDUs are dropped (reported as "
     "a gap), the app closes."},
    {NULL},
};

static PyMemberDef Framer_members[] = {
    {"app", T_OBJECT, offsetof(FramerObject, app), READONLY, "the StreamApp"},
    {"max_pdu", T_PYSSIZET, offsetof(FramerObject, max_pdu), 0,
     "a longer PDU is a framing error"},
    {"delivered", T_PYSSIZET, offsetof(FramerObject, delivered), 0, "PDUs handed over"},
    {"skipped", T_PYSSIZET, offsetof(FramerObject, skipped), 0,
     "bytes dropped while out of sync"},
    {"resyncs", T_PYSSIZET, offsetof(FramerObject, resyncs), 0,
     "times sync was found again at a segment start"},
    {"partial", T_PYSSIZET, offsetof(FramerObject, partial), 0,
     "PDUs with bytes missing handed to on_partial"},
    {"mismatch", T_BOOL, offsetof(FramerObject, mismatch), 0,
     "the stream does not start with a PDU: not this app's protocol"},
    {NULL},
};

static PyGetSetDef Framer_getset[] = {
    {"buffered", (getter)Framer_get_buffered, NULL,
     "bytes held for incomplete PDUs (counts against the memory caps)", NULL},
    {NULL},
};

PyTypeObject StreamFramer_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pcapprobe._fastpath.StreamFramer",
    .tp_doc = "StreamFramer(app, max_pdu=MAX_PDU)\n\n"
              "Feeds one connection's in-order bytes, both directions, to one StreamApp.",
    .tp_basicsize = sizeof(FramerObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = Framer_new,
    .tp_dealloc = (destructor)Framer_dealloc,
    .tp_traverse = (traverseproc)Framer_traverse,
    .tp_clear = (inquiry)Framer_clear,
    .tp_methods = Framer_methods,
    .tp_members = Framer_members,
    .tp_getset = Framer_getset,
};

/* ------------------------------------------------------------------------ */
/* Reassembler                                                               */

static int reasm_check(ReassemblerObject *self)
{
    if (self->sink != NULL && self->budget != NULL)
        return 0;
    PyErr_SetString(PyExc_ValueError, "Reassembler has been cleared");
    return -1;
}

/* The stream offset of seq: the one nearest the delivery point (the modulo
 * 2**32 distance taken in [-2**31, 2**31), RFC 9293 §3.4 comparisons). */
static inline long long reasm_unwrap(const ReassemblerObject *self, uint32_t seq)
{
    uint32_t distance = seq - self->base - (uint32_t)self->nxt;
    return self->nxt + (distance < 0x80000000u ? (long long)distance
                                               : (long long)distance - 0x100000000LL);
}

/* sink.data(direction, bytes of s, ts_ns).  A StreamFramer sink is called
 * directly; a Python sink gets `whole` (the payload object as given to
 * segment(), when s is all of it) or a memoryview of s. */
static int reasm_deliver(ReassemblerObject *self, const Span *s, PyObject *whole,
                         long long ts_ns)
{
    PyObject *sink = self->sink;
    int rc;
    Py_INCREF(sink);
    if (Py_IS_TYPE(sink, &StreamFramer_Type)) {
        rc = framer_data((FramerObject *)sink, self->direction, s, ts_ns);
    } else {
        PyObject *view = whole;
        if (view != NULL)
            Py_INCREF(view);
        else
            view = span_view(s->owner, s->off, s->len);
        rc = view == NULL ? -1
                          : call_direction_view_ts(sink, str_data, self->direction, view, ts_ns);
        Py_XDECREF(view);
    }
    Py_DECREF(sink);
    return rc;
}

/* A hole of size bytes at the delivery point is given up. */
static int reasm_gap(ReassemblerObject *self, long long size)
{
    self->nxt += size;
    self->gaps++;
    self->gap_bytes += size;
    PyObject *sink = self->sink;
    int rc;
    Py_INCREF(sink);
    if (Py_IS_TYPE(sink, &StreamFramer_Type))
        rc = framer_gap((FramerObject *)sink, self->direction, size);
    else
        rc = call_direction_size(sink, str_gap, self->direction, size);
    Py_DECREF(sink);
    return rc;
}

/* (off, data) < (h.off, h.data), as Python compares the held tuples. */
static int held_less(long long off, PyObject *data, const Held *h)
{
    if (off != h->off)
        return off < h->off;
    Py_ssize_t a = PyBytes_GET_SIZE(data), b = PyBytes_GET_SIZE(h->data);
    int c = memcmp(PyBytes_AS_STRING(data), PyBytes_AS_STRING(h->data), a < b ? a : b);
    return c < 0 || (c == 0 && a < b);
}

/* Insert after every entry not greater (bisect.insort); takes data's reference. */
static int held_insert(ReassemblerObject *self, long long off, PyObject *data)
{
    Py_ssize_t lo = self->head, hi = self->end;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (held_less(off, data, &self->held[mid]))
            hi = mid;
        else
            lo = mid + 1;
    }
    if (self->end == self->cap) {
        if (self->head > 0) {
            /* Room at the front from popped entries: slide down. */
            Py_ssize_t n = self->end - self->head;
            memmove(self->held, self->held + self->head, n * sizeof(Held));
            lo -= self->head;
            self->head = 0;
            self->end = n;
        } else {
            Py_ssize_t cap = self->cap ? self->cap * 2 : 16;
            Held *held = PyMem_Realloc(self->held, cap * sizeof(Held));
            if (held == NULL) {
                PyErr_NoMemory();
                return -1;
            }
            self->held = held;
            self->cap = cap;
        }
    }
    memmove(self->held + lo + 1, self->held + lo, (self->end - lo) * sizeof(Held));
    self->held[lo].off = off;
    self->held[lo].data = data;
    self->end++;
    return 0;
}

/* Remove and return the first held entry (its reference passes to the caller). */
static Held held_pop(ReassemblerObject *self)
{
    Held h = self->held[self->head++];
    if (self->head == self->end)
        self->head = self->end = 0;
    return h;
}

/* Deliver held segments that now touch the delivery point. */
static int reasm_drain(ReassemblerObject *self, long long ts_ns)
{
    while (self->head < self->end && self->held[self->head].off <= self->nxt) {
        Held h = held_pop(self);
        Py_ssize_t n = PyBytes_GET_SIZE(h.data);
        self->held_bytes -= n;
        self->budget->held -= n;
        int rc = 0;
        if (h.off + n > self->nxt) {
            Py_ssize_t cut = (Py_ssize_t)(self->nxt - h.off);
            self->nxt = h.off + n;
            Span s = {h.data, (const unsigned char *)PyBytes_AS_STRING(h.data) + cut, cut,
                      n - cut};
            rc = reasm_deliver(self, &s, NULL, ts_ns);
        }
        Py_DECREF(h.data);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Report the hole(s) up to target, delivering held data on the way. */
static int reasm_skip_to(ReassemblerObject *self, long long target, long long ts_ns)
{
    while (self->head < self->end && self->held[self->head].off <= target) {
        long long start = self->held[self->head].off;
        if (start > self->nxt && reasm_gap(self, start - self->nxt) < 0)
            return -1;
        if (reasm_drain(self, ts_ns) < 0)
            return -1;
    }
    if (target > self->nxt)
        return reasm_gap(self, target - self->nxt);
    return 0;
}

/* Hold a segment beyond a hole: 1 when held; 0 when holding would exceed a cap,
 * so the hole(s) before it were given up instead (the caller feeds the segment
 * again); -1 on an exception. */
static int reasm_hold(ReassemblerObject *self, long long start, const Span *s, long long ts_ns)
{
    BudgetObject *budget = self->budget;
    Py_ssize_t n = s->len;
    if (budget->held + n > budget->limit)
        budget->refused++;
    if (self->held_bytes + n > MAX_HELD_BYTES || self->end - self->head >= MAX_HELD_SEGMENTS
        || budget->held + n > budget->limit) {
        /* Give the hole up: it will never be filled within our bounds. */
        long long first = self->end > self->head ? self->held[self->head].off : start;
        return reasm_skip_to(self, first < start ? first : start, ts_ns) < 0 ? -1 : 0;
    }
    PyObject *copy = PyBytes_FromStringAndSize((const char *)s->data, n);
    if (copy == NULL)
        return -1;
    if (held_insert(self, start, copy) < 0) {
        Py_DECREF(copy);
        return -1;
    }
    self->held_bytes += n;
    budget->held += n;
    return 1;
}

/* One captured segment of this direction (s may be empty).  whole: the
 * payload object a Python caller gave, or NULL.  wire: the segment's length
 * on the wire; bytes past what was captured (a snap length) are a gap of
 * known size right after the captured ones, not a lost boundary. */
static int reasm_segment(ReassemblerObject *self, uint32_t seq, const Span *s, PyObject *whole,
                         int fin, long long ts_ns, long long wire)
{
    for (;;) {
        long long nxt = self->nxt;
        long long start = reasm_unwrap(self, seq);
        Py_ssize_t n = s->len;
        long long cut = wire > n ? wire - n : 0;
        if (fin && !self->has_fin) {
            self->has_fin = 1;
            self->fin = start + n + cut;
        }
        if (n == 0 && cut == 0)
            return 0;
        if (start > nxt) {
            if (n == 0)
                return 0; /* nothing captured: the peer's ACK tells the hole */
            int held = reasm_hold(self, start, s, ts_ns);
            if (held != 0)
                return held < 0 ? -1 : 0;
            /* The holes before it are gone: the segment again, from its offset
             * (a loop where the Python recursed). */
            seq = (uint32_t)(self->base + (unsigned long long)start);
            fin = 0;
            continue;
        }
        if (start + n + cut <= nxt)
            return 0; /* every byte already delivered */
        int rc = 0;
        if (start + n > nxt) {
            self->nxt = start + n;
            if (start == nxt) {
                /* in order (the usual case): the segment's own bytes */
                rc = reasm_deliver(self, s, whole, ts_ns);
            } else {
                Py_ssize_t skip = (Py_ssize_t)(nxt - start);
                Span tail = {s->owner, s->data + skip, s->off + skip, n - skip};
                rc = reasm_deliver(self, &tail, NULL, ts_ns);
            }
        }
        if (rc == 0 && cut) {
            /* only what this segment cut and no earlier copy delivered */
            long long from = self->nxt > start + n ? self->nxt : start + n;
            long long size = start + n + cut - from;
            if (size > 0) {
                self->cut_bytes += size;
                rc = reasm_gap(self, size);
            }
        }
        if (rc < 0)
            return -1;
        return self->end > self->head ? reasm_drain(self, ts_ns) : 0;
    }
}

/* The peer acknowledged up to ack: bytes before it were sent. */
static int reasm_acked(ReassemblerObject *self, uint32_t ack, long long ts_ns)
{
    long long target = reasm_unwrap(self, ack);
    if (self->has_fin && target > self->fin)
        target = self->fin;
    if (target > self->nxt)
        return reasm_skip_to(self, target, ts_ns);
    return 0;
}

int reassembler_segment(PyObject *reasm, uint32_t seq, const Span *payload, int fin,
                        int64_t ts_ns)
{
    if (!PyObject_TypeCheck(reasm, &Reassembler_Type)) {
        PyErr_SetString(PyExc_TypeError, "reassembler_segment: not a Reassembler");
        return -1;
    }
    ReassemblerObject *self = (ReassemblerObject *)reasm;
    if (reasm_check(self) < 0)
        return -1;
    /* The caller may hold only a borrowed reference (its connection's), which
     * an app's callback could drop. */
    Py_INCREF(reasm);
    int rc = reasm_segment(self, seq, payload, NULL, fin, ts_ns, payload->len);
    Py_DECREF(reasm);
    return rc;
}

int reassembler_acked(PyObject *reasm, uint32_t ack, int64_t ts_ns)
{
    if (!PyObject_TypeCheck(reasm, &Reassembler_Type)) {
        PyErr_SetString(PyExc_TypeError, "reassembler_acked: not a Reassembler");
        return -1;
    }
    ReassemblerObject *self = (ReassemblerObject *)reasm;
    if (reasm_check(self) < 0)
        return -1;
    Py_INCREF(reasm); /* as in reassembler_segment */
    int rc = reasm_acked(self, ack, ts_ns);
    Py_DECREF(reasm);
    return rc;
}

/* --- the Python type --- */

static PyObject *Reassembler_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"sink", "direction", "first_seq", "budget", NULL};
    PyObject *sink, *first_seq, *budget;
    long direction;
    uint32_t base;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OlOO!:Reassembler", kwlist, &sink,
                                     &direction, &first_seq, &Budget_Type, &budget)
        || arg_seq(first_seq, &base) < 0)
        return NULL;
    ReassemblerObject *self = (ReassemblerObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    Py_INCREF(sink);
    self->sink = sink;
    Py_INCREF(budget);
    self->budget = (BudgetObject *)budget;
    self->direction = direction;
    self->base = base;
    return (PyObject *)self;
}

static int Reassembler_traverse(ReassemblerObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->sink);
    Py_VISIT(self->budget);
    return 0;
}

static int Reassembler_clear(ReassemblerObject *self)
{
    Py_CLEAR(self->sink);
    Py_CLEAR(self->budget);
    return 0;
}

static void Reassembler_dealloc(ReassemblerObject *self)
{
    PyObject_GC_UnTrack(self);
    Reassembler_clear(self);
    /* As the Python list of held segments: freed, the budget left as it is. */
    for (Py_ssize_t i = self->head; i < self->end; i++)
        Py_DECREF(self->held[i].data);
    PyMem_Free(self->held);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Reassembler_py_segment(ReassemblerObject *self, PyObject *const *args,
                                        Py_ssize_t nargs)
{
    uint32_t seq;
    long long ts_ns, wire = -1;
    int fin;
    if (nargs != 5 && check_nargs("segment", nargs, 4) < 0)
        return NULL;
    if (arg_seq(args[0], &seq) < 0 || (fin = PyObject_IsTrue(args[2])) < 0
        || arg_longlong(args[3], &ts_ns) < 0 || (nargs == 5 && arg_longlong(args[4], &wire) < 0)
        || reasm_check(self) < 0)
        return NULL;
    Py_buffer buffer;
    if (PyObject_GetBuffer(args[1], &buffer, PyBUF_SIMPLE) < 0)
        return NULL;
    Span s = {args[1], buffer.buf, 0, buffer.len};
    int rc = reasm_segment(self, seq, &s, args[1], fin, ts_ns, wire);
    PyBuffer_Release(&buffer);
    if (rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *Reassembler_py_acked(ReassemblerObject *self, PyObject *const *args,
                                      Py_ssize_t nargs)
{
    uint32_t ack;
    long long ts_ns;
    if (check_nargs("acked", nargs, 2) < 0 || arg_seq(args[0], &ack) < 0
        || arg_longlong(args[1], &ts_ns) < 0 || reasm_check(self) < 0
        || reasm_acked(self, ack, ts_ns) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* End of the connection: whatever is held is delivered after its hole. */
static PyObject *Reassembler_py_close(ReassemblerObject *self, PyObject *arg)
{
    long long ts_ns;
    if (arg_longlong(arg, &ts_ns) < 0 || reasm_check(self) < 0)
        return NULL;
    if (self->end > self->head) {
        const Held *last = &self->held[self->end - 1];
        if (reasm_skip_to(self, last->off + PyBytes_GET_SIZE(last->data), ts_ns) < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *Reassembler_get_fin(ReassemblerObject *self, void *closure)
{
    if (!self->has_fin)
        Py_RETURN_NONE;
    return PyLong_FromLongLong(self->fin);
}

/* held: a list of (offset, bytes), sorted, built on demand. */
static PyObject *Reassembler_get_held(ReassemblerObject *self, void *closure)
{
    PyObject *list = PyList_New(self->end - self->head);
    if (list == NULL)
        return NULL;
    for (Py_ssize_t i = self->head; i < self->end; i++) {
        PyObject *item = Py_BuildValue("(LO)", self->held[i].off, self->held[i].data);
        if (item == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i - self->head, item);
    }
    return list;
}

static PyMethodDef Reassembler_methods[] = {
    {"segment", (PyCFunction)(void (*)(void))Reassembler_py_segment, METH_FASTCALL,
     "segment(seq, payload, fin, ts_ns, wire_len=len(payload))\n--\n\n"
     "One captured segment of this direction (payload: any buffer, may be empty); "
     "wire_len: its data length on the wire, when a snap length cut it."},
    {"acked", (PyCFunction)(void (*)(void))Reassembler_py_acked, METH_FASTCALL,
     "acked(ack, ts_ns)\n--\n\nThe peer acknowledged up to ack: bytes before it were sent."},
    {"close", (PyCFunction)Reassembler_py_close, METH_O,
     "close(ts_ns)\n--\n\nEnd of the connection: whatever is held is delivered after "
     "its hole."},
    {NULL},
};

static PyMemberDef Reassembler_members[] = {
    {"sink", T_OBJECT, offsetof(ReassemblerObject, sink), READONLY,
     "what the bytes are fed to (a StreamFramer, or data()/gap())"},
    {"direction", T_LONG, offsetof(ReassemblerObject, direction), READONLY, NULL},
    {"budget", T_OBJECT, offsetof(ReassemblerObject, budget), READONLY, NULL},
    {"base", T_UINT, offsetof(ReassemblerObject, base), READONLY,
     "sequence number of stream offset 0"},
    {"nxt", T_LONGLONG, offsetof(ReassemblerObject, nxt), READONLY,
     "stream offset of the next byte to deliver"},
    {"held_bytes", T_LONGLONG, offsetof(ReassemblerObject, held_bytes), READONLY, NULL},
    {"gaps", T_LONGLONG, offsetof(ReassemblerObject, gaps), READONLY, NULL},
    {"gap_bytes", T_LONGLONG, offsetof(ReassemblerObject, gap_bytes), READONLY, NULL},
    {"cut_bytes", T_LONGLONG, offsetof(ReassemblerObject, cut_bytes), READONLY,
     "of gap_bytes, those a snap length cut from captured segments"},
    {NULL},
};

static PyGetSetDef Reassembler_getset[] = {
    {"fin", (getter)Reassembler_get_fin, NULL,
     "stream offset of the FIN once seen, else None", NULL},
    {"held", (getter)Reassembler_get_held, NULL,
     "segments held beyond a hole: a new list of (offset, bytes), sorted", NULL},
    {NULL},
};

PyTypeObject Reassembler_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pcapprobe._fastpath.Reassembler",
    .tp_doc = "Reassembler(sink, direction, first_seq, budget)\n\n"
              "Turns the segments of one direction into sink.data/sink.gap calls.",
    .tp_basicsize = sizeof(ReassemblerObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = Reassembler_new,
    .tp_dealloc = (destructor)Reassembler_dealloc,
    .tp_traverse = (traverseproc)Reassembler_traverse,
    .tp_clear = (inquiry)Reassembler_clear,
    .tp_methods = Reassembler_methods,
    .tp_members = Reassembler_members,
    .tp_getset = Reassembler_getset,
};

/* ------------------------------------------------------------------------ */

static int intern(PyObject **slot, const char *name)
{
    if (*slot == NULL)
        *slot = PyUnicode_InternFromString(name);
    return *slot == NULL ? -1 : 0;
}

int stream_add_types(PyObject *module)
{
    if (intern(&str_data, "data") < 0 || intern(&str_gap, "gap") < 0
        || intern(&str_pdu_length, "pdu_length") < 0 || intern(&str_on_pdu, "on_pdu") < 0
        || intern(&str_on_gap, "on_gap") < 0 || intern(&str_on_close, "on_close") < 0
        || intern(&str_min_header, "min_header") < 0
        || intern(&str_resync_length, "resync_length") < 0
        || intern(&str_on_partial, "on_partial") < 0)
        return -1;
    if (PyModule_AddType(module, &Budget_Type) < 0
        || PyModule_AddType(module, &Reassembler_Type) < 0
        || PyModule_AddType(module, &StreamFramer_Type) < 0)
        return -1;
    if (PyModule_AddIntConstant(module, "MAX_HELD_BYTES", MAX_HELD_BYTES) < 0
        || PyModule_AddIntConstant(module, "MAX_HELD_SEGMENTS", MAX_HELD_SEGMENTS) < 0
        || PyModule_AddIntConstant(module, "MAX_HELD_TOTAL", MAX_HELD_TOTAL) < 0
        || PyModule_AddIntConstant(module, "MAX_PDU", MAX_PDU) < 0)
        return -1;
    return 0;
}
