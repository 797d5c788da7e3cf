"""The story arcs of storyworld (pystory/data/storyworld.py builds stories from them).

An arc is a tuple (name, friend, setup, middle, ending, morals):

    name     what the story is about ("lost and found")
    friend   None (no friend), "known" (introduced in the first paragraph) or
             "new" (the arc introduces the friend itself: "My name is ...")
    setup    setup(rng, slots): fixes the arc's own slots (the lost thing, the fear)
    middle   a list of beats; PARA starts a new paragraph
    ending   a list of beats
    morals   sentences, one of which may close the story

A beat is (p, alternatives): used with probability p, one alternative drawn.
An alternative is a template string ("{He} looked under {furniture}.") or a
line of dialogue, say(who, line, kind), which the grammar writes out in one of
several shapes ('"Hi," said Tom.', 'Tom said, "Hi."', '"Hi!" Tom called.',
'"Oh no!" cried Tom. "Where is it?"').

Rules every template keeps (the checkers enforce them on every story):

* A narration sentence that starts with He/She/His/Her is about the hero, so it
  is written {He}/{His}; nobody else is ever the first word as a pronoun.
* In a sentence that starts with the hero's name, the first he/she/his/her is
  the hero's, unless another character is named first.
* The hero's toy is the story's {thing} ({tcolor} {toy}) and the hero's clothes
  are {outfit} ({ccolor} {cloth}); no other coloured toy or garment appears,
  so an object never changes colour or kind.
* The grown-up is {adult}, the one family title used as a name in the story;
  other family members are lower-case ("her big sister").
* Every name but the hero's is introduced where it first appears.
"""
from __future__ import annotations

from pystory.data import words as W


def beat(*alternatives, p=1.0):
    """One beat: alternative templates (or say(...) lines); used with probability p."""
    return (p, alternatives)


class Say:
    """A line of dialogue: who speaks (a slot name or a template), the words, and how."""
    __slots__ = ("who", "line", "kind")

    def __init__(self, who, line, kind=None):
        self.who, self.line, self.kind = who, line, kind


def say(who, line, kind=None):
    """who: 'name', 'friend', 'adult', ... or a template such as 'the {short}'.
    kind: 'say', 'ask', 'shout', 'reply', 'whisper', 'happy', 'sad', 'think'
    (default: from the last character of the line)."""
    return Say(who, line, kind)


PARA = (1.0, None)          # a paragraph break inside an arc's middle


def _fix(slots, key, value):
    """Set a fixed slot, filling any slots (and [a|b] choices) inside the value first."""
    slots[key] = slots.fill(value) if "{" in value or "[" in value else value


# ---------------------------------------------------------------------------
# Beats shared by many arcs
# ---------------------------------------------------------------------------

# The first sentence is built from parts (an opening, a description of the
# hero, sometimes a clause after the name), so that the sentence every story
# shares comes in thousands of versions. It always ends the description with
# the kind and "named {name}", which is how check_story finds the hero.
_OPENINGS = [
    "Once upon a time, there was {who}.", "Once upon a time, there was {who}.",
    "Once upon a time, there lived {who}.",
    "Once upon a time, in {a_townadj} {hometown}, there lived {who}.",
    "Once upon a time, in {a_townadj} {hometown} by the {water}, there lived {who}.",
    "Once upon a time, near {a_townadj} {water}, lived {who}.",
    "Once upon a time, high on a {townadj} hill, there lived {who}.",
    "Once upon a time, on a {weather} {weekday}, {who} looked out of the window.",
    "There once was {who}.", "There was once {who}.", "Once there was {who}.",
    "Long ago, there lived {who}.", "Long ago, in {a_townadj} {hometown}, there lived {who}.",
    "Not long ago, there was {who}.", "A long time ago, in a {townadj} little {hometown}, there was {who}.",
    "In {a_townadj} {hometown} far away, there was {who}.",
    "Far away, in {a_townadj} {hometown} full of {flowers}, lived {who}.",
    "One {weather} {day_part}, {who} woke up early.",
    "One {season} {day_part}, {who} looked out at the {water}.",
    "In a house at the end of {a_townadj} lane lived {who}.",
    "Every {season}, {who} waited for the first {weather} day.",
]
_HEROES = ["{a_trait} {kind}", "{a_little} {kind}", "{a_trait} little {kind}", "{a_trait} and {trait} {kind}",
           "{a_little} {trait} {kind}", "{a_trait} young {kind}", "{a_trait}, {trait} {kind}"]
_AFTER_NAME = ["", "", "", "", " who lived {home}", " who loved {foods}", " who was as {simile}",
               " with {hair}", " who had {eyes}", " who lived with {his} {family}", " who never sat still",
               " who wanted to see the whole world", " who asked a lot of questions",
               " who loved {flowers} and {foods}", " with a big imagination", " who liked to {hobby}"]


def _intro(rng, s):
    opening = rng.choice(_OPENINGS)
    word = "called" if rng.random() < 0.15 else "named"
    who = f"{rng.choice(_HEROES)} {word} {{name}}{rng.choice(_AFTER_NAME)}"
    return s.fill(opening.replace("{who}", who))


_WHEN = ["", "", " every day", " more than anything", " on {weather} days", " in the {season}",
         " after {meal}", " with {his} {family_short}", " whenever {he} could", " all day long",
         " before bed", " on {weekday}s", " with {his} {thing}", " in the {hometown}"]


def _likes(rng, s):
    verb = rng.choice(["loved", "liked", "loved", "really liked"])
    who = "{name}" if rng.random() < 0.6 else "{He}"
    return s.fill(f"{who} {verb} to {{hobby}}{rng.choice(_WHEN)}.")


_FAVORITES = [("color", "was", "{tcolor}"), ("bird", "was the {bird}", ""), ("tree", "was the {tree}", ""),
              ("holiday", "was the {season} fair", ""), ("song", "was about {animals}", ""), ("snack", "was", "{a_food}"), ("food", "was", "{foods}"),
              ("animal", "was the {animal}", ""), ("season", "was {season}", ""), ("day", "was {weekday}", ""),
              ("flowers", "were", "{flowers}"), ("tree", "was the old {tree} tree in the garden", ""),
              ("drink", "was {drink}", ""), ("place", "was the {place}", ""), ("sound", "was {sound}", ""),
              ("smell", "was {smell}", ""), ("game", "was {game_name}", ""), ("story", "was about {a_animal}", "")]


def _favorite(rng, s):
    what, verb, value = rng.choice(_FAVORITES)
    who = rng.choice(["{His}", "{His}", "{name}'s"])
    return s.fill(f"{who} favorite {what} {verb}{' ' + value if value else ''}.")


_KNOWN_FOR = ["always smiled", "sang in the street", "waved to everyone", "had the loudest laugh",
              "knew the name of every dog", "always helped", "wore {his} {outfit} every day",
              "told the best jokes", "could whistle like a bird", "always had {foods} to share",
              "asked so many questions", "never stopped running"]


def _known(rng, s):
    return s.fill(f"Everyone in the {{hometown}} knew {{name}} because {{he}} {rng.choice(_KNOWN_FOR)}.")


INTRO = beat(_intro)

# Always starts with the hero's pronoun (the tests swap it).
LIKES = beat(
    _likes, _likes, _likes, _likes, _likes, _likes,
    "{He} {was} always [happy|glad|cheerful] when {he} could {hobby}.",
    "{He} lived {home} with {his} {family}.",
    "{He} lived {home}.",
    "{He} had {a_thing} and a [big|wide|bright|cheeky] smile.",
    "{He} liked {foods}, {flowers}, and [the sound of rain|{animals}|rainy days|long walks].",
    "{He} loved {his} {family_short} and {his} {thing}.",
    "{He} liked to {hobby} and to {hobby}.",
    "{He} {was} {a_trait} {kind} who liked to {hobby}.",
    "{He} lived with {his} {family}, and {he} [loved|liked] to {hobby}.",
    "{He} had {eyes} and a laugh like {a_laugh}.",
    "{He} always wore {his} {outfit}, even on [hot|rainy|snowy|windy] days.",
    "{He} {was} the [best|fastest|loudest|quietest] {hobby_who} in the whole {hometown}.",
    "{He} could {hobby} for hours.",
)
SETUP = beat(
    _favorite, _favorite, _favorite, _favorite, _favorite, _known, _known, _known,
    "Every {day_part}, {he} liked to eat {foods}.",
    "{name} had {a_thing} that {he} took everywhere.",
    "{name} also liked to {hobby}.",
    "{name} lived with {his} {family} in a house with a {doorcolor} door.",
    "In the [mornings|evenings|afternoons], {name} liked to {hobby}.",
    "{name}'s [best|most special|favorite] thing in the whole world was {his} {thing}.",
    "{name} kept {his} {thing} [on a shelf by {his} bed|under {his} pillow|in a box by the door|on the windowsill].",
    "On {weekday}s, {name} and {adult} liked to {hobby}.",
    "{His} {thing} went with {him} to the {place}, to bed, and even to the [bath|table|shops].",
    "{name} and {adult} [often|always|sometimes] went to the {place} to {hobby}.",
    "{name} [dreamed|hoped|wished] that one day {he} would see {a_far_thing}.",
    "{name} knew a lot about {animals} and {animals}.",
    "{His} [window|room|bed] looked out over the {place}.",
    p=0.65,
)
SETUP2 = beat(
    _favorite, _favorite, _known,
    "On [sunny|rainy|snowy|windy|lazy] days, {name} liked to {hobby}.",
    "At night, {he} liked to listen to [stories|songs|old tales] from {adult}.",
    "{His} {family_short} loved {him} very much.",
    "{name} was {a_trait} {kind}, and everyone liked {him}.",
    "Outside {his} window, {a_critter_name} lived in a big old {tree} tree.",
    "{He} always said hello to the {animal} that lived by the {water}.",
    "{His} room was full of {flowers} in [little jars|old cups|tiny pots].",
    "{name} could name every [bird|flower|tree|star] in the [garden|sky|park|{hometown}].",
    "When it rained, {name} liked to {hobby} by the window.",
    "{name} liked {foods} best, but {he} also liked {foods}.",
    "{His} {outfit} was {his} favorite thing to wear.",
    "Every {weekday}, {adult} made {foods} for {meal}.",
    "{name} had a [little|small|tiny] garden where {flowers} grew.",
    "{He} kept a [jar|box|tin] of {collectables} under {his} bed.",
    "{name} was [sometimes|often|always] the first to wake up in the {hometown}.",
    p=0.4,
)
LOOKS = beat(
    "{He} had {hair} and {eyes}.",
    "{name} had {hair}, {eyes} and a laugh like {a_laugh}.",
    "{He} had {eyes} and {hair}.",
    "{name} was as {simile}, and {he} had {hair}.",
    "Everyone knew {name} by {his} {hair} and {his} {outfit}.",
    "{name} was [small|tall|little|quick] for {his} age, with {hair}.",
    "{name} had {eyes} that [sparkled|shone|twinkled] when {he} laughed.",
    p=0.25,
)
FRIEND_INTRO = beat(
    "{His} best friend was {a_fkind} named {friend}.",
    "{name} had a [good|dear|special] friend named {friend}, {a_fkind} who lived [next door|down the road|across the street].",
    "{name} and {his} friend {friend} played together [every day|after school|every weekend|all summer long].",
    "{His} best friend, {friend}, was {a_ftrait} {fkind}.",
    "Next door lived {a_fkind} named {friend}, who was {his} best friend.",
    "{name} had a friend called {friend}, {a_ftrait} {fkind} with a [loud|big|squeaky|happy] laugh.",
    "{His} friend {friend} lived [across the street|next door|by the {water}] and came over almost every day.",
    "{name}'s best friend was {a_ftrait} {fkind} named {friend} who loved to {hobby}.",
    "{name}'s [best|oldest|closest] friend was {a_fkind} called {friend}.",
    "{His} friend {friend}, {a_ftrait} {fkind}, [always|often] came to play.",
    "{name} had met {his} friend {friend}, {a_fkind}, at the {place} one {season}.",
    "{name} [loved|liked] to {hobby} with {his} friend {friend}.",
)
FEEL_BAD = beat(
    "{He} felt [very|so|really] {sad}.",
    "{name} was so {sad} that {he} wanted to cry.",
    "Tears filled {his} eyes.",
    "{name} sat down and sighed a [big|long|deep|heavy] sigh.",
    "{His} lip started to [shake|wobble|tremble].",
    "{name} felt {sad} and small.",
    "{He} hugged {his} knees and felt {sad}.",
    "{name} was as quiet as a mouse and twice as {sad}.",
    "{He} stared at the [floor|ground|sky] and felt {sad} and {sad}.",
    "A [big|fat|salty] tear rolled down {his} cheek.",
    "{name} felt a lump in {his} throat.",
    "{He} felt {sad}, like a [cloud on a rainy day|balloon with no air|flower with no sun].",
    "{name}'s shoulders drooped.",
    "{name} kicked a [pebble|stone|leaf] and frowned.",
    "{He} did not feel like [playing|singing|eating] anymore.",
    "{name}'s tummy felt [tight|heavy|funny] and {sad}.",
    p=0.85,
)
FEEL_GOOD = beat(
    "{He} felt {happy} inside.",
    "{name} smiled from ear to ear.",
    "{His} heart felt [warm|light|full] and [light|bright|happy].",
    "{name} jumped up and down with [joy|delight|glee].",
    "{He} laughed and clapped {his} hands.",
    "{name} felt proud and {happy}.",
    "{He} did a little [dance|jig|twirl|hop] because {he} {was} so glad.",
    "{name} felt as {happy} as a [bird in the sky|puppy in the sun|fish in the sea|bee in a flower].",
    "{name} was as {simile}, and {he} felt {happy}.",
    "{He} felt {happy} and {happy}, all at once.",
    "{His} cheeks [glowed|went pink] and {his} eyes sparkled.",
    "{name} could not stop [smiling|grinning|giggling].",
    "{He} felt {happy} all the way down to {his} toes.",
    "{name} [hummed|whistled|sang] a happy little tune.",
    "It was the [happiest|best|brightest] feeling in the world.",
    "{name} spun around and laughed.",
    p=0.75,
)
# Scenery: it paints the place and never touches the cast or the objects.
SCENE = beat(
    "The sky was {sky}.",
    "The air smelled of {smell}.",
    "{A_critter}.",
    "Nearby, {a_critter}.",
    "The wind {wind} the leaves of the {tree} trees.",
    "{Flowers} grew all along the [path|road|fence|river bank].",
    "{Light}",
    "Somewhere, {a_critter}, and {a_critter}.",
    "It was {a_weather} {day_part}, and the {tree} trees swayed.",
    "Rows of {flowers} nodded in the breeze.",
    "{A_critter}, and the air smelled of {smell}.",
    "In the distance, {sound} came and went.",
    "The grass was [wet|soft|long|green], and {a_critter}.",
    "A row of {tree} trees stood by the path, and {flowers} grew under them.",
    "{A_critter}, while {a_critter}.",
    "Little {flowers} and {flowers} grew between the stones.",
    "The {tree} trees were full of birds, and the air smelled of {smell}.",
    "[Clouds|Little clouds|Fluffy clouds] drifted over the {place}.",
    "The path was lined with {flowers}, and {a_critter}.",
    "A {townadj} breeze carried the smell of {smell}.",
    p=0.7,
)
INDOOR = beat(*[line for line in W.INDOOR], p=0.55)
MEAL = beat(
    "For {meal}, they had {foods} and {foods}.",
    "They stopped for {meal}: {foods}, {a_food} and a cup of {drink}.",
    "{adult} made {foods} with {foods} for {meal}.",
    "After {meal} of {foods}, they felt ready for anything.",
    "They shared {a_food} and some {foods}.",
    p=0.5,
)
SCENE2 = beat(*SCENE[1], p=0.45)
CLOSING = beat("The end.", "And they all lived happily ever after.", p=0.1)
MORAL_LEADS = ("", "", "", "The lesson was clear: ", "And so {name} learned: ", "{name} knew now: ",
               "That day, {name} learned something: ")

