"""Training throughput of the course-size model: minillm vs Hugging Face LlamaForCausalLM.

Same config, same weights (`minillm.interop.to_hf`), same batch, same optimizer (minillm's
AdamW), fp32 on CPU. One "step" = forward with loss + backward + AdamW step + zero_grad.
The two models are timed in alternation (A B B A ...) so that the load of a shared machine hits
both alike; medians are reported. Also:

  * model FLOP utilisation: 6N + attention FLOPs per token (`ModelConfig.flops_per_token`)
    times tokens/s, over the fp32 matmul peak measured in the same loop (best of the repeats);
  * peak memory: each model trains 3 steps in a fresh subprocess; we report the growth of its
    peak resident memory (VmHWM, reset after the imports) over the resident memory before the
    model was built (Linux);
  * --profile: the top ops of one minillm step (torch.profiler), to see where the time goes.

    python benchmarks/bench_train.py                       # prints a table
    python benchmarks/bench_train.py --repeats 15 --json out.json --profile
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time

import torch

from minillm.config import ModelConfig, flops_per_token
from minillm.interop import to_hf
from minillm.model import Transformer
from minillm.train.optim import AdamW, param_groups
from minillm.train.recipe import RECIPES


def course_config(vocab_size: int = 4096) -> ModelConfig:
    return ModelConfig(**{**RECIPES["course"].model, "vocab_size": vocab_size}, name="course")


def build(which: str, config: ModelConfig):
    """(model, step function) for "minillm" or "hf", same initial weights."""
    torch.manual_seed(0)
    ours = Transformer(config)
    model = ours if which == "minillm" else to_hf(ours, attn_implementation="sdpa").train()
    opt = AdamW(param_groups(model, 0.1), lr=1e-4)

    if which == "minillm":

        def loss_fn(x, y):
            return model(x, targets=y).loss
    else:

        def loss_fn(x, y):  # HF's own loss path: labels are shifted inside the model
            return model(input_ids=x, labels=x).loss

    def step(x, y):
        loss = loss_fn(x, y)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss

    return model, step


def matmul_gflops(n: int = 1024) -> float:
    """fp32 GFLOP/s of one n x n @ n x n matmul (2 n^3 FLOPs)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
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


def peak_memory_child(which: str, batch_size: int, seq_len: int) -> None:
    """Run in a subprocess: print the peak resident-memory growth (MiB) of building the model
    and training 3 steps, over the resident memory after all imports (Linux only)."""
    config = course_config()
    x, y = batch(config, batch_size, seq_len)
    if which == "hf":
        import transformers  # noqa: F401 - imported before the baseline, like torch
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak (VmHWM) to the current RSS, so import peaks do not count
    before = _status_kib("VmRSS")
    _, step = build(which, config)
    for _ in range(3):
        step(x, y)
    print(json.dumps({"peak_rss_growth_mib": (_status_kib("VmHWM") - before) / 1024}))


def peak_memory(which: str, batch_size: int, seq_len: int, threads: int) -> float:
    cmd = [sys.executable, __file__, "--_memory-child", which, "--batch-size", str(batch_size),
           "--seq-len", str(seq_len), "--threads", str(threads)]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["peak_rss_growth_mib"]


def profile_table(step, x, y, rows: int = 15) -> str:
    from torch.profiler import ProfilerActivity, profile

    step(x, y)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        step(x, y)
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--repeats", type=int, default=10, help="timed steps per model")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", default=None, help="write the figures to this file")
    p.add_argument("--profile", action="store_true", help="print a torch.profiler op table")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    p.add_argument("--_memory-child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args._memory_child:
        peak_memory_child(args._memory_child, args.batch_size, args.seq_len)
        return 0

    config = course_config()
    x, y = batch(config, args.batch_size, args.seq_len)
    steps = {name: build(name, config)[1] for name in ("minillm", "hf")}
    for step in steps.values():  # warm-up: allocator, oneDNN primitives
        step(x, y)
        step(x, y)
    times: dict[str, list[float]] = {name: [] for name in steps}
    peaks: list[float] = []
    for r in range(args.repeats):
        order = list(steps) if r % 2 == 0 else list(steps)[::-1]  # A B, B A, ...
        for name in order:
            t = time.perf_counter()
            steps[name](x, y)
            times[name].append(time.perf_counter() - t)
        peaks.append(matmul_gflops())
    tokens = args.batch_size * args.seq_len
    flops = flops_per_token(config, args.seq_len)
    peak = max(peaks)
    result = {
        "config": config.to_dict(),
        "batch_size": args.batch_size,
        "seq_len": args.seq_len,
        "threads": args.threads,
        "repeats": args.repeats,
        "torch": torch.__version__,
        "machine": platform.processor() or platform.machine(),
        "matmul_peak_gflops_best": peak,
        "matmul_gflops_median": statistics.median(peaks),
        "flops_per_token": flops,
    }
    for name, ts in times.items():
        med = statistics.median(ts)
        result[name] = {
            "step_s_median": med,
            "step_s_min": min(ts),
            "tokens_per_s_median": tokens / med,
            "mfu_median": tokens / med * flops / (peak * 1e9),
        }
    result["speedup_median"] = result["hf"]["step_s_median"] / result["minillm"]["step_s_median"]
    ratios = [h / m for h, m in zip(times["hf"], times["minillm"])]
    result["speedup_paired_median"] = statistics.median(ratios)
    if not args.no_memory:
        for name in steps:
            result[name]["peak_rss_growth_mib"] = peak_memory(
                name, args.batch_size, args.seq_len, args.threads
            )

    print(f"course model {config.n_layers}L d{config.d_model} V{config.vocab_size}, "
          f"batch {args.batch_size}x{args.seq_len}, fp32, {args.threads} threads, "
          f"{args.repeats} interleaved repeats")  # fmt: skip
    print(f"fp32 matmul peak (best of repeats): {peak:.1f} GFLOP/s "
          f"(median {result['matmul_gflops_median']:.1f})")  # fmt: skip
    print(f"{'':10}{'step s (median)':>16}{'tokens/s':>10}{'MFU':>7}{'peak MiB':>10}")
    for name in steps:
        r = result[name]
        mem = f"{r['peak_rss_growth_mib']:.0f}" if "peak_rss_growth_mib" in r else "-"
        print(f"{name:10}{r['step_s_median']:>16.3f}{r['tokens_per_s_median']:>10.0f}"
              f"{r['mfu_median']:>7.1%}{mem:>10}")  # fmt: skip
    print(f"minillm speed-up over HF: {result['speedup_median']:.2f}x (ratio of medians), "
          f"{result['speedup_paired_median']:.2f}x (median of paired ratios)")  # fmt: skip
    if args.profile:
        table = profile_table(steps["minillm"], x, y)
        print("\nminillm, one training step, top ops by self CPU time:\n" + table)
        result["profile_minillm"] = table
        table = profile_table(steps["hf"], x, y)
        print("\nHF, one training step, top ops by self CPU time:\n" + table)
        result["profile_hf"] = table
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
