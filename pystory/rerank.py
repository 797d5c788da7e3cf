"""Chapter 05: put the discriminator to work — draw K stories, keep the one it finds most real.

    python -m pystory story --rerank 4          (the shipped story model and discriminator)

A GAN's discriminator learns what separates real stories from generated
ones. Training the generator against it is hard (chapter 05's lesson); using
it as a judge is easy: sample K candidates from the story model, score each
with a discriminator trained on real stories against the model's own
samples, print the best. The cost is K stories' worth of sampling (drawn as
one batch of K, so less than K times the time on a CPU) plus K cheap scores.

`generate_batch` draws the K candidates: row i is exactly the story
`pystory.sample.generate` writes with the sampler of row i (same context
window, same sliding, same Philox draws), so `--rerank 1` prints the story
plain `story` would, and every row is reproducible from its seed alone.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import time

import numpy as np

from pystory.sample import STORY_TEMPERATURE, STORY_TOP_P

__all__ = ["SHIPPED_DISC", "generate_batch", "load_discriminator", "score_stories", "rerank", "candidate_seeds",
           "story_ids", "DiscTrainConfig", "DiscTrainer", "evaluate_reranking", "story_main_rerank"]

HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED_DISC = os.path.join(HERE, "models", "disc.ckpt")


def candidate_seeds(seed, K):
    """The Philox seeds of the K candidates of a story with seed `seed`: seed, seed+1, ... (mod 2^64)."""
    return [(seed + i) % 2**64 for i in range(K)]


def generate_batch(model, prompt_ids, samplers, max_new_tokens, eot_id=None):
    """K = len(samplers) continuations of one prompt, decoded as one batch: a list of K lists of ids.

    All rows have the same length at every step (the same prompt, one token
    each per step), so they fill and slide the context window together; a row
    that has drawn eot_id is finished (its sampler draws no more) and is
    carried along with a dummy token until every row is.
    """
    be, T_max = model.be, model.cfg.block_size
    K = len(samplers)
    tokens = [[int(t) for t in np.asarray(prompt_ids).reshape(-1)] for _ in range(K)]
    if not tokens[0]:
        tokens = [[eot_id if eot_id is not None else 0] for _ in range(K)]
    n0 = len(tokens[0])
    start = max(0, n0 - T_max)
    out = [[] for _ in range(K)]
    done = [False] * K
    kv, logits = None, None
    for _ in range(max_new_tokens):
        n = len(tokens[0])
        if n - start > T_max:                            # the window is full: slide, keep its last half
            start = n - T_max // 2
            kv = None
        if kv is None:                                   # prefill every row over the window
            kv = model.new_kv_cache(K)
            ctx = np.asarray([t[start:] for t in tokens], np.int32)          # (K, t)
            full, _ = model.forward(be.asarray(ctx), kv=kv)
            logits = be.to_numpy(full[:, -1])                                # (K, V)
        nxt = np.zeros(K, np.int32)
        for i in range(K):
            if done[i]:
                nxt[i] = eot_id if eot_id is not None else 0
                continue
            nxt[i] = samplers[i](logits[i])
            if eot_id is not None and nxt[i] == eot_id:
                done[i] = True
            else:
                out[i].append(int(nxt[i]))
        if all(done):
            break
        for i in range(K):
            tokens[i].append(int(nxt[i]))
        if len(tokens[0]) - start <= T_max:              # one cached step for every row
            logits = be.to_numpy(model.decode_step(be.asarray(nxt), kv))
    model.acts = None
    return out


def load_discriminator(path=SHIPPED_DISC, backend="c", tok=None):
    """(discriminator, checkpoint) from a disc checkpoint. tok: the story model's tokenizer, if given:
    the discriminator must have been trained on that tokenizer's ids (same vocab size, same merges;
    a discriminator of another story model would score noise)."""
    import pystory
    from pystory.checkpoint import CheckpointError, load_checkpoint, tokenizer_sha256
    from pystory.disc import Discriminator
    ck = load_checkpoint(path, kinds=("disc",))
    if tok is not None and (ck.config.vocab_size != tok.vocab_size
                            or ck.meta["tokenizer_sha256"] != tokenizer_sha256(tok)):
        raise CheckpointError(f"{path}: this discriminator was trained on another tokenizer's ids (vocab "
                              f"{ck.config.vocab_size}; the story model's has {tok.vocab_size}); train one for "
                              f"this model with `python -m pystory gan disc-train --model MODEL`")
    length = ck.train_state.get("length")
    if not isinstance(length, int) or isinstance(length, bool) or not ck.config.max_width <= length <= 1 << 16:
        raise CheckpointError(f"{path}: corrupt discriminator checkpoint: 'length' (the tokens it reads) must be "
                              f"an integer in [{ck.config.max_width}, 65536]")
    D = Discriminator(ck.config, pystory.backend(backend))
    D.load_params(ck.params)
    D.length = length
    return D, ck


def story_ids(tok, ids, length, eot_id):
    """The discriminator's view of a story: eot, its tokens, eot, cut or padded (with eot) to `length`."""
    seq = [eot_id] + list(ids)[:length - 2] + [eot_id]
    return seq + [eot_id] * (length - len(seq))


