# cython: language_level=3
"""Compiled kernels of vsbengine.

``scan`` walks a billing file once, without the GIL: it frames the segments
and records, checks every byte against the character classes its zone allows,
computes the record check digits, and extracts the numeric zones into numpy
columns. It creates no Python object per record or per zone: findings go to
growable C arrays that become numpy arrays at the end.

The layouts come from ``vsbengine.formats.efact.compiled`` (tables compiled
into arrays); the constants they share with the core are declared once, in
``_core.pxd``, and bound here for the Python side.
"""

cimport cython
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.errno cimport EINTR, errno
from libc.string cimport memchr, memcmp, memcpy, memset
from posix.uio cimport iovec, writev

import os
from collections import namedtuple

import numpy as np

cimport numpy as cnp

cnp.import_array()

# The constants, structs and classes are declared in _core.pxd (the one source of
# truth for the Python side too: compiled.py and catalogue.py read the enums).

#: The finding codes by name, for the Python side.
FINDINGS = {f.name[2:]: int(f) for f in Finding}
FRAMING = {f.name[3:]: int(f) for f in FramingKind}

cdef uint8_t CLS[256]
cdef uint8_t VAL[256]
# What a reserved zone holds (zones are at most 350 bytes): compared with memcmp.
cdef uint8_t ZEROS[350]
cdef uint8_t BLANKS[350]


cdef void _init_tables() noexcept:
    cdef int b
    memset(ZEROS, 48, 350)
    memset(BLANKS, 32, 350)
    for b in range(256):
        if 48 <= b <= 57:
            CLS[b] = C_DIGIT
            VAL[b] = b - 48
        elif b == 32:
            CLS[b] = C_BLANK
            VAL[b] = 10
        elif b == 43 or b == 45:
            CLS[b] = C_SIGN
            VAL[b] = 37
        elif 65 <= b <= 90:
            CLS[b] = C_ALPHA
            VAL[b] = b - 65 + 11
        elif 97 <= b <= 122:
            CLS[b] = C_ALPHA
            VAL[b] = b - 97 + 11
        elif 33 <= b <= 126:
            CLS[b] = C_PUNCT
            VAL[b] = 37
        elif b >= 160:
            CLS[b] = C_LATIN
            VAL[b] = 37
        else:
            CLS[b] = C_BAD
            VAL[b] = 37


_init_tables()


cdef class CoreTables:
    """The compiled layouts, pinned for the core (built once per layout set)."""

    def __init__(self, compiled):
        arrays = dict(
            layout_len=np.ascontiguousarray(compiled.layout_len, dtype=np.int32),
            layout_check=np.ascontiguousarray(compiled.layout_check, dtype=np.uint8),
            type_to_layout=np.ascontiguousarray(compiled.type_to_layout, dtype=np.int8),
            allow=np.ascontiguousarray(compiled.allow, dtype=np.uint8),
            zone_first=np.ascontiguousarray(compiled.zone_first, dtype=np.int32),
            zone_count=np.ascontiguousarray(compiled.zone_count, dtype=np.int32),
            z_start=np.ascontiguousarray(compiled.z_start, dtype=np.int32),
            z_len=np.ascontiguousarray(compiled.z_len, dtype=np.int32),
            z_kind=np.ascontiguousarray(compiled.z_kind, dtype=np.uint8),
            z_flags=np.ascontiguousarray(compiled.z_flags, dtype=np.uint8),
            z_col=np.ascontiguousarray(compiled.z_col, dtype=np.int16),
            z_wide=np.ascontiguousarray(compiled.z_wide, dtype=np.uint8),
            z_rng_first=np.ascontiguousarray(compiled.z_rng_first, dtype=np.int32),
            z_rng_count=np.ascontiguousarray(compiled.z_rng_count, dtype=np.int32),
            z_work=np.ascontiguousarray(compiled.z_work, dtype=np.uint8),
            work_first=np.ascontiguousarray(compiled.work_first, dtype=np.int32),
            work_count=np.ascontiguousarray(compiled.work_count, dtype=np.int32),
            work_zone=np.ascontiguousarray(compiled.work_zone, dtype=np.int32),
            rng_lo=np.ascontiguousarray(compiled.rng_lo, dtype=np.int64),
            rng_hi=np.ascontiguousarray(compiled.rng_hi, dtype=np.int64),
            layout_zero=np.ascontiguousarray(compiled.layout_zero, dtype=np.uint8),
            zero_expect=np.ascontiguousarray(compiled.zero_expect, dtype=np.uint8),
            zero_mask=np.ascontiguousarray(compiled.zero_mask, dtype=np.uint8),
        )
        for name in ("allow", "zero_expect", "zero_mask"):
            if arrays[name].shape[1] != 350:
                raise ValueError(f"{name} table must have 350 columns")
        self._keep = arrays
        self.t.n_layouts = len(arrays["layout_len"])
        self.t.layout_len = <const int32_t*> cnp.PyArray_DATA(arrays["layout_len"])
        self.t.layout_check = <const uint8_t*> cnp.PyArray_DATA(arrays["layout_check"])
        self.t.type_to_layout = <const int8_t*> cnp.PyArray_DATA(arrays["type_to_layout"])
        self.t.allow = <const uint8_t*> cnp.PyArray_DATA(arrays["allow"])
        self.t.zone_first = <const int32_t*> cnp.PyArray_DATA(arrays["zone_first"])
        self.t.zone_count = <const int32_t*> cnp.PyArray_DATA(arrays["zone_count"])
        self.t.z_start = <const int32_t*> cnp.PyArray_DATA(arrays["z_start"])
        self.t.z_len = <const int32_t*> cnp.PyArray_DATA(arrays["z_len"])
        self.t.z_kind = <const uint8_t*> cnp.PyArray_DATA(arrays["z_kind"])
        self.t.z_flags = <const uint8_t*> cnp.PyArray_DATA(arrays["z_flags"])
        self.t.z_col = <const int16_t*> cnp.PyArray_DATA(arrays["z_col"])
        self.t.z_wide = <const uint8_t*> cnp.PyArray_DATA(arrays["z_wide"])
        self.t.z_rng_first = <const int32_t*> cnp.PyArray_DATA(arrays["z_rng_first"])
        self.t.z_rng_count = <const int32_t*> cnp.PyArray_DATA(arrays["z_rng_count"])
        self.t.z_work = <const uint8_t*> cnp.PyArray_DATA(arrays["z_work"])
        self.t.work_first = <const int32_t*> cnp.PyArray_DATA(arrays["work_first"])
        self.t.work_count = <const int32_t*> cnp.PyArray_DATA(arrays["work_count"])
        self.t.work_zone = <const int32_t*> cnp.PyArray_DATA(arrays["work_zone"])
        self.t.rng_lo = <const int64_t*> cnp.PyArray_DATA(arrays["rng_lo"])
        self.t.rng_hi = <const int64_t*> cnp.PyArray_DATA(arrays["rng_hi"])
        self.t.layout_zero = <const uint8_t*> cnp.PyArray_DATA(arrays["layout_zero"])
        self.t.zero_expect = <const uint8_t*> cnp.PyArray_DATA(arrays["zero_expect"])
        self.t.zero_mask = <const uint8_t*> cnp.PyArray_DATA(arrays["zero_mask"])
        self.t.layout_200 = compiled.index["200"]
        self.t.layout_300 = compiled.index["300"]


