"""Memory accounting: bytes per parameter by scheme, and activations vs what autograd saves."""

import pytest
import torch

from minillm.config import ModelConfig, count_params
from minillm.model import Transformer
from minillm.train.memory_estimate import (
    activation_bytes,
    format_memory_table,
    memory_table,
    training_memory,
)


@pytest.mark.parametrize(
    "scheme, per_param", [("fp32", 16), ("mixed", 16), ("mixed-8bit", 10), ("fp32-8bit", 10)]
)
def test_bytes_per_parameter(scheme, per_param):
    m = training_memory(ModelConfig.preset("llama2-7b"), scheme=scheme)
    assert m.num_params == 6_738_415_616
    assert m.bytes_per_param == pytest.approx(per_param, abs=0.01)  # 8-bit: + block scales


def test_mixed_precision_parts():
    n = count_params(ModelConfig.preset("gpt2-124m"))
    m = training_memory(ModelConfig.preset("gpt2-124m"), scheme="mixed")
    assert (m.params, m.grads, m.master, m.optimizer) == (2 * n, 2 * n, 4 * n, 8 * n)
    assert m.total == 16 * n + m.activations


def test_table_rows_and_format():
    rows = memory_table()
    assert [(r["model"], r["scheme"]) for r in rows] == [
        (model, s)
        for model in ("GPT-2 124M", "Llama-2-7B")
        for s in ("fp32", "mixed", "mixed-8bit")
    ]
    llama_mixed = rows[4]
    # 6.74e9 params * 16 bytes = 100.4 GiB before activations
    states = sum(
        llama_mixed[k] for k in ("weights_GiB", "grads_GiB", "master_GiB", "optimizer_GiB")
    )
    assert states == pytest.approx(6_738_415_616 * 16 / 2**30)
    text = format_memory_table(rows)
    assert "Llama-2-7B" in text and "mixed-8bit" in text and len(text.splitlines()) == 8


def test_checkpointing_and_flash_change_activations():
    cfg = ModelConfig.preset("gpt2-124m", vocab_size=256)  # small vocab: the layers dominate
    full = activation_bytes(cfg, 8, 1024)
    assert activation_bytes(cfg, 8, 1024, gradient_checkpointing=True) < full / 3
    assert activation_bytes(cfg, 8, 1024, flash_attention=False) > full


def _saved_bytes(model, batch, seq):
    """Bytes of the distinct non-parameter tensors autograd saves for backward, plus the
    logits the output keeps alive."""
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen = {}

    def pack(t):
        s = t.untyped_storage()
        if s.data_ptr() not in params:
            seen[s.data_ptr()] = s.nbytes()
        return t

    x = torch.randint(0, model.config.vocab_size, (batch, seq + 1))
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = model(x[:, :-1], targets=x[:, 1:])
    return sum(seen.values()) + out.logits.numel() * out.logits.element_size()


@pytest.mark.parametrize("preset", ["gpt2-tiny", "llama-tiny"])
def test_activation_estimate_within_15_percent_of_autograd(preset):
    torch.manual_seed(0)
    cfg = ModelConfig.preset(preset, d_model=128, d_ff=384, max_seq_len=64)
    measured = _saved_bytes(Transformer(cfg), 4, 64)
    estimate = activation_bytes(cfg, 4, 64)
    assert estimate == pytest.approx(measured, rel=0.15)


def test_errors():
    with pytest.raises(ValueError, match="scheme='int4'"):
        training_memory(ModelConfig.preset("gpt2-tiny"), scheme="int4")
    with pytest.raises(ValueError, match="batch_size=0"):
        activation_bytes(ModelConfig.preset("gpt2-tiny"), 0, 8)
