"""The catalogue of error codes: every code the engine can emit, with its letter and a
short meaning in English and Dutch, and every code of the insurers' official list.

Two data files (``;``-separated, UTF-8):

``data/codes.csv``, the engine's codes:

- ``rule`` rows are written by hand, one per check of the rules;
- ``zone`` rows are generated from the layout tables: the format, allowed-value,
  mandatory and reserved-zone findings of every zone. They are produced by
  :func:`zone_code` and friends, the same functions that map the core's findings at
  run time, and regenerated with ``python -m vsbengine.formats.efact.catalogue --write``.

``data/official.csv``, the codes of the insurers' official error list with their
letters (facts copied from the two public copies of the list, through
``../shared/spec/official-codes.csv``: ``--official FILE`` rewrites it). The
insurers' texts are not copied: a listed code the engine does not emit gets a
meaning built from the layouts (``Record 50, zone 19 (Insurance amount): error 20``),
and the official texts themselves come from the operator's own copy of the list
(:mod:`.official`).

Codes of records 10 to 90 follow the eFact scheme ``RRZZEE`` (record type, zone,
error). A code the engine emits is either a listed code whose official check it is,
with the official letter, or a code absent from the list (the engine's own check,
``rule`` rows say so in their meaning). Errors of segments 200/300 and records 95/96
are two-digit codes in the zone's error field (``efact-codes.md`` family 9); the
engine names them with six digits as well: ``02``/``03`` (segment 200/300) or
``95``/``96``, then the last two digits of the zone, then the two-digit code:
``960920`` = record 96, zone 509, code 20. They carry no letter.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sys
from collections.abc import Iterator, Mapping
from functools import cache, lru_cache
from typing import TYPE_CHECKING, NamedTuple

from vsbengine.digits import ascii_digits

if TYPE_CHECKING:  # the layouts (and numpy) load only where codes are generated
    from vsbengine.formats.efact.compiled import Zone

__all__ = [
    "Entry",
    "catalogue",
    "describe",
    "explain",
    "finding_names",
    "official_letters",
    "official_zone_code",
    "technical_code",
    "zone_code",
    "zone_letter",
]


def finding_names() -> dict[int, str]:
    """Core findings by their number (the core's :class:`~vsbengine._core.Finding`, the
    one source), named as the rules below name them (``"not_digits"``, ...)."""
    from vsbengine import _core  # with numpy: only where findings are mapped

    return {int(f): f.name[2:].lower() for f in _core.Finding}


# Two-digit error part of the code of a finding in records 10-90 (the official list's
# usual numbers: 01 not numeric, or "content not zero" in a reserved zone, ...).
_DETAIL_EE = {
    "not_digits": "01",
    "date": "01",
    "blank_mix": "01",
    "not_zero": "01",
    "check": "02",
    "value": "03",
    "sign": "05",
    "sign_in_digits": "06",
    "chars": "09",
    "missing": "10",
}
#: The official list's own numbers, zone by zone: (record type, zone, finding) -> error
#: part. "missing" (a mandatory zone left zero) is the zone's "not allowed" (03) where
#: the list has no "absent" (10) code; "not numeric" is 02, 04 or 09 where 01 means
#: "content not zero", or "not allowed" (03) where the list has no "not numeric".
_DETAIL_EE_OVERRIDE = {
    ("10", "4", "missing"): "03",
    ("10", "5,6a", "not_zero"): "04",
    ("10", "7", "missing"): "03",
    ("10", "8a", "not_zero"): "04",
    ("10", "8b", "not_zero"): "09",
    ("10", "9", "not_zero"): "11",
    ("10", "10", "not_zero"): "11",
    ("10", "14", "missing"): "03",
    ("10", "18", "not_digits"): "02",
    ("10", "25,26", "missing"): "03",
    ("10", "27", "not_digits"): "04",
    ("10", "43a", "chars"): "03",
    ("10", "43b", "not_zero"): "09",
    ("20", "7", "missing"): "03",
    ("20", "10", "missing"): "03",
    ("20", "14", "missing"): "03",
    ("20", "18", "missing"): "03",
    ("20", "24,25", "missing"): "03",
    ("20", "47", "not_digits"): "09",
    ("20", "47", "date"): "09",
    ("30", "4", "missing"): "03",
    ("30", "5", "missing"): "03",
    ("30", "7", "missing"): "03",
    ("50", "4", "missing"): "03",
    ("50", "5", "missing"): "03",
    ("50", "7", "missing"): "03",
    ("50", "50a", "not_digits"): "04",
    ("50", "50b", "not_digits"): "09",
    ("50", "54b", "not_digits"): "04",
    ("50", "55,56", "not_digits"): "04",
    ("50", "57,58,59", "not_digits"): "04",
    ("50", "98", "not_digits"): "04",
    ("51", "4", "missing"): "03",
    ("51", "17,18", "not_digits"): "04",
    ("52", "3", "not_digits"): "09",
    ("52", "9", "not_digits"): "03",
    ("80", "7", "missing"): "03",
    ("80", "8a,8b", "missing"): "03",
    ("80", "10", "missing"): "03",
    ("80", "14", "missing"): "03",
    ("80", "18", "missing"): "03",
    ("80", "24,25", "missing"): "03",
    ("90", "5,6a", "not_zero"): "04",
    ("90", "7", "missing"): "03",
    ("90", "8a", "not_zero"): "04",
    ("90", "8b", "not_zero"): "09",
    ("90", "14", "missing"): "03",
    ("90", "27", "not_digits"): "04",
    ("90", "43a", "chars"): "03",
    ("90", "43b", "not_zero"): "09",
}
# Family 9 (segments 200/300, records 95/96).
_SUMMARY_EE = {
    "not_digits": "11",
    "date": "11",
    "blank_mix": "11",
    "chars": "11",
    "sign_in_digits": "11",
    "not_zero": "11",
    "sign": "40",
    "value": "20",
    "missing": "10",
}
_SUMMARY_EE_OVERRIDE = {("200", "200", "value"): "22"}
_SUMMARY_RR = {"200": "02", "300": "03", "95": "95", "96": "96"}
# Letter of value/missing findings of the engine's own codes, by record type (format
# findings are always B); a listed code has the official letter.
_CONTENT_LETTER = {
    "10": "B",
    "90": "B",
    "20": "F",
    "80": "F",
    "30": "R",
    "50": "R",
    "51": "R",
    "52": "R",
}
_FORMAT = {
    "not_digits",
    "date",
    "blank_mix",
    "check",
    "sign",
    "sign_in_digits",
    "chars",
    "not_zero",
}


#: The two-digit zone errors of segments 200/300 and records 95/96 that have their own
#: meaning (efact-codes.md section 9), as (RR, ZZ) -> errors; 10, 11 and 20 are the
#: generic ones of every zone (empty, format, value not allowed).
_ZONE_ERRORS = {
    ("02", "00"): {"20", "21", "22"},
    ("02", "01"): {"20", "21", "30"},
    ("02", "02"): {"30", "31"},
    ("03", "01"): {"40"},
    ("03", "02"): {"20", "21"},
    ("03", "04"): {"21"},
    ("03", "08"): {"20"},
    ("03", "09"): {"20", "30"},
    ("95", "01"): {"20", "21"},
    ("95", "04"): {"40", "41"},
    ("95", "06"): {"15", "40", "41"},
    ("95", "08"): {"20", "40"},
    ("96", "01"): {"20"},
    ("96", "04"): {"40"},
    ("96", "06"): {"15", "40"},
    ("96", "08"): {"20", "40"},
}
_GENERIC_ZONE_ERRORS = {"10", "11", "20"}


def official_zone_code(code: str) -> bool:
    """Whether ``code`` is an official two-digit error of a zone of segment 200/300 or
    record 95/96 (``030140``: segment 300, zone 301, error 40: the file sent twice)."""
    rr, zz, ee = code[:2], code[2:4], code[4:]
    if rr not in _SUMMARY_RR.values() or not ascii_digits(zz + ee):
        return False
    return ee in _GENERIC_ZONE_ERRORS or ee in _ZONE_ERRORS.get((rr, zz), ())


def _is_summary(layout: str) -> bool:
    return layout in _SUMMARY_RR


def _parent(zone: Zone) -> Zone:
    """The data zone an error field belongs to (error fields report on it)."""
    if not zone.is_error_field:
        return zone
    from vsbengine.formats.efact.compiled import LAYOUTS

    return LAYOUTS.layout(zone.layout).zone(zone.zone[:-1])


def technical_code(part: str, zone: int, ee: str) -> str:
    """Six-digit name of a two-digit code ``ee`` in the error field of ``zone`` of
    segment 200/300 or record 95/96 (``part``): ``technical_code("96", 509, "20") == "960920"``."""
    return f"{_SUMMARY_RR[part]}{zone % 100:02d}{ee}"


def zone_code(zone: Zone, finding: str) -> str:
    """Six-digit code of a core finding on a zone."""
    zone = _parent(zone)
    if _is_summary(zone.layout):
        ee = _SUMMARY_EE_OVERRIDE.get((zone.layout, zone.zone, finding), _SUMMARY_EE[finding])
        return technical_code(zone.layout, zone.number, ee)
    ee = _DETAIL_EE_OVERRIDE.get((zone.layout, zone.zone, finding), _DETAIL_EE[finding])
    return f"{zone.layout}{zone.number:02d}{ee}"


def zone_letter(zone: Zone, finding: str, code: str | None = None) -> str:
    """Type letter of a core finding ('' for the letterless family-9 codes): the official
    letter of a listed code, else B for a format finding and the record's content letter.
    ``code``: its :func:`zone_code`, when the caller has it already."""
    if _is_summary(zone.layout):
        return ""
    if code is None:
        code = zone_code(zone, finding)
    listed = official_letters().get(code)
    if listed:
        return listed
    rule = _engine_rows().get(code)
    if rule is not None and rule.source == "rule":
        return rule.letter
    if finding in _FORMAT:
        return "B"
    return _CONTENT_LETTER[zone.layout]


def _findings_of(zone: Zone) -> list[str]:
    """The findings the core can report on a zone."""
    if zone.must_be_zero:
        return ["not_zero"]
    out = []
    if zone.kind in "NDY":
        out.append("not_digits")
    if zone.kind in "DY":
        out.append("date")
    if zone.kind == "S":
        out += ["sign", "sign_in_digits", "not_digits"]
        if zone.blank_ok:
            out.append("blank_mix")
    if zone.kind in "AX":
        out.append("chars")
    if zone.allowed:
        out.append("value")
    if zone.mandatory and (zone.kind != "S" or zone.blank_ok):
        out.append("missing")
    return out


#: What each finding means, in English and Dutch (a zone row joins the findings that
#: share its code: "not numeric or not a valid date").
_WHAT = {
    "not_digits": ("not numeric", "niet numeriek"),
    "date": ("not a valid date", "geen geldige datum"),
    "blank_mix": ("partly blank", "gedeeltelijk blanco"),
    "not_zero": ("content not zero", "inhoud verschillend van nul"),
    "value": ("value not allowed", "waarde niet toegelaten"),
    "sign": ("first position is neither + nor -", "eerste positie is geen + of -"),
    "sign_in_digits": ("sign inside the amount", "teken binnen het bedrag"),
    "chars": ("forbidden characters", "verboden tekens"),
    "missing": ("missing", "ontbreekt"),
}
#: Family 9: one meaning per two-digit code (11 covers every format finding).
_SUMMARY_WHAT = {
    "10": ("missing", "ontbreekt"),
    "11": ("format error", "fout formaat"),
    "20": ("value not allowed", "waarde niet toegelaten"),
    "22": ("value not allowed", "waarde niet toegelaten"),
    "40": ("sign is neither + nor -", "teken is geen + of -"),
}


def _generated_rows() -> dict[str, tuple[str, str, str]]:
    from vsbengine.formats.efact.compiled import LAYOUTS

    found: dict[str, tuple[Zone, list[str]]] = {}
    for zone in LAYOUTS.zones:
        if zone.is_error_field:
            continue
        for finding in _findings_of(zone):
            code = zone_code(zone, finding)
            first, findings = found.setdefault(code, (zone, []))
            if first is zone and finding not in findings:
                findings.append(finding)
    rows: dict[str, tuple[str, str, str]] = {}
    for code, (zone, findings) in found.items():
        summary = _is_summary(zone.layout)
        if summary:
            what_en, what_nl = _SUMMARY_WHAT[code[-2:]]
            if code[-2:] == "11" and zone.kind in "DY":
                what_en += " or not a valid date"
                what_nl += " of geen geldige datum"
        else:
            what_en = " or ".join(_WHAT[f][0] for f in findings)
            what_nl = " of ".join(_WHAT[f][1] for f in findings)
        kind = "Segment" if zone.layout in ("200", "300") else "Record"
        en = f"{kind} {zone.layout}, zone {zone.zone} ({zone.name}): {what_en}"
        nl = f"{kind} {zone.layout}, zone {zone.zone}: {what_nl}"
        letter = "" if summary else zone_letter(zone, findings[0])
        rows[code] = (letter, en, nl)
    return rows


class Entry(NamedTuple):
    """A code: its letter ('' for none or not known), where the row comes from (``rule``
    and ``zone``: a code the engine emits; ``listed``: a code of the official list that
    the engine does not emit), its meaning in English and Dutch, and whether the code is
    in the insurers' official list."""

    code: str
    letter: str
    source: str
    en: str
    nl: str
    listed: bool = False