def score_stories(D, tok, stories_ids, length=None):
    """(K,) float32: the discriminator's logit for each story (a list of token-id lists); > 0: "real"."""
    length = length or D.length
    batch = np.asarray([story_ids(tok, s, length, tok.eot_id) for s in stories_ids], np.int32)
    be = D.be
    return be.to_numpy(D.forward(be.asarray(batch))).astype(np.float32)


def rerank(model, tok, D, prompt_ids, K, seed, max_new_tokens, temperature=STORY_TEMPERATURE, top_k=0,
           top_p=STORY_TOP_P):
    """(best ids, its index, all K candidates, their scores): K stories drawn as one batch, the
    one D scores highest kept (the first of equal scores)."""
    from pystory.sample import Sampler
    samplers = [Sampler(temperature, top_k, top_p, seed=s) for s in candidate_seeds(seed, K)]
    cands = generate_batch(model, prompt_ids, samplers, max_new_tokens, eot_id=tok.eot_id)
    prompt = [int(t) for t in np.asarray(prompt_ids).reshape(-1)]
    scores = score_stories(D, tok, [prompt + c for c in cands]) if K > 1 else np.zeros(1, np.float32)
    best = int(np.argmax(scores))
    return cands[best], best, cands, scores


# --- training the reranking discriminator --------------------------------------------------------

@dataclasses.dataclass
class DiscTrainConfig:
    samples: int = 2000           # model samples, and as many real stories (90% train, 10% validation)
    temperature: float = STORY_TEMPERATURE   # the fakes are sampled as the story command samples
    top_p: float = STORY_TOP_P
    max_tokens: int = 1000        # per sample, as the story command
    length: int = 256             # tokens the discriminator reads (eot, story, eot, padding)
    steps: int = 1500
    batch_size: int = 32          # half real, half generated
    lr: float = 1e-3
    weight_decay: float = 0.01
    d_embd: int = 32
    d_filters: int = 32
    eval_every: int = 100
    ckpt_every: int = 250
    seed: int = 0
    out_dir: str = "runs/disc"


