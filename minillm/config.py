"""ModelConfig: one validated dataclass describing every transformer in the course.

The GPT-2 family (learned positions, LayerNorm, GELU, biases, tied embeddings) and the Llama
family (RoPE, RMSNorm, SwiGLU, grouped-query attention, no biases, untied) are two settings of
the same fields. Presets name the shapes used in the lessons; `count_params` and
`flops_per_token` do the arithmetic for any config without allocating a single weight, so the
real GPT-2 124M and Llama-2-7B shapes can be studied on a laptop.

    >>> cfg = ModelConfig.preset("llama2-7b")
    >>> count_params(cfg)
    6738415616
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from minillm.rope_scaling import check_rope_scaling

NORMS = ("layernorm", "rmsnorm")
ACTIVATIONS = ("gelu", "swiglu")  # "gelu" is the tanh approximation, as in GPT-2
POSITIONS = ("learned", "sinusoidal", "rope", "alibi", "none")


def dataclass_from_dict(cls: type, d: dict[str, Any]) -> Any:
    """cls(**d), refusing unknown keys by name (a config saved by another version, a typo)."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields {unknown}; valid: {sorted(known)}")
    return cls(**d)


class ConfigTypeError(TypeError, ValueError):
    """A config field holds a value of the wrong type (a ValueError too: a bad config value)."""


def _type_ok(value: Any, hint: Any) -> bool:
    """Whether value fits the annotation: int excludes bool (a bool is an int in Python), float
    accepts int but not bool, X | None accepts None, dict[...] and list[...] check the container."""
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is not None:
        return isinstance(value, origin)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, hint)


def check_field_types(obj: Any) -> None:
    """Raise ConfigTypeError naming the first field of the dataclass `obj` whose value does not
    match its annotation (dropout="0.1", norm_eps=None, bias=1, d_model=64.0)."""
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        value, hint = getattr(obj, f.name), hints[f.name]
        if not _type_ok(value, hint):
            want = getattr(hint, "__name__", None) or str(hint)
            raise ConfigTypeError(
                f"{type(obj).__name__}.{f.name}={value!r} is a {type(value).__name__}; "
                f"valid: {want}" + (" (True/False)" if hint is bool else "")
            )


