"""FlashAttention-2 in Triton: forward and backward, causal or not, GQA, any sequence length.

The idea (Dao 2023, "FlashAttention-2"): never write the (T, S) score matrix to memory. Each
program owns BLOCK_M query rows and streams the keys/values past them in BLOCK_N blocks,
keeping a running max ``m``, a running softmax denominator ``l`` and an unnormalised output
``acc`` (the online softmax). Only O (T, D) and the per-row logsumexp (T,) are written. The
backward pass recomputes the probabilities block by block from Q, K and that logsumexp:

    P = exp(Q K^T * scale - lse)          dV = P^T dO
    dP = dO V^T                           dS = P * (dP - delta),  delta = rowsum(dO * O)
    dQ = dS K * scale                     dK = dS^T Q * scale

Layout: q (B, H, T, D), k and v (B, H_kv, S, D), any strides (no .contiguous() copies). GQA:
query head h reads kv head h // (H // H_kv) through pointer arithmetic, so repeated K/V are
never materialised; the dK/dV program of a kv head loops over its group of query heads, so
the gradients are summed without atomics. Causal masks are aligned bottom-right: query i sees
key j when j <= i + S - T. Rows and columns past T, S and D are masked, so no size has to be a
multiple of a block.

Structure follows the Triton tutorial ``06-fused-attention.py`` (forward + separate dK/dV and
dQ loops), simplified: one masked loop instead of separate on/off-diagonal stages.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import Tensor

from minillm.kernels._utils import check_can_launch, is_interpreted, next_power_of_2

LOG2E = 1.4426950408889634  # exp(x) = exp2(x * log2(e)); exp2 is the fast instruction
LN2 = 0.6931471805599453


@triton.jit
def _attn_fwd(
    Q, K, V, Out, LSE,  # LSE: (B, H, T) float32, contiguous
    sqb, sqh, sqt, sqd,
    skb, skh, sks, skd,
    svb, svh, svs, svd,
    sob, soh, sot, sod,
    H, T, S, D, GROUP,  # GROUP = H // H_kv
    qk_scale,  # softmax scale * log2(e)
    CAUSAL: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_D: tl.constexpr,
):  # fmt: skip
    pid_m = tl.program_id(0)
    pid_bh = tl.program_id(1).to(tl.int64)  # int64: b * stride can exceed 2^31 elements
    b = pid_bh // H
    h = pid_bh % H
    kvh = h // GROUP

    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, BLOCK_D)
    m_valid = offs_m < T
    d_valid = offs_d < D

    q_ptrs = Q + b * sqb + h * sqh + offs_m[:, None] * sqt + offs_d[None, :] * sqd
    q = tl.load(q_ptrs, mask=m_valid[:, None] & d_valid[None, :], other=0.0)
    # K is read transposed, (BLOCK_D, BLOCK_N), so that Q @ K^T is a plain tl.dot.
    kT_base = K + b * skb + kvh * skh + offs_d[:, None] * skd
    v_base = V + b * svb + kvh * svh + offs_d[None, :] * svd

    m_i = tl.full([BLOCK_M], float("-inf"), dtype=tl.float32)  # running row max (log2 units)
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32)  # running sum of exp2(s - m_i)
    acc = tl.zeros([BLOCK_M, BLOCK_D], dtype=tl.float32)  # running unnormalised output

    # Causal: the last row of this block, i = (pid_m+1)*BLOCK_M - 1, sees keys j < i + 1 + S - T;
    # blocks past that are skipped entirely (half the work when T == S).
    hi = S
    if CAUSAL:
        hi = tl.minimum(S, (pid_m + 1) * BLOCK_M + S - T)
    for start_n in range(0, hi, BLOCK_N):
        cols = start_n + offs_n
        n_valid = cols < S
        kT = tl.load(
            kT_base + cols[None, :] * sks, mask=d_valid[:, None] & n_valid[None, :], other=0.0
        )
        s = tl.dot(q, kT, input_precision="ieee") * qk_scale
        keep = n_valid[None, :]
        if CAUSAL:
            keep = keep & (cols[None, :] <= offs_m[:, None] + (S - T))
        s = tl.where(keep, s, float("-inf"))
        # Online softmax: rescale what was accumulated under the old max by exp2(m_old - m_new).
        # Key 0 is visible to every row (S >= T when causal), so m_new is finite after block 0.
        m_new = tl.maximum(m_i, tl.max(s, 1))
        p = tl.exp2(s - m_new[:, None])
        alpha = tl.exp2(m_i - m_new)
        l_i = l_i * alpha + tl.sum(p, 1)
        v = tl.load(
            v_base + cols[:, None] * svs, mask=n_valid[:, None] & d_valid[None, :], other=0.0
        )
        acc = acc * alpha[:, None] + tl.dot(p.to(v.dtype), v, input_precision="ieee")
        m_i = m_new

    acc = acc / l_i[:, None]
    o_ptrs = Out + b * sob + h * soh + offs_m[:, None] * sot + offs_d[None, :] * sod
    tl.store(o_ptrs, acc.to(Out.dtype.element_ty), mask=m_valid[:, None] & d_valid[None, :])
    # logsumexp of the scaled scores in natural-log units, for the backward pass.
    tl.store(LSE + pid_bh * T + offs_m, (m_i + tl.log2(l_i)) * 0.6931471805599453, mask=m_valid)


@triton.jit
def _attn_bwd_dkdv(
    Q, K, V, DO, LSE, DELTA, DK, DV,  # LSE, DELTA: (B, H, T) float32, contiguous
    sqb, sqh, sqt, sqd,
    skb, skh, sks, skd,
    svb, svh, svs, svd,
    sdob, sdoh, sdot, sdod,
    sdkb, sdkh, sdks, sdkd,  # DK and DV share strides (both allocated like k)
    H, H_KV, T, S, D, GROUP,
    scale,
    CAUSAL: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_D: tl.constexpr,
):  # fmt: skip
    """One program per (key block, batch, kv head): dK and dV summed over the head's group."""
    pid_n = tl.program_id(0)
    pid_bk = tl.program_id(1).to(tl.int64)
    b = pid_bk // H_KV
    kvh = pid_bk % H_KV

    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_m = tl.arange(0, BLOCK_M)
    offs_d = tl.arange(0, BLOCK_D)
    n_valid = offs_n < S
    d_valid = offs_d < D
    nd_mask = n_valid[:, None] & d_valid[None, :]

    k = tl.load(
        K + b * skb + kvh * skh + offs_n[:, None] * sks + offs_d[None, :] * skd,
        mask=nd_mask,
        other=0.0,
    )
    v = tl.load(
        V + b * svb + kvh * svh + offs_n[:, None] * svs + offs_d[None, :] * svd,
        mask=nd_mask,
        other=0.0,
    )
    dk = tl.zeros([BLOCK_N, BLOCK_D], dtype=tl.float32)
    dv = tl.zeros([BLOCK_N, BLOCK_D], dtype=tl.float32)

    # Causal: query i sees key j when i >= j - (S - T), so earlier query blocks see nothing here.
    lo = 0
    if CAUSAL:
        lo = tl.maximum(0, pid_n * BLOCK_N - (S - T))
        lo = (lo // BLOCK_M) * BLOCK_M
    for g in range(0, GROUP):
        h = kvh * GROUP + g
        # Q and dO are read transposed, (BLOCK_D, BLOCK_M), so that we compute S^T = K Q^T.
        qT_base = Q + b * sqb + h * sqh + offs_d[:, None] * sqd
        do_base = DO + b * sdob + h * sdoh + offs_d[None, :] * sdod
        row_base = (b * H + h) * T
        for start_m in range(lo, T, BLOCK_M):
            rows = start_m + offs_m
            m_valid = rows < T
            qT = tl.load(
                qT_base + rows[None, :] * sqt, mask=d_valid[:, None] & m_valid[None, :], other=0.0
            )
            lse = tl.load(LSE + row_base + rows, mask=m_valid, other=0.0)
            sT = tl.dot(k, qT, input_precision="ieee") * scale  # (BLOCK_N, BLOCK_M)
            keep = n_valid[:, None] & m_valid[None, :]
            if CAUSAL:
                keep = keep & (offs_n[:, None] <= rows[None, :] + (S - T))
            pT = tl.where(keep, tl.exp2((sT - lse[None, :]) * 1.4426950408889634), 0.0)
            do = tl.load(
                do_base + rows[:, None] * sdot, mask=m_valid[:, None] & d_valid[None, :], other=0.0
            )
            dv += tl.dot(pT.to(do.dtype), do, input_precision="ieee")
            delta = tl.load(DELTA + row_base + rows, mask=m_valid, other=0.0)
            dpT = tl.dot(v, tl.trans(do), input_precision="ieee")  # (BLOCK_N, BLOCK_M)
            dsT = pT * (dpT - delta[None, :])
            dk += tl.dot(dsT.to(qT.dtype), tl.trans(qT), input_precision="ieee")

    dk_ptrs = b * sdkb + kvh * sdkh + offs_n[:, None] * sdks + offs_d[None, :] * sdkd
    tl.store(DK + dk_ptrs, (dk * scale).to(DK.dtype.element_ty), mask=nd_mask)
    tl.store(DV + dk_ptrs, dv.to(DV.dtype.element_ty), mask=nd_mask)


@triton.jit
def _attn_bwd_dq(
    Q, K, V, DO, LSE, DELTA, DQ,
    sqb, sqh, sqt, sqd,
    skb, skh, sks, skd,
    svb, svh, svs, svd,
    sdob, sdoh, sdot, sdod,
    sdqb, sdqh, sdqt, sdqd,
    H, T, S, D, GROUP,
    scale,
    CAUSAL: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_D: tl.constexpr,
):  # fmt: skip
    """One program per (query block, batch, head): dQ, streaming K and V like the forward."""
    pid_m = tl.program_id(0)
    pid_bh = tl.program_id(1).to(tl.int64)
    b = pid_bh // H
    h = pid_bh % H
    kvh = h // GROUP

    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, BLOCK_D)
    m_valid = offs_m < T
    d_valid = offs_d < D
    md_mask = m_valid[:, None] & d_valid[None, :]

    q = tl.load(
        Q + b * sqb + h * sqh + offs_m[:, None] * sqt + offs_d[None, :] * sqd,
        mask=md_mask,
        other=0.0,
    )
    do = tl.load(
        DO + b * sdob + h * sdoh + offs_m[:, None] * sdot + offs_d[None, :] * sdod,
        mask=md_mask,
        other=0.0,
    )
    lse = tl.load(LSE + pid_bh * T + offs_m, mask=m_valid, other=0.0)
    delta = tl.load(DELTA + pid_bh * T + offs_m, mask=m_valid, other=0.0)
    kT_base = K + b * skb + kvh * skh + offs_d[:, None] * skd
    vT_base = V + b * svb + kvh * svh + offs_d[:, None] * svd
    dq = tl.zeros([BLOCK_M, BLOCK_D], dtype=tl.float32)

    hi = S
    if CAUSAL:
        hi = tl.minimum(S, (pid_m + 1) * BLOCK_M + S - T)
    for start_n in range(0, hi, BLOCK_N):
        cols = start_n + offs_n
        n_valid = cols < S
        dn_mask = d_valid[:, None] & n_valid[None, :]
        kT = tl.load(kT_base + cols[None, :] * sks, mask=dn_mask, other=0.0)
        vT = tl.load(vT_base + cols[None, :] * svs, mask=dn_mask, other=0.0)
        s = tl.dot(q, kT, input_precision="ieee") * scale
        keep = m_valid[:, None] & n_valid[None, :]
        if CAUSAL:
            keep = keep & (cols[None, :] <= offs_m[:, None] + (S - T))
        p = tl.where(keep, tl.exp2((s - lse[:, None]) * 1.4426950408889634), 0.0)
        dp = tl.dot(do, vT, input_precision="ieee")
        ds = p * (dp - delta[:, None])
        dq += tl.dot(ds.to(kT.dtype), tl.trans(kT), input_precision="ieee")

    dq_ptrs = DQ + b * sdqb + h * sdqh + offs_m[:, None] * sdqt + offs_d[None, :] * sdqd
    tl.store(dq_ptrs, (dq * scale).to(DQ.dtype.element_ty), mask=md_mask)


