"""Chapter 05: BLEU, Self-BLEU and distinct-n — the definition, the corpus algorithm in NumPy
and in C, and nltk (the implementation Texygen calls) all give the same numbers."""
import numpy as np
import pytest

from pystory import metrics as M
from pystory.data.storyworld import generate_stories

IMPLS = ["numpy", "c"]
STORIES = generate_stories(40, seed=5)
ODD = ["", "the", "the cat", "Hi!", "once upon a time", "a a a a a a", STORIES[0]]


def test_words_are_lowercased_and_punctuation_is_split_off():
    assert M.words('Once upon a time, "Hi!" said Mia.') == [
        "once", "upon", "a", "time", ",", '"', "hi", "!", '"', "said", "mia", "."]
    assert M.words("Don't  stop\nnow") == ["don't", "stop", "now"]


def test_a_list_of_words_is_taken_as_it_is():
    assert M.words(["Once", "upon"]) == ["Once", "upon"]


def test_bleu_of_a_hypothesis_that_is_one_of_the_references_is_one():
    assert M.sentence_bleu(STORIES[3], STORIES[:10]) == 1.0
    assert M.bleu([STORIES[3]], STORIES[:10]) == pytest.approx(1.0, abs=1e-15)


def test_bleu_with_no_word_in_common_is_zero():
    assert M.sentence_bleu("zebra xylophone", ["the cat sat"]) == 0.0


def test_bleu_of_an_empty_hypothesis_is_zero():
    assert M.sentence_bleu("", ["the cat sat"]) == 0.0


def test_a_hypothesis_shorter_than_its_references_pays_the_brevity_penalty():
    # all 1..4-grams of "the cat sat on" occur in the reference of length 8: precisions are 1
    got = M.sentence_bleu("the cat sat on", ["the cat sat on the mat all day"])
    assert got == pytest.approx(np.exp(1 - 8 / 4))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_sentence_bleu_equals_nltk(n):
    bleu_score = pytest.importorskip("nltk.translate.bleu_score")
    smooth = bleu_score.SmoothingFunction().method1
    refs = STORIES[10:30]
    for h in STORIES[:10] + ODD:
        want = bleu_score.sentence_bleu([M.words(r) for r in refs], M.words(h), (1 / n,) * n,
                                        smoothing_function=smooth)
        assert M.sentence_bleu(h, refs, n) == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("n", [1, 2, 4, 6])
