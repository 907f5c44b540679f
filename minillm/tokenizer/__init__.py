"""Tokenizers for lesson 01: byte-level BPE (the one LLMs use), WordPiece and Unigram to compare."""

from .bpe import BPETokenizer
from .io import TokenizerFileError, load_tiktoken_ranks
from .patterns import GPT2_PATTERN, GPT4_PATTERN, PATTERNS

__all__ = [
    "BPETokenizer",
    "TokenizerFileError",
    "load_tiktoken_ranks",
    "GPT2_PATTERN",
    "GPT4_PATTERN",
    "PATTERNS",
]
