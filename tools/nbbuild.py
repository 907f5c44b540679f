"""Build notebooks from percent-format scripts, execute them, and export them back.

    python tools/nbbuild.py build SRC.py OUT.ipynb [--execute] [--timeout 600]
    python tools/nbbuild.py execute NB.ipynb [NB.ipynb ...]
    python tools/nbbuild.py export NB.ipynb            # prints the percent script

Cell markers (see CONTRIBUTING.md):
    # %% [markdown]                         markdown cell; leading "# " is stripped
    # %%                                    code cell
    # %% solution id=NAME                   graded solution cell (nbgrader metadata)
    # %% tests id=NAME points=N             graded test cell (nbgrader metadata)

The notebook is the source of truth: export, edit, build again.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

HEADER = re.compile(r"^# %%(?P<rest>.*)$")
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def _nbgrader(kind: str, grade_id: str, points: float | None) -> dict:
    meta = {
        "grade": kind == "tests",
        "grade_id": grade_id,
        "locked": kind == "tests",
        "schema_version": 3,
        "solution": kind == "solution",
        "task": False,
    }
    if kind == "tests":
        meta["points"] = points if points is not None else 1
    return meta


def _parse_header(rest: str, lineno: int) -> tuple[str, dict]:
    rest = rest.strip()
    if rest == "":
        return "code", {}
    if rest == "[markdown]":
        return "markdown", {}
    words = rest.split()
    kind, opts = words[0], dict(w.split("=", 1) for w in words[1:] if "=" in w)
    if kind not in ("solution", "tests") or "id" not in opts:
        raise SystemExit(
            f"line {lineno}: unknown cell header '# %% {rest}' (expected '# %%', "
            "'# %% [markdown]', '# %% solution id=NAME' or '# %% tests id=NAME points=N')"
        )
    points = float(opts["points"]) if "points" in opts else None
    if points is not None and points.is_integer():
        points = int(points)
    return "code", {"nbgrader": _nbgrader(kind, opts["id"], points)}


def _to_source(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return [line + "\n" for line in lines[:-1]] + lines[-1:]


def script_to_notebook(text: str) -> dict:
    cells, current, lines = [], None, []

    def flush() -> None:
        if current is None:
            return
        cell_type, meta = current
        body = lines
        if cell_type == "markdown":
            body = [re.sub(r"^# ?", "", ln) for ln in lines]
        cell = {
            "cell_type": cell_type,
            "id": f"cell-{len(cells):03d}",
            "metadata": meta,
            "source": _to_source(list(body)),
        }
        if cell_type == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)

    for lineno, line in enumerate(text.splitlines(), 1):
        m = HEADER.match(line)
        if m:
            flush()
            current, lines = _parse_header(m.group("rest"), lineno), []
        elif current is None:
            if line.strip():
                raise SystemExit(f"line {lineno}: text before the first '# %%' cell header")
        else:
            lines.append(line)
    flush()
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": KERNELSPEC,
            "language_info": {"name": "python", "pygments_lexer": "ipython3"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def notebook_to_script(nb: dict) -> str:
    out = []
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        meta = cell.get("metadata", {}).get("nbgrader")
        if cell["cell_type"] == "markdown":
            out.append(
                "# %% [markdown]\n" + "\n".join(("# " + ln).rstrip() for ln in src.split("\n"))
            )
        elif meta and meta.get("solution"):
            out.append(f"# %% solution id={meta['grade_id']}\n{src}")
        elif meta and meta.get("grade"):
            out.append(f"# %% tests id={meta['grade_id']} points={meta.get('points', 1)}\n{src}")
        else:
            out.append(f"# %%\n{src}")
    return "\n\n".join(out) + "\n"


def execute(path: Path, timeout: int) -> float:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    elapsed = time.perf_counter() - start
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.execution_count = i + 1
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("src", type=Path)
    b.add_argument("out", type=Path)
    b.add_argument("--execute", action="store_true")
    b.add_argument("--timeout", type=int, default=600)
    e = sub.add_parser("execute")
    e.add_argument("notebooks", type=Path, nargs="+")
    e.add_argument("--timeout", type=int, default=600)
    x = sub.add_parser("export")
    x.add_argument("notebook", type=Path)
    args = parser.parse_args(argv)

    if args.cmd == "export":
        sys.stdout.write(notebook_to_script(json.loads(args.notebook.read_text(encoding="utf-8"))))
        return 0
    targets = args.notebooks if args.cmd == "execute" else [args.out]
    if args.cmd == "build":
        nb = script_to_notebook(args.src.read_text(encoding="utf-8"))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {args.out} ({len(nb['cells'])} cells)")
        if not args.execute:
            return 0
    for path in targets:
        print(f"executed {path} in {execute(path, args.timeout):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
