"""Benchmark minillm's byte-level BPE against Hugging Face `tokenizers` and tiktoken.

All figures come from one run on the same text (default: 5 MB of the course corpus):
  1. training time to vocab 8192 vs `tokenizers` (BpeTrainer, ByteLevel pre-tokenization);
  2. encoding throughput with GPT-2's ranks vs tiktoken with the same ranks and pattern,
     from a cold cache, ids checked identical; and encode_batch on all cores;
  3. peak memory of training (Python allocations, tracemalloc) relative to the corpus size.

    python benchmarks/bench_tokenizer.py [--mb 5] [--vocab 8192] [--corpus course|pysrc] [--json out.json]

`--corpus pysrc` uses the Python standard library's own sources instead (varied text that has
enough distinct words to reach vocab 8192; the course corpus has a small world and runs out of
pairs before). Oracles that are not installed are reported as skipped.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pathlib
import platform
import sysconfig
import time
import tracemalloc
import warnings

from minillm.tokenizer import BPETokenizer
from minillm.tokenizer.assets import GPT2_SPECIAL_TOKENS, gpt2_ranks_path

EOT = "<|endoftext|>"


def course_documents(n_bytes: int) -> list[str]:
    from minillm.corpus import generate_corpus, split_documents

    return split_documents(generate_corpus(n_bytes, seed=0))


def pysrc_documents(n_bytes: int) -> list[str]:
    root = pathlib.Path(sysconfig.get_paths()["stdlib"])
    docs, total = [], 0
    for path in sorted(root.rglob("*.py")):
        if "test" in path.parts or "site-packages" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace").replace(EOT, "")
        docs.append(text)
        total += len(text.encode())
        if total >= n_bytes:
            break
    return docs


def timed(fn):
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def bench_training(docs: list[str], vocab: int) -> dict:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours, t_ours = timed(
            lambda: BPETokenizer().train(docs, vocab, special_tokens=[EOT], verbose=False)
        )
    res = {
        "ours_s": t_ours,
        "ours_vocab": ours.vocab_size,
        "ours_note": "; ".join(str(w.message) for w in caught),
    }
    try:
        from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    except ImportError:
        res["hf_skipped"] = "tokenizers is not installed"
        return res

    def hf_train():
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        trainer = trainers.BpeTrainer(
            vocab_size=vocab,
            special_tokens=[EOT],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        tok.train_from_iterator(docs, trainer=trainer)
        return tok

    hf, t_hf = timed(hf_train)
    res.update(hf_s=t_hf, hf_vocab=hf.get_vocab_size(), ratio=t_ours / t_hf)
    return res


def bench_memory(docs: list[str], vocab: int) -> dict:
    """Peak of Python allocations while training on the corpus as ONE string (the chunked path,
    the worst case: a list of small documents peaks lower). The string itself, allocated
    before, is not counted."""
    text = f"\n{EOT}\n".join(docs)
    corpus_bytes = len(text.encode())
    gc.collect()
    tracemalloc.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        BPETokenizer().train(text, vocab, special_tokens=[EOT], verbose=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"corpus_bytes": corpus_bytes, "peak_bytes": peak, "ratio": peak / corpus_bytes}


def bench_encoding(docs: list[str]) -> dict:
    path = gpt2_ranks_path()
    if path is None:
        return {"skipped": "GPT-2 ranks not found: pip install --no-deps openai-whisper"}
    try:
        import tiktoken
        from tiktoken.load import load_tiktoken_bpe
    except ImportError:
        return {"skipped": "tiktoken is not installed"}
    text = f"\n{EOT}\n".join(docs)
    n_bytes = len(text.encode())
    ref = tiktoken.Encoding(
        "gpt2-local",
        pat_str=BPETokenizer(pattern="gpt2").pattern,
        mergeable_ranks=load_tiktoken_bpe(str(path)),
        special_tokens=GPT2_SPECIAL_TOKENS,
    )
    ref_ids, t_ref = timed(lambda: ref.encode(text, allowed_special="all"))
    ours = BPETokenizer.from_tiktoken(path, "gpt2", GPT2_SPECIAL_TOKENS)  # fresh: cold cache
    ids, t_cold = timed(lambda: ours.encode(text, allowed_special="all"))
    _, t_warm = timed(lambda: ours.encode(text, allowed_special="all"))
    ours_batch = BPETokenizer.from_tiktoken(path, "gpt2", GPT2_SPECIAL_TOKENS)
    cores = os.cpu_count() or 1
    batch_ids, t_batch = timed(lambda: ours_batch.encode_batch(docs, num_workers=cores))
    ref_batch, t_ref_batch = timed(lambda: ref.encode_ordinary_batch(docs, num_threads=cores))
    mb = n_bytes / 1e6
    return {
        "text_bytes": n_bytes,
        "tokens": len(ids),
        "identical": ids == ref_ids and batch_ids == ref_batch,
        "tiktoken_MBps": mb / t_ref,
        "ours_cold_MBps": mb / t_cold,
        "ours_warm_MBps": mb / t_warm,
        "ratio_cold": t_ref / t_cold,
        "ratio_warm": t_ref / t_warm,
        "cores": cores,
        "ours_batch_MBps": mb / t_batch,
        "tiktoken_batch_MBps": mb / t_ref_batch,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=5.0, help="corpus size in megabytes")
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--corpus", choices=["course", "pysrc"], default="course")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = ap.parse_args()

    n_bytes = int(args.mb * 1e6)
    docs = course_documents(n_bytes) if args.corpus == "course" else pysrc_documents(n_bytes)
    size = sum(len(d.encode()) for d in docs)
    print(
        f"corpus: {args.corpus}, {size / 1e6:.2f} MB in {len(docs)} documents; "
        f"{os.cpu_count()} cores; Python {platform.python_version()}"
    )

    train = bench_training(docs, args.vocab)
    enc = bench_encoding(docs)
    mem = bench_memory(docs, args.vocab)

    rows = [("training, minillm", f"{train['ours_s']:.2f} s", f"vocab {train['ours_vocab']}")]
    if "hf_s" in train:
        rows.append(
            ("training, HF tokenizers", f"{train['hf_s']:.2f} s", f"vocab {train['hf_vocab']}")
        )
        rows.append(("  minillm / HF time", f"{train['ratio']:.2f}x", "target <= 3x"))
    else:
        rows.append(("training, HF tokenizers", "skipped", train["hf_skipped"]))
    if "skipped" in enc:
        rows.append(("encoding (GPT-2 ranks)", "skipped", enc["skipped"]))
    else:
        rows += [
            ("encode, tiktoken, 1 core", f"{enc['tiktoken_MBps']:.2f} MB/s", ""),
            (
                "encode, minillm cold, 1 core",
                f"{enc['ours_cold_MBps']:.2f} MB/s",
                f"{enc['ratio_cold']:.2f}x tiktoken (target >= 0.3x, aim 0.5x)",
            ),
            (
                "encode, minillm warm, 1 core",
                f"{enc['ours_warm_MBps']:.2f} MB/s",
                f"{enc['ratio_warm']:.2f}x tiktoken",
            ),
            (
                f"encode_batch, minillm, {enc['cores']} procs",
                f"{enc['ours_batch_MBps']:.2f} MB/s",
                "",
            ),
            (
                f"encode batch, tiktoken, {enc['cores']} threads",
                f"{enc['tiktoken_batch_MBps']:.2f} MB/s",
                "",
            ),
            ("  ids identical to tiktoken", str(enc["identical"]), f"{enc['tokens']} tokens"),
        ]
    rows.append(
        (
            "training peak memory",
            f"{mem['peak_bytes'] / 1e6:.1f} MB",
            f"{mem['ratio']:.2f}x corpus (target < 10x)",
        )
    )
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{w0}}  {value:>{w1}}  {note}")
    if train.get("ours_note"):
        print(f"note: {train['ours_note']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "args": vars(args),
                    "corpus_bytes": size,
                    "training": train,
                    "encoding": enc,
                    "memory": mem,
                },
                f,
                indent=2,
            )
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
