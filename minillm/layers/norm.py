"""Normalisation layers: LayerNorm (GPT-2) and RMSNorm (Llama).

LayerNorm centres and scales each token vector: (x - mean) / sqrt(var + eps) * w + b.
RMSNorm skips the centring and the bias: x / sqrt(mean(x^2) + eps) * w. It is cheaper and
works as well in practice (Zhang & Sennrich, 2019), which is why Llama uses it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from minillm.kernels import ops


class LayerNorm(nn.Module):
    """LayerNorm over the last dim with an optional bias. x: (..., C) -> (..., C)."""

    def __init__(self, dim: int, eps: float = 1e-5, bias: bool = True) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.weight.shape[0]}, eps={self.eps}, bias={self.bias is not None}"


class RMSNorm(nn.Module):
    """RMSNorm over the last dim, exactly as HF LlamaRMSNorm (float32 inside, cast back, then
    scale). x: (..., C) -> (..., C). Dispatches to `ops.rms_norm` (a Triton kernel on CUDA)."""

    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: Tensor) -> Tensor:
        return ops.rms_norm(x, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.weight.shape[0]}, eps={self.eps}"


def build_norm(kind: str, dim: int, eps: float, bias: bool = True) -> nn.Module:
    """The norm named by ModelConfig.norm: "layernorm" or "rmsnorm" (which never has a bias)."""
    if kind == "layernorm":
        return LayerNorm(dim, eps, bias=bias)
    if kind == "rmsnorm":
        return RMSNorm(dim, eps)
    raise ValueError(f"norm={kind!r} is unknown; valid: ('layernorm', 'rmsnorm')")
