"""Test helper, not part of the package: judge low-precision kernels as FlashAttention does.

A half-precision kernel cannot match an fp32 reference to fp32 tolerances, and a fixed atol
either hides bugs or fails on harmless rounding. FlashAttention's criterion instead compares
errors: run the same computation in plain PyTorch *in the same dtype*, measure both against an
fp32 (here float64) reference, and require

    max |kernel - reference| <= factor * max |pytorch_same_dtype - reference| + floor

with factor 2. The small absolute ``floor`` only matters when PyTorch's error is exactly 0
(e.g. attention over a single key returns v exactly).
"""

from __future__ import annotations

import math

from torch import Tensor

from minillm.layers.attention import attention_reference


def max_error(a: Tensor, ref: Tensor) -> float:
    return (a.double() - ref.double()).abs().max().item()


def assert_fa_criterion(
    name: str,
    got: Tensor,
    same_dtype: Tensor,
    reference: Tensor,
    factor: float = 2.0,
    floor: float = 1e-5,
) -> tuple[float, float]:
    """Raise AssertionError unless ``got`` is within ``factor`` x the same-dtype error."""
    if got.shape != reference.shape:
        raise AssertionError(f"{name}: shape {tuple(got.shape)} != {tuple(reference.shape)}")
    err, err_pt = max_error(got, reference), max_error(same_dtype, reference)
    if not math.isfinite(err) or err > factor * err_pt + floor:
        raise AssertionError(
            f"{name}: kernel error {err:.3g} > {factor} x PyTorch same-dtype error {err_pt:.3g}"
            f" + {floor:g}"
        )
    return err, err_pt


def naive_attention(
    q: Tensor, k: Tensor, v: Tensor, causal: bool, scale: float | None = None
) -> Tensor:
    """Materialised-scores attention in the inputs' dtype (softmax in at least fp32, as
    FlashAttention's ``attention_ref(upcast=False)``): the "same-dtype PyTorch computation" of
    the criterion. q (B, H, T, D), k, v (B, H_kv, S, D); bottom-right causal alignment. It is
    the package's `attention_reference`, so a float64 call is float64 throughout (a local copy
    here used to take the softmax of float64 scores in float32)."""
    return attention_reference(q, k, v, causal=causal, scale=scale)[0]