# A line of thanks, a hug: endings many arcs share.
THANKS = beat(
    say("name", "Thank you, {adult}!"),
    "{name} gave {adult} a big hug.",
    say("name", "You are the best, {adult}.", "happy"),
    "{name} hugged {adult} tight.",
)


# ---------------------------------------------------------------------------
# The arcs
# ---------------------------------------------------------------------------

def _setup_lost(rng, s):
    _fix(s, "lplace", rng.choice(["park", "beach", "garden", "playground", "meadow", "forest", "fair",
                                  "library", "market", "orchard", "pond", "zoo"]))
    _fix(s, "helper", rng.choice(["dog", "bird", "squirrel", "cat", "rabbit", "owl", "duck", "fox",
                                  "goat", "crow", "hedgehog", "mouse"]))


LOST = ("lost and found", None, _setup_lost, [
    beat("One {day_part}, {name} took {his} {thing} to the {lplace}.",
         "One {weather} day, {name} went to the {lplace} with {his} {thing}.",
         "{name} loved {his} {thing} very much. One day, {he} brought it to the {lplace}.",
         "On {weekday}, {name} and {adult} went to the {lplace}. {name} brought {his} {thing}.",
         "After [lunch|breakfast|school], {name} put {his} {thing} in a [bag|basket|backpack] and walked to the {lplace} with {adult}.",
         "It was {a_weather} {day_part}, and {name} [skipped|hopped|ran] to the {lplace} with {his} {thing} under {his} arm.",
         "{adult} and {name} [went|walked|set off] to the {lplace}, and the {thing} came too."),
    SCENE,
    beat("{He} played with it all {day_part} long.",
         "{He} played and played until the sun went [low|down|behind the trees].",
         "{name} ran and jumped and had [lots of|so much|the best] fun.",
         "{He} showed it to {a_animal} and {a_animal}.",
         "{He} ran, skipped and sang, and the {toy} came too.",
         "{name} [tossed|carried|pulled] the {toy} [up and down the path|around the {tree} tree|past the {flowers}].",
         "{He} played {game_name} with the {toy} near {furniture}."),
    SCENE2,
    PARA,
    beat("But when it was time to go home, the {toy} was gone!",
         "Then {he} looked down. The {toy} was not there!",
         "But suddenly, {name} could not find {his} {thing} anywhere.",
         "When {he} turned around, {his} {thing} was missing.",
         "Later, {name} reached for {his} {toy}, but {his} hands found nothing.",
         "[Uh oh|Oh dear|Oh no]! The {toy} was [nowhere to be seen|not on the bench|gone from the grass]."),
    beat(say("name", "[Oh no|Oh dear|Uh oh]! Where is my {toy}?"),
         say("name", "My {toy}! Where did it go?"),
         say("name", "I lost my {toy}!", "sad"),
         say("name", "Has anyone seen my {thing}?"),
         say("name", "It was right here. Where could it be?"),
         say("name", "[Where are you|Come back], little {toy}?", "sad")),
    FEEL_BAD,
    beat("{He} looked under {furniture}.", "{He} looked behind {furniture}.",
         "{He} searched near {furniture}, but it was not there.", "{name} looked high and low.",
         "{He} looked by the gate, under {furniture} and behind a [bush|tree|wall].",
         "{name} [crawled|peeked|searched] under {furniture} and in the long grass."),
    beat("Then {he} looked behind {furniture}, but it was not there either.",
         "{He} looked in {his} pockets, but they were empty.",
         "{name} even looked inside {his} [shoes|hood|sleeves].", p=0.6),
    beat(say("adult", "Let's look together.", "kind"),
         'A friendly {helper} saw {him} and asked, "Why are you so sad?"',
         say("adult", "Think about where you played last.", "kind"),
         '{adult} held {his} hand. "Do not worry. We will find it," {adult} said.',
         say("adult", "Close your eyes and think. Where did you have it last?", "kind"),
         say("adult", "Let's go back the way we came, one step at a time.", "kind")),
    beat("At last, {he} saw something {tcolor} under {furniture}. It was {his} {thing}!",
         "Then {name} spotted {his} {thing} by {furniture}!",
         "There it was, hiding behind {furniture}!",
         "The {helper} ran off and came back with the {toy}!",
         "Something {tcolor} peeked out of the grass. It was the {toy}!",
         "[Next to|Behind|Under] {furniture}, something {tcolor} caught {his} eye. The {toy}!"),
    beat(say("name", "I found it!", "shout"), "{name} hugged {his} {thing} tight.",
         say("name", "Thank you, thank you!", "happy"),
         say("name", "There you are! I missed you.", "happy"),
         say("name", "I will never lose you again!", "happy")),
    FEEL_GOOD,
], [
    beat("From that day on, {name} always kept {his} {thing} close.",
         "That night, {he} slept with {his} {thing} right next to {him}.",
         "{name} held {his} {thing} all the way home.",
         "{name} thanked {adult}, and they walked home together.",
         "After that, {name} always checked that {his} {toy} was safe before going home.",
         "Now the {toy} has a special [pocket|box|place] of its own, and it never gets lost."),
], ["{name} learned to take good care of {his} things.",
    "When you lose something, stay calm and look carefully.",
    "It pays to look carefully and never give up."])


def _setup_share(rng, s):
    pass


SHARE = ("learning to share", "known", _setup_share, [
    beat("One day, {name} got a new {thing}.",
         "For {his} birthday, {name} got a shiny new {thing}.",
         "{adult} gave {name} a brand new {thing}.",
         "{name} found {a_thing} in {his} toy box that {he} had never seen before.",
         "At the market, {adult} bought {name} {a_thing}.",
         "A [parcel|box|package] came in the mail. Inside was {a_thing} for {name}!"),
    beat("{He} loved it so much.", "It was the best {toy} in the whole world.",
         "{He} played with it all day and did not want to stop.",
         "{He} carried it from room to room and would not put it down.",
         "{name} [showed|told] {his} {family_short} about it [again and again|a hundred times|all day]."),
    beat("Then {friend} came over to play.", "Soon, {friend} knocked on the door.",
         "Later, {friend} came by to say hello.", "That afternoon, {friend} came to play in the yard.",
         "[After lunch|That evening|Later that day], {friend} [came over|dropped by|ran over] with {a_food}."),
    INDOOR,
    beat(say("friend", "Can I play with your {toy} too?"),
         say("friend", "Wow! Can I try it?"),
         '{friend} looked at the {toy} and said, "May I have a turn?"',
         say("friend", "What a great {toy}! Can we play with it together?"),
         say("friend", "[Ooh|Wow|Look at that]! Can I hold it, just for a minute?")),
    beat(say("name", "No! It is mine!", "shout"),
         '{name} held the {toy} close. "No, it is all mine," {he} said.',
         say("name", "No. I want to play with it alone."),
         say("name", "Not now. Maybe later.", "say"),
         "{name} [hid|turned|pulled] the {toy} away and shook {his} head."),
    beat("{friend} looked sad and sat down alone.", "{friend} walked away with a sad face.",
         "Tears came to {friend}'s eyes.", "{friend} went quiet and looked at the floor.",
         "{friend} [sighed|frowned|sniffed] and played with a [stick|pebble|leaf] instead."),
    PARA,
    beat("{name} played alone, but it was not much fun.",
         "Soon the {toy} did not feel so special anymore.",
         "Playing alone was quiet and a little boring.",
         "The room felt too quiet without {friend}'s laugh.",
         "The {toy} was still {tcolor} and new, but somehow it was [dull|boring|lonely] now."),
    beat(say("adult", "Toys are more fun when you share them.", "kind"),
         "{name} remembered what {adult} said: sharing makes toys more fun.",
         "{name} thought about how {friend} felt.",
         say("adult", "How do you think {friend} feels?", "kind"), p=0.7),
    beat('{name} took a deep breath and went to {friend}. "I am sorry," {name} said. "Do you want to play together?"',
         '{name} walked over to {friend} and held out the {toy}. "Here. You can have a turn."',
         say("name", "{friend}, let's play with it together."),
         say("name", "I am sorry, {friend}. You can go first.", "kind")),
    beat('{friend} smiled. "Thank you!"', say("friend", "Really? Thank you!", "happy"),
         "{friend}'s face lit up like the sun.", "{friend} [clapped|cheered|grinned] and ran over."),
    beat("They took turns and laughed all afternoon.",
         "They made up a new game with the {toy}, and it was the best game ever.",
         "Together they {together}, and then they {together}.",
         "They played until it was time for {foods} and bed.",
         "First {friend} had a turn, then {name}, then {friend} again."),
    FEEL_GOOD,
], [
    beat("{name} learned that sharing made playing twice as fun.",
         "From then on, {name} and {friend} always shared their toys.",
         "{name} found out that playing together was much more fun than playing alone.",
         "Now the {toy} belongs to {name}, but the fun belongs to both of them."),
], ["Sharing makes everyone happy.", "Playing together is better than playing alone.",
    "When you share, you get a friend to play with."])


def _setup_fear(rng, s):
    fear, act, brave = rng.choice(W.FEARS)
    _fix(s, "fear", fear)
    _fix(s, "act", act)
    _fix(s, "brave", brave)


FEAR = ("a fear overcome", None, _setup_fear, [
    beat("{name} was afraid of {fear}.", "There was one thing {name} did not like: {fear}.",
         "{name} was brave about many things, but not about {fear}.",
         "More than anything, {name} was scared of {fear}.",
         "{name} was not scared of {animals} or {animals}, but {he} {was} scared of {fear}."),
    beat("Every time {he} thought about it, {his} knees [shook|wobbled|knocked].",
         "Just thinking about {fear} made {his} tummy feel [funny|tight|wobbly].",
         "{He} always hid behind {adult} when it came to {fear}.",
         "{His} hands went cold whenever someone talked about {fear}.",
         "When {fear} came up, {name} [covered {his} eyes|ran to {his} room|held {his} {toy} tight]."),
    SCENE2,
    PARA,
    beat("One day, {name} had to {act}.", "One {day_part}, {adult} asked {name} to {act}.",
         "Then one day, it was time to {act}.", "On {weekday}, there was no way around it: {name} had to {act}.",
         "[That {season}|One {weather} {weekday}|At last], the day came when {name} had to {act}."),
    beat(say("name", "I cannot do it.", "whisper"), say("name", "I am too scared.", "whisper"),
         say("name", "What if something bad happens?"),
         say("name", "Can someone else do it instead?", "sad"),
         say("name", "My legs will not move!", "worried")),
    beat('{adult} held {his} hand. "It is okay to be scared," {adult} said.',
         '{adult} knelt down and smiled. "Being brave means trying even when you are scared."',
         say("adult", "I will be right here with you.", "kind"),
         say("adult", "Let's take it one small step at a time.", "kind"),
         say("adult", "When I was little, I was scared too. Do you know what helped?", "kind")),
    beat("{name} took a deep breath.", "{name} counted to [three|five|ten].",
         "{He} closed {his} eyes and thought of {his} {thing}.",
         "{He} squeezed {adult}'s hand and took one step.",
         "{name} [sang a little song|hummed a tune|whispered a brave word] to {himself}."),
    beat("Then {he} did it! {He} {was} able to {brave}.",
         "Step by step, {name} was able to {brave}.",
         "Slowly, {he} began to {act}, and soon {he} could {brave}.",
         "It was hard at first, but then {name} could {brave}."),
    beat("It was not so bad after all!", "It was not scary at all. It was fun!",
         "{name} could not believe it.", "{His} heart was still thumping, but now it was a happy thump."),
    beat(say("name", "I did it!", "shout"), say("name", "Look at me! I am brave!", "shout"),
         say("name", "That was not so scary!", "happy"), say("name", "Can I do it again?", "happy")),
    beat('{adult} gave {him} a big hug. "I am so proud of you," {adult} said.',
         '{adult} cheered. "You were so brave!"', say("adult", "You did it all by yourself!", "happy"), p=0.7),
], [
    beat("From that day on, {name} was not afraid of {fear} anymore.",
         "After that, {name} was not scared of {fear}. {He} even helped other kids be brave.",
         "That night, {name} went to bed feeling brave and {happy}.",
         "Now, when {name} feels scared, {he} remembers that day and takes a deep breath."),
], ["Being brave does not mean you are never scared.",
    "{name} learned that {he} could be brave, one small step at a time.",
    "Sometimes the things we fear are not so scary after all."])


def _setup_new_friend(rng, s):
    _fix(s, "fplace", rng.choice(["park", "playground", "beach", "garden", "meadow", "school", "library",
                                  "pond", "market", "zoo"]))
    _fix(s, "fdoing", rng.choice(["looking at the clouds", "drawing in the dirt with a stick",
                                  "sitting under a tree", "watching the ducks", "reading a book",
                                  "counting ladybugs", "building a little tower of stones",
                                  "kicking at the leaves", "holding a jar of tadpoles"]))
    play, played = rng.choice(W.PLAYS)
    _fix(s, "play", play)
    _fix(s, "played", played)


NEW_FRIEND = ("a new friend", "new", _setup_new_friend, [
    beat("One day, {name} went to the {fplace} to {hobby}.",
         "{name} felt a little lonely because {he} had no one to play with.",
         "One {weather} {day_part}, {name} was playing alone at the {fplace}.",
         "{name} and {adult} went to the {fplace} after lunch.",
         "[All the other kids|Everyone else|The big kids] were busy, so {name} went to the {fplace} alone."),
    SCENE,
    beat("Then {he} saw {a_fkind} sitting all alone.",
         "Near the gate, {he} saw {a_fkind} {fdoing}.",
         "Then {he} noticed {a_fkind} who looked new.",
         "By the bench, there was {a_ftrait} {fkind} {fdoing}.",
         "Under {a_tree} tree sat {a_fkind}, {fdoing}."),
    beat("The {fkind} looked {sad}.", "The {fkind} looked shy and a little sad.",
         "The {fkind} did not have anyone to play with.", "The {fkind} kept looking at the ground.",
         "The {fkind} [watched the other kids|looked at the sky|hugged its knees] and did not say a word."),
    beat("{name} felt shy too. But {he} walked over anyway.",
         "{name} wanted to say hello, but {he} felt shy.",
         "{name} took a deep breath and walked over.",
         "{name} [picked a flower|found a nice stone|brought {a_food}] and walked over."),
    PARA,
    beat('"Hello! My name is {name}. What is your name?" {he} asked.',
         '"Hi, I am {name}," {he} said. "Who are you?"',
         '{name} waved. "Hi! I am {name}. Do you live here?"',
         '"Hello there! My name is {name}," {he} said with a [shy|small|big] smile.'),
    beat('"My name is {friend}," said the {fkind} with a small smile.',
         '"I am {friend}. We just moved here," the {fkind} said quietly.',
         'The {fkind} smiled. "My name is {friend}."',
         '"I am {friend}," the {fkind} [whispered|answered|said softly].'),
    beat(say("name", "Do you want to {play} with me?"),
         '{name} asked, "Would you like to {play}?"',
         say("name", "I know a fun game. Let's {play}!", "happy"),
         say("name", "Do you like to {hobby}? We could do it together!")),
    beat("{friend} nodded and jumped up.", '{friend}\'s face lit up. "Yes, please!"',
         say("friend", "I would love to!", "happy"), say("friend", "Yes! I love that!", "happy")),
    beat("They {played} until the sun went down.", "They laughed and ran and played all afternoon.",
         "Together they {played}, and it was the best day.",
         "First they {played}. Then they {together}.",
         "They {played}, then they {together}, and then they shared {a_food}."),
    SCENE2,
    beat("{name} was not lonely anymore.", "{name} felt warm and happy inside.", FEEL_GOOD[1][0],
         "{name} had a new friend, and it felt [wonderful|warm|like sunshine]."),
], [
    beat("From that day on, {name} and {friend} were best friends.",
         "Every day after that, {name} and {friend} met at the {fplace} to play.",
         'When it was time to go home, {friend} said, "See you tomorrow, {name}!"',
         "{name} ran home to tell {adult} all about {his} new friend {friend}."),
], ["A kind hello can make a new friend.",
    "{name} learned that being brave and kind can make a new friend.",
    "Everyone needs a friend."])


