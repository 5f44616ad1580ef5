/* NFSv4 COMPOUND and CB_COMPOUND (RFC 7530 §16.2, RFC 8881 §16.2): the header,
 * the walk over the operations, and the XDR of what nearly every NFSv4.1
 * COMPOUND carries (the tag, SEQUENCE, PUTFH, READ, WRITE).
 *
 * XDR gives operations no length, so the walk decodes each operation to find
 * the next: with its decoder from the table dissectors/nfs4.py keeps
 * ({opcode: callable(Reader)}).  A decoder made here (an Nfs4Decoder) runs on
 * the message's bytes without a Python call; any other is called with the
 * Reader positioned at its arguments or result.  Both kinds are the only
 * decoders of their operations (nfs4.py's table holds these for the four
 * operations, and nfs4.utf8 is the one here), and this walk is the only one:
 * nfs4.py's decode_compound_* call nfs4_compound.
 *
 * The structs built are the Python named tuples nfs4.py declares, handed over
 * once by nfs4_setup together with the DissectError classes and the limits, so
 * a value or an error from here is the one a Python decoder would give.
 *
 * A message a snap length cut comes as a CutReader (dissectors/_reader.py):
 * here as there, the first field not wholly captured and every one after it
 * read as unknown (0, zero bytes, an empty opaque, NOT_CAPTURED for a name),
 * its bytes and the captured ones after its start are zeroed in the view (so
 * members decoded later from it read as unknown too), the Reader's end and
 * cut are set as CutReader._cut_at sets them, and nothing raises Truncated.
 * The walk stops, with no error, at the first operation whose lead (opcode;
 * a result: opcode and status) was not captured.
 */
#include "fastpath.h"

/* What nfs4_setup hands over: the error classes, the struct types, the limits,
 * CutReader and the utf8string values of an empty and a not captured name. */
static PyObject *DissectError, *Truncated, *Malformed;
enum {
    T_UTF8STRING, T_NFS_FH4, T_STATEID4, T_SEQUENCE4ARGS, T_SEQUENCE4RES, T_PUTFH4ARGS,
    T_PUTFH4RES, T_READ4ARGS, T_READ4RES, T_WRITE4ARGS, T_WRITE4RES, T_COUNT
};
static const char *const type_names[T_COUNT] = {
    "utf8string", "nfs_fh4", "stateid4", "SEQUENCE4args", "SEQUENCE4res", "PUTFH4args",
    "PUTFH4res", "READ4args", "READ4res", "WRITE4args", "WRITE4res",
};
static PyTypeObject *types[T_COUNT];
static Py_ssize_t max_ops, max_data, max_name, fh_size;
static PyObject *zero_sessionid, *empty_bytes; /* bytes(16), b"" */
static PyObject *empty_utf8, *not_captured_utf8; /* nfs4.EMPTY, nfs4.NOT_CAPTURED */
static PyTypeObject *CutReader;
static PyObject *str_view, *str_pos, *str_end, *str_cut; /* the Reader's attributes */

/* A cursor over one message: its bytes, the memoryview they are (data views
 * are slices of it), the next byte's offset and the end (a CutReader's: the
 * captured end).  cut_reader: the Reader is a CutReader; cut: a field past
 * its captured bytes was read (CutReader.cut). */
typedef struct {
    uint8_t *buf;
    PyObject *view;
    Py_ssize_t pos;
    Py_ssize_t end;
    int cut_reader;
    int cut;
} Cursor;

/* What a CutReader's read gives for a field that was not captured. */
static const uint8_t not_captured_field[36];

static PyObject *raise_truncated(Py_ssize_t needed, Py_ssize_t available, const char *what)
{
    PyObject *exc = PyObject_CallFunction(Truncated, "nns", needed, available, what);
    if (exc != NULL) {
        PyErr_SetObject(Truncated, exc);
        Py_DECREF(exc);
    }
    return NULL;
}

static PyObject *raise_malformed(const char *weird, const char *format, ...)
{
    va_list vargs;
    va_start(vargs, format);
    PyObject *reason = PyUnicode_FromFormatV(format, vargs);
    va_end(vargs);
    if (reason == NULL)
        return NULL;
    PyObject *exc = PyObject_CallFunction(Malformed, "Os", reason, weird);
    Py_DECREF(reason);
    if (exc != NULL) {
        PyErr_SetObject(Malformed, exc);
        Py_DECREF(exc);
    }
    return NULL;
}

