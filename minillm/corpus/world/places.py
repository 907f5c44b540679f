"""Where and when stories happen: places, times of day, seasons, weather, clothes and skies."""

from __future__ import annotations

from dataclasses import dataclass

from minillm.corpus.world._tables import bars


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

# Clothes that fit the weather: the story says why ("It was cold, so she put on her scarf").
CLOTHES: dict[str, tuple[str, ...]] = {
    "cold": tuple("scarf mittens woolly_hat thick_coat warm_boots gloves earmuffs jumper".split()),
    "rainy": tuple("raincoat rain_boots rain_hat wellies poncho waterproof_jacket".split()),
    "hot": tuple("sunhat sandals shorts sunglasses cap swimsuit".split()),
}
CLOTHES = {k: tuple(c.replace("_", " ") for c in v) for k, v in CLOTHES.items()}
DAYS: tuple[str, ...] = tuple("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())
# (season, its weather): the weather decides the clothes.
SEASONS: tuple[tuple[str, str], ...] = (
    ("winter", "cold"),
    ("spring", "rainy"),
    ("summer", "hot"),
    ("autumn", "rainy"),
)
# Where a race can finish.
LANDMARKS: tuple[str, ...] = bars(
    """old oak tree|big red barn|stone bridge|windmill|lighthouse|stone wall|garden gate|tall
    pine|duck pond|clock tower|haystack|scarecrow|fountain|wooden fence|old well|bus stop|blue
    gate|big rock"""
)
MONTHS: tuple[str, ...] = tuple(
    "January February March April May June July August September October November December".split()
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
