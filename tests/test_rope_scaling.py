"""RoPE context extension: linear, NTK, dynamic NTK and YaRN against HF LlamaRotaryEmbedding
(within 1e-5), invariants of each formula, GQA/MQA without copies, and the error paths."""

import math

import pytest
import torch

from minillm.config import ModelConfig
from minillm.layers import MultiHeadAttention, RotaryEmbedding, apply_rope, rope_frequencies
from minillm.layers.rope import ROPE_SCALING, yarn_attention_factor

HEAD_DIM, THETA, L0 = 16, 500.0, 32


def _ours(scaling, positions, head_dim=HEAD_DIM, theta=THETA):
    return RotaryEmbedding(head_dim, theta, scaling)(positions)


def _hf(rope_parameters, positions, max_position_embeddings=L0, head_dim=HEAD_DIM):
    llama = pytest.importorskip("transformers.models.llama.modeling_llama")
    transformers = pytest.importorskip("transformers")
    config = transformers.LlamaConfig(
        hidden_size=4 * head_dim, num_attention_heads=4, head_dim=head_dim,
        max_position_embeddings=max_position_embeddings, rope_parameters=rope_parameters,
        bos_token_id=None, eos_token_id=None, pad_token_id=None,
    )  # fmt: skip
    rope = llama.LlamaRotaryEmbedding(config)  # a fresh module: HF's dynamic state starts clean
    cos, sin = rope(torch.zeros(1, dtype=torch.float32), positions[None])
    half = head_dim // 2
    assert torch.equal(cos[..., :half], cos[..., half:])  # HF duplicates the half tables
    return cos[0, :, :half], sin[0, :, :half], rope.attention_scaling


