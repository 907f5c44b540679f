"""Transformer building blocks, one idea per module.

norm.py       LayerNorm, RMSNorm
embedding.py  token embedding; learned and sinusoidal absolute positions
rope.py       rotary position embeddings (+ the rope_scaling hook for lesson 05)
alibi.py      ALiBi slopes and biases
attention.py  masks, reference and fast attention, DynamicKVCache, MultiHeadAttention (GQA)
mlp.py        GELU MLP, SwiGLU
block.py      the pre-norm block
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
    "padding_mask",
    "register_rope_scaling",
    "rope_frequencies",
    "scaled_dot_product_attention",
    "sinusoidal_table",
]
