/* Byte kernels of the vsbengine core (included by engine/_core.pyx).
 *
 * Classification. A unit (segment or record) is fine when every byte belongs to
 * a character class its position allows. The scalar kernel ORs together the
 * classes (tables cls/val of _core.pyx) that the per-position mask `allow` does
 * not permit:
 *   digit 1, blank 2, sign (+ -) 4, letter A-Z a-z 8, other printable ASCII 16,
 *   Latin-1 0xA0-0xFF 32, anything else 64.
 * The vector kernels classify 16 (SSE4.1) or 32 (AVX2) bytes at a time with two
 * nibble lookups (pshufb): each bit of LO[low nibble] & HI[high nibble] is one
 * product set of nibbles, and a position's `accept` mask (vsb_accept) says which
 * bits it takes:
 *   NUM 1 (0x30-0x39), BLANK 2 (0x20), SIGN 4 (0x2B 0x2D),
 *   T1 8 (0x20-0x6F and 0xA0-0xFF), T2 16 (0x70-0x7E): T1|T2 = any text;
 *   AL1 32, AL2 64: the letters (for the check-digit values).
 * A newline is "anything else" in every position, so a unit without findings has
 * no line break inside: the scan looks for one only when a unit is not fine.
 *
 * All kernels also sum the record check-digit values of the first sum_len bytes
 * (digit 0-9, blank 10, letter 11-36, anything else 37). The vector kernel is
 * chosen once, at run time (vsb_pick): AVX2, SSE4.1, or the portable one; the
 * build needs no -march flag. The vector kernels run a record (350 bytes) fully
 * unrolled.
 *
 * Digits. vsb_digits reads n ASCII digits known to be digits; vsb_read reads a
 * zone of up to 16 digits with one or two 8-byte loads (SWAR), inside the unit.
 */
#ifndef VSB_KERNELS_H
#define VSB_KERNELS_H

#include <stdint.h>
#include <string.h>

/* Always inlined: the per-zone reader and the rules, folded into the built-in code. */
#if defined(__GNUC__) || defined(__clang__)
#define VSB_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define VSB_ALWAYS_INLINE inline
#endif

/* Not inlined: a loop of its own, with its own registers. */
#if defined(__GNUC__) || defined(__clang__)
#define VSB_NOINLINE __attribute__((noinline))
#else
#define VSB_NOINLINE
#endif

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define VSB_X86 1
#include <immintrin.h>
#endif

enum { VSB_NUM = 1, VSB_BLANK = 2, VSB_SIGN = 4, VSB_T1 = 8, VSB_T2 = 16, VSB_AL1 = 32, VSB_AL2 = 64 };
enum { VSB_TEXT = VSB_T1 | VSB_T2, VSB_VALUED = VSB_NUM | VSB_BLANK | VSB_AL1 | VSB_AL2 };

typedef int (*vsb_classify_fn)(const uint8_t *rec, const uint8_t *allow, const uint8_t *accept,
                               int n, int sum_len, const uint8_t *cls, const uint8_t *val,
                               uint32_t *sum_out);

/* The portable kernel: class tables, byte by byte. */
static int vsb_classify_scalar(const uint8_t *rec, const uint8_t *allow, const uint8_t *accept,
                               int n, int sum_len, const uint8_t *cls, const uint8_t *val,
                               uint32_t *sum_out)
{
    uint8_t bad = 0;
    uint32_t sum = 0;
    (void)accept;
    for (int i = 0; i < sum_len; i++)
        sum += val[rec[i]];
    for (int j = 0; j < n; j++)
        bad |= cls[rec[j]] & (uint8_t)~allow[j];
    *sum_out = sum;
    return bad != 0;
}

