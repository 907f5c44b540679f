"""Speculative decoding: a cheap drafter guesses k tokens, the target checks them all in one
forward, and an accept/resample rule keeps exactly the target's output distribution
(Leviathan, Kalman & Matias 2023; Chen et al. 2023).

    out = speculative_generate(target, draft, input_ids, 128, k=4,
                               sampling=SamplingParams(greedy=True))
    out = speculative_generate(target, "ngram", input_ids, 128)      # prompt lookup, no model
    out.sequences, out.acceptance_rate, out.tokens_per_step

Decoding is memory bound (lesson 15): one target forward over k + 1 positions costs about what
a forward over 1 position costs, since both read every weight once. So if the draft's guesses
are often right, each target forward yields several tokens instead of one.

One step, with the sequence x_1..x_L so far (the target's cache holds x_1..x_{L-1}):
  1. the draft proposes d_1..d_k, each drawn from its processed distribution q_j (k cheap
     decode steps; prompt lookup copies tokens, q_j = one-hot);
  2. the target runs once over [x_L, d_1, ..., d_k]: its distributions p_1..p_{k+1} for the
     token after x_L, after d_1, ..., after d_k;
  3. `accept_or_resample` keeps d_1..d_n and adds one token of its own (n + 1 tokens, 1..k+1);
  4. both caches are cropped (`StaticKVCache.crop`) to the kept tokens.

Why the rule keeps p. For one position, with the draft's token x ~ q: accept x with
probability min(1, p(x)/q(x)); otherwise draw from r = max(0, p - q) / sum(max(0, p - q)).
The chance of accepting is beta = sum_y q(y) min(1, p(y)/q(y)) = sum_y min(p(y), q(y)), and
sum_y max(0, p(y) - q(y)) = sum_y (p(y) - min(p(y), q(y))) = 1 - beta. So

    P(out = x) = q(x) min(1, p(x)/q(x)) + (1 - beta) r(x)
               = min(p(x), q(x))        + max(0, p(x) - q(x))   = p(x).

Each kept token is thus distributed as p given the tokens before it, and after a rejection the
step ends, so every later token is drawn with the target's distribution of the prefix actually
kept. If all k are accepted, the bonus token is drawn from p_{k+1}. Greedy (p, q one-hot) is the
special case: keep d_j while it equals the target's argmax, then add the target's argmax, so
the output is token for token the target's greedy output.

p and q are the *processed* distributions (`minillm.inference.sampling.probabilities`: the same
repetition penalty, temperature, top-k, top-p and min-p for both); every random draw uses the
one `generator`, so a seed reproduces the output.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor

from minillm.inference.cache import StaticKVCache
from minillm.inference.generate import _ends_in_stop, _stop_ids, check_token_ids, prefill
from minillm.inference.ngram import PromptLookup
from minillm.inference.sampling import SamplingParams, probabilities, process_logits

Streamer = Callable[[int, Tensor], None]


@dataclass
class SpeculativeOutput:
    """sequences: (1, T + n) the prompt and the n new tokens; new_tokens: [the n tokens];
    finish_reasons: ["eos"], ["stop"] (a stop string) or ["length"]. Statistics: proposed / accepted draft tokens,
    steps (verifying target forwards), target_forwards (steps + the prompt's prefill),
    draft_forwards (0 for prompt lookup), seconds (wall time of the whole call)."""

    sequences: Tensor
    new_tokens: list[list[int]]
    finish_reasons: list[str]
    proposed: int = 0
    accepted: int = 0
    steps: int = 0
    target_forwards: int = 0
    draft_forwards: int = 0
    seconds: float = 0.0
    target_cache: StaticKVCache | None = field(default=None, repr=False)
    draft_cache: StaticKVCache | None = field(default=None, repr=False)

    @property
    def num_new_tokens(self) -> int:
        return sum(len(t) for t in self.new_tokens)

    @property
    def acceptance_rate(self) -> float:
        """accepted / proposed: the fraction of draft tokens the target kept (0 if none)."""
        return self.accepted / self.proposed if self.proposed else 0.0

    @property
    def mean_accepted(self) -> float:
        """Draft tokens kept per verifying step (0..k)."""
        return self.accepted / self.steps if self.steps else 0.0

    @property
    def tokens_per_step(self) -> float:
        """New tokens per verifying target forward (plain decoding: 1)."""
        return self.num_new_tokens / self.steps if self.steps else 0.0


# ---------------------------------------------------------------------- the accept rules
def accept_or_resample(
    p: Tensor, q: Tensor, draft_tokens: Tensor, generator: torch.Generator | None = None
) -> tuple[int, int]:
    """The speculative sampling rule for one step of k draft tokens.

    p: (k + 1, V) the target's distributions after each prefix (row j: the token after the
    first j draft tokens); q: (k, V) the draft's, from which draft_tokens: (k,) were drawn.
    Returns (n, token): draft tokens d_1..d_n are kept and `token` follows them, drawn from
    norm(max(0, p_{n+1} - q_{n+1})) after a rejection at n + 1, or from p_{k+1} if all k pass.
    d_j passes with probability min(1, p_j(d_j) / q_j(d_j)): u * q < p for u ~ U[0, 1).
    """
    k = draft_tokens.shape[0]
    rows = torch.arange(k, device=p.device)
    p_x, q_x = p[rows, draft_tokens], q[rows, draft_tokens]
    u = torch.rand(k, generator=generator, device=p.device)
    n = int((u * q_x < p_x).long().cumprod(0).sum())  # the leading run of accepted tokens
    if n == k:
        dist = p[k]
    else:
        dist = (p[n] - q[n]).clamp(min=0)
        # zero only if p == q (up to rounding), where a rejection has probability ~0: use p
        if not float(dist.sum()) > 0:
            dist = p[n]
    return n, int(torch.multinomial(dist, 1, generator=generator))


def accept_greedy(target_tokens: Tensor, draft_tokens: Tensor) -> tuple[int, int]:
    """Greedy verification. target_tokens: (k + 1,) the target's argmax after each prefix;
    draft_tokens: (k,). Keep d_j while it equals the target's choice, then add the target's
    token: (n, target_tokens[n])."""
    k = draft_tokens.shape[0]
    n = int((draft_tokens == target_tokens[:k]).long().cumprod(0).sum())
    return n, int(target_tokens[n])


# ---------------------------------------------------------------------- checks
def _check_models(target, draft, k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k={k!r} must be an integer >= 1 (draft tokens proposed per step)")
    if draft is None or isinstance(draft, PromptLookup):
        return
    vt, vd = target.config.vocab_size, draft.config.vocab_size
    if vt != vd:
        raise ValueError(
            f"the draft model's vocab_size={vd} differs from the target's vocab_size={vt}: a "
            "draft must share its target's tokenizer (the same token ids)"
        )
    dev_t, dev_d = next(target.parameters()).device, next(draft.parameters()).device
    if dev_t != dev_d:
        raise ValueError(f"the target is on {dev_t} but the draft on {dev_d}; move them together")


def _resolve_draft(draft) -> PromptLookup | torch.nn.Module:
    if isinstance(draft, str):
        if draft != "ngram":
            raise ValueError(f"draft={draft!r}: pass a draft model, 'ngram' or a PromptLookup")
        return PromptLookup()
    if isinstance(draft, PromptLookup) or hasattr(draft, "config"):
        return draft
    raise TypeError(
        f"draft must be a minillm Transformer, 'ngram' or a PromptLookup, got {type(draft).__name__}"
    )


def _cache_for(model, cache: StaticKVCache | None, total: int, which: str) -> StaticKVCache:
    if cache is None:
        return StaticKVCache.for_model(model, 1, total)
    try:
        cache.check_model(model, 1, total)
    except (ValueError, TypeError) as e:
        raise type(e)(f"{which}_cache: {e}") from None
    return cache


def _check_inputs(target, drafter, input_ids, max_new_tokens: int) -> int:
    """Raise unless input_ids is a (1, T) tensor of the target's token ids and T +
    max_new_tokens fits both models' windows; -> T."""
    if not isinstance(input_ids, Tensor) or input_ids.dim() != 2 or input_ids.shape[1] == 0:
        shape = tuple(input_ids.shape) if isinstance(input_ids, Tensor) else type(input_ids)
        raise ValueError(f"input_ids must be a (1, T) tensor of token ids, T >= 1; got {shape}")
    if input_ids.shape[0] != 1:
        raise ValueError(
            f"speculative_generate takes one sequence, input_ids (1, T); got batch size "
            f"{input_ids.shape[0]} (shape {tuple(input_ids.shape)}): run the rows one at a time "
            "or use generate() for batches"
        )
    check_token_ids(input_ids, target.config.vocab_size, max_new_tokens)
    t = input_ids.shape[1]
    models = [("target", target)] + (
        [] if isinstance(drafter, PromptLookup) else [("draft", drafter)]
    )
    for which, model in models:
        window = model.config.max_seq_len
        if t + max_new_tokens > window:
            raise ValueError(
                f"prompt of {t} tokens + max_new_tokens={max_new_tokens} = {t + max_new_tokens} "
                f"exceeds the {which} model's window max_seq_len={window}; shorten the prompt "
                "or lower max_new_tokens"
            )
    return t


