"""Chapter 06: the story-quality numbers reported for the shipped model."""
from pystory.data.storyworld import generate_stories
from pystory.quality import distinct_n, quality_report, repetition_rate


def test_distinct_2_counts_unique_word_bigrams():
    assert distinct_n(["a b a b"], 2) == 2 / 3          # (a b), (b a), (a b)
    assert distinct_n(["a b c", "a b c"], 2) == 2 / 4


def test_repetition_rate_counts_4grams_seen_earlier_in_the_same_story():
    assert repetition_rate(["one two three four five"]) == 0.0
    assert repetition_rate(["a b c d a b c d"]) == 1 / 5     # only the last (a b c d) repeats
    assert repetition_rate(["a b c d", "a b c d"]) == 0.0    # across stories does not count


def test_storyworld_stories_pass_their_own_checker():
    r = quality_report(generate_stories(20, seed=4))
    assert r["check_pass"] == 1.0 and r["stories"] == 20
