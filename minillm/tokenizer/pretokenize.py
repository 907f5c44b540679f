"""Count pre-tokens ("words") in a corpus, a chunk at a time.

BPE training never looks at the corpus itself after this step: it only needs each distinct
pre-token and how often it occurs. Five megabytes of English are ~1M pre-tokens but only a few
thousand distinct ones, which is what makes training in pure Python fast.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator

import regex

# A newline right after a letter or digit starts a new pre-token under the GPT-2 and GPT-4
# patterns (no alternative matches "letter + newline" or "digit + newline"), so cutting the text
# there gives the same pre-tokens as pre-tokenizing the whole text at once.
_SAFE_CUT = regex.compile(r"(?<=[\p{L}\p{N}])\n")


def iter_chunks(text: str, chunk_chars: int = 1 << 20) -> Iterator[str]:
    """Split `text` into pieces of about `chunk_chars` characters at safe cut points.

    A piece grows past `chunk_chars` only when no safe cut (a newline after a letter or digit)
    follows; then the rest of the text is one piece.
    """
    start = 0
    while len(text) - start > chunk_chars:
        m = _SAFE_CUT.search(text, start + chunk_chars)
        if m is None:
            break
        yield text[start : m.start()]
        start = m.start()
    if start < len(text):
        yield text[start:]


def split_off_specials(text: str, special_tokens: Iterable[str]) -> list[str]:
    """Remove special tokens from training text, so merges never learn their pieces.

    "a<|endoftext|>b" -> ["a", "b"]: the special token marks a document boundary, and no
    pre-token may span it.
    """
    specials = sorted(set(special_tokens), key=len, reverse=True)
    if not specials:
        return [text]
    parts = regex.split("|".join(regex.escape(s) for s in specials), text)
    return [p for p in parts if p]


def _count(args: tuple[str, str]) -> Counter[str]:
    chunk, pattern = args
    return Counter(regex.findall(pattern, chunk))


def count_pretokens(
    texts: Iterable[str],
    pattern: str,
    special_tokens: Iterable[str] = (),
    chunk_chars: int = 1 << 20,
    num_workers: int = 1,
    progress: bool = False,
) -> Counter[str]:
    """Count every pre-token of `texts` (str or iterable of str) under the regex `pattern`.

    Special tokens are cut out first. With `num_workers > 1` the chunks are counted in worker
    processes (worth it from a few megabytes on; the result is identical).
    Returns: Counter mapping pre-token (str) -> occurrences.
    """
    specials = list(special_tokens)

    def chunks() -> Iterator[tuple[str, str]]:
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(
                    f"training texts must be str, got {type(text).__name__} at index {i}: "
                    f"{text!r:.80}"
                )
            for part in split_off_specials(text, specials):
                for chunk in iter_chunks(part, chunk_chars):
                    yield chunk, pattern

    counts: Counter[str] = Counter()
    bar = None
    if progress:
        from tqdm import tqdm  # plain text bars: no ipywidgets warning in notebooks

        bar = tqdm(desc="pre-tokenizing", unit="chunk", leave=False)
    if num_workers > 1:
        import multiprocessing as mp

        ctx = mp.get_context("fork" if os.name == "posix" else "spawn")
        with ctx.Pool(num_workers) as pool:
            for c in pool.imap_unordered(_count, chunks()):
                counts.update(c)
                if bar is not None:
                    bar.update()
    else:
        for c in map(_count, chunks()):
            counts.update(c)
            if bar is not None:
                bar.update()
    if bar is not None:
        bar.close()
    return counts
