"""minillm env: check packages, devices and how the Triton kernels will run here.

Exit code 0 when every required package is installed at its minimum version, else 1.
"""

from __future__ import annotations

import argparse

HELP = "check packages, devices and how Triton kernels will run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options yet


def run(args: argparse.Namespace) -> int:
    from minillm.env import report

    text, ok = report()
    print(text, flush=True)
    return 0 if ok else 1
