"""How much memory training takes: parameters, gradients, optimizer states, activations.

Bytes per parameter for Adam-family training (Rajbhandari et al., 2020, "ZeRO"):

    scheme        weights  grads  fp32 master  Adam m, v        total
    fp32             4       4         -        4 + 4          16
    mixed            2       2         4        4 + 4          16   (bf16/fp16 compute)
    mixed-8bit       2       2         4        1 + 1 (+ scales) ~10 (8-bit Adam, Dettmers 2022)
    fp32-8bit        4       4         -        1 + 1 (+ scales) ~10

Mixed precision does not save parameter memory by itself (the fp32 master copy and Adam's
moments dominate); it saves activation memory and time. 8-bit optimizer states store m and v as
int8 with one fp32 absmax scale per block of 2048 values.

Activations (what autograd saves for backward), per layer and per token, counted from the
operations of `minillm.layers` (pre-norm block, fused attention, no dropout):

    both norms: input and output            4 C
    q, attention output, o_proj input       3 C
    k and v as attention keeps them         2 kv   (kv = C by default: measured, torch's CPU
                                                    SDPA keeps K and V at all H heads even for
                                                    GQA; expand_kv=False counts H_kv * D)
    MLP: SwiGLU gate, up and their product  3 d_ff (GELU MLP: input and output, 2 d_ff)

RoPE keeps nothing per token: its hand-written backward (`minillm.kernels.eager`) needs only
the cos/sin tables, and SwiGLU's recomputes silu(gate) rather than keeping it.

in the compute dtype, plus the loss: the logits (B T V, fp32, kept by the output) and their
saved log-softmax, 2 * 4 bytes each. Naive (non-flash) attention adds its scores and
probabilities: 2 H T values per token. With gradient checkpointing a layer keeps only its input
(C per token) and one layer at a time is recomputed. `tests/test_train_memory_estimate.py` compares this
estimate with the bytes autograd really saves on small models (within 15%); the small rest is
per-token statistics (norm rstd, attention log-sum-exp) and integer ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from minillm.config import ModelConfig, count_params

# scheme -> (weight bytes, grad bytes, master-copy bytes, optimizer-state bytes) per parameter
BLOCK_8BIT = 2048  # values per absmax scale in 8-bit Adam
SCHEMES: dict[str, tuple[float, float, float, float]] = {
    "fp32": (4, 4, 0, 8),
    "mixed": (2, 2, 4, 8),
    "mixed-8bit": (2, 2, 4, 2 + 2 * 4 / BLOCK_8BIT),
    "fp32-8bit": (4, 4, 0, 2 + 2 * 4 / BLOCK_8BIT),
}
ACTIVATION_BYTES = {"fp32": 4, "mixed": 2, "mixed-8bit": 2, "fp32-8bit": 4}


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes of each part of training memory (see the module docstring for the formulas)."""

    scheme: str
    num_params: int
    params: int
    grads: int
    master: int
    optimizer: int
    activations: int

    @property
    def total(self) -> int:
        return self.params + self.grads + self.master + self.optimizer + self.activations

    @property
    def bytes_per_param(self) -> float:
        """Parameters, gradients, master copy and optimizer states per parameter (no activations)."""
        return (self.params + self.grads + self.master + self.optimizer) / self.num_params


def activation_bytes(
    config: ModelConfig,
    batch_size: int,
    seq_len: int,
    bytes_per_value: int = 4,
    flash_attention: bool = True,
    gradient_checkpointing: bool = False,
    expand_kv: bool = True,
) -> int:
    """Bytes autograd keeps for the backward pass of one forward pass (estimate, see above)."""
    if batch_size < 1 or seq_len < 1:
        raise ValueError(f"batch_size={batch_size} and seq_len={seq_len} must be >= 1")
    c, f, h = config.d_model, config.d_ff, config.n_heads
    kv_heads = config.n_heads if expand_kv else config.n_kv_heads
    kv = kv_heads * config.head_dim
    tokens = batch_size * seq_len
    mlp = 3 * f if config.activation == "swiglu" else 2 * f
    per_token = 7 * c + 2 * kv + mlp
    if not flash_attention:
        per_token += 2 * h * seq_len  # the (T, T) scores and probabilities, per head
    layer = tokens * per_token * bytes_per_value
    if flash_attention:
        layer += tokens * h * 4  # log-sum-exp per query and head, fp32
    loss = tokens * config.vocab_size * 4 * 2  # fp32 logits and log-softmax
    embed = tokens * c * bytes_per_value  # output of the embedding (input of block 0)
    if gradient_checkpointing:  # every block input, plus one block's internals in backward
        return config.n_layers * tokens * c * bytes_per_value + layer + loss + embed
    return config.n_layers * layer + loss + embed


