"""Who the stories are about: names, pronouns, animals, traits, feelings, looks and sounds.

Plain data (tuples, never sets) so that drawing with ``random.Random(seed)`` is the same on every
machine. A trait comes with a deed the story shows (``TRAIT_DEEDS``); a helper animal with what
its body can do (``HELPERS``), so the reader can check the logic.
"""

from __future__ import annotations

from dataclasses import dataclass

from minillm.corpus.world._tables import bars


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
FUR_LOOKS: tuple[str, ...] = bars(
    """long ears|a fluffy tail|soft fur|a pink nose|spotted fur|striped fur|tiny paws|a wet
    nose|silky whiskers|a curly tail|thick fur|fuzzy ears|a stripe on the back"""
)
BIRD_LOOKS: tuple[str, ...] = bars(
    """shiny feathers|a yellow beak|strong wings|a short tail|long legs|a red crest|speckled
    feathers|a bright orange beak"""
)
ANIMAL_LOOKS: tuple[str, ...] = bars(
    """big round eyes|bright eyes|a loud voice|a funny laugh|a kind face|a soft voice|a happy
    grin|a sparkle in the eye"""
)
HAIR: tuple[str, ...] = bars(
    """curly hair|straight hair|long braids|red hair|dark hair|blond hair|messy hair|a
    ponytail|short brown hair|two little pigtails|wavy black hair"""
)
FACES: tuple[str, ...] = bars(
    """freckles|rosy cheeks|a big smile|bright eyes|a missing tooth|dimples|round glasses|a
    button nose|a cheeky grin|sparkling blue eyes|kind brown eyes"""
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
