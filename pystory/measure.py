"""Chapter 07: the numbers the chapter compares models by — bits per byte on a text, tokens per second.

bits_per_byte_on(model, tok, text) measures exactly what `python -m pystory eval`
prints: the text's stories tokenized as training tokenizes them (joined by the eot
token), cut into windows of block_size + 1 tokens side by side (each starts without
context), the mean loss over every predicted token, divided by ln 2 and by the bytes
those tokens stand for. It is then the same figure as training's validation loss on
the same stories.
"""
import time

import numpy as np

from pystory.data.corpus import SEPARATOR, stories_in
from pystory.train import bits_per_byte, token_byte_lengths

__all__ = ["bits_per_byte_on", "decode_tokens_per_second"]


def training_ids(tok, text, where="the text"):
    """The ids training sees for a TinyStories-format text (pystory/data/cli.py's tokenize_file):
    its stories joined by the eot token. Encoding the raw text instead would add the newlines around
    every <|endoftext|> line, 2 tokens a story that the model never saw there: on storyworld's
    validation stories they raised the shipped model's loss from 0.81 to 0.99 nats/token."""
    stories = stories_in(text, where)
    return np.asarray(tok.encode(SEPARATOR.join(stories) + SEPARATOR), np.int32)


def bits_per_byte_on(model, tok, text, max_tokens=200_000, batch_size=8, T=None, where="the text"):
    """(bits per byte, tokens evaluated, nats per token) of `model` on `text` (TinyStories format,
    bytes or str). ValueError, naming `where`, for a text with no story or too few tokens."""
    ids = training_ids(tok, text, where)
    if max_tokens:
        ids = ids[:max_tokens + 1]
    T = T or model.cfg.block_size
    n_win = (len(ids) - 1) // T
    if n_win == 0:
        raise ValueError(f"{where} has {len(ids)} tokens, fewer than one window of {T + 1} "
                         f"(the model's block size + 1); give a longer text")
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
    return bits_per_byte(nats, nbytes), ntok, nats / ntok


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
