"""The zorgkas's reference data: members, admissions, codes, tariffs, facilities.

Loaded once into a :class:`References` object (``vsbengine.Engine(refs)``) from a
folder of CSV files or a SQLite database with the same tables and columns, and
kept as sorted numpy arrays for vectorised lookups. Dates are stored as days
since 1900-01-01 (uint16; 65535 = open-ended or none), so a member costs 16
bytes. Bad data is refused at load time with the file, line and column, never
with a value (national numbers are personal data).

Contract (``;`` or ``,`` separated, UTF-8, a header line; dates ``YYYY-MM-DD``,
empty = open-ended; amounts in euro cents):

- ``members.csv``: insz, mutuality, insured_from, insured_to, deceased_on
- ``admissions.csv``: institution, admission_number, insz, kind (residential,
  revalidation, guidance), admitted_on, discharged_on, approval_date
- ``codes.csv``: code, category (revalidation_day, personal_share, forfait,
  prestation), related_code, valid_from, valid_to
- ``tariffs.csv``: code, valid_from, valid_to, unit_amount, unit_personal_share,
  institution (empty = general tariff; a contracted price wins)
- ``facilities.csv``: institution, name, iban, bic (account A: what the payment
  order pays), and optionally iban_b, bic_b (account B, for the fees of hospital
  doctors); see :class:`Facility`
- ``zorgkas.toml`` (optional; needed for the payment order DF017): ``name``,
  ``iban``, ``bic`` of the zorgkas, and ``payment_days`` (default 42); table
  ``[answers]``: ``echo`` = ``"errors"`` (default: DF013/DF014/DF015 echo records 10
  and 90 and the invoices with errors, as most insurers do) or ``"all"`` (every
  record); table ``[codes]``: ``official_list`` = the insurers' official error list
  (``.xls``, ``.xlsx`` or ``.csv``; relative to the folder of ``zorgkas.toml``), for
  the official texts of the codes in ``vsbengine read`` and ``explain``;
  table ``[review]``: ``show_insz``, ``show_names`` (default false: the review page
  masks national numbers and hides the text zones of the invoices)
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
from dataclasses import dataclass
from typing import NamedTuple

import msgspec
import numpy as np

from vsbengine import _core
from vsbengine.digits import ascii_digits
from vsbengine.errors import ReferenceDataError

NONE = 65535  # an open-ended or absent date
CATEGORIES = ("revalidation_day", "personal_share", "forfait", "prestation")
KINDS = ("residential", "revalidation", "guidance")
_ERRORS = {v: k for k, v in _core.CSV_ERRORS.items()}
_MEANING = {
    "FIELDS": "wrong number of fields",
    "NOT_DIGITS": "not a number",
    "TOO_LONG": "number too long",
    "NOT_DATE": "not a date YYYY-MM-DD (1900-2078)",
    "NOT_ALLOWED": "value not allowed",
    "QUOTE": "quote not closed",
}

# Column specifications: (name, kind, required[, digits]). Kinds: "int", "day",
# "enum:<table>"; ``digits``: at most that many, the width of the zone the number is
# compared with (an INSZ 11, a mutuality 3, an admission or institution number 12, a
# nomenclature code 7): a longer one could match nothing, or another key.
MEMBERS = (
    ("insz", "int", True, 11),
    ("mutuality", "int", True, 3),
    ("insured_from", "day", False),
    ("insured_to", "day", False),
    ("deceased_on", "day", False),
)
ADMISSIONS = (
    ("institution", "int", True, 12),
    ("admission_number", "int", True, 12),
    ("insz", "int", True, 11),
    ("kind", "enum:kind", True),
    ("admitted_on", "day", True),
    ("discharged_on", "day", False),
    ("approval_date", "day", False),
)
CODES = (
    ("code", "int", True, 7),
    ("category", "enum:category", True),
    ("related_code", "int", False, 7),
    ("valid_from", "day", False),
    ("valid_to", "day", False),
)
TARIFFS = (
    ("code", "int", True, 7),
    ("valid_from", "day", False),
    ("valid_to", "day", False),
    ("unit_amount", "int", True),
    ("unit_personal_share", "int", True),
    ("institution", "int", False, 11),  # a NIHII number (the key of a tariff needs it)
)
FACILITIES = ("institution", "name", "iban", "bic")
#: Optional columns of facilities.csv: account B.
FACILITIES_B = ("iban_b", "bic_b")
TABLES = {"members": MEMBERS, "admissions": ADMISSIONS, "codes": CODES, "tariffs": TARIFFS}
_ENUMS = {"kind": KINDS, "category": CATEGORIES}


def days(yyyymmdd) -> np.ndarray:
    """eFact dates (YYYYMMDD integers) as days since 1900-01-01 (int32; 0 stays -1)."""
    v = np.asarray(yyyymmdd, dtype=np.int64)
    return _core.days(v).astype(np.int32).reshape(v.shape)


@dataclass
class Table:
    """A table as columns (numpy arrays), with where it came from."""

    name: str
    source: str
    columns: dict[str, np.ndarray]
    lines: np.ndarray  # the line of each row in its source (for messages)

    def __len__(self) -> int:
        return len(self.lines)

    def sorted_by(self, *keys: str) -> Table:
        order = np.lexsort(tuple(self.columns[k] for k in reversed(keys)))
        return Table(
            self.name,
            self.source,
            {k: v[order] for k, v in self.columns.items()},
            self.lines[order],
        )


def running_max(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running maximum of ``values`` (below 100000) restarting at each new group (rows
    sorted by group)."""
    if len(values) == 0:
        return values.astype(np.int64)
    rank = np.cumsum(np.r_[True, groups[1:] != groups[:-1]])
    return np.maximum.accumulate(rank * 100_000 + values.astype(np.int64)) - rank * 100_000


