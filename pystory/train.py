"""Chapter 06: the training loop.

One step, the whole of deep learning in five lines:

    w = loader.next_batch()                  # (B, T+1) token windows
    _, loss = model.forward(w[:, :-1], w[:, 1:])
    model.zero_grad(); model.backward()      # d loss / d every parameter
    norm = clip_grad_norm(model.grads, 1.0)  # one global norm over the one buffer
    model.update(lr_at(step), step)          # AdamW

Around it: the learning rate schedule (linear warmup, then cosine decay to
min_lr), evaluation on the validation split (loss and bits per byte), a
progress line, atomic checkpoints, exact resume, and a stop on divergence.

Exact resume. Everything the next step depends on is in the checkpoint:
the float32 parameters, AdamW's m and v, the step number (it sets the
learning rate and Adam's bias correction), and the state of the batch
loader's random generator (which windows come next). Training itself draws
no other random numbers (no dropout), so no Philox offset needs saving. On
the c backend every op is deterministic (fixed loop orders, static OpenMP
schedules), so a run stopped and resumed computes bit-identical losses.

Never saving a broken model. The parameters after step s have not been
tried yet: only the forward pass of step s + 1 tells whether they still
give a finite, sensible loss. So the checkpoint of step s is written during
step s + 1, between its forward and its backward, and only if that loss is
healthy (at the end of a run, one extra forward on the next batch plays the
part of step s + 1). Healthy means finite, and a smoothed loss (an
exponential average over about 20 steps) no more than diverge_nats / 2
above the best it has been in this run; a checkpoint due while the loss is
higher is postponed. Training stops (TrainingDiverged) at a non-finite loss
or gradient, or when the smoothed loss is diverge_nats above its best.

Which checkpoint survives a divergence: the last one saved before the
smoothed loss began to rise (its best step). While the loss is above its
best, that checkpoint is kept aside as model.prev.ckpt and newer healthy
ones go to model.ckpt; if the loss recovers to a new best the spare is
deleted, if it diverges the spare is moved back to model.ckpt. The message
says which step it holds.

Many processes (chapter 08). The step above is spread over ranks and
micro-batches by a DataParallel (pystory/dist/parallel.py); the default is
one process and one micro-batch, which is the five lines above exactly. With
more, each rank runs its share of the global batch, the gradients are
averaged across ranks, and every decision here (divergence, when to save)
is taken from numbers that were exchanged, so every rank takes it at the
same step. Only rank 0 (self.writer) writes files and logs.
"""
from __future__ import annotations

import dataclasses
import math
import os
import sys
import time
import types

import numpy as np

from pystory.atomic import fsync_dir, save_figure, write_bytes_atomic
from pystory.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from pystory.dist.parallel import DataParallel

__all__ = ["TrainConfig", "TrainingDiverged", "lr_at", "Trainer", "bits_per_byte", "token_byte_lengths"]


@dataclasses.dataclass
class TrainConfig:
    steps: int = 1000
    batch_size: int = 8           # B
    seq_len: int = 0              # T; 0 = the model's block_size
    lr: float = 1e-3              # peak learning rate
    min_lr_frac: float = 0.1      # cosine decays to lr * min_lr_frac
    warmup: int = 50              # steps of linear warmup
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    eval_every: int = 200         # steps between validation runs (0: only at the end)
    eval_batches: int = 20        # validation batches per evaluation
    ckpt_every: int = 200         # steps between checkpoints (0: only at the end)
    diverge_nats: float = 1.0     # stop when the smoothed loss is this far above the run's best
    seed: int = 0                 # the loader's seed (batches), and the weights' Philox seed
    out_dir: str = "runs/gpt"
    first_step: int = 0           # the step this run's schedule began at (a run started from a model's weights)


class TrainingDiverged(RuntimeError):
    """The loss or the gradient became non-finite, or the loss ran away; the last good checkpoint is kept."""


SMOOTH = 0.05                     # weight of the newest loss in the smoothed loss (~20 steps of memory)


