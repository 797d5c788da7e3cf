"""Chapter 08: the arithmetic inside the collectives, as NumPy references.

Data-parallel training moves gradients between processes with MPI or NCCL
(pystory/dist/); the moving is the library's job. What each process then
computes with what it received is ours, and like every layer it is written
three times (here, csrc/collective.c, cuda/collective.cu):

sum_ranks(x, scale)   x: (N, S), row r = rank r's copy of one shard of the
                      gradient -> out (S,) = scale * (x[0] + x[1] + ... + x[N-1]),
                      added in rank order. With scale = 1/N it is the mean.
accumulate(acc, g)    acc += g, in place: gradient accumulation's running sum
                      of micro-batch gradients.

Why a fixed order. Float addition is not associative: (a + b) + c and
a + (b + c) can differ in the last bit. An MPI or NCCL all-reduce picks its
own order (a ring, a tree, whichever is fastest for the message size and the
topology), so its sum may change with the number of processes or the
library version. Receiving every rank's copy of our shard (an all-to-all)
and adding the copies in rank order with sum_ranks gives the same bits as
one process that accumulates the same micro-batches in the same order
(accumulate, then scale_inplace) — which is what lets the tests demand
bit-identical training on 1 and 2 processes.
"""
from pystory.declare import array, declare, float32, number

__all__ = ["sum_ranks", "accumulate"]


def at_least_one_rank(N):
    """A sum over no ranks has no shard to return: N >= 1."""
    if N == 0:
        return "argument 'x' must have at least one row (one per rank, N >= 1)"


@declare(x=array(float32, "(N, S)"), scale=number(), checks=[at_least_one_rank], returns="out (S,)")
def sum_ranks(x, scale):
    # x: (N, S) -> out: (S,) = scale * sum over r of x[r], added r = 0, 1, ..., N-1
    out = x[0].copy()
    for r in range(1, x.shape[0]):
        out += x[r]
    out *= x.dtype.type(scale)
    return out


@declare(acc=array(float32, "(P,)"), g=array(float32, "(P,)"), writes=("acc",), distinct=("acc", "g"),
         returns=None)
def accumulate(acc, g):
    # acc, g: (P,); acc += g in place
    acc += g
