"""The commands that write: nothing is lost (locks, resume, Ctrl-C, a full disk), every write is atomic,
and the learner can reproduce what they saw (seeds, defaults in --help)."""
import errno
import os
import re
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

from pystory import cli
from pystory.checkpoint import load_checkpoint
from pystory.data.corpus import write_corpus
from pystory.data.storyworld import generate_stories
from pystory.tokenizer import BPETokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sigint_default():
    """In the child: Ctrl-C back to its default, so Python installs KeyboardInterrupt even when the suite
    itself was started with SIGINT ignored (a background job of a non-interactive shell)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run(argv):
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    return e.value.code


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("corpus")
    stories = generate_stories(60, seed=1)
    write_corpus(d / "train.txt", stories[:50])
    write_corpus(d / "val.txt", stories[50:])
    return d


def tiny(corpus, out, *extra):
    return ["train", "--corpus", str(corpus), "--config", "tiny", "--set", "block_size=32", "--batch-size", "2",
            "--eval-every", "0", "--eval-batches", "1", "--ckpt-every", "3", "--out", str(out), *extra]


def fail_writes_to(monkeypatch, name):
    """A disk that is full for files whose name contains `name` (fsync fails as a full disk's does)."""
    real = os.fsync

    def fsync(fd):
        if name in os.path.basename(os.readlink(f"/proc/self/fd/{fd}")):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)
    monkeypatch.setattr(os, "fsync", fsync)


needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")


# --- one run per --out, and Ctrl-C -----------------------------------------------------------------

def test_a_second_run_into_a_busy_out_is_refused_and_ctrl_c_says_where_the_checkpoint_is(corpus, tmp_path, capsys):
    out = tmp_path / "run"
    first = subprocess.Popen([sys.executable, "-m", "pystory", *tiny(corpus, out, "--steps", "100000")], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=sigint_default)
    guard = threading.Timer(120, first.kill)         # never hang the suite
    guard.start()
    try:
        for line in first.stdout:
            if line.startswith("step    10/"):          # training, checkpoints written
                break
        assert run(tiny(corpus, out, "--steps", "10", "--overwrite")) == 2
        err = capsys.readouterr().err
        assert f"in use by another run (pid {first.pid})" in err and len(err.strip().splitlines()) == 1
        for line in first.stdout:
            if line.startswith("step    20/"):
                break
        first.send_signal(signal.SIGINT)
        _, err = first.communicate(timeout=60)
    finally:
        guard.cancel()
        first.kill()
    assert first.returncode == 130, err
    assert "Traceback" not in err
    m = re.search(r"train: interrupted at step \d+; the last checkpoint is (\S+) \(step (\d+)\); "
                  r"continue with --resume", err)
    assert m, err
    assert load_checkpoint(m.group(1)).step == int(m.group(2)) >= 6


def test_a_new_run_into_an_out_that_holds_one_is_refused_unless_overwrite(corpus, tmp_path, capsys):
    out = tmp_path / "run"
    assert run(tiny(corpus, out, "--steps", "3")) == 0
    assert run(tiny(corpus, out, "--steps", "3")) == 2
    assert "already holds a training run (model.ckpt, step 3); add --resume" in capsys.readouterr().err
    assert run(tiny(corpus, out, "--steps", "4", "--overwrite")) == 0
    assert load_checkpoint(out / "model.ckpt").step == 4


# --- resume ----------------------------------------------------------------------------------------

def test_resume_counts_the_steps_it_trained_and_refuses_steps_not_beyond_the_checkpoint(corpus, tmp_path, capsys):
    out = tmp_path / "run"
    assert run(tiny(corpus, out, "--steps", "6")) == 0
    capsys.readouterr()
    assert run(["train", "--resume", "--out", str(out), "--steps", "4"]) == 2
    assert "--steps 4 is not beyond the checkpoint's step 6" in capsys.readouterr().err
    assert run(["train", "--resume", "--out", str(out), "--steps", "9"]) == 0
    stdout = capsys.readouterr().out
    assert "trained steps 7..9 (3 steps)" in stdout
    assert "B=2 T=32" in stdout                    # the run's own settings, not the defaults


def test_resume_finds_the_runs_own_tokenizer(corpus, tmp_path, capsys):
    tok = BPETokenizer.train((corpus / "train.txt").read_bytes(), 300, backend="c")
    tok.save(str(tmp_path / "story.bpe"))
    out = tmp_path / "run"
    assert run(tiny(corpus, out, "--steps", "3", "--tokenizer", str(tmp_path / "story.bpe"))) == 0
    assert (out / "story.bpe").is_file() and load_checkpoint(out / "model.ckpt").tokenizer == "story.bpe"
    ship = tmp_path / "shipped" / "m.ckpt"
    assert run(["train", "--resume", "--out", str(out), "--steps", "5", "--ship", str(ship)]) == 0
    assert (ship.parent / "story.bpe").is_file()
    capsys.readouterr()
    assert run(["story", "--model", str(ship), "--seed", "1", "--max-tokens", "20"]) == 0
    assert capsys.readouterr().out.startswith("Once upon a time")


