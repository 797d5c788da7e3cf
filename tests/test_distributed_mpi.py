"""Chapter 08 on real processes (mpiexec -n 2, MPICH from its wheel): two ranks train the same bits as
one process accumulating two micro-batches, ZeRO-1 the same bits as plain data parallelism, --resume
works on any number of ranks, only rank 0 writes, and a rank that fails, hangs or dies stops the run
with a message naming it — never a hang.

Skipped only where MPI is not installed (`make setup` installs the `mpi` extra: mpi4py and mpich)."""
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest

from pystory.checkpoint import load_checkpoint
from pystory.data.corpus import write_corpus
from pystory.data.storyworld import generate_stories

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def find_mpiexec():
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return here if os.path.exists(here) else shutil.which("mpiexec")


MPIEXEC = find_mpiexec()
pytestmark = pytest.mark.skipif(
    MPIEXEC is None or importlib.util.find_spec("mpi4py") is None,
    reason="MPI is not installed (mpi4py and an mpiexec): `make setup` installs them (pip install -e '.[mpi]')")

# One OpenMP thread everywhere: the C gradient norm's float64 sum is split by thread, so
# "the same bits" compares runs with the same thread count (the lesson says why).
ENV = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=ROOT)

FAULTS = '''
import os, signal, sys, time
from pystory.dist import parallel
rank, kind, at = int(os.environ.get("PMI_RANK", "0")), os.environ["FAULT"], int(os.environ["FAULT_STEP"])
real = parallel.DataParallel.forward_backward
def forward_backward(self, loader, step, *rest):
    if rank == 1 and step == at:
        if kind == "raise":
            raise RuntimeError("an injected fault")
        if kind == "hang":
            time.sleep(600)
        if kind == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
    return real(self, loader, step, *rest)
parallel.DataParallel.forward_backward = forward_backward
from pystory import cli
cli.main(sys.argv[1:])
'''


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("corpus")
    stories = generate_stories(60, seed=1)
    write_corpus(d / "train.txt", stories[:50])
    write_corpus(d / "val.txt", stories[50:])
    return d


