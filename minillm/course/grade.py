"""Autograde notebooks headless (``minillm grade PATH...``).

The exercises, their grade ids and their points come from the matching SOLUTION notebook
alone (same file name in ``../solutions``, ``./solutions`` or ``--source DIR``; or
``--source FILE``); a notebook with no solution is an error. Each of the solution's test cells
(nbgrader ``grade: true``) is scored exactly once: it replaces the first student cell with its
grade id (restoring hidden tests, undoing edits), later copies are dropped, and student cells
with grade ids the solution does not have run as plain code and score nothing.

The notebook runs top to bottom in a fresh kernel with a time limit for the whole notebook. A
test passes when the kernel's execute reply says ``ok``, never from what the cell printed.
Around each test the grader runs :mod:`minillm.course.guard`, which undoes the notebook's
tampering with the checks (rebound ``check``, ``torch.allclose``, IPython transformers, ...);
tampering while a test runs, or a guard that could not run, scores that test zero.

The grader never crashes on a student's notebook: invalid JSON, an exception, a hang, a dead
kernel or garbage output each score zero on the affected exercises, with a one-line reason.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from minillm.course.notebook import (
    NotebookError,
    cell_source,
    grade_id,
    is_graded,
    points,
    read_notebook,
)

__all__ = ["ExerciseResult", "NotebookResult", "find_source", "grade_notebook"]

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


def find_source(path: Path, source: Path | None) -> Path | None:
    """The solution notebook for ``path``: ``source`` itself if it is a file, else the same
    name in ``source`` (a folder), else in ``../solutions`` or ``./solutions``."""
    if source is not None and source.is_file():
        return source
    candidates = (
        [source / path.name]
        if source is not None
        else [path.parent.parent / "solutions" / path.name, Path("solutions") / path.name]
    )
    return next((c for c in candidates if c.is_file()), None)


def _no_source(path: Path, source: Path | None) -> str:
    where = f"in {source}" if source is not None else "in ../solutions or ./solutions"
    return (
        f"{path}: no solution notebook named {path.name} {where}; the grader takes the "
        "exercises from the solution, so pass it with --source DIR or --source FILE"
    )


def _tests_of(source: dict[str, Any], source_path: Path) -> dict[str, dict[str, Any]]:
    tests: dict[str, dict[str, Any]] = {}
    for i, c in enumerate(source["cells"]):
        if is_graded(c):
            gid = grade_id(c)
            if not gid or gid in tests:
                problem = f"grade_id {gid!r} is used twice" if gid else "test cell has no grade_id"
                raise NotebookError(source_path, problem, cell=i)
            tests[gid] = c
    return tests


def _plan(nb: dict[str, Any], tests: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The cells to run: the student's, with each source test at its first grade id's place."""
    cells, placed = [], set()
    for cell in nb["cells"]:
        gid = grade_id(cell) if cell.get("cell_type") == "code" else None
        if gid in tests:
            if gid not in placed:  # later copies of a test cell are dropped
                cells.append({**tests[gid], "outputs": [], "execution_count": None, "_test": gid})
                placed.add(gid)
            continue
        plain = {k: v for k, v in cell.items() if k != "metadata"}
        meta = {k: v for k, v in cell.get("metadata", {}).items() if k != "nbgrader"}
        cells.append({**plain, "metadata": meta})  # student metadata never makes a test
    return cells


def grade_notebook(
    path: str | Path, timeout: float = 300.0, source: str | Path | None = None
) -> NotebookResult:
    """Execute one notebook and score the solution's tests in it. Never raises for a bad one.

    ``source`` is the solution notebook, or a folder holding one with the same file name
    (default: ``../solutions`` or ``./solutions`` next to the notebook).
    """
    path = Path(path)
    result = NotebookResult(str(path))
    source_path = find_source(path, Path(source) if source is not None else None)
    if source_path is None:
        result.error = _no_source(path, Path(source) if source is not None else None)
        return result
    try:
        tests = _tests_of(read_notebook(source_path), source_path)
    except NotebookError as exc:
        result.error = f"solution notebook unusable: {exc}"
        return result
    if not tests:
        result.error = f"{source_path}: no graded cells (nbgrader metadata 'grade: true')"
        return result
    try:
        nb = read_notebook(path)
    except NotebookError as exc:
        result.error = str(exc)
        result.exercises = [
            ExerciseResult(gid, 0.0, points(c), "failed", _one_line(exc.problem))
            for gid, c in tests.items()
        ]
        return result
    cells = _plan(nb, tests)
    start = time.monotonic()
    outcomes, stopped = _execute(cells, path.parent, timeout)
    result.seconds = time.monotonic() - start
    for gid, cell in tests.items():
        pts = points(cell)
        if not any(c.get("_test") == gid for c in cells):
            result.exercises.append(
                ExerciseResult(gid, 0.0, pts, "missing", "test cell was deleted from the notebook")
            )
        elif gid in outcomes:
            passed, message = outcomes[gid]
            status = "passed" if passed else "failed"
            result.exercises.append(
                ExerciseResult(gid, pts if passed else 0.0, pts, status, message)
            )
        else:
            result.exercises.append(ExerciseResult(gid, 0.0, pts, stopped[0], stopped[1]))
    if stopped[0] == "not run" and stopped[1]:
        result.error = stopped[1]  # the grader could not run it: not the student's fault
    return result


