/* The streaming rules of the core's scan, in C (compiled by formats/efact/rules.py into
 * a table of Rule rows, resolved by CoreTables; declared for Cython in _core.pxd).
 *
 * vsb_rules_with runs the rules of one record from a rule table and the table's
 * per-layout index of rule kinds. It is always inlined: the scan calls it through
 * vsb_rules (the tables of a CoreTables, read at run time) or through the built-in
 * rules of a layout (_layouts.h, generated), where the table is a C constant and the
 * compiler folds each rule's fields into the code. One implementation, two uses.
 *
 * Needs Python.h (Py_ssize_t) before it, as every Cython module has. */
#ifndef VSB_RULES_H
#define VSB_RULES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "_kernels.h"

/* Streaming rules (compiled from the rule tables by formats/efact/rules.py): what a
 * rule does, where its operands come from, how they compare. */
enum RuleKind {
    RK_CMP = 1,            /* a op b, when c (dates, credit notes) */
    RK_SIGN = 2,           /* a and b both non-zero with different signs */
    RK_IDENT = 3,          /* an identification number's check digits (INSZ, NIHII) */
    RK_EQUAL = 4,          /* a zone equals the same zone of a governing record */
    RK_ORDER = 5,          /* the previous detail record is one of a set of types */
    RK_SEQ = 6,            /* sequence number = the previous one + 1 (mod b) */
    RK_NOT_LAST = 7,       /* the detail record after this one is not of its set */
    RK_ASCENDING = 8,      /* a is not below the same value of the previous record */
    RK_ASCENDING_SEED = 9, /* the record before a chunk seeds RK_ASCENDING */
    RK_TOTAL = 10,         /* at the end of an invoice: a against a total of its records */
    RK_ACCUM = 11          /* adds a to a total of the invoice (when c) */
};

enum RuleSource {
    SRC_NONE = 0,
    SRC_SELF = 1,  /* a column of the record itself */
    SRC_GOV20 = 2, /* of the record 20 of its invoice (0 outside invoices) */
    SRC_GOV10 = 3, /* of the sending's (first) record 10 */
    SRC_GOV50 = 4, /* of the record 50 it completes (records 51/52) */
    SRC_PARAM = 5, /* a parameter of the scan (today, the billed month, ...) */
    SRC_CONST = 6  /* the rule's constant */
};

enum RuleOp {
    OP_GT = 1,
    OP_LT = 2,
    OP_GE = 3,
    OP_LE = 4,
    OP_EQ = 5,
    OP_NE = 6,
    OP_IN = 7, /* one of the rule's set */
    OP_NOT_IN = 8
};

enum RuleTransform {
    X_NONE = 0,
    X_DIV100 = 1 /* v // 100: the month of a date, the union of a mutuality */
};

enum RuleFlag {
    RF_A_PRESENT = 1,    /* only when a is not 0 */
    RF_B_PRESENT = 2,    /* only when b is not 0 */
    RF_TARGET_GOV20 = 4, /* the finding goes on the invoice's record 20 */
    RF_BY_VALUE = 8,     /* RK_EQUAL: compare the columns (else the bytes) */
    RF_FIRE_VALID = 16,  /* RK_IDENT: fire on a valid number (else on an invalid one) */
    RF_GUARD = 32        /* RK_TOTAL: not when a summed zone is unreadable */
};

enum IdentKind { ID_INSZ = 1, ID_NIHII = 2 };

enum TotalMode {
    TM_NONE = 0,   /* a total only (what the summary reads) */
    TM_SUM = 1,    /* a = the total */
    TM_CONTROL = 2 /* a = total mod 97 (97 for 0) */
};

/* The value space of a run (Run.vals): the record's columns, those of its governing
 * records, the parameters, the rules' constants: an operand is one index into it. */
enum ValueSpace {
    V_SELF = 0,
    V_GOV20 = 64,
    V_GOV10 = 128,
    V_GOV50 = 192,
    V_PARAM = 256,
    V_CONST = 272,
    V_SIZE = 512
};

