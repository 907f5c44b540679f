"""StaticKVCache: appends, views, crop/reset, byte arithmetic, dtypes; every bad call raises
naming the value and leaves the cache as it was; prefill/decode_step roll a failed forward back."""

import pytest
import torch

from minillm.config import ModelConfig
from minillm.inference import StaticKVCache, decode_step, prefill
from minillm.layers import DynamicKVCache
from minillm.model import Transformer

L, B, S, H, D = 3, 2, 10, 2, 4  # the test cache: layers, batch, max_len, kv heads, head dim
ITEMSIZE = {torch.float32: 4, torch.bfloat16: 2, torch.float16: 2}  # bytes, written out


def _kv(t, seed=0, b=B, h=H, d=D, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(b, h, t, d, generator=g).to(dtype),
            torch.randn(b, h, t, d, generator=g).to(dtype))  # fmt: skip


def _filled(dtype=torch.float32):
    """A cache holding 3 positions in every layer (and nonzero buffers beyond them)."""
    cache = StaticKVCache(L, B, S, H, D, dtype=dtype)
    for i in range(L):
        cache.update(i, *_kv(5, seed=i, dtype=dtype))
    cache.crop(3)
    return cache


def _state(cache):
    lengths = [cache.seq_len(i) for i in range(cache.n_layers)]
    return lengths, [t.clone() for t in (*cache.keys, *cache.values)]


def _assert_unchanged(cache, state):
    lengths, buffers = state
    assert [cache.seq_len(i) for i in range(cache.n_layers)] == lengths
    for before, now in zip(buffers, (*cache.keys, *cache.values), strict=True):
        assert torch.equal(before, now)  # not one element written, even past the length


def _model(preset="llama-tiny", n_layers=3, **kw):
    torch.manual_seed(0)
    return Transformer(ModelConfig.preset(preset, n_layers=n_layers, init_std=0.2, **kw)).eval()


# ------------------------------------------------------------------ appends and views
def test_updates_match_a_concatenating_cache_and_return_views():
    """A random schedule of appends (prefill 4, decode 1s, a chunk of 3) returns what
    DynamicKVCache's torch.cat returns, as views into the preallocated buffers."""
    cache, oracle = StaticKVCache(L, B, S, H, D), DynamicKVCache()
    pointers = [t.data_ptr() for t in (*cache.keys, *cache.values)]
    for step, t in enumerate([4, 1, 1, 3, 1]):
        for layer in range(L):
            k, v = _kv(t, seed=10 * step + layer)
            k_all, v_all = cache.update(layer, k, v)
            k_ref, v_ref = oracle.update(layer, k, v)
            assert torch.equal(k_all, k_ref) and torch.equal(v_all, v_ref)
            assert k_all.data_ptr() == cache.keys[layer].data_ptr()  # a view, not a copy
            assert v_all.data_ptr() == cache.values[layer].data_ptr()
            assert cache.seq_len(layer) == oracle.seq_len(layer)
    assert cache.seq_len(0) == S == 10  # exactly full
    assert [t.data_ptr() for t in (*cache.keys, *cache.values)] == pointers  # never reallocated
    k_all, v_all = cache.update(0, *_kv(0))  # zero new positions: a no-op that still answers
    assert k_all.shape == (B, H, S, D) and cache.seq_len(0) == S
    k_all.zero_()  # writing through the view writes the cache
    assert not cache.keys[0].any()


def test_layers_fill_independently_until_cropped():
    cache = StaticKVCache(L, B, S, H, D)
    cache.update(0, *_kv(4))
    cache.update(1, *_kv(2))
    assert [cache.seq_len(i) for i in range(L)] == [4, 2, 0]
    with pytest.raises(ValueError, match=r"n=1 must be an integer in \[0, 0\]"):
        cache.crop(1)  # layer 2 holds nothing: crop's bound is the shortest layer
    cache.crop(0)
    assert [cache.seq_len(i) for i in range(L)] == [0, 0, 0]


