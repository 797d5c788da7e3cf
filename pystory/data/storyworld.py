"""storyworld: a probabilistic grammar that writes children's stories.

The corpus every chapter trains on. It plays the part of TinyStories (short,
simple stories with a beginning, a middle with trouble, and an ending) but is
written by a few hundred lines of Python, so the data is small, free, fully
reproducible, and every story's structure is known.

How a story is made
-------------------
1. A cast is drawn: a protagonist (a child or an animal) with a name whose
   pronouns are fixed by the name list (words.py), a grown-up ("Mom",
   "Grandpa", ...), and, for some arcs, a friend.
2. An *arc* is drawn (lost and found, sharing, a fear, ...). An arc is a list of
   *beats*; a beat is a list of alternative sentence templates with slots such
   as ``{name}``, ``{he}``, ``{his}``, ``{thing}``.
3. Each beat picks one template and fills it from the story's slots. Slots
   fixed for the story (the cast, the lost toy) live in a dict; any other slot
   name (``{color}``, ``{a_food}``, ``{sad}``) draws a fresh word from a word
   list every time it is used (see ``_Slots``).
4. Paragraphs: the introduction, the arc's middle, and the ending (sometimes
   with a moral), separated by a blank line.

Everything is drawn from ``random.Random(seed)``; story ``i`` of
``generate_stories(n, seed)`` uses the seed ``seed * 1_000_003 + i``, so it is
the same whatever ``n`` is.

The consistency rules (what ``check_story`` enforces)
------------------------------------------------------
The grammar is written so that these rules hold; ``check_story`` checks them
on any text, which is how later chapters score generated stories.

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

# ---------------------------------------------------------------------------
# Slots
# ---------------------------------------------------------------------------

def article(phrase: str) -> str:
    """'a' or 'an' + phrase: 'an apple', 'a unicorn', 'a red ball'."""
    first = phrase[:1].lower()
    vowel = first in "aeiou" and not phrase.lower().startswith(("uni", "use"))
    return ("an " if vowel else "a ") + phrase


# Slots that draw a fresh word every time they are used.
FREE_SLOTS = {
    "adj": W.ADJECTIVES, "trait": W.TRAITS, "color": W.COLORS, "animal": W.ANIMALS,
    "food": W.FOODS, "foods": W.FOOD_MASS, "happy": W.FEELINGS_GOOD, "sad": W.FEELINGS_BAD,
    "sound": ["a little cry", "a soft sound", "someone calling for help", "a tiny squeak",
              "a sad little noise", "a funny sound"],
    "place": W.PLACES, "furniture": W.FURNITURE, "toy": W.TOYS, "weather": W.WEATHER,
    "day_part": W.DAY_PARTS, "season": W.SEASONS, "weekday": W.WEEKDAYS,
    "little": ["little", "small", "young", "tiny"], "home": W.HOMES,
    "townadj": ["sleepy", "quiet", "sunny", "small", "green", "little", "cozy", "busy", "peaceful",
                "pretty", "snowy", "windy", "friendly", "faraway", "tiny", "hilly"],
    "nice": ["shiny", "little", "beautiful", "old", "special", "lovely", "bright", "pretty", "fancy"],
    "hometown": W.HOMETOWNS, "water": W.WATER, "hobby": W.HOBBIES,
    "family": ["mom and dad", "mom", "dad", "grandma", "grandma and grandpa",
               "big sister", "little brother", "family", "two cats and a dog"],
}


class _Slots(dict):
    """The slots of one story: fixed entries plus fresh draws for the rest.

    ``"{He} ate {a_food}.".format_map(slots)`` looks up ``He`` (fixed for the
    story) and ``a_food`` (missing, so ``__missing__`` draws a food and adds
    the article). A capitalised missing key ("Color") capitalises the draw.
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
            value = self.rng.choice(FREE_SLOTS[lower])
            if "{" in value:
                value = value.format_map(self)
        else:
            raise KeyError(key)
        if art:
            value = article(value)
        if key[0].isupper():
            value = value[0].upper() + value[1:]
        return value

    def fill(self, template: str) -> str:
        return template.format_map(self)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


# ---------------------------------------------------------------------------
# Beats shared by many arcs
# ---------------------------------------------------------------------------

def beat(*templates, p=1.0):
    """One beat: alternative templates; used with probability p."""
    return (p, templates)


