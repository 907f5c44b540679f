"""Training throughput of the course-size model: minillm vs Hugging Face LlamaForCausalLM.

Same config, same weights (`minillm.interop.to_hf`), same batch, same optimizer (minillm's
AdamW), on CPU, in fp32 (default) or under bf16 autocast (`--precision bf16`, what the course
recipe trains with). One "step" = forward with loss + backward + AdamW step + zero_grad.
Three contestants:

  * hf: `LlamaForCausalLM(input_ids, labels)`, Hugging Face's own loss path;
  * minillm: `model(x, targets=y, return_logits=False)`, the path `minillm.train` uses (the
    loss is fused with the lm_head matmul, so the (B, T, V) logits never exist);
  * minillm+logits: `model(x, targets=y)`, which also returns the logits (to show what the
    lean loss path is worth).

They are timed in alternation, in a new order each repeat, so that the load of a shared machine
hits all alike. Reported: medians, and the median of the per-repeat (paired) ratios with a
bootstrap 90% interval: on a noisy machine the interval, not one number, says whether a
difference is real. Also:

  * model FLOP utilisation: 6N + attention FLOPs per token (`ModelConfig.flops_per_token`)
    times tokens/s, over the matmul peak (fp32, or bf16 with --precision bf16) measured in the
    same loop (best of the repeats);
  * peak memory: each model trains 3 steps in a fresh subprocess; we report the growth of its
    peak resident memory (VmHWM, reset after the imports) over the resident memory before the
    model was built (Linux);
  * --profile: where one step's time goes (forward, backward, optimizer; matmuls, attention,
    the rest) and the top ops (torch.profiler), for minillm and hf.

    python benchmarks/bench_train.py                       # prints a table
    python benchmarks/bench_train.py --repeats 15 --json out.json --profile
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import subprocess
import sys
import time

import torch
from torch.profiler import record_function

from minillm.config import ModelConfig, flops_per_token
from minillm.interop import to_hf
from minillm.model import Transformer
from minillm.train.optim import AdamW, param_groups
from minillm.train.recipe import RECIPES
from minillm.train.trainer import autocast


def course_config(vocab_size: int = 4096) -> ModelConfig:
    return ModelConfig(**{**RECIPES["course"].model, "vocab_size": vocab_size}, name="course")


CONTESTANTS = ("minillm", "minillm+logits", "hf")


def build(which: str, config: ModelConfig, precision: str = "fp32"):
    """(model, step function) for one of CONTESTANTS, same initial weights."""
    torch.manual_seed(0)
    ours = Transformer(config)
    model = to_hf(ours, attn_implementation="sdpa").train() if which == "hf" else ours
    opt = AdamW(param_groups(model, 0.1), lr=1e-4)

    def forward(x, y):
        if which == "hf":  # HF's own loss path: labels are shifted inside the model
            return model(input_ids=x, labels=x).loss
        return model(x, targets=y, return_logits=which == "minillm+logits").loss

    def step(x, y):
        with record_function("forward"), autocast(precision, "cpu"):
            loss = forward(x, y)
        with record_function("backward"):
            loss.backward()
        with record_function("optimizer"):
            opt.step()
            opt.zero_grad(set_to_none=True)
        return loss

    return model, step


def matmul_gflops(n: int = 1024, dtype: torch.dtype = torch.float32) -> float:
    """GFLOP/s of one n x n @ n x n matmul (2 n^3 FLOPs) in `dtype`."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b
    t = time.perf_counter()
    for _ in range(3):
        a @ b
    return 3 * 2 * n**3 / (time.perf_counter() - t) / 1e9


def batch(config: ModelConfig, batch_size: int, seq_len: int):
    g = torch.Generator().manual_seed(0)
    xy = torch.randint(0, config.vocab_size, (batch_size, seq_len + 1), generator=g)
    return xy[:, :-1].contiguous(), xy[:, 1:].contiguous()


