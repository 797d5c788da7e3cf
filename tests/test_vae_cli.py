"""Chapter 04: `python -m pystory vae ...` end to end on a tiny config, and its one-line errors."""
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED = os.path.join(ROOT, "pystory", "models", "vae.ckpt")


def vae(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "pystory", "vae", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def no_traceback(r):
    return "Traceback" not in r.stderr and "Traceback" not in r.stdout


TRAIN = ["train", "--config", "tiny", "--stories", "30", "--batch-size", "16", "--eval-every", "0",
         "--kl-schedule", "cyclical", "--word-dropout", "0.2", "--free-bits", "0.05"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("vae")
    r = vae(*TRAIN, "--steps", "6", "--ae-steps", "2", "--ckpt-every", "3", "--out", str(d / "run"),
            "--ship", str(d / "ship" / "vae.ckpt"))
    assert r.returncode == 0, r.stdout + r.stderr
    return d


def test_train_prints_progress_and_writes_a_checkpoint_and_a_shipped_copy(run_dir):
    assert (run_dir / "run" / "model.ckpt").is_file() and (run_dir / "run" / "vae.bpe").is_file()
    assert (run_dir / "ship" / "vae.ckpt").is_file() and (run_dir / "ship" / "vae.bpe").is_file()
    assert os.path.getsize(run_dir / "ship" / "vae.ckpt") < os.path.getsize(run_dir / "run" / "model.ckpt") / 2


def test_resume_continues_where_the_checkpoint_stopped(run_dir, tmp_path):
    import shutil
    shutil.copytree(run_dir / "run", tmp_path / "run")
    r = vae(*TRAIN, "--steps", "8", "--ae-steps", "2", "--out", str(tmp_path / "run"), "--resume")
    assert r.returncode == 0, r.stderr
    assert "resumed from" in r.stdout and "at step 6" in r.stdout and "step     8/8" in r.stdout


def test_eval_prints_every_number_of_the_table(run_dir, tmp_path):
    out = tmp_path / "r.json"
    r = vae("eval", "--model", str(run_dir / "ship" / "vae.ckpt"), "--stories", "30", "--n", "12", "--k", "5",
            "--json", str(out))
    assert r.returncode == 0, r.stderr
    for word in ("IW-NLL", "PPL", "ELBO", "KL", "MI", "AU", "recon acc"):
        assert word in r.stdout
    import json
    assert json.loads(out.read_text())["k"] == 5


def test_sample_reconstruct_and_interpolate_print_sentences(run_dir):
    m = ["--model", str(run_dir / "ship" / "vae.ckpt")]
    r = vae("sample", *m, "--n", "3", "--seed", "1", "--max-len", "8")
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 3, r.stderr
    again = vae("sample", *m, "--n", "3", "--seed", "1", "--max-len", "8")
    assert again.stdout == r.stdout                      # a seed gives the same sentences
    r = vae("reconstruct", *m, "Tom saw a big red ball.", "--samples", "1")
    assert r.returncode == 0 and r.stdout.count("input:") == 1 and "mean:" in r.stdout, r.stderr
    r = vae("interpolate", *m, "Mia was happy.", "The dog ran.", "--steps", "4")
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 4, r.stderr


@pytest.mark.skipif(not os.path.exists(SHIPPED), reason="no shipped VAE yet")
def test_the_shipped_vae_samples_and_interpolates():
    r = vae("sample", "--n", "2", "--seed", "3")
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 2, r.stderr
    r = vae("interpolate", "Lily went to the park.", "The cat was sad.", "--steps", "3")
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 3, r.stderr


@pytest.mark.parametrize("args, message", [
    (["sample", "--model", "/no/such.ckpt"], "no such file: /no/such.ckpt"),
    (["sample", "--model", "pystory/models/story.ckpt"], "is a float checkpoint; this needs a vae one"),
    (["sample", "--n", "0"], "argument --n: must be an integer in [1, 1000]"),
    (["sample", "--temperature", "nan"], "argument --temperature"),
    (["train", "--word-dropout", "1.5"], "argument --word-dropout"),
    (["train", "--kl-schedule", "cosine"], "argument --kl-schedule"),
    (["train", "--steps", "5", "--ae-steps", "5"], "--ae-steps 5 must be below --steps 5"),
    (["train", "--tokenizer", "/no/such.bpe", "--steps", "1"], "--tokenizer"),
    (["frobnicate"], "unknown command 'frobnicate'"),
])
def test_a_mistake_is_one_line_and_exit_code_2(args, message):
    r = vae(*args)
    assert r.returncode == 2 and message in r.stderr and no_traceback(r), r.stderr


def test_a_sentence_longer_than_the_vae_reads_is_refused(run_dir):
    r = vae("reconstruct", "--model", str(run_dir / "ship" / "vae.ckpt"), " ".join(["word"] * 60))
    assert r.returncode == 2 and "at most 48" in r.stderr and no_traceback(r)


def test_the_gpt_commands_refuse_a_vae_checkpoint(run_dir):
    r = subprocess.run([sys.executable, "-m", "pystory", "story", "--model", str(run_dir / "ship" / "vae.ckpt"),
                        "--max-tokens", "3"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 2 and "is a vae checkpoint; this needs a float or q8 or lora one" in r.stderr and no_traceback(r)


def test_a_corrupt_vae_checkpoint_is_refused(run_dir, tmp_path):
    import shutil
    bad = tmp_path / "vae.ckpt"
    shutil.copy(run_dir / "ship" / "vae.ckpt", bad)
    shutil.copy(run_dir / "ship" / "vae.bpe", tmp_path / "vae.bpe")
    data = bytearray(bad.read_bytes())
    data[-10] ^= 0xFF
    bad.write_bytes(bytes(data))
    r = vae("sample", "--model", str(bad))
    assert r.returncode == 2 and "checksum mismatch" in r.stderr and no_traceback(r)


def test_a_language_model_trains_and_evaluates(tmp_path):
    r = vae("train", "--config", "tiny", "--lm", "--stories", "20", "--steps", "3", "--batch-size", "8",
            "--eval-every", "0", "--out", str(tmp_path / "lm"))
    assert r.returncode == 0 and "GRU language model" in r.stdout, r.stderr
    r = vae("eval", "--model", str(tmp_path / "lm" / "model.ckpt"), "--stories", "20", "--n", "8", "--k", "3")
    assert r.returncode == 0 and "AU 0/0" in r.stdout, r.stderr
    r = vae("interpolate", "--model", str(tmp_path / "lm" / "model.ckpt"), "A.", "B.")
    assert r.returncode == 2 and "language model" in r.stderr and no_traceback(r)


def test_train_reads_any_tinystories_format_corpus(tmp_path):
    from pystory.data.corpus import write_corpus
    from pystory.data.storyworld import generate_stories
    corpus = tmp_path / "stories.txt"
    write_corpus(str(corpus), generate_stories(40, seed=5))
    r = vae("train", "--config", "tiny", "--corpus", str(corpus), "--steps", "2", "--batch-size", "8",
            "--eval-every", "0", "--out", str(tmp_path / "run"))
    assert r.returncode == 0 and "training sentences" in r.stdout, r.stderr
