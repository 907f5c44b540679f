"""generate with a KV cache, token for token: against the full forward and the window-rerun
loop (GPT-2 learned positions, Llama RoPE + GQA), left-padded batches against each row alone,
seeding, EOS, stop strings, max_new_tokens=0, the streamer, repetition penalty and min-p."""

import pytest
import torch

from minillm.config import ModelConfig
from minillm.inference import (
    SamplingParams,
    StaticKVCache,
    decode_step,
    generate,
    left_pad,
    prefill,
    sample_next,
)
from minillm.model import Transformer

GREEDY = SamplingParams(greedy=True)
ATOL = dict(atol=1e-5, rtol=0)  # fp32 logits, cached vs recomputed (the bound)
PRESETS = ["gpt2-tiny", "llama-tiny"]  # learned positions, MHA / RoPE, GQA (4 heads, 2 KV)


def _model(preset="llama-tiny", seed=0, **kw):
    """init_std=0.2: peaked logits (greedy margins >= 1e-2, far above float noise) and
    varied greedy text (a random model at 0.02 repeats one token)."""
    torch.manual_seed(seed)
    return Transformer(ModelConfig.preset(preset, init_std=0.2, max_seq_len=48, **kw)).eval()


def _ids(b=2, t=6, seed=1):
    return torch.randint(0, 512, (b, t), generator=torch.Generator().manual_seed(seed))


def _rows(lengths=(9, 4, 6), seed=2):
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(0, 512, (n,), generator=g).tolist() for n in lengths]


def _stepwise(model, ids, new, mask=None):
    """Teacher-forced cached logits: prefill ids (B, T), then decode_step each column of
    new (B, n) -> (B, n, V), the logits that chose new[:, 0], ..., new[:, n-1]. Positions per
    row are cumsum(mask) - 1 (the spec of left padding)."""
    b, t = ids.shape
    cache = StaticKVCache.for_model(model, b, t + new.shape[1])
    full_mask = None if mask is None else torch.cat([mask, torch.ones_like(new)], 1)
    pos = None if mask is None else (mask.cumsum(-1) - 1).clamp(min=0)
    out = [prefill(model, ids, cache, None if mask is None else mask, pos)]
    for i in range(new.shape[1] - 1):
        pos = None if pos is None else pos[:, -1:] + 1
        m = None if full_mask is None else full_mask[:, : t + i + 1]
        out.append(decode_step(model, new[:, i : i + 1], cache, m, pos))
    return torch.stack(out, 1)


# ------------------------------------------------------------------ token for token
@pytest.mark.parametrize("preset", PRESETS)
def test_cache_equals_no_cache_and_the_full_forward(preset):
    model, ids = _model(preset), _ids()
    n = 16
    cached = model.generate(ids, n, greedy=True)
    assert torch.equal(cached, model.generate(ids, n, greedy=True, use_cache=False))
    assert all(len(set(row)) >= 5 for row in cached[:, 6:].tolist())  # not one token repeated
    out = generate(model, ids, n, sampling=GREEDY)
    assert torch.equal(out.sequences, cached) and out.finish_reasons == ["length"] * 2
    assert out.new_tokens == cached[:, 6:].tolist() and out.decode_steps == n
    steps = _stepwise(model, ids, cached[:, 6:])
    full = model(cached).logits[:, 5:-1]  # every position recomputed from scratch
    torch.testing.assert_close(steps, full, **ATOL)
    assert torch.equal(full.argmax(-1), cached[:, 6:])


@pytest.mark.parametrize("preset", PRESETS)
def test_each_left_padded_row_equals_that_row_alone(preset):
    model, rows, n = _model(preset), _rows(), 14
    ids, mask = left_pad(rows, pad_token_id=0)
    batch = generate(model, ids, n, attention_mask=mask, sampling=GREEDY)
    steps = _stepwise(model, ids, batch.sequences[:, ids.shape[1] :], mask)
    for r, row in enumerate(rows):
        alone = generate(model, torch.tensor([row]), n, sampling=GREEDY)
        assert batch.new_tokens[r] == alone.new_tokens[0], f"row {r}"
        assert batch.sequences[r].tolist() == [0] * (9 - len(row)) + alone.sequences[0].tolist()
        full = model(alone.sequences).logits[0, len(row) - 1 : -1]
        torch.testing.assert_close(steps[r], full, **ATOL, msg=f"row {r}")
    other = generate(model, left_pad(rows, 77)[0], n, attention_mask=mask, sampling=GREEDY)
    assert other.new_tokens == batch.new_tokens  # the pad id is never seen


