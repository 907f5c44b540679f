"""Transformer building blocks, one idea per module.

norm.py       LayerNorm, RMSNorm
embedding.py  token embedding; learned and sinusoidal absolute positions
rope.py       rotary position embeddings and their scaling: linear, NTK, dynamic NTK, YaRN
alibi.py      ALiBi slopes and biases
attention.py  masks, reference and fast attention, DynamicKVCache, MultiHeadAttention (GQA)
mlp.py        GELU MLP, SwiGLU
moe.py        mixture of experts: router, top-k, balance and z losses, capacity, dispatch
block.py      the pre-norm block (dense MLP or MoE)
"""

from minillm.layers.alibi import alibi_bias, alibi_slopes
from minillm.layers.attention import (
    DynamicKVCache,
    KVCache,
    MultiHeadAttention,
    attention_reference,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
)
from minillm.layers.block import Block
from minillm.layers.embedding import (
    LearnedPositionalEmbedding,
    SinusoidalPositionalEmbedding,
    TokenEmbedding,
    sinusoidal_table,
)
from minillm.layers.mlp import GeluMLP, SwiGLU, build_mlp
from minillm.layers.moe import (
    MoE,
    MoEStats,
    expert_capacity,
    group_by_expert,
    load_balancing_loss,
    router_z_loss,
    top_k_routing,
)
from minillm.layers.norm import LayerNorm, RMSNorm, build_norm
from minillm.layers.rope import (
    ROPE_SCALING,
    RotaryEmbedding,
    apply_rope,
    register_rope_scaling,
    rope_frequencies,
)

__all__ = [
    "Block",
    "DynamicKVCache",
    "GeluMLP",
    "KVCache",
    "LayerNorm",
    "LearnedPositionalEmbedding",
    "MoE",
    "MoEStats",
    "MultiHeadAttention",
    "RMSNorm",
    "ROPE_SCALING",
    "RotaryEmbedding",
    "SinusoidalPositionalEmbedding",
    "SwiGLU",
    "TokenEmbedding",
    "alibi_bias",
    "alibi_slopes",
    "apply_rope",
    "attention_reference",
    "build_mlp",
    "build_norm",
    "causal_mask",
    "expert_capacity",
    "group_by_expert",
    "load_balancing_loss",
    "padding_mask",
    "register_rope_scaling",
    "rope_frequencies",
    "router_z_loss",
    "scaled_dot_product_attention",
    "sinusoidal_table",
    "top_k_routing",
]