# ---------------------------------------------------------------------------------------
# Growable finding tables (Findings, FramingLog in _core.pxd).

cdef int _push(Findings* f, Py_ssize_t unit, int zone, int kind) noexcept nogil:
    """Append a zone finding; return -1 when memory runs out."""
    cdef Py_ssize_t cap
    cdef void* p
    if f.n == f.cap:
        cap = f.cap * 2 if f.cap else 1024
        p = realloc(f.unit, cap * sizeof(int32_t))
        if p == NULL:
            return -1
        f.unit = <int32_t*> p
        p = realloc(f.zone, cap * sizeof(int32_t))
        if p == NULL:
            return -1
        f.zone = <int32_t*> p
        p = realloc(f.kind, cap * sizeof(uint8_t))
        if p == NULL:
            return -1
        f.kind = <uint8_t*> p
        f.cap = cap
    f.unit[f.n] = <int32_t> unit
    f.zone[f.n] = zone
    f.kind[f.n] = <uint8_t> kind
    f.n += 1
    return 0


cdef void _frame(FramingLog* f, int kind, Py_ssize_t offset, Py_ssize_t length,
                 Py_ssize_t unit) noexcept nogil:
    """Record a framing finding; past ``cap`` entries only the total grows."""
    f.total += 1
    if f.n < f.cap:
        f.kind[f.n] = <uint8_t> kind
        f.offset[f.n] = offset
        f.length[f.n] = length
        f.unit[f.n] = <int32_t> unit
        f.n += 1


# ---------------------------------------------------------------------------------------
# Zone-level checks. Preconditions: ``rec`` points at a unit of at least
# ``layout_len`` readable bytes; zone positions lie inside it (the compiled
# tables guarantee that every layout adds up to its length).

