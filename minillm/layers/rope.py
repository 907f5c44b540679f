"""Rotary position embeddings (RoPE, Su et al. 2021), in the rotate-half (GPT-NeoX / HF
Llama) layout, and the ways to stretch them past the trained context (lesson 05).

Each head vector is split into D/2 pairs (x[i], x[i + D/2]); pair i at position p is rotated
by the angle p * inv_freq[i], with inv_freq[i] = theta^(-2i/D). Rotating q at position m and k
at position n makes q.k depend only on the offset m - n: attention sees relative positions
although each token is rotated by its own absolute position. Positions are per token (T,) or
per sequence (B, T), so cached decoding and continuous batching work without change.

Context extension rewrites the frequencies (`rope_scaling` in ModelConfig, a dict with a
"type"), the same formulas as Hugging Face's `ROPE_INIT_FUNCTIONS`:
  linear   position interpolation (Chen et al. 2023): every frequency / factor.
  ntk      "NTK-aware" (bloc97, 2023): a larger base, theta * factor^(D/(D-2)); high
           frequencies (local order) barely move, the lowest is interpolated by ~factor.
  dynamic  dynamic NTK (emozilla): ntk with a factor that grows with the current length
           L beyond original_max_seq_len; no change at all within the trained context.
  yarn     YaRN (Peng et al. 2023): per-frequency blend - keep the fast dimensions,
           interpolate the slow ones, ramp in between - plus an attention temperature
           (cos and sin scaled by 0.1 ln(factor) + 1, so logits by its square).
Which types exist and what their dicts may hold is the config's schema (`minillm.rope_scaling`,
no torch); this module holds the formulas. Register more with
`@register_rope_scaling(name, keys=...)`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from minillm.kernels import ops
from minillm.rope_scaling import (
    ROPE_SCALING_TYPES,
    add_rope_scaling_type,
    check_rope_scaling,
    original_max_seq_len,
    scaling_factor,
    yarn_betas,
)

# fn(head_dim, theta, scaling_config, seq_len) -> (inv_freq: (D/2,), attention_factor).
# seq_len is the current length (max position + 1); only "dynamic" types use it.
RopeScalingFn = Callable[[int, float, dict[str, Any], int | None], tuple[Tensor, float]]
ROPE_SCALING: dict[str, RopeScalingFn] = {}  # the formula of each type in ROPE_SCALING_TYPES


def register_rope_scaling(
    name: str, keys: tuple[str, ...] | None = None, dynamic: bool = False
) -> Callable[[RopeScalingFn], RopeScalingFn]:
    """Decorator adding the formula for the rope_scaling type `name` (its "type").

    A type the schema (`minillm.rope_scaling`) does not know yet is declared there with
    keys: the dict keys it accepts besides "type" (default: just "factor"); anything else is
    rejected as a typo; dynamic: the frequencies depend on the current sequence length.
    """

    def add(fn: RopeScalingFn) -> RopeScalingFn:
        if name not in ROPE_SCALING_TYPES or keys is not None:
            add_rope_scaling_type(name, keys or ("factor",), dynamic)
        ROPE_SCALING[name] = fn
        return fn

    return add


def rope_frequencies(head_dim: int, theta: float = 10000.0) -> Tensor:
    """inv_freq: (head_dim // 2,) float32, theta^(-2i/head_dim) for i = 0 .. head_dim/2 - 1."""
    if head_dim % 2:
        raise ValueError(f"RoPE needs an even head_dim, got head_dim={head_dim}")
    return 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)


# -------------------------------------------------------------------- the variants
@register_rope_scaling("linear")
def linear_scaling(head_dim: int, theta: float, cfg: dict[str, Any], seq_len=None):
    """Position interpolation: positions squeezed by `factor`, i.e. every frequency / factor,
    so L * factor tokens map onto the angle range seen in training."""
    return rope_frequencies(head_dim, theta) / scaling_factor(cfg), 1.0