INTRO = beat(
    "Once upon a time, there was {a_little} {kind} named {name}.",
    "Once upon a time, in a {townadj} {hometown} by the {water}, there lived {a_trait} {kind} named {name}.",
    "There once was {a_trait} {kind} named {name}.",
    "Once upon a time, there was {a_trait} {kind} named {name} who lived {home}.",
    "Long ago, in {a_townadj} {hometown}, there lived {a_little} {kind} named {name}.",
    "One {weather} {day_part}, {a_little} {kind} named {name} woke up early.",
    "In a {townadj} {hometown} far away, there was {a_trait} {kind} named {name}.",
    "Once there was {a_little} {kind} named {name}.",
    "Not long ago, there was {a_trait} little {kind} named {name}.",
)
# Always starts with the protagonist's pronoun (the tests swap it).
LIKES = beat(
    "{He} loved to {hobby}.",
    "{He} liked to {hobby} every day.",
    "{He} loved to {hobby} more than anything.",
    "{He} {was} always happy when {he} could {hobby}.",
    "{He} lived {home} with {his} {family}.",
    "{He} had {a_color} {toy} and a big smile.",
    "{He} liked {foods}, {color} things, and the sound of rain.",
    "{He} loved {his} {family} and {his} {color} {toy}.",
)
SETUP = beat(
    "Every {day_part}, {he} liked to eat {foods}.",
    "{His} favorite color was {color}.",
    "{His} favorite snack was {a_food}.",
    "{name} had {a_color} {toy} that {he} took everywhere.",
    "{name} also liked to {hobby}.",
    "Everyone in the {hometown} knew {name} because {he} always smiled.",
    "{name} lived with {his} {family} in a house with a {color} door.",
    "In the mornings, {name} liked to {hobby} before breakfast.",
    p=0.75,
)
SETUP2 = beat(
    "On sunny days, {name} liked to {hobby}.",
    "At night, {he} liked to listen to stories from {adult}.",
    "{His} {family} loved {him} very much.",
    "{name} was {a_trait} {kind}, and everyone liked {him}.",
    "{name}'s best toy was {a_color} {toy}.",
    "Outside {his} window, {a_animal} lived in a big old tree.",
    "{He} always said hello to the {animal} that lived by the {water}.",
    p=0.6,
)
FRIEND_INTRO = beat(
    "{His} best friend was {a_fkind} named {friend}.",
    "{name} had a good friend named {friend}, {a_fkind} who lived next door.",
    "{name} and {his} friend {friend} played together every day.",
    "{His} best friend, {friend}, was {a_ftrait} {fkind}.",
    "Next door lived {a_fkind} named {friend}, who was {his} best friend.",
)
FEEL_BAD = beat(
    "{He} felt very {sad}.",
    "{name} was so {sad} that {he} wanted to cry.",
    "Tears filled {his} eyes.",
    "{name} sat down and sighed a big sigh.",
    "{His} lip started to shake.",
    "{name} felt {sad} and small.",
    "{He} hugged {his} knees and felt {sad}.",
)
FEEL_GOOD = beat(
    "{He} felt {happy} inside.",
    "{name} smiled from ear to ear.",
    "{His} heart felt warm and light.",
    "{name} jumped up and down with joy.",
    "{He} laughed and clapped {his} hands.",
    "{name} felt proud and {happy}.",
    "{He} did a little dance because {he} {was} so glad.",
)
CLOSING = beat("The end.", "And they all lived happily ever after.", p=0.15)
MORAL_LEADS = ("", "", "", "The lesson was clear: ", "And so {name} learned: ")


# ---------------------------------------------------------------------------
# Arcs: (name, friend, setup, middle beats, ending beats, morals)
#   friend: None (no friend), "known" (introduced in the first paragraph),
#           "new" (the arc introduces the friend itself).
#   setup(rng, slots): fixes the arc's own slots.
# ---------------------------------------------------------------------------

def _fix(slots, key, value):
    """Set a fixed slot, filling any slots inside the value first."""
    slots[key] = slots.fill(value) if "{" in value else value


def _setup_lost(rng, s):
    _fix(s, "tcolor", rng.choice(W.COLORS))
    _fix(s, "thing", f"{s['tcolor']} {rng.choice(W.TOYS)}")
    _fix(s, "lplace", rng.choice(["park", "beach", "garden", "playground", "meadow", "forest", "fair", "library"]))
    _fix(s, "helper", rng.choice(["dog", "bird", "squirrel", "cat", "rabbit", "owl", "duck", "fox"]))


