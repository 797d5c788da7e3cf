"""Chapter 06: checkpoints round-trip, and a wrong or damaged file is refused with a message that says why."""
import glob
import os

import numpy as np
import pytest

import pystory
from pystory.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from pystory.gpt import GPT, GPTConfig

TINY = GPTConfig(vocab_size=257, block_size=16, n_layer=2, n_head=2, n_embd=32)


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
    ck = load_checkpoint(saved, expected_config=TINY, expected_vocab=257)
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
    other = GPTConfig(vocab_size=257, block_size=16, n_layer=3, n_head=2, n_embd=32)
    with pytest.raises(CheckpointError, match=r"another model config: n_layer 2 \(expected 3\)"):
        load_checkpoint(saved, expected_config=other)


def test_a_checkpoint_for_another_vocab_is_refused(saved):
    with pytest.raises(CheckpointError, match="vocab size 257 does not match the tokenizer's 4096"):
        load_checkpoint(saved, expected_vocab=4096)


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


# --- format 2: the checksum covers the header; nothing in the header is trusted -----------------

import json  # noqa: E402
import struct  # noqa: E402
import zlib  # noqa: E402

from pystory.checkpoint import (MAGIC_V1, load_tokenizer_of, tokenizer_sha256,  # noqa: E402
                                upgrade_checkpoint)
from pystory.tokenizer import BPETokenizer, load_tokenizer  # noqa: E402


def read_parts(path):
    data = open(path, "rb").read()
    hlen, _ = struct.unpack("<QI", data[8:20])
    return json.loads(data[20:20 + hlen]), data[20 + hlen:]


def write_parts(path, header, payload, fix_checksum=True, crc=None):
    body = json.dumps(header).encode()
    if crc is None:
        crc = zlib.crc32(body + payload) if fix_checksum else 0
    open(path, "wb").write(b"PYSTGPT2" + struct.pack("<QI", len(body), crc) + body + payload)


def tamper(path, fix_checksum=True, **fields):
    """Edit header fields; with fix_checksum, recompute the CRC too (a deliberate forgery)."""
    header, payload = read_parts(path)
    old_crc = struct.unpack("<I", open(path, "rb").read()[16:20])[0]
    header.update(fields)
    write_parts(path, header, payload, crc=None if fix_checksum else old_crc)


def test_an_edited_header_is_refused_by_the_checksum(saved):
    tamper(saved, fix_checksum=False, config={**TINY.to_dict(), "n_head": 4})   # same parameter count
    with pytest.raises(CheckpointError, match="checksum mismatch"):
        load_checkpoint(saved)


@pytest.mark.parametrize("name", ["/etc/passwd", "../../../etc/passwd", "sub/tok.bpe", ".hidden", "..", ""])
def test_a_tokenizer_path_in_the_header_is_refused_and_never_printed(saved, name):
    tamper(saved, tokenizer=name)
    ck = load_checkpoint(saved)                       # the checksum is right: the file itself is intact
    with pytest.raises(CheckpointError, match="refused") as e:
        load_tokenizer_of(ck)
    assert "passwd" not in str(e.value) and "root:" not in str(e.value)


def test_a_tokenizer_link_out_of_the_folder_is_refused(tmp_path, model):
    outside = tmp_path / "outside"
    outside.mkdir()
    bpe_with_vocab(300).save(str(outside / "t.bpe"))
    run = tmp_path / "run"
    run.mkdir()
    os.symlink(outside / "t.bpe", run / "t.bpe")
    header, payload = read_parts(save_checkpoint(run / "m.ckpt", model))
    header.update(tokenizer="t.bpe")
    write_parts(run / "m.ckpt", header, payload)
    with pytest.raises(CheckpointError, match="link out of the checkpoint's folder"):
        load_tokenizer_of(load_checkpoint(run / "m.ckpt"))


TINY_BPE = GPTConfig(vocab_size=300, block_size=16, n_layer=2, n_head=2, n_embd=32)


def bpe_with_vocab(vocab, first=(104, 101)):
    merges = [first] + [(32, 97 + i % 26) for i in range(vocab - 258)]
    return BPETokenizer(np.array(merges, np.int32))


def test_the_tokenizer_beside_the_checkpoint_is_found_and_checked(tmp_path):
    tok = bpe_with_vocab(300)
    tok.save(str(tmp_path / "tok.bpe"))
    m = GPT(TINY_BPE, pystory.backend("numpy")).init_weights(seed=0)
    ck = load_checkpoint(save_checkpoint(tmp_path / "m.ckpt", m, tokenizer="tok.bpe"))
    assert np.array_equal(load_tokenizer_of(ck).merges, tok.merges)
    assert ck.meta["tokenizer_sha256"] == tokenizer_sha256(tok)


def test_a_swapped_tokenizer_with_the_same_vocab_size_is_refused(tmp_path):
    bpe_with_vocab(300).save(str(tmp_path / "tok.bpe"))
    m = GPT(TINY_BPE, pystory.backend("numpy")).init_weights(seed=0)
    path = save_checkpoint(tmp_path / "m.ckpt", m, tokenizer="tok.bpe")
    bpe_with_vocab(300, first=(116, 104)).save(str(tmp_path / "tok.bpe"))      # other merges, same size
    with pytest.raises(CheckpointError, match="not the tokenizer this model was trained with"):
        load_tokenizer_of(load_checkpoint(path))
    bpe_with_vocab(300).save(str(tmp_path / "elsewhere.bpe"))
    assert load_tokenizer_of(load_checkpoint(path), explicit=str(tmp_path / "elsewhere.bpe")).vocab_size == 300


