/* partition.c: partition_of(frame, count), the worker a packet belongs to in a
 * run partitioned by flow (pcapprobe/scale; docs/architecture.md "Scale-out").
 *
 * The key is the packet's canonical host pair: both addresses, the smaller
 * first, CRC-32'd (zlib's crc32, the same in every process, unlike Python's
 * hash).  Every fragment of a datagram has it, and so does every flow that
 * shares protocol state between two hosts.  A frame that is not IP (or not
 * read here) is partition 0's, so each such transport is wholly one worker's.
 *
 * The kind says which clocks the packet runs in a single-process run, which
 * a worker that skips it runs too: 1 a TCP segment the TCP layer takes (a
 * valid IP header and a whole fixed TCP header), 2 a fragment, 3 a fragment
 * of TCP, 0 anything else.
 *
 * Link layers as the dissectors read them: Ethernet with 802.1Q/802.1ad tags
 * and MPLS labels (dissectors/ethernet.py), Linux SLL and SLL2 (sll.py), BSD
 * loopback (null.py), raw IP; IPv6 extension headers as dissectors/ipv6.py
 * walks them. */
#include "fastpath.h"

#include <zlib.h>

#define ETH_HEADER_LEN 14
#define MAX_LINK_TAGS 8
#define MAX_IPV6_EXTENSIONS 16

enum { KIND_OTHER, KIND_TCP, KIND_FRAGMENT, KIND_TCP_FRAGMENT };

/* LINKTYPE_ values (pcapprobe/capture/linktypes.py) */
enum {
    LT_NULL = 0, LT_ETHERNET = 1, LT_RAW_OPENBSD = 12, LT_RAW_BSD = 14, LT_RAW = 101,
    LT_LOOP = 108, LT_SLL = 113, LT_IPV4 = 228, LT_IPV6 = 229, LT_SLL2 = 276,
};

/* MPLS: labels until the bottom of the stack, then IP by its version nibble. */
static Py_ssize_t after_mpls(const uint8_t *p, Py_ssize_t len, Py_ssize_t off)
{
    for (int i = 0; i < 2 * MAX_LINK_TAGS; i++) {
        if (len < off + 4)
            return -1;
        int bottom = p[off + 2] & 1;
        off += 4;
        if (bottom)
            return len > off && (p[off] >> 4 == 4 || p[off] >> 4 == 6) ? off : -1;
    }
    return -1;
}

/* Where the IP header starts, or -1. */
static Py_ssize_t ip_offset(const uint8_t *p, Py_ssize_t len, int linktype)
{
    Py_ssize_t off;
    uint32_t type;
    switch (linktype) {
    case LT_RAW: case LT_RAW_OPENBSD: case LT_RAW_BSD: case LT_IPV4: case LT_IPV6:
        return 0;
    case LT_ETHERNET:
        if (len < ETH_HEADER_LEN)
            return -1;
        type = be16(p + 12);
        off = ETH_HEADER_LEN;
        for (int tags = 0; type == 0x8100 || type == 0x88A8 || type == 0x9100; tags++) {
            if (tags >= MAX_LINK_TAGS || len < off + 4)
                return -1;
            type = be16(p + off + 2);
            off += 4;
        }
        if (type == 0x8847 || type == 0x8848)
            return after_mpls(p, len, off);
        break;
    case LT_SLL:
        if (len < 16)
            return -1;
        type = be16(p + 14);
        off = 16;
        break;
    case LT_SLL2:
        if (len < 20)
            return -1;
        type = be16(p);
        off = 20;
        break;
    case LT_NULL: case LT_LOOP:
        if (len < 4)
            return -1;
        type = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        if (type > 0xFFFF)
            type = be32(p);
        /* AF_INET 2; AF_INET6 24, 28, 30 (the BSDs, macOS) or 10 (Linux) */
        return type == 2 || type == 24 || type == 28 || type == 30 || type == 10 ? 4 : -1;
    default:
        return -1;
    }
    return type == 0x0800 || type == 0x86DD ? off : -1;
}

