"""Chapter 06: block_decode — one transformer block for one new position, as one op — agrees with
the ops it is made of on every backend, and GPT.decode_step uses it without changing what it computes.
Chapter 07: block_decode_int8, the same block with int8 products, and QuantizedGPT.decode_step with it."""
import numpy as np
import pytest

import pystory
from pystory.gpt import BLOCK_WEIGHTS, GPT, GPTConfig
from pystory.lora import LoRAGPT
from pystory.quantize import GroupQuantizedGPT, QuantizedGPT, quantize_params
from pystory.testing import assert_agree

ref = pystory.backend("numpy")

TINY = GPTConfig(vocab_size=64, block_size=12, n_layer=2, n_head=2, n_embd=16)


def block_args(rng, B, T_max, C):
    """x, one layer's weights (BLOCK_WEIGHTS order) and the two caches: float32 NumPy arrays."""
    def normal(*shape, scale=0.3):
        return (rng.standard_normal(shape) * scale).astype(np.float32)
    shapes = {"ln1w": (C,), "ln1b": (C,), "qkvw": (3 * C, C), "qkvb": (3 * C,), "attprojw": (C, C),
              "attprojb": (C,), "ln2w": (C,), "ln2b": (C,), "fcw": (4 * C, C), "fcb": (4 * C,),
              "fcprojw": (C, 4 * C), "fcprojb": (C,)}
    weights = [normal(*shapes[name]) + (1 if name.startswith("ln") and name.endswith("w") else 0)
               for name in BLOCK_WEIGHTS]
    return normal(B, C, scale=1.0), weights, normal(B, T_max, C, scale=1.0), normal(B, T_max, C, scale=1.0)


def run_block(be, x, weights, k, v, n_head, t):
    """be.block_decode on copies of the inputs (on be): out, k_cache, v_cache as NumPy arrays."""
    k, v = be.asarray(k.copy()), be.asarray(v.copy())
    out = be.block_decode(be.asarray(x), *map(be.asarray, weights), k, v, n_head, t)
    return be.to_numpy(out), be.to_numpy(k), be.to_numpy(v)


def perturbed(model, seed=1):
    """LayerNorm gains of 1 and biases of 0 would hide a mistake in their use."""
    be = model.be
    rng = np.random.default_rng(seed)
    model.load_params(be.to_numpy(model.params) + rng.standard_normal(model.num_params).astype(np.float32) * 0.05)
    return model


class OpByOp(GPT):
    """A GPT whose products are its own but not GPT.linear itself: decode_step runs it op by op."""

    def linear(self, x, name, l=None):
        return super().linear(x, name, l)


def greedy(model, prompt, n):
    """n greedy tokens after `prompt` (a list of ids), B = 1, with the KV cache."""
    be = model.be
    kv = model.new_kv_cache(1)
    logits, _ = model.forward(be.asarray(np.array([prompt], np.int32)), kv=kv)
    tok, out = int(np.argmax(be.to_numpy(logits)[0, -1])), []
    for _ in range(n):
        out.append(tok)
        logits = model.decode_step(be.asarray(np.array([tok], np.int32)), kv)
        tok = int(np.argmax(be.to_numpy(logits)[0]))
    return out


# --- the op against its reference ---------------------------------------------------------------

@pytest.mark.parametrize("B, T_max, C, NH, t", [
    (1, 1, 8, 1, 0),        # the first position of a one-position cache: attends to itself only
    (2, 6, 16, 2, 3),
    (2, 6, 16, 2, 5),       # the last row of the cache
    (3, 5, 24, 3, 2),       # head size 8, three sequences
])
def test_block_decode_matches_the_reference(backend, rng, B, T_max, C, NH, t):
    x, weights, k, v = block_args(rng, B, T_max, C)
    out, k2, v2 = run_block(backend, x, weights, k, v, NH, t)
    want, k_want, v_want = run_block(ref, x, weights, k, v, NH, t)
    assert_agree(out, want, name="block_decode out")
    assert_agree(k2, k_want, name="k_cache")
    assert_agree(v2, v_want, name="v_cache")


