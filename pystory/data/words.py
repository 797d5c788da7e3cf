"""Word lists for the storyworld grammar (pystory/data/storyworld.py, arcs.py).

Kept apart from the grammar so the templates stay readable. Rules the lists
follow, because the checkers (storyworld.check_story, quality.check_consistency)
rely on them:

* Every character name appears in exactly one of GIRL_NAMES, BOY_NAMES,
  NEUTRAL_NAMES; that list fixes the character's pronouns (she / he / they).
* No name is also an ordinary word used by the grammar (no "Rose", "Daisy",
  "Robin" the bird, "Ray" of sunshine), so a capitalised name in a story is
  always a character. A test checks it on thousands of stories.
* Nouns are singular unless the list says otherwise; the grammar adds "a"/"an".
* OBJECT_KINDS (toys, keepsakes, clothes) are the things whose colour must stay
  the same through a story; other coloured nouns (birds, flowers, the sky) are
  scenery and may share a colour with anything.
"""

def _words(block: str) -> list[str]:
    return block.split()


def _phrases(block: str) -> list[str]:
    """'a|b c|d' over several lines -> ['a', 'b c', 'd']."""
    return [p.strip() for line in block.strip().split("\n") for p in line.split("|") if p.strip()]


# ---------------------------------------------------------------------------
# Characters
# ---------------------------------------------------------------------------

GIRL_NAMES = _words("""
Lily Mia Sue Anna Emma Lucy Sara Zoe Ella Amy Rosie Molly Lola Nina Maya Ava
Chloe Hannah Jane Kate Lena Lisa Mary Nora Penny Sophie Tina Wendy Bella Clara
Dora Eve Gina Julia Kim Millie Nell Rita Stella Tess Vera Yara Zara Abby Beth
Cora Dolly Elsie Flora Gemma Isla Jess Kitty Lottie Maggie Nancy Sadie Tilly
Alice Betty Ellie Fiona Heidi Ingrid Josie Lara Megan Nadia Paula Rachel Susie
Tara Ursula Violet Wanda Greta Mabel Edith Hattie Lucia Mira
Adele Agnes Alma Amelia Anya Astrid Audrey Beatrice Bianca Bridget Carla Carmen
Celia Daphne Delia Diana Edna Elena Eliza Eloise Emily Erin Esme Esther Eva
Freya Gabby Georgia Gloria Gwen Harriet Helen Imogen Irene Isabel Janet Jenny
Joanna Judy Kara Katie Laura Leah Libby Lila Linda Lorna Louisa Lulu Lydia
Madeline Margo Marina Martha Matilda Maude Mavis Meg Minnie Miriam Moira Naomi
Noelle Odette Olga Olivia Petra Phoebe Polly Priya Queenie Rebecca Rhea Rosa
Ruth Sabrina Selma Serena Shirley Sylvia Tamara Thea Trixie Una Valerie Vivian
Winnie Yvonne Zelda Elsa Hilda Juno Kiki Lana Mina Nia Orla Pia Roxy Suzy Tanya
Uma Vicky Willa Yasmin Ada Bea Cleo Gigi Lexi Maisie Ida Dina Hetty Tilda
Abigail Adriana Aisha Alba Alexa Alina Amara Andrea Angela Annie Arabella Aria
Ariana Athena Ayla Belinda Bonnie Brianna Camilla Caroline Cassie Cecilia
Charlotte Christina Colette Danielle Deborah Dolores Dorothy Eleanor Elise Elodie
Emilia Estelle Evie Faye Felicity Frida Gabriela Genevieve Gertie Giselle Gracie
Henrietta Hermione Hilary Isadora Jemima Joanne Josephine Juliet Justine Karina
Katya Lacey Leila Leonora Lilian Liza Lorelei Louise Lucinda Mae Magda Malia Mara
Marcy Marnie Melanie Mimi Miranda Myra Nadine Nanette Natalie Nicola Octavia
Ophelia Paloma Patsy Pauline Penelope Philippa Rosalind Roxanne Sally Samantha
Sienna Simone Sonia Susannah Tabitha Talia Tamsin Theresa Ulla Valentina Veronica
Vivienne Wilma Xenia Zoya
Agatha Alethea Annika Antonia Beatrix Bernadette Carlotta Cordelia Dagny Eugenie
Fenella Francesca Gwendolyn Ilse Imelda Inga Jacinta Kirsten Leonie Lucille
Marguerite Maribel Marisol Nerys Ottilie Perpetua Pernilla Rosamund Rosetta
Saskia Seraphina Solveig Sunniva Thomasina Ursa Verity Winifred Yolanda Zelie
Birgit Clotilde Dorit Elfrida Fleur Griselda Hedda Isolde Lavinia Mathilde
""")

BOY_NAMES = _words("""
Tom Tim Ben Max Jack Leo Finn Jake Joe Luke Noah Owen Paul Ryan Theo Adam Billy
Bobby Carl Dan Eddie Felix George Harry Henry Ian Jimmy Kevin Liam Mark Ned
Oscar Pete Ray Toby Victor Zack Alfie Arlo Dexter Eli Frank Gus Hugo Jasper
Louie Milo Nick Ollie Sid Timmy Vince Walter Otto Barney Archie Ronnie Stan
Bruno Benny Danny Freddie Hector Iggy Kenny Lenny Marty Percy Rudy Simon Tommy
Wally Yusuf Albert Boris Cedric Duncan Ernie Fergus Gilbert Howard
Aaron Abel Alan Andy Angus Arthur Axel Barry Bert Blake Brody Bruce Caleb Calvin
Casper Chester Clyde Colin Conrad Cyril Damon Darius Dennis Derek Dylan Edgar
Edwin Elliot Emil Enzo Eric Ezra Fabian Flynn Fred Gareth Gavin Gordon Harvey
Herbie Homer Igor Isaac Ivan Jacob Jamal Jerry Jonah Jonas Karl Keith Lars
Lewis Linus Lionel Lucas Malcolm Marco Martin Mason Maurice Monty Morris Murray
Nathan Neil Nigel Norman Omar Orson Ozzie Philip Pierre Quentin Ralph Raul
Reggie Rex Rico Roland Rufus Rupert Russell Sammy Seth Silas Spencer Stefan
Trevor Tristan Vernon Wade Warren Wesley Wilbur Xavier Yuri Zane Ziggy Bram
Cody Dario Elmer Emmett Floyd Hank Ira Jude Kieran Leon Luca Magnus Nate
Orville Ravi Rohan Sven Tariq Tobias Umar Vito Wyatt Abe
Adrian Ahmed Ajay Alastair Alonzo Ambrose Anders Anton Arnold Augustus Austin
Bartholomew Beau Benedict Bernard Bjorn Boyd Bradley Brendan Brian Byron Cecil
Clarence Claude Clement Cornelius Curtis Cyrus Dalton Declan Desmond Dmitri Donald
Dorian Douglas Edmund Elias Elroy Emmanuel Esteban Everett Ferdinand Francis Gerald
Gideon Giles Godfrey Graham Gregory Gustav Harold Horace Humphrey Ignatius Ivor
Jeremy Jethro Joel Julian Justin Kasper Kenneth Lachlan Laurence Leander Leonard
Lloyd Lorenzo Lyle Marcel Marcus Matthias Maxwell Melvin Mervyn Milton Mortimer
Neville Nils Octavio Olaf Oliver Orlando Oswald Pablo Patrick Peregrine Quinton
Raphael Reginald Rhys Richard Robert Rodney Ronald Rowland Sebastian Sergei Sidney
Stanley Stuart Thaddeus Theodore Thomas Timothy Ulrich Vaughn Vincent Wallace
Wendell Wilfred Winston Zachary
Alaric Aldo Ansel Barnaby Benedikt Caspian Cosmo Crispin Dashiell Eamon Erasmus
Evander Fitzgerald Florian Gulliver Hamish Horatio Inigo Kester Leopold
Lucian Lysander Mungo Napoleon Nikolai Obadiah Ptolemy Quillon Rafferty Roderick
Rollo Seamus Septimus Torquil Tybalt Valentin Wolfgang Xander Zebedee Fergal
Bertram Cuthbert Dunstan Egbert Ferris Gaspard Isidore Jago
""")

