"""Chapter 08: the arithmetic inside the collectives (sum_ranks, accumulate) agrees bit for bit
on numpy, c, emu (and cuda): data-parallel training relies on the exact bits, not a tolerance."""
import numpy as np
import pytest

import pystory

ref = pystory.backend("numpy")


def exact(a, e):
    a, e = pystory.backend("numpy").to_numpy(a), np.asarray(e)
    assert a.shape == e.shape and a.dtype == e.dtype
    assert np.array_equal(a.view(np.uint32), e.view(np.uint32)), "not the same bits"


@pytest.mark.parametrize("N, S", [(1, 1), (2, 257), (3, 1000), (4, 0), (5, 33)])
def test_sum_ranks_gives_the_same_bits_on_every_backend(backend, rng, N, S):
    x = rng.standard_normal((N, S)).astype(np.float32)
    exact(backend.sum_ranks(backend.asarray(x), 1.0 / N), ref.sum_ranks(x, 1.0 / N))


def test_sum_ranks_adds_the_ranks_in_rank_order(backend):
    # 1e8 + 1 - 1e8 is 0 in float32 when added left to right, 1 in any order that adds 1 last
    x = np.array([[1e8], [1.0], [-1e8]], np.float32)
    exact(backend.sum_ranks(backend.asarray(x), 1.0), np.zeros(1, np.float32))
    x = np.array([[1e8], [-1e8], [1.0]], np.float32)
    exact(backend.sum_ranks(backend.asarray(x), 1.0), np.ones(1, np.float32))


def test_sum_ranks_of_one_rank_is_the_row_times_the_scale(backend, rng):
    x = rng.standard_normal((1, 100)).astype(np.float32)
    exact(backend.sum_ranks(backend.asarray(x), 0.5), x[0] * np.float32(0.5))


def test_sum_ranks_equals_accumulating_the_same_rows_then_scaling(backend, rng):
    # what makes N processes equal one process with N micro-batches, bit for bit
    x = rng.standard_normal((3, 500)).astype(np.float32)
    acc = backend.asarray(x[0].copy())
    for r in (1, 2):
        backend.accumulate(acc, backend.asarray(x[r].copy()))
    backend.scale_inplace(acc, 1.0 / 3)
    exact(backend.sum_ranks(backend.asarray(x), 1.0 / 3), backend.to_numpy(acc))


def test_sum_ranks_float64_reference_is_the_mean(rng):
    from pystory.collective import sum_ranks      # the reference itself: dtype-generic
    x = rng.standard_normal((4, 10))
    np.testing.assert_allclose(sum_ranks(x, 0.25), x.mean(axis=0), rtol=1e-15)


def test_sum_ranks_refuses_no_ranks(backend):
    with pytest.raises(ValueError, match=r"sum_ranks: argument 'x' must have at least one row"):
        backend.sum_ranks(backend.asarray(np.zeros((0, 3), np.float32)), 1.0)


@pytest.mark.parametrize("P", [0, 1, 1000, 70_000])
def test_accumulate_adds_in_place_on_every_backend(backend, rng, P):
    acc = rng.standard_normal(P).astype(np.float32)
    g = rng.standard_normal(P).astype(np.float32)
    a = backend.asarray(acc.copy())
    assert backend.accumulate(a, backend.asarray(g)) is None
    exact(a, acc + g)


def test_accumulate_refuses_an_alias(backend):
    a = backend.asarray(np.ones(4, np.float32))
    with pytest.raises(ValueError, match=r"accumulate: .*'g'"):
        backend.accumulate(a, a)
