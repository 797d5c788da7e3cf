"""python -m pystory train | eval | story — the GPT of chapter 06 from the command line.

    python -m pystory train --backend c --corpus data/storyworld --config small --steps 2000
    python -m pystory eval  --corpus data/storyworld/val.txt            (the shipped model)
    python -m pystory story --prompt "Once upon a time" --seed 1 --temperature 0.8

Every argument is checked by pystory/cli_args.py before any work starts.
A training run owns its --out folder: it holds the checkpoint (model.ckpt),
a copy of the tokenizer, the tokenized data and the loss curve, and a lock
(.lock) so that a second run into the same folder is refused.

On many processes (chapter 08): `mpiexec -n 2 python -m pystory train ...`
runs the same command on every rank (pystory/dist/cli.py); rank 0 takes the
lock and writes every file, the others only read.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import glob
import os
import sys
import time

import numpy as np

import pystory
from pystory.checkpoint import CheckpointError, load_checkpoint, load_tokenizer_of, place_tokenizer, tokenizer_file_of
from pystory.cli_args import SEED, Float, Int, OutDir, OutFile, Parser, Path, Tokenizer, UserError, given, run
from pystory.gpt import GPT, PRESETS, GPTConfig
from pystory.sample import STORY_TEMPERATURE, STORY_TOP_P

HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED_MODEL = os.path.join(HERE, "models", "story.ckpt")
MAKE_DATA = "run `make data` to write the default corpus, or give --corpus PATH"


# --- shared helpers ------------------------------------------------------------------------

def load_tokenizer_for(spec):
    """A tokenizer from the command line: 'byte' or a merges file."""
    from pystory.tokenizer import load_tokenizer
    return load_tokenizer("byte" if spec in (None, "byte") else spec)


def load_model(path, backend="c", tokenizer=None):
    """(model, tokenizer, checkpoint) from a checkpoint file, on the named backend.

    The tokenizer is the one the checkpoint names in its own folder, or
    `tokenizer` (a command-line spec) when given; either way it must be the
    one the model was trained with.
    """
    ck = load_checkpoint(path)
    tok = load_tokenizer_of(ck, tokenizer)
    be = pystory.backend(backend)
    if ck.kind != "float":              # chapter 07: an int8 model, or a LoRA adapter with its base
        from pystory.lora import load_adapted
        from pystory.quantize import load_quantized
        return (load_quantized if ck.kind == "q8" else load_adapted)(ck, be), tok, ck
    model = GPT(ck.config, be)
    model.load_params(ck.params)
    return model, tok, ck


def _source_stamp(corpus, tok):
    """What the tokenized data in OUT/data was made from: the corpus files (path, size, mtime),
    the tokenizer (its merges' SHA-256) and the shard format. Any change re-tokenizes."""
    from pystory.checkpoint import tokenizer_sha256
    from pystory.data.shards import VERSION
    files = ([os.path.join(corpus, f"{s}.txt") for s in ("train", "val")] if os.path.isdir(corpus) else [corpus])
    parts = [f"shards v{VERSION}", f"tokenizer {tokenizer_sha256(tok)} vocab={tok.vocab_size}"]
    for f in files:
        st = os.stat(f)
        parts.append(f"{os.path.abspath(f)} {st.st_size} {st.st_mtime_ns}")
    return "\n".join(parts) + "\n"


def float_checkpoint(path, refusal):
    """The float model's checkpoint at `path`; another kind is refused:
    '{path} is a q8 checkpoint; ' + refusal."""
    ck = load_checkpoint(path)
    if ck.kind != "float":
        raise UserError(f"{path} is a {ck.kind} checkpoint; {refusal}")
    return ck


def float_model_into(path, folder, refusal):
    """(checkpoint, tokenizer, the tokenizer's name in `folder`) of the float model at `path`, its
    tokenizer copied into `folder` (made): where quantize, finetune and distill start from.
    Another kind of checkpoint is refused (float_checkpoint)."""
    ck = float_checkpoint(path, refusal)
    tok = load_tokenizer_of(ck)
    os.makedirs(folder, exist_ok=True)
    return ck, tok, place_tokenizer(tokenizer_file_of(ck), folder)


def train_and_val(corpus, tok, out_dir, batch_size, T, seed):
    """The training and validation BatchLoaders of `corpus` (tokenized into out_dir/data by prepare_shards)."""
    from pystory.data.loader import BatchLoader
    data = prepare_shards(corpus, tok, out_dir)
    return tuple(BatchLoader(data, batch_size, T, seed=seed, split=split, expected_vocab=tok.vocab_size)
                 for split in ("train", "val"))


def prepare_shards(corpus, tok, out_dir):
    """A folder of train_*.bin / val_*.bin shards for `corpus` under tokenizer `tok`.

    corpus: a folder that already holds shards of the right vocabulary (used
    as is), or a folder with train.txt and val.txt, or one text file (its last
    2% of stories become the validation split); text is tokenized once into
    out_dir/data and reused by later runs (SOURCE says from what).
    """
    from pystory.atomic import clean_stale, write_text_atomic
    from pystory.data import shards as shard_io
    from pystory.data.cli import tokenize_file
    if os.path.isdir(corpus):
        found = sorted(glob.glob(os.path.join(corpus, "train_*.bin")))
        if found and shard_io.read_header(found[0]).vocab_size == tok.vocab_size:
            return corpus
        missing = [s + ".txt" for s in ("train", "val") if not os.path.isfile(os.path.join(corpus, s + ".txt"))]
        if missing:
            raise UserError(f"--corpus {corpus}: needs train.txt and val.txt (or train_*.bin shards of vocab "
                            f"{tok.vocab_size}); missing {', '.join(missing)}; {MAKE_DATA}")
    elif not os.path.isfile(corpus):
        raise UserError(f"--corpus {corpus}: no such file or folder; {MAKE_DATA}")
    data_dir = os.path.join(out_dir, "data")
    os.makedirs(data_dir, exist_ok=True)
    clean_stale(data_dir)
    stamp = os.path.join(data_dir, "SOURCE")
    source = _source_stamp(corpus, tok)
    if os.path.exists(stamp):
        with open(stamp, encoding="utf-8", errors="replace") as f:
            if f.read() == source:
                return data_dir
        os.unlink(stamp)                     # the shards below no longer match it
    if os.path.isdir(corpus):
        files = [(s, os.path.join(corpus, f"{s}.txt")) for s in ("train", "val")]
    else:
        from pystory.data.corpus import read_corpus, write_corpus
        stories = read_corpus(corpus)
        if len(stories) < 2:
            raise UserError(f"--corpus {corpus}: has {len(stories)} story; training needs at least 2 "
                            f"(one for validation)")
        n_val = max(1, len(stories) // 50)
        write_corpus(os.path.join(data_dir, "train.txt"), stories[:-n_val])
        write_corpus(os.path.join(data_dir, "val.txt"), stories[-n_val:])
        files = [(s, os.path.join(data_dir, f"{s}.txt")) for s in ("train", "val")]
    for split, path in files:
        print(f"tokenizing {path} ...", flush=True)
        tokenize_file(path, tok, data_dir, split, 100_000_000)
    write_text_atomic(stamp, source)
    return data_dir


def config_override(item):
    """'n_layer=6' -> ('n_layer', 6): an argparse type for --set."""
    fields = [f.name for f in dataclasses.fields(GPTConfig)]
    key, _, val = item.partition("=")
    if key not in fields:
        raise argparse.ArgumentTypeError(f"expected NAME=INT with NAME one of {fields}, got {item!r}")
    return key, Int(1, 2**20)(val)


config_override.__name__ = "NAME=INT"


def parse_overrides(items):
    """['n_layer=6', 'n_embd=192'] (or parsed pairs) -> {'n_layer': 6, 'n_embd': 192}."""
    out = {}
    for item in items or []:
        key, val = config_override(item) if isinstance(item, str) else item
        out[key] = val
    return out


def _model_config(args, vocab_size, base=None):
    """The GPTConfig from --config and --set (on top of `base`, a resumed run's config)."""
    if base is not None and args.config is None:
        fields = base.to_dict()
    else:
        fields = {"vocab_size": vocab_size, **PRESETS[args.config or "small"]}
    fields.update(parse_overrides(args.set))
    if "vocab_size" in dict(args.set or []) and fields["vocab_size"] != vocab_size:
        raise UserError(f"--set vocab_size={fields['vocab_size']}: the vocab size comes from the tokenizer "
                        f"({vocab_size}); leave it out")
    try:
        return GPTConfig(**fields)
    except ValueError as e:
        raise UserError(f"--config/--set: {e}") from None


# --- train ---------------------------------------------------------------------------------

def train_parser():
    p = Parser("python -m pystory train", description="Train the GPT on a story corpus.")
    p.add_argument("--backend", default="c", choices=pystory.BACKENDS, help="who runs the ops")
    p.add_argument("--corpus", default=None, type=Path("any", hint=MAKE_DATA),
                   help="folder with train.txt/val.txt or token shards, or one TinyStories-format file "
                        "(default: data/storyworld; with --resume: the run's tokenized data)")
    p.add_argument("--tokenizer", default=None, type=Tokenizer,
                   help="'byte' or a saved merges file (default: byte; with --resume: the run's own)")
    p.add_argument("--config", default=None, choices=sorted(PRESETS),
                   help="model size preset (default: small; with --resume: the run's own)")
    p.add_argument("--set", nargs="+", action="extend", metavar="NAME=INT", type=config_override,
                   help="override config fields, e.g. n_layer=6")
    p.add_argument("--steps", type=Int(1, 10**9), default=2000,
                   help="train until this step (the total: with --resume, beyond the checkpoint's step)")
    p.add_argument("--batch-size", type=Int(1, 4096), default=8, help="B: windows per step")
    p.add_argument("--lr", type=Float(0, 1, lo_open=True), default=1e-3, help="peak learning rate")
    p.add_argument("--warmup", type=Int(0, 10**9), default=100, help="steps of linear warmup")
    p.add_argument("--weight-decay", type=Float(0, 1), default=0.1, help="AdamW's decoupled weight decay")
    p.add_argument("--grad-clip", type=Float(0, 1e6), default=1.0, help="clip the gradient norm to this (0: off)")
    p.add_argument("--diverge-nats", type=Float(0, 100, lo_open=True), default=1.0,
                   help="stop when the smoothed loss rises this far above the run's best (nats/token)")
    p.add_argument("--eval-every", type=Int(0, 10**9), default=250, help="steps between validations (0: at the end)")
    p.add_argument("--eval-batches", type=Int(1, 10**6), default=20, help="validation batches each time")
    p.add_argument("--ckpt-every", type=Int(0, 10**9), default=250, help="steps between checkpoints (0: at the end)")
    p.add_argument("--seed", type=SEED, default=0, help="seed of the weights and the batch order")
    p.add_argument("--out", type=OutDir, default="runs/gpt", help="folder for checkpoints, data and the loss curve")
    p.add_argument("--resume", action="store_true",
                   help="continue from OUT/model.ckpt exactly, with the run's settings unless given again")
    p.add_argument("--overwrite", action="store_true", help="start a new run in an OUT that already holds one")
    p.add_argument("--init", default=None, metavar="FILE", type=Path("file"),
                   help="start a new run from the weights of FILE (a shipped model or a run's checkpoint), "
                        "with its config, tokenizer and loss history and a fresh AdamW whose warmup and "
                        "cosine begin at FILE's step; --steps is the total")
    p.add_argument("--ship", default=None, metavar="FILE", type=OutFile,
                   help="at the end, also write a float16 copy without optimizer state (for shipping)")
    g = p.add_argument_group("many processes (chapter 08; launch with mpiexec -n N)")
    g.add_argument("--accum", type=Int(1, 4096), default=1,
                   help="micro-batches per rank per step (gradient accumulation): --batch-size is split into "
                        "ranks x accum micro-batches")
    g.add_argument("--zero", action="store_true", help="ZeRO-1: shard AdamW's m and v across the ranks")
    g.add_argument("--comm", default="auto", choices=("auto", "mpi", "nccl"),
                   help="who moves the gradients between ranks (auto: nccl on --backend cuda, else mpi)")
    g.add_argument("--comm-timeout", type=Float(1, 1e6), default=300.0,
                   help="seconds a rank waits for the others at a check-in before it stops the run, naming them")
    return p


def _where_to_continue(trainer, args):
    if trainer.last_good is None:
        return "no checkpoint was saved yet"
    path, step = trainer.last_good
    return f"the last checkpoint is {path} (step {step}); continue with --resume --out {args.out}"


def train_main(argv):
    from pystory.dist.comm import launched_world
    if launched_world() > 1:                     # started by mpiexec -n N: one voice, never a hang
        from pystory.dist.cli import run_on_ranks
        return run_on_ranks("train", _train_main, argv)
    return run("train", _train_main, argv)


def _train_main(argv, comm=None):
    from pystory.dist.cli import agree
    from pystory.dist.comm import SingleProcess
    comm = comm or SingleProcess()
    parser = train_parser()
    args = parser.parse_args(argv)
    comm.timeout = args.comm_timeout
    from pystory.atomic import FolderLocked, folder_lock
    out = os.path.abspath(args.out)
    top = None                                   # the outermost folder this run creates, if any
    while not os.path.exists(out):
        top, out = out, os.path.dirname(out)
    lock = contextlib.ExitStack()

    def take_lock():                             # rank 0 holds the run's folder; the other ranks only read
        if comm.rank == 0:
            try:
                lock.enter_context(folder_lock(args.out))
            except FolderLocked as e:
                raise UserError(f"{e}; wait for it to finish or give another --out") from None
    try:
        agree(comm, "the lock of --out", take_lock)
        with lock:
            return _train(parser, args, given(parser, argv), comm)
    finally:
        if comm.rank == 0 and top is not None and os.listdir(args.out) == [".lock"]:   # refused before it wrote
            os.unlink(os.path.join(args.out, ".lock"))
            d = os.path.abspath(args.out)
            while True:
                os.rmdir(d)
                if d == top:
                    break
                d = os.path.dirname(d)


# the training settings a resumed run takes from its checkpoint unless they are given again
RESUMED_SETTINGS = ("steps", "batch_size", "lr", "warmup", "weight_decay", "grad_clip", "diverge_nats",
                    "eval_every", "eval_batches", "ckpt_every", "seed")


def _resumed_settings(parser, args, explicit, ck):
    """Fill args with the checkpoint's training settings where the command line did not give them
    (each checked by the option's own type: nothing in the file is trusted)."""
    saved = ck.train_state.get("train_config", {})
    if not isinstance(saved, dict):
        raise CheckpointError(f"{ck.path}: corrupt checkpoint: train_config is not an object")
    types = {a.dest: a.type for a in parser._actions}
    for dest in RESUMED_SETTINGS:
        if dest in explicit or dest not in saved:
            continue
        try:
            setattr(args, dest, types[dest](str(saved[dest])))
        except argparse.ArgumentTypeError as e:
            raise CheckpointError(f"{ck.path}: corrupt checkpoint: its setting {dest} {e}") from None
    if "steps" not in explicit and args.steps <= ck.step:
        raise UserError(f"the run in {args.out} is complete (step {ck.step} of {args.steps}); "
                        f"give --steps N with N > {ck.step} to train it further")


def _train(parser, args, explicit, comm):
    from pystory.dist.cli import agree
    from pystory.dist.comm import RankFailure
    from pystory.train import TrainingDiverged
    # every rank checks the arguments and reads the checkpoint; rank 0 alone writes (tokenizer, data)
    ck, tok, cfg, tok_name, data = agree(comm, "the check of the arguments and the data",
                                         lambda: _prepare(parser, args, explicit, comm),
                                         timeout=max(args.comm_timeout, 3600))   # rank 0 may be tokenizing
    tok_name, data = comm.exchange("the data's folder", (tok_name, data))[0]     # what rank 0 wrote
    if comm.world > 1 and (args.comm == "nccl" or (args.comm == "auto" and args.backend == "cuda")):
        from pystory.dist.comm import NCCLComm
        agree(comm, "the check of the GPUs", lambda: NCCLComm.check_gpus(comm))
        comm = NCCLComm(comm)                      # the same ranks; the gradients over NCCL
    trainer, model, loader, tc = agree(comm, "the setup of the model",
                                       lambda: _setup(args, ck, tok, tok_name, cfg, data, comm))
    first = trainer.step
    print(f"model: {model.num_params:,} parameters {cfg} on backend {model.be.name}; "
          f"{loader.num_tokens:,} training tokens; B={tc.batch_size} T={cfg.block_size}; seed {tc.seed}", flush=True)
    if comm.world > 1 or args.accum > 1:
        _print_parallel(trainer, tc)
    t0 = time.perf_counter()
    try:
        trainer.run()
    except TrainingDiverged as e:
        print(f"{e}", file=sys.stderr)
        return 1
    except RankFailure as e:                     # a rank stopped answering: say where to continue
        raise RankFailure(f"{e}; {_where_to_continue(trainer, args)}") from None
    except KeyboardInterrupt:
        print(f"\ntrain: interrupted at step {trainer.step + 1}; {_where_to_continue(trainer, args)}", file=sys.stderr)
        return 130
    finally:
        if trainer.history["step"] and trainer.writer:
            print(f"loss curve: {trainer.plot(os.path.join(args.out, 'loss.png'))}")
    dt = time.perf_counter() - t0
    print(f"trained steps {first + 1}..{trainer.step} ({trainer.step - first} steps) in "
          f"{dt:.0f} s; checkpoint {trainer.ckpt_path} (step {trainer.step})")
    if comm.world > 1:
        _print_comm_time(trainer, dt)
    if args.ship and trainer.writer:
        from pystory.checkpoint import save_checkpoint
        ship_dir = os.path.dirname(os.path.abspath(args.ship))
        src = "byte" if tok_name == "byte" else os.path.join(args.out, tok_name)
        ship_tok = place_tokenizer(src, ship_dir)                # the tokenizer travels with the model
        save_checkpoint(args.ship, model, step=trainer.step, tokenizer=ship_tok, dtype="float16",
                        optimizer=False, train_state={"history": trainer.history,
                                                      "train_config": dataclasses.asdict(tc)})
        print(f"shipped float16 model: {args.ship}")
    return 0


def _mib(n):
    return f"{n / 2**20:.1f} MiB"


def _print_parallel(trainer, tc):
    """Who is who, how the batch is split, and the training memory of every rank."""
    par = trainer.parallel
    comm = par.comm
    b = par.micro_batch(tc.batch_size)
    print(f"parallel: {comm.describe()}; each step: {comm.world} rank(s) x {par.accum} micro-batch(es) of {b} "
          f"windows{'; ZeRO-1 (AdamW m, v sharded)' if par.zero else ''}", flush=True)
    mems = comm.exchange("the memory report", par.memory())
    for r, mem in enumerate(mems):
        parts = ", ".join(f"{k} {_mib(v)}" for k, v in mem.items())
        print(f"memory rank {r}: {_mib(sum(mem.values()))} ({parts}; activations not counted)", flush=True)


def _print_comm_time(trainer, dt):
    """Time in communication on every rank, and each rank's peak memory."""
    import resource
    comm = trainer.parallel.comm
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024      # Linux: KiB
    rows = comm.exchange("the time report", (comm.comm_seconds, comm.wait_seconds, peak))
    for r, (c, w, pk) in enumerate(rows):
        print(f"rank {r}: {c:.1f} s of {dt:.1f} s communicating ({100 * c / max(dt, 1e-9):.0f}%; {w:.1f} s of it "
              f"waiting at check-ins for the slowest rank); peak resident memory {_mib(pk)}")


def _prepare(parser, args, explicit, comm):
    """Check the arguments against the run folder and the data; -> (ck, tok, cfg, tok_name, data).
    Only rank 0 writes (it cleans the folder, copies the tokenizer, tokenizes the corpus)."""
    from pystory.atomic import clean_stale
    from pystory.dist.parallel import DataParallel
    if args.comm == "nccl" and args.backend != "cuda":
        raise UserError("--comm nccl moves GPU buffers between GPUs: it needs --backend cuda")
    DataParallel(comm, accum=args.accum).micro_batch(args.batch_size)   # a bad split: refused before any work
    pystory.backend(args.backend)                                # BackendUnavailable says why, on every rank
    writer = comm.rank == 0
    if writer:
        clean_stale(args.out)
    ckpt_path = os.path.join(args.out, "model.ckpt")
    ck = None
    if args.resume and args.init:
        raise UserError("--init starts a new run from a model's weights, --resume continues a run: give one")
    if args.resume:
        if not os.path.exists(ckpt_path):
            raise UserError(f"--resume: no checkpoint in {args.out} (model.ckpt); start without --resume")
        ck = load_checkpoint(ckpt_path)
        if ck.m is None:
            raise UserError(f"--resume: {ckpt_path} has no optimizer state (a shipped model?); "
                            f"it can be evaluated or sampled, not resumed")
        _resumed_settings(parser, args, explicit, ck)
        if args.steps <= ck.step:
            raise UserError(f"--steps {args.steps} is not beyond the checkpoint's step {ck.step}: --steps is "
                            f"the total, so give --steps N with N > {ck.step}")
        tok = load_tokenizer_of(ck, args.tokenizer)
        tok_name = ck.tokenizer if args.tokenizer is None else \
            (place_tokenizer(args.tokenizer, args.out) if writer else None)
        cfg = _model_config(args, tok.vocab_size, base=ck.config)
        if cfg != ck.config:
            raise UserError(f"--config/--set give {cfg}, the checkpoint was trained as {ck.config}; "
                            f"leave them out to resume, or start a new run with another --out")
    else:
        if os.path.exists(ckpt_path) and not args.overwrite:
            try:
                step = f"step {load_checkpoint(ckpt_path).step}"
            except CheckpointError:
                step = "unreadable"
            raise UserError(f"{args.out} already holds a training run (model.ckpt, {step}); add --resume to "
                            f"continue it, --overwrite to start again, or give another --out")
        if args.init:
            ck, tok, tok_name, cfg = _init_from(args, writer)     # its weights, not a run to resume
        else:
            tok = load_tokenizer_for(args.tokenizer)
            tok_name = place_tokenizer(args.tokenizer, args.out) if writer else None   # the run folder's own copy
            cfg = _model_config(args, tok.vocab_size)
    run_data = os.path.join(args.out, "data")
    if args.corpus is None and args.resume and glob.glob(os.path.join(run_data, "train_*.bin")):
        args.corpus = run_data                                     # the resumed run's own tokenized data
    if args.corpus is None:
        try:
            args.corpus = Path("any", hint=MAKE_DATA)("data/storyworld")
        except argparse.ArgumentTypeError as e:
            raise UserError(f"--corpus: {e}") from None
    data = prepare_shards(args.corpus, tok, args.out) if writer else None
    return ck, tok, cfg, tok_name, data


def _init_from(args, writer):
    """--init FILE: its weights, tokenizer and config for a new run; -> (ck, tok, tok_name, cfg)."""
    try:
        init = float_checkpoint(args.init, "--init starts from float weights: give the float model "
                                           "(the shipped one, or a run's model.ckpt)")
        tok = load_tokenizer_of(init, args.tokenizer)
    except CheckpointError as e:
        raise UserError(f"--init: {e}") from None
    cfg = _model_config(args, tok.vocab_size, base=init.config)
    if cfg != init.config:
        raise UserError(f"--config/--set give {cfg}, --init {args.init} holds {init.config}; "
                        f"leave them out (the weights fix the model's shape)")
    if args.steps <= init.step:
        raise UserError(f"--steps {args.steps} is not beyond --init's step {init.step}: --steps is the total, "
                        f"so give --steps N with N > {init.step}")
    spec = tokenizer_file_of(init) if args.tokenizer is None else args.tokenizer
    tok_name = place_tokenizer(spec, args.out) if writer else None
    return init, tok, tok_name, cfg


def _setup(args, ck, tok, tok_name, cfg, data, comm):
    """The loaders, the model and its trainer on this rank (resumed from ck if given)."""
    from pystory.data.loader import BatchLoader
    from pystory.dist.parallel import DataParallel
    from pystory.train import Trainer, TrainConfig, first_step_of, log_to, token_byte_lengths
    be = pystory.backend(args.backend)
    first = 0 if ck is None else ck.step if args.init else first_step_of(ck)   # where warmup and cosine begin
    tc = TrainConfig(first_step=first, steps=args.steps, batch_size=args.batch_size, seq_len=cfg.block_size, lr=args.lr,
                     warmup=args.warmup, weight_decay=args.weight_decay, grad_clip=args.grad_clip,
                     eval_every=args.eval_every, eval_batches=args.eval_batches, ckpt_every=args.ckpt_every,
                     seed=args.seed, out_dir=args.out, diverge_nats=args.diverge_nats)
    par = DataParallel(comm, accum=args.accum, zero=args.zero)
    b = par.micro_batch(tc.batch_size)           # the windows of one micro-batch (a bad split: a one-line error)
    loader = BatchLoader(data, tc.batch_size, cfg.block_size, seed=tc.seed, split="train",
                         expected_vocab=tok.vocab_size)
    val = BatchLoader(data, b, cfg.block_size, seed=tc.seed, split="val", expected_vocab=tok.vocab_size)
    model = GPT(cfg, be).init_weights(seed=tc.seed)
    trainer = Trainer(model, loader, tc, val_loader=val, tokenizer=tok_name,
                      byte_lengths=token_byte_lengths(tok), log=log_to(sys.stdout), parallel=par)
    if args.init:
        trainer.start_from(ck)
        print(f"starting from the weights of {args.init} (step {ck.step}), a fresh AdamW; "
              f"warmup and cosine over steps {ck.step + 1}..{tc.steps}")
    elif ck is not None:
        trainer.resume(ck)
        print(f"resumed from {trainer.ckpt_path} at step {ck.step}")
    return trainer, model, loader, tc


# --- eval ----------------------------------------------------------------------------------

def eval_parser():
    p = Parser("python -m pystory eval", description="Loss and bits per byte of a model on a TinyStories-format text.")
    p.add_argument("--model", default=SHIPPED_MODEL, type=Path("file"), help="a checkpoint")
    p.add_argument("--tokenizer", default=None, type=Tokenizer,
                   help="the model's tokenizer, if not the one beside the checkpoint")
    p.add_argument("--corpus", default="data/storyworld/val.txt", type=Path("file", hint=MAKE_DATA),
                   help="a TinyStories-format text file")
    p.add_argument("--backend", default="c", choices=pystory.BACKENDS, help="who runs the ops")
    p.add_argument("--max-tokens", type=Int(0, 10**10), default=200_000, help="evaluate at most this many tokens (0: all)")
    p.add_argument("--batch-size", type=Int(1, 4096), default=8, help="windows per forward pass")
    return p


def eval_main(argv):
    return run("eval", _eval_main, argv)


def _eval_main(argv):
    args = eval_parser().parse_args(argv)
    from pystory.measure import bits_per_byte_on
    model, tok, ck = load_model(args.model, args.backend, args.tokenizer)
    with open(args.corpus, "rb") as f:
        text = f.read()
    try:
        bpb, ntok, nats = bits_per_byte_on(model, tok, text, args.max_tokens, args.batch_size, where=args.corpus)
    except ValueError as e:
        raise UserError(f"--corpus: {e}") from None
    print(f"model {args.model} (step {ck.step}, {model.num_params:,} params) on {args.corpus}: {ntok:,} tokens")
    print(f"loss {nats:.4f} nats/token | {bpb:.4f} bits/byte")
    return 0


# --- story ---------------------------------------------------------------------------------

def story_parser():
    p = Parser("python -m pystory story", description="Write a story with the GPT.")
    p.add_argument("--prompt", default="Once upon a time", help="the story's beginning")
    p.add_argument("--model", default=SHIPPED_MODEL, type=Path("file"), help="a checkpoint")
    p.add_argument("--tokenizer", default=None, type=Tokenizer,
                   help="the model's tokenizer, if not the one beside the checkpoint")
    p.add_argument("--backend", default="c", choices=pystory.BACKENDS, help="who runs the ops")
    p.add_argument("--seed", type=SEED, default=None,
                   help="Philox seed (default: from the clock, and printed so the story can be told again)")
    p.add_argument("--temperature", type=Float(0, 100), default=STORY_TEMPERATURE, help="0 = greedy")
    p.add_argument("--top-k", type=Int(0, 2**31 - 1), default=0, help="keep only the k most likely tokens (0: off)")
    p.add_argument("--top-p", type=Float(0, 1, lo_open=True), default=STORY_TOP_P,
                   help="nucleus sampling: keep the most likely tokens whose probabilities reach this (1: off)")
    p.add_argument("--max-tokens", type=Int(0, 10**6), default=1000, help="stop after this many new tokens")
    p.add_argument("--no-cache", action="store_true", help="recompute the whole context every token")
    p.add_argument("--stats", action="store_true", help="print tokens/s at the end (to stderr)")
    p.add_argument("--rerank", type=Int(1, 256), default=1, metavar="K",
                   help="draw K stories, print the one the discriminator finds most real (chapter 05)")
    p.add_argument("--disc", default=None, type=Path("file"),
                   help="the discriminator for --rerank (default: the shipped one, pystory/models/disc.ckpt)")
    return p


def story_main(argv):
    return run("story", _story_main, argv)


def _story_main(argv):
    args = story_parser().parse_args(argv)
    from pystory.sample import Sampler, generate, stream_text
    model, tok, _ = load_model(args.model, args.backend, args.tokenizer)
    disc = None
    if args.rerank != 1 or args.disc is not None:   # chapter 05: the judge of the K candidates, checked now
        from pystory.rerank import SHIPPED_DISC, load_discriminator
        disc, _ = load_discriminator(args.disc or SHIPPED_DISC, model.be.name, tok)
    seed = args.seed
    if seed is None:
        seed = time.time_ns() % 2**32
        print(f"[seed {seed}: add --seed {seed} to tell this story again]", file=sys.stderr, flush=True)
    sampler = Sampler(temperature=args.temperature, top_k=args.top_k, top_p=args.top_p, seed=seed)
    prompt_ids = tok.encode(args.prompt) if args.prompt else np.zeros(0, np.int32)
    if disc is not None:                        # chapter 05: the best of K stories, judged by disc
        from pystory.rerank import story_main_rerank
        return story_main_rerank(args, model, tok, disc, prompt_ids, seed)
    out = sys.stdout
    out.write(args.prompt)
    out.flush()
    n_tokens = 0

    def counted(ids):
        nonlocal n_tokens
        for i in ids:
            n_tokens += 1
            yield i
    t0 = time.perf_counter()
    for piece in stream_text(tok, counted(generate(model, prompt_ids, args.max_tokens, sampler,
                                                   eot_id=tok.eot_id, use_cache=not args.no_cache))):
        out.write(piece)
        out.flush()
    out.write("\n")
    out.flush()
    if args.stats:
        dt = time.perf_counter() - t0
        print(f"[{n_tokens} tokens in {dt:.2f} s: {n_tokens / max(dt, 1e-9):.1f} tokens/s, prompt "
              f"{len(prompt_ids)} tokens, {'no cache' if args.no_cache else 'KV cache'}, "
              f"backend {model.be.name}]", file=sys.stderr)
    return 0
