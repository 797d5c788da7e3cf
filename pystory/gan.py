"""Chapter 05: a text GAN — the chapter 06 GPT as generator, a text CNN as discriminator,
Gumbel-softmax soft tokens in between (RelGAN, Nie et al. 2019).

    gan = GAN.from_story_model("pystory/models/story.ckpt", pystory.backend("c"), GANTrainConfig())
    trainer = GANTrainer(gan, real_openings, tc)       # real_openings: (N, T) int32 story openings
    trainer.run()

One step, for a batch of B sequences of T tokens:

  1. The generator writes B story openings, one soft token at a time:
         logits_t = G(e_0 .. e_t)                        (B, V)   one cached decode step
         y_t      = gumbel_softmax(logits_t, tau)        (B, V)   a relaxed draw
         e_t+1    = y_t @ wte + wpe[t+1]                 (B, C)   the soft token, fed back
     (e_0 is the end-of-text token's embedding: a story starts after it).
  2. The discriminator learns: real openings (one-hot rows) score high, the
     generated y score low (the loss: standard or relativistic, below).
  3. The generator learns from the discriminator's gradient d loss / d y, which
     reaches the logits through the Gumbel-softmax backward, and the
     parameters through the GPT's backward.

Step 3 needs the GPT's backward, so the whole sequence is run again in ONE
parallel forward with embeddings in: E = Y_in @ wte + wpe with Y_in = (one-hot
eot, y_0, ..., y_T-2). It is causal, so it computes the same logits as the
decode steps did; with the same Philox noise the Gumbel-softmax gives the same
y again (to float32 rounding).

The gradient through the feedback. y_t enters the loss twice: directly (the
discriminator reads it) and through e_t+1, the generator's next input, which
changes every later y. One backward pass gives the direct part, and, as
d loss / d E, what flows into the inputs; E = Y_in @ wte turns that into
d loss / d y_t again (and a gradient for wte). Pushing that back through the
Gumbel-softmax and the GPT is a second pass, which again produces a gradient at
the inputs, one position earlier in the chain. The exact gradient is the sum of
T such passes (a path through the chain with j feedback hops appears in pass j);
`unroll` passes truncate it — `unroll = T - 1` is exact (a test checks it
against finite differences), `unroll = 0` keeps only the direct part.

Losses, with D(x) the discriminator's logit and BCE its binary cross-entropy:
    standard   L_D = BCE(D(real), 1) + BCE(D(fake), 0)      L_G = BCE(D(fake), 1)  (non-saturating)
    rsgan      L_D = BCE(D(real) - D(fake), 1)              L_G = BCE(D(fake) - D(real), 1)
RSGAN (Jolicoeur-Martineau 2019) asks "is the real one more real than the
fake?" pairwise, which RelGAN found more stable for text.

Temperature: y = softmax((logits + g) / tau) with tau = 1 / beta, and beta
grows over training from 1 to beta_max (RelGAN's schedules, i counting steps
from 0 to N-1):
    none     beta = beta_max
    linear   beta = 1 + (beta_max - 1) * i / (N - 1)
    exp      beta = beta_max ** (i / N)
"""
from __future__ import annotations

import dataclasses
import math
import os
import time

import numpy as np

from pystory.atomic import save_figure
from pystory.disc import DiscConfig, Discriminator
from pystory.disc import num_params as disc_num_params
from pystory.gpt import GPT, GPTConfig
from pystory.gpt import num_params as gpt_num_params

__all__ = ["GANConfig", "GANTrainConfig", "GAN", "GANTrainer", "TrainingDiverged", "beta_at", "LOSSES",
           "SCHEDULES", "num_params", "story_openings", "sample_openings", "d_loss", "g_loss", "plot_curves",
           "plot_quality_diversity"]

LOSSES = ("standard", "rsgan")
SCHEDULES = ("none", "linear", "exp")


