"""Chapter 04: the sentence VAE — its backward, its backends, the schedules, the metrics, exact resume."""
import inspect
import math
import types

import numpy as np
import pytest

import pystory
from pystory.data.sentences import SentenceBatches, SentenceSet, make_batch
from pystory.testing import assert_agree
from pystory.vae import DECODER, ENCODER, VAE, VAEConfig, num_params, param_shapes
from pystory.vae_eval import (active_units, elbo_terms, iw_log_likelihood, mutual_information,
                              reconstruction_accuracy)
from pystory.vae_train import VAETrainConfig, VAETrainer, kl_weight

EOT = 10


def float64_backend():
    """The NumPy references themselves, unchecked, so the model can run in float64."""
    ref = pystory.backend("numpy")
    ops = {op: inspect.unwrap(getattr(ref, op)) for op in ref.ops}
    return types.SimpleNamespace(name="numpy64", xp=np, asarray=np.ascontiguousarray, to_numpy=np.asarray, **ops)


def tiny_batch():
    return make_batch([np.array([1, 2, 3], np.int32), np.array([4], np.int32), np.array([5, 6], np.int32)], EOT)


def sentence_set(n=12, seed=0, V=10):
    rng = np.random.default_rng(seed)
    ids = [rng.integers(0, V, rng.integers(1, 6)).astype(np.int32) for _ in range(n)]
    return SentenceSet([str(a.tolist()) for a in ids], ids, [-1] * n, EOT)


def tiny(be, Z=3, seed=0):
    return VAE(VAEConfig(vocab_size=11, n_embd=4, n_hidden=5, n_latent=Z), be).init_weights(seed)


# --- the model's backward ---------------------------------------------------------------------

@pytest.mark.parametrize("Z", [3, 0], ids=["vae", "language model"])
def test_the_whole_backward_matches_finite_differences(Z):
    # rec + beta * free-bits KL, with sampling and word dropout, in float64
    be = float64_backend()
    model = VAE(VAEConfig(vocab_size=11, n_embd=4, n_hidden=5, n_latent=Z), be, dtype=np.float64)
    rng = np.random.default_rng(0)
    model.params[:] = rng.standard_normal(model.num_params) * 0.5
    batch, beta, fb = tiny_batch(), 0.7, 0.05

    def loss():
        out = model.forward(batch, seed=3, offset=0, word_dropout=0.4)
        kl = np.maximum(out["kl"].mean(axis=0), fb).sum() if Z else 0.0
        return out["rec"].mean() + beta * kl

    loss()
    model.zero_grad()
    model.backward(beta=beta, free_bits=fb)
    analytic = model.grads.copy()
    idx = rng.choice(model.num_params, 80, replace=False)
    numeric = []
    for i in idx:
        old = model.params[i]
        model.params[i] = old + 1e-6
        up = loss()
        model.params[i] = old - 1e-6
        down = loss()
        model.params[i] = old
        numeric.append((up - down) / 2e-6)
    assert_agree(analytic[idx], np.array(numeric), rtol=1e-5, atol=1e-8, name="d loss / d params")


@pytest.mark.parametrize("name", ["c", "emu"])
def test_the_model_computes_the_same_loss_and_gradients_on_every_backend(name):
    ref, be = pystory.backend("numpy"), pystory.backend(name)
    grads = []
    for b in (ref, be):
        model = tiny(b)
        out = model.forward(tiny_batch(), seed=5, offset=0, word_dropout=0.3)
        model.zero_grad()
        model.backward(beta=0.5, free_bits=0.01)
        grads.append((out, b.to_numpy(model.grads)))
    assert_agree(grads[1][0]["rec"], grads[0][0]["rec"], rtol=1e-5, name="rec")
    assert_agree(grads[1][0]["kl"], grads[0][0]["kl"], rtol=1e-5, atol=1e-6, name="kl")
    assert_agree(grads[1][1], grads[0][1], rtol=1e-4, atol=1e-6, name="grads")


def test_an_untrained_language_model_predicts_about_uniformly():
    model = VAE(VAEConfig(vocab_size=2048, n_embd=16, n_hidden=32, n_latent=0), pystory.backend("c")).init_weights(0)
    sents = sentence_set(30, V=2048)
    rec, _ = elbo_terms(model, sents)
    assert abs(rec.sum() / sents.num_tokens - math.log(2048)) < 0.15     # nats per token


