"""A decode step with static shapes, for `torch.compile` (the gpt-fast recipe).

On a small model one eager decode step is mostly overhead: a thousand tiny PyTorch calls, each
a few microseconds of Python and dispatch, around a few hundred microseconds of matmuls.
Compiling the step removes the overhead, but only if every step has the same shapes; the
eager cache returns a view that grows by one position per token. So this step writes the new
key and value at a position given as a tensor (`index_copy_`) and attends over the whole
preallocated buffer, with a (B, max_len) mask hiding the positions not yet written: the same
graph serves every step, and compiles once per batch size.

    logits = compiled_decode_step(model, tokens, cache, positions, key_mask)
    # tokens, positions: (B, 1); key_mask: (B, max_len) -> logits (B, V); compiles once per shape

Same numbers as the eager `decode_step` up to float rounding (the masked keys contribute
exp(-inf) = 0); tests/test_inference_compiled.py checks the tokens.
"""

from __future__ import annotations

import torch
from torch import Tensor

from minillm.inference.cache import StaticKVCache


class _WriteAt:
    """The KVCache protocol over a StaticKVCache's buffers, writing at a tensor index and
    returning the full buffers. seq_len claims max_len - T cached positions, so the model
    expects a (B, max_len) attention mask: the key mask that hides the unwritten slots."""

    def __init__(self, keys: list[Tensor], values: list[Tensor], index: Tensor) -> None:
        self.keys, self.values, self.index = keys, values, index

    def seq_len(self, layer_idx: int = 0) -> int:
        return self.keys[layer_idx].shape[2] - self.index.shape[0]

    def update(self, layer_idx: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        self.keys[layer_idx].index_copy_(2, self.index, k)
        self.values[layer_idx].index_copy_(2, self.index, v)
        return self.keys[layer_idx], self.values[layer_idx]


def _static_step(model, tokens, positions, key_mask, index, keys, values) -> Tensor:
    cache = _WriteAt(keys, values, index)
    out = model(tokens, attention_mask=key_mask, positions=positions, kv_cache=cache)
    return out.logits[:, -1].float()


_compiled = None  # one compiled function for the process: graphs are reused across calls


def compiled_decode_step(
    model, tokens: Tensor, cache: StaticKVCache, positions: Tensor, key_mask: Tensor
) -> Tensor:
    """One decode step through the compiled static-shape graph -> logits (B, V) float32.

    tokens (B, 1); positions (B, 1), each row's position; key_mask (B, max_len), 1 = a key the
    new token may see, its own slot cache.seq_len() included. The token's key and value go to
    that slot and the cache's length advances by one. The first call per model and batch size
    compiles (tens of seconds on a laptop CPU; torch caches the result on disk)."""
    global _compiled
    n = cache.seq_len(0)
    if n >= cache.max_len:
        raise ValueError(f"the KV cache is full ({cache.max_len} positions); allocate a larger one")
    if tuple(key_mask.shape) != (cache.batch_size, cache.max_len):
        raise ValueError(
            f"key_mask.shape={tuple(key_mask.shape)} must be (B, max_len) = "
            f"({cache.batch_size}, {cache.max_len})"
        )
    if _compiled is None:
        _compiled = torch.compile(_static_step, fullgraph=True, dynamic=False)
    index = torch.tensor([n], device=cache.device)
    with torch.no_grad():
        logits = _compiled(model, tokens, positions, key_mask, index, cache.keys, cache.values)
    cache.advance(1)
    return logits
