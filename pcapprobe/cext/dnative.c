/* NativeProbe: the enabled clauses of one probe, compiled by
 * pcapprobe/dlang/passes/native.py into a small tree program run here
 * without calling Python for the common statements (see tcpcore.h).
 *
 * The program has the semantics of the Python code compile.py generates for
 * the same clauses: native.py emits a "wrap" node wherever that code wraps an
 * integer, so values here are 64-bit two's complement patterns of integers
 * already in range for their D type (uint64_t values above INT64_MAX are
 * negative patterns; "cmp" and "shr" nodes carry the signedness).
 *
 * Arguments are read in one of two modes: from the C structs of a tcp firing
 * (native_fire, NativeArgs) or, when called from Python as
 * probe(ts, args, thread), from the Python argument objects by getattr.
 *
 * The program, as native.py hands it over (every node a tuple, op first):
 *   NativeProbe(probe, state, names, clauses, this_slots, quiet)
 *   (quiet: ST.quiet, or None when some clause of the program may change it)
 *   clause: (epid, predicate or None, records, prefix, statements)
 *   statement: ("printf", action, pieces)  piece: str, or
 *                  ("conv", flags, width, precision, conversion, expr)
 *              ("this", action, slot, expr)    ("sthis", action, slot, expr): string this->
 *              ("global", action, name, signed, expr): an integer global variable
 *              ("aset", action, data, key, signed, expr): data[key] of an integer
 *                  associative array (key: (kind, expr)); zero deletes, a new
 *                  element needs names["DYN"].admit()
 *              ("count", action, data, keys, admit)
 *              ("sum", action, data, keys, value, admit)
 *              ("agg", action, update, keys, value, increment)
 *              (keys: tuple of values; value: (kind, expr), kind "i", "u" or "s")
 *   expression: ("int", value) ("str", text) ("member", arg, struct, member, kind)
 *              ("this", slot) ("sthis", slot) ("global", name) ("walltimestamp",) ("timestamp",)
 *              ("aget", data, kind, key): data.get(key, 0) of an integer associative array
 *              ("table", table, key, default): table.get(key, default), a string
 *              ("wrap", size, signed, x) ("neg", x) ("inv", x) ("not", x)
 *              ("add"|"sub"|"mul"|"and"|"or"|"xor"|"shl", a, b)
 *              ("shr"|"div"|"mod", signed, a, b)
 *              ("cmp", op, signed, a, b) ("scmp", op, a, b) ("land", a, b)
 *              ("lor", a, b) ("lxor", a, b) ("cond", c, a, b)
 */
#include "tcpcore.h"

#include <stddef.h>
#include <string.h>

#include "structmember.h"

/* Expression nodes -------------------------------------------------------- */

enum {
    X_INT, X_STR, X_MEMBER, X_THIS, X_WALLTIMESTAMP, X_TIMESTAMP, X_WRAP, X_NEG, X_INV, X_NOT,
    X_ADD, X_SUB, X_MUL, X_DIV, X_MOD, X_AND, X_OR, X_XOR, X_SHL, X_SHR, X_CMP, X_SCMP, X_LAND,
    X_LOR, X_LXOR, X_COND, X_STHIS, X_GLOBAL, X_AGET, X_TABLE
};

static const struct {
    const char *name;
    int op;
    int nargs;  /* tuple items after the op name */
} OPS[] = {
    {"int", X_INT, 1}, {"str", X_STR, 1}, {"member", X_MEMBER, 4}, {"this", X_THIS, 1},
    {"walltimestamp", X_WALLTIMESTAMP, 0}, {"timestamp", X_TIMESTAMP, 0}, {"wrap", X_WRAP, 3},
    {"neg", X_NEG, 1}, {"inv", X_INV, 1}, {"not", X_NOT, 1}, {"add", X_ADD, 2}, {"sub", X_SUB, 2},
    {"mul", X_MUL, 2}, {"div", X_DIV, 3}, {"mod", X_MOD, 3}, {"and", X_AND, 2},
    {"or", X_OR, 2}, {"xor", X_XOR, 2}, {"shl", X_SHL, 2},
    {"shr", X_SHR, 3}, {"cmp", X_CMP, 4}, {"scmp", X_SCMP, 3}, {"land", X_LAND, 2},
    {"lor", X_LOR, 2}, {"lxor", X_LXOR, 2}, {"cond", X_COND, 3}, {"sthis", X_STHIS, 1},
    {"global", X_GLOBAL, 1}, {"aget", X_AGET, 3}, {"table", X_TABLE, 3},
};

enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE };
static const char *const CMP_NAMES[] = {"==", "!=", "<", "<=", ">", ">="};

/* The members a tcp firing supplies from its C structs (tcpcore.h), as
 * translators/tcp.py maps them. */
enum {
    M_CS_ADDR, M_CS_CID, M_CS_PID, M_CS_ZONEID,
    M_IP_VER, M_IP_PLENGTH, M_IP_SADDR, M_IP_DADDR,
    M_TCPS_ADDR, M_TCPS_LOCAL, M_TCPS_ACTIVE, M_TCPS_LPORT, M_TCPS_RPORT, M_TCPS_LADDR,
    M_TCPS_RADDR, M_TCPS_STATE, M_TCPS_ISS, M_TCPS_SUNA, M_TCPS_SNXT, M_TCPS_RACK, M_TCPS_RNXT,
    M_TCPS_SWND, M_TCPS_SND_WS, M_TCPS_RWND, M_TCPS_RCV_WS, M_TCPS_CWND, M_TCPS_CWND_SSTHRESH,
    M_TCPS_SACK_FACK, M_TCPS_SACK_SNXT, M_TCPS_RTO, M_TCPS_MSS, M_TCPS_RETRANSMIT,
    M_TCP_SPORT, M_TCP_DPORT, M_TCP_SEQ, M_TCP_ACK, M_TCP_OFFSET, M_TCP_FLAGS, M_TCP_WINDOW,
    M_TCP_CHECKSUM, M_TCP_URGENT,
    M_LS_STATE,
    M_PKT_ADDR,
    M_IF_NAME, M_IF_LOCAL, M_IF_IPSTACK, M_IF_ADDR,
    M_IPV4_VER, M_IPV4_IHL, M_IPV4_TOS, M_IPV4_LENGTH, M_IPV4_IDENT, M_IPV4_FLAGS,
    M_IPV4_OFFSET, M_IPV4_TTL, M_IPV4_PROTOCOL, M_IPV4_PROTOSTR, M_IPV4_CHECKSUM, M_IPV4_SRC,
    M_IPV4_DST, M_IPV4_SADDR, M_IPV4_DADDR, M_IPV4_HDR,
    M_IPV6_VER, M_IPV6_TCLASS, M_IPV6_FLOW, M_IPV6_PLEN, M_IPV6_NEXTHDR, M_IPV6_NEXTSTR,
    M_IPV6_HLIM, M_IPV6_SADDR, M_IPV6_DADDR, M_IPV6_HDR,
    M_UDPS_ADDR, M_UDPS_LPORT, M_UDPS_RPORT, M_UDPS_LADDR, M_UDPS_RADDR,
    M_UDP_SPORT, M_UDP_DPORT, M_UDP_LENGTH, M_UDP_CHECKSUM
};

static const struct {
    const char *strct, *member;
    int id;
} MEMBERS[] = {
    {"csinfo_t", "cs_addr", M_CS_ADDR}, {"csinfo_t", "cs_cid", M_CS_CID},
    {"csinfo_t", "cs_pid", M_CS_PID}, {"csinfo_t", "cs_zoneid", M_CS_ZONEID},
    {"ipinfo_t", "ip_ver", M_IP_VER}, {"ipinfo_t", "ip_plength", M_IP_PLENGTH},
    {"ipinfo_t", "ip_saddr", M_IP_SADDR}, {"ipinfo_t", "ip_daddr", M_IP_DADDR},
    {"tcpsinfo_t", "tcps_addr", M_TCPS_ADDR}, {"tcpsinfo_t", "tcps_local", M_TCPS_LOCAL},
    {"tcpsinfo_t", "tcps_active", M_TCPS_ACTIVE}, {"tcpsinfo_t", "tcps_lport", M_TCPS_LPORT},
    {"tcpsinfo_t", "tcps_rport", M_TCPS_RPORT}, {"tcpsinfo_t", "tcps_laddr", M_TCPS_LADDR},
    {"tcpsinfo_t", "tcps_raddr", M_TCPS_RADDR}, {"tcpsinfo_t", "tcps_state", M_TCPS_STATE},
    {"tcpsinfo_t", "tcps_iss", M_TCPS_ISS}, {"tcpsinfo_t", "tcps_suna", M_TCPS_SUNA},
    {"tcpsinfo_t", "tcps_snxt", M_TCPS_SNXT}, {"tcpsinfo_t", "tcps_rack", M_TCPS_RACK},
    {"tcpsinfo_t", "tcps_rnxt", M_TCPS_RNXT}, {"tcpsinfo_t", "tcps_swnd", M_TCPS_SWND},
    {"tcpsinfo_t", "tcps_snd_ws", M_TCPS_SND_WS}, {"tcpsinfo_t", "tcps_rwnd", M_TCPS_RWND},
    {"tcpsinfo_t", "tcps_rcv_ws", M_TCPS_RCV_WS}, {"tcpsinfo_t", "tcps_cwnd", M_TCPS_CWND},
    {"tcpsinfo_t", "tcps_cwnd_ssthresh", M_TCPS_CWND_SSTHRESH},
    {"tcpsinfo_t", "tcps_sack_fack", M_TCPS_SACK_FACK},
    {"tcpsinfo_t", "tcps_sack_snxt", M_TCPS_SACK_SNXT}, {"tcpsinfo_t", "tcps_rto", M_TCPS_RTO},
    {"tcpsinfo_t", "tcps_mss", M_TCPS_MSS}, {"tcpsinfo_t", "tcps_retransmit", M_TCPS_RETRANSMIT},
    {"tcpinfo_t", "tcp_sport", M_TCP_SPORT}, {"tcpinfo_t", "tcp_dport", M_TCP_DPORT},
    {"tcpinfo_t", "tcp_seq", M_TCP_SEQ}, {"tcpinfo_t", "tcp_ack", M_TCP_ACK},
    {"tcpinfo_t", "tcp_offset", M_TCP_OFFSET}, {"tcpinfo_t", "tcp_flags", M_TCP_FLAGS},
    {"tcpinfo_t", "tcp_window", M_TCP_WINDOW}, {"tcpinfo_t", "tcp_checksum", M_TCP_CHECKSUM},
    {"tcpinfo_t", "tcp_urgent", M_TCP_URGENT},
    {"tcplsinfo_t", "tcps_state", M_LS_STATE},
    {"pktinfo_t", "pkt_addr", M_PKT_ADDR},
    {"ifinfo_t", "if_name", M_IF_NAME}, {"ifinfo_t", "if_local", M_IF_LOCAL},
    {"ifinfo_t", "if_ipstack", M_IF_IPSTACK}, {"ifinfo_t", "if_addr", M_IF_ADDR},
    {"ipv4info_t", "ipv4_ver", M_IPV4_VER}, {"ipv4info_t", "ipv4_ihl", M_IPV4_IHL},
    {"ipv4info_t", "ipv4_tos", M_IPV4_TOS}, {"ipv4info_t", "ipv4_length", M_IPV4_LENGTH},
    {"ipv4info_t", "ipv4_ident", M_IPV4_IDENT}, {"ipv4info_t", "ipv4_flags", M_IPV4_FLAGS},
    {"ipv4info_t", "ipv4_offset", M_IPV4_OFFSET}, {"ipv4info_t", "ipv4_ttl", M_IPV4_TTL},
    {"ipv4info_t", "ipv4_protocol", M_IPV4_PROTOCOL},
    {"ipv4info_t", "ipv4_protostr", M_IPV4_PROTOSTR},
    {"ipv4info_t", "ipv4_checksum", M_IPV4_CHECKSUM}, {"ipv4info_t", "ipv4_src", M_IPV4_SRC},
    {"ipv4info_t", "ipv4_dst", M_IPV4_DST}, {"ipv4info_t", "ipv4_saddr", M_IPV4_SADDR},
    {"ipv4info_t", "ipv4_daddr", M_IPV4_DADDR}, {"ipv4info_t", "ipv4_hdr", M_IPV4_HDR},
    {"ipv6info_t", "ipv6_ver", M_IPV6_VER}, {"ipv6info_t", "ipv6_tclass", M_IPV6_TCLASS},
    {"ipv6info_t", "ipv6_flow", M_IPV6_FLOW}, {"ipv6info_t", "ipv6_plen", M_IPV6_PLEN},
    {"ipv6info_t", "ipv6_nexthdr", M_IPV6_NEXTHDR},
    {"ipv6info_t", "ipv6_nextstr", M_IPV6_NEXTSTR}, {"ipv6info_t", "ipv6_hlim", M_IPV6_HLIM},
    {"ipv6info_t", "ipv6_saddr", M_IPV6_SADDR}, {"ipv6info_t", "ipv6_daddr", M_IPV6_DADDR},
    {"ipv6info_t", "ipv6_hdr", M_IPV6_HDR},
    {"udpsinfo_t", "udps_addr", M_UDPS_ADDR}, {"udpsinfo_t", "udps_lport", M_UDPS_LPORT},
    {"udpsinfo_t", "udps_rport", M_UDPS_RPORT}, {"udpsinfo_t", "udps_laddr", M_UDPS_LADDR},
    {"udpsinfo_t", "udps_raddr", M_UDPS_RADDR},
    {"udpinfo_t", "udp_sport", M_UDP_SPORT}, {"udpinfo_t", "udp_dport", M_UDP_DPORT},
    {"udpinfo_t", "udp_length", M_UDP_LENGTH}, {"udpinfo_t", "udp_checksum", M_UDP_CHECKSUM},
};