@dataclasses.dataclass(frozen=True)
class GANConfig:
    """Both networks' shapes, as one flat record of ints (what a GAN checkpoint's header holds)."""
    vocab_size: int = 2048
    block_size: int = 256
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    d_embd: int = 32
    d_filters: int = 32
    d_min_width: int = 2
    d_max_width: int = 5

    def __post_init__(self):
        self.gen()
        self.disc()

    def gen(self):
        return GPTConfig(self.vocab_size, self.block_size, self.n_layer, self.n_head, self.n_embd)

    def disc(self):
        return DiscConfig(self.vocab_size, self.d_embd, self.d_filters, self.d_min_width, self.d_max_width)

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def of(cls, gen, disc):
        return cls(gen.vocab_size, gen.block_size, gen.n_layer, gen.n_head, gen.n_embd,
                   disc.n_embd, disc.n_filters, disc.min_width, disc.max_width)


def num_params(cfg):
    return gpt_num_params(cfg.gen()) + disc_num_params(cfg.disc())


# A checkpoint of kind "gan" (pystory/checkpoint.py KINDS): a GANConfig, both networks in one buffer.

def config_from_header(cfg):
    """The GANConfig of a gan checkpoint's header (ValueError if it is not one)."""
    from pystory.checkpoint import int_config
    return int_config(GANConfig, cfg)


def gan_sections(header, cfg):
    """The sections of a gan checkpoint: params [, m, v], num_params(cfg) each (G's, then D's)."""
    from pystory.checkpoint import flat_sections
    return flat_sections(header, num_params(cfg))


@dataclasses.dataclass
class GANTrainConfig:
    steps: int = 200
    batch_size: int = 16          # B
    seq_len: int = 48             # T: tokens per generated opening
    loss: str = "rsgan"           # "standard" | "rsgan"
    schedule: str = "exp"         # "none" | "linear" | "exp"
    beta_max: float = 100.0       # the largest inverse temperature 1/tau
    g_lr: float = 1e-4
    d_lr: float = 1e-4
    d_steps: int = 1              # discriminator updates per generator update
    mle_weight: float = 0.0       # lambda: add lambda * (cross-entropy on a real batch) to L_G
    unroll: int = 1               # extra backward passes through the soft feedback (0: direct only)
    grad_clip: float = 5.0
    eval_every: int = 25          # steps between Self-BLEU / BLEU checks of hard samples (0: off)
    eval_samples: int = 64
    ckpt_every: int = 50
    seed: int = 0
    out_dir: str = "runs/gan"

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"GANTrainConfig: loss must be one of {LOSSES}, got {self.loss!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"GANTrainConfig: schedule must be one of {SCHEDULES}, got {self.schedule!r}")


def beta_at(i, tc):
    """The inverse temperature at step i (0-based) of tc.steps (RelGAN's get_fixed_temperature)."""
    N = tc.steps
    if tc.schedule == "none":
        return tc.beta_max
    if tc.schedule == "linear":
        return 1 + (tc.beta_max - 1) * i / max(N - 1, 1)
    return tc.beta_max ** (i / N)


def story_openings(tok, stories, T):
    """(N, T) int32: the first T tokens of every story at least T tokens long."""
    rows = []
    for s in stories:
        ids = tok.encode(s)
        if len(ids) >= T:
            rows.append(np.asarray(ids[:T], np.int32))
    if not rows:
        raise ValueError(f"story_openings: no story has {T} tokens")
    return np.stack(rows)


class GAN:
    """The generator (a GPT) and the discriminator, and the generator's soft-token passes."""

    KIND = "gan"

    def __init__(self, G, D, eot_id):
        self.G, self.D, self.eot_id = G, D, int(eot_id)
        self.be, self.xp = G.be, G.xp
        self.cfg = GANConfig.of(G.cfg, D.cfg)

    @classmethod
    def from_story_model(cls, path, be, disc_cfg=None, seed=0):
        """A GAN whose generator starts as the story model at `path` (MLE pre-trained) and whose
        discriminator is new (Philox-initialised from `seed`). Returns (gan, tokenizer)."""
        from pystory.checkpoint import load_checkpoint, load_tokenizer_of
        ck = load_checkpoint(path)
        tok = load_tokenizer_of(ck)
        G = GPT(ck.config, be)
        G.load_params(ck.params)
        dc = disc_cfg or DiscConfig(vocab_size=ck.config.vocab_size)
        if dc.vocab_size != ck.config.vocab_size:
            raise ValueError(f"GAN: the discriminator reads {dc.vocab_size} ids, the generator writes "
                             f"{ck.config.vocab_size}")
        D = Discriminator(dc, be).init_weights(seed)
        return cls(G, D, tok.eot_id), tok

    # --- the checkpoint's view: one flat buffer of both networks ------------------------------

    @property
    def params(self):
        return self.xp.concatenate([self.G.params, self.D.params])

    @property
    def m(self):
        return self.xp.concatenate([self.G.m, self.D.m])

    @property
    def v(self):
        return self.xp.concatenate([self.G.v, self.D.v])

    def load_state(self, params, m=None, v=None):
        n = self.G.num_params
        self.G.load_params(params[:n])
        self.D.load_params(params[n:])
        if m is not None:
            for net, a, b in ((self.G, m[:n], v[:n]), (self.D, m[n:], v[n:])):
                net.m[...] = self.be.asarray(a)
                net.v[...] = self.be.asarray(b)

    # --- 1. generate soft tokens ---------------------------------------------------------------

    def _wte_t(self):
        return self.xp.ascontiguousarray(self.G.p["wte"].T)             # (C, V): y @ wte = linear(y, wte.T)

    def noise_offset(self, step, B, T):
        """The Philox words of step `step` (1-based): B*T*V of them, in (t, b) order."""
        return (step - 1) * B * T * self.cfg.vocab_size

    def generate_soft(self, B, T, tau, seed, offset):
        """(B, T, V) soft tokens y_0 .. y_T-1, written one cached decode step at a time."""
        G, be, xp = self.G, self.be, self.xp
        V = self.cfg.vocab_size
        wte_t = self._wte_t()
        kv = G.new_kv_cache(B)
        e = be.asarray(np.repeat(be.to_numpy(G.p["wte"][self.eot_id] + G.p["wpe"][0])[None, None], B, 0))
        ys = xp.empty((B, T, V), G.params.dtype)
        for t in range(T):
            logits = G.decode_step(None, kv, embeddings=xp.ascontiguousarray(e))           # (B, V)
            y, _ = be.gumbel_softmax_forward(logits, tau, seed, offset + t * B * V)        # rows b = 0..B-1
            ys[:, t] = y
            if t + 1 < T:
                e = be.linear_forward(y, wte_t, G.p["wpe"][t + 1]).reshape(B, 1, -1)        # y @ wte + wpe[t+1]
        G.acts = None
        return ys

    # --- 3. the generator's pass with gradients ------------------------------------------------

    def forward_soft(self, ys, tau, seed, offset):
        """Re-run the generator on its own soft tokens in one parallel pass: the soft tokens again
        (B, T, V), and what backward_soft needs. Same noise, same logits: y equals ys to rounding."""
        G, be, xp = self.G, self.be, self.xp
        B, T, V = ys.shape
        y_in = xp.empty_like(ys)                                        # (B, T, V): eot, y_0 .. y_T-2
        y_in[:, 0] = 0
        y_in[:, 0, self.eot_id] = 1
        y_in[:, 1:] = ys[:, :-1]
        wte_t = self._wte_t()
        E = be.linear_forward(y_in, wte_t, xp.zeros(G.cfg.n_embd, G.params.dtype))
        E = xp.ascontiguousarray(E + G.p["wpe"][:T])                    # (B, T, C)
        logits, _ = G.forward(None, embeddings=E)                       # (B, T, V)
        z = xp.ascontiguousarray(logits.transpose(1, 0, 2)).reshape(T * B, V)     # (t, b) rows: the noise order
        y, cache = be.gumbel_softmax_forward(z, tau, seed, offset)
        y = xp.ascontiguousarray(y.reshape(T, B, V).transpose(1, 0, 2))  # (B, T, V)
        return y, dict(y_in=y_in, wte_t=wte_t, cache=cache, shape=(B, T, V))

    def backward_soft(self, dy, ctx, unroll):
        """Add d loss / d generator params to G.grads, given dy = d loss / d y (B, T, V) from the
        discriminator; 1 + unroll backward passes (see the module doc). Needs G's last forward
        to be forward_soft's."""
        G, be, xp = self.G, self.be, self.xp
        B, T, V = ctx["shape"]
        y_cache, tau = ctx["cache"]
        for _ in range(min(1 + unroll, T)):                  # a path has at most T - 1 feedback hops
            dz = be.gumbel_softmax_backward(xp.ascontiguousarray(dy.transpose(1, 0, 2)).reshape(T * B, V),
                                            (y_cache, tau))
            dlogits = xp.ascontiguousarray(dz.reshape(T, B, V).transpose(1, 0, 2))     # (B, T, V)
            dE = G.backward(dlogits)                                                # (B, T, C)
            G.g["wpe"][:T] += dE.sum(axis=0)
            dy_in, dwte_t, _ = be.linear_backward(dE, ctx["y_in"], ctx["wte_t"])      # E = y_in @ wte (+ wpe)
            G.g["wte"][...] += dwte_t.T
            dy = xp.zeros_like(dy)
            dy[:, :-1] = dy_in[:, 1:]                                  # input t+1 was y_t: the feedback