def test_block_decode_writes_row_t_of_each_cache_and_nothing_else(backend, rng):
    B, T_max, C, t = 2, 6, 16, 3
    x, weights, k, v = block_args(rng, B, T_max, C)
    _, k2, v2 = run_block(backend, x, weights, k, v, 2, t)
    w = dict(zip(BLOCK_WEIGHTS, weights))
    h, _, _ = ref.layernorm_forward(x, w["ln1w"], w["ln1b"])
    qkv = ref.linear_forward(h, w["qkvw"], w["qkvb"])                 # (B, 3C): q | k | v
    assert_agree(k2[:, t], qkv[:, C:2 * C], name="k_cache[:, t]")
    assert_agree(v2[:, t], qkv[:, 2 * C:], name="v_cache[:, t]")
    others = [j for j in range(T_max) if j != t]
    assert_agree(k2[:, others], k[:, others], name="the other rows of k_cache")
    assert_agree(v2[:, others], v[:, others], name="the other rows of v_cache")


def test_block_decode_ignores_cache_rows_beyond_t(backend, rng):
    x, weights, k, v = block_args(rng, 1, 8, 16)
    k2, v2 = k.copy(), v.copy()
    k2[:, 4:] = 1e6                 # garbage in the unfilled part of the cache
    v2[:, 4:] = np.nan
    out, _, _ = run_block(backend, x, weights, k2, v2, 2, 3)
    want, _, _ = run_block(ref, x, weights, k, v, 2, 3)
    assert_agree(out, want, name="block_decode out")


def test_block_decode_is_the_block_of_gpt_decode_step_op_by_op(rng):
    # The op is one call for GPT.block_decode_ops (what the lesson shows first): the same numbers.
    model = perturbed(GPT(TINY, ref).init_weights(seed=0))
    kv_op, kv_ops = model.new_kv_cache(2), model.new_kv_cache(2)
    x = rng.standard_normal((2, TINY.n_embd)).astype(np.float32)
    for l in range(TINY.n_layer):
        for t in range(3):
            out = ref.block_decode(x, *model.layer_weights(l), kv_op.k[l], kv_op.v[l], TINY.n_head, t)
            assert_agree(out, model.block_decode_ops(x, l, kv_ops, t), name=f"layer {l}, position {t}")
    assert_agree(kv_op.k, kv_ops.k, name="k caches")
    assert_agree(kv_op.v, kv_ops.v, name="v caches")


# --- GPT.decode_step with the op ----------------------------------------------------------------

def counting_backend(calls, counted=("block_decode", "block_decode_int8")):
    """The numpy backend, with the ops named in `counted` recording (op, last argument) into `calls`."""
    ops = {op: getattr(ref, op) for op in ref.ops}

    def counting(op):
        def call(*args):
            calls.append((op, args[-1]))
            return getattr(ref, op)(*args)
        return call
    for op in counted:
        ops[op] = counting(op)
    return pystory.Backend("numpy", np, ops)


def test_decode_step_makes_one_block_decode_call_per_layer():
    calls = []
    be = counting_backend(calls)
    model = GPT(TINY, be).init_weights(seed=0)
    kv = model.new_kv_cache(1)
    model.forward(be.asarray(np.zeros((1, 3), np.int32)), kv=kv)
    model.decode_step(be.asarray(np.array([5], np.int32)), kv)
    assert calls == [("block_decode", 3)] * TINY.n_layer          # every layer, at position 3


def test_decode_step_of_a_lora_model_goes_op_by_op_through_its_adapters():
    calls = []
    model = LoRAGPT(TINY, counting_backend(calls), rank=2).init_adapters(seed=0)
    model.decode_step(np.array([5], np.int32), model.new_kv_cache(1))
    assert calls == []


def assert_decode_steps_agree(one_op, op_by_op, backend):
    """Five decode steps of two sequences: the same logits at every position, the same k cache."""
    ids = np.random.default_rng(0).integers(0, TINY.vocab_size, (2, 5)).astype(np.int32)
    kv1, kv2 = one_op.new_kv_cache(2), op_by_op.new_kv_cache(2)
    for t in range(ids.shape[1]):
        tok = backend.asarray(np.ascontiguousarray(ids[:, t]))
        assert_agree(one_op.decode_step(tok, kv1), op_by_op.decode_step(tok, kv2), rtol=1e-5, atol=1e-6,
                     name=f"logits at position {t}")
    assert_agree(kv1.k, kv2.k, rtol=1e-5, atol=1e-6, name="k caches")