NEUTRAL_NAMES = _words("""
Sam Alex Charlie Jamie Robin Quinn Riley Jordan Kai Rory Sasha Taylor Frankie
Jules Remy Morgan Casey Ellis Emery Finley Jesse Nico Reese Shay Tate Wren Blair
Avery Dakota Kit Lou Mika Noor Oakley Parker Remi Sol Tobi
Ari Bailey Billie Bobbie Cameron Corey Dallas Dana Devon Eden Emerson Harley
Hayden Jody Kendall Kerry Lee Leslie Logan Marley Micah Nicky Peyton Reagan
Skyler Sydney Toni Val Ainsley Arden Carey Darcy Ellery Hollis Jaden Kelsey
Lennon Loren Noel Quincy Rio Sawyer Shiloh Tegan Yael
Alexis Bryn Denver Fallon Greer Harper Jessie Kennedy Mackenzie Mallory Merritt
Perry Tatum Umi Wynn Zuri Ashton Marlow Vic Winslow Rowan Emory Blaine Sutton
Bellamy Breslin Callan Corin Dorsey Ellison Farley Hadley Ives Jarvis
Kinsey Landry Lindsey Maddox Nolan Oakes Pascal Rennie Sloane Tanner Whitley
""")

# name -> "she" | "he" | "they"
NAME_PRONOUNS = {**{n: "she" for n in GIRL_NAMES},
                 **{n: "he" for n in BOY_NAMES},
                 **{n: "they" for n in NEUTRAL_NAMES}}

# The pronoun set of each gender, keyed like the grammar's slots.
PRONOUNS = {
    "she":  {"he": "she", "him": "her", "his": "her", "hers": "hers", "himself": "herself",
             "was": "was", "is": "is", "has": "has", "does": "does"},
    "he":   {"he": "he", "him": "him", "his": "his", "hers": "his", "himself": "himself",
             "was": "was", "is": "is", "has": "has", "does": "does"},
    "they": {"he": "they", "him": "them", "his": "their", "hers": "theirs", "himself": "themselves",
             "was": "were", "is": "are", "has": "have", "does": "do"},
}

# Nouns that fix a character's pronouns when they introduce it ("a girl named ...").
GENDERED_KINDS = {"girl": "she", "boy": "he", "kid": "they", "child": "they",
                  "princess": "she", "prince": "he"}

# Animals that can be a main character or a friend (they get a name).
HERO_ANIMALS = _words("""
bunny puppy kitten bear cub fox mouse duck bird frog owl squirrel pig lamb goat
pony turtle hedgehog deer elephant lion tiger monkey giraffe zebra penguin
panda koala hamster raccoon otter beaver badger mole chick duckling goose
kangaroo dragon unicorn dinosaur
piglet fawn foal calf seal walrus llama sloth lemur meerkat possum
chipmunk weasel ferret skunk gecko lizard parrot toucan puffin beetle snail
ladybug caterpillar bee bumblebee octopus whale dolphin
""")

# Adjectives that fit any animal ("a fluffy little fox").
ANIMAL_LOOKS = _words("""
fluffy furry fuzzy spotted striped tiny little small big chubby skinny shaggy
sleek plump young old sleepy hungry grumpy cheerful shy curious playful
gentle friendly busy lazy clever speedy wobbly scruffy smart tired muddy
""")

# Background animals and what they do ("a sparrow hopped along the fence").
# Each is (name, [things it does]); the grammar draws a pair, so a fish never flies.
CRITTERS = [
    ("sparrow", ["hopped along the fence", "pecked at some crumbs", "chirped on a branch"]),
    ("blackbird", ["sang from the top of a roof", "pulled a worm out of the ground"]),
    ("bluebird", ["sat on the gate and sang", "flew from tree to tree"]),
    ("pigeon", ["cooed on the wall", "walked in little circles"]),
    ("crow", ["cawed from a tall pole", "hopped across the grass"]),
    ("magpie", ["chattered in the hedge", "looked at something shiny"]),
    ("finch", ["sang a quick little song", "nibbled a seed"]),
    ("woodpecker", ["tapped on an old tree", "knocked on the bark"]),
    ("seagull", ["called over the water", "floated on the wind"]),
    ("goose", ["honked at the clouds", "waddled to the water"]),
    ("swan", ["glided across the pond", "tucked its head under its wing"]),
    ("heron", ["stood very still in the water", "waded near the reeds"]),
    ("butterfly", ["fluttered past the flowers", "landed on a leaf", "danced in the sunshine"]),
    ("bee", ["buzzed from flower to flower", "hummed near the clover"]),
    ("bumblebee", ["bumbled over the grass", "crawled into a flower"]),
    ("ladybug", ["crawled up a blade of grass", "opened its tiny wings"]),
    ("ant", ["carried a crumb home", "marched in a long line"]),
    ("dragonfly", ["zipped over the water", "hovered above the reeds"]),
    ("grasshopper", ["jumped out of the grass", "chirped in the weeds"]),
    ("snail", ["left a shiny trail on a stone", "slid slowly up a leaf"]),
    ("caterpillar", ["munched on a green leaf", "inched along a twig"]),
    ("beetle", ["climbed over a pebble", "rolled onto its back and back again"]),
    ("spider", ["spun a silver web", "waited in the corner of its web"]),
    ("squirrel", ["ran up a tree", "buried a nut in the ground", "flicked its bushy tail"]),
    ("chipmunk", ["stuffed its cheeks with seeds", "darted under a log"]),
    ("rabbit", ["nibbled on some clover", "hopped into the bushes"]),
    ("hedgehog", ["snuffled in the leaves", "curled into a prickly ball"]),
    ("mouse", ["peeked out of a hole", "scurried under the steps"]),
    ("frog", ["croaked by the pond", "leaped onto a floating leaf"]),
    ("toad", ["sat under a big leaf", "blinked its golden eyes"]),
    ("duck", ["quacked on the pond", "dipped its head under the water"]),
    ("fish", ["jumped out of the water with a splash", "swam in quick circles"]),
    ("turtle", ["sunned itself on a rock", "poked its head out of its shell"]),
    ("lizard", ["warmed itself on a stone", "ran up the wall"]),
    ("cat", ["stretched on a sunny step", "washed its paws", "watched the birds"]),
    ("dog", ["wagged its tail at everyone", "chased a stick", "barked at a leaf"]),
    ("goat", ["chewed on some grass", "climbed onto a rock"]),
    ("cow", ["mooed in the field", "swished its tail"]),
    ("horse", ["trotted by the fence", "shook its long mane"]),
    ("sheep", ["grazed on the hill", "baaed at its lamb"]),
    ("deer", ["stepped out of the trees", "lifted its head to listen"]),
    ("owl", ["hooted softly from a branch", "blinked its big round eyes"]),
    ("bat", ["flapped past the lamp", "flew in zigzags"]),
    ("crab", ["scuttled sideways over the sand", "hid under a rock"]),
    ("moth", ["fluttered around the lamp", "rested on the window"]),
    ("firefly", ["blinked its little light", "glowed in the grass"]),
    ("worm", ["wiggled in the dirt", "poked its head out of the soil"]),
]

# Animals in the background: seen, heard, drawn, helped.
ANIMALS = sorted(set(HERO_ANIMALS) | {name for name, _ in CRITTERS} | set(_words("""
alpaca armadillo baboon bison buffalo bullfrog canary cheetah chimp coyote crane
dove eagle emu falcon flamingo gazelle gerbil gopher gorilla hare hippo
hummingbird hyena ibis iguana jaguar lobster lynx manatee mink moose newt
ocelot orca ostrich panther pelican platypus porcupine quail rhino salamander
shrimp stork swallow tapir wombat yak camel donkey hen rooster turkey pigeon
""")))

