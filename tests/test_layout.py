"""The package's shape: small files, dependencies that point one way, a CLI that stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import minillm
from minillm import cli

PACKAGE = Path(minillm.__file__).parent
MAX_LINES = 400
HEAVY = ("torch", "numpy", "triton", "safetensors", "transformers")


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter has imported after running `code`."""
    script = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def test_no_file_in_the_package_is_over_400_lines():
    sizes = {
        str(p.relative_to(PACKAGE)): len(p.read_text(encoding="utf-8").splitlines())
        for p in sorted(PACKAGE.rglob("*.py"))
    }
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_config_does_not_import_the_layers():
    """Dependencies point one way: config <- layers. The rope_scaling schema is config-side."""
    modules = _modules_after("import minillm.config")
    assert not [m for m in modules if m.startswith(("minillm.layers", "minillm.kernels"))]
    assert _heavy(modules) == []


def test_config_still_rejects_a_bad_rope_scaling_without_the_layers():
    code = (
        "from minillm.config import ModelConfig\n"
        "try:\n"
        "    ModelConfig(positions='rope', rope_scaling={'type': 'yarn', 'factor': 4.0})\n"
        "except ValueError as e:\n"
        "    assert 'original_max_seq_len' in str(e), e\n"
        "else:\n"
        "    raise SystemExit('no error')"
    )
    assert not [m for m in _modules_after(code) if m.startswith("minillm.layers")]


def test_a_command_name_elsewhere_on_the_command_line_imports_nothing_heavy():
    """`minillm grade train.ipynb` names the train command as a file: the old CLI imported the
    training stack (and torch) whenever "train" appeared anywhere in argv."""
    modules = _modules_after(
        "from minillm.cli import build_parser\n"
        "args = build_parser().parse_args(['grade', 'train.ipynb', 'env', 'corpus'])\n"
        "assert args.command == 'grade' and [str(p) for p in args.paths][0] == 'train.ipynb'"
    )
    assert _heavy(modules) == []
    assert not [m for m in modules if m.startswith(("minillm.train", "minillm.corpus."))]


def test_every_command_module_imports_only_the_standard_library_at_top_level():
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    for name in cli.command_names():
        tree = ast.parse((PACKAGE / "cli" / f"{name}.py").read_text(encoding="utf-8"))
        for node in tree.body:  # top-level statements only; run() imports what it needs
            if isinstance(node, ast.Import):
                roots = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                roots = [(node.module or "").split(".")[0]]
            else:
                continue
            assert set(roots) <= stdlib, f"minillm/cli/{name}.py imports {roots} at top level"


def test_every_command_has_help_arguments_and_run():
    for name in cli.command_names():
        module = cli.command_module(name)
        assert isinstance(module.HELP, str) and module.HELP, name
        assert callable(module.add_arguments) and callable(module.run), name
    assert {"env", "release", "grade", "corpus", "train"} <= set(cli.command_names())


def test_a_new_command_is_one_new_file(tmp_path, monkeypatch, capsys):
    (tmp_path / "hello.py").write_text(
        "HELP = 'say hello'\n"
        "def add_arguments(parser):\n"
        "    parser.add_argument('--name', default='world')\n"
        "def run(args):\n"
        "    print(f'hello {args.name}')\n"
        "    return 0\n"
    )
    # the package's search path gains a folder holding only the new file (no other change)
    monkeypatch.setattr(cli, "__path__", [*cli.__path__, str(tmp_path)])
    try:
        assert "hello" in cli.command_names()
        assert cli.main(["hello", "--name", "minillm"]) == 0
        assert capsys.readouterr().out == "hello minillm\n"
    finally:
        sys.modules.pop("minillm.cli.hello", None)


def test_one_file_sha256_helper():
    """Checkpoints, course models and recipes record file digests with minillm.hashing's one
    helper (three copies of the same block-reading loop drifted apart before)."""
    readers = sorted(
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if "hashlib" in (text := p.read_text(encoding="utf-8")) and ".read(1 << 20)" in text
    )
    assert readers == ["hashing.py"]
    from minillm import hashing, pretrained
    from minillm.train import checkpoint, recipe

    assert checkpoint.file_sha256 is recipe.file_sha256 is pretrained.file_sha256
    assert hashing.file_sha256 is checkpoint.file_sha256
