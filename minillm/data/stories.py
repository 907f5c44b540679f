"""Short stories from the small world in ``world.py``, each with questions its text answers.

A story is built from a plot (lost and found, an accident whose outcome follows from what a thing
is made of, sharing food, a gift passed on, a helper with the right body for the job). Every
choice is drawn from one ``random.Random``, so ``make_story(random.Random(seed))`` is the same
story on every machine. The plot also records questions whose answers it wrote into the text
("Who found the jar?" -> "Mia"): ``tasks.py`` turns them into checkable ``story_qa`` tasks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from minillm.data import world as W
from minillm.data.world import HE, SHE, Material, Place, Pronouns, Thing


@dataclass(frozen=True)
class StoryQuestion:
    question: str  # "Who found the jar?"
    answer: str  # "Mia"
    distractors: tuple[str, ...] = ()  # other candidates named in the story ("Tom")
    numeric: bool = False  # the answer is a count ("7"): checked as a number


@dataclass(frozen=True)
class Story:
    plot: str  # "lost_found", "accident", "sharing", "gift", "helper"
    text: str
    questions: tuple[StoryQuestion, ...]


@dataclass(frozen=True)
class Character:
    name: str  # "Mia", or "Pip" for an animal
    kind: str  # "girl", "fox"
    pro: Pronouns

    @property
    def intro(self) -> str:
        """How the story first names them: 'a shy little fox named Pip' needs the trait, so
        the plot builds that; this is the short form for later mentions ('Pip the fox')."""
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
    """English indefinite article: a(""owl"") -> "an owl"."""
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def count(n: int, singular: str, plural: str) -> str:
    """count(3, "apple", "apples") -> "three apples"."""
    word = W.NUMBER_WORDS[n] if n < len(W.NUMBER_WORDS) else str(n)
    return f"{word} {singular if n == 1 else plural}"


class _Writer:
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

    def item(self, rule: str | None = None) -> Item:
        """A thing of a material; with ``rule``, draw until the material can show that rule
        either way (both outcomes happen in the corpus, so the model must read the material)."""
        thing = self.pick(W.THINGS)
        material = W.MATERIAL_BY_NAME[self.pick(thing.materials)]
        colour = self.pick(W.COLOURS) if self.rng.random() < 0.8 else self.pick(W.LOOKS)
        if material.name in ("chocolate", "butter", "ice", "wax", "gold"):
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
            f"Once there was {a(kind)} named {c.name}, and {c.pro.subj} was more {trait} than anyone in town.",
        )
        return self.pick(forms)

    def say(self, who: Character, line: str, verb: str = "") -> str:
        """Dialogue with the speaker before or after the words, for varied sentence shapes.
        The speech verb fits the punctuation unless given: a question is asked, not said."""
        line = cap(line)
        end, body = (line[-1], line[:-1]) if line[-1] in ".!?" else (".", line)
        verb = verb or self.pick(_SPEECH[end])
        comma = "," if end == "." else end
        r = self.rng.random()
        if r < 0.45:
            return f'"{body}{comma}" {verb} {who.name}.'
        if r < 0.8:
            return f'{who.name} {verb}, "{body}{end}"'
        return f'"{body}{comma}" {who.name} {verb} {self.pick(W.ADVERBS)}.'


_SPEECH = {
    ".": ("said", "replied", "whispered", "answered", "murmured", "said", "explained"),
    "!": ("shouted", "cried", "called", "exclaimed", "yelled", "squeaked", "laughed"),
    "?": ("asked", "wondered", "asked", "called"),
}


def _lost_found(w: _Writer) -> Story:
    rng = w.rng
    hero, friend = w.character(), w.character()
    trait = w.pick(W.TRAITS)
    item = w.item()
    place: Place = w.pick(W.PLACES)
    spot = w.pick(place.spots)
    act = w.pick(W.ACTIVITIES)
    finder = hero if rng.random() < 0.5 else friend
    other = friend if finder is hero else hero
    h, f = hero.pro, friend.pro
    p1 = [
        w.intro(hero, trait),
        w.pick(
            (
                f"{cap(h.subj)} had {a(item.full)}, and {h.subj} loved it more than anything.",
                f"{cap(h.poss)} favorite thing was {a(item.full)}.",
                f"{cap(h.subj)} took {h.poss} {item.full} everywhere {h.subj} went.",
            )
        ),
    ]
    p2 = [
        f"{w.pick(W.TIMES)}, {hero.name} {w.pick(W.MOVES)} to the {place.noun} with {h.poss} friend {friend.intro}.",
        f"There were {w.pick(place.sights)} and {w.pick(place.sights)} everywhere.",
        f"They {act[1]} until the sun went down.",
        f"{hero.name} put the {item.noun} down {spot} and forgot all about it.",
    ]
    p3 = [
        f"When {h.subj} got home, {hero.name} looked for {h.poss} {item.noun}, but it was gone.",
        f"{cap(h.subj)} felt very {w.pick(W.BAD_FEELINGS)}.",
        w.say(hero, f"I lost my {item.noun}!", w.pick(("cried", "sobbed", "wailed"))),
        w.say(friend, f"Do not worry. We will go back to the {place.noun} and look."),
    ]
    p4 = [
        f"The next morning they {w.pick(W.MOVES)} back to the {place.noun}.",
        f"{finder.name} looked {spot}, and there it was!",
        w.say(
            finder,
            f"I found your {item.noun}!" if finder is friend else f"Here is my {item.noun}!",
            "shouted",
        ),
        f"{hero.name} was so {w.pick(W.FEELINGS)} that {h.subj} gave {friend.name} a big hug."
        if finder is friend
        else f"{friend.name} clapped, and {f.subj} was {w.pick(W.FEELINGS)} for {hero.name}.",
        w.pick(
            (
                f"From that day on, {hero.name} always kept the {item.noun} close.",
                f"After that, {hero.name} never left {h.poss} {item.noun} behind again.",
                f"{hero.name} learned to look after the things {h.subj} loved.",
            )
        ),
    ]
    qs = (
        StoryQuestion(f"Who found the {item.noun}?", finder.name, (other.name,)),
        StoryQuestion(f"Where did {hero.name} leave the {item.noun}?", place.noun, ("home",)),
        StoryQuestion(f"What did {hero.name} lose?", item.noun, ()),
        StoryQuestion(f"What color was the {item.noun}?", item.colour, ())
        if item.colour in W.COLOURS
        else StoryQuestion(f"What was the {item.noun} made of?", item.material.name, ()),
    )
    return Story("lost_found", _join(p1, p2, p3, p4), qs)


# What happens to a thing under each event, by the world's rules: (outcome word, because-clause).
def _outcome(event: str, m: Material, noun: str) -> tuple[str, str, bool]:
    """-> (outcome verb, sentence explaining it, harmed?)."""
    mn = m.name
    if event == "drop":
        if m.fragile:
            return "broke", f"Because the {noun} was made of {mn}, it broke into many pieces.", True
        if m.bouncy:
            return (
                "bounced",
                f"Because the {noun} was made of {mn}, it bounced high and landed safely.",
                False,
            )
        return (
            "survived",
            f"The {noun} was made of {mn}, so it did not break. It only got a little dusty.",
            False,
        )
    if event == "water":
        if m.floats:
            return "floated", f"Because {mn} floats, the {noun} floated on top of the water.", False
        return "sank", f"Because {mn} is heavier than water, the {noun} sank to the bottom.", True
    if event == "melts":
        if m.melts:
            return (
                "melted",
                f"Because the {noun} was made of {mn}, it melted in the heat and lost its shape.",
                True,
            )
        return (
            "survived",
            f"The {noun} was made of {mn}, so the heat did not hurt it at all.",
            False,
        )
    if event == "soaks":
        if m.soaks:
            return (
                "got soggy",
                f"Because the {noun} was made of {mn}, it got soggy and fell apart.",
                True,
            )
        return (
            "survived",
            f"The {noun} was made of {mn}, so the rain did not hurt it. It just got wet.",
            False,
        )
    if event == "light":
        if m.light:
            return (
                "blew away",
                f"Because the {noun} was so light, the wind lifted it up, and it blew away.",
                True,
            )
        return (
            "survived",
            f"The {noun} was made of {mn}, and it was too heavy for the wind to move.",
            False,
        )
    raise ValueError(f"unknown event {event!r}")


_HOLDING = ("carefully", "gently", "tightly", "proudly", "happily", "with both hands")
OUTCOMES = ("broke", "bounced", "survived", "floated", "sank", "melted", "got soggy", "blew away")


def _accident(w: _Writer) -> Story:
    rng = w.rng
    hero, friend = w.character(), w.character(human=rng.random() < 0.5)
    trait = w.pick(W.TRAITS)
    item = w.item()
    place: Place = w.pick(W.PLACES)
    events = ["drop", "melts", "soaks", "light"] + (["water"] * 2 if place.water else [])
    event = w.pick(events)
    verb, because, harmed = _outcome(event, item.material, item.noun)
    h = hero.pro
    p1 = [
        w.intro(hero, trait),
        f"One day {hero.name} got {a(item.full)} from {h.poss} {w.pick(('grandma', 'grandpa', 'aunt', 'uncle', 'mom', 'dad', 'teacher'))}.",
        w.say(hero, f"I will show my {item.noun} to {friend.name} at the {place.noun}!", "said"),
    ]
    if event == "drop":
        trigger = f"On the way, {hero.name} tripped over {a(w.pick(('root', 'rock', 'stick', 'bump', 'shoe')))}, and the {item.noun} fell to the ground."
    elif event == "water":
        trigger = f"At the {place.noun}, {hero.name} leaned over the water to look at the fish, and the {item.noun} slipped into the water."
    else:
        weather = {e: t for t, e in W.WEATHER}[event]
        trigger = f"When {h.subj} got to the {place.noun}, {weather}."
    p2 = [
        f"{hero.name} {w.pick(W.MOVES)} to the {place.noun}, holding the {item.noun} {w.pick(_HOLDING)}.",
        trigger,
        because,
    ]
    if harmed:
        p3 = [
            f"{hero.name} felt {w.pick(W.BAD_FEELINGS)}, and a tear rolled down {h.poss} cheek.",
            w.say(
                friend,
                w.pick(
                    (
                        "It is all right. We can make a new one together.",
                        "Do not cry. Things can be fixed, and you are safe.",
                        "I will help you. That is what friends do.",
                    )
                ),
            ),
            f"So {hero.name} and {friend.name} {w.pick(('worked all afternoon', 'sat together', 'thought hard'))} and made a new {item.noun} out of {w.pick(('wood', 'paper', 'clay', 'felt'))}.",
            f"{hero.name} learned that things made of {item.material.name} need special care.",
        ]
    else:
        relief = {
            "floated": f"{hero.name} fished it out with a long stick and laughed with relief.",
            "bounced": f"{hero.name} caught it and laughed.",
        }.get(verb, f"{hero.name} picked it up and laughed with relief.")
        p3 = [
            relief,
            w.say(friend, f"Your {item.noun} is {'lucky' if verb == 'floated' else 'strong'}!"),
            f"Then the two friends {w.pick(W.ACTIVITIES)[1]} at the {place.noun} all day.",
            f"{hero.name} was {w.pick(W.FEELINGS)}, and the {item.noun} was still good as new.",
        ]
    qs = (
        StoryQuestion(f"What was the {item.noun} made of?", item.material.name, ()),
        StoryQuestion(
            f"What happened to the {item.noun}?",
            verb,
            tuple(o for o in OUTCOMES if o != verb and o != "survived"),
        )
        if verb != "survived"
        else StoryQuestion(f"Where did {hero.name} take the {item.noun}?", place.noun, ()),
        StoryQuestion(
            f"Who did {hero.name} want to show the {item.noun} to?", friend.name, (hero.name,)
        ),
    )
    return Story("accident", _join(p1, p2, p3), qs)


def _sharing(w: _Writer) -> Story:
    rng = w.rng
    hero, f1, f2 = w.character(), w.character(), w.character()
    trait = w.pick(W.TRAITS)
    food, foods = w.pick(W.FOODS)
    place: Place = w.pick(W.PLACES)
    n = rng.randint(4, 12)
    k1 = rng.randint(1, n // 2)
    k2 = rng.randint(1, n - k1 - 1) if n - k1 > 1 else 0
    left = n - k1 - k2
    h = hero.pro
    p1 = [
        w.intro(hero, trait),
        f"{w.pick(W.TIMES)}, {hero.name} picked {count(n, food, foods)} at the {place.noun} and put them in a basket.",
        w.say(hero, f"I have {count(n, food, foods)}!", "said"),
    ]
    p2 = [
        f"On the way home, {h.subj} met {f1.intro}, who looked {w.pick(('hungry', 'sad', 'tired', 'lonely'))}.",
        w.say(f1, f"May I have some {foods}?", "asked"),
        f"{hero.name} gave {count(k1, food, foods)} to {f1.name}.",
    ]
    if k2:
        p2 += [
            f"A little later, {h.subj} met {f2.intro}.",
            f"{f2.name} {w.pick(('smiled', 'waved', 'said hello'))}, so {hero.name} gave {f2.pro.obj} {count(k2, food, foods)}.",
        ]
    p3 = [
        f"Now {hero.name} had {count(left, food, foods)} left in the basket.",
        f"That evening, the friends sat together and ate their {foods}.",
        w.pick(
            (
                "Sharing made everything taste even better.",
                f"{hero.name} felt {w.pick(W.FEELINGS)}, because sharing is fun.",
                "Everyone went to bed with a full tummy and a happy heart.",
            )
        ),
    ]
    qs = [
        StoryQuestion(f"How many {foods} did {hero.name} pick?", str(n), numeric=True),
        StoryQuestion(
            f"How many {foods} did {hero.name} give to {f1.name}?", str(k1), numeric=True
        ),
        StoryQuestion(f"How many {foods} did {hero.name} have left?", str(left), numeric=True),
    ]
    if k2:
        qs.append(StoryQuestion(f"Who did {hero.name} meet first?", f1.name, (f2.name,)))
    return Story("sharing", _join(p1, p2, p3), tuple(qs))


def _gift(w: _Writer) -> Story:
    rng = w.rng
    hero, f1, f2 = w.character(), w.character(), w.character()
    trait = w.pick(W.TRAITS)
    item = w.item()
    p1_place, p2_place = rng.sample(W.PLACES, 2)
    h = hero.pro
    passes = rng.random() < 0.6  # does the first friend pass the gift on?
    end_holder = f2 if passes else f1
    p1 = [
        w.intro(hero, trait),
        f"{w.pick(W.TIMES)}, {hero.name} made {a(item.full)} as a present for {h.poss} friend {f1.intro}.",
        f"First {h.subj} {w.pick(W.MOVES)} to the {p1_place.noun}, then {h.subj} went on to the {p2_place.noun}, where {f1.name} lived.",
        w.say(hero, f"This {item.noun} is for you!", "said"),
        w.say(
            f1,
            w.pick(("Thank you! It is beautiful.", "Wow! I love it!", "Is it really for me?")),
            "said",
        ),
    ]
    if passes:
        p2 = [
            f"The next week, {f2.intro} was sick in bed.",
            f"{f1.name} wanted to cheer {f2.pro.obj} up, so {f1.pro.subj} gave the {item.noun} to {f2.name}.",
            w.say(f2, f"A {item.noun}! This is the best present ever.", "said"),
            f"When {hero.name} heard, {h.subj} was not cross at all. {cap(h.subj)} was {w.pick(W.FEELINGS)} that the {item.noun} made two friends smile.",
        ]
    else:
        p2 = [
            f"{f1.name} put the {item.noun} on {f1.pro.poss} shelf, where everyone could see it.",
            f"When {f2.intro} came to visit, {f2.pro.subj} asked if {f2.pro.subj} could have it.",
            w.say(
                f1,
                f"No, {f2.name}. {hero.name} made it for me, so I will keep it. But we can make one for you!",
                "said",
            ),
            f"And so they did, and everyone was {w.pick(W.FEELINGS)}.",
        ]
    qs = (
        StoryQuestion(
            f"Who had the {item.noun} at the end?",
            end_holder.name,
            tuple(c.name for c in (hero, f1, f2) if c is not end_holder),
        ),
        StoryQuestion(f"Who made the {item.noun}?", hero.name, (f1.name, f2.name)),
        StoryQuestion(f"Where did {hero.name} go first?", p1_place.noun, (p2_place.noun,)),
    )
    return Story("gift", _join(p1, p2), qs)


# Where a thing can get stuck, and which helpers can fix it (see world.HELPERS).
_STUCK = {
    "high": "{name} threw it up in the air, and it got stuck high in the branches of a tall tree",
    "water": "it rolled into the water, and because {mat} floats, it drifted far from the shore",
    "sunk": "it rolled into the water, and because {mat} is heavy, it sank to the bottom",
    "under": "it rolled under a big heavy rock",
    "deep": "it fell into a deep hole in the ground",
}


def _helper(w: _Writer) -> Story:
    hero = w.character()
    item = w.item()
    troubles = ["high", "under", "deep", "water" if item.material.floats else "sunk"]
    trouble = w.pick(troubles)
    helpers = [hl for hl in W.HELPERS if trouble in hl[2]]
    species, ability, _ = w.pick(helpers)
    helper = w.character(human=False, kind=species)
    decoy = w.character(
        human=False, kind=w.pick([hl[0] for hl in W.HELPERS if trouble not in hl[2]])
    )
    places = [p for p in W.PLACES if p.water] if trouble in ("water", "sunk") else list(W.PLACES)
    place: Place = w.pick(places)
    h = hero.pro
    p1 = [
        w.intro(hero, w.pick(W.TRAITS)),
        f"{w.pick(W.TIMES)}, {hero.name} was playing with {h.poss} {item.full} at the {place.noun}.",
        "Suddenly " + _STUCK[trouble].format(name=hero.name, mat=item.material.name) + ".",
        w.say(hero, f"Oh no! How will I get my {item.noun} back?", "cried"),
    ]
    p2 = [
        f"{decoy.intro} came by and tried to help, but {a(decoy.kind)} could not do it.",
        f"Then {helper.intro} came along.",
        w.say(helper, "Let me try!"),
        f"The {helper.kind} {ability}.",
        w.say(hero, f"Thank you, {helper.name}!"),
        f"{hero.name} and {helper.name} {w.pick(W.ACTIVITIES)[1]} together, and they became best friends.",
    ]
    qs = (
        StoryQuestion(
            f"Who helped {hero.name} get the {item.noun} back?", helper.name, (decoy.name,)
        ),
        StoryQuestion(f"What kind of animal was {helper.name}?", helper.kind, (decoy.kind,)),
        StoryQuestion(f"Where was {hero.name} playing?", place.noun, ()),
    )
    return Story("helper", _join(p1, p2), qs)


def _join(*paragraphs: list[str]) -> str:
    return "\n\n".join(" ".join(p) for p in paragraphs)


PLOTS = {
    "lost_found": _lost_found,
    "accident": _accident,
    "sharing": _sharing,
    "gift": _gift,
    "helper": _helper,
}


def make_story(rng: random.Random, plot: str | None = None) -> Story:
    """One story drawn with ``rng`` (plot chosen at random unless given)."""
    if plot is None:
        plot = list(PLOTS)[rng.randrange(len(PLOTS))]
    if plot not in PLOTS:
        raise ValueError(f"unknown plot {plot!r}; valid plots: {', '.join(PLOTS)}")
    return PLOTS[plot](_Writer(rng))
