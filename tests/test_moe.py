"""Mixture of experts: parity with HF Mixtral (block forward, load-balancing loss), routing,
capacity and dropping against a per-token loop, the model's aux losses, configs and errors."""

import math

import pytest
import torch

from minillm.config import ModelConfig, count_active_params, count_params, flops_per_token
from minillm.layers.moe import (
    MoE,
    expert_capacity,
    group_by_expert,
    load_balancing_loss,
    router_z_loss,
    top_k_routing,
)
from minillm.model import Transformer


def _config(**kw):
    base = dict(vocab_size=40, d_model=16, n_layers=2, n_heads=2, d_ff=24, max_seq_len=16,
                norm="rmsnorm", activation="swiglu", positions="rope", bias=False,
                tie_embeddings=False, n_experts=4, experts_per_token=2)  # fmt: skip
    return ModelConfig(**{**base, **kw})


def _moe(seed=0, **kw):
    torch.manual_seed(seed)
    moe = MoE(_config(**kw))
    with torch.no_grad():
        moe.router.weight.normal_(0, 1.0)  # decisive routing
    return moe


def _loop_reference(moe: MoE, x: torch.Tensor, capacity=None) -> torch.Tensor:
    """The slow, obvious MoE: token by token, choice by choice, with a capacity counter
    filled first choices first (GShard priority)."""
    h = x.reshape(-1, x.shape[-1])
    weights, index, _ = top_k_routing(moe.router(h), moe.top_k, moe.renormalize)
    y = torch.zeros_like(h)
    used = [0] * moe.n_experts
    for choice in range(moe.top_k):
        for n in range(h.shape[0]):
            e = int(index[n, choice])
            if capacity is not None and used[e] >= capacity:
                continue
            used[e] += 1
            y[n] += weights[n, choice] * moe.experts[e](h[n : n + 1])[0]
    if moe.shared_expert is not None:
        y = y + moe.shared_expert(h)
    return y.view_as(x)


# ------------------------------------------------------------------ Hugging Face parity
def _hf_mixtral_block(moe: MoE):
    mixtral = pytest.importorskip("transformers.models.mixtral.modeling_mixtral")
    transformers = pytest.importorskip("transformers")
    cfg = transformers.MixtralConfig(
        hidden_size=moe.router.in_features, intermediate_size=moe.experts[0].up_proj.out_features,
        num_local_experts=moe.n_experts, num_experts_per_tok=moe.top_k,
        bos_token_id=None, eos_token_id=None, pad_token_id=None,
    )  # fmt: skip
    block = mixtral.MixtralSparseMoeBlock(cfg).eval()
    with torch.no_grad():
        block.gate.weight.copy_(moe.router.weight)
        for e, expert in enumerate(moe.experts):
            block.experts.gate_up_proj[e].copy_(
                torch.cat([expert.gate_proj.weight, expert.up_proj.weight])
            )
            block.experts.down_proj[e].copy_(expert.down_proj.weight)
    return mixtral, block


@pytest.mark.parametrize("top_k", [1, 2, 3])
def test_forward_matches_hf_mixtral_sparse_moe_block(top_k):
    moe = _moe(experts_per_token=top_k)
    mixtral, block = _hf_mixtral_block(moe)
    x = torch.randn(3, 7, 16)
    with torch.no_grad():
        torch.testing.assert_close(moe(x), block(x.clone()), atol=1e-5, rtol=1e-5)
        router_logits, _, _ = block.gate(x.reshape(-1, 16))
    torch.testing.assert_close(moe.last_stats.router_logits, router_logits, atol=1e-6, rtol=1e-5)
    expected = mixtral.load_balancing_loss_func((router_logits,), 4, top_k)
    torch.testing.assert_close(moe.last_stats.load_balancing_loss, expected, atol=1e-6, rtol=1e-5)