/* Whether a member is a string (its value a str object). */
static int string_member(int member)
{
    switch (member) {
    case M_IP_SADDR: case M_IP_DADDR: case M_TCPS_LADDR: case M_TCPS_RADDR: case M_IF_NAME:
    case M_IPV4_PROTOSTR: case M_IPV4_SADDR: case M_IPV4_DADDR: case M_IPV6_NEXTSTR:
    case M_IPV6_SADDR: case M_IPV6_DADDR: case M_UDPS_LADDR: case M_UDPS_RADDR:
        return 1;
    }
    return 0;
}

typedef struct {
    int op;
    int a, b, c;      /* operands: node indices */
    int is_str;       /* the value is a str object, not an integer */
    int flag;         /* wrap, shr, div, mod, cmp: signed; member: unsigned (kind "u") */
    int sub;          /* wrap: size in bytes; member: args index; cmp, scmp: CMP_* */
    int member;       /* M_* */
    int64_t imm;      /* int literal; this slot */
    PyObject *obj;    /* str literal; member name (for getattr) */
} Node;

/* Statements ---------------------------------------------------------------- */

enum { S_PRINTF, S_THIS, S_STHIS, S_GLOBAL, S_ASET, S_COUNT, S_SUM, S_AGG };

/* A printf piece: literal text (conv 0) or one conversion of one value. */
typedef struct {
    char conv;          /* 0: literal; else 's', 'd', 'i', 'u', 'x', 'X' or 'o' */
    int left, zero, plus, space;  /* the flags - 0 + and space */
    int ascii;          /* literal: the text is ASCII */
    int width, prec;    /* %s: in characters; prec -1 when absent */
    int expr;
    PyObject *text;     /* literal: its UTF-8 bytes */
} Piece;

typedef struct {
    int kind;           /* 'i', 'u' or 's': how the value becomes a Python object */
    int expr;
} Value;

typedef struct {
    int op;
    int action;         /* the statement's number, for faults */
    int slot, expr;
    PyObject *target;   /* the aggregation's data dict, or its update function */
    PyObject *admit;    /* count/sum: asked before a new key is stored (AggSpace) */
    Value *keys;
    int nkeys;
    Value value, incr;
    Piece *pieces;
    int npieces;
} Stmt;

typedef struct {
    int epid;
    int predicate;      /* -1: none */
    int records;        /* prints the record prefix and the closing newline unless quiet */
    PyObject *prefix;
    Stmt *stmts;
    int nstmts;
} Clause;

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *probe, *state, *names;
    PyObject *keep;     /* every object the program refers to (a list) */
    Node *nodes;
    int nnodes, cap;
    Clause *clauses;
    int nclauses;
    int nthis;
    int quiet;          /* ST.quiet when no clause of the program can change it; else -1 */
    int prints;         /* some clause writes output itself (printf, a record's newline) */
} NativeProbeObject;

static PyObject *one;  /* count()'s increment */
static PyObject *str_W, *str_T0, *str_FAULTS, *str_quiet, *str_empty, *str_DIV, *str_MOD, *str_G,
    *str_DYN, *str_admit, *str_live;

/* Construction: the tuples native.py makes -> nodes ----------------------- */

static int bad_program(const char *what)
{
    PyErr_Format(PyExc_ValueError, "NativeProbe: bad program: %s", what);
    return -1;
}

static int keep(NativeProbeObject *np, PyObject *obj)
{
    return PyList_Append(np->keep, obj);
}

static int add_node(NativeProbeObject *np)
{
    if (np->nnodes == np->cap) {
        int cap = np->cap ? np->cap * 2 : 32;
        Node *nodes = PyMem_Realloc(np->nodes, cap * sizeof(Node));
        if (nodes == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        np->nodes = nodes;
        np->cap = cap;
    }
    memset(&np->nodes[np->nnodes], 0, sizeof(Node));
    return np->nnodes++;
}

static int item_int(PyObject *tuple, Py_ssize_t i, int *out)
{
    long v = PyLong_AsLong(PyTuple_GET_ITEM(tuple, i));
    if (v == -1 && PyErr_Occurred())
        return -1;
    *out = (int)v;
    return 0;
}

static int item_str(PyObject *tuple, Py_ssize_t i, const char **out)
{
    *out = PyUnicode_AsUTF8(PyTuple_GET_ITEM(tuple, i));
    return *out == NULL ? -1 : 0;
}

static int cmp_op(PyObject *tuple, Py_ssize_t i, int *out)
{
    const char *name;
    if (item_str(tuple, i, &name) < 0)
        return -1;
    for (int k = 0; k < (int)(sizeof CMP_NAMES / sizeof *CMP_NAMES); k++)
        if (strcmp(name, CMP_NAMES[k]) == 0) {
            *out = k;
            return 0;
        }
    return bad_program("comparison");
}

static int build_expr(NativeProbeObject *np, PyObject *t);

/* The operands from position ``first`` on: a, b, c. */
static int build_operands(NativeProbeObject *np, PyObject *t, Py_ssize_t first, int n, int index)
{
    int children[3];
    for (int k = 0; k < n; k++) {
        children[k] = build_expr(np, PyTuple_GET_ITEM(t, first + k));
        if (children[k] < 0)
            return -1;
    }
    Node *node = &np->nodes[index];
    node->a = n > 0 ? children[0] : -1;
    node->b = n > 1 ? children[1] : -1;
    node->c = n > 2 ? children[2] : -1;
    return 0;
}

static int build_member(NativeProbeObject *np, PyObject *t, Node *node)
{
    const char *strct, *member, *kind;
    if (item_int(t, 1, &node->sub) < 0 || item_str(t, 2, &strct) < 0
        || item_str(t, 3, &member) < 0 || item_str(t, 4, &kind) < 0)
        return -1;
    node->member = -1;
    for (size_t k = 0; k < sizeof MEMBERS / sizeof *MEMBERS; k++)
        if (strcmp(strct, MEMBERS[k].strct) == 0 && strcmp(member, MEMBERS[k].member) == 0)
            node->member = MEMBERS[k].id;
    if (node->member < 0)
        return bad_program("member without a native reader");
    if (node->sub < 0)
        return bad_program("args index");
    node->is_str = kind[0] == 's';
    if (node->is_str != string_member(node->member))
        return bad_program("member of the wrong kind");
    node->flag = kind[0] == 'u';
    node->obj = PyUnicode_FromString(member);
    if (node->obj == NULL)
        return -1;
    PyUnicode_InternInPlace(&node->obj);
    int rc = keep(np, node->obj);
    Py_DECREF(node->obj);  /* np->keep holds it */
    return rc;
}

static int build_int(NativeProbeObject *np, PyObject *t, int index)
{
    /* the value's 64-bit pattern: uint64_t values above INT64_MAX wrap */
    unsigned long long v = PyLong_AsUnsignedLongLongMask(PyTuple_GET_ITEM(t, 1));
    if (v == (unsigned long long)-1 && PyErr_Occurred())
        return -1;
    np->nodes[index].imm = (int64_t)v;
    return 0;
}

static int build_str(NativeProbeObject *np, PyObject *t, int index)
{
    if (!PyUnicode_Check(PyTuple_GET_ITEM(t, 1)))
        return bad_program("string literal");
    np->nodes[index].obj = PyTuple_GET_ITEM(t, 1);
    np->nodes[index].is_str = 1;
    return keep(np, np->nodes[index].obj);
}

static int build_this(NativeProbeObject *np, PyObject *t, int index)
{
    int slot;
    if (item_int(t, 1, &slot) < 0)
        return -1;
    if (slot < 0 || slot >= np->nthis)
        return bad_program("this-> slot");
    np->nodes[index].imm = slot;
    return 0;
}

/* The node's fields are set after its operands are built: building them
 * may move np->nodes. */
/* ("global", name): the variable's name, interned (the key of names["G"]). */
static int build_global(NativeProbeObject *np, PyObject *t, int index)
{
    PyObject *name = PyTuple_GET_ITEM(t, 1);
    if (!PyUnicode_CheckExact(name))
        return bad_program("global name");
    Py_INCREF(name);
    PyUnicode_InternInPlace(&name);
    np->nodes[index].obj = name;
    int rc = keep(np, name);
    Py_DECREF(name);
    return rc;
}

/* ("aget", data, kind, key): the array's dict, the key's kind and expression. */
static int build_aget(NativeProbeObject *np, PyObject *t, int index)
{
    const char *kind;
    if (!PyDict_Check(PyTuple_GET_ITEM(t, 1)) || item_str(t, 2, &kind) < 0)
        return PyErr_Occurred() ? -1 : bad_program("array data");
    if (build_operands(np, t, 3, 1, index) < 0)
        return -1;
    Node *node = &np->nodes[index];
    node->obj = PyTuple_GET_ITEM(t, 1);
    node->flag = kind[0];
    if ((kind[0] == 's') != np->nodes[node->a].is_str)
        return bad_program("array key of the wrong kind");
    return keep(np, node->obj);
}

/* ("table", table, key, default): a dict of int -> str, an integer key, a string. */
static int build_table(NativeProbeObject *np, PyObject *t, int index)
{
    if (!PyDict_Check(PyTuple_GET_ITEM(t, 1)))
        return bad_program("table");
    if (build_operands(np, t, 2, 2, index) < 0)
        return -1;
    Node *node = &np->nodes[index];
    node->obj = PyTuple_GET_ITEM(t, 1);
    node->is_str = 1;
    if (np->nodes[node->a].is_str || !np->nodes[node->b].is_str)
        return bad_program("table key or default");
    return keep(np, node->obj);
}

static int build_wrap(NativeProbeObject *np, PyObject *t, int index)
{
    int size, is_signed;
    if (item_int(t, 1, &size) < 0 || item_int(t, 2, &is_signed) < 0)
        return -1;
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return bad_program("wrap size");
    if (build_operands(np, t, 3, 1, index) < 0)
        return -1;
    np->nodes[index].sub = size;
    np->nodes[index].flag = is_signed;
    return 0;
}

/* shr, div, mod: signedness, then two operands. */
static int build_signed_binary(NativeProbeObject *np, PyObject *t, int index)
{
    int is_signed;
    if (item_int(t, 1, &is_signed) < 0)
        return -1;
    if (build_operands(np, t, 2, 2, index) < 0)
        return -1;
    np->nodes[index].flag = is_signed;
    return 0;
}

static int build_int_compare(NativeProbeObject *np, PyObject *t, int index)
{
    int cmp, is_signed;
    if (cmp_op(t, 1, &cmp) < 0 || item_int(t, 2, &is_signed) < 0)
        return -1;
    if (build_operands(np, t, 3, 2, index) < 0)
        return -1;
    np->nodes[index].sub = cmp;
    np->nodes[index].flag = is_signed;
    return 0;
}

static int build_str_compare(NativeProbeObject *np, PyObject *t, int index)
{
    int cmp;
    if (cmp_op(t, 1, &cmp) < 0)
        return -1;
    if (build_operands(np, t, 2, 2, index) < 0)
        return -1;
    np->nodes[index].sub = cmp;
    return 0;
}

static int build_ternary(NativeProbeObject *np, PyObject *t, int index)
{
    if (build_operands(np, t, 1, 3, index) < 0)
        return -1;
    Node *node = &np->nodes[index];
    node->is_str = np->nodes[node->b].is_str;
    if (np->nodes[node->c].is_str != node->is_str)
        return bad_program("ternary arms of different kinds");
    return 0;
}

/* The expression tuple's op (X_*) and its item count after the name; -1
 * with an exception set when it is not one. */
static int expr_op(PyObject *t, int *nargs)
{
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) < 1 || !PyUnicode_Check(PyTuple_GET_ITEM(t, 0)))
        return bad_program("expression");
    const char *name = PyUnicode_AsUTF8(PyTuple_GET_ITEM(t, 0));
    if (name == NULL)
        return -1;
    for (size_t k = 0; k < sizeof OPS / sizeof *OPS; k++)
        if (strcmp(name, OPS[k].name) == 0 && PyTuple_GET_SIZE(t) == 1 + OPS[k].nargs) {
            *nargs = OPS[k].nargs;
            return OPS[k].op;
        }
    return bad_program(name);
}