LOST = ("lost and found", None, _setup_lost, [
    beat("One {day_part}, {name} took {his} {thing} to the {lplace}.",
         "One {weather} day, {name} went to the {lplace} with {his} {thing}.",
         "{name} loved {his} {thing} very much. One day, {he} brought it to the {lplace}.",
         "On {weekday}, {name} and {adult} went to the {lplace}. {name} brought {his} {thing}."),
    beat("{He} played with it all {day_part} long.",
         "{He} played and played until the sun went low.",
         "{name} ran and jumped and had lots of fun.",
         "{He} showed it to {a_animal} and {a_animal}."),
    beat("But when it was time to go home, the {thing} was gone!",
         "Then {he} looked down. The {thing} was not there!",
         "But suddenly, {name} could not find {his} {thing} anywhere.",
         "When {he} turned around, {his} {thing} was missing."),
    beat('"Oh no! Where is my {thing}?" cried {name}.',
         '"My {thing}! Where did it go?" {name} said.',
         '{name} cried, "I lost my {thing}!"',
         '"Has anyone seen my {thing}?" asked {name}.'),
    FEEL_BAD,
    beat("{He} looked under {furniture}.", "{He} looked behind {furniture}.",
         "{He} searched near {furniture}, but it was not there.", "{name} looked high and low."),
    beat("Then {he} looked behind {furniture}, but it was not there either.",
         "{He} looked in {his} pockets, but they were empty.",
         "{name} even looked inside {his} shoes.", p=0.6),
    beat('Then {adult} came to help. "Let\'s look together," {adult} said.',
         'A friendly {helper} saw {him} and asked, "Why are you so sad?"',
         '"Think about where you played last," said {adult}.',
         "{adult} held {his} hand and said, \"Do not worry. We will find it.\""),
    beat("At last, {he} saw something {tcolor} under {furniture}. It was {his} {thing}!",
         "Then {name} spotted {his} {thing} by {furniture}!",
         "There it was, hiding behind {furniture}!",
         "The {helper} ran off and came back with the {thing}!"),
    beat('"I found it!" {name} shouted.', "{name} hugged {his} {thing} tight.",
         '"Thank you, thank you!" {name} said.'),
    FEEL_GOOD,
], [
    beat("From that day on, {name} always kept {his} {thing} close.",
         "That night, {he} slept with {his} {thing} right next to {him}.",
         "{name} held {his} {thing} all the way home.",
         "{name} thanked {adult}, and they walked home together."),
], ["{name} learned to take good care of {his} things.",
    "When you lose something, stay calm and look carefully.",
    "It pays to look carefully and never give up."])


def _setup_share(rng, s):
    _fix(s, "toy", rng.choice(W.TOYS))
    _fix(s, "thing", f"{rng.choice(W.COLORS)} {s['toy']}")


SHARE = ("learning to share", "known", _setup_share, [
    beat("One day, {name} got a new {thing}.",
         "For {his} birthday, {name} got a shiny new {thing}.",
         "{adult} gave {name} a brand new {thing}.",
         "{name} found {a_thing} in {his} toy box that {he} had never seen before."),
    beat("{He} loved it so much.", "It was the best {toy} in the whole world.",
         "{He} played with it all day and did not want to stop."),
    beat("Then {friend} came over to play.", "Soon, {friend} knocked on the door.",
         "Later, {friend} came by to say hello."),
    beat('"Can I play with your {toy} too?" asked {friend}.',
         '"Wow! Can I try it?" {friend} asked.',
         '{friend} looked at the {toy} and said, "May I have a turn?"'),
    beat('"No! It is mine!" said {name}.',
         '{name} held the {toy} close. "No, it is all mine," {he} said.',
         '"No," said {name}. "I want to play with it alone."'),
    beat("{friend} looked sad and sat down alone.", "{friend} walked away with a sad face.",
         "Tears came to {friend}'s eyes."),
    beat("{name} played alone, but it was not much fun.",
         "Soon, {name} did not feel happy anymore.",
         "{He} felt a funny, heavy feeling in {his} tummy."),
    beat('{adult} saw what happened. "Sharing makes toys more fun," {adult} said.',
         '{adult} came over and said, "How would you feel if you were {friend}?"',
         '{adult} said softly, "Toys are more fun with a friend."', p=0.7),
    beat("{name} thought about it. Then {he} walked over to {friend}.",
         "{name} took a deep breath and went to {friend}."),
    beat('"I am sorry," {name} said. "Do you want to play together?"',
         '"Here, you can have a turn," said {name} with a smile.'),
    beat("{friend} smiled a big smile.", '{friend} clapped and said, "Thank you!"'),
    beat("They played with the {toy} together all afternoon.",
         "They took turns and laughed and laughed.",
         "They made up a new game with the {toy}, and it was the best game ever."),
], [
    beat("{name} found out that playing together was much more fun than playing alone.",
         "From that day on, {name} and {friend} always shared their toys.",
         'That evening, {name} told {adult}, "Sharing is fun!"'),
], ["Sharing makes everyone happy.", "When we share, we have more fun.",
    "{name} learned that sharing is caring."])