/* The field at pos was not captured: it and every field after it are
 * unknown (CutReader._cut_at). */
static void cut_at(Cursor *c, Py_ssize_t pos)
{
    if (!c->cut) {
        c->cut = 1;
        if (pos < c->end)
            memset(c->buf + pos, 0, (size_t)(c->end - pos));
        c->end = pos;
    }
    c->pos = c->end;
}

/* The next n bytes (n <= sizeof not_captured_field), the cursor moved past
 * them; zero bytes when a CutReader did not capture them; NULL with Truncated
 * raised when a Reader ends before them. */
static const uint8_t *field(Cursor *c, Py_ssize_t n, const char *what)
{
    if (c->cut || c->pos + n > c->end) {
        if (c->cut_reader) {
            cut_at(c, c->pos);
            return not_captured_field;
        }
        raise_truncated(n, c->end - c->pos, what);
        return NULL;
    }
    const uint8_t *p = c->buf + c->pos;
    c->pos += n;
    return p;
}

static inline uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* An XDR unsigned int (RFC 4506 §4.2), as nfs4.u32. */
static int read_u32(Cursor *c, uint32_t *value)
{
    const uint8_t *p = field(c, 4, "u32");
    if (p == NULL)
        return -1;
    *value = be32(p);
    return 0;
}

/* opaque<limit> (RFC 4506 §4.10), as nfs4.opaque: *start and *size of the
 * bytes.  A CutReader: empty when the length or the bytes were not captured
 * (CutReader.xdr_opaque), whole when only the padding was not. */
static int read_opaque(Cursor *c, Py_ssize_t limit, const char *what, Py_ssize_t *start,
                       Py_ssize_t *size)
{
    const uint8_t *p = field(c, 4, what);
    if (p == NULL)
        return -1;
    uint32_t len = be32(p);
    if (len > limit) {
        c->pos -= 4;
        raise_malformed("xdr.too_long", "%s length %lu exceeds %zd", what,
                        (unsigned long)len, limit);
        return -1;
    }
    Py_ssize_t first = c->pos;
    Py_ssize_t stop = first + len + (-(Py_ssize_t)len & 3);
    *start = first;
    *size = len;
    if (stop > c->end) {
        if (!c->cut_reader) {
            c->pos -= 4;
            raise_truncated(stop - first, c->end - first, what);
            return -1;
        }
        if (first + len > c->end) {
            *size = 0;
            cut_at(c, first);
            *start = c->pos;
        } else {
            cut_at(c, first + len);
        }
        return 0;
    }
    c->pos = stop;
    return 0;
}

/* An instance of the named tuple types[t] from n new references (stolen; NULL
 * in them, from a failed conversion, gives NULL). */
static PyObject *build(int t, Py_ssize_t n, ...)
{
    va_list vargs;
    PyObject *items[8];
    int failed = 0;
    va_start(vargs, n);
    for (Py_ssize_t i = 0; i < n; i++) {
        items[i] = va_arg(vargs, PyObject *);
        failed |= items[i] == NULL;
    }
    va_end(vargs);
    PyObject *tuple = failed ? NULL : types[t]->tp_alloc(types[t], n);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (tuple != NULL)
            PyTuple_SET_ITEM(tuple, i, items[i]);
        else
            Py_XDECREF(items[i]);
    }
    return tuple;
}

static PyObject *u32_obj(const uint8_t *p) { return PyLong_FromUnsignedLong(be32(p)); }
static PyObject *u64_obj(const uint8_t *p) { return PyLong_FromUnsignedLongLong(be64(p)); }
static PyObject *bytes_obj(const uint8_t *p, Py_ssize_t n)
{
    return PyBytes_FromStringAndSize((const char *)p, n);
}

/* stateid4 (RFC 8881 §3.3.12): seqid, other[12]. */
static PyObject *stateid_obj(const uint8_t *p)
{
    return build(T_STATEID4, 2, u32_obj(p), bytes_obj(p + 4, 12));
}

/* utf8string / component4 (RFC 7530 §2.2): utf8string(length, text), the
 * text decoded with surrogateescape (a name that is not UTF-8 keeps its bytes). */
