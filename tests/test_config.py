"""ModelConfig: validation, presets, serialisation, and parameter/FLOP arithmetic."""

import pytest

from minillm.config import PRESETS, ModelConfig, count_params, flops_per_token, kv_cache_bytes


def test_defaults_are_derived():
    cfg = ModelConfig(d_model=64, n_heads=8)
    assert cfg.head_dim == 8
    assert cfg.n_kv_heads == 8  # plain multi-head attention
    assert cfg.d_ff == 256  # 4 * d_model


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_are_valid_and_named(name):
    cfg = ModelConfig.preset(name)
    assert cfg.name == name
    assert ModelConfig.preset(name, n_layers=1).n_layers == 1


def test_preset_families():
    gpt2, llama = ModelConfig.preset("gpt2-tiny"), ModelConfig.preset("llama-tiny")
    assert (gpt2.positions, gpt2.norm, gpt2.activation, gpt2.bias, gpt2.tie_embeddings) == (
        "learned", "layernorm", "gelu", True, True,
    )  # fmt: skip
    assert (llama.positions, llama.norm, llama.activation, llama.bias, llama.tie_embeddings) == (
        "rope", "rmsnorm", "swiglu", False, False,
    )  # fmt: skip
    assert llama.n_kv_heads < llama.n_heads  # GQA


def test_count_params_gpt2_124m():
    # The published GPT-2 small count (tied embeddings, 1024 learned positions).
    assert count_params(ModelConfig.preset("gpt2-124m")) == 124_439_808


def test_count_params_llama2_7b():
    # The published Llama-2-7B count (untied head, no biases, d_ff 11008).
    assert count_params(ModelConfig.preset("llama2-7b")) == 6_738_415_616


def test_flops_per_token_gpt2_by_hand():
    cfg = ModelConfig.preset("gpt2-124m")
    n_matmul = 124_439_808 - 1024 * 768  # the position table is a lookup, not a matmul
    attention = 12 * 12 * 768 * 1024  # 12 * n_layers * d_model * seq_len
    assert flops_per_token(cfg) == 6 * n_matmul + attention
    assert flops_per_token(cfg, seq_len=512) == 6 * n_matmul + attention // 2


def test_flops_per_token_untied_counts_head_not_table():
    cfg = ModelConfig.preset("llama2-7b")
    n_matmul = 6_738_415_616 - 32000 * 4096  # input table out, lm_head in
    assert flops_per_token(cfg, 4096) == 6 * n_matmul + 12 * 32 * 4096 * 4096


def test_json_round_trip():
    cfg = ModelConfig.preset("llama-tiny", rope_scaling={"type": "linear", "factor": 2.0})
    again = ModelConfig.from_json(cfg.to_json())
    assert again == cfg and again.name == "llama-tiny"


def test_replace_validates():
    cfg = ModelConfig.preset("gpt2-tiny")
    assert cfg.replace(n_layers=3).n_layers == 3
    with pytest.raises(ValueError, match="n_heads"):
        cfg.replace(n_heads=5)


@pytest.mark.parametrize(
    "field", ["vocab_size", "d_model", "n_layers", "n_heads", "n_kv_heads", "d_ff", "max_seq_len"]
)
@pytest.mark.parametrize("value", [0, -4])
def test_nonpositive_sizes_rejected(field, value):
    with pytest.raises(ValueError, match=rf"{field}={value}.*positive"):
        ModelConfig(**{field: value})


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(d_model=64, n_heads=6), r"d_model=64 must be divisible by n_heads=6"),
        (dict(n_heads=8, n_kv_heads=3, d_model=64), r"n_kv_heads=3 must divide n_heads=8"),
        (dict(d_model=12, n_heads=4, positions="rope"), r"even head_dim, got head_dim=3"),
        (dict(d_model=63, n_heads=1, positions="sinusoidal"), r"even d_model"),
        (dict(norm="batchnorm"), r"norm='batchnorm' is unknown; valid: \('layernorm', 'rmsnorm'\)"),
        (dict(activation="relu"), r"activation='relu' is unknown; valid"),
        (dict(positions="t5"), r"positions='t5' is unknown; valid"),
        (dict(dropout=1.0), r"dropout=1.0 must be in \[0, 1\)"),
        (dict(norm_eps=0.0), r"norm_eps=0.0 must be > 0"),
        (dict(rope_theta=-1.0), r"rope_theta=-1.0"),
        (dict(init_std=0.0), r"init_std=0.0"),
        (dict(d_model=2.5), r"d_model=2.5 must be a positive integer"),
        (dict(rope_scaling={"factor": 2}), r"rope_scaling=.*'type'"),
    ],
)
def test_invalid_configs_name_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ModelConfig(**kwargs)


def test_unknown_preset_and_fields():
    with pytest.raises(ValueError, match=r"unknown preset 'gpt5'; valid: \["):
        ModelConfig.preset("gpt5")
    with pytest.raises(ValueError, match=r"unknown ModelConfig fields \['n_embd'\]"):
        ModelConfig.from_dict({"n_embd": 64})


def test_kv_cache_bytes_llama2_7b():
    cfg = ModelConfig.preset("llama2-7b")
    assert kv_cache_bytes(cfg, seq_len=4096) == 2 * 2**30  # 2 GiB per sequence in fp16
    gqa = cfg.replace(n_kv_heads=8)
    # 4x fewer kv heads, half the bytes per value, 4 sequences: 2 GiB / 4 / 2 * 4 = 1 GiB
    assert kv_cache_bytes(gqa, 4096, batch_size=4, bytes_per_value=1) == 2**30
    with pytest.raises(ValueError, match="seq_len=-1"):
        kv_cache_bytes(cfg, -1)


def test_kv_cache_mha_gqa_mqa_at_32k():
    # Llama-2-7B is MHA (32 KV heads): 2 * 32 layers * 4096 * 32768 tokens * 2 bytes = 16 GiB
    assert kv_cache_bytes(ModelConfig.preset("llama2-7b"), 32768) == 16 * 2**30
    # Llama-2-70B uses GQA (8 KV heads of 128 for 64 query heads): 2 * 80 * 1024 * 32768 * 2
    assert kv_cache_bytes(ModelConfig.preset("llama2-70b"), 32768) == 10 * 2**30
    assert count_params(ModelConfig.preset("llama2-70b")) == 68_976_648_192
    mqa = ModelConfig.preset("llama2-7b", n_kv_heads=1)
    assert kv_cache_bytes(mqa, 32768) == 16 * 2**30 // 32
