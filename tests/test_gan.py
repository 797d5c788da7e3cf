"""Chapter 05: the text GAN — its generator gradient (through the Gumbel-softmax and the soft-token
feedback) is exact with full unrolling, soft generation and the parallel pass agree, training
resumes exactly, and the command line runs end to end on a tiny config."""
import os
import subprocess
import sys

import numpy as np
import pytest

import pystory
from pystory.checkpoint import save_checkpoint
from pystory.data.corpus import write_corpus
from pystory.data.storyworld import generate_stories
from pystory.disc import DiscConfig, Discriminator
from pystory.gan import GAN, GANTrainConfig, GANTrainer, beta_at, d_loss, g_loss, story_openings
from pystory.gpt import GPT, GPTConfig
from pystory.testing import assert_agree
from pystory.tokenizer import load_tokenizer
from float64_backend import float64_backend

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tiny_gan(be, V=7, dtype=np.float32, scale=1.0, block=8, C=4):
    G = GPT(GPTConfig(vocab_size=V, block_size=block, n_layer=1, n_head=2, n_embd=C), be, dtype).init_weights(0)
    G.params[...] *= scale
    D = Discriminator(DiscConfig(vocab_size=V, n_embd=3, n_filters=2, min_width=2, max_width=3), be, dtype)
    return GAN(G, D.init_weights(1), eot_id=0)


def naive_loss(gan, be, B, T, tau, seed, w):
    """The generator's soft sequence written the slow, obvious way (a full forward per token,
    no cache, no parallel pass), scored by the discriminator: the function whose gradient we want."""
    G, D = gan.G, gan.D
    V, C = G.cfg.vocab_size, G.cfg.n_embd
    wte, wpe = G.p["wte"], G.p["wpe"]
    E = np.zeros((B, T, C))
    E[:, 0] = wte[gan.eot_id] + wpe[0]
    ys = np.zeros((B, T, V))
    for t in range(T):
        logits, _ = G.forward(None, embeddings=E[:, :t + 1].copy())
        y, _ = be.gumbel_softmax_forward(np.ascontiguousarray(logits[:, -1]), tau, seed, t * B * V)
        ys[:, t] = y
        if t + 1 < T:
            E[:, t + 1] = y @ wte + wpe[t + 1]
    return float(np.sum(w * D.forward_soft(ys)))


def generator_grad(gan, B, T, tau, seed, w, unroll):
    ys = gan.generate_soft(B, T, tau, seed, 0)
    y, ctx = gan.forward_soft(ys, tau, seed, 0)
    gan.D.forward_soft(y)
    dy = gan.D.backward(w)
    gan.G.zero_grad()
    gan.backward_soft(dy, ctx, unroll)
    return gan.G.grads.copy()


def test_the_generator_gradient_with_full_unrolling_matches_finite_differences():
    be = float64_backend()
    gan = tiny_gan(be, dtype=np.float64, scale=20.0)       # large weights: the feedback path matters
    B, T, tau, seed = 2, 5, 0.7, 3
    w = np.array([0.3, -1.2])
    p0 = gan.G.params.copy()
    numeric, eps = np.zeros_like(p0), 1e-6
    for i in range(p0.size):
        for sign in (1, -1):
            gan.G.params[...] = p0
            gan.G.params[i] += sign * eps
            numeric[i] += sign * naive_loss(gan, be, B, T, tau, seed, w) / (2 * eps)
    gan.G.params[...] = p0
    exact = generator_grad(gan, B, T, tau, seed, w, unroll=T - 1)
    assert_agree(exact, numeric, rtol=1e-5, atol=1e-8, name="d loss / d generator params")
    direct = generator_grad(gan, B, T, tau, seed, w, unroll=0)
    assert np.abs(direct - numeric).max() > 0.1 * np.abs(numeric).max(), "the feedback path must matter here"


