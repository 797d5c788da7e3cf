"""Chapter 03 demo: attention made visible, the online softmax step by step, naive vs flash.

    python chapters/03_attention/demo.py [--quick] [--refresh-figures]

1. Two attention heads with HAND-SET weights (no training yet: the trained
   model comes in chapter 06) look at a story sentence. Head 0 attends to the
   copies of the same word so far, itself included; head 1 attends to the
   previous token.
   Their (T, T) probability matrices are drawn as heat maps.
2. The online softmax walks along one row of scores, tile by tile, printing
   the running max, the running sum and the rescaling factor; it ends at the
   same numbers as the ordinary softmax.
3. naive vs flash on the C backend for growing T: time, and peak memory
   measured with tracemalloc (NumPy reports its allocations to it, so the
   peak counts every array the call allocates: att, datt, dqkv, lse, ...).
   Both are plotted against T.

Figures go to build/figures/03_attention/ (untracked); --refresh-figures
writes the committed ones in figures/.
"""
import argparse
import os
import time
import tracemalloc

import numpy as np

import pystory
from pystory import attention as npattn
from pystory.bench import add_output_args, figure_path, save_figure

HERE = os.path.dirname(os.path.abspath(__file__))
SENTENCE = ("once upon a time a little cat saw a big dog . the cat ran to the dog and the dog "
            "said hello to the little cat .")


def hand_set_heads(words, hs=32, sharp=6.0, seed=0):
    """qkv (1, T, 3C) for 2 heads of size hs, built by hand.

    head 0, "same word": q_t = k_t = e(word_t), a random unit vector per
        distinct word, so q_t . k_s is ~1 when the words match, ~0 otherwise.
    head 1, "previous token": k_s = f(s), q_t = f(t - 1), random unit vectors
        per position, so the score peaks at s = t - 1.
    `sharp` multiplies the queries: larger means a more peaked softmax.
    The values are a one-hot of the position, so out_t shows where it looked.
    """
    rng = np.random.default_rng(seed)
    T, C = len(words), 2 * hs
    vocab = sorted(set(words))
    e = {w: v / np.linalg.norm(v) for w, v in zip(vocab, rng.standard_normal((len(vocab), hs)))}
    f = rng.standard_normal((T + 1, hs))
    f /= np.linalg.norm(f, axis=1, keepdims=True)
    scale = np.sqrt(hs)  # undo the 1/sqrt(hs) of the attention so `sharp` is the logit size
    qkv = np.zeros((1, T, 3 * C), np.float32)
    for t, w in enumerate(words):
        qkv[0, t, 0:hs] = sharp * scale * e[w]                 # q, head 0
        qkv[0, t, C:C + hs] = e[w]                             # k, head 0
        qkv[0, t, hs:2 * hs] = sharp * scale * f[t - 1 if t else T]  # q, head 1 (token 0: nothing before)
        qkv[0, t, C + hs:2 * C] = f[t]                         # k, head 1
        qkv[0, t, 2 * C + t % hs] = 1.0                        # v, head 0
    return qkv


