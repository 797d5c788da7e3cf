"""python -m pystory gan train | sample | eval | disc-train | rerank-eval — chapter 05 from the command line.

    python -m pystory gan train --steps 200 --out runs/gan          (the shipped story model vs a new CNN)
    python -m pystory gan sample --model runs/gan/gan.ckpt --seed 1
    python -m pystory gan eval --model runs/gan/gan.ckpt --out runs/gan/eval
    python -m pystory gan disc-train --out runs/disc --ship pystory/models/disc.ckpt
    python -m pystory gan rerank-eval --stories 200 --out runs/rerank
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys
import time

import pystory
from pystory.cli_args import Float, Int, Many, OutDir, OutFile, Parser, Path, UserError, run
from pystory.sample import STORY_TEMPERATURE, STORY_TOP_P

HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED_MODEL = os.path.join(HERE, "models", "story.ckpt")
COMMANDS = ("train", "sample", "eval", "disc-train", "rerank-eval")


# Arguments go through pystory/cli_args.py (one-line errors, exit code 2, defaults in --help); each
# subcommand runs under cli_args.run, so a bad file found later is one line too.
SEED = Int(0, 2**63 - 1)          # seeds of rows i = seed + i must stay below Philox's 2^64
CORPUS = Path("any", hint="`make data` writes data/storyworld")


def backend_of(name):
    return pystory.backend(name)        # BackendUnavailable: one line from cli_args.run


def corpus_splits(corpus, limit=None):
    """(train stories, held-out stories) of a folder with train.txt and val.txt, or of one
    TinyStories-format file (its last 10% held out)."""
    from pystory.data.corpus import read_corpus
    if os.path.isdir(corpus):
        paths = [os.path.join(corpus, f"{s}.txt") for s in ("train", "val")]
        missing = [p for p in paths if not os.path.isfile(p)]
        if missing:
            raise FileNotFoundError(f"--corpus {corpus}: needs train.txt and val.txt (missing {missing}); "
                                    f"`make data` writes data/storyworld")
        return read_corpus(paths[0], limit), read_corpus(paths[1], limit)
    if not os.path.isfile(corpus):
        raise FileNotFoundError(f"--corpus {corpus}: no such file or folder (`make data` writes data/storyworld)")
    stories = read_corpus(corpus, limit)
    n_val = max(1, len(stories) // 10)
    if len(stories) < 2:
        raise ValueError(f"--corpus {corpus}: needs at least 2 stories, has {len(stories)}")
    return stories[:-n_val], stories[-n_val:]


# --- train ---------------------------------------------------------------------------------------

def train_parser():
    from pystory.gan import LOSSES, SCHEDULES, GANTrainConfig
    d = GANTrainConfig()
    p = Parser(prog="python -m pystory gan train",
               description="Adversarial training of the story model (generator) against a text CNN.")
    p.add_argument("--init", default=SHIPPED_MODEL, type=Path("file"),
                   help="the MLE-trained story model the generator starts from")
    p.add_argument("--corpus", default="data/storyworld", type=CORPUS,
                   help="real stories: a folder with train.txt and val.txt")
    p.add_argument("--max-stories", type=Int(1), default=20000, help="read at most this many real stories")
    p.add_argument("--backend", default="c", choices=pystory.BACKENDS, help="who runs the ops")
    p.add_argument("--steps", type=Int(1), default=d.steps, help="generator updates")
    p.add_argument("--batch-size", type=Int(1, 4096), default=d.batch_size,
                   help="openings per batch (real and generated)")
    p.add_argument("--seq-len", type=Int(2, 4096), default=d.seq_len, help="tokens per generated opening")
    p.add_argument("--loss", choices=LOSSES, default=d.loss, help="the adversarial loss")
    p.add_argument("--schedule", choices=SCHEDULES, default=d.schedule, help="inverse temperature schedule")
    p.add_argument("--beta-max", type=Float(1.0, 1e6), default=d.beta_max, help="the largest 1/tau")
    p.add_argument("--g-lr", type=Float(0, 1, lo_open=True), default=d.g_lr,
                   help="the generator's learning rate (AdamW)")
    p.add_argument("--d-lr", type=Float(0, 1, lo_open=True), default=d.d_lr,
                   help="the discriminator's learning rate (AdamW)")
    p.add_argument("--d-steps", type=Int(1, 100), default=d.d_steps,
                   help="discriminator updates per generator update")
    p.add_argument("--mle-weight", type=Float(0, 1e3), default=d.mle_weight,
                   help="add this times the cross-entropy on real text to the generator's loss")
    p.add_argument("--unroll", type=Int(0, 4096), default=d.unroll,
                   help="extra backward passes through the soft-token feedback (seq-len - 1: exact)")
    p.add_argument("--grad-clip", type=Float(0, 1e6, lo_open=True), default=d.grad_clip,
                   help="clip each network's gradient norm to this")
    p.add_argument("--d-embd", type=Int(1, 4096), default=32, help="the discriminator's embedding size")
    p.add_argument("--d-filters", type=Int(1, 4096), default=32,
                   help="the discriminator's filters per width (2 to 5)")
    p.add_argument("--eval-every", type=Int(0), default=d.eval_every,
                   help="steps between Self-BLEU and BLEU checks of hard samples (0: off)")
    p.add_argument("--eval-samples", type=Int(2, 100000), default=d.eval_samples, help="samples per check")
    p.add_argument("--ckpt-every", type=Int(0), default=d.ckpt_every,
                   help="steps between checkpoints (0: only at the end)")
    p.add_argument("--seed", type=SEED, default=0, help="Philox seed of the noise and the new discriminator")
    p.add_argument("--out", default="runs/gan", type=OutDir, help="folder for gan.ckpt, generator.ckpt, curves.png")
    p.add_argument("--resume", action="store_true", help="continue from OUT/gan.ckpt exactly")
    return p


def train_main(argv):
    return run("gan train", _train_main, argv)


def _train_main(argv):
    from pystory.checkpoint import place_tokenizer, save_checkpoint, tokenizer_file_of
    from pystory.disc import DiscConfig
    from pystory.gan import GAN, GANTrainConfig, GANTrainer, TrainingDiverged, plot_curves, story_openings
    args = train_parser().parse_args(argv)
    be = backend_of(args.backend)
    tc = GANTrainConfig(steps=args.steps, batch_size=args.batch_size, seq_len=args.seq_len, loss=args.loss,
                        schedule=args.schedule, beta_max=args.beta_max, g_lr=args.g_lr, d_lr=args.d_lr,
                        d_steps=args.d_steps, mle_weight=args.mle_weight, unroll=args.unroll,
                        grad_clip=args.grad_clip, eval_every=args.eval_every, eval_samples=args.eval_samples,
                        ckpt_every=args.ckpt_every, seed=args.seed, out_dir=args.out)
    from pystory.checkpoint import load_checkpoint
    init_ck = load_checkpoint(args.init)
    vocab = init_ck.config.vocab_size
    gan, tok = GAN.from_story_model(args.init, be, DiscConfig(vocab, args.d_embd, args.d_filters), args.seed)
    train, held = corpus_splits(args.corpus, args.max_stories)
    real = story_openings(tok, train, tc.seq_len)
    refs = [tok.decode(r).decode("utf-8", "replace") for r in story_openings(tok, held, tc.seq_len)]
    os.makedirs(args.out, exist_ok=True)
    tok_name = place_tokenizer(tokenizer_file_of(init_ck), args.out)
    trainer = GANTrainer(gan, real, tc, tokenizer=tok_name, refs=refs, tok=tok,
                         log=lambda m: print(m, flush=True))
    if args.resume:
        ck = trainer.resume(trainer.ckpt_path)
        print(f"resumed from {trainer.ckpt_path} at step {ck.step}")
    print(f"generator: {gan.G.num_params:,} parameters {gan.G.cfg}; discriminator: {gan.D.num_params:,} "
          f"parameters {gan.D.cfg}; {real.shape[0]:,} real openings of {tc.seq_len} tokens; backend {be.name}",
          flush=True)
    t0 = time.perf_counter()
    try:
        trainer.run()
    except TrainingDiverged as e:
        print(str(e), file=sys.stderr)
        return 1
    finally:
        if trainer.history["step"]:
            print(f"curves: {plot_curves(trainer.history, os.path.join(args.out, 'curves.png'), curves_title(tc))}")
    gen_path = os.path.join(args.out, "generator.ckpt")
    save_checkpoint(gen_path, gan.G, step=trainer.step, tokenizer=tok_name, optimizer=False,
                    train_state={"gan_config": dataclasses.asdict(tc), "init": os.path.basename(args.init)})
    print(f"trained {trainer.step} steps in {time.perf_counter() - t0:.0f} s; checkpoint {trainer.ckpt_path}; "
          f"the generator alone: {gen_path} (python -m pystory story --model {gen_path})")
    return 0


def curves_title(tc):
    return (f"gan train: {tc.loss} loss, tau 1 -> 1/{tc.beta_max:g} ({tc.schedule}), G lr {tc.g_lr:g}, "
            f"D lr {tc.d_lr:g} x {tc.d_steps}, MLE weight {tc.mle_weight:g}, unroll {tc.unroll}, "
            f"B {tc.batch_size}, T {tc.seq_len}")


# --- sample --------------------------------------------------------------------------------------

def load_generator(path, backend):
    """(GPT, tokenizer) from a GAN checkpoint (its generator) or a GPT checkpoint."""
    from pystory.checkpoint import load_checkpoint, load_tokenizer_of
    from pystory.gpt import GPT
    ck = load_checkpoint(path, kinds=("gan", "float"))
    if ck.kind == "gan":                          # the generator is the first part of the buffer
        cfg = ck.config.gen()
        params = ck.params[:pystory.gpt.num_params(cfg)]
    else:
        cfg, params = ck.config, ck.params
    tok = load_tokenizer_of(ck)
    G = GPT(cfg, pystory.backend(backend))
    G.load_params(params)
    return G, tok


def sample_main(argv):
    return run("gan sample", _sample_main, argv)


def _sample_main(argv):
    p = Parser(prog="python -m pystory gan sample", description="A story from the GAN's generator.")
    p.add_argument("--model", default="runs/gan/gan.ckpt", type=Path("file"),
                   help="a GAN checkpoint (or any GPT checkpoint)")
    p.add_argument("--backend", default="c", choices=pystory.BACKENDS, help="who runs the ops")
    p.add_argument("--prompt", default="", help="the story's beginning")
    p.add_argument("--seed", type=SEED, default=0, help="Philox seed of the sampler")
    p.add_argument("--temperature", type=Float(0, 100), default=1.0, help="0 = greedy")
    p.add_argument("--max-tokens", type=Int(1, 10**6), default=400, help="stop after this many new tokens")
    args = p.parse_args(argv)
    from pystory.sample import Sampler, generate
    be = backend_of(args.backend)
    G, tok = load_generator(args.model, be.name)
    ids = list(generate(G, tok.encode(args.prompt) if args.prompt else [], args.max_tokens,
                        Sampler(args.temperature, seed=args.seed), eot_id=tok.eot_id))
    print(args.prompt + tok.decode(ids).decode("utf-8", "replace"))
    return 0


# --- eval: the quality-diversity curve -----------------------------------------------------------

def eval_main(argv):
    return run("gan eval", _eval_main, argv)


def labelled_models(specs):
    """[[label, file], ...] from --model values FILE or LABEL=FILE; each file must exist."""
    labelled = [m.split("=", 1) if "=" in m else ["GAN" if len(specs) == 1 else m, m] for m in specs]
    for label, path in labelled:
        if not label:
            raise UserError(f"argument --model: ={path}: the label before '=' is empty")
        if not os.path.isfile(path):
            raise UserError(f"argument --model: no such file: {path}")
    return labelled


def _eval_main(argv):
    p = Parser(prog="python -m pystory gan eval",
               description="BLEU-2..4 against held-out openings and Self-BLEU-4, for the MLE model and the GAN "
                           "at several temperatures (the quality-diversity curve).")
    p.add_argument("--model", nargs="+", default=["runs/gan/gan.ckpt"], metavar="[LABEL=]FILE",
                   help="GAN checkpoints, each optionally labelled (GAN+MLE=runs/gan2/gan.ckpt)")
    p.add_argument("--mle", default=SHIPPED_MODEL, type=Path("file"),
                   help="the MLE model to compare (the GAN's starting point)")
    p.add_argument("--corpus", default="data/storyworld", type=CORPUS,
                   help="held-out stories: val.txt of this folder")
    p.add_argument("--backend", default="c", choices=pystory.BACKENDS, help="who runs the ops")
    p.add_argument("--samples", type=Int(2, 10**6), default=200, help="samples per model and temperature")
    p.add_argument("--refs", type=Int(1, 10**7), default=2000, help="held-out references")
    p.add_argument("--seq-len", type=Int(2, 4096), default=None, help="tokens per opening (default: the GAN's)")
    p.add_argument("--temperatures", type=Many(Float(0, 100, lo_open=True)), default=[0.6, 0.8, 1.0, 1.2, 1.4],
                   help="sampling temperatures, separated by commas")
    p.add_argument("--seed", type=SEED, default=123,
                   help="Philox seed of the first sample of each model and temperature")
    p.add_argument("--out", default="runs/gan/eval", type=OutDir,
                   help="folder for results.json and quality_diversity.png")
    args = p.parse_args(argv)
    from pystory import metrics
    from pystory.checkpoint import load_checkpoint
    from pystory.gan import plot_quality_diversity, sample_openings, story_openings
    be = backend_of(args.backend)
    labelled = labelled_models(args.model)
    ck = load_checkpoint(labelled[0][1], kinds=("gan",))
    T = args.seq_len or ck.train_state.get("gan_config", {}).get("seq_len", 48)
    if not isinstance(T, int) or isinstance(T, bool) or not 2 <= T <= 4096:
        raise UserError(f"{labelled[0][1]}: its gan_config has no usable seq_len; give --seq-len")
    gens = [(label, load_generator(path, be.name)[0]) for label, path in labelled]
    from pystory.gpt_cli import load_model
    M, tok, _ = load_model(args.mle, be.name)
    for label, G in gens:
        if G.cfg.vocab_size != M.cfg.vocab_size:
            raise UserError(f"{label} writes {G.cfg.vocab_size} token ids, the MLE model {M.cfg.vocab_size}: "
                            f"compare models of one tokenizer")
    _, held = corpus_splits(args.corpus, None)
    refs = [tok.decode(r).decode("utf-8", "replace") for r in story_openings(tok, held[:args.refs], T)]
    rows = []
    print("| model | temperature | BLEU-2 | BLEU-3 | BLEU-4 | Self-BLEU-4 | distinct-2 | NLL (MLE model) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, model in [("MLE", M)] + gens:
        for temp in args.temperatures:
            texts = sample_openings(model, tok, args.samples, T, seed=args.seed, temperature=temp)
            r = dict(model=name, temperature=temp,
                     bleu2=metrics.bleu(texts, refs, 2), bleu3=metrics.bleu(texts, refs, 3),
                     bleu4=metrics.bleu(texts, refs, 4), self_bleu4=metrics.self_bleu(texts, 4),
                     distinct2=metrics.distinct_n(texts, 2), nll=metrics.nll(M, tok, texts, T))
            rows.append(r)
            print(f"| {name} | {temp:g} | {r['bleu2']:.3f} | {r['bleu3']:.3f} | {r['bleu4']:.3f} | "
                  f"{r['self_bleu4']:.3f} | {r['distinct2']:.3f} | {r['nll']:.3f} |", flush=True)
    refs_self = metrics.self_bleu(refs[:args.samples], 4)
    os.makedirs(args.out, exist_ok=True)
    from pystory.atomic import write_text_atomic
    from pystory.bench import machine
    inside = os.path.abspath(args.mle).startswith(os.getcwd() + os.sep)      # no local paths in shared results
    meta = dict(model=args.model, mle=os.path.relpath(args.mle) if inside else args.mle, samples=args.samples,
                refs=len(refs), seq_len=T,
                seed=args.seed, machine=machine(), refs_self_bleu4=refs_self)
    write_text_atomic(os.path.join(args.out, "results.json"), json.dumps(dict(meta=meta, rows=rows), indent=1))
    print(f"held-out openings themselves: Self-BLEU-4 {refs_self:.3f} (of {min(args.samples, len(refs))})")
    print(f"plot: {plot_quality_diversity(rows, os.path.join(args.out, 'quality_diversity.png'), refs_self)}")
    return 0


# --- the reranking discriminator --------------------------------------------------------------

def disc_train_main(argv):
    return run("gan disc-train", _disc_train_main, argv)


def _disc_train_main(argv):
    from pystory.rerank import DiscTrainConfig
    d = DiscTrainConfig()
    p = Parser(prog="python -m pystory gan disc-train",
               description="Train the reranking discriminator: real stories against the story model's samples.")
    p.add_argument("--model", default=SHIPPED_MODEL, type=Path("file"),
                   help="the story model whose samples are the fakes")
    p.add_argument("--corpus", default="data/storyworld", type=CORPUS,
                   help="real stories: a folder with train.txt and val.txt")
    p.add_argument("--backend", default="c", choices=pystory.BACKENDS, help="who runs the ops")
    p.add_argument("--samples", type=Int(4, 10**6), default=d.samples,
                   help="model samples (and as many real stories)")
    p.add_argument("--temperature", type=Float(0, 100, lo_open=True), default=d.temperature,
                   help="the sampling temperature of the fakes (the story command's default)")
    p.add_argument("--top-p", type=Float(0, 1, lo_open=True), default=d.top_p,
                   help="nucleus sampling of the fakes (the story command's default; 1: off)")
    p.add_argument("--length", type=Int(8, 4096), default=d.length, help="tokens the discriminator reads")
    p.add_argument("--steps", type=Int(1, 10**7), default=d.steps, help="training steps")
    p.add_argument("--batch-size", type=Int(2, 4096), default=d.batch_size,
                   help="stories per step, half real and half generated")
    p.add_argument("--lr", type=Float(0, 1, lo_open=True), default=d.lr, help="learning rate (AdamW)")
    p.add_argument("--d-embd", type=Int(1, 4096), default=d.d_embd, help="embedding size")
    p.add_argument("--d-filters", type=Int(1, 4096), default=d.d_filters, help="filters per width (2 to 5)")
    p.add_argument("--seed", type=SEED, default=d.seed,
                   help="seed of the samples (sample i: seed + i) and of the weights")
    p.add_argument("--out", default="runs/disc", type=OutDir, help="folder for disc.ckpt and samples.txt")
    p.add_argument("--resume", action="store_true", help="continue from OUT/disc.ckpt exactly")
    p.add_argument("--ship", default=None, metavar="FILE", type=OutFile,
                   help="at the end, write a float16 copy (for shipping)")
    args = p.parse_args(argv)
    from pystory.rerank import DiscTrainer
    be = backend_of(args.backend)
    dc = DiscTrainConfig(samples=args.samples, temperature=args.temperature, top_p=args.top_p, length=args.length,
                         steps=args.steps,
                         batch_size=args.batch_size, lr=args.lr, d_embd=args.d_embd, d_filters=args.d_filters,
                         seed=args.seed, out_dir=args.out)
    trainer = DiscTrainer.prepare(args.model, args.corpus, be, dc, log=lambda m: print(m, flush=True))
    if args.resume:
        ck = trainer.resume(trainer.ckpt_path)
        print(f"resumed from {trainer.ckpt_path} at step {ck.step}")
    trainer.run()
    if args.ship:
        trainer.ship(args.ship)
        print(f"shipped float16 discriminator: {args.ship}")
    return 0


def rerank_eval_main(argv):
    return run("gan rerank-eval", _rerank_eval_main, argv)


def _rerank_eval_main(argv):
    p = Parser(prog="python -m pystory gan rerank-eval",
               description="check_story pass rate, distinct-2 and BLEU with and without reranking, and its cost.")
    p.add_argument("--model", default=SHIPPED_MODEL, type=Path("file"), help="the story model")
    p.add_argument("--disc", default=None, type=Path("file"),
                   help="the discriminator (default: the shipped one, pystory/models/disc.ckpt)")
    p.add_argument("--corpus", default="data/storyworld", type=CORPUS,
                   help="held-out stories for BLEU: val.txt of this folder")
    p.add_argument("--backend", default="c", choices=pystory.BACKENDS, help="who runs the ops")
    p.add_argument("--stories", type=Int(1, 10**6), default=200, help="stories per K")
    p.add_argument("--K", type=Many(Int(1, 256)), default=[1, 4, 16], help="candidates per story, e.g. 1,4,16")
    p.add_argument("--refs", type=Int(1, 10**7), default=1000, help="held-out references for BLEU")
    p.add_argument("--temperature", type=Float(0, 100, lo_open=True), default=STORY_TEMPERATURE,
                   help="the sampling temperature (the story command's default)")
    p.add_argument("--top-p", type=Float(0, 1, lo_open=True), default=STORY_TOP_P,
                   help="nucleus sampling (the story command's default; 1: off)")
    p.add_argument("--max-tokens", type=Int(1, 10**6), default=1000,
                   help="stop each story after this many new tokens")
    p.add_argument("--timing-stories", type=Int(1, 10**6), default=10, help="stories timed per K")
    p.add_argument("--seed", type=SEED, default=5000, help="Philox seed (story j's candidates: seed + 1000 j + i)")
    p.add_argument("--out", default="runs/rerank", type=OutDir, help="folder for rerank.md and rerank.json")
    args = p.parse_args(argv)
    from pystory.rerank import SHIPPED_DISC, evaluate_reranking
    be = backend_of(args.backend)
    rows = evaluate_reranking(args.model, args.disc or SHIPPED_DISC, args.corpus, be.name, args.stories,
                              args.K, args.refs, args.temperature, args.max_tokens, args.timing_stories,
                              args.seed, args.out, log=lambda m: print(m, flush=True), top_p=args.top_p)
    return 0 if rows else 1


def main(argv):
    argv = list(argv)
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    if not argv:
        print(f"gan: give a subcommand, one of {', '.join(COMMANDS)} (see python -m pystory gan --help)",
              file=sys.stderr)
        return 2
    cmd, rest = argv[0], argv[1:]
    fns = {"train": train_main, "sample": sample_main, "eval": eval_main, "disc-train": disc_train_main,
           "rerank-eval": rerank_eval_main}
    if cmd not in fns:
        print(f"gan: unknown subcommand {cmd!r}; choose one of {', '.join(COMMANDS)} "
              f"(see python -m pystory gan --help)", file=sys.stderr)
        return 2
    return fns[cmd](rest)                  # each runs under cli_args.run: one-line errors, Ctrl-C 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
