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
    Abby Cora Dora Edie Faye Gwen Heidi Ines Joy Kitty Lottie Maddie Nessa Orla Penny Agnes
    Bonnie Carla Delia Elena Flora Gemma Harriet Imogen Josie Kelly Laura Martha Naomi Odette
    Phoebe Rachel Selma Thea Ursula Vanessa Winnie Yvonne Zelda Alma Bridget Celia Dinah Esme
    Frida Georgia Hattie Isabel June Keira Louisa Marnie Nancy Olga Petra Rosa Sylvie Tilly Ada
    Beatrix Cecily Daphne Eliza Florence Gloria Helena Ingrid Juniper Lucia Matilda
    Octavia Priya Rosalind Saskia Trudy Valerie Wilma Zoya Annie Brenda Cassie Dolly Eva
    Frances Gracie Hope Jemima Katie Lydia Maisie Ophelia Pearl Ramona Sadie Tabitha""".split()
)
BOY_NAMES: tuple[str, ...] = tuple(
    """Tom Ben Leo Max Sam Jack Finn Noah Liam Owen Theo Luke Adam Eli Hugo Oscar Felix Jamie
    Henry Oliver Harry Charlie George Arthur Alfie Archie Teddy Toby Ollie Reggie Ryan Dan
    Tim Joe Ned Pete Ron Ted Zack Alex Bruno Carl Dylan Ethan Frank Gus Ivan Jonah Kai Lewis
    Milo Nate Omar Paul Quinn Rudy Seth Tyler Umar Victor Will Xavier Yusuf Zane Abel Basil
    Cody Dev Emil Fred Gabe Hank Isaac Jasper Kurt Lars Marco Nico Otto Percy Raj Simon
    Tariq Vince Wade Yogi Angus Barney Cyril Dexter Elliot Franco Gordon Harvey Ike Albert
    Benny Clive Derek Edgar Fergus Gilbert Howard Ivor Jerome Kevin Leon Martin Neil Oswald
    Patrick Rufus Stanley Trevor Walter Alfred Bertie Callum Duncan Eddie Florian Graham Hector
    Ian Julian Kenny Lenny Murray Norman Rex Spencer Timmy Vernon Wilbur Aaron
    Barry Conrad Damian Ernest Gideon Horace Isaiah Jethro Kieran Lionel Magnus Nigel
    Orson Ptolemy Roland Sebastian Thaddeus Ulysses Virgil Warren Yannick Zachary Ambrose
    Bernard Cedric Desmond Eugene Frederick Gregory Humphrey Ignatius Jeremy Kit Leopold""".split()
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
    gosling hamster weasel ferret moose:moose bison:bison yak gorilla lemur sloth armadillo
    porcupine skunk beetle caterpillar firefly:fireflies dragonfly:dragonflies grasshopper
    cricket worm toad newt hummingbird peacock flamingo pelican ostrich:ostriches eagle hawk
    puffin walrus:walruses shark jellyfish:jellyfish starfish:starfish seahorse lobster
    tortoise alligator crocodile chipmunk swallow woodpecker kingfisher magpie pigeon dove
    goldfish:goldfish hare vole stoat
    wombat platypus:platypuses meerkat mongoose:mongooses jackal hyena cheetah leopard
    panther jaguar bobcat lynx:lynxes reindeer:reindeer antelope gazelle buffalo:buffaloes
    squid seagull heron stork toucan albatross:albatrosses ladybird moth
    grub cockatoo canary:canaries budgie iguana chameleon gecko salamander turkey""".split()
)
PET_NAMES: tuple[str, ...] = tuple(
    """Pip Bongo Coco Scout Nutmeg Maple Clover Hazelnut Bubbles Sparky Fluffy
    Whiskers Patch Buttons Toffee Ziggy Bramble Thistle Sprout Dot Fizz Jelly Noodle
    Pickles Squeak Tumble Wiggles Snowball Domino Puddle Cinnamon Ginger Olive
    Bean Crumble Dumpling Sunny Twinkle Boots Zippy Bouncer Fuzzy Scamper Nibbles
    Dusty Rusty Smudge Tinker Wispy Paddles Skipper Ruffles Flopsy Mopsy Chester Barnaby
    Bartholomew Percival Mittens Sooty Tufty Wobble Jingles Pudding Bumble Frisky Zuzu Kiki
    Lulu Momo Bibi Fifi Gigi Tiko Rolo Bobo""".split()
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
    timid wild adventurous cautious daring grateful hopeful humble jealous loyal mischievous
    nosy chatty giggly forgetful restless sneaky sulky tough trusting witty zany dainty
    fearless spirited plucky cuddly prickly
    energetic peaceful dependable graceful hardworking imaginative inventive jumpy
    kindhearted lighthearted musical neat organized quick quarrelsome reckless shrewd
    softhearted talkative thrifty unlucky vain warmhearted youthful zealous""".split()
)
FEELINGS: tuple[str, ...] = tuple(
    """happy glad proud excited calm relieved thankful cheerful delighted joyful pleased
    content overjoyed thrilled""".split()
)
BAD_FEELINGS: tuple[str, ...] = tuple(
    """sad upset worried scared cross grumpy lonely tired gloomy miserable unhappy anxious
    heartbroken disappointed""".split()
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
    puzzle=wood,cardboard; rattle=wood,plastic,silver; trophy=silver,brass,glass,plastic
    helmet=tin,plastic,cardboard; pail=tin,plastic,wood; jug=glass,clay,china,tin; mug=china,clay,tin
    tray=wood,silver,tin,plastic; comb=wood,silver,plastic; brush=wood,plastic; flowerpot=clay,plastic,tin
    birdhouse=wood,cardboard; wand=wood,glass,silver,plastic; harp=wood,brass; guitar=wood,plastic
    violin=wood; banjo=wood; compass=brass,silver; telescope=brass,cardboard,plastic
    lunchbox=tin,plastic,cardboard; toybox=wood,cardboard,plastic; tiara=silver,glass,plastic,paper
    dragon=felt,wood,clay,paper,chocolate; dinosaur=plastic,wood,felt,clay,chocolate
    unicorn=felt,china,plastic,glass; train=wood,tin,plastic; truck=tin,plastic,wood
    plane=paper,wood,tin,plastic; submarine=tin,plastic,wood; balloon=paper
    teacup=china,glass,clay; saucer=china,glass,clay; ladle=wood,silver,tin; thimble=silver,brass,tin
    seashell=china,clay,glass; pebble=stone,glass; snowglobe=glass,plastic; locket=silver,brass
    yoyo:yoyos=wood,plastic; xylophone=wood,metal; tambourine=wood,tin,plastic; spinner=wood,plastic,tin
    scarecrow=straw,wood; windmill=paper,wood,cardboard; caravan=wood,tin,cardboard
    angel=paper,china,felt,glass; penguin=china,felt,chocolate,glass,ice; owl=china,felt,clay,wood
    abacus:abacuses=wood,plastic; anchor=iron,tin; apron=cloth,felt; axe=wood,iron
    badge=tin,brass,felt; barrel=wood,tin; beret=felt,wool; blanket=wool,felt,cloth
    bookmark=paper,felt,silver; boomerang=wood,plastic; bowtie=cloth,felt,paper; bucket=tin,plastic
    chess set=wood,stone,glass; chime=brass,glass,wood; cushion=cloth,wool,felt; easel=wood
    goblet=glass,silver,brass; hammock=cloth,straw; hourglass:hourglasses=glass,wood,brass
    jigsaw=cardboard,wood; kazoo=plastic,tin; ladder=wood,iron; magnet=iron; marionette=wood,felt
    megaphone=cardboard,tin,plastic; mitten=wool,felt; notebook=paper; ornament=glass,china,felt,wax
    paintbox:paintboxes=tin,wood,plastic; parasol=paper,cloth; pendant=silver,glass,stone
    periscope=cardboard,tin; piggy bank=china,clay,plastic; quilt=cloth,wool; ribbon=cloth,felt,paper
    sailboat=wood,paper,plastic; satchel=felt,cloth,straw; scarf:scarves=wool,cloth,felt
    skateboard=wood,plastic; slingshot=wood,rubber; spinning top=wood,tin,plastic; stool=wood,iron
    teddy bear=felt,wool,cloth; toadstool=felt,clay,chocolate; trumpet=brass,plastic
    tricycle=tin,plastic; wagon=wood,tin; weathervane=iron,tin,brass; wheelbarrow=wood,tin,plastic
    """
)
# One spelling for each noun even if the table names it twice.
THINGS = tuple({t.noun: t for t in THINGS}.values())  # dicts keep insertion order: deterministic

