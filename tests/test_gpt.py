"""Chapter 06: the GPT — every backend agrees with the NumPy reference, and the NumPy backward is right."""
import numpy as np
import pytest

import pystory
from pystory.gpt import GPT, GPTConfig, MATRICES, PARAM_NAMES, num_params, param_shapes
from pystory.testing import assert_agree

TINY = GPTConfig(vocab_size=64, block_size=16, n_layer=2, n_head=2, n_embd=32)
B, T = 2, 16


def batch(seed=0, V=TINY.vocab_size, B=B, T=T):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, V, (B, T + 1)).astype(np.int32)
    return np.ascontiguousarray(ids[:, :-1]), np.ascontiguousarray(ids[:, 1:])


def run(be, cfg=TINY, seed=0, perturb=True):
    """logits, loss and grads of the tiny model on one batch, as NumPy arrays."""
    model = GPT(cfg, be).init_weights(seed=seed)
    if perturb:   # LayerNorm gains 1 and biases 0 would hide mistakes in their gradients
        rng = np.random.default_rng(1)
        model.load_params(be.to_numpy(model.params) + rng.standard_normal(model.num_params).astype(np.float32) * 0.02)
    x, y = batch()
    logits, loss = model.forward(be.asarray(x), be.asarray(y))
    model.zero_grad()
    model.backward()
    return model, be.to_numpy(logits), loss, be.to_numpy(model.grads)


@pytest.fixture(scope="module")
def reference():
    return run(pystory.backend("numpy"))


# --- layout ------------------------------------------------------------------------------------

def test_parameters_live_in_one_buffer_with_named_views():
    model = GPT(TINY, pystory.backend("numpy"))
    assert model.params.shape == (num_params(TINY),)
    assert list(model.p) == list(PARAM_NAMES)
    for name, shape in param_shapes(TINY).items():
        assert model.p[name].shape == shape
        assert np.shares_memory(model.p[name], model.params)
        assert np.shares_memory(model.g[name], model.grads)


def test_weight_decay_prefix_holds_exactly_the_matrices():
    model = GPT(TINY, pystory.backend("numpy"))
    assert model.n_decay == sum(model.p[n].size for n in MATRICES)
    assert PARAM_NAMES[:len(MATRICES)] == MATRICES


def test_config_rejects_head_count_not_dividing_channels():
    with pytest.raises(ValueError, match="n_head=3 must divide n_embd=32"):
        GPTConfig(vocab_size=10, block_size=8, n_layer=1, n_head=3, n_embd=32)


def test_forward_rejects_sequence_longer_than_block_size():
    model = GPT(TINY, pystory.backend("numpy")).init_weights()
    with pytest.raises(ValueError, match="exceeds block_size 16"):
        model.forward(np.zeros((1, 17), np.int32))


def test_initialization_is_the_same_for_the_same_seed():
    a = GPT(TINY, pystory.backend("numpy")).init_weights(seed=3).params
    b = GPT(TINY, pystory.backend("numpy")).init_weights(seed=3).params
    c = GPT(TINY, pystory.backend("numpy")).init_weights(seed=4).params
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_untrained_loss_is_near_log_vocab(reference):
    _, _, loss, _ = reference
    assert abs(loss - np.log(TINY.vocab_size)) < 0.3


# --- agreement ---------------------------------------------------------------------------------

def test_backend_matches_reference_logits_loss_and_every_gradient(backend, reference):
    _, logits_ref, loss_ref, grads_ref = reference
    model, logits, loss, grads = run(backend)
    assert_agree(logits, logits_ref, rtol=1e-4, atol=1e-5, name="logits")
    assert abs(loss - loss_ref) < 1e-5
    g_ref = GPT(TINY, pystory.backend("numpy"))
    g_ref.grads[...] = grads_ref
    g = GPT(TINY, pystory.backend("numpy"))
    g.grads[...] = grads
    for name in PARAM_NAMES:
        scale = float(np.abs(g_ref.g[name]).max()) + 1e-12
        assert_agree(g.g[name], g_ref.g[name], rtol=1e-3, atol=1e-4 * scale, name=f"d loss / d {name}")


def float64_references():
    """The NumPy references themselves, without the float32 checker: they are dtype-generic."""
    import inspect
    numpy = pystory.backend("numpy")
    return pystory.Backend("numpy", np, {op: inspect.unwrap(getattr(numpy, op)) for op in numpy.ops})


