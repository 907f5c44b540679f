"""Old name of ``minillm.kernels.memory_tracker``, kept so older notebooks still import."""

from minillm.kernels.memory_tracker import TensorMemoryTracker

__all__ = ["TensorMemoryTracker"]
