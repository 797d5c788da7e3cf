"""Chapter 07: LoRA — fine-tune a frozen GPT through small low-rank adapters.

    python -m pystory finetune --lora 8 --corpus my_stories.txt --out runs/lora
    python -m pystory story --model runs/lora/adapter.lora        (the base loads beside it)
    python -m pystory finetune ... --merge my_model.ckpt           (or merge for shipping)

Low-Rank Adaptation (Hu et al., 2021). A layer matrix W (OC, C) stays frozen;
the layer learns a correction of rank r instead:

    out = x @ (W + s * B @ A).T + b = x @ W.T + b + s * (x @ A.T) @ B.T
    A: (r, C), B: (OC, r), s = alpha / r

r (C + OC) numbers instead of OC * C: for the shipped model's qkv matrix,
r = 8 trains 8 * (128 + 384) = 4,096 numbers instead of 49,152. A starts
random and B at zero, so the adapted model starts exactly as the base.

The forward is two more linear layers on the side (u = x @ A.T, y = u @ B.T,
out += s * y); the backward, with dout the upstream gradient:

    du = s * dout @ B          dB = s * dout.T @ u          (linear_backward of y)
    dx_adapter = du @ A        dA = du.T @ x                 (linear_backward of u)
    dx = dout @ W + dx_adapter                               (W frozen: no dW at all)

So LoRA needs no op of its own: it runs on the linear op of chapter 06 on
every backend. The frozen dx = dout @ W uses a transposed copy of W made
once, so a step never computes the base's dW (that is where LoRA saves time).

Adapters live in ONE flat buffer like the model's parameters (`lora`, with
`lora_grads`, `lora_m`, `lora_v`), so clipping and AdamW are one call each.
For the Trainer, `model.grads` IS the adapters' gradient; the frozen
parameters' gradients (computed by GPT.backward for LayerNorm, biases and
embeddings, and never used) go to `base_grads`.

An adapter file (kind "lora", pystory/checkpoint.py's format) names its base
model by file name, in its own folder, and stores the SHA-256 of the base's
parameters: beside another base it is refused.
"""
from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import re
import sys
import time

import numpy as np

from pystory.common import flat_views
from pystory.gpt import GPT, param_shapes
from pystory.philox import philox_normal
from pystory.train import Trainer

__all__ = ["TARGETS", "adapter_shapes", "adapter_sections", "params_sha256", "LoRAGPT", "AdapterTrainer",
           "save_adapter", "load_adapted", "main"]

TARGETS = ("qkvw", "attprojw", "fcw", "fcprojw")
_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")


def adapter_shapes(cfg, rank, targets=TARGETS):
    """{"qkvw.A": (L, r, C), "qkvw.B": (L, 3C, r), ...} in buffer order."""
    shapes = param_shapes(cfg)
    out = {}
    for name in targets:
        L, OC, C = shapes[name]
        out[name + ".A"] = (L, rank, C)
        out[name + ".B"] = (L, OC, rank)
    return out


def _adapter_size(cfg, rank, targets):
    return sum(math.prod(s) for s in adapter_shapes(cfg, rank, targets).values())


def params_sha256(params):
    """SHA-256 of a model's parameters as little-endian float32: what an adapter was trained on."""
    return hashlib.sha256(np.ascontiguousarray(params, "<f4").tobytes()).hexdigest()


