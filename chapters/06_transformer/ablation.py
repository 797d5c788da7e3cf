"""Chapter 06 ablation: what buys a better story model — size, context length, data or training time?

    python chapters/06_transformer/ablation.py --corpus sw100k      (about an hour on one CPU core)
    python chapters/06_transformer/ablation.py --quick              (tiny runs on a tiny corpus: the pipeline)

Short runs from scratch, each the shipped model's recipe with one thing changed, all with the same
steps, learning-rate schedule and seed (table VARIANTS below):

    base         the shipped recipe: V 4096, C 128, L 6, NH 4, T 384, B 8, all training stories
    context256   T 256 instead of 384, B 12 instead of 8: the same tokens per step, shorter windows
    layers4      L 4 instead of 6
    layers8      L 8 instead of 6
    stories5k    the first 5,000 training stories instead of all (the same stories again and again)

Training time is the fourth factor; it is not a short run but the shipped model's own history
(section 6 of the README: the same model at 3,600, 9,000 and more steps).

Each run is `python -m pystory train ...` (the command is printed, so it can be run by hand) into
--runs/<name>/; a run whose checkpoint already holds --steps steps of the same config is reused.
Then every model writes --samples stories, sampled as the story command does, for pystory.quality.
Writes to build/figures/06_transformer/ (untracked; --refresh-figures writes the committed copies):

    ablation.png   validation loss against step, one curve a run
    ablation.md    parameters, tokens seen, final validation loss, check pass and consistency
"""
import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

from pystory.bench import add_output_args, markdown_table, output_dir, save_figure, write_text  # noqa: E402
from pystory.sample import STORY_TEMPERATURE, STORY_TOP_P  # noqa: E402

# name, what changed, config fields, batch size, training stories (None: all)
VARIANTS = [
    ("base", "the shipped recipe (L 6, T 384, B 8, all stories)", {"n_layer": 6, "block_size": 384}, 8, None),
    ("context256", "context T 256 (B 12: same tokens a step)", {"n_layer": 6, "block_size": 256}, 12, None),
    ("layers4", "L 4 instead of 6", {"n_layer": 4, "block_size": 384}, 8, None),
    ("layers8", "L 8 instead of 6", {"n_layer": 8, "block_size": 384}, 8, None),
    ("stories5k", "5,000 training stories instead of all", {"n_layer": 6, "block_size": 384}, 8, 5000),
]
TOKENIZER = os.path.join(ROOT, "pystory", "models", "story.bpe")
QUICK = {"n_embd": 32}            # --quick: the same variants, 32 channels, a byte tokenizer


def config_fields(args, fields):
    """The config fields a variant sets (with --quick's on top)."""
    return {**fields, **(QUICK if args.quick else {})}


