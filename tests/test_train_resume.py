"""Checkpoints: an interrupted run, resumed, reproduces the uninterrupted losses exactly (CPU);
corrupted, mismatched or incomplete checkpoints raise errors that name the problem."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from minillm.config import ModelConfig
from minillm.model import Transformer
from minillm.train import CheckpointError, TrainConfig, Trainer
from minillm.train.checkpoint import file_sha256

CFG = TrainConfig(batch_size=4, seq_len=16, max_steps=8, lr=5e-3, warmup_steps=2,
                  eval_interval=4, eval_batches=2, seed=3)  # fmt: skip
DATA = np.random.default_rng(0).integers(0, 64, 3000).astype(np.uint16)


def model(seed=0, **kw):
    torch.manual_seed(seed)
    # dropout > 0 so that the restored RNG state matters
    cfg = ModelConfig.preset("llama-tiny", vocab_size=64, d_model=32, d_ff=64, max_seq_len=16,
                             dropout=0.1, **kw)  # fmt: skip
    return Transformer(cfg)


def trainer(m, cfg=CFG):
    return Trainer(m, DATA[:2500], DATA[2500:], cfg)


@pytest.fixture(scope="module")
def uninterrupted():
    t = trainer(model())
    return t.fit(progress=False), {k: v.clone() for k, v in t.model.state_dict().items()}


@pytest.fixture
def checkpoint(tmp_path):
    t = trainer(model())
    t.fit(progress=False, until_step=3)
    return t.save_checkpoint(tmp_path / "ckpt")


def test_resume_reproduces_the_uninterrupted_run_exactly(uninterrupted, checkpoint):
    history, weights = uninterrupted
    torch.manual_seed(1234)  # a different RNG state and init: the checkpoint must restore both
    resumed = Trainer.resume(checkpoint, model(seed=99), DATA[:2500], DATA[2500:])
    assert resumed.step == 3
    assert resumed.history == history[:3]
    resumed.fit(progress=False)
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in history]  # bit for bit
    assert [h.get("val_loss") for h in resumed.history] == [h.get("val_loss") for h in history]
    for k, v in resumed.model.state_dict().items():
        assert torch.equal(v, weights[k]), k


def test_checkpoint_files(checkpoint):
    names = sorted(p.name for p in checkpoint.iterdir())
    assert names == ["model.safetensors", "optimizer.safetensors", "trainer.json"]
    state = json.loads((checkpoint / "trainer.json").read_text())
    assert state["step"] == 3 and state["data"] == {"kind": "random", "seed": 3, "index": 3}
    tensors = load_file(str(checkpoint / "optimizer.safetensors"))
    assert "tok_emb.weight.exp_avg" in tensors and "rng.torch_cpu" in tensors
    assert float(tensors["tok_emb.weight.step"]) == 3


def test_corrupted_file_is_named(checkpoint):
    path = checkpoint / "model.safetensors"
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="model.safetensors is corrupted: sha256"):
        trainer(model()).load_checkpoint(checkpoint)


def test_truncated_json(checkpoint):
    p = checkpoint / "trainer.json"
    p.write_text(p.read_text()[:50])
    with pytest.raises(CheckpointError, match="trainer.json is not a valid trainer state"):
        trainer(model()).load_checkpoint(checkpoint)


def test_missing_file(checkpoint):
    (checkpoint / "optimizer.safetensors").unlink()
    with pytest.raises(CheckpointError, match="optimizer.safetensors is missing"):
        trainer(model()).load_checkpoint(checkpoint)


def test_different_model_config_names_the_fields(checkpoint):
    with pytest.raises(CheckpointError, match="n_layers: checkpoint 2, now 3"):
        trainer(model(n_layers=3)).load_checkpoint(checkpoint)


def test_different_train_config_names_the_fields(checkpoint):
    other = TrainConfig(**{**CFG.to_dict(), "lr": 1e-3})
    t = trainer(model(), other)
    before = {k: v.clone() for k, v in t.model.state_dict().items()}
    with pytest.raises(CheckpointError, match="lr: checkpoint 0.005, now 0.001"):
        t.load_checkpoint(checkpoint)
    for k, v in t.model.state_dict().items():  # refused before any weight was overwritten
        assert torch.equal(v, before[k]), k


def test_resume_reads_and_hashes_each_tensor_file_once(checkpoint, monkeypatch):
    import minillm.train.checkpoint as ckpt

    hashed = []
    monkeypatch.setattr(ckpt, "file_sha256", lambda p: hashed.append(p.name) or file_sha256(p))
    Trainer.resume(checkpoint.parent, model(), DATA[:2500], DATA[2500:])
    assert sorted(hashed) == ["model.safetensors", "optimizer.safetensors"]


def test_missing_tensor_is_named(checkpoint):
    path = checkpoint / "model.safetensors"
    tensors = load_file(str(path))
    del tensors["blocks.1.mlp.up_proj.weight"]
    save_file(tensors, str(path))
    state_path = checkpoint / "trainer.json"
    state = json.loads(state_path.read_text())
    state["sha256"]["model.safetensors"] = file_sha256(path)  # consistent, but incomplete
    state_path.write_text(json.dumps(state))
    with pytest.raises(CheckpointError, match="missing tensor 'blocks.1.mlp.up_proj.weight'"):
        trainer(model()).load_checkpoint(checkpoint)


def test_missing_optimizer_state_is_named(checkpoint):
    path = checkpoint / "optimizer.safetensors"
    tensors = {k: v for k, v in load_file(str(path)).items() if not k.startswith("norm_f.")}
    save_file(tensors, str(path))
    state_path = checkpoint / "trainer.json"
    state = json.loads(state_path.read_text())
    state["sha256"]["optimizer.safetensors"] = file_sha256(path)
    state_path.write_text(json.dumps(state))
    with pytest.raises(CheckpointError, match="optimizer state of 'norm_f.weight'"):
        trainer(model()).load_checkpoint(checkpoint)


def test_not_a_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        trainer(model()).load_checkpoint(tmp_path / "nope")