def test_a_language_model_has_no_encoder():
    shapes = param_shapes(VAEConfig(vocab_size=11, n_embd=4, n_hidden=5, n_latent=0))
    assert not set(ENCODER) & set(shapes) and set(shapes) == set(DECODER)
    vae = VAEConfig(vocab_size=11, n_embd=4, n_hidden=5, n_latent=3)
    assert num_params(vae) - num_params(VAEConfig(11, 4, 5, 0)) > 3 * 5 * (4 + 5)   # + an encoder


def test_free_bits_above_every_dimensions_kl_remove_the_kl_gradient():
    be = pystory.backend("numpy")
    grads = []
    for beta, fb in ((0.0, 0.0), (1.0, 1e6)):
        model = tiny(be)
        model.forward(tiny_batch(), seed=1)
        model.zero_grad()
        model.backward(beta=beta, free_bits=fb)
        grads.append(model.grads.copy())
    assert_agree(grads[1], grads[0], rtol=0, atol=0, name="grads")


def test_word_dropout_with_p_one_leaves_the_decoder_only_the_start_token():
    model = tiny(pystory.backend("numpy"))
    model.forward(tiny_batch(), seed=1, word_dropout=1.0)
    dec_in = model.acts["dec"]["dec_in"]
    assert (dec_in[:, 0] == EOT).all() and (dec_in[:, 1:] == model.cfg.unk_id).all()


def test_resetting_the_decoder_keeps_the_encoder_and_clears_its_moments():
    model = tiny(pystory.backend("numpy"))
    model.m[:] = 1.0
    before = {k: v.copy() for k, v in model.p.items()}
    model.reset_decoder(seed=9)
    for name in ENCODER:
        assert (model.p[name] == before[name]).all(), name
    assert any((model.p[name] != before[name]).any() for name in DECODER)
    assert (model.m[:model.n_encoder] == 1).all() and (model.m[model.n_encoder:] == 0).all()


def test_greedy_decoding_with_lengths_returns_exactly_those_lengths():
    model = tiny(pystory.backend("c"))
    z = np.zeros((3, 3), np.float32)
    out = model.greedy_or_sample(z, 0, EOT, lambda logits, t: logits.argmax(axis=1), lengths=np.array([1, 4, 2]))
    assert [len(o) for o in out] == [1, 4, 2]


def test_decoding_stops_at_the_end_token():
    model = tiny(pystory.backend("numpy"))
    out = model.greedy_or_sample(np.zeros((2, 3), np.float32), 20, EOT, lambda logits, t: np.full(2, EOT if t == 3 else 1))
    assert [o.tolist() for o in out] == [[1, 1, 1], [1, 1, 1]]


# --- the KL schedules -----------------------------------------------------------------------

def test_no_schedule_weighs_the_kl_fully_from_the_start():
    assert kl_weight(1, VAETrainConfig(kl_schedule="none")) == 1.0


def test_the_linear_schedule_ramps_to_one_over_the_warmup():
    tc = VAETrainConfig(kl_schedule="linear", kl_warmup=100)
    assert [kl_weight(s, tc) for s in (1, 50, 100, 500)] == [0.01, 0.5, 1.0, 1.0]


def test_the_sigmoid_schedule_is_a_half_at_half_the_warmup_and_rises():
    tc = VAETrainConfig(kl_schedule="sigmoid", kl_warmup=100)
    w = [kl_weight(s, tc) for s in range(1, 201)]
    assert w[49] == 0.5 and all(a < b for a, b in zip(w, w[1:])) and w[0] < 0.01 and w[-1] > 0.99


def test_the_cyclical_schedule_rises_over_a_ratio_of_each_cycle_then_holds():
    tc = VAETrainConfig(kl_schedule="cyclical", steps=400, kl_cycles=4, kl_ratio=0.5)
    w = [kl_weight(s, tc) for s in range(1, 401)]
    for c in range(4):                          # cycles of 100 steps: 0 -> 1 over 50, then 1
        cycle = w[100 * c:100 * (c + 1)]
        assert cycle[0] == 0.0 and cycle[25] == 0.5 and all(v == 1.0 for v in cycle[50:])