_HERE = os.path.dirname(os.path.abspath(__file__))
_DATA = os.path.join(_HERE, "data", "codes.csv")
_OFFICIAL = os.path.join(_HERE, "data", "official.csv")


def _read() -> list[Entry]:
    # A plain path, not importlib.resources: explain starts without pathlib.
    with open(_DATA, encoding="utf-8", newline="") as fh:
        text = fh.read()
    reader = csv.DictReader(io.StringIO(text), delimiter=";")
    return [Entry(r["code"], r["letter"], r["source"], r["en"], r["nl"]) for r in reader]


@lru_cache(maxsize=1)
def official_letters() -> dict[str, str]:
    """The codes of the insurers' official list and their letters ('' where the public
    copies give none)."""
    with open(_OFFICIAL, encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(fh, delimiter=";")
        return {r["code"]: r["letter"] for r in rows}


@lru_cache(maxsize=1)
def _engine_rows() -> dict[str, Entry]:
    return {e.code: e for e in _read()}


class _Catalogue(Mapping[str, Entry]):
    """Every code known, looked up lazily: a listed code's meaning is built when it is
    asked for (``explain`` and the validation look up a few codes, not 2,000)."""

    def __init__(self) -> None:
        self._engine = _engine_rows()
        self._listed = official_letters()
        self._codes = sorted(set(self._engine) | set(self._listed))

    def __getitem__(self, code: str) -> Entry:
        e = self._engine.get(code)
        if e is not None:
            return e._replace(listed=code in self._listed)
        letter = self._listed[code]  # KeyError: neither knows it
        en, nl = describe(code)
        return Entry(code, letter, "listed", en, nl, True)

    def __contains__(self, code: object) -> bool:
        return code in self._engine or code in self._listed

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)


