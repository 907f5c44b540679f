"""minillm generate: continue a prompt with a model, printing the text as it is made.

    minillm generate "Once upon a time"                    # the course model, sampled
    printf 'Question: What is 3 + 4?\\nAnswer:' | minillm generate --greedy --stop '\\n'
    minillm generate "Tom went" --temperature 0.7 --top-p 0.9 --seed 0 --stats
    minillm generate "Tom went" --greedy --speculative draft -k 4 --stats
    minillm generate "Tom went" --greedy --speculative ngram
    minillm generate "Tom went" --model my_model/          # a `minillm train --out` folder

The prompt is the argument, or stdin when there is none (or it is "-"; one trailing newline
from stdin is dropped, since echo adds it). Special-token text in the prompt (<|endoftext|>)
is read as the special token. Only the new text is printed (--echo prints the prompt first),
token by token, then a newline; a character that a byte-level token splits is printed once
its last byte has arrived. Generation ends at the tokenizer's end-of-text token (not printed;
--ignore-eos to go on), at a --stop string (not printed) or after --max-new-tokens.
--stats prints the prompt length, time to first token and tokens/s to stderr.
"""

from __future__ import annotations

import argparse
import codecs
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

HELP = "continue a prompt with a model, streaming the text (sampling, speculative decoding)"
DEFAULT_MAX_NEW_TOKENS = 128
DEFAULT_K = 4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt", nargs="?", default=None,
                        help="the text to continue (default: read stdin)")  # fmt: skip
    parser.add_argument("--model", default=None,
                        help="a model folder (model.safetensors + tokenizer.txt) or a .safetensors "
                             "file (default: the course model)")  # fmt: skip
    parser.add_argument("--tokenizer", default=None,
                        help="tokenizer.txt to use with a .safetensors --model "
                             "(default: the tokenizer.txt beside it)")  # fmt: skip
    parser.add_argument("--max-new-tokens", type=int, default=None,
                        help=f"at most this many new tokens (default {DEFAULT_MAX_NEW_TOKENS}, "
                             "or fewer to fit the model's window)")  # fmt: skip
    parser.add_argument("--greedy", action="store_true", help="always take the likeliest token")
    parser.add_argument("--temperature", type=float, default=None, help="> 0 (default 0.8)")
    parser.add_argument("--top-k", type=int, default=None, help="sample from the k likeliest")
    parser.add_argument("--top-p", type=float, default=None,
                        help="sample from the smallest set of probability >= p, in (0, 1]")  # fmt: skip
    parser.add_argument("--min-p", type=float, default=None,
                        help="drop tokens below min_p times the top probability, in [0, 1]")  # fmt: skip
    parser.add_argument("--repetition-penalty", type=float, default=1.0,
                        help="> 1 discourages tokens already in the text (default 1: none)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=None, help="make sampling reproducible")
    parser.add_argument("--stop", action="append", default=[], metavar="STRING",
                        help="stop when the new text contains STRING (repeatable; "
                             "backslash escapes such as \\n are read)")  # fmt: skip
    parser.add_argument("--ignore-eos", action="store_true",
                        help="do not stop at the end-of-text token")  # fmt: skip
    parser.add_argument("--speculative", choices=("draft", "ngram"), default=None,
                        help="speculative decoding: a draft model proposes tokens, or n-gram "
                             "prompt lookup does; the output follows the model's distribution")  # fmt: skip
    parser.add_argument("--draft-model", default=None,
                        help="draft model folder or .safetensors for --speculative draft "
                             "(default: the committed draft model)")  # fmt: skip
    parser.add_argument("-k", "--num-draft-tokens", dest="k", type=int, default=None,
                        help=f"tokens proposed per speculative step (default {DEFAULT_K})")  # fmt: skip
    parser.add_argument("--truncate", action="store_true",
                        help="keep the prompt's last tokens when it does not fit the window")  # fmt: skip
    parser.add_argument("--echo", action="store_true", help="print the prompt before the text")
    parser.add_argument("--stats", action="store_true",
                        help="print time to first token and tokens/s to stderr")  # fmt: skip
    parser.add_argument("--device", default="cpu", help="torch device (default cpu)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (1 is often fastest for batch-1 decoding)")  # fmt: skip


class CommandError(ValueError):
    """Bad input on the command line: printed as 'error: ...', exit code 2."""


def write_out(text: str) -> None:
    """Print a piece of generated text at once (tests replace this to watch the stream)."""
    sys.stdout.write(text)
    sys.stdout.flush()


class TextStream:
    """Token ids in, text out as soon as it is final.

    A byte-level BPE token can end inside a UTF-8 character, so bytes go through an incremental
    decoder that keeps an unfinished character until its last byte. Text that could be the
    start of a stop string is held back until it is not; a stop string ends the stream (it and
    anything after it are not written), and so does a token in stop_ids (not written)."""

    def __init__(
        self, tokenizer, write: Callable[[str], None], stop_strings: Sequence[str] = (),
        stop_ids: Sequence[int] = (),
    ) -> None:  # fmt: skip
        self.tokenizer, self.write = tokenizer, write
        self.stop_strings, self.stop_ids = list(stop_strings), set(stop_ids)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._held = ""
        self.text = ""  # everything written so far
        self.reason: str | None = None  # "eos" or "stop" once a stop was seen

    def push(self, token_id: int) -> None:
        if self.stopped:
            return
        if token_id in self.stop_ids:
            self._emit(self._held + self._decoder.decode(b"", final=True), final=True)
            self.reason = self.reason or "eos"
            return
        self._emit(self._held + self._decoder.decode(self.tokenizer.decode_bytes([token_id])))

    @property
    def stopped(self) -> bool:
        return self.reason is not None

    def close(self) -> None:
        if not self.stopped:
            self._emit(self._held + self._decoder.decode(b"", final=True), final=True)

    def _emit(self, pending: str, final: bool = False) -> None:
        hits = [i for i in (pending.find(s) for s in self.stop_strings) if i >= 0]
        if hits:
            out, self._held, self.reason = pending[: min(hits)], "", "stop"
        else:
            keep = 0 if final else _stop_prefix_len(pending, self.stop_strings)
            out, self._held = pending[: len(pending) - keep], pending[len(pending) - keep :]
        if out:
            self.text += out
            self.write(out)


def _stop_prefix_len(text: str, stops: Sequence[str]) -> int:
    """Length of the longest end of `text` that is the beginning of a stop string."""
    best = 0
    for s in stops:
        for n in range(min(len(s) - 1, len(text)), best, -1):
            if text.endswith(s[:n]):
                best = n
                break
    return best


def _load(spec: str | None, tokenizer_path: str | None, device: str, flag: str):
    """(model, tokenizer) from a folder (SHA256SUMS checked when it has one) or .safetensors."""
    from minillm.model import Transformer
    from minillm.pretrained import load_course_model
    from minillm.tokenizer import BPETokenizer

    path = Path(spec)
    if path.is_dir():
        if (path / "SHA256SUMS").is_file() and tokenizer_path is None:
            return load_course_model(path, device=device)
        weights, tok = path / "model.safetensors", path / "tokenizer.txt"
    elif path.is_file():
        weights, tok = path, path.with_name("tokenizer.txt")
    else:
        raise CommandError(f"{flag} {spec!r}: no such folder or .safetensors file")
    tok = Path(tokenizer_path) if tokenizer_path is not None else tok
    if not weights.is_file():
        raise CommandError(f"{flag} {spec!r}: {weights} does not exist")
    if not tok.is_file():
        raise CommandError(f"{flag} {spec!r}: no tokenizer at {tok}; pass --tokenizer PATH")
    model = Transformer.load(weights, device=device).eval()
    tokenizer = BPETokenizer.load(tok)
    if tokenizer.vocab_size != model.config.vocab_size:
        raise CommandError(
            f"{flag} {spec!r}: the tokenizer {tok} has {tokenizer.vocab_size} ids but the model "
            f"reads {model.config.vocab_size}"
        )
    return model, tokenizer


def sampling_from_args(args: argparse.Namespace):
    """The SamplingParams of the flags; CommandError names a bad flag and what is valid."""
    from minillm.inference import SamplingParams

    checks = [
        ("--temperature", args.temperature, lambda v: v > 0, "> 0"),
        ("--top-k", args.top_k, lambda v: v >= 1, "an integer >= 1"),
        ("--top-p", args.top_p, lambda v: 0 < v <= 1, "in (0, 1]"),
        ("--min-p", args.min_p, lambda v: 0 <= v <= 1, "in [0, 1]"),
        ("--repetition-penalty", args.repetition_penalty, lambda v: v > 0, "> 0 (1 = none)"),
        ("--max-new-tokens", args.max_new_tokens, lambda v: v >= 1, "an integer >= 1"),
        ("-k", args.k, lambda v: v >= 1, "an integer >= 1"),
        ("--seed", args.seed, lambda v: v >= 0, "an integer >= 0"),
        ("--threads", args.threads, lambda v: v >= 1, "an integer >= 1"),
    ]
    for flag, value, ok, valid in checks:
        if value is not None and not ok(value):
            raise CommandError(f"{flag} {value} is not valid: it must be {valid}")
    if args.greedy:
        given = [f for f, v, *_ in checks[:4] if v is not None]
        if given:
            raise CommandError(f"--greedy takes the likeliest token; {', '.join(given)} "
                               "only apply to sampling: drop one or the other")  # fmt: skip
    if args.k is not None and args.speculative is None:
        raise CommandError(f"-k {args.k} needs --speculative draft or --speculative ngram")
    if args.draft_model is not None and args.speculative != "draft":
        raise CommandError(f"--draft-model {args.draft_model!r} needs --speculative draft")
    temperature = 0.8 if args.temperature is None else args.temperature
    return SamplingParams(args.greedy, temperature, args.top_k, args.top_p, args.min_p,
                          args.repetition_penalty)  # fmt: skip


def _unescape(text: str) -> str:
    """--stop's backslash escapes: '\\n' -> a newline (other characters stay as they are)."""
    try:
        stop = text.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except UnicodeDecodeError as e:
        raise CommandError(f"--stop {text!r}: a bad backslash escape ({e.reason})") from None
    if not stop:
        raise CommandError("--stop '' is empty: a stop string needs at least one character")
    return stop


def read_prompt(arg: str | None) -> str:
    if arg is not None and arg != "-":
        text = arg
    else:
        if sys.stdin.isatty():
            print("reading the prompt from stdin (end it with Ctrl-D)", file=sys.stderr)
        text = sys.stdin.read()
        text = text[:-1] if text.endswith("\n") else text
    if not text:
        raise CommandError("the prompt is empty: give it as an argument or on stdin")
    return text


def _budget(n_prompt: int, args: argparse.Namespace, window: int) -> tuple[int, int]:
    """(max_new_tokens, prompt tokens to keep), checked against the model's window."""
    room = window - n_prompt
    if args.max_new_tokens is None:
        if room >= 1:
            return min(DEFAULT_MAX_NEW_TOKENS, room), n_prompt
        if not args.truncate:
            raise CommandError(
                f"the prompt is {n_prompt} tokens and the model's window is {window}: no room for "
                f"new tokens; shorten the prompt, or pass --truncate to keep its last tokens"
            )
        n_new = min(DEFAULT_MAX_NEW_TOKENS, window // 2)
        return n_new, window - n_new
    n_new = args.max_new_tokens
    if n_new >= window:
        raise CommandError(
            f"--max-new-tokens {n_new} does not fit the model's window of {window} tokens "
            f"(a prompt needs at least one): the most is {window - 1}"
        )
    if n_prompt + n_new > window:
        if not args.truncate:
            raise CommandError(
                f"the prompt is {n_prompt} tokens; with --max-new-tokens {n_new} that is "
                f"{n_prompt + n_new}, more than the model's window of {window}: shorten the "
                f"prompt, lower --max-new-tokens to {max(room, 0)} or less, or pass --truncate "
                f"to keep the prompt's last {window - n_new} tokens"
            )
        return n_new, window - n_new
    return n_new, n_prompt


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (CommandError, ValueError, FileNotFoundError, UnicodeDecodeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:  # `minillm generate ... | head`: the reader left; that is fine
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _run(args: argparse.Namespace) -> int:
    stops = [_unescape(s) for s in args.stop]
    sampling = sampling_from_args(args)
    prompt = read_prompt(args.prompt)

    import torch

    from minillm.corpus import EOT
    from minillm.pretrained import COURSE_MODEL_DIR

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    try:
        device = torch.device(args.device)
    except RuntimeError as e:
        raise CommandError(f"--device {args.device!r} is not a torch device ({e})") from None
    available = {"cuda": torch.cuda.is_available, "mps": torch.backends.mps.is_available}
    if not available.get(device.type, lambda: True)():
        raise CommandError(f"--device {args.device!r}: no {device.type.upper()} device here; "
                           "use --device cpu")  # fmt: skip
    model, tokenizer = _load(args.model or str(COURSE_MODEL_DIR), args.tokenizer, device, "--model")
    ids = tokenizer.encode(prompt, allowed_special="all")
    n_new, keep = _budget(len(ids), args, model.config.max_seq_len)
    ids = ids[len(ids) - keep :]
    eos = None if args.ignore_eos else tokenizer.special_tokens.get(EOT)

    if args.echo:
        write_out(tokenizer.decode(ids))
    stream = TextStream(tokenizer, write_out, stops, [] if eos is None else [eos])
    first: list[float] = []
    count = [0]

    def streamer(step: int, tokens) -> None:
        if not first:
            first.append(time.perf_counter())
        for t in tokens.reshape(-1).tolist():  # batch 1: one id
            count[0] += 1
            stream.push(t)
        if stream.reason == "stop" and args.speculative:  # it takes no stop strings: end it
            raise _StopString

    input_ids = torch.tensor([ids], dtype=torch.long, device=device)
    start = time.perf_counter()
    extra = ""
    if args.speculative is None:
        from minillm.inference import generate

        out = generate(model, input_ids, n_new, sampling=sampling, eos_token_id=eos,
                       stop_strings=stops or None, tokenizer=tokenizer, seed=args.seed,
                       streamer=streamer)  # fmt: skip
        reason = out.finish_reasons[0]
    else:
        try:
            out, extra = _speculative(args, model, tokenizer, input_ids, n_new, sampling, eos,
                                      streamer, device)  # fmt: skip
            reason = out.finish_reasons[0]
        except _StopString:
            reason = "stop"
    end = time.perf_counter()
    stream.close()
    write_out("\n")
    if args.stats:
        n = count[0]
        ttft = (first[0] if first else end) - start
        rate = f"{(n - 1) / (end - first[0]):.1f}" if first and n > 1 else "-"
        print(f"prompt {len(ids)} tokens; {n} new tokens in {end - start:.3f} s "
              f"({n / (end - start):.1f} tokens/s); time to first token {ttft * 1e3:.1f} ms, "
              f"{rate} tokens/s after it; finished by {reason}{extra}", file=sys.stderr)  # fmt: skip
    return 0


class _StopString(Exception):
    """Raised from the streamer to end speculative decoding at a stop string."""


def _speculative(args, model, tokenizer, input_ids, n_new, sampling, eos, streamer, device):
    """Speculative decoding (minillm.inference.speculative); -> (output, stats text)."""
    from minillm.inference.speculative import speculative_generate

    k = DEFAULT_K if args.k is None else args.k
    if args.speculative == "draft":
        from minillm.pretrained import load_draft_model

        if args.draft_model is None:
            draft, draft_tok = load_draft_model(device=device)
        else:
            draft, draft_tok = _load(args.draft_model, None, device, "--draft-model")
        same = (draft_tok.ranks, draft_tok.special_tokens) == (tokenizer.ranks, tokenizer.special_tokens)  # fmt: skip
        if not same:
            name = "the committed draft" if args.draft_model is None else repr(args.draft_model)
            raise CommandError(
                f"--draft-model {name} has another tokenizer than the model ({draft_tok.vocab_size} "
                f"and {tokenizer.vocab_size} token ids): a draft must propose its model's token ids"
            )
    else:
        draft = "ngram"
    out = speculative_generate(model, draft, input_ids, n_new, k=k, sampling=sampling,
                               eos_token_id=eos, seed=args.seed, streamer=streamer)  # fmt: skip
    extra = (f"; speculative {args.speculative} k={k}: {out.acceptance_rate:.0%} of draft "
             f"tokens accepted, {out.tokens_per_step:.2f} tokens per target forward")  # fmt: skip
    return out, extra
