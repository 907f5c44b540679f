"""Convert between minillm `Transformer` and Hugging Face `GPT2LMHeadModel` / `LlamaForCausalLM`.

Same architecture, same numbers: after conversion the logits agree to float rounding. The two
renamings worth knowing:
  * GPT-2 stores its linear layers as `Conv1D` with weight (in, out), i.e. transposed
    relative to nn.Linear's (out, in), and fuses q, k, v into one `c_attn` of width 3C;
  * Llama's q/k weights are already in the rotate-half RoPE layout we use (no permutation).
transformers is imported lazily, so `import minillm.interop` works without it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from minillm.config import ModelConfig
from minillm.model import Transformer

GPT2_TANH_GELUS = ("gelu_new", "gelu_pytorch_tanh")


# -------------------------------------------------------------------- configs
def _require(hf_config: Any, field: str, valid: tuple) -> None:
    value = getattr(hf_config, field, valid[0])
    if value not in valid:
        name = type(hf_config).__name__
        raise ValueError(f"{name}.{field}={value!r} unsupported; valid: {valid}")


def config_from_hf(hf_config: Any) -> ModelConfig:
    """A ModelConfig for a HF GPT2Config or LlamaConfig; ValueError for what we cannot mirror."""
    kind = getattr(hf_config, "model_type", None)
    if kind == "gpt2":
        return _config_from_gpt2(hf_config)
    if kind == "llama":
        return _config_from_llama(hf_config)
    raise ValueError(f"model_type={kind!r} unsupported; valid: 'gpt2', 'llama'")


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


def _config_from_llama(hf: Any) -> ModelConfig:
    _require(hf, "hidden_act", ("silu",))
    _require(hf, "attention_bias", (False,))
    _require(hf, "mlp_bias", (False,))
    _require(hf, "head_dim", (hf.hidden_size // hf.num_attention_heads,))
    rope = dict(hf.rope_parameters)
    if rope.get("rope_type", "default") not in ("default", "linear"):
        raise ValueError(f"rope_type={rope['rope_type']!r} unsupported; valid: 'default', 'linear'")
    scaling = None
    if rope.get("rope_type") == "linear":  # position interpolation: our rope_scaling hook
        scaling = {"type": "linear", "factor": float(rope["factor"])}
    return ModelConfig(
        vocab_size=hf.vocab_size, d_model=hf.hidden_size, n_layers=hf.num_hidden_layers,
        n_heads=hf.num_attention_heads, n_kv_heads=hf.num_key_value_heads,
        d_ff=hf.intermediate_size, max_seq_len=hf.max_position_embeddings, norm="rmsnorm",
        norm_eps=hf.rms_norm_eps, activation="swiglu", positions="rope",
        rope_theta=float(rope["rope_theta"]), rope_scaling=scaling,
        tie_embeddings=hf.tie_word_embeddings, bias=False, dropout=float(hf.attention_dropout),
        init_std=hf.initializer_range, name="hf-llama",
    )  # fmt: skip


def hf_family(config: ModelConfig) -> str:
    """'gpt2' or 'llama' if `config` is exactly representable in HF, else ValueError."""
    gpt2 = dict(positions="learned", norm="layernorm", activation="gelu", bias=True,
                n_kv_heads=config.n_heads, rope_scaling=None)  # fmt: skip
    llama = dict(positions="rope", norm="rmsnorm", activation="swiglu", bias=False)
    for family, want in (("gpt2", gpt2), ("llama", llama)):
        if all(getattr(config, k) == v for k, v in want.items()):
            return family
    raise ValueError(
        f"config {config.name!r} matches neither HF family: GPT-2 needs {gpt2}; Llama needs {llama}"
    )


def config_to_hf(config: ModelConfig, attn_implementation: str = "eager") -> Any:
    """The HF GPT2Config / LlamaConfig for `config` (no bos/eos ids: our vocabularies vary)."""
    import transformers

    common = dict(vocab_size=config.vocab_size, tie_word_embeddings=config.tie_embeddings,
                  initializer_range=config.init_std, bos_token_id=None, eos_token_id=None,
                  attn_implementation=attn_implementation)  # fmt: skip
    if hf_family(config) == "gpt2":
        return transformers.GPT2Config(
            n_embd=config.d_model, n_layer=config.n_layers, n_head=config.n_heads,
            n_inner=config.d_ff, n_positions=config.max_seq_len, activation_function="gelu_new",
            layer_norm_epsilon=config.norm_eps, resid_pdrop=config.dropout,
            embd_pdrop=config.dropout, attn_pdrop=config.dropout, **common,
        )  # fmt: skip
    rope: dict[str, Any] = {"rope_type": "default", "rope_theta": config.rope_theta}
    if config.rope_scaling is not None:
        if config.rope_scaling["type"] != "linear":
            raise ValueError(
                f"rope_scaling={config.rope_scaling} has no HF equivalent here; valid: linear"
            )
        rope = {**rope, "rope_type": "linear", "factor": config.rope_scaling["factor"]}
    return transformers.LlamaConfig(
        hidden_size=config.d_model, num_hidden_layers=config.n_layers,
        num_attention_heads=config.n_heads, num_key_value_heads=config.n_kv_heads,
        intermediate_size=config.d_ff, max_position_embeddings=config.max_seq_len,
        rms_norm_eps=config.norm_eps, rope_parameters=rope, hidden_act="silu",
        attention_bias=False, mlp_bias=False, attention_dropout=config.dropout, **common,
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
            if key.startswith("model.layers."):
                new = "blocks." + key[len("model.layers.") :]
                for old, repl in rename.items():
                    new = new.replace(old, repl)
                sd[new] = hf_state[key]
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
            if key.startswith("blocks."):
                new = "model.layers." + key[len("blocks.") :]
                new = new.replace(".attn.", ".self_attn.").replace("attn_norm", "input_layernorm")
                out[new.replace("mlp_norm", "post_attention_layernorm")] = value
    out["lm_head.weight"] = sd["lm_head.weight"]  # the tied copy too: HF expects the key
    return {k: t.detach().clone().contiguous() for k, t in out.items()}


# -------------------------------------------------------------------- models
def from_hf(hf_model: Any) -> Transformer:
    """A minillm Transformer with the weights of a HF GPT2LMHeadModel or LlamaForCausalLM."""
    config = config_from_hf(hf_model.config)
    model = Transformer(config)
    model.load_weights(state_dict_from_hf(hf_model.state_dict(), config))
    return model.to(next(hf_model.parameters()).dtype)


def to_hf(model: Transformer, attn_implementation: str = "eager") -> Any:
    """The HF GPT2LMHeadModel / LlamaForCausalLM with the same weights, in eval mode."""
    import transformers

    hf_config = config_to_hf(model.config, attn_implementation)
    cls = (
        transformers.GPT2LMHeadModel
        if hf_config.model_type == "gpt2"
        else transformers.LlamaForCausalLM
    )
    hf_model = cls(hf_config)
    missing, unexpected = hf_model.load_state_dict(state_dict_to_hf(model), strict=False)
    if missing or unexpected:  # a mapping bug, not a user error: fail loudly
        raise ValueError(f"to_hf: HF model left tensors unset {missing}, unexpected {unexpected}")
    return hf_model.to(next(model.parameters()).dtype).eval()
