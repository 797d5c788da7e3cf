"""Run an all-reduce on R ranks and collect what every rank ends with (chapter 08's homework checker).

    out, how = run_allreduce("path/to/ring_allreduce.py", x)    # x: (R, n), row r is rank r's input
    out, how = run_allreduce("library", x)                      # MPI's own Allreduce, for comparison
    # out: (R, n), row r is what rank r returned; how: "MPI" or "threads"

With MPI installed the ranks are real processes (mpiexec -n R python -m
pystory.dist.ring_check ...). The function under test gets a communicator
that offers only point-to-point calls (Send, Recv, Sendrecv, ...): a ring
all-reduce must be built from them, not from Allreduce. Without MPI the
ranks are threads in one process with a stand-in communicator of the same
calls (ThreadComm), so the homework can still be checked; the grader says
which it used.
"""
from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading

import numpy as np

__all__ = ["run_allreduce", "ThreadComm", "PointToPoint", "mpiexec"]

POINT_TO_POINT = ("Get_rank", "Get_size", "rank", "size", "Send", "Recv", "Sendrecv", "Isend", "Irecv",
                  "send", "recv", "sendrecv", "isend", "irecv")


def mpiexec():
    """The mpiexec beside this Python (the venv's, from the mpich wheel), or on PATH, or None."""
    try:
        import importlib.util
        if importlib.util.find_spec("mpi4py") is None:
            return None
    except (ImportError, ValueError):
        return None
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return here if os.path.exists(here) else shutil.which("mpiexec")


def _refuse(name):
    raise AttributeError(f"the communicator here offers point-to-point calls only ({', '.join(POINT_TO_POINT[4:])}); "
                         f"{name} is not one: build the all-reduce from messages between neighbours")


class PointToPoint:
    """An mpi4py communicator with only its point-to-point calls."""

    def __init__(self, comm):
        object.__setattr__(self, "_comm", comm)

    def __getattr__(self, name):
        if name in POINT_TO_POINT:
            return getattr(self._comm, name)
        _refuse(name)


class ThreadComm:
    """R threads standing in for R ranks: Send/Recv/Sendrecv (and send/recv of objects) through queues.
    Messages between two ranks arrive in the order they were sent, as MPI guarantees."""

    TIMEOUT = 20.0          # a receive that waits longer is a deadlock (two ranks both receiving)

    def __init__(self, rank, size, boxes):
        self._rank, self._size, self._boxes = rank, size, boxes

    def Get_rank(self):
        return self._rank

    def Get_size(self):
        return self._size

    rank = property(Get_rank)
    size = property(Get_size)

    def _put(self, obj, dest):
        self._boxes[self._rank, dest].put(obj)

    def _get(self, source):
        try:
            return self._boxes[source, self._rank].get(timeout=self.TIMEOUT)
        except queue.Empty:
            raise RuntimeError(f"rank {self._rank} waited {self.TIMEOUT:g} s for a message from rank {source} "
                               f"that never came (a deadlock: do both ranks receive first?)") from None

    def Send(self, buf, dest, tag=0):
        self._put(np.array(buf, copy=True), dest)

    def Recv(self, buf, source, tag=0, status=None):
        data = self._get(source)
        np.asarray(buf).reshape(-1)[...] = data.reshape(-1)

    def Sendrecv(self, sendbuf, dest, sendtag=0, recvbuf=None, source=0, recvtag=0, status=None):
        self.Send(sendbuf, dest)
        self.Recv(recvbuf, source)

    def send(self, obj, dest, tag=0):
        self._put(obj, dest)

    def recv(self, buf=None, source=0, tag=0, status=None):
        return self._get(source)

    def sendrecv(self, sendobj, dest, sendtag=0, recvbuf=None, source=0, recvtag=0, status=None):
        self._put(sendobj, dest)
        return self._get(source)

    def __getattr__(self, name):
        _refuse(name)


def _why(e):
    """What a rank's exception says, for the learner."""
    if isinstance(e, NotImplementedError):
        return "not implemented yet"
    return f"{type(e).__name__}: {e}"


