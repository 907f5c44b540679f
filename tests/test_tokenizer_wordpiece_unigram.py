"""WordPiece and Unigram teaching tokenizers: training, encoding, oracles and invariants."""

from __future__ import annotations

import itertools
import math

import pytest
import regex

from minillm.tokenizer.unigram import UnigramTokenizer, viterbi
from minillm.tokenizer.wordpiece import WordPieceTokenizer

TEXT = (
    "the cat sat on the mat. the dog sat on the log! cats and dogs played in the garden, "
    "then the cat slept. hugging hugs huggable bunnies; playing players played plays.\n"
) * 30


@pytest.fixture(scope="module")
def wp() -> WordPieceTokenizer:
    return WordPieceTokenizer().train(TEXT, 80)


@pytest.fixture(scope="module")
def ug() -> UnigramTokenizer:
    return UnigramTokenizer().train(TEXT, 80)


# ---- WordPiece ---------------------------------------------------------------------------------


def test_wordpiece_training(wp):
    assert wp.vocab_size == 80
    assert wp.vocab["[UNK]"] == 0
    assert "##a" in wp.vocab and "t" in wp.vocab  # the alphabet, bare and continued
    # Each learned piece is findable: it tokenizes to itself.
    for piece in wp.vocab:
        if piece != "[UNK]" and not piece.startswith("##"):
            assert wp.tokenize_word(piece) == [piece]


def test_wordpiece_score_picks_the_most_associated_pair():
    # "x" and "y" are rare but always together: freq(xy)/(freq(x)freq(y)) = 1/1 beats "ab" (50/2500).
    t = WordPieceTokenizer().train("ab " * 50 + "xy", 1 + 4 + 1)  # [UNK], 4 characters, 1 merge
    assert list(t.vocab)[-1] == "xy"


def test_wordpiece_hugging_face_course_example():
    # The HF LLM course's WordPiece chapter: the first merge learned is ("##g", "##s") -> "##gs".
    text = "hug " * 10 + "pug " * 5 + "pun " * 12 + "bun " * 4 + "hugs " * 5
    t = WordPieceTokenizer().train(text, 1 + 7 + 1)
    assert list(t.vocab) == ["[UNK]", "##g", "##n", "##s", "##u", "b", "h", "p", "##gs"]


def test_wordpiece_greedy_longest_match_and_unknown(wp):
    # Longest match first: the longest vocabulary prefix of each remaining part is taken.
    for word in ["huggable", "players", "garden"]:
        pieces = wp.tokenize_word(word)
        rest = word
        for p in pieces:
            bare = p.removeprefix("##")
            longer = [rest[:k] for k in range(len(bare) + 1, len(rest) + 1)]
            prefix = "" if rest == word else "##"
            assert not any(prefix + x in wp.vocab for x in longer)
            rest = rest[len(bare) :]
    assert wp.tokenize_word("zebra") == ["[UNK]"]  # "z" was never seen: the whole word is unknown
    text = "the cats played in the garden."
    assert wp.decode(wp.encode(text)) == " ".join(regex.findall(r"\w+|[^\w\s]", text))


def test_wordpiece_matches_hugging_face(wp):
    tokenizers = pytest.importorskip("tokenizers")
    hf = tokenizers.Tokenizer(tokenizers.models.WordPiece(wp.vocab, unk_token="[UNK]"))
    hf.pre_tokenizer = tokenizers.pre_tokenizers.BertPreTokenizer()
    for text in [TEXT[:300], "hugging huggable players, zebra!", "catsdogs the"]:
        assert hf.encode(text).ids == wp.encode(text)


def test_wordpiece_deterministic():
    assert WordPieceTokenizer().train(TEXT, 70).vocab == WordPieceTokenizer().train(TEXT, 70).vocab


# ---- Unigram -----------------------------------------------------------------------------------


def brute_force_best(word: str, logp: dict[str, float]) -> float:
    best = -math.inf
    for cuts in itertools.product([0, 1], repeat=len(word) - 1):
        pieces, start = [], 0
        for i, c in enumerate(cuts, 1):
            if c:
                pieces.append(word[start:i])
                start = i
        pieces.append(word[start:])
        if all(p in logp for p in pieces):
            best = max(best, sum(logp[p] for p in pieces))
    return best


def test_viterbi_is_optimal(ug):
    for word in [" the", " cat", " huggable", " players", " garden,", "tac", " slept."]:
        pieces, score = viterbi(word, ug.logp, ug.max_len)
        assert "".join(pieces) == word
        assert score == pytest.approx(brute_force_best(word, ug.logp))


def test_unigram_training_and_round_trip(ug):
    assert ug.vocab_size == 80
    assert all(c in ug.logp for c in set(TEXT))  # single characters are never pruned
    assert math.isclose(sum(math.exp(v) for v in ug.logp.values()), 1.0, rel_tol=1e-9)
    text = "the dog played in the garden, then the cats slept.\n"
    assert ug.decode(ug.encode(text)) == text
    assert ug.tokenize(" zzz") == ["<unk>"]  # unseen character
    # Frequent words become single pieces.
    assert ug.tokenize(" the") == [" the"]


def test_unigram_deterministic():
    a = UnigramTokenizer().train(TEXT, 70)
    b = UnigramTokenizer().train(TEXT, 70)
    assert a.logp == b.logp


# ---- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [WordPieceTokenizer, UnigramTokenizer])
def test_bad_input(cls):
    with pytest.raises(ValueError, match="empty"):
        cls().train("", 100)
    with pytest.raises(ValueError, match=r"vocab_size=5 is too small"):
        cls().train(TEXT, 5)
    tok = cls().train(TEXT, 60)
    with pytest.raises(TypeError, match="text must be a str, got bytes"):
        tok.encode(b"abc")
    with pytest.raises(ValueError, match=r"ids\[1\] = 999 is not a token id"):
        tok.decode([1, 999])
