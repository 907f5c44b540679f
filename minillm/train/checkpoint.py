"""Training checkpoints: everything needed to continue a run as if it had never stopped.

A checkpoint is a folder of three files:

    model.safetensors       the weights (float32), the ModelConfig as JSON in the metadata
    optimizer.safetensors   per parameter name: <name>.exp_avg, <name>.exp_avg_sq, <name>.step;
                            and the RNG states: rng.torch_cpu, rng.torch_cuda.<i>
    trainer.json            step, model and train configs, data position, loss-scaler state,
                            loss history, and the sha256 of the two tensor files

Resuming restores all of it (weights, Adam moments and step counts, the schedule's step, the
data position, the RNG that drives dropout), so on CPU the resumed losses equal the losses of
the uninterrupted run bit for bit (tests/test_train_resume.py). Safetensors holds only tensors
(no pickle, nothing executes on load); the JSON is human-readable.

Loading checks, in order, and raises `CheckpointError` naming the problem: missing files,
unreadable JSON, wrong format, a sha256 mismatch (corruption, truncation), a model config that
differs from the live model's (naming each differing field), a missing or mis-shaped tensor.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import Tensor, nn

from minillm.hashing import file_sha256

FORMAT = "minillm-checkpoint"
VERSION = 1
MODEL_FILE, OPTIM_FILE, STATE_FILE = "model.safetensors", "optimizer.safetensors", "trainer.json"


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupted, or does not fit the model/optimizer it is loaded into."""


@dataclass
class TrainerState:
    """The non-tensor part of a checkpoint (trainer.json)."""

    step: int
    model_config: dict[str, Any]
    train_config: dict[str, Any]
    data: dict[str, Any]
    scaler: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    sha256: dict[str, str] = field(default_factory=dict)
    format: str = FORMAT
    version: int = VERSION


def _param_names(model: nn.Module) -> dict[int, str]:
    """id(parameter) -> its name (a tied parameter gets its first name)."""
    return {id(p): name for name, p in model.named_parameters()}


