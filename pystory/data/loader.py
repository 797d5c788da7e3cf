"""Batches of token windows for training a language model.

    loader = BatchLoader("data/storyworld", B=8, T=128, split="train", seed=0)
    w = loader.next_batch()          # (B, T+1) int32
    x, y = w[:, :-1], w[:, 1:]       # inputs and next-token targets, (B, T) each

Each row is T+1 consecutive tokens from one shard: the model reads the first
T and predicts the last T, so one window gives T training examples.

Where a window starts: a shard is drawn with probability proportional to its
number of possible starts, then a start uniformly within it. With
`align_to_story=True` the possible starts are the story starts: position 0
of a shard (`data tokenize` cuts shards between stories) and every position
right after an eot token; the model then always sees a story from its start.

Train and validation never overlap, by construction: they are different
files (train_*.bin from train.txt, val_*.bin from val.txt, and `data` writes
each story to exactly one of the two), and a loader only opens the shards of
its own split.

Everything is drawn from np.random.default_rng(seed): the same seed gives the
same batches. `eval_batches()` walks a split in order instead, for a
deterministic evaluation that covers every token once.
"""
from __future__ import annotations

import glob as globmod
import os
from typing import Iterator

import numpy as np

from pystory.data.shards import read_header, read_shard


def find_shards(source, split: str = "train") -> list[str]:
    """Shard paths from a folder (its {split}_*.bin), a glob, a path or a list."""
    if isinstance(source, (list, tuple)):
        paths = [os.fspath(p) for p in source]
    else:
        source = os.fspath(source)
        if os.path.isdir(source):
            paths = sorted(globmod.glob(os.path.join(source, f"{split}_*.bin")))
            if not paths:
                raise FileNotFoundError(f"no {split}_*.bin shards in {source} "
                                        f"(run `python -m pystory data tokenize --corpus {source}`)")
        elif any(c in source for c in "*?["):
            paths = sorted(globmod.glob(source))
            if not paths:
                raise FileNotFoundError(f"no shards match {source}")
        else:
            paths = [source]
    if not paths:
        raise ValueError("BatchLoader: no shard paths given")
    return paths


def count_tokens(source, split: str = "train") -> int:
    """Total tokens in the shards (reads only the headers)."""
    return sum(read_header(p).n_tokens for p in find_shards(source, split))


class BatchLoader:
    """Random (B, T+1) int32 windows from token shards, deterministic from `seed`."""

    def __init__(self, shards, B: int, T: int, seed: int = 0, split: str = "train",
                 align_to_story: bool = False, eot_id: int | None = None,
                 expected_vocab: int | None = None):
        if B < 1 or T < 1:
            raise ValueError(f"BatchLoader: B and T must be >= 1, got B={B} T={T}")
        self.B, self.T, self.seed, self.split = B, T, seed, split
        self.align_to_story = align_to_story
        self.paths = find_shards(shards, split)
        self.tokens, self.headers = [], []
        for path in self.paths:
            tokens, header = read_shard(path, expected_vocab)
            if header.n_tokens < T + 1:
                raise ValueError(f"{path}: shard has {header.n_tokens} tokens, fewer than T+1 = {T + 1}")
            self.tokens.append(tokens)
            self.headers.append(header)
        vocabs = {h.vocab_size for h in self.headers}
        if len(vocabs) > 1:
            raise ValueError(f"BatchLoader: shards disagree on vocab size {sorted(vocabs)}: {self.paths}")
        self.vocab_size = vocabs.pop()
        self.eot_id = eot_id if eot_id is not None else self.headers[0].eot_id
        self.starts = [self._starts(t, p) for t, p in zip(self.tokens, self.paths)]
        counts = np.array([len(s) if s is not None else len(t) - T for s, t in zip(self.starts, self.tokens)],
                          dtype=np.float64)
        self.shard_p = counts / counts.sum()
        self.reset()

    def _starts(self, tokens, path):
        """The allowed window starts of one shard, or None for 'any position'."""
        if not self.align_to_story:
            return None
        if self.eot_id is None:
            raise ValueError(f"{path}: align_to_story needs an eot id (none given, none in the header)")
        after_eot = np.flatnonzero(np.asarray(tokens) == self.eot_id) + 1
        starts = np.concatenate([[0], after_eot]).astype(np.int64)
        return starts[starts <= len(tokens) - (self.T + 1)]

    @property
    def num_tokens(self) -> int:
        """Total tokens over this loader's shards."""
        return sum(h.n_tokens for h in self.headers)

    def reset(self) -> None:
        """Start the batch sequence again from the seed."""
        self.rng = np.random.default_rng(self.seed)

    def next_batch(self, rows: tuple[int, int] | None = None) -> np.ndarray:
        """The next (B, T+1) int32 window batch: x = w[:, :-1], y = w[:, 1:].

        rows=(lo, hi): only rows lo..hi-1 of that batch, (hi - lo, T+1). Data
        parallelism (chapter 08): every rank draws the whole batch's random
        numbers, so all loaders stay in step, and reads only its own rows.
        """
        lo, hi = (0, self.B) if rows is None else rows
        if not 0 <= lo <= hi <= self.B:
            raise ValueError(f"BatchLoader.next_batch: rows {rows} are not within the batch of {self.B}")
        out = np.empty((hi - lo, self.T + 1), dtype=np.int32)
        shard_ids = self.rng.choice(len(self.tokens), size=self.B, p=self.shard_p)
        for b, s in enumerate(shard_ids):
            tokens, starts = self.tokens[s], self.starts[s]
            if starts is None:
                i = int(self.rng.integers(0, len(tokens) - self.T))
            else:
                i = int(starts[self.rng.integers(0, len(starts))])
            if lo <= b < hi:
                out[b - lo] = tokens[i: i + self.T + 1]
        return out

    def __iter__(self) -> Iterator[np.ndarray]:
        while True:
            yield self.next_batch()

    def eval_batches(self, max_batches: int | None = None) -> Iterator[np.ndarray]:
        """Consecutive non-overlapping windows in file order, B at a time.

        Window k of a shard covers tokens [k*T, k*T + T + 1); the last batch
        may have fewer than B rows.
        """
        rows, done = [], 0
        for tokens in self.tokens:
            for i in range(0, len(tokens) - self.T, self.T):
                rows.append(np.asarray(tokens[i: i + self.T + 1], dtype=np.int32))
                if len(rows) == self.B:
                    yield np.stack(rows)
                    rows, done = [], done + 1
                    if max_batches is not None and done >= max_batches:
                        return
        if rows:
            yield np.stack(rows)
