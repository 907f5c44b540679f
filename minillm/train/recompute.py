"""Gradient (activation) checkpointing: keep only each block's input, recompute the rest.

Autograd normally saves every intermediate of the forward pass for the backward pass; for a
transformer that is ~(7 d_model + 4 d_ff) numbers per token per layer (see `memory_estimate.py`).
With checkpointing a block saves only its input x; in backward it runs its forward again
(under the same RNG state, so dropout masks repeat) and then backpropagates through it.
Cost: one extra forward per block, ~33% more compute; saving: activations of all but one block.
"""

from __future__ import annotations

import functools

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint


def _checkpointed_forward(block: nn.Module, forward, *args, **kwargs):
    # Only while training with autograd on: eval and generation need no recomputation.
    if block.training and torch.is_grad_enabled():
        return checkpoint(forward, *args, use_reentrant=False, **kwargs)
    return forward(*args, **kwargs)


def enable_gradient_checkpointing(model: nn.Module) -> nn.Module:
    """Checkpoint every block of `model.blocks` in place (the state dict is unchanged)."""
    blocks = getattr(model, "blocks", None)
    if blocks is None:
        raise ValueError(f"{type(model).__name__} has no .blocks to checkpoint")
    for block in blocks:
        if not getattr(block, "_checkpointed", False):
            # An instance attribute shadows the class's forward; nn.Module.__call__ uses it.
            block.forward = functools.partial(_checkpointed_forward, block, block.forward)
            block._checkpointed = True
    return model


def disable_gradient_checkpointing(model: nn.Module) -> nn.Module:
    """Undo `enable_gradient_checkpointing`."""
    for block in getattr(model, "blocks", []):
        if getattr(block, "_checkpointed", False):
            del block.forward
            block._checkpointed = False
    return model