@dataclass
class ModelConfig:
    """Shape and flavour of a decoder-only transformer.

    n_kv_heads defaults to n_heads (plain multi-head attention); 1 gives multi-query attention,
    anything dividing n_heads gives grouped-query attention. d_ff defaults to 4 * d_model.
    rope_scaling stretches RoPE past the trained context (lesson 05), e.g.
    {"type": "linear", "factor": 4.0} or {"type": "yarn", "factor": 4.0,
    "original_max_seq_len": 128}; see `minillm.rope_scaling` for the types and their keys.

    Mixture of experts (lesson 06; see `minillm.layers.moe`): n_experts > 0 replaces the MLP
    of every moe_every-th layer (layers i with (i + 1) % moe_every == 0, the Qwen-MoE
    convention: 1 = every layer, 2 = layers 1, 3, 5, ...) by n_experts MLPs of width d_ff
    and a router sending each token to experts_per_token of them. renormalize_topk rescales
    the top-k router probabilities to sum to 1 (Mixtral); capacity_factor (None = no limit)
    caps each expert at ceil(capacity_factor * tokens * k / n_experts) token slots and drops
    the rest; shared_expert adds one always-on MLP (DeepSeek-MoE). The load-balancing and
    z-losses are added to the training loss with router_aux_loss_coef, router_z_loss_coef.
    """

    vocab_size: int = 256
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 4
    n_kv_heads: int | None = None
    d_ff: int | None = None
    max_seq_len: int = 128
    norm: str = "layernorm"
    norm_eps: float = 1e-5
    activation: str = "gelu"
    positions: str = "learned"
    rope_theta: float = 10000.0
    rope_scaling: dict[str, Any] | None = None
    tie_embeddings: bool = True
    bias: bool = True
    dropout: float = 0.0
    init_std: float = 0.02
    n_experts: int = 0
    experts_per_token: int = 2
    moe_every: int = 1
    capacity_factor: float | None = None
    shared_expert: bool = False
    renormalize_topk: bool = True
    router_aux_loss_coef: float = 0.01
    router_z_loss_coef: float = 0.001
    name: str = field(default="custom", compare=False)

    def __post_init__(self) -> None:
        if self.n_kv_heads is None:
            self.n_kv_heads = self.n_heads
        if self.d_ff is None:
            self.d_ff = 4 * self.d_model
        self.validate()

    @property
    def head_dim(self) -> int:
        """Width of one attention head: d_model // n_heads."""
        return self.d_model // self.n_heads

    def is_moe_layer(self, layer_idx: int) -> bool:
        """Whether layer `layer_idx` (0-based) has a mixture of experts instead of an MLP."""
        return self.n_experts > 0 and (layer_idx + 1) % self.moe_every == 0

    @property
    def n_moe_layers(self) -> int:
        return sum(self.is_moe_layer(i) for i in range(self.n_layers))

    def validate(self) -> None:
        """Raise ValueError naming the first bad field and what would be valid."""
        for name in ("vocab_size", "d_model", "n_layers", "n_heads", "n_kv_heads", "d_ff"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name}={value!r} must be a positive integer (>= 1)")
        if not isinstance(self.max_seq_len, int) or self.max_seq_len <= 0:
            raise ValueError(f"max_seq_len={self.max_seq_len!r} must be a positive integer (>= 1)")
        check_field_types(self)  # every other field, before comparing any of them
        if self.d_model % self.n_heads:
            raise ValueError(
                f"d_model={self.d_model} must be divisible by n_heads={self.n_heads} "
                f"(valid n_heads: divisors of {self.d_model})"
            )
        if self.n_heads % self.n_kv_heads:
            raise ValueError(
                f"n_kv_heads={self.n_kv_heads} must divide n_heads={self.n_heads} "
                f"(valid: a divisor of {self.n_heads}, from 1 (MQA) to {self.n_heads} (MHA))"
            )
        for name, valid in (("norm", NORMS), ("activation", ACTIVATIONS), ("positions", POSITIONS)):
            if getattr(self, name) not in valid:
                raise ValueError(f"{name}={getattr(self, name)!r} is unknown; valid: {valid}")
        if self.positions == "rope" and self.head_dim % 2:
            raise ValueError(
                f"positions='rope' needs an even head_dim, got head_dim={self.head_dim} "
                f"(d_model={self.d_model} / n_heads={self.n_heads})"
            )
        if self.positions == "sinusoidal" and self.d_model % 2:
            raise ValueError(f"positions='sinusoidal' needs an even d_model, got {self.d_model}")
        if not self.norm_eps > 0:
            raise ValueError(f"norm_eps={self.norm_eps!r} must be > 0")
        if not self.rope_theta > 0:
            raise ValueError(f"rope_theta={self.rope_theta!r} must be > 0")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout={self.dropout!r} must be in [0, 1)")
        if not self.init_std > 0:
            raise ValueError(f"init_std={self.init_std!r} must be > 0")
        if self.rope_scaling is not None:
            check_rope_scaling(self.rope_scaling)
            if self.positions != "rope":
                raise ValueError(
                    f"rope_scaling={self.rope_scaling!r} needs positions='rope', "
                    f"got positions={self.positions!r}"
                )
        self._validate_moe()

    def _validate_moe(self) -> None:
        for name in ("n_experts", "experts_per_token", "moe_every"):
            value, low = getattr(self, name), 0 if name == "n_experts" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name}={value!r} must be an integer >= {low}")
        if self.n_experts and self.experts_per_token > self.n_experts:
            raise ValueError(
                f"experts_per_token={self.experts_per_token} must be <= n_experts="
                f"{self.n_experts} (top-k picks k of the n_experts experts)"
            )
        cf = self.capacity_factor
        if cf is not None and (isinstance(cf, bool) or not isinstance(cf, (int, float)) or cf <= 0):
            raise ValueError(
                f"capacity_factor={cf!r} must be > 0 (1.0 = exactly the balanced share of "
                "tokens per expert) or None for no capacity limit"
            )
        for name in ("router_aux_loss_coef", "router_z_loss_coef"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name}={getattr(self, name)!r} must be >= 0")

    # ---------------------------------------------------------------- (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        return dataclass_from_dict(cls, d)

    @classmethod
    def from_json(cls, s: str) -> ModelConfig:
        return cls.from_dict(json.loads(s))

    def replace(self, **changes: Any) -> ModelConfig:
        """A validated copy with some fields changed: cfg.replace(n_layers=4)."""
        return dataclasses.replace(self, **changes)

    # ---------------------------------------------------------------- presets
    @classmethod
    def preset(cls, name: str, **overrides: Any) -> ModelConfig:
        """A named shape; keyword overrides change fields: preset("gpt2-tiny", n_layers=4)."""
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; valid: {sorted(PRESETS)}")
        return cls(**{**PRESETS[name], "name": name, **overrides})


