"""storyworld: determinism, the diversity floor, and the consistency checker."""
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pystory.data import storyworld as sw
from pystory.data import words as W
from pystory.quality import check_consistency

N_FLOOR = 50_000


@pytest.fixture(scope="module")
def corpus50k():
    """The 50,000-story corpus the diversity floor is checked on (made once)."""
    return sw.generate_stories(N_FLOOR, seed=0)


@pytest.fixture(scope="module")
def stats50k(corpus50k):
    return sw.corpus_stats(corpus50k)


@pytest.fixture(scope="module")
def sample():
    return sw.generate_stories(2000, seed=7)


def story_with(pronoun, seed=0, containing=""):
    """A storyworld story whose protagonist has the given pronoun (and that contains some text)."""
    for i in range(1000):
        s = sw.generate_story(seed * 1000 + i)
        if sw.find_protagonist(s)[1] == pronoun and containing in s:
            return s
    raise AssertionError(f"no {pronoun} protagonist found")


# --- determinism -----------------------------------------------------------

def test_same_seed_gives_same_stories():
    assert sw.generate_stories(50, seed=3) == sw.generate_stories(50, seed=3)


def test_different_seeds_give_different_stories():
    assert sw.generate_stories(20, seed=1) != sw.generate_stories(20, seed=2)


def test_story_i_does_not_depend_on_corpus_size():
    assert sw.generate_stories(10, seed=5) == sw.generate_stories(40, seed=5)[:10]


def test_generate_story_accepts_a_random_instance():
    assert sw.generate_story(random.Random(11)) == sw.generate_story(11)


# --- the diversity floor (50,000 stories) --------------------------------

def test_floor_distinct_stories(stats50k):
    assert stats50k["n_stories"] == N_FLOOR
    assert stats50k["distinct_story_fraction"] >= 0.995


def test_floor_distinct_sentences(stats50k):
    assert stats50k["distinct_sentences"] >= 20_000


def test_floor_vocabulary(stats50k):
    assert stats50k["vocab_size"] >= 3_000


def test_floor_distinct_2_of_the_first_200k_words(corpus50k):
    # the issue's measure: [a-z']+ words of the stories read as one stream (real TinyStories: 0.283)
    d2, n = sw.distinct_2_words(corpus50k)
    assert n == 200_000
    assert d2 >= 0.25


def test_floor_mean_length(stats50k):
    assert 100 <= stats50k["mean_words"] <= 250


def test_every_story_is_80_to_300_words(stats50k):
    assert stats50k["min_words"] >= 80 and stats50k["max_words"] <= 300


def test_every_story_passes_the_checker(corpus50k):
    bad = [(i, p) for i, s in enumerate(corpus50k[:10_000]) if (p := sw.check_story(s))]
    assert not bad, bad[:5]


def test_no_story_drifts(corpus50k):
    # objects keep their colour and kind, one grown-up, every name introduced
    bad = [(i, p) for i, s in enumerate(corpus50k[:10_000]) if (p := check_consistency(s))]
    assert not bad, bad[:5]


def test_there_are_at_least_50_arcs():
    assert len(sw.ARC_NAMES) >= 50
    assert len(set(sw.ARC_NAMES)) == len(sw.ARC_NAMES)


@pytest.mark.parametrize("arc", sw.ARC_NAMES)
def test_each_arc_writes_consistent_stories(arc):
    stories = [sw.generate_story(i, arc=arc) for i in range(100)]
    assert [p for s in stories if (p := sw.check_story(s) + check_consistency(s))] == []
    assert len(set(stories)) == len(stories)


def test_unknown_arc_is_an_error_naming_it():
    with pytest.raises(ValueError, match="dragon fight"):
        sw.generate_story(0, arc="dragon fight")


def test_stories_have_three_to_five_paragraphs(sample):
    counts = {s.count("\n\n") + 1 for s in sample}
    assert counts <= {3, 4, 5} and len(counts) >= 2


def test_the_hero_keeps_one_toy_with_one_colour(sample):
    # every coloured mention of the hero's toy uses the story's colour
    for s in sample[:300]:
        assert not [p for p in check_consistency(s) if p.startswith("object")], s


def test_there_is_one_grown_up_per_story(sample):
    for s in sample[:300]:
        titles = {t for t in W.ADULT_TITLES if re.search(rf"\b{t}\b", s)}
        assert len(titles) <= 1, (titles, s)


def test_dialogue_comes_in_several_shapes(sample):
    text = " ".join(sample)
    shapes = {
        "tag after": r'[,!?]" (?:[A-Z][a-z]+ )?(?:said|asked|shouted|cried|whispered)\b',
        "tag before": r'\b(?:said|asked|shouted|called|whispered)(?: [a-z]+)?, "',
        "tag inverted": r'[,!?]" (?:said|asked|shouted|cried|called) [A-Z][a-z]+\.',
        "tag between two sentences": r'[.!?]" [A-Za-z ]+\. "[A-Z]',
        "question": r'\?"',
        "exclamation": r'!"',
    }
    missing = [name for name, pattern in shapes.items() if not re.search(pattern, text)]
    assert not missing


# --- the grammar keeps its own rules -----------------------------------------