def save_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    state: TrainerState,
) -> Path:
    """Write the checkpoint folder `path` (created if needed; files replaced atomically)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    config_json = json.dumps(state.model_config, sort_keys=True)
    weights = {n: p.detach().float().contiguous().cpu() for n, p in model.named_parameters()}
    names = _param_names(model)
    tensors: dict[str, Tensor] = {}
    for p, s in optimizer.state.items():
        name = names[id(p)]
        for key, value in s.items():
            tensors[f"{name}.{key}"] = value.detach().contiguous().cpu()
    tensors["rng.torch_cpu"] = torch.get_rng_state()
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.torch_cuda.{i}"] = s
    for fname, data, meta in (
        (MODEL_FILE, weights, {"config": config_json}),
        (OPTIM_FILE, tensors, {}),
    ):
        tmp = path / (fname + ".tmp")
        save_file(data, str(tmp), metadata=meta)
        os.replace(tmp, path / fname)
        state.sha256[fname] = file_sha256(path / fname)
    tmp = path / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state.__dict__, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path / STATE_FILE)  # written last: a folder without it is incomplete
    return path


def read_trainer_state(path: str | os.PathLike) -> TrainerState:
    """trainer.json of a checkpoint, checked for format and the sha256 of the tensor files."""
    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(f"checkpoint folder {str(path)!r} does not exist")
    for fname in (STATE_FILE, MODEL_FILE, OPTIM_FILE):
        if not (path / fname).is_file():
            raise CheckpointError(f"checkpoint {str(path)!r} is incomplete: {fname} is missing")
    try:
        raw = json.loads((path / STATE_FILE).read_text())
        state = TrainerState(**raw)
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as e:
        raise CheckpointError(f"{path / STATE_FILE} is not a valid trainer state: {e}") from None
    if state.format != FORMAT or state.version != VERSION:
        raise CheckpointError(
            f"{path / STATE_FILE}: format={state.format!r} version={state.version}, expected "
            f"{FORMAT!r} version {VERSION}"
        )
    for fname in (MODEL_FILE, OPTIM_FILE):
        want = state.sha256.get(fname)
        if want is None:
            raise CheckpointError(f"{path / STATE_FILE} has no sha256 for {fname}")
        got = file_sha256(path / fname)
        if got != want:
            raise CheckpointError(
                f"{path / fname} is corrupted: sha256 {got[:16]}... but trainer.json recorded "
                f"{want[:16]}... (truncated copy or edited file)"
            )
    return state


def _read_tensors(file: Path) -> tuple[dict[str, Tensor], dict[str, str]]:
    try:
        with safe_open(str(file), framework="pt", device="cpu") as f:
            return {k: f.get_tensor(k) for k in f.keys()}, (f.metadata() or {})
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{file} is not a readable safetensors file: {e}") from None


def _config_diff(saved: dict[str, Any], live: dict[str, Any], ignore: set[str]) -> list[str]:
    keys = sorted((set(saved) | set(live)) - ignore)
    return [
        f"{k}: checkpoint {saved.get(k, '<absent>')!r}, now {live.get(k, '<absent>')!r}"
        for k in keys
        if saved.get(k) != live.get(k)
    ]


def load_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    model_config: dict[str, Any] | None = None,
    restore_rng: bool = True,
) -> TrainerState:
    """Load weights (and optimizer state, RNG states) into live objects; return the TrainerState.

    model_config: the live model's config as a dict; if given, every field must match the
    checkpoint's (the display-only "name" aside) or CheckpointError lists the differences.
    """
    path = Path(path)
    state = read_trainer_state(path)
    if model_config is not None:
        diff = _config_diff(state.model_config, model_config, ignore={"name"})
        if diff:
            raise CheckpointError(
                f"checkpoint {str(path)!r} was saved from a different model config: "
                + "; ".join(diff)
            )
    weights, _ = _read_tensors(path / MODEL_FILE)
    params = dict(model.named_parameters())
    for name, p in params.items():
        if name not in weights:
            raise CheckpointError(f"{path / MODEL_FILE} is missing tensor {name!r}")
        if weights[name].shape != p.shape:
            raise CheckpointError(
                f"{path / MODEL_FILE}: tensor {name!r} has shape {tuple(weights[name].shape)}, "
                f"the model expects {tuple(p.shape)}"
            )
    extra = sorted(set(weights) - set(params))
    if extra:
        raise CheckpointError(f"{path / MODEL_FILE} has tensors the model lacks: {extra}")
    tensors, _ = _read_tensors(path / OPTIM_FILE)
    if optimizer is not None:
        names = _param_names(model)
        for group in optimizer.param_groups:
            for p in group["params"]:
                name = names[id(p)]
                keys = [k for k in tensors if k.rsplit(".", 1)[0] == name]
                if not keys:
                    raise CheckpointError(
                        f"{path / OPTIM_FILE} is missing the optimizer state of {name!r} "
                        f"(expected {name}.exp_avg, {name}.exp_avg_sq, {name}.step)"
                    )
                s = {}
                for k in keys:
                    t = tensors[k]
                    key = k.rsplit(".", 1)[1]
                    if key != "step" and t.shape != p.shape:
                        raise CheckpointError(
                            f"{path / OPTIM_FILE}: tensor {k!r} has shape {tuple(t.shape)}, "
                            f"expected {tuple(p.shape)}"
                        )
                    s[key] = t.to(p.device) if key != "step" else t
                optimizer.state[p] = s
    with torch.no_grad():
        for name, p in params.items():
            p.copy_(weights[name].to(p.dtype))
    if restore_rng:
        if "rng.torch_cpu" not in tensors:
            raise CheckpointError(f"{path / OPTIM_FILE} is missing tensor 'rng.torch_cpu'")
        torch.set_rng_state(tensors["rng.torch_cpu"])
        cuda = [tensors[k] for k in sorted(tensors) if k.startswith("rng.torch_cuda.")]
        if cuda and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(cuda)
    return state
