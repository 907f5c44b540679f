r"""Instruction/answer tasks whose answers a program checks: the verifiable rewards of the course.

    >>> from minillm.corpus.tasks import Task, make_tasks
    >>> t = Task("add", "What is 48 + 7?", "55", answer_type="int")
    >>> t.check("The answer is 55."), t.check("48 + 7 = 55"), t.check("54")
    (True, True, False)
    >>> t.check(" 55\n\nQuestion: What is 2 + 2?\nAnswer: 4")   # a model that keeps going
    True
    >>> len(make_tasks(8, seed=0)), make_tasks(8, seed=0) == make_tasks(8, seed=0)
    (8, True)

How a response is read (``Task.check``), the same rule for every task of a type:

1. The response ends at the first ``<|endoftext|>`` or at a line starting with "Question:"
   (a language model continuing the training format writes the next question itself).
   The *answer span* is then the text after the last "answer is" / "answer:" (any case) if
   there is one, else all of it.
2. ``answer_type == "int"``: the last integer in the span must equal the answer. Number words
   up to twenty count ("seven" == 7); write digits without separators ("1998", not "1,998").
   Put the final answer last: "42 is larger than 17" is read as 17.
3. ``answer_type == "ints"`` (sort_numbers): the integers in the span, in order, must equal the
   answer's.
4. ``answer_type == "text"``: words are compared in lower case without punctuation or the
   articles a/an/the. The span must be at most ``MAX_ANSWER_WORDS`` words and contain the answer's
   words in order; and it must name none of the task's ``distractors`` (the other candidates the
   story mentions), so "Mia found it." passes for "Mia" but "Mia or Tom" does not.

``Task.score`` is the reward: 1.0 when ``check`` passes, ``FORMAT_CREDIT`` (0.1) when it fails but
the span holds an answer of the right type (a number, a short phrase), else 0.0. Use ``check``
when you want a strict 0/1 reward.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from minillm.corpus import world as W
from minillm.corpus.stories import make_story

FORMAT_CREDIT = 0.1
MAX_ANSWER_WORDS = 16
ANSWER_TYPES = ("int", "ints", "text")

_END = re.compile(r"<\|endoftext\|>|\n\s*question\s*:", re.IGNORECASE)
_MARKER = re.compile(r"answer\s*(?:is\b|:)", re.IGNORECASE)
_INT = re.compile(r"-?\d+")
_NUMBER_WORD = re.compile(r"\b(" + "|".join(W.NUMBER_WORDS) + r")\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")
_FILLER = ("a", "an", "the")


@dataclass(frozen=True)
class Task:
    """One question with a reference answer and a program that checks responses.

    kind:        which generator made it ("add", "story_qa", ...; see ``KINDS``)
    question:    the instruction ("What is 3 + 4?")
    answer:      the reference answer as text ("7", "3, 5, 9", "Mia")
    answer_type: "int" | "ints" | "text": how ``check`` reads a response (module docstring)
    context:     text the question is about (the story for story_qa), else ""
    distractors: wrong candidates the context names; a text answer naming one fails
    """

    kind: str
    question: str
    answer: str
    answer_type: str = "text"
    context: str = ""
    distractors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.answer_type not in ANSWER_TYPES:
            raise ValueError(f"answer_type={self.answer_type!r}; valid: {ANSWER_TYPES}")

    @property
    def prompt(self) -> str:
        """Everything the model is shown: the context (if any), then the question."""
        return f"{self.context}\n\n{self.question}" if self.context else self.question

    def to_text(self, with_answer: bool = True) -> str:
        """Render as training text: '[context]\\n\\nQuestion: ...\\nAnswer: ...'.

        Without the answer it ends in 'Answer:' so a model's continuation is its response.
        """
        head = f"{self.context}\n\n" if self.context else ""
        tail = f" {self.answer}" if with_answer else ""
        return f"{head}Question: {self.question}\nAnswer:{tail}"

    def check(self, response: str) -> bool:
        """True when ``response`` states this task's answer (rules in the module docstring)."""
        return check_answer(self, response)

    def score(self, response: str) -> float:
        """1.0 if correct, FORMAT_CREDIT if wrong but well-formed, else 0.0."""
        if self.check(response):
            return 1.0
        return FORMAT_CREDIT if _well_formed(self.answer_type, answer_span(response)) else 0.0


def answer_span(response: str) -> str:
    """The part of a response that holds the final answer (rule 1 of the module docstring)."""
    end = _END.search(response)
    if end:
        response = response[: end.start()]
    matches = list(_MARKER.finditer(response))
    return response[matches[-1].end() :] if matches else response


