/* STUB (being written): TcpTracker, see tcpcore.h. */
#include "tcpcore.h"

int track_add_types(PyObject *module) { return 0; }
