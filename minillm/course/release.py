"""Generate student exercises from solution notebooks (``minillm release``).

A solution notebook is the source of truth. Releasing it:

- replaces code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` with a stub
  (``raise NotImplementedError()``, at the marker's indentation; markdown answers become
  ``YOUR ANSWER HERE``),
- replaces a whole cell marked ``nbgrader.solution: true`` that has no markers with the stub,
  as nbgrader does,
- removes everything between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``,
- clears outputs and execution counts,
- keeps the nbgrader cell metadata (grade ids, points), so nbgrader works on ``solutions/`` too.

``minillm release --check`` regenerates in memory and exits non-zero when a committed exercise
differs, is missing, or has no solution.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from minillm.course.notebook import (
    NotebookError,
    cell_source,
    is_solution,
    read_notebook,
    write_notebook,
)

__all__ = ["release_notebook", "release_all", "strip_markers"]

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
MARKDOWN_STUB = ["YOUR ANSWER HERE"]


def strip_markers(
    source: str, cell_type: str, path: str | Path = "<notebook>", cell: int = 0
) -> str:
    """Return the student version of one cell's source; raise NotebookError on bad markers."""
    out: list[str] = []
    open_marker: tuple[str, int] | None = None  # (marker, line number) of the open region
    for lineno, line in enumerate(source.split("\n"), 1):
        token = line.strip()
        if token in (BEGIN_SOLUTION, BEGIN_HIDDEN):
            if open_marker:
                raise NotebookError(
                    path,
                    f"line {lineno}: '{token}' nested inside '{open_marker[0]}' opened at line {open_marker[1]}",
                    cell,
                )
            open_marker = (token, lineno)
            if token == BEGIN_SOLUTION:
                indent = line[: len(line) - len(line.lstrip())]
                stub = CODE_STUB if cell_type == "code" else MARKDOWN_STUB
                out.extend(indent + s for s in stub)
        elif token in (END_SOLUTION, END_HIDDEN):
            expected = BEGIN_SOLUTION if token == END_SOLUTION else BEGIN_HIDDEN
            if not open_marker or open_marker[0] != expected:
                found = f"'{open_marker[0]}' is open" if open_marker else "no region is open"
                raise NotebookError(
                    path, f"line {lineno}: '{token}' without '{expected}' ({found})", cell
                )
            open_marker = None
        elif open_marker is None:
            out.append(line)
    if open_marker:
        raise NotebookError(
            path, f"line {open_marker[1]}: '{open_marker[0]}' is never closed", cell
        )
    return "\n".join(out)


def _as_lines(text: str) -> list[str]:
    lines = text.split("\n")
    return [ln + "\n" for ln in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def release_notebook(nb: dict[str, Any], path: str | Path = "<notebook>") -> dict[str, Any]:
    """Return the student version of a solution notebook (the input is not modified)."""
    student = copy.deepcopy(nb)
    for i, cell in enumerate(student["cells"]):
        if cell["cell_type"] in ("code", "markdown"):
            text = cell_source(cell)
            if is_solution(cell) and BEGIN_SOLUTION not in text:  # nbgrader: the whole cell
                stub = CODE_STUB if cell["cell_type"] == "code" else MARKDOWN_STUB
                text = "\n".join(stub)
            cell["source"] = _as_lines(strip_markers(text, cell["cell_type"], path, i))
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cell.get("metadata", {}).pop("execution", None)
    return student


def _normalise(nb: dict[str, Any]) -> str:
    return json.dumps(nb, sort_keys=True, ensure_ascii=False)


def release_all(solutions: Path, exercises: Path, check: bool = False) -> list[str]:
    """Release every ``solutions/NN_*.ipynb`` into ``exercises/``.

    Returns the list of problems found (with ``check=True`` nothing is written; without it,
    problems are only bad source notebooks). Each notebook is written atomically, and nothing
    is written at all if any solution notebook is malformed.
    """
    if not solutions.is_dir():
        raise NotebookError(solutions, "solutions folder not found")
    sources = sorted(solutions.glob("[0-9][0-9]_*.ipynb"))
    released = {src.name: release_notebook(read_notebook(src), src) for src in sources}
    problems: list[str] = []
    if check:
        for name, nb in released.items():
            target = exercises / name
            if not target.exists():
                problems.append(f"{target}: missing (run `minillm release`)")
            elif _normalise(read_notebook(target)) != _normalise(nb):
                problems.append(
                    f"{target}: out of date with {solutions / name} (run `minillm release`)"
                )
        for orphan in sorted(exercises.glob("[0-9][0-9]_*.ipynb")):
            if orphan.name not in released:
                problems.append(f"{orphan}: no matching solution notebook in {solutions}")
        return problems
    for name, nb in released.items():
        write_notebook(exercises / name, nb)
    return problems
