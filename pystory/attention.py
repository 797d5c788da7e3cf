"""Chapter 03: softmax and causal multi-head attention, as NumPy references.

softmax_forward(x) -> y                     y = exp(x - max) / sum, row-wise over the last axis
softmax_backward(dy, y) -> dx               dx = y * (dy - sum(dy * y))

attention_forward_naive(qkv, n_head) -> out, cache
attention_backward_naive(dout, cache) -> dqkv
    the math as it reads: scores S = Q K^T / sqrt(hs) as a (T, T) matrix per
    head, a causal mask, P = softmax(S), out = P V.

attention_forward_flash(qkv, n_head) -> out, cache
attention_backward_flash(dout, cache) -> dqkv
    the same function, tiled: queries in tiles of BLOCK_Q rows meet keys in
    tiles of BLOCK_K columns, the softmax is computed online (a running max
    and sum), and the (T, T) matrix never exists. The forward saves the
    log-sum-exp of each row; the backward recomputes the scores tile by tile.
    This is the readable reference for csrc/attention.c and cuda/attention.cu.

Layout (GPT-2 / llm.c): qkv is (B, T, 3C), q = qkv[..., :C], k = qkv[..., C:2C],
v = qkv[..., 2C:], each split into n_head heads of size hs = C / n_head.
out is (B, T, C), heads side by side, ready for the output projection.

Caches (opaque to callers; each backend's backward accepts its own forward's):
    naive: (qkv, n_head, att)       att: (B, NH, T, T), the softmax probabilities
    flash: (qkv, n_head, out, lse)  lse: (B, NH, T), log of each row's softmax sum
Everything here is dtype-generic: float64 inputs give float64 gradients.
The declarations above each op say what every backend checks (pystory/declare.py);
softmax_forward's `version` picks a CUDA kernel, NumPy and C have one.
"""
import numpy as np

from pystory.declare import INT32_MAX, array, choice, declare, float32, integer, tuple_of

__all__ = ["softmax_forward", "softmax_backward",
           "attention_forward_naive", "attention_backward_naive",
           "attention_forward_flash", "attention_backward_flash"]

# Tile sizes of the flash reference (the C port uses the same ones; cuda/attention.cu
# calls its own tiles by the same names).
BLOCK_Q = 32
BLOCK_K = 32
HEAD_SIZE_MAX = 256     # the C and CUDA kernels keep one head's rows in fixed-size tiles


# --- what the declarations check ---------------------------------------------------

def rows_have_an_entry(N):
    """A softmax over nothing has no probabilities: N >= 1."""
    if N == 0:
        return "argument 'x' must have a non-empty last axis (N >= 1)"


def heads_divide_channels(C, n_head):
    """Each head gets C / n_head channels: a whole number."""
    if C % n_head:
        return f"argument 'n_head' must divide the channel count C = {C}, got n_head={n_head}"


def qkv_holds_heads(C, n_head):
    """q, k and v packed on the last axis, at least one channel, heads of 1 .. HEAD_SIZE_MAX."""
    if C == 0:
        return "argument 'qkv' must have shape (B, T, 3C) with C >= 1 (q, k and v packed on the last axis)"
    if C % n_head:
        return f"argument 'n_head' must divide the channel count C = {C}, got n_head={n_head}"
    if C // n_head > HEAD_SIZE_MAX:
        return (f"head size C / n_head = {C // n_head} is larger than {HEAD_SIZE_MAX}, "
                "the most the C and CUDA kernels hold")


def naive_matrix_fits(B, T, n_head):
    """The compiled naive versions index the (B, NH, T, T) matrix with 32-bit ints."""
    if B * n_head * T * T > INT32_MAX:
        return (f"T = {T} is too long for the naive version: its (B, NH, T, T) matrix would hold "
                f"{B * n_head * T * T} floats (at most {INT32_MAX}); use attention_forward_flash")


QKV = array(float32, "(B, T, 3C)")
EXAMPLE = dict(C=32, n_head=2)      # the generated test call: two heads of 16
N_HEAD = integer("[1, 2^31)")
NAIVE_CACHE = tuple_of(qkv=QKV, n_head=N_HEAD, att=array(float32, "(B, n_head, T, T)"))
FLASH_CACHE = tuple_of(qkv=QKV, n_head=N_HEAD, out=array(float32, "(B, T, C)"), lse=array(float32, "(B, n_head, T)"))


# --- softmax -----------------------------------------------------------------

@declare(x=array(float32, "(..., N)"), version=choice("naive", "warp", "online", default="online"),
         checks=[rows_have_an_entry], returns="y (..., N)")
def softmax_forward(x):
    # x: (..., N) -> y: (..., N), each row sums to 1.
    # Subtracting the row max changes nothing mathematically (it cancels in
    # the ratio) but keeps exp() from overflowing: the largest term is exp(0) = 1.
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


