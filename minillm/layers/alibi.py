"""ALiBi: attention with linear biases (Press et al., 2022).

No position vectors at all: each head adds -slope * distance to its attention scores, so a key
d tokens in the past is penalised linearly in d. Heads get geometric slopes, steep (local
heads) to shallow (long-range heads): for 8 heads 2^-1, 2^-2, ..., 2^-8.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def alibi_slopes(n_heads: int) -> Tensor:
    """(n_heads,) float32 slopes as in the paper's code and HF Bloom.

    For a power of two n: start = 2^(-8/n), slopes = start^1 .. start^n. Otherwise take the n'
    slopes of the largest power of two n' < n, and fill up with every other slope of 2n'
    (so the extra heads interleave between the existing ones).
    """
    if n_heads < 1:
        raise ValueError(f"n_heads={n_heads} must be >= 1")

    def power_of_two(n: int) -> list[float]:
        start = 2.0 ** (-8.0 / n)
        return [start ** (i + 1) for i in range(n)]

    closest = 2 ** math.floor(math.log2(n_heads))
    slopes = power_of_two(closest)
    if closest != n_heads:
        slopes += power_of_two(2 * closest)[0::2][: n_heads - closest]
    return torch.tensor(slopes, dtype=torch.float32)


def alibi_bias(slopes: Tensor, q_positions: Tensor, k_positions: Tensor) -> Tensor:
    """Additive score bias slope_h * (k_pos - q_pos): 0 on the diagonal, -slope * d for a key
    d steps in the past (future keys get a positive value, but the causal mask removes them).

    slopes: (H,); q_positions: (T,) or (B, T); k_positions: (S,) or (B, S).
    Returns (H, T, S), or (B, H, T, S) if any positions are batched; float32.
    """
    rel = k_positions[..., None, :].float() - q_positions[..., :, None].float()  # (..., T, S)
    return slopes.to(rel.device)[:, None, None] * rel.unsqueeze(-3)
