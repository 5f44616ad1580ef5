/* Frame: one captured link-layer frame (see pcapprobe/capture/frame.py).
 *
 * A C type because every packet the Python layers take becomes one, and the
 * scanner makes one for every record that reaches Python code: here that
 * costs an allocation, not a Python __init__.  A frame the scanner makes
 * carries its bytes as (owner, start, length) and builds the memoryview only
 * when ``data`` is read, which for a consumed record is almost never.
 */
#include "fastpath.h"

#include "structmember.h"

typedef struct {
    PyObject_HEAD
    long long index;
    PyObject *ts_ns;  /* an int: a pcapng time may lie beyond 64 bits of ns */
    int linktype;
    long long wirelen;
    PyObject *data;    /* the memoryview; NULL until read when owner is set */
    PyObject *owner;   /* with start/caplen: where data lies */
    Py_ssize_t start, caplen;
    PyObject *ifname;
    PyObject *source;
} FrameObject;

static PyObject *Frame_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"index", "ts_ns", "linktype", "data", "wirelen", "ifname",
                             "source", NULL};
    long long index, wirelen;
    int linktype;
    PyObject *ts_ns, *data, *ifname, *source;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "LO!iOLOO:Frame", kwlist, &index,
                                     &PyLong_Type, &ts_ns, &linktype, &data, &wirelen, &ifname,
                                     &source))
        return NULL;
    FrameObject *self = (FrameObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->index = index;
    self->ts_ns = Py_NewRef(ts_ns);
    self->linktype = linktype;
    self->wirelen = wirelen;
    self->data = Py_NewRef(data);
    self->ifname = Py_NewRef(ifname);
    self->source = Py_NewRef(source);
    return (PyObject *)self;
}

PyObject *frame_of_record(PyObject *owner, Py_ssize_t start, Py_ssize_t caplen,
                          long long index, int64_t ts_ns, int linktype, long long wirelen,
                          PyObject *ifname, PyObject *source)
{
    PyObject *ts = PyLong_FromLongLong(ts_ns);
    if (ts == NULL)
        return NULL;
    FrameObject *self = PyObject_New(FrameObject, &Frame_Type);
    if (self == NULL) {
        Py_DECREF(ts);
        return NULL;
    }
    self->index = index;
    self->ts_ns = ts;
    self->linktype = linktype;
    self->wirelen = wirelen;
    self->data = NULL;
    self->owner = Py_NewRef(owner);
    self->start = start;
    self->caplen = caplen;
    self->ifname = Py_NewRef(ifname);
    self->source = Py_NewRef(source);
    return (PyObject *)self;
}

static void Frame_dealloc(FrameObject *self)
{
    Py_XDECREF(self->ts_ns);
    Py_XDECREF(self->data);
    Py_XDECREF(self->owner);
    Py_XDECREF(self->ifname);
    Py_XDECREF(self->source);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Frame_get_data(FrameObject *self, void *closure)
{
    if (self->data == NULL) {
        PyObject *view = PyMemoryView_FromObject(self->owner);
        if (view == NULL)
            return NULL;
        self->data = PySequence_GetSlice(view, self->start, self->start + self->caplen);
        Py_DECREF(view);
        if (self->data == NULL)
            return NULL;
    }
    return Py_NewRef(self->data);
}

int frame_bytes(PyObject *frame, const uint8_t **data, Py_ssize_t *len, int *linktype)
{
    if (!PyObject_TypeCheck(frame, &Frame_Type)) {
        PyErr_SetString(PyExc_TypeError, "a Frame is needed");
        return -1;
    }
    FrameObject *self = (FrameObject *)frame;
    PyObject *buf = self->owner != NULL ? self->owner : self->data;
    Py_buffer view;
    if (PyObject_GetBuffer(buf, &view, PyBUF_SIMPLE) < 0)
        return -1;
    Py_ssize_t start = self->owner != NULL ? self->start : 0;
    Py_ssize_t caplen = self->owner != NULL ? self->caplen : view.len;
    *data = (const uint8_t *)view.buf + start;
    *len = caplen;
    *linktype = self->linktype;
    PyBuffer_Release(&view);  /* the frame keeps its buffer alive */
    return 0;
}

static PyObject *Frame_repr(FrameObject *self)
{
    PyObject *data = Frame_get_data(self, NULL);
    if (data == NULL)
        return NULL;
    Py_ssize_t caplen = PyObject_Length(data);
    Py_DECREF(data);
    if (caplen < 0)
        return NULL;
    return PyUnicode_FromFormat("Frame(%S#%lld ts=%S lt=%d caplen=%zd len=%lld)", self->source,
                                self->index, self->ts_ns, self->linktype, caplen, self->wirelen);
}

static PyMemberDef Frame_members[] = {
    {"index", T_LONGLONG, offsetof(FrameObject, index), READONLY,
     "the 1-based packet number within its file (Wireshark's frame.number)"},
    {"ts_ns", T_OBJECT, offsetof(FrameObject, ts_ns), READONLY, "capture time, ns since epoch"},
    {"linktype", T_INT, offsetof(FrameObject, linktype), READONLY, "the LINKTYPE_ value"},
    {"wirelen", T_LONGLONG, offsetof(FrameObject, wirelen), READONLY, "length on the wire"},
    {"ifname", T_OBJECT, offsetof(FrameObject, ifname), READONLY,
     "the pcapng interface name, or None"},
    {"source", T_OBJECT, offsetof(FrameObject, source), READONLY,
     "the file name used in messages"},
    {NULL},
};

static PyGetSetDef Frame_getset[] = {
    {"data", (getter)Frame_get_data, NULL, "the captured bytes (a memoryview)"},
    {NULL},
};

PyTypeObject Frame_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pcapprobe._fastpath.Frame",
    .tp_doc = "Frame(index, ts_ns, linktype, data, wirelen, ifname, source): one captured\n"
              "link-layer frame.",
    .tp_basicsize = sizeof(FrameObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = Frame_new,
    .tp_dealloc = (destructor)Frame_dealloc,
    .tp_repr = (reprfunc)Frame_repr,
    .tp_members = Frame_members,
    .tp_getset = Frame_getset,
};

int frame_add_type(PyObject *module)
{
    if (PyType_Ready(&Frame_Type) < 0)
        return -1;
    return PyModule_AddObjectRef(module, "Frame", (PyObject *)&Frame_Type);
}