# Family titles used like a name ("Mom smiled."). A story has exactly one:
# the grown-up who is with the hero (quality.check_consistency checks it).
ADULTS = ["Mom", "Dad", "Grandma", "Grandpa", "Nana", "Papa"]
# Every family title a checker should notice, the grammar's and common variants.
ADULT_TITLES = ADULTS + ["Mommy", "Daddy", "Mama", "Granny", "Grandad", "Grampa", "Gran"]
# Teachers and helpers: a title + a surname that is not in the name lists.
TEACHERS = ["Miss Plum", "Miss Honey", "Mister Oak", "Miss Maple", "Miss Bell", "Mister Brook",
            "Miss Lark", "Mister Green", "Miss Poppy", "Mister Hill", "Miss Fern", "Mister Stone"]

# Who else lives at home with the hero and the grown-up ("with her dad and {extra}").
HOUSEMATES = ["a fat old cat", "a sleepy dog", "a big sister", "a little brother", "two goldfish",
              "a baby sister", "a big brother", "a noisy parrot", "three hens", "a lazy cat",
              "a tiny hamster", "twin brothers", "a grumpy old tortoise", "a little sister"]

# ---------------------------------------------------------------------------
# Things
# ---------------------------------------------------------------------------

# Toys and keepsakes: the thing that gets lost, shared, broken, mended.
TOYS = _phrases("""
ball|kite|doll|truck|boat|train|car|robot|drum|whistle|yo-yo|puzzle|wagon
balloon|teddy bear|rocket|airplane|spinning top|jump rope|marble|bucket|shovel
backpack|book|crayon|paintbrush|necklace|bracelet|ribbon
shell|feather|music box|toy horse|toy dinosaur|stuffed rabbit|rag doll
sailboat|tricycle|scooter|skateboard|umbrella|lunchbox|flashlight|harmonica
xylophone|pinwheel|snow globe|tea set|jigsaw|piggy bank|fire truck|sand pail
toy tractor|race car|toy plane|hula hoop|beach ball|bouncy ball|toy drum|rocking horse
toy boat|wooden sword|toy crown|magic wand|spyglass|compass|pocket watch|toy guitar
toy piano|tambourine|toy bus|toy train|dump truck|toy castle|puppet|stuffed bear
stuffed whale|stuffed duck|toy giraffe|toy lion|toy penguin|glass marble|bubble wand
sticker book|coloring book|storybook|notebook|paint set|jewelry box|hair clip|toy ring
toy telescope|toy camera|walkie talkie|toy phone|toy rocket|paper crown|kazoo|maraca
toy car|wooden train|doll house
""")

# Clothes a hero wears; their colour, too, stays the same in a story.
CLOTHES = _phrases("""
hat|scarf|coat|raincoat|sweater|jacket|cap|beanie|dress|skirt|vest|hoodie
boots|rain boots|sneakers|sandals|mittens|gloves|socks|overalls|pajamas|bow tie
""")

# Plural clothes (boots, mittens) take "a pair of" or no article.
CLOTHES_PLURAL = {"boots", "rain boots", "sneakers", "sandals", "mittens", "gloves", "socks",
                  "overalls", "pajamas"}

# What the consistency checker treats as objects.
OBJECT_KINDS = sorted(set(TOYS) | set(CLOTHES), key=lambda s: (-len(s), s))

# Toys that can be a friend character ("a teddy bear named Benny").
TOY_CHARACTERS = ["teddy bear", "toy robot", "rag doll", "toy soldier",
                  "wooden puppet", "stuffed bunny", "toy dinosaur", "sock puppet"]

COLORS = _words("""
red blue green yellow orange purple pink brown black white gray gold silver
turquoise crimson lilac teal navy scarlet
""")

# Patterns an object may also have ("a red striped kite"): a second, fixed word.
PATTERNS = ["striped", "spotted", "shiny", "sparkly", "checkered", "fuzzy", "wooden",
            "plastic", "knitted", "soft", "small", "big", "old", "new", "tiny", "bright"]

FURNITURE = ["the bed", "the couch", "the table", "the chair", "the rug", "the stairs",
             "the pillows", "the shelf", "the toy box", "the big tree", "the bench",
             "the bushes", "the slide", "the flower pots", "the porch", "the blanket",
             "the laundry basket", "the bookcase", "the kitchen sink", "the coat rack",
             "the cushions", "the sofa", "the garden shed", "the wheelbarrow", "the hedge",
             "the doormat", "the piano", "the wardrobe", "the big box", "the curtains"]

FOODS = _phrases("""
apple|banana|cake|cookie|pie|sandwich|carrot|orange|pear|peach|plum|cherry
muffin|cupcake|pancake|waffle|pizza|cracker|pretzel|donut|lollipop|strawberry
grape|melon|lemon|tomato|potato|cucumber|pumpkin|bagel|biscuit|egg|yogurt
popsicle|candy cane|gingerbread man|jelly bean|apricot|coconut|pineapple
radish|turnip|onion|mango|kiwi|plum tart|cinnamon roll|corn cob
blueberry muffin|cheese sandwich|jam sandwich|apple pie|carrot cake|fruit salad|sugar cookie
oatmeal cookie|banana bread|honey cake|cherry pie|peach cobbler|bowl of soup|baked potato
grilled cheese|pickle|pear tart|lemon bar|brownie|scone|croissant|tortilla|dumpling
rice cake|fig|date|nectarine|tangerine|clementine|avocado|ear of corn|sweet potato
plum cake|jam tart|bun|bread roll|cheese scone|pumpkin pie|cherry tart|baked apple|honey bun
cream puff|gingersnap|shortbread biscuit|marshmallow|pear crumble|rhubarb pie|corn muffin
bowl of berries|slice of melon|bunch of grapes|cheese roll|egg sandwich|pea soup|lemon tart
sticky bun|cherry muffin|oat bar|apple turnover|bowl of noodles|veggie pie|fish pie|mince pie
""")

# Plural or uncountable foods ("{He} ate {foods}").
FOOD_MASS = _phrases("""
soup|bread|cheese|honey|jam|rice|pasta|porridge|cereal|milk
juice|lemonade|cocoa|popcorn|ice cream|berries|grapes|carrots
peas|cookies|strawberries|pancakes|noodles|cherries|apples
oranges|muffins|sandwiches|nuts|seeds|blueberries|raisins
toast|pudding|spaghetti|muesli|watermelon|corn
raspberries|blackberries|plums|peaches|pears|cupcakes|crackers|pretzels|waffles
beans|broccoli|spinach|lettuce|cucumbers|tomatoes|mashed potatoes|fish sticks
chicken soup|vegetable soup|tomato soup|apple juice|orange juice|hot milk|warm bread
cornbread|oatmeal|biscuits|scones|sweet peas|green beans|corn on the cob|cheese and crackers
""")

# Flowers, trees and plants seen in scenes (none is also a name).
FLOWERS = _words("""
tulips daffodils sunflowers poppies violets bluebells buttercups marigolds
dandelions lilacs pansies clover snowdrops crocuses roses peonies zinnias
foxgloves lupins cornflowers forget-me-nots petunias asters primroses hyacinths
carnations orchids geraniums cosmos larkspurs snapdragons bellflowers honeysuckle
wildflowers heather lavender thistles goldenrods camellias
""")
TREES = _words("""
oak maple pine birch willow apple cherry elm chestnut beech fir plum pear
walnut spruce cedar palm lemon
""")

# ---------------------------------------------------------------------------
# Places and scenes
# ---------------------------------------------------------------------------

PLACES = _words("""
park garden forest beach farm pond lake river hill meadow field zoo playground
library market bakery castle cave jungle island mountain village town backyard
orchard barn attic kitchen valley seaside harbor station museum fair circus
swamp desert woods creek lighthouse greenhouse
""")