def _setup_mistake(rng, s):
    did, fix = rng.choice(W.MISTAKES)
    _fix(s, "did", did)
    _fix(s, "mend", fix)
    _fix(s, "wronged", s["adult"] if "{adult}" in did or "{friend}" not in did else s["friend"])


MISTAKE = ("a mistake and an apology", "known", _setup_mistake, [
    beat("One day, {name} and {friend} were playing at {name}'s house.",
         "One {day_part}, {name} was in a big hurry.", "{name} was having a busy day.",
         "It was a {weather} {weekday}, and {name} was full of wiggles.",
         "{name} was [racing|zooming|hopping] around the house, [singing|humming|shouting] a silly song."),
    INDOOR,
    beat("By accident, {name} {did}.", "Oops! {name} {did}.", "Without thinking, {name} {did}.",
         "[Before {he} knew it|All of a sudden|In a flash], {name} {did}."),
    beat("{name} felt a hot, bad feeling in {his} tummy.", "{His} cheeks turned [red|pink|hot].",
         "{name} did not know what to do.", "{His} heart started to pound.",
         "{name} froze, as still as a [statue|stone|tree]."),
    beat("At first, {he} wanted to hide.",
         "{He} thought about hiding under the bed so no one would know.",
         "{He} wanted to pretend it did not happen.",
         "{He} wondered if anyone would [notice|find out|see]."),
    beat("But {name} knew that was not right.", "But hiding did not make the bad feeling go away.",
         "But the bad feeling just got bigger and bigger.",
         "But the bad feeling sat in {his} tummy like a [stone|rock|heavy bag]."),
    PARA,
    beat('{name} went to {wronged} and said, "I am sorry. It was my fault."',
         say("name", "I am very sorry. I made a mistake.", "whisper"),
         '{name} looked down at {his} feet. "I did it. I am sorry," {he} said.',
         say("name", "{wronged}, I have to tell you something. It was me.", "worried")),
    beat("{wronged} was quiet for a moment.", "{wronged} looked surprised.",
         "{wronged} [blinked|paused|looked at {name}] for a long moment.", p=0.6),
    beat('Then {wronged} smiled. "Thank you for telling the truth," {wronged} said.',
         say("wronged", "It is okay. Everyone makes mistakes.", "kind"),
         say("wronged", "Thank you for saying sorry. That was brave.", "kind"),
         say("wronged", "I am glad you told me. Let's fix it together.", "kind")),
    beat("To make it right, {name} {mend}.", "{name} wanted to make things better, so {he} {mend}.",
         "Then {name} {mend}, and it felt [good|right|much better]."),
    FEEL_GOOD,
], [
    beat("{name} gave {wronged} a big hug.",
         "The bad feeling was gone, and {name} felt light as a feather.",
         "After that, {name} always said sorry when {he} made a mistake.",
         "That night, {name} slept [well|soundly|peacefully], with no bad feeling at all."),
], ["Saying sorry is brave.", "It is always best to tell the truth.",
    "Everyone makes mistakes, but saying sorry makes things right.",
    "{name} learned that a real sorry comes with making things right."])


def _setup_surprise(rng, s):
    what, for_whom, made = rng.choice(W.SURPRISES)
    _fix(s, "what", what)
    _fix(s, "for_whom", for_whom)
    _fix(s, "made", made)
    _fix(s, "helper", s["adult"] if for_whom == "{friend}" else s["friend"])
    _fix(s, "oops", rng.choice([
        "the glue spilled all over the table", "{for_whom} almost walked in and saw everything",
        "the wind blew the paper away", "the dog ran off with the ribbon",
        "{name} dropped the box and everything fell out", "the paint got all over {his} hands",
        "the scissors went missing", "the cat sat right in the middle of it"]))


SURPRISE = ("a surprise", "known", _setup_surprise, [
    beat("{name} had a big idea.", "One morning, {name} woke up with a happy idea.",
         "It was almost {for_whom}'s special day, and {name} wanted to do something nice.",
         "{name} [thought and thought|sat on the stairs|lay in bed] until {he} had the perfect idea."),
    beat("{He} wanted to make {what} for {for_whom}.",
         say("name", "I will plan {what} for {for_whom}!", "happy"),
         "{name} decided to [make|plan|get ready] {what} for {for_whom}."),
    beat('{name} asked {helper} to help. "But it must be a secret," {he} whispered.',
         "{name} told {helper} the plan, and {helper} promised to keep the secret.",
         '{name} [pulled|tugged] {helper} aside. "Can you keep a secret?" {he} asked.'),
    beat("Together they made {made}.", "They worked all {day_part} to make {made}.",
         "They used paper, glue, and lots of glitter.",
         "They [cut|glued|painted|folded] and [giggled|whispered|hummed] as they made {made}."),
    INDOOR,
    PARA,
    beat("But then, {oops}.", "Uh oh! Just then, {oops}.", "[Oh no|Oh dear|Uh oh]! {Oops}."),
    beat("{name} did not give up.", say("helper", "Quick! Let's fix it.", "shout"),
         "{name} and {helper} worked fast to make it right again.",
         say("name", "We can still do it! Hurry!", "shout")),
    beat("At last, everything was ready.", "Finally, it was all done.",
         "Just in time, everything was [ready|done|perfect]."),
    beat('When {for_whom} came in, everyone shouted, "Surprise!"',
         '{name} jumped out and shouted, "Surprise!"',
         'The door opened, and {name} and {helper} [cried|yelled|sang], "Surprise!"'),
    beat('{for_whom} was so surprised. "This is wonderful!" {for_whom} said.',
         '{for_whom} laughed and clapped. "Did you do all this for me?"',
         "{for_whom} had [happy tears|a huge smile|sparkling eyes] and hugged them both."),
    FEEL_GOOD,
], [
    beat("It was the best day ever.",
         "{name} felt happy, because making others happy is the best feeling.",
         "Everyone ate {foods} and laughed until bedtime.",
         "{for_whom} kept {made} for a very long time."),
], ["Doing something kind for others makes your own heart happy.",
    "The best surprises come from the heart."])


def _setup_weather(rng, s):
    plan, event, instead = rng.choice(W.WEATHER_PLANS)
    _fix(s, "plan", plan)
    _fix(s, "event", event)
    _fix(s, "instead", instead)


WEATHER = ("bad weather", None, _setup_weather, [
    beat("{name} and {adult} were planning {plan}.", "Today was the day for {plan}!",
         "{name} was so excited about {plan}.",
         "{name} had been waiting all week for {plan}."),
    beat("{He} packed {his} {toy} and some {foods}.",
         "{He} put on {his} {outfit} and ran to the door.", "{He} could not wait to go.",
         "{He} [hopped|bounced|danced] by the door with {his} {toy}."),
    beat("But then, {event}.", "Just as they were ready to go, {event}.", "Suddenly, {event}.",
         "[Then|Just then|All at once], {event}."),
    beat(say("name", "Oh no! Now we cannot go.", "sad"),
         '{name} pressed {his} nose to the window. "This is not fair!" {he} said.',
         say("name", "Why does it always happen on the best days?", "sad")),
    FEEL_BAD,
    PARA,
    beat('{adult} smiled. "We can still have fun," {adult} said.', say("adult", "I have an idea.", "kind"),
         '{adult} gave {him} a hug. "Let\'s make a new plan."',
         say("adult", "Bad weather is good for other things. Come and see.", "kind")),
    beat("So they {instead}.", "Instead, they {instead}.",
         "They {instead}, and it was even better than the plan."),
    INDOOR,
    MEAL,
    beat("{name} laughed so much that {he} forgot all about the weather.", "It was so much fun!",
         "{name} had a wonderful time.", "{name} [giggled|laughed|squealed] and asked to do it again."),
    beat("Later, the sky cleared and a rainbow came out.",
         "When the weather got better, they looked out and saw a big rainbow.", p=0.5),
], [
    beat('That night, {name} told {adult}, "That was a good day after all."',
         "From then on, {name} was not upset when plans changed.",
         "{name} went to sleep with a smile.",
         "They did {plan} the next week, but {name} liked the rainy day better."),
], ["Even when plans change, you can still have fun.",
    "A bad day can turn into a good day if you look for the fun."])


def _setup_race(rng, s):
    _fix(s, "game", rng.choice(W.GAMES))
    _fix(s, "obstacle", rng.choice(["root", "rock", "stick", "shoelace", "bucket", "log", "puddle"]))


RACE = ("a race or a game", "known", _setup_race, [
    beat("One sunny day, {name} and {friend} decided to have {game}.",
         '{friend} said, "Let\'s have {game}!"',
         "At the park, {name} and {friend} got ready for {game}.",
         "After school, {name} [dared|challenged|asked] {friend} to {game}."),
    SCENE,
    beat("{name} really wanted to win.", "{name} was sure {he} would win.", say("name", "I will win!", "shout"),
         say("name", "I am the fastest in the whole {hometown}!", "shout")),
    beat(say("adult", "Ready, set, go!", "shout"), '"One, two, three, go!" called {friend}.',
         '"On your marks, get set, go!" [shouted|called|cried] {adult}.'),
    beat("{name} ran as fast as {he} could.", "Off they went!", "{name} zoomed ahead.",
         "{name} [shot|raced|sprang] forward like {a_animal}."),
    beat("But then, {name} tripped over a {obstacle} and fell down.",
         "But {friend} was faster, and {name} fell behind.",
         "Halfway there, {name} got a pebble in {his} shoe.",
         "Then {name} stopped to look at {a_critter_name}, and {friend} ran past."),
    beat("{friend} got there first.", "In the end, {friend} won.", "{friend} [crossed the line|reached the end|touched the tree] first."),
    PARA,
    beat("{name} felt {sad}. {He} wanted to be cross.", "{name} felt like stomping {his} feet.",
         "At first, {name} frowned.", "{name} [crossed {his} arms|stuck out {his} lip|kicked the dirt]."),
    beat('But then {he} remembered what {adult} always said: "Playing is about having fun."',
         "Then {name} saw that {friend} had come back to help {him} up.",
         'Then {friend} ran back and said, "Are you okay?"',
         say("friend", "That was so close! You are really fast.", "kind")),
    beat('{name} smiled. "Good job, {friend}! You won fair and square," {he} said.',
         '"Great race!" said {name}, and {he} gave {friend} a high five.',
         say("name", "Well done, {friend}. Next time I will catch you!", "happy")),
    beat(say("friend", "Let's play again tomorrow.", "happy"), "They laughed and played again, just for fun.",
         "This time they ran side by side, [giggling|laughing|panting] all the way."),
], [
    beat("Winning was fun, but playing with a friend was even better.",
         "{name} and {friend} walked home together, happy and tired.",
         "They shared {a_food} on the way home and talked about the race."),
], ["It is not about winning; it is about having fun together.",
    "A good friend is happy for others when they win."])


def _setup_skill(rng, s):
    skill, fail, tip = rng.choice(W.SKILLS)
    _fix(s, "skill", skill)
    _fix(s, "fail", fail)
    _fix(s, "tip", tip)


SKILL = ("learning a skill", None, _setup_skill, [
    beat("{name} wanted to learn to {skill}.", "More than anything, {name} wished {he} could {skill}.",
         "All the big kids could {skill}, and {name} wanted to learn too.",
         "{name} watched the big kids {skill} and wished {he} could too."),
    beat("{He} tried once, but {fail}.", "The first time {he} tried, {fail}.", "On the first try, {fail}.",
         "{He} gave it a go, but {fail}."),
    beat(say("name", "I will never be able to do it!", "sad"), "{name} felt like giving up.",
         say("name", "This is too hard.", "sad"), say("name", "Why is it so hard for me?", "sad")),
    PARA,
    beat('{adult} sat down next to {him}. "Let me show you a trick. Try to {tip}," {adult} said.',
         say("adult", "Try to {tip}.", "kind"),
         '{adult} smiled and said, "Everyone starts as a beginner. Try to {tip}."',
         say("adult", "Here is a secret. {Tip}.", "whisper")),
    beat("So {name} tried again.", "{name} practiced every day.",
         "{He} practiced in the morning and in the evening.",
         "{name} practiced [in the garden|in the kitchen|by the {water}|in the {place}], again and again."),
    SCENE2,
    beat("{He} tried and tried.", "The second time, it was a little better.",
         "Each day, {he} got a little better.", "Some days were good, and some days were [wobbly|bumpy|hard]."),
    beat("Then one day, {he} did it! {He} could {skill}!",
         "At last, {name} could {skill} all by {himself}!",
         "One {day_part}, it finally worked. {name} could {skill}!"),
    beat(say("name", "Look! I can do it!", "shout"), "{adult} cheered and clapped.",
         say("name", "{adult}! Watch me!", "shout")),
    FEEL_GOOD,
], [
    beat("Now {name} loves to {skill}.", "From then on, {name} helped other kids learn to {skill} too.",
         "That night, {name} dreamed about all the new things {he} would learn.",
         "{name} showed everyone in the {hometown} how to {skill}."),
], ["Practice helps us learn new things.", "If at first you do not succeed, try, try again.",
    "{name} learned that hard things get easier when you keep trying."])


def _setup_help(rng, s):
    who, trouble, action = rng.choice(W.HELP_CASES)
    _fix(s, "who", who)
    _fix(s, "short", who.split()[-1])
    _fix(s, "trouble", trouble)
    _fix(s, "action", action)


HELP = ("helping someone", None, _setup_help, [
    beat("One {day_part}, {name} was walking to the {place}.",
         "{name} was playing outside when {he} heard {sound}.", "On the way home, {name} heard {sound}.",
         "{name} was [skipping|wandering|humming] along the path when {he} heard {sound}."),
    SCENE,
    beat("{He} looked around and saw {who}.", "There, by the road, was {who}.",
         "{He} turned around and saw {who}.", "[Behind|Beside|Under] {furniture}, {he} found {who}."),
    beat("The {short} {trouble}.", "Poor thing! The {short} {trouble}.", "[Oh no|Oh dear]! The {short} {trouble}."),
    beat(say("name", "Oh no! I must help.", "shout"), "{name} wanted to help right away.",
         say("name", "Do not worry. I will help you.", "kind"),
         say("name", "Hold on, little {short}. I am here.", "kind")),
    PARA,
    beat("{He} {was} not sure what to do at first.", "It was not easy.",
         "{He} ran to get {adult}, and they came back together.",
         "{name} thought [hard|for a moment|very carefully]."),
    beat("So {name} {action}.", "Carefully, {name} {action}.",
         "With a little help from {adult}, {name} {action}.",
         "Then {name} had an idea: {he} {action}."),
    beat("It worked!", "Soon, everything was all right.", "At last, the {short} was safe and happy."),
    SCENE2,
    beat("The {short} looked up at {name} with a big, thankful look.",
         say("the {short}", "Thank you.", "happy"),
         "The {short} [seemed|looked] so much better."),
    FEEL_GOOD,
], [
    beat("{name} went home with a warm, happy heart.",
         'When {he} told {adult} what happened, {adult} said, "I am so proud of you."',
         "After that, {name} always looked for ways to help.",
         "Every time {name} walked past that spot, {he} remembered the {short} and smiled."),
], ["Helping others is one of the best things you can do.", "A little kindness goes a long way.",
    "{name} learned that even small hands can do big things."])


