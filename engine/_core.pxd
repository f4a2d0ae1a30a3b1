# cython: language_level=3
"""Declarations of the compiled core: its constants, its C structs and its classes.

The one source of the numbers the core and the Python side share: character
classes, zone kinds and flags, zone findings and framing findings. The Python side
reads them through the enums bound in ``_core.pyx`` (``CharClass``, ``ZoneKind``,
``ZoneFlag``, ``Finding``, ``FramingKind``); other compiled modules cimport them here.
"""

from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t


cdef extern from "_kernels.h" nogil:
    ctypedef int (*vsb_classify_fn)(const uint8_t* rec, const uint8_t* allow,
                                    const uint8_t* accept, int n, int sum_len,
                                    const uint8_t* cls, const uint8_t* val, uint32_t* sum_out)
    vsb_classify_fn vsb_kernel(int which)
    int vsb_best_kernel()
    int vsb_kernel_available(int which)
    int64_t vsb_digits(const uint8_t* p, int n)
    int64_t vsb_read(const uint8_t* p, int n, int mode)
    ctypedef struct vsb_op:
        int16_t start
        uint8_t n
        uint8_t mode
        uint8_t flags
        uint8_t slot
        uint8_t pos
        uint8_t rng_count
        int32_t rng_first
        int32_t gslot
        int32_t zone
    ctypedef struct vsb_hit:
        int32_t zone
        int32_t kind
    int vsb_read_unit(const uint8_t* rec, const vsb_op* ops, int nops, int64_t* cur,
                      void* const* slots, int32_t row, const int64_t* rng_lo,
                      const int64_t* rng_hi, vsb_hit* hits, uint64_t* found)
    ctypedef int (*vsb_zeros_fn)(const uint8_t* rec)
    ctypedef int (*vsb_reader_fn)(const uint8_t* rec, int64_t* cur, void* const* slots,
                                  int32_t row, const int64_t* rng_lo, const int64_t* rng_hi,
                                  vsb_hit* hits, uint64_t* found)
    enum:
        VSB_OP_SIGNED
        VSB_OP_BLANK_OK
        VSB_OP_MANDATORY
        VSB_OP_DATE
        VSB_OP_MONTH
        VSB_OP_WIDE
        VSB_OP_TEXT
        VSB_OP_CHECKS
    void* vsb_reserve(size_t n)
    void vsb_drop_pages(const uint8_t* start, const uint8_t* end)
    int vsb_zeros_differ(const uint8_t* rec, const uint8_t* expect, const uint8_t* mask,
                         int lo, int hi)
    void vsb_release(void* p, size_t n)
    enum:
        VSB_NUM
        VSB_BLANK
        VSB_SIGN
        VSB_TEXT
        VSB_READ_LOOP
        VSB_READ_HEAD
        VSB_READ_TAIL
        VSB_READ_TWO
        VSB_READ_1
        VSB_READ_2
        VSB_READ_HEAD4


# The layout readers built into the core (generated: formats/efact/specialised.py).
cdef extern from "_layouts.h" nogil:
    const char* VSB_LAYOUTS_DIGEST
    int VSB_LAYOUTS_COUNT
    const vsb_reader_fn vsb_layout_readers[]
    const void* vsb_layout_rulers[]
    const vsb_zeros_fn vsb_layout_zeros[]
    const void* vsb_layout_units[]


# Character classes (bit flags): what a position of a layout allows.
cpdef enum CharClass:
    C_DIGIT = 1
    C_BLANK = 2
    C_SIGN = 4
    C_ALPHA = 8
    C_PUNCT = 16
    C_LATIN = 32
    C_BAD = 64

# Zone kinds (the ``kind`` column of the layout tables).
cpdef enum ZoneKind:
    K_N = 0     # digits
    K_D = 1     # date YYYYMMDD
    K_Y = 2     # year and month YYYYMM
    K_S = 3     # signed amount
    K_A = 4     # text
    K_X = 5     # any text

