"""Chapter 05: reranking — K candidates drawn as one batch are exactly the stories `generate` writes
one by one, the discriminator's favourite is kept, the reranking discriminator trains and resumes
exactly, and `story --rerank K` runs with the shipped discriminator."""
import os
import subprocess
import sys

import numpy as np
import pytest

import pystory
from pystory.checkpoint import CheckpointError, save_checkpoint
from pystory.data.corpus import write_corpus
from pystory.data.storyworld import generate_stories
from pystory.disc import DiscConfig, Discriminator
from pystory.gpt import GPT, GPTConfig
from pystory.rerank import (SHIPPED_DISC, DiscTrainConfig, DiscTrainer, candidate_seeds, generate_batch,
                            load_discriminator, rerank, story_ids)
from pystory.sample import STORY_TEMPERATURE, STORY_TOP_P, Sampler, generate
from pystory.tokenizer import BPETokenizer, load_tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tiny_model(be, block=16):
    cfg = GPTConfig(vocab_size=257, block_size=block, n_layer=1, n_head=2, n_embd=32)
    return GPT(cfg, be).init_weights(3)


@pytest.mark.parametrize("K", [1, 3])
def test_a_batch_of_candidates_is_the_stories_generate_writes_one_by_one(K):
    # block_size 16 and 40 new tokens: the window fills and slides twice on the way
    be = pystory.backend("c")
    model = tiny_model(be)
    prompt = [104, 105]
    samplers = [Sampler(1.0, seed=s) for s in candidate_seeds(11, K)]
    got = generate_batch(model, prompt, samplers, 40, eot_id=256)
    for i, s in enumerate(candidate_seeds(11, K)):
        assert got[i] == list(generate(model, prompt, 40, Sampler(1.0, seed=s), eot_id=256))


def test_candidates_that_end_early_stop_while_the_others_go_on():
    be = pystory.backend("c")
    model = tiny_model(be)
    model.p["lnfb"][:] = 1.0             # the end-of-text token's logit now about 3.2 above the rest:
    model.p["wte"][256] = 0.1            # stories end after a few tokens, each at its own step
    samplers = [Sampler(1.0, seed=s) for s in range(6)]
    got = generate_batch(model, [], samplers, 30, eot_id=256)
    want = [list(generate(model, [], 30, Sampler(1.0, seed=s), eot_id=256)) for s in range(6)]
    assert got == want
    assert len({len(g) for g in got}) > 1


def test_the_discriminator_reads_a_story_framed_by_end_of_text_tokens():
    tok = load_tokenizer("byte")
    assert story_ids(tok, [1, 2, 3], 7, 256) == [256, 1, 2, 3, 256, 256, 256]
    assert story_ids(tok, list(range(10)), 6, 256) == [256, 0, 1, 2, 3, 256]


class FixedScores:
    """A stand-in discriminator that prefers the candidate with the most copies of token 101."""
    length = 40
    be = pystory.backend("numpy")

    def forward(self, ids):
        return (np.asarray(ids) == 101).sum(axis=1).astype(np.float32)


def test_rerank_keeps_the_candidate_the_discriminator_scores_highest():
    be = pystory.backend("c")
    model, tok = tiny_model(be), load_tokenizer("byte")
    best, i, cands, scores = rerank(model, tok, FixedScores(), [104], 5, 7, 20, temperature=1.0)
    counts = [c.count(101) for c in cands]
    assert i == int(np.argmax(counts)) and best == cands[i]
    assert list(scores) == [float(c) for c in counts]


def test_rerank_with_one_candidate_is_the_plain_story():
    be = pystory.backend("c")
    model, tok = tiny_model(be), load_tokenizer("byte")
    best, i, _, _ = rerank(model, tok, FixedScores(), [104], 1, 9, 20)
    plain = Sampler(STORY_TEMPERATURE, top_p=STORY_TOP_P, seed=9)          # the story command's sampler
    assert i == 0 and best == list(generate(model, [104], 20, plain, eot_id=tok.eot_id))


# --- the reranking discriminator ----------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_setup(tmp_path_factory):
    d = tmp_path_factory.mktemp("rerank")
    model = tiny_model(pystory.backend("numpy"), block=64)
    save_checkpoint(d / "story.ckpt", model, tokenizer="byte", optimizer=False)
    os.makedirs(d / "corpus")
    write_corpus(d / "corpus" / "train.txt", generate_stories(24, seed=1))
    write_corpus(d / "corpus" / "val.txt", generate_stories(8, seed=2))
    return d


def disc_config(out, steps):
    return DiscTrainConfig(samples=10, max_tokens=30, length=48, steps=steps, batch_size=4, d_embd=4, d_filters=3,
                           eval_every=2, ckpt_every=2, out_dir=str(out))


def test_the_reranking_discriminator_trains_and_resumes_exactly(tiny_setup, tmp_path):
    be = pystory.backend("c")
    full = DiscTrainer.prepare(str(tiny_setup / "story.ckpt"), str(tiny_setup / "corpus"), be,
                               disc_config(tmp_path / "a", 4), log=lambda m: None)
    full.run()
    part = DiscTrainer.prepare(str(tiny_setup / "story.ckpt"), str(tiny_setup / "corpus"), be,
                               disc_config(tmp_path / "b", 2), log=lambda m: None)
    part.run()
    again = DiscTrainer.prepare(str(tiny_setup / "story.ckpt"), str(tiny_setup / "corpus"), be,
                                disc_config(tmp_path / "b", 4), log=lambda m: None)
    again.resume(again.ckpt_path)
    again.run()
    assert np.array_equal(again.D.params, full.D.params)
    assert again.history["loss"] == full.history["loss"]
    shipped = again.ship(str(tmp_path / "ship" / "disc.ckpt"))
    D, ck = load_discriminator(shipped, "c", load_tokenizer("byte"))
    assert D.length == 48 and ck.m is None