TRIP_TROUBLES = [
    ("{name} could not see {adult} anywhere!", '"{adult}! Where are you?" {name} called.',
     "Then {he} saw {adult} waving near the gate. {name} ran over and gave {adult} a big hug."),
    ("a gust of wind blew the map out of {adult}'s hands.", '"The map!" cried {name}.',
     "A kind man caught the map and gave it back with a smile."),
    ("it got very hot, and {name} felt tired and grumpy.", '"I want to go home," {name} said.',
     "{adult} found a shady tree and gave {him} a cold drink. Soon {he} felt much better."),
    ("{name} dropped {his} ice cream on the ground.", '"Oh no!" said {name}, looking at the mess.',
     "{adult} laughed and bought {him} a new one, and this time {he} held it with both hands."),
    ("it started to rain.", '"We are getting wet!" {name} laughed.',
     "They hid under a big tree and waited until the rain stopped."),
    ("{name}'s shoe came untied, and {he} tripped.", '"Ouch! My knee!" {name} cried.',
     "{adult} cleaned the scrape and put on a bandage with stars on it."),
]


def _setup_trip(rng, s):
    where, sights = rng.choice(W.TRIPS)
    a, b, c = rng.sample(sights, 3)
    _fix(s, "where", where)
    _fix(s, "sight1", a)
    _fix(s, "sight2", b)
    _fix(s, "sight3", c)
    oops, cry, fix = rng.choice(TRIP_TROUBLES)
    _fix(s, "oops", oops)
    _fix(s, "cry", cry)
    _fix(s, "mend", fix)


TRIP = ("a trip", None, _setup_trip, [
    beat('One {season} morning, {adult} said, "Today we are going to {where}!"',
         "{name} and {adult} took a trip to {where}.",
         "It was a special day: {name} was going to {where} with {adult}.",
         "[For {his} birthday|As a treat|Because it was {weekday}], {adult} took {name} to {where}."),
    beat("{name} was so excited that {he} could not sit still.",
         "{He} packed {his} {toy}, {his} {outfit}, and some {foods}.",
         "The ride was long, but {name} sang songs the whole way.",
         "On the [bus|train|way], {name} counted {animals} out of the window."),
    PARA,
    beat("At {where}, {name} saw {sight1}.", "First, they saw {sight1}.",
         "When they got there, the first thing {name} saw was {sight1}.",
         "[Right away|First of all|Straight away], {name} ran to see {sight1}."),
    SCENE,
    beat("Then they looked at {sight2}.", "{name} laughed when {he} saw {sight2}.",
         "Next, they went to see {sight2}.", "{name} [pointed at|stared at|waved at] {sight2}."),
    MEAL,
    beat("But then, {oops}"),
    beat("{cry}"),
    beat("{mend}"),
    beat("After that, they saw {sight3}.", "Before they left, {name} waved goodbye to {sight3}.",
         "The last thing they saw was {sight3}."),
    beat("On the way home, {name} fell asleep in the car.",
         "On the way home, {name} talked about {sight1} the whole time.",
         "On the way home, {name} drew a picture of {sight2}.", p=0.7),
], [
    beat("It was a trip {name} would never forget.", "That night, {he} dreamed about {where}.",
         '"Can we go again soon?" {name} asked, and {adult} laughed.',
         "{name} told {his} {toy} all about {where} before bed."),
], ["New places help us learn new things.", "Every trip is an adventure."])


def _setup_broken(rng, s):
    item, brk, fix = rng.choice(W.BREAKABLES)
    if item in W.TOYS:            # a toy that breaks is the hero's toy: one colour, one kind
        s["toy"] = item
        s["thing"] = f"{s['tcolor']} {item}"
        s["item"] = s["thing"]
    else:
        _fix(s, "item", item)
    _fix(s, "brk", brk)
    _fix(s, "mend", fix)


BROKEN = ("something broken and mended", None, _setup_broken, [
    beat("{name} had {a_nice} {item} that {he} loved very much.",
         "{name}'s favorite thing was {his} {item}.",
         "{adult} had given {name} {a_item} for {his} birthday.",
         "{name}'s {item} had once belonged to {adult}, when {adult} was small."),
    beat("{He} played with it every day.", "Every day, {he} took it everywhere.",
         "{He} kept it [by {his} bed|on the windowsill|in a special place] and looked at it every morning."),
    beat("One day, {name} was playing with it too roughly.", "One day, {name} tripped while carrying it.",
         "One windy day, {name} took it outside.", "One {day_part}, {name} [dropped|bumped|knocked] it by accident."),
    beat("Crack! {Brk}.", "Oh no! {Brk}!", "[Snap|Crash|Bang]! {Brk}."),
    beat(say("name", "My {item} is ruined!", "sad"), say("name", "Now it is broken forever.", "sad"),
         *FEEL_BAD[1]),
    PARA,
    beat("{adult} came in and looked at it carefully.", "{adult} heard {him} crying and came to see.",
         "{adult} [sat down|knelt down|came over] and picked up the pieces."),
    INDOOR,
    beat(say("adult", "Do not worry. We can fix it together.", "kind"),
         say("adult", "Broken things can often be mended.", "kind"),
         say("adult", "Let's see what we can do. Fetch the [glue|tool box|sewing box].", "kind")),
    beat("So {name} and {adult} {mend}.", "Together, they {mend}.",
         "{adult} showed {name} how, and they {mend}."),
    beat("It took a long time, but they did not give up.", "{name} helped as much as {he} could.",
         "{name} [held the pieces|passed the tools|watched closely] while {adult} worked."),
    beat("At last, the {item} was as good as new.",
         "When they were done, the {item} looked almost like new.",
         "It was not perfect, but {name} loved it even more."),
    beat(say("name", "Thank you, {adult}!", "happy"), *FEEL_GOOD[1]),
], [
    beat("From that day on, {name} was very careful with {his} {item}.",
         "{name} put {his} {item} in a safe place.",
         "Now, when something breaks, {name} says, \"Let's fix it!\""),
], ["When something breaks, you can often fix it with patience and help.",
    "Taking care of things makes them last."])


def _setup_garden(rng, s):
    _fix(s, "plant", rng.choice(["sunflower", "pumpkin", "tomato plant", "bean plant", "apple tree",
                                 "strawberry plant", "tulip", "pea plant", "carrot", "lemon tree",
                                 "melon vine", "pepper plant", "cherry tree", "giant marigold"]))


GARDEN = ("a seed that grows", None, _setup_garden, [
    beat("One {season} day, {adult} gave {name} a tiny seed.", "{name} found a little seed in {his} pocket.",
         "At the market, {name} picked a packet of seeds with a picture of {a_plant} on it."),
    beat(say("adult", "If you plant it and take care of it, it will grow into {a_plant}.", "kind"),
         '{adult} said, "This seed can grow into {a_plant}, but it needs your help."',
         say("adult", "Seeds need water, sun and lots of patience.", "kind")),
    beat("{name} dug a little hole in the garden and put the seed inside.",
         "{He} planted the seed in a pot by the window.",
         "{name} [patted|pressed|covered] the soil over the seed with {his} hands."),
    SCENE,
    beat("Every day, {he} gave it water.", "Every morning, {name} checked on the seed.",
         "Each [morning|evening], {name} [sang to|talked to|watered] the seed."),
    beat("But nothing happened.", "Days went by, but there was only dirt.",
         "A week went by, and still there was nothing to see."),
    beat(say("name", "Why is it not growing?"), "{name} felt {sad} and a bit impatient.",
         say("name", "Maybe my seed is broken.", "sad")),
    PARA,
    beat(say("adult", "Good things take time.", "kind"),
         '"Be patient. The seed is busy under the ground," {adult} said.',
         say("adult", "Roots grow first, where we cannot see them.", "kind")),
    beat("So {name} kept waiting and watering.", "{name} waited and waited.",
         "{name} kept watering, even on [rainy|busy|sleepy] days."),
    beat("Then one morning, {he} saw a tiny green sprout!",
         "One day, a little green leaf peeked out of the dirt.",
         "Then, [one {weekday}|early one morning|after a rainy night], a green shoot poked up!"),
    beat("The sprout grew bigger and bigger.", "Soon it was as tall as {name}!",
         "It grew a leaf, then two, then [ten|a dozen|too many to count]."),
    beat("At last, it became a beautiful {plant}.", "By the end of the summer, it was a big {plant}."),
    FEEL_GOOD,
], [
    beat("{name} was so proud of {his} {plant}.", "{name} showed {his} {plant} to everyone in the {hometown}.",
         "{name} saved seeds from the {plant} to plant the next {season}."),
], ["Good things take time.", "Patience helps things grow."])


# --- arcs added for variety (the same rules apply) --------------------------------------

def _setup_pet(rng, s):
    pet, sound = rng.choice(W.PETS)
    _fix(s, "pet", pet)
    _fix(s, "petsound", sound)
    _fix(s, "petlook", rng.choice(W.ANIMAL_LOOKS))
    _fix(s, "pethide", rng.choice(W.PET_HIDES))


PET = ("a lost pet", None, _setup_pet, [
    beat("{name} had {a_petlook} {pet} who followed {him} everywhere.",
         "{name}'s best friend at home was {a_petlook} little {pet}.",
         "{name} and {his} {petlook} {pet} did everything together.",
         "{name} had a pet {pet} with [a waggly tail|soft ears|a funny nose|a tiny bell on its collar]."),
    beat("Every morning, the {pet} {petsound} to say hello.",
         "The {pet} liked to sleep at the end of {name}'s bed.",
         "When {name} came home, the {pet} {petsound} with joy.",
         "The {pet} loved {foods} and [long naps|sunny windows|chasing leaves]."),
    PARA,
    beat("But one {day_part}, the {pet} was not in its bed.",
         "One {weather} {day_part}, {name} called and called, but the {pet} did not come.",
         "Then one day, the gate was open, and the {pet} was gone!"),
    beat(say("name", "Where are you? Come back!", "shout"), say("name", "Where did my {pet} go?", "sad"),
         say("name", "Here, little {pet}! Here!", "shout")),
    FEEL_BAD,
    beat(say("adult", "Let's make a plan. We will look in every place a {pet} likes.", "kind"),
         '{adult} put on a coat. "Come on, we will find it together," {adult} said.',
         say("adult", "Do not worry. Pets often hide somewhere cozy.", "kind")),
    beat("They looked in the garden and behind the shed.",
         "They looked under the car, in the bushes and by the mailbox.",
         "They asked the neighbors, and everyone promised to keep an eye out.",
         "They [called|whistled|shook the food bowl] all down the street."),
    SCENE,
    beat("Then {name} heard a tiny sound.", "Then {name} stopped. Something had moved.",
         "Then {name} heard a [rustle|squeak|soft little noise]."),
    beat("It was the {pet}, hiding {pethide}!", "There, {pethide}, was the {pet}, safe and sound."),
    beat("{name} scooped it up and held it close.", "The {pet} {petsound} and snuggled into {name}'s arms."),
    FEEL_GOOD,
], [
    beat("From then on, {name} always checked that the gate was shut.",
         "That night, the {pet} slept at the end of {name}'s bed, right where it belonged.",
         "{name} gave the {pet} an extra treat, and {adult} laughed."),
], ["Pets need us to take care of them.", "A calm plan helps you find what is lost.",
    "{name} learned to always close the gate."])


def _setup_school(rng, s):
    _fix(s, "teacher", rng.choice(W.TEACHERS))
    play, played = rng.choice(W.PLAYS)
    _fix(s, "played", played)


SCHOOL = ("the first day of school", "new", _setup_school, [
    beat("Today was {name}'s first day at a new school.",
         "It was the first day of school, and {name} had butterflies in {his} tummy.",
         "{name} was going to school for the very first time.",
         "After the long summer, it was time for {name} to start at a [new|big|different] school."),
    beat("{He} put on {his} {outfit} and picked up {his} {toy}.",
         "{He} hugged {adult} at the gate and did not want to let go.",
         "{He} held {adult}'s hand very tight all the way there."),
    beat(say("name", "What if nobody likes me?", "worried"),
         say("name", "What if I do not know anyone?", "worried"),
         say("name", "What if I get lost?", "worried")),
    beat(say("adult", "Just be yourself. You will see.", "kind"),
         '{adult} kissed {his} head. "I will be right here when school is over," {adult} said.',
         say("adult", "Say hello to just one new friend today.", "kind")),
    PARA,
    beat("The teacher, {teacher}, had a kind face and a big smile.",
         "{teacher}, the teacher, showed {name} where to hang {his} {cloth}.",
         "The classroom was full of [paintings|books|plants] and a teacher called {teacher}."),
    INDOOR,
    beat(say("{teacher}", "Welcome! We are so glad you are here.", "kind"),
         say("{teacher}", "Today we will paint, sing and read a story.", "happy"),
         say("{teacher}", "Good morning, everyone! Let's make our new friend welcome.", "happy")),
    beat("At the painting table, {name} sat next to {a_fkind}.",
         "At snack time, {a_fkind} sat down next to {name}.",
         "In the reading corner, {name} found {a_fkind} looking at a book about {animals}."),
    beat('The {fkind} smiled. "Hi! My name is {friend}."',
         '"I am {friend}," said the {fkind}. "Do you want to share my crayons?"'),
    beat('"I am {name}," {he} said with a shy smile.', '{name} smiled back. "Hi, {friend}. I am {name}."'),
    beat("After that, {name} and {friend} {played} at recess.",
         "They painted a big picture of {a_animal} together.",
         "They sang songs and ate {foods} side by side."),
    FEEL_GOOD,
], [
    beat('When {adult} came, {name} ran over and shouted, "School is fun!"',
         "That night, {name} could not wait to go back to school.",
         '{name} told {adult} all about {teacher} and {his} new friend {friend}.'),
], ["New places feel less scary once you make a friend.", "A smile is a good way to start.",
    "Being a little brave can make a big day better."])


def _setup_bake(rng, s):
    what, step, oops, fix = rng.choice(W.BAKES)
    _fix(s, "bake", what)
    _fix(s, "step", step)
    _fix(s, "oops", oops)
    _fix(s, "mend", fix)