def test_load_balancing_loss_matches_hf_over_layers_and_with_padding():
    mixtral = pytest.importorskip("transformers.models.mixtral.modeling_mixtral")
    gen = torch.Generator().manual_seed(0)
    layers = tuple(torch.randn(2 * 5, 6, generator=gen) * 2 for _ in range(3))
    mask = torch.tensor([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]])
    for k in (1, 2, 4):
        for m in (None, mask):
            expected = mixtral.load_balancing_loss_func(layers, 6, k, m)
            got = load_balancing_loss(layers, 6, k, attention_mask=m)
            torch.testing.assert_close(got, expected, atol=1e-6, rtol=1e-5)


def test_load_balancing_loss_extremes():
    n, e, k = 64, 4, 2
    # perfectly balanced and uniform probabilities: the minimum, k
    uniform = torch.zeros(n, e)
    assert load_balancing_loss(uniform, e, k).item() == pytest.approx(k)
    # everything to experts 0 and 1 with certainty: E * (1 * ~1 + 1 * ~0) ... close to E / 1
    collapsed = torch.tensor([[20.0, 10.0, -20.0, -20.0]]).expand(n, e)
    assert load_balancing_loss(collapsed, e, k).item() == pytest.approx(e, rel=1e-3)


def test_router_z_loss_formula_and_gradient_flows():
    logits = torch.randn(5, 4, requires_grad=True)
    z = router_z_loss(logits)
    assert z.item() == pytest.approx((torch.logsumexp(logits, -1) ** 2).mean().item())
    z.backward()
    assert logits.grad.abs().sum() > 0


def test_top_k_routing_renormalize():
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0]])
    w, i, p = top_k_routing(logits, 2, renormalize=True)
    assert i.tolist() == [[0, 1]]
    torch.testing.assert_close(w.sum(-1), torch.ones(1))
    w_raw, _, _ = top_k_routing(logits, 2, renormalize=False)
    torch.testing.assert_close(w_raw, p[:, :2])
    torch.testing.assert_close(w, w_raw / w_raw.sum())


# ------------------------------------------------------------------ dispatch and capacity
@pytest.mark.parametrize("capacity_factor", [None, 0.5, 1.0, 1.25])
@pytest.mark.parametrize("shared_expert", [False, True])
@pytest.mark.parametrize("renormalize", [True, False])
def test_dispatch_matches_per_token_loop(capacity_factor, shared_expert, renormalize):
    moe = _moe(capacity_factor=capacity_factor, shared_expert=shared_expert,
               renormalize_topk=renormalize)  # fmt: skip
    x = torch.randn(2, 9, 16)
    cap = None if capacity_factor is None else expert_capacity(18, 4, 2, capacity_factor)
    with torch.no_grad():
        torch.testing.assert_close(moe(x), _loop_reference(moe, x, cap), atol=1e-5, rtol=1e-5)
    stats = moe.last_stats
    assert stats.tokens_per_expert.sum().item() == 18 * 2
    if cap is None:
        assert stats.dropped == 0
    else:  # every assignment beyond `cap` in its expert's queue is dropped
        assert stats.dropped == (stats.tokens_per_expert - cap).clamp(min=0).sum().item()


def test_capacity_and_priority():
    assert expert_capacity(10, 4, 2, 1.0) == 5  # ceil(1.0 * 10 * 2 / 4)
    assert expert_capacity(10, 4, 2, 1.25) == 7  # ceil(6.25)
    # 3 tokens all want expert 0 first, expert 1 second; capacity 2
    index = torch.tensor([[0, 1], [0, 1], [0, 1]])
    order, counts, routed = group_by_expert(index, 3, capacity=2)
    assert routed.tolist() == [3, 3, 0] and counts.tolist() == [2, 2, 0]
    # choice-major ids: a = choice * N + token; expert 0 keeps tokens 0, 1 (first choices)
    assert order.tolist() == [0, 1, 3, 4]
    # a second choice never displaces a first choice
    index = torch.tensor([[1, 0], [0, 1], [0, 1]])  # token 0's *second* choice is expert 0
    order, counts, _ = group_by_expert(index, 2, capacity=2)
    assert order[:2].tolist() == [1, 2]  # expert 0: the first choices of tokens 1 and 2


