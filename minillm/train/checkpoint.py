"""Training checkpoints: everything needed to continue a run as if it had never stopped.

A run saves into one root folder; each save is a new step folder, the last `keep` are kept:

    ckpt/                           the checkpoint_dir of a Trainer
      step-000190/                  one complete checkpoint (the step is in the name)
        model.safetensors           the weights (float32), the ModelConfig as JSON in the metadata
        optimizer.safetensors       per parameter name: <name>.exp_avg, <name>.exp_avg_sq,
                                    <name>.step; and the RNG states: rng.torch_cpu, rng.torch_cuda.<i>
        trainer.json                step, model and train configs, data position, loss-scaler
                                    state, loss history, and the sha256 of the two tensor files
      step-000200/
      .tmp-step-000210-<pid>-*/     a save in progress (or one killed mid-write): never read

Why a new folder per save: a process killed while writing (pre-emption, out of memory, a
power cut) must not destroy the checkpoint it was replacing. Every file of a save is written
into a temporary folder and flushed to disk (fsync), and only then is the folder renamed to
`step-NNNNNN` in one atomic step: a step folder is complete or absent, never half written.
Older step folders are deleted only after the new one is in place (tests/test_train_checkpoint_crash.py
kills a process mid-save and resumes).

Loading accepts the root (the newest step folder that passes every check; newer ones that
fail are skipped and listed in `TrainerState.skipped`, with a `CheckpointWarning`) or one
step folder (a checkpoint folder of the older single-folder layout works too). Resuming
restores all of it (weights, Adam moments and step counts, the schedule's step, the data
position, the RNG that drives dropout), so on CPU the resumed losses equal the losses of the
uninterrupted run bit for bit (tests/test_train_resume.py). Safetensors holds only tensors
(no pickle, nothing executes on load); the JSON is human-readable.

Loading a folder checks, in order, and raises `CheckpointError` naming the problem: missing
files, unreadable JSON, wrong format, a sha256 mismatch (corruption, truncation), a model config
that differs from the live model's (naming each differing field), a missing or mis-shaped tensor.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field, fields
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
KEEP_LAST = 3  # step folders kept by default: the newest, and two to fall back on
STEP_DIR = re.compile(r"step-(\d+)")  # a complete checkpoint (full match)
TMP_PREFIX = ".tmp-"  # a save in progress: .tmp-step-000123-<pid>-<random>


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupted, or does not fit the model/optimizer it is loaded into."""


class CheckpointWarning(UserWarning):
    """A newer step folder failed its checks and an older, complete one was loaded instead."""


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
    # Set when loading, never saved: the folder that was read, and why newer ones were not.
    path: str | None = field(default=None, metadata={"saved": False})
    skipped: list[str] = field(default_factory=list, metadata={"saved": False})

    def to_json_dict(self) -> dict[str, Any]:
        return {
            f.name: getattr(self, f.name) for f in fields(self) if f.metadata.get("saved", True)
        }


def _param_names(model: nn.Module) -> dict[int, str]:
    """id(parameter) -> its name (a tied parameter gets its first name)."""
    return {id(p): name for name, p in model.named_parameters()}


def step_dirname(step: int) -> str:
    """ "step-000123": zero-padded so that names sort like steps (up to a million)."""
    return f"step-{step:06d}"