BAKE = ("baking together", None, _setup_bake, [
    beat('One {weather} {day_part}, {adult} said, "Shall we make {bake}?"',
         "{name} and {adult} decided to make {bake}.",
         "It was a {weather} {weekday}, just right for making {bake}.",
         say("name", "Can we bake {bake} today, please?", "happy")),
    beat("{name} put on an apron that was much too big.",
         "{name} washed {his} hands and pulled a chair up to the counter.",
         "{name} tied on an apron covered in [little stars|{animals}|stripes]."),
    INDOOR,
    beat("First they measured the flour and the sugar.", "First they cracked the eggs into a big bowl.",
         "They got out bowls, spoons and a big wooden board.",
         "{adult} read the recipe out loud, and {name} [stirred|poured|measured]."),
    beat("{name} {step}.", "Then {name} {step} all by {himself}.", "Next, {name} carefully {step}."),
    PARA,
    beat("But then {oops}!", "Oh no! {Oops}!", "Just then, {oops}!"),
    beat(say("name", "Oops! I made a mess.", "sad"), "{name} looked at the mess and bit {his} lip.",
         say("name", "Sorry, {adult}!", "worried")),
    beat(say("adult", "That is okay. Every baker makes a mess.", "kind"),
         '{adult} laughed. "Messes can be cleaned," {adult} said.',
         say("adult", "That is how you learn. Let's keep going.", "kind")),
    beat("So they {mend}.", "{name} {mend}, and it was fine."),
    beat("Soon the kitchen smelled of warm {bake}.", "They put it in the oven and waited by the window.",
         "While it baked, they washed the bowls and sang a song.",
         "The oven [hummed|ticked|glowed] while they cleaned up."),
    beat("When it came out, it was golden and warm.", "At last, the {bake} was ready.",
         "Out came the {bake}, [warm and golden|puffy and brown|smelling wonderful]."),
    beat(say("name", "Mmm! This is the best {bake} ever!", "happy"), "{name} took a big bite and grinned."),
], [
    beat("They shared the {bake} with the neighbors.", "{name} saved a piece for {his} friend.",
         "From then on, {name} helped {adult} bake every {weekday}."),
], ["Making things together is the best part.", "Little mistakes are part of learning.",
    "Food tastes better when you make it with someone you love."])


def _setup_night(rng, s):
    seemed, really = rng.choice(W.NIGHT_WORRIES)
    _fix(s, "seemed", seemed)
    _fix(s, "really", really)


NIGHT = ("a worry at bedtime", None, _setup_night, [
    beat("It was bedtime, but {name} could not sleep.",
         "One night, {name} lay in bed with {his} eyes wide open.",
         "{adult} turned off the light and said good night, but {name} was wide awake.",
         "The house was asleep, but {name} was [tossing and turning|counting {animals}|staring at the ceiling]."),
    beat("The house was dark and very quiet.", "Outside, the wind was blowing.",
         "The moon made long shadows on the wall."),
    INDOOR,
    beat("Then {name} saw something. It looked like {seemed}!",
         "Suddenly, {name} was sure there was {seemed}.",
         "In the dark, {name} thought {he} could see {seemed}."),
    beat("{He} pulled the blanket up to {his} nose.", "{His} heart went thump, thump, thump.",
         "{He} held {his} {toy} very tight."),
    beat(say("name", "{adult}! Come quick!", "shout"), say("name", "{adult}, I am scared!", "shout")),
    PARA,
    beat("{adult} came in and sat on the bed.", "{adult} came in with a little lamp."),
    beat(say("adult", "What is the matter?", "kind"), say("adult", "Let's look together.", "kind")),
    beat('{name} pointed. "There is {seemed}!"', "{name} told {adult} what {he} had seen."),
    beat("{adult} turned on the lamp. It was only {really}!",
         "They looked together, and it was just {really}."),
    beat("{name} laughed.", "{name} giggled with relief.", say("name", "It was only {really}!", "happy")),
    beat(say("adult", "Things look different in the dark.", "kind"),
         '{adult} tucked {him} in. "You are safe. Sleep well," {adult} said.',
         say("adult", "Shall I leave the little lamp on?", "kind")),
], [
    beat("Soon {name} was fast asleep, dreaming of {hobby_dream}.",
         "{name} hugged {his} {toy} and closed {his} eyes.",
         "After that night, {name} was not so scared of the dark."),
], ["Things often look scarier in the dark than they are.",
    "It helps to tell someone when you are scared."])


def _setup_treasure(rng, s):
    _fix(s, "note1", rng.choice(W.NOTES))
    _fix(s, "tplace", rng.choice(["garden", "park", "backyard", "beach", "woods", "meadow"]))
    _fix(s, "treasure", rng.choice(["a box of shiny buttons", "a tin of old marbles", "a bag of gold paper coins",
                                    "a jar of pretty shells", "an old map of the town", "a box of shiny stones",
                                    "a tin full of sweets", "a little chest of beads"]))


TREASURE = ("a treasure hunt", "known", _setup_treasure, [
    beat("One morning, {name} found a note under the door.",
         "One {day_part}, {friend} ran up to {name} with a piece of paper.",
         "Inside an old book, {name} found a folded piece of paper."),
    beat('On it, in big letters, were the words: "{note1}"', 'It said, "{note1}"'),
    beat(say("friend", "A treasure hunt! Let's go!", "shout"),
         say("name", "It must be a clue! Come on, {friend}!", "shout")),
    beat("{name} and {friend} ran out to the {tplace}.", "The two friends hurried to the {tplace}.",
         "They grabbed a [shovel|bucket|flashlight] and set off for the {tplace}."),
    SCENE,
    PARA,
    beat("They looked under rocks and behind trees.", "They searched every corner of the {tplace}."),
    SCENE2,
    beat("At first, they found nothing but leaves.", "They found a worm, a button and a lot of mud.",
         "They found {a_critter_name}, a lost sock and a very old spoon."),
    beat(say("friend", "Maybe there is no treasure.", "sad"),
         say("name", "Do not give up. Let's read the clue again.")),
    beat("Then {name} saw a little cross scratched on the ground.", "Then {friend} spotted a stone that looked out of place."),
    beat("They dug with their hands, and there it was: {treasure}!",
         "Under the stone was {treasure}!"),
    beat(say("name", "We found it!", "shout"), say("friend", "Treasure!", "shout")),
    FEEL_GOOD,
], [
    beat("They shared the treasure, half and half.",
         "That night, {name} put the treasure under {his} bed.",
         "Later, {adult} smiled, and {name} wondered who had left the note."),
], ["Working together makes every search more fun.", "The best treasure is a good friend.",
    "Never give up on a good adventure."])


def _setup_baby(rng, s):
    _fix(s, "baby", rng.choice(["baby sister", "baby brother"]))


BABY = ("a new baby", None, _setup_baby, [
    beat("One day, {adult} came home with a new {baby}.",
         "{name}'s family had a new {baby}.", "There was a tiny new {baby} in {name}'s house.",
         "One [snowy|rainy|sunny] {weekday}, a new {baby} arrived at {name}'s house."),
    beat("Everyone wanted to hold the baby.", "The baby cried and slept and cried some more.",
         "All the grown-ups talked about the baby all day long.",
         "The baby had [tiny fingers|a little button nose|a very loud cry] and a soft blanket."),
    INDOOR,
    beat("{name} felt left out.", "Nobody seemed to see {name} anymore.",
         "{name} sat in the corner with {his} {toy} and frowned."),
    beat(say("name", "Nobody wants to play with me.", "sad"), "{name} felt {sad} and small.",
         say("name", "Why does the baby get all the hugs?", "sad")),
    PARA,
    beat("{adult} sat down next to {him}.", "{adult} noticed and came over."),
    beat(say("adult", "The baby needs a big helper. Would you like to be one?", "kind"),
         say("adult", "You are very important too. The baby already loves you.", "kind"),
         say("adult", "Do you know what? The baby smiles most when you are near.", "kind")),
    beat("{name} held the baby's tiny hand.", "{name} sang a little song to the baby.",
         "{name} showed the baby {his} {toy}."),
    beat("The baby stopped crying and smiled at {name}.", "The baby grabbed {name}'s finger and cooed."),
    beat(say("name", "The baby likes me!", "happy"), "{name} laughed out loud."),
    FEEL_GOOD,
], [
    beat("From then on, {name} was the best big helper in the world.",
         "{name} read stories to the baby every night.",
         "Now {name} had someone new to love."),
], ["There is always enough love to go around.", "Being a big helper feels good."])


def _setup_move(rng, s):
    where, new = rng.choice(W.NEW_HOMES)
    _fix(s, "newhome", where)
    _fix(s, "newthing", new)


MOVE = ("moving house", None, _setup_move, [
    beat("{name}'s family was moving to {newhome}.", "One day, {adult} said they were moving to {newhome}.",
         "It was moving day: {name} and {adult} were going to live in {newhome}."),
    beat("{name} did not want to go.", "{name} was {sad} to leave {his} old room.",
         "{name} walked through every room to say goodbye."),
    beat(say("name", "But I will miss my room and my garden!", "sad"),
         say("name", "What if I do not like it there?", "worried")),
    beat("They packed everything into big boxes.", "{name} packed {his} {toy} in a box with {his} name on it."),
    INDOOR,
    PARA,
    beat("The new house was big and empty and strange.", "The new place smelled of fresh paint.",
         "The new house [creaked|echoed|felt cold] and had no pictures on the walls."),
    beat("But then {name} found {newthing}.", "Then {adult} showed {name} {newthing}."),
    beat(say("name", "Wow! Look at that!", "shout"), "{name}'s eyes went wide."),
    SCENE,
    beat("A neighbor came by with {a_food} to say welcome.",
         "That evening, a friendly neighbor waved from the next garden."),
    beat("{name} put {his} {toy} on the new shelf.", "{name} hung a drawing on the wall of {his} new room."),
    FEEL_GOOD,
], [
    beat("Soon the new house felt like home.", "By the end of the week, {name} loved the new house.",
         "{name} still missed the old house a little, but the new one was full of surprises."),
], ["Home is where the people you love are.", "New places can become happy places."])


def _setup_sick(rng, s):
    ill, comfort = rng.choice(W.SICK_DAYS)
    _fix(s, "ill", ill)
    _fix(s, "comfort", comfort)


SICK = ("a sick day", None, _setup_sick, [
    beat("One morning, {name} woke up with {ill}.", "{name} did not feel well. {He} had {ill}.",
         "On {weekday}, {name} had {ill} and a very red nose."),
    beat("{He} had to stay home from school.", "{He} could not go out to play."),
    beat(say("name", "But I wanted to play today!", "sad"), "{name} looked out of the window and sighed."),
    beat("{adult} brought {him} {comfort}.", "{adult} made {him} {comfort} and a warm blanket."),
    INDOOR,
    PARA,
    beat("{adult} read {him} a story about {a_animal} who sailed to the moon.",
         "They played a quiet game of cards on the bed.",
         "{adult} told {him} funny stories until {he} laughed.",
         "They did a puzzle of {animals} on a tray on the bed."),
    beat("{name} watched {a_critter_name} outside the window.", "{name} drew a picture of {his} {toy}."),
    beat(say("adult", "Rest is the best medicine.", "kind"), say("adult", "You will feel better soon.", "kind")),
    beat("{name} slept most of the afternoon.", "{name} drank lots of water and had a long nap."),
    beat("The next day, {he} felt much better.", "By the evening, {his} cheeks were pink again."),
    FEEL_GOOD,
], [
    beat('{name} hugged {adult}. "Thank you for taking care of me."',
         "Soon {name} was back outside, running and laughing.",
         "{name} felt lucky to have someone to take care of {him}."),
], ["When we are sick, rest and love help us get better.", "It feels good to be taken care of."])


def _setup_camp(rng, s):
    where, noise, what = rng.choice(W.NIGHT_NOISES)
    _fix(s, "campwhere", where)
    _fix(s, "noise", noise)
    _fix(s, "noisewhat", what)


CAMP = ("a night outdoors", "known", _setup_camp, [
    beat("{name} and {friend} were going to sleep {campwhere}!",
         "{adult} said {name} and {friend} could spend the night {campwhere}."),
    beat("They brought blankets, pillows and a bag of {foods}.",
         "They packed a flashlight, two sleeping bags and {his} {toy}."),
    MEAL,
    beat("They looked at the stars and told stories.", "They counted the stars until they lost count.",
         "They [roasted|toasted|shared] {foods} and sang [songs|silly rhymes|camp songs]."),
    SCENE2,
    PARA,
    beat("Then they heard {noise}.", "Suddenly, there was {noise} outside."),
    beat(say("friend", "What was that?", "whisper"), say("name", "Did you hear that?", "whisper")),
    beat("{name} held the flashlight tight.", "{name} and {friend} hid under their blankets."),
    beat("{name} was scared, but {he} peeked outside anyway.", "{name} took a deep breath and looked out."),
    beat("It was just {noisewhat}!", "There was {noisewhat}."),
    beat("They both laughed.", say("friend", "We were scared of that!", "happy")),
    beat("Soon they fell asleep, side by side.", "They talked and giggled until they fell asleep."),
], [
    beat("In the morning, they told {adult} everything.",
         "It was the best night {name} had ever had.",
         "They could not wait to do it again."),
], ["A friend makes scary things less scary.", "The night is full of little surprises."])


def _setup_build(rng, s):
    what, stuff, trouble, fix = rng.choice(W.BUILDS)
    _fix(s, "build", what)
    _fix(s, "stuff", stuff)
    _fix(s, "trouble", trouble)
    _fix(s, "mend", fix)


BUILD = ("building something", "known", _setup_build, [
    beat("{name} and {friend} wanted to build {build}.", "One {day_part}, {name} had an idea: {build}!",
         say("name", "Let's build {build}!", "shout")),
    beat("They gathered {stuff}.", "They found {stuff} and carried it all outside."),
    MEAL,
    beat("{name} drew a plan on a piece of paper.", "{friend} held things while {name} worked.",
         "They [measured|counted|sorted] everything twice."),
    SCENE2,
    PARA,
    beat("But then {trouble}.", "Oh no! Just then, {trouble}."),
    beat(say("friend", "It is not working!", "sad"), say("name", "Maybe we should give up.", "sad")),
    beat("Then {name} had an idea.", "Then {friend} had a clever idea."),
    beat("They {mend}.", "So they {mend}, and it worked!"),
    beat("At last, {build} stood there, just as they had planned.", "At last, it was finished!"),
    beat(say("name", "We did it!", "shout"), "They gave each other a high five."),
    beat("{adult} came out to look and clapped.", "{adult} brought them {foods} to celebrate.", p=0.6),
], [
    beat("It was not perfect, but it was theirs.", "They played with it until the sun went down.",
         "{name} and {friend} were very proud of what they built."),
], ["When you work together, you can build great things.", "Mistakes help you find a better way."])


def _setup_show(rng, s):
    show, part = rng.choice(W.SHOWS)
    _fix(s, "show", show)
    _fix(s, "part", part)


SHOW = ("a part in the show", None, _setup_show, [
    beat("{name} was going to be {part} in {show}.", "In {show}, {name} got to play {part}."),
    beat("Every day, {he} practiced {his} lines.", "{He} practiced in front of the mirror.",
         "{He} practiced for {his} {toy}, for the cat and for {adult}."),
    INDOOR,
    beat("But on the big day, {his} tummy was full of butterflies.", "When the day came, {name} felt {sad}."),
    beat(say("name", "What if I forget my words?", "worried"), say("name", "I cannot do it!", "sad")),
    beat(say("adult", "Just look at me, and do your best.", "kind"),
         '{adult} squeezed {his} hand. "You know it. I know you know it."'),
    PARA,
    beat("The curtain opened.", "The lights went on and the music began."),
    beat("For a moment, {name} could not speak.", "{name} saw all the faces and froze."),
    beat("Then {he} saw {adult} in the front row, smiling.", "Then {he} remembered {adult}'s words."),
    beat("{name} took a breath and said {his} lines loud and clear.", "{name} began, and the words came back."),
    beat("Everyone clapped and cheered!", "When it was over, everyone clapped."),
    FEEL_GOOD,
], [
    beat(say("name", "I did it! Can I be in the next show too?", "happy"),
         "{name} bowed, and {his} cheeks were pink with joy.",
         "That night, {name} told {his} {toy} all about the show."),
], ["Being brave means doing it even with butterflies.", "Practice helps you shine."])