/* IPv6: the upper-layer protocol after the extension headers, and whether a
 * fragment header (not an atomic one) is among them; -1 when cut short. */
static int ipv6_upper(const uint8_t *ip, Py_ssize_t avail, int *fragment)
{
    Py_ssize_t plen = be16(ip + 4);
    Py_ssize_t end = plen == 0 || 40 + plen > avail ? avail : 40 + plen;
    Py_ssize_t pos = 40;
    int nxt = ip[6];
    *fragment = 0;
    for (int i = 0; i < MAX_IPV6_EXTENSIONS; i++) {
        if (nxt == 0 || nxt == 43 || nxt == 60 || nxt == 135 || nxt == 51) {
            if (end - pos < 2)
                return -1;
            Py_ssize_t size = nxt == 51 ? (ip[pos + 1] + 2) * 4 : (ip[pos + 1] + 1) * 8;
            nxt = ip[pos];
            pos += size;
        } else if (nxt == 44) {
            if (end - pos < 8)
                return -1;
            if (be16(ip + pos + 2) & 0xFFF9)
                *fragment = 1;
            nxt = ip[pos];
            pos += 8;
        } else {
            return pos <= end ? nxt : -1;
        }
    }
    return -1;
}

static PyObject *partition_of(PyObject *unused, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "partition_of(frame, count)");
        return NULL;
    }
    long count = PyLong_AsLong(args[1]);
    if (count <= 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "count must be positive");
        return NULL;
    }
    const uint8_t *p;
    Py_ssize_t len;
    int linktype;
    if (frame_bytes(args[0], &p, &len, &linktype) < 0)
        return NULL;
    long part = 0;
    int kind = KIND_OTHER;
    Py_ssize_t off = ip_offset(p, len, linktype);
    if (off >= 0 && len > off) {
        const uint8_t *ip = p + off, *a = NULL, *b = NULL;
        Py_ssize_t avail = len - off, alen = 0;
        if (ip[0] >> 4 == 4 && avail >= 20) {
            Py_ssize_t ihl = (ip[0] & 0xF) * 4;
            a = ip + 12, b = ip + 16, alen = 4;
            int fragment = (be16(ip + 6) & 0x3FFF) != 0;
            int tcp = ip[9] == 6 && ihl >= 20 && avail >= ihl + 20;
            kind = fragment ? (ip[9] == 6 ? KIND_TCP_FRAGMENT : KIND_FRAGMENT)
                            : (tcp ? KIND_TCP : KIND_OTHER);
        } else if (ip[0] >> 4 == 6 && avail >= 40) {
            int fragment;
            int upper = ipv6_upper(ip, avail, &fragment);
            a = ip + 8, b = ip + 24, alen = 16;
            if (upper >= 0)
                kind = fragment ? (upper == 6 ? KIND_TCP_FRAGMENT : KIND_FRAGMENT)
                                : (upper == 6 ? KIND_TCP : KIND_OTHER);
        }
        if (a != NULL) {
            if (memcmp(a, b, alen) > 0) {
                const uint8_t *t = a;
                a = b;
                b = t;
            }
            uLong crc = crc32(0L, a, (uInt)alen);
            crc = crc32(crc, b, (uInt)alen);
            part = (long)(crc % (uLong)count);
        }
    }
    return Py_BuildValue("(li)", part, kind);
}

static PyMethodDef partition_methods[] = {
    {"partition_of", (PyCFunction)(void (*)(void))partition_of, METH_FASTCALL,
     "partition_of(frame, count) -> (partition, kind): the worker of a packet in a run\n"
     "partitioned by host pair, and the clocks it runs (0 none, 1 TCP, 2 fragment,\n"
     "3 TCP fragment)."},
    {NULL},
};

int partition_add_functions(PyObject *module)
{
    return PyModule_AddFunctions(module, partition_methods);
}