# Zone flags (bit flags).
cpdef enum ZoneFlag:
    F_MANDATORY = 1
    F_BLANK_OK = 2
    F_ERROR_ZONE = 4     # followed by a two-digit error field (segments, records 95/96)
    F_ERROR_FIELD = 8    # the error field itself
    F_ZERO = 16          # a reserved zone: zeros only (with F_BLANK_OK, or blanks only)

# Zone-level findings (the checks map them to error codes).
cpdef enum Finding:
    E_NOT_DIGITS = 1
    E_CHECK = 2
    E_VALUE = 3
    E_SIGN = 5
    E_SIGN_IN_DIGITS = 6
    E_CHARS = 9
    E_MISSING = 10
    E_DATE = 11
    E_BLANK_MIX = 12
    E_NOT_ZERO = 13      # a reserved zone (F_ZERO) holds something else than zeros

# Framing findings.
cpdef enum FramingKind:
    FR_SHORT_FILE = 1      # the file ends before segment 200 or 300 is complete
    FR_SHORT_LINE = 2      # a line break inside a segment or record
    FR_LONG_LINE = 3       # no line break where a line-separated file needs one
    FR_TRUNCATED = 4       # the file ends inside a record
    FR_UNKNOWN_TYPE = 5    # a record whose type is not a known record type

# Column kinds of read_csv.
cpdef enum CsvKind:
    CSV_SKIP = 0
    CSV_INT = 1      # digits -> int64; empty -> -1
    CSV_DAY = 2      # YYYY-MM-DD -> days since 1900-01-01 (uint16); empty -> 65535
    CSV_ENUM = 3     # one of a few words (case-insensitive) -> its index (uint8)


# Columns of the compiled rule table (an int64 array, one row a rule).
cpdef enum RuleColumn:
    RC_KIND = 0
    RC_LAYOUT = 1
    RC_OP = 2
    RC_FLAGS = 3
    RC_A_SRC = 4
    RC_A = 5
    RC_A_X = 6
    RC_B_SRC = 7
    RC_B = 8
    RC_B_X = 9
    RC_B_CONST = 10
    RC_C_SRC = 11
    RC_C = 12
    RC_C_X = 13
    RC_C_OP = 14
    RC_C_CONST = 15
    RC_SET_FIRST = 16
    RC_SET_COUNT = 17
    RC_NEED = 18
    RC_A_START = 19
    RC_B_START = 20
    RC_LENGTH = 21
    RC_TOTAL = 22
    RC_NEED20 = 23
    RC_FIELDS = 24


