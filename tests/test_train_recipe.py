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
