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


DOUBLE = "def double(x):\n    return 2 * x\n"
SQUARE = "def square(x):\n    return x * x\n"


def answered(double: str | None = None, square: str | None = None, solution=None) -> dict:
    """The released exercise with the student's code for double and square (None: the stub)."""
    student = release_notebook(solution or two_exercises())
    for i, source in ((0, double), (2, square)):
        if source is not None:
            student["cells"][i]["source"] = source
    return student


def grade(course, student: dict, name: str = "01_demo.ipynb", timeout: float = 60, **kwargs):
    write_notebook(course / "exercises" / name, student)
    return grade_notebook(course / "exercises" / name, timeout=timeout, **kwargs)


def test_partly_solved_scores_the_part(course):
    result = grade(course, answered("def double(x):\n    return x + x\n"))  # only the first
    assert scores(result) == {"test_double": 2, "test_square": 0}
    assert (result.score, result.max_score) == (2, 5)
    failed = next(e for e in result.exercises if e.grade_id == "test_square")
    assert failed.status == "failed" and "NotImplementedError" in failed.message


@pytest.mark.slow
def test_hidden_tests_are_restored_from_the_solution(course):
    student = answered(
        "def double(x):\n    return 4 if x == 2 else 0\n",  # passes only the visible test
        "def square(x):\n    return 0\n",
    )
    student["cells"][3]["source"] = "pass  # tampered test"
    result = grade(course, student)
    assert scores(result) == {"test_double": 0, "test_square": 0}


@pytest.mark.slow
def test_hang_scores_zero_within_the_time_limit(course):
    hang = "import time\nwhile True:\n    time.sleep(0.1)\n"
    result = grade(course, answered(DOUBLE, hang), timeout=20)
    assert scores(result) == {"test_double": 2, "test_square": 0}
    hung = next(e for e in result.exercises if e.grade_id == "test_square")
    assert hung.status == "timeout" and "time limit" in hung.message
    assert result.seconds < 45


@pytest.mark.slow
def test_garbage_output_and_dead_kernel(course):
    garbage = (
        "print(bytes(range(256)).decode('latin-1') * 2000)\n"
        "print('\\udcff\\x00\\x1b[2J' * 1000)\n"
        "print('x' * 10**6)\n"
    )
    result = grade(course, answered(garbage + DOUBLE, "import os\nos._exit(3)\n"))
    assert scores(result) == {"test_double": 2, "test_square": 0}
    dead = next(e for e in result.exercises if e.grade_id == "test_square")
    assert "kernel died" in dead.message


@pytest.mark.slow
def test_deleted_test_cell_is_reported_missing(course):
    student = two_exercises()  # fully solved ...
    del student["cells"][3]  # ... but one test cell removed
    result = grade(course, student)
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


# ---- cheats: each scores nothing -------------------------------------------------------------


@pytest.mark.slow
def test_student_added_graded_cell_scores_nothing(course):
    student = answered()
    student["cells"].append(cell("assert True", "tests", "bonus", 100))
    result = grade(course, student)
    assert scores(result) == {"test_double": 0, "test_square": 0}
    assert result.max_score == 5


@pytest.mark.slow
def test_duplicated_test_cell_is_scored_once(course):
    student = answered(DOUBLE, SQUARE)
    student["cells"] += [dict(student["cells"][3]) for _ in range(5)]
    result = grade(course, student)
    assert [e.grade_id for e in result.exercises] == ["test_double", "test_square"]
    assert (result.score, result.max_score) == (5, 5)


@pytest.mark.slow
def test_hidden_traceback_does_not_pass_failing_tests(course):
    student = answered()  # unsolved, with a cell that hides its failures
    hide = [
        "get_ipython()._showtraceback = lambda *a, **k: None",
        "get_ipython().showtraceback = lambda *a, **k: None",
        "print('✓ double: all 1 cases pass')",  # a fake success line
    ]
    student["cells"].insert(0, cell("\n".join(hide)))
    result = grade(course, student)
    assert scores(result) == {"test_double": 0, "test_square": 0}
    assert all("NotImplementedError" in e.message for e in result.exercises)


