"""Chapter 02: word2vec's op — one step of skip-gram with negative sampling (NumPy reference).

Each word w has two vectors: w_in[w] (as a center word) and w_out[w] (as a
context word). For a center c and a word o seen near it, the model should
score s = w_in[c] . w_out[o] high; for K "negative" words drawn at random
(from the unigram distribution raised to 0.75) it should score low:

    loss(c, o, n_1..n_K) = -log sigma(w_in[c] . w_out[o]) - sum_k log sigma(-w_in[c] . w_out[n_k])

Its gradient with respect to the score of output word j is g_j = sigma(s_j) - label_j
(label 1 for the context, 0 for a negative), so

    d w_out[j] = g_j * w_in[c]          d w_in[c] = sum_j g_j * w_out[j]

The ops (the same names in csrc/word2vec.c and cuda/word2vec.cu):

    sgns_step(w_in, w_out, centers, contexts, negatives, lr) -> loss
    sgns_train(w_in, w_out, ids, table, window, negatives, batch, lr, done, total, seed, offset)
        -> losses (one per batch), pairs

    w_in, w_out: (V, D) float32, updated IN PLACE
    centers, contexts: (B,) int32; negatives: (B, K) int32
    lr: the step size per pair, as in word2vec's C code
    returns the mean loss of the B pairs, computed before the update.

One step is one minibatch of SGD on the SUM of the B pair losses: every
gradient is computed from the weights as they were at the start of the step,
and then all updates are applied (a word that occurs several times in the
batch gets the sum of its updates). That makes the result independent of
the order of the pairs up to float rounding, so NumPy, C (which sums in the
same order as NumPy) and CUDA (which adds with atomics) agree to float
tolerance. The original word2vec instead updates after every pair, in
parallel threads without locks ("Hogwild").

sgns_train is a whole pass over a (subsampled) id sequence in ONE call: it
makes the skip-gram pairs, draws the negatives and takes every minibatch
step. Called from Python once per batch, the step spent as long in the
interpreter (slicing, checking, drawing) as in C; the pass needs one call.
Its random numbers come from Philox(seed) at `offset`, so every backend makes
the same pairs and the same negatives:

    words offset .. offset+N-1            the window b_i in [1, window] of each center i
    words offset+N+p*K .. offset+N+p*K+K-1   the K negatives of pair p (indices into `table`)

The vocabulary, subsampling, the negative table, nearest words and the
epoch loop are in pystory/word2vec.py, above the backend registry.
"""
import numpy as np

from pystory.declare import array, declare, float32, int32, integer, number
from pystory.philox import OFFSET, SEED, philox_randint

__all__ = ["sgns_step", "sgns_train"]


def sigmoid(s):
    # Stable for any s: exp of a non-positive number never overflows.
    e = np.exp(-np.abs(s))
    return np.where(s >= 0, 1 / (1 + e), e / (1 + e))


def softplus(x):
    # log(1 + exp(x)) without overflow: max(x, 0) + log(1 + exp(-|x|)).
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def sgns_loss(w_in, w_out, centers, contexts, negatives):
    """The SUM over the batch of the pair losses (what sgns_step descends)."""
    v = w_in[centers]                                           # (B, D)
    out_ids = np.concatenate([contexts[:, None], negatives], 1)  # (B, 1 + K)
    s = np.einsum("bd,bkd->bk", v, w_out[out_ids])              # (B, 1 + K) scores
    return softplus(-s[:, 0]).sum() + softplus(s[:, 1:]).sum()


@declare(w_in=array(float32, "(V, D)"), w_out=array(float32, "(V, D)"), centers=array(int32, "(B,) in [0, V)"),
         contexts=array(int32, "(B,) in [0, V)"), negatives=array(int32, "(B, K) in [0, V)"), lr=number(),
         writes=("w_in", "w_out"), distinct=("w_in", "w_out"), returns="loss float")
