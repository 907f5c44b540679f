"""Speculative decoding: greedy output token for token the target's own (minillm generate,
Transformer.generate, HF assisted and prompt-lookup generate), sampled output distributed as the
target's (a chi-square test with negative controls), prompt lookup, statistics, bad input."""

import itertools

import pytest
import torch

from minillm.config import ModelConfig
from minillm.inference import SamplingParams, StaticKVCache, generate, probabilities
from minillm.inference import speculative as spec
from minillm.inference.ngram import PromptLookup, ngram_propose
from minillm.inference.speculative import accept_or_resample, speculative_generate
from minillm.model import Transformer

GREEDY = SamplingParams(greedy=True)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models: one thread is faster than two fighting over a shared machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _model(seed=0, preset="llama-tiny", **kw):
    torch.manual_seed(seed)
    kw = dict(vocab_size=64, init_std=0.2) | kw
    return Transformer(ModelConfig.preset(preset, **kw)).eval()


def _noisy_copy(model, scale, seed=1):
    """The target's weights plus noise: a draft that agrees with it part of the time."""
    draft = Transformer(model.config).eval()
    draft.load_state_dict(model.state_dict())
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in draft.parameters():
            p.add_(scale * torch.randn(p.shape, generator=g))
    return draft


def _prompt(t=7, vocab=64, seed=1):
    return torch.randint(0, vocab, (1, t), generator=torch.Generator().manual_seed(seed))


# ------------------------------------------------------------------ prompt lookup
def test_ngram_propose_takes_the_most_recent_longest_match():
    # "7 8" occurs twice before the end; the most recent occurrence (index 4) is followed by 3 4
    assert ngram_propose([7, 8, 1, 2, 7, 8, 3, 4, 9, 7, 8], k=2) == [3, 4]
    # the 3-gram "2 7 8" beats the more recent 2-gram "7 8" (followed by 5)
    assert ngram_propose([2, 7, 8, 1, 6, 7, 8, 5, 2, 7, 8], k=1, max_ngram=3) == [1]
    assert ngram_propose([2, 7, 8, 1, 6, 7, 8, 5, 2, 7, 8], k=1, max_ngram=2) == [5]
    # only a 1-gram matches
    assert ngram_propose([4, 9, 1, 2, 3, 9], k=3) == [1, 2, 3]
    assert ngram_propose([4, 9, 1, 2, 3, 9], k=3, min_ngram=2) == []
    assert ngram_propose([1, 2, 3, 4], k=3) == [] and ngram_propose([5], k=3) == []


def test_ngram_propose_continues_a_loop_periodically():
    # the match right before the end: what followed it runs into the proposal itself
    assert ngram_propose([1, 2, 3, 1, 2, 3, 1, 2], k=5) == [3, 1, 2, 3, 1]
    assert ngram_propose([6, 6], k=4) == [6, 6, 6, 6]
    assert ngram_propose(torch.tensor([[1, 2, 3, 1, 2]]), k=2) == [3, 1]  # (1, T) tensor


@pytest.mark.parametrize(
    "kwargs, match",
    [(dict(k=0), "k=0"), (dict(k=2, max_ngram=0), "max_ngram=0"),
     (dict(k=2, min_ngram=0), "min_ngram=0"), (dict(k=2, max_ngram=1, min_ngram=2), "max_ngram=1")],
)  # fmt: skip
def test_ngram_propose_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ngram_propose([1, 2, 1], **kwargs)
    with pytest.raises(ValueError, match=r"\(T,\) or \(1, T\)"):
        ngram_propose(torch.zeros(2, 3, dtype=torch.long), k=1)