_GPT2 = dict(norm="layernorm", norm_eps=1e-5, activation="gelu", positions="learned",
             tie_embeddings=True, bias=True)  # fmt: skip
_LLAMA = dict(norm="rmsnorm", norm_eps=1e-5, activation="swiglu", positions="rope",
              tie_embeddings=False, bias=False)  # fmt: skip
# Arithmetic only: GQA with 8 KV heads for 32, a 128K vocabulary (Grattafiori et al. 2024).
_LLAMA3_8B = dict(_LLAMA, vocab_size=128256, d_model=4096, n_layers=32, n_heads=32, n_kv_heads=8,
                  d_ff=14336, max_seq_len=8192, rope_theta=5e5)  # fmt: skip

# Tiny shapes train in seconds on a CPU; the real ones are for arithmetic only.
PRESETS: dict[str, dict[str, Any]] = {
    "gpt2-tiny": dict(_GPT2, vocab_size=512, d_model=64, n_layers=2, n_heads=4, max_seq_len=128),
    "llama-tiny": dict(
        _LLAMA,
        vocab_size=512,
        d_model=64,
        n_layers=2,
        n_heads=4,
        n_kv_heads=2,
        d_ff=176,
        max_seq_len=128,
    ),  # fmt: skip
    "gpt2-124m": dict(
        _GPT2, vocab_size=50257, d_model=768, n_layers=12, n_heads=12, max_seq_len=1024
    ),  # fmt: skip
    "llama2-7b": dict(
        _LLAMA,
        vocab_size=32000,
        d_model=4096,
        n_layers=32,
        n_heads=32,
        d_ff=11008,
        max_seq_len=4096,
        norm_eps=1e-5,
    ),  # fmt: skip
    # Arithmetic only: GQA with 8 KV heads for 64 query heads (Touvron et al. 2023, table 1).
    "llama2-70b": dict(
        _LLAMA,
        vocab_size=32000,
        d_model=8192,
        n_layers=80,
        n_heads=64,
        n_kv_heads=8,
        d_ff=28672,
        max_seq_len=4096,
    ),  # fmt: skip
    "llama3-8b": _LLAMA3_8B,
    # Arithmetic only: 8 SwiGLU experts per layer, 2 per token (Jiang et al. 2024).
    "mixtral-8x7b": dict(
        _LLAMA,
        vocab_size=32000,
        d_model=4096,
        n_layers=32,
        n_heads=32,
        n_kv_heads=8,
        d_ff=14336,
        max_seq_len=32768,
        rope_theta=1e6,
        n_experts=8,
        experts_per_token=2,
        router_aux_loss_coef=0.02,
        router_z_loss_coef=0.0,
    ),  # fmt: skip
    # A tiny MoE that trains in seconds (lesson 06).
    "moe-tiny": dict(
        _LLAMA,
        vocab_size=512,
        d_model=64,
        n_layers=2,
        n_heads=4,
        n_kv_heads=2,
        d_ff=128,
        max_seq_len=128,
        n_experts=4,
        experts_per_token=2,
    ),  # fmt: skip
}


# -------------------------------------------------------------------- arithmetic
def _mlp_params(config: ModelConfig) -> int:
    c, f, b = config.d_model, config.d_ff, int(config.bias)
    n_in = 2 if config.activation == "swiglu" else 1  # SwiGLU has a gate and an up projection
    return n_in * (c * f + f * b) + (f * c + c * b)


