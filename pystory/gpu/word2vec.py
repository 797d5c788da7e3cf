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


def _halves(v):
    # A 64-bit seed or offset as the (lo, hi) 32-bit halves the kernels take (as in pystory/gpu/philox.py).
    return np.uint32(v & 0xFFFFFFFF), np.uint32(v >> 32)


def sgns_train(dev, w_in, w_out, ids, table, window, negatives, batch, lr, done, total, seed, offset, V, N, S, D):
    # w_in, w_out: (V, D) float32, updated in place; ids: (N,); table: (S,) -> (losses (NB,), pairs)
    from pystory.sgns import step_lr
    xp, K = dev.xp, negatives
    win, count, start = xp.empty(N, np.int32), xp.empty(N, np.int32), xp.empty(N + 1, np.int64)
    dev.kernel("word2vec", "skipgram_count_kernel")((blocks(N, 256),), (256,),
                                                    (win, count, *_halves(seed), *_halves(offset), np.int32(N),
                                                     np.int32(window)))
    dev.kernel("word2vec", "exclusive_scan_kernel")((1,), (256,), (start, count, np.int32(N)))
    P = int(start[N]) if N else 0                 # the one value the host needs: how many pairs
    centers, contexts = xp.empty(P, np.int32), xp.empty(P, np.int32)
    dev.kernel("word2vec", "skipgram_pairs_kernel")((blocks(N, 256),), (256,),
                                                    (centers, contexts, ids, win, start, np.int32(N)))
    nb = -(-P // batch)
    pair_loss = xp.empty(P, np.float32)           # each pair's loss, written by sgns_grad_kernel
    negs = xp.empty((min(batch, P), K), np.int32)
    g, dv, vcopy = (xp.empty((min(batch, P), n), np.float32) for n in (K + 1, D, D))
    for k in range(nb):                           # one batch after the other: each reads the last one's update
        s, e = k * batch, min(P, (k + 1) * batch)
        B = e - s
        neg = negs[:B]
        dev.kernel("word2vec", "sgns_negatives_kernel")(
            (min(blocks(B * K, 256), 4096),), (256,),
            (neg, table, *_halves(seed), *_halves(offset + N + s * K), np.int64(B * K), np.uint32(max(S, 1))))
        if D == 0:
            continue
        ids3 = (centers[s:e], contexts[s:e], neg)
        dev.kernel("word2vec", "sgns_grad_kernel")(
            (blocks(B, WARPS),), (32 * WARPS,),
            (g[:B], pair_loss[s:e], dv[:B], vcopy[:B], w_in, w_out, *ids3, np.int32(B), np.int32(K), np.int32(D)))
        dev.kernel("word2vec", "sgns_update_kernel")(
            (blocks(B * D, 256),), (256,),
            (w_in, w_out, g[:B], dv[:B], vcopy[:B], *ids3, np.float32(step_lr(lr, done + s, total)), np.int32(B),
             np.int32(K), np.int32(D)))
    if D == 0:                                    # every score is 0: each of the K + 1 terms is log 2
        pair_loss[:] = (K + 1) * np.log(2.0)
    # The mean loss of each batch, summed in pair order in float64 (as the C code does).
    padded = xp.zeros(nb * batch, np.float64)
    padded[:P] = pair_loss
    sizes = xp.minimum(batch, P - xp.arange(nb) * batch)
    return (padded.reshape(nb, batch).sum(axis=1) / sizes).astype(np.float32), P
