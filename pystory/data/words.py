"""Word lists for the storyworld grammar (pystory/data/storyworld.py).

Kept apart from the grammar so the templates stay readable. Rules the lists
follow, because the consistency checker relies on them:

* Every character name appears in exactly one of GIRL_NAMES, BOY_NAMES,
  NEUTRAL_NAMES; that list fixes the character's pronouns (she / he / they).
* No name is also an ordinary word used by the grammar (no "Rose", "Daisy",
  "Sky"), so a capitalised name in a story is always a character.
* Nouns are singular; the grammar adds "a"/"an" itself.
"""

GIRL_NAMES = """
Lily Mia Sue Anna Emma Lucy Sara Zoe Ella Amy Rosie Molly Lola Nina Maya Ava
Chloe Hannah Jane Kate Lena Lisa Mary Nora Penny Sophie Tina Wendy Bella Clara
Dora Eve Gina Julia Kim Millie Nell Rita Stella Tess Vera Yara Zara Abby Beth
Cora Dolly Elsie Flora Gemma Isla Jess Kitty Lottie Maggie Nancy Sadie Tilly
Alice Betty Ellie Fiona Heidi Ingrid Josie Lara Megan Nadia Paula Rachel Susie
Tara Ursula Violet Wanda Greta Mabel Edith Hattie Lucia Mira
""".split()

BOY_NAMES = """
Tom Tim Ben Max Jack Leo Finn Jake Joe Luke Noah Owen Paul Ryan Theo Adam Billy
Bobby Carl Dan Eddie Felix George Harry Henry Ian Jimmy Kevin Liam Mark Ned
Oscar Pete Ray Toby Victor Zack Alfie Arlo Dexter Eli Frank Gus Hugo Jasper
Louie Milo Nick Ollie Sid Timmy Vince Walter Otto Barney Archie Ronnie Stan
Bruno Benny Danny Freddie Hector Iggy Kenny Lenny Marty Percy Rudy Simon Tommy
Wally Yusuf Albert Boris Cedric Duncan Ernie Fergus Gilbert Howard
""".split()

NEUTRAL_NAMES = """
Sam Alex Charlie Jamie Robin Quinn Riley Jordan Kai Rory Sasha Taylor Frankie
Jules Remy Morgan Casey Ellis Emery Finley Jesse Nico Reese Shay Tate Wren Blair
Avery Dakota Kit Lou Mika Noor Oakley Parker Remi Sol Tobi
""".split()

# name -> "she" | "he" | "they"
NAME_PRONOUNS = {**{n: "she" for n in GIRL_NAMES},
                 **{n: "he" for n in BOY_NAMES},
                 **{n: "they" for n in NEUTRAL_NAMES}}

# The pronoun set of each gender, keyed like the grammar's slots.
PRONOUNS = {
    "she":  {"he": "she", "him": "her", "his": "her", "himself": "herself", "was": "was"},
    "he":   {"he": "he", "him": "him", "his": "his", "himself": "himself", "was": "was"},
    "they": {"he": "they", "him": "them", "his": "their", "himself": "themselves", "was": "were"},
}

# Nouns that fix a character's pronouns when they introduce it ("a girl named ...").
GENDERED_KINDS = {"girl": "she", "boy": "he", "kid": "they", "child": "they",
                  "princess": "she", "prince": "he"}

# Animals that can be a main character or a friend (they get a name).
HERO_ANIMALS = """
bunny puppy kitten bear cub fox mouse duck bird frog owl squirrel pig lamb goat
pony turtle hedgehog deer elephant lion tiger monkey giraffe zebra penguin
panda koala hamster raccoon otter beaver badger mole chick duckling goose
kangaroo dragon unicorn dinosaur
""".split()

# Animals in the background: seen, heard, helped.
ANIMALS = HERO_ANIMALS + """
ant bee butterfly ladybug snail worm spider caterpillar dragonfly firefly beetle
grasshopper cricket moth crab fish goldfish octopus starfish jellyfish dolphin
whale seal wolf moose chipmunk skunk rat cat dog horse donkey cow calf sheep
chicken hen rooster swan turkey sparrow crow parrot pigeon eagle hawk
woodpecker flamingo peacock toad lizard snake gorilla hippo rhino camel llama
bat seagull pelican walrus
""".split()

# Toys and keepsakes: the thing that gets lost, shared, broken, mended.
TOYS = [t for line in """
ball|kite|doll|truck|boat|train|car|robot|drum|whistle|yo-yo|puzzle|wagon
balloon|teddy bear|rocket|airplane|spinning top|jump rope|marble|bucket|shovel
hat|scarf|mitten|backpack|book|crayon|paintbrush|necklace|bracelet|ribbon
shell|feather|music box|toy horse|toy dinosaur|stuffed rabbit|rag doll
sailboat|tricycle|scooter|skateboard|umbrella|lunchbox|flashlight|harmonica
xylophone|pinwheel|snow globe|tea set|jigsaw|piggy bank|fire truck|sand pail
""".strip().split("\n") for t in line.split("|")]

