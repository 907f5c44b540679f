"""Plots about people and animals doing things together.

    lost_found  a thing is left somewhere and found again (who found it, where)
    sharing     food is given away (how many are left)
    gift        a present is made and passed on (who has it at the end)
    race        a boaster stops on the way and the steady one wins (who won)
    errand      shopping for a parent, dressed for the weather (how many, who sold it)
    birthday    guests bring presents (who brought what, how old)
    dream       a journey to a made-up realm (where, how, what was given)

Each plot is ``fn(Writer) -> Story`` and records questions its text answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from minillm.corpus import world as W
from minillm.corpus.world import Place
from minillm.corpus.writer import Story, StoryQuestion, Writer, a, cap, count, join_paragraphs


def lost_found(w: Writer) -> Story:
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
    return Story("lost_found", join_paragraphs(p1, p2, p3, p4 + [w.moral()]), qs)


def _get_food(w: Writer, food: tuple[str, str], n: int) -> str:
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


def sharing(w: Writer) -> Story:
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
    return Story("sharing", join_paragraphs(p1, p2, p3), tuple(qs))


# Places where a character can live.
_HOMES = (
    "village farm forest woods meadow valley island castle palace treehouse lighthouse cave pond "
    "river hill mountain jungle desert beach swamp marsh glade orchard barn garden harbor"
).split()


def gift(w: Writer) -> Story:
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
    return Story("gift", join_paragraphs(p1, p2 + [w.moral()]), qs)


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
