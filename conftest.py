"""Repo-wide pytest hooks: print the wall time of every notebook that nbval runs."""

from __future__ import annotations

import time
from collections import defaultdict

import pytest

_notebook_seconds: dict[str, float] = defaultdict(float)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):  # noqa: ARG001
    start = time.perf_counter()
    yield
    if str(item.path).endswith(".ipynb"):
        _notebook_seconds[item.nodeid.split("::")[0]] += time.perf_counter() - start


def pytest_terminal_summary(terminalreporter):
    if not _notebook_seconds:
        return
    terminalreporter.section("notebook wall times")
    for name, seconds in sorted(_notebook_seconds.items()):
        flag = "  (over the 3-minute budget)" if seconds > 180 else ""
        terminalreporter.write_line(f"{seconds:7.1f} s  {name}{flag}")
    terminalreporter.write_line(f"{sum(_notebook_seconds.values()):7.1f} s  all notebooks")
