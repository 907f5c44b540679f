"""Course tooling: in-notebook checks, exercise release and autograding.

- :func:`check` / :func:`check_close`: friendly pass/fail checks for learners' functions.
  ``check(fn, cases, forbid=[...])`` makes the listed package functions raise while ``fn`` runs.
- :func:`forbid`: ``with forbid("minillm.layers.moe.MoE.forward", reason=None): ...`` makes
  each named function, method or class raise :class:`ForbiddenCall` ("implement this
  yourself: ... is not allowed in this exercise") through any alias, until the block ends.
  ``ForbiddenCall`` is a :class:`CheckFailed`, so a graded cell that hits it fails.
- :mod:`minillm.course.release`: generate ``exercises/`` from ``solutions/`` (``minillm release``).
- :mod:`minillm.course.grade`: execute notebooks headless and score them (``minillm grade``).

Nothing here imports torch or the kernels: the tooling works on any notebook.
"""

from minillm.course.check import check, check_close
from minillm.course.errors import CheckFailed, ForbiddenCall
from minillm.course.forbid_calls import forbid

__all__ = ["CheckFailed", "ForbiddenCall", "check", "check_close", "forbid"]
