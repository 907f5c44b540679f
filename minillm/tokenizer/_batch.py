"""Worker side of `BPETokenizer.encode_batch`: each process gets the tokenizer once."""

from __future__ import annotations

import multiprocessing as mp
import os

_tokenizer = None
_kwargs: dict = {}


def context():
    # fork shares the tokenizer with the workers for free; elsewhere it is pickled once each.
    return mp.get_context("fork" if os.name == "posix" else "spawn")


def init(tokenizer, kwargs: dict) -> None:
    global _tokenizer, _kwargs
    _tokenizer, _kwargs = tokenizer, kwargs


def encode(text: str) -> list[int]:
    return _tokenizer.encode(text, **_kwargs)