/* One expression tuple -> a node index, or -1. */
static int build_expr(NativeProbeObject *np, PyObject *t)
{
    int nargs;
    int op = expr_op(t, &nargs);
    if (op < 0)
        return -1;
    int index = add_node(np);
    if (index < 0)
        return -1;
    np->nodes[index].op = op;
    int rc;
    switch (op) {
    case X_INT:
        rc = build_int(np, t, index);
        break;
    case X_STR:
        rc = build_str(np, t, index);
        break;
    case X_MEMBER:
        rc = build_member(np, t, &np->nodes[index]);
        break;
    case X_THIS:
    case X_STHIS:
        rc = build_this(np, t, index);
        np->nodes[index].is_str = op == X_STHIS;
        break;
    case X_GLOBAL:
        rc = build_global(np, t, index);
        break;
    case X_AGET:
        rc = build_aget(np, t, index);
        break;
    case X_TABLE:
        rc = build_table(np, t, index);
        break;
    case X_WRAP:
        rc = build_wrap(np, t, index);
        break;
    case X_SHR:
    case X_DIV:
    case X_MOD:
        rc = build_signed_binary(np, t, index);
        break;
    case X_CMP:
        rc = build_int_compare(np, t, index);
        break;
    case X_SCMP:
        rc = build_str_compare(np, t, index);
        break;
    case X_COND:
        rc = build_ternary(np, t, index);
        break;
    case X_WALLTIMESTAMP:
    case X_TIMESTAMP:
        rc = 0;
        break;
    default:
        rc = build_operands(np, t, 1, nargs, index);
    }
    return rc < 0 ? -1 : index;
}

static int build_value(NativeProbeObject *np, PyObject *t, Value *out)
{
    const char *kind;
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 2)
        return bad_program("value");
    if (item_str(t, 0, &kind) < 0)
        return -1;
    out->kind = kind[0];
    out->expr = build_expr(np, PyTuple_GET_ITEM(t, 1));
    if (out->expr < 0)
        return -1;
    if ((out->kind == 's') != np->nodes[out->expr].is_str)
        return bad_program("value kind");
    return 0;
}

static int build_keys(NativeProbeObject *np, PyObject *keys, Stmt *s)
{
    if (!PyTuple_Check(keys))
        return bad_program("keys");
    s->nkeys = (int)PyTuple_GET_SIZE(keys);
    s->keys = PyMem_Calloc(s->nkeys ? s->nkeys : 1, sizeof(Value));
    if (s->keys == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (int k = 0; k < s->nkeys; k++)
        if (build_value(np, PyTuple_GET_ITEM(keys, k), &s->keys[k]) < 0)
            return -1;
    return 0;
}

/* A conversion piece: ("conv", flags, width, precision, conversion, expr). */
static int build_conversion(NativeProbeObject *np, PyObject *t, Piece *p)
{
    const char *flags, *conv;
    int width, prec;
    if (PyTuple_GET_SIZE(t) != 6 || item_str(t, 1, &flags) < 0 || item_int(t, 2, &width) < 0
        || item_int(t, 3, &prec) < 0 || item_str(t, 4, &conv) < 0)
        return bad_program("conversion");
    if (strlen(flags) > 8 || strspn(flags, "-0+ ") != strlen(flags) || strlen(conv) != 1
        || !strchr("sdiuxXo", conv[0]) || width < 0)
        return bad_program("conversion");
    p->expr = build_expr(np, PyTuple_GET_ITEM(t, 5));
    if (p->expr < 0)
        return -1;
    p->conv = conv[0];
    if ((p->conv == 's') != np->nodes[p->expr].is_str)
        return bad_program("conversion of the wrong kind");
    p->left = strchr(flags, '-') != NULL;
    p->zero = strchr(flags, '0') != NULL;
    p->plus = strchr(flags, '+') != NULL;
    p->space = strchr(flags, ' ') != NULL;
    p->width = width;
    p->prec = prec;
    return 0;
}

static int build_printf(NativeProbeObject *np, PyObject *pieces, Stmt *s)
{
    if (!PyTuple_Check(pieces))
        return bad_program("printf");
    s->npieces = (int)PyTuple_GET_SIZE(pieces);
    s->pieces = PyMem_Calloc(s->npieces ? s->npieces : 1, sizeof(Piece));
    if (s->pieces == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (int k = 0; k < s->npieces; k++) {
        PyObject *piece = PyTuple_GET_ITEM(pieces, k);
        Piece *p = &s->pieces[k];
        if (PyUnicode_Check(piece)) {
            /* kept as UTF-8 bytes */
            p->text = PyUnicode_AsEncodedString(piece, "utf-8", "surrogateescape");
            if (p->text == NULL)
                return -1;
            p->ascii = PyUnicode_IS_ASCII(piece);
            int rc = keep(np, p->text);
            Py_DECREF(p->text);
            if (rc < 0)
                return -1;
        }
        else if (!PyTuple_Check(piece) || build_conversion(np, piece, p) < 0)
            return PyErr_Occurred() ? -1 : bad_program("printf piece");
    }
    return 0;
}

static int build_stmt(NativeProbeObject *np, PyObject *t, Stmt *s)
{
    const char *name;
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) < 3)
        return bad_program("statement");
    if (item_str(t, 0, &name) < 0 || item_int(t, 1, &s->action) < 0)
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(t);
    if (strcmp(name, "printf") == 0 && n == 3) {
        s->op = S_PRINTF;
        return build_printf(np, PyTuple_GET_ITEM(t, 2), s);
    }
    int is_this = strcmp(name, "this") == 0, is_sthis = strcmp(name, "sthis") == 0;
    if ((is_this || is_sthis) && n == 4) {
        s->op = is_this ? S_THIS : S_STHIS;
        if (item_int(t, 2, &s->slot) < 0)
            return -1;
        if (s->slot < 0 || s->slot >= np->nthis)
            return bad_program("this-> slot");
        s->expr = build_expr(np, PyTuple_GET_ITEM(t, 3));
        if (s->expr < 0)
            return -1;
        return np->nodes[s->expr].is_str != is_sthis ? bad_program("this-> of the wrong kind") : 0;
    }
    if (strcmp(name, "global") == 0 && n == 5) {
        /* slot: the variable's type is signed */
        s->op = S_GLOBAL;
        s->target = PyTuple_GET_ITEM(t, 2);
        if (!PyUnicode_CheckExact(s->target) || item_int(t, 3, &s->slot) < 0)
            return PyErr_Occurred() ? -1 : bad_program("global name");
        Py_INCREF(s->target);
        PyUnicode_InternInPlace(&s->target);
        int rc = keep(np, s->target);
        Py_DECREF(s->target);
        if (rc < 0 || (s->expr = build_expr(np, PyTuple_GET_ITEM(t, 4))) < 0)
            return -1;
        return np->nodes[s->expr].is_str ? bad_program("string global") : 0;
    }
    if (strcmp(name, "aset") == 0 && n == 6) {
        s->op = S_ASET;
        s->target = PyTuple_GET_ITEM(t, 2);
        if (!PyDict_Check(s->target) || keep(np, s->target) < 0)
            return PyErr_Occurred() ? -1 : bad_program("array data");
        s->nkeys = 1;
        s->keys = PyMem_Calloc(1, sizeof(Value));
        if (s->keys == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        if (build_value(np, PyTuple_GET_ITEM(t, 3), &s->keys[0]) < 0
            || item_int(t, 4, &s->slot) < 0
            || (s->expr = build_expr(np, PyTuple_GET_ITEM(t, 5))) < 0)
            return -1;
        return np->nodes[s->expr].is_str ? bad_program("string array element") : 0;
    }
    int agg = strcmp(name, "count") == 0 && n == 5 ? S_COUNT
            : strcmp(name, "sum") == 0 && n == 6   ? S_SUM
            : strcmp(name, "agg") == 0 && n == 6   ? S_AGG
                                                   : -1;
    if (agg < 0)
        return bad_program(name);
    s->op = agg;
    s->target = PyTuple_GET_ITEM(t, 2);
    if (agg != S_AGG && !PyDict_Check(s->target))
        return bad_program("aggregation data");
    if (agg != S_AGG) {
        s->admit = PyTuple_GET_ITEM(t, n - 1);  /* the last item */
        if (!PyCallable_Check(s->admit) || keep(np, s->admit) < 0)
            return PyErr_Occurred() ? -1 : bad_program("aggregation admit");
    }
    if (keep(np, s->target) < 0 || build_keys(np, PyTuple_GET_ITEM(t, 3), s) < 0)
        return -1;
    if (agg != S_COUNT && build_value(np, PyTuple_GET_ITEM(t, 4), &s->value) < 0)
        return -1;
    if (agg == S_AGG && build_value(np, PyTuple_GET_ITEM(t, 5), &s->incr) < 0)
        return -1;
    return 0;
}

static int build_clause(NativeProbeObject *np, PyObject *t, Clause *c)
{
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 5)
        return bad_program("clause");
    if (item_int(t, 0, &c->epid) < 0 || item_int(t, 2, &c->records) < 0)
        return -1;
    PyObject *predicate = PyTuple_GET_ITEM(t, 1);
    c->predicate = predicate == Py_None ? -1 : build_expr(np, predicate);
    if (predicate != Py_None && c->predicate < 0)
        return -1;
    c->prefix = PyTuple_GET_ITEM(t, 3);
    PyObject *stmts = PyTuple_GET_ITEM(t, 4);
    if (!PyUnicode_Check(c->prefix) || !PyTuple_Check(stmts))
        return bad_program("clause");
    if (keep(np, c->prefix) < 0)
        return -1;
    c->nstmts = (int)PyTuple_GET_SIZE(stmts);
    c->stmts = PyMem_Calloc(c->nstmts ? c->nstmts : 1, sizeof(Stmt));
    if (c->stmts == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (int k = 0; k < c->nstmts; k++) {
        if (build_stmt(np, PyTuple_GET_ITEM(stmts, k), &c->stmts[k]) < 0)
            return -1;
        np->prints |= c->stmts[k].op == S_PRINTF;
    }
    np->prints |= c->records;
    return 0;
}

static void free_program(NativeProbeObject *np)
{
    for (int i = 0; np->clauses != NULL && i < np->nclauses; i++) {
        Clause *c = &np->clauses[i];
        for (int k = 0; c->stmts != NULL && k < c->nstmts; k++) {
            PyMem_Free(c->stmts[k].keys);
            PyMem_Free(c->stmts[k].pieces);
        }
        PyMem_Free(c->stmts);
    }
    PyMem_Free(np->clauses);
    np->clauses = NULL;
    np->nclauses = 0;
    PyMem_Free(np->nodes);
    np->nodes = NULL;
    np->nnodes = np->cap = 0;
}

static PyObject *NativeProbe_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf,
                                        PyObject *kwnames);