# --- losses ---------------------------------------------------------------------------------------

def d_loss(be, real, fake, kind):
    """(loss, d loss / d real logits, d loss / d fake logits, accuracy) of the discriminator; (B,) each."""
    B = real.shape[0]
    xp = be.xp
    ones, zeros = xp.ones(B, np.float32), xp.zeros(B, np.float32)
    w = xp.full(B, 1.0 / B, np.float32)                               # d mean / d element
    if kind == "standard":
        l_r = be.bce_with_logits_forward(real, ones)
        l_f = be.bce_with_logits_forward(fake, zeros)
        d_r = be.bce_with_logits_backward(w, real, ones)
        d_f = be.bce_with_logits_backward(w, fake, zeros)
        acc = (float((be.to_numpy(real) > 0).mean()) + float((be.to_numpy(fake) < 0).mean())) / 2
        return float(be.to_numpy(l_r).mean() + be.to_numpy(l_f).mean()), d_r, d_f, acc
    diff = xp.ascontiguousarray(real - fake)
    loss = be.bce_with_logits_forward(diff, ones)
    dd = be.bce_with_logits_backward(w, diff, ones)
    return float(be.to_numpy(loss).mean()), dd, -dd, float((be.to_numpy(diff) > 0).mean())


def g_loss(be, real, fake, kind):
    """(loss, d loss / d fake logits) of the generator (the real logits are constants for it)."""
    B = fake.shape[0]
    xp = be.xp
    ones = xp.ones(B, np.float32)
    w = xp.full(B, 1.0 / B, np.float32)
    z = fake if kind == "standard" else xp.ascontiguousarray(fake - real)
    loss = be.bce_with_logits_forward(z, ones)
    return float(be.to_numpy(loss).mean()), be.bce_with_logits_backward(w, z, ones)


# --- training ----------------------------------------------------------------------------------------

class TrainingDiverged(RuntimeError):
    """A loss or gradient became NaN or infinite; the last good checkpoint is kept."""


class GANTrainer:
    """Adversarial training of `gan` against `real` story openings (N, T) int32; checkpoints to
    tc.out_dir/gan.ckpt, exactly resumable (parameters, both optimizers' moments, the step, the
    real-batch generator's state; the Gumbel noise is a function of the step)."""

    def __init__(self, gan, real, tc, tokenizer="byte", refs=None, log=print, tok=None):
        if real.ndim != 2 or real.shape[1] != tc.seq_len:
            raise ValueError(f"GANTrainer: real openings must be (N, {tc.seq_len}) token ids, got {real.shape}")
        if tc.seq_len > gan.G.cfg.block_size:
            raise ValueError(f"GANTrainer: seq_len {tc.seq_len} exceeds the generator's block_size "
                             f"{gan.G.cfg.block_size}")
        if tc.seq_len < gan.D.cfg.max_width:
            raise ValueError(f"GANTrainer: seq_len {tc.seq_len} is shorter than the discriminator's widest "
                             f"filter ({gan.D.cfg.max_width})")
        self.gan, self.real, self.tc, self.tokenizer, self.log = gan, real, tc, tokenizer, log
        self.refs, self.tok = refs, tok                  # held-out openings (texts) for the BLEU checks
        self.rng = np.random.default_rng(tc.seed)
        self.step = 0
        self.history = {k: [] for k in ("step", "d_loss", "g_loss", "d_acc", "tau", "mle",
                                        "eval_step", "self_bleu", "bleu")}
        self.ckpt_path = os.path.join(tc.out_dir, "gan.ckpt")

    # --- state ------------------------------------------------------------------------------

    def train_state(self):
        return {"gan_config": dataclasses.asdict(self.tc), "real_rng": self.rng.bit_generator.state,
                "history": self.history, "eot_id": self.gan.eot_id}

    def save(self, path=None):
        from pystory.checkpoint import save_checkpoint
        path = path or self.ckpt_path
        save_checkpoint(path, self.gan, step=self.step, tokenizer=self.tokenizer, train_state=self.train_state())
        return path

    def resume(self, path):
        from pystory.checkpoint import load_checkpoint
        ck = load_checkpoint(path, kinds=("gan",), expected_config=self.gan.cfg)
        if ck.m is None:
            raise ValueError(f"{path}: the checkpoint has no optimizer state; it cannot be resumed")
        self.gan.load_state(ck.params, ck.m, ck.v)
        self.step = ck.step
        st = ck.train_state
        self.rng.bit_generator.state = st["real_rng"]
        self.history = {k: list(v) for k, v in st["history"].items()}
        return ck

    # --- one step ----------------------------------------------------------------------------

    def real_batch(self):
        """B real openings (drawn with the trainer's generator), as one-hot rows (B, T, V)."""
        idx = self.rng.integers(0, self.real.shape[0], self.tc.batch_size)
        return np.eye(self.gan.cfg.vocab_size, dtype=np.float32)[self.real[idx]]

    def _both(self, ys):
        """The discriminator on B real openings and the B generated ones, as one batch (2B, T, V):
        the same op reads both, so nothing but the tokens tells them apart."""
        be, xp = self.gan.be, self.gan.xp
        batch = xp.concatenate([be.asarray(self.real_batch()), ys])
        logits = self.gan.D.forward_soft(xp.ascontiguousarray(batch))
        B = ys.shape[0]
        return xp.ascontiguousarray(logits[:B]), xp.ascontiguousarray(logits[B:])

    def train_step(self):
        """One step: D learns (d_steps times), then G; returns a dict of what the progress line shows."""
        gan, tc = self.gan, self.tc
        G, D, be, xp = gan.G, gan.D, gan.be, gan.xp
        B, T = tc.batch_size, tc.seq_len
        step = self.step + 1
        tau = 1.0 / beta_at(step - 1, tc)
        offset = gan.noise_offset(step, B, T)
        ys = gan.generate_soft(B, T, tau, tc.seed, offset)            # 1. (B, T, V), no gradient needed
        for _ in range(tc.d_steps):                                   # 2. the discriminator
            real, fake = self._both(ys)
            dl, d_r, d_f, acc = d_loss(be, real, fake, tc.loss)
            D.zero_grad()
            D.backward(xp.concatenate([d_r, d_f]))
            self._finite("discriminator loss", dl)
            self._finite("discriminator gradient norm", be.clip_grad_norm(D.grads, tc.grad_clip))
            D.update(tc.d_lr, step)
        y, ctx = gan.forward_soft(ys, tau, tc.seed, offset)           # 3. the generator
        real, fake = self._both(y)
        gl, d_f = g_loss(be, real, fake, tc.loss)
        D.zero_grad()                                                 # D only passes the gradient on
        dy = D.backward(xp.concatenate([xp.zeros_like(d_f), d_f]))[B:]
        D.zero_grad()
        G.zero_grad()
        gan.backward_soft(xp.ascontiguousarray(dy), ctx, tc.unroll)
        mle = None                                                    # (JSON has no NaN: None when off)
        if tc.mle_weight > 0:                                         # lambda * cross-entropy on real text
            ids = self.real[self.rng.integers(0, self.real.shape[0], B)]
            _, mle = G.forward(be.asarray(ids[:, :-1].copy()), be.asarray(ids[:, 1:].copy()))
            G.backward(G.acts["dlogits"] * np.float32(tc.mle_weight))
        self._finite("generator loss", gl)
        norm = be.clip_grad_norm(G.grads, tc.grad_clip)
        self._finite("generator gradient norm", norm)
        G.update(tc.g_lr, step, beta1=0.5, beta2=0.999, weight_decay=0.0)
        G.acts = D.acts = None
        self.step = step
        return dict(d_loss=dl, g_loss=gl, d_acc=acc, tau=tau, mle=mle)

    def _finite(self, what, value):
        if not math.isfinite(value):
            raise TrainingDiverged(f"gan train: the {what} is {value} at step {self.step + 1}; stopped "
                                   f"(try a lower --g-lr/--d-lr); the last checkpoint is {self.ckpt_path}")

    # --- watching for mode collapse ---------------------------------------------------------

    def evaluate(self):
        """(Self-BLEU-4, BLEU-4 against held-out openings) of eval_samples hard samples at temperature 1."""
        from pystory import metrics
        texts = sample_openings(self.gan.G, self.tok, self.tc.eval_samples, self.tc.seq_len,
                                seed=10**6 + self.tc.seed, temperature=1.0)
        sb = metrics.self_bleu(texts, 4)
        bl = metrics.bleu(texts, self.refs, 4) if self.refs else None
        return sb, bl

    # --- the loop ------------------------------------------------------------------------------

    def run(self, until=None):
        """Train up to step `until` (default: tc.steps; a smaller one stops early, as an interruption would)."""
        from pystory.atomic import folder_lock
        tc = self.tc
        last = tc.steps if until is None else min(until, tc.steps)
        os.makedirs(tc.out_dir, exist_ok=True)
        with folder_lock(tc.out_dir):
            if self.step == 0 and tc.eval_every and self.tok is not None:
                self._record_eval(0)
            t_start, first = time.perf_counter(), self.step + 1
            for step in range(first, last + 1):
                t0 = time.perf_counter()
                r = self.train_step()
                h = self.history
                h["step"].append(step)
                for k in ("d_loss", "g_loss", "d_acc", "tau", "mle"):
                    h[k].append(r[k])
                dt = time.perf_counter() - t0
                left = (tc.steps - step) * (time.perf_counter() - t_start) / (step - first + 1)
                if step == first or step % 5 == 0 or step == tc.steps:
                    mle = f" | mle {r['mle']:.3f}" if tc.mle_weight > 0 else ""
                    self.log(f"step {step:4d}/{tc.steps} | D loss {r['d_loss']:.4f} | G loss {r['g_loss']:.4f} | "
                             f"D acc {r['d_acc']:.2f} | tau {r['tau']:.4f}{mle} | {dt:5.1f} s | "
                             f"{int(left) // 60}m{int(left) % 60:02d}s left")
                if tc.eval_every and self.tok is not None and (step % tc.eval_every == 0 or step == tc.steps):
                    self._record_eval(step)
                if (tc.ckpt_every and step % tc.ckpt_every == 0) or step in (tc.steps, last):
                    self.save()
        return self.history

    def _record_eval(self, step):
        sb, bl = self.evaluate()
        self.history["eval_step"].append(step)
        self.history["self_bleu"].append(sb)
        self.history["bleu"].append(bl)
        shown = "n/a" if bl is None else f"{bl:.4f}"
        self.log(f"step {step:4d} | Self-BLEU-4 {sb:.4f} | BLEU-4 vs held-out {shown} "
                 f"({self.tc.eval_samples} samples at temperature 1)")