@lru_cache(maxsize=1)
def catalogue() -> Mapping[str, Entry]:
    """Every code known: the engine's (``rule``/``zone`` rows) and the rest of the
    official list (``listed`` rows), keyed by their six-character code."""
    return _Catalogue()


def emitted() -> dict[str, Entry]:
    """The codes the engine can emit (``rule`` and ``zone`` rows)."""
    return {c: e._replace(listed=c in official_letters()) for c, e in _engine_rows().items()}


def explain(code: str) -> Entry:
    """The catalogue entry of a code; ``KeyError`` when neither the engine nor the
    official list knows it (:func:`describe` still describes it)."""
    return catalogue()[code.strip().upper()]


# -- meanings built from the layouts ------------------------------------------------------
_TABLE_LINE = re.compile(r"^(\S+)\s+\d+\s+\d+\s+[NDYSAX]\s+\S+\s+\S+\s+\S+\s+(.+)$")


@cache
def _zone_names(layout: str) -> dict[int, tuple[str, str]]:
    """Zone number -> (zone id, name) of a layout, read from the layout tables as text
    (without numpy: ``explain`` starts fast); the first zone of a number wins."""
    from vsbengine.formats.efact import layouts

    table = dict(layouts.SENDING, **layouts.REPLY).get(layout)
    out: dict[int, tuple[str, str]] = {}
    if table is None:
        return out
    for line in table[1].strip("\n").splitlines():
        m = _TABLE_LINE.match(line.strip())
        lead = re.match(r"\d+", m.group(1)) if m else None
        if m and lead:
            out.setdefault(int(lead.group()), (m.group(1), m.group(2).strip()))
    return out


