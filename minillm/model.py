"""The decoder-only transformer: GPT-2 and Llama families from one ModelConfig.

    idx (B, T) -> token embedding (+ learned/sinusoidal positions) -> dropout
               -> n_layers pre-norm blocks (attention with RoPE/ALiBi inside, MLP)
               -> final norm -> lm_head -> logits (B, T, vocab_size)

`forward` returns a `TransformerOutput`: loss is the mean next-token cross-entropy when
`targets` are given (positions with target -100 are ignored), plus, in a mixture-of-experts
model, router_aux_loss_coef * aux_loss + router_z_loss_coef * z_loss (also reported apart).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import Tensor, nn

from minillm.config import ModelConfig, flops_per_token
from minillm.kernels import ops
from minillm.kernels._utils import range_check_wanted
from minillm.layers.attention import KVCache, padding_mask
from minillm.layers.block import Block
from minillm.layers.embedding import (
    LearnedPositionalEmbedding,
    SinusoidalPositionalEmbedding,
    TokenEmbedding,
)
from minillm.layers.moe import MoEStats, load_balancing_loss
from minillm.layers.norm import build_norm


@dataclass
class TransformerOutput:
    """logits: (B, T, V), or None when the forward was asked for the loss alone
    (return_logits=False); loss: 0-d float32 or None; attentions: per layer (B, H, T, S) or None.

    With MoE layers: lm_loss is the cross-entropy alone (loss adds the weighted router
    losses); aux_loss is the load-balancing loss pooled over the MoE layers' router logits
    (HF Mixtral's `load_balancing_loss_func`, padding left out), z_loss the z-losses averaged
    over the layers (both unweighted); moe_stats holds each MoE layer's `MoEStats`.
    """

    logits: Tensor | None
    loss: Tensor | None = None
    attentions: list[Tensor] | None = None
    lm_loss: Tensor | None = None
    aux_loss: Tensor | None = None
    z_loss: Tensor | None = None
    moe_stats: list[MoEStats] | None = None


class Transformer(nn.Module):
    """Decoder-only language model built from a ModelConfig.

        >>> model = Transformer(ModelConfig.preset("llama-tiny"))
        >>> out = model(idx, targets=targets)   # idx, targets: (B, T) int64
        >>> out.logits.shape, out.loss           # (B, T, vocab_size), 0-d tensor

    Submodules: tok_emb, pos_emb (learned/sinusoidal or None), blocks[i] (attn_norm, attn,
    mlp_norm, mlp), norm_f, lm_head (the same Parameter as tok_emb.weight when tied).
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        c = config.d_model
        self.tok_emb = TokenEmbedding(config.vocab_size, c)
        self.pos_emb: nn.Module | None = None
        if config.positions == "learned":
            self.pos_emb = LearnedPositionalEmbedding(config.max_seq_len, c)
        elif config.positions == "sinusoidal":
            self.pos_emb = SinusoidalPositionalEmbedding(c)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config, i) for i in range(config.n_layers))
        self.norm_f = build_norm(config.norm, c, config.norm_eps, config.bias)
        self.lm_head = nn.Linear(c, config.vocab_size, bias=False)
        if config.tie_embeddings:  # one matrix reads tokens in and scores them out (GPT-2)
            self.lm_head.weight = self.tok_emb.weight
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """GPT-2 init: N(0, init_std) for matrices and embeddings, zero biases, unit norms, and
        N(0, init_std / sqrt(2 n_layers)) for the projections that write into the residual
        stream (o_proj, down_proj): 2 n_layers of them add up, so the stream's variance stays
        ~constant with depth."""
        std = self.config.init_std
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                p.zero_()
            elif "norm" in name:
                p.fill_(1.0)
            elif name.endswith(("o_proj.weight", "down_proj.weight")):
                p.normal_(0.0, std / math.sqrt(2 * self.config.n_layers))
            else:
                p.normal_(0.0, std)

    # ------------------------------------------------------------------ forward
    def forward(
        self,
        idx: Tensor,
        targets: Tensor | None = None,
        attention_mask: Tensor | None = None,
        positions: Tensor | None = None,
        kv_cache: KVCache | None = None,
        return_attention: bool = False,
        return_logits: bool = True,
    ) -> TransformerOutput:
        """idx: (B, T) token ids -> TransformerOutput.

        targets: (B, T) next-token ids (-100 = ignore) -> output.loss.
        attention_mask: (B, S) 1 = real token, 0 = padding (S = cached + new tokens).
        positions: (T,) or (B, T) absolute positions; default: after the cached ones.
        kv_cache: a KVCache (see minillm.layers.attention) to read and extend.
        return_attention: compute attention by the reference path and return the weights.
        return_logits: False (with targets) computes the loss without ever holding the
            (B, T, V) logits: `ops.fused_linear_cross_entropy` takes the lm_head matmul and
            the loss a chunk of tokens at a time, gradients included. Same loss to float
            rounding, much less memory, and faster on a CPU; training uses it. logits is None.
        """
        if idx.dim() != 2 or idx.shape[1] == 0:
            raise ValueError(f"idx.shape={tuple(idx.shape)} must be (B, T) with T >= 1")
        if not return_logits and targets is None:
            raise ValueError(
                "return_logits=False returns the loss alone, so it needs targets; pass targets "
                "or leave return_logits=True"
            )
        if targets is not None and targets.shape != idx.shape:
            raise ValueError(
                f"targets.shape={tuple(targets.shape)} must equal idx.shape={tuple(idx.shape)}"
            )
        t = idx.shape[1]
        past = kv_cache.seq_len(0) if kv_cache is not None else 0
        if attention_mask is not None and tuple(attention_mask.shape) != (idx.shape[0], past + t):
            raise ValueError(  # shapes only: no device synchronisation
                f"attention_mask.shape={tuple(attention_mask.shape)} must be (B, S) = "
                f"({idx.shape[0]}, {past + t}): one 0/1 per cached ({past}) and new ({t}) token"
            )
        if targets is not None:  # values read on CPU or MINILLM_DEBUG_CHECKS=1 only
            check_targets(targets, self.config.vocab_size)
        if positions is None:
            positions = torch.arange(past, past + t, device=idx.device)
        limit = self.config.max_seq_len
        if self.config.positions == "learned" and past + t > limit:
            raise ValueError(
                f"sequence length {past + t} exceeds max_seq_len={limit}: learned positions "
                f"only exist for lengths 1..{limit} (crop the input, as generate() does)"
            )
        x = self.tok_emb(idx)
        if self.pos_emb is not None:
            x = x + self.pos_emb(positions).to(x.dtype)
        x = self.drop(x)
        mask = padding_mask(attention_mask) if attention_mask is not None else None
        attentions = [] if return_attention else None
        # the new tokens' own columns of the (B, S) mask: MoE layers leave padding unrouted
        token_mask = attention_mask[:, -t:] if attention_mask is not None else None
        for block in self.blocks:
            x = block(x, positions, mask, kv_cache, return_attention, token_mask)
            if return_attention:
                x, w = x
                attentions.append(w)
        h = self.norm_f(x)
        if return_logits:
            logits = self.lm_head(h)
            if targets is not None:
                lm_loss = ops.cross_entropy(logits.flatten(0, 1), targets.flatten())
        else:  # the lean loss path: the logits are never materialised
            logits = None
            w = self.lm_head.weight  # h and w may differ in dtype under autocast
            lm_loss = ops.fused_linear_cross_entropy(
                h.flatten(0, 1).to(w.dtype), w, targets.flatten(), self.lm_head.bias
            )
        out = TransformerOutput(logits, None, attentions)
        moe_stats = [b.mlp.last_stats for b in self.blocks if b.is_moe]
        if moe_stats:
            out.moe_stats = moe_stats
            # Pooled over the layers, as HF's load_balancing_loss_func (f and P are taken over
            # every layer's tokens at once; not the mean of the per-layer losses in moe_stats)
            out.aux_loss = load_balancing_loss(
                [s.router_logits for s in moe_stats],
                self.config.n_experts,
                self.config.experts_per_token,
                token_mask,
            )
            out.z_loss = torch.stack([s.z_loss for s in out.moe_stats]).mean()
        if targets is not None:
            out.loss = out.lm_loss = lm_loss
            if moe_stats:
                out.loss = out.lm_loss + self.config.router_aux_loss_coef * out.aux_loss
                out.loss = out.loss + self.config.router_z_loss_coef * out.z_loss
        return out

    # ------------------------------------------------------------------ accounting
    def num_params(self, non_embedding: bool = False) -> int:
        """Parameters (a tied matrix counts once). non_embedding=True leaves out the token
        and position tables, the convention of the scaling-law papers."""
        n = sum(p.numel() for p in self.parameters())
        if non_embedding:
            n -= sum(p.numel() for p in (self.tok_emb.parameters()))
            n -= sum(p.numel() for p in self.pos_emb.parameters()) if self.pos_emb else 0
        return n

    def flops_per_token(self, seq_len: int | None = None) -> int:
        """Training FLOPs per token, 6N + 12 L d T: see `minillm.config.flops_per_token`."""
        return flops_per_token(self.config, seq_len)

    # ------------------------------------------------------------------ sampling
    @torch.no_grad()
    def generate(
        self,
        idx: Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        greedy: bool = False,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        *,
        min_p: float | None = None,
        repetition_penalty: float = 1.0,
        eos_token_id: int | list[int] | None = None,
        attention_mask: Tensor | None = None,
        use_cache: bool = True,
    ) -> Tensor:
        """Append up to max_new_tokens sampled tokens to idx: (B, T) -> (B, T + n).

        greedy takes the argmax; otherwise sample from softmax(logits / temperature), kept to
        the top_k tokens and/or the smallest set whose probability reaches top_p (and min_p,
        repetition_penalty: `minillm.inference.sampling`). seed (or a torch.Generator) makes
        sampling reproducible. Dropout is off while generating.

        use_cache=True (the default): `minillm.inference.generate` with a KV cache (lesson 15),
        which also takes eos_token_id (rows that end are padded with it) and a left-padding
        attention_mask; the prompt plus max_new_tokens must fit in max_seq_len.
        use_cache=False: lesson 04's loop, rerunning the last max_seq_len tokens every step.
        """
        from minillm.inference.generate import check_token_ids
        from minillm.inference.generate import generate as generate_cached  # inference -> model
        from minillm.inference.sampling import SamplingParams

        params = SamplingParams(
            greedy=greedy, temperature=temperature, top_k=top_k, top_p=top_p, min_p=min_p,
            repetition_penalty=repetition_penalty,
        )  # fmt: skip
        if use_cache:
            out = generate_cached(
                self, idx, max_new_tokens, attention_mask=attention_mask, sampling=params,
                eos_token_id=eos_token_id, seed=seed, generator=generator,
            )  # fmt: skip
            return out.sequences
        if (eos_token_id, attention_mask, min_p) != (None, None, None) or repetition_penalty != 1:
            raise ValueError(
                "use_cache=False is lesson 04's plain loop: eos_token_id, attention_mask, min_p "
                "and repetition_penalty need use_cache=True"
            )
        check_token_ids(idx, self.config.vocab_size, max_new_tokens)
        if generator is None and seed is not None:
            generator = torch.Generator(device=idx.device).manual_seed(seed)
        was_training = self.training
        self.eval()
        for _ in range(max_new_tokens):
            logits = self(idx[:, -self.config.max_seq_len :]).logits[:, -1, :].float()
            if greedy:
                next_id = logits.argmax(dim=-1, keepdim=True)
            else:
                probs = torch.softmax(filter_logits(logits / temperature, top_k, top_p), -1)
                next_id = torch.multinomial(probs, 1, generator=generator)
            idx = torch.cat([idx, next_id], dim=1)
        self.train(was_training)
        return idx

    # ------------------------------------------------------------------ weights on disk
    def load_weights(self, state_dict: dict[str, Tensor]) -> None:
        """Copy a state dict in, raising ValueError naming any missing, unexpected or
        mis-shaped tensor (the tied lm_head.weight may be absent; if present it must equal
        tok_emb.weight)."""
        own = self.state_dict()
        optional = {"lm_head.weight"} if self.config.tie_embeddings else set()
        missing = sorted(set(own) - set(state_dict) - optional)
        unexpected = sorted(set(state_dict) - set(own))
        if missing or unexpected:
            raise ValueError(f"state dict mismatch: missing {missing}, unexpected {unexpected}")
        for name, tensor in state_dict.items():
            if tuple(tensor.shape) != tuple(own[name].shape):
                raise ValueError(
                    f"tensor {name!r} has shape {tuple(tensor.shape)}, expected "
                    f"{tuple(own[name].shape)} for this config"
                )
        head = state_dict.get("lm_head.weight")
        if self.config.tie_embeddings and head is not None:
            # One Parameter backs both names: loading two different matrices would keep
            # whichever load_state_dict copied last, silently.
            emb = state_dict["tok_emb.weight"]
            if not torch.equal(head.to(emb.device, emb.dtype), emb):
                diff = (head.double().cpu() - emb.double().cpu()).abs().max().item()
                raise ValueError(
                    "this model ties its embeddings (tie_embeddings=True), but the state dict's "
                    f"'lm_head.weight' differs from its 'tok_emb.weight' (max abs difference "
                    f"{diff:.3g}); load it into a config with tie_embeddings=False, or drop "
                    "'lm_head.weight'"
                )
        self.load_state_dict(state_dict, strict=False)

    def save(self, path: str | Path) -> None:
        """Weights to a .safetensors file, the config as JSON in its metadata."""
        tensors = {
            k: v.detach().contiguous().cpu()
            for k, v in self.state_dict().items()
            if not (self.config.tie_embeddings and k == "lm_head.weight")  # stored once
        }
        save_file(tensors, str(path), metadata={"config": self.config.to_json()})

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "cpu") -> Transformer:
        """Rebuild a model saved with `save`. A missing, truncated or corrupt file raises
        ValueError naming it (FileNotFoundError when it does not exist)."""
        if not Path(path).is_file():
            raise FileNotFoundError(f"model file {str(path)!r} does not exist")
        try:
            with safe_open(str(path), framework="pt", device=str(device)) as f:
                metadata = f.metadata() or {}
                tensors = {k: f.get_tensor(k) for k in f.keys()}
        except (SafetensorError, OSError, RuntimeError) as e:
            raise ValueError(
                f"{path} is not a readable .safetensors file ({e}): truncated, corrupt, or not "
                "written by Transformer.save"
            ) from None
        if "config" not in metadata:
            raise ValueError(
                f"{path} has no 'config' in its metadata: not saved by Transformer.save"
            )
        try:
            config = ModelConfig.from_json(metadata["config"])
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: the 'config' metadata is not valid JSON ({e})") from None
        model = cls(config).to(device)
        model.load_weights(tensors)
        return model


