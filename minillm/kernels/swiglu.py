"""SwiGLU activation in Triton: out = silu(gate) * up, forward and backward, one pass each.

PyTorch eager runs ``F.silu(gate) * up`` as two kernels and keeps silu(gate) for the backward
pass; fused, each element is read once and nothing extra is stored (the backward recomputes the
sigmoid, which is cheaper than reading it from memory). With s = sigmoid(gate):

    d/dgate = dy * up * s * (1 + gate * (1 - s))        d/dup = dy * gate * s

(Liger-Kernel's ``swiglu.py`` is the same design.)
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import Tensor

from minillm.kernels._utils import check_can_launch, is_interpreted

BLOCK_GPU = 1024
BLOCK_INTERPRETER = 16384  # fewer, bigger NumPy calls


@triton.jit
def _swiglu_fwd(GATE, UP, OUT, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    g = tl.load(GATE + offs, mask=mask, other=0.0).to(tl.float32)
    u = tl.load(UP + offs, mask=mask, other=0.0).to(tl.float32)
    out = g * tl.sigmoid(g) * u
    tl.store(OUT + offs, out.to(OUT.dtype.element_ty), mask=mask)


@triton.jit
def _swiglu_bwd(DOUT, GATE, UP, DGATE, DUP, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    dy = tl.load(DOUT + offs, mask=mask, other=0.0).to(tl.float32)
    g = tl.load(GATE + offs, mask=mask, other=0.0).to(tl.float32)
    u = tl.load(UP + offs, mask=mask, other=0.0).to(tl.float32)
    s = tl.sigmoid(g)
    silu = g * s
    dgate = dy * u * s * (1.0 + g * (1.0 - s))
    tl.store(DGATE + offs, dgate.to(DGATE.dtype.element_ty), mask=mask)
    tl.store(DUP + offs, (dy * silu).to(DUP.dtype.element_ty), mask=mask)


def _block() -> int:
    return BLOCK_INTERPRETER if is_interpreted(_swiglu_fwd) else BLOCK_GPU


class SwiGLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, gate, up):
        # Elementwise kernels index a flat array: make the inputs contiguous (a copy only when
        # they are strided views).
        gate, up = gate.contiguous(), up.contiguous()
        out = torch.empty_like(gate)
        n, block = gate.numel(), _block()
        _swiglu_fwd[(triton.cdiv(n, block),)](gate, up, out, n, BLOCK=block)
        ctx.save_for_backward(gate, up)
        return out

    @staticmethod
    def backward(ctx, dout):
        gate, up = ctx.saved_tensors
        dout = dout.contiguous()
        dgate, dup = torch.empty_like(gate), torch.empty_like(up)
        n, block = gate.numel(), _block()
        _swiglu_bwd[(triton.cdiv(n, block),)](dout, gate, up, dgate, dup, n, BLOCK=block)
        return dgate, dup


def swiglu_triton(gate: Tensor, up: Tensor) -> Tensor:
    """gate, up (..., F) -> silu(gate) * up. Validated by ``ops``."""
    check_can_launch(_swiglu_fwd, gate, up, op="swiglu")
    if gate.numel() == 0:
        return torch.empty_like(gate)
    return SwiGLUFunction.apply(gate, up)
