r"""minillm.corpus: the seeded synthetic text every course model learns from.

A tour (everything is offline and seeded; same seed, same bytes, on any machine):

    >>> from minillm.corpus import generate_corpus, split_documents
    >>> text = generate_corpus(10_000, seed=0)     # >= 10 kB of whole documents
    >>> docs = split_documents(text)               # they are joined by "\n<|endoftext|>\n"
    >>> text == generate_corpus(10_000, seed=0), len(text) >= 10_000
    (True, True)

Stories come from a small world (``world``: characters, things and what they are made of,
places, and rules such as "glass breaks when dropped"); ``stories`` writes them with storylines
whose questions the text answers. ``tasks`` makes instruction/answer tasks whose answers a
program checks; the SFT, reward-model, DPO and GRPO lessons reuse them:

    >>> from minillm.corpus import Task, make_tasks
    >>> tasks = make_tasks(100, seed=0)            # kinds: add, sub, ..., story_qa
    >>> task = Task("add", "What is 3 + 4?", "7", answer_type="int")
    >>> print(task.to_text())
    Question: What is 3 + 4?
    Answer: 7
    >>> task.check("The answer is 7."), task.check("8"), task.score("8")
    (True, False, 0.1)

Modules:
    world         word lists and the physical rules of the story world (data only)
    writer        Writer: draws characters and things, writes dialogue; Story, StoryQuestion
    storylines    the story plots, one ``fn(Writer) -> Story`` each
    stories       make_story(rng, plot=None) -> Story(text, questions); PLOTS
    tasks         Task, make_tasks, check_answer, wrong_answer, KINDS
    documents     iter_documents, generate_corpus, split_documents, EOT, DOC_SEPARATOR

``minillm corpus --bytes N --out FILE`` writes a corpus file. Reading your own text instead
(``read_text``) lives in ``minillm.data``, with token files and batching.
"""

from minillm.corpus.documents import (
    DEFAULT_TASK_FRACTION,
    DOC_SEPARATOR,
    EOT,
    generate_corpus,
    iter_documents,
    iter_stories,
    split_documents,
)
from minillm.corpus.stories import PLOTS, Story, StoryQuestion, make_story
from minillm.corpus.tasks import KINDS, Task, check_answer, make_task, make_tasks, wrong_answer

__all__ = [
    "DEFAULT_TASK_FRACTION",
    "DOC_SEPARATOR",
    "EOT",
    "KINDS",
    "PLOTS",
    "Story",
    "StoryQuestion",
    "Task",
    "check_answer",
    "generate_corpus",
    "iter_documents",
    "iter_stories",
    "make_story",
    "make_task",
    "make_tasks",
    "split_documents",
    "wrong_answer",
]