cdef inline bint _is_date(int64_t v) noexcept nogil:
    cdef int64_t y = v // 10000
    cdef int64_t m = (v // 100) % 100
    cdef int64_t d = v % 100
    cdef int dim
    if y < 1800 or m < 1 or m > 12 or d < 1:
        return False
    if m == 2:
        dim = 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28
    elif m == 4 or m == 6 or m == 9 or m == 11:
        dim = 30
    else:
        dim = 31
    return d <= dim


@cython.boundscheck(False)
@cython.wraparound(False)
cdef inline int _not_zero(const uint8_t* rec, int s, int n, int flags) noexcept nogil:
    """E_NOT_ZERO unless a reserved zone holds zeros only (or, with F_BLANK_OK, blanks
    only). The official check is "content not zero": any other byte is that error."""
    if memcmp(rec + s, ZEROS, n) == 0:
        return 0
    if flags & F_BLANK_OK and memcmp(rec + s, BLANKS, n) == 0:
        return 0
    return E_NOT_ZERO


@cython.boundscheck(False)
@cython.wraparound(False)
cdef inline bint _zeros_differ(const uint8_t* rec, const uint8_t* expect,
                               const uint8_t* mask, int n) noexcept nogil:
    """Whether a byte of a reserved zone of the layout is not '0': all reserved zones of
    a record in one masked comparison, eight bytes at a time."""
    cdef uint64_t acc = 0, a, e, m
    cdef int i = 0
    while i + 8 <= n:
        memcpy(&a, rec + i, 8)
        memcpy(&e, expect + i, 8)
        memcpy(&m, mask + i, 8)
        acc |= (a ^ e) & m
        i += 8
    while i < n:
        acc |= (rec[i] ^ expect[i]) & mask[i]
        i += 1
    return acc != 0


@cython.boundscheck(False)
@cython.wraparound(False)
cdef int _zone_format(const Tables* t, const uint8_t* rec, int z) noexcept nogil:
    """Kind of format error of zone ``z`` (0 when its characters are fine)."""
    cdef int s = t.z_start[z]
    cdef int n = t.z_len[z]
    cdef int k = t.z_kind[z]
    cdef int j, c, blanks = 0
    if t.z_flags[z] & F_ZERO:
        return _not_zero(rec, s, n, t.z_flags[z])
    if k == K_A or k == K_X:
        for j in range(s, s + n):
            if CLS[rec[j]] & C_BAD:
                return E_CHARS
        return 0
    if k == K_S:
        if t.z_flags[z] & F_BLANK_OK:
            for j in range(s, s + n):
                if rec[j] == 32:
                    blanks += 1
            if blanks == n:
                return 0
            if blanks:
                return E_BLANK_MIX
        if not (CLS[rec[s]] & C_SIGN):
            return E_SIGN
        for j in range(s + 1, s + n):
            c = CLS[rec[j]]
            if c & C_SIGN:
                return E_SIGN_IN_DIGITS
            if not (c & C_DIGIT):
                return E_NOT_DIGITS
        return 0
    for j in range(s, s + n):
        if not (CLS[rec[j]] & C_DIGIT):
            return E_NOT_DIGITS
    return 0


@cython.boundscheck(False)
@cython.wraparound(False)
cdef int _zone_value(const Tables* t, const uint8_t* rec, int z, int64_t* out) noexcept nogil:
    """Read zone ``z`` (whose characters are known to be fine) into ``out``.

    Returns the kind of value error, or 0.
    """
    cdef int s = t.z_start[z]
    cdef int n = t.z_len[z]
    cdef int k = t.z_kind[z]
    cdef int flags = t.z_flags[z]
    cdef int j, r, r0, rn
    cdef int64_t v = 0
    cdef bint blank = True
    if flags & F_ZERO:
        out[0] = 0
        return _not_zero(rec, s, n, flags)
    if k == K_A:
        for j in range(s, s + n):
            if rec[j] != 32:
                blank = False
                break
        out[0] = 0
        return E_MISSING if blank and (flags & F_MANDATORY) else 0
    if k == K_S:
        if rec[s] == 32:     # an optional amount left blank (checked by _zone_format)
            out[0] = 0
            return E_MISSING if flags & F_MANDATORY else 0
        v = vsb_digits(rec + s + 1, n - 1)
        out[0] = -v if rec[s] == 45 else v
    else:
        v = vsb_digits(rec + s, n)
        out[0] = v
    if v == 0:
        # A zero amount is a value; a zero number, code or date is missing.
        if flags & F_MANDATORY and k != K_S:
            return E_MISSING
    elif k == K_D:
        if not _is_date(v):
            return E_DATE
    elif k == K_Y:
        if v // 100 < 1800 or v % 100 < 1 or v % 100 > 12:
            return E_DATE
    rn = t.z_rng_count[z]
    if rn and not (v == 0 and (flags & F_MANDATORY) and k != K_S):
        r0 = t.z_rng_first[z]
        for r in range(r0, r0 + rn):
            if t.rng_lo[r] <= v <= t.rng_hi[r]:
                return 0
        return E_VALUE
    return 0


@cython.boundscheck(False)
@cython.wraparound(False)
cdef int _unit(const Tables* t, Findings* f, Columns* cols, Py_ssize_t u,
               const uint8_t* rec, int L) noexcept nogil:
    """Check and extract one unit (segment or record). Returns -1 on out-of-memory."""
    cdef const uint8_t* allow = t.allow + L * 350
    cdef int n = t.layout_len[L]
    cdef int z, z0, zn, e, col, w, w0
    cdef uint8_t bad = 0
    cdef uint32_t s = 0
    cdef int64_t v
    cdef uint64_t failed = 0     # zones (by position in the layout, < 64) with a format error
    cdef int stored
    cdef bint check = t.layout_check[L]
    bad = vsb_classify(rec, allow, n, 348 if check else 0, CLS, VAL, &s)
    z0 = t.zone_first[L]
    zn = t.zone_count[L]
    if bad:
        for z in range(z0, z0 + zn):
            e = _zone_format(t, rec, z)
            if e:
                if z - z0 < 64:
                    failed |= (<uint64_t> 1) << (z - z0)
                if _push(f, u, z, e):
                    return -1
    w0 = t.work_first[L]
    for w in range(w0, w0 + t.work_count[L]):
        z = t.work_zone[w]
        if failed and z - z0 < 64 and failed & ((<uint64_t> 1) << (z - z0)):
            continue
        v = 0
        e = _zone_value(t, rec, z, &v)
        if e and _push(f, u, z, e):
            return -1
        col = t.z_col[z]
        if col >= 0:
            if t.z_wide[z]:
                cols.wide[col * cols.cap + u] = v
            else:
                cols.narrow[col * cols.cap + u] = <int32_t> v
    if t.layout_zero[L] and _zeros_differ(rec, t.zero_expect + L * 350, t.zero_mask + L * 350, n):
        # Reserved zones (F_ZERO, not blank-ok: those are work zones): which are wrong.
        for z in range(z0, z0 + zn):
            if t.z_flags[z] & F_ZERO and not t.z_flags[z] & F_BLANK_OK:
                if z - z0 < 64 and failed & ((<uint64_t> 1) << (z - z0)):
                    continue
                e = _not_zero(rec, t.z_start[z], t.z_len[z], t.z_flags[z])
                if e and _push(f, u, z, e):
                    return -1
    if check:
        z = z0 + zn - 1      # zone 99 closes every detail layout
        if not (failed & ((<uint64_t> 1) << (zn - 1))):
            stored = (rec[348] - 48) * 10 + (rec[349] - 48)
            s %= 97
            if s == 0:
                s = 97
            if stored != <int> s:
                if _push(f, u, z, E_CHECK):
                    return -1
    return 0


cdef inline Py_ssize_t _skip_break(const uint8_t* b, Py_ssize_t p, Py_ssize_t n) noexcept nogil:
    if p < n and b[p] == 10:
        return p + 1
    if p + 1 < n and b[p] == 13 and b[p + 1] == 10:
        return p + 2
    return p


@cython.boundscheck(False)
@cython.wraparound(False)
cdef Py_ssize_t _scan(const Tables* t, const uint8_t* b, Py_ssize_t n, int64_t* offsets,
                      int8_t* layout, Columns* cols, Findings* f, FramingLog* fr,
                      bint* lines_io, bint body, bint framing_only) noexcept nogil:
    """Frame and check the whole buffer. Returns the number of units, or -1 (memory).

    ``body``: the buffer starts with records (units 0 and 1, the segments, are
    absent); ``lines_io`` then says whether the file separates its parts with line
    breaks, and returns that for a whole file. ``framing_only``: frame, no checks.
    """
    cdef Py_ssize_t p = 0, u = 0, avail, want, q, linelen, end
    cdef const uint8_t* nl
    cdef int L, rt
    cdef bint lines = lines_io[0]
    if body:
        offsets[0] = offsets[1] = -1
        layout[0] = layout[1] = -1
        u = 2
    while p < n or u < 2:
        if u == 0:
            want, L = 67, t.layout_200
        elif u == 1:
            want, L = 160, t.layout_300
        else:
            want, L = 350, -1
        offsets[u] = -1
        layout[u] = -1
        if p >= n:
            # Segment 200 or 300 missing altogether.
            _frame(fr, FR_SHORT_FILE, p, 0, u)
            u += 1
            continue
        avail = n - p
        nl = <const uint8_t*> memchr(b + p, 10, want if avail > want else avail)
        if nl != NULL:
            linelen = nl - (b + p)
            if linelen > 0 and b[p + linelen - 1] == 13:
                linelen -= 1
            p = nl - b + 1
            if linelen == 0 and u >= 2:
                continue          # an empty line between or after records holds nothing
            _frame(fr, FR_SHORT_LINE, nl - b - linelen, linelen, u)
            if u < 2:
                u += 1
            continue
        if avail < want:
            _frame(fr, FR_TRUNCATED if u >= 2 else FR_SHORT_FILE, p, avail, u)
            p = n
            if u < 2:
                u += 1
            continue
        offsets[u] = p
        if L < 0:
            if CLS[b[p]] & C_DIGIT and CLS[b[p + 1]] & C_DIGIT:
                rt = (b[p] - 48) * 10 + (b[p + 1] - 48)
                L = t.type_to_layout[rt]
            if L < 0 or L == t.layout_200 or L == t.layout_300:
                L = -1
                _frame(fr, FR_UNKNOWN_TYPE, p, 2, u)
        layout[u] = <int8_t> L
        if L >= 0 and not framing_only and _unit(t, f, cols, u, b + p, L):
            return -1
        u += 1
        p += want
        q = _skip_break(b, p, n)
        if q != p:
            if u <= 2:
                lines = True
            p = q
        elif lines and p < n:
            nl = <const uint8_t*> memchr(b + p, 10, n - p)
            end = (nl - b) if nl != NULL else n
            linelen = want + (end - p)
            if end > p and b[end - 1] == 13:
                linelen -= 1
            _frame(fr, FR_LONG_LINE, offsets[u - 1], linelen, u - 1)
            p = end + 1 if nl != NULL else n
    lines_io[0] = lines
    return u


cdef class Scan:
    """What one scan found: the units, their numeric columns and the findings.

    Attributes
    ----------
    offsets, layout
        Per unit (units 0 and 1 are segments 200 and 300, offset -1 when absent): the
        byte offset in the buffer (int64) and the layout index (int8, -1 unknown).
    narrow, wide
        The extracted columns, ``(n_narrow, units)`` int32 and ``(n_wide, units)``
        int64 (0 where a unit has no such zone).
    finding_unit, finding_zone, finding_kind
        The zone findings: unit, global zone index and :class:`Finding`.
    framing_kind, framing_offset, framing_length, framing_unit, framing_total
        The framing findings kept (:class:`FramingKind`, byte offset, length of the
        line or part, unit) and how many there were in all.
    lines
        Whether the file separates its parts with line breaks.
    size
        Bytes scanned.
    """

    def __repr__(self):
        return f"<Scan {len(self.offsets)} units, {len(self.finding_unit)} findings>"


ScanCounts = namedtuple("ScanCounts", "scans bytes framings framing_bytes")
ScanCounts.__doc__ = "Scans this process ran: full and framing-only ones, with their bytes."

# Counted under the GIL (in the wrapper), so threads do not race on them.
cdef Py_ssize_t _n_scans = 0, _n_scan_bytes = 0, _n_framings = 0, _n_framing_bytes = 0


def scan_counts():
    """The scans this process ran so far (a :class:`ScanCounts`)."""
    return ScanCounts(_n_scans, _n_scan_bytes, _n_framings, _n_framing_bytes)


cdef object _array(const void* data, Py_ssize_t n, object dtype):
    """A numpy copy of ``n`` items of a C array."""
    out = np.empty(n, dtype)
    if n:
        memcpy(cnp.PyArray_DATA(out), data, n * out.itemsize)
    return out


def scan(const unsigned char[::1] data, CoreTables tables, int n_narrow, int n_wide,
         Py_ssize_t framing_cap=1000, bint body=False, bint lines=False,
         bint framing_only=False):
    """Frame, check and extract a billing file in one pass without the GIL.

    Parameters
    ----------
    data
        The file's bytes (bytes, bytearray, memoryview or mmap).
    tables
        The compiled layouts (:class:`CoreTables`).
    n_narrow, n_wide
        Number of int32 and int64 columns the layouts extract.
    framing_cap
        Framing findings kept in detail (the total is always counted).
    body
        The buffer holds records only (a chunk of a file): units 0 and 1 are absent.
    lines
        With ``body``: whether the file separates its parts with line breaks.
    framing_only
        Frame the units and read their types; no zone checks, no columns.

    Returns
    -------
    Scan
        The units, columns and findings.
    """
    global _n_scans, _n_scan_bytes, _n_framings, _n_framing_bytes
    cdef Py_ssize_t n = data.shape[0]
    cdef Py_ssize_t cap = n // 350 + 3
    cdef Py_ssize_t units
    cdef Findings f
    cdef FramingLog fr
    cdef Columns cols
    cdef bint lines_io = lines if body else False
    cdef const uint8_t* base = &data[0] if n > 0 else NULL
    cdef Scan out
    if framing_only:
        _n_framings += 1
        _n_framing_bytes += n
        n_narrow = n_wide = 0
    else:
        _n_scans += 1
        _n_scan_bytes += n
    offsets = np.empty(cap, dtype=np.int64)
    layout = np.empty(cap, dtype=np.int8)
    narrow = np.zeros((n_narrow, cap), dtype=np.int32)
    wide = np.zeros((n_wide, cap), dtype=np.int64)
    cdef int64_t[::1] off_v = offsets
    cdef int8_t[::1] lay_v = layout
    cols.cap = cap
    cols.narrow = <int32_t*> cnp.PyArray_DATA(narrow)
    cols.wide = <int64_t*> cnp.PyArray_DATA(wide)
    f.n = f.cap = 0
    f.unit = NULL
    f.zone = NULL
    f.kind = NULL
    fr.n = fr.total = 0
    fr.cap = framing_cap
    fr.kind = <uint8_t*> malloc(max(framing_cap, 1) * sizeof(uint8_t))
    fr.offset = <int64_t*> malloc(max(framing_cap, 1) * sizeof(int64_t))
    fr.length = <int64_t*> malloc(max(framing_cap, 1) * sizeof(int64_t))
    fr.unit = <int32_t*> malloc(max(framing_cap, 1) * sizeof(int32_t))
    try:
        if fr.kind == NULL or fr.offset == NULL or fr.length == NULL or fr.unit == NULL:
            raise MemoryError()
        with nogil:
            units = _scan(&tables.t, base, n, &off_v[0], &lay_v[0], &cols, &f, &fr, &lines_io,
                          body, framing_only)
        if units < 0:
            raise MemoryError()
        out = Scan.__new__(Scan)
        out.offsets = offsets[:units]
        out.layout = layout[:units]
        out.narrow = narrow[:, :units]
        out.wide = wide[:, :units]
        out.finding_unit = _array(f.unit, f.n, np.int32)
        out.finding_zone = _array(f.zone, f.n, np.int32)
        out.finding_kind = _array(f.kind, f.n, np.uint8)
        out.framing_kind = _array(fr.kind, fr.n, np.uint8)
        out.framing_offset = _array(fr.offset, fr.n, np.int64)
        out.framing_length = _array(fr.length, fr.n, np.int64)
        out.framing_unit = _array(fr.unit, fr.n, np.int32)
        out.framing_total = fr.total
        out.lines = lines_io
        out.size = n
    finally:
        free(f.unit)
        free(f.zone)
        free(f.kind)
        free(fr.kind)
        free(fr.offset)
        free(fr.length)
        free(fr.unit)
    return out


# ---------------------------------------------------------------------------------------
# Rendering rows of an answer from columns (fixed-width records, JSON Lines).

cdef uint8_t _PAIRS[200]     # "00" "01" ... "99"


cdef uint64_t _POW10[20]     # 1, 10, ... 10**19


cdef void _init_pairs() noexcept:
    cdef int i
    for i in range(100):
        _PAIRS[2 * i] = <uint8_t> (48 + i // 10)
        _PAIRS[2 * i + 1] = <uint8_t> (48 + i % 10)
    _POW10[0] = 1
    for i in range(1, 20):
        _POW10[i] = _POW10[i - 1] * 10


_init_pairs()


@cython.cdivision(True)
cdef inline bint _fixed(uint8_t* out, Py_ssize_t w, uint64_t mag) noexcept nogil:
    """``mag`` right-aligned and zero-filled in ``w`` bytes; False when it does not fit."""
    cdef Py_ssize_t k = w
    cdef uint64_t q, r
    if mag == 0:
        memset(out, 48, w)
        return True
    while k >= 2 and mag >= 10:
        q = mag // 100
        r = mag - q * 100
        out[k - 2] = _PAIRS[2 * r]
        out[k - 1] = _PAIRS[2 * r + 1]
        k -= 2
        mag = q
    while k >= 1:
        out[k - 1] = <uint8_t> (48 + mag % 10)
        mag //= 10
        k -= 1
    return mag == 0


@cython.cdivision(True)
cdef inline void _copy_words(uint8_t* dst, const uint8_t* src, Py_ssize_t n) noexcept nogil:
    """Copy ``n`` bytes 8 at a time: up to 7 bytes past ``dst + n`` are written too
    (the next part overwrites them; the buffer has that slack)."""
    cdef Py_ssize_t k = 0
    while k < n:
        memcpy(dst + k, src + k, 8)
        k += 8


cdef inline int _ndigits(uint64_t mag) noexcept nogil:
    cdef int nd = 1
    while nd < 20 and mag >= _POW10[nd]:
        nd += 1
    return nd


@cython.cdivision(True)
cdef inline void _decimal_at(uint8_t* out, int nd, uint64_t mag) noexcept nogil:
    """The ``nd`` digits of ``mag`` at ``out`` (most significant first)."""
    cdef uint64_t q, r
    cdef int k = nd
    while k >= 2:
        q = mag // 100
        r = mag - q * 100
        out[k - 2] = _PAIRS[2 * r]
        out[k - 1] = _PAIRS[2 * r + 1]
        k -= 2
        mag = q
    if k == 1:
        out[0] = <uint8_t> (48 + mag)


@cython.cdivision(True)
cdef Py_ssize_t _render(const Part* parts, int n_parts, Py_ssize_t rows, uint8_t* out,
                        int64_t* ends, Py_ssize_t* bad_row, bint slack) noexcept nogil:
    """Write every row; return the bytes written, or -1 - (index of the part) when a
    value does not fit its part (its row in ``bad_row``). Preconditions: ``out`` holds
    the longest rows; every column has ``rows`` values; with ``slack``, 8 bytes more
    and no ``P_SKIP`` part (texts are then copied by words)."""
    cdef Py_ssize_t r, p = 0, k, w
    cdef int j, nd
    cdef int64_t v
    cdef uint64_t mag
    cdef const Part* q
    for r in range(rows):
        for j in range(n_parts):
            q = &parts[j]
            if q.kind == P_TEXT:
                if slack:
                    _copy_words(out + p, q.bytes, q.n_bytes)
                else:
                    memcpy(out + p, q.bytes, q.n_bytes)
                p += q.n_bytes
                continue
            if q.kind == P_SKIP:
                p += q.width
                continue
            if q.kind == P_COPY:
                v = q.values[r]
                if v < 0 or v + q.width > q.n_bytes:
                    bad_row[0] = r
                    return -1 - j
                if q.width == 1:
                    out[p] = q.bytes[v]
                else:
                    memcpy(out + p, q.bytes + v, q.width)
                p += q.width
                continue
            if q.kind == P_DIGITS or q.kind == P_SIGNED:
                v = q.values[r]
                w = q.width
                if q.kind == P_SIGNED:
                    out[p] = 45 if v < 0 else 43
                    p += 1
                    w -= 1
                elif v < 0:
                    bad_row[0] = r
                    return -1 - j
                mag = (<uint64_t> 0) - <uint64_t> v if v < 0 else <uint64_t> v
                if not _fixed(out + p, w, mag):
                    bad_row[0] = r
                    return -1 - j
                p += w
                continue
            v = q.values[r]
            if q.kind == P_DATE:
                if v < 0 or v > 99999999:
                    bad_row[0] = r
                    return -1 - j
                out[p] = <uint8_t> (48 + v // 10000000 % 10)
                out[p + 1] = <uint8_t> (48 + v // 1000000 % 10)
                out[p + 2] = <uint8_t> (48 + v // 100000 % 10)
                out[p + 3] = <uint8_t> (48 + v // 10000 % 10)
                out[p + 4] = 45
                out[p + 5] = <uint8_t> (48 + v // 1000 % 10)
                out[p + 6] = <uint8_t> (48 + v // 100 % 10)
                out[p + 7] = 45
                out[p + 8] = <uint8_t> (48 + v // 10 % 10)
                out[p + 9] = <uint8_t> (48 + v % 10)
                p += 10
                continue
            mag = (<uint64_t> 0) - <uint64_t> v if v < 0 else <uint64_t> v
            nd = _ndigits(mag)
            if q.kind == P_INT:
                if v < 0:
                    out[p] = 45
                    p += 1
                _decimal_at(out + p, nd, mag)
                p += nd
                continue
            w = q.width
            if q.kind == P_ZFILL:
                if v < 0:
                    out[p] = 45
                    p += 1
                    w -= 1
                for k in range(w - nd):
                    out[p + k] = 48
                if w > nd:
                    p += w - nd
                _decimal_at(out + p, nd, mag)
                p += nd
                continue
        ends[r] = p
    return p


_MAX_WIDTH = {P_INT: 20, P_DATE: 10, P_ZFILL: 20}


def render_rows(parts, Py_ssize_t rows, out=None):
    """Render ``rows`` rows, each the concatenation of ``parts``, without the GIL.

    Parameters
    ----------
    parts
        ``(kind, data, width)`` per part (:class:`PartKind`): ``P_TEXT`` with bytes;
        ``P_INT``, ``P_DIGITS``, ``P_SIGNED``, ``P_DATE``, ``P_ZFILL`` with an int64
        array of ``rows`` values; ``P_COPY`` with ``(buffer, offsets)``; ``P_SKIP``
        with None (the bytes already in ``out`` stay).
    rows
        Rows to render.
    out
        A bytearray to render into (large enough for the longest rows), reused from
        one call to the next; by default a new one.

    Returns
    -------
    tuple
        ``(rows, ends)``: the rows one after the other (the new bytearray, or a
        memoryview of ``out``), and the end of each row (int64).

    Raises
    ------
    ValueError
        A value does not fit its part (too long, negative for ``P_DIGITS``), or a
        ``P_COPY`` offset lies outside its buffer; the message names the part and row.
    """
    parts = list(parts)
    cdef Py_ssize_t n_parts = len(parts), j, row_max = 0, bad_row = -1, used
    cdef Part* cparts = <Part*> malloc(max(n_parts, 1) * sizeof(Part))
    cdef const int64_t[::1] column
    cdef const unsigned char[::1] raw
    cdef uint8_t* out_p
    cdef int64_t* ends_p
    cdef bint slack = True
    keep = []
    if cparts == NULL:
        raise MemoryError()
    try:
        for j in range(n_parts):
            kind, data, width = parts[j]
            cparts[j].kind = kind
            cparts[j].width = width
            cparts[j].values = NULL
            cparts[j].bytes = NULL
            cparts[j].n_bytes = 0
            if kind == P_TEXT:
                data = bytes(data)
                row_max += len(data)
                data += b"\0" * 8  # word copies read up to 7 bytes past the text
                raw = data
                keep.append(data)
                cparts[j].bytes = &raw[0]
                cparts[j].n_bytes = raw.shape[0] - 8
                continue
            if kind == P_SKIP:
                slack = False
                row_max += width
                continue
            if kind == P_COPY:
                buffer, data = data
                raw = buffer
                keep.append(buffer)
                cparts[j].bytes = &raw[0] if raw.shape[0] else NULL
                cparts[j].n_bytes = raw.shape[0]
            elif kind not in (P_INT, P_DIGITS, P_SIGNED, P_DATE, P_ZFILL):
                raise ValueError(f"part {j}: unknown kind {kind}")
            data = np.ascontiguousarray(data, dtype=np.int64)
            if data.shape[0] < rows:
                raise ValueError(f"part {j}: {data.shape[0]} values for {rows} rows")
            keep.append(data)
            column = data
            cparts[j].values = &column[0] if rows else NULL
            row_max += max(_MAX_WIDTH.get(kind, width), width)
        given = out is not None
        if not given:
            out = bytearray(rows * row_max + 8)
        elif len(out) < rows * row_max + (8 if slack else 0):
            raise ValueError(f"out holds {len(out)} bytes, the rows may need {rows * row_max}")
        ends = np.empty(rows, dtype=np.int64)
        used = 0
        if rows:
            out_p = <uint8_t*> (<char*> out)
            ends_p = <int64_t*> cnp.PyArray_DATA(ends)
            with nogil:
                used = _render(cparts, <int> n_parts, rows, out_p, ends_p, &bad_row, slack)
            if used < 0:
                raise ValueError(f"part {-1 - used}: value of row {bad_row} does not fit")
        if given:
            return memoryview(out)[:used], ends
        del out[used:]
        return out, ends
    finally:
        free(cparts)


cdef int _writev_all(int fd, iovec* iov, int count) noexcept nogil:
    """writev until every byte of ``iov`` is written; returns 0, or errno."""
    cdef ssize_t done
    cdef int first = 0
    while first < count:
        done = writev(fd, iov + first, count - first)
        if done < 0:
            if errno == EINTR:
                continue
            return errno
        while first < count and <size_t> done >= iov[first].iov_len:
            done -= iov[first].iov_len
            first += 1
        if first < count:
            iov[first].iov_base = <char*> iov[first].iov_base + done
            iov[first].iov_len -= done
    return 0


def write_interleaved(int fd, const unsigned char[::1] records, offsets, Py_ssize_t width,
                      const unsigned char[::1] rows, Py_ssize_t row_width, Py_ssize_t n):
    """Write ``n`` lines to ``fd``: ``width`` bytes of ``records`` from each offset, then
    that line's ``row_width`` bytes of ``rows``; with writev, without the GIL (the
    records go from their buffer to the file with no copy in between).

    Raises
    ------
    ValueError
        An offset outside ``records``, or ``rows`` shorter than ``n`` lines.
    OSError
        The write failed.
    """
    cdef const int64_t[::1] off = np.ascontiguousarray(offsets, dtype=np.int64)
    cdef Py_ssize_t i, k, size = records.shape[0]
    cdef iovec iov[1024]
    cdef int err = 0
    cdef const unsigned char* src = &records[0] if size else NULL
    cdef const unsigned char* dst = &rows[0] if rows.shape[0] else NULL
    if off.shape[0] < n or rows.shape[0] < n * row_width:
        raise ValueError("fewer offsets or rows than lines")
    for i in range(n):
        if off[i] < 0 or off[i] + width > size:
            raise ValueError(f"line {i}: offset {off[i]} outside the records")
    with nogil:
        i = 0
        while i < n and err == 0:
            k = 0
            while i < n and k < 1024:
                iov[k].iov_base = <void*> (src + off[i])
                iov[k].iov_len = width
                iov[k + 1].iov_base = <void*> (dst + i * row_width)
                iov[k + 1].iov_len = row_width
                k += 2
                i += 1
            err = _writev_all(fd, iov, <int> k)
    if err:
        raise OSError(err, os.strerror(err))


@cython.boundscheck(False)
@cython.wraparound(False)
def fill_check_digits(unsigned char[:, ::1] records):
    """Write the record check digits (zone 99, positions 349-350) of each row.

    ``records`` is an ``(n, 350)`` uint8 array of detail records; the rule is
    the plain one: sum of the character values of positions 1-348, mod 97,
    97 for 0.
    """
    cdef Py_ssize_t i, j, n = records.shape[0]
    cdef uint32_t s
    if records.shape[1] != 350:
        raise ValueError("records must have 350 columns")
    with nogil:
        for i in range(n):
            s = 0
            for j in range(348):
                s += VAL[records[i, j]]
            s %= 97
            if s == 0:
                s = 97
            records[i, 348] = <unsigned char> (48 + s // 10)
            records[i, 349] = <unsigned char> (48 + s % 10)


def char_values(const unsigned char[::1] text):
    """Sum of the check-digit values of ``text`` (digits 0-9, blank 10, A-Z 11-36, other 37)."""
    cdef Py_ssize_t j
    cdef uint64_t s = 0
    for j in range(text.shape[0]):
        s += VAL[text[j]]
    return s


# ---------------------------------------------------------------------------------------
# Typed CSV columns (reference data). One pass over the bytes, no object per field.
# Column kinds: CsvKind in _core.pxd.

#: Status codes of read_csv (0 = fine).
CSV_ERRORS = dict(FIELDS=1, NOT_DIGITS=2, TOO_LONG=3, NOT_DATE=4, NOT_ALLOWED=5, QUOTE=6)

cdef int _DAYS_BEFORE_MONTH[13]
_DAYS_BEFORE_MONTH[:] = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]


cdef inline int _days_since_1900(int y, int m, int d) noexcept nogil:
    cdef int yy = y - 1
    cdef int days = ((y - 1900) * 365 + (yy // 4 - 1899 // 4) - (yy // 100 - 1899 // 100)
                     + (yy // 400 - 1899 // 400))
    days += _DAYS_BEFORE_MONTH[m] + d - 1
    if m > 2 and (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)):
        days += 1
    return days


@cython.boundscheck(False)
@cython.wraparound(False)
cdef int _csv_field(const uint8_t* f, Py_ssize_t n, int kind, const uint8_t* words,
                    int n_words, int64_t* out) noexcept nogil:
    """Convert one field (quotes already removed, blanks trimmed). Returns a status."""
    cdef Py_ssize_t i
    cdef int64_t v = 0
    cdef int y, m, d, w, k, wl
    cdef const uint8_t* word
    cdef bint same
    if kind == CSV_INT:
        if n == 0:
            out[0] = -1
            return 0
        if n > 18:
            return 3
        for i in range(n):
            if f[i] < 48 or f[i] > 57:
                return 2
            v = v * 10 + (f[i] - 48)
        out[0] = v
        return 0
    if kind == CSV_DAY:
        if n == 0:
            out[0] = 65535
            return 0
        if n != 10 or f[4] != 45 or f[7] != 45:
            return 4
        for i in range(10):
            if i != 4 and i != 7 and (f[i] < 48 or f[i] > 57):
                return 4
        y = (f[0] - 48) * 1000 + (f[1] - 48) * 100 + (f[2] - 48) * 10 + (f[3] - 48)
        m = (f[5] - 48) * 10 + (f[6] - 48)
        d = (f[8] - 48) * 10 + (f[9] - 48)
        if y < 1900 or y > 2078 or not _is_date(<int64_t> (y * 10000 + m * 100 + d)):
            return 4
        out[0] = _days_since_1900(y, m, d)
        return 0
    if kind == CSV_ENUM:
        # words: n_words entries of 16 bytes, zero-padded, lower case.
        for w in range(n_words):
            word = words + 16 * w
            wl = 0
            while wl < 16 and word[wl] != 0:
                wl += 1
            if wl != n:
                continue
            same = True
            for k in range(n):
                if (f[k] | 32 if 65 <= f[k] <= 90 else f[k]) != word[k]:
                    same = False
                    break
            if same:
                out[0] = w
                return 0
        return 5
    return 0


@cython.boundscheck(False)
@cython.wraparound(False)
def read_csv(const unsigned char[::1] data, Py_ssize_t start, unsigned char delim,
             const unsigned char[::1] kinds, list outputs, const unsigned char[:, ::1] words,
             Py_ssize_t rows):
    """Read typed columns of a CSV body (after its header line) in one pass.

    Parameters
    ----------
    data, start
        The file's bytes and the offset of the first data line.
    delim
        The field separator (``,`` or ``;``).
    kinds
        Per column: 0 skip, 1 integer, 2 date, 3 one of ``words``.
    outputs
        Per column: a numpy array of ``rows`` elements to fill (int64, uint16, uint8),
        or None for skipped columns.
    words
        ``(n, 16)`` lower-case words for enum columns (all enum columns share them).
    rows
        Capacity of the outputs.

    Returns
    -------
    tuple
        ``(rows read, status, line, column)``: status 0 when every field was fine,
        otherwise the first problem (line 1-based counting the header, column 0-based).
    """
    cdef Py_ssize_t n = data.shape[0], p = start, q, fs, fe, row = 0, line = 2
    cdef int ncols = kinds.shape[0], col, st, kind
    cdef int64_t value
    cdef const uint8_t* b = &data[0] if n > 0 else NULL
    cdef int n_words = words.shape[0]
    cdef const uint8_t* wp = &words[0, 0] if n_words > 0 else NULL
    cdef int64_t* i64[64]
    cdef uint16_t* u16[64]
    cdef uint8_t* u8[64]
    cdef bint quoted
    if ncols > 64:
        raise ValueError("at most 64 columns")
    for col in range(ncols):
        i64[col] = NULL
        u16[col] = NULL
        u8[col] = NULL
        arr = outputs[col]
        if arr is None:
            continue
        if arr.dtype == np.int64:
            i64[col] = <int64_t*> cnp.PyArray_DATA(arr)
        elif arr.dtype == np.uint16:
            u16[col] = <uint16_t*> cnp.PyArray_DATA(arr)
        else:
            u8[col] = <uint8_t*> cnp.PyArray_DATA(arr)
    with nogil:
        while p < n:
            # An empty line (or the end) closes nothing.
            if b[p] == 10 or (b[p] == 13 and p + 1 < n and b[p + 1] == 10):
                p += 1 if b[p] == 10 else 2
                line += 1
                continue
            if row >= rows:
                break
            col = 0
            while True:
                # One field: quoted or plain.
                quoted = False
                while p < n and b[p] == 32:
                    p += 1
                if p < n and b[p] == 34:
                    quoted = True
                    fs = p + 1
                    q = fs
                    while q < n:
                        if b[q] == 34:
                            if q + 1 < n and b[q + 1] == 34:
                                q += 2          # an escaped quote ("") stays in the field
                                continue
                            break
                        q += 1
                    if q >= n:
                        with gil:
                            return row, 6, line, col
                    fe = q
                    p = q + 1
                    while p < n and b[p] == 32:
                        p += 1
                else:
                    fs = p
                    while p < n and b[p] != delim and b[p] != 10 and b[p] != 13:
                        p += 1
                    fe = p
                    while fe > fs and b[fe - 1] == 32:
                        fe -= 1
                if col < ncols:
                    kind = kinds[col]
                    if kind != CSV_SKIP:
                        st = _csv_field(b + fs, fe - fs, kind, wp, n_words, &value)
                        if st:
                            with gil:
                                return row, st, line, col
                        if i64[col] != NULL:
                            i64[col][row] = value
                        elif u16[col] != NULL:
                            u16[col][row] = <uint16_t> value
                        elif u8[col] != NULL:
                            u8[col][row] = <uint8_t> value
                col += 1
                if p < n and b[p] == delim:
                    p += 1
                    continue
                break
            if col != ncols:
                with gil:
                    return row, 1, line, col
            if p < n and b[p] == 13:
                p += 1
            if p < n and b[p] == 10:
                p += 1
            elif p < n:
                with gil:
                    return row, 1, line, col
            row += 1
            line += 1
    return row, 0, line, -1
