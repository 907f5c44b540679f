"""The dream storyline: a journey to a made-up realm (where, how, what was given).

Each plot is ``fn(Writer) -> Story`` and records questions its text answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from minillm.corpus import world as W
from minillm.corpus.writer import Story, StoryQuestion, Writer, a, cap, join_paragraphs


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


def dream(w: Writer) -> Story:
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
    return Story("dream", join_paragraphs(p1, p2, p3 + [w.moral()]), qs)