def test_crop_then_update_overwrites_the_dropped_positions():
    cache = _filled()
    k, v = _kv(2, seed=99)
    keep_k = cache.keys[1][:, :, :3].clone()
    cache.crop(1)
    assert [cache.seq_len(i) for i in range(L)] == [1, 1, 1]
    k_all, v_all = cache.update(1, k, v)
    assert k_all.shape == (B, H, 3, D)
    assert torch.equal(k_all[:, :, :1], keep_k[:, :, :1])  # position 0 kept
    assert torch.equal(k_all[:, :, 1:], k) and torch.equal(v_all[:, :, 1:], v)
    cache.crop(cache.seq_len(0))  # cropping to the current length is allowed (and a no-op)
    assert cache.seq_len(0) == 1


def test_reset_empties_but_keeps_the_buffers():
    cache = _filled()
    pointers = [t.data_ptr() for t in (*cache.keys, *cache.values)]
    cache.reset()
    assert [cache.seq_len(i) for i in range(L)] == [0] * L
    assert [t.data_ptr() for t in (*cache.keys, *cache.values)] == pointers
    k, v = _kv(S, seed=5)
    k_all, _ = cache.update(2, k, v)  # the whole max_len fits again
    assert torch.equal(k_all, k)


# ------------------------------------------------------------------ bytes and dtypes
@pytest.mark.parametrize("dtype", list(ITEMSIZE))
def test_nbytes_bytes_per_token_and_dtype_round_trip(dtype):
    cache = StaticKVCache(L, B, S, H, D, dtype=dtype)
    assert all(t.shape == (B, H, S, D) and t.dtype == dtype for t in (*cache.keys, *cache.values))
    assert len(cache.keys) == len(cache.values) == L
    assert cache.nbytes == 2 * L * B * H * S * D * ITEMSIZE[dtype]
    assert cache.bytes_per_token == 2 * L * H * D * ITEMSIZE[dtype]
    assert cache.nbytes == cache.bytes_per_token * B * S
    k, v = _kv(3, dtype=dtype)
    k_all, v_all = cache.update(0, k, v)
    assert k_all.dtype == dtype and torch.equal(k_all, k) and torch.equal(v_all, v)  # no casts


def test_byte_counts_of_real_configs_on_the_meta_device():
    """Llama-2-7B: 32 layers x 32 KV heads x 128, fp16 -> 0.5 MiB per token (the issue's figure),
    2 GiB at 4096 tokens; Llama-2-70B (GQA: 8 KV heads of 128, 80 layers) -> 320 KiB per token.
    The meta device allocates nothing."""
    llama7 = StaticKVCache(32, 1, 4096, 32, 128, dtype=torch.float16, device="meta")
    assert llama7.bytes_per_token == 2**19 and llama7.nbytes == 2 * 2**30
    llama70 = StaticKVCache(80, 1, 4096, 8, 128, dtype=torch.float16, device="meta")
    assert llama70.bytes_per_token == 320 * 2**10 and llama70.nbytes == 1.25 * 2**30


def test_for_model_follows_the_config_dtype_and_device():
    model = _model()  # llama-tiny: 4 heads, 2 KV heads (GQA) of 16
    cache = StaticKVCache.for_model(model, batch_size=3, max_len=20)
    assert (cache.n_layers, cache.batch_size, cache.max_len) == (3, 3, 20)
    assert (cache.n_kv_heads, cache.head_dim) == (2, 16)
    assert cache.keys[0].shape == (3, 2, 20, 16) and cache.dtype == torch.float32
    assert cache.device == torch.device("cpu")
    half = StaticKVCache.for_model(model.to(torch.bfloat16), 1, 8)
    assert half.dtype == torch.bfloat16 and half.keys[0].dtype == torch.bfloat16
    assert StaticKVCache.for_model(model, 1, 8, dtype=torch.float16).dtype == torch.float16


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_cache_built_on_cuda_without_an_index_accepts_cuda_tensors():
    cache = StaticKVCache(L, B, S, H, D, device="cuda")
    k, v = _kv(2)
    k_all, _ = cache.update(0, k.cuda(), v.cuda())
    assert torch.equal(k_all.cpu(), k)


