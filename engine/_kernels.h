/* Byte kernels of the vsbengine core (included by engine/_core.pyx).
 *
 * vsb_classify: for the first n bytes of a unit, OR together the character
 * classes that the per-position mask `allow` does not permit, and sum the
 * record check-digit values of the first sum_len bytes. Classes and values are
 * those of the tables in _core.pyx (cls/val below are the same tables):
 *   digit 1, blank 2, sign (+ -) 4, letter A-Z a-z 8, other printable ASCII 16,
 *   Latin-1 0xA0-0xFF 32, anything else 64;
 *   value: digit 0-9, blank 10, letter 11-36, anything else 37.
 * With SSE2 (every x86-64) 16 bytes go at a time; the rest byte by byte.
 *
 * vsb_digits: the value of n ASCII digits (known to be digits), 8 at a time.
 */
#ifndef VSB_KERNELS_H
#define VSB_KERNELS_H

#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static inline uint8_t vsb_classify(const uint8_t *rec, const uint8_t *allow, int n, int sum_len,
                                   const uint8_t *cls, const uint8_t *val, uint32_t *sum_out)
{
    uint8_t bad = 0;
    uint32_t sum = 0;
    int j = 0;
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    const __m128i c0 = _mm_set1_epi8('0'), c9 = _mm_set1_epi8(9);
    const __m128i blank = _mm_set1_epi8(' '), plus = _mm_set1_epi8('+'), minus = _mm_set1_epi8('-');
    const __m128i c20 = _mm_set1_epi8(0x20), ca = _mm_set1_epi8('a'), c25 = _mm_set1_epi8(25);
    const __m128i c21 = _mm_set1_epi8(0x21), c5d = _mm_set1_epi8(0x5D), ca0 = _mm_set1_epi8((char)0xA0);
    const __m128i b1 = _mm_set1_epi8(1), b2 = _mm_set1_epi8(2), b4 = _mm_set1_epi8(4);
    const __m128i b8 = _mm_set1_epi8(8), b16 = _mm_set1_epi8(16), b32 = _mm_set1_epi8(32);
    const __m128i b64 = _mm_set1_epi8(64), v10 = _mm_set1_epi8(10), v11 = _mm_set1_epi8(11);
    const __m128i v37 = _mm_set1_epi8(37);
    __m128i acc = zero, sums = zero;
    for (; j + 16 <= n; j += 16) {
        __m128i c = _mm_loadu_si128((const __m128i *)(rec + j));
        __m128i a = _mm_loadu_si128((const __m128i *)(allow + j));
        __m128i d = _mm_sub_epi8(c, c0);
        __m128i is_digit = _mm_cmpeq_epi8(_mm_subs_epu8(d, c9), zero);
        __m128i is_blank = _mm_cmpeq_epi8(c, blank);
        __m128i is_sign = _mm_or_si128(_mm_cmpeq_epi8(c, plus), _mm_cmpeq_epi8(c, minus));
        __m128i u = _mm_sub_epi8(_mm_or_si128(c, c20), ca);
        __m128i is_alpha = _mm_cmpeq_epi8(_mm_subs_epu8(u, c25), zero);
        __m128i is_print = _mm_cmpeq_epi8(_mm_subs_epu8(_mm_sub_epi8(c, c21), c5d), zero);
        __m128i is_latin = _mm_cmpeq_epi8(_mm_max_epu8(c, ca0), c);
        __m128i named = _mm_or_si128(_mm_or_si128(is_digit, is_sign), is_alpha);
        __m128i is_punct = _mm_andnot_si128(named, is_print);
        __m128i known = _mm_or_si128(_mm_or_si128(is_print, is_blank), is_latin);
        __m128i k = _mm_or_si128(
            _mm_or_si128(_mm_and_si128(is_digit, b1), _mm_and_si128(is_blank, b2)),
            _mm_or_si128(_mm_and_si128(is_sign, b4), _mm_and_si128(is_alpha, b8)));
        k = _mm_or_si128(k, _mm_or_si128(_mm_and_si128(is_punct, b16), _mm_and_si128(is_latin, b32)));
        k = _mm_or_si128(k, _mm_andnot_si128(known, b64));
        acc = _mm_or_si128(acc, _mm_andnot_si128(a, k));
        if (j + 16 <= sum_len) {
            __m128i v = _mm_or_si128(
                _mm_or_si128(_mm_and_si128(is_digit, d), _mm_and_si128(is_blank, v10)),
                _mm_and_si128(is_alpha, _mm_add_epi8(u, v11)));
            v = _mm_or_si128(v, _mm_andnot_si128(_mm_or_si128(_mm_or_si128(is_digit, is_blank), is_alpha), v37));
            sums = _mm_add_epi64(sums, _mm_sad_epu8(v, zero));
        }
    }
    {
        uint8_t lanes[16];
        _mm_storeu_si128((__m128i *)lanes, acc);
        for (int i = 0; i < 16; i++)
            bad |= lanes[i];
        sum = (uint32_t)(_mm_cvtsi128_si32(sums) + _mm_cvtsi128_si32(_mm_srli_si128(sums, 8)));
    }
    /* The vector loop summed whole blocks below sum_len; the rest is summed below. */
    {
        int summed = (sum_len / 16) * 16;
        if (summed > j) summed = j;
        for (int i = summed; i < sum_len; i++)
            sum += val[rec[i]];
    }
#else
    for (int i = 0; i < sum_len; i++)
        sum += val[rec[i]];
#endif
    for (; j < n; j++)
        bad |= cls[rec[j]] & (uint8_t)~allow[j];
    *sum_out = sum;
    return bad;
}

static inline uint64_t vsb_swar8(uint64_t x)
{
    /* Eight ASCII digits loaded little-endian (first digit in the low byte). */
    x -= 0x3030303030303030ULL;
    x = (x * 10 + (x >> 8)) & 0x00FF00FF00FF00FFULL;
    x = (x * 100 + (x >> 16)) & 0x0000FFFF0000FFFFULL;
    x = (x * 10000 + (x >> 32)) & 0x00000000FFFFFFFFULL;
    return x;
}

static inline int64_t vsb_digits(const uint8_t *p, int n)
{
    uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t x;
    while (n >= 8) {
        memcpy(&x, p, 8);
        v = v * 100000000ULL + vsb_swar8(x);
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

#endif
