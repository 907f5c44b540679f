"""The exceptions a learner sees when a check fails (kept apart so check and forbid share them)."""

from __future__ import annotations

__all__ = ["CheckFailed", "ForbiddenCall"]


class CheckFailed(AssertionError):
    """Raised by :func:`~minillm.course.check` and friends when a learner's answer is wrong."""


class ForbiddenCall(CheckFailed):
    """Raised when a learner's code calls a function the exercise asks them to write themselves.

    ``target`` is the dotted path that was called; ``reason`` the exercise's optional hint.
    """

    def __init__(self, target: str, reason: str | None = None) -> None:
        self.target, self.reason = target, reason
        message = f"implement this yourself: {target} is not allowed in this exercise"
        super().__init__(f"{message} ({reason})" if reason else message)
