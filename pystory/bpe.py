"""Chapter 01, part 2: byte-level BPE — counting pairs, merging, training, encoding (NumPy reference).

Ids 0..255 are the bytes; merge m (a pair of existing ids) makes id 256 + m.
Words come from the pre-tokenizer (pystory/pretokenize.py) as a flat array
plus offsets (word w is ids[offsets[w]:offsets[w+1]]), with a count per
distinct word.

    bpe_count_pairs(ids, offsets, counts, V)   -> hist (V, V)
    bpe_merge(ids, offsets, a, b, new_id)      -> (ids, offsets)
    bpe_train(data, offsets, counts, n_merges) -> merges (M, 2)
    bpe_encode(data, offsets, merges)          -> (ids, token_offsets)

The C port (csrc/tokenizer.c) and the CUDA kernels (cuda/tokenizer.cu) have
the same names and arguments. pystory/tokenizer.py builds BPETokenizer on them.
"""
import numpy as np

from pystory.declare import array, declare, int32, integer
from pystory.pretokenize import DATA, OFFSETS, offsets_bound_words, words_example

__all__ = ["bpe_count_pairs", "bpe_merge", "bpe_train", "bpe_encode"]

N_BYTES = 256
MAX_VOCAB = 65536  # shards store ids as uint16; the CUDA rank table packs a pair in 32 bits
MAX_MERGES = MAX_VOCAB - N_BYTES - 1   # 256 bytes + the merges + <|endoftext|>


def merges_use_earlier_ids(merges, M, xp):
    """Merge m joins two ids that exist before it: both below 256 + m."""
    if M > MAX_MERGES:
        return f"argument 'merges' has {M} merges; at most {MAX_MERGES} are supported"
    if M and bool(xp.any(merges.max(axis=1) >= N_BYTES + xp.arange(M))):
        return "argument 'merges': merge m may only use ids below 256 + m"


def merges_example(M, rng):
    return {"merges": np.array([rng.integers(0, N_BYTES + m, 2) for m in range(M)], np.int32).reshape(-1, 2)}


COUNTS = array(int32, "(W,) in [0, 2^31)")


def _pair_positions(ids, offsets):
    # Positions i whose pair (ids[i], ids[i+1]) lies inside one word.
    n = ids.size
    inside = np.ones(max(n - 1, 0), bool)
    last = offsets[1:-1].astype(np.int64) - 1     # the last token of every word but the final one
    last = last[(last >= 0) & (last < n - 1)]
    inside[last] = False
    return np.flatnonzero(inside)


def _word_of(offsets):
    # (N,) the word each token belongs to.
    return np.repeat(np.arange(offsets.size - 1, dtype=np.int32), np.diff(offsets))


@declare(ids=array(int32, "(N,) in [0, vocab_size)"), offsets=OFFSETS, counts=COUNTS,
         vocab_size=integer(f"[1, {MAX_VOCAB}]"), checks=[offsets_bound_words], example=words_example,
         returns="hist int32 (vocab_size, vocab_size)")
def bpe_count_pairs(ids, offsets, counts, vocab_size):
    # ids: (N,) int32 tokens of W words, offsets: (W+1,), counts: (W,) int32
    # -> hist: (V, V) int32, hist[a, b] = sum over words of count * (#times a b is adjacent)
    # Overlapping pairs count: "a a a" holds the pair (a, a) twice.
    i = _pair_positions(ids, offsets)
    weight = counts[_word_of(offsets)[i]]
    keys = ids[i].astype(np.int64) * vocab_size + ids[i + 1]
    hist = np.bincount(keys, weights=weight, minlength=vocab_size * vocab_size)
    return hist.astype(np.int32).reshape(vocab_size, vocab_size)


@declare(ids=array(int32, "(N,) in [0, 2^31)"), offsets=OFFSETS, a=integer("[0, 2^31)"), b=integer("[0, 2^31)"),
         new_id=integer("[0, 2^31)"), checks=[offsets_bound_words], example=words_example,
         returns="ids int32 (K,), offsets int32 (W+1,)")