def test_decode_step_gives_the_same_logits_with_the_op_and_op_by_op(backend):
    one_op = perturbed(GPT(TINY, backend).init_weights(seed=0))
    op_by_op = OpByOp(TINY, backend)
    op_by_op.load_params(backend.to_numpy(one_op.params))
    assert_decode_steps_agree(one_op, op_by_op, backend)


def test_on_c_the_one_op_block_is_bit_identical_to_op_by_op():
    # csrc/kvcache.c calls the very C functions the op-by-op block calls, with the same arguments
    be = pystory.backend("c")
    one_op = perturbed(GPT(TINY, be).init_weights(seed=0))
    op_by_op = OpByOp(TINY, be)
    op_by_op.load_params(one_op.params)
    kv1, kv2 = one_op.new_kv_cache(2), op_by_op.new_kv_cache(2)
    for t in range(4):
        ids = np.array([t, 3 * t], np.int32)
        assert np.array_equal(one_op.decode_step(ids, kv1), op_by_op.decode_step(ids, kv2)), f"position {t}"
    assert np.array_equal(kv1.k, kv2.k) and np.array_equal(kv1.v, kv2.v)


@pytest.mark.parametrize("name", ["numpy", "c"])
def test_greedy_generation_gives_the_same_tokens_as_op_by_op(name):
    be = pystory.backend(name)
    model = perturbed(GPT(TINY, be).init_weights(seed=3), seed=4)
    before = OpByOp(TINY, be)
    before.load_params(be.to_numpy(model.params))
    assert greedy(model, [1, 2, 3], 8) == greedy(before, [1, 2, 3], 8)


def assert_decoding_matches_forward(model, backend, ids, prefill=0):
    """decode_step at every position after `prefill` (a forward with the cache) gives the logits
    of a full forward over ids (B, T) at that position."""
    full, _ = model.forward(backend.asarray(ids))
    kv = model.new_kv_cache(ids.shape[0])
    if prefill:
        model.forward(backend.asarray(np.ascontiguousarray(ids[:, :prefill])), kv=kv)
    for t in range(prefill, ids.shape[1]):
        logits = model.decode_step(backend.asarray(np.ascontiguousarray(ids[:, t])), kv)
        assert_agree(logits, backend.to_numpy(full)[:, t], rtol=1e-4, atol=1e-5, name=f"position {t}")


def test_decode_step_of_two_sequences_matches_the_last_positions_of_a_full_forward(backend):
    model = perturbed(GPT(TINY, backend).init_weights(seed=2))
    ids = np.random.default_rng(1).integers(0, TINY.vocab_size, (2, 7)).astype(np.int32)
    assert_decoding_matches_forward(model, backend, ids, prefill=4)


def test_decode_step_from_embeddings_equals_decode_step_from_ids(backend):
    # chapter 05's input: the vectors themselves, wte[id] + wpe[t]
    model = perturbed(GPT(TINY, backend).init_weights(seed=0))
    wte, wpe = backend.to_numpy(model.p["wte"]), backend.to_numpy(model.p["wpe"])
    kv_ids, kv_emb = model.new_kv_cache(2), model.new_kv_cache(2)
    for t, pair in enumerate([[3, 9], [12, 0], [7, 7]]):
        ids = np.array(pair, np.int32)
        e = np.ascontiguousarray((wte[ids] + wpe[t])[:, None, :])                      # (B, 1, C)
        want = model.decode_step(backend.asarray(ids), kv_ids)
        got = model.decode_step(None, kv_emb, embeddings=backend.asarray(e))
        assert_agree(got, want, rtol=1e-5, atol=1e-6, name=f"position {t}")


def test_an_int8_model_still_decodes_what_its_forward_computes(backend):
    base = perturbed(GPT(TINY, ref).init_weights(seed=0))
    model = QuantizedGPT(TINY, backend, quantize_params(base.params, TINY))
    ids = np.random.default_rng(2).integers(0, TINY.vocab_size, (1, 4)).astype(np.int32)
    assert_decoding_matches_forward(model, backend, ids)