def _launch_config(D: int, dtype: torch.dtype, interpreted: bool) -> dict:
    """Block sizes. Not autotuned: a fixed, conservative choice per head dim and dtype (no GPU
    here to tune on). tests/test_kernels_compile.py compiles every choice for sm_80 and checks
    its shared memory fits a consumer GPU (99 KiB). Bigger blocks make the interpreter faster
    (fewer NumPy calls), so it uses 32 x 32."""
    if interpreted:
        return dict(BLOCK_M=32, BLOCK_N=32, num_warps=4)
    if dtype == torch.float32 and D > 64:  # 4-byte tiles: fp32 at D=128 needs the small blocks
        return dict(BLOCK_M=32, BLOCK_N=32, num_warps=4, num_stages=2)
    big = D > 64 or dtype == torch.float32
    return dict(BLOCK_M=64, BLOCK_N=32 if big else 64, num_warps=4, num_stages=2)


def _strides(t: Tensor) -> tuple[int, ...]:
    return tuple(t.stride())


def attention_forward(q: Tensor, k: Tensor, v: Tensor, causal: bool, scale: float):
    """-> o (B, H, T, D) in q.dtype, lse (B, H, T) float32 (natural log)."""
    B, H, T, D = q.shape
    H_kv, S = k.shape[1], k.shape[2]
    o = torch.empty((B, H, T, D), dtype=q.dtype, device=q.device)
    lse = torch.empty((B, H, T), dtype=torch.float32, device=q.device)
    cfg = _launch_config(D, q.dtype, is_interpreted(_attn_fwd))
    grid = (triton.cdiv(T, cfg["BLOCK_M"]), B * H)
    _attn_fwd[grid](
        q, k, v, o, lse,
        *_strides(q), *_strides(k), *_strides(v), *_strides(o),
        H, T, S, D, H // H_kv, scale * LOG2E,
        CAUSAL=causal, BLOCK_D=max(16, next_power_of_2(D)), **cfg,
    )  # fmt: skip
    return o, lse


