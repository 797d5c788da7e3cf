"""python -m pystory vae train | eval | sample | reconstruct | interpolate — chapter 04's sentence VAE.

    python -m pystory vae sample --n 5 --seed 1                 (the shipped VAE, codes from the prior)
    python -m pystory vae reconstruct "Tom saw a big red ball."
    python -m pystory vae interpolate "Mia was happy." "The dog ran to the park." --steps 6
    python -m pystory vae train --kl-schedule linear --word-dropout 0.3 --free-bits 0.1 --out runs/vae
    python -m pystory vae eval --model runs/vae/model.ckpt --k 100

Arguments go through pystory/cli_args.py like every command: a user's mistake
(a bad number, a missing file, a broken checkpoint) is one line on stderr and
exit code 2, Ctrl-C is one line and exit code 130, never a traceback.
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys
import time

import numpy as np

import pystory
from pystory.common import BackendUnavailable
from pystory.checkpoint import CheckpointError, load_checkpoint, load_tokenizer_of, place_tokenizer
from pystory.cli_args import SEED, Float, Int, OutDir, OutFile, Parser, Path, Tokenizer, UserError, run

HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED_MODEL = os.path.join(HERE, "models", "vae.ckpt")
# The VAE's own tokenizer: chapter 01's BPE, 2,048 ids (the story model's tokenizer until 2026-12-02), kept
# under its own name so that a new story model with a new story.bpe leaves the shipped VAE working.
SHIPPED_TOKENIZER = os.path.join(HERE, "models", "vae.bpe")


def _parser(prog, description):
    return Parser(f"python -m pystory vae {prog}", description=description)


def _backend(name):
    try:
        return pystory.backend(name)
    except BackendUnavailable as e:
        raise UserError(str(e)) from None


def load_vae(path, backend="c", tokenizer=None):
    """(model, tokenizer, checkpoint) from a VAE checkpoint file."""
    from pystory.vae import VAE
    ck = load_checkpoint(path, kinds=("vae",))
    tok = load_tokenizer_of(ck, tokenizer)
    model = VAE(ck.config, _backend(backend))
    model.load_params(ck.params)
    return model, tok, ck


def _model_args(p):
    p.add_argument("--model", type=Path("file"), default=SHIPPED_MODEL, help="a VAE checkpoint")
    p.add_argument("--tokenizer", type=Tokenizer, default=None,
                   help="its tokenizer file, if not the one beside the checkpoint")
    p.add_argument("--backend", default="c", choices=pystory.BACKENDS, help="where the model runs")


def _encode_sentence(tok, text, max_len):
    ids = np.asarray(tok.encode(text), np.int32)
    if ids.size == 0:
        raise UserError("an empty sentence cannot be encoded")
    if ids.size > max_len:
        raise UserError(f"{text[:40]!r}... is {ids.size} tokens; the VAE reads sentences of at most {max_len}")
    if (ids == tok.eot_id).any():
        raise UserError("a sentence may not contain <|endoftext|>")
    return ids


def _text(tok, ids):
    return tok.decode(ids).decode("utf-8", "replace")


def _posterior(model, tok, texts):
    """mu, logvar (n, Z) of q(z | x) for the sentences `texts`."""
    from pystory.data.sentences import MAX_LEN, make_batch
    if model.cfg.is_lm:
        raise UserError("this checkpoint is a language model (no latent code); use a VAE checkpoint")
    batch = make_batch([_encode_sentence(tok, t, MAX_LEN) for t in texts], tok.eot_id)
    mu, logvar = model.encode(model.be.asarray(batch["enc"]), batch["enc_len"])
    return model.be.to_numpy(mu), model.be.to_numpy(logvar)


def _picker(temperature, seed, B):
    """pick(logits (B, V), t) -> ids: greedy when temperature is 0, else a Philox-seeded draw."""
    from pystory.philox import philox_uniform
    from pystory.sample import probabilities, sample_token

    def pick(logits, t):
        if temperature == 0:
            return logits.argmax(axis=1)
        u = philox_uniform(seed, (1 << 40) + t * B, B)
        return [sample_token(probabilities(row, temperature), float(ub)) for row, ub in zip(logits, u)]
    return pick


# --- train -----------------------------------------------------------------------------------

def train_parser():
    from pystory.vae import PRESETS
    from pystory.vae_train import SCHEDULES
    p = _parser("train", "Train the sentence VAE (or, with --lm, a GRU language model of the same size).")
    p.add_argument("--backend", default="c", choices=pystory.BACKENDS, help="where the model runs")
    p.add_argument("--corpus", type=Path("file"), default=None,
                   help="a TinyStories-format file (default: storyworld stories)")
    p.add_argument("--stories", type=Int(3), default=6000, help="storyworld stories for the training split")
    p.add_argument("--tokenizer", type=Tokenizer, default=SHIPPED_TOKENIZER, help="a BPE merges file, or byte")
    p.add_argument("--config", default="small", choices=sorted(PRESETS), help="model size")
    p.add_argument("--latent", type=Int(0), default=None, help="latent dimensions (overrides the config)")
    p.add_argument("--lm", action="store_true", help="a GRU language model: no encoder, no code")
    p.add_argument("--steps", type=Int(1), default=2000, help="training steps in all (AE steps included)")
    p.add_argument("--batch-size", type=Int(1, 4096), default=64, help="sentences per step")
    p.add_argument("--lr", type=Float(0, lo_open=True), default=1e-3, help="Adam's learning rate")
    p.add_argument("--grad-clip", type=Float(0), default=5.0, help="0: off")
    p.add_argument("--kl-schedule", default="none", choices=SCHEDULES, help="how the KL weight beta grows")
    p.add_argument("--kl-warmup", type=Int(1), default=1000, help="steps to beta = 1 (linear, sigmoid)")
    p.add_argument("--kl-cycles", type=Int(1), default=4, help="M, cycles (cyclical)")
    p.add_argument("--kl-ratio", type=Float(0, 1, lo_open=True), default=0.5,
                   help="R, the part of a cycle in which beta rises (cyclical)")
    p.add_argument("--free-bits", type=Float(0), default=0.0, help="lambda, nats per latent dimension")
    p.add_argument("--word-dropout", type=Float(0, 1), default=0.0, help="p, UNK rate of decoder inputs")
    p.add_argument("--ae-steps", type=Int(0), default=0,
                   help="autoencoder pre-training steps (beta = 0), then the decoder is reset")
    p.add_argument("--eval-every", type=Int(0), default=500, help="steps between validation losses; 0: only at the end")
    p.add_argument("--ckpt-every", type=Int(0), default=500, help="steps between checkpoints; 0: only at the end")
    p.add_argument("--seed", type=Int(0, 2**32 - 1), default=0, help="initialisation, data split, batches and noise")
    p.add_argument("--out", type=OutDir, default="runs/vae", help="folder for the checkpoint and the tokenizer copy")
    p.add_argument("--resume", action="store_true", help="continue from OUT/model.ckpt exactly")
    p.add_argument("--ship", type=OutFile, default=None, metavar="FILE",
                   help="at the end, also write a float16 copy without optimizer state")
    return p


def _train_config(args):
    from pystory.vae_train import VAETrainConfig
    if args.ae_steps >= args.steps:
        raise UserError(f"--ae-steps {args.ae_steps} must be below --steps {args.steps}")
    return VAETrainConfig(steps=args.steps, batch_size=args.batch_size, lr=args.lr, grad_clip=args.grad_clip,
                          kl_schedule=args.kl_schedule, kl_warmup=args.kl_warmup, kl_cycles=args.kl_cycles,
                          kl_ratio=args.kl_ratio, free_bits=args.free_bits, word_dropout=args.word_dropout,
                          ae_steps=args.ae_steps, eval_every=args.eval_every, ckpt_every=args.ckpt_every,
                          seed=args.seed, out_dir=args.out)


def train_main(argv):
    from pystory.atomic import FolderLocked, folder_lock
    from pystory.data.sentences import SentenceBatches, load_splits
    from pystory.tokenizer import load_tokenizer
    from pystory.vae import PRESETS, VAE, VAEConfig
    from pystory.vae_train import TrainingDiverged, VAETrainer
    args = train_parser().parse_args(argv)
    tc = _train_config(args)
    be = _backend(args.backend)
    try:
        tok = load_tokenizer(args.tokenizer)
    except (OSError, ValueError) as e:
        raise UserError(f"--tokenizer {args.tokenizer}: {e}") from None
    sizes = dict(PRESETS[args.config])
    if args.latent is not None:
        sizes["n_latent"] = args.latent
    if args.lm:
        sizes["n_latent"] = 0
    cfg = VAEConfig(vocab_size=tok.vocab_size, **sizes)
    try:
        splits = load_splits(tok, corpus=args.corpus, n_stories=args.stories, seed=args.seed)
    except (OSError, ValueError) as e:
        raise UserError(str(e)) from None
    try:
        with folder_lock(args.out):
            tok_name = place_tokenizer(args.tokenizer, args.out)
            model = VAE(cfg, be).init_weights(seed=tc.seed)
            loader = SentenceBatches(splits["train"], tc.batch_size, seed=tc.seed)
            trainer = VAETrainer(model, loader, tc, val=splits["val"], tokenizer=tok_name,
                                 log=lambda m: print(m, flush=True))
            if args.resume:
                try:
                    ck = trainer.resume(trainer.ckpt_path)
                except (CheckpointError, ValueError) as e:
                    raise UserError(f"--resume: {e}") from None
                print(f"resumed from {trainer.ckpt_path} at step {ck.step}")
            kind = "GRU language model" if cfg.is_lm else "VAE"
            print(f"{kind}: {model.num_params:,} parameters {cfg} on backend {be.name}; "
                  f"{len(splits['train']):,} training sentences ({splits['train'].num_tokens:,} tokens); "
                  f"B={tc.batch_size}", flush=True)
            t0 = time.perf_counter()
            try:
                trainer.run()
            except TrainingDiverged as e:
                print(str(e), file=sys.stderr)
                return 1
            except KeyboardInterrupt:
                where = trainer.last_good[0] if trainer.last_good else "none written yet"
                print(f"\nvae train: stopped at step {trainer.step}; last checkpoint: {where}", file=sys.stderr)
                return 130
            print(f"trained to step {trainer.step} in {time.perf_counter() - t0:.0f} s; checkpoint {trainer.ckpt_path}")
            if args.ship:
                ship(trainer, args.ship, os.path.join(args.out, tok_name))
    except FolderLocked as e:
        raise UserError(str(e)) from None
    return 0


def ship(trainer, path, tokenizer_path):
    """A float16 copy of the trained model without optimizer state (and a short history)."""
    tok_name = place_tokenizer(tokenizer_path, os.path.dirname(os.path.abspath(path)))
    h = trainer.history
    state = {"train_config": dataclasses.asdict(trainer.tc), "history": h}
    from pystory.checkpoint import save_checkpoint
    save_checkpoint(path, trainer.model, step=trainer.step, tokenizer=tok_name, dtype="float16",
                    optimizer=False, train_state=state)
    print(f"shipped float16 model: {path} ({os.path.getsize(path):,} bytes)")


# --- eval ------------------------------------------------------------------------------------

def eval_main(argv):
    from pystory.data.sentences import load_splits
    from pystory.vae_eval import evaluate
    p = _parser("eval", "IW-NLL, perplexity, KL, mutual information, active units, reconstruction accuracy.")
    _model_args(p)
    p.add_argument("--corpus", type=Path("file"), default=None,
                   help="a TinyStories-format file (default: storyworld)")
    p.add_argument("--stories", type=Int(3), default=6000, help="storyworld stories of the training split")
    p.add_argument("--seed", type=Int(0, 2**32 - 1), default=0, help="the data seed the model was trained with")
    p.add_argument("--split", default="test", choices=("val", "test"), help="held-out sentences to score")
    p.add_argument("--n", type=Int(2), default=500, help="sentences to evaluate")
    p.add_argument("--k", type=Int(1), default=100, help="importance samples per sentence")
    p.add_argument("--json", type=OutFile, default=None, help="also write the numbers to this file")
    args = p.parse_args(argv)
    model, tok, ck = _load(args)
    try:
        splits = load_splits(tok, corpus=args.corpus, n_stories=args.stories, seed=args.seed)
    except (OSError, ValueError) as e:
        raise UserError(str(e)) from None
    sents = splits[args.split].subset(args.n)
    r = evaluate(model, sents, k=args.k, log=lambda m: print(m, file=sys.stderr, flush=True))
    print(f"{args.model} (step {ck.step}, {model.num_params:,} params) on {r['sentences']} {args.split} "
          f"sentences ({r['tokens']} tokens)")
    print(f"IW-NLL {r['nll']:.3f} nats/sentence (k={r['k']}) | PPL {r['ppl']:.3f} | ELBO {r['elbo']:.3f} "
          f"(PPL {r['ppl_elbo']:.3f}) | KL {r['kl']:.3f} | MI {r['mi']:.3f} | AU {r['au']}/{r['n_latent']} | "
          f"recon acc {r['recon_acc']:.3f}")
    if args.json:
        from pystory.atomic import write_text_atomic
        write_text_atomic(args.json, json.dumps(r, indent=1) + "\n")
    return 0


def _load(args):
    try:
        return load_vae(args.model, args.backend, args.tokenizer)
    except (CheckpointError, OSError, ValueError) as e:
        raise UserError(str(e)) from None


# --- sample, reconstruct, interpolate ---------------------------------------------------------

def sample_main(argv):
    from pystory.philox import philox_normal
    p = _parser("sample", "Sentences decoded from codes drawn from the prior N(0, I).")
    _model_args(p)
    p.add_argument("--n", type=Int(1, 1000), default=5, help="how many sentences")
    p.add_argument("--seed", type=SEED, default=None, help="Philox seed (default: from the clock)")
    p.add_argument("--temperature", type=Float(0), default=0.0, help="0: greedy decoding of each code")
    p.add_argument("--max-len", type=Int(1, 256), default=48, help="tokens per sentence at most")
    args = p.parse_args(argv)
    model, tok, _ = _load(args)
    seed = args.seed if args.seed is not None else time.time_ns() % 2**32
    Z = model.cfg.n_latent
    z = philox_normal(seed, 0, args.n * Z).reshape(args.n, Z)
    out = model.greedy_or_sample(z, args.max_len, tok.eot_id, _picker(args.temperature, seed, args.n))
    if args.seed is None:
        print(f"(seed {seed})", file=sys.stderr)
    for ids in out:
        print(_text(tok, ids))
    return 0


def reconstruct_main(argv):
    from pystory.philox import philox_normal
    p = _parser("reconstruct", "Encode sentences, then decode them: from the posterior mean, and from samples.")
    _model_args(p)
    p.add_argument("sentences", nargs="+", metavar="SENTENCE")
    p.add_argument("--samples", type=Int(0, 20), default=2, help="codes drawn from q(z | x) per sentence")
    p.add_argument("--seed", type=SEED, default=0, help="Philox seed of the posterior samples")
    args = p.parse_args(argv)
    from pystory.data.sentences import MAX_LEN
    model, tok, _ = _load(args)
    mu, logvar = _posterior(model, tok, args.sentences)
    std = np.exp(0.5 * logvar)
    greedy = _picker(0, 0, len(args.sentences))
    for i, text in enumerate(args.sentences):
        print(f"input:  {text}")
        print(f"mean:   {_text(tok, model.greedy_or_sample(mu[i:i + 1], MAX_LEN, tok.eot_id, greedy)[0])}")
        Z = mu.shape[1]
        for s in range(args.samples):
            eps = philox_normal(args.seed, (i * 64 + s) * Z, Z)
            z = (mu[i] + std[i] * eps)[None]
            print(f"sample: {_text(tok, model.greedy_or_sample(z, MAX_LEN, tok.eot_id, greedy)[0])}")
    return 0


def homotopy(z0, z1, steps):
    """steps codes on the straight line from z0 to z1 (Bowman et al.'s homotopy), ends included."""
    a = np.linspace(0.0, 1.0, steps)[:, None]
    return (1 - a) * z0[None] + a * z1[None]


def interpolate_main(argv):
    from pystory.data.sentences import MAX_LEN
    p = _parser("interpolate", "Decode points on the line between the codes of two sentences.")
    _model_args(p)
    p.add_argument("first", metavar="SENTENCE1")
    p.add_argument("second", metavar="SENTENCE2")
    p.add_argument("--steps", type=Int(2, 50), default=7, help="points on the line, the ends included")
    args = p.parse_args(argv)
    model, tok, _ = _load(args)
    mu, _ = _posterior(model, tok, [args.first, args.second])
    zs = homotopy(mu[0], mu[1], args.steps)
    for a, ids in zip(np.linspace(0, 1, args.steps),
                      model.greedy_or_sample(zs, MAX_LEN, tok.eot_id, _picker(0, 0, args.steps))):
        print(f"{a:4.2f}  {_text(tok, ids)}")
    return 0


# --- dispatch --------------------------------------------------------------------------------

COMMANDS = {"train": train_main, "eval": eval_main, "sample": sample_main,
            "reconstruct": reconstruct_main, "interpolate": interpolate_main}


def main(argv):
    """python -m pystory vae SUBCOMMAND ...: each subcommand runs under cli_args.run (one-line errors)."""
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m pystory vae {train,eval,sample,reconstruct,interpolate} [options]\n\n"
              "  train        train the VAE (or --lm, a GRU language model)\n"
              "  eval         IW-NLL, perplexity, KL, MI, active units, reconstruction accuracy\n"
              "  sample       sentences from codes drawn from the prior\n"
              "  reconstruct  encode and decode sentences\n"
              "  interpolate  decode the line between two sentences' codes\n\n"
              "python -m pystory vae SUBCOMMAND --help lists its options and their defaults")
        return 0
    if argv[0] not in COMMANDS:
        print(f"vae: unknown command {argv[0]!r}; choose one of {', '.join(COMMANDS)} "
              f"(see python -m pystory vae --help)", file=sys.stderr)
        return 2
    return run(f"vae {argv[0]}", COMMANDS[argv[0]], argv[1:])
