"""Launches of cuda/tokenizer.cu (chapter 01) for the cuda and emu backends; checks: pystory/pretokenize.py, bpe.py.

Between kernels the arrays are compacted with array operations (flatnonzero,
boolean masks, cumsum, searchsorted) that CuPy runs on the GPU and NumPy on
the CPU: "keep what the kernel marked" is a library call, not a lesson.
"""
import numpy as np

from pystory import pretokenize as reference
from pystory.common import to_numpy
from pystory.gpu import blocks

ARGMAX_THREADS = 256  # bpe_argmax_kernel's shared arrays hold 256 entries


def _word_of(xp, offsets, n):
    # (n,) the word each token belongs to: the last offset <= i.
    return (xp.searchsorted(offsets, xp.arange(n, dtype=np.int32), side="right") - 1).astype(np.int32)


def pretokenize(dev, data):
    # data: (N,) uint8 -> offsets: (W+1,) int32; one thread per byte marks word starts
    xp, n = dev.xp, data.size
    is_start = xp.zeros(n, np.uint8)
    dev.kernel("tokenizer", "pretokenize_kernel")((blocks(n, 256),), (256,), (is_start, data, np.int32(n)))
    return xp.concatenate([xp.flatnonzero(is_start).astype(np.int32), xp.array([n], np.int32)])


def unique_words(dev, data, offsets):
    # data: (N,) uint8, offsets: (W+1,) -> first: (U,) int32, counts: (U,) int32
    # Done on the host with the NumPy reference: hashing strings of varying
    # length is not what a GPU is for, and it runs once per training.
    first, counts = reference.unique_words(to_numpy(data), to_numpy(offsets))
    return dev.xp.asarray(first), dev.xp.asarray(counts)


def _count_pairs(dev, hist, ids, word_of, counts, V):
    hist.fill(0)
    dev.kernel("tokenizer", "bpe_count_pairs_kernel")(
        (blocks(ids.size, 256),), (256,), (hist, ids, word_of, counts, np.int32(ids.size), np.int32(V)))


def bpe_count_pairs(dev, ids, offsets, counts, vocab_size):
    # ids: (N,) int32, offsets: (W+1,), counts: (W,) int32 -> hist: (V, V) int32
    hist = dev.xp.empty(vocab_size * vocab_size, np.int32)
    _count_pairs(dev, hist, ids, _word_of(dev.xp, offsets, ids.size), counts, vocab_size)
    return hist.reshape(vocab_size, vocab_size)


def _argmax(dev, hist):
    # (count, index) of the largest entry, ties to the smallest index: two passes
    # of bpe_argmax_kernel, many blocks, then one block over their winners.
    xp, n = dev.xp, hist.size
    k = dev.kernel("tokenizer", "bpe_argmax_kernel")
    grid = min(blocks(n, ARGMAX_THREADS), 1024)
    val, idx = xp.empty(grid, np.int32), xp.empty(grid, np.int32)
    k((grid,), (ARGMAX_THREADS,), (val, idx, hist, hist, np.int32(0), np.int32(n)))
    val1, idx1 = xp.empty(1, np.int32), xp.empty(1, np.int32)
    k((1,), (ARGMAX_THREADS,), (val1, idx1, val, idx, np.int32(1), np.int32(grid)))
    return int(val1[0]), int(idx1[0])


def _merge(dev, ids, word_of, a, b, new_id):
    # -> (ids, word_of, keep) with the pair merged and absorbed tokens removed
    out = ids.copy()
    dev.kernel("tokenizer", "bpe_merge_kernel")(
        (blocks(ids.size, 256),), (256,), (out, ids, word_of, *map(np.int32, (ids.size, a, b, new_id))))
    keep = out >= 0
    return out[keep], word_of[keep], keep


def bpe_merge(dev, ids, offsets, a, b, new_id):
    # ids: (N,) int32, offsets: (W+1,) -> (ids: (N',) int32, offsets: (W+1,) int32)
    xp = dev.xp
    out, _, keep = _merge(dev, ids, _word_of(xp, offsets, ids.size), a, b, new_id)
    kept_before = xp.concatenate([xp.zeros(1, np.int64), xp.cumsum(keep, dtype=np.int64)])
    return out, kept_before[offsets].astype(np.int32)


def bpe_train(dev, data, offsets, counts, n_merges):
    # data: (N,) uint8, offsets: (W+1,), counts: (W,) int32 -> merges: (M, 2) int32
    # Each merge: count all pairs into a dense (V, V) histogram, find its
    # argmax, merge everywhere, compact. Simple and parallel, but it recounts
    # everything each step and the histogram is V^2 ints (64 MB at V = 4096).
    xp = dev.xp
    V = 256 + n_merges
    if V * V >= 2**31:
        raise ValueError(f"bpe_train: the cuda backend's dense pair histogram holds at most 2^31 bins; "
                         f"vocab {V} needs {V * V} (use the c backend)")
    ids = data.astype(np.int32)
    word_of = _word_of(xp, offsets, ids.size)
    hist = xp.empty(V * V, np.int32)
    merges = []
    for m in range(n_merges):
        _count_pairs(dev, hist, ids, word_of, counts, V)
        count, best = _argmax(dev, hist)
        if count <= 0:
            break  # no pair left: every word is a single token
        a, b = divmod(best, V)
        merges.append((a, b))
        ids, word_of, _ = _merge(dev, ids, word_of, a, b, 256 + m)
    return xp.asarray(np.array(merges, np.int32).reshape(-1, 2))


def rank_table(merges):
    """Open-addressing hash table (keys (a << 16) | b, values ranks, -1 empty) for bpe_encode_kernel,
    built on the host: (keys uint32, vals int32, mask)."""
    M = merges.shape[0]
    size = 2
    while size < 2 * M:
        size *= 2
    keys = np.zeros(size, np.uint32)
    vals = np.full(size, -1, np.int32)
    mask = size - 1
    for r, (a, b) in enumerate(merges.tolist()):
        key = (a << 16) | b
        slot = ((key * 2654435761) & 0xFFFFFFFF) & mask
        while vals[slot] >= 0 and keys[slot] != key:
            slot = (slot + 1) & mask
        if vals[slot] < 0:  # a repeated merge keeps its first rank
            keys[slot], vals[slot] = key, r
    return keys, vals, mask


def bpe_encode(dev, data, offsets, merges, W):
    # data: (N,) uint8, offsets: (W+1,), merges: (M, 2) int32 -> (ids: (K,) int32, token_offsets: (W+1,) int32)
    xp = dev.xp
    tok = data.astype(np.int32)
    if W == 0:
        return tok, xp.zeros(1, np.int32)
    keys, vals, mask = rank_table(to_numpy(merges))
    lens = xp.empty(W, np.int32)
    dev.kernel("tokenizer", "bpe_encode_kernel")(
        (blocks(W, 128),), (128,), (tok, lens, offsets, np.int32(W), xp.asarray(keys), xp.asarray(vals),
                                    np.uint32(mask), merges))
    # keep the first lens[w] tokens of each word's span
    n = tok.size
    word_of = _word_of(xp, offsets, n)
    keep = (xp.arange(n, dtype=np.int32) - offsets[word_of]) < lens[word_of]
    token_offsets = xp.concatenate([xp.zeros(1, np.int32), xp.cumsum(lens, dtype=np.int32)])
    return tok[keep], token_offsets
