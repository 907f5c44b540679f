"""Cross-entropy in Triton: the loss and its gradient w.r.t. the logits in one kernel.

One program per row of logits, two passes over the vocabulary in BLOCK-sized pieces:
  1. online softmax statistics: running max m and running sum l = sum exp(x - m);
     loss = logsumexp - x[target] = m + log(l) - x[target];
  2. gradient of the *mean* loss: (exp(x - m) / l - onehot(target)) / n_valid, written to DX.
Ignored rows (target == ignore_index) get loss 0 and gradient 0.

DX may be the logits buffer itself: each element is read before the same program overwrites
it. The fused linear + cross-entropy (``fused_linear_ce.py``) uses this to turn each chunk of
logits into its gradient without allocating a second (chunk, V) buffer, as Liger-Kernel's
``cross_entropy.py`` does.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import Tensor

from minillm.kernels._utils import check_can_launch, next_power_of_2, range_check_wanted

MAX_BLOCK = 8192


@triton.jit
def _ce_fwd_bwd(
    X, DX, TARGETS, LOSS,
    stride_x, stride_dx,
    V, ignore_index, N_VALID,
    BLOCK: tl.constexpr,
):  # fmt: skip
    row = tl.program_id(0).to(tl.int64)
    x_row = X + row * stride_x
    dx_row = DX + row * stride_dx
    target = tl.load(TARGETS + row)
    offs = tl.arange(0, BLOCK)
    if target == ignore_index:
        for start in range(0, V, BLOCK):
            tl.store(
                dx_row + start + offs,
                tl.zeros([BLOCK], dtype=tl.float32).to(DX.dtype.element_ty),
                mask=start + offs < V,
            )
        tl.store(LOSS + row, 0.0)
    else:
        m = tl.full([BLOCK], float("-inf"), dtype=tl.float32)
        l_run = tl.zeros([BLOCK], dtype=tl.float32)
        for start in range(0, V, BLOCK):
            x = tl.load(x_row + start + offs, mask=start + offs < V, other=float("-inf")).to(
                tl.float32
            )
            m_new = tl.maximum(m, x)
            m_safe = tl.where(m_new == float("-inf"), 0.0, m_new)  # see softmax.py
            l_run = l_run * tl.exp(m - m_safe) + tl.exp(x - m_safe)
            m = m_new
        row_max = tl.max(m, 0)
        row_sum = tl.sum(l_run * tl.exp(m - row_max), 0)
        x_target = tl.load(x_row + target).to(tl.float32)
        tl.store(LOSS + row, row_max + tl.log(row_sum) - x_target)
        # read on the device (a 0-d tensor): no host read of the count
        inv_n_valid = 1.0 / tl.maximum(tl.load(N_VALID).to(tl.float32), 1.0)
        for start in range(0, V, BLOCK):
            cols = start + offs
            mask = cols < V
            x = tl.load(x_row + cols, mask=mask, other=float("-inf")).to(tl.float32)
            grad = tl.exp(x - row_max) / row_sum - tl.where(cols == target, 1.0, 0.0)
            tl.store(dx_row + cols, (grad * inv_n_valid).to(DX.dtype.element_ty), mask=mask)


def _launch(x: Tensor, dx: Tensor, targets: Tensor, ignore_index: int, n_valid: Tensor) -> Tensor:
    """Fill dx with d(mean loss)/dx (n_valid: the 0-d count of non-ignored targets, on x's
    device); return the per-row losses (N,) float32."""
    N, V = x.shape
    loss = torch.empty(N, dtype=torch.float32, device=x.device)
    block = min(next_power_of_2(V), MAX_BLOCK)
    _ce_fwd_bwd[(N,)](
        x, dx, targets, loss, x.stride(0), dx.stride(0),
        V, ignore_index, n_valid,
        BLOCK=block, num_warps=4 if block <= 2048 else 8,
    )  # fmt: skip
    return loss


def check_targets_in_range(targets: Tensor, V: int, ignore_index: int) -> None:
    # An out-of-range target would read outside the row: check on the host (one sync, so on a
    # GPU only with MINILLM_DEBUG_CHECKS=1; the data pipeline validates ids where they enter).
    if not range_check_wanted(targets):
        return
    valid = targets[targets != ignore_index]
    if valid.numel() and (int(valid.min()) < 0 or int(valid.max()) >= V):
        raise ValueError(
            f"cross_entropy: targets must be in [0, {V}) or ignore_index={ignore_index}, got "
            f"values in [{int(valid.min())}, {int(valid.max())}]"
        )


def ce_chunk_triton(logits: Tensor, targets: Tensor, ignore_index: int, n_valid: Tensor):
    """The per-chunk step of ``fused_linear_ce``: overwrites ``logits`` (fp32, a private
    buffer) with its gradient; returns (loss sum, gradient). The caller checked the targets.
    n_valid is a 0-d tensor, read by the kernel on the device (no host read)."""
    check_can_launch(_ce_fwd_bwd, logits, op="fused_linear_cross_entropy")
    if logits.stride(-1) != 1:
        logits = logits.contiguous()
    loss = _launch(logits, logits, targets.contiguous(), ignore_index, n_valid)
    return loss.sum(), logits


class CrossEntropyFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, logits, targets, ignore_index):
        n_valid = (targets != ignore_index).sum()  # 0-d, on the device: no host read
        x = logits if logits.stride(-1) == 1 else logits.contiguous()
        # The caller's logits must not be overwritten, so the gradient gets its own buffer
        # (the same size autograd would keep for F.cross_entropy's backward).
        grad = torch.empty(x.shape, dtype=x.dtype, device=x.device)
        loss = _launch(x, grad, targets.contiguous(), ignore_index, n_valid)
        ctx.save_for_backward(grad)
        total = loss.sum()
        return total / n_valid  # 0 / 0 = nan when every target is ignored, as F.cross_entropy

    @staticmethod
    def backward(ctx, grad_out):
        (grad,) = ctx.saved_tensors
        return grad * grad_out.to(grad.dtype), None, None


def cross_entropy_triton(logits: Tensor, targets: Tensor, ignore_index: int) -> Tensor:
    """logits (N, V), targets (N,) int64 -> mean loss, 0-d float32. Validated by ``ops``."""
    check_can_launch(_ce_fwd_bwd, logits, op="cross_entropy")
    check_targets_in_range(targets, logits.shape[1], ignore_index)
    return CrossEntropyFunction.apply(logits, targets, ignore_index)
