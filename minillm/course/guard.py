"""Runs inside the grading kernel: undo and detect a notebook's tampering with the grader.

A student's cells run in the same process as the tests, so they can rebind what the tests
rely on: ``minillm.course.check``, ``torch.allclose``, IPython's input or AST transformers,
``post_run_cell`` callbacks that clear the error, the kernel's ``do_execute``... The grader
runs :func:`take_snapshot` before any student cell, then :func:`report` before each test cell
(restoring what the student changed) and after it (a change made while the test ran means
the student's function tampered with the test: that test scores zero).

This defends against cheap tricks, not a determined attacker with arbitrary code execution:
code that reads this module can find the snapshot. ``report`` signals through an exception
carrying a nonce the grader chose, so a notebook that stops cells from running is caught too.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.util
import json
import os
import pkgutil
import sys
import types
from typing import Any

__all__ = ["GuardReport", "report", "take_snapshot"]

# Modules whose functions a test may use; torch and numpy are imported up front (when
# installed) so they are snapshotted before any student code can touch them.
TRUSTED_MODULES = ["builtins", "math", "operator", "numpy", "numpy.testing", "torch"]
TRUSTED_MODULES += ["torch.testing", "torch.nn.functional"]
TRUSTED_PREFIXES = ("minillm.course",)
PYTHON_TOOLING = ("IPython", "ipykernel", "jupyter_client")
# Libraries that register IPython callbacks lazily (matplotlib's inline backend): not tampering.
_LIBRARIES = ("IPython", "ipykernel", "matplotlib", "matplotlib_inline", "ipywidgets", "tqdm")
# IPython swaps these builtins in and out around every cell: not the student's doing.
# The kernel swaps in its own input() for each request.
IPYTHON_BUILTINS = {"exit", "quit", "get_ipython", "display", "__IPYTHON__", "input", "raw_input"}


class GuardReport(Exception):
    """The guard's answer to the grader: ``"<nonce> <json list of what was changed>"``."""


_SNAPSHOT: dict[str, Any] = {}


def _functions_state(value: Any) -> tuple | None:
    if isinstance(value, types.FunctionType):
        return (value.__code__, value.__defaults__, value.__kwdefaults__)
    return None


def _module_state(module: types.ModuleType) -> dict[str, tuple]:
    state = {}
    for name, value in vars(module).items():
        if name in IPYTHON_BUILTINS and module is builtins:
            continue
        if callable(value):
            state[name] = (value, _functions_state(value))
    return state


def _shell_objects() -> list[Any]:
    shell = getattr(builtins, "get_ipython", lambda: None)()
    if shell is None:
        return []
    kernel = getattr(shell, "kernel", None)
    return [o for o in (shell, kernel, getattr(kernel, "session", None)) if o is not None]


def _tooling_classes(objects: list[Any]) -> list[type]:
    classes: list[type] = []
    try:
        from IPython.core.interactiveshell import ExecutionResult

        classes.append(ExecutionResult)
    except ImportError:
        pass
    for obj in objects:
        classes += [c for c in type(obj).__mro__ if c.__module__.startswith(PYTHON_TOOLING)]
    return list(dict.fromkeys(classes))


def _course_classes(modules: dict[str, types.ModuleType]) -> list[type]:
    """Classes of the course tooling itself (``Forbid``, ``CheckFailed``...)."""
    found = [
        value
        for name, module in modules.items()
        if name.startswith(TRUSTED_PREFIXES)
        for value in vars(module).values()
        if isinstance(value, type) and value.__module__.startswith(TRUSTED_PREFIXES)
    ]
    return list(dict.fromkeys(found))


def _shell_hooks(shell: Any) -> dict[str, list]:
    return {
        "input_transformers_cleanup": list(shell.input_transformers_cleanup),
        "input_transformers_post": list(shell.input_transformers_post),
        "ast_transformers": list(shell.ast_transformers),
        **{f"events.{k}": list(v) for k, v in shell.events.callbacks.items()},
    }


