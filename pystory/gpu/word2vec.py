"""Launches of cuda/word2vec.cu (chapter 02) for the cuda and emu backends; checks: pystory/sgns.py."""
import numpy as np

from pystory.gpu import blocks

WARPS = 8  # pairs per block in sgns_grad_kernel


def sgns_step(dev, w_in, w_out, centers, contexts, negatives, lr, B, K, D):
    # w_in, w_out: (V, D) float32, updated in place; centers, contexts: (B,); negatives: (B, K) -> mean loss
    if B == 0:
        return 0.0
    xp = dev.xp
    g = xp.empty((B, K + 1), np.float32)
    loss = xp.empty(B, np.float32)
    dv = xp.empty((B, D), np.float32)
    vcopy = xp.empty((B, D), np.float32)
    if D:
        ids = (centers, contexts, negatives)
        dev.kernel("word2vec", "sgns_grad_kernel")(
            (blocks(B, WARPS),), (32 * WARPS,),
            (g, loss, dv, vcopy, w_in, w_out, *ids, np.int32(B), np.int32(K), np.int32(D)))
        dev.kernel("word2vec", "sgns_update_kernel")(
            (blocks(B * D, 256),), (256,),
            (w_in, w_out, g, dv, vcopy, *ids, np.float32(lr), np.int32(B), np.int32(K), np.int32(D)))
    else:
        return float((K + 1) * np.log(2.0))  # D = 0: every score is 0, each of the K + 1 terms is log 2
    return float(loss.astype(np.float64).sum() / B)