def training_memory(
    config: ModelConfig,
    batch_size: int = 1,
    seq_len: int | None = None,
    scheme: str = "mixed",
    flash_attention: bool = True,
    gradient_checkpointing: bool = False,
) -> MemoryEstimate:
    """Memory to train `config` with AdamW under `scheme` ("fp32", "mixed", "mixed-8bit",
    "fp32-8bit"), for micro-batches of batch_size x seq_len tokens (default max_seq_len)."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme={scheme!r} is unknown; valid: {sorted(SCHEMES)}")
    seq_len = config.max_seq_len if seq_len is None else seq_len
    n = count_params(config)
    w, g, master, opt = SCHEMES[scheme]
    act = activation_bytes(
        config, batch_size, seq_len, ACTIVATION_BYTES[scheme], flash_attention,
        gradient_checkpointing,
    )  # fmt: skip
    return MemoryEstimate(
        scheme=scheme, num_params=n, params=int(n * w), grads=int(n * g),
        master=int(n * master), optimizer=int(round(n * opt)), activations=act,
    )  # fmt: skip


def memory_table(
    configs: dict[str, ModelConfig] | None = None,
    batch_size: int = 1,
    seq_len: int | None = None,
    schemes: tuple[str, ...] = ("fp32", "mixed", "mixed-8bit"),
    gradient_checkpointing: bool = False,
) -> list[dict[str, object]]:
    """One row per (model, scheme): GiB of each part. Default models: GPT-2 124M, Llama-2-7B."""
    if configs is None:
        configs = {
            "GPT-2 124M": ModelConfig.preset("gpt2-124m"),
            "Llama-2-7B": ModelConfig.preset("llama2-7b"),
        }
    gib = 1024**3
    rows = []
    for name, cfg in configs.items():
        for scheme in schemes:
            m = training_memory(cfg, batch_size, seq_len, scheme,
                                gradient_checkpointing=gradient_checkpointing)  # fmt: skip
            rows.append({
                "model": name, "scheme": scheme, "params_M": m.num_params / 1e6,
                "seq_len": seq_len or cfg.max_seq_len, "batch": batch_size,
                "weights_GiB": m.params / gib, "grads_GiB": m.grads / gib,
                "master_GiB": m.master / gib, "optimizer_GiB": m.optimizer / gib,
                "activations_GiB": m.activations / gib, "total_GiB": m.total / gib,
                "bytes_per_param": m.bytes_per_param,
            })  # fmt: skip
    return rows


def format_memory_table(rows: list[dict[str, object]]) -> str:
    """A fixed-width text table of `memory_table` rows."""
    cols = [("model", "{:<11}"), ("scheme", "{:<10}"), ("params_M", "{:>8.1f}"),
            ("bytes_per_param", "{:>6.1f}"), ("weights_GiB", "{:>8.2f}"),
            ("grads_GiB", "{:>8.2f}"), ("master_GiB", "{:>8.2f}"), ("optimizer_GiB", "{:>8.2f}"),
            ("activations_GiB", "{:>8.2f}"), ("total_GiB", "{:>8.2f}")]  # fmt: skip
    heads = ["model", "scheme", "params M", "B/par", "weights", "grads", "master", "Adam",
             "activ.", "total"]  # fmt: skip
    widths = [len(fmt.format(rows[0][k])) if rows else len(h) for (k, fmt), h in zip(cols, heads)]
    line = "  ".join(h.rjust(w) if i > 1 else h.ljust(w) for i, (h, w) in
                     enumerate(zip(heads, widths)))  # fmt: skip
    out = [line + "   (GiB)", "-" * len(line)]
    for r in rows:
        out.append("  ".join(fmt.format(r[k]) for k, fmt in cols))
    return "\n".join(out)