def adapter_sections(header, cfg):
    """The sections of an adapter file (pystory/checkpoint.py calls this to check a header)."""
    lora, base = header.get("lora"), header.get("base")
    if not isinstance(lora, dict) or sorted(lora) != ["alpha", "rank", "targets"]:
        raise ValueError("'lora' must have exactly the fields alpha, rank, targets")
    r, alpha, targets = lora["rank"], lora["alpha"], lora["targets"]
    if not isinstance(r, int) or isinstance(r, bool) or not 1 <= r <= cfg.n_embd:
        raise ValueError(f"lora rank must be an integer in [1, n_embd = {cfg.n_embd}]")
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not math.isfinite(alpha) or alpha <= 0:
        raise ValueError("lora alpha must be a finite number > 0")
    if (not isinstance(targets, list) or not targets or len(set(targets)) != len(targets)
            or any(t not in TARGETS for t in targets)):
        raise ValueError(f"lora targets must be a non-empty list of distinct names from {list(TARGETS)}")
    if (not isinstance(base, dict) or sorted(base) != ["file", "params_sha256"]
            or not isinstance(base["file"], str) or not _FILE_NAME.fullmatch(base["file"])
            or not isinstance(base["params_sha256"], str) or not re.fullmatch(r"[0-9a-f]{64}", base["params_sha256"])):
        raise ValueError("'base' must name the base model by a file name and give its params_sha256")
    n = _adapter_size(cfg, r, targets)
    names = [s[0] for s in header.get("sections", [])]
    out = [["lora", "float32", n]]
    if names == ["lora", "m", "v"]:                      # a training checkpoint: AdamW's moments too
        out += [["m", "float32", n], ["v", "float32", n]]
    return out


class LoRAGPT(GPT):
    """A GPT whose target matrices get rank-`rank` adapters; only the adapters train."""

    def __init__(self, cfg, be, rank=8, alpha=None, targets=TARGETS, dtype=np.float32):
        super().__init__(cfg, be, dtype)
        if not 1 <= rank <= cfg.n_embd:
            raise ValueError(f"LoRAGPT: rank must be in [1, n_embd = {cfg.n_embd}], got {rank}")
        self.rank, self.alpha, self.targets = int(rank), float(alpha or 2 * rank), tuple(targets)
        self.scaling = self.alpha / self.rank                          # s = alpha / r
        xp, n = self.xp, _adapter_size(cfg, rank, targets)
        self.shapes = adapter_shapes(cfg, rank, targets)
        self.lora = xp.zeros(n, dtype)                  # (n,): every adapter number, one buffer
        self.base_grads = self.grads                    # the frozen parameters' gradients (unused)
        self.grads = xp.zeros(n, dtype)                 # d loss / d lora: what clipping and AdamW see
        self.m, self.v = xp.zeros(n, dtype), xp.zeros(n, dtype)
        self.ad = flat_views(self.lora, self.shapes)        # "qkvw.A": (L, r, C), "qkvw.B": (L, OC, r)
        self.gad = flat_views(self.grads, self.shapes)
        self._u = {}                                    # (name, l) -> x @ A.T, saved by forward
        self._wt = {}                                   # (name, l) -> W.T, for the frozen dx
        self.n_decay = 0

    def init_adapters(self, seed=0):
        """A ~ N(0, 1/sqrt(C)) from Philox, B = 0: the adapted model starts as the base."""
        host, off = np.zeros(self.lora.size, np.float32), 0
        for name, shape in self.shapes.items():
            n = math.prod(shape)
            if name.endswith(".A"):
                host[off:off + n] = philox_normal(seed, off, n) / np.float32(math.sqrt(shape[-1]))
            off += n
        self.lora[...] = self.be.asarray(host)
        return self

    def load_params(self, host):
        super().load_params(host)
        self._wt = {}                                   # the base changed: drop the transposed copies

    @property
    def num_trainable(self):
        return int(self.lora.size)

    # --- the products: base + s * (x @ A.T) @ B.T -------------------------------------------

    def linear(self, x, name, l=None):
        out = super().linear(x, name, l)
        if l is None or name not in self.targets:
            return out
        be = self.be
        u = be.linear_forward(x, self.ad[name + ".A"][l], None)            # (..., r)
        self._u[(name, l)] = u
        y = be.linear_forward(u, self.ad[name + ".B"][l], None)            # (..., OC)
        return be.axpy(self.scaling, y.reshape(-1), out.reshape(-1)).reshape(out.shape)

    def linear_backward(self, dout, x, name, l=None):
        be, s = self.be, self.scaling
        key = (name, l)
        if key not in self._wt:                                            # W.T once: dx = dout @ W
            w = self.p[name] if l is None else self.p[name][l]
            self._wt[key] = self.xp.ascontiguousarray(w.T)
        dx = be.linear_forward(dout, self._wt[key], None)                  # (..., C), no dW: W is frozen
        if l is None or name not in self.targets:
            return dx
        A, B = self.ad[name + ".A"][l], self.ad[name + ".B"][l]
        du, dB, _ = be.linear_backward(dout, self._u.pop(key), B)          # du = dout @ B, dB = dout.T @ u
        dxa, dA, _ = be.linear_backward(du, x, A)                          # dxa = du @ A, dA = du.T @ x
        gA, gB = self.gad[name + ".A"][l], self.gad[name + ".B"][l]
        gA += s * dA                                                       # views into self.grads
        gB += s * dB
        return be.axpy(s, dxa.reshape(-1), dx.reshape(-1)).reshape(dx.shape)

    # --- training: only the adapters ---------------------------------------------------------

    def zero_grad(self):
        self.grads[...] = 0
        self.base_grads[...] = 0

    def update(self, lr, step, beta1=0.9, beta2=0.95, eps=1e-8, weight_decay=0.0):
        """One AdamW step over the adapter buffer (no weight decay: it would pull toward the base's
        own correction of zero, which is what the rank limit already does)."""
        self.be.adamw_update(self.lora, self.grads, self.m, self.v, step, lr, beta1, beta2, eps, 0.0)

    # --- shipping: fold the adapters into the weights -----------------------------------------

    def merged(self):
        """A plain GPT with W + s * B @ A in every target matrix (the adapters' cost at inference: none)."""
        be = self.be
        params = be.to_numpy(self.params).copy()
        views = {}
        off = 0
        for name, shape in param_shapes(self.cfg).items():
            views[name] = params[off:off + math.prod(shape)].reshape(shape)
            off += math.prod(shape)
        for name in self.targets:
            A, B = be.to_numpy(self.ad[name + ".A"]), be.to_numpy(self.ad[name + ".B"])   # (L, r, C), (L, OC, r)
            views[name] += (self.scaling * (B.astype(np.float64) @ A.astype(np.float64))).astype(np.float32)
        model = GPT(self.cfg, be)
        model.load_params(params)
        return model


