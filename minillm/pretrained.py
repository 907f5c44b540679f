"""The course model: a small Llama-style model trained by `minillm train --preset course`.

    >>> from minillm.pretrained import load_course_model
    >>> model, tokenizer = load_course_model()
    >>> ids = tokenizer.encode("Once upon a time")
    >>> out = model.generate(torch.tensor([ids]), 40, temperature=0.8, top_k=50, seed=0)
    >>> print(tokenizer.decode(out[0].tolist()))

Files in `minillm/assets/course_model/` (see `minillm.train.recipe`): model.safetensors (fp16
weights, loaded as fp32), tokenizer.txt, recipe.json (how it was made), metrics.json
(validation loss, samples, loss history), SHA256SUMS (checked on every load).
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
REBUILD = "rebuild it with `minillm train --preset course --out {dir}`"


class PretrainedFileError(ValueError):
    """A pretrained model file is missing or does not match its recorded sha256."""


def verify_files(directory: str | os.PathLike = COURSE_MODEL_DIR) -> dict[str, str]:
    """Check every file listed in SHA256SUMS; return {file: sha256}. Raises
    PretrainedFileError naming a missing or corrupted file."""
    d = Path(directory)
    sums = d / "SHA256SUMS"
    if not sums.is_file():
        raise PretrainedFileError(f"{sums} is missing; {REBUILD.format(dir=d)}")
    expected = {}
    for line in sums.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            expected[name.strip()] = digest
    for name, digest in expected.items():
        path = d / name
        if not path.is_file():
            raise PretrainedFileError(f"{path} is missing; {REBUILD.format(dir=d)}")
        got = file_sha256(path)
        if got != digest:
            raise PretrainedFileError(
                f"{path} is corrupted: sha256 {got[:16]}..., SHA256SUMS says {digest[:16]}... "
                f"(a Git LFS pointer or a partial copy?); {REBUILD.format(dir=d)}"
            )
    return expected


def load_course_model(
    directory: str | os.PathLike = COURSE_MODEL_DIR,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
) -> tuple[Transformer, BPETokenizer]:
    """(model in eval mode, tokenizer) of the course model, after checking the sha256 sums."""
    d = Path(directory)
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
    return model, tokenizer


def course_model_info(directory: str | os.PathLike = COURSE_MODEL_DIR) -> dict[str, Any]:
    """recipe.json and metrics.json of the course model, merged: {"recipe": ..., "metrics": ...}."""
    d = Path(directory)
    return {
        "recipe": json.loads((d / "recipe.json").read_text()),
        "metrics": json.loads((d / "metrics.json").read_text()),
    }