static PyObject *NativeProbe_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"probe", "state", "names", "clauses", "this_slots", "quiet", NULL};
    PyObject *probe, *state, *names, *clauses, *quiet;
    int nthis;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO!O!iO:NativeProbe", kwlist, &probe, &state,
                                     &PyDict_Type, &names, &PyTuple_Type, &clauses, &nthis,
                                     &quiet))
        return NULL;
    if (nthis < 0 || nthis > 4096) {
        PyErr_SetString(PyExc_ValueError, "NativeProbe: this_slots out of range");
        return NULL;
    }
    NativeProbeObject *np = (NativeProbeObject *)type->tp_alloc(type, 0);
    if (np == NULL)
        return NULL;
    np->vectorcall = NativeProbe_vectorcall;
    np->probe = Py_NewRef(probe);
    np->state = Py_NewRef(state);
    np->names = Py_NewRef(names);
    np->nthis = nthis;
    np->quiet = quiet == Py_None ? -1 : PyObject_IsTrue(quiet);
    if (PyErr_Occurred())
        goto fail;
    np->keep = PyList_New(0);
    if (np->keep == NULL)
        goto fail;
    np->nclauses = (int)PyTuple_GET_SIZE(clauses);
    np->clauses = PyMem_Calloc(np->nclauses ? np->nclauses : 1, sizeof(Clause));
    if (np->clauses == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (int i = 0; i < np->nclauses; i++)
        if (build_clause(np, PyTuple_GET_ITEM(clauses, i), &np->clauses[i]) < 0)
            goto fail;
    return (PyObject *)np;
fail:
    Py_DECREF(np);
    return NULL;
}

static int NativeProbe_traverse(NativeProbeObject *np, visitproc visit, void *arg)
{
    Py_VISIT(np->probe);
    Py_VISIT(np->state);
    Py_VISIT(np->names);
    Py_VISIT(np->keep);
    return 0;
}

static int NativeProbe_clear(NativeProbeObject *np)
{
    /* the program's borrowed pointers die with the objects keep holds */
    free_program(np);
    Py_CLEAR(np->probe);
    Py_CLEAR(np->state);
    Py_CLEAR(np->names);
    Py_CLEAR(np->keep);
    return 0;
}

static void NativeProbe_dealloc(NativeProbeObject *np)
{
    PyObject_GC_UnTrack(np);
    NativeProbe_clear(np);
    Py_TYPE(np)->tp_free((PyObject *)np);
}

/* Running: the output buffer ---------------------------------------------- */

/* UTF-8 output of one firing, written to the engine's writer in one piece. */
typedef struct {
    char *p;
    size_t n, cap;
    int ascii;
    char inline_[1024];
} Buf;

static void buf_init(Buf *b)
{
    b->p = b->inline_;
    b->n = 0;
    b->cap = sizeof b->inline_;
    b->ascii = 1;
}

static void buf_free(Buf *b)
{
    if (b->p != b->inline_)
        PyMem_Free(b->p);
}

static int buf_grow(Buf *b, size_t more)
{
    size_t cap = b->cap * 2;
    while (cap < b->n + more)
        cap *= 2;
    char *p = b->p == b->inline_ ? PyMem_Malloc(cap) : PyMem_Realloc(b->p, cap);
    if (p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (b->p == b->inline_)
        memcpy(p, b->inline_, b->n);
    b->p = p;
    b->cap = cap;
    return 0;
}

static inline int buf_reserve(Buf *b, size_t more)
{
    return b->n + more <= b->cap ? 0 : buf_grow(b, more);
}

/* Output pieces are short: byte loops beat calls to memcpy and memset. */
static inline int buf_put(Buf *b, const char *s, size_t n, int ascii)
{
    if (buf_reserve(b, n) < 0)
        return -1;
    char *out = b->p + b->n;
    for (size_t i = 0; i < n; i++)
        out[i] = s[i];
    b->n += n;
    b->ascii &= ascii;
    return 0;
}

static inline int buf_pad(Buf *b, Py_ssize_t n)
{
    if (n <= 0)
        return 0;
    if (buf_reserve(b, n) < 0)
        return -1;
    char *out = b->p + b->n;
    for (Py_ssize_t i = 0; i < n; i++)
        out[i] = ' ';
    b->n += n;
    return 0;
}

/* A str's UTF-8 bytes (a surrogateescape'd wire byte as that byte, as the
 * output str decodes it back and the output stream writes it) and its
 * length in characters.  *hold: a bytes object to
 * release after use, or NULL. */
static int str_utf8(PyObject *s, const char **data, Py_ssize_t *nbytes, Py_ssize_t *nchars,
                    int *ascii, PyObject **hold)
{
    *hold = NULL;
    *nchars = PyUnicode_GET_LENGTH(s);
    if (PyUnicode_IS_ASCII(s)) {
        *data = (const char *)PyUnicode_1BYTE_DATA(s);
        *nbytes = *nchars;
        *ascii = 1;
        return 0;
    }
    *hold = PyUnicode_AsEncodedString(s, "utf-8", "surrogateescape");
    if (*hold == NULL)
        return -1;
    *data = PyBytes_AS_STRING(*hold);
    *nbytes = PyBytes_GET_SIZE(*hold);
    *ascii = 0;
    return 0;
}

/* The bytes of the first n characters of UTF-8 text. */
static Py_ssize_t utf8_prefix(const char *data, Py_ssize_t nbytes, Py_ssize_t n)
{
    Py_ssize_t i = 0;
    for (; i < nbytes; i++)
        if (((unsigned char)data[i] & 0xC0) != 0x80 && n-- == 0)
            break;
    return i;
}

/* Python's "%-W.Ps" % s: width and precision count characters. */
static int buf_string(Buf *b, const Piece *p, PyObject *s)
{
    const char *data;
    Py_ssize_t nbytes, nchars;
    int ascii;
    PyObject *hold;
    if (str_utf8(s, &data, &nbytes, &nchars, &ascii, &hold) < 0)
        return -1;
    if (p->prec >= 0 && nchars > p->prec) {
        nbytes = ascii ? p->prec : utf8_prefix(data, nbytes, p->prec);
        nchars = p->prec;
    }
    Py_ssize_t pad = p->width - nchars;
    int rc = (p->left ? 0 : buf_pad(b, pad)) < 0 || buf_put(b, data, nbytes, ascii) < 0
          || (p->left ? buf_pad(b, pad) : 0) < 0;
    Py_XDECREF(hold);
    return rc ? -1 : 0;
}

/* Python's (and C's) "%<flags><width>.<prec>d" (or i, u, x, X, o) of one
 * integer, the precision being at least 1 when absent. */
static int buf_integer(Buf *b, const Piece *p, int64_t v)
{
    char digits[24];  /* 22 octal digits at most */
    int n = 0;
    int is_signed = p->conv == 'd' || p->conv == 'i';
    uint64_t magnitude = is_signed && v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    if (p->conv == 'x' || p->conv == 'X') {
        const char *symbols = p->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
        do {
            digits[n++] = symbols[magnitude & 15];
            magnitude >>= 4;
        } while (magnitude != 0);
    }
    else if (p->conv == 'o') {
        do {
            digits[n++] = (char)('0' + (magnitude & 7));
            magnitude >>= 3;
        } while (magnitude != 0);
    }
    else {
        do {
            digits[n++] = (char)('0' + magnitude % 10);
            magnitude /= 10;
        } while (magnitude != 0);
    }
    char sign = !is_signed ? 0 : v < 0 ? '-' : p->plus ? '+' : p->space ? ' ' : 0;
    Py_ssize_t zeros = p->prec > n ? p->prec - n : 0;
    Py_ssize_t len = (sign != 0) + zeros + n;
    if (p->zero && !p->left && p->prec < 0 && p->width > len) {
        zeros += p->width - len;
        len = p->width;
    }
    Py_ssize_t pad = p->width > len ? p->width - len : 0;
    if (buf_reserve(b, len + pad) < 0)
        return -1;
    char *out = b->p + b->n;
    for (Py_ssize_t i = 0; !p->left && i < pad; i++)
        *out++ = ' ';
    if (sign != 0)
        *out++ = sign;
    for (Py_ssize_t i = 0; i < zeros; i++)
        *out++ = '0';
    while (n > 0)
        *out++ = digits[--n];
    for (Py_ssize_t i = 0; p->left && i < pad; i++)
        *out++ = ' ';
    b->n = out - b->p;
    return 0;
}

static PyObject *buf_text(const Buf *b)
{
    if (!b->ascii)
        return PyUnicode_DecodeUTF8(b->p, b->n, "surrogateescape");
    PyObject *s = PyUnicode_New(b->n, 127);
    if (s != NULL)
        memcpy(PyUnicode_1BYTE_DATA(s), b->p, b->n);
    return s;
}

/* The held output: OutputHold ---------------------------------------------- */

/* The engine's output held between flushes (Program.pending): the str pieces
 * Python code writes, and after them the UTF-8 text native programs append
 * in place, so a firing makes no str of its own; take() returns all of it in
 * order, as one str.  len(): the writes held. */
typedef struct {
    PyObject_HEAD
    PyObject *pieces;   /* list of str, all written before the tail */
    Buf tail;
    Py_ssize_t writes;
    Py_ssize_t piece_chars;  /* characters in pieces */
    Py_ssize_t limit;        /* held text worth flushing early (bufsize) */
} OutputHoldObject;

static PyTypeObject OutputHold_Type;

/* The tail becomes the last piece: a Python write comes after it. */
static int hold_close_tail(OutputHoldObject *h)
{
    if (h->tail.n == 0)
        return 0;
    PyObject *text = buf_text(&h->tail);
    if (text == NULL)
        return -1;
    int rc = PyList_Append(h->pieces, text);
    Py_DECREF(text);
    h->tail.n = 0;
    h->tail.ascii = 1;
    return rc;
}

static PyObject *OutputHold_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args) != 0 || (kwds != NULL && PyDict_GET_SIZE(kwds) != 0)) {
        PyErr_SetString(PyExc_TypeError, "OutputHold() takes no arguments");
        return NULL;
    }
    OutputHoldObject *h = (OutputHoldObject *)type->tp_alloc(type, 0);
    if (h == NULL)
        return NULL;
    buf_init(&h->tail);
    h->limit = 4 << 20;  /* dtrace's default bufsize */
    h->pieces = PyList_New(0);
    if (h->pieces == NULL) {
        Py_DECREF(h);
        return NULL;
    }
    return (PyObject *)h;
}

