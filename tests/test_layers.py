"""Norms, embeddings, RoPE, ALiBi and MLPs: formulas, invariants and gradients."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck

from minillm.config import ModelConfig
from minillm.layers import (
    GeluMLP,
    LayerNorm,
    LearnedPositionalEmbedding,
    RMSNorm,
    RotaryEmbedding,
    SinusoidalPositionalEmbedding,
    SwiGLU,
    TokenEmbedding,
    alibi_bias,
    alibi_slopes,
    apply_rope,
    build_norm,
    rope_frequencies,
    sinusoidal_table,
)


def _randomize(module, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype))
    return module


# ------------------------------------------------------------------ norms
def test_rmsnorm_formula():
    x = torch.randn(2, 3, 8)
    norm = _randomize(RMSNorm(8, eps=1e-6))
    expected = x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * norm.weight
    torch.testing.assert_close(norm(x), expected, atol=1e-6, rtol=1e-5)


def test_layernorm_matches_torch():
    x = torch.randn(2, 3, 8)
    ours = _randomize(LayerNorm(8, eps=1e-5))
    ref = torch.nn.LayerNorm(8, eps=1e-5)
    ref.load_state_dict(ours.state_dict())
    torch.testing.assert_close(ours(x), ref(x))
    assert LayerNorm(8, bias=False).bias is None


def test_build_norm_rejects_unknown():
    assert isinstance(build_norm("rmsnorm", 4, 1e-6), RMSNorm)
    with pytest.raises(ValueError, match=r"norm='groupnorm' is unknown; valid"):
        build_norm("groupnorm", 4, 1e-6)


@pytest.mark.parametrize("norm_cls", [RMSNorm, LayerNorm])
def test_norm_gradcheck(norm_cls):
    norm = _randomize(norm_cls(6)).double()
    x = torch.randn(2, 3, 6, dtype=torch.float64, requires_grad=True)
    assert gradcheck(norm, (x,))


# ------------------------------------------------------------------ embeddings
def test_token_embedding_lookup_and_range():
    emb = TokenEmbedding(10, 4)
    idx = torch.tensor([[0, 9, 3]])
    torch.testing.assert_close(emb(idx), emb.weight[idx])
    with pytest.raises(
        ValueError, match=r"token ids contains 10, outside the valid range \[0, 9\]"
    ):
        emb(torch.tensor([[1, 10]]))
    with pytest.raises(ValueError, match=r"contains -1, outside the valid range \[0, 9\]"):
        emb(torch.tensor([[-1, 2]]))
    with pytest.raises(ValueError, match="integer tensor"):
        emb(torch.tensor([[1.0]]))


def test_learned_positions_limit():
    pos = LearnedPositionalEmbedding(max_seq_len=8, d_model=4)
    assert pos(torch.arange(8)).shape == (8, 4)
    with pytest.raises(ValueError, match=r"max_seq_len=8 \(valid positions: \[0, 7\]\)"):
        pos(torch.arange(9))


def test_sinusoidal_table_formula():
    d = 6
    table = sinusoidal_table(torch.arange(5), d)
    for p in range(5):
        for i in range(d // 2):
            angle = p / 10000 ** (2 * i / d)
            assert table[p, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-6)
            assert table[p, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-6)
    batched = SinusoidalPositionalEmbedding(d)(torch.arange(5).expand(2, 5))
    torch.testing.assert_close(batched[1], table)


# ------------------------------------------------------------------ RoPE
def _rope(positions, head_dim=8, theta=10000.0, scaling=None):
    return RotaryEmbedding(head_dim, theta, scaling)(torch.as_tensor(positions))


def test_rope_frequencies():
    torch.testing.assert_close(rope_frequencies(4, 100.0), torch.tensor([1.0, 0.1]))
    with pytest.raises(ValueError, match="even head_dim, got head_dim=5"):
        rope_frequencies(5)


def test_rope_is_identity_at_zero_and_preserves_norm():
    x = torch.randn(1, 2, 5, 8)
    cos, sin = _rope(torch.zeros(5, dtype=torch.long))
    torch.testing.assert_close(apply_rope(x, cos, sin), x)
    cos, sin = _rope(torch.arange(5) * 7)
    torch.testing.assert_close(apply_rope(x, cos, sin).norm(dim=-1), x.norm(dim=-1))


def test_rope_dot_product_depends_only_on_offset():
    q, k = torch.randn(1, 1, 1, 8), torch.randn(1, 1, 1, 8)

    def score(m, n):
        qm = apply_rope(q, *_rope([m]))
        kn = apply_rope(k, *_rope([n]))
        return (qm * kn).sum().item()

    for m, n in [(3, 1), (10, 4), (7, 7)]:
        for shift in (1, 5, 100):
            assert score(m + shift, n + shift) == pytest.approx(score(m, n), abs=1e-4)
    assert abs(score(3, 1) - score(4, 1)) > 1e-4  # ...and it does depend on the offset


def test_rope_batched_positions_match_per_sequence():
    x = torch.randn(2, 3, 4, 8)
    pos = torch.tensor([[0, 1, 2, 3], [5, 6, 7, 8]])
    out = apply_rope(x, *_rope(pos))
    for b in range(2):
        torch.testing.assert_close(out[b : b + 1], apply_rope(x[b : b + 1], *_rope(pos[b])))


def test_rope_linear_scaling_interpolates_positions():
    x = torch.randn(1, 1, 4, 8)
    scaled = apply_rope(x, *_rope([0, 4, 8, 12], scaling={"type": "linear", "factor": 4.0}))
    torch.testing.assert_close(scaled, apply_rope(x, *_rope([0, 1, 2, 3])))


def test_rope_scaling_errors():
    with pytest.raises(
        ValueError, match=r"type='longrope' is unknown; valid: \['dynamic', 'linear'"
    ):
        RotaryEmbedding(8, rope_scaling={"type": "longrope"})
    with pytest.raises(ValueError, match="factor >= 1"):
        RotaryEmbedding(8, rope_scaling={"type": "linear", "factor": 0.5})


def test_rope_matches_hf_llama():
    llama = pytest.importorskip("transformers.models.llama.modeling_llama")
    x, pos = torch.randn(2, 3, 5, 8), torch.arange(5)
    cos, sin = _rope(pos, theta=500.0)
    full_cos, full_sin = torch.cat([cos, cos], -1), torch.cat([sin, sin], -1)
    expected, _ = llama.apply_rotary_pos_emb(x, x, full_cos[None], full_sin[None])
    torch.testing.assert_close(apply_rope(x, cos, sin), expected)


def test_rope_gradcheck():
    cos, sin = _rope(torch.arange(4))
    x = torch.randn(1, 2, 4, 8, dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda t: apply_rope(t, cos.double(), sin.double()), (x,))


# ------------------------------------------------------------------ ALiBi
def test_alibi_slopes_power_of_two():
    torch.testing.assert_close(alibi_slopes(8), 2.0 ** -torch.arange(1, 9, dtype=torch.float32))


def test_alibi_slopes_non_power_of_two():
    # 12 heads: the 8-head slopes, then every other slope of the 16-head sequence
    expected = [2.0**-i for i in range(1, 9)] + [2.0**-x for x in (0.5, 1.5, 2.5, 3.5)]
    torch.testing.assert_close(alibi_slopes(12), torch.tensor(expected))
    with pytest.raises(ValueError, match="n_heads=0"):
        alibi_slopes(0)


@pytest.mark.parametrize("n_heads", [1, 3, 5, 6, 8, 12, 16, 20])
def test_alibi_slopes_match_hf_bloom(n_heads):
    bloom = pytest.importorskip("transformers.models.bloom.modeling_bloom")
    # Bloom's bias for key j is slope * j, so with a mask of ones the values at j=1 are the slopes
    hf = bloom.build_alibi_tensor(torch.ones(1, 2), n_heads, torch.float32)  # (H, 1, 2)
    torch.testing.assert_close(alibi_slopes(n_heads), hf[:, 0, 1])


def test_alibi_bias_is_minus_slope_times_distance():
    slopes = alibi_slopes(4)
    bias = alibi_bias(slopes, torch.arange(5), torch.arange(5))
    assert bias.shape == (4, 5, 5)
    for h in range(4):
        for i in range(5):
            for j in range(i + 1):
                assert bias[h, i, j].item() == pytest.approx(-slopes[h].item() * (i - j))
    assert alibi_bias(slopes, torch.arange(3).expand(2, 3), torch.arange(3)).shape == (2, 4, 3, 3)


# ------------------------------------------------------------------ MLPs
def test_gelu_mlp_formula():
    mlp = _randomize(GeluMLP(ModelConfig(d_model=8, n_heads=2, d_ff=16)))
    x = torch.randn(2, 3, 8)
    h = mlp.up_proj(x)
    gelu_tanh = 0.5 * h * (1 + torch.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3)))
    torch.testing.assert_close(mlp(x), mlp.down_proj(gelu_tanh), atol=1e-5, rtol=1e-5)


def test_swiglu_formula():
    mlp = _randomize(SwiGLU(ModelConfig(d_model=8, n_heads=2, d_ff=12, bias=False)))
    x = torch.randn(2, 3, 8)
    expected = mlp.down_proj(F.silu(mlp.gate_proj(x)) * mlp.up_proj(x))
    torch.testing.assert_close(mlp(x), expected)
    assert mlp.gate_proj.bias is None


@pytest.mark.parametrize("cls", [GeluMLP, SwiGLU])
def test_mlp_gradcheck(cls):
    mlp = _randomize(cls(ModelConfig(d_model=4, n_heads=1, d_ff=6))).double()
    x = torch.randn(2, 3, 4, dtype=torch.float64, requires_grad=True)
    assert gradcheck(mlp, (x,))
