"""Turning the model's next-token logits into a token: the sampling rules, in one place.

    params = SamplingParams(temperature=0.8, top_k=50, top_p=0.95, repetition_penalty=1.1)
    next_ids = sample_next(logits, params, generator, past_ids, past_mask)   # (B,)

The logits pass through the rules in Hugging Face's order, so `generate` here and
`transformers`' `generate` make the same choice for the same distribution:

    repetition penalty -> temperature -> top-k -> top-p -> min-p -> softmax -> draw

  * repetition penalty (Keskar et al., 2019): a token already in the sequence has its logit
    divided by the penalty when positive and multiplied by it when negative;
  * top-k / top-p: `minillm.model.filter_logits` (lesson 04);
  * min-p (Nguyen et al., 2024): drop tokens whose probability is below min_p times the top
    token's, a cut that tightens when the model is sure and loosens when it is not.
Greedy takes the argmax of the penalised logits (the filters cannot change it).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from minillm.model import filter_logits


@dataclass(frozen=True)
class SamplingParams:
    """How to choose each token. The defaults sample from the model's distribution as is."""

    greedy: bool = False
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    min_p: float | None = None
    repetition_penalty: float = 1.0

    def __post_init__(self) -> None:
        if not self.greedy and not self.temperature > 0:
            raise ValueError(f"temperature={self.temperature} must be > 0 (or use greedy=True)")
        top_k_int = isinstance(self.top_k, int) and not isinstance(self.top_k, bool)
        if self.top_k is not None and (not top_k_int or not self.top_k >= 1):
            raise ValueError(f"top_k={self.top_k} must be an integer >= 1 (or None)")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ValueError(f"top_p={self.top_p} must be in (0, 1] (or None)")
        if self.min_p is not None and not 0 <= self.min_p <= 1:
            raise ValueError(f"min_p={self.min_p} must be in [0, 1] (or None)")
        if not self.repetition_penalty > 0:
            raise ValueError(
                f"repetition_penalty={self.repetition_penalty} must be > 0 (1.0 = no penalty, "
                "> 1 discourages repeats)"
            )


def apply_repetition_penalty(
    logits: Tensor, penalty: float, past_ids: Tensor, past_mask: Tensor | None = None
) -> Tensor:
    """logits: (B, V); past_ids: (B, L) the tokens so far; past_mask: (B, L), 0 = padding
    (ignored). Tokens seen in a row: logit / penalty if > 0, logit * penalty if < 0."""
    if penalty == 1.0:
        return logits
    counts = torch.zeros(logits.shape, dtype=torch.int32, device=logits.device)
    ones = torch.ones_like(past_ids, dtype=torch.int32) if past_mask is None else past_mask.int()
    seen = counts.scatter_add_(1, past_ids, ones) > 0  # scatter_add: repeats cannot race
    penalised = torch.where(logits > 0, logits / penalty, logits * penalty)
    return torch.where(seen, penalised, logits)


def min_p_filter(logits: Tensor, min_p: float) -> Tensor:
    """-inf where softmax(logits) < min_p * its maximum (the top token always stays)."""
    probs = torch.softmax(logits, dim=-1)
    cut = min_p * probs.max(dim=-1, keepdim=True).values
    return logits.masked_fill(probs < cut, float("-inf"))


def process_logits(
    logits: Tensor,
    params: SamplingParams,
    past_ids: Tensor | None = None,
    past_mask: Tensor | None = None,
) -> Tensor:
    """logits: (B, V) -> (B, V) float32 after every rule of `params` (-inf = never drawn).
    Greedy applies only the repetition penalty (the argmax is all it needs)."""
    logits = logits.float()
    if params.repetition_penalty != 1.0:
        if past_ids is None:
            raise ValueError("repetition_penalty != 1 needs past_ids (the tokens so far)")
        logits = apply_repetition_penalty(logits, params.repetition_penalty, past_ids, past_mask)
    if params.greedy:
        return logits
    if params.temperature != 1.0:
        logits = logits / params.temperature
    logits = filter_logits(logits, params.top_k, params.top_p)
    if params.min_p:
        logits = min_p_filter(logits, params.min_p)
    return logits


def probabilities(
    logits: Tensor,
    params: SamplingParams,
    past_ids: Tensor | None = None,
    past_mask: Tensor | None = None,
) -> Tensor:
    """(B, V) -> (B, V) the distribution `sample_next` draws from (greedy: one-hot at the
    argmax). Speculative decoding compares these for the draft and the target."""
    logits = process_logits(logits, params, past_ids, past_mask)
    if params.greedy:
        return torch.nn.functional.one_hot(logits.argmax(-1), logits.shape[-1]).float()
    return torch.softmax(logits, dim=-1)


def sample_next(
    logits: Tensor,
    params: SamplingParams,
    generator: torch.Generator | None = None,
    past_ids: Tensor | None = None,
    past_mask: Tensor | None = None,
) -> Tensor:
    """logits: (B, V) -> the next token of each row, (B,) int64."""
    if params.greedy:
        return process_logits(logits, params, past_ids, past_mask).argmax(dim=-1)
    probs = probabilities(logits, params, past_ids, past_mask)
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)
