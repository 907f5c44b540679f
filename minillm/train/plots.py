"""Loss curves from a Trainer's history (a list of {"step", "loss", "lr", "val_loss"?} dicts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def smooth(values: Sequence[float], weight: float = 0.9) -> list[float]:
    """Exponential moving average with bias correction (TensorBoard-style smoothing)."""
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"weight={weight!r} must be in [0, 1)")
    out, avg = [], 0.0
    for i, v in enumerate(values, 1):
        avg = weight * avg + (1 - weight) * v
        out.append(avg / (1 - weight**i))
    return out


def plot_loss_curves(
    history: Sequence[dict[str, Any]],
    ax: Any = None,
    smoothing: float = 0.9,
    label: str = "",
    show_lr: bool = True,
) -> Any:
    """Training loss (raw, faint, and smoothed), validation loss (dots) and, on a second axis,
    the learning rate, against the step. Returns the matplotlib Axes."""
    if not history:
        raise ValueError("history is empty: train for at least one step first")
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    steps = [h["step"] for h in history]
    loss = [h["loss"] for h in history]
    prefix = f"{label} " if label else ""
    (line,) = ax.plot(steps, loss, alpha=0.25)
    ax.plot(steps, smooth(loss, smoothing), color=line.get_color(), label=f"{prefix}train")
    val = [(h["step"], h["val_loss"]) for h in history if h.get("val_loss") is not None]
    if val:
        ax.plot(*zip(*val), "o--", color=line.get_color(), label=f"{prefix}validation")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy loss (nats/token)")
    ax.grid(alpha=0.3)
    if show_lr and all("lr" in h for h in history):
        ax2 = ax.twinx()
        ax2.plot(steps, [h["lr"] for h in history], color="gray", lw=0.8, ls=":")
        ax2.set_ylabel("learning rate", color="gray")
    ax.legend(loc="upper right")
    return ax