@declare(dy=array(float32, "(..., N)"), y=array(float32, "(..., N)"), returns="dx (..., N)")
def softmax_backward(dy, y):
    # dy, y: (..., N) -> dx: (..., N)
    # dy_i/dx_j = y_i (delta_ij - y_j), so dx_j = sum_i dy_i y_i (delta_ij - y_j)
    #                                          = y_j (dy_j - sum_i dy_i y_i).
    return y * (dy - np.sum(dy * y, axis=-1, keepdims=True))


# --- reshapes -------------------------------------------------------------------

def _heads(qkv, n_head):
    # qkv: (B, T, 3C) -> q, k, v: (B, NH, T, hs) (views, no copy)
    B, T, C3 = qkv.shape
    C = C3 // 3
    hs = C // n_head
    q, k, v = (qkv[:, :, i * C:(i + 1) * C].reshape(B, T, n_head, hs).transpose(0, 2, 1, 3) for i in range(3))
    return q, k, v


def _merge(y):
    # y: (B, NH, T, hs) -> (B, T, C), heads side by side
    B, NH, T, hs = y.shape
    return np.ascontiguousarray(y.transpose(0, 2, 1, 3).reshape(B, T, NH * hs))


# --- naive attention: the (T, T) matrix, as the math reads --------------------------

@declare(qkv=QKV, n_head=N_HEAD, checks=[qkv_holds_heads, naive_matrix_fits],
         example=EXAMPLE, returns=("out (B, T, C)", NAIVE_CACHE))
def attention_forward_naive(qkv, n_head):
    # qkv: (B, T, 3C) -> out: (B, T, C), cache = (qkv, n_head, att)
    B, T, C3 = qkv.shape
    C, NH = C3 // 3, n_head
    hs = C // NH
    if T == 0:                                           # nothing to attend to (np.max of nothing fails)
        return np.zeros((B, 0, C), qkv.dtype), (qkv, NH, np.zeros((B, NH, 0, 0), qkv.dtype))
    q, k, v = _heads(qkv, NH)                            # (B, NH, T, hs) each
    scale = qkv.dtype.type(1.0 / np.sqrt(hs))
    scores = (q @ k.transpose(0, 1, 3, 2)) * scale       # (B, NH, T, T): query t against key t2
    future = np.triu(np.ones((T, T), dtype=bool), k=1)   # t2 > t: a token may not look ahead
    scores = np.where(future, -np.inf, scores)           # exp(-inf) = 0: no weight on the future
    att = softmax_forward(scores)                        # (B, NH, T, T), rows sum to 1
    out = _merge(att @ v)                                # (B, NH, T, hs) -> (B, T, C)
    return out, (qkv, NH, att)


@declare(dout=array(float32, "(B, T, C)"), cache=NAIVE_CACHE, checks=[qkv_holds_heads, naive_matrix_fits],
         example=EXAMPLE, returns="dqkv (B, T, 3C)")
def attention_backward_naive(dout, cache):
    # dout: (B, T, C) -> dqkv: (B, T, 3C)
    qkv, NH, att = cache
    B, T, C = dout.shape
    hs = C // NH
    if T == 0:
        return np.zeros_like(qkv)
    q, k, v = _heads(qkv, NH)
    scale = qkv.dtype.type(1.0 / np.sqrt(hs))
    dy = dout.reshape(B, T, NH, hs).transpose(0, 2, 1, 3)   # (B, NH, T, hs)
    # out = P V:          dP = dY V^T,  dV = P^T dY
    datt = dy @ v.transpose(0, 1, 3, 2)                      # (B, NH, T, T)
    dv = att.transpose(0, 1, 3, 2) @ dy
    # P = softmax(S):     dS = P * (dP - rowsum(dP * P)); masked entries have P = 0, so dS = 0 there
    dscores = softmax_backward(datt, att) * scale            # the scale of S = scale * Q K^T
    # S = Q K^T:          dQ = dS K,  dK = dS^T Q
    dq = dscores @ k
    dk = dscores.transpose(0, 1, 3, 2) @ q
    return np.concatenate([_merge(dq), _merge(dk), _merge(dv)], axis=2)


# --- flash attention: tiles and the online softmax -----------------------------------

def _causal_tile_mask(i0, i1, j0, j1):
    # True where key j is in the future of query i, for the tile [i0, i1) x [j0, j1)
    return np.arange(j0, j1)[None, :] > np.arange(i0, i1)[:, None]


@declare(qkv=QKV, n_head=N_HEAD, checks=[qkv_holds_heads], example=EXAMPLE,
         returns=("out (B, T, C)", FLASH_CACHE))