typedef struct {
    int kind;
    int op;
    int flags;
    int a_src;
    int a;
    int a_x;
    int b_src;
    int b;
    int b_x;
    int64_t b_const;
    int c_src;
    int c;
    int c_x;
    int c_op;
    int64_t c_const;
    int set_first;
    int set_count;
    uint64_t need; /* zones (bits by position in the layout) that must be readable */
    uint64_t need20; /* zones of the governing record 20 that must be readable */
    int a_start;
    int b_start;
    int length;
    int total;
    /* Resolved by CoreTables: the operands as indices into the run's value space
     * (V_*), and whether the rule's condition is the one of the rule before it. */
    int ai;
    int bi;
    int ci;
    int same_guard;
    int opmask;           /* RK_CMP: 1 a > b, 2 a < b, 4 a == b (GE = 5, ...) */
    int c_opmask;         /* the same for the condition */
    uint64_t set_mask;    /* the set as bits, when all its values are below 64 */
    int set_small;
    uint64_t layout_mask; /* RK_ORDER, RK_NOT_LAST: the layouts of the set's record types */
} Rule;

/* How the core reads one zone of a unit with a bad byte (built by CoreTables). */
typedef struct {
    int zone;      /* global zone index */
    int start;     /* first digit (after the sign of an amount) */
    int n;         /* digits (or characters) */
    int kind;      /* ZoneKind */
    int mode;      /* VSB_READ_* */
    int slot;      /* its column among the layout's, or 63 (none) */
    int pos;       /* its position among the layout's zones */
    int checks;    /* mandatory, a date, allowed values: more than a read */
    int blank_ok;
    int gslot;     /* its column (global slot), or -1 */
    int wide;      /* an int64 column (else int32) */
    int mandatory;
    int rng_first; /* its allowed values (rng_lo/rng_hi) */
    int rng_count;
} Work;

/* Growable rule findings: (unit, rule). */
typedef struct {
    Py_ssize_t n;
    Py_ssize_t cap;
    int32_t *unit;
    int32_t *rule;
} RuleFindings;

/* Where a scan writes (parts of one memory region): per unit, per layout (its units
 * and columns), per invoice. */
typedef struct {
    int64_t *offsets;
    int8_t *layout;
    int32_t *rank;        /* index of the unit among its layout's, -1 for unknown ones */
    int32_t *invoice;     /* its invoice (a record 20 to its first record 80), else -1 */
    int32_t **units;      /* per layout */
    void **slots;         /* per global slot: int32 or int64 values */
    int32_t *n_of;        /* per layout: units so far */
    int32_t *inv_head;    /* per invoice: unit of its record 20 */
    int32_t *inv_end;     /* unit of its first record 80, or -1 */
    int32_t *inv_stop;    /* one past its last unit */
    int32_t *inv_members; /* its records 20 to 80 */
    int64_t *inv_sums;    /* invoices x totals */
    uint8_t *inv_bad;     /* invoices x totals: a summed zone was unreadable */
    Py_ssize_t n_inv;
} Out;

/* The running state of the streaming rules. */
typedef struct {
    Py_ssize_t own_first;
    const int64_t *params;
    /* the previous detail record (records 10 to 90) */
    int prev_layout;
    Py_ssize_t prev_unit;
    int64_t prev_seq;
    int prev_seq_ok;
    /* governing records (their columns are in vals, V_GOV*) */
    Py_ssize_t r10;
    Py_ssize_t r20;
    Py_ssize_t r50;
    const uint8_t *rec10;
    const uint8_t *rec20;
    const uint8_t *rec50;
    int64_t vals[V_SIZE];
    /* RK_ASCENDING */
    int64_t asc_value;
    int asc_valid;
    /* the open invoice */
    int64_t end_values[64];
    uint64_t end_found;
    /* the zones of the governing record 20 that could not be read */
    uint64_t found20;
    /* per RK_IDENT rule: the last number checked and its verdict (numbers repeat
     * record after record: the beneficiary of an invoice, its providers) */
    int64_t memo_value[512];
    int8_t memo_valid[512];
} Run;

struct vsb_tables;
typedef int (*vsb_rules_fn)(const struct vsb_tables *t, Out *o, Run *r, RuleFindings *rf,
                            Py_ssize_t u, const uint8_t *rec, const int64_t *cur,
                            uint64_t found);

/* What a layout's built-in unit function (_layouts.h) leaves to the core: the unit's
 * zone findings (its zones, then its check digits) in hits, their zones' bits, and
 * whether its zeros-only reserved zones hold anything else. */
typedef struct {
    int nh;
    int zeros;
    uint64_t found;
} vsb_unit_out;

typedef int (*vsb_unit_fn)(const struct vsb_tables *t, Out *o, Run *r, RuleFindings *rf,
                           Py_ssize_t u, const uint8_t *rec, uint32_t s, vsb_hit *hits,
                           vsb_unit_out *out);