@pytest.mark.slow
def test_grade_ids_that_name_the_grader_s_own_cells_are_scored(course):
    """The grader's run list once keyed tests by grade id next to its "guard" and "student"
    kinds: a test with such an id was run as a guard and never scored."""
    solution = two_exercises()
    for i, gid in ((1, "guard"), (3, "student")):
        solution["cells"][i]["metadata"]["nbgrader"]["grade_id"] = gid
    write_notebook(course / "solutions" / "01_demo.ipynb", solution)
    assert scores(grade(course, answered(DOUBLE, SQUARE, solution))) == {"guard": 2, "student": 3}


@pytest.mark.slow
def test_renamed_notebook_without_a_solution_is_an_error(course, capsys):
    student = answered(DOUBLE, SQUARE)
    renamed = course / "exercises" / "01_demo_mine.ipynb"
    write_notebook(renamed, student)
    result = grade_notebook(renamed, timeout=60)
    assert result.error and str(renamed) in result.error and result.exercises == []
    assert main(["grade", str(renamed)]) == 1
    assert f"{renamed}: no solution notebook named 01_demo_mine.ipynb" in capsys.readouterr().err
    # The instructor may name the solution explicitly: a file, or a folder matched by name.
    source = course / "solutions" / "01_demo.ipynb"
    assert main(["grade", "--source", str(source), str(renamed)]) == 0
    assert grade_notebook(renamed, 60, source).score == 5
    assert main(["grade", "--source", str(course / "solutions"), str(renamed)]) == 1
    assert main(["grade", "--source", str(course / "nowhere"), str(renamed)]) == 2


@pytest.mark.slow
def test_instructor_source_folder_is_used(course, tmp_path):
    private = tmp_path / "private"
    private.mkdir()
    (course / "solutions" / "01_demo.ipynb").rename(private / "01_demo.ipynb")
    result = grade(course, answered(DOUBLE, SQUARE), source=private)
    assert result.error is None and result.score == 5


T_CHECK = "check(double, [((2,), 4)])"  # check imported by an earlier, ungraded cell
T_TORCH = "assert torch.equal(torch.tensor(double(2)), torch.tensor(4))"
T_ABS = "assert abs(double(2) - 4) == 0"
T_ASSERT = "assert double(2) == 4"

# name -> (the student's cheat, the test cell it aims at); each beats an unguarded grader
CHEATS = {
    "rebinds minillm.course.check": (
        ["import sys", "sys.modules['minillm.course'].check = lambda *a, **k: None"],
        "from minillm.course import check\n" + T_CHECK,
    ),
    "swaps check's code": (
        [
            "import minillm.course",
            "minillm.course.check.__code__ = (lambda *a, **k: None).__code__",
        ],
        T_CHECK,
    ),
    "patches the comparison": (
        ["import sys", "sys.modules['minillm.course.check']._difference = lambda *a, **k: None"],
        T_CHECK,
    ),
    "redefines check in the notebook": (["def check(*args, **kwargs):", "    pass"], T_CHECK),
    "patches torch.equal": (["import torch", "torch.equal = lambda *a, **k: True"], T_TORCH),
    "patches a builtin": (["import builtins", "builtins.abs = lambda x: 0"], T_ABS),
    "blanks every cell": (
        ["get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])"],
        T_ASSERT,
    ),
    "wraps cells in try/except": (
        [
            "import ast",
            "class Swallow(ast.NodeTransformer):",
            "    def visit_Module(self, node):",
            "        handler = ast.ExceptHandler(type=None, name=None, body=[ast.Pass()])",
            "        node.body = [ast.Try(body=node.body, handlers=[handler], orelse=[], finalbody=[])]",
            "        return ast.fix_missing_locations(node)",
            "get_ipython().ast_transformers.append(Swallow())",
        ],
        T_ASSERT,
    ),
    "clears the error after each cell": (
        [
            "def forget(result):",
            "    result.error_in_exec = None",
            "get_ipython().events.register('post_run_cell', forget)",
        ],
        T_ASSERT,
    ),
    "makes every result a success": (
        [
            "from IPython.core.interactiveshell import ExecutionResult",
            "ExecutionResult.success = property(lambda self: True)",
        ],
        T_ASSERT,
    ),
    "swallows errors in run_cell": (
        [
            "shell = get_ipython()",
            "original = shell.run_cell",
            "def run_cell(*args, **kwargs):",
            "    result = original(*args, **kwargs)",
            "    result.error_in_exec = None",
            "    return result",
            "shell.run_cell = run_cell",
        ],
        T_ASSERT,
    ),
    "custom exception handler that clears the error": (
        [
            "import sys",
            "def handler(shell, etype, value, tb, tb_offset=None):",
            "    frame = sys._getframe()",
            "    while 'code_obj' not in frame.f_locals:  # up to IPython's run_code",
            "        frame = frame.f_back",
            "    frame.f_locals['result'].error_in_exec = None",
            "get_ipython().set_custom_exc((BaseException,), handler)",
        ],
        T_ASSERT,
    ),
}


