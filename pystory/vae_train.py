"""Chapter 04: training the sentence VAE — KL schedules, free bits, word dropout, AE pre-training.

One step:

    batch = loader.next_batch()                        # B sentences of similar length
    out = model.forward(batch, seed, offset=step << 32, word_dropout=p)
    model.zero_grad(); model.backward(beta=kl_weight(step), free_bits=lam)
    clip_grad_norm(model.grads, 5.0); model.update(lr, step)    # Adam

The loss per sentence is rec + beta * KL. Left alone (beta = 1 from the
start), the decoder, a GRU that can predict the next word well from the
previous ones, learns faster than the encoder can tell it anything useful,
and the cheapest way to lower the loss is to make q(z | x) equal the prior:
KL = 0, z carries nothing, and the VAE is a language model with extra steps.
That is posterior collapse (Bowman et al. 2016). The remedies, each a switch:

  kl_schedule   beta as a function of the step:
                  none       1 from the start (the "vanilla" VAE)
                  linear     0 -> 1 over kl_warmup steps (Bowman et al.)
                  sigmoid    a logistic curve centred at kl_warmup / 2 (Bowman et al.)
                  cyclical   M cycles; in each, beta rises linearly over the first R of the
                             cycle, then stays 1 (Fu et al. 2019)
  word_dropout  each decoder input word becomes UNK with probability p (Bowman et al.)
  free_bits     per latent dimension, the KL term is max(lambda, batch-mean KL): no
                pressure below lambda nats (Kingma et al. 2016)
  ae_steps      first train as an autoencoder (beta = 0), then reset the decoder and
                train the VAE (Li et al. 2019): the encoder starts out informative

Exact resume: the checkpoint holds the parameters, Adam's m and v, the step
(it fixes beta, Adam's bias correction and the Philox offset of the step's
noise) and the loader's (epoch, position). The c backend is deterministic,
so a resumed run computes bit-identical losses.
"""
from __future__ import annotations

import dataclasses
import math
import os
import time

import numpy as np

from pystory.checkpoint import load_checkpoint, save_checkpoint

__all__ = ["VAETrainConfig", "SCHEDULES", "kl_weight", "VAETrainer", "TrainingDiverged"]

SCHEDULES = ("none", "linear", "sigmoid", "cyclical")


@dataclasses.dataclass
class VAETrainConfig:
    steps: int = 2000
    batch_size: int = 64          # B sentences
    lr: float = 1e-3              # Adam
    grad_clip: float = 5.0
    kl_schedule: str = "none"     # one of SCHEDULES
    kl_warmup: int = 1000         # steps to beta = 1 (linear), or the sigmoid's width
    kl_cycles: int = 4            # M (cyclical)
    kl_ratio: float = 0.5         # R (cyclical): the part of a cycle in which beta rises
    free_bits: float = 0.0        # lambda, nats per latent dimension (0: off)
    word_dropout: float = 0.0     # p (0: off)
    ae_steps: int = 0             # autoencoder pre-training steps, then a decoder reset (0: off)
    eval_every: int = 500         # validation ELBO every so many steps (0: only at the end)
    eval_sentences: int = 500
    ckpt_every: int = 500
    log_every: int = 50
    seed: int = 0                 # weights, batch order and the noise
    out_dir: str = "runs/vae"

    def __post_init__(self):
        if self.kl_schedule not in SCHEDULES:
            raise ValueError(f"VAETrainConfig: kl_schedule must be one of {SCHEDULES}, got {self.kl_schedule!r}")


class TrainingDiverged(RuntimeError):
    """The loss or the gradient became NaN or infinite; the last checkpoint is kept."""


def kl_weight(step, tc):
    """beta at step (1-based). 0 during AE pre-training; the schedule counts from its end."""
    if step <= tc.ae_steps:
        return 0.0
    s = step - tc.ae_steps
    if tc.kl_schedule == "none":
        return 1.0
    if tc.kl_schedule == "linear":
        return min(1.0, s / max(tc.kl_warmup, 1))
    if tc.kl_schedule == "sigmoid":
        w = max(tc.kl_warmup, 1)
        return 1.0 / (1.0 + math.exp(-10.0 * (s - w / 2) / w))
    # cyclical: M cycles over the steps after pre-training
    period = max((tc.steps - tc.ae_steps) / max(tc.kl_cycles, 1), 1.0)
    tau = ((s - 1) % period) / period
    return min(1.0, tau / max(tc.kl_ratio, 1e-9))


def _fmt_time(s):
    s = int(max(s, 0))
    return f"{s // 3600}h{s // 60 % 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