static PyObject *utf8(Cursor *c)
{
    Py_ssize_t start, size;
    if (read_opaque(c, max_name, "utf8string", &start, &size) < 0)
        return NULL;
    if (size == 0) { /* the usual COMPOUND tag, or a name not captured */
        PyObject *empty = c->cut ? not_captured_utf8 : empty_utf8;
        Py_INCREF(empty);
        return empty;
    }
    return build(T_UTF8STRING, 2, PyLong_FromSsize_t(size),
                 PyUnicode_DecodeUTF8((const char *)c->buf + start, size, "surrogateescape"));
}

/* -- the operations ---------------------------------------------------------- */

/* SEQUENCE4args (RFC 8881 §18.46): sessionid, sequenceid, slotid,
 * highest_slotid, cachethis (an XDR bool). */
static PyObject *sequence_args(Cursor *c)
{
    const uint8_t *p = field(c, 32, "SEQUENCE4args");
    if (p == NULL)
        return NULL;
    uint32_t cachethis = be32(p + 28);
    if (cachethis > 1)
        return raise_malformed("xdr.bad_bool", "XDR boolean %lu", (unsigned long)cachethis);
    return build(T_SEQUENCE4ARGS, 5, bytes_obj(p, 16), u32_obj(p + 16), u32_obj(p + 20),
                 u32_obj(p + 24), PyLong_FromUnsignedLong(cachethis));
}

/* SEQUENCE4res: status, then on NFS4_OK sessionid, sequenceid, slotid,
 * highest_slotid, target_highest_slotid, status_flags. */
static PyObject *sequence_res(Cursor *c)
{
    uint32_t status;
    if (read_u32(c, &status) < 0)
        return NULL;
    if (status != 0) {
        Py_INCREF(zero_sessionid);
        return build(T_SEQUENCE4RES, 7, PyLong_FromUnsignedLong(status), zero_sessionid,
                     PyLong_FromLong(0), PyLong_FromLong(0), PyLong_FromLong(0),
                     PyLong_FromLong(0), PyLong_FromLong(0));
    }
    const uint8_t *p = field(c, 36, "SEQUENCE4resok");
    if (p == NULL)
        return NULL;
    return build(T_SEQUENCE4RES, 7, PyLong_FromUnsignedLong(status), bytes_obj(p, 16),
                 u32_obj(p + 16), u32_obj(p + 20), u32_obj(p + 24), u32_obj(p + 28),
                 u32_obj(p + 32));
}

/* PUTFH4args (RFC 7530 §16.20): the handle, nfs_fh4 (opaque<NFS4_FHSIZE>). */
static PyObject *putfh_args(Cursor *c)
{
    Py_ssize_t start, size;
    if (read_opaque(c, fh_size, "nfs_fh4", &start, &size) < 0)
        return NULL;
    return build(T_PUTFH4ARGS, 1, build(T_NFS_FH4, 2, PyLong_FromSsize_t(size),
                                        bytes_obj(c->buf + start, size)));
}

static PyObject *putfh_res(Cursor *c)
{
    uint32_t status;
    if (read_u32(c, &status) < 0)
        return NULL;
    return build(T_PUTFH4RES, 1, PyLong_FromUnsignedLong(status));
}

/* READ4args / WRITE4args' first members (RFC 7530 §16.23, §16.36): stateid,
 * offset, then count (READ) or stable (WRITE). */
static const uint8_t *io_args(Cursor *c)
{
    return field(c, 28, "READ4args / WRITE4args");
}

static PyObject *read_args(Cursor *c)
{
    const uint8_t *p = io_args(c);
    if (p == NULL)
        return NULL;
    return build(T_READ4ARGS, 3, stateid_obj(p), u64_obj(p + 16), u32_obj(p + 24));
}

/* The data of a READ or WRITE: a view of the message (no copy). */
static PyObject *data_view(Cursor *c, const char *what, Py_ssize_t *size)
{
    Py_ssize_t start;
    if (read_opaque(c, max_data, what, &start, size) < 0)
        return NULL;
    return PySequence_GetSlice(c->view, start, start + *size);
}

static PyObject *write_args(Cursor *c)
{
    const uint8_t *p = io_args(c);
    if (p == NULL)
        return NULL;
    Py_ssize_t size;
    PyObject *data = data_view(c, "WRITE4args.data", &size);
    if (data == NULL)
        return NULL;
    return build(T_WRITE4ARGS, 5, stateid_obj(p), u64_obj(p + 16), u32_obj(p + 24),
                 PyLong_FromSsize_t(size), data);
}

