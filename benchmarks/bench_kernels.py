"""Benchmark the minillm kernels. Prints what it measured; ``--json PATH`` saves it.

On a CUDA GPU (timings with ``triton.testing.do_bench``, peak memory with
``torch.cuda.max_memory_allocated``):
  * FlashAttention-2 (Triton) vs PyTorch SDPA vs eager attention (materialised scores),
    fp16, causal, forward and forward+backward, T = 1K..16K, head dims 64 and 128: TFLOP/s
    and peak memory;
  * RMSNorm (Triton) vs ``F.rms_norm`` vs the eager formula: GB/s;
  * fused linear + cross-entropy (Triton) vs the unfused loss: time and peak memory.

On a machine without CUDA the kernel timings are skipped (the interpreter's speed says nothing
about a GPU) and the script says so. The fused cross-entropy's memory saving IS measured on
CPU, through its PyTorch path, which chunks exactly like the Triton one:
  * peak tensor memory: ``minillm.kernels.memory_tracker.TensorMemoryTracker`` adds up the bytes of
    every tensor alive at once during forward + backward (exact for torch tensors, blind to
    scratch space inside one op);
  * process RSS high-water (Linux): each variant runs in a fresh subprocess that resets its
    peak RSS (``/proc/self/clear_refs``) just before forward + backward and reports how far
    ``VmHWM`` rose above the RSS at that moment (everything the process touched, allocator
    slack included: a coarser cross-check; None where /proc is not available).

    python benchmarks/bench_kernels.py --json results/bench_kernels.json
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial

import torch
import torch.nn.functional as F

from minillm.kernels import _utils, ops
from minillm.kernels.memory_tracker import TensorMemoryTracker

MiB = 2**20


# ------------------------------------------------------------------- fused CE, CPU or GPU


def _ce_inputs(tokens: int, d_model: int, vocab: int, device: str, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    h = (torch.randn(tokens, d_model, generator=g)).to(device, dtype).requires_grad_()
    w = (
        (torch.randn(vocab, d_model, generator=g) * d_model**-0.5)
        .to(device, dtype)
        .requires_grad_()
    )
    t = torch.randint(0, vocab, (tokens,), generator=g).to(device)
    return h, w, t


def _ce_loss(variant: str, h, w, t, chunk: int, backend: str):
    if variant == "unfused":
        return F.cross_entropy(F.linear(h, w).float(), t)
    return ops.fused_linear_cross_entropy(h, w, t, chunk_size=chunk, backend=backend)


def ce_memory_cpu(tokens: int, d_model: int, vocab: int, chunk: int) -> list[dict]:
    """Peak tensor memory and wall time of forward + backward on CPU, PyTorch paths."""
    rows = []
    for variant in ("unfused", "fused"):
        h, w, t = _ce_inputs(tokens, d_model, vocab, "cpu")
        start = time.perf_counter()
        with TensorMemoryTracker() as mem:
            loss = _ce_loss(variant, h, w, t, chunk, "torch")
            loss.backward()
        seconds = time.perf_counter() - start
        rows.append(
            dict(
                variant=variant,
                loss=loss.item(),
                peak_tensor_mib=round(mem.peak_mib, 1),
                rss_highwater_growth_mib=_rss_growth(variant, tokens, d_model, vocab, chunk),
                cpu_seconds=round(seconds, 3),
            )
        )
    return rows


def _rss_growth(variant: str, tokens: int, d_model: int, vocab: int, chunk: int) -> float | None:
    """Run one variant in a fresh process; return its ru_maxrss growth during fwd + bwd, MiB."""
    code = (
        f"import sys; sys.path.insert(0, {sys.path[0]!r}); import bench_kernels as b; "
        f"print(b._rss_child({variant!r}, {tokens}, {d_model}, {vocab}, {chunk}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:  # e.g. no /proc (macOS): report nothing rather than a wrong number
        return None
    return round(float(out.stdout.strip().splitlines()[-1]), 1)


def _rss_child(variant: str, tokens: int, d_model: int, vocab: int, chunk: int) -> float:
    h, w, t = _ce_inputs(tokens, d_model, vocab, "cpu")
    # Warm up torch's kernels on a tiny problem so one-time setup is not counted.
    _ce_loss(variant, *_ce_inputs(8, d_model, 16, "cpu"), chunk, "torch").backward()
    before = _reset_peak_rss()
    _ce_loss(variant, h, w, t, chunk, "torch").backward()
    return (_peak_rss_kib() - before) / 1024


def _reset_peak_rss() -> int:
    """Reset the RSS high-water mark to the current RSS (Linux: clear_refs 5); return it, KiB.

    Without the reset, a child forked from a big parent inherits the parent's high-water mark
    (and ru_maxrss survives execve), which would hide the child's own peak."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _peak_rss_kib()


