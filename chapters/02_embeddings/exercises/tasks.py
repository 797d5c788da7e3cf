"""Chapter 02 homework: what `make grade CH=02` checks.

Each task's cases() lists its checks. A case's `run` calls your code (in a
process of its own) and returns what it produced; the grader compares that
with `expected`, from the NumPy reference (pystory/embedding.py,
pystory/philox.py) or Random123's known answers, computed where your code
never runs.
"""
import numpy as np

from pystory.grading import Case, Task, array_module, emu_schedule

# Random123's known answers for Philox-4x32-10: (counter, key) -> output.
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


def scatter_add(ids, dout, vocab):
    dtable = np.zeros((vocab, dout.shape[-1]), dout.dtype)
    np.add.at(dtable, ids.reshape(-1), dout.reshape(-1, dout.shape[-1]))
    return dtable


def embedding_backward_python_cases():
    rng = np.random.default_rng(0)
    cases = []
    for shape, V, C in [((5,), 8, 3), ((2, 7), 4, 16), ((0,), 3, 2)]:
        ids = rng.integers(0, V, shape).astype(np.int32)
        dout = rng.standard_normal(shape + (C,)).astype(np.float32)
        cases.append(Case(f"ids {shape}, V={V}, C={C}",
                          run=lambda fn, ids=ids, dout=dout, V=V: {"dtable": fn(ids, dout, V)},
                          expected=lambda ids=ids, dout=dout, V=V: {"dtable": scatter_add(ids, dout, V)}))
    ids = np.array([2, 2, 2, 0], np.int32)
    dout = np.array([[1.0], [2.0], [4.0], [8.0]], np.float32)
    cases.append(Case("a repeated id sums all its gradients", run=lambda fn: {"dtable": fn(ids, dout, 3)},
                      expected=lambda: {"dtable": np.array([[8], [0], [7]], np.float32)}))
    ids64 = np.array([0, 1, 1, 3], np.int32)
    d64 = rng.standard_normal((4, 2))
    cases.append(Case("float64 dout keeps its dtype", run=lambda fn: {"dtable": fn(ids64, d64, 4)},
                      expected=lambda: {"dtable": scatter_add(ids64, d64, 4)}, same_dtype=True))
    return cases


def philox_round_c_cases():
    cases = []

    def run(c, ctr, key):
        out = np.zeros(ctr.shape, np.uint32)
        c.fn(c.ptr(out), c.ptr(ctr), c.ptr(key), ctr.shape[0])
        return {"philox4x32_10": out}
    for ctr, key, want in KAT:
        ctr, key = np.array([ctr], np.uint32), np.array([key], np.uint32)
        cases.append(Case(f"Random123 known answer, counter {int(ctr[0, 0]):#010x}...",
                          run=lambda c, ctr=ctr, key=key: run(c, ctr, key),
                          expected=lambda want=want: {"philox4x32_10": np.array([want], np.uint32)}))
    rng = np.random.default_rng(1)
    ctr = rng.integers(0, 2**32, (500, 4), dtype=np.uint64).astype(np.uint32)
    key = rng.integers(0, 2**32, (500, 2), dtype=np.uint64).astype(np.uint32)

    def many():
        from pystory.philox import philox4x32_10
        return {"philox4x32_10": philox4x32_10(ctr, key)}
    cases.append(Case("500 random counters and keys", run=lambda c: run(c, ctr, key), expected=many))
    return cases


def atomic_scatter_cuda_cases():
    rng = np.random.default_rng(2)
    cases = []

    def launch(module, ids, dout, V):
        xp = array_module(module)
        N, C = dout.shape
        dtable = xp.zeros((V, C), np.float32)
        module.get_function("embedding_backward_atomic_kernel")(
            ((N * C + 255) // 256,), (256,), (dtable, xp.asarray(ids), xp.asarray(dout), np.int32(N), np.int32(C)))
        return {"dtable": dtable}
    for N, V, C in [(1, 1, 1), (37, 5, 9), (64, 3, 70)]:      # few ids: many collisions
        ids = rng.integers(0, V, N).astype(np.int32)
        dout = rng.standard_normal((N, C)).astype(np.float32)
        cases.append(Case(f"N={N}, V={V}, C={C}", run=lambda m, ids=ids, dout=dout, V=V: launch(m, ids, dout, V),
                          expected=lambda ids=ids, dout=dout, V=V: {"dtable": scatter_add(ids, dout, V)}))
    ids = rng.integers(0, 4, 50).astype(np.int32)
    dout = rng.standard_normal((50, 40)).astype(np.float32)

    def shuffled(module):
        with emu_schedule(module, "shuffle:7"):
            return launch(module, ids, dout, 4)
    cases.append(Case("threads scheduled in a shuffled order", run=shuffled,
                      expected=lambda: {"dtable": scatter_add(ids, dout, 4)}))
    return cases


TASKS = [
    Task(name="embedding_backward in NumPy", lang="python", stub="embedding_backward.py",
         symbol="embedding_backward", reference="pystory/embedding.py", cases=embedding_backward_python_cases,
         points=3, hint="fancy-index assignment keeps one write per repeated index; NumPy has an unbuffered "
                        "variant of the addition ufunc for exactly this (look at the methods every ufunc has); "
                        "flatten ids and dout to one token axis first, and keep dout's dtype"),
    Task(name="the Philox round in C", lang="c", stub="philox.c", symbol="philox4x32_10",
         reference="csrc/philox.c", cases=philox_round_c_cases, points=3,
         cdecl="void philox4x32_10(uint32_t* out, const uint32_t* ctr, const uint32_t* key, int n);",
         hint="a 32x32-bit product needs 64 bits: widen one factor before multiplying, then split the result "
              "with a shift and a cast; compute all four new words from the old ones before storing any"),
    Task(name="embedding_backward_atomic_kernel in CUDA", lang="cuda", stub="embedding_backward_atomic.cu",
         symbol="embedding_backward_atomic_kernel", reference="cuda/embedding.cu", cases=atomic_scatter_cuda_cases,
         points=4, hint="decode the thread's element number into a token and a channel, skip threads past the "
                        "last element, and find the table row through ids; two tokens with the same id add to "
                        "the same float at the same time"),
]