def _setup_fear(rng, s):
    fear, act, brave = rng.choice(W.FEARS)
    _fix(s, "fear", fear)
    _fix(s, "act", act)
    _fix(s, "brave", brave)


FEAR = ("a fear overcome", None, _setup_fear, [
    beat("{name} was afraid of {fear}.", "There was one thing {name} did not like: {fear}.",
         "{name} was brave about many things, but not about {fear}."),
    beat("Every time {he} thought about it, {his} knees shook.",
         "Just thinking about {fear} made {his} tummy feel funny.",
         "{He} always hid behind {adult} when it came to {fear}."),
    beat("One day, {name} had to {act}.", "One {day_part}, {adult} asked {name} to {act}.",
         "Then one day, it was time to {act}."),
    beat('"I cannot do it," {name} said in a small voice.', '"I am too scared," whispered {name}.',
         '"What if something bad happens?" {name} asked.'),
    beat('{adult} held {his} hand. "It is okay to be scared," {adult} said.',
         '{adult} knelt down and smiled. "Being brave means trying even when you are scared."',
         '"I will be right here with you," said {adult}.'),
    beat("{name} took a deep breath.", "{name} counted to three.",
         "{He} closed {his} eyes and thought of {his} {toy}."),
    beat("Then {he} did it! {He} {was} able to {brave}.",
         "Step by step, {name} was able to {brave}.",
         "Slowly, {he} began to {act}, and soon {he} could {brave}."),
    beat("It was not so bad after all!", "It was not scary at all. It was fun!",
         "{name} could not believe it."),
    beat('"I did it!" {name} shouted.', '"Look at me! I am brave!" cried {name}.'),
    beat('{adult} gave {him} a big hug. "I am so proud of you," {adult} said.',
         '{adult} cheered. "You were so brave!"', p=0.7),
], [
    beat("From that day on, {name} was not afraid of {fear} anymore.",
         "After that, {name} was not scared of {fear}. {He} even helped other kids be brave.",
         "That night, {name} went to bed feeling brave and {happy}."),
], ["Being brave does not mean you are never scared.",
    "{name} learned that {he} could be brave, one small step at a time.",
    "Sometimes the things we fear are not so scary after all."])


PLAYS = [("play tag", "played tag"), ("build a sand castle", "built a sand castle"),
         ("swing on the swings", "swung on the swings"), ("look for bugs", "looked for bugs"),
         ("play catch", "played catch"), ("draw with chalk", "drew with chalk"),
         ("play hide and seek", "played hide and seek"), ("race to the big tree", "raced to the big tree"),
         ("feed the ducks", "fed the ducks"), ("fly a kite", "flew a kite")]


def _setup_new_friend(rng, s):
    _fix(s, "fplace", rng.choice(["park", "playground", "beach", "garden", "meadow", "school"]))
    _fix(s, "fdoing", rng.choice(["looking at the clouds", "drawing in the dirt with a stick",
                                  "holding {a_toy}", "sitting under a tree", "watching the ducks"]))
    play, played = rng.choice(PLAYS)
    _fix(s, "play", play)
    _fix(s, "played", played)


