"""storyworld: a probabilistic grammar that writes children's stories.

The corpus every chapter trains on. It plays the part of TinyStories (short,
simple stories with a beginning, a middle with trouble, and an ending) but is
written by a few hundred lines of Python, so the data is small, free, fully
reproducible, and every story's structure is known.

How a story is made
-------------------
1. A cast is drawn (``_cast``): a hero (a child or an animal) whose pronouns
   are fixed by the name list (words.py), one grown-up ("Mom", "Grandpa",
   ...), a friend, the hero's toy (a kind and a colour: "red kite") and
   clothes ("blue raincoat"), the home town. These are fixed for the story,
   so a toy never changes colour and the grown-up never changes person.
2. An *arc* is drawn (arcs.py: lost and found, sharing, a fear, a lost pet,
   a treasure hunt, ... 53 of them). An arc is a list of *beats*; a beat is a
   list of alternative sentence templates with slots such as ``{name}``,
   ``{he}``, ``{his}``, ``{thing}``, or lines of dialogue (``say(...)``)
   that are written out in one of several shapes.
3. Each beat picks one alternative and fills it from the story's slots.
   Fixed slots live in a dict; any other slot name (``{flowers}``,
   ``{a_food}``, ``{critter}``) draws a fresh phrase every time it is used
   (see ``FREE_SLOTS``), which is where most of the variety comes from.
4. Paragraphs: the introduction, the arc's middle (one or two paragraphs),
   and the ending (sometimes with a moral), separated by a blank line.

Everything is drawn from ``random.Random(seed)``; story ``i`` of
``generate_stories(n, seed)`` uses the seed ``seed * 1_000_003 + i``, so it is
the same whatever ``n`` is.

The consistency rules (what ``check_story`` enforces)
------------------------------------------------------
The grammar is written so that these rules hold; ``check_story`` checks them
on any text, which is how later chapters score generated stories.
(``pystory.quality.check_consistency`` adds the rules about objects and the
grown-up; the grammar keeps those too.)

* **Protagonist.** The protagonist is the first name after "named" or
  "called" in the first sentence ("... a little girl named Lily.").
  Their pronouns come from the noun before "named" when it is gendered
  (girl -> she, boy -> he, kid/child -> they), otherwise from the name lists
  (Lily -> she, Tom -> he, Sam -> they). An unknown name or no introduction
  means the pronoun rules are skipped (nothing to check against).
* **P1.** Outside quotes, a sentence that begins with "He", "She", "His" or
  "Her" is about the protagonist, so it must use the protagonist's pronoun.
  ("They" may mean a group, so it is not checked.)
* **P2.** Outside quotes, in a sentence that begins with the protagonist's
  name, the first of he/him/his/himself/she/her/hers/herself is the
  protagonist's, unless another capitalised word (another character) comes
  first. A "they" protagonist never gets he/she there.
* **N1.** Every known name other than the protagonist's must be introduced
  at its first use: "named X", "called X", "name is X", "I am X",
  "friend X", "friend, X", "sister X", ... So a protagonist renamed mid-story
  shows up as a name that was never introduced.
* **Form.** Non-empty; quotes balanced; the text ends with a finished
  sentence (. ! ? possibly followed by a closing quote); no template slot
  (``{...}``) or stray brace left; no <|endoftext|> inside.
"""
from __future__ import annotations

import random
import re

from pystory.data import words as W
from pystory.data.arcs import ARCS as _ARCS
from pystory.data.arcs import CLOSING as _CLOSING
from pystory.data.arcs import FRIEND_INTRO as _FRIEND_INTRO
from pystory.data.arcs import INTRO as _INTRO
from pystory.data.arcs import LIKES as _LIKES
from pystory.data.arcs import LOOKS as _LOOKS
from pystory.data.arcs import SETUP as _SETUP
from pystory.data.arcs import SETUP2 as _SETUP2
from pystory.data.arcs import MORAL_LEADS, PARA, Say

# ---------------------------------------------------------------------------
# Slots
# ---------------------------------------------------------------------------

def article(phrase: str) -> str:
    """'a' or 'an' + phrase: 'an apple', 'a unicorn', 'a red ball'."""
    first = phrase[:1].lower()
    vowel = first in "aeiou" and not phrase.lower().startswith(("uni", "use", "one"))
    return ("an " if vowel else "a ") + phrase


def _critter(rng: random.Random) -> str:
    """A background animal doing what that animal does: 'fluffy sparrow hopped along the fence'."""
    animal, acts = rng.choice(W.CRITTERS)
    look = rng.choice(W.ANIMAL_LOOKS) + " " if rng.random() < 0.4 else ""
    return f"{look}{animal} {rng.choice(acts)}"


