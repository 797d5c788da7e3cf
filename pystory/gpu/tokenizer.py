"""Launches for cuda/tokenizer.cu (chapter 01), shared by the cuda and emu backends.

Between kernels the arrays are compacted with array operations (flatnonzero,
boolean masks, cumsum, searchsorted) that CuPy runs on the GPU and NumPy on
the CPU: "keep what the kernel marked" is a library call, not a lesson.
"""
import numpy as np

from pystory.check import check_scalar
from pystory.gpu import blocks

__all__ = ["pretokenize", "unique_words", "bpe_count_pairs", "bpe_merge", "bpe_train", "bpe_encode"]

MAX_VOCAB = 65536
ARGMAX_THREADS = 256  # bpe_argmax_kernel's shared arrays hold 256 entries


def _check_offsets(dev, op, offsets, n):
    dev.check(op, "offsets", offsets, np.int32, ndim=1, min_size=1)
    xp = dev.xp
    if int(offsets[0]) != 0 or int(offsets[-1]) != n or (offsets.size > 1 and bool(xp.any(xp.diff(offsets) < 0))):
        raise ValueError(f"{op}: argument 'offsets' must start at 0, never decrease and end at "
                         f"the data length {n}")
    return offsets.size - 1


def _check_counts(dev, op, counts, W):
    dev.check(op, "counts", counts, np.int32, shape=(W,))
    if counts.size and int(counts.min()) < 0:
        raise ValueError(f"{op}: argument 'counts' must be >= 0")


def _word_of(xp, offsets, n):
    # (n,) the word each token belongs to: the last offset <= i.
    return (xp.searchsorted(offsets, xp.arange(n, dtype=np.int32), side="right") - 1).astype(np.int32)


def pretokenize(dev, data):
    # data: (N,) uint8 -> offsets: (W+1,) int32
    dev.check("pretokenize", "data", data, np.uint8, ndim=1)
    xp, n = dev.xp, data.size
    if n == 0:
        return xp.zeros(1, np.int32)
    is_start = xp.zeros(n, np.uint8)
    threads = 256
    dev.kernel("tokenizer", "pretokenize_kernel")((blocks(n, threads),), (threads,), (is_start, data, np.int32(n)))
    starts = xp.flatnonzero(is_start).astype(np.int32)
    return xp.concatenate([starts, xp.array([n], np.int32)])


def unique_words(dev, data, offsets):
    # data: (N,) uint8, offsets: (W+1,) -> first: (U,) int32, counts: (U,) int32
    # Done on the host with the NumPy reference: hashing strings of varying
    # length is not what a GPU is for, and it runs once per training.
    from pystory import tokenizer as ref
    dev.check("unique_words", "data", data, np.uint8, ndim=1)
    _check_offsets(dev, "unique_words", offsets, data.size)
    to_host = (lambda a: a.get()) if dev.xp is not np else np.asarray
    first, counts = ref.unique_words(to_host(data), to_host(offsets))
    return dev.xp.asarray(first), dev.xp.asarray(counts)


def _count_pairs(dev, hist, ids, word_of, counts, V):
    n = ids.size
    hist.fill(0)
    if n > 1:
        threads = 256
        dev.kernel("tokenizer", "bpe_count_pairs_kernel")(
            (blocks(n, threads),), (threads,), (hist, ids, word_of, counts, np.int32(n), np.int32(V)))


def bpe_count_pairs(dev, ids, offsets, counts, vocab_size):
    # ids: (N,) int32, offsets: (W+1,), counts: (W,) int32 -> hist: (V, V) int32
    V = check_scalar("bpe_count_pairs", "vocab_size", vocab_size, int)
    if not 1 <= V <= MAX_VOCAB:
        raise ValueError(f"bpe_count_pairs: argument 'vocab_size' must be in [1, {MAX_VOCAB}], got {V}")
    dev.check("bpe_count_pairs", "ids", ids, np.int32, ndim=1)
    W = _check_offsets(dev, "bpe_count_pairs", offsets, ids.size)
    _check_counts(dev, "bpe_count_pairs", counts, W)
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= V):
        raise ValueError(f"bpe_count_pairs: argument 'ids' must be in [0, {V})")
    hist = dev.xp.empty(V * V, np.int32)
    _count_pairs(dev, hist, ids, _word_of(dev.xp, offsets, ids.size), counts, V)
    return hist.reshape(V, V)


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
    xp, n = dev.xp, ids.size
    out = ids.copy()
    if n > 1:
        threads = 256
        dev.kernel("tokenizer", "bpe_merge_kernel")(
            (blocks(n, threads),), (threads,),
            (out, ids, word_of, np.int32(n), np.int32(a), np.int32(b), np.int32(new_id)))
    keep = out >= 0
    return out[keep], word_of[keep], keep