# Places with something to look at there: (place, what you see).
PLACE_SIGHTS = {
    "park": ["the swings", "a duck pond", "a tall slide", "a long bench", "a stone fountain",
             "a path full of leaves", "a big sandbox", "an old oak tree"],
    "beach": ["the waves", "a pile of seaweed", "a row of shells", "a sand dune", "a fishing boat",
              "the tide pools", "a tall lifeguard chair", "a striped umbrella"],
    "garden": ["the vegetable beds", "a bird bath", "a watering can", "the flower beds",
               "a little stone path", "a bean pole", "the compost heap", "a garden gnome"],
    "forest": ["a mossy log", "a ring of mushrooms", "a tall pine", "a little stream",
               "a fallen tree", "a hollow stump", "a carpet of ferns", "a fox hole"],
    "meadow": ["the long grass", "a patch of clover", "a wooden stile", "a lone tree",
               "a rabbit hole", "a little hill", "a field of poppies", "a buzzing beehive"],
    "playground": ["the monkey bars", "the seesaw", "a spinning wheel", "the sandpit",
                   "a climbing frame", "a tire swing", "a rope bridge", "a little playhouse"],
    "farm": ["the red barn", "a muddy pig pen", "a hen house", "a tall hay stack",
             "an old tractor", "a water trough", "a field of corn", "a wooden fence"],
    "library": ["rows of books", "a reading rug", "a big globe", "a window seat",
                "a shelf of picture books", "a fish tank", "a quiet corner", "a stack of maps"],
    "fair": ["a big wheel", "a carousel", "a popcorn stand", "a ring toss", "a tent of games",
             "a row of flags", "a pony ride", "a cotton candy cart"],
    "school": ["the classroom", "a chalkboard", "a row of coat hooks", "a reading corner",
               "a box of crayons", "the lunch tables", "the gym", "a class hamster"],
}

# A few words for the sky, the air and the light, mixed into scenes.
SKY = ["blue and clear", "gray and cloudy", "pink and orange", "full of fluffy clouds",
       "bright and wide", "soft and pale", "dark and full of stars", "streaked with gold",
       "pale blue", "heavy with clouds"]
SMELLS = ["fresh bread", "cut grass", "rain", "pine needles", "salt and seaweed", "warm cookies",
          "flowers", "wood smoke", "oranges", "wet leaves", "hot chocolate", "clean laundry",
          "soap", "honey", "mint", "strawberries", "the sea", "popcorn", "damp earth", "lemons",
          "cinnamon", "roses", "hay", "toast", "apple pie", "wet dog", "sunscreen", "lavender",
          "baking bread", "fresh paint", "peppermint", "a campfire", "ripe peaches", "the forest"]
SOUNDS = ["a loud bang", "a soft squeak", "a funny buzz", "a little cry", "a big splash",
          "a tiny peep", "a strange rustle", "a happy chirp", "a sad meow", "a quiet sniff",
          "a far away bell", "a tap on the window", "a low rumble", "a gentle hum",
          "a crunch of leaves", "a sleepy yawn", "a whistle", "a clatter of pots",
          "a soft thump", "a creak", "a giggle", "a sneeze", "a drip drip drip", "a honk"]
# "The wind {wind} the leaves."
WIND = ["rustled", "shook", "tossed", "tickled", "swirled", "stirred", "lifted", "scattered"]
LIGHT = ["The sun was warm on {his} face.", "Sunlight danced on the ground.",
         "Long shadows stretched across the grass.", "The light was soft and golden.",
         "Little spots of sunshine fell through the leaves.", "The moon peeked out from behind a cloud.",
         "Raindrops sparkled on every leaf.", "The morning light was pale and new."]

WEATHER = ["sunny", "rainy", "windy", "snowy", "cloudy", "stormy", "foggy", "chilly", "warm", "bright",
           "breezy", "drizzly", "frosty", "misty", "hot", "gray", "golden", "crisp"]