def _critter_name(rng: random.Random) -> str:
    animal, _ = rng.choice(W.CRITTERS)
    return (rng.choice(W.ANIMAL_LOOKS) + " " if rng.random() < 0.4 else "") + animal


def plural(noun: str) -> str:
    """'fox' -> 'foxes', 'bunny' -> 'bunnies', 'mouse' -> 'mice' (good enough for the word lists)."""
    head, _, last = noun.rpartition(" ")
    if last in W.IRREGULAR_PLURALS:
        p = W.IRREGULAR_PLURALS[last]
    elif last.endswith(("s", "x", "z", "ch", "sh")):
        p = last + "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        p = last[:-1] + "ies"
    else:
        p = last + "s"
    return f"{head} {p}" if head else p


# Phrases built from parts: many combinations from short lists.
_HOBBY_FRAMES = [
    lambda r: f"draw pictures of {plural(r.choice(W.ANIMALS))}",
    lambda r: f"watch the {plural(r.choice(W.CRITTERS)[0])}",
    lambda r: f"collect {r.choice(W.COLLECTABLES)}",
    lambda r: f"grow {r.choice(W.FLOWERS)} in the garden",
    lambda r: f"read books about {plural(r.choice(W.ANIMALS))}",
    lambda r: f"sing songs about {plural(r.choice(W.ANIMALS))}",
    lambda r: f"play {r.choice(W.GAME_NAMES)}",
    lambda r: f"build {r.choice(W.BUILD_THINGS)} out of {r.choice(W.BUILD_STUFF)}",
    lambda r: f"make {r.choice(W.CRAFTS)}",
    lambda r: f"look for {plural(r.choice(W.CRITTERS)[0])} in the {r.choice(W.PLACES)}",
    lambda r: f"dance to {r.choice(W.MUSIC)}",
    lambda r: f"bake {r.choice(W.FOOD_MASS)}",
    lambda r: f"pretend to be {article(r.choice(W.ANIMALS))}",
    lambda r: f"count the {plural(r.choice(W.CRITTERS)[0])}",
]


def _hobby(rng: random.Random) -> str:
    """Something to love doing: a fixed hobby or one built from parts ('collect pine cones')."""
    return rng.choice(W.HOBBIES) if rng.random() < 0.35 else rng.choice(_HOBBY_FRAMES)(rng)


def _hair(rng: random.Random) -> str:
    return f"{rng.choice(W.HAIR_LOOKS)} {rng.choice(W.HAIR_COLORS)} hair"


def _eyes(rng: random.Random) -> str:
    return f"{rng.choice(W.EYE_LOOKS)} {rng.choice(W.EYE_COLORS)} eyes"


