"""Fused linear + cross-entropy: the loss of ``hidden @ weight.T + bias`` without the logits.

At the lm_head the logits are the biggest tensor in training: N tokens x V vocab floats (16K
tokens x 8192 vocab = 512 MiB in fp32, and autograd keeps them, and their softmax, for the
backward pass). This module never holds more than ``chunk_size`` rows of logits:

    for each chunk of rows:             logits_c = hidden_c @ weight.T + bias   (chunk, V)
        loss and d(loss)/d(logits_c)    from one softmax of logits_c
        grad_hidden_c  = dlogits_c @ weight          (chunk, C)
        grad_weight   += dlogits_c.T @ hidden_c      (V, C)
        grad_bias     += dlogits_c.sum(0)

The gradients are finished in the forward pass (the loss is a scalar, so the backward pass only
scales them by grad_output), which is why nothing of size (N, V) needs to be saved.

The per-chunk "logits -> (loss, dlogits)" step is a function argument: the PyTorch path below
uses plain torch, the Triton path (``cross_entropy.py``) a kernel that overwrites the logits
chunk with its gradient in place. Both share this loop. (Liger-Kernel's
``fused_linear_cross_entropy.py`` is the production version of the same idea.)
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

# (logits_chunk (n, V) fp32, targets_chunk (n,), ignore_index, n_valid_total (0-d tensor)) ->
#     (sum of the chunk's losses (0-d fp32), dlogits (n, V) fp32 of mean-loss, may alias logits)
ChunkLossFn = Callable[[Tensor, Tensor, int, Tensor], tuple[Tensor, Tensor]]


def ce_chunk_torch(logits: Tensor, targets: Tensor, ignore_index: int, n_valid: Tensor):
    """Loss sum and gradient of the *mean* loss w.r.t. one chunk of logits.

    ``logits`` is a private buffer (the chunk's matmul output), so it is overwritten in place:
    first with its log-softmax, then with the gradient (exp turns log-probabilities into
    probabilities, minus one at each target). One (n, V) buffer per chunk instead of three."""
    valid = targets != ignore_index
    safe_t = torch.where(valid, targets, 0)
    logp = torch.log_softmax(logits, dim=-1, out=logits)  # row by row, so in place is safe
    picked = logp.gather(1, safe_t[:, None]).squeeze(1)
    loss_sum = -torch.where(valid, picked, 0.0).sum()
    # d(mean loss)/dlogits = (softmax - onehot) / n_valid on valid rows, 0 on ignored rows.
    grad = logp.exp_()
    grad[torch.arange(len(targets), device=logits.device), safe_t] -= 1.0
    grad *= (valid.to(grad.dtype) / n_valid.clamp(min=1))[:, None]
    return loss_sum, grad


class FusedLinearCrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx, hidden, weight, bias, targets, ignore_index, chunk_size, chunk_loss, grad_enabled
    ):
        n = hidden.shape[0]
        # A 0-d tensor, not an int: reading it back would stall the GPU every step.
        n_valid = (targets != ignore_index).sum()
        # fp32 at least (half-precision logits would lose the softmax), float64 stays float64.
        acc = torch.promote_types(hidden.dtype, torch.float32)
        # needs_input_grad only looks at requires_grad, which parameters keep under no_grad():
        # without grad_enabled, evaluate() would build a (V, C) weight gradient every batch.
        wants = [grad_enabled and needed for needed in ctx.needs_input_grad[:3]]
        need_grad = any(wants)
        grad_hidden = torch.empty_like(hidden) if wants[0] else None
        # Accumulate the parameter gradients in fp32: summing N chunk products in half
        # precision would lose the small contributions.
        grad_weight = (
            torch.zeros(weight.shape, dtype=acc, device=weight.device) if wants[1] else None
        )
        grad_bias = (
            torch.zeros(bias.shape, dtype=acc, device=bias.device)
            if bias is not None and wants[2]
            else None
        )
        loss = torch.zeros((), dtype=acc, device=hidden.device)
        for start in range(0, n, chunk_size):
            h = hidden[start : start + chunk_size]
            logits = h @ weight.T
            if bias is not None:
                logits = logits + bias
            logits = logits.to(acc)
            loss_c, dlogits = chunk_loss(
                logits, targets[start : start + chunk_size], ignore_index, n_valid
            )
            del logits  # dlogits may be the same buffer; one name keeps it alive
            loss += loss_c
            if need_grad:
                d = dlogits.to(hidden.dtype)
                if grad_hidden is not None:
                    grad_hidden[start : start + chunk_size] = d @ weight
                if grad_weight is not None:
                    grad_weight += (d.T @ h).to(acc)
                if grad_bias is not None:
                    grad_bias += dlogits.sum(0)
                del d
            del dlogits  # free this chunk's logits before the next chunk's matmul makes its own
        # Mean over non-ignored targets, as F.cross_entropy (0/0 = nan when all are ignored).
        loss = loss / n_valid  # 0 / 0 = nan when every target is ignored
        ctx.save_for_backward(
            grad_hidden,
            None if grad_weight is None else grad_weight.to(weight.dtype),
            None if grad_bias is None else grad_bias.to(bias.dtype),
        )
        return loss

    @staticmethod
    def backward(ctx, grad_out):
        grad_hidden, grad_weight, grad_bias = ctx.saved_tensors
        # The loss is a scalar, so scaling the precomputed gradients is the whole backward.
        scale = lambda g: None if g is None else g * grad_out.to(g.dtype)
        return scale(grad_hidden), scale(grad_weight), scale(grad_bias), *[None] * 5


def fused_linear_cross_entropy(
    hidden: Tensor,
    weight: Tensor,
    targets: Tensor,
    bias: Tensor | None,
    ignore_index: int,
    chunk_size: int,
    chunk_loss: ChunkLossFn = ce_chunk_torch,
) -> Tensor:
    """hidden (N, C), weight (V, C), targets (N,) -> mean loss, 0-d float32 (inputs validated).

    Under ``torch.no_grad()`` (or with no input requiring grad) only the loss is computed."""
    grad_enabled = torch.is_grad_enabled()  # inside forward() it is always off: read it here
    return FusedLinearCrossEntropy.apply(
        hidden, weight, bias, targets, ignore_index, chunk_size, chunk_loss, grad_enabled
    )


def linear_cross_entropy_unfused(
    hidden: Tensor, weight: Tensor, targets: Tensor, bias: Tensor | None, ignore_index: int
) -> Tensor:
    """The reference: materialise all (N, V) logits, then F.cross_entropy."""
    logits = F.linear(hidden, weight, bias)
    return F.cross_entropy(logits.float(), targets, ignore_index=ignore_index)