def bpe_merge(ids, offsets, a, b, new_id):
    # ids: (N,) int32, offsets: (W+1,) -> (ids: (N',) int32, offsets: (W+1,) int32)
    # Replace every pair (a, b) inside a word by new_id, scanning left to
    # right: "a a a a" with (a, a) becomes "aa aa", and "a a a" becomes "aa a".
    i = _pair_positions(ids, offsets)
    i = i[(ids[i] == a) & (ids[i + 1] == b)]
    if a == b and i.size:
        # A run of matches at i, i+1, i+2, ... overlaps itself; left to right
        # takes the 1st, 3rd, 5th, ... of each run.
        run_start = np.ones(i.size, bool)
        run_start[1:] = i[1:] != i[:-1] + 1
        start_pos = np.maximum.accumulate(np.where(run_start, np.arange(i.size), 0))
        i = i[(np.arange(i.size) - start_pos) % 2 == 0]
    out = ids.copy()
    out[i] = new_id
    out = np.delete(out, i + 1)
    # Each word shrinks by the number of deleted positions inside it.
    removed_before = np.searchsorted(i + 1, offsets, side="left")
    return out.astype(np.int32), (offsets - removed_before).astype(np.int32)


@declare(data=DATA, offsets=OFFSETS, counts=COUNTS, n_merges=integer(f"[0, {MAX_MERGES}]"),
         checks=[offsets_bound_words], example=words_example, returns="merges int32 (M, 2)")
def bpe_train(data, offsets, counts, n_merges):
    # data: (N,) uint8 bytes of W distinct words, offsets: (W+1,), counts: (W,) int32
    # -> merges: (M, 2) int32, M <= n_merges; merge m makes token 256 + m.
    # Each step: count every adjacent pair (weighted by its word's count),
    # take the most frequent, ties to the smallest pair (a, b), merge it
    # everywhere. Stops early when no pair is left (every word is one token).
    # This recounts everything each step: simple and slow, O(n_merges * N log N).
    ids = data.astype(np.int32)
    offsets = offsets.astype(np.int32)
    merges = []
    V = N_BYTES + n_merges
    word_of = None
    for m in range(n_merges):
        i = _pair_positions(ids, offsets)
        if i.size == 0:
            break
        word_of = _word_of(offsets)
        keys = ids[i].astype(np.int64) * V + ids[i + 1]
        pairs, inverse = np.unique(keys, return_inverse=True)    # sorted: smallest pair first
        totals = np.bincount(inverse.ravel(), weights=counts[word_of[i]])
        best = int(np.argmax(totals))                            # the first maximum: the tie rule
        a, b = divmod(int(pairs[best]), V)
        merges.append((a, b))
        ids, offsets = bpe_merge(ids, offsets, a, b, N_BYTES + m)
    return np.array(merges, np.int32).reshape(-1, 2)


@declare(data=DATA, offsets=OFFSETS, merges=array(int32, "(M, 2) in [0, 2^31)"),
         checks=[offsets_bound_words, merges_use_earlier_ids], example=[words_example, merges_example],
         returns="ids int32 (K,), token_offsets int32 (W+1,)")
def bpe_encode(data, offsets, merges):
    # data: (N,) uint8, offsets: (W+1,), merges: (M, 2) int32
    # -> ids: (K,) int32, token_offsets: (W+1,) int32 (word w's tokens are ids[token_offsets[w]:token_offsets[w+1]])
    # Apply the merges in the order they were learned: repeatedly find the
    # lowest-ranked pair present anywhere and merge all of it. Merges absent
    # from the text cost nothing, so this loops once per merge actually used.
    ids = data.astype(np.int32)
    offsets = offsets.astype(np.int32)
    M = merges.shape[0]
    V = N_BYTES + M
    merge_keys = merges[:, 0].astype(np.int64) * V + merges[:, 1]
    order = np.argsort(merge_keys, kind="stable")  # a repeated merge keeps its first rank
    sorted_keys = merge_keys[order]
    while M:
        i = _pair_positions(ids, offsets)
        if i.size == 0:
            break
        keys = ids[i].astype(np.int64) * V + ids[i + 1]
        j = np.minimum(np.searchsorted(sorted_keys, keys), M - 1)
        ranks = np.where(sorted_keys[j] == keys, order[j], M)     # M = "not a merge"
        r = int(ranks.min())
        if r == M:
            break
        ids, offsets = bpe_merge(ids, offsets, int(merges[r, 0]), int(merges[r, 1]), N_BYTES + r)
    return ids, offsets
