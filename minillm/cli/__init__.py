"""The ``minillm`` command line: one module per command in this package.

A command module ``minillm/cli/NAME.py`` provides

    HELP: str                                   one line for ``minillm --help``
    add_arguments(parser) -> None               its options (argparse only)
    run(args) -> int                            the exit code; imports the library it needs here

and is found by its file name, so adding a command is adding one file. Command modules import
only the standard library at module level: building the parser for every command stays instant
and never loads torch, whatever the command line contains.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from types import ModuleType

from minillm import __version__


def command_names() -> list[str]:
    """Every command: the public modules of this package, in alphabetical order."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def command_module(name: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minillm", description="minillm: build a small LLM from scratch, lesson by lesson."
    )
    parser.add_argument("--version", action="version", version=f"minillm {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in command_names():
        module = command_module(name)
        p = sub.add_parser(
            name,
            help=module.HELP,
            description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.run(args)
