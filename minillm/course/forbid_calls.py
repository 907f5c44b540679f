"""Forbid package functions while a learner's code runs, so "return minillm's answer" scores zero.

    >>> from minillm.course import forbid
    >>> with forbid("minillm.layers.moe.MoE.forward", reason="write the dispatch yourself"):
    ...     my_moe_forward(x)        # raises ForbiddenCall if it calls MoE.forward

``forbid(*targets, reason=None)`` takes dotted import paths of functions, methods or classes.
While the block is active every call to a target raises
:class:`~minillm.course.errors.ForbiddenCall` ("implement this yourself: T is not allowed in
this exercise"), through any alias the learner made before the block:

- a Python function (or method) has its ``__code__`` swapped, so every reference to the same
  function object is caught (``from m import f as g``, bound methods, ``functools.partial``);
- a class raises when instantiated (its ``__init__`` is replaced), and so do its subclasses;
- any other callable (a builtin or C function such as ``torch.softmax``) is replaced on its
  owner and in the globals of every loaded module, ``__main__`` (the notebook) included.
  An alias hidden in a container or a closure is the one thing this cannot reach.

Calls from threads that were already running when the block started (the Jupyter kernel's
own) go through untouched; threads the learner starts inside the block are caught. The guard
records every attempt in ``.attempts``, so a learner who catches the error still fails
:func:`~minillm.course.check`. Everything is restored on exit, exception or not; blocks nest.
"""

from __future__ import annotations

import importlib
import itertools
import sys
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from minillm.course.errors import ForbiddenCall

__all__ = ["ForbiddenCall", "Forbid", "forbid"]

_keys = itertools.count(1)


@dataclass
class _Block:
    """One active target: who may still call the original, and how to undo the patch."""

    target: str
    reason: str | None
    original: Callable[..., Any]  # what allowed threads call instead
    guard: Forbid
    undo: list[Callable[[], None]] = field(default_factory=list)


_ACTIVE: dict[int, _Block] = {}


def _blocked(key: int, args: tuple, kwargs: dict) -> Any:
    """Entry point of every patched callable: raise for the learner, pass through otherwise."""
    block = _ACTIVE.get(key)
    if block is None:  # a patch outlived its block (should not happen): say so, loudly
        raise RuntimeError("minillm.course.forbid_calls: a forbidden target was not restored")
    if threading.current_thread() in block.guard._allowed_threads:
        return block.original(*args, **kwargs)
    block.guard.attempts.append(block.target)
    raise ForbiddenCall(block.target, block.reason)


def _raiser_code(freevars: tuple[str, ...], key: int) -> types.CodeType:
    """Code that calls ``_blocked(key, ...)``, with the same free variables as the original.

    ``function.__code__`` may only be swapped for code with as many free variables as the
    function's closure; naming them after an unreachable statement makes them free without
    ever reading them.
    """
    lines = ["def _outer():"]
    lines += [f"    {name} = None" for name in freevars]
    lines += [
        "    def _forbidden(*args, **kwargs):",
        "        import minillm.course.forbid_calls as _forbid_module",
        f"        return _forbid_module._blocked({key}, args, kwargs)",
    ]
    if freevars:
        lines.append("        " + ", ".join(freevars))
    lines.append("    return _forbidden")
    namespace: dict[str, Any] = {}
    exec("\n".join(lines), namespace)  # noqa: S102 - source built from identifiers only
    code = namespace["_outer"]().__code__
    assert code.co_freevars == freevars, (code.co_freevars, freevars)
    return code


def _import_prefix(target: str) -> tuple[Any, list[str]]:
    """Import the longest module prefix of ``target``; return it and the remaining names."""
    parts = target.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        try:
            return importlib.import_module(name), parts[n:]
        except ModuleNotFoundError as exc:
            if exc.name is not None and not name.startswith(exc.name):
                raise  # the module exists but one of its own imports is missing
    raise ValueError(f"forbid({target!r}): no module named {parts[0]!r}")


def _resolve(target: Any) -> tuple[Any, str, Any]:
    """``"pkg.mod.Class.method"`` -> (owner, attribute name, object); clear errors otherwise."""
    if not isinstance(target, str):
        raise TypeError(
            f"forbid() takes dotted import paths as strings, e.g. 'torch.softmax'; got {target!r}"
        )
    if not target or any(not p.isidentifier() for p in target.split(".")):
        raise ValueError(f"forbid({target!r}): not a dotted import path like 'torch.softmax'")
    owner, rest = _import_prefix(target)
    if not rest:
        raise ValueError(
            f"forbid({target!r}): that is a module; name a function, method or class in it"
        )
    path = owner.__name__
    for name in rest[:-1]:
        if not hasattr(owner, name):
            raise ValueError(f"forbid({target!r}): {path} has no attribute {name!r}")
        owner, path = getattr(owner, name), f"{path}.{name}"
    name = rest[-1]
    if isinstance(owner, type) and name in vars(owner):
        obj = vars(owner)[name]
        obj = obj.__func__ if isinstance(obj, (staticmethod, classmethod)) else obj
    elif hasattr(owner, name):
        obj = getattr(owner, name)
    else:
        raise ValueError(f"forbid({target!r}): {path} has no attribute {name!r}")
    if not callable(obj):
        raise ValueError(
            f"forbid({target!r}): {path}.{name} is a {type(obj).__name__}, "
            "not a function, method or class"
        )
    return owner, name, obj