def train(corpus, out, *extra, ranks=1, steps=6, script=None, env=None, timeout=180):
    """Run `python -m pystory train` on `ranks` processes; -> CompletedProcess (never left running)."""
    argv = ["train", "--corpus", str(corpus), "--config", "tiny", "--set", "block_size=32", "--batch-size", "4",
            "--eval-every", "3", "--eval-batches", "2", "--ckpt-every", "3", "--steps", str(steps),
            "--out", str(out), *extra]
    py = [sys.executable, script] if script else [sys.executable, "-m", "pystory"]
    cmd = ([MPIEXEC, "-n", str(ranks)] if ranks > 1 else []) + py + argv
    p = subprocess.Popen(cmd, cwd=ROOT, env={**ENV, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    try:
        out_, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out_, err = p.communicate()
        pytest.fail(f"the run hung (killed after {timeout} s):\n{out_[-2000:]}\n{err[-2000:]}")
    return subprocess.CompletedProcess(cmd, p.returncode, out_, err)


def ok(r):
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r


def same_bits(a, b):
    a, b = load_checkpoint(os.path.join(a, "model.ckpt")), load_checkpoint(os.path.join(b, "model.ckpt"))
    for name in ("params", "m", "v"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), f"{name} differ"
    assert a.train_state["history"] == b.train_state["history"]
    assert a.step == b.step


def test_two_ranks_train_the_same_bits_as_one_process_accumulating_two_micro_batches(corpus, tmp_path):
    ok(train(corpus, tmp_path / "one", "--accum", "2"))
    r = ok(train(corpus, tmp_path / "two", ranks=2))
    same_bits(tmp_path / "one", tmp_path / "two")
    assert "each step: 2 rank(s) x 1 micro-batch(es) of 2 windows" in r.stdout


def test_two_ranks_match_one_process_with_the_whole_batch_to_float32_rounding(corpus, tmp_path):
    ok(train(corpus, tmp_path / "one"))
    ok(train(corpus, tmp_path / "two", ranks=2))
    a, b = (load_checkpoint(os.path.join(tmp_path, d, "model.ckpt")) for d in ("one", "two"))
    np.testing.assert_allclose(b.params, a.params, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.train_state["history"]["loss"], a.train_state["history"]["loss"], rtol=1e-6)


def test_zero1_trains_the_same_bits_as_plain_data_parallelism_with_less_memory(corpus, tmp_path):
    plain = ok(train(corpus, tmp_path / "plain", ranks=2))
    zero = ok(train(corpus, tmp_path / "zero", "--zero", ranks=2))
    same_bits(tmp_path / "plain", tmp_path / "zero")
    mib = {name: [float(x) for x in re.findall(r"adamw m, v ([\d.]+) MiB", r.stdout)]
           for name, r in (("plain", plain), ("zero", zero))}
    assert len(mib["zero"]) == 2 and all(z < 0.6 * p for z, p in zip(mib["zero"], mib["plain"]))


def test_resume_works_on_another_number_of_ranks_and_continues_exactly(corpus, tmp_path):
    ok(train(corpus, tmp_path / "straight", ranks=2))
    ok(train(corpus, tmp_path / "split", "--zero", ranks=2, steps=3))            # ZeRO-1 checkpoint, 2 ranks
    ok(train(corpus, tmp_path / "split", "--resume", "--accum", "2", steps=6))  # resumed on 1 process
    same_bits(tmp_path / "straight", tmp_path / "split")
    ok(train(corpus, tmp_path / "back", "--accum", "2", steps=3))                 # and the other way round
    ok(train(corpus, tmp_path / "back", "--resume", "--zero", ranks=2, steps=6))
    same_bits(tmp_path / "straight", tmp_path / "back")


def test_only_rank_0_writes_files_and_logs(corpus, tmp_path):
    one = ok(train(corpus, tmp_path / "one", "--accum", "2"))
    two = ok(train(corpus, tmp_path / "two", ranks=2))
    assert two.stdout.count("step     1/6") == 1 and two.stdout.count("trained steps") == 1
    assert sorted(os.listdir(tmp_path / "two")) == sorted(os.listdir(tmp_path / "one"))
    assert two.stderr == one.stderr == ""


def test_a_mistake_every_rank_makes_is_one_line_and_exit_code_2(corpus, tmp_path):
    r = train(corpus, tmp_path / "run", "--batch-size", "3", ranks=2)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip() == ("train: --batch-size 3 must split evenly into 2 rank(s) x 1 micro-batch(es) "
                                "(--accum): give a multiple of 2")


def test_a_rank_that_fails_stops_the_run_naming_it_and_the_last_checkpoint_loads(corpus, tmp_path):
    script = tmp_path / "faults.py"
    script.write_text(FAULTS)
    r = train(corpus, tmp_path / "run", ranks=2, script=str(script), env={"FAULT": "raise", "FAULT_STEP": "5"},
              timeout=120)
    assert r.returncode != 0
    assert "train: rank 1: RuntimeError: an injected fault; stopping every rank" in r.stderr
    assert load_checkpoint(os.path.join(tmp_path, "run", "model.ckpt")).step == 3


def test_a_rank_that_hangs_is_named_after_the_timeout(corpus, tmp_path):
    script = tmp_path / "faults.py"
    script.write_text(FAULTS)
    # 6 s: far above a healthy tiny step even on a crowded machine, so only the injected hang trips it
    r = train(corpus, tmp_path / "run", "--comm-timeout", "6", ranks=2, script=str(script),
              env={"FAULT": "hang", "FAULT_STEP": "5"}, timeout=120)
    assert r.returncode != 0
    assert "train: rank 0: rank 1 did not reach the loss of step 5 within 6 s" in r.stderr
    assert "the last checkpoint is" in r.stderr and "(step 3); continue with --resume" in r.stderr
    assert load_checkpoint(os.path.join(tmp_path, "run", "model.ckpt")).step == 3


def test_a_rank_killed_outright_stops_the_run_and_its_pid_maps_to_its_rank(corpus, tmp_path):
    script = tmp_path / "faults.py"
    script.write_text(FAULTS)
    r = train(corpus, tmp_path / "run", ranks=2, script=str(script), env={"FAULT": "kill", "FAULT_STEP": "5"},
              timeout=120)
    assert r.returncode != 0
    pid = re.search(r"1 = pid (\d+) on", r.stdout).group(1)            # the run's first lines: who is who
    assert re.search(rf"PID {pid} .*\n.*\n?.*(EXIT CODE: 9|signal 9)", r.stdout + r.stderr), r.stdout + r.stderr
    assert load_checkpoint(os.path.join(tmp_path, "run", "model.ckpt")).step == 3


# NCCL cannot run here (no GPU). What can be checked: that NCCLComm's shard bookkeeping (the grouped
# send/recv all-to-all, the padded all-gather, the gather for checkpoints) computes what MPIComm does,
# with a stand-in for cupy.cuda.nccl that moves the same bytes through MPI.
STAND_IN = r'''
import ctypes, sys, types
import numpy as np
from mpi4py import MPI
W, pending = MPI.COMM_WORLD, []

def view(ptr, n):
    return np.ctypeslib.as_array((ctypes.c_float * n).from_address(ptr)) if n else np.zeros(0, np.float32)

class Communicator:
    def __init__(self, world, uid, rank):
        assert (world, uid, rank) == (W.size, "the id", W.rank)
    def send(self, ptr, n, dtype, peer, stream):
        buf = view(ptr, n).copy()
        pending.append((W.Isend(buf, dest=peer, tag=11), buf))
    def recv(self, ptr, n, dtype, peer, stream):
        pending.append((W.Irecv(view(ptr, n), source=peer, tag=11), None))
    def allGather(self, send, recv, n, dtype, stream):
        W.Allgather(view(send, n).copy(), view(recv, n * W.size))
    def abort(self):
        pass

def group_end():
    MPI.Request.Waitall([r for r, _ in pending])
    pending.clear()

nccl = types.SimpleNamespace(NCCL_FLOAT32=7, NCCL_SUM=0, groupStart=lambda: None, groupEnd=group_end,
                             get_unique_id=lambda: "the id", get_version=lambda: 0, NcclCommunicator=Communicator)
stream = types.SimpleNamespace(ptr=0, done=True)
cuda = types.SimpleNamespace(nccl=nccl, Device=lambda i: types.SimpleNamespace(use=lambda: None),
                             get_current_stream=lambda: stream, runtime=types.SimpleNamespace(getDeviceCount=lambda: 8))
sys.modules["cupy"] = types.SimpleNamespace(cuda=cuda, empty=np.empty, zeros=np.zeros, asnumpy=np.asarray)
sys.modules["cupy.cuda"], sys.modules["cupy.cuda.nccl"] = cuda, nccl

import pystory
from pystory.dist import comm as comm_mod
from pystory.dist.parallel import DataParallel
from pystory.gpt import GPT, GPTConfig
comm_mod._ptr = lambda a: a.ctypes.data                   # NumPy arrays stand in for CuPy's
mpi = comm_mod.MPIComm(30)
comm_mod.NCCLComm.check_gpus(mpi)
cfg = GPTConfig(vocab_size=61, block_size=16, n_layer=1, n_head=2, n_embd=16)
rng = np.random.default_rng(0)
batches = [rng.integers(0, 61, (4, 17)).astype(np.int32) for _ in range(3)]

class Loader:
    B = 4
    def __init__(self):
        self.k = 0
    def next_batch(self, rows):
        self.k += 1
        return batches[self.k - 1][rows[0]:rows[1]]

def train(comm, zero):
    model = GPT(cfg, pystory.backend("c")).init_weights(1)
    par = DataParallel(comm, zero=zero).attach(model)
    loader = Loader()
    for step in (1, 2, 3):
        par.forward_backward(loader, step)
        par.reduce_and_clip(0.5, step)
        par.update(1e-2, step, 0.1)
    m, v, _ = par.optimizer_state("the end")
    return model.params.copy(), m, v

for zero in (False, True):
    a, b = train(mpi, zero), train(comm_mod.NCCLComm(mpi), zero)
    if mpi.rank == 0:
        print("zero" if zero else "plain", all(np.array_equal(x, y) for x, y in zip(a, b)))
'''


def test_the_nccl_path_computes_what_the_mpi_path_does_with_a_stand_in_nccl(tmp_path):
    script = tmp_path / "stand_in.py"
    script.write_text(STAND_IN)
    r = subprocess.run([MPIEXEC, "-n", "2", sys.executable, str(script)], cwd=ROOT, env=ENV, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.split() == ["plain", "True", "zero", "True"], r.stdout + r.stderr[-2000:]
