"""Chapter 07: distillation — a smaller student learns from the teacher's whole distribution.

    python -m pystory distill --corpus data/storyworld --width 0.5 --alpha 0.5 --temperature 2 --out runs/distill
    python -m pystory distill ... --alpha 0        (the same student on the data alone, for comparison)

The data says only which token came next; the teacher says how likely every
token was (Hinton et al., 2015). The student minimises a mix:

    loss = (1 - alpha) * CE(z_s, y) + alpha * T^2 * KL(p_t || p_s)
    p_t = softmax(z_t / T),  p_s = softmax(z_s / T)

T > 1 softens both distributions, so the teacher's "dark knowledge" (that
"Tom" is a likely name even where "Lily" came next) carries weight; the T^2
keeps the gradient's size independent of T. The gradient with respect to
the student's logits, per position (N positions in the batch):

    d/dz_s [T^2 KL(p_t || p_s)] = T * (p_s - p_t)
    d loss / d z_s = ((1 - alpha) * (softmax(z_s) - onehot(y)) + alpha * T * (p_s - p_t)) / N

`soft_cross_entropy` below computes the KL term and its gradient with the
backend's array library (NumPy or CuPy) on the logits both models return;
the rest of the step is the chapter 06 training loop, unchanged.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import time

import numpy as np

from pystory.gpt import GPT
from pystory.train import Trainer

__all__ = ["soft_cross_entropy", "student_config", "DistillTrainer", "main"]


def soft_cross_entropy(xp, logits, teacher_logits, temperature):
    """(mean over rows of T^2 KL(p_t || p_s), d/d logits of it), logits: (N, V) student, teacher."""
    T = float(temperature)
    N = logits.shape[0]
    zs = logits.astype(np.float64) / T
    zt = teacher_logits.astype(np.float64) / T
    zs = zs - zs.max(axis=1, keepdims=True)
    zt = zt - zt.max(axis=1, keepdims=True)
    log_ps = zs - xp.log(xp.exp(zs).sum(axis=1, keepdims=True))      # log softmax, stable
    log_pt = zt - xp.log(xp.exp(zt).sum(axis=1, keepdims=True))
    pt, ps = xp.exp(log_pt), xp.exp(log_ps)
    kl = (pt * (log_pt - log_ps)).sum(axis=1)                           # (N,)
    loss = float(T * T * kl.mean())
    grad = (T * (ps - pt) / N).astype(np.float32)                        # (N, V)
    return loss, grad


def student_config(teacher_cfg, width=0.5):
    """The teacher's shape with n_embd scaled by `width` (heads kept, so head size shrinks too)."""
    C = max(teacher_cfg.n_head, int(round(teacher_cfg.n_embd * width / teacher_cfg.n_head)) * teacher_cfg.n_head)
    return dataclasses.replace(teacher_cfg, n_embd=C)


class DistillTrainer(Trainer):
    """The chapter 06 Trainer, with the loss of the module docstring (alpha = 0: the data alone)."""

    def __init__(self, model, teacher, loader, tc, alpha=0.5, temperature=2.0, **kw):
        super().__init__(model, loader, tc, **kw)
        self.teacher, self.alpha, self.temperature = teacher, float(alpha), float(temperature)

    def step_loss(self, x, y):
        # the rest of the step (health checks, checkpoints, backward, clipping, AdamW) is the Trainer's
        model, be = self.model, self.model.be
        logits, ce = model.forward(x, y)                                 # acts["dlogits"]: the CE gradient
        if self.alpha == 0:
            return ce
        zt, _ = self.teacher.forward(x)
        self.teacher.acts = None
        B, T, V = logits.shape
        kl, dkl = soft_cross_entropy(be.xp, logits.reshape(B * T, V), zt.reshape(B * T, V), self.temperature)
        a = self.alpha
        model.acts["dlogits"] = ((1 - a) * model.acts["dlogits"] + a * dkl.reshape(B, T, V)).astype(np.float32)
        return (1 - a) * ce + a * kl