@register_rope_scaling("ntk")
def ntk_scaling(head_dim: int, theta: float, cfg: dict[str, Any], seq_len=None):
    """NTK-aware scaling: base theta * factor^(D/(D-2)). The lowest frequency is divided by
    exactly `factor` (as linear would), the highest is unchanged, geometric in between."""
    factor = scaling_factor(cfg)
    return rope_frequencies(head_dim, theta * factor ** (head_dim / (head_dim - 2))), 1.0


@register_rope_scaling("dynamic")
def dynamic_ntk_scaling(head_dim: int, theta: float, cfg: dict[str, Any], seq_len=None):
    """Dynamic NTK: NTK with alpha = factor * L / L0 - (factor - 1) for the current length
    L = max(seq_len, L0), so sequences within the trained L0 get plain RoPE (alpha = 1).

    HF computes the same frequencies but keeps the largest ones it has grown to until a
    sequence shorter than L0 resets them; here they are a function of the positions only.
    """
    factor, original = scaling_factor(cfg), original_max_seq_len(cfg)
    if seq_len is None:
        return rope_frequencies(head_dim, theta), 1.0
    # seq_len may be a 0-d tensor on the model's device (RotaryEmbedding passes one, so the
    # forward never reads the positions back to the host); the arithmetic is the same.
    length = torch.as_tensor(seq_len).clamp(min=original)
    # float32 arithmetic in HF's order: angles reach the hundreds, where the last bit of the
    # base already moves cos/sin by ~1e-5
    alpha = (length.double() * factor).float() / original - (factor - 1)
    base = theta * alpha ** (head_dim / (head_dim - 2))
    exponents = torch.arange(0, head_dim, 2, dtype=torch.float32, device=length.device)
    scaled = 1.0 / base[..., None] ** (exponents / head_dim)
    plain = rope_frequencies(head_dim, theta).to(length.device)
    return torch.where(length > original, scaled, plain), 1.0  # within L0: plain RoPE


def yarn_attention_factor(factor: float, mscale: float = 1.0) -> float:
    """YaRN's temperature sqrt(1/t) = 0.1 * mscale * ln(factor) + 1 (1 when factor <= 1)."""
    return 1.0 if factor <= 1 else 0.1 * mscale * math.log(factor) + 1.0


