"""The PyTorch paths of ``minillm.kernels.ops``: values and gradients against plain references,
input validation, and backend selection. No triton needed (the kernels are in test_kernels_*)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from minillm.kernels import _utils, ops

T = dict(backend="torch")


def naive_attention(q, k, v, causal, scale=None):
    """Materialised-scores attention in float64: the reference for every attention test."""
    q, k, v = q.double(), k.double(), v.double()
    group = q.shape[1] // k.shape[1]
    k, v = k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = (q @ k.transpose(-1, -2)) * scale
    if causal:
        s = s.masked_fill(~ops.causal_mask(q.shape[2], k.shape[2]), float("-inf"))
    return torch.softmax(s, -1) @ v


# ---------------------------------------------------------------------------------- values


def test_rms_norm_matches_formula():
    torch.manual_seed(0)
    x, w = torch.randn(2, 5, 32), torch.randn(32)
    ref = w * x / torch.sqrt((x * x).mean(-1, keepdim=True) + 1e-6)
    torch.testing.assert_close(ops.rms_norm(x, w, **T), ref, atol=1e-6, rtol=1e-5)


@pytest.mark.slow  # importing transformers takes seconds
def test_rms_norm_matches_hf_llama_exactly():
    llama = pytest.importorskip("transformers.models.llama.modeling_llama")
    torch.manual_seed(0)
    x, w = torch.randn(2, 5, 32).half(), torch.randn(32)
    hf = llama.LlamaRMSNorm(32, eps=1e-6)
    hf.weight.data.copy_(w)
    torch.testing.assert_close(ops.rms_norm(x, w, **T), hf(x), atol=0, rtol=0)


def test_apply_rope_rotates_pairs_and_accepts_batched_tables():
    torch.manual_seed(0)
    B, H, Tn, D = 2, 3, 5, 8
    x = torch.randn(B, H, Tn, D)
    ang = torch.randn(B, Tn, D // 2)
    out = ops.apply_rope(x, ang.cos(), ang.sin(), **T)
    # Reference: complex multiplication of (x1 + i x2) by e^{i angle}.
    z = torch.complex(x[..., : D // 2], x[..., D // 2 :]) * torch.polar(
        torch.ones_like(ang), ang
    ).unsqueeze(1)
    torch.testing.assert_close(out, torch.cat([z.real, z.imag], -1), atol=1e-6, rtol=1e-5)
    # (T, D/2) tables broadcast over the batch.
    out0 = ops.apply_rope(x, ang[0].cos(), ang[0].sin(), **T)
    torch.testing.assert_close(out0[0], out[0])
    assert ops.apply_rope(x.half(), ang.cos(), ang.sin(), **T).dtype == torch.float16


def test_swiglu_and_softmax():
    torch.manual_seed(0)
    g, u = torch.randn(4, 7), torch.randn(4, 7)
    torch.testing.assert_close(ops.swiglu(g, u, **T), g * torch.sigmoid(g) * u)
    x = torch.randn(3, 9) * 50  # large logits: the stable softmax must not overflow
    ref = torch.exp(x.double() - x.double().logsumexp(-1, keepdim=True)).float()
    torch.testing.assert_close(ops.softmax(x, **T), ref)
    assert torch.isfinite(ops.softmax(torch.full((2, 3), 1e4), **T)).all()


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("T_, S, H, H_kv", [(5, 5, 4, 4), (3, 7, 4, 2), (1, 6, 8, 2), (6, 6, 2, 1)])
def test_flash_attention_torch_path(causal, T_, S, H, H_kv):
    torch.manual_seed(0)
    q = torch.randn(2, H, T_, 16)
    k, v = torch.randn(2, H_kv, S, 16), torch.randn(2, H_kv, S, 16)
    out = ops.flash_attention(q, k, v, causal=causal, **T)
    torch.testing.assert_close(out.double(), naive_attention(q, k, v, causal), atol=1e-5, rtol=1e-5)


def test_flash_attention_bottom_right_causal_is_kv_cache_decoding():
    """Attending the last T queries over all S keys == the last T rows of full causal attention."""
    torch.manual_seed(0)
    q, k, v = (torch.randn(1, 2, 9, 16) for _ in range(3))
    full = ops.flash_attention(q, k, v, causal=True, **T)
    tail = ops.flash_attention(q[:, :, -3:], k, v, causal=True, **T)
    torch.testing.assert_close(tail, full[:, :, -3:], atol=1e-6, rtol=1e-5)


def test_flash_attention_custom_scale_and_non_contiguous():
    torch.manual_seed(0)
    q = torch.randn(2, 6, 4, 16).transpose(1, 2)  # (B, H, T, D) view of (B, T, H, D)
    k = torch.randn(2, 6, 2, 16).transpose(1, 2)
    v = torch.randn(2, 6, 2, 16).transpose(1, 2)
    assert not q.is_contiguous()
    out = ops.flash_attention(q, k, v, causal=False, scale=0.3, **T)
    torch.testing.assert_close(
        out.double(), naive_attention(q, k, v, False, 0.3), atol=1e-5, rtol=1e-5
    )


@pytest.mark.parametrize("ignore", [False, True])
def test_cross_entropy(ignore):
    torch.manual_seed(0)
    logits, t = torch.randn(6, 11), torch.randint(0, 11, (6,))
    if ignore:
        t[[1, 4]] = -100
    ref = F.cross_entropy(logits.double(), t).float()
    torch.testing.assert_close(ops.cross_entropy(logits, t, **T), ref)
    # All targets ignored: nan, exactly as F.cross_entropy.
    assert ops.cross_entropy(logits, torch.full((6,), -100), **T).isnan()


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("chunk", [1, 4, 1024])
def test_fused_linear_cross_entropy_value_and_grads(bias, chunk):
    torch.manual_seed(0)
    N, C, V = 10, 8, 13
    h = torch.randn(N, C, dtype=torch.float64, requires_grad=True)
    w = torch.randn(V, C, dtype=torch.float64, requires_grad=True)
    b = torch.randn(V, dtype=torch.float64, requires_grad=True) if bias else None
    t = torch.randint(0, V, (N,))
    t[3] = -100
    loss = ops.fused_linear_cross_entropy(h, w, t, b, chunk_size=chunk, **T)
    (loss * 2.5).backward()  # a non-unit upstream gradient must scale the stored gradients
    params = [h, w] + ([b] if bias else [])
    got = [p.grad.clone() for p in params]
    for p in params:
        p.grad = None
    ref = F.cross_entropy(F.linear(h, w, b), t)
    (ref * 2.5).backward()
    torch.testing.assert_close(loss.double(), ref, atol=1e-6, rtol=1e-6)
    for g, p in zip(got, params):
        torch.testing.assert_close(g, p.grad, atol=1e-10, rtol=1e-8)


def test_fused_linear_cross_entropy_holds_one_chunk_of_logits():
    """The point of fusing: at most one (chunk, V) buffer alive at a time (the chunk step works
    in place), plus the gradients of hidden and weight."""
    from minillm.kernels.memory_tracker import TensorMemoryTracker

    N, C, V, chunk = 2048, 32, 2048, 256
    h = torch.randn(N, C, requires_grad=True)
    w = torch.randn(V, C, requires_grad=True)
    t = torch.randint(0, V, (N,))
    with TensorMemoryTracker() as mem:
        ops.fused_linear_cross_entropy(h, w, t, chunk_size=chunk, **T).backward()
    one_chunk = chunk * V * 4
    grads = (N + V) * C * 4 * 2  # the gradients, and their scaled copies in backward
    assert mem.peak_bytes < 1.25 * one_chunk + grads, mem.peak_bytes / one_chunk


def test_fused_linear_cross_entropy_half_and_no_grad():
    torch.manual_seed(0)
    h, w = torch.randn(16, 8).half(), torch.randn(20, 8).half()
    t = torch.randint(0, 20, (16,))
    ref = F.cross_entropy((h.float() @ w.float().T), t)
    loss = ops.fused_linear_cross_entropy(h, w, t, chunk_size=5, **T)
    assert loss.dtype == torch.float32 and loss.grad_fn is None
    torch.testing.assert_close(loss, ref, atol=2e-3, rtol=2e-3)


def test_every_op_backward_matches_autograd_reference_in_float64():
    torch.manual_seed(0)
    x = torch.randn(1, 2, 3, 8, dtype=torch.float64, requires_grad=True)
    w = torch.randn(8, dtype=torch.float64, requires_grad=True)
    ang = torch.randn(3, 4, dtype=torch.float64)
    for fn in (
        lambda x: ops.rms_norm(x, w, **T),
        lambda x: ops.apply_rope(x, ang.cos(), ang.sin(), **T),
        lambda x: ops.swiglu(x, x.flip(-1), **T),
        lambda x: ops.softmax(x, **T),
        lambda x: ops.flash_attention(x, x[:, :1], x[:, :1] * 2, causal=True, **T),
    ):
        assert torch.autograd.gradcheck(fn, (x,), eps=1e-6, atol=1e-5, fast_mode=True)


def _formula(name):
    """The plain formulas that autograd differentiates by itself: the reference for eager.py."""

    def rms(x, w):
        xf = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
        return w * (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + 1e-6)).to(x.dtype)

    def rope(x, cos, sin):
        acc = torch.promote_types(x.dtype, torch.float32)
        c, s = cos.to(acc).unsqueeze(-3), sin.to(acc).unsqueeze(-3)
        x1, x2 = x.to(acc).chunk(2, -1)
        return torch.cat([x1 * c - x2 * s, x2 * c + x1 * s], -1).to(x.dtype)

    return {"rms_norm": rms, "rope": rope, "swiglu": lambda a, b: F.silu(a) * b}[name]


def test_hand_written_backwards_pass_gradcheck_on_every_input():
    """eager.py's backward passes, checked by finite differences (float64), every input that
    has a gradient, with the batched RoPE tables and distinct gate and up."""
    torch.manual_seed(0)
    d = dict(dtype=torch.float64, requires_grad=True)
    x, w = torch.randn(2, 3, 8, **d), torch.randn(8, **d)
    assert torch.autograd.gradcheck(lambda x, w: ops.rms_norm(x, w, **T), (x, w))
    q = torch.randn(2, 3, 4, 8, **d)
    ang = torch.randn(2, 4, 4, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda q: ops.apply_rope(q, ang.cos(), ang.sin(), **T), (q,))
    a, b = torch.randn(3, 5, **d), torch.randn(3, 5, **d)
    assert torch.autograd.gradcheck(lambda a, b: ops.swiglu(a, b, **T), (a, b))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_hand_written_backwards_match_autograd_of_the_formula(dtype):
    """Values and gradients in every dtype the model trains in, on non-contiguous views (the
    model feeds transposed q/k to RoPE), against autograd of the plain formulas."""
    torch.manual_seed(0)
    tol = {torch.float32: 1e-5, torch.float16: 2e-3, torch.bfloat16: 2e-2}[dtype]
    ang = torch.randn(6, 8)
    x = torch.randn(2, 6, 3, 16).to(dtype).transpose(1, 2)  # (B, H, T, D), not contiguous
    w = torch.randn(16)
    gu = torch.randn(2, 6, 32).to(dtype)
    cases = {
        "rms_norm": ((x, w), lambda x, w: ops.rms_norm(x, w, **T)),
        "rope": ((x, ang.cos(), ang.sin()), lambda x, c, s: ops.apply_rope(x, c, s, **T)),
        "swiglu": (tuple(gu.chunk(2, -1)), lambda a, b: ops.swiglu(a, b, **T)),
    }
    for name, (inputs, op) in cases.items():
        grads = []
        for fn in (op, _formula(name)):
            leaves = [t.detach().clone().requires_grad_(t.is_floating_point()) for t in inputs]
            if name == "rope":
                leaves[1].requires_grad_(False), leaves[2].requires_grad_(False)
            out = fn(*leaves)
            dy = torch.randn(out.shape, generator=torch.Generator().manual_seed(1)).to(out.dtype)
            out.backward(dy)
            grads.append([out] + [t.grad for t in leaves if t.requires_grad])
        for got, ref in zip(*grads):
            assert got.dtype == ref.dtype, name
            torch.testing.assert_close(got.float(), ref.float(), atol=tol, rtol=tol, msg=name)


def test_frozen_inputs_get_no_gradient_and_the_rest_stay_right():
    """Each input's gradient is computed only when asked for (a frozen norm weight, a frozen
    up projection): the others are unchanged."""
    torch.manual_seed(0)
    x, w = torch.randn(4, 8, requires_grad=True), torch.randn(8)
    ops.rms_norm(x, w, **T).sum().backward()
    xr = x.detach().clone().requires_grad_()
    _formula("rms_norm")(xr, w).sum().backward()
    torch.testing.assert_close(x.grad, xr.grad)
    a, b = torch.randn(4, 8), torch.randn(4, 8, requires_grad=True)
    ops.swiglu(a, b, **T).sum().backward()
    torch.testing.assert_close(b.grad, F.silu(a))


def test_rope_with_learned_angles_still_passes_their_gradient():
    """cos/sin that require grad take the autograd formula, so the angles learn."""
    torch.manual_seed(0)
    x = torch.randn(1, 2, 3, 8)
    ang = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    x, probe = x.double(), torch.randn(1, 2, 3, 8, dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda a: (ops.apply_rope(x, a.cos(), a.sin(), **T) * probe).sum(), (ang,)
    )


# ------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ops.rms_norm(torch.randn(2, 8), torch.randn(7)), r"weight.shape=\(7,\)"),
        (lambda: ops.rms_norm(torch.randn(2, 8), torch.randn(8), eps=0.0), "eps=0.0"),
        (lambda: ops.rms_norm(torch.ones(2, 8, dtype=torch.long), torch.randn(8)), "int64"),
        (lambda: ops.apply_rope(torch.randn(1, 1, 3, 7), torch.ones(3, 3), torch.ones(3, 3)), "D even"),
        (lambda: ops.apply_rope(torch.randn(1, 1, 3, 8), torch.ones(4, 4), torch.ones(4, 4)), r"cos.shape=\(4, 4\)"),
        (lambda: ops.swiglu(torch.randn(2, 3), torch.randn(2, 4)), "same shape"),
        (lambda: ops.softmax(torch.randn(3, 0)), "non-empty"),
        (lambda: ops.flash_attention(torch.randn(1, 6, 4, 16), torch.randn(1, 4, 4, 16), torch.randn(1, 4, 4, 16)), "H=6.*H_kv=4"),
        (lambda: ops.flash_attention(torch.randn(1, 2, 4, 16), torch.randn(1, 2, 4, 8), torch.randn(1, 2, 4, 8)), "head dim D"),
        (lambda: ops.flash_attention(torch.randn(1, 2, 4, 16), torch.randn(1, 2, 4, 16), torch.randn(1, 2, 5, 16)), "must match"),
        (lambda: ops.flash_attention(torch.randn(2, 4, 16), torch.randn(2, 4, 16), torch.randn(2, 4, 16)), "must be 4-D"),
        (lambda: ops.flash_attention(torch.randn(1, 2, 4, 16), torch.randn(1, 2, 3, 16), torch.randn(1, 2, 3, 16)), "T=4 queries > S=3"),
        (lambda: ops.flash_attention(torch.randn(1, 2, 4, 16), torch.randn(1, 2, 4, 16).half(), torch.randn(1, 2, 4, 16).half()), "dtypes"),
        (lambda: ops.cross_entropy(torch.randn(4, 5), torch.randn(4)), "int64"),
        (lambda: ops.cross_entropy(torch.randn(4, 5), torch.zeros(3, dtype=torch.long)), r"N=4"),
        (lambda: ops.fused_linear_cross_entropy(torch.randn(4, 8), torch.randn(5, 7), torch.zeros(4, dtype=torch.long)), "same C"),
        (lambda: ops.fused_linear_cross_entropy(torch.randn(4, 8), torch.randn(5, 8), torch.zeros(4, dtype=torch.long), chunk_size=0), "chunk_size=0"),
        (lambda: ops.fused_linear_cross_entropy(torch.randn(4, 8), torch.randn(5, 8), torch.zeros(4, dtype=torch.long), bias=torch.randn(4)), r"bias.shape=\(4,\)"),
        (lambda: ops.rms_norm(torch.randn(2, 8), torch.randn(8), backend="cuda"), "'cuda' is not a backend"),
    ],
)  # fmt: skip
def test_bad_input_raises_clear_error(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_triton_head_dim_error_names_both_paths(monkeypatch):
    """The D check fires before any kernel import, so it is testable without triton."""
    monkeypatch.setattr(_utils, "triton_import_error", lambda: None)
    q = torch.randn(1, 2, 4, 8)
    with pytest.raises(ValueError, match=r"D=8 .*16 <= D <= 128.*torch path supports any D"):
        ops.flash_attention(q, q, q, backend="triton")
    x = torch.randn(3, 4, dtype=torch.float64)
    with pytest.raises(
        TypeError,
        match="float64 is not supported by the Triton kernel; valid: float16, bfloat16, float32",
    ):
        ops.softmax(x, backend="triton")


# --------------------------------------------------------------------------------- dispatch


def test_backend_resolution(monkeypatch):
    cpu = torch.zeros(1)
    monkeypatch.delenv("MINILLM_BACKEND", raising=False)
    monkeypatch.setattr(_utils, "_env_backend", None)  # re-read it
    assert _utils.resolve_backend(None, cpu) == "torch"  # auto on CPU
    monkeypatch.setenv("MINILLM_BACKEND", "torch")
    monkeypatch.setattr(_utils, "_env_backend", None)  # re-read it
    assert _utils.resolve_backend(None, cpu) == "torch"
    monkeypatch.setenv("MINILLM_BACKEND", "Triton ")  # case and spaces are forgiven
    monkeypatch.setattr(_utils, "_env_backend", None)  # re-read it
    monkeypatch.setattr(_utils, "triton_import_error", lambda: None)
    assert _utils.resolve_backend(None, cpu) == "triton"
    assert _utils.resolve_backend("torch", cpu) == "torch"  # the argument wins over the env
    monkeypatch.setenv("MINILLM_BACKEND", "gpu")
    monkeypatch.setattr(_utils, "_env_backend", None)  # re-read it
    with pytest.raises(ValueError, match="MINILLM_BACKEND='gpu' is not a backend"):
        _utils.resolve_backend(None, cpu)


def test_without_triton_auto_uses_torch_and_forcing_triton_explains(monkeypatch):
    monkeypatch.setattr(_utils, "triton_import_error", lambda: "ModuleNotFoundError: no triton")
    monkeypatch.setenv("MINILLM_BACKEND", "auto")
    monkeypatch.setattr(_utils, "_env_backend", None)  # re-read it
    x, w = torch.randn(2, 8), torch.ones(8)
    torch.testing.assert_close(ops.rms_norm(x, w), ops.rms_norm(x, w, backend="torch"))
    with pytest.raises(RuntimeError, match="triton cannot be imported.*backend='torch'"):
        ops.rms_norm(x, w, backend="triton")
    monkeypatch.setenv("MINILLM_BACKEND", "triton")
    monkeypatch.setattr(_utils, "_env_backend", None)  # re-read it
    with pytest.raises(RuntimeError, match="MINILLM_BACKEND='triton'"):
        ops.rms_norm(x, w)


def test_auto_falls_back_to_torch_where_the_kernel_cannot_go(monkeypatch):
    """On a GPU, auto must not fail on a shape the kernel lacks (D=8, float64): it uses torch."""
    monkeypatch.setattr(_utils, "resolve_backend", lambda backend, *t: "triton")
    monkeypatch.setattr(_utils, "requested_backend", lambda backend: "auto")

    def no_kernel(module):
        raise AssertionError(f"kernel {module} loaded for an unsupported input")

    monkeypatch.setattr(_utils, "load_kernel", no_kernel)
    q = torch.randn(1, 2, 4, 8)
    torch.testing.assert_close(ops.flash_attention(q, q, q), naive_attention(q, q, q, True).float())
    x = torch.randn(3, 5, dtype=torch.float64)
    torch.testing.assert_close(ops.softmax(x), torch.softmax(x, -1))


def test_tensors_on_different_devices_are_rejected():
    with pytest.raises(ValueError, match="one device"):
        ops.rms_norm(torch.randn(2, 8), torch.randn(8, device="meta"))


# ------------------------------------------------------------------ no gradient wanted


def test_fused_linear_cross_entropy_under_no_grad_computes_the_loss_only():
    """evaluate() runs under no_grad with trainable parameters: no (V, C) weight gradient,
    no (N, C) hidden gradient may be built, and the loss is the one training sees."""
    from minillm.kernels.memory_tracker import TensorMemoryTracker

    torch.manual_seed(0)
    N, C, V, chunk = 64, 256, 1024, 16
    h = torch.randn(N, C, requires_grad=True)
    w = torch.randn(V, C, requires_grad=True)
    t = torch.randint(0, V, (N,))
    with_grad = ops.fused_linear_cross_entropy(h, w, t, chunk_size=chunk, **T)
    with torch.no_grad(), TensorMemoryTracker() as mem:
        loss = ops.fused_linear_cross_entropy(h, w, t, chunk_size=chunk, **T)
    assert loss.grad_fn is None
    assert torch.equal(loss, with_grad.detach())
    weight_bytes = V * C * 4  # 1 MiB; the tracker counts w once, seen through its w.T view
    # Besides w: a chunk of fp32 logits (64 KiB) and scalars. A weight gradient (1 MiB more)
    # or a hidden gradient plus its copy would break the bound.
    assert mem.peak_bytes < weight_bytes + weight_bytes / 4, mem.peak_bytes
    assert mem.allocated_bytes < weight_bytes + weight_bytes / 2, mem.allocated_bytes


def test_the_backend_variable_is_read_once_not_per_op(monkeypatch):
    """MINILLM_BACKEND is resolved at the first op call, then cached: no os.environ lookup in
    every op of every forward; set_default_backend changes it in a running process."""
    monkeypatch.setenv("MINILLM_BACKEND", "torch")
    monkeypatch.setattr(_utils, "_env_backend", None)
    assert _utils.requested_backend(None) == "torch"
    monkeypatch.setenv("MINILLM_BACKEND", "gpu")  # not read again: still "torch"
    assert _utils.requested_backend(None) == "torch"
    _utils.set_default_backend("triton")
    assert _utils.requested_backend(None) == "triton"
    with pytest.raises(ValueError, match="backend='cuda' is not a backend"):
        _utils.set_default_backend("cuda")
    _utils.set_default_backend(None)  # re-read: now the bad value is named
    with pytest.raises(ValueError, match="MINILLM_BACKEND='gpu' is not a backend"):
        _utils.requested_backend(None)