DAY_PARTS = ["morning", "afternoon", "evening", "day"]
SEASONS = ["spring", "summer", "autumn", "winter"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

HOMES = ["in a little house by the woods", "in a cozy cottage near the sea",
         "in a small town with a big park", "on a sunny farm", "in a tall apartment in the city",
         "in a yellow house with a red door", "near a quiet pond", "at the edge of a green meadow",
         "in a warm burrow under an oak tree", "in a house with a big garden",
         "in a village on a hill", "by a river full of fish", "in a blue house on a busy street",
         "in a houseboat on a slow river", "in a cabin among the pine trees",
         "above a bakery that smelled of bread", "in a round house with a grass roof",
         "next to an old stone bridge", "in a white house near the train tracks",
         "on a narrow street full of flower pots", "in a hollow tree at the edge of the wood",
         "in a little flat above a shoe shop", "on a windy hill by the sea", "behind a big apple orchard"]

HOMETOWNS = ["village", "town", "forest", "valley", "garden", "meadow", "city", "farm", "wood",
             "seaside town", "mountain village", "little town", "harbor town", "island"]
WATER = ["sea", "river", "lake", "pond", "stream", "ocean", "bay", "creek", "canal"]
TOWN_LOOKS = ["sleepy", "quiet", "sunny", "small", "green", "little", "cozy", "busy", "peaceful",
              "pretty", "snowy", "windy", "friendly", "faraway", "tiny", "hilly", "bright",
              "colorful", "noisy", "leafy", "foggy", "old"]

# ---------------------------------------------------------------------------
# Describing
# ---------------------------------------------------------------------------

ADJECTIVES = _words("""
big small little tiny huge happy sad shiny soft fluffy bright colorful old new
pretty kind brave silly funny gentle quiet loud warm cold wet dry sunny dark
sparkly smooth bumpy round tall short long fast slow strong clever curious
busy sleepy hungry thirsty cozy fuzzy furry muddy dusty sticky golden
wooden proud shy playful cheerful friendly helpful grumpy noisy lovely
wonderful magic special secret hidden empty heavy light sweet sour yummy crunchy
juicy fresh tasty wild calm peaceful fancy plain striped spotted tidy messy
broken cracked bent torn squeaky bouncy wobbly tricky simple strange odd giant
mighty clean dirty crisp chilly frosty foggy windy rainy snowy stormy misty
glowing twinkling humble honest patient polite careful careless lucky fearless
""")

# Character traits for "a {trait} girl named ...".
TRAITS = _words("""
kind curious brave shy happy cheerful playful gentle clever silly friendly
helpful busy lively thoughtful sweet caring bold careful eager honest merry
jolly cheeky quiet chatty bright dreamy sleepy hungry
giggly bouncy smart funny polite patient cheery energetic sunny spirited
daring adventurous imaginative generous loving hardworking tidy messy grumpy
nosy noisy fussy jumpy dozy brainy chirpy peppy plucky zippy nimble sporty
wise gentle-hearted mischievous giddy breezy dainty rowdy spunky snoozy wiggly
""")

FEELINGS_GOOD = ["happy", "glad", "proud", "joyful", "cheerful", "delighted", "thrilled",
                 "excited", "warm inside", "calm", "grateful", "safe", "peaceful", "cozy",
                 "light and free", "full of joy", "bubbly", "content"]
FEELINGS_BAD = ["sad", "upset", "worried", "unhappy", "gloomy", "grumpy", "lonely",
                "scared", "nervous", "cross", "disappointed", "frustrated", "confused",
                "miserable", "glum", "uneasy", "cranky", "heavy inside"]

# How something is said; grouped so a sad line is never said "happily".
ADVERBS = {
    "happy": ["happily", "cheerfully", "with a grin", "brightly", "with a laugh", "gladly",
              "excitedly", "joyfully"],
    "sad": ["sadly", "softly", "quietly", "in a small voice", "with a sniff", "with a sigh",
            "slowly", "gloomily"],
    "kind": ["kindly", "gently", "warmly", "softly", "with a smile", "calmly", "patiently"],
    "worried": ["nervously", "in a shaky voice", "anxiously", "quietly", "with a gulp"],
    "loud": ["loudly", "very loudly", "with a big shout", "in a booming voice"],
    "plain": ["", "", "", "", "quickly", "thoughtfully", "simply", "carefully"],
}

# ---------------------------------------------------------------------------
# Doing
# ---------------------------------------------------------------------------

# Things a character loves to do: "{He} loved to {hobby}."
HOBBIES = _phrases("""
play in the garden|draw pictures|sing songs|read books|build tall towers
run in the grass|splash in puddles|look at the stars|dance in the kitchen
climb trees|pick flowers|chase butterflies|play hide and seek|ride {his} bike
paint with bright colors|make mud pies|watch the clouds|collect shells
play with {his} {toy}|jump on the bed|bake with {his} {adult_lc}
play the drum|blow bubbles|dig in the sand|feed the ducks
count the birds|tell silly jokes|build forts with pillows|make paper boats
swing on the swings|hum little tunes|skip along the path|look for bugs
play pretend|stack blocks|roll down the hill|listen to stories
collect smooth stones|make crowns out of leaves|play dress up|visit the library
bounce on the trampoline|watch the trains go by|ride the little red bus|make up songs
paint rocks|press flowers in a book|count the stars|watch the rain|fly paper planes
splash in the creek|pick berries|play the whistle|build with sticks|make daisy chains
do cartwheels|hop on one foot|race paper boats|feed the birds|grow beans in a cup
""")

# Things two friends do together, in the past tense.
TOGETHER = _phrases("""
played tag|built a sand castle|swung on the swings|looked for bugs
played catch|drew with chalk|played hide and seek|raced to the big tree
fed the ducks|flew a kite|made a fort out of blankets|rolled down the hill
picked berries|splashed in the puddles|made mud pies|counted the clouds
played leapfrog|jumped rope|sang silly songs|built a tower of blocks
had a tea party|played pirates|told jokes|made paper hats|looked at picture books
hopped like frogs|chased bubbles|danced in the rain|made a snowman|raked up leaves
played with marbles|did a puzzle|climbed the little hill|skipped stones on the pond
""")

# Plays for "Do you want to {play}?" and the past tense for later.
PLAYS = [("play tag", "played tag"), ("build a sand castle", "built a sand castle"),
         ("swing on the swings", "swung on the swings"), ("look for bugs", "looked for bugs"),
         ("play catch", "played catch"), ("draw with chalk", "drew with chalk"),
         ("play hide and seek", "played hide and seek"), ("race to the big tree", "raced to the big tree"),
         ("feed the ducks", "fed the ducks"), ("fly a kite", "flew a kite"),
         ("play leapfrog", "played leapfrog"), ("jump rope", "jumped rope"),
         ("have a tea party", "had a tea party"), ("play pirates", "played pirates"),
         ("build a fort", "built a fort"), ("blow bubbles", "blew bubbles"),
         ("play ball", "played ball"), ("make mud pies", "made mud pies")]

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
    ("bees", "walk past the bee bush", "stand still while a bee flew by"),
    ("the basement", "go down to the basement", "fetch a jar from the basement"),
    ("haircuts", "sit in the barber's chair", "get a haircut without crying"),
    ("the loud fireworks", "watch the fireworks", "watch the fireworks with open eyes"),
    ("riding the bus", "get on the school bus", "ride the bus all the way to school"),
    ("the big horse", "feed the big horse", "give the horse an apple from {his} hand"),
    ("the elevator", "ride in the elevator", "press the button and ride up"),
    ("climbing the ladder", "climb the ladder to the tree house", "reach the top of the ladder"),
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
    ("juggle three balls", "the balls flew everywhere", "start with just two balls"),
    ("write {his} name", "the letters came out backwards", "go slowly and trace them first"),
    ("do a cartwheel", "{he} landed in a heap", "put your hands down one at a time"),
    ("play the flute", "it only squeaked", "blow gently across the hole"),
    ("bounce a ball", "the ball rolled away", "push it down with soft hands"),
    ("make a paper plane", "the plane flopped to the floor", "fold the wings very flat"),
    ("button {his} coat", "the buttons went in the wrong holes", "start from the bottom button"),
    ("hop on one foot", "{he} kept tipping over", "look at one spot and hold still"),
    ("pour {his} own milk", "the milk splashed on the table", "hold the jug with both hands"),
    ("knit a scarf", "the wool got into knots", "take one small stitch at a time"),
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
    ("a small fish", "was stuck in a shallow puddle", "scooped it up and carried it to the stream"),
    ("a baby goat", "had its head stuck in a fence", "wiggled the fence until it was free"),
    ("a little mouse", "was shivering in the cold", "made it a bed from an old sock"),
    ("a busy bee", "had fallen into a cup of water", "lifted it out on a leaf"),
    ("a young deer", "was tangled in some string", "carefully cut the string away"),
    ("the baker", "had dropped a tray of rolls", "helped pick up every roll"),
    ("a farmer", "could not catch a runaway pig", "shook a bucket of apples"),
    ("a little owl", "had fallen out of its nest", "asked a grown-up to lift it back"),
    ("a snail", "was crossing the busy path", "carried it safely to the grass"),
    ("a tiny kitten", "was crying under the porch", "coaxed it out with some milk"),
]

# Surprises: (what, who it is for, what gets made).
SURPRISES = [
    ("a birthday party", "{adult}", "a big cake with candles"),
    ("a surprise picnic", "{friend}", "sandwiches and lemonade"),
    ("a thank you card", "{adult}", "a card with a big red heart"),
    ("a welcome home party", "{adult}", "paper flowers and a banner"),
    ("a little show", "{adult}", "a stage made of blankets"),
    ("a treasure hunt", "{friend}", "a map with a big X"),
    ("a breakfast in bed", "{adult}", "toast with jam and a glass of juice"),
    ("a puppet show", "{friend}", "puppets made from old socks"),
    ("a flower crown", "{friend}", "a crown of clover and buttercups"),
    ("a painted rock garden", "{adult}", "a row of rocks painted like ladybugs"),
    ("a cozy reading nook", "{friend}", "a tent of sheets with pillows inside"),
    ("a homemade book", "{adult}", "a little book of drawings tied with string"),
]

# Games and races.
GAMES = [
    "a race to the big oak tree", "a sack race", "a race around the pond",
    "a running race in the park", "a race up the hill", "a hopping race",
    "a race to the garden gate", "a race across the meadow", "a race to the end of the street",
    "a race along the beach", "a race to the old red barn", "a race around the playground",
    "an egg and spoon race", "a three-legged race", "a wheelbarrow race", "a crab walk race",
    "a race to the mailbox", "a bike race around the block", "a game of marbles",
    "a game of hopscotch", "a game of ring toss", "a game of checkers",
]

# Things that can break, and how they get mended.
BREAKABLES = [
    ("toy boat", "its sail tore", "sewed the sail with a needle and thread"),
    ("kite", "its string snapped", "tied the string with a strong knot"),
    ("teddy bear", "its arm came off", "stitched the arm back on"),
    ("toy car", "its wheel fell off", "pushed the wheel back on with a little glue"),
    ("vase", "it cracked in two", "glued the two pieces together"),
    ("wooden train", "a wagon came loose", "fixed the hook with a tiny nail"),
    ("bird house", "its roof fell off", "nailed the roof back on"),
    ("music box", "it stopped playing", "turned the tiny key and cleaned the gears"),
    ("sand castle", "a wave washed it away", "built it again farther from the water"),
    ("doll house", "its door came off", "put the door back with two small screws"),
    ("umbrella", "one of its spokes bent", "bent the spoke straight again"),
    ("paper lantern", "it got a big hole", "patched the hole with colored paper"),
    ("rocking horse", "one of its rockers split", "glued the rocker and tied it tight"),
    ("toy drum", "its top got a hole", "stretched a new top over it"),
    ("necklace", "its string broke and the beads rolled away", "found every bead and threaded them again"),
    ("wagon", "its handle came off", "screwed the handle back on"),
    ("puppet", "its strings got tangled", "untangled the strings one by one"),
    ("snow globe", "it started to leak", "sealed the crack with clear glue"),
    ("storybook", "a page tore out", "taped the page back in"),
    ("toy guitar", "a string popped", "put on a brand new string"),
]