def _setup_picnic(rng, s):
    _fix(s, "thief", rng.choice(["crow", "seagull", "squirrel", "dog", "goat", "raccoon", "duck", "fox"]))
    _fix(s, "pfood", rng.choice(["sandwich", "cookie", "muffin", "cupcake", "apple", "jam sandwich", "biscuit"]))


PICNIC = ("a picnic", "known", _setup_picnic, [
    beat("{name}, {friend} and {adult} went on a picnic.", "It was a perfect day for a picnic.",
         "{adult} packed a basket, and {name} and {friend} [skipped|raced|marched] to the {place}."),
    beat("They spread a blanket on the grass by the {water}.", "They found a spot under a big {tree} tree."),
    SCENE,
    beat("In the basket there were {foods}, {foods} and {foods}.",
         "{adult} unpacked {foods}, {a_food} and a bottle of lemonade."),
    SCENE2,
    beat("{name} had saved a special {pfood} for last.", "{name}'s favorite was a big {pfood}."),
    PARA,
    beat("But just as {he} reached for it, a {thief} grabbed the {pfood} and ran!",
         "Then, quick as a wink, a {thief} snatched the {pfood}!"),
    beat(say("name", "Hey! That is mine!", "shout"), say("friend", "Stop, {thief}!", "shout")),
    beat("They ran after it, but the {thief} was too fast.", "The {thief} hid behind a tree with its prize."),
    beat("{name} wanted to be cross. Then {he} laughed.", "{name} frowned. Then {friend} started to giggle."),
    beat(say("name", "I guess the {thief} was hungry too.", "happy"),
         say("friend", "That {thief} has good taste!", "happy")),
    beat("{friend} shared {a_food} with {name}.", "{adult} found one more {pfood} at the bottom of the basket."),
    FEEL_GOOD,
], [
    beat("It was the funniest picnic ever.", "They laughed about the {thief} all the way home.",
         "After that, they always packed one extra {pfood}, just in case."),
], ["Sharing makes a picnic better.", "Sometimes the funny days are the best days."])


def _setup_lost_way(rng, s):
    where, mark1, mark2 = rng.choice(W.LOST_WAYS)
    _fix(s, "lostin", where)
    _fix(s, "mark1", mark1)
    _fix(s, "mark2", mark2)


LOST_WAY = ("finding the way home", None, _setup_lost_way, [
    beat("One day, {name} and {adult} went to {lostin}.", "{name} went with {adult} to {lostin}."),
    beat(say("adult", "Stay close to me.", "kind"), '{adult} said, "Remember, if you get lost, stay where you are."'),
    SCENE,
    beat("But {name} saw {a_critter_name} and followed it.", "{name} stopped to look at something shiny."),
    beat("When {he} looked up, {adult} was gone.", "When {he} turned around, {he} did not know where {he} {was}."),
    PARA,
    beat(say("name", "{adult}? {adult}!", "shout"), "{name} called, but nobody answered."),
    SCENE2,
    FEEL_BAD,
    beat("Then {name} remembered something.", "{name} took a deep breath and looked around."),
    beat("{He} saw {mark1}. They had passed it on the way in!", "There was {mark1}, just like before."),
    beat("{He} walked to it slowly and carefully.", "{He} stood next to it, just like {adult} had said."),
    beat("Soon {he} saw {mark2}, and there was {adult}, looking for {him}!",
         "Then {adult} came running past {mark2}!"),
    beat("{adult} hugged {him} tight.", "{name} ran into {adult}'s arms."),
    beat(say("adult", "You did just the right thing.", "kind"), say("adult", "I was so worried!", "worried")),
], [
    beat("From then on, {name} always stayed close.", "{name} was proud that {he} had stayed calm.",
         "They walked home holding hands."),
], ["If you get lost, stay calm and look for something you know.", "Stay close to your grown-up."])


def _setup_wish(rng, s):
    thing, where, wish = rng.choice(W.MAGIC_FINDS)
    _fix(s, "magic", thing)
    _fix(s, "mwhere", where)
    _fix(s, "wish", wish)


WISH = ("a wish", "known", _setup_wish, [
    beat("One day, {name} found {magic} {mwhere}.", "{Mwhere}, {name} found {magic}.",
         "While {he} {was} looking for {collectables}, {name} found {magic} {mwhere}."),
    beat("It glowed softly in {his} hands.", "It was warm and tingly.",
         "It [shimmered|sparkled|hummed] like it was alive."),
    SCENE,
    beat('A tiny voice said, "You may make one wish."', "When {name} held it, a little voice whispered, \"Make a wish.\"",
         'Then it spoke! "One wish," it said, "just one."'),
    beat(say("name", "A wish? For me?", "ask"), "{name} could hardly believe it.",
         say("name", "Is this a dream?", "whisper")),
    PARA,
    beat("{name} thought about {foods}, a pony and a castle.", "{name} thought of all the things {he} wanted.",
         "{name} thought of {a_far_thing}, a room full of {foods}, and {a_animal} of {his} own."),
    beat("But then {he} thought about {friend}.", "Then {he} thought about the people around {him}."),
    beat("{name} closed {his} eyes and wished {wish}.", "{name} wished {wish}."),
    beat("The light grew bright, then it was gone.", "There was a soft sparkle, and then it was quiet.",
         "It glowed [gold|silver|rosy pink] one last time and then went still."),
    beat("The next day, {his} wish came true.", "Soon, {name} saw that the wish had come true."),
    FEEL_GOOD,
    beat(say("friend", "That was a kind wish.", "kind"), "{friend} hugged {name}.", p=0.6),
], [
    beat("{name} never told anyone about the wish, but {he} smiled every time {he} thought of it.",
         "{name} kept the memory of the wish like a treasure.",
         "{name} learned that the best wishes are for others."),
], ["The best wishes are the ones we make for others.", "Kindness is a kind of magic."])


def _setup_lonely(rng, s):
    creature, why = rng.choice(W.LONELY_CREATURES)
    _fix(s, "creature", creature)
    _fix(s, "why", why)


LONELY = ("a lonely creature", None, _setup_lonely, [
    beat("Near the {hometown} lived {a_creature}.", "At the top of the hill, there lived {a_creature}.",
         "Deep in the woods behind the {hometown}, there lived {a_creature}."),
    beat("Everyone was afraid of the {creature}, because {why}.", "People ran away from the {creature}, because {why}.",
         "Nobody went near the {creature}, because {why}."),
    beat("But {name} saw that the {creature} looked very lonely.", "One day, {name} saw the {creature} sitting alone and crying."),
    SCENE,
    PARA,
    beat("{name} walked up to the {creature}.", "{name} was a little scared, but {he} walked closer.",
         "{name} took {a_food} and walked [slowly|carefully|bravely] toward the {creature}."),
    beat(say("name", "Why are you crying?", "kind"), say("name", "Are you okay?", "kind"),
         say("name", "Hello. Do you want {a_food}?", "kind")),
    beat(say("the {creature}", "Nobody wants to be my friend.", "sad"),
         say("the {creature}", "Everyone runs away from me.", "sad"),
         say("the {creature}", "I only wanted someone to play with.", "sad")),
    beat(say("name", "I will be your friend!", "happy"), say("name", "I am not scared. Do you want to play?", "kind")),
    beat("The {creature} smiled a big smile.", "The {creature} wiped its eyes and smiled."),
    beat("They played all day.", "They {together} and shared {foods}.",
         "They played {game_name}, and the {creature} was [very good|terrible|so funny] at it."),
    beat("The other kids saw them and came to play too.", "Soon, everyone saw that the {creature} was kind."),
    FEEL_GOOD,
], [
    beat("From then on, the {creature} was never lonely again.",
         "The {creature} and {name} were best friends forever.",
         "Now the {creature} comes to every party in the {hometown}."),
], ["Do not judge someone by how they look.", "A friend can be found in surprising places.",
    "Kindness can turn fear into friendship."])


def _setup_save(rng, s):
    gift, who, how = rng.choice(W.SAVINGS)
    _fix(s, "gift", gift)
    _fix(s, "giftfor", who)
    _fix(s, "earn", how)


SAVE = ("saving for a gift", "known", _setup_save, [
    beat("{name} wanted to buy {gift} for {giftfor}.", "{Giftfor} had always wanted {gift}, and {name} knew it.",
         "In the shop window, {name} saw {gift} and thought of {giftfor}."),
    beat("But {name} had only three coins in {his} coin jar.", "But {gift} cost more coins than {name} had."),
    beat("So {name} made a plan.", say("name", "I will earn the coins myself!", "shout")),
    INDOOR,
    PARA,
    beat("Every day, {he} earned a coin by {earn}.", "{He} got a coin each time for {earn}."),
    beat("Some days, {he} wanted to buy {a_food} instead.", "It was hard to wait.",
         "When the ice cream van came by, {name} [looked away|held the jar tight|sighed] and kept saving."),
    beat("But {name} kept saving.", "But {name} thought of {giftfor}'s face and kept going."),
    beat("At last, {he} had enough coins!", "After many weeks, the coin jar was full."),
    beat("{name} went to the shop and bought {gift}.", "{name} bought {gift} and wrapped it in paper."),
    beat("When {giftfor} opened it, a big smile spread across the room.", "{Giftfor} gasped with joy."),
    beat(say("giftfor", "You saved for this? Thank you!", "happy")),
    FEEL_GOOD,
], [
    beat("{name} felt happier than if {he} had bought a treat.", "Giving the gift felt even better than getting one.",
         "{name} decided to save for the next gift too."),
], ["Saving takes patience, and giving brings joy.", "The best gifts come from the heart."])


def _setup_food(rng, s):
    food, why, taste = rng.choice(W.NEW_FOODS)
    _fix(s, "nfood", food)
    _fix(s, "nwhy", why)
    _fix(s, "taste", taste)


TRY_FOOD = ("trying new food", None, _setup_food, [
    beat("At dinner, {adult} put {nfood} on {name}'s plate.", "One night, there was {nfood} for dinner.",
         "At {meal}, next to the {foods}, sat {nfood}."),
    INDOOR,
    beat("{name} did not want to eat it, because {nwhy}.", "{name} wrinkled {his} nose. {Nwhy}."),
    beat(say("name", "I do not like it!", "shout"), say("name", "Do I have to?", "sad"),
         say("name", "It looks [funny|strange|yucky]!", "shout")),
    beat(say("adult", "You do not know yet. Try just one little bite.", "kind"),
         say("adult", "Be a brave taster. One bite!", "kind"),
         say("adult", "When I was little, I did not like it either. Then I tried it.", "kind")),
    PARA,
    beat("{name} looked at it for a long time.", "{name} poked it with {his} fork.",
         "{name} [sniffed|poked|stared at] it and wiggled {his} nose."),
    beat("Then {he} took a tiny bite.", "Then {he} closed {his} eyes and took a bite."),
    beat("It was {taste}!", "To {his} surprise, it was {taste}."),
    beat(say("name", "Hey! This is good!", "happy"), say("name", "Can I have more?", "ask")),
    FEEL_GOOD,
], [
    beat("After that, {name} liked to try new things.", "After that, {name} asked for {nfood} every week.",
         "{name} told everyone at school about {nfood}."),
], ["You never know until you try.", "New things can be good things."])


def _setup_snow(rng, s):
    play, played = rng.choice([("build a snowman", "built a snowman with a carrot nose"),
                               ("have a snowball fight", "had a snowball fight"),
                               ("make snow angels", "made snow angels"),
                               ("ride a sled down the hill", "rode a sled down the hill")])
    _fix(s, "snowplay", play)
    _fix(s, "snowplayed", played)


SNOW = ("a snow day", "known", _setup_snow, [
    beat("One morning, {name} looked out of the window. Everything was white!",
         "When {name} woke up, the world was covered in snow.",
         "Overnight, [soft|deep|fluffy] snow had covered the whole {hometown}."),
    beat(say("name", "Snow! It snowed!", "shout"), "{name} jumped out of bed."),
    beat("{He} put on {his} {outfit} and ran outside.", "{He} bundled up in {his} {outfit} and a warm scarf."),
    beat("{friend} was already outside.", "{friend} knocked on the door."),
    beat(say("friend", "Let's {snowplay}!", "happy"), say("name", "Let's {snowplay}!", "happy")),
    PARA,
    beat("They {snowplayed}.", "First they {snowplayed}."),
    beat("Then they made a little snow fort.", "Then they made a row of tiny snow {animals}.",
         "Then they followed the tracks of {a_critter_name} across the snow."),
    beat("Their noses turned pink and their fingers got cold.", "Snowflakes landed on their cheeks."),
    beat("{adult} called them in for cocoa.", "{adult} brought out two mugs of hot cocoa."),
    INDOOR,
    beat("They drank it by the window and watched the snow fall.", "The cocoa was warm and sweet."),
    FEEL_GOOD,
], [
    beat("It was the best snow day ever.", "{name} hoped it would snow again tomorrow.",
         "That night, {name} fell asleep thinking of snow."),
], ["A snow day is a gift for friends to share.", "Cold days can be full of warm fun."])


def _setup_clean(rng, s):
    pass


CLEAN = ("a messy room", None, _setup_clean, [
    beat("{name}'s room was very messy.", "Toys, socks and books covered the floor of {name}'s room.",
         "{name}'s room looked like a [storm|tornado|herd of {animals}] had gone through it."),
    beat("{adult} asked {him} to clean it up.", say("adult", "Please tidy your room before dinner.", "say")),
    beat(say("name", "But that is boring!", "sad"), "{name} groaned."),
    beat("Then {name} wanted to play with {his} {thing}, but {he} could not find it.",
         "Later, {name} looked for {his} {thing}, but it was lost in the mess."),
    PARA,
    beat("{He} started to pick things up, one by one.", "So {name} started to clean."),
    beat("{He} put the books on the shelf and the socks in the basket.",
         "{He} sang a silly song while {he} tidied.",
         "{He} pretended to be {a_animal} cleaning its nest."),
    INDOOR,
    beat("{He} found a lost sock, an old crayon and a {tcolor} bead.",
         "Under the bed, {he} found a dusty book and a lost sock.",
         "{He} found {collectables}, a puzzle piece and a very old cookie."),
    beat("And there, under a pile of clothes, was {his} {thing}!", "At last, there was the {toy}!"),
    beat(say("name", "I found it!", "shout"), "{name} hugged the {toy}."),
    beat("{adult} peeked in and smiled.", say("adult", "What a tidy room!", "happy")),
    FEEL_GOOD,
], [
    beat("From then on, {name} put {his} things away every night.",
         "{name} found out that a tidy room is a good place to play.",
         "Now {name} always knows where {his} {toy} is."),
], ["A tidy room makes it easy to find things.", "Cleaning up can be fun with a song."])


def _setup_joke(rng, s):
    (q1, a1), (q2, a2) = rng.sample(W.RIDDLES, 2)
    _fix(s, "riddle", f'"{q1}" asked {{friend}}. "I do not know. What?" said {{name}}. "{a1}" said {{friend}}.')
    _fix(s, "riddle2", f'Then {{name}} asked, "{q2}" {{friend}} thought and thought. "{a2}" said {{name}}.')