def test_corpus_bleu_scores_equal_the_definition(impl, n):
    hyps, refs = STORIES[:12] + ODD, STORIES[12:]
    want = [M.sentence_bleu(h, refs, n) for h in hyps]
    np.testing.assert_allclose(M.bleu_scores(hyps, refs, n, impl=impl), want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("n", [1, 2, 4])
def test_self_bleu_scores_each_sample_against_all_the_others(impl, n):
    samples = STORIES[:25] + ODD + [STORIES[1]]         # a duplicate: it matches its twin
    want = [M.sentence_bleu(s, samples[:i] + samples[i + 1:], n) for i, s in enumerate(samples)]
    np.testing.assert_allclose(M.self_bleu_scores(samples, n, impl=impl), want, rtol=1e-12, atol=1e-15)


def test_self_bleu_equals_nltk_leave_one_out():
    bleu_score = pytest.importorskip("nltk.translate.bleu_score")
    smooth = bleu_score.SmoothingFunction().method1
    samples = STORIES[:15]
    ws = [M.words(s) for s in samples]
    want = np.mean([bleu_score.sentence_bleu(ws[:i] + ws[i + 1:], ws[i], (0.25,) * 4, smoothing_function=smooth)
                    for i in range(len(ws))])
    assert M.self_bleu(samples, 4) == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize("impl", IMPLS)
def test_identical_samples_have_a_self_bleu_of_one(impl):
    assert M.self_bleu([STORIES[0]] * 3, impl=impl) == pytest.approx(1.0)


@pytest.mark.parametrize("impl", IMPLS)
def test_self_bleu_of_unrelated_samples_is_zero(impl):
    assert M.self_bleu(["alpha beta", "gamma delta", "epsilon zeta"], impl=impl) == 0.0


@pytest.mark.parametrize("impl", IMPLS)
def test_distinct_n_counts_different_ngrams_over_all_samples(impl):
    # bigrams: (a b) (b a) (a b) | (a b) (b c): 3 distinct of 5; n-grams never cross samples
    assert M.distinct_n(["a b a b", "a b c"], 2, impl=impl) == pytest.approx(3 / 5)
    assert M.distinct_n(["a b a b", "a b c"], 1, impl=impl) == pytest.approx(3 / 7)
    assert M.distinct_n(["a", ""], 2, impl=impl) == 0.0


def test_distinct_n_of_the_c_port_equals_numpy():
    for n in (1, 2, 3, 4):
        assert M.distinct_n(STORIES, n, impl="c") == M.distinct_n(STORIES, n, impl="numpy")


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("impl", IMPLS)
def test_the_corpus_functions_refuse_offsets_that_run_past_the_words(impl):
    scores, _ = M._impl(impl)
    words = np.array([0, 1, 2], np.int32)
    with pytest.raises(ValueError, match=r"bleu_corpus_scores: argument 'offsets' holds 9, outside \[0, M\]"):
        scores(words, np.array([0, 9, 3], np.int32), 1, 4, 0)


@pytest.mark.parametrize("impl", IMPLS)
def test_the_corpus_functions_refuse_decreasing_offsets(impl):
    scores, counts = M._impl(impl)
    words = np.array([0, 1, 2, 3], np.int32)
    with pytest.raises(ValueError, match=r"bleu_corpus_scores: argument 'offsets' must not decrease"):
        scores(words, np.array([0, 3, 1, 4], np.int32), 1, 4, 0)
    with pytest.raises(ValueError, match=r"ngram_counts: argument 'offsets' must start at 0 and end at len"):
        counts(words, np.array([0, 3], np.int32), 2)


@pytest.mark.parametrize("impl", IMPLS)
def test_the_corpus_functions_refuse_negative_word_ids(impl):
    scores, _ = M._impl(impl)
    with pytest.raises(ValueError, match=r"bleu_corpus_scores: argument 'words' holds -1"):
        scores(np.array([0, -1], np.int32), np.array([0, 1, 2], np.int32), 1, 4, 0)


@pytest.mark.parametrize("impl", IMPLS)
def test_bleu_needs_a_reference(impl):
    with pytest.raises(ValueError, match=r"bleu: needs at least one reference"):
        M.bleu(["a b"], [], impl=impl)
    scores, _ = M._impl(impl)
    with pytest.raises(ValueError, match=r"argument 'n_hyp' must leave at least one reference"):
        scores(np.array([0, 1], np.int32), np.array([0, 1, 2], np.int32), 2, 4, 0)


@pytest.mark.parametrize("impl", IMPLS)
def test_self_bleu_needs_two_samples(impl):
    with pytest.raises(ValueError, match=r"Self-BLEU needs at least 2 samples"):
        M.self_bleu(["just one"], impl=impl)


def test_an_unknown_implementation_is_refused():
    with pytest.raises(ValueError, match=r"metrics: impl must be 'numpy', 'c' or None"):
        M.bleu(["a"], ["a"], impl="fortran")


# --- nll ----------------------------------------------------------------------------------------

def test_nll_is_the_model_loss_on_each_story_after_the_end_of_text_token():
    import pystory
    from pystory.gpt import GPT, GPTConfig
    from pystory.tokenizer import load_tokenizer
    tok = load_tokenizer("byte")
    model = GPT(GPTConfig(vocab_size=tok.vocab_size, block_size=32, n_layer=1, n_head=2, n_embd=16),
                pystory.backend("numpy")).init_weights(3)
    stories = ["the cat", "a dog ran far"]
    want_nats, want_n = 0.0, 0
    for s in stories:
        ids = np.asarray([tok.eot_id] + list(tok.encode(s)), np.int32)
        _, loss = model.forward(ids[None, :-1].copy(), ids[None, 1:].copy())
        want_nats += loss * (ids.size - 1)
        want_n += ids.size - 1
    assert M.nll(model, tok, stories) == pytest.approx(want_nats / want_n)
