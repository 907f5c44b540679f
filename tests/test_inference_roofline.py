"""Lesson 15's memory-bound arithmetic: the KV-cache table, the decode cost model, the
roofline, and the (small, fast) machine measurements."""

import math
import time

import pytest
import torch

from minillm.config import ModelConfig, count_active_params, count_params
from minillm.inference import roofline
from minillm.inference.kv_table import decode_step_cost, kv_cache_table, kv_claim_check
from minillm.inference.roofline import (
    Measured,
    attainable_flops,
    decode_points,
    measure_bandwidth,
    measure_decode,
    measure_matmul_flops,
    plot_roofline,
    roofline_time,
)
from minillm.model import Transformer

GIB = 2**30

# (n_layers, n_heads, n_kv_heads, head_dim) from the papers, typed in here, not read from PRESETS
PUBLISHED = {
    "llama2-7b": (32, 32, 32, 128),
    "llama2-70b": (80, 64, 8, 128),
    "llama3-8b": (32, 32, 8, 128),
    "mixtral-8x7b": (32, 32, 8, 128),
}


# -------------------------------------------------------------------- the KV table
def test_kv_table_known_values():
    rows = {r["name"]: r for r in kv_cache_table()}
    assert list(rows) == list(PUBLISHED)
    for name, (layers, heads, kv_heads, d) in PUBLISHED.items():
        r = rows[name]
        assert (r["n_layers"], r["n_heads"], r["n_kv_heads"], r["head_dim"]) == (
            layers, heads, kv_heads, d,
        )  # fmt: skip
        assert r["gqa_factor"] == heads // kv_heads
        assert r["bytes_per_token"] == 2 * layers * kv_heads * d * 2  # K and V, fp16
        assert r["bytes_per_token_no_gqa"] == 2 * layers * heads * d * 2
        for s in (4096, 32768):
            assert r[f"bytes_at_{s}"] == s * 2 * layers * kv_heads * d * 2
            assert r[f"bytes_at_{s}_no_gqa"] == s * 2 * layers * heads * d * 2
    # The figures the lesson quotes.
    assert rows["llama2-7b"]["bytes_per_token"] == 524_288 == GIB // 2048  # 0.5 MiB
    assert rows["llama2-7b"]["bytes_at_4096"] == 2 * GIB
    assert rows["llama2-70b"]["bytes_per_token"] == 327_680
    assert rows["llama2-70b"]["bytes_at_4096"] == 1.25 * GIB
    assert rows["llama2-70b"]["bytes_at_4096_no_gqa"] == 10 * GIB


def test_kv_table_dtype_and_lengths():
    (r,) = kv_cache_table(["llama3-8b"], seq_lens=(1, 100), dtype_bytes=4)
    assert r["bytes_per_token"] == 2 * 32 * 8 * 128 * 4
    assert r["bytes_at_100"] == 100 * r["bytes_per_token"]
    assert "bytes_at_4096" not in r


def test_llama3_8b_preset_matches_the_published_count():
    cfg = ModelConfig.preset("llama3-8b")
    assert count_params(cfg) == 8_030_261_248  # Meta's model card: 8.03B
    assert (cfg.vocab_size, cfg.d_ff, cfg.max_seq_len, cfg.rope_theta) == (
        128256, 14336, 8192, 500000.0,
    )  # fmt: skip


def test_kv_claim_check_70b():
    c = kv_claim_check()  # "a 70B model needs about 40 GB per 4K-token sequence"
    with_gqa, without = 4096 * 2 * 80 * 8 * 128 * 2, 4096 * 2 * 80 * 64 * 128 * 2
    assert (c["bytes_gqa"], c["bytes_no_gqa"]) == (with_gqa, without)
    assert c["claimed_bytes"] == 40e9
    assert c["claim_over_gqa"] == pytest.approx(40e9 / with_gqa, rel=1e-12)
    assert c["claim_over_no_gqa"] == pytest.approx(40e9 / without, rel=1e-12)
    assert 29 < c["claim_over_gqa"] < 30 and 3.7 < c["claim_over_no_gqa"] < 3.8  # the docstring
    assert c["tokens_in_claim_gqa"] == 40_000_000_000 // 327_680 == 122_070
    assert c["tokens_in_claim_no_gqa"] == 40_000_000_000 // 2_621_440 == 15_258


# -------------------------------------------------------------------- the cost model
TINY = dict(vocab_size=10, d_model=8, n_layers=1, n_heads=2, n_kv_heads=1, d_ff=16,
            max_seq_len=32, norm="rmsnorm", activation="swiglu", positions="rope",
            tie_embeddings=False, bias=False)  # fmt: skip


