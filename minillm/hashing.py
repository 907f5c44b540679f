"""sha256 fingerprints: of a file (checkpoints, the course models) and of a text (corpora,
tokenizer files). One copy, so every recorded digest means the same thing."""

from __future__ import annotations

import hashlib
import os

__all__ = ["file_sha256", "text_sha256"]


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of the file's bytes, read in 1 MiB blocks (files larger than RAM are fine)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def text_sha256(text: str) -> str:
    """Hex sha256 of the text's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
