"""Convert between minillm `Transformer` and Hugging Face `GPT2LMHeadModel`, `LlamaForCausalLM`
and `MixtralForCausalLM`.

Same architecture, same numbers: after conversion the logits agree to float rounding. The two
renamings worth knowing:
  * GPT-2 stores its linear layers as `Conv1D` with weight (in, out), i.e. transposed
    relative to nn.Linear's (out, in), and fuses q, k, v into one `c_attn` of width 3C;
  * Llama's q/k weights are already in the rotate-half RoPE layout we use (no permutation);
  * Mixtral (transformers 5.x) stores its experts as 3-D tensors, gate and up fused:
    experts.gate_up_proj (E, 2F, C) and experts.down_proj (E, C, F); ours are E SwiGLU modules.
RoPE scaling: HF rope_parameters types default, linear, dynamic and yarn map to our
rope_scaling (HF's L0 for "dynamic" is max_position_embeddings; ours original_max_seq_len).
transformers is imported lazily, so `import minillm.interop` works without it.
"""

from __future__ import annotations

import re
from typing import Any

import torch
from torch import Tensor

from minillm.config import ModelConfig
from minillm.model import Transformer

GPT2_TANH_GELUS = ("gelu_new", "gelu_pytorch_tanh")
# The floor of the `oracles` extra (pyproject.toml, environment.yml, `minillm env`): the
# conversions read `rope_parameters` and Mixtral's fused expert tensors, both 5.x layouts.
TRANSFORMERS_FLOOR = (5, 0)


def import_transformers() -> Any:
    """The transformers module, or ImportError naming the installed version and the floor."""
    import transformers

    major, minor = re.match(r"(\d+)\.(\d+)", transformers.__version__).groups()
    if (int(major), int(minor)) < TRANSFORMERS_FLOOR:
        floor = ".".join(map(str, TRANSFORMERS_FLOOR))
        raise ImportError(
            f"minillm.interop needs transformers>={floor} (rope_parameters, fused Mixtral "
            f"experts), found {transformers.__version__}: pip install 'transformers>={floor}'"
        )
    return transformers


# -------------------------------------------------------------------- configs
def _require(hf_config: Any, field: str, valid: tuple) -> None:
    value = getattr(hf_config, field, valid[0])
    if value not in valid:
        name = type(hf_config).__name__
        raise ValueError(f"{name}.{field}={value!r} unsupported; valid: {valid}")


def config_from_hf(hf_config: Any) -> ModelConfig:
    """A ModelConfig for a HF GPT2Config, LlamaConfig or MixtralConfig; ValueError for what we
    cannot mirror."""
    import_transformers()  # a 4.x config has no rope_parameters
    kind = getattr(hf_config, "model_type", None)
    if kind == "gpt2":
        return _config_from_gpt2(hf_config)
    if kind == "llama":
        return _config_from_llama(hf_config)
    if kind == "mixtral":
        return _config_from_mixtral(hf_config)
    raise ValueError(f"model_type={kind!r} unsupported; valid: 'gpt2', 'llama', 'mixtral'")


def _config_from_gpt2(hf: Any) -> ModelConfig:
    _require(hf, "activation_function", GPT2_TANH_GELUS)
    _require(hf, "scale_attn_weights", (True,))
    _require(hf, "scale_attn_by_inverse_layer_idx", (False,))
    _require(hf, "add_cross_attention", (False,))
    return ModelConfig(
        vocab_size=hf.vocab_size, d_model=hf.n_embd, n_layers=hf.n_layer, n_heads=hf.n_head,
        d_ff=hf.n_inner or 4 * hf.n_embd, max_seq_len=hf.n_positions, norm="layernorm",
        norm_eps=hf.layer_norm_epsilon, activation="gelu", positions="learned",
        tie_embeddings=hf.tie_word_embeddings, bias=True, dropout=hf.resid_pdrop,
        init_std=hf.initializer_range, name="hf-gpt2",
    )  # fmt: skip


YARN_EXTRAS = ("beta_fast", "beta_slow", "attention_factor", "mscale", "mscale_all_dim", "truncate")