#ifdef VSB_X86
/* The nibble tables (see above), as 16 bytes each. */
#define VSB_LO_BYTES                                                                  \
    (char)(VSB_NUM | VSB_BLANK | VSB_T1 | VSB_T2 | VSB_AL2),                          \
        (char)(VSB_NUM | VSB_T1 | VSB_T2 | VSB_AL1 | VSB_AL2),                        \
        (char)(VSB_NUM | VSB_T1 | VSB_T2 | VSB_AL1 | VSB_AL2),                        \
        (char)(VSB_NUM | VSB_T1 | VSB_T2 | VSB_AL1 | VSB_AL2),                        \
        (char)(VSB_NUM | VSB_T1 | VSB_T2 | VSB_AL1 | VSB_AL2),                        \
        (char)(VSB_NUM | VSB_T1 | VSB_T2 | VSB_AL1 | VSB_AL2),                        \
        (char)(VSB_NUM | VSB_T1 | VSB_T2 | VSB_AL1 | VSB_AL2),                        \
        (char)(VSB_NUM | VSB_T1 | VSB_T2 | VSB_AL1 | VSB_AL2),                        \
        (char)(VSB_NUM | VSB_T1 | VSB_T2 | VSB_AL1 | VSB_AL2),                        \
        (char)(VSB_NUM | VSB_T1 | VSB_T2 | VSB_AL1 | VSB_AL2),                        \
        (char)(VSB_T1 | VSB_T2 | VSB_AL1 | VSB_AL2),                                  \
        (char)(VSB_SIGN | VSB_T1 | VSB_T2 | VSB_AL1),                                 \
        (char)(VSB_T1 | VSB_T2 | VSB_AL1),                                            \
        (char)(VSB_SIGN | VSB_T1 | VSB_T2 | VSB_AL1),                                 \
        (char)(VSB_T1 | VSB_T2 | VSB_AL1), (char)(VSB_T1 | VSB_AL1)
#define VSB_HI_BYTES                                                                  \
    0, 0, (char)(VSB_BLANK | VSB_SIGN | VSB_T1), (char)(VSB_NUM | VSB_T1),            \
        (char)(VSB_T1 | VSB_AL1), (char)(VSB_T1 | VSB_AL2), (char)(VSB_T1 | VSB_AL1), \
        (char)(VSB_T2 | VSB_AL2), 0, 0, (char)VSB_T1, (char)VSB_T1, (char)VSB_T1,      \
        (char)VSB_T1, (char)VSB_T1, (char)VSB_T1
/* Value = byte - OFF[high nibble] for digits, blank and letters. */
#define VSB_OFF_BYTES 0, 0, 22, 48, 54, 54, 86, 86, 0, 0, 0, 0, 0, 0, 0, 0

