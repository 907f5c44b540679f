"""Prompt-lookup drafting: guess the next tokens by finding the text's last few tokens earlier
in the text and copying what followed them there (Saxena, "prompt lookup decoding", 2023).

    ngram_propose([5, 8, 2, 9, 5, 8], k=3)   # "5 8" occurred before, followed by 2 9 5
    -> [2, 9, 5]

No draft model and no forward pass: the guess is free, and when the output repeats the prompt
(a question quoted in the answer, names, code being edited, a model stuck in a loop) it is often
right. `speculative_generate(target, "ngram", ...)` verifies the guesses with the target, so the
output is the target's whatever the guesses are; they only change how many tokens each target
forward yields.

Differences from Hugging Face's `PromptLookupCandidateGenerator` (`generate(...,
prompt_lookup_num_tokens=k)`), none of which changes a greedy output (only the speed):
  * here the *most recent* earlier match is used (HF: the first, leftmost one); recent context
    predicts the next tokens better, and in a loop it gives the loop's own period;
  * a continuation that runs into the end of the text continues periodically (the tokens it
    proposes are copied too), so a match always yields k tokens (HF: stops at the end);
  * max_ngram defaults to 3 (HF's max_matching_ngram_size: 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from torch import Tensor

from minillm.inference.checks import check_int


def _as_list(ids: Sequence[int] | Tensor) -> list[int]:
    if isinstance(ids, Tensor):
        if ids.dim() == 2 and ids.shape[0] == 1:
            ids = ids[0]
        if ids.dim() != 1:
            raise ValueError(
                f"ngram_propose: ids.shape={tuple(ids.shape)} must be (T,) or (1, T): one sequence"
            )
        return ids.tolist()
    return list(ids)


def ngram_propose(
    ids: Sequence[int] | Tensor, k: int, max_ngram: int = 3, min_ngram: int = 1
) -> list[int]:
    """Up to k tokens to follow `ids` (a list, or a (T,) / (1, T) tensor of token ids).

    For n = max_ngram down to min_ngram: find the most recent i < T - n with
    ids[i : i + n] == ids[T - n :] (an earlier occurrence of the last n tokens) and propose what
    followed it, ids[i + n], ids[i + n + 1], ...; past the end of `ids` the proposal copies
    itself (position j copies position j - (T - i - n), the match's period), so a match always
    gives k tokens. No match for any n: [] (the caller then decodes one token normally).

    Longer n-grams first: a longer match is stronger evidence that the continuation repeats.
    """
    check_int("k", k, 1)
    check_int("min_ngram", min_ngram, 1)
    check_int("max_ngram", max_ngram, min_ngram)
    seq = _as_list(ids)
    t = len(seq)
    for n in range(min(max_ngram, t - 1), min_ngram - 1, -1):
        tail = seq[t - n :]
        last = tail[-1]
        for i in range(t - n - 1, -1, -1):  # start positions of earlier n-grams, newest first
            if seq[i + n - 1] == last and seq[i : i + n] == tail:
                out = seq[:]  # ext[t + j] = ext[i + n + j]: copies what followed, then itself
                for j in range(k):
                    out.append(out[i + n + j])
                return out[t:]
    return []


@dataclass(frozen=True)
class PromptLookup:
    """The prompt-lookup drafter for `speculative_generate`: `draft="ngram"` is
    `PromptLookup()`; pass `PromptLookup(max_ngram=..., min_ngram=...)` to choose the n-grams."""

    max_ngram: int = 3
    min_ngram: int = 1

    def __post_init__(self) -> None:
        check_int("min_ngram", self.min_ngram, 1)
        check_int("max_ngram", self.max_ngram, self.min_ngram)

    def propose(self, ids: Sequence[int] | Tensor, k: int) -> list[int]:
        """Up to k proposed tokens after ids (see `ngram_propose`)."""
        return ngram_propose(ids, k, self.max_ngram, self.min_ngram)
