"""Old home of the corpus generator, kept so ``from minillm.data.synthetic import ...`` works.

New code imports from ``minillm.corpus`` (the generator moved there with the story world).
"""

from minillm.corpus.documents import (  # noqa: F401 (re-exported for old import paths)
    DEFAULT_TASK_FRACTION,
    DOC_SEPARATOR,
    EOT,
    generate_corpus,
    iter_documents,
    iter_stories,
    split_documents,
)