def parse_ints(text: str) -> list[int]:
    """Integers in reading order; number words up to twenty count: 'two and 10' -> [2, 10]."""
    text = _NUMBER_WORD.sub(lambda m: str(W.NUMBER_WORDS.index(m.group(1).lower())), text)
    return [int(s) for s in _INT.findall(text)]


def normalize_words(text: str) -> list[str]:
    """Lower-case words without punctuation or articles: 'The Park!' -> ['park']."""
    return [w for w in _WORD.findall(text.lower()) if w not in _FILLER]


def _contains(words: list[str], sub: list[str]) -> bool:
    n = len(sub)
    return n > 0 and any(words[i : i + n] == sub for i in range(len(words) - n + 1))


def _well_formed(answer_type: str, span: str) -> bool:
    if answer_type in ("int", "ints"):
        return bool(parse_ints(span))
    return 0 < len(normalize_words(span)) <= MAX_ANSWER_WORDS


def check_answer(task: Task, response: str) -> bool:
    """Does ``response`` give ``task``'s answer? The one checker every task kind shares."""
    if not isinstance(response, str):
        raise TypeError(f"response must be a str, got {type(response).__name__}")
    span = answer_span(response)
    if task.answer_type == "int":
        found = parse_ints(span)
        return bool(found) and found[-1] == int(task.answer)
    if task.answer_type == "ints":
        return parse_ints(span) == parse_ints(task.answer)
    words = normalize_words(span)
    if not 0 < len(words) <= MAX_ANSWER_WORDS or not _contains(words, normalize_words(task.answer)):
        return False
    return not any(_contains(words, normalize_words(d)) for d in task.distractors)


# ---------------------------------------------------------------------------------------------
# Generators: one function per kind, each draws everything from the rng it is given.


def _pick(rng: random.Random, seq):
    return seq[rng.randrange(len(seq))]


def _operands(rng: random.Random) -> tuple[int, int]:
    """Mostly small numbers (a tiny model can learn them), sometimes up to three digits."""
    hi = _pick(rng, (9, 20, 99, 99, 999))
    return rng.randint(0, hi), rng.randint(0, hi)


def _add(rng: random.Random) -> Task:
    x, y = _operands(rng)
    q = _pick(
        rng,
        ("What is {x} + {y}?", "Add {x} and {y}.", "What is {x} plus {y}?", "Compute {x} + {y}."),
    )
    return Task("add", q.format(x=x, y=y), str(x + y), "int")


def _sub(rng: random.Random) -> Task:
    x, y = sorted(_operands(rng), reverse=True)  # no negative answers: kinder to tiny models
    q = _pick(
        rng,
        (
            "What is {x} - {y}?",
            "Subtract {y} from {x}.",
            "What is {x} minus {y}?",
            "Compute {x} - {y}.",
        ),
    )
    return Task("sub", q.format(x=x, y=y), str(x - y), "int")


def _mul(rng: random.Random) -> Task:
    x, y = rng.randint(0, 12), rng.randint(0, _pick(rng, (12, 12, 99)))
    q = _pick(
        rng,
        (
            "What is {x} * {y}?",
            "Multiply {x} by {y}.",
            "What is {x} times {y}?",
            "Compute {x} x {y}.",
        ),
    )
    return Task("mul", q.format(x=x, y=y), str(x * y), "int")


def _compare(rng: random.Random) -> Task:
    x, y = rng.sample(range(_pick(rng, (20, 100, 1000))), 2)
    if rng.random() < 0.5:
        q, ans = (
            _pick(rng, ("Which is larger, {x} or {y}?", "Which number is bigger: {x} or {y}?")),
            max(x, y),
        )
    else:
        q, ans = (
            _pick(rng, ("Which is smaller, {x} or {y}?", "Which number is less: {x} or {y}?")),
            min(x, y),
        )
    return Task("compare", q.format(x=x, y=y), str(ans), "int")


# Single words from the story world, for the letter tasks (no "piggy bank": one word each).
_WORD_POOLS: tuple[tuple[str, ...], ...] = tuple(
    tuple(w for w in pool if w.isalpha())
    for pool in (
        W.TRAITS,
        W.COLOURS,
        tuple(t.noun for t in W.THINGS),
        tuple(f for f, _ in W.FOODS),
        tuple(p.noun for p in W.PLACES),
        tuple(a for a, _ in W.ANIMALS),
    )
)


def _vocab_word(rng: random.Random) -> str:
    return _pick(rng, _pick(rng, _WORD_POOLS))


