"""Reading, validating and atomically writing notebooks (plain JSON, no nbformat needed)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = [
    "NotebookError",
    "cell_source",
    "grade_id",
    "is_graded",
    "is_solution",
    "read_notebook",
    "write_notebook",
]


class NotebookError(Exception):
    """A notebook that cannot be used; the message names the file, the cell and the problem."""

    def __init__(self, path: str | Path, problem: str, cell: int | None = None) -> None:
        self.path, self.problem, self.cell = str(path), problem, cell
        where = f"{self.path}: cell {cell}" if cell is not None else self.path
        super().__init__(f"{where}: {problem}")


def read_notebook(path: str | Path) -> dict[str, Any]:
    """Load a notebook as a dict, checking the structure the course tooling relies on."""
    path = Path(path)
    if not path.exists():
        raise NotebookError(path, "no such file")
    if path.is_dir():
        raise NotebookError(path, "is a folder, expected a .ipynb file")
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise NotebookError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise NotebookError(
            path, f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError(path, "not a notebook (no 'cells' list at the top level)")
    if nb.get("nbformat") != 4:
        raise NotebookError(path, f"nbformat {nb.get('nbformat')!r} is not supported (expected 4)")
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise NotebookError(path, "not a code, markdown or raw cell", cell=i)
        if not isinstance(cell.get("source"), (str, list)):
            raise NotebookError(path, "cell has no 'source'", cell=i)
    return nb


def write_notebook(path: str | Path, nb: dict[str, Any]) -> None:
    """Write ``nb`` atomically: a reader never sees a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cell_source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def _nbgrader(cell: dict[str, Any]) -> dict[str, Any]:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_graded(cell: dict[str, Any]) -> bool:
    """True for an autograded test cell (nbgrader ``grade: true`` on a code cell)."""
    return cell.get("cell_type") == "code" and bool(_nbgrader(cell).get("grade"))


def is_solution(cell: dict[str, Any]) -> bool:
    """True for a cell the learner answers (nbgrader ``solution: true``)."""
    return _nbgrader(cell).get("solution") is True


def grade_id(cell: dict[str, Any]) -> str | None:
    return _nbgrader(cell).get("grade_id")


def points(cell: dict[str, Any]) -> float:
    value = _nbgrader(cell).get("points", 0)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0
