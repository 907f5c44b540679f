"""Token embeddings and absolute position embeddings (learned, sinusoidal).

A token id becomes a row of a (vocab_size, d_model) table. Attention itself is blind to order,
so absolute schemes add a position vector to each token vector before the first block:
  * learned (GPT-2): a second table, one row per position up to max_seq_len;
  * sinusoidal (Vaswani et al., 2017): fixed sines and cosines of geometric wavelengths,
    PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d)).
Relative schemes (RoPE, ALiBi) act inside attention instead: see rope.py and alibi.py.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from minillm.kernels._utils import range_check_wanted


def check_ids(ids: Tensor, size: int, what: str) -> None:
    """Raise ValueError unless every entry of the integer tensor `ids` is in [0, size).

    The dtype is always checked; the range where `range_check_wanted` (CPU tensors, or
    MINILLM_DEBUG_CHECKS=1 on a GPU, where a bad id is otherwise a device-side assert)."""
    if ids.dtype.is_floating_point or ids.dtype == torch.bool:
        raise ValueError(f"{what} must be an integer tensor, got dtype={ids.dtype}")
    if not range_check_wanted(ids):
        return
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= size):
        bad = int(ids.min()) if int(ids.min()) < 0 else int(ids.max())
        raise ValueError(f"{what} contains {bad}, outside the valid range [0, {size - 1}]")


class TokenEmbedding(nn.Module):
    """idx: (B, T) int -> (B, T, d_model). Out-of-vocabulary ids raise ValueError (a bare
    nn.Embedding would give an opaque IndexError on CPU and a device assert on CUDA)."""

    def __init__(self, vocab_size: int, d_model: int) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.weight = nn.Parameter(torch.empty(vocab_size, d_model).normal_(0.0, 0.02))

    def forward(self, idx: Tensor) -> Tensor:
        check_ids(idx, self.vocab_size, "token ids")
        return self.weight[idx]

    def extra_repr(self) -> str:
        return f"{self.vocab_size}, {self.weight.shape[1]}"


class LearnedPositionalEmbedding(nn.Module):
    """GPT-2 positions. positions: (T,) or (B, T) int -> (T, d_model) or (B, T, d_model).
    A position >= max_seq_len has no row: it raises ValueError naming the limit."""

    def __init__(self, max_seq_len: int, d_model: int) -> None:
        super().__init__()
        self.max_seq_len = max_seq_len
        self.weight = nn.Parameter(torch.empty(max_seq_len, d_model).normal_(0.0, 0.02))

    def forward(self, positions: Tensor) -> Tensor:
        wanted = range_check_wanted(positions)
        if wanted and positions.numel() and int(positions.max()) >= self.max_seq_len:
            raise ValueError(
                f"position {int(positions.max())} is beyond the learned position table: "
                f"sequences must have length <= max_seq_len={self.max_seq_len} "
                f"(valid positions: [0, {self.max_seq_len - 1}])"
            )
        check_ids(positions, self.max_seq_len, "positions")
        return self.weight[positions]


def sinusoidal_table(positions: Tensor, dim: int, base: float = 10000.0) -> Tensor:
    """positions: (...) -> (..., dim) float32, interleaved sin/cos as in "Attention is all
    you need". Defined for any position, so it extrapolates past the training length."""
    if dim % 2:
        raise ValueError(f"sinusoidal positions need an even dim, got dim={dim}")
    inv_freq = torch.exp(-math.log(base) * torch.arange(0, dim, 2, dtype=torch.float32) / dim)
    angles = positions.to(torch.float32)[..., None] * inv_freq.to(positions.device)
    table = torch.stack((angles.sin(), angles.cos()), dim=-1)  # (..., dim/2, 2)
    return table.flatten(-2)  # sin, cos, sin, cos, ...


class SinusoidalPositionalEmbedding(nn.Module):
    """Fixed (no parameters) sinusoidal positions. positions: (T,) or (B, T) -> (..., d_model)."""

    def __init__(self, d_model: int, base: float = 10000.0) -> None:
        super().__init__()
        self.d_model, self.base = d_model, base

    def forward(self, positions: Tensor) -> Tensor:
        return sinusoidal_table(positions, self.d_model, self.base)

    def extra_repr(self) -> str:
        return f"{self.d_model}, base={self.base}"
