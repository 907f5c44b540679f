"""minillm.train: the pre-training stack of lesson 08 (and the sweeps of lesson 09).

optim       AdamW (written out), param_groups, clip_grad_norm
schedule    CosineSchedule: linear warm-up + cosine decay
trainer     TrainConfig, Trainer (accumulation, mixed precision, NaN stop), evaluate
checkpoint  save_checkpoint / load_checkpoint: atomic step folders (safetensors + JSON), keep-last-K
recompute   enable_gradient_checkpointing
memory_estimate  training-memory accounting for any ModelConfig (params, grads, Adam, activations)
recipe      the course-model recipe behind `minillm train`
plots       plot_loss_curves
"""

from minillm.train.checkpoint import (
    CheckpointError,
    CheckpointWarning,
    find_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from minillm.train.optim import AdamW, clip_grad_norm, param_groups
from minillm.train.recompute import disable_gradient_checkpointing, enable_gradient_checkpointing
from minillm.train.schedule import CosineSchedule, cosine_lr
from minillm.train.trainer import (
    NonFiniteLossError,
    TrainConfig,
    Trainer,
    accumulate_gradients,
    autocast,
    evaluate,
)

__all__ = [
    "AdamW",
    "CheckpointError",
    "CheckpointWarning",
    "CosineSchedule",
    "NonFiniteLossError",
    "TrainConfig",
    "Trainer",
    "accumulate_gradients",
    "autocast",
    "clip_grad_norm",
    "cosine_lr",
    "disable_gradient_checkpointing",
    "enable_gradient_checkpointing",
    "evaluate",
    "find_checkpoint",
    "load_checkpoint",
    "param_groups",
    "save_checkpoint",
]
