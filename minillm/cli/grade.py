"""minillm grade: execute notebooks headless and print a score table.

    python -m minillm grade exercises/01_tokenization_bpe.ipynb [--json] [--timeout 300]
    python -m minillm grade --source private/solutions submissions/*.ipynb

The exercises and their points come from the matching solution notebook (same file name in
../solutions or ./solutions, or --source DIR, or --source FILE for one renamed notebook).
Exit code: 0 when every notebook was graded, 1 when one could not be (no solution, bad file).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HELP = "execute notebooks headless and print a score table"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, help="notebooks to grade")
    parser.add_argument(
        "--timeout",
        type=float,
        default=300,
        help="time limit per notebook in seconds (default 300)",
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=None,
        help="the solution notebooks: a folder (matched by file name) or one notebook "
        "(default: ../solutions or ./solutions next to each notebook)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the results as JSON for classroom tools"
    )


def run(args: argparse.Namespace) -> int:
    from minillm.course.grade import format_table, grade_notebook, to_json

    if args.timeout <= 0:
        print(f"error: --timeout must be positive, got {args.timeout}", file=sys.stderr)
        return 2
    if args.source is not None and not args.source.exists():
        print(f"error: --source {args.source}: no such file or folder", file=sys.stderr)
        return 2
    if args.source is not None and args.source.is_file() and len(args.paths) > 1:
        print(
            f"error: --source {args.source} is one notebook; grade one notebook with it, "
            "or pass the folder of solutions",
            file=sys.stderr,
        )
        return 2
    missing = [p for p in args.paths if not p.is_file()]
    for p in missing:
        print(f"error: {p}: no such notebook file", file=sys.stderr)
    results = [grade_notebook(p, args.timeout, args.source) for p in args.paths if p.is_file()]
    for r in results:
        if r.error:
            print(f"error: {r.error}", file=sys.stderr)
    print(json.dumps(to_json(results), indent=2) if args.json else format_table(results))
    return 1 if missing or any(r.error for r in results) else 0
