"""Chapter 07: int8 models — quantize a checkpoint, load it everywhere, refuse broken files."""
import os
import shutil

import numpy as np
import pytest

import pystory
from pystory.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from pystory.gpt import GPT, GPTConfig
from pystory.gpt_cli import SHIPPED_MODEL, load_model
from pystory.quantize import (QuantizedGPT, dequantize_params, main, quantize_groups, quantize_params,
                              save_quantized)
from pystory.testing import assert_agree

TINY = GPTConfig(vocab_size=257, block_size=16, n_layer=2, n_head=2, n_embd=32)


def tiny_model(be=None, seed=0):
    be = be or pystory.backend("numpy")
    model = GPT(TINY, be).init_weights(seed=seed)
    rng = np.random.default_rng(1)
    model.load_params(be.to_numpy(model.params) + rng.standard_normal(model.num_params).astype(np.float32) * 0.02)
    return model


def ids(seed=0, B=2, T=16):
    return np.random.default_rng(seed).integers(0, TINY.vocab_size, (B, T)).astype(np.int32)


def test_dequantized_parameters_are_within_half_a_step_of_the_float_ones():
    model = tiny_model()
    sections = quantize_params(model.params, TINY)
    back = dequantize_params(sections, TINY)
    assert back.shape == model.params.shape
    err = np.abs(back - model.params)
    assert err.max() <= np.abs(model.params).max() / 127 / 2 * 1.0001
    n_rest = sections["rest"].size          # biases and gains are kept exactly
    assert n_rest < 0.05 * model.num_params


def test_int8_model_logits_are_close_to_the_float_model_and_agree_across_backends(backend):
    ref = tiny_model()
    sections = quantize_params(ref.params, TINY)
    x = ids()
    want, _ = ref.forward(x)
    q_ref = QuantizedGPT(TINY, pystory.backend("numpy"), sections)
    got_ref, _ = q_ref.forward(x)
    assert np.abs(got_ref - want).max() < 0.05 * np.abs(want).max()
    qm = QuantizedGPT(TINY, backend, sections)
    got, _ = qm.forward(backend.asarray(x))
    assert_agree(got, got_ref, rtol=1e-3, atol=1e-4, name="int8 logits")
    step = qm.decode_step(backend.asarray(x[:1, 0]), qm.new_kv_cache(1))
    assert step.shape == (1, TINY.vocab_size)


def test_an_int8_model_refuses_backward():
    qm = QuantizedGPT(TINY, pystory.backend("numpy"), quantize_params(tiny_model().params, TINY))
    qm.forward(ids(), ids(1))
    with pytest.raises(RuntimeError, match="for inference"):
        qm.backward()


def test_the_int8_checkpoint_round_trips_and_loads_with_load_model(tmp_path):
    model = tiny_model()
    sections = quantize_params(model.params, TINY)
    path = tmp_path / "m.q8.ckpt"
    save_quantized(path, sections, TINY, step=7)
    ck = load_checkpoint(path)
    assert ck.kind == "q8" and ck.step == 7 and ck.params is None
    for k in sections:
        assert_agree(ck.sections[k], sections[k], name=k)
    loaded, _, _ = load_model(path, "c")
    assert isinstance(loaded, QuantizedGPT)
    want, _ = QuantizedGPT(TINY, pystory.backend("numpy"), sections).forward(ids())
    assert_agree(loaded.forward(ids())[0], want, rtol=1e-3, atol=1e-4)


def test_a_float_file_edited_to_claim_kind_q8_is_refused(tmp_path):
    import json
    import struct
    import zlib
    path = tmp_path / "m.ckpt"
    save_checkpoint(path, tiny_model(), optimizer=False)
    data = path.read_bytes()
    hlen = struct.unpack("<Q", data[8:16])[0]
    header = json.loads(data[20:20 + hlen])
    header.update(kind="q8", quantization="int8 absmax, one scale per row")
    body = json.dumps(header).encode() + data[20 + hlen:]
    path.write_bytes(data[:8] + struct.pack("<QI", len(json.dumps(header)), zlib.crc32(body)) + body)
    with pytest.raises(CheckpointError, match="the sections of a q8 checkpoint must be"):
        load_checkpoint(path)


