"""Generation with a KV cache: one prefill over the prompt, then one cheap decode step per token.

    out = generate(model, input_ids, 64, attention_mask=mask, eos_token_id=eot,
                   sampling=SamplingParams(temperature=0.8, top_p=0.95), seed=0)
    out.sequences, out.new_tokens, out.finish_reasons

Without a cache every new token reruns the model over the whole sequence: O(T) work per token,
O(T^2) for the answer. With one, the prompt is run once (prefill: a big, compute-bound batch of
T positions) and each later token runs the model on that single position (decode: a (B, 1)
input whose attention reads the cached keys and values). Decode reads every weight once per
step for only B tokens of work, which is why it is memory bound (lesson 15).

Batches of prompts of different lengths are left-padded: pad positions have attention_mask 0,
every real token's position is its index among the row's real tokens (cumsum(mask) - 1), so a
row computes exactly what it would alone. All rows then grow in step; a row that is done (EOS,
a stop string) keeps being fed its pad token, which nothing attends to, until every row is done
or max_new_tokens are made.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor

from minillm.inference.cache import StaticKVCache
from minillm.inference.compiled import compiled_decode_step
from minillm.inference.sampling import SamplingParams, sample_next

Streamer = Callable[[int, Tensor], None]


@dataclass
class GenerationOutput:
    """sequences: (B, T + n) prompt and new tokens (a finished row is filled with pad_token_id);
    new_tokens: each row's new tokens up to and including its EOS or stop string;
    finish_reasons: per row "eos", "stop" (a stop string) or "length" (max_new_tokens)."""

    sequences: Tensor
    new_tokens: list[list[int]]
    finish_reasons: list[str]
    prefill_seconds: float = 0.0
    decode_seconds: float = 0.0
    decode_steps: int = 0
    cache: StaticKVCache | None = field(default=None, repr=False)

    @property
    def num_new_tokens(self) -> int:
        return sum(len(t) for t in self.new_tokens)


def _forward(model, tokens: Tensor, cache: StaticKVCache, attention_mask, positions) -> Tensor:
    """The model on `tokens` with the cache; on any error the cache is rolled back to where it
    was, so it is never left holding some layers' keys but not others'."""
    before = cache.seq_len(0)
    try:
        out = model(tokens, attention_mask=attention_mask, positions=positions, kv_cache=cache)
    except BaseException:  # KeyboardInterrupt too: a learner stopping a cell mid-step
        cache.crop(before)  # layers only grow, so every layer holds at least `before`
        raise
    return out.logits[:, -1]


@torch.no_grad()
def prefill(
    model, input_ids: Tensor, cache: StaticKVCache, attention_mask: Tensor | None = None,
    positions: Tensor | None = None,
) -> Tensor:  # fmt: skip
    """Run the prompt (B, T) through the model, filling the cache; -> logits (B, V) of the last
    position. attention_mask: (B, cached + T), 0 = padding; positions: (B, T) or (T,)."""
    return _forward(model, input_ids, cache, attention_mask, positions)


@torch.no_grad()
def decode_step(
    model, tokens: Tensor, cache: StaticKVCache, attention_mask: Tensor | None = None,
    positions: Tensor | None = None,
) -> Tensor:  # fmt: skip
    """One new token per row, tokens: (B, 1), attending to the cache; -> logits (B, V)."""
    return _forward(model, tokens, cache, attention_mask, positions)


def left_pad(rows: Sequence[Sequence[int]], pad_token_id: int = 0) -> tuple[Tensor, Tensor]:
    """Token lists of different lengths -> (input_ids, attention_mask), both (B, T_max),
    padded on the left (so every row's next token goes in the same column)."""
    if not rows or any(len(r) == 0 for r in rows):
        raise ValueError("left_pad: every prompt needs at least one token")
    t = max(len(r) for r in rows)
    ids = torch.full((len(rows), t), pad_token_id, dtype=torch.long)
    mask = torch.zeros((len(rows), t), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, t - len(r) :] = torch.as_tensor(list(r), dtype=torch.long)
        mask[i, t - len(r) :] = 1
    return ids, mask


def check_token_ids(input_ids: Tensor, vocab: int, max_new_tokens: int) -> None:
    """input_ids: integer ids in 0..vocab-1 (any shape); max_new_tokens: an int >= 0."""
    if input_ids.dtype.is_floating_point or input_ids.dtype == torch.bool:
        raise ValueError(f"input_ids must hold integer token ids, got dtype={input_ids.dtype}")
    if (
        isinstance(max_new_tokens, bool)
        or not isinstance(max_new_tokens, int)
        or max_new_tokens < 0
    ):
        raise ValueError(f"max_new_tokens={max_new_tokens!r} must be an integer >= 0")
    if input_ids.numel() and (int(input_ids.min()) < 0 or int(input_ids.max()) >= vocab):
        bad = input_ids[(input_ids < 0) | (input_ids >= vocab)][0]
        raise ValueError(f"input_ids contain {int(bad)}; valid token ids: 0..{vocab - 1}")


def _check_prompt(model, input_ids, attention_mask, max_new_tokens, truncate):
    if not isinstance(input_ids, Tensor) or input_ids.dim() != 2 or input_ids.shape[1] == 0:
        shape = tuple(input_ids.shape) if isinstance(input_ids, Tensor) else type(input_ids)
        raise ValueError(f"input_ids must be a (B, T) tensor of token ids with T >= 1, got {shape}")
    check_token_ids(input_ids, model.config.vocab_size, max_new_tokens)
    if attention_mask is not None:
        if tuple(attention_mask.shape) != tuple(input_ids.shape):
            raise ValueError(
                f"attention_mask.shape={tuple(attention_mask.shape)} must equal "
                f"input_ids.shape={tuple(input_ids.shape)}"
            )
        if not bool(((attention_mask == 0) | (attention_mask == 1)).all()):
            raise ValueError(
                "attention_mask must hold only 0 (padding) and 1 (real token); got values "
                f"{sorted(set(attention_mask.unique().tolist()) - {0, 1})}"
            )
        m = attention_mask.bool()
        if not bool(m.any(dim=1).all()):
            raise ValueError("attention_mask: every row needs at least one real token (a 1)")
        # left padding only: once a row's real tokens start, they run to the end
        if not bool((m.int().diff(dim=1) >= 0).all()):
            raise ValueError(
                "attention_mask must be left padding (0s then 1s in every row): generation "
                "appends every row's next token in the same last column; use left_pad(rows)"
            )
    window = model.config.max_seq_len
    t = input_ids.shape[1]
    if t + max_new_tokens > window:
        keep = window - max_new_tokens
        if not truncate or keep < 1:
            raise ValueError(
                f"prompt of {t} tokens + max_new_tokens={max_new_tokens} = {t + max_new_tokens} "
                f"exceeds the model's window max_seq_len={window}; shorten the prompt, lower "
                "max_new_tokens, or pass truncate=True to keep the prompt's last "
                f"{max(keep, 0)} tokens"
                + ("" if keep >= 1 else " (impossible here: max_new_tokens alone fills the window)")
            )
        input_ids = input_ids[:, -keep:]
        # left padding ends every row with a real token, so each kept row still has one
        attention_mask = None if attention_mask is None else attention_mask[:, -keep:]
    return input_ids, attention_mask


def _is_token(i, vocab: int) -> bool:
    return isinstance(i, int) and not isinstance(i, bool) and 0 <= i < vocab


def _stop_ids(eos_token_id: int | Sequence[int] | None, vocab: int) -> list[int]:
    if eos_token_id is None:
        return []
    one = isinstance(eos_token_id, int) or not isinstance(eos_token_id, Sequence)
    ids = [eos_token_id] if one else list(eos_token_id)
    if not all(_is_token(i, vocab) for i in ids):
        raise ValueError(
            f"eos_token_id={eos_token_id!r} must be a token id or a list of them (ids in "
            f"0..{vocab - 1})"
        )
    return ids


def _stop_strings(stop_strings: str | Sequence[str] | None, tokenizer) -> list[str]:
    if stop_strings is None:
        return []
    strings = [stop_strings] if isinstance(stop_strings, str) else list(stop_strings)
    if not all(isinstance(s, str) and s for s in strings):
        raise ValueError(f"stop_strings={stop_strings!r} must be non-empty strings")
    if strings and tokenizer is None:
        raise ValueError("stop_strings need a tokenizer (to decode the new tokens)")
    return strings


@torch.no_grad()
def generate(
    model,
    input_ids: Tensor,
    max_new_tokens: int,
    *,
    attention_mask: Tensor | None = None,
    sampling: SamplingParams | None = None,
    eos_token_id: int | Sequence[int] | None = None,
    pad_token_id: int | None = None,
    stop_strings: str | Sequence[str] | None = None,
    tokenizer=None,
    seed: int | None = None,
    generator: torch.Generator | None = None,
    streamer: Streamer | None = None,
    cache: StaticKVCache | None = None,
    cache_dtype: torch.dtype | None = None,
    truncate: bool = False,
    compile: bool = False,
) -> GenerationOutput:
    """Generate up to max_new_tokens per row of input_ids (B, T) with a KV cache.

    attention_mask: (B, T), 1 = real token, 0 = left padding (see `left_pad`).
    sampling: `SamplingParams` (default: sample at temperature 1); seed or generator make it
        reproducible. eos_token_id: one id or several; a row stops after emitting one.
    stop_strings: a row also stops once its decoded new text contains one (needs tokenizer).
    streamer(step, tokens): called with each step's new tokens (B,) as they are made.
    cache: a `StaticKVCache` to reuse (reset first); default: a new one sized T +
        max_new_tokens in cache_dtype (default: the model's dtype).
    truncate: a prompt that with max_new_tokens overflows the window keeps its last tokens
        instead of raising.
    compile: decode through `torch.compile`d static-shape steps (`minillm.inference.compiled`):
        the same tokens, several times faster per token on a small model, after a one-time
        compilation per model and batch size (tens of seconds on a CPU).
    """
    sampling = SamplingParams() if sampling is None else sampling
    if not isinstance(sampling, SamplingParams):
        raise TypeError(f"sampling must be a SamplingParams, got {type(sampling).__name__}")
    input_ids, attention_mask = _check_prompt(
        model, input_ids, attention_mask, max_new_tokens, truncate
    )
    vocab = model.config.vocab_size
    stops = _stop_ids(eos_token_id, vocab)
    stop_strings = _stop_strings(stop_strings, tokenizer)
    if pad_token_id is not None and not _is_token(pad_token_id, vocab):
        raise ValueError(f"pad_token_id={pad_token_id!r} must be a token id in 0..{vocab - 1}")
    pad = pad_token_id if pad_token_id is not None else (stops[0] if stops else 0)
    b, t = input_ids.shape
    device = next(model.parameters()).device
    input_ids = input_ids.to(device)
    total = t + max_new_tokens
    if cache is None:
        cache = StaticKVCache.for_model(model, b, total, dtype=cache_dtype)
    else:
        cache.check_model(model, b, total)
        cache.reset()
    if generator is None and seed is not None:
        generator = torch.Generator(device=device).manual_seed(seed)

    # One buffer for every token so far (the repetition penalty reads it) and one for the mask.
    tokens = torch.full((b, total), pad, dtype=torch.long, device=device)
    tokens[:, :t] = input_ids
    padded = attention_mask is not None and not bool(attention_mask.bool().all())
    mask = positions = None
    if padded:
        mask = torch.ones((b, total), dtype=torch.long, device=device)
        mask[:, :t] = attention_mask.to(device)
        positions = (mask[:, :t].cumsum(-1) - 1).clamp(min=0)
    key_mask = None
    if compile:  # the static step attends over the whole buffer: a mask of the slots written
        key_mask = torch.zeros((b, cache.max_len), dtype=torch.long, device=device)
        key_mask[:, :t] = 1 if attention_mask is None else attention_mask.to(device)
    new: list[list[int]] = [[] for _ in range(b)]
    reasons = ["length"] * b
    done = [False] * b
    was_training = model.training
    model.eval()
    try:
        start = time.perf_counter()
        logits = prefill(model, input_ids, cache, None if mask is None else mask[:, :t], positions)
        prefill_seconds = time.perf_counter() - start
        if compile and positions is None:  # the static step takes each row's position
            positions = torch.full((b, 1), t - 1, dtype=torch.long, device=device)
        start = time.perf_counter()
        steps = 0
        for i in range(max_new_tokens):
            n = t + i  # tokens so far
            past_mask = None if mask is None else mask[:, :n]
            next_ids = sample_next(logits, sampling, generator, tokens[:, :n], past_mask)
            if any(done):
                next_ids = torch.where(torch.tensor(done, device=device), pad, next_ids)
            tokens[:, n] = next_ids
            steps = i + 1
            if streamer is not None:
                streamer(i, next_ids)
            for row, tok in enumerate(next_ids.tolist()):  # the one host read per step
                if done[row]:
                    continue
                new[row].append(tok)
                if tok in stops:
                    done[row], reasons[row] = True, "eos"
                elif stop_strings and _ends_in_stop(tokenizer, new[row], stop_strings):
                    done[row], reasons[row] = True, "stop"
            if all(done) or i == max_new_tokens - 1:
                break
            if positions is not None:
                positions = positions[:, -1:] + 1
            if compile:
                key_mask[:, n] = 1
                logits = compiled_decode_step(model, tokens[:, n : n + 1], cache, positions,
                                              key_mask)  # fmt: skip
                continue
            logits = decode_step(model, tokens[:, n : n + 1], cache,
                                 None if mask is None else mask[:, : n + 1], positions)  # fmt: skip
        decode_seconds = time.perf_counter() - start
    finally:
        model.train(was_training)
    return GenerationOutput(
        tokens[:, : t + steps], new, reasons, prefill_seconds, decode_seconds, steps, cache
    )


def _ends_in_stop(tokenizer, row: list[int], stop_strings: Sequence[str]) -> bool:
    """Whether the row's new text contains a stop string; only the tail that could hold one
    that the newest token completed is decoded."""
    # A token is at least one byte and a character at most four: the last 4 * longest tokens
    # hold any stop string the newest token can have completed (earlier ones stopped earlier).
    longest = max(len(s) for s in stop_strings)
    tail = tokenizer.decode(row[-4 * longest :])
    return any(s in tail for s in stop_strings)
