"""The PyTorch paths of RMSNorm, RoPE and SwiGLU, with their backward passes written out.

Autograd can differentiate the plain formulas by itself, but it pays for it on a CPU: each
small op in the formula saves its inputs and allocates its own output and gradient, so one
RMSNorm becomes about ten passes over the activations and as many fresh buffers (fresh large
buffers cost page faults on every step). Written as `torch.autograd.Function`s with the
derivative done by hand, each op saves only its inputs (RMSNorm adds one number per row; RoPE
keeps just its cos/sin tables), makes one output and, where it owns the buffer, updates it in
place:

    RMSNorm   y = w * x_hat,  x_hat = x * r,  r = 1 / sqrt(mean(x^2) + eps)
              dx = r * (g - x_hat * mean(g * x_hat)),  g = dy * w;   dw = sum(dy * x_hat)
    RoPE      a rotation of each (x1, x2) pair by the position's angle; its derivative is the
              rotation by minus the angle: apply the same formula with -sin
    SwiGLU    y = silu(a) * b
              da = dy * b * sigmoid(a) * (1 + a * (1 - sigmoid(a))),  db = dy * silu(a)

Values match the autograd formulas in ``ops`` to float rounding (tests/test_ops_torch.py runs
gradcheck in float64 and compares float16/bfloat16 against the formulas). They are what
`ops` runs on the CPU; CUDA tensors go to the Triton kernels, which do the same in one kernel.
Inputs are validated by `ops` before they get here.

With no gradient wanted (inference: `torch.no_grad()`, or inputs that do not require grad) the
entry points below call the same forward formula directly: an autograd.Function costs tens of
microseconds per call, which for a one-token decode step is more than the arithmetic.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable


def _acc(dtype: torch.dtype) -> torch.dtype:
    """float32 for half types (their reductions lose too much), float64 stays float64."""
    return torch.promote_types(dtype, torch.float32)


# --------------------------------------------------------------------------------- RMSNorm


def _wants_grad(*tensors: Tensor) -> bool:
    return torch.is_grad_enabled() and any(t.requires_grad for t in tensors)


def _rms_norm_forward(x: Tensor, weight: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    xf = x.to(_acc(x.dtype))
    rstd = torch.rsqrt(xf.square().mean(-1, keepdim=True).add_(eps))  # (..., 1)
    return weight * (xf * rstd).to(x.dtype), rstd


def rms_norm(x: Tensor, weight: Tensor, eps: float) -> Tensor:
    """y = w * (x / sqrt(mean(x^2) + eps)).to(x.dtype), normalised in float32."""
    if _wants_grad(x, weight):
        return RMSNormFunction.apply(x, weight, eps)
    return _rms_norm_forward(x, weight, eps)[0]


class RMSNormFunction(torch.autograd.Function):
    """HF LlamaRMSNorm's numerics: normalise in float32, cast to x.dtype, then scale by w."""

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, eps: float) -> Tensor:
        y, rstd = _rms_norm_forward(x, weight, eps)
        # Save x rather than x_hat: x is usually alive anyway (the residual stream), and the
        # backward recomputes x_hat from it in float32 with one multiply.
        ctx.save_for_backward(x, weight, rstd)
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx, dy: Tensor):
        x, weight, rstd = ctx.saved_tensors
        acc = _acc(x.dtype)
        x_hat = x.to(acc) * rstd
        dx = dw = None
        if ctx.needs_input_grad[1]:
            # the forward multiplied w by x_hat rounded to x.dtype: differentiate that product
            dw = (dy * x_hat.to(x.dtype)).reshape(-1, weight.shape[0]).sum(0, dtype=acc)
            dw = dw.to(weight.dtype)
        if ctx.needs_input_grad[0]:
            g = (dy * weight).to(acc)  # d loss / d x_hat
            dot = (g * x_hat).mean(-1, keepdim=True)
            dx = g.sub_(x_hat.mul_(dot)).mul_(rstd).to(x.dtype)
        return dx, dw, None


