"""The pages a person reads: ``vsbengine review`` (a sending) and ``report`` (a run)."""

from __future__ import annotations

from pathlib import Path

import typer

from vsbengine.cli import options as cli_options
from vsbengine.errors import ConfigError

_LANG = typer.Option("nl", "--lang", envvar="VSBENGINE_LANG", help="Language: nl or en.")


def _lang(lang: str) -> str:
    from vsbengine.pages import LANGUAGES

    return cli_options.language(lang, LANGUAGES)


#: What every page of the package says it is (engine/pages/templates/base.html).
_MARK = b'<meta name="generator" content="vsbengine">'


def _page_out(out: Path) -> Path:
    """Where ``--out`` may write a page: an .html file in a folder that exists, outside
    a register's folders, new or a page this package wrote (never another file)."""
    if not str(out).strip():
        raise ConfigError("--out must name an .html file")
    if out.suffix.lower() not in (".html", ".htm"):
        raise ConfigError(f"{out}: --out must name an .html file (nothing else is overwritten)")
    from vsbengine.register import kept_by

    if kept_by(out) is not None:
        raise ConfigError(f"{out}: a register's folders are its own: write the page elsewhere")
    if not out.parent.is_dir():
        raise ConfigError(f"{out.parent}: no such folder")
    if out.is_dir():
        raise ConfigError(f"{out}: is a folder, not a file")
    if out.exists():
        try:
            with open(out, "rb") as fh:
                head = fh.read(4096)
        except OSError as exc:
            raise ConfigError(f"{out}: {exc.strerror or exc}") from None
        if _MARK not in head:
            raise ConfigError(f"{out}: exists and is not a page of vsbengine: not overwritten")
    return out


def review(
    target: Path = typer.Argument(
        ..., help="A proposal's folder (validate --refs --out), or a sending register."
    ),
    sending: int | None = typer.Argument(None, help="With a register: the sending's number."),
    out: Path | None = typer.Option(
        None, "--out", help="Write the page here (default: review.html beside the proposal)."
    ),
    show_insz: bool = typer.Option(
        False, "--show-insz", help="National numbers in clear (default: masked, or zorgkas.toml)."
    ),
    show_names: bool = typer.Option(
        False,
        "--show-names",
        help="The text zones of the invoices (names) in clear (default: hidden, or zorgkas.toml).",
    ),
    lang: str = _LANG,
) -> None:
    """Write the review page of a sending: the proposed decision and why, the errors with
    excerpts, the amounts, the accounts and the payment signing would order."""
    from vsbengine import review as pages_review

    if sending is None and target.is_file():
        raise ConfigError(
            f"{target} is a file: give the folder of a proposal, or a register and the "
            "sending's number (vsbengine review REGISTER ID --out FILE)"
        )
    if out is not None:
        out = _page_out(out)
    register = target if sending is not None else None
    folder = pages_review.folder_of(sending if register is not None else target, register)
    if register is not None and out is None:
        raise ConfigError(
            "--out FILE: the register's folders are its own (the page beside the proposal "
            f"is {folder / pages_review.FILE})"
        )
    if (show_insz or show_names) and out is None:
        raise ConfigError(
            "--show-insz/--show-names: say where the page with personal data goes (--out FILE)"
        )
    options = pages_review.Options(
        show_insz=True if show_insz else None,
        show_names=True if show_names else None,
        lang=_lang(lang),
    )
    path = pages_review.write(folder, out=out, options=options, verify=True)
    typer.echo(str(path))


def report(
    target: Path = typer.Argument(..., help="A bulk --out folder, or a sending register."),
    run: str | None = typer.Option(
        None,
        "--run",
        help="The run: a register's run number, or a folder's run (its id or name under "
        "runs/); default the latest.",
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Write the report into this folder (default: beside the run)."
    ),
    lang: str = _LANG,
) -> None:
    """Write the night's report of a run again: HTML, CSV and (with pyarrow) Parquet, one
    row per input file, the unreadable ones first."""
    from vsbengine import night

    if not target.exists():
        raise ConfigError(f"{target}: no such folder or register")
    for path in night.write_for(target, run, out=out, lang=_lang(lang)):
        typer.echo(str(path))


def register(app: typer.Typer) -> None:
    app.command("review")(review)
    app.command("report")(report)
