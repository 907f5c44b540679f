"""minillm release: generate exercises/ from solutions/ (or check that they are up to date).

python -m minillm release [--check] [--solutions solutions] [--exercises exercises]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "generate exercises/ from solutions/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--solutions",
        type=Path,
        default=Path("solutions"),
        help="source folder (default: solutions)",
    )
    parser.add_argument(
        "--exercises",
        type=Path,
        default=Path("exercises"),
        help="output folder (default: exercises)",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if an exercise is out of date"
    )


def run(args: argparse.Namespace) -> int:
    from minillm.course.notebook import NotebookError
    from minillm.course.release import release_all

    try:
        problems = release_all(args.solutions, args.exercises, check=args.check)
    except NotebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        for p in problems:
            print(p, file=sys.stderr)
        if problems:
            return 1
        print(f"exercises are up to date with {args.solutions}")
        return 0
    count = len(list(args.solutions.glob("[0-9][0-9]_*.ipynb")))
    print(f"released {count} notebook(s) from {args.solutions} into {args.exercises}")
    return 0
