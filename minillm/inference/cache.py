"""A preallocated KV cache: the keys and values of every layer, written in place.

    cache = StaticKVCache.for_model(model, batch_size=4, max_len=160)
    logits = model(prompt, kv_cache=cache).logits      # prefill: writes positions 0..T-1
    logits = model(next_token, kv_cache=cache).logits  # decode: writes position T, reads 0..T

Per layer one (B, H_kv, max_len, D) buffer for keys and one for values, allocated once: decoding
appends by writing a slice (no `torch.cat`, which copies the whole cache every token) and reads a
view of the filled part. `crop(n)` forgets everything after position n (speculative decoding
rolls rejected draft tokens back with it); `reset()` empties the cache for the next prompt.

Implements the `KVCache` protocol of `minillm.layers.attention`. Every `update` is checked before
anything is written, so a bad call leaves the cache as it was.
"""

from __future__ import annotations

import torch
from torch import Tensor

CACHE_DTYPES = (torch.float32, torch.bfloat16, torch.float16, torch.float64)


class StaticKVCache:
    """Keys and values of `n_layers` layers for `batch_size` rows of up to `max_len` positions.

    keys[i], values[i]: (batch_size, n_kv_heads, max_len, head_dim) in `dtype` on `device`.
    All rows share one length (left padding keeps them aligned; see `minillm.inference.generate`).
    """

    def __init__(
        self,
        n_layers: int,
        batch_size: int,
        max_len: int,
        n_kv_heads: int,
        head_dim: int,
        dtype: torch.dtype = torch.float32,
        device: str | torch.device = "cpu",
    ) -> None:
        sizes = dict(n_layers=n_layers, batch_size=batch_size, max_len=max_len,
                     n_kv_heads=n_kv_heads, head_dim=head_dim)  # fmt: skip
        for name, value in sizes.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"StaticKVCache: {name}={value!r} must be an integer >= 1")
        if dtype not in CACHE_DTYPES:
            valid = ", ".join(str(d).removeprefix("torch.") for d in CACHE_DTYPES)
            raise ValueError(f"StaticKVCache: dtype={dtype} is not a cache dtype; valid: {valid}")
        self.n_layers, self.batch_size, self.max_len = n_layers, batch_size, max_len
        self.n_kv_heads, self.head_dim = n_kv_heads, head_dim
        shape = (batch_size, n_kv_heads, max_len, head_dim)
        self.keys = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(n_layers)]
        self.values = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(n_layers)]
        # the buffers' own device: "cuda" becomes cuda:0, which is what tensors compare equal to
        self.dtype, self.device = dtype, self.keys[0].device
        self._lengths = [0] * n_layers

    @classmethod
    def for_model(
        cls,
        model: torch.nn.Module,
        batch_size: int,
        max_len: int,
        dtype: torch.dtype | None = None,
    ) -> StaticKVCache:
        """A cache shaped for `model` (a `minillm.model.Transformer`), on its device; dtype
        defaults to the model's parameter dtype (the dtype its keys and values come out in)."""
        c = model.config
        p = next(model.parameters())
        return cls(c.n_layers, batch_size, max_len, c.n_kv_heads, c.head_dim,
                   p.dtype if dtype is None else dtype, p.device)  # fmt: skip

    # ------------------------------------------------------------------ the KVCache protocol
    def seq_len(self, layer_idx: int = 0) -> int:
        """Positions already cached for this layer."""
        self._check_layer(layer_idx)
        return self._lengths[layer_idx]

    def update(self, layer_idx: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Write k, v: (B, H_kv, T, D) after the cached positions; return views of all
        cached keys and values, (B, H_kv, seq_len, D). Raises (writing nothing) on a shape,
        dtype or device mismatch, or when the T new positions do not fit."""
        self._check_layer(layer_idx)
        want = (self.batch_size, self.n_kv_heads, k.shape[2] if k.dim() == 4 else -1, self.head_dim)
        for name, t in (("k", k), ("v", v)):
            if tuple(t.shape) != want:
                raise ValueError(
                    f"StaticKVCache.update: {name}.shape={tuple(t.shape)} must be (B, H_kv, T, D) "
                    f"= ({self.batch_size}, {self.n_kv_heads}, T, {self.head_dim}) for this cache"
                )
            if t.dtype != self.dtype:
                raise TypeError(
                    f"StaticKVCache.update: {name}.dtype={t.dtype} but the cache holds "
                    f"{self.dtype}; build it with dtype={t.dtype} (StaticKVCache.for_model "
                    "uses the model's dtype)"
                )
            if t.device != self.device:
                raise ValueError(
                    f"StaticKVCache.update: {name} is on {t.device} but the cache is on "
                    f"{self.device}; build the cache on the model's device"
                )
        start = self._lengths[layer_idx]
        end = start + k.shape[2]
        if end > self.max_len:
            raise ValueError(
                f"StaticKVCache.update: {k.shape[2]} new positions after {start} cached ones "
                f"need {end} > max_len={self.max_len}; allocate a larger cache "
                "(max_len >= prompt length + max_new_tokens)"
            )
        self.keys[layer_idx][:, :, start:end].copy_(k)
        self.values[layer_idx][:, :, start:end].copy_(v)
        self._lengths[layer_idx] = end
        return self.keys[layer_idx][:, :, :end], self.values[layer_idx][:, :, :end]

    # ------------------------------------------------------------------ bookkeeping
    def crop(self, n: int) -> None:
        """Keep the first n positions of every layer, forget the rest (no memory is freed or
        cleared: later updates overwrite it). 0 <= n <= the shortest layer's length."""
        shortest = min(self._lengths)
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= shortest:
            raise ValueError(
                f"StaticKVCache.crop: n={n!r} must be an integer in [0, {shortest}] "
                f"(the positions cached)"
            )
        self._lengths = [n] * self.n_layers

    def advance(self, n: int = 1) -> None:
        """Count n more positions as cached in every layer, for writes made straight into the
        buffers (the compiled decode step's `index_copy_`); they must fit in max_len."""
        end = min(self._lengths) + n
        if isinstance(n, bool) or not isinstance(n, int) or n < 0 or end > self.max_len:
            raise ValueError(
                f"StaticKVCache.advance: n={n!r} must be an integer >= 0 with "
                f"{min(self._lengths)} + n <= max_len={self.max_len}"
            )
        self._lengths = [end] * self.n_layers

    def reset(self) -> None:
        """Empty the cache (the buffers stay allocated for the next prompt)."""
        self._lengths = [0] * self.n_layers

    @property
    def nbytes(self) -> int:
        """Bytes allocated for keys and values, all layers."""
        return sum(t.numel() * t.element_size() for t in (*self.keys, *self.values))

    @property
    def bytes_per_token(self) -> int:
        """Bytes one position of one row takes: 2 (K and V) * layers * H_kv * D * dtype size."""
        return 2 * self.n_layers * self.n_kv_heads * self.head_dim * self.keys[0].element_size()

    def check_model(self, model: torch.nn.Module, batch_size: int, needed_len: int) -> None:
        """Raise ValueError unless this cache fits `model` (layers, heads, head dim, dtype,
        device) for `batch_size` rows of `needed_len` positions."""
        c = model.config
        p = next(model.parameters())
        want = dict(n_layers=c.n_layers, n_kv_heads=c.n_kv_heads, head_dim=c.head_dim,
                    batch_size=batch_size)  # fmt: skip
        for name, value in want.items():
            if getattr(self, name) != value:
                raise ValueError(
                    f"the KV cache has {name}={getattr(self, name)} but this model and batch "
                    f"need {name}={value}; build it with StaticKVCache.for_model(model, "
                    f"batch_size={batch_size}, max_len={needed_len})"
                )
        if self.dtype != p.dtype:
            raise TypeError(
                f"the KV cache holds {self.dtype} but the model computes in {p.dtype}; "
                f"build it with dtype={p.dtype}"
            )
        if self.device != p.device:
            raise ValueError(f"the KV cache is on {self.device} but the model is on {p.device}")
        if needed_len > self.max_len:
            raise ValueError(
                f"the KV cache holds max_len={self.max_len} positions but this generation needs "
                f"{needed_len} (prompt + max_new_tokens); allocate max_len >= {needed_len}"
            )

    def _check_layer(self, layer_idx: int) -> None:
        if not 0 <= layer_idx < self.n_layers:
            raise ValueError(
                f"StaticKVCache: layer_idx={layer_idx} out of range; this cache has "
                f"{self.n_layers} layers (0..{self.n_layers - 1}): a model with more layers "
                "needs its own cache"
            )

    def __repr__(self) -> str:
        return (
            f"StaticKVCache(layers={self.n_layers}, batch={self.batch_size}, "
            f"len={min(self._lengths)}/{self.max_len}, H_kv={self.n_kv_heads}, "
            f"D={self.head_dim}, {self.dtype}, {self.nbytes / 2**20:.2f} MiB)"
        )
