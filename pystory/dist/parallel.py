"""Chapter 08: one optimizer step spread over ranks and micro-batches (data parallelism, ZeRO-1).

The global batch of B windows is cut into R * A micro-batches of b = B / (R A)
windows: R ranks (processes), each running A micro-batches one after the
other (gradient accumulation). Micro-batch j = r A + k is rank r's k-th.
Then one step is

    for each of my A micro-batches k:   forward, backward -> g_k      (B/(RA) windows each)
        acc = g_0, then acc += g_k                                    accumulate (in order)
    copies = alltoall(acc)               (R, S): every rank's acc, restricted to MY shard
    shard  = sum_ranks(copies, 1/(RA))   the mean gradient on my shard, ranks added in order
    plain DP:  allgather(shard) -> every rank holds the whole mean gradient,
               clips it and runs AdamW on all P parameters (the same on every rank)
    ZeRO-1:    clip with the global norm (an exchange of R numbers), run AdamW on
               my shard only, with my shard of m and v, then allgather the parameters

so AdamW's moments (8 bytes of every parameter's 16) are held once across the
ranks instead of R times. The loss of the step is the mean of the R A
micro-batch losses, exchanged so that every rank takes the same decisions
(divergence, checkpoints) from the same number.

What is bit-identical. The sum of the micro-batch gradients is formed in the
same order either way when the split is R ranks x 1 micro-batch or 1 rank x R
micro-batches: ((g_0 + g_1) + g_2) ... then times 1/R. So `mpiexec -n 2 ...
--batch-size 8` computes the same bits as `--batch-size 8 --accum 2` on one
process (with the same OpenMP thread count: the C gradient norm's float64 sum
is split by thread). Against one process with the whole batch in ONE
micro-batch the results agree to float32 rounding, not bit for bit: the
linear layers' weight gradients then sum over all B T rows in one loop,
where the split version sums two halves and adds them. ZeRO-1 equals plain
data parallelism bit for bit when clipping is off; with clipping the global
norm is assembled from per-shard norms, which can move the clip factor by
one float32 rounding step.
"""
from __future__ import annotations

import math

import numpy as np

from pystory.dist.comm import Shards, SingleProcess

__all__ = ["DataParallel", "BatchSplitError"]


class BatchSplitError(ValueError):
    """The global batch does not split into ranks x micro-batches."""


