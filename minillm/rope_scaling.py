"""The ``rope_scaling`` schema of ModelConfig: which types exist, their keys, valid values.

This is the config side of RoPE context extension (lesson 05): plain Python, no torch, so that
``minillm.config`` validates a config without importing the layers. The formulas that turn a
valid dict into frequencies live in ``minillm.layers.rope``, one per type named here:

    {"type": "linear",  "factor": 4.0}
    {"type": "ntk",     "factor": 4.0}
    {"type": "dynamic", "factor": 4.0, "original_max_seq_len": 128}
    {"type": "yarn",    "factor": 4.0, "original_max_seq_len": 128, "beta_fast": 32, ...}

A new type is declared with ``add_rope_scaling_type`` (``minillm.layers.rope``'s
``register_rope_scaling`` does it for you, next to the formula).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ROPE_SCALING_TYPES",
    "RopeScalingType",
    "add_rope_scaling_type",
    "check_rope_scaling",
    "original_max_seq_len",
    "scaling_factor",
    "yarn_betas",
]


@dataclass(frozen=True)
class RopeScalingType:
    keys: frozenset[str]  # the keys it accepts besides "type"; anything else is a typo
    dynamic: bool = False  # the frequencies depend on the current sequence length
    check: Callable[[dict[str, Any]], None] | None = None  # raises ValueError on a bad value


ROPE_SCALING_TYPES: dict[str, RopeScalingType] = {}


def add_rope_scaling_type(
    name: str,
    keys: tuple[str, ...] = ("factor",),
    dynamic: bool = False,
    check: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Declare a rope_scaling type: its keys, whether it is dynamic, and its value check."""
    ROPE_SCALING_TYPES[name] = RopeScalingType(frozenset(keys), dynamic, check)


def scaling_factor(cfg: dict[str, Any]) -> float:
    """cfg["factor"], the context multiplier (>= 1), or ValueError naming the bad value."""
    factor = cfg.get("factor")
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not factor >= 1:
        raise ValueError(
            f"rope_scaling type={cfg.get('type')!r} needs factor >= 1 (the context "
            f"multiplier, e.g. 4.0), got factor={factor!r}"
        )
    return float(factor)


def original_max_seq_len(cfg: dict[str, Any]) -> int:
    """cfg["original_max_seq_len"], the trained context length (a positive int)."""
    n = cfg.get("original_max_seq_len")
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise ValueError(
            f"rope_scaling type={cfg.get('type')!r} needs original_max_seq_len, the trained "
            f"context length (a positive int), got original_max_seq_len={n!r}"
        )
    return n


def yarn_betas(cfg: dict[str, Any]) -> tuple[float, float]:
    """(beta_fast, beta_slow), defaults 32 and 1 turns; beta_fast > beta_slow > 0."""
    beta_fast, beta_slow = float(cfg.get("beta_fast") or 32), float(cfg.get("beta_slow") or 1)
    if not beta_fast > beta_slow > 0:
        raise ValueError(
            f"rope_scaling 'yarn' needs beta_fast > beta_slow > 0, got "
            f"beta_fast={beta_fast}, beta_slow={beta_slow}"
        )
    return beta_fast, beta_slow


def _check_factor(cfg: dict[str, Any]) -> None:
    scaling_factor(cfg)


def _check_dynamic(cfg: dict[str, Any]) -> None:
    scaling_factor(cfg)
    original_max_seq_len(cfg)


def _check_yarn(cfg: dict[str, Any]) -> None:
    _check_dynamic(cfg)
    yarn_betas(cfg)
    attention_factor = cfg.get("attention_factor")
    if attention_factor is not None and not attention_factor > 0:
        raise ValueError(f"rope_scaling 'yarn' needs attention_factor > 0, got {attention_factor}")


add_rope_scaling_type("linear", check=_check_factor)
add_rope_scaling_type("ntk", check=_check_factor)
add_rope_scaling_type(
    "dynamic", keys=("factor", "original_max_seq_len"), dynamic=True, check=_check_dynamic
)
add_rope_scaling_type(
    "yarn",
    keys=("factor", "original_max_seq_len", "beta_fast", "beta_slow", "attention_factor",
          "mscale", "mscale_all_dim", "truncate"),
    check=_check_yarn,
)  # fmt: skip


def check_rope_scaling(rope_scaling: dict[str, Any] | None) -> None:
    """Raise ValueError naming the bad key or value of a rope_scaling dict (None is valid)."""
    if rope_scaling is None:
        return
    if not isinstance(rope_scaling, dict) or "type" not in rope_scaling:
        raise ValueError(
            f"rope_scaling={rope_scaling!r} must be None or a dict with a 'type' key, "
            "e.g. {'type': 'linear', 'factor': 4.0}"
        )
    kind = rope_scaling["type"]
    if kind not in ROPE_SCALING_TYPES:
        raise ValueError(
            f"rope_scaling type={kind!r} is unknown; valid: {sorted(ROPE_SCALING_TYPES)}"
        )
    spec = ROPE_SCALING_TYPES[kind]
    unknown = sorted(set(rope_scaling) - {"type"} - spec.keys)
    if unknown:
        raise ValueError(
            f"rope_scaling type={kind!r} got unknown keys {unknown}; valid: {sorted(spec.keys)}"
        )
    if spec.check is not None:
        spec.check(rope_scaling)