def test_name_lists_are_disjoint():
    total = len(W.GIRL_NAMES) + len(W.BOY_NAMES) + len(W.NEUTRAL_NAMES)
    assert len(W.NAME_PRONOUNS) == total


def test_names_are_never_ordinary_words_in_stories(corpus50k):
    lower_words = set(re.findall(r"\b[a-z]+\b", " ".join(corpus50k[:20_000])))
    assert not [n for n in W.NAME_PRONOUNS if n.lower() in lower_words]


def test_they_protagonists_get_plural_verbs(sample):
    assert not any(re.search(r"\b[Tt]hey (was|is|has|does)\b", s) for s in sample)


def test_no_template_slot_survives(sample):
    assert not any("{" in s or "}" in s for s in sample)


def test_protagonist_is_introduced_in_first_sentence(sample):
    for s in sample[:200]:
        name, pronoun = sw.find_protagonist(s)
        assert name in W.NAME_PRONOUNS and pronoun in ("he", "she", "they")


def test_corpus_stats_counts_a_tiny_corpus():
    st_ = sw.corpus_stats(["The cat sat. The cat ran.", "The cat sat. The cat ran.", "A dog."])
    assert st_["n_stories"] == 3
    assert st_["distinct_story_fraction"] == pytest.approx(2 / 3)
    assert st_["distinct_sentences"] == 3
    assert st_["vocab_size"] == 6           # the cat sat ran a dog
    assert (st_["min_words"], st_["max_words"]) == (2, 6)
    assert st_["distinct_1"] == pytest.approx(6 / 14)
    # bigrams never cross stories: 5 + 5 + 1 = 11 in all; distinct: the-cat cat-sat sat-the cat-ran a-dog
    assert st_["distinct_2"] == pytest.approx(5 / 11)


def test_distinct_2_words_reads_the_stories_as_one_stream():
    # words: the cat sat | the cat | a dog -> bigrams across the boundaries count too
    d2, n = sw.distinct_2_words(["The cat sat.", "The cat!", "A dog."])
    assert n == 7
    # the-cat cat-sat sat-the (the-cat again) cat-a a-dog: 5 distinct of 6
    assert d2 == pytest.approx(5 / 6)


def test_distinct_2_words_counts_only_the_first_n_words():
    d2, n = sw.distinct_2_words(["a b a b a b", "c d e f"], n_words=4)
    assert n == 4 and d2 == pytest.approx(2 / 3)         # a-b b-a a-b


def test_format_stats_prints_the_stream_distinct_2():
    assert "distinct-2 (stream)" in sw.format_stats(sw.corpus_stats(sw.generate_stories(5, seed=1)))


# --- check_story on broken stories -----------------------------------------

def test_check_accepts_a_good_story():
    assert sw.check_story(sw.generate_story(42)) == []


def test_check_flags_a_swapped_pronoun():
    s = story_with("she", containing=". She ")
    broken = s.replace(". She ", ". He ", 1)
    assert broken != s
    assert any("pronoun" in p for p in sw.check_story(broken))


def test_check_flags_a_possessive_of_the_wrong_gender():
    s = "Once upon a time, there was a little boy named Tom. Tom hugged her teddy bear. The end."
    assert any("'her'" in p for p in sw.check_story(s))


def test_check_flags_he_for_a_they_protagonist():
    s = story_with("they", containing=". They ")
    broken = s.replace(". They ", ". He ", 1)
    assert broken != s
    assert sw.check_story(broken)


def test_check_flags_a_name_changed_mid_story():
    s = story_with("she")
    name, _ = sw.find_protagonist(s)
    other = next(n for n in W.GIRL_NAMES if n not in s)
    cut = len(s) // 2
    broken = s[:cut] + s[cut:].replace(name, other)
    assert broken != s
    assert any(other in p and "never introduced" in p for p in sw.check_story(broken))


def test_check_flags_an_unbalanced_quote():
    s = next(x for x in sw.generate_stories(50, seed=2) if '"' in x)
    broken = s.replace('"', "", 1)
    assert any("quote" in p for p in sw.check_story(broken))


def test_check_flags_a_story_cut_mid_sentence():
    s = sw.generate_story(3)
    broken = s[: s.rfind(" ", 0, len(s) - 5)]
    assert any("finished sentence" in p for p in sw.check_story(broken))


def test_check_flags_the_empty_string():
    assert sw.check_story("") == ["empty story"]
    assert sw.check_story("   \n") == ["empty story"]


def test_check_flags_a_leftover_slot():
    assert any("slot" in p for p in sw.check_story("There was a girl named {name}."))


def test_check_flags_random_bytes():
    rng = random.Random(0)
    junk = bytes(rng.randrange(256) for _ in range(300))
    assert sw.check_story(junk)


def test_check_rejects_non_text_without_raising():
    assert sw.check_story(None) == ["not text: got NoneType"]


def test_check_skips_pronoun_rules_for_an_unknown_name():
    assert sw.check_story("There was a robot named Zork. She was kind. He was tall.") == []


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_check_never_raises_on_any_text(text):
    assert isinstance(sw.check_story(text), list)


@settings(max_examples=200, deadline=None)
@given(st.binary())
def test_check_never_raises_on_any_bytes(data):
    assert isinstance(sw.check_story(data), list)
