"""Course tooling: in-notebook checks, exercise release and autograding.

- :func:`check` / :func:`check_close`: friendly pass/fail checks for learners' functions.
- :mod:`minillm.course.release`: generate ``exercises/`` from ``solutions/`` (``minillm release``).
- :mod:`minillm.course.grade`: execute notebooks headless and score them (``minillm grade``).

Nothing here imports torch or the kernels: the tooling works on any notebook.
"""

from minillm.course.check import CheckFailed, check, check_close

__all__ = ["CheckFailed", "check", "check_close"]
