"""The ``minillm`` command line. Each subcommand lives in its own module, which provides
``add_arguments(parser)`` and ``run(args) -> int``; add a line to ``COMMANDS`` to grow it."""

from __future__ import annotations

import argparse
import importlib
import sys

from minillm import __version__

# name -> (module, one-line help). Modules are imported only when their command runs.
COMMANDS: dict[str, tuple[str, str]] = {
    "env": ("minillm.env", "check packages, devices and how Triton kernels will run"),
    "release": ("minillm.course.release", "generate exercises/ from solutions/"),
    "grade": ("minillm.course.grade", "execute notebooks headless and print a score table"),
    "corpus": ("minillm.data.synthetic", "write the seeded course corpus to a text file"),
    "train": (
        "minillm.cli_train",
        "train a model from a recipe (--preset course: the course model)",
    ),
}


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minillm", description="minillm: build a small LLM from scratch, lesson by lesson."
    )
    parser.add_argument("--version", action="version", version=f"minillm {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        # Import a module only for the command being run, so `minillm --help` stays instant.
        if name in argv:
            importlib.import_module(module).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return importlib.import_module(COMMANDS[args.command][0]).run(args)


if __name__ == "__main__":
    sys.exit(main())
