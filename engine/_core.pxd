# cython: language_level=3
"""Declarations of the compiled core: its constants, its C structs and its classes.

The one source of the numbers the core and the Python side share: character
classes, zone kinds and flags, zone findings and framing findings. The Python side
reads them through the enums bound in ``_core.pyx`` (``CharClass``, ``ZoneKind``,
``ZoneFlag``, ``Finding``, ``FramingKind``); other compiled modules cimport them here.
"""

from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint32_t


cdef extern from "_kernels.h" nogil:
    uint8_t vsb_classify(const uint8_t* rec, const uint8_t* allow, int n, int sum_len,
                         const uint8_t* cls, const uint8_t* val, uint32_t* sum_out)
    int64_t vsb_digits(const uint8_t* p, int n)


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


# The compiled layouts as C arrays (owned by a CoreTables).
cdef struct Tables:
    int n_layouts
    const int32_t* layout_len
    const uint8_t* layout_check
    const int8_t* type_to_layout
    const uint8_t* allow          # n_layouts x 350
    const int32_t* zone_first
    const int32_t* zone_count
    const int32_t* z_start
    const int32_t* z_len
    const uint8_t* z_kind
    const uint8_t* z_flags
    const int16_t* z_col
    const uint8_t* z_wide
    const int32_t* z_rng_first
    const int32_t* z_rng_count
    const uint8_t* z_work
    const int32_t* work_first
    const int32_t* work_count
    const int32_t* work_zone
    const int64_t* rng_lo
    const int64_t* rng_hi
    const uint8_t* layout_zero    # the layout has reserved zones checked by the masks below
    const uint8_t* zero_expect    # n_layouts x 350: '0' where a reserved zone is, else 0
    const uint8_t* zero_mask      # n_layouts x 350: 0xFF there, else 0
    int layout_200
    int layout_300


# Growable zone findings (plain C; grown with realloc, freed by the wrapper).
cdef struct Findings:
    Py_ssize_t n
    Py_ssize_t cap
    int32_t* unit
    int32_t* zone
    uint8_t* kind


# Framing findings: the first ``cap`` kept, all counted.
cdef struct FramingLog:
    Py_ssize_t n          # entries kept
    Py_ssize_t total      # entries found (n <= total)
    Py_ssize_t cap
    uint8_t* kind
    int64_t* offset
    int64_t* length
    int32_t* unit


# The numeric columns the scan fills: narrow (int32) and wide (int64), cap rows each.
cdef struct Columns:
    int32_t* narrow      # n_narrow x cap
    int64_t* wide        # n_wide x cap
    Py_ssize_t cap


cdef class CoreTables:
    cdef Tables t
    cdef object _keep


cdef class Scan:
    cdef readonly object offsets
    cdef readonly object layout
    cdef readonly object narrow
    cdef readonly object wide
    cdef readonly object finding_unit
    cdef readonly object finding_zone
    cdef readonly object finding_kind
    cdef readonly object framing_kind
    cdef readonly object framing_offset
    cdef readonly object framing_length
    cdef readonly object framing_unit
    cdef readonly Py_ssize_t framing_total
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