def check_targets(targets: Tensor, vocab_size: int, ignore_index: int = -100) -> None:
    """Raise ValueError unless every target is in [0, vocab_size) or ignore_index. The values
    are read only where `range_check_wanted` (CPU, or MINILLM_DEBUG_CHECKS=1; never while
    compiling): on a GPU the Trainer checks its token arrays once, where the data enters."""
    if targets.dtype.is_floating_point or targets.dtype == torch.bool:
        raise ValueError(f"targets must be an integer tensor, got dtype={targets.dtype}")
    if not range_check_wanted(targets):
        return
    bad = (targets != ignore_index) & ((targets < 0) | (targets >= vocab_size))
    if targets.numel() and bool(bad.any()):
        i = int(bad.flatten().nonzero()[0])
        raise ValueError(
            f"targets contain {int(targets.flatten()[i])} at flat index {i}; valid: ids in "
            f"[0, {vocab_size - 1}] or ignore_index={ignore_index}"
        )


def filter_logits(logits: Tensor, top_k: int | None = None, top_p: float | None = None) -> Tensor:
    """logits: (B, V) -> the same with everything outside top-k / nucleus top-p set to -inf.

    top_k keeps the k largest logits and every logit tied with the k-th. top_p (after top_k)
    keeps the smallest set of most likely tokens whose probability reaches top_p; a token tied
    with the last one kept stays too, so the set never depends on how a sort orders equal
    logits. The most likely token always stays; top_p=1 keeps everything.
    """
    if top_k is not None and top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        probs = torch.softmax(sorted_logits, dim=-1)
        # drop a token once the tokens strictly more likely already reach top_p: a run of tied
        # logits takes the mass before its first member
        before = probs.cumsum(-1) - probs
        starts = torch.ones_like(sorted_logits, dtype=torch.bool)
        starts[..., 1:] = sorted_logits[..., 1:] != sorted_logits[..., :-1]
        index = torch.arange(logits.shape[-1], device=logits.device).expand_as(starts)
        first = torch.where(starts, index, 0).cummax(-1).values
        drop_sorted = before.gather(-1, first) >= top_p
        drop = drop_sorted.scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits
