"""tools/setup_env.py: setup installs what the tests use; the tests install nothing."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _setup_env():
    spec = importlib.util.spec_from_file_location("setup_env", ROOT / "tools" / "setup_env.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _install_commands(path: Path) -> list[str]:
    """Every literal command list in a source file that starts with a package installer."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.List) and node.elts and isinstance(node.elts[0], ast.Constant):
            if node.elts[0].value in ("apt-get", "apt", "dnf", "brew"):
                found.append(ast.unparse(node))
    return found


def test_the_browser_test_installs_nothing_and_setup_does():
    assert _install_commands(ROOT / "tests" / "test_browser.py") == []
    assert _install_commands(ROOT / "tools" / "setup_env.py")  # the check sees such lists


def test_setup_installs_debian_chromium_as_root(tmp_path, monkeypatch):
    setup = _setup_env()
    chromium = tmp_path / "chromium"
    calls = []

    def fake_run(cmd, **kw):
        calls.append(cmd)
        if cmd[:2] == ["apt-get", "install"]:
            chromium.write_text("#!/bin/sh\n")
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(setup, "can_apt_install", lambda: True)
    monkeypatch.setattr(setup.subprocess, "run", fake_run)
    assert setup.install_browser(chromium)
    assert calls == [["apt-get", "update", "-qq"],
                     ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"]]  # fmt: skip
    calls.clear()
    assert setup.install_browser(chromium) and calls == []  # already there: nothing to do


def test_setup_says_how_to_install_where_it_cannot(tmp_path, monkeypatch, capsys):
    setup = _setup_env()
    monkeypatch.setattr(setup, "can_apt_install", lambda: False)
    monkeypatch.setattr(setup.subprocess, "run", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("must not run anything")))  # fmt: skip
    assert not setup.install_browser(tmp_path / "chromium")
    assert "apt-get install chromium chromium-driver" in capsys.readouterr().out


def test_setup_reports_a_failed_install(tmp_path, monkeypatch, capsys):
    setup = _setup_env()
    monkeypatch.setattr(setup, "can_apt_install", lambda: True)
    monkeypatch.setattr(
        setup.subprocess, "run", lambda cmd, **k: subprocess.CompletedProcess(cmd, 100)
    )
    assert not setup.install_browser(tmp_path / "chromium")
    assert "apt-get did not install" in capsys.readouterr().out
