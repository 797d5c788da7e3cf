"""Chapter 06: checkpoints round-trip, and a wrong or damaged file is refused with a message that says why."""
import glob
import os

import numpy as np
import pytest

import pystory
from pystory.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from pystory.gpt import GPT, GPTConfig

TINY = GPTConfig(vocab_size=64, block_size=16, n_layer=2, n_head=2, n_embd=32)


@pytest.fixture
def model():
    m = GPT(TINY, pystory.backend("numpy")).init_weights(seed=0)
    m.m[...] = 0.5
    m.v[...] = 0.25
    return m


@pytest.fixture
def saved(tmp_path, model):
    return save_checkpoint(tmp_path / "model.ckpt", model, step=7, train_state={"note": "x"})


def test_float32_checkpoint_round_trips_exactly(saved, model):
    ck = load_checkpoint(saved, expected_config=TINY, expected_vocab=64)
    assert ck.config == TINY and ck.step == 7 and ck.train_state == {"note": "x"}
    assert np.array_equal(ck.params, model.params)
    assert np.array_equal(ck.m, model.m) and np.array_equal(ck.v, model.v)


def test_float16_shipping_checkpoint_is_smaller_and_close(tmp_path, model, saved):
    path = save_checkpoint(tmp_path / "ship.ckpt", model, dtype="float16", optimizer=False)
    ck = load_checkpoint(path)
    assert ck.m is None and ck.params.dtype == np.float32
    np.testing.assert_allclose(ck.params, model.params, rtol=1e-3, atol=1e-4)
    assert os.path.getsize(path) < os.path.getsize(saved) / 5


def test_writing_leaves_no_temporary_file(tmp_path, saved):
    assert sorted(os.listdir(tmp_path)) == ["model.ckpt"]


def test_a_failed_write_keeps_the_previous_checkpoint(tmp_path, saved, model, monkeypatch):
    before = open(saved, "rb").read()

    def crash(*a):
        raise OSError("disk full")
    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(saved, model, step=8)
    assert open(saved, "rb").read() == before
    assert glob.glob(str(tmp_path / "*.tmp*")) == []


def test_a_checkpoint_from_another_config_is_refused(saved):
    other = GPTConfig(vocab_size=64, block_size=16, n_layer=3, n_head=2, n_embd=32)
    with pytest.raises(CheckpointError, match=r"another model config: n_layer 2 \(expected 3\)"):
        load_checkpoint(saved, expected_config=other)


def test_a_checkpoint_for_another_vocab_is_refused(saved):
    with pytest.raises(CheckpointError, match="vocab size 64 does not match the tokenizer's 257"):
        load_checkpoint(saved, expected_vocab=257)


def test_a_flipped_byte_is_refused_as_corrupt(saved):
    data = bytearray(open(saved, "rb").read())
    data[-100] ^= 0xFF
    open(saved, "wb").write(bytes(data))
    with pytest.raises(CheckpointError, match="corrupt checkpoint: checksum mismatch"):
        load_checkpoint(saved)


def test_a_truncated_file_is_refused_as_corrupt(saved):
    data = open(saved, "rb").read()
    open(saved, "wb").write(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt checkpoint"):
        load_checkpoint(saved)


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    p = tmp_path / "story.txt"
    p.write_text("Once upon a time")
    with pytest.raises(CheckpointError, match="not a pystory GPT checkpoint"):
        load_checkpoint(p)


def test_a_missing_file_is_refused_with_its_name(tmp_path):
    with pytest.raises(CheckpointError, match="nope.ckpt: cannot read"):
        load_checkpoint(tmp_path / "nope.ckpt")


def test_error_messages_name_the_file(saved):
    with pytest.raises(CheckpointError, match=str(saved).replace("\\", "\\\\")):
        load_checkpoint(saved, expected_vocab=1)
