"""The pre-norm transformer block (GPT-2, Llama):

    x = x + attn(norm1(x))
    x = x + mlp(norm2(x))

Normalising the input of each sublayer, not the residual stream itself, keeps an identity
path from the embeddings to the output: gradients reach early layers undamped, which is what
lets deep stacks train without warm-up tricks (Xiong et al., 2020). In a mixture-of-experts
layer (config.is_moe_layer) the MLP is a `MoE`: same shapes, sparse inside.
"""

from __future__ import annotations

from torch import Tensor, nn

from minillm.config import ModelConfig
from minillm.layers.attention import KVCache, MultiHeadAttention
from minillm.layers.mlp import build_mlp
from minillm.layers.moe import MoE
from minillm.layers.norm import build_norm


class Block(nn.Module):
    """One decoder layer. x: (B, T, C) -> (B, T, C); arguments as `MultiHeadAttention`."""

    def __init__(self, config: ModelConfig, layer_idx: int = 0) -> None:
        super().__init__()
        self.attn_norm = build_norm(config.norm, config.d_model, config.norm_eps, config.bias)
        self.attn = MultiHeadAttention(config, layer_idx)
        self.mlp_norm = build_norm(config.norm, config.d_model, config.norm_eps, config.bias)
        self.is_moe = config.is_moe_layer(layer_idx)
        self.mlp = MoE(config) if self.is_moe else build_mlp(config)
        self.dropout = nn.Dropout(config.dropout)  # on each sublayer's output (residual dropout)

    def forward(
        self,
        x: Tensor,
        positions: Tensor | None = None,
        attn_mask: Tensor | None = None,
        kv_cache: KVCache | None = None,
        return_weights: bool = False,
        token_mask: Tensor | None = None,
    ) -> Tensor | tuple[Tensor, Tensor]:
        """Returns x, or (x, attention weights (B, H, T, S)) if return_weights.

        token_mask: (B, T) 1 = real token, 0 = padding; an MoE layer leaves padding unrouted."""
        a = self.attn(self.attn_norm(x), positions, attn_mask, kv_cache, return_weights)
        a, weights = a if return_weights else (a, None)
        x = x + self.dropout(a)
        h = self.mlp_norm(x)
        x = x + self.dropout(self.mlp(h, token_mask) if self.is_moe else self.mlp(h))
        return (x, weights) if return_weights else x