def sample_openings(model, tok, n, T, seed=0, temperature=1.0, batch=64):
    """n openings of T tokens sampled (hard) after the end-of-text token, as texts; sample i uses
    Philox seed `seed + i`, drawn in batches of `batch`."""
    from pystory.rerank import generate_batch
    from pystory.sample import Sampler
    out = []
    for i0 in range(0, n, batch):
        samplers = [Sampler(temperature, seed=seed + i) for i in range(i0, min(n, i0 + batch))]
        for ids in generate_batch(model, [tok.eot_id], samplers, T, eot_id=tok.eot_id):
            out.append(tok.decode(ids).decode("utf-8", "replace"))
    return out


# --- figures ---------------------------------------------------------------------------------------

def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_curves(history, path, title="GAN training"):
    """D and G losses, D accuracy and the temperature per step; Self-BLEU-4 of samples per check."""
    plt = _plt()
    h = history
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    ax = axes[0]
    ax.plot(h["step"], h["d_loss"], lw=0.8, label="D loss")
    ax.plot(h["step"], h["g_loss"], lw=0.8, label="G loss")
    if any(v is not None for v in h.get("mle", [])):
        ax.plot(h["step"], [np.nan if v is None else v for v in h["mle"]], lw=0.8,
                label="G cross-entropy on real text")
    ax.set_xlabel("step")
    ax.set_title("losses")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax = axes[1]
    ax.plot(h["step"], h["d_acc"], lw=0.8, label="D accuracy")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("step")
    ax2 = ax.twinx()
    ax2.semilogy(h["step"], h["tau"], color="gray", lw=1, label="tau")
    ax2.set_ylabel("tau (gray)")
    ax.set_title("discriminator accuracy and temperature")
    ax.grid(alpha=0.3)
    ax = axes[2]
    if h.get("eval_step"):
        ax.plot(h["eval_step"], h["self_bleu"], "o-", label="Self-BLEU-4 (high: repetitive)")
        ax.plot(h["eval_step"], [np.nan if v is None else v for v in h["bleu"]], "s-", label="BLEU-4 vs held-out")
        ax.legend(fontsize=8)
    ax.set_xlabel("step")
    ax.set_title("samples at temperature 1")
    ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    save_figure(fig, path, dpi=120)                   # atomically: a reader never sees half a PNG
    plt.close(fig)
    return path