static void OutputHold_dealloc(OutputHoldObject *h)
{
    Py_XDECREF(h->pieces);
    buf_free(&h->tail);
    Py_TYPE(h)->tp_free((PyObject *)h);
}

static PyObject *OutputHold_write(OutputHoldObject *h, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "write() argument must be str, not %.100s",
                     Py_TYPE(text)->tp_name);
        return NULL;
    }
    if (hold_close_tail(h) < 0 || PyList_Append(h->pieces, text) < 0)
        return NULL;
    h->writes++;
    h->piece_chars += PyUnicode_GET_LENGTH(text);
    Py_RETURN_NONE;
}

static PyObject *OutputHold_take(OutputHoldObject *h, PyObject *unused)
{
    PyObject *pieces = h->pieces;
    PyObject *text;
    if (PyList_GET_SIZE(pieces) == 0)  /* native output only: no copy */
        text = buf_text(&h->tail);
    else if (hold_close_tail(h) < 0)
        return NULL;
    else
        text = PyUnicode_Join(str_empty, pieces);
    if (text == NULL)
        return NULL;
    if (PyList_SetSlice(pieces, 0, PY_SSIZE_T_MAX, NULL) < 0) {
        Py_DECREF(text);
        return NULL;
    }
    h->tail.n = 0;
    h->tail.ascii = 1;
    h->writes = 0;
    h->piece_chars = 0;
    return text;
}

/* Whether ``pending`` is an OutputHold holding ``limit`` bytes or more: a
 * batch of records is flushed early then, so held text stays near bufsize. */
int output_hold_full(PyObject *pending)
{
    if (pending == NULL || Py_TYPE(pending) != &OutputHold_Type)
        return 0;
    OutputHoldObject *h = (OutputHoldObject *)pending;
    return h->piece_chars + h->tail.n >= h->limit;
}

static PyMemberDef OutputHold_members[] = {
    {"limit", T_PYSSIZET, offsetof(OutputHoldObject, limit), 0,
     "held text (bytes) past which a batch is flushed early: the D program's bufsize"},
    {NULL},
};

static Py_ssize_t OutputHold_length(OutputHoldObject *h)
{
    return h->writes;
}

static PyMethodDef OutputHold_methods[] = {
    {"write", (PyCFunction)OutputHold_write, METH_O, "write(text): hold text (a str)."},
    {"take", (PyCFunction)OutputHold_take, METH_NOARGS,
     "take() -> str: everything held, in order; the hold is empty after."},
    {NULL},
};

static PySequenceMethods OutputHold_as_sequence = {
    .sq_length = (lenfunc)OutputHold_length,
};

static PyTypeObject OutputHold_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pcapprobe._fastpath.OutputHold",
    .tp_doc = "OutputHold(): D output held between flushes; write(text) holds a str, "
              "NativeProbes writing through its write append their text in place, "
              "take() returns it all; len() counts the writes held.",
    .tp_basicsize = sizeof(OutputHoldObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = OutputHold_new,
    .tp_dealloc = (destructor)OutputHold_dealloc,
    .tp_methods = OutputHold_methods,
    .tp_members = OutputHold_members,
    .tp_as_sequence = &OutputHold_as_sequence,
};

/* The OutputHold whose write ``write`` is, or NULL. */
static OutputHoldObject *hold_of(PyObject *write)
{
    if (!PyCFunction_Check(write))
        return NULL;
    PyObject *self = PyCFunction_GET_SELF(write);
    return self != NULL && Py_IS_TYPE(self, &OutputHold_Type) ? (OutputHoldObject *)self : NULL;
}

/* Running: one firing ------------------------------------------------------ */

typedef struct {
    NativeProbeObject *np;
    const Node *nodes;     /* np->nodes */
    int64_t ts;
    const NativeArgs *na;  /* struct mode */
    PyObject *args;        /* Python mode: the argument tuple */
    int64_t *this_;
    PyObject **this_str;   /* string this-> values (strong), NULL: "" */
    Buf *out;              /* the hold's tail, or own */
    OutputHoldObject *hold;  /* the writer's OutputHold (strong), or NULL */
    size_t mark;           /* hold: its tail's length when nothing was written yet */
    Buf own;               /* output to the writer at the end of the firing */
    int failed;            /* an exception is set: evaluation stops */
    int quiet;             /* ST.quiet as last read; -1: to be read (only Python
                            * code run by a fault's ERROR clauses changes it) */
} Run;

/* The output of the firing so far to the engine's current writer
 * (names["W"]), before Python code runs or at the end.  Written to an
 * OutputHold, it is already there, in order. */
static int flush_output(Run *r)
{
    if (r->hold != NULL) {
        r->mark = 0;  /* Python code may take or close the tail */
        return 0;
    }
    if (r->own.n == 0)
        return 0;
    PyObject *write = PyDict_GetItemWithError(r->np->names, str_W);
    if (write == NULL)
        return PyErr_Occurred() ? -1 : bad_program("no writer W");
    PyObject *text = buf_text(&r->own);
    if (text == NULL)
        return -1;
    /* held: the call may rebind W (hold_output), freeing the bound method */
    Py_INCREF(write);
    PyObject *res = PyObject_CallOneArg(write, text);
    Py_DECREF(write);
    Py_DECREF(text);
    if (res == NULL)
        return -1;
    Py_DECREF(res);
    r->own.n = 0;
    r->own.ascii = 1;
    return 0;
}

/* Where the firing writes: the tail of the writer's OutputHold, appended to
 * in place, or its own buffer.  0, or -1 with an exception set. */
static int open_output(Run *r)
{
    buf_init(&r->own);
    r->out = &r->own;
    r->hold = NULL;
    if (!r->np->prints)  /* no writer needed (Python code run by a fault finds its own) */
        return 0;
    PyObject *write = PyDict_GetItemWithError(r->np->names, str_W);
    if (write == NULL)
        return PyErr_Occurred() ? -1 : 0;  /* no writer: an error once there is output */
    r->hold = hold_of(write);
    if (r->hold != NULL) {
        Py_INCREF(r->hold);
        r->out = &r->hold->tail;
        r->mark = r->out->n;
    }
    return 0;
}

static void close_output(Run *r)
{
    if (r->hold != NULL) {
        if (r->hold->tail.n > r->mark)
            r->hold->writes++;
        Py_DECREF(r->hold);
    }
    buf_free(&r->own);
}

/* ipv4info_t and ipv6info_t integer members of an ip firing (translators/ip.py
 * Ipv4Info, Ipv6Info; the other version's struct is all 0). */