def test_decode_cost_hand_count():
    cfg = ModelConfig(**TINY)
    # q 8x8, k 8x4, v 8x4, o 8x8; SwiGLU 2 x 8x16 + 16x8; 2 block norms + final norm; head 10x8
    n = (64 + 32 + 32 + 64) + (2 * 128 + 128) + (8 + 8 + 8) + 80
    assert n == 680
    c = decode_step_cost(cfg, batch_size=3, context_len=4, weight_bytes=2, kv_bytes=4)
    assert c["attended"] == 5  # 4 cached + the new token
    assert c["params_read"] == c["matmul_params"] == n
    assert c["weight_bytes_read"] == 2 * n
    assert c["kv_bytes_read"] == 3 * 5 * (2 * 1 * 1 * 4) * 4  # B * S * (K,V * L * H_kv * D) * 4
    assert c["bytes"] == 2 * n + 480
    assert c["matmul_flops"] == 2 * n * 3
    assert c["attention_flops"] == 4 * 1 * 3 * 5 * 2 * 4  # 4 * L * B * S * H * D
    assert c["flops"] == 4080 + 480
    assert c["intensity"] == (4080 + 480) / (1360 + 480)


@pytest.mark.parametrize("preset", ["llama-tiny", "gpt2-tiny"])
def test_decode_cost_reads_the_model_weights_but_the_gathered_tables(preset):
    torch.manual_seed(0)
    model = Transformer(ModelConfig.preset(preset))
    gathered = 0 if model.config.tie_embeddings else model.tok_emb.weight.numel()
    gathered += model.pos_emb.weight.numel() if model.pos_emb is not None else 0
    want = sum(p.numel() for p in model.parameters()) - gathered  # a tied table counts once
    assert decode_step_cost(model.config, 1, 0)["params_read"] == want


def test_decode_cost_moe_reads_the_experts_the_batch_reaches():
    cfg = ModelConfig.preset("moe-tiny")  # 4 experts, 2 per token, untied, rope
    table = cfg.vocab_size * cfg.d_model
    one = decode_step_cost(cfg, 1, 0)
    assert one["params_read"] == one["matmul_params"] == count_active_params(cfg) - table
    many = decode_step_cost(cfg, 2, 0)  # 2 rows x 2 experts can touch all 4
    assert many["params_read"] == count_params(cfg) - table
    assert many["matmul_params"] == one["matmul_params"]  # a token still runs 2 experts


def test_decode_intensity_grows_with_batch():
    cfg = ModelConfig.preset("llama2-7b")
    i1 = decode_step_cost(cfg, 1, 0, weight_bytes=2)["intensity"]
    i64 = decode_step_cost(cfg, 64, 0, weight_bytes=2)["intensity"]
    assert i1 == pytest.approx(1.0, rel=1e-3)  # 2 FLOPs per 2-byte weight (+ tiny KV)
    assert i64 == pytest.approx(64 * i1, rel=1e-2)
    long = decode_step_cost(cfg, 64, 4096, weight_bytes=2, kv_bytes=2)
    assert long["kv_bytes_read"] > long["weight_bytes_read"]  # the cache dominates at 4K x 64


# -------------------------------------------------------------------- the roofline
def test_roofline_time_both_regimes():
    peak, bw = 1e12, 1e10  # ridge at 100 FLOP/byte
    assert roofline_time(1e9, 1e9, peak, bw) == pytest.approx(0.1)  # memory bound: bytes / bw
    assert roofline_time(1e12, 1e6, peak, bw) == pytest.approx(1.0)  # compute bound
    assert roofline_time(1e11, 1e9, peak, bw) == pytest.approx(0.1)  # at the ridge both agree
    assert attainable_flops(1.0, peak, bw) == pytest.approx(1e10)
    assert attainable_flops(1000.0, peak, bw) == peak


def test_plot_roofline_draws_the_roof_and_points():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    rows = [dict(batch_size=1, intensity=0.5, flops_per_s=2e9)]
    assert plot_roofline(ax, decode_points(rows), 1e11, 1e10) is ax
    assert ax.get_xscale() == ax.get_yscale() == "log"
    x, y = ax.lines[0].get_data()
    assert y.max() == pytest.approx(100.0)  # the flat roof, in GFLOP/s
    assert y[0] == pytest.approx(x[0] * 10.0)  # the slope: intensity * 10 GB/s
    assert list(ax.lines[2].get_data()[1]) == [2.0]  # the measured point, GFLOP/s
    plt.close(fig)


# -------------------------------------------------------------------- measurements
def _check_measured(m: Measured, unit: str, n: int):
    assert m.unit == unit and len(m.samples) == n
    assert all(math.isfinite(s) and s > 0 for s in m.samples)
    assert m.low <= m.median <= m.high and m.si == m.median * 1e9


