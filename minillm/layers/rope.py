"""Rotary position embeddings (RoPE, Su et al. 2021), in the rotate-half (GPT-NeoX / HF
Llama) layout.

Each head vector is split into D/2 pairs (x[i], x[i + D/2]); pair i at position p is rotated
by the angle p * inv_freq[i], with inv_freq[i] = theta^(-2i/D). Rotating q at position m and k
at position n makes q.k depend only on the offset m - n: attention sees relative positions
although each token is rotated by its own absolute position. Positions are per token (T,) or
per sequence (B, T), so cached decoding and continuous batching work without change.

The `rope_scaling` hook (lesson 05: context extension) maps a config dict such as
{"type": "linear", "factor": 4.0} to a function that rewrites the frequencies; register more
with `register_rope_scaling` (NTK-aware, YaRN, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from minillm.kernels import ops

# fn(inv_freq, scaling_config) -> (new inv_freq, attention_factor multiplying cos and sin)
RopeScalingFn = Callable[[Tensor, dict[str, Any]], tuple[Tensor, float]]
ROPE_SCALING: dict[str, RopeScalingFn] = {}


def register_rope_scaling(name: str) -> Callable[[RopeScalingFn], RopeScalingFn]:
    """Decorator adding a RoPE scaling variant under `name` (the "type" in rope_scaling)."""

    def add(fn: RopeScalingFn) -> RopeScalingFn:
        ROPE_SCALING[name] = fn
        return fn

    return add


@register_rope_scaling("linear")
def _linear_scaling(inv_freq: Tensor, cfg: dict[str, Any]) -> tuple[Tensor, float]:
    """Position interpolation (Chen et al., 2023): squeeze positions by `factor`, i.e. divide
    every frequency by it, so a longer context maps onto the trained angle range."""
    factor = float(cfg.get("factor", 0))
    if factor < 1:
        raise ValueError(f"rope_scaling 'linear' needs factor >= 1, got {cfg.get('factor')!r}")
    return inv_freq / factor, 1.0


def rope_frequencies(head_dim: int, theta: float = 10000.0) -> Tensor:
    """inv_freq: (head_dim // 2,) float32, theta^(-2i/head_dim) for i = 0 .. head_dim/2 - 1."""
    if head_dim % 2:
        raise ValueError(f"RoPE needs an even head_dim, got head_dim={head_dim}")
    return 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)


class RotaryEmbedding(nn.Module):
    """Computes the half-size cos/sin tables for given positions.

    forward(positions: (T,) or (B, T) int) -> (cos, sin), each (T, D/2) or (B, T, D/2),
    ready for `apply_rope`. No table is cached: angles are recomputed from positions, so any
    position works (extrapolation is lesson 05's subject, not an error here).
    """

    def __init__(
        self, head_dim: int, theta: float = 10000.0, rope_scaling: dict[str, Any] | None = None
    ) -> None:
        super().__init__()
        inv_freq, self.attention_factor = rope_frequencies(head_dim, theta), 1.0
        if rope_scaling is not None:
            kind = rope_scaling.get("type")
            if kind not in ROPE_SCALING:
                raise ValueError(
                    f"rope_scaling type={kind!r} is unknown; valid: {sorted(ROPE_SCALING)}"
                )
            inv_freq, self.attention_factor = ROPE_SCALING[kind](inv_freq, rope_scaling)
        self.head_dim, self.theta, self.rope_scaling = head_dim, theta, rope_scaling
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(
        self, positions: Tensor, dtype: torch.dtype = torch.float32
    ) -> tuple[Tensor, Tensor]:
        # Angles in float32 even for half-precision models: p * inv_freq loses all its
        # precision in fp16/bf16 once p reaches a few thousand.
        angles = positions.to(torch.float32)[..., None] * self.inv_freq.to(positions.device)
        cos = angles.cos() * self.attention_factor
        sin = angles.sin() * self.attention_factor
        return cos.to(dtype), sin.to(dtype)

    def extra_repr(self) -> str:
        return f"head_dim={self.head_dim}, theta={self.theta}, scaling={self.rope_scaling}"


def apply_rope(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotate x: (B, H, T, D) by the tables cos, sin: (T, D/2) or (B, T, D/2).

    With x1 = x[..., :D/2] and x2 = x[..., D/2:]: out = cat(x1 cos - x2 sin, x2 cos + x1 sin).
    Dispatches to `ops.apply_rope` (a Triton kernel on CUDA, this formula on CPU).
    """
    return ops.apply_rope(x, cos, sin)
