"""`minillm.course.forbid`: forbidden calls raise through any alias, and everything comes back."""

from __future__ import annotations

import math
import sys
import textwrap
import threading

import pytest
import torch
from torch import softmax as c_alias  # a builtin aliased at module level, as a notebook does

from minillm.course import CheckFailed, ForbiddenCall, check, forbid

DEMO = """
import math

def helper(x):
    return x + 1

def make_counter():
    count = 0
    def bump():
        nonlocal count
        count += 1
        return count
    return bump

bump = make_counter()

class Box:
    def __init__(self, value):
        self.value = value
    def doubled(self):
        return 2 * self.value
    @staticmethod
    def unit():
        return 1
    @classmethod
    def make(cls, value):
        return cls(value)

class Plain(dict):
    pass

class Child(Box):
    def doubled(self):
        return super().doubled() + 0

sqrt = math.sqrt
"""


@pytest.fixture
def demo(tmp_path, monkeypatch):
    """An importable module of plain functions, closures, classes and a builtin alias."""
    (tmp_path / "forbid_demo.py").write_text(textwrap.dedent(DEMO), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("forbid_demo", None)
    import forbid_demo

    yield forbid_demo
    sys.modules.pop("forbid_demo", None)


def test_function_raises_through_aliases_and_is_restored(demo):
    from forbid_demo import helper as my_alias  # taken before the block

    with forbid("forbid_demo.helper") as guard:
        with pytest.raises(ForbiddenCall, match="implement this yourself: forbid_demo.helper"):
            my_alias(1)
        with pytest.raises(ForbiddenCall):
            demo.helper(1)
    assert guard.attempts == ["forbid_demo.helper", "forbid_demo.helper"]
    assert my_alias(1) == demo.helper(1) == 2


def test_closure_function_keeps_its_state(demo):
    assert demo.bump() == 1
    bump = demo.bump  # its code has a free variable (count): the swap must keep the closure
    with forbid("forbid_demo.bump"), pytest.raises(ForbiddenCall):
        bump()
    assert bump() == 2  # the closure cell survived the swap


def test_methods_static_and_class_methods(demo):
    box = demo.Box(3)
    bound = box.doubled  # a bound method held before the block
    with forbid("forbid_demo.Box.doubled", "forbid_demo.Box.unit", "forbid_demo.Box.make"):
        for call in (bound, box.doubled, demo.Box.unit, lambda: demo.Box.make(2)):
            with pytest.raises(ForbiddenCall):
                call()
        with pytest.raises(ForbiddenCall):
            demo.Child(1).doubled()  # super().doubled() reaches the forbidden method
    assert (bound(), demo.Box.unit(), demo.Box.make(2).value, demo.Child(1).doubled()) == (
        6,
        1,
        2,
        2,
    )


def test_inherited_method_is_forbidden_on_the_subclass_only(demo):
    with forbid("forbid_demo.Plain.keys"):
        with pytest.raises(ForbiddenCall):
            demo.Plain(a=1).keys()
        assert list({"a": 1}.keys()) == ["a"]  # dict itself is untouched
    assert list(demo.Plain(a=1).keys()) == ["a"] and "keys" not in vars(demo.Plain)


def test_classes_raise_when_instantiated_and_come_back(demo):
    alias = demo.Box
    with forbid("forbid_demo.Box", "forbid_demo.Plain"):
        for make in (lambda: alias(1), lambda: demo.Child(1), lambda: demo.Plain(a=1)):
            with pytest.raises(ForbiddenCall, match="is not allowed in this exercise"):
                make()
    assert alias(5).value == 5 and demo.Plain(a=1) == {"a": 1}
    assert "__init__" not in vars(demo.Plain)


def test_builtins_and_c_functions_are_replaced_in_every_module(demo):
    x = torch.randn(2, 3)
    with forbid("math.sqrt", "torch.softmax", "torch.Tensor.softmax"):
        for call in (
            lambda: math.sqrt(4.0),
            lambda: demo.sqrt(4.0),  # another module's global alias
            lambda: c_alias(x, -1),  # this module's alias
            lambda: torch.softmax(x, -1),
            lambda: x.softmax(-1),
        ):
            with pytest.raises(ForbiddenCall):
                call()
    assert math.sqrt(4.0) == demo.sqrt(4.0) == 2.0
    assert c_alias is torch.softmax and torch.allclose(x.softmax(-1), c_alias(x, -1))
    assert "softmax" not in vars(torch.Tensor)


def test_restored_after_an_exception_and_nesting(demo):
    with pytest.raises(KeyError):
        with forbid("forbid_demo.helper", "math.sqrt"):
            raise KeyError("boom")
    assert demo.helper(1) == 2 and math.sqrt(9.0) == 3.0
    with forbid("forbid_demo.helper", reason="outer"):
        with forbid("forbid_demo.helper", "math.sqrt", reason="inner"):
            with pytest.raises(ForbiddenCall, match="inner"):
                demo.helper(1)
        with pytest.raises(ForbiddenCall, match="outer"):
            demo.helper(1)
        assert math.sqrt(9.0) == 3.0
    assert demo.helper(1) == 2


def test_threads_already_running_pass_through_new_threads_are_caught(demo):
    start, results = threading.Event(), []
    done = threading.Event()

    def background():
        start.wait()
        results.append(demo.helper(1))
        done.set()

    old = threading.Thread(target=background)
    old.start()
    with forbid("forbid_demo.helper"):
        start.set()
        done.wait(10)
        caught = []

        def learner_thread():
            try:
                demo.helper(1)
            except ForbiddenCall as exc:
                caught.append(exc)

        new = threading.Thread(target=learner_thread)
        new.start()
        new.join(10)
    old.join(10)
    assert results == [2] and len(caught) == 1


@pytest.mark.parametrize(
    ("target", "error", "message"),
    [
        ("forbid_demo.nope", ValueError, "forbid_demo has no attribute 'nope'"),
        ("no_such_module_xyz.f", ValueError, "no module named 'no_such_module_xyz'"),
        ("forbid_demo", ValueError, "that is a module"),
        ("math.pi", ValueError, "is a float, not a function"),
        ("not a path", ValueError, "not a dotted import path"),
        (len, TypeError, "dotted import paths as strings"),
    ],
)
def test_bad_targets_get_a_clear_error(demo, target, error, message):
    with pytest.raises(error, match=message):
        forbid(target)


def test_immutable_builtin_types_cannot_be_patched():
    with pytest.raises(ValueError, match="cannot replace 'join'"):
        with forbid("builtins.str.join"):
            pass
    assert "-".join("ab") == "a-b"


def test_no_targets_is_an_error():
    with pytest.raises(ValueError, match="at least one dotted path"):
        forbid()


def test_check_forbid_fails_a_learner_who_calls_the_package(demo, capsys):
    def lazy(x):
        return demo.helper(x)

    def honest(x):
        return x + 1

    with pytest.raises(ForbiddenCall, match="forbid_demo.helper") as info:
        check(lazy, [1, 2], reference=demo.helper, forbid=["forbid_demo.helper"])
    assert isinstance(info.value, CheckFailed)
    assert "implement this yourself" in capsys.readouterr().out
    # The reference is the forbidden function itself: it still computes the expected values.
    check(honest, [1, 2], reference=demo.helper, forbid=["forbid_demo.helper"])
    assert demo.helper(1) == 2


def test_check_forbid_catches_a_learner_who_swallows_the_error(demo):
    def sneaky(x):
        try:
            return demo.helper(x)
        except Exception:
            return x + 1

    with pytest.raises(ForbiddenCall):
        check(sneaky, [((1,), 2)], forbid="forbid_demo.helper")


def test_check_rejects_a_bad_forbid_target_before_running(demo):
    calls = []
    with pytest.raises(ValueError, match="has no attribute"):
        check(lambda x: calls.append(x), [((1,), None)], forbid=["forbid_demo.missing"])
    assert calls == []
