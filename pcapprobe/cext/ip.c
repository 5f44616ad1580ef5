/* The IP layer of the C path: the link and IP header decoder of the records
 * the scanner (scan.c) takes, the address text cache the scanner's consumers
 * share, IpProbes (ip:::send and ip:::receive fired from C) and UdpProbes
 * (udp:::send and udp:::receive, for a run where no datagram application
 * can bind: pcapprobe/flows/udp.py UdpLayer.native).
 *
 * IpProbes holds the run's ip handlers when every enabled one is a
 * NativeProbe (pcapprobe/pipeline.py IpLayer.native); the scanner then fires
 * them for each record it takes, before the record's TCP segment (if any) goes
 * on, as IpLayer fires before it hands a packet up.  The rules of the
 * arguments stay in pcapprobe/probes/translators/ip.py, which hands them over
 * (protocol names, the interface of a record, "<null>", the header pointer
 * base); the members are read in dnative.c.
 */
#include "tcpcore.h"

#include <arpa/inet.h>
#include <string.h>

#define ETH_HEADER_LEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86DD
#define MAX_TAGS 2
#define IPV4_HEADER_MIN 20
#define IPV6_HEADER_LEN 40
#define IP_FRAGMENT_BITS 0x3FFF  /* MF and the fragment offset (RFC 791 §3.1) */

/* ---- decoding ------------------------------------------------------------- */

/* IPv6 next headers dissectors/ipv6.py walks as extension headers (RFC 8200
 * §4): a packet with one goes to Python. */
static int ipv6_extension(int nxt)
{
    return nxt == 0 || nxt == 43 || nxt == 44 || nxt == 51 || nxt == 60 || nxt == 135;
}

static int decode_ipv4(const uint8_t *p, Py_ssize_t caplen, Py_ssize_t off, IpHdr *out)
{
    const uint8_t *ip = p + off;
    Py_ssize_t avail = caplen - off;
    if (avail < IPV4_HEADER_MIN || ip[0] >> 4 != 4)
        return 0;
    Py_ssize_t ihl = (ip[0] & 0xF) * 4;
    Py_ssize_t total = be16(ip + 2);
    if (ihl < IPV4_HEADER_MIN || ihl > avail || (be16(ip + 6) & IP_FRAGMENT_BITS) != 0)
        return 0;
    out->whole = total != 0 && total <= avail;
    if (total == 0)
        total = avail;  /* TSO: the length the NIC fills in (as ipv4.decode) */
    else if (total < ihl)
        return 0;       /* ipv4.bad_total_length */
    out->addr_len = 4;
    out->hdr = ip;
    out->src = ip + 12;
    out->dst = ip + 16;
    out->ip_off = off;
    out->payload_off = off + ihl;
    out->captured = (total <= avail ? total : avail) - ihl;
    out->plength = total - ihl;
    out->proto = ip[9];
    return 1;
}

static int decode_ipv6(const uint8_t *p, Py_ssize_t caplen, Py_ssize_t off, IpHdr *out)
{
    const uint8_t *ip = p + off;
    Py_ssize_t avail = caplen - off;
    if (avail < IPV6_HEADER_LEN || ip[0] >> 4 != 6 || ipv6_extension(ip[6]))
        return 0;
    Py_ssize_t plen = be16(ip + 4);
    out->whole = plen != 0 && IPV6_HEADER_LEN + plen <= avail;
    if (plen == 0)
        plen = avail - IPV6_HEADER_LEN;  /* jumbogram or TSO: trust the capture */
    out->addr_len = 16;
    out->hdr = ip;
    out->src = ip + 8;
    out->dst = ip + 24;
    out->ip_off = off;
    out->payload_off = off + IPV6_HEADER_LEN;
    out->captured = IPV6_HEADER_LEN + plen <= avail ? plen : avail - IPV6_HEADER_LEN;
    out->plength = plen;
    out->proto = ip[6];
    return 1;
}

Py_ssize_t eth_payload(const uint8_t *p, Py_ssize_t caplen, uint16_t *ethertype_out)
{
    Py_ssize_t off = ETH_HEADER_LEN;
    if (caplen < off)
        return -1;
    uint16_t ethertype = be16(p + 12);
    for (int tags = 0; tags < MAX_TAGS
         && (ethertype == 0x8100 || ethertype == 0x88A8 || ethertype == 0x9100); tags++) {
        if (caplen < off + 4)
            return -1;
        ethertype = be16(p + off + 2);
        off += 4;
    }
    *ethertype_out = ethertype;
    return off;
}

