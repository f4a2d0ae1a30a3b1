"""The review page of a sending: what a person reads before signing or confirming.

``review.html`` is written beside every proposal (:func:`vsbengine.signoff.propose`,
and again with the decision once it is taken) and on demand (``vsbengine review ID|DIR``,
:func:`write`). One self-contained HTML file (the machinery of :mod:`vsbengine.pages`:
no script, no network, prints on A4) showing:

- the proposed decision and why: the error ratio against the 5 % limit as a small
  chart (inline SVG), records, invoices and prestations rejected;
- the errors per code, with their meaning in Dutch and English;
- per invoice with errors (the first :attr:`Options.invoices`, then counts of the
  rest) its errors with an excerpt of the record around the failing zone, and the
  errors of the sending itself (record 10, 90, the segments, 95/96);
- requested, accepted and refused per mutuality and account; record 10's accounts
  against the facility's registered ones (flagged when they differ); the payment
  signing would order (payee, IBAN, amount, due date).

Personal data is shown only as the zorgkas allows: national numbers (INSZ) are masked
(``••.••.••-•••.45``) and the text zones of the invoices (names, references) hidden
unless ``zorgkas.toml`` says ``[review] show_insz = true`` / ``show_names = true`` or
the person asks (``--show-insz``, ``--show-names``). The page is built from the
proposal, the saved result and the records around the errors, read from the sending
(no scan of the file: a page of a million-record sending takes the time of its shown
excerpts).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vsbengine.decision import LIMIT_PERCENT, over_limit
from vsbengine.digits import ascii_digits, ascii_int
from vsbengine.errors import InputError
from vsbengine.fsio import path_text

__all__ = ["FILE", "Options", "build", "folder_of", "write"]

#: The page's file name, beside proposal.json.
FILE = "review.html"
_INVOICE_TYPES = (20, 30, 50, 51, 52, 80)
_RECORD = 350
#: Zones shown each side of the failing zone in an excerpt.
_AROUND = 2
#: Records walked back at most to find an error's record 20 (an invoice is smaller).
_WALK = 200_000


@dataclass(frozen=True)
class Options:
    """What the page shows.

    ``show_insz``/``show_names``: national numbers and the text zones of the invoices
    in clear (``None``: as the zorgkas's setting says, default hidden). ``invoices``:
    invoices with errors shown in full; ``errors``: errors shown per invoice;
    ``sending_errors``: errors of the sending itself; ``problems``: framing problems.
    """

    show_insz: bool | None = None
    show_names: bool | None = None
    lang: str = "nl"
    invoices: int = 50
    errors: int = 10
    sending_errors: int = 50
    problems: int = 50


# -- the sending's bytes ------------------------------------------------------------------


class _Bytes:
    """Records read from the sending by their byte offsets (no scan)."""

    def __init__(self, data) -> None:
        self.data = data
        self.size = len(data)
        self.first = self._first_record()

    def _skip(self, pos: int) -> int:
        while pos < self.size and self.data[pos] in (10, 13):
            pos += 1
        return pos

    def _first_record(self) -> int:
        pos = self._skip(67)  # segment 200
        return self._skip(pos + 160)  # segment 300

    def record(self, offset: int, length: int = _RECORD) -> bytes:
        if offset < 0 or offset + length > self.size:
            return b""
        return bytes(self.data[offset : offset + length])

    def kind(self, offset: int) -> bytes:
        return bytes(self.data[offset : offset + 2])

    def previous(self, offset: int) -> int | None:
        pos = offset
        while pos > self.first and self.data[pos - 1] in (10, 13):
            pos -= 1
        pos -= _RECORD
        return pos if pos >= self.first else None


def _data(source):
    """The sending's bytes (memory-mapped), or ``None`` when it is not at hand."""
    from vsbengine.formats.efact.chunks import map_file

    if isinstance(source, (bytes, bytearray, memoryview)):
        return source
    if not isinstance(source, str):
        return None
    try:
        with open(source, "rb") as fh:
            if os.fstat(fh.fileno()).st_size == 0:
                return None
            # Guarded: a file truncated meanwhile reads as zeros, not a crash.
            return map_file(fh.fileno())[0]
    except OSError:
        return None


# -- zones and what may be shown ------------------------------------------------------------


def _layout_of(rtype: int) -> str | None:
    if rtype in (200, 300):
        return str(rtype)
    return f"{rtype:02d}" if rtype > 0 else None


def _personal(zone) -> str | None:
    """``"insz"`` for a national-number zone, ``"name"`` for a text zone that may hold a
    person's name (the invoices' records, the contact person of segment 300)."""
    if zone.column == "beneficiary":
        return "insz"
    if zone.kind == "A" and (
        zone.layout in ("20", "30", "50", "51", "52", "80")
        or (zone.layout == "300" and zone.zone in ("305", "306"))
    ):
        return "name"
    return None


def _shown(zone, raw: bytes, show_insz: bool, show_names: bool) -> str:
    from vsbengine import pages

    text = raw.decode("latin-1")
    what = _personal(zone)
    if what == "insz":
        digits = text.strip()
        return (
            pages.insz(digits[-11:] if len(digits) >= 11 else digits, show=show_insz)
            if digits.strip("0")
            else digits
        )
    if what == "name" and not show_names:
        return "••••••" if text.strip() else ""
    return text.rstrip() if zone.kind in "AX" else text


def _excerpt(raw: bytes, layout: str, zone_id: str, opts: Options, show: tuple[bool, bool]):
    """The zones around the failing one: ``[(zone, positions, name, value, failing)]``."""
    from vsbengine.formats.efact.compiled import LAYOUTS

    zones = [z for z in LAYOUTS.layout(layout).zones if not z.is_error_field]
    at = next((i for i, z in enumerate(zones) if z.zone == zone_id), None)
    if at is None or not raw:
        return []
    out = []
    for z in zones[max(0, at - _AROUND) : at + _AROUND + 1]:
        out.append(
            {
                "zone": z.zone,
                "positions": f"{z.start + 1}-{z.end}" if z.length > 1 else f"{z.start + 1}",
                "name": z.name,
                "value": _shown(z, raw[z.start : z.end], *show),
                "failing": z.zone == zone_id,
            }
        )
    return out


# -- the errors -------------------------------------------------------------------------------


def _error_rows(result):
    """The result's errors as plain lists (code, letter, unit, zone index, seq, rtype,
    offset), in file order."""
    t = result.error_table
    return (
        [f"{c:06d}" for c in t.code.tolist()],
        t.unit.tolist(),
        t.zone.tolist(),
        t.seq.tolist(),
        t.rtype.tolist(),
        t.offset.tolist(),
    )


def _error(i, rows, cat, lang, data, opts, show, rejected):
    """One error as the page shows it, with its excerpt."""
    from vsbengine.formats.efact.compiled import LAYOUTS

    codes, units, zones, seqs, rtypes, offsets = rows
    code, zi, rtype = codes[i], zones[i], rtypes[i]
    entry = cat.get(code)
    zone = LAYOUTS.zones[zi] if zi >= 0 else None
    if zone is not None and zone.is_error_field:
        zone = LAYOUTS.layout(zone.layout).zone(zone.zone[:-1])
    layout = zone.layout if zone is not None else _layout_of(rtype)
    excerpt = []
    if data is not None and zone is not None and offsets[i] >= 0:
        start = offsets[i] - zone.start
        length = LAYOUTS.layout(zone.layout).length
        excerpt = _excerpt(data.record(start, length), zone.layout, zone.zone, opts, show)
    unit = units[i]
    return {
        "record": seqs[i] if seqs[i] >= 0 else None,
        "record_type": layout or "",
        "zone": zone.zone if zone is not None else "",
        "zone_name": zone.name if zone is not None else "",
        "code": code,
        "letter": entry.letter if entry is not None else "",
        "meaning": getattr(entry, lang) if entry is not None else "",
        "rejected": bool(rejected is not None and 0 <= unit < len(rejected) and rejected[unit]),
        "excerpt": excerpt,
    }


def _invoice_head(data: _Bytes, offset: int, show_insz: bool) -> dict:
    from vsbengine import pages
    from vsbengine.formats.efact.compiled import LAYOUTS

    raw = data.record(offset)
    lay = LAYOUTS.layout("20")

    def zone(zid: str) -> str:
        z = lay.zone(zid)
        return raw[z.start : z.end].decode("latin-1")

    beneficiary = zone("8a,8b").strip()
    return {
        "record": int(zone("2")) if ascii_digits(zone("2")) else None,
        "number": zone("24,25").strip(),
        "beneficiary": pages.insz(beneficiary[-11:], show=show_insz) if beneficiary else "",
        "destination": zone("18").strip(),
        "offset": offset,
    }


def _invoices(result, data: _Bytes | None, opts: Options, show, cat):
    """The first ``opts.invoices`` invoices with errors (each with at most ``opts.errors``
    errors shown), the errors of the sending itself, and counts of what is not shown."""
    rows = _error_rows(result)
    codes, units, zones, seqs, rtypes, offsets = rows
    rejected = result.rejected
    lang = opts.lang
    in_invoice = [r in _INVOICE_TYPES for r in rtypes] if data is not None else [False] * len(codes)
    sending = [
        _error(i, rows, cat, lang, data, opts, show, rejected)
        for i in [j for j, inside in enumerate(in_invoice) if not inside][: opts.sending_errors]
    ]
    sending_more = sum(1 for inside in in_invoice if not inside) - len(sending)
    invoices: list[dict] = []
    last_offset, last_head = -1, None
    shown_until = len(codes)
    from vsbengine.formats.efact.compiled import LAYOUTS

    for i, inside in enumerate(in_invoice):
        if not inside or offsets[i] < 0:
            continue
        assert data is not None
        zone_start = LAYOUTS.zones[zones[i]].start if zones[i] >= 0 else 0
        record = offsets[i] - zone_start
        head = _head_of(data, record, last_offset, last_head)
        last_offset, last_head = record, head
        if head is None:
            continue
        if not invoices or invoices[-1]["offset"] != head:
            if len(invoices) == opts.invoices:
                shown_until = i
                break
            invoices.append(_invoice_head(data, head, show[0]) | {"errors": [], "more": 0})
            u20 = _unit_at(units[i], seqs[i], invoices[-1]["record"])
            invoices[-1]["rejected"] = bool(
                rejected is not None
                and u20 is not None
                and 0 <= u20 < len(rejected)
                and rejected[u20]
            )
        inv = invoices[-1]
        if len(inv["errors"]) < opts.errors:
            inv["errors"].append(_error(i, rows, cat, lang, data, opts, show, rejected))
        else:
            inv["more"] += 1
    rest = [i for i in range(shown_until, len(codes)) if in_invoice[i]]
    return {
        "invoices": invoices,
        "more_errors": len(rest),
        "more_records": len({units[i] for i in rest}),
        "sending": sending,
        "sending_more": sending_more,
    }


def _unit_at(unit: int, seq: int, seq20: int | None) -> int | None:
    """The unit of an invoice's record 20 from a unit of the invoice and the two sequence
    numbers (records are consecutive units; sequence numbers wrap after 999999)."""
    if seq < 0 or seq20 is None:
        return None
    return unit - (seq - seq20) % 1_000_000


def _head_of(data: _Bytes, record: int, last_offset: int, last_head: int | None) -> int | None:
    """The offset of the record 20 of the invoice holding the record at ``record``;
    ``None`` outside an invoice. Walks back, stopping at the last error's record when it
    was in the same invoice (errors come in file order)."""
    pos: int | None = record
    for _ in range(_WALK):
        if pos is None:
            return None
        kind = data.kind(pos)
        if kind == b"20":
            return pos
        if kind in (b"10", b"90") or (kind == b"80" and pos != record):
            return None
        if last_head is not None and pos <= last_offset:
            return last_head
        pos = data.previous(pos)
    return None


# -- the page -------------------------------------------------------------------------------


def _ratio_chart(ratio: float, over: bool, limit: float = LIMIT_PERCENT) -> dict:
    """The bar of the ratio against the limit, in the SVG's coordinates; ``over``: the
    exact comparison of the decision (:func:`vsbengine.decision.over_limit`), not the
    rounded ratio's."""
    top = max(2 * limit, ratio * 1.15)
    width = 600
    return {
        "width": width,
        "bar": round(min(ratio, top) / top * width, 1),
        "limit": round(limit / top * width, 1),
        "top": top,
        "over": over,
        "ticks": [{"x": round(v / top * width, 1), "label": f"{v:g} %"} for v in _ticks(top)],
    }


def _ticks(top: float) -> list[float]:
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50) if top / s <= 6)
    return [float(v) for v in range(0, int(top) + 1, step)]


