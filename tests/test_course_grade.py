"""`minillm grade`: real scores from real execution, and no crash on any student notebook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minillm.cli import main
from minillm.course.grade import grade_notebook
from minillm.course.notebook import write_notebook
from minillm.course.release import release_notebook

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


def cell(source: str, kind: str | None = None, gid: str = "", pts: int = 1) -> dict:
    meta = {}
    if kind == "solution":
        meta = {
            "nbgrader": {
                "grade": False,
                "grade_id": gid,
                "solution": True,
                "locked": False,
                "schema_version": 3,
            }
        }
    elif kind == "tests":
        meta = {
            "nbgrader": {
                "grade": True,
                "grade_id": gid,
                "points": pts,
                "solution": False,
                "locked": True,
                "schema_version": 3,
            }
        }
    return {
        "cell_type": "code",
        "metadata": meta,
        "source": source,
        "outputs": [],
        "execution_count": None,
    }


def two_exercises() -> dict:
    cells = [
        cell(
            "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
            "solution",
            "double",
        ),
        cell(
            "assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(-3) == -6\n### END HIDDEN TESTS",
            "tests",
            "test_double",
            2,
        ),
        cell(
            "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION",
            "solution",
            "square",
        ),
        cell("assert square(3) == 9", "tests", "test_square", 3),
    ]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture
def course(tmp_path):
    """A tiny course: solutions/ with a two-exercise notebook and its released exercise."""
    solution = two_exercises()
    write_notebook(tmp_path / "solutions" / "01_demo.ipynb", solution)
    write_notebook(tmp_path / "exercises" / "01_demo.ipynb", release_notebook(solution))
    return tmp_path


def scores(result) -> dict[str, float]:
    return {e.grade_id: e.score for e in result.exercises}


def test_partly_solved_scores_the_part(course):
    student = release_notebook(two_exercises())
    student["cells"][0]["source"] = "def double(x):\n    return x + x\n"  # solve only the first
    write_notebook(course / "exercises" / "01_demo.ipynb", student)
    result = grade_notebook(course / "exercises" / "01_demo.ipynb", timeout=60)
    assert scores(result) == {"test_double": 2, "test_square": 0}
    assert (result.score, result.max_score) == (2, 5)
    failed = next(e for e in result.exercises if e.grade_id == "test_square")
    assert failed.status == "failed" and "NotImplementedError" in failed.message


@pytest.mark.slow
def test_hidden_tests_are_restored_from_the_solution(course):
    student = release_notebook(two_exercises())
    student["cells"][0]["source"] = (
        "def double(x):\n    return 4 if x == 2 else 0\n"  # passes only the visible test
    )
    student["cells"][3]["source"] = "pass  # tampered test"
    student["cells"][2]["source"] = "def square(x):\n    return 0\n"
    write_notebook(course / "exercises" / "01_demo.ipynb", student)
    result = grade_notebook(course / "exercises" / "01_demo.ipynb", timeout=60)
    assert scores(result) == {"test_double": 0, "test_square": 0}


@pytest.mark.slow
def test_hang_scores_zero_within_the_time_limit(course):
    student = release_notebook(two_exercises())
    student["cells"][0]["source"] = "def double(x):\n    return 2 * x\n"
    student["cells"][2]["source"] = "import time\nwhile True:\n    time.sleep(0.1)\n"
    write_notebook(course / "exercises" / "01_demo.ipynb", student)
    result = grade_notebook(course / "exercises" / "01_demo.ipynb", timeout=8)
    assert scores(result) == {"test_double": 2, "test_square": 0}
    hung = next(e for e in result.exercises if e.grade_id == "test_square")
    assert hung.status == "timeout" and "time limit" in hung.message
    assert result.seconds < 30


@pytest.mark.slow
def test_garbage_output_and_dead_kernel(course):
    student = release_notebook(two_exercises())
    student["cells"][0]["source"] = (
        "print(bytes(range(256)).decode('latin-1') * 2000)\nprint('\\udcff\\x00\\x1b[2J' * 1000)\nprint('x' * 10**6)\n"
        "def double(x):\n    return 2 * x\n"
    )
    student["cells"][2]["source"] = "import os\nos._exit(3)\n"
    write_notebook(course / "exercises" / "01_demo.ipynb", student)
    result = grade_notebook(course / "exercises" / "01_demo.ipynb", timeout=60)
    assert scores(result) == {"test_double": 2, "test_square": 0}
    dead = next(e for e in result.exercises if e.grade_id == "test_square")
    assert "kernel died" in dead.message


@pytest.mark.slow
def test_deleted_test_cell_is_reported_missing(course):
    student = two_exercises()  # fully solved ...
    del student["cells"][3]  # ... but one test cell removed
    write_notebook(course / "exercises" / "01_demo.ipynb", student)
    result = grade_notebook(course / "exercises" / "01_demo.ipynb", timeout=60)
    assert scores(result) == {"test_double": 2, "test_square": 0}
    assert next(e for e in result.exercises if e.grade_id == "test_square").status == "missing"


def test_invalid_json_scores_zero_with_one_line_error(course, capsys):
    bad = course / "exercises" / "01_demo.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    result = grade_notebook(bad, timeout=60)
    assert scores(result) == {"test_double": 0, "test_square": 0}
    assert "not valid JSON" in result.error
    assert main(["grade", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {bad}: not valid JSON")


def test_missing_path_and_bad_timeout(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nope.ipynb")]) == 1
    assert f"{tmp_path / 'nope.ipynb'}: no such notebook file" in capsys.readouterr().err
    assert main(["grade", "--timeout", "0", str(tmp_path / "nope.ipynb")]) == 2


@pytest.mark.slow
def test_json_output(course, capsys):
    assert main(["grade", "--json", str(course / "solutions" / "01_demo.ipynb")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["score"] == report["max_score"] == 5
    assert [e["status"] for e in report["notebooks"][0]["exercises"]] == ["passed", "passed"]


@pytest.mark.slow
@pytest.mark.parametrize("solution", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_course_solutions_full_marks_exercises_zero(solution):
    full = grade_notebook(solution, timeout=600)
    assert full.error is None and full.exercises, full.error
    assert full.score == full.max_score > 0, [e for e in full.exercises if e.score < e.max_score]
    exercise = ROOT / "exercises" / solution.name
    zero = grade_notebook(exercise, timeout=600)
    assert zero.error is None and len(zero.exercises) == len(full.exercises)
    assert zero.score == 0, [e for e in zero.exercises if e.score > 0]