int ip_decode(const uint8_t *p, Py_ssize_t caplen, IpHdr *out)
{
    uint16_t ethertype;
    Py_ssize_t off = eth_payload(p, caplen, &ethertype);
    if (off < 0)
        return 0;
    if (ethertype == ETHERTYPE_IPV4)
        return decode_ipv4(p, caplen, off, out);
    if (ethertype == ETHERTYPE_IPV6)
        return decode_ipv6(p, caplen, off, out);
    return 0;
}

/* ---- address text --------------------------------------------------------- */

/* Dotted-quad text of an IPv4 address into out (16 bytes): its length. */
static int format_ipv4(const uint8_t *addr, char *out)
{
    int n = 0;
    for (int i = 0; i < 4; i++) {
        unsigned v = addr[i];
        if (v >= 100)
            out[n++] = (char)('0' + v / 100);
        if (v >= 10)
            out[n++] = (char)('0' + v / 10 % 10);
        out[n++] = (char)('0' + v % 10);
        out[n++] = '.';
    }
    return n - 1;
}

static PyObject *format_addr(const uint8_t *addr, int addr_len)
{
    char text[INET6_ADDRSTRLEN];
    if (addr_len == 4)
        return PyUnicode_FromStringAndSize(text, format_ipv4(addr, text));
    if (inet_ntop(AF_INET6, addr, text, sizeof text) == NULL)
        return PyErr_SetFromErrno(PyExc_OSError);
    return PyUnicode_FromString(text);
}

PyObject *addr_text(AddrCache *cache, const uint8_t *addr, int addr_len)
{
    uint32_t h = 2166136261u;  /* FNV-1a */
    for (int i = 0; i < addr_len; i++)
        h = (h ^ addr[i]) * 16777619u;
    __typeof__(cache->entries[0]) *entry = &cache->entries[(h ^ (h >> 16)) % ADDR_CACHE];
    if (entry->text != NULL && entry->addr_len == addr_len
        && memcmp(entry->addr, addr, addr_len) == 0)
        return Py_NewRef(entry->text);
    PyObject *text = format_addr(addr, addr_len);
    if (text == NULL)
        return NULL;
    Py_XSETREF(entry->text, Py_NewRef(text));
    entry->addr_len = (uint8_t)addr_len;
    memcpy(entry->addr, addr, addr_len);
    return text;
}

void addr_cache_clear(AddrCache *cache)
{
    for (int i = 0; i < ADDR_CACHE; i++)
        Py_CLEAR(cache->entries[i].text);
}

/* ---- IpProbes ------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *send, *receive;  /* NativeProbes, or None */
    int local_all;
    PyObject *local_addrs;     /* frozenset of str */
    PyObject *names;           /* tuple: the name of each protocol number */
    PyObject *interface;       /* interface(name, linktype) -> IfInfo */
    PyObject *null_str;
    uint64_t hdr_base;
    /* the interface of the last record (records of one capture share it) */
    PyObject *last_ifname;     /* strong; NULL: none yet */
    int last_linktype;
    PyObject *if_name;         /* strong */
    int if_local;
    AddrCache cache;
} IpProbesObject;

static PyObject *str_if_name, *str_if_local;

/* The record's ifinfo_t (translators/ip.py IpTranslator.interface). */
static int interface_of(IpProbesObject *self, PyObject *ifname, int linktype)
{
    if (self->last_ifname == ifname && self->last_linktype == linktype)
        return 0;
    PyObject *info = PyObject_CallFunction(self->interface, "Oi", ifname, linktype);
    if (info == NULL)
        return -1;
    PyObject *name = PyObject_GetAttr(info, str_if_name);
    PyObject *local = name == NULL ? NULL : PyObject_GetAttr(info, str_if_local);
    Py_DECREF(info);
    long is_local = local == NULL ? -1 : PyLong_AsLong(local);
    Py_XDECREF(local);
    if (name == NULL || (is_local == -1 && PyErr_Occurred()) || !PyUnicode_Check(name)) {
        if (name != NULL && !PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "if_name must be a str");
        Py_XDECREF(name);
        return -1;
    }
    Py_XSETREF(self->if_name, name);
    self->if_local = (int)is_local;
    Py_XSETREF(self->last_ifname, Py_NewRef(ifname));
    self->last_linktype = linktype;
    return 0;
}

static int is_local(IpProbesObject *self, PyObject *addr)
{
    return self->local_all ? 1 : PySet_Contains(self->local_addrs, addr);
}

