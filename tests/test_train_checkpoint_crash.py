"""A process killed while saving a checkpoint never destroys the checkpoints it already wrote.

A child process saves checkpoints of a ~260k-parameter model in a loop and reports each one;
the test SIGKILLs it (mid-write, found by a hook, or at random times), always reaps it, and
checks that the checkpoint root still resumes from the last complete save with exactly the
weights that save held. Also: keep-last-K pruning, skipping a damaged newest folder with a
message, and the older single-folder layout.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from minillm.train.checkpoint import (
    CheckpointError,
    CheckpointWarning,
    TrainerState,
    find_checkpoint,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
)

ROOT = Path(__file__).resolve().parents[1]
DEADLINE_S = 120  # for the child to report (importing torch on a loaded 2-core machine)

# The child: weights at step s are a pure function of s, so the parent can check them.
CHILD = textwrap.dedent(
    """
    import sys, time
    import torch
    from minillm.train import checkpoint as ck

    root, mode = sys.argv[1], sys.argv[2]

    def make_model():
        return torch.nn.Sequential(torch.nn.Linear(256, 512), torch.nn.Linear(512, 256))

    def set_step(model, opt, step):
        for p in model.parameters():
            p.grad = torch.ones_like(p)
        opt.step()  # gives the optimizer state to save
        g = torch.Generator().manual_seed(step)
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(torch.randn(p.shape, generator=g))

    if mode == "hang-in-optimizer-write":
        # Stop (and wait to be killed) inside the save of step 3, after the model file and
        # half of the optimizer file are written: the moment a kill does the most damage.
        real, calls = ck.save_file, []

        def save_file(tensors, filename, metadata=None):
            calls.append(filename)
            real(tensors, filename, metadata=metadata)
            if len(calls) == 6:  # steps 1 and 2 write 2 files each; then model, optimizer
                data = open(filename, "rb").read()
                open(filename, "wb").write(data[: len(data) // 2])
                print("mid-write", flush=True)
                time.sleep(600)

        ck.save_file = save_file

    model = make_model()
    opt = torch.optim.AdamW(model.parameters())
    step = 0
    while True:
        step += 1
        set_step(model, opt, step)
        state = ck.TrainerState(step=step, model_config={}, train_config={}, data={})
        ck.save_checkpoint(root, model, opt, state, keep=2)
        print("saved", step, flush=True)
    """
)


def expected_weights(step: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(step)
    shapes = [(512, 256), (512,), (256, 512), (256,)]
    return [torch.randn(s, generator=g) for s in shapes]


def fresh_model() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(256, 512), torch.nn.Linear(512, 256))


class Child:
    """The saving process; `lines` reads its reports with a deadline; always reaped."""

    def __init__(self, root: Path, mode: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(root), mode],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    def read_line(self) -> str:
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=DEADLINE_S)
            raise AssertionError(f"child exited {self.proc.returncode}: {self.proc.stderr.read()}")
        return line.strip()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=DEADLINE_S)

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc) -> None:
        self.kill()  # reaped whatever happened in the test
        self.proc.stdout.close()
        self.proc.stderr.close()


def with_deadline(fn, seconds=DEADLINE_S):
    """Run fn in the main thread under an alarm, so a hung child cannot hang the test."""

    def on_alarm(signum, frame):
        raise TimeoutError(f"no report from the child within {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        return fn()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def assert_resumes_at(root: Path, step: int) -> None:
    model = fresh_model()
    state = load_checkpoint(root, model)
    assert state.step == step and state.skipped == []
    assert Path(state.path) == root / f"step-{step:06d}"
    for p, want in zip(model.parameters(), expected_weights(step)):
        assert torch.equal(p.detach(), want)


@pytest.mark.slow  # a child process importing torch: seconds
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_kill_mid_write_keeps_the_last_complete_checkpoint(tmp_path):
    root = tmp_path / "ckpt"
    with Child(root, "hang-in-optimizer-write") as child:
        reports = with_deadline(lambda: [child.read_line() for _ in range(3)])
        assert reports == ["saved 1", "saved 2", "mid-write"]
        child.kill()
        assert child.proc.returncode == -signal.SIGKILL
    # the killed save left only a temporary folder, which nothing reads
    assert [p.name for p in list_checkpoints(root)] == ["step-000001", "step-000002"]
    assert len(list(root.glob(".tmp-step-000003-*"))) == 1
    assert_resumes_at(root, 2)
    # the next save (this process) removes the dead process's temporary folder
    model, opt = fresh_model(), torch.optim.AdamW(fresh_model().parameters())
    save_checkpoint(root, model, opt, TrainerState(3, {}, {}, {}), keep=2)
    assert sorted(p.name for p in root.iterdir()) == ["step-000002", "step-000003"]


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_kill_at_random_times_always_resumes(tmp_path):
    rng = random.Random(0)
    for trial in range(3):
        root = tmp_path / f"ckpt{trial}"
        with Child(root, "loop") as child:
            first = with_deadline(child.read_line)
            assert first == "saved 1"
            t0 = time.perf_counter()
            second = with_deadline(child.read_line)  # one save's duration, to aim within it
            per_save = time.perf_counter() - t0
            time.sleep(rng.uniform(0.0, 1.5 * per_save))
            child.kill()
            rest = child.proc.stdout.read()  # reports written after `second`, before the kill
        last = max(int(line.split()[1]) for line in [second, *rest.splitlines()])
        state = find_checkpoint(root)
        # the kill came after `last` was reported, perhaps after the next rename too
        assert state.step in (last, last + 1), (state.step, last)
        assert_resumes_at(root, state.step)
        # keep=2; a kill between the rename and the pruning of the oldest leaves one more,
        # which the next save prunes
        assert len(list_checkpoints(root)) <= 3


def _saved(root, step, keep=3, weights_of=None):
    model = fresh_model()
    with torch.no_grad():
        for p, w in zip(model.parameters(), expected_weights(weights_of or step)):
            p.copy_(w)
    opt = torch.optim.AdamW(model.parameters())
    return save_checkpoint(root, model, opt, TrainerState(step, {}, {}, {}), keep=keep)


def test_keeps_the_newest_k_step_folders(tmp_path):
    for step in (10, 20, 30, 40):
        folder = _saved(tmp_path, step, keep=2)
        assert folder == tmp_path / f"step-{step:06d}"
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step-000030", "step-000040"]
    _saved(tmp_path, 40, keep=2, weights_of=41)  # the same step again replaces it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step-000030", "step-000040"]
    model = fresh_model()
    load_checkpoint(tmp_path / "step-000040", model)
    assert torch.equal(next(model.parameters()).detach(), expected_weights(41)[0])
    with pytest.raises(ValueError, match="keep=0 must be an int >= 1"):
        _saved(tmp_path, 50, keep=0)


def test_a_damaged_newest_folder_is_skipped_with_the_reason(tmp_path):
    for step in (1, 2):
        _saved(tmp_path, step)
    newest = tmp_path / "step-000002" / "optimizer.safetensors"
    newest.write_bytes(newest.read_bytes()[:100])  # truncated (e.g. a partial copy)
    with pytest.warns(CheckpointWarning, match="step-000002 skipped: .*corrupted: sha256"):
        state = find_checkpoint(tmp_path)
    assert state.step == 1 and state.skipped[0].startswith("step-000002 skipped")
    # the damaged folder itself, named explicitly, is an error, never silently used
    with pytest.raises(CheckpointError, match="optimizer.safetensors is corrupted"):
        load_checkpoint(tmp_path / "step-000002", fresh_model())
    (tmp_path / "step-000001" / "trainer.json").unlink()
    with pytest.raises(CheckpointError, match="no complete checkpoint in .*step-000001 skipped"):
        find_checkpoint(tmp_path)


def test_an_empty_root_is_named(tmp_path):
    with pytest.raises(CheckpointError, match="holds no checkpoint: no step-NNNNNN folders"):
        find_checkpoint(tmp_path)


def test_the_single_folder_layout_still_loads(tmp_path):
    folder = _saved(tmp_path / "root", 7)
    legacy = tmp_path / "legacy"
    folder.rename(legacy)  # trainer.json and the tensor files directly in the folder
    model = fresh_model()
    assert load_checkpoint(legacy, model).step == 7
    assert torch.equal(next(model.parameters()).detach(), expected_weights(7)[0])
