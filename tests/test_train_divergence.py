"""Training never saves a broken model: the checkpoint of step s is written only after step s + 1's
forward pass has shown its parameters give a healthy loss; a non-finite or runaway loss stops the run
and the checkpoint on disk is one from before the trouble began."""
import os
import re

import numpy as np
import pytest

import pystory
from pystory.checkpoint import CheckpointError, load_checkpoint
from pystory.data.corpus import write_corpus
from pystory.data.loader import BatchLoader
from pystory.data.storyworld import generate_stories
from pystory.gpt import GPT, GPTConfig
from pystory.gpt_cli import prepare_shards
from pystory.tokenizer import load_tokenizer
from pystory.train import Trainer, TrainConfig, TrainingDiverged

TINY = GPTConfig(vocab_size=257, block_size=32, n_layer=2, n_head=2, n_embd=32)


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    d = tmp_path_factory.mktemp("corpus")
    stories = generate_stories(60, seed=1)
    write_corpus(d / "train.txt", stories[:50])
    write_corpus(d / "val.txt", stories[50:])
    return prepare_shards(str(d), load_tokenizer("byte"), str(d / "run"))


def make_trainer(shards, out_dir, steps=8, ckpt_every=2, **kw):
    tc = TrainConfig(steps=steps, batch_size=2, lr=3e-3, warmup=2, eval_every=0, ckpt_every=ckpt_every,
                     out_dir=str(out_dir), **kw)
    loader = BatchLoader(shards, 2, TINY.block_size, seed=0, split="train")
    model = GPT(TINY, pystory.backend("c")).init_weights(seed=0)
    return Trainer(model, loader, tc, log=lambda msg: None)


def break_update_at(tr, step, how):
    """Make the optimizer update of `step` produce broken parameters."""
    real = tr.model.update

    def update(lr, t, **kw):
        real(lr, t, **kw)
        if t == step:
            how(tr.model.params)
    tr.model.update = update


def test_parameters_made_nan_by_an_update_are_never_saved(shards, tmp_path):
    tr = make_trainer(shards, tmp_path)

    def nan(p):
        p[0] = np.nan
    break_update_at(tr, 4, nan)                   # the checkpoint of step 4 would hold them
    with pytest.raises(TrainingDiverged, match=r"loss is nan at step 5.*model.ckpt \(step 2\)"):
        tr.run()
    ck = load_checkpoint(tr.ckpt_path)
    assert ck.step == 2 and np.isfinite(ck.params).all()


def test_exploded_but_finite_parameters_are_never_saved(shards, tmp_path):
    tr = make_trainer(shards, tmp_path)

    def explode(p):
        p *= 300.0
    break_update_at(tr, 4, explode)
    with pytest.raises(TrainingDiverged, match=r"smoothed loss rose .* at step 5.*its best.*\(step 2\)"):
        tr.run()
    assert load_checkpoint(tr.ckpt_path).step == 2


def test_a_slowly_rising_loss_stops_the_run_and_keeps_a_checkpoint_from_before_the_rise(shards, tmp_path):
    tr = make_trainer(shards, tmp_path, steps=200, ckpt_every=5, diverge_nats=1.0)
    real = tr.model.forward

    def forward(x, y=None, **kw):                 # from step 60 on, the loss climbs 0.1 nats per step
        logits, loss = real(x, y, **kw)
        return logits, loss + max(0, tr.step + 1 - 60) * 0.1
    tr.model.forward = forward
    with pytest.raises(TrainingDiverged, match=r"rose to .* above its best") as e:
        tr.run()
    best_step = int(re.search(r"its best \([\d.]+ at step (\d+)\)", str(e.value)).group(1))
    ck = load_checkpoint(tr.ckpt_path)
    assert 60 <= best_step < 70 and ck.step < best_step, e.value   # saved before the rise began
    assert tr.step < 120                                            # and the run did not climb for long
    assert f"model.ckpt (step {ck.step})" in str(e.value)
    assert not os.path.exists(tmp_path / "model.prev.ckpt")         # the spare went back into model.ckpt


def test_a_loss_that_recovers_drops_the_spare_checkpoint(shards, tmp_path):
    tr = make_trainer(shards, tmp_path, steps=120, ckpt_every=5, diverge_nats=1.0)
    real = tr.model.forward

    def forward(x, y=None, **kw):                 # a bump of +0.6 nats between steps 40 and 60
        logits, loss = real(x, y, **kw)
        return logits, loss + (0.6 if 40 <= tr.step + 1 < 60 else 0.0)
    tr.model.forward = forward
    spare_seen = []
    real_save = tr.save

    def save(*a, **kw):
        real_save(*a, **kw)
        spare_seen.append(os.path.exists(tmp_path / "model.prev.ckpt"))
    tr.save = save
    tr.run()
    assert any(spare_seen)                      # kept aside during the bump, dropped by the end
    assert load_checkpoint(tr.ckpt_path).step == 120
    assert not os.path.exists(tmp_path / "model.prev.ckpt")


def test_a_non_finite_gradient_stops_the_run(shards, tmp_path):
    tr = make_trainer(shards, tmp_path)
    real = tr.model.backward

    def backward():
        real()
        if tr.step == 3:
            tr.model.grads[7] = np.inf
    tr.model.backward = backward
    with pytest.raises(TrainingDiverged, match=r"gradient norm is (inf|nan) at step 4.*\(step 2\)"):
        tr.run()


def test_a_healthy_run_saves_its_last_step(shards, tmp_path):
    tr = make_trainer(shards, tmp_path, steps=5, ckpt_every=0)
    tr.run()
    assert load_checkpoint(tr.ckpt_path).step == 5


def test_resuming_a_checkpoint_saved_mid_step_is_exact(shards, tmp_path):
    flat = dict(ckpt_every=3, min_lr_frac=1.0)      # a schedule that does not depend on --steps
    whole = make_trainer(shards, tmp_path / "whole", steps=7, **flat)
    whole.run()
    part = make_trainer(shards, tmp_path / "part", steps=4, **flat)
    part.run()                                   # stops at 4: checkpoint of step 4 (the final one)
    resumed = make_trainer(shards, tmp_path / "part", steps=7, **flat)
    resumed.resume(resumed.ckpt_path)
    assert resumed.step == 4
    resumed.run()
    assert resumed.history["loss"] == whole.history["loss"]
    assert np.array_equal(resumed.model.params, whole.model.params)


def test_loading_a_checkpoint_of_non_finite_parameters_is_refused(shards, tmp_path):
    tr = make_trainer(shards, tmp_path, steps=2, ckpt_every=0)
    tr.run()
    data = bytearray(open(tr.ckpt_path, "rb").read())
    import json
    import struct
    import zlib
    hlen = struct.unpack("<Q", data[8:16])[0]
    payload = np.frombuffer(bytes(data[20 + hlen:]), np.float32).copy()
    payload[11] = np.inf
    body = bytes(data[20:20 + hlen]) + payload.tobytes()
    json.loads(data[20:20 + hlen])
    open(tr.ckpt_path, "wb").write(bytes(data[:16]) + struct.pack("<I", zlib.crc32(body)) + body)
    with pytest.raises(CheckpointError, match="holds NaN or inf"):
        load_checkpoint(tr.ckpt_path)
    assert os.path.exists(tr.ckpt_path)