def plot_quality_diversity(rows, path, refs_self_bleu=None, title=None):
    """BLEU-4 (quality, up) against Self-BLEU-4 (lack of diversity, right), one curve per model
    through its temperatures: the better model's curve lies up and to the left."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    names = list(dict.fromkeys(r["model"] for r in rows))           # in order of appearance
    for name, marker in zip(names, "os^vD<>p*"):
        pts = sorted((r for r in rows if r["model"] == name), key=lambda r: r["temperature"])
        x, y = [r["self_bleu4"] for r in pts], [r["bleu4"] for r in pts]
        ax.plot(x, y, marker + "-", label=f"{name} (temperature {pts[0]['temperature']:g} .. "
                                          f"{pts[-1]['temperature']:g})")
        for r in pts:
            ax.annotate(f"{r['temperature']:g}", (r["self_bleu4"], r["bleu4"]), fontsize=7,
                        textcoords="offset points", xytext=(4, 3))
    if refs_self_bleu is not None:
        ax.axvline(refs_self_bleu, color="gray", ls="--", lw=1, label="held-out stories' own Self-BLEU-4")
    ax.set_xlabel("Self-BLEU-4 (lower: more diverse)")
    ax.set_ylabel("BLEU-4 against held-out stories (higher: closer to real)")
    ax.set_title(title or "quality against diversity")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    save_figure(fig, path, dpi=120)                   # atomically: a reader never sees half a PNG
    plt.close(fig)
    return path