# ------------------------------------------------------------------------------------ RoPE


def _rotate(x: Tensor, cos: Tensor, sin: Tensor, out: Tensor) -> Tensor:
    """out = cat(x1*cos - x2*sin, x2*cos + x1*sin), written into `out` half by half."""
    h = x.shape[-1] // 2
    x1, x2, o1, o2 = x[..., :h], x[..., h:], out[..., :h], out[..., h:]
    # (copy then update in place, rather than mul(out=view): torch.compile traces this form)
    o1.copy_(x1).mul_(cos).addcmul_(x2, sin, value=-1.0)
    o2.copy_(x2).mul_(cos).addcmul_(x1, sin)
    return out


def _rope_forward(x: Tensor, cos: Tensor, sin: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    acc = _acc(x.dtype)
    c, s = cos.to(acc).unsqueeze(-3), sin.to(acc).unsqueeze(-3)  # broadcast over heads
    xa = x.to(acc)
    return _rotate(xa, c, s, torch.empty_like(xa)).to(x.dtype), c, s


def apply_rope(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """x: (B, H, T, D), cos and sin: (T, D/2) or (B, T, D/2) -> (B, H, T, D), in x.dtype.

    Constant angles (the usual case) take `RoPEFunction`; angles that require grad (learned)
    take the plain formula, so autograd also differentiates through cos and sin."""
    if not _wants_grad(x, cos, sin):  # inference: the forward formula, no autograd node
        return _rope_forward(x, cos, sin)[0]
    if not (cos.requires_grad or sin.requires_grad):
        return RoPEFunction.apply(x, cos, sin)
    acc = _acc(x.dtype)
    c, s = cos.to(acc).unsqueeze(-3), sin.to(acc).unsqueeze(-3)
    x1, x2 = x.to(acc).chunk(2, dim=-1)
    return torch.cat([x1 * c - x2 * s, x2 * c + x1 * s], dim=-1).to(x.dtype)


class RoPEFunction(torch.autograd.Function):
    """x: (B, H, T, D), cos and sin: (T, D/2) or (B, T, D/2) (constants: no gradient)."""

    @staticmethod
    def forward(ctx, x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
        y, c, s = _rope_forward(x, cos, sin)
        ctx.save_for_backward(c, s)
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx, dy: Tensor):
        c, s = ctx.saved_tensors
        # The transpose of a rotation is the rotation by the opposite angle.
        da = dy.to(c.dtype)
        return _rotate(da, c, -s, torch.empty_like(da)).to(dy.dtype), None, None


# ---------------------------------------------------------------------------------- SwiGLU


def swiglu(gate: Tensor, up: Tensor) -> Tensor:
    """silu(gate) * up."""
    if _wants_grad(gate, up):
        return SwiGLUFunction.apply(gate, up)
    return F.silu(gate).mul_(up)


class SwiGLUFunction(torch.autograd.Function):
    """silu(gate) * up; saves gate and up, not silu(gate): the backward recomputes it, which
    costs one pass and saves d_ff values per token (tests/test_train_memory_estimate.py counts them)."""

    @staticmethod
    def forward(ctx, gate: Tensor, up: Tensor) -> Tensor:
        ctx.save_for_backward(gate, up)
        return F.silu(gate).mul_(up)

    @staticmethod
    @once_differentiable
    def backward(ctx, dy: Tensor):
        gate, up = ctx.saved_tensors
        d_gate = d_up = None
        if ctx.needs_input_grad[1]:
            d_up = F.silu(gate).mul_(dy)
        if ctx.needs_input_grad[0]:
            # d silu(a)/da = sigmoid(a) * (1 + a * (1 - sigmoid(a))), in torch's fused kernel
            d_gate = torch.ops.aten.silu_backward(dy * up, gate)
        return d_gate, d_up
