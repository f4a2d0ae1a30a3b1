# cython: language_level=3
"""Compiled kernels of vsbengine.

``scan`` walks a billing file once, without the GIL: it frames the segments and
records, checks every byte against the character classes its zone allows (two
nibble lookups per byte, 32 bytes at a time where the processor has AVX2),
computes the record check digits, reads the zones the layouts name into columns
stored per record type, follows the invoice structure, and runs the streaming
rules (record order and sequence numbers, equal zones, dates, signs, invoice
totals and control numbers, identification numbers) from their compiled table.
It creates no Python object per record or per zone: findings go to growable C
arrays, columns into one memory region that the numpy arrays of the result view.

The layouts and rules come from ``vsbengine.formats.efact.compiled`` (tables
compiled into arrays); the constants they share with the core are declared once,
in ``_core.pxd``, and bound here for the Python side.
"""

cimport cython
from cpython.pycapsule cimport PyCapsule_New
from cpython.ref cimport Py_INCREF
from libc.stdint cimport (
    int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t, uintptr_t,
)
from libc.stdlib cimport calloc, free, malloc, realloc
from libc.errno cimport EINTR, errno
from libc.string cimport memchr, memcmp, memcpy, memset
from posix.uio cimport iovec, writev

import hashlib
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

# -- the classification kernel ----------------------------------------------------------

#: The classification kernels, by number: what ``kernel()`` and ``use_kernel()`` name.
KERNELS = ("portable", "sse4.1", "avx2")
cdef int _KERNEL = vsb_best_kernel()


def kernel():
    """The classification kernel the scan uses: ``"avx2"``, ``"sse4.1"`` or ``"portable"``
    (the best this processor runs, chosen when the module loads)."""
    return KERNELS[_KERNEL]


def use_kernel(name):
    """Make the scans that start from now on use another classification kernel (tests
    compare them); returns the one used before.

    Raises
    ------
    ValueError
        An unknown kernel, or one this processor cannot run.
    """
    global _KERNEL
    if name not in KERNELS:
        raise ValueError(f"unknown kernel {name!r}; known: {', '.join(KERNELS)}")
    which = KERNELS.index(name)
    if not vsb_kernel_available(which):
        raise ValueError(f"this processor cannot run the {name} kernel")
    before = KERNELS[_KERNEL]
    _KERNEL = which
    return before


cdef bint _BUILTIN = True
cdef bint _FUSED = True


def use_builtin(flag):
    """Make the scans that start from now on use the built-in layout readers and rules
    (``True``, the default, where the tables match them) or walk the tables' ops and
    rules (``False``; tests compare the two). Returns the setting before."""
    global _BUILTIN
    before = bool(_BUILTIN)
    _BUILTIN = bool(flag)
    return before


def use_fused(flag):
    """Make the scans that start from now on run a fine unit of a built-in layout in its
    one unit function (``True``, the default) or call its built-in reader, zeros check
    and rules one after the other (``False``; tests compare the two). Only with the
    built-in code (``use_builtin``). Returns the setting before."""
    global _FUSED
    before = bool(_FUSED)
    _FUSED = bool(flag)
    return before


def available_kernels():
    """The kernels this processor runs."""
    return tuple(k for i, k in enumerate(KERNELS) if vsb_kernel_available(i))


# -- the compiled tables -----------------------------------------------------------------

cdef dict _ARRAYS = dict(
    layout_len=np.int32, layout_check=np.uint8, type_to_layout=np.int8, allow=np.uint8,
    layout_rtype=np.int16, layout_member=np.uint8, zone_first=np.int32, zone_count=np.int32,
    z_start=np.int32, z_len=np.int32, z_kind=np.uint8, z_flags=np.uint8, z_slot=np.int16,
    z_rng_first=np.int32, z_rng_count=np.int32, work_first=np.int32, work_count=np.int32,
    work_zone=np.int32, rng_lo=np.int64, rng_hi=np.int64, slot_first=np.int32,
    slot_count=np.int32, slot_wide=np.uint8, seq_slot=np.int16, seq_bit=np.uint64,
    layout_zero=np.uint8, zero_expect=np.uint8, zero_mask=np.uint8,
)
cdef dict _RULE_ARRAYS = dict(
    rule_first=np.int32, rule_count=np.int32, kind_first=np.int32, rule_sets=np.int64
)
cdef dict _OPMASK = {OP_GT: 1, OP_LT: 2, OP_EQ: 4, OP_GE: 5, OP_LE: 6, OP_NE: 3}


def _accept(allow, lengths, check):
    """The vector kernels' masks (VSB_* bits) from the class masks, and per layout
    whether they can check it (every position's classes map onto their bits)."""
    accept = np.zeros_like(allow)
    text = C_ALPHA | C_PUNCT | C_LATIN
    simd = np.ones(len(allow), dtype=np.uint8)
    for L in range(len(allow)):
        for j in range(int(lengths[L])):
            a = int(allow[L, j])
            bits = 0
            if a & C_DIGIT:
                bits |= VSB_NUM
            if a & C_BLANK:
                bits |= VSB_BLANK
            if a & C_SIGN:
                bits |= VSB_SIGN
            if a & text == text:
                bits |= VSB_TEXT
            elif a & text:
                simd[L] = 0  # some text classes only: the portable kernel checks it
            accept[L, j] = bits
        # The kernels read 32 bytes at a time, the last block overlapping the one before.
        if lengths[L] < 32 or (check[L] and lengths[L] - 348 >= 16):
            simd[L] = 0
    return accept, simd


def _work_modes(compiled):
    """How each zone the core reads is read: one or two 8-byte loads inside the unit,
    or digit by digit."""
    modes = np.zeros(len(compiled.work_zone), dtype=np.uint8)
    owner = np.searchsorted(compiled.zone_first, compiled.work_zone, side="right") - 1
    for w, z in enumerate(compiled.work_zone.tolist()):
        k = int(compiled.z_kind[z])
        s, n = int(compiled.z_start[z]), int(compiled.z_len[z])
        if k == K_S:
            s, n = s + 1, n - 1
        elif k not in (K_N, K_D, K_Y):
            continue
        length = int(compiled.layout_len[owner[w]])
        if n == 1:
            modes[w] = VSB_READ_1
        elif n == 2:
            modes[w] = VSB_READ_2
        elif n <= 4 and s + 4 <= length:
            modes[w] = VSB_READ_HEAD4
        elif 0 < n <= 8:
            if s + 8 <= length:
                modes[w] = VSB_READ_HEAD
            elif s + n >= 8:
                modes[w] = VSB_READ_TAIL
        elif 8 < n <= 16:
            modes[w] = VSB_READ_TWO
    return modes


