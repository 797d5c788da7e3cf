"""C backend binding for chapter 02's word2vec step (csrc/word2vec.c); checks: pystory/sgns.py."""
import numpy as np

from pystory.c import ext, ptr


def sgns_step(w_in, w_out, centers, contexts, negatives, lr, V, B, K, D):
    # w_in, w_out: (V, D) float32, updated in place; centers, contexts: (B,); negatives: (B, K) -> mean loss
    scratch = np.empty(B * (K + 2) + B * D, np.float32)
    return float(ext().lib.sgns_step(ptr(w_in), ptr(w_out), ptr(centers), ptr(contexts), ptr(negatives),
                                     lr, ptr(scratch), V, B, K, D))
