"""Chapter 08: the communicator — what data parallelism needs from MPI or NCCL, and nothing more.

    comm = launched()                 # SingleProcess, or MPIComm under `mpiexec -n N`
    comm.rank, comm.world             # who am I, how many are we
    parts = comm.exchange("the loss of step 12", my_loss)   # small Python objects, every rank's, in rank order
    copies = comm.alltoall(grads, shards)        # (N, S_mine): every rank's copy of MY shard
    comm.allgather(grads, shards)                 # every rank's shard into its place, in place

Three implementations of one small interface:

    SingleProcess   world = 1: every collective is the identity
    MPIComm         mpi4py over the MPI library the launcher started (CPU arrays)
    NCCLComm        cupy.cuda.nccl between GPUs (one GPU per rank), bootstrapped
                    over MPI as llm.c does: rank 0 makes the NCCL id, MPI sends it

A shard. The flat buffer of P numbers is cut into `world` contiguous pieces
(Shards below): rank r owns [offsets[r], offsets[r] + counts[r]). An
all-reduce is then two collectives, each moving (N-1)/N of the buffer:

    reduce-scatter: rank r receives every rank's copy of shard r and adds them
    all-gather:     rank r sends its summed shard to everyone

Our reduce-scatter is an all-to-all followed by sum_ranks (pystory/collective.py),
which adds the copies in rank order: the same bits on 1, 2 or 8 processes,
whatever algorithm the library would have picked. The library's own
all-reduce (allreduce_library) is kept for comparison in the benchmark.

Never a hang. Before every collective the ranks check in (exchange): each
sends a note to rank 0, rank 0 answers when all are there. A rank that does
not arrive within `timeout` seconds is named, and the run stops:

    train: rank 0: rank 1 did not reach the loss of step 12 within 60 s (...); the last checkpoint is ...

(a rank that died outright is the launcher's business: mpiexec stops every
other rank at once and names the dead one's pid, which the first log line maps
to its rank). The bulk collectives then run as blocking MPI calls: every rank
is known to be there, and polling a nonblocking transfer would slow it.
"""
from __future__ import annotations

import os
import socket
import sys
import time

import numpy as np

__all__ = ["RankFailure", "Shards", "SingleProcess", "MPIComm", "NCCLComm", "launched_world", "launched",
           "MPI_MISSING"]

CHECKIN_TAG = 7301                   # point-to-point tag of the check-in notes
ABORT_GRACE = 0.5                    # seconds for the launcher to forward the last output before MPI_Abort
MPI_MISSING = ("install MPI for Python: .venv/bin/pip install -e '.[mpi]' (mpi4py and the MPICH wheel), "
               "then launch with .venv/bin/mpiexec -n 2 .venv/bin/python -m pystory train ...")


class RankFailure(RuntimeError):
    """A rank did not arrive in time, or the ranks disagree; the message names the rank."""


