"""The small world the course stories happen in: word lists and the rules that connect them.

Everything here is plain data (tuples, never sets or dicts iterated for order) so that a
generator drawing from it with ``random.Random(seed)`` produces the same text on every machine.

The rules are few and physical, so a tiny model can learn real cause and effect:

    a fragile thing that is dropped breaks        ("Because the jar was glass, it broke.")
    a bouncy thing that is dropped bounces
    a thing that floats stays up in water, others sink
    a thing that melts turns soft in the hot sun
    a thing that soaks is ruined by rain
    a light thing is blown away by strong wind

The stories combine these lists compositionally (a colour, a material, a thing, a place, a
trait, an action ...), which is how the corpus reaches a few thousand distinct words from a
file a reader can scan in a few minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------
# Characters


@dataclass(frozen=True)
class Pronouns:
    subj: str  # he / she
    obj: str  # him / her
    poss: str  # his / her


HE = Pronouns("he", "him", "his")
SHE = Pronouns("she", "her", "her")

GIRL_NAMES: tuple[str, ...] = tuple(
    """Mia Lily Emma Ava Zoe Ella Nora Lucy Ruby Anna Sara Maya Chloe Grace Hannah Alice Clara
    Julia Nina Olivia Sophie Amelia Isla Freya Ivy Hazel Luna Stella Aria Ellie Millie Rosie
    Poppy Molly Bella Evie Lola Maria Leah Kate Jane Amy Beth Tara Gina Wendy Fiona Holly Jenny
    Kira Lena Mira Nadia Paula Rita Sofia Tina Una Vera Willa Yara Zara Elsa Greta Hilda Iris
    Jade Kayla Leila Mabel Nell Opal Pia Queenie Rhea Sally Tess Uma Violet Wren Xena Yasmin
    Abby Cora Dora Edie Faye Gwen Heidi Ines Joy Kitty Lottie Maddie Nessa Orla Penny""".split()
)
BOY_NAMES: tuple[str, ...] = tuple(
    """Tom Ben Leo Max Sam Jack Finn Noah Liam Owen Theo Luke Adam Eli Hugo Oscar Felix Jamie
    Henry Oliver Harry Charlie George Arthur Alfie Archie Teddy Toby Ollie Reggie Ryan Dan
    Tim Joe Ned Pete Ron Ted Zack Alex Bruno Carl Dylan Ethan Frank Gus Ivan Jonah Kai Lewis
    Milo Nate Omar Paul Quinn Rudy Seth Tyler Umar Victor Will Xavier Yusuf Zane Abel Basil
    Cody Dev Emil Fred Gabe Hank Isaac Jasper Kurt Lars Marco Nico Otto Percy Raj Simon
    Tariq Vince Wade Yogi Angus Barney Cyril Dexter Elliot Franco Gordon Harvey Ike""".split()
)
SURNAMES: tuple[str, ...] = tuple(
    """Brown Green White Black Gray Hill Wood Stone Fields Brooks Rivers Lake Fox Wolfe Bird
    Swan Crane Finch Baker Miller Carter Cooper Fisher Potter Tanner Turner Walker Weaver
    Taylor Smith Parker Mason Hunter Archer Bell Berry Moss Reed Rose Snow Frost Winter Summer
    Day Knight King Young Long Short Wise Goodman Sweet Lamb Bloom Cole Dale Dunn Ford Grant
    Hale Holt Kent Lane Marsh Nash Page Price Rowe Shaw Todd Vale Ward Webb York""".split()
)
TITLES: tuple[tuple[str, Pronouns], ...] = (("Mr.", HE), ("Mrs.", SHE), ("Miss", SHE))

# Animal characters have names too; "a little fox named Pip". (species, plural)
ANIMALS: tuple[tuple[str, str], ...] = tuple(
    tuple(pair.split(":")) if ":" in pair else (pair, pair + "s")  # type: ignore[misc]
    for pair in """cat dog rabbit fox bear mouse:mice owl duck frog turtle squirrel hedgehog
    badger otter beaver deer:deer goat sheep:sheep cow pig horse donkey lamb chick hen rooster
    goose:geese swan robin sparrow crow parrot penguin seal whale dolphin octopus:octopuses
    crab lion tiger elephant giraffe zebra monkey panda koala kangaroo camel llama hippo
    rhino wolf:wolves raccoon mole bat bee butterfly:butterflies ant snail ladybug spider
    lizard snake fish:fish puppy:puppies kitten pony bunny:bunnies piglet duckling
    gosling""".split()
)
PET_NAMES: tuple[str, ...] = tuple(
    """Pip Bongo Coco Scout Nutmeg Maple Clover Hazelnut Pebble Bubbles Sparky Fluffy
    Whiskers Patch Buttons Toffee Ziggy Bramble Thistle Sprout Dot Fizz Jelly Noodle
    Pickles Squeak Tumble Wiggles Snowball Domino Puddle Cinnamon Ginger Olive
    Bean Crumble Dumpling Sunny Twinkle Boots""".split()
)

# Helpers solve obstacles with what their body can do: the reader can check the logic.
# (species, ability sentence in past tense, obstacle kinds it solves)
HELPERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("bird", "flew up and pulled it free with its beak", ("high",)),
    ("owl", "flew up on silent wings and brought it down", ("high",)),
    ("giraffe", "stretched its long neck and reached it easily", ("high",)),
    ("monkey", "climbed up quickly and threw it down", ("high",)),
    ("squirrel", "ran up the trunk and pushed it loose", ("high",)),
    ("duck", "paddled out across the water and brought it back", ("water",)),
    ("frog", "jumped into the water and pushed it to the shore", ("water",)),
    ("swan", "glided out and carried it back in its beak", ("water",)),
    ("otter", "dived down to the bottom and swam back up with it", ("sunk",)),
    ("seal", "dived deep under the water and came back up with it", ("sunk",)),
    ("beaver", "dived under the water with a splash and brought it up", ("sunk",)),
    ("elephant", "lifted the heavy rock with its trunk", ("under",)),
    ("bear", "rolled the big rock away with its strong paws", ("under",)),
    ("mole", "dug a tunnel under the ground and found it", ("under", "deep")),
    ("rabbit", "dug quickly with its front paws until it was free", ("deep",)),
    ("badger", "dug deep into the earth and pulled it out", ("deep",)),
)

TRAITS: tuple[str, ...] = tuple(
    """brave shy curious kind clever careful silly grumpy cheerful lazy patient gentle proud
    honest playful quiet noisy friendly helpful bossy messy tidy sleepy busy bold clumsy
    thoughtful generous greedy stubborn polite cheeky jolly nervous calm smart funny wise
    lively dreamy eager fussy hungry lonely lucky merry modest naughty sensible sweet
    timid wild""".split()
)
FEELINGS: tuple[str, ...] = tuple(
    """happy glad proud excited calm relieved thankful cheerful delighted joyful""".split()
)
BAD_FEELINGS: tuple[str, ...] = tuple(
    """sad upset worried scared cross grumpy lonely tired gloomy miserable""".split()
)

# ---------------------------------------------------------------------------------------------
# Things and what they are made of


@dataclass(frozen=True)
class Material:
    name: str
    fragile: bool = False  # breaks when dropped
    bouncy: bool = False  # bounces when dropped
    floats: bool = False  # stays on top of water (else it sinks)
    melts: bool = False  # turns soft in the hot sun
    soaks: bool = False  # rain makes it soggy and ruins it
    light: bool = False  # strong wind blows it away


MATERIALS: tuple[Material, ...] = (
    Material("glass", fragile=True),
    Material("clay", fragile=True),
    Material("china", fragile=True),
    Material("ice", fragile=True, floats=True, melts=True),
    Material("chocolate", melts=True),
    Material("wax", floats=True, melts=True),
    Material("butter", melts=True, floats=True),
    Material("wood", floats=True),
    Material("cork", floats=True, light=True),
    Material("rubber", bouncy=True, floats=True),
    Material("plastic", floats=True, light=True),
    Material("paper", soaks=True, light=True, floats=True),
    Material("cardboard", soaks=True, floats=True),
    Material("straw", soaks=True, light=True, floats=True),
    Material("wool", soaks=True),
    Material("felt", soaks=True, light=True),
    Material("cloth", soaks=True, light=True),
    Material("metal"),
    Material("tin"),
    Material("iron"),
    Material("stone"),
    Material("silver"),
    Material("brass"),
)
MATERIAL_BY_NAME: dict[str, Material] = {m.name: m for m in MATERIALS}


@dataclass(frozen=True)
class Thing:
    noun: str
    plural: str
    materials: tuple[str, ...]  # what this kind of thing can sensibly be made of


def _things(spec: str) -> tuple[Thing, ...]:
    """Parse 'noun[:plural]=mat,mat' lines: a compact table a reader can scan."""
    out = []
    for line in spec.strip().splitlines():
        for item in line.split(";"):
            item = item.strip()
            if not item:
                continue
            left, mats = item.split("=")
            noun, _, plural = left.partition(":")
            noun = noun.strip()
            out.append(Thing(noun, plural.strip() or noun + "s", tuple(mats.split(","))))
    return tuple(out)


THINGS: tuple[Thing, ...] = _things(
    """
    jar=glass,clay,plastic,tin; cup=glass,clay,china,tin,paper,plastic; bowl=glass,clay,wood,china
    plate=china,clay,wood,paper,tin; vase=glass,clay,china; teapot=china,clay,metal
    ball=rubber,plastic,wool,glass; marble=glass,stone; boat=wood,paper,plastic,cork,tin
    kite=paper,plastic,felt; hat=straw,wool,felt,paper; box=wood,cardboard,tin,plastic,silver
    bell=brass,silver,glass,clay; spoon=wood,silver,plastic,tin; bucket=tin,plastic,wood
    lamp=glass,brass,paper; mirror=glass,silver; crown=paper,cardboard,silver,brass,felt
    drum=wood,tin,cardboard; flute=wood,silver,plastic; whistle=tin,plastic,wood,silver
    robot=tin,plastic,cardboard; doll=wood,cloth,china,plastic,felt; candle=wax
    statue=stone,clay,ice,chocolate,butter,wax; egg=chocolate,china,wood; star=paper,tin,felt,glass
    heart=chocolate,felt,paper,glass; medal=silver,brass,tin,chocolate; coin=silver,brass,chocolate
    key=iron,brass,silver; ring=silver,glass,brass; necklace=glass,silver,wood; button=wood,brass,plastic
    umbrella=paper,plastic; fan=paper,wood,straw; basket=straw,wood,plastic; bag=paper,felt,plastic,straw
    puppet=felt,wool,wood; mask=paper,cardboard,felt; card=paper,cardboard; book=paper
    map=paper; letter=paper; picture=paper,cardboard; flag=paper,felt; lantern=paper,glass,tin
    sword=wood,cardboard,tin; shield=wood,cardboard,tin; wheel=wood,rubber,iron; sled=wood,plastic
    horn=brass,plastic; trumpet=brass,plastic; whistle=tin; bottle=glass,plastic
    globe=glass,paper,plastic; pot=clay,iron,tin; kettle=iron,tin,china; clock=wood,brass,china
    house=cardboard,wood,paper,chocolate; tower=wood,cardboard,ice,stone; castle=cardboard,ice,wood
    bunny:bunnies=chocolate,wood,felt,china; mouse:mice=chocolate,felt,china,wood
    snowflake=paper,glass,felt; bracelet=glass,silver,wood; brooch=silver,glass,brass
    feather=felt,paper; pinwheel=paper,plastic; rocket=cardboard,tin,plastic,paper
    """
)
# One spelling for each noun even if the table names it twice.
THINGS = tuple({t.noun: t for t in THINGS}.values())  # dicts keep insertion order: deterministic

COLOURS: tuple[str, ...] = tuple(
    """red blue green yellow orange purple pink brown black white gray golden""".split()
)
# Looks that are not colours: stories use them, but never ask "What color was it?" about them.
LOOKS: tuple[str, ...] = tuple("""shiny striped spotted bright pale dark sparkly""".split())
SIZES: tuple[str, ...] = tuple("""little small tiny big large huge""".split())

# ---------------------------------------------------------------------------------------------
# Places


@dataclass(frozen=True)
class Place:
    noun: str  # "park" (the story writes "the park")
    water: bool  # has a pond, river, sea ... for the float/sink rule
    sights: tuple[str, ...]  # plural nouns one can see there
    spots: tuple[str, ...]  # where something can be left: "under the bench"


def _place(noun: str, water: bool, sights: str, spots: str) -> Place:
    return Place(noun, water, tuple(sights.split()), tuple(s.strip() for s in spots.split(",")))


PLACES: tuple[Place, ...] = (
    _place(
        "park",
        True,
        "trees benches ducks swings pigeons",
        "under a bench,by the swings,near the pond",
    ),
    _place(
        "beach",
        True,
        "shells waves seagulls crabs rocks",
        "behind a rock,in the sand,near the waves",
    ),
    _place(
        "forest",
        False,
        "pines mushrooms ferns owls acorns",
        "under a fern,by an old log,behind a tree",
    ),
    _place(
        "garden",
        False,
        "roses tulips bees worms daisies",
        "under a bush,by the roses,behind the shed",
    ),
    _place(
        "meadow",
        False,
        "flowers butterflies grasshoppers poppies clover",
        "in the tall grass,by a fence,under a tree",
    ),
    _place(
        "farm",
        False,
        "cows chickens barns tractors haystacks",
        "in the barn,by the gate,near the haystack",
    ),
    _place(
        "river",
        True,
        "reeds frogs stones dragonflies willows",
        "by the reeds,on a flat stone,under a willow",
    ),
    _place(
        "lake", True, "boats swans lilies herons fish", "on the dock,by the boats,near the lilies"
    ),
    _place(
        "pond",
        True,
        "lilies tadpoles frogs reeds newts",
        "on a lily pad,by the reeds,near the bank",
    ),
    _place(
        "hill",
        False,
        "sheep rocks kites clouds windmills",
        "behind a rock,at the top,near the windmill",
    ),
    _place(
        "market",
        False,
        "stalls apples baskets carts melons",
        "under a stall,by the melons,near a cart",
    ),
    _place(
        "library",
        False,
        "books shelves maps globes lamps",
        "on a shelf,under a table,by the window",
    ),
    _place(
        "school",
        False,
        "desks pencils globes crayons blackboards",
        "under a desk,in the hall,by the door",
    ),
    _place(
        "zoo",
        True,
        "lions zebras penguins monkeys giraffes",
        "by the penguins,near the gate,under a bench",
    ),
    _place(
        "bakery",
        False,
        "loaves muffins ovens cakes pies",
        "on the counter,by the oven,under a shelf",
    ),
    _place("harbor", True, "ships sailors nets gulls ropes", "by the nets,on the pier,near a boat"),
    _place(
        "village",
        True,
        "cottages chimneys wells lanes gardens",
        "by the well,near a cottage,on a wall",
    ),
    _place(
        "orchard",
        False,
        "apples pears ladders plums bees",
        "under a pear tree,by a ladder,in the grass",
    ),
    _place(
        "playground",
        False,
        "slides swings seesaws sandpits ropes",
        "in the sandpit,under the slide,by the seesaw",
    ),
    _place(
        "mountain", True, "goats rocks streams eagles pines", "behind a rock,by a stream,in a cave"
    ),
    _place(
        "island",
        True,
        "palms parrots shells coconuts waves",
        "under a palm,in the sand,by the shells",
    ),
    _place(
        "castle", True, "towers flags knights gates moats", "by the gate,in the tower,near the moat"
    ),
    _place(
        "jungle",
        True,
        "vines parrots monkeys frogs orchids",
        "under a vine,by a waterfall,near a log",
    ),
    _place(
        "desert",
        False,
        "dunes cactuses camels lizards stars",
        "behind a dune,by a cactus,under a rock",
    ),
    _place(
        "museum",
        False,
        "statues paintings bones fossils vases",
        "by a statue,under a bench,near the door",
    ),
    _place(
        "station",
        False,
        "trains tracks clocks porters suitcases",
        "on a bench,by the clock,near the tracks",
    ),
    _place(
        "circus",
        False,
        "clowns tents jugglers acrobats lions",
        "in the big tent,by the ring,near the seats",
    ),
    _place(
        "kitchen", False, "pots pans spoons jars kettles", "on the table,by the sink,under a chair"
    ),
    _place(
        "attic",
        False,
        "trunks cobwebs boxes spiders clocks",
        "in an old trunk,under a box,by the window",
    ),
    _place(
        "woods",
        True,
        "oaks squirrels toadstools streams badgers",
        "under an oak,by a stream,in a hollow log",
    ),
)

# Weather that tests the material rules; (opening phrase, rule it triggers)
WEATHER: tuple[tuple[str, str], ...] = (
    ("the sun came out and it got very hot", "melts"),
    ("dark clouds came and it began to rain", "soaks"),
    ("a strong wind began to blow", "light"),
)
TIMES: tuple[str, ...] = (
    "One sunny morning",
    "One rainy afternoon",
    "Early one morning",
    "One cold winter day",
    "On a warm summer day",
    "One windy autumn day",
    "Last spring",
    "One quiet evening",
    "On a bright Saturday",
    "One foggy morning",
    "After lunch one day",
    "On a lazy Sunday",
    "One snowy morning",
)

# ---------------------------------------------------------------------------------------------
# Food, activities, speech


def _pairs(spec: str) -> tuple[tuple[str, str], ...]:
    """'apple banana cherry:cherries' -> (("apple", "apples"), ..., ("cherry", "cherries"))."""
    return tuple(
        (w.split(":")[0], w.split(":")[1]) if ":" in w else (w, w + "s") for w in spec.split()
    )


FOODS: tuple[tuple[str, str], ...] = _pairs(
    """apple banana pear plum peach:peaches orange cherry:cherries strawberry:strawberries
    grape lemon carrot cookie cupcake muffin biscuit pancake sandwich:sandwiches pie tart
    bun roll cracker pretzel donut waffle lolly:lollies sweet cake egg tomato:tomatoes potato:potatoes
    nut acorn berry:berries radish:radishes turnip cucumber melon mango:mangoes apricot fig
    date walnut chestnut peanut cabbage onion pepper coconut pumpkin mushroom"""
)

# Things to do anywhere: (base phrase, past phrase). Both forms appear in the stories.
ACTIVITIES: tuple[tuple[str, str], ...] = tuple(
    tuple(a.split("|"))  # type: ignore[misc]
    for a in """play tag|played tag;play hide and seek|played hide and seek;sing songs|sang songs
    dance in a circle|danced in a circle;draw pictures|drew pictures;build a tower|built a tower
    fly a kite|flew a kite;read a story|read a story;pick flowers|picked flowers
    look for bugs|looked for bugs;count the clouds|counted the clouds;skip stones|skipped stones
    jump over puddles|jumped over puddles;roll down the grass|rolled down the grass
    climb a tree|climbed a tree;make a daisy chain|made a daisy chain;have a picnic|had a picnic
    feed the birds|fed the birds;chase butterflies|chased butterflies;play catch|played catch
    tell jokes|told jokes;race to the fence|raced to the fence;collect leaves|collected leaves
    paint the fence|painted the fence;bake bread|baked bread;plant seeds|planted seeds
    water the plants|watered the plants;sweep the path|swept the path;ride bikes|rode bikes
    play music|played music;whistle a tune|whistled a tune;knit a scarf|knitted a scarf
    build a sandcastle|built a sandcastle;dig a hole|dug a hole;blow bubbles|blew bubbles
    hop on one foot|hopped on one foot;sit in the shade|sat in the shade
    watch the ants|watched the ants;listen to the birds|listened to the birds
    splash in the water|splashed in the water;look at the stars|looked at the stars
    write a letter|wrote a letter;fold paper birds|folded paper birds;wash the dishes|washed the dishes
    swing on the swings|swung on the swings;slide down the slide|slid down the slide
    throw a ball|threw a ball;spin in circles|spun in circles;learn a new game|learned a new game
    """.replace("\n", ";").split(";")
    if a.strip()
)
ACTIVITIES = tuple((b.strip(), p.strip()) for b, p in ACTIVITIES)

SPEECH_VERBS: tuple[str, ...] = tuple(
    """said asked shouted whispered cried called replied answered laughed giggled sighed
    yelled murmured squeaked""".split()
)
ADVERBS: tuple[str, ...] = tuple(
    """happily sadly softly loudly quickly slowly gently carefully quietly bravely proudly
    kindly calmly eagerly sleepily excitedly""".split()
)
MOVES: tuple[str, ...] = tuple(
    """walked ran skipped hopped raced wandered hurried marched strolled dashed trotted
    scampered tiptoed""".split()
)
NUMBER_WORDS: tuple[str, ...] = tuple(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty""".split()
)