def _home(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(W.HOMES)
    return f"in {article(rng.choice(W.HOUSE_LOOKS) + ' ' + rng.choice(W.HOUSES))} {rng.choice(W.HOUSE_PLACES)}"


# Slots that draw a fresh phrase every time they are used: a list to choose
# from, or a function of the generator for phrases that must fit together.
# None of them names a coloured toy or garment, a family title or a person,
# so drawing them never breaks a consistency rule.
FREE_SLOTS = {
    "adj": W.ADJECTIVES, "trait": W.TRAITS, "animal": W.ANIMALS,
    "food": W.FOODS, "foods": W.FOOD_MASS, "happy": W.FEELINGS_GOOD, "sad": W.FEELINGS_BAD,
    "sound": W.SOUNDS, "place": W.PLACES, "furniture": W.FURNITURE, "weather": W.WEATHER,
    "day_part": W.DAY_PARTS, "season": W.SEASONS, "weekday": W.WEEKDAYS,
    "little": ["little", "small", "young", "tiny"], "home": _home,
    "townadj": W.TOWN_LOOKS, "water": W.WATER, "hobby": _hobby, "animals": lambda r: plural(r.choice(W.ANIMALS)),
    "nice": ["shiny", "little", "beautiful", "old", "special", "lovely", "bright", "pretty", "fancy"],
    "flowers": W.FLOWERS, "tree": W.TREES, "sky": W.SKY, "smell": W.SMELLS, "wind": W.WIND,
    "light": W.LIGHT, "together": W.TOGETHER, "doorcolor": W.COLORS,
    "critter": _critter, "critter_name": _critter_name, "simile": W.SIMILES, "meal": W.MEALS,
    "collectables": W.COLLECTABLES, "game_name": W.GAME_NAMES,
    "bird": ["sparrow", "blackbird", "bluebird", "finch", "magpie", "owl", "swan", "heron", "woodpecker",
             "goose", "duck", "seagull", "pigeon", "crow", "parrot", "puffin", "toucan", "peacock"],
    "hobby_who": ["singer", "runner", "climber", "builder", "painter", "dancer", "jumper", "helper",
                  "storyteller", "swimmer", "whistler", "hugger", "baker", "gardener"],
    "far_thing": ["a real whale", "the northern lights", "a shooting star", "the top of a mountain",
                  "a castle", "a giant tortoise", "the ocean", "a volcano", "a rainbow up close",
                  "a snowy owl", "a field of sunflowers", "the desert", "a real pirate ship"],
    "laugh": ["bell", "hiccup", "little drum", "squeaky door", "bubbling brook", "happy goose",
              "tickled puppy", "wind chime", "tiny trumpet"],
    "drink": ["milk", "juice", "lemonade", "cocoa", "cold water", "warm tea", "apple juice"],
    "hobby_dream": ["flying over the sea", "castles made of cake", "a sky full of kites",
                    "riding a whale", "a garden of giant flowers", "the stars", "a big picnic",
                    "swimming with dolphins", "a train that went to the moon"],
}


# Drawn nouns that sometimes get a describing word first: slot -> (words, how often).
SPRINKLE = {"animal": (W.ANIMAL_LOOKS, 0.35), "food": (W.FOOD_LOOKS, 0.3), "foods": (W.FOOD_LOOKS, 0.3)}


class _Slots(dict):
    """The slots of one story: fixed entries plus fresh draws for the rest.

    ``"{He} ate {a_food}.".format_map(slots)`` looks up ``He`` (fixed for the
    story) and ``a_food`` (missing, so ``__missing__`` draws a food and adds
    the article). A capitalised missing key ("Flowers") capitalises the draw.
    Drawn text that itself holds slots ("play with {his} {toy}") is filled too.
    """

    def __init__(self, rng: random.Random):
        super().__init__()
        self.rng = rng

    def __missing__(self, key: str) -> str:
        name, art = key, False
        if name.startswith(("a_", "A_")):
            name, art = name[2:], True
        lower = name[0].lower() + name[1:]
        if name in self:                             # {a_thing} from a fixed {thing}
            value = self[name]
        elif lower in self:                          # {Thing} from a fixed {thing}
            value = self[lower]
        elif lower in FREE_SLOTS:
            choices = FREE_SLOTS[lower]
            value = choices(self.rng) if callable(choices) else self.rng.choice(choices)
            if lower in SPRINKLE and self.rng.random() < SPRINKLE[lower][1]:
                value = f"{self.rng.choice(SPRINKLE[lower][0])} {value}"
            if "{" in value or "[" in value:
                value = self.fill(value)
        else:
            raise KeyError(key)
        if art:
            value = article(value)
        if key[0].isupper():
            value = value[0].upper() + value[1:]
        return value

    def fill(self, template: str) -> str:
        if "[" in template:
            template = _CHOICE.sub(lambda m: self.rng.choice(m.group(1).split("|")), template)
        return template.format_map(self)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


# Inline choices: a template may say "{He} [ran|raced|dashed] home." and each
# use picks one option. The grammar's own common words are given choices too
# (words.VARIANTS: "at last" may come out as "finally"), once, when the module
# loads: _choices() rewrites every template of every arc.
_CHOICE = re.compile(r"\[([^\[\]]*)\]")
_VARIANT_RE = re.compile(r"(?<![\w{\['|-])(" + "|".join(re.escape(k) for k in sorted(W.VARIANTS, key=len, reverse=True))
                         + r")(?![\w'|\]}-])", re.I)


def _choices(template: str) -> str:
    """Give the VARIANTS phrases of a template their choices: 'At last,' -> '[At last|Finally|...],'."""
    def alts(m):
        options = W.VARIANTS[m.group(0).lower()]
        if m.group(0)[0].isupper():
            options = [_cap(o) for o in options]
        return "[" + "|".join(options) + "]"
    return _VARIANT_RE.sub(alts, template)


# ---------------------------------------------------------------------------
# Dialogue: one line, several ways to write who said it
# ---------------------------------------------------------------------------

# Speech verbs by the kind of line. A "?" line is always asked (or wondered).
_VERBS = {
    "say": ["said", "said", "said", "said", "added", "explained"],
    "ask": ["asked", "asked", "asked", "wondered", "called"],
    "shout": ["shouted", "cried", "called", "yelled", "exclaimed", "shouted"],
    "reply": ["replied", "answered", "said"],
    "whisper": ["whispered", "whispered", "murmured", "said softly"],
    "happy": ["laughed", "giggled", "cheered", "said happily", "said with a grin", "beamed"],
    "sad": ["sniffed", "sobbed", "said sadly", "whispered", "said in a small voice"],
    "kind": ["said kindly", "said gently", "said softly", "said with a smile", "said"],
    "worried": ["said nervously", "whispered", "said in a shaky voice"],
    "think": ["thought", "thought to {himself}"],
}
_ASK_VERBS = {"happy": ["asked happily", "asked with a grin"], "sad": ["asked sadly", "asked in a small voice"],
              "kind": ["asked kindly", "asked gently"], "worried": ["asked nervously", "whispered"],
              "think": ["wondered"], "whisper": ["whispered"]}
_TWO_SENTENCES = re.compile(r"^(.+?[.!?])\s+(\S.*)$")


def _comma(line: str) -> str:
    """A line that a speech tag follows: a final '.' becomes ','."""
    return line[:-1] + "," if line.endswith(".") else line


_FIRST_END = re.compile(r"[.!?]")
VOCATIVE_P = 0.5         # how often the grown-up or the friend calls the hero by name


def _vocative(line: str, name: str) -> str:
    """'Let's look together.' -> 'Let's look together, Lily.' (the name before the first stop)."""
    m = _FIRST_END.search(line)
    if not m or name in line[:m.start()] or line[:m.start()].endswith(","):
        return line
    return f"{line[:m.start()]}, {name}{line[m.start():]}"


def _say(rng: random.Random, slots: _Slots, s: Say) -> str:
    """Write one line of dialogue with its speech tag, in one of several shapes."""
    line = slots.fill(s.line)
    if s.who == "name":
        speaker, hero = slots["name"], True
    else:
        speaker, hero = (slots[s.who] if s.who in slots else slots.fill(s.who)), False
        if s.who in ("adult", "friend") and rng.random() < VOCATIVE_P:
            line = _vocative(line, slots["name"])
    kind = s.kind or ("ask" if line.endswith("?") else "shout" if line.endswith("!") else "say")
    if line.endswith("?") and kind not in ("ask", "shout"):
        verbs = _ASK_VERBS.get(kind, _VERBS["ask"])
    else:
        verbs = _VERBS["ask"] if line.endswith("?") and kind == "shout" else _VERBS[kind]
    verb = slots.fill(rng.choice(verbs)) if kind == "think" else rng.choice(verbs)
    two = _TWO_SENTENCES.match(line)
    r = rng.random()
    if two and r < 0.3:                                # "Oh no!" cried Tom. "Where is it?"
        first, rest = two.groups()
        return f'"{_comma(first)}" {verb} {speaker}. "{rest}"' if rng.random() < 0.5 and " " not in verb \
            else f'"{_comma(first)}" {speaker} {verb}. "{rest}"'
    if r < 0.45:                                       # Tom said, "Hi."
        return f'{_cap(speaker)} {verb}, "{line}"'
    if r < 0.6 and " " not in verb and kind != "think":   # "Hi," said Tom.
        return f'"{_comma(line)}" {verb} {speaker}.'
    if hero and r < 0.65:                              # "Hi," she said.
        return f'"{_comma(line)}" {slots["he"]} {verb}.'
    return f'"{_comma(line)}" {speaker} {verb}.'       # "Hi," Tom said.


# ---------------------------------------------------------------------------
# The cast
# ---------------------------------------------------------------------------

# The pronoun slots of each gender, with their capitalised twins ({he}: she, {He}: She).
_PRONOUN_SLOTS = {g: {**p, **{_cap(k): _cap(v) for k, v in p.items()}} for g, p in W.PRONOUNS.items()}
_FRIEND_SLOTS = {g: {"f" + k: v for k, v in p.items()} for g, p in W.PRONOUNS.items()}


def _cast(rng: random.Random, slots: _Slots) -> None:
    """Draw the hero, the grown-up, the friend and the hero's things into the slots."""
    gender = rng.choice(("she", "he", "they")) if rng.random() < 0.9 else "they"
    names = {"she": W.GIRL_NAMES, "he": W.BOY_NAMES, "they": W.NEUTRAL_NAMES}
    name = rng.choice(names[gender])
    if rng.random() < 0.7:   # a child
        kind = {"she": "girl", "he": "boy", "they": rng.choice(("kid", "child"))}[gender]
    else:                    # an animal: pronouns come from the name list
        kind = rng.choice(W.HERO_ANIMALS)
    slots["name"], slots["Name"], slots["kind"] = name, name, kind
    slots.update(_PRONOUN_SLOTS[gender])           # {he} {his} ... and {He} {His} ...

    fgender = rng.choice(("she", "he", "she", "he", "they"))
    friend = rng.choice(names[fgender])
    while friend == name:
        friend = rng.choice(names[fgender])
    r = rng.random()
    if r < 0.65:
        fkind = {"she": "girl", "he": "boy", "they": "kid"}[fgender]
    elif r < 0.9:
        fkind = rng.choice(W.HERO_ANIMALS)
    else:
        fkind = rng.choice(W.TOY_CHARACTERS)
    slots["friend"], slots["fkind"] = friend, fkind
    slots["a_fkind"] = article(fkind)
    slots["ftrait"] = rng.choice(W.TRAITS)
    slots.update(_FRIEND_SLOTS[fgender])             # the friend's pronouns: {fhe}, {fhis}, ...

    adult = rng.choice(W.ADULTS)
    slots["adult"], slots["adult_lc"] = adult, adult.lower()
    slots["family_short"] = adult.lower()
    slots["family"] = adult.lower() + (" and " + rng.choice(W.HOUSEMATES) if rng.random() < 0.6 else "")

    # The hero's things: one toy and one garment, each with its own colour.
    tcolor, ccolor = rng.sample(W.COLORS, 2)
    toy, cloth = rng.choice(W.TOYS), rng.choice(W.CLOTHES)
    slots["toy"], slots["tcolor"], slots["thing"] = toy, tcolor, f"{tcolor} {toy}"
    slots["cloth"], slots["ccolor"], slots["outfit"] = cloth, ccolor, f"{ccolor} {cloth}"
    slots["hometown"] = rng.choice(W.HOMETOWNS)
    slots["hair"] = (_hair(rng) if rng.random() < 0.6 else rng.choice(W.HAIR)) if kind in W.GENDERED_KINDS \
        else rng.choice(W.FUR)
    slots["eyes"] = _eyes(rng) if rng.random() < 0.6 else rng.choice(W.EYES)


# ---------------------------------------------------------------------------
# Generating
# ---------------------------------------------------------------------------

# How often a sentence written "{He} ..." is told with the hero's name instead
# ("Lily ran home." for "She ran home."): stories name their hero a lot.
NAME_FOR_HE = 0.9
_AGREE = re.compile(r"\{(was|is|has|does)\}")


def _name_first(template: str) -> str:
    """'{He} {was} glad {he} came.' -> '{name} was glad {he} came.' (the verb agrees with the name)."""
    rest = template[len("{He} "):]
    m = _AGREE.match(rest)                  # only the verb right after the subject agrees with it
    return "{name} " + (m.group(1) + rest[m.end():] if m else rest)


# Neutral ways into a sentence, mixed into the middle of a story ("Soon, Lily ...").
_OPENERS = ["Then", "Soon", "After a while", "A little later", "Next", "Now", "Before long", "After that",
            "At that moment", "In a moment", "Just then", "By then"]
OPENER_P = 0.3


def _run_beats(rng: random.Random, slots: _Slots, beats, openers: bool = False) -> list[list[str]]:
    """The sentences of a list of beats, as paragraphs (PARA starts a new one).

    openers: sometimes start a narration sentence that begins with the hero's
    name with "Soon," / "Then," ... (never a pronoun sentence: P1 stays true).
    """
    paragraphs = [[]]
    for b in beats:
        if b is PARA:                       # most breaks are kept; some middles are one paragraph
            if paragraphs[-1] and rng.random() < PARA_P:
                paragraphs.append([])
            continue
        p, alternatives = b
        if p < 1.0 and rng.random() >= p:
            continue
        alt = rng.choice(alternatives)
        if isinstance(alt, str) and alt.startswith("{He} ") and rng.random() < NAME_FOR_HE:
            alt = _name_first(alt)
        if isinstance(alt, Say):
            text = _say(rng, slots, alt)
        elif callable(alt):                 # a sentence built from parts (arcs._intro, ...)
            text = alt(rng, slots)
        else:
            text = slots.fill(alt)
        if openers and text.startswith(slots["name"] + " ") and rng.random() < OPENER_P:
            text = f"{rng.choice(_OPENERS)}, {text}"
        paragraphs[-1].append(text)
    return [par for par in paragraphs if par]


def _story_seed(seed: int, index: int) -> int:
    """The seed of story `index` of a corpus: independent of the corpus size."""
    return seed * 1_000_003 + index


MIN_WORDS, MAX_WORDS = 80, 300
MORAL_P = 0.4            # how often a story ends with its arc's moral
PARA_P = 0.8             # how often an arc's paragraph break (arcs.PARA) is kept


def _compile_beat(b):
    """A beat with the VARIANTS choices written into its templates (see _choices)."""
    if b is PARA:
        return b
    p, alternatives = b
    out = []
    for alt in alternatives:
        if isinstance(alt, str):
            alt = _choices(alt)
        elif isinstance(alt, Say):
            alt = Say(alt.who, _choices(alt.line), alt.kind)
        out.append(alt)
    return (p, tuple(out))


ARCS = [(name, friend, setup, [_compile_beat(b) for b in middle], [_compile_beat(b) for b in ending],
         [_choices(m) for m in morals]) for name, friend, setup, middle, ending, morals in _ARCS]
INTRO, LIKES, LOOKS, SETUP, SETUP2, FRIEND_INTRO, CLOSING = (
    _compile_beat(b) for b in (_INTRO, _LIKES, _LOOKS, _SETUP, _SETUP2, _FRIEND_INTRO, _CLOSING))
ARC_NAMES = [arc[0] for arc in ARCS]


def generate_story(rng_or_seed, arc: str | None = None) -> str:
    """One story from an int seed or a random.Random (which it advances).

    arc: force one arc by name (see ARC_NAMES); default: drawn at random.

    A draw outside MIN_WORDS..MAX_WORDS words (rare) is thrown away and the
    same generator draws again, so every story has a sensible length.
    """
    if arc is not None and arc not in ARC_NAMES:
        raise ValueError(f"generate_story: unknown arc {arc!r}; arcs: {ARC_NAMES}")
    rng = rng_or_seed if isinstance(rng_or_seed, random.Random) else random.Random(rng_or_seed)
    while True:
        story = _draw_story(rng, arc)
        if MIN_WORDS <= story.count(" ") + 1 <= MAX_WORDS:     # words, near enough (a test checks the bounds)
            return story


def _draw_story(rng: random.Random, arc: str | None = None) -> str:
    """One story: cast, arc, paragraphs."""
    slots = _Slots(rng)
    _cast(rng, slots)
    chosen = rng.choice(ARCS) if arc is None else ARCS[ARC_NAMES.index(arc)]
    name, friend_mode, setup, middle, ending, morals = chosen
    setup(rng, slots)

    intro = _run_beats(rng, slots, [INTRO, LIKES, LOOKS, SETUP, SETUP2])[0]
    if friend_mode == "known":
        intro += _run_beats(rng, slots, [FRIEND_INTRO])[0]
    body = _run_beats(rng, slots, middle, openers=True)
    end = sum(_run_beats(rng, slots, ending), [])
    if rng.random() < MORAL_P:
        moral = slots.fill(rng.choice(morals))
        lead = "" if moral.startswith(slots["name"]) else slots.fill(rng.choice(MORAL_LEADS))
        end.append(lead + (moral[0].lower() + moral[1:] if lead else moral))
    end += sum(_run_beats(rng, slots, [CLOSING]), [])
    return "\n\n".join(" ".join(par) for par in [intro, *body, end] if par)


def generate_stories(n: int, seed: int = 0) -> list[str]:
    """n stories; story i is generate_story(seed * 1_000_003 + i)."""
    if n < 0:
        raise ValueError(f"generate_stories: n must be >= 0, got {n}")
    return [generate_story(_story_seed(seed, i)) for i in range(n)]


# ---------------------------------------------------------------------------
# Checking a story (works on any text; never raises)
# ---------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
_QUOTED = re.compile(r'"[^"]*"')
_SENT_END = re.compile(r"(?<=[.!?])\s+")
_INTRO = re.compile(r"\b(?:named|called)\s+([A-Z][a-z]+)")
_SUBJECT_START = {"He": "he", "She": "she", "His": "he", "Her": "she"}
_GENDERED = {"he": "he", "him": "he", "his": "he", "himself": "he",
             "she": "she", "her": "she", "hers": "she", "herself": "she"}
_INTRO_WORDS = r"(?:named|called|name is|name was|I am|I'm|friend|friends|sister|brother|cousin|neighbor)"


def _narration_sentences(text: str) -> list[str]:
    """Sentences outside quotes; a quote is replaced by the word QUOTE.

    A quote that ends a sentence ('... "Wow!" She smiled.') keeps the
    sentence break when a capital letter follows it.
    """
    def repl(m):
        inner = m.group(0)[1:-1].rstrip()
        after = text[m.end():].lstrip()[:1]
        ends = inner[-1:] in ".!?" and after[:1].isupper()
        return " QUOTE. " if ends else " QUOTE "
    outside = _QUOTED.sub(repl, text)
    return [s.strip() for s in _SENT_END.split(outside) if s.strip()]


def find_protagonist(text: str):
    """(name, pronoun) from the first sentence: pronoun is she/he/they or None."""
    first = _SENT_END.split(text.strip(), 1)[0] if text.strip() else ""
    m = _INTRO.search(first)
    if not m:
        return None, None
    name = m.group(1)
    before = _WORD.findall(first[:m.start()])
    kind = before[-1].lower() if before else ""
    pronoun = W.GENDERED_KINDS.get(kind) or W.NAME_PRONOUNS.get(name)
    return name, pronoun


def _form_problems(text: str) -> list[str]:
    problems = []
    if text.count('"') % 2:
        problems.append(f"unbalanced quotes: {text.count(chr(34))} double quote characters")
    if text.count("\u201c") != text.count("\u201d"):
        problems.append("unbalanced curly quotes")
    if not re.search(r"[.!?][\"\u201d']?$", text):
        problems.append(f"does not end with a finished sentence: ...{text[-30:]!r}")
    slot = re.search(r"\{[^{}]*\}", text)
    if slot:
        problems.append(f"leftover template slot {slot.group(0)!r}")
    elif "{" in text or "}" in text:
        problems.append("stray brace")
    if "<|endoftext|>" in text:
        problems.append("contains <|endoftext|>")
    if "\ufffd" in text or re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", text):
        problems.append("contains undecodable bytes or control characters")
    return problems


def _pronoun_problems(sentences: list[str], name: str, pronoun: str) -> list[str]:
    problems = []
    for sent in sentences:
        words = _WORD.findall(sent)
        if not words:
            continue
        first = words[0]
        if first in _SUBJECT_START and _SUBJECT_START[first] != pronoun:
            problems.append(f"pronoun {first!r} but {name} is '{pronoun}': {sent[:60]!r}")
            continue
        if first.split("'")[0] != name:
            continue
        for w in words[1:]:
            if w[0].isupper() and w not in ("I", "QUOTE"):
                break                       # another character comes first: ambiguous
            if w.lower() in _GENDERED:
                if _GENDERED[w.lower()] != pronoun:
                    problems.append(f"{w!r} refers to {name}, who is '{pronoun}': {sent[:60]!r}")
                break
    return problems


def _name_problems(text: str, protagonist) -> list[str]:
    problems = []
    seen = set()
    for m in re.finditer(r"\b[A-Z][a-z]+\b", text):
        w = m.group(0)
        if w == protagonist or w in seen or w not in W.NAME_PRONOUNS:
            continue
        seen.add(w)
        before = text[max(0, m.start() - 16):m.start()]
        if not re.search(_INTRO_WORDS + r"\s*,?\s+$", before):
            who = f"protagonist is {protagonist}" if protagonist else "no protagonist introduced"
            problems.append(f"name {w!r} is used but never introduced ({who})")
    return problems


def check_story(text) -> list[str]:
    """Problems with a story (empty list = consistent). Never raises.

    Accepts str or bytes (bytes are decoded as UTF-8; bad bytes are a problem).
    The rules are listed in the module docstring.
    """
    try:
        if isinstance(text, (bytes, bytearray)):
            text = bytes(text).decode("utf-8", errors="replace")
        if not isinstance(text, str):
            return [f"not text: got {type(text).__name__}"]
        text = text.strip()
        if not text:
            return ["empty story"]
        problems = _form_problems(text)
        name, pronoun = find_protagonist(text)
        if name and pronoun:
            problems += _pronoun_problems(_narration_sentences(text), name, pronoun)
        problems += _name_problems(text, name)
        return problems
    except Exception as e:  # the checker scores messy model output: report, never raise
        return [f"checker error: {type(e).__name__}: {e}"]


# ---------------------------------------------------------------------------
# Corpus statistics
# ---------------------------------------------------------------------------

_LOWER_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
_STAT_SENT = re.compile(r'(?<=[.!?])\s+|(?<=[.!?]")\s+(?=[A-Z"])')


def _distinct_ngrams(ids, starts, n: int, vocab: int) -> tuple[int, int]:
    """(distinct, total) n-grams over word ids, never crossing a story start.

    ids: int64 (N,) word ids of all stories concatenated; starts: (S,) offsets.
    Each n-gram is packed into one int64 (base `vocab`) and np.unique counts them.
    """
    import numpy as np
    N = len(ids)
    if N < n:
        return 0, 0
    story = np.zeros(N, np.int64)
    story[starts[1:]] = 1
    story = np.cumsum(story)
    ok = story[: N - n + 1] == story[n - 1:]        # all n words in one story
    if vocab ** n < 2 ** 62:
        code = np.zeros(N - n + 1, np.int64)
        for k in range(n):
            code = code * vocab + ids[k: N - n + 1 + k]
        distinct = len(np.unique(code[ok]))
    else:                                           # huge vocabularies: compare rows
        rows = np.stack([ids[k: N - n + 1 + k] for k in range(n)], axis=1)[ok]
        distinct = len(np.unique(rows, axis=0))
    return distinct, int(ok.sum())


DISTINCT2_WORDS = 200_000
_ISSUE_WORD = re.compile(r"[a-z']+")


def distinct_2_words(stories, n_words: int = DISTINCT2_WORDS) -> tuple[float, int]:
    """(distinct-2, words used): distinct word bigrams / all bigrams of the first n_words words.

    The measure real corpora are compared by: a word is a lower-cased run of
    letters and apostrophes ([a-z']+), the stories are read as one stream (a
    bigram may cross a story boundary), and only the first n_words count, so
    corpora of any size compare fairly. Real TinyStories (V1 train) scores
    0.283 on it; storyworld must score at least 0.25.
    """
    words: list[str] = []
    for s in stories:
        words.extend(_ISSUE_WORD.findall(s.lower()))
        if len(words) >= n_words:
            break
    words = words[:n_words]
    if len(words) < 2:
        return 0.0, len(words)
    return len(set(zip(words, words[1:]))) / (len(words) - 1), len(words)


def corpus_stats(stories) -> dict:
    """Statistics of a list (or any iterable) of stories.

    Returns n_stories, distinct_story_fraction, distinct_sentences, vocab_size,
    mean/min/max_words, distinct_1/2/3 (distinct n-grams / all n-grams over
    lower-cased words, within stories), and distinct_2_stream with
    distinct_2_stream_words (distinct_2_words: the first 200,000 words as one stream).
    """
    import numpy as np
    stories = stories if isinstance(stories, list) else list(stories)
    story_hashes, sentences, lengths = set(), set(), []
    vocab, ids, starts = {}, [], []
    for s in stories:
        story_hashes.add(hash(s))
        sentences.update(p for p in _STAT_SENT.split(s.replace("\n", " ")) if p.strip())
        words = _LOWER_WORD.findall(s.lower())
        lengths.append(len(words))
        starts.append(len(ids))
        ids.extend(vocab.setdefault(w, len(vocab)) for w in words)
    n = len(lengths)
    ids_arr, starts_arr = np.asarray(ids, np.int64), np.asarray(starts, np.int64)
    stats = {
        "n_stories": n,
        "distinct_story_fraction": len(story_hashes) / n if n else 0.0,
        "distinct_sentences": len(sentences),
        "vocab_size": len(vocab),
        "total_words": len(ids),
        "mean_words": float(np.mean(lengths)) if n else 0.0,
        "min_words": int(min(lengths)) if n else 0,
        "max_words": int(max(lengths)) if n else 0,
    }
    for k in (1, 2, 3):
        d, t = _distinct_ngrams(ids_arr, starts_arr, k, max(len(vocab), 1))
        stats[f"distinct_{k}"] = d / t if t else 0.0
    stats["distinct_2_stream"], stats["distinct_2_stream_words"] = distinct_2_words(stories)
    return stats


def format_stats(stats: dict) -> str:
    """The stats as an aligned, human-readable table."""
    rows = [
        ("stories", f"{stats['n_stories']:,}"),
        ("distinct stories", f"{100 * stats['distinct_story_fraction']:.2f} %"),
        ("distinct sentences", f"{stats['distinct_sentences']:,}"),
        ("vocabulary (words)", f"{stats['vocab_size']:,}"),
        ("words", f"{stats['total_words']:,}"),
        ("words per story", f"mean {stats['mean_words']:.1f}, min {stats['min_words']}, max {stats['max_words']}"),
        ("distinct-1/2/3", f"{stats['distinct_1']:.4f} / {stats['distinct_2']:.4f} / {stats['distinct_3']:.4f}"),
    ]
    if "distinct_2_stream" in stats:
        n = stats["distinct_2_stream_words"]
        rows.append(("distinct-2 (stream)", f"{stats['distinct_2_stream']:.4f} over the first {n:,} words "
                     f"(real TinyStories: 0.283 over 200,000)"))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)
