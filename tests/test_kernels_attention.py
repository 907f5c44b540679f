"""FlashAttention-2 Triton kernel, forward and backward, in Triton's interpreter on CPU.

Triton decides interpreter-or-compiled when ``@triton.jit`` runs, i.e. when the kernel file is
imported (triton 3.x reads TRITON_INTERPRET through ``triton.knobs`` at that moment; importing
triton itself earlier is harmless). So the variable is set before anything imports
``minillm.kernels.flash_attention``. On a CUDA machine the same tests run the compiled kernels.
"""

from __future__ import annotations

import os

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

import pytest  # noqa: E402

pytest.importorskip("triton")

from kernel_tolerance import assert_fa_criterion, naive_attention  # noqa: E402

from minillm.kernels import ops  # noqa: E402

pytestmark = pytest.mark.triton
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def make_qkv(B, H, H_kv, T, S, D, dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(B, H, T, D, generator=g)
    k = torch.randn(B, H_kv, S, D, generator=g)
    v = torch.randn(B, H_kv, S, D, generator=g)
    return [t.to(DEVICE, dtype).requires_grad_() for t in (q, k, v)]


def run(fn, q, k, v, do):
    """Output and (dq, dk, dv) of fn(q, k, v) for upstream gradient do."""
    for t in (q, k, v):
        t.grad = None
    out = fn(q, k, v)
    out.backward(do)
    return out.detach(), [t.grad.detach().clone() for t in (q, k, v)]


# (B, H, H_kv, T, S, D): sequence lengths 1, 17, 130 (not multiples of the block), head dims 16
# and 64, GQA 8:2 and MQA, T != S (queries appended after a KV cache).
SHAPES = [
    (1, 2, 2, 1, 1, 16),
    (2, 2, 2, 17, 17, 16),
    (1, 8, 2, 17, 17, 64),
    (1, 2, 1, 130, 130, 16),
    (1, 4, 2, 5, 37, 16),
    (1, 2, 2, 1, 130, 64),
    (1, 2, 2, 24, 24, 48),  # head dim not a power of two: the block is padded and masked
]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "B{}H{}Hkv{}T{}S{}D{}".format(*s))
@pytest.mark.parametrize("causal", [True, False], ids=["causal", "full"])
def test_flash_attention_fp32_matches_reference(shape, causal):
    B, H, H_kv, T, S, D = shape
    q, k, v = make_qkv(*shape, torch.float32)
    do = torch.randn(B, H, T, D, generator=torch.Generator().manual_seed(1)).to(DEVICE)
    out, grads = run(
        lambda *a: ops.flash_attention(*a, causal=causal, backend="triton"), q, k, v, do
    )
    ref, ref_grads = run(
        lambda *a: naive_attention(*(t.double() for t in a), causal), q, k, v, do.double()
    )
    torch.testing.assert_close(out, ref.float(), atol=2e-5, rtol=1e-5)
    for name, g, r in zip("qkv", grads, ref_grads):
        torch.testing.assert_close(g, r.float(), atol=5e-5, rtol=1e-5, msg=f"d{name}")


@pytest.mark.parametrize(
    "shape, causal",
    [
        ((1, 8, 2, 17, 17, 64), True),
        ((1, 2, 2, 130, 130, 16), True),
        ((2, 2, 1, 17, 40, 16), False),
    ],
)
def test_flash_attention_fp16_flash_criterion(shape, causal):
    """Error at most 2x that of the same computation in fp16 PyTorch, both vs float64."""
    B, H, H_kv, T, S, D = shape
    q, k, v = make_qkv(*shape, torch.float16)
    do = torch.randn(B, H, T, D, generator=torch.Generator().manual_seed(1)).to(DEVICE).half()
    out, grads = run(
        lambda *a: ops.flash_attention(*a, causal=causal, backend="triton"), q, k, v, do
    )
    pt, pt_grads = run(lambda *a: naive_attention(*a, causal), q, k, v, do)
    ref, ref_grads = run(
        lambda *a: naive_attention(*(t.double() for t in a), causal), q, k, v, do.double()
    )
    assert out.dtype == torch.float16
    assert_fa_criterion("out", out, pt, ref)
    for name, g, p, r in zip("qkv", grads, pt_grads, ref_grads):
        assert_fa_criterion(f"d{name}", g, p, r)