def _code_counts(result, cat) -> list[dict]:
    t = result.error_table
    if len(t) == 0:
        return []
    values, counts = np.unique(t.code, return_counts=True)
    rows = []
    for code, n in sorted(zip(values.tolist(), counts.tolist()), key=lambda p: (-p[1], p[0])):
        text = f"{code:06d}"
        e = cat.get(text)
        rows.append(
            {
                "code": text,
                "letter": (e.letter if e is not None else "") or "",
                "count": n,
                "nl": e.nl if e is not None else "",
                "en": e.en if e is not None else "",
            }
        )
    return rows


def _sender_reference(data: _Bytes | None) -> str:
    """Record 10 zone 28: the facility's own reference of the sending."""
    if data is None or data.kind(data.first) != b"10":
        return ""
    from vsbengine.formats.efact.compiled import LAYOUTS

    z = LAYOUTS.layout("10").zone("28")
    return data.record(data.first)[z.start : z.end].decode("latin-1").strip()


def build(
    folder,
    *,
    result=None,
    proposal: dict | None = None,
    options: Options | None = None,
    verify: bool = False,
):
    """The data of the review page of the proposal in ``folder`` (the template's
    variables). ``result``/``proposal``: those just made (default: read from the folder).
    ``verify``: check that the sending is still the one validated (its digest) before
    its records are shown."""
    from vsbengine.digest import of_bytes
    from vsbengine.formats.efact.catalogue import catalogue
    from vsbengine.result import Result
    from vsbengine.signoff import DECISION, PROPOSAL

    folder = Path(folder)
    opts = options or Options()
    if proposal is None:
        proposal = _read_json(folder / PROPOSAL)
    if result is None:
        try:
            result = Result.load(folder)
        except FileNotFoundError:
            raise InputError("no saved result beside the proposal", path=str(folder)) from None
    decided = proposal.get("decided")
    if decided is None and (folder / DECISION).exists():
        decided = _read_json(folder / DECISION)
    settings = proposal.get("zorgkas") or {}
    show = (
        bool(settings.get("show_insz")) if opts.show_insz is None else opts.show_insz,
        bool(settings.get("show_names")) if opts.show_names is None else opts.show_names,
    )
    raw = _data(result.source if result.source is not None else proposal.get("file"))
    changed = raw is not None and (
        len(raw) != result.size or (verify and of_bytes(raw) != proposal["content"])
    )
    data = _Bytes(raw) if raw is not None and not changed else None
    cat = catalogue()
    found = _invoices(result, data, opts, show, cat)
    payee = result.payee
    month = f"{payee.invoiced_year:04d}-{payee.invoiced_month:02d}" if payee is not None else ""
    lang = opts.lang
    rows = _rows(proposal, result, cat, lang, opts)
    for e in found["sending"] + [e for inv in found["invoices"] for e in inv["errors"]]:
        e["row"] = _error_row(e, lang)
    return {
        "p": proposal,
        "decided": decided,
        "file_name": path_text(os.path.basename(proposal.get("file") or result.file or "")),
        "sending_number": f"{payee.sending_number:03d}" if payee is not None else "",
        "invoiced_month": month,
        "sender_reference": _sender_reference(data),
        "chart": _ratio_chart(
            result.error_ratio, over_limit(result.records_total, result.records_rejected)
        ),
        "codes": _code_counts(result, cat),
        "problems_more": max(0, len(result.problems) - opts.problems),
        "payment": proposal.get("payment"),
        "excerpts": data is not None,
        "changed": changed,
        "show_insz": show[0],
        "show_names": show[1],
        "errors_total": len(result.error_table),
        **rows,
        **found,
    }


