"""Token files and batches: the bridge from text to the (B, T) tensors a model trains on.

    >>> tok = BPETokenizer().train(text, 4096, special_tokens=[EOT])
    >>> tf = write_token_file("corpus.bin", split_documents(text), tok)   # + corpus.bin.json
    >>> tf = TokenFile.open("corpus.bin", tokenizer=tok)                  # checks the sidecar
    >>> train, val = tf.split(val_fraction=0.05)                          # two numpy views
    >>> batches = RandomWindows(train, batch_size=16, seq_len=256, seed=0)
    >>> x, y = batches.next_batch()                                       # (16, 256) int64 each

The token file is the raw ids, back to back, as little-endian uint16 (vocab <= 65536) or uint32,
read through `np.memmap`: a corpus far larger than RAM costs nothing to open, and the OS pages
in only the windows a batch touches. Documents are separated by the tokenizer's end-of-text id.
The JSON sidecar (`<file>.json`) records dtype, vocabulary size, the tokenizer's fingerprint
and the token count, so a file made by another tokenizer is an error, not silent garbage.

Batching is a pure function of (seed, batch index): `RandomWindows` draws batch i from a
generator seeded with (seed, i), so resuming at batch i only needs the index (`state_dict`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from minillm.corpus.documents import DOC_SEPARATOR, EOT

FORMAT = "minillm-tokens"
VERSION = 1


class TokenFileError(ValueError):
    """A token file does not match its sidecar or the tokenizer it is used with."""


def token_dtype(vocab_size: int) -> np.dtype:
    """The smallest unsigned dtype holding ids 0..vocab_size-1: uint16 up to 65536, else uint32."""
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 1:
        raise ValueError(f"vocab_size={vocab_size!r} must be a positive int")
    if vocab_size <= 1 << 16:
        return np.dtype("<u2")
    if vocab_size <= 1 << 32:
        return np.dtype("<u4")
    raise ValueError(f"vocab_size={vocab_size} does not fit in uint32 (max {1 << 32})")


def tokenizer_fingerprint(tokenizer: Any) -> str:
    """sha256 of what decides the ids: every (token bytes, id), the split pattern, the specials.

    Two tokenizers with the same fingerprint encode every text to the same ids."""
    h = hashlib.sha256()
    for token, i in sorted(tokenizer.ranks.items(), key=lambda kv: kv[1]):
        h.update(i.to_bytes(4, "little") + len(token).to_bytes(2, "little") + token)
    h.update(tokenizer.pattern.encode("utf-8", "surrogatepass"))
    h.update(json.dumps(sorted(tokenizer.special_tokens.items())).encode())
    return h.hexdigest()


@dataclass(frozen=True)
class TokenFileInfo:
    """The sidecar: what the bytes of a token file mean."""

    dtype: str  # "uint16" or "uint32" (little-endian)
    vocab_size: int
    tokenizer_sha256: str
    num_tokens: int
    num_documents: int
    eot_id: int | None  # the id separating documents (None: separated by DOC_SEPARATOR text)
    format: str = FORMAT
    version: int = VERSION


def sidecar_path(path: str | os.PathLike) -> Path:
    return Path(str(path) + ".json")


def _encode_documents(docs: list[str], tokenizer: Any, eot: list[int], workers: int) -> np.ndarray:
    ids = tokenizer.encode_batch(docs, num_workers=workers, disallowed_special=())
    flat: list[int] = []
    for doc_ids in ids:
        flat += doc_ids
        flat += eot
    return np.asarray(flat, dtype=np.int64)


def write_token_file(
    path: str | os.PathLike,
    documents: Iterable[str],
    tokenizer: Any,
    *,
    docs_per_chunk: int = 2000,
    num_workers: int = 1,
    progress: bool = True,
) -> TokenFile:
    """Tokenise documents into `path` (raw ids) and `path.json` (the sidecar); return it opened.

    Each document is followed by the tokenizer's "<|endoftext|>" id (or, if it has none, by the
    ids of DOC_SEPARATOR as text), so the model learns where documents end. Document text is
    encoded as text even if it contains special-token strings (no injection). Deterministic:
    the same documents and tokenizer give the same bytes, whatever `num_workers`.
    """
    path = Path(path)
    vocab = tokenizer.vocab_size
    dtype = token_dtype(vocab)
    eot_id = tokenizer.special_tokens.get(EOT)
    eot = [eot_id] if eot_id is not None else tokenizer.encode(DOC_SEPARATOR, disallowed_special=())
    n_tokens = n_docs = 0
    bar = tqdm(desc=f"tokenising {path.name}", unit="tok", unit_scale=True, disable=not progress)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        chunk: list[str] = []
        for doc in [*documents, None]:  # None flushes the last chunk
            if doc is not None:
                if not isinstance(doc, str):
                    raise TypeError(f"document {n_docs + len(chunk)} is a {type(doc).__name__}")
                chunk.append(doc)
            if chunk and (doc is None or len(chunk) >= docs_per_chunk):
                ids = _encode_documents(chunk, tokenizer, eot, num_workers)
                ids.astype(dtype).tofile(f)
                n_tokens, n_docs = n_tokens + len(ids), n_docs + len(chunk)
                bar.update(len(ids))
                chunk = []
    bar.close()
    info = TokenFileInfo(
        dtype=dtype.name,
        vocab_size=vocab,
        tokenizer_sha256=tokenizer_fingerprint(tokenizer),
        num_tokens=n_tokens,
        num_documents=n_docs,
        eot_id=eot_id,
    )
    os.replace(tmp, path)  # the file appears only when complete
    sidecar_path(path).write_text(json.dumps(asdict(info), indent=2) + "\n")
    return TokenFile.open(path, tokenizer)


class TokenFile:
    """A memory-mapped token file. `tokens` is a read-only np.memmap of shape (num_tokens,)."""

    def __init__(self, path: Path, info: TokenFileInfo, tokens: np.ndarray) -> None:
        self.path, self.info, self.tokens = path, info, tokens

    def __len__(self) -> int:
        return len(self.tokens)

    def __repr__(self) -> str:
        return f"TokenFile({str(self.path)!r}, {self.info.num_tokens:,} {self.info.dtype} tokens)"

    @classmethod
    def open(
        cls, path: str | os.PathLike, tokenizer: Any = None, check_ids: bool = True
    ) -> TokenFile:
        """Open `path` and its sidecar. With a tokenizer, its vocabulary size and fingerprint must
        match the sidecar's (TokenFileError naming the field otherwise). check_ids scans the
        file once for ids >= vocab_size (a fast numpy max)."""
        path = Path(path)
        side = sidecar_path(path)
        for p in (path, side):
            if not p.is_file():
                raise FileNotFoundError(f"token file {str(p)!r} does not exist")
        try:
            raw = json.loads(side.read_text())
            info = TokenFileInfo(**raw)
        except (json.JSONDecodeError, TypeError) as e:
            raise TokenFileError(f"{side}: not a valid token-file sidecar ({e})") from None
        if info.format != FORMAT or info.version != VERSION:
            raise TokenFileError(
                f"{side}: format={info.format!r} version={info.version}, expected {FORMAT!r} "
                f"version {VERSION}"
            )
        expected = token_dtype(info.vocab_size)
        if info.dtype != expected.name:
            raise TokenFileError(
                f"{side}: dtype={info.dtype!r} does not fit vocab_size={info.vocab_size} "
                f"(expected {expected.name!r})"
            )
        if tokenizer is not None:
            if tokenizer.vocab_size != info.vocab_size:
                raise TokenFileError(
                    f"{path}: vocab_size={info.vocab_size} in the sidecar, but the tokenizer has "
                    f"vocab_size={tokenizer.vocab_size}; re-tokenise with this tokenizer"
                )
            fp = tokenizer_fingerprint(tokenizer)
            if fp != info.tokenizer_sha256:
                raise TokenFileError(
                    f"{path}: tokenizer_sha256={info.tokenizer_sha256[:12]}... in the sidecar, "
                    f"but this tokenizer's is {fp[:12]}...: the ids mean different tokens; "
                    "re-tokenise with this tokenizer"
                )
        size = path.stat().st_size
        if size != info.num_tokens * expected.itemsize:
            raise TokenFileError(
                f"{path}: {size} bytes, but num_tokens={info.num_tokens} x {expected.itemsize} "
                f"bytes ({info.dtype}) = {info.num_tokens * expected.itemsize}: truncated or not "
                "this sidecar's file"
            )
        tokens = (
            np.memmap(path, dtype=expected, mode="r", shape=(info.num_tokens,))
            if info.num_tokens
            else np.zeros(0, expected)
        )
        if check_ids and info.num_tokens and int(tokens.max()) >= info.vocab_size:
            bad = int(np.argmax(tokens >= info.vocab_size))
            raise TokenFileError(
                f"{path}: token {bad} has id {int(tokens[bad])} >= vocab_size={info.vocab_size}"
            )
        return cls(path, info, tokens)

    def split(self, val_fraction: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
        """(train, val): the first 1 - val_fraction of the tokens and the rest (views, no copy).

        A contiguous split: the validation text is documents the model never trains on
        (apart from the one document the cut falls in)."""
        if not 0.0 < val_fraction < 1.0:
            raise ValueError(f"val_fraction={val_fraction!r} must be in (0, 1)")
        cut = int(round(len(self.tokens) * (1.0 - val_fraction)))
        return self.tokens[:cut], self.tokens[cut:]


# ------------------------------------------------------------------------------ batching
def check_token_array(tokens: Any, name: str = "tokens", vocab_size: int | None = None) -> None:
    """Raise unless `tokens` is a 1-D array of integer ids (in [0, vocab_size) if given).

    Floats would be truncated to integers without a word by the int64 copy of each window."""
    dtype = getattr(tokens, "dtype", None)
    if dtype is None or getattr(tokens, "ndim", None) != 1:
        raise TypeError(
            f"{name} must be a 1-D numpy array of integer token ids, got {type(tokens).__name__}"
        )
    if not np.issubdtype(dtype, np.integer):
        raise TypeError(
            f"{name} has dtype={dtype}: token ids must be integers (uint16/uint32/int64); "
            "a float array would be truncated silently"
        )
    if vocab_size is not None and len(tokens):
        low, high = int(tokens.min()), int(tokens.max())  # once, where the data enters
        if low < 0 or high >= vocab_size:
            bad = low if low < 0 else high
            raise ValueError(
                f"{name} contains id {bad}, outside the vocabulary [0, {vocab_size - 1}]"
            )


def _check_window(tokens: np.ndarray, batch_size: int, seq_len: int) -> None:
    check_token_array(tokens)
    for name, v in (("batch_size", batch_size), ("seq_len", seq_len)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name}={v!r} must be a positive int")
    if len(tokens) < seq_len + 1:
        raise ValueError(
            f"{len(tokens)} tokens are too few for one window of seq_len={seq_len} "
            f"(need seq_len + 1 = {seq_len + 1}: inputs and their next-token targets)"
        )


def _windows(tokens: np.ndarray, starts: np.ndarray, seq_len: int) -> tuple[torch.Tensor, ...]:
    rows = np.stack([np.asarray(tokens[s : s + seq_len + 1], dtype=np.int64) for s in starts])
    xy = torch.from_numpy(rows)
    return xy[:, :-1], xy[:, 1:]


class _Windows:
    """What both samplers share: batch i is a pure function of i, so the position is `index`."""

    index: int

    def batch(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.batch(self.index)
        self.index += 1
        return out

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        while True:
            yield self.next_batch()


class RandomWindows(_Windows):
    """Training batches: B windows of T + 1 tokens at uniformly random offsets.

    next_batch() -> (x, y), both (B, T) int64, y = x shifted by one token. Batch i depends only
    on (seed, i), so `state_dict()` (the batch index) is the whole data position.
    """

    def __init__(self, tokens: np.ndarray, batch_size: int, seq_len: int, seed: int = 0) -> None:
        _check_window(tokens, batch_size, seq_len)
        self.tokens, self.batch_size, self.seq_len, self.seed = tokens, batch_size, seq_len, seed
        self.index = 0

    def batch(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Batch number i (without moving the position)."""
        rng = np.random.default_rng([self.seed, i])
        starts = rng.integers(0, len(self.tokens) - self.seq_len, size=self.batch_size)
        return _windows(self.tokens, starts, self.seq_len)

    def state_dict(self) -> dict[str, int]:
        return {"kind": "random", "seed": self.seed, "index": self.index}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("kind") != "random" or state.get("seed") != self.seed:
            raise ValueError(
                f"data state {state} does not belong to RandomWindows(seed={self.seed})"
            )
        self.index = int(state["index"])