def test_gradients_reach_router_and_used_experts():
    moe = _moe()
    x = torch.randn(2, 8, 16, requires_grad=True)
    y = moe(x)
    (y.square().mean() + moe.last_stats.load_balancing_loss + moe.last_stats.z_loss).backward()
    assert moe.router.weight.grad.abs().sum() > 0
    used = moe.last_stats.tokens_per_expert > 0
    for e, expert in enumerate(moe.experts):
        has_grad = expert.up_proj.weight.grad is not None
        assert has_grad == bool(used[e])
    assert x.grad.abs().sum() > 0


# ------------------------------------------------------------------ in the model
def test_model_places_moe_layers_and_reports_losses():
    config = _config(n_layers=4, moe_every=2, router_aux_loss_coef=0.1, router_z_loss_coef=0.01)
    assert [config.is_moe_layer(i) for i in range(4)] == [False, True, False, True]
    torch.manual_seed(0)
    model = Transformer(config)
    assert [type(b.mlp).__name__ for b in model.blocks] == ["SwiGLU", "MoE", "SwiGLU", "MoE"]
    ids = torch.randint(0, 40, (2, 10))
    out = model(ids, targets=ids)
    assert len(out.moe_stats) == 2
    # aux is pooled over the layers' router logits (HF's load_balancing_loss_func), which is
    # not the mean of the per-layer losses once the layers route differently
    aux = load_balancing_loss([s.router_logits for s in out.moe_stats], 4, 2)
    per_layer_mean = torch.stack([s.load_balancing_loss for s in out.moe_stats]).mean()
    assert not torch.allclose(aux, per_layer_mean)
    z = torch.stack([s.z_loss for s in out.moe_stats]).mean()
    torch.testing.assert_close(out.aux_loss, aux)
    torch.testing.assert_close(out.z_loss, z)
    torch.testing.assert_close(out.loss, out.lm_loss + 0.1 * aux + 0.01 * z)
    out.loss.backward()
    assert model.blocks[1].mlp.router.weight.grad.abs().sum() > 0
    # without targets the aux losses are still reported; a dense model reports none
    assert model(ids).aux_loss is not None and model(ids).loss is None
    dense = Transformer(_config(n_experts=0))(ids, targets=ids)
    assert dense.aux_loss is None and dense.moe_stats is None
    torch.testing.assert_close(dense.loss, dense.lm_loss)


@pytest.mark.parametrize(
    "kw",
    [dict(), dict(moe_every=2, n_layers=3), dict(shared_expert=True), dict(bias=True),
     dict(activation="gelu", experts_per_token=1), dict(tie_embeddings=True)],
)  # fmt: skip
def test_count_params_matches_the_module(kw):
    config = _config(**kw)
    model = Transformer(config)
    assert count_params(config) == model.num_params()
    moe = next(b.mlp for b in model.blocks if b.is_moe)
    expert = sum(p.numel() for p in moe.experts[0].parameters())
    idle = (config.n_experts - config.experts_per_token) * expert * config.n_moe_layers
    assert count_active_params(config) == count_params(config) - idle


def test_mixtral_8x7b_counts():
    config = ModelConfig.preset("mixtral-8x7b")
    assert count_params(config) == 46_702_792_704  # the published "46.7B"
    assert count_active_params(config) == 12_879_925_248  # "12.9B active"
    dense_flops = 6 * (12_879_925_248 - 32000 * 4096)
    assert flops_per_token(config, 4096) == dense_flops + 12 * 32 * 4096 * 4096


def test_json_round_trip_with_moe_fields():
    config = ModelConfig.preset("moe-tiny", capacity_factor=1.25, shared_expert=True)
    assert ModelConfig.from_json(config.to_json()) == config


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(experts_per_token=5), r"experts_per_token=5 must be <= n_experts=4"),
        (dict(experts_per_token=0), r"experts_per_token=0 must be an integer >= 1"),
        (dict(n_experts=-1), r"n_experts=-1 must be an integer >= 0"),
        (dict(moe_every=0), r"moe_every=0 must be an integer >= 1"),
        (dict(capacity_factor=0.0), r"capacity_factor=0.0 must be > 0"),
        (dict(capacity_factor=-1), r"capacity_factor=-1 must be > 0"),
        (dict(router_aux_loss_coef=-0.1), r"router_aux_loss_coef=-0.1 must be >= 0"),
        (dict(router_z_loss_coef=float("nan")), r"router_z_loss_coef=nan must be >= 0"),
    ],
)
def test_bad_moe_configs_are_named(kw, message):
    with pytest.raises(ValueError, match=message):
        _config(**kw)


