"""Chapter 02: word2vec's skip-gram step agrees across numpy, c, emu (and cuda);
its update is the gradient of the loss; training gives the same loss curve."""
import numpy as np
import pytest

import pystory
from pystory import word2vec as W
from pystory.philox import Philox
from pystory.testing import assert_agree, check_grad

ref = pystory.backend("numpy")


def batch(rng, V, D, B, K, scale=0.3):
    w_in = (rng.standard_normal((V, D)) * scale).astype(np.float32)
    w_out = (rng.standard_normal((V, D)) * scale).astype(np.float32)
    c = rng.integers(0, V, B).astype(np.int32)
    x = rng.integers(0, V, B).astype(np.int32)
    n = rng.integers(0, V, (B, K)).astype(np.int32)
    return w_in, w_out, c, x, n


def run_step(be, w_in, w_out, c, x, n, lr):
    a, b = be.asarray(w_in.copy()), be.asarray(w_out.copy())   # the step writes in place
    loss = be.sgns_step(a, b, be.asarray(c), be.asarray(x), be.asarray(n), lr)
    return loss, be.to_numpy(a), be.to_numpy(b)


@pytest.mark.parametrize("V,D,B,K", [(5, 1, 1, 1), (10, 16, 7, 3), (40, 33, 50, 5), (8, 100, 64, 5), (3, 8, 20, 0)])
def test_sgns_step_matches_reference(backend, rng, V, D, B, K):
    w_in, w_out, c, x, n = batch(rng, V, D, B, K)   # small V: many repeated words per batch
    loss, a, b = run_step(backend, w_in, w_out, c, x, n, 0.1)
    rloss, ra, rb = run_step(ref, w_in, w_out, c, x, n, 0.1)
    assert loss == pytest.approx(rloss, rel=1e-5)
    assert_agree(a, ra, name="w_in")
    assert_agree(b, rb, name="w_out")


def test_sgns_step_with_empty_batch_changes_nothing(backend, rng):
    w_in, w_out, c, x, n = batch(rng, 6, 4, 0, 2)
    loss, a, b = run_step(backend, w_in, w_out, c, x, n, 0.1)
    assert loss == 0.0
    assert_agree(a, w_in, rtol=0, atol=0)
    assert_agree(b, w_out, rtol=0, atol=0)


def test_sgns_step_returns_mean_loss_before_the_update(rng):
    w_in, w_out, c, x, n = batch(rng, 10, 6, 9, 4)
    expected = W.sgns_loss(w_in.astype(np.float64), w_out.astype(np.float64), c, x, n) / 9
    loss, _, _ = run_step(ref, w_in, w_out, c, x, n, 0.5)
    assert loss == pytest.approx(expected, rel=1e-5)


def test_sgns_update_is_minus_lr_times_gradient_of_summed_loss():
    rng = np.random.default_rng(3)
    w_in, w_out, c, x, n = batch(rng, 7, 5, 6, 3)
    c[1] = c[0]                              # a repeated center,
    n[2, 0] = x[3]                           # a word both context and negative,
    n[4, 1] = c[4]                           # a center that is its own negative
    w_in, w_out = w_in.astype(np.float64), w_out.astype(np.float64)
    a, b = w_in.copy(), w_out.copy()
    W.sgns_step(a, b, c, x, n, 1.0)          # lr = 1: the update is minus the gradient
    check_grad(lambda: W.sgns_loss(w_in, w_out, c, x, n), {"w_in": w_in, "w_out": w_out},
               {"w_in": w_in - a, "w_out": w_out - b})


def test_sgns_loss_is_stable_for_huge_scores(backend):
    w = np.zeros((2, 1), np.float32)
    w_in, w_out = w.copy(), w.copy()
    w_in[0, 0], w_out[1, 0] = 100.0, 100.0   # score 1e4: exp would overflow
    one = np.array([0], np.int32)
    loss, a, b = run_step(backend, w_in, w_out, one, one, np.array([[1]], np.int32), 0.01)
    assert np.isfinite(loss) and loss == pytest.approx(1e4 + np.log(2), rel=1e-4)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(b))


