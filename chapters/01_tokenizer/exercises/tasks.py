"""Chapter 01 homework: what `make grade CH=01` checks.

Every case compares with the NumPy reference in pystory/tokenizer.py on
small words, runs of one token (the left-to-right rule), words of length 0
and 1, and a slice of real stories. A case's `run` calls your code (in a
process of its own); the grader compares what it returns with `expected`,
computed where your code never runs. Outputs start as garbage so that "did
nothing" never passes.
"""
import numpy as np

from pystory import tokenizer as ref
from pystory.grading import Case, Task, array_module
from pystory.testing import assert_agree

STORY = (b"Once upon a time, a little dog named Max saw a big red ball. \"Can I play?\" Max asked. "
         b"Max and Lily played all day. aaaa aaa the the the 123 ... !!")


def inputs():
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


def count_pairs_python_cases():
    return [Case(name, run=lambda fn, ids=ids, offsets=offsets, counts=counts, V=V: {
                     "hist": np.asarray(fn(ids, offsets, counts, V)).astype(np.int64)},
                 expected=lambda ids=ids, offsets=offsets, counts=counts, V=V: {
                     "hist": ref.bpe_count_pairs(ids, offsets, counts, V).astype(np.int64)})
            for name, ids, offsets, counts, V in inputs()]


def merge_verify(outputs, expected):
    n, want = int(outputs["n"]), expected["out_ids"]
    if n != want.size:
        raise AssertionError(f"returned {n} tokens, expected {want.size}")
    assert_agree(outputs["out_ids"][:n], want, name="out_ids")
    assert_agree(outputs["out_offsets"], expected["out_offsets"], name="out_offsets")


def merge_c_cases():
    cases = []
    for name, ids, offsets, counts, V in inputs():
        pairs = [(int(ids[0]), int(ids[1]))] if ids.size > 1 else [(1, 1)]
        if name == "runs and empty words":
            pairs = [(3, 3), (3, 1), (1, 3)]
        for a, b in pairs:
            def run(c, ids=ids, offsets=offsets, a=a, b=b):
                W = offsets.size - 1
                out = np.full(max(ids.size, 1), -7, np.int32)
                out_offsets = np.full(W + 1, -7, np.int32)
                n = c.fn(c.ptr(out), c.ptr(out_offsets), c.ptr(ids), c.ptr(offsets), W, a, b, 999)
                return {"n": n, "out_ids": out, "out_offsets": out_offsets}

            def expected(ids=ids, offsets=offsets, a=a, b=b):
                want, want_offsets = ref.bpe_merge(ids, offsets, a, b, 999)
                return {"out_ids": want, "out_offsets": want_offsets}
            cases.append(Case(f"{name}, merge ({a}, {b})", run=run, expected=expected, verify=merge_verify))
    return cases


def count_pairs_cuda_cases():
    cases = []
    for name, ids, offsets, counts, V in inputs():
        if ids.size == 0:
            continue  # nothing to launch: an empty kernel would pass

        def run(module, ids=ids, offsets=offsets, counts=counts, V=V):
            xp = array_module(module)
            n = ids.size
            word_of = (np.searchsorted(offsets, np.arange(n), side="right") - 1).astype(np.int32)
            hist = xp.zeros(V * V, np.int32)
            module.get_function("bpe_count_pairs_kernel")(
                ((n + 127) // 128,), (128,),
                (hist, xp.asarray(ids), xp.asarray(word_of), xp.asarray(counts), np.int32(n), np.int32(V)))
            return {"hist": hist.reshape(V, V)}
        cases.append(Case(name, run=run, expected=lambda ids=ids, offsets=offsets, counts=counts, V=V: {
            "hist": ref.bpe_count_pairs(ids, offsets, counts, V)}))
    return cases


TASKS = [
    Task(name="bpe_count_pairs in NumPy", lang="python", stub="count_pairs.py", symbol="bpe_count_pairs",
         reference="pystory/bpe.py", cases=count_pairs_python_cases, points=3,
         hint="first find every position whose pair stays inside one word (which positions end a word?), "
              "then turn each pair into one number so that a single weighted histogram call counts them all"),
    Task(name="bpe_merge in C", lang="c", stub="merge.c", symbol="bpe_merge",
         reference="csrc/tokenizer.c", cases=merge_c_cases, points=3,
         cdecl="int bpe_merge(int* out_ids, int* out_offsets, const int* ids, const int* offsets, "
               "int n_words, int a, int b, int new_id);",
         hint="walk each word left to right with a read index and a write index; a match consumes two tokens, "
              "anything else one; write out_offsets as each word ends, and never look past a word's last token"),
    Task(name="bpe_count_pairs_kernel in CUDA", lang="cuda", stub="count_pairs.cu", symbol="bpe_count_pairs_kernel",
         reference="cuda/tokenizer.cu", cases=count_pairs_cuda_cases, points=4,
         hint="a thread near the end of the grid has no pair, and a pair may straddle two words: test both "
              "before you touch hist; many threads add to one bin at once, so the addition must be atomic"),
]
