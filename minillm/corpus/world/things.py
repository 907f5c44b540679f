"""Things and what they are made of: the materials carry the world's physical rules.

a fragile thing that is dropped breaks        ("Because the jar was glass, it broke.")
a bouncy thing that is dropped bounces
a thing that floats stays up in water, others sink
a thing that melts turns soft in the hot sun
a thing that soaks is ruined by rain
a light thing is blown away by strong wind
"""

from __future__ import annotations

from dataclasses import dataclass


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
