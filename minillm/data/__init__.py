r"""minillm.data: the text every course model learns from.

A tour (everything is offline and seeded; same seed, same bytes, on any machine):

    >>> from minillm.data import generate_corpus, split_documents
    >>> text = generate_corpus(10_000, seed=0)     # >= 10 kB of whole documents
    >>> docs = split_documents(text)               # they are joined by "\n<|endoftext|>\n"
    >>> text == generate_corpus(10_000, seed=0), len(text) >= 10_000
    (True, True)

Stories come from a small world (``world.py``: characters, things and what they are made of,
places, and rules such as "glass breaks when dropped"); ``stories.py`` writes them with plots
whose questions the text answers. ``tasks.py`` makes instruction/answer tasks whose answers a
program checks; the SFT, reward-model, DPO and GRPO lessons reuse them:

    >>> from minillm.data import Task, make_tasks
    >>> tasks = make_tasks(100, seed=0)            # kinds: add, sub, ..., story_qa
    >>> task = Task("add", "What is 3 + 4?", "7", answer_type="int")
    >>> print(task.to_text())
    Question: What is 3 + 4?
    Answer: 7
    >>> task.check("The answer is 7."), task.check("8"), task.score("8")
    (True, False, 0.1)

``text.py`` reads your own text instead: ``read_text("notes/")`` joins every .txt/.md file under
a folder with the same separator.

Modules:
    world         word lists and the physical rules of the story world (data only)
    writer        Writer: draws characters and things, writes dialogue; Story, StoryQuestion
    plots_people  lost_found, sharing, gift, race, errand, birthday, dream
    plots_causes  accident, helper, garden, experiment (outcomes follow the world's rules)
    stories       make_story(rng, plot=None) -> Story(text, questions); PLOTS
    tasks         Task, make_tasks, check_answer, wrong_answer, KINDS
    synthetic     iter_documents, generate_corpus, split_documents, EOT, DOC_SEPARATOR;
                  `python -m minillm.data --bytes N --out FILE` writes a corpus file
    text          read_text, iter_text_files
"""

from minillm.data.stories import Story, StoryQuestion, make_story
from minillm.data.synthetic import (
    DOC_SEPARATOR,
    EOT,
    generate_corpus,
    iter_documents,
    iter_stories,
    split_documents,
)
from minillm.data.tasks import KINDS, Task, check_answer, make_task, make_tasks, wrong_answer
from minillm.data.text import iter_text_files, read_text, read_text_file

__all__ = [
    "DOC_SEPARATOR",
    "EOT",
    "KINDS",
    "Story",
    "StoryQuestion",
    "Task",
    "check_answer",
    "generate_corpus",
    "iter_documents",
    "iter_stories",
    "iter_text_files",
    "make_story",
    "make_task",
    "make_tasks",
    "read_text",
    "read_text_file",
    "split_documents",
    "wrong_answer",
]