def test_an_int8_checkpoint_holding_minus_128_is_refused_on_load(tmp_path):
    sections = quantize_params(tiny_model().params, TINY)
    sections["q8"][5] = -128
    path = tmp_path / "bad.q8.ckpt"
    save_quantized(path, sections, TINY)
    with pytest.raises(CheckpointError, match="-128"):
        load_model(path, "numpy")


def test_quantize_command_shrinks_the_shipped_model_below_30_percent_of_float32(tmp_path, capsys):
    out = tmp_path / "story.q8.ckpt"
    assert main(["--out", str(out)]) == 0
    ck = load_checkpoint(SHIPPED_MODEL)
    assert os.path.getsize(out) <= 0.30 * 4 * ck.params.size
    assert (tmp_path / ck.tokenizer).is_file()          # its tokenizer is copied beside it
    assert "of float32" in capsys.readouterr().out


def test_quantize_command_answers_a_bad_model_with_one_line_and_exit_2(tmp_path, capsys):
    assert main(["--model", str(tmp_path / "missing.ckpt"), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("quantize: argument --model: no such file") and "\n" not in err
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint")
    assert main(["--model", str(tmp_path / "junk.ckpt"), "--out", str(tmp_path / "x")]) == 2
    assert "bad magic" in capsys.readouterr().err


def test_quantizing_an_int8_checkpoint_again_is_refused(tmp_path, capsys):
    out = tmp_path / "a.q8.ckpt"
    assert main(["--out", str(out)]) == 0
    assert main(["--model", str(out), "--out", str(tmp_path / "b.ckpt")]) == 2
    assert "is a q8 checkpoint" in capsys.readouterr().err


def test_story_and_eval_run_on_an_int8_model(tmp_path, capsys):
    from pystory.gpt_cli import eval_main, story_main
    out = tmp_path / "story.q8.ckpt"
    assert main(["--out", str(out)]) == 0
    assert story_main(["--model", str(out), "--seed", "1", "--max-tokens", "20", "--temperature", "0"]) == 0
    text = tmp_path / "val.txt"
    text.write_text("Once upon a time, there was a little girl named Mia. She liked the park.<|endoftext|>" * 40)
    assert eval_main(["--model", str(out), "--corpus", str(text)]) == 0
    assert "bits/byte" in capsys.readouterr().out


def test_group_scales_are_never_worse_than_one_scale_per_row():
    rng = np.random.default_rng(0)
    w = (rng.standard_normal((64, 256)) * rng.random((1, 256)) * 3).astype(np.float32)
    from pystory.int8 import dequantize_int8, quantize_int8
    row = np.abs(dequantize_int8(*quantize_int8(w)) - w).mean()
    for G in (128, 64, 32):
        assert np.abs(quantize_groups(w, G) - w).mean() <= row * 1.0001
    with pytest.raises(ValueError, match="multiple of the group size"):
        quantize_groups(w[:, :100], 64)


def test_runq_group_scheme_with_one_group_per_row_is_our_per_row_op():
    from pystory.quantize import GroupQuantizedGPT
    be = pystory.backend("numpy")
    model = tiny_model()
    gm = GroupQuantizedGPT(TINY, be, model.params, G=TINY.n_embd)        # qkvw rows have C = n_embd values
    qm = QuantizedGPT(TINY, be, quantize_params(model.params, TINY))
    x = np.random.default_rng(2).standard_normal((3, TINY.n_embd)).astype(np.float32)
    assert_agree(gm.linear(x, "qkvw", 1), qm.linear(x, "qkvw", 1), rtol=1e-5, atol=1e-5)
    logits, _ = GroupQuantizedGPT(TINY, be, model.params, G=32).forward(ids())
    want, _ = model.forward(ids())
    assert np.abs(logits - want).max() < 0.05 * np.abs(want).max()