def test_autoencoder_pre_training_has_no_kl_and_the_schedule_starts_after_it():
    tc = VAETrainConfig(kl_schedule="linear", kl_warmup=10, ae_steps=20)
    assert [kl_weight(s, tc) for s in (1, 20, 21, 25, 30)] == [0.0, 0.0, 0.1, 0.5, 1.0]


# --- the metrics ----------------------------------------------------------------------------

# The estimator is a Monte Carlo one (one z per sentence): its noise is about
# 0.5 sqrt(2 Z / N) nats, 0.02 at the sizes below; the tolerances are 4 times that.

def test_identical_posteriors_carry_no_mutual_information():
    mu = np.tile(np.array([[0.3, -1.0]]), (2000, 1))
    assert abs(mutual_information(mu, np.zeros_like(mu))) < 0.1


def test_well_separated_posteriors_carry_log_n_nats():
    # N codes far apart, each posterior narrow: z tells which of the N sentences it came from
    N = 1000
    mu = np.arange(N, dtype=np.float64)[:, None] * 10.0
    assert abs(mutual_information(mu, np.full((N, 1), -4.0)) - math.log(N)) < 0.1


def test_active_units_count_the_dimensions_whose_mean_moves():
    rng = np.random.default_rng(0)
    mu = np.stack([rng.standard_normal(100), np.full(100, 2.0), rng.standard_normal(100) * 0.05], axis=1)
    assert active_units(mu) == 1


def test_the_importance_weighted_bound_is_above_the_elbo():
    model = tiny(pystory.backend("c"), seed=3)
    model.params[...] += np.random.default_rng(0).standard_normal(model.num_params).astype(np.float32) * 0.3
    sents = sentence_set(20)
    rec, kl = elbo_terms(model, sents, seed=1)
    log_px = iw_log_likelihood(model, sents, k=200, seed=2)
    assert log_px.mean() > -(rec + kl).mean()


def test_a_language_models_likelihood_is_exact_and_needs_no_samples():
    model = tiny(pystory.backend("c"), Z=0)
    sents = sentence_set(10)
    rec, kl = elbo_terms(model, sents)
    assert_agree(iw_log_likelihood(model, sents, k=100), -rec)
    assert (kl == 0).all()


def test_reconstruction_accuracy_of_a_decoder_that_always_ends_is_one_token_per_sentence():
    model = tiny(pystory.backend("numpy"))
    model.p["out_w"][...] = 0
    model.p["out_b"][...] = 0
    model.p["out_b"][EOT] = 10.0                    # every prediction is </s>
    sents = sentence_set(8)
    acc = reconstruction_accuracy(model, sents)
    assert acc == pytest.approx(len(sents) / sents.num_tokens)


# --- training ------------------------------------------------------------------------------

def _trainer(tmp_path, steps, be_name="c"):
    # vocab 257: the byte tokenizer's, which the checkpoint records
    model = VAE(VAEConfig(vocab_size=257, n_embd=4, n_hidden=6, n_latent=3), pystory.backend(be_name)).init_weights(0)
    tc = VAETrainConfig(steps=steps, batch_size=4, kl_schedule="linear", kl_warmup=4, word_dropout=0.2,
                        free_bits=0.01, ae_steps=2, eval_every=0, ckpt_every=3, out_dir=str(tmp_path))
    loader = SentenceBatches(sentence_set(20), 4, seed=0)
    return VAETrainer(model, loader, tc, val=sentence_set(6, seed=1), log=lambda m: None)


def test_a_resumed_run_computes_the_same_parameters_bit_for_bit(tmp_path):
    straight = _trainer(tmp_path / "a", 6)
    straight.run()
    first = _trainer(tmp_path / "b", 3)
    first.run()                                     # saves at step 3
    second = _trainer(tmp_path / "b", 6)
    second.resume(second.ckpt_path)
    assert second.step == 3
    second.run()
    assert straight.model.params.tobytes() == second.model.params.tobytes()


