"""Chapter 04: sentences as a VAE's data — splitting, the splits, batches, and resumable order."""
import numpy as np
import pytest

from pystory.data.sentences import (SentenceBatches, SentenceSet, load_splits, make_batch, split_sentences,
                                    story_sentences)
from pystory.tokenizer import load_tokenizer


def test_a_paragraph_splits_at_sentence_ends():
    assert split_sentences("Tom ran. He fell! Did he cry? No.") == ["Tom ran.", "He fell!", "Did he cry?", "No."]


def test_a_quotation_of_several_sentences_stays_whole_with_its_tag():
    text = 'Dad said, "Try again. You can do it." So Leo tried again.'
    assert split_sentences(text) == ['Dad said, "Try again. You can do it."', "So Leo tried again."]


def test_a_speech_tag_in_lower_case_stays_with_its_quote():
    assert split_sentences('"Oh no!" she cried. The end.') == ['"Oh no!" she cried.', "The end."]


def test_a_story_gives_its_sentences_with_their_paragraphs():
    story = "Once upon a time, there was a fox. It was red.\n\nOne day, it ran.\n\nThe end."
    assert story_sentences(story) == [("Once upon a time, there was a fox.", 0), ("It was red.", 0),
                                      ("One day, it ran.", 1), ("The end.", 2)]


def test_a_batch_shifts_the_decoder_targets_by_one():
    b = make_batch([np.array([5, 6, 7], np.int32), np.array([8], np.int32)], eot_id=0)
    assert b["enc"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert b["dec_in"].tolist() == [[0, 5, 6, 7], [0, 8, 0, 0]]
    assert b["target"].tolist() == [[5, 6, 7, 0], [8, 0, 0, 0]]
    assert b["enc_len"].tolist() == [3, 1] and b["dec_len"].tolist() == [4, 2]


def sentence_set(n):
    ids = [np.full(1 + i % 7, i, np.int32) for i in range(n)]           # sentence i is i, i, ...
    return SentenceSet([str(i) for i in range(n)], ids, [-1] * n, eot_id=99)


def test_an_epoch_visits_every_sentence_once():
    loader = SentenceBatches(sentence_set(50), 8, seed=1)
    lengths = []
    for _ in range(7):                     # ceil(50 / 8) batches
        lengths += loader.next_batch()["enc_len"].tolist()
    assert sorted(lengths) == sorted(1 + i % 7 for i in range(50))
    assert loader.epoch == 0 and loader.pos == 7


def test_batches_hold_sentences_of_similar_length():
    loader = SentenceBatches(sentence_set(700), 100, seed=0)
    spreads = [np.ptp(loader.next_batch()["enc_len"]) for _ in range(7)]
    assert max(spreads) <= 1


def test_the_order_continues_exactly_from_a_saved_state():
    a = SentenceBatches(sentence_set(40), 6, seed=3)
    for _ in range(9):                     # into the second epoch
        a.next_batch()
    b = SentenceBatches(sentence_set(40), 6, seed=3)
    b.set_state(a.state())
    for _ in range(5):
        assert (a.next_batch()["enc"] == b.next_batch()["enc"]).all()


def test_another_epoch_has_another_order():
    loader = SentenceBatches(sentence_set(40), 5, seed=3)
    epochs = [[loader.next_batch()["enc"][:, 0].tolist() for _ in range(8)] for _ in range(2)]
    assert loader.epoch == 1 and epochs[0] != epochs[1]


def test_validation_and_test_sentences_never_occur_in_training():
    tok = load_tokenizer("byte")
    splits = load_splits(tok, n_stories=40, seed=0, n_eval=10_000)
    train = set(splits["train"].texts)
    assert not train & set(splits["val"].texts) and not train & set(splits["test"].texts)
    assert not set(splits["val"].texts) & set(splits["test"].texts)
    for s in splits.values():
        assert all(1 <= len(a) <= 48 for a in s.ids)
        assert len(set(s.texts)) == len(s.texts)


def test_the_sentences_are_encoded_as_the_tokenizer_encodes_each_one():
    tok = load_tokenizer("pystory/models/vae.bpe")
    s = load_splits(tok, n_stories=20, seed=0)["train"]
    for text, ids in list(zip(s.texts, s.ids))[:50]:
        assert (tok.encode(text) == ids).all()


def test_a_corpus_too_small_to_split_is_refused(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text("One story.<|endoftext|>Two stories.")
    with pytest.raises(ValueError, match="at least 3 stories"):
        load_splits(load_tokenizer("byte"), corpus=str(path))
