"""The hot ops of the model, each with a PyTorch path and a Triton path.

The model layers call these functions. Which path runs is decided per call (see ``_utils``):
CUDA tensors use the Triton kernels, CPU tensors the PyTorch path written here;
``MINILLM_BACKEND=triton|torch|auto`` or ``backend=`` forces one. The Triton kernels live in
one file each (``rms_norm.py``, ``rope.py``, ...) and are imported only when first used, so this
module works without triton installed.

Both paths agree within the tolerances stated in ``tests/test_kernels_*.py``, forward and
backward. Inputs are validated here, once, for both paths.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from minillm.kernels import _utils, eager
from minillm.kernels.fused_linear_ce import fused_linear_cross_entropy as _flce_chunked

__all__ = [
    "rms_norm",
    "apply_rope",
    "swiglu",
    "softmax",
    "flash_attention",
    "cross_entropy",
    "fused_linear_cross_entropy",
    "FLASH_HEAD_DIMS",
]

# Head dims the Triton FlashAttention kernel supports (the block is padded to a power of two).
FLASH_HEAD_DIMS = (16, 128)
# The Triton RMSNorm holds a whole row in one block.
RMS_NORM_MAX_FEATURES = 65536


def _check_float(op: str, **tensors: Tensor) -> None:
    for arg, t in tensors.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {arg} must be a torch.Tensor, got {type(t).__name__}")
        if not t.is_floating_point():
            raise TypeError(f"{op}: {arg}.dtype={t.dtype} is not a floating-point dtype")


def _at_least_fp32(x: Tensor) -> torch.dtype:
    """float32 for half types (their reductions lose too much), float64 stays float64."""
    return torch.promote_types(x.dtype, torch.float32)


# --------------------------------------------------------------------------------------------
# RMSNorm
# --------------------------------------------------------------------------------------------


def rms_norm(x: Tensor, weight: Tensor, eps: float = 1e-6, *, backend: str | None = None) -> Tensor:
    """x: (..., C), weight: (C,) -> (..., C).

    Matches Hugging Face ``LlamaRMSNorm``: normalise in float32 (float64 stays float64), cast
    back to x.dtype, then multiply by weight (so the result has the promoted dtype of x and weight).
    """
    _check_float("rms_norm", x=x, weight=weight)
    if weight.dim() != 1 or x.shape[-1] != weight.shape[0]:
        raise ValueError(
            f"rms_norm: weight.shape={tuple(weight.shape)} must be (C,) with C = x.shape[-1] "
            f"= {x.shape[-1]}"
        )
    if not eps > 0:
        raise ValueError(f"rms_norm: eps={eps} must be > 0")
    problem = _utils.unsupported_dtype("rms_norm", x=x, weight=weight)
    if x.shape[-1] > RMS_NORM_MAX_FEATURES:
        problem = ValueError(
            f"rms_norm: C={x.shape[-1]} features exceed the Triton kernel's one-block row limit "
            f"{RMS_NORM_MAX_FEATURES}; the torch path has no limit (backend='torch')"
        )
    if _utils.use_triton(backend, x, weight, unsupported=problem):
        return _utils.load_kernel("rms_norm").rms_norm_triton(x, weight, eps)
    # The formula, with its backward written out (eager.py):
    #   y = weight * (x / sqrt(mean(x^2) + eps)).to(x.dtype), normalised in float32
    return eager.rms_norm(x, weight, eps)


# --------------------------------------------------------------------------------------------
# RoPE
# --------------------------------------------------------------------------------------------


def apply_rope(x: Tensor, cos: Tensor, sin: Tensor, *, backend: str | None = None) -> Tensor:
    """x: (B, H, T, D) with D even; cos, sin: (T, D//2) or (B, T, D//2) -> (B, H, T, D).

    Rotate-half convention (GPT-NeoX / HF Llama): x1 = x[..., :D//2], x2 = x[..., D//2:],
    out = cat(x1*cos - x2*sin, x2*cos + x1*sin). Computed in float32, returned in x.dtype.
    """
    _check_float("apply_rope", x=x, cos=cos, sin=sin)
    if x.dim() != 4 or x.shape[-1] % 2:
        raise ValueError(f"apply_rope: x.shape={tuple(x.shape)} must be (B, H, T, D) with D even")
    B, _, T, D = x.shape
    valid = [(T, D // 2), (B, T, D // 2)]
    for name, t in (("cos", cos), ("sin", sin)):
        if tuple(t.shape) not in valid:
            raise ValueError(
                f"apply_rope: {name}.shape={tuple(t.shape)} must be (T, D//2)={valid[0]} or "
                f"(B, T, D//2)={valid[1]} for x.shape={tuple(x.shape)}"
            )
    if cos.shape != sin.shape:
        raise ValueError(
            f"apply_rope: cos.shape={tuple(cos.shape)} != sin.shape={tuple(sin.shape)}"
        )
    problem = _utils.unsupported_dtype("apply_rope", x=x)
    if _utils.use_triton(backend, x, cos, sin, unsupported=problem):
        return _utils.load_kernel("rope").rope_triton(x, cos, sin)
    return eager.apply_rope(x, cos, sin)  # the formula, backward written out


# --------------------------------------------------------------------------------------------
# SwiGLU
# --------------------------------------------------------------------------------------------


def swiglu(gate: Tensor, up: Tensor, *, backend: str | None = None) -> Tensor:
    """gate, up: (..., F) -> silu(gate) * up, same shape and dtype."""
    _check_float("swiglu", gate=gate, up=up)
    if gate.shape != up.shape or gate.dtype != up.dtype:
        raise ValueError(
            f"swiglu: gate {tuple(gate.shape)} {gate.dtype} and up {tuple(up.shape)} {up.dtype} "
            "must have the same shape and dtype"
        )
    problem = _utils.unsupported_dtype("swiglu", gate=gate)
    if _utils.use_triton(backend, gate, up, unsupported=problem):
        return _utils.load_kernel("swiglu").swiglu_triton(gate, up)
    return eager.swiglu(gate, up)  # F.silu(gate) * up, backward written out


# --------------------------------------------------------------------------------------------
# Softmax
# --------------------------------------------------------------------------------------------


def softmax(x: Tensor, *, backend: str | None = None) -> Tensor:
    """x: (..., N) -> softmax over the last dim (max-subtracted, so exp never overflows)."""
    _check_float("softmax", x=x)
    if x.dim() == 0 or x.shape[-1] == 0:
        raise ValueError(f"softmax: x.shape={tuple(x.shape)} needs a non-empty last dim")
    if _utils.use_triton(backend, x, unsupported=_utils.unsupported_dtype("softmax", x=x)):
        return _utils.load_kernel("softmax").softmax_triton(x)
    # torch accumulates half-precision softmax in fp32 internally and saves y in x.dtype.
    return torch.softmax(x, dim=-1)


# --------------------------------------------------------------------------------------------
# Attention
# --------------------------------------------------------------------------------------------


def _check_attention(q: Tensor, k: Tensor, v: Tensor, causal: bool) -> None:
    _check_float("flash_attention", q=q, k=k, v=v)
    for name, t in (("q", q), ("k", k), ("v", v)):
        if t.dim() != 4:
            raise ValueError(
                f"flash_attention: {name}.shape={tuple(t.shape)} must be 4-D: q (B, H, T, D), "
                "k and v (B, H_kv, S, D)"
            )
    if k.shape != v.shape:
        raise ValueError(
            f"flash_attention: k.shape={tuple(k.shape)} and v.shape={tuple(v.shape)} must match"
        )
    B, H, T, D = q.shape
    Bk, H_kv, S, Dk = k.shape
    if Bk != B or Dk != D:
        raise ValueError(
            f"flash_attention: q.shape={tuple(q.shape)} and k.shape={tuple(k.shape)} must share "
            "batch B (dim 0) and head dim D (dim 3)"
        )
    if H_kv == 0 or H % H_kv:
        raise ValueError(
            f"flash_attention: H={H} query heads must be a multiple of H_kv={H_kv} key/value "
            "heads (GQA: query head h uses kv head h // (H // H_kv))"
        )
    if T == 0 or S == 0:
        raise ValueError(f"flash_attention: empty sequence, T={T} and S={S} must be >= 1")
    if causal and T > S:
        raise ValueError(
            f"flash_attention: causal with T={T} queries > S={S} keys leaves the first T - S "
            "queries no key to attend to (bottom-right alignment: query i sees keys "
            "j <= i + S - T); use S >= T"
        )
    if not (q.dtype == k.dtype == v.dtype):
        raise TypeError(
            f"flash_attention: q, k, v dtypes {q.dtype}, {k.dtype}, {v.dtype} must be equal"
        )


def causal_mask(T: int, S: int | None = None, device: torch.device | None = None) -> Tensor:
    """(T, S) bool, True where query i may attend key j: j <= i + S - T (bottom-right).

    With S == T (the default) this is the lower triangle. With a KV cache (S > T) the T new
    queries are the last T positions, so the mask is aligned bottom-right.
    """
    S = T if S is None else S
    i = torch.arange(T, device=device)[:, None]
    j = torch.arange(S, device=device)[None, :]
    return j <= i + (S - T)


def flash_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    causal: bool = True,
    scale: float | None = None,
    *,
    backend: str | None = None,
) -> Tensor:
    """q: (B, H, T, D), k and v: (B, H_kv, S, D) -> (B, H, T, D).

    GQA when H_kv < H: query head h uses kv head h // (H // H_kv). ``scale`` defaults to
    1/sqrt(D). Causal masking is aligned bottom-right (query i sees keys j <= i + S - T), so
    new queries appended after a KV cache see the whole cache.

    Paths: torch = ``F.scaled_dot_product_attention`` (any float dtype, any D);
    triton = FlashAttention-2 (fp16/bf16/fp32, 16 <= D <= 128; the interpreter: fp16/fp32).
    """
    _check_attention(q, k, v, causal)
    D = q.shape[-1]
    scale = 1.0 / math.sqrt(D) if scale is None else float(scale)
    lo, hi = FLASH_HEAD_DIMS
    problem = _utils.unsupported_dtype("flash_attention", q=q)
    if not lo <= D <= hi:
        problem = ValueError(
            f"flash_attention: head dim D={D} is not supported by the Triton kernel "
            f"(supports {lo} <= D <= {hi}); the torch path supports any D (backend='torch')"
        )
    if _utils.use_triton(backend, q, k, v, unsupported=problem):
        return _utils.load_kernel("flash_attention").flash_attention_triton(q, k, v, causal, scale)
    return _attention_torch(q, k, v, causal, scale)


def _attention_torch(q: Tensor, k: Tensor, v: Tensor, causal: bool, scale: float) -> Tensor:
    T, S = q.shape[-2], k.shape[-2]
    # enable_gqa lets SDPA share each kv head across its query-head group without copying K/V.
    gqa = q.shape[1] != k.shape[1]
    if causal and T == 1:  # one query, the last position: it sees every key, no mask needed
        causal = False
    if causal and T != S:
        mask = causal_mask(T, S, q.device)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale, enable_gqa=gqa)
    return F.scaled_dot_product_attention(q, k, v, is_causal=causal, scale=scale, enable_gqa=gqa)


# --------------------------------------------------------------------------------------------
# Cross-entropy
# --------------------------------------------------------------------------------------------


def _check_targets(op: str, n: int, targets: Tensor) -> None:
    if not isinstance(targets, Tensor) or targets.dtype not in (torch.int64, torch.int32):
        got = targets.dtype if isinstance(targets, Tensor) else type(targets).__name__
        raise TypeError(f"{op}: targets must be an int64 (or int32) tensor, got {got}")
    if targets.shape != (n,):
        raise ValueError(f"{op}: targets.shape={tuple(targets.shape)} must be (N,) with N={n}")


def cross_entropy(
    logits: Tensor, targets: Tensor, ignore_index: int = -100, *, backend: str | None = None
) -> Tensor:
    """logits: (N, V), targets: (N,) -> mean loss over non-ignored targets, 0-d float32.

    Same value as ``F.cross_entropy`` (nan when every target is ignored), computed in float32.
    """
    _check_float("cross_entropy", logits=logits)
    if logits.dim() != 2:
        raise ValueError(f"cross_entropy: logits.shape={tuple(logits.shape)} must be (N, V)")
    _check_targets("cross_entropy", logits.shape[0], targets)
    problem = _utils.unsupported_dtype("cross_entropy", logits=logits)
    if _utils.use_triton(backend, logits, targets, unsupported=problem):
        return _utils.load_kernel("cross_entropy").cross_entropy_triton(
            logits, targets.long(), ignore_index
        )
    return F.cross_entropy(
        logits.to(_at_least_fp32(logits)), targets.long(), ignore_index=ignore_index
    )


def fused_linear_cross_entropy(
    hidden: Tensor,
    weight: Tensor,
    targets: Tensor,
    bias: Tensor | None = None,
    ignore_index: int = -100,
    chunk_size: int = 1024,
    *,
    backend: str | None = None,
) -> Tensor:
    """hidden: (N, C), weight: (V, C), targets: (N,), bias: (V,) or None -> 0-d float32.

    Same value as ``F.cross_entropy(hidden @ weight.T + bias, targets)``, but only
    ``chunk_size`` rows of logits exist at a time and the gradients are computed in the forward
    pass (see ``fused_linear_ce.py``). Both paths chunk; the Triton path replaces the per-chunk
    softmax/gradient step with a kernel.
    """
    _check_float("fused_linear_cross_entropy", hidden=hidden, weight=weight)
    if hidden.dim() != 2 or weight.dim() != 2 or hidden.shape[1] != weight.shape[1]:
        raise ValueError(
            f"fused_linear_cross_entropy: hidden.shape={tuple(hidden.shape)} must be (N, C) and "
            f"weight.shape={tuple(weight.shape)} must be (V, C) with the same C"
        )
    if bias is not None:
        _check_float("fused_linear_cross_entropy", bias=bias)
        if bias.shape != (weight.shape[0],):
            raise ValueError(
                f"fused_linear_cross_entropy: bias.shape={tuple(bias.shape)} must be "
                f"(V,)=({weight.shape[0]},)"
            )
    if hidden.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        raise TypeError(
            "fused_linear_cross_entropy: hidden, weight and bias must share a dtype, got "
            f"{hidden.dtype}, {weight.dtype}, {None if bias is None else bias.dtype}"
        )
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(
            f"fused_linear_cross_entropy: chunk_size={chunk_size!r} must be an int >= 1"
        )
    _check_targets("fused_linear_cross_entropy", hidden.shape[0], targets)
    targets = targets.long()
    tensors = (hidden, weight, targets) + (() if bias is None else (bias,))
    problem = _utils.unsupported_dtype("fused_linear_cross_entropy", hidden=hidden)
    if _utils.use_triton(backend, *tensors, unsupported=problem):
        kernels = _utils.load_kernel("cross_entropy")
        kernels.check_targets_in_range(targets, weight.shape[0], ignore_index)
        chunk_loss = kernels.ce_chunk_triton
        return _flce_chunked(hidden, weight, targets, bias, ignore_index, chunk_size, chunk_loss)
    return _flce_chunked(hidden, weight, targets, bias, ignore_index, chunk_size)
