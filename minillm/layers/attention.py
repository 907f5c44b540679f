"""Scaled dot-product attention, its masks, and the multi-head (GQA) attention layer.

    Attention(Q, K, V) = softmax(Q K^T / sqrt(D) + bias, masked) V

Two ways to compute it, which agree to float rounding:
  * `attention_reference`: the formula line by line, returning the attention weights (plots);
  * `scaled_dot_product_attention`: the fast path, `ops.flash_attention` when there is nothing
    but a causal mask, else torch's fused SDPA with an explicit mask.
Masks are bool tensors broadcastable to (B, H, T, S) with True = "may attend" (the SDPA
convention). Grouped-query attention is in the shapes: q has H heads, k and v have H_kv heads,
and query head h reads kv head h // (H // H_kv) (never copied: see `attention_reference`).
"""

from __future__ import annotations

import math
from typing import Protocol

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn

from minillm.config import ModelConfig
from minillm.kernels import ops
from minillm.kernels.ops import causal_mask  # one definition, shared with the kernels
from minillm.layers.alibi import alibi_bias, alibi_slopes
from minillm.layers.rope import RotaryEmbedding, apply_rope


def padding_mask(attention_mask: Tensor) -> Tensor:
    """attention_mask: (B, S) with 1/True for real tokens, 0/False for padding (HF style)
    -> (B, 1, 1, S) bool, broadcastable over heads and queries."""
    if attention_mask.dim() != 2:
        raise ValueError(
            f"attention_mask.shape={tuple(attention_mask.shape)} must be (B, S) of 0/1"
        )
    return attention_mask.bool()[:, None, None, :]


def _combine_masks(mask: Tensor | None, causal: bool, t: int, s: int, device) -> Tensor | None:
    if mask is not None and mask.dtype != torch.bool:
        raise ValueError(f"mask must be a bool tensor (True = attend), got dtype={mask.dtype}")
    if mask is not None and (mask.dim() < 2 or mask.shape[-1] != s or mask.shape[-2] not in (1, t)):
        raise ValueError(  # shapes only, no device synchronisation
            f"mask.shape={tuple(mask.shape)} must broadcast to (B, H, T, S) with T={t} queries "
            f"and S={s} keys: its last dim must be {s} (one entry per key), the one before 1 or {t}"
        )
    if causal and t > 1:  # a single (last) query sees every key: the causal mask is all True
        c = causal_mask(t, s, device)
        mask = c if mask is None else mask & c
    return mask


def attention_reference(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    mask: Tensor | None = None,
    bias: Tensor | None = None,
    causal: bool = True,
    scale: float | None = None,
    dropout_p: float = 0.0,
) -> tuple[Tensor, Tensor]:
    """The readable attention. q: (B, H, T, D); k, v: (B, H_kv, S, D), H % H_kv == 0.

    mask: bool broadcastable to (B, H, T, S), True = attend; bias: float, added to the scores
    (ALiBi); causal: also hide keys after each query (bottom-right aligned when S > T).
    Returns (out: (B, H, T, D), weights: (B, H, T, S)). A query that may see no key at all
    (a padding row) gets all-zero weights and a zero output, as torch's SDPA does.
    """
    b, h, t, d = q.shape
    h_kv, s = k.shape[1], k.shape[2]
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    # GQA without copying K/V: the G = H / H_kv query heads of a group are stacked along the
    # query axis (a view of q), so one plain matmul per kv head serves the whole group.
    # (Broadcasting k.unsqueeze(2) over a group axis would not do: matmul materialises the
    # broadcast batch, i.e. K repeated to all H heads.)
    qg = rearrange(q, "b (hkv g) t d -> b hkv (g t) d", hkv=h_kv)
    scores = (qg @ k.transpose(-2, -1)) * scale  # (B, H_kv, G*T, S)
    scores = rearrange(scores, "b hkv (g t) s -> b (hkv g) t s", t=t)
    if bias is not None:
        scores = scores + bias
    mask = _combine_masks(mask, causal, t, s, q.device)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    # softmax in at least float32: half-precision exp/sum lose too much (float64 stays float64)
    weights = torch.softmax(scores.to(torch.promote_types(scores.dtype, torch.float32)), -1)
    weights = weights.to(q.dtype)
    if mask is not None:  # rows with no visible key are nan after softmax: make them zero
        weights = weights.masked_fill(~mask, 0.0)
    if dropout_p > 0.0:
        weights = F.dropout(weights, p=dropout_p)
    out = rearrange(weights, "b (hkv g) t s -> b hkv (g t) s", hkv=h_kv) @ v  # (B, H_kv, G*T, D)
    return rearrange(out, "b hkv (g t) d -> b (hkv g) t d", t=t), weights