def test_soft_generation_and_the_parallel_pass_write_the_same_soft_tokens(backend):
    gan = tiny_gan(backend, V=11, scale=5.0, C=32)      # heads of 16: the CUDA flash kernel's smallest
    ys = gan.generate_soft(3, 6, 0.5, 9, 1000)
    y, _ = gan.forward_soft(ys, 0.5, 9, 1000)
    ys, y = backend.to_numpy(ys), backend.to_numpy(y)
    assert_agree(y, ys, rtol=1e-3, atol=1e-5)
    assert (y.argmax(-1) == ys.argmax(-1)).all()
    assert_agree(ys.sum(-1), np.ones((3, 6), np.float32), atol=1e-5)


def test_the_temperature_schedules_run_from_one_to_beta_max():
    tc = GANTrainConfig(steps=11, beta_max=100.0, schedule="linear")
    assert beta_at(0, tc) == 1.0 and beta_at(10, tc) == pytest.approx(100.0)
    assert beta_at(5, tc) == pytest.approx(50.5)
    tc.schedule = "exp"
    assert beta_at(0, tc) == 1.0 and beta_at(11, tc) == pytest.approx(100.0)
    assert beta_at(5, tc) == pytest.approx(100.0 ** (5 / 11))
    tc.schedule = "none"
    assert beta_at(0, tc) == 100.0


@pytest.mark.parametrize("kind", ["standard", "rsgan"])
def test_the_gan_loss_gradients_match_finite_differences(kind):
    be = float64_backend()
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal(5) * 2, rng.standard_normal(5) * 2
    _, d_r, d_f, _ = d_loss(be, real, fake, kind)
    _, g_f = g_loss(be, real, fake, kind)
    eps = 1e-6
    for i in range(5):
        for arr, want, which in ((real, d_r, "d"), (fake, d_f, "d"), (fake, g_f, "g")):
            loss = d_loss if which == "d" else g_loss
            fn = (lambda loss=loss: loss(be, real, fake, kind)[0])
            old = arr[i]
            arr[i] = old + eps
            fp = fn()
            arr[i] = old - eps
            fm = fn()
            arr[i] = old
            assert (fp - fm) / (2 * eps) == pytest.approx(float(want[i]), rel=1e-5, abs=1e-9)


def test_a_perfect_discriminator_has_full_accuracy():
    be = pystory.backend("numpy")
    real, fake = np.full(4, 5.0, np.float32), np.full(4, -5.0, np.float32)
    assert d_loss(be, real, fake, "standard")[3] == 1.0
    assert d_loss(be, real, fake, "rsgan")[3] == 1.0


# --- training ---------------------------------------------------------------------------------

def byte_gan(be):
    """A tiny GAN over the byte tokenizer's 257 ids (checkpoints need a real tokenizer)."""
    G = GPT(GPTConfig(vocab_size=257, block_size=16, n_layer=1, n_head=2, n_embd=8), be).init_weights(0)
    D = Discriminator(DiscConfig(vocab_size=257, n_embd=4, n_filters=3, min_width=2, max_width=3), be)
    return GAN(G, D.init_weights(1), eot_id=256)


def real_openings(T):
    return story_openings(load_tokenizer("byte"), generate_stories(30, seed=2), T)


def test_gan_training_resumes_exactly(tmp_path):
    be = pystory.backend("c")
    tcs = [GANTrainConfig(steps=4, batch_size=3, seq_len=10, eval_every=0, ckpt_every=2, seed=5,
                          mle_weight=0.5, out_dir=str(tmp_path / name)) for name in ("a", "b")]
    full = GANTrainer(byte_gan(be), real_openings(10), tcs[0])
    full.run()
    half = GANTrainer(byte_gan(be), real_openings(10), tcs[1])
    half.run(until=2)                                   # stopped after step 2
    again = GANTrainer(byte_gan(be), real_openings(10), tcs[1])
    again.resume(again.ckpt_path)
    assert again.step == 2
    again.run()
    assert np.array_equal(be.to_numpy(again.gan.params), be.to_numpy(full.gan.params))
    assert again.history["g_loss"] == full.history["g_loss"]