def list_checkpoints(root: str | os.PathLike) -> list[Path]:
    """The step folders of a checkpoint root, oldest step first (not checked for completeness)."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in root.iterdir() if (m := STEP_DIR.fullmatch(p.name))]
    return [p for _, p in sorted(found) if p.is_dir()]


def _fsync(path: Path) -> None:
    """Flush a file (or a folder's list of names) to disk, so a rename never exposes data that
    is still only in the page cache. Folders cannot be opened on Windows: nothing to do there."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would send CTRL_C_EVENT there: assume alive
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, under another user
        return True
    return True


def _remove_stale_temporaries(root: Path) -> None:
    """Delete .tmp-* folders left by saves that were killed (their process is gone)."""
    for p in root.glob(TMP_PREFIX + "*"):
        if not p.is_dir():
            continue
        m = re.fullmatch(re.escape(TMP_PREFIX) + r"step-\d+-(\d+)-.*", p.name)
        if m is None or int(m.group(1)) == os.getpid() or not _pid_alive(int(m.group(1))):
            shutil.rmtree(p, ignore_errors=True)


def _write_folder(folder: Path, model: nn.Module, optimizer, state: TrainerState) -> None:
    """The three files of one checkpoint, each flushed to disk."""
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
        save_file(data, str(folder / fname), metadata=meta)
        _fsync(folder / fname)
        state.sha256[fname] = file_sha256(folder / fname)
    (folder / STATE_FILE).write_text(
        json.dumps(state.to_json_dict(), indent=1, sort_keys=True) + "\n"
    )
    _fsync(folder / STATE_FILE)
    _fsync(folder)


def save_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    state: TrainerState,
    keep: int = KEEP_LAST,
) -> Path:
    """Write `path/step-NNNNNN` (NNNNNN = state.step) atomically; keep the `keep` newest step
    folders of `path` (the one just written always stays); return the new folder.

    The folder is written under a temporary name and renamed into place only when every file
    is on disk, so a crash at any moment leaves the previous checkpoints intact. Saving a
    step that already has a folder replaces it.
    """
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise ValueError(f"keep={keep!r} must be an int >= 1 (the number of step folders kept)")
    if isinstance(state.step, bool) or not isinstance(state.step, int) or state.step < 0:
        raise ValueError(f"state.step={state.step!r} must be an int >= 0")
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    final = root / step_dirname(state.step)
    tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{final.name}-{os.getpid()}-", dir=root))
    try:
        _write_folder(tmp, model, optimizer, state)
        if final.exists():  # the same step again: move the old one aside (a unique .tmp- name)
            old = tmp.with_name(tmp.name + "-replaced")
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)  # the atomic step: the checkpoint becomes visible complete
        _fsync(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    older = [p for p in list_checkpoints(root) if p != final]
    for p in older[: max(0, len(older) - (keep - 1))]:
        shutil.rmtree(p, ignore_errors=True)
    _remove_stale_temporaries(root)
    return final


def find_checkpoint(path: str | os.PathLike) -> TrainerState:
    """The checked trainer state of the checkpoint `path` names; its folder is `state.path`.

    path: a checkpoint root (then its newest step folder that passes `read_folder_state`; each
    newer one that fails is listed in `state.skipped` with the reason, and a CheckpointWarning
    says so) or one checkpoint folder. CheckpointError when nothing complete is there.
    """
    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(f"checkpoint folder {str(path)!r} does not exist")
    steps = list_checkpoints(path)
    if not steps:  # a step folder itself, or a checkpoint of the single-folder layout
        if not any((path / f).exists() for f in (STATE_FILE, MODEL_FILE, OPTIM_FILE)):
            raise CheckpointError(
                f"{str(path)!r} holds no checkpoint: no step-NNNNNN folders and no {STATE_FILE}"
            )
        state = read_folder_state(path)
        state.path = str(path)
        return state
    skipped = []
    for folder in reversed(steps):
        try:
            state = read_folder_state(folder)
            if state.step != int(STEP_DIR.fullmatch(folder.name).group(1)):
                raise CheckpointError(f"{folder / STATE_FILE} records step {state.step}")
        except CheckpointError as e:
            skipped.append(f"{folder.name} skipped: {e}")
            continue
        state.path, state.skipped = str(folder), skipped
        if skipped:
            warnings.warn(
                f"loaded {folder} instead of newer, incomplete checkpoints: " + "; ".join(skipped),
                CheckpointWarning,
                stacklevel=2,
            )
        return state
    raise CheckpointError(f"no complete checkpoint in {str(path)!r}: " + "; ".join(skipped))


def read_folder_state(path: str | os.PathLike) -> TrainerState:
    """trainer.json of one checkpoint folder, checked for format and the sha256 of the tensor
    files."""
    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(f"checkpoint folder {str(path)!r} does not exist")
    for fname in (STATE_FILE, MODEL_FILE, OPTIM_FILE):
        if not (path / fname).is_file():
            raise CheckpointError(f"checkpoint {str(path)!r} is incomplete: {fname} is missing")
    try:
        raw = json.loads((path / STATE_FILE).read_text())
        saved = {f.name for f in fields(TrainerState) if f.metadata.get("saved", True)}
        if not isinstance(raw, dict) or set(raw) - saved:
            raise TypeError(f"unexpected content {sorted(raw) if isinstance(raw, dict) else raw!r}")
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
    path: str | os.PathLike | TrainerState,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    model_config: dict[str, Any] | None = None,
    restore_rng: bool = True,
) -> TrainerState:
    """Load weights (and optimizer state, RNG states) into live objects; return the TrainerState.

    path: a checkpoint root (its newest complete step folder is loaded: see `find_checkpoint`;
    `state.path` says which, `state.skipped` why newer ones were not), one checkpoint folder,
    or the state `find_checkpoint` already returned (its folder is not read and hashed again).
    model_config: the live model's config as a dict; if given, every field must match the
    checkpoint's (the display-only "name" aside) or CheckpointError lists the differences.
    """
    state = path if isinstance(path, TrainerState) else find_checkpoint(path)
    path = Path(state.path)
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
