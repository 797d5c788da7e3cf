"""The declaration language (pystory/declare.py) and its checker (pystory/check.py), on toy ops."""
import numpy as np
import pytest

import pystory.check as check
from pystory.check import Context, wrap
from pystory.declare import array, choice, declare, float32, int32, integer, number, tuple_of, uint8

CPU = Context("numpy", np)


def checked(fn, impl=None):
    return wrap(fn.declaration, impl or fn, CPU)


@declare(x=array(float32, "(..., C)"), w=array(float32, "(OC, C)"), b=array(float32, "(OC,)", optional=True),
         returns="out (..., OC)")
def toy_linear(x, w, b):
    return x @ w.T + (0 if b is None else b)


def f32(*shape):
    return np.ones(shape, np.float32)


def test_declare_returns_the_reference_itself_unchecked():
    assert toy_linear.__name__ == "toy_linear"
    out = toy_linear(np.ones((2, 3)), np.ones((4, 3)), None)        # float64 straight through
    assert out.dtype == np.float64 and out.shape == (2, 4)


def test_the_checked_op_keeps_the_references_signature():
    import inspect
    assert str(inspect.signature(checked(toy_linear))) == "(x, w, b)"


def test_a_name_is_fixed_by_the_first_argument_and_checked_in_later_ones():
    with pytest.raises(ValueError, match=r"^toy_linear: argument 'w' must have shape \(OC, C\) = \(4, 3\) "
                                         r"\(C as in 'x'\), got \(4, 5\)$"):
        checked(toy_linear)(f32(2, 3), f32(4, 5), None)


def test_the_message_gives_the_expected_shape_with_the_bound_values():
    with pytest.raises(ValueError, match=r"^toy_linear: argument 'b' must have shape \(OC,\) = \(4,\) \(OC as in 'w'\), got \(5,\)$"):
        checked(toy_linear)(f32(2, 3), f32(4, 3), f32(5))


def test_leading_dimensions_may_be_anything_and_an_optional_array_may_be_none():
    assert checked(toy_linear)(f32(2, 7, 3), f32(4, 3), None).shape == (2, 7, 4)
    assert checked(toy_linear)(f32(3), f32(4, 3), f32(4)).shape == (4,)


@declare(x=array(float32, "(..., C)"), y=array(float32, "(...)"), returns="out (...)")
def toy_rows(x, y):
    return x.sum(-1) + y


def test_a_leading_group_must_match_the_group_of_earlier_arguments():
    with pytest.raises(ValueError, match=r"toy_rows: argument 'y' must have shape \(\.\.\.\) = \(2, 5\) \(\.\.\. as in 'x'\), got \(2, 6\)"):
        checked(toy_rows)(f32(2, 5, 3), f32(2, 6))


def test_too_few_dimensions_for_a_leading_group_say_at_least():
    with pytest.raises(ValueError, match=r"toy_rows: argument 'x' must have shape \(\.\.\., C\) \(at least 1 dimension\)"):
        checked(toy_rows)(np.zeros((), np.float32), f32())


@declare(qkv=array(float32, "(B, T, 3C)"), offsets=array(int32, "(B+1,)"), any=array(float32, "(*, C)"))
def toy_multiples(qkv, offsets, any):
    return None


def test_multiples_offsets_and_wildcards():
    f = checked(toy_multiples)
    f(f32(2, 3, 12), np.zeros(3, np.int32), f32(7, 4))
    with pytest.raises(ValueError, match=r"argument 'qkv' must have shape \(B, T, 3C\).*its axis 2 has 10, not of the form 3C"):
        f(f32(2, 3, 10), np.zeros(3, np.int32), f32(7, 4))
    with pytest.raises(ValueError, match=r"argument 'offsets' must have shape \(B\+1,\) = \(3,\) \(B as in 'qkv'\), got \(2,\)"):
        f(f32(2, 3, 12), np.zeros(2, np.int32), f32(7, 4))
    with pytest.raises(ValueError, match=r"argument 'any' must have shape \(\*, C\) = \(\*, 4\) \(C as in 'qkv'\), got \(7, 5\)"):
        f(f32(2, 3, 12), np.zeros(3, np.int32), f32(7, 5))


@declare(ids=array(int32, "(N,) in [0, V)"), table=array(float32, "(V, C)"), k=integer("[1, V]"),
         scale=number("(0, inf)"))
def toy_lookup(ids, table, k, scale):
    return type(k), type(scale)


def test_ids_are_checked_against_a_range_fixed_by_a_later_argument():
    f = checked(toy_lookup)
    for bad in (-1, 4, 2**31 - 1):
        with pytest.raises(ValueError, match=rf"toy_lookup: argument 'ids' holds {bad}, outside \[0, V\) = \[0, 4\)"):
            f(np.array([0, bad], np.int32), f32(4, 2), 1, 1.0)


