/* BpfProgram: a classic BPF program (a capture filter, ``-f EXPR``) and the
 * one interpreter that runs it, for the Python path (``BpfProgram.run``) and
 * for the records the scanner consumes (bpf_program_accepts, scan.c).
 *
 * The program comes compiled from libpcap (pcapprobe/capture/bpf.py:
 * pcap_compile on a pcap_open_dead handle), so no libpcap header or library
 * is needed to build this.  The instruction set is classic BPF as libpcap's
 * bpf_filter.c defines it (McCanne & Jacobson, "The BSD Packet Filter",
 * 1993): loads (absolute, indirect, the IPv4 header length idiom MSH, packet
 * length, immediate, scratch memory), stores, ALU, forward jumps, return,
 * TAX/TXA.  A program is validated once, when it is built (known opcodes,
 * jumps inside the program, scratch memory indices, no constant division by
 * zero or shift of 32 or more, a return at the end); jumps only go forward,
 * so every run ends.  At run time a load past the captured bytes rejects the
 * packet, as in libpcap.
 */
#include "fastpath.h"

#define BPF_MAXINSNS 4096
#define BPF_MEMWORDS 16

/* instruction classes, sizes, modes, operations (libpcap pcap/bpf.h) */
#define BPF_CLASS(code) ((code) & 0x07)
#define BPF_LD 0x00
#define BPF_LDX 0x01
#define BPF_ST 0x02
#define BPF_STX 0x03
#define BPF_ALU 0x04
#define BPF_JMP 0x05
#define BPF_RET 0x06
#define BPF_MISC 0x07
#define BPF_W 0x00
#define BPF_H 0x08
#define BPF_B 0x10
#define BPF_IMM 0x00
#define BPF_ABS 0x20
#define BPF_IND 0x40
#define BPF_MEM 0x60
#define BPF_LEN 0x80
#define BPF_MSH 0xa0
#define BPF_OP(code) ((code) & 0xf0)
#define BPF_ADD 0x00
#define BPF_SUB 0x10
#define BPF_MUL 0x20
#define BPF_DIV 0x30
#define BPF_OR 0x40
#define BPF_AND 0x50
#define BPF_LSH 0x60
#define BPF_RSH 0x70
#define BPF_NEG 0x80
#define BPF_MOD 0x90
#define BPF_XOR 0xa0
#define BPF_JA 0x00
#define BPF_JEQ 0x10
#define BPF_JGT 0x20
#define BPF_JGE 0x30
#define BPF_JSET 0x40
#define BPF_K 0x00
#define BPF_X 0x08
#define BPF_A 0x10  /* return A */
#define BPF_TAX 0x00
#define BPF_TXA 0x80

typedef struct {
    uint16_t code;
    uint8_t jt, jf;
    uint32_t k;
} BpfInsn;

typedef struct {
    PyObject_HEAD
    Py_ssize_t len;
    BpfInsn *insns;
} BpfProgramObject;

/* Why instruction ``pc`` of ``insns`` is not valid, or NULL when it is. */
static const char *invalid_insn(const BpfInsn *insns, Py_ssize_t len, Py_ssize_t pc)
{
    const BpfInsn *in = &insns[pc];
    Py_ssize_t left = len - pc - 1;  /* instructions after this one */
    switch (in->code) {
    case BPF_LD | BPF_W | BPF_ABS: case BPF_LD | BPF_H | BPF_ABS: case BPF_LD | BPF_B | BPF_ABS:
    case BPF_LD | BPF_W | BPF_IND: case BPF_LD | BPF_H | BPF_IND: case BPF_LD | BPF_B | BPF_IND:
    case BPF_LD | BPF_W | BPF_LEN: case BPF_LD | BPF_IMM:
    case BPF_LDX | BPF_W | BPF_IMM: case BPF_LDX | BPF_W | BPF_LEN: case BPF_LDX | BPF_B | BPF_MSH:
    case BPF_ALU | BPF_NEG: case BPF_MISC | BPF_TAX: case BPF_MISC | BPF_TXA:
    case BPF_RET | BPF_K: case BPF_RET | BPF_A:
        return NULL;
    case BPF_LD | BPF_MEM: case BPF_LDX | BPF_W | BPF_MEM: case BPF_ST: case BPF_STX:
        return in->k < BPF_MEMWORDS ? NULL : "scratch memory index out of range";
    case BPF_JMP | BPF_JA:
        return in->k < (uint32_t)left ? NULL : "jump past the end";
    }
    switch (BPF_CLASS(in->code)) {
    case BPF_ALU:
        if ((in->code & ~(0xf0 | BPF_X)) != BPF_ALU || BPF_OP(in->code) > BPF_XOR
            || BPF_OP(in->code) == BPF_NEG)  /* NEG takes no operand: BPF_ALU|BPF_NEG only */
            return "unknown opcode";
        if ((in->code & BPF_X) == BPF_K) {
            if ((BPF_OP(in->code) == BPF_DIV || BPF_OP(in->code) == BPF_MOD) && in->k == 0)
                return "division by zero";
            if ((BPF_OP(in->code) == BPF_LSH || BPF_OP(in->code) == BPF_RSH) && in->k >= 32)
                return "shift by 32 or more";
        }
        return NULL;
    case BPF_JMP:
        if ((in->code & ~(0xf0 | BPF_X)) != BPF_JMP || BPF_OP(in->code) < BPF_JEQ
            || BPF_OP(in->code) > BPF_JSET)
            return "unknown opcode";
        return in->jt < left && in->jf < left ? NULL : "jump past the end";
    }
    return "unknown opcode";
}