def _peak_rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


# --------------------------------------------------------------------------- GPU timings

Timer = Callable[[Callable[[], object]], float]  # fn -> milliseconds


def _do_bench(fn: Callable[[], object]) -> float:
    from triton.testing import do_bench

    return do_bench(fn, warmup=25, rep=100)


def _peak_mib(fn: Callable[[], object], device: str) -> float:
    """Peak memory of one call beyond what was allocated before it."""
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        fn()
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - base) / MiB
    with TensorMemoryTracker() as mem:
        fn()
    return mem.peak_mib


def _forward_backward(fn, inputs, grad_out):
    return torch.autograd.grad(fn(*inputs), inputs, grad_out)


def _ce_forward_backward(variant, h, w, t, chunk, backend):
    _ce_loss(variant, h, w, t, chunk, backend).backward()


def _eager_attention(q, k, v):
    T = q.shape[2]
    s = (q @ k.transpose(-1, -2)) * q.shape[-1] ** -0.5
    mask = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    s = s.masked_fill(~mask, float("-inf"))
    return torch.softmax(s.float(), -1).to(q.dtype) @ v


def bench_attention(
    device: str,
    seq_lens: list[int],
    head_dims: list[int],
    tokens_per_batch: int = 16384,
    hidden: int = 2048,
    dtype: torch.dtype = torch.float16,
    timer: Timer = _do_bench,
    memory_budget: float | None = None,
) -> list[dict]:
    """Causal attention, B = tokens_per_batch / T sequences, H = hidden / D heads."""
    providers = {
        "triton": lambda q, k, v: ops.flash_attention(q, k, v, causal=True, backend="triton"),
        "sdpa": lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
        "eager": _eager_attention,
    }
    rows = []
    for D in head_dims:
        for T in seq_lens:
            B, H = max(1, tokens_per_batch // T), hidden // D
            fwd_flops = 4 * B * H * T * T * D * 0.5  # two matmuls, half the scores are masked
            q, k, v = (
                torch.randn(B, H, T, D, device=device, dtype=dtype).requires_grad_()
                for _ in range(3)
            )
            do = torch.randn_like(q)
            for name, fn in providers.items():
                row = dict(op="attention", provider=name, T=T, D=D, B=B, H=H, dtype=str(dtype))
                scores_bytes = B * H * T * T * 4 * 3  # fp32 scores, probabilities, their grad
                if name == "eager" and memory_budget is not None and scores_bytes > memory_budget:
                    row["skipped"] = f"needs ~{scores_bytes / 2**30:.0f} GiB for the scores"
                    rows.append(row)
                    continue
                try:
                    fwd = partial(fn, q, k, v)
                    fwd_bwd = partial(_forward_backward, fn, (q, k, v), do)
                    ms_f, ms_fb = timer(fwd), timer(fwd_bwd)
                    row.update(
                        fwd_ms=round(ms_f, 4),
                        fwd_tflops=round(fwd_flops / ms_f / 1e9, 2),
                        fwd_bwd_ms=round(ms_fb, 4),
                        fwd_bwd_tflops=round(3.5 * fwd_flops / ms_fb / 1e9, 2),  # bwd = 2.5 fwd
                        peak_mib=round(_peak_mib(fwd_bwd, device), 3),
                    )
                except torch.cuda.OutOfMemoryError:
                    row["skipped"] = "out of memory"
                    if device == "cuda":
                        torch.cuda.empty_cache()
                rows.append(row)
    return rows


def bench_rms_norm(
    device: str,
    widths: list[int],
    tokens: int = 16384,
    dtype=torch.float16,
    timer: Timer = _do_bench,
) -> list[dict]:
    providers = {
        "triton": lambda x, w: ops.rms_norm(x, w, 1e-6, backend="triton"),
        "torch_eager": lambda x, w: ops.rms_norm(x, w, 1e-6, backend="torch"),
    }
    if hasattr(F, "rms_norm"):  # torch >= 2.4
        providers["F.rms_norm"] = lambda x, w: F.rms_norm(x, (x.shape[-1],), w, 1e-6)
    rows = []
    for C in widths:
        x = torch.randn(tokens, C, device=device, dtype=dtype)
        w = torch.randn(C, device=device, dtype=dtype)
        moved = (
            2 * x.numel() * x.element_size() + w.numel() * w.element_size()
        )  # read x, w; write y
        for name, fn in providers.items():
            ms = timer(partial(fn, x, w))
            rows.append(
                dict(op="rms_norm", provider=name, tokens=tokens, C=C, dtype=str(dtype),
                     ms=round(ms, 4), gb_per_s=round(moved / ms / 1e6, 1))
            )  # fmt: skip
    return rows


def bench_fused_ce_gpu(tokens: int, d_model: int, vocab: int, chunk: int, timer: Timer = _do_bench):
    rows = []
    for variant, backend in (("unfused", "torch"), ("fused", "triton"), ("fused", "torch")):
        h, w, t = _ce_inputs(tokens, d_model, vocab, "cuda", torch.bfloat16)
        fn = partial(_ce_forward_backward, variant, h, w, t, chunk, backend)
        rows.append(
            dict(op="linear_cross_entropy", variant=variant, backend=backend, tokens=tokens,
                 d_model=d_model, vocab=vocab, ms=round(timer(fn), 3),
                 peak_mib=round(_peak_mib(fn, "cuda"), 1))
        )  # fmt: skip
    return rows


# ---------------------------------------------------------------------------------- main


def _print_rows(title: str, rows: list[dict]) -> None:
    print(f"\n## {title}")
    for r in rows:
        print("  " + "  ".join(f"{k}={v}" for k, v in r.items()))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--json", metavar="PATH", help="write the measured figures here")
    p.add_argument("--tokens", type=int, default=16384, help="tokens for the CE benchmark")
    p.add_argument("--d-model", type=int, default=256)
    p.add_argument("--vocab", type=int, default=8192)
    p.add_argument("--chunk", type=int, default=1024, help="fused CE chunk size (rows)")
    p.add_argument("--quick", action="store_true", help="GPU: fewer sequence lengths")
    args = p.parse_args(argv)

    result: dict = dict(
        machine=dict(
            python=platform.python_version(),
            torch=torch.__version__,
            triton_error=_utils.triton_import_error(),
            cuda=torch.cuda.get_device_name() if torch.cuda.is_available() else None,
            cpu=platform.processor() or platform.machine(),
        )
    )
    print(f"# minillm kernel benchmarks  (torch {torch.__version__})")

    ce = ce_memory_cpu(args.tokens, args.d_model, args.vocab, args.chunk)
    result["fused_ce_cpu"] = ce
    _print_rows(
        f"linear + cross-entropy, CPU PyTorch paths, forward+backward, N={args.tokens} "
        f"tokens, d={args.d_model}, V={args.vocab}, chunk={args.chunk}, fp32",
        ce,
    )
    un, fu = ce
    print(
        f"  -> fused peak tensor memory {fu['peak_tensor_mib']} MiB vs unfused "
        f"{un['peak_tensor_mib']} MiB ({un['peak_tensor_mib'] / fu['peak_tensor_mib']:.1f}x "
        f"less); the full logits alone are {args.tokens * args.vocab * 4 / MiB:.0f} MiB; "
        f"|loss difference| = {abs(un['loss'] - fu['loss']):.2e}"
    )

    if not torch.cuda.is_available():
        msg = (
            "No CUDA GPU: kernel timings (FlashAttention, RMSNorm, fused CE on GPU) need one and "
            "were skipped; no numbers are reported for them. The Triton interpreter's speed "
            "says nothing about a GPU."
        )
        print("\n" + msg)
        result["gpu"] = dict(skipped=msg)
    elif not _utils.triton_available():
        msg = f"CUDA is present but triton cannot be imported ({_utils.triton_import_error()})"
        print("\n" + msg)
        result["gpu"] = dict(skipped=msg)
    else:
        seq = [1024, 4096, 16384] if args.quick else [1024, 2048, 4096, 8192, 16384]
        free, _ = torch.cuda.mem_get_info()
        att = bench_attention("cuda", seq, [64, 128], memory_budget=0.5 * free)
        _print_rows("causal attention, fp16, TFLOP/s (bwd counted as 2.5 x fwd)", att)
        rms = bench_rms_norm("cuda", [1024, 4096, 8192])
        _print_rows("RMSNorm fp16, 16K rows", rms)
        fce = bench_fused_ce_gpu(args.tokens, args.d_model, args.vocab, args.chunk)
        _print_rows("linear + cross-entropy on GPU, bf16, forward+backward", fce)
        result["gpu"] = dict(attention=att, rms_norm=rms, fused_ce=fce)

    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