def test_load_discriminator_refuses_a_story_model_and_another_tokenizer(tiny_setup, tmp_path):
    with pytest.raises(CheckpointError, match=r"is a float checkpoint; this needs a disc one"):
        load_discriminator(str(tiny_setup / "story.ckpt"), "numpy")
    D = Discriminator(DiscConfig(vocab_size=257, n_embd=4, n_filters=3), pystory.backend("numpy")).init_weights(0)
    path = tmp_path / "d.ckpt"
    save_checkpoint(path, D, tokenizer="byte", optimizer=False, train_state={"length": 32})
    other = BPETokenizer(np.array([[104, 101], [116, 104], [97, 98]], np.int32))    # 260 ids, not 257
    with pytest.raises(CheckpointError, match=r"d.ckpt: this discriminator was trained on another tokenizer"):
        load_discriminator(str(path), "numpy", other)
    save_checkpoint(path, D, tokenizer="byte", optimizer=False, train_state={"length": "../x"})
    with pytest.raises(CheckpointError, match=r"'length' \(the tokens it reads\) must be an integer"):
        load_discriminator(str(path), "numpy")


def test_load_discriminator_refuses_a_tokenizer_of_the_same_size_with_other_merges(tmp_path):
    a = BPETokenizer(np.array([[104, 101]], np.int32))            # "he"
    b = BPETokenizer(np.array([[116, 104]], np.int32))            # "th": as many ids, other merges
    D = Discriminator(DiscConfig(vocab_size=a.vocab_size, n_embd=4, n_filters=3),
                      pystory.backend("numpy")).init_weights(0)
    a.save(str(tmp_path / "a.bpe"))
    path = tmp_path / "d.ckpt"
    save_checkpoint(path, D, tokenizer="a.bpe", optimizer=False, train_state={"length": 32})
    assert load_discriminator(str(path), "numpy", a)[0].length == 32
    with pytest.raises(CheckpointError, match=r"d.ckpt: this discriminator was trained on another tokenizer"):
        load_discriminator(str(path), "numpy", b)


# --- the command line ----------------------------------------------------------------------------

def run_cli(*args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "pystory", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=900)


def test_disc_train_and_rerank_eval_run_end_to_end(tiny_setup, tmp_path):
    out = tmp_path / "disc"
    r = run_cli("gan", "disc-train", "--model", str(tiny_setup / "story.ckpt"), "--corpus", str(tiny_setup / "corpus"),
                "--samples", "8", "--length", "48", "--steps", "3", "--batch-size", "4", "--d-embd", "4",
                "--d-filters", "3", "--out", str(out), "--ship", str(tmp_path / "ship" / "disc.ckpt"))
    assert r.returncode == 0, r.stderr
    assert "validation accuracy" in r.stdout
    r = run_cli("gan", "rerank-eval", "--model", str(tiny_setup / "story.ckpt"), "--disc",
                str(tmp_path / "ship" / "disc.ckpt"), "--corpus", str(tiny_setup / "corpus"), "--stories", "2",
                "--K", "1,2", "--max-tokens", "20", "--timing-stories", "1", "--out", str(tmp_path / "rr"))
    assert r.returncode == 0, r.stderr
    assert "| K | check_story pass" in r.stdout and (tmp_path / "rr" / "rerank.md").is_file()
    r = run_cli("story", "--model", str(tiny_setup / "story.ckpt"), "--disc", str(tmp_path / "ship" / "disc.ckpt"),
                "--rerank", "3", "--max-tokens", "20", "--seed", "4", "--prompt", "Once")
    assert r.returncode == 0 and r.stdout.startswith("Once"), r.stderr


@pytest.mark.skipif(not os.path.exists(SHIPPED_DISC), reason="no shipped discriminator yet")
def test_story_rerank_4_works_with_the_shipped_discriminator():
    r = run_cli("story", "--rerank", "4", "--seed", "1", "--max-tokens", "60", "--stats")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Once upon a time") and "kept candidate" in r.stderr


def test_story_rerank_answers_mistakes_in_one_line(tmp_path):
    story_ckpt = os.path.join(ROOT, "pystory", "models", "story.ckpt")
    for args, want in [(("story", "--rerank", "0"), "story: argument --rerank: must be an integer in [1, 256]"),
                       (("story", "--rerank", "2", "--disc", str(tmp_path / "none.ckpt")), "story: argument --disc"),
                       (("story", "--rerank", "2", "--disc", story_ckpt), "story: ")]:
        r = run_cli(*args, "--seed", "1")
        assert r.returncode == 2 and r.stderr.startswith(want) and "Traceback" not in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_story_rerank_refuses_a_discriminator_of_another_tokenizer_naming_the_file(tmp_path):
    # a discriminator trained on byte ids, beside the shipped story model (its own BPE tokenizer)
    D = Discriminator(DiscConfig(vocab_size=257, n_embd=4, n_filters=3), pystory.backend("numpy")).init_weights(0)
    path = tmp_path / "bytes_disc.ckpt"
    save_checkpoint(path, D, tokenizer="byte", optimizer=False, train_state={"length": 32})
    r = run_cli("story", "--rerank", "2", "--disc", str(path), "--seed", "1", "--max-tokens", "5")
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("story: ") and str(path) in lines[0], r.stderr
    assert "trained on another tokenizer" in lines[0] and "disc-train" in lines[0]
