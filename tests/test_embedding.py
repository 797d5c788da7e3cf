"""Chapter 02: embedding lookup, scatter-add, positions and GPT's encoder agree
across numpy, c, emu (and cuda); the NumPy backwards pass a gradient check."""
import numpy as np
import pytest

import pystory
from pystory import embedding as E
from pystory.testing import assert_agree, check_grad

ref = pystory.backend("numpy")


def make(rng, shape, V, C):
    ids = rng.integers(0, V, shape).astype(np.int32)
    table = rng.standard_normal((V, C)).astype(np.float32)
    dout = rng.standard_normal(shape + (C,)).astype(np.float32)
    return ids, table, dout


# --- token embedding --------------------------------------------------------

@pytest.mark.parametrize("shape,V,C", [((0,), 5, 3), ((1,), 1, 1), ((7,), 10, 33), ((3, 17), 50, 64),
                                       ((2, 3, 5), 7, 257)])
def test_embedding_forward_matches_reference(backend, rng, shape, V, C):
    ids, table, _ = make(rng, shape, V, C)
    out = backend.embedding_forward(backend.asarray(ids), backend.asarray(table))
    assert_agree(out, ref.embedding_forward(ids, table), rtol=0, atol=0, name="embedding_forward")


def test_embedding_forward_is_a_one_hot_matmul(rng):
    ids, table, _ = make(rng, (9,), 12, 5)
    onehot = np.eye(12, dtype=np.float32)[ids]                  # (9, V)
    assert_agree(ref.embedding_forward(ids, table), onehot @ table)


@pytest.mark.parametrize("shape,V,C", [((0,), 5, 3), ((1,), 1, 1), ((7,), 10, 33), ((3, 17), 50, 64),
                                       ((2, 3, 5), 7, 257)])
def test_embedding_backward_matches_reference(backend, rng, shape, V, C):
    ids, _, dout = make(rng, shape, V, C)
    dtable = backend.embedding_backward(backend.asarray(ids), backend.asarray(dout), V)
    assert_agree(dtable, ref.embedding_backward(ids, dout, V), name="embedding_backward")


@pytest.mark.parametrize("version", ["atomic", "deterministic"])
def test_every_backward_kernel_matches_reference(gpu_backend, rng, version):
    ids, _, dout = make(rng, (4, 25), 13, 70)
    dtable = gpu_backend.embedding_backward(gpu_backend.asarray(ids), gpu_backend.asarray(dout), 13,
                                            version=version)
    assert_agree(dtable, ref.embedding_backward(ids, dout, 13), name=f"embedding_backward_{version}")


def test_repeated_ids_accumulate_every_gradient(backend):
    ids = np.array([3, 3, 3, 1], np.int32)
    dout = np.array([[1.0], [2.0], [4.0], [8.0]], np.float32)
    dtable = backend.embedding_backward(backend.asarray(ids), backend.asarray(dout), 5)
    assert_agree(dtable, np.array([[0], [8], [0], [7], [0]], np.float32), rtol=0, atol=0)


def test_c_backward_is_bit_identical_to_numpy(rng):
    ids, _, dout = make(rng, (8, 64), 20, 96)   # many repeats: the order of the adds shows
    assert_agree(pystory.backend("c").embedding_backward(ids, dout, 20), ref.embedding_backward(ids, dout, 20),
                 rtol=0, atol=0)


def test_deterministic_kernel_is_bit_identical_under_any_schedule(rng):
    from pystory import emu
    be = pystory.backend("emu")
    ids, _, dout = make(rng, (6, 40), 9, 48)
    expected = ref.embedding_backward(ids, dout, 9)    # the same order of adds as np.add.at
    for seed in (1, 2, 3):
        with emu.schedule("shuffle", seed=seed):
            assert_agree(be.embedding_backward(ids, dout, 9, version="deterministic"), expected, rtol=0, atol=0)


@pytest.mark.gpu
def test_deterministic_kernel_is_bit_identical_run_to_run_on_gpu(rng):
    be = pystory.backend("cuda")
    ids, _, dout = make(rng, (64, 256), 50, 256)
    ids[:, ::2] = 7                                    # one hot row: many concurrent adds
    ids, dout = be.asarray(ids), be.asarray(dout)
    first = be.to_numpy(be.embedding_backward(ids, dout, 50, version="deterministic"))
    for _ in range(5):
        assert_agree(be.embedding_backward(ids, dout, 50, version="deterministic"), first, rtol=0, atol=0)


