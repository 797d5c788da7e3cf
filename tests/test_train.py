"""Chapter 06: the training loop — schedule, exact resume, NaN stop, the CLI, and the shipped model."""
import math
import os
import subprocess
import sys
import types

import numpy as np
import pytest

import pystory
from pystory.checkpoint import CheckpointError, load_checkpoint
from pystory.data.corpus import write_corpus
from pystory.data.loader import BatchLoader
from pystory.data.storyworld import generate_stories
from pystory.gpt import GPT, GPTConfig
from pystory.gpt_cli import SHIPPED_MODEL, prepare_shards
from pystory.tokenizer import load_tokenizer
from pystory.train import Trainer, TrainConfig, TrainingDiverged, first_step_of, lr_at, token_byte_lengths

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = GPTConfig(vocab_size=257, block_size=32, n_layer=2, n_head=2, n_embd=32)


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    d = tmp_path_factory.mktemp("corpus")
    stories = generate_stories(60, seed=1)
    write_corpus(d / "train.txt", stories[:50])
    write_corpus(d / "val.txt", stories[50:])
    return prepare_shards(str(d), load_tokenizer("byte"), str(d / "run"))


def make_trainer(shards, out_dir, steps=6, backend="c", **kw):
    be = pystory.backend(backend)
    tc = TrainConfig(steps=steps, batch_size=2, lr=3e-3, warmup=2, eval_every=0, eval_batches=2,
                     ckpt_every=3, out_dir=str(out_dir), **kw)
    loader = BatchLoader(shards, 2, TINY.block_size, seed=tc.seed, split="train")
    val = BatchLoader(shards, 2, TINY.block_size, seed=tc.seed, split="val")
    model = GPT(TINY, be).init_weights(seed=tc.seed)
    return Trainer(model, loader, tc, val_loader=val, byte_lengths=token_byte_lengths(load_tokenizer("byte")),
                   log=lambda msg: None)


# --- schedule ------------------------------------------------------------------------------------

def test_learning_rate_warms_up_linearly_then_decays_by_cosine_to_the_floor():
    tc = TrainConfig(steps=100, lr=1.0, warmup=10, min_lr_frac=0.1)
    assert lr_at(1, tc) == pytest.approx(0.1) and lr_at(10, tc) == pytest.approx(1.0)
    assert lr_at(55, tc) == pytest.approx(0.55)            # halfway down the cosine
    assert lr_at(100, tc) == pytest.approx(0.1)
    assert all(lr_at(s, tc) >= lr_at(s + 1, tc) for s in range(10, 100))


def test_a_run_started_from_a_models_weights_warms_up_and_decays_from_its_first_step():
    tc = TrainConfig(steps=300, lr=1.0, warmup=10, min_lr_frac=0.1, first_step=200)
    assert lr_at(201, tc) == pytest.approx(0.1) and lr_at(210, tc) == pytest.approx(1.0)
    assert lr_at(255, tc) == pytest.approx(0.55)
    assert lr_at(300, tc) == pytest.approx(0.1)


@pytest.mark.parametrize("first", [-1, 7, "3", True, 2.0])
def test_a_checkpoint_whose_first_step_is_not_a_step_of_its_run_is_corrupt(first):
    ck = types.SimpleNamespace(path="m.ckpt", step=6, train_state={"train_config": {"first_step": first}})
    with pytest.raises(CheckpointError, match="corrupt checkpoint: first_step"):
        first_step_of(ck)


def test_bits_per_byte_of_byte_tokens_is_loss_over_log2(shards, tmp_path):
    tr = make_trainer(shards, tmp_path, backend="numpy")
    loss, bpb = tr.evaluate(max_batches=2)
    assert bpb == pytest.approx(loss / math.log(2), rel=1e-9)   # one byte per token (eot counts as one)


# --- training ------------------------------------------------------------------------------------

def test_training_lowers_the_loss(shards, tmp_path):
    tr = make_trainer(shards, tmp_path, steps=30)
    tr.tc.eval_every = 0
    tr.run()
    h = tr.history["loss"]
    assert np.mean(h[-5:]) < np.mean(h[:5]) - 0.5


