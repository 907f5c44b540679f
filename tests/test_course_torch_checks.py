"""minillm.course.torch_checks: GQA code that copies K/V is caught, code that does not passes."""

import math

import pytest

torch = pytest.importorskip("torch")

from minillm.course import CheckFailed  # noqa: E402
from minillm.course.torch_checks import KVCopyError, no_repeated_kv, without_kv_copies  # noqa: E402
from minillm.layers import attention_reference  # noqa: E402

B, H, H_KV, T, D = 2, 6, 2, 5, 4
G = H // H_KV


def _inputs(seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(B, h, T, D, generator=gen) for h in (H, H_KV, H_KV)]


def _softmax_causal(scores, t, groups=1):
    future = torch.ones(t, t, dtype=torch.bool).triu(1).repeat(groups, 1)
    return torch.softmax(scores.masked_fill(future, float("-inf")), -1)


def folded(q, k, v):  # the group's query heads stacked on the query axis: no copy
    b, h, t, d = q.shape
    g = h // k.shape[1]
    scores = q.view(b, k.shape[1], g * t, d) @ k.transpose(-2, -1) / math.sqrt(d)
    return (_softmax_causal(scores, t, g) @ v).view(b, h, t, d)


def einsum_grouped(q, k, v):  # einsum folds the group axis into the matmul by itself
    b, h, t, d = q.shape
    qg = q.view(b, k.shape[1], h // k.shape[1], t, d)
    scores = torch.einsum("bkgtd,bksd->bkgts", qg, k) / math.sqrt(d)
    return torch.einsum("bkgts,bksd->bkgtd", _softmax_causal(scores, t), v).reshape(b, h, t, d)


def broadcast(q, k, v):  # k.unsqueeze(2) is a view, but matmul clones the broadcast batch
    b, h, t, d = q.shape
    qg = q.view(b, k.shape[1], h // k.shape[1], t, d)
    scores = qg @ k.unsqueeze(2).transpose(-2, -1) / math.sqrt(d)
    return (_softmax_causal(scores, t) @ v.unsqueeze(2)).view(b, h, t, d)


def repeated(q, k, v):
    g = q.shape[1] // k.shape[1]
    return folded(q, k.repeat_interleave(g, 1), v.repeat_interleave(g, 1))


def disguised(q, k, v):  # a copy computed "from q" too: caught by its values
    zero = 0 * q.view(B, H_KV, G, T, D)
    kk, vv = (
        (k.unsqueeze(2) + zero).reshape(B, H, T, D),
        (v.unsqueeze(2) + zero).reshape(B, H, T, D),
    )
    return folded(q, kk, vv)


def fused(q, k, v):
    return torch.nn.functional.scaled_dot_product_attention(
        q, k, v, is_causal=True, enable_gqa=True
    )


@pytest.mark.parametrize(
    "fn", [folded, einsum_grouped, lambda q, k, v: attention_reference(q, k, v)[0]]
)
def test_code_without_copies_passes_and_is_right(fn):
    q, k, v = _inputs()
    expected = attention_reference(q, k.repeat_interleave(G, 1), v.repeat_interleave(G, 1))[0]
    torch.testing.assert_close(without_kv_copies(fn)(q, k, v), expected)


@pytest.mark.parametrize(
    "fn, message",
    [
        (broadcast, r"aten\.clone.*repeated to all 6 query heads"),
        (repeated, r"repeated to all 6 query heads"),
        (disguised, r"aten\.add.*repeated"),
        (fused, r"fused attention"),
    ],
)
def test_copies_and_fused_attention_are_caught(fn, message):
    q, k, v = _inputs()
    with pytest.raises(KVCopyError, match=message):
        without_kv_copies(fn)(q, k, v)
    assert issubclass(KVCopyError, CheckFailed)  # a graded cell that hits it fails


def test_plain_multi_head_attention_is_not_watched_and_bad_heads_are_named():
    q, k, v = _inputs()
    with no_repeated_kv(q, q, H):  # H_kv == H: nothing to avoid
        q.repeat_interleave(1, 1).clone()
    with pytest.raises(ValueError, match="n_heads=5 must be a multiple of k's 2 heads"):
        with no_repeated_kv(k, v, 5):
            pass


def test_course_package_still_imports_without_torch_at_import_time():
    import subprocess
    import sys

    code = "import sys, minillm.course.torch_checks, minillm.course; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
