"""Pages a person reads: self-contained HTML files rendered from Jinja2 templates.

One machinery for every page of the package (the VIPLive statements now; the
review page of a sending and the night's report later):

- templates ship in the package (``vsbengine/pages/templates``); every page
  extends ``base.html`` (inline CSS, no scripts, no links, no network: it opens
  offline, reads at 1200 px and prints on A4) and uses the macros of
  ``macros.html`` (tables with numeric columns and totals, key-value lists);
- autoescape is on for every template, and undefined names are errors;
- labels come in Dutch and English (``labels.toml``, the ``t()`` function) and
  the filters format amounts, dates and national numbers per language
  (``eur``, ``day``, ``insz``: masked unless the caller allows the number);
- :func:`write` renders straight to a file through
  :func:`vsbengine.fsio.atomic_write` (whole or not at all).

>>> html = render("viplive_statement.html", lang="nl", statement=s, ...)  # doctest: +SKIP
"""

from vsbengine.pages.render import (
    LANGUAGES,
    context,
    environment,
    label,
    printable,
    render,
    write,
)
from vsbengine.pages.values import amount, day, insz

__all__ = [
    "LANGUAGES",
    "amount",
    "context",
    "day",
    "environment",
    "insz",
    "label",
    "printable",
    "render",
    "write",
]
