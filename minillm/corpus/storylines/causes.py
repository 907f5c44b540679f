"""Plots where the world's physical rules decide what happens.

    accident    a thing is dropped, soaked, melted, blown or sunk; its material decides the outcome
    helper      a thing is stuck (high, under a rock, in water); only an animal with the right body helps
    garden      seeds grow with water and sun, and wilt without water
    experiment  a class tests which things float; each result follows from the material

Each plot is ``fn(Writer) -> Story`` and records questions its text answers.
"""

from __future__ import annotations

from minillm.corpus import world as W
from minillm.corpus.world import Material, Place
from minillm.corpus.writer import Story, StoryQuestion, Writer, a, count, join_paragraphs, plural


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


def accident(w: Writer) -> Story:
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
    return Story("accident", join_paragraphs(p1, p2, p3 + [w.moral()]), qs)


# Where a thing can get stuck, and which helpers can fix it (see world.HELPERS).
_STUCK = {
    "high": "{name} threw it up in the air, and it got stuck high in the branches of a tall tree",
    "water": "it rolled into the water, and because {mat} floats, it drifted far from the shore",
    "sunk": "it rolled into the water, and because {mat} is heavy, it sank to the bottom",
    "under": "it rolled under a big heavy rock",
    "deep": "it fell into a deep hole in the ground",
}


def helper(w: Writer) -> Story:
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
    return Story("helper", join_paragraphs(p1, p2 + [w.moral()]), qs)


# Plants a reader would not call flowers (the ending says "harvest" for these).
_NOT_FLOWERS = tuple(
    w.replace("_", " ")
    for w in "tomato pumpkin carrot pea strawberry lettuce mint radish squash melon onion cactus "
    "fern beanstalk oak_tree apple_tree cherry_tree chestnut_tree".split()
)


def garden(w: Writer) -> Story:
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
            f"When {friend.intro} came to visit, {friend.pro.subj} saw them at once.",
            w.say(friend, "Your plants are thirsty! Let us water them."),
            f"{hero.name} and {friend.name} filled a watering can and gave the plants a long drink.",
            f"After that, {hero.name} watered them every morning, and they grew into {plural(grown)}.",
        ]
    else:
        p2 = [
            f"Every morning {hero.name} watered the seeds, and every afternoon the sun shone on them.",
            f"Because they had water and sunlight, they grew and grew into tall {plural(grown)}.",
            f"One day {friend.intro} came to visit.",
            w.say(friend, f"Look how big your {plural(grown)} are!"),
        ]
    p3 = [
        f"{hero.name} gave {friend.name} the first flower, and {friend.pro.subj} was {w.pick(W.FEELINGS)}."
        if grown not in _NOT_FLOWERS
        else f"{hero.name} shared the first harvest with {friend.name}, who was {w.pick(W.FEELINGS)}.",
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
    return Story("garden", join_paragraphs(p1, p2, p3 + [w.moral()]), qs)


def experiment(w: Writer) -> Story:
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
    return Story("experiment", join_paragraphs(p1, p2, p3 + [w.moral()]), qs)