/* READ4res: status, then on NFS4_OK eof (an XDR bool) and the data. */
static PyObject *read_res(Cursor *c)
{
    uint32_t status, eof;
    if (read_u32(c, &status) < 0)
        return NULL;
    if (status != 0) {
        Py_INCREF(empty_bytes);
        return build(T_READ4RES, 4, PyLong_FromUnsignedLong(status), PyLong_FromLong(0),
                     PyLong_FromLong(0), empty_bytes);
    }
    if (read_u32(c, &eof) < 0)
        return NULL;
    if (eof > 1)
        return raise_malformed("xdr.bad_bool", "XDR boolean %lu", (unsigned long)eof);
    Py_ssize_t size;
    PyObject *data = data_view(c, "READ4resok.data", &size);
    if (data == NULL)
        return NULL;
    return build(T_READ4RES, 4, PyLong_FromUnsignedLong(status), PyLong_FromUnsignedLong(eof),
                 PyLong_FromSsize_t(size), data);
}

/* WRITE4res: status, then on NFS4_OK count, committed, writeverf. */
static PyObject *write_res(Cursor *c)
{
    uint32_t status;
    if (read_u32(c, &status) < 0)
        return NULL;
    if (status != 0)
        return build(T_WRITE4RES, 4, PyLong_FromUnsignedLong(status), PyLong_FromLong(0),
                     PyLong_FromLong(0), PyLong_FromLong(0));
    const uint8_t *p = field(c, 16, "WRITE4resok");
    if (p == NULL)
        return NULL;
    return build(T_WRITE4RES, 4, PyLong_FromUnsignedLong(status), u32_obj(p), u32_obj(p + 4),
                 u64_obj(p + 8));
}

/* -- Nfs4Decoder: one of the decoders above, callable with a Reader ----------- */

typedef PyObject *(*decode_fn)(Cursor *c);

typedef struct {
    PyObject_HEAD
    decode_fn decode;
} Nfs4DecoderObject;

static PyTypeObject Nfs4Decoder_Type;

/* The Reader's pos, and for a CutReader its end and cut, into the cursor:
 * 0, or -1 with an exception set. */
static int load_position(PyObject *reader, Cursor *c)
{
    PyObject *pos = PyObject_GetAttr(reader, str_pos);
    c->pos = pos == NULL ? -1 : PyLong_AsSsize_t(pos);
    Py_XDECREF(pos);
    if (c->pos < 0 || !c->cut_reader)
        return c->pos < 0 ? -1 : 0;
    PyObject *end = PyObject_GetAttr(reader, str_end);
    PyObject *cut = end == NULL ? NULL : PyObject_GetAttr(reader, str_cut);
    Py_ssize_t end_value = end == NULL ? -1 : PyLong_AsSsize_t(end);
    c->cut = cut == NULL ? -1 : PyObject_IsTrue(cut);
    Py_XDECREF(end);
    Py_XDECREF(cut);
    if (end_value < 0 || c->cut < 0)
        return -1;
    if (end_value < c->end) /* a Python decoder cut it */
        c->end = end_value;
    return 0;
}

/* The cursor's pos, and once a CutReader is cut its end and cut, into the
 * Reader: 0, or -1 with an exception set. */
static int store_position(PyObject *reader, const Cursor *c)
{
    PyObject *value = PyLong_FromSsize_t(c->pos);
    if (value == NULL)
        return -1;
    int rc = PyObject_SetAttr(reader, str_pos, value);
    Py_DECREF(value);
    if (rc < 0 || !c->cut)
        return rc;
    value = PyLong_FromSsize_t(c->end);
    if (value == NULL)
        return -1;
    rc = PyObject_SetAttr(reader, str_end, value);
    Py_DECREF(value);
    return rc < 0 ? -1 : PyObject_SetAttr(reader, str_cut, Py_True);
}

/* The Reader's view as a buffer (a CutReader's writable: cut_at zeroes it),
 * its pos and end: 0, or -1 with an exception set.  The buffer is released
 * by the caller. */
