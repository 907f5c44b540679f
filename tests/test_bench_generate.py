"""benchmarks/bench_generate.py in --quick mode (the course model, batch 1 and 2, 8 new tokens):
it runs every contestant, its table and targets have the stated structure, and its token
checks ran and can fail (so the figures it prints between runs do not rot)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import bench_generate  # noqa: E402

pytest.importorskip("transformers")
QUICK = ["--quick", "--threads", "1"]


@pytest.fixture(autouse=True)
def _keep_torch_threads():
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


def test_quick_run_reports_every_contestant_and_checks_tokens(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert bench_generate.main([*QUICK, "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    text = capsys.readouterr().out
    assert res["new_tokens"] == 8 and res["prompt_len"] == 8
    want = {f"b{b}/{n}" for b in (1, 2) for n in ("minillm", "minillm-nocache", "hf")}
    want |= {"b1/spec-ngram", "b1/spec-draft"}
    assert set(res["runs"]) == want
    for key, row in res["runs"].items():
        assert row["tokens_per_s_median"] > 0 and row["ttft_ms_median"] > 0, key
        for ratio in ("vs_hf", "vs_cached", "cache_speedup"):
            if ratio in row:
                lo, hi = row[ratio]["interval_90"]
                assert lo <= row[ratio]["median"] <= hi, key
        assert ("vs_hf" in row) == (row["contestant"] != "hf")
    # batch 2 is the quick run's slow batch: the no-cache loop ran 1 of 2 repeats, and says so
    assert res["runs"]["b2/minillm-nocache"]["repeats"] == 1
    assert res["runs"]["b1/minillm-nocache"]["repeats"] == 2
    assert "only 1 of 2 repeats: slow" in text
    spec = res["runs"]["b1/spec-draft"]
    assert 0 <= spec["acceptance"] <= 1 and 1 <= spec["tokens_per_step"] <= 5  # k = 4
    # every contestant's greedy tokens were compared with minillm's cached ones, and all agree
    checked = {c["check"] for c in res["token_checks"]}
    assert {
        f"{n} == minillm, batch {b}" for n in ("hf", "minillm-nocache") for b in (1, 2)
    } <= checked
    assert {"spec-draft == minillm, batch 1", "spec-ngram == minillm, batch 1"} <= checked
    assert all(c["equal"] for c in res["token_checks"])
    assert f"token checks: {len(checked)} of {len(checked)} equal" in text
    assert "MISMATCH" not in text
    # the targets: measured ones get a verdict, batch 32 is not in a quick run
    verdicts = {t["what"]: t["verdict"] for t in res["targets"]}
    assert set(verdicts.values()) <= {"PASS", "MISS"} and len(verdicts) == 3
    assert "batch 32: minillm vs HF" in text and "not measured in this run" in text
    assert "aim 5.0x: " in text
    prof = res["profile"]["b1"]
    assert prof["ms"]["matmul"] > 0 and prof["ms"]["attention"] > 0
    assert prof["roofline_floor_ms"] > 0 and "aten::mm" in prof["table"]


def test_a_token_mismatch_is_printed_loudly_and_fails_the_run(monkeypatch, capsys):
    make = bench_generate.make_runners

    def corrupted(*args, **kwargs):
        runners = make(*args, **kwargs)
        hf = runners["hf"]

        def wrong(ids, n):
            sec, ttft, new, extra = hf(ids, n)
            new = new.clone()
            new[-1, -1] = (new[-1, -1] + 1) % 4096
            return sec, ttft, new, extra

        runners["hf"] = wrong
        return runners

    monkeypatch.setattr(bench_generate, "make_runners", corrupted)
    assert bench_generate.main(QUICK) == 1
    text = capsys.readouterr().out
    assert "!!! TOKEN MISMATCH: hf == minillm, batch 2: row 1 position 7" in text
    assert "!!! TOKEN MISMATCH: hf == minillm, batch 1: row 0 position 7" in text
    assert text.count("MISMATCH") == 2  # the other contestants still agree


def test_compare_names_the_first_difference():
    a = torch.tensor([[1, 2, 3], [4, 5, 6]])
    b = a.clone()
    b[1, 2] = 9
    assert bench_generate.compare("x", a, a) == {"check": "x", "equal": True}
    assert bench_generate.compare("x", a, b)["detail"] == "row 1 position 2: 6 vs 9"
    assert "shapes" in bench_generate.compare("x", a, a[:, :2])["detail"]