def test_a_resumed_run_gives_bit_identical_losses_on_c(shards, tmp_path):
    whole = make_trainer(shards, tmp_path / "whole")
    whole.run()

    killed = make_trainer(shards, tmp_path / "killed")
    real_step, calls = killed.train_step, []

    def step_then_die():
        if len(calls) == 4:                           # killed during step 4, after the step-3 checkpoint
            raise KeyboardInterrupt
        calls.append(1)
        return real_step()
    killed.train_step = step_then_die
    with pytest.raises(KeyboardInterrupt):
        killed.run()

    resumed = make_trainer(shards, tmp_path / "killed")   # a fresh process would build exactly this
    resumed.resume(resumed.ckpt_path)
    assert resumed.step == 3
    resumed.run()
    assert resumed.history["loss"] == whole.history["loss"]          # exact float equality
    assert np.array_equal(resumed.model.params, whole.model.params)


def test_a_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(shards, tmp_path):
    tr = make_trainer(shards, tmp_path, steps=6)
    real_step = tr.train_step

    def step():
        if tr.step == 4:
            tr.model.params[0] = np.nan               # the run blows up after the step-3 checkpoint
        return real_step()
    tr.train_step = step
    with pytest.raises(TrainingDiverged, match=r"loss is nan at step 5.*model.ckpt \(step 3\)"):
        tr.run()
    ck = load_checkpoint(tr.ckpt_path)
    assert ck.step == 3 and np.isfinite(ck.params).all()


def test_resume_refuses_a_checkpoint_of_another_config(shards, tmp_path):
    tr = make_trainer(shards, tmp_path, steps=3)
    tr.run()
    other = GPT(GPTConfig(vocab_size=257, block_size=32, n_layer=1, n_head=2, n_embd=32), pystory.backend("c"))
    tr2 = Trainer(other, tr.loader, tr.tc, log=lambda m: None)
    with pytest.raises(ValueError, match="another model config: n_layer 2"):
        tr2.resume(tr.ckpt_path)


# --- the command line ----------------------------------------------------------------------------

def run_cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "pystory", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_train_command_trains_resumes_writes_the_curve_and_ships(shards, tmp_path):
    out = tmp_path / "run"
    common = ["train", "--backend", "c", "--corpus", shards, "--config", "tiny", "--set", "block_size=32",
              "--batch-size", "2", "--eval-every", "2", "--eval-batches", "1", "--ckpt-every", "2",
              "--out", str(out)]
    r = run_cli(*common, "--steps", "2")
    assert r.returncode == 0, r.stderr
    assert "val bits/byte" in r.stdout and os.path.exists(out / "loss.png")
    r = run_cli(*common, "--steps", "4", "--resume", "--ship", str(out / "ship.ckpt"))
    assert r.returncode == 0, r.stderr
    assert "resumed from" in r.stdout and "step     3/4" in r.stdout
    assert load_checkpoint(out / "ship.ckpt").m is None


def test_train_command_reports_a_missing_corpus(tmp_path):
    r = run_cli("train", "--corpus", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "no such file or folder" in r.stderr


def test_the_shipped_model_and_its_tokenizer_are_in_the_package():
    from pystory.checkpoint import load_checkpoint
    ck = load_checkpoint(SHIPPED_MODEL)
    assert ck.tokenizer == "byte" or os.path.exists(os.path.join(os.path.dirname(SHIPPED_MODEL), ck.tokenizer))


def test_make_story_command_prints_a_story_with_the_shipped_model():
    # what `make story` runs, on the c backend, kept short
    r = run_cli("story", "--prompt", "Once upon a time", "--seed", "1", "--temperature", "0.8",
                "--max-tokens", "120")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Once upon a time") and len(r.stdout) > 60


def test_story_is_reproducible_for_a_seed():
    a = run_cli("story", "--seed", "5", "--max-tokens", "60").stdout
    b = run_cli("story", "--seed", "5", "--max-tokens", "60").stdout
    assert a == b


def test_eval_command_reports_loss_and_bits_per_byte(tmp_path):
    p = tmp_path / "val.txt"
    write_corpus(p, generate_stories(5, seed=123))
    r = run_cli("eval", "--corpus", str(p))
    assert r.returncode == 0, r.stderr
    assert "bits/byte" in r.stdout


def test_story_refuses_a_corrupt_model_file(tmp_path):
    p = tmp_path / "bad.ckpt"
    p.write_bytes(b"PYSTGPT2" + b"\x00" * 50)
    r = run_cli("story", "--model", str(p), "--max-tokens", "5")
    assert r.returncode == 2 and "corrupt checkpoint" in r.stderr
