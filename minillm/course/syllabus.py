"""The course map, read from the notebooks themselves (no second copy to drift)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from minillm.course.notebook import NotebookError, cell_source, read_notebook

__all__ = ["Lesson", "lessons", "find_root"]


@dataclass(frozen=True)
class Lesson:
    number: int
    name: str  # file stem, e.g. "01_tokenization_bpe"
    title: str  # the first markdown heading of the lesson notebook
    notebook: Path
    exercise: Path | None  # exercises/<name>.ipynb when it exists


def find_root(start: str | Path = ".") -> Path:
    """The course checkout: the nearest folder at or above ``start`` holding ``notebooks/``."""
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        if (folder / "notebooks").is_dir() and (folder / "minillm").is_dir():
            return folder
    raise FileNotFoundError(
        f"no course checkout (a folder with notebooks/ and minillm/) at or above {here}"
    )


def _title(path: Path) -> str:
    try:
        nb = read_notebook(path)
    except NotebookError as exc:
        return f"(unreadable: {exc.problem})"
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in cell_source(cell).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return path.stem


def lessons(root: str | Path | None = None) -> list[Lesson]:
    """Every ``notebooks/NN_*.ipynb`` lesson in order, with its title and exercise."""
    root = find_root() if root is None else Path(root)
    found = []
    for nb in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        exercise = root / "exercises" / nb.name
        number = int(re.match(r"\d+", nb.name).group())
        found.append(
            Lesson(number, nb.stem, _title(nb), nb, exercise if exercise.exists() else None)
        )
    return found