def test_measurements_are_positive_and_quick():
    start = time.perf_counter()
    _check_measured(measure_bandwidth(nbytes=2**20, repeats=3), "GB/s", 3)
    _check_measured(measure_matmul_flops(n=64, repeats=3), "GFLOP/s", 3)
    assert time.perf_counter() - start < 3.0


def test_measurement_time_is_bounded():
    start = time.perf_counter()
    m = measure_matmul_flops(n=64, repeats=10**9, max_seconds=0.2)
    assert time.perf_counter() - start < 1.5
    assert len(m.samples) >= 1


def test_measure_decode_times_a_filled_cache(monkeypatch):
    torch.manual_seed(0)
    model = Transformer(ModelConfig.preset("llama-tiny"))
    seen = []
    real = roofline.decode_step

    def spy(model, tokens, cache):
        seen.append((tokens.shape[0], cache.seq_len(0), cache.max_len))
        return real(model, tokens, cache)

    monkeypatch.setattr(roofline, "decode_step", spy)
    rows = measure_decode(model, batch_sizes=(1, 3), context_len=6, steps=2, repeats=3)
    # every call starts from the same 6 cached positions; 1 warm-up + 3 x 2 timed per size
    assert sorted(set(seen)) == [(1, 6, 7), (3, 6, 7)]
    assert [s[0] for s in seen].count(3) == 7
    assert [r["batch_size"] for r in rows] == [1, 3]
    for r in rows:
        assert len(r["samples"]) == 3 and 0 < r["seconds_min"] <= r["seconds"] <= r["seconds_max"]
        cost = decode_step_cost(model.config, r["batch_size"], 6, 4, 4)
        assert (r["bytes"], r["flops"], r["attended"]) == (cost["bytes"], cost["flops"], 7)
        assert r["gb_per_s"] == pytest.approx(cost["bytes"] / r["seconds"] / 1e9)
        assert r["tokens_per_s"] == pytest.approx(r["batch_size"] / r["seconds"])


def test_measure_decode_empty_context_gpt2():
    torch.manual_seed(0)
    model = Transformer(ModelConfig.preset("gpt2-tiny")).train()
    (row,) = measure_decode(model, batch_sizes=(2,), context_len=0, steps=1, repeats=1)
    assert row["attended"] == 1 and row["seconds"] > 0
    assert model.training  # the mode is put back


# -------------------------------------------------------------------- bad input
def test_bad_input_names_the_value():
    cfg = ModelConfig(**TINY)
    cases = [
        (lambda: decode_step_cost(cfg, 0, 4), "batch_size=0"),
        (lambda: decode_step_cost(cfg, 1, -1), "context_len=-1"),
        (lambda: decode_step_cost(cfg, True, 4), "batch_size=True"),
        (lambda: decode_step_cost(cfg, 1, 4, weight_bytes=0), "weight_bytes=0"),
        (lambda: kv_cache_table(["llama2-13b"]), "llama2-13b"),
        (lambda: kv_cache_table("llama2-7b"), "names='llama2-7b'"),
        (lambda: kv_cache_table(seq_lens=(-5,)), "seq_len=-5"),
        (lambda: kv_cache_table(dtype_bytes=0), "dtype_bytes=0"),
        (lambda: kv_claim_check(-1.0), "claimed_gb=-1.0"),
        (lambda: roofline_time(-1, 1, 1e9, 1e9), "flops=-1"),
        (lambda: roofline_time(1, 1, 0, 1e9), "peak_flops=0"),
        (lambda: attainable_flops(0.0, 1e9, 1e9), "intensity=0.0"),
        (lambda: measure_bandwidth(nbytes=0), "nbytes=0"),
        (lambda: measure_matmul_flops(n=0), "n=0"),
        (lambda: measure_matmul_flops(n=8, repeats=0), "repeats=0"),
    ]
    for call, needle in cases:
        with pytest.raises(ValueError, match=needle.replace("(", r"\(")):
            call()


def test_measure_decode_bad_input():
    torch.manual_seed(0)
    model = Transformer(ModelConfig.preset("llama-tiny"))  # max_seq_len 128
    with pytest.raises(ValueError, match="batch_size=0"):
        measure_decode(model, batch_sizes=(1, 0))
    with pytest.raises(ValueError, match=r"batch_sizes=\(\)"):
        measure_decode(model, batch_sizes=())
    with pytest.raises(ValueError, match="context_len=128 .* valid: 0..127"):
        measure_decode(model, batch_sizes=(1,), context_len=128)
    with pytest.raises(ValueError, match="steps=0"):
        measure_decode(model, batch_sizes=(1,), context_len=4, steps=0)