def test_numpy_backward_matches_finite_differences():
    # float64, a sample of parameters of every tensor, central differences
    be = float64_references()
    cfg = GPTConfig(vocab_size=16, block_size=8, n_layer=2, n_head=2, n_embd=8)
    model = GPT(cfg, be, dtype=np.float64).init_weights(seed=0)
    rng = np.random.default_rng(0)
    model.params[...] += rng.standard_normal(model.num_params) * 0.1
    x, y = batch(V=16, B=2, T=6)
    model.forward(x, y)
    model.zero_grad()
    model.backward()
    analytic = model.grads.copy()
    offsets = np.cumsum([0] + [int(np.prod(s)) for s in param_shapes(cfg).values()])
    eps = 1e-6
    for name, lo, hi in zip(PARAM_NAMES, offsets[:-1], offsets[1:]):
        for i in rng.choice(np.arange(lo, hi), size=min(4, hi - lo), replace=False):
            old = model.params[i]
            model.params[i] = old + eps
            lp = model.forward(x, y)[1]
            model.params[i] = old - eps
            lm = model.forward(x, y)[1]
            model.params[i] = old
            num = (lp - lm) / (2 * eps)
            assert abs(num - analytic[i]) <= 1e-6 + 1e-5 * abs(num), f"{name}[{i - lo}]: {analytic[i]} vs {num}"


def test_ten_adamw_steps_give_the_same_losses_on_numpy_and_c():
    # llm.c's test_gpt2 pattern: train a little on both, compare the loss trajectory
    losses = {}
    for name in ("numpy", "c"):
        be = pystory.backend(name)
        model = GPT(TINY, be).init_weights(seed=0)
        x, y = (be.asarray(a) for a in batch(seed=5))
        losses[name] = []
        for step in range(1, 11):
            _, loss = model.forward(x, y)
            model.zero_grad()
            model.backward()
            model.update(lr=1e-2, step=step, weight_decay=0.1)
            losses[name].append(loss)
    assert losses["numpy"][-1] < losses["numpy"][0] - 1.0          # it learns the batch
    assert_agree(np.array(losses["c"]), np.array(losses["numpy"]), rtol=1e-4, atol=1e-5, name="losses")


def test_decode_step_matches_the_last_position_of_a_full_forward(backend):
    model = GPT(TINY, backend).init_weights(seed=2)
    x, _ = batch(B=1, T=10)
    full, _ = model.forward(backend.asarray(x))
    kv = model.new_kv_cache(1)
    model.forward(backend.asarray(np.ascontiguousarray(x[:, :6])), kv=kv)      # prefill 6 tokens
    for t in range(6, 10):
        logits = model.decode_step(backend.asarray(np.ascontiguousarray(x[:, t])), kv)
        assert_agree(logits, backend.to_numpy(full)[:, t], rtol=1e-4, atol=1e-5, name=f"position {t}")
    assert kv.n == 10


# --- PyTorch: an independent implementation of the same model ------------------------------------

def test_pytorch_model_with_our_weights_gives_the_same_logits_loss_and_gradients(reference):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F
    model, logits_ref, loss_ref, grads_ref = reference
    cfg = TINY
    C, NH = cfg.n_embd, cfg.n_head
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in model.p.items()}
    x, y = (torch.tensor(a, dtype=torch.long) for a in batch())
    h = p["wte"][x] + p["wpe"][:T]
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    for l in range(cfg.n_layer):
        a = F.layer_norm(h, (C,), p["ln1w"][l], p["ln1b"][l], eps=1e-5)
        q, k, v = (a @ p["qkvw"][l].T + p["qkvb"][l]).split(C, dim=2)
        q, k, v = (t.view(B, T, NH, C // NH).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / (C // NH) ** 0.5
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        a = (att @ v).transpose(1, 2).reshape(B, T, C)
        h = h + a @ p["attprojw"][l].T + p["attprojb"][l]
        a = F.layer_norm(h, (C,), p["ln2w"][l], p["ln2b"][l], eps=1e-5)
        a = F.gelu(a @ p["fcw"][l].T + p["fcb"][l], approximate="tanh")
        h = h + a @ p["fcprojw"][l].T + p["fcprojb"][l]
    logits = F.layer_norm(h, (C,), p["lnfw"], p["lnfb"], eps=1e-5) @ p["wte"].T
    loss = F.cross_entropy(logits.view(-1, cfg.vocab_size), y.view(-1))
    loss.backward()
    assert_agree(logits_ref, logits.detach().numpy(), rtol=1e-4, atol=1e-5, name="logits")
    assert abs(loss_ref - loss.item()) < 1e-5
    g = GPT(TINY, pystory.backend("numpy"))
    g.grads[...] = grads_ref
    for name in PARAM_NAMES:
        want = p[name].grad.numpy()
        assert_agree(g.g[name], want, rtol=1e-3, atol=1e-4 * (np.abs(want).max() + 1e-12), name=f"d loss / d {name}")
