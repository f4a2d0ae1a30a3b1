/* A numpy memory handler (NEP 49) that keeps the large blocks it frees for the next
   arrays of the same size class, so that a validation's temporaries (columns of a
   million values, masks, gathered rows) reuse pages already backed instead of having
   the system map and zero-fill fresh ones each time.

   Every block starts with a header of 16 bytes: its capacity (the size class, header
   included), so that numpy's data stays 16-byte aligned as malloc's. Blocks below
   vsb_keep_min (256 KB) or above VSB_KEEP_MAX go to malloc and free as they are.
   Kept blocks total at most vsb_keep_limit bytes (VSB_KEEP_SLOTS of them); a free
   that would exceed it gives the block back. One lock (a spin on an atomic flag, held for a
   few loads and stores) guards the kept blocks: numpy may allocate and free from
   any thread. A child process after fork starts with the lock open. */

#ifndef VSB_ARRAYS_H
#define VSB_ARRAYS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#define VSB_KEEP_SMALLEST ((size_t) 256 << 10)
#define VSB_KEEP_MAX ((size_t) 64 << 20)
#define VSB_KEEP_SLOTS 128
#define VSB_HEADER 16

typedef struct { void *raw; size_t cap; } vsb_kept;

static vsb_kept vsb_keep[VSB_KEEP_SLOTS];
static int vsb_n_keep = 0;
static size_t vsb_kept_bytes = 0;
static size_t vsb_keep_limit = (size_t) 96 << 20;
static size_t vsb_keep_min = VSB_KEEP_SMALLEST;   /* the tests lower it */
static uint64_t vsb_keep_hits = 0, vsb_keep_misses = 0;
static volatile int vsb_keep_lock = 0;

static inline void vsb_lock(void) {
    while (__atomic_exchange_n(&vsb_keep_lock, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&vsb_keep_lock, __ATOMIC_RELAXED)) { }
}
static inline void vsb_unlock(void) { __atomic_store_n(&vsb_keep_lock, 0, __ATOMIC_RELEASE); }
static void vsb_unlock_child(void) { vsb_keep_lock = 0; }

/* Whether a block of n bytes (header included) is one that is kept. */
static inline int vsb_keepable(size_t n) {
    return n >= vsb_keep_min && n <= VSB_KEEP_MAX;
}

/* The size class of a block of n bytes (header included): n rounded up to an eighth
   of its power of two (at most 12.5 % more), for blocks that are kept; else n. */
static inline size_t vsb_class(size_t n) {
    size_t step;
    int top;
    if (!vsb_keepable(n)) return n;
    top = 63 - __builtin_clzll((unsigned long long) n);
    step = ((size_t) 1 << top) >> 3;
    return (n + step - 1) & ~(step - 1);
}

/* A kept block of capacity cap, or NULL (always for a class that is not kept). */
static void *vsb_take(size_t cap) {
    int i;
    void *raw = NULL;
    if (!vsb_keepable(cap)) return NULL;
    vsb_lock();
    for (i = vsb_n_keep - 1; i >= 0; i--) {
        if (vsb_keep[i].cap == cap) {
            raw = vsb_keep[i].raw;
            vsb_kept_bytes -= cap;
            vsb_keep[i] = vsb_keep[--vsb_n_keep];
            break;
        }
    }
    if (raw != NULL) vsb_keep_hits++; else vsb_keep_misses++;
    vsb_unlock();
    return raw;
}

static inline void *vsb_mark(void *raw, size_t cap) {
    if (raw == NULL) return NULL;
    *(size_t *) raw = cap;
    return (char *) raw + VSB_HEADER;
}

static inline size_t vsb_total(size_t size, int *overflow) {
    *overflow = size > SIZE_MAX - VSB_HEADER;
    return size + VSB_HEADER;
}

static void *vsb_arr_malloc(void *ctx, size_t size) {
    int overflow;
    size_t cap = vsb_class(vsb_total(size, &overflow));
    void *raw;
    (void) ctx;
    if (overflow) return NULL;
    raw = vsb_take(cap);
    if (raw == NULL) raw = malloc(cap);
    return vsb_mark(raw, cap);
}

