"""Chapter 06: the story-quality numbers reported for the shipped model."""
from pystory.data.storyworld import check_story, generate_stories
from pystory.quality import (check_consistency, consistency_breakdown, consistency_rate, distinct_n,
                             format_rows, quality_report, repetition_rate, sound_rate)

CONSISTENT = ("Once upon a time, there was a little girl named Lily. Lily had a yellow toy horse. "
              "She lived with her mom and a cat. One day, Lily and Mom went to the park. Lily played with "
              "her yellow toy horse all day. Her friend Tom came to play. \"Can I try it?\" asked Tom. "
              "Mom smiled. That night, Lily hugged her toy horse and went to sleep.")


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


def test_storyworld_stories_are_consistent():
    assert consistency_rate(generate_stories(200, seed=5)) == 1.0


# --- a consistent story is not flagged -------------------------------------

def test_a_consistent_story_has_no_drift():
    assert check_consistency(CONSISTENT) == []


def test_an_uncoloured_mention_of_the_same_toy_is_not_drift():
    s = CONSISTENT + " The toy horse was her best friend."
    assert check_consistency(s) == []


def test_lower_case_family_words_are_not_a_second_grown_up():
    # "her mom" is a family word; only titles used as names ("Mom", "Dad") are the grown-up
    s = CONSISTENT.replace("with her mom and a cat", "with her mom and dad")
    assert check_consistency(s) == []


def test_scenery_may_share_a_colour_with_the_toy():
    s = CONSISTENT + " A yellow bird sang in the tree."
    assert check_consistency(s) == []


# --- drift is caught --------------------------------------------------------

def test_an_object_that_changes_colour_is_caught():
    s = CONSISTENT.replace("her yellow toy horse all day", "her silver toy horse all day")
    problems = check_consistency(s)
    assert any(p.startswith("object:") and "yellow" in p and "silver" in p for p in problems)


def test_a_toy_that_turns_into_another_toy_is_caught():
    s = CONSISTENT.replace("hugged her toy horse", "hugged her blue toy dinosaur")
    problems = check_consistency(s)
    assert any(p.startswith("object:") and "toy horse" in p and "toy dinosaur" in p for p in problems)


def test_a_colour_that_moves_to_another_object_is_caught():
    s = CONSISTENT + " Then she found the yellow kite."
    assert any(p.startswith("object:") and "yellow" in p for p in check_consistency(s))


def test_a_grown_up_who_changes_is_caught():
    # the drift the issue saw: "could not see Mom ... 'Nana! Where are you?' ... Grandpa waving"
    s = CONSISTENT + ' Lily could not see Mom anywhere! "Nana! Where are you?" Then she saw Grandpa waving.'
    problems = check_consistency(s)
    assert [p for p in problems if p.startswith("companion:")] == \
        ["companion: the grown-up changes: Mom -> Nana -> Grandpa"]


def test_a_hero_who_is_renamed_is_caught():
    # "Cedric ... Alex ... Quinn": the new names were never introduced
    s = CONSISTENT.replace("That night, Lily hugged", "That night, Quinn hugged")
    problems = check_consistency(s)
    assert any(p.startswith("name:") and "Quinn" in p for p in problems)


def test_a_character_introduced_as_two_kinds_is_caught():
    s = CONSISTENT + " Later, a bunny named Tom hopped by."
    s = s.replace("Her friend Tom came", "A boy named Tom came")
    assert any(p.startswith("name:") and "Tom" in p for p in check_consistency(s))


def test_the_breakdown_counts_each_kind_of_drift_once_per_story():
    drifting = CONSISTENT + ' "Nana!" Grandpa said. She found the yellow kite.'
    b = consistency_breakdown([CONSISTENT, drifting])
    assert b == {"object": 0.5, "companion": 0.5, "name": 0.0}


def test_consistency_never_raises_on_junk():
    assert check_consistency(None) == ["not text: got NoneType"]
    assert isinstance(check_consistency(b"\xff\xfe red red kite blue kite"), list)
    assert check_consistency("") == []


def test_the_report_table_shows_consistency_beside_the_pass_rate():
    table = format_rows([("storyworld", quality_report(generate_stories(10, seed=3)))])
    header = table.splitlines()[0]
    assert "check_story pass" in header and "consistent" in header
    assert "| storyworld | 10 | 100% | 100% | 100% |" in table


def test_a_story_that_holds_together_passes_both_checks():
    good = generate_stories(1, seed=4)[0]
    bad = "Once upon a time, there was a little girl named Isla. His heart felt full and light."
    assert check_consistency(bad) == [] and check_story(bad)       # nothing drifts, yet "His" is wrong
    assert sound_rate([good, bad]) == 0.5


def test_the_command_refuses_bad_arguments_in_one_line(tmp_path, capsys):
    from pystory import quality
    (tmp_path / "junk.ckpt").write_bytes(b"junk")
    for args, what in ((["--samples", "0"], "--samples"), (["--temperature", "nan"], "--temperature"),
                       (["--seed", "-1"], "--seed"), (["--backend", "tpu"], "--backend"),
                       (["--top-p", "0"], "--top-p"), (["--top-k", "-1"], "--top-k"),
                       (["--model", str(tmp_path / "nowhere.ckpt")], "nowhere.ckpt"),
                       (["--model", str(tmp_path / "junk.ckpt")], "junk.ckpt")):
        assert quality.main(args) == 2, args
        err = capsys.readouterr().err
        assert what in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_the_command_samples_as_the_story_command_does_with_top_k_and_top_p(tmp_path, capsys):
    from pystory import quality
    assert quality.main(["--samples", "1", "--top-p", "0.9", "--top-k", "40",
                         "--val", str(tmp_path / "none.txt")]) == 0
    assert "| model, temperature 0.8, top-k 40, top-p 0.9 | 1 |" in capsys.readouterr().out


class _Prefers:
    """A stand-in model whose next token is always `title` (logits 1 there, 0 elsewhere)."""
    def __init__(self, tok, title, block_size=64):
        import types
        self.cfg = types.SimpleNamespace(block_size=block_size)
        self.ids = [int(tok.encode(" " + title)[0]), int(tok.encode(title)[0])]
        self.V = tok.vocab_size

    def forward(self, ids):
        import numpy as np
        logits = np.zeros((1, ids.shape[1], self.V), np.float32)
        logits[..., self.ids] = 1.0
        return logits, None


def test_grown_up_recall_counts_each_title_named_again():
    from pystory.gpt_cli import SHIPPED_MODEL
    from pystory.quality import grown_up_recall
    from pystory.tokenizer import load_tokenizer
    import os
    tok = load_tokenizer(os.path.join(os.path.dirname(SHIPPED_MODEL), "story.bpe"))
    stories = ['Mia and Mom went out. "Look, Mom!" said Mia. Mom smiled.', "Sam saw Dad. Dad waved."]
    assert grown_up_recall(_Prefers(tok, "Mom"), tok, stories) == (2 / 3, 3)     # right for Mom, wrong for Dad
    assert grown_up_recall(_Prefers(tok, "Dad"), tok, stories) == (1 / 3, 3)
    assert grown_up_recall(_Prefers(tok, "Dad"), tok, ["Sam saw Dad."]) == (0.0, 0)   # named once: no place