# ------------------------------------------------------------------ bad input
BAD_UPDATES = [
    ((0, *_kv(2, b=3)), ValueError, r"k.shape=\(3, 2, 2, 4\) must be .* = \(2, 2, T, 4\)"),
    ((0, *_kv(2, h=1)), ValueError, r"k.shape=\(2, 1, 2, 4\)"),
    ((0, *_kv(2, d=5)), ValueError, r"k.shape=\(2, 2, 2, 5\)"),
    ((0, torch.zeros(B, H, D), torch.zeros(B, H, D)), ValueError, r"k.shape=\(2, 2, 4\)"),
    ((0, _kv(2)[0], _kv(1)[1]), ValueError, r"v.shape=\(2, 2, 1, 4\) must be"),  # k fine
    ((0, *_kv(2, dtype=torch.float64)), TypeError, r"k.dtype=torch.float64 but the cache holds"),
    ((0, _kv(2)[0], _kv(2)[1].half()), TypeError, r"v.dtype=torch.float16 but .* torch.float32"),
    ((0, *(t.to("meta") for t in _kv(2))), ValueError, r"k is on meta but the cache is on cpu"),
    ((0, _kv(2)[0], _kv(2)[1].to("meta")), ValueError, r"v is on meta but the cache is on cpu"),
    ((3, *_kv(2)), ValueError, r"layer_idx=3 out of range; this cache has 3 layers \(0..2\)"),
    ((-1, *_kv(2)), ValueError, r"layer_idx=-1 out of range"),
    ((1, *_kv(8)), ValueError, r"8 new positions after 3 cached ones need 11 > max_len=10"),
]


@pytest.mark.parametrize("args, error, message", BAD_UPDATES)
def test_a_bad_update_raises_and_writes_nothing(args, error, message):
    cache = _filled()
    state = _state(cache)
    with pytest.raises(error, match=message):
        cache.update(*args)
    _assert_unchanged(cache, state)


@pytest.mark.parametrize(
    "n, message",
    [
        (4, r"n=4 must be an integer in \[0, 3\]"),
        (-1, r"n=-1 must be an integer in \[0, 3\]"),
        (1.5, r"n=1.5 must be an integer"),
        (True, r"n=True must be an integer"),
    ],
)
def test_a_bad_crop_raises_and_changes_nothing(n, message):
    cache = _filled()
    state = _state(cache)
    with pytest.raises(ValueError, match=message):
        cache.crop(n)
    _assert_unchanged(cache, state)


def test_seq_len_of_a_missing_layer_raises():
    with pytest.raises(ValueError, match=r"layer_idx=7 out of range; this cache has 3 layers"):
        _filled().seq_len(7)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n_layers=0), r"n_layers=0 must be an integer >= 1"),
        (dict(batch_size=-2), r"batch_size=-2 must be an integer >= 1"),
        (dict(max_len=2.5), r"max_len=2.5 must be an integer >= 1"),
        (dict(n_kv_heads=True), r"n_kv_heads=True must be an integer >= 1"),
        (dict(head_dim="4"), r"head_dim='4' must be an integer >= 1"),
        (dict(dtype=torch.int64), r"dtype=torch.int64 is not a cache dtype; valid: float32, bf"),
    ],
)
def test_bad_constructor_arguments_are_named(kwargs, message):
    args = {**dict(n_layers=L, batch_size=B, max_len=S, n_kv_heads=H, head_dim=D), **kwargs}
    with pytest.raises(ValueError, match=message):
        StaticKVCache(**args)


def test_check_model_names_every_mismatch():
    model = _model()  # 3 layers, 2 KV heads of 16, float32, cpu
    good = StaticKVCache(3, 2, 12, 2, 16)
    good.check_model(model, batch_size=2, needed_len=12)  # fits exactly: no error
    cases = [
        (StaticKVCache(2, 2, 12, 2, 16), ValueError, r"has n_layers=2 .* need n_layers=3"),
        (StaticKVCache(3, 4, 12, 2, 16), ValueError, r"has batch_size=4 .* need batch_size=2"),
        (StaticKVCache(3, 2, 12, 4, 16), ValueError, r"has n_kv_heads=4 .* need n_kv_heads=2"),
        (StaticKVCache(3, 2, 12, 2, 8), ValueError, r"has head_dim=8 .* need head_dim=16"),
        (StaticKVCache(3, 2, 12, 2, 16, dtype=torch.bfloat16), TypeError,
         r"holds torch.bfloat16 but the model computes in torch.float32"),
        (StaticKVCache(3, 2, 12, 2, 16, device="meta"), ValueError,
         r"cache is on meta but the model is on cpu"),
        (StaticKVCache(3, 2, 11, 2, 16), ValueError,
         r"max_len=11 positions but this generation needs 12 .* max_len >= 12"),
    ]  # fmt: skip
    for cache, error, message in cases:
        with pytest.raises(error, match=message):
            cache.check_model(model, batch_size=2, needed_len=12)