# --- sgns_train: a whole pass (pairs, negatives, every step) in one call ---------------

def run_pass(be, w_in, w_out, ids, table, window, K, batch, lr=0.05, done=0.0, total=5000.0, seed=7, offset=123):
    a, b = be.asarray(w_in.copy()), be.asarray(w_out.copy())
    losses, pairs = be.sgns_train(a, b, be.asarray(ids), be.asarray(table), window, K, batch, lr, done, total,
                                  seed, offset)
    return be.to_numpy(losses), pairs, be.to_numpy(a), be.to_numpy(b)


def pass_inputs(rng, V, D, N, S=500):
    w_in, w_out, *_ = batch(rng, V, D, 0, 0)
    ids = rng.integers(0, V, N).astype(np.int32)
    return w_in, w_out, ids, W.unigram_table(np.bincount(ids, minlength=V) + 1, S)


# (V, D, N, window, K, batch, offset): N > 256 scans several tiles on the GPU; a batch that does not
# divide the pairs; no negatives; one word (no pairs); an offset whose 32-bit halves both matter.
PASSES = [(20, 16, 300, 3, 4, 64, 123), (8, 33, 700, 5, 5, 100, 2**33 + 3), (12, 8, 90, 2, 0, 17, 0),
          (5, 4, 1, 2, 3, 8, 9), (40, 1, 50, 1, 2, 1000, 2**32 - 2)]


@pytest.mark.parametrize("V,D,N,window,K,bsz,offset", PASSES)
def test_sgns_train_matches_reference(backend, rng, V, D, N, window, K, bsz, offset):
    w_in, w_out, ids, table = pass_inputs(rng, V, D, N)
    got = run_pass(backend, w_in, w_out, ids, table, window, K, bsz, offset=offset)
    ref_ = run_pass(ref, w_in, w_out, ids, table, window, K, bsz, offset=offset)
    assert got[1] == ref_[1]
    assert_agree(got[0], ref_[0], rtol=1e-5, atol=1e-6, name="losses")
    assert_agree(got[2], ref_[2], rtol=1e-4, atol=1e-6, name="w_in")
    assert_agree(got[3], ref_[3], rtol=1e-4, atol=1e-6, name="w_out")


