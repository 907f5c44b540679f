"""The course as a learner meets it: JupyterLab in a real (headless) browser runs lesson 00.

Starts JupyterLab from this environment on a free localhost port, opens
``notebooks/00_setup_and_tour.ipynb`` in headless Chromium (Debian's ``chromium``, driven by
Playwright), runs all cells from the Run menu, and checks that the environment report appears
and that no cell raised. A screenshot is saved in the test's temporary directory.

The lesson runs from a scratch copy of the course (symlinks to the package, solutions and
exercises) so that JupyterLab's autosave can never rewrite the stored notebook.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
TOKEN = "minillm-browser-test"
LESSON = "00_setup_and_tour.ipynb"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _unavailable(reason: str) -> None:
    # In CI a missing browser is a failure, not a skip: the test must really run there.
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> Path:
    """The browser that setup installed (tools/setup_env.py; this test installs nothing)."""
    if not CHROMIUM.exists():
        _unavailable(
            f"{CHROMIUM} (Debian's chromium) is not installed: `make setup` installs it on "
            "Linux as root, or run apt-get install chromium chromium-driver"
        )
    return CHROMIUM


@pytest.fixture(scope="module")
def sync_api():
    try:
        from playwright import sync_api
    except ImportError:
        _unavailable("playwright is not installed (the dev extra: make setup)")
    return sync_api


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a free localhost port, serving a scratch copy of the course."""
    work = tmp_path_factory.mktemp("course")
    for name in ("minillm", "solutions", "exercises"):
        (work / name).symlink_to(ROOT / name)
    (work / "notebooks").mkdir()
    nb = json.loads((ROOT / "notebooks" / LESSON).read_text(encoding="utf-8"))
    for cell in nb["cells"]:  # start from a clean notebook, so every prompt seen is fresh
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    (work / "notebooks" / LESSON).write_text(json.dumps(nb), encoding="utf-8")
    # Render every cell (JupyterLab 4 virtualises long notebooks) and start kernels unasked.
    settings = work / ".settings"
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    dialogs = settings / "@jupyterlab" / "apputils-extension" / "sessionDialogs.jupyterlab-settings"
    dialogs.parent.mkdir(parents=True)
    dialogs.write_text(json.dumps({"autoStartDefaultKernel": True}))
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(work / ".runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(work / ".workspaces"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
    }
    cmd = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
        f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={work}", "--ServerApp.port_retries=0",
    ]  # fmt: skip
    log = open(work / "jupyter.log", "wb")
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(
                    "JupyterLab did not start:\n" + (work / "jupyter.log").read_text()[-2000:]
                )
            time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def _accept_kernel_dialog(page, wait_ms: int = 10_000) -> None:
    """Click "Select" if JupyterLab asks which kernel to start (older settings ask)."""
    dialog = page.locator(".jp-Dialog")
    try:
        dialog.wait_for(state="visible", timeout=max(wait_ms, 1))
    except Exception:
        return
    if "Select Kernel" in dialog.inner_text():
        dialog.get_by_role("button", name="Select").click()


def test_lesson_00_runs_in_jupyterlab(chromium, sync_api, lab, tmp_path):
    nb = json.loads((ROOT / "notebooks" / LESSON).read_text(encoding="utf-8"))
    n_code = sum(cell["cell_type"] == "code" for cell in nb["cells"])
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{lab}/lab/tree/notebooks/{LESSON}?token={TOKEN}", timeout=90_000)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
            _accept_kernel_dialog(page)
            page.wait_for_selector(
                ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000
            )
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:
                _accept_kernel_dialog(page, wait_ms=0)
                prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
                done = [t for t in prompts if re.fullmatch(r"\[\d+\]:", t.strip())]
                if len(done) == n_code:
                    break
                page.wait_for_timeout(1000)
            page.screenshot(path=str(tmp_path / "lesson00.png"), full_page=True)
            outputs = "\n".join(page.locator(".jp-OutputArea-output").all_inner_texts())
            stderr = page.locator(
                ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
            )
            errors = [t for t in stderr.all_inner_texts() if "Error" in t or "Traceback" in t]
        finally:
            browser.close()
    assert len(done) == n_code, f"only {len(done)} of {n_code} code cells finished: {prompts}"
    assert "Packages:" in outputs and "Environment OK" in outputs, outputs[:2000]
    assert not errors and "Traceback" not in outputs, errors or outputs[-3000:]
    assert (tmp_path / "lesson00.png").stat().st_size > 10_000
