"""minillm release: generate exercises/ from solutions/ (or check that they are up to date).

minillm release [--check] [--solutions solutions] [--exercises exercises]
"""

# A thin forwarder for now: the options and the printing still live in minillm.course.release,
# which imports only the standard library (so building the parser stays light).

from __future__ import annotations

import argparse

HELP = "generate exercises/ from solutions/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from minillm.course import release

    release.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from minillm.course import release

    return release.run(args)
