"""The training loop: batches in, AdamW steps out, with the safety rails of a real run.

    >>> trainer = Trainer(model, train_tokens, val_tokens, TrainConfig(max_steps=300))
    >>> history = trainer.fit()                 # tqdm bar; evaluates every eval_interval steps
    >>> trainer.evaluate()                      # {"loss": ..., "perplexity": ...}
    >>> trainer.save_checkpoint("ckpt/")        # writes ckpt/step-000300/; ... later, anew:
    >>> trainer = Trainer.resume("ckpt/", model, train_tokens, val_tokens)  # newest complete

One optimizer step (`train_step`):
  1. lr = schedule(step), written into the optimizer;
  2. grad_accum micro-batches: forward under autocast (bf16/fp16) or in fp32, each loss weighted
     by its share of the step's targets,
     backward (the gradients add up: the mean over grad_accum * batch_size sequences);
  3. a NaN/inf loss raises `NonFiniteLossError` naming the step, before any update;
  4. fp16 only: unscale the gradients (the loss was multiplied by the scaler's factor so small
     gradients do not flush to zero in fp16), skip the step if any is inf;
  5. clip the global gradient norm, AdamW step, zero the gradients.
"""

from __future__ import annotations

import contextlib
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from minillm.data.dataset import RandomWindows, SequentialWindows, check_token_array
from minillm.train.checkpoint import (
    KEEP_LAST,
    CheckpointError,
    TrainerState,
    find_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from minillm.train.optim import AdamW, clip_grad_norm, param_groups
from minillm.train.recompute import enable_gradient_checkpointing
from minillm.train.schedule import CosineSchedule
from minillm.train.train_config import TrainConfig

# Fields that may change when resuming without changing the numbers of the run.
RESUME_MAY_DIFFER = frozenset(
    {"eval_interval", "eval_batches", "compile", "log_interval", "deterministic"}
)


class NonFiniteLossError(RuntimeError):
    """The loss became NaN or inf: training stopped before applying that step."""


def autocast(precision: str, device_type: str) -> contextlib.AbstractContextManager:
    """The forward-pass context for a precision: autocast to bf16/fp16, or nothing for fp32.

    Autocast runs matmuls in half precision but keeps the weights (and so the optimizer's
    update) in fp32: the "fp32 master weights" of mixed-precision training come for free."""
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type, dtype=dtype)


@contextlib.contextmanager
def deterministic_algorithms(enabled: bool = True):
    """Run the block with `torch.use_deterministic_algorithms(True, warn_only=True)`, then
    restore the previous setting.

    Why: the backward of an embedding lookup adds many token gradients into the same rows; on
    CPU, torch does that in parallel and the order of the additions (so the float rounding)
    varies from run to run once a batch has a few thousand tokens. The deterministic version
    sorts the ids first. warn_only: ops with no deterministic version warn instead of failing.
    """
    if not enabled:
        yield
        return
    previous = torch.are_deterministic_algorithms_enabled()
    previous_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous, warn_only=previous_warn)


def accumulate_gradients(
    model: nn.Module,
    micro_batches: list[tuple[Tensor, Tensor]],
    precision: str = "fp32",
    loss_scale: Any = None,
    ignore_index: int = -100,
) -> float:
    """Forward + backward over micro-batches, adding up to the gradient of the mean loss.

    The model's loss is a mean over each micro-batch's counted targets (those != ignore_index).
    Weighting each one by its share of all counted targets makes the summed gradient equal the
    gradient of the mean over every target of every micro-batch: 4 micro-batches of 4 sequences
    give the gradient of one batch of 16, also when loss masking (SFT) leaves the micro-batches
    with different numbers of targets (tests/test_train.py checks both).
    Returns the mean loss (a float). loss_scale: a GradScaler (fp16) or None.
    The model is called as model(x, targets=y, return_logits=False) (a `Transformer`, or
    anything with that signature returning an object with .loss): the loss without the
    (B, T, V) logits, which training never looks at.
    """
    counts = [int((y != ignore_index).sum()) for _, y in micro_batches]
    total_targets = sum(counts)
    if total_targets == 0:
        raise ValueError(
            f"every target is ignore_index={ignore_index}: there is nothing to learn from"
        )
    total = 0.0
    device_type = next(model.parameters()).device.type
    for (x, y), count in zip(micro_batches, counts):
        if count == 0:  # no targets: its mean loss is undefined and its gradient zero
            continue
        with autocast(precision, device_type):
            loss = model(x, targets=y, return_logits=False).loss * (count / total_targets)
        (loss_scale.scale(loss) if loss_scale is not None else loss).backward()
        total += loss.item()
    return total


