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


# Streaming rules (compiled from the rule tables by formats/efact/rules.py): what a
# rule does, where its operands come from, how they compare.
cpdef enum RuleKind:
    RK_CMP = 1           # a op b, when c (dates, credit notes)
    RK_SIGN = 2          # a and b both non-zero with different signs
    RK_IDENT = 3         # an identification number's check digits (INSZ, NIHII)
    RK_EQUAL = 4         # a zone equals the same zone of a governing record
    RK_ORDER = 5         # the previous detail record is one of a set of types
    RK_SEQ = 6           # sequence number = the previous one + 1 (mod b)
    RK_NOT_LAST = 7      # another detail record follows this one
    RK_ASCENDING = 8     # a is not below the same value of the previous record
    RK_ASCENDING_SEED = 9  # the record before a chunk seeds RK_ASCENDING
    RK_TOTAL = 10        # at the end of an invoice: a against a total of its records
    RK_ACCUM = 11        # adds a to a total of the invoice (when c)

cpdef enum RuleSource:
    SRC_NONE = 0
    SRC_SELF = 1         # a column of the record itself
    SRC_GOV20 = 2        # of the record 20 of its invoice (0 outside invoices)
    SRC_GOV10 = 3        # of the sending's (first) record 10
    SRC_GOV50 = 4        # of the record 50 it completes (records 51/52)
    SRC_PARAM = 5        # a parameter of the scan (today, the billed month, ...)
    SRC_CONST = 6        # the rule's constant

cpdef enum RuleOp:
    OP_GT = 1
    OP_LT = 2
    OP_GE = 3
    OP_LE = 4
    OP_EQ = 5
    OP_NE = 6
    OP_IN = 7            # one of the rule's set
    OP_NOT_IN = 8

cpdef enum RuleTransform:
    X_NONE = 0
    X_DIV100 = 1         # v // 100: the month of a date, the union of a mutuality

cpdef enum RuleFlag:
    RF_A_PRESENT = 1     # only when a is not 0
    RF_B_PRESENT = 2     # only when b is not 0
    RF_TARGET_GOV20 = 4  # the finding goes on the invoice's record 20
    RF_BY_VALUE = 8      # RK_EQUAL: compare the columns (else the bytes)
    RF_FIRE_VALID = 16   # RK_IDENT: fire on a valid number (else on an invalid one)
    RF_GUARD = 32        # RK_TOTAL: not when a summed zone is unreadable

cpdef enum IdentKind:
    ID_INSZ = 1
    ID_NIHII = 2

cpdef enum TotalMode:
    TM_NONE = 0          # a total only (what the summary reads)
    TM_SUM = 1           # a = the total
    TM_CONTROL = 2       # a = total mod 97 (97 for 0)

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
    RC_FIELDS = 23


cdef struct Rule:
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
    uint64_t need        # zones (bits by position in the layout) that must be readable
    int a_start
    int b_start
    int length
    int total
    # Resolved by CoreTables: the operands as indices into the run's value space (V_*),
    # and whether the rule's condition is the one of the rule before it.
    int ai
    int bi
    int ci
    bint same_guard
    int opmask           # RK_CMP: 1 a > b, 2 a < b, 4 a == b (GE = 5, ...)
    int c_opmask         # the same for the condition
    uint64_t set_mask    # the set as bits, when all its values are below 64
    bint set_small
    uint64_t layout_mask  # RK_ORDER: the layouts of the record types of the set


# The value space of a run (Run.vals): the record's columns, those of its governing
# records, the parameters, the rules' constants: an operand is one index into it.
cpdef enum ValueSpace:
    V_SELF = 0
    V_GOV20 = 64
    V_GOV10 = 128
    V_GOV50 = 192
    V_PARAM = 256
    V_CONST = 272
    V_SIZE = 512


# How the core reads one zone (built by CoreTables from the zone tables).
cdef struct Work:
    int zone           # global zone index
    int start          # first digit (after the sign of an amount)
    int n              # digits (or characters)
    int kind           # ZoneKind
    int mode           # VSB_READ_*
    int slot           # its column among the layout's, or 63 (none)
    int pos            # its position among the layout's zones
    bint checks        # mandatory, a date, allowed values: more than a read
    bint blank_ok
    int gslot          # its column (global slot), or -1
    bint wide          # an int64 column (else int32)
    bint mandatory
    int rng_first      # its allowed values (rng_lo/rng_hi)
    int rng_count


