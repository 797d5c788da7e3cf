"""C backend binding for chapter 02's word2vec step (csrc/word2vec.c)."""
import numpy as np

from pystory.c import ext, ptr
from pystory.check import legacy_check_array as check_array, check_scalar

__all__ = ["sgns_step"]


def check_sgns_args(check, w_in, w_out, centers, contexts, negatives, lr, xp=np):
    """The checks shared by the c, cuda and emu bindings. `check` is check_array
    or a device's check. Returns (lr, V, B, K, D)."""
    op = "sgns_step"
    lr = check_scalar(op, "lr", lr)
    check(op, "w_in", w_in, np.float32, ndim=2)
    V, D = w_in.shape
    check(op, "w_out", w_out, np.float32, shape=(V, D))
    check(op, "centers", centers, np.int32, ndim=1)
    B = centers.shape[0]
    check(op, "contexts", contexts, np.int32, shape=(B,))
    check(op, "negatives", negatives, np.int32, shape=(B, None))
    if w_in is w_out or (xp is np and np.shares_memory(w_in, w_out)):
        raise ValueError(f"{op}: 'w_in' and 'w_out' must be different arrays")
    for name, ids in (("centers", centers), ("contexts", contexts), ("negatives", negatives)):
        if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= V):
            raise ValueError(f"{op}: argument '{name}' holds a word id outside [0, {V})")
    return lr, V, B, negatives.shape[1], D


def sgns_step(w_in, w_out, centers, contexts, negatives, lr):
    # w_in, w_out: (V, D) float32, updated in place; centers, contexts: (B,); negatives: (B, K) -> mean loss
    lr, V, B, K, D = check_sgns_args(check_array, w_in, w_out, centers, contexts, negatives, lr)
    scratch = np.empty(B * (K + 2) + B * D, np.float32)
    return float(ext().lib.sgns_step(ptr(w_in), ptr(w_out), ptr(centers), ptr(contexts), ptr(negatives),
                                     lr, ptr(scratch), V, B, K, D))
