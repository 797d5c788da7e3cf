"""Chapter 08: a command on every rank of an MPI launch — one voice, and never a hang.

    mpiexec -n 2 python -m pystory train ...      (pystory/gpt_cli.py calls run_on_ranks)

What each kind of failure does:

- A user's mistake found while setting up (a bad --resume, a batch that does
  not split into the ranks) is found by every rank, or by one: the ranks
  meet (agree), rank 0 prints one line (naming the rank when only some
  failed), and every rank exits with code 2. Nothing hangs: they all stop at
  the same meeting point.
- A divergence is seen by every rank at the same step (it is decided from
  exchanged numbers): rank 0 prints it, every rank exits with code 1.
- Anything else on one rank (a full disk on rank 0, out of memory, a bug, a
  rank that stopped answering at a check-in): that rank prints one line that
  starts with its number, and MPI_Abort stops them all.
- A rank killed outright (the kernel's out-of-memory killer, a crash): the
  MPI launcher stops the others and names the dead pid; the run's first line
  says which rank that pid was.

Only rank 0 writes to stdout and stderr otherwise; the other ranks' output
goes nowhere, so a message is never printed N times.
"""
from __future__ import annotations

import os
import sys
import time

from pystory.dist.comm import RankFailure, launched

__all__ = ["run_on_ranks", "agree", "Agreed"]


class Agreed(Exception):
    """A failure every rank knows about (raised on every rank at the same meeting point)."""


def _describe(e):
    from pystory.cli_args import describe_os_error
    msg = describe_os_error(e) if isinstance(e, OSError) else str(e)
    return " ".join(msg.split()) or type(e).__name__


def agree(comm, what, fn, timeout=None):
    """Run fn() on every rank and meet; -> this rank's result. If fn failed (a user's mistake,
    a bad file) on any rank, raise Agreed on every rank with its message. Only the errors travel,
    never the results. With one process, fn() simply runs (its exception raised as it is)."""
    if comm.world == 1:
        return fn()
    from pystory.atomic import FolderLocked
    from pystory.cli_args import UserError
    from pystory.common import BackendUnavailable
    result, err = None, None
    try:
        result = fn()
    except (UserError, FolderLocked, BackendUnavailable, ValueError, OSError) as e:
        err = _describe(e)
    failed = [(r, e) for r, e in enumerate(comm.exchange(what, err, timeout)) if e]
    if failed:
        r, msg = failed[0]
        same = len(failed) == comm.world and len({e for _, e in failed}) == 1
        raise Agreed(msg if same else f"rank {r}: {msg}")
    return result


def run_on_ranks(name, main, argv):
    """Run main(argv, comm) on this rank of an MPI launch; -> the exit code (see the module docstring)."""
    try:
        comm = launched()
    except RankFailure as e:                          # mpi4py missing: every rank would say it
        if os.environ.get("PMI_RANK", os.environ.get("OMPI_COMM_WORLD_RANK", "0")) == "0":
            print(f"{name}: {e}", file=sys.stderr)
        return 2
    real_err = sys.__stderr__
    if comm.rank != 0:
        sys.stdout = sys.stderr = open(os.devnull, "w")
    try:
        rc = main(argv, comm) or 0
    except SystemExit as e:                           # argparse, on every rank alike (rank 0 printed it)
        rc = e.code if isinstance(e.code, int) else 2
        if not isinstance(e.code, (int, type(None))) and comm.rank == 0:
            print(" ".join(str(e.code).split()), file=real_err)
    except Agreed as e:
        if comm.rank == 0:
            print(f"{name}: {' '.join(str(e).split())}", file=real_err)
        rc = 2
    except KeyboardInterrupt:
        if comm.rank == 0:
            print(f"\n{name}: interrupted (Ctrl-C)", file=real_err)
        rc = 130
    except BaseException as e:                        # this rank alone: say who, then stop everyone
        if os.environ.get("PYSTORY_TRACEBACK"):
            import traceback
            traceback.print_exc(file=real_err)
        what = "out of memory" if isinstance(e, MemoryError) else _describe(e)
        if not isinstance(e, (RankFailure, OSError, ValueError)):
            what = f"{type(e).__name__}: {what}"
        print(f"{name}: rank {comm.rank}: {what}; stopping every rank", file=real_err, flush=True)
        comm.abort(1)
        return 1
    if rc not in (0, 1, 2):                           # interrupted: a rank may sit in a collective
        if comm.rank != 0:
            time.sleep(1)                             # let rank 0 say where the checkpoint is
        comm.abort(rc)
    return rc