# The compiled layouts and rules as C arrays (owned by a CoreTables).
cdef struct Tables:
    int n_layouts
    const int32_t* layout_len
    const uint8_t* layout_check
    const int8_t* type_to_layout
    const uint8_t* allow          # n_layouts x 350: character classes
    const uint8_t* accept         # n_layouts x 350: the same for the vector kernels
    const uint8_t* layout_simd    # the vector kernels can check the layout
    const int16_t* layout_rtype   # record type (0 for the segments)
    const uint8_t* layout_member  # a record of an invoice (20 to 80)
    const int32_t* zone_first
    const int32_t* zone_count
    const int32_t* z_start
    const int32_t* z_len
    const uint8_t* z_kind
    const uint8_t* z_flags
    const int16_t* z_slot         # the zone's column among its layout's, or -1
    const int32_t* z_rng_first
    const int32_t* z_rng_count
    const int32_t* work_first
    const int32_t* work_count
    const int32_t* work_zone
    const uint8_t* work_mode      # VSB_READ_* of each work zone
    Work* works                   # per work zone, how to read it
    vsb_op* fast                  # the same, for a fine unit (what it needs not read left out)
    const int32_t* fast_first     # per layout
    const int32_t* fast_count
    const vsb_reader_fn* readers  # per layout, its built-in reader (NULL: read fast by ops)
    const int64_t* rng_lo
    const int64_t* rng_hi
    const int32_t* slot_first     # per layout: its first column (global slot)
    const int32_t* slot_count
    const uint8_t* slot_wide      # per global slot: int64 (else int32)
    const int16_t* seq_slot       # per layout: the sequence-number column, or -1
    const uint64_t* seq_bit       # per layout: the sequence-number zone
    const int32_t* rule_first     # per layout
    const int32_t* rule_count
    const int32_t* kind_first     # per layout and kind (rows sorted by both)
    int n_kinds
    const int32_t* not_last       # per layout: its RK_NOT_LAST rule, or -1
    Rule* rules
    int n_rules
    int n_totals
    const int64_t* set_values
    const int64_t* consts         # the rules' constants (V_CONST on)
    int n_consts
    int n_slots
    int max_slots
    const uint8_t* layout_zero    # per layout: 1 zeros-only reserved zones (masks), 2 blank-ok ones
    const uint8_t* zero_expect    # n_layouts x 350: '0' where a reserved zone is, else 0
    const uint8_t* zero_mask      # n_layouts x 350: 0xFF there, else 0
    const int32_t* zero_span      # n_layouts x 2: the bytes [lo, hi) the masks cover
    int layout_200
    int layout_300
    int layout_10
    int layout_20
    int layout_50
    int layout_80


# Growable zone findings (plain C; grown with realloc, freed by the wrapper).
cdef struct Findings:
    Py_ssize_t n
    Py_ssize_t cap
    int32_t* unit
    int32_t* zone
    uint8_t* kind


# Growable rule findings: (unit, rule).
cdef struct RuleFindings:
    Py_ssize_t n
    Py_ssize_t cap
    int32_t* unit
    int32_t* rule


# Framing findings: the first ``cap`` kept, all counted.
cdef struct FramingLog:
    Py_ssize_t n          # entries kept
    Py_ssize_t total      # entries found (n <= total)
    Py_ssize_t cap
    uint8_t* kind
    int64_t* offset
    int64_t* length
    int32_t* unit


# Where a scan writes (parts of one memory region, see _Region): per unit, per layout
# (its units and columns), per invoice.
cdef struct Out:
    int64_t* offsets
    int8_t* layout
    int32_t* rank         # index of the unit among its layout's, -1 for unknown ones
    int32_t* invoice      # its invoice (records 20-80 after a record 20), else -1
    int32_t** units       # per layout
    void** slots          # per global slot: int32 or int64 values
    int32_t* n_of         # per layout: units so far
    int32_t* inv_head     # per invoice: unit of its record 20
    int32_t* inv_end      # unit of its first record 80, or -1
    int32_t* inv_stop     # one past its last unit
    int32_t* inv_members  # its records 20 to 80
    int64_t* inv_sums     # invoices x totals
    uint8_t* inv_bad      # invoices x totals: a summed zone was unreadable
    Py_ssize_t n_inv


# The running state of the streaming rules.
cdef struct Run:
    Py_ssize_t own_first
    const int64_t* params
    # the previous detail record (records 10 to 90)
    int prev_layout
    Py_ssize_t prev_unit
    int64_t prev_seq
    bint prev_seq_ok
    # governing records (their columns are in vals, V_GOV*)
    Py_ssize_t r10
    Py_ssize_t r20
    Py_ssize_t r50
    const uint8_t* rec10
    const uint8_t* rec20
    const uint8_t* rec50
    int64_t vals[512]
    # RK_ASCENDING
    int64_t asc_value
    bint asc_valid
    # the open invoice
    int64_t end_values[64]
    uint64_t end_found
    # per RK_IDENT rule: the last number checked and its verdict (numbers repeat
    # record after record: the beneficiary of an invoice, its providers)
    int64_t memo_value[512]
    int8_t memo_valid[512]


cdef class CoreTables:
    cdef Tables t
    cdef object _keep
    cdef object _rules
    cdef object _names
    cdef readonly str reader_digest


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