@dataclass
class Members:
    """The member file, sorted by (insz, insured_from): 14 bytes a row.

    ``key`` is ``insz << 16 | insured_from`` (days); ``reach`` the latest end of the
    person's periods at this row's mutuality up to this row (a day covered by any of
    them is at most this: insured at that mutuality; :meth:`reach_any` the same over
    every mutuality); ``deceased`` the person's date of death on each of their rows
    (65535: none).
    """

    key: np.ndarray  # int64
    mutuality: np.ndarray  # uint16
    reach: np.ndarray  # uint16
    deceased: np.ndarray  # uint16

    def __len__(self) -> int:
        return len(self.key)

    @property
    def insz(self) -> np.ndarray:
        return self.key >> 16

    @property
    def insured_from(self) -> np.ndarray:
        return (self.key & 0xFFFF).astype(np.uint16)

    def reach_any(self) -> np.ndarray:
        """The latest end of the person's periods at any mutuality up to each row."""
        return running_max(self.insz, self.reach)

    @classmethod
    def build(cls, t: Table) -> Members:
        c = t.columns
        order = np.lexsort((c["insured_from"], c["insz"]))
        insz = c["insz"][order]
        key = (insz << 16) | c["insured_from"][order].astype(np.int64)
        starts = (
            np.flatnonzero(np.r_[True, insz[1:] != insz[:-1]])
            if len(insz)
            else np.zeros(0, np.int64)
        )
        sizes = np.diff(np.r_[starts, len(insz)])
        # The running end per person and mutuality, in the rows' (insz, from) order: the
        # rows grouped by person and mutuality (a stable sort keeps their order inside a
        # group; none is needed when no person goes back to an earlier mutuality's
        # number, the usual case).
        group = insz * 1000 + c["mutuality"][order].astype(np.int64)
        to = c["insured_to"][order]
        if len(group) < 2 or bool((group[1:] >= group[:-1]).all()):
            reach = running_max(group, to)
        else:
            by_mut = np.argsort(group, kind="stable")
            reach = np.empty(len(group), np.int64)
            reach[by_mut] = running_max(group[by_mut], to[by_mut])
        dead = (
            np.minimum.reduceat(c["deceased_on"][order], starts)
            if len(starts)
            else np.zeros(0, np.uint16)
        )
        return cls(
            key,
            c["mutuality"][order].astype(np.uint16),
            reach.astype(np.uint16),
            np.repeat(dead, sizes).astype(np.uint16),
        )