static int open_reader(PyObject *reader, Py_buffer *buffer, Cursor *c)
{
    c->cut_reader = PyObject_TypeCheck(reader, CutReader);
    c->cut = 0;
    PyObject *view = PyObject_GetAttr(reader, str_view);
    if (view == NULL)
        return -1;
    PyObject *end = PyObject_GetAttr(reader, str_end);
    c->end = end == NULL ? -1 : PyLong_AsSsize_t(end);
    Py_XDECREF(end);
    if (c->end < 0 || load_position(reader, c) < 0
        || PyObject_GetBuffer(view, buffer, c->cut_reader ? PyBUF_WRITABLE : PyBUF_SIMPLE) < 0) {
        Py_DECREF(view);
        return -1;
    }
    Py_DECREF(view); /* the Reader keeps it alive */
    c->view = view;
    c->buf = buffer->buf;
    if (c->end > buffer->len)
        c->end = buffer->len;
    return 0;
}

static PyObject *Nfs4Decoder_call(Nfs4DecoderObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *reader;
    if (!PyArg_ParseTuple(args, "O:Nfs4Decoder", &reader))
        return NULL;
    Py_buffer buffer;
    Cursor c;
    if (open_reader(reader, &buffer, &c) < 0)
        return NULL;
    PyObject *value = self->decode(&c);
    PyBuffer_Release(&buffer);
    if (value != NULL && store_position(reader, &c) < 0)
        Py_CLEAR(value);
    return value;
}

static PyTypeObject Nfs4Decoder_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pcapprobe._fastpath.Nfs4Decoder",
    .tp_doc = "The decoder of one NFSv4 operation's arguments or result: called with\n"
              "a Reader at them, returns the struct and moves the Reader past them.",
    .tp_basicsize = sizeof(Nfs4DecoderObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_call = (ternaryfunc)Nfs4Decoder_call,
};

static PyObject *new_decoder(decode_fn decode)
{
    Nfs4DecoderObject *self = PyObject_New(Nfs4DecoderObject, &Nfs4Decoder_Type);
    if (self != NULL)
        self->decode = decode;
    return (PyObject *)self;
}

/* -- the walk -------------------------------------------------------------------- */

/* One operation's decoded value from decoder at c->pos (c->pos moved past it). */
static PyObject *decode_one(PyObject *decoder, PyObject *reader, Cursor *c)
{
    if (Py_IS_TYPE(decoder, &Nfs4Decoder_Type))
        return ((Nfs4DecoderObject *)decoder)->decode(c);
    if (store_position(reader, c) < 0)
        return NULL;
    PyObject *value = PyObject_CallOneArg(decoder, reader);
    if (value == NULL) { /* where it stopped, as after a Python walk's decoder */
        PyObject *type, *exc, *traceback;
        PyErr_Fetch(&type, &exc, &traceback);
        if (load_position(reader, c) < 0) {
            Py_XDECREF(type);
            Py_XDECREF(exc);
            Py_XDECREF(traceback);
        } else {
            PyErr_Restore(type, exc, traceback);
        }
        return NULL;
    }
    if (load_position(reader, c) < 0) {
        Py_DECREF(value);
        return NULL;
    }
    return value;
}

/* The DissectError being raised, taken (a new reference); NULL with any other
 * exception left raised. */
static PyObject *take_dissect_error(void)
{
    if (!PyErr_ExceptionMatches(DissectError))
        return NULL;
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    Py_XDECREF(type);
    Py_XDECREF(traceback);
    return value;
}

/* The operations after a count, until one fails: appended to ops; the error
 * that stopped them (a new reference), Py_None when all are in or a CutReader's
 * captured bytes end before an operation's lead bytes, NULL with an exception
 * other than a DissectError raised. */
