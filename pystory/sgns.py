"""Chapter 02: word2vec's op — one step of skip-gram with negative sampling (NumPy reference).

Each word w has two vectors: w_in[w] (as a center word) and w_out[w] (as a
context word). For a center c and a word o seen near it, the model should
score s = w_in[c] . w_out[o] high; for K "negative" words drawn at random
(from the unigram distribution raised to 0.75) it should score low:

    loss(c, o, n_1..n_K) = -log sigma(w_in[c] . w_out[o]) - sum_k log sigma(-w_in[c] . w_out[n_k])

Its gradient with respect to the score of output word j is g_j = sigma(s_j) - label_j
(label 1 for the context, 0 for a negative), so

    d w_out[j] = g_j * w_in[c]          d w_in[c] = sum_j g_j * w_out[j]

The op (the same name in csrc/word2vec.c and cuda/word2vec.cu):

    sgns_step(w_in, w_out, centers, contexts, negatives, lr) -> loss

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

The data side and the training loop (vocabulary, subsampling, negatives, pairs,
train, nearest words) are in pystory/word2vec.py, above the backend registry.
"""
import numpy as np

from pystory.declare import array, declare, float32, int32, number

__all__ = ["sgns_step"]


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