def test_saving_refuses_a_tokenizer_that_is_not_beside_the_checkpoint(tmp_path, model):
    with pytest.raises(CheckpointError, match="not in the checkpoint's folder"):
        save_checkpoint(tmp_path / "m.ckpt", model, tokenizer="missing.bpe")
    with pytest.raises(CheckpointError, match="by a path"):
        save_checkpoint(tmp_path / "m.ckpt", model, tokenizer="/etc/passwd")


@pytest.mark.parametrize("field, value", [
    ("config", {**TINY.to_dict(), "n_layer": 2.5}),
    ("config", {**TINY.to_dict(), "n_layer": "2"}),
    ("config", {**TINY.to_dict(), "n_head": 3}),
    ("config", {**TINY.to_dict(), "extra": 1}),
    ("step", -1),
    ("step", True),
    ("sections", [["params", "float32", 10]]),
    ("sections", [["params", "float64", 1]]),
    ("sections", [["m", "float32", 1]]),
    ("sections", "params"),
    ("train_state", []),
    ("tokenizer", 7),
    ("tokenizer_sha256", "x"),
    ("format", 3),
])
def test_a_header_field_of_the_wrong_kind_is_refused_even_with_a_valid_checksum(saved, field, value):
    tamper(saved, **{field: value})
    with pytest.raises(CheckpointError, match="corrupt checkpoint|format 3 is not supported"):
        load_checkpoint(saved)


def test_a_header_length_past_the_end_is_refused_before_reading(saved):
    data = bytearray(open(saved, "rb").read())
    data[8:16] = struct.pack("<Q", 2**63)
    open(saved, "wb").write(bytes(data))
    with pytest.raises(CheckpointError, match="header length .* does not fit"):
        load_checkpoint(saved)


def test_sections_that_do_not_add_up_to_the_payload_are_refused(saved):
    header, payload = read_parts(saved)
    write_parts(saved, header, payload[:-4])
    with pytest.raises(CheckpointError, match="the sections need"):
        load_checkpoint(saved)


@pytest.mark.parametrize("section", ["params", "m", "v"])
def test_a_checkpoint_holding_nan_or_inf_is_refused(saved, section):
    header, payload = read_parts(saved)
    k = ["params", "m", "v"].index(section)
    a = np.frombuffer(payload, np.float32).copy()
    a[k * (a.size // 3) + 5] = np.inf
    write_parts(saved, header, a.tobytes())
    with pytest.raises(CheckpointError, match=f"section '{section}' holds NaN or inf"):
        load_checkpoint(saved)


def test_saving_refuses_non_finite_parameters(tmp_path, model):
    model.params[3] = np.nan
    with pytest.raises(ValueError, match="NaN or inf; refusing"):
        save_checkpoint(tmp_path / "m.ckpt", model)
    assert not os.path.exists(tmp_path / "m.ckpt")


def write_v1(path, model, tokenizer="byte"):
    """A format-1 file, as pystory wrote them before format 2."""
    params = model.params.astype(np.float16)
    payload = params.tobytes()
    header = {"format": 1, "config": model.cfg.to_dict(), "tokenizer": tokenizer, "step": 3,
              "sections": [["params", "float16", int(params.size)]], "crc32": zlib.crc32(payload),
              "train_state": {}}
    h = json.dumps(header).encode()
    open(path, "wb").write(MAGIC_V1 + struct.pack("<Q", len(h)) + h + payload)
    return payload


def test_a_format_1_checkpoint_is_refused_with_the_upgrade_command(tmp_path, model):
    write_v1(tmp_path / "old.ckpt", model)
    with pytest.raises(CheckpointError, match=r"format 1 .*python -m pystory.checkpoint upgrade"):
        load_checkpoint(tmp_path / "old.ckpt")


def test_upgrading_a_format_1_checkpoint_keeps_its_parameter_bytes(tmp_path, model):
    payload = write_v1(tmp_path / "old.ckpt", model)
    upgrade_checkpoint(tmp_path / "old.ckpt")
    ck = load_checkpoint(tmp_path / "old.ckpt")
    assert read_parts(tmp_path / "old.ckpt")[1] == payload and ck.step == 3
    assert np.array_equal(ck.params, np.frombuffer(payload, np.float16).astype(np.float32))


def test_upgrading_refuses_a_format_1_tokenizer_path_unless_given(tmp_path):
    bpe_with_vocab(300).save(str(tmp_path / "t.bpe"))
    (tmp_path / "run").mkdir()
    model = GPT(TINY_BPE, pystory.backend("numpy")).init_weights(seed=0)
    write_v1(tmp_path / "run" / "old.ckpt", model, tokenizer=str(tmp_path / "t.bpe"))
    with pytest.raises(CheckpointError, match="by a path"):
        upgrade_checkpoint(tmp_path / "run" / "old.ckpt")
    upgrade_checkpoint(tmp_path / "run" / "old.ckpt", tokenizer=str(tmp_path / "t.bpe"))
    ck = load_checkpoint(tmp_path / "run" / "old.ckpt")
    assert ck.tokenizer == "t.bpe" and os.path.isfile(tmp_path / "run" / "t.bpe")


def test_the_shipped_model_is_format_2_and_finds_its_tokenizer():
    from pystory.gpt_cli import SHIPPED_MODEL
    ck = load_checkpoint(SHIPPED_MODEL)
    tok = load_tokenizer_of(ck)
    assert ck.meta["format"] == 2 and tok.vocab_size == ck.config.vocab_size
    assert open(SHIPPED_MODEL, "rb").read(8) == b"PYSTGPT2"
    assert load_tokenizer(os.path.join(os.path.dirname(SHIPPED_MODEL), ck.tokenizer)).vocab_size == tok.vocab_size