@pytest.mark.parametrize("preset", PRESETS)
def test_a_padded_row_with_repetition_penalty_ignores_the_pads(preset):
    """The pad id is the token row 1 would choose first: penalising the pads would change it."""
    model, rows = _model(preset), _rows()
    params = SamplingParams(greedy=True, repetition_penalty=3.0)
    alone = generate(model, torch.tensor([rows[1]]), 10, sampling=params).new_tokens[0]
    ids, mask = left_pad(rows, pad_token_id=alone[0])
    batch = generate(model, ids, 10, attention_mask=mask, sampling=params)
    assert batch.new_tokens[1] == alone
    # had the pads counted as seen, the first choice would differ
    cache = StaticKVCache.for_model(model, 3, ids.shape[1])
    logits = prefill(model, ids, cache, mask, (mask.cumsum(-1) - 1).clamp(min=0))
    assert int(sample_next(logits, params, past_ids=ids)[1]) != alone[0]


def test_seeded_sampling_reproduces_with_seed_or_generator():
    model, ids = _model(), _ids()
    params = SamplingParams(temperature=0.9, top_k=50, top_p=0.95)
    a = generate(model, ids, 16, sampling=params, seed=7).sequences
    assert torch.equal(a, generate(model, ids, 16, sampling=params, seed=7).sequences)
    g = torch.Generator().manual_seed(7)
    assert torch.equal(a, generate(model, ids, 16, sampling=params, generator=g).sequences)
    assert not torch.equal(a, generate(model, ids, 16, sampling=params, seed=8).sequences)
    assert not torch.equal(a, generate(model, ids, 16, sampling=GREEDY).sequences)
    # the cache changes nothing, not even the draws: same distribution, same generator calls
    kw = dict(temperature=0.9, top_k=50, top_p=0.95, seed=7)
    assert torch.equal(
        model.generate(ids, 16, **kw), model.generate(ids, 16, **kw, use_cache=False)
    )


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_models_get_a_cache_of_their_dtype(dtype):
    model, ids = _model().to(dtype), _ids()
    out = generate(model, ids, 6, sampling=GREEDY)
    assert out.cache.dtype == dtype and out.cache.keys[0].dtype == dtype
    assert out.sequences.shape == (2, 12) and bool(out.cache.keys[0][:, :, :11].isfinite().all())


# ------------------------------------------------------------------ stopping
@pytest.mark.parametrize("pad", [None, 3])
def test_eos_stops_one_row_and_pads_it(pad):
    model, ids = _model(), _ids()
    ref = generate(model, ids, 16, sampling=GREEDY).new_tokens
    k = next(i for i, tok in enumerate(ref[0]) if i >= 2 and tok not in ref[0][:i] + ref[1])
    eos = ref[0][k]  # row 0 emits it at step k, row 1 never
    out = generate(model, ids, 16, sampling=GREEDY, eos_token_id=eos, pad_token_id=pad)
    assert out.finish_reasons == ["eos", "length"]
    assert out.new_tokens == [ref[0][: k + 1], ref[1]]  # row 1 is untouched by row 0's stop
    assert out.sequences.shape == (2, 22)
    assert out.sequences[0, 6 : 7 + k].tolist() == ref[0][: k + 1]
    assert out.sequences[0, 7 + k :].tolist() == [eos if pad is None else pad] * (15 - k)
    assert out.sequences[1, 6:].tolist() == ref[1]
    seqs = model.generate(ids, 16, greedy=True, eos_token_id=eos)  # the same through the model
    assert torch.equal(seqs, out.sequences) if pad is None else seqs.shape == (2, 22)


def test_generation_ends_when_every_row_has_stopped():
    model, ids = _model(), _ids(b=1)
    ref = generate(model, ids, 16, sampling=GREEDY).new_tokens[0]
    first, second = ref[5], ref[3]
    assert first not in ref[:5] and second not in ref[:3]
    out = generate(model, ids, 16, sampling=GREEDY, eos_token_id=[first, second])
    assert out.new_tokens == [ref[:4]] and out.finish_reasons == ["eos"]
    assert out.sequences.shape == (1, 10) and out.decode_steps == 4