static PyObject *walk_ops(PyObject *reader, Cursor *c, uint32_t count, Py_ssize_t lead,
                          PyObject *decoders, PyTypeObject *kind, PyObject *ops)
{
    for (uint32_t i = 0; i < count; i++) {
        if (c->cut_reader && (c->cut || c->pos + lead > c->end))
            break; /* this operation and the ones after it are not known */
        if (c->pos + 4 > c->end) {
            raise_truncated(4, c->end - c->pos, "operation number");
            return take_dissect_error();
        }
        PyObject *opcode = u32_obj(c->buf + c->pos);
        if (opcode == NULL)
            return NULL;
        c->pos += 4;
        PyObject *decoder = PyDict_GetItemWithError(decoders, opcode);
        if (decoder == NULL) {
            Py_DECREF(opcode);
            if (PyErr_Occurred())
                return NULL;
            raise_malformed("nfs4.bad_opcode", "unknown operation %lu",
                            (unsigned long)be32(c->buf + c->pos - 4));
            return take_dissect_error();
        }
        PyObject *value = decode_one(decoder, reader, c);
        if (value == NULL) {
            Py_DECREF(opcode);
            return take_dissect_error();
        }
        PyObject *op = kind->tp_alloc(kind, 2);
        if (op == NULL) {
            Py_DECREF(opcode);
            Py_DECREF(value);
            return NULL;
        }
        PyTuple_SET_ITEM(op, 0, opcode);
        PyTuple_SET_ITEM(op, 1, value);
        int rc = PyList_Append(ops, op);
        Py_DECREF(op);
        if (rc < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

/* nfs4_compound(header, compound, kind, lead, decoders, reader) ->
 * compound(*header fields, count, ops, error) */
static PyObject *nfs4_compound(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6 || !PyUnicode_Check(args[0]) || !PyType_Check(args[1])
        || !PyType_Check(args[2]) || !PyLong_Check(args[3]) || !PyDict_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "nfs4_compound(header: str, compound: type, "
                                         "kind: type, lead: int, decoders: dict, reader)");
        return NULL;
    }
    PyObject *decoders = args[4], *reader = args[5];
    Py_ssize_t lead = PyLong_AsSsize_t(args[3]);
    if (lead < 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "nfs4_compound: a negative lead");
        return NULL;
    }
    PyTypeObject *compound = (PyTypeObject *)args[1], *kind = (PyTypeObject *)args[2];
    if (CutReader == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "nfs4_compound before nfs4_setup");
        return NULL;
    }
    const char *header = PyUnicode_AsUTF8(args[0]);
    if (header == NULL)
        return NULL;
    Py_ssize_t fields = (Py_ssize_t)strlen(header);
    if (fields > 4) {
        PyErr_SetString(PyExc_ValueError, "nfs4_compound: at most 4 header fields");
        return NULL;
    }
    Py_buffer buffer;
    Cursor c;
    if (open_reader(reader, &buffer, &c) < 0)
        return NULL;
    PyObject *items[4 + 3] = {NULL};
    PyObject *result = NULL, *ops = NULL;
    Py_ssize_t n = 0;
    uint32_t value;
    for (; n < fields; n++) { /* the header: 't' a tag (utf8string), 'u' a uint32 */
        if (header[n] == 't')
            items[n] = utf8(&c);
        else if (read_u32(&c, &value) == 0)
            items[n] = PyLong_FromUnsignedLong(value);
        if (items[n] == NULL)
            goto done;
    }
    uint32_t count;
    if (read_u32(&c, &count) < 0 || (ops = PyList_New(0)) == NULL)
        goto done;
    PyObject *error;
    if (count > max_ops) {
        raise_malformed("nfs4.too_many_ops", "%lu operations", (unsigned long)count);
        error = take_dissect_error();
    } else {
        error = walk_ops(reader, &c, count, lead, decoders, kind, ops);
    }
    if (error == NULL)
        goto done;
    items[n++] = PyLong_FromUnsignedLong(count);
    items[n++] = PyList_AsTuple(ops);
    items[n++] = error;
    if (items[n - 3] == NULL || items[n - 2] == NULL || store_position(reader, &c) < 0)
        goto done;
    result = compound->tp_alloc(compound, n);
    if (result != NULL)
        for (Py_ssize_t i = 0; i < n; i++) {
            PyTuple_SET_ITEM(result, i, items[i]);
            items[i] = NULL;
        }
done:
    for (Py_ssize_t i = 0; i < n && i < 7; i++)
        Py_XDECREF(items[i]);
    Py_XDECREF(ops);
    PyBuffer_Release(&buffer);
    return result;
}