/* The compiled layouts and rules as C arrays (owned by a CoreTables). */
typedef struct vsb_tables {
    int n_layouts;
    const int32_t *layout_len;
    const uint8_t *layout_check;
    const int8_t *type_to_layout;
    const uint8_t *allow;         /* n_layouts x 350: character classes */
    const uint8_t *accept;        /* n_layouts x 350: the same for the vector kernels */
    const uint8_t *layout_simd;   /* the vector kernels can check the layout */
    const int16_t *layout_rtype;  /* record type (0 for the segments) */
    const uint8_t *layout_member; /* a record of an invoice (20 to 80) */
    const int32_t *zone_first;
    const int32_t *zone_count;
    const int32_t *z_start;
    const int32_t *z_len;
    const uint8_t *z_kind;
    const uint8_t *z_flags;
    const int16_t *z_slot; /* the zone's column among its layout's, or -1 */
    const int32_t *z_rng_first;
    const int32_t *z_rng_count;
    const int32_t *work_first;
    const int32_t *work_count;
    const int32_t *work_zone;
    const uint8_t *work_mode; /* VSB_READ_* of each work zone */
    Work *works;              /* per work zone, how to read it */
    vsb_op *fast;             /* the same, for a fine unit (what it needs not read left out) */
    const int32_t *fast_first; /* per layout */
    const int32_t *fast_count;
    const vsb_reader_fn *readers; /* per layout, its built-in reader (NULL: walk the ops) */
    const vsb_rules_fn *rulers;   /* per layout, its built-in rules (NULL: the table's) */
    const vsb_zeros_fn *zeros;    /* per layout, its built-in zeros check (NULL: masks) */
    const vsb_unit_fn *units;     /* per layout, all of a fine unit in one built-in function */
    const int64_t *rng_lo;
    const int64_t *rng_hi;
    const int32_t *slot_first; /* per layout: its first column (global slot) */
    const int32_t *slot_count;
    const uint8_t *slot_wide; /* per global slot: int64 (else int32) */
    const int16_t *seq_slot;  /* per layout: the sequence-number column, or -1 */
    const uint64_t *seq_bit;  /* per layout: the sequence-number zone */
    const int32_t *rule_first; /* per layout */
    const int32_t *rule_count;
    const int32_t *kind_first; /* per layout and kind (rows sorted by both) */
    int n_kinds;
    const int32_t *not_last; /* per layout: its RK_NOT_LAST (followed-by) rule, or -1 */
    Rule *rules;
    int n_rules;
    int n_totals;
    const int64_t *set_values;
    const int64_t *consts; /* the rules' constants (V_CONST on) */
    int n_consts;
    int n_slots;
    int max_slots;
    const uint8_t *layout_zero; /* per layout: 1 zeros-only reserved zones (masks), 2 blank-ok ones */
    const uint8_t *zero_expect; /* n_layouts x 350: '0' where a reserved zone is, else 0 */
    const uint8_t *zero_mask;   /* n_layouts x 350: 0xFF there, else 0 */
    const int32_t *zero_span;   /* n_layouts x 2: the bytes [lo, hi) the masks cover */
    int layout_200;
    int layout_300;
    int layout_10;
    int layout_20;
    int layout_50;
    int layout_80;
} Tables;

/* The loops over a layout's rules of a kind: unrolled, so that with a constant rule
 * table (_layouts.h) each rule is straight-line code with its fields folded in. */
#if defined(__GNUC__) && !defined(__clang__)
#define VSB_UNROLL _Pragma("GCC unroll 32")
#elif defined(__clang__)
#define VSB_UNROLL _Pragma("clang loop unroll(full)")
#else
#define VSB_UNROLL
#endif

/* Append a rule finding; -1 when memory runs out. */
/* Room for more findings (the rare path of vsb_emit, kept out of the rules' code). */
static VSB_NOINLINE int vsb_emit_grow(RuleFindings *f)
{
    Py_ssize_t cap = f->cap ? f->cap * 2 : 1024;
    int32_t *a = (int32_t *)realloc(f->unit, (size_t)cap * sizeof(int32_t));
    if (a == NULL)
        return -1;
    f->unit = a;
    a = (int32_t *)realloc(f->rule, (size_t)cap * sizeof(int32_t));
    if (a == NULL)
        return -1;
    f->rule = a;
    f->cap = cap;
    return 0;
}

