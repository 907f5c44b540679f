"""Fast paths for the model's hot ops: Triton kernels with PyTorch fallbacks.

Use ``minillm.kernels.ops`` (``ops.rms_norm``, ``ops.flash_attention``, ...): it picks the Triton
kernel for CUDA tensors and the PyTorch path otherwise. Importing this package never imports
triton; each kernel file is loaded on first use.
"""

from minillm.kernels import ops
from minillm.kernels._utils import resolve_backend, triton_available

__all__ = ["ops", "resolve_backend", "triton_available"]
