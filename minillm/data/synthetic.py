"""Old home of the corpus generator, kept so ``from minillm.data.synthetic import ...`` works.

New code imports from ``minillm.corpus`` (the generator moved there with the story world).
"""

from minillm.corpus import documents as _documents


def __getattr__(name: str):
    return getattr(_documents, name)  # AttributeError names minillm.corpus.documents
