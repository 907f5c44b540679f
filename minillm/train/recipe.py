"""The course-model recipe: corpus -> tokenizer -> token file -> training -> exported model.

    >>> metrics = run_recipe(RECIPES["course"], out_dir="course_model")   # `minillm train`
    >>> metrics = run_recipe(RECIPES["draft"], out_dir="draft_model")     # speculative draft

The draft recipe trains a 2-layer model on the same corpus with the course model's committed
tokenizer (copied, not retrained: the draft must use the same token ids as its target).

Everything is seeded, so the same recipe on the same machine (same torch, same thread count)
writes the same bytes of model.safetensors and tokenizer.txt. The output folder holds:

    model.safetensors   the weights (float16 to halve the size; float32 in the checkpoint)
    tokenizer.txt       the byte-level BPE tokenizer (minillm format)
    recipe.json         this recipe, exactly, plus the corpus sha256, the thread count and the
                        git commit of the minillm code that trained it
    metrics.json        validation loss/perplexity, training time, loss history, samples
    SHA256SUMS          sha256 of model.safetensors and tokenizer.txt (checked on load)

Intermediate files (token file, training checkpoint) go to work_dir.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from minillm.config import ModelConfig
from minillm.corpus import EOT, generate_corpus, split_documents
from minillm.data import read_text
from minillm.data.dataset import write_token_file
from minillm.hashing import file_sha256, text_sha256
from minillm.model import Transformer
from minillm.tokenizer import BPETokenizer
from minillm.train.checkpoint import list_checkpoints
from minillm.train.trainer import TrainConfig, Trainer, evaluate

MODEL_FILE, TOKENIZER_FILE, RECIPE_FILE = "model.safetensors", "tokenizer.txt", "recipe.json"
METRICS_FILE, SUMS_FILE = "metrics.json", "SHA256SUMS"
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # minillm/: relative tokenizer paths start here
EXPORT_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}
SAMPLE_PROMPTS = ("Once upon a time", "Question: What is 12 + 7?\nAnswer:", "Tom and")


def source_commit() -> str | None:
    """The git commit of the minillm source tree ("<sha>-dirty" with uncommitted changes to the
    package code; the exported model files in minillm/assets do not count), or None outside a
    git checkout (an installed wheel)."""
    root = Path(__file__).resolve().parents[2]

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10,
            check=True,
        ).stdout.strip()  # fmt: skip

    try:
        sha = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--", "minillm", ":(exclude)minillm/assets")
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{sha}-dirty" if dirty else sha


@dataclass
class Recipe:
    """What to train on, which model, how, and how to export it."""

    name: str
    model: dict[str, Any]  # ModelConfig fields (vocab_size comes from the tokenizer)
    train: dict[str, Any]  # TrainConfig fields
    corpus_bytes: int = 10_000_000  # size of the synthetic corpus
    corpus_seed: int = 0
    text_path: str | None = None  # train on this file/folder instead of the synthetic corpus
    vocab_size: int = 4096
    tokenizer_train_bytes: int = 4_000_000  # BPE is trained on this prefix of the corpus
    # reuse this tokenizer.txt (relative to the minillm package folder, or absolute) instead of
    # training BPE: its bytes are copied to the output and its vocab_size must be vocab_size
    tokenizer_path: str | None = None
    val_fraction: float = 0.02
    init_seed: int = 0  # weight initialisation
    export_dtype: str = "float16"
    num_threads: int = 2
    checkpoint_interval: int = 100
    sample_tokens: int = 60

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> Recipe:
        return dataclasses.replace(self, **changes)


_COURSE_MODEL = dict(
    norm="rmsnorm", activation="swiglu", positions="rope", bias=False, tie_embeddings=False,
    d_model=256, n_layers=4, n_heads=4, n_kv_heads=2, d_ff=768, max_seq_len=256,
)  # fmt: skip

_COURSE_TRAIN = dict(
    batch_size=8, seq_len=256, max_steps=400, lr=2e-3, min_lr=2e-4, warmup_steps=40,
    weight_decay=0.1, grad_clip=1.0, precision="bf16", eval_interval=100, eval_batches=16,
    seed=0,
)  # fmt: skip

RECIPES: dict[str, Recipe] = {
    # The course model: ~5.2M parameters, trained in ~3 minutes on 2 idle CPU cores.
    "course": Recipe(
        name="course",
        model=_COURSE_MODEL,
        train=_COURSE_TRAIN,
    ),
    # The speculative-decoding draft: 1 layer of d=128 (~1.25M parameters, a quarter of the
    # course model's) on the same corpus with the course model's tokenizer file, so both models
    # share every token id. At batch 1 a decode step costs about a fixed time per layer, so one
    # layer is what makes it cheap; tests/test_pretrained_draft.py checks that its greedy choice
    # agrees with the course model's on held-out text (> 78%). ~1.6M tokens: about a third of
    # the course model's training FLOPs.
    "draft": Recipe(
        name="draft",
        model=dict(_COURSE_MODEL, d_model=128, n_layers=1, n_heads=4, n_kv_heads=2, d_ff=384),
        train=dict(_COURSE_TRAIN, batch_size=16, lr=3e-3, min_lr=3e-4),
        tokenizer_path="assets/course_model/tokenizer.txt",
    ),
    # A seconds-long version of the same pipeline, for tests and for trying the command.
    "tiny": Recipe(
        name="tiny",
        model=dict(
            _COURSE_MODEL, d_model=64, n_layers=2, n_heads=4, n_kv_heads=2, d_ff=176, max_seq_len=64
        ),  # fmt: skip
        train=dict(
            batch_size=4,
            seq_len=64,
            max_steps=8,
            lr=3e-3,
            min_lr=3e-4,
            warmup_steps=2,
            precision="bf16",
            eval_interval=4,
            eval_batches=2,
            seed=0,
        ),  # fmt: skip
        corpus_bytes=200_000,
        vocab_size=384,
        tokenizer_train_bytes=100_000,
        val_fraction=0.1,
        checkpoint_interval=4,
        sample_tokens=12,
    ),
}


def resolve_tokenizer_path(path: str | os.PathLike) -> Path:
    """An absolute path as is; a relative one under the minillm package folder."""
    path = Path(path)
    return path if path.is_absolute() else PACKAGE_DIR / path


def make_tokenizer(recipe: Recipe, text: str, out_dir: Path) -> BPETokenizer:
    """Train BPE on the corpus prefix, or copy `recipe.tokenizer_path`; write out_dir/tokenizer.txt.

    Raises FileNotFoundError (no such tokenizer file) or ValueError (its vocab_size is not the
    recipe's), naming the file."""
    out = out_dir / TOKENIZER_FILE
    if recipe.tokenizer_path is None:
        tokenizer = BPETokenizer().train(
            text[: recipe.tokenizer_train_bytes], recipe.vocab_size, special_tokens=[EOT],
            verbose=False,
        )  # fmt: skip
        tokenizer.save(out)
        return tokenizer
    source = resolve_tokenizer_path(recipe.tokenizer_path)
    if not source.is_file():
        raise FileNotFoundError(f"tokenizer_path={recipe.tokenizer_path!r}: no file {source}")
    tokenizer = BPETokenizer.load(source)
    if tokenizer.vocab_size != recipe.vocab_size:
        raise ValueError(
            f"tokenizer {source} has vocab_size={tokenizer.vocab_size}, the recipe says "
            f"vocab_size={recipe.vocab_size}: make them agree"
        )
    if source.resolve() != out.resolve():
        shutil.copyfile(source, out)  # the same bytes, so the same sha256 as the source's
    return tokenizer


def export_model(model: Transformer, path: str | os.PathLike, dtype: str = "float16") -> None:
    """Save a copy of the weights in `dtype` (the training model is untouched)."""
    if dtype not in EXPORT_DTYPES:
        raise ValueError(f"export dtype={dtype!r} is unknown; valid: {sorted(EXPORT_DTYPES)}")
    copy = Transformer(model.config)
    copy.load_state_dict(model.state_dict())
    copy.to(EXPORT_DTYPES[dtype]).save(path)


def sample(model: Transformer, tokenizer: BPETokenizer, prompts=SAMPLE_PROMPTS, n: int = 60,
           seed: int = 0) -> list[str]:  # fmt: skip
    """Continuations of each prompt (temperature 0.8, top-k 50, seeded)."""
    out = []
    for prompt in prompts:
        idx = torch.tensor([tokenizer.encode(prompt)])
        ids = model.generate(idx, n, temperature=0.8, top_k=50, seed=seed)[0].tolist()
        out.append(tokenizer.decode(ids))
    return out


def run_recipe(
    recipe: Recipe,
    out_dir: str | os.PathLike,
    work_dir: str | os.PathLike | None = None,
    progress: bool = True,
    resume: bool = False,
    log: Callable[[str], object] | None = None,
) -> dict[str, Any]:
    """Run `recipe` end to end; write the exported model to out_dir; return the metrics.

    log: called with one line per stage (``minillm train`` passes ``print``); silent if None.
    """
    log = log or (lambda line: None)
    out_dir = Path(out_dir)
    work_dir = Path(work_dir) if work_dir is not None else out_dir.with_name(out_dir.name + "-work")
    out_dir.mkdir(parents=True, exist_ok=True)
    work_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(recipe.num_threads)
    t0 = time.perf_counter()

    if recipe.text_path is not None:
        text = read_text(recipe.text_path)
    else:
        text = generate_corpus(recipe.corpus_bytes, seed=recipe.corpus_seed)
    log(f"corpus: {len(text):,} characters, sha256 {text_sha256(text)[:16]}...")

    tokenizer = make_tokenizer(recipe, text, out_dir)
    if recipe.tokenizer_path is not None:
        log(f"tokenizer: {recipe.tokenizer_path} (vocab {tokenizer.vocab_size}), not retrained")
    token_file = write_token_file(
        work_dir / "tokens.bin", split_documents(text), tokenizer,
        num_workers=recipe.num_threads, progress=progress,
    )  # fmt: skip
    train_tokens, val_tokens = token_file.split(recipe.val_fraction)
    log(f"tokens: {len(train_tokens):,} train, {len(val_tokens):,} validation")
    t_data = time.perf_counter() - t0

    config = ModelConfig(**{**recipe.model, "vocab_size": tokenizer.vocab_size}, name=recipe.name)
    train_config = TrainConfig(**recipe.train)
    torch.manual_seed(recipe.init_seed)
    model = Transformer(config)
    ckpt = work_dir / "checkpoint"
    if resume and (list_checkpoints(ckpt) or (ckpt / "trainer.json").is_file()):
        # the newest complete step folder; CheckpointError if none is (never a silent restart)
        trainer = Trainer.resume(ckpt, model, train_tokens, val_tokens, train_config,
                                 checkpoint_dir=ckpt,
                                 checkpoint_interval=recipe.checkpoint_interval)  # fmt: skip
        for reason in trainer.skipped_checkpoints:
            log(f"checkpoint {reason}")
        log(f"resumed from {trainer.resumed_from} at step {trainer.step}")
    else:
        trainer = Trainer(model, train_tokens, val_tokens, train_config, checkpoint_dir=ckpt,
                          checkpoint_interval=recipe.checkpoint_interval)  # fmt: skip
    log(f"model: {model.num_params():,} parameters; {train_config.max_steps} steps of "
        f"{train_config.tokens_per_step:,} tokens")  # fmt: skip
    t1, start_step = time.perf_counter(), trainer.step
    history = trainer.fit(progress=progress)
    t_train = time.perf_counter() - t1

    export_model(model, out_dir / MODEL_FILE, recipe.export_dtype)
    exported = Transformer.load(out_dir / MODEL_FILE)
    ev = evaluate(exported, val_tokens, train_config.batch_size, train_config.seq_len)
    samples = sample(exported, tokenizer, n=recipe.sample_tokens)
    metrics = {
        "val_loss": ev["loss"],  # the whole validation split, with the exported weights
        "val_perplexity": ev["perplexity"],
        "val_loss_fp32_last_eval": history[-1].get("val_loss"),
        "num_params": model.num_params(),
        "train_tokens_seen": train_config.tokens_per_step * trainer.step,
        "train_seconds": round(t_train, 1),
        "data_seconds": round(t_data, 1),
        "total_seconds": round(time.perf_counter() - t0, 1),
        "tokens_per_second": round(
            train_config.tokens_per_step * (trainer.step - start_step) / max(t_train, 1e-9), 1
        ),  # fmt: skip
        "torch": torch.__version__,
        "samples": samples,
        "history": history,
    }
    recipe_json = {
        "command": f"minillm train --preset {recipe.name}",
        "recipe": recipe.to_dict(),
        "model_config": config.to_dict(),
        "corpus_sha256": text_sha256(text),
        "torch_threads": torch.get_num_threads(),
        # the same bytes need the same model code: which commit of minillm trained this
        "minillm_commit": source_commit(),
    }
    (out_dir / RECIPE_FILE).write_text(json.dumps(recipe_json, indent=2) + "\n")
    (out_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=1) + "\n")
    sums = "".join(f"{file_sha256(out_dir / f)}  {f}\n" for f in (MODEL_FILE, TOKENIZER_FILE))
    (out_dir / SUMS_FILE).write_text(sums)
    log(f"val loss {ev['loss']:.4f} (perplexity {ev['perplexity']:.2f}); trained in "
        f"{t_train:.0f} s; wrote {out_dir}")  # fmt: skip
    return metrics
