/* The pcapprobe._fastpath module: its types come from frame.c, stream.c, scan.c,
 * endpoint.c, track.c, dnative.c, bpf.c, ip.c and rdma.c,
 * its functions from fcoe.c, partition.c and nfs4ops.c. */
#include "tcpcore.h"

static struct PyModuleDef fastpath_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pcapprobe._fastpath",
    .m_doc = "The packet hot path: frames, stream reassembly, PDU framing, record scanning.",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__fastpath(void)
{
    PyObject *module = PyModule_Create(&fastpath_module);
    if (module == NULL)
        return NULL;
    if (frame_add_type(module) < 0 || stream_add_types(module) < 0
        || scan_add_types(module) < 0 || endpoint_add_types(module) < 0
        || track_add_types(module) < 0 || native_add_types(module) < 0
        || bpf_add_type(module) < 0 || ip_add_types(module) < 0
        || fcoe_add_functions(module) < 0 || rdma_add_type(module) < 0
        || partition_add_functions(module) < 0 || nfs4_add_functions(module) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