def _rows(proposal: dict, result, cat, lang: str, opts: Options) -> dict:
    """The tables of the page as rows of text, formatted in ``lang``."""
    from vsbengine import pages

    def eur(cents: int) -> str:
        return pages.amount(cents, lang)

    amounts = proposal.get("amounts") or ()
    money = []
    for a in amounts:
        if a["record_type"] != "91":
            continue
        money.append([f"{a['mutuality']:03d}", "A"] + [eur(a[k]) for k in _A])
        if a["requested_b"] or a["accepted_b"]:
            money.append([f"{a['mutuality']:03d}", "B"] + [eur(a[k]) for k in _B])
    total = next((a for a in amounts if a["record_type"] == "92"), None)
    foot = None
    if total is not None:
        foot = [pages.label("total", lang), "A+B"] + [
            eur(total[k]) for k in ("requested", "accepted", "refused")
        ]
    accounts = [
        [
            a["account"],
            " / ".join(x for x in (a["iban"], a["bic"]) if x) or "—",
            " / ".join(x for x in (a["registered_iban"], a["registered_bic"]) if x) or "—",
            pages.label(f"rv_status_{a['status']}", lang),
            ", ".join(a.get("codes") or ()),
        ]
        for a in proposal.get("accounts") or ()
    ]
    plan = proposal.get("payment")
    payments = [
        [x["account"], x["iban"], x["bic"], x["reference"], eur(x["amount"])]
        for x in (plan["payments"] if plan else ())
    ]
    recover = [
        [x["account"], x["reference"], eur(x["amount"])]
        for x in ((plan or {}).get("to_recover") or ())
    ]
    problems = [
        [
            ", ".join(
                w
                for w in (
                    f"byte {p.offset}" if p.offset is not None else "",
                    f"record {p.record}" if p.record is not None else "",
                    f"zone {p.zone}" if p.zone else "",
                )
                if w
            ),
            p.message,
        ]
        for p in result.problems[: opts.problems]
    ]
    codes = [
        [c["code"], c["letter"], c["count"], c["nl"], c["en"]] for c in _code_counts(result, cat)
    ]
    return {
        "money_rows": money,
        "money_foot": foot,
        "account_rows": accounts,
        "payment_rows": payments,
        "recover_rows": recover,
        "problem_rows": problems,
        "code_rows": codes,
    }


