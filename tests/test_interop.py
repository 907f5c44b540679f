"""Hugging Face parity: logits within 1e-5 (fp32) both ways, greedy generation token for token."""

import pytest
import torch

transformers = pytest.importorskip("transformers")

from minillm.config import ModelConfig  # noqa: E402
from minillm.interop import (  # noqa: E402
    config_from_hf,
    config_to_hf,
    from_hf,
    state_dict_from_hf,
    to_hf,
)
from minillm.model import Transformer  # noqa: E402

NO_SPECIAL = dict(bos_token_id=None, eos_token_id=None, pad_token_id=None)


def _gpt2(**kw):
    cfg = transformers.GPT2Config(
        vocab_size=96, n_embd=32, n_layer=2, n_head=4, n_positions=32,
        attn_implementation="eager", **NO_SPECIAL, **kw,
    )  # fmt: skip
    torch.manual_seed(0)
    return transformers.GPT2LMHeadModel(cfg).eval()


def _llama(**kw):
    args = dict(vocab_size=96, hidden_size=32, intermediate_size=56, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=32,
                attn_implementation="eager", **NO_SPECIAL)  # fmt: skip
    cfg = transformers.LlamaConfig(**{**args, **kw})
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(cfg).eval()
    with torch.no_grad():  # HF inits norms to ones: randomise them so the test can see them
        for name, p in model.named_parameters():
            if "norm" in name:
                p.uniform_(0.5, 1.5)
    return model


def _mixtral(**kw):
    args = dict(vocab_size=96, hidden_size=32, intermediate_size=24, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=32,
                num_local_experts=4, num_experts_per_tok=2, attn_implementation="eager",
                **NO_SPECIAL)  # fmt: skip
    cfg = transformers.MixtralConfig(**{**args, **kw})
    torch.manual_seed(0)
    model = transformers.MixtralForCausalLM(cfg).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.uniform_(0.5, 1.5)
            if "mlp.gate" in name:  # spread the router logits: top-2 is decided by real gaps
                p.mul_(20.0)
    return model


