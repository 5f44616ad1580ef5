/* The pcapprobe._fastpath module: its types come from stream.c and scan.c. */
#include "fastpath.h"

static struct PyModuleDef fastpath_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pcapprobe._fastpath",
    .m_doc = "The packet hot path: stream reassembly, PDU framing, pcap record scanning.",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__fastpath(void)
{
    PyObject *module = PyModule_Create(&fastpath_module);
    if (module == NULL)
        return NULL;
    if (stream_add_types(module) < 0 || scan_add_types(module) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
