"""The catalogue of error codes: every code the engine can emit, with its letter
and a short meaning in English and Dutch.

It lives in one data file, ``data/codes.csv`` (``;``-separated, UTF-8):

- ``rule`` rows are written by hand, one per check of the rules;
- ``zone`` rows are generated from the layout tables: the format, allowed-value
  and mandatory findings of every zone. They are produced by :func:`zone_code`
  and friends, the same functions that map the core's findings at run time, and
  regenerated with ``python -m vsbengine.formats.efact.catalogue --write``.

Codes of records 10 to 90 follow the eFact scheme ``RRZZEE`` (record type,
zone, error) and reuse the official codes where a check matches one. Errors of
segments 200/300 and records 95/96 are two-digit codes in the zone's error
field (``efact-codes.md`` family 9); the engine names them with six digits as
well: ``02``/``03`` (segment 200/300) or ``95``/``96``, then the last two digits
of the zone, then the two-digit code: ``960920`` = record 96, zone 509, code 20.
They carry no letter.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # the layouts (and numpy) load only where codes are generated
    from vsbengine.formats.efact.compiled import Zone

__all__ = [
    "Entry",
    "catalogue",
    "explain",
    "finding_names",
    "technical_code",
    "zone_code",
    "zone_letter",
]


def finding_names() -> dict[int, str]:
    """Core findings by their number (the core's :class:`~vsbengine._core.Finding`, the
    one source), named as the rules below name them (``"not_digits"``, ...)."""
    from vsbengine import _core  # with numpy: only where findings are mapped

    return {int(f): f.name[2:].lower() for f in _core.Finding}


# Two-digit error part of the code of a finding in records 10-90.
_DETAIL_EE = {
    "not_digits": "01",
    "date": "01",
    "blank_mix": "01",
    "check": "02",
    "value": "03",
    "sign": "05",
    "sign_in_digits": "06",
    "chars": "09",
    "missing": "10",
}
# Official exceptions: (record type, zone, finding) -> error part.
_DETAIL_EE_OVERRIDE = {
    ("10", "7", "missing"): "03",
    ("10", "14", "missing"): "03",
    ("20", "7", "missing"): "03",
    ("20", "18", "missing"): "03",
    ("20", "24,25", "missing"): "03",
    ("20", "47", "not_digits"): "09",
    ("20", "47", "date"): "09",
    ("30", "4", "missing"): "03",
    ("50", "4", "missing"): "03",
}
# Family 9 (segments 200/300, records 95/96).
_SUMMARY_EE = {
    "not_digits": "11",
    "date": "11",
    "blank_mix": "11",
    "chars": "11",
    "sign_in_digits": "11",
    "sign": "40",
    "value": "20",
    "missing": "10",
}
_SUMMARY_EE_OVERRIDE = {("200", "200", "value"): "22"}
_SUMMARY_RR = {"200": "02", "300": "03", "95": "95", "96": "96"}
# Letter of value/missing findings by record type (format findings are always B).
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
_FORMAT = {"not_digits", "date", "blank_mix", "check", "sign", "sign_in_digits", "chars"}


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


def zone_letter(zone: Zone, finding: str) -> str:
    """Type letter of a core finding ('' for the letterless family-9 codes)."""
    if _is_summary(zone.layout):
        return ""
    if finding in _FORMAT:
        return "B"
    code = zone_code(zone, finding)
    rule = catalogue().get(code)
    if rule is not None and rule.source == "rule":
        return rule.letter
    return _CONTENT_LETTER[zone.layout]


def _findings_of(zone: Zone) -> list[str]:
    """The findings the core can report on a zone."""
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


_WHAT = {
    "01": ("not numeric", "niet numeriek"),
    "03": ("value not allowed", "waarde niet toegelaten"),
    "05": ("first position is neither + nor -", "eerste positie is geen + of -"),
    "06": ("sign inside the amount", "teken binnen het bedrag"),
    "09": ("forbidden characters", "verboden tekens"),
    "10": ("missing", "ontbreekt"),
    "11": ("format error", "fout formaat"),
    "20": ("value not allowed", "waarde niet toegelaten"),
    "22": ("value not allowed", "waarde niet toegelaten"),
    "40": ("sign is neither + nor -", "teken is geen + of -"),
}


def _generated_rows() -> dict[str, tuple[str, str, str]]:
    from vsbengine.formats.efact.compiled import LAYOUTS

    rows: dict[str, tuple[str, str, str]] = {}
    for zone in LAYOUTS.zones:
        if zone.is_error_field:
            continue
        for finding in _findings_of(zone):
            code = zone_code(zone, finding)
            if code in rows:
                continue
            what_en, what_nl = _WHAT[code[-2:]]
            if zone.kind in "DY" and code[-2:] in ("01", "11"):
                what_en += " or not a valid date"
                what_nl += " of geen geldige datum"
            if _is_summary(zone.layout):
                kind = "Segment" if zone.layout in ("200", "300") else "Record"
                en = f"{kind} {zone.layout}, zone {zone.zone} ({zone.name}): {what_en}"
                nl = f"{kind} {zone.layout}, zone {zone.zone}: {what_nl}"
            else:
                en = f"Record {zone.layout}, zone {zone.zone} ({zone.name}): {what_en}"
                nl = f"Record {zone.layout}, zone {zone.zone}: {what_nl}"
            rows[code] = (
                ""
                if _is_summary(zone.layout)
                else ("B" if finding in _FORMAT else _CONTENT_LETTER[zone.layout]),
                en,
                nl,
            )
    return rows


class Entry(NamedTuple):
    """A code: its letter ('' for none), where the row comes from (``rule`` or
    ``zone``), and its meaning in English and Dutch."""

    code: str
    letter: str
    source: str
    en: str
    nl: str


_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "codes.csv")


def _read() -> list[Entry]:
    # A plain path, not importlib.resources: explain starts without pathlib.
    with open(_DATA, encoding="utf-8", newline="") as fh:
        text = fh.read()
    reader = csv.DictReader(io.StringIO(text), delimiter=";")
    return [Entry(r["code"], r["letter"], r["source"], r["en"], r["nl"]) for r in reader]


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Entry]:
    """All codes, keyed by their six-digit code."""
    return {e.code: e for e in _read()}


def explain(code: str) -> Entry:
    """The catalogue entry of a code; ``KeyError`` when the engine never emits it."""
    return catalogue()[code.strip()]


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


def _main(argv: list[str]) -> int:  # pragma: no cover - developer tool
    path = _DATA
    text = render()
    if "--write" in argv:
        with open(str(path), "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        print(f"wrote {path}")
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main(sys.argv[1:]))