static __attribute__((noinline)) int64_t ip_header_member(const IpArgs *a, int member)
{
    const uint8_t *h = a->h->hdr;
    int v6 = a->h->addr_len == 16;
    if (member >= M_IPV4_VER && member <= M_IPV4_HDR && v6)
        return 0;
    if (member >= M_IPV6_VER && member <= M_IPV6_HDR && !v6)
        return 0;
    switch (member) {
    case M_IPV4_VER: return 4;
    case M_IPV4_IHL: return (h[0] & 0xF) << 2;
    case M_IPV4_TOS: return h[1];
    case M_IPV4_LENGTH: return be16(h + 2);
    case M_IPV4_IDENT: return be16(h + 4);
    case M_IPV4_FLAGS: return (be16(h + 6) & 0xE000) >> 8;
    case M_IPV4_OFFSET: return (be16(h + 6) & 0x1FFF) << 3;
    case M_IPV4_TTL: return h[8];
    case M_IPV4_PROTOCOL: return h[9];
    case M_IPV4_CHECKSUM: return be16(h + 10);
    /* ipaddr_t: network byte order in memory, read on little-endian x86 */
    case M_IPV4_SRC: return (int64_t)((uint32_t)h[12] | (uint32_t)h[13] << 8
                                      | (uint32_t)h[14] << 16 | (uint32_t)h[15] << 24);
    case M_IPV4_DST: return (int64_t)((uint32_t)h[16] | (uint32_t)h[17] << 8
                                      | (uint32_t)h[18] << 16 | (uint32_t)h[19] << 24);
    case M_IPV4_HDR: case M_IPV6_HDR: return a->hdr_addr;
    case M_IPV6_VER: return 6;
    case M_IPV6_TCLASS: return (be32(h) >> 20) & 0xFF;
    case M_IPV6_FLOW: return be32(h) & 0xFFFFF;
    case M_IPV6_PLEN: return a->h->plength;
    case M_IPV6_NEXTHDR: return h[6];
    case M_IPV6_HLIM: return h[7];
    }
    return 0;
}

static inline __attribute__((always_inline)) int64_t struct_member_int(const Run *r, int member)
{
    const EndpointObject *ep = r->na->ep;
    const TcpEvent *ev = r->na->ev;
    switch (member) {
    case M_CS_ADDR: case M_TCPS_ADDR: case M_CS_ZONEID: case M_PKT_ADDR: case M_IF_IPSTACK:
    case M_IF_ADDR: case M_UDPS_ADDR:
        return 0;
    /* udp: the local socket is the destination's on receive, the source's on send */
    case M_UDPS_LPORT: return r->na->udp->receive ? r->na->udp->dport : r->na->udp->sport;
    case M_UDPS_RPORT: return r->na->udp->receive ? r->na->udp->sport : r->na->udp->dport;
    case M_UDP_SPORT: return r->na->udp->sport;
    case M_UDP_DPORT: return r->na->udp->dport;
    case M_UDP_LENGTH: return r->na->udp->length;
    case M_UDP_CHECKSUM: return r->na->udp->checksum;
    case M_CS_CID: return ep != NULL ? ep->cid : 0;  /* ip: no connection */
    case M_IF_LOCAL: return r->na->ipa->if_local;
    case M_CS_PID: return -1;
    case M_TCPS_LOCAL: return ep->loopback;
    case M_TCPS_ACTIVE: return ep->active;
    case M_TCPS_LPORT: return ep->lport;
    case M_TCPS_RPORT: return ep->rport;
    case M_TCPS_STATE: return ep->state;
    case M_TCPS_ISS: return ep->iss;
    case M_TCPS_SUNA: return ep->suna;
    case M_TCPS_SNXT: return endpoint_snxt(ep);
    case M_TCPS_RACK: return ep->rack;
    case M_TCPS_RNXT: return ep->rnxt;
    case M_TCPS_SWND: return ep->swnd;
    case M_TCPS_SND_WS: return ep->snd_ws;
    case M_TCPS_RWND: return ep->rwnd;
    case M_TCPS_RCV_WS: return ep->rcv_ws;
    case M_TCPS_CWND: return ep->cwnd;
    case M_TCPS_CWND_SSTHRESH: return ep->ssthresh;
    case M_TCPS_SACK_FACK: return ep->sack_fack;
    case M_TCPS_SACK_SNXT: return ep->sack_snxt;
    case M_TCPS_RTO: return ep->rto;
    case M_TCPS_MSS: return ep->mss;
    case M_TCPS_RETRANSMIT: return ep->retransmit;
    case M_LS_STATE: return r->na->old_state;
    /* ipinfo_t and tcpinfo_t: not arguments of state-change, where ev is NULL */
    case M_IP_VER: return r->na->ip->ipv6 ? 6 : 4;
    case M_IP_PLENGTH: return r->na->ip->plength;
    case M_TCP_SPORT: return ev->seg.sport;
    case M_TCP_DPORT: return ev->seg.dport;
    case M_TCP_SEQ: return ev->seg.seq;
    case M_TCP_ACK: return ev->seg.ack;
    case M_TCP_OFFSET: return ev->seg.offset;
    case M_TCP_FLAGS: return ev->seg.flags;
    case M_TCP_WINDOW: return ev->seg.window;
    case M_TCP_CHECKSUM: return ev->seg.checksum;
    case M_TCP_URGENT: return ev->seg.urgent;
    }
    return ip_header_member(r->na->ipa, member);
}

static PyObject *struct_member_str(const Run *r, int member)
{
    const EndpointObject *ep = r->na->ep;
    switch (member) {
    case M_TCPS_LADDR: return Py_NewRef(ep->laddr);
    case M_TCPS_RADDR: return Py_NewRef(ep->raddr);
    case M_IP_SADDR: return Py_NewRef(r->na->ip->saddr);
    case M_IP_DADDR: return Py_NewRef(r->na->ip->daddr);
    case M_UDPS_LADDR: return Py_NewRef(r->na->udp->receive ? r->na->ip->daddr : r->na->ip->saddr);
    case M_UDPS_RADDR: return Py_NewRef(r->na->udp->receive ? r->na->ip->saddr : r->na->ip->daddr);
    }
    /* ip firings: the other version's struct reads "<null>" */
    const IpArgs *a = r->na->ipa;
    int v6 = a->h->addr_len == 16;
    switch (member) {
    case M_IF_NAME: return Py_NewRef(a->if_name);
    case M_IPV4_PROTOSTR: return Py_NewRef(v6 ? a->null_str : a->protostr);
    case M_IPV6_NEXTSTR: return Py_NewRef(v6 ? a->protostr : a->null_str);
    case M_IPV4_SADDR: return Py_NewRef(v6 ? a->null_str : r->na->ip->saddr);
    case M_IPV4_DADDR: return Py_NewRef(v6 ? a->null_str : r->na->ip->daddr);
    case M_IPV6_SADDR: return Py_NewRef(v6 ? r->na->ip->saddr : a->null_str);
    case M_IPV6_DADDR: return Py_NewRef(v6 ? r->na->ip->daddr : a->null_str);
    }
    PyErr_SetString(PyExc_SystemError, "NativeProbe: no such string member");
    return NULL;
}

/* getattr(args[n], member): a new reference, or NULL with an exception set. */
static PyObject *python_member(Run *r, const Node *node)
{
    if (node->sub >= PyTuple_GET_SIZE(r->args)) {
        PyErr_SetString(PyExc_IndexError, "tuple index out of range");
        return NULL;
    }
    return PyObject_GetAttr(PyTuple_GET_ITEM(r->args, node->sub), node->obj);
}

static int ensure_str(PyObject *s)
{
    if (PyUnicode_Check(s))
        return 0;
    PyErr_Format(PyExc_TypeError, "string member is a %.200s", Py_TYPE(s)->tp_name);
    return -1;
}

static int64_t eval_int(Run *r, int n);
static PyObject *eval_str(Run *r, int n);

/* An operand: the leaves without a call (most operands are leaves). */
static inline int64_t operand(Run *r, int n)
{
    const Node *node = &r->nodes[n];
    if (node->op == X_INT)
        return node->imm;
    if (node->op == X_MEMBER && r->na != NULL)
        return struct_member_int(r, node->member);
    return eval_int(r, n);
}

static __attribute__((noinline)) int64_t python_member_int(Run *r, const Node *node)
{
    if (r->failed)  /* no Python call with an exception set */
        return 0;
    PyObject *v = python_member(r, node);
    if (v == NULL) {
        r->failed = 1;
        return 0;
    }
    int64_t result = node->flag ? (int64_t)PyLong_AsUnsignedLongLongMask(v) : PyLong_AsLongLong(v);
    Py_DECREF(v);
    if (result == -1 && PyErr_Occurred())
        r->failed = 1;
    return result;
}

/* The program's variables (names["G"]), borrowed; NULL with r->failed set. */
static PyObject *globals_of(Run *r)
{
    PyObject *g = PyDict_GetItemWithError(r->np->names, str_G);
    if (g == NULL || !PyDict_Check(g)) {
        if (!PyErr_Occurred())
            bad_program("no variables G");
        r->failed = 1;
        return NULL;
    }
    return g;
}

/* An integer global: G[name] (0 when never set), its 64-bit pattern. */
static __attribute__((noinline)) int64_t global_value(Run *r, const Node *node)
{
    if (r->failed)
        return 0;
    PyObject *g = globals_of(r);
    PyObject *v = g == NULL ? NULL : PyDict_GetItemWithError(g, node->obj);
    if (v == NULL) {
        if (PyErr_Occurred())
            r->failed = 1;
        return 0;
    }
    int64_t result = (int64_t)PyLong_AsUnsignedLongLongMask(v);
    if (result == -1 && PyErr_Occurred())
        r->failed = 1;
    return result;
}

static PyObject *key_object(Run *r, int kind, int expr);

/* data.get(key, 0) of an integer associative array: its 64-bit pattern. */
static __attribute__((noinline)) int64_t array_value(Run *r, const Node *node)
{
    PyObject *key = r->failed ? NULL : key_object(r, node->flag, node->a);
    if (key == NULL) {
        r->failed = 1;
        return 0;
    }
    PyObject *v = PyDict_GetItemWithError(node->obj, key);
    Py_DECREF(key);
    if (v == NULL) {
        if (PyErr_Occurred())
            r->failed = 1;
        return 0;
    }
    int64_t result = (int64_t)PyLong_AsUnsignedLongLongMask(v);
    if (result == -1 && PyErr_Occurred())
        r->failed = 1;
    return result;
}

static __attribute__((noinline)) int64_t timestamp(Run *r)
{
    /* ns since the run's origin (names["T0"][0]), never below 0 */
    if (r->failed)
        return 0;
    PyObject *origin = PyDict_GetItemWithError(r->np->names, str_T0);
    if (origin == NULL || !PyList_Check(origin) || PyList_GET_SIZE(origin) < 1) {
        if (!PyErr_Occurred())
            bad_program("no origin T0");
        r->failed = 1;
        return 0;
    }
    long long t0 = PyLong_AsLongLong(PyList_GET_ITEM(origin, 0));
    if (t0 == -1 && PyErr_Occurred()) {
        r->failed = 1;
        return 0;
    }
    return r->ts > t0 ? (int64_t)((uint64_t)r->ts - (uint64_t)t0) : 0;
}

static int64_t reduce(int64_t v, int size, int is_signed)
{
    if (size == 8)
        return v;
    int bits = size * 8;
    uint64_t mask = ((uint64_t)1 << bits) - 1;
    uint64_t u = (uint64_t)v & mask;
    if (is_signed && (u >> (bits - 1)))
        u |= ~mask;
    return (int64_t)u;
}