# --- files ----------------------------------------------------------------------------------

def save_adapter(path, model, base_file, base_sha, *, tokenizer="byte", step=0, optimizer=True,
                 train_state=None):
    """Write the adapters of `model` as a kind-"lora" checkpoint naming its base (a file in path's folder)."""
    from pystory.checkpoint import save_sections
    be = model.be
    arrays = [("lora", be.to_numpy(model.lora))]
    if optimizer:
        arrays += [("m", be.to_numpy(model.m)), ("v", be.to_numpy(model.v))]
    for name, a in arrays:
        if not np.isfinite(a).all():
            raise ValueError(f"save_adapter({path}): {name} holds NaN or inf; refusing to save a broken adapter")
    extra = {"lora": {"rank": model.rank, "alpha": model.alpha, "targets": list(model.targets)},
             "base": {"file": base_file, "params_sha256": base_sha}}
    return save_sections(path, model.cfg, [(n, a.astype(np.float32)) for n, a in arrays], tokenizer=tokenizer,
                         step=step, train_state=train_state, kind="lora", extra=extra)


def load_adapted(ck, be, base=None):
    """The LoRAGPT of adapter checkpoint `ck`: its base (the file it names beside it, or `base`, a path)
    must be the very model it was trained on."""
    from pystory.checkpoint import CheckpointError, load_checkpoint
    folder = os.path.dirname(os.path.abspath(ck.path))
    name = ck.meta["base"]["file"]
    base_path = base or os.path.join(folder, name)
    if base is None and not os.path.isfile(base_path):
        raise CheckpointError(f"{ck.path}: its base model {name} is not in the adapter's folder ({folder}); "
                              f"copy it there (or merge the adapter into it with `finetune --merge`)")
    bk = load_checkpoint(base_path, expected_config=ck.config)
    if bk.kind != "float":
        raise CheckpointError(f"{ck.path}: its base {base_path} is a {bk.kind} checkpoint, not a float model")
    if params_sha256(bk.params) != ck.meta["base"]["params_sha256"]:
        raise CheckpointError(f"{ck.path}: this adapter was trained on another base model than {base_path} "
                              f"(its parameters differ: SHA-256 {params_sha256(bk.params)[:12]}..., the adapter "
                              f"expects {ck.meta['base']['params_sha256'][:12]}...); load it beside the base it "
                              f"was made for")
    lora = ck.meta["lora"]
    model = LoRAGPT(ck.config, be, lora["rank"], lora["alpha"], lora["targets"])
    model.load_params(bk.params)
    model.lora[...] = be.asarray(ck.sections["lora"])
    if "m" in ck.sections:
        model.m[...] = be.asarray(ck.sections["m"])
        model.v[...] = be.asarray(ck.sections["v"])
    return model