/* nfs4_setup(errors, types, limits, cut) -> {name: Nfs4Decoder} */
static PyObject *nfs4_setup(PyObject *module, PyObject *args)
{
    PyObject *dissect_error, *truncated, *malformed, *struct_types, *cut_reader, *empty,
        *not_captured;
    if (!PyArg_ParseTuple(args, "(OOO)O!(nnnn)(O!OO):nfs4_setup", &dissect_error, &truncated,
                          &malformed, &PyDict_Type, &struct_types, &max_ops, &max_data,
                          &max_name, &fh_size, &PyType_Type, &cut_reader, &empty,
                          &not_captured))
        return NULL;
    Py_INCREF(cut_reader);
    Py_XSETREF(CutReader, (PyTypeObject *)cut_reader);
    Py_INCREF(empty);
    Py_XSETREF(empty_utf8, empty);
    Py_INCREF(not_captured);
    Py_XSETREF(not_captured_utf8, not_captured);
    Py_INCREF(dissect_error);
    Py_XSETREF(DissectError, dissect_error);
    Py_INCREF(truncated);
    Py_XSETREF(Truncated, truncated);
    Py_INCREF(malformed);
    Py_XSETREF(Malformed, malformed);
    for (int t = 0; t < T_COUNT; t++) {
        PyObject *type = PyDict_GetItemString(struct_types, type_names[t]);
        if (type == NULL || !PyType_Check(type)
            || !PyType_IsSubtype((PyTypeObject *)type, &PyTuple_Type)) {
            PyErr_Format(PyExc_TypeError, "nfs4_setup: no tuple type %s", type_names[t]);
            return NULL;
        }
        Py_INCREF(type);
        Py_XSETREF(types[t], (PyTypeObject *)type);
    }
    if (zero_sessionid == NULL && (zero_sessionid = PyBytes_FromStringAndSize(NULL, 16)) != NULL)
        memset(PyBytes_AS_STRING(zero_sessionid), 0, 16);
    if (empty_bytes == NULL)
        empty_bytes = PyBytes_FromStringAndSize(NULL, 0);
    if (zero_sessionid == NULL || empty_bytes == NULL)
        return NULL;
    static const struct { const char *name; decode_fn decode; } decoders[] = {
        {"sequence_args", sequence_args}, {"sequence_res", sequence_res},
        {"putfh_args", putfh_args}, {"putfh_res", putfh_res},
        {"read_args", read_args}, {"read_res", read_res},
        {"write_args", write_args}, {"write_res", write_res}, {"utf8", utf8},
    };
    PyObject *table = PyDict_New();
    for (size_t i = 0; table != NULL && i < sizeof decoders / sizeof decoders[0]; i++) {
        PyObject *decoder = new_decoder(decoders[i].decode);
        if (decoder == NULL || PyDict_SetItemString(table, decoders[i].name, decoder) < 0)
            Py_CLEAR(table);
        Py_XDECREF(decoder);
    }
    return table;
}

static PyMethodDef nfs4_functions[] = {
    {"nfs4_setup", nfs4_setup, METH_VARARGS,
     "nfs4_setup((DissectError, Truncated, Malformed), {struct name: type},\n"
     "(max_ops, max_data, max_name, fh_size), (CutReader, EMPTY, NOT_CAPTURED))\n"
     "-> {name: Nfs4Decoder}: the decoders of the hot operations, building\n"
     "dissectors/nfs4.py's structs and raising its errors; a CutReader's members\n"
     "past its captured bytes read as unknown."},
    {"nfs4_compound", (PyCFunction)(void (*)(void))nfs4_compound, METH_FASTCALL,
     "nfs4_compound(header, compound, kind, lead, decoders, reader) -> compound: a\n"
     "COMPOUND or CB_COMPOUND from the Reader's position: its header (header: 't' a\n"
     "tag, 'u' a uint32, in wire order), then the operations, each kind(opcode, value)\n"
     "with the value from decoders[opcode], until the first that fails or, on a\n"
     "CutReader, the first whose lead bytes were not captured; compound(*header,\n"
     "count, ops, error), error the DissectError that stopped them (None: all in or\n"
     "the rest not captured).  Raises the DissectError when the header or the count\n"
     "is cut (a Reader's)."},
    {NULL},
};

int nfs4_add_functions(PyObject *module)
{
    if ((str_view = PyUnicode_InternFromString("view")) == NULL
        || (str_pos = PyUnicode_InternFromString("pos")) == NULL
        || (str_end = PyUnicode_InternFromString("end")) == NULL
        || (str_cut = PyUnicode_InternFromString("cut")) == NULL)
        return -1;
    if (PyType_Ready(&Nfs4Decoder_Type) < 0
        || PyModule_AddObjectRef(module, "Nfs4Decoder", (PyObject *)&Nfs4Decoder_Type) < 0)
        return -1;
    return PyModule_AddFunctions(module, nfs4_functions);
}