NEW_FRIEND = ("a new friend", "new", _setup_new_friend, [
    beat("One day, {name} went to the {fplace} to {hobby}.",
         "{name} felt a little lonely because {he} had no one to play with.",
         "One {weather} {day_part}, {name} was playing alone at the {fplace}."),
    beat("Then {he} saw {a_fkind} sitting all alone.",
         "Near the gate, {he} saw {a_fkind} {fdoing}.",
         "Then {he} noticed {a_fkind} who looked new."),
    beat("The {fkind} looked {sad}.", "The {fkind} looked shy and a little sad.",
         "The {fkind} did not have anyone to play with."),
    beat("{name} felt shy too. But {he} walked over anyway.",
         "{name} wanted to say hello, but {he} felt shy.",
         "{name} took a deep breath and walked over."),
    beat('"Hello! My name is {name}. What is your name?" {he} asked.',
         '"Hi, I am {name}," {he} said. "Who are you?"'),
    beat('"My name is {friend}," said the {fkind} with a small smile.',
         '"I am {friend}. We just moved here," the {fkind} said quietly.'),
    beat('"Do you want to {play} with me?" asked {name}.',
         '{name} asked, "Would you like to {play}?"'),
    beat("{friend} nodded and jumped up.", '{friend}\'s face lit up. "Yes, please!"'),
    beat("They {played} until the sun went down.", "They laughed and ran and played all afternoon.",
         "Together they {played}, and it was the best day."),
    beat("{name} was not lonely anymore.", "{name} felt warm and happy inside.", FEEL_GOOD[1][0]),
], [
    beat("From that day on, {name} and {friend} were best friends.",
         "Every day after that, {name} and {friend} met at the {fplace} to play.",
         'When it was time to go home, {friend} said, "See you tomorrow, {name}!"'),
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
         "One {day_part}, {name} was in a big hurry.", "{name} was having a busy day."),
    beat("By accident, {name} {did}.", "Oops! {name} {did}.", "Without thinking, {name} {did}."),
    beat("{name} felt a hot, bad feeling in {his} tummy.", "{His} cheeks turned red.",
         "{name} did not know what to do."),
    beat("At first, {he} wanted to hide.",
         "{He} thought about hiding under the bed so no one would know.",
         "{He} wanted to pretend it did not happen."),
    beat("But {name} knew that was not right.", "But hiding did not make the bad feeling go away.",
         "But the bad feeling just got bigger and bigger."),
    beat('{name} went to {wronged} and said, "I am sorry. It was my fault."',
         '"I am very sorry," {name} said softly. "I made a mistake."',
         '{name} looked down at {his} feet. "I did it. I am sorry," {he} said.'),
    beat("{wronged} was quiet for a moment.", "{wronged} looked surprised.", p=0.6),
    beat('Then {wronged} smiled. "Thank you for telling the truth," {wronged} said.',
         '"It is okay. Everyone makes mistakes," said {wronged}.'),
    beat("To make it right, {name} {mend}.", "{name} wanted to make things better, so {he} {mend}."),
    FEEL_GOOD,
], [
    beat("{name} gave {wronged} a big hug.",
         "The bad feeling was gone, and {name} felt light as a feather.",
         "After that, {name} always said sorry when {he} made a mistake."),
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
        "{name} dropped the box and everything fell out", "the paint got all over {his} hands"]))


SURPRISE = ("a surprise", "known", _setup_surprise, [
    beat("{name} had a big idea.", "One morning, {name} woke up with a happy idea.",
         "It was almost {for_whom}'s special day, and {name} wanted to do something nice."),
    beat("{He} wanted to make {what} for {for_whom}.",
         '"I will plan {what} for {for_whom}!" {name} said.'),
    beat('{name} asked {helper} to help. "But it must be a secret," {he} whispered.',
         "{name} told {helper} the plan, and {helper} promised to keep the secret."),
    beat("Together they made {made}.", "They worked all {day_part} to make {made}.",
         "They used {color} paper, glue, and lots of glitter."),
    beat("But then, {oops}.", "Uh oh! Just then, {oops}."),
    beat("{name} did not give up.", '"Quick! Let\'s fix it," said {helper}.',
         "{name} and {helper} worked fast to make it right again."),
    beat("At last, everything was ready.", "Finally, it was all done."),
    beat('When {for_whom} came in, everyone shouted, "Surprise!"',
         '{name} jumped out and shouted, "Surprise!"'),
    beat('{for_whom} was so surprised. "This is wonderful!" {for_whom} said.',
         '{for_whom} laughed and clapped. "Did you do all this for me?"'),
    FEEL_GOOD,
], [
    beat("It was the best day ever.",
         "{name} felt happy, because making others happy is the best feeling.",
         "Everyone ate {foods} and laughed until bedtime."),
], ["Doing something kind for others makes your own heart happy.",
    "The best surprises come from the heart."])


def _setup_weather(rng, s):
    plan, event, instead = rng.choice(W.WEATHER_PLANS)
    _fix(s, "plan", plan)
    _fix(s, "event", event)
    _fix(s, "instead", instead)


WEATHER = ("bad weather", None, _setup_weather, [
    beat("{name} and {adult} were planning {plan}.", "Today was the day for {plan}!",
         "{name} was so excited about {plan}."),
    beat("{He} packed {his} {toy} and some {foods}.",
         "{He} put on {his} {color} hat and ran to the door.", "{He} could not wait to go."),
    beat("But then, {event}.", "Just as they were ready to go, {event}.", "Suddenly, {event}."),
    beat('"Oh no! Now we cannot go," said {name}.',
         '{name} pressed {his} nose to the window. "This is not fair!" {he} said.'),
    FEEL_BAD,
    beat('{adult} smiled. "We can still have fun," {adult} said.', '"I have an idea," said {adult}.',
         '{adult} gave {him} a hug. "Let\'s make a new plan."'),
    beat("So they {instead}.", "Instead, they {instead}.",
         "They {instead}, and it was even better than the plan."),
    beat("{name} laughed so much that {he} forgot all about the weather.", "It was so much fun!",
         "{name} had a wonderful time."),
    beat("Later, the sky cleared and a rainbow came out.",
         "When the weather got better, they looked out and saw a big rainbow.", p=0.5),
], [
    beat('That night, {name} told {adult}, "That was a good day after all."',
         "From then on, {name} was not upset when plans changed.",
         "{name} went to sleep with a smile."),
], ["Even when plans change, you can still have fun.",
    "A bad day can turn into a good day if you look for the fun."])


