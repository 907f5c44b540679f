"""Storylines about days out: a race, an errand to the shops, a birthday party.

    race        a boaster stops on the way and the steady one wins (who won)
    errand      shopping for a parent, dressed for the weather (how many, who sold it)
    birthday    guests bring presents (who brought what, how old)

Each plot is ``fn(Writer) -> Story`` and records questions its text answers.
"""

from __future__ import annotations

from minillm.corpus import world as W
from minillm.corpus.world import Place
from minillm.corpus.writer import Story, StoryQuestion, Writer, a, cap, count, join_paragraphs


def race(w: Writer) -> Story:
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
    return Story("race", join_paragraphs(p1, p2, p3 + [w.moral()]), qs)


def errand(w: Writer) -> Story:
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
        f"{cap(h.subj)} took the {w.pick(('bus', 'tram', 'train', 'bike', 'scooter'))} to the {shop}.",
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
    return Story("errand", join_paragraphs(p1, p2, p3 + [w.moral()]), qs)


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


def birthday(w: Writer) -> Story:
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
    return Story("birthday", join_paragraphs(p1, p2, p3 + [w.moral()]), qs)