# (our rope_scaling, HF rope_parameters, sequence lengths to try)
CASES = {
    "default": (None, {"rope_type": "default"}),
    "linear": ({"type": "linear", "factor": 4.0}, {"rope_type": "linear", "factor": 4.0}),
    "dynamic": (
        {"type": "dynamic", "factor": 4.0, "original_max_seq_len": L0},
        {"rope_type": "dynamic", "factor": 4.0},
    ),
    "yarn": (
        {"type": "yarn", "factor": 4.0, "original_max_seq_len": L0},
        {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": L0},
    ),
    "yarn-options": (
        {
            "type": "yarn",
            "factor": 8.0,
            "original_max_seq_len": L0,
            "beta_fast": 16,
            "beta_slow": 2,
            "truncate": False,
        },  # fmt: skip
        {
            "rope_type": "yarn",
            "factor": 8.0,
            "original_max_position_embeddings": L0,
            "beta_fast": 16,
            "beta_slow": 2,
            "truncate": False,
        },  # fmt: skip
    ),
    "yarn-mscale": (
        {
            "type": "yarn",
            "factor": 4.0,
            "original_max_seq_len": L0,
            "mscale": 0.7,
            "mscale_all_dim": 1.0,
        },  # fmt: skip
        {
            "rope_type": "yarn",
            "factor": 4.0,
            "original_max_position_embeddings": L0,
            "mscale": 0.7,
            "mscale_all_dim": 1.0,
        },  # fmt: skip
    ),
    "yarn-attention-factor": (
        {"type": "yarn", "factor": 2.0, "original_max_seq_len": L0, "attention_factor": 1.5},
        {
            "rope_type": "yarn",
            "factor": 2.0,
            "original_max_position_embeddings": L0,
            "attention_factor": 1.5,
        },  # fmt: skip
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("seq_len", [L0 // 2, L0, 4 * L0 + 3, 1000])
def test_matches_hf_llama_rotary_embedding(name, seq_len):
    ours_cfg, hf_params = CASES[name]
    positions = torch.arange(seq_len)
    cos, sin = _ours(ours_cfg, positions)
    hf_cos, hf_sin, _ = _hf({**hf_params, "rope_theta": THETA}, positions)
    torch.testing.assert_close(cos, hf_cos, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(sin, hf_sin, atol=1e-5, rtol=1e-5)


def test_yarn_attention_factor_matches_hf():
    for factor in (2.0, 4.0, 16.0):
        scaling = {"type": "yarn", "factor": factor, "original_max_seq_len": L0}
        params = {"rope_type": "yarn", "rope_theta": THETA, "factor": factor,
                  "original_max_position_embeddings": L0}  # fmt: skip
        ours = RotaryEmbedding(HEAD_DIM, THETA, scaling).attention_factor
        assert ours == pytest.approx(_hf(params, torch.arange(2))[2], abs=1e-7)
        assert ours == pytest.approx(0.1 * math.log(factor) + 1)


def test_batched_positions_and_dynamic_uses_the_longest():
    scaling = {"type": "dynamic", "factor": 2.0, "original_max_seq_len": 8}
    pos = torch.stack([torch.arange(12), torch.arange(12) + 10])  # longest: 22 positions
    cos, _ = _ours(scaling, pos)
    torch.testing.assert_close(cos[1], _ours(scaling, torch.arange(22))[0][10:])


# ------------------------------------------------------------------ invariants
def test_ntk_keeps_the_fastest_frequency_and_divides_the_slowest_by_factor():
    base = rope_frequencies(HEAD_DIM, THETA)
    ntk = RotaryEmbedding(HEAD_DIM, THETA, {"type": "ntk", "factor": 4.0}).inv_freq
    assert ntk[0] == base[0]
    assert ntk[-1].item() == pytest.approx(base[-1].item() / 4.0, rel=1e-5)
    assert torch.all(ntk <= base) and torch.all(ntk >= base / 4.0 - 1e-12)


def test_static_ntk_is_dynamic_ntk_at_the_matching_length():
    # dynamic alpha = factor * L / L0 - (factor - 1): factor 2 at L = 2 L0 gives alpha 3
    dynamic = {"type": "dynamic", "factor": 2.0, "original_max_seq_len": L0}
    pos = torch.arange(2 * L0)
    for a, b in zip(_ours({"type": "ntk", "factor": 3.0}, pos), _ours(dynamic, pos)):
        torch.testing.assert_close(a, b)


def test_dynamic_is_plain_rope_within_the_trained_context():
    dynamic = {"type": "dynamic", "factor": 8.0, "original_max_seq_len": L0}
    pos = torch.arange(L0)
    for a, b in zip(_ours(dynamic, pos), _ours(None, pos)):
        torch.testing.assert_close(a, b)
    assert not torch.allclose(_ours(dynamic, torch.arange(L0 + 1))[0], _ours(None, pos)[0][:1])


def test_yarn_keeps_fast_dims_and_interpolates_slow_ones():
    head_dim, theta, factor = 64, 10000.0, 4.0
    scaling = {"type": "yarn", "factor": factor, "original_max_seq_len": 256}
    rope = RotaryEmbedding(head_dim, theta, scaling)
    base = rope_frequencies(head_dim, theta)
    turns = 256 * base / (2 * math.pi)  # rotations over the trained context
    fast, slow = turns > 32, turns < 1
    assert fast.any() and slow.any()
    torch.testing.assert_close(rope.inv_freq[fast], base[fast])
    torch.testing.assert_close(rope.inv_freq[slow], base[slow] / factor)
    assert rope.attention_factor == pytest.approx(yarn_attention_factor(factor))
    # the temperature scales cos and sin, hence q.k by its square
    cos, sin = rope(torch.arange(3))
    torch.testing.assert_close(cos.square() + sin.square(), torch.full_like(cos, 1.1386294**2))


def test_model_with_scaled_rope_runs_and_caches():
    from minillm.layers import DynamicKVCache
    from minillm.model import Transformer

    for scaling in (
        {"type": "ntk", "factor": 4.0},
        {"type": "yarn", "factor": 4.0, "original_max_seq_len": 8},
        {"type": "dynamic", "factor": 4.0, "original_max_seq_len": 8},
    ):
        torch.manual_seed(0)
        config = ModelConfig.preset("llama-tiny", max_seq_len=32, rope_scaling=scaling)
        model = Transformer(config).eval()
        ids = torch.randint(0, 512, (1, 6))
        with torch.no_grad():
            full = model(ids).logits
            cache = DynamicKVCache()
            steps = [model(ids[:, :4], kv_cache=cache).logits]
            steps += [model(ids[:, i : i + 1], kv_cache=cache).logits for i in (4, 5)]
        torch.testing.assert_close(torch.cat(steps, 1), full, atol=1e-5, rtol=1e-5)


# ------------------------------------------------------------------ GQA / MQA
@pytest.mark.parametrize("n_kv_heads", [1, 2, 4])
def test_gqa_equals_mha_with_repeated_kv_heads(n_kv_heads):
    torch.manual_seed(0)
    gqa_cfg = ModelConfig.preset("llama-tiny", n_heads=4, n_kv_heads=n_kv_heads)
    gqa = MultiHeadAttention(gqa_cfg)
    mha = MultiHeadAttention(gqa_cfg.replace(n_kv_heads=4))
    group, d = 4 // n_kv_heads, gqa_cfg.head_dim
    with torch.no_grad():
        mha.q_proj.weight.copy_(gqa.q_proj.weight)
        mha.o_proj.weight.copy_(gqa.o_proj.weight)
        for name in ("k_proj", "v_proj"):  # kv head j serves query heads j*group .. +group-1
            w = getattr(gqa, name).weight.view(n_kv_heads, d, -1)
            getattr(mha, name).weight.copy_(w.repeat_interleave(group, 0).reshape(4 * d, -1))
    assert gqa.k_proj.weight.shape[0] == n_kv_heads * d  # fewer K/V weights (and cache)
    x = torch.randn(2, 7, gqa_cfg.d_model)
    torch.testing.assert_close(gqa(x), mha(x), atol=1e-5, rtol=1e-5)
    out, weights = gqa(x, return_weights=True)
    torch.testing.assert_close(out, mha(x), atol=1e-5, rtol=1e-5)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "scaling, message",
    [
        ({"type": "longrope"}, r"type='longrope' is unknown; valid: \['dynamic', 'linear', 'ntk'"),
        ({"type": "linear"}, r"type='linear' needs factor >= 1.*got factor=None"),
        ({"type": "ntk", "factor": 0.5}, r"type='ntk' needs factor >= 1.*got factor=0.5"),
        ({"type": "linear", "factor": "2"}, r"factor='2'"),
        ({"type": "linear", "factr": 2.0}, r"unknown keys \['factr'\]; valid: \['factor'\]"),
        ({"type": "dynamic", "factor": 2.0}, r"needs original_max_seq_len"),
        ({"type": "yarn", "factor": 2.0, "original_max_seq_len": 0}, r"original_max_seq_len=0"),
        (
            {"type": "yarn", "factor": 2.0, "original_max_seq_len": 8, "beta_fast": 1},
            r"beta_fast > beta_slow",
        ),
        (
            {"type": "yarn", "factor": 2.0, "original_max_seq_len": 8, "attention_factor": 0.0},
            r"attention_factor > 0",
        ),
        ({"factor": 2.0}, r"dict with a 'type' key"),
    ],
)
def test_bad_rope_scaling_is_named(scaling, message):
    with pytest.raises(ValueError, match=message):
        RotaryEmbedding(HEAD_DIM, THETA, scaling)
    with pytest.raises(ValueError, match=message):  # the config rejects it up front
        ModelConfig.preset("llama-tiny", rope_scaling=scaling)


def test_rope_scaling_needs_rope_positions():
    with pytest.raises(ValueError, match=r"needs positions='rope', got positions='learned'"):
        ModelConfig.preset("gpt2-tiny", rope_scaling={"type": "linear", "factor": 2.0})


def test_registry_lists_the_four_types():
    assert sorted(ROPE_SCALING) == ["dynamic", "linear", "ntk", "yarn"]


def test_apply_rope_with_scaled_tables_preserves_norm_up_to_temperature():
    x = torch.randn(1, 2, 9, HEAD_DIM)
    scaling = {"type": "yarn", "factor": 4.0, "original_max_seq_len": 4}
    rope = RotaryEmbedding(HEAD_DIM, THETA, scaling)
    out = apply_rope(x, *rope(torch.arange(9)))
    torch.testing.assert_close(out.norm(dim=-1), x.norm(dim=-1) * rope.attention_factor)


@pytest.mark.parametrize(
    "scaling", [None, {"type": "yarn", "factor": 4.0, "original_max_seq_len": 2048}]
)
def test_rope_frequencies_stay_float32_when_the_model_is_cast_to_bf16(scaling):
    """model.to(bfloat16) must not round inv_freq: at position 8000 a bf16 inv_freq moves the
    angle by whole radians (HF rounds it; we keep fp32, the precision the angles promise)."""
    cfg = ModelConfig(vocab_size=32, d_model=64, n_layers=1, n_heads=1, max_seq_len=16,
                      positions="rope", norm="rmsnorm", activation="swiglu", bias=False,
                      rope_scaling=scaling)  # fmt: skip
    from minillm.model import Transformer

    model = Transformer(cfg).to(torch.bfloat16)
    rope = model.blocks[0].attn.rope
    assert rope.inv_freq.dtype == torch.float32
    positions = torch.tensor([4000, 8000])
    cos, _ = rope(positions)
    if scaling is None:  # the frequencies themselves in float64
        inv64, factor = 1.0 / 10000.0 ** (torch.arange(0, 64, 2, dtype=torch.float64) / 64), 1.0
    else:  # the variant's fp32 frequencies, angles and cos in float64
        inv64, factor = ROPE_SCALING["yarn"](64, 10000.0, scaling, None)
    exact = (positions.double()[:, None] * inv64.double()).cos() * factor
    # fp32 angles of ~8000 rad carry ~5e-4 of rounding; bf16 frequencies gave cos errors of
    # 1.3 (plain) and 1.5 (yarn)
    assert (cos.double() - exact).abs().max() < 2e-3
    assert rope(positions, torch.bfloat16)[0].dtype == torch.bfloat16


def test_yarn_with_rope_theta_1_is_a_clear_error():
    """YaRN places its ramp in units of log(theta): theta = 1 divided by zero."""
    scaling = {"type": "yarn", "factor": 2.0, "original_max_seq_len": 8}
    with pytest.raises(ValueError, match=r"'yarn' needs rope_theta > 1, got rope_theta=1.0"):
        RotaryEmbedding(HEAD_DIM, 1.0, scaling)
