"""Measure the peak memory of PyTorch tensors on any device, CPU included.

CUDA has ``torch.cuda.max_memory_allocated``; the CPU has no equivalent, and ``tracemalloc``
does not see torch's allocations. ``TensorMemoryTracker`` watches every tensor that a PyTorch
operation returns while it is active (a ``TorchDispatchMode``, which also sees the backward
pass), adds its storage's bytes when the storage is created and subtracts them when the storage
is freed (a ``weakref.finalize`` on the storage object, which PyTorch keeps alive exactly as
long as the storage). The maximum of that running sum is the peak; the plain sum of every
allocation (``allocated_bytes``) counts the intermediate tensors written, which is what kernel
fusion removes.

What it counts: every tensor created by an op inside the ``with`` block, including the ones
autograd saves for backward. What it misses: scratch memory an op allocates and frees inside
itself (e.g. a matmul's packing buffers), and tensors created before the block (inputs). So it
measures exactly what a program controls: which tensors are alive at the same time.

    >>> with TensorMemoryTracker() as mem:
    ...     loss = model(x).loss; loss.backward()
    >>> mem.peak_bytes
"""

from __future__ import annotations

import weakref

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten


class TensorMemoryTracker(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.live_bytes = 0
        self.peak_bytes = 0
        self.allocated_bytes = 0  # total ever allocated: a floor on the memory traffic
        self._sizes: dict[int, int] = {}  # storage data_ptr -> bytes, for storages alive now

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                self._track(t.untyped_storage())
        return out

    def _track(self, storage: torch.UntypedStorage) -> None:
        key, nbytes = storage.data_ptr(), storage.nbytes()
        if nbytes == 0 or key in self._sizes:  # views and in-place results share a storage
            return
        self._sizes[key] = nbytes
        self.live_bytes += nbytes
        self.allocated_bytes += nbytes
        self.peak_bytes = max(self.peak_bytes, self.live_bytes)
        weakref.finalize(storage, self._free, key)

    def _free(self, key: int) -> None:
        self.live_bytes -= self._sizes.pop(key, 0)

    @property
    def peak_mib(self) -> float:
        return self.peak_bytes / 2**20