/* A finding of rule ``rule`` on ``unit`` (f never NULL); -1 on out-of-memory. Inlined
 * into the rules: a store and a count, the growing out of line. */
static VSB_ALWAYS_INLINE int vsb_emit(RuleFindings *f, Py_ssize_t unit, int rule)
{
    if (f->n == f->cap && vsb_emit_grow(f))
        return -1;
    f->unit[f->n] = (int32_t)unit;
    f->rule[f->n] = rule;
    f->n++;
    return 0;
}

static inline int64_t vsb_xform(int64_t v, int x)
{
    if (x == X_DIV100)
        return v >= 0 ? v / 100 : -((-v + 99) / 100);
    return v;
}

static inline int vsb_has50(const Run *r) { return r->r50 >= 0 && r->r50 > r->r20; }

/* 1 when a > b, 2 when a < b, 4 when equal (against a rule's opmask). */
static inline int vsb_cmp(int64_t a, int64_t b) { return (a > b) | ((a < b) << 1) | ((a == b) << 2); }

static inline int vsb_in_set(const Tables *t, const Rule *q, int64_t v)
{
    if (q->set_small)
        return 0 <= v && v < 64 && ((q->set_mask >> v) & 1);
    for (int i = q->set_first; i < q->set_first + q->set_count; i++)
        if (t->set_values[i] == v)
            return 1;
    return 0;
}

/* The rule's condition on c (true without one). */
static inline int vsb_when(const Tables *t, const Run *r, const Rule *q)
{
    int64_t v;
    if (q->c_src == SRC_NONE)
        return 1;
    v = r->vals[q->ci];
    if (q->c_x)
        v = vsb_xform(v, q->c_x);
    if (q->c_opmask)
        return (vsb_cmp(v, q->c_const) & q->c_opmask) != 0;
    if (q->c_op == OP_IN)
        return vsb_in_set(t, q, v);
    if (q->c_op == OP_NOT_IN)
        return !vsb_in_set(t, q, v);
    return (vsb_cmp(v, q->c_const) & q->c_opmask) != 0;
}

/* Check digits of an identification number (INSZ in a 13-digit zone, NIHII in a
 * 12-digit one). */
static inline int vsb_ident_valid(int kind, int64_t v)
{
    int64_t base, check;
    if (v >= 100000000000LL)
        return 0;
    if (kind == ID_INSZ) {
        base = v / 100;
        check = v % 100;
        return 97 - base % 97 == check || 97 - (2000000000 + base) % 97 == check;
    }
    base = v / 100000;
    check = (v / 1000) % 100;
    return 97 - base % 97 == check;
}

/* The totals of the open invoice against its (first) record 80. -1 on out-of-memory. */
static int vsb_close(const Tables *t, Out *o, Run *r, RuleFindings *rf)
{
    Py_ssize_t inv = o->n_inv - 1, end;
    int nt = t->n_totals, i0;
    if (inv < 0 || o->inv_end[inv] < 0)
        return 0;
    end = o->inv_end[inv];
    i0 = t->layout_80 * t->n_kinds + RK_TOTAL;
    for (int i = t->kind_first[i0]; i < t->kind_first[i0 + 1]; i++) {
        const Rule *q = &t->rules[i];
        int64_t stated, total, c;
        if (q->op == TM_NONE)
            continue;
        if ((q->flags & RF_GUARD) && o->inv_bad[inv * nt + q->total])
            continue;
        if (q->need & r->end_found)
            continue;
        stated = r->end_values[q->a];
        total = o->inv_sums[inv * nt + q->total];
        if (q->op == TM_CONTROL) {
            c = total % 97;
            if (c < 0)
                c += 97;
            total = c == 0 ? 97 : c;
        }
        if (stated != total && vsb_emit(rf, end, i))
            return -1;
    }
    return 0;
}

/* What the rules of a record know of its layout L besides its rules (the tables'; in
 * the built-in code constants, so that they fold into its code). */
typedef struct {
    int slots;        /* t->slot_count[L] */
    int slots50;      /* t->slot_count[t->layout_50] */
    int is20, is50, is80;
    int member;       /* t->layout_member[L] */
    int detail;       /* t->layout_check[L] */
    int seq_slot;     /* t->seq_slot[L] */
    uint64_t seq_bit; /* t->seq_bit[L] */
} vsb_rule_facts;