#: The generic meanings of the two-digit codes of the error fields (family 9).
_FIELD_CODES = {
    "10": ("mandatory zone left empty", "verplichte zone niet ingevuld"),
    "11": ("format error", "fout formaat"),
    "20": ("value not allowed", "waarde niet toegelaten"),
}
_PARTS = {
    "200": ("Segment 200", "200"),
    "300": ("Segment 300", "300"),
    "300x": ("Segment 300", "300x"),
    "300s": ("Segment 300 (acknowledgement)", "300s"),
    "95": ("Record 95", "95"),
    "96": ("Record 96", "96"),
    "91": ("Record 91", "91"),
    "92": ("Record 92", "92"),
}


#: The first two digits of a family-9 code -> (part, its first zone number).
_FIELD_BASE = {"02": ("200", 200), "03": ("300", 300), "95": ("95", 400), "96": ("96", 500)}


def describe(code: str) -> tuple[str, str]:
    """A meaning for any ``RRZZEE`` code, built from the record and zone names of the
    layouts and the error number: ``("Record 50, zone 19 (Insurance amount): error 20",
    "Record 50, zone 19: fout 20")``. For a code of the official list that the engine
    does not emit; the official text comes from the operator's copy of the list."""
    code = code.strip().upper()
    if not re.fullmatch(r"[0-9]{4}[0-9A-Z]{2}", code):
        return (f"code {code}: not an eFact error code", f"code {code}: geen eFact-foutcode")
    record, zone, ee = code[:2], int(code[2:4]), code[4:]
    names = _zone_names(record)
    if record in _FIELD_BASE:
        part, base = _FIELD_BASE[record]
        return field_meaning(part, str(base + zone), ee)
    if zone in names:
        zid, name = names[zone]
        return (
            f"Record {record}, zone {zid} ({name}): error {ee}",
            f"Record {record}, zone {zid}: fout {ee}",
        )
    return (f"Record {record}, zone {zone}: error {ee}", f"Record {record}, zone {zone}: fout {ee}")


