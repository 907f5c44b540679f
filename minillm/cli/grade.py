"""minillm grade: execute notebooks headless and print a score table.

minillm grade exercises/01_tokenization_bpe.ipynb [--json] [--timeout 300]
"""

# A thin forwarder for now: the options and the printing still live in minillm.course.grade,
# which imports only the standard library (so building the parser stays light).

from __future__ import annotations

import argparse

HELP = "execute notebooks headless and print a score table"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from minillm.course import grade

    grade.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from minillm.course import grade

    return grade.run(args)