def test_training_lowers_the_loss(tmp_path):
    model = VAE(VAEConfig(vocab_size=257, n_embd=8, n_hidden=16, n_latent=2), pystory.backend("c")).init_weights(0)
    tc = VAETrainConfig(steps=60, batch_size=8, lr=1e-2, kl_schedule="linear", kl_warmup=30, eval_every=0,
                        ckpt_every=0, out_dir=str(tmp_path))
    sents = sentence_set(16)
    t = VAETrainer(model, SentenceBatches(sents, 8, seed=0), tc, log=lambda m: None)
    before, _ = elbo_terms(model, sents)
    t.run()
    after, _ = elbo_terms(model, sents)
    assert after.mean() < 0.7 * before.mean()


# --- the checkpoint kind "vae" (pystory/checkpoint.py's KINDS; the config and sections from pystory/vae.py) ---

def _saved_vae(tmp_path, dtype="float32", optimizer=True):
    from pystory.checkpoint import save_checkpoint
    model = VAE(VAEConfig(vocab_size=257, n_embd=4, n_hidden=6, n_latent=3), pystory.backend("numpy")).init_weights(0)
    path = tmp_path / "vae.ckpt"
    save_checkpoint(path, model, tokenizer="byte", dtype=dtype, optimizer=optimizer)
    return model, path


def _rewrite_header(path, edit):
    import json
    import struct
    import zlib
    data = open(path, "rb").read()
    hlen = struct.unpack("<Q", data[8:16])[0]
    header = json.loads(data[20:20 + hlen])
    edit(header)
    body = json.dumps(header).encode() + data[20 + hlen:]
    open(path, "wb").write(data[:8] + struct.pack("<QI", len(body) - (len(data) - 20 - hlen), zlib.crc32(body)) + body)


@pytest.mark.parametrize("dtype, optimizer", [("float32", True), ("float16", False)])
def test_a_vae_checkpoint_says_kind_vae_and_loads_its_own_config(tmp_path, dtype, optimizer):
    from pystory.checkpoint import load_checkpoint
    model, path = _saved_vae(tmp_path, dtype, optimizer)
    ck = load_checkpoint(path, kinds=("vae",))
    assert ck.kind == "vae" and ck.config == model.cfg and ck.meta["sections"][0][1] == dtype
    assert (ck.m is not None) == optimizer
    assert_agree(ck.params, model.params.astype(dtype).astype(np.float32), rtol=0, atol=0, name="params")


def test_the_gpt_loaders_refuse_a_vae_checkpoint_and_the_vae_loader_a_gpt_one(tmp_path):
    from pystory.checkpoint import CheckpointError, load_checkpoint
    from pystory.gpt_cli import SHIPPED_MODEL
    _, path = _saved_vae(tmp_path)
    with pytest.raises(CheckpointError, match=r"is a vae checkpoint; this needs a float or q8 or lora one"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match=r"is a float checkpoint; this needs a vae one"):
        load_checkpoint(SHIPPED_MODEL, kinds=("vae",))


@pytest.mark.parametrize("edit, message", [
    (lambda h: h.pop("kind"), "'config' must have exactly the fields"),        # a VAE config read as a GPT's
    (lambda h: h["config"].update(n_hidden=0), "n_hidden must be an int >= 1"),
    (lambda h: h["config"].update(n_latent=True), "config field 'n_latent' must be an integer"),
    (lambda h: h["config"].pop("n_embd"), "'config' must have exactly the fields"),
    (lambda h: h["sections"][0].__setitem__(2, 5), "section 'params' must hold"),
    (lambda h: h["sections"][0].__setitem__(1, "int8"), "section 'params' must be float32 or float16"),
    (lambda h: h.update(kind="vea"), "'kind' must be one of"),
])
def test_a_vae_header_that_does_not_fit_its_kind_is_refused(tmp_path, edit, message):
    from pystory.checkpoint import CheckpointError, load_checkpoint
    _, path = _saved_vae(tmp_path)
    _rewrite_header(path, edit)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path, kinds=("vae",))


def test_the_shipped_vae_has_its_own_tokenizer_beside_it():
    from pystory.checkpoint import load_checkpoint, load_tokenizer_of
    from pystory.vae_cli import SHIPPED_MODEL
    ck = load_checkpoint(SHIPPED_MODEL, kinds=("vae",))
    assert ck.tokenizer == "vae.bpe"          # not story.bpe: the story model's tokenizer may change
    assert load_tokenizer_of(ck).vocab_size == ck.config.vocab_size
    import os
    assert os.path.getsize(SHIPPED_MODEL) <= 2_000_000
