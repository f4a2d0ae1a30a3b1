"""Billing-file commands: validate, generate, explain."""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import sys
import time
from pathlib import Path

import typer

from vsbengine.cli import options
from vsbengine.errors import ConfigError, InputError, one_line

log = logging.getLogger("vsbengine.cli")

EXIT_ACCEPTED, EXIT_REJECTED = 0, 1
_SHOWN_ERRORS = 20


_SHOWN_PROBLEMS = 10
#: The words of the human summary, per ``--lang``.
_WORDS = {
    "en": {
        "records": "records (10-90)",
        "invoices": "invoices",
        "file": "file:    ",
        "sending": "sending: ",
        "accepted": "accepted",
        "rejected": "rejected",
        "settled": "accepted (DF014, settlement DF015)",
        "rejected_as": "rejected (DF013, rejection type {type}: {why})",
        "why01": "blocking errors",
        "why02": "more than 5 % rejected",
        "rejected_n": "rejected:",
        "of": "of",
        "problem": "problem: ",
        "problems_more": "{n} more framing problems, by kind:",
        "errors": "errors:  ",
        "record": "record",
        "type": "type",
        "zone": "zone",
        "byte": "byte",
        "more": "... {n} more (--json lists them all); every error by code:",
    },
    "nl": {
        "records": "records (10-90)",
        "invoices": "facturen",
        "file": "bestand: ",
        "sending": "zending: ",
        "accepted": "aanvaard",
        "rejected": "verworpen",
        "settled": "aanvaard (DF014, afrekening DF015)",
        "rejected_as": "verworpen (DF013, type verwerping {type}: {why})",
        "why01": "blokkerende fouten",
        "why02": "meer dan 5 % verworpen",
        "rejected_n": "verworpen:",
        "of": "van",
        "problem": "probleem:",
        "problems_more": "nog {n} problemen met de opbouw, per soort:",
        "errors": "fouten:  ",
        "record": "record",
        "type": "type",
        "zone": "zone",
        "byte": "byte",
        "more": "... nog {n} (--json geeft ze alle); alle fouten per code:",
    },
}
LANGUAGES = tuple(_WORDS)


def _problem_kind(message: str) -> str:
    """A problem's message without its quoted value: problems of one kind count together."""
    import re

    return re.sub(r"'[^']*'", "'…'", message)


def _problem_lines(problems, w) -> list[str]:
    lines = []
    for p in problems[:_SHOWN_PROBLEMS]:
        where = ", ".join(
            x
            for x in (
                f"{w['byte']} {p.offset}" if p.offset is not None else "",
                f"{w['record']} {p.record}" if p.record is not None else "",
                f"{w['zone']} {p.zone}" if p.zone else "",
            )
            if x
        )
        lines.append(f"  {w['problem']} {where + ': ' if where else ''}{p.message}")
    rest = problems[_SHOWN_PROBLEMS:]
    if rest:
        from collections import Counter

        lines.append(f"  {'':<9} {w['problems_more'].format(n=len(rest))}")
        for kind, n in Counter(_problem_kind(p.message) for p in rest).most_common():
            lines.append(f"  {'':<9}   {n:>6} x {kind}")
    return lines


LANG = typer.Option(
    "en", "--lang", envvar="VSBENGINE_LANG", help="Language of the summary: en or nl."
)


def _read_stdin(memory_limit: int | None = None) -> bytes:
    """A sending given on standard input (``-``), read whole (up to
    :func:`vsbengine.source.stream_limit`)."""
    from vsbengine.source import read_whole, stream_limit

    if sys.stdin is None or sys.stdin.closed:
        raise InputError("standard input is closed: no sending to read")
    stream = typer.get_binary_stream("stdin")
    return read_whole(stream, stream_limit(memory_limit), "standard input")