def sgns_step(w_in, w_out, centers, contexts, negatives, lr):
    # w_in, w_out: (V, D); centers, contexts: (B,); negatives: (B, K) -> mean loss (float)
    B = centers.shape[0]
    if B == 0:
        return 0.0
    dt = w_in.dtype.type
    v = w_in[centers]                                            # (B, D)    center vectors
    out_ids = np.concatenate([contexts[:, None], negatives], 1)  # (B, 1+K)  the context, then the negatives
    u = w_out[out_ids]                                           # (B, 1+K, D)
    s = np.einsum("bd,bkd->bk", v, u)                            # (B, 1+K)  scores
    label = np.zeros_like(s)
    label[:, 0] = 1
    g = sigmoid(s) - label                                       # d loss / d s
    loss = softplus(-s[:, 0]) + softplus(s[:, 1:]).sum(axis=1)   # (B,) per pair
    dv = np.einsum("bk,bkd->bd", g, u)                           # d loss / d w_in[center]
    coef = dt(-lr) * g                                           # (B, 1+K)
    # The scatter-adds of chapter 02's embedding backward, applied in place:
    np.add.at(w_out, out_ids.reshape(-1), (coef[:, :, None] * v[:, None, :]).reshape(-1, v.shape[1]))
    np.add.at(w_in, centers, dt(-lr) * dv)
    return float(loss.astype(np.float64).mean())


# --- a whole pass in one op -------------------------------------------------------

def skipgram_pairs(ids, window, seed, offset):
    """All (center, context) pairs of the id sequence, with word2vec's dynamic
    window: for center i a window b_i in [1, window] is drawn (Philox word
    offset + i), and the words at distance 1..b_i on both sides are its contexts
    (near words count more often). Order: by center; for each center the
    context at distance 1 left, 1 right, 2 left, 2 right, ...
    Returns (centers, contexts): (P,) int32 each."""
    n = ids.size
    b = philox_randint(seed, offset, n, 1, window + 1)           # (n,) window of each center
    pos = np.arange(n)
    cs, xs = [], []
    for d in range(1, window + 1):
        for sign in (-1, 1):
            j = pos + sign * d
            ok = (d <= b) & (j >= 0) & (j < n)
            cs.append(pos[ok])
            xs.append(j[ok])
    c, x = np.concatenate(cs), np.concatenate(xs)
    order = np.argsort(c, kind="stable")                         # by center, distance order kept
    return ids[c[order]].astype(np.int32), ids[x[order]].astype(np.int32)


def step_lr(lr, done, total):
    """word2vec's learning rate after `done` of `total` pairs: linear decay, floored at lr * 1e-4."""
    return lr * max(1e-4, 1.0 - done / total)


def stream_fits(N, window, negatives, offset):
    """The Philox words the pass may read (N windows, then at most 2 * window * N * K negatives)
    must stay below 2^64."""
    if offset + N + 2 * window * N * negatives + 4 > 2**64:
        return "offset + (1 + 2 * window * negatives) * len(ids) must stay below 2^64 (the Philox counter would wrap)"


def negatives_have_a_table(S, negatives):
    """Negatives are drawn from the table: with negatives > 0 it must not be empty."""
    if negatives > 0 and S == 0:
        return "argument 'table' is empty but negatives > 0: pass the unigram table (pystory.word2vec.unigram_table)"


def batch_draws_fit(batch, negatives):
    """One batch draws batch * negatives numbers in one Philox call: fewer than 2^31."""
    if batch * negatives >= 2**31:
        return "batch * negatives must be below 2^31"


@declare(w_in=array(float32, "(V, D)"), w_out=array(float32, "(V, D)"), ids=array(int32, "(N,) in [0, V)"),
         table=array(int32, "(S,) in [0, V)"), window=integer("[1, 2^10)"), negatives=integer("[0, 2^10)"),
         batch=integer("[1, 2^20)"), lr=number(), done=number("[0, inf)"), total=number("(0, inf)"),
         seed=SEED, offset=OFFSET, checks=[stream_fits, negatives_have_a_table, batch_draws_fit],
         writes=("w_in", "w_out"), distinct=("w_in", "w_out"), returns="losses (NB,), pairs int")
def sgns_train(w_in, w_out, ids, table, window, negatives, batch, lr, done, total, seed, offset):
    # w_in, w_out: (V, D), updated in place; ids: (N,) one pass of (subsampled) word ids;
    # table: (S,) the unigram table negatives are drawn from -> (losses (NB,), pairs)
    # Batch k holds pairs [k * batch, (k + 1) * batch) and steps with step_lr(lr, done + k * batch, total).
    N, K = ids.shape[0], negatives
    centers, contexts = skipgram_pairs(ids, window, seed, offset)
    P = centers.size
    losses = []
    for start in range(0, P, batch):
        end = min(P, start + batch)
        draws = philox_randint(seed, offset + N + start * K, (end - start) * K, 0, max(1, table.size))
        negs = table[draws].reshape(end - start, K) if K else np.zeros((end - start, 0), np.int32)
        losses.append(sgns_step(w_in, w_out, centers[start:end], contexts[start:end], negs,
                                step_lr(lr, done + start, total)))
    return np.array(losses, np.float32), int(P)
