"""The position-wise feed-forward network: GELU MLP (GPT-2) and SwiGLU (Llama).

GELU MLP:  down(gelu(up(x)))                 with d_ff = 4 * d_model in GPT-2.
SwiGLU:    down(silu(gate(x)) * up(x))       (Shazeer, 2020). The gate adds a third matrix,
so Llama shrinks d_ff to about 8/3 * d_model to keep the parameter count of a GELU MLP.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from minillm.config import ModelConfig
from minillm.kernels import ops


class GeluMLP(nn.Module):
    """x: (B, T, C) -> (B, T, C). GELU with the tanh approximation, exactly as GPT-2."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.up_proj = nn.Linear(config.d_model, config.d_ff, bias=config.bias)
        self.down_proj = nn.Linear(config.d_ff, config.d_model, bias=config.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.down_proj(F.gelu(self.up_proj(x), approximate="tanh"))


class SwiGLU(nn.Module):
    """x: (B, T, C) -> (B, T, C). silu(gate) * up goes through `ops.swiglu` (fused on CUDA)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(config.d_model, config.d_ff, bias=config.bias)
        self.up_proj = nn.Linear(config.d_model, config.d_ff, bias=config.bias)
        self.down_proj = nn.Linear(config.d_ff, config.d_model, bias=config.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.down_proj(ops.swiglu(self.gate_proj(x), self.up_proj(x)))


def build_mlp(config: ModelConfig) -> nn.Module:
    """The MLP named by config.activation: "gelu" -> GeluMLP, "swiglu" -> SwiGLU."""
    if config.activation == "gelu":
        return GeluMLP(config)
    if config.activation == "swiglu":
        return SwiGLU(config)
    raise ValueError(f"activation={config.activation!r} is unknown; valid: ('gelu', 'swiglu')")