# ------------------------------------------------------------------ greedy: the target's tokens
@pytest.mark.parametrize("preset", ["llama-tiny", "gpt2-tiny"])
@pytest.mark.parametrize("k", [1, 4])
def test_greedy_equals_plain_greedy_for_every_draft(preset, k):
    """Token for token the target's greedy output, whether the draft agrees with the target
    part of the time (a noisy copy: 0 < acceptance < 1), always (the target itself: every
    token accepted), hardly ever (an unrelated model), or copies tokens (prompt lookup)."""
    target = _model(0, preset)
    ids = _prompt()
    want = generate(target, ids, 40, sampling=GREEDY).sequences
    assert torch.equal(target.generate(ids, 40, greedy=True, use_cache=False), want)
    drafts = {"noisy copy": _noisy_copy(target, 0.03), "itself": target,
              "unrelated": _model(5, preset, n_layers=1), "ngram": "ngram"}  # fmt: skip
    rates = {}
    for name, draft in drafts.items():
        out = speculative_generate(target, draft, ids, 40, k=k, sampling=GREEDY)
        assert torch.equal(out.sequences, want), name
        assert out.new_tokens == [want[0, 7:].tolist()] and out.finish_reasons == ["length"]
        rates[name] = out.acceptance_rate
    assert 0 < rates["noisy copy"] < 1 and rates["itself"] == 1.0, rates
    assert rates["ngram"] > 0, rates  # a random model's greedy output loops: lookup hits


def test_statistics_count_forwards_and_tokens():
    """Draft == target, k=3, 13 new tokens: steps yield 4, 4, 4 tokens, then the last one alone
    (no room left for a draft token), so 4 steps, 9 proposed and accepted, 9 draft forwards
    and 5 target forwards (the prefill of the prompt but its last token, and 4 steps)."""
    target = _model(0)
    out = speculative_generate(target, target, _prompt(), 13, k=3, sampling=GREEDY)
    assert out.num_new_tokens == 13
    assert (out.steps, out.proposed, out.accepted) == (4, 9, 9)
    assert (out.draft_forwards, out.target_forwards) == (9, 5)
    assert out.tokens_per_step == 13 / 4 and out.mean_accepted == 9 / 4 and out.seconds > 0
    assert out.target_cache.seq_len(0) == 7 + 12 and out.draft_cache.seq_len(0) <= 7 + 12


def test_greedy_stops_at_eos_and_applies_the_repetition_penalty_like_generate():
    target = _model(0)
    draft = _noisy_copy(target, 0.03)
    ids = _prompt()
    params = SamplingParams(greedy=True, repetition_penalty=1.3)
    plain = generate(target, ids, 30, sampling=params)
    eos = plain.new_tokens[0][9]  # a token the target emits (first at step <= 9)
    want = generate(target, ids, 30, sampling=params, eos_token_id=[eos])
    seen = []
    for drafter in (draft, "ngram"):
        out = speculative_generate(
            target, drafter, ids, 30, k=4, sampling=params, eos_token_id=[eos],
            streamer=lambda i, tok: seen.append((i, int(tok[0]))),
        )  # fmt: skip
        assert want.finish_reasons == out.finish_reasons == ["eos"]
        assert out.new_tokens == want.new_tokens and torch.equal(out.sequences, want.sequences)
        assert seen == list(enumerate(out.new_tokens[0]))  # each token streamed once, in order
        seen.clear()


class _Names:
    """A stand-in tokenizer: token i is the text "<i>"."""

    def decode(self, ids):
        return "".join(f"<{i}>" for i in ids)


def test_greedy_stops_at_a_stop_string_like_generate():
    target = _model(0)
    ids = _prompt()
    plain = generate(target, ids, 30, sampling=GREEDY).new_tokens[0]
    stop = _Names().decode(plain[11:13])[1:]  # the text of two tokens, less its first "<"
    kw = dict(sampling=GREEDY, stop_strings=stop, tokenizer=_Names())
    want = generate(target, ids, 30, **kw)
    assert want.finish_reasons == ["stop"] and len(want.new_tokens[0]) <= 13
    for drafter in (_noisy_copy(target, 0.03), "ngram"):
        out = speculative_generate(target, drafter, ids, 30, k=4, **kw)
        assert out.finish_reasons == ["stop"] and out.new_tokens == want.new_tokens
    with pytest.raises(ValueError, match="need a tokenizer"):
        speculative_generate(target, "ngram", ids, 30, stop_strings=["x"])