def test_embedding_backward_gradient_check():
    rng = np.random.default_rng(1)
    ids = np.array([[0, 2, 2], [1, 0, 2]])
    table = rng.standard_normal((4, 3))
    w = rng.standard_normal((2, 3, 3))                 # loss = sum(w * out): dloss/dout = w
    loss = lambda: float(np.sum(w * E.embedding_forward(ids, table)))
    check_grad(loss, {"table": table}, {"table": E.embedding_backward(ids, w, 4)})


# --- positions --------------------------------------------------------------

@pytest.mark.parametrize("T,C", [(0, 4), (1, 1), (5, 7), (64, 32), (300, 129)])
def test_sinusoidal_positions_match_reference(backend, T, C):
    assert_agree(backend.sinusoidal_positions(T, C), ref.sinusoidal_positions(T, C), rtol=1e-6, atol=1e-6)


def test_sinusoidal_positions_follow_the_formula():
    pe = ref.sinusoidal_positions(10, 6)
    t, i = 7, 2                                        # channels 4 (sin) and 5 (cos)
    angle = t / 10000 ** (2 * i / 6)
    assert_agree(pe[t, 2 * i], np.float32(np.sin(angle)))
    assert_agree(pe[t, 2 * i + 1], np.float32(np.cos(angle)))
    assert_agree(pe[0], np.tile(np.float32([0, 1]), 3), rtol=0, atol=0)


def test_sinusoidal_shift_is_a_rotation():
    # PE[t + k] is a fixed linear map (a rotation per channel pair) of PE[t].
    pe = ref.sinusoidal_positions(40, 8).astype(np.float64)
    k = 3
    M = np.linalg.lstsq(pe[:30], pe[k:30 + k], rcond=None)[0]
    assert_agree(pe[30:37] @ M, pe[30 + k:37 + k], rtol=1e-4, atol=1e-4)


# --- the GPT encoder ----------------------------------------------------------

@pytest.mark.parametrize("B,T,V,C,maxT", [(1, 1, 1, 1, 1), (2, 5, 11, 33, 8), (3, 16, 40, 64, 16), (2, 7, 9, 260, 10)])
def test_encoder_forward_matches_reference(backend, rng, B, T, V, C, maxT):
    ids, wte, _ = make(rng, (B, T), V, C)
    wpe = rng.standard_normal((maxT, C)).astype(np.float32)
    out = backend.encoder_forward(*map(backend.asarray, (ids, wte, wpe)))
    assert_agree(out, ref.encoder_forward(ids, wte, wpe), rtol=0, atol=0, name="encoder_forward")


def test_encoder_forward_is_token_plus_learned_position(rng):
    ids, wte, _ = make(rng, (2, 4), 6, 3)
    wpe = rng.standard_normal((5, 3)).astype(np.float32)
    expected = ref.embedding_forward(ids, wte) + ref.embedding_forward(np.arange(4, dtype=np.int32), wpe)
    assert_agree(ref.encoder_forward(ids, wte, wpe), expected, rtol=0, atol=0)


@pytest.mark.parametrize("B,T,V,C,maxT", [(1, 1, 1, 1, 1), (2, 5, 11, 33, 8), (3, 16, 40, 64, 16), (2, 7, 9, 260, 10)])
def test_encoder_backward_matches_reference(backend, rng, B, T, V, C, maxT):
    ids, _, dout = make(rng, (B, T), V, C)
    dwte, dwpe = backend.encoder_backward(backend.asarray(ids), backend.asarray(dout), V, maxT)
    rwte, rwpe = ref.encoder_backward(ids, dout, V, maxT)
    assert_agree(dwte, rwte, name="dwte")
    assert_agree(dwpe, rwpe, name="dwpe")
    assert not backend.to_numpy(dwpe)[T:].any()        # positions never used get no gradient


@pytest.mark.parametrize("version", ["atomic", "deterministic"])
def test_every_encoder_backward_version_matches_reference(gpu_backend, rng, version):
    ids, _, dout = make(rng, (3, 9), 8, 40)
    dwte, dwpe = gpu_backend.encoder_backward(gpu_backend.asarray(ids), gpu_backend.asarray(dout), 8, 12,
                                              version=version)
    rwte, rwpe = ref.encoder_backward(ids, dout, 8, 12)
    assert_agree(dwte, rwte, name="dwte")
    assert_agree(dwpe, rwpe, name="dwpe")