class AdapterTrainer(Trainer):
    """pystory.train.Trainer for a LoRAGPT: its checkpoints are adapter files, and only the
    adapters and their moments are its state (the same health checks, fallback and exact --resume)."""

    STATE = ("lora", "m", "v")

    def __init__(self, model, loader, tc, base_file, base_sha, **kw):
        super().__init__(model, loader, tc, **kw)
        self.base_file, self.base_sha = base_file, base_sha
        self.ckpt_path = os.path.join(tc.out_dir, "adapter.lora")
        self.prev_path = os.path.join(tc.out_dir, "adapter.prev.lora")

    def write_checkpoint(self, path, loader_rng=None):
        save_adapter(path, self.model, self.base_file, self.base_sha, tokenizer=self.tokenizer, step=self.step,
                     train_state=self.train_state(loader_rng))

    def load_state(self, ck):
        if ck.kind != "lora" or "m" not in ck.sections:
            raise ValueError(f"{ck.path}: not an adapter training checkpoint (no optimizer state)")
        if ck.meta["base"]["params_sha256"] != self.base_sha:
            raise ValueError(f"{ck.path}: was trained on another base model; start a new --out")
        be = self.model.be

        def load():
            self.model.lora[...] = be.asarray(ck.sections["lora"])
            self.model.m[...] = be.asarray(ck.sections["m"])
            self.model.v[...] = be.asarray(ck.sections["v"])
        return load


# --- python -m pystory finetune ------------------------------------------------------------

def finetune_parser():
    import pystory
    from pystory.cli_args import Float, Int, OutDir, OutFile, Parser, Path
    from pystory.gpt_cli import SHIPPED_MODEL
    p = Parser("python -m pystory finetune",
               description="Fine-tune a model on a corpus of your own stories: LoRA adapters (--lora R) or every "
                           "weight (--full).")
    p.add_argument("--model", type=Path("file"), default=SHIPPED_MODEL, help="the base model (a float checkpoint)")
    p.add_argument("--corpus", required=True, type=Path("any"),
                   help="a TinyStories-format text file (its last 2%% of stories are the validation split), "
                        "or a folder with train.txt and val.txt")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--lora", type=Int(1, 4096), default=8, metavar="R", help="adapter rank")
    mode.add_argument("--full", action="store_true", help="fine-tune every weight instead (for comparison)")
    p.add_argument("--alpha", type=Float(0, 1e6, lo_open=True), default=None, help="LoRA alpha (default 2R)")
    p.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS), help="matrices that get adapters")
    p.add_argument("--backend", default="c", choices=pystory.BACKENDS)
    p.add_argument("--steps", type=Int(1, 10**7), default=300)
    p.add_argument("--batch-size", type=Int(1, 4096), default=8)
    p.add_argument("--seq-len", type=Int(1, 1 << 16), default=None, help="window length (default block_size)")
    p.add_argument("--lr", type=Float(0, 1, lo_open=True), default=None,
                   help="peak learning rate (default 2e-3 for LoRA, 3e-4 for --full)")
    p.add_argument("--warmup", type=Int(0, 10**7), default=20)
    p.add_argument("--grad-clip", type=Float(0, 1e6), default=1.0)
    p.add_argument("--eval-every", type=Int(0, 10**7), default=100)
    p.add_argument("--eval-batches", type=Int(1, 10**6), default=10)
    p.add_argument("--seed", type=Int(0, 2**32 - 1), default=0, help="seed of the adapters and the batch order")
    p.add_argument("--out", type=OutDir, default="runs/finetune", help="folder for the adapter (or model), data and the curve")
    p.add_argument("--resume", action="store_true", help="continue from OUT's checkpoint exactly")
    p.add_argument("--merge", type=OutFile, default=None, metavar="FILE",
                   help="at the end, also write the model with the adapters merged in (float16, for shipping)")
    return p