# Mistakes: (what was done, how it is made right).
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
    ("stepped on {friend}'s sand castle", "built a new castle with {friend}"),
    ("laughed when {friend} fell down", "helped {friend} up and said sorry"),
    ("ate the berries {adult} was saving for a pie", "picked a new basket of berries"),
    ("let the hamster out of its cage", "searched the house until the hamster was safe"),
    ("tore a page in {friend}'s book", "taped the page and read the book with {friend}"),
    ("left the gate open and the chickens ran out", "helped catch every chicken"),
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
    ("a trip to the zoo", "a storm knocked out the lights", "made shadow animals with a flashlight"),
    ("a swim in the river", "it turned cold and gray", "drank cocoa and drew pictures of fish"),
    ("a day at the fair", "the wind blew the tents down", "made a little fair at home with games"),
    ("a hike up the hill", "a cold drizzle started", "built a marble run out of paper tubes"),
]

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
    ("the market", ["piles of apples", "a cheese stall", "a man selling hats", "baskets of eggs",
                    "bunches of flowers", "a juggler"]),
    ("the botanical garden", ["giant water lilies", "a glass house", "cactus plants", "orchids",
                              "a waterfall", "a bamboo path"]),
    ("the harbor", ["fishing boats", "nets full of fish", "a tug boat", "sea lions", "ropes", "a big ship"]),
    ("the science museum", ["a huge magnet", "a model of the moon", "robots", "a spinning planet",
                            "a giant bubble machine", "a star map"]),
    ("the castle", ["a drawbridge", "tall towers", "old armor", "a moat", "a throne", "a secret stair"]),
    ("the circus", ["acrobats", "a juggler", "a tightrope walker", "clowns", "a ringmaster", "a trick pony"]),
]

# Places to get lost in, and the landmark that shows the way home.
LOST_WAYS = [
    ("the woods", "the tall crooked tree", "the little wooden bridge"),
    ("the market", "the fruit stall with the striped roof", "the clock tower"),
    ("the big park", "the fountain with the stone fish", "the gate with the iron leaves"),
    ("the corn field", "the scarecrow with the floppy hat", "the red barn roof"),
    ("the fair", "the big wheel", "the popcorn stand"),
    ("the beach", "the lighthouse", "the row of striped huts"),
    ("the library", "the big globe", "the picture book shelf"),
    ("the zoo", "the giraffe house", "the penguin pool"),
]

# A wish granted by something magic: (the magic thing, where it is found, the wish).
MAGIC_FINDS = [
    ("a glowing shell", "on the beach", "that the sick old dog next door would feel better"),
    ("a golden acorn", "under the oak tree", "that the little bird could fly again"),
    ("a tiny silver key", "in the sandbox", "that {friend} would not be lonely"),
    ("a shining pebble", "in the stream", "that the garden would bloom again"),
    ("a wishing star", "in the night sky", "that everyone in the town would have a warm bed"),
    ("a magic feather", "on the windowsill", "that {adult} would have a happy day"),
    ("a sparkling button", "in the grass", "that the lost kitten would find its mother"),
    ("a talking frog", "by the pond", "that the pond would always be clean"),
]

# Lonely creatures who only needed a friend: (creature, why people are scared).
LONELY_CREATURES = [
    ("dragon", "it had big teeth and blew smoke"),
    ("giant", "he was as tall as a house"),
    ("troll", "he lived under the bridge and grumbled"),
    ("sea monster", "it had long green arms"),
    ("big bear", "it growled when it yawned"),
    ("old wolf", "it howled at night"),
    ("robot", "it clanked and beeped"),
    ("ghost", "it floated and said boo"),
]

# Foods to try: (food, why the hero did not want it, what it tasted like).
NEW_FOODS = [
    ("broccoli", "it looked like little green trees", "crunchy and a bit like butter"),
    ("fish soup", "it smelled funny", "warm and salty like the sea"),
    ("spinach", "it was so very green", "soft and a little sweet"),
    ("a mushroom", "it looked slimy", "soft and rich"),
    ("a beet", "it was purple inside", "sweet like candy"),
    ("an olive", "it was small and dark", "salty and yummy"),
    ("a pea pod", "it looked like a green boat", "sweet and crisp"),
    ("a plum", "its skin was so dark", "juicy and sweet"),
    ("a spoon of curry", "it was yellow and smelled spicy", "warm and a little bit tingly"),
    ("a slice of eggplant", "it was soft and squishy", "smoky and good"),
    ("a bowl of lentils", "they looked like tiny stones", "soft and cozy"),
    ("a radish", "it was bright pink", "crunchy and peppery"),
]

# Things to bake together: (what, a step, what goes wrong, the fix).
BAKES = [
    ("banana bread", "mashed the bananas", "the bowl tipped over", "scooped it back with a spoon"),
    ("sugar cookies", "cut out stars and hearts", "the dough stuck to the table", "sprinkled on more flour"),
    ("a cherry pie", "pressed the crust into the dish", "a cherry rolled off the table", "washed it and tucked it in"),
    ("blueberry muffins", "stirred in the berries", "flour puffed up like a cloud", "laughed and swept it up"),
    ("pancakes", "poured the batter into the pan", "the first pancake was lumpy", "made the next one slower"),
    ("a lemon cake", "squeezed the lemons", "juice squirted in {his} eye", "blinked and washed it away"),
    ("pizza", "spread the sauce", "the cheese slid off", "pressed it back on"),
    ("gingerbread men", "gave each one buttons", "one lost its leg", "gave it a patch of icing"),
    ("apple crumble", "peeled the apples", "the peel broke into bits", "kept peeling slowly"),
    ("a carrot cake", "grated the carrots", "orange bits flew everywhere", "picked them up one by one"),
]

# Things to build: (what, what it is made of, the trouble, the fix).
BUILDS = [
    ("a tree house", "old boards and rope", "a board fell down", "nailed it back on tighter"),
    ("a blanket fort", "chairs and blankets", "the roof kept sagging", "held it up with a broom"),
    ("a snowman", "three big snowballs", "the head rolled off", "packed more snow around the neck"),
    ("a bird feeder", "a milk carton and string", "the seeds spilled out", "made the hole smaller"),
    ("a marble run", "paper tubes and tape", "the marbles flew off the side", "added little walls"),
    ("a raft", "sticks and twine", "it tipped over in the puddle", "tied on two more sticks"),
    ("a scarecrow", "straw and old clothes", "the wind knocked it over", "tied it to a strong pole"),
    ("a robot costume", "boxes and foil", "the arm box would not stay on", "used stronger tape"),
    ("a bug hotel", "pine cones and hollow sticks", "the roof slid off", "tied the roof with string"),
    ("a sand castle", "wet sand and shells", "the tower crumbled", "added more water to the sand"),
    ("a puppet theater", "a big box and curtains", "the curtain fell down", "hung it on a stick"),
    ("a little boat", "a cork, a stick and a leaf", "the sail blew off", "used a paper sail instead"),
]

# Things to save coins for: (gift, for whom, how coins are earned).
SAVINGS = [
    ("a scarf", "{adult}", "watering the neighbor's plants"),
    ("a book about stars", "{friend}", "helping to sweep the porch"),
    ("a little plant", "{adult}", "sorting the socks every week"),
    ("a kite", "{friend}", "feeding the neighbor's cat"),
    ("a bird feeder", "{adult}", "picking up the fallen apples"),
    ("a box of paints", "{friend}", "washing the car"),
    ("a teapot", "{adult}", "carrying in the groceries"),
    ("a yo-yo", "{friend}", "folding the laundry"),
]

