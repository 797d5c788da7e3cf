"""C backend bindings for chapter 01 (csrc/tokenizer.c): byte-level BPE."""
import numpy as np

from pystory.c import ext, ptr
from pystory.check import legacy_check_array as check_array, check_scalar

__all__ = ["pretokenize", "unique_words", "bpe_count_pairs", "bpe_merge", "bpe_train", "bpe_encode"]

MAX_VOCAB = 65536


def check_offsets(op, offsets, n):
    """offsets: (W+1,) int32, offsets[0] == 0, non-decreasing, offsets[-1] == n.
    C trusts them as array bounds, so they are checked in full."""
    check_array(op, "offsets", offsets, np.int32, ndim=1, min_size=1)
    if offsets[0] != 0 or offsets[-1] != n or (offsets.size > 1 and np.any(np.diff(offsets) < 0)):
        raise ValueError(f"{op}: argument 'offsets' must start at 0, never decrease and end at "
                         f"the data length {n}")
    return offsets.size - 1


def check_counts(op, counts, W):
    check_array(op, "counts", counts, np.int32, shape=(W,))
    if counts.size and counts.min() < 0:
        raise ValueError(f"{op}: argument 'counts' must be >= 0")


def check_merges(op, merges):
    check_array(op, "merges", merges, np.int32, ndim=2)
    if merges.shape[1] != 2:
        raise ValueError(f"{op}: argument 'merges' must have shape (M, 2), got {merges.shape}")
    M = merges.shape[0]
    if 256 + M + 1 > MAX_VOCAB:
        raise ValueError(f"{op}: argument 'merges' has {M} merges; at most {MAX_VOCAB - 257} are supported")
    if M and (merges.min() < 0 or np.any(merges.max(axis=1) >= 256 + np.arange(M))):
        raise ValueError(f"{op}: argument 'merges': merge m may only use ids below 256 + m")
    return M


def pretokenize(data):
    # data: (N,) uint8 -> offsets: (W+1,) int32
    check_array("pretokenize", "data", data, np.uint8, ndim=1)
    offsets = np.empty(data.size + 1, np.int32)
    W = ext().lib.pretokenize(ptr(offsets), ptr(data), data.size)
    return offsets[:W + 1].copy()


def unique_words(data, offsets):
    # data: (N,) uint8, offsets: (W+1,) -> first: (U,) int32, counts: (U,) int32
    check_array("unique_words", "data", data, np.uint8, ndim=1)
    W = check_offsets("unique_words", offsets, data.size)
    first = np.empty(W, np.int32)
    counts = np.empty(W, np.int32)
    U = ext().lib.unique_words(ptr(first), ptr(counts), ptr(data), ptr(offsets), W)
    if U < 0:
        raise MemoryError("unique_words: out of memory")
    return first[:U].copy(), counts[:U].copy()


def bpe_count_pairs(ids, offsets, counts, vocab_size):
    # ids: (N,) int32, offsets: (W+1,), counts: (W,) int32 -> hist: (V, V) int32
    V = check_scalar("bpe_count_pairs", "vocab_size", vocab_size, int)
    if not 1 <= V <= MAX_VOCAB:
        raise ValueError(f"bpe_count_pairs: argument 'vocab_size' must be in [1, {MAX_VOCAB}], got {V}")
    check_array("bpe_count_pairs", "ids", ids, np.int32, ndim=1)
    W = check_offsets("bpe_count_pairs", offsets, ids.size)
    check_counts("bpe_count_pairs", counts, W)
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(f"bpe_count_pairs: argument 'ids' must be in [0, {V})")
    hist = np.empty((V, V), np.int32)
    ext().lib.bpe_count_pairs(ptr(hist), ptr(ids), ptr(offsets), ptr(counts), W, V)
    return hist


def bpe_merge(ids, offsets, a, b, new_id):
    # ids: (N,) int32, offsets: (W+1,) -> (ids: (N',) int32, offsets: (W+1,) int32)
    check_array("bpe_merge", "ids", ids, np.int32, ndim=1)
    W = check_offsets("bpe_merge", offsets, ids.size)
    a, b, new_id = (check_scalar("bpe_merge", k, v, int) for k, v in (("a", a), ("b", b), ("new_id", new_id)))
    out = np.empty(ids.size, np.int32)
    out_offsets = np.empty(W + 1, np.int32)
    n = ext().lib.bpe_merge(ptr(out), ptr(out_offsets), ptr(ids), ptr(offsets), W, a, b, new_id)
    return out[:n].copy(), out_offsets


def bpe_train(data, offsets, counts, n_merges):
    # data: (N,) uint8, offsets: (W+1,), counts: (W,) int32 -> merges: (M, 2) int32, M <= n_merges
    n_merges = check_scalar("bpe_train", "n_merges", n_merges, int)
    if not 0 <= n_merges <= MAX_VOCAB - 257:
        raise ValueError(f"bpe_train: argument 'n_merges' must be in [0, {MAX_VOCAB - 257}], got {n_merges}")
    check_array("bpe_train", "data", data, np.uint8, ndim=1)
    W = check_offsets("bpe_train", offsets, data.size)
    check_counts("bpe_train", counts, W)
    merges = np.empty((n_merges, 2), np.int32)
    M = ext().lib.bpe_train(ptr(merges), ptr(data), ptr(offsets), ptr(counts), W, n_merges)
    if M < 0:
        raise MemoryError("bpe_train: out of memory")
    return merges[:M].copy()


def bpe_encode(data, offsets, merges):
    # data: (N,) uint8, offsets: (W+1,), merges: (M, 2) int32 -> (ids: (K,) int32, token_offsets: (W+1,) int32)
    check_array("bpe_encode", "data", data, np.uint8, ndim=1)
    W = check_offsets("bpe_encode", offsets, data.size)
    M = check_merges("bpe_encode", merges)
    out = np.empty(data.size, np.int32)
    token_offsets = np.empty(W + 1, np.int32)
    n = ext().lib.bpe_encode(ptr(out), ptr(token_offsets), ptr(data), ptr(offsets), W, ptr(merges), M)
    if n < 0:
        raise MemoryError("bpe_encode: out of memory")
    return out[:n].copy(), token_offsets
