"""Pre-tokenization regexes: split text into chunks ("pre-tokens") that BPE never merges across.

Both patterns are copied verbatim from tiktoken (0.9+), so ids match tiktoken exactly. They use
possessive quantifiers (`++`, `?+`), which the `regex` package supports and `re` does not before
Python 3.11, so we always compile with `regex`.
"""

from __future__ import annotations

import regex

# GPT-2 (tiktoken's r50k/p50k "gpt2"): contractions, optional space + letters / numbers /
# punctuation, whitespace runs. A space attaches to the word after it: " world" is one pre-token.
GPT2_PATTERN = (
    r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
)

# GPT-4 (tiktoken's cl100k_base): case-insensitive contractions, numbers in groups of at most 3
# digits (so "2024" is "202" + "4"), newlines kept apart from other whitespace.
GPT4_PATTERN = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""

PATTERNS: dict[str, str] = {
    "gpt2": GPT2_PATTERN,
    "r50k": GPT2_PATTERN,
    "gpt4": GPT4_PATTERN,
    "cl100k": GPT4_PATTERN,
}


def resolve_pattern(pattern: str) -> str:
    """Return the regex for a pattern name ("gpt2", "gpt4", "r50k", "cl100k") or a regex itself.

    A string that is not a known name is taken as a regex and must compile.
    """
    if not isinstance(pattern, str):
        raise TypeError(
            f"pattern must be a name in {sorted(PATTERNS)} or a regex string, "
            f"got {type(pattern).__name__}: {pattern!r}"
        )
    if pattern in PATTERNS:
        return PATTERNS[pattern]
    if pattern == "":
        raise ValueError(f"pattern must not be empty; use one of {sorted(PATTERNS)} or a regex")
    try:
        regex.compile(pattern)
    except regex.error as e:
        raise ValueError(
            f"pattern {pattern!r} is neither a known name {sorted(PATTERNS)} nor a valid regex: {e}"
        ) from None
    return pattern


def pattern_name(pattern: str) -> str | None:
    """The short name of a known regex ("gpt2" or "gpt4"), or None for a custom one."""
    for name in ("gpt2", "gpt4"):
        if PATTERNS[name] == pattern:
            return name
    return None