/* 1 when the program is valid; 0 with ValueError set. */
static int validate(const BpfInsn *insns, Py_ssize_t len)
{
    if (len < 1 || len > BPF_MAXINSNS) {
        PyErr_Format(PyExc_ValueError, "invalid BPF program: %zd instructions", len);
        return 0;
    }
    for (Py_ssize_t pc = 0; pc < len; pc++) {
        const char *why = invalid_insn(insns, len, pc);
        if (why != NULL) {
            PyErr_Format(PyExc_ValueError, "invalid BPF program: instruction %zd (0x%04x): %s",
                         pc, insns[pc].code, why);
            return 0;
        }
    }
    if (BPF_CLASS(insns[len - 1].code) != BPF_RET) {
        PyErr_SetString(PyExc_ValueError, "invalid BPF program: it does not end in a return");
        return 0;
    }
    return 1;
}

/* A load of ``size`` bytes at ``k`` (+ ``x`` for indirect loads): 0 when it
 * lies beyond the captured bytes. */
static inline int fetch(const uint8_t *p, uint32_t buflen, uint32_t k, uint32_t size,
                        uint32_t *out)
{
    if (k > buflen || size > buflen - k)
        return 0;
    p += k;
    *out = size == 4 ? be32(p) : size == 2 ? be16(p) : p[0];
    return 1;
}

/* Run a validated program over a packet: the number of bytes to keep, 0 to
 * reject (libpcap bpf_filter semantics). */
static uint32_t run(const BpfInsn *pc, const uint8_t *p, uint32_t wirelen, uint32_t buflen)
{
    uint32_t A = 0, X = 0, k;
    uint32_t mem[BPF_MEMWORDS] = {0};
    for (;; pc++) {
        switch (pc->code) {
        case BPF_RET | BPF_K: return pc->k;
        case BPF_RET | BPF_A: return A;
        case BPF_LD | BPF_W | BPF_ABS: if (!fetch(p, buflen, pc->k, 4, &A)) return 0; break;
        case BPF_LD | BPF_H | BPF_ABS: if (!fetch(p, buflen, pc->k, 2, &A)) return 0; break;
        case BPF_LD | BPF_B | BPF_ABS: if (!fetch(p, buflen, pc->k, 1, &A)) return 0; break;
        case BPF_LD | BPF_W | BPF_IND: case BPF_LD | BPF_H | BPF_IND:
        case BPF_LD | BPF_B | BPF_IND: {
            uint32_t size = (pc->code & 0x18) == BPF_W ? 4 : (pc->code & 0x18) == BPF_H ? 2 : 1;
            if (pc->k > buflen || X > buflen - pc->k || !fetch(p, buflen, X + pc->k, size, &A))
                return 0;
            break;
        }
        case BPF_LD | BPF_W | BPF_LEN: A = wirelen; break;
        case BPF_LDX | BPF_W | BPF_LEN: X = wirelen; break;
        case BPF_LD | BPF_IMM: A = pc->k; break;
        case BPF_LDX | BPF_W | BPF_IMM: X = pc->k; break;
        case BPF_LD | BPF_MEM: A = mem[pc->k]; break;
        case BPF_LDX | BPF_W | BPF_MEM: X = mem[pc->k]; break;
        case BPF_LDX | BPF_B | BPF_MSH:
            /* X = 4 * (the IPv4 header length nibble at k) */
            if (!fetch(p, buflen, pc->k, 1, &k)) return 0;
            X = (k & 0xf) << 2;
            break;
        case BPF_ST: mem[pc->k] = A; break;
        case BPF_STX: mem[pc->k] = X; break;
        case BPF_JMP | BPF_JA: pc += pc->k; break;
        case BPF_MISC | BPF_TAX: X = A; break;
        case BPF_MISC | BPF_TXA: A = X; break;
        case BPF_ALU | BPF_NEG: A = (uint32_t)-A; break;
        default:
            k = (pc->code & BPF_X) ? X : pc->k;
            if (BPF_CLASS(pc->code) == BPF_JMP) {
                int taken;
                switch (BPF_OP(pc->code)) {
                case BPF_JEQ: taken = A == k; break;
                case BPF_JGT: taken = A > k; break;
                case BPF_JGE: taken = A >= k; break;
                default: taken = (A & k) != 0; break;  /* BPF_JSET */
                }
                pc += taken ? pc->jt : pc->jf;
                break;
            }
            switch (BPF_OP(pc->code)) {  /* BPF_ALU, validated */
            case BPF_ADD: A += k; break;
            case BPF_SUB: A -= k; break;
            case BPF_MUL: A *= k; break;
            case BPF_DIV: if (k == 0) return 0; A /= k; break;
            case BPF_MOD: if (k == 0) return 0; A %= k; break;
            case BPF_AND: A &= k; break;
            case BPF_OR: A |= k; break;
            case BPF_XOR: A ^= k; break;
            case BPF_LSH: A = k < 32 ? A << k : 0; break;
            case BPF_RSH: A = k < 32 ? A >> k : 0; break;
            }
        }
    }
}