def _summary(result, lang: str = "en", name: str | None = None) -> str:
    """The human summary of a result, in English or Dutch (``lang``)."""
    from collections import Counter

    from vsbengine.formats.efact.catalogue import catalogue

    w = _WORDS[lang]
    cat = catalogue()
    name = one_line(name or result.file or "input")
    lines = [
        f"{name}: {result.records_total} {w['records']}, {result.invoices_total} {w['invoices']}"
    ]
    verdict = w["accepted"] if result.technical == "DF011" else w["rejected"]
    lines.append(f"  {w['file']} {verdict} ({result.technical})")
    if result.decision:
        if result.decision == "DF014":
            lines.append(f"  {w['sending']} {w['settled']}")
        else:
            why = w["why01"] if result.rejection_type == "01" else w["why02"]
            lines.append(
                f"  {w['sending']} {w['rejected_as'].format(type=result.rejection_type, why=why)}"
            )
        lines.append(
            f"  {w['rejected_n']:<9} {result.records_rejected} {w['of']} {result.records_total} "
            f"records ({result.error_ratio:.2f} %), {result.invoices_rejected} {w['of']} "
            f"{result.invoices_total} {w['invoices']}"
        )
    lines += _problem_lines(result.problems, w)
    errors = result.errors
    if errors:
        lines.append(f"  {w['errors']} {len(errors)}")
        for e in errors[:_SHOWN_ERRORS]:
            # Records 95/96 have no record number: their byte offset says which one.
            rec = (
                f"{w['record']} {e.record}"
                if e.record is not None
                else f"{w['byte']} {e.offset}"
                if e.offset is not None
                else ""
            )
            entry = cat[e.code]
            lines.append(
                f"    {rec:<14} {w['type']} {e.record_type or '-':<3} {w['zone']} "
                f"{e.zone or '-':<6} {e.code} {e.letter or '-'}  {getattr(entry, lang)}"
            )
        if len(errors) > _SHOWN_ERRORS:
            lines.append(f"    {w['more'].format(n=len(errors) - _SHOWN_ERRORS)}")
            for code, n in sorted(Counter(e.code for e in errors).items()):
                lines.append(f"    {n:>8} x {code} {getattr(cat[code], lang)}")
    return "\n".join(lines)