def _zero_span(mask, lengths):
    """Per layout, the bytes ``[lo, hi)`` its zero masks cover (lo a multiple of 8)."""
    span = np.zeros((len(mask), 2), dtype=np.int32)
    for L in range(len(mask)):
        at = np.flatnonzero(mask[L, : int(lengths[L])])
        if len(at):
            span[L] = (int(at[0]) // 8 * 8, int(at[-1]) + 1)
    return np.ascontiguousarray(span)


cdef class CoreTables:
    """The compiled layouts and streaming rules, pinned for the core (built once per
    layout set; read-only afterwards, shared by every scan and thread)."""

    def __cinit__(self):
        self.t.rules = NULL
        self.t.works = NULL
        self.t.fast = NULL

    def __dealloc__(self):
        free(self.t.rules)
        free(self.t.works)
        free(self.t.fast)

    def __init__(self, compiled, rules):
        cdef Tables* t = &self.t
        cdef int i
        cdef Rule* q
        cdef Work* w
        cdef vsb_op* op
        arrays = {
            name: np.ascontiguousarray(getattr(compiled, name), dtype=dtype)
            for name, dtype in _ARRAYS.items()
        }
        for name, dtype in _RULE_ARRAYS.items():
            arrays[name] = np.ascontiguousarray(getattr(rules, name), dtype=dtype)
        for name in ("allow", "zero_expect", "zero_mask"):
            if arrays[name].shape[1] != 350:
                raise ValueError(f"{name} table must have 350 columns")
        accept, simd = _accept(arrays["allow"], arrays["layout_len"], arrays["layout_check"])
        arrays["accept"] = np.ascontiguousarray(accept)
        arrays["layout_simd"] = np.ascontiguousarray(simd)
        arrays["work_mode"] = _work_modes(compiled)
        table = rules
        rules = np.ascontiguousarray(table.rules, dtype=np.int64)
        if rules.ndim != 2 or rules.shape[1] != RC_FIELDS:
            raise ValueError(f"rules must have {int(RC_FIELDS)} columns")
        n_layouts = len(arrays["layout_len"])
        if n_layouts > 64:
            raise ValueError("at most 64 layouts")
        not_last = np.full(n_layouts, -1, dtype=np.int32)
        for k in np.flatnonzero(rules[:, RC_KIND] == RK_NOT_LAST).tolist():
            not_last[rules[k, RC_LAYOUT]] = k
        arrays["not_last"] = not_last
        self._keep = arrays
        self._rules = rules
        t.n_layouts = n_layouts
        t.layout_len = <const int32_t*> cnp.PyArray_DATA(arrays["layout_len"])
        t.layout_check = <const uint8_t*> cnp.PyArray_DATA(arrays["layout_check"])
        t.type_to_layout = <const int8_t*> cnp.PyArray_DATA(arrays["type_to_layout"])
        t.allow = <const uint8_t*> cnp.PyArray_DATA(arrays["allow"])
        t.accept = <const uint8_t*> cnp.PyArray_DATA(arrays["accept"])
        t.layout_simd = <const uint8_t*> cnp.PyArray_DATA(arrays["layout_simd"])
        t.layout_rtype = <const int16_t*> cnp.PyArray_DATA(arrays["layout_rtype"])
        t.layout_member = <const uint8_t*> cnp.PyArray_DATA(arrays["layout_member"])
        t.zone_first = <const int32_t*> cnp.PyArray_DATA(arrays["zone_first"])
        t.zone_count = <const int32_t*> cnp.PyArray_DATA(arrays["zone_count"])
        t.z_start = <const int32_t*> cnp.PyArray_DATA(arrays["z_start"])
        t.z_len = <const int32_t*> cnp.PyArray_DATA(arrays["z_len"])
        t.z_kind = <const uint8_t*> cnp.PyArray_DATA(arrays["z_kind"])
        t.z_flags = <const uint8_t*> cnp.PyArray_DATA(arrays["z_flags"])
        t.z_slot = <const int16_t*> cnp.PyArray_DATA(arrays["z_slot"])
        t.z_rng_first = <const int32_t*> cnp.PyArray_DATA(arrays["z_rng_first"])
        t.z_rng_count = <const int32_t*> cnp.PyArray_DATA(arrays["z_rng_count"])
        t.work_first = <const int32_t*> cnp.PyArray_DATA(arrays["work_first"])
        t.work_count = <const int32_t*> cnp.PyArray_DATA(arrays["work_count"])
        t.work_zone = <const int32_t*> cnp.PyArray_DATA(arrays["work_zone"])
        t.work_mode = <const uint8_t*> cnp.PyArray_DATA(arrays["work_mode"])
        t.rng_lo = <const int64_t*> cnp.PyArray_DATA(arrays["rng_lo"])
        t.rng_hi = <const int64_t*> cnp.PyArray_DATA(arrays["rng_hi"])
        t.layout_zero = <const uint8_t*> cnp.PyArray_DATA(arrays["layout_zero"])
        t.zero_expect = <const uint8_t*> cnp.PyArray_DATA(arrays["zero_expect"])
        t.zero_mask = <const uint8_t*> cnp.PyArray_DATA(arrays["zero_mask"])
        arrays["zero_span"] = _zero_span(arrays["zero_mask"], arrays["layout_len"])
        t.zero_span = <const int32_t*> cnp.PyArray_DATA(arrays["zero_span"])
        t.slot_first = <const int32_t*> cnp.PyArray_DATA(arrays["slot_first"])
        t.slot_count = <const int32_t*> cnp.PyArray_DATA(arrays["slot_count"])
        t.slot_wide = <const uint8_t*> cnp.PyArray_DATA(arrays["slot_wide"])
        t.seq_slot = <const int16_t*> cnp.PyArray_DATA(arrays["seq_slot"])
        t.seq_bit = <const uint64_t*> cnp.PyArray_DATA(arrays["seq_bit"])
        t.rule_first = <const int32_t*> cnp.PyArray_DATA(arrays["rule_first"])
        t.rule_count = <const int32_t*> cnp.PyArray_DATA(arrays["rule_count"])
        t.kind_first = <const int32_t*> cnp.PyArray_DATA(arrays["kind_first"])
        t.n_kinds = (len(arrays["kind_first"]) - 1) // max(n_layouts, 1)
        t.not_last = <const int32_t*> cnp.PyArray_DATA(arrays["not_last"])
        t.set_values = <const int64_t*> cnp.PyArray_DATA(arrays["rule_sets"])
        t.n_slots = len(arrays["slot_wide"])
        t.max_slots = int(arrays["slot_count"].max()) if n_layouts else 0
        if t.max_slots > 63:
            raise ValueError("at most 63 columns per layout")
        t.n_rules = len(rules)
        if t.n_rules > 512:
            raise ValueError("at most 512 rules")
        t.n_totals = int(table.n_totals)
        t.rules = <Rule*> calloc(max(t.n_rules, 1), sizeof(Rule))
        if t.rules == NULL:
            raise MemoryError()
        for i in range(t.n_rules):
            q = &t.rules[i]
            q.kind = rules[i, RC_KIND]
            q.op = rules[i, RC_OP]
            q.flags = rules[i, RC_FLAGS]
            q.a_src = rules[i, RC_A_SRC]
            q.a = rules[i, RC_A]
            q.a_x = rules[i, RC_A_X]
            q.b_src = rules[i, RC_B_SRC]
            q.b = rules[i, RC_B]
            q.b_x = rules[i, RC_B_X]
            q.b_const = rules[i, RC_B_CONST]
            q.c_src = rules[i, RC_C_SRC]
            q.c = rules[i, RC_C]
            q.c_x = rules[i, RC_C_X]
            q.c_op = rules[i, RC_C_OP]
            q.c_const = rules[i, RC_C_CONST]
            q.set_first = rules[i, RC_SET_FIRST]
            q.set_count = rules[i, RC_SET_COUNT]
            q.need = <uint64_t> rules[i, RC_NEED]
            q.need20 = <uint64_t> rules[i, RC_NEED20]
            q.a_start = rules[i, RC_A_START]
            q.b_start = rules[i, RC_B_START]
            q.length = rules[i, RC_LENGTH]
            q.total = rules[i, RC_TOTAL]
        # The rules' operands, resolved into the value space of a run.
        base = {SRC_SELF: V_SELF, SRC_GOV20: V_GOV20, SRC_GOV10: V_GOV10, SRC_GOV50: V_GOV50,
                SRC_PARAM: V_PARAM}
        consts = []
        for i in range(t.n_rules):
            q = &t.rules[i]
            q.ai = base.get(q.a_src, 0) + q.a
            if q.b_src == SRC_CONST:
                if q.b_const not in consts:
                    consts.append(q.b_const)
                q.bi = V_CONST + consts.index(q.b_const)
            else:
                q.bi = base.get(q.b_src, 0) + q.b
            q.ci = base.get(q.c_src, 0) + q.c
            q.opmask = _OPMASK.get(q.op, 0)
            q.c_opmask = _OPMASK.get(q.c_op, 0)
            members = [int(v) for v in arrays["rule_sets"][q.set_first:q.set_first + q.set_count]]
            q.set_small = all(0 <= v < 64 for v in members)
            q.set_mask = sum(1 << v for v in set(members)) if q.set_small else 0
            q.layout_mask = 0
            for L in range(n_layouts):
                if int(arrays["layout_rtype"][L]) in members and L < 64:
                    q.layout_mask |= (<uint64_t> 1) << L
            q.same_guard = (
                i > 0 and q.kind == RK_CMP and t.rules[i - 1].kind == RK_CMP
                and rules[i, RC_LAYOUT] == rules[i - 1, RC_LAYOUT]
                and all(rules[i, c] == rules[i - 1, c] for c in (
                    RC_C_SRC, RC_C, RC_C_X, RC_C_OP, RC_C_CONST, RC_SET_FIRST, RC_SET_COUNT,
                    RC_NEED))
            )
        if len(consts) > V_SIZE - V_CONST:
            raise ValueError("too many constants in the rules")
        arrays["consts"] = np.array(consts or [0], dtype=np.int64)
        t.consts = <const int64_t*> cnp.PyArray_DATA(arrays["consts"])
        t.n_consts = len(consts)
        # How each zone the core reads is read.
        nw = len(arrays["work_zone"])
        t.works = <Work*> calloc(max(nw, 1), sizeof(Work))
        if t.works == NULL:
            raise MemoryError()
        owner = np.searchsorted(arrays["zone_first"], arrays["work_zone"], side="right") - 1
        for i in range(nw):
            z = int(arrays["work_zone"][i])
            k = int(arrays["z_kind"][z])
            flags = int(arrays["z_flags"][z])
            w = &t.works[i]
            w.zone = z
            w.kind = k
            w.start = int(arrays["z_start"][z]) + (1 if k == K_S else 0)
            w.n = int(arrays["z_len"][z]) - (1 if k == K_S else 0)
            w.mode = int(arrays["work_mode"][i])
            w.slot = int(arrays["z_slot"][z]) if arrays["z_slot"][z] >= 0 else 63
            w.pos = z - int(arrays["zone_first"][owner[i]])
            w.blank_ok = bool(flags & F_BLANK_OK)
            w.gslot = -1
            w.wide = False
            if arrays["z_slot"][z] >= 0:
                w.gslot = int(arrays["slot_first"][owner[i]]) + int(arrays["z_slot"][z])
                w.wide = bool(arrays["slot_wide"][w.gslot])
            w.checks = bool(
                flags & F_MANDATORY or k in (K_D, K_Y) or arrays["z_rng_count"][z]
                or (k == K_S and flags & F_BLANK_OK)
            )
            w.mandatory = bool(flags & F_MANDATORY)
            w.rng_first = int(arrays["z_rng_first"][z])
            w.rng_count = int(arrays["z_rng_count"][z])
        # A unit whose characters are fine needs no reading of its record type (zone 1:
        # the digits that chose the layout are its one allowed value).
        keep = []
        for i in range(nw):
            z = int(arrays["work_zone"][i])
            L = int(owner[i])
            rtype = int(arrays["layout_rtype"][L])
            r0 = int(arrays["z_rng_first"][z])
            redundant = (
                rtype and arrays["z_start"][z] == 0 and arrays["z_len"][z] == 2
                and arrays["z_rng_count"][z] == 1
                and arrays["rng_lo"][r0] == rtype == arrays["rng_hi"][r0]
                and not arrays["z_slot"][z] >= 0
            )
            if not redundant:
                keep.append(i)
        t.fast = <vsb_op*> calloc(max(len(keep), 1), sizeof(vsb_op))
        if t.fast == NULL:
            raise MemoryError()
        for i, j in enumerate(keep):
            w = &t.works[j]
            op = &t.fast[i]
            op.start = w.start
            op.n = w.n
            op.mode = w.mode
            op.slot = w.slot
            op.pos = w.pos
            op.rng_first = w.rng_first
            op.rng_count = w.rng_count
            op.gslot = w.gslot
            op.zone = w.zone
            op.flags = (
                (VSB_OP_SIGNED if w.kind == K_S else 0)
                | (VSB_OP_BLANK_OK if w.blank_ok else 0)
                | (VSB_OP_MANDATORY if w.mandatory else 0)
                | (VSB_OP_DATE if w.kind == K_D else 0)
                | (VSB_OP_MONTH if w.kind == K_Y else 0)
                | (VSB_OP_WIDE if w.wide else 0)
                | (VSB_OP_TEXT if w.kind in (K_A, K_X) else 0)
                | (VSB_OP_CHECKS if w.checks else 0)
            )
        kept_owner = owner[np.array(keep, dtype=np.int64)] if keep else np.zeros(0, np.int64)
        arrays["fast_first"] = np.searchsorted(kept_owner, np.arange(n_layouts)).astype(np.int32)
        arrays["fast_count"] = np.bincount(kept_owner, minlength=n_layouts).astype(np.int32)
        t.fast_first = <const int32_t*> cnp.PyArray_DATA(arrays["fast_first"])
        t.fast_count = <const int32_t*> cnp.PyArray_DATA(arrays["fast_count"])
        # The built-in readers and rules (_layouts.h) serve tables with the same ops and
        # rules only.
        digest = hashlib.blake2b(digest_size=16)
        digest.update(b"vsb_op %d Rule %d;" % (sizeof(vsb_op), sizeof(Rule)))
        digest.update((<char*> t.fast)[:len(keep) * sizeof(vsb_op)])
        digest.update(arrays["fast_first"].tobytes())
        digest.update(arrays["fast_count"].tobytes())
        digest.update((<char*> t.rules)[:t.n_rules * sizeof(Rule)])
        digest.update(b"%d;" % t.n_kinds)
        digest.update(arrays["kind_first"].tobytes())
        for name in ("layout_len", "layout_zero", "zero_expect", "zero_mask", "layout_check",
                     "zone_first", "zone_count", "slot_count", "layout_member", "seq_slot",
                     "seq_bit"):
            digest.update(arrays[name].tobytes())
        digest.update(b"20 %d 50 %d 80 %d;" % (compiled.index["20"], compiled.index["50"],
                                               compiled.index["80"]))
        self.builtin_digest = digest.hexdigest()
        t.readers = NULL
        t.rulers = NULL
        t.zeros = NULL
        t.units = NULL
        if (VSB_LAYOUTS_COUNT == n_layouts
                and self.builtin_digest == VSB_LAYOUTS_DIGEST.decode("ascii")):
            t.readers = vsb_layout_readers
            t.rulers = vsb_layout_rulers
            t.zeros = vsb_layout_zeros
            t.units = vsb_layout_units
        by_index = {L: name for name, L in compiled.index.items()}
        self._names = [by_index.get(L, str(L)) for L in range(n_layouts)]
        idx = compiled.index
        t.layout_200 = idx["200"]
        t.layout_300 = idx["300"]
        t.layout_10 = idx["10"]
        t.layout_20 = idx["20"]
        t.layout_50 = idx["50"]
        t.layout_80 = idx["80"]

    @property
    def specialised(self):
        """Whether the built-in layout readers and rules (``_layouts.h``) serve these
        tables (else their ops and rules are walked one by one, with the same
        results)."""
        return self.t.readers != NULL

    def rule_rows(self):
        """The resolved rules (the fields of ``Rule`` per rule), the number of rule kinds
        and, per layout and kind, the first rule: what ``_layouts.h`` is generated
        from."""
        cdef int i
        cdef Rule* q
        rows = []
        for i in range(self.t.n_rules):
            q = &self.t.rules[i]
            rows.append((q.kind, q.op, q.flags, q.a_src, q.a, q.a_x, q.b_src, q.b, q.b_x,
                         q.b_const, q.c_src, q.c, q.c_x, q.c_op, q.c_const, q.set_first,
                         q.set_count, q.need, q.need20, q.a_start, q.b_start, q.length,
                         q.total, q.ai, q.bi, q.ci, q.same_guard, q.opmask, q.c_opmask,
                         q.set_mask, q.set_small, q.layout_mask))
        return rows, self.t.n_kinds, self._keep["kind_first"].tolist()

    def reader_ops(self):
        """The ops of the fast reading (the fields of ``vsb_op`` per op), and per layout
        its first op and their number: what ``_layouts.h`` is generated from."""
        cdef int i, n = int(self._keep["fast_count"].sum())
        cdef vsb_op* op
        ops = []
        for i in range(n):
            op = &self.t.fast[i]
            ops.append((op.start, op.n, op.mode, op.flags, op.slot, op.pos, op.rng_count,
                        op.rng_first, op.gslot, op.zone))
        return (ops, self._keep["fast_first"].tolist(), self._keep["fast_count"].tolist())

    def unit_facts(self):
        """Per layout, what its built-in unit function (``_layouts.h``) knows besides its
        ops, rules and zero words: (whether it has check digits, their zone, its bit)."""
        check = self._keep["layout_check"]
        first = self._keep["zone_first"]
        count = self._keep["zone_count"]
        return [(bool(check[L]), int(first[L] + count[L] - 1), int(count[L] - 1))
                for L in range(self.t.n_layouts)]

    def rule_facts(self):
        """Per layout, what its built-in rules (``_layouts.h``) know of it besides its
        rules: the fields of ``vsb_rule_facts`` (engine/_rules.h), in their order."""
        cdef int L
        k = self._keep
        return [(int(k["slot_count"][L]), int(k["slot_count"][self.t.layout_50]),
                 int(L == self.t.layout_20), int(L == self.t.layout_50),
                 int(L == self.t.layout_80), int(k["layout_member"][L]),
                 int(k["layout_check"][L]), int(k["seq_slot"][L]), int(k["seq_bit"][L]))
                for L in range(self.t.n_layouts)]

    def zero_words(self):
        """Per layout, the 8-byte words that cover its zeros-only reserved zones, as
        (offset, mask of the zone bytes, the bytes expected there), little-endian: what
        the built-in zeros checks of ``_layouts.h`` compare. Empty for a layout without
        such zones or shorter than a word."""
        mask = self._keep["zero_mask"]
        expect = self._keep["zero_expect"]
        out = []
        for L in range(self.t.n_layouts):
            n = int(self._keep["layout_len"][L])
            words = []
            if self._keep["layout_zero"][L] & 1 and n >= 8:
                at = np.flatnonzero(mask[L, :n]).tolist()
                done = -1
                for p in at:
                    if p <= done:
                        continue
                    w = min(p, n - 8)
                    bits = sum(0xFF << (8 * i) for i in range(8) if mask[L, w + i])
                    want = sum(int(expect[L, w + i]) << (8 * i) for i in range(8)
                               if mask[L, w + i])
                    words.append((w, bits, want))
                    done = w + 7
            out.append(words)
        return out

    def layout_names(self):
        """The record type (or segment) of each layout, by layout index."""
        return list(self._names)

    @property
    def simd(self):
        """Per layout: whether the vector kernels check it (else the portable one)."""
        return self._keep["layout_simd"].copy()


# ---------------------------------------------------------------------------------------
# Growable finding tables (Findings, RuleFindings, FramingLog in _core.pxd).

cdef int _grow(void** p, Py_ssize_t cap, size_t size) noexcept nogil:
    cdef void* q = realloc(p[0], cap * size)
    if q == NULL:
        return -1
    p[0] = q
    return 0


cdef int _push(Findings* f, Py_ssize_t unit, int zone, int kind) noexcept nogil:
    """Append a zone finding; return -1 when memory runs out."""
    cdef Py_ssize_t cap
    if f == NULL:
        return 0
    if f.n == f.cap:
        cap = f.cap * 2 if f.cap else 1024
        if (_grow(<void**> &f.unit, cap, sizeof(int32_t))
                or _grow(<void**> &f.zone, cap, sizeof(int32_t))
                or _grow(<void**> &f.kind, cap, sizeof(uint8_t))):
            return -1
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

cdef int _MONTH_DAYS[13]
_MONTH_DAYS[:] = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


@cython.cdivision(True)
cdef inline bint _is_date(int64_t v) noexcept nogil:
    cdef int64_t y = v // 10000
    cdef int64_t m = (v // 100) % 100
    cdef int64_t d = v % 100
    cdef int dim
    if y < 1800 or m < 1 or m > 12 or d < 1:
        return False
    dim = _MONTH_DAYS[m]
    if m == 2 and y % 4 == 0 and (y % 100 != 0 or y % 400 == 0):
        dim = 29
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


@cython.cdivision(True)
cdef inline bint _is_date8(int64_t v) noexcept nogil:
    """``_is_date`` for the 8 digits of a date zone (32-bit arithmetic)."""
    cdef uint32_t x = <uint32_t> v, y, md, m, d
    cdef uint32_t dim
    y = x // 10000
    md = x - y * 10000
    m = md // 100
    d = md - m * 100
    if y < 1800 or m < 1 or m > 12 or d < 1:
        return False
    dim = _MONTH_DAYS[m]
    if m == 2 and y % 4 == 0 and (y % 100 != 0 or y % 400 == 0):
        dim = 29
    return d <= dim


@cython.boundscheck(False)
@cython.wraparound(False)
@cython.cdivision(True)
cdef inline int _check(const Tables* t, const uint8_t* rec, const Work* w, int64_t v,
                       bint blank) noexcept nogil:
    """The value rules of a zone read as ``v`` (``blank``: an amount left blank):
    mandatory, a valid date, an allowed value. Returns the kind of finding, or 0."""
    cdef int k = w.kind, j, r
    if k == K_A or k == K_X:
        if not w.mandatory:
            return 0
        for j in range(w.start, w.start + w.n):
            if rec[j] != 32:
                return 0
        return E_MISSING
    if blank:     # an optional amount left blank (checked by _zone_format)
        return E_MISSING if w.mandatory else 0
    if v == 0:
        # A zero amount is a value; a zero number, code or date is missing.
        if w.mandatory and k != K_S:
            return E_MISSING
    elif k == K_D:
        if not (_is_date8(v) if w.n == 8 else _is_date(v)):
            return E_DATE
    elif k == K_Y:
        if v // 100 < 1800 or v % 100 < 1 or v % 100 > 12:
            return E_DATE
    if w.rng_count:
        for r in range(w.rng_first, w.rng_first + w.rng_count):
            if t.rng_lo[r] <= v <= t.rng_hi[r]:
                return 0
        return E_VALUE
    return 0


@cython.boundscheck(False)
@cython.wraparound(False)
cdef int _read(const Tables* t, Findings* f, Py_ssize_t u, const uint8_t* rec, int L,
               bint bad, uint32_t s, int64_t* cur, uint64_t* found_out) noexcept nogil:
    """Check and read one unit: its zone findings (pushed to ``f`` unless NULL), its
    columns into ``cur`` (0 where a zone is unreadable; slot 63 takes what no column
    wants) and the zones with findings (bits by position in the layout) into
    ``found_out``. Returns -1 on out-of-memory."""
    cdef int z, z0 = t.zone_first[L], zn = t.zone_count[L], e, w
    cdef int w0 = t.work_first[L], w1 = t.work_first[L] + t.work_count[L]
    cdef uint64_t failed = 0, found, bit
    cdef int64_t v
    cdef int stored
    cdef bint blank
    cdef const Work* W
    if bad:
        memset(cur, 0, t.slot_count[L] * sizeof(int64_t))
        for z in range(z0, z0 + zn):
            e = _zone_format(t, rec, z)
            if e:
                failed |= (<uint64_t> 1) << (z - z0)
                if _push(f, u, z, e):
                    return -1
    found = failed
    for w in range(w0, w1):
        W = &t.works[w]
        bit = (<uint64_t> 1) << W.pos
        if failed & bit:
            continue
        blank = False
        if W.kind == K_S:
            if rec[W.start - 1] == 32:
                v = 0
                blank = True
            else:
                v = vsb_read(rec + W.start, W.n, W.mode)
                if rec[W.start - 1] == 45:
                    v = -v
        elif W.kind <= K_Y:
            v = vsb_read(rec + W.start, W.n, W.mode)
        else:
            v = 0
        if W.checks:
            e = _check(t, rec, W, v, blank)
            if e:
                found |= bit
                if _push(f, u, W.zone, e):
                    return -1
        cur[W.slot] = v
    if t.layout_check[L]:
        z = z0 + zn - 1      # zone 99 closes every detail layout
        bit = (<uint64_t> 1) << (zn - 1)
        if not (failed & bit):
            stored = (rec[348] - 48) * 10 + (rec[349] - 48)
            s %= 97
            if s == 0:
                s = 97
            if stored != <int> s:
                found |= bit
                if _push(f, u, z, E_CHECK):
                    return -1
    found_out[0] = found
    return 0


@cython.boundscheck(False)
@cython.wraparound(False)
cdef int _read_stored(const Tables* t, Findings* f, Py_ssize_t u, const uint8_t* rec,
                      int L, uint32_t s, int64_t* cur, uint64_t* found_out, Out* o,
                      int32_t row) noexcept nogil:
    """``_read`` for a unit whose characters are all fine (the classification proved
    every digit), storing each column as it is read (vsb_read_unit)."""
    cdef vsb_hit hits[64]
    cdef int i, nh, zn
    cdef uint64_t found = 0
    cdef int stored
    if t.readers != NULL and _BUILTIN:
        nh = t.readers[L](rec, cur, o.slots, row, t.rng_lo, t.rng_hi, hits, &found)
    else:
        nh = vsb_read_unit(rec, t.fast + t.fast_first[L], t.fast_count[L], cur, o.slots,
                           row, t.rng_lo, t.rng_hi, hits, &found)
    for i in range(nh):
        if _push(f, u, hits[i].zone, hits[i].kind):
            return -1
    if t.layout_check[L]:
        zn = t.zone_count[L]
        stored = (rec[348] - 48) * 10 + (rec[349] - 48)
        s %= 97
        if s == 0:
            s = 97
        if stored != <int> s:
            found |= (<uint64_t> 1) << (zn - 1)
            if _push(f, u, t.zone_first[L] + zn - 1, E_CHECK):
                return -1
    found_out[0] = found
    return 0


@cython.boundscheck(False)
@cython.wraparound(False)
cdef int _reserved(const Tables* t, Findings* f, Py_ssize_t u, const uint8_t* rec, int L,
                   uint64_t failed) noexcept nogil:
    """The reserved zones (F_ZERO) of a unit: zeros only, or with F_BLANK_OK zeros or
    blanks only (the official "content not zero"). The zeros-only zones of a layout are
    compared at once with its masks (bit 1 of ``layout_zero``), the others one by one
    (bit 2); a zone whose characters failed already (``failed``) is not reported again.
    Returns -1 on out-of-memory."""
    cdef int which = t.layout_zero[L]
    cdef bint masked = False
    if which & 1:
        if t.zeros != NULL and _BUILTIN:
            masked = t.zeros[L](rec)
        else:
            masked = vsb_zeros_differ(rec, t.zero_expect + L * 350, t.zero_mask + L * 350,
                                      t.zero_span[2 * L], t.zero_span[2 * L + 1])
    return _reserved_zones(t, f, u, rec, L, failed, masked)


@cython.boundscheck(False)
@cython.wraparound(False)
cdef int _reserved_zones(const Tables* t, Findings* f, Py_ssize_t u, const uint8_t* rec,
                         int L, uint64_t failed, bint masked) noexcept nogil:
    """``_reserved`` once the masks are compared (``masked``: a zeros-only zone holds
    something else): the zones one by one."""
    cdef int z, z0 = t.zone_first[L], zn = t.zone_count[L], e, flags
    if not masked and not (t.layout_zero[L] & 2):
        return 0
    for z in range(z0, z0 + zn):
        flags = t.z_flags[z]
        if not flags & F_ZERO or (not masked and not flags & F_BLANK_OK):
            continue
        if failed & ((<uint64_t> 1) << (z - z0)):
            continue
        e = _not_zero(rec, t.z_start[z], t.z_len[z], flags)
        if e and _push(f, u, z, e):
            return -1
    return 0


@cython.boundscheck(False)
@cython.wraparound(False)
cdef int _unit(const Tables* t, Findings* f, Out* o, Run* r, RuleFindings* rf,
               Py_ssize_t u, const uint8_t* rec, int L, bint bad, uint32_t s) noexcept nogil:
    """Check, read, store and run the rules of one unit. Returns -1 on out-of-memory."""
    cdef int64_t* cur = r.vals + V_SELF
    cdef uint64_t found = 0
    cdef int k, K = t.slot_count[L], slot
    cdef int32_t row = o.n_of[L]
    o.n_of[L] = row + 1
    o.rank[u] = row
    o.units[L][row] = <int32_t> u
    if not bad:
        if _read_stored(t, f, u, rec, L, s, cur, &found, o, row):
            return -1
    else:
        if _read(t, f, u, rec, L, bad, s, cur, &found):
            return -1
        slot = t.slot_first[L]
        for k in range(K):
            if t.slot_wide[slot + k]:
                (<int64_t*> o.slots[slot + k])[row] = cur[k]
            else:
                (<int32_t*> o.slots[slot + k])[row] = <int32_t> cur[k]
    if t.layout_zero[L] and _reserved(t, f, u, rec, L, found):
        return -1
    return vsb_rules(t, o, r, rf, u, rec, L, cur, found, _BUILTIN)


@cython.boundscheck(False)
@cython.wraparound(False)
cdef int _unit_findings(const Tables* t, Findings* f, Py_ssize_t u, const uint8_t* rec,
                        int L, const vsb_hit* hits, const vsb_unit_out* out) noexcept nogil:
    """What a layout's unit function (_layouts.h) leaves of a fine unit it ran (its row
    stored, its zones read, its check digits and zeros-only reserved zones checked, its
    rules run): the zone findings it returns, pushed, and the reserved zones it left
    (those not zeros-only, or all when a zeros-only one is not). Returns -1 on
    out-of-memory."""
    cdef int i
    for i in range(out.nh):
        if _push(f, u, hits[i].zone, hits[i].kind):
            return -1
    if out.zeros or t.layout_zero[L] & 2:
        return _reserved_zones(t, f, u, rec, L, out.found, out.zeros)
    return 0


cdef Py_ssize_t _long_line(const uint8_t* b, Py_ssize_t p, Py_ssize_t n, FramingLog* fr,
                           Py_ssize_t start, Py_ssize_t want, Py_ssize_t unit,
                           Py_ssize_t* unbroken) noexcept nogil:
    """A line-separated file with no break after a unit (``want`` bytes from ``start``,
    ending at ``p``). A line of whole parts (the unit, then whole records: the break
    after a part is optional), or one that the buffer ends, is read part by part:
    ``unbroken`` gets where the line ends (no break is due before), and the scan goes on
    at ``p``. Any other line is reported and the scan goes on after its break. Returns
    where the next unit starts."""
    cdef const uint8_t* nl = <const uint8_t*> memchr(b + p, 10, n - p)
    cdef Py_ssize_t end, line_end
    if nl == NULL:
        unbroken[0] = n
        return p
    end = nl - b
    line_end = end - 1 if end > p and b[end - 1] == 13 else end
    if (line_end - p) % 350 == 0:
        unbroken[0] = line_end
        return p
    _frame(fr, FR_LONG_LINE, start, want + (line_end - p), unit)
    return end + 1


#: How far the scan of a file mapping goes before it gives back the pages behind it.
cdef Py_ssize_t _DROP_STEP = 8 << 20


@cython.boundscheck(False)
@cython.wraparound(False)
cdef Py_ssize_t _scan(const Tables* t, const uint8_t* b, Py_ssize_t n, Out* o, Findings* f,
                      FramingLog* fr, RuleFindings* rf, Run* r, bint* lines_io, bint body,
                      bint framing_only, int stop_layout, int kern,
                      bint drop=False) noexcept nogil:
    """Frame and check the whole buffer. Returns the number of units, or -1 (memory).

    ``body``: the buffer starts with records (units 0 and 1, the segments, are
    absent); ``lines_io`` then says whether the file separates its parts with line
    breaks, and returns that for a whole file. ``framing_only``: frame, no checks;
    with ``stop_layout`` >= 0, stop after the first unit of that layout.
    ``kern``: the classification kernel. ``drop``: the buffer is a read-only shared
    file mapping, whose pages behind the scan are given back as it goes (they come
    back from the page cache when read again), so that the file is never resident
    whole.
    """
    cdef Py_ssize_t p = 0, u = 0, avail, want, q, linelen, dropped = 0
    # In a file with line breaks: where the line of whole parts being read ends (no
    # break is due before it; see _long_line).
    cdef Py_ssize_t unbroken = -1
    cdef const uint8_t* nl
    cdef int L, rt, rc
    cdef bint lines = lines_io[0], bad = False
    cdef uint32_t s = 0
    cdef vsb_classify_fn classify = vsb_kernel(kern)
    cdef vsb_classify_fn portable = vsb_kernel(0)
    cdef bint fused = t.units != NULL and _BUILTIN and _FUSED
    cdef vsb_hit hits[65]
    cdef vsb_unit_out uo
    if body:
        o.offsets[0] = o.offsets[1] = -1
        o.layout[0] = o.layout[1] = -1
        if not framing_only:
            o.rank[0] = o.rank[1] = o.invoice[0] = o.invoice[1] = -1
        u = 2
    while p < n or u < 2:
        if drop and p - dropped >= _DROP_STEP:
            # A margin behind: the rules may read the record before (equal zones).
            vsb_drop_pages(b + dropped, b + p - 4096)
            dropped = p - 4096
        # The common case first: whole records of a known type, fine in every byte; with
        # unit functions, in a loop of its own (vsb_run).
        if fused and u >= 2 and not framing_only and p + 350 <= n:
            rc = vsb_run(t, b, n, dropped + _DROP_STEP if drop else n, &p, &u, o, r, rf,
                         classify, portable, CLS, VAL, unbroken if lines else n, hits, &uo)
            if rc < 0:
                return -1
            if rc & VSB_RUN_FINDINGS and _unit_findings(
                    t, f, u - 1, b + o.offsets[u - 1], o.layout[u - 1], hits, &uo):
                return -1
            if rc & VSB_RUN_LONG_LINE:
                p = _long_line(b, p, n, fr, o.offsets[u - 1], 350, u - 1, &unbroken)
            if rc or p >= n or (drop and p - dropped >= _DROP_STEP):
                continue
            # The unit at p is not the common case: the way of every unit, below.
        elif u >= 2 and not framing_only and p + 350 <= n:
            rt = (b[p] - 48) * 10 + (b[p + 1] - 48)
            if <unsigned> (b[p] - 48) <= 9 and <unsigned> (b[p + 1] - 48) <= 9:
                L = t.type_to_layout[rt]
                if L >= 0 and L != t.layout_200 and L != t.layout_300:
                    bad = (classify if t.layout_simd[L] else portable)(
                        b + p, t.allow + L * 350, t.accept + L * 350, 350,
                        348 if t.layout_check[L] else 0, CLS, VAL, &s)
                    if not bad:
                        o.offsets[u] = p
                        o.layout[u] = <int8_t> L
                        if _unit(t, f, o, r, rf, u, b + p, L, False, s):
                            return -1
                        u += 1
                        p += 350
                        q = vsb_skip_break(b, p, n)
                        if q != p:
                            p = q
                        elif lines and unbroken <= p < n:
                            p = _long_line(b, p, n, fr, o.offsets[u - 1], 350, u - 1, &unbroken)
                        continue
        if u == 0:
            want, L = 67, t.layout_200
        elif u == 1:
            want, L = 160, t.layout_300
        else:
            want, L = 350, -1
        o.offsets[u] = -1
        o.layout[u] = -1
        if not framing_only:
            o.rank[u] = -1
            o.invoice[u] = -1
        if p >= n:
            # Segment 200 or 300 missing altogether.
            _frame(fr, FR_SHORT_FILE, p, 0, u)
            u += 1
            continue
        avail = n - p
        if L < 0 and avail >= 2:
            if CLS[b[p]] & C_DIGIT and CLS[b[p + 1]] & C_DIGIT:
                rt = (b[p] - 48) * 10 + (b[p + 1] - 48)
                L = t.type_to_layout[rt]
            if L == t.layout_200 or L == t.layout_300:
                L = -1
        # A line break inside the unit: found by the classification (a line break is
        # allowed nowhere), else looked for.
        nl = NULL
        if avail >= want and L >= 0 and not framing_only:
            bad = (classify if t.layout_simd[L] else portable)(
                b + p, t.allow + L * 350, t.accept + L * 350, <int> want,
                348 if t.layout_check[L] else 0, CLS, VAL, &s)
            if bad:
                nl = <const uint8_t*> memchr(b + p, 10, want)
        else:
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
        o.offsets[u] = p
        if L < 0:
            _frame(fr, FR_UNKNOWN_TYPE, p, 2, u)
        o.layout[u] = <int8_t> L
        if L >= 0 and not framing_only:
            if fused and not bad:
                if ((<const vsb_unit_fn*> t.units)[L](t, o, r, rf, u, b + p, s, hits, &uo)
                        or _unit_findings(t, f, u, b + p, L, hits, &uo)):
                    return -1
            elif _unit(t, f, o, r, rf, u, b + p, L, bad, s):
                return -1
        u += 1
        p += want
        q = vsb_skip_break(b, p, n)
        if q != p:
            if u <= 2:
                lines = True
            p = q
        elif lines and unbroken <= p < n:
            p = _long_line(b, p, n, fr, o.offsets[u - 1], want, u - 1, &unbroken)
        if stop_layout >= 0 and L == stop_layout:
            break
    if not framing_only and vsb_close(t, o, r, rf):
        return -1
    lines_io[0] = lines
    return u


# ---------------------------------------------------------------------------------------
# The memory of a scan's outputs: one reserved region (pages backed as they are
# written), viewed by the numpy arrays of the Scan; kept for the next scan when the
# arrays are gone (no page is zero-filled again), at most two regions.

cdef list _POOL = []      # [(bytes, address, units)], handled under the GIL
cdef int _POOL_MAX = 2


cdef class _Region:
    """Owner of a region: released (or kept for the next scan) when no array views it."""

    cdef void* base
    cdef size_t size
    cdef Py_ssize_t cap       # the units it is laid out for
    cdef bint framing

    def __dealloc__(self):
        if self.base == NULL:
            return
        pool = _POOL
        if pool is not None and not self.framing and len(pool) < _POOL_MAX:
            pool.append((self.size, <size_t> self.base, self.cap))
        else:
            vsb_release(self.base, self.size)


cdef _Region _region(const Tables* t, Py_ssize_t cap, bint framing_only, size_t* parts):
    """A region for ``cap`` units or more, its parts laid out in ``parts``: a kept one
    when one is large enough (laid out for the units it was made for, so that the
    pages it backed are the ones written again), else a new one."""
    cdef _Region out = _Region.__new__(_Region)
    cdef Py_ssize_t i, best = -1
    cdef size_t size
    if not framing_only:
        for i in range(len(_POOL)):
            got, address, rcap = _POOL[i]
            if rcap >= cap and _plan(t, rcap, False, parts) <= got:
                if best < 0 or got < _POOL[best][0]:
                    best = i
    if best >= 0:
        got, address, rcap = _POOL.pop(best)
        _plan(t, rcap, False, parts)
        out.size = got
        out.cap = rcap
        out.base = <void*> <size_t> address
        return out
    size = _plan(t, cap, framing_only, parts)
    out.base = vsb_reserve(size)
    if out.base == NULL:
        raise MemoryError(f"cannot reserve {size} bytes for the scan")
    out.size = size
    out.cap = cap
    out.framing = framing_only
    return out


def release_buffers():
    """Give back the memory kept for the next scan (the core keeps the regions of up to
    two finished scans, so that their pages are not zero-filled again) and the blocks
    kept for numpy's arrays (:func:`keep_arrays`)."""
    while _POOL:
        size, address, _ = _POOL.pop()
        vsb_release(<void*> <size_t> address, size)
    vsb_keep_release()


# ---------------------------------------------------------------------------------------
# numpy's arrays during a validation: large blocks kept for the next arrays of their
# size class (_arrays.h), so that the temporaries of the checks do not map and
# zero-fill fresh pages every time.

cdef extern from "_arrays.h" nogil:
    void* vsb_arr_malloc(void* ctx, size_t size)
    void* vsb_arr_calloc(void* ctx, size_t nelem, size_t elsize)
    void* vsb_arr_realloc(void* ctx, void* ptr, size_t size)
    void vsb_arr_free(void* ctx, void* ptr, size_t size)
    size_t vsb_keep_release()
    void vsb_keep_poison(int c)
    int vsb_keep_init()
    size_t vsb_class(size_t n)
    int vsb_n_keep
    size_t vsb_kept_bytes
    size_t vsb_keep_limit
    size_t vsb_keep_min
    uint64_t vsb_keep_hits, vsb_keep_misses
    size_t VSB_KEEP_MAX
    int vsb_keeping
    void* _scratch "vsb_scratch"(size_t n)
    void* _scratch0 "vsb_scratch0"(size_t n)
    void _unscratch "vsb_unscratch"(void* p)


cdef extern from "numpy/ndarraytypes.h":
    ctypedef struct PyDataMemAllocator:
        void* ctx
        void* (*malloc)(void* ctx, size_t size) noexcept nogil
        void* (*calloc)(void* ctx, size_t nelem, size_t elsize) noexcept nogil
        void* (*realloc)(void* ctx, void* ptr, size_t new_size) noexcept nogil
        void (*free)(void* ctx, void* ptr, size_t size) noexcept nogil
    ctypedef struct PyDataMem_Handler:
        char name[127]
        uint8_t version
        PyDataMemAllocator allocator


cdef extern from "numpy/arrayobject.h":
    object PyDataMem_SetHandler(object handler)


cdef PyDataMem_Handler _ARRAYS_HANDLER
memset(&_ARRAYS_HANDLER, 0, sizeof(_ARRAYS_HANDLER))
memcpy(_ARRAYS_HANDLER.name, b"vsbengine_kept", 14)
_ARRAYS_HANDLER.version = 1
_ARRAYS_HANDLER.allocator.ctx = NULL
_ARRAYS_HANDLER.allocator.malloc = vsb_arr_malloc
_ARRAYS_HANDLER.allocator.calloc = vsb_arr_calloc
_ARRAYS_HANDLER.allocator.realloc = vsb_arr_realloc
_ARRAYS_HANDLER.allocator.free = vsb_arr_free
if vsb_keep_init() != 0:
    raise ImportError("cannot register the array blocks' fork handler")
cdef object _ARRAYS_CAPSULE = PyCapsule_New(<void*> &_ARRAYS_HANDLER, "mem_handler", NULL)
#: The name of the handler of the arrays made under :func:`keep_arrays` (what
#: ``numpy.core.multiarray.get_handler_name`` gives for them).
ARRAYS_HANDLER = "vsbengine_kept"


def keep_arrays():
    """Make the numpy arrays created from now on in the current context (contextvars:
    this thread, this task) take their memory from blocks kept when earlier ones were
    freed, where one of their size class (at most 1/8 larger) is there; large blocks
    (256 KB to 64 MB) freed later are kept, up to the bytes :func:`set_kept_limit` sets.
    Returns the handler to give back to :func:`restore_arrays`. An array keeps the
    handler it was made with: it is freed through it wherever it goes."""
    global vsb_keeping
    was = vsb_keeping
    vsb_keeping = 1
    return PyDataMem_SetHandler(_ARRAYS_CAPSULE), was


def restore_arrays(handler):
    """Give the current context back the handler :func:`keep_arrays` returned."""
    global vsb_keeping
    old, was = handler
    PyDataMem_SetHandler(old)
    vsb_keeping = was


def kept_arrays():
    """What is kept for numpy's arrays: ``blocks``, ``bytes``, ``limit`` (bytes), and
    the blocks asked for that were found kept (``hits``) or not (``misses``)."""
    return dict(blocks=vsb_n_keep, bytes=vsb_kept_bytes, limit=vsb_keep_limit,
                smallest=vsb_keep_min, hits=vsb_keep_hits, misses=vsb_keep_misses)


def set_kept_limit(size_t limit, smallest=None):
    """The most bytes kept for numpy's arrays (0: none; kept blocks above the new limit
    are given back), and optionally the smallest block kept (256 KB; the tests lower
    it so that every array of a small file is kept). Returns the previous
    ``(limit, smallest)``."""
    global vsb_keep_limit, vsb_keep_min
    old = (vsb_keep_limit, vsb_keep_min)
    if smallest is not None:
        if not 64 <= smallest <= VSB_KEEP_MAX:
            raise ValueError("the smallest kept block is 64 bytes to 64 MB")
        vsb_keep_min = smallest
    vsb_keep_limit = limit
    if vsb_kept_bytes > limit:
        vsb_keep_release()
    return old


def poison_kept(int byte):
    """Fill the kept blocks with ``byte`` (for the tests: a result that relies on new
    memory being zero differs)."""
    vsb_keep_poison(byte & 0xFF)


def size_class(size_t n):
    """The capacity of a block asked for ``n`` bytes (header included)."""
    return vsb_class(n)


cdef inline size_t _align(size_t n) noexcept nogil:
    return (n + 63) & ~(<size_t> 63)


cdef size_t _plan(const Tables* t, Py_ssize_t cap, bint framing_only, size_t* parts) noexcept:
    """Offsets of the parts of a region for ``cap`` units (written to ``parts``: per
    unit 4 arrays, then per layout its units, then per slot its column, then 6 per
    invoice); returns its size."""
    cdef size_t at = 0
    cdef int i, k = 0, nt = t.n_totals
    cdef size_t widths[4]
    widths[0], widths[1], widths[2], widths[3] = 8, 1, 4, 4
    for i in range(4):
        parts[k] = at
        k += 1
        at += _align(cap * widths[i])
        if framing_only and i == 1:
            return at
    for _ in range(t.n_layouts):
        parts[k] = at
        k += 1
        at += _align(cap * 4)
    for i in range(t.n_slots):
        parts[k] = at
        k += 1
        at += _align(cap * (8 if t.slot_wide[i] else 4))
    for _ in range(4):
        parts[k] = at
        k += 1
        at += _align(cap * 4)
    parts[k] = at
    at += _align(cap * nt * 8)
    parts[k + 1] = at
    at += _align(cap * nt)
    return at


cdef object _view(_Region region, size_t offset, Py_ssize_t n, int typenum):
    """A numpy array of ``n`` items at ``offset`` in the region (which it keeps alive)."""
    cdef cnp.npy_intp dims[1]
    dims[0] = n
    arr = cnp.PyArray_SimpleNewFromData(1, dims, typenum, <char*> region.base + offset)
    Py_INCREF(region)
    cnp.PyArray_SetBaseObject(arr, region)
    return arr


cdef object _view2(_Region region, size_t offset, Py_ssize_t rows, Py_ssize_t cols,
                   int typenum):
    cdef cnp.npy_intp dims[2]
    dims[0] = rows
    dims[1] = cols
    arr = cnp.PyArray_SimpleNewFromData(2, dims, typenum, <char*> region.base + offset)
    Py_INCREF(region)
    cnp.PyArray_SetBaseObject(arr, region)
    return arr


cdef class Scan:
    """What one scan found: the units, their columns, the invoices and the findings.

    Attributes
    ----------
    offsets, layout
        Per unit (units 0 and 1 are segments 200 and 300, offset -1 when absent): the
        byte offset in the buffer (int64) and the layout index (int8, -1 unknown).
    rank, invoice
        Per unit: its index among the units of its layout (int32, -1 for unknown
        units), and its invoice (a record 20 up to its first record 80; else -1).
    units, slots
        Per layout, its units in file order (int32); per column of a layout (the
        global slots of the compiled tables), its values for those units (int32 or
        int64; 0 where the zone could not be read).
    finding_unit, finding_zone, finding_kind
        The zone findings: unit, global zone index and :class:`Finding`.
    rule_unit, rule_id
        The rule findings: unit and the rule (a row of the compiled rule table).
    framing_kind, framing_offset, framing_length, framing_unit, framing_total
        The framing findings kept (:class:`FramingKind`, byte offset, length of the
        line or part, unit) and how many there were in all.
    inv_head, inv_end, inv_stop, inv_members, inv_sums, inv_bad
        Per invoice (one per record 20, in file order): the unit of its record 20, of
        its first record 80 (-1 none), one past its last unit, its records 20 to 80,
        and per total of the rule table its sum (int64) and whether a summed zone was
        unreadable.
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


def scan(const unsigned char[::1] data, CoreTables tables, *, Py_ssize_t framing_cap=1000,
         bint body=False, bint lines=False, bint framing_only=False, params=None,
         Py_ssize_t first10=-1, Py_ssize_t own_first=2, bint rules=True,
         int stop_layout=-1, bint drop_pages=False):
    """Frame, check and read a billing file in one pass without the GIL.

    Parameters
    ----------
    data
        The file's bytes (bytes, bytearray, memoryview or mmap).
    tables
        The compiled layouts and rules (:class:`CoreTables`).
    framing_cap
        Framing findings kept in detail (the total is always counted).
    body
        The buffer holds records only (a chunk of a file): units 0 and 1 are absent.
    lines
        With ``body``: whether the file separates its parts with line breaks.
    framing_only
        Frame the units and read their types; no zone checks, no columns. With
        ``stop_layout``, stop after the first unit of that layout.
    params
        The rules' parameters (int64, as the compiled rule table numbers them).
    first10
        Offset of the sending's record 10 in ``data`` (its values govern the records
        90; found with a framing scan), or -1.
    own_first
        The first unit that belongs to the chunk (the units before it are copies
        that the rules read, see ``formats/efact/chunks.py``).
    rules
        Report the rule findings (a scan for the writers does not need them).
    drop_pages
        ``data`` is a read-only shared mapping of a file (``mmap.ACCESS_READ``): give
        back its pages behind the scan as it goes, so that the file is not resident
        whole (they come back from the page cache when read again). Never for other
        buffers: their bytes would be lost.

    Returns
    -------
    Scan
        The units, columns, invoices and findings.
    """
    global _n_scans, _n_scan_bytes, _n_framings, _n_framing_bytes
    cdef Py_ssize_t n = data.shape[0]
    cdef Py_ssize_t cap = n // 350 + 3
    cdef Py_ssize_t units, i, nt
    cdef Tables* t = &tables.t
    cdef Findings f
    cdef RuleFindings rf
    cdef FramingLog fr
    cdef Out o
    cdef Run r
    cdef bint lines_io = lines if body else False
    cdef const uint8_t* base = &data[0] if n > 0 else NULL
    cdef size_t* parts = NULL
    cdef int32_t* n_of = NULL
    cdef int32_t** unit_lists = NULL
    cdef void** slot_ptrs = NULL
    cdef int kern = _KERNEL
    cdef int L10 = t.layout_10
    cdef uint32_t s10 = 0
    cdef uint64_t found10 = 0
    cdef bint bad10
    cdef Scan out
    cdef _Region region
    cdef const int64_t[::1] params_v
    if framing_only:
        _n_framings += 1
        _n_framing_bytes += n
    else:
        _n_scans += 1
        _n_scan_bytes += n
    if params is None:
        params = np.zeros(1, dtype=np.int64)
    params_v = np.ascontiguousarray(params, dtype=np.int64)
    if params_v.shape[0] == 0:
        params_v = np.zeros(1, dtype=np.int64)
    if first10 >= 0 and (first10 + 350 > n or framing_only):
        raise ValueError("first10 must be the offset of a whole record")
    nt = t.n_totals
    parts = <size_t*> malloc((4 + t.n_layouts + t.n_slots + 6) * sizeof(size_t))
    n_of = <int32_t*> calloc(max(t.n_layouts, 1), sizeof(int32_t))
    unit_lists = <int32_t**> malloc(max(t.n_layouts, 1) * sizeof(int32_t*))
    slot_ptrs = <void**> malloc(max(t.n_slots, 1) * sizeof(void*))
    f.n = f.cap = 0
    f.unit = f.zone = NULL
    f.kind = NULL
    rf.n = rf.cap = 0
    rf.unit = rf.rule = NULL
    fr.n = fr.total = 0
    fr.cap = framing_cap
    fr.kind = <uint8_t*> malloc(max(framing_cap, 1) * sizeof(uint8_t))
    fr.offset = <int64_t*> malloc(max(framing_cap, 1) * sizeof(int64_t))
    fr.length = <int64_t*> malloc(max(framing_cap, 1) * sizeof(int64_t))
    fr.unit = <int32_t*> malloc(max(framing_cap, 1) * sizeof(int32_t))
    try:
        if (parts == NULL or n_of == NULL or unit_lists == NULL or slot_ptrs == NULL
                or fr.kind == NULL or fr.offset == NULL or fr.length == NULL
                or fr.unit == NULL):
            raise MemoryError()
        region = _region(t, cap, framing_only, parts)
        o.offsets = <int64_t*> (<char*> region.base + parts[0])
        o.layout = <int8_t*> (<char*> region.base + parts[1])
        if not framing_only:
            o.rank = <int32_t*> (<char*> region.base + parts[2])
            o.invoice = <int32_t*> (<char*> region.base + parts[3])
            for i in range(t.n_layouts):
                unit_lists[i] = <int32_t*> (<char*> region.base + parts[4 + i])
            for i in range(t.n_slots):
                slot_ptrs[i] = <void*> (<char*> region.base + parts[4 + t.n_layouts + i])
            i = 4 + t.n_layouts + t.n_slots
            o.inv_head = <int32_t*> (<char*> region.base + parts[i])
            o.inv_end = <int32_t*> (<char*> region.base + parts[i + 1])
            o.inv_stop = <int32_t*> (<char*> region.base + parts[i + 2])
            o.inv_members = <int32_t*> (<char*> region.base + parts[i + 3])
            o.inv_sums = <int64_t*> (<char*> region.base + parts[i + 4])
            o.inv_bad = <uint8_t*> (<char*> region.base + parts[i + 5])
        o.units = unit_lists
        o.slots = slot_ptrs
        o.n_of = n_of
        o.n_inv = 0
        memset(&r, 0, sizeof(Run))
        r.own_first = own_first
        r.params = &params_v[0]
        for i in range(min(params_v.shape[0], V_CONST - V_PARAM)):
            r.vals[V_PARAM + i] = params_v[i]
        for i in range(t.n_consts):
            r.vals[V_CONST + i] = t.consts[i]
        r.prev_layout = -1
        r.prev_unit = r.r10 = r.r20 = r.r50 = -1
        memset(r.memo_valid, -1, sizeof(r.memo_valid))
        with nogil:
            if first10 >= 0:
                bad10 = (vsb_kernel(kern) if t.layout_simd[L10] else vsb_kernel(0))(
                    base + first10, t.allow + L10 * 350, t.accept + L10 * 350, 350, 348,
                    CLS, VAL, &s10)
                _read(t, NULL, -1, base + first10, L10, bad10, s10, r.vals + V_GOV10,
                      &found10)
                r.r10 = 0
                r.rec10 = base + first10
            units = _scan(t, base, n, &o, &f, &fr, &rf, &r, &lines_io,
                          body, framing_only, stop_layout, kern, drop_pages)
        if units < 0:
            raise MemoryError()
        out = Scan.__new__(Scan)
        out.offsets = _view(region, parts[0], units, cnp.NPY_INT64)
        out.layout = _view(region, parts[1], units, cnp.NPY_INT8)
        if framing_only:
            empty32 = np.zeros(0, np.int32)
            out.rank = out.invoice = out.inv_head = out.inv_end = empty32
            out.inv_stop = out.inv_members = empty32
            out.inv_sums = np.zeros((0, nt), np.int64)
            out.inv_bad = np.zeros((0, nt), np.uint8)
            out.units = out.slots = ()
        else:
            out.rank = _view(region, parts[2], units, cnp.NPY_INT32)
            out.invoice = _view(region, parts[3], units, cnp.NPY_INT32)
            out.units = tuple(
                _view(region, parts[4 + i], n_of[i], cnp.NPY_INT32) for i in range(t.n_layouts)
            )
            slot_list = []
            for L in range(t.n_layouts):
                for i in range(t.slot_first[L], t.slot_first[L] + t.slot_count[L]):
                    slot_list.append(_view(
                        region, parts[4 + t.n_layouts + i], n_of[L],
                        cnp.NPY_INT64 if t.slot_wide[i] else cnp.NPY_INT32))
            out.slots = tuple(slot_list)
            i = 4 + t.n_layouts + t.n_slots
            out.inv_head = _view(region, parts[i], o.n_inv, cnp.NPY_INT32)
            out.inv_end = _view(region, parts[i + 1], o.n_inv, cnp.NPY_INT32)
            out.inv_stop = _view(region, parts[i + 2], o.n_inv, cnp.NPY_INT32)
            out.inv_members = _view(region, parts[i + 3], o.n_inv, cnp.NPY_INT32)
            out.inv_sums = _view2(region, parts[i + 4], o.n_inv, nt, cnp.NPY_INT64)
            out.inv_bad = _view2(region, parts[i + 5], o.n_inv, nt, cnp.NPY_UINT8)
        out.finding_unit = _array(f.unit, f.n, np.int32)
        out.finding_zone = _array(f.zone, f.n, np.int32)
        out.finding_kind = _array(f.kind, f.n, np.uint8)
        if not rules:  # the rules ran (their findings kept in rf), none reported
            rf.n = 0
        out.rule_unit = _array(rf.unit, rf.n, np.int32)
        out.rule_id = _array(rf.rule, rf.n, np.int32)
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
        free(rf.unit)
        free(rf.rule)
        free(fr.kind)
        free(fr.offset)
        free(fr.length)
        free(fr.unit)
        free(parts)
        free(n_of)
        free(unit_lists)
        free(slot_ptrs)
    return out


def first_record(const unsigned char[::1] data, CoreTables tables, int layout):
    """The first unit of a layout in a buffer (a framing scan that stops there), read:
    ``(offset, values, unreadable)`` (its columns as int64, the bits of its zones with
    findings), or None when there is none."""
    global _n_framings, _n_framing_bytes
    cdef Tables* t = &tables.t
    cdef Py_ssize_t n = data.shape[0], units
    cdef Out o
    cdef FramingLog fr
    cdef Run r
    cdef bint lines_io = False, bad
    cdef uint32_t s = 0
    cdef uint64_t found = 0
    cdef int64_t cur[64]
    cdef const uint8_t* base = &data[0] if n > 0 else NULL
    cdef size_t parts[2]
    cdef int64_t off
    if layout < 0 or layout >= t.n_layouts or t.layout_len[layout] != 350:
        raise ValueError("not a record layout")
    if n == 0:
        return None
    region = _region(t, n // 350 + 3, True, parts)
    o.offsets = <int64_t*> (<char*> region.base + parts[0])
    o.layout = <int8_t*> (<char*> region.base + parts[1])
    fr.n = fr.total = fr.cap = 0
    with nogil:
        units = _scan(t, base, n, &o, NULL, &fr, NULL, &r, &lines_io, False, True, layout,
                      _KERNEL)
    if units <= 2 or o.layout[units - 1] != layout:
        _n_framings += 1
        _n_framing_bytes += n
        return None
    off = o.offsets[units - 1]
    _n_framings += 1
    _n_framing_bytes += off + 350
    with nogil:
        bad = (vsb_kernel(_KERNEL) if t.layout_simd[layout] else vsb_kernel(0))(
            base + off, t.allow + layout * 350, t.accept + layout * 350, 350,
            348 if t.layout_check[layout] else 0, CLS, VAL, &s)
        _read(t, NULL, -1, base + off, layout, bad, s, cur, &found)
    values = np.empty(t.slot_count[layout], dtype=np.int64)
    for i in range(t.slot_count[layout]):
        values[i] = cur[i]
    return int(off), values, int(found)


@cython.boundscheck(False)
@cython.wraparound(False)
def gather(Scan s, slot_of, units):
    """The values of one column for the given units (int64; 0 where a unit's layout has
    no such column). ``slot_of``: per layout, the column's global slot or -1."""
    cdef const int64_t[::1] u = np.ascontiguousarray(units, dtype=np.int64)
    cdef const int32_t[::1] slot = np.ascontiguousarray(slot_of, dtype=np.int32)
    cdef const int8_t[::1] layout = s.layout
    cdef const int32_t[::1] rank = s.rank
    cdef Py_ssize_t i, n = u.shape[0], nl = slot.shape[0], units_n = layout.shape[0]
    cdef int L, k
    cdef void** ptr = <void**> malloc(max(nl, 1) * sizeof(void*))
    cdef uint8_t* wide = <uint8_t*> malloc(max(nl, 1))
    out = np.zeros(n, dtype=np.int64)
    cdef int64_t[::1] o = out
    try:
        if ptr == NULL or wide == NULL:
            raise MemoryError()
        for L in range(nl):
            ptr[L] = NULL
            wide[L] = 0
            k = slot[L]
            if k >= 0:
                arr = s.slots[k]
                ptr[L] = cnp.PyArray_DATA(arr)
                wide[L] = arr.dtype == np.int64
        for i in range(n):
            if u[i] < 0 or u[i] >= units_n:
                raise IndexError(f"unit {u[i]} outside the scan")
        with nogil:
            for i in range(n):
                L = layout[u[i]]
                if L < 0 or L >= nl or ptr[L] == NULL:
                    continue
                if wide[L]:
                    o[i] = (<int64_t*> ptr[L])[rank[u[i]]]
                else:
                    o[i] = (<int32_t*> ptr[L])[rank[u[i]]]
    finally:
        free(ptr)
        free(wide)
    return out


@cython.boundscheck(False)
@cython.wraparound(False)
def last_before(marks, units, *bars):
    """For each of ``units``, the last of ``marks`` below it, or -1 (int64); with
    ``bars`` (up to four arrays), -1 also where the last of some bar below the unit is
    not below that mark (a bar came between them). One merge of all the arrays, which
    must be ascending (ValueError otherwise)."""
    cdef const int64_t[::1] m = np.ascontiguousarray(marks, dtype=np.int64)
    cdef const int64_t[::1] u = np.ascontiguousarray(units, dtype=np.int64)
    cdef Py_ssize_t i, j = 0, n = u.shape[0], n_m = m.shape[0], k
    cdef int nb = len(bars)
    cdef int64_t last = -1, top
    cdef bint ascending = True
    cdef const int64_t* bp[4]
    cdef Py_ssize_t bn[4]
    cdef Py_ssize_t bj[4]
    cdef int64_t blast[4]
    if nb > 4:
        raise ValueError("at most four arrays of bars")
    keep = [np.ascontiguousarray(b, dtype=np.int64).reshape(-1) for b in bars]
    cdef const int64_t[::1] bv
    for k in range(nb):
        bv = keep[k]
        bn[k] = bv.shape[0]
        bp[k] = &bv[0] if bn[k] else NULL
        bj[k] = 0
        blast[k] = -1
    out = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] o = out
    with nogil:
        for i in range(1, n_m):
            if m[i] < m[i - 1]:
                ascending = False
        for k in range(nb):
            for i in range(1, bn[k]):
                if bp[k][i] < bp[k][i - 1]:
                    ascending = False
        for i in range(n):
            if i and u[i] < u[i - 1]:
                ascending = False
            while j < n_m and m[j] < u[i]:
                last = m[j]
                j += 1
            top = -1
            for k in range(nb):
                while bj[k] < bn[k] and bp[k][bj[k]] < u[i]:
                    blast[k] = bp[k][bj[k]]
                    bj[k] += 1
                if blast[k] > top:
                    top = blast[k]
            o[i] = last if nb == 0 or last > top else -1
    if not ascending:
        raise ValueError("marks, bars and units must be ascending")
    return out


