/* The FCoE records the record scanner (scan.c) hands the fc provider
 * without making Frames (pcapprobe/fclinks.py sets the provider).
 *
 * Taken: whole T11 FCoE PDUs (FC-BB-5 §7.8.1: 14-byte header, the FC frame,
 * its CRC least significant byte first, EOF and 3 reserved bytes) whose FC
 * CRC matches, holding an FCP frame (TYPE 0x08 with an R_CTL of FC-4 device
 * data, 0x0X: FC-FS-4 §9.1) without optional headers, of at least a word
 * of payload (its fill bytes, up to 3, never exceed it).  Everything else
 * (other frames, pre-T11 PDUs, a bad CRC, which the Python path reports) is
 * left to the Python layers.
 *
 * FCP_DATA frames (R_CTL 0x01) go to the provider's ``on_data`` as header
 * fields, one call for a run of consecutive frames of one data sequence.
 * Every other FCP frame goes to ``on_iu`` as header fields and its payload
 * bytes, with the record's Frame for what it reports: what the IU says is
 * decoded by the provider (dissectors/fcp.py), not here.
 *
 * The FC CRC is CRC-32 (zlib's).  Where the CPU has PCLMULQDQ it is computed
 * by folding 64 bytes at a time (V. Gopal et al., "Fast CRC Computation for
 * Generic Polynomials Using PCLMULQDQ Instruction", Intel, 2009; the
 * bit-reflected constants for the CRC-32 polynomial 0x04C11DB7), several
 * times faster than zlib's table-driven loop on the 2 KiB data frames that
 * make up most of a storage capture.
 */
#include "tcpcore.h"

#include <zlib.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FC_CRC_CLMUL 1
#include <wmmintrin.h>
#endif

#define ETH_HEADER_LEN 14
#define MAX_TAGS 2
#define ETHERTYPE_FCOE 0x8906
#define FCOE_HEADER_LEN 14
#define FCOE_TRAILER_LEN 8
#define FC_HEADER_LEN 24
#define R_CTL_SOL_DATA 0x01
#define TYPE_FCP 0x08
#define F_CTL_EXCHANGE_CONTEXT 0x800000 /* FC-FS-4 §9.8: sent by the responder */
#define F_CTL_END_SEQUENCE 0x080000

/* ---- CRC-32 ----------------------------------------------------------- */

#ifdef FC_CRC_CLMUL
#define CLMUL_MIN 64

/* The CRC register (not inverted) after ``n`` bytes at ``p``, n a multiple
 * of 16 and at least CLMUL_MIN: four 128-bit lanes folded 512 bits at a
 * time, folded into one, then reduced to 32 bits (Barrett). */
__attribute__((target("pclmul,sse2"))) static uint32_t crc_clmul(uint32_t crc, const uint8_t *p,
                                                                 size_t n)
{
    const __m128i k1k2 = _mm_set_epi64x(0x1c6e41596LL, 0x154442bd4LL);
    const __m128i k3k4 = _mm_set_epi64x(0x0ccaa009eLL, 0x1751997d0LL);
    const __m128i k5 = _mm_set_epi64x(0, 0x163cd6124LL);
    const __m128i poly_mu = _mm_set_epi64x(0x1f7011641LL, 0x1db710641LL);
    const __m128i mask32 = _mm_set_epi32(0, 0, 0, -1);
    __m128i x0 = _mm_loadu_si128((const __m128i *)p);
    __m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(p + 48));
    x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int)crc));
    p += 64;
    n -= 64;
#define FOLD(x, k, next)                                                              \
    _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00),                     \
                                _mm_clmulepi64_si128(x, k, 0x11)), next)
    for (; n >= 64; p += 64, n -= 64) {
        x0 = FOLD(x0, k1k2, _mm_loadu_si128((const __m128i *)p));
        x1 = FOLD(x1, k1k2, _mm_loadu_si128((const __m128i *)(p + 16)));
        x2 = FOLD(x2, k1k2, _mm_loadu_si128((const __m128i *)(p + 32)));
        x3 = FOLD(x3, k1k2, _mm_loadu_si128((const __m128i *)(p + 48)));
    }
    x0 = FOLD(x0, k3k4, x1);
    x0 = FOLD(x0, k3k4, x2);
    x0 = FOLD(x0, k3k4, x3);
    for (; n >= 16; p += 16, n -= 16)
        x0 = FOLD(x0, k3k4, _mm_loadu_si128((const __m128i *)p));
