"""RMSNorm in Triton: y = (x * rstd).to(x.dtype) * w, rstd = 1 / sqrt(mean(x^2) + eps).

Forward: one program per row (the whole row of C features fits in one block), saving the
per-row rstd so the backward pass does not recompute the reduction.

Backward, with xhat = x * rstd (per row) and dy the upstream gradient:

    dw = sum over rows of dy * xhat
    dx = rstd * (dy*w - xhat * mean(dy*w * xhat))

dx is per row; dw is a sum over all rows. Summing it with atomics would be nondeterministic, so
each program handles ``rows_per_program`` rows and writes one partial dw row, and torch sums
the (n_programs, C) partials (the approach of Liger-Kernel's ``rms_norm.py``).
"""

from __future__ import annotations

import math

import torch
import triton
import triton.language as tl
from torch import Tensor

from minillm.kernels._utils import check_can_launch, next_power_of_2


@triton.jit
def _rms_norm_fwd(X, W, Y, RSTD, stride_x, stride_y, C, eps, BLOCK_C: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK_C)
    mask = cols < C
    x = tl.load(X + row * stride_x + cols, mask=mask, other=0.0).to(tl.float32)
    rstd = 1.0 / tl.sqrt(tl.sum(x * x, 0) / C + eps)
    w = tl.load(W + cols, mask=mask, other=0.0)
    # As HF LlamaRMSNorm: round the normalised x to x's dtype *before* multiplying by w.
    xhat = (x * rstd).to(X.dtype.element_ty)
    y = xhat.to(tl.float32) * w.to(tl.float32)
    tl.store(Y + row * stride_y + cols, y.to(Y.dtype.element_ty), mask=mask)
    tl.store(RSTD + row, rstd)


@triton.jit
def _rms_norm_bwd(
    DY, X, W, RSTD, DX, DW_PARTIAL,
    stride_dy, stride_x, stride_dx,
    n_rows, C, rows_per_program,
    BLOCK_C: tl.constexpr,
):  # fmt: skip
    pid = tl.program_id(0)
    cols = tl.arange(0, BLOCK_C)
    mask = cols < C
    w = tl.load(W + cols, mask=mask, other=0.0).to(tl.float32)
    dw = tl.zeros([BLOCK_C], dtype=tl.float32)
    first = pid * rows_per_program
    last = tl.minimum(first + rows_per_program, n_rows)
    first64 = first.to(tl.int64)  # 64-bit pointer offsets: rows * stride may exceed 2^31
    x_ptrs = X + first64 * stride_x + cols
    dy_ptrs = DY + first64 * stride_dy + cols
    dx_ptrs = DX + first64 * stride_dx + cols
    rstd_ptr = RSTD + first64
    for _ in range(first, last):
        x = tl.load(x_ptrs, mask=mask, other=0.0).to(tl.float32)
        dy = tl.load(dy_ptrs, mask=mask, other=0.0).to(tl.float32)
        rstd = tl.load(rstd_ptr)
        xhat = x * rstd
        dyw = dy * w
        dx = rstd * (dyw - xhat * (tl.sum(dyw * xhat, 0) / C))
        tl.store(dx_ptrs, dx.to(DX.dtype.element_ty), mask=mask)
        # Same rounding as the forward: y = round(xhat) * w.
        dw += dy * xhat.to(X.dtype.element_ty).to(tl.float32)
        x_ptrs += stride_x
        dy_ptrs += stride_dy
        dx_ptrs += stride_dx
        rstd_ptr += 1
    tl.store(DW_PARTIAL + pid * C + cols, dw, mask=mask)


def _num_warps(block: int) -> int:
    return 4 if block <= 2048 else 8 if block <= 8192 else 16


def _n_programs(x: Tensor) -> int:
    if x.is_cuda:
        return torch.cuda.get_device_properties(x.device).multi_processor_count * 4
    return 4  # the interpreter: few programs, each looping over many rows, is fastest


class RMSNormFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, eps):
        shape, C = x.shape, x.shape[-1]
        x2 = x.reshape(-1, C)
        if x2.stride(-1) != 1:
            x2 = x2.contiguous()  # the kernel needs unit stride along a row
        out_dtype = torch.promote_types(x.dtype, weight.dtype)
        y = torch.empty(x2.shape, dtype=out_dtype, device=x.device)
        rstd = torch.empty(x2.shape[0], dtype=torch.float32, device=x.device)
        block = next_power_of_2(C)
        _rms_norm_fwd[(x2.shape[0],)](
            x2, weight, y, rstd, x2.stride(0), y.stride(0), C, eps,
            BLOCK_C=block, num_warps=_num_warps(block),
        )  # fmt: skip
        ctx.save_for_backward(x2, weight, rstd)
        ctx.shape = shape
        return y.reshape(shape)

    @staticmethod
    def backward(ctx, dy):
        x2, weight, rstd = ctx.saved_tensors
        C = x2.shape[-1]
        dy2 = dy.reshape(-1, C)
        if dy2.stride(-1) != 1:
            dy2 = dy2.contiguous()
        n_rows = x2.shape[0]
        n_prog = min(_n_programs(x2), n_rows)
        rows_per_program = math.ceil(n_rows / n_prog)
        dx = torch.empty(x2.shape, dtype=x2.dtype, device=x2.device)
        dw_partial = torch.empty((n_prog, C), dtype=torch.float32, device=x2.device)
        block = next_power_of_2(C)
        _rms_norm_bwd[(n_prog,)](
            dy2, x2, weight, rstd, dx, dw_partial,
            dy2.stride(0), x2.stride(0), dx.stride(0),
            n_rows, C, rows_per_program,
            BLOCK_C=block, num_warps=_num_warps(block),
        )  # fmt: skip
        dw = dw_partial.sum(0).to(weight.dtype)
        return dx.reshape(ctx.shape), dw, None


def rms_norm_triton(x: Tensor, weight: Tensor, eps: float) -> Tensor:
    """x (..., C), weight (C,) -> (..., C). Inputs validated by ``ops``."""
    check_can_launch(_rms_norm_fwd, x, weight, op="rms_norm")
    if x.numel() == 0:
        return torch.empty(
            x.shape, dtype=torch.promote_types(x.dtype, weight.dtype), device=x.device
        )
    return RMSNormFunction.apply(x, weight.contiguous(), eps)