# The streaming rules, the tables and the state of a scan are C, declared and
# documented in engine/_rules.h (so that the rules run from a constant table too: the
# built-in rules of _layouts.h); their values and fields as Cython sees them.
cdef extern from "_rules.h" nogil:
    cpdef enum RuleKind:
        RK_CMP
        RK_SIGN
        RK_IDENT
        RK_EQUAL
        RK_ORDER
        RK_SEQ
        RK_NOT_LAST
        RK_ASCENDING
        RK_ASCENDING_SEED
        RK_TOTAL
        RK_ACCUM
    cpdef enum RuleSource:
        SRC_NONE
        SRC_SELF
        SRC_GOV20
        SRC_GOV10
        SRC_GOV50
        SRC_PARAM
        SRC_CONST
    cpdef enum RuleOp:
        OP_GT
        OP_LT
        OP_GE
        OP_LE
        OP_EQ
        OP_NE
        OP_IN
        OP_NOT_IN
    cpdef enum RuleTransform:
        X_NONE
        X_DIV100
    cpdef enum RuleFlag:
        RF_A_PRESENT
        RF_B_PRESENT
        RF_TARGET_GOV20
        RF_BY_VALUE
        RF_FIRE_VALID
        RF_GUARD
    cpdef enum IdentKind:
        ID_INSZ
        ID_NIHII
    cpdef enum TotalMode:
        TM_NONE
        TM_SUM
        TM_CONTROL
    cpdef enum ValueSpace:
        V_SELF
        V_GOV20
        V_GOV10
        V_GOV50
        V_PARAM
        V_CONST
        V_SIZE
    ctypedef struct Rule:
        int kind
        int op
        int flags
        int a_src
        int a
        int a_x
        int b_src
        int b
        int b_x
        int64_t b_const
        int c_src
        int c
        int c_x
        int c_op
        int64_t c_const
        int set_first
        int set_count
        uint64_t need
        uint64_t need20
        int a_start
        int b_start
        int length
        int total
        int ai
        int bi
        int ci
        bint same_guard
        int opmask
        int c_opmask
        uint64_t set_mask
        bint set_small
        uint64_t layout_mask
    ctypedef struct Work:
        int zone
        int start
        int n
        int kind
        int mode
        int slot
        int pos
        bint checks
        bint blank_ok
        int gslot
        bint wide
        bint mandatory
        int rng_first
        int rng_count
    ctypedef struct RuleFindings:
        Py_ssize_t n
        Py_ssize_t cap
        int32_t* unit
        int32_t* rule
    ctypedef struct Out:
        int64_t* offsets
        int8_t* layout
        int32_t* rank
        int32_t* invoice
        int32_t** units
        void** slots
        int32_t* n_of
        int32_t* inv_head
        int32_t* inv_end
        int32_t* inv_stop
        int32_t* inv_members
        int64_t* inv_sums
        uint8_t* inv_bad
        Py_ssize_t n_inv
    ctypedef struct Run:
        Py_ssize_t own_first
        const int64_t* params
        int prev_layout
        Py_ssize_t prev_unit
        int64_t prev_seq
        bint prev_seq_ok
        Py_ssize_t r10
        Py_ssize_t r20
        Py_ssize_t r50
        const uint8_t* rec10
        const uint8_t* rec20
        const uint8_t* rec50
        int64_t vals[512]
        int64_t asc_value
        bint asc_valid
        int64_t end_values[64]
        uint64_t end_found
        uint64_t found20
        int64_t memo_value[512]
        int8_t memo_valid[512]
    ctypedef struct Tables:
        int n_layouts
        const int32_t* layout_len
        const uint8_t* layout_check
        const int8_t* type_to_layout
        const uint8_t* allow
        const uint8_t* accept
        const uint8_t* layout_simd
        const int16_t* layout_rtype
        const uint8_t* layout_member
        const int32_t* zone_first
        const int32_t* zone_count
        const int32_t* z_start
        const int32_t* z_len
        const uint8_t* z_kind
        const uint8_t* z_flags
        const int16_t* z_slot
        const int32_t* z_rng_first
        const int32_t* z_rng_count
        const int32_t* work_first
        const int32_t* work_count
        const int32_t* work_zone
        const uint8_t* work_mode
        Work* works
        vsb_op* fast
        const int32_t* fast_first
        const int32_t* fast_count
        const vsb_reader_fn* readers
        const vsb_zeros_fn* zeros
        const int64_t* rng_lo
        const int64_t* rng_hi
        const int32_t* slot_first
        const int32_t* slot_count
        const uint8_t* slot_wide
        const int16_t* seq_slot
        const uint64_t* seq_bit
        const int32_t* rule_first
        const int32_t* rule_count
        const int32_t* kind_first
        int n_kinds
        const int32_t* not_last
        Rule* rules
        int n_rules
        int n_totals
        const int64_t* set_values
        const int64_t* consts
        int n_consts
        int n_slots
        int max_slots
        const uint8_t* layout_zero
        const uint8_t* zero_expect
        const uint8_t* zero_mask
        const int32_t* zero_span
        int layout_200
        int layout_300
        int layout_10
        int layout_20
        int layout_50
        int layout_80
        const void* rulers
        const void* units
    ctypedef struct vsb_unit_out:
        int nh
        int zeros
        uint64_t found
    ctypedef int (*vsb_unit_fn)(const Tables* t, Out* o, Run* r, RuleFindings* rf,
                                Py_ssize_t u, const uint8_t* rec, uint32_t s, vsb_hit* hits,
                                vsb_unit_out* out)
    enum:
        VSB_RUN_FINDINGS
        VSB_RUN_LONG_LINE
    Py_ssize_t vsb_skip_break(const uint8_t* b, Py_ssize_t p, Py_ssize_t n)
    int vsb_run(const Tables* t, const uint8_t* b, Py_ssize_t n, Py_ssize_t stop,
                Py_ssize_t* p_io, Py_ssize_t* u_io, Out* o, Run* r, RuleFindings* rf,
                vsb_classify_fn classify, vsb_classify_fn portable, const uint8_t* cls,
                const uint8_t* val, Py_ssize_t expect, vsb_hit* hits,
                vsb_unit_out* out)
    int vsb_emit(RuleFindings* f, Py_ssize_t unit, int rule)
    int vsb_close(const Tables* t, Out* o, Run* r, RuleFindings* rf)
    int vsb_rules(const Tables* t, Out* o, Run* r, RuleFindings* rf, Py_ssize_t u,
                  const uint8_t* rec, int L, const int64_t* cur, uint64_t found,
                  bint builtin)


