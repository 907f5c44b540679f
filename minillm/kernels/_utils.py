"""Backend selection shared by every op: which path (PyTorch or Triton) runs a call.

Rules (see ``minillm/kernels/ops.py``):

- ``backend="auto"`` (the default): CUDA tensors use the Triton kernels when triton imports,
  everything else uses the PyTorch path.
- ``backend="torch"``: always the PyTorch path.
- ``backend="triton"``: always the Triton kernels. On a machine without CUDA they run in
  Triton's interpreter (``TRITON_INTERPRET=1``), which executes each kernel with NumPy: slow,
  but it runs the same kernel source, so the kernels are tested on CPU.

The environment variable ``MINILLM_BACKEND`` sets the default for every call (read once, at
the first op call; ``set_default_backend`` changes it in a running process); an explicit
``backend=`` argument wins over it.
"""

from __future__ import annotations

import functools
import importlib
import os
from types import ModuleType

import torch

BACKENDS = ("auto", "torch", "triton")
TRITON_DTYPES = (torch.float16, torch.bfloat16, torch.float32)


@functools.lru_cache(maxsize=1)
def triton_import_error() -> str | None:
    """None when ``import triton`` works, else the reason (triton ships for Linux only)."""
    try:
        import triton  # noqa: F401
        import triton.language  # noqa: F401
    except Exception as exc:  # ImportError, or a broken install raising something else
        return f"{type(exc).__name__}: {exc}"
    return None


def triton_available() -> bool:
    return triton_import_error() is None


# $MINILLM_BACKEND, read once (at the first op call), not at every op call: an environment
# read per op is a Python dict lookup in the hot path and a graph break under torch.compile.
_env_backend: str | None = None


def default_backend() -> str:
    """$MINILLM_BACKEND (else "auto") as read at the first call; `set_default_backend` changes it."""
    global _env_backend
    if _env_backend is None:
        _env_backend = os.environ.get("MINILLM_BACKEND", "auto")
    return _env_backend


def set_default_backend(name: str | None) -> None:
    """Set the default backend for this process; None re-reads $MINILLM_BACKEND next call."""
    global _env_backend
    if name is not None:
        requested_backend(name)  # validate now
    _env_backend = name


def requested_backend(backend: str | None) -> str:
    """The backend asked for: ``backend`` if given, else $MINILLM_BACKEND, else "auto"."""
    source = "backend=" if backend is not None else "MINILLM_BACKEND="
    name = backend if backend is not None else default_backend()
    name = name.strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"{source}{name!r} is not a backend; valid: {', '.join(BACKENDS)}")
    return name


def resolve_backend(backend: str | None, *tensors: torch.Tensor) -> str:
    """Return "torch" or "triton" for a call on ``tensors``; raise on an unknown name."""
    devices = {t.device for t in tensors}
    if len(devices) > 1:
        raise ValueError(
            f"all tensors must be on one device, got {sorted(str(d) for d in devices)}"
        )
    name = requested_backend(backend)
    if name == "torch":
        return "torch"
    on_cuda = any(t.is_cuda for t in tensors)
    if name == "auto":
        return "triton" if on_cuda and triton_available() else "torch"
    # name == "triton": forced.
    source = "backend=" if backend is not None else "MINILLM_BACKEND="
    if not triton_available():
        raise RuntimeError(
            f"{source}'triton' but triton cannot be imported ({triton_import_error()}). "
            "Triton ships for Linux (pip install triton); elsewhere use backend='torch' or "
            "'auto', which run the PyTorch path."
        )
    if not on_cuda and any(t.device.type != "cpu" for t in tensors):
        raise ValueError(
            f"the Triton kernels run on CUDA tensors (or CPU tensors in the interpreter), "
            f"got device {tensors[0].device}; use backend='torch'"
        )
    return "triton"


