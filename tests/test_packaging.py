"""The project's own files agree with each other: packages, README commands, course table."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
CONDA_TO_PYPI = {"pytorch": "torch", "python": None, "pip": None}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower()


def pyproject_packages() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        names |= {_name(r) for r in extra}
    return names


def environment_packages() -> set[str]:
    """The dependency names in environment.yml (a tiny parser: no yaml dependency needed)."""
    names = set()
    text = (ROOT / "environment.yml").read_text()
    for line in text[text.index("dependencies:") :].splitlines():
        m = re.match(r"^\s*-\s+(?!pip:)([^#]+?)\s*(#.*)?$", line)
        if not m or m.group(1).startswith("-e"):
            continue
        name = _name(m.group(1))
        name = CONDA_TO_PYPI.get(name, name)
        if name:
            names.add(name)
    return names


def test_environment_yml_names_the_same_packages_as_pyproject():
    env, py = environment_packages(), pyproject_packages()
    assert env == py, (
        f"only in environment.yml: {sorted(env - py)}; only in pyproject.toml: {sorted(py - env)}"
    )


def test_ci_torch_pin_and_triton_marker():
    setup = (ROOT / "tools" / "setup_env.py").read_text()
    assert 'CI_TORCH = "torch==2.13.0"' in setup
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    triton = next(d for d in deps if d.startswith("triton"))
    assert "platform_system == 'Linux'" in triton, "triton must stay Linux-only"
    assert all("==" not in d.split(";")[0] for d in deps), (
        "runtime dependencies take floors, not pins"
    )


def test_readme_shows_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M), ".ci/run must call the README's test command"


def test_every_lesson_notebook_has_a_readme_row_and_links_resolve():
    readme = (ROOT / "README.md").read_text()
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert f"(notebooks/{nb.name})" in readme, f"README course table has no row for {nb.name}"
    for link in re.findall(r"\]\(((?:notebooks|exercises|solutions)/[^)]+)\)", readme):
        assert (ROOT / link).exists(), f"README links to missing {link}"


def test_every_lesson_has_a_solution_and_exercise_pair():
    lessons = {p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    solutions = {p.name for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")}
    exercises = {p.name for p in (ROOT / "exercises").glob("[0-9][0-9]_*.ipynb")}
    assert solutions == exercises
    assert solutions <= lessons, f"solutions without a lesson: {sorted(solutions - lessons)}"