def keep_aside(path, spare):
    """Make `spare` a second name for the file at `path` (a hard link; a copy where links fail),
    atomically; `path` itself stays, so a failed write of its successor loses nothing."""
    folder = os.path.dirname(os.path.abspath(spare))
    tmp = os.path.join(folder, f".tmp-{os.getpid()}-link-{os.path.basename(spare)}")   # cleaned like any temporary
    try:
        os.link(path, tmp)
        os.replace(tmp, spare)
        fsync_dir(folder)
    except OSError:
        if os.path.exists(tmp):
            os.unlink(tmp)
        with open(path, "rb") as f:
            write_bytes_atomic(spare, f.read())


def lr_at(step, tc):
    """Learning rate for step (1-based): linear warmup to tc.lr, then cosine down to lr * min_lr_frac.
    A run started from another model's weights (tc.first_step > 0) counts both from its first step."""
    step -= tc.first_step
    if step <= tc.warmup:
        return tc.lr * step / max(tc.warmup, 1)
    progress = (step - tc.warmup) / max(tc.steps - tc.first_step - tc.warmup, 1)
    cosine = 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))
    return tc.lr * (tc.min_lr_frac + (1.0 - tc.min_lr_frac) * cosine)


def first_step_of(ck):
    """The first_step of the run that wrote checkpoint `ck` (0 for a run started from random weights)."""
    first = ck.train_state.get("train_config", {}).get("first_step", 0)
    if not isinstance(first, int) or isinstance(first, bool) or not 0 <= first <= ck.step:
        raise CheckpointError(f"{ck.path}: corrupt checkpoint: first_step {first!r} is not a step in 0..{ck.step}")
    return first


def token_byte_lengths(tok):
    """(V,) int64: how many bytes of text each token id stands for (eot counts as 1, the separator)."""
    lengths = np.array([len(tok.decode([i])) for i in range(tok.vocab_size)], dtype=np.int64)
    lengths[tok.eot_id] = 1
    return lengths


def bits_per_byte(total_nats, total_bytes):
    """Loss in bits per byte of text: comparable across tokenizers (a token may be many bytes)."""
    return total_nats / (math.log(2) * max(total_bytes, 1))


def _fmt_time(s):
    s = int(max(s, 0))
    return f"{s // 3600}h{s // 60 % 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