#undef FOLD
    /* 128 -> 64 bits (appending 32 zero bits), 64 -> 32, then Barrett */
    x0 = _mm_xor_si128(_mm_clmulepi64_si128(k3k4, x0, 0x01), _mm_srli_si128(x0, 8));
    x0 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x0, mask32), k5, 0x00),
                       _mm_srli_si128(x0, 4));
    __m128i t = _mm_clmulepi64_si128(_mm_and_si128(x0, mask32), poly_mu, 0x10);
    t = _mm_clmulepi64_si128(_mm_and_si128(t, mask32), poly_mu, 0x00);
    return (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(_mm_xor_si128(t, x0), 4));
}

static int clmul_usable = -1; /* -1: not asked yet */
#endif

/* CRC-32 of ``n`` bytes, continuing ``crc`` as zlib's crc32() does. */
static uint32_t fc_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
#ifdef FC_CRC_CLMUL
    if (clmul_usable < 0) {
        __builtin_cpu_init();
        clmul_usable = __builtin_cpu_supports("pclmul") != 0;
    }
    if (clmul_usable && n >= CLMUL_MIN) {
        size_t whole = n & ~(size_t)15;
        crc = ~crc_clmul(~crc, p, whole);
        p += whole;
        n -= whole;
    }
#endif
    return (uint32_t)crc32(crc, p, (uInt)n);
}

/* _fastpath.crc32(data, value=0): zlib.crc32 through fc_crc32 (the tests
 * compare the two). */
static PyObject *fastpath_crc32(PyObject *module, PyObject *args)
{
    Py_buffer data;
    unsigned int value = 0;
    if (!PyArg_ParseTuple(args, "y*|I:crc32", &data, &value))
        return NULL;
    uint32_t crc = fc_crc32(value, (const uint8_t *)data.buf, (size_t)data.len);
    PyBuffer_Release(&data);
    return PyLong_FromUnsignedLong(crc);
}

/* ---- the provider's calls --------------------------------------------- */

void fc_scan_init(FcScan *fc)
{
    memset(fc, 0, sizeof *fc);
}

int fc_scan_set(FcScan *fc, PyObject *provider)
{
    PyObject *on_data = NULL, *on_iu = NULL;
    if (provider != Py_None
        && ((on_data = PyObject_GetAttrString(provider, "on_data")) == NULL
            || (on_iu = PyObject_GetAttrString(provider, "on_iu")) == NULL)) {
        Py_XDECREF(on_data);
        return -1;
    }
    fc_scan_clear(fc);
    fc->provider = provider == Py_None ? NULL : Py_NewRef(provider);
    fc->on_data = on_data;
    fc->on_iu = on_iu;
    return 0;
}

int fc_scan_traverse(FcScan *fc, visitproc visit, void *arg)
{
    Py_VISIT(fc->provider);
    Py_VISIT(fc->on_data);
    Py_VISIT(fc->on_iu);
    return 0;
}

void fc_scan_clear(FcScan *fc)
{
    Py_CLEAR(fc->provider);
    Py_CLEAR(fc->on_data);
    Py_CLEAR(fc->on_iu);
    fc->batch.pending = 0;
}

/* Call ``method`` with ``n`` integers and then ``extra`` (borrowed)
 * arguments: 0, or -1 with an exception set. */
static int call_with(PyObject *method, const long long *values, int n, PyObject *const *extra,
                     int n_extra)
{
    PyObject *args[13];
    int made = 0;
    for (; made < n; made++)
        if ((args[made] = PyLong_FromLongLong(values[made])) == NULL)
            break;
    PyObject *result = NULL;
    if (made == n) {
        for (int i = 0; i < n_extra; i++)
            args[n + i] = extra[i];
        result = PyObject_Vectorcall(method, args, (size_t)(n + n_extra), NULL);
    }
    for (int i = 0; i < made; i++)
        Py_DECREF(args[i]);
    if (result == NULL)
        return -1;
    Py_DECREF(result);
    return 0;
}

int fc_scan_flush(FcScan *fc)
{
    FcBatch *b = &fc->batch;
    if (!b->pending)
        return 0;
    b->pending = 0;
    long long values[13] = {b->s_id, b->d_id, b->f_ctl, b->ox_id, b->rx_id, b->parameter,
                            b->total, b->ts, b->frames, b->more, b->end_f_ctl, b->end_total,
                            b->end_ts};
    return call_with(fc->on_data, values, 13, NULL, 0);
}