def _param_counts(config: ModelConfig) -> tuple[int, int]:
    """(total, active per token): they differ only in the experts a token does not visit."""
    c, b = config.d_model, int(config.bias)
    kv = config.n_kv_heads * config.head_dim
    norm = c * (2 if config.norm == "layernorm" and config.bias else 1)
    attn = (c * c + c * b) + 2 * (c * kv + kv * b) + (c * c + c * b)  # q, k, v, o
    mlp = _mlp_params(config)
    total = active = 0
    for i in range(config.n_layers):
        if config.is_moe_layer(i):  # router (no bias) + experts (+ the shared expert)
            shared = mlp if config.shared_expert else 0
            total += attn + 2 * norm + c * config.n_experts + config.n_experts * mlp + shared
            active += attn + 2 * norm + c * config.n_experts + config.experts_per_token * mlp
            active += shared
        else:
            total += attn + 2 * norm + mlp
            active += attn + 2 * norm + mlp
    embed = config.vocab_size * c
    pos = config.max_seq_len * c if config.positions == "learned" else 0
    head = 0 if config.tie_embeddings else config.vocab_size * c
    rest = embed + pos + norm + head
    return total + rest, active + rest


def count_params(config: ModelConfig) -> int:
    """Number of parameters of `Transformer(config)`, computed from the shapes alone.

    Tied embeddings count once. GPT-2 124M -> 124,439,808; Llama-2-7B -> 6,738,415,616;
    Mixtral 8x7B -> 46,702,792,704 (every expert counts).
    """
    return _param_counts(config)[0]


def count_active_params(config: ModelConfig) -> int:
    """Parameters one token passes through: with a mixture of experts, only its
    experts_per_token experts (and the shared one) of each MoE layer count. Equal to
    `count_params` for a dense model. Mixtral 8x7B -> 12,879,925,248."""
    return _param_counts(config)[1]


def flops_per_token(config: ModelConfig, seq_len: int | None = None) -> int:
    """Training FLOPs per token (forward + backward), the Kaplan/PaLM "6N + attention" rule.

    6N: each matmul weight multiplies and adds once per token forward (2N), twice backward
    (4N); N = `matmul_params`. Attention adds 12 * n_layers * d_model * seq_len (QK^T and AV:
    2 matmuls of 2*T*d_model FLOPs each, times 3 for forward+backward), over the full context
    as in nanoGPT and PaLM (a causal kernel can skip about half). seq_len: max_seq_len default.
    """
    t = config.max_seq_len if seq_len is None else seq_len
    if t <= 0:
        raise ValueError(f"seq_len={t} must be positive")
    return 6 * matmul_params(config) + 12 * config.n_layers * config.d_model * t


def matmul_params(config: ModelConfig) -> int:
    """N of `flops_per_token` (and what a decode step reads): the active parameters but the
    token/position lookup tables; the output head counts, tied or not."""
    tables = 0 if config.tie_embeddings else config.vocab_size * config.d_model
    tables += config.max_seq_len * config.d_model if config.positions == "learned" else 0
    return count_active_params(config) - tables


def kv_cache_bytes(
    config: ModelConfig, seq_len: int, batch_size: int = 1, bytes_per_value: int = 2
) -> int:
    """Memory of a full KV cache: 2 (K and V) * n_layers * n_kv_heads * head_dim * tokens.

    bytes_per_value: 2 for fp16/bf16, 4 for fp32, 1 for int8. Llama-2-7B at 4096 tokens in
    fp16 needs 2 GiB per sequence; grouped-query attention divides it by n_heads / n_kv_heads.
    """
    if seq_len < 0 or batch_size < 0 or bytes_per_value <= 0:
        raise ValueError(
            f"seq_len={seq_len}, batch_size={batch_size} must be >= 0 and "
            f"bytes_per_value={bytes_per_value} > 0"
        )
    per_token = 2 * config.n_layers * config.n_kv_heads * config.head_dim * bytes_per_value
    return per_token * seq_len * batch_size
