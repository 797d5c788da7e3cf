"""The comparison helpers themselves: assert_agree and the gradient checker."""
import numpy as np
import pytest

from pystory.testing import assert_agree, check_grad


def test_assert_agree_accepts_float32_rounding_noise():
    x = np.linspace(-1, 1, 50, dtype=np.float32)
    assert_agree(x * (1 + 1e-6), x)


def test_assert_agree_reports_max_abs_and_rel_difference():
    with pytest.raises(AssertionError, match=r"max abs diff 0.5.*max rel diff 0.5"):
        assert_agree(np.array([1.0, 1.5], np.float32), np.array([1.0, 1.0], np.float32))


def test_assert_agree_treats_nan_for_a_number_as_a_failure():
    with pytest.raises(AssertionError, match="outside tolerance"):
        assert_agree(np.full(3, np.nan, np.float32), np.ones(3, np.float32))


def test_assert_agree_accepts_matching_nan_and_inf():
    a = np.array([np.nan, np.inf, -np.inf, 1.0])
    assert_agree(a, a.copy())


def test_assert_agree_is_exact_for_integers():
    with pytest.raises(AssertionError, match="1 of 3 values differ"):
        assert_agree(np.array([1, 2, 3], np.int32), np.array([1, 2, 4], np.int32))


def test_assert_agree_rejects_shape_mismatch():
    with pytest.raises(AssertionError, match="shape"):
        assert_agree(np.zeros(3), np.zeros(4))


def test_check_grad_accepts_a_correct_gradient():
    x = np.random.default_rng(0).standard_normal(5)
    check_grad(lambda: float(np.sum(x ** 3)), {"x": x}, {"x": 3 * x ** 2})


def test_check_grad_catches_a_wrong_gradient():
    x = np.random.default_rng(0).standard_normal(5)
    with pytest.raises(AssertionError, match="d loss / d x"):
        check_grad(lambda: float(np.sum(x ** 3)), {"x": x}, {"x": 2 * x ** 2})