int ip_probes_fire(PyObject *probes, const IpHdr *h, int64_t ts, long long index,
                   PyObject *ifname, int linktype)
{
    IpProbesObject *self = (IpProbesObject *)probes;
    PyObject *src = addr_text(&self->cache, h->src, h->addr_len);
    PyObject *dst = src == NULL ? NULL : addr_text(&self->cache, h->dst, h->addr_len);
    int status = -1;
    if (dst == NULL)
        goto done;
    int send = self->send != Py_None ? is_local(self, src) : 0;
    int receive = self->receive != Py_None ? is_local(self, dst) : 0;
    if (send < 0 || receive < 0)
        goto done;
    status = 0;
    if (!send && !receive)
        goto done;
    if ((status = interface_of(self, ifname, linktype)) < 0)
        goto done;
    IpDgram ip = {h->addr_len == 16, h->plength, src, dst};
    IpArgs args = {h, PyTuple_GET_ITEM(self->names, h->proto & 0xFF), self->if_name,
                   self->if_local, (int64_t)(self->hdr_base + ((uint64_t)index << 12)),
                   self->null_str};
    NativeArgs na = {ts, NULL, NULL, -1, &ip, &args, NULL};
    if (send)
        status = native_fire(self->send, &na);
    if (receive && status == 0)
        status = native_fire(self->receive, &na);
done:
    Py_XDECREF(src);
    Py_XDECREF(dst);
    return status;
}

static int native_or_none(PyObject *handler)
{
    return handler == Py_None || Py_IS_TYPE(handler, &NativeProbe_Type);
}

static PyObject *IpProbes_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *send, *receive, *local_addrs, *names, *interface, *null_str;
    int local_all;
    unsigned long long hdr_base;
    static char *kwlist[] = {"send", "receive", "local_all", "local_addrs", "protocol_names",
                             "interface", "null_str", "hdr_base", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOpO!O!OUK:IpProbes", kwlist, &send,
                                     &receive, &local_all, &PyFrozenSet_Type, &local_addrs,
                                     &PyTuple_Type, &names, &interface, &null_str, &hdr_base))
        return NULL;
    if (!native_or_none(send) || !native_or_none(receive)) {
        PyErr_SetString(PyExc_TypeError, "IpProbes: send and receive are NativeProbes or None");
        return NULL;
    }
    if (PyTuple_GET_SIZE(names) != 256) {
        PyErr_SetString(PyExc_ValueError, "IpProbes: one protocol name per number 0..255");
        return NULL;
    }
    IpProbesObject *self = (IpProbesObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->send = Py_NewRef(send);
    self->receive = Py_NewRef(receive);
    self->local_all = local_all;
    self->local_addrs = Py_NewRef(local_addrs);
    self->names = Py_NewRef(names);
    self->interface = Py_NewRef(interface);
    self->null_str = Py_NewRef(null_str);
    self->hdr_base = hdr_base;
    return (PyObject *)self;
}

static int IpProbes_traverse(IpProbesObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->send);
    Py_VISIT(self->receive);
    Py_VISIT(self->interface);
    return 0;
}

static int IpProbes_clear(IpProbesObject *self)
{
    Py_CLEAR(self->send);
    Py_CLEAR(self->receive);
    Py_CLEAR(self->local_addrs);
    Py_CLEAR(self->names);
    Py_CLEAR(self->interface);
    Py_CLEAR(self->null_str);
    Py_CLEAR(self->last_ifname);
    Py_CLEAR(self->if_name);
    addr_cache_clear(&self->cache);
    return 0;
}

