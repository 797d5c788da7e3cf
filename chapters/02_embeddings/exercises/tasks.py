"""Chapter 02 homework: what `make grade CH=02` checks.

Each check yields (case name, thunk); a thunk raises when the learner's code
disagrees with the NumPy reference (pystory/embedding.py, pystory/philox.py).
"""
import numpy as np

from pystory.grading import Task, array_module
from pystory.testing import assert_agree

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


def check_embedding_backward_python(embedding_backward):
    rng = np.random.default_rng(0)
    for shape, V, C in [((5,), 8, 3), ((2, 7), 4, 16), ((0,), 3, 2)]:
        ids = rng.integers(0, V, shape).astype(np.int32)
        dout = rng.standard_normal(shape + (C,)).astype(np.float32)
        yield f"ids {shape}, V={V}, C={C}", lambda ids=ids, dout=dout, V=V: assert_agree(
            np.asarray(embedding_backward(ids, dout, V)), scatter_add(ids, dout, V), name="dtable")
    ids = np.array([2, 2, 2, 0], np.int32)
    dout = np.array([[1.0], [2.0], [4.0], [8.0]], np.float32)
    yield "a repeated id sums all its gradients", lambda: assert_agree(
        np.asarray(embedding_backward(ids, dout, 3)), np.array([[8], [0], [7]], np.float32), name="dtable")
    d64 = rng.standard_normal((4, 2))
    yield "float64 dout keeps its dtype", lambda: assert_agree(
        np.asarray(embedding_backward(np.array([0, 1, 1, 3], np.int32), d64, 4)),
        scatter_add(np.array([0, 1, 1, 3]), d64, 4), name="dtable")


def check_philox_round_c(c):
    for ctr, key, expected in KAT:
        def case(ctr=ctr, key=key, expected=expected):
            out = np.zeros(4, np.uint32)
            c.fn(c.ptr(out), c.ptr(np.array(ctr, np.uint32)), c.ptr(np.array(key, np.uint32)), 1)
            assert_agree(out, np.array(expected, np.uint32), name="philox4x32_10")
        yield f"Random123 known answer, counter {ctr[0]:#010x}...", case

    def many():
        from pystory.philox import philox4x32_10
        rng = np.random.default_rng(1)
        ctr = rng.integers(0, 2**32, (500, 4), dtype=np.uint64).astype(np.uint32)
        key = rng.integers(0, 2**32, (500, 2), dtype=np.uint64).astype(np.uint32)
        out = np.zeros((500, 4), np.uint32)
        c.fn(c.ptr(out), c.ptr(ctr), c.ptr(key), 500)
        assert_agree(out, philox4x32_10(ctr, key), name="philox4x32_10")
    yield "500 random counters and keys", many


def check_atomic_scatter_cuda(module):
    xp = array_module(module)
    kernel = module.get_function("embedding_backward_atomic_kernel")
    rng = np.random.default_rng(2)
    for N, V, C in [(1, 1, 1), (37, 5, 9), (64, 3, 70)]:      # few ids: many collisions
        ids = rng.integers(0, V, N).astype(np.int32)
        dout = rng.standard_normal((N, C)).astype(np.float32)

        def case(ids=ids, dout=dout, N=N, V=V, C=C):
            dtable = xp.zeros((V, C), np.float32)
            kernel(((N * C + 255) // 256,), (256,), (dtable, xp.asarray(ids), xp.asarray(dout), np.int32(N), np.int32(C)))
            assert_agree(dtable, scatter_add(ids, dout, V), name="embedding_backward_atomic_kernel")
        yield f"N={N}, V={V}, C={C}", case
    if xp is np:
        from pystory import emu

        def shuffled():
            ids = rng.integers(0, 4, 50).astype(np.int32)
            dout = rng.standard_normal((50, 40)).astype(np.float32)
            with emu.schedule("shuffle", seed=7):
                dtable = np.zeros((4, 40), np.float32)
                kernel(((50 * 40 + 255) // 256,), (256,), (dtable, ids, dout, np.int32(50), np.int32(40)))
            assert_agree(dtable, scatter_add(ids, dout, 4), name="embedding_backward_atomic_kernel")
        yield "threads scheduled in a shuffled order", shuffled


TASKS = [
    Task(name="embedding_backward in NumPy", lang="python", stub="embedding_backward.py",
         symbol="embedding_backward", reference="pystory/embedding.py", check=check_embedding_backward_python,
         points=3, hint="np.zeros((vocab, C)), then np.add.at over ids.reshape(-1) and dout.reshape(-1, C)"),
    Task(name="the Philox round in C", lang="c", stub="philox.c", symbol="philox4x32_10",
         reference="csrc/philox.c", check=check_philox_round_c, points=3,
         cdecl="void philox4x32_10(uint32_t* out, const uint32_t* ctr, const uint32_t* key, int n);",
         hint="uint64_t p = (uint64_t)0xD2511F53u * x[0]; hi = p >> 32, lo = (uint32_t)p"),
    Task(name="embedding_backward_atomic_kernel in CUDA", lang="cuda", stub="embedding_backward_atomic.cu",
         symbol="embedding_backward_atomic_kernel", reference="cuda/embedding.cu", check=check_atomic_scatter_cuda,
         points=4, hint="if (e < N * C) atomicAdd(&dtable[ids[e / C] * C + e % C], dout[e]);"),
]
