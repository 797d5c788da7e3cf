"""Exercise 08.1 — a ring all-reduce on MPI point-to-point messages.

Every rank calls ring_allreduce(comm, x) with its own x, an (n,) float32
array (the same n everywhere), and must return the sum of all the ranks' x,
with the SAME bits on every rank. Only point-to-point calls are allowed
(comm offers mpi4py's Get_rank, Get_size, Send, Recv, Sendrecv, ...):

    comm.Sendrecv(sendbuf, dest=right, recvbuf=incoming, source=left)

sends one NumPy array to rank `right` while receiving one from rank `left`
(both at once, so two neighbours never wait for each other). Arrays must be
contiguous; a slice a[lo:hi] of a 1-D array is.

The plan (chapter 08's README, section 3): the ranks stand in a ring, the
buffer is cut into one chunk per rank, and the all-reduce is a reduce-scatter
(R - 1 steps of "pass a chunk right, add the one from the left") followed by
an all-gather (R - 1 steps of "pass a finished chunk right, store the one
from the left"). n need not be a multiple of R, and may be smaller than R.

Check your work: make grade CH=08 (on real processes when MPI is installed).
"""
import numpy as np


def ring_allreduce(comm, x):
    # x: (n,) float32 on every rank -> (n,): the sum over the ranks, the same bits on every rank
    raise NotImplementedError