class Facility(NamedTuple):
    """A facility of ``facilities.csv``: its name and the accounts the zorgkas pays it on
    (IBAN and BIC compacted; ``""`` where none is registered)."""

    name: str
    iban: str
    bic: str
    iban_b: str = ""
    bic_b: str = ""

    def account(self, which: str) -> tuple[str, str]:
        """``(iban, bic)`` of account ``"A"`` or ``"B"``."""
        return (self.iban, self.bic) if which == "A" else (self.iban_b, self.bic_b)


@dataclass
class Zorgkas:
    name: str
    iban: str
    bic: str
    payment_days: int = 42
    #: Which records the answers DF013/DF014/DF015 echo: "errors" or "all".
    echo: str = "errors"
    #: The insurers' official error list (a path), for the codes' official texts.
    official_list: str | None = None
    #: The review page shows national numbers / the text zones of the invoices in
    #: clear (``[review] show_insz``, ``show_names``; default masked).
    show_insz: bool = False
    show_names: bool = False


@dataclass
class References:
    """Reference data, loaded once and shared by every validation (read-only)."""

    members: Members
    admissions: Table
    codes: Table
    tariffs: Table
    facilities: dict[int, Facility]
    zorgkas: Zorgkas | None = None
    source: str = ""

    def facility(self, institution: int) -> Facility | None:
        return self.facilities.get(int(institution))


# -- reading ---------------------------------------------------------------------------------


def _where(path: str, line: int | None = None, column: str | None = None):
    return dict(path=path, line=line, zone=column)


def _header(text: str, path: str, wanted) -> tuple[str, list[str]]:
    first = text.split("\n", 1)[0].rstrip("\r")
    delim = ";" if first.count(";") > first.count(",") else ","
    names = [h.strip().strip('"').strip().lower() for h in first.split(delim)]
    for name in wanted:
        if name not in names:
            raise ReferenceDataError(f"missing column {name}", **_where(path, 1, name))
    return delim, names


def read_table(data: bytes, path: str, name: str, spec) -> Table:
    """A CSV table as typed columns (the compiled reader), refused at its first bad field."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    head_end = data.find(b"\n")
    header = data[: head_end if head_end >= 0 else len(data)].decode("utf-8", "replace")
    delim, names = _header(header, path, [c for c, *_ in spec])
    rows = data.count(b"\n") + 1
    kinds = np.zeros(len(names), dtype=np.uint8)
    outputs: list = [None] * len(names)
    words: list[str] = []
    enum_base: dict[str, int] = {}
    for col, kind, *_ in spec:
        i = names.index(col)
        if kind == "int":
            kinds[i], outputs[i] = _core.CsvKind.CSV_INT, np.zeros(rows, np.int64)
        elif kind == "day":
            kinds[i], outputs[i] = _core.CsvKind.CSV_DAY, np.zeros(rows, np.uint16)
        else:
            enum = kind.split(":", 1)[1]
            enum_base[col] = len(words)
            words += _ENUMS[enum]
            kinds[i], outputs[i] = _core.CsvKind.CSV_ENUM, np.zeros(rows, np.uint8)
    table = np.zeros((len(words), 16), dtype=np.uint8)
    for k, w in enumerate(words):
        table[k, : len(w)] = np.frombuffer(w.encode(), dtype=np.uint8)
    start = head_end + 1 if head_end >= 0 else len(data)
    n, status, line, column = _core.read_csv(data, start, ord(delim), kinds, outputs, table, rows)
    if status:
        col = names[column] if 0 <= column < len(names) else None
        raise ReferenceDataError(_MEANING[_ERRORS[status]], **_where(path, line, col))
    columns = {}
    for col, kind, req, *digits in spec:
        v = outputs[names.index(col)][:n]
        if kind.startswith("enum"):
            v = (v - enum_base[col]).astype(np.uint8)
        if req and kind in ("int", "day"):
            empty = np.flatnonzero(v < 0 if kind == "int" else v == NONE)
            if len(empty):
                raise ReferenceDataError(
                    "empty", **_where(path, _line_of(data, start, empty[0]), col)
                )
        if digits:
            wide = np.flatnonzero(v >= 10 ** digits[0])
            if len(wide):
                raise ReferenceDataError(
                    f"more than {digits[0]} digits",
                    **_where(path, _line_of(data, start, wide[0]), col),
                )
        columns[col] = v
    return Table(name, path, columns, _lines(data, start, n))


def _lines(data: bytes, start: int, n: int) -> np.ndarray:
    """The line number (1-based, header = 1) of each data row, skipping empty lines."""
    arr = np.frombuffer(data, dtype=np.uint8)[start:]
    ends = np.flatnonzero(arr == 10)
    starts = np.r_[0, ends + 1]
    starts = starts[starts < len(arr)]
    nonempty = starts[(arr[starts] != 10) & (arr[starts] != 13)]
    line_of = np.searchsorted(np.r_[ends, len(arr)], nonempty) + 2
    return line_of[:n].astype(np.int64)


def _line_of(data: bytes, start: int, row: int) -> int:
    return int(_lines(data, start, row + 1)[row])


def _text(data: bytes, path: str) -> str:
    """A table with text columns (names): UTF-8 (a byte-order mark is fine), or else
    Windows-1252, which is what a spreadsheet saves as "CSV" on a Belgian desktop;
    bytes that are neither are refused with their line and column."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        head = data[:line_start].decode("cp1252", "replace")
        delim, names = _header(head or data.decode("cp1252", "replace"), path, ())
        field = data[line_start : exc.start].count(delim.encode())
        raise ReferenceDataError(
            "neither UTF-8 nor Windows-1252 text",
            **_where(
                path,
                data.count(b"\n", 0, exc.start) + 1,
                names[field] if field < len(names) else None,
            ),
        ) from None


