"""Storylines about things that change hands between people and animals.

    lost_found  a thing is left somewhere and found again (who found it, where)
    sharing     food is given away (how many are left)
    gift        a present is made and passed on (who has it at the end)

Each plot is ``fn(Writer) -> Story`` and records questions its text answers.
"""

from __future__ import annotations

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
