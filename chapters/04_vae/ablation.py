"""Chapter 04's central table: posterior collapse shown and cured, row by row, beside a GRU language model.

    python chapters/04_vae/ablation.py                    (trains every row: hours on a 2-core CPU)
    python chapters/04_vae/ablation.py --jobs 2           (two rows at a time, one thread each)
    python chapters/04_vae/ablation.py --table-only       (re-read finished runs, rewrite the table)
    python chapters/04_vae/ablation.py --refresh-figures  (write the committed table and curves)

Every row is `python -m pystory vae train` with the options below (the same
model size, data and steps; the rows are cumulative), then `python -m pystory
vae eval` on the same 500 test sentences with k = 100 importance samples.
Runs go to runs/vae_ablation/<row>/; a finished run is not trained again. The
table and the training curves are written to build/figures/04_vae/ (untracked)
unless --refresh-figures asks for chapters/04_vae/figures/.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

from pystory.atomic import write_text_atomic  # noqa: E402
from pystory.bench import add_output_args, output_dir, save_figure  # noqa: E402

STEPS = 3000
ANNEAL = ["--kl-schedule", "linear", "--kl-warmup", "1000"]
WDROP = ANNEAL + ["--word-dropout", "0.2"]
FBITS = WDROP + ["--free-bits", "0.15"]

# (name, what the table says, train options); the rows of the table, cumulative from "vanilla"
ROWS = [
    ("lm", "GRU language model (the VAE's decoder, no z)", ["--lm"]),
    ("vanilla", "VAE, vanilla (beta = 1 from step 1)", []),
    ("anneal", "+ KL annealing (linear, 1,000 steps)", ANNEAL),
    ("wdrop", "+ word dropout (p = 0.2)", WDROP),
    ("fbits", "+ free bits (0.15 nats per dimension)", FBITS),
    ("ae", "+ AE pre-training (1,000 steps) + decoder reset", FBITS + ["--ae-steps", "1000"]),
]
# the other two schedules, for the curves (each alone, like the "+ KL annealing" row)
SCHEDULE_ROWS = [
    ("sigmoid", "KL annealing, sigmoid (width 1,000 steps)", ["--kl-schedule", "sigmoid", "--kl-warmup", "1000"]),
    ("cyclical", "KL annealing, cyclical (M = 4, R = 0.5)",
     ["--kl-schedule", "cyclical", "--kl-cycles", "4", "--kl-ratio", "0.5"]),
]
# one more: the full recipe without word dropout (Li et al. 2019's own recipe: annealing, free bits, AE + reset)
VARIANT_ROWS = [
    ("ae_nowd", "AE pre-training + reset, annealing, free bits; no word dropout",
     ANNEAL + ["--free-bits", "0.15", "--ae-steps", "1000"]),
]
EVAL = ["--n", "500", "--k", "100"]
# the order rows are trained in: the baseline, the collapse, then the full recipe (the shipped model) first
ORDER = ["lm", "vanilla", "ae", "fbits", "wdrop", "anneal", "sigmoid", "cyclical", "ae_nowd"]


def steps_of(opts):
    # the AE row pre-trains first, then gets the same number of VAE steps as the others
    return STEPS + (int(opts[opts.index("--ae-steps") + 1]) if "--ae-steps" in opts else 0)


def train_command(name, opts, out):
    return [sys.executable, "-m", "pystory", "vae", "train", *opts, "--steps", str(steps_of(opts)),
            "--out", out, "--eval-every", "500", "--ckpt-every", "500"]


def run_row(name, opts, base, threads):
    """Train (or resume) and evaluate one row; returns its eval JSON path."""
    out = os.path.join(base, name)
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), PYTHONPATH=ROOT)
    result = os.path.join(out, "eval.json")
    if os.path.exists(result):
        return result
    log = open(os.path.join(out, "train.log"), "a")
    cmd = train_command(name, opts, out)
    if os.path.exists(os.path.join(out, "model.ckpt")):
        cmd.append("--resume")
    t0 = time.time()
    r = subprocess.run(["nice", "-n", "10"] + cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    if r.returncode:
        raise SystemExit(f"ablation: row {name} failed (see {out}/train.log)")
    r = subprocess.run(["nice", "-n", "10", sys.executable, "-m", "pystory", "vae", "eval", "--model",
                        os.path.join(out, "model.ckpt"), *EVAL, "--json", result],
                       env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    if r.returncode:
        raise SystemExit(f"ablation: evaluating row {name} failed (see {out}/train.log)")
    write_text_atomic(os.path.join(out, "time.txt"), f"{time.time() - t0:.0f}\n")
    print(f"ablation: {name} done in {time.time() - t0:.0f} s", flush=True)
    return result


def collect(base, rows):
    """{name: (eval numbers, training history)} of the finished rows."""
    from pystory.checkpoint import load_checkpoint
    out = {}
    for name, _, _ in rows:
        path = os.path.join(base, name, "eval.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            r = json.load(f)
        ck = load_checkpoint(os.path.join(base, name, "model.ckpt"), kinds=("vae",))
        out[name] = (r, ck.train_state.get("history", {}))
    return out


def table(results, rows):
    from pystory.bench import markdown_table
    lm = results.get("lm", ({},))[0]
    out = []
    for name, label, _ in rows:
        if name not in results:
            out.append([label] + ["not run"] * 8)
            continue
        r = results[name][0]
        vs = f"{r['ppl'] / lm['ppl'] - 1:+.1%}" if lm and name != "lm" else "-"
        au = f"{r['au']}/{r['n_latent']}" if r["n_latent"] else "-"
        out.append([label, f"{r['nll']:.2f}", f"{r['ppl']:.3f}", vs, f"{r['ppl_elbo']:.3f}", f"{r['kl']:.2f}",
                    f"{r['mi']:.2f}", au, f"{r['recon_acc']:.1%}"])
    return markdown_table(["row", "IW-NLL (nats/sent.)", "PPL", "PPL vs LM", "ELBO PPL", "KL", "MI", "AU",
                           "recon acc"], out)


def curves(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for name, label in (("vanilla", "none (vanilla)"), ("anneal", "linear"), ("sigmoid", "sigmoid"),
                        ("cyclical", "cyclical")):
        if name not in results:
            continue
        h = results[name][1]
        axes[0].plot(h["step"], h["beta"], label=label)
        axes[1].plot(h["step"], h["kl"], label=label)
        axes[2].plot(h["step"], h["rec"], label=label)
    for ax, title in zip(axes, ("KL weight beta", "KL (nats / sentence)", "reconstruction (nats / sentence)")):
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    axes[1].set_yscale("symlog", linthresh=1)
    axes[2].set_ylim(top=80)
    axes[0].legend(fontsize=8)
    fig.suptitle("training curves of the VAE under each KL schedule (one point = mean of 50 steps)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=1, help="rows trained at once (each on 2 // jobs threads)")
    ap.add_argument("--table-only", action="store_true", help="only collect finished runs")
    ap.add_argument("--rows", nargs="*", default=None, help="only these rows (names)")
    add_output_args(ap)
    ap.add_argument("--base", default=os.path.join(ROOT, "runs", "vae_ablation"))
    args = ap.parse_args(argv)
    from pystory.bench import machine
    all_rows = ROWS + SCHEDULE_ROWS + VARIANT_ROWS
    todo = sorted((r for r in all_rows if args.rows is None or r[0] in args.rows), key=lambda r: ORDER.index(r[0]))
    if not args.table_only:
        from concurrent.futures import ThreadPoolExecutor
        threads = max(1, 2 // args.jobs)
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for f in [pool.submit(run_row, name, opts, args.base, threads) for name, _, opts in todo]:
                f.result()
    results = collect(args.base, all_rows)
    figs = output_dir(HERE, args.refresh_figures)
    main_table, schedule_table = table(results, ROWS), table(results, [ROWS[1], ROWS[2]] + SCHEDULE_ROWS)
    variant_table = table(results, [ROWS[0], ROWS[-1]] + VARIANT_ROWS)
    times = {n: open(os.path.join(args.base, n, "time.txt")).read().strip()
             for n, _, _ in all_rows if os.path.exists(os.path.join(args.base, n, "time.txt"))}
    # the date the rows were evaluated (their eval.json), not today's: --table-only may run days later
    import datetime
    days = sorted({datetime.date.fromtimestamp(os.path.getmtime(os.path.join(args.base, n, "eval.json"))).isoformat()
                   for n in results})
    where = machine().rsplit(";", 1)[0] + f"; rows evaluated {', '.join(days) or 'never'}"
    text = (f"`python chapters/04_vae/ablation.py` — {STEPS} steps of B = 64 sentences per row (the AE row: "
            f"1,000 more before), model `small` (E 64, H 192, Z 32), vae.bpe (V 2,048), storyworld 6,000 stories; "
            f"500 test sentences, k = 100; {where}\n\n{main_table}\n\nSchedules (each alone):\n\n"
            f"{schedule_table}\n\nThe full recipe with and without word dropout:\n\n{variant_table}\n\nwall seconds per row (train + eval, shared machine): {times}\n")
    write_text_atomic(os.path.join(figs, "ablation.md"), text)
    write_text_atomic(os.path.join(figs, "ablation.json"),
                      json.dumps({n: {"eval": r, "history": h} for n, (r, h) in results.items()}) + "\n")
    curves(results, os.path.join(figs, "kl_schedules.png"))
    print(text)
    print(f"written to {os.path.relpath(figs, ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