HF_MODELS = {
    "gpt2": _gpt2,
    "gpt2-untied": lambda: _gpt2(tie_word_embeddings=False),
    "llama": _llama,
    "llama-tied-mqa": lambda: _llama(tie_word_embeddings=True, num_key_value_heads=1),
    "llama-theta-linear": lambda: _llama(
        rope_parameters={"rope_type": "linear", "rope_theta": 500.0, "factor": 2.0}
    ),
    # IDS has 11 tokens: past the trained 8, so the dynamic frequencies really change
    "llama-dynamic": lambda: _llama(
        max_position_embeddings=8,
        rope_parameters={"rope_type": "dynamic", "rope_theta": 100.0, "factor": 3.0},
    ),
    "llama-yarn": lambda: _llama(
        rope_parameters={
            "rope_type": "yarn",
            "rope_theta": 100.0,
            "factor": 4.0,
            "original_max_position_embeddings": 8,
            "beta_fast": 8.0,
        }  # fmt: skip
    ),
    "mixtral": _mixtral,
    "mixtral-tied-top1-yarn": lambda: _mixtral(
        tie_word_embeddings=True,
        head_dim=8,  # HF's yarn reads config.head_dim, None by default in MixtralConfig
        num_experts_per_tok=1,
        num_key_value_heads=1,
        rope_parameters={
            "rope_type": "yarn",
            "rope_theta": 100.0,
            "factor": 2.0,
            "original_max_position_embeddings": 16,
        },  # fmt: skip
    ),
}
IDS = torch.randint(0, 96, (2, 11), generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("name", sorted(HF_MODELS))
def test_from_hf_logits_match(name):
    hf = HF_MODELS[name]()
    ours = from_hf(hf).eval()
    with torch.no_grad():
        torch.testing.assert_close(ours(IDS).logits, hf(IDS).logits, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(HF_MODELS))
def test_to_hf_logits_match(name):
    ours = from_hf(HF_MODELS[name]())
    torch.manual_seed(3)
    ours.reset_parameters()  # fresh weights, so nothing is inherited from the HF model
    hf = to_hf(ours)
    assert hf.config._attn_implementation == "eager"
    with torch.no_grad():
        torch.testing.assert_close(hf(IDS).logits, ours.eval()(IDS).logits, atol=1e-5, rtol=1e-5)
    assert from_hf(hf).config == ours.config


@pytest.mark.parametrize("preset", ["gpt2-tiny", "llama-tiny", "moe-tiny"])
def test_presets_round_trip_through_hf_sdpa(preset):
    torch.manual_seed(0)
    config = ModelConfig.preset(preset)
    if config.n_experts:  # Mixtral has no shared expert, no capacity, every layer sparse
        config = config.replace(shared_expert=False, capacity_factor=None, moe_every=1)
    ours = Transformer(config).eval()
    hf = to_hf(ours, attn_implementation="sdpa")
    ids = IDS % ours.config.vocab_size
    with torch.no_grad():
        torch.testing.assert_close(hf(ids).logits, ours(ids).logits, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", ["gpt2", "llama"])
def test_greedy_generation_matches_hf(name):
    hf = HF_MODELS[name]()
    ours = from_hf(hf)
    prompt = IDS[:, :4]
    theirs = hf.generate(
        prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=12, do_sample=False
    )
    assert torch.equal(ours.generate(prompt, 12, greedy=True), theirs)


# ------------------------------------------------------------------ bad input
def test_missing_and_misshaped_hf_tensors():
    hf = _llama()
    config = config_from_hf(hf.config)
    sd = hf.state_dict()
    del sd["model.layers.1.mlp.gate_proj.weight"]
    with pytest.raises(
        ValueError,
        match=r"missing tensor 'model.layers.1.mlp.gate_proj.weight' \(expected shape \(56, 32\)\)",
    ):
        state_dict_from_hf(sd, config)
    sd = dict(_gpt2().state_dict())
    sd["transformer.h.0.attn.c_attn.weight"] = torch.zeros(96, 32)  # not transposed
    with pytest.raises(
        ValueError,
        match=r"'transformer.h.0.attn.c_attn.weight' has shape \(96, 32\), expected \(32, 96\)",
    ):
        state_dict_from_hf(sd, config_from_hf(_gpt2().config))


def test_unsupported_configs_are_named():
    with pytest.raises(
        ValueError, match=r"GPT2Config.activation_function=.relu. unsupported; valid: \(.gelu_new."
    ):
        config_from_hf(transformers.GPT2Config(activation_function="relu", **NO_SPECIAL))
    with pytest.raises(ValueError, match=r"scale_attn_by_inverse_layer_idx=True unsupported"):
        config_from_hf(transformers.GPT2Config(scale_attn_by_inverse_layer_idx=True, **NO_SPECIAL))
    with pytest.raises(
        ValueError, match=r"model_type='bert' unsupported; valid: 'gpt2', 'llama', 'mixtral'"
    ):
        config_from_hf(transformers.BertConfig())
    with pytest.raises(
        ValueError, match=r"LlamaConfig.hidden_act='gelu' unsupported; valid: \('silu',\)"
    ):
        config_from_hf(transformers.LlamaConfig(hidden_act="gelu", **NO_SPECIAL))
    alibi = ModelConfig.preset("llama-tiny", positions="alibi")
    with pytest.raises(ValueError, match=r"matches no HF family"):
        config_to_hf(alibi)


@pytest.mark.parametrize("name", ["gpt2", "llama"])
def test_padding_mask_matches_hf(name):
    hf = HF_MODELS[name]()
    ours = from_hf(hf).eval()
    mask = torch.ones_like(IDS)
    mask[0, :4] = 0  # left padding on the first sequence
    with torch.no_grad():
        theirs = hf(IDS, attention_mask=mask).logits
        mine = ours(IDS, attention_mask=mask).logits
    real = mask.bool()  # padded queries see nothing; HF and we fill those rows differently
    torch.testing.assert_close(mine[real], theirs[real], atol=1e-5, rtol=1e-5)
    assert (mine[0, 4:] - ours(IDS).logits[0, 4:]).abs().max() > 1e-3  # the mask mattered


def test_mixtral_configs_and_aux_loss():
    hf = HF_MODELS["mixtral"]()
    config = config_from_hf(hf.config)
    assert (config.n_experts, config.experts_per_token, config.moe_every) == (4, 2, 1)
    assert config.router_aux_loss_coef == hf.config.router_aux_loss_coef
    ours = from_hf(hf).eval()
    mask = torch.ones_like(IDS)
    mask[0, :4] = 0  # left padding: HF leaves it out of the balance loss, and so must we
    labels = IDS.masked_fill(mask == 0, -100)
    labels[0, 4] = -100  # predicted from a padding position, whose logits HF fills otherwise
    targets = torch.cat([labels[:, 1:], torch.full_like(labels[:, :1], -100)], 1)  # HF shifts
    with torch.no_grad():
        theirs = hf(IDS, attention_mask=mask, labels=labels, output_router_logits=True)
        out = ours(IDS, attention_mask=mask, targets=targets)
    for mine, their_logits in zip(out.moe_stats, theirs.router_logits):
        real = mask.flatten().bool()  # padded rows see no key: HF and we fill them apart
        torch.testing.assert_close(
            mine.router_logits[real], their_logits[real], atol=1e-5, rtol=1e-5
        )
    # HF pools every layer's router logits into one balance loss (not a per-layer mean)
    torch.testing.assert_close(out.aux_loss, theirs.aux_loss, atol=1e-6, rtol=1e-5)
    # and the training loss: cross-entropy + router_aux_loss_coef * aux (no z-loss in HF)
    assert config.router_z_loss_coef == 0
    torch.testing.assert_close(out.loss, theirs.loss, atol=1e-5, rtol=1e-5)
    assert (
        abs(out.aux_loss - torch.stack([s.load_balancing_loss for s in out.moe_stats]).mean())
        > 1e-4
    )


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(shared_expert=True), "Mixtral needs"),
        (dict(capacity_factor=1.25), "Mixtral needs"),
        (dict(moe_every=2), "Mixtral needs"),
        (dict(rope_scaling={"type": "ntk", "factor": 2.0}), r"type='ntk' has no HF equivalent"),
    ],
)
def test_moe_and_rope_configs_without_hf_equivalent(changes, message):
    with pytest.raises(ValueError, match=message):
        config_to_hf(ModelConfig.preset("moe-tiny", **changes))


def test_unsupported_hf_rope_and_moe_fields_are_named():
    rope = {"rope_type": "longrope", "rope_theta": 1e4, "short_factor": [1.0] * 4,
            "long_factor": [1.0] * 4, "original_max_position_embeddings": 16}  # fmt: skip
    with pytest.raises(ValueError, match=r"rope_type='longrope' unsupported; valid: 'default', "):
        config_from_hf(transformers.LlamaConfig(
            hidden_size=32, num_attention_heads=4, rope_parameters=rope, **NO_SPECIAL))  # fmt: skip
    with pytest.raises(ValueError, match=r"MixtralConfig.sliding_window=64 unsupported"):
        config_from_hf(transformers.MixtralConfig(sliding_window=64, **NO_SPECIAL))
    with pytest.raises(ValueError, match=r"MixtralConfig.router_jitter_noise=0.1 unsupported"):
        config_from_hf(transformers.MixtralConfig(router_jitter_noise=0.1, **NO_SPECIAL))
