"""The command line and the environment check."""

from __future__ import annotations

import subprocess
import sys

from minillm import env
from minillm.cli import command_names, main


def test_help_lists_every_command(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for name in command_names():
        assert name in out


def test_python_dash_m_and_version():
    out = subprocess.run(
        [sys.executable, "-m", "minillm", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.startswith("minillm ")


def test_unknown_command_is_an_error():
    out = subprocess.run([sys.executable, "-m", "minillm", "fly"], capture_output=True, text=True)
    assert out.returncode == 2 and "invalid choice: 'fly'" in out.stderr


def test_env_report_names_every_package_and_device(capsys):
    assert main(["env"]) == 0
    out = capsys.readouterr().out
    for dist, *_ in env.PACKAGES:
        assert dist in out
    assert "CUDA" in out and "MPS" in out and "Triton kernels:" in out
    assert "Environment OK" in out


def test_missing_required_package_fails(monkeypatch):
    real = env.metadata.version

    def fake_version(name):
        if name == "einops":
            raise env.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(env.metadata, "version", fake_version)
    text, ok = env.report()
    assert not ok
    assert any(
        line.split()[0] == "einops" and line.endswith("FAIL")
        for line in text.splitlines()
        if line.strip()
    )


def test_version_comparison():
    assert env._version_tuple("2.13.0+cpu") == (2, 13, 0)
    assert env.PackageStatus("x", "2.3.1", "2.4", True).label == "FAIL"
    assert env.PackageStatus("x", None, "2.4", False).label == "missing (optional)"
    assert env.PackageStatus("x", "10.0", "2.4", True).ok


def test_corpus_command_writes_the_seeded_corpus(tmp_path, capsys):
    from minillm.corpus import generate_corpus

    out = tmp_path / "corpus.txt"
    assert main(["corpus", "--bytes", "5000", "--seed", "3", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == generate_corpus(5000, seed=3)
    assert main(["corpus", "--bytes", "-1", "--out", str(out)]) == 2
    assert "n_bytes=-1" in capsys.readouterr().err


def test_train_names_the_valid_presets_for_an_unknown_one(capsys):
    # The presets are checked in run(), so that building the parser never imports torch.
    assert main(["train", "--preset", "huge", "--out", "unused"]) == 2
    err = capsys.readouterr().err
    assert "unknown preset 'huge'" in err and "course" in err and "tiny" in err


def test_old_corpus_entry_point_still_writes_the_corpus(tmp_path):
    out = tmp_path / "c.txt"
    done = subprocess.run(
        [sys.executable, "-m", "minillm.data", "--bytes", "500", "--seed", "2", "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    from minillm.corpus import generate_corpus

    assert out.read_text(encoding="utf-8") == generate_corpus(500, seed=2)