def test_scalars_are_normalised_to_python_int_and_float():
    assert checked(toy_lookup)(np.zeros(1, np.int32), f32(4, 2), np.int64(2), np.float32(0.5)) == (int, float)
    assert checked(toy_lookup)(np.zeros(1, np.int32), f32(4, 2), 2, 3) == (int, float)


@pytest.mark.parametrize("k, scale, err, msg", [
    (True, 1.0, TypeError, r"argument 'k' must be an int, got bool"),
    (2.0, 1.0, TypeError, r"argument 'k' must be an int, got float"),
    (5, 1.0, ValueError, r"argument 'k' must be in \[1, V\] = \[1, 4\], got 5"),
    (1, float("nan"), ValueError, r"argument 'scale' must be finite, got nan"),
    (1, float("-inf"), ValueError, r"argument 'scale' must be finite"),
    (1, 0.0, ValueError, r"argument 'scale' must be in \(0, inf\), got 0.0"),
    (1, "1", TypeError, r"argument 'scale' must be a number, got str"),
    (1, np.bool_(True), TypeError, r"argument 'scale' must be a number, got numpy.bool_?"),
    (1, 10**400, ValueError, r"argument 'scale' must be finite"),
])
def test_scalars_out_of_kind_or_range_are_refused(k, scale, err, msg):
    with pytest.raises(err, match="toy_lookup: " + msg):
        checked(toy_lookup)(np.zeros(1, np.int32), f32(4, 2), k, scale)


@declare(x=array(float32, "(N,)"), version=choice("slow", "fast", default="fast"))
def toy_versions(x):
    return "reference"


def test_a_declared_version_is_a_keyword_and_a_backend_without_versions_ignores_it():
    import inspect
    f = checked(toy_versions)
    assert str(inspect.signature(f)) == "(x, *, version='fast')"
    assert f(f32(2), version="slow") == "reference"
    gpu = wrap(toy_versions.declaration, lambda x, version: version, CPU)
    assert gpu(f32(2)) == "fast" and gpu(f32(2), version="slow") == "slow"
    with pytest.raises(ValueError, match=r"toy_versions: argument 'version' must be one of \('slow', 'fast'\), got 'medium'"):
        f(f32(2), version="medium")


CACHE = tuple_of(x=array(float32, "(B, C)"), n=integer("[1, 2^31)"), s=array(float32, "(B, n)"))


@declare(dout=array(float32, "(B, C)"), cache=CACHE, returns="dx (B, C)")
def toy_backward(dout, cache):
    return dout


def test_a_cache_is_checked_item_by_item():
    f = checked(toy_backward)
    f(f32(2, 3), (f32(2, 3), 4, f32(2, 4)))
    with pytest.raises(TypeError, match=r"toy_backward: argument 'cache' must be the cache returned by the matching "
                                        r"forward, a tuple \(x, n, s\), got list of 3"):
        f(f32(2, 3), [f32(2, 3), 4, f32(2, 4)])
    with pytest.raises(ValueError, match=r"toy_backward: argument 'cache' item 2 \('s'\) must have shape \(B, n\) = \(2, 4\)"):
        f(f32(2, 3), (f32(2, 3), 4, f32(2, 5)))


@declare(p=array(float32, "(P,)"), m=array(float32, "(P,)"), mask=array(uint8, "(P,)", optional=True),
         writes=("p", "m"), distinct=("p", "m", "mask"))
def toy_update(p, m, mask):
    p += m


def test_buffers_declared_distinct_may_not_overlap():
    f = checked(toy_update)
    buf = f32(8)
    with pytest.raises(ValueError, match=r"toy_update: arguments 'p' and 'm' must be different buffers"):
        f(buf[:4], buf[2:6], None)
    with pytest.raises(ValueError, match=r"toy_update: arguments 'p' and 'mask' must be different buffers"):
        f(buf[:4], f32(4), buf.view(np.uint8)[:4])
    f(buf[:4], buf[4:], None)        # neighbours in one buffer are fine


@pytest.mark.parametrize("how", ["setflags", "frombuffer"])
def test_an_array_written_in_place_may_not_be_read_only(how):
    if how == "setflags":
        p = f32(4)
        p.setflags(write=False)
    else:
        p = np.frombuffer(bytes(16), np.float32)
    with pytest.raises(ValueError, match=r"toy_update: argument 'p' is read-only .* writes it in place"):
        checked(toy_update)(p, f32(4), None)


def heads_divide(C, n_head, xp):
    assert xp is np
    if C % n_head:
        return f"argument 'n_head' must divide C = {C}, got {n_head}"


