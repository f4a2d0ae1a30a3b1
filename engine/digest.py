"""The content digest of a sending: BLAKE2b, 16 bytes, as hex.

One definition for everything that recognises a sending by its content: the result
(:attr:`vsbengine.Result.digest`), the register, ``bulk``'s resume log, the answers'
folder claim and the sign-off's proposal check. Changing it changes every stored
digest, so it lives here once.
"""

from __future__ import annotations

import hashlib

__all__ = ["BLOCK", "hasher", "of_bytes", "of_file"]

#: Bytes read per step when a file is hashed.
BLOCK = 1 << 20

_SIZE = 16


def hasher():
    """A fresh incremental hasher (``update`` it, then ``hexdigest()``)."""
    return hashlib.blake2b(digest_size=_SIZE)


def of_bytes(data) -> str:
    """The digest (hex) of ``data`` (bytes, bytearray, memoryview or mmap)."""
    return hashlib.blake2b(data, digest_size=_SIZE).hexdigest()


def of_file(path) -> str:
    """The digest (hex) of the content of the file at ``path``, read in blocks."""
    h = hasher()
    with open(path, "rb") as fh:
        while block := fh.read(BLOCK):
            h.update(block)
    return h.hexdigest()