def validate(
    file: Path = typer.Argument(
        ..., help="The billing file (message 920000); - reads it from standard input."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
    out: Path | None = typer.Option(
        None, "--out", help="Write the answer messages (DF011..DF015) and report.json here."
    ),
    today: str | None = typer.Option(
        None, help="Date the date rules take as today (YYYY-MM-DD; default: the current date)."
    ),
    reference: int | None = typer.Option(
        None, help="Insurer's message reference for the answers (zone 205, 14 digits)."
    ),
    memory_limit: str | None = typer.Option(
        None, help="Memory the process may use, e.g. 512M: big files are read in chunks."
    ),
    threads: int = typer.Option(1, min=1, help="Threads checking the chunks of a big file."),
    refs: Path | None = typer.Option(
        None,
        help="The zorgkas's reference data (a folder of CSV files or a SQLite file): "
        "content checks, and the messages wait for a sign-off.",
    ),
    sign_as: str | None = typer.Option(
        None,
        help="With --refs and --out: sign an acceptance or confirm a rejection at once "
        f"(unattended); {options.SIGN_AS_WAITS}",
    ),
    lang: str = LANG,
    echo: str | None = typer.Option(
        None,
        help="Records DF013/DF014/DF015 echo: errors (records 10 and 90 and the invoices "
        "with errors, as most insurers do) or all (every record). Default: the zorgkas's "
        "setting in zorgkas.toml, else errors.",
    ),
) -> None:
    """Validate a billing file and decide: exit 0 accepted, 1 rejected, 2 unusable input.

    With --refs the decision is a proposal: --out gets the technical answer and the
    proposal, and 'vsbengine sign' or 'vsbengine confirm' releases the messages.
    """
    import vsbengine
    from vsbengine import limits

    limits.check_workers(threads, "--threads")
    if sign_as is not None:
        sign_as = limits.check_name(sign_as, "--sign-as")
    if sign_as is not None and (refs is None or out is None):
        raise ConfigError("--sign-as needs --refs and --out")
    lang = options.language(lang, LANGUAGES)
    if echo is not None and echo not in ("errors", "all"):
        raise ConfigError(f"--echo must be errors or all, not {echo!r}")
    stdin = str(file) == "-"
    if stdin and refs is not None and out is not None:
        # Checked before anything is read or written: a proposal records the file.
        raise ConfigError(
            "a proposal needs the sending as a file (its path is recorded): give its "
            "path instead of -"
        )
    try:
        engine = vsbengine.Engine(
            refs,
            today=options.date(today),
            memory_limit=options.memory_limit(memory_limit),
            threads=threads,
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if engine.memory_limit is not None:
        from vsbengine.pipeline import resident

        # --memory-limit is the whole command's: what it holds now (the interpreter,
        # the libraries, the reference data) counts when a file is refused as too big.
        engine.process_memory = resident()
    if reference is not None and not 0 <= reference < 10**14:
        raise ConfigError("--reference must have at most 14 digits")
    started = time.perf_counter()
    # A proposal and the folder's owner record the sending's digest: made beside the
    # checks, not by a re-read.
    source = _read_stdin(engine.memory_limit) if stdin else file
    result = engine.validate(source, digest=out is not None and not stdin)
    log.info(
        "validated %s: %d records, %s %s, %.2f %% rejected, %d errors in %.3f s",
        "standard input" if stdin else file,
        result.records_total,
        result.technical,
        result.decision or "-",
        result.error_ratio,
        len(result.error_table),
        time.perf_counter() - started,
    )
    decided = None
    zorgkas = engine.refs.zorgkas if engine.refs is not None else None
    echo = echo or (zorgkas.echo if zorgkas is not None else "errors")
    if out is not None:
        from vsbengine import outfolder

        outfolder.claim(out, source, result.digest)
    if out is not None:  # the writers (lxml, the payment order) only when they write
        from vsbengine import outputs, signoff
    if out is not None and refs is not None:
        proposal = signoff.propose(result, out, engine.refs, reference=reference, echo=echo)
        if sign_as is not None:
            decided = signoff.settle(out, sign_as, result=result)
    elif out is not None:
        outputs.write(result, out, result.messages, reference=reference, echo=echo)
    if json_out:
        typer.echo(result.to_json().decode())
    else:
        typer.echo(_summary(result, lang, "stdin" if stdin else None))
        if out is not None and refs is not None:
            typer.echo(f"  answers:  {result.messages[0]} in {out}")
            if decided is not None:
                typer.echo(
                    f"  decision: {decided['action']} by {decided['by']}: "
                    f"{', '.join(decided['messages'])}"
                )
            elif proposal["waiting_for"]:
                every = (
                    " (every prestation rejected)"
                    if proposal["every_prestation_rejected"]
                    else " (record 10's account is not the registered one)"
                    if proposal["account_flagged"]
                    else ""
                )
                typer.echo(
                    f"  proposal: {proposal['proposed']} waits for a "
                    f"{proposal['waiting_for']}{every}: vsbengine "
                    f"{'sign' if proposal['waiting_for'] == 'signature' else 'confirm'} "
                    f"{out} --by NAME"
                )
        elif out is not None:
            typer.echo(f"  answers:  {', '.join(result.messages)} in {out}")
    raise typer.Exit(EXIT_ACCEPTED if result.accepted else EXIT_REJECTED)


def _decide(action: str, target: Path, sending: int | None, by: str, json_out: bool) -> None:
    from vsbengine import signoff

    if sending is not None:
        from vsbengine.cli.register import decide

        decide(action, target, sending, by, json_out)
        return
    if target.is_file():
        raise ConfigError(
            f"{target} is a file: give the folder of a proposal, or a register and the "
            f"sending's number (vsbengine {action} REGISTER ID --by NAME)"
        )
    decision = getattr(signoff, action)(target, by)
    log.info(  # who decided is in decision.json, not in the log (a name)
        "%s %s: %s", decision["action"], target, ", ".join(decision["messages"])
    )
    if json_out:
        typer.echo(json.dumps(decision))
    else:
        typer.echo(
            f"{target}: {decision['action']} by {decision['by']} at {decision['at']}: "
            f"{', '.join(decision['messages'])}"
        )


_TARGET = typer.Argument(
    ..., help="The folder of a proposal (validate --refs --out), or a sending register."
)
_SENDING = typer.Argument(None, help="With a register: the sending's number in it.")


def sign(
    target: Path = _TARGET,
    sending: int | None = _SENDING,
    by: str = typer.Option(..., "--by", help="Who signs."),
    json_out: bool = typer.Option(False, "--json", help="Print the decision as JSON."),
) -> None:
    """Sign a proposed acceptance: writes DF014, DF015, DF016 and DF017."""
    _decide("sign", target, sending, by, json_out)


def confirm(
    target: Path = _TARGET,
    sending: int | None = _SENDING,
    by: str = typer.Option(..., "--by", help="Who confirms."),
    json_out: bool = typer.Option(False, "--json", help="Print the decision as JSON."),
) -> None:
    """Confirm a proposed rejection: writes DF013."""
    _decide("confirm", target, sending, by, json_out)


CODES = typer.Option(
    None,
    "--codes",
    envvar="VSBENGINE_CODES",
    help="The insurers' official error list (liste_codes_erreur_lijst.xls, an .xlsx or a "
    "CSV export of it): the official Dutch and French texts of the codes.",
)
CODES_REFS = typer.Option(
    None,
    "--refs",
    help="The zorgkas's reference data: the official list its zorgkas.toml names "
    "([codes] official_list) when --codes is not given.",
)


def read(
    file: Path = typer.Argument(..., help="An answer message: 931000, 920999, 92009x, 920900."),
    json_out: bool = typer.Option(False, "--json", help="Print it as JSON."),
    codes: Path | None = CODES,
    refs: Path | None = CODES_REFS,
    lang: str = typer.Option(
        "nl",
        "--lang",
        help="Language of the official texts (with --codes or --refs): nl or fr.",
    ),
) -> None:
    """Read an answer message, as written by any insurer: every code with its meaning."""
    from vsbengine import fsio
    from vsbengine.cli.codes import official_list
    from vsbengine.formats.efact.reader import read_answer

    if lang not in ("nl", "fr"):
        raise ConfigError(f"--lang must be nl or fr, not {lang!r}")
    official = official_list(codes, refs)
    a = read_answer(file, official)
    if json_out:
        typer.echo(fsio.json_bytes(a).decode())
        return
    lines = [
        f"{one_line(str(file))}: {a.kind} (message {a.message}), "
        f"sender reference {a.sender_reference}, "
        f"insurer reference {a.insurer_reference}"
    ]
    if a.acknowledged:
        lines.append(f"  acknowledges message {a.acknowledged}")
    if a.error_percentage is not None:
        rt = {"01": "blocking errors", "02": "more than 5 % rejected"}.get(
            a.rejection_type or "", ""
        )
        lines.append(
            f"  error percentage {a.error_percentage:.2f} %"
            + (f", rejection type {a.rejection_type} ({rt})" if a.rejection_type else "")
        )
    for z in a.zone_errors:
        of = f" (mutuality {z.mutuality})" if z.part in ("95", "91") and z.mutuality else ""
        lines.append(f"  {z.part}{of} zone {z.zone}: code {z.code}  {z.meaning}")
    with_codes = [r for r in a.records if r.slots or r.comment]
    if a.kind != "DF012":  # DF012 echoes records 95/96 only: their codes are above
        lines.append(f"  records echoed: {len(a.records)}, with codes: {len(with_codes)}")
    for r in with_codes[:_SHOWN_ERRORS]:
        if r.comment and not any(r.comment.startswith(s_.letter + s_.code) for s_ in r.slots):
            lines.append(f"    record {r.sequence} ({r.record_type})  comment: {r.comment}")
        for s_ in r.slots:
            lines.append(
                f"    record {r.sequence} ({r.record_type})  {s_.letter}{s_.code}  {s_.meaning}"
            )
            text = (s_.official_fr or s_.official_nl) if lang == "fr" else s_.official_nl
            text = text or s_.official_fr
            if text:
                lines.append(f"      official: {text}")
    if len(with_codes) > _SHOWN_ERRORS:
        lines.append(f"    ... {len(with_codes) - _SHOWN_ERRORS} more (--json lists them all)")
    for st in a.settlements:
        who = f"mutuality {st.mutuality:03d}" if st.record_type == "91" else "sending"
        lines.append(
            f"  {st.record_type} {who}: requested {st.requested / 100:,.2f}, accepted "
            f"{st.accepted / 100:,.2f}, refused {st.refused / 100:,.2f} EUR"
        )
    typer.echo("\n".join(lines))


def generate(
    out: Path = typer.Argument(..., help="The billing file to write."),
    records: int = typer.Option(1000, "--records", "-n", help="About this many records 10-90."),
    seed: int = typer.Option(0, min=0, help="Seed: the same arguments give the same bytes."),
    error_rate: float = typer.Option(
        0.0, help="Share of the prestations with an injected error (one per invoice at most)."
    ),
    kinds: str | None = typer.Option(
        None, help="Codes to inject, comma-separated (default: the record and invoice errors)."
    ),
    month: str | None = typer.Option(
        None, help="Invoiced month YYYY-MM (default: the month before the current one)."
    ),
    manifest: Path | None = typer.Option(
        None, help="Write the injected and the expected codes here (JSON)."
    ),
    refs: Path | None = typer.Option(
        None,
        help="Also write the matching reference data into this folder (content errors "
        "can then be injected too).",
    ),
    force: bool = typer.Option(False, "--force", help="Replace files that exist."),
) -> None:
    """Write a valid synthetic sending, with injected errors of known codes when asked."""
    from vsbengine import fsio
    from vsbengine.formats.efact.generate import REFERENCE_FILES
    from vsbengine.formats.efact.generate import generate as make

    # Synthetic data never replaces a file unasked: a register, a real member file.
    if manifest is not None and os.path.abspath(manifest) == os.path.abspath(out):
        raise ConfigError("--manifest names the billing file itself: give another file")
    there = [p for p in (out, manifest) if p is not None and os.path.lexists(p)]
    if refs is not None:
        there += [refs / n for n in REFERENCE_FILES if os.path.lexists(refs / n)]
    if there and not force:
        raise ConfigError(
            f"{there[0]} exists"
            + (f" (and {len(there) - 1} more)" if len(there) > 1 else "")
            + ": give another name, or --force to replace"
        )

    ym = None
    if month is not None:
        try:
            d = _dt.date.fromisoformat(month + "-01")
        except ValueError:
            raise ConfigError(f"--month must be YYYY-MM, not {month!r}") from None
        if not 1900 <= d.year <= 2999:
            raise ConfigError(f"--month must lie within 1900-01 and 2999-12, not {month!r}")
        ym = d.year * 100 + d.month
    chosen = tuple(k.strip() for k in kinds.split(",")) if kinds else None
    try:
        g = make(
            records,
            seed=seed,
            error_rate=error_rate,
            kinds=chosen,
            month=ym,
            references=refs is not None,
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    g.write(out)
    if refs is not None:
        g.write_refs(refs)
    if manifest is not None:
        fsio.atomic_write(
            manifest,
            json.dumps(
                {
                    "file": str(out),
                    "records": g.records,
                    "invoices": g.invoices,
                    "injected": [{"record": r, "code": c} for r, c in g.injected],
                    "expected": [{"record": r, "code": c} for r, c in g.expected],
                },
                indent=2,
            )
            + "\n",
        )
    typer.echo(
        f"{out}: {g.records} records (10-90), {g.invoices} invoices, "
        f"{len(g.injected)} injected errors"
    )
    if len(g.injected) < g.asked:
        typer.echo(
            f"warning: {len(g.injected)} errors injected where --error-rate asked for "
            f"{g.asked}: at most one per invoice (more records give more invoices)",
            err=True,
        )


def explain(
    code: str = typer.Argument(..., help="A six-character code, e.g. 509902 or 960920."),
    json_out: bool = typer.Option(False, "--json", help="Print the entry as JSON."),
    codes: Path | None = CODES,
    refs: Path | None = CODES_REFS,
) -> None:
    """Print what an error code means (English and Dutch) and its letter; with the
    insurers' official list, its official Dutch and French texts too."""
    from vsbengine.cli.codes import explain_text, official_list

    typer.echo(explain_text(code, json_out, official_list(codes, refs)))


def register(app: typer.Typer) -> None:
    """Add the billing-file commands to the root app."""
    app.command("validate")(validate)
    app.command("sign")(sign)
    app.command("confirm")(confirm)
    app.command("read")(read)
    app.command("generate")(generate)
    app.command("explain")(explain)
