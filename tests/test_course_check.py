"""`minillm.course.check`: passes what is right, explains the first thing that is wrong."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from minillm.course import CheckFailed, check, check_close


def test_passes_and_prints_a_tick(capsys):
    check(lambda x: x + 1, [((1,), 2), ((2.5,), 3.5)], name="inc")
    assert capsys.readouterr().out.strip() == "✓ inc: all 2 cases pass"


def test_first_differing_case_is_reported(capsys):
    with pytest.raises(CheckFailed, match="case 2"):
        check(lambda x: x * 2, [((1,), 2), ((3,), 7), ((4,), 0)], name="double")
    out = capsys.readouterr().out
    assert "case 2 of 3 differs" in out and "got 6, expected 7" in out


def test_not_implemented_gets_a_friendly_message(capsys):
    def stub(x):
        raise NotImplementedError()

    with pytest.raises(CheckFailed, match="not implemented"):
        check(stub, [((1,), 1)])
    assert "replace `raise NotImplementedError()`" in capsys.readouterr().out


def test_exceptions_are_reported_with_the_case():
    with pytest.raises(CheckFailed, match="raised ZeroDivisionError"):
        check(lambda x: 1 / x, [((1,), 1.0), ((0,), 0.0)])


def test_tensors_shapes_values_and_tolerances():
    check(lambda x: x.softmax(-1), [((torch.zeros(2, 3),), torch.full((2, 3), 1 / 3))])
    with pytest.raises(CheckFailed, match=r"shape \(3,\), expected \(2, 3\)"):
        check(lambda x: x[0], [((torch.zeros(2, 3),), torch.zeros(2, 3))])
    with pytest.raises(CheckFailed, match=r"first at index \(1, 2\)"):
        check(lambda x: x, [((torch.tensor([[0.0, 0, 0], [0, 0, 1e-3]]),), torch.zeros(2, 3))])
    check(lambda x: x, [((torch.tensor([1e-3]),), torch.zeros(1))], atol=1e-2)


def test_reference_mode_and_input_mutation_cannot_fool_it():
    def sneaky(x):
        x.mul_(0)  # mutates its input: the reference must still see the original
        return x

    with pytest.raises(CheckFailed):
        check(sneaky, [(torch.ones(3),)], reference=lambda x: x * 0 + 1)
    check(lambda a, b: a @ b, [(torch.eye(2), torch.ones(2, 2))], reference=torch.matmul)


def test_numpy_dicts_and_lists():
    check(lambda: {("a", "b"): 2}, [((), {("a", "b"): 2})])
    with pytest.raises(CheckFailed, match="missing keys"):
        check(lambda: {}, [((), {1: 1})])
    with pytest.raises(CheckFailed, match=r"length 1, expected 2"):
        check(lambda: [1], [((), [1, 2])])
    check_close(np.arange(3.0), np.array([0.0, 1.0, 2.0]))
    with pytest.raises(CheckFailed, match="got a str"):
        check_close("text", torch.zeros(1))


def test_bad_usage_raises_clear_errors():
    with pytest.raises(TypeError, match="needs a function"):
        check(3, [((1,), 1)])
    with pytest.raises(ValueError, match="at least one case"):
        check(abs, [])
    with pytest.raises(ValueError, match=r"case 1 must be an \(args, expected\) pair"):
        check(abs, [(1, 2, 3)])
