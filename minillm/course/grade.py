"""Autograde notebooks headless (``minillm grade PATH...``).

Every graded test cell (nbgrader ``grade: true``) is one exercise worth its ``points``. The
notebook runs top to bottom in a fresh kernel with a time limit for the whole notebook; a test
cell that runs without an error earns its points. Before running, the test cells are replaced
by the ones in the matching solution notebook (same file name in ``--source``), which restores
hidden tests and undoes any edits to the tests.

The grader never crashes on a student's notebook: invalid JSON, an exception, a hang, a dead
kernel or garbage output each score zero on the affected exercises, with a one-line reason.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from minillm.course.notebook import (
    NotebookError,
    grade_id,
    is_graded,
    points,
    read_notebook,
)

__all__ = ["ExerciseResult", "NotebookResult", "grade_notebook"]

MESSAGE_LIMIT = 160


@dataclass
class ExerciseResult:
    grade_id: str
    score: float
    max_score: float
    status: str  # "passed", "failed", "timeout", "not run", "missing"
    message: str = ""


@dataclass
class NotebookResult:
    path: str
    exercises: list[ExerciseResult] = field(default_factory=list)
    error: str | None = None  # a problem with the notebook as a whole
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(e.score for e in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(e.max_score for e in self.exercises)


def _one_line(text: str) -> str:
    text = "".join(ch if ch.isprintable() else " " for ch in str(text))
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def _find_source(path: Path, source_dir: Path | None) -> Path | None:
    candidates = (
        [source_dir / path.name]
        if source_dir
        else [
            path.parent.parent / "solutions" / path.name,
            Path("solutions") / path.name,
        ]
    )
    return next((c for c in candidates if c.is_file()), None)


def _error_of(cell: dict[str, Any]) -> str | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return _one_line(f"{out.get('ename', 'Error')}: {out.get('evalue', '')}")
    return None


def _prepare(
    nb: dict[str, Any], source: dict[str, Any] | None
) -> tuple[dict[str, Any], list[ExerciseResult]]:
    """Swap in the source's test cells; return the notebook and results for missing tests."""
    missing: list[ExerciseResult] = []
    if source is None:
        return nb, missing
    tests = {grade_id(c): c for c in source["cells"] if is_graded(c)}
    seen = set()
    for i, cell in enumerate(nb["cells"]):
        gid = grade_id(cell)
        if gid in tests and cell.get("cell_type") == "code":
            nb["cells"][i] = {**tests[gid], "outputs": [], "execution_count": None}
            seen.add(gid)
    for gid, cell in tests.items():
        if gid not in seen:
            missing.append(
                ExerciseResult(
                    gid, 0.0, points(cell), "missing", "test cell was deleted from the notebook"
                )
            )
    return nb, missing


def grade_notebook(
    path: str | Path, timeout: float = 300.0, source_dir: str | Path | None = None
) -> NotebookResult:
    """Execute one notebook and score its graded cells. Never raises for a bad notebook."""
    path = Path(path)
    result = NotebookResult(str(path))
    source_path = _find_source(path, Path(source_dir) if source_dir else None)
    source = None
    if source_path is not None:
        try:
            source = read_notebook(source_path)
        except NotebookError as exc:
            result.error = f"solution notebook unusable: {exc}"
            return result
    try:
        nb = read_notebook(path)
    except NotebookError as exc:
        result.error = str(exc)
        if source is not None:  # we still know which exercises were expected
            result.exercises = [
                ExerciseResult(grade_id(c), 0.0, points(c), "failed", _one_line(exc.problem))
                for c in source["cells"]
                if is_graded(c)
            ]
        return result
    nb, missing = _prepare(nb, source)
    start = time.monotonic()
    status = _execute(nb, path.parent, timeout)
    result.seconds = time.monotonic() - start
    for cell in nb["cells"]:
        if not is_graded(cell):
            continue
        gid, pts = grade_id(cell) or "?", points(cell)
        if cell.get("_ran"):
            err = _error_of(cell)
            result.exercises.append(
                ExerciseResult(
                    gid, 0.0 if err else pts, pts, "failed" if err else "passed", err or ""
                )
            )
        else:
            result.exercises.append(ExerciseResult(gid, 0.0, pts, status[0], status[1]))
        cell.pop("_ran", None)
    result.exercises.extend(missing)
    if status[0] == "not run" and status[1]:
        result.error = status[1]  # the grader could not run it: not the student's fault
    if not result.exercises:
        result.error = "no graded cells (nbgrader metadata 'grade: true') in this notebook"
    return result


