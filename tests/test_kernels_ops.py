"""RMSNorm, RoPE, SwiGLU, softmax, cross-entropy and fused linear + cross-entropy Triton
kernels, forward and backward, against the PyTorch paths (in the interpreter on CPU).

TRITON_INTERPRET must be set before the kernel files are imported (see
test_kernels_attention.py for why).
"""

from __future__ import annotations

import os

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

import pytest  # noqa: E402

pytest.importorskip("triton")

import torch.nn.functional as F  # noqa: E402
from kernel_tolerance import assert_fa_criterion  # noqa: E402

from minillm.kernels import ops  # noqa: E402

pytestmark = pytest.mark.triton
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def randn(*shape, seed=0, scale=1.0):
    return (torch.randn(shape, generator=torch.Generator().manual_seed(seed)) * scale).to(DEVICE)


def value_and_grads(fn, inputs, dout_seed=7):
    """fn(*inputs) and d(sum(out * dout))/d(inputs) for a fixed random dout."""
    xs = [x.detach().clone().requires_grad_(x.is_floating_point()) for x in inputs]
    out = fn(*xs)
    dout = randn(*out.shape, seed=dout_seed).to(out.dtype)
    out.backward(dout)
    return out.detach(), [x.grad for x in xs if x.requires_grad]


def check_fp32(fn, inputs, atol=1e-5, rtol=1e-5):
    """Triton vs the PyTorch path in float64: tight fp32 tolerances, forward and backward."""
    out, grads = value_and_grads(lambda *a: fn(*a, backend="triton"), inputs)
    ref, ref_grads = value_and_grads(
        lambda *a: fn(*a, backend="torch"),
        [x.double() if x.is_floating_point() else x for x in inputs],
    )
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, ref.float(), atol=atol, rtol=rtol)
    for i, (g, r) in enumerate(zip(grads, ref_grads)):
        torch.testing.assert_close(
            g, r.float(), atol=atol, rtol=rtol, msg=lambda m, i=i: f"grad {i}: {m}"
        )


def check_fp16(fn, inputs):
    """FlashAttention's criterion: fp16 kernel error <= 2x fp16 PyTorch error (vs float64)."""
    half = [x.half() if x.is_floating_point() else x for x in inputs]
    out, grads = value_and_grads(lambda *a: fn(*a, backend="triton"), half)
    pt, pt_grads = value_and_grads(lambda *a: fn(*a, backend="torch"), half)
    ref, ref_grads = value_and_grads(
        lambda *a: fn(*a, backend="torch"),
        [x.double() if x.is_floating_point() else x for x in half],
    )
    assert out.dtype == pt.dtype
    assert_fa_criterion("out", out, pt, ref)
    for i, (g, p, r) in enumerate(zip(grads, pt_grads, ref_grads)):
        assert_fa_criterion(f"grad {i}", g, p, r)


# ------------------------------------------------------------------------------- RMSNorm


@pytest.mark.parametrize("shape", [(1, 16), (3, 17, 64), (1, 130, 48)], ids=str)
def test_rms_norm(shape):
    x, w = randn(*shape), randn(shape[-1], seed=1)
    fn = lambda x, w, backend: ops.rms_norm(x, w, 1e-6, backend=backend)
    check_fp32(fn, [x, w])
    check_fp16(fn, [x, w])


def test_rms_norm_non_contiguous_and_mixed_dtypes():
    x = randn(64, 6)[:, :5].T  # (5, 64) with row stride 1 but column stride 6: not contiguous
    assert not x.is_contiguous()
    check_fp32(lambda x, w, backend: ops.rms_norm(x, w, backend=backend), [x, randn(64, seed=1)])
    # fp16 activations with an fp32 weight return fp32, as HF LlamaRMSNorm does; same values.
    xh, w = randn(4, 32).half(), randn(32, seed=1)
    a, b = ops.rms_norm(xh, w, backend="triton"), ops.rms_norm(xh, w, backend="torch")
    assert a.dtype == b.dtype == torch.float32
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


# ---------------------------------------------------------------------------------- RoPE