JOKE = ("a day of jokes", "known", _setup_joke, [
    beat("One rainy day, {name} and {friend} were stuck inside.",
         "It was too {weather} to go out, so {name} and {friend} played inside.",
         "{name} and {friend} sat on the porch with nothing to do."),
    INDOOR,
    beat(say("name", "I am so bored.", "sad"), say("friend", "What should we do?", "ask")),
    beat("Then {friend} grinned.", "Then {name} had an idea."),
    beat(say("friend", "I know! Let's tell jokes!", "happy"), say("name", "Let's tell riddles!", "happy")),
    PARA,
    beat("{riddle}"),
    beat("{name} laughed so hard that {he} fell off the chair.", "{name} giggled and giggled.",
         "{name} snorted milk out of {his} nose, which made them laugh even more."),
    beat("{riddle2}"),
    beat("Now it was {friend}'s turn to laugh.", "They laughed until their tummies hurt."),
    beat("{adult} came in to see what was so funny.", "{adult} heard the laughing and came to listen.", p=0.7),
    beat("Soon they were all telling jokes.", "{adult} told a joke too, and it was the silliest one of all."),
    FEEL_GOOD,
], [
    beat("It was the best rainy day ever.", "They wrote all their jokes in a little book.",
         "From then on, {name} and {friend} told a new joke every day."),
], ["Laughing with a friend makes any day better.", "A good joke is a gift you can share."])


def _setup_song(rng, s):
    _fix(s, "song", rng.choice(W.SONGS))
    _fix(s, "listener", rng.choice(["the birds", "the ducks", "the cows", "the flowers", "the trees"]))


SONG = ("a song to share", None, _setup_song, [
    beat("{name} loved to sing.", "{name} made up songs all day long.",
         "{name} sang [in the bath|on the stairs|in the garden|while {he} ate {foods}]."),
    beat("{His} favorite song went like this: \"{song}\"", "Every morning, {he} sang, \"{song}\""),
    beat("But {name} only sang when nobody was listening.", "{name} was too shy to sing for anyone."),
    beat("{He} sang to {listener} and to {his} {toy}.", "{He} sang in the garden, where only {listener} could hear."),
    SCENE,
    PARA,
    beat("One day, {adult} was feeling sad.", "One day, {adult} came home tired and sad."),
    beat("{name} wanted to help.", "{name} wanted to cheer {adult} up."),
    beat("{name} took a deep breath and began to sing.", "{name} stood up, shaking a little, and sang."),
    beat(say("name", "{song}", "happy")),
    beat("{adult} looked up and smiled.", "Slowly, {adult} began to smile."),
    beat(say("adult", "That was beautiful! Sing it again!", "happy"), '{adult} clapped. "You have a lovely voice."'),
    FEEL_GOOD,
], [
    beat("From then on, {name} sang for everyone.", "Now {name} and {adult} sing together every night.",
         "{name} learned that songs are for sharing."),
], ["A song can cheer up a sad heart.", "Sharing what you love makes it grow."])


def _setup_birthday(rng, s):
    _fix(s, "age", rng.choice(["four", "five", "six", "seven", "eight"]))
    _fix(s, "cake", rng.choice(["chocolate cake", "strawberry cake", "lemon cake", "carrot cake", "honey cake",
                                "banana cake", "cake with pink icing", "cake shaped like {a_animal}"]))
    _fix(s, "cakeoops", rng.choice(["the cake slid off the plate", "the candles would not light",
                                    "the dog licked the icing", "it started to rain on the party",
                                    "the balloons flew away"]))


BIRTHDAY = ("a birthday", "known", _setup_birthday, [
    beat("Tomorrow was {name}'s birthday. {He} would be {age}!", "It was {name}'s birthday at last! {He} {was} {age} today.",
         "{name} woke up and [jumped|bounced|leaped] out of bed. It was {his} birthday!"),
    beat("{adult} made {a_cake}.", "{adult} had baked {a_cake} with {age} candles.",
         "The kitchen smelled of {cake} and {smell}."),
    INDOOR,
    beat(say("name", "What if nobody comes to my party?", "worried"),
         "{name} kept looking out of the window for {his} friends."),
    PARA,
    beat("Then the doorbell rang. It was {friend}!", "[Ding dong|Knock knock]! {friend} was at the door with a present."),
    beat(say("friend", "Happy birthday, {name}!", "shout"), '"Happy birthday!" [sang|shouted|cried] {friend}.'),
    beat("More friends came, and the house was full of laughing.", "There were balloons, {foods} and a big pile of presents."),
    beat("But then {cakeoops}.", "Oh no! Just then, {cakeoops}."),
    beat("{name} wanted to cry.", "{name}'s face fell."),
    beat(say("friend", "It does not matter. We are all here!", "kind"), say("adult", "Let's laugh about it!", "happy")),
    beat("So they laughed, and sang, and ate {foods} instead.", "They played {game_name} until they were out of breath."),
    FEEL_GOOD,
], [
    beat("It was the best birthday {name} had ever had.", "That night, {name} fell asleep smiling, {age} years old at last."),
], ["A birthday is best with friends.", "Little things going wrong cannot spoil a happy day."])


def _setup_library(rng, s):
    _fix(s, "lbook", rng.choice(["a book about {animals}", "a book of fairy tales", "a big book about the sea",
                                 "a book about space", "a book of riddles", "a picture book about {a_animal}"]))
    _fix(s, "lfound", rng.choice(["under the sofa", "in the toy box", "behind the bread bin", "in the car",
                                  "under {his} pillow", "in the garden shed"]))


LIBRARY = ("a library book", None, _setup_library, [
    beat("Every {weekday}, {name} went to the library with {adult}.",
         "{name} loved the library, with its tall shelves and quiet corners."),
    beat("This time, {he} chose {lbook}.", "{name} found {lbook} and could not put it down."),
    INDOOR,
    beat("{He} read it in bed, at breakfast and in the bath.", "{He} read it [to {his} {toy}|out loud|twice] every night."),
    PARA,
    beat("But when it was time to take it back, the book was gone!", "Then the day came to return it, but {name} could not find it."),
    beat(say("name", "The library needs it back today!", "worried"), say("name", "What will the librarian say?", "worried")),
    FEEL_BAD,
    beat("{name} looked everywhere.", "{name} and {adult} searched the whole house."),
    beat("At last, {he} found it {lfound}.", "There it was, {lfound}!"),
    beat("They hurried to the library.", "{name} ran all the way to the library, holding the book tight."),
    beat(say("the librarian", "Thank you for bringing it back. Would you like another?", "kind"),
         "The librarian smiled and stamped the book."),
    FEEL_GOOD,
], [
    beat("From then on, {name} kept {his} library books on a special shelf.", "{name} picked a new book, and this time {he} knew where to keep it."),
], ["Borrowed things need good care.", "Books are friends you can share with everyone."])


def _setup_gift(rng, s):
    _fix(s, "wanted", rng.choice(["a big red bike", "a puppy", "a train set", "a castle", "a robot",
                                  "a box of paints", "a real telescope"]))
    _fix(s, "got", rng.choice(["a pair of knitted socks", "a scarf with stripes", "a little plant in a pot",
                               "a book of poems", "a jar of homemade jam", "a drawing in a frame"]))


GIFT = ("a disappointing gift", None, _setup_gift, [
    beat("{name} hoped {he} would get {wanted} for {his} birthday.", "All year, {name} had wished for {wanted}."),
    beat("When {adult} gave {him} a present, {his} heart beat fast.", "There was a box with a big bow."),
    beat("But inside was {got}.", "{name} opened it. It was {got}."),
    beat("{name} felt {sad}. It was not {wanted}.", "{name}'s smile went away."),
    PARA,
    beat("Then {he} saw {adult}'s face. {adult} was smiling and hoping.", "Then {name} looked at {adult}."),
    beat(say("adult", "I made it myself, just for you.", "kind"), say("adult", "I thought of you the whole time.", "kind")),
    beat("{name} thought about all the time it took.", "{name} understood that it was made with love."),
    beat(say("name", "Thank you, {adult}. I love it.", "kind"), '{name} hugged {adult}. "It is special because you made it."'),
    FEEL_GOOD,
], [
    beat("{name} kept {got} for many years.", "Now {got} is one of {name}'s favorite things."),
], ["A gift made with love is the best gift of all.", "It is the thought that counts."])


def _setup_stuck(rng, s):
    _fix(s, "stuckin", rng.choice(["a tall tree", "the top of the fence", "the roof of the shed", "a thorny bush",
                                   "the gutter", "a high branch"]))


STUCK = ("stuck up high", None, _setup_stuck, [
    beat("{name} was playing with {his} {thing} in the garden.", "{name} [threw|tossed|flung] {his} {thing} high in the air."),
    beat("Then, whoosh! The {toy} got stuck in {stuckin}.", "Up it went, and it landed in {stuckin}."),
    beat(say("name", "Oh no! My {toy}!", "shout"), "{name} stared up at it."),
    beat("{He} jumped, but it was too high.", "{He} tried a stick, but the stick was too short.",
         "{He} threw a ball at it, but the ball came back down [alone|by itself]."),
    PARA,
    SCENE2,
    beat("Then {a_critter_name} landed next to the {toy}.", "A breeze shook the branch, but the {toy} stayed stuck."),
    beat("{name} ran to get {adult}.", "{name} had an idea and ran inside."),
    beat("{adult} brought a ladder and held it steady.", "{adult} came with a long broom."),
    beat("Together, they got the {toy} down.", "With one gentle poke, the {toy} tumbled into {name}'s arms."),
    beat(say("name", "Thank you, {adult}!", "happy"), "{name} laughed and hugged the {toy}."),
], [
    beat("After that, {name} played with the {toy} far away from {stuckin}.", "{name} learned to ask for help when something is out of reach."),
], ["When something is out of reach, ask for help.", "Two heads are better than one."])


def _setup_storm(rng, s):
    pass


STORM = ("a stormy night", None, _setup_storm, [
    beat("One night, a big storm came.", "That evening, dark clouds rolled over the {hometown}."),
    beat("The wind howled and the rain [beat|drummed|lashed] on the windows.", "Thunder [boomed|rumbled|crashed] across the sky."),
    beat("Then the lights went out!", "Suddenly, everything went dark."),
    beat(say("name", "{adult}! I cannot see!", "shout"), "{name} held {his} {toy} very tight."),
    PARA,
    beat("{adult} lit a candle and sat down on the rug.", "{adult} found a flashlight and came to {name}."),
    beat(say("adult", "Let's make this a cozy adventure.", "kind"), say("adult", "Storms pass. We are safe inside.", "kind")),
    beat("They made shadow animals on the wall: {animals}, {animals} and a giant {animal}.",
         "They told stories about {animals} who lived on the moon."),
    beat("They drank warm milk and ate {foods} by candlelight.", "They counted between the flashes and the booms."),
    beat("Soon the storm grew quieter.", "Little by little, the thunder rolled away."),
    FEEL_GOOD,
], [
    beat("In the morning, the sky was clean and blue.", "{name} fell asleep on the rug, warm and safe."),
], ["Storms do not last forever.", "Being together makes scary nights cozy."])


def _setup_pet_wish(rng, s):
    pet, _ = rng.choice(W.PETS)
    _fix(s, "pet", pet)
    _fix(s, "practice", rng.choice(["a little plant", "a goldfish", "a snail in a jar", "a cactus", "a bean in a pot"]))


PET_WISH = ("wishing for a pet", None, _setup_pet_wish, [
    beat("{name} wanted a {pet} more than anything.", "Every night, {name} wished for a {pet}."),
    beat(say("name", "Please, can I have a {pet}?", "ask"), "{name} asked {adult} again and again."),
    beat(say("adult", "A pet needs care every single day. First, show me you can look after {practice}.", "kind")),
    PARA,
    beat("So {name} took care of {practice}.", "{name} looked after {practice} every day."),
    beat("{He} gave it water and sun.", "{He} never forgot, not even on [busy|rainy|sleepy] days."),
    beat("Weeks went by.", "The [spring|summer|autumn] went by."),
    beat("One day, {adult} came home with a little box.", "Then one {weekday}, {adult} smiled a secret smile."),
    beat("Inside was a tiny {pet}!", "In the box was a {pet}, looking up at {name}."),
    beat(say("name", "A {pet}! For me?", "shout"), "{name} could hardly breathe."),
    FEEL_GOOD,
], [
    beat("{name} took care of the {pet} every day, just as {he} had promised.", "The {pet} and {name} became best friends."),
], ["Taking care of something small prepares you for something big.", "Patience and care are a kind of love."])


def _setup_chores(rng, s):
    _fix(s, "chore1", rng.choice(["fold the laundry", "wash the dishes", "sweep the floor", "water the plants",
                                  "sort the socks", "dust the shelves", "rake the leaves"]))
    _fix(s, "chore2", rng.choice(["feed the cat", "set the table", "put away the toys", "wipe the windows"]))


CHORES = ("helping at home", None, _setup_chores, [
    beat("It was {a_weather} {weekday}, and there was lots to do at home.", "{adult} was very busy."),
    beat(say("adult", "Could you help me {chore1}?", "ask"), "{adult} asked {name} to {chore1}."),
    beat(say("name", "But that is boring!", "sad"), "{name} groaned and flopped on the sofa."),
    INDOOR,
    PARA,
    beat("Then {name} had an idea: {he} would make it a game.", say("adult", "What if we make it a race?", "happy")),
    beat("{name} pretended to be {a_animal} as {he} worked.", "{name} sang a song while {he} worked."),
    beat("Soon {he} had finished, and it was fun!", "In no time, it was done."),
    beat(say("name", "Can I {chore2} too?", "happy"), "Then {name} helped {chore2} as well."),
    beat(say("adult", "What a helper! Thank you!", "happy"), "{adult} gave {him} a big hug."),
    FEEL_GOOD,
], [
    beat("After that, {name} liked to help at home.", "Now chores are a game in {name}'s house."),
], ["Helping at home is a way to show love.", "Work can be fun with a song."])


def _setup_market(rng, s):
    _fix(s, "item1", rng.choice(W.FOODS))
    _fix(s, "item2", rng.choice(W.FOODS))
    _fix(s, "item3", rng.choice(W.FOOD_MASS))


MARKET = ("a trip to the market", None, _setup_market, [
    beat("{adult} asked {name} to help with the shopping.", "On {weekday}, {name} and {adult} went to the market."),
    beat("{name} held the list: {a_item1}, {a_item2} and some {item3}.", "They needed {a_item1}, {a_item2} and {item3}."),
    SCENE,
    beat("The market was full of [colors|noise|people] and smells.", "There were stalls with {foods}, {foods} and {flowers}."),
    beat("{name} found the {item1} right away.", "First they bought {a_item1}."),
    PARA,
    beat("But {name} had dropped the list!", "Then {name} could not remember the rest."),
    beat(say("name", "What else did we need?", "worried"), "{name} thought and thought."),
    beat("Then {he} remembered: {item3}!", "{name} closed {his} eyes and remembered the list."),
    beat("They bought {item3} and {a_item2}.", "{name} found the {item2} and the {item3} too."),
    beat(say("adult", "What a good memory you have!", "happy"), "{adult} gave {him} {a_food} as a treat."),
    FEEL_GOOD,
], [
    beat("That night, they made a yummy dinner with everything they bought.", "{name} carried the bag all the way home."),
], ["A calm mind remembers more.", "Helping makes any job quicker."])


def _setup_dream(rng, s):
    _fix(s, "rider", rng.choice(["a giant owl", "a flying whale", "a friendly dragon", "a cloud shaped like {a_animal}",
                                 "a paper boat", "a golden kite", "a magic carpet"]))