static inline vsb_rule_facts vsb_facts(const Tables *t, int L)
{
    vsb_rule_facts f;
    f.slots = t->slot_count[L];
    f.slots50 = t->slot_count[t->layout_50];
    f.is20 = L == t->layout_20;
    f.is50 = L == t->layout_50;
    f.is80 = L == t->layout_80;
    f.member = t->layout_member[L];
    f.detail = t->layout_check[L];
    f.seq_slot = t->seq_slot[L];
    f.seq_bit = t->seq_bit[L];
    return f;
}

/* Follow the invoice structure and run the rules of one record of layout L, kind by
 * kind, from rules (kf: the layout's first rule of each kind; f: its facts).
 * -1 on out-of-memory. */
static VSB_ALWAYS_INLINE int vsb_rules_with(
    const Tables *t, Out *o, Run *r, RuleFindings *rf, Py_ssize_t u, const uint8_t *rec, int L,
    const int64_t *cur, uint64_t found, const Rule *rules, const int32_t *kf,
    const vsb_rule_facts f)
{
    Py_ssize_t inv = o->n_inv - 1, target;
    int i, nt = t->n_totals, K = f.slots;
    const Rule *q;
    int64_t a, b;
    int fire, guard = 1, detail = f.detail;
    const uint8_t *grec;
    const int64_t *gvals;
    if (f.is20) {
        if (vsb_close(t, o, r, rf))
            return -1;
        inv = o->n_inv;
        o->n_inv += 1;
        o->inv_head[inv] = (int32_t)u;
        o->inv_end[inv] = -1;
        o->inv_members[inv] = 0;
        memset(o->inv_sums + inv * nt, 0, (size_t)nt * sizeof(int64_t));
        memset(o->inv_bad + inv * nt, 0, (size_t)nt);
        r->r20 = u;
        r->rec20 = rec;
        r->found20 = found;
        memcpy(r->vals + V_GOV20, cur, (size_t)K * sizeof(int64_t));
        /* A record 51/52 reads its record 50 in this invoice only. */
        memset(r->vals + V_GOV50, 0, (size_t)f.slots50 * sizeof(int64_t));
    }
    /* An invoice ends at its record 80: what follows it before the next record 20 is
     * of no invoice (a chunk that starts after a record 80 sees the same). */
    if (f.member && inv >= 0 && (f.is20 || o->inv_end[inv] < 0)) {
        o->invoice[u] = (int32_t)inv;
        o->inv_stop[inv] = (int32_t)(u + 1);
        o->inv_members[inv] += 1;
        if (f.is80 && o->inv_end[inv] < 0) {
            o->inv_end[inv] = (int32_t)u;
            memcpy(r->end_values, cur, (size_t)K * sizeof(int64_t));
            r->end_found = found;
        }
    } else {
        o->invoice[u] = -1;
        inv = -1;
    }
    if (detail && r->prev_layout >= 0 && t->not_last[r->prev_layout] >= 0) {
        i = t->not_last[r->prev_layout];
        if (!((rules[i].layout_mask >> L) & 1) && vsb_emit(rf, r->prev_unit, i))
            return -1;
    }

    /* Comparisons (dates, credit notes); rules with one condition test it once. */
    VSB_UNROLL
    for (i = kf[RK_CMP]; i < kf[RK_CMP + 1]; i++) {
        q = &rules[i];
        if (!q->same_guard)
            guard = vsb_when(t, r, q) && !(q->need & found);
        /* need20 is left out of the shared condition: rules that differ only in it
         * (the prestation dates against the record 20's) keep sharing the rest. */
        if (!guard || (q->need20 & r->found20))
            continue;
        a = r->vals[q->ai];
        b = r->vals[q->bi];
        if (q->a_x)
            a = vsb_xform(a, q->a_x);
        if (q->b_x)
            b = vsb_xform(b, q->b_x);
        if (((q->flags & RF_A_PRESENT) && a == 0) || ((q->flags & RF_B_PRESENT) && b == 0))
            continue;
        if (vsb_cmp(a, b) & q->opmask) {
            target = (q->flags & RF_TARGET_GOV20) ? r->r20 : u;
            if (target >= 0 && vsb_emit(rf, target, i))
                return -1;
        }
    }
    /* Signs that must agree. */
    VSB_UNROLL
    for (i = kf[RK_SIGN]; i < kf[RK_SIGN + 1]; i++) {
        q = &rules[i];
        a = cur[q->a];
        b = cur[q->b];
        if (a != 0 && b != 0 && (a < 0) != (b < 0) && vsb_emit(rf, u, i))
            return -1;
    }
    /* Identification numbers. */
    VSB_UNROLL
    for (i = kf[RK_IDENT]; i < kf[RK_IDENT + 1]; i++) {
        q = &rules[i];
        a = cur[q->a];
        if (a == 0 || !vsb_when(t, r, q) || (q->need & found))
            continue;
        if (r->memo_valid[i] < 0 || r->memo_value[i] != a) {
            r->memo_value[i] = a;
            r->memo_valid[i] = (int8_t)vsb_ident_valid(q->op, a);
        }
        fire = r->memo_valid[i] == ((q->flags & RF_FIRE_VALID) != 0);
        if (fire && vsb_emit(rf, u, i))
            return -1;
    }
    /* Zones equal to the record that governs this one. */
    VSB_UNROLL
    for (i = kf[RK_EQUAL]; i < kf[RK_EQUAL + 1]; i++) {
        q = &rules[i];
        if (q->b_src == SRC_GOV20) {
            if (r->r20 < 0)
                continue;
            grec = r->rec20;
            gvals = r->vals + V_GOV20;
        } else if (q->b_src == SRC_GOV10) {
            if (r->r10 < 0)
                continue;
            grec = r->rec10;
            gvals = r->vals + V_GOV10;
        } else {
            if (!vsb_has50(r))
                continue;
            grec = r->rec50;
            gvals = r->vals + V_GOV50;
        }
        if (!vsb_when(t, r, q))
            continue;
        if (q->flags & RF_BY_VALUE)
            fire = cur[q->a] != gvals[q->b];
        else
            fire = memcmp(rec + q->a_start, grec + q->b_start, (size_t)q->length) != 0;
        if (fire && vsb_emit(rf, u, i))
            return -1;
    }
    /* Totals of the invoice. */
    if (inv >= 0) {
        int64_t *sums = o->inv_sums + inv * nt;
        uint8_t *bads = o->inv_bad + inv * nt;
        VSB_UNROLL
        for (i = kf[RK_ACCUM]; i < kf[RK_ACCUM + 1]; i++) {
            q = &rules[i];
            if (q->need & found)
                bads[q->total] = 1;
            if (vsb_when(t, r, q))
                sums[q->total] += cur[q->a];
        }
    }
    /* Record order, sequence numbers, ascending values. */
    if (detail) {
        VSB_UNROLL
        for (i = kf[RK_ORDER]; i < kf[RK_ORDER + 1]; i++) {
            q = &rules[i];
            if (r->prev_layout >= 0 && !((q->layout_mask >> r->prev_layout) & 1))
                if (vsb_emit(rf, u, i))
                    return -1;
        }
        VSB_UNROLL
        for (i = kf[RK_SEQ]; i < kf[RK_SEQ + 1]; i++) {
            q = &rules[i];
            if (r->prev_layout < 0 || !r->prev_seq_ok || (found & f.seq_bit))
                continue;
            a = r->prev_seq + 1;
            if (a >= q->b_const)
                a = a % q->b_const;
            if (cur[f.seq_slot] != a && vsb_emit(rf, u, i))
                return -1;
        }
    }
    VSB_UNROLL
    for (i = kf[RK_ASCENDING]; i < kf[RK_ASCENDING + 1]; i++) {
        q = &rules[i];
        a = cur[q->a];
        fire = r->asc_valid && a < r->asc_value;
        r->asc_value = a;
        r->asc_valid = 1;
        if (fire && vsb_emit(rf, u, i))
            return -1;
    }
    if (u == r->own_first - 1) {
        VSB_UNROLL
        for (i = kf[RK_ASCENDING_SEED]; i < kf[RK_ASCENDING_SEED + 1]; i++) {
            r->asc_value = cur[rules[i].a];
            r->asc_valid = 1;
        }
    }

    if (detail) {
        r->prev_layout = L;
        r->prev_unit = u;
        if (f.seq_slot >= 0) {
            r->prev_seq = cur[f.seq_slot];
            r->prev_seq_ok = !(found & f.seq_bit);
        } else {
            r->prev_seq = 0;
            r->prev_seq_ok = 0;
        }
    }
    if (f.is50) {
        r->r50 = u;
        r->rec50 = rec;
        memcpy(r->vals + V_GOV50, cur, (size_t)K * sizeof(int64_t));
    }
    if (inv >= 0 && f.is80 && o->inv_end[inv] == (int32_t)u) {
        /* The invoice is over: what follows before the next record 20 has no record
         * 20 or 50 governing it (as in a chunk that starts after this record). */
        r->r20 = r->r50 = -1;
        r->rec20 = r->rec50 = NULL;
        r->found20 = 0;
        memset(r->vals + V_GOV20, 0, (size_t)t->slot_count[t->layout_20] * sizeof(int64_t));
        memset(r->vals + V_GOV50, 0, (size_t)f.slots50 * sizeof(int64_t));
    }
    return 0;
}