@pytest.mark.parametrize(
    "B, H, T, D, batched", [(1, 1, 1, 16, False), (2, 3, 17, 64, False), (2, 2, 130, 16, True)]
)
def test_rope(B, H, T, D, batched):
    angles = randn(*((B,) if batched else ()), T, D // 2, seed=3, scale=3.0)
    cos, sin = angles.cos(), angles.sin()
    fn = lambda x, backend: ops.apply_rope(x, cos, sin, backend=backend)
    check_fp32(fn, [randn(B, H, T, D)])
    check_fp16(fn, [randn(B, H, T, D)])


def test_rope_non_contiguous():
    x = randn(2, 17, 3, 16).transpose(1, 2)  # (B, H, T, D) view of (B, T, H, D)
    angles = randn(17, 8, seed=3)
    check_fp32(
        lambda x, backend: ops.apply_rope(x, angles.cos(), angles.sin(), backend=backend), [x]
    )


# -------------------------------------------------------------------------------- SwiGLU


@pytest.mark.parametrize("shape", [(1,), (17, 33), (2, 130, 24)], ids=str)
def test_swiglu(shape):
    fn = lambda g, u, backend: ops.swiglu(g, u, backend=backend)
    check_fp32(fn, [randn(*shape, scale=3.0), randn(*shape, seed=1)])
    check_fp16(fn, [randn(*shape, scale=3.0), randn(*shape, seed=1)])


def test_swiglu_non_contiguous():
    gu = randn(17, 64)  # a fused gate/up projection split in two views
    check_fp32(lambda g, u, backend: ops.swiglu(g, u, backend=backend), [gu[:, ::2], gu[:, 1::2]])


# ------------------------------------------------------------------------------- softmax


@pytest.mark.parametrize("shape", [(1, 1), (17, 33), (3, 130), (2, 9000)], ids=str)
def test_softmax(shape):
    """9000 columns exceeds one 8192 block: exercises the online (multi-block) pass."""
    fn = lambda x, backend: ops.softmax(x, backend=backend)
    check_fp32(fn, [randn(*shape, scale=5.0)])
    check_fp16(fn, [randn(*shape, scale=5.0)])


def test_softmax_extreme_and_masked_values():
    x = torch.tensor([[1e4, 0.0, -1e4], [float("-inf"), 1.0, float("-inf")]], device=DEVICE)
    torch.testing.assert_close(ops.softmax(x, backend="triton"), torch.softmax(x, -1))
    check_fp32(lambda x, backend: ops.softmax(x, backend=backend), [randn(40, 17).T])  # strided


# ------------------------------------------------------------------------- cross-entropy


def _targets(n, V, seed=5, ignore=()):
    t = torch.randint(0, V, (n,), generator=torch.Generator().manual_seed(seed))
    t[list(ignore)] = -100
    return t.to(DEVICE)


@pytest.mark.parametrize("N, V", [(1, 16), (17, 130), (5, 9000)])
def test_cross_entropy(N, V):
    t = _targets(N, V, ignore=[N - 1] if N > 1 else [])
    fn = lambda x, backend: ops.cross_entropy(x, t, backend=backend)
    check_fp32(fn, [randn(N, V, scale=3.0)])
    check_fp16(fn, [randn(N, V, scale=3.0)])


def test_cross_entropy_bad_target_is_a_clear_error():
    with pytest.raises(ValueError, match=r"targets must be in \[0, 10\)"):
        ops.cross_entropy(randn(3, 10), torch.tensor([1, 10, 2], device=DEVICE), backend="triton")


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("N, chunk", [(17, 5), (33, 1024)])
def test_fused_linear_cross_entropy(bias, N, chunk):
    V, C = 130, 16
    t = _targets(N, V, ignore=[0, 3])

    def fn(h, w, *b, backend):
        return ops.fused_linear_cross_entropy(
            h, w, t, b[0] if b else None, chunk_size=chunk, backend=backend
        )

    inputs = [randn(N, C), randn(V, C, seed=1, scale=0.5)] + ([randn(V, seed=2)] if bias else [])
    check_fp32(fn, inputs)
    check_fp16(fn, inputs)
    # And the unfused reference, for good measure.
    h, w = inputs[0], inputs[1]
    ref = F.cross_entropy(F.linear(h, w, inputs[2] if bias else None), t)
    torch.testing.assert_close(fn(*inputs, backend="triton"), ref, atol=1e-5, rtol=1e-5)


# ------------------------------------------------------------------------------- errors


def test_kernel_paths_reject_unsupported_dtypes_clearly():
    x = torch.randn(3, 8, dtype=torch.float64, device=DEVICE)
    for call in (
        lambda: ops.rms_norm(x, x[0], backend="triton"),
        lambda: ops.swiglu(x, x, backend="triton"),
        lambda: ops.softmax(x, backend="triton"),
    ):
        with pytest.raises(
            TypeError,
            match="float64 is not supported by the Triton kernel; valid: float16, bfloat16, float32",
        ):
            call()
    if DEVICE == "cpu":
        xb = torch.randn(3, 8, dtype=torch.bfloat16)
        with pytest.raises(TypeError, match="bfloat16 is not supported by the Triton interpreter"):
            ops.softmax(xb, backend="triton")


def test_fused_linear_cross_entropy_under_no_grad_computes_the_loss_only():
    from minillm.kernels.memory_tracker import TensorMemoryTracker

    N, C, V = 8, 64, 256
    h, w = randn(N, C).requires_grad_(), randn(V, C, seed=1).requires_grad_()
    t = _targets(N, V)
    with_grad = ops.fused_linear_cross_entropy(h, w, t, chunk_size=4, backend="triton")
    with torch.no_grad(), TensorMemoryTracker() as mem:
        loss = ops.fused_linear_cross_entropy(h, w, t, chunk_size=4, backend="triton")
    assert loss.grad_fn is None and torch.equal(loss, with_grad.detach())
    weight_bytes = V * C * 4  # the tracker counts w once, seen through its w.T view
    assert mem.allocated_bytes < weight_bytes * 1.5, mem.allocated_bytes  # no (V, C) gradient


# ------------------------------------------------------------------ learned RoPE angles


@pytest.mark.parametrize("batched", [False, True])
def test_rope_learned_angles_get_their_gradient_on_both_backends(batched):
    """Trainable cos/sin: the Triton backward must give them the gradient the PyTorch path
    gives (it used to return None, so learned angles silently did not train on CUDA)."""
    B, H, T, D = 2, 3, 5, 16
    angles = randn(*((B,) if batched else ()), T, D // 2, seed=3, scale=3.0)
    fn = lambda x, cos, sin, backend: ops.apply_rope(x, cos, sin, backend=backend)
    inputs = [randn(B, H, T, D), angles.cos(), angles.sin()]
    check_fp32(fn, inputs)  # every input requires grad here: x, cos and sin
    check_fp16(fn, inputs)
    _, grads = value_and_grads(lambda *a: fn(*a, backend="triton"), inputs)
    assert len(grads) == 3 and min(g.abs().max() for g in grads) > 0.1  # real gradients
