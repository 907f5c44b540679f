"""benchmarks/bench_train.py on tiny shapes: it runs end to end, times all three contestants,
and its figures are consistent with what it measured (so it does not rot between the runs
that produce the closing-note numbers)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import bench_train  # noqa: E402


def test_bootstrap_interval_brackets_the_median():
    values = [1.0, 1.1, 0.9, 1.05, 0.95, 1.2, 1.0]
    lo, hi = bench_train.bootstrap_median_interval(values)
    assert lo <= sorted(values)[3] <= hi
    assert bench_train.bootstrap_median_interval(values) == (lo, hi)  # seeded


@pytest.mark.slow  # imports transformers and trains three models briefly (~15 s)
def test_tiny_run_reports_every_contestant(tmp_path, capsys):
    pytest.importorskip("transformers")
    out = tmp_path / "bench.json"
    args = ["--batch-size", "1", "--seq-len", "32", "--repeats", "3", "--threads", "1"]
    assert bench_train.main([*args, "--profile", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    for name in bench_train.CONTESTANTS:
        r = result[name]
        assert r["step_s_min"] <= r["step_s_median"]
        assert r["peak_rss_growth_mib"] > 0
        if name != "hf":
            lo, hi = r["speedup_paired_90"]
            assert lo <= r["speedup_paired_median"] <= hi
    ms = result["profile_minillm"]["ms"]
    assert ms["matmul"] > 0 and ms["attention"] > 0 and ms["forward"] > 0
    text = capsys.readouterr().out
    assert "minillm+logits" in text and "top ops by self CPU time" in text