class DataParallel:
    """Spreads each step of a GPT over comm.world ranks and `accum` micro-batches per rank."""

    def __init__(self, comm=None, accum=1, zero=False):
        self.comm = comm or SingleProcess()
        self.accum, self.zero = int(accum), bool(zero)
        self.model = None

    # --- setup ---------------------------------------------------------------------------------

    def micro_batch(self, B):
        """b = B / (R A): the windows of one micro-batch."""
        R, A = self.comm.world, self.accum
        if B % (R * A):
            raise BatchSplitError(f"--batch-size {B} must split evenly into {R} rank(s) x {A} micro-batch(es) "
                                  f"(--accum): give a multiple of {R * A}")
        return B // (R * A)

    def attach(self, model):
        """Allocate what the step needs beside the model: the accumulation buffer (A > 1) and,
        under ZeRO-1, this rank's shard of m and v in place of the whole ones."""
        self.model, xp = model, model.xp
        self.shards = Shards(model.num_params, self.comm.world)
        self.mine = self.shards.of(self.comm.rank)
        self.acc = xp.zeros_like(model.grads) if self.accum > 1 else None
        if self.zero:
            n = self.mine.stop - self.mine.start
            model.m = xp.zeros(n, model.params.dtype)    # the whole (P,) moments are dropped here
            model.v = xp.zeros(n, model.params.dtype)
        return self

    def memory(self):
        """{what: bytes} this rank holds for training (activations not counted)."""
        m = self.model
        mem = {"params": m.params.nbytes, "grads": m.grads.nbytes, "adamw m, v": m.m.nbytes + m.v.nbytes}
        if self.acc is not None:
            mem["accumulation"] = self.acc.nbytes
        if self.comm.world > 1:
            mem["all-to-all receive"] = self.comm.world * (self.mine.stop - self.mine.start) * 4
        return mem

    # --- the step ------------------------------------------------------------------------------

    def micro_batches(self, loader):
        """This rank's A micro-batches of the next global batch, as (b, T+1) arrays. Every rank draws
        the whole batch's random numbers (so the loaders stay in step) and reads only its own rows."""
        b = self.micro_batch(loader.B)
        lo = self.comm.rank * self.accum * b
        w = loader.next_batch(rows=(lo, lo + self.accum * b))
        return [w[k * b:(k + 1) * b] for k in range(self.accum)]

    def global_loss(self, losses, what):
        """The mean of every rank's micro-batch losses, in micro-batch order: the same float everywhere."""
        everyone = [x for part in self.comm.exchange(what, losses) for x in part]
        return sum(everyone) / len(everyone)

    def forward_backward(self, loader, step, loss_fn=None):
        """Forward and backward over this rank's micro-batches of the next global batch.
        -> the global mean loss; model.grads then holds this rank's SUM of micro-batch gradients.
        loss_fn(x, y) -> loss: the forward pass (default: the model's own; the trainer passes its
        step_loss, which leaves in the model what backward needs)."""
        model, be = self.model, self.model.be
        loss_fn = loss_fn or (lambda x, y: model.forward(x, y)[1])
        losses = []
        for k, w in enumerate(self.micro_batches(loader)):
            loss = loss_fn(be.asarray(w[:, :-1]), be.asarray(w[:, 1:]))
            losses.append(loss)
            model.zero_grad()
            model.backward()
            if self.acc is not None:
                if k == 0:
                    self.acc[...] = model.grads
                else:
                    be.accumulate(self.acc, model.grads)
        if self.acc is not None:
            model.grads[...] = self.acc
        return self.global_loss(losses, f"the loss of step {step}")

    def forward_loss(self, loader, what, loss_fn=None):
        """The global mean loss of the next global batch without a backward (loader state unchanged)."""
        model, be = self.model, self.model.be
        loss_fn = loss_fn or (lambda x, y: model.forward(x, y)[1])
        state = loader.rng.bit_generator.state
        losses = [loss_fn(be.asarray(w[:, :-1]), be.asarray(w[:, 1:])) for w in self.micro_batches(loader)]
        loader.rng.bit_generator.state = state
        model.acts = None
        return self.global_loss(losses, what)

    def reduce_and_clip(self, max_norm, step):
        """Turn model.grads (this rank's sum) into the mean gradient of the global batch, clipped to
        max_norm (0: no clipping). -> the norm before clipping (the same on every rank).
        Under ZeRO-1 the result is this rank's shard (self.grad_shard); model.grads is then stale."""
        model, be, comm = self.model, self.model.be, self.comm
        R, A = comm.world, self.accum
        g = model.grads
        if R == 1:
            if A > 1:
                be.scale_inplace(g, 1.0 / A)
            self.grad_shard = g
            return be.clip_grad_norm(g, max_norm) if max_norm > 0 else be.grad_norm(g)
        comm.exchange(f"the gradient reduce-scatter of step {step}", None)
        shard = be.sum_ranks(comm.alltoall(g, self.shards), 1.0 / (R * A))    # (S_mine,): the mean, my shard
        if not self.zero:
            g[self.mine] = shard
            comm.allgather(g, self.shards)                                      # every rank: the whole mean
            self.grad_shard = g
            return be.clip_grad_norm(g, max_norm) if max_norm > 0 else be.grad_norm(g)
        squares = comm.exchange(f"the gradient norm of step {step}", be.grad_norm(shard) ** 2)
        norm = math.sqrt(sum(squares))
        if max_norm > 0 and norm > max_norm:
            be.scale_inplace(shard, max_norm / (norm + 1e-6))       # the same factor as clip_grad_norm's
        self.grad_shard = shard
        return norm

    def update(self, lr, step, weight_decay):
        """AdamW: on every parameter (plain), or on my shard and then an all-gather (ZeRO-1)."""
        model = self.model
        if not self.zero:
            model.update(lr, step, weight_decay=weight_decay)
            return
        be, lo, hi, D = model.be, self.mine.start, self.mine.stop, model.n_decay
        # GPT.update's two calls (the matrices decay, the rest does not), cut to my shard [lo, hi)
        for a, b, wd in ((lo, min(hi, D), weight_decay), (max(lo, D), hi, 0.0)):
            if a < b:
                s = slice(a - lo, b - lo)
                be.adamw_update(model.params[a:b], self.grad_shard[s], model.m[s], model.v[s], step, lr,
                                0.9, 0.95, 1e-8, wd)
        self.comm.exchange(f"the parameter all-gather of step {step}", None)
        self.comm.allgather(model.params, self.shards)

    # --- state for checkpoints -----------------------------------------------------------------

    def optimizer_state(self, what):
        """(m, v) as whole (P,) NumPy arrays on rank 0 (None elsewhere), and whether every rank's
        are finite (the same answer on every rank)."""
        model, comm = self.model, self.comm
        to_np = model.be.to_numpy
        finite = bool(np.isfinite(to_np(model.m)).all() and np.isfinite(to_np(model.v)).all())
        finite = all(comm.exchange(f"the optimizer check of {what}", finite))
        if not self.zero:
            return (to_np(model.m), to_np(model.v), finite) if comm.rank == 0 else (None, None, finite)
        full = [np.empty(self.shards.P, np.float32) if comm.rank == 0 else None for _ in range(2)]
        comm.exchange(f"the optimizer gather of {what}", None)
        for shard, out in zip((model.m, model.v), full):
            comm.gather(model.be.xp.ascontiguousarray(shard), self.shards, out)
        return full[0], full[1], finite

    def load_optimizer(self, m, v):
        """Take AdamW's moments from a checkpoint (whole (P,) arrays): all of them, or my shard."""
        model = self.model
        if self.zero:
            m, v = m[self.mine], v[self.mine]
        model.m[...] = model.be.asarray(m)
        model.v[...] = model.be.asarray(v)
