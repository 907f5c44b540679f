"""The committed course model: loads in seconds, generates, and refuses damaged files."""

import json
import re
import shutil
import time

import pytest
import torch

from minillm.pretrained import (
    COURSE_MODEL_DIR,
    PretrainedFileError,
    course_model_info,
    load_course_model,
    verify_files,
)


def test_loads_and_generates():
    t = time.perf_counter()
    model, tok = load_course_model()
    assert time.perf_counter() - t < 30  # "in seconds", with margin for a loaded CI machine
    assert not model.training and next(model.parameters()).dtype == torch.float32
    assert model.config.vocab_size == tok.vocab_size
    ids = torch.tensor([tok.encode("Once upon a time")])
    out = model.generate(ids, 8, greedy=True)
    assert out.shape == (1, ids.shape[1] + 8)
    assert tok.decode(out[0].tolist()).startswith("Once upon a time")


def test_course_model_is_small_and_learned():
    files = verify_files()
    size = sum((COURSE_MODEL_DIR / f).stat().st_size for f in files)
    assert size < 20 * 2**20
    info = course_model_info()
    assert info["recipe"]["command"] == "minillm train --preset course"
    metrics = info["metrics"]
    assert metrics["val_loss"] < metrics["history"][0]["loss"] / 2  # far below the start


def test_greedy_continuation_is_reproducible():
    model, tok = load_course_model()
    ids = torch.tensor([tok.encode("Question: What is 3 + 4?\nAnswer:")])
    a = model.generate(ids, 5, greedy=True)
    b = model.generate(ids, 5, greedy=True)
    assert torch.equal(a, b)


@pytest.fixture
def copy(tmp_path):
    d = tmp_path / "course_model"
    shutil.copytree(COURSE_MODEL_DIR, d)
    return d


def test_corrupted_weights_are_named(copy):
    path = copy / "model.safetensors"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(PretrainedFileError, match="model.safetensors is corrupted"):
        load_course_model(copy)


def test_missing_files_are_named(copy):
    (copy / "tokenizer.txt").unlink()
    with pytest.raises(PretrainedFileError, match="tokenizer.txt is missing"):
        load_course_model(copy)
    (copy / "SHA256SUMS").unlink()
    with pytest.raises(PretrainedFileError, match="SHA256SUMS is missing.*minillm train"):
        load_course_model(copy)


def test_recipe_is_recorded(copy):
    recipe = json.loads((copy / "recipe.json").read_text())
    assert recipe["model_config"]["vocab_size"] == recipe["recipe"]["vocab_size"]
    assert len(recipe["corpus_sha256"]) == 64
    # trained from committed code, so the commit says which model code gives these bytes
    assert re.fullmatch(r"[0-9a-f]{40}", recipe["minillm_commit"])