def _setup_race(rng, s):
    _fix(s, "game", rng.choice(W.GAMES))
    _fix(s, "obstacle", rng.choice(["root", "rock", "stick", "shoelace", "bucket", "log"]))


RACE = ("a race or a game", "known", _setup_race, [
    beat("One sunny day, {name} and {friend} decided to have {game}.",
         '{friend} said, "Let\'s have {game}!"',
         "At the park, {name} and {friend} got ready for {game}."),
    beat("{name} really wanted to win.", "{name} was sure {he} would win.", '"I will win!" said {name}.'),
    beat('"Ready, set, go!" shouted {adult}.', '"One, two, three, go!" called {friend}.'),
    beat("{name} ran as fast as {he} could.", "Off they went!", "{name} zoomed ahead."),
    beat("But then, {name} tripped over a {obstacle} and fell down.",
         "But {friend} was faster, and {name} fell behind.",
         "Halfway there, {name} got a pebble in {his} shoe."),
    beat("{friend} got there first.", "In the end, {friend} won."),
    beat("{name} felt {sad}. {He} wanted to be cross.", "{name} felt like stomping {his} feet.",
         "At first, {name} frowned."),
    beat('But then {he} remembered what {adult} always said: "Playing is about having fun."',
         "Then {name} saw that {friend} had come back to help {him} up.",
         'Then {friend} ran back and said, "Are you okay?"'),
    beat('{name} smiled. "Good job, {friend}! You won fair and square," {he} said.',
         '"Great race!" said {name}, and {he} gave {friend} a high five.'),
    beat('"Let\'s play again tomorrow," said {friend}.', "They laughed and played again, just for fun."),
], [
    beat("Winning was fun, but playing with a friend was even better.",
         "{name} and {friend} walked home together, happy and tired."),
], ["It is not about winning; it is about having fun together.",
    "A good friend is happy for others when they win."])


def _setup_skill(rng, s):
    skill, fail, tip = rng.choice(W.SKILLS)
    _fix(s, "skill", skill)
    _fix(s, "fail", fail)
    _fix(s, "tip", tip)


SKILL = ("learning a skill", None, _setup_skill, [
    beat("{name} wanted to learn to {skill}.", "More than anything, {name} wished {he} could {skill}.",
         "All the big kids could {skill}, and {name} wanted to learn too."),
    beat("{He} tried once, but {fail}.", "The first time {he} tried, {fail}.", "On the first try, {fail}."),
    beat('"I will never be able to do it!" {name} said.', "{name} felt like giving up.",
         '"This is too hard," {name} said with a frown.'),
    beat('{adult} sat down next to {him}. "Let me show you a trick. Try to {tip}," {adult} said.',
         '"Try to {tip}," said {adult}.',
         '{adult} smiled and said, "Everyone starts as a beginner. Try to {tip}."'),
    beat("So {name} tried again.", "{name} practiced every day.",
         "{He} practiced in the morning and in the evening."),
    beat("{He} tried and tried.", "The second time, it was a little better.",
         "Each day, {he} got a little better."),
    beat("Then one day, {he} did it! {He} could {skill}!",
         "At last, {name} could {skill} all by {himself}!"),
    beat('"Look! I can do it!" {name} shouted.', "{adult} cheered and clapped."),
    FEEL_GOOD,
], [
    beat("Now {name} loves to {skill}.", "From then on, {name} helped other kids learn to {skill} too.",
         "That night, {name} dreamed about all the new things {he} would learn."),
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
         "{name} was playing outside when {he} heard {sound}.", "On the way home, {name} heard {sound}."),
    beat("{He} looked around and saw {who}.", "There, by the road, was {who}.",
         "{He} turned around and saw {who}."),
    beat("The {short} {trouble}.", "Poor thing! The {short} {trouble}."),
    beat('"Oh no! I must help," said {name}.', "{name} wanted to help right away.",
         '"Do not worry. I will help you," {name} said kindly.'),
    beat("{He} {was} not sure what to do at first.", "It was not easy.",
         "{He} ran to get {adult}, and they came back together."),
    beat("So {name} {action}.", "Carefully, {name} {action}.",
         "With a little help from {adult}, {name} {action}."),
    beat("It worked!", "Soon, everything was all right.", "At last, the {short} was safe and happy."),
    beat("The {short} looked up at {name} with a big, thankful look.",
         '"Thank you," said the {short}.'),
    FEEL_GOOD,
], [
    beat("{name} went home with a warm, happy heart.",
         'When {he} told {adult} what happened, {adult} said, "I am so proud of you."',
         "After that, {name} always looked for ways to help."),
], ["Helping others is one of the best things you can do.", "A little kindness goes a long way.",
    "{name} learned that even small hands can do big things."])


