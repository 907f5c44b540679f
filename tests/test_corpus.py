"""minillm.corpus (documents, stories, tasks): determinism, sizes, vocabulary, checkers."""

from __future__ import annotations

import hashlib
import random
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minillm.cli import main
from minillm.corpus import (
    DOC_SEPARATOR,
    EOT,
    KINDS,
    Task,
    check_answer,
    generate_corpus,
    iter_documents,
    iter_stories,
    make_story,
    make_tasks,
    split_documents,
    wrong_answer,
)
from minillm.corpus import world as W
from minillm.corpus.stories import PLOTS
from minillm.corpus.tasks import FORMAT_CREDIT, normalize_words, parse_ints

# ---------------------------------------------------------------------------------------------
# Determinism and format


def test_same_seed_same_bytes_different_seed_different():
    a = generate_corpus(50_000, seed=0)
    assert a == generate_corpus(50_000, seed=0)
    assert a != generate_corpus(50_000, seed=1)
    assert make_tasks(50, seed=7) == make_tasks(50, seed=7)
    assert make_tasks(50, seed=7) != make_tasks(50, seed=8)


def test_corpus_is_stable_across_runs_and_machines():
    """A fixed fingerprint: if this changes, the corpus changed for every learner (and every
    stored notebook output that shows it). Update it only on purpose."""
    digest = hashlib.sha256(generate_corpus(20_000, seed=0).encode()).hexdigest()[:16]
    assert digest == FINGERPRINT


FINGERPRINT = "dbfcb6ba77d6415e"


def test_corpus_bytes_survive_the_move_to_minillm_corpus():
    """The sha256 of 200 kB, taken before the generator moved from minillm.data to
    minillm.corpus and the world was split into modules: the move changed no byte."""
    text = generate_corpus(200_000, seed=0)
    assert len(text) == 200_218
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert digest == "06fc259aa18ee87248491d385c0b35eb35bf09ea8d6fc8b48c6516e145072661"


def test_old_import_paths_still_work():
    """Notebooks written before the move import from minillm.data; those names are the same
    objects as minillm.corpus's."""
    import minillm.corpus as corpus
    import minillm.data as data

    for name in ("EOT", "DOC_SEPARATOR", "generate_corpus", "split_documents", "make_tasks"):
        assert getattr(data, name) is getattr(corpus, name), name


def test_corpus_does_not_depend_on_global_random_state():
    random.seed(1)
    a = generate_corpus(5_000, seed=3)
    random.seed(2)
    _ = random.random()
    assert generate_corpus(5_000, seed=3) == a


def test_size_is_whole_documents_just_past_n_bytes():
    for n in (1, 999, 20_000):
        text = generate_corpus(n, seed=0)
        docs = split_documents(text)
        assert len(text.encode("utf-8")) >= n
        # Dropping the last document would fall short: we never overshoot by a whole document.
        assert len(DOC_SEPARATOR.join(docs[:-1])) < n
    assert generate_corpus(0) == ""
    assert split_documents("") == []


def test_documents_are_ascii_clean_and_separated():
    docs = list(_take(iter_documents(seed=5, task_fraction=0.3), 300))
    text = DOC_SEPARATOR.join(docs)
    assert text.isascii()  # so characters == UTF-8 bytes
    assert split_documents(text) == docs
    for d in docs:
        assert EOT not in d and d == d.strip() and d
    assert sum(d.startswith("Question:") for d in docs) > 30  # task blocks are in the mix


def test_task_fraction_extremes():
    stories = list(_take(iter_stories(seed=1), 50))
    assert not any("Question:" in d for d in stories)
    tasks_only = list(_take(iter_documents(seed=1, task_fraction=1.0, kinds=["add"]), 20))
    assert all(d.startswith("Question: ") and "Answer: " in d for d in tasks_only)


def test_every_plot_appears_and_questions_are_answered_in_text():
    rng = random.Random(0)
    for plot in PLOTS:
        for _ in range(30):
            story = make_story(rng, plot)
            assert story.plot == plot and len(story.questions) >= 3
            for q in story.questions:
                assert q.answer.lower() in story.text.lower() or (
                    q.numeric and _says_number(story.text, int(q.answer))
                )


def test_random_plot_choice_covers_every_plot():
    rng = random.Random(3)
    assert {make_story(rng).plot for _ in range(400)} == set(PLOTS)


# Which material property each outcome word needs (the world's rules, minillm.corpus.world docstring).
_RULE = {
    "broke": lambda m: m.fragile,
    "bounced": lambda m: m.bouncy and not m.fragile,
    "floated": lambda m: m.floats,
    "sank": lambda m: not m.floats,
    "melted": lambda m: m.melts,
    "got soggy": lambda m: m.soaks,
    "blew away": lambda m: m.light,
}