/* on_iu(r_ctl, s_id, d_id, f_ctl, ox_id, rx_id, ts, payload, frame) */
static int fc_iu(FcScan *fc, const uint8_t *h, Py_ssize_t total, int64_t ts)
{
    if (fc_scan_flush(fc) < 0)
        return -1;
    long long values[7] = {h[0], be32(h + 4) & 0xFFFFFF, be32(h) & 0xFFFFFF,
                           be32(h + 8) & 0xFFFFFF, be16(h + 16), be16(h + 18), ts};
    PyObject *frame = scanned_frame();  /* borrowed */
    if (frame == NULL)
        return -1;
    PyObject *payload = PyBytes_FromStringAndSize((const char *)h + FC_HEADER_LEN, total);
    if (payload == NULL)
        return -1;
    PyObject *extra[2] = {payload, frame};
    int status = call_with(fc->on_iu, values, 7, extra, 2);
    Py_DECREF(payload);
    return status;
}

/* A data frame joins the pending batch when it continues its sequence (the
 * same exchange, from the same side, and SEQ_ID); the one ending it goes out
 * with the batch.  Any other frame sends the batch first. */
int fc_scan_record(FcScan *fc, const uint8_t *p, Py_ssize_t n, long long wirelen, int64_t ts)
{
    Py_ssize_t off = 12;
    if (n != wirelen || n < ETH_HEADER_LEN)
        return 0;
    uint16_t type = be16(p + off);
    for (int tags = 0; tags < MAX_TAGS && (type == 0x8100 || type == 0x88A8 || type == 0x9100);
         tags++) {
        off += 4;
        if (off + 2 > n)
            return 0;
        type = be16(p + off);
    }
    off += 2;
    Py_ssize_t start = off + FCOE_HEADER_LEN, crc_at = n - FCOE_TRAILER_LEN;
    /* byte 1 of a T11 header is reserved (0); the pre-T11 header has a length there */
    if (type != ETHERTYPE_FCOE || crc_at - start < FC_HEADER_LEN + 4 || (crc_at - start) % 4
        || p[off + 1] != 0)
        return 0;
    const uint8_t *h = p + start;
    if (h[0] >= 0x10 || h[8] != TYPE_FCP || h[13] != 0)  /* R_CTL, TYPE, DF_CTL */
        return 0;
    uint32_t crc = (uint32_t)p[crc_at] | (uint32_t)p[crc_at + 1] << 8
                   | (uint32_t)p[crc_at + 2] << 16 | (uint32_t)p[crc_at + 3] << 24;
    if (fc_crc32(0, h, (size_t)(crc_at - start)) != crc)
        return 0;
    long long total = crc_at - start - FC_HEADER_LEN;
    if (h[0] != R_CTL_SOL_DATA)
        return fc_iu(fc, h, total, ts) < 0 ? -1 : 1;
    long long s_id = be32(h + 4) & 0xFFFFFF, d_id = be32(h) & 0xFFFFFF;
    long long f_ctl = be32(h + 8) & 0xFFFFFF, ox_id = be16(h + 16), rx_id = be16(h + 18);
    int seq_id = h[12];
    FcBatch *b = &fc->batch;
    int end_sequence = (f_ctl & F_CTL_END_SEQUENCE) != 0;
    if (b->pending && b->s_id == s_id && b->d_id == d_id && b->ox_id == ox_id
        && b->rx_id == rx_id && b->seq_id == seq_id
        && !((b->f_ctl ^ f_ctl) & F_CTL_EXCHANGE_CONTEXT)) {
        b->frames++;
        if (!end_sequence) {
            b->more += total;  /* no fill bytes before End_Sequence */
            return 1;
        }
        b->end_f_ctl = f_ctl;
        b->end_total = total;
        b->end_ts = ts;
        return fc_scan_flush(fc) < 0 ? -1 : 1;
    }
    if (fc_scan_flush(fc) < 0)
        return -1;
    *b = (FcBatch){1, s_id, d_id, f_ctl, ox_id, rx_id, be32(h + 20), total, ts, 1, 0, 0, 0, -1,
                   seq_id};
    if (end_sequence && fc_scan_flush(fc) < 0)
        return -1;
    return 1;
}

static PyMethodDef fcoe_functions[] = {
    {"crc32", fastpath_crc32, METH_VARARGS,
     "crc32(data, value=0): CRC-32 as zlib.crc32 computes it (the FCoE scanner's FC CRC)"},
    {NULL},
};

int fcoe_add_functions(PyObject *module)
{
    return PyModule_AddFunctions(module, fcoe_functions);
}
