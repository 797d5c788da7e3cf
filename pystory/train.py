"""Chapter 06: the training loop.

One step, the whole of deep learning in five lines:

    w = loader.next_batch()                  # (B, T+1) token windows
    _, loss = model.forward(w[:, :-1], w[:, 1:])
    model.zero_grad(); model.backward()      # d loss / d every parameter
    norm = clip_grad_norm(model.grads, 1.0)  # one global norm over the one buffer
    model.update(lr_at(step), step)          # AdamW

Around it: the learning rate schedule (linear warmup, then cosine decay to
min_lr), evaluation on the validation split (loss and bits per byte), a
progress line, atomic checkpoints, exact resume, and a stop on NaN.

Exact resume. Everything the next step depends on is in the checkpoint:
the float32 parameters, AdamW's m and v, the step number (it sets the
learning rate and Adam's bias correction), and the state of the batch
loader's random generator (which windows come next). Training itself draws
no other random numbers (no dropout), so no Philox offset needs saving. On
the c backend every op is deterministic (fixed loop orders, static OpenMP
schedules), so a run stopped and resumed computes bit-identical losses.
"""
from __future__ import annotations

import dataclasses
import math
import os
import sys
import time

import numpy as np

from pystory.checkpoint import load_checkpoint, save_checkpoint

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
    seed: int = 0                 # the loader's seed (batches), and the weights' Philox seed
    out_dir: str = "runs/gpt"


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


def lr_at(step, tc):
    """Learning rate for step (1-based): linear warmup to tc.lr, then cosine down to lr * min_lr_frac."""
    if step <= tc.warmup:
        return tc.lr * step / max(tc.warmup, 1)
    progress = (step - tc.warmup) / max(tc.steps - tc.warmup, 1)
    cosine = 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))
    return tc.lr * (tc.min_lr_frac + (1.0 - tc.min_lr_frac) * cosine)


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
    """Trains `model` on batches from `loader`; evaluates on `val_loader`; checkpoints to tc.out_dir."""

    def __init__(self, model, loader, tc, val_loader=None, tokenizer="byte", byte_lengths=None, log=print):
        self.model, self.loader, self.tc, self.val_loader = model, loader, tc, val_loader
        self.tokenizer, self.byte_lengths, self.log = tokenizer, byte_lengths, log
        self.step = 0                      # steps done
        self.history = {"step": [], "loss": [], "val_step": [], "val_loss": [], "val_bpb": []}
        self.ckpt_path = os.path.join(tc.out_dir, "model.ckpt")
        self.last_good = None

    # --- state ---------------------------------------------------------------------------

    def train_state(self):
        return {"train_config": dataclasses.asdict(self.tc),
                "loader_rng": self.loader.rng.bit_generator.state,
                "history": self.history}

    def save(self, path=None):
        path = path or self.ckpt_path
        save_checkpoint(path, self.model, step=self.step, tokenizer=self.tokenizer,
                        train_state=self.train_state())
        self.last_good = (path, self.step)
        return path

    def resume(self, path):
        """Continue exactly where the checkpoint at `path` stopped."""
        ck = load_checkpoint(path, expected_config=self.model.cfg)
        if ck.m is None or ck.v is None:
            raise ValueError(f"{path}: checkpoint has no optimizer state (a shipped model?); "
                             f"it can be evaluated or sampled, not resumed")
        be = self.model.be
        self.model.load_params(ck.params)
        self.model.m[...] = be.asarray(ck.m)
        self.model.v[...] = be.asarray(ck.v)
        self.step = ck.step
        st = ck.train_state
        if "loader_rng" in st:
            self.loader.rng.bit_generator.state = st["loader_rng"]
        if "history" in st:
            self.history = {k: list(v) for k, v in st["history"].items()}
        self.last_good = (path, ck.step)
        return ck

    # --- one step ------------------------------------------------------------------------

    def train_step(self):
        """One optimizer step; returns (loss, grad norm before clipping)."""
        model, be, tc = self.model, self.model.be, self.tc
        w = self.loader.next_batch()                       # (B, T+1) int32
        x = be.asarray(w[:, :-1])
        y = be.asarray(w[:, 1:])
        _, loss = model.forward(x, y)
        if not math.isfinite(loss):
            self._diverged("loss", loss)
        model.zero_grad()
        model.backward()
        norm = be.clip_grad_norm(model.grads, tc.grad_clip) if tc.grad_clip > 0 else be.grad_norm(model.grads)
        if not math.isfinite(norm):
            self._diverged("gradient norm", norm)
        self.step += 1
        model.update(lr_at(self.step, tc), self.step, weight_decay=tc.weight_decay)
        return loss, norm

    def _diverged(self, what, value):
        where = (f"the last good checkpoint is {self.last_good[0]} (step {self.last_good[1]})"
                 if self.last_good else "no checkpoint was written yet")
        raise TrainingDiverged(f"train: {what} is {value} at step {self.step + 1}; training stopped "
                               f"(try a lower --lr or a smaller --grad-clip); {where}")

    # --- evaluation ----------------------------------------------------------------------

    def evaluate(self, loader=None, max_batches=None):
        """(mean loss in nats per token, bits per byte) over the validation windows."""
        loader = loader or self.val_loader
        be = self.model.be
        total_nats, total_tokens, total_bytes = 0.0, 0, 0
        for w in loader.eval_batches(max_batches if max_batches is not None else self.tc.eval_batches):
            _, loss = self.model.forward(be.asarray(w[:, :-1]), be.asarray(w[:, 1:]))
            n = w[:, 1:].size
            total_nats += loss * n
            total_tokens += n
            if self.byte_lengths is not None:
                total_bytes += int(self.byte_lengths[w[:, 1:]].sum())
        self.model.acts = None
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
                self.save()
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
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return path


def log_to(file):
    """A log function that prints and flushes (progress lines show up in nohup logs)."""
    def log(msg):
        print(msg, file=file, flush=True)
    return log


if __name__ == "__main__":
    sys.exit("use: python -m pystory train --help")
