r"""minillm.data: from text to training batches.

    >>> from minillm.data import read_text
    >>> text = read_text("my_notes/")              # doctest: +SKIP

Modules:
    text      read_text, iter_text_files, read_text_file: the learner's own UTF-8 text, joined
              with the corpus separator
    dataset   token files (write_token_file, TokenFile), train/val split, window samplers

The synthetic course corpus (stories, tasks, ``generate_corpus``) lives in ``minillm.corpus``;
its names still resolve here so that ``from minillm.data import generate_corpus`` keeps
working.
"""

from minillm.data.text import iter_text_files, read_text, read_text_file

__all__ = ["iter_text_files", "read_text", "read_text_file"]


def __getattr__(name: str):
    """The corpus names (EOT, generate_corpus, ...) still resolve here, from minillm.corpus."""
    import minillm.corpus

    if name in minillm.corpus.__all__:
        return getattr(minillm.corpus, name)
    raise AttributeError(f"module 'minillm.data' has no attribute {name!r}")
