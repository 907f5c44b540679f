"""Row softmax in Triton, forward and backward, for rows of any length.

Forward, one program per row, two passes over the row in BLOCK-sized pieces:
  1. the online softmax: a running max m and a running sum l = sum exp(x - m), rescaling l by
     exp(m_old - m_new) whenever the max grows (the same trick FlashAttention uses);
  2. write exp(x - m) / l.
A row that fits one block (the common case) is read once in pass 1 and once in pass 2; the
lesson's exercise writes the simpler one-block version.

Backward: dx = y * (dy - sum(dy * y)), again one program per row.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import Tensor

from minillm.kernels._utils import check_can_launch, next_power_of_2

MAX_BLOCK = 8192


@triton.jit
def _softmax_fwd(X, Y, stride_x, stride_y, N, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    x_row = X + row * stride_x
    y_row = Y + row * stride_y
    offs = tl.arange(0, BLOCK)
    m = tl.full([BLOCK], float("-inf"), dtype=tl.float32)  # per-lane running max and sum
    l_run = tl.zeros([BLOCK], dtype=tl.float32)
    for start in range(0, N, BLOCK):
        x = tl.load(x_row + start + offs, mask=start + offs < N, other=float("-inf")).to(tl.float32)
        m_new = tl.maximum(m, x)
        # Lanes still at -inf (only masked values so far) must add 0, not exp(-inf - -inf) = nan:
        # subtract 0 instead of their max.
        m_safe = tl.where(m_new == float("-inf"), 0.0, m_new)
        l_run = l_run * tl.exp(m - m_safe) + tl.exp(x - m_safe)
        m = m_new
    row_max = tl.max(m, 0)
    row_sum = tl.sum(l_run * tl.exp(m - row_max), 0)
    for start in range(0, N, BLOCK):
        mask = start + offs < N
        x = tl.load(x_row + start + offs, mask=mask, other=float("-inf")).to(tl.float32)
        y = tl.exp(x - row_max) / row_sum
        tl.store(y_row + start + offs, y.to(Y.dtype.element_ty), mask=mask)


@triton.jit
def _softmax_bwd(DY, Y, DX, stride_dy, stride_y, stride_dx, N, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    offs = tl.arange(0, BLOCK)
    dot = tl.zeros([BLOCK], dtype=tl.float32)
    for start in range(0, N, BLOCK):
        mask = start + offs < N
        dy = tl.load(DY + row * stride_dy + start + offs, mask=mask, other=0.0).to(tl.float32)
        y = tl.load(Y + row * stride_y + start + offs, mask=mask, other=0.0).to(tl.float32)
        dot += dy * y
    total = tl.sum(dot, 0)
    for start in range(0, N, BLOCK):
        mask = start + offs < N
        dy = tl.load(DY + row * stride_dy + start + offs, mask=mask, other=0.0).to(tl.float32)
        y = tl.load(Y + row * stride_y + start + offs, mask=mask, other=0.0).to(tl.float32)
        tl.store(
            DX + row * stride_dx + start + offs,
            (y * (dy - total)).to(DX.dtype.element_ty),
            mask=mask,
        )


def _rows(t: Tensor) -> Tensor:
    t2 = t.reshape(-1, t.shape[-1])
    return t2 if t2.stride(-1) == 1 else t2.contiguous()


def _launch_args(N: int) -> dict:
    block = min(next_power_of_2(N), MAX_BLOCK)
    return dict(BLOCK=block, num_warps=4 if block <= 2048 else 8)


class SoftmaxFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        x2 = _rows(x)
        y = torch.empty(x2.shape, dtype=x.dtype, device=x.device)
        _softmax_fwd[(x2.shape[0],)](
            x2, y, x2.stride(0), y.stride(0), x2.shape[1], **_launch_args(x2.shape[1])
        )
        ctx.save_for_backward(y)
        ctx.shape = x.shape
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, dy):
        (y,) = ctx.saved_tensors
        dy2 = _rows(dy)
        dx = torch.empty_like(y)
        N = y.shape[1]
        _softmax_bwd[(y.shape[0],)](
            dy2, y, dx, dy2.stride(0), y.stride(0), dx.stride(0), N, **_launch_args(N)
        )
        return dx.reshape(ctx.shape)


def softmax_triton(x: Tensor) -> Tensor:
    """x (..., N) -> softmax over the last dim. Validated by ``ops``."""
    check_can_launch(_softmax_fwd, x, op="softmax")
    if x.numel() == 0:
        return torch.empty_like(x)
    return SoftmaxFunction.apply(x)