# Bedtime worries: (what it seemed to be, what it really was).
NIGHT_WORRIES = [
    ("a monster under the bed", "a pile of socks"),
    ("a ghost by the window", "the curtain moving in the breeze"),
    ("a giant with long arms", "the shadow of the tree outside"),
    ("a dragon growling in the hall", "the old heater humming"),
    ("eyes in the closet", "two shiny buttons on a coat"),
    ("a witch tapping on the glass", "a branch tapping in the wind"),
    ("a wolf scratching at the door", "the cat wanting to come in"),
    ("footsteps on the roof", "rain dripping from the gutter"),
]

# Camping and sleepovers: (where, the noise in the night, what made it).
NIGHT_NOISES = [
    ("in a tent in the backyard", "a scratching sound", "a hedgehog looking for bugs"),
    ("in a tent by the lake", "a splash", "a fish jumping"),
    ("in a cabin in the woods", "a hoot", "an owl on the roof"),
    ("in a tent on the hill", "a rustle", "the wind in the grass"),
    ("in the tree house", "a squeak", "a mouse with a crumb"),
    ("in a tent under the stars", "a crunch", "a deer stepping on twigs"),
]

# Moving house: (where to, the new thing it has).
NEW_HOMES = [
    ("a house by the sea", "a window with a view of the boats"),
    ("a flat in the city", "a balcony with a tiny garden"),
    ("a farmhouse in the hills", "a big barn with a swing"),
    ("a cottage in the woods", "a fireplace with a cozy rug"),
    ("a house on a busy street", "a bakery right across the road"),
    ("a little house by a park", "a tree with a perfect branch for climbing"),
]

# A sick day: (the illness, a comfort).
SICK_DAYS = [
    ("a bad cold", "warm soup"), ("a sore throat", "honey in hot water"),
    ("a tummy ache", "plain toast"), ("a high fever", "a cool cloth on {his} head"),
    ("a cough that would not stop", "a warm drink with lemon"), ("an itchy rash", "a cool bath"),
]

# School and the stage: a show and the part to play.
SHOWS = [
    ("the school play", "a tree that could talk"), ("the spring show", "a dancing flower"),
    ("the winter concert", "the singer of the first song"), ("the talent show", "a magician"),
    ("the class play", "a brave knight"), ("the puppet show", "the voice of the wolf"),
    ("the summer fair show", "a singing frog"), ("the story play", "the moon"),
]

# Pets that get lost (the hero's own pet, never named so no name can drift).
PETS = [("puppy", "barked"), ("kitten", "meowed"), ("bunny", "wiggled its nose"),
        ("hamster", "squeaked"), ("parrot", "squawked"), ("tortoise", "blinked slowly"),
        ("guinea pig", "squeaked"), ("dog", "wagged its tail"), ("cat", "purred"),
        ("duck", "quacked"), ("goat", "bleated"), ("lamb", "baaed")]
PET_HIDES = ["under the porch", "in the laundry basket", "behind the shed", "in the neighbor's garden",
             "up in the apple tree", "under a pile of leaves", "inside an empty box", "by the pond",
             "in the flower bed", "under the big hedge", "in the barn", "beside the warm stove"]

# Jokes and riddles a friend can tell (question, answer).
RIDDLES = [
    ("What has a face and two hands but no arms?", "A clock!"),
    ("What gets wetter the more it dries?", "A towel!"),
    ("What has keys but cannot open a door?", "A piano!"),
    ("What goes up but never comes down?", "Your age!"),
    ("Why did the cow cross the road?", "To get to the mooo-vies!"),
    ("What do you call a sleeping dinosaur?", "A dino-snore!"),
    ("What kind of tree fits in your hand?", "A palm tree!"),
    ("What has lots of ears but cannot hear?", "A corn field!"),
    ("Why did the teddy bear say no to cake?", "It was already stuffed!"),
    ("What do you call a fish with no eyes?", "A fsh!"),
    ("What has four legs but cannot walk?", "A table!"),
    ("Why do bees hum?", "Because they do not know the words!"),
]

# Little songs a character sings.
SONGS = [
    "La la la, the sun is out, la la la!",
    "Hop, hop, hop, I will never stop!",
    "Splish, splash, puddle dash!",
    "Twinkle, twinkle, up so high, little star up in the sky!",
    "One, two, three, come and play with me!",
    "Round and round the garden, like a teddy bear!",
    "Clap your hands and stamp your feet!",
    "The wind is blowing, the leaves are going!",
    "Row, row, row your boat, gently down the stream!",
    "Rain, rain, go away, come again another day!",
]

# What a note or a sign says (found, read aloud).
NOTES = [
    "Look under the big stone.", "Follow the yellow ribbons.", "The treasure is where the ducks sleep.",
    "Count ten steps from the gate.", "Look up, not down.", "Where the roses grow, there is more to know.",
    "The next clue is in the mailbox.", "Try the tree with a hole in it.",
]

# ---------------------------------------------------------------------------
# Details that make a story its own (each used once, so nothing can drift)
# ---------------------------------------------------------------------------

HAIR = ["curly red hair", "long brown braids", "short black hair", "a messy mop of blond hair",
        "two bouncy pigtails", "golden curls", "a tuft of orange hair", "straight dark hair",
        "wild curly hair", "a long ponytail", "thick wavy hair", "a little fringe", "short spiky hair",
        "soft brown curls", "a long red braid", "hair that stuck up in the morning"]
FUR = ["soft gray fur", "shiny black fur", "fluffy white fur", "spotty brown fur", "stripy orange fur",
       "sleek brown fur", "a coat of golden fur", "speckled feathers", "smooth green skin",
       "bright blue feathers", "a shiny shell", "thick woolly fur", "a patch of white on one ear"]
EYES = ["big green eyes", "bright blue eyes", "warm brown eyes", "sparkly gray eyes", "round dark eyes",
        "sleepy eyes", "curious eyes", "twinkly eyes", "a button nose", "rosy cheeks", "lots of freckles",
        "a wide grin", "a crooked smile", "long whiskers", "floppy ears", "a bushy tail"]
# "{name} was as {simile}."
SIMILES = ["quiet as a mouse", "busy as a bee", "brave as a lion", "fast as the wind", "happy as a lark",
           "bright as a button", "light as a feather", "snug as a bug in a rug", "proud as a peacock",
           "cold as ice", "curious as a cat", "gentle as a lamb", "strong as an ox", "slow as a snail",
           "hungry as a bear", "sleepy as an owl at noon", "wiggly as a worm", "bouncy as a ball",
           "wise as an owl", "red as a tomato", "quick as a wink", "sweet as honey"]
MEALS = ["breakfast", "lunch", "dinner", "supper", "a snack", "tea"]
# Inside the house: "{Indoor}"
INDOOR = ["The clock ticked on the wall.", "Rain tapped on the roof.", "A fire crackled in the stove.",
          "The kitchen smelled of {smell}.", "Sunlight came in through the {doorcolor} curtains.",
          "The old floor creaked.", "A cat was asleep on the windowsill.", "The kettle began to whistle.",
          "Outside, {a_critter}.", "The radio played a soft tune.", "The house was warm and cozy.",
          "The lamp made a circle of yellow light.", "Somewhere upstairs, a door clicked shut."]
# Times of day and ways into a sentence.
OPENERS = ["After breakfast", "Later that day", "The next morning", "After lunch", "That afternoon",
           "Before long", "A little later", "Soon", "Just then", "That evening", "After a while",
           "Early the next day", "In the afternoon", "When the sun came up"]

# Words that dress up a drawn noun ("a sleepy fox", "fresh bread"), with how often.
FOOD_LOOKS = ["warm", "fresh", "sweet", "yummy", "tasty", "little", "big", "homemade", "crunchy", "soft"]

