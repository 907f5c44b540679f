"""Worker side of `BPETokenizer.encode_batch`: each process gets the tokenizer once.

Results travel back as one packed array per group of texts: pickling a few big int32 buffers is
far cheaper than pickling a million small Python ints.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from array import array

_tokenizer = None
_kwargs: dict = {}


def context():
    # fork shares the tokenizer with the workers for free; elsewhere it is pickled once each.
    return mp.get_context("fork" if os.name == "posix" else "spawn")


def init(tokenizer, kwargs: dict) -> None:
    global _tokenizer, _kwargs
    _tokenizer, _kwargs = tokenizer, kwargs


def encode_group(texts: list[str]) -> tuple[array, list[int]]:
    """Encode `texts`; return all ids concatenated (int32) and the number of ids of each text."""
    ids = array("i")
    lengths = []
    for t in texts:
        one = _tokenizer.encode(t, **_kwargs)
        ids.extend(one)
        lengths.append(len(one))
    return ids, lengths


def unpack(ids: array, lengths: list[int]) -> list[list[int]]:
    out, start = [], 0
    for n in lengths:
        out.append(ids[start : start + n].tolist())
        start += n
    return out
