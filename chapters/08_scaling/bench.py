"""Chapter 08 benchmark: training on 1 and 2 processes, and what one all-reduce costs.

    python chapters/08_scaling/bench.py            (the old and new shipped models' sizes and 4m; minutes)
    python chapters/08_scaling/bench.py --quick    (a tiny model, seconds)

1. Training: tokens per second of full data-parallel steps (forward, backward,
   the gradient reduce-scatter and all-gather, AdamW) with the same global
   batch on 1 process (all cores to OpenMP), 1 process with 1 thread, and 2
   processes with 1 thread each (mpiexec -n 2), plus the time each step spends
   communicating (and, of that, waiting at check-ins for the slower rank).
   The launches alternate (1, 2, 1, 2, ...): median and spread over --repeat.
2. One all-reduce of the gradient buffer on 2 ranks, three ways, interleaved in
   one run: ours (all-to-all + sum_ranks in rank order + all-gather), MPI's own
   Allreduce, and the ring of pystory/dist/ring.py (Python, Sendrecv); beside
   them the alpha-beta model's prediction from a measured ping-pong (alpha: the
   time of an empty message, beta: seconds per byte).
3. NCCL (GPUs): "not yet measured" unless run on a machine with GPUs
   (mpiexec -n N ... --worker ... --comm nccl; with one GPU, one rank).

Method (issue 15, pystory/bench.py, as every chapter's bench): the setups
take turns after a warm-up, at least 5 repeats by default; the tables give the
median and the spread, (slowest - fastest) / median, with `!` past 20 %, and
the preamble names the machine, its load and NumPy's BLAS kernel. What this
bench times runs in other processes, so each call reports its own seconds
(`self_timed`): a launch the median of its timed steps (the process start is
not counted; its first step is its warm-up), an all-reduce the seconds of the
slower rank. There is no NumPy yardstick here (every row runs our C code), so
the machine's OPENBLAS_* settings stay.

Needs MPI (`make setup` installs mpi4py and the MPICH wheel); without it the
benchmark says so and writes nothing.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

from pystory.bench import (MIN_REPEAT, SPREAD_NOTE, Timing, add_output_args, cells, figure_path,  # noqa: E402
                           interleaved, markdown_table, preamble, save_figure, write_text)
from pystory.dist.ring_check import mpiexec  # noqa: E402

CONFIGS = {       # name: (GPTConfig fields, global batch B)
    "tiny": (dict(vocab_size=257, block_size=32, n_layer=2, n_head=2, n_embd=64), 8),
    "small": (dict(vocab_size=2048, block_size=128, n_layer=4, n_head=4, n_embd=128), 16),   # the previous shipped model
    "story": (dict(vocab_size=4096, block_size=384, n_layer=6, n_head=4, n_embd=128), 16),   # the shipped story model
    "4m": (dict(vocab_size=4096, block_size=256, n_layer=4, n_head=4, n_embd=256), 16),
}


# --- the worker: runs on every rank under mpiexec (or alone) ---------------------------------------

def worker_train(config, steps, zero):
    """Time `steps` data-parallel training steps (after one warm-up) on synthetic batches."""
    import pystory
    from pystory.dist.comm import MPIComm, SingleProcess, launched_world
    from pystory.dist.parallel import DataParallel
    from pystory.gpt import GPT, GPTConfig
    fields, B = CONFIGS[config]
    cfg = GPTConfig(**fields)
    comm = MPIComm() if launched_world() > 1 else SingleProcess()
    be = pystory.backend("c")
    model = GPT(cfg, be).init_weights(0)
    par = DataParallel(comm, zero=zero).attach(model)

    class Synthetic:                                 # the loader's interface, random ids
        def __init__(self):
            self.B, self.T, self.rng = B, cfg.block_size, np.random.default_rng(0)

        def next_batch(self, rows):
            w = self.rng.integers(0, cfg.vocab_size, (self.B, self.T + 1)).astype(np.int32)
            return w[rows[0]:rows[1]]
    loader, times, comms, waits = Synthetic(), [], [], []
    for step in range(1, steps + 2):
        c0, w0 = comm.comm_seconds, comm.wait_seconds
        t0 = time.perf_counter()
        par.forward_backward(loader, step)
        par.reduce_and_clip(1.0, step)
        par.update(1e-4, step, 0.1)
        if step > 1:                                 # the first step warms up (allocations, page faults)
            times.append(time.perf_counter() - t0)
            comms.append(comm.comm_seconds - c0)
            waits.append(comm.wait_seconds - w0)
    mem = par.memory()
    rows = comm.exchange("the results", (times, comms, waits, mem))
    if comm.rank == 0:
        step_time = [max(r[0][i] for r in rows) for i in range(steps)]      # a step ends when the last rank does
        print(json.dumps({"tokens": B * cfg.block_size, "params": model.num_params, "step": step_time,
                          "comm": [statistics.median(r[1]) for r in rows],
                          "wait": [statistics.median(r[2]) for r in rows],
                          "memory": [sum(r[3].values()) for r in rows]}))


def worker_allreduce(P, repeat):
    """Rank 0 prints {method: [seconds per all-reduce of P floats]} and the ping-pong fit."""
    from mpi4py import MPI

    import pystory
    from pystory.dist.comm import MPIComm, Shards
    from pystory.dist.ring import ring_allreduce
    comm = MPIComm()
    be = pystory.backend("c")
    R, shards = comm.world, Shards(P, comm.world)
    x = np.random.default_rng(comm.rank).standard_normal(P).astype(np.float32)

    def ours():
        g = x.copy()
        comm.c.Barrier()
        t0 = time.perf_counter()
        shard = be.sum_ranks(comm.alltoall(g, shards), 1.0)
        g[shards.of(comm.rank)] = shard
        comm.allgather(g, shards)
        return time.perf_counter() - t0

    def library():
        g = x.copy()
        comm.c.Barrier()
        t0 = time.perf_counter()
        comm.c.Allreduce(MPI.IN_PLACE, g, op=MPI.SUM)
        return time.perf_counter() - t0

    def ring():
        comm.c.Barrier()
        t0 = time.perf_counter()
        ring_allreduce(comm.c, x)
        return time.perf_counter() - t0

    methods = {"ours: all-to-all + sum_ranks + all-gather": ours, "MPI Allreduce (library)": library,
               "ring of pystory/dist/ring.py": ring}
    # every rank runs the same interleaved calls in the same order; a sample is the slower rank's seconds
    slower = {k: (lambda f=f: comm.c.allreduce(f(), op=MPI.MAX)) for k, f in methods.items()}
    times = {k: t.samples for k, t in interleaved(slower, repeat, min_time=0, self_timed=set(slower)).items()}
    # ping-pong between ranks 0 and 1: alpha from 1 float, beta from 4M floats. The empty message
    # takes microseconds, so it gets many repeats: its median then ignores the few that a busy
    # machine's scheduler delays by a whole time slice (milliseconds).
    pp = {}
    for n, reps in ((1, 200), (1 << 22, max(5, repeat))):
        buf = np.zeros(n, np.float32)
        ts = []
        for _ in range(reps):
            comm.c.Barrier()
            t0 = time.perf_counter()
            if comm.rank == 0:
                comm.c.Send(buf, dest=1)
                comm.c.Recv(buf, source=1)
            elif comm.rank == 1:
                comm.c.Recv(buf, source=0)
                comm.c.Send(buf, dest=0)
            ts.append((time.perf_counter() - t0) / 2)
        pp[n] = statistics.median(ts)
    if comm.rank == 0:
        alpha = pp[1]
        beta = (pp[1 << 22] - alpha) / (4 * (1 << 22))
        print(json.dumps({"P": P, "R": R, "times": times, "alpha": alpha, "beta": beta}))


# --- the driver ---------------------------------------------------------------------------------------

def launch(ranks, threads, *worker_args):
    """Run this file's worker on `ranks` processes; -> the JSON rank 0 printed."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), PYTHONPATH=ROOT)
    cmd = [sys.executable, __file__, "--worker", *worker_args]
    if ranks > 1:
        cmd = [mpiexec(), "-n", str(ranks)] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    if r.returncode:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="the tiny model and small buffers, for a look")
    ap.add_argument("--repeat", type=int, default=MIN_REPEAT,
                    help="launches per setup (alternating), and all-reduces (at least 5 of these); "
                         "fewer than 5: a smoke test")
    ap.add_argument("--steps", type=int, default=4, help="timed training steps per launch (after one warm-up)")
    ap.add_argument("--configs", nargs="+", choices=sorted(CONFIGS), default=["small", "story", "4m"],
                    help="the model sizes to train (--quick: tiny)")
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = add_output_args(ap).parse_args(argv)
    if args.worker:
        kind, *rest = args.worker
        if kind == "train":
            worker_train(rest[0], int(rest[1]), rest[2] == "zero")
        else:
            worker_allreduce(int(rest[0]), int(rest[1]))
        return 0
    if mpiexec() is None:
        print("bench: MPI is not installed (`make setup` installs mpi4py and mpich): nothing measured")
        return 0
    cores = os.cpu_count() or 1
    head = preamble(keep_blas_env=True, note=False)       # no NumPy yardstick here: see the top
    print(head, flush=True)
    configs = ["tiny"] if args.quick else args.configs

    # 1. training, 1 vs 2 processes, alternating launches
    setups = [("1 process", 1, cores, "plain"), ("1 process, 1 thread", 1, 1, "plain"),
              ("2 processes, 1 thread each", 2, 1, "plain"), ("2 processes, ZeRO-1", 2, 1, "zero")]
    rows, rates = [], {}
    for config in configs:
        results = {s[0]: [] for s in setups}

        def launcher(name, ranks, threads, mode):
            def run():          # self-timed: the median seconds of the launch's timed steps
                res = launch(ranks, threads, "train", config, str(args.steps), mode)
                results[name].append(res)
                return statistics.median(res["step"])
            return run
        fns = {name: launcher(name, *rest) for name, *rest in setups}
        # warmup=0: each launch warms itself up (its first step is not timed), and a launch costs seconds
        steps = interleaved(fns, args.repeat, warmup=0, min_time=0, self_timed=set(fns))
        base = None
        for name, ranks, threads, mode in setups:
            res, t = results[name], steps[name]
            tok_s = res[0]["tokens"] / t.median
            comm = statistics.median([max(r["comm"]) for r in res]) * 1000
            wait = statistics.median([max(r["wait"]) for r in res]) * 1000
            base = base or tok_s
            rates[f"{config}: {name}"] = tok_s
            mem = res[0]["memory"][0] / 2**20
            rows.append([f"{config} ({res[0]['params']:,} params, {res[0]['tokens']:,} tok/step)", name,
                         f"{tok_s:,.0f}", t.spread_text(), f"{tok_s / base:.2f}x", f"{t.median * 1000:,.0f}",
                         f"{comm:,.1f}" if ranks > 1 else "-", f"{wait:,.1f}" if ranks > 1 else "-",
                         f"{mem:.1f}"])
            print(f"  {config} {name}: {tok_s:,.0f} tok/s ({t.spread_text()}), step {t.median * 1000:.0f} ms",
                  flush=True)
        rows.append([config, "NCCL, GPUs", "not yet measured (no GPU)", "-", "-", "-", "-", "-", "-"])
    train_table = markdown_table(["model", "setup", "tokens/s (median)", "spread", "vs 1 process", "step ms",
                                  "comm ms/step", "of it waiting", "train state MiB/rank"], rows)

    # 2. one all-reduce of the gradient buffer, three ways, on 2 ranks
    from pystory.gpt import GPTConfig, num_params
    sizes = [num_params(GPTConfig(**CONFIGS[c][0])) for c in configs]      # the gradient buffers of the models
    ar_rows, ar_plot = [], {}
    for P in sizes:
        res = launch(2, 1, "allreduce", str(P), str(max(args.repeat, 5)))
        a, b = res["alpha"], res["beta"]
        model = 2 * (res["R"] - 1) * a + 2 * (res["R"] - 1) / res["R"] * 4 * P * b
        for name, ts in res["times"].items():
            t = Timing(ts)                          # the samples the ranks collected (worker_allreduce)
            ar_rows.append([f"{P:,} floats ({4 * P / 2**20:.1f} MiB)", name, *cells(t),
                            f"{2 * (res['R'] - 1) / res['R'] * 4 * P / t.median / 1e9:.2f}"])
            ar_plot.setdefault(name, []).append(t.median * 1000)
        ar_rows.append([f"{P:,} floats", "alpha-beta model, ring (2(R-1) alpha + 2(R-1)/R n beta)",
                        f"{model * 1000:.2f}", "- (a model)", f"alpha {a * 1e6:.1f} us, 1/beta {1 / b / 1e9:.2f} GB/s"])
    ar_table = markdown_table(["buffer", "all-reduce on 2 ranks", "ms (median)", "spread", "bus GB/s"], ar_rows)

    text = (f"{head}\nother work shares these {cores} cores; {args.repeat} repeats\n\n"
            f"## Training, same global batch\n\n{train_table}\n\n"
            f"## One all-reduce of the gradient buffer\n\n{ar_table}\n\n{SPREAD_NOTE}\n")
    print()
    print(text)
    write_text(figure_path(HERE, "bench.md", args.refresh_figures), text)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return 0
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
    axes[0].barh(list(rates), list(rates.values()))
    axes[0].set_xlabel("training tokens/s (median)")
    axes[0].set_title("same global batch, 1 vs 2 processes")
    for name, ms in ar_plot.items():
        axes[1].plot(sizes, ms, "o-", label=name)
    axes[1].set_xscale("log")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("floats in the buffer")
    axes[1].set_ylabel("ms per all-reduce (2 ranks)")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, figure_path(HERE, "bench.png", args.refresh_figures), dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
