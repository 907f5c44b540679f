"""AdamW written out (Loshchilov & Hutter, 2019), and gradient-norm clipping.

For every parameter p with gradient g, at step t = 1, 2, ...:

    p   <- p - lr * weight_decay * p                 decoupled weight decay (the "W")
    m   <- beta1 * m + (1 - beta1) * g               first moment: a running mean of g
    v   <- beta2 * v + (1 - beta2) * g^2             second moment: a running mean of g^2
    m^  =  m / (1 - beta1^t),  v^ = v / (1 - beta2^t)   undo the bias of starting at zero
    p   <- p - lr * m^ / (sqrt(v^) + eps)

The division by sqrt(v^) gives every weight its own step size (~lr whatever the gradient's
scale). The decay is applied to the weights, not added to g: added to g it would be divided by
sqrt(v^) too, and weights with large gradients would barely decay (plain Adam + L2).
Same state names and numbers as `torch.optim.AdamW` (checked to 1e-6 in the tests).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import Tensor, nn


class AdamW(torch.optim.Optimizer):
    """AdamW, one readable loop. State per parameter: step, exp_avg (m), exp_avg_sq (v), all
    float32 tensors shaped like the parameter (step is a 0-d tensor, as in torch)."""

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ) -> None:
        if not lr >= 0:
            raise ValueError(f"lr={lr!r} must be >= 0")
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"betas={betas!r} must both be in [0, 1)")
        if not eps > 0:
            raise ValueError(f"eps={eps!r} must be > 0")
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay={weight_decay!r} must be >= 0")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):  # noqa: D401 - torch's signature
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, (beta1, beta2) = group["lr"], group["betas"]
            eps, wd = group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                state = self.state[p]
                if not state:
                    state["step"] = torch.tensor(0.0)
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["step"] += 1
                t = state["step"].item()
                m, v = state["exp_avg"], state["exp_avg_sq"]
                p.mul_(1 - lr * wd)
                m.lerp_(g, 1 - beta1)  # m + (1 - beta1) (g - m) = beta1 m + (1 - beta1) g
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                bias1, bias2 = 1 - beta1**t, 1 - beta2**t
                denom = (v.sqrt() / math.sqrt(bias2)).add_(eps)
                p.addcdiv_(m, denom, value=-lr / bias1)
        return loss


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two groups: matrices and embeddings decay; vectors (norm weights, biases) do not.

    Decaying a norm's gain or a bias pulls it towards 0, which is not "simpler", just wrong
    (the GPT-2/nanoGPT convention). A tied matrix appears once (named_parameters dedupes it).
    """
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


@torch.no_grad()
def clip_grad_norm(parameters: Iterable[Tensor], max_norm: float) -> Tensor:
    """Scale all gradients by min(1, max_norm / ||g||) where ||g|| is the L2 norm of all of them
    concatenated; return ||g|| before clipping (0-d float32). Same as
    `torch.nn.utils.clip_grad_norm_`. One bad batch then moves the weights at most max_norm
    times the learning rate, instead of throwing the model far from where it was."""
    if not max_norm > 0:
        raise ValueError(f"max_norm={max_norm!r} must be > 0")
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    total = torch.linalg.vector_norm(
        torch.stack([torch.linalg.vector_norm(g.float()) for g in grads])
    )
    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for g in grads:
        g.mul_(scale.to(g.dtype))
    return total