def test_outcomes_follow_the_material_rules():
    rng = random.Random(1)
    checked = 0
    for plot in ("accident", "experiment"):
        for _ in range(300):
            story = make_story(rng, plot)
            answers = {q.question: q.answer for q in story.questions}
            made_of = [q for q in answers if q.startswith("What was the ")]
            happened = [q for q in answers if q.startswith("What happened to the ")]
            for hq in happened:
                noun = hq.removeprefix("What happened to the ").split("?")[0]
                noun = noun.removesuffix(" in the water")
                mq = f"What was the {noun} made of?"
                if mq in answers:
                    material = W.MATERIAL_BY_NAME[answers[mq]]
                    assert _RULE[answers[hq]](material), (story.text, answers)
                    checked += 1
            assert made_of  # every accident/experiment asks what the thing was made of
    assert checked > 100


# ---------------------------------------------------------------------------------------------
# Vocabulary


def test_distinct_word_count_is_a_few_thousand():
    words = re.findall(r"[a-z]+", generate_corpus(1_000_000, seed=0, task_fraction=0.0).lower())
    n = len(set(words))
    assert 2_000 <= n <= 6_000, n


def test_world_lists_are_well_formed():
    names = W.GIRL_NAMES + W.BOY_NAMES + W.PET_NAMES
    assert len(set(names)) == len(names), "a name appears twice"
    nouns = {t.noun for t in W.THINGS} | {a for a, _ in W.ANIMALS} | {f for f, _ in W.FOODS}
    clash = sorted(n for n in names if n.lower() in nouns)
    assert not clash, f"names that are also nouns confuse story questions: {clash}"
    for thing in W.THINGS:
        for m in thing.materials:
            assert m in W.MATERIAL_BY_NAME, (thing.noun, m)
    for place in W.PLACES:
        assert len(set(place.sights)) == len(place.sights) >= 2, place.noun  # scene() samples 2


# ---------------------------------------------------------------------------------------------
# Tasks and checkers


def test_make_tasks_covers_every_kind_and_validates():
    tasks = make_tasks(400, seed=0)
    assert {t.kind for t in tasks} == set(KINDS)
    assert [t.kind for t in make_tasks(10, seed=0, kinds=["mul"])] == ["mul"] * 10
    assert make_tasks(0) == []
    with pytest.raises(ValueError, match="unknown task kind 'divide'.*valid kinds: add"):
        make_tasks(3, kinds=["add", "divide"])
    with pytest.raises(ValueError, match="n=-1"):
        make_tasks(-1)
    with pytest.raises(ValueError, match="kinds is empty"):
        make_tasks(1, kinds=[])


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(KINDS))
def test_checker_accepts_own_answer_and_rejects_wrong_ones(seed, kind):
    task = make_tasks(1, seed=seed, kinds=[kind])[0]
    assert task.check(task.answer)
    assert task.score(task.answer) == 1.0
    assert check_answer(task, task.to_text().split("Answer:")[-1])
    bad = wrong_answer(task, random.Random(seed))
    assert not task.check(bad), (task, bad)
    assert task.score(bad) == FORMAT_CREDIT
    assert task.score("") == 0.0


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(KINDS))
def test_checker_tolerates_answer_formatting(seed, kind):
    task = make_tasks(1, seed=seed, kinds=[kind])[0]
    for wrapped in (
        f"  {task.answer}  \n",
        f"The answer is {task.answer}.",
        f"Let me think.\nAnswer: {task.answer}",
        f"answer: {task.answer.upper()}!",
    ):
        assert task.check(wrapped), (task, wrapped)


@settings(max_examples=200, deadline=None)
@given(response=st.text(max_size=200), kind=st.sampled_from(KINDS))
def test_checker_never_crashes_on_arbitrary_model_output(response, kind):
    task = make_tasks(1, seed=len(response), kinds=[kind])[0]
    assert task.score(response) in (0.0, FORMAT_CREDIT, 1.0)


