"""Every Triton kernel compiles for real NVIDIA GPUs, checked without a GPU.

The interpreter proves the kernels compute the right thing, but it runs them with NumPy and
skips the compiler: a kernel can pass there and still fail to compile (a dtype the hardware
dot does not take, a block too big for shared memory). Triton can compile ahead of time for a
named target with only its bundled LLVM and ptxas, so this test builds each kernel, in each
dtype and at the launch configuration the wrappers use, down to a cubin for sm_80 (A100) and
checks its static shared memory fits an sm_86/sm_89 consumer GPU (99 KiB per block).

What this does NOT show: speed, or that the cubin runs correctly (no GPU here). It runs in a
subprocess because TRITON_INTERPRET must be off when the kernel files are imported, while the
other kernel tests import them with the interpreter on. ``python tests/test_kernels_compile.py``
prints the table.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SMEM_LIMIT = 101376  # bytes of shared memory per block on sm_86 / sm_89


def compile_all(arch: int = 80) -> list[dict]:
    import torch
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    from minillm.kernels import cross_entropy, flash_attention, rms_norm, rope, softmax, swiglu
    from minillm.kernels._utils import next_power_of_2

    target = GPUTarget("cuda", arch, 32)
    tname = {torch.float16: "fp16", torch.bfloat16: "bf16", torch.float32: "fp32"}
    rows = []

    def build(kernel, label, pointers, constexprs, options, floats=()):
        """pointers: arg name -> triton dtype name; other args are i32 unless in floats."""
        sig = {}
        for name in kernel.arg_names:
            if name in constexprs:
                sig[name] = "constexpr"
            elif name in pointers:
                sig[name] = "*" + pointers[name]
            else:
                sig[name] = "fp32" if name in floats else "i32"
        idx = {(kernel.arg_names.index(k),): v for k, v in constexprs.items()}
        src = ASTSource(fn=kernel, signature=sig, constexprs=idx)
        compiled = triton.compile(src, target=target, options=options)
        assert "cubin" in compiled.asm
        rows.append(dict(kernel=label, shared=compiled.metadata.shared))

    for dtype in (torch.float16, torch.bfloat16, torch.float32):
        dt = tname[dtype]
        for D in (64, 128):
            cfg = flash_attention._launch_config(D, dtype, interpreted=False)
            blocks = {k: cfg[k] for k in ("BLOCK_M", "BLOCK_N")}
            opts = {k: cfg[k] for k in ("num_warps", "num_stages")}
            consts = dict(CAUSAL=True, BLOCK_D=max(16, next_power_of_2(D)), **blocks)
            qkv = {n: dt for n in ("Q", "K", "V", "Out", "DO", "DK", "DV", "DQ")}
            qkv.update(LSE="fp32", DELTA="fp32")
            build(
                flash_attention._attn_fwd, f"attn_fwd {dt} D={D}", qkv, consts, opts, {"qk_scale"}
            )
            build(
                flash_attention._attn_bwd_dkdv,
                f"attn_bwd_dkdv {dt} D={D}",
                qkv,
                consts,
                opts,
                {"scale"},
            )
            build(
                flash_attention._attn_bwd_dq,
                f"attn_bwd_dq {dt} D={D}",
                qkv,
                consts,
                opts,
                {"scale"},
            )
        for C in (8192,):
            b = next_power_of_2(C)
            opts = dict(num_warps=rms_norm._num_warps(b))
            ptrs = dict(X=dt, W=dt, Y=dt, DY=dt, DX=dt, RSTD="fp32", DW_PARTIAL="fp32")
            build(
                rms_norm._rms_norm_fwd,
                f"rms_norm_fwd {dt} C={C}",
                ptrs,
                dict(BLOCK_C=b),
                opts,
                {"eps"},
            )
            build(rms_norm._rms_norm_bwd, f"rms_norm_bwd {dt} C={C}", ptrs, dict(BLOCK_C=b), opts)
        ptrs = dict(X=dt, Y=dt, COS="fp32", SIN="fp32")
        build(
            rope._rope_kernel, f"rope {dt}", ptrs, dict(SIN_SIGN=1, BLOCK_T=64, BLOCK_HALF=64), {}
        )
        ptrs = dict(GATE=dt, UP=dt, OUT=dt, DOUT=dt, DGATE=dt, DUP=dt)
        build(swiglu._swiglu_fwd, f"swiglu_fwd {dt}", ptrs, dict(BLOCK=swiglu.BLOCK_GPU), {})
        build(swiglu._swiglu_bwd, f"swiglu_bwd {dt}", ptrs, dict(BLOCK=swiglu.BLOCK_GPU), {})
        for N in (50000,):
            args = softmax._launch_args(N)
            opts = dict(num_warps=args.pop("num_warps"))
            ptrs = dict(X=dt, Y=dt, DY=dt, DX=dt)
            build(softmax._softmax_fwd, f"softmax_fwd {dt} N={N}", ptrs, args, opts)
            build(softmax._softmax_bwd, f"softmax_bwd {dt} N={N}", ptrs, args, opts)
        # N_VALID: the 0-d int64 count of counted targets, read on the device
        ptrs = dict(X=dt, DX=dt, TARGETS="i64", LOSS="fp32", N_VALID="i64")
        build(
            cross_entropy._ce_fwd_bwd,
            f"cross_entropy {dt}",
            ptrs,
            dict(BLOCK=8192),
            dict(num_warps=8),
        )
    return rows


@pytest.mark.triton
@pytest.mark.slow
def test_every_kernel_compiles_to_a_cubin_for_sm80():
    pytest.importorskip("triton")
    env = dict(os.environ, TRITON_INTERPRET="0", TRITON_DEFAULT_FP_FUSION="1")
    proc = subprocess.run(
        [sys.executable, __file__, "--json"], env=env, capture_output=True, text=True, timeout=600
    )
    if proc.returncode != 0 and "GPUTarget" in proc.stderr and "ImportError" in proc.stderr:
        pytest.skip("this triton has no ahead-of-time CUDA target API")
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(rows) == 3 * (6 + 2 + 1 + 2 + 2 + 1)
    too_big = [r for r in rows if r["shared"] > SMEM_LIMIT]
    assert not too_big, f"kernels over {SMEM_LIMIT} bytes of shared memory: {too_big}"


if __name__ == "__main__":
    result = compile_all()
    if "--json" in sys.argv:
        print(json.dumps(result))
    else:
        for r in result:
            print(f"{r['kernel']:<32} shared memory {r['shared']:>6} bytes")
