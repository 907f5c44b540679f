"""The sampling rules against Hugging Face's logits processors (the oracle), hand-worked cases,
tie behaviour, seeding, and SamplingParams validation."""

import math

import pytest
import torch

from minillm.inference import (
    SamplingParams,
    apply_repetition_penalty,
    min_p_filter,
    probabilities,
    process_logits,
    sample_next,
)

lp = pytest.importorskip("transformers.generation.logits_process")

V = 64
TOL = dict(atol=1e-6, rtol=0)  # probabilities and kept logits, ours vs HF's (float32)


def _logits(b=8, v=V, seed=0, scale=3.0):
    """Tie-free random logits (checked): top-p's tie rule cannot differ from HF's here."""
    logits = torch.randn(b, v, generator=torch.Generator().manual_seed(seed)) * scale
    assert all(row.unique().numel() == v for row in logits)
    return logits


def _past(b=8, length=12, seed=1, v=V):
    """Past token ids with repeats in every row (the penalty applies once per token)."""
    past = torch.randint(0, v // 2, (b, length), generator=torch.Generator().manual_seed(seed))
    past[:, -1] = past[:, 0]
    return past


def _hf(logits, params, past):
    """HF's generate composes these in this order (generation/utils.py _get_logits_processor)."""
    procs = []
    if params.repetition_penalty != 1.0:
        procs.append(lp.RepetitionPenaltyLogitsProcessor(params.repetition_penalty))
    if not params.greedy:
        if params.temperature != 1.0:
            procs.append(lp.TemperatureLogitsWarper(params.temperature))
        if params.top_k is not None:
            procs.append(lp.TopKLogitsWarper(params.top_k))
        if params.top_p is not None and params.top_p < 1.0:
            procs.append(lp.TopPLogitsWarper(params.top_p))
        if params.min_p is not None:
            procs.append(lp.MinPLogitsWarper(params.min_p))
    return lp.LogitsProcessorList(procs)(past, logits.clone())


ORACLE_CASES = [
    SamplingParams(),
    SamplingParams(temperature=0.7),
    SamplingParams(temperature=1.6),
    SamplingParams(top_k=1),
    SamplingParams(top_k=7),
    SamplingParams(top_k=V),
    SamplingParams(top_p=0.05),
    SamplingParams(top_p=0.5),
    SamplingParams(top_p=0.9),
    SamplingParams(top_p=1.0),
    SamplingParams(min_p=0.02),
    SamplingParams(min_p=0.3),
    SamplingParams(min_p=1.0),
    SamplingParams(repetition_penalty=1.3),
    SamplingParams(repetition_penalty=0.7),  # < 1 rewards repeats
    SamplingParams(temperature=0.8, top_k=20, top_p=0.9, min_p=0.05, repetition_penalty=1.2),
    SamplingParams(temperature=1.5, top_k=30, top_p=0.7, min_p=0.1),
    SamplingParams(temperature=0.5, top_p=0.95, repetition_penalty=2.0),
    SamplingParams(greedy=True, repetition_penalty=1.5),
]


@pytest.mark.parametrize("params", ORACLE_CASES, ids=repr)
def test_process_logits_and_probabilities_match_hf(params):
    logits, past = _logits(), _past()
    original = logits.clone()
    ours = process_logits(logits, params, past)
    theirs = _hf(logits, params, past)
    assert torch.equal(logits, original)  # the input is not modified in place
    kept = torch.isfinite(ours)
    assert torch.equal(kept, torch.isfinite(theirs))  # the same tokens survive every filter
    torch.testing.assert_close(ours[kept], theirs[kept], **TOL)
    probs = probabilities(logits, params, past)
    if params.greedy:
        assert torch.equal(probs, torch.nn.functional.one_hot(theirs.argmax(-1), V).float())
    else:
        torch.testing.assert_close(probs, torch.softmax(theirs, -1), **TOL)
        assert bool((probs[~kept] == 0).all())
    torch.testing.assert_close(probs.sum(-1), torch.ones(len(probs)), **TOL)
    filters = (params.top_k, params.top_p, params.min_p)
    if not params.greedy and any(f not in (None, 1.0, V) for f in filters):
        assert not bool(kept.all())  # the case really filtered something


def test_the_cases_above_are_not_all_trivial():
    """Filters that cut: top_p=0.05 keeps one token per row, min_p=0.3 a handful."""
    logits = _logits()
    assert (process_logits(logits, SamplingParams(top_p=0.05)).isfinite().sum(-1) == 1).all()
    n = process_logits(logits, SamplingParams(min_p=0.3)).isfinite().sum(-1)
    assert bool(((n > 1) & (n < V // 2)).any())


# ------------------------------------------------------------------ hand-worked cases
def test_repetition_penalty_by_hand():
    logits = torch.tensor([[2.0, -2.0, 0.5, 3.0, 0.0]])
    past = torch.tensor([[0, 1, 1, 4]])  # 1 twice: penalised once; 4 has logit 0
    out = apply_repetition_penalty(logits, 2.0, past)
    assert torch.equal(out, torch.tensor([[1.0, -4.0, 0.5, 3.0, 0.0]]))
    out = apply_repetition_penalty(logits, 0.5, past)
    assert torch.equal(out, torch.tensor([[4.0, -1.0, 0.5, 3.0, 0.0]]))
    # past_mask 0 = padding: the pad id (0 here) is not "seen"
    out = apply_repetition_penalty(logits, 2.0, past, past_mask=torch.tensor([[0, 1, 1, 1]]))
    assert torch.equal(out, torch.tensor([[2.0, -4.0, 0.5, 3.0, 0.0]]))
    assert apply_repetition_penalty(logits, 1.0, past) is logits


def test_repetition_penalty_with_padding_equals_hf_on_the_real_tokens():
    logits, past = _logits(b=3), _past(b=3)
    mask = torch.ones_like(past)
    mask[0, :5], mask[2, :11] = 0, 0  # left padding, different per row
    ours = apply_repetition_penalty(logits, 1.7, past, mask)
    proc = lp.RepetitionPenaltyLogitsProcessor(1.7)
    for r in range(3):
        real = past[r][mask[r].bool()][None]
        torch.testing.assert_close(ours[r : r + 1], proc(real, logits[r : r + 1].clone()), **TOL)


def test_min_p_by_hand():
    logits = torch.tensor([[0.5, 0.3, 0.15, 0.05]]).log()
    keep = lambda m: torch.isfinite(min_p_filter(logits, m)).tolist()[0]  # noqa: E731
    assert keep(0.2) == [True, True, True, False]  # cut 0.1
    assert keep(0.5) == [True, True, False, False]  # cut 0.25
    assert keep(1.0) == [True, False, False, False]  # only the top token
    assert keep(0.0) == [True] * 4


def test_temperature_scales_and_greedy_ignores_the_filters():
    logits = _logits(b=2)
    out = process_logits(logits, SamplingParams(temperature=0.25))
    torch.testing.assert_close(out, logits * 4, atol=1e-6, rtol=1e-6)
    greedy = SamplingParams(greedy=True, temperature=0.0, top_k=1, top_p=0.01, min_p=1.0)
    assert torch.equal(process_logits(logits, greedy), logits)  # argmax is all it needs
    assert torch.equal(sample_next(logits, greedy), logits.argmax(-1))
    half = process_logits(logits.to(torch.bfloat16), SamplingParams(top_k=3))
    assert half.dtype == torch.float32


# ------------------------------------------------------------------ ties
def test_top_k_keeps_every_logit_tied_with_the_kth_like_hf():
    logits = torch.tensor([[3.0, 2.0, 2.0, 1.0, 2.0, 0.0]])
    ours = process_logits(logits, SamplingParams(top_k=2))
    theirs = lp.TopKLogitsWarper(2)(None, logits.clone())
    assert torch.isfinite(ours).tolist() == [[True, True, True, False, True, False]]
    assert torch.equal(torch.isfinite(ours), torch.isfinite(theirs))


def test_top_p_keeps_a_tied_run_whole_whatever_the_vocabulary_order():
    """Documented in filter_logits: a token tied with the last one kept stays, so the kept set
    never depends on how a sort orders equal logits (HF keeps an order-dependent subset)."""
    logits = torch.tensor([2.0, 1.0, 1.0, 1.0, 0.0])
    p = torch.softmax(logits, 0)
    top_p = float(p[0] + p[1]) - 1e-4  # reached within the tied run of three
    expected = [True, True, True, True, False]
    assert float(p[0]) < top_p < float(p[0] + 3 * p[1])  # the run straddles the cut
    for seed in range(6):
        perm = torch.randperm(5, generator=torch.Generator().manual_seed(seed))
        kept = torch.isfinite(process_logits(logits[perm][None], SamplingParams(top_p=top_p)))
        assert kept[0].tolist() == [expected[i] for i in perm.tolist()]


def test_min_p_keeps_every_token_tied_with_the_top():
    logits = torch.tensor([[1.0, 1.0, 0.0, 1.0]])
    kept = torch.isfinite(process_logits(logits, SamplingParams(min_p=1.0)))
    assert kept.tolist() == [[True, True, False, True]]
    draws = sample_next(logits.expand(3000, 4), SamplingParams(min_p=1.0), _gen(0))
    counts = torch.bincount(draws, minlength=4).tolist()
    assert counts[2] == 0 and all(abs(c - 1000) < 4 * math.sqrt(1000 * 2 / 3) for c in counts[::3])


# ------------------------------------------------------------------ drawing
def _gen(seed):
    return torch.Generator().manual_seed(seed)


def test_sample_next_is_seeded_and_draws_from_probabilities():
    params = SamplingParams(temperature=0.9, top_k=10, top_p=0.8)
    logits = _logits(b=1, scale=1.0).expand(20000, V)
    assert 4 <= int(process_logits(logits[:1], params).isfinite().sum()) < 10  # p and k cut
    a, b = sample_next(logits, params, _gen(3)), sample_next(logits, params, _gen(3))
    assert a.dtype == torch.int64 and a.shape == (20000,) and torch.equal(a, b)
    assert not torch.equal(a, sample_next(logits, params, _gen(4)))
    probs = probabilities(logits[:1], params)[0]
    freq = torch.bincount(a, minlength=V).double() / len(a)
    assert bool((freq[probs == 0] == 0).all())  # never a filtered token
    sigma = (probs * (1 - probs) / len(a)).sqrt()
    assert bool(((freq - probs).abs() <= 5 * sigma + 1e-12).all())  # 5 sigma per token


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(temperature=0.0), r"temperature=0.0 must be > 0 \(or use greedy=True\)"),
        (dict(temperature=-1.0), r"temperature=-1.0 must be > 0"),
        (dict(temperature=float("nan")), r"temperature=nan must be > 0"),
        (dict(top_k=0), r"top_k=0 must be an integer >= 1"),
        (dict(top_k=-3), r"top_k=-3 must be an integer >= 1"),
        (dict(top_k=True), r"top_k=True must be an integer >= 1"),
        (dict(top_p=0.0), r"top_p=0.0 must be in \(0, 1\]"),
        (dict(top_p=1.5), r"top_p=1.5 must be in \(0, 1\]"),
        (dict(top_p=float("nan")), r"top_p=nan must be in \(0, 1\]"),
        (dict(min_p=-0.1), r"min_p=-0.1 must be in \[0, 1\]"),
        (dict(min_p=1.01), r"min_p=1.01 must be in \[0, 1\]"),
        (dict(min_p=float("nan")), r"min_p=nan must be in \[0, 1\]"),
        (dict(repetition_penalty=0.0), r"repetition_penalty=0.0 must be > 0"),
        (dict(repetition_penalty=-1.2), r"repetition_penalty=-1.2 must be > 0"),
        (dict(repetition_penalty=float("nan")), r"repetition_penalty=nan must be > 0"),
    ],
)
def test_bad_sampling_params_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SamplingParams(**kwargs)


def test_a_fractional_top_k_is_refused_up_front():
    with pytest.raises(ValueError, match=r"top_k=2.5 must be an integer >= 1"):
        SamplingParams(top_k=2.5)


def test_greedy_allows_temperature_zero_and_params_are_frozen():
    params = SamplingParams(greedy=True, temperature=0.0)
    with pytest.raises(AttributeError):
        params.top_k = 3  # frozen: a validated object stays valid
    with pytest.raises(ValueError, match=r"repetition_penalty != 1 needs past_ids"):
        process_logits(_logits(b=1), SamplingParams(repetition_penalty=1.2))
