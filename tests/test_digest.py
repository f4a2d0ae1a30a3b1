"""The one content digest: the same value from bytes, a file, blocks and a validation."""

from __future__ import annotations

import hashlib

import vsbengine
from vsbengine import digest
from vsbengine.formats.efact.generate import generate


def test_bytes_file_and_blocks_give_one_digest(tmp_path):
    data = bytes(range(256)) * (digest.BLOCK // 256 + 3)  # more than one block
    path = tmp_path / "x.dat"
    path.write_bytes(data)
    h = digest.hasher()
    for start in range(0, len(data), 1000):
        h.update(data[start : start + 1000])
    assert digest.of_bytes(data) == digest.of_file(path) == h.hexdigest()
    assert digest.of_bytes(memoryview(data)) == digest.of_bytes(data)
    assert digest.of_bytes(data) == hashlib.blake2b(data, digest_size=16).hexdigest()
    assert len(digest.of_bytes(b"")) == 32


def test_a_validation_records_the_files_digest(tmp_path):
    path = tmp_path / "s.dat"
    generate(300, seed=5).write(path)
    result = vsbengine.Engine().validate(str(path), digest=True)
    assert result.digest == digest.of_file(path)