def test_greedy_equals_hugging_face_assisted_and_prompt_lookup_generate():
    from minillm.interop import to_hf

    target = _model(0)
    draft = _noisy_copy(target, 0.03)
    ids = _prompt()
    hf_target = to_hf(target)
    kw = dict(
        attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=30, pad_token_id=0
    )
    hf_assisted = hf_target.generate(ids, assistant_model=to_hf(draft), **kw)
    hf_lookup = hf_target.generate(ids, prompt_lookup_num_tokens=4, **kw)
    ours = speculative_generate(target, draft, ids, 30, k=4, sampling=GREEDY)
    ours_lookup = speculative_generate(target, "ngram", ids, 30, k=4, sampling=GREEDY)
    assert torch.equal(ours.sequences, hf_assisted)
    assert torch.equal(ours_lookup.sequences, hf_lookup)
    assert ours.acceptance_rate > 0 and ours_lookup.acceptance_rate > 0  # drafts were kept


# ------------------------------------------------------------------ sampling: the target's law
V, PROMPT, N_NEW, RUNS, SLOW_RUNS = 8, [1, 2, 3], 3, 300, 5000
P_PASS, P_FAIL = 1e-3, 1e-4  # a fit passes with a p-value above P_PASS; a control must be below
PARAMS = SamplingParams(temperature=0.9, top_k=4)  # top-k puts zeros in p and q


def _tiny_pair():
    """A 2-layer target on a vocabulary of 8 and a different, 1-layer draft: the target's
    embeddings, first block and head (an "early exit" draft, as in self-speculative decoding).
    They agree about half the time: many acceptances, many rejections."""
    cfg = dict(vocab_size=V, n_heads=2, n_kv_heads=1, d_model=16, d_ff=32, max_seq_len=16)
    target = _model(0, n_layers=2, init_std=0.3, **cfg)
    draft = Transformer(ModelConfig(**{**vars(target.config), "n_layers": 1})).eval()
    draft.load_state_dict({k: v for k, v in target.state_dict().items() if "blocks.1." not in k})
    return target, draft


@torch.no_grad()
def _exact_joint(model, params):
    """P(x1, x2, x3 | PROMPT) under `model` sampled with `params`, by enumerating every prefix
    without a cache: a (V, V, V) tensor summing to 1."""
    joint = torch.ones(())
    for depth in range(N_NEW):
        prefixes = torch.tensor(list(itertools.product(range(V), repeat=depth)), dtype=torch.long)
        ids = torch.cat(
            [torch.tensor(PROMPT).expand(len(prefixes), -1), prefixes.view(len(prefixes), depth)], 1
        )
        p = probabilities(model(ids).logits[:, -1], params)  # (V^depth, V)
        joint = joint.unsqueeze(-1) * p.view(*(V,) * (depth + 1))
    return joint


def _chi_square_p_value(counts, probs):
    """Pearson's chi-square goodness of fit; cells expected < 5 times are pooled into one.
    p-value = P(chi2_df > stat) = Q(df / 2, stat / 2), the regularized upper gamma."""
    n = counts.sum()
    expected = n * probs
    small = expected < 5
    obs = torch.cat([counts[~small], counts[small].sum().view(1)])
    exp = torch.cat([expected[~small], expected[small].sum().view(1)])
    keep = exp > 0
    stat = ((obs[keep] - exp[keep]) ** 2 / exp[keep]).sum()
    df = int(keep.sum()) - 1
    return float(torch.special.gammaincc(torch.tensor(df / 2), stat / 2))


def _empirical(target, draft, runs, seed=0, k=2):
    g = torch.Generator().manual_seed(seed)
    counts = torch.zeros(V**N_NEW, dtype=torch.float64)
    ids = torch.tensor([PROMPT])
    proposed = accepted = 0
    for _ in range(runs):
        out = speculative_generate(target, draft, ids, N_NEW, k=k, sampling=PARAMS, generator=g)
        a, b, c = out.new_tokens[0]
        counts[(a * V + b) * V + c] += 1
        proposed, accepted = proposed + out.proposed, accepted + out.accepted
    return counts, accepted / proposed


