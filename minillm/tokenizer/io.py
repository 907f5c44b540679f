"""Tokenizer files: minillm's own readable format and tiktoken's `.tiktoken` ranks format.

Own format (UTF-8 text, one record a line, diff-friendly):

    minillm-bpe 1
    pattern "<the regex, as a JSON string>"
    specials 1
    8191 "<|endoftext|>"
    tokens 8191
    0 00 "\\u0000"                    <- id, the token's bytes in hex, the text (for reading only)
    ...
    300 20746865 " the"
    merges 7935                      <- optional: the training merges, "left right merged"
    116 104 256
    end <sha256 of every line above, so a truncated or edited file is caught>

tiktoken's format: one line per token, "<base64 of the bytes> <rank>"; special tokens are not in
the file (the caller supplies them).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass, field

from minillm.hashing import text_sha256

MAGIC = "minillm-bpe"
VERSION = 1


class TokenizerFileError(ValueError):
    """A tokenizer file is truncated, corrupted or not a tokenizer file."""


@dataclass
class TokenizerState:
    """Everything that defines a byte-level BPE tokenizer."""

    ranks: dict[bytes, int]  # token bytes -> id (= merge priority)
    pattern: str  # pre-tokenization regex
    special_tokens: dict[str, int] = field(default_factory=dict)
    merges: list[tuple[int, int, int]] = field(default_factory=list)


def _display(b: bytes) -> str:
    return json.dumps(b.decode("utf-8", errors="backslashreplace"), ensure_ascii=False)


def save_minillm(state: TokenizerState, path: str | os.PathLike) -> None:
    lines = [f"{MAGIC} {VERSION}", f"pattern {json.dumps(state.pattern)}"]
    lines.append(f"specials {len(state.special_tokens)}")
    for tok, i in sorted(state.special_tokens.items(), key=lambda kv: kv[1]):
        lines.append(f"{i} {json.dumps(tok, ensure_ascii=False)}")
    lines.append(f"tokens {len(state.ranks)}")
    for b, i in sorted(state.ranks.items(), key=lambda kv: kv[1]):
        lines.append(f"{i} {b.hex()} {_display(b)}")
    if state.merges:
        lines.append(f"merges {len(state.merges)}")
        lines.extend(f"{a} {b} {m}" for a, b, m in state.merges)
    digest = text_sha256("\n".join(lines))
    lines.append(f"end {digest}")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


def load_minillm(path: str | os.PathLike) -> TokenizerState:
    """Read a file written by `save_minillm`; raise TokenizerFileError naming the bad line."""
    try:
        with open(path, encoding="utf-8", newline="\n") as f:
            text = f.read()
    except UnicodeDecodeError as e:
        raise TokenizerFileError(f"{path}: not a minillm tokenizer file (not UTF-8: {e})") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    pos = 0

    def fail(msg: str) -> TokenizerFileError:
        shown = repr(lines[pos - 1][:80]) if 0 < pos <= len(lines) else "end of file"
        return TokenizerFileError(f"{path}, line {pos}: {msg} (got {shown})")

    def take(keyword: str) -> str:
        nonlocal pos
        if pos >= len(lines):
            pos += 1
            raise fail(f"file is truncated: expected a '{keyword}' line")
        line = lines[pos]
        pos += 1
        head, _, rest = line.partition(" ")
        if keyword and head != keyword:
            raise fail(f"expected a line starting with '{keyword}'")
        return rest if keyword else line

    def take_count(keyword: str) -> int:
        rest = take(keyword)
        if not rest.isdigit():
            raise fail(f"'{keyword}' must be followed by a count")
        return int(rest)

    version = take(MAGIC)
    if version != str(VERSION):
        raise fail(f"unsupported version {version!r}; this minillm reads version {VERSION}")
    try:
        pattern = json.loads(take("pattern"))
        if not isinstance(pattern, str):
            raise ValueError
    except ValueError:
        raise fail("the pattern must be a JSON string") from None
    specials: dict[str, int] = {}
    for _ in range(take_count("specials")):
        i, _, tok = take("").partition(" ")
        try:
            specials[json.loads(tok)] = int(i)
        except ValueError:
            raise fail('expected a special token line: <id> "<token>"') from None
    ranks: dict[bytes, int] = {}
    for _ in range(take_count("tokens")):
        parts = take("").split(" ", 2)
        try:
            ranks[bytes.fromhex(parts[1])] = int(parts[0])
        except (ValueError, IndexError):
            raise fail("expected a token line: <id> <hex bytes> <text>") from None
    merges: list[tuple[int, int, int]] = []
    if pos < len(lines) and lines[pos].startswith("merges "):
        for _ in range(take_count("merges")):
            try:
                a, b, m = (int(x) for x in take("").split(" "))
            except ValueError:
                raise fail("expected a merge line: <left id> <right id> <merged id>") from None
            merges.append((a, b, m))
    digest = take("end")
    if text_sha256("\n".join(lines[: pos - 1])) != digest:
        raise fail("checksum mismatch: the file was truncated or edited")
    if pos != len(lines):
        pos += 1
        raise fail("unexpected content after the 'end' line")
    return TokenizerState(ranks=ranks, pattern=pattern, special_tokens=specials, merges=merges)


def save_tiktoken(ranks: dict[bytes, int], path: str | os.PathLike) -> None:
    """Write ranks in tiktoken's format (readable by `tiktoken.load.load_tiktoken_bpe`)."""
    with open(path, "w", encoding="ascii", newline="\n") as f:
        for b, r in sorted(ranks.items(), key=lambda kv: kv[1]):
            f.write(f"{base64.b64encode(b).decode('ascii')} {r}\n")


def load_tiktoken_ranks(path: str | os.PathLike) -> dict[bytes, int]:
    """Read a `.tiktoken` file (e.g. GPT-2's or cl100k's) into token bytes -> rank."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"no tiktoken ranks file at {str(path)!r}")
    ranks: dict[bytes, int] = {}
    seen: set[int] = set()
    with open(path, "rb") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            parts = line.split()
            try:
                if len(parts) != 2:
                    raise ValueError
                token = base64.b64decode(parts[0], validate=True)
                rank = int(parts[1])
            except (ValueError, binascii.Error):
                raise TokenizerFileError(
                    f"{path}, line {lineno}: expected '<base64 token> <rank>', got {line[:80]!r}"
                ) from None
            if token in ranks or rank in seen:
                raise TokenizerFileError(
                    f"{path}, line {lineno}: duplicate token {token!r} or rank {rank}"
                )
            ranks[token] = rank
            seen.add(rank)
    if not ranks:
        raise TokenizerFileError(f"{path}: the file holds no tokens")
    return ranks
