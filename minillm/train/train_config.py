"""TrainConfig: the hyper-parameters of a run, validated when it is built (not at step 1000)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from minillm.config import check_field_types, dataclass_from_dict
from minillm.train.schedule import CosineSchedule

PRECISIONS = ("fp32", "bf16", "fp16")


@dataclass
class TrainConfig:
    """Hyper-parameters of a run. Tokens per optimizer step = batch_size * grad_accum * seq_len."""

    batch_size: int = 16
    seq_len: int = 256
    grad_accum: int = 1
    max_steps: int = 1000
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup_steps: int = 50
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    eps: float = 1e-8
    grad_clip: float = 1.0  # 0 disables clipping
    precision: str = "fp32"  # "fp32", "bf16" (autocast, CPU or CUDA), "fp16" (+ loss scaling)
    grad_checkpointing: bool = False  # recompute each block's activations in backward
    compile: bool = False  # torch.compile the model
    eval_interval: int = 100  # steps between evaluations (0: only at the end)
    eval_batches: int = 20  # validation batches per evaluation
    log_interval: int = 1  # steps between history entries
    seed: int = 0  # data order (and dropout, through torch's RNG)
    deterministic: bool = True  # deterministic kernels (CPU embedding backward is not, else)

    def __post_init__(self) -> None:
        check_field_types(self)  # first: the range checks below compare numbers
        for name in ("batch_size", "seq_len", "grad_accum", "max_steps", "eval_batches"):
            if getattr(self, name) < 1:  # an int already (not a bool): check_field_types
                raise ValueError(f"{name}={getattr(self, name)!r} must be a positive int")
        for name in ("warmup_steps", "eval_interval"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}={getattr(self, name)!r} must be >= 0")
        if self.log_interval < 1:
            raise ValueError(f"log_interval={self.log_interval!r} must be >= 1")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision={self.precision!r} is unknown; valid: {PRECISIONS}")
        if not (self.grad_clip >= 0 and math.isfinite(self.grad_clip)):  # nan fails both
            raise ValueError(
                f"grad_clip={self.grad_clip!r} must be finite and >= 0 (0 disables it)"
            )
        if not (self.weight_decay >= 0 and math.isfinite(self.weight_decay)):
            raise ValueError(f"weight_decay={self.weight_decay!r} must be finite and >= 0")
        for name in ("beta1", "beta2"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name}={getattr(self, name)!r} must be in [0, 1)")
        if not self.eps > 0:
            raise ValueError(f"eps={self.eps!r} must be > 0")
        CosineSchedule(self.lr, self.max_steps, self.warmup_steps, self.min_lr)  # validates

    @property
    def tokens_per_step(self) -> int:
        return self.batch_size * self.grad_accum * self.seq_len

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        return dataclass_from_dict(cls, d)