def _execute(nb: dict[str, Any], cwd: Path, timeout: float) -> tuple[str, str]:
    """Run the cells in order in a fresh kernel; mark each executed cell with ``_ran``.

    Returns the status to give cells that never ran: why execution stopped early.
    """
    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
    except ImportError:
        return "not run", "grading needs nbclient and ipykernel: pip install 'minillm[course]'"
    for i, cell in enumerate(nb["cells"]):
        cell.setdefault("id", f"cell-{i}")  # nbformat >= 4.5 wants ids; older notebooks lack them
    node = nbformat.reads(json.dumps(nb), as_version=4)  # joins source lists into strings
    client = NotebookClient(
        node,
        kernel_name="python3",
        allow_errors=True,
        timeout=int(timeout) + 1,
        resources={"metadata": {"path": str(cwd)}},
    )
    deadline = time.monotonic() + timeout
    stopped = ("not run", "")
    try:
        # The kernel process's own stderr is launcher noise (e.g. transport warnings); the
        # student's output arrives through the kernel's messages, so nothing is lost.
        with client.setup_kernel(stderr=subprocess.DEVNULL):
            for i, cell in enumerate(node.cells):
                if cell.cell_type != "code":
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    stopped = (
                        "timeout",
                        f"notebook time limit of {timeout:g} s reached before this cell",
                    )
                    break
                client.timeout = max(1, int(remaining))
                try:
                    client.execute_cell(cell, i)
                except CellTimeoutError:
                    stopped = (
                        "timeout",
                        f"notebook time limit of {timeout:g} s reached (a cell hung?)",
                    )
                    break
                except DeadKernelError:
                    stopped = (
                        "failed",
                        "the kernel died (did the code exit or run out of memory?)",
                    )
                    break
                nb["cells"][i]["outputs"] = [dict(o) for o in cell.get("outputs", [])]
                nb["cells"][i]["_ran"] = True
    except Exception as exc:  # kernel failed to start or shut down: never crash the grader
        if stopped[0] == "not run":
            stopped = (
                "not run",
                _one_line(f"could not run the notebook: {type(exc).__name__}: {exc}"),
            )
    return stopped


def _fmt(x: float) -> str:
    return f"{x:g}"


def format_table(results: list[NotebookResult]) -> str:
    rows = [("notebook", "exercise", "score", "status / message")]
    for r in results:
        if r.error and not r.exercises:
            rows.append((r.path, "-", "0 / 0", f"error: {r.error}"))
        for e in r.exercises:
            note = e.status + (f": {e.message}" if e.message else "")
            rows.append((r.path, e.grade_id, f"{_fmt(e.score)} / {_fmt(e.max_score)}", note))
        if r.exercises:
            rows.append(
                (r.path, "TOTAL", f"{_fmt(r.score)} / {_fmt(r.max_score)}", f"{r.seconds:.1f} s")
            )
    total, max_total = sum(r.score for r in results), sum(r.max_score for r in results)
    rows.append(("all notebooks", "TOTAL", f"{_fmt(total)} / {_fmt(max_total)}", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(row[i].ljust(widths[i]) for i in range(3)) + "  " + row[3])
        if n == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 16)
    return "\n".join(line.rstrip() for line in lines)


def to_json(results: list[NotebookResult]) -> dict[str, Any]:
    return {
        "notebooks": [{**asdict(r), "score": r.score, "max_score": r.max_score} for r in results],
        "score": sum(r.score for r in results),
        "max_score": sum(r.max_score for r in results),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, help="notebooks to grade")
    parser.add_argument(
        "--timeout",
        type=float,
        default=300,
        help="time limit per notebook in seconds (default 300)",
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=None,
        help="folder of solution notebooks whose test cells are used (default: ../solutions or ./solutions)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the results as JSON for classroom tools"
    )


def run(args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not p.is_file()]
    for p in missing:
        print(f"error: {p}: no such notebook file", file=sys.stderr)
    if args.timeout <= 0:
        print(f"error: --timeout must be positive, got {args.timeout}", file=sys.stderr)
        return 2
    results = [grade_notebook(p, args.timeout, args.source) for p in args.paths if p.is_file()]
    for r in results:
        if r.error:
            print(f"error: {r.error}", file=sys.stderr)
    print(json.dumps(to_json(results), indent=2) if args.json else format_table(results))
    return 1 if missing or any(r.error for r in results) else 0