def field_meaning(part: str, zone: str, ee: str) -> tuple[str, str]:
    """The meaning of a two-digit code ``ee`` in the error field of ``zone`` of a part
    (``"200"``, ``"300"``, ``"300x"``, ``"300s"``, ``"95"``, ``"96"``, ``"91"``, ``"92"``):
    the engine's own where it writes that code, else built from the zone's name and the
    generic meaning of the code (10, 11, 20)."""
    # The extended 300 of 920098/920099/920900 shares zones 300-309 with segment 300.
    numbered = ascii_digits(zone)
    same = "300" if part == "300x" and numbered and int(zone) < 310 else part
    if same in ("200", "300", "95", "96") and numbered:
        entry = _engine_rows().get(technical_code(same, int(zone), ee))
        if entry is not None:
            return entry.en, entry.nl
    label, layout = _PARTS.get(part, (f"Part {part}", part))
    name = _zone_names(layout).get(int(zone), ("", ""))[1] if numbered else ""
    en_what, nl_what = _FIELD_CODES.get(ee, (f"error {ee}", f"fout {ee}"))
    named = f" ({name})" if name else ""
    return (f"{label}, zone {zone}{named}: {en_what}", f"{label}, zone {zone}: {nl_what}")


# -- the data files --------------------------------------------------------------------------
def render() -> str:
    """The catalogue file as it should be: rule rows kept, zone rows regenerated."""
    rules = [e for e in _read() if e.source == "rule"]
    have = {e.code for e in rules}
    zone = [
        Entry(code, letter, "zone", en, nl)
        for code, (letter, en, nl) in sorted(_generated_rows().items())
        if code not in have
    ]
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\n")
    w.writerow(["code", "letter", "source", "en", "nl"])
    for e in rules + zone:
        w.writerow([e.code, e.letter, e.source, e.en, e.nl])
    return out.getvalue()


def render_official(path: str) -> str:
    """``data/official.csv`` from ``official-codes.csv`` (code, record, zone, error,
    letter, listed_in): the codes and their letters only."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = sorted((r["code"], r["letter"]) for r in csv.DictReader(fh))
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\n")
    w.writerow(["code", "letter"])
    w.writerows(rows)
    return out.getvalue()


def _main(argv: list[str]) -> int:  # pragma: no cover - developer tool
    if "--official" in argv:
        source = argv[argv.index("--official") + 1]
        with open(_OFFICIAL, "w", encoding="utf-8", newline="") as fh:
            fh.write(render_official(source))
        print(f"wrote {_OFFICIAL}")
        return 0
    text = render()
    if "--write" in argv:
        with open(_DATA, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        print(f"wrote {_DATA}")
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main(sys.argv[1:]))