/* The SSE4.1 kernel's body, as the AVX2 one's below (16 bytes a block). */
__attribute__((target("sse4.1"))) static VSB_ALWAYS_INLINE int vsb_sse41_body(
    const uint8_t *rec, const uint8_t *accept, int n, int sum_len, uint32_t *sum_out)
{
    const __m128i LO = _mm_setr_epi8(VSB_LO_BYTES);
    const __m128i HI = _mm_setr_epi8(VSB_HI_BYTES);
    const __m128i OFF = _mm_setr_epi8(VSB_OFF_BYTES);
    const __m128i m0f = _mm_set1_epi8(0x0F), valued = _mm_set1_epi8(VSB_VALUED);
    const __m128i v37 = _mm_set1_epi8(37), zero = _mm_setzero_si128();
    const __m128i lane = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m128i ok = _mm_set1_epi8(-1), sums = zero, acc = zero;
    int j = 0, k = 0;
    /* Whole blocks, always leaving the last (overlapping) block to the tail. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 24
#endif
    for (; j + 16 < n; j += 16) {
        __m128i c = _mm_loadu_si128((const __m128i *)(rec + j));
        __m128i hi = _mm_and_si128(_mm_srli_epi16(c, 4), m0f);
        __m128i bits = _mm_and_si128(_mm_shuffle_epi8(LO, _mm_and_si128(c, m0f)),
                                     _mm_shuffle_epi8(HI, hi));
        __m128i a = _mm_loadu_si128((const __m128i *)(accept + j));
        ok = _mm_min_epu8(ok, _mm_and_si128(bits, a));
        if (sum_len) {
            __m128i v = _mm_sub_epi8(c, _mm_shuffle_epi8(OFF, hi));
            __m128i other = _mm_cmpeq_epi8(_mm_and_si128(bits, valued), zero);
            acc = _mm_add_epi8(acc, _mm_blendv_epi8(v, v37, other));
            if (++k == 6) {
                sums = _mm_add_epi64(sums, _mm_sad_epu8(acc, zero));
                acc = zero;
                k = 0;
            }
        }
    }
    {
        int o = n - 16;
        __m128i c = _mm_loadu_si128((const __m128i *)(rec + o));
        __m128i hi = _mm_and_si128(_mm_srli_epi16(c, 4), m0f);
        __m128i bits = _mm_and_si128(_mm_shuffle_epi8(LO, _mm_and_si128(c, m0f)),
                                     _mm_shuffle_epi8(HI, hi));
        __m128i a = _mm_loadu_si128((const __m128i *)(accept + o));
        ok = _mm_min_epu8(ok, _mm_and_si128(bits, a));
        if (sum_len) {
            /* Lanes not summed yet and before sum_len. */
            __m128i from = _mm_set1_epi8((char)(j - o - 1)), to = _mm_set1_epi8((char)(sum_len - o));
            __m128i keep = _mm_and_si128(_mm_cmpgt_epi8(lane, from), _mm_cmplt_epi8(lane, to));
            __m128i v = _mm_sub_epi8(c, _mm_shuffle_epi8(OFF, hi));
            __m128i other = _mm_cmpeq_epi8(_mm_and_si128(bits, valued), zero);
            acc = _mm_add_epi8(acc, _mm_and_si128(_mm_blendv_epi8(v, v37, other), keep));
            sums = _mm_add_epi64(sums, _mm_sad_epu8(acc, zero));
        }
    }
    *sum_out = (uint32_t)(_mm_cvtsi128_si32(sums) + _mm_cvtsi128_si32(_mm_srli_si128(sums, 8)));
    ok = _mm_cmpeq_epi8(ok, zero);
    return !_mm_testz_si128(ok, ok);
}

__attribute__((target("sse4.1"))) static int vsb_classify_sse41(
    const uint8_t *rec, const uint8_t *allow, const uint8_t *accept, int n, int sum_len,
    const uint8_t *cls, const uint8_t *val, uint32_t *sum_out)
{
    (void)allow, (void)cls, (void)val;
    if (n == 350 && sum_len == 348)
        return vsb_sse41_body(rec, accept, 350, 348, sum_out);
    if (n == 350 && sum_len == 0)
        return vsb_sse41_body(rec, accept, 350, 0, sum_out);
    return vsb_sse41_body(rec, accept, n, sum_len, sum_out);
}

/* The AVX2 kernel's body, inlined with constant n and sum_len for a record (fully
 * unrolled: no loop overhead) and with the caller's for the rest. The blocks' ANDs
 * with the accept masks fold into one running minimum (a zero byte: a bad
 * position); the check-digit values (at most 37 a byte) add up bytewise over six
 * blocks before each horizontal sum. */