def test_flash_attention_non_contiguous_inputs_and_grad():
    """(B, T, H, D) projections viewed as (B, H, T, D): strided loads, no copies needed."""
    g = torch.Generator().manual_seed(0)
    q = torch.randn(2, 17, 4, 16, generator=g).to(DEVICE).requires_grad_()
    kv = torch.randn(2, 17, 2, 32, generator=g).to(DEVICE).requires_grad_()
    qt, kt, vt = q.transpose(1, 2), kv[..., :16].transpose(1, 2), kv[..., 16:].transpose(1, 2)
    assert not (qt.is_contiguous() or kt.is_contiguous() or vt.is_contiguous())
    do = torch.randn(2, 17, 4, 16, generator=g).to(DEVICE).transpose(1, 2)  # strided dO too
    out = ops.flash_attention(qt, kt, vt, causal=True, backend="triton")
    out.backward(do)
    got = (out.detach(), q.grad.clone(), kv.grad.clone())
    q.grad = kv.grad = None
    ref = naive_attention(qt.double(), kt.double(), vt.double(), True)
    ref.backward(do.double())
    torch.testing.assert_close(got[0], ref.float(), atol=2e-5, rtol=1e-5)
    torch.testing.assert_close(got[1], q.grad, atol=5e-5, rtol=1e-5)
    torch.testing.assert_close(got[2], kv.grad, atol=5e-5, rtol=1e-5)


def test_flash_attention_custom_scale_and_torch_path_agree():
    q, k, v = make_qkv(1, 4, 2, 17, 17, 16, torch.float32)
    a = ops.flash_attention(q, k, v, causal=True, scale=0.37, backend="triton")
    b = ops.flash_attention(q, k, v, causal=True, scale=0.37, backend="torch")
    torch.testing.assert_close(a, b, atol=2e-5, rtol=1e-5)


def test_flash_attention_large_logits_stay_finite():
    """Scores around +-1000: the running max keeps every exp() in range."""
    q, k, v = make_qkv(1, 2, 2, 33, 33, 16, torch.float32)
    with torch.no_grad():
        q.mul_(30.0)
        k.mul_(30.0)
    out = ops.flash_attention(q, k, v, causal=True, backend="triton")
    ref = naive_attention(q.double(), k.double(), v.double(), True)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, ref.float(), atol=1e-4, rtol=1e-4)


def test_flash_attention_kernel_errors_name_what_is_supported():
    q = torch.randn(1, 2, 4, 256, device=DEVICE)
    with pytest.raises(ValueError, match=r"D=256.*16 <= D <= 128.*backend='torch'"):
        ops.flash_attention(q, q, q, backend="triton")
    q64 = torch.randn(1, 2, 4, 16, device=DEVICE, dtype=torch.float64)
    with pytest.raises(
        TypeError, match="float64 is not supported by the Triton kernel; valid: float16, bfloat16"
    ):
        ops.flash_attention(q64, q64, q64, backend="triton")
    if DEVICE == "cpu":
        qb = torch.randn(1, 2, 4, 16, dtype=torch.bfloat16)
        with pytest.raises(TypeError, match="bfloat16 is not supported by the Triton interpreter"):
            ops.flash_attention(qb, qb, qb, backend="triton")


@pytest.mark.skipif(DEVICE != "cuda", reason="bf16 needs a GPU (the interpreter has no bf16)")
def test_flash_attention_bf16_flash_criterion():
    q, k, v = make_qkv(2, 8, 2, 300, 300, 128, torch.bfloat16)
    do = torch.randn_like(q)
    out, grads = run(lambda *a: ops.flash_attention(*a, causal=True), q, k, v, do)
    pt, pt_grads = run(lambda *a: naive_attention(*a, True), q, k, v, do)
    ref, ref_grads = run(
        lambda *a: naive_attention(*(t.float() for t in a), True), q, k, v, do.float()
    )
    assert_fa_criterion("out", out, pt, ref)
    for name, g, p, r in zip("qkv", grads, pt_grads, ref_grads):
        assert_fa_criterion(f"d{name}", g, p, r)


@pytest.mark.parametrize("block_m, block_n", [(64, 32), (32, 64), (64, 64)])
def test_flash_attention_gpu_block_shapes_in_the_interpreter(monkeypatch, block_m, block_n):
    """The GPU launch uses other (and unequal) block sizes than the interpreter default; the
    causal loop bounds (hi for the forward and dQ, the aligned lo for dK/dV) depend on them."""
    from minillm.kernels import flash_attention as fa

    monkeypatch.setattr(
        fa, "_launch_config", lambda D, dtype, interpreted: dict(BLOCK_M=block_m, BLOCK_N=block_n)
    )
    for shape in [(1, 2, 1, 130, 130, 16), (1, 2, 2, 70, 150, 16)]:
        B, H, H_kv, T, S, D = shape
        q, k, v = make_qkv(*shape, torch.float32)
        do = torch.randn(B, H, T, D, generator=torch.Generator().manual_seed(1)).to(DEVICE)
        out, grads = run(
            lambda *a: ops.flash_attention(*a, causal=True, backend="triton"), q, k, v, do
        )
        ref, ref_grads = run(
            lambda *a: naive_attention(*(t.double() for t in a), True), q, k, v, do.double()
        )
        torch.testing.assert_close(out, ref.float(), atol=2e-5, rtol=1e-5)
        for g, r in zip(grads, ref_grads):
            torch.testing.assert_close(g, r.float(), atol=5e-5, rtol=1e-5)