cdef struct Findings:
    Py_ssize_t n
    Py_ssize_t cap
    int32_t* unit
    int32_t* zone
    uint8_t* kind


cdef struct FramingLog:
    Py_ssize_t n
    Py_ssize_t total
    Py_ssize_t cap
    uint8_t* kind
    int64_t* offset
    int64_t* length
    int32_t* unit


cdef class CoreTables:
    cdef Tables t
    cdef object _keep
    cdef object _rules
    cdef object _names
    cdef readonly str builtin_digest


cdef class Scan:
    cdef readonly object offsets
    cdef readonly object layout
    cdef readonly object rank
    cdef readonly object invoice
    cdef readonly tuple units
    cdef readonly tuple slots
    cdef readonly object finding_unit
    cdef readonly object finding_zone
    cdef readonly object finding_kind
    cdef readonly object rule_unit
    cdef readonly object rule_id
    cdef readonly object framing_kind
    cdef readonly object framing_offset
    cdef readonly object framing_length
    cdef readonly object framing_unit
    cdef readonly Py_ssize_t framing_total
    cdef readonly object inv_head
    cdef readonly object inv_end
    cdef readonly object inv_stop
    cdef readonly object inv_members
    cdef readonly object inv_sums
    cdef readonly object inv_bad
    cdef readonly bint lines
    cdef readonly Py_ssize_t size


# Parts of a rendered row (render_rows).
cpdef enum PartKind:
    P_TEXT = 0       # the same bytes on every row
    P_INT = 1        # int64 column: shortest decimal, '-' before a negative value
    P_DIGITS = 2     # int64 column: non-negative, zero-filled to the width
    P_SIGNED = 3     # int64 column: '+' or '-', then zero-filled digits (width with the sign)
    P_DATE = 4       # int64 column of YYYYMMDD: YYYY-MM-DD
    P_COPY = 5       # ``width`` bytes of a buffer, from an int64 column of offsets
    P_ZFILL = 6      # int64 column: zero-filled to at least the width (str.zfill)
    P_SKIP = 7       # leave ``width`` bytes as they are (a buffer filled beforehand)


cdef struct Part:
    int kind
    Py_ssize_t width
    const int64_t* values
    const uint8_t* bytes      # P_TEXT: the text; P_COPY: the buffer
    Py_ssize_t n_bytes        # P_TEXT: its length; P_COPY: the buffer's size
