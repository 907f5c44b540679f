"""Checks that watch what a learner's PyTorch code *does*, not only what it returns.

    >>> from minillm.course.torch_checks import without_kv_copies
    >>> check(without_kv_copies(gqa_attention), cases, reference=...)

:func:`no_repeated_kv` is a context manager that watches every ATen op (through
``torch.utils._python_dispatch.TorchDispatchMode``) while grouped-query attention runs, and
raises :class:`KVCopyError` (a :class:`~minillm.course.errors.CheckFailed`) as soon as a
tensor with the memory of K or V repeated to all query heads is allocated. That is the copy
GQA exists to avoid, and it is easy to make without noticing: ``repeat_interleave`` makes it,
and so does a matmul that broadcasts a (B, H_kv, 1, T, D) view over the query groups (ATen
expands the view and clones it into a contiguous batch for ``bmm``).

An op's output counts as a copy of K or V when it owns new storage of at least
B · H · S · D elements (views and in-place results do not allocate) and either

- it was computed from k or v alone (tensors without inputs, such as masks or index ranges,
  do not count as inputs), or
- its values are exactly those of k or v, each repeated H / H_kv times (a copy disguised by
  adding something of the queries' shape times zero). With a single key (S = 1) attention's
  output *is* V repeated, so this second test needs S > 1.

It also refuses torch's fused attention (``aten._scaled_dot_product_*``): the exercise is to
write the attention. torch is imported when a check runs, never at import time, so
``minillm.course`` stays importable without it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from minillm.course.errors import CheckFailed

__all__ = ["KVCopyError", "no_repeated_kv", "without_kv_copies"]

_KV, _NEUTRAL, _OTHER = "kv", "neutral", "other"


class KVCopyError(CheckFailed):
    """A tensor of the repeated K/V size was allocated, or fused attention was called."""


def _tensors(tree: Any) -> list[Any]:
    import torch
    from torch.utils._pytree import tree_flatten

    return [t for t in tree_flatten(tree)[0] if isinstance(t, torch.Tensor)]


def _make_mode(k: Any, v: Any, n_heads: int) -> Any:
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    b, h_kv, s, d = k.shape
    repeats = n_heads // h_kv
    limit = b * n_heads * s * d  # elements of K (or V) repeated to every query head
    # the value fingerprints of the two forbidden copies: sorted values, each repeated
    fingerprints = [x.detach().flatten().repeat_interleave(repeats).sort().values for x in (k, v)]

    class NoRepeatedKV(TorchDispatchMode):
        def __init__(self) -> None:
            super().__init__()
            self.kind: dict[int, str] = {id(k): _KV, id(v): _KV}
            self.keep: list[Any] = [k, v]  # strong refs, so an id is never reused meanwhile

        def _kind_of(self, t: Any) -> str:
            return self.kind.get(id(t), _OTHER)  # q, and anything not created in here

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
            name = str(func.overloadpacket.__name__)
            if "scaled_dot_product" in name:
                raise KVCopyError(
                    f"torch's fused attention ({name}) is not allowed here: write the scores, "
                    "the mask and the softmax yourself"
                )
            inputs = _tensors((args, kwargs))
            out = func(*args, **(kwargs or {}))
            kinds = {self._kind_of(t) for t in inputs}
            kind = _OTHER if _OTHER in kinds else _KV if _KV in kinds else _NEUTRAL
            input_storages = {t.untyped_storage().data_ptr() for t in inputs}
            for t in _tensors(out):
                self.kind[id(t)] = kind
                self.keep.append(t)
                storage = t.untyped_storage()
                fresh = storage.data_ptr() not in input_storages
                if not fresh or storage.nbytes() < limit * t.element_size():
                    continue
                if kind == _KV or (s > 1 and t.numel() == limit and self._repeats_kv(t)):
                    raise KVCopyError(
                        f"{func} allocated a {tuple(t.shape)} tensor: that is K or V repeated "
                        f"to all {n_heads} query heads (B * H * S * D = {limit} values), the "
                        f"copy GQA avoids. Let each of the {h_kv} kv heads serve its "
                        f"{repeats} query heads without materialising the repeat."
                    )
            return out

        @staticmethod
        def _repeats_kv(t: Any) -> bool:
            if not t.dtype.is_floating_point:
                return False
            values = t.detach().flatten().to(fingerprints[0].dtype).sort().values
            return any(torch.equal(values, f) for f in fingerprints)

    return NoRepeatedKV()


@contextmanager
def no_repeated_kv(k: Any, v: Any, n_heads: int) -> Iterator[None]:
    """Raise :class:`KVCopyError` if K or V (B, H_kv, S, D) is copied to n_heads heads inside.

    Only ops run inside the block are watched; k and v must be the tensors the code receives.
    With n_heads == H_kv (plain multi-head attention) there is nothing to avoid: no check.
    """
    h_kv = k.shape[1]
    if n_heads % h_kv:
        raise ValueError(f"n_heads={n_heads} must be a multiple of k's {h_kv} heads")
    if n_heads == h_kv:
        yield
        return
    with _make_mode(k, v, n_heads):
        yield


def without_kv_copies(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``fn(q, k, v, ...)`` so it runs under :func:`no_repeated_kv` (q: (B, H, T, D))."""

    @functools.wraps(fn)
    def watched(q: Any, k: Any, v: Any, *args: Any, **kwargs: Any) -> Any:
        with no_repeated_kv(k, v, q.shape[1]):
            return fn(q, k, v, *args, **kwargs)

    return watched