def _check_fits_the_target(drafter, runs):
    target, draft = _tiny_pair()
    draft = draft if drafter == "early exit" else drafter
    p_target = _exact_joint(target, PARAMS).flatten().double()
    counts, rate = _empirical(target, draft, runs)
    assert 0.1 < rate < 0.9, rate  # many acceptances and many rejections
    assert _chi_square_p_value(counts, p_target) > P_PASS
    if drafter == "early exit":  # the statistic tells the draft's own law apart
        p_draft = _exact_joint(draft, PARAMS).flatten().double()
        assert 0.5 * (p_target - p_draft).abs().sum() > 0.5  # total variation
        assert _chi_square_p_value(counts, p_draft) < P_FAIL


@pytest.mark.parametrize("drafter", ["early exit", "ngram"])
def test_sampled_output_has_the_targets_distribution(drafter):
    """300 runs of 3 tokens after PROMPT, k=2, so every branch occurs (both draft tokens kept
    and a bonus token, a rejection at the first or at the second, a last step with no room for
    a draft): the empirical law of the 8^3 outcomes fits the target's exact one (Pearson
    chi-square p-value > P_PASS = 1e-3, for a seed a false alarm 1 time in 1000), and not the
    draft's. Prompt lookup drafts copied tokens (q one-hot): keep x with probability p(x),
    else draw from p without x; PROMPT [1, 2, 3] followed by 1, 2 or 3 gives a match."""
    _check_fits_the_target(drafter, RUNS)


@pytest.mark.slow
@pytest.mark.parametrize("drafter", ["early exit", "ngram"])
def test_sampled_output_has_the_targets_distribution_5000_runs(drafter):
    """The same with 5000 runs: sensitive to a bias a dozen times smaller."""
    _check_fits_the_target(drafter, SLOW_RUNS)


def _always_accept(p, q, d, generator=None):
    return d.shape[0], int(torch.multinomial(p[d.shape[0]], 1, generator=generator))


def _resample_from_p(p, q, d, generator=None):
    """The right acceptance test, but a rejection redraws from p instead of max(0, p - q)."""
    n, _ = accept_or_resample(p, q, d, generator)
    return n, int(torch.multinomial(p[n], 1, generator=generator))


@pytest.mark.parametrize("broken", [_always_accept, _resample_from_p])
def test_the_distribution_test_catches_broken_rules(monkeypatch, broken):
    """Negative controls: the same 300 runs and statistic reject (p-value < P_FAIL = 1e-4, ten
    times under the pass line) a rule that keeps every draft token, and the subtler one that
    redraws from p after a rejection (it favours the draft's tokens: P(x) = min(p, q)(x) +
    (1 - beta) p(x), beta the acceptance probability)."""
    target, draft = _tiny_pair()
    p_target = _exact_joint(target, PARAMS).flatten().double()
    monkeypatch.setattr(spec, "accept_or_resample", broken)
    counts, _ = _empirical(target, draft, RUNS)
    assert _chi_square_p_value(counts, p_target) < P_FAIL