# Ways to say the same thing: the grammar's own words, varied as a story is written
# (storyworld._vary). Each phrase keeps its meaning in every template it appears in;
# none makes a sentence start with a pronoun or adds a name, a colour or a title.
VARIANTS = {
    "one day": ["one day", "one morning", "one afternoon", "one fine day", "one bright morning",
                "one sunny afternoon", "one quiet morning"],
    "at last": ["at last", "finally", "in the end", "at long last"],
    "suddenly": ["suddenly", "all of a sudden", "all at once"],
    "from that day on": ["from that day on", "from then on", "ever since that day", "from that moment on"],
    "from then on": ["from then on", "from that day on", "after that day", "ever after"],
    "very much": ["very much", "so much", "a lot", "with all {his} heart"],
    "very": ["very", "really", "so", "truly"],
    "ran": ["ran", "raced", "dashed", "hurried", "rushed"],
    "walked": ["walked", "strolled", "wandered", "went"],
    "looked at": ["looked at", "stared at", "gazed at", "peered at"],
    "looked around": ["looked around", "glanced around", "looked all around", "peered around"],
    "looked for": ["looked for", "searched for", "hunted for"],
    "smiled": ["smiled", "grinned", "beamed"],
    "laughed": ["laughed", "giggled", "chuckled"],
    "jumped": ["jumped", "leaped", "hopped", "bounced"],
    "hugged": ["hugged", "squeezed", "cuddled"],
    "a big hug": ["a big hug", "a tight hug", "a warm hug", "a great big hug", "a long hug", "a bear hug"],
    "took a deep breath": ["took a deep breath", "took a big breath", "breathed in deeply",
                           "took a slow breath"],
    "all day long": ["all day long", "all day", "the whole day", "from morning till night"],
    "the best day ever": ["the best day ever", "the happiest day ever", "a perfect day",
                          "the most wonderful day"],
    "a lot of": ["a lot of", "lots of", "plenty of"],
    "lots of": ["lots of", "a lot of", "heaps of"],
    "everyone": ["everyone", "everybody"],
    "soon,": ["soon,", "before long,", "in no time,"],
    "beautiful": ["beautiful", "lovely", "wonderful"],
    "tiny": ["tiny", "little", "teeny"],
    "scared": ["scared", "afraid", "frightened"],
    "tired": ["tired", "sleepy", "worn out"],
    "fast asleep": ["fast asleep", "sound asleep"],
    "the sun went down": ["the sun went down", "the sun set", "it got dark", "the stars came out"],
    "picked up": ["picked up", "lifted", "scooped up"],
    "carefully": ["carefully", "gently", "slowly"],
    "slowly": ["slowly", "gently"],
    "shiny": ["shiny", "gleaming", "sparkly"],
    "excited": ["excited", "thrilled", "eager"],
    "noticed": ["noticed", "saw", "spotted"],
    "went home": ["went home", "headed home", "walked home"],
    "came back": ["came back", "returned"],
    "began to": ["began to", "started to"],
    "kind": ["kind", "gentle", "caring"],
    "quietly": ["quietly", "softly", "gently"],
    "looked up": ["looked up", "glanced up"],
    "hurry": ["hurry", "rush"],
    "wonderful": ["wonderful", "amazing", "marvelous", "lovely"],
    "huge": ["huge", "enormous", "giant"],
    "good job": ["good job", "well done", "great job"],
    "a big smile": ["a big smile", "a wide smile", "a huge smile", "a bright smile"],
    "a big idea": ["a big idea", "a great idea", "a clever idea", "a wonderful idea"],
    "saw": ["saw", "spotted"],
    "found out": ["found out", "learned"],
    "found": ["found", "discovered"],
    "shouted": ["shouted", "yelled", "called out"],
    "gently": ["gently", "softly", "carefully"],
    "whispered": ["whispered", "murmured"],
    "really": ["really", "truly"],
    "quiet": ["quiet", "silent", "still"],
    "softly": ["softly", "quietly", "gently"],
    "started": ["started", "began"],
    "near": ["near", "close to", "next to"],
    "hello": ["hello", "hi"],
    "loud": ["loud", "noisy"],
    "glad": ["glad", "happy", "pleased"],
    "tight": ["tight", "close"],
    "every day": ["every day", "each day"],
    "could not": ["could not", "couldn't"],
    "did not": ["did not", "didn't"],
    "do not": ["do not", "don't"],
    "was not": ["was not", "wasn't"],
    "is not": ["is not", "isn't"],
    "it is": ["it is", "it's"],
    "that is": ["that is", "that's"],
    "you are": ["you are", "you're"],
    "we are": ["we are", "we're"],
    "will not": ["will not", "won't"],
    "cannot": ["cannot", "can't"],
    "i am": ["I am", "I'm"],
    "i will": ["I will", "I'll"],
    "thank you": ["thank you", "thanks", "thank you so much"],
}

# ---------------------------------------------------------------------------
# Parts for phrases built on the fly (storyworld: _hobby, _hair, _home, ...)
# ---------------------------------------------------------------------------

IRREGULAR_PLURALS = {"mouse": "mice", "sheep": "sheep", "fish": "fish", "deer": "deer", "goose": "geese",
                     "moose": "moose", "calf": "calves", "wolf": "wolves", "octopus": "octopuses",
                     "bunny": "bunnies", "puppy": "puppies", "pony": "ponies", "butterfly": "butterflies",
                     "ladybug": "ladybugs", "firefly": "fireflies", "dragonfly": "dragonflies",
                     "lady": "ladies", "child": "children", "ox": "oxen"}

COLLECTABLES = ["shells", "smooth stones", "feathers", "leaves", "acorns", "stamps", "buttons", "pine cones",
                "bottle caps", "stickers", "marbles", "pebbles", "seeds", "postcards", "conkers", "sea glass",
                "bird pictures", "old keys", "fossils", "twigs", "flower petals", "snail shells", "coins"]
GAME_NAMES = ["tag", "hide and seek", "hopscotch", "catch", "checkers", "marbles", "pirates", "leapfrog",
              "dress up", "make believe", "duck duck goose", "red light green light",
              "musical chairs", "tic tac toe", "jacks", "dominoes", "charades", "follow the leader"]
BUILD_THINGS = ["towers", "castles", "boats", "little houses", "bridges", "forts", "rockets", "robots",
                "trains", "nests", "dams", "mazes", "ramps"]
BUILD_STUFF = ["blocks", "sticks", "pillows", "boxes", "sand", "snow", "leaves", "stones", "paper", "clay",
               "cups", "shells", "pine cones", "old spoons", "cardboard", "mud"]
CRAFTS = ["paper boats", "mud pies", "daisy chains", "flower crowns", "sock puppets", "paper hats",
          "bead necklaces", "paper planes", "clay animals", "leaf pictures", "card houses", "kites out of paper",
          "masks out of plates", "little books", "bird feeders", "paper snowflakes"]
MUSIC = ["the radio", "silly songs", "the rain on the roof", "{his} own humming", "the birds", "old records",
         "the wind chimes", "drum beats", "banjo music", "the music box"]
HAIR_LOOKS = ["long", "short", "curly", "wavy", "messy", "straight", "fluffy", "spiky", "bouncy", "silky",
              "tangly", "thick"]
HAIR_COLORS = ["red", "brown", "black", "blond", "golden", "dark", "copper", "sandy", "chestnut", "light brown"]
EYE_LOOKS = ["big", "bright", "round", "sparkly", "kind", "sleepy", "curious", "twinkly", "wide", "shiny"]
EYE_COLORS = ["green", "blue", "brown", "gray", "hazel", "dark", "amber"]
HOUSES = ["house", "cottage", "cabin", "flat", "farmhouse", "hut", "houseboat", "bungalow", "little home",
          "tree house", "burrow", "nest"]
HOUSE_LOOKS = ["little", "yellow", "blue", "tiny", "cozy", "old", "white", "crooked", "tall", "round",
               "pink", "green", "stone", "wooden", "sunny", "busy", "quiet", "red"]
HOUSE_PLACES = ["by the {water}", "near the {place}", "at the edge of the {hometown}", "on a {townadj} hill",
                "under a big {tree} tree", "next to a field of {flowers}", "at the end of a {townadj} lane",
                "behind the old {place}", "in the middle of the {hometown}", "beside a {townadj} {water}"]
