"""Chapter 08 homework: what `make grade CH=08` checks.

Each task's cases() lists its checks. A case's `run` calls your code (in a
process of its own; the ring's ranks in processes of their own under mpiexec)
and returns what it produced; the grader compares that with `expected`,
computed where your code never runs: MPI's own Allreduce for the ring, the
NumPy reference (pystory/collective.py) for sum_ranks. Outputs start as NaN
so that "did nothing" never passes.
"""
import inspect

import numpy as np

from pystory import collective as ref
from pystory.dist.ring_check import run_allreduce
from pystory.grading import Case, Task, array_module


def ring_cases():
    rng = np.random.default_rng(8)
    cases = []
    for R, n in [(2, 7), (3, 10), (3, 1000), (4, 2)]:
        x = rng.standard_normal((R, n)).astype(np.float32)

        def run(fn, x=x):
            return {"out": run_allreduce(inspect.getsourcefile(fn), x)[0]}

        def expected(x=x):
            return {"out": run_allreduce("library", x)[0]}        # the library's all-reduce, no learner code
        cases.append(Case(f"{R} ranks, {n} numbers", run=run, expected=expected, rtol=1e-5, atol=1e-5))
    x = rng.standard_normal((3, 101)).astype(np.float32)

    def every_rank_the_same_bits(outputs, expected):
        out = outputs["out"]
        if out.shape != expected["out"].shape:
            raise AssertionError(f"out: shape {out.shape}, expected {expected['out'].shape}")
        for r in range(1, out.shape[0]):
            if not np.array_equal(out[r].view(np.uint32), out[0].view(np.uint32)):
                raise AssertionError(f"rank {r} ended with other bits than rank 0: sum every chunk once, "
                                     f"then only copy it")
    cases.append(Case("every rank ends with the same bits", run=lambda fn, x=x: {
        "out": run_allreduce(inspect.getsourcefile(fn), x)[0]}, expected=lambda x=x: {
        "out": run_allreduce("library", x)[0]}, verify=every_rank_the_same_bits))
    return cases


def exactly(outputs, expected):
    """The same bits as the reference (a different order of additions rounds differently)."""
    for k, e in expected.items():
        a = outputs.get(k)
        if a is None or a.shape != e.shape or a.dtype != np.float32:
            raise AssertionError(f"{k}: expected {e.shape} float32, got "
                                 f"{'nothing' if a is None else f'{a.shape} {a.dtype}'}")
        bad = np.flatnonzero(a.view(np.uint32) != e.view(np.uint32))
        if bad.size:
            i = int(bad[0])
            raise AssertionError(f"{k}: {bad.size} of {a.size} values are not the reference's bits; first at "
                                 f"[{i}]: {a[i]!r} vs {e[i]!r} (add the ranks in order 0, 1, ..., N-1, then scale)")


SHAPES = [(1, 1), (2, 257), (3, 1000), (5, 33)]


def sum_ranks_inputs():
    rng = np.random.default_rng(9)
    inputs = [(f"N = {N}, S = {S}", rng.standard_normal((N, S)).astype(np.float32), 1.0 / N) for N, S in SHAPES]
    # 1e8 + 1 - 1e8: 0 in rank order, 1 if the 1 is added last; a sum that starts from 0 loses -0.0
    order = np.array([[1e8, -0.0], [1.0, -0.0], [-1e8, -0.0]], np.float32)
    inputs.append(("ranks added in order", np.tile(order, (1, 20)), 1.0))
    return inputs


def sum_ranks_c_cases():
    cases = []
    for name, x, scale in sum_ranks_inputs():
        def run(c, x=x, scale=scale):
            out = np.full(x.shape[1], np.nan, np.float32)
            c.fn(c.ptr(out), c.ptr(x), scale, x.shape[0], x.shape[1])
            return {"out": out}
        cases.append(Case(name, run=run, expected=lambda x=x, scale=scale: {"out": ref.sum_ranks(x, scale)},
                          verify=exactly))
    return cases


def sum_ranks_cuda_cases():
    cases = []
    for name, x, scale in sum_ranks_inputs():
        def run(module, x=x, scale=scale):
            xp = array_module(module)
            N, S = x.shape
            out = xp.full(S, np.nan, np.float32)
            module.get_function("sum_ranks_kernel")(((S + 127) // 128,), (128,),
                                                    (out, xp.asarray(x), np.float32(scale), np.int32(N), np.int32(S)))
            return {"out": out}
        cases.append(Case(name, run=run, expected=lambda x=x, scale=scale: {"out": ref.sum_ranks(x, scale)},
                          verify=exactly))
    return cases


TASKS = [
    Task(name="a ring all-reduce on point-to-point sends", lang="python", stub="ring_allreduce.py",
         symbol="ring_allreduce", reference="pystory/dist/ring.py", cases=ring_cases, points=5,
         hint="each rank sends only to its right neighbour and receives only from its left one (the ring wraps "
              "round); in each step of the reduce-scatter it passes on the chunk it has just been adding to and "
              "adds the chunk it receives into its own copy; after one step fewer than there are ranks each "
              "rank owns one finished chunk, which the all-gather passes round the same way"),
    Task(name="sum_ranks in C", lang="c", stub="sum_ranks.c", symbol="sum_ranks",
         reference="csrc/collective.c", cases=sum_ranks_c_cases, points=2,
         cdecl="void sum_ranks(float* out, const float* x, float scale, int N, int S);",
         hint="row r starts r rows of S floats into the buffer; keep the loop over the ranks inside the loop over "
              "the elements, starting each sum from the first rank's value rather than from zero"),
    Task(name="sum_ranks_kernel in CUDA", lang="cuda", stub="sum_ranks.cu", symbol="sum_ranks_kernel",
         reference="cuda/collective.cu", cases=sum_ranks_cuda_cases, points=3,
         hint="one thread owns one i and leaves when i is past the shard; neighbouring threads then read "
              "neighbouring floats of each row, so walking down the rows keeps every load coalesced"),
]
