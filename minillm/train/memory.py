"""Old name of ``minillm.train.memory_estimate``, kept so older notebooks still import."""

from minillm.train.memory_estimate import (
    ACTIVATION_BYTES,
    MemoryEstimate,
    activation_bytes,
    format_memory_table,
    memory_table,
    training_memory,
)

__all__ = [
    "ACTIVATION_BYTES",
    "MemoryEstimate",
    "activation_bytes",
    "format_memory_table",
    "memory_table",
    "training_memory",
]