def test_encoder_backward_gradient_check():
    rng = np.random.default_rng(2)
    ids = np.array([[0, 1, 1], [2, 1, 0]])
    wte, wpe = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
    w = rng.standard_normal((2, 3, 4))
    loss = lambda: float(np.sum(w * E.encoder_forward(ids, wte, wpe)))
    dwte, dwpe = E.encoder_backward(ids, w, 3, 5)
    check_grad(loss, {"wte": wte, "wpe": wpe}, {"wte": dwte, "wpe": dwpe})


# --- bad input: ids out of range are rejected before C or CUDA reads memory ---

@pytest.mark.parametrize("bad", [-1, 10, 2**31 - 1])
def test_embedding_forward_rejects_out_of_range_ids(backend, bad):
    ids = backend.asarray(np.array([0, bad, 3], np.int32))
    table = backend.asarray(np.ones((10, 4), np.float32))
    with pytest.raises(ValueError, match=rf"embedding_forward: argument 'ids' holds {bad}, outside \[0, V\) = \[0, 10\)"):
        backend.embedding_forward(ids, table)


@pytest.mark.parametrize("bad", [-5, 10])
def test_embedding_backward_rejects_out_of_range_ids(backend, bad):
    ids = backend.asarray(np.array([bad, 1], np.int32))
    dout = backend.asarray(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"embedding_backward: argument 'ids' holds -?\d+, outside \[0, vocab\) = \[0, 10\)"):
        backend.embedding_backward(ids, dout, 10)


def test_encoder_rejects_out_of_range_ids(backend):
    ids = backend.asarray(np.array([[0, 9]], np.int32))
    wte, wpe = backend.asarray(np.ones((9, 2), np.float32)), backend.asarray(np.ones((4, 2), np.float32))
    with pytest.raises(ValueError, match=r"encoder_forward: argument 'ids' holds 9, outside \[0, V\) = \[0, 9\)"):
        backend.encoder_forward(ids, wte, wpe)
    with pytest.raises(ValueError, match=r"encoder_backward: argument 'ids' holds 9, outside \[0, vocab\) = \[0, 9\)"):
        backend.encoder_backward(ids, backend.asarray(np.ones((1, 2, 2), np.float32)), 9, 4)


def test_encoder_rejects_sequence_longer_than_positions(backend):
    ids = backend.asarray(np.zeros((1, 5), np.int32))
    wte, wpe = backend.asarray(np.ones((3, 2), np.float32)), backend.asarray(np.ones((4, 2), np.float32))
    with pytest.raises(ValueError, match=r"encoder_forward: argument 'ids' has T = 5 positions, more than the 4 rows of 'wpe'"):
        backend.encoder_forward(ids, wte, wpe)


def test_embedding_rejects_int64_ids(backend):
    with pytest.raises(TypeError, match=r"embedding_forward: argument 'ids' must have dtype int32, got int64"):
        backend.embedding_forward(backend.asarray(np.zeros(3, np.int64)),
                                         backend.asarray(np.ones((4, 2), np.float32)))


def test_embedding_backward_rejects_dout_of_wrong_shape(backend):
    with pytest.raises(ValueError, match=r"embedding_backward: argument 'dout' must have shape \(\.\.\., C\) = \(3, C\) \(\.\.\. as in 'ids'\), got \(4, 2\)"):
        backend.embedding_backward(backend.asarray(np.zeros(3, np.int32)),
                                          backend.asarray(np.ones((4, 2), np.float32)), 5)


def test_embedding_backward_rejects_zero_vocab(backend):
    with pytest.raises(ValueError, match=r"embedding_backward: argument 'vocab' must be in \[1"):
        backend.embedding_backward(backend.asarray(np.zeros(0, np.int32)),
                                          backend.asarray(np.ones((0, 2), np.float32)), 0)


def test_embedding_rejects_non_contiguous_table(backend):
    table = backend.asarray(np.ones((4, 6), np.float32))[:, ::2]
    with pytest.raises(ValueError, match=r"embedding_forward: argument 'table' must be C-contiguous"):
        backend.embedding_forward(backend.asarray(np.zeros(2, np.int32)), table)


def test_backward_rejects_unknown_kernel_version(backend):
    with pytest.raises(ValueError, match=r"embedding_backward: argument 'version' must be one of \('atomic', 'deterministic'\)"):
        backend.embedding_backward(backend.asarray(np.zeros(2, np.int32)),
                                   backend.asarray(np.ones((2, 2), np.float32)), 3, version="fast")
