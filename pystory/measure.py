"""Chapter 07: the numbers the chapter compares models by — bits per byte on a text, tokens per second.

bits_per_byte_on(model, tok, text) measures exactly what `python -m pystory eval`
prints: the text tokenized once, cut into windows of block_size + 1 tokens side by
side (each starts without context), the mean loss over every predicted token,
divided by ln 2 and by the bytes those tokens stand for.
"""
import time

import numpy as np

from pystory.train import bits_per_byte, token_byte_lengths

__all__ = ["bits_per_byte_on", "decode_tokens_per_second"]


def bits_per_byte_on(model, tok, text, max_tokens=200_000, batch_size=8, T=None):
    """(bits per byte, tokens evaluated) of `model` on `text` (bytes or str)."""
    data = text.encode() if isinstance(text, str) else text
    ids = np.asarray(tok.encode(data), np.int32)
    if max_tokens:
        ids = ids[:max_tokens + 1]
    T = T or model.cfg.block_size
    n_win = (len(ids) - 1) // T
    if n_win == 0:
        raise ValueError(f"the text has {len(ids)} tokens, fewer than one window of {T + 1}")
    lengths = token_byte_lengths(tok)
    windows = np.stack([ids[i * T:i * T + T + 1] for i in range(n_win)])      # (n_win, T+1)
    be = model.be
    nats, nbytes, ntok = 0.0, 0, 0
    for i in range(0, n_win, batch_size):
        w = windows[i:i + batch_size]
        _, loss = model.forward(be.asarray(w[:, :-1]), be.asarray(w[:, 1:]))
        nats += loss * w[:, 1:].size
        ntok += w[:, 1:].size
        nbytes += int(lengths[w[:, 1:]].sum())
    model.acts = None
    return bits_per_byte(nats, nbytes), ntok


def decode_tokens_per_second(model, n_tokens=200, prompt_ids=(0,)):
    """Greedy KV-cached decoding speed: (tokens per second, the tokens). The prompt is
    prefilled first and not timed; each of the n_tokens steps is one decode_step."""
    be = model.be
    kv = model.new_kv_cache(1)
    logits, _ = model.forward(be.asarray(np.asarray(prompt_ids, np.int32)[None, :]), kv=kv)
    nxt = int(np.argmax(be.to_numpy(logits[0, -1])))
    n = min(n_tokens, model.cfg.block_size - kv.n)
    out = []
    t0 = time.perf_counter()
    for _ in range(n):
        out.append(nxt)
        step = model.decode_step(be.asarray(np.array([nxt], np.int32)), kv)
        nxt = int(np.argmax(be.to_numpy(step[0])))
    return n / (time.perf_counter() - t0), out