TRIP_TROUBLES = [
    ("{name} could not see {adult} anywhere!", '"{adult}! Where are you?" {name} called.',
     "Then {he} saw {adult} waving near the gate. {name} ran over and gave {adult} a big hug."),
    ("a gust of wind blew {his} hat away.", '"My hat!" cried {name}.',
     "A kind man caught the hat and gave it back with a smile."),
    ("it got very hot, and {name} felt tired and grumpy.", '"I want to go home," {name} said.',
     "{adult} found a shady tree and gave {him} a cold drink. Soon {he} felt much better."),
    ("{name} dropped {his} ice cream on the ground.", '"Oh no!" said {name}, looking at the mess.',
     "{adult} laughed and bought {him} a new one, and this time {he} held it with both hands."),
    ("it started to rain.", '"We are getting wet!" {name} laughed.',
     "They hid under a big umbrella and waited until the rain stopped."),
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
         "{name} and {his} family took a trip to {where}.",
         "It was a special day: {name} was going to {where} with {adult}."),
    beat("{name} was so excited that {he} could not sit still.",
         "{He} packed {his} {toy}, a hat, and some {foods}.",
         "The ride was long, but {name} sang songs the whole way."),
    beat("At {where}, {name} saw {sight1}.", "First, they saw {sight1}.",
         "When they got there, the first thing {name} saw was {sight1}."),
    beat("Then they looked at {sight2}.", "{name} laughed when {he} saw {sight2}.",
         "Next, they went to see {sight2}."),
    beat("But then, {oops}"),
    beat("{cry}"),
    beat("{mend}"),
    beat("After that, they saw {sight3}.", "Before they left, {name} waved goodbye to {sight3}."),
    beat("On the way home, {name} fell asleep in the car.",
         "On the way home, {name} talked about {sight1} the whole time.", p=0.7),
], [
    beat("It was a trip {name} would never forget.", "That night, {he} dreamed about {where}.",
         '"Can we go again soon?" {name} asked, and {adult} laughed.'),
], ["New places help us learn new things.", "Every trip is an adventure."])


def _setup_broken(rng, s):
    item, brk, fix = rng.choice(W.BREAKABLES)
    _fix(s, "item", item)
    _fix(s, "brk", brk)
    _fix(s, "mend", fix)


BROKEN = ("something broken and mended", None, _setup_broken, [
    beat("{name} had {a_nice} {item} that {he} loved very much.",
         "{name}'s favorite thing was {his} {item}.",
         "{adult} had given {name} {a_item} for {his} birthday."),
    beat("{He} played with it every day.", "Every day, {he} took it everywhere."),
    beat("One day, {name} was playing with it too roughly.", "One day, {name} tripped while carrying it.",
         "One windy day, {name} took it outside."),
    beat("Crack! {Brk}.", "Oh no! {Brk}!"),
    beat('{name} began to cry. "My {item} is ruined!"', '"Now it is broken forever," said {name} sadly.',
         *FEEL_BAD[1]),
    beat("{adult} came in and looked at it carefully.", "{adult} heard {him} crying and came to see."),
    beat('"Do not worry. We can fix it together," {adult} said.',
         '"Broken things can often be mended," said {adult}.'),
    beat("So {name} and {adult} {mend}.", "Together, they {mend}.",
         "{adult} showed {name} how, and they {mend}."),
    beat("It took a long time, but they did not give up.", "{name} helped as much as {he} could."),
    beat("At last, the {item} was as good as new.",
         "When they were done, the {item} looked almost like new.",
         "It was not perfect, but {name} loved it even more."),
    beat('"Thank you, {adult}!" said {name}.', *FEEL_GOOD[1]),
], [
    beat("From that day on, {name} was very careful with {his} {item}.",
         "{name} put {his} {item} in a safe place."),
], ["When something breaks, you can often fix it with patience and help.",
    "Taking care of things makes them last."])


def _setup_garden(rng, s):
    _fix(s, "plant", rng.choice(["sunflower", "pumpkin", "tomato plant", "bean plant", "apple tree",
                                 "strawberry plant", "tulip", "pea plant", "carrot", "lemon tree"]))