def _csv_rows(reader, path: str):
    """The rows of a :func:`csv.reader` (the header's too); a field past its limit
    (128 KiB) or a quote that never closes is a located error, not :class:`csv.Error`."""
    try:
        yield from reader
    except csv.Error:
        raise ReferenceDataError(
            f"a field longer than {csv.field_size_limit():,} characters, or a quote that "
            "never closes",
            **_where(path, reader.line_num),
        ) from None


def _facilities(text: str, path: str) -> dict[int, Facility]:
    from stdnum import bic as _bic
    from stdnum import iban as _iban

    from vsbengine import ibans

    delim, names = _header(text, path, FACILITIES)
    out: dict[int, Facility] = {}
    line_of: dict[int, int] = {}
    rows = _csv_rows(csv.reader(io.StringIO(text), delimiter=delim), path)
    next(rows, None)
    for lineno, row in enumerate(rows, 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            raise ReferenceDataError("wrong number of fields", **_where(path, lineno))
        rec = {n: c.strip() for n, c in zip(names, row)}
        if not ascii_digits(rec["institution"]):
            raise ReferenceDataError("not a number", **_where(path, lineno, "institution"))
        institution = int(rec["institution"])
        if institution >= 10**12:
            raise ReferenceDataError("more than 12 digits", **_where(path, lineno, "institution"))
        if institution in line_of:
            # Which of two accounts would be paid is no choice to make silently.
            raise ReferenceDataError(
                f"the institution of line {line_of[institution]} again",
                **_where(path, lineno, "institution"),
            )
        line_of[institution] = lineno
        accounts = []
        for iban_col, bic_col in (("iban", "bic"), FACILITIES_B):
            iban, bic = rec.get(iban_col, ""), rec.get(bic_col, "")
            if iban and not ibans.is_valid(iban):
                raise ReferenceDataError("not a valid IBAN", **_where(path, lineno, iban_col))
            if bic and not _bic.is_valid(bic):
                raise ReferenceDataError("not a valid BIC", **_where(path, lineno, bic_col))
            accounts += [_iban.compact(iban) if iban else "", _bic.compact(bic) if bic else ""]
        out[institution] = Facility(rec["name"], *accounts)
    return out


def _zorgkas(path: str) -> Zorgkas:
    if not os.path.exists(path):
        # Said now, not when a signed sending's payment order is written.
        raise ReferenceDataError(
            "missing: the zorgkas's name, iban and bic (the payer of the payment order DF017)",
            path=path,
        )
    from stdnum import bic as _bic
    from stdnum import iban as _iban

    from vsbengine import ibans

    try:
        with open(path, "rb") as fh:
            conf = msgspec.toml.decode(fh.read())
    except msgspec.DecodeError as exc:
        raise ReferenceDataError(f"not valid TOML: {exc}", path=path) from None
    z = conf.get("zorgkas", conf)
    for key in ("name", "iban", "bic"):
        if not isinstance(z.get(key), str) or not z[key].strip():
            raise ReferenceDataError(f"missing {key}", path=path, zone=key)
    if not ibans.is_valid(z["iban"]):
        raise ReferenceDataError("not a valid IBAN", path=path, zone="iban")
    if not _bic.is_valid(z["bic"]):
        raise ReferenceDataError("not a valid BIC", path=path, zone="bic")
    days_ = z.get("payment_days", 42)
    if isinstance(days_, bool) or not isinstance(days_, int) or not 0 < days_ < 366:
        raise ReferenceDataError(
            "payment_days must be a number of days", path=path, zone="payment_days"
        )
    answers = conf.get("answers", {})
    echo = answers.get("echo", "errors") if isinstance(answers, dict) else None
    if echo not in ("errors", "all"):
        raise ReferenceDataError(
            'answers.echo must be "errors" or "all"', path=path, zone="answers.echo"
        )
    codes = conf.get("codes", {})
    official = codes.get("official_list") if isinstance(codes, dict) else 0
    if official is not None and (not isinstance(official, str) or not official.strip()):
        raise ReferenceDataError(
            "codes.official_list must be the path of the official error list",
            path=path,
            zone="codes.official_list",
        )
    if official is not None:
        official = os.path.join(os.path.dirname(os.path.abspath(path)), official.strip())
    review = conf.get("review", {})
    if not isinstance(review, dict):
        raise ReferenceDataError("review must be a table", path=path, zone="review")
    shown = {}
    for key in ("show_insz", "show_names"):
        value = review.get(key, False)
        if not isinstance(value, bool):
            raise ReferenceDataError("must be true or false", path=path, zone=f"review.{key}")
        shown[key] = value
    return Zorgkas(
        z["name"].strip(),
        _iban.compact(z["iban"]),
        _bic.compact(z["bic"]),
        days_,
        echo,
        official,
        **shown,
    )


def _check(members: Table, admissions: Table, codes: Table, tariffs: Table) -> None:
    """Rules across rows: periods in order, one row per admission, no overlapping
    tariffs for one code (a member's periods may overlap: a day any of them covers is
    insured)."""
    for table, a, b in (
        (members, "insured_from", "insured_to"),
        (admissions, "admitted_on", "discharged_on"),
        (codes, "valid_from", "valid_to"),
        (tariffs, "valid_from", "valid_to"),
    ):
        frm, to = table.columns[a].astype(np.int64), table.columns[b].astype(np.int64)
        frm = np.where(frm == NONE, 0, frm)
        bad = np.flatnonzero(to < frm)
        if len(bad):
            raise ReferenceDataError(
                f"{b} before {a}", **_where(table.source, int(table.lines[bad[0]]), b)
            )
    adm = admissions.sorted_by("institution", "admission_number")
    c = adm.columns
    twice = np.flatnonzero(
        (c["institution"][1:] == c["institution"][:-1])
        & (c["admission_number"][1:] == c["admission_number"][:-1])
    )
    if len(twice):
        i = twice[0]
        first, second = sorted((int(adm.lines[i]), int(adm.lines[i + 1])))
        raise ReferenceDataError(
            f"the institution and admission number of line {first} again",
            **_where(adm.source, second, "admission_number"),
        )
    t = tariffs.sorted_by("code", "institution", "valid_from")
    c = t.columns
    frm = np.where(c["valid_from"] == NONE, 0, c["valid_from"]).astype(np.int64)
    same = (c["code"][1:] == c["code"][:-1]) & (c["institution"][1:] == c["institution"][:-1])
    overlap = np.flatnonzero(same & (frm[1:] <= c["valid_to"][:-1].astype(np.int64)))
    if len(overlap):
        i = overlap[0]
        raise ReferenceDataError(
            f"tariff period overlaps the one on line {int(t.lines[i])} for the same code",
            **_where(t.source, int(t.lines[i + 1]), "valid_from"),
        )


def _build(tables: dict[str, Table], facilities, zorgkas, source: str) -> References:
    members, admissions, codes, tariffs = (
        tables[k] for k in ("members", "admissions", "codes", "tariffs")
    )
    tariffs.columns["institution"] = np.where(
        tariffs.columns["institution"] < 0, 0, tariffs.columns["institution"]
    )
    codes.columns["related_code"] = np.where(
        codes.columns["related_code"] < 0, -1, codes.columns["related_code"]
    )
    for t, col in ((members, "insured_from"), (codes, "valid_from"), (tariffs, "valid_from")):
        t.columns[col] = np.where(t.columns[col] == NONE, 0, t.columns[col]).astype(np.uint16)
    _check(members, admissions, codes, tariffs)
    return References(
        members=Members.build(members),
        admissions=admissions.sorted_by("institution", "admission_number"),
        codes=codes.sorted_by("code", "valid_from"),
        tariffs=tariffs.sorted_by("code", "institution", "valid_from"),
        facilities=facilities,
        zorgkas=zorgkas,
        source=source,
    )


def zorgkas_settings(source) -> Zorgkas:
    """The zorgkas's settings alone (``zorgkas.toml`` of a reference-data folder, or beside
    a SQLite file), without loading the tables: what ``read`` and ``explain`` need."""
    if isinstance(source, References):
        if source.zorgkas is None:
            raise ReferenceDataError("no zorgkas.toml", path=source.source)
        return source.zorgkas
    path = os.fspath(source)
    folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    if not os.path.exists(path):
        raise ReferenceDataError("no such folder or database", path=path)
    return _zorgkas(os.path.join(folder, "zorgkas.toml"))


def load(source) -> References:
    """Load reference data from a folder of CSV files or a SQLite database (once)."""
    if isinstance(source, References):
        return source
    path = os.fspath(source)
    if os.path.isdir(path):
        tables = {}
        for name, spec in TABLES.items():
            file = os.path.join(path, f"{name}.csv")
            try:
                with open(file, "rb") as fh:
                    data = fh.read()
            except FileNotFoundError:
                raise ReferenceDataError("missing table", path=file) from None
            tables[name] = read_table(data, file, name, spec)
        file = os.path.join(path, "facilities.csv")
        try:
            with open(file, "rb") as fh:
                facilities = _facilities(_text(fh.read(), file), file)
        except FileNotFoundError:
            raise ReferenceDataError("missing table", path=file) from None
        return _build(tables, facilities, _zorgkas(os.path.join(path, "zorgkas.toml")), path)
    if os.path.isfile(path):
        return _load_sqlite(path)
    raise ReferenceDataError("no such folder or database", path=path)


def _facility_columns(con: sqlite3.Connection, where: str) -> list[str]:
    """The columns of the facilities table to read: the required ones, and account B's
    when the table has them."""
    try:
        have = {row[1].lower() for row in con.execute("PRAGMA table_info(facilities)")}
    except sqlite3.DatabaseError as exc:
        raise ReferenceDataError(f"cannot read the table: {exc}", path=where) from None
    return list(FACILITIES) + [c for c in FACILITIES_B if c in have]


def _load_sqlite(path: str) -> References:
    """The same tables from SQLite: each is turned into CSV text and read like a file,
    so that both sources are checked alike (errors name the table and row)."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        con.execute("select 1 from sqlite_master").fetchall()
    except sqlite3.DatabaseError:
        raise ReferenceDataError("not a SQLite database", path=path) from None
    try:
        tables = {}
        for name, spec in list(TABLES.items()) + [("facilities", None)]:
            where = f"{path}:{name}"
            cols = [c for c, *_ in spec] if spec else _facility_columns(con, where)
            try:
                cur = con.execute(f"select {', '.join(cols)} from {name}")
            except sqlite3.OperationalError as exc:
                raise ReferenceDataError(f"cannot read the table: {exc}", path=where) from None
            out = io.StringIO()
            w = csv.writer(out, lineterminator="\n")
            w.writerow(cols)
            for row in cur:
                w.writerow(["" if v is None else v for v in row])
            text = out.getvalue()
            if spec is None:
                facilities = _facilities(text, where)
            else:
                tables[name] = read_table(text.encode(), where, name, spec)
    finally:
        con.close()
    zorgkas = _zorgkas(os.path.join(os.path.dirname(os.path.abspath(path)), "zorgkas.toml"))
    return _build(tables, facilities, zorgkas, path)