def drop_pages(const unsigned char[::1] view):
    """Give back the whole pages inside ``view``, a view of a read-only shared map of a
    file (they stay in the page cache; a later access maps them again, the same bytes).
    Only for such a map: the bytes of any other memory would be lost."""
    if view.shape[0]:
        with nogil:
            vsb_drop_pages(&view[0], &view[0] + view.shape[0])


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
                      const unsigned char[::1] rows, Py_ssize_t row_width, Py_ssize_t n,
                      bint drop=False):
    """Write ``n`` lines to ``fd``: ``width`` bytes of ``records`` from each offset, then
    that line's ``row_width`` bytes of ``rows``; with writev, without the GIL (the
    records go from their buffer to the file with no copy in between).

    ``drop``: ``records`` is a view of a read-only shared map of a file; the pages the
    lines were read from go back after each writev (see :func:`drop_pages`: reading a
    record maps its neighbours too, and scattered records would map most of the file).

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
    cdef int64_t lo, hi
    if off.shape[0] < n or rows.shape[0] < n * row_width:
        raise ValueError("fewer offsets or rows than lines")
    for i in range(n):
        if off[i] < 0 or off[i] + width > size:
            raise ValueError(f"line {i}: offset {off[i]} outside the records")
    with nogil:
        i = 0
        while i < n and err == 0:
            k = 0
            lo = size
            hi = 0
            while i < n and k < 1024:
                iov[k].iov_base = <void*> (src + off[i])
                iov[k].iov_len = width
                iov[k + 1].iov_base = <void*> (dst + i * row_width)
                iov[k + 1].iov_len = row_width
                lo = min(lo, off[i])
                hi = max(hi, off[i] + width)
                k += 2
                i += 1
            err = _writev_all(fd, iov, <int> k)
            if drop and hi > lo:
                # The whole pages of the span the lines came from (vsb_drop_pages keeps
                # the partial pages at its ends).
                vsb_drop_pages(src + lo, src + hi)
    if err:
        raise OSError(err, os.strerror(err))


@cython.boundscheck(False)
@cython.wraparound(False)
def control_rows(const unsigned char[::1] records, offsets, Py_ssize_t width):
    """The lines (positions in ``offsets``, ascending) of the ``width`` bytes of
    ``records`` from each offset that hold a control byte (below 0x20, or 0x7F: a line
    break, NUL, ...), without the GIL. An answer echoes those lines with blanks there:
    such a byte would frame the answer wrongly for whoever reads it.

    Raises
    ------
    ValueError
        An offset outside ``records``, or a negative width.
    """
    cdef const int64_t[::1] off = np.ascontiguousarray(offsets, dtype=np.int64)
    cdef Py_ssize_t n = off.shape[0], size = records.shape[0], i, j, hits = 0
    cdef const unsigned char* line
    cdef unsigned char c, bad
    if width < 0:
        raise ValueError("a negative width")
    for i in range(n):
        if off[i] < 0 or off[i] + width > size:
            raise ValueError(f"line {i}: offset {off[i]} outside the records")
    out = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] out_v = out
    with nogil:
        for i in range(n):
            line = &records[0] + off[i]
            bad = 0
            for j in range(width):
                c = line[j]
                bad |= (c < 0x20) | (c == 0x7F)
            if bad:
                out_v[hits] = i
                hits += 1
    return out[:hits]


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
# Joins against the reference data: a hash of the rows of a table by key, and the
# period of a row group that covers a day.

cdef extern from *:
    """
    /* A column of signed integers of any width, read in place (content joins). */
    typedef struct { const char* data; Py_ssize_t n; int size; } vsb_col;
    static inline __attribute__((always_inline)) int64_t
    vsb_get(const vsb_col* c, Py_ssize_t i) {
        switch (c->size) {
        case 8: return ((const int64_t*) c->data)[i];
        case 4: return ((const int32_t*) c->data)[i];
        case 2: return ((const int16_t*) c->data)[i];
        default: return ((const int8_t*) c->data)[i];
        }
    }
    #define vsb_prefetch(p) __builtin_prefetch(p)

    /* out[j] = the column's value at rows[j], for j < m: the width switched on once
       for all m (a loop per width). */
    static void vsb_gather(const vsb_col* c, const int64_t* rows, Py_ssize_t m,
                           int64_t* out) {
        Py_ssize_t j;
        switch (c->size) {
        case 8:
            for (j = 0; j < m; j++) out[j] = ((const int64_t*) c->data)[rows[j]];
            break;
        case 4:
            for (j = 0; j < m; j++) out[j] = ((const int32_t*) c->data)[rows[j]];
            break;
        case 2:
            for (j = 0; j < m; j++) out[j] = ((const int16_t*) c->data)[rows[j]];
            break;
        default:
            for (j = 0; j < m; j++) out[j] = ((const int8_t*) c->data)[rows[j]];
        }
    }

    /* out[j] = the column's value at start + j, for j < m (the same, rows in order). */
    static void vsb_copy(const vsb_col* c, Py_ssize_t start, Py_ssize_t m, int64_t* out) {
        Py_ssize_t j;
        switch (c->size) {
        case 8:
            for (j = 0; j < m; j++) out[j] = ((const int64_t*) c->data)[start + j];
            break;
        case 4:
            for (j = 0; j < m; j++) out[j] = ((const int32_t*) c->data)[start + j];
            break;
        case 2:
            for (j = 0; j < m; j++) out[j] = ((const int16_t*) c->data)[start + j];
            break;
        default:
            for (j = 0; j < m; j++) out[j] = ((const int8_t*) c->data)[start + j];
        }
    }

    /* A slot of a KeyIndex: a key (VSB_EMPTY: free) and its rows [lo, hi). */
    typedef struct { int64_t key; int64_t lo; int64_t hi; } vsb_slot;
    #define VSB_EMPTY (-((int64_t) 1 << 62))
    static inline __attribute__((always_inline)) int
    vsb_find(const vsb_slot* slots, uint64_t mask, int shift, int64_t key,
             int64_t* lo, int64_t* hi) {
        uint64_t h = ((uint64_t) key * 11400714819323198485ULL) >> shift;
        if (key != VSB_EMPTY) {
            while (slots[h].key != VSB_EMPTY) {
                if (slots[h].key == key) {
                    *lo = slots[h].lo;
                    *hi = slots[h].hi;
                    return 1;
                }
                h = (h + 1) & mask;
            }
        }
        *lo = *hi = 0;
        return 0;
    }

    /* eFact dates (YYYYMMDD, above 0) as days since 1900-01-01: the March-based day
       count (693902: its value on 1899-12-31), and a table of its value on day 0 of
       each month of 1900-2079 by YYYYMM (filled at import; VSB_NO_MONTH where MM is
       not a month), from which most dates are read with one multiplication: below
       2**32, k / 100 is (k * 1374389535) >> 37 exactly, and no division is left. */
    static inline int64_t vsb_floordiv(int64_t a, int64_t b) {
        int64_t q = a / b;
        return (a % b != 0 && a < 0) ? q - 1 : q;      /* b > 0 */
    }
    static int64_t vsb_day_count(int64_t k) {
        int64_t y = k / 10000, m = (k / 100) % 100, d = k % 100;
        int64_t a = m <= 2 ? 1 : 0, yy = y - a, mm = m + 12 * a - 3;
        return 365 * yy + vsb_floordiv(yy, 4) - vsb_floordiv(yy, 100)
               + vsb_floordiv(yy, 400) + (153 * mm + 2) / 5 + d - 693902;
    }
    #define VSB_NO_MONTH INT32_MIN
    static int32_t vsb_months[18000];      /* by YYYYMM - 190000 */
    static inline __attribute__((always_inline)) int64_t vsb_day(int64_t k) {
        uint64_t ym, at;
        if (k <= 0) return -1;
        if ((uint64_t) k < 4294967296ULL) {
            ym = ((uint64_t) k * 1374389535ULL) >> 37;      /* k / 100 */
            at = ym - 190000;                                /* wraps below 1900 */
            if (at < 18000 && vsb_months[at] != VSB_NO_MONTH)
                return vsb_months[at] + (int64_t) ((uint64_t) k - ym * 100);
        }
        return vsb_day_count(k);
    }
    """
    ctypedef struct _Col "vsb_col":
        const char* data
        Py_ssize_t n
        int size        # bytes of a signed integer: 1, 2, 4 or 8
    int64_t _get "vsb_get"(const _Col* c, Py_ssize_t i) noexcept nogil
    void _prefetch "vsb_prefetch"(const void* p) noexcept nogil
    void _gather "vsb_gather"(const _Col* c, const int64_t* rows, Py_ssize_t m,
                              int64_t* out) noexcept nogil
    void _copy "vsb_copy"(const _Col* c, Py_ssize_t start, Py_ssize_t m,
                          int64_t* out) noexcept nogil
    ctypedef struct _Slot "vsb_slot":
        int64_t key     # _EMPTY: a free slot
        int64_t lo
        int64_t hi
    bint _slot_find "vsb_find"(const _Slot* slots, uint64_t mask, int shift, int64_t key,
                               int64_t* lo, int64_t* hi) noexcept nogil
    int64_t _day_count "vsb_day_count"(int64_t k) noexcept nogil
    int64_t _day "vsb_day"(int64_t k) noexcept nogil
    int32_t _MONTHS "vsb_months"[18000]
    int32_t _NO_MONTH "VSB_NO_MONTH"


for _i in range(18000):
    _MONTHS[_i] = (<int32_t> _day_count((190000 + _i) * 100) if 1 <= _i % 100 <= 12
                   else _NO_MONTH)


cdef int64_t _EMPTY = -(2 ** 62)


cdef inline uint64_t _hash(int64_t k, int shift) noexcept nogil:
    return ((<uint64_t> k) * 11400714819323198485ULL) >> shift


cdef enum:
    _AHEAD = 16     # lookups started ahead of the one done (hash tables bigger than a cache)


@cython.final
cdef class KeyIndex:
    """The rows of a table sorted by a key, hashed by key: ``find`` gives the range of
    rows ``[lo, hi)`` of each key asked for (``lo == hi`` when it has none), in one
    pass without the GIL (a compiled hash join; built once per reference data).

    A slot holds its key and its rows side by side: a lookup reads one place of the
    table (a table of a million keys does not fit a cache).

    Parameters
    ----------
    keys
        The key of every row (int64, sorted; keys are not negative).
    """

    cdef _Slot* _slots
    cdef Py_ssize_t _cap
    cdef int _shift
    cdef readonly Py_ssize_t rows

    def __cinit__(self):
        self._slots = NULL
        self._cap = 0

    def __dealloc__(self):
        _table_free(self._slots, self._cap * sizeof(_Slot))

    def __init__(self, keys):
        cdef const int64_t[::1] k = np.ascontiguousarray(keys, dtype=np.int64)
        cdef Py_ssize_t n = k.shape[0], i, start, cap = 16
        cdef int bits = 4
        cdef uint64_t h, mask
        if n and (np.asarray(k)[1:] < np.asarray(k)[:-1]).any():
            raise ValueError("keys must be sorted")
        if n and np.asarray(k)[0] < 0:
            raise ValueError("keys must not be negative")
        while cap < 2 * n:
            cap *= 2
            bits += 1
        _table_free(self._slots, self._cap * sizeof(_Slot))
        self._slots = NULL
        self._cap = 0
        self.rows = 0
        self._slots = <_Slot*> _table_alloc(cap * sizeof(_Slot))
        if self._slots == NULL:
            raise MemoryError()
        self.rows = n
        self._cap = cap
        self._shift = 64 - bits
        mask = cap - 1
        with nogil:
            for i in range(cap):
                self._slots[i].key = _EMPTY
            i = 0
            while i < n:
                start = i
                while i < n and k[i] == k[start]:
                    i += 1
                h = _hash(k[start], self._shift)
                while self._slots[h].key != _EMPTY:
                    h = (h + 1) & mask
                self._slots[h].key = k[start]
                self._slots[h].lo = start
                self._slots[h].hi = i

    cdef inline void _ahead(self, int64_t key) noexcept nogil:
        """Start reading the slot of ``key`` (a lookup a few keys later will not wait):
        both its ends, as a slot of 24 bytes can cross into a second cache line."""
        cdef const _Slot* slot = &self._slots[_hash(key, self._shift)]
        _prefetch(slot)
        _prefetch(&slot.hi)

    cdef inline bint _find(self, int64_t key, int64_t* lo, int64_t* hi) noexcept nogil:
        return _slot_find(self._slots, self._cap - 1, self._shift, key, lo, hi)

    @cython.boundscheck(False)
    @cython.wraparound(False)
    def find(self, queries):
        """``(lo, hi)``: the rows of each key asked for (int64 arrays; 0, 0 for none)."""
        cdef const int64_t[::1] q = np.ascontiguousarray(queries, dtype=np.int64)
        cdef Py_ssize_t n = q.shape[0], i
        lo = np.zeros(n, dtype=np.int64)
        hi = np.zeros(n, dtype=np.int64)
        cdef int64_t[::1] lo_v = lo
        cdef int64_t[::1] hi_v = hi
        with nogil:
            for i in range(n):
                if i + _AHEAD < n:
                    self._ahead(q[i + _AHEAD])
                self._find(q[i], &lo_v[i], &hi_v[i])
        return lo, hi


@cython.boundscheck(False)
@cython.wraparound(False)
def find_period(lo, hi, starts, ends, days):
    """For each query, the last row of ``[lo, hi)`` (rows sorted by start) that starts
    on or before its day, and whether the day is on or before that row's end:
    ``(row, covered)`` (row ``lo`` when none starts before: then not covered)."""
    cdef const int64_t[::1] first = np.ascontiguousarray(lo, dtype=np.int64)
    cdef const int64_t[::1] end = np.ascontiguousarray(hi, dtype=np.int64)
    cdef const int64_t[::1] st = np.ascontiguousarray(starts, dtype=np.int64)
    cdef const int64_t[::1] en = np.ascontiguousarray(ends, dtype=np.int64)
    cdef const int64_t[::1] d = np.ascontiguousarray(days, dtype=np.int64)
    cdef Py_ssize_t n = d.shape[0], i, j, r, m = st.shape[0]
    if first.shape[0] != n or end.shape[0] != n or en.shape[0] != m:
        raise ValueError("lo, hi and days, or starts and ends, differ in length")
    if n and ((np.asarray(first) < 0).any() or (np.asarray(end) > m).any()):
        raise ValueError("rows outside the table")
    row = np.zeros(n, dtype=np.int64)
    covered = np.zeros(n, dtype=bool)
    cdef int64_t[::1] row_v = row
    cdef uint8_t[::1] cov_v = covered.view(np.uint8)
    with nogil:
        for i in range(n):
            r = -1
            for j in range(first[i], end[i]):
                if st[j] <= d[i]:
                    r = j
                else:
                    break
            if r >= 0:
                row_v[i] = r
                cov_v[i] = d[i] <= en[r]
            else:
                row_v[i] = first[i]
    return row, covered


#: The checks of :func:`content_invoices`, as bits of its ``bits`` (in this order).
INVOICE_CHECKS = ("200820", "200742", "200520", "202020")
#: The checks of :func:`content_prestations`, as bits of its ``bits`` (in this order;
#: the codes less their record type: ``30`` or ``50`` in front).
JOIN_CHECKS = ("0540", "0640", "0549", "0420", "0454", "1940", "2741", "0526", "1740", "0490")


cdef _Col _column(values, list keep, Py_ssize_t n, str name) except *:
    """A column read in place (a signed integer array of ``n`` values; other types are
    converted), kept alive by ``keep``."""
    cdef cnp.ndarray a = np.ascontiguousarray(values).reshape(-1)
    cdef _Col c
    if a.dtype.kind != "i" or a.dtype.itemsize not in (1, 2, 4, 8):
        a = np.ascontiguousarray(a, dtype=np.int64)
    if a.shape[0] != n:
        raise ValueError(f"column {name} has {a.shape[0]} values, not {n}")
    keep.append(a)
    c.data = <const char*> cnp.PyArray_DATA(a)
    c.n = n
    c.size = a.dtype.itemsize
    return c


cdef _int64(values, Py_ssize_t n, str name):
    """A column of ``n`` values as int64 (converted unless it is)."""
    a = np.ascontiguousarray(values, dtype=np.int64).reshape(-1)
    if a.shape[0] != n:
        raise ValueError(f"column {name} has {a.shape[0]} values, not {n}")
    return a


ctypedef struct _Entry:
    int64_t key
    int64_t val     # -1: a free slot


ctypedef struct _Set:
    _Entry* slots
    uint64_t mask
    int shift


cdef int _set_init(_Set* s, Py_ssize_t n) noexcept nogil:
    """A hash of int64 keys to values (not negative) for ``n`` keys; -1 when out of
    memory."""
    cdef Py_ssize_t cap = 16
    cdef int bits = 4
    while cap < 2 * n:
        cap *= 2
        bits += 1
    s.slots = <_Entry*> _scratch(cap * sizeof(_Entry))
    if s.slots == NULL:
        return -1
    memset(s.slots, 0xFF, cap * sizeof(_Entry))
    s.mask = cap - 1
    s.shift = 64 - bits
    return 0


cdef inline void _set_free(_Set* s) noexcept nogil:
    _unscratch(s.slots)
    s.slots = NULL


cdef inline uint64_t _set_home(const _Set* s, int64_t key) noexcept nogil:
    return _hash(key, s.shift)


cdef inline void _set_ahead(const _Set* s, int64_t key) noexcept nogil:
    """Start reading the slot of ``key``."""
    _prefetch(&s.slots[_set_home(s, key)])


cdef inline int64_t* _set_slot(_Set* s, int64_t key) noexcept nogil:
    """The value of ``key`` (-1 when it is not there: set it to add the key)."""
    cdef uint64_t h = _set_home(s, key)
    while s.slots[h].val >= 0 and s.slots[h].key != key:
        h = (h + 1) & s.mask
    s.slots[h].key = key
    return &s.slots[h].val


@cython.boundscheck(False)
@cython.wraparound(False)
def content_invoices(dict inv, KeyIndex members_index, members, KeyIndex inst_index,
                     KeyIndex adm_index, dict adm, int64_t none, int64_t revalidation):
    """The content checks of each invoice (record 20) against the reference data, in
    one pass without the GIL: the bits of :data:`INVOICE_CHECKS` that fail (uint8).

    ``inv``: per invoice ``insz``, ``unread`` (its zone 8a,8b has a finding),
    ``affiliation``, ``number``, ``institution``, ``invoice_type``, ``admitted``,
    ``approval`` (YYYYMMDD); ``members``: a member's row packed in an int64 (insured
    from, reach at the row's mutuality, mutuality, deceased: 16 bits each), in the rows
    of ``members_index``; ``inst_index``: the institutions with admissions (unique),
    ``adm_index`` their admissions by ``rank * 10**12 + number``, ``adm`` their
    columns ``insz``, ``kind``, ``from``, ``to``, ``approval``.

    Also returns, for :func:`content_prestations`: per invoice ``known`` (the person is
    a member), ``good`` (its admission is known) and ``arow`` (its row), and the
    person's periods at the invoice's mutuality (all of them when none is there),
    copied out of the member table (``period_lo``, ``period_hi`` into ``period_from``,
    ``period_reach``) with ``deceased``: insured on a day means insured there.
    """
    cdef list keep = []
    cdef Py_ssize_t n = len(inv["insz"]), i, j, total = 0
    cdef _Col insz = _column(inv["insz"], keep, n, "insz")
    cdef _Col unread = _column(inv["unread"], keep, n, "unread")
    cdef _Col aff = _column(inv["affiliation"], keep, n, "affiliation")
    cdef _Col number = _column(inv["number"], keep, n, "number")
    cdef _Col inst = _column(inv["institution"], keep, n, "institution")
    cdef _Col itype = _column(inv["invoice_type"], keep, n, "invoice_type")
    cdef _Col admitted = _column(inv["admitted"], keep, n, "admitted")
    cdef _Col approval = _column(inv["approval"], keep, n, "approval")
    cdef const int64_t[::1] m = np.ascontiguousarray(members, dtype=np.int64)
    cdef Py_ssize_t n_a = adm_index.rows
    cdef _Col a_insz = _column(adm["insz"], keep, n_a, "insz")
    cdef _Col a_kind = _column(adm["kind"], keep, n_a, "kind")
    cdef _Col a_from = _column(adm["from"], keep, n_a, "from")
    cdef _Col a_approval = _column(adm["approval"], keep, n_a, "approval")
    if m.shape[0] != members_index.rows:
        raise ValueError("the member rows and their index differ in length")
    bits = np.zeros(n, dtype=np.uint8)
    known = np.zeros(n, dtype=np.uint8)
    good = np.zeros(n, dtype=np.uint8)
    arow = np.zeros(n, dtype=np.int64)
    plo = np.zeros(n, dtype=np.int64)
    phi = np.zeros(n, dtype=np.int64)
    dead = np.full(n, none, dtype=np.int64)
    cdef uint8_t[::1] bits_v = bits, known_v = known, good_v = good
    cdef int64_t[::1] arow_v = arow, plo_v = plo, phi_v = phi, dead_v = dead
    cdef int64_t lo, hi, rlo, rhi, k, d, a_ap
    cdef bint at_mut
    cdef uint8_t b
    # The lookups run in passes of their own, each starting its reads a few invoices
    # ahead: the member table does not fit a cache, and one invoice's reads would
    # otherwise wait for each other.
    with nogil:
        # The beneficiary: a member (its rows, until they are copied out below).
        for i in range(n):
            if i + _AHEAD < n:
                members_index._ahead(_get(&insz, i + _AHEAD))
            k = _get(&insz, i)
            if _get(&unread, i) == 0 and k > 0:
                if members_index._find(k, &plo_v[i], &phi_v[i]):
                    known_v[i] = 1
                    total += phi_v[i] - plo_v[i]
                else:
                    bits_v[i] |= 1
    # The periods of each known person, copied next to each other (read per prestation)
    # as the person's rows are read for the mutuality.
    p_from = np.zeros(total, dtype=np.int64)
    p_reach = np.zeros(total, dtype=np.int64)
    cdef int64_t[::1] from_v = p_from, reach_v = p_reach
    cdef Py_ssize_t at = 0
    cdef int64_t* akey = <int64_t*> _scratch((n + 1) * sizeof(int64_t))
    if akey == NULL:
        raise MemoryError()
    with nogil:
        # At the mutuality of the record 20 (insured there: its periods there are the
        # ones copied, else, with that F error, all of them); the date of death.
        for i in range(n):
            if i + _AHEAD < n and known_v[i + _AHEAD]:
                _prefetch(&m[plo_v[i + _AHEAD]])
            if known_v[i]:
                lo = plo_v[i]
                hi = phi_v[i]
                at_mut = False
                for j in range(lo, hi):
                    if ((m[j] >> 32) & 0xFFFF) == _get(&aff, i):
                        at_mut = True
                        break
                plo_v[i] = at
                d = -1  # the running end over every mutuality
                for j in range(lo, hi):
                    if at_mut and ((m[j] >> 32) & 0xFFFF) != _get(&aff, i):
                        continue
                    from_v[at] = m[j] & 0xFFFF
                    d = max(d, (m[j] >> 16) & 0xFFFF)
                    reach_v[at] = (m[j] >> 16) & 0xFFFF if at_mut else d
                    at += 1
                phi_v[i] = at
                dead_v[i] = (m[lo] >> 48) & 0xFFFF
                if not at_mut:
                    bits_v[i] |= 2
        # The admission: known for the facility, of this person (and this date).
        for i in range(n):
            akey[i] = -1
            if inst_index._find(_get(&inst, i), &rlo, &rhi):
                akey[i] = <int64_t> (<uint64_t> rlo * 1000000000000ULL
                                     + <uint64_t> _get(&number, i))
        for i in range(n):
            if i + _AHEAD < n and akey[i + _AHEAD] != -1:
                adm_index._ahead(akey[i + _AHEAD])
            b = 0
            if (akey[i] != -1 and adm_index._find(akey[i], &lo, &hi)
                    and _get(&a_insz, lo) == _get(&insz, i)):
                d = _day(_get(&admitted, i))
                if d < 0 or d == _get(&a_from, lo):
                    good_v[i] = 1
                    arow_v[i] = lo
            if not good_v[i] and (_get(&number, i) > 0 or _get(&itype, i) == 5
                                  or _get(&itype, i) == 6):
                b |= 4
            if good_v[i] and _get(&a_kind, lo) == revalidation:
                a_ap = _get(&a_approval, lo)
                if _day(_get(&approval, i)) != (-1 if a_ap == none else a_ap):
                    b |= 8
            bits_v[i] |= b
    _unscratch(akey)
    return dict(bits=bits, known=known, good=good, arow=arow, period_lo=plo, period_hi=phi,
                period_from=p_from, period_reach=p_reach, deceased=dead)


cdef inline int64_t _period(int64_t lo, int64_t hi, const int64_t* starts,
                            const int64_t* ends, int64_t day, bint* covered) noexcept nogil:
    """The last row of [lo, hi) starting on or before ``day`` (``lo`` when none), and
    whether ``day`` is on or before its end."""
    cdef int64_t j, r = -1
    for j in range(lo, hi):
        if starts[j] <= day:
            r = j
        else:
            break
    covered[0] = r >= 0 and day <= ends[r]
    return r if r >= 0 else lo


cdef inline const int64_t* _ptr(const int64_t[::1] v) noexcept nogil:
    return &v[0] if v.shape[0] else NULL


ctypedef struct _Memo:
    # What content_prestations looked up for a code at an institution.
    bint used
    int64_t code, inst
    bint kn, own, general
    int64_t clo, chi, olo, ohi, glo, ghi


cdef enum:
    _TARIFF_SHIFT = 37  # a tariff's key: code << 37 | institution (11-digit NIHII)

#: The shift of a tariff's key (``checks.content`` builds the keys the same way).
TARIFF_SHIFT = _TARIFF_SHIFT


cdef inline void _look_up(_Memo* mo, int64_t code, int64_t inst, KeyIndex codes_index,
                          KeyIndex tariffs_index) noexcept nogil:
    """Fill ``mo`` with the rows of ``code`` and of its tariffs at ``inst`` (its own,
    the general ones)."""
    mo.used = True
    mo.code, mo.inst = code, inst
    mo.kn = codes_index._find(code, &mo.clo, &mo.chi)
    mo.own = mo.general = False
    if tariffs_index.rows:
        # An institution wider than a NIHII number has no contracted tariff.
        if 0 <= inst < (<int64_t> 1 << _TARIFF_SHIFT):
            mo.own = tariffs_index._find((code << _TARIFF_SHIFT) | inst, &mo.olo, &mo.ohi)
        mo.general = tariffs_index._find(code << _TARIFF_SHIFT, &mo.glo, &mo.ghi)


#: The columns of the records 30 and 50 that content_prestations reads.
PRESTATION_COLUMNS = ("code", "first_date", "last_date", "units", "amount", "personal_share")


cdef enum:
    _BLOCK = 128    # prestations read at a time by content_prestations
    # What it reads of a prestation: its columns (in the order of PRESTATION_COLUMNS)
    # and its invoice.
    _V_CODE = 0
    _V_FIRST = 1
    _V_LAST = 2
    _V_UNITS = 3
    _V_AMOUNT = 4
    _V_SHARE = 5
    _V_INV = 6
    _V_N = 7


cdef void _read_block(int64_t[_V_N][_BLOCK] v, Py_ssize_t m, const int64_t* units,
                      const int64_t* rows, Py_ssize_t at, const _Col* cs,
                      const _Col* unit_inv) noexcept nogil:
    """The values of ``m`` prestations (``m <= _BLOCK``) as int64, each column read
    with its width switched on once for the block: their ``rows`` in the columns
    ``cs`` of their type (``rows`` NULL: the rows from ``at`` on, in order), and their
    invoice by their ``units``."""
    cdef int c
    for c in range(6):
        if rows == NULL:
            _copy(&cs[c], at, m, v[c])
        else:
            _gather(&cs[c], rows + at, m, v[c])
    _gather(unit_inv, units, m, v[_V_INV])


@cython.boundscheck(False)
@cython.wraparound(False)
def content_prestations(units, invoice, Py_ssize_t n30, tuple rows, tuple columns,
                        dict inv, KeyIndex codes_index, dict codes, KeyIndex tariffs_index,
                        dict tariffs, dict admissions, int64_t none, int64_t day_category,
                        int64_t share_category):
    """The content checks of each prestation against the reference data in one pass
    without the GIL, and the checks between prestations (each with a hash): the bits
    of :data:`JOIN_CHECKS` that fail (uint16).

    ``units``: the prestations' units, the records 30 first (``n30`` of them), then the
    records 50; ``invoice``: the invoice of every unit; ``rows``: for the records 30
    and for the records 50, the row of each prestation in its type's columns (None:
    every row, in order);
    ``columns``: for each type, its columns :data:`PRESTATION_COLUMNS` (read in
    place); ``inv``: per invoice ``institution``, ``insz`` and what
    :func:`content_invoices` returned; the tables' columns by name (int64 arrays).

    Also returns the keys of the duplicate check (``key1``: person and code, ``key2``:
    first and last day), and the dependency edges of the day groups (``edge_from``,
    ``edge_to``: indices of prestations): the records 30 and 50 of an invoice's day
    that has a revalidation-day or personal-share record 30 (a trigger), from every
    trigger to every other record of its day (the days in the order they are met,
    each day's records in order; a group is its day key ``invoice << 16 | day``).
    """
    cdef list keep = []
    cdef const int64_t[::1] p = np.ascontiguousarray(units, dtype=np.int64)
    cdef Py_ssize_t n = p.shape[0], n_units = len(invoice), i, t, c
    cdef _Col unit_inv = _column(invoice, keep, n_units, "invoice")
    cdef _Col cols[2][6]
    if len(columns) != 2 or any(len(cs) != len(PRESTATION_COLUMNS) for cs in columns):
        raise ValueError("columns: the six of the records 30, then of the records 50")
    for t in range(2):
        for c in range(6):
            cols[t][c] = _column(columns[t][c], keep, len(columns[t][0]),
                                 PRESTATION_COLUMNS[c])
    # Rows None: every row of the type's columns, in order (a chunk in which every
    # prestation is checked), read without an index.
    if len(rows) != 2:
        raise ValueError("rows differ from the prestations")
    cdef bint every[2]
    every[0], every[1] = rows[0] is None, rows[1] is None
    cdef const int64_t[::1] r30 = np.ascontiguousarray(
        [] if every[0] else rows[0], dtype=np.int64)
    cdef const int64_t[::1] r50 = np.ascontiguousarray(
        [] if every[1] else rows[1], dtype=np.int64)
    if (not 0 <= n30 <= n
            or (cols[0][0].n if every[0] else r30.shape[0]) != n30
            or (cols[1][0].n if every[1] else r50.shape[0]) != n - n30):
        raise ValueError("rows differ from the prestations")
    if n >= 2 ** 31 - 1:
        raise ValueError("too many prestations")
    cdef Py_ssize_t n_inv = len(inv["insz"])
    if n_inv >= 2 ** 31 - 1:
        raise ValueError("too many invoices")
    # The invoices' values, as int64 (read at each prestation's invoice).
    cdef const int64_t[::1] inst = _int64(inv["institution"], n_inv, "institution")
    cdef const int64_t[::1] insz = _int64(inv["insz"], n_inv, "insz")
    cdef const int64_t[::1] known = _int64(inv["known"], n_inv, "known")
    cdef const int64_t[::1] good = _int64(inv["good"], n_inv, "good")
    cdef const int64_t[::1] arow = np.ascontiguousarray(inv["arow"], dtype=np.int64)
    cdef const int64_t[::1] plo = np.ascontiguousarray(inv["period_lo"], dtype=np.int64)
    cdef const int64_t[::1] phi = np.ascontiguousarray(inv["period_hi"], dtype=np.int64)
    cdef const int64_t[::1] dead = np.ascontiguousarray(inv["deceased"], dtype=np.int64)
    cdef const int64_t[::1] pf = np.ascontiguousarray(inv["period_from"], dtype=np.int64)
    cdef const int64_t[::1] pr = np.ascontiguousarray(inv["period_reach"], dtype=np.int64)
    cdef const int64_t[::1] c_from = codes["from"], c_reach = codes["reach"]
    cdef const int64_t[::1] c_cat = codes["category"], c_rel = codes["related"]
    cdef const int64_t[::1] t_from = tariffs["from"], t_to = tariffs["to"]
    cdef const int64_t[::1] t_amount = tariffs["amount"], t_share = tariffs["share"]
    cdef const int64_t[::1] a_from = admissions["from"], a_to = admissions["to"]
    cdef Py_ssize_t n_c = codes_index.rows, n_t = tariffs_index.rows, n_a = a_from.shape[0]
    if (c_from.shape[0] != n_c or c_reach.shape[0] != n_c or c_cat.shape[0] != n_c
            or c_rel.shape[0] != n_c or t_from.shape[0] != n_t or t_to.shape[0] != n_t
            or t_amount.shape[0] != n_t or t_share.shape[0] != n_t or a_to.shape[0] != n_a):
        raise ValueError("reference columns differ from their index in length")
    if (arow.shape[0] != n_inv or plo.shape[0] != n_inv or phi.shape[0] != n_inv
            or dead.shape[0] != n_inv or pf.shape[0] != pr.shape[0]):
        raise ValueError("invoice columns differ in length")
    for i in range(n):
        if p[i] < 0 or p[i] >= n_units:
            raise ValueError("a prestation outside the units")
        t = _get(&unit_inv, p[i])
        if t < 0 or t >= n_inv:
            raise ValueError("a prestation outside the invoices")
    for i in range(r30.shape[0]):
        if r30[i] < 0 or r30[i] >= cols[0][0].n:
            raise ValueError("a row outside the columns")
    for i in range(r50.shape[0]):
        if r50[i] < 0 or r50[i] >= cols[1][0].n:
            raise ValueError("a row outside the columns")
    for i in range(n_inv):
        if known[i] and (plo[i] < 0 or plo[i] > phi[i] or phi[i] > pf.shape[0]):
            raise ValueError("invoice periods outside their table")
        if good[i] and (arow[i] < 0 or arow[i] >= n_a):
            raise ValueError("invoice rows outside the tables")
    bits = np.zeros(n, dtype=np.uint16)
    key1 = np.empty(n, dtype=np.int64)
    key2 = np.empty(n, dtype=np.int64)
    cdef uint16_t[::1] bits_v = bits
    cdef int64_t[::1] k1_v = key1, k2_v = key2
    cdef int32_t* inv_of = <int32_t*> _scratch((n + 1) * sizeof(int32_t))
    cdef int64_t* d1_of = <int64_t*> _scratch((n + 1) * sizeof(int64_t))
    cdef int16_t* cat_of = <int16_t*> _scratch((n + 1) * sizeof(int16_t))
    # The codes and related codes of the prestations, kept only when a code of the
    # reference data has a related code (the check of related prestations needs them).
    cdef bint relating = bool((np.asarray(codes["related"]) > 0).any())
    cdef int64_t* code_of = <int64_t*> _scratch((n + 1) * sizeof(int64_t)) if relating else NULL
    cdef int64_t* rel_of = <int64_t*> _scratch((n + 1) * sizeof(int64_t)) if relating else NULL
    cdef int64_t k, code, d1, d2
    cdef int64_t crow, trow, a_end, dd, units_
    cdef _Memo memo[64]
    cdef _Memo* mo = &memo[0]
    memset(memo, 0, sizeof(memo))
    cdef int64_t v[_V_N][_BLOCK]
    cdef const int64_t* pf_ = _ptr(pf)
    cdef const int64_t* pr_ = _ptr(pr)
    cdef const int64_t* rows_of
    cdef Py_ssize_t first, end, start, m, j
    cdef bint cov, v1, v2, tfound
    cdef bint any_related = False, any_trigger = False
    cdef uint16_t b
    cdef int status = 0
    if (inv_of == NULL or d1_of == NULL or cat_of == NULL
            or (relating and (code_of == NULL or rel_of == NULL))):
        status = -1
    with nogil:
        if status == 0:
            # The prestations of each type, a block at a time.
            for t in range(2):
                first = 0 if t == 0 else n30
                end = n30 if t == 0 else n
                rows_of = NULL if every[t] else (_ptr(r30) if t == 0 else _ptr(r50))
                start = first
                while start < end:
                    m = min(<Py_ssize_t> _BLOCK, end - start)
                    _read_block(v, m, &p[start], rows_of, start - first, &cols[t][0],
                                &unit_inv)
                    for j in range(m):
                        i = start + j
                        k = v[_V_INV][j]
                        code = v[_V_CODE][j]
                        d1 = _day(v[_V_FIRST][j])
                        if v[_V_LAST][j] <= 0 or v[_V_LAST][j] == v[_V_FIRST][j]:
                            d2 = d1
                        else:
                            d2 = _day(v[_V_LAST][j])
                        inv_of[i] = <int32_t> k
                        d1_of[i] = d1
                        cat_of[i] = 255
                        if relating:
                            code_of[i] = code
                            rel_of[i] = -1
                        b = 0
                        k1_v[i] = (insz[k] << 24) | code
                        k2_v[i] = (d1 << 16) | d2
                        # The beneficiary: insured on the first and last day, alive.
                        if known[k]:
                            _period(plo[k], phi[k], pf_, pr_, d1, &cov)
                            if not cov:
                                b |= 1
                            if d2 != d1:
                                _period(plo[k], phi[k], pf_, pr_, d2, &cov)
                            if not cov:
                                b |= 2
                            dd = dead[k]
                            if dd != none and d2 >= dd:  # a day of it on or after the death
                                b |= 4
                        # The code's rows and its tariffs' (the institution's, the general ones),
                        # from a small cache by code and institution (a sending bills few
                        # codes at few institutions; asked every time, as the code mostly
                        # differs from the last one's).
                        mo = &memo[((<uint64_t> code * 0x9E3779B97F4A7C15ULL)
                                    ^ (<uint64_t> inst[k] * 0xC2B2AE3D27D4EB4FULL)) >> 58]
                        if not (mo.used and mo.code == code and mo.inst == inst[k]):
                            _look_up(mo, code, inst[k], codes_index, tariffs_index)
                        # The code: known, valid on both days; its category and related code.
                        v1 = v2 = False
                        crow = 0
                        if mo.kn:
                            crow = _period(mo.clo, mo.chi, &c_from[0], &c_reach[0], d1, &v1)
                            v2 = v1
                            if d2 != d1:
                                _period(mo.clo, mo.chi, &c_from[0], &c_reach[0], d2, &v2)
                        if not (mo.kn and v1 and v2):
                            b |= 8       # unknown, or not valid on both days
                        if mo.kn and v1:
                            cat_of[i] = <int16_t> c_cat[crow] if 0 <= c_cat[crow] < 255 else 255
                            if relating and c_rel[crow] > 0:
                                rel_of[i] = c_rel[crow]
                                any_related = True
                            if i < n30 and (cat_of[i] == day_category
                                            or cat_of[i] == share_category):
                                any_trigger = True
                            # The tariff: the one contracted with the institution, else the
                            # general one.
                            tfound = False
                            trow = 0
                            if n_t:
                                if mo.own:
                                    trow = _period(mo.olo, mo.ohi, &t_from[0], &t_to[0], d1,
                                                   &tfound)
                                if not tfound and mo.general:
                                    trow = _period(mo.glo, mo.ghi, &t_from[0], &t_to[0], d1,
                                                   &tfound)
                            if not tfound:
                                b |= 16
                            else:
                                units_ = v[_V_UNITS][j]
                                if units_ * t_amount[trow] != v[_V_AMOUNT][j]:
                                    b |= 32
                                if units_ * t_share[trow] != v[_V_SHARE][j]:
                                    b |= 64
                        # The admission's period.
                        if good[k]:
                            a_end = (1 << 20) if a_to[arow[k]] == none else a_to[arow[k]]
                            if d1 < a_from[arow[k]] or d2 > a_end:  # all of its days in it
                                b |= 128
                        bits_v[i] = b
                    start += m
            if any_related:
                status = _related(n, inv_of, d1_of, code_of, rel_of, &bits_v[0])
    edge_from = edge_to = np.zeros(0, dtype=np.int64)
    try:
        if status:
            raise MemoryError()
        if any_trigger:
            edge_from, edge_to = _day_groups(n, n30, n_inv, inv_of, d1_of, cat_of,
                                             day_category, share_category, bits_v)
    finally:
        _unscratch(inv_of)
        _unscratch(d1_of)
        _unscratch(code_of)
        _unscratch(cat_of)
        _unscratch(rel_of)
    return dict(bits=bits, key1=key1, key2=key2, edge_from=edge_from, edge_to=edge_to)


cdef int _related(Py_ssize_t n, const int32_t* inv, const int64_t* d1,
                  const int64_t* code, const int64_t* rel, uint16_t* bits) noexcept nogil:
    """Bit 256 on a prestation whose related code no prestation of its invoice and day
    has; -1 when out of memory."""
    cdef _Set have
    cdef Py_ssize_t i
    if _set_init(&have, n) < 0:
        return -1
    for i in range(n):
        if i + _AHEAD < n:
            _set_ahead(&have, (<int64_t> inv[i + _AHEAD] << 40) | (d1[i + _AHEAD] << 24)
                       | code[i + _AHEAD])
        _set_slot(&have, (<int64_t> inv[i] << 40) | (d1[i] << 24) | code[i])[0] = i
    for i in range(n):
        if rel[i] > 0 and _set_slot(&have, (<int64_t> inv[i] << 40) | (d1[i] << 24)
                                    | rel[i])[0] < 0:
            bits[i] |= 256
    _set_free(&have)
    return 0


cdef inline uint64_t _near(int64_t key, int shift, uint64_t mask) noexcept nogil:
    """The home slot of a day key: keys that differ in their last 5 bits only (the
    days of a month of one invoice) go to nearby slots, which a cache holds together
    (at most 32 keys share a run, so no key waits behind many)."""
    return (_hash(key >> 5, shift) + <uint64_t> (key & 31)) & mask


@cython.boundscheck(False)
@cython.wraparound(False)
cdef _day_groups(Py_ssize_t n, Py_ssize_t n30, Py_ssize_t n_inv, const int32_t* inv,
                 const int64_t* d1, const int16_t* cat, int64_t day_cat, int64_t share_cat,
                 uint16_t[::1] bits):
    """The VSB pair rule (bit 512 on a personal-share record 30 without a revalidation
    day record 30 on its invoice's day) and the edges of the day groups (see
    :func:`content_prestations`): ``(edge_from, edge_to)``. ``n`` is below 2**31."""
    cdef Py_ssize_t cap = 16
    cdef int bits_ = 4
    while cap < n + n // 2:    # at most 2/3 full
        cap *= 2
        bits_ += 1
    cdef uint64_t mask = cap - 1
    cdef int shift = 64 - bits_
    cdef uint8_t* with_days = <uint8_t*> _scratch0(n_inv + 1)
    # The hash of the day keys: each slot the number of a group (-1: free), the groups
    # numbered as they are met, each with its key, records, triggers, whether it has a
    # revalidation day, where its records start among the members listed by group.
    cdef int32_t* slots = <int32_t*> _table_alloc(cap * sizeof(int32_t))
    cdef int32_t* group = <int32_t*> _scratch((n + 1) * sizeof(int32_t))
    cdef int64_t* g_key = <int64_t*> _scratch((n + 1) * sizeof(int64_t))
    cdef int32_t* g_size = <int32_t*> _scratch0((n + 1) * sizeof(int32_t))
    cdef int32_t* g_trig = <int32_t*> _scratch0((n + 1) * sizeof(int32_t))
    cdef uint8_t* g_day = <uint8_t*> _scratch0(n + 1)
    cdef int32_t* g_start = <int32_t*> _scratch((n + 1) * sizeof(int32_t))
    cdef int32_t* members = <int32_t*> _scratch((n + 1) * sizeof(int32_t))
    cdef Py_ssize_t i, j, at
    cdef int32_t groups_n = 0, g
    cdef int64_t total = 0, e = 0, key
    cdef uint64_t h
    cdef int64_t[::1] ef, et
    try:
        if (with_days == NULL or slots == NULL or group == NULL or g_key == NULL
                or g_size == NULL or g_trig == NULL or g_day == NULL or g_start == NULL
                or members == NULL):
            raise MemoryError()
        with nogil:
            memset(slots, 0xFF, cap * sizeof(int32_t))
            for i in range(n30):
                if cat[i] == day_cat or cat[i] == share_cat:
                    with_days[inv[i]] = 1
            # The groups of the invoices with a trigger, by day key (invoice, first day).
            for i in range(n):
                group[i] = -1
                if i + _AHEAD < n and with_days[inv[i + _AHEAD]]:
                    _prefetch(&slots[_near((<int64_t> inv[i + _AHEAD] << 16) | d1[i + _AHEAD],
                                           shift, mask)])
                if not with_days[inv[i]]:
                    continue
                key = (<int64_t> inv[i] << 16) | d1[i]
                h = _near(key, shift, mask)
                while slots[h] >= 0 and g_key[slots[h]] != key:
                    h = (h + 1) & mask
                if slots[h] < 0:
                    slots[h] = groups_n
                    g_key[groups_n] = key
                    groups_n += 1
                g = slots[h]
                group[i] = g
                g_size[g] += 1
                if i < n30 and (cat[i] == day_cat or cat[i] == share_cat):
                    g_trig[g] += 1
                    if cat[i] == day_cat:
                        g_day[g] = 1
            for i in range(n30):
                if cat[i] == share_cat and not g_day[group[i]]:
                    bits[i] |= 512
            # The members of the groups with a trigger, listed by group, each group's in
            # order (g_size counts them again as they are put).
            at = 0
            for g in range(groups_n):
                if g_trig[g]:
                    total += <int64_t> g_trig[g] * (g_size[g] - 1)
                    g_start[g] = at
                    at += g_size[g]
                    g_size[g] = 0
            for i in range(n):
                if group[i] >= 0 and g_trig[group[i]]:
                    g = group[i]
                    members[g_start[g] + g_size[g]] = i
                    g_size[g] += 1
        edge_from = np.empty(total, dtype=np.int64)
        edge_to = np.empty(total, dtype=np.int64)
        ef = edge_from
        et = edge_to
        with nogil:
            for g in range(groups_n):
                if not g_trig[g]:
                    continue
                for i in range(g_start[g], g_start[g] + g_size[g]):
                    if members[i] < n30 and (cat[members[i]] == day_cat
                                             or cat[members[i]] == share_cat):
                        for j in range(g_start[g], g_start[g] + g_size[g]):
                            if j != i:
                                ef[e] = members[i]
                                et[e] = members[j]
                                e += 1
    finally:
        _unscratch(with_days)
        _table_free(slots, cap * sizeof(int32_t))
        _unscratch(group)
        _unscratch(g_key)
        _unscratch(g_size)
        _unscratch(g_trig)
        _unscratch(g_day)
        _unscratch(g_start)
        _unscratch(members)
    return edge_from, edge_to


cdef inline uint64_t _pair_hash(int64_t a, int64_t b) noexcept nogil:
    return (<uint64_t> a) * 11400714819323198485ULL ^ (<uint64_t> b) * 14029467366897019727ULL


@cython.boundscheck(False)
@cython.wraparound(False)
def days(values):
    """eFact dates (YYYYMMDD) as days since 1900-01-01 (int64; -1 where the value is
    not above 0), by the March-based day count (no check that the date exists)."""
    cdef const int64_t[::1] v = np.ascontiguousarray(values, dtype=np.int64).reshape(-1)
    cdef Py_ssize_t n = v.shape[0], i
    out = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] o = out
    with nogil:
        for i in range(n):
            o[i] = _day(v[i])
    return out


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


# ---------------------------------------------------------------------------------------
# The duplicate check in one pass.


ctypedef fused _pair_slot:
    uint32_t
    uint64_t


@cython.boundscheck(False)
@cython.wraparound(False)
cdef Py_ssize_t _repeats(_pair_slot* first, int bits, const int64_t* a, const int64_t* b,
                         const int64_t* o, Py_ssize_t n, int64_t* out) noexcept nogil:
    """The pass of :func:`repeated` over a table of ``2**bits`` slots (all bits set:
    free), each a row and, above it, bits of its pair's hash that tell most pairs that
    meet in the table apart without reading their keys: in 8 bytes 40 bits of row and
    23 of hash (bit 63 clear), in 4 bytes (fewer than ``2**24 - 1`` rows: half the
    memory) 24 and 8. The repeats found go to ``out``; returns how many."""
    cdef int row_bits = 24 if _pair_slot is uint32_t else 40
    cdef int tag_bits = 8 if _pair_slot is uint32_t else 23
    cdef _pair_slot free_ = <_pair_slot> -1
    cdef uint64_t row_mask = (<uint64_t> 1 << row_bits) - 1, mask = (<uint64_t> 1 << bits) - 1
    cdef uint64_t h, tag
    cdef _pair_slot slot
    cdef Py_ssize_t i, row, hits = 0
    for i in range(n):
        if i + _AHEAD < n:
            _prefetch(&first[_pair_hash(a[i + _AHEAD], b[i + _AHEAD]) >> (64 - bits)])
        h = _pair_hash(a[i], b[i])
        tag = ((h * 0x9E3779B97F4A7C15ULL) >> (64 - tag_bits)) << row_bits
        h >>= 64 - bits
        while True:
            slot = first[h]
            if slot == free_:
                first[h] = <_pair_slot> (tag | <uint64_t> i)
                break
            row = <Py_ssize_t> (slot & row_mask)
            if (slot & ~row_mask) == tag and a[row] == a[i] and b[row] == b[i]:
                if o[i] < o[row]:       # i is earlier: row is a repeat
                    first[h] = <_pair_slot> (tag | <uint64_t> i)
                    out[hits] = row
                else:
                    out[hits] = i
                hits += 1
                break
            h = (h + 1) & mask
    return hits


@cython.boundscheck(False)
@cython.wraparound(False)
def repeated(key1, key2, order, *, bint wide=False):
    """The rows whose pair of keys ``(key1, key2)`` an earlier row has (earlier: a lower
    ``order``, then a lower row), ascending: the duplicate check of a sending without
    sorting its prestations, in one pass over the rows:
    each pair's slot holds the earliest of its rows met so far, and a row met after it,
    or the row it takes the slot from, is a repeat. The repeats (few) are sorted at the
    end. The slots take 4 bytes below ``2**24 - 1`` rows, else 8 (``wide``: 8 bytes
    whatever the rows; the same result)."""
    cdef const int64_t[::1] a = np.ascontiguousarray(key1, dtype=np.int64)
    cdef const int64_t[::1] b = np.ascontiguousarray(key2, dtype=np.int64)
    cdef const int64_t[::1] o = np.ascontiguousarray(order, dtype=np.int64)
    cdef Py_ssize_t n = a.shape[0], cap = 16, hits = 0
    cdef int bits = 4
    cdef bint small = n < (1 << 24) - 1 and not wide
    cdef size_t size = sizeof(uint32_t) if small else sizeof(uint64_t)
    cdef void* first
    if b.shape[0] != n or o.shape[0] != n:
        raise ValueError("key1, key2 and order differ in length")
    if n >= (1 << 40):
        raise ValueError("too many rows")
    while cap < 2 * n:    # at most half full (at 2/3, 650k rows took 1.5x as long)
        cap *= 2
        bits += 1
    first = _scratch(cap * size)
    if first == NULL:
        raise MemoryError()
    out = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] out_v = out
    if n:
        with nogil:
            memset(first, 0xFF, cap * size)
            if small:
                hits = _repeats(<uint32_t*> first, bits, &a[0], &b[0], &o[0], n, &out_v[0])
            else:
                hits = _repeats(<uint64_t*> first, bits, &a[0], &b[0], &o[0], n, &out_v[0])
    _unscratch(first)
    return np.sort(out[:hits])


# ---------------------------------------------------------------------------------------
# Hash tables bigger than a cache, on large pages where the system gives them.

cdef extern from *:
    """
    #include <stdlib.h>
    #include <sys/mman.h>
    #if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
    #define MAP_ANONYMOUS MAP_ANON
    #endif
    /* A table of n bytes, every byte of which is written: from 4 MB on, mapped and (where
       the system has them) on transparent huge pages, so that a lookup at random in it
       does not miss the TLB as well as the cache; smaller ones from malloc. */
    #define VSB_TABLE_LARGE ((size_t) 4 << 20)
    static void *vsb_table_alloc(size_t n) {
        void *p;
        if (n < VSB_TABLE_LARGE) return malloc(n ? n : 1);
        p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return NULL;
    #ifdef MADV_HUGEPAGE
        madvise(p, n, MADV_HUGEPAGE);
    #endif
        return p;
    }
    static void vsb_table_free(void *p, size_t n) {
        if (p == NULL) return;
        if (n < VSB_TABLE_LARGE) free(p);
        else munmap(p, n);
    }
    """
    void* _table_alloc "vsb_table_alloc"(size_t n) noexcept nogil
    void _table_free "vsb_table_free"(void* p, size_t n) noexcept nogil


# ---------------------------------------------------------------------------------------
# Maps of files that shrink while they are read.

cdef extern from *:
    """
    #include <signal.h>
    #include <string.h>
    #include <stdint.h>
    #include <sys/mman.h>
    #include <unistd.h>
    #if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
    #define MAP_ANONYMOUS MAP_ANON
    #endif
    /* A map of a file that another process truncates while it is read: a touch of a page
       past the new end is a SIGBUS, which would kill the process (in the scan, in numpy,
       in a digest, in a writer). For the maps guarded here, the handler puts zero pages
       over the rest of the map, records it, and the access goes on; the reader of the map
       asks afterwards (vsb_map_hit) and refuses the result. Other SIGBUS go to the
       handler that was there before, or kill as they would have. */
    #define VSB_MAPS 256
    static struct { volatile uintptr_t start, end; volatile sig_atomic_t hit; } vsb_maps[VSB_MAPS];
    static struct sigaction vsb_old_bus;
    static int vsb_bus_installed = 0;
    static uintptr_t vsb_page_size = 4096;
    static void vsb_on_bus(int sig, siginfo_t *info, void *uc) {
        uintptr_t a = (uintptr_t) info->si_addr;
        int i;
        for (i = 0; i < VSB_MAPS; i++) {
            uintptr_t s = vsb_maps[i].start, e = vsb_maps[i].end;
            if (s && s <= a && a < e) {
                uintptr_t p = a & ~(vsb_page_size - 1);
                if (mmap((void *) p, e - p, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                         -1, 0) != MAP_FAILED) {
                    vsb_maps[i].hit = 1;
                    return;
                }
                break;
            }
        }
        if (vsb_old_bus.sa_flags & SA_SIGINFO) {
            if (vsb_old_bus.sa_sigaction) { vsb_old_bus.sa_sigaction(sig, info, uc); return; }
        } else if (vsb_old_bus.sa_handler != SIG_DFL && vsb_old_bus.sa_handler != SIG_IGN) {
            vsb_old_bus.sa_handler(sig);
            return;
        }
        signal(SIGBUS, SIG_DFL);
        raise(SIGBUS);
    }
    static int vsb_guard_map(uintptr_t start, uintptr_t end) {
        int i;
        if (!vsb_bus_installed) {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_sigaction = vsb_on_bus;
            sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
            sigemptyset(&sa.sa_mask);
            vsb_page_size = (uintptr_t) sysconf(_SC_PAGESIZE);
            if (sigaction(SIGBUS, &sa, &vsb_old_bus) != 0) return -1;
            vsb_bus_installed = 1;
        }
        for (i = 0; i < VSB_MAPS; i++) {
            if (!vsb_maps[i].start) {
                vsb_maps[i].hit = 0;
                vsb_maps[i].end = end;
                vsb_maps[i].start = start;
                return i;
            }
        }
        return -1;
    }
    static int vsb_map_hit(int i) { return i >= 0 && i < VSB_MAPS && vsb_maps[i].hit; }
    static void vsb_unguard_map(int i) {
        if (i >= 0 && i < VSB_MAPS) { vsb_maps[i].start = 0; vsb_maps[i].end = 0; }
    }
    """
    int vsb_guard_map(uintptr_t start, uintptr_t end) noexcept nogil
    int vsb_map_hit(int i) noexcept nogil
    void vsb_unguard_map(int i) noexcept nogil


def guard_map(const unsigned char[::1] view) -> int:
    """Guard a read-only map of a file (``view`` covers it) against the file shrinking
    while it is read: a touch past its new end reads zeros instead of killing the process
    (SIGBUS), and :func:`map_shrank` says so afterwards. Returns the guard's number (-1:
    not guarded, no map or no slot left); :func:`unguard_map` before the map goes."""
    if view.shape[0] == 0:
        return -1
    return vsb_guard_map(<uintptr_t> &view[0], <uintptr_t> &view[0] + <uintptr_t> view.shape[0])


def map_shrank(int guard) -> bool:
    """Whether a page of the guarded map was touched past the end of its file."""
    return bool(vsb_map_hit(guard))


def unguard_map(int guard) -> None:
    vsb_unguard_map(guard)