class DiscTrainer:
    """Trains a discriminator on real stories (label 1) against a story model's samples (label 0).

    The samples are drawn once (batches of 16 through generate_batch, sample i
    with Philox seed `seed + i`, no prompt: the model writes its own openings,
    as the real stories have theirs) and kept in OUT/samples.txt, so a resumed
    or repeated run reuses them. Exact resume: parameters, AdamW moments, the
    step and the batch generator's state are in OUT/disc.ckpt."""

    def __init__(self, D, tok, real, fake, dc, log=print, tokenizer="byte"):
        self.D, self.tok, self.dc, self.log, self.tokenizer = D, tok, dc, log, tokenizer
        n_val = max(1, min(len(real), len(fake)) // 10)
        self.train = (real[n_val:], fake[n_val:])
        self.val = (real[:n_val], fake[:n_val])
        self.rng = np.random.default_rng(dc.seed)
        self.step = 0
        self.history = {"step": [], "loss": [], "acc": [], "val_step": [], "val_loss": [], "val_acc": []}
        self.ckpt_path = os.path.join(dc.out_dir, "disc.ckpt")
        self.D.length = dc.length

    @classmethod
    def prepare(cls, model_path, corpus, be, dc, log=print):
        """Load the story model and the real stories, draw (or reuse) the samples: a ready trainer."""
        from pystory.checkpoint import place_tokenizer, tokenizer_file_of
        from pystory.disc import DiscConfig, Discriminator
        from pystory.gan_cli import corpus_splits
        from pystory.gpt_cli import load_model
        model, tok, ck = load_model(model_path, be.name)
        train, _ = corpus_splits(corpus, dc.samples)
        if len(train) < dc.samples:
            raise ValueError(f"--corpus {corpus}: has {len(train)} training stories, --samples asks for {dc.samples}")
        os.makedirs(dc.out_dir, exist_ok=True)
        fakes = draw_samples(model, tok, dc, os.path.join(dc.out_dir, "samples.txt"), ck, log)
        real = [tok.encode(s) for s in train[:dc.samples]]
        fake = [tok.encode(s) for s in fakes]
        D = Discriminator(DiscConfig(tok.vocab_size, dc.d_embd, dc.d_filters), be).init_weights(dc.seed)
        tok_name = place_tokenizer(tokenizer_file_of(ck), dc.out_dir)
        return cls(D, tok, real, fake, dc, log, tok_name)

    def batch(self, split, idx_real, idx_fake):
        real, fake = split
        rows = [real[i] for i in idx_real] + [fake[i] for i in idx_fake]
        x = np.asarray([story_ids(self.tok, r, self.dc.length, self.tok.eot_id) for r in rows], np.int32)
        y = np.concatenate([np.ones(len(idx_real)), np.zeros(len(idx_fake))]).astype(np.float32)
        return x, y

    def loss_and_grad(self, x, y, backward=True):
        be, D = self.D.be, self.D
        logits = D.forward(be.asarray(x))
        t = be.asarray(y)
        loss = float(be.to_numpy(be.bce_with_logits_forward(logits, t)).astype(np.float64).mean())
        acc = float(((be.to_numpy(logits) > 0) == (y > 0.5)).mean())
        if backward:
            w = be.asarray(np.full(y.size, 1.0 / y.size, np.float32))
            D.zero_grad()
            D.backward(be.bce_with_logits_backward(w, logits, t))
        D.acts = None
        return loss, acc

    def evaluate(self):
        real, fake = self.val
        losses, accs, n = [], [], self.dc.batch_size // 2
        for i in range(0, min(len(real), len(fake)), n):
            idx = list(range(i, min(i + n, len(real), len(fake))))
            loss, acc = self.loss_and_grad(*self.batch(self.val, idx, idx), backward=False)
            losses.append(loss)
            accs.append(acc)
        return float(np.mean(losses)), float(np.mean(accs))

    def train_state(self):
        return {"disc_train_config": dataclasses.asdict(self.dc), "length": self.dc.length,
                "batch_rng": self.rng.bit_generator.state, "history": self.history}

    def save(self, path=None, dtype="float32", optimizer=True):
        from pystory.checkpoint import save_checkpoint
        path = path or self.ckpt_path
        save_checkpoint(path, self.D, step=self.step, tokenizer=self.tokenizer, dtype=dtype,
                        optimizer=optimizer, train_state=self.train_state())
        return path

    def ship(self, path):
        """A float16 copy without optimizer state, its tokenizer beside it."""
        from pystory.checkpoint import place_tokenizer, save_checkpoint
        tok_src = "byte" if self.tokenizer == "byte" else os.path.join(self.dc.out_dir, self.tokenizer)
        name = place_tokenizer(tok_src, os.path.dirname(os.path.abspath(path)))
        state = self.train_state()
        del state["batch_rng"]                       # a shipped model is not resumed
        save_checkpoint(path, self.D, step=self.step, tokenizer=name, dtype="float16", optimizer=False,
                        train_state=state)
        return path

    def resume(self, path):
        from pystory.checkpoint import load_checkpoint
        ck = load_checkpoint(path, kinds=("disc",), expected_config=self.D.cfg)
        if ck.m is None:
            raise ValueError(f"{path}: the checkpoint has no optimizer state; it cannot be resumed")
        self.D.load_params(ck.params)
        self.D.m[...] = self.D.be.asarray(ck.m)
        self.D.v[...] = self.D.be.asarray(ck.v)
        self.step = ck.step
        self.rng.bit_generator.state = ck.train_state["batch_rng"]
        self.history = {k: list(v) for k, v in ck.train_state["history"].items()}
        return ck

    def run(self):
        from pystory.atomic import folder_lock
        dc, D = self.dc, self.D
        half = dc.batch_size // 2
        with folder_lock(dc.out_dir):
            for step in range(self.step + 1, dc.steps + 1):
                t0 = time.perf_counter()
                ir = self.rng.integers(0, len(self.train[0]), half)
                i_f = self.rng.integers(0, len(self.train[1]), dc.batch_size - half)
                loss, acc = self.loss_and_grad(*self.batch(self.train, ir, i_f))
                if not math.isfinite(loss):
                    raise ValueError(f"disc-train: the loss is {loss} at step {step}; try a lower --lr")
                D.be.clip_grad_norm(D.grads, 1.0)
                D.update(dc.lr, step, beta1=0.9, beta2=0.999, weight_decay=dc.weight_decay)
                self.step = step
                self.history["step"].append(step)
                self.history["loss"].append(loss)
                self.history["acc"].append(acc)
                if step == 1 or step % 25 == 0:
                    self.log(f"step {step:5d}/{dc.steps} | loss {loss:.4f} | acc {acc:.2f} | "
                             f"{(time.perf_counter() - t0) * 1000:.0f} ms")
                if (dc.eval_every and step % dc.eval_every == 0) or step == dc.steps:
                    vl, va = self.evaluate()
                    self.history["val_step"].append(step)
                    self.history["val_loss"].append(vl)
                    self.history["val_acc"].append(va)
                    self.log(f"step {step:5d} | validation loss {vl:.4f} | validation accuracy {va:.3f} "
                             f"({len(self.val[0])} real + {len(self.val[1])} generated)")
                if (dc.ckpt_every and step % dc.ckpt_every == 0) or step == dc.steps:
                    self.save()
        return self.history


def draw_samples(model, tok, dc, path, ck, log=print):
    """dc.samples stories from `model` (no prompt), cached in `path` with a stamp of what drew them."""
    from pystory.atomic import write_text_atomic
    from pystory.data.corpus import read_corpus, write_corpus
    from pystory.sample import Sampler
    stamp = json.dumps({"model_step": ck.step, "config": ck.config.to_dict(), "seed": dc.seed,
                        "temperature": dc.temperature, "top_p": dc.top_p, "max_tokens": dc.max_tokens,
                        "n": dc.samples},
                       sort_keys=True)
    if os.path.exists(path) and os.path.exists(path + ".stamp"):
        with open(path + ".stamp") as f:
            if f.read() == stamp:
                stories = read_corpus(path)
                if len(stories) == dc.samples:
                    log(f"reusing {len(stories)} samples from {path}")
                    return stories
    out, t0 = [], time.perf_counter()
    for i0 in range(0, dc.samples, 16):
        samplers = [Sampler(dc.temperature, top_p=dc.top_p, seed=dc.seed + i)
                    for i in range(i0, min(dc.samples, i0 + 16))]
        for ids in generate_batch(model, [], samplers, dc.max_tokens, eot_id=tok.eot_id):
            text = tok.decode(ids).decode("utf-8", "replace").strip()
            out.append(text if text else "...")             # an empty story cannot be written to a corpus
        log(f"sampled {len(out)}/{dc.samples} stories ({time.perf_counter() - t0:.0f} s)")
    write_corpus(path, [s.replace("<|endoftext|>", "") or "..." for s in out])
    write_text_atomic(path + ".stamp", stamp)
    return read_corpus(path)


# --- measuring reranking ----------------------------------------------------------------------------

def evaluate_reranking(model_path, disc_path, corpus, backend, n_stories, Ks, n_refs, temperature,
                       max_tokens, timing_stories, seed, out_dir, log=print, prompt="Once upon a time",
                       top_p=STORY_TOP_P):
    """The reranking table: for each K, the story chosen among K candidates (candidate seeds
    seed_j, seed_j + 1, ... with seed_j = seed + 1000 j, so K = 1 is the plain story of seed_j
    and the candidates of a smaller K are the first of a larger K's), scored by check_story,
    the consistency check (pystory.quality), distinct-2, BLEU-4 and Self-BLEU-4; and the seconds per
    story of `rerank` itself."""
    from pystory import metrics
    from pystory.atomic import write_text_atomic
    from pystory.bench import machine
    from pystory.gan_cli import corpus_splits
    from pystory.gpt_cli import load_model
    from pystory.quality import check_pass_rate, consistency_rate
    from pystory.sample import Sampler
    model, tok, _ = load_model(model_path, backend)
    D, _ = load_discriminator(disc_path, backend, tok)
    _, held = corpus_splits(corpus, None)
    refs = held[:n_refs]
    prompt_ids = tok.encode(prompt)
    Kmax = max(Ks)
    chosen = {K: [] for K in Ks}
    t0 = time.perf_counter()
    for j in range(n_stories):
        samplers = [Sampler(temperature, top_p=top_p, seed=s) for s in candidate_seeds(seed + 1000 * j, Kmax)]
        cands = generate_batch(model, prompt_ids, samplers, max_tokens, eot_id=tok.eot_id)
        scores = score_stories(D, tok, [list(prompt_ids) + c for c in cands])
        for K in Ks:
            best = int(np.argmax(scores[:K]))
            chosen[K].append(prompt + tok.decode(cands[best]).decode("utf-8", "replace"))
        if (j + 1) % 10 == 0 or j + 1 == n_stories:
            log(f"{j + 1}/{n_stories} stories ({Kmax} candidates each, {time.perf_counter() - t0:.0f} s)")
    timing = {}
    for K in Ks:
        ts = []
        for j in range(timing_stories):
            t1 = time.perf_counter()
            rerank(model, tok, D, prompt_ids, K, seed + 1000 * j, max_tokens, temperature, top_p=top_p)
            ts.append(time.perf_counter() - t1)
        timing[K] = float(np.median(ts))
    rows = []
    for K in Ks:
        texts = chosen[K]
        rows.append(dict(K=K, check_pass=check_pass_rate(texts), consistency=consistency_rate(texts),
                         distinct2=metrics.distinct_n(texts, 2),
                         bleu4=metrics.bleu(texts, refs, 4), self_bleu4=metrics.self_bleu(texts, 4),
                         seconds=timing[K], words=float(np.mean([len(metrics.words(t)) for t in texts]))))
    base = timing[Ks[0]]
    lines = [f"Reranking, {n_stories} stories (prompt {prompt!r}, temperature {temperature}, top-p {top_p:g}), "
             f"BLEU-4 against "
             f"{len(refs)} held-out stories; {machine()}",
             "", "| K | check_story pass | consistent | distinct-2 | BLEU-4 | Self-BLEU-4 | words | s / story | "
             f"cost vs K={Ks[0]} |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['K']} | {r['check_pass']:.1%} | {r['consistency']:.1%} | {r['distinct2']:.3f} | "
                     f"{r['bleu4']:.3f} | {r['self_bleu4']:.3f} | {r['words']:.0f} | {r['seconds']:.2f} | "
                     f"{r['seconds'] / base:.1f}x |")
    table = "\n".join(lines)
    log(table)
    os.makedirs(out_dir, exist_ok=True)
    write_text_atomic(os.path.join(out_dir, "rerank.md"), table + "\n")
    write_text_atomic(os.path.join(out_dir, "rerank.json"), json.dumps(dict(rows=rows, machine=machine(),
                                                                              stories=n_stories), indent=1))
    return rows


def story_main_rerank(args, model, tok, D, prompt_ids, seed):
    """`python -m pystory story --rerank K`: print the best of K stories (candidate i has seed seed + i),
    judged by discriminator D (story loads and checks it against the model's tokenizer first)."""
    import sys
    K = args.rerank
    t0 = time.perf_counter()
    best, i, _, scores = rerank(model, tok, D, prompt_ids, K, seed, args.max_tokens, args.temperature,
                                args.top_k, args.top_p)
    print(args.prompt + tok.decode(best).decode("utf-8", "replace"), flush=True)
    if args.stats:
        print(f"[kept candidate {i} of {K} (seed {(seed + i) % 2**64}, score {scores[i]:+.2f}; "
              f"scores {' '.join(f'{s:+.2f}' for s in scores)}) in {time.perf_counter() - t0:.2f} s]",
              file=sys.stderr)
    return 0
