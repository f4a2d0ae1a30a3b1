"""The page machinery: templates in the package, autoescape, labels, value formats."""

from __future__ import annotations

import datetime as dt
import os
from importlib import resources

import jinja2
import pytest

from vsbengine import pages
from vsbengine.pages.render import labels


def test_templates_ship_in_the_package():
    folder = resources.files("vsbengine.pages").joinpath("templates")
    names = {p.name for p in folder.iterdir()}
    assert {"base.html", "macros.html", "style.css", "viplive_statement.html"} <= names
    assert resources.files("vsbengine.pages").joinpath("labels.toml").is_file()


def test_every_label_has_both_languages():
    table = labels()
    assert len(table) > 30
    assert all(set(words) == {"nl", "en"} and all(words.values()) for words in table.values())


@pytest.mark.parametrize(
    "cents, lang, text",
    [
        (123456, "nl", "€\u00a01.234,56"),
        (123456, "en", "€\u00a01,234.56"),
        (5, "nl", "€\u00a00,05"),
        (-100050, "nl", "€\u00a0−1.000,50"),
        (123456789, "en", "€\u00a01,234,567.89"),
    ],
)
def test_amounts(cents, lang, text):
    assert pages.amount(cents, lang) == text
    assert pages.amount(cents, lang, currency=False) == text.removeprefix("€\u00a0")


def test_dates():
    d = dt.date(2021, 3, 1)
    assert pages.day(d) == "2021-03-01"
    assert pages.day(d, "nl", long=True) == "1 maart 2021"
    assert pages.day("2021-12-31", "en", long=True) == "December 31, 2021"
    assert pages.day(None) == ""


def test_national_numbers_are_masked_unless_allowed():
    assert pages.insz(85073112345) == "••.••.••-•••.45"
    assert pages.insz("85073112345", show=True) == "85.07.31-123.45"
    assert pages.insz(5073112345, show=True) == "05.07.31-123.45"
    assert "8507" not in pages.insz("85073112345") and pages.insz(None) == ""
    assert pages.insz("85-07") == "•" * 11
    # Latin-1 B2, B3 (² ³) from the file are no digits: no check digits shown either.
    assert pages.insz("850731123²³") == "•" * 11
    assert pages.insz("8507311234５") == "•" * 11


def _page(tmp_path, body: str, name="t.html") -> jinja2.Environment:
    """A throw-away template beside the package's, to test the shared environment."""
    env = pages.environment()
    loader = jinja2.ChoiceLoader([jinja2.DictLoader({name: body}), env.loader])
    return env.overlay(loader=loader)


def test_autoescape_and_strict_names(tmp_path):
    env = _page(tmp_path, "{{ name }}|{{ name | insz }}")
    assert env.get_template("t.html").render(name="<script>&") == "&lt;script&gt;&amp;|•••••••••••"
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("t.html").render()


def test_base_page_is_self_contained_in_both_languages(tmp_path):
    env = _page(
        tmp_path,
        '{% extends "base.html" %}{% import "macros.html" as m with context %}'
        "{% block title %}{{ title }}{% endblock %}"
        "{% block content %}{{ m.table(['a', 'b'], rows, numeric=(1,), foot=['t', 3]) }}"
        "{% endblock %}",
    )
    for lang, made in (("nl", "Opgemaakt op 2 januari 2026"), ("en", "Made on January 2, 2026")):
        html = env.get_template("t.html").render(
            **pages.context(lang, dt.date(2026, 1, 2)),
            title="A & B",
            rows=[("<x>", 1), ("y", 2)],
        )
        assert html.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in html
        assert f'<p class="made">{made}</p>' in html and "<title>A &amp; B</title>" in html
        assert '<tr><td>&lt;x&gt;</td><td class="n">1</td></tr>' in html
        assert '<tfoot><tr><td>t</td><td class="n">3</td></tr></tfoot>' in html
        for outside in ("<script", "src=", "href=", "http", "@import", "url("):
            assert outside not in html
        assert "@media print" in html


def test_render_and_write(tmp_path):
    from vsbengine.formats.viplive.specification import Statement

    s = Statement("2021-Q2", "01000001", "P & Q", "NL03RABO0000000001", [], 0, 0, 0, 0, 0)
    out = pages.write(tmp_path / "sub" / "p.html", "viplive_statement.html", lang="en",
                      made=dt.date(2021, 6, 1), statement=s, chains=[], care_group=None,
                      overview=False, overview_rows=[], rows={})  # fmt: skip
    text = out.read_text("utf-8")
    assert "<h1>Chain-care statement 2021-Q2</h1>" in text and "P &amp; Q" in text
    assert [p.name for p in out.parent.iterdir()] == ["p.html"]  # no temporary left
    assert oct(out.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    with pytest.raises(ValueError, match="lang must be one of nl, en, not 'fr'"):
        pages.render("base.html", lang="fr")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
