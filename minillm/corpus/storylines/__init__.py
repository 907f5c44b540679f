"""The story plots ("storylines", to tell them from charts): each is ``fn(Writer) -> Story``.

``minillm.corpus.stories.PLOTS`` lists them in draw order; each module groups plots by idea.
"""