static void *vsb_arr_calloc(void *ctx, size_t nelem, size_t elsize) {
    int overflow;
    size_t size, cap;
    void *raw;
    (void) ctx;
    if (elsize && nelem > SIZE_MAX / elsize) return NULL;
    size = nelem * elsize;
    cap = vsb_class(vsb_total(size, &overflow));
    if (overflow) return NULL;
    raw = vsb_take(cap);
    if (raw != NULL) {
        memset((char *) raw + VSB_HEADER, 0, size);
        return vsb_mark(raw, cap);
    }
    return vsb_mark(calloc(1, cap), cap);
}

static void vsb_arr_free(void *ctx, void *ptr, size_t size) {
    void *raw;
    size_t cap;
    (void) ctx;
    (void) size;
    if (ptr == NULL) return;
    raw = (char *) ptr - VSB_HEADER;
    cap = *(size_t *) raw;
    if (vsb_keepable(cap)) {
        vsb_lock();
        if (vsb_n_keep < VSB_KEEP_SLOTS && vsb_kept_bytes + cap <= vsb_keep_limit) {
            vsb_keep[vsb_n_keep].raw = raw;
            vsb_keep[vsb_n_keep].cap = cap;
            vsb_n_keep++;
            vsb_kept_bytes += cap;
            raw = NULL;
        }
        vsb_unlock();
    }
    free(raw);
}

static void *vsb_arr_realloc(void *ctx, void *ptr, size_t size) {
    int overflow;
    size_t cap, total = vsb_total(size, &overflow);
    void *out;
    if (overflow) return NULL;
    if (ptr == NULL) return vsb_arr_malloc(ctx, size);
    cap = *(size_t *) ((char *) ptr - VSB_HEADER);
    if (total <= cap && vsb_class(total) == cap) return ptr;     /* the same class */
    if (cap < vsb_keep_min && vsb_class(total) < vsb_keep_min) {  /* small: malloc's */
        void *raw = realloc((char *) ptr - VSB_HEADER, total);
        return vsb_mark(raw, total);
    }
    out = vsb_arr_malloc(ctx, size);
    if (out == NULL) return NULL;
    memcpy(out, ptr, (total < cap ? total : cap) - VSB_HEADER);
    vsb_arr_free(ctx, ptr, 0);
    return out;
}

/* Scratch memory of the compiled checks, from the same blocks: kept when it is given
   back in a thread that keeps arrays (vsb_keeping, set by keep_arrays), else freed. */
static __thread int vsb_keeping = 0;
static void *vsb_scratch(size_t n) { return vsb_arr_malloc(NULL, n); }
static void *vsb_scratch0(size_t n) { return vsb_arr_calloc(NULL, n, 1); }
static void vsb_unscratch(void *p) {
    if (p == NULL) return;
    if (vsb_keeping) vsb_arr_free(NULL, p, 0);
    else free((char *) p - VSB_HEADER);
}

/* Give back every kept block; returns the bytes given back. */
static size_t vsb_keep_release(void) {
    size_t bytes = 0;
    vsb_lock();
    while (vsb_n_keep > 0) {
        vsb_n_keep--;
        bytes += vsb_keep[vsb_n_keep].cap;
        free(vsb_keep[vsb_n_keep].raw);
    }
    vsb_kept_bytes = 0;
    vsb_unlock();
    return bytes;
}

/* Fill every kept block past its header with the byte c (for the tests: an array
   that relies on fresh memory being zero shows). */
static void vsb_keep_poison(int c) {
    int i;
    vsb_lock();
    for (i = 0; i < vsb_n_keep; i++)
        memset((char *) vsb_keep[i].raw + VSB_HEADER, c, vsb_keep[i].cap - VSB_HEADER);
    vsb_unlock();
}

static int vsb_keep_init(void) {
    return pthread_atfork(NULL, NULL, vsb_unlock_child);
}

#endif