@declare(x=array(float32, "(T, C)"), n_head=integer("[1, 2^31)"), checks=[heads_divide])
def toy_heads(x, n_head):
    return n_head


def test_named_checks_get_the_sizes_and_arguments_they_ask_for():
    assert checked(toy_heads)(f32(2, 8), 4) == 4
    with pytest.raises(ValueError, match=r"^toy_heads: argument 'n_head' must divide C = 8, got 3$"):
        checked(toy_heads)(f32(2, 8), 3)


def test_binding_errors_name_the_op():
    f = checked(toy_heads)
    with pytest.raises(TypeError, match=r"toy_heads\(\) missing required argument 'n_head'"):
        f(f32(2, 8))
    with pytest.raises(TypeError, match=r"toy_heads\(\) got an unexpected keyword argument 'heads'"):
        f(f32(2, 8), heads=2)
    with pytest.raises(TypeError, match=r"toy_heads\(\) takes 2 positional arguments but 3 were given"):
        f(f32(2, 8), 2, 3)
    with pytest.raises(TypeError, match=r"toy_heads\(\) got multiple values for argument 'x'"):
        f(f32(2, 8), 2, x=f32(2, 8))
    assert f(n_head=2, x=f32(2, 8)) == 2


def test_a_binding_may_ask_for_sizes_by_name():
    assert wrap(toy_heads.declaration, lambda x, n_head, T, C: (T, C), CPU)(f32(2, 8), 4) == (2, 8)


def test_a_binding_asks_for_sizes_after_its_arguments():
    with pytest.raises(TypeError, match=r"the sizes it asks for \(\['C'\]\) must come after the declared arguments"):
        wrap(toy_heads.declaration, lambda x, C, n_head: None, CPU)


def test_a_binding_with_other_parameters_is_refused_when_the_backend_is_built():
    with pytest.raises(TypeError, match=r"toy_heads: the numpy function takes \['x', 'heads'\]"):
        wrap(toy_heads.declaration, lambda x, heads: None, CPU)


def test_arrays_past_the_int32_range_are_refused(monkeypatch):
    monkeypatch.setattr(check, "INT32_MAX", 5)
    with pytest.raises(ValueError, match=r"toy_heads: argument 'x' has 6 elements; at most 5 are supported"):
        checked(toy_heads)(f32(3, 2), 1)


def test_a_gpu_array_on_a_cpu_backend_gets_a_hint():
    fake = type("ndarray", (), {"__module__": "cupy._core.core"})()
    with pytest.raises(TypeError, match=r"toy_heads: argument 'x' must be a NumPy array, got cupy\._core\.core\.ndarray "
                                        r"\(this backend runs on the CPU: use \.get\(\) or the 'cuda' backend\)"):
        checked(toy_heads)(fake, 1)


def test_a_cpu_array_on_the_gpu_backend_gets_a_hint():
    class FakeCupy:
        ndarray = type("ndarray", (), {})
    gpu = Context("cuda", FakeCupy)
    with pytest.raises(TypeError, match=r"argument 'x' must be a cupy array \(on the GPU\), got numpy\.ndarray "
                                        r"\(move it with backend\.asarray\(\.\.\.\)\)"):
        wrap(toy_heads.declaration, toy_heads, gpu)(f32(2, 2), 1)


@pytest.mark.parametrize("bad, why", [
    (lambda: dict(x=array(float32, "(N,)")), r"no declaration for argument\(s\) \['y'\]"),
    (lambda: dict(x=array(float32, "(N,)"), y=number("[0, M)")), r"the range of 'y' uses \['M'\], which no earlier"),
    (lambda: dict(x=array(float32, "(N,)"), y=number(), writes=("y",)), r"'y' in writes/distinct is not an array"),
    (lambda: dict(x=array(float32, "(N, 3C+)"), y=number()), r"cannot read the size '3C\+'"),
    (lambda: dict(x=array(float32, "N, C"), y=number()), r"cannot read the shape"),
    (lambda: dict(x=array(float32, "(N,)"), y=number(), z=number()), r"\['z'\] are not arguments"),
])
def test_a_wrong_declaration_fails_at_import_with_what_is_wrong(bad, why):
    with pytest.raises(ValueError, match=why):
        declare(**bad())(lambda x, y: None)


def test_the_example_call_is_valid_and_uses_distinct_small_sizes():
    args, sizes = toy_linear.declaration.example(np.random.default_rng(0))
    assert {k: v for k, v in sizes.items() if k != "..."} == {"C": 2, "OC": 3}
    assert checked(toy_linear)(*args).shape == (2, 3)


def test_a_declaration_prints_as_a_table():
    text = repr(toy_update.declaration)
    assert "p     float32 (P,)   (written in place)" in text
    assert "mask  uint8 (P,) or None" in text and "distinct buffers: p, m, mask" in text