def take_snapshot() -> None:
    """Remember the trusted state; call once, before any student code runs."""
    for name in TRUSTED_MODULES:
        if importlib.util.find_spec(name.split(".")[0]) is not None:
            importlib.import_module(name)
    if "torch" in sys.modules:
        # Importing torch._dynamo imports Triton, which fixes its mode then: without a GPU,
        # Triton kernels can only run in the interpreter, so choose it first (as lesson 07's
        # first cell does; an explicit TRITON_INTERPRET wins).
        if not sys.modules["torch"].cuda.is_available():
            os.environ.setdefault("TRITON_INTERPRET", "1")
        # torch._dynamo rewraps torch.manual_seed when first imported (an optimizer's first
        # step does it): import it now, so that looks like no tampering later.
        importlib.import_module("torch._dynamo")
    course_package = importlib.import_module("minillm.course")
    for info in pkgutil.iter_modules(course_package.__path__):  # e.g. torch_checks, used by tests
        importlib.import_module(f"minillm.course.{info.name}")
    modules = {n: m for n, m in sys.modules.items() if n in TRUSTED_MODULES}
    modules.update({n: m for n, m in sys.modules.items() if n.startswith(TRUSTED_PREFIXES)})
    objects = _shell_objects()
    _SNAPSHOT.update(
        modules={n: (m, _module_state(m)) for n, m in modules.items()},
        classes={c: dict(vars(c)) for c in _tooling_classes(objects) + _course_classes(modules)},
        instances=[(o, {k: v for k, v in vars(o).items() if callable(v)}) for o in objects],
        hooks=_shell_hooks(objects[0]) if objects else {},
        custom_exc=(objects[0].custom_exceptions, objects[0].CustomTB) if objects else None,
        trace=sys.gettrace(),
    )


def _restore_modules(changed: list[str]) -> None:
    for name, (module, state) in _SNAPSHOT["modules"].items():
        if sys.modules.get(name) is not module:
            sys.modules[name] = module
            changed.append(f"sys.modules[{name!r}]")
        namespace = vars(module)
        for attr, (value, function_state) in state.items():
            if namespace.get(attr) is not value:
                namespace[attr] = value
                changed.append(f"{name}.{attr}")
            if function_state and _functions_state(value) != function_state:
                value.__code__, value.__defaults__, value.__kwdefaults__ = function_state
                changed.append(f"{name}.{attr}.__code__")


def _restore_classes(changed: list[str]) -> None:
    for cls, saved in _SNAPSHOT["classes"].items():
        current = vars(cls)
        for attr in [a for a in current if a not in saved]:
            delattr(cls, attr)
            changed.append(f"{cls.__qualname__}.{attr}")
        for attr, value in saved.items():
            if attr in ("__dict__", "__weakref__", "__doc__"):
                continue  # descriptors setattr cannot put back, and a harmless docstring
            if attr not in current or current[attr] is not value:
                setattr(cls, attr, value)
                changed.append(f"{cls.__qualname__}.{attr}")


def _restore_instances(changed: list[str]) -> None:
    for obj, saved in _SNAPSHOT["instances"]:
        namespace = vars(obj)
        for attr, value in list(namespace.items()):
            if callable(value) and saved.get(attr) is not value and hasattr(type(obj), attr):
                if attr in saved:
                    namespace[attr] = saved[attr]
                else:
                    del namespace[attr]
                changed.append(f"{type(obj).__name__}.{attr} (instance)")


def _restore_hooks(changed: list[str]) -> None:
    objects = _shell_objects()
    if not objects or not _SNAPSHOT["hooks"]:
        return
    shell = objects[0]
    now = _shell_hooks(shell)
    for key, saved in _SNAPSHOT["hooks"].items():
        extra = [f for f in now.get(key, []) if f not in saved]
        foreign = [f for f in extra if not getattr(f, "__module__", "").startswith(_LIBRARIES)]
        missing = [f for f in saved if f not in now.get(key, [])]
        if missing or foreign:
            kept = [f for f in extra if f not in foreign]
            _hook_list(shell, key)[:] = saved + kept
            changed.append(key)
    if (shell.custom_exceptions, shell.CustomTB) != _SNAPSHOT["custom_exc"]:
        shell.custom_exceptions, shell.CustomTB = _SNAPSHOT["custom_exc"]
        changed.append("custom exception handler")


def _hook_list(shell: Any, key: str) -> list:
    if key.startswith("events."):
        return shell.events.callbacks[key.split(".", 1)[1]]
    return getattr(shell, key)


def _restore_names(changed: list[str]) -> None:
    main = sys.modules.get("__main__")
    if main is None:
        return
    course, state = _SNAPSHOT["modules"]["minillm.course"]
    for name in course.__all__:  # check, forbid, CheckFailed...
        value = state[name][0]
        if name in vars(main) and vars(main)[name] is not value:
            vars(main)[name] = value  # a test that says `check(...)` gets the real one


def restore() -> list[str]:
    """Put the trusted state back; return what had been changed (empty when nothing)."""
    changed: list[str] = []
    if sys.gettrace() is not _SNAPSHOT["trace"]:
        sys.settrace(_SNAPSHOT["trace"])
        changed.append("sys.settrace")
    _restore_modules(changed)
    _restore_classes(changed)
    _restore_instances(changed)
    _restore_hooks(changed)
    _restore_names(changed)
    return changed


def report(nonce: str) -> None:
    """Restore, then tell the grader what was changed by raising :class:`GuardReport`."""
    raise GuardReport(f"{nonce} {json.dumps(restore())}")
