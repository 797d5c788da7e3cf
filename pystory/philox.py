"""Chapter 02: Philox-4x32-10, the counter-based random generator every layer shares.

A counter-based generator is a pure function: random words = bijection(counter, key).
There is no state to carry from one number to the next, so number i can be
computed without computing numbers 0..i-1, by any thread, in any order. That
is why GPUs use it (cuRAND, PyTorch, JAX): a million threads each compute
their own numbers, and the same (seed, offset) gives the same numbers in
NumPy, in C and in CUDA, bit for bit.

Philox-4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy
as 1, 2, 3", SC 2011) maps a 128-bit counter (four 32-bit words) and a 64-bit
key (two words) to four random 32-bit words with ten rounds of

    hi0, lo0 = mulhilo(M0, x0)      # the 64-bit product of two 32-bit words
    hi1, lo1 = mulhilo(M1, x2)
    x = (hi1 ^ x1 ^ k0, lo1, hi0 ^ x3 ^ k1, lo0)
    k = (k0 + W0, k1 + W1)          # the key is "bumped" between rounds

The stream used by pystory (the same in all three languages):

    key     = (seed mod 2^32, seed >> 32)              seed: a uint64
    word i  = philox4x32_10(ctr=(i // 4 mod 2^32, i // 4 >> 32, 0, 0), key)[i % 4]

`offset` counts 32-bit words already consumed: `philox_uniform(seed, offset, n)`
returns numbers from words offset, offset+1, ..., offset+n-1, so asking for
n numbers and then for k more at offset + n gives exactly the first n + k.

    uniform[i] = (word[offset + i] >> 8) * 2^-24            in [0, 1), exact in float32
    randint[i] = low + (word[offset + i] * (high - low)) >> 32    (Lemire's multiply-shift)
    normal[i]  : Box-Muller on the pair of words (2p, 2p+1) with p = (offset + i) // 2:
                 u1 = ((word[2p] >> 8) + 1) * 2^-24  in (0, 1]  (never log(0))
                 u2 = (word[2p+1] >> 8) * 2^-24
                 r = sqrt(-2 ln u1); normal = r cos(2 pi u2) if offset + i is even else r sin(2 pi u2)
                 computed in float64, then rounded to float32.

Each function consumes exactly n words, so offsets add up the same way for
all three. The normal is a function of its index alone (not of where a call
started), so continuations match for normals too.
"""
import functools
import types

import numpy as np

from pystory.declare import array, declare, integer, uint32

__all__ = ["philox4x32_10", "philox_uniform", "philox_normal", "philox_randint"]

PHILOX_M0, PHILOX_M1 = 0xD2511F53, 0xCD9E8D57   # the round multipliers
PHILOX_W0, PHILOX_W1 = 0x9E3779B9, 0xBB67AE85   # the key bumps: golden ratio, sqrt(3) - 1
MASK32 = 0xFFFFFFFF
TWO_PI = 6.283185307179586


def _mulhilo(m, x):
    # m: a 32-bit constant, x: uint64 array holding 32-bit values -> (hi, lo) of the 64-bit product
    p = np.uint64(m) * x            # < 2^64: no overflow in uint64
    return p >> np.uint64(32), p & np.uint64(MASK32)


def philox_round(x0, x1, x2, x3, k0, k1):
    """One Philox round on four uint64 arrays holding 32-bit words."""
    hi0, lo0 = _mulhilo(PHILOX_M0, x0)
    hi1, lo1 = _mulhilo(PHILOX_M1, x2)
    return hi1 ^ x1 ^ k0, lo1, hi0 ^ x3 ^ k1, lo0


@declare(ctr=array(uint32, "(N, 4)"), key=array(uint32, "(N, 2)"), returns="out uint32 (N, 4)")
def philox4x32_10(ctr, key):
    """The raw block function. ctr: (N, 4) uint32, key: (N, 2) uint32 -> (N, 4) uint32."""
    ctr = np.asarray(ctr, dtype=np.uint32)
    key = np.asarray(key, dtype=np.uint32)
    # uint64 holds the 32-bit words, so that the product of two fits without wrapping.
    x = [ctr[:, j].astype(np.uint64) for j in range(4)]
    k0, k1 = key[:, 0].astype(np.uint64), key[:, 1].astype(np.uint64)
    for r in range(10):
        if r > 0:   # bump the key between rounds (nine bumps for ten rounds)
            k0 = (k0 + np.uint64(PHILOX_W0)) & np.uint64(MASK32)
            k1 = (k1 + np.uint64(PHILOX_W1)) & np.uint64(MASK32)
        x = philox_round(*x, k0, k1)
    return np.stack(x, axis=1).astype(np.uint32)


def counter_does_not_wrap(offset, n):
    """Words offset .. offset+n-1 live in 64-bit counter blocks of 4: they must not wrap around."""
    if offset + n + 4 > 2**64:
        return "offset + n must stay below 2^64 - 4 (the counter would wrap)"


