"""Attention: masks, the reference and fast paths, GQA, the KV-cache hook, the block."""

import math

import pytest
import torch
from torch.autograd import gradcheck

from minillm.config import ModelConfig
from minillm.layers import (
    Block,
    DynamicKVCache,
    MultiHeadAttention,
    alibi_bias,
    alibi_slopes,
    attention_reference,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
)


def _qkv(b=2, h=4, h_kv=2, t=5, s=None, d=8, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    s = t if s is None else s
    q = torch.randn(b, h, t, d, generator=g, dtype=dtype)
    k = torch.randn(b, h_kv, s, d, generator=g, dtype=dtype)
    v = torch.randn(b, h_kv, s, d, generator=g, dtype=dtype)
    return q, k, v


def _naive(q, k, v, allowed):
    """Textbook attention with K/V heads repeated explicitly (the copy GQA avoids)."""
    rep = q.shape[1] // k.shape[1]
    k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    return torch.softmax(scores.masked_fill(~allowed, float("-inf")), -1) @ v


def test_causal_mask_square_and_bottom_right():
    assert torch.equal(causal_mask(3), torch.tril(torch.ones(3, 3, dtype=torch.bool)))
    # 2 new queries after 3 cached keys: query 0 is position 3, sees keys 0..3
    expected = torch.tensor([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    assert torch.equal(causal_mask(2, 5), expected)


def test_padding_mask_shape_and_errors():
    m = padding_mask(torch.tensor([[0, 1, 1], [1, 1, 1]]))
    assert m.shape == (2, 1, 1, 3) and m.dtype == torch.bool and not m[0, 0, 0, 0]
    with pytest.raises(ValueError, match=r"attention_mask.shape=\(3,\) must be \(B, S\)"):
        padding_mask(torch.ones(3))


def test_reference_matches_naive_gqa_and_weights_sum_to_one():
    q, k, v = _qkv()
    out, w = attention_reference(q, k, v, causal=True)
    torch.testing.assert_close(out, _naive(q, k, v, causal_mask(5)))
    assert w.shape == (2, 4, 5, 5)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 4, 5))
    assert torch.all(w[..., 0, 1:] == 0)  # the first token sees only itself


@pytest.mark.parametrize("t, s", [(5, 5), (1, 6), (3, 7)])
@pytest.mark.parametrize("h_kv", [1, 2, 4])
def test_fast_path_matches_reference(t, s, h_kv):
    q, k, v = _qkv(h_kv=h_kv, t=t, s=s)
    ref, _ = attention_reference(q, k, v, causal=True)
    torch.testing.assert_close(scaled_dot_product_attention(q, k, v), ref, atol=1e-5, rtol=1e-5)


def test_paths_agree_with_padding_mask_and_alibi_bias():
    q, k, v = _qkv(t=6)
    mask = padding_mask(torch.tensor([[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]]))
    bias = alibi_bias(alibi_slopes(4), torch.arange(6), torch.arange(6))
    ref, w = attention_reference(q, k, v, mask=mask, bias=bias)
    fast = scaled_dot_product_attention(q, k, v, mask=mask, bias=bias)
    torch.testing.assert_close(fast, ref, atol=1e-5, rtol=1e-5)
    assert torch.all(w[0, :, :, :2] == 0)  # padded keys get no weight
    # rows of padded queries see no key at all: zero weights and output, never nan
    assert torch.all(w[0, :, :2] == 0) and torch.all(ref[0, :, :2] == 0)
    assert torch.all(fast[0, :, :2] == 0)


def test_non_causal_and_mask_dtype_error():
    q, k, v = _qkv(h_kv=4)
    ref, _ = attention_reference(q, k, v, causal=False)
    torch.testing.assert_close(ref, _naive(q, k, v, torch.ones(5, 5, dtype=torch.bool)))
    with pytest.raises(ValueError, match="mask must be a bool tensor"):
        attention_reference(q, k, v, mask=torch.ones(5, 5))


def test_attention_gradcheck_both_paths():
    q, k, v = (t.requires_grad_() for t in _qkv(b=1, h=2, h_kv=1, t=3, d=4, dtype=torch.float64))
    mask = padding_mask(torch.tensor([[0, 1, 1]]))
    assert gradcheck(lambda *a: attention_reference(*a, mask=mask)[0][:, :, 1:], (q, k, v))
    assert gradcheck(lambda *a: scaled_dot_product_attention(*a), (q, k, v))


# ------------------------------------------------------------------ the layer
def _cfg(**kw):
    base = dict(vocab_size=32, d_model=16, n_layers=2, n_heads=4, n_kv_heads=2, max_seq_len=16)
    return ModelConfig(**{**base, **kw})


def _layer(positions="rope", seed=0, **kw):
    torch.manual_seed(seed)
    layer = MultiHeadAttention(_cfg(positions=positions, **kw), layer_idx=0)
    for p in layer.parameters():
        torch.nn.init.normal_(p, std=0.3)
    return layer.eval()


def test_layer_has_gqa_shapes():
    layer = _layer(bias=False)
    assert layer.k_proj.weight.shape == (8, 16)  # n_kv_heads * head_dim rows, not d_model
    assert layer.q_proj.weight.shape == (16, 16)


@pytest.mark.parametrize("positions", ["rope", "alibi", "none"])
def test_layer_weights_path_matches_fast_path(positions):
    layer, x = _layer(positions), torch.randn(2, 6, 16)
    y, w = layer(x, return_weights=True)
    torch.testing.assert_close(layer(x), y, atol=1e-5, rtol=1e-5)
    assert w.shape == (2, 4, 6, 6)


@pytest.mark.parametrize("positions", ["rope", "alibi", "none"])
def test_kv_cache_decoding_matches_full_forward(positions):
    layer, x = _layer(positions), torch.randn(2, 7, 16)
    full = layer(x)
    cache = DynamicKVCache()
    parts = [layer(x[:, :4], kv_cache=cache)]  # prefill
    parts += [layer(x[:, i : i + 1], kv_cache=cache) for i in range(4, 7)]  # decode
    torch.testing.assert_close(torch.cat(parts, 1), full, atol=1e-5, rtol=1e-5)
    assert cache.seq_len(0) == 7 and cache.keys[0].shape == (2, 2, 7, 4)


def test_rope_layer_uses_given_positions():
    layer, x = _layer("rope"), torch.randn(1, 4, 16)
    shifted = layer(x, positions=torch.arange(10, 14))
    torch.testing.assert_close(shifted, layer(x), atol=1e-5, rtol=1e-5)  # relative: same
    alibi = _layer("alibi")
    torch.testing.assert_close(
        alibi(x, positions=torch.arange(10, 14)), alibi(x), atol=1e-5, rtol=1e-5
    )


def test_layer_gradcheck():
    layer, x = _layer("rope").double(), torch.randn(1, 3, 16, dtype=torch.float64)
    assert gradcheck(layer, (x.requires_grad_(),), fast_mode=True)
    assert gradcheck(lambda t: layer(t, return_weights=True)[0], (x,), fast_mode=True)  # reference


def test_block_is_prenorm_residual():
    torch.manual_seed(0)
    block = Block(_cfg(norm="rmsnorm", activation="swiglu", positions="rope"), 0).eval()
    x = torch.randn(2, 5, 16)
    h = x + block.attn(block.attn_norm(x))
    torch.testing.assert_close(block(x), h + block.mlp(block.mlp_norm(h)))
    out, w = block(x, return_weights=True)
    torch.testing.assert_close(out, block(x), atol=1e-5, rtol=1e-5)
    assert w.shape == (2, 4, 5, 5)


def test_block_gradcheck():
    torch.manual_seed(0)
    block = Block(_cfg(positions="alibi"), 0).double().eval()
    x = torch.randn(1, 3, 16, dtype=torch.float64, requires_grad=True)
    assert gradcheck(block, (x,), fast_mode=True)
