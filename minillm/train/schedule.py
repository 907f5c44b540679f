"""The learning-rate schedule: linear warm-up, then a cosine decay to a floor.

    lr(step) = max_lr * (step + 1) / warmup_steps                          step < warmup_steps
             = min_lr + (max_lr - min_lr) * (1 + cos(pi * progress)) / 2   up to total_steps
             = min_lr                                                      after total_steps

with progress = (step - warmup_steps) / (total_steps - warmup_steps) in [0, 1]. Warm-up keeps the
first updates small while Adam's second-moment estimate is still noisy; the decay lets the
weights settle into a minimum instead of bouncing around it at the full rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class CosineSchedule:
    """lr as a pure function of the step (so a checkpoint only needs the step)."""

    max_lr: float
    total_steps: int
    warmup_steps: int = 0
    min_lr: float = 0.0

    def __post_init__(self) -> None:
        if not self.max_lr > 0:
            raise ValueError(f"max_lr={self.max_lr!r} must be > 0")
        if not 0 <= self.min_lr <= self.max_lr:
            raise ValueError(f"min_lr={self.min_lr!r} must be in [0, max_lr={self.max_lr}]")
        if self.total_steps < 1:
            raise ValueError(f"total_steps={self.total_steps!r} must be >= 1")
        if not 0 <= self.warmup_steps <= self.total_steps:
            raise ValueError(
                f"warmup_steps={self.warmup_steps!r} must be in [0, total_steps={self.total_steps}]"
            )

    def __call__(self, step: int) -> float:
        if step < 0:
            raise ValueError(f"step={step} must be >= 0")
        if step < self.warmup_steps:
            return self.max_lr * (step + 1) / self.warmup_steps
        if step >= self.total_steps:
            return self.min_lr
        progress = (step - self.warmup_steps) / max(1, self.total_steps - self.warmup_steps)
        return self.min_lr + (self.max_lr - self.min_lr) * 0.5 * (
            1.0 + math.cos(math.pi * progress)
        )


def cosine_lr(step: int, max_lr: float, total_steps: int, warmup_steps: int = 0,
              min_lr: float = 0.0) -> float:  # fmt: skip
    """Functional form of `CosineSchedule`."""
    return CosineSchedule(max_lr, total_steps, warmup_steps, min_lr)(step)
