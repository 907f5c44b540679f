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
    dropped: (token, expert) assignments over capacity, a 0-d int64 tensor (int() it to print;
    an int would be a host read every forward); load_balancing_loss, z_loss: 0-d.
    """

    router_logits: Tensor
    expert_index: Tensor
    expert_weights: Tensor
    tokens_per_expert: Tensor
    dropped: Tensor
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


def router_z_loss(router_logits: Tensor, token_mask: Tensor | None = None) -> Tensor:
    """ST-MoE z-loss: mean over tokens of logsumexp(logits)^2. Large logits make the softmax
    (and bf16 rounding) unstable; this keeps them near zero without changing the ranking.
    token_mask: (N,) or (B, T), 0 = padding, left out of the mean."""
    z = torch.logsumexp(router_logits.float(), dim=-1).square()
    if token_mask is None:
        return z.mean()
    w = token_mask.reshape(-1).to(z)
    return (z * w).sum() / w.sum()


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
    order, routed, rank = _queues(flat, n_experts)
    if capacity is None:
        return order, routed, routed
    keep = rank < capacity
    return order[keep], routed.clamp(max=capacity), routed


def _queues(flat: Tensor, n_experts: int) -> tuple[Tensor, Tensor, Tensor]:
    """flat: (M,) expert ids in priority order -> (order, routed, rank), all static shapes:
    order (M,) sorts them by expert, keeping their order within an expert; routed (E,) counts
    them; rank (M,) is each sorted entry's place in its expert's queue (0 = first)."""
    order = torch.argsort(flat, stable=True)  # grouped by expert, queue order kept within
    routed = torch.zeros(n_experts, dtype=torch.long, device=flat.device)
    routed = routed.scatter_add(0, flat, torch.ones_like(flat))  # bincount, fixed length
    starts = routed.cumsum(0) - routed  # where each expert's group begins in `order`
    rank = torch.arange(flat.numel(), device=flat.device) - starts[flat[order]]
    return order, routed, rank


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

    def forward(self, x: Tensor, token_mask: Tensor | None = None) -> Tensor:
        """x: (B, T, C), token_mask: (B, T) 1 = real token, 0 = padding -> (B, T, C).

        Padding tokens are not routed (their expert output is zero), take no capacity slot
        and count in neither the balance loss nor the z-loss (as HF Mixtral's
        ``load_balancing_loss_func`` with an attention mask)."""
        b, t, c = x.shape
        n, e, k = b * t, self.n_experts, self.top_k
        h = rearrange(x, "b t c -> (b t) c")
        logits = self.router(h)  # (N, E)
        weights, index, _ = top_k_routing(logits, k, self.renormalize)
        real = None if token_mask is None else rearrange(token_mask, "b t -> (b t)").bool()
        # choice-major assignments a = choice * N + token; padding goes to a dummy expert E
        flat = rearrange(index, "n k -> (k n)")
        if real is not None:
            flat = torch.where(real.repeat(k), flat, e)
        gate = rearrange(weights, "n k -> (k n)").to(h.dtype)
        token = torch.arange(k * n, device=h.device) % n
        if self.capacity_factor is None:
            y, routed, dropped = self._dropless(h, flat, gate, token)
        else:
            y, routed, dropped = self._with_capacity(h, flat, gate, token, real)
        if self.shared_expert is not None:
            y = y + self.shared_expert(h)

        self.last_stats = MoEStats(
            router_logits=logits,
            expert_index=index,
            expert_weights=weights,
            tokens_per_expert=routed,
            dropped=dropped,
            load_balancing_loss=load_balancing_loss(logits, e, k, token_mask),
            z_loss=router_z_loss(logits, real),
        )
        return rearrange(y, "(b t) c -> b t c", b=b)

    def _dropless(self, h: Tensor, flat: Tensor, gate: Tensor, token: Tensor):
        """Every assignment runs: one contiguous slab per expert. The slab sizes are shapes,
        so this path reads the E counts back to the host once per layer (use a capacity for a
        forward without host reads: torch.compile, CUDA graphs)."""
        e = self.n_experts
        order, counts, _ = _queues(flat, e + 1)  # the last bucket: padding
        token, gate = token[order], gate[order]
        sizes = counts.tolist()  # the one host read
        slabs = h[token].split(sizes)[:e]
        outs = [expert(slab) for expert, slab in zip(self.experts, slabs) if slab.shape[0]]
        y = torch.zeros_like(h)
        m = sum(sizes[:e])  # the routed assignments come first; padding's are at the end
        if outs:  # each routed assignment adds gate * expert(x) to its token's output
            y.index_add_(0, token[:m], torch.cat(outs) * gate[:m, None])
        return y, counts[:e], torch.zeros((), dtype=torch.int64, device=h.device)

    def _with_capacity(self, h: Tensor, flat: Tensor, gate: Tensor, token: Tensor, real):
        """Static shapes, no host read: each expert runs on its `slots` rows, filled with its
        first `limit` assignments in priority order (the rest of the slots stay zero and are
        never read back). With padding the limit counts real tokens only."""
        e, k, n = self.n_experts, self.top_k, h.shape[0]
        slots = expert_capacity(n, e, k, self.capacity_factor)  # every token real: the most
        limit = slots
        if real is not None:  # Python's float64 order of operations, on the device
            n_real = real.sum().double()
            limit = torch.ceil(self.capacity_factor * n_real * k / e).long()
        # each assignment's place in its expert's queue (padding queues at the dummy expert E),
        # from one sort: O(kN) memory, not a (kN, E + 1) one-hot and its cumsum
        order, counts, rank_sorted = _queues(flat, e + 1)
        rank = torch.empty_like(rank_sorted).scatter(0, order, rank_sorted)
        routed = counts[:e]
        kept = (flat < e) & (rank < limit)
        trash = e * slots  # one extra row takes every assignment that is not kept
        slot = torch.where(kept, flat * slots + rank, trash)
        buf = h.new_zeros(trash + 1, h.shape[1])
        buf = buf.index_put((slot,), h[token])  # not kept: all land in the trash row
        outs = [expert(buf[i * slots : (i + 1) * slots]) for i, expert in enumerate(self.experts)]
        out = torch.cat(outs + [buf[trash:]])
        y = torch.zeros_like(h)
        y.index_add_(0, token, out[slot] * (gate * kept)[:, None])
        dropped = (flat < e).sum() - kept.sum()
        return y, routed, dropped

    def extra_repr(self) -> str:
        return (
            f"n_experts={self.n_experts}, top_k={self.top_k}, "
            f"capacity_factor={self.capacity_factor}, renormalize={self.renormalize}"
        )
