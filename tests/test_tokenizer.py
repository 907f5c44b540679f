"""Byte-level BPE: round trips, training, special tokens, files, bad input."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minillm.tokenizer import BPETokenizer, TokenizerFileError
from minillm.tokenizer.bpe_train import merge_word
from minillm.tokenizer.merge import bpe_merge_heap, bpe_merge_simple
from minillm.tokenizer.patterns import GPT2_PATTERN, GPT4_PATTERN
from minillm.tokenizer.pretokenize import count_pretokens, iter_chunks

EOT = "<|endoftext|>"


def make_corpus(n_words: int = 20_000, seed: int = 0) -> str:
    """Varied small text: words, punctuation, numbers, code, non-Latin scripts, newlines."""
    rng = random.Random(seed)
    words = (
        "the a cat dog sat ran on in big small red house garden tom lily said then it was".split()
    )
    extra = ["naïve", "café", "日本語", "Привет", "🎉", "x**2", "3.14", "2024", "don't", "\t", "  "]
    out = []
    for i in range(n_words):
        out.append(rng.choice(words) if rng.random() < 0.9 else rng.choice(extra))
        out.append("\n" if i % 13 == 12 else (". " if i % 7 == 6 else " "))
    return "".join(out)


CORPUS = make_corpus()


@pytest.fixture(scope="module")
def tok() -> BPETokenizer:
    return BPETokenizer().train(CORPUS, 360, special_tokens=[EOT, "<|pad|>"], verbose=False)


# ---- round trips -----------------------------------------------------------------------------

unicode_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),  # lone surrogates: tested below
    max_size=200,
)
runs = st.builds(
    lambda c, n: c * n, st.sampled_from(["a", " ", "\n", "🎉", "é", "7", "!"]), st.integers(0, 3000)
)


@settings(max_examples=200, deadline=None)
@given(s=unicode_text)
def test_round_trip_arbitrary_unicode(tok, s):
    # disallowed_special=(): hypothesis may spell "<|endoftext|>", which is then plain text
    assert tok.decode(tok.encode(s, disallowed_special=())) == s


@settings(max_examples=30, deadline=None)
@given(s=runs, t=unicode_text)
def test_round_trip_long_runs(tok, s, t):
    text = t + s + t
    assert tok.decode(tok.encode(text, disallowed_special=())) == text


@pytest.mark.parametrize(
    "s",
    [
        "",
        "\x00",
        "a\x00b\x00\x00",
        "👩‍👩‍👧‍👦 family, 🏳️‍🌈 flag",  # ZWJ sequences
        "e\u0301 n\u0303 a\u0308\u0304",  # combining marks
        "שלום עולם مرحبا بالعالم",  # right-to-left
        "\u202eevil\u202c",  # bidi override characters
        "x" * 100_000,
        " " * 50_000 + "end",
        "日本語のテキスト" * 1000,
    ],
)
def test_round_trip_edge_cases(tok, s):
    assert tok.decode(tok.encode(s)) == s


def test_lone_surrogates_are_replaced_by_u_fffd(tok):
    # Documented behaviour (same as tiktoken): U+D800 has no UTF-8 form, it encodes as U+FFFD.
    assert tok.encode("a\ud800b") == tok.encode("a\ufffdb")
    assert tok.decode(tok.encode("\udfff")) == "\ufffd"
    # A surrogate pair written as two code units is joined into its real character.
    assert tok.decode(tok.encode("\ud83c\udf89")) == "🎉"


def test_decode_errors_modes(tok):
    ids = tok.encode("🦄")
    assert len(ids) > 1  # the emoji is several byte tokens in this small vocabulary
    half = ids[:1]
    assert tok.decode(half) == "\ufffd"
    with pytest.raises(UnicodeDecodeError):
        tok.decode(half, errors="strict")
    assert tok.decode_bytes(ids) == "🦄".encode()


# ---- the merge algorithms --------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(word=st.binary(max_size=120))
def test_heap_merge_matches_simple_merge(tok, word):
    assert bpe_merge_heap(word, tok.ranks) == bpe_merge_simple(word, tok.ranks)


def test_merge_word_left_to_right():
    assert merge_word([1, 1, 1], 1, 1, 9) == [9, 1]
    assert merge_word([1, 2, 3, 1, 2], 1, 2, 9) == [9, 3, 9]
    assert merge_word([], 1, 2, 9) == []


def test_chunking_does_not_change_pretokens():
    text = CORPUS[:20_000]
    for pattern in (GPT2_PATTERN, GPT4_PATTERN):
        whole = count_pretokens([text], pattern)
        chunked = count_pretokens([text], pattern, chunk_chars=500)
        assert whole == chunked
    assert "".join(iter_chunks(text, 300)) == text
    assert len(list(iter_chunks(text, 300))) > 10


# ---- training --------------------------------------------------------------------------------


def test_training_basics(tok):
    assert tok.vocab_size == 360
    assert tok.special_tokens == {EOT: 358, "<|pad|>": 359}
    assert len(tok.ranks) == 358
    # Every learned token is the concatenation of its merge's two parts.
    vocab = tok.vocab
    for a, b, m in tok.merges:
        assert vocab[m] == vocab[a] + vocab[b]


def naive_merges(text: str, n_new: int) -> list[tuple[int, int, int]]:
    """Reference BPE: recount every pair of every word after each merge (slow, obviously right)."""
    words = {tuple(w.encode()): c for w, c in count_pretokens([text], GPT2_PATTERN).items()}
    token_bytes = [bytes([i]) for i in range(256)]
    merges = []
    while len(token_bytes) - 256 < n_new:
        counts: dict[tuple[int, int], int] = {}
        for w, c in words.items():
            for p in zip(w, w[1:]):
                counts[p] = counts.get(p, 0) + c
        if not counts:
            break
        (a, b) = min(counts, key=lambda p: (-counts[p], p))  # most frequent, lowest pair on ties
        merged = token_bytes[a] + token_bytes[b]
        if merged in token_bytes:
            new = token_bytes.index(merged)
        else:
            new = len(token_bytes)
            token_bytes.append(merged)
        merges.append((a, b, new))
        words = {tuple(merge_word(list(w), a, b, new)): c for w, c in words.items()}
    return merges


def test_incremental_training_matches_naive_recount():
    text = make_corpus(3000, seed=3)
    fast = BPETokenizer().train(text, 256 + 120, verbose=False)
    assert fast.merges == naive_merges(text, 120)


def test_training_is_deterministic():
    a = BPETokenizer().train(CORPUS, 350, verbose=False)
    b = BPETokenizer().train(CORPUS.splitlines(keepends=True), 350, verbose=False)
    c = BPETokenizer().train(CORPUS, 350, verbose=False, chunk_chars=1000, num_workers=2)
    assert a.merges == b.merges == c.merges
    assert a.ranks == b.ranks == c.ranks


def test_training_compresses(tok):
    text = make_corpus(2000, seed=1)
    ids = tok.encode(text)
    assert len(ids) < 0.5 * len(text.encode())


def test_ties_go_to_lowest_pair():
    # "ab" and "cd" occur equally often: (97, 98) < (99, 100) is merged first, whatever the order.
    t = BPETokenizer().train(["cd", "ab", "cd", "ab"], 257, verbose=False)
    assert t.merges == [(97, 98, 256)]


def test_special_tokens_are_cut_out_of_training_text():
    text = f"hello{EOT}world{EOT}" * 50
    t = BPETokenizer().train(text, 262, special_tokens=[EOT], verbose=False)
    assert all(b"<|" not in b and b"|>" not in b for b in t.ranks)


def test_gpt4_pattern_training_and_custom_regex():
    t = BPETokenizer().train(CORPUS, 300, pattern="gpt4", verbose=False)
    assert t.pattern == GPT4_PATTERN
    assert t.decode(t.encode(CORPUS[:2000])) == CORPUS[:2000]
    w = BPETokenizer().train(CORPUS, 300, pattern=r"\S+|\s+", verbose=False)
    assert w.decode(w.encode("big  house\n")) == "big  house\n"


def test_corpus_running_out_of_pairs_warns():
    with pytest.warns(UserWarning, match="ran out of pairs"):
        t = BPETokenizer().train("abab", 1000, verbose=False)
    assert t.vocab_size == 258  # "ab", "abab"


# ---- special tokens --------------------------------------------------------------------------


def test_special_token_rules(tok):
    text = f"hi{EOT}there"
    with pytest.raises(ValueError, match=r"special token '<\|endoftext\|>' at position 2"):
        tok.encode(text)
    ids = tok.encode(text, allowed_special={EOT})
    assert ids.count(358) == 1 and tok.decode(ids) == text
    assert tok.encode(text, allowed_special="all") == ids
    as_text = tok.encode(text, disallowed_special=())
    assert 358 not in as_text and tok.decode(as_text) == text
    assert as_text == tok.encode_ordinary(text)
    # Allowing one special token still refuses another one.
    with pytest.raises(ValueError, match="pad"):
        tok.encode(f"{EOT}<|pad|>", allowed_special={EOT})
    with pytest.raises(ValueError, match="not special tokens"):
        tok.encode("x", allowed_special={"<|nope|>"})


def test_encode_batch_matches_encode(tok):
    texts = [make_corpus(300, seed=s) for s in range(40)]
    expected = [tok.encode(t) for t in texts]
    assert tok.encode_batch(texts, num_workers=1) == expected
    assert tok.encode_batch(texts, num_workers=2) == expected
    big = [make_corpus(3000, seed=s) for s in range(8)]  # large enough to use processes
    assert tok.encode_batch(big, num_workers=2) == [tok.encode(t) for t in big]


def test_pickle_round_trip(tok):
    import pickle

    back = pickle.loads(pickle.dumps(tok))  # what encode_batch needs where processes spawn
    assert back.encode(CORPUS[:2000]) == tok.encode(CORPUS[:2000])
    assert back.special_tokens == tok.special_tokens


def test_cache_is_bounded():
    t = BPETokenizer(cache_size=10)
    text = " ".join(f"w{i}" for i in range(100))
    assert t.decode(t.encode(text)) == text
    assert len(t._cache) <= 10


# ---- files -----------------------------------------------------------------------------------


def test_save_load_round_trip(tok, tmp_path):
    path = tmp_path / "tok.txt"
    tok.save(path)
    back = BPETokenizer.load(path)
    assert back.ranks == tok.ranks
    assert back.special_tokens == tok.special_tokens
    assert back.pattern == tok.pattern
    assert back.merges == tok.merges
    assert back.encode(CORPUS[:3000]) == tok.encode(CORPUS[:3000])
    text = path.read_text(encoding="utf-8")
    assert '" the"' in text  # readable: the text of each token is in the file


def test_tiktoken_format_round_trip(tok, tmp_path):
    path = tmp_path / "tok.tiktoken"
    tok.save_tiktoken(path)
    back = BPETokenizer.from_tiktoken(path, tok.pattern, tok.special_tokens)
    assert back.ranks == tok.ranks
    assert back.encode(CORPUS[:3000]) == tok.encode(CORPUS[:3000])


def test_tiktoken_reads_our_export(tok, tmp_path):
    tiktoken = pytest.importorskip("tiktoken")
    from tiktoken.load import load_tiktoken_bpe

    path = tmp_path / "tok.tiktoken"
    tok.save_tiktoken(path)
    enc = tiktoken.Encoding(
        "ours",
        pat_str=tok.pattern,
        mergeable_ranks=load_tiktoken_bpe(str(path)),
        special_tokens=tok.special_tokens,
    )
    text = make_corpus(3000, seed=5) + EOT + "tail"
    assert enc.encode(text, allowed_special="all") == tok.encode(text, allowed_special="all")


# ---- bad input -------------------------------------------------------------------------------


def test_bad_training_arguments():
    with pytest.raises(ValueError, match=r"vocab_size=257 is too small.*258"):
        BPETokenizer().train("hello", 257, special_tokens=[EOT, "<|pad|>"], verbose=False)
    with pytest.raises(ValueError, match="empty"):
        BPETokenizer().train("", 300, verbose=False)
    with pytest.raises(ValueError, match="empty"):
        BPETokenizer().train([], 300, verbose=False)
    with pytest.raises(ValueError, match=r"duplicate special tokens: \['<\|endoftext\|>'\]"):
        BPETokenizer().train("hello", 300, special_tokens=[EOT, EOT], verbose=False)
    with pytest.raises(TypeError, match="vocab_size must be an int, got float"):
        BPETokenizer().train("hello", 300.0, verbose=False)
    with pytest.raises(TypeError, match="got bytes"):
        BPETokenizer().train(b"hello", 300, verbose=False)
    with pytest.raises(TypeError, match="got int at index 1"):
        BPETokenizer().train(["a", 3], 300, verbose=False)
    with pytest.raises(ValueError, match="neither a known name"):
        BPETokenizer().train("hello", 300, pattern="(unclosed", verbose=False)


def test_bad_encode_and_decode_input(tok):
    with pytest.raises(TypeError, match="text must be a str, got bytes"):
        tok.encode(b"hello")
    with pytest.raises(TypeError, match="got NoneType"):
        tok.encode(None)
    with pytest.raises(TypeError, match=r"texts\[1\] must be a str, got int"):
        tok.encode_batch(["a", 1])
    with pytest.raises(ValueError, match=r"ids\[1\] = 360 is not a token id: valid ids are 0..359"):
        tok.decode([1, 360])
    with pytest.raises(ValueError, match=r"ids\[0\] = -1"):
        tok.decode([-1])
    with pytest.raises(TypeError, match=r"ids\[0\] = 'a' is a str"):
        tok.decode(["a"])
    with pytest.raises(TypeError, match="ids must be a sequence of int, got str"):
        tok.decode("abc")
    with pytest.raises(ValueError, match="errors='bogus'"):
        tok.decode([1], errors="bogus")


def test_truncated_or_corrupted_files(tok, tmp_path):
    path = tmp_path / "tok.txt"
    tok.save(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    truncated = tmp_path / "truncated.txt"
    truncated.write_text("\n".join(lines[: len(lines) // 2]), encoding="utf-8")
    with pytest.raises(TokenizerFileError, match="truncated"):
        BPETokenizer.load(truncated)
    edited = tmp_path / "edited.txt"
    lines_edited = list(lines)
    lines_edited[300] = "1" + lines_edited[300]  # a changed id, still well-formed
    edited.write_text("\n".join(lines_edited), encoding="utf-8")
    with pytest.raises(TokenizerFileError, match="checksum mismatch"):
        BPETokenizer.load(edited)
    bad_hex = tmp_path / "bad_hex.txt"
    lines_edited[300] = lines[300].replace(" ", " 1", 1)  # odd-length hex
    bad_hex.write_text("\n".join(lines_edited), encoding="utf-8")
    with pytest.raises(TokenizerFileError, match="line 301: expected a token line"):
        BPETokenizer.load(bad_hex)
    garbage = tmp_path / "garbage.txt"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(TokenizerFileError, match="not a minillm tokenizer file|expected a line"):
        BPETokenizer.load(garbage)
    bad_tt = tmp_path / "bad.tiktoken"
    bad_tt.write_text("IQ== 0\nnot!base64 1\n")
    with pytest.raises(TokenizerFileError, match="line 2"):
        BPETokenizer.from_tiktoken(bad_tt)
    with pytest.raises(FileNotFoundError, match="no tiktoken ranks file"):
        BPETokenizer.from_tiktoken(tmp_path / "missing.tiktoken")


def test_bad_constructor_input():
    with pytest.raises(ValueError, match="missing 1 of them, e.g. byte 255"):
        BPETokenizer({bytes([i]): i for i in range(255)})
    with pytest.raises(ValueError, match="already the id of token"):
        BPETokenizer(special_tokens={EOT: 5})
