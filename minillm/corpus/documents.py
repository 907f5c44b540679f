"""The course corpus: seeded stories plus checkable tasks, as one stream of documents.

Format (the tokenizer relies on it): documents are joined by ``DOC_SEPARATOR``, a line holding
only ``<|endoftext|>``::

    Once upon a time, there was a shy little fox named Pip. ...
    <|endoftext|>
    Question: What is 3 + 4?
    Answer: 7
    <|endoftext|>
    ...

``EOT = "<|endoftext|>"`` is the GPT-2 end-of-text string; a tokenizer should register it as a
special token so it becomes one id, and ``split_documents`` undoes the join. Documents never
contain ``EOT`` and never start or end with whitespace. The text is pure ASCII, so its length
in characters equals its size in UTF-8 bytes.

A document is a story (``stories.py``) or, with probability ``task_fraction``, a block of 1-4
tasks (``tasks.py``) rendered as 'Question: ...\\nAnswer: ...' and separated by blank lines.

Determinism: one ``random.Random(seed)`` drives everything (no global RNG, no hash or set order),
so the same seed gives the same bytes on every machine and Python >= 3.10.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

from minillm.corpus.stories import make_story
from minillm.corpus.tasks import _validate_kinds, make_task

EOT = "<|endoftext|>"
DOC_SEPARATOR = f"\n{EOT}\n"
DEFAULT_TASK_FRACTION = 0.1


def _check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed={seed!r} must be an int (it seeds random.Random)")


def iter_documents(
    seed: int = 0,
    task_fraction: float = DEFAULT_TASK_FRACTION,
    kinds: Sequence[str] | None = None,
) -> Iterator[str]:
    """An endless, deterministic stream of documents (stories and task blocks).

    seed:          the stream is a pure function of it
    task_fraction: probability that a document is a block of tasks instead of a story
    kinds:         task kinds to draw from (default: all of ``tasks.KINDS``)
    """
    _check_seed(seed)
    if not 0.0 <= task_fraction <= 1.0:
        raise ValueError(f"task_fraction={task_fraction!r} must be in [0, 1]")
    # Validate now, not at the first next(): a generator function would defer these errors.
    return _documents(random.Random(seed), task_fraction, _validate_kinds(kinds))


def _documents(rng: random.Random, task_fraction: float, kinds: tuple[str, ...]) -> Iterator[str]:
    while True:
        if rng.random() < task_fraction:
            n = rng.randint(1, 4)
            yield "\n\n".join(make_task(rng, kinds).to_text() for _ in range(n))
        else:
            yield make_story(rng).text


def generate_corpus(
    n_bytes: int,
    seed: int = 0,
    task_fraction: float = DEFAULT_TASK_FRACTION,
    kinds: Sequence[str] | None = None,
) -> str:
    """The first whole documents of ``iter_documents(seed, ...)`` reaching ``n_bytes``.

    Joined by ``DOC_SEPARATOR``; never cut inside a document, so the result is at least
    ``n_bytes`` long and overshoots by less than one document (plus separator). Same arguments,
    same string. ``n_bytes=0`` gives "".
    """
    if isinstance(n_bytes, bool) or not isinstance(n_bytes, int) or n_bytes < 0:
        raise ValueError(f"n_bytes={n_bytes!r} must be a non-negative int")
    parts: list[str] = []
    size = 0
    docs = iter_documents(seed, task_fraction, kinds)
    while size < n_bytes:
        if parts:
            parts.append(DOC_SEPARATOR)
            size += len(DOC_SEPARATOR)
        doc = next(docs)
        parts.append(doc)
        size += len(doc)
    return "".join(parts)


def split_documents(text: str) -> list[str]:
    """Undo the join: ``split_documents(generate_corpus(...))`` gives the documents back."""
    return text.split(DOC_SEPARATOR) if text else []


def iter_stories(seed: int = 0) -> Iterator[str]:
    """Only stories (no tasks): ``iter_documents(seed, task_fraction=0.0)``."""
    return iter_documents(seed, task_fraction=0.0)