def scaled_dot_product_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    mask: Tensor | None = None,
    bias: Tensor | None = None,
    causal: bool = True,
    scale: float | None = None,
    dropout_p: float = 0.0,
) -> Tensor:
    """The fast attention, same arguments and result as `attention_reference` (no weights).

    Only a causal mask and no dropout -> `ops.flash_attention` (FlashAttention-2 in Triton on
    CUDA); padding masks, ALiBi biases or dropout -> torch SDPA with one explicit mask.
    """
    if mask is None and bias is None and dropout_p == 0.0:
        return ops.flash_attention(q, k, v, causal=causal, scale=scale)
    t, s = q.shape[2], k.shape[2]
    mask = _combine_masks(mask, causal, t, s, q.device)
    if bias is not None:  # one float mask: the bias where visible, -inf where hidden
        bias = bias.to(q.dtype)
        mask = bias if mask is None else bias.masked_fill(~mask, float("-inf"))
    return F.scaled_dot_product_attention(
        q, k, v, attn_mask=mask, dropout_p=dropout_p, scale=scale, enable_gqa=True
    )


class KVCache(Protocol):
    """What attention needs from a KV cache (lesson 15 builds the real ones)."""

    def seq_len(self, layer_idx: int) -> int:
        """Number of positions already cached for this layer."""
        ...

    def update(self, layer_idx: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Append k, v: (B, H_kv, T, D); return all keys and values (B, H_kv, S, D)."""
        ...


class DynamicKVCache:
    """The simplest KVCache: per layer, concatenate the new keys and values to the old."""

    def __init__(self) -> None:
        self.keys: dict[int, Tensor] = {}
        self.values: dict[int, Tensor] = {}

    def seq_len(self, layer_idx: int = 0) -> int:
        return self.keys[layer_idx].shape[2] if layer_idx in self.keys else 0

    def update(self, layer_idx: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        if layer_idx in self.keys:
            k = torch.cat([self.keys[layer_idx], k], dim=2)
            v = torch.cat([self.values[layer_idx], v], dim=2)
        self.keys[layer_idx], self.values[layer_idx] = k, v
        return k, v


class MultiHeadAttention(nn.Module):
    """Causal self-attention with H query heads and H_kv key/value heads (MHA, GQA or MQA).

    Positions are handled here when they are relative: RoPE rotates q and k, ALiBi biases the
    scores (learned/sinusoidal positions are added to the embeddings by the model instead).
    """

    def __init__(self, config: ModelConfig, layer_idx: int = 0) -> None:
        super().__init__()
        c, d = config.d_model, config.head_dim
        self.layer_idx = layer_idx  # which slot of the KV cache is ours
        self.n_heads, self.n_kv_heads, self.head_dim = config.n_heads, config.n_kv_heads, d
        self.dropout = config.dropout
        self.q_proj = nn.Linear(c, config.n_heads * d, bias=config.bias)
        self.k_proj = nn.Linear(c, config.n_kv_heads * d, bias=config.bias)
        self.v_proj = nn.Linear(c, config.n_kv_heads * d, bias=config.bias)
        self.o_proj = nn.Linear(config.n_heads * d, c, bias=config.bias)
        self.rope = None
        if config.positions == "rope":
            self.rope = RotaryEmbedding(d, config.rope_theta, config.rope_scaling)
        if config.positions == "alibi":
            self.register_buffer("alibi_slopes", alibi_slopes(config.n_heads), persistent=False)
        else:
            self.alibi_slopes = None

    def forward(
        self,
        x: Tensor,
        positions: Tensor | None = None,
        attn_mask: Tensor | None = None,
        kv_cache: KVCache | None = None,
        return_weights: bool = False,
    ) -> Tensor | tuple[Tensor, Tensor]:
        """x: (B, T, C) -> (B, T, C), or (out, weights: (B, H, T, S)) if return_weights.

        positions: (T,) or (B, T) absolute positions of the T tokens (RoPE angles, ALiBi
            distances); default: the T positions after what kv_cache already holds.
        attn_mask: bool broadcastable to (B, H, T, S), True = attend (e.g. `padding_mask`);
            the causal mask is always applied as well.
        kv_cache: object with seq_len(layer_idx) and update(layer_idx, k, v) -> (k_all, v_all);
            keys are cached after RoPE, so they never need rotating again.
        """
        b, t, _ = x.shape
        q = rearrange(self.q_proj(x), "b t (h d) -> b h t d", h=self.n_heads)
        k = rearrange(self.k_proj(x), "b t (h d) -> b h t d", h=self.n_kv_heads)
        v = rearrange(self.v_proj(x), "b t (h d) -> b h t d", h=self.n_kv_heads)
        past = kv_cache.seq_len(self.layer_idx) if kv_cache is not None else 0
        if positions is None:
            positions = torch.arange(past, past + t, device=x.device)
        if self.rope is not None:
            cos, sin = self.rope(positions, dtype=q.dtype)
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if kv_cache is not None:
            k, v = kv_cache.update(self.layer_idx, k, v)
        bias = None
        if self.alibi_slopes is not None:
            # Keys in a dense cache sit at positions 0..S-1; without a cache they are the queries.
            k_pos = positions if kv_cache is None else torch.arange(k.shape[2], device=x.device)
            bias = alibi_bias(self.alibi_slopes, positions, k_pos)
        dropout_p = self.dropout if self.training else 0.0
        if return_weights:
            y, weights = attention_reference(q, k, v, attn_mask, bias, True, None, dropout_p)
        else:
            y = scaled_dot_product_attention(q, k, v, attn_mask, bias, True, None, dropout_p)
        y = self.o_proj(rearrange(y, "b h t d -> b t (h d)"))
        return (y, weights) if return_weights else y