@pytest.fixture(scope="module")
def course():
    """The course model and tokenizer (real text to stop in), two left-padded prompts and
    their 16 greedy tokens without any stop."""
    model, tok = pytest.importorskip("minillm.pretrained").load_course_model()
    ids, mask = left_pad([tok.encode("Once upon a time"), tok.encode("The little dog")])
    ref = generate(model, ids, 16, attention_mask=mask, sampling=GREEDY).new_tokens
    return model, tok, ids, mask, ref


def _first_stop(tokenizer, tokens, stops):
    """Oracle: the shortest prefix whose full decoded text contains a stop string."""
    return next((j for j in range(1, len(tokens) + 1)
                 if any(s in tokenizer.decode(tokens[:j]) for s in stops)), None)  # fmt: skip


def test_stop_strings_stop_each_row_where_its_text_first_contains_one(course):
    model, tok, ids, mask, ref = course
    across = tok.decode(ref[0][4:6])  # spans two tokens of row 0
    inside = next(t[1:-1] for t in map(tok.decode, ([i] for i in ref[1][3:])) if len(t) >= 5)
    stops = [across, inside]  # the second lies strictly inside one token of row 1
    expected = [_first_stop(tok, r, stops) for r in ref]
    assert None not in expected and max(expected) < 16
    out = generate(model, ids, 16, attention_mask=mask, sampling=GREEDY,
                   stop_strings=stops, tokenizer=tok)  # fmt: skip
    assert out.new_tokens == [r[:j] for r, j in zip(ref, expected, strict=True)]
    assert out.finish_reasons == ["stop", "stop"]
    assert out.sequences.shape[1] == ids.shape[1] + max(expected)
    short = min(range(2), key=expected.__getitem__)  # padded with 0 after its stop
    assert out.sequences[short, ids.shape[1] + expected[short] :].eq(0).all()
    # an EOS before the stop string wins for its row
    k = next(i for i in range(expected[0] - 2, -1, -1) if ref[0][i] not in ref[0][:i] + ref[1])
    out = generate(model, ids, 16, attention_mask=mask, sampling=GREEDY, eos_token_id=ref[0][k],
                   pad_token_id=0, stop_strings=stops, tokenizer=tok)  # fmt: skip
    assert out.new_tokens == [ref[0][: k + 1], ref[1][: expected[1]]]
    assert out.finish_reasons == ["eos", "stop"]


def test_a_bare_stop_string_means_that_string(course):
    model, tok, ids, mask, ref = course
    word = tok.decode(ref[0][4:6])
    bare = generate(model, ids, 16, attention_mask=mask, sampling=GREEDY, stop_strings=word,
                    tokenizer=tok)  # fmt: skip
    assert bare.new_tokens[0] == ref[0][: _first_stop(tok, ref[0], [word])]


def test_max_new_tokens_zero_returns_the_prompt():
    model, ids = _model(), _ids()
    calls = []
    out = generate(model, ids, 0, sampling=GREEDY, streamer=lambda *a: calls.append(a))
    assert torch.equal(out.sequences, ids) and out.new_tokens == [[], []]
    assert out.finish_reasons == ["length", "length"] and out.decode_steps == 0 and calls == []
    assert torch.equal(model.generate(ids, 0), ids)


def test_the_streamer_receives_every_step():
    model, ids = _model(), _ids()
    ref = generate(model, ids, 12, sampling=GREEDY).new_tokens
    eos = next(t for i, t in enumerate(ref[0]) if i >= 3 and t not in ref[0][:i] + ref[1])
    calls = []
    out = generate(model, ids, 12, sampling=GREEDY, eos_token_id=eos, pad_token_id=0,
                   streamer=lambda step, tokens: calls.append((step, tokens)))  # fmt: skip
    assert [step for step, _ in calls] == list(range(12))
    assert all(t.shape == (2,) and t.dtype == torch.int64 for _, t in calls)
    assert torch.equal(torch.stack([t for _, t in calls], 1), out.sequences[:, 6:])


