"""Chapter 01 homework: what `make grade CH=01` checks.

Every check compares with the NumPy reference in pystory/tokenizer.py on
small words, runs of one token (the left-to-right rule), words of length 0
and 1, and a slice of real stories. Outputs start as garbage so that "did
nothing" never passes.
"""
import numpy as np

from pystory import tokenizer as ref
from pystory.grading import Task, array_module
from pystory.testing import assert_agree

STORY = (b"Once upon a time, a little dog named Max saw a big red ball. \"Can I play?\" Max asked. "
         b"Max and Lily played all day. aaaa aaa the the the 123 ... !!")


def cases():
    """(name, ids, offsets, counts, V) — words from the pre-tokenizer, after a few merges."""
    out = []
    data = np.frombuffer(STORY, np.uint8)
    offsets = ref.pretokenize(data)
    counts = np.arange(1, offsets.size, dtype=np.int32) % 5 + 1
    ids = data.astype(np.int32)
    out.append(("story bytes", ids, offsets, counts, 256))
    merges = ref.bpe_train(data, offsets, counts, 20)
    ids2, off2 = ids, offsets
    for m, (a, b) in enumerate(merges.tolist()):
        ids2, off2 = ref.bpe_merge(ids2, off2, a, b, 256 + m)
    out.append(("story after 20 merges", ids2, off2, counts, 276))
    out.append(("runs and empty words", np.array([3, 3, 3, 3, 1, 3, 3, 3], np.int32),
                np.array([0, 4, 4, 5, 8, 8], np.int32), np.array([2, 9, 1, 3, 4], np.int32), 5))
    out.append(("no words", np.zeros(0, np.int32), np.zeros(1, np.int32), np.zeros(0, np.int32), 3))
    return out


def check_count_pairs_python(fn):
    for name, ids, offsets, counts, V in cases():
        def case(ids=ids, offsets=offsets, counts=counts, V=V):
            got = np.asarray(fn(ids, offsets, counts, V))
            assert_agree(got.astype(np.int64), ref.bpe_count_pairs(ids, offsets, counts, V).astype(np.int64),
                         name="hist")
        yield name, case


def check_merge_c(c):
    for name, ids, offsets, counts, V in cases():
        pairs = [(int(ids[0]), int(ids[1]))] if ids.size > 1 else [(1, 1)]
        if name == "runs and empty words":
            pairs = [(3, 3), (3, 1), (1, 3)]
        for a, b in pairs:
            def case(ids=ids, offsets=offsets, a=a, b=b):
                W = offsets.size - 1
                out = np.full(max(ids.size, 1), -7, np.int32)
                out_offsets = np.full(W + 1, -7, np.int32)
                n = c.fn(c.ptr(out), c.ptr(out_offsets), c.ptr(ids), c.ptr(offsets), W, a, b, 999)
                want, want_offsets = ref.bpe_merge(ids, offsets, a, b, 999)
                assert n == want.size, f"returned {n} tokens, expected {want.size}"
                assert_agree(out[:n], want, name="out_ids")
                assert_agree(out_offsets, want_offsets, name="out_offsets")
            yield f"{name}, merge ({a}, {b})", case


def check_count_pairs_cuda(module):
    xp = array_module(module)
    kernel = module.get_function("bpe_count_pairs_kernel")
    for name, ids, offsets, counts, V in cases():
        if ids.size == 0:
            continue  # nothing to launch: an empty kernel would pass
        def case(ids=ids, offsets=offsets, counts=counts, V=V):
            n = ids.size
            word_of = (np.searchsorted(offsets, np.arange(n), side="right") - 1).astype(np.int32)
            hist = xp.zeros(V * V, np.int32)
            if n:
                kernel(((n + 127) // 128,), (128,), (hist, xp.asarray(ids), xp.asarray(word_of),
                                                     xp.asarray(counts), np.int32(n), np.int32(V)))
            got = hist.get() if hasattr(hist, "get") else hist
            assert_agree(got.reshape(V, V), ref.bpe_count_pairs(ids, offsets, counts, V), name="hist")
        yield name, case


TASKS = [
    Task(name="bpe_count_pairs in NumPy", lang="python", stub="count_pairs.py", symbol="bpe_count_pairs",
         reference="pystory/tokenizer.py", check=check_count_pairs_python, points=3,
         hint="mask out the positions offsets[1:-1] - 1, then np.bincount(a * V + b, weights=..., minlength=V * V)"),
    Task(name="bpe_merge in C", lang="c", stub="merge.c", symbol="bpe_merge",
         reference="csrc/tokenizer.c", check=check_merge_c, points=3,
         cdecl="int bpe_merge(int* out_ids, int* out_offsets, const int* ids, const int* offsets, "
               "int n_words, int a, int b, int new_id);",
         hint="per word: copy tokens; when tok[i] == a and tok[i+1] == b (inside the word) write new_id and skip i+1"),
    Task(name="bpe_count_pairs_kernel in CUDA", lang="cuda", stub="count_pairs.cu", symbol="bpe_count_pairs_kernel",
         reference="cuda/tokenizer.cu", check=check_count_pairs_cuda, points=4,
         hint="if (i + 1 < n && word_of[i] == word_of[i + 1]) atomicAdd(&hist[ids[i] * V + ids[i + 1]], counts[word_of[i]]);"),
]