def attention_backward(q, k, v, o, lse, do, causal: bool, scale: float):
    """-> dq like q, dk and dv like k (dtype of the inputs)."""
    B, H, T, D = q.shape
    H_kv, S = k.shape[1], k.shape[2]
    # delta_i = sum_d dO_id O_id = rowsum(P * dP): one cheap reduction, done in torch.
    delta = (do.float() * o.float()).sum(-1).contiguous()
    dq = torch.empty((B, H, T, D), dtype=q.dtype, device=q.device)
    dk = torch.empty((B, H_kv, S, D), dtype=k.dtype, device=k.device)
    dv = torch.empty_like(dk)
    cfg = _launch_config(D, q.dtype, is_interpreted(_attn_bwd_dq))
    BLOCK_D = max(16, next_power_of_2(D))
    common = (
        *_strides(q), *_strides(k), *_strides(v), *_strides(do),
    )  # fmt: skip
    _attn_bwd_dkdv[(triton.cdiv(S, cfg["BLOCK_N"]), B * H_kv)](
        q, k, v, do, lse, delta, dk, dv, *common, *_strides(dk),
        H, H_kv, T, S, D, H // H_kv, scale,
        CAUSAL=causal, BLOCK_D=BLOCK_D, **cfg,
    )  # fmt: skip
    _attn_bwd_dq[(triton.cdiv(T, cfg["BLOCK_M"]), B * H)](
        q, k, v, do, lse, delta, dq, *common, *_strides(dq),
        H, T, S, D, H // H_kv, scale,
        CAUSAL=causal, BLOCK_D=BLOCK_D, **cfg,
    )  # fmt: skip
    return dq, dk, dv


class FlashAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, causal, scale):
        o, lse = attention_forward(q, k, v, causal, scale)
        ctx.save_for_backward(q, k, v, o, lse)
        ctx.causal, ctx.scale = causal, scale
        return o

    @staticmethod
    def backward(ctx, do):
        q, k, v, o, lse = ctx.saved_tensors
        dq, dk, dv = attention_backward(q, k, v, o, lse, do, ctx.causal, ctx.scale)
        return dq, dk, dv, None, None


def flash_attention_triton(q: Tensor, k: Tensor, v: Tensor, causal: bool, scale: float) -> Tensor:
    """q (B, H, T, D), k and v (B, H_kv, S, D) -> (B, H, T, D). Inputs validated by ``ops``."""
    check_can_launch(_attn_fwd, q, k, v, op="flash_attention")
    return FlashAttention.apply(q, k, v, causal, scale)
