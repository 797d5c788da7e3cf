"""Chapter 02: Philox-4x32-10 gives the same numbers in numpy, c, emu (and cuda)."""
import numpy as np
import pytest

import pystory
from pystory.philox import Philox
from pystory.testing import assert_agree

ref = pystory.backend("numpy")

# Random123's published known answers (its tests/kat_vectors file):
# philox4x32 10 <ctr: 4 words> <key: 2 words> -> <4 words>
KAT = [
    ((0x00000000, 0x00000000, 0x00000000, 0x00000000), (0x00000000, 0x00000000),
     (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF),
     (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),   # digits of pi
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


def test_block_function_matches_random123_known_answers(backend):
    ctr = np.array([c for c, _, _ in KAT], np.uint32)
    key = np.array([k for _, k, _ in KAT], np.uint32)
    out = backend.philox4x32_10(backend.asarray(ctr), backend.asarray(key))
    assert_agree(out, np.array([e for _, _, e in KAT], np.uint32), name="philox4x32_10")


def test_block_function_agrees_on_many_random_counters(backend, rng):
    ctr = rng.integers(0, 2**32, (1000, 4), dtype=np.uint64).astype(np.uint32)
    key = rng.integers(0, 2**32, (1000, 2), dtype=np.uint64).astype(np.uint32)
    out = backend.philox4x32_10(backend.asarray(ctr), backend.asarray(key))
    assert_agree(out, ref.philox4x32_10(ctr, key), name="philox4x32_10")


def test_stream_word_i_is_lane_i_mod_4_of_block_i_div_4():
    # The documented mapping: key = (seed lo, seed hi), counter = (b lo, b hi, 0, 0).
    seed, b = 0x0123456789ABCDEF, 2**32 + 5
    block = ref.philox4x32_10(np.array([[b & 0xFFFFFFFF, b >> 32, 0, 0]], np.uint32),
                              np.array([[seed & 0xFFFFFFFF, seed >> 32]], np.uint32))[0]
    u = ref.philox_uniform(seed, 4 * b, 4)
    assert_agree(u, (block >> 8).astype(np.float32) * np.float32(2**-24))


# Offsets that start inside a block, sizes that end inside one, a huge seed and offset.
CASES = [(0, 0, 1), (1, 3, 10), (2**40 + 7, 5, 1001), (2**64 - 1, 2**63 + 1, 99), (12345, 0, 4096)]


@pytest.mark.parametrize("seed,offset,n", CASES)
def test_uniform_is_bit_identical_on_every_backend(backend, seed, offset, n):
    assert_agree(backend.philox_uniform(seed, offset, n), ref.philox_uniform(seed, offset, n), rtol=0, atol=0)


@pytest.mark.parametrize("seed,offset,n", CASES)
def test_randint_is_identical_on_every_backend(backend, seed, offset, n):
    assert_agree(backend.philox_randint(seed, offset, n, -7, 1000), ref.philox_randint(seed, offset, n, -7, 1000))


@pytest.mark.parametrize("seed,offset,n", CASES)
def test_normal_agrees_on_every_backend(backend, seed, offset, n):
    # Computed in float64 and rounded: equal unless two libm's differ at a rounding edge.
    assert_agree(backend.philox_normal(seed, offset, n), ref.philox_normal(seed, offset, n), rtol=1e-6, atol=1e-6)


def test_zero_numbers_is_an_empty_array(backend):
    assert backend.to_numpy(backend.philox_uniform(1, 0, 0)).shape == (0,)
    assert backend.to_numpy(backend.philox_normal(1, 3, 0)).shape == (0,)
    assert backend.to_numpy(backend.philox_randint(1, 3, 0, 0, 5)).shape == (0,)


@pytest.mark.parametrize("op", ["philox_uniform", "philox_normal"])
def test_later_offset_continues_the_stream(op):
    f = getattr(ref, op)
    whole = f(3, 0, 50)
    for cut in (1, 2, 3, 7, 20):
        assert_agree(np.concatenate([f(3, 0, cut), f(3, cut, 50 - cut)]), whole, rtol=0, atol=0)


def test_uniform_lies_in_half_open_unit_interval_and_is_flat():
    u = ref.philox_uniform(0, 0, 200_000)
    assert u.min() >= 0.0 and u.max() < 1.0
    counts = np.histogram(u, bins=10, range=(0, 1))[0]
    assert np.all(np.abs(counts - 20_000) < 5 * np.sqrt(20_000))


def test_normal_has_zero_mean_unit_variance():
    z = ref.philox_normal(0, 0, 200_000)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    assert np.all(np.isfinite(z))


def test_randint_covers_exactly_low_to_high_minus_one():
    r = ref.philox_randint(5, 0, 100_000, -3, 4)
    assert r.dtype == np.int32
    assert set(np.unique(r)) == set(range(-3, 4))


def test_randint_full_int32_range_stays_in_range():
    r = ref.philox_randint(5, 0, 10_000, -2**31, 2**31 - 1)
    assert r.min() >= -2**31 and r.max() < 2**31 - 1


def test_different_seeds_give_different_streams():
    assert not np.array_equal(ref.philox_uniform(1, 0, 100), ref.philox_uniform(2, 0, 100))
    assert not np.array_equal(ref.philox_uniform(1, 0, 100), ref.philox_uniform(1 + 2**32, 0, 100))


def test_philox_helper_advances_its_offset():
    rng = Philox(42)
    a, b = rng.uniform(10), rng.normal(4)
    c = rng.randint(3, 0, 10)
    assert rng.offset == 17
    assert_agree(a, ref.philox_uniform(42, 0, 10))
    assert_agree(b, ref.philox_normal(42, 10, 4))
    assert_agree(c, ref.philox_randint(42, 14, 3, 0, 10))
    assert_agree(np.concatenate([Philox(7).uniform(5), Philox(7, offset=5).uniform(5)]), Philox(7).uniform(10))


def test_philox_helper_runs_on_a_backend(backend):
    rng = Philox(42, backend=backend)
    rng.uniform(3)
    assert_agree(rng.normal(5), ref.philox_normal(42, 3, 5), rtol=1e-6, atol=1e-6)


# --- bad input ---------------------------------------------------------------

def test_rejects_negative_seed(backend):
    with pytest.raises(ValueError, match=r"philox_uniform: argument 'seed' must be in \[0, 2\^64\)"):
        backend.philox_uniform(-1, 0, 3)


def test_rejects_float_offset(backend):
    with pytest.raises(TypeError, match=r"philox_normal: argument 'offset' must be an int"):
        backend.philox_normal(1, 2.0, 3)


def test_rejects_negative_count(backend):
    with pytest.raises(ValueError, match=r"philox_uniform: argument 'n' must be in"):
        backend.philox_uniform(1, 0, -1)


def test_rejects_counter_wrap(backend):
    with pytest.raises(ValueError, match=r"philox_uniform: offset \+ n"):
        backend.philox_uniform(1, 2**64 - 2, 10)


def test_randint_rejects_empty_range(backend):
    with pytest.raises(ValueError, match=r"philox_randint: argument 'high' must be in \(low, 2\^31\) = \(5, 2\^31\), got 5"):
        backend.philox_randint(1, 0, 3, 5, 5)


def test_randint_rejects_bounds_outside_int32(backend):
    with pytest.raises(ValueError, match=r"philox_randint: argument 'high' must be in \(low, 2\^31\) = \(0, 2\^31\), got 2147483648"):
        backend.philox_randint(1, 0, 3, 0, 2**31)


def test_block_function_rejects_wrong_key_shape(backend):
    ctr = backend.asarray(np.zeros((3, 4), np.uint32))
    key = backend.asarray(np.zeros((2, 2), np.uint32))
    with pytest.raises(ValueError, match=r"philox4x32_10: argument 'key' must have shape \(N, 2\) = \(3, 2\) \(N as in 'ctr'\), got \(2, 2\)"):
        backend.philox4x32_10(ctr, key)


def test_block_function_rejects_signed_counters(backend):
    ctr = backend.asarray(np.zeros((3, 4), np.int32))
    key = backend.asarray(np.zeros((3, 2), np.uint32))
    with pytest.raises(TypeError, match=r"philox4x32_10: argument 'ctr' must have dtype uint32"):
        backend.philox4x32_10(ctr, key)
