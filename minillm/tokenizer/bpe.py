"""Byte-level BPE: train on text, encode to ids, decode back, save and load.

    tok = BPETokenizer().train(text, vocab_size=1024, special_tokens=["<|endoftext|>"])
    ids = tok.encode("hello world")            # list[int]
    tok.decode(ids)                            # "hello world"

A token is a byte string; its id is also its merge priority ("rank"), exactly as in tiktoken, so
a trained tokenizer exports to tiktoken's format and GPT-2/cl100k ranks load into this class.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Collection, Iterable, Sequence
from itertools import chain
from typing import Literal

import regex

from .bpe_train import learn_merges
from .io import (
    TokenizerState,
    load_minillm,
    load_tiktoken_ranks,
    save_minillm,
    save_tiktoken,
)
from .merge import bpe_encode_word
from .patterns import pattern_name, resolve_pattern
from .pretokenize import count_pretokens

DECODE_ERRORS = ("replace", "strict", "ignore", "backslashreplace")


class _WordCache(dict):
    """pre-token (str) -> ids; a miss computes and stores. Cleared when full (bounded memory)."""

    def __init__(self, encode_word, max_size: int):
        super().__init__()
        self.encode_word = encode_word
        self.max_size = max_size

    def __missing__(self, word: str) -> list[int]:
        if len(self) >= self.max_size:
            self.clear()
        ids = self[word] = self.encode_word(word)
        return ids


class BPETokenizer:
    """Byte-level BPE tokenizer.

    ranks: token bytes -> id; must contain all 256 single bytes (so any text is encodable).
    pattern: "gpt2", "gpt4" (= "cl100k") or a regex that splits text into pre-tokens.
    special_tokens: special token string -> id (ids distinct from the ranks' ids).
    cache_size: how many distinct pre-tokens to remember between calls.
    """

    def __init__(
        self,
        ranks: dict[bytes, int] | None = None,
        pattern: str = "gpt2",
        special_tokens: dict[str, int] | None = None,
        cache_size: int = 1 << 18,
    ):
        if ranks is None:
            ranks = {bytes([i]): i for i in range(256)}
        self.merges: list[tuple[int, int, int]] = []
        self.cache_size = cache_size
        self._set_state(ranks, resolve_pattern(pattern), dict(special_tokens or {}))

    # ---- state -------------------------------------------------------------------------------

    def _set_state(self, ranks: dict[bytes, int], pattern: str, specials: dict[str, int]) -> None:
        missing = [i for i in range(256) if bytes([i]) not in ranks]
        if missing:
            raise ValueError(
                f"ranks must contain every single byte so any text can be encoded; "
                f"missing {len(missing)} of them, e.g. byte {missing[0]}"
            )
        decoder = {i: b for b, i in ranks.items()}
        if len(decoder) != len(ranks):
            raise ValueError("ranks map two different tokens to the same id")
        for tok, i in specials.items():
            if not isinstance(tok, str) or not tok:
                raise ValueError(f"special token {tok!r} must be a non-empty str")
            if i in decoder:
                raise ValueError(
                    f"special token {tok!r} has id {i}, which is already the id of "
                    f"token {decoder[i]!r}"
                )
            decoder[i] = tok.encode("utf-8")
        if len(set(specials.values())) != len(specials):
            raise ValueError(f"special tokens share ids: {specials}")
        self.ranks = ranks
        self.pattern = pattern
        self.special_tokens = specials
        self._decoder = decoder
        self._regex = regex.compile(pattern)
        self._special_regex_cache: dict[frozenset[str], regex.Pattern] = {}
        self._cache = _WordCache(self._encode_word, self.cache_size)

    def __getstate__(self) -> dict:
        # Compiled regexes and the cache stay behind; _set_state rebuilds them.
        return {
            "ranks": self.ranks,
            "pattern": self.pattern,
            "special_tokens": self.special_tokens,
            "merges": self.merges,
            "cache_size": self.cache_size,
        }

    def __setstate__(self, state: dict) -> None:
        self.merges = state["merges"]
        self.cache_size = state["cache_size"]
        self._set_state(state["ranks"], state["pattern"], state["special_tokens"])

    @property
    def vocab_size(self) -> int:
        """Number of ids, special tokens included (max id + 1)."""
        return max(self._decoder) + 1

    @property
    def vocab(self) -> dict[int, bytes]:
        """id -> token bytes (special tokens as their UTF-8 bytes)."""
        return dict(self._decoder)

    def __repr__(self) -> str:
        name = pattern_name(self.pattern) or "custom"
        return (
            f"BPETokenizer(vocab_size={self.vocab_size}, pattern={name!r}, "
            f"special_tokens={len(self.special_tokens)})"
        )

    # ---- training ----------------------------------------------------------------------------

    def train(
        self,
        text: str | Iterable[str],
        vocab_size: int,
        special_tokens: Sequence[str] = (),
        pattern: str | None = None,
        verbose: bool = True,
        chunk_chars: int = 1 << 20,
        num_workers: int = 1,
    ) -> BPETokenizer:
        """Learn merges from `text` (a str or an iterable of str, e.g. documents or file lines).

        vocab_size counts everything: 256 bytes + learned merges + special tokens. Special tokens
        get the last ids, in the order given, and are cut out of the training text. The corpus is
        pre-tokenized in chunks of `chunk_chars` characters (in `num_workers` processes); then
        merges run over distinct pre-tokens only. If the corpus runs out of pairs first, training
        stops early with a warning and the vocabulary is smaller. Deterministic: ties between
        equally frequent pairs go to the lowest (left id, right id). Returns self.

        Chunks are cut at a newline that follows a letter or digit, which the GPT-2 and GPT-4
        patterns never join to anything; a custom pattern that does should get a chunk_chars
        larger than its longest text.
        """
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, int):
            raise TypeError(f"vocab_size must be an int, got {type(vocab_size).__name__}")
        if isinstance(special_tokens, str):
            raise TypeError(
                f"special_tokens must be a list of str, got the str {special_tokens!r}; "
                f"write [{special_tokens!r}]"
            )
        specials = list(special_tokens)
        for s in specials:
            if not isinstance(s, str) or not s:
                raise ValueError(f"special token {s!r} must be a non-empty str")
        dupes = sorted({s for s in specials if specials.count(s) > 1})
        if dupes:
            raise ValueError(f"duplicate special tokens: {dupes}; each must appear once")
        if vocab_size < 256 + len(specials):
            raise ValueError(
                f"vocab_size={vocab_size} is too small: it must be at least 256 (one token per "
                f"byte) + {len(specials)} special tokens = {256 + len(specials)}"
            )
        pattern = resolve_pattern(self.pattern if pattern is None else pattern)
        texts = [text] if isinstance(text, str) else text
        if isinstance(texts, (bytes, bytearray)) or not isinstance(texts, Iterable):
            raise TypeError(f"text must be a str or an iterable of str, got {type(text).__name__}")
        counts = count_pretokens(texts, pattern, specials, chunk_chars, num_workers, verbose)
        if not counts:
            raise ValueError("the training corpus is empty: there is no text to learn merges from")
        word_counts: dict[bytes, int] = {}
        for w, c in counts.items():
            b = w.encode("utf-8", errors="surrogatepass")
            word_counts[b] = word_counts.get(b, 0) + c
        del counts
        token_bytes = [bytes([i]) for i in range(256)]
        n_new = vocab_size - 256 - len(specials)
        merges = learn_merges(word_counts, n_new, token_bytes, progress=verbose)
        if len(token_bytes) - 256 < n_new:
            warnings.warn(
                f"the corpus ran out of pairs to merge after {len(token_bytes) - 256} new tokens; "
                f"vocab_size is {len(token_bytes) + len(specials)} instead of {vocab_size}",
                stacklevel=2,
            )
        ranks = {b: i for i, b in enumerate(token_bytes)}
        first = len(token_bytes)
        self.merges = merges
        self._set_state(ranks, pattern, {s: first + k for k, s in enumerate(specials)})
        return self

    # ---- encoding ----------------------------------------------------------------------------

    def _encode_word(self, word: str) -> list[int]:
        try:
            b = word.encode("utf-8")
        except UnicodeEncodeError:
            # Lone surrogates ("\ud800") have no UTF-8 form: replace them by U+FFFD, as tiktoken
            # does (a valid pair written as two surrogates becomes its real character).
            b = word.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")
        return bpe_encode_word(b, self.ranks)

    def encode_ordinary(self, text: str) -> list[int]:
        """Encode `text` ignoring special tokens (their text is encoded like any other text)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}: {text!r:.80}")
        cache = self._cache
        return list(chain.from_iterable(map(cache.__getitem__, self._regex.findall(text))))

    def _special_regex(self, tokens: Collection[str]) -> regex.Pattern:
        key = frozenset(tokens)
        r = self._special_regex_cache.get(key)
        if r is None:
            alts = sorted(key, key=lambda s: (-len(s), s))  # longest first: "<|a|>x" before "<|a|>"
            r = self._special_regex_cache[key] = regex.compile("|".join(map(regex.escape, alts)))
        return r

    def _check_special_names(self, names: Collection[str], arg: str) -> set[str]:
        if isinstance(names, str):
            raise TypeError(f"{arg} must be 'all' or a set of str, got the str {names!r}")
        names = set(names)
        unknown = names - self.special_tokens.keys()
        if unknown:
            raise ValueError(
                f"{arg} names {sorted(unknown)}, which are not special tokens of this tokenizer; "
                f"its special tokens are {sorted(self.special_tokens)}"
            )
        return names

    def encode(
        self,
        text: str,
        allowed_special: Literal["all"] | Collection[str] = frozenset(),
        disallowed_special: Literal["all"] | Collection[str] = "all",
    ) -> list[int]:
        """Encode `text` to ids, with tiktoken's rules for special tokens.

        A special token's text becomes its id only if it is in `allowed_special` ("all" for
        every one). If the text contains a special token that is disallowed (by default: every
        one not allowed), this raises ValueError, because such text usually comes from a user
        and must not inject control tokens. Pass disallowed_special=() to encode it as text.
        Lone surrogates ("\ud800", which have no UTF-8 form) are encoded as U+FFFD, as tiktoken
        does; decode(encode(s)) == s for every other str.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}: {text!r:.80}")
        if allowed_special == "all":
            allowed = set(self.special_tokens)
        else:
            allowed = self._check_special_names(allowed_special, "allowed_special")
        if disallowed_special == "all":
            disallowed = set(self.special_tokens) - allowed
        else:
            disallowed = self._check_special_names(disallowed_special, "disallowed_special")
        if disallowed:
            m = self._special_regex(disallowed).search(text)
            if m:
                raise ValueError(
                    f"text contains the special token {m.group()!r} at position {m.start()}; "
                    f"pass allowed_special={{{m.group()!r}}} to encode it as a special token, "
                    f"or disallowed_special=() to encode it as ordinary text"
                )
        if not allowed:
            return self.encode_ordinary(text)
        ids: list[int] = []
        start = 0
        for m in self._special_regex(allowed).finditer(text):
            ids += self.encode_ordinary(text[start : m.start()])
            ids.append(self.special_tokens[m.group()])
            start = m.end()
        ids += self.encode_ordinary(text[start:])
        return ids

    def encode_batch(
        self,
        texts: Sequence[str],
        num_workers: int | None = None,
        allowed_special: Literal["all"] | Collection[str] = frozenset(),
        disallowed_special: Literal["all"] | Collection[str] = "all",
    ) -> list[list[int]]:
        """Encode many texts, in `num_workers` processes (default: all cores).

        Below ~100k characters in total it encodes in this process: starting workers would
        cost more than it saves. Same ids as [encode(t) for t in texts], in the same order.
        """
        if isinstance(texts, str):
            raise TypeError("encode_batch takes a list of str; for one str use encode(text)")
        texts = list(texts)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"texts[{i}] must be a str, got {type(t).__name__}: {t!r:.80}")
        workers = num_workers or os.cpu_count() or 1
        kwargs = {"allowed_special": allowed_special, "disallowed_special": disallowed_special}
        if workers == 1 or len(texts) < 2 or sum(map(len, texts)) < 100_000:
            return [self.encode(t, **kwargs) for t in texts]  # not worth starting processes
        from concurrent.futures import ProcessPoolExecutor

        from . import _batch

        # A few big groups per worker: enough to balance the load, few enough to keep the
        # per-task overhead small. Groups are contiguous, so the output order is the input order.
        n_groups = min(len(texts), 4 * workers)
        bounds = [len(texts) * k // n_groups for k in range(n_groups + 1)]
        groups = [texts[bounds[k] : bounds[k + 1]] for k in range(n_groups)]
        with ProcessPoolExecutor(
            workers, mp_context=_batch.context(), initializer=_batch.init, initargs=(self, kwargs)
        ) as pool:
            results = list(pool.map(_batch.encode_group, groups))
        return [ids for packed, lengths in results for ids in _batch.unpack(packed, lengths)]

    # ---- decoding ----------------------------------------------------------------------------

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        """The bytes that `ids` stand for (may end in the middle of a UTF-8 character)."""
        if hasattr(ids, "tolist"):  # numpy arrays, torch tensors
            ids = ids.tolist()
        if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
            raise TypeError(f"ids must be a sequence of int, got {type(ids).__name__}: {ids!r:.80}")
        ids = list(ids)
        try:
            return b"".join(map(self._decoder.__getitem__, ids))
        except (KeyError, TypeError):
            pass
        for pos, i in enumerate(ids):  # slow path, only to name the bad id
            if isinstance(i, bool) or not isinstance(i, int):
                raise TypeError(f"ids[{pos}] = {i!r} is a {type(i).__name__}, not an int")
            if i not in self._decoder:
                raise ValueError(
                    f"ids[{pos}] = {i} is not a token id: valid ids are 0..{self.vocab_size - 1}"
                )
        raise AssertionError("unreachable")  # pragma: no cover

    def decode(self, ids: Iterable[int], errors: str = "replace") -> str:
        """Text of `ids`. Bytes that are not valid UTF-8 (e.g. half an emoji) become U+FFFD
        with errors="replace", raise UnicodeDecodeError with "strict"."""
        if errors not in DECODE_ERRORS:
            raise ValueError(f"errors={errors!r} is not one of {DECODE_ERRORS}")
        return self.decode_bytes(ids).decode("utf-8", errors=errors)

    def decode_single_token_bytes(self, token_id: int) -> bytes:
        return self.decode_bytes([token_id])

    # ---- files -------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Write the readable minillm format (see `minillm.tokenizer.io`)."""
        save_minillm(
            TokenizerState(self.ranks, self.pattern, self.special_tokens, self.merges), path
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> BPETokenizer:
        """Read a file written by `save`. A truncated or edited file raises TokenizerFileError."""
        state = load_minillm(path)
        tok = cls(state.ranks, state.pattern, state.special_tokens)
        tok.merges = state.merges
        return tok

    def save_tiktoken(self, path: str | os.PathLike) -> None:
        """Write the mergeable ranks in tiktoken's `.tiktoken` format (no special tokens, no
        pattern: tiktoken keeps those in code)."""
        save_tiktoken(self.ranks, path)

    @classmethod
    def from_tiktoken(
        cls,
        path: str | os.PathLike,
        pattern: str = "gpt2",
        special_tokens: dict[str, int] | None = None,
    ) -> BPETokenizer:
        """Load `.tiktoken` ranks, e.g. GPT-2's (pattern="gpt2",
        special_tokens={"<|endoftext|>": 50256}) or cl100k's (pattern="gpt4")."""
        return cls(load_tiktoken_ranks(path), pattern, special_tokens)

    def to_tiktoken(self, name: str = "minillm"):
        """A `tiktoken.Encoding` with the same ranks, pattern and special tokens (no download)."""
        import tiktoken

        return tiktoken.Encoding(
            name,
            pat_str=self.pattern,
            mergeable_ranks=self.ranks,
            special_tokens=self.special_tokens,
        )
