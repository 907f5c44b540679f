"""Memory arithmetic from configs (lesson 15): how big a KV cache gets, and what one decode
step reads and computes.

    rows = kv_cache_table()            # Llama-2-7B/70B, Llama-3-8B, Mixtral 8x7B, fp16
    kv_claim_check(40.0)               # what "a 70B model needs ~40 GB per 4K tokens" really is
    decode_step_cost(config, batch_size=8, context_len=128)   # bytes, FLOPs, intensity

Every token a model has seen leaves one key and one value vector per layer and KV head in the
cache: 2 * n_layers * n_kv_heads * head_dim values per token (`minillm.config.kv_cache_bytes`).
Grouped-query attention (GQA) shares each KV head between n_heads / n_kv_heads query heads and
divides the cache by that factor; the "no GQA" columns put n_kv_heads = n_heads back (plain
multi-head attention with the same model shape) to show what GQA saves.

All numbers are exact integers of bytes; 1 GiB = 2**30 bytes, 1 GB = 1e9 bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minillm.config import ModelConfig, kv_cache_bytes, matmul_params
from minillm.inference.checks import check_int

TABLE_MODELS = ("llama2-7b", "llama2-70b", "llama3-8b", "mixtral-8x7b")
GIB = 2**30


def kv_cache_table(
    names: Sequence[str] = TABLE_MODELS,
    seq_lens: Sequence[int] = (4096, 32768),
    dtype_bytes: int = 2,
) -> list[dict[str, Any]]:
    """One row per preset name: the KV cache of one sequence, with and without GQA.

    Row keys: name, n_layers, n_heads, n_kv_heads, head_dim, gqa_factor (n_heads / n_kv_heads),
    bytes_per_token, bytes_per_token_no_gqa, and for each s in seq_lens bytes_at_{s} and
    bytes_at_{s}_no_gqa (one sequence of s tokens, batch 1). dtype_bytes: 2 = fp16/bf16,
    4 = fp32, 1 = int8. Llama-2-7B in fp16: 524,288 bytes (0.5 MiB) per token, 2 GiB at 4096
    tokens (it has no GQA: both columns agree). Llama-2-70B: 327,680 bytes per token, 1.25 GiB
    at 4096 (10 GiB without GQA).
    """
    if isinstance(names, str):
        raise ValueError(f"names={names!r} must be a sequence of preset names, not one string")
    check_int("dtype_bytes", dtype_bytes, 1)
    for s in seq_lens:
        check_int("seq_len", s, 0)
    rows = []
    for name in names:
        c = ModelConfig.preset(name)  # ValueError naming the valid presets
        mha = c.replace(n_kv_heads=c.n_heads)
        row: dict[str, Any] = dict(
            name=name,
            n_layers=c.n_layers,
            n_heads=c.n_heads,
            n_kv_heads=c.n_kv_heads,
            head_dim=c.head_dim,
            gqa_factor=c.n_heads // c.n_kv_heads,
            bytes_per_token=kv_cache_bytes(c, 1, 1, dtype_bytes),
            bytes_per_token_no_gqa=kv_cache_bytes(mha, 1, 1, dtype_bytes),
        )
        for s in seq_lens:
            row[f"bytes_at_{s}"] = kv_cache_bytes(c, s, 1, dtype_bytes)
            row[f"bytes_at_{s}_no_gqa"] = kv_cache_bytes(mha, s, 1, dtype_bytes)
        rows.append(row)
    return rows


def kv_claim_check(
    claimed_gb: float = 40.0,
    name: str = "llama2-70b",
    seq_len: int = 4096,
    dtype_bytes: int = 2,
) -> dict[str, Any]:
    """Check a claim "model `name` needs `claimed_gb` GB of KV cache per `seq_len`-token
    sequence" against the config; returns the config's numbers, with and without GQA.

    For the common "a 70B model needs about 40 GB per 4K-token sequence" (the defaults), the
    Llama-2-70B config (80 layers, 8 KV heads of 64 query heads, head_dim 128) gives in fp16:
      with GQA:    2 * 80 * 8 * 128 * 2 = 327,680 bytes/token -> 1,342,177,280 bytes
                   = 1.25 GiB = 1.34 GB per 4096 tokens (the claim is 29.8x too big);
      without GQA: 2 * 80 * 64 * 128 * 2 = 2,621,440 bytes/token -> 10,737,418,240 bytes
                   = 10 GiB = 10.7 GB per 4096 tokens (the claim is still 3.7x too big).
    40 GB would hold 122,070 tokens with GQA, 15,258 without (fp16, one sequence); fp32
    doubles the bytes, so even fp32 without GQA (21.5 GB) falls short of 40 GB.

    Keys: name, seq_len, dtype_bytes, claimed_bytes, bytes_gqa, bytes_no_gqa, claim_over_gqa,
    claim_over_no_gqa (claimed / computed), tokens_in_claim_gqa, tokens_in_claim_no_gqa
    (whole tokens that fit in the claimed bytes).
    """
    if isinstance(claimed_gb, bool) or not isinstance(claimed_gb, (int, float)) or claimed_gb <= 0:
        raise ValueError(f"claimed_gb={claimed_gb!r} must be a number of GB > 0")
    check_int("seq_len", seq_len, 1)
    row = kv_cache_table([name], [seq_len], dtype_bytes)[0]
    claimed = claimed_gb * 1e9
    gqa, no_gqa = row[f"bytes_at_{seq_len}"], row[f"bytes_at_{seq_len}_no_gqa"]
    return dict(
        name=name,
        seq_len=seq_len,
        dtype_bytes=dtype_bytes,
        claimed_bytes=claimed,
        bytes_gqa=gqa,
        bytes_no_gqa=no_gqa,
        claim_over_gqa=claimed / gqa,
        claim_over_no_gqa=claimed / no_gqa,
        tokens_in_claim_gqa=int(claimed // row["bytes_per_token"]),
        tokens_in_claim_no_gqa=int(claimed // row["bytes_per_token_no_gqa"]),
    )


# -------------------------------------------------------------------- the cost model
def decode_step_cost(
    config: ModelConfig,
    batch_size: int,
    context_len: int,
    weight_bytes: int = 4,
    kv_bytes: int = 4,
) -> dict[str, Any]:
    """Bytes read and FLOPs done by one decode step: B rows, one new token each, with
    context_len positions already cached, so each new token attends over S = context_len + 1
    keys (the cached ones and its own, written this step).

    Bytes (weights stored in weight_bytes each, the cache in kv_bytes each):
      weights: every parameter once, for the whole batch, except the token (and learned
        position) embedding tables, of which a step gathers only B rows (B * d_model values,
        negligible); a tied table is read in full as the lm_head. With a mixture of experts
        each MoE layer reads at most min(n_experts, B * experts_per_token) experts (an upper
        bound: it assumes the rows pick different experts).
      kv: B * S * 2 * n_layers * n_kv_heads * head_dim values (`kv_cache_bytes`).
      Activations (B * d_model-sized per layer) and the (B, vocab) logits written are left
      out; they matter only once B approaches d_model.
    FLOPs: matmul 2 * N * B, N the weights a token goes through (every parameter but the
      embedding tables, the lm_head counted; norm gains and biases are in N too, a 0.1%
      overcount), attention 4 * n_layers * B * S * n_heads * head_dim (Q K^T and A V).

    Returns dict: batch_size, context_len, attended (S), params_read, matmul_params (N),
    weight_bytes_read, kv_bytes_read, bytes (their sum), matmul_flops, attention_flops,
    flops (their sum), intensity (flops / bytes, FLOP/byte).
    """
    check_int("batch_size", batch_size, 1)
    check_int("context_len", context_len, 0)
    check_int("weight_bytes", weight_bytes, 1)
    check_int("kv_bytes", kv_bytes, 1)
    c = config
    n_flop = matmul_params(c)
    touched = c
    if c.n_experts > 0:  # the experts the batch can reach, at most all of them
        touched = c.replace(experts_per_token=min(c.n_experts, batch_size * c.experts_per_token))
    n_read = matmul_params(touched)
    s = context_len + 1
    w_bytes = n_read * weight_bytes
    kv = kv_cache_bytes(c, s, batch_size, kv_bytes)
    mm = 2 * n_flop * batch_size
    attn = 4 * c.n_layers * batch_size * s * c.n_heads * c.head_dim
    return dict(
        batch_size=batch_size,
        context_len=context_len,
        attended=s,
        params_read=n_read,
        matmul_params=n_flop,
        weight_bytes_read=w_bytes,
        kv_bytes_read=kv,
        bytes=w_bytes + kv,
        matmul_flops=mm,
        attention_flops=attn,
        flops=mm + attn,
        intensity=(mm + attn) / (w_bytes + kv),
    )
