"""Chapter 06: the sampler's properties, and generation with and without the KV cache."""
import numpy as np
import pytest

import pystory
from pystory.gpt import GPT, GPTConfig
from pystory.sample import Sampler, generate, probabilities, sample_token, stream_text
from pystory.tokenizer import load_tokenizer

TINY = GPTConfig(vocab_size=64, block_size=16, n_layer=2, n_head=2, n_embd=32)


def logits_rng(seed=0, V=50):
    return np.random.default_rng(seed).standard_normal(V) * 2


# --- the distribution ----------------------------------------------------------------------------

def test_temperature_zero_is_greedy():
    z = logits_rng()
    p = probabilities(z, temperature=0)
    assert p[np.argmax(z)] == 1.0 and p.sum() == 1.0


def test_top_k_of_one_equals_greedy():
    z = logits_rng(1)
    s = Sampler(temperature=1.0, top_k=1, seed=7)
    assert all(s(z) == int(np.argmax(z)) for _ in range(20))


def test_temperature_one_without_truncation_is_the_softmax():
    z = logits_rng(2)
    e = np.exp(z - z.max())
    np.testing.assert_allclose(probabilities(z, 1.0, 0, 1.0), e / e.sum(), rtol=1e-12)


def test_top_p_one_and_temperature_one_sample_the_full_distribution():
    # 20,000 Philox draws: every token's frequency is within 4 sigma of its probability
    z = np.log(np.array([0.5, 0.25, 0.15, 0.07, 0.03]))
    s = Sampler(temperature=1.0, top_p=1.0, seed=3)
    n = 20_000
    counts = np.bincount([s(z) for _ in range(n)], minlength=5)
    p = np.exp(z)
    assert np.all(np.abs(counts / n - p) < 4 * np.sqrt(p * (1 - p) / n))


def test_top_k_keeps_exactly_the_k_most_likely():
    z = logits_rng(3)
    p = probabilities(z, 1.0, top_k=5)
    assert set(np.flatnonzero(p)) == set(np.argsort(-z)[:5])
    assert abs(p.sum() - 1) < 1e-12


def test_top_p_keeps_the_smallest_set_reaching_the_mass():
    z = np.log(np.array([0.4, 0.3, 0.2, 0.1]))
    assert set(np.flatnonzero(probabilities(z, 1.0, top_p=0.65))) == {0, 1}
    assert set(np.flatnonzero(probabilities(z, 1.0, top_p=0.75))) == {0, 1, 2}


def test_lower_temperature_sharpens():
    z = logits_rng(4)
    assert probabilities(z, 0.5).max() > probabilities(z, 1.0).max() > probabilities(z, 2.0).max()


def test_a_fixed_seed_is_reproducible_and_seeds_differ():
    z = logits_rng(5)

    def draw(seed):
        s = Sampler(1.0, seed=seed)
        return [s(z) for _ in range(8)]
    assert draw(11) == draw(11)
    assert any(draw(11) != draw(s) for s in (12, 13, 14))


def test_sample_token_never_picks_a_zero_probability_token():
    p = np.array([0.0, 0.5, 0.0, 0.5, 0.0])
    assert {sample_token(p, u) for u in np.linspace(0, 1 - 2**-24, 101)} == {1, 3}


@pytest.mark.parametrize("kw, msg", [(dict(temperature=-1), "temperature"), (dict(top_k=-1), "top_k"),
                                     (dict(top_p=0.0), "top_p"), (dict(top_p=1.5), "top_p")])
def test_bad_settings_are_refused(kw, msg):
    with pytest.raises(ValueError, match=msg):
        Sampler(**kw)


# --- generation ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def models():
    out = {}
    for name in ("numpy", "c", "emu"):
        m = GPT(TINY, pystory.backend(name)).init_weights(seed=1)
        m.load_params(m.be.to_numpy(m.params) * 20)       # sharper logits: decisive argmaxes
        out[name] = m
    return out


@pytest.mark.parametrize("name", ["numpy", "c", "emu"])
def test_cached_and_uncached_decoding_give_the_same_tokens(models, name):
    model = models[name]
    n = 12 if name == "emu" else 40        # 40 > block_size 16: the window slides twice
    for temperature in (0.0, 1.0):
        a = list(generate(model, [1, 2, 3], n, Sampler(temperature, seed=9), use_cache=True))
        b = list(generate(model, [1, 2, 3], n, Sampler(temperature, seed=9), use_cache=False))
        assert a == b and len(a) == n


def test_c_backend_generates_what_numpy_generates(models):
    a = list(generate(models["numpy"], [5], 30, Sampler(0.0)))
    b = list(generate(models["c"], [5], 30, Sampler(0.0)))
    assert a == b


def test_generation_stops_at_end_of_text(models):
    model = models["numpy"]
    first = list(generate(model, [1, 2], 5, Sampler(0.0)))
    stop = first[2]
    out = list(generate(model, [1, 2], 5, Sampler(0.0), eot_id=stop))
    assert out == first[:first.index(stop)]


def test_generation_respects_the_length_limit(models):
    assert len(list(generate(models["c"], [1], 7, Sampler(1.0, seed=1)))) == 7
    assert list(generate(models["c"], [1], 0, Sampler(1.0))) == []


def test_an_empty_prompt_starts_from_end_of_text(models):
    model = models["c"]
    a = list(generate(model, [], 10, Sampler(0.0), eot_id=63))
    b = list(generate(model, [63], 10, Sampler(0.0), eot_id=63))
    assert a == b


def test_a_prompt_longer_than_the_context_keeps_its_end(models):
    model = models["c"]
    long_prompt = list(np.random.default_rng(0).integers(0, 64, 50))
    a = list(generate(model, long_prompt, 5, Sampler(0.0)))
    b = list(generate(model, long_prompt[-TINY.block_size:], 5, Sampler(0.0)))
    assert a == b and len(a) == 5


def test_stream_text_holds_back_split_utf8_characters():
    tok = load_tokenizer("byte")
    ids = tok.encode("héllo — ok")
    pieces = list(stream_text(tok, ids))
    assert "".join(pieces) == "héllo — ok"
    assert all("\ufffd" not in p for p in pieces)
