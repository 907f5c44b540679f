"""A mini Llama trained a few steps with the Triton kernels gives the losses of the PyTorch
path (kernels in the interpreter on CPU). The model is unchanged: only MINILLM_BACKEND differs.

TRITON_INTERPRET must be set before the kernel files are imported (see
test_kernels_attention.py for why).
"""

from __future__ import annotations

import os

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

import pytest  # noqa: E402

pytest.importorskip("triton")

from minillm.config import ModelConfig  # noqa: E402
from minillm.kernels import _utils  # noqa: E402
from minillm.model import Transformer  # noqa: E402

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def train_losses(backend: str, monkeypatch, steps: int = 4) -> tuple[list[float], set[str]]:
    monkeypatch.setenv("MINILLM_BACKEND", backend)
    monkeypatch.setattr(_utils, "_env_backend", None)  # re-read it
    used: set[str] = set()
    real_load = _utils.load_kernel

    def spy(module):  # records which kernel files the model actually reached
        used.add(module)
        return real_load(module)

    monkeypatch.setattr(_utils, "load_kernel", spy)
    torch.manual_seed(0)
    # Llama flavour: RMSNorm, RoPE, SwiGLU, GQA (4 query heads : 2 kv heads), head_dim 16.
    cfg = ModelConfig.preset("llama-tiny", vocab_size=96, d_model=64, n_layers=2, d_ff=80)
    model = Transformer(cfg).to(DEVICE)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(1)
    # One batch, seen every step: the loss must fall. T = 17 is not a multiple of any block.
    batch = torch.randint(0, cfg.vocab_size, (2, 18), generator=g).to(DEVICE)
    losses = []
    for _ in range(steps):
        loss = model(batch[:, :-1], targets=batch[:, 1:]).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    monkeypatch.undo()
    return losses, used


@pytest.mark.triton
@pytest.mark.slow
def test_training_steps_match_between_triton_and_torch(monkeypatch):
    torch_losses, torch_used = train_losses("torch", monkeypatch)
    triton_losses, triton_used = train_losses("triton", monkeypatch)
    assert torch_used == set()
    assert {"flash_attention", "rms_norm", "rope", "swiglu", "cross_entropy"} <= triton_used
    # The losses must move (the steps do something) and agree step by step: after 4 AdamW
    # steps the fp32 rounding differences measured ~5e-7.
    assert torch_losses[-1] < torch_losses[0]
    torch.testing.assert_close(triton_losses, torch_losses, atol=2e-5, rtol=1e-5)
