"""generate(compile=True): the torch.compile'd static-shape decode step makes the same tokens as
the eager one (compilation takes tens of seconds on a CPU: slow)."""

import pytest
import torch

from minillm.config import ModelConfig
from minillm.inference import SamplingParams, StaticKVCache, generate, left_pad, prefill
from minillm.inference.compiled import compiled_decode_step
from minillm.model import Transformer


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["llama-tiny", "gpt2-tiny"])
def test_compiled_decoding_equals_eager(preset):
    torch.manual_seed(0)
    model = Transformer(ModelConfig.preset(preset)).eval()
    ids, mask = left_pad([[5, 6, 7, 8, 9, 10], [3, 4], [11, 12, 13]])
    for sampling in (SamplingParams(greedy=True), SamplingParams(temperature=0.9, top_k=20)):
        eager = generate(model, ids, 10, attention_mask=mask, sampling=sampling, seed=1)
        fast = generate(
            model, ids, 10, attention_mask=mask, sampling=sampling, seed=1, compile=True
        )
        assert torch.equal(eager.sequences, fast.sequences)


@pytest.mark.slow
def test_compiled_step_logits_match_the_full_forward_and_errors():
    torch.manual_seed(0)
    model = Transformer(ModelConfig.preset("llama-tiny")).eval()
    ids = torch.randint(0, model.config.vocab_size, (2, 9))
    cache = StaticKVCache.for_model(model, 2, 9)
    key_mask = torch.zeros(2, 9, dtype=torch.long)
    key_mask[:, :5] = 1
    with torch.no_grad():
        full = model(ids).logits.float()
        prefill(model, ids[:, :5], cache)
        for n in range(5, 9):
            key_mask[:, n] = 1
            positions = torch.full((2, 1), n)
            logits = compiled_decode_step(model, ids[:, n : n + 1], cache, positions, key_mask)
            torch.testing.assert_close(logits, full[:, n], atol=1e-5, rtol=0)
    assert cache.seq_len(0) == 9
    with pytest.raises(ValueError, match="the KV cache is full"):
        compiled_decode_step(model, ids[:, :1], cache, positions, key_mask)
    cache.crop(8)
    with pytest.raises(ValueError, match=r"key_mask.shape=\(2, 8\) must be \(B, max_len\)"):
        compiled_decode_step(model, ids[:, :1], cache, positions, key_mask[:, :8])
    assert cache.seq_len(0) == 8  # refused before anything was written
