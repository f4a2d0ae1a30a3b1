"""Paying a round: read the exports, decide against the ledger, build the SEPA file
and the summary, book the round with its files, then publish the files.

Order of work: finish what an earlier run left (:func:`publish.finish`), lock
the ledger (``BEGIN IMMEDIATE``), decide, build and schema-check the pain.001,
book the round together with the bytes of its files, commit, and only then give
the files their final names. If anything fails before the commit nothing is
booked and no file appears; a crash after it is finished by the next run. So a
payment file never exists without its booked round, and a booked round gets
its files.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

import msgspec

from vsbengine import fsio
from vsbengine.errors import ConfigError, InputError
from vsbengine.formats import sepa
from vsbengine.formats.viplive.config import Config
from vsbengine.formats.viplive.export import read_exports
from vsbengine.formats.viplive.ledger import Ledger
from vsbengine.formats.viplive.publish import finish, refuse_taken, staged_files
from vsbengine.formats.viplive.records import QuarterRound, RoundSummary
from vsbengine.formats.viplive.rounds import Plan, plan_round

__all__ = ["pay", "summary_json"]


def summary_json(summary: msgspec.Struct) -> bytes:
    """A summary as indented JSON (keys in field order: deterministic; a file's name
    whose bytes are not UTF-8 with those as ``\\xNN``, see ``fsio.path_text``)."""
    return msgspec.json.format(fsio.json_bytes(summary), indent=2) + b"\n"


def _message_id(day: _dt.date, ledger: Ledger) -> tuple[str, str]:
    """Message id and file stem of a new booking on ``day``; a second booking on the
    same date (other quarters) gets ``-2``, so no file is overwritten."""
    taken = ledger.query(
        "SELECT COUNT(DISTINCT message_id) FROM rounds WHERE date = ?", [day.isoformat()]
    )[0][0]
    suffix = f"-{taken + 1}" if taken else ""
    return f"VIPLIVE-{day:%Y%m%d}{suffix}", f"round-{day.isoformat()}{suffix}"


def _transfers(plan: Plan) -> list[sepa.Transfer]:
    return [
        sepa.Transfer(p.end_to_end_id, p.amount, sepa.Party(p.practice, p.iban), p.description)
        for p in plan.payments
    ]


def _in_input_order(items, files: list[str]):
    rank = {path: i for i, path in enumerate(files)}
    return sorted(items, key=lambda x: (rank.get(x.path, len(rank)), x.line or 0))


def pay(
    exports: Iterable[str | Path],
    round_date: _dt.date,
    ledger: str | Path,
    out: str | Path | None,
    *,
    config: Config | None = None,
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = False,
    now: _dt.datetime | None = None,
    execution: _dt.date | None = None,
) -> RoundSummary:
    """Pay the round on ``round_date``.

    Parameters
    ----------
    exports
        VIPLive exports (CSV or XLSX).
    round_date
        The round's date, which is also the requested execution date unless
        ``execution`` names another (a round paid late by ``viplive run``).
    ledger
        The SQLite ledger (created when missing).
    out
        Folder for ``round-<date>.xml`` (pain.001.001.09) and ``round-<date>.json``.
    config
        Care group (the debtor) and chain numbers; the care group is needed
        only when something is paid.
    dry_run
        Decide and return the summary, write and book nothing.
    now
        Creation time written into the SEPA file (default: the current time).
    execution
        Requested execution date of the SEPA file (default: ``round_date``).

    Raises
    ------
    vsbengine.ConfigError
        No care group configured while there is something to pay; a date that
        is no payment round of any quarter in the exports.
    vsbengine.InputError
        An export or the ledger cannot be used.
    """
    config = config or Config()
    read = read_exports(exports, chains=config.chains, mapping=mapping).as_of(round_date)
    paths = [f.path for f in read.files]
    folder = Path(out if out is not None else ".")
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder}: not a folder (--out names the folder of the round's files)")
    with Ledger.open(ledger, create=not dry_run) as book:
        if not dry_run:
            finish(book, [folder])
            book.begin()
        plan = plan_round(
            read.grants,
            round_date,
            config.chains,
            book.settled(),
            book.rounds(),
            {f.path: f.headers for f in read.files},
            book.grants(),
            read.held,
        )
        counts = plan.counts
        counts.read = read.rows
        counts.bad += read.bad_lines
        counts.superseded += read.superseded
        booked = "dry run" if dry_run else "now"
        rounds = sorted(
            [QuarterRound(q, n, booked) for q, n in plan.quarters.items()]
            + [QuarterRound(q, n, "before") for q, n in plan.closed.items()],
            key=lambda r: r.quarter,
        )
        summary = RoundSummary(
            round_date,
            rounds,
            plan.payments,
            plan.claims,
            sum(p.amount for p in plan.payments),
            counts,
            _in_input_order(plan.pending, paths),
            _in_input_order(read.bad_rows + plan.bad_rows, paths),
            None,
            dry_run,
        )
        if dry_run:
            return summary
        if not plan.quarters:
            # A re-run books nothing, but what it saw is kept for the specifications.
            book.remember(plan.state)
            book.commit()
            return summary
        if plan.payments and config.care_group is None:
            raise ConfigError(
                "paying needs --config with the care group's account "
                "([care_group] name, iban, bic); --dry-run shows the round "
                "without paying"
            )
        message_id, stem = _message_id(round_date, book)
        created = (now or _dt.datetime.now().astimezone()).replace(microsecond=0)
        files: dict[str, bytes] = {}
        if plan.payments:
            group = config.care_group
            built = sepa.build_checked(
                message_id,
                created,
                sepa.Party(group.name, group.iban, group.bic),
                execution or round_date,
                _transfers(plan),
            )
            files[f"{stem}.xml"] = built.xml
            summary.pain001 = str(folder / f"{stem}.xml")
            summary.warnings = built.warnings
        files[f"{stem}.json"] = summary_json(summary)
        target = folder.absolute()
        refuse_taken(book, target, list(files))
        try:
            book.book(
                round_date,
                plan.quarters,
                plan.payments,
                plan.claims,
                plan.state,
                created.isoformat(),
                message_id,
            )
            book.own(message_id, str(target), staged_files(files))
            book.commit()
        except sqlite3.DatabaseError as exc:
            raise InputError(
                f"the round could not be booked ({exc}); nothing was booked or written",
                path=book.path,
            ) from None
        # Booked: from here on the files are the ledger's; a crash is finished next run.
        finish(book)
    return summary