static int truth(Run *r, int n)
{
    if (!r->nodes[n].is_str)
        return operand(r, n) != 0;
    PyObject *s = eval_str(r, n);
    if (s == NULL)
        return 0;
    int nonempty = PyUnicode_GET_LENGTH(s) != 0;
    Py_DECREF(s);
    return nonempty;
}

static int compare(int cmp, int order)
{
    switch (cmp) {
    case CMP_EQ: return order == 0;
    case CMP_NE: return order != 0;
    case CMP_LT: return order < 0;
    case CMP_LE: return order <= 0;
    case CMP_GT: return order > 0;
    }
    return order >= 0;
}

static __attribute__((noinline)) int64_t compare_strings(Run *r, const Node *node)
{
    PyObject *a = eval_str(r, node->a);
    if (a == NULL)
        return 0;
    PyObject *b = eval_str(r, node->b);
    if (b == NULL) {
        Py_DECREF(a);
        return 0;
    }
    int order = PyUnicode_Compare(a, b);
    Py_DECREF(a);
    Py_DECREF(b);
    if (order == -1 && PyErr_Occurred()) {
        r->failed = 1;
        return 0;
    }
    return compare(node->sub, order);
}

/* A zero divisor: the generated code's DIV or MOD raises the fault. */
static void divide_fault(Run *r, const Node *node)
{
    PyObject *function = PyDict_GetItemWithError(r->np->names,
                                                 node->op == X_DIV ? str_DIV : str_MOD);
    Py_XINCREF(function);
    PyObject *res = function != NULL ? PyObject_CallFunction(function, "ii", 1, 0) : NULL;
    Py_XDECREF(function);
    if (res != NULL) {
        Py_DECREF(res);
        PyErr_SetString(PyExc_SystemError, "NativeProbe: division by zero did not fault");
    }
    else if (!PyErr_Occurred())
        bad_program("no DIV or MOD");
    r->failed = 1;
}

/* context.div and .mod: C's division, truncating, of values already in
 * range for the operation's type (so only INT64_MIN / -1 overflows). */
static __attribute__((noinline)) int64_t divide(Run *r, const Node *node)
{
    int64_t a = operand(r, node->a), b = operand(r, node->b);
    if (r->failed)
        return 0;
    if (b == 0) {
        divide_fault(r, node);
        return 0;
    }
    if (!node->flag)
        return (int64_t)(node->op == X_DIV ? (uint64_t)a / (uint64_t)b : (uint64_t)a % (uint64_t)b);
    if (b == -1)
        return node->op == X_DIV ? (int64_t)(0 - (uint64_t)a) : 0;
    return node->op == X_DIV ? a / b : a % b;
}

static int64_t compare_ints(Run *r, const Node *node)
{
    int64_t a = operand(r, node->a), b = operand(r, node->b);
    int order;
    if (node->flag)
        order = a < b ? -1 : a > b;
    else
        order = (uint64_t)a < (uint64_t)b ? -1 : (uint64_t)a > (uint64_t)b;
    return compare(node->sub, order);
}

/* An integer expression; sets r->failed (with an exception) on a fault,
 * after which nothing calls Python and the value is meaningless. */
static int64_t eval_int(Run *r, int n)
{
    const Node *node = &r->nodes[n];
    switch (node->op) {
    case X_INT: return node->imm;
    case X_MEMBER:
        return r->na != NULL ? struct_member_int(r, node->member) : python_member_int(r, node);
    case X_THIS: return r->this_[node->imm];
    case X_GLOBAL: return global_value(r, node);
    case X_AGET: return array_value(r, node);
    case X_WALLTIMESTAMP: return r->ts;
    case X_TIMESTAMP: return timestamp(r);
    case X_WRAP: return reduce(operand(r, node->a), node->sub, node->flag);
    case X_NEG: return (int64_t)(0 - (uint64_t)operand(r, node->a));
    case X_INV: return ~operand(r, node->a);
    case X_NOT: return !truth(r, node->a);
    case X_ADD: return (int64_t)((uint64_t)operand(r, node->a) + (uint64_t)operand(r, node->b));
    case X_SUB: return (int64_t)((uint64_t)operand(r, node->a) - (uint64_t)operand(r, node->b));
    case X_MUL: return (int64_t)((uint64_t)operand(r, node->a) * (uint64_t)operand(r, node->b));
    case X_DIV:
    case X_MOD: return divide(r, node);
    case X_AND: return operand(r, node->a) & operand(r, node->b);
    case X_OR: return operand(r, node->a) | operand(r, node->b);
    case X_XOR: return operand(r, node->a) ^ operand(r, node->b);
    case X_SHL: {
        uint64_t a = (uint64_t)operand(r, node->a);
        return (int64_t)(a << ((uint64_t)operand(r, node->b) & 63));
    }
    case X_SHR: {
        int64_t a = operand(r, node->a);
        unsigned shift = (unsigned)((uint64_t)operand(r, node->b) & 63);
        if (node->flag)  /* arithmetic: Python's >> of a negative int */
            return a < 0 ? ~(~a >> shift) : a >> shift;
        return (int64_t)((uint64_t)a >> shift);
    }
    case X_CMP: return compare_ints(r, node);
    case X_SCMP: return compare_strings(r, node);
    case X_LAND: return truth(r, node->a) && truth(r, node->b);
    case X_LOR: return truth(r, node->a) || truth(r, node->b);
    case X_LXOR: {
        int a = truth(r, node->a);
        return a != truth(r, node->b);
    }
    case X_COND: return truth(r, node->a) ? operand(r, node->b) : operand(r, node->c);
    }
    return 0;
}

/* A string expression: a new reference, or NULL with r->failed set. */
static PyObject *eval_str(Run *r, int n)
{
    const Node *node = &r->nodes[n];
    while (node->op == X_COND) {
        int yes = truth(r, node->a);
        if (r->failed)
            return NULL;
        node = &r->nodes[yes ? node->b : node->c];
    }
    PyObject *s = NULL;
    switch (node->op) {
    case X_STR:
        return Py_NewRef(node->obj);
    case X_STHIS:
        s = r->this_str[node->imm];
        return Py_NewRef(s != NULL ? s : str_empty);
    case X_TABLE: {
        int64_t k = eval_int(r, node->a);
        PyObject *key = r->failed ? NULL : PyLong_FromLongLong(k);
        if (key != NULL) {
            s = PyDict_GetItemWithError(node->obj, key);
            Py_DECREF(key);
            if (s != NULL)
                return Py_NewRef(s);
            if (!PyErr_Occurred())
                return eval_str(r, node->b);
        }
        break;
    }
    case X_MEMBER:
        if (r->na != NULL)
            s = struct_member_str(r, node->member);
        else if (r->failed)
            return NULL;
        else if ((s = python_member(r, node)) != NULL && ensure_str(s) < 0)
            Py_CLEAR(s);
        break;
    default:
        PyErr_SetString(PyExc_SystemError, "NativeProbe: not a string expression");
    }
    if (s == NULL)
        r->failed = 1;
    return s;
}

/* An evaluated value as the Python object the generated code would make. */
static PyObject *key_object(Run *r, int kind, int expr)
{
    if (kind == 's')
        return eval_str(r, expr);
    int64_t x = eval_int(r, expr);
    if (r->failed)
        return NULL;
    return kind == 'u' ? PyLong_FromUnsignedLongLong((uint64_t)x) : PyLong_FromLongLong(x);
}

static PyObject *value_object(Run *r, const Value *v)
{
    return key_object(r, v->kind, v->expr);
}

/* data[key] = value as compile.py's statement does for a dynamic variable:
 * a new element only when DYN.admit() says there is room, zero deletes
 * (DYN.live -= 1).  0, or -1 with an exception set. */
static int array_store(Run *r, const Stmt *s)
{
    int64_t v = eval_int(r, s->expr);
    PyObject *key = r->failed ? NULL : value_object(r, &s->keys[0]);
    if (key == NULL)
        return -1;
    PyObject *dyn = PyDict_GetItemWithError(r->np->names, str_DYN);
    int rc = -1;
    if (dyn == NULL) {
        if (!PyErr_Occurred())
            bad_program("no DYN");
        goto done;
    }
    int present = PyDict_Contains(s->target, key);
    if (present < 0)
        goto done;
    if (v != 0) {
        if (!present) {
            PyObject *room = PyObject_CallMethodNoArgs(dyn, str_admit);
            int yes = room == NULL ? -1 : PyObject_IsTrue(room);
            Py_XDECREF(room);
            if (yes <= 0) {
                rc = yes;
                goto done;
            }
        }
        PyObject *obj = s->slot ? PyLong_FromLongLong(v) : PyLong_FromUnsignedLongLong((uint64_t)v);
        rc = obj == NULL ? -1 : PyDict_SetItem(s->target, key, obj);
        Py_XDECREF(obj);
    } else if (present) {
        PyObject *live = PyObject_GetAttr(dyn, str_live);
        PyObject *one_less = live == NULL ? NULL : PyNumber_Subtract(live, one);
        rc = one_less == NULL || PyDict_DelItem(s->target, key) < 0
             || PyObject_SetAttr(dyn, str_live, one_less) < 0 ? -1 : 0;
        Py_XDECREF(live);
        Py_XDECREF(one_less);
    } else {
        rc = 0;
    }
done:
    Py_DECREF(key);
    return rc;
}

static PyObject *key_tuple(Run *r, const Stmt *s)
{
    PyObject *key = PyTuple_New(s->nkeys);
    if (key == NULL)
        return NULL;
    for (int k = 0; k < s->nkeys; k++) {
        PyObject *item = value_object(r, &s->keys[k]);
        if (item == NULL) {
            Py_DECREF(key);
            return NULL;
        }
        PyTuple_SET_ITEM(key, k, item);
    }
    return key;
}

/* AD[key] = AD.get(key, 0) + increment: count() and sum() inline, as
 * compile.py generates them; a new key only when admit() says the
 * aggregation buffer has room (it counts the drop otherwise). */
static int add_to(PyObject *data, PyObject *key, PyObject *increment, PyObject *admit)
{
    PyObject *old = PyDict_GetItemWithError(data, key);
    if (old == NULL) {
        if (PyErr_Occurred())
            return -1;
        PyObject *room = PyObject_CallNoArgs(admit);
        if (room == NULL)
            return -1;
        int yes = PyObject_IsTrue(room);
        Py_DECREF(room);
        if (yes <= 0)
            return yes;
    }
    PyObject *sum = old == NULL ? Py_NewRef(increment) : PyNumber_Add(old, increment);
    if (sum == NULL)
        return -1;
    int rc = PyDict_SetItem(data, key, sum);
    Py_DECREF(sum);
    return rc;
}


