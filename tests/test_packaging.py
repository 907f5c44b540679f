"""The project's own files agree with each other: packages, README commands, course table."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser as the `tomli` backport, if present
    try:
        import tomli as tomllib
    except ModuleNotFoundError:
        tomllib = None

ROOT = Path(__file__).resolve().parent.parent
CONDA_TO_PYPI = {"pytorch": "torch", "python": None, "pip": None}


def pyproject() -> dict:
    if tomllib is None:
        pytest.skip("reading pyproject.toml needs Python 3.11's tomllib or `pip install tomli`")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower()


def pyproject_packages() -> set[str]:
    project = pyproject()["project"]
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
    deps = pyproject()["project"]["dependencies"]
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


def _floor(requirement: str) -> tuple[int, ...]:
    version = re.search(r">=\s*([\d.]+)", requirement).group(1)
    return tuple(int(p) for p in version.split("."))


def test_transformers_floor_is_the_5x_api_interop_uses_everywhere():
    """interop reads rope_parameters and Mixtral's fused expert tensors (transformers 5.x):
    pyproject, environment.yml, `minillm env` and interop's own check state the same floor."""
    from minillm import env, interop

    oracles = pyproject()["project"]["optional-dependencies"]["oracles"]
    floors = {
        "pyproject.toml": _floor(next(r for r in oracles if _name(r) == "transformers")),
        "environment.yml": _floor(
            re.search(
                r"^\s*-\s*transformers(>=[\d.]+)", (ROOT / "environment.yml").read_text(), re.M
            ).group(1)  # fmt: skip
        ),
        "minillm env": _floor(">=" + next(m for d, _, m, _ in env.PACKAGES if d == "transformers")),
        "minillm.interop": interop.TRANSFORMERS_FLOOR,
    }
    assert set(floors.values()) == {(5, 0)}, floors


def test_interop_names_an_old_transformers_and_the_floor(monkeypatch):
    import types

    from minillm import interop

    monkeypatch.setitem(sys.modules, "transformers", types.SimpleNamespace(__version__="4.57.1"))
    with pytest.raises(ImportError, match=r"transformers>=5\.0.*found 4\.57\.1"):
        interop.import_transformers()
    monkeypatch.setitem(sys.modules, "transformers", types.SimpleNamespace(__version__="5.0.0rc1"))
    assert interop.import_transformers().__version__ == "5.0.0rc1"


def test_this_file_imports_without_tomllib_or_tomli():
    """Python 3.10 has no tomllib: the module must still import (its TOML checks then skip)."""
    code = (
        "import sys; sys.modules['tomllib'] = None; sys.modules['tomli'] = None\n"
        "import importlib.util as u\n"
        f"spec = u.spec_from_file_location('packaging_test', {str(Path(__file__))!r})\n"
        "m = u.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "assert m.tomllib is None\n"
        "import pytest\n"
        "try:\n"
        "    m.pyproject()\n"
        "except pytest.skip.Exception as e:\n"
        "    print('skipped:', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "skipped: reading pyproject.toml needs" in out.stdout


def test_every_required_dependency_is_used_by_the_package():
    """A required dependency nothing imports is a cost with no use (einops was one)."""
    sources = "\n".join(p.read_text("utf-8") for p in (ROOT / "minillm").rglob("*.py"))
    unused = [
        name
        for name in (_name(r) for r in pyproject()["project"]["dependencies"])
        if not re.search(rf"^\s*(import|from) {name}\b", sources, re.M)
    ]
    assert unused == []


def test_readme_says_which_lessons_exist():
    readme = (ROOT / "README.md").read_text()
    # "Lessons 00-09 and 15 exist": ranges and single lessons, joined by commas or "and"
    said = re.search(r"Lessons ((?:\d\d(?:-\d\d)?(?:, | and )?)+) exist", readme).group(1)
    claimed = []
    for part in re.findall(r"\d\d(?:-\d\d)?", said):
        first, _, last = part.partition("-")
        claimed += [f"{i:02d}" for i in range(int(first), int(last or first) + 1)]
    present = sorted(p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert present == claimed, said
    for row in re.findall(r"^\| (\d\d) \|.*$", readme, re.M):
        line = next(ln for ln in readme.splitlines() if ln.startswith(f"| {row} |"))
        assert (row in present) == ("planned" not in line), line
