"""minillm train: train a model with a named recipe (the course model by default).

    minillm train --preset course                     # ~15 min on 2 cores -> ./course_model/
    minillm train --preset tiny --out /tmp/tiny       # seconds: the same pipeline, tiny
    minillm train --preset course --text notes/ --out my_model   # your own text
    minillm train --preset course --resume            # continue from the work-dir checkpoint

Overrides (--max-steps, --lr, ...) change the recipe; recipe.json records what ran.
"""

from __future__ import annotations

import argparse
import sys

HELP = "train a model from a recipe (--preset course: the course model)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # The presets are checked in run(): listing them here would import torch for every command.
    parser.add_argument("--preset", default="course",
                        help="recipe to run: course (default), tiny, ... (minillm.train.recipe.RECIPES)")  # fmt: skip
    parser.add_argument("--out", default=None, help="output folder (default: ./<preset>_model)")
    parser.add_argument("--work-dir", default=None,
                        help="token file and checkpoints (default: <out>-work)")  # fmt: skip
    parser.add_argument("--text", default=None,
                        help="train on this UTF-8 file or folder instead of the synthetic corpus")  # fmt: skip
    parser.add_argument("--max-steps", type=int, default=None, help="optimizer steps")
    parser.add_argument("--batch-size", type=int, default=None, help="sequences per step")
    parser.add_argument("--lr", type=float, default=None, help="peak learning rate")
    parser.add_argument("--precision", choices=("fp32", "bf16", "fp16"), default=None)
    parser.add_argument("--seed", type=int, default=None, help="data-order seed")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--resume", action="store_true",
                        help="continue from the checkpoint in the work dir, if there is one")  # fmt: skip
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def recipe_from_args(args: argparse.Namespace):
    """The named recipe with the command-line overrides applied (ValueError: unknown preset)."""
    from minillm.train.recipe import RECIPES

    if args.preset not in RECIPES:
        raise ValueError(
            f"unknown preset {args.preset!r}; valid presets: {', '.join(sorted(RECIPES))}"
        )
    recipe = RECIPES[args.preset]
    train = dict(recipe.train)
    for key in ("max_steps", "batch_size", "lr", "precision", "seed"):  # flag name = field name
        value = getattr(args, key, None)
        if value is not None:
            train[key] = value
    if "max_steps" in train and train.get("warmup_steps", 0) > train["max_steps"]:
        train["warmup_steps"] = train["max_steps"]
    changes = {"train": train}
    if getattr(args, "text", None) is not None:
        changes["text_path"] = args.text
    if getattr(args, "threads", None) is not None:
        changes["num_threads"] = args.threads
    return recipe.replace(**changes)


def run(args: argparse.Namespace) -> int:
    from minillm.train.recipe import run_recipe

    try:
        recipe = recipe_from_args(args)
        out = args.out or f"{args.preset}_model"
        run_recipe(recipe, out, args.work_dir, progress=not args.no_progress, resume=args.resume,
                   log=print)  # fmt: skip
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
