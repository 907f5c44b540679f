"""Generation speed of the course model: minillm (KV cache, no cache, speculative) vs Hugging Face.

Greedy decoding, batch 1, 8 and 32, 128 new tokens after 32-token prompts: the first 32 tokens
of the first B stories of a held-out corpus (`iter_stories(seed=987654)`, a seed no recipe
trained on), so every row is a real prompt and no row is padded. Contestants, all on the same
weights and the same threads:

  * minillm: `minillm.inference.generate` (StaticKVCache; one prefill, then decode steps);
  * minillm-nocache: `Transformer.generate(use_cache=False)`, lesson 04's loop (reruns the
    window for every token); slow, so at batch >= --slow-batch it runs only --slow-repeats
    repeats (the output says so); its time to first token is a separate 1-token run;
  * hf: `LlamaForCausalLM.generate` of `minillm.interop.to_hf(model)`, use_cache=True,
    do_sample=False, min_new_tokens = max_new_tokens (and no eos for either) so lengths match;
  * minillm-compiled (with --compile): `generate(compile=True)`, torch.compile'd decode steps;
  * spec-draft, spec-ngram (batch 1): `speculative_generate` with the committed draft model
    or prompt lookup, k = --k draft tokens per step.

Runs are interleaved: every repeat runs every (batch, contestant) once, in a new shuffled
order, so the load of a shared machine hits all alike. Reported: medians of tokens/s (new
tokens / wall time, prefill included) and of time to first token (TTFT, call to first token),
and speed-ups as the median of the paired per-repeat ratios (both timed in the same repeat)
with a bootstrap 90% interval of that median (`bench_train.bootstrap_median_interval`).
The targets of issue 13 are printed beside them with PASS/MISS by the median. Token checks:
minillm's cached greedy tokens must equal HF's, the no-cache loop's and the speculative ones,
run by run (a mismatch is printed loudly). Then where a decode step's time goes
(torch.profiler: matmuls, attention, other ops, and the Python/framework time outside any op)
and its gap to the roofline (`minillm.inference.roofline`: this machine's measured bandwidth
and matmul peak).

    python benchmarks/bench_generate.py                       # ~5 min on 2 idle cores
    python benchmarks/bench_generate.py --repeats 9 --json out.json
    python benchmarks/bench_generate.py --quick               # seconds: tiny sizes (tests)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_train import bootstrap_median_interval  # noqa: E402

from minillm.corpus import iter_stories  # noqa: E402
from minillm.inference import SamplingParams, StaticKVCache, decode_step, generate, prefill  # noqa: E402
from minillm.inference.kv_table import decode_step_cost  # noqa: E402
from minillm.inference.roofline import measure_bandwidth, measure_matmul_flops, roofline_time  # noqa: E402
from minillm.pretrained import load_course_model  # noqa: E402

HELD_OUT_SEED = 987_654
GREEDY = SamplingParams(greedy=True)
SPECULATIVE = ("spec-draft", "spec-ngram")
TARGETS = [  # (what, numerator key, target, aim) from issue 13
    ("batch 1: minillm vs HF", "b1/minillm/vs_hf", 3.0, 5.0),
    ("batch 32: minillm vs HF", "b32/minillm/vs_hf", 1.5, None),
    ("speculative (draft) vs cached, b1", "b1/spec-draft/vs_cached", 1.3, None),
    ("speculative (ngram) vs cached, b1", "b1/spec-ngram/vs_cached", 1.3, None),
    ("batch 1: compiled vs HF", "b1/minillm-compiled/vs_hf", 3.0, 5.0),  # with --compile
    ("batch 32: compiled vs HF", "b32/minillm-compiled/vs_hf", 1.5, None),
]


def held_out_prompts(tokenizer, rows: int, prompt_len: int) -> torch.Tensor:
    """(rows, prompt_len): the first prompt_len tokens of the first `rows` long-enough stories."""
    out = []
    for story in iter_stories(HELD_OUT_SEED):
        ids = tokenizer.encode(story)
        if len(ids) >= prompt_len:
            out.append(ids[:prompt_len])
        if len(out) == rows:
            return torch.tensor(out)
    raise AssertionError("unreachable: the story stream is endless")


class FirstToken:
    """A Hugging Face streamer that notes when the first new token arrives (put #1 is the
    prompt, put #2 the first token)."""

    def __init__(self) -> None:
        self.puts, self.time = 0, None

    def put(self, value) -> None:
        self.puts += 1
        if self.puts == 2:
            self.time = time.perf_counter()

    def end(self) -> None:
        pass


def make_runners(model, hf, draft, k: int, compile: bool = False):
    """name -> run(ids, n) -> (seconds, ttft seconds, new tokens (B, n), extra dict)."""

    def cached(compiled: bool):
        def run(ids, n):
            first = []
            start = time.perf_counter()
            out = generate(model, ids, n, sampling=GREEDY, compile=compiled,
                           streamer=lambda i, t: first or first.append(time.perf_counter()))  # fmt: skip
            return time.perf_counter() - start, first[0] - start, out.sequences[:, ids.shape[1] :], {}  # fmt: skip

        return run

    def nocache(ids, n):
        start = time.perf_counter()
        model.generate(ids, 1, greedy=True, use_cache=False)
        ttft = time.perf_counter() - start
        start = time.perf_counter()
        seq = model.generate(ids, n, greedy=True, use_cache=False)
        return time.perf_counter() - start, ttft, seq[:, ids.shape[1] :], {}

    def hf_generate(ids, n):
        streamer = FirstToken()
        start = time.perf_counter()
        seq = hf.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=n,
                          min_new_tokens=n, do_sample=False, use_cache=True, pad_token_id=0,
                          streamer=streamer)  # fmt: skip
        return time.perf_counter() - start, streamer.time - start, seq[:, ids.shape[1] :], {}

    def speculative(drafter):
        from minillm.inference.speculative import speculative_generate

        def run(ids, n):
            first = []
            start = time.perf_counter()
            out = speculative_generate(model, drafter, ids, n, k=k, sampling=GREEDY,
                                       streamer=lambda i, t: first or first.append(time.perf_counter()))  # fmt: skip
            extra = {"acceptance": out.acceptance_rate, "tokens_per_step": out.tokens_per_step}
            return time.perf_counter() - start, first[0] - start, out.sequences[:, ids.shape[1] :], extra  # fmt: skip

        return run

    runners = {"minillm": cached(False), "minillm-nocache": nocache, "hf": hf_generate,
               "spec-ngram": speculative("ngram")}  # fmt: skip
    if compile:
        runners["minillm-compiled"] = cached(True)
    if draft is not None:
        runners["spec-draft"] = speculative(draft)
    return runners


