"""Chapter 08: a ring all-reduce on point-to-point messages (the homework's reference).

    total = ring_allreduce(comm, x)     # x: (n,) float32 on every rank -> the sum over the ranks

The R ranks stand in a ring: each sends only to its right neighbour and
receives only from its left. The buffer is cut into R chunks. Then

    reduce-scatter, R-1 steps: at step s, rank r sends chunk (r - s) mod R to
        the right and adds the chunk (r - s - 1) mod R that comes from the
        left to its own. After R-1 steps rank r holds the complete sum of
        chunk (r + 1) mod R — each chunk has travelled once round the ring,
        picking up every rank's part.
    all-gather, R-1 steps: at step s, rank r sends chunk (r + 1 - s) mod R to
        the right and stores the chunk (r - s) mod R that comes from the left.

Every rank sends 2 (R-1) messages of n/R numbers: 2 (R-1)/R n in all, close
to 2n however many ranks there are — the bandwidth-optimal all-reduce
(the README's alpha-beta model). Each chunk is summed once and then only
copied, so every rank ends with the same bits.

comm is an mpi4py communicator (Get_rank, Get_size, Sendrecv); only
point-to-point calls are used.
"""
import numpy as np

__all__ = ["ring_allreduce", "chunk_bounds"]


def chunk_bounds(n, R):
    """[(lo, hi)] of the R chunks of n numbers (the first n % R chunks one longer)."""
    edges = np.cumsum([0] + [n // R + (1 if c < n % R else 0) for c in range(R)])
    return [(int(edges[c]), int(edges[c + 1])) for c in range(R)]


def ring_allreduce(comm, x):
    # x: (n,) float32, the same n on every rank -> (n,): the sum over the ranks, the same bits everywhere
    R, r = comm.Get_size(), comm.Get_rank()
    out = np.array(x, dtype=np.float32, copy=True)
    if R == 1:
        return out
    bounds = chunk_bounds(out.size, R)
    right, left = (r + 1) % R, (r - 1) % R
    for s in range(R - 1):                                  # reduce-scatter
        send, recv = bounds[(r - s) % R], bounds[(r - s - 1) % R]
        incoming = np.empty(recv[1] - recv[0], np.float32)
        comm.Sendrecv(out[send[0]:send[1]], dest=right, recvbuf=incoming, source=left)
        out[recv[0]:recv[1]] += incoming
    for s in range(R - 1):                                  # all-gather
        send, recv = bounds[(r + 1 - s) % R], bounds[(r - s) % R]
        comm.Sendrecv(out[send[0]:send[1]], dest=right, recvbuf=out[recv[0]:recv[1]], source=left)
    return out
