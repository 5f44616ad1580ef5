/* STUB (being written): Firing and Endpoint, see tcpcore.h. */
#include "tcpcore.h"

#include <string.h>

PyTypeObject Firing_Type = {PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pcapprobe._fastpath.Firing",
                            .tp_basicsize = sizeof(FiringObject)};
PyTypeObject Endpoint_Type = {PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pcapprobe._fastpath.Endpoint",
                              .tp_basicsize = sizeof(EndpointObject)};

int endpoint_add_types(PyObject *module) { return 0; }

static int not_yet(void)
{
    PyErr_SetString(PyExc_NotImplementedError, "endpoint.c is a stub");
    return -1;
}

EndpointObject *endpoint_new(FiringObject *fire, long long cid, PyObject *laddr, int lport,
                             PyObject *raddr, int rport, int ipv6, int loopback, int midstream)
{
    not_yet();
    return NULL;
}
int endpoint_send(EndpointObject *ep, TcpEvent *ev, int64_t ts) { return not_yet(); }
int endpoint_receive(EndpointObject *ep, TcpEvent *ev, int64_t ts) { return not_yet(); }
int endpoint_expire_time_wait(EndpointObject *ep, int64_t ts) { return not_yet(); }
uint32_t endpoint_snxt(const EndpointObject *ep) { return 0; }
int tcp_parse_options(const uint8_t *header, Py_ssize_t len, TcpOpts *out,
                      const char **weird, char *detail, size_t detail_size)
{
    memset(out, 0, sizeof *out);
    out->wscale = -1;
    return 0;
}
