"""Mixture of experts: a router sends each token to k of E expert MLPs (lesson 06).

    probs   = softmax(x W_router)                      (N, E) in float32
    top-k   = the k largest probs per token, optionally renormalised to sum to 1 (Mixtral)
    y       = sum over the token's experts e of  weight_e * expert_e(x)  (+ shared_expert(x))

Only k experts run per token, so a layer holds E MLPs of parameters but costs k of FLOPs.
Three things make it train and run well:
  * the load-balancing loss (Switch Transformer, Fedus et al. 2021; Mixtral) pushes the
    router to spread tokens: E * sum_e f_e * P_e, where f_e is the fraction of tokens routed
    to e (counting all k choices) and P_e the mean router probability of e;
  * the router z-loss (ST-MoE, Zoph et al. 2022) keeps the logits small: mean(logsumexp^2);
  * a capacity (GShard/Switch): each expert takes at most ceil(capacity_factor * N * k / E)
    tokens; later ones are dropped (their expert output is zero: the residual carries them).
    First choices have priority over second choices, then tokens go in order.
Dispatch groups the N * k (token, expert) assignments by expert with one stable sort, so each
expert runs once on a contiguous slab of its tokens: a loop over experts, none over tokens.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn

from minillm.config import ModelConfig
from minillm.layers.mlp import build_mlp


@dataclass
class MoEStats:
    """What one MoE layer saw in its last forward (N = B * T tokens).

    router_logits: (N, E); expert_index, expert_weights: (N, k) the chosen experts and their
    gates; tokens_per_expert: (E,) assignments routed to each expert (before capacity);
    dropped: (token, expert) assignments over capacity; load_balancing_loss, z_loss: 0-d.
    """

    router_logits: Tensor
    expert_index: Tensor
    expert_weights: Tensor
    tokens_per_expert: Tensor
    dropped: int
    load_balancing_loss: Tensor
    z_loss: Tensor


# -------------------------------------------------------------------- routing and losses
def top_k_routing(
    router_logits: Tensor, k: int, renormalize: bool = True
) -> tuple[Tensor, Tensor, Tensor]:
    """router_logits: (N, E) -> (weights (N, k) float32, index (N, k) int64, probs (N, E)).

    Softmax over all E experts in float32, then the k largest; renormalize rescales the k
    weights to sum to 1 (Mixtral), else they keep their softmax values (Switch, Qwen-MoE).
    """
    n_experts = router_logits.shape[-1]
    if not 1 <= k <= n_experts:
        raise ValueError(f"k={k} must be between 1 and the number of experts {n_experts}")
    probs = torch.softmax(router_logits.float(), dim=-1)
    weights, index = torch.topk(probs, k, dim=-1)
    if renormalize:
        weights = weights / weights.sum(dim=-1, keepdim=True)
    return weights, index, probs


def load_balancing_loss(
    router_logits: Tensor | Sequence[Tensor],
    n_experts: int,
    top_k: int,
    attention_mask: Tensor | None = None,
) -> Tensor:
    """Switch/Mixtral auxiliary loss E * sum_e f_e P_e, as HF `load_balancing_loss_func`.

    router_logits: (N, E), or a sequence of per-layer (N, E) that are pooled (HF's choice).
    f_e: assignments to e over tokens (all top_k choices count, so sum_e f_e = top_k);
    P_e: mean softmax probability of e. Perfect balance gives top_k; routing every token to
    the same k experts gives up to E. f is a count (no gradient); the gradient reaches the
    router through P, lowering the probability of the busiest experts.
    attention_mask: (B, T) with N = B * T; 0 marks padding tokens to leave out.
    """
    logits = router_logits if isinstance(router_logits, Tensor) else torch.cat(list(router_logits))
    if logits.shape[-1] != n_experts:
        raise ValueError(f"router_logits has {logits.shape[-1]} experts, n_experts={n_experts}")
    layers = 1 if isinstance(router_logits, Tensor) else len(router_logits)
    probs = torch.softmax(logits.float(), dim=-1)
    chosen = torch.topk(probs, top_k, dim=-1).indices
    counts = F.one_hot(chosen, n_experts).sum(dim=1).float()  # (N, E): 0/1 per chosen expert
    if attention_mask is None:
        tokens = torch.ones(probs.shape[0], device=probs.device)
    else:
        tokens = attention_mask.reshape(-1).float().to(probs.device).repeat(layers)
    f = (counts * tokens[:, None]).sum(0) / tokens.sum()
    p = (probs * tokens[:, None]).sum(0) / tokens.sum()
    return n_experts * (f * p).sum()


def router_z_loss(router_logits: Tensor) -> Tensor:
    """ST-MoE z-loss: mean over tokens of logsumexp(logits)^2. Large logits make the softmax
    (and bf16 rounding) unstable; this keeps them near zero without changing the ranking."""
    return torch.logsumexp(router_logits.float(), dim=-1).square().mean()


def expert_capacity(n_tokens: int, n_experts: int, k: int, capacity_factor: float) -> int:
    """Slots per expert: ceil(capacity_factor * n_tokens * k / n_experts). With factor 1 the
    slots add up to exactly the N * k assignments, so only perfect balance drops nothing."""
    if not capacity_factor > 0:
        raise ValueError(f"capacity_factor={capacity_factor!r} must be > 0")
    return math.ceil(capacity_factor * n_tokens * k / n_experts)


def group_by_expert(
    expert_index: Tensor, n_experts: int, capacity: int | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """Sort the N * k assignments by expert, keeping at most `capacity` per expert.

    expert_index: (N, k). Returns (order, counts, routed):
      order: (M,) indices into the flattened choice-major assignments (a = choice * N + token)
             of the M kept ones, grouped by expert (expert 0's first, in priority order);
      counts: (E,) kept assignments per expert (the slab sizes, summing to M);
      routed: (E,) assignments per expert before the capacity cut.
    Choice-major order gives every first choice priority over any second choice (GShard).
    """
    flat = rearrange(expert_index, "n k -> (k n)")  # choice-major: every first choice first
    order = torch.argsort(flat, stable=True)  # grouped by expert, queue order kept within
    routed = torch.bincount(flat, minlength=n_experts)
    if capacity is None:
        return order, routed, routed
    starts = routed.cumsum(0) - routed  # where each expert's group begins in `order`
    rank = torch.arange(flat.numel(), device=flat.device) - starts[flat[order]]
    keep = rank < capacity
    return order[keep], routed.clamp(max=capacity), routed


# -------------------------------------------------------------------- the layer
class MoE(nn.Module):
    """Sparse mixture-of-experts MLP. x: (B, T, C) -> (B, T, C); `last_stats` holds the
    router logits, choices, token counts, drops and aux losses of the last forward.

    Submodules: router (Linear C -> E, no bias), experts[e] (the config's MLP, width d_ff),
    shared_expert (one more MLP, always on) or None.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if config.n_experts < 1:
            raise ValueError(f"MoE needs n_experts >= 1, got n_experts={config.n_experts}")
        self.n_experts, self.top_k = config.n_experts, config.experts_per_token
        self.capacity_factor, self.renormalize = config.capacity_factor, config.renormalize_topk
        self.router = nn.Linear(config.d_model, config.n_experts, bias=False)
        self.experts = nn.ModuleList(build_mlp(config) for _ in range(config.n_experts))
        self.shared_expert = build_mlp(config) if config.shared_expert else None
        self.last_stats: MoEStats | None = None

    def forward(self, x: Tensor) -> Tensor:
        b, t, c = x.shape
        h = rearrange(x, "b t c -> (b t) c")
        logits = self.router(h)  # (N, E)
        weights, index, _ = top_k_routing(logits, self.top_k, self.renormalize)
        capacity = None
        if self.capacity_factor is not None:
            capacity = expert_capacity(b * t, self.n_experts, self.top_k, self.capacity_factor)
        order, counts, routed = group_by_expert(index, self.n_experts, capacity)

        token = order % (b * t)  # assignment a = choice * N + token
        gate = rearrange(weights, "n k -> (k n)")[order].to(h.dtype)  # (M,), choice-major
        slabs = h[token].split(counts.tolist())  # one contiguous slab per expert
        outs = [expert(slab) for expert, slab in zip(self.experts, slabs) if slab.shape[0]]
        y = torch.zeros_like(h)
        if outs:  # each kept assignment adds gate * expert(x) to its token's output
            y.index_add_(0, token, torch.cat(outs) * gate[:, None])
        if self.shared_expert is not None:
            y = y + self.shared_expert(h)

        self.last_stats = MoEStats(
            router_logits=logits,
            expert_index=index,
            expert_weights=weights,
            tokens_per_expert=routed,
            dropped=int(index.numel() - order.numel()),
            load_balancing_loss=load_balancing_loss(logits, self.n_experts, self.top_k),
            z_loss=router_z_loss(logits),
        )
        return rearrange(y, "(b t) c -> b t c", b=b)

    def extra_repr(self) -> str:
        return (
            f"n_experts={self.n_experts}, top_k={self.top_k}, "
            f"capacity_factor={self.capacity_factor}, renormalize={self.renormalize}"
        )