__attribute__((target("avx2"))) static VSB_ALWAYS_INLINE int vsb_avx2_body(
    const uint8_t *rec, const uint8_t *accept, int n, int sum_len, uint32_t *sum_out)
{
    const __m256i LO = _mm256_setr_epi8(VSB_LO_BYTES, VSB_LO_BYTES);
    const __m256i HI = _mm256_setr_epi8(VSB_HI_BYTES, VSB_HI_BYTES);
    const __m256i OFF = _mm256_setr_epi8(VSB_OFF_BYTES, VSB_OFF_BYTES);
    const __m256i m0f = _mm256_set1_epi8(0x0F), valued = _mm256_set1_epi8(VSB_VALUED);
    const __m256i v37 = _mm256_set1_epi8(37), zero = _mm256_setzero_si256();
    const __m256i lane = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                          17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
    __m256i ok = _mm256_set1_epi8(-1), sums = zero, acc = zero;
    int j = 0, k = 0;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 16
#endif
    for (; j + 32 < n; j += 32) {
        __m256i c = _mm256_loadu_si256((const __m256i *)(rec + j));
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(c, 4), m0f);
        __m256i bits = _mm256_and_si256(_mm256_shuffle_epi8(LO, _mm256_and_si256(c, m0f)),
                                        _mm256_shuffle_epi8(HI, hi));
        __m256i a = _mm256_loadu_si256((const __m256i *)(accept + j));
        ok = _mm256_min_epu8(ok, _mm256_and_si256(bits, a));
        if (sum_len) {
            __m256i v = _mm256_sub_epi8(c, _mm256_shuffle_epi8(OFF, hi));
            __m256i other = _mm256_cmpeq_epi8(_mm256_and_si256(bits, valued), zero);
            acc = _mm256_add_epi8(acc, _mm256_blendv_epi8(v, v37, other));
            if (++k == 6) {
                sums = _mm256_add_epi64(sums, _mm256_sad_epu8(acc, zero));
                acc = zero;
                k = 0;
            }
        }
    }
    {
        int o = n - 32;
        __m256i c = _mm256_loadu_si256((const __m256i *)(rec + o));
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(c, 4), m0f);
        __m256i bits = _mm256_and_si256(_mm256_shuffle_epi8(LO, _mm256_and_si256(c, m0f)),
                                        _mm256_shuffle_epi8(HI, hi));
        __m256i a = _mm256_loadu_si256((const __m256i *)(accept + o));
        ok = _mm256_min_epu8(ok, _mm256_and_si256(bits, a));
        if (sum_len) {
            __m256i from = _mm256_set1_epi8((char)(j - o - 1));
            __m256i to = _mm256_set1_epi8((char)(sum_len - o));
            __m256i keep = _mm256_and_si256(_mm256_cmpgt_epi8(lane, from), _mm256_cmpgt_epi8(to, lane));
            __m256i v = _mm256_sub_epi8(c, _mm256_shuffle_epi8(OFF, hi));
            __m256i other = _mm256_cmpeq_epi8(_mm256_and_si256(bits, valued), zero);
            acc = _mm256_add_epi8(acc, _mm256_and_si256(_mm256_blendv_epi8(v, v37, other), keep));
            sums = _mm256_add_epi64(sums, _mm256_sad_epu8(acc, zero));
        }
    }
    {
        __m128i s = _mm_add_epi64(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1));
        *sum_out = (uint32_t)(_mm_cvtsi128_si32(s) + _mm_cvtsi128_si32(_mm_srli_si128(s, 8)));
    }
    ok = _mm256_cmpeq_epi8(ok, zero);
    return !_mm256_testz_si256(ok, ok);
}

__attribute__((target("avx2"))) static int vsb_classify_avx2(
    const uint8_t *rec, const uint8_t *allow, const uint8_t *accept, int n, int sum_len,
    const uint8_t *cls, const uint8_t *val, uint32_t *sum_out)
{
    (void)allow, (void)cls, (void)val;
    if (n == 350 && sum_len == 348)
        return vsb_avx2_body(rec, accept, 350, 348, sum_out);
    if (n == 350 && sum_len == 0)
        return vsb_avx2_body(rec, accept, 350, 0, sum_out);
    return vsb_avx2_body(rec, accept, n, sum_len, sum_out);
}
#endif

/* The kernels by name: 0 portable, 1 SSE4.1, 2 AVX2. */
static vsb_classify_fn vsb_kernel(int which)
{
#ifdef VSB_X86
    if (which == 2)
        return vsb_classify_avx2;
    if (which == 1)
        return vsb_classify_sse41;
#endif
    (void)which;
    return vsb_classify_scalar;
}

/* The best kernel this machine runs (2, 1 or 0). */
static int vsb_best_kernel(void)
{
#ifdef VSB_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2"))
        return 2;
    if (__builtin_cpu_supports("sse4.1"))
        return 1;
#endif
    return 0;
}

static int vsb_kernel_available(int which)
{
    return which == 0 || (which <= vsb_best_kernel());
}

/* x times k in one multiplication: gcc would make x * 2561 a shift and two adds
 * (three instructions for one; the same time), so k is hidden from it. */