class VAETrainer:
    """Trains `model` on `loader` (pystory.data.sentences.SentenceBatches); checkpoints to tc.out_dir."""

    def __init__(self, model, loader, tc, val=None, tokenizer="byte", log=print):
        self.model, self.loader, self.tc, self.val, self.tokenizer, self.log = model, loader, tc, val, tokenizer, log
        self.step = 0
        self.history = {"step": [], "loss": [], "rec": [], "kl": [], "beta": [],
                        "val_step": [], "val_rec": [], "val_kl": []}
        self.ckpt_path = os.path.join(tc.out_dir, "model.ckpt")
        self.last_good = None

    # --- state ---------------------------------------------------------------------------

    def train_state(self):
        return {"train_config": dataclasses.asdict(self.tc), "loader": self.loader.state(),
                "history": self.history}

    def save(self, path=None, **kw):
        path = path or self.ckpt_path
        save_checkpoint(path, self.model, step=self.step, tokenizer=self.tokenizer,
                        train_state=self.train_state(), **kw)
        self.last_good = (path, self.step)
        return path

    def resume(self, path):
        ck = load_checkpoint(path, expected_config=self.model.cfg, kinds=("vae",))
        if ck.m is None or ck.v is None:
            raise ValueError(f"{path}: checkpoint has no optimizer state (a shipped model?); "
                             f"it can be evaluated or sampled, not resumed")
        be = self.model.be
        self.model.load_params(ck.params)
        self.model.m[...] = be.asarray(ck.m)
        self.model.v[...] = be.asarray(ck.v)
        self.step = ck.step
        st = ck.train_state
        if "loader" in st:
            self.loader.set_state(st["loader"])
        if "history" in st:
            self.history = {k: list(v) for k, v in st["history"].items()}
        self.last_good = (path, ck.step)
        return ck

    # --- one step ------------------------------------------------------------------------

    def train_step(self):
        """One optimizer step: (loss, mean rec, mean KL, beta, tokens) for the batch."""
        model, be, tc = self.model, self.model.be, self.tc
        step = self.step + 1
        batch = self.loader.next_batch()
        beta = kl_weight(step, tc)
        out = model.forward(batch, seed=tc.seed, offset=step << 32, word_dropout=tc.word_dropout)
        rec = float(out["rec"].mean())
        kl_dim = out["kl"].mean(axis=0)
        kl = float(kl_dim.sum())
        kl_term = float(np.maximum(kl_dim, tc.free_bits).sum()) if tc.free_bits > 0 else kl
        loss = rec + beta * kl_term
        if not math.isfinite(loss):
            self._diverged("loss", loss)
        model.zero_grad()
        model.backward(beta=beta, free_bits=tc.free_bits)
        norm = be.clip_grad_norm(model.grads, tc.grad_clip) if tc.grad_clip > 0 else be.grad_norm(model.grads)
        if not math.isfinite(norm):
            self._diverged("gradient norm", norm)
        model.update(tc.lr, step)
        self.step = step
        if step == tc.ae_steps:
            model.reset_decoder(seed=tc.seed + 1)      # Li et al.: keep the encoder, start the decoder over
            self.log(f"step {step:5d} | autoencoder pre-training done: decoder reset")
        return loss, rec, kl, beta, int(np.sum(batch["dec_len"]))

    def _diverged(self, what, value):
        where = (f"the last checkpoint is {self.last_good[0]} (step {self.last_good[1]})"
                 if self.last_good else "no checkpoint was written yet")
        raise TrainingDiverged(f"vae train: {what} is {value} at step {self.step + 1}; training stopped "
                               f"(try a lower --lr); {where}")

    # --- validation ----------------------------------------------------------------------

    def validate(self):
        """(rec, KL) per sentence on the validation sentences, z drawn once (the ELBO's terms)."""
        from pystory.vae_eval import elbo_terms
        rec, kl = elbo_terms(self.model, self.val.subset(self.tc.eval_sentences), seed=self.tc.seed + 7)
        return float(rec.mean()), float(kl.mean())

    # --- the loop ------------------------------------------------------------------------

    def run(self):
        tc = self.tc
        t_start, tokens, first = time.perf_counter(), 0, self.step + 1
        acc = []
        for step in range(first, tc.steps + 1):
            loss, rec, kl, beta, ntok = self.train_step()
            tokens += ntok
            acc.append((loss, rec, kl))
            elapsed = time.perf_counter() - t_start
            if step % tc.log_every == 0 or step == tc.steps or step == first:
                m = np.mean(acc, axis=0)
                acc = []
                for k, v in zip(("step", "loss", "rec", "kl", "beta"), (step, *m, beta)):
                    self.history[k].append(float(v) if k != "step" else int(v))
                left = (tc.steps - step) * elapsed / (step - first + 1)
                self.log(f"step {step:5d}/{tc.steps} | loss {m[0]:7.3f} | rec {m[1]:7.3f} | kl {m[2]:6.3f} | "
                         f"beta {beta:.3f} | {tokens / max(elapsed, 1e-9):,.0f} tok/s | {_fmt_time(left)} left")
            if self.val is not None and ((tc.eval_every and step % tc.eval_every == 0) or step == tc.steps):
                vr, vk = self.validate()
                self.history["val_step"].append(step)
                self.history["val_rec"].append(vr)
                self.history["val_kl"].append(vk)
                self.log(f"step {step:5d} | val rec {vr:.3f} | val kl {vk:.3f} | val elbo {vr + vk:.3f} nats/sentence")
            if (tc.ckpt_every and step % tc.ckpt_every == 0) or step == tc.steps:
                self.save()
        return self.history