def _status_kib(field: str) -> int:
    """A field of /proc/self/status in KiB (VmRSS: resident now, VmHWM: peak resident)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def peak_memory_child(which: str, batch_size: int, seq_len: int, precision: str) -> None:
    """Run in a subprocess: print the peak resident-memory growth (MiB) of building the model
    and training 3 steps, over the resident memory after all imports (Linux only)."""
    config = course_config()
    x, y = batch(config, batch_size, seq_len)
    if which == "hf":
        import transformers  # noqa: F401 - imported before the baseline, like torch
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak (VmHWM) to the current RSS, so import peaks do not count
    before = _status_kib("VmRSS")
    _, step = build(which, config, precision)
    for _ in range(3):
        step(x, y)
    print(json.dumps({"peak_rss_growth_mib": (_status_kib("VmHWM") - before) / 1024}))


def peak_memory(which: str, batch_size: int, seq_len: int, threads: int, precision: str) -> float:
    cmd = [sys.executable, __file__, "--_memory-child", which, "--batch-size", str(batch_size),
           "--seq-len", str(seq_len), "--threads", str(threads), "--precision", precision]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["peak_rss_growth_mib"]


def bootstrap_median_interval(values: list[float], level: float = 0.9, n: int = 2000):
    """(lo, hi): a bootstrap interval for the median of `values` (seeded, so reproducible)."""
    rng = random.Random(0)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(n))
    return medians[int((1 - level) / 2 * n)], medians[int((1 + level) / 2 * n) - 1]


MATMUL_OPS = ("aten::mm", "aten::addmm", "aten::addmm_", "aten::bmm", "aten::baddbmm")


def profile_step(step, x, y, rows: int = 12) -> tuple[dict[str, float], str]:
    """Profile one step: (milliseconds by phase and by kind of op, top-ops table)."""
    from torch.profiler import ProfilerActivity, profile

    step(x, y)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        step(x, y)
    events = prof.key_averages()
    ms = {"forward": 0.0, "backward": 0.0, "optimizer": 0.0}
    kinds = {"matmul": 0.0, "attention": 0.0, "everything else": 0.0}
    for e in events:
        if e.key in ms:
            ms[e.key] += e.cpu_time_total / 1e3
            continue
        kind = "matmul" if e.key in MATMUL_OPS else "everything else"
        kind = "attention" if "scaled_dot_product" in e.key else kind
        kinds[kind] += e.self_cpu_time_total / 1e3
    # The autograd engine runs the backward ops outside the "backward" label's own thread
    # frame on some builds; the op kinds are exact, the phases are indicative.
    table = events.table(sort_by="self_cpu_time_total", row_limit=rows)
    return {**ms, **kinds}, table


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--repeats", type=int, default=10, help="timed steps per model")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", default=None, help="write the figures to this file")
    p.add_argument("--profile", action="store_true", help="print a torch.profiler op table")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    p.add_argument("--precision", choices=("fp32", "bf16"), default="fp32",
                   help="fp32, or bf16 autocast (weights and AdamW stay fp32)")  # fmt: skip
    p.add_argument("--_memory-child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args._memory_child:
        peak_memory_child(args._memory_child, args.batch_size, args.seq_len, args.precision)
        return 0

    config = course_config()
    x, y = batch(config, args.batch_size, args.seq_len)
    steps = {name: build(name, config, args.precision)[1] for name in CONTESTANTS}
    matmul_dtype = torch.bfloat16 if args.precision == "bf16" else torch.float32
    for step in steps.values():  # warm-up: allocator, oneDNN primitives
        step(x, y)
        step(x, y)
    times: dict[str, list[float]] = {name: [] for name in steps}
    peaks: list[float] = []
    order = list(steps)
    for r in range(args.repeats):
        random.Random(r).shuffle(order)  # a new order each repeat: no one always goes first
        for name in order:
            t = time.perf_counter()
            steps[name](x, y)
            times[name].append(time.perf_counter() - t)
        peaks.append(matmul_gflops(dtype=matmul_dtype))
    tokens = args.batch_size * args.seq_len
    flops = flops_per_token(config, args.seq_len)
    peak = max(peaks)
    result = {
        "config": config.to_dict(),
        "batch_size": args.batch_size,
        "seq_len": args.seq_len,
        "threads": args.threads,
        "precision": args.precision,
        "repeats": args.repeats,
        "torch": torch.__version__,
        "machine": platform.processor() or platform.machine(),
        "matmul_peak_gflops_best": peak,
        "matmul_gflops_median": statistics.median(peaks),
        "flops_per_token": flops,
    }
    for name, ts in sorted(times.items(), key=lambda kv: kv[0] != "hf"):  # hf first
        med = statistics.median(ts)
        result[name] = {
            "step_s_median": med,
            "step_s_min": min(ts),
            "tokens_per_s_median": tokens / med,
            "mfu_median": tokens / med * flops / (peak * 1e9),
        }
        if name != "hf":  # speed-up over HF: > 1 means faster than HF
            ratios = [h / m for h, m in zip(times["hf"], ts)]
            result[name]["speedup_median"] = result["hf"]["step_s_median"] / med
            result[name]["speedup_paired_median"] = statistics.median(ratios)
            result[name]["speedup_paired_90"] = bootstrap_median_interval(ratios)
    if not args.no_memory:
        for name in steps:
            result[name]["peak_rss_growth_mib"] = peak_memory(
                name, args.batch_size, args.seq_len, args.threads, args.precision
            )

    print(f"course model {config.n_layers}L d{config.d_model} V{config.vocab_size}, "
          f"batch {args.batch_size}x{args.seq_len}, {args.precision}, {args.threads} threads, "
          f"{args.repeats} interleaved repeats")  # fmt: skip
    print(f"{args.precision} matmul peak (best of repeats): {peak:.1f} GFLOP/s "
          f"(median {result['matmul_gflops_median']:.1f})")  # fmt: skip
    head = f"{'':16}{'step s':>8}{'tokens/s':>10}{'MFU':>7}{'peak MiB':>10}"
    print(head + f"{'vs HF':>8}{'paired [90% interval]':>26}")
    for name in steps:
        r = result[name]
        mem = f"{r['peak_rss_growth_mib']:.0f}" if "peak_rss_growth_mib" in r else "-"
        line = (f"{name:16}{r['step_s_median']:>8.3f}{r['tokens_per_s_median']:>10.0f}"
                f"{r['mfu_median']:>7.1%}{mem:>10}")  # fmt: skip
        if name != "hf":
            lo, hi = r["speedup_paired_90"]
            line += f"{r['speedup_median']:>7.2f}x{r['speedup_paired_median']:>10.2f}x"
            line += f" [{lo:.2f}x, {hi:.2f}x]"
        print(line)
    print("vs HF: ratio of median step times; paired: median of the per-repeat ratios")
    if args.profile:
        for name in ("minillm", "hf"):
            ms, table = profile_step(steps[name], x, y)
            result[f"profile_{name}"] = {"ms": ms, "table": table}
            parts = ", ".join(f"{k} {v:.0f} ms" for k, v in ms.items())
            print(f"\n{name}, one profiled step: {parts}\ntop ops by self CPU time:\n{table}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