def test_a_lora_model_still_decodes_what_its_forward_computes(backend):
    model = LoRAGPT(TINY, backend, rank=2).init_adapters(seed=3)
    model.load_params(backend.to_numpy(perturbed(GPT(TINY, ref).init_weights(seed=0)).params))
    rng = np.random.default_rng(5)       # B = 0 at init would make the adapters invisible
    model.lora[...] = backend.asarray(rng.standard_normal(model.lora.size).astype(np.float32) * 0.3)
    ids = np.random.default_rng(2).integers(0, TINY.vocab_size, (1, 4)).astype(np.int32)
    assert_decoding_matches_forward(model, backend, ids)


# --- block_decode_int8 (chapter 07) -------------------------------------------------------------

def int8_weights(weights):
    """BLOCK_WEIGHTS -> block_decode_int8's weight arguments: each matrix as (int8 weights, scales)."""
    out = []
    for name, w in zip(BLOCK_WEIGHTS, weights):
        out += list(ref.quantize_int8(w)) if w.ndim == 2 else [w]
    return out


def run_block_int8(be, x, weights8, k, v, n_head, t):
    """be.block_decode_int8 on copies of the inputs (on be): out, k_cache, v_cache as NumPy arrays."""
    k, v = be.asarray(k.copy()), be.asarray(v.copy())
    out = be.block_decode_int8(be.asarray(x), *map(be.asarray, weights8), k, v, n_head, t)
    return be.to_numpy(out), be.to_numpy(k), be.to_numpy(v)


