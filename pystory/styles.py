"""Chapter 07: a small corpus in a style the shipped model never saw — stories about space.

storyworld (pystory/data/storyworld.py) writes parks, toys and gardens. Fine-tuning
needs something new to learn: these are short space-adventure stories (rockets,
planets, a robot friend, a captain's log) with their own words and their own shape,
written from a seed like storyworld, in the TinyStories format:

    python -m pystory.styles --stories 400 --seed 0 --out data/space.txt
    python -m pystory finetune --lora 8 --corpus data/space.txt

Story i of `space_stories(n, seed)` depends only on (seed, i).
"""
from __future__ import annotations

import random
import sys

__all__ = ["space_story", "space_stories", "main"]

NAMES = ["Zara", "Leo", "Nova", "Max", "Iris", "Finn", "Luna", "Theo", "Mila", "Orion"]
HEROES = ["a young astronaut", "a brave space pilot", "a curious star explorer", "a little rocket engineer"]
SHIPS = ["the Silver Comet", "the Star Hopper", "the Blue Nebula", "the Moon Beetle", "the Tiny Meteor"]
PLACES = ["a purple planet", "a moon made of ice", "a ring of shining rocks", "a planet with three suns",
          "a quiet asteroid", "a cloud of glowing dust"]
ROBOTS = ["Bolt", "Gizmo", "Pip", "Cosmo", "Sprocket"]
TROUBLE = ["the engine began to cough", "a cloud of meteors came rushing toward them",
           "the map to home went dark", "the oxygen light began to blink",
           "a strange signal made every screen flicker"]
FIXES = ["pulled the red lever and turned the ship around", "found a loose wire and fixed it with tape",
         "asked the robot to read the stars", "steered between the rocks one by one",
         "followed the signal and found a friendly alien who needed help"]
ALIENS = ["a small green alien with four eyes", "a shy alien made of light", "a fuzzy alien who hummed songs"]
ENDINGS = ["When they landed back on Earth, everyone cheered.",
           "That night, {name} wrote in the captain's log: \"Today we were brave together.\"",
           "{name} looked out of the window at the stars and smiled.",
           "They flew home, and the stars seemed to wink at them."]
MORALS = ["Being calm helps you think when things go wrong.", "A good crew helps each other.",
          "Every problem is smaller when you face it with a friend."]


def space_story(rng: random.Random) -> str:
    name, ship, robot = rng.choice(NAMES), rng.choice(SHIPS), rng.choice(ROBOTS)
    place, trouble, fix = rng.choice(PLACES), rng.choice(TROUBLE), rng.choice(FIXES)
    intro = (f"Far away in space, {rng.choice(HEROES)} named {name} flew a rocket called {ship}. "
             f"{name} had a robot friend named {robot}, who beeped when it was happy.")
    middle = [f"One day, {name} and {robot} set off to visit {place}.",
              f"\"Ten, nine, eight ... blast off!\" said {robot}.",
              f"The rocket zoomed past the moon and into the dark.",
              f"But then {trouble}.",
              f"\"Oh no!\" said {name}. \"What do we do now?\"",
              f"{name} took a deep breath. Then {name} {fix}."]
    if rng.random() < 0.4:
        middle.append(f"On {place}, they met {rng.choice(ALIENS)}. It gave {name} a shiny stone to remember them.")
    end = rng.choice(ENDINGS).format(name=name)
    if rng.random() < 0.5:
        end += " " + rng.choice(MORALS)
    return intro + "\n\n" + " ".join(middle) + "\n\n" + end


def space_stories(n: int, seed: int = 0) -> list[str]:
    return [space_story(random.Random(seed * 1_000_003 + i)) for i in range(n)]


def main(argv=None):
    import argparse

    from pystory.data.corpus import write_corpus
    p = argparse.ArgumentParser(prog="python -m pystory.styles", description="Write the space-story corpus.")
    p.add_argument("--stories", type=int, default=400)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    if a.stories < 1:
        p.error("--stories must be >= 1")
    write_corpus(a.out, space_stories(a.stories, a.seed))
    print(f"wrote {a.stories} space stories to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