def bpe_merge(dev, ids, offsets, a, b, new_id):
    # ids: (N,) int32, offsets: (W+1,) -> (ids: (N',) int32, offsets: (W+1,) int32)
    dev.check("bpe_merge", "ids", ids, np.int32, ndim=1)
    _check_offsets(dev, "bpe_merge", offsets, ids.size)
    a, b, new_id = (check_scalar("bpe_merge", k, v, int) for k, v in (("a", a), ("b", b), ("new_id", new_id)))
    if ids.size and int(ids.min()) < 0:
        raise ValueError("bpe_merge: argument 'ids' must be >= 0")
    xp = dev.xp
    out, _, keep = _merge(dev, ids, _word_of(xp, offsets, ids.size), a, b, new_id)
    kept_before = xp.concatenate([xp.zeros(1, np.int64), xp.cumsum(keep, dtype=np.int64)])
    return out, kept_before[offsets].astype(np.int32)


def bpe_train(dev, data, offsets, counts, n_merges):
    # data: (N,) uint8, offsets: (W+1,), counts: (W,) int32 -> merges: (M, 2) int32
    # Each merge: count all pairs into a dense (V, V) histogram, find its
    # argmax, merge everywhere, compact. Simple and parallel, but it recounts
    # everything each step and the histogram is V^2 ints (64 MB at V = 4096).
    n_merges = check_scalar("bpe_train", "n_merges", n_merges, int)
    if not 0 <= n_merges <= MAX_VOCAB - 257:
        raise ValueError(f"bpe_train: argument 'n_merges' must be in [0, {MAX_VOCAB - 257}], got {n_merges}")
    dev.check("bpe_train", "data", data, np.uint8, ndim=1)
    W = _check_offsets(dev, "bpe_train", offsets, data.size)
    _check_counts(dev, "bpe_train", counts, W)
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


def bpe_encode(dev, data, offsets, merges):
    # data: (N,) uint8, offsets: (W+1,), merges: (M, 2) int32 -> (ids: (K,) int32, token_offsets: (W+1,) int32)
    dev.check("bpe_encode", "data", data, np.uint8, ndim=1)
    W = _check_offsets(dev, "bpe_encode", offsets, data.size)
    dev.check("bpe_encode", "merges", merges, np.int32, ndim=2)
    xp = dev.xp
    host_merges = merges.get() if xp is not np else merges
    M = host_merges.shape[0]
    if host_merges.shape[1] != 2:
        raise ValueError(f"bpe_encode: argument 'merges' must have shape (M, 2), got {host_merges.shape}")
    if 256 + M + 1 > MAX_VOCAB:
        raise ValueError(f"bpe_encode: argument 'merges' has {M} merges; at most {MAX_VOCAB - 257} are supported")
    if M and (host_merges.min() < 0 or np.any(host_merges.max(axis=1) >= 256 + np.arange(M))):
        raise ValueError("bpe_encode: argument 'merges': merge m may only use ids below 256 + m")
    tok = data.astype(np.int32)
    if W == 0:
        return tok, xp.zeros(1, np.int32)
    keys, vals, mask = rank_table(host_merges)
    lens = xp.empty(W, np.int32)
    threads = 128
    dev.kernel("tokenizer", "bpe_encode_kernel")(
        (blocks(W, threads),), (threads,),
        (tok, lens, offsets, np.int32(W), xp.asarray(keys), xp.asarray(vals), np.uint32(mask), merges))
    # keep the first lens[w] tokens of each word's span
    n = tok.size
    word_of = _word_of(xp, offsets, n)
    keep = (xp.arange(n, dtype=np.int32) - offsets[word_of]) < lens[word_of]
    token_offsets = xp.concatenate([xp.zeros(1, np.int32), xp.cumsum(lens, dtype=np.int32)])
    return tok[keep], token_offsets
