"""minillm corpus: write the seeded course corpus (stories and checkable tasks) to a text file.

    minillm corpus --bytes 10000000 --out corpus.txt

Same options, same bytes, on any machine (see ``minillm.corpus``).
"""

from __future__ import annotations

import argparse
import sys

HELP = "write the seeded course corpus to a text file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bytes", type=int, default=10_000_000,
                        help="size to reach, in whole documents (default: 10000000)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default: 0)")
    parser.add_argument("--task-fraction", type=float, default=None,
                        help="share of documents that are task blocks "
                             "(default: minillm.corpus.DEFAULT_TASK_FRACTION)")  # fmt: skip
    parser.add_argument("--out", required=True, help="output path")


def run(args: argparse.Namespace) -> int:
    import time

    from minillm.corpus import DEFAULT_TASK_FRACTION, EOT, generate_corpus

    fraction = DEFAULT_TASK_FRACTION if args.task_fraction is None else args.task_fraction
    start = time.perf_counter()
    try:
        text = generate_corpus(args.bytes, args.seed, fraction)
    except (TypeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    seconds = time.perf_counter() - start
    n_docs = text.count(EOT) + 1 if text else 0
    print(f"wrote {len(text):,} bytes, {n_docs:,} documents to {args.out} in {seconds:.2f} s")
    return 0