def main(argv=None):
    from pystory.cli_args import run
    return run("finetune", _main, sys.argv[1:] if argv is None else argv)


def _main(argv):
    args = finetune_parser().parse_args(argv)
    import pystory
    from pystory.checkpoint import CheckpointError, place_tokenizer, save_checkpoint
    from pystory.cli_args import UserError
    from pystory.gpt_cli import float_model_into, train_and_val
    from pystory.train import TrainConfig, TrainingDiverged, log_to, token_byte_lengths
    be = pystory.backend(args.backend)
    bk, tok, tok_name = float_model_into(args.model, args.out, "fine-tune a float model")
    T = min(args.seq_len or bk.config.block_size, bk.config.block_size)
    loader, val = train_and_val(args.corpus, tok, args.out, args.batch_size, T, args.seed)
    lr = args.lr or (3e-4 if args.full else 2e-3)
    tc = TrainConfig(steps=args.steps, batch_size=args.batch_size, seq_len=T, lr=lr, warmup=args.warmup,
                     weight_decay=0.1 if args.full else 0.0, grad_clip=args.grad_clip, eval_every=args.eval_every,
                     eval_batches=args.eval_batches, ckpt_every=args.eval_every, seed=args.seed, out_dir=args.out)
    common = dict(val_loader=val, tokenizer=tok_name, byte_lengths=token_byte_lengths(tok), log=log_to(sys.stdout))
    if args.full:
        model = GPT(bk.config, be)
        model.load_params(bk.params)
        trainer = Trainer(model, loader, tc, **common)
        what = f"every weight: {model.num_params:,} trainable parameters"
    else:
        base_file = place_base(args.model, args.out)
        model = LoRAGPT(bk.config, be, args.lora, args.alpha, args.targets).init_adapters(args.seed)
        model.load_params(bk.params)
        trainer = AdapterTrainer(model, loader, tc, base_file, params_sha256(bk.params), **common)
        what = (f"LoRA rank {model.rank}, alpha {model.alpha:g} on {', '.join(model.targets)}: "
                f"{model.num_trainable:,} trainable parameters ({model.num_trainable / model.num_params:.2%} of "
                f"{model.num_params:,})")
    if args.resume:
        try:
            ck = trainer.resume(trainer.ckpt_path)
        except (CheckpointError, ValueError) as e:
            raise UserError(f"--resume: {e}") from None
        print(f"resumed from {trainer.ckpt_path} at step {ck.step}")
    print(f"fine-tuning {args.model} on {args.corpus}: {what}; {loader.num_tokens:,} training tokens", flush=True)
    if trainer.step == 0:
        vl, bpb = trainer.evaluate()
        print(f"before: val loss {vl:.4f} | val bits/byte {bpb:.4f}", flush=True)
    t0 = time.perf_counter()
    try:
        trainer.run()
    except TrainingDiverged as e:
        print(str(e), file=sys.stderr)
        return 1
    print(f"fine-tuned {tc.steps} steps in {time.perf_counter() - t0:.0f} s; checkpoint {trainer.ckpt_path}")
    if args.merge:
        merged = model.merged() if not args.full else model
        ship_dir = os.path.dirname(os.path.abspath(args.merge))
        os.makedirs(ship_dir, exist_ok=True)
        ship_tok = place_tokenizer(os.path.join(args.out, tok_name) if tok_name != "byte" else "byte", ship_dir)
        save_checkpoint(args.merge, merged, step=trainer.step, tokenizer=ship_tok, dtype="float16", optimizer=False,
                        train_state={"history": trainer.history, "train_config": dataclasses.asdict(tc)})
        print(f"merged model: {args.merge}")
    return 0


def place_base(base_path, folder):
    """Copy the base checkpoint into `folder` (kept if identical) and return its file name there."""
    from pystory.checkpoint import place_file
    name = os.path.basename(base_path)
    return place_file(base_path, folder, name if _FILE_NAME.fullmatch(name) else "base.ckpt")


if __name__ == "__main__":
    sys.exit(main())