def test_checker_examples():
    add = Task("add", "What is 3 + 4?", "7", "int")
    assert add.check("7") and add.check("3 + 4 = 7") and add.check("The answer is seven.")
    assert not add.check("The answer is 7 or 8.")  # the last number counts
    assert not add.check("no idea") and add.score("no idea") == 0.0
    srt = Task("sort_numbers", "Sort: 3, 1, 2.", "1, 2, 3", "ints")
    assert srt.check("[1, 2, 3]") and srt.check("1 2 3") and not srt.check("1, 3, 2")
    who = Task("story_qa", "Who found the jar?", "Mia", "text", context="...", distractors=("Tom",))
    assert who.check("Mia found the jar.") and who.check("mia")
    assert not who.check("Mia or Tom") and not who.check("Tom")
    assert not who.check("Mia " + "and then " * 20)  # too long to be an answer
    # A base model continues the format; only its first answer counts.
    assert add.check(" 7\n\nQuestion: What is 1 + 1?\nAnswer: 2")
    assert not add.check(" 6\n\nQuestion: What is 3 + 4?\nAnswer: 7")
    assert add.check("7<|endoftext|>Answer: 9")


def test_story_qa_answer_is_consistent_with_its_story():
    for task in make_tasks(200, seed=11, kinds=["story_qa"]):
        assert task.prompt.startswith(task.context) and task.prompt.endswith(task.question)
        if task.answer_type == "int":
            assert _says_number(task.context, int(task.answer))
        else:
            assert re.search(rf"\b{re.escape(task.answer)}\b", task.context, re.I), task
        for d in task.distractors:
            assert normalize_words(d) != normalize_words(task.answer)
        # The reference passes and a distractor (what a careless reader says) fails.
        assert task.check(task.answer) and task.check(f"The answer is {task.answer}.")
        assert not task.check(wrong_answer(task, random.Random(0))), task


def _expected_answer(t: Task):
    nums = parse_ints(t.question)
    if t.kind == "add":
        return nums[0] + nums[1]
    if t.kind == "sub":
        return abs(nums[0] - nums[1])  # "Subtract 2 from 5" names them backwards
    if t.kind == "mul":
        return nums[0] * nums[1]
    if t.kind == "compare":
        return (max if "large" in t.question or "big" in t.question else min)(nums)
    return sorted(nums, reverse="largest to" in t.question)


def test_arithmetic_answers_are_right():
    for t in make_tasks(300, seed=2, kinds=["add", "sub", "mul", "compare", "sort_numbers"]):
        got = parse_ints(t.answer)
        assert (got if t.kind == "sort_numbers" else got[0]) == _expected_answer(t), t


def test_to_text_round_trip():
    t = make_tasks(1, seed=0, kinds=["story_qa"])[0]
    text = t.to_text()
    assert text.startswith(t.context) and text.endswith(
        f"Question: {t.question}\nAnswer: {t.answer}"
    )
    assert t.to_text(with_answer=False).endswith("\nAnswer:")


def test_error_paths():
    with pytest.raises(ValueError, match="n_bytes=-5"):
        generate_corpus(-5)
    with pytest.raises(ValueError, match="n_bytes"):
        generate_corpus(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown task kind 'poetry'"):
        iter_documents(kinds=["poetry"])  # raised at the call, not at first next()
    with pytest.raises(ValueError, match="task_fraction=1.5"):
        iter_documents(task_fraction=1.5)
    with pytest.raises(TypeError, match="seed="):
        generate_corpus(10, seed="abc")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown plot 'epic'"):
        make_story(random.Random(0), "epic")
    with pytest.raises(ValueError, match="answer_type='float'"):
        Task("add", "q", "1", "float")
    with pytest.raises(TypeError, match="response must be a str"):
        check_answer(Task("add", "q", "1", "int"), 1)  # type: ignore[arg-type]


def test_command_line_writes_the_same_corpus(tmp_path, capsys):
    out = tmp_path / "corpus.txt"
    main(["corpus", "--bytes", "3000", "--seed", "4", "--out", str(out)])
    assert out.read_text(encoding="utf-8") == generate_corpus(3000, seed=4)
    assert "documents to" in capsys.readouterr().out


@pytest.mark.slow
def test_ten_megabytes_is_fast():
    start = time.perf_counter()
    text = generate_corpus(10_000_000, seed=0)
    seconds = time.perf_counter() - start
    print(f"generate_corpus(10_000_000): {seconds:.2f} s, {len(text):,} bytes")
    assert len(text) >= 10_000_000
    assert seconds < 30, seconds


# ---------------------------------------------------------------------------------------------


def _take(it, n):
    for _, x in zip(range(n), it):
        yield x


def _says_number(text: str, n: int) -> bool:
    word = W.NUMBER_WORDS[n] if n < len(W.NUMBER_WORDS) else str(n)
    return re.search(rf"\b{word}\b", text, re.I) is not None


def test_docstring_examples_run():
    import doctest

    import minillm.corpus
    import minillm.corpus.tasks

    for module in (minillm.corpus, minillm.corpus.tasks):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
