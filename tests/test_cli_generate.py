"""minillm generate: the text it prints is the library's generation decoded, it arrives token by
token, and bad flags are refused with exit code 2 and an error naming the value."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest
import torch

from minillm.cli import generate as cli
from minillm.cli import main
from minillm.corpus import EOT
from minillm.inference import SamplingParams, generate
from minillm.model import Transformer
from minillm.pretrained import load_course_model

generation = importlib.import_module("minillm.inference.generate")  # the module, not the function
FAST = ["--threads", "1"]  # batch-1 decoding on a shared 2-core machine: 1 thread is fastest


@pytest.fixture(autouse=True)
def _one_torch_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)  # the library runs here too; --threads 1 sets it for the CLI
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def course():
    return load_course_model()


def library_text(model, tok, prompt, n, sampling, seed=None, stops=None):
    """What the CLI should print: the library's new tokens decoded, without the end-of-text
    token, cut before a stop string, plus the final newline."""
    eot = tok.special_tokens[EOT]
    ids = torch.tensor([tok.encode(prompt, allowed_special="all")])
    out = generate(model, ids, n, sampling=sampling, eos_token_id=eot, seed=seed,
                   stop_strings=stops, tokenizer=tok)  # fmt: skip
    new = [t for t in out.new_tokens[0] if t != eot]
    text = tok.decode(new)
    for s in stops or ():
        text = text.split(s)[0]
    return text + "\n", out


def test_greedy_output_is_the_library_greedy_generate_decoded(course, capsys):
    model, tok = course
    want, out = library_text(model, tok, "Once upon a time", 12, SamplingParams(greedy=True))
    assert len(out.new_tokens[0]) == 12  # no early end-of-text: 12 tokens of story
    assert main(["generate", "Once upon a time", "--greedy", "--max-new-tokens", "12", *FAST]) == 0
    got = capsys.readouterr()
    assert got.out == want and got.err == ""


def test_sampling_flags_reach_the_library(course, capsys):
    model, tok = course
    params = SamplingParams(False, 0.7, 20, 0.9, 0.05, 1.2)
    want, _ = library_text(model, tok, "Tom went", 10, params, seed=3)
    flags = ["--temperature", "0.7", "--top-k", "20", "--top-p", "0.9", "--min-p", "0.05",
             "--repetition-penalty", "1.2", "--seed", "3", "--max-new-tokens", "10"]  # fmt: skip
    assert main(["generate", "Tom went", *flags, *FAST]) == 0
    assert capsys.readouterr().out == want
    other, _ = library_text(model, tok, "Tom went", 10, params, seed=4)
    assert other != want  # the seed matters, so the equality above is not a coincidence


def test_stop_string_ends_the_text_before_it(course, capsys):
    model, tok = course
    prompt = "Question: What is 3 + 4?\nAnswer:"
    want, out = library_text(model, tok, prompt, 20, SamplingParams(greedy=True), stops=["\n"])
    assert out.finish_reasons == ["stop"]
    assert main(["generate", prompt, "--greedy", "--max-new-tokens", "20", "--stop", "\\n",
                 "--stats", *FAST]) == 0  # fmt: skip
    got = capsys.readouterr()
    assert got.out == want and "\n" not in got.out[:-1]
    assert "time to first token" in got.err and "tokens/s" in got.err
    assert "finished by stop" in got.err


def test_stdin_prompt_in_a_subprocess(course):
    model, tok = course
    want, _ = library_text(model, tok, "Once upon a time", 6, SamplingParams(greedy=True))
    cmd = [sys.executable, "-m", "minillm", "generate", "--greedy", "--max-new-tokens", "6", *FAST]
    run = subprocess.run(cmd, input="Once upon a time\n", capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout == want  # the trailing newline of stdin was dropped


def test_text_is_written_token_by_token_while_generating(course, monkeypatch, capsys):
    """Every write is recorded with the number of decode steps run so far: streamed text
    arrives between the steps, not all at the end."""
    steps, pieces = [0], []
    real = generation.decode_step

    def counting_decode_step(*args, **kwargs):
        steps[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(generation, "decode_step", counting_decode_step)
    monkeypatch.setattr(cli, "write_out", lambda text: pieces.append((steps[0], text)))
    assert main(["generate", "Once upon a time", "--greedy", "--max-new-tokens", "8", *FAST]) == 0
    assert capsys.readouterr().out == ""  # everything went through write_out
    assert steps[0] == 7  # 8 tokens: prefill gives the first, 7 decode steps the rest
    assert [s for s, _ in pieces[:-1]] == list(range(8))  # one piece per token, as made
    assert pieces[-1] == (7, "\n")
    model, tok = course
    want, _ = library_text(model, tok, "Once upon a time", 8, SamplingParams(greedy=True))
    assert "".join(t for _, t in pieces) == want


def byte_ids(tok, text: str) -> list[int]:
    """One token per byte (the 256 single-byte tokens), so characters are split."""
    return [tok.ranks[bytes([b])] for b in text.encode("utf-8")]


def test_stream_prints_only_complete_utf8_characters(course):
    _, tok = course
    text = "héllo 🙂 wörld"
    pieces: list[str] = []
    stream = cli.TextStream(tok, pieces.append)
    for i in byte_ids(tok, text):
        stream.push(i)
    stream.close()
    assert "".join(pieces) == text
    assert "🙂" in pieces and "é" in pieces  # each written whole, once its last byte came
    assert all("\ufffd" not in p for p in pieces)


def test_stream_holds_back_a_possible_stop_string_and_cuts_at_it(course):
    _, tok = course
    pieces: list[str] = []
    stream = cli.TextStream(tok, pieces.append, stop_strings=["END"])
    for i in byte_ids(tok, "a ENd b EN"):
        stream.push(i)
    assert "".join(pieces) == "a ENd b "  # "EN" may still become "END": held back
    for i in byte_ids(tok, "D tail"):
        stream.push(i)
    stream.close()
    assert "".join(pieces) == "a ENd b " and stream.stopped


def test_stream_stops_at_eos_without_printing_it(course):
    _, tok = course
    eot = tok.special_tokens[EOT]
    pieces: list[str] = []
    stream = cli.TextStream(tok, pieces.append, stop_ids=[eot])
    for i in [*tok.encode("Hi."), eot, *tok.encode(" more")]:
        stream.push(i)
    stream.close()
    assert "".join(pieces) == "Hi."


def test_model_path_folder_and_safetensors_file(course, tmp_path, capsys):
    _, tok = course
    torch.manual_seed(0)
    tiny = Transformer(
        course[0].config.replace(d_model=32, n_layers=1, n_heads=2, n_kv_heads=1, d_ff=64)
    ).eval()
    tiny.save(tmp_path / "model.safetensors")
    tok.save(tmp_path / "tokenizer.txt")
    ids = torch.tensor([tok.encode("Hello")])
    out = generate(tiny, ids, 5, sampling=SamplingParams(greedy=True))
    want = tok.decode([t for t in out.new_tokens[0] if t != tok.special_tokens[EOT]]) + "\n"
    for spec in (tmp_path, tmp_path / "model.safetensors"):
        assert main(["generate", "Hello", "--model", str(spec), "--greedy",
                     "--max-new-tokens", "5", "--ignore-eos", *FAST]) == 0  # fmt: skip
        assert capsys.readouterr().out == want
    (tmp_path / "tokenizer.txt").unlink()
    assert main(["generate", "Hello", "--model", str(tmp_path / "model.safetensors")]) == 2
    assert "pass --tokenizer PATH" in capsys.readouterr().err


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--temperature", "0"], "--temperature 0.0 is not valid: it must be > 0"),
        (["--top-k", "0"], "--top-k 0 is not valid"),
        (["--top-p", "1.5"], "--top-p 1.5 is not valid: it must be in (0, 1]"),
        (["--min-p", "-0.1"], "--min-p -0.1 is not valid"),
        (["--repetition-penalty", "0"], "--repetition-penalty 0.0 is not valid"),
        (["--max-new-tokens", "0"], "--max-new-tokens 0 is not valid"),
        (["--seed", "-1"], "--seed -1 is not valid"),
        (["--speculative", "ngram", "-k", "0"], "-k 0 is not valid"),
        (["-k", "3"], "-k 3 needs --speculative"),
        (["--draft-model", "d/"], "--draft-model 'd/' needs --speculative draft"),
        (["--greedy", "--temperature", "0.5"], "--greedy takes the likeliest token; --temperature"),
        (["--stop", ""], "--stop '' is empty"),
        (["--stop", "\\x"], "--stop '\\\\x': a bad backslash escape"),
        (["--model", "/no/such/model"], "--model '/no/such/model': no such folder"),
        (
            ["--max-new-tokens", "300"],
            "--max-new-tokens 300 does not fit the model's window of 256",
        ),
    ],
)
def test_bad_flags_exit_2_naming_the_value(flags, message, capsys):
    assert main(["generate", "Hello", *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err, err


def test_bad_choice_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["generate", "Hello", "--speculative", "oracle"])
    assert exit_.value.code == 2 and "invalid choice: 'oracle'" in capsys.readouterr().err


def test_prompt_too_long_names_the_numbers_and_truncate_keeps_its_end(course, capsys):
    model, tok = course
    prompt = "Once upon a time there was a cat. " * 40
    n = len(tok.encode(prompt))
    assert n > 256
    assert main(["generate", prompt, "--greedy", "--max-new-tokens", "4"]) == 2
    err = capsys.readouterr().err
    assert f"the prompt is {n} tokens; with --max-new-tokens 4 that is {n + 4}" in err
    assert "window of 256" in err and "--truncate" in err
    assert main(["generate", prompt, "--greedy", "--max-new-tokens", "4", "--truncate",
                 *FAST]) == 0  # fmt: skip
    kept = torch.tensor([tok.encode(prompt)[-252:]])
    out = generate(model, kept, 4, sampling=SamplingParams(greedy=True))
    assert capsys.readouterr().out == tok.decode(out.new_tokens[0]) + "\n"


def test_empty_prompt_is_an_error(monkeypatch, capsys):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert main(["generate"]) == 2
    assert "the prompt is empty" in capsys.readouterr().err


@pytest.mark.parametrize("how", [["--speculative", "ngram"], ["--speculative", "draft", "-k", "3"]])
def test_speculative_greedy_prints_the_plain_greedy_text(course, how, capsys):
    model, tok = course
    want, _ = library_text(model, tok, "Once upon a time", 16, SamplingParams(greedy=True))
    argv = ["generate", "Once upon a time", "--greedy", "--max-new-tokens", "16", "--stats"]
    assert main([*argv, *how, *FAST]) == 0
    got = capsys.readouterr()
    assert got.out == want
    assert f"speculative {how[1]} k={how[3] if len(how) > 2 else cli.DEFAULT_K}" in got.err
    assert "of draft tokens accepted" in got.err


def test_speculative_draft_model_path_and_stop_string(course, capsys):
    """--draft-model takes a folder; a stop string ends speculative decoding (which has no
    stop strings of its own) with the text before it."""
    from minillm.pretrained import DRAFT_MODEL_DIR

    model, tok = course
    prompt = "Question: What is 3 + 4?\nAnswer:"
    want, _ = library_text(model, tok, prompt, 20, SamplingParams(greedy=True), stops=["\n"])
    argv = ["generate", prompt, "--greedy", "--max-new-tokens", "20", "--stop", "\\n", "--stats"]
    spec = ["--speculative", "draft", "--draft-model", str(DRAFT_MODEL_DIR)]
    assert main([*argv, *spec, *FAST]) == 0
    got = capsys.readouterr()
    assert got.out == want and "finished by stop" in got.err


def test_speculative_sampling_is_seeded(capsys):
    argv = ["generate", "Tom went", "--temperature", "0.9", "--max-new-tokens", "12",
            "--speculative", "draft", *FAST]  # fmt: skip
    outs = []
    for seed in ("1", "1", "2"):
        assert main([*argv, "--seed", seed]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1] != outs[2]


def test_a_draft_with_another_tokenizer_is_refused(course, tmp_path, capsys):
    from minillm.tokenizer import BPETokenizer

    tok = BPETokenizer().train("the cat sat on the mat. " * 20, 260, [EOT], verbose=False)
    torch.manual_seed(0)
    cfg = course[0].config.replace(vocab_size=260, d_model=32, n_layers=1, n_heads=2,
                                   n_kv_heads=1, d_ff=64)  # fmt: skip
    Transformer(cfg).save(tmp_path / "model.safetensors")
    tok.save(tmp_path / "tokenizer.txt")
    argv = ["generate", "Hello", "--speculative", "draft", "--draft-model", str(tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"--draft-model {str(tmp_path)!r} has another tokenizer than the model" in err
    assert f"({tok.vocab_size} and 4096 token ids)" in err


@pytest.mark.parametrize("device", ["toaster", "cuda"])
def test_bad_device_is_named(device, capsys):
    if device == "cuda" and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert main(["generate", "Hello", "--device", device]) == 2
    assert f"--device {device!r}" in capsys.readouterr().err
