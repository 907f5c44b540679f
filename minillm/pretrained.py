"""The committed models: the course model and its speculative-decoding draft.

    >>> from minillm.pretrained import load_course_model, load_draft_model
    >>> model, tokenizer = load_course_model()
    >>> ids = tokenizer.encode("Once upon a time")
    >>> out = model.generate(torch.tensor([ids]), 40, temperature=0.8, top_k=50, seed=0)
    >>> print(tokenizer.decode(out[0].tolist()))
    >>> draft, _ = load_draft_model()   # 1 layer, the same tokenizer (token ids) as the course model

The course model is trained by `minillm train --preset course`, the draft by `--preset draft`.
Files in `minillm/assets/course_model/` and `minillm/assets/draft_model/` (see
`minillm.train.recipe`): model.safetensors (fp16 weights, loaded as fp32), tokenizer.txt,
recipe.json (how it was made), metrics.json (validation loss, samples, loss history),
SHA256SUMS (checked on every load).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from minillm.hashing import file_sha256
from minillm.model import Transformer
from minillm.tokenizer import BPETokenizer

COURSE_MODEL_DIR = Path(__file__).parent / "assets" / "course_model"
DRAFT_MODEL_DIR = Path(__file__).parent / "assets" / "draft_model"
REBUILD = "rebuild it with `minillm train --preset {preset} --out {dir}`"


def _rebuild(directory: Path) -> str:
    """How to remake a model folder: the preset named in its recipe.json (else by folder)."""
    try:
        preset = json.loads((directory / "recipe.json").read_text())["recipe"]["name"]
    except (OSError, ValueError, KeyError, TypeError):
        preset = "draft" if directory.resolve() == DRAFT_MODEL_DIR.resolve() else "course"
    return REBUILD.format(preset=preset, dir=directory)


class PretrainedFileError(ValueError):
    """A pretrained model file is missing or does not match its recorded sha256."""


def verify_files(directory: str | os.PathLike = COURSE_MODEL_DIR) -> dict[str, str]:
    """Check every file listed in SHA256SUMS; return {file: sha256}. Raises
    PretrainedFileError naming a missing or corrupted file."""
    d = Path(directory)
    sums = d / "SHA256SUMS"
    if not sums.is_file():
        raise PretrainedFileError(f"{sums} is missing; {_rebuild(d)}")
    expected = {}
    for line in sums.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            expected[name.strip()] = digest
    for name, digest in expected.items():
        path = d / name
        if not path.is_file():
            raise PretrainedFileError(f"{path} is missing; {_rebuild(d)}")
        got = file_sha256(path)
        if got != digest:
            raise PretrainedFileError(
                f"{path} is corrupted: sha256 {got[:16]}..., SHA256SUMS says {digest[:16]}... "
                f"(a Git LFS pointer or a partial copy?); {_rebuild(d)}"
            )
    return expected


def load_course_model(
    directory: str | os.PathLike = COURSE_MODEL_DIR,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
) -> tuple[Transformer, BPETokenizer]:
    """(model in eval mode, tokenizer) of the course model, after checking the sha256 sums."""
    return _load(Path(directory), device, dtype)[:2]


def load_draft_model(
    directory: str | os.PathLike = DRAFT_MODEL_DIR,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    target_directory: str | os.PathLike | None = COURSE_MODEL_DIR,
) -> tuple[Transformer, BPETokenizer]:
    """(draft model in eval mode, tokenizer) after checking the sha256 sums, and that the
    draft's tokenizer.txt is byte for byte the target's (target_directory, default the course
    model; None skips the check): a draft must propose the token ids its target reads.

    Raises PretrainedFileError naming both files if the tokenizers differ."""
    d = Path(directory)
    model, tokenizer, files = _load(d, device, dtype)
    if target_directory is not None:
        t = Path(target_directory)
        ours, theirs = files["tokenizer.txt"], verify_files(t).get("tokenizer.txt")
        if ours != theirs:
            raise PretrainedFileError(
                f"{d / 'tokenizer.txt'} (sha256 {ours[:16]}...) is not the target's "
                f"{t / 'tokenizer.txt'} ({str(theirs)[:16]}...): a draft must share its "
                f"target's token ids; {_rebuild(d)}"
            )
    return model, tokenizer


def _load(
    d: Path, device: str | torch.device, dtype: torch.dtype
) -> tuple[Transformer, BPETokenizer, dict[str, str]]:
    """Verify d/SHA256SUMS, then load d/model.safetensors and d/tokenizer.txt; the verified
    {file: sha256} comes third."""
    files = verify_files(d)
    for needed in ("model.safetensors", "tokenizer.txt"):
        if needed not in files:
            raise PretrainedFileError(f"{d / 'SHA256SUMS'} does not list {needed}")
    model = Transformer.load(d / "model.safetensors", device=device).to(dtype).eval()
    tokenizer = BPETokenizer.load(d / "tokenizer.txt")
    if tokenizer.vocab_size != model.config.vocab_size:
        raise PretrainedFileError(
            f"tokenizer vocab_size={tokenizer.vocab_size} != model vocab_size="
            f"{model.config.vocab_size} in {d}"
        )
    return model, tokenizer, files


def course_model_info(directory: str | os.PathLike = COURSE_MODEL_DIR) -> dict[str, Any]:
    """recipe.json and metrics.json of a committed model (default the course model; pass
    DRAFT_MODEL_DIR for the draft): {"recipe": ..., "metrics": ...}."""
    d = Path(directory)
    return {
        "recipe": json.loads((d / "recipe.json").read_text()),
        "metrics": json.loads((d / "metrics.json").read_text()),
    }
