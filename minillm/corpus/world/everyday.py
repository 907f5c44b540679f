"""What characters do and say: food and shops, activities, plants, jobs, speech and morals."""

from __future__ import annotations

from minillm.corpus.world._tables import pairs

# Food by where it is sold: (singular, plural).
PRODUCE: tuple[tuple[str, str], ...] = pairs(
    """apple banana pear plum peach:peaches orange cherry:cherries strawberry:strawberries
    grape lemon carrot egg tomato:tomatoes potato:potatoes nut acorn berry:berries
    radish:radishes turnip cucumber melon mango:mangoes apricot fig date walnut chestnut peanut
    cabbage onion pepper coconut pumpkin mushroom blueberry:blueberries raspberry:raspberries
    blackberry:blackberries kiwi lime pineapple watermelon nectarine tangerine clementine
    avocado parsnip beetroot lettuce:lettuces pea"""
)
BAKED: tuple[tuple[str, str], ...] = pairs(
    """cookie cupcake muffin biscuit pancake sandwich:sandwiches pie tart bun roll cracker
    pretzel donut waffle cake bagel scone croissant crumpet brownie teacake flapjack
    sausage:sausage_rolls"""
)
BAKED = tuple((one.replace("_", " "), many.replace("_", " ")) for one, many in BAKED)
BAKED = tuple(
    (("sausage roll", "sausage rolls") if one == "sausage" else (one, many)) for one, many in BAKED
)
SWEETS: tuple[tuple[str, str], ...] = pairs(
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
