"""The environment check: which packages are there, which devices, and how kernels will run.

``minillm env`` and lesson 00 print this report. Nothing here imports torch at module import.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from importlib import metadata

__all__ = ["PackageStatus", "check_packages", "device_report", "kernel_mode", "report"]

# (distribution name, import name, minimum version, required?)
PACKAGES: list[tuple[str, str, str, bool]] = [
    ("torch", "torch", "2.5", True),
    ("numpy", "numpy", "1.24", True),
    ("einops", "einops", "0.7", True),
    ("matplotlib", "matplotlib", "3.7", True),
    ("tqdm", "tqdm", "4.65", True),
    ("safetensors", "safetensors", "0.4", True),
    ("regex", "regex", "2023.0", True),
    ("triton", "triton", "3.0", False),
    ("jupyterlab", "jupyterlab", "4.0", False),
    ("nbval", "nbval", "0.11", False),
    ("tiktoken", "tiktoken", "0.7", False),
    ("tokenizers", "tokenizers", "0.15", False),
    ("transformers", "transformers", "5.0", False),  # interop: rope_parameters, fused experts
    ("peft", "peft", "0.12", False),
    ("trl", "trl", "0.11", False),
    ("bitsandbytes", "bitsandbytes", "0.43", False),
]


@dataclass
class PackageStatus:
    name: str
    version: str | None
    minimum: str
    required: bool

    @property
    def ok(self) -> bool:
        return self.version is not None and _version_tuple(self.version) >= _version_tuple(
            self.minimum
        )

    @property
    def label(self) -> str:
        if self.ok:
            return "OK"
        return "FAIL" if self.required else "missing (optional)"


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("+")[0].split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def check_packages() -> list[PackageStatus]:
    """Installed version of every package the course uses (None when missing)."""
    statuses = []
    for dist, _module, minimum, required in PACKAGES:
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            version = None
        statuses.append(PackageStatus(dist, version, minimum, required))
    return statuses


def device_report() -> dict[str, str]:
    """CPU, CUDA and MPS availability, as short human-readable strings."""
    import torch

    cuda = "not available"
    if torch.cuda.is_available():
        cuda = f"{torch.cuda.device_count()} device(s): {torch.cuda.get_device_name(0)}"
    mps = (
        "available"
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
        else "not available"
    )
    return {
        "cpu": f"{platform.machine()} ({os.cpu_count()} logical cores, torch uses {torch.get_num_threads()} threads)",
        "cuda": cuda,
        "mps": mps,
    }


def kernel_mode() -> str:
    """How minillm's Triton kernels will run here: compiled, interpreted or not at all."""
    try:
        import triton  # noqa: F401
    except ImportError:
        return "Triton not installed: every op uses its PyTorch path"
    import torch

    if torch.cuda.is_available():
        return "compiled on CUDA (CUDA tensors use the Triton kernels)"
    if os.environ.get("TRITON_INTERPRET") == "1":
        return "interpreter (TRITON_INTERPRET=1): kernels run on CPU, slowly, for testing"
    return "no GPU: ops use their PyTorch paths; set TRITON_INTERPRET=1 to run kernels in the interpreter"


def report() -> tuple[str, bool]:
    """The full environment report and whether every required package is OK."""
    statuses = check_packages()
    width = max(len(s.name) for s in statuses)
    lines = [
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}",
        "",
        "Packages:",
    ]
    for s in statuses:
        version = s.version or "-"
        lines.append(f"  {s.name.ljust(width)}  {version:<14} (>= {s.minimum:<7}) {s.label}")
    ok = all(s.ok for s in statuses if s.required)
    if any(s.required and s.name == "torch" and s.ok for s in statuses):
        lines += ["", "Devices:"]
        lines += [f"  {k.upper():<4}  {v}" for k, v in device_report().items()]
        lines += ["", f"Triton kernels: {kernel_mode()}"]
    lines += [
        "",
        "Environment OK" if ok else "Environment FAIL: install the missing packages (make setup)",
    ]
    return "\n".join(lines), ok
