"""Hugging Face parity through minillm.interop.to_hf: our cached `generate` against
`transformers` `generate` on the same weights, token for token (greedy, batch 1 and a
left-padded batch; the repetition penalty; seeded sampling with every filter)."""

import pytest
import torch

transformers = pytest.importorskip("transformers")

from minillm.config import ModelConfig  # noqa: E402
from minillm.inference import SamplingParams, generate, left_pad  # noqa: E402
from minillm.interop import to_hf  # noqa: E402
from minillm.model import Transformer  # noqa: E402

N, N_SAMPLED = 20, 12  # new tokens, greedy and sampled runs
GREEDY = SamplingParams(greedy=True)


@pytest.fixture(scope="module", params=["llama-tiny", "gpt2-tiny"])
def pair(request):
    """(ours, HF) with the same random weights: llama-tiny is RoPE + GQA (4 heads, 2 KV),
    gpt2-tiny learned positions. init_std=0.2 makes greedy margins far larger than float noise."""
    torch.manual_seed(0)
    ours = Transformer(ModelConfig.preset(request.param, init_std=0.2, max_seq_len=64)).eval()
    return ours, to_hf(ours)


def _rows(lengths, seed=1):
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(0, 512, (n,), generator=g).tolist() for n in lengths]


def _hf_generate(hf, ids, mask, n=N, **kw):
    """HF derives position_ids from the mask (cumsum - 1) for both families during generate."""
    with torch.no_grad():
        return hf.generate(ids, attention_mask=mask, max_new_tokens=n, pad_token_id=0, **kw)


def test_greedy_matches_hf_at_batch_1(pair):
    ours, hf = pair
    ids = torch.tensor(_rows([8]))
    mine = generate(ours, ids, N, sampling=GREEDY).sequences
    theirs = _hf_generate(hf, ids, torch.ones_like(ids), do_sample=False)
    assert theirs.shape == (1, 8 + N) and torch.equal(mine, theirs)
    assert len(set(mine[0, 8:].tolist())) >= 5  # a varied continuation, not one token


def test_greedy_matches_hf_on_a_left_padded_batch(pair):
    ours, hf = pair
    ids, mask = left_pad(_rows([8, 5, 3]), pad_token_id=0)
    mine = generate(ours, ids, N, attention_mask=mask, sampling=GREEDY, pad_token_id=0)
    theirs = _hf_generate(hf, ids, mask, do_sample=False)
    assert torch.equal(mine.sequences, theirs)
    unpadded = generate(ours, ids, N, sampling=GREEDY).sequences  # the mask matters here
    assert not torch.equal(unpadded[1:], theirs[1:])


def test_greedy_with_repetition_penalty_matches_hf(pair):
    """Batch 1: HF's penalty also counts pad tokens, ours skips them (masked), so only an
    unpadded batch has one answer."""
    ours, hf = pair
    ids = torch.tensor(_rows([8, 8]))
    params = SamplingParams(greedy=True, repetition_penalty=1.5)
    mine = generate(ours, ids, N, sampling=params).sequences
    theirs = _hf_generate(hf, ids, torch.ones_like(ids), do_sample=False, repetition_penalty=1.5)
    assert torch.equal(mine, theirs)
    assert not torch.equal(mine, generate(ours, ids, N, sampling=GREEDY).sequences)


@pytest.mark.parametrize(
    "params",
    [
        SamplingParams(temperature=0.8, top_k=40, top_p=0.9, min_p=0.05),
        SamplingParams(temperature=1.3, top_p=0.7, repetition_penalty=1.2),
    ],
    ids=["t0.8-k40-p0.9-minp0.05", "t1.3-p0.7-rep1.2"],
)
def test_seeded_sampling_matches_hf_draw_for_draw(pair, params):
    """Same processors in the same order, then one torch.multinomial per step: a generator
    seeded with s draws what HF draws from the global generator after torch.manual_seed(s)."""
    ours, hf = pair
    ids = torch.tensor(_rows([8]))
    gen = torch.Generator().manual_seed(5)
    mine = generate(ours, ids, N_SAMPLED, sampling=params, generator=gen)
    torch.manual_seed(5)
    theirs = _hf_generate(
        hf, ids, torch.ones_like(ids), N_SAMPLED, do_sample=True, temperature=params.temperature,
        top_k=params.top_k or 0, top_p=params.top_p or 1.0, min_p=params.min_p,
        repetition_penalty=params.repetition_penalty,
    )  # fmt: skip
    assert torch.equal(mine.sequences, theirs)
    greedy = generate(ours, ids, N_SAMPLED, sampling=GREEDY).sequences
    assert not torch.equal(mine.sequences, greedy)
