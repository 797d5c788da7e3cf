"""python -m pystory train | eval | story — the GPT of chapter 06 from the command line.

    python -m pystory train --backend c --corpus data/storyworld --config small --steps 2000
    python -m pystory eval  --corpus data/storyworld/val.txt            (the shipped model)
    python -m pystory story --prompt "Once upon a time" --seed 1 --temperature 0.8
"""
from __future__ import annotations

import argparse
import dataclasses
import glob
import math
import os
import sys
import time

import numpy as np

import pystory
from pystory.c import BackendUnavailable
from pystory.checkpoint import CheckpointError, load_checkpoint, load_tokenizer_of, place_tokenizer
from pystory.gpt import GPT, PRESETS, GPTConfig

HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED_MODEL = os.path.join(HERE, "models", "story.ckpt")


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
    model = GPT(ck.config, be)
    model.load_params(ck.params)
    return model, tok, ck


def _backend(name):
    try:
        return pystory.backend(name)
    except BackendUnavailable as e:
        print(str(e), file=sys.stderr)
        sys.exit(2)


def prepare_shards(corpus, tok, out_dir):
    """A folder of train_*.bin / val_*.bin shards for `corpus` under tokenizer `tok`.

    corpus: a folder that already holds shards of the right vocabulary (used
    as is), or a folder with train.txt and val.txt, or one text file (its last
    2% of stories become the validation split); text is tokenized once into
    out_dir/data and reused by later runs.
    """
    from pystory.data import shards as shard_io
    from pystory.data.cli import tokenize_file
    if os.path.isdir(corpus):
        found = sorted(glob.glob(os.path.join(corpus, "train_*.bin")))
        if found and shard_io.read_header(found[0]).vocab_size == tok.vocab_size:
            return corpus
    data_dir = os.path.join(out_dir, "data")
    os.makedirs(data_dir, exist_ok=True)
    stamp = os.path.join(data_dir, "SOURCE")
    source = f"{os.path.abspath(corpus)} vocab={tok.vocab_size}"
    if os.path.exists(stamp) and open(stamp).read() == source:
        return data_dir
    if os.path.isdir(corpus):
        files = [(s, os.path.join(corpus, f"{s}.txt")) for s in ("train", "val")]
        missing = [p for _, p in files if not os.path.isfile(p)]
        if missing:
            raise FileNotFoundError(f"--corpus {corpus}: needs train.txt and val.txt (or shards); missing {missing}")
    elif os.path.isfile(corpus):
        from pystory.data.corpus import read_corpus, write_corpus
        stories = read_corpus(corpus)
        n_val = max(1, len(stories) // 50)
        write_corpus(os.path.join(data_dir, "train.txt"), stories[:-n_val])
        write_corpus(os.path.join(data_dir, "val.txt"), stories[-n_val:])
        files = [(s, os.path.join(data_dir, f"{s}.txt")) for s in ("train", "val")]
    else:
        raise FileNotFoundError(f"--corpus {corpus}: no such file or folder")
    for split, path in files:
        print(f"tokenizing {path} ...", flush=True)
        tokenize_file(path, tok, data_dir, split, 100_000_000)
    with open(stamp, "w") as f:
        f.write(source)
    return data_dir


def parse_overrides(items):
    """['n_layer=6', 'n_embd=192'] -> {'n_layer': 6, 'n_embd': 192}."""
    fields = {f.name for f in dataclasses.fields(GPTConfig)}
    out = {}
    for item in items or []:
        key, _, val = item.partition("=")
        if key not in fields or not val:
            raise ValueError(f"--set {item!r}: expected NAME=INT with NAME one of {sorted(fields)}")
        out[key] = int(val)
    return out


# --- train ---------------------------------------------------------------------------------

def train_parser():
    p = argparse.ArgumentParser(prog="python -m pystory train", description="Train the GPT on a story corpus.")
    p.add_argument("--backend", default="c", choices=pystory.BACKENDS)
    p.add_argument("--corpus", default="data/storyworld",
                   help="folder with train.txt/val.txt or token shards, or one TinyStories-format file")
    p.add_argument("--tokenizer", default="byte", help="'byte' or a saved tokenizer file (default byte)")
    p.add_argument("--config", default="small", choices=sorted(PRESETS), help="model size preset")
    p.add_argument("--set", nargs="*", metavar="NAME=INT", help="override config fields, e.g. n_layer=6")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--grad-clip", type=float, default=1.0)
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--eval-batches", type=int, default=20)
    p.add_argument("--ckpt-every", type=int, default=250)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/gpt", help="folder for checkpoints, data and the loss curve")
    p.add_argument("--resume", action="store_true", help="continue from OUT/model.ckpt exactly")
    p.add_argument("--ship", default=None, metavar="FILE",
                   help="at the end, also write a float16 copy without optimizer state (for shipping)")
    return p


def train_main(argv):
    args = train_parser().parse_args(argv)
    from pystory.data.loader import BatchLoader
    from pystory.train import Trainer, TrainConfig, TrainingDiverged, log_to, token_byte_lengths
    be = _backend(args.backend)
    try:
        tok = load_tokenizer_for(args.tokenizer)
        cfg = GPTConfig(vocab_size=tok.vocab_size, **{**PRESETS[args.config], **parse_overrides(args.set)})
        data = prepare_shards(args.corpus, tok, args.out)
    except (OSError, ValueError) as e:
        print(f"train: {e}", file=sys.stderr)
        return 2
    tc = TrainConfig(steps=args.steps, batch_size=args.batch_size, seq_len=cfg.block_size, lr=args.lr,
                     warmup=args.warmup, weight_decay=args.weight_decay, grad_clip=args.grad_clip,
                     eval_every=args.eval_every, eval_batches=args.eval_batches, ckpt_every=args.ckpt_every,
                     seed=args.seed, out_dir=args.out)
    loader = BatchLoader(data, tc.batch_size, cfg.block_size, seed=tc.seed, split="train",
                         expected_vocab=tok.vocab_size)
    val = BatchLoader(data, tc.batch_size, cfg.block_size, seed=tc.seed, split="val",
                      expected_vocab=tok.vocab_size)
    model = GPT(cfg, be).init_weights(seed=tc.seed)
    tok_spec = place_tokenizer(args.tokenizer, args.out)      # the run folder keeps its own copy
    trainer = Trainer(model, loader, tc, val_loader=val, tokenizer=tok_spec,
                      byte_lengths=token_byte_lengths(tok), log=log_to(sys.stdout))
    if args.resume:
        try:
            ck = trainer.resume(trainer.ckpt_path)
        except (CheckpointError, ValueError) as e:
            print(f"train --resume: {e}", file=sys.stderr)
            return 2
        print(f"resumed from {trainer.ckpt_path} at step {ck.step}")
    print(f"model: {model.num_params:,} parameters {cfg} on backend {be.name}; "
          f"{loader.num_tokens:,} training tokens; B={tc.batch_size} T={cfg.block_size}", flush=True)
    t0 = time.perf_counter()
    try:
        trainer.run()
    except TrainingDiverged as e:
        print(str(e), file=sys.stderr)
        return 1
    finally:
        if trainer.history["step"]:
            print(f"loss curve: {trainer.plot(os.path.join(args.out, 'loss.png'))}")
    print(f"trained {tc.steps} steps in {time.perf_counter() - t0:.0f} s; checkpoint {trainer.ckpt_path}")
    if args.ship:
        from pystory.checkpoint import save_checkpoint
        ship_dir = os.path.dirname(os.path.abspath(args.ship))
        ship_tok = place_tokenizer(os.path.join(args.out, tok_spec) if tok_spec != "byte" else "byte", ship_dir)
        save_checkpoint(args.ship, model, step=trainer.step, tokenizer=ship_tok, dtype="float16",
                        optimizer=False, train_state={"history": trainer.history,
                                                      "train_config": dataclasses.asdict(tc)})
        print(f"shipped float16 model: {args.ship}")
    return 0


# --- eval ----------------------------------------------------------------------------------

def eval_main(argv):
    p = argparse.ArgumentParser(prog="python -m pystory eval",
                                description="Loss and bits per byte of a model on a TinyStories-format text.")
    p.add_argument("--model", default=SHIPPED_MODEL)
    p.add_argument("--corpus", default="data/storyworld/val.txt")
    p.add_argument("--backend", default="c", choices=pystory.BACKENDS)
    p.add_argument("--max-tokens", type=int, default=200_000, help="evaluate at most this many tokens (0: all)")
    p.add_argument("--batch-size", type=int, default=8)
    args = p.parse_args(argv)
    from pystory.train import bits_per_byte, token_byte_lengths
    try:
        model, tok, ck = load_model(args.model, args.backend)
        with open(args.corpus, "rb") as f:
            text = f.read()
    except (CheckpointError, OSError, ValueError) as e:
        print(f"eval: {e}", file=sys.stderr)
        return 2
    except BackendUnavailable as e:
        print(str(e), file=sys.stderr)
        return 2
    ids = np.asarray(tok.encode(text), np.int32)
    if args.max_tokens:
        ids = ids[:args.max_tokens + 1]
    T = model.cfg.block_size
    n_win = (len(ids) - 1) // T
    if n_win == 0:
        print(f"eval: {args.corpus} has {len(ids)} tokens, fewer than one window of {T + 1}", file=sys.stderr)
        return 2
    lengths = token_byte_lengths(tok)
    windows = np.stack([ids[i * T:i * T + T + 1] for i in range(n_win)])      # (n_win, T+1)
    be = model.be
    nats, nbytes, ntok = 0.0, 0, 0
    for i in range(0, n_win, args.batch_size):
        w = windows[i:i + args.batch_size]
        _, loss = model.forward(be.asarray(w[:, :-1]), be.asarray(w[:, 1:]))
        nats += loss * w[:, 1:].size
        ntok += w[:, 1:].size
        nbytes += int(lengths[w[:, 1:]].sum())
    print(f"model {args.model} (step {ck.step}, {model.num_params:,} params) on {args.corpus}: "
          f"{ntok:,} tokens")
    print(f"loss {nats / ntok:.4f} nats/token | {bits_per_byte(nats, nbytes):.4f} bits/byte")
    return 0


# --- story ---------------------------------------------------------------------------------

def story_main(argv):
    p = argparse.ArgumentParser(prog="python -m pystory story", description="Write a story with the GPT.")
    p.add_argument("--prompt", default="Once upon a time")
    p.add_argument("--model", default=SHIPPED_MODEL)
    p.add_argument("--backend", default="c", choices=pystory.BACKENDS)
    p.add_argument("--seed", type=int, default=None, help="Philox seed (default: from the clock)")
    p.add_argument("--temperature", type=float, default=0.8, help="0 = greedy")
    p.add_argument("--top-k", type=int, default=0, help="keep only the k most likely tokens (0: off)")
    p.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling (1.0: off)")
    p.add_argument("--max-tokens", type=int, default=1000, help="stop after this many new tokens")
    p.add_argument("--no-cache", action="store_true", help="recompute the whole context every token")
    p.add_argument("--stats", action="store_true", help="print tokens/s at the end (to stderr)")
    p.add_argument("--rerank", type=int, default=1, metavar="K",
                   help="draw K stories, print the one the discriminator finds most real (chapter 05)")
    p.add_argument("--disc", default=None, help="the discriminator for --rerank (default: the shipped one)")
    args = p.parse_args(argv)
    from pystory.sample import Sampler, generate, stream_text
    try:
        model, tok, _ = load_model(args.model, args.backend)
        sampler = Sampler(temperature=args.temperature, top_k=args.top_k, top_p=args.top_p,
                          seed=args.seed if args.seed is not None else time.time_ns() % 2**32)
    except (CheckpointError, OSError, ValueError) as e:
        print(f"story: {e}", file=sys.stderr)
        return 2
    except BackendUnavailable as e:
        print(str(e), file=sys.stderr)
        return 2
    prompt_ids = tok.encode(args.prompt) if args.prompt else np.zeros(0, np.int32)
    if args.rerank != 1:                       # chapter 05: the best of K, judged by a discriminator
        from pystory.rerank import story_main_rerank
        return story_main_rerank(args, model, tok, prompt_ids, sampler.seed)
    t0 = time.perf_counter()
    out = sys.stdout
    out.write(args.prompt)
    out.flush()
    n = 0
    for piece in stream_text(tok, generate(model, prompt_ids, args.max_tokens, sampler,
                                           eot_id=tok.eot_id, use_cache=not args.no_cache)):
        out.write(piece)
        out.flush()
        n += 1
    out.write("\n")
    out.flush()
    if args.stats:
        dt = time.perf_counter() - t0
        print(f"[{n} pieces in {dt:.2f} s]", file=sys.stderr)
    return 0