uint32_t bpf_program_run(PyObject *program, const uint8_t *p, uint32_t wirelen, uint32_t buflen)
{
    return run(((BpfProgramObject *)program)->insns, p, wirelen, buflen);
}

static PyObject *BpfProgram_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *seq;
    static char *kwlist[] = {"insns", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:BpfProgram", kwlist, &seq))
        return NULL;
    PyObject *items = PySequence_Fast(seq, "insns must be a sequence of (code, jt, jf, k)");
    if (items == NULL)
        return NULL;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(items);
    BpfInsn *insns = PyMem_Calloc(len ? len : 1, sizeof(BpfInsn));
    if (insns == NULL) {
        Py_DECREF(items);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        unsigned int code, jt, jf;
        unsigned long k;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(items, i), "IIIk", &code, &jt, &jf, &k))
            goto fail;
        if (code > 0xffff || jt > 0xff || jf > 0xff || k > 0xffffffffUL) {
            PyErr_Format(PyExc_ValueError, "invalid BPF program: instruction %zd: field out of range", i);
            goto fail;
        }
        insns[i] = (BpfInsn){(uint16_t)code, (uint8_t)jt, (uint8_t)jf, (uint32_t)k};
    }
    if (!validate(insns, len))
        goto fail;
    Py_DECREF(items);
    BpfProgramObject *self = (BpfProgramObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        PyMem_Free(insns);
        return NULL;
    }
    self->len = len;
    self->insns = insns;
    return (PyObject *)self;
fail:
    PyMem_Free(insns);
    Py_DECREF(items);
    return NULL;
}

static void BpfProgram_dealloc(BpfProgramObject *self)
{
    PyMem_Free(self->insns);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *BpfProgram_run(BpfProgramObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "run(data, wirelen)");
        return NULL;
    }
    long long wirelen = PyLong_AsLongLong(args[1]);
    if (wirelen == -1 && PyErr_Occurred())
        return NULL;
    Py_buffer data;
    if (PyObject_GetBuffer(args[0], &data, PyBUF_SIMPLE) < 0)
        return NULL;
    uint32_t buflen = data.len > UINT32_MAX ? UINT32_MAX : (uint32_t)data.len;
    uint32_t kept = run(self->insns, data.buf, wirelen < 0 ? 0 : wirelen > UINT32_MAX
                        ? UINT32_MAX : (uint32_t)wirelen, buflen);
    PyBuffer_Release(&data);
    return PyLong_FromUnsignedLong(kept);
}

static PyObject *BpfProgram_len(BpfProgramObject *self, void *c)
{
    return PyLong_FromSsize_t(self->len);
}

static PyMethodDef BpfProgram_methods[] = {
    {"run", (PyCFunction)(void (*)(void))BpfProgram_run, METH_FASTCALL,
     "run(data, wirelen) -> int: the program's verdict on a packet whose captured\n"
     "bytes are data and whose length on the wire is wirelen (0: rejected)."},
    {NULL},
};

static PyGetSetDef BpfProgram_getset[] = {
    {"length", (getter)BpfProgram_len, NULL, "the number of instructions"},
    {NULL},
};

PyTypeObject BpfProgram_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pcapprobe._fastpath.BpfProgram",
    .tp_doc = "BpfProgram(insns): a validated classic BPF program; insns is a\n"
              "sequence of (code, jt, jf, k) as libpcap's struct bpf_insn holds them.\n"
              "ValueError when the program is not valid.",
    .tp_basicsize = sizeof(BpfProgramObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = BpfProgram_new,
    .tp_dealloc = (destructor)BpfProgram_dealloc,
    .tp_methods = BpfProgram_methods,
    .tp_getset = BpfProgram_getset,
};

int bpf_add_type(PyObject *module)
{
    if (PyType_Ready(&BpfProgram_Type) < 0)
        return -1;
    return PyModule_AddObjectRef(module, "BpfProgram", (PyObject *)&BpfProgram_Type);
}