def paired(num: list[float], den: list[float]) -> dict:
    """Speed-up num_time / den_time per repeat (zip: the shorter list's repeats)."""
    ratios = [a / b for a, b in zip(num, den)]
    lo, hi = bootstrap_median_interval(ratios) if len(ratios) > 1 else (ratios[0], ratios[0])
    return {"median": statistics.median(ratios), "interval_90": [lo, hi], "n": len(ratios)}


def compare(name: str, a: torch.Tensor, b: torch.Tensor) -> dict:
    """Token equality of two (B, n) outputs; names the first differing row and position."""
    check = {"check": name, "equal": a.shape == b.shape and torch.equal(a, b)}
    if not check["equal"]:
        if a.shape != b.shape:
            check["detail"] = f"shapes {tuple(a.shape)} vs {tuple(b.shape)}"
        else:
            r, p = (a != b).nonzero()[0].tolist()
            check["detail"] = f"row {r} position {p}: {int(a[r, p])} vs {int(b[r, p])}"
    return check


def profile_decode(model, prompts: torch.Tensor, context: int, steps: int, rows: int = 10):
    """Where one decode step's time goes at context `context`, batch prompts.shape[0]:
    (milliseconds: wall (unprofiled), then of a profiled step: matmul, attention, other ops,
    outside ops; the top-ops table of the `steps` profiled steps)."""
    from torch.profiler import ProfilerActivity, profile

    b, t = prompts.shape
    cache = StaticKVCache.for_model(model, b, context + 1)
    with torch.no_grad():
        logits = prefill(model, prompts, cache)
        while cache.seq_len(0) < context:  # greedy tokens up to the context length
            logits = decode_step(model, logits.argmax(-1, keepdim=True), cache)
        tok = logits.argmax(-1, keepdim=True)

        def one_step():
            decode_step(model, tok, cache).argmax(-1)
            cache.crop(context)

        one_step()
        start = time.perf_counter()
        for _ in range(steps):
            one_step()
        wall = (time.perf_counter() - start) / steps * 1e3
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            start = time.perf_counter()
            for _ in range(steps):
                one_step()
            profiled = (time.perf_counter() - start) / steps * 1e3
    ms = {"matmul": 0.0, "attention": 0.0, "other ops": 0.0}
    events = prof.key_averages()
    for e in events:
        kind = "matmul" if e.key in ("aten::mm", "aten::addmm", "aten::bmm") else "other ops"
        kind = "attention" if "scaled_dot_product" in e.key else kind
        ms[kind] += e.self_cpu_time_total / 1e3 / steps
    # under the profiler (which slows every op a little): the time no op accounts for
    ms["outside ops (Python)"] = max(0.0, profiled - sum(ms.values()))
    return {"wall": wall, **ms}, events.table(sort_by="self_cpu_time_total", row_limit=rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-sizes", default="1,8,32", help="comma-separated (default 1,8,32)")
    p.add_argument("--prompt-len", type=int, default=32)
    p.add_argument("--new-tokens", type=int, default=128)
    p.add_argument("--repeats", type=int, default=5, help="interleaved repeats (default 5)")
    p.add_argument("--slow-batch", type=int, default=32,
                   help="at this batch and above minillm-nocache runs only --slow-repeats repeats")  # fmt: skip
    p.add_argument("--slow-repeats", type=int, default=2)
    p.add_argument("--k", type=int, default=4, help="speculative draft tokens per step")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--compile", action="store_true",
                   help="also time generate(compile=True) (torch.compile'd decode steps; the "
                        "warm-up compiles one graph per batch size)")  # fmt: skip
    p.add_argument("--quick", action="store_true", help="tiny sizes, for a test (seconds)")
    p.add_argument("--json", default=None, help="write the figures to this file")
    args = p.parse_args(argv)
    if args.quick:
        args.batch_sizes, args.prompt_len, args.new_tokens = "1,2", 8, 8
        args.repeats, args.slow_batch, args.slow_repeats = 2, 2, 1
    batches = [int(b) for b in args.batch_sizes.split(",")]
    torch.set_num_threads(args.threads)
    from minillm.interop import to_hf

    model, tok = load_course_model()
    hf = to_hf(model, attn_implementation="sdpa").eval()
    hf.generation_config.eos_token_id = None  # eos disabled for both: every row makes n tokens
    hf.generation_config.pad_token_id = 0
    draft, notes = None, []
    try:
        from minillm.pretrained import load_draft_model

        draft = load_draft_model()[0]
    except (ImportError, ValueError, OSError) as e:
        notes.append(f"spec-draft not run: no draft model ({e})")
    runners = make_runners(model, hf, draft, args.k, args.compile)
    prompts = held_out_prompts(tok, max(batches), args.prompt_len)
    jobs = [(b, name) for b in batches for name in runners
            if b == 1 or name not in SPECULATIVE]  # fmt: skip
    load_before = os.getloadavg()
    with torch.no_grad():
        for b, name in jobs:  # warm-up: allocator, oneDNN primitives, HF's first-call setup
            # the compiled step's graph is specialised to the cache length: warm it at full size
            runners[name](prompts[:b], args.new_tokens if name == "minillm-compiled" else 2)
        times = {j: [] for j in jobs}
        ttfts = {j: [] for j in jobs}
        extras, outputs, checks = {j: [] for j in jobs}, {}, []
        for r in range(args.repeats):
            order = list(jobs)
            random.Random(r).shuffle(order)
            for b, name in order:
                if name == "minillm-nocache" and b >= args.slow_batch and r >= args.slow_repeats:
                    continue
                sec, ttft, new, extra = runners[name](prompts[:b], args.new_tokens)
                times[b, name].append(sec)
                ttfts[b, name].append(ttft)
                extras[b, name].append(extra)
                if (b, name) in outputs and not torch.equal(outputs[b, name], new):
                    checks.append(compare(f"{name} repeat {r} == its repeat 0, batch {b}",
                                          outputs[b, name], new))  # fmt: skip
                outputs.setdefault((b, name), new)
    load_after = os.getloadavg()
    for b, name in jobs:
        if name != "minillm":
            checks.append(compare(f"{name} == minillm, batch {b}", outputs[b, "minillm"],
                                  outputs[b, name]))  # fmt: skip

    res = {"model": model.config.to_dict(), "threads": args.threads, "repeats": args.repeats,
           "prompt_len": args.prompt_len, "new_tokens": args.new_tokens, "k": args.k,
           "prompts": f"first {args.prompt_len} tokens of held-out stories, seed {HELD_OUT_SEED}",
           "torch": torch.__version__, "machine": platform.processor() or platform.machine(),
           "load_avg_before": load_before, "load_avg_after": load_after, "notes": notes,
           "runs": {}, "token_checks": checks}  # fmt: skip
    for b, name in jobs:
        ts, n_tok = times[b, name], b * args.new_tokens
        row = {"batch": b, "contestant": name, "repeats": len(ts), "seconds_median": statistics.median(ts),
               "tokens_per_s_median": n_tok / statistics.median(ts),
               "ttft_ms_median": statistics.median(ttfts[b, name]) * 1e3}  # fmt: skip
        if name != "hf":
            row["vs_hf"] = paired(times[b, "hf"], ts)
        if name in SPECULATIVE:
            row["vs_cached"] = paired(times[b, "minillm"], ts)
            row["acceptance"] = statistics.mean(e["acceptance"] for e in extras[b, name])
            row["tokens_per_step"] = statistics.mean(e["tokens_per_step"] for e in extras[b, name])
        if name == "minillm-nocache":
            row["cache_speedup"] = paired(ts, times[b, "minillm"])
        res["runs"][f"b{b}/{name}"] = row

    print(f"course model {model.config.n_layers}L d{model.config.d_model} "
          f"V{model.config.vocab_size}, greedy, prompts {args.prompt_len} tokens ({res['prompts']}), "
          f"{args.new_tokens} new tokens, {args.threads} threads, {args.repeats} interleaved repeats; "
          f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")  # fmt: skip
    for note in notes:
        print(f"note: {note}")
    print(f"{'batch':>5} {'contestant':<16}{'tokens/s':>10}{'TTFT ms':>9}{'runs':>5}"
          f"  {'vs HF: paired median [90% bootstrap]':<38}other")  # fmt: skip
    for row in res["runs"].values():
        vs = row.get("vs_hf")
        vs_text = f"{vs['median']:.2f}x [{vs['interval_90'][0]:.2f}x, {vs['interval_90'][1]:.2f}x]" if vs else "1 (the baseline)"  # fmt: skip
        other = ""
        if "vs_cached" in row:
            c = row["vs_cached"]
            other = (f"{c['median']:.2f}x [{c['interval_90'][0]:.2f}x, {c['interval_90'][1]:.2f}x] "
                     f"vs cached; acceptance {row['acceptance']:.0%}, "
                     f"{row['tokens_per_step']:.2f} tokens/forward")  # fmt: skip
        if "cache_speedup" in row:
            other = f"the cache is {row['cache_speedup']['median']:.1f}x faster"
            if row["repeats"] < args.repeats:
                other += f" (only {row['repeats']} of {args.repeats} repeats: slow)"
        print(f"{row['batch']:>5} {row['contestant']:<16}{row['tokens_per_s_median']:>10.1f}"
              f"{row['ttft_ms_median']:>9.1f}{row['repeats']:>5}  {vs_text:<38}{other}")  # fmt: skip
    print("tokens/s: B x new tokens / wall time (prefill included), median; TTFT: call to first "
          "token. vs HF = HF time / ours, per repeat; vs cached = minillm time / speculative")  # fmt: skip

    print("\ntargets (issue 13), judged by the paired median:")
    res["targets"] = []
    for what, key, target, aim in TARGETS:
        b, name, field = key.split("/")
        row = res["runs"].get(f"{b}/{name}")
        if row is None and "compiled" in name and not args.compile:
            continue
        if row is None:
            print(f"  {what:<36} >= {target}x: not measured in this run")
            continue
        m, (lo, hi) = row[field]["median"], row[field]["interval_90"]
        verdict = "PASS" if m >= target else "MISS"
        line = f"  {what:<36} >= {target}x: {m:.2f}x [{lo:.2f}x, {hi:.2f}x] {verdict}"
        if lo < target <= hi:
            line += " (the interval straddles the target)"
        if aim is not None:
            line += f"; aim {aim}x: {'PASS' if m >= aim else 'MISS'}"
        print(line)
        res["targets"].append({"what": what, "target": target, "aim": aim, "median": m,
                               "interval_90": [lo, hi], "verdict": verdict})  # fmt: skip

    bad = [c for c in checks if not c["equal"]]
    print(f"\ntoken checks: {len(checks) - len(bad)} of {len(checks)} equal "
          f"(greedy outputs against minillm's cached ones, and each run against its first)")  # fmt: skip
    for c in bad:
        print(f"!!! TOKEN MISMATCH: {c['check']}: {c['detail']} !!!")

    context = args.prompt_len + args.new_tokens // 2
    cost1 = decode_step_cost(model.config, 1, context)
    limit = 0.5 if args.quick else 3.0
    bw = measure_bandwidth(nbytes=cost1["bytes"] // 4 * 4, max_seconds=limit)
    peak = measure_matmul_flops(n=256 if args.quick else 1024, max_seconds=limit)
    print(f"\none minillm decode step at context {context} (wall: the step and its argmax, mean of "
          f"5; by kind: self CPU time of 5 profiled steps)\nroofline: {bw.median:.1f} GB/s read "
          f"(a {cost1['bytes'] / 2**20:.1f} MiB tensor, the bytes of a batch-1 step), "
          f"{peak.median:.1f} GFLOP/s fp32 matmul")  # fmt: skip
    res["profile"] = {
        "context": context,
        "bandwidth_gb_s": bw.median,
        "matmul_gflop_s": peak.median,
    }
    for b in batches:
        ms, table = profile_decode(model, prompts[:b], context, steps=5)
        cost = decode_step_cost(model.config, b, context)
        floor = roofline_time(cost["flops"], cost["bytes"], peak.si, bw.si) * 1e3
        parts = ", ".join(f"{k} {v:.2f}" for k, v in ms.items() if k != "wall")
        print(f"  batch {b:>2}: {ms['wall']:.2f} ms per step ({parts}); roofline floor "
              f"{floor:.3f} ms, {ms['wall'] / floor:.0f}x above it")  # fmt: skip
        res["profile"][f"b{b}"] = {"ms": ms, "roofline_floor_ms": floor, "table": table}
        table0 = res["profile"][f"b{batches[0]}"]["table"]
    print(f"\ntop ops of 5 decode steps at batch {batches[0]} by self CPU time:\n{table0}")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2))
        print(f"wrote {args.json}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
