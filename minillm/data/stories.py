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

    def item(self) -> Item:
        """A thing, one of the materials it can be made of, and a colour or look."""
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
        w.looks(hero),
        w.toys(hero, item)
        or w.pick(
            (
                f"{cap(h.subj)} had {a(item.full)}, and {h.subj} loved it more than anything.",
                f"{cap(h.poss)} favorite thing was {a(item.full)}.",
                f"{cap(h.subj)} took {h.poss} {item.full} everywhere {h.subj} went.",
            )
        ),
    ]
    p2 = [
        f"{w.when()}, {hero.name} {w.pick(W.MOVES)} to the {place.noun} with {h.poss} friend {friend.intro}.",
        w.scene(place),
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
    return Story("lost_found", _join(p1, p2, p3, p4 + [w.moral()]), qs)


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
        w.say(hero, f"I will show my {item.noun} to {friend.name} at the {place.noun}!"),
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
    return Story("accident", _join(p1, p2, p3 + [w.moral()]), qs)


def _get_food(w: _Writer, food: tuple[str, str], n: int) -> str:
    """'picked seven plums at the orchard': produce is picked, baked goods baked or bought."""
    what = count(n, *food)
    if food in W.PRODUCE:
        verb = "collected" if food[0] == "egg" else "picked"
        return f"{verb} {what} at the {w.pick(('orchard', 'garden', 'farm', 'valley'))}"
    if food in W.BAKED:
        return w.pick(
            (f"baked {what}", f"bought {what} at the bakery", f"made {what} with grandma")
        )
    return w.pick((f"won {what} at the fair", f"bought {what} at the market"))


def _sharing(w: _Writer) -> Story:
    rng = w.rng
    hero, f1, f2 = w.character(), w.character(), w.character()
    trait = w.pick(W.TRAITS)
    food, foods = w.pick(W.FOODS)
    n = rng.randint(4, 12)
    k1 = rng.randint(1, n // 2)
    k2 = rng.randint(1, n - k1 - 1) if n - k1 > 1 else 0
    left = n - k1 - k2
    h = hero.pro
    p1 = [
        w.intro(hero, trait),
        f"{w.when()}, {hero.name} {_get_food(w, (food, foods), n)} and put them in a basket.",
        w.say(hero, f"I have {count(n, food, foods)}!"),
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


# Places where a character can live.
_HOMES = (
    "village farm forest woods meadow valley island castle palace treehouse lighthouse cave pond "
    "river hill mountain jungle desert beach swamp marsh glade orchard barn garden harbor"
).split()


def _gift(w: _Writer) -> Story:
    rng = w.rng
    hero, f1, f2 = w.character(), w.character(), w.character()
    trait = w.pick(W.TRAITS)
    item = w.item()
    p1_place = w.pick(W.PLACES)
    p2_place = w.pick([p for p in W.PLACES if p.noun in _HOMES and p is not p1_place])
    h = hero.pro
    passes = rng.random() < 0.6  # does the first friend pass the gift on?
    end_holder = f2 if passes else f1
    p1 = [
        w.intro(hero, trait),
        f"{w.when()}, {hero.name} made {a(item.full)} as a present for {h.poss} friend {f1.intro}.",
        f"First {h.subj} {w.pick(W.MOVES)} to the {p1_place.noun}, then {h.subj} took the {w.pick(W.VEHICLES)} to the {p2_place.noun}, where {f1.name} lived.",
        w.say(hero, f"This {item.noun} is for you!"),
        w.say(
            f1, w.pick(("Thank you! It is beautiful.", "Wow! I love it!", "Is it really for me?"))
        ),
    ]
    if passes:
        p2 = [
            f"The next week, {f2.intro} was sick in bed.",
            f"{f1.name} wanted to cheer {f2.pro.obj} up, so {f1.pro.subj} gave the {item.noun} to {f2.name}.",
            w.say(f2, f"A {item.noun}! This is the best present ever."),
            f"When {hero.name} heard, {h.subj} was not cross at all. {cap(h.subj)} was {w.pick(W.FEELINGS)} that the {item.noun} made two friends smile.",
        ]
    else:
        p2 = [
            f"{f1.name} put the {item.noun} on {f1.pro.poss} shelf, where everyone could see it.",
            f"When {f2.intro} came to visit, {f2.pro.subj} asked if {f2.pro.subj} could have it.",
            w.say(
                f1,
                f"No, {f2.name}. {hero.name} made it for me, so I will keep it. But we can make one for you!",
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
    return Story("gift", _join(p1, p2 + [w.moral()]), qs)


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
        f"{w.when()}, {hero.name} was playing with {h.poss} {item.full} at the {place.noun}.",
        "Suddenly " + _STUCK[trouble].format(name=hero.name, mat=item.material.name) + ".",
        w.say(hero, f"Oh no! How will I get my {item.noun} back?", "cried"),
    ]
    p2 = [
        f"{decoy.intro} came by and tried to help, but {a(decoy.kind)} could not do it.",
        f"Then {helper.intro} came along.",
        w.sound(helper.kind),
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
    return Story("helper", _join(p1, p2 + [w.moral()]), qs)


def _join(*paragraphs: list[str]) -> str:
    # Empty strings are optional sentences a plot chose to skip.
    return "\n\n".join(" ".join(x for x in p if x) for p in paragraphs)


def plural(noun: str) -> str:
    """Regular English plural for the world's nouns: fox -> foxes, berry -> berries."""
    if noun.endswith(("s", "x", "ch", "sh")) or noun.endswith("to"):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def _race(w: _Writer) -> Story:
    rng = w.rng
    hero = w.character(human=False)
    rival = w.character(human=False)
    judge = w.character(human=False)
    landmark = w.pick(W.LANDMARKS)
    place: Place = w.pick(W.PLACES)
    distracted = rng.random() < 0.75  # the boaster stops on the way, the steady one wins
    winner, loser = (hero, rival) if distracted else (rival, hero)
    crowd1, crowd2 = (plural_ for _, plural_ in rng.sample(W.ANIMALS, 2))
    p1 = [
        w.intro(hero, w.pick(("patient", "careful", "calm", "quiet", "modest", "gentle"))),
        w.looks(hero),
        f"{rival.intro} was fast, and {rival.pro.subj} liked to boast about it.",
        w.say(rival, f"I am the fastest {rival.kind} at the {place.noun}! Nobody can beat me!"),
        w.say(hero, f"Let us have a race to the {landmark}."),
    ]
    p2 = [
        f"{w.when()}, all the {crowd1} and {crowd2} came to watch.",
        w.sound(judge.kind),
        w.say(judge, "Ready, set, go!", "shouted"),
        f"{rival.name} {w.pick(W.MOVES)} far ahead, and {hero.name} went slowly behind.",
    ]
    if distracted:
        p2 += [
            f"Halfway there, {rival.name} {w.pick(W.DISTRACTIONS)}.",
            f"{hero.name} did not stop. {cap(hero.pro.subj)} kept going, slow and steady.",
            f"When {rival.name} looked up, {hero.name} was already at the {landmark}!",
        ]
        p3 = [
            f"{hero.name} won the race, and everyone cheered.",
            w.say(rival, "You won fair and square. I should not have stopped."),
            f"From then on, {rival.name} did not boast so much.",
        ]
    else:
        p2 += [
            f"{rival.name} did not stop even once, and {rival.pro.subj} reached the {landmark} first.",
            f"{hero.name} came second, but {hero.pro.subj} was {w.pick(W.FEELINGS)} to have tried.",
        ]
        p3 = [
            f"{rival.name} won the race, and everyone cheered.",
            w.say(rival, f"Well done, {hero.name}. You ran a good race."),
            "Then the two of them shared a picnic by the finish line.",
        ]
    qs = (
        StoryQuestion("Who won the race?", winner.name, (loser.name,)),
        StoryQuestion("Where did the race end?", landmark, ()),
        StoryQuestion("Who started the race?", judge.name, (hero.name, rival.name)),
    )
    return Story("race", _join(p1, p2, p3 + [w.moral()]), qs)


def _garden(w: _Writer) -> Story:
    rng = w.rng
    hero, friend = w.character(), w.character()
    seed, grown = w.pick(W.PLANTS)
    n = rng.randint(2, 9)
    forgot = rng.random() < 0.5  # plants need water: forgetting it makes them wilt
    h = hero.pro
    relative = w.pick(("grandma", "grandpa", "aunt", "uncle", "neighbor"))
    p1 = [
        w.intro(
            hero, w.pick(("forgetful", "busy", "dreamy", "sleepy")) if forgot else w.pick(W.TRAITS)
        ),
        w.looks(hero),
        f"{w.when()}, {h.poss} {relative} gave {h.obj} {count(n, f'{seed} seed', f'{seed} seeds')}.",
        f"{hero.name} planted them in {a(w.pick(W.COLOURS))} flowerpot and put it by a sunny window.",
    ]
    if forgot:
        p2 = [
            f"But {hero.name} forgot to water the seeds, and the soil became dry.",
            "Because plants need water, the little shoots began to wilt and droop.",
            w.say(friend, "Your plants are thirsty! Let us water them."),
            f"{hero.name} and {friend.name} filled a watering can and gave the plants a long drink.",
            f"After that, {hero.name} watered them every morning, and they grew into {plural(grown)}.",
        ]
    else:
        p2 = [
            f"Every morning {hero.name} watered the seeds, and every afternoon the sun shone on them.",
            f"Because they had water and sunlight, they grew and grew into tall {plural(grown)}.",
            w.say(friend, f"Look how big your {plural(grown)} are!"),
        ]
    p3 = [
        f"{hero.name} showed them to {friend.intro}, who was {w.pick(W.FEELINGS)}.",
        w.pick(
            (
                f"{hero.name} learned that growing things takes care and patience.",
                "Soon the whole window was green and full of life.",
                f"Next spring, {hero.name} planted even more seeds.",
            )
        ),
    ]
    qs = (
        StoryQuestion(f"What did {hero.name} plant?", seed, ()),
        StoryQuestion(f"How many seeds did {hero.name} plant?", str(n), numeric=True),
        StoryQuestion(f"Who gave {hero.name} the seeds?", relative, (friend.name,)),
    )
    return Story("garden", _join(p1, p2, p3 + [w.moral()]), qs)


def _errand(w: _Writer) -> Story:
    rng = w.rng
    hero = w.character()
    h = hero.pro
    job, shop, goods = w.pick(W.SHOPS)
    title, _ = w.pick(W.TITLES)
    surname = w.pick(W.SURNAMES)
    (food1, foods1), (food2, foods2) = rng.sample(goods, 2)
    n1, n2 = rng.randint(1, 6), rng.randint(1, 6)
    extra = rng.random() < 0.5  # the shopkeeper adds one for free
    total = n1 + n2 + (1 if extra else 0)
    weather = w.pick(("cold", "rainy", "hot"))
    parent = w.pick(("mom", "dad", "grandma", "grandpa"))
    p1 = [
        w.intro(hero, w.pick(W.TRAITS)),
        w.looks(hero),
        f"{w.when(weather)}, {hero.name}'s {parent} said, "
        f'"Please go to the {shop} and buy {count(n1, food1, foods1)} and {count(n2, food2, foods2)}."',
        w.dress(hero, weather),
        w.pick(W.SKIES[weather]) if rng.random() < 0.6 else "",
    ]
    p2 = [
        f"{cap(h.subj)} took the {w.pick(W.VEHICLES)} to the {shop}.",
        f"{title} {surname} the {job} was behind the counter.",
        w.say(
            hero,
            f"Good morning! I would like {count(n1, food1, foods1)} and {count(n2, food2, foods2)}, please.",
        ),
        f"{title} {surname} put them in a paper bag.",
    ]
    if extra:
        p2.append(
            f"Then {title} {surname} added one more {food1} and said, "
            f'"This one is free, because you said please!"'
        )
    p3 = [
        f"When {hero.name} got home, {h.subj} put {count(total, 'thing', 'things')} on the table.",
        w.say(
            hero,
            w.pick(("I did it all by myself!", "Here is everything!", "The shopping is done!")),
        ),
        f"{hero.name}'s {parent} was {w.pick(W.FEELINGS)} and gave {h.obj} a big hug.",
    ]
    qs = (
        StoryQuestion(f"How many {foods2} did {hero.name} buy?", str(n2), numeric=True),
        StoryQuestion(f"Who sold the {foods1} to {hero.name}?", surname, ()),
        StoryQuestion(
            f"How many things did {hero.name} put on the table?", str(total), numeric=True
        ),
        StoryQuestion(
            f"What was the weather like when {hero.name} went to the {shop}?",
            weather,
            tuple(x for x in ("cold", "rainy", "hot") if x != weather),
        ),
    )
    return Story("errand", _join(p1, p2, p3 + [w.moral()]), qs)


_GAMES = (
    "musical chairs",
    "pass the parcel",
    "pin the tail on the donkey",
    "hopscotch",
    "tag",
    "musical statues",
    "duck duck goose",
    "charades",
    "sleeping lions",
    "hide and seek",
)


def _birthday(w: _Writer) -> Story:
    rng = w.rng
    hero = w.character()
    guests = [w.character() for _ in range(rng.randint(2, 4))]
    gifts = [w.item() for _ in guests]
    age = rng.randint(3, 10)
    cake = w.pick(("chocolate", "strawberry", "lemon", "carrot", "banana", "vanilla", "honey"))
    game1, game2 = rng.sample(_GAMES, 2)
    h = hero.pro
    names = [g.name for g in guests]
    p1 = [
        w.intro(hero, w.pick(W.TRAITS)),
        f"{w.when()}, it was {hero.name}'s birthday, and {h.subj} was {count(age, 'year', 'years')} old.",
        f"{cap(h.subj)} invited {', '.join(names[:-1])} and {names[-1]} to a party.",
        f"That made {count(len(guests), 'friend', 'friends')} in all.",
    ]
    p2 = []
    for guest, gift in zip(guests, gifts):
        p2.append(
            w.pick(
                (
                    f"{guest.name} brought {a(gift.full)} wrapped in {w.pick(W.COLOURS)} paper.",
                    f"{guest.name} gave {hero.name} {a(gift.full)} with a big bow on top.",
                    f"From {guest.name} there was {a(gift.full)}.",
                )
            )
        )
    p2 += [
        f"They played {game1} and then {game2}.",
        f"Then came the {cake} cake with {count(age, 'candle', 'candles')} on top.",
        w.say(guests[0], f"Make a wish, {hero.name}!"),
        f"{hero.name} took a deep breath and blew out all the candles at once.",
    ]
    p3 = [
        w.say(
            hero,
            w.pick(
                (
                    "This is the best birthday ever!",
                    "Thank you all for coming!",
                    "I love my presents!",
                )
            ),
        ),
        f"That night, {hero.name} fell asleep with a smile, hugging {h.poss} new {gifts[-1].noun}.",
    ]
    k = rng.randrange(len(guests))
    qs = (
        StoryQuestion(f"How old was {hero.name}?", str(age), numeric=True),
        StoryQuestion(
            f"Who brought the {gifts[k].noun}?",
            guests[k].name,
            tuple(
                g.name for i, g in enumerate(guests) if i != k and gifts[i].noun != gifts[k].noun
            ),
        ),
        StoryQuestion("How many friends came to the party?", str(len(guests)), numeric=True),
        StoryQuestion("What kind of cake was it?", cake, ()),
    )
    return Story("birthday", _join(p1, p2, p3 + [w.moral()]), qs)


def _experiment(w: _Writer) -> Story:
    """A lesson on the float rule: the class tests things in a tub of water."""
    rng = w.rng
    title, _ = w.pick(W.TITLES)
    teacher = w.pick(W.SURNAMES)
    kids = [w.character(human=True) for _ in range(2)]
    # Three things; at least one floats and one sinks so the lesson shows both outcomes.
    while True:
        items = [w.item() for _ in range(3)]
        flags = [it.material.floats for it in items]
        nouns = [it.noun for it in items]
        if any(flags) and not all(flags) and len(set(nouns)) == 3:
            break
    p1 = [
        f"{w.when()}, {title} {teacher} the teacher filled a big tub with water.",
        w.say(kids[0], "What are we going to do?"),
        f'"Today we will find out which things float and which things sink," said {title} {teacher}.',
        f"On the table there were {a(items[0].full)}, {a(items[1].full)} and {a(items[2].full)}.",
    ]
    guess = items[0]
    guesser = kids[1]
    guess_right = rng.random() < 0.5
    said_float = guess.material.floats if guess_right else not guess.material.floats
    p2 = [
        w.say(guesser, f"I think the {guess.noun} will {'float' if said_float else 'sink'}."),
    ]
    for it in items:
        if it.material.floats:
            p2.append(
                f"The {it.noun} was made of {it.material.name}, so it floated on top of the water."
            )
        else:
            p2.append(
                f"The {it.noun} was made of {it.material.name}, so it sank to the bottom of the tub."
            )
    p3 = [
        w.say(guesser, "I was right!" if guess_right else "Oh, I was wrong!"),
        f'"Things made of {items[0].material.name} always do that," {title} {teacher} explained.',
        f"{kids[0].name} and {guesser.name} wrote down what they had learned in their notebooks.",
    ]
    k = rng.randrange(3)
    result = "floated" if items[k].material.floats else "sank"
    qs = (
        StoryQuestion(
            f"What happened to the {items[k].noun} in the water?",
            result,
            ("sank",) if result == "floated" else ("floated",),
        ),
        StoryQuestion("Who filled the tub with water?", teacher, ()),
        StoryQuestion(f"What was the {items[k].noun} made of?", items[k].material.name, ()),
    )
    return Story("experiment", _join(p1, p2, p3 + [w.moral()]), qs)


@dataclass(frozen=True)
class _Realm:
    where: str  # how the story names it
    answer: str  # the word a reader would answer with
    ride: str  # how one gets there
    folk: str  # who lives there (plural)
    leader: str  # the kind of the one who greets the hero
    gift: str  # what the hero is given
    danger: str  # what goes wrong
    rescue: str  # how it is solved (past tense, after the hero's name)


_REALMS = (
    _Realm(
        "the moon",
        "moon",
        "rocket",
        "moon rabbits and silver moths",
        "moon rabbit",
        "moonstone",
        "a comet came whizzing past",
        "steered the rocket behind a big crater",
    ),
    _Realm(
        "the bottom of the sea",
        "sea",
        "submarine",
        "mermaids and seahorses",
        "mermaid",
        "pearl",
        "a hungry shark swam close",
        "hid with the mermaid in a forest of seaweed",
    ),
    _Realm(
        "a kingdom in the clouds",
        "clouds",
        "balloon",
        "cloud sheep and rainbow birds",
        "cloud giant",
        "raindrop",
        "a thunderstorm began to rumble",
        "sang a soft song until the thunder fell asleep",
    ),
    _Realm(
        "a land made of candy",
        "candy",
        "flying carpet",
        "gingerbread men and jelly bears",
        "gingerbread man",
        "lollipop",
        "a river of hot caramel blocked the path",
        "built a bridge of crunchy wafers",
    ),
    _Realm(
        "an ice palace in the far north",
        "ice palace",
        "sled",
        "polar bears and snowy owls",
        "snow queen",
        "snowflake",
        "a wild blizzard began to howl",
        "lit a lantern so everyone could find the way",
    ),
    _Realm(
        "a pirate island",
        "island",
        "pirate ship",
        "pirates and parrots",
        "pirate captain",
        "gold coin",
        "a storm tossed the ship from side to side",
        "held the wheel steady until the sea was calm",
    ),
    _Realm(
        "the land of giants",
        "giants",
        "beanstalk",
        "giants and giant snails",
        "giant",
        "golden harp",
        "a giant's footstep shook the ground",
        "ducked under a giant mushroom",
    ),
    _Realm(
        "a kingdom of toys",
        "toys",
        "toy train",
        "tin soldiers and rag dolls",
        "clockwork king",
        "silver key",
        "the clockwork king's key went missing",
        "found the key inside a jack-in-the-box",
    ),
    _Realm(
        "a lost temple in the jungle",
        "temple",
        "canoe",
        "golden monkeys and painted parrots",
        "wise old monkey",
        "emerald",
        "an old rope bridge began to crumble",
        "swung across on a long vine",
    ),
    _Realm(
        "the stars",
        "stars",
        "shooting star",
        "star fairies and comet foxes",
        "star fairy",
        "stardust",
        "a black hole began to pull at them",
        "flew faster than ever and got away",
    ),
)


def _dream(w: _Writer) -> Story:
    rng = w.rng
    hero = w.character()
    realm = w.pick(_REALMS)
    leader = w.character(human=False, kind=realm.leader)
    h = hero.pro
    real = rng.random() < 0.5  # did the gift come back from the dream?
    p1 = [
        w.intro(hero, w.pick(W.TRAITS)),
        w.looks(hero),
        f"One night, {hero.name} fell asleep and had a wonderful dream.",
        f"{cap(h.subj)} dreamed that {h.subj} traveled to {realm.where} in {a(realm.ride)}.",
    ]
    p2 = [
        f"There {h.subj} met {realm.folk}, and their leader, {leader.intro}.",
        w.say(leader, f"Welcome to {realm.where}, {hero.name}! My name is {leader.name}."),
        f"But then {realm.danger}!",
        f"{hero.name} was {w.pick(('brave', 'quick', 'clever', 'calm'))}: {h.subj} {realm.rescue}.",
        w.say(leader, f"You saved us! Please take this {realm.gift} as a thank you."),
    ]
    p3 = [f"Then {hero.name} woke up in {h.poss} own bed."]
    if real:
        p3 += [
            f"Under {h.poss} pillow, {h.subj} found a tiny {realm.gift}!",
            f"{hero.name} never found out how it got there.",
        ]
    else:
        p3 += [
            f"It had all been a dream, but {hero.name} smiled all morning.",
            w.say(hero, f"Tonight I will dream about {realm.where} again."),
        ]
    qs = (
        StoryQuestion(f"Where did {hero.name} go in the dream?", realm.answer, ()),
        StoryQuestion(f"How did {hero.name} travel in the dream?", realm.ride, ()),
        StoryQuestion(f"Who welcomed {hero.name}?", leader.name, ()),
        StoryQuestion(f"What did {leader.name} give {hero.name}?", realm.gift, ()),
    )
    return Story("dream", _join(p1, p2, p3 + [w.moral()]), qs)


PLOTS = {
    "lost_found": _lost_found,
    "accident": _accident,
    "sharing": _sharing,
    "gift": _gift,
    "helper": _helper,
    "race": _race,
    "garden": _garden,
    "errand": _errand,
    "birthday": _birthday,
    "experiment": _experiment,
    "dream": _dream,
}


def make_story(rng: random.Random, plot: str | None = None) -> Story:
    """One story drawn with ``rng`` (plot chosen at random unless given)."""
    if plot is None:
        plot = list(PLOTS)[rng.randrange(len(PLOTS))]
    if plot not in PLOTS:
        raise ValueError(f"unknown plot {plot!r}; valid plots: {', '.join(PLOTS)}")
    return PLOTS[plot](_Writer(rng))