class Shards:
    """The cut of P numbers into `world` contiguous shards: rank r owns [offsets[r], offsets[r] + counts[r]).

    Every shard has S = ceil(P / world) numbers except the last ones, which
    hold what is left (possibly nothing, when P < world).
    """

    def __init__(self, P, world):
        S = -(-P // world)
        self.P, self.world, self.S = P, world, S
        self.offsets = [min(r * S, P) for r in range(world)]
        self.counts = [min((r + 1) * S, P) - self.offsets[r] for r in range(world)]

    def of(self, rank):
        """slice(lo, hi) of rank's shard."""
        return slice(self.offsets[rank], self.offsets[rank] + self.counts[rank])


class SingleProcess:
    """One process: world = 1, and every collective is the identity."""

    name = "single"
    rank, world, local_world = 0, 1, 1

    def __init__(self):
        self.comm_seconds = 0.0          # time spent communicating (none here)
        self.wait_seconds = 0.0          # of which: waiting for the slowest rank

    def exchange(self, what, obj, timeout=None):
        return [obj]

    def alltoall(self, buf, shards):
        return buf.reshape(1, -1)

    def allgather(self, buf, shards):
        pass

    def gather(self, buf, shards, out):
        out[...] = buf

    def abort(self, code):
        sys.exit(code)

    def describe(self):
        return "1 process"


def launched_world():
    """The number of ranks the MPI launcher started (1 when not launched by one): from the environment
    that MPICH's and Open MPI's launchers and Slurm set, so that a plain run never imports mpi4py."""
    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"):
        v = os.environ.get(var, "")
        if v.isdigit() and int(v) > 1:
            return int(v)
    return 1


def local_ranks():
    """How many ranks this node runs (for sharing its cores out)."""
    for var in ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", "SLURM_NTASKS_PER_NODE"):
        v = os.environ.get(var, "")
        if v.isdigit() and int(v) >= 1:
            return int(v)
    return launched_world()


def share_cores():
    """Under a launcher, give each rank its share of this node's cores for OpenMP (unless
    OMP_NUM_THREADS is set): two ranks of two threads each on two cores would spend their
    time waking each other's threads. Must run before the C extension is loaded."""
    n = local_ranks()
    if n > 1 and "OMP_NUM_THREADS" not in os.environ:
        os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // n))


def launched(timeout=300.0):
    """SingleProcess, or an MPIComm when an MPI launcher started more than one rank."""
    if launched_world() == 1:
        return SingleProcess()
    share_cores()
    try:
        from mpi4py import MPI  # noqa: F401  (starts the MPI library)
    except ImportError:
        raise RankFailure(f"started by an MPI launcher with {launched_world()} ranks, but mpi4py is not "
                          f"installed (each rank would train alone); {MPI_MISSING}") from None
    return MPIComm(timeout)


class MPIComm:
    """The communicator over mpi4py: COMM_WORLD, CPU (NumPy) buffers."""

    name = "mpi"

    def __init__(self, timeout=300.0):
        from mpi4py import MPI
        self.MPI, self.c = MPI, MPI.COMM_WORLD
        self.rank, self.world = self.c.Get_rank(), self.c.Get_size()
        self.timeout = timeout
        self.comm_seconds = self.wait_seconds = 0.0
        # who is who: the pid mpiexec names when a rank dies, and the node
        self.where = self.c.allgather((socket.gethostname(), os.getpid()))
        self.local_world = sum(1 for h, _ in self.where if h == self.where[self.rank][0])

    def describe(self):
        version = self.MPI.Get_library_version().splitlines()[0].strip()
        ranks = ", ".join(f"{r} = pid {pid} on {host}" for r, (host, pid) in enumerate(self.where))
        return f"{self.world} processes over MPI ({version}); ranks: {ranks}"

    # --- small objects, with a deadline ------------------------------------------------------

    def _poll(self, ready, deadline):
        """Poll ready() until it is true (-> True) or the deadline passes (-> False). Sleeping
        between polls leaves the cores to the ranks still computing."""
        nap = 1e-5
        while not ready():
            if time.monotonic() > deadline:
                return False
            time.sleep(nap)
            nap = min(nap * 2, 2e-4)
        return True

    def _send(self, obj, dest, tag, deadline):
        """Send a small object, giving up (-> False) at the deadline if the receiver never takes it."""
        req = self.c.isend(obj, dest=dest, tag=tag)
        return self._poll(lambda: req.Test(), deadline)

    def exchange(self, what, obj, timeout=None):
        """Every rank's `obj` (small, picklable), in rank order, on every rank; `what` names the
        meeting point. A rank missing after `timeout` seconds is named in a RankFailure."""
        timeout = self.timeout if timeout is None else timeout
        t0 = time.perf_counter()
        deadline = time.monotonic() + timeout
        c, late = self.c, f"within {timeout:g} s (hung, stopped, or slower than --comm-timeout allows)"
        if self.rank == 0:
            notes, waiting = {0: (what, obj)}, set(range(1, self.world))

            def arrived():
                for r in sorted(waiting):
                    if c.iprobe(source=r, tag=CHECKIN_TAG):   # a whole message is there: recv returns at once
                        notes[r] = c.recv(source=r, tag=CHECKIN_TAG)
                        waiting.discard(r)
                return not waiting
            if not self._poll(arrived, deadline):
                names = ", ".join(str(r) for r in sorted(waiting))
                raise RankFailure(f"rank{'s' if len(waiting) > 1 else ''} {names} did not reach {what} {late}")
            odd = [r for r in range(1, self.world) if notes[r][0] != what]
            answer = [notes[r][1] for r in range(self.world)]
            if odd:
                answer = RankFailure(f"rank {odd[0]} is at {notes[odd[0]][0]} while rank 0 is at {what}: the "
                                     f"ranks lost step (a bug)")
            for r in range(1, self.world):
                if not self._send(answer, r, CHECKIN_TAG + 1, deadline):
                    raise RankFailure(f"rank {r} did not take the answer at {what} {late}")
        else:
            if not self._send((what, obj), 0, CHECKIN_TAG, deadline):
                raise RankFailure(f"rank 0 did not reach {what} {late}")
            if not self._poll(lambda: c.iprobe(source=0, tag=CHECKIN_TAG + 1), deadline):
                raise RankFailure(f"rank 0 did not answer at {what} {late}")
            answer = c.recv(source=0, tag=CHECKIN_TAG + 1)
        dt = time.perf_counter() - t0
        self.comm_seconds += dt
        self.wait_seconds += dt
        if isinstance(answer, RankFailure):
            raise answer
        return answer

    # --- the bulk collectives (blocking; after a check-in) -----------------------------------

    def alltoall(self, buf, shards):
        """buf: (P,), this rank's gradient -> (N, counts[rank]): row r is rank r's copy of my shard."""
        mine = shards.counts[self.rank]
        recv = np.empty((self.world, mine), buf.dtype)
        t0 = time.perf_counter()
        self.c.Alltoallv([buf, shards.counts, shards.offsets, self.MPI.FLOAT],
                         [recv, [mine] * self.world, [mine * r for r in range(self.world)], self.MPI.FLOAT])
        self.comm_seconds += time.perf_counter() - t0
        return recv

    def allgather(self, buf, shards):
        """buf: (P,), this rank's shard in its place -> every rank's shard in its place, in place."""
        t0 = time.perf_counter()
        self.c.Allgatherv(self.MPI.IN_PLACE, [buf, shards.counts, shards.offsets, self.MPI.FLOAT])
        self.comm_seconds += time.perf_counter() - t0

    def gather(self, shard, shards, out):
        """Every rank's shard (a (counts[rank],) array) into out (P,) on rank 0 (out is None elsewhere)."""
        t0 = time.perf_counter()
        self.c.Gatherv(shard, [out, shards.counts, shards.offsets, self.MPI.FLOAT] if self.rank == 0 else None,
                       root=0)
        self.comm_seconds += time.perf_counter() - t0

    def allreduce_library(self, buf):
        """buf (P,) += every other rank's, in place, by the library's own algorithm and order
        (for the benchmark: fast, but its bits may change with the number of ranks)."""
        t0 = time.perf_counter()
        self.c.Allreduce(self.MPI.IN_PLACE, buf, op=self.MPI.SUM)
        self.comm_seconds += time.perf_counter() - t0

    def abort(self, code):
        """Stop every rank now (MPI_Abort: the launcher kills the others).

        The launcher forwards each rank's output through a pipe, asynchronously: aborting right
        after a rank wrote its last line can kill the forwarder before the line is through, and
        the user sees no reason at all (rank 0's "rank 1 did not reach ..." was lost in 7 of 10
        runs on the 2-core CI VM, 2026-12-02). So the output is flushed, and given a moment."""
        sys.stdout.flush()
        sys.stderr.flush()
        time.sleep(ABORT_GRACE)
        self.c.Abort(code)


def _ptr(a):
    """The device address of a CuPy array (NCCL takes raw pointers)."""
    return a.data.ptr


class NCCLComm(MPIComm):
    """Gradients between GPUs with NCCL (cupy.cuda.nccl), one GPU per rank; MPI for the rest.

    MPI starts the ranks, carries the small exchanges and the NCCL id; the
    bulk buffers stay on the GPU and go through NCCL on the current stream.
    The all-to-all is NCCL's grouped send/recv (every rank to every rank in
    one group), so the reduction is still sum_ranks in rank order, on the GPU.
    NCCL's calls only enqueue work: we wait for the stream with the same
    deadline as a check-in, and abort the NCCL communicator when it passes.

    Not yet run here: this machine has no GPU (chapter 08's README says so).
    """

    name = "nccl"

    def __init__(self, mpi):
        """Over the ranks of `mpi` (an MPIComm), after check_gpus passed on every rank."""
        import cupy
        from cupy.cuda import nccl
        self.MPI, self.c, self.rank, self.world = mpi.MPI, mpi.c, mpi.rank, mpi.world
        self.timeout, self.where, self.local_world = mpi.timeout, mpi.where, mpi.local_world
        self.comm_seconds = self.wait_seconds = 0.0
        self.cupy, self.nccl = cupy, nccl
        cupy.cuda.Device(self.local_rank(mpi)).use()
        uid = nccl.get_unique_id() if self.rank == 0 else None
        uid = self.c.bcast(uid, root=0)              # MPI carries the NCCL id, as in llm.c
        self.nc = nccl.NcclCommunicator(self.world, uid, self.rank)

    @staticmethod
    def local_rank(mpi):
        """This rank's number among the ranks on its node: the GPU it takes."""
        host = mpi.where[mpi.rank][0]
        return [r for r, (h, _) in enumerate(mpi.where) if h == host].index(mpi.rank)

    @staticmethod
    def check_gpus(mpi):
        """Raise (before any NCCL call, so that the ranks can agree on it) unless this rank has its GPU."""
        try:
            import cupy
            from cupy.cuda import nccl  # noqa: F401  (NCCL is an optional part of CuPy)
            ngpu = cupy.cuda.runtime.getDeviceCount()
        except Exception as e:          # no CuPy, no NCCL in it, no driver
            raise ValueError(f"--comm nccl: NCCL through CuPy is not usable here ({type(e).__name__}: {e})") from None
        local = NCCLComm.local_rank(mpi)
        if local >= ngpu:
            raise ValueError(f"--comm nccl: {mpi.local_world} ranks on {mpi.where[mpi.rank][0]}, which has "
                             f"{ngpu} GPU(s): NCCL needs one GPU per rank")

    def describe(self):
        return f"{super().describe()}; gradients over NCCL {self.nccl.get_version()}"

    def _sync(self, what):
        stream = self.cupy.cuda.get_current_stream()
        deadline = time.monotonic() + self.timeout
        while not stream.done:
            if time.monotonic() > deadline:
                self.nc.abort()
                raise RankFailure(f"NCCL {what} did not finish within {self.timeout:g} s on rank {self.rank} "
                                  f"(a GPU or a rank stopped answering)")
            time.sleep(1e-4)

    def alltoall(self, buf, shards):
        nccl, mine = self.nccl, shards.counts[self.rank]
        recv = self.cupy.empty((self.world, mine), buf.dtype)
        stream = self.cupy.cuda.get_current_stream().ptr
        t0 = time.perf_counter()
        nccl.groupStart()
        for r in range(self.world):
            lo, n = shards.offsets[r], shards.counts[r]
            if n:
                self.nc.send(_ptr(buf[lo:lo + n]), n, nccl.NCCL_FLOAT32, r, stream)
            if mine:
                self.nc.recv(_ptr(recv[r]), mine, nccl.NCCL_FLOAT32, r, stream)
        nccl.groupEnd()
        self._sync("all-to-all")
        self.comm_seconds += time.perf_counter() - t0
        return recv

    def allgather(self, buf, shards):
        # NCCL's all-gather wants equal pieces: gather S per rank (the last ones padded) into a scratch buffer
        nccl, S = self.nccl, shards.S
        piece = self.cupy.zeros(S, buf.dtype)
        sl = shards.of(self.rank)
        piece[:sl.stop - sl.start] = buf[sl]
        full = self.cupy.empty(S * self.world, buf.dtype)
        t0 = time.perf_counter()
        self.nc.allGather(_ptr(piece), _ptr(full), S, nccl.NCCL_FLOAT32,
                          self.cupy.cuda.get_current_stream().ptr)
        self._sync("all-gather")
        self.comm_seconds += time.perf_counter() - t0
        buf[...] = full[:shards.P]

    def gather(self, shard, shards, out):
        host = self.cupy.asnumpy(shard)
        t0 = time.perf_counter()
        self.c.Gatherv(host, [out, shards.counts, shards.offsets, self.MPI.FLOAT] if self.rank == 0 else None,
                       root=0)
        self.comm_seconds += time.perf_counter() - t0

    def allreduce_library(self, buf):
        t0 = time.perf_counter()
        self.nc.allReduce(_ptr(buf), _ptr(buf), buf.size, self.nccl.NCCL_FLOAT32, self.nccl.NCCL_SUM,
                          self.cupy.cuda.get_current_stream().ptr)
        self._sync("all-reduce")
        self.comm_seconds += time.perf_counter() - t0