def attention_forward_flash(qkv, n_head):
    # qkv: (B, T, 3C) -> out: (B, T, C), cache = (qkv, n_head, out, lse)
    B, T, C3 = qkv.shape
    C, NH = C3 // 3, n_head
    hs = C // NH
    q, k, v = _heads(qkv, NH)
    dt = qkv.dtype.type
    scale = dt(1.0 / np.sqrt(hs))
    y = np.empty((B, NH, T, hs), dtype=qkv.dtype)
    lse = np.empty((B, NH, T), dtype=qkv.dtype)
    for i0 in range(0, T, BLOCK_Q):                      # one tile of queries ...
        i1 = min(i0 + BLOCK_Q, T)
        qi = q[:, :, i0:i1]                              # (B, NH, bq, hs)
        m = np.full((B, NH, i1 - i0), -np.inf, dtype=qkv.dtype)   # running max of each row
        l = np.zeros((B, NH, i1 - i0), dtype=qkv.dtype)           # running sum of exp(s - m)
        acc = np.zeros((B, NH, i1 - i0, hs), dtype=qkv.dtype)     # running sum of exp(s - m) v
        for j0 in range(0, i1, BLOCK_K):                 # ... meets the key tiles up to its last query
            j1 = min(j0 + BLOCK_K, i1)
            s = (qi @ k[:, :, j0:j1].transpose(0, 1, 3, 2)) * scale   # (B, NH, bq, bk): one tile of S
            if j1 - 1 > i0:                              # the tile touches the diagonal: mask the future
                s = np.where(_causal_tile_mask(i0, i1, j0, j1), -np.inf, s)
            m_new = np.maximum(m, s.max(axis=-1))        # finite: key 0 is in every row's first tile
            p = np.exp(s - m_new[..., None])             # (B, NH, bq, bk), <= 1
            corr = np.exp(m - m_new)                     # rescales what was summed under the old max
            l = l * corr + p.sum(axis=-1)
            acc = acc * corr[..., None] + p @ v[:, :, j0:j1]
            m = m_new
        y[:, :, i0:i1] = acc / l[..., None]
        lse[:, :, i0:i1] = m + np.log(l)                 # log sum_j exp(s_j): all the backward needs
    out = _merge(y)
    return out, (qkv, NH, out, lse)


@declare(dout=array(float32, "(B, T, C)"), cache=FLASH_CACHE, checks=[qkv_holds_heads], example=EXAMPLE,
         returns="dqkv (B, T, 3C)")
def attention_backward_flash(dout, cache):
    # dout: (B, T, C) -> dqkv: (B, T, 3C); recomputes P tile by tile from lse
    qkv, NH, out, lse = cache
    B, T, C = dout.shape
    hs = C // NH
    q, k, v = _heads(qkv, NH)
    scale = qkv.dtype.type(1.0 / np.sqrt(hs))
    dy = dout.reshape(B, T, NH, hs).transpose(0, 2, 1, 3)        # (B, NH, T, hs)
    y = out.reshape(B, T, NH, hs).transpose(0, 2, 1, 3)
    # rowsum(dP * P) of the softmax backward equals rowsum(dY * Y) (since Y = P V, dP = dY V^T):
    # one number per query row, computed once instead of per tile.
    D = np.sum(dy * y, axis=-1)                                  # (B, NH, T)
    dq = np.zeros((B, NH, T, hs), dtype=qkv.dtype)
    dk = np.zeros_like(dq)
    dv = np.zeros_like(dq)
    for j0 in range(0, T, BLOCK_K):                  # one tile of keys (owns dK_j, dV_j) ...
        j1 = min(j0 + BLOCK_K, T)
        kj, vj = k[:, :, j0:j1], v[:, :, j0:j1]
        for i0 in range((j0 // BLOCK_Q) * BLOCK_Q, T, BLOCK_Q):   # ... meets the query tiles that see it
            i1 = min(i0 + BLOCK_Q, T)
            qi, dyi = q[:, :, i0:i1], dy[:, :, i0:i1]
            s = (qi @ kj.transpose(0, 1, 3, 2)) * scale          # recomputed, (B, NH, bq, bk)
            if j1 - 1 > i0:                                      # mask first: exp of a future score may overflow
                s = np.where(_causal_tile_mask(i0, i1, j0, j1), -np.inf, s)
            p = np.exp(s - lse[:, :, i0:i1, None])               # the softmax, from the saved lse
            dv[:, :, j0:j1] += p.transpose(0, 1, 3, 2) @ dyi
            dp = dyi @ vj.transpose(0, 1, 3, 2)
            ds = p * (dp - D[:, :, i0:i1, None]) * scale
            dq[:, :, i0:i1] += ds @ kj
            dk[:, :, j0:j1] += ds.transpose(0, 1, 3, 2) @ qi
    return np.concatenate([_merge(dq), _merge(dk), _merge(dv)], axis=2)
