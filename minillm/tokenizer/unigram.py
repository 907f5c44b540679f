"""Unigram language-model tokenizer (SentencePiece's default), a small teaching implementation.

BPE grows a vocabulary by merging; Unigram starts from a big one and prunes. Each piece has a
probability p(piece); a word is split into the pieces that maximize the product of their
probabilities (Viterbi). Training alternates:
  1. segment every word with Viterbi and re-estimate p(piece) from the counts (hard EM);
  2. drop the pieces whose removal costs the least likelihood, keeping every single character.

Pre-tokens keep their leading space (" cat"), so decoding is concatenation and is lossless for
characters seen in training; an unseen character becomes "<unk>".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import regex

from minillm.tokenizer.pretokenize import count_pretokens

WORD_PATTERN = r" ?[^\s]+|\s+"


def _split_words(text: str) -> list[str]:
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}: {text!r:.80}")
    return regex.findall(WORD_PATTERN, text)


def viterbi(word: str, logp: dict[str, float], max_len: int) -> tuple[list[str], float]:
    """Best segmentation of `word` into pieces of `logp` and its log-probability.

    best[i] = best score of word[:i]; O(len(word) * max_len). Returns ([], -inf) if no
    segmentation exists. Ties go to the earlier-found (longer last piece) split.
    """
    n = len(word)
    best = [0.0] + [-math.inf] * n
    back = [0] * (n + 1)
    for end in range(1, n + 1):
        for start in range(max(0, end - max_len), end):
            lp = logp.get(word[start:end])
            if lp is not None and best[start] + lp > best[end]:
                best[end] = best[start] + lp
                back[end] = start
    if best[n] == -math.inf:
        return [], -math.inf
    pieces, end = [], n
    while end > 0:
        pieces.append(word[back[end] : end])
        end = back[end]
    return pieces[::-1], best[n]


class UnigramTokenizer:
    """pieces: piece -> log-probability. Ids follow the order of `pieces` after "<unk>" (id 0)."""

    def __init__(self, pieces: dict[str, float] | None = None, unk_token: str = "<unk>"):
        self.unk_token = unk_token
        self._set(pieces or {})

    def _set(self, logp: dict[str, float]) -> None:
        self.logp = dict(logp)
        self.max_len = max((len(p) for p in self.logp), default=1)
        ordered = sorted(self.logp, key=lambda p: (-self.logp[p], p))
        self.id_to_piece = [self.unk_token, *ordered]
        self.vocab = {p: i for i, p in enumerate(self.id_to_piece)}

    @property
    def vocab_size(self) -> int:
        return len(self.id_to_piece)

    def train(
        self,
        text: str | Iterable[str],
        vocab_size: int,
        max_piece_len: int = 12,
        seed_factor: int = 8,
        shrink: float = 0.75,
        em_steps: int = 2,
    ) -> UnigramTokenizer:
        """Prune a seed vocabulary (the `seed_factor * vocab_size` most frequent substrings of at
        most `max_piece_len` characters) down to `vocab_size` pieces, "<unk>" included."""
        words = count_pretokens([text] if isinstance(text, str) else text, WORD_PATTERN)
        if not words:
            raise ValueError("the training corpus is empty: there is no word to learn from")
        chars = Counter()
        for w, f in words.items():
            for c in w:
                chars[c] += f
        if vocab_size < 1 + len(chars):
            raise ValueError(
                f"vocab_size={vocab_size} is too small: this corpus needs at least "
                f"{1 + len(chars)} (1 for {self.unk_token!r} + {len(chars)} characters)"
            )
        subs: Counter[str] = Counter()
        for w, f in words.items():
            for i in range(len(w)):
                for j in range(i + 2, min(len(w), i + max_piece_len) + 1):
                    subs[w[i:j]] += f
        seed = sorted(subs, key=lambda s: (-subs[s], s))[: seed_factor * vocab_size]
        counts = {**{s: subs[s] for s in seed}, **chars}
        logp = _normalize(counts)
        target = vocab_size - 1  # "<unk>" is not a piece
        while True:
            for _ in range(em_steps):
                logp = _normalize(_viterbi_counts(words, logp, chars))
            if len(logp) <= target:
                break
            logp = _prune(words, logp, chars, max(target, int(len(logp) * shrink)))
        self._set(logp)
        return self

    def tokenize(self, text: str) -> list[str]:
        out = []
        for w in _split_words(text):
            pieces, score = viterbi(w, self.logp, self.max_len)
            out.extend(pieces if score > -math.inf else [self.unk_token])
        return out

    def encode(self, text: str) -> list[int]:
        return [self.vocab[p] for p in self.tokenize(text)]

    def decode(self, ids: Iterable[int]) -> str:
        out = []
        for pos, i in enumerate(ids):
            if not isinstance(i, int) or not 0 <= i < self.vocab_size:
                raise ValueError(
                    f"ids[{pos}] = {i!r} is not a token id: valid ids are 0..{self.vocab_size - 1}"
                )
            out.append(self.id_to_piece[i])
        return "".join(out)


def _normalize(counts: dict[str, float]) -> dict[str, float]:
    total = sum(counts.values())
    return {p: math.log(c / total) for p, c in counts.items() if c > 0}


def _viterbi_counts(words: Counter[str], logp: dict[str, float], chars: Counter[str]) -> dict:
    """Hard E-step: piece counts under the current best segmentations.

    Every piece starts at 0.5 (add-half smoothing): an unused piece keeps a small probability
    instead of vanishing here, and pruning, which sees its zero loss, removes it first. Single
    characters must survive anyway, or some words could not be segmented.
    """
    max_len = max(map(len, logp))
    counts: dict[str, float] = {p: 0.5 for p in logp}
    for w, f in words.items():
        for p in viterbi(w, logp, max_len)[0]:
            counts[p] += f
    return counts


def _prune(words: Counter[str], logp: dict[str, float], chars: Counter[str], keep: int) -> dict:
    """Keep the `keep` pieces whose removal would cost the most log-likelihood.

    Cost of removing piece p (SentencePiece's approximation): each of its uses would be
    re-segmented by the best split of p without p, so
        loss(p) = count(p) * (logp(p) - score of best split of p without p).
    """
    max_len = max(map(len, logp))
    counts: Counter[str] = Counter()
    for w, f in words.items():
        for p in viterbi(w, logp, max_len)[0]:
            counts[p] += f
    loss = {}
    work = dict(logp)
    for p, lp in logp.items():
        if p in chars:
            continue
        del work[p]  # score p's best split without p itself, then put it back
        _, alt = viterbi(p, work, max_len)
        work[p] = lp
        loss[p] = counts[p] * (lp - alt)  # >= 0; 0 for unused pieces
    n_multi = keep - len(chars)
    kept = sorted(loss, key=lambda p: (-loss[p], p))[: max(0, n_multi)]
    return {p: logp[p] for p in [*chars, *kept]}
