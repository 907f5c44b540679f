"""The story writer's toolkit: characters, things, and sentence helpers shared by every plot.

``Writer`` wraps one ``random.Random`` and draws from the world (``world/``): a character with a
name and pronouns, a thing made of a material, a time of day that agrees with the weather, a line
of dialogue whose speech verb fits its punctuation. Plots (``storylines/``) call it; nothing here
knows any plot.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from minillm.corpus import world as W
from minillm.corpus.world import HE, SHE, Material, Place, Pronouns, Thing


@dataclass(frozen=True)
class StoryQuestion:
    question: str  # "Who found the jar?"
    answer: str  # "Mia"
    distractors: tuple[str, ...] = ()  # other candidates named in the story ("Tom")
    numeric: bool = False  # the answer is a count ("7"): checked as a number


@dataclass(frozen=True)
class Story:
    plot: str  # a key of stories.PLOTS: "lost_found", "accident", ...
    text: str
    questions: tuple[StoryQuestion, ...]


@dataclass(frozen=True)
class Character:
    name: str  # "Mia", or "Pip" for an animal
    kind: str  # "girl", "fox"
    pro: Pronouns

    @property
    def intro(self) -> str:
        """The short way to introduce them mid-story: 'Mia', or 'Pip the fox'."""
        return self.name if self.kind in ("girl", "boy") else f"{self.name} the {self.kind}"


@dataclass(frozen=True)
class Item:
    thing: Thing
    material: Material
    colour: str

    @property
    def noun(self) -> str:
        return self.thing.noun

    @property
    def full(self) -> str:  # "red glass jar"
        return f"{self.colour} {self.material.name} {self.thing.noun}"


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def a(phrase: str) -> str:
    """English indefinite article: a("owl") -> "an owl", a("unicorn") -> "a unicorn"."""
    low = phrase.lower()
    vowel_sound = low[:1] in "aeiou" and not low.startswith(("uni", "use", "eu"))
    return ("an " if vowel_sound or low.startswith("honest") else "a ") + phrase


def count(n: int, singular: str, plural: str) -> str:
    """count(3, "apple", "apples") -> "three apples"."""
    word = W.NUMBER_WORDS[n] if n < len(W.NUMBER_WORDS) else str(n)
    return f"{word} {singular if n == 1 else plural}"


class Writer:
    """Draws characters and things from the world with one rng; plots call it."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used_names: list[str] = []

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def character(self, human: bool | None = None, kind: str | None = None) -> Character:
        rng = self.rng
        pro = HE if rng.random() < 0.5 else SHE
        if human is None:
            human = kind is None and rng.random() < 0.55
        if human:
            pool = W.BOY_NAMES if pro is HE else W.GIRL_NAMES
            kind = "boy" if pro is HE else "girl"
        else:
            pool = W.PET_NAMES
            kind = kind or self.pick(W.ANIMALS)[0]
        name = self.pick(pool)
        while name in self.used_names:
            name = self.pick(pool)
        self.used_names.append(name)
        return Character(name, kind, pro)

    def item(self) -> Item:
        """A thing, one of the materials it can be made of, and a colour or look."""
        thing = self.pick(W.THINGS)
        material = W.MATERIAL_BY_NAME[self.pick(thing.materials)]
        colour = self.pick(W.COLOURS) if self.rng.random() < 0.8 else self.pick(W.LOOKS)
        if material.name in ("chocolate", "butter", "ice", "wax"):  # no "blue chocolate"
            colour = self.pick(("little", "small", "big", "shiny", "lovely", "fine"))
        return Item(thing, material, colour)

    def intro(self, c: Character, trait: str) -> str:
        kind = c.kind
        forms = (
            f"Once upon a time, there was {a(trait)} little {kind} named {c.name}.",
            f"{c.name} was {a(trait)} {kind} who lived in a small house by a big tree.",
            f"There once lived {a(kind)} called {c.name}. {cap(c.pro.subj)} was very {trait}.",
            f"In a quiet village, there lived {a(trait)} {kind}. {cap(c.pro.poss)} name was {c.name}.",
            f"{c.intro} was {trait}, and everyone in the village knew it.",
            f"Once there was {a(kind)} named {c.name}, and everyone said {c.pro.subj} was very {trait}.",
        )
        first = self.pick(forms)
        deed = W.TRAIT_DEEDS.get(trait)
        if deed is None or self.rng.random() < 0.4:
            return first
        deed = deed.format(subj=c.pro.subj, obj=c.pro.obj, poss=c.pro.poss)
        return (
            f"{first} {cap(deed)}."
            if self.rng.random() < 0.5
            else f"{first} {cap(c.pro.subj)} was so {trait} that {deed}."
        )

    def toys(self, c: Character, item: Item) -> str:
        """'He had many toys: drums, kites and robots, but his favorite was ...' (sometimes)."""
        if self.rng.random() < 0.5:
            return ""
        others = [t for t in self.rng.sample(W.THINGS, 4) if t.noun != item.noun][:3]
        return (
            f"{cap(c.pro.subj)} had lots of things: {others[0].plural}, {others[1].plural} and "
            f"{others[2].plural}. But {c.pro.poss} favorite was {a(item.full)}."
        )

    def moral(self) -> str:
        """A closing moral, a third of the time."""
        return self.pick(W.MORALS) if self.rng.random() < 0.33 else ""

    def sound(self, species: str) -> str:
        """'The cow mooed.' for animals that have a sound, else ''."""
        verb = W.SOUNDS.get(species)
        return (
            f"The {species} {verb} {self.pick(('happily', 'loudly', 'softly', 'twice'))}."
            if verb
            else ""
        )

    def looks(self, c: Character) -> str:
        """'She had long ears and a pink nose.' (half the time: not every story describes)."""
        if self.rng.random() < 0.5:
            return ""
        if c.kind in ("girl", "boy"):  # one hair and one face feature: never two hair styles
            return f"{cap(c.pro.subj)} had {self.pick(W.HAIR)} and {self.pick(W.FACES)}."
        if c.kind in W.FURRY:
            pool = W.FUR_LOOKS + W.ANIMAL_LOOKS
        elif c.kind in W.BIRDS:
            pool = W.BIRD_LOOKS + W.ANIMAL_LOOKS
        else:
            pool = W.ANIMAL_LOOKS
        first, second = self.rng.sample(pool, 2)
        return f"{cap(c.pro.subj)} had {first} and {second}."

    def when(self, weather: str | None = None) -> str:
        """An opening time phrase; with ``weather``, one that agrees with it."""
        rng = self.rng
        if weather is None:
            r = rng.random()
            if r < 0.5:
                return self.pick(W.TIMES)
            return f"On {self.pick(W.DAYS)}" if r < 0.75 else f"One day in {self.pick(W.MONTHS)}"
        day = self.pick(W.DAYS)
        return self.pick(_WHEN[weather]).format(day=day)

    def dress(self, c: Character, weather: str) -> str:
        """The clothes rule: cold -> warm things, rain -> waterproof things, heat -> light things."""
        first, second = self.rng.sample(W.CLOTHES[weather], 2)
        why = {"cold": "to stay warm", "rainy": "to stay dry", "hot": "to stay cool"}[weather]
        return self.pick(
            (
                f"It was {weather} outside, so {c.name} put on {c.pro.poss} {first} and {c.pro.poss} {second}.",
                f"Because it was {weather}, {c.name} wore {c.pro.poss} {first} and {c.pro.poss} {second} {why}.",
            )
        )

    def scene(self, place: Place) -> str:
        """A sentence about what one can see at a place."""
        s1, s2 = self.rng.sample(place.sights, 2)
        adj1, adj2 = self.rng.sample(W.SCENE_ADJECTIVES, 2)
        return self.pick(
            (
                f"There were {adj1} {s1} and {adj2} {s2} everywhere.",
                f"At the {place.noun} they saw {adj1} {s1} and {s2}.",
                f"The {place.noun} was full of {s1} and {s2}.",
            )
        )

    def say(self, who: Character, line: str, verb: str = "") -> str:
        """Dialogue with the speaker before or after the words, for varied sentence shapes.
        The speech verb (and adverb) fits the punctuation unless the plot gives the verb: a
        question is asked, not said."""
        line = cap(line)
        end, body = (line[-1], line[:-1]) if line[-1] in ".!?" else (".", line)
        forced = bool(verb)
        verb = verb or self.pick(_SPEECH[end])
        comma = "," if end == "." else end
        r = self.rng.random()
        if r < 0.45:
            return f'"{body}{comma}" {verb} {who.name}.'
        if r < 0.8 or forced:
            return f'{who.name} {verb}, "{body}{end}"'
        return f'"{body}{comma}" {who.name} {verb} {self.pick(_MANNER[end])}.'