static inline uint64_t vsb_mul(uint64_t x, uint64_t k)
{
#if defined(__GNUC__) || defined(__clang__)
    __asm__("" : "+r"(k));
#endif
    return x * k;
}

static inline uint64_t vsb_swar8(uint64_t x)
{
    /* Eight digit values 0-9, one a byte, the first in the low byte: pairs, fours,
     * then all eight, each step one multiplication that adds 10 (100, 10000) times a
     * lane to the lane above it (no carry crosses a lane: 99, 9999, 99999999). */
    x = (vsb_mul(x, 10 * 256 + 1) >> 8) & 0x00FF00FF00FF00FFULL;
    x = ((x * (100 * 65536 + 1)) >> 16) & 0x0000FFFF0000FFFFULL;
    return (x * (10000 * 4294967296ULL + 1)) >> 32;
}

static inline int64_t vsb_digits(const uint8_t *p, int n)
{
    uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t x;
    while (n >= 8) {
        memcpy(&x, p, 8);
        v = v * 100000000ULL + vsb_swar8(x - 0x3030303030303030ULL);
        p += 8;
        n -= 8;
    }
#endif
    while (n > 0) {
        v = v * 10 + (uint64_t)(*p - '0');
        p++;
        n--;
    }
    return (int64_t)v;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define VSB_SWAR 1
/* n (1-8) digits at p, with 8 bytes readable from p: the bytes after the zone are
 * shifted out (the subtraction borrows only upwards, into them). */
static inline uint64_t vsb_head8(const uint8_t *p, int n)
{
    uint64_t x;
    memcpy(&x, p, 8);
    return vsb_swar8((x & 0x0F0F0F0F0F0F0F0FULL) << (8 * (8 - n)));
}

/* n (1-8) digits ending at p + n, with 8 bytes readable from p + n - 8: the bytes
 * before the zone are made zeros first. */
static inline uint64_t vsb_tail8(const uint8_t *p, int n)
{
    uint64_t x, keep = n == 8 ? ~0ULL : ~((1ULL << (8 * (8 - n))) - 1);
    memcpy(&x, p + n - 8, 8);
    return vsb_swar8(x & keep & 0x0F0F0F0F0F0F0F0FULL);
}
#endif

#ifdef VSB_SWAR
/* n (3-4) digits at p, with 4 bytes readable from p. */
static inline uint32_t vsb_head4(const uint8_t *p, int n)
{
    uint32_t x;
    memcpy(&x, p, 4);
    x = (x & 0x0F0F0F0Fu) << (8 * (4 - n));
    x = ((x * (10 * 256 + 1)) >> 8) & 0x00FF00FFu;
    return (x * (100 * 65536 + 1)) >> 16;
}
#endif

/* Read modes of a zone of digits (chosen when the tables are built). */
enum {
    VSB_READ_LOOP = 0, VSB_READ_HEAD = 1, VSB_READ_TAIL = 2, VSB_READ_TWO = 3,
    VSB_READ_1 = 4, VSB_READ_2 = 5, VSB_READ_HEAD4 = 6
};

/* n digits at p (known to be digits), read as `mode` says. */
static inline int64_t vsb_read(const uint8_t *p, int n, int mode)
{
    switch (mode) {
    case VSB_READ_1:
        return p[0] - '0';
    case VSB_READ_2:
        return (p[0] - '0') * 10 + (p[1] - '0');
#ifdef VSB_SWAR
    case VSB_READ_HEAD4:
        return (int64_t)vsb_head4(p, n);
    case VSB_READ_HEAD:
        return (int64_t)vsb_head8(p, n);
    case VSB_READ_TAIL:
        return (int64_t)vsb_tail8(p, n);
    case VSB_READ_TWO:
        return (int64_t)(vsb_head8(p, n - 8) * 100000000ULL + vsb_tail8(p + n - 8, 8));
#endif
    default:
        return vsb_digits(p, n);
    }
}

/* Reading the zones of a unit whose characters are all fine (so every digit zone
 * holds digits): one op per zone, built by CoreTables from the zone tables. */
enum {
    VSB_OP_SIGNED = 1,     /* a sign before the digits */
    VSB_OP_BLANK_OK = 2,   /* an amount that may be all blanks */
    VSB_OP_MANDATORY = 4,
    VSB_OP_DATE = 8,       /* YYYYMMDD */
    VSB_OP_MONTH = 16,     /* YYYYMM */
    VSB_OP_WIDE = 32,      /* an int64 column (else int32) */
    VSB_OP_TEXT = 64,      /* a text zone (checked for blanks when mandatory) */
    VSB_OP_CHECKS = 128    /* more than a read: mandatory, a date, allowed values */
};

typedef struct {
    int16_t start;       /* first digit (after the sign) */
    uint8_t n;           /* digits */
    uint8_t mode;        /* VSB_READ_* */
    uint8_t flags;       /* VSB_OP_* */
    uint8_t slot;        /* its column among the layout's (63: none) */
    uint8_t pos;         /* its position among the layout's zones */
    uint8_t rng_count;   /* allowed values: rng_lo/rng_hi[rng_first...] */
    int32_t rng_first;
    int32_t gslot;       /* its column (global slot), or -1 */
    int32_t zone;        /* global zone index */
} vsb_op;

/* Findings of vsb_read_unit: (zone, kind) pairs. */
typedef struct {
    int32_t zone;
    int32_t kind;
} vsb_hit;

enum { VSB_E_VALUE = 3, VSB_E_MISSING = 10, VSB_E_DATE = 11 };

static const uint8_t vsb_month_days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

/* Whether day d of month m is a day of the year of x (YYYYMMDD; its year is read
 * only for February). */
static inline int vsb_month_day_ok(uint32_t x, uint32_t m, uint32_t d)
{
    uint32_t dim, y;
    if (m < 1 || m > 12 || d < 1)
        return 0;
    dim = vsb_month_days[m];
    if (m == 2) {
        y = x / 10000;
        if (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
            dim = 29;
    }
    return d <= dim;
}

static inline int vsb_date_ok(int64_t v)
{
    uint32_t x = (uint32_t)v, md = x % 10000;
    if (v < 18000000 || v > 99999999)
        return 0;
    return vsb_month_day_ok(x, md / 100, md % 100);
}

/* vsb_date_ok of a value read from the 8 digits at p: its month and day read from
 * the digits themselves (no division but for February's year). */
static inline int vsb_date8_ok(const uint8_t *p, int64_t v)
{
    uint32_t m = (uint32_t)(p[4] - '0') * 10 + (uint32_t)(p[5] - '0');
    uint32_t d = (uint32_t)(p[6] - '0') * 10 + (uint32_t)(p[7] - '0');
    if (v < 18000000 || v > 99999999)
        return 0;
    return vsb_month_day_ok((uint32_t)v, m, d);
}

/* Read one op of a unit into cur (and its column at row); a finding goes to
 * hits[nh] with its zone's bit in *bits. Returns the new number of findings. Always
 * inlined: called with an op of the generated tables (_layouts.h), the compiler folds
 * the op's fields into the code, so a layout's reader is straight-line code. */
static VSB_ALWAYS_INLINE int vsb_read_op(
    const vsb_op *w, const uint8_t *rec, int64_t *cur, void *const *slots, int32_t row,
    const int64_t *rng_lo, const int64_t *rng_hi, vsb_hit *hits, int nh, uint64_t *bits)
{
    const uint8_t *p = rec + w->start;
    unsigned flags = w->flags;
    int64_t v;
    int blank = 0;
    v = vsb_read(p, w->n, w->mode);
    if (flags & VSB_OP_SIGNED) {
        uint8_t c = p[-1];
        if (c == ' ') {
            v = 0;
            blank = 1;
        } else if (c == '-') {
            v = -v;
        }
    }
    if (flags & VSB_OP_TEXT)
        v = 0;
    cur[w->slot] = v;
    if (w->gslot >= 0) {
        if (flags & VSB_OP_WIDE)
            ((int64_t *)slots[w->gslot])[row] = v;
        else
            ((int32_t *)slots[w->gslot])[row] = (int32_t)v;
    }
    if (flags & VSB_OP_CHECKS) {
        int e = 0;
        if (flags & VSB_OP_TEXT) {
            int j;
            for (j = 0; j < w->n && p[j] == ' '; j++)
                ;
            e = (j == w->n && (flags & VSB_OP_MANDATORY)) ? VSB_E_MISSING : 0;
        } else if (blank) {
            e = (flags & VSB_OP_MANDATORY) ? VSB_E_MISSING : 0;
        } else {
            if (v == 0) {
                if ((flags & VSB_OP_MANDATORY) && !(flags & VSB_OP_SIGNED))
                    e = VSB_E_MISSING;
            } else if (flags & VSB_OP_DATE) {
                if (!(w->n == 8 && !(flags & VSB_OP_SIGNED) ? vsb_date8_ok(p, v) : vsb_date_ok(v)))
                    e = VSB_E_DATE;
            } else if (flags & VSB_OP_MONTH) {
                if (v / 100 < 1800 || v % 100 < 1 || v % 100 > 12)
                    e = VSB_E_DATE;
            }
            if (!e && w->rng_count) {
                int r, ok = 0;
                for (r = w->rng_first; r < w->rng_first + w->rng_count; r++)
                    if (rng_lo[r] <= v && v <= rng_hi[r]) {
                        ok = 1;
                        break;
                    }
                if (!ok)
                    e = VSB_E_VALUE;
            }
        }
        if (e) {
            *bits |= (uint64_t)1 << w->pos;
            hits[nh].zone = w->zone;
            hits[nh].kind = e;
            nh++;
        }
    }
    return nh;
}

/* Read the ops of one unit into cur (and the columns at row); findings into hits
 * (at most nops). Returns the number of findings; *found gets their zones' bits. */
static inline int vsb_read_unit(const uint8_t *rec, const vsb_op *ops, int nops, int64_t *cur,
                                void *const *slots, int32_t row, const int64_t *rng_lo,
                                const int64_t *rng_hi, vsb_hit *hits, uint64_t *found)
{
    int nh = 0;
    uint64_t bits = 0;
    for (int i = 0; i < nops; i++)
        nh = vsb_read_op(&ops[i], rec, cur, slots, row, rng_lo, rng_hi, hits, nh, &bits);
    *found = bits;
    return nh;
}

/* Whether the check digits of a detail record (its bytes 348-349, digits) differ from
 * the sum of its check-digit values s (kept mod 97, 97 for 0). */
static inline int vsb_check_differs(const uint8_t *rec, uint32_t s)
{
    int stored = (rec[348] - '0') * 10 + (rec[349] - '0');
    s %= 97;
    if (s == 0)
        s = 97;
    return stored != (int)s;
}

/* A layout's reader: vsb_read_unit with the layout's ops built in (_layouts.h). */
typedef int (*vsb_reader_fn)(const uint8_t *rec, int64_t *cur, void *const *slots,
                             int32_t row, const int64_t *rng_lo, const int64_t *rng_hi,
                             vsb_hit *hits, uint64_t *found);

/* 8 bytes at p as a little-endian word (byte i at bits 8i..8i+7). */
static inline uint64_t vsb_le64(const uint8_t *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    return x;
}

/* Two adjacent words of the zeros checks built in (_layouts.h): 16 bytes at p, their
 * masks m0, m1 and expected bytes e0, e1 (little-endian words), what differs ORed
 * into an accumulator; with SSE2 one 16-byte compare, else two words. */
#if defined(VSB_X86) && defined(__SSE2__)
typedef __m128i vsb_acc16;
static inline vsb_acc16 vsb_acc16_zero(void) { return _mm_setzero_si128(); }
static inline vsb_acc16 vsb_zeros16(vsb_acc16 acc, const uint8_t *p, uint64_t m0, uint64_t e0,
                                    uint64_t m1, uint64_t e1)
{
    __m128i x = _mm_loadu_si128((const __m128i *)p);
    __m128i m = _mm_set_epi64x((long long)m1, (long long)m0);
    __m128i e = _mm_set_epi64x((long long)e1, (long long)e0);
    return _mm_or_si128(acc, _mm_xor_si128(_mm_and_si128(x, m), e));
}
static inline int vsb_acc16_any(vsb_acc16 acc)
{
    return _mm_movemask_epi8(_mm_cmpeq_epi8(acc, _mm_setzero_si128())) != 0xFFFF;
}
#else
typedef uint64_t vsb_acc16;
static inline vsb_acc16 vsb_acc16_zero(void) { return 0; }
static inline vsb_acc16 vsb_zeros16(vsb_acc16 acc, const uint8_t *p, uint64_t m0, uint64_t e0,
                                    uint64_t m1, uint64_t e1)
{
    return acc | ((vsb_le64(p) & m0) ^ e0) | ((vsb_le64(p + 8) & m1) ^ e1);
}
static inline int vsb_acc16_any(vsb_acc16 acc) { return acc != 0; }
#endif

/* A layout's check of its zeros-only reserved zones, built in (_layouts.h): whether
 * a byte of them is not '0' (what vsb_zeros_differ tells from the masks). */
typedef int (*vsb_zeros_fn)(const uint8_t *rec);

/* Whether a byte of rec differs from expect where mask is 0xFF, over [lo, hi): the
 * reserved zones of a layout that must hold '0', all at once (16 bytes at a time with
 * SSE2 on x86-64, 8 elsewhere). */
static inline int vsb_zeros_differ(const uint8_t *rec, const uint8_t *expect,
                                   const uint8_t *mask, int lo, int hi)
{
    int i = lo;
    uint64_t acc = 0, a, e, m;
#if defined(VSB_X86) && defined(__SSE2__)
    __m128i acc16 = _mm_setzero_si128();
    for (; i + 16 <= hi; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(rec + i));
        __m128i y = _mm_loadu_si128((const __m128i *)(expect + i));
        __m128i z = _mm_loadu_si128((const __m128i *)(mask + i));
        acc16 = _mm_or_si128(acc16, _mm_and_si128(_mm_xor_si128(x, y), z));
    }
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(acc16, _mm_setzero_si128())) != 0xFFFF)
        return 1;