def distill_parser():
    import pystory
    from pystory.cli_args import Float, Int, OutDir, Parser, Path
    from pystory.gpt_cli import MAKE_DATA, SHIPPED_MODEL
    p = Parser("python -m pystory distill", description="Train a narrower student on a teacher's soft targets.")
    p.add_argument("--teacher", type=Path("file"), default=SHIPPED_MODEL, help="the teacher (a float checkpoint)")
    p.add_argument("--corpus", type=Path("any", hint=MAKE_DATA), default="data/storyworld",
                   help="as for train (folder, shards or one text file)")
    p.add_argument("--width", type=Float(0, 1, lo_open=True), default=0.5, help="student n_embd / teacher's")
    p.add_argument("--alpha", type=Float(0, 1), default=0.5, help="weight of the teacher's term (0: data only)")
    p.add_argument("--temperature", type=Float(0, 100, lo_open=True), default=2.0,
                   help="softens both distributions in the teacher's term")
    p.add_argument("--backend", default="c", choices=pystory.BACKENDS, help="who runs the ops")
    p.add_argument("--steps", type=Int(1, 10**7), default=1500, help="optimizer steps")
    p.add_argument("--batch-size", type=Int(1, 4096), default=8, help="B: windows per step")
    p.add_argument("--lr", type=Float(0, 1, lo_open=True), default=2e-3, help="peak learning rate")
    p.add_argument("--warmup", type=Int(0, 10**7), default=100, help="steps of linear warmup")
    p.add_argument("--eval-every", type=Int(0, 10**7), default=250, help="steps between validations (0: at the end)")
    p.add_argument("--eval-batches", type=Int(1, 10**6), default=20, help="validation batches each time")
    p.add_argument("--seed", type=Int(0, 2**32 - 1), default=0, help="seed of the student's weights and the batches")
    p.add_argument("--out", type=OutDir, default="runs/distill", help="folder for the student, data and the curve")
    p.add_argument("--resume", action="store_true", help="continue from OUT's checkpoint exactly")
    return p


def main(argv=None):
    from pystory.cli_args import run
    return run("distill", _main, sys.argv[1:] if argv is None else argv)


def _main(argv):
    import pystory
    from pystory.checkpoint import CheckpointError
    from pystory.cli_args import UserError
    from pystory.gpt_cli import float_model_into, train_and_val
    from pystory.train import TrainConfig, TrainingDiverged, log_to, token_byte_lengths
    args = distill_parser().parse_args(argv)
    be = pystory.backend(args.backend)
    tk, tok, tok_name = float_model_into(args.teacher, args.out, "the teacher must be a float model")
    T = tk.config.block_size
    loader, val = train_and_val(args.corpus, tok, args.out, args.batch_size, T, args.seed)
    teacher = GPT(tk.config, be)
    teacher.load_params(tk.params)
    cfg = student_config(tk.config, args.width)
    student = GPT(cfg, be).init_weights(seed=args.seed)
    tc = TrainConfig(steps=args.steps, batch_size=args.batch_size, seq_len=T, lr=args.lr, warmup=args.warmup,
                     eval_every=args.eval_every, eval_batches=args.eval_batches, ckpt_every=args.eval_every,
                     seed=args.seed, out_dir=args.out)
    trainer = DistillTrainer(student, teacher, loader, tc, alpha=args.alpha, temperature=args.temperature,
                             val_loader=val, tokenizer=tok_name, byte_lengths=token_byte_lengths(tok),
                             log=log_to(sys.stdout))
    if args.resume:
        try:
            ck = trainer.resume(trainer.ckpt_path)
        except (CheckpointError, ValueError) as e:
            raise UserError(f"--resume: {e}") from None
        print(f"resumed from {trainer.ckpt_path} at step {ck.step}")
    print(f"student {cfg} ({student.num_params:,} parameters) from teacher {tk.config} "
          f"({teacher.num_params:,}); alpha {args.alpha:g}, temperature {args.temperature:g}", flush=True)
    t0 = time.perf_counter()
    try:
        trainer.run()
    except TrainingDiverged as e:
        print(str(e), file=sys.stderr)
        return 1
    print(f"trained {tc.steps} steps in {time.perf_counter() - t0:.0f} s; checkpoint {trainer.ckpt_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