def _rope_scaling_from_hf(hf: Any) -> tuple[float, dict[str, Any] | None]:
    """(rope_theta, our rope_scaling) from HF rope_parameters."""
    rope = dict(hf.rope_parameters)
    kind = rope.get("rope_type", "default")
    if rope.get("partial_rotary_factor", 1.0) != 1.0:
        raise ValueError(
            f"partial_rotary_factor={rope['partial_rotary_factor']} unsupported; valid: 1.0"
        )
    theta = float(rope["rope_theta"])
    if kind == "default":
        return theta, None
    if kind == "linear":  # position interpolation
        return theta, {"type": "linear", "factor": float(rope["factor"])}
    if kind == "dynamic":  # HF's trained length is max_position_embeddings
        scaling = {"type": "dynamic", "factor": float(rope["factor"])}
        return theta, {**scaling, "original_max_seq_len": hf.max_position_embeddings}
    if kind == "yarn":
        original = rope["original_max_position_embeddings"]
        factor = rope.get("factor") or hf.max_position_embeddings / original  # HF's fallback
        scaling = {"type": "yarn", "factor": float(factor), "original_max_seq_len": original}
        scaling.update({k: rope[k] for k in YARN_EXTRAS if rope.get(k) is not None})
        return theta, scaling
    raise ValueError(
        f"rope_type={kind!r} unsupported; valid: 'default', 'linear', 'dynamic', 'yarn'"
    )


def _rope_scaling_to_hf(config: ModelConfig) -> tuple[dict[str, Any], int]:
    """(HF rope_parameters, HF max_position_embeddings) for our rope settings."""
    rope: dict[str, Any] = {"rope_type": "default", "rope_theta": config.rope_theta}
    scaling, max_pos = config.rope_scaling, config.max_seq_len
    if scaling is None:
        return rope, max_pos
    kind = scaling["type"]
    if kind == "linear":
        return {**rope, "rope_type": "linear", "factor": scaling["factor"]}, max_pos
    if kind == "dynamic":  # HF reads the trained length from max_position_embeddings
        return {**rope, "rope_type": "dynamic", "factor": scaling["factor"]}, scaling[
            "original_max_seq_len"
        ]
    if kind == "yarn":
        extras = {k: scaling[k] for k in YARN_EXTRAS if k in scaling}
        rope = {**rope, "rope_type": "yarn", "factor": scaling["factor"], **extras}
        return {
            **rope,
            "original_max_position_embeddings": scaling["original_max_seq_len"],
        }, max_pos
    raise ValueError(
        f"rope_scaling type={kind!r} has no HF equivalent; valid: linear, dynamic, yarn (or None)"
    )


