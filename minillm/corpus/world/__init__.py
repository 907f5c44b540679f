"""The small world the course stories happen in: word lists and the rules that connect them.

One module per topic (``characters``, ``things``, ``places``, ``everyday``); every name is
re-exported here, so plots and tasks read ``W.NAME`` with ``from minillm.corpus import world as W``.

Everything here is plain data (tuples, never sets or dicts iterated for order) so that a
generator drawing from it with ``random.Random(seed)`` produces the same text on every machine.

The rules are few and physical ("a fragile thing that is dropped breaks"), so a tiny model can
learn real cause and effect; ``things`` lists them beside the materials that carry them.

The stories combine these lists compositionally (a colour, a material, a thing, a place, a
trait, an action ...), which is how the corpus reaches a few thousand distinct words from tables
a reader can scan in a few minutes.
"""

from minillm.corpus.world.characters import (
    ANIMAL_LOOKS,
    ANIMALS,
    BAD_FEELINGS,
    BIRD_LOOKS,
    BIRDS,
    BOY_NAMES,
    FACES,
    FEELINGS,
    FUR_LOOKS,
    FURRY,
    GIRL_NAMES,
    HAIR,
    HE,
    HELPERS,
    PET_NAMES,
    SHE,
    SOUNDS,
    SURNAMES,
    TITLES,
    TRAIT_DEEDS,
    TRAITS,
    Pronouns,
)
from minillm.corpus.world.everyday import (
    ACTIVITIES,
    ADVERBS,
    BAKED,
    DISTRACTIONS,
    FOODS,
    JOBS,
    MORALS,
    MOVES,
    NUMBER_WORDS,
    PLANTS,
    PRODUCE,
    SCENE_ADJECTIVES,
    SHOPS,
    SPEECH_VERBS,
    SWEETS,
    VEHICLES,
)
from minillm.corpus.world.places import (
    CLOTHES,
    DAYS,
    LANDMARKS,
    MONTHS,
    PLACES,
    SEASONS,
    SKIES,
    TIMES,
    WEATHER,
    Place,
)
from minillm.corpus.world.things import (
    COLOURS,
    LOOKS,
    MATERIAL_BY_NAME,
    MATERIALS,
    SIZES,
    THINGS,
    Material,
    Thing,
)

__all__ = [
    "ACTIVITIES",
    "ADVERBS",
    "ANIMALS",
    "ANIMAL_LOOKS",
    "BAD_FEELINGS",
    "BAKED",
    "BIRDS",
    "BIRD_LOOKS",
    "BOY_NAMES",
    "CLOTHES",
    "COLOURS",
    "DAYS",
    "DISTRACTIONS",
    "FACES",
    "FEELINGS",
    "FOODS",
    "FURRY",
    "FUR_LOOKS",
    "GIRL_NAMES",
    "HAIR",
    "HE",
    "HELPERS",
    "JOBS",
    "LANDMARKS",
    "LOOKS",
    "MATERIALS",
    "MATERIAL_BY_NAME",
    "MONTHS",
    "MORALS",
    "MOVES",
    "Material",
    "NUMBER_WORDS",
    "PET_NAMES",
    "PLACES",
    "PLANTS",
    "PRODUCE",
    "Place",
    "Pronouns",
    "SCENE_ADJECTIVES",
    "SEASONS",
    "SHE",
    "SHOPS",
    "SIZES",
    "SKIES",
    "SOUNDS",
    "SPEECH_VERBS",
    "SURNAMES",
    "SWEETS",
    "THINGS",
    "TIMES",
    "TITLES",
    "TRAITS",
    "TRAIT_DEEDS",
    "Thing",
    "VEHICLES",
    "WEATHER",
]