#endif
    for (; i + 8 <= hi; i += 8) {
        memcpy(&a, rec + i, 8);
        memcpy(&e, expect + i, 8);
        memcpy(&m, mask + i, 8);
        acc |= (a ^ e) & m;
    }
    for (; i < hi; i++)
        acc |= (uint64_t)((rec[i] ^ expect[i]) & mask[i]);
    return acc != 0;
}

/* Memory for the scan's outputs: reserved address space, backed page by page as it
 * is written (what a scan does not write costs nothing). */
#include <sys/mman.h>
#include <unistd.h>
#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
#define MAP_ANONYMOUS MAP_ANON
#endif
static void *vsb_reserve(size_t n)
{
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
    void *p;
#ifdef MAP_NORESERVE
    flags |= MAP_NORESERVE;
#endif
    p = mmap(NULL, n, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_NOHUGEPAGE
    /* Small pages: a column written a few times must not cost 2 MB. */
    madvise(p, n, MADV_NOHUGEPAGE);
#endif
    return p;
}

static void vsb_release(void *p, size_t n)
{
    if (p != NULL)
        munmap(p, n);
}

/* Give back the pages of a read-only shared file mapping between from and to (whole
 * pages inside): they stay in the page cache, and an access maps them again with the
 * same bytes. Only for such a mapping: a private or anonymous one would lose its bytes. */
static void vsb_drop_pages(const uint8_t *from, const uint8_t *to)
{
#ifdef MADV_DONTNEED
    static uintptr_t page = 0;
    uintptr_t a, b;
    if (page == 0) {
        long got = sysconf(_SC_PAGESIZE);
        page = got > 0 ? (uintptr_t)got : 4096;
    }
    a = ((uintptr_t)from + page - 1) & ~(page - 1);
    b = (uintptr_t)to & ~(page - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_DONTNEED);
#else
    (void)from;
    (void)to;
#endif
}


#endif
