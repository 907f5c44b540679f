"""`minillm train`: the recipe runs end to end, and the same seed gives the same bytes."""

import argparse
import json
import re

import pytest

from minillm.cli import train as cli_train
from minillm.pretrained import load_course_model
from minillm.train.recipe import RECIPES, run_recipe


def args(**kw):
    parser = argparse.ArgumentParser()
    cli_train.add_arguments(parser)
    argv = []
    for k, v in kw.items():
        flag = "--" + k.replace("_", "-")
        argv += [flag] if v is True else [flag, str(v)]
    return parser.parse_args(argv)


def test_overrides_change_the_recipe():
    recipe = cli_train.recipe_from_args(args(preset="course", max_steps=10, lr=1e-3, threads=1))
    assert recipe.train["max_steps"] == 10 and recipe.train["lr"] == 1e-3
    assert recipe.train["warmup_steps"] <= 10 and recipe.num_threads == 1
    assert RECIPES["course"].train["max_steps"] != 10  # the preset itself is untouched


def test_missing_text_is_a_clear_error(tmp_path, capsys):
    code = cli_train.run(args(preset="tiny", out=tmp_path / "o", text=tmp_path / "nope.txt",
                              no_progress=True))  # fmt: skip
    assert code == 2
    assert "no such file or folder" in capsys.readouterr().err


@pytest.mark.slow
def test_tiny_recipe_is_deterministic_and_loads(tmp_path):
    a = run_recipe(RECIPES["tiny"], tmp_path / "a", progress=False, log=lambda *_: None)
    code = cli_train.run(args(preset="tiny", out=tmp_path / "b", no_progress=True))
    assert code == 0
    for name in ("model.safetensors", "tokenizer.txt", "SHA256SUMS"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    recipe = json.loads((tmp_path / "a" / "recipe.json").read_text())
    assert recipe["command"] == "minillm train --preset tiny"
    assert recipe["recipe"]["train"]["max_steps"] == RECIPES["tiny"].train["max_steps"]
    assert a["val_loss"] < a["history"][0]["loss"]  # it learned something
    model, tok = load_course_model(tmp_path / "a")
    assert model.config.vocab_size == tok.vocab_size == RECIPES["tiny"].vocab_size
    # resuming from the finished run's checkpoint changes nothing
    code = cli_train.run(args(preset="tiny", out=tmp_path / "c", work_dir=tmp_path / "a-work",
                              resume=True, no_progress=True))  # fmt: skip
    assert code == 0
    assert (tmp_path / "c" / "model.safetensors").read_bytes() == (
        tmp_path / "a" / "model.safetensors"
    ).read_bytes()


def test_source_commit_names_this_checkout():
    from minillm.train.recipe import source_commit

    sha = source_commit()
    if sha is None:
        pytest.skip("not a git checkout")
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", sha)


def test_a_recipe_can_reuse_a_tokenizer_file(tmp_path):
    """The draft recipe copies the course model's tokenizer.txt (no BPE training): same bytes."""
    from minillm.pretrained import COURSE_MODEL_DIR
    from minillm.train.recipe import make_tokenizer

    recipe = RECIPES["draft"]
    tok = make_tokenizer(recipe, "text that would train another BPE", tmp_path)
    source = COURSE_MODEL_DIR / "tokenizer.txt"
    assert (tmp_path / "tokenizer.txt").read_bytes() == source.read_bytes()
    assert tok.vocab_size == recipe.vocab_size == 4096
    with pytest.raises(ValueError, match="vocab_size=4096, the recipe says vocab_size=384"):
        make_tokenizer(recipe.replace(vocab_size=384), "", tmp_path)
    missing = recipe.replace(tokenizer_path=str(tmp_path / "nope.txt"))
    with pytest.raises(FileNotFoundError, match="tokenizer_path=.*nope.txt"):
        make_tokenizer(missing, "", tmp_path)


def test_draft_recipe_shares_the_course_models_corpus_and_tokenizer():
    draft, course = RECIPES["draft"], RECIPES["course"]
    for field in ("corpus_bytes", "corpus_seed", "text_path", "vocab_size", "val_fraction"):
        assert getattr(draft, field) == getattr(course, field), field
    assert draft.tokenizer_path == "assets/course_model/tokenizer.txt"
    assert draft.model["n_layers"] < course.model["n_layers"]
    assert draft.model["max_seq_len"] == course.model["max_seq_len"]


@pytest.mark.slow
def test_draft_recipe_rebuilds_the_committed_draft_byte_for_byte(tmp_path):
    """`minillm train --preset draft` gives the committed bytes (model.safetensors and
    tokenizer.txt, as SHA256SUMS lists them). Needs the torch that trained it (metrics.json
    records it), 2 threads, and a CPU of the same kind: float rounding differs across ISAs.
    ~2 minutes on 2 idle cores."""
    import torch

    from minillm.pretrained import DRAFT_MODEL_DIR, course_model_info, verify_files

    trained_with = course_model_info(DRAFT_MODEL_DIR)["metrics"]["torch"]
    if torch.__version__ != trained_with:
        pytest.skip(f"the draft was trained with torch {trained_with}, this is {torch.__version__}")
    threads = torch.get_num_threads()
    try:
        run_recipe(RECIPES["draft"], tmp_path / "draft", progress=False)
    finally:
        torch.set_num_threads(threads)
    assert verify_files(tmp_path / "draft") == verify_files(DRAFT_MODEL_DIR)