# ---------------------------------------------------------------------- generation
def _past(seq: Tensor, length: int, rows: int) -> tuple[Tensor, Tensor]:
    """The repetition penalty's view of `rows` growing prefixes of seq[:length + rows - 1]:
    past_ids (rows, length + rows - 1), past_mask with row j covering the first length + j."""
    width = length + rows - 1
    ids = seq[:width].expand(rows, width)
    mask = (
        torch.arange(width, device=seq.device)
        < (length + torch.arange(rows, device=seq.device))[:, None]
    )
    return ids, mask.long()


@torch.no_grad()
def speculative_generate(
    target: torch.nn.Module,
    draft: torch.nn.Module | str | PromptLookup,
    input_ids: Tensor,
    max_new_tokens: int,
    *,
    k: int = 4,
    sampling: SamplingParams | None = None,
    eos_token_id: int | Sequence[int] | None = None,
    seed: int | None = None,
    generator: torch.Generator | None = None,
    streamer: Streamer | None = None,
    stop_strings: str | Sequence[str] | None = None,
    tokenizer=None,
    target_cache: StaticKVCache | None = None,
    draft_cache: StaticKVCache | None = None,
) -> SpeculativeOutput:
    """Up to max_new_tokens after input_ids (1, T), distributed exactly as the target's own
    sampling (greedy: the same tokens as `generate(target, ...)`), k draft tokens per step.

    draft: a model with the target's vocabulary (a small `Transformer`, e.g.
        `minillm.pretrained.load_draft_model()`), or "ngram" / a `PromptLookup` (copy the
        continuation of an earlier occurrence of the last tokens; `minillm.inference.ngram`).
    sampling: `SamplingParams` for target and draft alike (default: sample at temperature 1).
    eos_token_id: one id or several; generation stops after the first one emitted.
    stop_strings: it also stops once the decoded new text contains one (needs tokenizer).
    seed / generator: every random draw (draft tokens, accept tests, resamples) uses it.
    streamer(i, tokens (1,)): called for each new token in order, i = 0, 1, ...
    target_cache, draft_cache: `StaticKVCache`s to reuse (batch 1, >= T + max_new_tokens
        positions); they are checked before anything is written and reset. On an error during
        generation both are reset, never left with some layers or some tokens half-written.
    Batch 1 only: the acceptance length differs per row, and one cache length serves all rows.
    """
    sampling = SamplingParams() if sampling is None else sampling
    if not isinstance(sampling, SamplingParams):
        raise TypeError(f"sampling must be a SamplingParams, got {type(sampling).__name__}")
    drafter = _resolve_draft(draft)
    lookup = drafter if isinstance(drafter, PromptLookup) else None
    _check_models(target, None if lookup else drafter, k)
    t = _check_inputs(target, drafter, input_ids, max_new_tokens)
    stops = set(_stop_ids(eos_token_id, target.config.vocab_size))
    strings = [stop_strings] if isinstance(stop_strings, str) else list(stop_strings or [])
    if not all(isinstance(x, str) and x for x in strings) or (strings and tokenizer is None):
        raise ValueError(
            f"stop_strings={stop_strings!r} must be non-empty strings and need a tokenizer"
        )
    total = t + max_new_tokens
    device = next(target.parameters()).device
    tcache = _cache_for(target, target_cache, total, "target")
    dcache = None if lookup else _cache_for(drafter, draft_cache, total, "draft")
    if generator is None and seed is not None:
        generator = torch.Generator(device=device).manual_seed(seed)

    # eval mode (no dropout) while generating; train() walks every module, so only if needed
    training = [m for m in ([target] if lookup else [target, drafter]) if m.training]
    for m in training:
        m.eval()
    out = SpeculativeOutput(input_ids, [[]], ["length"], target_cache=tcache, draft_cache=dcache)
    start = time.perf_counter()
    seq = torch.empty(total, dtype=torch.long, device=device)  # every token so far
    seq[:t] = input_ids[0].to(device)
    host = input_ids[0].tolist()  # the same tokens on the host (for prompt lookup)
    penalty = sampling.repetition_penalty != 1.0
    try:
        tcache.reset()
        if dcache is not None:
            dcache.reset()
        if t > 1 and max_new_tokens:  # the target's cache: every token but the last
            prefill(target, input_ids[:, :-1].to(device), tcache)
            out.target_forwards += 1
        length = t  # tokens so far
        while length < total:
            room = total - length - 1  # draft tokens that leave room for the target's own
            if lookup is not None:
                draft_tokens = lookup.propose(host, min(k, room)) if room else []
                d = torch.tensor(draft_tokens, dtype=torch.long, device=device)
                q = None
            else:
                d, q = _propose(drafter, dcache, seq, length, min(k, room), sampling, generator)
                out.draft_forwards += d.shape[0]
            n_draft = d.shape[0]
            seq[length : length + n_draft] = d
            # the target over x_L, d_1..d_k: (k + 1, V), row j the logits after d_1..d_j
            logits = target(seq[length - 1 : length + n_draft][None], kv_cache=tcache).logits[0]
            out.target_forwards += 1
            out.steps += 1
            past = _past(seq, length, n_draft + 1) if penalty else (None, None)
            if sampling.greedy:
                choice = process_logits(logits, sampling, *past).argmax(-1)
                n, extra = accept_greedy(choice, d)
            else:
                p = probabilities(logits, sampling, *past)
                if q is None:  # copied tokens: the drafter's distribution is a one-hot
                    q = torch.nn.functional.one_hot(d, p.shape[-1]).float()
                n, extra = accept_or_resample(p, q, d, generator)
            out.proposed += n_draft
            out.accepted += n
            new = d[:n].tolist() + [extra]
            seq[length + n] = extra
            tcache.crop(length + n)  # x_1..x_L, d_1..d_n: all but the newest token
            if dcache is not None:
                dcache.crop(min(dcache.seq_len(0), length + n))
            for tok in new:
                if streamer is not None:
                    streamer(len(out.new_tokens[0]), torch.tensor([tok], device=device))
                out.new_tokens[0].append(tok)
                host.append(tok)
                length += 1
                if tok in stops:
                    out.finish_reasons[0] = "eos"
                elif strings and _ends_in_stop(tokenizer, out.new_tokens[0], strings):
                    out.finish_reasons[0] = "stop"
                else:
                    continue
                break
            if out.finish_reasons[0] != "length":
                break
    except BaseException:
        tcache.reset()
        if dcache is not None:
            dcache.reset()
        raise
    finally:
        for m in training:
            m.train()
    out.sequences = seq[:length][None].clone()
    out.seconds = time.perf_counter() - start
    return out


def _propose(
    draft, cache: StaticKVCache, seq: Tensor, length: int, k: int, sampling: SamplingParams,
    generator: torch.Generator | None,
) -> tuple[Tensor, Tensor | None]:  # fmt: skip
    """k tokens from the draft model after seq[:length], -> (tokens (k,), q (k, V) or None
    when greedy). The draft's cache is first brought up to seq[:length] (it lags by one or
    two tokens: the target's extra token, and the last accepted draft token it never ran)."""
    if k == 0:
        return seq[:0], None
    tokens, dists = [], []
    pos = length
    logits = prefill(draft, seq[cache.seq_len(0) : length][None], cache)
    for j in range(k):
        if j:
            logits = prefill(draft, tokens[-1].view(1, 1), cache)
        past = (seq[:pos][None], None) if sampling.repetition_penalty != 1.0 else (None, None)
        if sampling.greedy:
            tok = process_logits(logits, sampling, *past).argmax(-1)
        else:
            dist = probabilities(logits, sampling, *past)
            tok = torch.multinomial(dist, 1, generator=generator).view(1)
            dists.append(dist[0])
        tokens.append(tok.view(1))
        seq[pos] = tok
        pos += 1
    return torch.cat(tokens), (torch.stack(dists) if dists else None)