def _llama_like_fields(hf: Any) -> dict[str, Any]:
    """The fields Llama and Mixtral configs share."""
    _require(hf, "hidden_act", ("silu",))
    _require(hf, "head_dim", (hf.hidden_size // hf.num_attention_heads, None))
    theta, scaling = _rope_scaling_from_hf(hf)
    return dict(
        vocab_size=hf.vocab_size, d_model=hf.hidden_size, n_layers=hf.num_hidden_layers,
        n_heads=hf.num_attention_heads, n_kv_heads=hf.num_key_value_heads,
        d_ff=hf.intermediate_size, max_seq_len=hf.max_position_embeddings, norm="rmsnorm",
        norm_eps=hf.rms_norm_eps, activation="swiglu", positions="rope",
        rope_theta=theta, rope_scaling=scaling,
        tie_embeddings=hf.tie_word_embeddings, bias=False, dropout=float(hf.attention_dropout),
        init_std=hf.initializer_range,
    )  # fmt: skip


def _config_from_llama(hf: Any) -> ModelConfig:
    _require(hf, "attention_bias", (False,))
    _require(hf, "mlp_bias", (False,))
    return ModelConfig(**_llama_like_fields(hf), name="hf-llama")


def _config_from_mixtral(hf: Any) -> ModelConfig:
    _require(hf, "sliding_window", (None,))
    _require(hf, "router_jitter_noise", (0.0, 0))
    return ModelConfig(
        **_llama_like_fields(hf), n_experts=hf.num_local_experts,
        experts_per_token=hf.num_experts_per_tok, moe_every=1, capacity_factor=None,
        shared_expert=False, renormalize_topk=True,
        router_aux_loss_coef=float(hf.router_aux_loss_coef), router_z_loss_coef=0.0,
        name="hf-mixtral",
    )  # fmt: skip


def hf_family(config: ModelConfig) -> str:
    """'gpt2', 'llama' or 'mixtral' if `config` is exactly representable in HF, else ValueError."""
    dense = dict(n_experts=0)
    gpt2 = dict(positions="learned", norm="layernorm", activation="gelu", bias=True,
                n_kv_heads=config.n_heads, rope_scaling=None, **dense)  # fmt: skip
    llama = dict(positions="rope", norm="rmsnorm", activation="swiglu", bias=False, **dense)
    mixtral = dict(positions="rope", norm="rmsnorm", activation="swiglu", bias=False,
                   moe_every=1, capacity_factor=None, shared_expert=False,
                   renormalize_topk=True)  # fmt: skip
    for family, want in (("gpt2", gpt2), ("llama", llama), ("mixtral", mixtral)):
        if all(getattr(config, k) == v for k, v in want.items()):
            if family != "mixtral" or config.n_experts > 0:
                return family
    raise ValueError(
        f"config {config.name!r} matches no HF family: GPT-2 needs {gpt2}; Llama needs {llama}; "
        f"Mixtral needs n_experts > 0 and {mixtral}"
    )


def config_to_hf(config: ModelConfig, attn_implementation: str = "eager") -> Any:
    """The HF GPT2Config / LlamaConfig / MixtralConfig for `config` (no bos/eos ids: our
    vocabularies vary)."""
    transformers = import_transformers()

    common = dict(vocab_size=config.vocab_size, tie_word_embeddings=config.tie_embeddings,
                  initializer_range=config.init_std, bos_token_id=None, eos_token_id=None,
                  attn_implementation=attn_implementation)  # fmt: skip
    family = hf_family(config)
    if family == "gpt2":
        return transformers.GPT2Config(
            n_embd=config.d_model, n_layer=config.n_layers, n_head=config.n_heads,
            n_inner=config.d_ff, n_positions=config.max_seq_len, activation_function="gelu_new",
            layer_norm_epsilon=config.norm_eps, resid_pdrop=config.dropout,
            embd_pdrop=config.dropout, attn_pdrop=config.dropout, **common,
        )  # fmt: skip
    rope, max_pos = _rope_scaling_to_hf(config)
    shared = dict(
        hidden_size=config.d_model, num_hidden_layers=config.n_layers,
        num_attention_heads=config.n_heads, num_key_value_heads=config.n_kv_heads,
        head_dim=config.head_dim,  # explicit: HF's yarn/dynamic read it (None in MixtralConfig)
        intermediate_size=config.d_ff, max_position_embeddings=max_pos,
        rms_norm_eps=config.norm_eps, rope_parameters=rope, hidden_act="silu",
        attention_dropout=config.dropout, **common,
    )  # fmt: skip
    if family == "llama":
        return transformers.LlamaConfig(**shared, attention_bias=False, mlp_bias=False)
    return transformers.MixtralConfig(
        **shared, num_local_experts=config.n_experts,
        num_experts_per_tok=config.experts_per_token, sliding_window=None,
        router_aux_loss_coef=config.router_aux_loss_coef, router_jitter_noise=0.0,
    )  # fmt: skip


# -------------------------------------------------------------------- weights
def _hf_shapes(config: ModelConfig, family: str) -> dict[str, tuple[int, ...]]:
    """Every HF tensor we read, with its expected shape (HF naming and layout)."""
    c, f, v, kv = (
        config.d_model,
        config.d_ff,
        config.vocab_size,
        config.n_kv_heads * config.head_dim,
    )
    if family == "gpt2":
        shapes = {"transformer.wte.weight": (v, c), "transformer.wpe.weight": (config.max_seq_len, c),
                  "transformer.ln_f.weight": (c,), "transformer.ln_f.bias": (c,)}  # fmt: skip
        per = {"ln_1.weight": (c,), "ln_1.bias": (c,), "attn.c_attn.weight": (c, 3 * c),
               "attn.c_attn.bias": (3 * c,), "attn.c_proj.weight": (c, c), "attn.c_proj.bias": (c,),
               "ln_2.weight": (c,), "ln_2.bias": (c,), "mlp.c_fc.weight": (c, f),
               "mlp.c_fc.bias": (f,), "mlp.c_proj.weight": (f, c), "mlp.c_proj.bias": (c,)}  # fmt: skip
        prefix = "transformer.h"
    else:
        shapes = {"model.embed_tokens.weight": (v, c), "model.norm.weight": (c,)}
        per = {"self_attn.q_proj.weight": (c, c), "self_attn.k_proj.weight": (kv, c),
               "self_attn.v_proj.weight": (kv, c), "self_attn.o_proj.weight": (c, c),
               "mlp.gate_proj.weight": (f, c), "mlp.up_proj.weight": (f, c),
               "mlp.down_proj.weight": (c, f), "input_layernorm.weight": (c,),
               "post_attention_layernorm.weight": (c,)}  # fmt: skip
        prefix = "model.layers"
        if family == "mixtral":  # experts as 3-D tensors, gate and up fused
            e = config.n_experts
            del per["mlp.gate_proj.weight"], per["mlp.up_proj.weight"], per["mlp.down_proj.weight"]
            per.update({"mlp.gate.weight": (e, c), "mlp.experts.gate_up_proj": (e, 2 * f, c),
                        "mlp.experts.down_proj": (e, c, f)})  # fmt: skip
    for i in range(config.n_layers):
        shapes.update({f"{prefix}.{i}.{k}": s for k, s in per.items()})
    if not config.tie_embeddings:
        shapes["lm_head.weight"] = (v, c)
    return shapes


def state_dict_from_hf(hf_state: dict[str, Tensor], config: ModelConfig) -> dict[str, Tensor]:
    """HF state dict -> minillm state dict. ValueError names a missing or mis-shaped HF tensor;
    extra HF entries (buffers, a tied lm_head.weight) are ignored."""
    family = hf_family(config)
    for key, shape in _hf_shapes(config, family).items():
        if key not in hf_state:
            raise ValueError(f"HF state dict is missing tensor {key!r} (expected shape {shape})")
        if tuple(hf_state[key].shape) != shape:
            raise ValueError(
                f"HF tensor {key!r} has shape {tuple(hf_state[key].shape)}, expected {shape}"
            )
    sd = {}
    if family == "gpt2":
        rename = {"ln_1": "attn_norm", "ln_2": "mlp_norm", "attn.c_proj": "attn.o_proj",
                  "mlp.c_fc": "mlp.up_proj", "mlp.c_proj": "mlp.down_proj"}  # fmt: skip
        sd["tok_emb.weight"] = hf_state["transformer.wte.weight"]
        sd["pos_emb.weight"] = hf_state["transformer.wpe.weight"]
        for p in ("weight", "bias"):
            sd[f"norm_f.{p}"] = hf_state[f"transformer.ln_f.{p}"]
        for i in range(config.n_layers):
            h, b = f"transformer.h.{i}", f"blocks.{i}"
            qkv_w = hf_state[f"{h}.attn.c_attn.weight"].t().chunk(3, dim=0)  # Conv1D: (in, out)
            qkv_b = hf_state[f"{h}.attn.c_attn.bias"].chunk(3, dim=0)
            for name, w, bias in zip(("q", "k", "v"), qkv_w, qkv_b):
                sd[f"{b}.attn.{name}_proj.weight"], sd[f"{b}.attn.{name}_proj.bias"] = w, bias
            for old, new in rename.items():
                w = hf_state[f"{h}.{old}.weight"]
                sd[f"{b}.{new}.weight"] = w.t() if old.startswith(("attn", "mlp")) else w
                sd[f"{b}.{new}.bias"] = hf_state[f"{h}.{old}.bias"]
    else:
        rename = {"self_attn": "attn", "input_layernorm": "attn_norm",
                  "post_attention_layernorm": "mlp_norm"}  # fmt: skip
        sd["tok_emb.weight"] = hf_state["model.embed_tokens.weight"]
        sd["norm_f.weight"] = hf_state["model.norm.weight"]
        for key in _hf_shapes(config, family):
            if key.startswith("model.layers.") and ".mlp.experts." not in key:
                new = "blocks." + key[len("model.layers.") :]
                for old, repl in rename.items():
                    new = new.replace(old, repl)
                sd[new.replace(".mlp.gate.", ".mlp.router.")] = hf_state[key]
        if family == "mixtral":
            for i in range(config.n_layers):
                h, b = f"model.layers.{i}.mlp.experts", f"blocks.{i}.mlp.experts"
                gate_up, down = hf_state[f"{h}.gate_up_proj"], hf_state[f"{h}.down_proj"]
                for e in range(config.n_experts):
                    gate, up = gate_up[e].chunk(2, dim=0)  # HF: gate rows first, then up
                    sd[f"{b}.{e}.gate_proj.weight"], sd[f"{b}.{e}.up_proj.weight"] = gate, up
                    sd[f"{b}.{e}.down_proj.weight"] = down[e]
    if not config.tie_embeddings:
        sd["lm_head.weight"] = hf_state["lm_head.weight"]
    return {k: t.detach().clone().contiguous() for k, t in sd.items()}


def state_dict_to_hf(model: Transformer) -> dict[str, Tensor]:
    """minillm model -> HF state dict (the inverse of `state_dict_from_hf`)."""
    config, sd = model.config, model.state_dict()
    family, out = hf_family(config), {}
    if family == "gpt2":
        out["transformer.wte.weight"] = sd["tok_emb.weight"]
        out["transformer.wpe.weight"] = sd["pos_emb.weight"]
        for p in ("weight", "bias"):
            out[f"transformer.ln_f.{p}"] = sd[f"norm_f.{p}"]
        for i in range(config.n_layers):
            h, b = f"transformer.h.{i}", f"blocks.{i}"
            qkv = [sd[f"{b}.attn.{n}_proj.weight"] for n in "qkv"]
            out[f"{h}.attn.c_attn.weight"] = torch.cat(qkv, dim=0).t()
            out[f"{h}.attn.c_attn.bias"] = torch.cat([sd[f"{b}.attn.{n}_proj.bias"] for n in "qkv"])
            for old, new in (("ln_1", "attn_norm"), ("ln_2", "mlp_norm"), ("attn.c_proj", "attn.o_proj"),
                             ("mlp.c_fc", "mlp.up_proj"), ("mlp.c_proj", "mlp.down_proj")):  # fmt: skip
                w = sd[f"{b}.{new}.weight"]
                out[f"{h}.{old}.weight"] = w.t() if old.startswith(("attn", "mlp")) else w
                out[f"{h}.{old}.bias"] = sd[f"{b}.{new}.bias"]
    else:
        out["model.embed_tokens.weight"] = sd["tok_emb.weight"]
        out["model.norm.weight"] = sd["norm_f.weight"]
        for key, value in sd.items():
            if key.startswith("blocks.") and ".mlp.experts." not in key:
                new = "model.layers." + key[len("blocks.") :]
                new = new.replace(".attn.", ".self_attn.").replace("attn_norm", "input_layernorm")
                new = new.replace(".mlp.router.", ".mlp.gate.")
                out[new.replace("mlp_norm", "post_attention_layernorm")] = value
        if family == "mixtral":
            for i in range(config.n_layers):
                b, n = f"blocks.{i}.mlp.experts", range(config.n_experts)
                out[f"model.layers.{i}.mlp.experts.gate_up_proj"] = torch.stack(
                    [
                        torch.cat([sd[f"{b}.{e}.gate_proj.weight"], sd[f"{b}.{e}.up_proj.weight"]])
                        for e in n
                    ]
                )
                out[f"model.layers.{i}.mlp.experts.down_proj"] = torch.stack(
                    [sd[f"{b}.{e}.down_proj.weight"] for e in n]
                )
    out["lm_head.weight"] = sd["lm_head.weight"]  # the tied copy too: HF expects the key
    return {k: t.detach().clone().contiguous() for k, t in out.items()}


# -------------------------------------------------------------------- models
def from_hf(hf_model: Any) -> Transformer:
    """A minillm Transformer with the weights of a HF GPT2LMHeadModel, LlamaForCausalLM or
    MixtralForCausalLM."""
    config = config_from_hf(hf_model.config)
    model = Transformer(config)
    model.load_weights(state_dict_from_hf(hf_model.state_dict(), config))
    return model.to(next(hf_model.parameters()).dtype)


def to_hf(model: Transformer, attn_implementation: str = "eager") -> Any:
    """The HF GPT2LMHeadModel / LlamaForCausalLM / MixtralForCausalLM with the same weights,
    in eval mode."""
    transformers = import_transformers()

    hf_config = config_to_hf(model.config, attn_implementation)
    cls = {
        "gpt2": transformers.GPT2LMHeadModel,
        "llama": transformers.LlamaForCausalLM,
        "mixtral": transformers.MixtralForCausalLM,
    }[hf_config.model_type]
    hf_model = cls(hf_config)
    missing, unexpected = hf_model.load_state_dict(state_dict_to_hf(model), strict=False)
    if missing or unexpected:  # a mapping bug, not a user error: fail loudly
        raise ValueError(f"to_hf: HF model left tensors unset {missing}, unexpected {unexpected}")
    return hf_model.to(next(model.parameters()).dtype).eval()