# Toys that can be a friend character ("a teddy bear named Benny").
TOY_CHARACTERS = ["teddy bear", "toy robot", "rag doll", "toy soldier",
                  "wooden puppet", "stuffed bunny", "toy dinosaur", "sock puppet"]

PLACES = """
park garden forest beach farm pond lake river hill meadow field zoo playground
library market bakery castle cave jungle island mountain village town backyard
orchard barn attic kitchen valley seaside harbor station museum fair circus
swamp desert woods creek lighthouse greenhouse
""".split()

# Places for a trip: (where, what you see there).
TRIPS = [
    ("the beach", ["crabs", "seagulls", "shells", "big waves", "sand castles", "boats"]),
    ("the zoo", ["lions", "giraffes", "monkeys", "zebras", "elephants", "penguins"]),
    ("the farm", ["cows", "pigs", "sheep", "chickens", "horses", "goats"]),
    ("the mountains", ["tall pine trees", "eagles", "snowy peaks", "a cold stream", "goats", "rocks"]),
    ("the city", ["tall buildings", "busy buses", "bright lights", "pigeons", "shops", "a big fountain"]),
    ("the lake", ["ducks", "fish", "boats", "frogs", "dragonflies", "swans"]),
    ("the forest", ["tall trees", "squirrels", "mushrooms", "deer", "owls", "ferns"]),
    ("the aquarium", ["sharks", "turtles", "jellyfish", "octopuses", "starfish", "seals"]),
    ("the fair", ["a big wheel", "clowns", "balloons", "ponies", "cotton candy", "games"]),
    ("the museum", ["old bones", "paintings", "statues", "a rocket", "old coins", "a dinosaur"]),
    ("the seaside", ["a lighthouse", "boats", "seals", "crabs", "seaweed", "pebbles"]),
    ("the countryside", ["green fields", "sheep", "windmills", "a little stream", "barns", "flowers"]),
]

ADJECTIVES = """
big small little tiny huge happy sad shiny soft fluffy bright colorful old new
pretty kind brave silly funny gentle quiet loud warm cold wet dry sunny dark
sparkly smooth bumpy round tall short long fast slow strong clever curious
busy sleepy hungry thirsty cozy fuzzy furry muddy dusty sticky shiny golden
wooden gentle proud shy playful cheerful friendly helpful grumpy noisy lovely
wonderful magic special secret hidden empty heavy light sweet sour yummy crunchy
juicy fresh tasty wild calm peaceful fancy plain striped spotted tidy messy
broken cracked bent torn squeaky bouncy wobbly tricky simple strange odd giant
mighty tiny clean dirty crisp chilly frosty foggy windy rainy snowy stormy misty
glowing twinkling humble honest patient polite careful careless lucky fearless
""".split()

# Character traits for "a {trait} girl named ...".
TRAITS = """
kind curious brave shy happy cheerful playful gentle clever silly friendly
helpful busy lively thoughtful sweet caring bold careful eager honest merry
jolly cheeky quiet chatty bright dreamy sleepy hungry
""".split()

FOODS = ("apple|banana|cake|cookie|pie|sandwich|carrot|orange|pear|peach|plum|cherry|"
         "muffin|cupcake|pancake|waffle|pizza|cracker|pretzel|donut|lollipop|strawberry|"
         "grape|melon|lemon|tomato|potato|cucumber|pumpkin|bagel|biscuit|egg|yogurt|"
         "popsicle|candy cane|gingerbread man|jelly bean|apricot|coconut|pineapple|"
         "radish|turnip|onion|mango|kiwi|plum tart|cinnamon roll|corn cob").split("|")

# Plural or uncountable foods ("{He} ate {foods}").
FOOD_MASS = [f for f in ("soup|bread|cheese|honey|jam|rice|pasta|porridge|cereal|milk|"
                         "juice|lemonade|cocoa|popcorn|ice cream|berries|grapes|carrots|"
                         "peas|cookies|strawberries|pancakes|noodles|cherries|apples|"
                         "oranges|muffins|sandwiches|nuts|seeds|blueberries|raisins|"
                         "toast|pudding|spaghetti|muesli|watermelon|corn").split("|")]

COLORS = """
red blue green yellow orange purple pink brown black white gray gold silver
turquoise crimson lilac teal navy scarlet
""".split()

WEATHER = ["sunny", "rainy", "windy", "snowy", "cloudy", "stormy", "foggy", "chilly", "warm", "bright"]