# ------------------------------------------------------------------ rollback after an error
class Boom(RuntimeError):
    pass


def _fail_in_block(model, block, cache, seen, error=Boom):
    """A pre-hook on `block` that records every layer's cache length, then raises: the layers
    before it have written their keys, the rest have not."""

    def hook(module, args):
        seen.append([cache.seq_len(i) for i in range(cache.n_layers)])
        raise error("layer failed")

    return model.blocks[block].register_forward_pre_hook(hook)


@pytest.mark.parametrize("preset", ["llama-tiny", "gpt2-tiny"])
def test_prefill_and_decode_roll_back_a_forward_that_fails_midway(preset):
    model = _model(preset)
    ids = torch.randint(0, 512, (B, 6), generator=torch.Generator().manual_seed(0))
    cache = StaticKVCache.for_model(model, B, 16)
    seen = []
    handle = _fail_in_block(model, 2, cache, seen)
    with pytest.raises(Boom):
        prefill(model, ids[:, :5], cache)
    assert seen == [[5, 5, 0]]  # half-updated when the error struck...
    assert [cache.seq_len(i) for i in range(3)] == [0, 0, 0]  # ...and rolled back
    handle.remove()
    reference = prefill(model, ids[:, :5], cache)  # the cache works as if nothing had happened
    state = _state(cache)
    handle = _fail_in_block(model, 2, cache, seen)
    with pytest.raises(Boom):
        decode_step(model, ids[:, 5:6], cache)
    assert seen[-1] == [6, 6, 5]
    assert [cache.seq_len(i) for i in range(3)] == [5, 5, 5]
    for before, now in zip(state[1], (*cache.keys, *cache.values), strict=True):
        assert torch.equal(before[:, :, :5], now[:, :, :5])  # the cached part is intact
    handle.remove()
    logits = decode_step(model, ids[:, 5:6], cache)
    full = model(ids).logits
    torch.testing.assert_close(reference, full[:, 4], atol=1e-5, rtol=0)
    torch.testing.assert_close(logits, full[:, 5], atol=1e-5, rtol=0)


def test_an_overflowing_decode_and_a_bad_mask_leave_the_cache_as_it_was():
    model = _model()
    ids = torch.randint(0, 512, (B, 4), generator=torch.Generator().manual_seed(0))
    cache = StaticKVCache.for_model(model, B, 4)
    prefill(model, ids, cache)
    state = _state(cache)
    with pytest.raises(ValueError, match=r"1 new positions after 4 cached ones need 5 > max_len=4"):
        decode_step(model, ids[:, :1], cache)
    _assert_unchanged(cache, state)
    with pytest.raises(ValueError, match=r"attention_mask.shape=\(2, 3\) must be \(B, S\)"):
        decode_step(model, ids[:, :1], cache, attention_mask=torch.ones(B, 3))
    _assert_unchanged(cache, state)


def test_an_interrupt_midway_is_rolled_back_too():
    model = _model()
    ids = torch.randint(0, 512, (B, 5), generator=torch.Generator().manual_seed(0))
    cache = StaticKVCache.for_model(model, B, 16)
    prefill(model, ids, cache)
    _fail_in_block(model, 2, cache, [], error=KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        decode_step(model, ids[:, :1], cache)
    assert [cache.seq_len(i) for i in range(3)] == [5, 5, 5]


def test_advance_counts_direct_writes_and_refuses_overflow():
    cache = StaticKVCache(L, B, S, H, D)
    for layer in range(L):
        cache.update(layer, *_kv(2))
    cache.advance(3)  # three more positions written straight into the buffers
    assert [cache.seq_len(i) for i in range(L)] == [5] * L
    for bad in (-1, True, 2.0, S - 4):
        with pytest.raises(ValueError, match=r"StaticKVCache.advance: n=.* max_len="):
            cache.advance(bad)
    assert [cache.seq_len(i) for i in range(L)] == [5] * L
