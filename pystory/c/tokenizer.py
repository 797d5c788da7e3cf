"""C backend bindings for chapter 01 (csrc/tokenizer.c); checks: pystory/pretokenize.py, pystory/bpe.py."""
import numpy as np

from pystory.c import ext, ptr


def _done(op, n):
    if n < 0:   # C could not allocate its scratch
        raise MemoryError(f"{op}: out of memory")
    return n


def pretokenize(data):
    # data: (N,) uint8 -> offsets: (W+1,) int32
    offsets = np.empty(data.size + 1, np.int32)
    W = ext().lib.pretokenize(ptr(offsets), ptr(data), data.size)
    return offsets[:W + 1].copy()


def unique_words(data, offsets, W):
    # data: (N,) uint8, offsets: (W+1,) -> first: (U,) int32, counts: (U,) int32
    first, counts = np.empty(W, np.int32), np.empty(W, np.int32)
    U = _done("unique_words", ext().lib.unique_words(ptr(first), ptr(counts), ptr(data), ptr(offsets), W))
    return first[:U].copy(), counts[:U].copy()


def bpe_count_pairs(ids, offsets, counts, vocab_size, W):
    # ids: (N,) int32, offsets: (W+1,), counts: (W,) int32 -> hist: (V, V) int32
    hist = np.empty((vocab_size, vocab_size), np.int32)
    ext().lib.bpe_count_pairs(ptr(hist), ptr(ids), ptr(offsets), ptr(counts), W, vocab_size)
    return hist


def bpe_merge(ids, offsets, a, b, new_id, W):
    # ids: (N,) int32, offsets: (W+1,) -> (ids: (N',) int32, offsets: (W+1,) int32)
    out, out_offsets = np.empty(ids.size, np.int32), np.empty(W + 1, np.int32)
    n = ext().lib.bpe_merge(ptr(out), ptr(out_offsets), ptr(ids), ptr(offsets), W, a, b, new_id)
    return out[:n].copy(), out_offsets


def bpe_train(data, offsets, counts, n_merges, W):
    # data: (N,) uint8, offsets: (W+1,), counts: (W,) int32 -> merges: (M, 2) int32, M <= n_merges
    merges = np.empty((n_merges, 2), np.int32)
    M = _done("bpe_train", ext().lib.bpe_train(ptr(merges), ptr(data), ptr(offsets), ptr(counts), W, n_merges))
    return merges[:M].copy()


def bpe_encode(data, offsets, merges, W, M):
    # data: (N,) uint8, offsets: (W+1,), merges: (M, 2) int32 -> (ids: (K,) int32, token_offsets: (W+1,) int32)
    out, token_offsets = np.empty(data.size, np.int32), np.empty(W + 1, np.int32)
    n = _done("bpe_encode", ext().lib.bpe_encode(ptr(out), ptr(token_offsets), ptr(data), ptr(offsets), W,
                                                 ptr(merges), M))
    return out[:n].copy(), token_offsets