def use_triton(
    backend: str | None, *tensors: torch.Tensor, unsupported: Exception | None = None
) -> bool:
    """Whether this call runs the Triton kernel.

    ``unsupported`` is the error describing why the kernel cannot take these inputs (a dtype,
    a head dim...), or None. A forced ``triton`` backend raises it; ``auto`` quietly uses the
    PyTorch path instead, so a model on a GPU never fails because one layer's shape is unusual.
    """
    if resolve_backend(backend, *tensors) != "triton":
        return False
    if unsupported is None:
        return True
    if requested_backend(backend) == "triton":
        raise unsupported
    return False


# Range checks read values back to the host. On the CPU that is free; on a GPU it stalls the
# stream every forward and breaks CUDA graphs, so there they run only when asked for.
DEBUG_CHECKS = os.environ.get("MINILLM_DEBUG_CHECKS", "0").strip().lower() in ("1", "true", "yes")


def range_check_wanted(t: torch.Tensor) -> bool:
    """Whether to read t's values back for a range check: CPU tensors (no stall), any device
    with MINILLM_DEBUG_CHECKS=1; never while torch.compile traces (it would break the graph)."""
    if torch.compiler.is_compiling():
        return False
    return t.device.type == "cpu" or DEBUG_CHECKS


def interpreter_mode() -> bool:
    """True when ``@triton.jit`` builds interpreted kernels (``TRITON_INTERPRET=1``)."""
    return os.environ.get("TRITON_INTERPRET", "0").strip().lower() in ("1", "true", "on", "yes")


def load_kernel(module: str) -> ModuleType:
    """Import ``minillm.kernels.<module>`` (a Triton kernel file) on first use.

    The kernel files are imported lazily so that ``import minillm`` never needs triton. Triton
    decides when ``@triton.jit`` runs (at import of the kernel file) whether a kernel is
    compiled for the GPU or interpreted, so the interpreter must be switched on *before* the
    first import. Without CUDA nothing compiled could run anyway, so we switch it on here unless
    the user chose otherwise (an explicit ``TRITON_INTERPRET=0`` is respected and reported by
    :func:`check_can_launch`).
    """
    name = f"minillm.kernels.{module}"
    if name not in _loaded and not torch.cuda.is_available():
        os.environ.setdefault("TRITON_INTERPRET", "1")
    mod = importlib.import_module(name)
    _loaded.add(name)
    return mod


_loaded: set[str] = set()


def is_interpreted(kernel: object) -> bool:
    """True when ``kernel`` (a ``@triton.jit`` function) was built for the interpreter."""
    return type(kernel).__name__ == "InterpretedFunction"


def check_can_launch(kernel: object, *tensors: torch.Tensor, op: str) -> None:
    """Raise a clear error instead of a deep Triton one when the launch cannot work."""
    on_cpu = any(t.device.type == "cpu" for t in tensors)
    if on_cpu and not is_interpreted(kernel):
        raise RuntimeError(
            f"{op}: CPU tensors can only run the Triton kernels in the interpreter, but "
            "minillm.kernels was imported with TRITON_INTERPRET unset or 0. Set "
            "TRITON_INTERPRET=1 before importing minillm.kernels, move the tensors to CUDA, "
            "or use backend='torch'."
        )
    if is_interpreted(kernel) and any(t.dtype == torch.bfloat16 for t in tensors):
        raise TypeError(
            f"{op}: bfloat16 is not supported by the Triton interpreter (CPU); "
            "use float16/float32 there, bfloat16 on a CUDA GPU, or backend='torch'"
        )


def unsupported_dtype(op: str, **tensors: torch.Tensor) -> TypeError | None:
    """The error for a dtype the Triton kernels do not take, or None."""
    for arg, t in tensors.items():
        if t.dtype not in TRITON_DTYPES:
            names = ", ".join(str(d).replace("torch.", "") for d in TRITON_DTYPES)
            return TypeError(
                f"{op}: {arg}.dtype={t.dtype} is not supported by the Triton kernel; valid: "
                f"{names} (the torch path takes any float dtype: backend='torch')"
            )
    return None


def next_power_of_2(n: int) -> int:
    return 1 << (max(n, 1) - 1).bit_length()