/* Where the next part starts after one that ends at p: after its line break (LF or
 * CR LF) if one follows. */
static inline Py_ssize_t vsb_skip_break(const uint8_t *b, Py_ssize_t p, Py_ssize_t n)
{
    if (p < n && b[p] == 10)
        return p + 1;
    if (p + 1 < n && b[p] == 13 && b[p + 1] == 10)
        return p + 2;
    return p;
}

/* What vsb_run leaves to the scan after the unit before *u: its findings (hits, out),
 * a missing line break after it where one is due (a file with line breaks, at or after
 * expect). */
enum { VSB_RUN_FINDINGS = 1, VSB_RUN_LONG_LINE = 2 };

/* The scan's common case in a loop of its own: whole records (of layouts with a unit
 * function, not the segments') fine in every byte, one after another from *p (unit
 * *u), each run by its layout's unit function (t->units, not NULL), each followed by
 * its line break if any, until p reaches stop. A break is due after a record that
 * ends at or after expect (n: none is). Returns 0 before a unit it does not
 * take (or at stop), -1 on out-of-memory, else VSB_RUN_* flags for the unit before
 * *u: the scan pushes its findings or reports its line, then calls again. The loop
 * keeps few values live (the scan's own loop is one large function). */
static VSB_NOINLINE int vsb_run(const Tables *t, const uint8_t *b, Py_ssize_t n,
                                Py_ssize_t stop, Py_ssize_t *p_io, Py_ssize_t *u_io, Out *o,
                                Run *r, RuleFindings *rf, vsb_classify_fn classify,
                                vsb_classify_fn portable, const uint8_t *cls,
                                const uint8_t *val, Py_ssize_t expect, vsb_hit *hits,
                                vsb_unit_out *out)
{
    Py_ssize_t p = *p_io, u = *u_io, q;
    int flags = 0;
    while (p + 350 <= n && p < stop) {
        unsigned d0 = (unsigned)b[p] - '0', d1 = (unsigned)b[p + 1] - '0';
        uint32_t s;
        int L;
        if (d0 > 9 || d1 > 9)
            break;
        L = t->type_to_layout[d0 * 10 + d1];
        if (L < 0 || L == t->layout_200 || L == t->layout_300)
            break;
        if ((t->layout_simd[L] ? classify : portable)(b + p, t->allow + L * 350,
                                                       t->accept + L * 350, 350,
                                                       t->layout_check[L] ? 348 : 0, cls,
                                                       val, &s))
            break;
        o->offsets[u] = p;
        o->layout[u] = (int8_t)L;
        if (t->units[L](t, o, r, rf, u, b + p, s, hits, out))
            return -1;
        if (out->nh || out->zeros || (t->layout_zero[L] & 2))
            flags = VSB_RUN_FINDINGS;
        u++;
        p += 350;
        q = vsb_skip_break(b, p, n);
        if (q != p)
            p = q;
        else if (p >= expect && p < n)
            flags |= VSB_RUN_LONG_LINE;
        if (flags)
            break;
    }
    *p_io = p;
    *u_io = u;
    return flags;
}

/* The rules of one record: the built-in rules of its layout where the tables have
 * them (t->rulers, _layouts.h) and builtin is set, else from the tables' rule table. */
static int vsb_rules(const Tables *t, Out *o, Run *r, RuleFindings *rf, Py_ssize_t u,
                     const uint8_t *rec, int L, const int64_t *cur, uint64_t found, int builtin)
{
    if (builtin && t->rulers != NULL)
        return t->rulers[L](t, o, r, rf, u, rec, cur, found);
    return vsb_rules_with(t, o, r, rf, u, rec, L, cur, found, t->rules,
                          t->kind_first + L * t->n_kinds, vsb_facts(t, L));
}

#endif