def cheat_course(course, cheat: list[str], test: str) -> dict:
    solution = two_exercises()
    solution["cells"].insert(0, cell("from minillm.course import check\nimport torch"))
    solution["cells"][2]["source"] = test
    write_notebook(course / "solutions" / "01_demo.ipynb", solution)
    student = release_notebook(solution)
    student["cells"][1]["source"] = "def double(x):\n    return 0  # wrong\n"
    student["cells"].insert(2, cell("\n".join(cheat)))
    return student


@pytest.mark.slow
@pytest.mark.parametrize(("cheat", "test"), CHEATS.values(), ids=CHEATS.keys())
def test_cheats_in_a_student_cell_score_nothing(course, monkeypatch, cheat, test):
    student = cheat_course(course, cheat, test)
    result = grade(course, student)
    assert scores(result)["test_double"] == 0, result.exercises
    # The control: without the guard the same cheat scores, so the test can fail.
    import minillm.course.grade as grading

    monkeypatch.setattr(grading, "PREAMBLE", "pass")
    monkeypatch.setattr(grading, "_guard_source", lambda nonce: "pass")
    monkeypatch.setattr(grading, "_guard_verdict", lambda reply, nonce: [])
    assert scores(grade(course, student))["test_double"] == 2


@pytest.mark.slow
def test_function_that_tampers_while_the_test_runs_scores_nothing(course):
    student = answered(
        "def double(x):\n"
        "    import minillm.course.check as c\n"
        "    c._difference = lambda *a, **k: None\n"
        "    get_ipython().events.register('post_run_cell', lambda r: setattr(r, 'error_in_exec', None))\n"
        "    return 4\n"
    )
    student["cells"][3]["source"] = "assert double(2) == 4"  # edited: replaced from the source
    result = grade(course, student)
    failed = next(e for e in result.exercises if e.grade_id == "test_double")
    assert failed.score == 0 and "changed the grader's checks" in failed.message


@pytest.mark.slow
def test_disabling_forbid_does_not_help(course):
    solution = two_exercises()
    solution["cells"][1]["source"] = (
        "from minillm.course import check\ncheck(double, [((2,), 4), ((-3,), -6)], forbid=['operator.mul'])"
    )
    write_notebook(course / "solutions" / "01_demo.ipynb", solution)
    student = answered(
        "import operator\n"
        "import minillm.course.forbid_calls as f\n"
        "f.Forbid.__enter__ = lambda self: self\n"
        "f._blocked = lambda key, args, kwargs: operator.mul.__call__(*args)\n"
        "def double(x):\n    return operator.mul(2, x)\n",
        solution=solution,
    )
    result = grade(course, student)
    failed = next(e for e in result.exercises if e.grade_id == "test_double")
    assert failed.score == 0 and "ForbiddenCall" in failed.message, failed


@pytest.mark.slow
def test_sys_exit_in_the_function_scores_nothing(course):
    student = answered("import sys\ndef double(x):\n    sys.exit(0)\n")
    assert scores(grade(course, student)) == {"test_double": 0, "test_square": 0}


@pytest.mark.slow
def test_solving_only_the_visible_checks_scores_the_visible_points(course):
    """A student who hard-codes every visible check scores exactly the tests without hidden
    cases: hidden tests add cases the visible ones do not show."""
    solution = two_exercises()
    visible = sum(
        c["metadata"]["nbgrader"]["points"]
        for c in solution["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade")
        and "### BEGIN HIDDEN TESTS" not in c["source"]
    )
    student = answered(
        "def double(x):\n    return {2: 4}[x]\n", "def square(x):\n    return {3: 9}[x]\n", solution
    )
    result = grade(course, student)
    assert result.score == visible == 3


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