DREAM = ("a dream adventure", None, _setup_dream, [
    beat("That night, {name} had a wonderful dream.", "{name} fell asleep and began to dream."),
    beat("In the dream, {he} flew over the {hometown} on {rider}.", "{He} {was} riding on {rider}, high above the roofs."),
    beat("Below, the {water} sparkled and the {tree} trees looked tiny.", "{He} saw {animals} playing in the fields below."),
    beat("They flew over mountains of {foods} and rivers of {drink}.", "They landed on a cloud that tasted like {foods}."),
    PARA,
    beat("Then {he} met {a_animal} who was lost.", "Then {he} saw {a_animal} crying on a star."),
    beat(say("name", "Do not worry, we will take you home.", "kind")),
    beat("They flew the {animal} home to its family.", "{name} helped the little {animal} find its way."),
    beat("Then the sky turned pink, and the dream began to fade.", "Then a bird sang, and everything grew soft and blurry."),
    beat("{name} woke up in {his} own bed.", "{name} opened {his} eyes. It was morning."),
    beat(say("name", "What a dream!", "happy"), "{name} smiled and told {adult} all about it."),
], [
    beat("{name} drew a picture of the dream so {he} would never forget it.", "That night, {name} hoped to dream it again."),
], ["Dreams can take us anywhere.", "Even in dreams, kindness matters."])


def _setup_tooth(rng, s):
    pass


TOOTH = ("a wobbly tooth", None, _setup_tooth, [
    beat("{name} had a wobbly tooth.", "One morning, {name} felt something funny. A tooth was loose!"),
    beat("It wiggled when {he} ate {a_food}.", "It wobbled when {he} talked and when {he} laughed."),
    beat(say("name", "Will it hurt when it comes out?", "worried"), "{name} was a little scared."),
    beat(say("adult", "It will not hurt much. And a new tooth will grow.", "kind")),
    PARA,
    beat("At {meal}, {name} took a big bite of {a_food}.", "That evening, {name} bit into {a_food}."),
    beat("Pop! The tooth came out!", "Out came the tiny tooth!"),
    beat(say("name", "Look! My tooth!", "shout"), "{name} held up the tiny white tooth."),
    beat("{He} put it under {his} pillow.", "{adult} helped {him} put it in a little box."),
    beat("In the morning, there was a shiny coin where the tooth had been.", "The next day, {name} found a note that said, \"Well done!\""),
    FEEL_GOOD,
], [
    beat("{name} smiled a gappy smile all day.", "{name} could not wait for the new tooth to grow."),
], ["Growing up can be a little wobbly.", "New things grow where old things go."])


def _setup_lemonade(rng, s):
    _fix(s, "drinkstand", rng.choice(["lemonade", "orange juice", "iced tea", "apple juice", "cocoa"]))


LEMONADE = ("a little stand", "known", _setup_lemonade, [
    beat("{name} and {friend} decided to open a {drinkstand} stand.", "On a hot day, {name} had an idea: a {drinkstand} stand!"),
    beat("They made a sign with big letters.", "They set up a table by the gate with cups and a jug of {drinkstand}."),
    SCENE,
    beat("But nobody came.", "They waited and waited, but nobody stopped."),
    beat(say("friend", "Maybe nobody is thirsty.", "sad"), "{name} sighed."),
    PARA,
    beat("Then {name} had an idea.", "Then {friend} had an idea."),
    beat("They sang a song to everyone walking by.", "They gave a free cup to an old man with {a_animal}."),
    beat("The old man smiled and told his friends.", "Soon, people began to stop."),
    beat("By the end of the day, the jug was empty!", "Soon there was a long line."),
    beat(say("name", "We did it!", "shout"), "They counted their coins and cheered."),
    FEEL_GOOD,
], [
    beat("They used the coins to buy {foods} for everyone.", "They gave half the coins to the animal shelter."),
], ["Kindness brings people together.", "Do not give up when things start slowly."])


def _setup_team(rng, s):
    _fix(s, "sport", rng.choice(["soccer", "basketball", "tug of war", "relay race", "kickball", "dodgeball"]))


TEAM = ("playing on a team", "known", _setup_team, [
    beat("On {weekday}, there was a big game of {sport} at school.", "{name} and {friend} were on the same {sport} team."),
    beat("{name} wanted to be the star.", say("name", "I will win it all by myself!", "shout"),
         "{name} [practiced|trained|ran laps] every day before the game."),
    SCENE,
    beat("When the game began, {name} kept the ball all to {himself}.", "{name} did not pass to anyone."),
    beat("But the other team was too quick.", "Soon {name} was tired, and the other team was winning."),
    PARA,
    beat(say("friend", "Pass it to me! I am open!", "shout"), "{friend} waved and shouted for {name}."),
    beat("{name} passed the ball to {friend}.", "At last, {name} kicked the ball to {friend}."),
    beat("{friend} passed it back, and together they [scored|won the point|reached the line]!",
         "Pass, pass, pass, and then they scored!"),
    beat("Everyone on the team cheered.", "The whole team jumped and shouted."),
    beat(say("name", "We did it together!", "happy"), "{name} and {friend} gave each other a high five."),
    FEEL_GOOD,
], [
    beat("{name} learned that a team is stronger than one player.", "After that, {name} always passed the ball."),
], ["Together we can do more than alone.", "A good player helps the whole team."])


def _setup_stars(rng, s):
    _fix(s, "shape", rng.choice(["a big bear", "a dipper", "a swan", "a hunter with a belt", "a crown", "a little fish"]))


STARS = ("looking at the stars", None, _setup_stars, [
    beat("One clear night, {adult} took {name} out to look at the stars.", "That night, the sky was dark and full of stars."),
    beat("They lay on a blanket in the [garden|meadow|field] behind the house.", "They climbed the hill with a blanket and {foods}."),
    beat("The stars twinkled like [tiny lights|bits of silver|sugar on a cake].", "There were more stars than {name} could count."),
    beat(say("adult", "Look, those stars make the shape of {shape}.", "kind"), "{adult} pointed at stars shaped like {shape}."),
    beat(say("name", "I see it! It looks like {shape}!", "happy")),
    PARA,
    beat("Then a star zipped across the sky!", "Suddenly, a shooting star flashed over the {hometown}."),
    beat(say("name", "A shooting star! Can I make a wish?", "shout"), say("adult", "Quick, make a wish!", "whisper")),
    beat("{name} closed {his} eyes and made a wish.", "{name} wished very hard, but kept the wish a secret."),
    beat("An owl hooted, and the grass was cool and damp.", "The air smelled of {smell}, and {a_critter}."),
    beat("{name} yawned a big yawn.", "Soon {name}'s eyes began to close."),
], [
    beat("{adult} carried {him} inside, fast asleep.", "That night, {name} dreamed of stars and {animals}."),
], ["The night sky is full of wonders.", "Some of the best things are free to look at."])


def _setup_art(rng, s):
    _fix(s, "subject", rng.choice(["{a_animal} in a hat", "the {hometown} at sunset", "{adult} reading a book",
                                   "a garden full of {flowers}", "a rocket to the moon", "{animals} having a picnic"]))


ART = ("a picture for the show", None, _setup_art, [
    beat("There was going to be an art show at the library.", "{name}'s school was having a painting day."),
    beat("{name} decided to paint {subject}.", "{name} wanted to paint {subject}."),
    INDOOR,
    beat("{He} got out {his} paints and a big sheet of paper.", "{He} mixed the colors very carefully."),
    beat("But then a blob of paint dripped right in the middle.", "Oops! {His} elbow smudged the paint."),
    beat(say("name", "It is ruined!", "sad"), "{name} wanted to rip it up."),
    PARA,
    beat(say("adult", "Wait. Maybe that blob can become something new.", "kind"), '{adult} looked closely. "What could that be?"'),
    beat("{name} looked at the blob. It looked a bit like {a_animal}!", "{name} turned the blob into {a_animal}."),
    beat("{He} added eyes, ears and a tail.", "{He} painted a smile on it and some {flowers} around it."),
    beat("At the show, everyone stopped at {name}'s picture.", "People smiled and pointed at the funny {animal} in the picture."),
    beat(say("name", "My mistake became the best part!", "happy")),
    FEEL_GOOD,
], [
    beat("{name}'s picture hung on the wall for a whole month.", "Now {name} is not afraid of mistakes when {he} paints."),
], ["Mistakes can turn into something wonderful.", "Art is about having fun."])


def _setup_nest(rng, s):
    _fix(s, "nbird", rng.choice(["sparrow", "blackbird", "bluebird", "finch", "dove", "thrush"]))


NEST = ("a nest in the garden", None, _setup_nest, [
    beat("One {season} morning, {name} found a nest in the hedge.", "{name} saw a {nbird} building a nest in the old {tree} tree."),
    beat("Inside were [three|four|five] tiny eggs.", "Soon there were little blue eggs in the nest."),
    beat(say("adult", "We must not touch it. We can watch from far away.", "kind")),
    beat("Every day, {name} watched the nest from the window.", "{name} made a little chart to count the days."),
    INDOOR,
    PARA,
    beat("One morning, {he} heard a tiny peep.", "Then one day, the eggs began to crack!"),
    beat("Little baby birds with fluffy heads popped out.", "Out came tiny birds with their beaks wide open."),
    beat("The {nbird} flew back and forth with worms.", "The mother {nbird} fed them all day long."),
    beat("The babies grew bigger every day.", "Soon they had feathers and tried their wings."),
    beat("At last, they flew away, one by one.", "One {day_part}, the little birds flew off into the sky."),
    beat(say("name", "Goodbye, little birds!", "shout"), "{name} waved until they were gone."),
], [
    beat("Every spring after that, {name} watched for the {nbird} to come back.", "{name} drew a picture of the nest to remember it."),
], ["Nature is best watched with patience.", "Little things grow up fast."])


def _setup_pond(rng, s):
    _fix(s, "catch", rng.choice(["a tadpole", "a little frog", "a newt", "a tiny fish", "a water beetle"]))


POND = ("a day at the pond", "known", _setup_pond, [
    beat("{name} and {friend} went to the pond with a jar and a net.", "One warm day, {name} and {friend} went pond dipping."),
    SCENE,
    beat("The water was [green|cool|murky] and full of little things.", "Dragonflies zipped over the reeds."),
    beat("{name} dipped the net and caught {catch}!", "After a lot of tries, {name} caught {catch}."),
    beat(say("name", "Look what I caught!", "shout"), say("friend", "Can we keep it?", "ask")),
    PARA,
    beat("They looked at it for a long time.", "It wiggled in the jar and looked up at them."),
    beat(say("friend", "It looks sad in the jar.", "sad"), "{name} thought about the little creature's home."),
    beat(say("name", "It belongs in the pond with its family.", "kind")),
    beat("So they tipped the jar gently, and {catch} swam away.", "They let it go, and it swam back to the reeds."),
    beat("They sat on the bank and watched the pond.", "They lay in the grass and listened to the frogs."),
    FEEL_GOOD,
], [
    beat("They came back every week to say hello to the pond.", "{name} felt happy that {catch} was home."),
], ["Wild things are happiest where they belong.", "Looking is better than keeping."])


def _setup_neighbor(rng, s):
    _fix(s, "nname", rng.choice(["Mister Pickle", "Miss Gumble", "Mister Crumb", "Miss Thistle", "Mister Hobb"]))


NEIGHBOR = ("the grumpy neighbor", None, _setup_neighbor, [
    beat("Next door to {name} lived a grumpy old neighbor called {nname}.", "{nname}, the neighbor, never smiled."),
    beat("{nname} shouted when balls went over the fence.", "{nname} frowned at everyone who walked by."),
    beat(say("name", "Why is {nname} always so grumpy?", "ask"), "{name} wondered why {nname} was so cross."),
    beat(say("adult", "Maybe {nname} is lonely.", "kind")),
    PARA,
    beat("So {name} baked {a_food} and knocked on the door.", "{name} picked some {flowers} and took them next door."),
    beat("{nname} opened the door slowly.", "The door creaked open."),
    beat(say("name", "Hello! These are for you.", "kind"), say("name", "I brought you something.", "kind")),
    beat("{nname} looked surprised. Then, for the first time, {nname} smiled.", "{nname}'s face softened into a smile."),
    beat("They sat in the garden and talked about {animals} and {flowers}.", "{nname} showed {name} a garden full of {flowers}."),
    FEEL_GOOD,
], [
    beat("After that, {nname} waved every morning.", "Now {nname} and {name} are good friends."),
], ["A little kindness can melt a grumpy heart.", "Everyone needs a friend, even grown-ups."])


def _setup_puddles(rng, s):
    pass


PUDDLES = ("a rainy walk", None, _setup_puddles, [
    beat("It had rained all night.", "The rain stopped just after {meal}."),
    beat("{name} put on {his} {outfit} and rain boots.", "{name} pulled on {his} boots and grabbed an umbrella."),
    beat(say("name", "Can we go for a walk, {adult}?", "ask"), "{name} and {adult} went out for a rainy walk."),
    SCENE,
    PARA,
    beat("There were puddles everywhere.", "The path was full of puddles, big and small."),
    beat("{name} jumped in the biggest puddle. Splash!", "Splish, splash! {name} jumped from puddle to puddle."),
    beat("{He} saw worms, snails and a [frog|toad|duck] enjoying the rain.", "{He} found a snail and watched it slide along."),
    beat("Then {he} saw a rainbow over the {hometown}.", "In the sky, a rainbow appeared."),
    beat(say("name", "Look! A rainbow!", "shout"), say("adult", "Rain and sun together make a rainbow.", "kind")),
    beat("They walked home, wet and muddy and happy.", "{name} was soaked, but {he} did not mind one bit."),
], [
    beat("At home, they had hot cocoa by the window.", "{name} now loves rainy days."),
], ["Rainy days can be full of fun.", "Every kind of weather has something good."])


def _setup_shells(rng, s):
    _fix(s, "bigshell", rng.choice(["a spiral shell", "a big conch shell", "a shell shaped like a fan", "a tiny pearly shell"]))


SHELLS = ("a day by the sea", None, _setup_shells, [
    beat("{name} and {adult} went to the seaside.", "On a sunny day, {name} went to the beach with {adult}."),
    SCENE,
    beat("{name} collected shells in a bucket.", "{name} walked along the sand looking for shells."),
    beat("{He} found a crab, a starfish and lots of pebbles.", "{He} found seaweed, sea glass and a little crab."),
    beat("Then {he} found {bigshell}!", "Half buried in the sand was {bigshell}."),
    beat(say("adult", "Hold it to your ear. You can hear the sea!", "kind"), "{name} held it to {his} ear and listened."),
    PARA,
    beat("But then a big wave came and washed the bucket away!", "Suddenly, a wave splashed over the bucket."),
    beat(say("name", "My shells!", "shout"), "{name} ran after the bucket."),
    beat("The bucket floated back to the shore.", "{adult} caught the bucket just in time."),
    beat("Most of the shells were still inside.", "Only a few shells were lost to the sea."),
    beat(say("name", "The sea wanted some shells too!", "happy")),
    FEEL_GOOD,
], [
    beat("At home, {name} put {bigshell} on the windowsill.", "{name} kept {bigshell} to remember the day."),
], ["The sea gives and the sea takes.", "A good day is one spent outdoors."])


ARCS = [LOST, SHARE, FEAR, NEW_FRIEND, MISTAKE, SURPRISE, WEATHER, RACE, SKILL, HELP, TRIP, BROKEN, GARDEN,
        PET, SCHOOL, BAKE, NIGHT, TREASURE, BABY, MOVE, SICK, CAMP, BUILD, SHOW, PICNIC, LOST_WAY, WISH,
        LONELY, SAVE, TRY_FOOD, SNOW, CLEAN, JOKE, SONG, BIRTHDAY, LIBRARY, GIFT, STUCK, STORM, PET_WISH,
        CHORES, MARKET, DREAM, TOOTH, LEMONADE, TEAM, STARS, ART, NEST, POND, NEIGHBOR, PUDDLES, SHELLS]