static void IpProbes_dealloc(IpProbesObject *self)
{
    PyObject_GC_UnTrack(self);
    IpProbes_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyTypeObject IpProbes_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pcapprobe._fastpath.IpProbes",
    .tp_doc = "IpProbes(send, receive, local_all, local_addrs, protocol_names, interface,\n"
              "null_str, hdr_base): the run's ip:::send and ip:::receive NativeProbes\n"
              "(or None), fired by the scanner for the records it takes.",
    .tp_basicsize = sizeof(IpProbesObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = IpProbes_new,
    .tp_dealloc = (destructor)IpProbes_dealloc,
    .tp_traverse = (traverseproc)IpProbes_traverse,
    .tp_clear = (inquiry)IpProbes_clear,
};

/* ---- UdpProbes ------------------------------------------------------------ */

#define UDP_HEADER_LEN 8

typedef struct {
    PyObject_HEAD
    PyObject *send, *receive;  /* NativeProbes, or None */
    int local_all;
    PyObject *local_addrs;     /* frozenset of str */
    AddrCache cache;
} UdpProbesObject;

int udp_decode(const uint8_t *frame, const IpHdr *h, UdpArgs *out)
{
    const uint8_t *u = frame + h->payload_off;
    /* dissectors/udp.py decode: a header cut short or a length below 8 is
     * reported there */
    if (h->proto != 17 || h->captured < UDP_HEADER_LEN)
        return 0;
    *out = (UdpArgs){be16(u), be16(u + 2), be16(u + 4), be16(u + 6), 0};
    return out->length == 0 || out->length >= UDP_HEADER_LEN;
}

int udp_probes_fire(PyObject *probes, const IpHdr *h, const UdpArgs *header, int64_t ts)
{
    UdpProbesObject *self = (UdpProbesObject *)probes;
    UdpArgs udp = *header;
    PyObject *src = addr_text(&self->cache, h->src, h->addr_len);
    PyObject *dst = src == NULL ? NULL : addr_text(&self->cache, h->dst, h->addr_len);
    int status = -1;
    if (dst == NULL)
        goto done;
    int send = self->send != Py_None ? (self->local_all ? 1 : PySet_Contains(self->local_addrs, src))
                                     : 0;
    int receive = self->receive != Py_None
                      ? (self->local_all ? 1 : PySet_Contains(self->local_addrs, dst)) : 0;
    if (send < 0 || receive < 0)
        goto done;
    IpDgram ip = {h->addr_len == 16, h->plength, src, dst};
    NativeArgs na = {ts, NULL, NULL, -1, &ip, NULL, &udp};
    status = 0;
    if (send)
        status = native_fire(self->send, &na);
    if (receive && status == 0) {
        udp.receive = 1;
        status = native_fire(self->receive, &na);
    }
done:
    Py_XDECREF(src);
    Py_XDECREF(dst);
    return status;
}

static PyObject *UdpProbes_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *send, *receive, *local_addrs;
    int local_all;
    static char *kwlist[] = {"send", "receive", "local_all", "local_addrs", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOpO!:UdpProbes", kwlist, &send, &receive,
                                     &local_all, &PyFrozenSet_Type, &local_addrs))
        return NULL;
    if (!native_or_none(send) || !native_or_none(receive)) {
        PyErr_SetString(PyExc_TypeError, "UdpProbes: send and receive are NativeProbes or None");
        return NULL;
    }
    UdpProbesObject *self = (UdpProbesObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->send = Py_NewRef(send);
    self->receive = Py_NewRef(receive);
    self->local_all = local_all;
    self->local_addrs = Py_NewRef(local_addrs);
    return (PyObject *)self;
}

static int UdpProbes_traverse(UdpProbesObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->send);
    Py_VISIT(self->receive);
    return 0;
}

static int UdpProbes_clear(UdpProbesObject *self)
{
    Py_CLEAR(self->send);
    Py_CLEAR(self->receive);
    Py_CLEAR(self->local_addrs);
    addr_cache_clear(&self->cache);
    return 0;
}

static void UdpProbes_dealloc(UdpProbesObject *self)
{
    PyObject_GC_UnTrack(self);
    UdpProbes_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyTypeObject UdpProbes_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pcapprobe._fastpath.UdpProbes",
    .tp_doc = "UdpProbes(send, receive, local_all, local_addrs): the run's udp:::send and\n"
              "udp:::receive NativeProbes (or None), fired by the scanner for the datagrams\n"
              "of the records it takes.",
    .tp_basicsize = sizeof(UdpProbesObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = UdpProbes_new,
    .tp_dealloc = (destructor)UdpProbes_dealloc,
    .tp_traverse = (traverseproc)UdpProbes_traverse,
    .tp_clear = (inquiry)UdpProbes_clear,
};

int ip_add_types(PyObject *module)
{
    str_if_name = PyUnicode_InternFromString("if_name");
    str_if_local = PyUnicode_InternFromString("if_local");
    if (str_if_name == NULL || str_if_local == NULL || PyType_Ready(&IpProbes_Type) < 0
        || PyType_Ready(&UdpProbes_Type) < 0)
        return -1;
    if (PyModule_AddObjectRef(module, "IpProbes", (PyObject *)&IpProbes_Type) < 0)
        return -1;
    return PyModule_AddObjectRef(module, "UdpProbes", (PyObject *)&UdpProbes_Type);
}