class Trainer:
    """Trains `model` on batches from `loader`; evaluates on `val_loader`; checkpoints to tc.out_dir.

    A trainer for another kind of model (chapter 07's adapters) changes STATE, the
    file names, write_checkpoint and load_state; the rest (health, fallback, exact
    resume) is this class's."""

    STATE = ("params", "m", "v")           # the model's arrays that training changes (checked before a save)

    def __init__(self, model, loader, tc, val_loader=None, tokenizer="byte", byte_lengths=None, log=print,
                 parallel=None):
        self.model, self.loader, self.tc, self.val_loader = model, loader, tc, val_loader
        self.parallel = (parallel or DataParallel()).attach(model)   # ranks x micro-batches (chapter 08)
        self.writer = self.parallel.comm.rank == 0                    # only rank 0 writes files
        self.tokenizer, self.byte_lengths, self.log = tokenizer, byte_lengths, log
        self.step = 0                      # steps done
        self.history = {"step": [], "loss": [], "val_step": [], "val_loss": [], "val_bpb": []}
        self.ckpt_path = os.path.join(tc.out_dir, "model.ckpt")
        self.prev_path = os.path.join(tc.out_dir, "model.prev.ckpt")
        self.last_good = None              # (path, step) of the last checkpoint written or resumed from
        self.prev = None                   # (path, step): the last checkpoint before the loss rose, while it is up
        self.save_due = False              # a checkpoint of the current parameters is wanted
        self.smooth = self.best = None     # smoothed loss, and its lowest value so far
        self.best_step = 0

    # --- state ---------------------------------------------------------------------------

    def train_state(self, loader_rng=None):
        return {"train_config": dataclasses.asdict(self.tc),
                "loader_rng": loader_rng or self.loader.rng.bit_generator.state,
                "history": self.history}

    def save(self, path=None, loader_rng=None):
        """Write the current state (after self.step steps) as a checkpoint, atomically.

        The state is judged by the loss of step self.step + 1 (its forward has
        just run). While that loss is above the run's best, the last checkpoint
        from before the rise is kept as model.prev.ckpt, so a divergence can
        fall back to it (see _fall_back).
        """
        path = path or self.ckpt_path
        be = self.model.be
        for name in self.STATE:
            if name not in ("m", "v") and not np.isfinite(be.to_numpy(getattr(self.model, name))).all():
                self._diverged(f"{name} holds NaN or inf after step {self.step}", self.step)
        # m and v: this rank's shard under ZeRO-1, so every rank's answer counts (and rank 0 gets them whole)
        m, v, finite = self.parallel.optimizer_state(f"the checkpoint of step {self.step}")
        if not finite:
            self._diverged(f"m or v holds NaN or inf after step {self.step}", self.step)
        if not self.writer:
            self.last_good = (path, self.step)          # what rank 0 wrote, for the messages
            return path
        if path == self.ckpt_path:
            rising = self.best_step < self.step + 1
            if rising and self.last_good and self.last_good[0] == path and self.last_good[1] < self.best_step:
                keep_aside(path, self.prev_path)           # the last checkpoint from before the rise
                self.prev = (self.prev_path, self.last_good[1])
            elif not rising and self.prev:
                os.unlink(self.prev[0])                    # this one is at the best: no fallback needed
                self.prev = None
        if self.parallel.zero:
            self.write_checkpoint(path, loader_rng, moments=(m, v))     # gathered from the ranks' shards
        else:
            self.write_checkpoint(path, loader_rng)
        self.last_good = (path, self.step)
        return path

    def write_checkpoint(self, path, loader_rng=None, moments=None):
        """moments: AdamW's whole (m, v) when the model holds only its shard of them (ZeRO-1)."""
        state = self.model if moments is None else types.SimpleNamespace(
            cfg=self.model.cfg, be=self.model.be, params=self.model.params, m=moments[0], v=moments[1])
        save_checkpoint(path, state, step=self.step, tokenizer=self.tokenizer,
                        train_state=self.train_state(loader_rng))

    def load_state(self, ck):
        """Check that checkpoint `ck` can be resumed; return a function that loads its weights and
        optimizer moments into the model (called once everything else in it has been checked)."""
        if ck.m is None or ck.v is None:
            raise ValueError(f"{ck.path}: checkpoint has no optimizer state (a shipped model?); "
                             f"it can be evaluated or sampled, not resumed")

        def load():
            self.model.load_params(ck.params)
            self.parallel.load_optimizer(ck.m, ck.v)   # all of m and v, or this rank's shard (ZeRO-1)
        return load

    def _fall_back(self):
        """After a divergence: make model.ckpt the last checkpoint saved before the loss began to rise."""
        if self.prev and self.last_good and self.last_good[1] >= self.best_step:
            if self.writer:
                os.replace(self.prev[0], self.ckpt_path)
                fsync_dir(os.path.dirname(os.path.abspath(self.ckpt_path)))
            self.last_good, self.prev = (self.ckpt_path, self.prev[1]), None

    def resume(self, ck):
        """Continue exactly where checkpoint `ck` (a Checkpoint, or a path to one) stopped."""
        if not isinstance(ck, Checkpoint):
            ck = load_checkpoint(ck, expected_config=self.model.cfg)
        elif ck.config != self.model.cfg:
            raise ValueError(f"{ck.path}: checkpoint is from another model config: {ck.config}")
        load = self.load_state(ck)
        st = ck.train_state
        history = self._history_of(ck)
        rng = np.random.default_rng()
        if "loader_rng" in st:
            try:
                rng.bit_generator.state = st["loader_rng"]
            except (TypeError, ValueError, KeyError) as e:
                raise CheckpointError(f"{ck.path}: corrupt checkpoint: unusable loader state ({e})") from None
        load()
        self.step = ck.step
        if "loader_rng" in st:
            self.loader.rng.bit_generator.state = rng.bit_generator.state
        self._take_history(history)
        self.last_good = (ck.path, ck.step)
        self.prev = None
        if os.path.exists(self.prev_path):         # a run stopped while its loss was above its best
            try:
                self.prev = (self.prev_path, load_checkpoint(self.prev_path, expected_config=self.model.cfg).step)
            except CheckpointError:
                if self.writer:
                    os.unlink(self.prev_path)
        return ck

    def start_from(self, ck):
        """A new run from checkpoint `ck`'s weights (a shipped model or another run's): AdamW starts
        from zero, the step count and the loss history go on from ck's."""
        if ck.config != self.model.cfg:
            raise ValueError(f"{ck.path}: checkpoint is from another model config: {ck.config}")
        history = self._history_of(ck)
        self.model.load_params(ck.params)
        self.step = ck.step
        self._take_history(history)

    def _history_of(self, ck):
        history = ck.train_state.get("history", {k: [] for k in self.history})
        if (not isinstance(history, dict) or sorted(history) != sorted(self.history)
                or not all(isinstance(v, list) and all(isinstance(x, (int, float)) for x in v)
                           for v in history.values())):
            raise CheckpointError(f"{ck.path}: corrupt checkpoint: its training history is not lists of numbers")
        return history

    def _take_history(self, history):
        self.history = {k: list(v) for k, v in history.items()}
        self.smooth = self.best = None
        for i, loss in zip(self.history["step"], self.history["loss"]):    # the same smoothed loss as a run
            self._track(loss, i)                                            # that never stopped

    # --- health --------------------------------------------------------------------------

    def _track(self, loss, step):
        """Fold the loss of `step` into the smoothed loss; remember the best."""
        self.smooth = loss if self.smooth is None else (1 - SMOOTH) * self.smooth + SMOOTH * loss
        if self.best is None or self.smooth < self.best:
            self.best, self.best_step = self.smooth, step

    def _check_loss(self, loss, step):
        """Stop at a non-finite or runaway loss; return whether the loss is healthy enough to save."""
        if not math.isfinite(loss):
            self._diverged(f"loss is {loss} at step {step}", step)
        self._track(loss, step)
        rise = self.smooth - self.best
        if rise > self.tc.diverge_nats:
            self._diverged(f"the smoothed loss rose to {self.smooth:.3f} at step {step}, {rise:.2f} nats above "
                           f"its best ({self.best:.3f} at step {self.best_step})", step)
        return rise <= self.tc.diverge_nats / 2

    def _diverged(self, what, step):
        self._fall_back()
        where = (f"the last good checkpoint is {self.last_good[0]} (step {self.last_good[1]})"
                 if self.last_good else "no checkpoint was written yet")
        raise TrainingDiverged(f"train: {what}; training stopped (try a lower --lr or a smaller --grad-clip); "
                               f"{where}")

    def _save_if_due(self, healthy, loader_rng):
        if not self.save_due:
            return
        if healthy:
            self.save(loader_rng=loader_rng)
            self.save_due = False
        else:
            self.log(f"step {self.step:5d} | checkpoint postponed: the smoothed loss {self.smooth:.3f} is "
                     f"{self.smooth - self.best:.2f} above its best")

    # --- one step ------------------------------------------------------------------------

    def train_step(self):
        """One optimizer step; returns (loss, grad norm before clipping).

        A checkpoint that is due is written here, after the forward pass has
        shown that the current parameters (those of self.step) give a healthy loss.
        """
        tc, par = self.tc, self.parallel
        rng_before = self.loader.rng.bit_generator.state     # a checkpoint of this state replays this batch
        # forward (step_loss) and backward of the next (B, T+1) batch, this rank's micro-batches of it
        loss = par.forward_backward(self.loader, self.step + 1, self.step_loss)     # -> the global mean loss
        healthy = self._check_loss(loss, self.step + 1)
        self._save_if_due(healthy, rng_before)              # backward changed no parameter: still those of step s
        norm = par.reduce_and_clip(tc.grad_clip, self.step + 1)   # the mean gradient, clipped
        if not math.isfinite(norm):
            self._diverged(f"gradient norm is {norm} at step {self.step + 1}", self.step + 1)
        self.step += 1
        par.update(lr_at(self.step, tc), self.step, weight_decay=tc.weight_decay)   # AdamW
        return loss, norm

    def step_loss(self, x, y):
        """The loss a step minimises, from a forward pass that leaves in the model what backward
        needs (chapter 07's distillation mixes in the teacher's term here)."""
        _, loss = self.model.forward(x, y)
        return loss

    def finish(self):
        """Write a due checkpoint at the end of a run: one forward on the next batch tries the parameters."""
        if not self.save_due:
            return
        rng_before = self.loader.rng.bit_generator.state
        # the loss the run tracked, of the batch of the next step, if any: the loader is left where it was
        loss = self.parallel.forward_loss(self.loader, f"the final forward after step {self.step}", self.step_loss)
        if not math.isfinite(loss):
            self._diverged(f"loss is {loss} after the last step ({self.step})", self.step + 1)
        smooth = (1 - SMOOTH) * self.smooth + SMOOTH * loss
        if smooth - self.best > self.tc.diverge_nats / 2:
            where = f"the last checkpoint is {self.last_good[0]} (step {self.last_good[1]})" if self.last_good \
                else "no checkpoint was written"
            self.log(f"final checkpoint not written: the smoothed loss {smooth:.3f} is {smooth - self.best:.2f} "
                     f"above its best; {where}")
            return
        self.save(loader_rng=rng_before)
        self.save_due = False
        if self.prev:                              # the run ended healthy: the fallback is not needed
            if self.writer:
                os.unlink(self.prev[0])
            self.prev = None

    # --- evaluation ----------------------------------------------------------------------

    def evaluate(self, loader=None, max_batches=None):
        """(mean loss in nats per token, bits per byte) over the validation windows.
        With several ranks, rank r evaluates batches r, r + R, ...; the sums are then added in batch order."""
        loader = loader or self.val_loader
        be, comm = self.model.be, self.parallel.comm
        parts = []                                  # (batch, nats, tokens, bytes) of this rank's batches
        for i, w in enumerate(loader.eval_batches(max_batches if max_batches is not None else self.tc.eval_batches)):
            if i % comm.world != comm.rank:
                continue
            _, loss = self.model.forward(be.asarray(w[:, :-1]), be.asarray(w[:, 1:]))
            nbytes = int(self.byte_lengths[w[:, 1:]].sum()) if self.byte_lengths is not None else 0
            parts.append((i, loss * w[:, 1:].size, w[:, 1:].size, nbytes))
        self.model.acts = None
        total_nats, total_tokens, total_bytes = 0.0, 0, 0
        for _, nats, n, nbytes in sorted(p for part in comm.exchange("the evaluation", parts) for p in part):
            total_nats += nats
            total_tokens += n
            total_bytes += nbytes
        mean = total_nats / max(total_tokens, 1)
        return mean, (bits_per_byte(total_nats, total_bytes) if self.byte_lengths is not None else float("nan"))

    # --- the loop ------------------------------------------------------------------------

    def run(self):
        tc, B = self.tc, self.loader.B
        T = self.loader.T
        t_start, tokens_start, first = time.perf_counter(), 0, self.step + 1
        for step in range(first, tc.steps + 1):
            t0 = time.perf_counter()
            loss, norm = self.train_step()
            dt = time.perf_counter() - t0
            self.history["step"].append(step)
            self.history["loss"].append(loss)
            tokens_start += B * T
            elapsed = time.perf_counter() - t_start
            tok_s = tokens_start / max(elapsed, 1e-9)
            left = (tc.steps - step) * elapsed / (step - first + 1)
            if step == first or step % 10 == 0 or step == tc.steps:
                self.log(f"step {step:5d}/{tc.steps} | loss {loss:.4f} | lr {lr_at(step, tc):.2e} | "
                         f"norm {norm:6.3f} | {dt * 1000:6.1f} ms | {tok_s:,.0f} tok/s | {_fmt_time(left)} left")
            if self.val_loader is not None and ((tc.eval_every and step % tc.eval_every == 0) or step == tc.steps):
                vl, bpb = self.evaluate()
                self.history["val_step"].append(step)
                self.history["val_loss"].append(vl)
                self.history["val_bpb"].append(bpb)
                self.log(f"step {step:5d} | val loss {vl:.4f} | val bits/byte {bpb:.4f}")
            if (tc.ckpt_every and step % tc.ckpt_every == 0) or step == tc.steps:
                self.save_due = True           # written once the next forward has tried these parameters
        self.finish()
        return self.history

    def plot(self, path):
        """The loss curve (train and validation) as a PNG."""
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        h = self.history
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(h["step"], h["loss"], lw=0.8, alpha=0.7, label="train")
        if h["val_step"]:
            ax.plot(h["val_step"], h["val_loss"], "o-", label="validation")
        ax.set_xlabel("step")
        ax.set_ylabel("loss (nats / token)")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        save_figure(fig, path, dpi=120)
        plt.close(fig)
        return path


def log_to(file):
    """A log function that prints and flushes (progress lines show up in nohup logs)."""
    def log(msg):
        print(msg, file=file, flush=True)
    return log


if __name__ == "__main__":
    sys.exit("use: python -m pystory train --help")