@torch.no_grad()
def evaluate(
    model: nn.Module,
    tokens: np.ndarray,
    batch_size: int,
    seq_len: int,
    max_batches: int | None = None,
    precision: str = "fp32",
) -> dict[str, float]:
    """Mean next-token loss over consecutive windows of `tokens` and its perplexity exp(loss).

    Every window counts once (`SequentialWindows.epoch`), up to max_batches batches. Perplexity
    is the effective number of tokens the model is choosing between: exp(mean -log p).
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    total, count = 0.0, 0
    for i, (x, y) in enumerate(SequentialWindows(tokens, batch_size, seq_len).epoch()):
        if max_batches is not None and i >= max_batches:
            break
        with autocast(precision, device.type):
            loss = model(x.to(device), targets=y.to(device), return_logits=False).loss
        total += loss.item() * y.numel()
        count += y.numel()
    model.train(was_training)
    mean = total / count
    return {"loss": mean, "perplexity": math.exp(mean)}


class Trainer:
    """Owns the optimizer, schedule, data position and history of one training run."""

    def __init__(
        self,
        model: nn.Module,
        train_tokens: np.ndarray,
        val_tokens: np.ndarray | None = None,
        config: TrainConfig | None = None,
        checkpoint_dir: str | os.PathLike | None = None,
        checkpoint_interval: int = 0,
        keep_checkpoints: int = KEEP_LAST,
    ) -> None:
        self.config = config = config or TrainConfig()
        self.model = model
        self.device = next(model.parameters()).device
        if config.precision == "fp16" and self.device.type not in ("cuda", "cpu"):
            raise ValueError(f"precision='fp16' needs a CUDA or CPU model, got {self.device}")
        self.train_tokens, self.val_tokens = train_tokens, val_tokens
        self._check_data(model, config)
        self.data = RandomWindows(train_tokens, config.batch_size, config.seq_len, config.seed)
        self.optimizer = AdamW(
            param_groups(model, config.weight_decay),
            lr=config.lr,
            betas=(config.beta1, config.beta2),
            eps=config.eps,
        )
        self.schedule = CosineSchedule(
            config.lr, config.max_steps, config.warmup_steps, config.min_lr
        )
        # fp16 overflows above 65504 and flushes below ~6e-8: scale the loss so gradients land
        # in range, unscale before the update, and skip steps whose gradients overflowed.
        self.scaler = torch.amp.GradScaler(self.device.type) if config.precision == "fp16" else None
        if config.grad_checkpointing:
            enable_gradient_checkpointing(model)
        self.forward_model = torch.compile(model) if config.compile else model
        self.step = 0
        self.history: list[dict[str, float]] = []
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None
        self.checkpoint_interval = checkpoint_interval
        if (
            isinstance(keep_checkpoints, bool)
            or not isinstance(keep_checkpoints, int)
            or keep_checkpoints < 1
        ):
            raise ValueError(f"keep_checkpoints={keep_checkpoints!r} must be an int >= 1")
        self.keep_checkpoints = keep_checkpoints
        # set by load_checkpoint: the step folder read, and why newer ones were skipped
        self.resumed_from: Path | None = None
        self.skipped_checkpoints: list[str] = []

    def _check_data(self, model: nn.Module, config: TrainConfig) -> None:
        """Fail now, not hours in: token arrays of integers within the vocabulary (the one
        place the data enters, so the forward needs no per-batch check), validation text of
        at least one window, and windows the model's positions cover."""
        model_config = getattr(model, "config", None)
        limit = getattr(model_config, "max_seq_len", None)
        if limit is not None and config.seq_len > limit:
            raise ValueError(
                f"seq_len={config.seq_len} exceeds the model's max_seq_len={limit} "
                f"(positions: {model_config.positions!r}); valid: seq_len <= {limit}"
            )
        vocab = getattr(model_config, "vocab_size", None)
        for name, tokens in (("train_tokens", self.train_tokens), ("val_tokens", self.val_tokens)):
            if tokens is None:
                continue
            check_token_array(tokens, name, vocab)
            if len(tokens) < config.seq_len + 1:
                raise ValueError(
                    f"{name} has {len(tokens)} tokens, too few for one window of seq_len="
                    f"{config.seq_len} (need seq_len + 1 = {config.seq_len + 1})"
                )

    # ------------------------------------------------------------------ one step
    def train_step(self) -> dict[str, float]:
        """One optimizer step (grad_accum micro-batches); returns its log entry."""
        cfg = self.config
        lr = self.schedule(self.step)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.model.train()
        batches = [
            tuple(t.to(self.device) for t in self.data.next_batch()) for _ in range(cfg.grad_accum)
        ]
        with deterministic_algorithms(cfg.deterministic):
            loss = accumulate_gradients(self.forward_model, batches, cfg.precision, self.scaler)
        if not math.isfinite(loss):
            self.optimizer.zero_grad(set_to_none=True)
            raise NonFiniteLossError(
                f"loss is {loss} at step {self.step} (lr={lr:.3g}); stopped before updating the "
                "weights. Try a lower lr, a longer warm-up, grad_clip, or bf16 instead of fp16."
            )
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        params = [p for p in self.model.parameters() if p.grad is not None]
        norm = clip_grad_norm(params, cfg.grad_clip) if cfg.grad_clip > 0 else None
        if self.scaler is not None:
            self.scaler.step(self.optimizer)  # skipped if the unscaled grads hold inf/nan
            self.scaler.update()
        else:
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        entry = {"step": self.step, "loss": loss, "lr": lr}
        if norm is not None:
            entry["grad_norm"] = float(norm)
        self.step += 1
        return entry

    def evaluate(self, max_batches: int | None = None) -> dict[str, float]:
        """Validation loss and perplexity (needs val_tokens)."""
        if self.val_tokens is None:
            raise ValueError("this Trainer has no val_tokens to evaluate on")
        cfg = self.config
        n = cfg.eval_batches if max_batches is None else max_batches
        return evaluate(self.model, self.val_tokens, cfg.batch_size, cfg.seq_len, n, cfg.precision)

    # ------------------------------------------------------------------ the loop
    def fit(self, progress: bool = True, until_step: int | None = None) -> list[dict[str, float]]:
        """Train until max_steps (or until_step, to stop early and resume later).

        Evaluates every eval_interval steps and after the last step (entries with "val_loss"),
        checkpoints every checkpoint_interval steps into checkpoint_dir. Returns the history.
        """
        cfg = self.config
        stop = cfg.max_steps if until_step is None else min(until_step, cfg.max_steps)
        bar = tqdm(
            total=cfg.max_steps, initial=self.step, desc="training", unit="step",
            disable=not progress,
        )  # fmt: skip
        while self.step < stop:
            entry = self.train_step()
            done = self.step == cfg.max_steps
            if self.val_tokens is not None and (
                done or (cfg.eval_interval and self.step % cfg.eval_interval == 0)
            ):
                ev = self.evaluate()
                entry["val_loss"], entry["val_perplexity"] = ev["loss"], ev["perplexity"]
            if entry["step"] % cfg.log_interval == 0 or "val_loss" in entry or done:
                self.history.append(entry)
            bar.update(1)
            bar.set_postfix(loss=f"{entry['loss']:.3f}", lr=f"{entry['lr']:.2e}")
            if (
                self.checkpoint_dir is not None
                and self.checkpoint_interval
                and self.step % self.checkpoint_interval == 0
            ):
                self.save_checkpoint(self.checkpoint_dir)
        bar.close()
        return self.history

    # ------------------------------------------------------------------ checkpoints
    def save_checkpoint(self, path: str | os.PathLike) -> Path:
        """Save weights, optimizer, schedule step, data position, RNG and history to the new
        folder `path/step-NNNNNN` (atomically; the keep_checkpoints newest stay); return it."""
        state = TrainerState(
            step=self.step,
            model_config=self.model.config.to_dict(),
            train_config=self.config.to_dict(),
            data=self.data.state_dict(),
            scaler=self.scaler.state_dict() if self.scaler is not None else None,
            history=list(self.history),
        )
        return save_checkpoint(path, self.model, self.optimizer, state, self.keep_checkpoints)

    def load_checkpoint(self, path: str | os.PathLike | TrainerState) -> None:
        """Restore a checkpoint saved by `save_checkpoint` into this trainer: `path` is a
        checkpoint root (its newest complete step folder), one step folder, or the state
        `find_checkpoint` returned. A different TrainConfig is refused before any weight moves."""
        state = path if isinstance(path, TrainerState) else find_checkpoint(path)
        live = self.config.to_dict()
        diff = [
            f"{k}: checkpoint {state.train_config.get(k)!r}, now {live[k]!r}"
            for k in sorted(live)
            if k not in RESUME_MAY_DIFFER and state.train_config.get(k) != live[k]
        ]
        if diff:
            raise CheckpointError(
                f"checkpoint {state.path!r} was trained with a different TrainConfig (resuming "
                "would not continue the same run): " + "; ".join(diff)
            )
        load_checkpoint(state, self.model, self.optimizer, self.model.config.to_dict())
        self.step = state.step
        self.data.load_state_dict(state.data)
        if self.scaler is not None and state.scaler:
            self.scaler.load_state_dict(state.scaler)
        self.history = list(state.history)
        self.resumed_from, self.skipped_checkpoints = Path(state.path), list(state.skipped)

    @classmethod
    def resume(
        cls,
        path: str | os.PathLike,
        model: nn.Module,
        train_tokens: np.ndarray,
        val_tokens: np.ndarray | None = None,
        config: TrainConfig | None = None,
        **kwargs: Any,
    ) -> Trainer:
        """A Trainer continuing the run saved at `path`, a checkpoint root (its newest complete
        step folder) or one step folder (config defaults to the saved one)."""
        found = find_checkpoint(path)  # resolved (and sha256-checked) once
        if config is None:
            config = TrainConfig.from_dict(found.train_config)
        trainer = cls(model, train_tokens, val_tokens, config, **kwargs)
        trainer.load_checkpoint(found)
        return trainer
