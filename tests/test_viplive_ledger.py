"""The VIPLive ledger: paths that cannot be a ledger are one clear error."""

from __future__ import annotations

import pytest

from vsbengine.errors import InputError
from vsbengine.formats.viplive import Ledger


def test_a_folder_is_not_a_ledger(tmp_path):
    for create in (True, False):
        with pytest.raises(InputError) as info:
            Ledger.open(tmp_path, create=create)
        assert str(info.value) == f"{tmp_path}: is a folder, not a ledger file"


def test_a_ledger_in_a_missing_folder(tmp_path):
    path = tmp_path / "missing" / "ledger.sqlite"
    with pytest.raises(InputError) as info:
        Ledger.open(path)
    assert str(info.value) == f"{path}: cannot open the ledger (unable to open database file)"
