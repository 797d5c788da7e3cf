"""Launches of cuda/embedding.cu (chapter 02) for the cuda and emu backends; checks: pystory/embedding.py."""
import numpy as np

from pystory.gpu import blocks

THREADS = 256


def embedding_forward(dev, ids, table, C):
    # ids: (*S,) int32, table: (V, C) float32 -> out: (*S, C); one thread per output value
    out = dev.xp.empty(ids.shape + (C,), np.float32)
    dev.kernel("embedding", "embedding_forward_kernel")(
        (blocks(out.size, THREADS),), (THREADS,), (out, ids, table, np.int32(ids.size), np.int32(C)))
    return out


def embedding_backward(dev, ids, dout, vocab, version, C):
    # ids: (*S,) int32, dout: (*S, C) float32 -> dtable: (vocab, C), the scatter-add of dout by ids
    dtable = dev.xp.zeros((vocab, C), np.float32)
    N = ids.size
    if version == "atomic":
        dev.kernel("embedding", "embedding_backward_atomic_kernel")(
            (blocks(N * C, THREADS),), (THREADS,), (dtable, ids, dout, np.int32(N), np.int32(C)))
        return dtable
    # deterministic: sort the tokens by (id, position). The key id * N + position
    # is unique, so any sort (stable or not, CuPy's radix sort or NumPy's) gives
    # the same order, and within one id the tokens keep their position order.
    flat = ids.reshape(-1)
    key = flat.astype(np.int64) * max(N, 1) + dev.xp.arange(N, dtype=np.int64)
    perm = dev.xp.argsort(key).astype(np.int32)
    sorted_ids = dev.xp.ascontiguousarray(flat[perm])
    dev.kernel("embedding", "embedding_backward_deterministic_kernel")(
        (vocab, blocks(C, THREADS)), (THREADS,), (dtable, sorted_ids, perm, dout, np.int32(N), np.int32(C)))
    return dtable


def sinusoidal_positions(dev, T, C):
    # -> (T, C) float32; one thread per value
    out = dev.xp.empty((T, C), np.float32)
    dev.kernel("embedding", "sinusoidal_positions_kernel")((blocks(T * C, THREADS),), (THREADS,),
                                                           (out, np.int32(T), np.int32(C)))
    return out


def encoder_forward(dev, ids, wte, wpe, B, T, C):
    # ids: (B, T) int32, wte: (V, C), wpe: (maxT, C) float32 -> out: (B, T, C)
    out = dev.xp.empty((B, T, C), np.float32)
    dev.kernel("embedding", "encoder_forward_kernel")(
        (blocks(out.size, THREADS),), (THREADS,), (out, ids, wte, wpe, np.int32(B), np.int32(T), np.int32(C)))
    return out


def encoder_backward(dev, ids, dout, vocab, max_t, version, B, T, C):
    # ids: (B, T) int32, dout: (B, T, C) float32 -> dwte: (vocab, C), dwpe: (max_t, C)
    dwte = embedding_backward(dev, ids, dout, vocab, version, C)
    dwpe = dev.xp.zeros((max_t, C), np.float32)           # rows t >= T stay zero
    dev.kernel("embedding", "encoder_backward_wpe_kernel")(
        (blocks(T * C, THREADS),), (THREADS,), (dwpe, dout, np.int32(B), np.int32(T), np.int32(C)))
    return dwte, dwpe