_WHEN = {
    "cold": (
        "One cold winter morning",
        "On a frosty {day}",
        "One snowy {day}",
        "On a chilly {day} in winter",
    ),
    "rainy": (
        "One rainy afternoon",
        "On a wet {day} in spring",
        "One gray and rainy {day}",
        "On a stormy autumn {day}",
    ),
    "hot": (
        "On a warm summer day",
        "One sunny {day} morning",
        "On a hot {day} in summer",
        "One bright summer {day}",
    ),
}

_MANNER = {
    ".": ("softly", "calmly", "kindly", "quietly", "gently", "warmly", "politely", "slowly"),
    "!": ("loudly", "excitedly", "happily", "eagerly", "brightly", "cheerfully"),
    "?": ("softly", "shyly", "politely", "curiously", "quietly"),
}
_SPEECH = {
    ".": ("said", "said", "said", "whispered", "murmured", "explained"),
    "!": ("shouted", "cried", "called", "exclaimed", "yelled", "squeaked", "laughed"),
    "?": ("asked", "wondered", "asked", "called"),
}


def join_paragraphs(*paragraphs: list[str]) -> str:
    # Empty strings are optional sentences a plot chose to skip.
    return "\n\n".join(" ".join(x for x in p if x) for p in paragraphs)


def plural(noun: str) -> str:
    """Regular English plural for the world's nouns: fox -> foxes, berry -> berries."""
    if noun.endswith(("s", "x", "ch", "sh")) or noun.endswith("to"):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"
