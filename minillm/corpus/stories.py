"""Short stories from the small world in ``world/``, each with questions its text answers.

A story is built from a plot in ``storylines/``: ``sharing`` (lost and found, sharing, a gift
passed on), ``outings`` (a race, an errand, a birthday), ``dream``, or ``causes`` (an accident
whose outcome follows from what a thing is made of, a helper with the right body for the job, a
garden, a float-or-sink experiment). Every choice is drawn from one ``random.Random``, so
``make_story(random.Random(seed))`` is the same story on every machine. Each plot also records
questions whose answers it wrote into the text ("Who found the jar?" -> "Mia"): ``tasks.py``
turns them into checkable ``story_qa`` tasks.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from minillm.corpus.storylines import causes, dream, outings, sharing
from minillm.corpus.writer import Story, StoryQuestion, Writer

__all__ = ["PLOTS", "Story", "StoryQuestion", "make_story"]

# Insertion order is the draw order: changing it changes every corpus (see the fingerprint test).
PLOTS: dict[str, Callable[[Writer], Story]] = {
    "lost_found": sharing.lost_found,
    "accident": causes.accident,
    "sharing": sharing.sharing,
    "gift": sharing.gift,
    "helper": causes.helper,
    "race": outings.race,
    "garden": causes.garden,
    "errand": outings.errand,
    "birthday": outings.birthday,
    "experiment": causes.experiment,
    "dream": dream.dream,
}


def make_story(rng: random.Random, plot: str | None = None) -> Story:
    """One story drawn with ``rng`` (plot chosen at random unless given)."""
    if plot is None:
        plot = list(PLOTS)[rng.randrange(len(PLOTS))]
    if plot not in PLOTS:
        raise ValueError(f"unknown plot {plot!r}; valid plots: {', '.join(PLOTS)}")
    return PLOTS[plot](Writer(rng))