GARDEN = ("a seed that grows", None, _setup_garden, [
    beat("One {season} day, {adult} gave {name} a tiny seed.", "{name} found a little seed in {his} pocket."),
    beat('"If you plant it and take care of it, it will grow into {a_plant}," said {adult}.',
         '{adult} said, "This seed can grow into {a_plant}, but it needs your help."'),
    beat("{name} dug a little hole in the garden and put the seed inside.",
         "{He} planted the seed in a pot by the window."),
    beat("Every day, {he} gave it water.", "Every morning, {name} checked on the seed."),
    beat("But nothing happened.", "Days went by, but there was only dirt."),
    beat('"Why is it not growing?" {name} asked.', "{name} felt {sad} and a bit impatient."),
    beat('"Good things take time," said {adult}.',
         '"Be patient. The seed is busy under the ground," {adult} said.'),
    beat("So {name} kept waiting and watering.", "{name} waited and waited."),
    beat("Then one morning, {he} saw a tiny green sprout!",
         "One day, a little green leaf peeked out of the dirt."),
    beat("The sprout grew bigger and bigger.", "Soon it was as tall as {name}!"),
    beat("At last, it became a beautiful {plant}.", "By the end of the summer, it was a big {plant}."),
    FEEL_GOOD,
], [
    beat("{name} was so proud of {his} {plant}.", "{name} showed {his} {plant} to everyone in the {hometown}."),
], ["Good things take time.", "Patience helps things grow."])


ARCS = [LOST, SHARE, FEAR, NEW_FRIEND, MISTAKE, SURPRISE, WEATHER, RACE, SKILL, HELP, TRIP, BROKEN, GARDEN]


# ---------------------------------------------------------------------------
# The cast
# ---------------------------------------------------------------------------

def _cast(rng: random.Random, slots: _Slots) -> None:
    """Draw the protagonist, the friend and the grown-up into the slots."""
    gender = rng.choice(("she", "he", "they")) if rng.random() < 0.9 else "they"
    names = {"she": W.GIRL_NAMES, "he": W.BOY_NAMES, "they": W.NEUTRAL_NAMES}
    name = rng.choice(names[gender])
    if rng.random() < 0.7:   # a child
        kind = {"she": "girl", "he": "boy", "they": rng.choice(("kid", "child"))}[gender]
    else:                    # an animal: pronouns come from the name list
        kind = rng.choice(W.HERO_ANIMALS)
    slots["name"], slots["Name"], slots["kind"] = name, name, kind
    for key, word in W.PRONOUNS[gender].items():
        slots[key] = word
        slots[_cap(key)] = _cap(word)

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

    adult = rng.choice(W.ADULTS)
    slots["adult"], slots["adult_lc"] = adult, adult.lower()


# ---------------------------------------------------------------------------
# Generating
# ---------------------------------------------------------------------------

def _run_beats(rng: random.Random, slots: _Slots, beats) -> list[str]:
    out = []
    for p, templates in beats:
        if p < 1.0 and rng.random() >= p:
            continue
        out.append(slots.fill(rng.choice(templates)))
    return out


def _story_seed(seed: int, index: int) -> int:
    """The seed of story `index` of a corpus: independent of the corpus size."""
    return seed * 1_000_003 + index


MIN_WORDS, MAX_WORDS = 80, 300


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
        if MIN_WORDS <= len(_LOWER_WORD.findall(story.lower())) <= MAX_WORDS:
            return story


def _draw_story(rng: random.Random, arc: str | None = None) -> str:
    """One story: cast, arc, three paragraphs."""
    slots = _Slots(rng)
    _cast(rng, slots)
    chosen = rng.choice(ARCS) if arc is None else ARCS[ARC_NAMES.index(arc)]
    name, friend_mode, setup, middle, ending, morals = chosen
    setup(rng, slots)

    intro = _run_beats(rng, slots, [INTRO, LIKES, SETUP, SETUP2])
    if friend_mode == "known":
        intro += _run_beats(rng, slots, [FRIEND_INTRO])
    body = _run_beats(rng, slots, middle)
    end = _run_beats(rng, slots, ending)
    if rng.random() < 0.5:
        moral = slots.fill(rng.choice(morals))
        lead = "" if moral.startswith(slots["name"]) else slots.fill(rng.choice(MORAL_LEADS))
        end.append(lead + (moral[0].lower() + moral[1:] if lead else moral))
    end += _run_beats(rng, slots, [CLOSING])
    return "\n\n".join(" ".join(par) for par in (intro, body, end))


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


def corpus_stats(stories) -> dict:
    """Statistics of a list (or any iterable) of stories.

    Returns n_stories, distinct_story_fraction, distinct_sentences, vocab_size,
    mean/min/max_words, distinct_1/2/3 (distinct n-grams / all n-grams over
    lower-cased words, within stories).
    """
    import numpy as np
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
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)