PREAMBLE = "__import__('minillm.course.guard', fromlist=['_']).take_snapshot()"


def _guard_source(nonce: str) -> str:
    return f"__import__('minillm.course.guard', fromlist=['_']).report({nonce!r})"


def _reply_error(reply: dict[str, Any]) -> str:
    content = reply.get("content", {})
    return _one_line(f"{content.get('ename', 'Error')}: {content.get('evalue', '')}")


def _guard_verdict(reply: dict[str, Any] | None, nonce: str) -> list[str] | None:
    """What the guard found changed, or None when it did not run as the grader sent it."""
    content = (reply or {}).get("content", {})
    value = str(content.get("evalue", ""))
    if content.get("status") != "error" or content.get("ename") != "GuardReport":
        return None
    if not value.startswith(nonce + " "):
        return None
    try:
        changed = json.loads(value[len(nonce) + 1 :])
    except json.JSONDecodeError:
        return None
    return [str(c) for c in changed] if isinstance(changed, list) else None


TAMPERED = "the notebook stops the grader's guard from running (it alters how cells execute)"


def _execute(
    cells: list[dict[str, Any]], cwd: Path, timeout: float
) -> tuple[dict[str, tuple[bool, str]], tuple[str, str]]:
    """Run the cells in order in a fresh kernel, each test between two guard cells.

    Returns ``{grade_id: (passed, message)}`` for the tests that ran, and the status to give
    tests that never ran: why execution stopped early.
    """
    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
    except ImportError:
        return {}, (
            "not run",
            "grading needs nbclient and ipykernel: pip install 'minillm[course]'",
        )
    # A test's closing guard is the next test's opening one: adjacent tests share it.
    runs: list[tuple[str, Any]] = [("preamble", None)]
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        if cell.get("_test"):
            if runs[-1][0] != "guard":
                runs.append(("guard", None))
            runs += [("test", cell), ("guard", None)]
        else:
            runs.append(("student", cell))
    node = nbformat.v4.new_notebook()
    client = NotebookClient(
        node,
        kernel_name="python3",
        allow_errors=True,
        timeout=int(timeout) + 1,
        resources={"metadata": {"path": str(cwd)}},
    )
    replies: list[dict[str, Any]] = []
    client.on_cell_executed = lambda **kw: replies.append(kw["execute_reply"])
    deadline = time.monotonic() + timeout
    outcomes: dict[str, tuple[bool, str]] = {}
    stopped = ("not run", "")
    last_test: str | None = None
    trusted = False  # the preamble and the last guard ran as sent
    try:
        # The kernel process's own stderr is launcher noise (e.g. transport warnings); the
        # student's output arrives through the kernel's messages, so nothing is lost.
        with client.setup_kernel(stderr=subprocess.DEVNULL):
            for kind, cell in runs:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    stopped = (
                        "timeout",
                        f"notebook time limit of {timeout:g} s reached before this cell",
                    )
                    break
                nonce = secrets.token_hex(8)
                if kind in ("preamble", "guard"):
                    source = PREAMBLE if kind == "preamble" else _guard_source(nonce)
                else:
                    source = cell_source(cell)
                node.cells.append(nbformat.v4.new_code_cell(source))
                client.timeout = max(1, int(remaining))
                replies.clear()
                try:
                    client.execute_cell(node.cells[-1], len(node.cells) - 1)
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
                node.cells[-1].outputs = []  # only the reply matters; keep memory flat
                reply = replies[-1] if replies else None
                status = (reply or {}).get("content", {}).get("status")
                if kind == "preamble":
                    trusted = status == "ok"
                    if not trusted:
                        stopped = (
                            "not run",
                            f"the grader's guard failed to start: {_reply_error(reply or {})}",
                        )
                        break
                elif kind == "guard":
                    changed = _guard_verdict(reply, nonce)
                    if last_test in outcomes and outcomes[last_test][0]:
                        if changed is None:
                            outcomes[last_test] = (False, TAMPERED)
                        elif changed:
                            outcomes[last_test] = (
                                False,
                                _one_line(
                                    "the test's code changed the grader's checks: "
                                    + ", ".join(changed)
                                ),
                            )
                    trusted = changed is not None
                    last_test = None
                elif kind == "student":
                    continue
                else:
                    passed = trusted and status == "ok"
                    message = (
                        "" if passed else (TAMPERED if not trusted else _reply_error(reply or {}))
                    )
                    last_test = cell["_test"]
                    outcomes[last_test] = (passed, message)
    except Exception as exc:  # kernel failed to start or shut down: never crash the grader
        if stopped[0] == "not run":
            stopped = (
                "not run",
                _one_line(f"could not run the notebook: {type(exc).__name__}: {exc}"),
            )
    if last_test in outcomes and outcomes[last_test][0]:
        # the test ran but its closing guard did not: the test itself cannot be trusted
        outcomes[last_test] = (False, stopped[1] or TAMPERED)
    return outcomes, stopped


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