# Against the NumPy reference, c and emu agree to float32 rounding at these seeds (max |diff|
# 3e-6 on the CI VM), but that cannot be promised: each product quantizes its input row
# (round(x * 127 / amax)), and a value that lands within float rounding of a half step
# (LayerNorm or GELU summed in another order on another CPU) rounds to the neighbouring
# integer, which moves the block's output by one step of x's grid times a weight, ~1e-2 with
# these weights. So the tolerance is that step; a wrong scale, bias or matrix is off by 0.1 to 1.
# The tight comparison is test_the_int8_one_op_block_is_bit_identical_to_op_by_op below.
ONE_STEP = dict(rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("B, T_max, C, NH, t", [
    (1, 1, 8, 1, 0),
    (2, 6, 16, 2, 3),
    (2, 6, 16, 2, 5),
    (3, 5, 24, 3, 2),
    (1, 4, 36, 2, 1),       # C not a multiple of 32: the dot products' scalar tail in C
])
def test_block_decode_int8_matches_the_reference(backend, rng, B, T_max, C, NH, t):
    x, weights, k, v = block_args(rng, B, T_max, C)
    w8 = int8_weights(weights)
    out, k2, v2 = run_block_int8(backend, x, w8, k, v, NH, t)
    want, k_want, v_want = run_block_int8(ref, x, w8, k, v, NH, t)
    assert_agree(out, want, **ONE_STEP, name="block_decode_int8 out")
    assert_agree(k2, k_want, **ONE_STEP, name="k_cache")
    assert_agree(v2, v_want, **ONE_STEP, name="v_cache")
    others = [j for j in range(T_max) if j != t]
    assert np.array_equal(k2[:, others], k[:, others]) and np.array_equal(v2[:, others], v[:, others])


def test_block_decode_int8_is_the_block_with_int8_products_not_the_float_block(rng):
    # the int8 block is within quantization error of the float one (2% in norm here), not equal to it
    x, weights, k, v = block_args(rng, 2, 6, 32)
    out8, _, _ = run_block_int8(ref, x, int8_weights(weights), k, v, 2, 3)
    out32, _, _ = run_block(ref, x, weights, k, v, 2, 3)
    assert np.linalg.norm(out8 - out32) < 0.05 * np.linalg.norm(out32)
    assert not np.allclose(out8, out32, rtol=1e-4, atol=1e-4)


class OpByOp8(QuantizedGPT):
    """An int8 GPT whose products are QuantizedGPT's but not QuantizedGPT.linear itself:
    decode_step runs its blocks op by op (block_decode_ops), the path before block_decode_int8."""

    def linear(self, x, name, l=None):
        return super().linear(x, name, l)


def int8_pair(be, seed=0):
    """(QuantizedGPT, OpByOp8) on be, with the same int8 weights (of a perturbed float model)."""
    base = perturbed(GPT(TINY, ref).init_weights(seed=seed))
    sections = quantize_params(base.params, TINY)
    return QuantizedGPT(TINY, be, sections), OpByOp8(TINY, be, sections)


@pytest.mark.parametrize("name", ["c", "emu", pytest.param("cuda", marks=pytest.mark.gpu)])
def test_the_int8_one_op_block_is_bit_identical_to_op_by_op(name):
    # csrc/kvcache.c (and pystory/gpu/kvcache.py) call the very functions (kernels) the op-by-op
    # block calls, on the same inputs; the int8 sums are exact in int32 whatever the order in which
    # they are added (VNNI, AVX2 or __dp4a, threads or not), and the float work around them is the
    # same calls in the same order. So not close: equal, caches included.
    be = pystory.backend(name)
    one_op, op_by_op = int8_pair(be)
    kv1, kv2 = one_op.new_kv_cache(2), op_by_op.new_kv_cache(2)
    for t in range(4):
        ids = be.asarray(np.array([t, 3 * t], np.int32))
        a, b = be.to_numpy(one_op.decode_step(ids, kv1)), be.to_numpy(op_by_op.decode_step(ids, kv2))
        assert np.array_equal(a, b), f"position {t}: max |diff| {np.abs(a - b).max():.3g}"
    for c1, c2 in ((kv1.k, kv2.k), (kv1.v, kv2.v)):
        assert np.array_equal(be.to_numpy(c1), be.to_numpy(c2))


def test_quantized_decode_step_makes_one_block_decode_int8_call_per_layer():
    calls = []
    be = counting_backend(calls, ("block_decode", "block_decode_int8", "linear_forward_int8"))
    model, _ = int8_pair(be)
    kv = model.new_kv_cache(1)
    model.forward(be.asarray(np.zeros((1, 3), np.int32)), kv=kv)
    calls.clear()                                # the prefill's products, op by op
    model.decode_step(be.asarray(np.array([5], np.int32)), kv)
    # every layer at position 3, then the output layer (wte) as the one product outside the blocks
    assert calls == [("block_decode_int8", 3)] * TINY.n_layer + [("linear_forward_int8", None)]


def test_a_grouped_int8_model_decodes_op_by_op():
    # runq.c's group-wise scales have a NumPy-only product and no block op
    calls = []
    be = counting_backend(calls)
    base = perturbed(GPT(TINY, ref).init_weights(seed=0))
    model = GroupQuantizedGPT(TINY, be, base.params, 8)
    assert model.decode_block(0) is None
    model.decode_step(np.array([5], np.int32), model.new_kv_cache(1))
    assert calls == []


def test_quantized_decode_step_gives_the_logits_of_op_by_op(backend):
    one_op, op_by_op = int8_pair(backend)
    assert_decode_steps_agree(one_op, op_by_op, backend)


@pytest.mark.parametrize("name", ["numpy", "c"])
def test_quantized_greedy_generation_gives_the_same_tokens_as_op_by_op(name):
    one_op, op_by_op = int8_pair(pystory.backend(name), seed=3)
    assert greedy(one_op, [1, 2, 3], 8) == greedy(op_by_op, [1, 2, 3], 8)


def valid_call_int8(be, rng, B=1, T_max=4, C=8):
    x, weights, k, v = block_args(rng, B, T_max, C)
    return [be.asarray(x), *map(be.asarray, int8_weights(weights)), be.asarray(k), be.asarray(v), 2, 1]


INT8_NAMES = ("x", "ln1w", "ln1b", "qkvwq", "qkvwscale", "qkvb", "attprojwq", "attprojwscale", "attprojb",
              "ln2w", "ln2b", "fcwq", "fcwscale", "fcb", "fcprojwq", "fcprojwscale", "fcprojb")


def test_block_decode_int8_takes_block_decodes_arguments_with_each_matrix_as_two():
    import inspect
    names = tuple(inspect.signature(ref.block_decode_int8).parameters)
    assert names == INT8_NAMES + ("k_cache", "v_cache", "n_head", "t")
    float_names = tuple(inspect.signature(ref.block_decode).parameters)
    assert tuple(n for n in names if not n.endswith("scale")) == tuple(
        n + "q" if n in ("qkvw", "attprojw", "fcw", "fcprojw") else n for n in float_names)


def test_block_decode_int8_refuses_a_weight_of_minus_128(backend, rng):
    # -128 has no positive twin: the sign trick of csrc/int8.c would be wrong for it
    args = valid_call_int8(backend, rng)
    i = INT8_NAMES.index("fcprojwq")
    bad = backend.to_numpy(args[i]).copy()
    bad[0, 0] = -128
    args[i] = backend.asarray(bad)
    with pytest.raises(ValueError, match=r"block_decode_int8: argument 'fcprojwq' holds -128, outside \[-127, 127\]"):
        backend.block_decode_int8(*args)


def test_block_decode_int8_refuses_float_weights_where_int8_go(backend, rng):
    args = valid_call_int8(backend, rng)
    i = INT8_NAMES.index("qkvwq")
    args[i] = backend.asarray(np.zeros((24, 8), np.float32))
    with pytest.raises(TypeError, match="block_decode_int8: argument 'qkvwq' must have dtype int8, got float32"):
        backend.block_decode_int8(*args)


def test_block_decode_int8_refuses_scales_of_another_length(backend, rng):
    args = valid_call_int8(backend, rng)
    i = INT8_NAMES.index("fcwscale")
    args[i] = backend.asarray(np.ones(8, np.float32))
    with pytest.raises(ValueError, match=r"block_decode_int8: argument 'fcwscale' must have shape \(4C,\) = \(32,\)"):
        backend.block_decode_int8(*args)


def test_block_decode_int8_rejects_t_outside_the_cache(backend, rng):
    args = valid_call_int8(backend, rng)
    for t in (-1, 4):
        with pytest.raises(ValueError, match=r"block_decode_int8: argument 't' must be in \[0, T_max\) = \[0, 4\)"):
            backend.block_decode_int8(*args[:-1], t)


# --- bad input ----------------------------------------------------------------------------------

def valid_call(be, rng, B=1, T_max=4, C=8):
    x, weights, k, v = block_args(rng, B, T_max, C)
    return [be.asarray(x), *map(be.asarray, weights), be.asarray(k), be.asarray(v), 2, 1]


def test_block_decode_rejects_t_outside_the_cache(backend, rng):
    args = valid_call(backend, rng)
    for t in (-1, 4):
        with pytest.raises(ValueError, match=r"block_decode: argument 't' must be in \[0, T_max\) = \[0, 4\)"):
            backend.block_decode(*args[:-1], t)


def test_block_decode_rejects_a_weight_of_another_width(backend, rng):
    args = valid_call(backend, rng)
    i = 1 + BLOCK_WEIGHTS.index("fcw")
    args[i] = backend.asarray(np.zeros((4 * 8, 9), np.float32))
    with pytest.raises(ValueError, match=r"block_decode: argument 'fcw' must have shape \(4C, C\) = \(32, 8\)"):
        backend.block_decode(*args)


def test_block_decode_rejects_head_count_not_dividing_c(backend, rng):
    args = valid_call(backend, rng)
    with pytest.raises(ValueError, match="block_decode: argument 'n_head' must divide the channel count C = 8"):
        backend.block_decode(*args[:-2], 3, 1)


def test_block_decode_rejects_one_buffer_as_both_caches(backend, rng):
    args = valid_call(backend, rng)
    args[-3] = args[-4]
    with pytest.raises(ValueError, match="block_decode: arguments 'k_cache' and 'v_cache' must be different buffers"):
        backend.block_decode(*args)


def test_decode_step_rejects_embeddings_of_the_wrong_shape():
    model = GPT(TINY, ref).init_weights(seed=0)
    with pytest.raises(ValueError, match=r"GPT.decode_step: embeddings must have shape \(B, 1, C\) = \(2, 1, 16\)"):
        model.decode_step(None, model.new_kv_cache(2), embeddings=np.zeros((2, 2, 16), np.float32))
