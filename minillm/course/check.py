"""In-notebook checks: run a learner's function on reference cases and explain the first miss.

    >>> from minillm.course import check
    >>> check(softmax, [((torch.tensor([0.0, 0.0]),), torch.tensor([0.5, 0.5]))])
    ✓ softmax: all 1 cases pass

Each case is ``(args, expected)`` with ``args`` a tuple of positional arguments (a single
non-tuple value is treated as one argument). With ``reference=fn`` the cases are just ``args``
and the expected values come from the reference. A failing check prints what went wrong and
raises ``CheckFailed`` (an ``AssertionError``), so a graded cell fails as it should.

With ``forbid=["minillm.layers.moe.MoE.forward", ...]`` the named functions raise
``ForbiddenCall`` while the learner's function runs (see :mod:`minillm.course.forbid_calls`);
the reference and the comparison run outside that window, so they may use the forbidden code.

This module never imports torch or numpy itself: tensors and arrays are recognised by type name,
so the course tooling stays light.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from minillm.course.errors import CheckFailed, ForbiddenCall
from minillm.course.forbid_calls import forbid as _forbid

__all__ = ["CheckFailed", "check", "check_close"]


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kind(value: Any) -> str:
    mod = type(value).__module__.split(".")[0]
    if mod == "torch" and type(value).__name__ in ("Tensor", "Parameter"):
        return "tensor"
    if mod == "numpy" and type(value).__name__ == "ndarray":
        return "array"
    return "other"


def _compare_arrays(actual: Any, expected: Any, atol: float, rtol: float) -> str | None:
    """Compare tensors/arrays: shape, then values. Returns a reason or None."""
    if _kind(actual) == "tensor" or _kind(expected) == "tensor":
        import torch

        a = actual if _kind(actual) == "tensor" else torch.as_tensor(actual)
        e = expected if _kind(expected) == "tensor" else torch.as_tensor(expected)
        if tuple(a.shape) != tuple(e.shape):
            return f"shape {tuple(a.shape)}, expected {tuple(e.shape)}"
        if a.dtype.is_floating_point or e.dtype.is_floating_point:
            a64, e64 = a.detach().double().cpu(), e.detach().double().cpu()
            bad = ~torch.isclose(a64, e64, atol=atol, rtol=rtol, equal_nan=True)
        else:
            bad = a.detach().cpu() != e.detach().cpu()
        if bad.any():
            idx = tuple(int(i) for i in bad.nonzero()[0])
            return (
                f"{int(bad.sum())} of {bad.numel()} values differ; first at index {idx}: "
                f"got {a[idx].item()!r}, expected {e[idx].item()!r}"
            )
        return None
    import numpy as np

    a, e = np.asarray(actual), np.asarray(expected)
    if a.shape != e.shape:
        return f"shape {a.shape}, expected {e.shape}"
    if np.issubdtype(a.dtype, np.number) and np.issubdtype(e.dtype, np.number):
        bad = ~np.isclose(a.astype(float), e.astype(float), atol=atol, rtol=rtol, equal_nan=True)
    else:
        bad = a != e
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        return f"{int(bad.sum())} of {bad.size} values differ; first at index {idx}: got {a[idx]!r}, expected {e[idx]!r}"
    return None


def _difference(actual: Any, expected: Any, atol: float, rtol: float, path: str = "") -> str | None:
    """Return a human-readable reason why ``actual`` differs from ``expected``, or None."""
    where = f" at {path}" if path else ""
    if _kind(actual) != "other" or _kind(expected) != "other":
        try:
            reason = _compare_arrays(actual, expected, atol, rtol)
        except Exception as exc:  # e.g. a string where a tensor was expected
            return (
                f"got a {type(actual).__name__}{where}, expected {type(expected).__name__} ({exc})"
            )
        return f"{reason}{where}" if reason else None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return None if actual == expected else f"got {actual!r}{where}, expected {expected!r}"
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        if isinstance(expected, int) and isinstance(actual, int):
            return None if actual == expected else f"got {actual}{where}, expected {expected}"
        if math.isclose(actual, expected, rel_tol=rtol, abs_tol=atol) or (
            math.isnan(actual) and math.isnan(expected)
        ):
            return None
        return f"got {actual!r}{where}, expected {expected!r} (atol={atol}, rtol={rtol})"
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return f"got a {type(actual).__name__}{where}, expected a dict"
        missing = [k for k in expected if k not in actual]
        extra = [k for k in actual if k not in expected]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing keys {_short(missing[:5])}")
            if extra:
                parts.append(f"unexpected keys {_short(extra[:5])}")
            return ", ".join(parts) + where
        for key in expected:
            reason = _difference(actual[key], expected[key], atol, rtol, f"{path}[{key!r}]")
            if reason:
                return reason
        return None
    if isinstance(expected, (list, tuple)) and not isinstance(expected, str):
        if not isinstance(actual, (list, tuple)):
            return f"got a {type(actual).__name__}{where}, expected a {type(expected).__name__}"
        if len(actual) != len(expected):
            return f"length {len(actual)}{where}, expected {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            reason = _difference(a, e, atol, rtol, f"{path}[{i}]")
            if reason:
                return reason
        return None
    try:
        equal = actual == expected
        equal = bool(equal)
    except Exception as exc:  # e.g. ambiguous truth value
        return (
            f"cannot compare {type(actual).__name__} with {type(expected).__name__}{where}: {exc}"
        )
    return None if equal else f"got {_short(actual)}{where}, expected {_short(expected)}"


def check_close(
    actual: Any, expected: Any, *, atol: float = 1e-6, rtol: float = 1e-5, name: str = "value"
) -> None:
    """Assert that ``actual`` matches ``expected`` (tensors, arrays, numbers, nested containers)."""
    reason = _difference(actual, expected, atol, rtol)
    if reason:
        print(f"✗ {name}: {reason}")
        raise CheckFailed(f"{name}: {reason}")
    print(f"✓ {name} matches")


def _as_args(args: Any) -> tuple:
    return args if isinstance(args, tuple) else (args,)


def _clone(value: Any) -> Any:
    """Copy tensors/arrays/containers so a function that mutates its input cannot fool the check."""
    if _kind(value) in ("tensor", "array"):
        return value.clone() if _kind(value) == "tensor" else value.copy()
    if isinstance(value, list):
        return [_clone(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_clone(v) for v in value)
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    return value


def check(
    fn: Callable[..., Any],
    cases: Iterable[Any],
    *,
    reference: Callable[..., Any] | None = None,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    name: str | None = None,
    forbid: Sequence[str] = (),
) -> None:
    """Run ``fn`` on each case and compare with the expected value; raise on the first miss.

    Args:
        fn: the learner's function.
        cases: ``(args, expected)`` pairs, or just ``args`` when ``reference`` is given.
        reference: a trusted implementation that computes the expected values.
        atol, rtol: tolerances for floating-point values.
        name: what to call ``fn`` in messages (defaults to its ``__name__``).
        forbid: dotted paths of functions/classes ``fn`` must not call (it must write them).
    """
    if not callable(fn):
        raise TypeError(f"check() needs a function as its first argument, got {type(fn).__name__}")
    label = name or getattr(fn, "__name__", "function")
    if isinstance(forbid, str):
        forbid = [forbid]
    guard = _forbid(*forbid) if forbid else None  # bad target names fail here, clearly
    cases = list(cases)
    if not cases:
        raise ValueError("check() needs at least one case")
    pairs = []  # all expected values first: the reference may use what the learner may not
    for i, case in enumerate(cases, 1):
        if reference is not None:
            args = _as_args(case)
            pairs.append((args, reference(*_clone(args))))
        else:
            if not (isinstance(case, Sequence) and len(case) == 2):
                raise ValueError(f"case {i} must be an (args, expected) pair, got {_short(case)}")
            pairs.append((_as_args(case[0]), case[1]))
    for i, (args, expected) in enumerate(pairs, 1):
        shown = ", ".join(_short(a, 60) for a in args)
        try:
            if guard is None:
                actual = fn(*_clone(args))
            else:
                cloned = _clone(args)
                with guard:
                    actual = fn(*cloned)
                if guard.attempts:  # the learner caught the ForbiddenCall and carried on
                    raise ForbiddenCall(guard.attempts[0])
        except ForbiddenCall as exc:
            print(f"✗ {label}: {exc}")
            raise ForbiddenCall(exc.target, exc.reason) from None
        except NotImplementedError:
            print(
                f"✗ {label}: not implemented yet (replace `raise NotImplementedError()` with your code)"
            )
            raise CheckFailed(f"{label} is not implemented yet") from None
        except Exception as exc:
            print(f"✗ {label}({shown}) raised {type(exc).__name__}: {exc}")
            raise CheckFailed(f"case {i}: {label} raised {type(exc).__name__}: {exc}") from exc
        reason = _difference(actual, expected, atol, rtol)
        if reason:
            print(f"✗ {label}: case {i} of {len(cases)} differs\n    input:  {shown}\n    {reason}")
            raise CheckFailed(f"case {i}: {label}({shown}): {reason}")
    print(f"✓ {label}: all {len(cases)} cases pass")