SEED, OFFSET, N = integer("[0, 2^64)"), integer("[0, 2^64)"), integer("[0, 2^31)")


def philox_words(seed, offset, n):
    """Words offset .. offset+n-1 of the stream of `seed`: (n,) uint32."""
    first, last = offset // 4, (offset + n + 3) // 4          # the counter blocks that hold them
    if n == 0:
        return np.zeros(0, np.uint32)
    c = np.arange(last - first, dtype=np.uint64) + np.uint64(first)   # a 64-bit block counter
    ctr = np.zeros((c.size, 4), np.uint32)
    ctr[:, 0] = (c & np.uint64(MASK32)).astype(np.uint32)
    ctr[:, 1] = (c >> np.uint64(32)).astype(np.uint32)
    key = np.empty((c.size, 2), np.uint32)
    key[:, 0], key[:, 1] = seed & MASK32, seed >> 32
    words = philox4x32_10(ctr, key).reshape(-1)       # block b gives words 4b .. 4b+3
    start = offset - 4 * first
    return words[start:start + n]


@declare(seed=SEED, offset=OFFSET, n=N, checks=[counter_does_not_wrap], returns="u (n,)")
def philox_uniform(seed, offset, n):
    """n float32 in [0, 1) from the top 24 bits of each word: (n,) float32."""
    w = philox_words(seed, offset, n)
    # 24 bits fit a float32 mantissa exactly: k * 2^-24 is exact, the largest is 1 - 2^-24.
    return (w >> np.uint32(8)).astype(np.float32) * np.float32(2.0 ** -24)


@declare(seed=SEED, offset=OFFSET, n=N, checks=[counter_does_not_wrap], returns="z (n,)")
def philox_normal(seed, offset, n):
    """n standard normal float32 by Box-Muller (see the module doc for the pairing): (n,) float32."""
    if n == 0:
        return np.zeros(0, np.float32)
    first = offset - offset % 2                      # start at the even word of the first pair
    w = philox_words(seed, first, offset + n - first + (offset + n - first) % 2)
    u1 = ((w[0::2] >> np.uint32(8)).astype(np.float64) + 1.0) * 2.0 ** -24   # (0, 1]
    u2 = (w[1::2] >> np.uint32(8)).astype(np.float64) * 2.0 ** -24          # [0, 1)
    r = np.sqrt(-2.0 * np.log(u1))
    z = np.empty(w.size, np.float64)
    z[0::2] = r * np.cos(TWO_PI * u2)
    z[1::2] = r * np.sin(TWO_PI * u2)
    return z[offset - first:offset - first + n].astype(np.float32)


@declare(seed=SEED, offset=OFFSET, n=N, low=integer("[-2^31, 2^31)"), high=integer("(low, 2^31)"),
         checks=[counter_does_not_wrap], returns="r int32 (n,)")
def philox_randint(seed, offset, n, low, high):
    """n int32 in [low, high): low + (word * (high - low)) >> 32: (n,) int32."""
    w = philox_words(seed, offset, n).astype(np.uint64)
    # The 64-bit product's high word is uniform in [0, high - low) up to a bias of (high-low)/2^32.
    r = (w * np.uint64(high - low)) >> np.uint64(32)
    return (np.int64(low) + r.astype(np.int64)).astype(np.int32)


class Philox:
    """A stream of random numbers that remembers how far it has read.

        rng = Philox(seed=42)
        a = rng.uniform(10)        # words 0..9
        b = rng.normal(4)          # words 10..13
        rng.offset                 # 14

    It only advances `offset`; the numbers come from the stateless ops above, so
    Philox(42).uniform(20) equals the two calls uniform(10), uniform(10).
    `backend` (a pystory backend, default NumPy) says where the numbers are made.
    """

    def __init__(self, seed, offset=0, backend=None):
        for name, v in (("seed", seed), ("offset", offset)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= int(v) < 2**64:
                raise ValueError(f"Philox: {name} must be an int in [0, 2^64), got {v!r}")
        self.seed, self.offset = int(seed), int(offset)
        self.backend = backend

    def _ops(self):
        if self.backend is None:   # the references, behind the checker every backend has
            return _checked_references()
        return self.backend

    def _advance(self, n):
        start = self.offset
        self.offset += int(n)
        return start

    def uniform(self, n):
        return self._ops().philox_uniform(self.seed, self._advance(n), n)

    def normal(self, n):
        return self._ops().philox_normal(self.seed, self._advance(n), n)

    def randint(self, n, low, high):
        return self._ops().philox_randint(self.seed, self._advance(n), n, low, high)

    def __repr__(self):
        return f"Philox(seed={self.seed}, offset={self.offset})"


@functools.lru_cache(maxsize=None)
def _checked_references():
    """The ops above behind their declarations' checker, for a Philox without a backend."""
    from pystory.check import Context, wrap
    ctx = Context("numpy", np)
    return types.SimpleNamespace(**{op: wrap(globals()[op].declaration, globals()[op], ctx) for op in __all__})