static int run_printf(Run *r, const Stmt *s)
{
    size_t start = r->out->n;  /* a fault writes nothing of the statement */
    int rc = 0;
    for (int k = 0; k < s->npieces && rc == 0; k++) {
        const Piece *p = &s->pieces[k];
        if (p->conv == 0)
            rc = buf_put(r->out, PyBytes_AS_STRING(p->text), PyBytes_GET_SIZE(p->text), p->ascii);
        else if (p->conv == 's') {
            PyObject *text = eval_str(r, p->expr);
            rc = text == NULL ? -1 : buf_string(r->out, p, text);
            Py_XDECREF(text);
        }
        else {
            int64_t v = eval_int(r, p->expr);
            rc = r->failed ? -1 : buf_integer(r->out, p, v);
        }
    }
    if (rc < 0)
        r->out->n = start;
    return rc;
}

static int run_aggregation(Run *r, const Stmt *s)
{
    PyObject *key = key_tuple(r, s);
    if (key == NULL)
        return -1;
    int rc;
    if (s->op == S_COUNT)
        rc = add_to(s->target, key, one, s->admit);
    else {
        PyObject *value = value_object(r, &s->value);
        PyObject *incr = value != NULL && s->op == S_AGG ? value_object(r, &s->incr) : NULL;
        if (value == NULL || (s->op == S_AGG && incr == NULL))
            rc = -1;
        else if (s->op == S_SUM)
            rc = add_to(s->target, key, value, s->admit);
        else {
            PyObject *res = PyObject_CallFunctionObjArgs(s->target, key, value, incr, NULL);
            rc = res == NULL ? -1 : 0;
            Py_XDECREF(res);
        }
        Py_XDECREF(value);
        Py_XDECREF(incr);
    }
    Py_DECREF(key);
    return rc;
}

static int run_stmt(Run *r, const Stmt *s)
{
    switch (s->op) {
    case S_PRINTF:
        return run_printf(r, s);
    case S_THIS: {
        int64_t v = eval_int(r, s->expr);
        if (r->failed)
            return -1;
        r->this_[s->slot] = v;
        return 0;
    }
    case S_STHIS: {
        PyObject *v = eval_str(r, s->expr);
        if (v == NULL)
            return -1;
        Py_XSETREF(r->this_str[s->slot], v);
        return 0;
    }
    case S_ASET:
        return array_store(r, s);
    case S_GLOBAL: {
        int64_t v = eval_int(r, s->expr);
        PyObject *g = r->failed ? NULL : globals_of(r);
        if (g == NULL)
            return -1;
        PyObject *obj = s->slot ? PyLong_FromLongLong(v) : PyLong_FromUnsignedLongLong((uint64_t)v);
        int rc = obj == NULL ? -1 : PyDict_SetItem(g, s->target, obj);
        Py_XDECREF(obj);
        return rc;
    }
    }
    return run_aggregation(r, s);
}

/* What ``except FAULTS as e: ST.fault(e, _EPID, _a, _PROBE, ts)`` does:
 * 0 when the exception was a D fault (reported), else -1 (it propagates). */
static int report_fault(Run *r, const Clause *c, int action)
{
    PyObject *faults = PyDict_GetItemWithError(r->np->names, str_FAULTS);
    if (faults == NULL || !PyErr_ExceptionMatches(faults))
        return -1;
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL)
        PyException_SetTraceback(value, tb);
    int rc = flush_output(r);
    if (rc == 0) {
        PyObject *res = PyObject_CallMethod(r->np->state, "fault", "OiiOL", value, c->epid,
                                            action, r->np->probe, (long long)r->ts);
        rc = res == NULL ? -1 : 0;
        Py_XDECREF(res);
        r->quiet = r->np->quiet;
    }
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return rc;
}

/* ``if not ST.quiet: ST.record(w, _PREFIX)``: 1 quiet, 0 not, -1 error. */
static int record_prefix(Run *r, const Clause *c)
{
    if (r->quiet < 0) {
        PyObject *quiet = PyObject_GetAttr(r->np->state, str_quiet);
        if (quiet == NULL)
            return -1;
        r->quiet = PyObject_IsTrue(quiet);
        Py_DECREF(quiet);
    }
    if (r->quiet != 0)
        return r->quiet;
    /* the record's header and prefix come after what is held */
    if (flush_output(r) < 0)
        return -1;
    PyObject *write = PyDict_GetItemWithError(r->np->names, str_W);
    if (write == NULL)
        return PyErr_Occurred() ? -1 : bad_program("no writer W");
    Py_INCREF(write);
    PyObject *res = PyObject_CallMethod(r->np->state, "record", "OO", write, c->prefix);
    Py_DECREF(write);
    if (res == NULL)
        return -1;
    Py_DECREF(res);
    return 0;
}

/* One clause: 0, or -1 with an exception that is not a D fault. */
static int run_clause(Run *r, const Clause *c)
{
    if (c->predicate >= 0) {
        int yes = truth(r, c->predicate);
        if (r->failed)
            return report_fault(r, c, 0);
        if (!yes)
            return 0;
    }
    int quiet = 1;
    if (c->records && (quiet = record_prefix(r, c)) < 0)
        return -1;
    for (int k = 0; k < c->nstmts; k++) {
        const Stmt *s = &c->stmts[k];
        if (run_stmt(r, s) < 0)
            return report_fault(r, c, s->action);
    }
    return quiet ? 0 : buf_put(r->out, "\n", 1, 1);
}

static int run_program(NativeProbeObject *np, int64_t ts, const NativeArgs *na, PyObject *args)
{
    int64_t this_[np->nthis > 0 ? np->nthis : 1];
    PyObject *this_str[np->nthis > 0 ? np->nthis : 1];
    memset(this_, 0, sizeof this_);
    memset(this_str, 0, sizeof this_str);
    Run r;  /* not zeroed: its own output buffer is large */
    r.np = np;
    r.nodes = np->nodes;
    r.ts = ts;
    r.na = na;
    r.args = args;
    r.this_ = this_;
    r.this_str = this_str;
    r.quiet = np->quiet;
    if (open_output(&r) < 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < np->nclauses && rc == 0; i++) {
        r.failed = 0;
        rc = run_clause(&r, &np->clauses[i]);
    }
    if (rc == 0)
        rc = flush_output(&r);
    else {
        /* what was printed before the error was written, as in Python */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        if (flush_output(&r) < 0)
            PyErr_Clear();
        PyErr_Restore(type, value, tb);
    }
    close_output(&r);
    for (int i = 0; i < np->nthis; i++)
        Py_XDECREF(this_str[i]);
    return rc;
}

int native_fire(PyObject *probe, const NativeArgs *args)
{
    if (!Py_IS_TYPE(probe, &NativeProbe_Type)) {
        PyErr_SetString(PyExc_SystemError, "native_fire: not a NativeProbe");
        return -1;
    }
    return run_program((NativeProbeObject *)probe, args->ts, args, NULL);
}

/* probe(ts, args, thread): the engine's handler protocol, members by getattr. */
static PyObject *NativeProbe_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf,
                                        PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (kwnames != NULL || nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "NativeProbe takes (ts, args, thread)");
        return NULL;
    }
    long long ts = PyLong_AsLongLong(args[0]);
    if (ts == -1 && PyErr_Occurred())
        return NULL;
    if (!PyTuple_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "NativeProbe: args must be a tuple");
        return NULL;
    }
    if (run_program((NativeProbeObject *)self, ts, NULL, args[1]) < 0)
        return NULL;
    Py_RETURN_NONE;
}

PyTypeObject NativeProbe_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pcapprobe._fastpath.NativeProbe",
    .tp_doc = "NativeProbe(probe, state, names, clauses, this_slots, quiet): the enabled "
              "clauses of one probe as a native program (built by "
              "pcapprobe.dlang.passes.native); called as probe(ts, args, thread) like the "
              "engine's handler.",
    .tp_basicsize = sizeof(NativeProbeObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = NativeProbe_new,
    .tp_dealloc = (destructor)NativeProbe_dealloc,
    .tp_traverse = (traverseproc)NativeProbe_traverse,
    .tp_clear = (inquiry)NativeProbe_clear,
    .tp_vectorcall_offset = offsetof(NativeProbeObject, vectorcall),
    .tp_call = PyVectorcall_Call,
};

/* NATIVE_MEMBERS: {struct name: frozenset of its members a program may read}
 * (MEMBERS lists each struct's members together). */
static PyObject *native_members(void)
{
    PyObject *table = PyDict_New();
    size_t n = sizeof MEMBERS / sizeof *MEMBERS;
    for (size_t first = 0, end; table != NULL && first < n; first = end) {
        PyObject *names = PyList_New(0);
        for (end = first; names != NULL && end < n
                          && strcmp(MEMBERS[end].strct, MEMBERS[first].strct) == 0;
             end++) {
            PyObject *member = PyUnicode_FromString(MEMBERS[end].member);
            if (member == NULL || PyList_Append(names, member) < 0)
                Py_CLEAR(names);
            Py_XDECREF(member);
        }
        PyObject *frozen = names != NULL ? PyFrozenSet_New(names) : NULL;
        if (frozen == NULL || PyDict_SetItemString(table, MEMBERS[first].strct, frozen) < 0)
            Py_CLEAR(table);
        Py_XDECREF(frozen);
        Py_XDECREF(names);
    }
    return table;
}

int native_add_types(PyObject *module)
{
    str_W = PyUnicode_InternFromString("W");
    str_DIV = PyUnicode_InternFromString("DIV");
    str_MOD = PyUnicode_InternFromString("MOD");
    str_T0 = PyUnicode_InternFromString("T0");
    str_G = PyUnicode_InternFromString("G");
    str_DYN = PyUnicode_InternFromString("DYN");
    str_admit = PyUnicode_InternFromString("admit");
    str_live = PyUnicode_InternFromString("live");
    str_FAULTS = PyUnicode_InternFromString("FAULTS");
    str_quiet = PyUnicode_InternFromString("quiet");
    str_empty = PyUnicode_FromString("");
    one = PyLong_FromLong(1);
    if (str_W == NULL || str_DIV == NULL || str_MOD == NULL || str_T0 == NULL || str_G == NULL
        || str_DYN == NULL || str_admit == NULL || str_live == NULL
        || str_FAULTS == NULL || str_quiet == NULL
        || str_empty == NULL || one == NULL)
        return -1;
    if (PyType_Ready(&NativeProbe_Type) < 0 || PyType_Ready(&OutputHold_Type) < 0)
        return -1;
    PyObject *members = native_members();
    if (members == NULL || PyModule_AddObject(module, "NATIVE_MEMBERS", members) < 0) {
        Py_XDECREF(members);
        return -1;
    }
    Py_INCREF(&NativeProbe_Type);
    if (PyModule_AddObject(module, "NativeProbe", (PyObject *)&NativeProbe_Type) < 0) {
        Py_DECREF(&NativeProbe_Type);
        return -1;
    }
    Py_INCREF(&OutputHold_Type);
    if (PyModule_AddObject(module, "OutputHold", (PyObject *)&OutputHold_Type) < 0) {
        Py_DECREF(&OutputHold_Type);
        return -1;
    }
    return 0;
}
