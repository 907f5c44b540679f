"""Bad input fails early with an error naming the bad value and what is valid (issue 12, §2):
at construction or where data enters, never after training for a while, never silently."""

import math

import numpy as np
import pytest
import torch

from minillm.config import ConfigTypeError, ModelConfig
from minillm.layers.attention import scaled_dot_product_attention
from minillm.model import Transformer
from minillm.train import TrainConfig, Trainer

TOKENS = np.random.default_rng(0).integers(0, 64, 2000).astype(np.uint16)


def tiny(**kw):
    torch.manual_seed(0)
    return Transformer(ModelConfig.preset("llama-tiny", vocab_size=64, d_model=32, d_ff=64,
                                          max_seq_len=32, **kw))  # fmt: skip


CFG = TrainConfig(batch_size=2, seq_len=16, max_steps=2, warmup_steps=1)


@pytest.mark.parametrize("return_logits", [True, False])
@pytest.mark.parametrize("bad", [64, -5])
def test_targets_out_of_range_on_cpu(bad, return_logits):
    x = torch.randint(0, 64, (2, 8))
    y = x.clone()
    y[1, 3] = bad
    with pytest.raises(
        ValueError,
        match=rf"targets contain {bad} at flat index 11; valid: ids in \[0, 63\] or ignore_index=-100",
    ):  # noqa: E501
        tiny()(x, targets=y, return_logits=return_logits)
    y[1, 3] = -100  # ignored positions stay valid
    assert math.isfinite(tiny()(x, targets=y, return_logits=return_logits).loss.item())


@pytest.mark.parametrize("length", [1, 5, 9])
def test_attention_mask_of_the_wrong_length(length):
    x = torch.randint(0, 64, (2, 8))
    with pytest.raises(
        ValueError, match=rf"attention_mask.shape=\(2, {length}\) must be \(B, S\) = \(2, 8\)"
    ):  # noqa: E501
        tiny()(x, attention_mask=torch.ones(2, length))


def test_attention_layer_mask_that_does_not_broadcast():
    q = k = v = torch.randn(1, 2, 4, 8)
    with pytest.raises(ValueError, match=r"mask.shape=\(1, 1, 1, 3\) must broadcast .* S=4"):
        scaled_dot_product_attention(q, k, v, torch.ones(1, 1, 1, 3, dtype=torch.bool))


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_load_of_a_corrupt_or_truncated_file(tmp_path, damage):
    path = tmp_path / "m.safetensors"
    tiny().save(path)
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\xff" * 64)
    with pytest.raises(
        ValueError, match="is not a readable .safetensors file .*truncated, corrupt"
    ):
        Transformer.load(path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Transformer.load(tmp_path / "absent.safetensors")


@pytest.mark.parametrize(
    "field, value, valid",
    [
        ("dropout", "0.1", "float"),
        ("norm_eps", None, "float"),
        ("tie_embeddings", 1, r"bool \(True/False\)"),  # an int is not a bool...
        ("rope_theta", True, "float"),  # ...and a bool is not a number
        ("bias", "yes", r"bool \(True/False\)"),
        ("rope_scaling", "linear", r"dict\[str, Any\] | None"),
        ("capacity_factor", "1.0", "float | None"),
    ],
)
def test_model_config_field_of_the_wrong_type(field, value, valid):
    with pytest.raises(
        ConfigTypeError, match=rf"ModelConfig.{field}={value!r} is a .*; valid: {valid}"
    ):  # noqa: E501
        ModelConfig(**{field: value})
    assert isinstance(ConfigTypeError("x"), ValueError)  # callers catching ValueError still do
    ModelConfig(norm_eps=1, capacity_factor=2)  # an int where a float is expected is fine


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(grad_clip=float("nan")), r"grad_clip=nan must be finite and >= 0"),
        (dict(weight_decay=-0.1), r"weight_decay=-0.1 must be finite and >= 0"),
        (dict(beta2=1.0), r"beta2=1.0 must be in \[0, 1\)"),
        (dict(beta1=-0.1), r"beta1=-0.1 must be in \[0, 1\)"),
        (dict(warmup_steps="5"), r"TrainConfig.warmup_steps='5' is a str; valid: int"),
        (dict(deterministic=1), r"TrainConfig.deterministic=1 is a int; valid: bool"),
        (dict(batch_size=True), r"TrainConfig.batch_size=True is a bool; valid: int"),
        (dict(seq_len=0), r"seq_len=0 must be a positive int"),
    ],
)
def test_train_config_rejects_at_construction(changes, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**changes)


def test_validation_tokens_too_short_fail_at_construction():
    with pytest.raises(
        ValueError,
        match=r"val_tokens has 10 tokens, too few for one window of seq_len=16 \(need seq_len \+ 1 = 17\)",
    ):  # noqa: E501
        Trainer(tiny(), TOKENS, TOKENS[:10], CFG)


def test_float_token_arrays_are_refused():
    with pytest.raises(
        TypeError, match="train_tokens has dtype=float32: token ids must be integers"
    ):  # noqa: E501
        Trainer(tiny(), TOKENS.astype(np.float32) + 0.5, None, CFG)
    with pytest.raises(TypeError, match="val_tokens has dtype=float64"):
        Trainer(tiny(), TOKENS, TOKENS.astype(np.float64), CFG)


def test_token_ids_beyond_the_vocabulary_fail_where_data_enters():
    bad = TOKENS.copy()
    bad[100] = 64
    with pytest.raises(
        ValueError, match=r"train_tokens contains id 64, outside the vocabulary \[0, 63\]"
    ):  # noqa: E501
        Trainer(tiny(), bad, None, CFG)


def test_seq_len_beyond_a_rope_models_max_seq_len():
    cfg = TrainConfig(batch_size=2, seq_len=64, max_steps=2, warmup_steps=1)
    with pytest.raises(
        ValueError, match=r"seq_len=64 exceeds the model's max_seq_len=32 \(positions: 'rope'\)"
    ):  # noqa: E501
        Trainer(tiny(), TOKENS, None, cfg)