_A = ("requested_a", "accepted_a", "refused_a")
_B = ("requested_b", "accepted_b", "refused_b")


def _error_row(e: dict, lang: str) -> list:
    from vsbengine import pages

    zone = f"{e['zone']} ({e['zone_name']})" if e["zone"] else ""
    yes_no = pages.label("rv_yes" if e["rejected"] else "rv_no", lang)
    return [
        e["record"] if e["record"] is not None else "",
        e["record_type"],
        zone,
        e["code"],
        e["letter"],
        e["meaning"],
        yes_no,
    ]


def write(
    folder,
    *,
    result=None,
    proposal: dict | None = None,
    out=None,
    options: Options | None = None,
    made=None,
    verify: bool = False,
) -> Path:
    """Write the review page of the proposal in ``folder`` (to ``out``, default
    ``folder/review.html``), whole or not at all; return its path (``verify``: see
    :func:`build`)."""
    from vsbengine import pages

    opts = options or Options()
    try:
        view = build(folder, result=result, proposal=proposal, options=opts, verify=verify)
    except (LookupError, TypeError, AttributeError) as exc:
        # A proposal.json edited by hand (a field missing, or of another kind).
        raise InputError(
            f"is not a proposal this vsbengine can show ({type(exc).__name__}: {exc}): "
            "validate the sending again into an empty folder",
            path=str(Path(folder) / "proposal.json"),
        ) from None
    return pages.write(
        Path(out) if out is not None else Path(folder) / FILE,
        "review.html",
        lang=opts.lang,
        made=made,
        **view,
    )


def folder_of(target, register=None) -> Path:
    """The folder of a proposal: ``target`` itself, or with ``register`` the folder of
    sending ``target`` (its number) in that register."""
    if register is None:
        folder = Path(target)
        if not (folder / "proposal.json").is_file():
            raise InputError(
                "no proposal here (a folder of validate --refs --out; or give a register "
                "and a sending's number)",
                path=str(folder),
            )
        return folder
    from vsbengine.register import Register

    number = ascii_int(str(target))
    if number is None:
        raise InputError(f"not a sending's number: {str(target)[:20]!r}")
    with Register(str(register), readonly=True) as reg:
        entry = reg.entry(number)
    if entry.folder is None:
        raise InputError(
            f"sending {number} has no proposal yet (state {entry.state})", path=str(register)
        )
    return Path(entry.folder)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no proposal here", path=str(path.parent)) from None
    except ValueError:
        raise InputError("not a proposal (not JSON)", path=str(path)) from None