def test_bad_routing_arguments():
    with pytest.raises(ValueError, match=r"k=5 must be between 1 and the number of experts 4"):
        top_k_routing(torch.zeros(3, 4), 5)
    with pytest.raises(ValueError, match=r"capacity_factor=0 must be > 0"):
        expert_capacity(8, 4, 2, 0)
    with pytest.raises(ValueError, match=r"router_logits has 4 experts, n_experts=3"):
        load_balancing_loss(torch.zeros(2, 4), 3, 1)
    with pytest.raises(ValueError, match=r"MoE needs n_experts >= 1"):
        MoE(_config(n_experts=0))


def test_capacity_is_never_below_one_slot():
    assert expert_capacity(1, 64, 1, 0.01) == 1 == math.ceil(0.01 * 1 / 64)


def test_router_losses_survive_non_reentrant_checkpointing():
    # The MoE layer reports its losses through `last_stats`, outside the block's return value:
    # non-reentrant activation checkpointing (lesson 08) must still backpropagate them.
    from torch.utils.checkpoint import checkpoint

    torch.manual_seed(0)
    model = Transformer(_config(router_aux_loss_coef=1.0, router_z_loss_coef=0.1))
    ids = torch.randint(0, 40, (2, 12))
    model(ids, targets=ids).loss.backward()
    plain = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad(set_to_none=True)
    for block in model.blocks:
        block.forward = lambda *a, f=block.forward: checkpoint(f, *a, use_reentrant=False)
    model(ids, targets=ids).loss.backward()
    for name, p in model.named_parameters():
        if name in plain:
            torch.testing.assert_close(p.grad, plain[name])
        else:
            assert p.grad is None


@pytest.mark.parametrize("capacity_factor", [None, 1.0])
def test_padding_is_not_routed_and_counts_in_no_loss_or_capacity(capacity_factor):
    """With a token mask, a padded batch routes, fills capacity and scores its balance and
    z-losses exactly as the batch of its real tokens alone (HF Mixtral's attention_mask in
    load_balancing_loss_func); padding gets zero expert output."""
    moe = _moe(capacity_factor=capacity_factor)
    x = torch.randn(2, 6, moe.router.in_features, generator=torch.Generator().manual_seed(3))
    mask = torch.ones(2, 6, dtype=torch.long)
    mask[0, :4] = 0  # left padding: 8 real tokens of 12
    y = moe(x, mask)
    padded = moe.last_stats
    y_real = moe(x[mask.bool()][None])  # (1, 8, C): the real tokens, in the same order
    alone = moe.last_stats
    torch.testing.assert_close(y[mask.bool()], y_real[0], atol=1e-6, rtol=1e-5)
    assert torch.equal(y[~mask.bool()], torch.zeros_like(y[~mask.bool()]))
    assert torch.equal(padded.tokens_per_expert, alone.tokens_per_expert)
    assert int(padded.dropped) == int(alone.dropped)
    if capacity_factor is not None:
        assert int(alone.dropped) > 0  # the capacity really bit
    torch.testing.assert_close(padded.load_balancing_loss, alone.load_balancing_loss)
    torch.testing.assert_close(padded.z_loss, alone.z_loss)


def test_model_passes_the_attention_mask_to_its_moe_layers():
    torch.manual_seed(0)
    model = Transformer(_config(positions="rope", n_layers=1, capacity_factor=1.0)).eval()
    idx = torch.randint(0, model.config.vocab_size, (2, 6))
    mask = torch.ones_like(idx)
    mask[0, :4] = 0
    out = model(idx, attention_mask=mask)
    assert int(out.moe_stats[0].tokens_per_expert.sum()) == 8 * model.config.experts_per_token