def test_resume_with_a_different_tokenizer_is_refused_with_a_hint(corpus, tmp_path, capsys):
    out = tmp_path / "run"
    assert run(tiny(corpus, out, "--steps", "3")) == 0
    BPETokenizer(np.array([[104, 101]], np.int32)).save(str(tmp_path / "other.bpe"))
    assert run(["train", "--resume", "--out", str(out), "--steps", "5", "--tokenizer", str(tmp_path / "other.bpe")]) == 2
    assert "give the tokenizer it was trained with" in capsys.readouterr().err


# --- init: a new run from a model's weights ------------------------------------------------------

def test_init_starts_from_the_shipped_weights_and_goes_on_with_their_step_and_history(corpus, tmp_path, capsys):
    first, ship = tmp_path / "first", tmp_path / "ship" / "m.ckpt"
    assert run(tiny(corpus, first, "--steps", "4", "--ship", str(ship))) == 0
    capsys.readouterr()
    out = tmp_path / "more"
    assert run(["train", "--init", str(ship), "--corpus", str(corpus), "--steps", "6", "--batch-size", "2",
                "--warmup", "1", "--eval-every", "0", "--eval-batches", "1", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "warmup and cosine over steps 5..6" in stdout and "trained steps 5..6 (2 steps)" in stdout
    ck, shipped = load_checkpoint(out / "model.ckpt"), load_checkpoint(ship)
    assert ck.config == shipped.config and ck.step == 6 and ck.m is not None
    assert ck.train_state["history"]["step"] == [1, 2, 3, 4, 5, 6]      # the shipped run's curve, then this one's
    assert ck.train_state["train_config"]["first_step"] == 4


def test_init_gives_the_first_step_the_warmup_lr_not_the_end_of_the_old_cosine(corpus, tmp_path, capsys):
    ship = tmp_path / "ship" / "m.ckpt"
    assert run(tiny(corpus, tmp_path / "first", "--steps", "3", "--ship", str(ship))) == 0
    capsys.readouterr()
    assert run(["train", "--init", str(ship), "--corpus", str(corpus), "--steps", "13", "--batch-size", "2",
                "--lr", "0.01", "--warmup", "2", "--eval-every", "0", "--eval-batches", "1",
                "--out", str(tmp_path / "more")]) == 0
    assert re.search(r"step +4/13 \| loss [\d.]+ \| lr 5\.00e-03", capsys.readouterr().out)


def test_a_resumed_init_run_keeps_its_schedule(corpus, tmp_path, capsys):
    ship, out = tmp_path / "ship" / "m.ckpt", tmp_path / "more"
    assert run(tiny(corpus, tmp_path / "first", "--steps", "3", "--ship", str(ship))) == 0
    argv = ["train", "--init", str(ship), "--corpus", str(corpus), "--batch-size", "2", "--lr", "0.01",
            "--warmup", "2", "--eval-every", "0", "--eval-batches", "1", "--ckpt-every", "1", "--out", str(out)]
    assert run(argv + ["--steps", "7"]) == 0
    straight = capsys.readouterr().out
    assert run(argv + ["--steps", "5", "--overwrite"]) == 0
    assert run(["train", "--resume", "--out", str(out), "--steps", "7"]) == 0
    resumed = capsys.readouterr().out
    line = re.compile(r"step +7/7 \| loss [\d.]+ \| lr [\d.e+-]+")
    assert line.search(resumed).group() == line.search(straight).group()


@pytest.mark.parametrize("extra, message", [
    (["--resume"], "--init starts a new run from a model's weights, --resume continues a run: give one"),
    (["--set", "n_layer=3"], "leave them out (the weights fix the model's shape)"),
    (["--steps", "3"], "--steps 3 is not beyond --init's step 3"),
])
def test_init_refuses_what_contradicts_the_weights(extra, message, corpus, tmp_path, capsys):
    ship = tmp_path / "ship" / "m.ckpt"
    assert run(tiny(corpus, tmp_path / "first", "--steps", "3", "--ship", str(ship))) == 0
    capsys.readouterr()
    argv = ["train", "--init", str(ship), "--corpus", str(corpus), "--out", str(tmp_path / "more"), "--steps", "5"]
    assert run(argv + extra) == 2
    assert message in capsys.readouterr().err


def test_init_refuses_a_checkpoint_that_is_not_a_float_model(corpus, tmp_path, capsys):
    ship, q8 = tmp_path / "ship" / "m.ckpt", tmp_path / "ship" / "m.q8.ckpt"
    assert run(tiny(corpus, tmp_path / "first", "--steps", "3", "--ship", str(ship))) == 0
    assert run(["quantize", "--model", str(ship), "--out", str(q8)]) == 0
    capsys.readouterr()
    out = tmp_path / "more"
    assert run(["train", "--init", str(q8), "--corpus", str(corpus), "--out", str(out), "--steps", "5"]) == 2
    assert "m.q8.ckpt is a q8 checkpoint; --init starts from float weights" in capsys.readouterr().err
    assert not out.exists()


def test_eval_scores_a_corpus_file_as_training_scores_its_validation_split(corpus, tmp_path, capsys):
    from pystory.data.loader import BatchLoader
    from pystory.gpt_cli import load_model
    out = tmp_path / "run"
    assert run(tiny(corpus, out, "--steps", "3")) == 0
    capsys.readouterr()
    assert run(["eval", "--model", str(out / "model.ckpt"), "--corpus", str(corpus / "val.txt"),
                "--max-tokens", "0", "--backend", "numpy"]) == 0
    printed = float(re.search(r"loss ([\d.]+) nats/token", capsys.readouterr().out).group(1))
    model, tok, _ = load_model(str(out / "model.ckpt"), "numpy", None)
    val = BatchLoader(str(out / "data"), 8, model.cfg.block_size, seed=0, split="val", expected_vocab=tok.vocab_size)
    nats = tokens = 0
    for w in val.eval_batches():
        nats += model.forward(np.ascontiguousarray(w[:, :-1]), np.ascontiguousarray(w[:, 1:]))[1] * w[:, 1:].size
        tokens += w[:, 1:].size
    assert printed == pytest.approx(nats / tokens, abs=1e-4)


def test_a_temporary_left_by_a_killed_run_is_cleaned_at_start(corpus, tmp_path):
    out = tmp_path / "run"
    assert run(tiny(corpus, out, "--steps", "3")) == 0
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = out / f".tmp-{dead.pid}-xyz-model.ckpt"
    stale.write_bytes(b"half")
    assert run(["train", "--resume", "--out", str(out), "--steps", "4"]) == 0
    assert not stale.exists()


# --- a full disk, a folder it may not write, and every write atomic -----------------------------------

@needs_proc
def test_a_full_disk_during_a_checkpoint_is_one_line_and_keeps_the_old_one(corpus, tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    assert run(tiny(corpus, out, "--steps", "3")) == 0
    before = (out / "model.ckpt").read_bytes()
    fail_writes_to(monkeypatch, "model.ckpt")
    capsys.readouterr()
    assert run(["train", "--resume", "--out", str(out), "--steps", "6"]) == 2
    err = capsys.readouterr().err
    assert "no space left on the disk writing" in err and "model.ckpt" in err and len(err.strip().splitlines()) == 1
    assert (out / "model.ckpt").read_bytes() == before
    assert not [n for n in os.listdir(out) if n.startswith(".tmp-")]


@pytest.mark.parametrize("target, argv", [
    ("ids.npy", ["tokenizer", "encode", "--tokenizer", "byte", "--text", "hi", "--out", "{t}/ids.npy"]),
    ("run/data/SOURCE", ["train", "--corpus", "{c}", "--config", "tiny", "--steps", "1", "--out", "{t}/run"]),
    ("run/loss.png", ["train", "--corpus", "{c}", "--config", "tiny", "--set", "block_size=32", "--steps", "1",
                      "--batch-size", "2", "--eval-batches", "1", "--out", "{t}/run"]),
    ("ship/story.bpe", ["train", "--corpus", "{c}", "--config", "tiny", "--set", "block_size=32", "--steps", "1",
                        "--batch-size", "2", "--eval-batches", "1", "--tokenizer", "{t}/story.bpe", "--out",
                        "{t}/run", "--ship", "{t}/ship/m.ckpt"]),
    ("data/train.txt", ["data", "--stories", "5", "--out", "{t}/data"]),
])
@needs_proc
def test_every_write_is_atomic_so_a_full_disk_leaves_no_partial_file(target, argv, corpus, tmp_path, monkeypatch,
                                                                      capsys):
    BPETokenizer(np.array([[104, 101]], np.int32)).save(str(tmp_path / "story.bpe"))
    folder, name = os.path.split(str(tmp_path / target))
    real = os.fsync

    def fsync(fd):                                   # the disk is full for `target` only
        path = os.readlink(f"/proc/self/fd/{fd}")
        if os.path.dirname(path) == folder and name in os.path.basename(path):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)
    monkeypatch.setattr(os, "fsync", fsync)
    assert run([a.format(t=tmp_path, c=corpus) for a in argv]) == 2
    err = capsys.readouterr().err
    assert "no space left on the disk writing" in err and target in err and len(err.strip().splitlines()) == 1
    assert not os.path.exists(tmp_path / target)
    assert not [f for _, _, fs in os.walk(tmp_path) for f in fs if f.startswith(".tmp-")]


@needs_proc
def test_grade_json_is_written_atomically(tmp_path, monkeypatch, capsys):
    import pystory.grading as grading
    monkeypatch.setattr(grading, "grade", lambda *a, **k: (1.0, 1.0, []))
    fail_writes_to(monkeypatch, "result.json")
    assert run(["grade", "00", "--json", str(tmp_path / "result.json")]) == 2
    assert "result.json" in capsys.readouterr().err and os.listdir(tmp_path) == []


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB tmpfs: a real full disk (needs root and a container that may mount; else skipped)."""
    d = tmp_path / "disk"
    d.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(d)], capture_output=True)
    if r.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    yield d
    subprocess.run(["umount", str(d)], check=True)


def test_a_really_full_disk_is_one_line(small_disk, capsys):
    assert run(["data", "--stories", "2000", "--out", str(small_disk / "data")]) == 2
    err = capsys.readouterr().err
    assert "no space left on the disk writing" in err and "train.txt" in err and len(err.strip().splitlines()) == 1
    assert not [f for f in os.listdir(small_disk / "data") if f.startswith(".tmp-")]


@pytest.fixture
def read_only_dir(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    if os.geteuid() != 0:
        d.chmod(0o555)
        yield d
        d.chmod(0o755)
        return
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(d)], capture_output=True)
    if r.returncode:
        pytest.skip(f"root, and cannot mount a read-only tmpfs here: {r.stderr.decode().strip()}")
    yield d
    subprocess.run(["umount", str(d)], check=True)


def test_a_read_only_out_is_one_line(read_only_dir, capsys):
    assert run(["data", "--stories", "5", "--out", str(read_only_dir)]) == 2
    err = capsys.readouterr().err
    assert "not allowed to write" in err and str(read_only_dir) in err and len(err.strip().splitlines()) == 1


# --- story: the seed, tokens/s, Ctrl-C --------------------------------------------------------------

def test_story_prints_the_seed_it_chose_and_that_seed_tells_the_same_story(capsys):
    assert run(["story", "--max-tokens", "30"]) == 0
    out, err = capsys.readouterr()
    seed = re.search(r"\[seed (\d+): add --seed \1 to tell this story again\]", err).group(1)
    assert run(["story", "--max-tokens", "30", "--seed", seed]) == 0
    assert capsys.readouterr().out == out


def test_story_stats_are_tokens_per_second(capsys):
    assert run(["story", "--max-tokens", "25", "--seed", "3", "--stats"]) == 0
    err = capsys.readouterr().err
    assert re.search(r"\[\d+ tokens in [\d.]+ s: [\d.]+ tokens/s", err), err


def test_ctrl_c_during_a_story_is_one_line(monkeypatch, capsys):
    import pystory.sample

    def interrupted(*a, **k):
        raise KeyboardInterrupt
        yield
    monkeypatch.setattr(pystory.sample, "generate", interrupted)
    assert run(["story", "--seed", "1"]) == 130
    err = capsys.readouterr().err
    assert err.strip() == "story: interrupted (Ctrl-C)"


# --- --help shows the defaults -----------------------------------------------------------------------

@pytest.mark.parametrize("argv, defaults", [
    (["train"], ["(default: 2000)", "(default: 0.001)", "(default: runs/gpt)", "(default: c)", "(default: 0)"]),
    (["story"], ["(default: 0.8)", "(default: 1000)", "(default: Once upon a time)"]),
    (["eval"], ["(default: data/storyworld/val.txt)", "(default: 200000)"]),
    (["data"], ["(default: 50000)", "(default: data/storyworld)", "(default: 0.02)"]),
    (["data", "tokenize"], ["(default: byte)", "(default: 100000000)"]),
    (["tokenizer", "train"], ["(default: 4096)", "(default: 0)"]),
])
def test_help_shows_every_default(argv, defaults, capsys):
    assert run(argv + ["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for d in defaults:
        assert d in text, (d, text)