DAY_PARTS = ["morning", "afternoon", "evening", "day"]
SEASONS = ["spring", "summer", "autumn", "winter"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# Things a character loves to do: "{He} loved to {hobby}."
HOBBIES = [
    "play in the garden", "draw pictures", "sing songs", "read books", "build tall towers",
    "run in the grass", "splash in puddles", "look at the stars", "dance in the kitchen",
    "climb trees", "pick flowers", "chase butterflies", "play hide and seek", "ride {his} bike",
    "paint with bright colors", "make mud pies", "watch the clouds", "collect shells",
    "play with {his} {toy}", "jump on the bed", "bake with {his} {adult_lc}",
    "play the drum", "blow bubbles", "fly {his} kite", "dig in the sand", "feed the ducks",
    "count the birds", "tell silly jokes", "build forts with pillows", "make paper boats",
    "swing on the swings", "hum little tunes", "skip along the path", "look for bugs",
    "play pretend", "stack blocks", "roll down the hill", "listen to stories",
]

# Things a character is afraid of, with the brave act that beats the fear.
FEARS = [
    ("the dark", "turn off the light", "sleep with the light off"),
    ("thunder", "listen to the storm", "sit by the window during a storm"),
    ("the big slide", "go down the big slide", "slide down all by {himself}"),
    ("deep water", "jump into the pool", "swim to the other side"),
    ("the tall tree", "climb the tall tree", "reach the first branch"),
    ("big dogs", "pet the big dog", "say hello to the big dog"),
    ("the noisy vacuum", "help with the vacuum", "push the vacuum across the rug"),
    ("the first day of school", "walk into the classroom", "say hello to the class"),
    ("the dentist", "sit in the big chair", "open {his} mouth wide"),
    ("the high swing", "swing up high", "swing all the way up"),
    ("spiders", "look at the spider", "let the spider walk away"),
    ("the old bridge", "cross the old bridge", "walk over the bridge"),
    ("singing on stage", "sing on the stage", "sing in front of everyone"),
    ("the big waves", "walk into the waves", "splash in the sea"),
]

# Skills to learn: (skill, what goes wrong, a tip spoken to the learner).
SKILLS = [
    ("ride a bike", "{he} wobbled and fell over", "keep pedaling and look ahead"),
    ("swim", "{he} swallowed some water and coughed", "kick your legs and move your arms slowly"),
    ("tie {his} shoes", "the laces got all tangled", "make two bunny ears and cross them"),
    ("bake bread", "the dough was too sticky", "add a little more flour"),
    ("whistle", "only air came out", "make your lips round and blow softly"),
    ("fly a kite", "the kite crashed into the grass", "run against the wind"),
    ("read a book", "the big words were hard", "sound out one letter at a time"),
    ("skip with a rope", "the rope caught {his} feet", "jump a little earlier"),
    ("play the piano", "the notes sounded all wrong", "play slowly and count"),
    ("catch a ball", "the ball bounced off {his} hands", "watch the ball all the way"),
    ("draw a horse", "the horse looked like a potato", "start with simple circles"),
    ("build a sand castle", "the towers kept falling down", "use wet sand"),
    ("skate on the ice", "{his} feet slid in two directions", "bend your knees"),
    ("climb the rope", "{his} hands slipped", "use your feet to hold on"),
    ("count to one hundred", "{he} got lost after forty", "count in tens"),
    ("plant a garden", "the seeds washed away in the rain", "cover them with soft soil"),
]

# Someone who needs help: (who, the trouble, what helps).
HELP_CASES = [
    ("a little bird", "had a hurt wing", "made a soft nest in a box"),
    ("a small kitten", "was stuck up a tree", "fetched a ladder"),
    ("an old man", "had dropped his apples all over the road", "picked up every apple"),
    ("a lost puppy", "could not find its home", "read the tag on its collar"),
    ("a baby duck", "could not find its mother", "followed the quacking to the pond"),
    ("a tired turtle", "was stuck on its back", "gently turned it over"),
    ("a neighbor", "had a garden full of weeds", "pulled the weeds one by one"),
    ("a little squirrel", "had lost its nuts in the snow", "dug in the snow with a stick"),
    ("a new kid at school", "had nobody to sit with", "shared a seat at lunch"),
    ("a hungry hedgehog", "was looking for food", "left out a bowl of water and seeds"),
    ("a frog", "was trapped in a jar", "opened the jar by the pond"),
    ("an old lady", "could not carry her heavy bags", "carried the bags to her door"),
]

# Surprises: (what, who it is for, what gets made).
SURPRISES = [
    ("a birthday party", "{adult}", "a big cake with candles"),
    ("a surprise picnic", "{friend}", "sandwiches and lemonade"),
    ("a thank you card", "{adult}", "a card with a big red heart"),
    ("a welcome home party", "{adult}", "paper flowers and a banner"),
    ("a little show", "{adult}", "a stage made of blankets"),
    ("a treasure hunt", "{friend}", "a map with a big X"),
]

# Games and races.
GAMES = [
    "a race to the big oak tree", "a sack race", "a race around the pond",
    "a running race in the park", "a race up the hill", "a hopping race",
    "a race to the garden gate", "a race across the meadow", "a race to the end of the street",
    "a race along the beach", "a race to the old red barn", "a race around the playground",
]

# Things that can break, and how they get mended.
BREAKABLES = [
    ("toy boat", "its sail tore", "sewed the sail with a needle and thread"),
    ("kite", "its string snapped", "tied the string with a strong knot"),
    ("teddy bear", "its arm came off", "stitched the arm back on"),
    ("toy car", "its wheel fell off", "pushed the wheel back on with a little glue"),
    ("blue vase", "it cracked in two", "glued the two pieces together"),
    ("wooden train", "a wagon came loose", "fixed the hook with a tiny nail"),
    ("bird house", "its roof fell off", "nailed the roof back on"),
    ("music box", "it stopped playing", "turned the tiny key and cleaned the gears"),
    ("sand castle", "a wave washed it away", "built it again farther from the water"),
    ("doll house", "its door came off", "put the door back with two small screws"),
    ("umbrella", "one of its spokes bent", "bent the spoke straight again"),
    ("paper lantern", "it got a big hole", "patched the hole with colored paper"),
]

# Mistakes: (what was done, to whose thing, how it is made right).
MISTAKES = [
    ("spilled juice on {friend}'s drawing", "helped draw a new picture"),
    ("took the last cookie without asking", "shared {his} own snack"),
    ("knocked over {friend}'s block tower", "helped build an even taller tower"),
    ("lost {friend}'s favorite marble", "looked everywhere until {he} found it"),
    ("said something mean to {friend}", "made a card that said sorry"),
    ("tracked mud across the clean floor", "mopped the floor until it shined"),
    ("broke {adult}'s favorite cup", "saved {his} coins to buy a new one"),
    ("forgot to feed the fish", "made a chart so {he} would never forget"),
    ("left {friend}'s bike out in the rain", "dried it and cleaned it"),
    ("picked the flowers from {adult}'s garden", "planted new seeds with {adult}"),
    ("drew on the wall with crayons", "washed the wall with soap and water"),
    ("told a fib about the broken plate", "told the truth"),
]

# Weather troubles: (plan, what the weather did, the fun they found instead).
WEATHER_PLANS = [
    ("a picnic in the park", "dark clouds rolled in and it began to pour", "had a picnic on the living room floor"),
    ("a trip to the beach", "a strong wind blew sand everywhere", "built a fort out of blankets"),
    ("flying a kite", "the rain came down in big drops", "jumped in the puddles in rain boots"),
    ("a walk in the woods", "thunder boomed across the sky", "told stories by the fire"),
    ("playing in the garden", "it started to snow", "built a snowman with a carrot nose"),
    ("a bike ride", "thick fog covered the road", "baked cookies in the warm kitchen"),
    ("a boat ride on the lake", "the waves grew too big", "made paper boats to sail in the tub"),
    ("a game of ball", "hail tapped on the windows", "played a board game by the window"),
]

SOUNDS = ["a loud bang", "a soft squeak", "a funny buzz", "a little cry", "a big splash",
          "a tiny peep", "a strange rustle", "a happy chirp", "a sad meow", "a quiet sniff"]

# What a grown-up is called; used like a name ("Mom smiled.").
ADULTS = ["Mom", "Dad", "Grandma", "Grandpa", "Nana", "Papa"]
TEACHERS = ["Miss Plum", "Miss Honey", "Mister Oak", "Miss Maple"]

HOMES = ["in a little house by the woods", "in a cozy cottage near the sea",
         "in a small town with a big park", "on a sunny farm", "in a tall apartment in the city",
         "in a yellow house with a red door", "near a quiet pond", "at the edge of a green meadow",
         "in a warm burrow under an oak tree", "in a house with a big garden",
         "in a village on a hill", "by a river full of fish"]

HOMETOWNS = ["village", "town", "forest", "valley", "garden", "meadow", "city", "farm", "wood"]
WATER = ["sea", "river", "lake", "pond", "stream", "ocean"]

FURNITURE = ["the bed", "the couch", "the table", "the chair", "the rug", "the stairs",
             "the pillows", "the shelf", "the toy box", "the big tree", "the bench",
             "the bushes", "the slide", "the flower pots", "the porch", "the blanket"]

FEELINGS_GOOD = ["happy", "glad", "proud", "joyful", "cheerful", "delighted", "thrilled",
                 "excited", "warm inside", "calm", "grateful", "safe"]
FEELINGS_BAD = ["sad", "upset", "worried", "unhappy", "gloomy", "grumpy", "lonely",
                "scared", "nervous", "cross", "disappointed", "frustrated", "confused"]