def heat_maps(path):
    words = SENTENCE.split()
    qkv = hand_set_heads(words)
    out, (_, _, att) = npattn.attention_forward_naive(qkv, 2)
    print("1. Hand-set heads on a story sentence (no training)")
    print(f"   {len(words)} tokens; head 0 attends to every copy of the same word so far (itself included), head 1 to the previous token")
    for t in (14, 19, 25):
        top = np.argsort(att[0, 0, t])[::-1][:3]
        print(f"   head 0, token {t:2d} {words[t]!r:8}: weights "
              + ", ".join(f"{words[s]!r}@{s} {att[0, 0, t, s]:.2f}" for s in top))
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(14, 6.5))
    for h, title in enumerate(["head 0: same word", "head 1: previous token"]):
        ax = axes[h]
        ax.imshow(att[0, h], cmap="viridis", vmin=0, vmax=1)
        ax.set_xticks(range(len(words)))
        ax.set_yticks(range(len(words)))
        ax.set_xticklabels(words, rotation=90, fontsize=7)
        ax.set_yticklabels(words, fontsize=7)
        ax.set_xlabel("key (looked at)")
        ax.set_ylabel("query (looking)")
        ax.set_title(f"{title} (hand-set weights)")
    fig.suptitle("causal attention probabilities: each row sums to 1, nothing above the diagonal", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    plt.close(fig)


def online_softmax_walkthrough():
    print("\n2. The online softmax, one row in tiles of 3")
    s = np.array([0.5, 1.0, -2.0, 3.0, 0.0, 4.5, 1.5], np.float64)
    m, l = -np.inf, 0.0
    for j0 in range(0, len(s), 3):
        tile = s[j0:j0 + 3]
        m_new = max(m, tile.max())
        corr = np.exp(m - m_new)
        l = l * corr + np.exp(tile - m_new).sum()
        print(f"   tile {tile}: max {m:>5} -> {m_new:<4}  rescale old sum by exp({m} - {m_new}) = {corr:.4f}"
              f"  running sum {l:.4f}")
        m = m_new
    print(f"   softmax = exp(s - {m}) / {l:.4f}; lse = m + log(sum) = {m + np.log(l):.6f}")
    print(f"   ordinary: log(sum(exp(s))) = {np.log(np.exp(s).sum()):.6f}  (the same: one pass was enough)")


def scaling(path, Ts=(64, 128, 256, 512, 1024, 2048), B=1, NH=4, hs=64):
    try:
        c = pystory.backend("c")
    except pystory.BackendUnavailable as e:
        print(f"\n3. skipped: {e}")
        return
    print(f"\n3. naive vs flash on the C backend, forward + backward, B={B}, {NH} heads of {hs}")
    rows = []
    for T in Ts:
        qkv = np.random.default_rng(T).standard_normal((B, T, 3 * NH * hs)).astype(np.float32)
        dout = np.random.default_rng(T + 1).standard_normal((B, T, NH * hs)).astype(np.float32)
        res = [T]
        for version in ("naive", "flash"):
            fwd = getattr(c, f"attention_forward_{version}")
            bwd = getattr(c, f"attention_backward_{version}")
            bwd(dout, fwd(qkv, NH)[1])  # warm-up
            best = np.inf
            for _ in range(3):
                t0 = time.perf_counter()
                bwd(dout, fwd(qkv, NH)[1])
                best = min(best, time.perf_counter() - t0)
            tracemalloc.start()
            bwd(dout, fwd(qkv, NH)[1])
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            res += [best, peak]
        rows.append(res)
        print(f"   T={T:5d}  naive {res[1] * 1e3:8.2f} ms, peak {res[2] / 2**20:8.2f} MiB   "
              f"flash {res[3] * 1e3:8.2f} ms, peak {res[4] / 2**20:6.2f} MiB")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    r = np.array(rows)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    axes[0].plot(r[:, 0], r[:, 1] * 1e3, "o-", label="naive")
    axes[0].plot(r[:, 0], r[:, 3] * 1e3, "o-", label="flash")
    axes[0].set_ylabel("forward + backward (ms)")
    axes[1].plot(r[:, 0], r[:, 2] / 2**20, "o-", label="naive")
    axes[1].plot(r[:, 0], r[:, 4] / 2**20, "o-", label="flash")
    axes[1].set_ylabel("peak allocated (MiB, tracemalloc)")
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("sequence length T")
        ax.legend()
    fig.suptitle(f"C backend, B={B}, {NH} heads of {hs}: naive grows as T^2 in memory, flash as T", fontsize=9)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="T up to 256 only (a few seconds)")
    args = add_output_args(p).parse_args(argv)
    heat_maps(figure_path(HERE, "attention_heads.png", args.refresh_figures))
    online_softmax_walkthrough()
    Ts = (64, 128, 256) if args.quick else (64, 128, 256, 512, 1024, 2048)
    scaling(figure_path(HERE, "naive_vs_flash.png", args.refresh_figures), Ts=Ts)


if __name__ == "__main__":
    main()