@register_rope_scaling("yarn")
def yarn_scaling(head_dim: int, theta: float, cfg: dict[str, Any], seq_len=None):
    """YaRN "NTK-by-parts" + temperature.

    Dimension i makes r_i = L0 * inv_freq[i] / (2 pi) turns over the trained context L0.
    Dimensions with r_i > beta_fast (32) turns keep their frequency (extrapolate: they saw
    every angle in training); those with r_i < beta_slow (1 turn) are interpolated by
    `factor`; a linear ramp over the dimension index blends the two in between.
    """
    factor, original = scaling_factor(cfg), original_max_seq_len(cfg)
    beta_fast, beta_slow = yarn_betas(cfg)
    attention_factor = cfg.get("attention_factor")
    if attention_factor is None:
        mscale, mscale_all = cfg.get("mscale"), cfg.get("mscale_all_dim")
        attention_factor = yarn_attention_factor(factor)
        if mscale and mscale_all:  # DeepSeek's variant: a ratio of two temperatures
            attention_factor = yarn_attention_factor(factor, mscale) / yarn_attention_factor(
                factor, mscale_all
            )

    if not theta > 1:  # the ramp is placed in units of log(theta): 0 at theta = 1
        raise ValueError(f"rope_scaling 'yarn' needs rope_theta > 1, got rope_theta={theta!r}")

    def dim_for_turns(turns: float) -> float:  # the (fractional) dim index making `turns`
        return head_dim * math.log(original / (turns * 2 * math.pi)) / (2 * math.log(theta))

    low, high = dim_for_turns(beta_fast), dim_for_turns(beta_slow)
    if cfg.get("truncate", True):
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, head_dim - 1)
    if low == high:
        high += 0.001  # avoid a zero-width ramp
    ramp = ((torch.arange(head_dim // 2, dtype=torch.float32) - low) / (high - low)).clamp(0, 1)
    extrapolate = 1 - ramp  # 1 for the fast dims (keep), 0 for the slow ones (interpolate)
    inv_freq = rope_frequencies(head_dim, theta)
    inv_freq = (inv_freq / factor) * (1 - extrapolate) + inv_freq * extrapolate
    return inv_freq, float(attention_factor)


# -------------------------------------------------------------------- the module
class RotaryEmbedding(nn.Module):
    """Computes the half-size cos/sin tables for given positions.

    forward(positions: (T,) or (B, T) int) -> (cos, sin), each (T, D/2) or (B, T, D/2),
    ready for `apply_rope`. inv_freq stays float32 whatever the model's dtype (see `_apply`:
    unlike Hugging Face, whose buffer is rounded by ``model.to(bf16)``), and the angles are
    computed in float32. No table is cached: angles are recomputed from positions, so any
    position works (extrapolation is lesson 05's subject, not an error here). With a
    rope_scaling dict the frequencies are rescaled and cos, sin multiplied by the variant's
    attention factor (YaRN's temperature; 1 otherwise).
    """

    def __init__(
        self, head_dim: int, theta: float = 10000.0, rope_scaling: dict[str, Any] | None = None
    ) -> None:
        super().__init__()
        check_rope_scaling(rope_scaling)
        self.head_dim, self.theta, self.rope_scaling = head_dim, theta, rope_scaling
        self.kind = None if rope_scaling is None else rope_scaling["type"]
        inv_freq, self.attention_factor = self._frequencies(None)
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def _apply(self, fn, recurse=True):
        """Keep inv_freq float32 through ``model.to(torch.bfloat16)`` / ``.half()``.

        A bf16 inv_freq is off by up to 2^-9 relative, which at position 8000 moves the angle
        by radians (head_dim 64, theta 1e4: cos off by up to 0.75 at position 4000, 1.3 at
        8000). Hugging Face's rotary embeddings do let their inv_freq buffer be cast with the
        model, so a bf16 model here and there differ at long positions; in float32 the two
        are the same. The buffer follows device moves; its values are recomputed from the
        config, never taken from a rounded copy."""
        super()._apply(fn, recurse)
        if self.inv_freq.dtype != torch.float32:
            fresh = self._frequencies(None)[0]
            self.inv_freq = fresh.to(self.inv_freq.device)
        return self

    def _frequencies(self, seq_len: int | None) -> tuple[Tensor, float]:
        if self.kind is None:
            return rope_frequencies(self.head_dim, self.theta), 1.0
        return ROPE_SCALING[self.kind](self.head_dim, self.theta, self.rope_scaling, seq_len)

    def forward(
        self, positions: Tensor, dtype: torch.dtype = torch.float32
    ) -> tuple[Tensor, Tensor]:
        inv_freq, factor = self.inv_freq.to(positions.device), self.attention_factor
        if self.kind is not None and ROPE_SCALING_TYPES[self.kind].dynamic:
            seq_len = positions.max() + 1  # stays on the device: no host read per forward
            inv_freq, factor = self._frequencies(seq_len)
            inv_freq = inv_freq.to(positions.device)
        # Angles in float32 even for half-precision models: p * inv_freq loses all its
        # precision in fp16/bf16 once p reaches a few thousand.
        angles = positions.to(torch.float32)[..., None] * inv_freq
        cos, sin = angles.cos(), angles.sin()
        if factor != 1.0:
            cos, sin = cos * factor, sin * factor
        return cos.to(dtype), sin.to(dtype)

    def extra_repr(self) -> str:
        return f"head_dim={self.head_dim}, theta={self.theta}, scaling={self.rope_scaling}"


def apply_rope(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotate x: (B, H, T, D) by the tables cos, sin: (T, D/2) or (B, T, D/2).

    With x1 = x[..., :D/2] and x2 = x[..., D/2:]: out = cat(x1 cos - x2 sin, x2 cos + x1 sin).
    Dispatches to `ops.apply_rope` (a Triton kernel on CUDA, this formula on CPU).
    """
    return ops.apply_rope(x, cos, sin)