# ------------------------------------------------------------------ penalties and min-p
def test_repetition_penalty_follows_its_definition():
    """Each greedy token is the argmax of the full forward's logits with every token seen so
    far (prompt included) divided by the penalty if positive, multiplied if negative."""
    model, ids, p = _model(), _ids(), 1.8
    out = generate(model, ids, 12, sampling=SamplingParams(greedy=True, repetition_penalty=p))
    seq = out.sequences
    for i in range(12):
        logits = model(seq[:, : 6 + i]).logits[:, -1]
        for r in range(2):
            seen = torch.zeros(512, dtype=torch.bool)
            seen[list(set(seq[r, : 6 + i].tolist()))] = True
            l = logits[r]  # noqa: E741
            want = torch.where(seen, torch.where(l > 0, l / p, l * p), l).argmax()
            assert int(want) == int(seq[r, 6 + i]), (i, r)
    plain = generate(model, ids, 12, sampling=GREEDY).sequences
    assert not torch.equal(plain, seq)  # the penalty mattered


def test_min_p_keeps_only_tokens_near_the_top():
    model, ids = _model(), _ids()
    top = generate(model, ids, 12, sampling=SamplingParams(min_p=1.0), seed=0).sequences
    assert torch.equal(top, generate(model, ids, 12, sampling=GREEDY).sequences)
    ratios = {}
    for min_p in (None, 0.3):
        seq = generate(model, ids, 16, sampling=SamplingParams(min_p=min_p), seed=1).sequences
        probs = torch.softmax(model(seq).logits[:, 5:-1], -1)
        chosen = probs.gather(-1, seq[:, 6:, None])[..., 0]
        ratios[min_p] = chosen / probs.max(-1).values
    assert bool((ratios[0.3] >= 0.3 - 1e-5).all())  # min-p's rule, checked on every token
    assert bool((ratios[None] < 0.3).any())  # without it, the same seed draws such tokens
    k1 = generate(model, ids, 12, sampling=SamplingParams(top_k=1), seed=0).sequences
    assert torch.equal(k1, top)


# ------------------------------------------------------------------ bad input
def test_a_prompt_too_long_for_the_window_is_named_or_truncated_on_request():
    model, ids = _model("gpt2-tiny"), _ids(b=2, t=40)  # max_seq_len=48
    with pytest.raises(
        ValueError,
        match=r"prompt of 40 tokens \+ max_new_tokens=10 = 50 exceeds the model's window "
        r"max_seq_len=48; .* truncate=True to keep the prompt's last 38 tokens",
    ):
        generate(model, ids, 10, sampling=GREEDY)
    out = generate(model, ids, 10, sampling=GREEDY, truncate=True)
    kept = generate(model, ids[:, -38:], 10, sampling=GREEDY)
    assert torch.equal(out.sequences, kept.sequences) and out.new_tokens == kept.new_tokens
    mask = torch.ones_like(ids)
    mask[1, :5] = 0  # 3 of the 5 pads are cut; the row's real tokens all fit
    masked = generate(model, ids, 10, sampling=GREEDY, attention_mask=mask, truncate=True)
    alone = generate(model, ids[1:, 5:], 10, sampling=GREEDY)
    assert masked.new_tokens == [kept.new_tokens[0], alone.new_tokens[0]]
    with pytest.raises(ValueError, match=r"impossible here: max_new_tokens alone fills the window"):
        generate(model, ids, 48, sampling=GREEDY, truncate=True)


def test_a_given_cache_that_does_not_fit_is_refused_before_it_is_touched():
    model, ids = _model(), _ids(b=1)
    cache = StaticKVCache.for_model(model, 1, 10)
    prefill(model, ids[:, :3], cache)
    cases = [
        (cache, 8, ValueError, r"max_len=10 positions but this generation needs 14"),
        (StaticKVCache.for_model(model, 1, 20, torch.bfloat16), 4, TypeError,
         r"holds torch.bfloat16 but the model computes in torch.float32"),
        (StaticKVCache.for_model(model, 2, 20), 4, ValueError, r"batch_size=2 .* need batch_size=1"),
        (StaticKVCache.for_model(_model(n_layers=3), 1, 20), 4, ValueError,
         r"n_layers=3 .* need n_layers=2"),
        (StaticKVCache(2, 1, 20, 2, 16, device="meta"), 4, ValueError, r"on meta but the model"),
    ]  # fmt: skip
    for given, n, error, message in cases:
        with pytest.raises(error, match=message):
            generate(model, ids, n, sampling=GREEDY, cache=given)
    assert cache.seq_len(0) == cache.seq_len(1) == 3  # not reset by the refused call
    ok = generate(model, ids, 4, sampling=GREEDY, cache=cache)  # fits: reset and reused
    assert ok.cache is cache and cache.seq_len(0) == 9
    assert ok.new_tokens == generate(model, ids, 4, sampling=GREEDY).new_tokens
    with pytest.raises(TypeError, match=r"k.dtype=torch.float32 but the cache holds torch.float16"):
        generate(model, ids, 4, sampling=GREEDY, cache_dtype=torch.float16)


