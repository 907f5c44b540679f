"""`minillm release`: stubs, hidden tests, metadata, bad markers, atomic writes, --check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minillm.cli import main
from minillm.course.notebook import NotebookError, read_notebook, write_notebook
from minillm.course.release import release_all, release_notebook, strip_markers

ROOT = Path(__file__).resolve().parent.parent


def code(source: str, nbgrader: dict | None = None, outputs: list | None = None) -> dict:
    meta = {"nbgrader": nbgrader} if nbgrader else {}
    return {
        "cell_type": "code",
        "metadata": meta,
        "source": source,
        "outputs": outputs or [],
        "execution_count": 3,
    }


def notebook(*cells: dict) -> dict:
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


SOLUTION = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n"
TESTS = "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(2) == 3\n### END HIDDEN TESTS\n"
SOL_META = {
    "grade": False,
    "grade_id": "f",
    "solution": True,
    "locked": False,
    "schema_version": 3,
    "task": False,
}
TEST_META = {
    "grade": True,
    "grade_id": "test_f",
    "points": 3,
    "solution": False,
    "locked": True,
    "schema_version": 3,
    "task": False,
}


def test_solution_becomes_indented_stub():
    assert (
        strip_markers(SOLUTION, "code")
        == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    )


def test_hidden_tests_are_removed():
    assert strip_markers(TESTS, "code") == "assert f(1) == 2\n"


def test_markdown_answers_become_placeholder():
    assert (
        strip_markers("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION", "markdown")
        == "Why?\nYOUR ANSWER HERE"
    )


def test_release_keeps_metadata_and_clears_outputs():
    out = [{"output_type": "stream", "name": "stdout", "text": "hi"}]
    nb = notebook(code(SOLUTION, SOL_META, out), code(TESTS, TEST_META, out))
    student = release_notebook(nb)
    assert student["cells"][0]["metadata"]["nbgrader"] == SOL_META
    assert student["cells"][1]["metadata"]["nbgrader"]["points"] == 3
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in student["cells"])
    assert "return x + 1" not in json.dumps(student)
    assert "f(2) == 3" not in json.dumps(student)
    assert nb["cells"][0]["outputs"] == out, "the solution notebook must not be modified"


@pytest.mark.parametrize(
    "source, problem",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
        ("x = 1\n### END SOLUTION\n", "without '### BEGIN SOLUTION'"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n### END SOLUTION", "nested"),
        (
            "### BEGIN SOLUTION\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n### END SOLUTION",
            "nested",
        ),
        ("### BEGIN HIDDEN TESTS\nx\n### END SOLUTION\n", "'### BEGIN HIDDEN TESTS' is open"),
    ],
)
def test_bad_markers_name_file_cell_and_line(source, problem):
    with pytest.raises(NotebookError) as err:
        strip_markers(source, "code", path="solutions/99_x.ipynb", cell=4)
    message = str(err.value)
    assert message.startswith("solutions/99_x.ipynb: cell 4: line ")
    assert problem in message


def _course(tmp_path: Path, *cells: dict) -> tuple[Path, Path]:
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    write_notebook(solutions / "01_demo.ipynb", notebook(*cells))
    return solutions, exercises


def test_release_then_check_round_trip(tmp_path):
    solutions, exercises = _course(tmp_path, code(SOLUTION, SOL_META), code(TESTS, TEST_META))
    assert release_all(solutions, exercises, check=True) == [
        f"{exercises / '01_demo.ipynb'}: missing (run `minillm release`)"
    ]
    assert release_all(solutions, exercises) == []
    assert release_all(solutions, exercises, check=True) == []
    # Editing the solution makes the committed exercise stale.
    nb = read_notebook(solutions / "01_demo.ipynb")
    nb["cells"][1]["source"] = "assert f(1) == 2\nassert f(5) == 6\n"
    write_notebook(solutions / "01_demo.ipynb", nb)
    assert "out of date" in release_all(solutions, exercises, check=True)[0]


def test_check_reports_orphan_exercise(tmp_path):
    solutions, exercises = _course(tmp_path, code(SOLUTION, SOL_META))
    release_all(solutions, exercises)
    write_notebook(exercises / "02_orphan.ipynb", notebook())
    assert any("no matching solution" in p for p in release_all(solutions, exercises, check=True))


def test_bad_solution_writes_nothing(tmp_path):
    solutions, exercises = _course(tmp_path, code(SOLUTION, SOL_META))
    write_notebook(solutions / "02_broken.ipynb", notebook(code("### BEGIN SOLUTION\n")))
    with pytest.raises(NotebookError, match="02_broken.ipynb: cell 0: line 1"):
        release_all(solutions, exercises)
    assert not exercises.exists() or not list(exercises.iterdir())


def test_invalid_json_is_a_one_line_error(tmp_path):
    bad = tmp_path / "03_bad.ipynb"
    bad.write_text('{"cells": [', encoding="utf-8")
    with pytest.raises(NotebookError, match=r"03_bad.ipynb: not valid JSON \(.* at line 1"):
        read_notebook(bad)
    with pytest.raises(NotebookError, match="no such file"):
        read_notebook(tmp_path / "missing.ipynb")


def test_atomic_write_leaves_no_temp_files(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", notebook(code("x = 1")))
    assert [p.name for p in tmp_path.iterdir()] == ["nb.ipynb"]


def test_cli_exit_codes(tmp_path, capsys):
    solutions, exercises = _course(tmp_path, code(SOLUTION, SOL_META))
    args = ["release", "--solutions", str(solutions), "--exercises", str(exercises)]
    assert main(args + ["--check"]) == 1
    assert main(args) == 0
    assert main(args + ["--check"]) == 0
    write_notebook(solutions / "01_demo.ipynb", notebook(code("### END SOLUTION")))
    assert main(args) == 2
    assert "01_demo.ipynb: cell 0: line 1" in capsys.readouterr().err


def test_committed_exercises_are_in_sync():
    assert release_all(ROOT / "solutions", ROOT / "exercises", check=True) == []


def test_whole_cell_solution_without_markers_becomes_the_stub():
    """nbgrader's other style: `solution: true` and no markers means the whole cell is the answer."""
    answer = {**SOL_META, "grade_id": "answer"}
    nb = notebook(
        code("def f(x):\n    return x + 1\n", SOL_META),
        {"cell_type": "markdown", "metadata": {"nbgrader": answer}, "source": "It is 42."},
        code("x = 1  # not a solution cell: kept\n"),
    )
    student = release_notebook(nb)
    assert "".join(student["cells"][0]["source"]) == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert "".join(student["cells"][1]["source"]) == "YOUR ANSWER HERE"
    assert "".join(student["cells"][2]["source"]) == "x = 1  # not a solution cell: kept\n"
    assert student["cells"][0]["metadata"]["nbgrader"] == SOL_META
