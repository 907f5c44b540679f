r"""minillm.data: from text to training batches.

    >>> from minillm.data import read_text
    >>> text = read_text("my_notes/")              # doctest: +SKIP

Modules:
    text      read_text, iter_text_files, read_text_file: the learner's own UTF-8 text, joined
              with the corpus separator
    dataset   token files (write_token_file, TokenFile), train/val split, window samplers

The synthetic course corpus (stories, tasks, ``generate_corpus``) lives in ``minillm.corpus``;
its names are re-exported here so that ``from minillm.data import generate_corpus`` keeps
working.
"""

from minillm.corpus import (
    DOC_SEPARATOR,
    EOT,
    KINDS,
    Story,
    StoryQuestion,
    Task,
    check_answer,
    generate_corpus,
    iter_documents,
    iter_stories,
    make_story,
    make_task,
    make_tasks,
    split_documents,
    wrong_answer,
)
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
