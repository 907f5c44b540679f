"""Rotary position embedding (rotate-half convention) in Triton, forward and backward.

With x1 = x[..., :D/2], x2 = x[..., D/2:], RoPE rotates each pair (x1_i, x2_i) by an angle:

    out1 = x1*cos - x2*sin          out2 = x2*cos + x1*sin

A rotation's inverse is its transpose (rotation by -angle), so the backward pass is the same
kernel with sin negated: dx1 = dy1*cos + dy2*sin, dx2 = dy2*cos - dy1*sin. Learned angles
(cos/sin that require grad) also get their gradient, a reduction over heads done in PyTorch
in the backward pass (``_table_grads``); constant tables cost nothing extra. One program handles
BLOCK_T positions of one (batch, head); cos/sin tables are (T, D/2) or (B, T, D/2) and are
shared by every head (Liger-Kernel's ``rope.py`` does the same per-token layout).
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import Tensor

from minillm.kernels._utils import check_can_launch, is_interpreted, next_power_of_2


@triton.jit
def _rope_kernel(
    X, COS, SIN, Y,
    sxb, sxh, sxt, sxd,  # x may be any strided (B, H, T, D) view
    scb, sct,  # cos/sin strides over (batch, position); scb = 0 for shared (T, D/2) tables
    H, T, HALF,
    SIN_SIGN: tl.constexpr,  # +1 forward, -1 backward (the inverse rotation)
    BLOCK_T: tl.constexpr,
    BLOCK_HALF: tl.constexpr,
):  # fmt: skip
    pid_bh = tl.program_id(0).to(tl.int64)
    pid_t = tl.program_id(1)
    b = pid_bh // H
    h = pid_bh % H
    t = pid_t * BLOCK_T + tl.arange(0, BLOCK_T)
    d = tl.arange(0, BLOCK_HALF)
    mask = (t < T)[:, None] & (d < HALF)[None, :]

    tab = b * scb + t[:, None] * sct + d[None, :]
    cos = tl.load(COS + tab, mask=mask, other=0.0).to(tl.float32)
    sin = tl.load(SIN + tab, mask=mask, other=0.0).to(tl.float32) * SIN_SIGN

    x1_ptrs = X + b * sxb + h * sxh + t[:, None] * sxt + d[None, :] * sxd
    x1 = tl.load(x1_ptrs, mask=mask, other=0.0).to(tl.float32)
    x2 = tl.load(x1_ptrs + HALF * sxd, mask=mask, other=0.0).to(tl.float32)

    # Y is contiguous (B, H, T, D).
    y1_ptrs = Y + pid_bh * T * 2 * HALF + t[:, None] * 2 * HALF + d[None, :]
    tl.store(y1_ptrs, (x1 * cos - x2 * sin).to(Y.dtype.element_ty), mask=mask)
    tl.store(y1_ptrs + HALF, (x2 * cos + x1 * sin).to(Y.dtype.element_ty), mask=mask)


def _rotate(x: Tensor, cos: Tensor, sin: Tensor, sin_sign: int) -> Tensor:
    B, H, T, D = x.shape
    y = torch.empty((B, H, T, D), dtype=x.dtype, device=x.device)
    cos, sin = cos.contiguous(), sin.contiguous()  # tables are small; keep their layout simple
    batched = cos.dim() == 3
    block_half = next_power_of_2(D // 2)
    # About 4K elements per program on a GPU; the interpreter prefers fewer, bigger programs.
    budget = 16384 if is_interpreted(_rope_kernel) else 4096
    block_t = min(next_power_of_2(T), max(1, budget // block_half))
    grid = (B * H, triton.cdiv(T, block_t))
    _rope_kernel[grid](
        x, cos, sin, y,
        *x.stride(),
        cos.stride(0) if batched else 0, cos.stride(-2),
        H, T, D // 2,
        SIN_SIGN=sin_sign, BLOCK_T=block_t, BLOCK_HALF=block_half,
    )  # fmt: skip
    return y


def _table_grads(x: Tensor, dy: Tensor, table_shape: torch.Size) -> tuple[Tensor, Tensor]:
    """d loss / d cos and d loss / d sin for learned angles, summed over heads (and over the
    batch for shared (T, D/2) tables), in float32:

        d cos = dy1*x1 + dy2*x2          d sin = dy2*x1 - dy1*x2
    """
    x1, x2 = x.float().chunk(2, dim=-1)
    dy1, dy2 = dy.float().chunk(2, dim=-1)
    dims = (1,) if len(table_shape) == 3 else (0, 1)  # (B, T, D/2) or (T, D/2) tables
    d_cos = (dy1 * x1 + dy2 * x2).sum(dims)
    d_sin = (dy2 * x1 - dy1 * x2).sum(dims)
    return d_cos, d_sin


class RoPEFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, cos, sin):
        learned = ctx.needs_input_grad[1] or ctx.needs_input_grad[2]
        # x is kept only for learned angles: constant tables need nothing but themselves.
        ctx.save_for_backward(cos, sin, x if learned else None)
        return _rotate(x, cos, sin, 1)

    @staticmethod
    def backward(ctx, dy):
        cos, sin, x = ctx.saved_tensors
        dx = _rotate(dy, cos, sin, -1) if ctx.needs_input_grad[0] else None
        d_cos = d_sin = None
        if x is not None:  # learned angles: their gradient, from the saved input
            d_cos, d_sin = _table_grads(x, dy, cos.shape)
            d_cos, d_sin = d_cos.to(cos.dtype), d_sin.to(sin.dtype)
        return dx, d_cos, d_sin


def rope_triton(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """x (B, H, T, D), cos/sin (T, D/2) or (B, T, D/2) -> (B, H, T, D). Validated by ``ops``."""
    check_can_launch(_rope_kernel, x, cos, sin, op="apply_rope")
    if x.numel() == 0:
        return torch.empty_like(x)
    return RoPEFunction.apply(x, cos, sin)