def test_accept_or_resample_edge_cases():
    g = torch.Generator().manual_seed(0)
    p = torch.tensor([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    # q == p: always accepted, the bonus drawn from p[1]
    assert all(accept_or_resample(p, p[:1], torch.tensor([0]), g)[0] == 1 for _ in range(50))
    # a draft token the target never makes (p = 0) is always rejected, the residual is p
    q = torch.tensor([[0.0, 0.0, 1.0]])
    draws = [accept_or_resample(p, q, torch.tensor([2]), g) for _ in range(50)]
    assert all(n == 0 and tok in (0, 1) for n, tok in draws)


def test_a_seed_reproduces_the_sampled_output():
    target = _model(0)
    draft = _noisy_copy(target, 0.03)
    ids, params = _prompt(), SamplingParams(temperature=0.8, top_p=0.9)
    a = speculative_generate(target, draft, ids, 30, sampling=params, seed=3)
    b = speculative_generate(
        target, draft, ids, 30, sampling=params, generator=torch.Generator().manual_seed(3)
    )
    c = speculative_generate(target, draft, ids, 30, sampling=params, seed=4)
    assert torch.equal(a.sequences, b.sequences) and not torch.equal(a.sequences, c.sequences)
    assert 0 < a.acceptance_rate < 1


# ------------------------------------------------------------------ bad input
def _state(cache):
    return [cache.seq_len(i) for i in range(cache.n_layers)], [t.clone() for t in cache.keys]


def _assert_unchanged(cache, state):
    assert [cache.seq_len(i) for i in range(cache.n_layers)] == state[0]
    assert all(torch.equal(a, b) for a, b in zip(cache.keys, state[1], strict=True))


def test_bad_input_names_the_value_and_leaves_the_caches_alone():
    target = _model(0, max_seq_len=32)
    draft = _model(1, n_layers=1, max_seq_len=24)
    ids = _prompt()
    tc, dc = StaticKVCache.for_model(target, 1, 32), StaticKVCache.for_model(draft, 1, 32)
    prefill_both = speculative_generate(target, draft, ids, 5, target_cache=tc, draft_cache=dc)
    assert prefill_both.target_cache is tc and tc.seq_len(0) > 0 and dc.seq_len(0) > 0
    before = _state(tc), _state(dc)
    caches = dict(target_cache=tc, draft_cache=dc)
    cases = [
        ((target, _model(1, vocab_size=65), ids, 5), {}, r"vocab_size=65.*vocab_size=64"),
        ((target, draft, ids, 5), dict(k=0), "k=0 must be an integer >= 1"),
        ((target, draft, ids, 5), dict(k=True), "k=True"),
        ((target, draft, ids, 26), {}, r"7 tokens \+ max_new_tokens=26 = 33 exceeds the target "
         "model's window max_seq_len=32"),
        ((target, draft, ids, 20), {}, r"= 27 exceeds the draft model's window max_seq_len=24"),
        ((target, draft, ids.repeat(2, 1), 5), {}, "batch size 2"),
        ((target, "medusa", ids, 5), {}, "'ngram'"),
        ((target, draft, ids, -1), {}, "max_new_tokens=-1"),
        ((target, draft, ids + 64, 5), {}, "input_ids contain [0-9]+; valid token ids: 0..63"),
        ((target, draft, ids, 5), dict(eos_token_id=64), "eos_token_id=64 .* 0..63"),
        ((target, draft, ids.float(), 5), {}, "integer token ids"),
        ((target, draft, ids, 5), dict(target_cache=StaticKVCache.for_model(target, 2, 32)),
         "target_cache: .*batch_size=2"),
        ((target, draft, ids, 5), dict(draft_cache=StaticKVCache.for_model(target, 1, 32)),
         "draft_cache: .*n_layers=2"),
        ((target, draft, ids, 5), dict(target_cache=StaticKVCache.for_model(target, 1, 8)),
         "target_cache: .*max_len=8"),
    ]  # fmt: skip
    for args, kw, match in cases:
        with pytest.raises(ValueError, match=match):
            speculative_generate(*args, **(caches | kw))
        _assert_unchanged(tc, before[0])
        _assert_unchanged(dc, before[1])
    with pytest.raises(TypeError, match="sampling must be a SamplingParams"):
        speculative_generate(target, draft, ids, 5, sampling="greedy", **caches)
    with pytest.raises(ValueError, match="max_ngram=0"):
        PromptLookup(max_ngram=0)


def test_an_error_mid_generation_resets_both_caches():
    target, draft = _model(0), _model(1, n_layers=1)
    tc, dc = StaticKVCache.for_model(target, 1, 40), StaticKVCache.for_model(draft, 1, 40)

    def streamer(i, tokens):
        if i == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        speculative_generate(target, draft, _prompt(), 20, target_cache=tc, draft_cache=dc,
                             streamer=streamer)  # fmt: skip
    for cache in (tc, dc):
        assert [cache.seq_len(i) for i in range(cache.n_layers)] == [0] * cache.n_layers
    out = speculative_generate(
        target, draft, _prompt(), 20, sampling=GREEDY, target_cache=tc, draft_cache=dc
    )
    assert torch.equal(out.sequences, generate(target, _prompt(), 20, sampling=GREEDY).sequences)
