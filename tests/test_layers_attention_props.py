"""Property test: the reference and fast attention paths agree on random shapes and masks."""

import pytest
import torch

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from minillm.layers import (  # noqa: E402
    alibi_bias,
    alibi_slopes,
    attention_reference,
    scaled_dot_product_attention,
)


@settings(max_examples=25, deadline=None)
@given(
    b=st.integers(1, 2),
    h_kv=st.sampled_from([1, 2]),
    group=st.sampled_from([1, 2, 3]),
    t=st.integers(1, 6),
    extra=st.integers(0, 4),  # cached keys before the new queries
    d=st.sampled_from([2, 4, 8]),
    use_mask=st.booleans(),
    use_bias=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_paths_agree(b, h_kv, group, t, extra, d, use_mask, use_bias, seed):
    g = torch.Generator().manual_seed(seed)
    h, s = h_kv * group, t + extra
    q = torch.randn(b, h, t, d, generator=g)
    k, v = torch.randn(2, b, h_kv, s, d, generator=g)
    mask = torch.rand(b, 1, 1, s, generator=g) > 0.3 if use_mask else None
    bias = (
        alibi_bias(alibi_slopes(h), torch.arange(extra, s), torch.arange(s)) if use_bias else None
    )
    ref, weights = attention_reference(q, k, v, mask=mask, bias=bias)
    fast = scaled_dot_product_attention(q, k, v, mask=mask, bias=bias)
    torch.testing.assert_close(fast, ref, atol=1e-5, rtol=1e-5)
    visible = weights.sum(-1)  # 1 where a query sees some key, 0 where it sees none
    assert torch.all(((visible - 1).abs() < 1e-5) | (visible == 0))
