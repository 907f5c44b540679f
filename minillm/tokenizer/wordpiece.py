"""WordPiece (BERT's tokenizer), a small teaching implementation.

Training looks like BPE, with one change: instead of merging the most *frequent* pair it merges
the pair with the highest score  freq(ab) / (freq(a) * freq(b)),  i.e. the pair whose parts
occur together far more often than chance. Pieces inside a word carry a "##" prefix
("playing" -> "play", "##ing"). Encoding is greedy longest-match-first, word by word; a word
with a character outside the vocabulary becomes "[UNK]" as a whole.

Not byte-level: decoding joins words with single spaces, so whitespace is not preserved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import regex

from minillm.tokenizer.pretokenize import count_pretokens

# BERT-style pre-tokenization: runs of word characters, and each punctuation mark on its own.
WORD_PATTERN = r"\w+|[^\w\s]"
PREFIX = "##"


def _split_words(text: str) -> list[str]:
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}: {text!r:.80}")
    return regex.findall(WORD_PATTERN, text)


class WordPieceTokenizer:
    """vocab: piece -> id; continuation pieces start with "##"."""

    def __init__(self, vocab: dict[str, int] | None = None, unk_token: str = "[UNK]"):
        self.unk_token = unk_token
        self.vocab: dict[str, int] = dict(vocab) if vocab else {unk_token: 0}
        if unk_token not in self.vocab:
            raise ValueError(f"unk_token {unk_token!r} must be in the vocabulary")
        self.id_to_piece = {i: p for p, i in self.vocab.items()}
        self.max_chars_per_word = 100

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def train(
        self, text: str | Iterable[str], vocab_size: int, verbose: bool = False
    ) -> WordPieceTokenizer:
        """Learn pieces until `vocab_size` (special "[UNK]" included) or no pair is left.

        Ties in score go to the lexicographically smallest pair, so training is deterministic.
        """
        words = count_pretokens([text] if isinstance(text, str) else text, WORD_PATTERN)
        if not words:
            raise ValueError("the training corpus is empty: there is no word to learn from")
        # Each word as a list of pieces: first character bare, the others "##"-prefixed.
        splits = {w: [w[0]] + [PREFIX + c for c in w[1:]] for w in words}
        alphabet = sorted({p for s in splits.values() for p in s})
        min_size = 1 + len(alphabet)
        if vocab_size < min_size:
            raise ValueError(
                f"vocab_size={vocab_size} is too small: this corpus needs at least {min_size} "
                f"(1 for {self.unk_token!r} + {len(alphabet)} characters)"
            )
        pieces = [self.unk_token, *alphabet]
        known = set(pieces)
        # Counts of pieces and adjacent pairs, updated only for the words a merge touches.
        piece_freq: Counter[str] = Counter()
        pair_freq: Counter[tuple[str, str]] = Counter()
        where: dict[str, set[str]] = {}  # piece -> words whose split contains it
        for w, f in words.items():
            _add(splits[w], f, piece_freq, pair_freq, +1)
            for p in splits[w]:
                where.setdefault(p, set()).add(w)
        while len(pieces) < vocab_size and pair_freq:
            a, b = min(
                pair_freq,
                key=lambda p: (-pair_freq[p] / (piece_freq[p[0]] * piece_freq[p[1]]), p),
            )
            merged = a + b.removeprefix(PREFIX)
            for w in sorted(where[a] & where[b]):
                old = splits[w]
                new = _merge(old, a, b, merged)
                if new != old:
                    _add(old, words[w], piece_freq, pair_freq, -1)
                    _add(new, words[w], piece_freq, pair_freq, +1)
                    splits[w] = new
                    where.setdefault(merged, set()).add(w)
            if merged not in known:
                known.add(merged)
                pieces.append(merged)
        self.vocab = {p: i for i, p in enumerate(pieces)}
        self.id_to_piece = dict(enumerate(pieces))
        return self

    def tokenize_word(self, word: str) -> list[str]:
        """Greedy longest-match-first; the whole word is [UNK] if some part cannot be matched."""
        if len(word) > self.max_chars_per_word:
            return [self.unk_token]
        out, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else PREFIX + word[start:end]
                if piece in self.vocab:
                    out.append(piece)
                    break
                end -= 1
            else:
                return [self.unk_token]
            start = end
        return out

    def tokenize(self, text: str) -> list[str]:
        return [p for w in _split_words(text) for p in self.tokenize_word(w)]

    def encode(self, text: str) -> list[int]:
        return [self.vocab[p] for p in self.tokenize(text)]

    def decode(self, ids: Iterable[int]) -> str:
        """Words joined by single spaces ("##" pieces glued to the previous piece)."""
        words: list[str] = []
        for pos, i in enumerate(ids):
            if i not in self.id_to_piece:
                raise ValueError(
                    f"ids[{pos}] = {i!r} is not a token id: valid ids are 0..{self.vocab_size - 1}"
                )
            p = self.id_to_piece[i]
            if p.startswith(PREFIX) and words:
                words[-1] += p[len(PREFIX) :]
            else:
                words.append(p)
        return " ".join(words)


def _add(split: list[str], f: int, piece_freq: Counter, pair_freq: Counter, sign: int) -> None:
    """Add (sign=+1) or remove (sign=-1) one word's pieces and pairs, `f` times, from the counts."""
    for p in split:
        piece_freq[p] += sign * f
    for pair in zip(split, split[1:]):
        pair_freq[pair] += sign * f
        if pair_freq[pair] <= 0:
            del pair_freq[pair]


def _merge(s: list[str], a: str, b: str, merged: str) -> list[str]:
    out, i = [], 0
    while i < len(s):
        if i < len(s) - 1 and s[i] == a and s[i + 1] == b:
            out.append(merged)
            i += 2
        else:
            out.append(s[i])
            i += 1
    return out