def train_command(args, name, fields, batch, corpus):
    sets = config_fields(args, fields)
    return [sys.executable, "-m", "pystory", "train", "--backend", args.backend, "--corpus", corpus,
            "--tokenizer", args.tokenizer, "--config", "small",
            "--set", *[f"{k}={v}" for k, v in sets.items()],
            "--steps", str(args.steps), "--batch-size", str(batch), "--lr", "2e-3", "--warmup",
            str(min(200, args.steps // 4)), "--eval-every", str(max(1, args.steps // 6)),
            "--eval-batches", str(args.eval_batches), "--ckpt-every", "0", "--seed", "0",
            "--out", os.path.join(args.runs, name)]


def finished(path, steps, fields):
    """True when path is a checkpoint of `steps` steps whose config has `fields`."""
    from pystory.checkpoint import CheckpointError, load_checkpoint
    if not os.path.isfile(path):
        return False
    try:
        ck = load_checkpoint(path)
    except (CheckpointError, OSError):
        return False
    return ck.step == steps and all(getattr(ck.config, k, None) == v for k, v in fields.items())


def corpus_subset(args, n):
    """A corpus folder with the first n training stories and the same validation stories."""
    from pystory.data.corpus import read_corpus, write_corpus
    d = os.path.join(args.runs, f"corpus_{n}")
    if not os.path.isfile(os.path.join(d, "val.txt")):
        os.makedirs(d, exist_ok=True)
        write_corpus(os.path.join(d, "train.txt"), read_corpus(os.path.join(args.corpus, "train.txt"), limit=n))
        shutil.copyfile(os.path.join(args.corpus, "val.txt"), os.path.join(d, "val.txt"))
    return d


def shards(args, corpus, name):
    """Tokenize a corpus folder once into --runs/<name>/ (every run on it reads the same shards)."""
    d = os.path.join(args.runs, name)
    if not os.path.isfile(os.path.join(d, "val_000.bin")):
        run([sys.executable, "-m", "pystory", "data", "tokenize", "--tokenizer", args.tokenizer,
             "--corpus", corpus, "--out", d])
    return d


def run(cmd):
    print("$ python " + " ".join(cmd[1:]), flush=True)        # the command, to rerun by hand
    r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)    # its progress lines: thousands
    if r.returncode != 0:
        sys.exit(f"ablation: `{' '.join(cmd[1:4])} ...` failed (exit code {r.returncode})")


def quick_corpus(args):
    d = os.path.join(args.runs, "storyworld_quick")
    if not os.path.isfile(os.path.join(d, "val.txt")):
        run([sys.executable, "-m", "pystory", "data", "--stories", "400", "--seed", "0", "--out", d])
    return d


def measure(args, name, label, fields, batch):
    from pystory.gpt_cli import load_model
    from pystory.quality import quality_report, sample_stories
    model, tok, ck = load_model(os.path.join(args.runs, name, "model.ckpt"), args.backend)
    h = ck.train_state["history"]
    stories = sample_stories(model, tok, args.samples, seed=0, temperature=STORY_TEMPERATURE, top_p=STORY_TOP_P,
                             max_tokens=args.max_tokens)                # as the story command samples
    q = quality_report(stories)
    T = fields["block_size"]
    row = [name, label, f"{model.num_params:,}", f"{args.steps * batch * T / 1e6:.1f}M",
           f"{h['val_loss'][-1]:.3f}", f"{h['val_bpb'][-1]:.4f}", f"{q['check_pass']:.0%}",
           f"{q['consistency']:.0%}"]
    print("  " + " | ".join(row), flush=True)
    return row, (h["val_step"], h["val_loss"])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", default=os.path.join(ROOT, "data", "storyworld"),
                   help="a folder with train.txt and val.txt (the shipped model's: "
                        "`python -m pystory data --stories 100000 --seed 0 --out sw100k`)")
    p.add_argument("--runs", default=os.path.join(ROOT, "runs", "ablation"), help="where the runs go")
    p.add_argument("--steps", type=int, default=1200, help="steps of every run")
    p.add_argument("--samples", type=int, default=200, help="stories sampled from each model")
    p.add_argument("--eval-batches", type=int, default=20, help="validation batches at each evaluation")
    p.add_argument("--backend", default="c", choices=["numpy", "c"], help="who trains and samples")
    p.add_argument("--quick", action="store_true", help="32 channels, byte tokens, 6 steps, 2 samples")
    args = add_output_args(p).parse_args(argv)
    args.tokenizer, args.max_tokens = TOKENIZER, 1200
    if args.quick:
        args.tokenizer, args.steps, args.samples, args.eval_batches, args.max_tokens = "byte", 6, 2, 1, 60
        args.corpus = quick_corpus(args)
    for f in ("train.txt", "val.txt"):
        if not os.path.isfile(os.path.join(args.corpus, f)):
            sys.exit(f"ablation: no {f} in --corpus {args.corpus}; write one with "
                     "`python -m pystory data --stories 100000 --seed 0 --out sw100k`")
    rows, curves = [], {}
    for name, label, fields, batch, n_stories in VARIANTS:
        if finished(os.path.join(args.runs, name, "model.ckpt"), args.steps, config_fields(args, fields)):
            print(f"{name}: reusing {os.path.join(args.runs, name)}")
        else:
            if n_stories is None:
                corpus = shards(args, args.corpus, "data_all")
            else:
                corpus = shards(args, corpus_subset(args, n_stories), f"data_{n_stories}")
            shutil.rmtree(os.path.join(args.runs, name), ignore_errors=True)
            run(train_command(args, name, fields, batch, corpus))
        row, curves[name] = measure(args, name, label, fields, batch)
        rows.append(row)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    FIG = output_dir(HERE, args.refresh_figures)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, (steps, loss) in curves.items():
        ax.plot(steps, loss, "o-", ms=3, label=name)
    ax.set_xlabel("step")
    ax.set_ylabel("validation loss (nats per token)")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(f"one change at a time, {args.steps} steps from scratch")
    fig.tight_layout()
    save_figure(fig, os.path.join(FIG, "ablation.png"), dpi=120)
    plt.close(fig)
    headers = ["run", "what changed", "parameters", "tokens seen", "val loss (nats/token)", "val bits/byte",
               "check_story pass", "consistent"]
    write_text(os.path.join(FIG, "ablation.md"),
               f"{args.steps} steps each, seed 0, peak lr 2e-3; {args.samples} stories from each model, "
               f"sampled as the story command does (temperature {STORY_TEMPERATURE:g}, top-p {STORY_TOP_P:g}).\n\n"
               + markdown_table(headers, rows) + "\n")


if __name__ == "__main__":
    main()
