"""Generated inputs: reproducible, and every action ends up counted at a larger size."""

from __future__ import annotations

import datetime as dt

from test_blockade_build import check_identities

from vsbengine.formats.blockade import build
from vsbengine.formats.blockade.generate import INPUT_FILES, generate


def test_the_same_seed_gives_the_same_bytes(tmp_path):
    first = generate(tmp_path / "a", actions=300, lines=200, seed=7)
    generate(tmp_path / "b", actions=300, lines=200, seed=7)
    generate(tmp_path / "c", actions=300, lines=200, seed=8)
    assert first["actions.csv"] == 300
    for name in INPUT_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "actions.csv").read_bytes() != (
        tmp_path / "c" / "actions.csv"
    ).read_bytes()


def test_a_generated_build_accounts_for_every_action(tmp_path):
    generate(tmp_path / "in", actions=20_000, lines=15_000, seed=3)
    src = tmp_path / "in"
    out = tmp_path / "list"
    manifest = build(
        controls=src / "controls.csv",
        actions=src / "actions.csv",
        loids=src / "loids.csv",
        lines=src / "invoice_lines.csv",
        date=dt.date(2024, 3, 21),
        out=out,
    )
    check_identities(out)
    counts = {(c.stap, c.meting): c.aantal for c in manifest.counts}
    # The generator makes every kind of outcome happen.
    for key, count in counts.items():
        if key[0] in ("1", "2", "5.0") and key[1] != "Uitgevallen_controle_niet_in_productie":
            assert count > 0, key
    assert counts["3-4", "Regels_verwant"] > 0
    assert counts["6", "Eenheden_zonder_factuurregel"] > 0
    assert (
        counts["6", "Factuurregels"]
        > counts["6", "B0010_eenheden"] - counts["6", "Eenheden_zonder_factuurregel"]
    )