def _set_attr(owner: Any, name: str, value: Any, target: str) -> Callable[[], None]:
    """Set ``owner.name`` and return the undo; a built-in type that refuses gets a clear error."""
    had = isinstance(owner, type) and name in vars(owner)
    old = vars(owner)[name] if had else getattr(owner, name, None)
    was_set = had or (not isinstance(owner, type) and hasattr(owner, name))
    try:
        setattr(owner, name, value)
    except (TypeError, AttributeError) as exc:
        raise ValueError(
            f"forbid({target!r}): cannot replace {name!r} on {owner!r} ({exc}); "
            "forbid the function on the module that defines it instead"
        ) from None

    def undo() -> None:
        if was_set:
            setattr(owner, name, old)
        else:
            delattr(owner, name)

    return undo


def _patch_function(func: types.FunctionType, key: int, block: _Block) -> None:
    original_code = func.__code__
    block.original = types.FunctionType(
        original_code, func.__globals__, func.__name__, func.__defaults__, func.__closure__
    )
    block.original.__kwdefaults__ = func.__kwdefaults__
    func.__code__ = _raiser_code(original_code.co_freevars, key)

    def undo() -> None:
        func.__code__ = original_code

    block.undo.append(undo)


def _patch_class(cls: type, key: int, block: _Block, target: str) -> None:
    """Make instantiation raise through ``__init__``.

    ``__new__`` would be the obvious hook, but CPython cannot fully undo a replaced
    ``__new__`` (afterwards ``object.__new__`` rejects the constructor's arguments), while a
    replaced or deleted ``__init__`` restores cleanly.
    """
    own_init = vars(cls).get("__init__")
    if isinstance(own_init, types.FunctionType):
        _patch_function(own_init, key, block)
        return
    inherited_init = cls.__init__

    def original(self: Any, *args: Any, **kwargs: Any) -> None:
        if inherited_init is object.__init__:  # object.__init__ rejects the arguments
            return object.__init__(self)
        return inherited_init(self, *args, **kwargs)

    def init(*args: Any, **kwargs: Any) -> None:
        return _blocked(key, args, kwargs)

    block.original = original
    block.undo.append(_set_attr(cls, "__init__", init, target))


def _patch_callable(owner: Any, name: str, obj: Any, key: int, block: _Block, target: str) -> None:
    def forbidden(*args: Any, **kwargs: Any) -> Any:
        return _blocked(key, args, kwargs)

    forbidden.__name__ = forbidden.__qualname__ = name
    block.original = obj
    block.undo.append(_set_attr(owner, name, forbidden, target))
    # Aliases: every module global (the notebook's __main__ included) bound to the same object.
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for alias, value in list(namespace.items()):
            if value is obj:
                namespace[alias] = forbidden
                block.undo.append(_restore_global(namespace, alias, obj, forbidden))


def _restore_global(
    namespace: dict, alias: str, obj: Any, forbidden: Callable
) -> Callable[[], None]:
    def undo() -> None:
        if namespace.get(alias) is forbidden:  # the learner may have rebound it meanwhile
            namespace[alias] = obj

    return undo


class Forbid:
    """Context manager returned by :func:`forbid`; ``attempts`` lists the targets called."""

    def __init__(self, targets: tuple[str, ...], reason: str | None = None) -> None:
        if not targets:
            raise ValueError(
                "forbid() needs at least one dotted path, e.g. forbid('torch.softmax')"
            )
        for target in targets:
            _resolve(target)  # fail now, with a clear message, not in the middle of a check
        self.targets, self.reason = targets, reason
        self.attempts: list[str] = []
        self._keys: list[int] = []
        self._allowed_threads: set[threading.Thread] = set()

    def __enter__(self) -> Forbid:
        if self._keys:
            raise RuntimeError("this forbid() block is already active; create a new one to nest")
        # Thread objects, not idents: a learner's new thread may reuse a finished one's ident.
        me = threading.current_thread()
        self._allowed_threads = {t for t in threading.enumerate() if t is not me}
        try:
            for target in self.targets:
                self._activate(target)
        except BaseException:
            self._deactivate()
            raise
        return self

    def _activate(self, target: str) -> None:
        owner, name, obj = _resolve(target)
        key = next(_keys)
        block = _Block(target, self.reason, obj, self)
        _ACTIVE[key] = block
        self._keys.append(key)
        if isinstance(obj, types.FunctionType) and (
            not isinstance(owner, type) or name in vars(owner)
        ):
            _patch_function(obj, key, block)
        elif isinstance(obj, type):
            _patch_class(obj, key, block, target)
        else:  # builtins, C functions, callable objects, and methods a class inherits
            _patch_callable(owner, name, obj, key, block, target)

    def _deactivate(self) -> None:
        while self._keys:
            block = _ACTIVE.pop(self._keys.pop())
            for undo in reversed(block.undo):
                undo()

    def __exit__(self, *exc: object) -> None:
        self._deactivate()


def forbid(*targets: str, reason: str | None = None) -> Forbid:
    """Make calls to ``targets`` raise :class:`ForbiddenCall` inside a ``with`` block.

    Args:
        targets: dotted import paths of functions, methods or classes
            (``"minillm.tokenizer.BPETokenizer.train"``, ``"torch.nn.functional.softmax"``).
        reason: optional hint appended to the error (what to do instead).

    Raises:
        TypeError / ValueError: at once, when a target is not a string or does not resolve.
    """
    return Forbid(tuple(targets), reason)
