"""Why decoding is memory bound: the bytes and FLOPs of one decode step, this machine's
bandwidth and matmul peak, and the roofline that puts them together (lesson 15).

    cost = decode_step_cost(model.config, batch_size=8, context_len=128)
    bw, peak = measure_bandwidth(), measure_matmul_flops()          # GB/s, GFLOP/s
    roofline_time(cost["flops"], cost["bytes"], peak.si, bw.si)     # seconds, at best
    rows = measure_decode(model, context_len=128)                   # measured, batch 1..64
    plot_roofline(ax, decode_points(rows), peak.si, bw.si)

A decode step feeds one token per row through the model, so it reads every weight once for
only B tokens of work: 2 FLOPs per weight per row against `weight_bytes` bytes per weight, an
arithmetic intensity of about 2B / weight_bytes FLOP/byte (0.5 at batch 1 in fp32). A CPU or
GPU does ten to hundreds of FLOPs in the time it reads a byte, so at small batch the step
waits on memory and its time hardly grows with B, until the intensity reaches the ridge point
peak / bandwidth. The KV cache adds bytes that grow with B * context and do not amortize.

Units: the cost model counts FLOPs and bytes; `roofline_time`, `attainable_flops` and
`plot_roofline` take rates in FLOP/s and bytes/s; the measurements report GB/s and GFLOP/s
(1e9 per second) and give the base-unit median as `.si`. The library never prints.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from minillm.inference.cache import StaticKVCache
from minillm.inference.checks import check_int
from minillm.inference.generate import decode_step
from minillm.inference.kv_table import decode_step_cost

MIB = 2**20
DECODE_BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64)


def _check_rate(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name}={value!r} must be a rate > 0 (per second)")


# -------------------------------------------------------------------- the roofline
def roofline_time(flops: float, bytes: float, peak_flops: float, bandwidth: float) -> float:
    """Least seconds a kernel of `flops` FLOPs over `bytes` bytes can take on a machine with
    peak_flops FLOP/s and bandwidth bytes/s: max(flops / peak_flops, bytes / bandwidth)
    (compute and memory traffic overlapped perfectly; whichever is longer bounds it)."""
    for name, value in (("flops", flops), ("bytes", bytes)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{name}={value!r} must be a number >= 0")
    _check_rate("peak_flops", peak_flops)
    _check_rate("bandwidth", bandwidth)
    return max(flops / peak_flops, bytes / bandwidth)


def attainable_flops(intensity: float, peak_flops: float, bandwidth: float) -> float:
    """The roofline: min(peak_flops, intensity * bandwidth) FLOP/s at `intensity` FLOP/byte.
    Below the ridge point peak_flops / bandwidth a kernel is memory bound, above it compute
    bound."""
    _check_rate("peak_flops", peak_flops)
    _check_rate("bandwidth", bandwidth)
    if not intensity > 0:
        raise ValueError(f"intensity={intensity!r} must be > 0 FLOP/byte")
    return min(peak_flops, intensity * bandwidth)


def decode_points(rows: Iterable[dict[str, Any]]) -> list[tuple[str, float, float]]:
    """`measure_decode` rows -> ("B=8", intensity FLOP/byte, achieved FLOP/s) for the plot."""
    return [(f"B={r['batch_size']}", r["intensity"], r["flops_per_s"]) for r in rows]


def plot_roofline(
    ax: Any,
    points: Sequence[tuple[str, float, float]],
    peak_flops: float,
    bandwidth: float,
) -> Any:
    """Draw the roofline of a machine (peak_flops FLOP/s, bandwidth bytes/s) on a matplotlib
    Axes, log-log, in GFLOP/s against FLOP/byte, and the measured points (label, intensity,
    achieved FLOP/s) on it (see `decode_points`). Returns ax."""
    _check_rate("peak_flops", peak_flops)
    _check_rate("bandwidth", bandwidth)
    ridge = peak_flops / bandwidth
    xs = [p[1] for p in points] + [ridge]
    lo, hi = min(xs) / 4, max(xs) * 4
    grid = [lo * (hi / lo) ** (i / 200) for i in range(201)]
    ax.plot(grid, [attainable_flops(x, peak_flops, bandwidth) / 1e9 for x in grid], "k-",
            label=f"roofline: {bandwidth / 1e9:.1f} GB/s, {peak_flops / 1e9:.0f} GFLOP/s")  # fmt: skip
    ax.axvline(ridge, color="gray", linestyle=":", label=f"ridge {ridge:.1f} FLOP/byte")
    if points:
        ax.plot([p[1] for p in points], [p[2] / 1e9 for p in points], "o", label="measured")
        for label, x, y in points:
            ax.annotate(label, (x, y / 1e9), textcoords="offset points", xytext=(4, -10))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP/byte)")
    ax.set_ylabel("GFLOP/s")
    ax.legend(loc="lower right")
    return ax


# -------------------------------------------------------------------- measurements
@dataclass(frozen=True)
class Measured:
    """A rate measured `len(samples)` times: median, low (min) and high (max) in `unit`."""

    median: float
    low: float
    high: float
    samples: tuple[float, ...]
    unit: str

    @property
    def si(self) -> float:
        """The median in base units (bytes/s or FLOP/s): median * 1e9."""
        return self.median * 1e9


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _seconds_per_call(
    fn: Callable[[], Any], repeats: int, max_seconds: float, device: torch.device
) -> list[float]:
    """Seconds per call of fn, `repeats` samples (fewer if max_seconds runs out; at least one).
    Two warm-up calls; a sample loops fn often enough to last about 5 ms (timer resolution)."""
    check_int("repeats", repeats, 1)
    _check_rate("max_seconds", max_seconds)
    start = time.perf_counter()
    fn()
    _sync(device)
    t = time.perf_counter()
    fn()
    _sync(device)
    inner = max(1, min(10_000, int(5e-3 / max(time.perf_counter() - t, 1e-9))))
    samples: list[float] = []
    while len(samples) < repeats and (not samples or time.perf_counter() - start < max_seconds):
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        _sync(device)
        samples.append((time.perf_counter() - t) / inner)
    return samples


def _measured(work: float, seconds: list[float], unit: str) -> Measured:
    rates = tuple(work / s / 1e9 for s in seconds)
    return Measured(statistics.median(rates), min(rates), max(rates), rates, unit)


def measure_bandwidth(
    nbytes: int = 256 * MIB,
    repeats: int = 5,
    device: str | torch.device = "cpu",
    max_seconds: float = 3.0,
) -> Measured:
    """Read bandwidth in GB/s: the sum of an fp32 tensor of nbytes (a read-bound reduction,
    one add per 4 bytes; its own cost is included, so a lower bound). What it measures is the
    level of the memory hierarchy that holds nbytes: pass the bytes a decode step reads to get
    the bandwidth that step sees (a small model's weights may sit in the last-level cache, see
    `lscpu`), or a tensor well past that cache for main memory."""
    check_int("nbytes", nbytes, 4)
    dev = torch.device(device)
    x = torch.ones(nbytes // 4, dtype=torch.float32, device=dev)
    seconds = _seconds_per_call(lambda: x.sum(), repeats, max_seconds, dev)
    return _measured(x.numel() * 4, seconds, "GB/s")


def measure_matmul_flops(
    n: int = 1024,
    dtype: torch.dtype = torch.float32,
    repeats: int = 5,
    device: str | torch.device = "cpu",
    max_seconds: float = 3.0,
    seed: int = 0,
) -> Measured:
    """Matmul throughput in GFLOP/s: (n, n) @ (n, n) in dtype, 2 n^3 FLOPs each, on seeded
    random inputs. n = 1024 is large enough to be compute bound on a CPU (intensity n / 6
    FLOP/byte in fp32), so this is the practical peak the roofline is drawn against."""
    check_int("n", n, 1)
    dev = torch.device(device)
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n, n, generator=g).to(device=dev, dtype=dtype)
    b = torch.randn(n, n, generator=g).to(device=dev, dtype=dtype)
    seconds = _seconds_per_call(lambda: a @ b, repeats, max_seconds, dev)
    return _measured(2 * n**3, seconds, "GFLOP/s")


# -------------------------------------------------------------------- decoding, measured
def _filled_cache(model: torch.nn.Module, batch_size: int, context_len: int, g: torch.Generator):
    """A StaticKVCache for `batch_size` rows with context_len positions of seeded random keys
    and values (a decode step costs the same whatever the cached values are)."""
    cache = StaticKVCache.for_model(model, batch_size, context_len + 1)
    if context_len > 0:
        shape = (batch_size, cache.n_kv_heads, context_len, cache.head_dim)
        for i in range(cache.n_layers):
            k, v = (torch.randn(shape, generator=g).to(cache.device, cache.dtype) for _ in "kv")
            cache.update(i, k, v)
    return cache


def measure_decode(
    model: torch.nn.Module,
    batch_sizes: Sequence[int] = DECODE_BATCH_SIZES,
    context_len: int = 128,
    steps: int = 8,
    repeats: int = 5,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Seconds per decode step (`minillm.inference.generate.decode_step`: B rows of one token)
    at each batch size, with a KV cache already holding context_len positions.

    Every timed step attends over the same context_len + 1 positions: the cache is cropped
    back to context_len after each one. A sample is the mean of `steps` steps; the samples are
    taken round-robin over the batch sizes (one pass per repeat, alternating direction), so
    load from other processes on a shared machine spreads over all of them. Inputs are seeded
    random tokens and keys/values. Takes about (repeats * steps + 1) * the sum of the step times.

    One row per batch size, in the order given: batch_size, context_len, seconds (median per
    step), seconds_min, seconds_max, samples, tokens_per_s (B / seconds), the
    `decode_step_cost` keys (bytes, flops, intensity, ...) for the model's parameter and cache
    dtypes, and what was achieved at the median: bytes_per_s, flops_per_s (base units),
    gb_per_s, gflop_per_s.
    """
    if isinstance(batch_sizes, int) or not batch_sizes:
        raise ValueError(f"batch_sizes={batch_sizes!r} must be a non-empty sequence of ints")
    for b in batch_sizes:
        check_int("batch_size", b, 1)
    check_int("context_len", context_len, 0)
    check_int("steps", steps, 1)
    check_int("repeats", repeats, 1)
    window = model.config.max_seq_len
    if context_len + 1 > window:
        raise ValueError(
            f"context_len={context_len} + the decoded token exceeds the model's window "
            f"max_seq_len={window}; valid: 0..{window - 1}"
        )
    param = next(model.parameters())
    g = torch.Generator().manual_seed(seed)
    caches = {b: _filled_cache(model, b, context_len, g) for b in batch_sizes}
    vocab = model.config.vocab_size
    tokens = {b: torch.randint(vocab, (b, 1), generator=g).to(param.device) for b in caches}
    was_training = model.training
    model.eval()

    def run(b: int, n: int) -> float:
        t = time.perf_counter()
        for _ in range(n):
            decode_step(model, tokens[b], caches[b])
            caches[b].crop(context_len)
        _sync(param.device)
        return (time.perf_counter() - t) / n

    samples: dict[int, list[float]] = {b: [] for b in caches}
    try:
        for b in caches:  # warm-up: allocator, thread pool, kernel choice
            run(b, 1)
        order = list(caches)
        for r in range(repeats):
            for b in order if r % 2 == 0 else order[::-1]:
                samples[b].append(run(b, steps))
    finally:
        model.train(was_training)
    rows = []
    for b in batch_sizes:
        sec = statistics.median(samples[b])
        cost = decode_step_cost(
            model.config, b, context_len, param.element_size(), caches[b].keys[0].element_size()
        )
        rows.append(
            dict(
                batch_size=b,
                context_len=context_len,
                seconds=sec,
                seconds_min=min(samples[b]),
                seconds_max=max(samples[b]),
                samples=tuple(samples[b]),
                tokens_per_s=b / sec,
                **{k: v for k, v in cost.items() if k not in ("batch_size", "context_len")},
                bytes_per_s=cost["bytes"] / sec,
                flops_per_s=cost["flops"] / sec,
                gb_per_s=cost["bytes"] / sec / 1e9,
                gflop_per_s=cost["flops"] / sec / 1e9,
            )
        )
    return rows