COLOURS: tuple[str, ...] = tuple(
    """red blue green yellow orange purple pink brown black white gray golden scarlet crimson
    turquoise lilac navy emerald amber cream bronze""".split()
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


def _places(spec: str) -> tuple[Place, ...]:
    """Parse 'noun | water? | sights | spot, spot, spot' lines."""
    out = []
    for line in spec.strip().splitlines():
        noun, water, sights, spots = (part.strip() for part in line.split("|"))
        out.append(
            Place(
                noun,
                water == "water",
                tuple(sights.split()),
                tuple(x.strip() for x in spots.split(",")),
            )
        )
    return tuple(out)


PLACES: tuple[Place, ...] = _places(
    """
    park       | water | trees benches ducks swings pigeons joggers kites fountains | under a bench, by the swings, near the pond
    beach      | water | shells waves seagulls crabs rocks starfish umbrellas sandcastles | behind a rock, in the sand, near the waves
    forest     | dry   | pines mushrooms ferns owls acorns squirrels pinecones woodpeckers | under a fern, by an old log, behind a tree
    garden     | dry   | roses tulips bees worms daisies snails sunflowers beetles | under a bush, by the roses, behind the shed
    meadow     | dry   | flowers butterflies grasshoppers poppies clover bumblebees buttercups rabbits | in the tall grass, by a fence, under a tree
    farm       | dry   | cows chickens barns tractors haystacks pigs geese scarecrows | in the barn, by the gate, near the haystack
    river      | water | reeds frogs stones dragonflies willows otters kingfishers pebbles | by the reeds, on a flat stone, under a willow
    lake       | water | boats swans lilies herons fish canoes ducklings dragonflies | on the dock, by the boats, near the lilies
    pond       | water | lilies tadpoles frogs reeds newts ducks minnows waterlilies | on a lily pad, by the reeds, near the bank
    hill       | dry   | sheep rocks kites clouds windmills goats gorse boulders | behind a rock, at the top, near the windmill
    market     | dry   | stalls apples baskets carts melons pumpkins flowers shoppers | under a stall, by the melons, near a cart
    library    | dry   | books shelves maps globes lamps armchairs atlases readers | on a shelf, under a table, by the window
    school     | dry   | desks pencils globes crayons blackboards rulers paintbrushes lunchboxes | under a desk, in the hall, by the door
    zoo        | water | lions zebras penguins monkeys giraffes elephants flamingos tortoises | by the penguins, near the gate, under a bench
    bakery     | dry   | loaves muffins ovens cakes pies baguettes pretzels trays | on the counter, by the oven, under a shelf
    harbor     | water | ships sailors nets gulls ropes anchors lobsters lighthouses | by the nets, on the pier, near a boat
    village    | water | cottages chimneys wells lanes gardens bakeries bicycles hedgehogs | by the well, near a cottage, on a wall
    orchard    | dry   | apples pears ladders plums bees cherries beehives wheelbarrows | under a pear tree, by a ladder, in the grass
    playground | dry   | slides swings seesaws sandpits ropes climbers hopscotch tricycles | in the sandpit, under the slide, by the seesaw
    mountain   | water | goats rocks streams eagles pines marmots snowfields waterfalls | behind a rock, by a stream, in a cave
    island     | water | palms parrots shells coconuts waves turtles seaweed hammocks | under a palm, in the sand, by the shells
    castle     | water | towers flags knights gates moats banners dragons drawbridges | by the gate, in the tower, near the moat
    jungle     | water | vines parrots monkeys frogs orchids toucans jaguars bananas | under a vine, by a waterfall, near a log
    desert     | dry   | dunes cactuses camels lizards stars scorpions oases palms | behind a dune, by a cactus, under a rock
    museum     | dry   | statues paintings bones fossils vases skeletons tapestries mummies | by a statue, under a bench, near the door
    station    | dry   | trains tracks clocks porters suitcases whistles tickets platforms | on a bench, by the clock, near the tracks
    circus     | dry   | clowns tents jugglers acrobats lions trapezes seals unicycles | in the big tent, by the ring, near the seats
    kitchen    | dry   | pots pans spoons jars kettles ladles teapots cupboards | on the table, by the sink, under a chair
    attic      | dry   | trunks cobwebs boxes spiders clocks lamps dolls photographs | in an old trunk, under a box, by the window
    woods      | water | oaks squirrels toadstools streams badgers foxes brambles hedgehogs | under an oak, by a stream, in a hollow log
    cave       | water | bats stalactites puddles crystals echoes stalagmites glowworms pools | behind a rock, in a dark corner, by a puddle
    lighthouse | water | gulls rocks lamps stairs waves seals boats telescopes | on the stairs, by the door, behind a rock
    swamp      | water | toads reeds logs herons mosquitoes fireflies alligators lilypads | on a log, by the reeds, under a stump
    valley     | water | streams cottages cows hedges orchards meadows sheep bridges | by a hedge, near a stream, under a tree
    greenhouse | dry   | tomatoes cactuses ferns pots seedlings orchids sprinklers lemons | under a pot, by the ferns, on a shelf
    aquarium   | water | sharks turtles jellyfish tanks seahorses octopuses stingrays crabs | by a tank, under a bench, near the turtles
    fair       | dry   | carousels balloons stalls ponies lanterns jugglers candyfloss swings | by the carousel, near a stall, under a bench
    campsite   | water | tents campfires canoes hammocks lanterns marshmallows torches kayaks | by a tent, under a hammock, near the canoes
    treehouse  | dry   | ladders branches leaves cushions acorns telescopes blankets comics | under a cushion, on a branch, by the ladder
    barn       | dry   | horses hay goats buckets lanterns owls tractors saddles | in the hay, by a bucket, behind a door
    bridge     | water | railings boats ducks lamps barges trains cyclists swans | by a railing, under a lamp, at the far end
    cliff      | water | puffins gulls heather waves nests seals lighthouses gannets | in the heather, behind a rock, near a nest
    marsh      | water | reeds geese herons puddles rushes frogs dragonflies cranes | by the reeds, in the rushes, near a puddle
    palace     | water | fountains guards statues chandeliers peacocks thrones crowns gardens | by a fountain, near a statue, under a throne
    workshop   | dry   | hammers saws nails planks toolboxes screws chisels sawdust | under a plank, by the toolbox, on a bench
    bookshop   | dry   | books shelves posters armchairs bookmarks globes cats calendars | on a shelf, under an armchair, by the till
    toyshop    | dry   | puppets teddies trains marbles kites robots dolls yoyos | on a shelf, by the trains, under the counter
    pier       | water | boats anglers gulls planks buoys crabs fishermen buckets | by a buoy, on a plank, near the anglers
    glade      | dry   | deer foxgloves bluebells mushrooms moths rabbits ferns fairies | by the bluebells, under a fern, near a stump
    vineyard   | dry   | grapes vines barrels baskets sparrows wasps ladders carts | by a barrel, under a vine, near the baskets
    """
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


# Food by where it is sold: (singular, plural).
PRODUCE: tuple[tuple[str, str], ...] = _pairs(
    """apple banana pear plum peach:peaches orange cherry:cherries strawberry:strawberries
    grape lemon carrot egg tomato:tomatoes potato:potatoes nut acorn berry:berries
    radish:radishes turnip cucumber melon mango:mangoes apricot fig date walnut chestnut peanut
    cabbage onion pepper coconut pumpkin mushroom blueberry:blueberries raspberry:raspberries
    blackberry:blackberries kiwi lime pineapple watermelon nectarine tangerine clementine
    avocado parsnip beetroot lettuce:lettuces pea"""
)
BAKED: tuple[tuple[str, str], ...] = _pairs(
    """cookie cupcake muffin biscuit pancake sandwich:sandwiches pie tart bun roll cracker
    pretzel donut waffle cake bagel scone croissant crumpet brownie teacake flapjack
    sausage:sausage_rolls"""
)
BAKED = tuple((one.replace("_", " "), many.replace("_", " ")) for one, many in BAKED)
BAKED = tuple(
    (("sausage roll", "sausage rolls") if one == "sausage" else (one, many)) for one, many in BAKED
)
SWEETS: tuple[tuple[str, str], ...] = _pairs(
    """lolly:lollies sweet jellybean gumdrop popsicle marshmallow meringue toffee_apple
    lollipop caramel truffle bonbon candy_cane chocolate_bar fudge_square peppermint"""
)
SWEETS = tuple((one.replace("_", " "), many.replace("_", " ")) for one, many in SWEETS)
FOODS: tuple[tuple[str, str], ...] = PRODUCE + BAKED + SWEETS
# Who sells what: (job, shop, goods).
SHOPS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("baker", "bakery", BAKED),
    ("grocer", "market", PRODUCE + SWEETS),
    ("farmer", "farm", PRODUCE),
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
    play hopscotch|played hopscotch;make mud pies|made mud pies;play leapfrog|played leapfrog
    juggle apples|juggled apples;tell stories|told stories;play the drums|played the drums
    make a puppet show|made a puppet show;build a den|built a den;watch the boats|watched the boats
    look for treasure|looked for treasure;draw with chalk|drew with chalk;play marbles|played marbles
    bake cookies|baked cookies;make a sandwich|made a sandwich;stack blocks|stacked blocks
    search for shells|searched for shells;paint rocks|painted rocks;pick berries|picked berries
    roll snowballs|rolled snowballs;make a snowman|made a snowman;feed the ducks|fed the ducks
    play with a hoop|played with a hoop;do cartwheels|did cartwheels;sing a lullaby|sang a lullaby
    solve a riddle|solved a riddle;make paper boats|made paper boats;play pretend|played pretend
    listen to the rain|listened to the rain;watch the sunset|watched the sunset
    practice the piano|practiced the piano;knit mittens|knitted mittens;sew a quilt|sewed a quilt
    polish the silver|polished the silver;mend a fence|mended a fence;groom the ponies|groomed the ponies
    decorate cupcakes|decorated cupcakes;arrange flowers|arranged flowers;carve a whistle|carved a whistle
    study the stars|studied the stars;press flowers|pressed flowers;weave baskets|wove baskets
    gather firewood|gathered firewood;skate on the ice|skated on the ice;row a boat|rowed a boat
    toss pancakes|tossed pancakes;tidy the shelves|tidied the shelves;squeeze lemonade|squeezed lemonade
    hum a melody|hummed a melody;sketch the hills|sketched the hills;wrap presents|wrapped presents
    splash in the fountain|splashed in the fountain;bounce on the bed|bounced on the bed
    invent a machine|invented a machine;scribble poems|scribbled poems;whittle sticks|whittled sticks
    """.replace("\n", ";").split(";")
    if a.strip()
)
ACTIVITIES = tuple((b.strip(), p.strip()) for b, p in ACTIVITIES)


def _bars(spec: str) -> tuple[str, ...]:
    """'long ears|a fluffy tail' -> ('long ears', 'a fluffy tail'); line breaks are spaces."""
    return tuple(" ".join(x.split()) for x in spec.split("|"))


# Clothes that fit the weather: the story says why ("It was cold, so she put on her scarf").
CLOTHES: dict[str, tuple[str, ...]] = {
    "cold": tuple("scarf mittens woolly_hat thick_coat warm_boots gloves earmuffs jumper".split()),
    "rainy": tuple("raincoat rain_boots rain_hat wellies poncho waterproof_jacket".split()),
    "hot": tuple("sunhat sandals shorts sunglasses cap swimsuit".split()),
}
CLOTHES = {k: tuple(c.replace("_", " ") for c in v) for k, v in CLOTHES.items()}

# Things that grow: (what is planted, what it grows into).
PLANTS: tuple[tuple[str, str], ...] = tuple(
    (p.split(":")[0], p.split(":")[-1].replace("_", " "))
    for p in """sunflower tomato pumpkin rose tulip carrot pea strawberry lettuce lavender mint
    marigold bluebell foxglove cornflower radish squash melon onion pansy daffodil crocus
    orchid cactus fern bean:beanstalk acorn:oak_tree apple:apple_tree cherry:cherry_tree
    chestnut:chestnut_tree snapdragon geranium petunia hyacinth""".split()
)

# People in town: (job, where they work).
JOBS: tuple[tuple[str, str], ...] = tuple(
    tuple(j.split(":"))  # type: ignore[misc]
    for j in """baker:bakery farmer:farm librarian:library teacher:school fisherman:harbor
    zookeeper:zoo gardener:garden grocer:market potter:workshop carpenter:workshop
    bookseller:bookshop toymaker:toyshop keeper:lighthouse shepherd:hill miller:valley
    ferryman:river guard:castle ringmaster:circus curator:museum stationmaster:station
    beekeeper:meadow ranger:forest cook:kitchen""".split()
)
VEHICLES: tuple[str, ...] = tuple(
    "bus train bike boat cart wagon tractor scooter ferry tram van sled canoe raft".split()
)
DAYS: tuple[str, ...] = tuple("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())
# (season, its weather): the weather decides the clothes.
SEASONS: tuple[tuple[str, str], ...] = (
    ("winter", "cold"),
    ("spring", "rainy"),
    ("summer", "hot"),
    ("autumn", "rainy"),
)
# How characters look: furry animals by fur, birds by feathers, any animal by face and voice.
FURRY: tuple[str, ...] = tuple(
    """cat dog rabbit fox bear mouse squirrel badger otter beaver deer goat sheep lamb pig cow
    horse donkey lion tiger monkey panda koala kangaroo llama wolf raccoon mole puppy kitten
    pony bunny piglet hamster weasel ferret gorilla lemur sloth skunk chipmunk""".split()
)
BIRDS: tuple[str, ...] = tuple(
    """owl duck chick hen rooster goose swan robin sparrow crow parrot penguin duckling gosling
    hummingbird peacock flamingo pelican ostrich eagle hawk puffin swallow woodpecker
    kingfisher magpie pigeon dove""".split()
)
FUR_LOOKS: tuple[str, ...] = _bars(
    """long ears|a fluffy tail|soft fur|a pink nose|spotted fur|striped fur|tiny paws|a wet
    nose|silky whiskers|a curly tail|thick fur|fuzzy ears|a stripe on the back"""
)
BIRD_LOOKS: tuple[str, ...] = _bars(
    """shiny feathers|a yellow beak|strong wings|a short tail|long legs|a red crest|speckled
    feathers|a bright orange beak"""
)
ANIMAL_LOOKS: tuple[str, ...] = _bars(
    """big round eyes|bright eyes|a loud voice|a funny laugh|a kind face|a soft voice|a happy
    grin|a sparkle in the eye"""
)
HAIR: tuple[str, ...] = _bars(
    """curly hair|straight hair|long braids|red hair|dark hair|blond hair|messy hair|a
    ponytail|short brown hair|two little pigtails|wavy black hair"""
)
FACES: tuple[str, ...] = _bars(
    """freckles|rosy cheeks|a big smile|bright eyes|a missing tooth|dimples|round glasses|a
    button nose|a cheeky grin|sparkling blue eyes|kind brown eyes"""
)
# Where a race can finish.
LANDMARKS: tuple[str, ...] = _bars(
    """old oak tree|big red barn|stone bridge|windmill|lighthouse|stone wall|garden gate|tall
    pine|duck pond|clock tower|haystack|scarecrow|fountain|wooden fence|old well|bus stop|blue
    gate|big rock"""
)
# What a racer stops to do (past tense): the reason they lose.
DISTRACTIONS: tuple[str, ...] = (
    "lay down under a tree for a nap",
    "stopped to eat some berries",
    "chased a butterfly across the field",
    "sat down to count the clouds",
    "stopped to chat with a frog",
    "jumped in every puddle",
    "picked a big bunch of flowers",
    "stopped to watch the ants",
    "sang a long song to the birds",
    "looked for shiny pebbles",
    "tried to catch a falling leaf",
    "stopped to build a little tower of stones",
)
# What a trait makes a character do: a cause the reader can see in the story.
TRAIT_DEEDS: dict[str, str] = {
    "brave": "{subj} was never afraid of the dark, not even in thunderstorms",
    "shy": "{subj} often hid behind a tree when strangers came by",
    "curious": "{subj} always wanted to know how things worked and asked a hundred questions a day",
    "kind": "{subj} always shared {poss} snacks with anyone who was hungry",
    "clever": "{subj} could solve any riddle in the blink of an eye",
    "careful": "{subj} always looked both ways before crossing the lane",
    "silly": "{subj} liked to wear socks on {poss} ears to make everyone laugh",
    "grumpy": "{subj} frowned at the rain, the wind and even the sunshine",
    "cheerful": "{subj} hummed a happy tune wherever {subj} went",
    "lazy": "{subj} liked to nap in the afternoon more than anything",
    "patient": "{subj} could wait for hours to see a butterfly land",
    "gentle": "{subj} carried lost beetles back to the grass with great care",
    "proud": "{subj} liked to tell everyone about {poss} shiny medals",
    "honest": "{subj} always told the truth, even when it was hard",
    "playful": "{subj} turned every chore into a game",
    "noisy": "{subj} banged on pots and pans to make music",
    "helpful": "{subj} carried heavy baskets for the neighbors",
    "bossy": "{subj} liked to tell everyone what to do",
    "messy": "{poss} room was full of crumbs, crayons and odd socks",
    "tidy": "{subj} folded {poss} clothes into neat little piles",
    "sleepy": "{subj} yawned all day long",
    "clumsy": "{subj} tripped over {poss} own feet at least twice a day",
    "generous": "{subj} gave away {poss} toys to friends who had none",
    "greedy": "{subj} never wanted to share {poss} sweets",
    "stubborn": "once {subj} made up {poss} mind, nobody could change it",
    "polite": "{subj} always said please and thank you",
    "forgetful": "{subj} often forgot where {subj} had put things",
    "chatty": "{subj} could talk about anything for hours",
    "nervous": "{poss} knees wobbled whenever {subj} had to speak in front of others",
    "adventurous": "{subj} dreamed of sailing across the seven seas",
    "mischievous": "{subj} liked to hide the neighbors' shoes as a joke",
    "loyal": "{subj} always stood by {poss} friends",
    "hungry": "{poss} tummy rumbled from morning till night",
    "fearless": "{subj} climbed the tallest trees in the woods",
    "timid": "{subj} jumped at the smallest sound",
    "wise": "the other animals came to {obj} for advice",
    "thoughtful": "{subj} remembered everyone's birthday",
    "busy": "{subj} always had a list of jobs to do",
    "dreamy": "{subj} spent hours watching the clouds drift by",
    "quiet": "{subj} liked to read in a corner while the others played",
    "friendly": "{subj} waved hello to every neighbor on the street",
    "bold": "{subj} marched right up to the biggest dog in town and patted its head",
    "cheeky": "{subj} stuck out {poss} tongue at the grumpy old goose",
    "jolly": "{poss} laugh could be heard from the other side of the valley",
    "calm": "{subj} never shouted, not even when things went wrong",
    "smart": "{subj} could count to a thousand without stopping",
    "funny": "{subj} told jokes that made even the owls giggle",
    "lively": "{subj} could never sit still for more than a minute",
    "eager": "{subj} was always the first to put up {poss} hand",
    "fussy": "{subj} would only eat toast cut into perfect triangles",
    "lonely": "{subj} often wished for someone to play with",
    "lucky": "{subj} once found a golden coin in a puddle",
    "merry": "{subj} whistled a tune from breakfast until bedtime",
    "modest": "{subj} never boasted, even after winning a prize",
    "naughty": "{subj} once painted the cat's tail green",
    "sensible": "{subj} always packed an umbrella, just in case",
    "sweet": "{subj} picked flowers for {poss} grandma every week",
    "wild": "{subj} ran through the woods with leaves in {poss} hair",
    "cautious": "{subj} tested every branch before climbing on it",
    "daring": "{subj} once swung across the creek on a rope",
    "grateful": "{subj} wrote thank-you notes for every little present",
    "hopeful": "{subj} believed tomorrow would always be a better day",
    "humble": "{subj} thanked everyone who had helped {obj}",
    "jealous": "{subj} always wanted whatever {poss} friends had",
    "nosy": "{subj} peeked through every window and into every basket",
    "giggly": "{subj} giggled at the tiniest thing",
    "restless": "{subj} tossed and turned every night",
    "sneaky": "{subj} could tiptoe past anyone without a sound",
    "sulky": "{subj} pouted whenever a game did not go {poss} way",
    "tough": "{subj} never cried over scraped knees",
    "trusting": "{subj} believed every story anyone told {obj}",
    "witty": "{subj} always had a clever answer ready",
    "zany": "{subj} wore mismatched boots and a hat with a feather",
    "dainty": "{subj} sipped tea from the tiniest cup",
    "plucky": "{subj} kept trying even when things were hard",
    "cuddly": "everyone wanted to give {obj} a hug",
    "prickly": "{subj} snapped at anyone who came too close",
    "energetic": "{subj} ran three laps around the pond before breakfast",
    "peaceful": "{subj} loved to sit by the river and listen to the water",
    "graceful": "{subj} danced like a leaf on the wind",
    "hardworking": "{subj} swept the yard and fed the hens before sunrise",
    "imaginative": "{subj} made up stories about dragons and castles",
    "inventive": "{subj} built a machine that buttered toast",
    "jumpy": "{subj} leapt into the air whenever a door creaked",
    "musical": "{subj} played the flute every evening",
    "neat": "{subj} lined up {poss} pencils from shortest to longest",
    "organized": "{subj} kept a list of everything {subj} had to do",
    "talkative": "{subj} chattered from morning till night",
    "thrifty": "{subj} saved every penny in a little jar",
    "unlucky": "it always seemed to rain on {poss} picnic days",
    "vain": "{subj} looked at {poss} reflection in every puddle",
    "reckless": "{subj} often rushed ahead without looking",
    "quick": "{subj} could run faster than the wind",
}
# The sound each animal makes (past tense), for crowds and greetings.
SOUNDS: dict[str, str] = {
    "cat": "purred",
    "dog": "barked",
    "cow": "mooed",
    "duck": "quacked",
    "owl": "hooted",
    "sheep": "bleated",
    "horse": "neighed",
    "pig": "oinked",
    "bee": "buzzed",
    "frog": "croaked",
    "lion": "roared",
    "mouse": "squeaked",
    "snake": "hissed",
    "rooster": "crowed",
    "wolf": "howled",
    "robin": "chirped",
    "sparrow": "tweeted",
    "donkey": "brayed",
    "goat": "bleated",
    "hen": "clucked",
    "dove": "cooed",
    "crow": "cawed",
    "elephant": "trumpeted",
    "monkey": "chattered",
    "goose": "honked",
    "bear": "growled",
    "puppy": "yapped",
    "kitten": "mewed",
    "tiger": "snarled",
    "turkey": "gobbled",
    "seal": "barked",
    "parrot": "squawked",
    "piglet": "squealed",
    "lamb": "baaed",
}
MONTHS: tuple[str, ...] = tuple(
    "January February March April May June July August September October November December".split()
)

SCENE_ADJECTIVES: tuple[str, ...] = tuple(
    """pretty lovely colorful little big wonderful beautiful funny""".split()
)

SPEECH_VERBS: tuple[str, ...] = tuple(
    """said asked shouted whispered cried called replied answered laughed giggled sighed
    yelled murmured squeaked""".split()
)
ADVERBS: tuple[str, ...] = tuple(
    """happily sadly softly loudly quickly slowly gently carefully quietly bravely proudly
    kindly calmly eagerly sleepily excitedly cheerfully shyly nervously warmly brightly
    boldly sweetly politely""".split()
)
MOVES: tuple[str, ...] = tuple(
    """walked ran skipped hopped raced wandered hurried marched strolled dashed trotted
    scampered tiptoed rushed plodded shuffled sprinted zoomed pranced bounced""".split()
)
NUMBER_WORDS: tuple[str, ...] = tuple(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty""".split()
)

# Closing lines any story may end with: the lessons the plots teach, said plainly.
MORALS: tuple[str, ...] = (
    "Kindness is a treasure that grows when you share it.",
    "A good friend is worth more than gold.",
    "Being honest is always the right choice.",
    "Courage means trying even when you are afraid.",
    "Patience makes hard things possible.",
    "When we help each other, everything is easier.",
    "Little by little, big things get done.",
    "It is fine to make mistakes, as long as you learn from them.",
    "Saying sorry can mend what was broken.",
    "Happiness is better when it is shared.",
    "Everyone is good at something different.",
    "Listening carefully is a kind of magic.",
    "A small kindness can brighten a whole day.",
    "Friendship is the best adventure of all.",
    "Taking care of your things means they last longer.",
    "Being curious is how we learn about the world.",
    "Working together beats working alone.",
    "The best gifts come from the heart.",
)
# What the sky and air are like, by weather.
SKIES: dict[str, tuple[str, ...]] = {
    "cold": (
        "Frost sparkled on the windows, and their breath made little clouds.",
        "Snowflakes drifted down and covered the rooftops in white.",
        "Icicles hung from the gutters like glass teeth.",
    ),
    "rainy": (
        "Raindrops drummed on the roof, and puddles filled the lane.",
        "Gray clouds hid the sun, and the gutters gurgled.",
        "A rainbow peeked out between the showers.",
    ),
    "hot": (
        "The sun blazed in a cloudless sky, and the bees buzzed lazily.",
        "The air shimmered with heat, and the flowers drooped.",
        "Cicadas sang in the trees, and the pavement was warm underfoot.",
    ),
}