def test_training_moves_the_generator_and_the_discriminator():
    be = pystory.backend("c")
    gan = byte_gan(be)
    g0, d0 = gan.G.params.copy(), gan.D.params.copy()
    tc = GANTrainConfig(steps=2, batch_size=3, seq_len=10, eval_every=0, ckpt_every=0)
    tr = GANTrainer(gan, real_openings(10), tc)
    r = tr.train_step()
    assert np.isfinite([r["d_loss"], r["g_loss"]]).all()
    assert not np.array_equal(gan.G.params, g0) and not np.array_equal(gan.D.params, d0)


def test_the_trainer_refuses_real_openings_of_another_length():
    with pytest.raises(ValueError, match=r"real openings must be \(N, 12\) token ids"):
        GANTrainer(byte_gan(pystory.backend("numpy")), real_openings(10), GANTrainConfig(seq_len=12))


def test_an_unknown_loss_is_refused():
    with pytest.raises(ValueError, match=r"loss must be one of"):
        GANTrainConfig(loss="wasserstein")


# --- the command line ---------------------------------------------------------------------------

def run_cli(*args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "pystory", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=600)


@pytest.fixture(scope="module")
def tiny_story_model(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny")
    G = GPT(GPTConfig(vocab_size=257, block_size=32, n_layer=1, n_head=2, n_embd=16),
            pystory.backend("numpy")).init_weights(0)
    save_checkpoint(d / "story.ckpt", G, tokenizer="byte", optimizer=False)
    write_corpus(d / "corpus.txt", generate_stories(40, seed=4))
    return d


def test_gan_train_sample_and_eval_run_end_to_end(tiny_story_model, tmp_path):
    d, out = tiny_story_model, tmp_path / "gan"
    r = run_cli("gan", "train", "--init", str(d / "story.ckpt"), "--corpus", str(d / "corpus.txt"), "--steps", "3",
                "--batch-size", "3", "--seq-len", "12", "--eval-every", "2", "--eval-samples", "4",
                "--d-embd", "4", "--d-filters", "3", "--ckpt-every", "2", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "D acc" in r.stdout and "Self-BLEU-4" in r.stdout
    for f in ("gan.ckpt", "generator.ckpt", "curves.png"):
        assert (out / f).is_file(), f
    r = run_cli("gan", "train", "--init", str(d / "story.ckpt"), "--corpus", str(d / "corpus.txt"), "--steps", "4",
                "--batch-size", "3", "--seq-len", "12", "--eval-every", "0", "--d-embd", "4", "--d-filters", "3",
                "--out", str(out), "--resume")
    assert r.returncode == 0, r.stderr
    assert "resumed from" in r.stdout and "at step 3" in r.stdout
    r = run_cli("gan", "sample", "--model", str(out / "gan.ckpt"), "--max-tokens", "20", "--seed", "1")
    assert r.returncode == 0 and r.stdout.strip(), r.stderr
    r = run_cli("story", "--model", str(out / "generator.ckpt"), "--max-tokens", "10", "--seed", "1")
    assert r.returncode == 0, r.stderr
    r = run_cli("gan", "eval", "--model", str(out / "gan.ckpt"), "--mle", str(d / "story.ckpt"),
                "--corpus", str(d / "corpus.txt"), "--samples", "4", "--refs", "4", "--temperatures", "0.8,1.2",
                "--out", str(tmp_path / "eval"))
    assert r.returncode == 0, r.stderr
    assert "| GAN | 1.2 |" in r.stdout
    assert (tmp_path / "eval" / "results.json").is_file() and (tmp_path / "eval" / "quality_diversity.png").is_file()


# The commands' mistakes (one line, exit code 2) are rows of tests/test_cli_errors.py's table.