def test_sgns_train_is_sgns_step_on_the_pairs_and_negatives_of_its_stream(rng):
    # The layout pystory/sgns.py documents: windows at offset .. offset+N-1, then K words per pair.
    w_in, w_out, ids, table = pass_inputs(rng, 15, 6, 200)
    seed, offset, K, bsz, lr, done, total = 3, 1000, 3, 50, 0.1, 20.0, 900.0
    losses, pairs, a, b = run_pass(ref, w_in, w_out, ids, table, 2, K, bsz, lr, done, total, seed, offset)
    c, x = W.skipgram_pairs(ids, 2, Philox(seed, offset))
    negs = table[Philox(seed, offset + ids.size).randint(c.size * K, 0, table.size)].reshape(-1, K)
    ea, eb, expected = w_in.copy(), w_out.copy(), []
    for s in range(0, c.size, bsz):
        expected.append(W.sgns_step(ea, eb, c[s:s + bsz], x[s:s + bsz], negs[s:s + bsz],
                                    lr * max(1e-4, 1 - (done + s) / total)))
    assert pairs == c.size and len(losses) == -(-c.size // bsz)
    assert_agree(losses, np.array(expected, np.float32), rtol=1e-6, atol=0, name="losses")
    assert_agree(a, ea, rtol=0, atol=0, name="w_in")


def test_sgns_train_of_nothing_changes_nothing(backend, rng):
    w_in, w_out, _, table = pass_inputs(rng, 6, 4, 0)
    losses, pairs, a, b = run_pass(backend, w_in, w_out, np.zeros(0, np.int32), table, 3, 2, 8)
    assert pairs == 0 and losses.shape == (0,)
    assert_agree(a, w_in, rtol=0, atol=0)
    assert_agree(b, w_out, rtol=0, atol=0)


def test_sgns_train_rejects_an_empty_table_when_negatives_are_asked_for(backend, rng):
    w_in, w_out, ids, _ = pass_inputs(rng, 6, 4, 10)
    with pytest.raises(ValueError, match=r"sgns_train: argument 'table' is empty but negatives > 0"):
        run_pass(backend, w_in, w_out, ids, np.zeros(0, np.int32), 2, 3, 8)


def test_sgns_train_rejects_a_stream_that_would_wrap(backend, rng):
    w_in, w_out, ids, table = pass_inputs(rng, 6, 4, 10)
    with pytest.raises(ValueError, match=r"sgns_train: offset \+ \(1 \+ 2 \* window \* negatives\)"):
        run_pass(backend, w_in, w_out, ids, table, 2, 3, 8, offset=2**64 - 50)


def test_sgns_train_rejects_word_ids_outside_the_vocabulary(backend, rng):
    w_in, w_out, ids, table = pass_inputs(rng, 6, 4, 10)
    ids[3] = 6
    with pytest.raises(ValueError, match=r"sgns_train: argument 'ids' holds 6, outside \[0, V\) = \[0, 6\)"):
        run_pass(backend, w_in, w_out, ids, table, 2, 3, 8)


def test_negative_table_follows_unigram_to_the_three_quarters():
    counts = np.array([1000, 100, 10, 1])
    table = W.unigram_table(counts, size=100_000)
    share = np.bincount(table, minlength=4) / table.size
    assert_agree(share, counts ** 0.75 / np.sum(counts ** 0.75), rtol=1e-3, atol=1e-4)


def test_subsampling_keeps_rare_words_and_drops_frequent_ones():
    counts = np.array([1_000_000, 1000, 10])
    keep = W.keep_probability(counts, t=1e-3)
    assert keep[2] == 1.0 and keep[1] == 1.0
    assert keep[0] < 0.05
    ids = np.repeat(np.arange(3, dtype=np.int32), [50_000, 500, 5])
    kept = W.subsample(ids, counts, Philox(0), t=1e-3)
    assert np.sum(kept == 2) == 5 and np.sum(kept == 1) == 500 and np.sum(kept == 0) < 0.05 * 50_000


def test_skipgram_pairs_stay_within_the_window():
    ids = np.arange(100, dtype=np.int32)     # id == position, so a pair's distance is visible
    c, x = W.skipgram_pairs(ids, 3, Philox(1))
    assert np.all(np.abs(c - x) >= 1) and np.all(np.abs(c - x) <= 3)
    assert np.all(np.diff(c) >= 0)           # in order of the center
    # every center has its nearest neighbours (window >= 1)
    assert set(x[c == 50]) >= {49, 51}


def test_training_gives_the_same_loss_curve_on_numpy_and_c():
    ids, counts = toy_corpus()
    kw = dict(dim=16, window=2, negatives=3, epochs=1, lr=0.05, batch=64, seed=5, table_size=10_000)
    wn, _, ln = W.train(ids, counts, backend="numpy", **kw)
    wc, _, lc = W.train(ids, counts, backend="c", **kw)
    assert len(ln) == len(lc) > 20
    assert_agree(lc, ln, rtol=1e-4, atol=1e-5, name="loss curve")
    assert_agree(wc, wn, rtol=1e-3, atol=1e-5, name="w_in after training")
    assert ln[-5:].mean() < ln[:5].mean()     # it learns


def test_training_a_few_steps_on_the_emulator_matches_numpy():
    ids, counts = toy_corpus(n=300)
    kw = dict(dim=8, window=2, negatives=2, epochs=1, lr=0.05, batch=64, seed=5, table_size=1000)
    _, _, ln = W.train(ids, counts, backend="numpy", **kw)
    _, _, le = W.train(ids, counts, backend="emu", **kw)
    assert_agree(le, ln, rtol=1e-4, atol=1e-5, name="loss curve")


def test_training_learns_which_words_go_together():
    ids, counts = synonym_corpus(n=20_000)
    vocab = W.Vocab([f"w{i}" for i in range(len(counts))], counts, {f"w{i}": i for i in range(len(counts))})
    w, _, _ = W.train(ids, counts, dim=16, window=1, negatives=5, lr=0.05, batch=128, seed=1,
                      sample=1.0, backend="c")
    # Words 2g and 2g+1 are interchangeable (same neighbours): each one's nearest word is its twin.
    hits = sum(W.nearest(w, vocab, f"w{i}", k=1)[0][0] == f"w{i ^ 1}" for i in range(len(counts)))
    assert hits >= 0.8 * len(counts)


def synonym_corpus(n, groups=10):
    """Groups 0, 1, 2, ... follow each other in a cycle; group g is written as
    word 2g or 2g+1 at random, so the two words of a group share their contexts."""
    g = np.arange(n) % groups
    ids = (2 * g + np.random.default_rng(0).integers(0, 2, n)).astype(np.int32)
    return ids, np.bincount(ids, minlength=2 * groups).astype(np.int64)


def toy_corpus(n=2000, pairs=10):
    """A sequence of 2 * pairs words that always come as (2k, 2k+1) bigrams."""
    k = np.random.default_rng(0).integers(0, pairs, n)
    ids = np.stack([2 * k, 2 * k + 1], 1).reshape(-1).astype(np.int32)
    return ids, np.bincount(ids, minlength=2 * pairs).astype(np.int64)


# --- bad input -------------------------------------------------------------------

@pytest.mark.parametrize("which", ["centers", "contexts", "negatives"])
@pytest.mark.parametrize("bad", [-1, 10])
def test_sgns_step_rejects_word_ids_out_of_range(backend, rng, which, bad):
    w_in, w_out, c, x, n = batch(rng, 10, 4, 3, 2)
    {"centers": c, "contexts": x, "negatives": n}[which].flat[1] = bad
    args = [backend.asarray(a) for a in (w_in, w_out, c, x, n)]
    with pytest.raises(ValueError, match=rf"sgns_step: argument '{which}' holds -?\d+, outside \[0, V\) = \[0, 10\)"):
        backend.sgns_step(*args, 0.1)


def test_sgns_step_rejects_mismatched_weights(backend, rng):
    w_in, _, c, x, n = batch(rng, 10, 4, 3, 2)
    args = [backend.asarray(a) for a in (w_in, np.zeros((10, 5), np.float32), c, x, n)]
    with pytest.raises(ValueError, match=r"sgns_step: argument 'w_out' must have shape \(V, D\) = \(10, 4\) \(V, D as in 'w_in'\), got \(10, 5\)"):
        backend.sgns_step(*args, 0.1)


def test_sgns_step_rejects_float64_weights(backend, rng):
    w_in, w_out, c, x, n = batch(rng, 10, 4, 3, 2)
    args = [backend.asarray(a) for a in (w_in.astype(np.float64), w_out, c, x, n)]
    with pytest.raises(TypeError, match=r"sgns_step: argument 'w_in' must have dtype float32"):
        backend.sgns_step(*args, 0.1)


def test_sgns_step_rejects_negatives_of_wrong_batch(backend, rng):
    w_in, w_out, c, x, _ = batch(rng, 10, 4, 3, 2)
    args = [backend.asarray(a) for a in (w_in, w_out, c, x, np.zeros((4, 2), np.int32))]
    with pytest.raises(ValueError, match=r"sgns_step: argument 'negatives' must have shape \(B, K\) = \(3, K\) \(B as in 'centers'\), got \(4, 2\)"):
        backend.sgns_step(*args, 0.1)


def test_sgns_step_rejects_nan_learning_rate(backend, rng):
    args = [backend.asarray(a) for a in batch(rng, 10, 4, 3, 2)]
    with pytest.raises(ValueError, match=r"sgns_step: argument 'lr' must be finite"):
        backend.sgns_step(*args, float("nan"))


def test_sgns_step_rejects_the_same_array_twice(backend, rng):
    w_in, _, c, x, n = batch(rng, 10, 4, 3, 2)
    w = backend.asarray(w_in)
    with pytest.raises(ValueError, match=r"sgns_step: arguments 'w_in' and 'w_out' must be different buffers"):
        backend.sgns_step(w, w, *[backend.asarray(a) for a in (c, x, n)], 0.1)
