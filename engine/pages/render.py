"""The Jinja2 environment of the pages, and rendering to text or to a file."""

from __future__ import annotations

import datetime as _dt
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

from vsbengine.errors import quoted
from vsbengine.pages.values import amount, day, insz

__all__ = [
    "LANGUAGES",
    "context",
    "environment",
    "label",
    "labels",
    "printable",
    "render",
    "write",
]

LANGUAGES = ("nl", "en")


@lru_cache(maxsize=1)
def labels() -> dict[str, dict[str, str]]:
    """``{key: {"nl": ..., "en": ...}}`` from ``labels.toml``; every key has both."""
    import msgspec

    text = resources.files("vsbengine.pages").joinpath("labels.toml").read_bytes()
    table = msgspec.toml.decode(text, type=dict[str, dict[str, str]])
    for key, words in table.items():
        missing = [lang for lang in LANGUAGES if lang not in words]
        if missing:
            raise ValueError(f"labels.toml: {key} has no {', '.join(missing)} text")
    return table


def label(key: str, lang: str, **values) -> str:
    """The text of label ``key`` in ``lang``, with ``{name}`` fields filled in."""
    text = labels()[key][lang]
    return text.format(**values) if values else text


#: Control characters (C0 but tab and line breaks, DEL, C1): no HTML page may carry
#: them (a NUL is a parse error), whatever a sending or an export held.
_CONTROLS = dict.fromkeys(
    (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)), "\ufffd"
)


def printable(value):
    """A value as a page shows it: text with its control characters replaced by U+FFFD
    (every ``{{ }}`` of the pages goes through this)."""
    return value.translate(_CONTROLS) if isinstance(value, str) else value


@lru_cache(maxsize=1)
def environment():
    """The shared :class:`jinja2.Environment`: package templates, autoescape on,
    undefined names are errors, whitespace of block tags trimmed, control characters
    of values replaced (:func:`printable`)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("vsbengine.pages", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=printable,
    )
    env.filters["insz"] = insz
    return env


def context(lang: str = "nl", made: _dt.date | None = None) -> dict:
    """What every template reads besides its own data: ``lang``, ``made`` (the date the
    page says it was made, default today), ``t(key, **fields)`` (the labels), and
    ``eur(cents)`` and ``day(date, long=False)`` in that language."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, not {quoted(lang)}")
    return {
        "lang": lang,
        "made": made or _dt.date.today(),
        "t": lambda key, **values: label(key, lang, **values),
        "eur": lambda cents, currency=True: amount(cents, lang, currency),
        "day": lambda value, long=False: day(value, lang, long),
    }


def render(template: str, *, lang: str = "nl", made: _dt.date | None = None, **data) -> str:
    """Render the package template ``template`` in ``lang`` with ``data`` (see
    :func:`context` for what every page gets)."""
    return environment().get_template(template).render(**context(lang, made), **data)


def write(path: str | os.PathLike, template: str, **kwargs) -> Path:
    """Render ``template`` (see :func:`render`) into ``path``, whole or not at all."""
    from vsbengine.fsio import atomic_write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, render(template, **kwargs).encode("utf-8"))