def _count_letters(rng: random.Random) -> Task:
    word = _vocab_word(rng)
    # Ask about a letter in the word most of the time, so answers are not mostly zero.
    letter = _pick(rng, word) if rng.random() < 0.8 else _pick(rng, "abcdefghijklmnopqrstuvwxyz")
    q = _pick(
        rng,
        (
            "How many times does the letter '{c}' appear in '{w}'?",
            "Count the letter '{c}' in the word '{w}'.",
        ),
    )
    return Task("count_letters", q.format(c=letter, w=word), str(word.count(letter)), "int")


def _reverse_word(rng: random.Random) -> Task:
    word = _vocab_word(rng)
    q = _pick(
        rng,
        (
            "Reverse the word '{w}'.",
            "Spell '{w}' backwards.",
            "Write the letters of '{w}' in reverse order.",
        ),
    )
    return Task("reverse_word", q.format(w=word), word[::-1], "text")


def _sort_numbers(rng: random.Random) -> Task:
    nums = [rng.randint(0, _pick(rng, (9, 50, 99))) for _ in range(rng.randint(3, 6))]
    desc = rng.random() < 0.3
    order = "from largest to smallest" if desc else "from smallest to largest"
    q = f"Sort these numbers {order}: {', '.join(map(str, nums))}."
    return Task("sort_numbers", q, ", ".join(map(str, sorted(nums, reverse=desc))), "ints")


def _plural(rng: random.Random) -> Task:
    pools = (W.ANIMALS, W.FOODS, [(t.noun, t.plural) for t in W.THINGS])
    one, many = _pick(rng, _pick(rng, pools))
    q = _pick(
        rng,
        (
            "What is the plural of '{w}'?",
            "Write the plural of the word '{w}'.",
            "One {w}, two what?",
        ),
    )
    return Task("plural", q.format(w=one), many, "text")


def _story_qa(rng: random.Random) -> Task:
    story = make_story(rng)
    sq = _pick(rng, story.questions)
    return Task(
        "story_qa",
        sq.question,
        sq.answer,
        "int" if sq.numeric else "text",
        context=story.text,
        distractors=sq.distractors,
    )


GENERATORS: dict[str, Callable[[random.Random], Task]] = {
    "add": _add,
    "sub": _sub,
    "mul": _mul,
    "compare": _compare,
    "count_letters": _count_letters,
    "reverse_word": _reverse_word,
    "sort_numbers": _sort_numbers,
    "plural": _plural,
    "story_qa": _story_qa,
}
KINDS: tuple[str, ...] = tuple(GENERATORS)


def _validate_kinds(kinds: Sequence[str] | None) -> tuple[str, ...]:
    if kinds is None:
        return KINDS
    if isinstance(kinds, str):  # a bare "add" would otherwise iterate as letters
        kinds = [kinds]
    kinds = tuple(kinds)
    if not kinds:
        raise ValueError(f"kinds is empty; choose from {', '.join(KINDS)}")
    for k in kinds:
        if k not in GENERATORS:
            raise ValueError(f"unknown task kind {k!r}; valid kinds: {', '.join(KINDS)}")
    return kinds


def make_task(rng: random.Random, kinds: Sequence[str] | None = None) -> Task:
    """One task of a kind drawn uniformly from ``kinds`` (default: all), using ``rng``."""
    kinds = _validate_kinds(kinds)
    return GENERATORS[_pick(rng, kinds)](rng)


def make_tasks(n: int, seed: int = 0, kinds: Sequence[str] | None = None) -> list[Task]:
    """``n`` tasks, kinds drawn uniformly from ``kinds``; the same list for the same seed."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n={n!r} must be a non-negative int")
    kinds = _validate_kinds(kinds)
    rng = random.Random(seed)
    return [GENERATORS[_pick(rng, kinds)](rng) for _ in range(n)]


def wrong_answer(task: Task, rng: random.Random) -> str:
    """A plausible but incorrect answer (for rejected responses in reward-model/DPO pairs)."""
    if task.answer_type == "int":
        value = int(task.answer)
        return str(
            value + _pick(rng, (-2, -1, 1, 2, 10)) if value > 2 else value + rng.randint(1, 3)
        )
    if task.answer_type == "ints":
        nums = parse_ints(task.answer)
        if len(set(nums)) > 1:
            shuffled = nums[:]
            while shuffled == nums:
                rng.shuffle(shuffled)
            return ", ".join(map(str, shuffled))
        return ", ".join(map(str, nums + [nums[0] + 1]))
    if task.distractors:
        return _pick(rng, task.distractors)
    if task.kind == "reverse_word":
        return task.answer[::-1] if task.answer[::-1] != task.answer else task.answer + "a"
    if task.kind == "plural":
        return task.answer + "s"
    other = _vocab_word(rng)
    while normalize_words(other) == normalize_words(task.answer):
        other = _vocab_word(rng)
    return other