BAD_CALLS = [
    (dict(attention_mask=torch.tensor([[1, 1, 1, 1, 1, 0]])), r"must be left padding \(0s then 1s"),
    (dict(attention_mask=torch.tensor([[0, 1, 0, 1, 1, 1]])), r"must be left padding"),
    (
        dict(attention_mask=torch.zeros(1, 6, dtype=torch.long)),
        r"every row needs at least one real",
    ),
    (dict(attention_mask=torch.ones(1, 5)), r"attention_mask.shape=\(1, 5\) must equal .*\(1, 6\)"),
    (
        dict(input_ids=torch.tensor([[1, 2, 512]])),
        r"input_ids contain 512; valid token ids: 0..511",
    ),
    (dict(input_ids=torch.tensor([[-1, 2]])), r"input_ids contain -1; valid token ids: 0..511"),
    (dict(input_ids=torch.zeros(1, 3)), r"must hold integer token ids, got dtype=torch.float32"),
    (dict(input_ids=torch.tensor([1, 2, 3])), r"must be a \(B, T\) tensor .* got \(3,\)"),
    (dict(input_ids=torch.zeros(1, 0, dtype=torch.long)), r"T >= 1, got \(1, 0\)"),
    (dict(max_new_tokens=-1), r"max_new_tokens=-1 must be an integer >= 0"),
    (dict(max_new_tokens=2.5), r"max_new_tokens=2.5 must be an integer >= 0"),
    (dict(max_new_tokens=True), r"max_new_tokens=True must be an integer >= 0"),
    (dict(stop_strings=["."]), r"stop_strings need a tokenizer"),
    (dict(eos_token_id=-1), r"eos_token_id=-1 must be a token id or a list of them"),
    (dict(eos_token_id=True), r"eos_token_id=True must be a token id"),
    (dict(eos_token_id=[3, -2]), r"eos_token_id=\[3, -2\] must be a token id"),
    (dict(sampling=dict(greedy=True)), r"sampling must be a SamplingParams, got dict"),
]


@pytest.mark.parametrize("kwargs, message", BAD_CALLS)
def test_bad_generate_arguments_are_named(kwargs, message):
    model = _model()
    args = {**dict(input_ids=_ids(b=1), max_new_tokens=4, sampling=GREEDY), **kwargs}
    error = TypeError if "sampling" in kwargs else ValueError
    with pytest.raises(error, match=message):
        generate(model, args.pop("input_ids"), args.pop("max_new_tokens"), **args)


@pytest.mark.parametrize("eos", [512, 1.5])
def test_an_eos_id_outside_the_vocabulary_is_named(eos):
    with pytest.raises(ValueError, match=rf"eos_token_id={eos}"):
        generate(_model(), _ids(b=1), 4, sampling=GREEDY, eos_token_id=eos)


@pytest.mark.parametrize("pad", [512, -1])
def test_a_pad_id_outside_the_vocabulary_is_refused_up_front(pad):
    model, ids = _model(), _ids()
    ref = generate(model, ids, 8, sampling=GREEDY).new_tokens
    eos = next(t for i, t in enumerate(ref[0]) if i >= 1 and t not in ref[0][:i] + ref[1])
    with pytest.raises(ValueError, match=rf"pad_token_id={pad}"):
        generate(model, ids, 8, sampling=GREEDY, eos_token_id=eos, pad_token_id=pad)


@pytest.mark.parametrize("value", [2, -1])
def test_a_mask_that_is_not_zeros_and_ones_is_refused(value):
    model, ids = _model(), _ids(b=1, t=7)
    mask = torch.tensor([[0] + [value] * 6])
    with pytest.raises(ValueError, match=rf"only 0 \(padding\) and 1 .* got values \[{value}\]"):
        generate(model, ids, 4, sampling=GREEDY, attention_mask=mask)


def test_an_empty_stop_string_is_refused():
    class Chars:
        def decode(self, ids):
            return "".join(chr(97 + i % 26) for i in ids)

    with pytest.raises(ValueError, match=r"stop_strings=\[''\] must be non-empty strings"):
        generate(_model(), _ids(b=1), 4, sampling=GREEDY, stop_strings=[""], tokenizer=Chars())
