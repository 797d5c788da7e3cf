"""Chapter 05: the discriminator (a Kim-style text CNN) — its backward pass matches finite
differences, soft and hard inputs agree, every backend computes the same scores, and its
checkpoints round-trip and are refused as GPT models."""
import numpy as np
import pytest

import pystory
from pystory.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from pystory.disc import DiscConfig, Discriminator, num_params, pad
from pystory.testing import assert_agree
from float64_backend import float64_backend

CFG = DiscConfig(vocab_size=13, n_embd=4, n_filters=3, min_width=2, max_width=4)


def make(be, dtype=np.float32, seed=0):
    D = Discriminator(CFG, be, dtype)
    D.init_weights(seed)
    return D


def test_the_parameter_count_is_the_sum_of_the_tensors():
    E, F, V = CFG.n_embd, CFG.n_filters, CFG.vocab_size
    assert num_params(CFG) == V * E + sum(F * E * k + F for k in (2, 3, 4)) + 3 * F + 1


@pytest.mark.parametrize("soft", [False, True])
def test_discriminator_gradients_match_finite_differences(soft):
    be = float64_backend()
    D = make(be, np.float64)
    rng = np.random.default_rng(1)
    ids = rng.integers(0, 13, (3, 7)).astype(np.int32)
    y = rng.random((3, 7, 13))
    y /= y.sum(axis=2, keepdims=True)
    w = rng.standard_normal(3)

    def loss():
        out = D.forward_soft(y) if soft else D.forward(ids)
        return float(np.sum(out * w))
    loss()
    D.zero_grad()
    dy = D.backward(w)
    analytic = D.grads.copy()
    eps, numeric = 1e-6, np.zeros_like(analytic)
    for i in range(D.params.size):
        old = D.params[i]
        D.params[i] = old + eps
        fp = loss()
        D.params[i] = old - eps
        fm = loss()
        D.params[i] = old
        numeric[i] = (fp - fm) / (2 * eps)
    assert_agree(analytic, numeric, rtol=1e-5, atol=1e-7, name="d loss / d params")
    if soft:
        num_y = np.zeros_like(y)
        for i in np.ndindex(y.shape):
            old = y[i]
            y[i] = old + eps
            fp = loss()
            y[i] = old - eps
            fm = loss()
            y[i] = old
            num_y[i] = (fp - fm) / (2 * eps)
        assert_agree(dy, num_y, rtol=1e-5, atol=1e-7, name="d loss / d y")


def test_one_hot_soft_tokens_score_as_the_tokens_themselves():
    be = pystory.backend("numpy")
    D = make(be)
    ids = np.random.default_rng(2).integers(0, 13, (4, 9)).astype(np.int32)
    y = np.eye(13, dtype=np.float32)[ids]
    assert_agree(D.forward_soft(y), D.forward(ids), rtol=1e-5, atol=1e-6)


def test_every_backend_gives_the_same_scores_and_gradients(backend):
    ids = np.random.default_rng(3).integers(0, 13, (5, 8)).astype(np.int32)
    dl = np.random.default_rng(4).standard_normal(5).astype(np.float32)
    ref = make(pystory.backend("numpy"))
    want = ref.forward(ids)
    ref.zero_grad()
    ref.backward(dl)
    D = make(backend)
    got = D.forward(backend.asarray(ids))
    D.zero_grad()
    D.backward(backend.asarray(dl))
    assert_agree(got, want, rtol=1e-4, atol=1e-5, name="logits")
    assert_agree(D.grads, ref.grads, rtol=1e-3, atol=1e-5, name="grads")


def test_a_story_shorter_than_the_widest_filter_is_refused_until_padded():
    D = make(pystory.backend("numpy"))
    ids = np.zeros((1, 3), np.int32)
    with pytest.raises(ValueError, match=r"stories of 3 tokens are shorter than the widest filter \(4\)"):
        D.forward(ids)
    padded = pad(ids, 4, 12)
    assert padded.tolist() == [[0, 0, 0, 12]]
    assert D.forward(padded).shape == (1,)


def test_a_discriminator_checkpoint_round_trips_and_is_not_a_gpt(tmp_path):
    from pystory.gpt_cli import SHIPPED_MODEL
    cfg = DiscConfig(vocab_size=257, n_embd=4, n_filters=3)          # the byte tokenizer's vocabulary
    D = Discriminator(cfg, pystory.backend("numpy")).init_weights(1)
    path = tmp_path / "disc.ckpt"
    save_checkpoint(path, D, step=5, dtype="float16", optimizer=False)
    ck = load_checkpoint(path, kinds=("disc",))
    assert ck.config == cfg and ck.step == 5
    assert_agree(ck.params, D.params, rtol=1e-3, atol=1e-3)
    with pytest.raises(CheckpointError, match=r"is a disc checkpoint; this needs a float or q8 or lora one"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match=r"is a float checkpoint; this needs a disc one"):
        load_checkpoint(SHIPPED_MODEL, kinds=("disc",))


def _rewrite_header(path, **fields):
    """Edit header fields and recompute the CRC (a deliberate forgery: only the schema can refuse it)."""
    import json
    import struct
    import zlib
    data = open(path, "rb").read()
    hlen = struct.unpack("<Q", data[8:16])[0]
    header = json.loads(data[20:20 + hlen])
    header.update(fields)
    body = json.dumps(header).encode() + data[20 + hlen:]
    open(path, "wb").write(data[:8] + struct.pack("<QI", len(body) - (len(data) - 20 - hlen), zlib.crc32(body)) + body)


BYTES = DiscConfig(vocab_size=257, n_embd=4, n_filters=3, min_width=2, max_width=4)   # the byte tokenizer's ids


@pytest.mark.parametrize("fields, why", [
    ({"kind": "vae2"}, "'kind' must be one of"),
    ({"kind": ["disc"]}, "'kind' must be one of"),
    ({"kind": "float"}, "'config' must have exactly the fields"),                     # a disc config as a GPT's
    ({"config": {**BYTES.to_dict(), "n_filters": 0}}, "config field 'n_filters'"),
    ({"config": {**BYTES.to_dict(), "min_width": 5}}, "DiscConfig: min_width=5 must be <= max_width=4"),
    ({"sections": [["params", "int8", num_params(BYTES)]]}, "section 'params' must be float32 or float16"),
    ({"sections": [["params", "float16", num_params(BYTES) - 1]]}, "section 'params' must hold"),
])
def test_a_disc_header_that_does_not_fit_its_kind_is_refused(tmp_path, fields, why):
    path = tmp_path / "d.ckpt"
    save_checkpoint(path, Discriminator(BYTES, pystory.backend("numpy")).init_weights(0), dtype="float16",
                    optimizer=False)
    _rewrite_header(path, **fields)
    with pytest.raises(CheckpointError, match="corrupt checkpoint: " + why):
        load_checkpoint(path, kinds=("disc", "float"))


def test_disc_config_refuses_widths_in_the_wrong_order():
    with pytest.raises(ValueError, match=r"min_width=5 must be <= max_width=2"):
        DiscConfig(vocab_size=10, min_width=5, max_width=2)