def _load(impl):
    if impl == "library":
        return None
    from pystory.grading import load_python
    return load_python(impl, "ring_allreduce")


def _threads(impl, x):
    R = x.shape[0]
    boxes = {(a, b): queue.Queue() for a in range(R) for b in range(R)}
    fn = _load(impl)
    out, errors = [None] * R, [None] * R

    def rank(r):
        try:
            out[r] = np.asarray(fn(ThreadComm(r, R, boxes), x[r].copy()))
        except BaseException as e:          # noqa: BLE001 (reported below, naming the rank)
            errors[r] = e
    if fn is None:
        return np.broadcast_to(x.sum(axis=0, dtype=np.float32), x.shape).copy()
    threads = [threading.Thread(target=rank, args=(r,), daemon=True) for r in range(R)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(ThreadComm.TIMEOUT * 2)
    for r, e in enumerate(errors):
        if e is not None:
            raise RuntimeError(f"rank {r}: {_why(e)}") from None
    if any(o is None for o in out):
        raise RuntimeError("a rank did not return (a deadlock?)")
    return _stack(out, x)


def _stack(out, x):
    """The ranks' results as one (R, n) array, each checked to be (n,) numbers."""
    for r, o in enumerate(out):
        if o.shape != x.shape[1:] or o.dtype.kind not in "fiu":
            raise ValueError(f"rank {r} returned an array of shape {o.shape} ({o.dtype}), expected "
                             f"{x.shape[1:]} numbers")
    return np.stack(out).astype(np.float32)


def _mpi(exe, impl, x, timeout):
    with tempfile.TemporaryDirectory(prefix="pystory-ring-") as d:
        np.save(os.path.join(d, "x.npy"), x)
        env = dict(os.environ, OMP_NUM_THREADS="1")
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        cmd = [exe, "-n", str(x.shape[0]), sys.executable, "-m", "pystory.dist.ring_check", impl, d]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                               stdin=subprocess.DEVNULL, start_new_session=True)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"the {x.shape[0]} ranks did not finish in {timeout:g} s (a deadlock: do two "
                               f"neighbours both wait to receive first?)") from None
        outs = [os.path.join(d, f"rank{k}.npy") for k in range(x.shape[0])]
        errs = [os.path.join(d, f"rank{k}.err") for k in range(x.shape[0])]
        for k, e in enumerate(errs):
            if os.path.exists(e):
                with open(e, errors="replace") as f:
                    raise RuntimeError(f"rank {k}: {f.read().strip()}")
        if r.returncode != 0 or not all(os.path.exists(o) for o in outs):
            tail = "\n".join((r.stderr or r.stdout).strip().splitlines()[-4:])
            raise RuntimeError(f"the ranks stopped with exit code {r.returncode} before returning:\n{tail}")
        return _stack([np.load(o) for o in outs], x)


def run_allreduce(impl, x, timeout=45.0):
    """(out (R, n), "MPI" | "threads"): every rank's result of the all-reduce `impl` on inputs x (R, n)."""
    x = np.ascontiguousarray(x, np.float32)
    exe = mpiexec()
    if exe is None:
        return _threads(impl, x), "threads"
    return _mpi(exe, impl, x, timeout), "MPI"


def _rank_main(impl, folder):
    """One rank under mpiexec: run `impl` on my row of x.npy, save what it returns as rank<r>.npy."""
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    r = comm.Get_rank()
    x = np.load(os.path.join(folder, "x.npy"))[r].copy()
    try:
        fn = _load(impl)
        if fn is None:
            out = np.empty_like(x)
            comm.Allreduce(x, out, op=MPI.SUM)
        else:
            out = np.asarray(fn(PointToPoint(comm), x))
    except Exception as e:                  # the message, for the grader; then stop every rank
        with open(os.path.join(folder, f"rank{r}.err"), "w") as f:
            f.write(_why(e))
        comm.Abort(1)
    tmp = os.path.join(folder, f".rank{r}.npy")
    np.save(tmp, np.asarray(out), allow_pickle=False)
    os.replace(tmp, os.path.join(folder, f"rank{r}.npy"))


if __name__ == "__main__":
    _rank_main(sys.argv[1], sys.argv[2])
