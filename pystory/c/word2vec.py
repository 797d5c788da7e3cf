"""C backend binding for chapter 02's word2vec step (csrc/word2vec.c); checks: pystory/sgns.py."""
import numpy as np

from pystory.c import ext, ptr


def sgns_step(w_in, w_out, centers, contexts, negatives, lr, V, B, K, D):
    # w_in, w_out: (V, D) float32, updated in place; centers, contexts: (B,); negatives: (B, K) -> mean loss
    scratch = np.empty(B * (K + 2) + B * D, np.float32)
    return float(ext().lib.sgns_step(ptr(w_in), ptr(w_out), ptr(centers), ptr(contexts), ptr(negatives),
                                     lr, ptr(scratch), V, B, K, D))


def sgns_train(w_in, w_out, ids, table, window, negatives, batch, lr, done, total, seed, offset, V, N, S, D):
    # w_in, w_out: (V, D) float32, updated in place; ids: (N,); table: (S,) -> (losses (NB,), pairs)
    K = negatives
    most = -(-min(2 * window * N, N * (N - 1)) // batch)   # at most 2 * window pairs per center
    losses = np.empty(max(1, most), np.float32)
    scratch_i = np.empty(N + batch * (K + 2), np.int32)
    scratch_f = np.empty(batch * (K + 2) + batch * D, np.float32)
    pairs = ext().lib.sgns_train(ptr(w_in), ptr(w_out), ptr(ids), ptr(table), ptr(losses), ptr(scratch_i),
                                 ptr(scratch_f), window, K, batch, lr, done, total, seed, offset, V, N, S, D)
    return losses[:-(-pairs // batch)].copy(), int(pairs)