class SequentialWindows(_Windows):
    """Non-overlapping windows in file order, B per batch, wrapping around at the end.

    Window k covers tokens[k T : k T + T + 1]; batch i holds windows i B .. i B + B - 1 (mod the
    number of windows). Used for evaluation (every token scored once per pass) and for
    training when every token should be seen exactly once per epoch.
    """

    def __init__(self, tokens: np.ndarray, batch_size: int, seq_len: int) -> None:
        _check_window(tokens, batch_size, seq_len)
        self.tokens, self.batch_size, self.seq_len = tokens, batch_size, seq_len
        self.num_windows = (len(tokens) - 1) // seq_len
        self.index = 0

    def batch(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        k = (i * self.batch_size + np.arange(self.batch_size)) % self.num_windows
        return _windows(self.tokens, k * self.seq_len, self.seq_len)

    def epoch(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """One pass: every window once, the last batch smaller if B does not divide them."""
        for s in range(0, self.num_windows, self.batch_size):
            k = np.arange(s, min(s + self.batch_size, self.num_windows))
            yield _windows(self.tokens, k * self.seq_len, self.seq_len)

    def state_dict(self) -> dict[str, int]:
        return {"kind": "sequential", "index": self.index}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("kind") != "sequential":
            raise ValueError(f"data state {state} does not belong to SequentialWindows")
        self.index = int(state["index"])
