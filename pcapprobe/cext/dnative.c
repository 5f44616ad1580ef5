/* STUB (being written): NativeProbe, see tcpcore.h. */
#include "tcpcore.h"

PyTypeObject NativeProbe_Type = {PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pcapprobe._fastpath.NativeProbe",
                                 .tp_basicsize = sizeof(PyObject)};

int native_add_types(PyObject *module) { return 0; }

int native_fire(PyObject *probe, const NativeArgs *args)
{
    PyErr_SetString(PyExc_NotImplementedError, "dnative.c is a stub");
    return -1;
}
